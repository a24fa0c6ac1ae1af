# Helpers for suites that create thin pools (in the guest).

# A pool name unique to this test, and state directories of its own.
pool_setup() {
	require_root
	require_dm
	srfs_use_temp_state
	POOL=t${BATS_TEST_NUMBER}p$$
	cd "$BATS_TEST_TMPDIR"
}

# Removes every dm device and loop device this test left, whatever happened.
pool_teardown() {
	local dev
	# The pool's own devices, and the image devices of this test's state.
	for dev in $(dmsetup ls 2>/dev/null | awk -v p="$POOL" 'index($1, p) || /^srfs-(img|build|snap|vdata|vhash):/ { print $1 }' | sort -r); do
		dmsetup remove --retry "$dev" 2>/dev/null || true
	done
	dmsetup remove --retry "srfs-$POOL" 2>/dev/null || true
	for dev in $(losetup -n -O NAME,BACK-FILE | awk -v d="$BATS_TEST_TMPDIR" 'index($2, d) == 1 { print $1 }'); do
		losetup -d "$dev" 2>/dev/null || true
	done
	# The pool's files are sparse, but what the test wrote into them stays in the
	# guest's memory (its /tmp is a tmpfs) until bats removes every test's directory
	# at the end of the run: with all the VM suites in one guest that filled /tmp.
	rm -f "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/meta"
}

loops_of_test() {
	losetup -n -O BACK-FILE | grep -c "^$BATS_TEST_TMPDIR/" || true
}

devno_of() { cat "/sys/block/$(basename "$(readlink -f "$1")")/dev"; }

# Creates thin device ID in the pool and a dm device NAME for it (as dmsetup would).
make_thin() {
	local id=$1 name=$2 size_mb=$3
	local pool_devno
	pool_devno=$(dmsetup info -c --noheadings -o major,minor --separator : "srfs-$POOL")
	dmsetup message "srfs-$POOL" 0 "create_thin $id" 2>/dev/null || true
	dmsetup create "$name" --table "0 $((size_mb * 2048)) thin $pool_devno $id"
	echo "/dev/dm-$(dmsetup info -c --noheadings -o minor "$name" | tr -d ' ')"
}

# A device's table without the trailing blank dmsetup prints.
table_of() { dmsetup table "$1" | sed 's/ *$//'; }

# thin-provisioning-tools open with O_DIRECT, which tmpfs files refuse:
# run "$2..." on a loop device of the file $1 (the device goes last).
on_loop() {
	local file=$1 dev rc=0
	shift
	dev=$(losetup -f --show "$file")
	"$@" "$dev" || rc=$?
	losetup -d "$dev"
	return $rc
}
