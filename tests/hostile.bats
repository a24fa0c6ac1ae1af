#!/usr/bin/env bats
# What a container can write -- its root, its upper directory, the directories
# above its target -- and what a careless caller can pass, tried against the
# share path: none of it may make the tools unmount, delete or trust the
# wrong thing, forget a mount, or hang.

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

@test "an upper directory's parent swapped after the share: release deletes nothing elsewhere" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir -p c1 c2 a/up b/up victim/up/upper victim/up/work
		echo precious >victim/up/upper/file && echo precious >victim/up/work/file
		rootfs-share --mode overlay --upper-dir "$PWD/a/up" img c1 "$PWD/c1"
		rootfs-share --mode overlay --upper-dir "$PWD/b/up" img c2 "$PWD/c2"
		echo written >c1/etc/w && echo written >c2/etc/w
		# c1: its upper directory'"'"'s parent becomes a symbolic link to the victim.
		mv a a.real && ln -s victim a
		# c2: its parent is replaced by a real directory holding a look-alike.
		mv b b.real && mkdir -p b/up/upper && echo other >b/up/upper/file
		rootfs-release c1 2>err1
		rootfs-release c2 2>err2
		cat err1 err2
		[ "$(cat victim/up/upper/file)" = precious ] && [ "$(cat victim/up/work/file)" = precious ]
		[ "$(cat b/up/upper/file)" = other ]
		# What the containers wrote is left where it is, and said so.
		[ "$(cat a.real/up/upper/etc/w)" = written ] && [ "$(cat b.real/up/upper/etc/w)" = written ]
		grep -q "upper directory $PWD/a/up of container c1 is left as it is" err1
		grep -q "upper directory $PWD/b/up of container c2 is left as it is" err2
		[ -z "$(rootfs-list)" ] && [ "$(grep -c " $PWD/c[12] " /proc/self/mountinfo)" = 0 ]
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "a target whose parent was renamed is released where it is now; a covered one is kept" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir -p p/t c2
		rootfs-share img c1 "$PWD/p/t"
		mv p p2
		rootfs-release c1
		! mountpoint -q p2/t
		[ -z "$(rootfs-list)" ]
		# Another mount stacked on the target: refused, naming it, and nothing forgotten.
		rootfs-share img c2 "$PWD/c2"
		mount -t tmpfs cover c2
		! rootfs-release c2 2>err
		cat err
		grep -qx "rootfs-release: the share of container c2 at $PWD/c2 is covered by another mount: unmount that one first" err
		[ "$(rootfs-list | tail -n +2 | wc -l)" = 1 ]
		! image-deactivate img 2>err && grep -q "shared by 1 container: c2" err
		umount c2
		rootfs-release c2 --deactivate
		[ -z "$(rootfs-list)" ] && [ "$(grep -c " $PWD/c2 " /proc/self/mountinfo)" = 0 ]
		[ -z "$(losetup -n -O BACK-FILE | grep -F "$PWD/img.img")" ]
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "a target in the runtime or catalog directory, on the image, or in /proc is refused" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir c1 && rootfs-share img c1 "$PWD/c1"
		before=$(state_snapshot)
		run=$SHARED_ROOTFS_RUNDIR
		for t in "$run/shares" "$run/targets" "$run/locks" "$SHARED_ROOTFS_STATEDIR/images"; do
			mkdir -p "$t"
			! rootfs-share img c2 "$t" 2>err
			grep -qx "rootfs-share: target $t is inside a state directory of shared-rootfs" err
		done
		! rootfs-share img c2 "$run/mnt/img/etc" 2>err
		grep -qx "rootfs-share: target $run/mnt/img/etc is inside a state directory of shared-rootfs" err
		! rootfs-share img c2 "$PWD/c1/etc" 2>err
		grep -qx "rootfs-share: target $PWD/c1/etc is on image img'"'"'s own file system (its mount or a share of it)" err
		for t in /proc/sys /sys/kernel; do
			! rootfs-share img c2 "$t" 2>err
			grep -qx "rootfs-share: target $t is in /proc or /sys" err
		done
		[ "$(state_snapshot)" = "$before" ]
		rootfs-release c1 --deactivate
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "recover never acts on records found under a mount on the runtime directory" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir c1 victim && echo precious >victim/file
		rootfs-share img c1 "$PWD/c1"
		# Forged records: a share whose upper directory is the victim.
		mkdir forged && printf "image=img\ntarget=%s\nmode=overlay\ndev=0:1\nsince=1\nupper=%s\nupper_default=1\n" \
			"$PWD/nowhere" "$PWD/victim" >forged/evil
		mount --bind forged "$SHARED_ROOTFS_RUNDIR/shares"
		! shared-rootfs-recover 2>err
		grep -q "state directory $SHARED_ROOTFS_RUNDIR/shares has something mounted on it" err
		# Nothing was acted on: not the victim, not the real share'"'"'s index entry.
		[ "$(ls "$SHARED_ROOTFS_RUNDIR/targets" | wc -l)" = 1 ]
		! rootfs-share img c2 "$PWD/c1" 2>/dev/null
		[ "$(cat victim/file)" = precious ]
		umount "$SHARED_ROOTFS_RUNDIR/shares"
		rootfs-release c1 --deactivate
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "two containers racing for one target: exactly one share, the index names it" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		image-activate -q img
		mkdir t
		for i in $(seq 60); do
			rootfs-share img a$i "$PWD/t" 2>/dev/null & a=$!
			rootfs-share img b$i "$PWD/t" 2>/dev/null & b=$!
			ok=0
			wait $a && ok=$((ok + 1)) || true
			wait $b && ok=$((ok + 1)) || true
			[ "$ok" = 1 ] || { echo "round $i: $ok shares succeeded"; exit 1; }
			[ "$(grep -c " $PWD/t " /proc/self/mountinfo)" = 1 ]
			owner=$(sed -n "s/^id=//p" "$SHARED_ROOTFS_RUNDIR"/targets/*)
			[ -f "$SHARED_ROOTFS_RUNDIR/shares/$owner" ]
			rootfs-release "$owner"
		done
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "a claim whose share is still being made is not taken over by another container" {
	# Container a is stopped right after claiming the target, before its record exists:
	# b must see a share in progress (its lock is held), not a stale claim.
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		image-activate -q img
		mkdir t
		SHARED_ROOTFS_STOP_AT=rootfs-share:claim rootfs-share img a "$PWD/t" & a=$!
		until [ "$(ps -o stat= -p $a)" = T ]; do sleep 0.05; done
		! rootfs-share img b "$PWD/t" 2>err
		kill -CONT $a && wait $a
		cat err
		grep -qx "rootfs-share: target $PWD/t is already the target of container a" err
		[ "$(grep -c " $PWD/t " /proc/self/mountinfo)" = 1 ]
		[ "$(rootfs-list | tail -n +2 | wc -l)" = 1 ] && rootfs-list | grep -q "^a "
		rootfs-release a --deactivate
		# A claim left by a share that died (its lock is free) is taken over.
		SHARED_ROOTFS_CRASH_AT=rootfs-share:claim rootfs-share img c "$PWD/t" || [ $? = 137 ]
		rootfs-share img d "$PWD/t"
		rootfs-list | grep -q "^d " && rootfs-release d --deactivate
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "a corrupt share record, or a FIFO in its place, is reported, skipped and set aside" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		make_file_image other
		mkdir c1 c2
		rootfs-share img c1 "$PWD/c1"
		rootfs-share other c2 "$PWD/c2"
		echo garbage >"$SHARED_ROOTFS_RUNDIR/shares/bad"
		mkfifo "$SHARED_ROOTFS_RUNDIR/shares/fifo"
		timeout 10 rootfs-list >out 2>err
		grep -q "^c1 " out && grep -q "^c2 " out && [ "$(wc -l <out)" = 3 ]
		grep -q "runtime record of share bad is corrupt" err
		grep -q "runtime record of share fifo is corrupt: not a regular file" err
		# Unrelated images are not held up by them.
		rootfs-release c2
		timeout 10 image-deactivate other
		! timeout 10 rootfs-release fifo 2>err
		grep -q "runtime record of share fifo is corrupt" err
		timeout 10 shared-rootfs-recover 2>err || { cat err; false; }
		[ ! -e "$SHARED_ROOTFS_RUNDIR/shares/bad" ] && [ ! -e "$SHARED_ROOTFS_RUNDIR/shares/fifo" ]
		[ "$(ls "$SHARED_ROOTFS_RUNDIR/quarantine" | grep -c "^bad\.[0-9]*$")" = 1 ]
		[ "$(ls "$SHARED_ROOTFS_RUNDIR/quarantine" | grep -c "^fifo\.[0-9]*$")" = 1 ]
		timeout 10 rootfs-list 2>err >out && [ ! -s err ]
		rootfs-release c1 --deactivate
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "lock files do not pile up, and a refused command leaves none" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir t
		for i in $(seq 200); do rootfs-share img c$i "$PWD/t" && rootfs-release c$i; done
		pids=()
		for i in $(seq 50); do mkdir d$i; (rootfs-share img d$i "$PWD/d$i" && rootfs-release d$i) & pids+=($!); done
		for p in "${pids[@]}"; do wait $p; done
		[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/locks")" ] || { ls "$SHARED_ROOTFS_RUNDIR/locks"; false; }
		! rootfs-share nosuchimage c1 "$PWD/t" 2>/dev/null
		! rootfs-release nosuchshare 2>/dev/null
		[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/locks")" ] || { ls "$SHARED_ROOTFS_RUNDIR/locks"; false; }
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "rootfs-list escapes a target's control characters: a name cannot forge a line" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		t=$PWD/$'"'"'x\nevil   img   ro'"'"'
		mkdir "$t"
		rootfs-share img c1 "$t"
		rootfs-list >out
		[ "$(wc -l <out)" = 2 ]
		grep -qF "x\\nevil   img   ro" out
		rootfs-release c1 --deactivate
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "names swapped while shares are released: each release removes its own mount, no other" {
	# The directory holding the targets is writable by others, and a process in another
	# mount namespace (where they are no mount points) swaps two of them as fast as it can.
	run in_mount_ns bash -c '
		source "$1/tests/helpers/share.bash"
		make_file_image img
		image-activate -q img
		mkdir -p D/c1 D/c2 && chmod 777 D
		unshare --mount --propagation private -- python3 -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
os.chdir(\"D\")
while True:
    libc.renameat2(-100, b\"c1\", -100, b\"c2\", 2)
" & swapper=$!
		mid() { sed -n "s/^mount_id=\([0-9]*\):.*/\1/p" "$SHARED_ROOTFS_RUNDIR/shares/$1"; }
		gone() { ! awk -v m="$1" "\$1 == m" /proc/self/mountinfo | grep -q .; }
		bad=0 rounds=0
		for i in $(seq 60); do
			rootfs-share img a$i "$PWD/D/c1" 2>/dev/null || continue
			if ! rootfs-share img b$i "$PWD/D/c2" 2>/dev/null; then
				until rootfs-release a$i 2>/dev/null; do :; done
				continue
			fi
			ma=$(mid a$i) mb=$(mid b$i) rounds=$((rounds + 1))
			until rootfs-release a$i 2>/dev/null; do :; done
			gone "$ma" || { echo "round $i: a$i released, its mount $ma is still there"; bad=1; }
			! gone "$mb" || { echo "round $i: b$i mount $mb was unmounted by a$i release"; bad=1; }
			until rootfs-release b$i 2>/dev/null; do :; done
			gone "$mb" || { echo "round $i: b$i mount $mb left"; bad=1; }
			[ "$bad" = 0 ] || break
		done
		kill $swapper; wait $swapper 2>/dev/null
		echo "rounds with both shares: $rounds"
		[ "$bad" = 0 ] && [ "$rounds" -gt 0 ] && [ -z "$(rootfs-list)" ] && image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "a share made with -N in a namespace that is gone is released from here" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir c1
		export LIBMOUNT_UTAB=$PWD/utab
		unshare --mount --propagation private -- sh -c "touch $PWD/ready; exec sleep 600" & t=$!
		while [ ! -e ready ]; do sleep 0.05; done
		mount.shared-rootfs img "$PWD/c1" -N $t -o id=c1
		! rootfs-release c1 2>err && grep -q "is in mount namespace" err
		kill $t; wait $t || true
		rootfs-release c1
		[ -z "$(rootfs-list)" ]
		image-deactivate img
		[ -z "$(losetup -n -O BACK-FILE | grep -F "$PWD/img.img")" ]
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}
