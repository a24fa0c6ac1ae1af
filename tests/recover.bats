#!/usr/bin/env bats
# shared-rootfs-recover on the host, with file-backed images: commands killed
# (SIGKILL) at each of their steps, then recover; nothing may be left that no
# record explains, and shares that worked must keep working.  The pool-backed
# steps are in tests/vm/recover.bats.

load helpers/common
load helpers/share

setup() {
	require_root
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	unmount_test_tmpdir
}

# Runs the rest of the test's script in a mount namespace of its own, with the helpers loaded.
ns() {
	run in_mount_ns bash -c "set -e; source '$BATS_TEST_DIRNAME/helpers/share.bash'; $1" _
}

@test "recover with no runtime directory, or an empty one, changes nothing and says nothing" {
	run shared-rootfs-recover
	assert_success
	assert_output ""
	[ ! -e "$SHARED_ROOTFS_RUNDIR" ]
	[ ! -e "$SHARED_ROOTFS_STATEDIR" ]
	mkdir -m 0700 "$SHARED_ROOTFS_RUNDIR" "$SHARED_ROOTFS_STATEDIR"
	before=$(find "$SHARED_ROOTFS_RUNDIR" "$SHARED_ROOTFS_STATEDIR" -printf '%p %m %s\n'; cat /proc/self/mountinfo | wc -l)
	run shared-rootfs-recover
	assert_success
	assert_output ""
	[ "$before" = "$(find "$SHARED_ROOTFS_RUNDIR" "$SHARED_ROOTFS_STATEDIR" -printf '%p %m %s\n'; cat /proc/self/mountinfo | wc -l)" ]
}

@test "recover: usage errors, not root" {
	run shared-rootfs-recover extra
	assert_failure 2
	assert_one_line_error "shared-rootfs-recover: unexpected argument 'extra' (see 'shared-rootfs-recover --help')"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$SRFS_BUILD/shared-rootfs-recover"
	assert_failure 1
	assert_output --partial "root"
}

@test "killed at each step of activation, sharing and release: recover leaves only what works" {
	ns '
		make_file_image img
		mkdir s0 o0 o0.upper c1
		# Survivors: a read-only share, and an overlay whose upper directory the caller chose.
		rootfs-share img s0 "$PWD/s0"
		rootfs-share --mode overlay --upper-dir "$PWD/o0.upper" img o0 "$PWD/o0"
		echo kept >o0/etc/written
		survivors() {
			[ "$(cat s0/etc/motd)" = "hello from img" ]
			[ "$(cat o0/etc/written)" = kept ]
			assert_consistent
		}
		crash() {
			local rc=0
			SHARED_ROOTFS_CRASH_AT=$1 "${@:2}" >/dev/null 2>&1 || rc=$?
			[ "$rc" = 137 ] || { echo "$1: status $rc" >&2; return 1; }
			shared-rootfs-recover
			survivors
			n=$((n + 1))
		}
		n=0
		# Activation of a second image: rolled back.
		make_file_image img2
		for step in image-activate:device image-activate:mount; do
			crash $step image-activate img2
			[ ! -e "$SHARED_ROOTFS_RUNDIR/images/img2" ]
		done
		# Deactivation: finished, also --lazy under a share.
		image-activate -q img2
		crash image-deactivate:unmount image-deactivate img2
		[ ! -e "$SHARED_ROOTFS_RUNDIR/images/img2" ]
		rootfs-share img2 c1 "$PWD/c1"
		crash image-deactivate:unmount image-deactivate --lazy img2
		[ "$(cat c1/etc/motd)" = "hello from img2" ]
		rootfs-release c1
		# Shares in both modes: killed before the mount, cleared; after it, kept.
		for mode in ro overlay; do
			crash rootfs-share:record rootfs-share --mode $mode img c1 "$PWD/c1"
			[ -z "$(rootfs-list | grep -w c1)" ]
			crash rootfs-share:mount rootfs-share --mode $mode img c1 "$PWD/c1"
			[ "$(cat c1/etc/motd)" = "hello from img" ]
			crash rootfs-release:unmount rootfs-release c1
			[ -z "$(rootfs-list | grep -w c1)" ]
			! mountpoint -q c1
		done
		[ ! -e "$SHARED_ROOTFS_RUNDIR/upper/c1" ]
		echo "crash points: $n"
		rootfs-release s0
		rootfs-release --keep-upper o0
		image-deactivate img
		[ "$(cat o0.upper/upper/etc/written)" = kept ]
		assert_consistent
	'
	assert_success
	assert_output --partial "crash points: 10"
}

@test "recover restores a lost target index entry and removes entries and directories no share owns" {
	ns '
		make_file_image img
		mkdir c1
		rootfs-share img c1 "$PWD/c1"
		rm "$SHARED_ROOTFS_RUNDIR"/targets/*
		printf "id=ghost\ntarget=/nowhere\n" >"$SHARED_ROOTFS_RUNDIR/targets/0123456789abcdef"
		mkdir -m 0700 "$SHARED_ROOTFS_RUNDIR/upper" && mkdir -p "$SHARED_ROOTFS_RUNDIR/upper/ghost/upper"
		out=$(shared-rootfs-recover 2>&1)
		echo "$out"
		[ "$(echo "$out" | wc -l)" = 2 ]
		grep -q "no share owns it" <<<"$out"
		grep -q "upper directory of container ghost" <<<"$out"
		assert_consistent
		# The index works again: release by target.
		rootfs-release --target "$PWD/c1"
		[ -z "$(shared-rootfs-recover 2>&1)" ]
	'
	assert_success
}

@test "recover while 50 containers share and release one image: all succeed, exact state" {
	ns '
		make_file_image img
		image-activate -q img
		for i in $(seq 50); do mkdir c$i; done
		for i in $(seq 50); do
			{ rootfs-share img c$i "$PWD/c$i" && rootfs-release c$i || echo "FAILED c$i"; } &
		done
		for i in 1 2 3 4 5; do shared-rootfs-recover || echo FAILED recover; done
		wait
		assert_consistent
		[ -z "$(rootfs-list)" ]
		image-deactivate img
		assert_consistent
	'
	assert_success
	refute_output --partial FAILED
}
