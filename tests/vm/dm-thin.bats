#!/usr/bin/env bats
# The kernel features the project stands on, in the guest: a dm-thin pool on
# loop devices, a thin device with a file system, a snapshot of it, and the
# pool's metadata checked from outside by thin-provisioning-tools.

load ../helpers/common

setup() {
	require_root
	require_dm
	cd "$BATS_TEST_TMPDIR"
	truncate -s 256M data
	truncate -s 16M meta
	DATA=$(losetup -f --show data)
	META=$(losetup -f --show meta)
	POOL=srfs-test-pool-$$
}

teardown() {
	umount -q "$BATS_TEST_TMPDIR"/mnt* 2>/dev/null || true
	for dev in "$POOL-snap" "$POOL-thin" "$POOL"; do
		dmsetup remove --retry "$dev" 2>/dev/null || true
	done
	losetup -d "$DATA" "$META" 2>/dev/null || true
}

devno() { cat "/sys/block/${1#/dev/}/dev"; }

@test "thin pool, thin device, file system, snapshot" {
	dd if=/dev/zero of="$META" bs=4096 count=1 status=none
	dmsetup create "$POOL" --table "0 $((256 * 2048)) thin-pool $(devno "$META") $(devno "$DATA") 128 32768 1 skip_block_zeroing"
	pool_devno=$(dmsetup info -c --noheadings -o major,minor --separator : "$POOL")

	dmsetup message "$POOL" 0 "create_thin 1"
	dmsetup create "$POOL-thin" --table "0 $((128 * 2048)) thin $pool_devno 1"
	thin=/dev/dm-$(dmsetup info -c --noheadings -o minor "$POOL-thin" | tr -d ' ')
	mkfs.ext4 -q -E nodiscard "$thin"
	mkdir mnt mnt2
	mount "$thin" mnt
	echo "written before the snapshot" >mnt/file
	umount mnt

	dmsetup suspend "$POOL-thin"
	dmsetup message "$POOL" 0 "create_snap 2 1"
	dmsetup resume "$POOL-thin"
	dmsetup create "$POOL-snap" --table "0 $((128 * 2048)) thin $pool_devno 2"
	snap=/dev/dm-$(dmsetup info -c --noheadings -o minor "$POOL-snap" | tr -d ' ')

	# The origin changes; the snapshot keeps what it had.
	mount "$thin" mnt
	echo "changed" >mnt/file
	umount mnt
	mount -o ro "$snap" mnt2
	run cat mnt2/file
	assert_output "written before the snapshot"
	umount mnt2

	run dmsetup status "$POOL"
	assert_output --regexp "thin-pool 0 [0-9]+/4096 [0-9]+/4096 - rw"

	dmsetup remove "$POOL-snap"
	dmsetup remove "$POOL-thin"
	dmsetup remove "$POOL"
	run thin_check "$META"
	assert_success
	run bash -c "thin_ls --no-headers -o DEV '$META' | tr -d ' '"
	assert_output "1
2"
}
