#!/usr/bin/env bats
# Idmapped shares of pool images on Debian's kernel (Linux 6.1): crun runs
# user-namespaced containers on them in every mode, the file systems answer
# as that kernel does, and the snapshot mode's steps are recovered.  The
# host suite tests/idmap.bats covers the rest with file images.

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share

setup() {
	pool_setup
	make_pool
}
teardown() {
	for m in ro overlay snapshot; do crun delete -f "$m-$$" 2>/dev/null || true; done
	unmount_test_tmpdir
	pool_teardown
}

# A busybox tree with /etc/passwd, and /home/u owned by 1000, as $1.tar.
make_userns_tree() {
	mkdir -p src/bin src/etc src/home/u src/proc src/sys src/dev
	cp "$(command -v busybox)" src/bin/busybox
	for a in sh cat id stat touch echo; do ln -s busybox "src/bin/$a"; done
	echo "root:x:0:0:root:/root:/bin/sh" >src/etc/passwd
	echo mine >src/home/u/f
	chown -R 1000:1000 src/home/u
	tar --numeric-owner -C src -cf "$1.tar" .
}

# A crun bundle $1 whose root is the share at $1/rootfs, in a user namespace
# whose ids 0..65535 are 100000.. on the host; its process runs $2.
make_userns_bundle() {
	(cd "$1" && crun spec)
	python3 - "$1/config.json" "$2" <<-'PY'
		import json, sys
		c = json.load(open(sys.argv[1]))
		c['root'] = {'path': 'rootfs', 'readonly': False}
		c['process']['terminal'] = False
		c['process']['args'] = ['/bin/sh', '-c', sys.argv[2]]
		c['linux']['namespaces'].append({'type': 'user'})
		m = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
		c['linux']['uidMappings'] = m
		c['linux']['gidMappings'] = m
		json.dump(c, open(sys.argv[1], 'w'))
	PY
}

@test "crun runs user-namespaced containers on idmapped shares: ro, overlay and snapshot" {
	command -v crun >/dev/null || fail "crun is not installed (package crun)"
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup
	make_userns_tree img
	image-create -q "$POOL" img --size 64M --from-tar img.tar
	local script='id -u; stat -c %u /etc/passwd; stat -c %u /home/u/f; touch /etc/x 2>/dev/null && echo wrote; touch /home/u/g 2>/dev/null || echo denied-u'
	for m in ro overlay snapshot; do
		mkdir -p "$m/rootfs"
		rootfs-share img "$m" "$PWD/$m/rootfs" --mode $m --idmap b:0:100000:65536
		make_userns_bundle "$m" "$script"
		(cd "$m" && crun run "$m-$$" >out 2>err </dev/null) || fail "crun $m: $(cat "$m/err")"
	done
	# Inside: root is 0 and owns the image's files; the user's files are 1000's,
	# which root without CAP_DAC_OVERRIDE (crun's default) may not write to.
	run cat ro/out
	assert_output "0
0
1000
denied-u"
	for m in overlay snapshot; do
		run cat $m/out
		assert_output "0
0
1000
wrote
denied-u"
	done
	# Overlay: the writes are in the upper directory, owned by the host's ids.
	up=$SHARED_ROOTFS_RUNDIR/upper/overlay/upper
	[ "$(stat -c %u:%g "$up/etc/x")" = 100000:100000 ]
	[ ! -e "$up/home/u/g" ]
	# Snapshot: stored on the snapshot's device as the container wrote them.
	dev=$(findmnt -n -o SOURCE "$PWD/snapshot/rootfs")
	# (A second mount of its file system, not idmapped; rw as the first one is.)
	mkdir raw && mount "$dev" raw
	[ "$(stat -c %u:%g raw/etc/x)" = 0:0 ]
	[ "$(stat -c %u:%g raw/home/u/f)" = 1000:1000 ]
	umount raw
	# The image itself is unchanged, and one device serves the ro and overlay shares.
	[ ! -e "$SHARED_ROOTFS_RUNDIR/mnt/img/etc/x" ]
	[ "$(stat -c %u "$SHARED_ROOTFS_RUNDIR/mnt/img/home/u/f")" = 1000 ]
	[ "$(stat -c %d ro/rootfs/etc/passwd)" = "$(stat -c %d "$SHARED_ROOTFS_RUNDIR/mnt/img/etc/passwd")" ]
	run rootfs-list img
	assert_line --regexp "^snapshot +img +snapshot .* b:0:100000:65536$"
	for m in ro overlay snapshot; do rootfs-release "$m"; done
	image-deactivate img
	assert_consistent
}

@test "file systems on Linux 6.1: ext4 and xfs idmapped, squashfs refused in one line, nothing left" {
	make_userns_tree img
	image-create -q "$POOL" img --size 64M --from-tar img.tar
	image-create -q "$POOL" ximg --size 320M --fs xfs --from-tar img.tar
	mksquashfs src s.img -quiet -no-progress >/dev/null
	image-create -q --source "$PWD/s.img" sq
	mkdir a x s
	rootfs-share img a "$PWD/a" --idmap b:0:100000:65536
	rootfs-share ximg x "$PWD/x" --idmap b:0:100000:65536
	[ "$(stat -c %u a/home/u/f)" = 101000 ]
	[ "$(stat -c %u x/home/u/f)" = 101000 ]
	image-activate -q sq
	before=$(state_snapshot)
	for m in ro overlay; do
		run rootfs-share sq s "$PWD/s" --mode $m --idmap b:0:100000:65536
		assert_failure 1
		case $m in
		ro) assert_one_line_error "rootfs-share: cannot idmap the share at $PWD/s: file system squashfs does not support idmapped mounts" ;;
		overlay) assert_one_line_error "rootfs-share: cannot idmap the lower layer of the overlay at $PWD/s: file system squashfs does not support idmapped mounts" ;;
		esac
		[ "$(state_snapshot)" = "$before" ]
		[ -z "$(ls -A "$SHARED_ROOTFS_RUNDIR/idmap" 2>/dev/null)" ]
	done
	rootfs-release a && rootfs-release x
	for i in img ximg sq; do image-deactivate "$i"; done
	assert_consistent
}

@test "idmapped snapshot shares killed at each step: recover puts them right" {
	make_userns_tree img
	image-create -q "$POOL" img --size 64M --from-tar img.tar
	mkdir c1
	crash() {
		run env SHARED_ROOTFS_CRASH_AT="$1" "${@:2}"
		# (A snapshot share's helper is what dies: the tool that ran it says so.)
		[ "$status" -eq 137 ] || [[ $status = 1 && $output = *"was killed by signal 9"* ]] ||
			fail "$1: status $status: $output"
		shared-rootfs-recover
		assert_consistent
		n=$((n + 1))
	}
	n=0
	for step in rootfs-share:claim rootfs-share:record rootfs-share:device; do
		crash $step rootfs-share --mode snapshot img c1 "$PWD/c1" --idmap b:0:100000:65536
		! mountpoint -q c1
	done
	crash rootfs-share:mount rootfs-share --mode snapshot img c1 "$PWD/c1" --idmap b:0:100000:65536
	[ "$(stat -c %u c1/home/u/f)" = 101000 ]
	run rootfs-share --mode snapshot img c1 "$PWD/c1" --idmap b:0:200000:65536
	assert_one_line_error "rootfs-share: container c1 already shares image img at $PWD/c1 with idmap 'b:0:100000:65536'"
	crash rootfs-release:unmount rootfs-release c1
	! mountpoint -q c1
	[ "$n" = 5 ]
	image-deactivate img 2>/dev/null || true
	assert_consistent
}
