#!/usr/bin/env bats
# The qemu harness itself: status, output, failures and hangs reach the host.

load helpers/common

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

@test "the guest runs Debian's kernel with device-mapper, and its exit status comes back" {
	run "$TOP/tests/vm/run" -t 300 -- bash -c 'grep -w device-mapper /proc/devices; echo "uid=$(id -u)"; exit 7'
	assert_equal "$status" 7
	assert_line --regexp '^[0-9]+ device-mapper$'
	assert_line "uid=0"
}

@test "--overlay-root: the guest writes to its root, the host sees none of it" {
	probe=/usr/share/srfs-overlay-probe-$$
	run "$TOP/tests/vm/run" --overlay-root -t 300 -- bash -c "findmnt -n -o FSTYPE /
		echo written >$probe && cat $probe && ls /run/srfs-overlay/upper/usr/share
		touch /run/srfs-overlay/upper/x"
	assert_failure                                  # the layers are shown read-only
	assert_line overlay
	assert_line written
	assert_line "srfs-overlay-probe-$$"
	assert_file_not_exist "$probe"
}

@test "a failing test inside the guest makes make check-vm fail" {
	run make -C "$TOP" --no-print-directory check-vm B="$(srfs_make_b "$TOP")" \
		VM_SUITES=tests/vm/selftest/fails.bats
	assert_failure
	assert_line "not ok 1 a test that fails inside the guest"
}

@test "a guest that hangs is killed after the timeout and counts as a failure" {
	run "$TOP/tests/vm/run" -t 20 -- sleep 600
	assert_failure
	assert_line "vm: guest killed after 20s"
}

@test "the harness rejects a missing command" {
	run "$TOP/tests/vm/run" -t 20
	assert_equal "$status" 2
	assert_line "vm: no command given"
}
