# Helpers for suites that share images.

# An ext4 image file with a little content, registered as image $1 (default "img").
make_file_image() {
	local name=${1:-img}
	mkdir -p "$BATS_TEST_TMPDIR/tree/bin" "$BATS_TEST_TMPDIR/tree/etc"
	echo "hello from $name" >"$BATS_TEST_TMPDIR/tree/etc/motd"
	truncate -s 32M "$BATS_TEST_TMPDIR/$name.img"
	mkfs.ext4 -q -d "$BATS_TEST_TMPDIR/tree" "$BATS_TEST_TMPDIR/$name.img"
	image-create -q --source "$BATS_TEST_TMPDIR/$name.img" "$name"
}

# An ext4 image file registered as image "img", for idmapped shares: /home/u
# and what is in it owned by 1000, a 4 MiB file /big.
make_owned_image() {
	mkdir -p tree/etc tree/home/u
	echo "hello from img" >tree/etc/motd
	echo mine >tree/home/u/f
	head -c 4M /dev/urandom >tree/big
	chown -R 1000:1000 tree/home/u
	truncate -s 32M img.img
	mkfs.ext4 -q -d tree img.img
	image-create -q --source "$PWD/img.img" img
}

# A pool image "img" (in $POOL) whose /etc/motd says "pool image".
make_pool_image() {
	mkdir -p src/etc src/bin && echo "pool image" >src/etc/motd
	tar -C src -cf img.tar .
	image-create -q "$POOL" img --size 64M --from-tar img.tar
}

# The mountinfo line of the mount at $1.
mountinfo_of() { awk -v t="$1" '$5 == t' /proc/self/mountinfo; }

# Everything a test leaves: records, the mount table, loop devices of this test.
state_snapshot() {
	(cd "$SHARED_ROOTFS_RUNDIR" 2>/dev/null && find shares images targets -type f 2>/dev/null | sort)
	grep -F "$BATS_TEST_TMPDIR" /proc/self/mountinfo | awk '{ print $5, $9, $10 }' | sort
	losetup -n -O NAME,BACK-FILE 2>/dev/null | grep -F "$BATS_TEST_TMPDIR" | sort
}

# Makes mount(8) and umount(8) find our helpers: an overlay on /usr/sbin (in
# this test's own mount namespace) with the built tools on top.  utab goes to
# the test's directory.
use_mount_helpers() {
	local dir=$BATS_TEST_TMPDIR/sbin
	mkdir -p "$dir"
	cp "$SRFS_BUILD"/mount.shared-rootfs "$SRFS_BUILD"/umount.shared-rootfs \
		"$SRFS_BUILD"/image-activate "$SRFS_BUILD"/image-deactivate "$dir"/
	mount -t overlay overlay -o "lowerdir=$dir:/usr/sbin" /usr/sbin
	export LIBMOUNT_UTAB=$BATS_TEST_TMPDIR/utab
}

# Reads the record $1 (KEY=VALUE lines) into the associative array named $2, in bash:
# in the qemu guest each process started costs tens of milliseconds, and the crash tests
# read every record at every step.  A key given twice keeps both values, one a line, as
# sed -n 's/^KEY=//p' would print them; a missing file reads as an empty record.
read_record() {
	local -n _rec=$2
	local _line _k
	_rec=()
	[ -f "$1" ] || return 0
	while IFS= read -r _line || [ -n "$_line" ]; do
		[[ $_line = *=* ]] || continue
		_k=${_line%%=*}
		_rec[$_k]+=${_rec[$_k]+$'\n'}${_line#*=}
	done <"$1"
}

# Fails, naming each disagreement, unless the runtime records, the mounts,
# the loop devices and (where device-mapper is) the dm devices, thin ids and
# catalog of this test's state agree exactly.  Every share record's target is
# mounted and indexed; every mount, loop device, index entry, upper directory
# and dm device is explained by a record; no idmapped lower layer is left.
# (Records and the mount table are read in bash, the mount table once, without
# bats' DEBUG trap (see common.bash): the guest runs this at every crash step.)
assert_consistent() (
	trap - DEBUG
	local run=$SHARED_ROOTFS_RUNDIR cat=$SHARED_ROOTFS_STATEDIR bad= f id t n mp dev line
	local -A targets=() active=() devices=() mounted=() indexed=() explained=() rec=()
	local share_loops=() tmpmounts=()
	# The mount table, once: every mount point, and those under this test's directory.
	while read -r _ _ _ _ mp _; do
		printf -v mp '%b' "$mp"      # (mountinfo escapes blanks and backslashes in octal)
		mounted[$mp]=1
		[[ $mp != "$BATS_TEST_TMPDIR"/* ]] || tmpmounts+=("$mp")
	done </proc/self/mountinfo
	# A path the table does not list as a mount point is asked of mountpoint(1) too, which
	# resolves it first: a target given through a symbolic link is still found.
	is_mounted() { [ -n "${mounted[$1]:-}" ] || mountpoint -q "$1"; }
	# The target index: every line of every entry.
	for f in "$run"/targets/*; do
		[ -f "$f" ] || continue
		while IFS= read -r line || [ -n "$line" ]; do [ -z "$line" ] || indexed[$line]=1; done <"$f"
	done
	for f in "$run"/shares/*; do
		[ -f "$f" ] || continue
		id=${f##*/}
		read_record "$f" rec
		t=${rec[target]-}
		targets[$t]=$id
		is_mounted "$t" || bad+="share $id: $t is not mounted"$'\n'
		[ -n "${indexed[id=$id]:-}" ] || bad+="share $id: no target index entry"$'\n'
		# A share keeps its image's device (deactivated --lazy: until it goes).
		devices[srfs-img:${rec[image]-}]=1
		dev=${rec[dev]-}
		case $dev in 7:*) dev=${dev#*:}; share_loops+=("/dev/loop${dev%%:*}") ;; esac
		if [ "${rec[mode]-}" = snapshot ]; then
			devices[srfs-snap:$id]=1
			[ -f "$cat/snapshots/$id" ] || bad+="share $id: no snapshot in the catalog"$'\n'
		fi
	done
	for f in "$run"/targets/*; do
		[ -f "$f" ] || continue
		read_record "$f" rec
		[ -f "$run/shares/${rec[id]-}" ] || bad+="target entry ${f##*/}: no share ${rec[id]-}"$'\n'
	done
	for f in "$run"/upper/*; do
		[ -e "$f" ] || continue
		read_record "$run/shares/${f##*/}" rec
		[ "${rec[upper_default]-}" = 1 ] || bad+="upper directory ${f##*/}: no overlay share"$'\n'
	done
	# An idmapped overlay's lower layer is mounted there only while its share is made.
	for f in "$run"/idmap/*; do
		if [ -e "$f" ]; then bad+="idmapped lower layer ${f##*/} is left"$'\n'; fi
	done
	for f in "$run"/images/*; do
		[ -f "$f" ] || continue
		n=${f##*/}
		active[$run/mnt/$n]=$n
		is_mounted "$run/mnt/$n" || bad+="image $n: $run/mnt/$n is not mounted"$'\n'
		read_record "$f" rec
		[ -z "${rec[dm_name]-}" ] || devices[${rec[dm_name]}]=1
	done
	# Every mount of this test's directory: the runtime directory, an active image, a share.
	for mp in "${tmpmounts[@]}"; do
		[ "$mp" = "$run" ] || [ -n "${active[$mp]:-}" ] || [ -n "${targets[$mp]:-}" ] ||
			bad+="mount $mp: no record explains it"$'\n'
	done
	# Every loop device of this test's files: a pool's, or an active image's.
	for n in "${share_loops[@]}"; do explained[$n]=1; done
	for f in "$run"/pools/* "$run"/images/*; do
		[ -f "$f" ] || continue
		read_record "$f" rec
		for n in data_loop metadata_loop device; do
			[ -z "${rec[$n]:-}" ] || explained[${rec[$n]}]=1
		done
	done
	while read -r n; do
		[ -n "$n" ] || continue
		[ -n "${explained[$n]:-}" ] || bad+="loop device $n: no record explains it"$'\n'
	done < <(losetup -n -O NAME,BACK-FILE | awk -v d="$BATS_TEST_TMPDIR/" 'index($2, d) == 1 { print $1 }')
	if [ -e /dev/mapper/control ] && dmsetup version >/dev/null 2>&1; then
		local -A dm=()
		while read -r n _; do
			dm[$n]=1
			case $n in
			srfs-img:* | srfs-snap:* | srfs-build:*)
				[ -n "${devices[$n]:-}" ] || bad+="device $n: no record explains it"$'\n' ;;
			srfs-vdata:* | srfs-vhash:*)    # (a verity image's lower devices)
				[ -n "${devices[srfs-img:${n#*:}]:-}" ] ||
					bad+="device $n: no record explains it"$'\n' ;;
			esac
		done < <(dmsetup ls 2>/dev/null)
		for f in "$cat"/intents/*; do
			[ ! -f "$f" ] || bad+="intent ${f##*/} is still open"$'\n'
		done
		if [ -n "${POOL:-}" ] && [ -n "${dm[srfs-$POOL]:-}" ]; then
			local p c
			p=$(pool_thin_ids) c=$(catalog_thin_ids)
			[ "$p" = "$c" ] || bad+="pool $POOL has thin ids '$p', the catalog '$c'"$'\n'
		fi
	fi
	for f in "$cat"/images/*; do
		[ -f "$f" ] || continue
		read_record "$f" rec
		[ "${rec[sealed]-}" = 1 ] || bad+="image ${f##*/} is not sealed"$'\n'
	done
	[ -z "$bad" ] || { printf '%s' "$bad" >&2; return 1; }
)

# The files and state tests/helpers/bad-input.sh expects (in the current directory).
bad_input_fixture() {
	make_file_image img
	mkdir keep c2 u src real real/sub && touch afile src/f && ln -s keep link && ln -s real via
	tar -C src -cf good.tar . && head -c 10000 /dev/urandom >bad.tar
	truncate -s 1M notfs.img
	truncate -s 16M sig.img && mkfs.ext4 -q sig.img
	rootfs-share img keep "$PWD/keep"
}
