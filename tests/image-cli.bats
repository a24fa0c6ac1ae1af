#!/usr/bin/env bats
# image-create, image-remove and image-list on the host: usage errors, and
# images registered from existing file system images (no device-mapper needed).

load helpers/common

setup() {
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
}

@test "usage errors are one line, exit status 2, and change nothing" {
	while IFS='|' read -r args message; do
		# shellcheck disable=SC2086
		run image-create $args
		[ "$status" -eq 2 ] || fail "image-create $args: status $status: $output"
		assert_one_line_error "image-create: $message"
	done <<-'EOF'
		|no pool name given (see 'image-create --help')
		pool0|no image name given (see 'image-create --help')
		pool0 img|--size is needed for a new image (see 'image-create --help')
		pool0 ../x --size 1G|invalid image name '../x'
		../p img --size 1G|invalid pool name '../p'
		pool0 img extra --size 1G|unexpected argument 'extra' (see 'image-create --help')
		pool0 img --size 0|--size: size must not be zero (see 'image-create --help')
		pool0 img --size lots|--size: invalid size 'lots' (a number with an optional K, M, G or T) (see 'image-create --help')
		pool0 img --size 1G --size 2G|--size given twice (see 'image-create --help')
		pool0 img --size 1G --from-tar a --from-dir b|--from-tar, --from-dir and --from-oci exclude each other (see 'image-create --help')
		pool0 img --from-oci L --from-tar a|--from-tar, --from-dir and --from-oci exclude each other (see 'image-create --help')
		pool0 img --from-oci L --parent base|--from-oci takes no --parent: the layout's layers are the image's parents (see 'image-create --help')
		pool0 img --from-oci L --from-oci M|--from-oci given twice (see 'image-create --help')
		--source f.img img --from-oci L|--source takes no other image options: the file system is used as it is (see 'image-create --help')
		pool0 img --parent base --size 1G|--parent takes the parent's size and file system: no --size, --fs or --mkfs-options (see 'image-create --help')
		pool0 img --parent img|an image cannot be its own parent (see 'image-create --help')
		--source f.img pool0 img|unexpected argument 'img' (see 'image-create --help')
		--source f.img img --size 1G|--source takes no other image options: the file system is used as it is (see 'image-create --help')
		pool0 img --bogus|unknown option '--bogus' (see 'image-create --help')
		pool0 img --size|option '--size' needs an argument (see 'image-create --help')
		pool0 img -x|invalid option '-x' (see 'image-create --help')
	EOF
	run image-remove
	[ "$status" -eq 2 ]
	run image-list a b
	[ "$status" -eq 2 ]
	assert_file_not_exist "$SHARED_ROOTFS_STATEDIR"
	assert_file_not_exist "$SHARED_ROOTFS_RUNDIR"
}

@test "existing file system images are registered as they are: erofs, squashfs, ext4" {
	mkdir tree && echo hello >tree/file
	mkfs.erofs -q e.img tree >/dev/null 2>&1 || mkfs.erofs e.img tree >/dev/null
	mksquashfs tree s.img -quiet -no-progress >/dev/null
	truncate -s 8M x.img && mkfs.ext4 -q -d tree x.img
	cp x.img x.before

	run image-create --source e.img er
	assert_success
	assert_output "image-create: image er registered: file $PWD/e.img (erofs, 4K)"
	image-create -q --source s.img sq
	image-create -q --source x.img ex
	run image-list
	assert_success
	assert_line --index 0 --regexp '^IMAGE +POOL +ID +PARENT +SIZE +FS +REF +MANIFEST +VERITY +SEALED +ACTIVE +SHARES +LABEL$'
	assert_line --index 1 --regexp '^er +file +- +- +4K +erofs +- +- +no +yes +no +0 +-$'
	assert_line --index 2 --regexp '^ex +file +- +- +8M +ext4 +- +- +no +yes +no +0 +-$'
	assert_line --index 3 --regexp '^sq +file +- +- +4K +squashfs +- +- +no +yes +no +0 +-$'
	run image-list --json
	assert_success
	run python3 -c "
import json, sys
i = json.loads(sys.argv[1])['images'][1]
print(i['name'], i['kind'], i['pool'], i['device_id'], i['source'], i['size'], i['fs'], i['sealed'])" "$output"
	assert_output "ex file None None $PWD/x.img 8388608 ext4 True"
	# Nothing was written to the file.
	cmp x.img x.before

	run image-remove ex
	assert_success
	assert_output "image-remove: image ex removed (file $PWD/x.img is left as it is)"
	assert_file_exist x.img
	run image-list
	refute_output --partial "ex "
}

@test "--source refuses what cannot be shared, an existing name, and missing files" {
	truncate -s 1M blank
	mkdir dir
	image-create -q --source "$(truncate -s 8M x.img && mkfs.ext4 -q x.img && echo x.img)" taken
	run image-create --source blank img
	assert_one_line_error "image-create: blank holds no file system that can be shared"
	mkswap -q blank >/dev/null
	run image-create --source blank img
	assert_one_line_error "image-create: blank holds no file system that can be shared"
	run image-create --source dir img
	assert_one_line_error "image-create: dir is neither a file system image file nor a block device"
	run image-create --source nothere img
	assert_one_line_error "image-create: cannot open nothere: No such file or directory"
	run image-create --source x.img taken
	assert_one_line_error "image-create: image taken already exists"
	run image-list
	assert_success
	assert_equal "${#lines[@]}" 2
}

@test "image-remove: unknown images, shares, and pools that cannot be reached" {
	run image-remove ghost
	assert_one_line_error "image-remove: unknown image ghost"
	truncate -s 8M x.img && mkfs.ext4 -q x.img
	image-create -q --source x.img img
	# Shares keep the image, and so does its activation.
	mkdir c1 c2
	in_mount_ns bash -c '
		rootfs-share img c1 "$PWD/c1" && rootfs-share img c2 "$PWD/c2" || exit 1
		image-remove img
		image-list | grep -E "^img +file .* yes +2 +-$" >&2 || exit 1
		rootfs-release c1 && rootfs-release c2 || exit 1
		image-remove img
		image-deactivate img' >out 2>&1 || { cat out; false; }
	run cat out
	assert_output "image-remove: image img is shared by 2 containers: c1, c2 (release them first)
img                      file                  - -                             8M ext4     -                        -            no           yes    yes      2  -
image-remove: image img is active (deactivate it first: image-deactivate img)"

	# A pool image whose pool is not reachable here (no device-mapper on this kernel).
	printf 'version=1\nkind=pool\npool=gone\ndevice_id=7\nsize=4096\nfs=ext4\nsealed=1\ncreated=0\n' \
		>"$SHARED_ROOTFS_STATEDIR/images/orphan"
	run image-remove orphan
	assert_failure
	assert_one_line_error "image-remove: pool gone of image orphan is not in the catalog: activate it, or use --force to forget the image without deleting its thin device"
	run image-remove --force orphan
	assert_success
	assert_output "image-remove: image orphan forgotten (--force): pool gone is not in the catalog, so its thin device 7 was not deleted"
}

@test "a corrupt image record is reported, not trusted" {
	mkdir -m 0700 "$SHARED_ROOTFS_STATEDIR" "$SHARED_ROOTFS_STATEDIR/images"
	printf 'version=1\nkind=pool\n' >"$SHARED_ROOTFS_STATEDIR/images/bad"
	run image-list
	assert_failure
	assert_output --partial "image-list: catalog record of image bad is corrupt: "
	run image-remove bad
	assert_failure
	assert_output --partial "image-remove: catalog record of image bad is corrupt: "
}

@test "a hash tree made with other parameters than sha256 and 4 KiB blocks is refused at registration" {
	command -v veritysetup >/dev/null || fail "veritysetup is not installed (package cryptsetup-bin)"
	truncate -s 16M f.img
	mkfs.ext4 -q -b 4096 f.img
	for params in "--data-block-size=8192" "--hash-block-size=8192" "--hash=sha1"; do
		# shellcheck disable=SC2086
		root=$(veritysetup format $params f.img f.hash | awk '/^Root hash:/ { print $3 }')
		run image-create --source "$PWD/f.img" v --verity "$PWD/f.hash" --root-hash "$root"
		assert_one_line_error "image-create: the hash tree $PWD/f.hash uses parameters that cannot be used here"
		assert_file_not_exist "$SHARED_ROOTFS_STATEDIR/images/v"
		rm f.hash
	done
	run image-list
	assert_success
}
