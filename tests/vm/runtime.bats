#!/usr/bin/env bats
# shared-rootfs-runtime with pool images and real engines: crun through the
# wrapper, podman 4.3 (--runtime, --annotation), containerd 1.6 (ctr run
# --runc-binary), 110 containers on one image, a wrapper killed at each step
# of create, and bad input.  The host suite tests/runtime.bats covers the
# command line, the modes, pods and the rest with image files.

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share
load ../helpers/runtime

setup() {
	pool_setup
	make_pool
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
	modprobe overlay
	make_container_tree tree img
	tar -C tree -cf img.tar .
	image-create -q "$POOL" img --size 64M --from-tar img.tar
}

teardown() {
	[ -z "${PODMAN:-}" ] || $PODMAN rm -af >/dev/null 2>&1 || true
	[ -z "${CTR:-}" ] || { for t in $($CTR task ls -q 2>/dev/null); do $CTR task kill -s KILL "$t"; $CTR task delete -f "$t"; done; } >/dev/null 2>&1 || true
	[ -z "${CONTAINERD_PID:-}" ] || { kill "$CONTAINERD_PID"; wait "$CONTAINERD_PID"; } 2>/dev/null || true
	delete_test_containers
	unmount_test_tmpdir
	pool_teardown
}

# The image's device's sectors read so far (/sys/block/dm-N/stat).
image_sectors_read() {
	local dev
	dev=$(sed -n 's|^device=/dev/||p' "$SHARED_ROOTFS_RUNDIR/images/img")
	awk '{ print $3 }' "/sys/block/$dev/stat"
}

@test "crun through the wrapper on a pool image: create, start, state, kill, delete, run" {
	make_bundle b img "cat /etc/motd; touch /etc/x 2>/dev/null || echo read-only; exec sleep 1000"
	cp b/config.json orig.json
	wrapper create --bundle b c1 >out 2>&1 </dev/null
	[ "$(container_status c1)" = created ]
	rootfs-list | grep -E "^c1 +img +ro .* $PWD/b/shared-rootfs "
	wrapper start c1
	for _ in $(seq 100); do grep -q read-only out && break; sleep 0.2; done
	[ "$(cat out)" = "hello from img
read-only" ]
	[ "$(dmsetup ls | grep -c 'srfs-')" = 2 ]     # the pool and the image: no device per container
	wrapper kill c1 KILL
	wait_stopped c1
	wrapper delete c1
	cmp b/config.json orig.json
	no_leftovers
	# run in the foreground, in overlay mode (root.readonly false): released when it exits.
	make_bundle b img "echo new >/etc/x && cat /etc/x /etc/motd" "c['root']['readonly'] = False"
	wrapper run --bundle b c2 >out 2>&1 </dev/null
	[ "$(cat out)" = "new
hello from img" ]
	no_leftovers
	assert_consistent
}

@test "podman 4.3 runs containers through the wrapper: --runtime, --annotation, --rootfs of an empty directory" {
	command -v podman >/dev/null || fail "podman is not installed (package podman)"
	mkdir -p empty net
	# podman runs the runtime with an environment of its own: the test's state
	# directories are set in front of the wrapper (installed, it uses the default ones).
	printf '#!/bin/sh\nSHARED_ROOTFS_RUNDIR=%s SHARED_ROOTFS_STATEDIR=%s exec %s "$@"\n' \
		"$SHARED_ROOTFS_RUNDIR" "$SHARED_ROOTFS_STATEDIR" "$SRFS_BUILD/shared-rootfs-runtime" >rt
	chmod 755 rt
	# The test's own storage, state and network configuration.
	cat >containers.conf <<-EOF
		[network]
		network_config_dir = "$PWD/net"
		[engine]
		events_logger = "none"
		[engine.runtimes]
		shared-rootfs = ["$PWD/rt"]
	EOF
	export CONTAINERS_CONF=$PWD/containers.conf
	PODMAN="podman --root $PWD/storage --runroot $PWD/runroot --storage-driver vfs --cgroup-manager cgroupfs"
	run $PODMAN run --rm --network none --read-only --runtime "$PWD/rt" \
		--annotation org.shared-rootfs.image=img --rootfs "$PWD/empty" /bin/sh -c 'cat /etc/motd; touch /etc/x 2>/dev/null || echo read-only'
	assert_success
	assert_output "hello from img
read-only"
	[ -z "$(rootfs-list)" ]
	# Without --read-only: an overlay share; by the runtime's name in containers.conf.
	run $PODMAN run --rm --network none --runtime shared-rootfs --annotation org.shared-rootfs.image=img \
		--rootfs "$PWD/empty" /bin/sh -c 'echo new >/etc/x && cat /etc/x'
	assert_success
	assert_output "new"
	[ -z "$(rootfs-list)" ]
	# Detached: the share lives until podman removes the container.
	$PODMAN run -d --name p1 --network none --read-only --runtime shared-rootfs \
		--annotation org.shared-rootfs.image=img --rootfs "$PWD/empty" /bin/sleep 1000
	rootfs-list | grep -E "^[0-9a-f]{64} +img +ro "
	$PODMAN rm -f p1
	[ -z "$(rootfs-list)" ]
	# An unknown image: podman reports the wrapper's message, nothing is shared.
	run $PODMAN run --rm --network none --read-only --runtime shared-rootfs \
		--annotation org.shared-rootfs.image=nosuch --rootfs "$PWD/empty" /bin/true
	assert_failure
	assert_output --partial "annotation org.shared-rootfs.image: unknown image nosuch"
	[ -z "$(rootfs-list)" ]
	assert_consistent
}

@test "containerd 1.6 runs containers through the wrapper: ctr run --runc-binary, --annotation" {
	command -v containerd >/dev/null || fail "containerd is not installed (package containerd)"
	mkdir -p ctd
	cat >ctd/config.toml <<-EOF
		version = 2
		root = "$PWD/ctd/root"
		state = "$PWD/ctd/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$PWD/ctd/sock"
	EOF
	containerd --config ctd/config.toml >ctd/log 2>&1 &
	CONTAINERD_PID=$!
	for _ in $(seq 150); do [ -S ctd/sock ] && break; sleep 0.2; done
	CTR="ctr --address $PWD/ctd/sock"
	# ctr needs an image of its content store: one whose /etc/motd says otherwise.
	umoci init --layout L
	umoci new --image L:bb
	umoci unpack --image L:bb u >/dev/null
	cp -a tree/. u/rootfs/ && echo "hello from containerd's snapshot" >u/rootfs/etc/motd
	umoci repack --image L:bb u
	tar -C L -cf bb.tar .
	$CTR image import --base-name example.com/bb bb.tar
	run $CTR run --rm --runc-binary "$SRFS_BUILD/shared-rootfs-runtime" \
		--annotation org.shared-rootfs.image=img example.com/bb:bb c1 /bin/sh -c 'cat /etc/motd; echo new >/etc/x && cat /etc/x'
	assert_success
	assert_output "hello from img
new"
	[ -z "$(rootfs-list)" ]
	# Detached, read-only: the share goes with the task's delete.
	$CTR run -d --read-only --runc-binary "$SRFS_BUILD/shared-rootfs-runtime" \
		--annotation org.shared-rootfs.image=img example.com/bb:bb c2 /bin/sleep 1000
	rootfs-list | grep -E "^c2 +img +ro .*/c2/shared-rootfs "
	$CTR task kill -s KILL c2
	for _ in $(seq 100); do $CTR task ls | grep -q "c2 .*STOPPED" && break; sleep 0.2; done
	$CTR task delete c2
	$CTR container delete c2
	[ -z "$(rootfs-list)" ]
	# The wrapper's error reaches ctr through the shim's log.json, as runc's do.
	run $CTR run --rm --runc-binary "$SRFS_BUILD/shared-rootfs-runtime" \
		--annotation org.shared-rootfs.image=nosuch example.com/bb:bb c3 /bin/true
	assert_failure
	assert_output --partial "annotation org.shared-rootfs.image: unknown image nosuch"
	[ -z "$(rootfs-list)" ]
	# Without the annotation the container runs on containerd's own snapshot.
	run $CTR run --rm --runc-binary "$SRFS_BUILD/shared-rootfs-runtime" example.com/bb:bb c4 /bin/cat /etc/motd
	assert_output "hello from containerd's snapshot"
	no_leftovers
	assert_consistent
}

@test "110 containers through the wrapper on one pool image: no device each, blocks read once, all released" {
	local n=110 i read1
	for i in $(seq $n); do
		mkdir -p "b$i"
		if [ "$i" = 1 ]; then
			make_bundle b1 img "cat /big >/dev/null; echo read; exec sleep 1000"
		else
			cp b1/config.json "b$i/config.json"
		fi
	done
	for i in $(seq $n); do
		wrapper run --detach --bundle "b$i" "c$i" </dev/null >"out$i" 2>&1
		if [ "$i" = 1 ]; then
			for _ in $(seq 100); do grep -q read out1 && break; sleep 0.2; done
			read1=$(image_sectors_read)
		fi
	done
	for i in $(seq $n); do
		for _ in $(seq 100); do grep -q read "out$i" && break; sleep 0.2; done
		grep -q read "out$i"
	done
	[ "$(rootfs-list img | tail -n +2 | wc -l)" = $n ]
	[ "$(dmsetup ls | grep -c 'srfs-')" = 2 ]
	[ "$(image_sectors_read)" = "$read1" ]
	for i in $(seq $n); do wrapper kill "c$i" KILL; done
	for i in $(seq $n); do wait_stopped "c$i"; wrapper delete "c$i"; done
	no_leftovers
	[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/containers")" ]
	assert_consistent
}

@test "a wrapper killed at each step of create on a pool image: shared-rootfs-recover clears it" {
	make_bundle b img "cat /etc/motd"
	cp b/config.json orig.json
	for step in shared-rootfs-runtime:record rootfs-share:mount shared-rootfs-runtime:share \
		shared-rootfs-runtime:config shared-rootfs-runtime:runtime; do
		rc=0
		SHARED_ROOTFS_CRASH_AT=$step wrapper create --bundle b c1 </dev/null >/dev/null 2>&1 || rc=$?
		[ "$rc" = 137 ] || fail "$step: status $rc"
		crun --root "$BATS_TEST_TMPDIR/crun" delete --force c1 2>/dev/null || true
		shared-rootfs-recover -q
		cmp b/config.json orig.json || fail "$step: config.json not put back"
		no_leftovers
		assert_consistent
	done
	wrapper run --bundle b c1 >out 2>&1 </dev/null
	[ "$(cat out)" = "hello from img" ]
	no_leftovers
}

@test "bad input on a pool image: the wrapper's one-line error, status 1, nothing shared" {
	local cfg=$PWD/b/config.json
	check() {
		make_bundle b img true "$1"
		cp b/config.json orig.json
		run wrapper create --bundle b c1 </dev/null
		[ "$status" = 1 ] || fail "$2: status $status: $output"
		[ "${#lines[@]}" = 1 ] && [[ $output == "shared-rootfs-runtime: $2"* ]] || fail "want $2, got $output"
		cmp b/config.json orig.json
		no_leftovers
	}
	check "c['annotations']['org.shared-rootfs.image'] = 'nosuch'" "$cfg: annotation org.shared-rootfs.image: unknown image nosuch"
	check "del c['root']['path']" "$cfg: no root.path"
	check "c['annotations']['org.shared-rootfs.mode'] = 'ro'; c['root']['readonly'] = False" "$cfg: mode ro asks for a read-only root"
	make_bundle b img true
	echo '{"annotations": {"org.shared-rootfs.image": "img"}, ' >b/config.json
	run wrapper create --bundle b c1
	assert_failure 1
	assert_output "shared-rootfs-runtime: $cfg: not a JSON object"
	SHARED_ROOTFS_RUNTIME=/usr/bin/no-crun run wrapper create --bundle b c1
	assert_failure 1
	assert_output "shared-rootfs-runtime: SHARED_ROOTFS_RUNTIME: runtime /usr/bin/no-crun: No such file or directory"
	[ -z "$(rootfs-list)" ]
	assert_consistent
}
