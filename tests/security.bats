#!/usr/bin/env bats
# Who may run the tools, and what a symbolic link swapped in at the wrong
# moment can do: nothing.

load helpers/common
load helpers/share

TOOLS="thinpool-create thinpool-status thinpool-remove image-create image-remove image-list
	image-activate image-deactivate rootfs-share rootfs-release rootfs-list rootfs-bundle
	shared-rootfs-boot shared-rootfs-recover mount.shared-rootfs umount.shared-rootfs"

setup() {
	require_root
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	unmount_test_tmpdir
}

@test "every tool installed setuid refuses to run, before touching anything" {
	chmod 755 "$BATS_TEST_TMPDIR"
	for t in $TOOLS; do
		cp "$SRFS_BUILD/$t" "./$t" && chmod 4755 "./$t"
		run setpriv --reuid=65534 --regid=65534 --clear-groups "./$t" x y
		assert_failure
		assert_output --partial "refusing to run setuid or setgid"
		[ "${#lines[@]}" = 1 ] || fail "$t: ${#lines[@]} lines: $output"
	done
	[ ! -e "$SHARED_ROOTFS_RUNDIR" ] && [ ! -e "$SHARED_ROOTFS_STATEDIR" ]
}

@test "every tool run by another user says root is needed, before touching anything" {
	chmod 755 "$BATS_TEST_TMPDIR"
	for t in thinpool-create thinpool-remove image-create image-remove image-activate \
		image-deactivate rootfs-share rootfs-release rootfs-bundle shared-rootfs-recover; do
		case $t in
		thinpool-create) args="p --data /d --metadata /m" ;;
		image-create) args="p i --size 8M" ;;
		rootfs-share) args="img c1 /tmp" ;;
		rootfs-bundle) args="img c1 /tmp/b" ;;
		shared-rootfs-recover) args="" ;;
		*) args="x" ;;
		esac
		run setpriv --reuid=65534 --regid=65534 --clear-groups "$SRFS_BUILD/$t" $args
		assert_failure 1
		assert_output "$t: must be run as root (CAP_SYS_ADMIN is needed)"
	done
	[ ! -e "$SHARED_ROOTFS_RUNDIR" ] && [ ! -e "$SHARED_ROOTFS_STATEDIR" ]
}

@test "a target or its parent swapped for a symbolic link never redirects a share or a release" {
	run in_mount_ns bash -c '
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir -p p/t evil/t && ln -s evil p.alt && ln -s ../evil/t p/t.alt
		# The swapper exchanges p with a symbolic link to evil, and p/t with one to
		# evil/t (renameat2 RENAME_EXCHANGE: the path always exists), as fast as it can.
		python3 -c "
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
while True:
    libc.renameat2(-100, b\"p\", -100, b\"p.alt\", 2)
    libc.renameat2(-100, b\"p/t\", -100, b\"p/t.alt\", 2)
" &
		swapper=$!
		ok=0 refused=0 kept=0
		for i in $(seq 200); do
			if rootfs-share img "c$i" "$PWD/p/t" 2>err; then
				ok=$((ok + 1))
				# Refused while a link is in the way (the share stays): tried again.
				until rootfs-release "c$i" 2>err; do
					grep -q "symbolic link" err || { cat err; echo "ODD ERROR"; break 2; }
					kept=$((kept + 1))
					[ "$kept" -lt 1000 ] || { echo "ODD ERROR: release never succeeds"; break 2; }
				done
			else
				grep -q "symbolic link\|does not exist\|not a directory\|changed while" err || { cat err; echo "ODD ERROR"; break; }
				refused=$((refused + 1))
			fi
			mountpoint -q evil/t && { echo "REDIRECTED"; break; }
		done
		kill $swapper; wait $swapper 2>/dev/null
		# Put the directories back, then release what was refused while links were in the way.
		[ -L p ] && mv -T p p.tmp && mv -T p.alt p && mv -T p.tmp p.alt
		[ -L p/t ] && mv -T p/t p/t.tmp && mv -T p/t.alt p/t && mv -T p/t.tmp p/t.alt
		for id in $(cd "$SHARED_ROOTFS_RUNDIR/shares" && ls); do rootfs-release "$id"; done
		echo "shared $ok, refused $refused, releases refused $kept"
		[ -z "$(rootfs-list)" ] && ! mountpoint -q evil/t && ! mountpoint -q p/t
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
	refute_output --partial REDIRECTED
	refute_output --partial "ODD ERROR"
	echo "# ${lines[-1]}" >&3
}

@test "an upper directory, a target or a state directory behind a symbolic link is refused" {
	run in_mount_ns bash -c '
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir real c1 && ln -s real up && ln -s real tgt
		rootfs-share --mode overlay --upper-dir "$PWD/up" img c1 "$PWD/c1" 2>&1
		rootfs-share img c1 "$PWD/tgt" 2>&1
		rootfs-list >/dev/null
		umount -l "$SHARED_ROOTFS_RUNDIR" 2>/dev/null
		mv "$SHARED_ROOTFS_RUNDIR" run.real && ln -s run.real "$SHARED_ROOTFS_RUNDIR"
		rootfs-share img c1 "$PWD/c1" 2>&1
		rootfs-list 2>&1
		true
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
	assert_line "rootfs-share: upper directory $BATS_TEST_TMPDIR/up is or passes through a symbolic link"
	assert_line "rootfs-share: target $BATS_TEST_TMPDIR/tgt is or passes through a symbolic link"
	assert_line --partial "is a symbolic link"
}
