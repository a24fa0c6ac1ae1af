#!/usr/bin/env bats
# Crashes at every step of image-create and image-remove: the next command
# reconciles the catalog with the pool, and nothing is lost or leaked.

load ../helpers/common
load ../helpers/pool
load ../helpers/image

setup() {
	pool_setup
	make_pool
	mkdir -p src/etc && echo v1 >src/etc/version
	tar -C src -cf img.tar .
	image-create -q "$POOL" keep --size 64M --from-tar img.tar
}
teardown() { pool_teardown; }

# Runs "$@" with a crash (SIGKILL) right after STEP; it must die there.
crash_at() {
	local step=$1
	shift
	run env SHARED_ROOTFS_CRASH_AT="$step" "$@"
	[ "$status" -eq 137 ] || fail "expected a SIGKILL at $step, got status $status: $output"
}

# The image "keep" made before the crash is untouched.
assert_keep_intact() {
	mount_image keep mnt
	[ "$(cat mnt/etc/version)" = v1 ]
	unmount_image keep mnt
}

@test "image-create killed at each step: the next image-create of the name finishes the job" {
	for step in intent message record transaction device mkfs populate unmount; do
		crash_at "image-create:$step" image-create "$POOL" new --size 64M --from-tar img.tar
		# Whatever is left, the next command repairs it before doing its own work.
		run image-create "$POOL" new --size 64M --from-tar img.tar
		assert_success
		[ "$(image_field new sealed)" = true ]
		assert_nothing_left
		assert_keep_intact
		mount_image new mnt
		[ "$(cat mnt/etc/version)" = v1 ]
		unmount_image new mnt
		image-remove -q new
	done
}

@test "image-create killed at each step: image-remove of the name clears what is left" {
	for step in intent message record transaction device mkfs populate unmount; do
		crash_at "image-create:$step" image-create "$POOL" new --size 64M
		run image-remove new
		assert_success
		case $step in
		intent | message | record) # not committed: rolled back
			assert_output "image-remove: rolled back the interrupted creation of image new in pool $POOL" ;;
		*)	assert_line "image-remove: image new removed from pool $POOL (thin device 2)" ;;
		esac
		run image-list
		refute_output --partial "new "
		assert_nothing_left
		assert_keep_intact
	done
}

@test "image-remove killed at each step: the next command completes the removal" {
	for step in intent message transaction record; do
		image-create -q "$POOL" doomed --size 64M
		crash_at "image-remove:$step" image-remove doomed
		# Another image's creation in the same pool finishes the interrupted removal first.
		run image-create "$POOL" other --size 64M
		assert_success
		run image-list
		refute_output --partial doomed
		assert_nothing_left
		assert_keep_intact
		image-remove -q other
	done
}

@test "after crashes the pool's metadata is consistent (thin_check) and agrees with the catalog (thin_dump)" {
	crash_at image-create:message image-create "$POOL" a --size 64M
	crash_at image-remove:message image-remove keep
	run image-list        # listing changes nothing
	assert_file_exist "$SHARED_ROOTFS_STATEDIR/intents/$POOL"
	image-create -q "$POOL" b --size 64M
	run image-list
	refute_output --partial keep
	thinpool-remove -q "$POOL"
	run on_loop "$PWD/meta" thin_check
	assert_success
	on_loop "$PWD/meta" thin_dump >dump.xml
	dumped=$(grep -o 'dev_id="[0-9]*"' dump.xml | tr -dc '0-9\n' | sort -n | tr '\n' ' ')
	thinpool-create -q "$POOL"
	[ "$dumped" = "$(catalog_thin_ids)" ]
	# The transaction id counts the committed changes: keep, b, removal of keep.
	grep -q 'transaction="3"' dump.xml
}
