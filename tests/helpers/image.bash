# Helpers for suites that make images (in the guest, on a pool from pool.bash).

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
	python3 -c "
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
	python3 "$MANIFEST" "$root" "${skip[@]}"
}

# Mounts IMAGE's thin device read-only at DIR, as activation will.
mount_image() {
	local image=$1 dir=$2 id size pool_devno opts=ro,noload
	id=$(image_field "$image" device_id)
	size=$(image_field "$image" size)
	[ "$(image_field "$image" fs)" = xfs ] && opts=ro,norecovery
	pool_devno=$(dmsetup info -c --noheadings -o major,minor --separator : "srfs-$POOL")
	dmsetup create --readonly "srfs-img:$image" --table "0 $((size / 512)) thin $pool_devno $id"
	mkdir -p "$dir"
	mount -o "$opts" "/dev/dm-$(dmsetup info -c --noheadings -o minor "srfs-img:$image" | tr -d ' ')" "$dir"
}

unmount_image() {
	umount "$2"
	dmsetup remove "srfs-img:$1"
}

# One field of an image from image-list --json.
image_field() {
	image-list --json | python3 -c "
import json, sys
for i in json.load(sys.stdin)['images']:
    if i['name'] == sys.argv[1]:
        v = i[sys.argv[2]]
        print(str(v).lower() if isinstance(v, bool) else v)" "$1" "$2"
}

# The thin ids the pool holds, and the ones the catalog holds: must agree.
pool_thin_ids() {
	dmsetup message "srfs-$POOL" 0 reserve_metadata_snap
	on_loop "$PWD/meta" thin_ls --metadata-snap --no-headers -o DEV | tr -d ' ' | sort -n | tr '\n' ' '
	dmsetup message "srfs-$POOL" 0 release_metadata_snap
}

# The catalog's: images (image-list) and container snapshots (their records).
catalog_thin_ids() {
	{
		image-list --json "$POOL" | python3 -c "
import json, sys
print('\n'.join(str(i['device_id']) for i in json.load(sys.stdin)['images']))"
		cat "$SHARED_ROOTFS_STATEDIR"/snapshots/* 2>/dev/null | sed -n 's/^device_id=//p'
	} | grep . | sort -n | tr '\n' ' '
}

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
