#!/usr/bin/env bats
# image-create, image-remove and image-list on a real thin pool.

load ../helpers/common
load ../helpers/pool
load ../helpers/image

setup() {
	pool_setup
	make_pool
}
teardown() {
	for m in $(grep -o " $BATS_TEST_TMPDIR/[^ ]*" /proc/self/mountinfo | sort -r); do umount "$m"; done
	pool_teardown
}

@test "an image from a tar keeps types, modes, owners, sizes, content, links, xattrs and times" {
	make_tree src
	tar --xattrs --xattrs-include='*' --format=pax -C src -cf img.tar .
	run image-create "$POOL" base --size 256M --from-tar img.tar
	assert_success
	assert_output "image-create: image base created in pool $POOL (thin device 1, ext4, 256M)"

	mount_image base mnt
	manifest src >expected
	grep -q 'trusted.origin=' expected   # the comparison covers xattrs
	grep -q 'security.capability=' expected
	diff expected <(manifest mnt)
	# The mount points a read-only container needs are there.
	for d in proc sys dev dev/pts dev/shm run tmp; do assert_dir_exist "mnt/$d"; done
	for f in etc/hosts etc/resolv.conf etc/hostname; do assert_file_exist "mnt/$f"; done
	[ "$(stat -c %a mnt/tmp)" = 1777 ]
	[ "$(getcap mnt/bin/tool)" = "mnt/bin/tool cap_net_bind_service=ep" ]
	unmount_image base mnt

	run image-list
	assert_success
	assert_line --regexp "^base +$POOL +1 +- +256M +ext4 +- +- +no +yes +no +0 +-$"
	assert_nothing_left
}

@test "an image from a directory, and from a compressed tar on standard input, xfs" {
	make_tree src
	run image-create "$POOL" fromdir --size 64M --from-dir src
	assert_success
	mount_image fromdir mnt
	diff <(manifest src) <(manifest mnt)
	unmount_image fromdir mnt

	tar --xattrs --xattrs-include='*' --format=pax -C src -czf img.tar.gz .
	run image-create "$POOL" onxfs --size 320M --fs xfs --from-tar - <img.tar.gz
	assert_success
	[ "$(image_field onxfs fs)" = xfs ]
	mount_image onxfs mnt
	diff <(manifest src) <(manifest mnt)
	unmount_image onxfs mnt
	assert_nothing_left
}

@test "an image without content has the mount points; existing ones are left as they are" {
	mkdir -p src/etc
	ln -s ../run/resolv.conf src/etc/resolv.conf
	printf 'box\n' >src/etc/hostname
	tar -C src -cf t.tar .
	run image-create "$POOL" small --size 64M --from-tar t.tar
	assert_success
	run image-create "$POOL" empty --size 64M
	assert_success
	mount_image small mnt
	[ "$(readlink mnt/etc/resolv.conf)" = ../run/resolv.conf ]
	[ "$(cat mnt/etc/hostname)" = box ]
	unmount_image small mnt
	mount_image empty mnt
	[ "$(ls mnt | tr '\n' ' ')" = "dev etc lost+found proc run sys tmp " ]
	unmount_image empty mnt
}

@test "a child image is a snapshot of its parent with an OCI layer applied" {
	mkdir -p base/etc base/opt/app base/var/cache/old base/usr/share
	echo v1 >base/etc/version
	echo doomed >base/etc/removed
	echo old >base/opt/app/a
	echo old >base/opt/app/b
	echo cache >base/var/cache/old/data
	echo keep >base/usr/share/keep
	tar -C base -cf base.tar .
	image-create -q "$POOL" parent --size 128M --from-tar base.tar

	mkdir -p layer/etc layer/opt/app layer/var/cache
	echo v2 >layer/etc/version
	: >layer/etc/.wh.removed
	: >layer/opt/app/.wh..wh..opq
	echo new >layer/opt/app/c
	: >layer/var/cache/.wh.old
	# A whiteout for something this very layer adds hides only what was below.
	mkdir -p layer/usr/share
	echo again >layer/usr/share/added
	: >layer/usr/share/.wh.added
	tar -C layer -cf layer.tar .

	# The parent is active (mounted read-only): it is suspended around the snapshot.
	mount_image parent pmnt
	run image-create "$POOL" child --parent parent --from-tar layer.tar
	assert_success
	assert_output "image-create: image child created in pool $POOL (thin device 2, ext4, 128M, on top of parent)"
	[ "$(cat pmnt/etc/version)" = v1 ]
	dmsetup info "srfs-img:parent" | grep -q '^State: *ACTIVE'   # resumed

	mount_image child cmnt
	[ "$(cat cmnt/etc/version)" = v2 ]
	assert_file_not_exist cmnt/etc/removed
	assert_file_not_exist cmnt/etc/.wh.removed
	[ "$(ls cmnt/opt/app)" = c ]
	assert_file_not_exist cmnt/var/cache/old
	[ "$(cat cmnt/usr/share/added)" = again ]
	[ "$(cat cmnt/usr/share/keep)" = keep ]
	# The parent did not change.
	[ "$(ls pmnt/opt/app | tr '\n' ' ')" = "a b " ]
	assert_file_exist pmnt/etc/removed
	unmount_image child cmnt
	unmount_image parent pmnt

	run image-list --json
	[ "$(image_field child parent)" = parent ]

	# Removing the parent leaves the child valid.
	run image-remove parent
	assert_success
	assert_output "image-remove: image parent removed from pool $POOL (thin device 1)"
	mount_image child cmnt
	[ "$(cat cmnt/usr/share/keep)" = keep ]
	unmount_image child cmnt
	assert_pool_matches_catalog
}

@test "image-remove deletes the thin device; refuses an image that is shared" {
	image-create -q "$POOL" one --size 64M
	image-create -q "$POOL" two --size 64M
	[ "$(pool_thin_ids)" = "1 2 " ]
	# A share blocks the removal, and so does an activation.
	mkdir c1
	rootfs-share one c1 "$PWD/c1"
	run image-remove one
	assert_one_line_error "image-remove: image one is shared by 1 container: c1 (release them first)"
	rootfs-release c1
	run image-remove one
	assert_one_line_error "image-remove: image one is active (deactivate it first: image-deactivate one)"
	image-deactivate one
	run image-remove one
	assert_success
	[ "$(pool_thin_ids)" = "2 " ]
	run image-remove one
	assert_one_line_error "image-remove: unknown image one"
	# The next image takes the lowest id above the catalog's.
	image-create -q "$POOL" three --size 64M
	[ "$(image_field three device_id)" = 3 ]
	assert_pool_matches_catalog
}

@test "ids the pool already has (made outside shared-rootfs) are skipped, never used" {
	dmsetup message "srfs-$POOL" 0 "create_thin 1"
	dmsetup message "srfs-$POOL" 0 "create_thin 2"
	run image-create "$POOL" img --size 64M
	assert_success
	[ "$(image_field img device_id)" = 3 ]
	[ "$(pool_thin_ids)" = "1 2 3 " ]
}

@test "failures leave nothing behind: bad tar, failing mkfs, existing name, missing parent, full pool" {
	image-create -q "$POOL" exists --size 64M
	before=$(pool_thin_ids)

	head -c 10000 /dev/urandom >garbage.tar
	run image-create "$POOL" bad --size 64M --from-tar garbage.tar
	assert_failure
	assert_output --partial "image-create: cannot read garbage.tar: "
	run image-create "$POOL" bad --size 64M --mkfs-options "-b 999"
	assert_failure
	assert_output --partial "image-create: mkfs.ext4 failed (exit status 1)"
	run image-create "$POOL" exists --size 64M
	assert_one_line_error "image-create: image exists already exists"
	run image-create "$POOL" child --parent nothere
	assert_one_line_error "image-create: unknown parent image nothere"
	run image-create "$POOL" bad --size 64M --from-tar missing.tar
	assert_one_line_error "image-create: cannot open missing.tar: No such file or directory"
	run image-create nopool bad --size 64M
	assert_one_line_error "image-create: unknown pool nopool"
	# A tar that climbs out of the image.
	python3 -S -c "
import tarfile, io
with tarfile.open('evil.tar', 'w') as t:
    i = tarfile.TarInfo('../escape'); i.size = 3
    t.addfile(i, io.BytesIO(b'bad'))"
	run image-create "$POOL" bad --size 64M --from-tar evil.tar
	assert_one_line_error "image-create: evil.tar: entry '../escape' leaves the image"
	assert_file_not_exist ../escape

	[ "$(pool_thin_ids)" = "$before" ]
	run image-list
	refute_output --partial bad
	assert_nothing_left
}

@test "a full pool: writes fail at once (error_if_no_space), nothing is left, the pool stays usable" {
	pool_teardown
	rm -rf data meta "$SHARED_ROOTFS_STATEDIR" "$SHARED_ROOTFS_RUNDIR"
	make_pool 16M --error-if-no-space
	mkdir big && head -c 24M /dev/urandom >big/blob
	run image-create "$POOL" huge --size 64M --from-dir big
	assert_failure
	assert_output --partial "pool $POOL is full"
	run image-list
	refute_output --partial huge
	assert_nothing_left
	run image-create "$POOL" fits --size 8M
	assert_success
}

@test "an inactive pool is named, with what to do; a block device registers as an image" {
	thinpool-remove -q "$POOL"
	run image-create "$POOL" img --size 64M
	assert_one_line_error "image-create: pool $POOL is not active (activate it with: thinpool-create $POOL)"
	thinpool-create -q "$POOL"

	truncate -s 32M disk && mkfs.ext4 -q disk
	dev=$(losetup -f --show disk)
	run image-create --source "$dev" blockimg
	assert_success
	assert_output "image-create: image blockimg registered: block $dev (ext4, 32M)"
	[ "$(image_field blockimg kind)" = block ]
	run image-remove blockimg
	assert_success
	losetup -d "$dev"
}
