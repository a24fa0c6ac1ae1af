#!/usr/bin/env bats
# Bad input, table-driven (tests/bad-input.table), every row, against a real
# pool with an active pool image as well as a shared file image: each must
# fail with its status and exactly its one-line message, and change nothing
# (records, mounts, loop devices and the dm table compared before and after).

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share

setup() {
	pool_setup
	make_pool 512M
}
teardown() {
	unmount_test_tmpdir
	pool_teardown
}

@test "bad input across all tools, with a pool: status, one line naming the culprit, nothing changed" {
	bad_input_fixture >/dev/null
	image-create -q "$POOL" pimg --size 32M --from-tar good.tar
	mkdir pkeep
	rootfs-share pimg pkeep "$PWD/pkeep"
	truncate -s 64M other same
	export POOL
	run "$BATS_TEST_DIRNAME/../helpers/bad-input.sh" "$BATS_TEST_DIRNAME/../bad-input.table" --dm
	# (SRFS_BAD_INPUT_RECORD=1: what each row got, for writing rows.)
	[ -z "${SRFS_BAD_INPUT_RECORD:-}" ] || printf 'REC %s\n' "${lines[@]}" | sed "s|$BATS_TEST_TMPDIR|\$T|g; s|$POOL|\$P|g" >&3
	assert_success
	echo "# ${lines[-1]}" >&3
}
