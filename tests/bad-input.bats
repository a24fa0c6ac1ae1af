#!/usr/bin/env bats
# Bad input, table-driven (tests/bad-input.table): every row must fail with its
# exit status and exactly its one-line message, and change nothing.  Here the
# rows that need no device-mapper, with file images; tests/vm/bad-input.bats
# runs them all against a pool.

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

@test "bad input across all tools: status, one line naming the culprit, nothing changed" {
	run in_mount_ns bash -c '
		source "$1/tests/helpers/share.bash"
		bad_input_fixture >/dev/null
		"$1/tests/helpers/bad-input.sh" "$1/tests/bad-input.table"
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
	echo "# ${lines[-1]}" >&3
}
