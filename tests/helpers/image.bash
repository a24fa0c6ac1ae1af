# Helpers for suites that make images (in the guest, on a pool from pool.bash).
#
# Python runs with -S (no site module): in the qemu guest a plain python3 takes four
# times as long to start, reading every .pth file of the system's site-packages.

MANIFEST=$BATS_TEST_DIRNAME/../helpers/manifest.py
# What image-create adds to every image, and what mkfs.ext4 adds.
IMAGE_ADDED=(proc sys dev run tmp etc/hosts etc/resolv.conf etc/hostname lost+found)

# A pool of 1G on sparse files in the test's directory.
make_pool() {
	thinpool-create -q "$POOL" --data "$PWD/data" --data-size "${1:-1G}" \
		--metadata "$PWD/meta" --metadata-size 16M "${@:2}"
}

# A tree with one of everything an image must keep.
make_tree() {
	local d=$1
	mkdir -p "$d/bin" "$d/etc" "$d/srv/private" "$d/usr/lib" "$d/var/empty"
	printf 'hello\n' >"$d/etc/motd"
	head -c 300000 /dev/urandom >"$d/usr/lib/blob"
	printf '#!/bin/sh\necho ok\n' >"$d/bin/tool"
	chmod 4755 "$d/bin/tool"
	chmod 0700 "$d/srv/private"
	printf 'secret\n' >"$d/srv/private/key"
	chmod 0600 "$d/srv/private/key"
	chown -R 1234:5678 "$d/srv"
	ln "$d/etc/motd" "$d/etc/motd.hardlink"
	ln -s ../etc/motd "$d/bin/motd-link"
	ln -s /nonexistent/target "$d/bin/dangling"
	mkfifo "$d/var/fifo"
	mknod "$d/var/null" c 1 3
	mknod "$d/var/loop9" b 7 9
	: >"$d/var/empty/.keep"
	python3 -S -c "
import os, sys
d = sys.argv[1]
os.setxattr(d + '/usr/lib/blob', 'trusted.origin', b'shared-rootfs test')
os.setxattr(d + '/srv', 'trusted.note', b'kept')
# cap_net_bind_service=ep, as setcap writes it (VFS_CAP_REVISION_2)
os.setxattr(d + '/bin/tool', 'security.capability',
            bytes.fromhex('0100000200040000000000000000000000000000'))
" "$d"
	touch -h -d '2001-02-03 04:05:06' "$d/bin/motd-link" "$d/bin/dangling"
	touch -d '2002-03-04 05:06:07' "$d/etc/motd" "$d/usr/lib/blob" "$d/etc" "$d/srv/private"
}

manifest() {
	local root=$1 skip=() p
	shift
	for p in "${IMAGE_ADDED[@]}" "$@"; do skip+=(--skip "$p"); done
	python3 -S "$MANIFEST" "$root" "${skip[@]}"
}

# Mounts IMAGE's thin device read-only at DIR, as activation will.
mount_image() {
	local image=$1 dir=$2 fields id size fs pool_devno minor opts=ro,noload
	fields=$(image_field "$image" device_id size fs)
	read -r id size fs <<<"$fields"
	[ "$fs" = xfs ] && opts=ro,norecovery
	pool_devno=$(dmsetup info -c --noheadings -o major,minor --separator : "srfs-$POOL")
	dmsetup create --readonly "srfs-img:$image" --table "0 $((size / 512)) thin $pool_devno $id"
	mkdir -p "$dir"
	minor=$(dmsetup info -c --noheadings -o minor "srfs-img:$image")
	mount -o "$opts" "/dev/dm-${minor// /}" "$dir"
}

unmount_image() {
	umount "$2"
	dmsetup remove "srfs-img:$1"
}

# Fields of an image from image-list --json, on one line: image_field IMAGE FIELD...
image_field() {
	image-list --json | python3 -S -c "
import json, sys
for i in json.load(sys.stdin)['images']:
    if i['name'] == sys.argv[1]:
        print(*(str(v).lower() if isinstance(v, bool) else v for v in (i[f] for f in sys.argv[2:])))" "$@"
}

# The numbers on standard input (one a line, blanks around them ignored), sorted, each
# followed by a space: what sort -n | tr '\n' ' ' prints, in bash (see read_record).
sorted_ids() {
	local n i out= odd=
	local -a count=()
	while read -r n; do
		[ -n "$n" ] || continue
		if [[ $n =~ ^[0-9]{1,18}$ ]]; then
			count[10#$n]=$((${count[10#$n]:-0} + 1))
		else
			odd+="$n "    # (not a number: kept, so that it cannot compare equal)
		fi
	done
	for n in "${!count[@]}"; do
		for ((i = 0; i < count[n]; i++)); do out+="$n "; done
	done
	printf '%s' "$odd$out"
}

# The thin ids the pool holds, and the ones the catalog holds: must agree.  (Without
# bats' DEBUG trap: see common.bash.)
pool_thin_ids() (
	trap - DEBUG
	dmsetup message "srfs-$POOL" 0 reserve_metadata_snap
	on_loop "$PWD/meta" thin_ls --metadata-snap --no-headers -o DEV | sorted_ids
	dmsetup message "srfs-$POOL" 0 release_metadata_snap
)

# The catalog's: images (image-list), container snapshots and OCI layers (their records).
catalog_thin_ids() (
	trap - DEBUG
	{
		image-list --json "$POOL" | python3 -S -c "
import json, sys
for i in json.load(sys.stdin)['images']:
    print(i['device_id'])
    if i['verity_device_id'] is not None:
        print(i['verity_device_id'])"
		local f line
		for f in "$SHARED_ROOTFS_STATEDIR"/snapshots/* "$SHARED_ROOTFS_STATEDIR"/layers/*; do
			[ -f "$f" ] || continue
			while IFS= read -r line || [ -n "$line" ]; do
				[[ $line != device_id=* ]] || printf '%s\n' "${line#device_id=}"
			done <"$f"
		done
	} | sorted_ids
)

assert_pool_matches_catalog() {
	local pool catalog
	pool=$(pool_thin_ids)
	catalog=$(catalog_thin_ids)
	[ "$pool" = "$catalog" ] || fail "pool has thin ids '$pool', catalog '$catalog'"
}

# No device, mount or intent left over from building images.
assert_nothing_left() {
	run dmsetup ls
	refute_output --partial "srfs-build:"
	run grep -c "$BATS_TEST_TMPDIR/run/build" /proc/self/mountinfo
	assert_output 0
	assert_file_not_exist "$SHARED_ROOTFS_STATEDIR/intents/$POOL"
	assert_pool_matches_catalog
}
