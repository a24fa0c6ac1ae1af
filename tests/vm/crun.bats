#!/usr/bin/env bats
# A real container runtime: crun runs containers whose root file systems are
# read-only shares of one image.

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share

setup() {
	pool_setup
	command -v crun >/dev/null || fail "crun is not installed (package crun)"
	make_pool
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
	mkdir -p src/bin src/etc
	cp "$(command -v busybox)" src/bin/busybox
	for a in sh cat sleep touch; do ln -s busybox "src/bin/$a"; done
	echo "hello from the shared image" >src/etc/motd
	tar -C src -cf busybox.tar .
	image-create -q "$POOL" busybox --size 64M --from-tar busybox.tar
}
teardown() {
	for i in $(seq 10); do crun delete -f "ct$i-$$" 2>/dev/null || true; done
	crun delete -f "web1-$$" 2>/dev/null || true
	unmount_test_tmpdir
	pool_teardown
}

# A bundle for container $1 whose rootfs is a share of the image.
make_bundle() {
	mkdir -p "$1/rootfs"
	rootfs-share busybox "$1" "$PWD/$1/rootfs"
	(cd "$1" && crun spec)
	python3 -S - "$1/config.json" <<-'PY'
		import json, sys
		c = json.load(open(sys.argv[1]))
		c['root'] = {'path': 'rootfs', 'readonly': True}
		c['process']['terminal'] = False
		c['process']['args'] = ['/bin/sh', '-c',
		    'cat /etc/motd; touch /etc/x 2>/dev/null && echo WRITABLE; '
		    'while [ ! -e /run/go ]; do sleep 0.2; done; echo done']
		# /run is the container's own tmpfs: the test says "go" through it.
		c['mounts'].append({'destination': '/run', 'type': 'tmpfs', 'source': 'tmpfs',
		                    'options': ['nosuid', 'nodev']})
		json.dump(c, open(sys.argv[1], 'w'))
	PY
}

@test "10 crun containers at once on shares of one image; nothing left after release" {
	for i in $(seq 10); do make_bundle "ct$i"; done
	# Started one after the other (ten crun setups at once can livelock the
	# emulated guest's kernel), then all ten run at the same time.
	for i in $(seq 10); do
		(cd "ct$i" && crun run --detach "ct$i-$$" >out 2>&1 </dev/null)
	done
	for i in $(seq 10); do [ "$(crun state "ct$i-$$" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = running ]; done
	# Once /run/go is there the container's init may end before touch has exited, and
	# the kernel then kills touch with the rest of the pid namespace: crun exec says
	# 137.  That the file was made shows in each container's "done" below.
	for i in $(seq 10); do crun exec "ct$i-$$" /bin/touch /run/go || [ $? -eq 137 ]; done
	for i in $(seq 10); do
		for t in $(seq 100); do
			[ "$(crun state "ct$i-$$" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = stopped ] && break
			sleep 0.2
		done
		crun delete "ct$i-$$"
	done
	for i in $(seq 10); do
		run cat "ct$i/out"
		assert_output "hello from the shared image
done"
	done
	[ "$(dmsetup ls | grep -c 'srfs-')" = 2 ]     # the pool and the image: no device per container
	for i in $(seq 10); do rootfs-release --deactivate "ct$i"; done
	[ -z "$(rootfs-list)" ]
	[ "$(grep -c " $PWD/ct" /proc/self/mountinfo)" = 0 ]
	[ "$(dmsetup ls | grep -c 'srfs-img:')" = 0 ]
}

@test "shared-rootfs(7)'s walk-through: an OCI image imported, run by crun as its config says" {
	umoci init --layout L
	umoci new --image L:web
	umoci unpack --image L:web b >/dev/null
	cp -a src/. b/rootfs/
	umoci repack --image L:web b
	umoci config --image L:web --config.entrypoint /bin/sh --config.cmd -c \
		--config.cmd 'echo "$GREETING from $(pwd)"' --config.env GREETING=hello \
		--config.workingdir /etc >/dev/null
	image-create -q "$POOL" web --from-oci L:web
	image-config web >/dev/null
	rootfs-bundle web web1 "$PWD/web1"
	run crun run -b "$PWD/web1" "web1-$$" </dev/null
	assert_success
	assert_output "hello from /etc"
	rootfs-release --remove-bundle --deactivate web1
	[ -z "$(rootfs-list)" ] && [ ! -e web1 ]
}
