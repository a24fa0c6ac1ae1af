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

# Fails, naming each disagreement, unless the runtime records, the mounts,
# the loop devices and (where device-mapper is) the dm devices, thin ids and
# catalog of this test's state agree exactly.  Every share record's target is
# mounted and indexed; every mount, loop device, index entry, upper directory
# and dm device is explained by a record; no idmapped lower layer is left.
assert_consistent() {
	local run=$SHARED_ROOTFS_RUNDIR cat=$SHARED_ROOTFS_STATEDIR bad= f id t n mp
	local -A targets=() active=() devices=()
	local share_loops=
	field() { sed -n "s/^$1=//p" "$2"; }
	for f in "$run"/shares/*; do
		[ -f "$f" ] || continue
		id=${f##*/}
		t=$(field target "$f")
		targets[$t]=$id
		mountpoint -q "$t" || bad+="share $id: $t is not mounted"$'\n'
		grep -qx "id=$id" "$run"/targets/* 2>/dev/null || bad+="share $id: no target index entry"$'\n'
		# A share keeps its image's device (deactivated --lazy: until it goes).
		devices[srfs-img:$(field image "$f")]=1
		case $(field dev "$f") in 7:*) share_loops+=/dev/loop$(field dev "$f" | cut -d: -f2)$'\n' ;; esac
		if [ "$(field mode "$f")" = snapshot ]; then
			devices[srfs-snap:$id]=1
			[ -f "$cat/snapshots/$id" ] || bad+="share $id: no snapshot in the catalog"$'\n'
		fi
	done
	for f in "$run"/targets/*; do
		[ -f "$f" ] || continue
		[ -f "$run/shares/$(field id "$f")" ] || bad+="target entry ${f##*/}: no share $(field id "$f")"$'\n'
	done
	for f in "$run"/upper/*; do
		[ -e "$f" ] || continue
		[ "$(field upper_default "$run/shares/${f##*/}" 2>/dev/null)" = 1 ] ||
			bad+="upper directory ${f##*/}: no overlay share"$'\n'
	done
	# An idmapped overlay's lower layer is mounted there only while its share is made.
	for f in "$run"/idmap/*; do
		if [ -e "$f" ]; then bad+="idmapped lower layer ${f##*/} is left"$'\n'; fi
	done
	for f in "$run"/images/*; do
		[ -f "$f" ] || continue
		n=${f##*/}
		active[$run/mnt/$n]=$n
		mountpoint -q "$run/mnt/$n" || bad+="image $n: $run/mnt/$n is not mounted"$'\n'
		[ -z "$(field dm_name "$f")" ] || devices[$(field dm_name "$f")]=1
	done
	# Every mount of this test's directory: the runtime directory, an active image, a share.
	while read -r mp; do
		[ "$mp" = "$run" ] || [ -n "${active[$mp]:-}" ] || [ -n "${targets[$mp]:-}" ] ||
			bad+="mount $mp: no record explains it"$'\n'
	done < <(awk -v d="$BATS_TEST_TMPDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo)
	# Every loop device of this test's files: a pool's, or an active image's.
	local explained
	explained=$share_loops$(cat "$run"/pools/* "$run"/images/* 2>/dev/null | sed -n 's/^\(data_loop\|metadata_loop\|device\)=//p')
	while read -r n; do
		[ -n "$n" ] || continue
		grep -qx "$n" <<<"$explained" || bad+="loop device $n: no record explains it"$'\n'
	done < <(losetup -n -O NAME,BACK-FILE | awk -v d="$BATS_TEST_TMPDIR/" 'index($2, d) == 1 { print $1 }')
	if [ -e /dev/mapper/control ] && dmsetup version >/dev/null 2>&1; then
		while read -r n; do
			case $n in
			srfs-img:* | srfs-snap:* | srfs-build:*)
				[ -n "${devices[$n]:-}" ] || bad+="device $n: no record explains it"$'\n' ;;
			esac
		done < <(dmsetup ls 2>/dev/null | awk '{ print $1 }')
		for f in "$cat"/intents/*; do
			[ -f "$f" ] && bad+="intent ${f##*/} is still open"$'\n'
		done
		if [ -n "${POOL:-}" ] && dmsetup info "srfs-$POOL" >/dev/null 2>&1; then
			local p c
			p=$(pool_thin_ids) c=$(catalog_thin_ids)
			[ "$p" = "$c" ] || bad+="pool $POOL has thin ids '$p', the catalog '$c'"$'\n'
		fi
	fi
	for f in "$cat"/images/*; do
		[ -f "$f" ] || continue
		[ "$(field sealed "$f")" = 1 ] || bad+="image ${f##*/} is not sealed"$'\n'
	done
	[ -z "$bad" ] || { printf '%s' "$bad" >&2; return 1; }
}

# The files and state tests/helpers/bad-input.sh expects (in the current directory).
bad_input_fixture() {
	make_file_image img
	mkdir keep c2 u src real real/sub && touch afile src/f && ln -s keep link && ln -s real via
	tar -C src -cf good.tar . && head -c 10000 /dev/urandom >bad.tar
	truncate -s 1M notfs.img
	truncate -s 16M sig.img && mkfs.ext4 -q sig.img
	rootfs-share img keep "$PWD/keep"
}
