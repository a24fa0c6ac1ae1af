#!/usr/bin/env bats
# thinpool-create, thinpool-status and thinpool-remove on a real dm-thin kernel.

load ../helpers/common
load ../helpers/pool

setup() { pool_setup; }
teardown() { pool_teardown; }

@test "a pool from sparse files: created, status agrees with dmsetup, data survives remove and re-create" {
	run thinpool-create "$POOL" --data "$PWD/data" --data-size 512M --metadata "$PWD/meta" --metadata-size 16M
	assert_success
	assert_output --partial "pool $POOL created (device srfs-$POOL"
	assert_file_exist data
	[ "$(loops_of_test)" = 2 ]

	# thinpool-status and dmsetup status agree.
	read -r _ _ _ tid meta data _ < <(dmsetup status "srfs-$POOL")
	run thinpool-status "$POOL" --json
	assert_success
	echo "$output" >status.json
	run python3 -S -c "
import json; p = json.load(open('status.json'))['pools'][0]
print(p['active'], p['mode'], p['transaction_id'], p['metadata_used'] // 4096, p['metadata_total'] // 4096,
      p['data_used'] // 65536, p['data_total'] // 65536, p['chunk_size'], p['needs_check'])"
	assert_output "True rw $tid ${meta%/*} ${meta#*/} ${data%/*} ${data#*/} 65536 False"
	run thinpool-status
	assert_line --regexp "^$POOL +rw +64K +0/512M +[0-9.]+[KM]/16M +0 +0 +no +0 +0$"

	# Data written into a thin device survives deactivation and re-activation.
	thin=$(make_thin 1 "$POOL-t1" 64)
	mkfs.ext4 -q -E nodiscard "$thin"
	mkdir mnt && mount "$thin" mnt && echo "kept" >mnt/file && umount mnt

	run thinpool-remove "$POOL"
	assert_failure
	assert_output "thinpool-remove: pool $POOL has 1 active thin device: $POOL-t1 (deactivate them first)"
	dmsetup remove "$POOL-t1"

	run thinpool-remove "$POOL"
	assert_success
	assert_output "thinpool-remove: pool $POOL deactivated"
	run dmsetup info "srfs-$POOL"
	assert_failure
	[ "$(loops_of_test)" = 0 ]   # the pool's own loop devices went with it
	run on_loop "$PWD/meta" thin_check
	assert_success

	# A reboot: the runtime directory is gone; the catalog brings the pool back.
	rm -rf "$SHARED_ROOTFS_RUNDIR"
	run thinpool-create "$POOL"
	assert_success
	assert_output --partial "pool $POOL activated"
	thin=$(make_thin 1 "$POOL-t1" 64)
	mount -o ro "$thin" mnt
	run cat mnt/file
	assert_output "kept"
	umount mnt
	dmsetup remove "$POOL-t1"
	run thinpool-status "$POOL" --json
	assert_output --partial '"transaction_id": 0'
}

@test "running thinpool-create again on an active pool succeeds and says so" {
	thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta" --metadata-size 8M
	run thinpool-create "$POOL" --data "$PWD/data" --metadata "$PWD/meta"
	assert_success
	assert_output "thinpool-create: pool $POOL is already active"
	run thinpool-create "$POOL"
	assert_output "thinpool-create: pool $POOL is already active"
	[ "$(loops_of_test)" = 2 ]
}

@test "a pool on loop block devices keeps them attached when it is removed" {
	truncate -s 256M data && truncate -s 8M meta
	data_dev=$(losetup -f --show data)
	meta_dev=$(losetup -f --show meta)
	run thinpool-create "$POOL" --data "$data_dev" --metadata "$meta_dev"
	assert_success
	run table_of "srfs-$POOL"
	assert_output "0 524288 thin-pool $(devno_of "$meta_dev") $(devno_of "$data_dev") 128 0 1 skip_block_zeroing"
	run thinpool-create "$POOL" --data "$data_dev" --metadata "$meta_dev"
	assert_success
	assert_output "thinpool-create: pool $POOL is already active"
	run thinpool-remove "$POOL"
	assert_success
	losetup "$data_dev" && losetup "$meta_dev"   # not ours to detach
	run thinpool-create "$POOL"
	assert_success
	assert_output --partial "activated"
}

@test "options reach the table: chunk size, low water mark, error_if_no_space, no discard, zeroing" {
	run thinpool-create "$POOL" --data "$PWD/d" --data-size 1G --metadata "$PWD/m" --metadata-size 8M \
		--chunk-size 256K --low-water-mark 10 --error-if-no-space --no-discard --zero-blocks
	assert_success
	run table_of "srfs-$POOL"
	assert_output --regexp "^0 2097152 thin-pool [0-9:]+ [0-9:]+ 512 10 2 ignore_discard error_if_no_space$"
	run thinpool-status "$POOL" --json
	assert_output --partial '"chunk_size": 262144'
	assert_output --partial '"low_water_mark": 10'
	assert_output --partial '"error_if_no_space": true'
}

@test "a device with a file system is refused without --force, and nothing is left" {
	truncate -s 256M data && mkfs.ext4 -q data
	truncate -s 8M meta
	run thinpool-create "$POOL" --data "$PWD/data" --metadata "$PWD/meta"
	assert_failure
	assert_output "thinpool-create: data $PWD/data carries ext4; refusing to overwrite it (use --force)"
	run dmsetup info "srfs-$POOL"
	assert_failure
	assert_not_exist "$SHARED_ROOTFS_STATEDIR/pools/$POOL"
	[ "$(loops_of_test)" = 0 ]
	run blkid -o value -s TYPE data
	assert_output "ext4"

	run thinpool-create "$POOL" --data "$PWD/data" --metadata "$PWD/meta" --force
	assert_success
	assert_line "thinpool-create: data $PWD/data carries ext4; overwriting it (--force)"
}

@test "a partition table on the metadata device is refused" {
	truncate -s 256M data && truncate -s 8M meta
	printf 'label: dos\n,\n' | sfdisk -q meta
	run thinpool-create "$POOL" --data "$PWD/data" --metadata "$PWD/meta"
	assert_failure
	assert_output "thinpool-create: metadata $PWD/meta carries partition table dos; refusing to overwrite it (use --force)"
}

@test "metadata too small for the data is refused with the size that would work" {
	run thinpool-create "$POOL" --data "$PWD/data" --data-size 100G --metadata "$PWD/meta" --metadata-size 2M
	assert_failure
	assert_output "thinpool-create: metadata $PWD/meta is too small: 2M for 100G of data in 64K chunks needs at least 75M (48 bytes per chunk, 2M minimum)"
	# The files it created for this attempt are gone again.
	assert_not_exist data
	assert_not_exist meta
	run thinpool-create "$POOL" --data "$PWD/data" --data-size 100G --metadata "$PWD/meta" --metadata-size 75M
	assert_success
}

@test "a pool already active with other devices is refused" {
	truncate -s 256M d1 d2 && truncate -s 8M m1 m2
	d1=$(losetup -f --show d1); m1=$(losetup -f --show m1)
	dd if=/dev/zero of="$m1" bs=4096 count=1 status=none
	# Someone else's pool under our device name, not in the catalog.
	dmsetup create "srfs-$POOL" --table "0 524288 thin-pool $(devno_of "$m1") $(devno_of "$d1") 128 0 0"
	run thinpool-create "$POOL" --data "$PWD/d2" --metadata "$PWD/m2"
	assert_failure
	assert_output "thinpool-create: pool $POOL is already active with other devices (data $(devno_of "$d1"), metadata $(devno_of "$m1"))"
	assert_not_exist "$SHARED_ROOTFS_STATEDIR/pools/$POOL"
}

@test "a known pool refuses other devices than it was created with" {
	thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta" --metadata-size 8M
	thinpool-remove "$POOL"
	truncate -s 256M other
	run thinpool-create "$POOL" --data "$PWD/other" --metadata "$PWD/meta"
	assert_failure
	assert_output "thinpool-create: pool $POOL was created with data $PWD/data, not $PWD/other"
	run thinpool-create "$POOL" --data "$PWD/data" --metadata "$PWD/meta" --chunk-size 128K
	assert_output "thinpool-create: pool $POOL has a chunk size of 64K, which cannot be changed"
	rm data
	run thinpool-create "$POOL"
	assert_output "thinpool-create: data $PWD/data of pool $POOL is missing"
}

@test "metadata that already holds a pool is activated without being written" {
	thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta" --metadata-size 8M
	thin=$(make_thin 7 "$POOL-t7" 32)
	mkfs.ext4 -q -E nodiscard "$thin"
	dmsetup remove "$POOL-t7"
	thinpool-remove "$POOL"
	# The catalog is lost; the metadata still has the pool.
	rm -rf "$SHARED_ROOTFS_STATEDIR"
	run thinpool-create "$POOL" --data "$PWD/data" --metadata "$PWD/meta"
	assert_success
	assert_output "thinpool-create: pool $POOL activated from metadata $PWD/meta, which already held it, without changes (device srfs-$POOL, $(dmsetup info -c --noheadings -o major,minor --separator : "srfs-$POOL" | tr -d ' '))"
	thin=$(make_thin 7 "$POOL-t7" 32)
	run blkid -o value -s TYPE "$thin"
	assert_output ext4
	dmsetup remove "$POOL-t7"
	thinpool-remove "$POOL"
	run on_loop "$PWD/meta" thin_ls --no-headers -o DEV
	assert_output --regexp "^ *7 *$"
}

@test "one file given as both data and metadata is refused" {
	truncate -s 256M both
	ln -s both alias
	run thinpool-create "$POOL" --data "$PWD/both" --metadata "$PWD/alias"
	assert_failure
	assert_output "thinpool-create: data and metadata are the same device $PWD/both"
	[ "$(loops_of_test)" = 0 ]
}

@test "a table the kernel refuses fails with one line and leaves nothing (no udev)" {
	thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta" --metadata-size 8M
	thinpool-remove "$POOL"
	rm -rf "$SHARED_ROOTFS_STATEDIR"
	run thinpool-create "$POOL" --data "$PWD/data" --metadata "$PWD/meta" --chunk-size 128K
	assert_one_line_error "thinpool-create: cannot activate pool $POOL (device srfs-$POOL; the kernel log says why): "
	run dmsetup info "srfs-$POOL"
	assert_failure
	assert_not_exist "$SHARED_ROOTFS_STATEDIR/pools/$POOL"
	[ "$(loops_of_test)" = 0 ]
}

@test "a busy block device is refused" {
	truncate -s 256M data && truncate -s 8M meta
	mkfs.ext4 -q data
	data_dev=$(losetup -f --show data)
	mkdir mnt && mount "$data_dev" mnt
	run thinpool-create "$POOL" --data "$data_dev" --metadata "$PWD/meta" --force
	umount mnt
	assert_failure
	assert_output "thinpool-create: data device $data_dev is busy (mounted, or in use by another device)"
}

@test "thinpool-remove --wipe forgets the pool and deletes the files it created, not others" {
	truncate -s 8M meta
	thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta"
	mkdir -p "$SHARED_ROOTFS_STATEDIR/images"
	printf 'pool=%s\n' "$POOL" >"$SHARED_ROOTFS_STATEDIR/images/img1"
	run thinpool-remove "$POOL" --wipe
	assert_failure
	assert_output "thinpool-remove: pool $POOL still holds 1 image: img1 (remove them, or use --force to wipe them with the pool)"
	run dmsetup info "srfs-$POOL"
	assert_success   # still active: nothing was done
	run thinpool-remove "$POOL" --wipe --force
	assert_success
	assert_not_exist data      # created by thinpool-create
	assert_file_exist meta     # given by the user
	assert_not_exist "$SHARED_ROOTFS_STATEDIR/pools/$POOL"
	run thinpool-status "$POOL"
	assert_output "thinpool-status: unknown pool $POOL"
}

@test "an inactive pool is listed as inactive" {
	thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta" --metadata-size 8M
	thinpool-remove "$POOL"
	run thinpool-status
	assert_line --regexp "^$POOL +inactive +64K +- +- +- +0 +- +0 +0$"
	run thinpool-status --json
	assert_output --partial '"active": false'
	# Images of the pool in the catalog are counted (active or not).
	mkdir -p -m 0700 "$SHARED_ROOTFS_STATEDIR/images"
	printf 'pool=%s\n' "$POOL" >"$SHARED_ROOTFS_STATEDIR/images/img1"
	printf 'pool=%s\n' other >"$SHARED_ROOTFS_STATEDIR/images/img2"
	run thinpool-status "$POOL"
	assert_success
	assert_line --regexp "^$POOL +inactive .* +1 +0$"
	thinpool-create "$POOL"
	run thinpool-status "$POOL" --json
	assert_success
	assert_output --partial '"thin_devices": 1,'
}

@test "not root: refused before anything is touched" {
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$SRFS_BUILD/thinpool-create" "$POOL" --data /tmp/x --data-size 1G --metadata /tmp/y --metadata-size 8M
	assert_failure
	assert_output "thinpool-create: must be run as root (CAP_SYS_ADMIN is needed)"
	assert_not_exist /tmp/x
	assert_not_exist "$SHARED_ROOTFS_RUNDIR"
}
