#!/usr/bin/env bats
# The share path under valgrind: no invalid access, no uninitialised value
# used, no leak (definite or indirect), in every tool a share/release cycle
# runs.  (The ASan build cannot run under valgrind: there the sanitizers do
# this job, so the suite says so and skips.)  Debian 12's valgrind does not
# know openat2, open_tree, move_mount, mount_setattr or fsopen: under it the
# tools take their fallbacks for kernels without them (open with O_NOFOLLOW,
# a bind mount remounted read-only), and the overlay mode, which has none,
# is left to the sanitizer run.  rootfs-share and rootfs-release are installed
# statically linked, where valgrind cannot replace malloc: their dynamically
# linked builds (*.dynamic, the same objects) are the ones checked.

load helpers/common
load helpers/share

setup() {
	require_root
	[ -z "${SRFS_SANITIZED:-}" ] || skip "tools built with ASan: the sanitizers check this run"
	command -v valgrind >/dev/null || fail "valgrind is not installed (tests/deps lists it)"
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	unmount_test_tmpdir
}

@test "a share/release cycle is clean under valgrind" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir c1 c2
		vg() {
			valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
				--errors-for-leak-kinds=definite,indirect --trace-children=no "$@"
		}
		vg "$SRFS_BUILD/image-activate" -q img
		vg "$SRFS_BUILD/rootfs-share.dynamic" img c1 "$PWD/c1"
		vg "$SRFS_BUILD/rootfs-share.dynamic" img c2 "$PWD/c2"
		vg "$SRFS_BUILD/rootfs-list" --json >/dev/null
		vg "$SRFS_BUILD/image-list" >/dev/null
		vg "$SRFS_BUILD/rootfs-release.dynamic" --target "$PWD/c1"
		vg "$SRFS_BUILD/rootfs-release.dynamic" c2
		vg "$SRFS_BUILD/shared-rootfs-recover"
		vg "$SRFS_BUILD/image-deactivate" img
		echo cycle-done
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
	assert_output --partial cycle-done
	# (Errors also make valgrind exit 99; its warnings about ioctls it does not know are not errors.)
	refute_output --regexp "== (Invalid|Conditional jump|Syscall param|Use of uninitialised|Mismatched|[0-9,]+ bytes in)"
}

@test "valgrind finds a leak when there is one (the check can fail)" {
	printf '#include <stdlib.h>\nint main(void){ void *p = malloc(64); p = 0; return p != 0; }\n' >leak.c
	cc -O0 -o leak leak.c
	run valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect ./leak
	assert_failure 99
}
