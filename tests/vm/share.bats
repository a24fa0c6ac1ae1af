#!/usr/bin/env bats
# Sharing pool-backed images on a real dm-thin kernel.

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share

setup() {
	pool_setup
	make_pool
	mkdir -p src/etc src/bin && echo "pool image" >src/etc/motd
	tar -C src -cf img.tar .
	image-create -q "$POOL" img --size 64M --from-tar img.tar
}
teardown() {
	for m in $(grep -o " $BATS_TEST_TMPDIR/[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m"; done
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
	assert_line --regexp "^img .* no +0$"
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
