#!/usr/bin/env bats
# thinpool-* command lines: bad input is refused with one line, exit 2, and
# nothing is created. No device-mapper needed (parsing comes first).

load helpers/common

setup() { srfs_use_temp_state; }

refused() {
	local expected=$1
	shift
	run "$@"
	assert_equal "$status" 2
	[ "${#lines[@]}" -eq 1 ] || fail "expected one line, got: $output"
	assert_output "$expected"
	assert_not_exist "$SHARED_ROOTFS_RUNDIR"
	assert_not_exist "$SHARED_ROOTFS_STATEDIR"
	assert_not_exist "$BATS_TEST_TMPDIR/d"
}

@test "thinpool-create: bad pool names" {
	refused "thinpool-create: invalid pool name '../x': must not start with '.' or '-'" thinpool-create ../x
	refused "thinpool-create: invalid pool name 'a/b': only letters, digits, '_', '.' and '-' are allowed" thinpool-create a/b
	refused "thinpool-create: invalid pool name '': must not be empty" thinpool-create ""
	refused "thinpool-create: invalid pool name 'a\\nb': only letters, digits, '_', '.' and '-' are allowed" thinpool-create $'a\nb'
	long=$(printf 'x%.0s' $(seq 129))
	refused "thinpool-create: invalid pool name '$long': longer than 128 characters" thinpool-create "$long"
}

@test "thinpool-create: bad sizes and chunk sizes" {
	d=$BATS_TEST_TMPDIR/d
	refused "thinpool-create: --chunk-size: 100K is not a multiple of 64K from 64K to 1G (see 'thinpool-create --help')" thinpool-create p --data "$d" --metadata m --chunk-size 100K
	refused "thinpool-create: --chunk-size: 32K is not a multiple of 64K from 64K to 1G (see 'thinpool-create --help')" thinpool-create p --data "$d" --metadata m --chunk-size 32K
	refused "thinpool-create: --chunk-size: 2G is not a multiple of 64K from 64K to 1G (see 'thinpool-create --help')" thinpool-create p --data "$d" --metadata m --chunk-size 2G
	refused "thinpool-create: --data-size: invalid size '-1G' (a number with an optional K, M, G or T) (see 'thinpool-create --help')" thinpool-create p --data "$d" --metadata m --data-size -1G
	refused "thinpool-create: --data-size: invalid size '1.5G' (a number with an optional K, M, G or T) (see 'thinpool-create --help')" thinpool-create p --data "$d" --metadata m --data-size 1.5G
	refused "thinpool-create: --metadata-size: size '99999999999T' is too large (see 'thinpool-create --help')" thinpool-create p --data "$d" --metadata m --metadata-size 99999999999T
	refused "thinpool-create: --data-size: size must not be zero (see 'thinpool-create --help')" thinpool-create p --data "$d" --metadata m --data-size 0
	refused "thinpool-create: --low-water-mark: invalid number of chunks 'lots' (see 'thinpool-create --help')" thinpool-create p --data "$d" --metadata m --low-water-mark lots
}

@test "thinpool-create: missing, duplicate and extra arguments" {
	d=$BATS_TEST_TMPDIR/d
	refused "thinpool-create: no pool name given (see 'thinpool-create --help')" thinpool-create
	refused "thinpool-create: --data and --metadata go together (see 'thinpool-create --help')" thinpool-create p --data "$d"
	refused "thinpool-create: --data given twice (see 'thinpool-create --help')" thinpool-create p --data "$d" --data "$d" --metadata m
	refused "thinpool-create: unexpected argument 'extra' (see 'thinpool-create --help')" thinpool-create p extra
	refused "thinpool-create: --data-size and --metadata-size need --data and --metadata (see 'thinpool-create --help')" thinpool-create p --data-size 1G
	refused "thinpool-create: unknown option '--bogus' (see 'thinpool-create --help')" thinpool-create p --bogus
	refused "thinpool-create: option '--data' needs an argument (see 'thinpool-create --help')" thinpool-create p --data
}

@test "thinpool-remove and thinpool-status: bad input" {
	refused "thinpool-remove: no pool name given (see 'thinpool-remove --help')" thinpool-remove
	refused "thinpool-remove: --force only goes with --wipe (see 'thinpool-remove --help')" thinpool-remove p --force
	refused "thinpool-remove: invalid pool name '-p': must not start with '.' or '-'" thinpool-remove -- -p
	refused "thinpool-status: unexpected argument 'b' (see 'thinpool-status --help')" thinpool-status a b
	refused "thinpool-status: invalid pool name '.x': must not start with '.' or '-'" thinpool-status .x
}

@test "thinpool-status: an unknown pool is an error, an empty catalog is not" {
	run thinpool-status nope
	assert_failure
	assert_output "thinpool-status: unknown pool nope"
	run --separate-stderr thinpool-status nope --json
	assert_failure
	assert_output ""
	run thinpool-status --json
	assert_success
	assert_output '{
  "pools": [
  ]
}'
}

@test "--help and --version" {
	for tool in thinpool-create thinpool-status thinpool-remove; do
		run "$tool" --help
		assert_success
		assert_line --partial "Usage: $tool"
		run "$tool" --version
		assert_success
		assert_output --regexp "^$tool \(shared-rootfs\) [0-9]+\.[0-9]+\.[0-9]+$"
	done
}

@test "without device-mapper the tools say so" {
	grep -qw device-mapper /proc/devices && skip "this kernel has device-mapper (tested in the guest)"
	require_root
	run thinpool-create p --data "$BATS_TEST_TMPDIR/d" --data-size 1G --metadata "$BATS_TEST_TMPDIR/m" --metadata-size 8M
	assert_one_line_error "thinpool-create: device-mapper is not available in this kernel"
	assert_output --partial "load the dm-thin-pool module"
	assert_not_exist "$BATS_TEST_TMPDIR/d"
	# A stale control node (as "dmsetup ls" leaves behind) changes nothing.
	if [ ! -e /dev/mapper/control ]; then
		mkdir -p /dev/mapper && mknod /dev/mapper/control c 10 236
		run thinpool-create p --data "$BATS_TEST_TMPDIR/d" --data-size 1G --metadata "$BATS_TEST_TMPDIR/m" --metadata-size 8M
		rm -f /dev/mapper/control; rmdir /dev/mapper 2>/dev/null || true
		assert_one_line_error "thinpool-create: device-mapper is not available in this kernel (/dev/mapper/control: No such device"
	fi
}
