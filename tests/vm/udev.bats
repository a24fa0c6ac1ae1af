#!/usr/bin/env bats
# With udev running: libdevmapper's udev cookies are used and always waited
# for, so /dev/mapper nodes exist when a command returns and no semaphore
# leaks, also when the kernel refuses a table.

load ../helpers/common
load ../helpers/pool

# The daemon must not keep bats' output descriptors open, or bats waits for it.
start_udevd() {
	/lib/systemd/systemd-udevd --daemon </dev/null >/dev/null 2>&1 3>&-
	udevadm settle -t 30
}

stop_udevd() {
	udevadm control --exit 2>/dev/null || pkill -x systemd-udevd || true
	for _ in $(seq 50); do pgrep -x systemd-udevd >/dev/null || return 0; sleep 0.1; done
}

setup_file() {
	[ -e /run/udev/control ] && return 0
	start_udevd
	echo started >"$BATS_FILE_TMPDIR/udevd"
}

teardown_file() {
	# Leave the guest as it was: no udevd and no stale control socket, which
	# would make dmsetup (not our tools) wait for udev in later suites.
	if [ -e "$BATS_FILE_TMPDIR/udevd" ]; then
		stop_udevd
		rm -f /run/udev/control
	fi
}

@test "a control socket left by a udevd that is gone does not make the tools wait" {
	[ -e "$BATS_FILE_TMPDIR/udevd" ] || skip "udev was already running before this suite"
	stop_udevd
	# The socket file stays behind; nothing answers it.
	if [ ! -e /run/udev/control ]; then
		python3 -S -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind("/run/udev/control")'
	fi
	run timeout 60 thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta" --metadata-size 8M
	assert_success
	run timeout 60 thinpool-remove "$POOL"
	assert_success
	# Start it again for the tests that follow.
	rm -f /run/udev/control
	start_udevd
}

setup() {
	pool_setup
	[ "$BATS_TEST_DESCRIPTION" = "a control socket left by a udevd that is gone does not make the tools wait" ] ||
		udevadm control --ping || fail "udev is not running"
	semaphores_before=$(ipcs -s | grep -c '^0x' || true)
}

teardown() { pool_teardown; }

assert_no_semaphore_leaked() {
	run bash -c "ipcs -s | grep -c '^0x' || true"
	assert_output "$semaphores_before"
}

@test "with udev, the pool's /dev/mapper node is there when thinpool-create returns, and gone after remove" {
	run thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta" --metadata-size 8M
	assert_success
	# No udevadm settle: the cookie wait is what makes this hold.
	assert_link_exist "/dev/mapper/srfs-$POOL"
	assert_no_semaphore_leaked
	run thinpool-remove "$POOL"
	assert_success
	assert_not_exist "/dev/mapper/srfs-$POOL"
	assert_no_semaphore_leaked
}

@test "with udev, a table the kernel refuses fails cleanly and leaks no semaphore" {
	thinpool-create "$POOL" --data "$PWD/data" --data-size 256M --metadata "$PWD/meta" --metadata-size 8M
	thinpool-remove "$POOL"
	rm -rf "$SHARED_ROOTFS_STATEDIR"
	# The metadata holds a pool of 64K chunks: the kernel refuses 128K.
	run thinpool-create "$POOL" --data "$PWD/data" --metadata "$PWD/meta" --chunk-size 128K
	assert_failure
	assert_one_line_error "thinpool-create: cannot activate pool $POOL (device srfs-$POOL; the kernel log says why): "
	assert_no_semaphore_leaked
	assert_not_exist "/dev/mapper/srfs-$POOL"
	run dmsetup info "srfs-$POOL"
	assert_failure
	assert_not_exist "$SHARED_ROOTFS_STATEDIR/pools/$POOL"
	[ "$(loops_of_test)" = 0 ]
}
