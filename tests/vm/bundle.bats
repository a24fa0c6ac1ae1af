#!/usr/bin/env bats
# rootfs-bundle with pool images and crun: an OCI image imported with
# --from-oci runs as docker run would run it (its Entrypoint, Cmd, Env,
# WorkingDir and User), in every share mode and idmapped; a failure once the
# share is made leaves nothing.  (config.json against crun spec and image
# configs, and every bad input, are in tests/bundle.bats on the host.)

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share

setup() {
	pool_setup
	command -v crun >/dev/null || fail "crun is not installed (package crun)"
	make_pool
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
}
teardown() {
	for c in $(ls "$BATS_TEST_TMPDIR"); do crun delete -f "$c-$$" 2>/dev/null || true; done
	unmount_test_tmpdir
	pool_teardown
	rm -rf "${BATS_TEST_TMPDIR:?}"/*
}

# A busybox tree in src/: a user web (1000:1001, also in group extra, 2000),
# /etc/motd, /srv/app, /home/u owned by web.
make_src() {
	mkdir -p src/bin src/etc src/srv/app src/home/u
	cp "$(command -v busybox)" src/bin/busybox
	for a in sh id cat touch stat pwd echo true; do ln -s busybox "src/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1001::/home/u:/bin/sh\n' >src/etc/passwd
	printf 'root:x:0:\nwebg:x:1001:\nextra:x:2000:web\n' >src/etc/group
	echo "hello from the image" >src/etc/motd
	chown -R 1000:1001 src/home/u
}

# The OCI image $1 in layout L, of src/, with config options "${@:2}" for umoci config.
make_oci() {
	[ -d L ] || umoci init --layout L
	umoci new --image "L:$1"
	umoci unpack --image "L:$1" "u-$1" >/dev/null
	cp -a src/. "u-$1/rootfs/"
	umoci repack --image "L:$1" "u-$1"
	rm -rf "u-$1"
	[ $# -lt 2 ] || umoci config --image "L:$1" "${@:2}" >/dev/null
	image-create -q "$POOL" "$1" --from-oci "L:$1"
}

# The same tree as a pool image without an OCI config.
make_plain() {
	tar -C src -cf bb.tar .
	image-create -q "$POOL" bb --size 64M --from-tar bb.tar
}

crun_run() { (cd "$1" && crun run "$1-$$" </dev/null); }

@test "an OCI image runs as docker run runs it: Entrypoint + Cmd, Env, WorkingDir, User and its groups" {
	make_src
	make_oci web --config.entrypoint /bin/sh --config.entrypoint -c \
		--config.cmd 'echo "$GREETING from $(pwd) as $(id -u):$(id -g) groups $(id -G) on $HOSTNAME"; cat /etc/motd' \
		--config.env GREETING=hello --config.env PATH=/bin --config.workingdir /srv/app \
		--config.user web
	rootfs-bundle -q web web1 "$PWD/web1"
	run crun_run web1
	assert_success
	assert_output "hello from /srv/app as 1000:1001 groups 1001 2000 on web1
hello from the image"
	# config.json from the image's config; the rest as crun spec writes it here.
	mkdir ref && (cd ref && crun spec)
	image-config --json web | python3 -S -c "
import json, sys
image = json.load(sys.stdin)['config']
c = json.load(open('web1/config.json'))
ref = json.load(open('ref/config.json'))
p = c['process']
assert p['args'] == image['Entrypoint'] + image['Cmd'], p
assert p['env'] == ['PATH=/bin', 'HOSTNAME=web1', 'GREETING=hello'], p
assert p['cwd'] == image['WorkingDir'] and p['user'] == {'uid': 1000, 'gid': 1001, 'additionalGids': [2000]}, p
assert c['root'] == {'path': 'rootfs', 'readonly': True}, c
assert c['linux']['namespaces'] == ref['linux']['namespaces'], c['linux']['namespaces']
assert {'type': 'cgroup'} in c['linux']['namespaces']
assert c['mounts'] == ref['mounts'] and c['process']['capabilities'] == ref['process']['capabilities']"
	# A command replaces Cmd, after the Entrypoint, as docker run IMAGE COMMAND.
	rootfs-bundle -q web web2 "$PWD/web2" -- 'echo other; touch /srv/app/x 2>/dev/null || echo read-only'
	run crun_run web2
	assert_success
	assert_output "other
read-only"
	rootfs-release --remove-bundle web1
	rootfs-release --remove-bundle --deactivate web2
	[ ! -e web1 ] && [ ! -e web2 ]
	assert_consistent
}

@test "modes: ro refuses writes, overlay and snapshot write; --remove-bundle releases each" {
	make_src
	make_plain
	local script='cat /etc/motd; touch /etc/x 2>/dev/null && echo wrote || echo refused; id -u'
	for m in ro overlay snapshot; do
		rootfs-bundle -q bb "$m" "$PWD/$m" --mode "$m" -- /bin/sh -c "$script"
	done
	run rootfs-bundle bb plain "$PWD/plain"
	assert_output "rootfs-bundle: image bb has no OCI config (it was not made with image-create --from-oci): the container runs /bin/sh"
	python3 -S -c "
import json
for m, ro in (('ro', True), ('overlay', False), ('snapshot', False)):
    c = json.load(open(m + '/config.json'))
    assert c['root'] == {'path': 'rootfs', 'readonly': ro}, (m, c['root'])
assert json.load(open('plain/config.json'))['process']['args'] == ['/bin/sh']"
	run crun_run ro
	assert_output "hello from the image
refused
0"
	for m in overlay snapshot; do
		run crun_run $m
		assert_output "hello from the image
wrote
0"
	done
	[ -e "$SHARED_ROOTFS_RUNDIR/upper/overlay/upper/etc/x" ]
	dmsetup info "srfs-snap:snapshot" >/dev/null
	for m in ro overlay snapshot plain; do rootfs-release --remove-bundle "$m"; done
	[ ! -e ro ] && [ ! -e overlay ] && [ ! -e snapshot ] && [ ! -e plain ]
	! dmsetup info "srfs-snap:snapshot" >/dev/null 2>&1
	image-deactivate bb
	assert_consistent
}

@test "--idmap: root inside is 0 and owns the image's files, in ro, overlay and snapshot mode" {
	make_src
	make_plain
	local script='id -u; stat -c %u:%g /etc/motd /home/u; touch /etc/x 2>/dev/null && echo wrote || echo refused'
	for m in ro overlay snapshot; do
		rootfs-bundle -q bb "$m" "$PWD/$m" --mode "$m" --idmap b:0:100000:65536 -- /bin/sh -c "$script"
		python3 -S -c "
import json, sys
c = json.load(open(sys.argv[1] + '/config.json'))
m = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
assert c['linux']['uidMappings'] == m and c['linux']['gidMappings'] == m, c['linux']
assert {'type': 'user'} in c['linux']['namespaces']" "$m"
		[ "$(stat -c %u "$m/rootfs/etc/motd")" = 100000 ]
	done
	run crun_run ro
	assert_output "0
0:0
1000:1001
refused"
	for m in overlay snapshot; do
		run crun_run $m
		assert_output "0
0:0
1000:1001
wrote"
	done
	run rootfs-list bb
	assert_line --regexp "^snapshot +bb +snapshot .* b:0:100000:65536$"
	for m in ro overlay snapshot; do rootfs-release --remove-bundle "$m"; done
	image-deactivate bb
	assert_consistent
}

@test "a failure once the share is made leaves nothing: no command, an unknown user, in each mode" {
	make_src
	make_oci bare
	make_oci ghost --config.cmd /bin/true --config.user ghost
	# (The runtime directory, a mount of its own, is made by the first share.)
	rootfs-bundle -q bare warm "$PWD/warm" -- /bin/true
	rootfs-release --remove-bundle --deactivate warm
	before=$(state_snapshot)
	for m in ro overlay snapshot; do
		run rootfs-bundle bare "b-$m" "$PWD/b-$m" --mode "$m"
		assert_one_line_error "rootfs-bundle: image bare's OCI config has neither Entrypoint nor Cmd: give the command to run after --"
		run rootfs-bundle ghost "g-$m" "$PWD/g-$m" --mode "$m"
		assert_one_line_error "rootfs-bundle: user 'ghost' is not in image ghost's /etc/passwd"
		[ ! -e "b-$m" ] && [ ! -e "g-$m" ]
		[ "$(state_snapshot)" = "$before" ] || fail "$m: left $(diff <(echo "$before") <(state_snapshot))"
	done
	# Neither image was active before: neither is now; no snapshot is left in the pool.
	[ -z "$(ls -A "$SHARED_ROOTFS_RUNDIR/images")" ]
	[ -z "$(ls -A "$SHARED_ROOTFS_STATEDIR/snapshots" 2>/dev/null)" ]
	! dmsetup ls | grep -q 'srfs-snap:'
	assert_consistent
}
