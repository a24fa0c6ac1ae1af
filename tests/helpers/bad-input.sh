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

snapshot() {
	(cd "$SHARED_ROOTFS_RUNDIR" && find . -path ./locks -prune -o -type f -print0 | sort -z | xargs -0r md5sum)
	(cd "$SHARED_ROOTFS_STATEDIR" && find . -type f -print0 | sort -z | xargs -0r md5sum)
	awk -v d="$T/" 'index($5, d) == 1 || index($10, d) == 1 { print $5, $9, $10 }' /proc/self/mountinfo | sort
	losetup -n -O NAME,BACK-FILE | awk -v d="$T/" 'index($2, d) == 1' | sort
	[ -z "$dm" ] || dmsetup table | sort
	find "$T" -mindepth 1 -maxdepth 1 -newer "$T/.bad-input-start" ! -name data ! -name meta | sort  # (a pool writes its own files)
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
