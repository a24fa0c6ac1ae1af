#!/usr/bin/env bats
# shared-rootfs-recover on a real dm-thin pool: every command killed (SIGKILL)
# at each of its steps, then recover; afterwards no mount, loop device, dm
# device, thin id, upper directory or record is left that no record explains,
# the catalog matches thin_ls, and the shares that worked still work.  And
# many commands at once on one pool.

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
	pool_teardown
	dmsetup remove --retry "srfs-${POOL}b" 2>/dev/null || true
}

# Kills "$2..." at step $1, runs shared-rootfs-recover, and checks everything.
crash() {
	run env SHARED_ROOTFS_CRASH_AT="$1" "${@:2}"
	# (A snapshot share's helper is what dies: the tool that ran it says so.)
	[ "$status" -eq 137 ] || [[ $status = 1 && $output = *"was killed by signal 9"* ]] ||
		fail "$1: status $status: $output"
	run shared-rootfs-recover
	[ "$status" -eq 0 ] || fail "$1: recover failed: $output"
	survivors || fail "$1: a surviving share broke"
	assert_consistent || fail "$1: inconsistent after recover"
	CRASHES=$((CRASHES + 1))
}

@test "killed at every step of every command, recover leaves nothing behind and keeps what works" {
	CRASHES=0
	mkdir s0 o0 o0.upper n0 c1
	# Survivors: a read-only share, an overlay with a chosen upper directory, a snapshot.
	rootfs-share img s0 "$PWD/s0"
	rootfs-share --mode overlay --upper-dir "$PWD/o0.upper" img o0 "$PWD/o0"
	rootfs-share --mode snapshot img n0 "$PWD/n0"
	echo kept >o0/etc/written
	echo mine >n0/etc/written
	survivors() {
		[ "$(cat s0/etc/motd)" = "pool image" ] && [ "$(cat o0/etc/written)" = kept ] &&
			[ "$(cat n0/etc/written)" = mine ]
	}
	assert_consistent

	# Pools: a second one, killed while being created and removed.
	for step in thinpool-create:device thinpool-create:record; do
		crash "$step" thinpool-create "${POOL}b" --data "$PWD/data2" --data-size 256M \
			--metadata "$PWD/meta2" --metadata-size 8M
		run thinpool-create "${POOL}b" --data "$PWD/data2" --metadata "$PWD/meta2"
		assert_success
		dmsetup info "srfs-${POOL}b" >/dev/null
		thinpool-remove "${POOL}b" --wipe
	done
	thinpool-create -q "${POOL}b" --data "$PWD/data2" --data-size 256M --metadata "$PWD/meta2" --metadata-size 8M
	crash thinpool-remove:device thinpool-remove "${POOL}b"
	[ ! -e "$SHARED_ROOTFS_RUNDIR/pools/${POOL}b" ]
	thinpool-remove "${POOL}b" --wipe

	# Images: a creation killed anywhere is rolled back, a removal is completed.
	for step in intent message record transaction device mkfs populate unmount; do
		crash "image-create:$step" image-create "$POOL" new --size 32M --from-tar img.tar
		run image-list
		refute_line --partial "new "
	done
	for step in intent message transaction record; do
		image-create -q "$POOL" gone --size 32M
		crash "image-remove:$step" image-remove gone
		run image-list
		refute_line --partial "gone "
	done

	# Activation and deactivation of a second image.
	image-create -q "$POOL" img2 --size 32M --from-tar img.tar
	for step in device mount; do
		crash "image-activate:$step" image-activate img2
		[ ! -e "$SHARED_ROOTFS_RUNDIR/images/img2" ]
		! dmsetup info srfs-img:img2 >/dev/null 2>&1
	done
	image-activate -q img2
	crash image-deactivate:unmount image-deactivate img2
	rootfs-share img2 c1 "$PWD/c1"
	crash image-deactivate:unmount image-deactivate --lazy img2
	[ "$(cat c1/etc/motd)" = "pool image" ]
	rootfs-release c1
	! dmsetup info srfs-img:img2 >/dev/null 2>&1

	# Shares in every mode: killed before their mount, cleared; after it, kept.
	for mode in ro overlay snapshot; do
		steps="rootfs-share:record"
		[ $mode = snapshot ] && steps="image-create:intent image-create:message image-create:record
			image-create:transaction rootfs-share:record rootfs-share:device"
		for step in $steps; do
			crash "$step" rootfs-share --mode $mode img c1 "$PWD/c1"
			run rootfs-list
			refute_line --regexp "^c1 "
		done
		crash rootfs-share:mount rootfs-share --mode $mode img c1 "$PWD/c1"
		[ "$(cat c1/etc/motd)" = "pool image" ]
		steps="rootfs-release:unmount"
		[ $mode = snapshot ] && steps="$steps image-remove:intent image-remove:message
			image-remove:transaction image-remove:record"
		for step in $steps; do
			mountpoint -q c1 || rootfs-share --mode $mode img c1 "$PWD/c1"
			crash "$step" rootfs-release c1
			run rootfs-list
			refute_line --regexp "^c1 "
			! mountpoint -q c1
		done
	done
	echo "# crash points tested: $CRASHES" >&3

	rootfs-release s0
	rootfs-release --keep-upper o0
	rootfs-release n0
	image-deactivate img
	[ "$(cat o0.upper/upper/etc/written)" = kept ]
	assert_consistent
	[ -z "$(dmsetup ls | grep 'srfs-\(img\|snap\|build\):')" ]
	[ "$(pool_thin_ids)" = "$(catalog_thin_ids)" ]
}

@test "200 shares and releases at once on one image, while other images are created, activated and lazily deactivated" {
	image-create -q "$POOL" other --size 32M --from-tar img.tar
	image-activate -q img
	for i in $(seq 200); do mkdir "c$i"; done
	log=$BATS_TEST_TMPDIR/log
	: >"$log"
	# The churn: other images of the same pool.
	(
		for i in 1 2 3 4; do
			image-activate -q other || echo "FAILED activate other" >>"$log"
			image-create -q "$POOL" "new$i" --size 32M --from-tar img.tar || echo "FAILED create new$i" >>"$log"
			image-deactivate --lazy other || echo "FAILED deactivate other" >>"$log"
		done
	) &
	churn=$!
	for i in $(seq 200); do
		{
			out=$(rootfs-share img "c$i" "$PWD/c$i" 2>&1 && rootfs-release "c$i" 2>&1) ||
				echo "FAILED c$i: $out" >>"$log"
		} &
	done
	wait
	run cat "$log"
	assert_output ""
	run rootfs-list
	assert_output ""
	run image-list
	for i in 1 2 3 4; do assert_line --regexp "^new$i "; done
	assert_consistent
	# And 100 shares that stay, made at once: exactly 100 records, 100 mounts, one device.
	for i in $(seq 100); do rootfs-share img "c$i" "$PWD/c$i" || echo "FAILED c$i" >>"$log" & done
	wait
	run cat "$log"
	assert_output ""
	[ "$(ls "$SHARED_ROOTFS_RUNDIR/shares" | wc -l)" = 100 ]
	[ "$(awk -v d="$PWD/c" 'index($5, d) == 1' /proc/self/mountinfo | wc -l)" = 100 ]
	[ "$(dmsetup ls | grep -c '^srfs-img:img')" = 1 ]
	assert_consistent
	for i in $(seq 100); do rootfs-release "c$i" & done
	wait
	image-deactivate img
	assert_consistent
	echo "# concurrent operations: 400 share/release, 100 shares, 12 image commands" >&3
}
