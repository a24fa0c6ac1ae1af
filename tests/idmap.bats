#!/usr/bin/env bats
# Idmapped shares on the host, with file-backed images: rootfs-share --idmap,
# mount -t shared-rootfs -o idmap=, the share records, bad maps, and crashes.
# Containers are played by tests/helpers/userns-run, which starts a command as
# root of a user namespace the way an engine does.  The pool-backed modes,
# crun and the file systems of Linux 6.1 are in tests/vm/idmap.bats.

load helpers/common
load helpers/share

USERNS_RUN=$SRFS_BUILD/tests/helpers/userns-run

setup() {
	require_root
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	unmount_test_tmpdir
	mountpoint -q /usr/sbin && umount -l /usr/sbin || true
}

# Runs the rest of the test's script in a mount namespace of its own, with the helpers loaded.
ns() {
	run in_mount_ns bash -c "set -e; source '$BATS_TEST_DIRNAME/helpers/share.bash'
		USERNS_RUN='$USERNS_RUN'; $1" _
}

@test "two idmapped shares of one image: owners shifted, same device and inodes, pages cached once" {
	ns '
		make_owned_image
		mkdir a b plain
		rootfs-share img a "$PWD/a" --idmap b:0:100000:65536
		rootfs-share img b "$PWD/b" --idmap "u:0:200000:65536 g:0:200000:65536"
		rootfs-share img plain "$PWD/plain"
		[ "$(stat -c %u:%g a/home/u/f)" = 101000:101000 ]
		[ "$(stat -c %u:%g b/home/u/f)" = 201000:201000 ]
		[ "$(stat -c %u:%g plain/home/u/f)" = 1000:1000 ]
		[ "$(stat -c %u:%g a/etc/motd)" = 100000:100000 ]
		# One file system: the same device and inode through every share.
		ref=$(stat -c "%d %i" plain/big)
		[ "$(stat -c "%d %i" a/big)" = "$ref" ] && [ "$(stat -c "%d %i" b/big)" = "$ref" ]
		# Read-only, nosuid, nodev, idmapped.
		mountinfo_of "$PWD/a" | grep -q " ro,nosuid,nodev,.*idmapped"
		! touch a/new 2>/dev/null
		# The page cache: dropped for the file, read through a, resident through b.
		python3 -c "import os; fd = os.open(\"plain/big\", os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)"
		[ "$(fincore -nb -o RES b/big | tr -d " ")" = 0 ]
		cat a/big >/dev/null
		[ "$(fincore -nb -o RES b/big | tr -d " ")" = 4194304 ]
		# The maps are recorded, canonical, and listed.
		rootfs-list img | grep -E "^a +img +ro .* b:0:100000:65536$"
		rootfs-list img | grep -E "^b +img +ro .* b:0:200000:65536$"
		rootfs-list img | grep -E "^plain +img +ro .*  -  -$"
		rootfs-list --json img | python3 -c "
import json, sys
s = {x[\"id\"]: x for x in json.load(sys.stdin)[\"shares\"]}
assert s[\"a\"][\"idmap\"] == \"b:0:100000:65536\", s
assert s[\"plain\"][\"idmap\"] is None, s"
		for c in a b plain; do rootfs-release $c; done
		image-deactivate img
		assert_consistent
	'
	assert_success
}

@test "a user-namespaced container on an idmapped share: root inside owns its files; ro refuses writes" {
	ns '
		make_owned_image
		mkdir a
		rootfs-share img a "$PWD/a" --idmap b:0:100000:65536
		out=$($USERNS_RUN 100000 65536 sh -c "id -u; stat -c %u:%g a/etc/motd a/home/u/f")
		[ "$out" = "0
0:0
1000:1000" ]
		! $USERNS_RUN 100000 65536 touch a/etc/new 2>err
		grep -q "Read-only file system" err
		# Without the map the same container sees the image as nobody'"'"'s.
		mkdir p && rootfs-share img p "$PWD/p"
		[ "$($USERNS_RUN 100000 65536 stat -c %u p/etc/motd)" = 65534 ]
		rootfs-release a && rootfs-release p
	'
	assert_success
}

@test "an idmapped overlay: the container writes as root, the host stores its ids shifted" {
	ns '
		make_owned_image
		mkdir c
		rootfs-share img c "$PWD/c" --mode overlay --idmap b:0:100000:65536
		mkdir o u && rootfs-share img o "$PWD/o" --mode overlay --upper-dir "$PWD/u" --idmap b:0:300000:65536
		$USERNS_RUN 100000 65536 sh -c "echo w >c/etc/written && mkdir c/home/u/sub && chown 5:5 c/home/u/sub && echo more >>c/home/u/f && [ \$(stat -c %u c/etc) = 0 ]"
		up=$SHARED_ROOTFS_RUNDIR/upper/c/upper
		[ "$(stat -c %u:%g "$up")" = 100000:100000 ]
		[ "$(stat -c %u:%g "$up/etc/written")" = 100000:100000 ]
		[ "$(stat -c %u:%g "$up/home/u/sub")" = 100005:100005 ]
		[ "$(stat -c %u:%g "$up/home/u/f")" = 101000:101000 ]
		[ "$(cat c/home/u/f)" = "mine
more" ]
		# The lower layer stays the image'"'"'s one mount, unshifted underneath.
		[ "$(stat -c %u "$SHARED_ROOTFS_RUNDIR/mnt/img/home/u/f")" = 1000 ]
		[ "$(cat "$SHARED_ROOTFS_RUNDIR/mnt/img/home/u/f")" = mine ]
		# A caller-chosen upper directory: the same, and kept with --keep-upper.
		$USERNS_RUN 300000 65536 touch o/etc/o-file
		[ "$(stat -c %u u/upper/etc/o-file)" = 300000 ]
		[ -z "$(ls -A "$SHARED_ROOTFS_RUNDIR/idmap")" ]
		rootfs-release c
		rootfs-release --keep-upper o
		[ -e u/upper/etc/o-file ]
		image-deactivate img
		assert_consistent
	'
	assert_success
}

@test "a user namespace as the map: /proc/PID/ns/user of a running process" {
	ns '
		make_owned_image
		mkdir a b
		# A process in a namespace with two ranges, its maps written from outside.
		unshare --user sleep 600 3>&- &
		pid=$!
		while [ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do sleep 0.01; done
		# (A map is taken in one write.)
		python3 -c "import os, sys; os.write(os.open(sys.argv[1], os.O_WRONLY), sys.argv[2].encode())" \
			/proc/$pid/uid_map "$(printf "0 400000 1000\n1000 501000 1\n")"
		echo "0 400000 65536" >/proc/$pid/gid_map
		rootfs-share img a "$PWD/a" --idmap /proc/$pid/ns/user
		[ "$(stat -c %u:%g a/home/u/f)" = 501000:401000 ]
		[ "$(stat -c %u:%g a/etc/motd)" = 400000:400000 ]
		rootfs-list img | grep -E "^a .* u:0:400000:1000 u:1000:501000:1 g:0:400000:65536$"
		# The same map given as ranges is the same share; another is a conflict.
		rootfs-share img a "$PWD/a" --idmap "u:1000:501000:1 u:0:400000:1000 g:0:400000:65536"
		kill $pid
		rootfs-release a
	'
	assert_success
}

@test "the same container and target with another map, or none, is a named conflict" {
	ns '
		make_owned_image
		mkdir a
		rootfs-share img a "$PWD/a" --idmap b:0:100000:65536
		before=$(state_snapshot)
		! rootfs-share img a "$PWD/a" --idmap b:0:200000:65536 2>err
		[ "$(cat err)" = "rootfs-share: container a already shares image img at $PWD/a with idmap '"'"'b:0:100000:65536'"'"'" ]
		! rootfs-share img a "$PWD/a" 2>err
		grep -q "already shares image img at $PWD/a with idmap" err
		[ "$(state_snapshot)" = "$before" ]
		rootfs-release a
		rootfs-share img a "$PWD/a"
		! rootfs-share img a "$PWD/a" --idmap b:0:100000:65536 2>err
		[ "$(cat err)" = "rootfs-share: container a already shares image img at $PWD/a without an idmap" ]
		rootfs-release a
	'
	assert_success
}

@test "bad maps: one line each, nothing changed" {
	ns '
		make_owned_image
		mkdir a keep
		rootfs-share img keep "$PWD/keep"
		mkfifo fifo
		many=$(python3 -c "print(\" \".join(\"%d:%d:1\" % (i, 100000 + 2 * i) for i in range(341)))")
		long=$(python3 -c "print(\" \".join(\"%d:%d:1\" % (i, 1000000 + 2 * i) for i in range(330)))")
		before=$(state_snapshot)
		check() {
			local map=$1 want=$2 rc=0
			timeout 10 rootfs-share img a "$PWD/a" --idmap "$map" >out 2>&1 || rc=$?
			[ "$rc" = 1 ] || { echo "map ${map:0:40}: status $rc" >&2; return 1; }
			[ "$(wc -l <out)" = 1 ] || { echo "map ${map:0:40}: $(cat out)" >&2; return 1; }
			grep -qF "$want" out || { echo "map ${map:0:40}: $(cat out)" >&2; return 1; }
			[ "$(state_snapshot)" = "$before" ] || { echo "map ${map:0:40}: state changed" >&2; return 1; }
		}
		check "0:100000" "idmap entry '"'"'0:100000'"'"': expected [u:|g:|b:]INSIDE:OUTSIDE:COUNT"
		check "0:100000:65536:1" "expected [u:|g:|b:]INSIDE:OUTSIDE:COUNT"
		check "x:0:1:1" "'"'"'x'"'"' is not an id"
		check "0:-1:5" "'"'"'-1'"'"' is not an id"
		check "0:4294967296:1" "'"'"'4294967296'"'"' is not an id"
		check "0:100000:0" "the count is 0"
		check "0:4294967290:10" "the range runs past 4294967294, the highest id"
		check "4294967295:0:1" "the range runs past 4294967294, the highest id"
		check "0:100000:65536 1000:300000:10" "its inside uids overlap those of 0:100000:65536"
		check "u:0:100000:10 u:10:100005:10 g:0:1:1" "its outside uids overlap those of 0:100000:10"
		check "u:0:100000:65536" "idmap gives no gid ranges (add g: or b: entries)"
		check "" "empty idmap"
		check "$many" "more than 340 uid ranges (the kernel takes at most 340)"
		check "$long" "more uid ranges than the kernel takes"
		check /proc/self/ns/mnt "is not a user namespace"
		check "$PWD/fifo" "is not a user namespace"
		check /dev/null "is not a user namespace"
		check /proc/self/ns/user "own user namespace"
		check "$PWD/nonexistent" "cannot use idmap $PWD/nonexistent: No such file or directory"
		# A namespace without maps.
		unshare --user sleep 600 3>&- &
		pid=$!
		while [ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do sleep 0.01; done
		check /proc/$pid/ns/user "has no uid map"
		kill $pid
	'
	assert_success
}

@test "--idmap on the command line: given twice, not root, --help" {
	mkdir a
	run rootfs-share img a "$PWD/a" --idmap b:0:1:1 --idmap b:0:2:1
	assert_failure 2
	assert_one_line_error "rootfs-share: --idmap given twice"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$SRFS_BUILD/rootfs-share" img a "$PWD/a" --idmap b:0:100000:65536
	assert_failure 1
	assert_output --partial "root"
	run rootfs-share --help
	assert_output --partial "--idmap MAP"
}

@test "mount -t shared-rootfs -o idmap= through mount(8); X-mount.idmap= to the helper; umount releases" {
	ns '
		make_owned_image
		use_mount_helpers
		mkdir a b
		mount -t shared-rootfs img "$PWD/a" -o "id=web,idmap=b:0:100000:65536"
		[ "$(stat -c %u a/home/u/f)" = 101000 ]
		rootfs-list | grep -E "^web +img +ro .* b:0:100000:65536$"
		# Debian 12'"'"'s mount(8) passes no X-* option to helpers: the helper itself takes it.
		mount.shared-rootfs img "$PWD/b" -o "id=api,X-mount.idmap=u:0:200000:65536 g:0:200000:65536"
		[ "$(stat -c %u:%g b/home/u/f)" = 201000:201000 ]
		! mount.shared-rootfs img "$PWD/b" -o "id=x,idmap=0:1:1,idmap=0:2:1" 2>err
		[ "$(cat err)" = "mount.shared-rootfs: option idmap= given twice" ]
		! mount -t shared-rootfs img "$PWD/b" -o "id=y,idmap=0:1" 2>err
		grep -q "idmap entry '"'"'0:1'"'"': expected" err
		umount "$PWD/a"
		umount "$PWD/b"
		# From fstab, the space between entries written as \040.
		echo "img $PWD/a shared-rootfs id=tab,idmap=u:0:300000:65536\\040g:0:300000:65536 0 0" >fstab
		mount -a -T "$PWD/fstab"
		[ "$(stat -c %u:%g a/home/u/f)" = 301000:301000 ]
		rootfs-list | grep -E "^tab +img +ro .* b:0:300000:65536$"
		umount "$PWD/a"
		[ -z "$(rootfs-list)" ]
		image-deactivate img
		assert_consistent
	'
	assert_success
}

@test "idmapped shares killed at each step: shared-rootfs-recover puts it right" {
	ns '
		make_owned_image
		mkdir s0 c1
		rootfs-share img s0 "$PWD/s0" --idmap b:0:100000:65536
		crash() {
			local rc=0
			SHARED_ROOTFS_CRASH_AT=$1 "${@:2}" >/dev/null 2>&1 || rc=$?
			[ "$rc" = 137 ] || { echo "$1: status $rc" >&2; return 1; }
			shared-rootfs-recover
			[ "$(stat -c %u s0/etc/motd)" = 100000 ]
			assert_consistent
			n=$((n + 1))
		}
		n=0
		for mode in ro overlay; do
			crash rootfs-share:record rootfs-share --mode $mode img c1 "$PWD/c1" --idmap b:0:200000:65536
			! mountpoint -q c1
			crash rootfs-share:mount rootfs-share --mode $mode img c1 "$PWD/c1" --idmap b:0:200000:65536
			[ "$(stat -c %u c1/etc/motd)" = 200000 ]
			crash rootfs-release:unmount rootfs-release c1
			! mountpoint -q c1
		done
		# Killed with the lower layer mounted: recover unmounts it and clears the share.
		crash rootfs-share:idmap-lower rootfs-share --mode overlay img c1 "$PWD/c1" --idmap b:0:200000:65536
		! mountpoint -q c1
		[ -z "$(rootfs-list | grep -w c1)" ]
		# ... and so does the next share of that container, without a recover.
		SHARED_ROOTFS_CRASH_AT=rootfs-share:idmap-lower rootfs-share --mode overlay img c1 "$PWD/c1" --idmap b:0:200000:65536 2>/dev/null || true
		mountpoint -q "$SHARED_ROOTFS_RUNDIR/idmap/c1"
		rootfs-share --mode overlay img c1 "$PWD/c1" --idmap b:0:200000:65536
		[ ! -e "$SHARED_ROOTFS_RUNDIR/idmap/c1" ]
		assert_consistent
		rootfs-release c1
		echo "crash points: $n"
		rootfs-release s0
		image-deactivate img
		assert_consistent
	'
	assert_success
	assert_output --partial "crash points: 7"
}

@test "file systems: idmapped where the kernel allows it, a one-line refusal naming it where not" {
	ns '
		make_owned_image
		mkfs.erofs -q e.img tree >/dev/null 2>&1 || mkfs.erofs e.img tree >/dev/null
		mksquashfs tree s.img -quiet -no-progress -all-root >/dev/null
		image-create -q --source "$PWD/e.img" er
		image-create -q --source "$PWD/s.img" sq
		mkdir e s
		rootfs-share er e "$PWD/e" --idmap b:0:100000:65536
		[ "$(stat -c %u e/home/u/f)" = 101000 ]
		rootfs-release e
		# squashfs: the kernel decides (Linux 6.1 refuses it, later ones take it).
		before=$(state_snapshot)
		if rootfs-share sq s "$PWD/s" --idmap b:0:100000:65536 2>err; then
			[ "$(stat -c %u s/etc/motd)" = 100000 ]
			rootfs-release s
		else
			[ "$(cat err)" = "rootfs-share: cannot idmap the share at $PWD/s: file system squashfs does not support idmapped mounts" ]
			[ "$(state_snapshot)" = "$before" ]
		fi
		image-deactivate sq && image-deactivate er
		assert_consistent
	'
	assert_success
}

@test "an idmapped overlay of an inactive image, the runtime directory under a shared mount: nothing reaches its peers; a crash there is recovered" {
	ns '
		mkdir shared peer c1
		mount -t tmpfs tmpfs shared && mount --make-shared shared && mount --bind shared peer
		export SHARED_ROOTFS_RUNDIR=$PWD/shared/run
		make_owned_image
		rc=0
		SHARED_ROOTFS_CRASH_AT=rootfs-share:idmap-lower rootfs-share --mode overlay img c1 "$PWD/c1" --idmap b:0:100000:65536 || rc=$?
		[ "$rc" = 137 ]
		mountpoint -q "$SHARED_ROOTFS_RUNDIR/idmap/c1"
		! grep -q " $PWD/peer/run/idmap" /proc/self/mountinfo
		shared-rootfs-recover
		[ ! -e "$SHARED_ROOTFS_RUNDIR/idmap/c1" ]
		! grep -q "/idmap/c1 " /proc/self/mountinfo
		rootfs-share --mode overlay img c1 "$PWD/c1" --idmap b:0:100000:65536
		[ "$(stat -c %u c1/home/u/f)" = 101000 ]
		rootfs-release c1
	'
	assert_success
}

@test "a nested user namespace as the map: recorded in the host's ids" {
	ns '
		make_owned_image
		mkdir a
		# A container (0 -> 100000) whose root makes a namespace of its own, where
		# it is 1000: read from inside, that map is "1000 0 1"; the host sees 100000.
		$USERNS_RUN 100000 65536 unshare --user --map-user=1000 --map-group=1000 sleep 600 \
			>/dev/null 2>&1 3>&- &
		run_pid=$!
		for i in $(seq 200); do
			pid=$(pgrep -x -P $run_pid sleep) && [ -n "$(cat /proc/$pid/uid_map)" ] && break
			sleep 0.05
		done
		[ "$(awk "{ print \$1, \$2, \$3 }" /proc/$pid/uid_map)" = "1000 100000 1" ]
		rootfs-share img a "$PWD/a" --idmap /proc/$pid/ns/user || { kill $pid; false; }
		kill $pid
		rootfs-list img | grep -E "^a .* b:1000:100000:1$"
		[ "$(stat -c %u a/home/u/f)" = 100000 ]
		rootfs-release a
	'
	assert_success
}
