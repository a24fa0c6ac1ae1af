# Shared set-up for every bats suite (host and VM).
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

: "${SRFS_BUILD:=$(cd "$BATS_TEST_DIRNAME/.." && while [ ! -f Makefile ]; do cd ..; done && pwd)/build}"
export SRFS_BUILD
export PATH="$SRFS_BUILD:$PATH"
STATE_TOOL=$SRFS_BUILD/tests/helpers/state-tool

# The B= that makes a make run from the tree at $1 use the build under test
# ($SRFS_BUILD) instead of building one of its own.
srfs_make_b() {
	realpath -m --relative-to="$1" "$SRFS_BUILD"
}

# Each test gets its own state directories under its temporary directory.
srfs_use_temp_state() {
	export SHARED_ROOTFS_RUNDIR="$BATS_TEST_TMPDIR/run"
	export SHARED_ROOTFS_STATEDIR="$BATS_TEST_TMPDIR/lib"
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# Tests that need the device-mapper kernel must run in the guest, never pass
# silently elsewhere: outside the guest they fail.
require_dm() {
	if ! grep -qw device-mapper /proc/devices; then
		fail "device-mapper is not available in this kernel: run this suite with 'make check-vm'"
	fi
}

# Unmounts (lazily, deepest first) whatever a test left mounted under its temporary directory.
unmount_test_tmpdir() {
	local m
	for m in $(grep -o " $BATS_TEST_TMPDIR/[^ ]*" /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
}

# Runs "$@" in a new private mount namespace: whatever it mounts is gone when it ends.
in_mount_ns() {
	unshare --mount --propagation private -- "$@"
}

# bats runs a DEBUG trap before every command of a test, in the functions it calls too,
# to tell where a test failed.  In the qemu guest that costs milliseconds a command, and
# helpers that run a few hundred bash commands to check state took seconds for it: they
# are written as subshell functions that drop the trap first,
#   helper() (
#   	trap - DEBUG    # (see common.bash)
#   	...
#   )
# and bats reports a failure in them at the line that called them.

# Exactly one line, and it names what it should.
assert_one_line_error() {
	assert_failure
	[ "${#lines[@]}" -eq 1 ] || fail "expected a one-line message, got ${#lines[@]} lines: $output"
	assert_output --partial "$1"
}
