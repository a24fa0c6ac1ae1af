#!/bin/bash
# Runs the rows of tests/bad-input.table: each bad invocation must fail with
# the row's exit status and exactly its one-line message, and change nothing
# (runtime and catalog records, mounts, loop devices and dm tables of the
# test's directory are compared before and after).  Prints one line per
# failing row and exits 1 if there was one; the last line counts the rows.
#
#   bad-input.sh TABLE [--dm]     --dm: also the rows that need device-mapper
#   SRFS_BAD_INPUT_RECORD=1       print what each row got instead (to write rows)
#
# Expects the state directories and the setup made by the caller: an active
# file image "img" shared by container "keep" at $T/keep, and with --dm a
# pool $P with an active image "pimg".  In rows, $T is the test directory,
# $P the pool, $R the runtime directory, $L a name of 300 letters.
set -u
table=$1 dm=${2:-}
T=$PWD P=${POOL:-nopool} R=$SHARED_ROOTFS_RUNDIR
L=$(printf 'a%.0s' $(seq 300))

# Everything a row must not change, one tagged line each, sorted once.  It runs after
# every row, and in the qemu guest each program started costs about 50 times what it
# does on the host: the lines are filtered and tagged in bash, not by awk or sed.
snapshot() {
	local mp fields src line
	{
		while read -r line; do
			printf 'record %s\n' "$line"
		done < <(find "$SHARED_ROOTFS_RUNDIR" "$SHARED_ROOTFS_STATEDIR" \
			-path "$SHARED_ROOTFS_RUNDIR/locks" -prune -o -type f -exec md5sum {} +)
		while read -r -a fields; do
			# The mount point; after the "-": file system type, source, super options.
			mp=${fields[4]} line=${fields[*]} src=${line#* - }
			[[ $mp = "$T"/* || ${src#* } = "$T"/* ]] && printf 'mount %s %s\n' "$mp" "$src"
		done </proc/self/mountinfo
		while read -r line src; do
			[[ $src = "$T"/* ]] && printf 'loop %s %s\n' "$line" "$src"
		done < <(losetup -n -O NAME,BACK-FILE)
		if [ -n "$dm" ]; then
			while read -r line; do printf 'dm %s\n' "$line"; done < <(dmsetup table)
		fi
		# (A pool writes its own files.)
		find "$T" -mindepth 1 -maxdepth 1 -newer "$T/.bad-input-start" ! -name data ! -name meta \
			-printf 'new %p\n'
	} | LC_ALL=C sort
}

expand() { local s=$1; s=${s//\$T/$T}; s=${s//\$P/$P}; s=${s//\$R/$R}; s=${s//\$L/$L}; printf '%s' "$s"; }

touch "$T/.bad-input-start"
before=$(snapshot)
failed=0 rows=0
while IFS=$'\t' read -r want msg cmd; do
	[[ -z $want || $want = \#* ]] && continue
	if [[ $want = dm:* ]]; then
		[ -n "$dm" ] || continue
		want=${want#dm:}
	fi
	rows=$((rows + 1))
	eval "argv=($cmd)"
	msg=$(expand "$msg")
	out=$("${argv[@]}" 2>&1 </dev/null)
	rc=$?
	if [ -n "${SRFS_BAD_INPUT_RECORD:-}" ]; then
		printf '%s\t%s\t%s\n' "$rc" "$out" "$cmd"
		continue
	fi
	bad=
	[ "$rc" = "$want" ] || bad+=" status $rc, not $want;"
	[ "$out" = "$msg" ] || bad+=" said '$out';"
	now=$(snapshot)
	[ "$now" = "$before" ] || bad+=" changed: $(diff <(echo "$before") <(echo "$now") | grep '^[<>]' | head -3 | tr '\n' ' ')"
	if [ -n "$bad" ]; then
		echo "FAIL $cmd:$bad"
		failed=$((failed + 1))
		before=$now
	fi
done <"$table"
echo "bad inputs tried: $rows, failed: $failed"
[ "$failed" = 0 ]
