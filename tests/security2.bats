#!/usr/bin/env bats
# What a container can do to the host through what it is given: its root (an
# overlay upper directory), the mount namespace a helper enters, the file an
# image is made from.

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

@test "a tree deeper than the descriptor limit in an overlay share's upper: release and recover remove it" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir o1 o2 outside && echo keep >outside/file
		rootfs-share --mode overlay img o1 "$PWD/o1"
		rootfs-share --mode overlay img o2 "$PWD/o2"
		# What a container can write into its root: 1,500 levels, and links leading out.
		for c in o1 o2; do
			python3 -c "
import os, sys
os.chdir(sys.argv[1])
for i in range(1500):
    os.mkdir(\"d\"); os.chdir(\"d\"); open(\"f\", \"w\").close()
os.symlink(sys.argv[2], \"out\"); os.symlink(sys.argv[2] + \"/file\", \"file-out\")
" "$PWD/$c" "$PWD/outside"
		done
		ulimit -n 64
		rootfs-release o1
		[ ! -e "$SHARED_ROOTFS_RUNDIR/upper/o1" ]
		# Recovery removes the upper directory of a share whose mount is gone.
		umount "$PWD/o2"
		shared-rootfs-recover
		[ ! -e "$SHARED_ROOTFS_RUNDIR/upper/o2" ]
		[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/shares")" ] && [ -z "$(ls "$SHARED_ROOTFS_RUNDIR/upper")" ]
		[ "$(cat outside/file)" = keep ]
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}
