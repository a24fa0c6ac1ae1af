#!/usr/bin/env bats
# dm-verity images on the guest's kernel: hash trees checked against veritysetup
# (cryptsetup-bin, an independent implementation), activation through a verity
# target, a wrong root hash refused, corrupt blocks read as EIO through every
# share, root hash signatures, and every step of image-verity killed and recovered.

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share

setup() {
	pool_setup
	modprobe dm-verity 2>/dev/null || true
	make_pool
	mkdir -p src/etc src/bin src/data
	echo "pool image" >src/etc/motd
	head -c 262144 /dev/urandom >src/data/target
	head -c 262144 /dev/urandom >src/data/other
	tar -C src -cf img.tar .
}
teardown() {
	unmount_test_tmpdir
	pool_teardown
}

# The /dev/dm-N of a new dm device NAME for thin id $2 of the pool, $3 bytes ($4: --readonly or "").
thin_dev() {
	local name=$1 id=$2 size=$3 pool_devno
	pool_devno=$(dmsetup info -c --noheadings -o major,minor --separator : "srfs-$POOL")
	dmsetup create ${4:-} "$name" --table "0 $((size / 512)) thin $pool_devno $id"
	echo "/dev/dm-$(dmsetup info -c --noheadings -o minor "$name" | tr -d ' ')"
}

# No device, loop device, mount or record of image $1 is left.
assert_nothing_of() {
	run dmsetup ls
	refute_output --partial "srfs-img:$1"
	refute_output --partial "srfs-vdata:$1"
	refute_output --partial "srfs-vhash:$1"
	assert_file_not_exist "$SHARED_ROOTFS_RUNDIR/images/$1"
	assert_file_not_exist "$SHARED_ROOTFS_RUNDIR/mnt/$1"
	local left
	left=$(losetup -n -O NAME,BACK-FILE | awk -v d="$BATS_TEST_TMPDIR/" 'index($2, d) == 1 && $2 !~ /\/(data|meta)$/')
	[ -z "$left" ] || fail "loop devices left: $left"
}

# The ext4 block (4 KiB) that holds byte 0 of file $2 in the file system on device $1.
block_of() {
	debugfs -R "bmap $2 0" "$1" 2>/dev/null | tail -n 1
}

@test "image-verity's hash tree is veritysetup's; the image is mounted through a verity target" {
	image-create -q "$POOL" img --size 64M --from-tar img.tar
	run image-verity img
	assert_success
	[[ $output =~ ^[0-9a-f]{64}$ ]] || fail "not a root hash: $output"
	root=$output
	# Idempotent: the same root hash again.
	run image-verity img
	assert_output "$root"
	read -r vid size vsize_id hash <<<"$(image_field img verity_device_id size verity_device_id root_hash)"
	[ "$hash" = "$root" ]
	[ "$(image_field img verity corrupted)" = "true false" ]

	# veritysetup, on the two thin ids, agrees with the tree and the root hash.
	data=$(thin_dev vt-data "$(image_field img device_id)" "$size" --readonly)
	hashdev=$(thin_dev vt-hash "$vid" $((64 << 20)) --readonly)
	run veritysetup verify "$data" "$hashdev" "$root"
	assert_success
	run veritysetup verify "$data" "$hashdev" "$(printf '%064d' 0)"
	assert_failure
	dmsetup remove vt-data vt-hash

	run image-activate img
	assert_success
	dmsetup table "srfs-img:img" | grep -q " verity 1 .* sha256 $root "
	[ "$(dmsetup status "srfs-img:img" | awk '{print $4}')" = V ]
	mkdir c1 c2
	rootfs-share img c1 "$PWD/c1"
	rootfs-share --mode overlay img c2 "$PWD/c2"
	[ "$(cat c1/etc/motd)" = "pool image" ]
	cmp c2/data/target src/data/target
	run image-list
	assert_line --regexp "^img +$POOL +1 +- +64M +ext4 +- +- +yes +yes +yes +2 +-$"
	assert_consistent
	rootfs-release c1
	rootfs-release c2 --deactivate
	assert_nothing_of img
	assert_pool_matches_catalog

	# Removing the image deletes its hash area's thin id too.
	image-remove -q img
	assert_pool_matches_catalog
	[ -z "$(pool_thin_ids)" ]
}

@test "image-create --verity, from a tar and from a directory; --parent keeps its own tree" {
	run image-create "$POOL" a --size 64M --from-tar img.tar --verity
	assert_success
	assert_line --regexp "^image-create: image a: root hash [0-9a-f]{64}$"
	image-create -q "$POOL" b --size 64M --from-dir src --verity
	printf 'x\n' >layer-file && tar -cf layer.tar layer-file
	image-create -q "$POOL" c --parent a --from-tar layer.tar --verity
	for i in a b c; do
		read -r id vid size root <<<"$(image_field $i device_id verity_device_id size root_hash)"
		data=$(thin_dev vt-data "$id" "$size" --readonly)
		hashdev=$(thin_dev vt-hash "$vid" $((64 << 20)) --readonly)
		veritysetup verify "$data" "$hashdev" "$root" || fail "image $i does not verify"
		dmsetup remove vt-data vt-hash
		mkdir -p "m$i"
		rootfs-share "$i" "s$i" "$PWD/m$i"
		cmp "m$i/data/target" src/data/target
	done
	[ "$(cat mc/layer-file)" = x ]
	for i in a b c; do rootfs-release "s$i" --deactivate; done
	assert_pool_matches_catalog
	assert_nothing_left
}

@test "a file image: image-verity's FILE.verity passes veritysetup, and veritysetup's tree is accepted" {
	truncate -s 32M f.img
	mkfs.ext4 -q -b 4096 -d src f.img
	image-create -q --source "$PWD/f.img" f
	root=$(image-verity f)
	assert_file_exist f.img.verity
	run veritysetup verify f.img f.img.verity "$root"
	assert_success
	[ "$(image_field f verity_file)" = "$PWD/f.img.verity" ]

	# A tree made by veritysetup, registered with its root hash.
	cp f.img g.img
	vroot=$(veritysetup format g.img g.hash | awk '/^Root hash:/ { print $3 }')
	run image-create --source "$PWD/g.img" g --verity "$PWD/g.hash" --root-hash "$vroot"
	assert_success
	for i in f g; do
		mkdir "m$i"
		rootfs-share "$i" "s$i" "$PWD/m$i"
		cmp "m$i/data/other" src/data/other
		dmsetup table "srfs-img:$i" | grep -q " verity "
	done
	run image-activate g --root-hash "${vroot^^}"
	assert_success
	rootfs-release sf --deactivate
	rootfs-release sg --deactivate
	assert_nothing_of f
	assert_nothing_of g

	# A root hash that is not the tree's: nothing is registered.
	run image-create --source "$PWD/g.img" h --verity "$PWD/g.hash" --root-hash "$root"
	assert_one_line_error "does not verify"
	[ ! -e "$SHARED_ROOTFS_STATEDIR/images/h" ]
}

@test "a wrong root hash: the activation is refused in one line, and nothing is left" {
	image-create -q "$POOL" img --size 64M --from-tar img.tar --verity
	root=$(image_field img root_hash)
	wrong=$(printf '%s' "$root" | tr '0-9a-f' '1-9a-f0')
	run image-activate img --root-hash "$wrong"
	assert_one_line_error "image-activate: root hash $wrong is not image img's"
	assert_nothing_of img

	# The record says another root hash (as if the tree were changed): the kernel refuses it.
	sed -i "s/^root_hash=.*/root_hash=$wrong/" "$SHARED_ROOTFS_STATEDIR/images/img"
	run image-activate img
	assert_one_line_error "image-activate: image img does not verify: its data or hash tree does not match its root hash $wrong"
	assert_nothing_of img
	mkdir c1
	run rootfs-share img c1 "$PWD/c1"
	assert_failure
	assert_nothing_of img
	[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/shares")" ]
	sed -i "s/^root_hash=.*/root_hash=$root/" "$SHARED_ROOTFS_STATEDIR/images/img"
	run image-activate img
	assert_success
	image-deactivate img
}

@test "one byte changed under the tree: that file gives EIO through every share, the rest reads" {
	image-create -q "$POOL" img --size 64M --from-tar img.tar --verity
	# A second, writable activation of the image's thin id changes one byte of data/target.
	dev=$(thin_dev vt-rw "$(image_field img device_id)" $((64 << 20)))
	block=$(block_of "$dev" /data/target)
	[[ $block =~ ^[0-9]+$ ]] && [ "$block" -gt 0 ] || fail "no block for /data/target: $block"
	printf '\xff' | dd of="$dev" bs=1 seek=$((block * 4096 + 100)) conv=notrunc status=none
	sync
	dmsetup remove vt-rw

	mkdir c1 c2
	rootfs-share img c1 "$PWD/c1"
	rootfs-share --mode overlay img c2 "$PWD/c2"
	for c in c1 c2; do
		run cat "$c/data/target"
		assert_failure
		assert_output --partial "Input/output error"
		cmp "$c/data/other" src/data/other
		[ "$(cat "$c/etc/motd")" = "pool image" ]
	done
	run image-list
	assert_line --regexp "^img +$POOL .* ext4 .* corrupted +yes +yes +2 +-$"
	[ "$(image_field img corrupted)" = true ]
	rootfs-release c1
	rootfs-release c2 --deactivate
	assert_nothing_of img
}

@test "one byte changed in a verity image file: EIO for that file, the rest reads" {
	truncate -s 32M f.img
	mkfs.ext4 -q -b 4096 -d src f.img
	image-create -q --source "$PWD/f.img" f
	image-verity -q f
	block=$(block_of f.img /data/target)
	printf '\xff' | dd of=f.img bs=1 seek=$((block * 4096 + 7)) conv=notrunc status=none
	mkdir c1
	rootfs-share f c1 "$PWD/c1"
	run cat c1/data/target
	assert_output --partial "Input/output error"
	cmp c1/data/other src/data/other
	[ "$(image_field f corrupted)" = true ]
	rootfs-release c1 --deactivate
	assert_nothing_of f
}

@test "a root hash signature goes to the kernel, which checks it against its trusted keys" {
	image-create -q "$POOL" img --size 64M --from-tar img.tar --verity
	root=$(image_field img root_hash)
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -subj /CN=srfs-test \
		-days 1 2>/dev/null
	openssl x509 -in cert.pem -outform der -out cert.der
	printf '%s' "$root" >root.txt
	openssl smime -sign -nocerts -noattr -binary -in root.txt -inkey key.pem -signer cert.pem \
		-outform der -out root.sig
	run image-activate img --root-hash-signature "$PWD/nosuch.sig"
	assert_one_line_error "image-activate: cannot read $PWD/nosuch.sig: No such file or directory"

	config=/boot/config-$(uname -r)
	if ! grep -q '^CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG=y' "$config"; then
		run image-activate img --root-hash-signature "$PWD/root.sig"
		assert_one_line_error "image-activate: the kernel refused the root hash signature $PWD/root.sig of image img"
		assert_output --partial "CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG"
		assert_nothing_of img
		return
	fi
	# The kernel trusts a key only when a key it trusts already signed it: a
	# self-signed one is refused (Debian's kernel), unless this kernel takes it.
	if keyctl padd asymmetric srfs-test %:.secondary_trusted_keys <cert.der >/dev/null 2>&1; then
		run image-activate img --root-hash-signature "$PWD/root.sig"
		assert_success
		image-deactivate img
		printf '%s' "$(printf '%064d' 0)" >bad.txt
		openssl smime -sign -nocerts -noattr -binary -in bad.txt -inkey key.pem \
			-signer cert.pem -outform der -out bad.sig
		run image-activate img --root-hash-signature "$PWD/bad.sig"
		assert_one_line_error "image-activate: the kernel refused the root hash signature"
	else
		run image-activate img --root-hash-signature "$PWD/root.sig"
		assert_one_line_error "image-activate: the kernel refused the root hash signature $PWD/root.sig of image img ("
		assert_output --partial "must be in the kernel's trusted keyrings"
	fi
	assert_nothing_of img
	# No key of ours is left in any keyring.
	run grep -c srfs-verity /proc/keys
	assert_output 0
	# Without a signature the image activates.
	image-activate -q img
	image-deactivate img
}

# Kills "$2..." at step $1, runs shared-rootfs-recover, and checks what is left.
crash() {
	run env SHARED_ROOTFS_CRASH_AT="$1" "${@:2}"
	[ "$status" -eq 137 ] || fail "$1: status $status: $output"
	run shared-rootfs-recover
	[ "$status" -eq 0 ] || fail "$1: recover failed: $output"
	assert_consistent || fail "$1: inconsistent after recover"
	run dmsetup ls
	refute_output --partial "srfs-vdata:"
	refute_output --partial "srfs-vhash:"
	assert_file_not_exist "$SHARED_ROOTFS_STATEDIR/intents/$POOL"
}

@test "image-verity and image-create --verity killed at each step: recover puts it right" {
	image-create -q "$POOL" img --size 64M --from-tar img.tar
	for step in image-verity:intent image-verity:message image-verity:record \
		image-verity:transaction image-verity:device image-verity:format image-verity:release; do
		crash "$step" image-verity img
		# The image is as it was: no tree, its one thin id; image-verity works again.
		[ "$(image_field img verity verity_device_id)" = "false None" ] ||
			fail "$step: $(image_field img verity verity_device_id)"
		assert_pool_matches_catalog
		run image-verity img
		assert_success
		image-activate -q img
		image-deactivate img
		image-remove -q img
		image-create -q "$POOL" img --size 64M --from-tar img.tar
	done
	# image-create --verity: an image killed before it was sealed is removed.
	for step in image-verity:record image-verity:format image-verity:release; do
		crash "$step" image-create "$POOL" v --size 64M --from-tar img.tar --verity
		assert_file_not_exist "$SHARED_ROOTFS_STATEDIR/images/v"
		assert_pool_matches_catalog
	done
	# Activation of a verity image killed after its device, and after its mount.
	image-verity -q img
	for step in image-activate:device image-activate:mount; do
		crash "$step" image-activate img
		assert_nothing_of img
		image-activate -q img
		image-deactivate img
	done
	assert_pool_matches_catalog
}

@test "verity images: bad input is refused in one line, nothing changed" {
	image-create -q "$POOL" img --size 64M --from-tar img.tar
	image-activate -q img
	run image-verity img
	assert_one_line_error "image-verity: image img is active: deactivate it first (image-deactivate img), so that its next activation is verified"
	image-deactivate img
	run image-verity img --hash-file "$PWD/x"
	assert_one_line_error "image-verity: image img is in pool $POOL: its hash tree goes into the pool, not into a --hash-file"
	run image-activate img --root-hash 00
	assert_one_line_error "image-activate: image img has no hash tree, so no root hash to check (image-verity img makes one)"
	[ "$(image_field img verity verity_device_id)" = "false None" ]
	assert_pool_matches_catalog
	assert_nothing_of img
}

@test "bench/verity (tiny) prints plain and verity side by side, the containers' verification, and cleans up" {
	run env BENCH_MB=4 BENCH_CONTAINERS=3 "$BATS_TEST_DIRNAME/../../bench/verity" 1
	assert_success
	assert_line --regexp '^  cold sequential read +[0-9.]+ MB/s +[0-9.]+ MB/s +[0-9.]+x$'
	assert_line --regexp '^  cold random 4 KiB reads \(1024\) +[0-9]+ ms +[0-9]+ ms +[0-9.]+x$'
	assert_line --regexp '^  warm sequential read +[0-9.]+ MB/s +[0-9.]+ MB/s +[0-9.]+x$'
	# The first container's reads go through the verity target; the others' do not.
	assert_line --regexp '^    sectors read through the verity target \(each one hashed\): container 1 [1-9][0-9]*, containers 2\.\.3 0 in all$'
	assert_line --regexp 'target status V$'
	assert_line --regexp '^    no extra verification per added container: pass$'
	[ -z "$(ls /tmp | grep '^srfs-bench-verity\.')" ]
}
