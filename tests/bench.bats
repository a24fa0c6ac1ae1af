#!/usr/bin/env bats
# The benchmark's machinery (not its figures: performance is never a timed
# test): a tiny host-only run of bench/run makes every table, the targets
# and the plots, and leaves nothing mounted or attached.

load helpers/common

setup() {
	require_root
	cd "$BATS_TEST_TMPDIR"
}

@test "bench/run (tiny, host only) writes the table, the targets and the plots, and cleans up" {
	run in_mount_ns env BENCH_VM=0 BENCH_BIG=30 BENCH_CYCLES=5 BENCH_OUT="$BATS_TEST_TMPDIR/out" \
		"$BATS_TEST_DIRNAME/../bench/run" 4
	assert_success
	for section in "CLI level, host" "In-process level, host" "One share+release cycle, host" \
		"Per-share cost as shares accumulate" "### Targets"; do
		grep -qF "$section" out/results.md || fail "no '$section' in results.md"
	done
	for mode in shared overlay-mode overlay2; do
		grep -q "^| $mode |" out/results.md || fail "no row for $mode"
		[ "$(grep -c '^create ' "out/cli-$mode")" = 4 ] && [ "$(grep -c '^delete ' "out/inproc-$mode")" = 4 ]
	done
	# The floor: the bind alone, in process only.
	grep -q "^| bind (the mount alone: the floor) |" out/results.md
	[ "$(grep -c '^create ' out/inproc-bind)" = 4 ] && [ ! -e out/cli-bind ]
	grep -q "the bind alone, with no record or lock" out/results.md
	grep -Eq "^\| CLI \(host\): shared create\+delete at least 3x faster than overlay2 \| (pass|MISS) \|" out/results.md
	ls out/start.png out/cumulative.png
	[ -z "$(ls /tmp | grep '^srfs-bench\.')" ]
	! grep -q srfs-bench /proc/self/mountinfo
	[ -z "$(losetup -n -O BACK-FILE | grep srfs-bench)" ]
}

@test "bench/idmap (tiny) prints plain, idmap and copy+chown side by side and the page cache, and cleans up" {
	run in_mount_ns env BENCH_FILES=300 "$BATS_TEST_DIRNAME/../bench/idmap" 3
	assert_success
	assert_line --regexp '^  demo \([0-9]+ files\) +[0-9.]+ ms +[0-9.]+ ms +[0-9.]+ ms +[0-9.]+x +[0-9.]+x$'
	assert_line --regexp '^  300 files +[0-9.]+ ms +[0-9.]+ ms +[0-9.]+ ms +[0-9.]+x +[0-9.]+x$'
	assert_line --regexp '^  containers 2\.\.20 read [0-9]+ sectors in all'
	[ -z "$(ls /tmp | grep '^srfs-bench-idmap\.')" ]
	! grep -q srfs-bench /proc/self/mountinfo
	[ -z "$(losetup -n -O BACK-FILE | grep srfs-bench)" ]
}

@test "bench/engines (tiny, host only) times shared, wrapper and overlay2 containers through crun side by side, and cleans up" {
	command -v crun >/dev/null || skip "crun is not installed (package crun)"
	run in_mount_ns env BENCH_HOST_ONLY=1 "$BATS_TEST_DIRNAME/../bench/engines" 3 2
	assert_success
	assert_line "| | shared | wrapper | overlay2 |"
	for r in "3 in a row: median" "3 in a row: p99" "2 at once: median" "2 at once: p99" \
		"in a row: prepare, median" "in a row: crun run, median" "in a row: release, median"; do
		assert_line --regexp "^\| $r \| [0-9.]+ \| [0-9.]+ \([0-9.]+x\) \| [0-9.]+ \([0-9.]+x\) \|$"
	done
	[ -z "$(ls /tmp | grep '^srfs-bench-engines\.')" ]
	! grep -q srfs-bench /proc/self/mountinfo
	[ -z "$(losetup -n -O BACK-FILE | grep srfs-bench)" ]
}
