# Helpers for suites that share images.

# An ext4 image file with a little content, registered as image $1 (default "img").
make_file_image() {
	local name=${1:-img}
	mkdir -p "$BATS_TEST_TMPDIR/tree/bin" "$BATS_TEST_TMPDIR/tree/etc"
	echo "hello from $name" >"$BATS_TEST_TMPDIR/tree/etc/motd"
	truncate -s 32M "$BATS_TEST_TMPDIR/$name.img"
	mkfs.ext4 -q -d "$BATS_TEST_TMPDIR/tree" "$BATS_TEST_TMPDIR/$name.img"
	image-create -q --source "$BATS_TEST_TMPDIR/$name.img" "$name"
}

# The mountinfo line of the mount at $1.
mountinfo_of() { awk -v t="$1" '$5 == t' /proc/self/mountinfo; }

# Everything a test leaves: records, the mount table, loop devices of this test.
state_snapshot() {
	(cd "$SHARED_ROOTFS_RUNDIR" 2>/dev/null && find shares images targets -type f 2>/dev/null | sort)
	grep -F "$BATS_TEST_TMPDIR" /proc/self/mountinfo | awk '{ print $5, $9, $10 }' | sort
	losetup -n -O NAME,BACK-FILE 2>/dev/null | grep -F "$BATS_TEST_TMPDIR" | sort
}

# Makes mount(8) and umount(8) find our helpers: an overlay on /usr/sbin (in
# this test's own mount namespace) with the built tools on top.  utab goes to
# the test's directory.
use_mount_helpers() {
	local dir=$BATS_TEST_TMPDIR/sbin
	mkdir -p "$dir"
	cp "$SRFS_BUILD"/mount.shared-rootfs "$SRFS_BUILD"/umount.shared-rootfs \
		"$SRFS_BUILD"/image-activate "$SRFS_BUILD"/image-deactivate "$dir"/
	mount -t overlay overlay -o "lowerdir=$dir:/usr/sbin" /usr/sbin
	export LIBMOUNT_UTAB=$BATS_TEST_TMPDIR/utab
}
