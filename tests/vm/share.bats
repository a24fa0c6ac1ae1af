#!/usr/bin/env bats
# Sharing pool-backed images on a real dm-thin kernel.

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share

setup() {
	pool_setup
	make_pool
	make_pool_image
}
teardown() {
	unmount_test_tmpdir
	mountpoint -q /usr/sbin && umount -l /usr/sbin || true
	pool_teardown
}

@test "activation: a read-only thin device, mounted once without journal replay; deactivation removes it" {
	run image-activate img
	assert_success
	assert_output "$SHARED_ROOTFS_RUNDIR/mnt/img"
	run dmsetup info -c --noheadings -o attr "srfs-img:img"
	assert_output --regexp 'r$'        # read-only
	[ "$(dmsetup table "srfs-img:img" | awk '{ print $3, $5 }')" = "thin 1" ]
	mountinfo_of "$SHARED_ROOTFS_RUNDIR/mnt/img" | grep -q " ro,nosuid,nodev,.* - ext4 /dev/dm-[0-9]* ro,.*norecovery"
	run image-activate img
	assert_output "$SHARED_ROOTFS_RUNDIR/mnt/img"
	[ "$(dmsetup ls | grep -c 'srfs-img:img')" = 1 ]
	run thinpool-remove "$POOL"
	assert_one_line_error "thinpool-remove: pool $POOL has 1 active thin device: srfs-img:img (deactivate them first)"
	run image-deactivate img
	assert_success
	run dmsetup info "srfs-img:img"
	assert_failure
}

@test "100 containers share a pool image: no device per container, one page cache, read-only" {
	for i in $(seq 100); do mkdir c$i; rootfs-share img c$i "$PWD/c$i"; done
	[ "$(dmsetup ls | grep -c "srfs-")" = 2 ]     # the pool and the image, nothing per container
	ref=$(stat -c '%d %i' "$SHARED_ROOTFS_RUNDIR/mnt/img/etc/motd")
	for i in 1 50 100; do [ "$(stat -c '%d %i' c$i/etc/motd)" = "$ref" ]; done
	run touch c3/etc/new
	assert_failure
	assert_output --partial "Read-only file system"
	for i in $(seq 100); do rootfs-release c$i; done
	[ -z "$(rootfs-list)" ]
	image-deactivate img
	[ "$(dmsetup ls | grep -c "srfs-img:")" = 0 ]
}

@test "100 concurrent shares and releases of a pool image; --deactivate removes the device" {
	for i in $(seq 100); do mkdir c$i; done
	for i in $(seq 100); do rootfs-share img c$i "$PWD/c$i" & done
	wait
	[ "$(find "$SHARED_ROOTFS_RUNDIR/shares" -type f | wc -l)" = 100 ]
	[ "$(grep -c " $PWD/c[0-9]* " /proc/self/mountinfo)" = 100 ]
	[ "$(dmsetup ls | grep -c "srfs-img:img")" = 1 ]
	for i in $(seq 100); do rootfs-release --deactivate c$i & done
	wait
	[ -z "$(find "$SHARED_ROOTFS_RUNDIR/shares" "$SHARED_ROOTFS_RUNDIR/targets" -type f)" ]
	[ "$(grep -c " $PWD/c" /proc/self/mountinfo)" = 0 ]
	[ "$(dmsetup ls | grep -c "srfs-img:")" = 0 ]
}

@test "deactivate --lazy: the device is removed by the kernel with the last share; re-activation takes it back" {
	mkdir c1 c2 c3
	rootfs-share img c1 "$PWD/c1"
	rootfs-share img c2 "$PWD/c2"
	run image-deactivate img
	assert_one_line_error "image-deactivate: image img is shared by 2 containers: c1, c2 (release them first, or use --lazy)"
	run image-deactivate --lazy img
	assert_success
	[ "$(cat c1/etc/motd)" = "pool image" ]
	dmsetup info "srfs-img:img" | grep -q "DEFERRED REMOVE"
	# Sharing again cancels the deferred removal and uses the same device (one page cache still).
	rootfs-share img c3 "$PWD/c3"
	[ "$(stat -c %d c3/etc/motd)" = "$(stat -c %d c1/etc/motd)" ]
	image-deactivate --lazy img
	rootfs-release c1
	rootfs-release c2
	run dmsetup info "srfs-img:img"
	assert_success                      # c3 still holds it
	rootfs-release c3
	run dmsetup info "srfs-img:img"
	assert_failure                      # gone with the last share
}

@test "sharing an image of an inactive pool says what to do; nothing is left" {
	thinpool-remove -q "$POOL"
	mkdir c1
	run rootfs-share img c1 "$PWD/c1"
	assert_one_line_error "rootfs-share: pool $POOL of image img is not active (activate it with: thinpool-create $POOL)"
	[ -z "$(rootfs-list)" ]
	run image-list
	assert_line --regexp "^img .* no +0 +-$"
}

@test "mount -t shared-rootfs of a pool image through mount(8) and umount(8)" {
	use_mount_helpers
	mkdir c1
	mount -t shared-rootfs img "$PWD/c1" -o id=web
	[ "$(cat c1/etc/motd)" = "pool image" ]
	findmnt -n -o OPTIONS "$PWD/c1" | grep -q "^ro,nosuid,nodev"
	umount "$PWD/c1"
	[ -z "$(rootfs-list)" ]
	image-deactivate img
}

@test "killed at each step of activation, sharing and release, the next command puts things right" {
	mkdir c1
	crash() { run env SHARED_ROOTFS_CRASH_AT="$1" "${@:2}"; [ "$status" -eq 137 ] || fail "$1: status $status: $output"; }
	for step in image-activate:device image-activate:mount; do
		crash "$step" image-activate img
		run image-activate img
		assert_success
		[ "$(grep -c " $SHARED_ROOTFS_RUNDIR/mnt/img " /proc/self/mountinfo)" = 1 ]
		image-deactivate img
		[ "$(dmsetup ls | grep -c 'srfs-img:')" = 0 ]
	done
	image-activate -q img
	crash image-deactivate:unmount image-deactivate img
	run image-activate img           # the device was left: taken back
	assert_success
	image-deactivate img
	for step in rootfs-share:record rootfs-share:mount; do
		crash "$step" rootfs-share img c1 "$PWD/c1"
		run rootfs-share img c1 "$PWD/c1"    # the same share again completes it
		assert_success
		[ "$(grep -c " $PWD/c1 " /proc/self/mountinfo)" = 1 ]
		rootfs-release c1
		crash "$step" rootfs-share img c1 "$PWD/c1"
		run rootfs-release c1                # or releasing it clears it
		assert_success
		[ "$(grep -c " $PWD/c1 " /proc/self/mountinfo)" = 0 ]
		[ -z "$(rootfs-list)" ]
	done
	rootfs-share img c1 "$PWD/c1"
	crash rootfs-release:unmount rootfs-release c1
	run rootfs-release c1
	assert_success
	[ -z "$(rootfs-list)" ]
	[ -z "$(find "$SHARED_ROOTFS_RUNDIR/targets" -type f)" ]
	image-deactivate img
	[ "$(dmsetup ls | grep -c 'srfs-img:')" = 0 ]
}

@test "--mode snapshot: a thin snapshot device per container, writable, gone without a trace on release" {
	before=$(image-activate img >/dev/null && cd "$SHARED_ROOTFS_RUNDIR/mnt/img" && find . -type f -exec sha256sum {} + | sort)
	mkdir s1 s2 r1
	rootfs-share img r1 "$PWD/r1"          # the image is active and shared read-only meanwhile
	rootfs-share --mode snapshot img s1 "$PWD/s1"
	rootfs-share --mode snapshot img s2 "$PWD/s2"
	echo mine >s1/etc/motd
	[ "$(cat s2/etc/motd)" = "pool image" ]
	[ "$(cat r1/etc/motd)" = "pool image" ]
	# A device of its own per container, in the pool and in the catalog.
	[ "$(dmsetup table srfs-snap:s1 | awk '{ print $3, $5 }')" = "thin 2" ]
	[ "$(stat -c %d s1/etc/motd)" != "$(stat -c %d s2/etc/motd)" ]
	mountinfo_of "$PWD/s1" | grep -q " rw,nosuid,nodev,.* - ext4 /dev/dm-"
	assert_pool_matches_catalog
	rootfs-list | grep -qE "^s1 +img +snapshot "
	run thinpool-status "$POOL" --json
	assert_output --partial '"thin_devices": 3'
	# Sharing it again changes nothing; another mode for it is refused.
	rootfs-share --mode snapshot img s1 "$PWD/s1"
	[ "$(cat s1/etc/motd)" = mine ]
	run rootfs-share img s1 "$PWD/s1"
	assert_one_line_error "rootfs-share: container s1 already shares image img at $PWD/s1 in mode snapshot"

	run rootfs-release s1
	assert_success
	run dmsetup info srfs-snap:s1
	assert_failure
	rootfs-release --target "$PWD/s2"
	rootfs-release r1 --deactivate
	assert_pool_matches_catalog
	[ "$(pool_thin_ids)" = "1 " ]
	[ -z "$(rootfs-list)" ]
	after=$(image-activate img >/dev/null && cd "$SHARED_ROOTFS_RUNDIR/mnt/img" && find . -type f -exec sha256sum {} + | sort)
	[ "$before" = "$after" ]
	image-deactivate img
}

@test "--mode snapshot: killed at each step, the next share or release leaves nothing behind" {
	mkdir s1
	for step in image-create:intent image-create:message image-create:record rootfs-share:record rootfs-share:device rootfs-share:mount; do
		run env SHARED_ROOTFS_CRASH_AT=$step rootfs-share --mode snapshot img s1 "$PWD/s1"
		[ "$status" -ne 0 ] || fail "$step: not killed"
		# Either a new share completes it, or a release clears it.
		if [ "${step#rootfs-share}" != "$step" ]; then
			run rootfs-release s1
		else
			run rootfs-share --mode snapshot img s1 "$PWD/s1"
			assert_success
			run rootfs-release s1
		fi
		assert_success
		image-list >/dev/null    # (lists without repairing)
		thinpool-create -q "$POOL"
		run image-create "$POOL" probe --size 8M   # any pool change completes what is pending
		assert_success
		image-remove -q probe
		[ "$(grep -c " $PWD/s1 " /proc/self/mountinfo)" = 0 ]
		[ "$(dmsetup ls | grep -c "srfs-snap:")" = 0 ]
		[ -z "$(rootfs-list)" ]
		[ "$(pool_thin_ids)" = "1 " ] || fail "$step: thin ids $(pool_thin_ids)"
		assert_pool_matches_catalog
	done
}

@test "--mode snapshot is for pool images; --mode overlay works on them too" {
	truncate -s 16M f.img && mkfs.ext4 -q f.img
	image-create -q --source "$PWD/f.img" fileimg
	mkdir s1 o1
	run rootfs-share --mode snapshot fileimg s1 "$PWD/s1"
	assert_one_line_error "rootfs-share: image fileimg is not in a thin pool: --mode snapshot needs one"
	[ -z "$(rootfs-list)" ]
	rootfs-share --mode overlay img o1 "$PWD/o1"
	echo x >o1/etc/new
	[ "$(stat -c %i o1/etc/motd)" = "$(stat -c %i "$SHARED_ROOTFS_RUNDIR/mnt/img/etc/motd")" ]
	rootfs-release o1 --deactivate
	[ "$(dmsetup ls | grep -c "srfs-img:")" = 0 ]
}

@test "--mode snapshot, released --lazy while busy: the device goes with its last user, the thin id after it" {
	mkdir s1
	rootfs-share --mode snapshot img s1 "$PWD/s1"
	(cd s1 && exec sleep 30) &
	holder=$!
	# Busy from the moment the holder's working directory is in it (polled, not slept on:
	# the guest may be slow to get there).
	for _ in $(seq 300); do [ /proc/$holder/cwd -ef s1 ] && break; sleep 0.1; done
	[ /proc/$holder/cwd -ef s1 ]
	run rootfs-release s1
	assert_one_line_error "rootfs-release: target $PWD/s1 of container s1 is busy (something runs in it; use --lazy to detach it anyway)"
	run rootfs-release s1 --lazy
	assert_success
	[ -z "$(rootfs-list)" ]
	dmsetup info srfs-snap:s1 | grep -q "DEFERRED REMOVE"
	grep -q '^released=1$' "$SHARED_ROOTFS_STATEDIR/snapshots/s1"
	kill $holder; wait $holder || true
	# The kernel removes the device once the last user is gone (its own work, after exit).
	for _ in $(seq 300); do dmsetup info srfs-snap:s1 >/dev/null 2>&1 || break; sleep 0.1; done
	run dmsetup info srfs-snap:s1
	assert_failure
	# The next change of the pool deletes the thin id.
	image-create -q "$POOL" probe --size 8M
	image-remove -q probe
	assert_file_not_exist "$SHARED_ROOTFS_STATEDIR/snapshots/s1"
	[ "$(pool_thin_ids)" = "1 " ]
}
