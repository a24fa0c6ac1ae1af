#!/usr/bin/env bats
# Sharing file-backed images on the host: image-activate, rootfs-share,
# rootfs-release, rootfs-list, image-deactivate, and mount -t shared-rootfs.
# Every test runs in a mount namespace of its own (see setup_file).

load helpers/common
load helpers/share

setup_file() {
	# One private mount namespace for the whole file: nothing leaks to the host.
	[ -n "${SRFS_IN_NS:-}" ] || true
}

setup() {
	require_root
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	unmount_test_tmpdir
	mountpoint -q /usr/sbin && umount -l /usr/sbin || true
}

@test "100 containers share one image: one mount, same device and inodes, read-only, private" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		for i in $(seq 100); do mkdir c$i; rootfs-share img c$i "$PWD/c$i"; done
		# One loop device, one file system: every share shows the image mount'"'"'s device and inode.
		[ "$(losetup -n -O BACK-FILE | grep -c "$PWD/img.img")" = 1 ]
		ref=$(stat -c "%d %i" "$SHARED_ROOTFS_RUNDIR/mnt/img/etc/motd")
		for i in $(seq 100); do [ "$(stat -c "%d %i" c$i/etc/motd)" = "$ref" ]; done
		# Writing anywhere fails with EROFS.
		! touch c42/new 2>err && grep -q "Read-only file system" err
		! rm c42/etc/motd 2>err && grep -q "Read-only file system" err
		# ro, nosuid, nodev, and private propagation (no shared: or master: tag).
		line=$(mountinfo_of "$PWD/c7")
		echo "$line" | grep -q " ro,nosuid,nodev,"
		! echo "$line" | grep -qE "shared:|master:"
		[ "$(rootfs-list img | tail -n +2 | wc -l)" = 100 ]
		image-list | grep -qE "^img +file .* yes +100 +-$"
		for i in $(seq 100); do rootfs-release c$i; done
		image-deactivate img
		[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/shares")" ]
		[ "$(grep -c " $PWD/c" /proc/self/mountinfo)" = 0 ]
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "image-activate is idempotent and prints the mount; deactivation detaches the loop device" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		a=$(image-activate img)
		b=$(image-activate img)
		[ "$a" = "$SHARED_ROOTFS_RUNDIR/mnt/img" ] && [ "$a" = "$b" ]
		mountinfo_of "$a" | grep -q " ro,nosuid,nodev,.* ext4 /dev/loop[0-9]* ro,"
		[ "$(grep -c " $a " /proc/self/mountinfo)" = 1 ]
		image-deactivate img
		image-deactivate img 2>&1 | grep -q "image img is not active"
		# (The kernel detaches an autoclear loop device after its last close: wait for it.)
		for _ in $(seq 100); do
			[ "$(losetup -n -O BACK-FILE | grep -c "$PWD/img.img")" = 0 ] && break
			sleep 0.05
		done
		[ "$(losetup -n -O BACK-FILE | grep -c "$PWD/img.img")" = 0 ]
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "a share is private: mounts made on it in a peer namespace do not multiply into ours" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir -p peer && mount -t tmpfs tmpfs peer && mount --make-shared peer
		mkdir peer/c1
		rootfs-share img c1 "$PWD/peer/c1"
		# A second namespace whose mounts are peers of ours (shared propagation).
		unshare --mount --propagation unchanged bash -c "
			mount -t tmpfs tmpfs $PWD/peer/c1/bin && mount -t tmpfs tmpfs $PWD/peer/c1/etc && sleep 30" &
		ns=$!
		# Once that namespace has its two mounts (waited for, not slept on) ...
		for _ in $(seq 200); do
			[ "$(grep -c " $PWD/peer/c1/" /proc/$ns/mountinfo || true)" = 2 ] && break
			sleep 0.05
		done
		# Those mounts stay in that namespace: the share does not receive them.
		[ "$(grep -c " $PWD/peer/c1/" /proc/self/mountinfo || true)" = 0 ]
		[ "$(grep -c " $PWD/peer/c1/" /proc/$ns/mountinfo)" = 2 ]
		kill $ns
		# And the share carries no propagation tag of its own.
		! mountinfo_of "$PWD/peer/c1" | grep -qE "shared:|master:"
		rootfs-release c1
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "mount -t shared-rootfs and umount go through util-linux's own mount(8) and umount(8)" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		use_mount_helpers
		mkdir c1 c2 c3
		mount -t shared-rootfs img "$PWD/c1" -o id=web1
		findmnt -n -o TARGET,OPTIONS "$PWD/c1" | grep -q "ro,nosuid,nodev"
		rootfs-list --json | grep -q "\"id\": \"web1\""
		grep -q "helper=shared-rootfs" "$LIBMOUNT_UTAB"
		[ "$(cat c1/etc/motd)" = "hello from img" ]
		# Without id= the share is keyed by its target.
		mount -t shared-rootfs img c2
		rootfs-list | grep -qE "^mnt-[0-9a-f]{16} +img .* $PWD/c2  -  -$"
		umount c1
		umount "$PWD/c2"
		[ -z "$(rootfs-list)" ]
		! findmnt "$PWD/c1"
		! grep -q "$PWD/c1" "$LIBMOUNT_UTAB"
		# From an fstab line, with mount -a.
		echo "img $PWD/c3 shared-rootfs id=fromfstab,nofail 0 0" >fstab
		mount -a -T "$PWD/fstab"
		rootfs-list | grep -qE "^fromfstab +img "
		umount c3
		[ -z "$(rootfs-list)" ]
		# Failures through mount(8): its exit status and our one-line message.
		set +e
		out=$(mount -t shared-rootfs nosuch "$PWD/c1" -o id=x 2>&1); rc=$?
		[ "$rc" = 32 ] && [ "$out" = "mount.shared-rootfs: unknown image nosuch" ] || { echo "$rc $out"; exit 1; }
		out=$(mount -t shared-rootfs img "$PWD/c1" -o id=x,bogus 2>&1); rc=$?
		[ "$rc" = 1 ] && [ "$out" = "mount.shared-rootfs: unknown option '"'"'bogus'"'"'" ] || { echo "$rc $out"; exit 1; }
		mount -t shared-rootfs -s img "$PWD/c1" -o id=x,bogus || exit 1
		umount c1 || exit 1
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "100 concurrent rootfs-share, then 100 concurrent rootfs-release: all succeed, nothing left" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		for i in $(seq 100); do mkdir c$i; done
		pids=()
		for i in $(seq 100); do rootfs-share img c$i "$PWD/c$i" & pids+=($!); done
		for p in "${pids[@]}"; do wait $p; done
		[ "$(ls "$SHARED_ROOTFS_RUNDIR/shares" | wc -l)" = 100 ]
		[ "$(grep -c " $PWD/c[0-9]* " /proc/self/mountinfo)" = 100 ]
		[ "$(losetup -n -O BACK-FILE | grep -c "$PWD/img.img")" = 1 ]
		[ "$(grep -c " $SHARED_ROOTFS_RUNDIR/mnt/img " /proc/self/mountinfo)" = 1 ]
		pids=()
		for i in $(seq 100); do rootfs-release c$i --deactivate & pids+=($!); done
		for p in "${pids[@]}"; do wait $p; done
		[ -z "$(find "$SHARED_ROOTFS_RUNDIR/shares" "$SHARED_ROOTFS_RUNDIR/targets" -type f)" ]
		[ "$(grep -c " $PWD/c" /proc/self/mountinfo)" = 0 ]
		image-list | grep -qE "^img +file .* no +0 +-$"
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "the library in a threaded program: 8 threads, a state each, share and release at once" {
	# Lock levels held belong to a state, not to the process: two threads sharing at once
	# must not see each other's locks (-EDEADLK), and every record and mount must be exact.
	# SRFS_SHARE_THREADS: the same program built otherwise (make check-tsan: ThreadSanitizer).
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		image-activate -q img
		mkdir roots
		for mode in ro overlay; do
			"${SRFS_SHARE_THREADS:-$SRFS_BUILD/tests/helpers/share-threads}" img "$PWD/roots" 8 8 $mode >out
			grep -qx "held 64" out && grep -qx "released 64" out
			[ -z "$(find "$SHARED_ROOTFS_RUNDIR/shares" "$SHARED_ROOTFS_RUNDIR/targets" -type f)" ]
			[ -z "$(ls -A "$SHARED_ROOTFS_RUNDIR/upper" 2>/dev/null)" ]
			[ "$(grep -c " $PWD/roots/" /proc/self/mountinfo)" = 0 ]
			rmdir roots/*
		done
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "sharing again is a no-op; conflicts name the existing share; release by target and --lazy" {
	run in_mount_ns bash -c '
		source "$1/tests/helpers/share.bash"
		make_file_image img
		make_file_image other
		mkdir c1 c2
		rootfs-share img c1 "$PWD/c1" || exit 1
		rootfs-share img c1 "$PWD/c1" || exit 1
		[ "$(grep -c " $PWD/c1 " /proc/self/mountinfo)" = 1 ] || exit 1
		rootfs-share img c1 "$PWD/c2" 2>&1
		rootfs-share other c1 "$PWD/c1" 2>&1
		rootfs-share img c9 "$PWD/c1" 2>&1
		# A busy target: a clear error, or --lazy.
		(cd c1 && sleep 5) & h=$!
		for _ in $(seq 250); do [ /proc/$h/cwd -ef c1 ] && break; sleep 0.02; done
		rootfs-release c1 2>&1
		rootfs-release c1 --lazy || exit 1
		rootfs-share img c2 "$PWD/c2" || exit 1
		rootfs-release --target "$PWD/c2" || exit 1
		rootfs-release c2 2>&1
		rootfs-release c2 --ignore-missing || exit 1
		rootfs-release --target "$PWD/c2" 2>&1
		image-deactivate img && image-deactivate other
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
	assert_output "rootfs-share: container c1 already shares image img at $BATS_TEST_TMPDIR/c1
rootfs-share: container c1 already shares image img at $BATS_TEST_TMPDIR/c1
rootfs-share: target $BATS_TEST_TMPDIR/c1 is already mounted: it is the share of container c1
rootfs-release: target $BATS_TEST_TMPDIR/c1 of container c1 is busy (something runs in it; use --lazy to detach it anyway)
rootfs-release: unknown share c2
rootfs-release: no share at $BATS_TEST_TMPDIR/c2"
}

@test "bad input: one line naming the culprit, status 1 or 2, and nothing changed" {
	run in_mount_ns bash -c '
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir c1 && touch afile && ln -s c1 link && mkdir -p real/sub && ln -s real via
		image-activate -q img
		rootfs-share img keep "$PWD/c1" || exit 1
		before=$(state_snapshot)
		check() { # expected-status expected-message command...
			local want=$1 msg=$2; shift 2
			out=$("$@" 2>&1); rc=$?
			[ "$rc" = "$want" ] || { echo "$*: status $rc, not $want: $out"; exit 1; }
			[ "$out" = "$msg" ] || { echo "$*: message: $out"; exit 1; }
			[ "$(state_snapshot)" = "$before" ] || { echo "$*: state changed"; exit 1; }
		}
		mkdir c2
		check 1 "rootfs-share: unknown image nosuch" rootfs-share nosuch c2 "$PWD/c2"
		check 2 "rootfs-share: invalid image name '"'"'../x'"'"': must not start with '"'"'.'"'"' or '"'"'-'"'"'" rootfs-share ../x c2 "$PWD/c2"
		check 2 "rootfs-share: invalid container name '"'"''"'"': must not be empty" rootfs-share img "" "$PWD/c2"
		check 2 "rootfs-share: no target directory given (see '"'"'rootfs-share --help'"'"')" rootfs-share img c2
		check 2 "rootfs-share: unexpected argument '"'"'x'"'"' (see '"'"'rootfs-share --help'"'"')" rootfs-share img c2 "$PWD/c2" x
		check 1 "rootfs-share: target $PWD/missing does not exist" rootfs-share img c2 "$PWD/missing"
		check 1 "rootfs-share: target $PWD/afile is not a directory" rootfs-share img c2 "$PWD/afile"
		check 1 "rootfs-share: target $PWD/link is or passes through a symbolic link" rootfs-share img c2 "$PWD/link"
		check 1 "rootfs-share: target $PWD/via/sub is or passes through a symbolic link" rootfs-share img c2 "$PWD/via/sub"
		check 1 "rootfs-share: target $PWD/c1 is already mounted: it is the share of container keep" rootfs-share img c2 "$PWD/c1"
		check 1 "rootfs-share: target $SHARED_ROOTFS_RUNDIR is already a mount point" rootfs-share img c2 "$SHARED_ROOTFS_RUNDIR"
		check 2 "rootfs-release: no container name given (see '"'"'rootfs-release --help'"'"')" rootfs-release
		check 2 "rootfs-release: give a container ID or --target, not both (see '"'"'rootfs-release --help'"'"')" rootfs-release keep --target "$PWD/c1"
		check 1 "rootfs-release: unknown share nosuch" rootfs-release nosuch
		check 1 "image-deactivate: image img is shared by 1 container: keep (release them first, or use --lazy)" image-deactivate img
		check 1 "image-activate: unknown image nosuch" image-activate nosuch
		check 2 "image-deactivate: --lazy and --if-unused exclude each other (see '"'"'image-deactivate --help'"'"')" image-deactivate img --lazy --if-unused
		check 1 "image-remove: image img is shared by 1 container: keep (release them first)" image-remove img
		check 2 "rootfs-list: unexpected argument '"'"'b'"'"' (see '"'"'rootfs-list --help'"'"')" rootfs-list a b
		check 1 "mount.shared-rootfs: invalid container id '"'"'../x'"'"': must not start with '"'"'.'"'"' or '"'"'-'"'"'" mount.shared-rootfs img "$PWD/c2" -o id=../x
		[ "$(rootfs-list | wc -l)" = 2 ]
		rootfs-release keep --deactivate
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "image-deactivate --lazy: shares keep working; the next share activates the image again" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir c1 c2
		rootfs-share img c1 "$PWD/c1"
		image-deactivate --lazy img 2>&1 | grep -q "image img deactivated; its 1 share keeps it until released"
		[ "$(cat c1/etc/motd)" = "hello from img" ]
		[ "$(grep -c " $SHARED_ROOTFS_RUNDIR/mnt/img " /proc/self/mountinfo)" = 0 ]
		image-list | grep -qE "^img +file .* no +1 +-$"
		rootfs-share img c2 "$PWD/c2"
		image-list | grep -qE "^img +file .* yes +2 +-$"
		rootfs-release c1
		rootfs-release c2 --deactivate
		[ "$(grep -c " $PWD/c" /proc/self/mountinfo)" = 0 ]
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "a share whose image mount vanished is not made on the bare directory" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		image-activate -q img
		umount "$SHARED_ROOTFS_RUNDIR/mnt/img"    # the record says active; the mount is gone
		mkdir c1
		rootfs-share img c1 "$PWD/c1"
		[ "$(cat c1/etc/motd)" = "hello from img" ]
		mountinfo_of "$PWD/c1" | grep -q " ext4 /dev/loop"
		rootfs-release c1 --deactivate
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "--mode overlay: writes stay in the container, the image's files come from its one mount" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir o1 o2 ro1 keep
		before=$(cd "$(image-activate img)" && find . -type f -exec sha256sum {} + | sort)
		rootfs-share --mode overlay img o1 "$PWD/o1"
		rootfs-share --mode overlay img o2 "$PWD/o2" --upper-dir "$PWD/keep"
		rootfs-share img ro1 "$PWD/ro1"
		echo mine >o1/etc/motd
		echo new >o1/etc/added
		[ "$(cat o1/etc/motd)" = mine ]
		[ "$(cat o2/etc/motd)" = "hello from img" ]
		[ "$(cat ro1/etc/motd)" = "hello from img" ]
		[ ! -e o2/etc/added ]
		# The lower layer is the shared mount: the unchanged file is the image inode.
		ino=$(stat -c %i "$SHARED_ROOTFS_RUNDIR/mnt/img/etc/motd")
		[ "$(stat -c %i o2/etc/motd)" = "$ino" ] && [ "$(stat -c %i ro1/etc/motd)" = "$ino" ]
		# The upper directory is handed to the kernel through a descriptor opened without
		# symbolic links (mountinfo shows that /proc/self/fd path): its files land in keep/.
		mountinfo_of "$PWD/o2" | grep -q " - overlay .*lowerdir=$SHARED_ROOTFS_RUNDIR/mnt/img,upperdir=/proc/self/fd/[0-9]*/upper,"
		echo o2 >o2/etc/o2 && [ "$(cat keep/upper/etc/o2)" = o2 ] && rm o2/etc/o2
		mountinfo_of "$PWD/o1" | grep -q " rw,nosuid,nodev,"
		! mountinfo_of "$PWD/o1" | grep -qE "shared:|master:"
		rootfs-list | grep -qE "^o1 +img +overlay "
		# The image is unchanged.
		after=$(cd "$SHARED_ROOTFS_RUNDIR/mnt/img" && find . -type f -exec sha256sum {} + | sort)
		[ "$before" = "$after" ]
		# Release removes the upper directory, unless --keep-upper.
		[ -d "$SHARED_ROOTFS_RUNDIR/upper/o1/upper/etc" ]
		rootfs-release o1
		[ ! -e "$SHARED_ROOTFS_RUNDIR/upper/o1" ]
		echo kept >o2/etc/kept
		rootfs-release o2 --keep-upper
		[ "$(cat keep/upper/etc/kept)" = kept ] && [ ! -e keep/work ]
		# A later share with the same upper directory sees it again.
		rootfs-share --mode overlay img o2 "$PWD/o2" --upper-dir "$PWD/keep"
		[ "$(cat o2/etc/kept)" = kept ]
		rootfs-release o2
		[ -z "$(ls keep)" ]
		rootfs-release ro1 --deactivate
		[ "$(grep -cE " $PWD/(o[0-9]|ro1) " /proc/self/mountinfo)" = 0 ]
		# Mode conflicts and misuse are refused.
		rootfs-share img c1 "$PWD/o1"
		! rootfs-share --mode overlay img c1 "$PWD/o1" 2>err
		grep -qx "rootfs-share: container c1 already shares image img at $PWD/o1 in mode ro" err
		rootfs-release c1 --deactivate
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
	run rootfs-share img c1 /tmp --upper-dir /tmp
	assert_one_line_error "rootfs-share: --upper-dir goes with --mode overlay (see 'rootfs-share --help')"
	run rootfs-share img c1 /tmp --mode rw
	assert_one_line_error "rootfs-share: --mode: unknown mode 'rw' (ro, overlay or snapshot)"
}

@test "--mode overlay killed at each step: the next share completes it, a release leaves nothing" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir o1
		for step in rootfs-share:record rootfs-share:mount; do
			rc=0; SHARED_ROOTFS_CRASH_AT=$step rootfs-share --mode overlay img o1 "$PWD/o1" || rc=$?
			[ "$rc" = 137 ]
			rootfs-share --mode overlay img o1 "$PWD/o1"
			echo w >o1/etc/w
			[ "$(grep -c " $PWD/o1 " /proc/self/mountinfo)" = 1 ]
			rootfs-release o1
			rc=0; SHARED_ROOTFS_CRASH_AT=$step rootfs-share --mode overlay img o1 "$PWD/o1" || rc=$?
			[ "$rc" = 137 ]
			rootfs-release o1
			[ "$(grep -c " $PWD/o1 " /proc/self/mountinfo)" = 0 ]
			[ ! -e "$SHARED_ROOTFS_RUNDIR/upper/o1" ]
			[ -z "$(rootfs-list)" ]
		done
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}
