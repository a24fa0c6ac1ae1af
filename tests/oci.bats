#!/usr/bin/env bats
# image-create --from-oci on the host: every fault of the layout itself is
# found and named before anything is touched (no device-mapper needed), and
# image-config's errors.  The import itself is tested in the guest
# (tests/vm/oci.bats).

load helpers/common

LAYOUT=$BATS_TEST_DIRNAME/helpers/oci-layout.py

setup() {
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
	python3 -S "$LAYOUT" tar base.tar d:etc f:etc/motd=hello
}

# image-create of SPEC fails with one line containing MESSAGE, and the catalog stays empty.
refused() {
	local spec=$1 message=$2
	run image-create pool0 img --from-oci "$spec"
	assert_one_line_error "image-create: $message"
	assert_file_not_exist "$SHARED_ROOTFS_STATEDIR/images/img"
	assert_file_not_exist "$SHARED_ROOTFS_STATEDIR/layers"
}

# Rewrites blob DIGEST (sha256:HEX) of layout L with python code run on its bytes as b.
edit_blob() {
	local l=$1 digest=$2 code=$3
	python3 -S -c "
import sys
p = sys.argv[1]
b = open(p, 'rb').read()
$code
open(p, 'wb').write(b)" "$l/blobs/sha256/${digest#sha256:}"
}

# The digest of the first manifest entry of L's index.json.
first_entry() {
	python3 -S -c "import json,sys; print(json.load(open(sys.argv[1]))['manifests'][0]['digest'])" \
		"$1/index.json"
}

@test "not a layout, or a layout without index.json or oci-layout: named" {
	mkdir empty
	refused empty "empty is not an OCI image layout: it has no oci-layout"
	refused nothere "nothere: no such directory (an OCI image layout, optionally :REF)"
	python3 -S "$LAYOUT" image L one base.tar
	rm L/index.json
	refused L "L is not an OCI image layout: it has no index.json"
	python3 -S "$LAYOUT" image M one base.tar
	echo '{"imageLayoutVersion": "2.0.0"}' >M/oci-layout
	refused M "M: unsupported image layout version 2.0.0 (1.x is supported)"
	echo '{"imageLayoutVersion": "1.0.0"}' >M/oci-layout
	echo '[1, 2' >M/index.json
	refused M "M: index.json is not a JSON object"
	echo '{"schemaVersion": 2}' >M/index.json
	refused M 'M: index.json has no "manifests" list'
	echo '{"schemaVersion": 2, "manifests": []}' >M/index.json
	refused M "M: index.json lists no image"
}

@test "REF: unknown names list the names there are; several images need one" {
	python3 -S "$LAYOUT" image L one base.tar
	python3 -S "$LAYOUT" image L two base.tar
	refused L:three "L: no image named three (there are: one, two)"
	refused L "L holds 2 images: name one as L:REF (there are: one, two)"
	refused 'L:a b' "L: 'a b' is not a valid image name"
	refused L: "L: empty image name after ':'"
}

@test "a multi-platform index gives this machine's manifest, or says which there are" {
	python3 -S "$LAYOUT" image L other base.tar --platform linux/s390x --index
	python3 -S "$LAYOUT" image L foreign base.tar --platform linux/riscv64
	# (linux/s390x is in every index this helper writes; this machine is not s390x.)
	[ "$(uname -m)" != s390x ] || skip "this machine is s390x"
	run image-create pool0 img --from-oci L:other
	assert_failure
	assert_output --partial "no manifest for linux/"
	assert_output --partial "(there are: linux/s390x, linux/s390x)"
	# A plain manifest is taken whatever its platform: it is the image the name names.
	run image-create pool0 img --from-oci L:foreign
	refute_output --partial "no manifest"
}

@test "unsupported media types are named" {
	python3 -S "$LAYOUT" image L bz base.tar --layer-media-type application/vnd.oci.image.layer.v1.tar+bzip2
	refused L "L: layer sha256:"
	assert_output --partial "has an unsupported media type application/vnd.oci.image.layer.v1.tar+bzip2"
	python3 -S "$LAYOUT" image M one base.tar
	sed -i 's|application/vnd.oci.image.manifest.v1+json|application/vnd.example.thing|' M/index.json
	refused M "M: unsupported media type application/vnd.example.thing of blob sha256:"
}

@test "a manifest that does not match its digest, is truncated or is missing: named" {
	python3 -S "$LAYOUT" image L one base.tar
	digest=$(first_entry L)
	edit_blob L "$digest" 'b = b.replace(b"schemaVersion\": 2", b"schemaVersion\": 3")'
	refused L "L: manifest $digest does not match its digest (it hashes to sha256:"
	edit_blob L "$digest" 'b = b[:-10]'
	refused L "L: manifest $digest is not"
	assert_output --partial "bytes long as its descriptor says (truncated or replaced)"
	rm "L/blobs/sha256/${digest#sha256:}"
	refused L "L: cannot open blob $digest: No such file or directory"
}

@test "descriptors: another digest algorithm, a malformed digest, a blob path through a symlink" {
	python3 -S "$LAYOUT" image L one base.tar
	digest=$(first_entry L)
	sed -i "s|$digest|sha512:$(printf '%0128d' 0)|" L/index.json
	refused L "L: index.json names blob sha512:"
	assert_output --partial "of an unsupported digest algorithm (sha256 is supported)"
	sed -i "s|sha512:[0-9]*|sha256:../../etc/passwd|" L/index.json
	refused L "L: index.json names a malformed digest 'sha256:../../etc/passwd'"
	python3 -S "$LAYOUT" image M one base.tar
	digest=$(first_entry M)
	mkdir elsewhere
	mv M/blobs/sha256 elsewhere/
	ln -s ../elsewhere/sha256 M/blobs/sha256
	refused M "M: cannot open blob $digest: "
}

@test "a config whose diff_ids do not match the layers is refused" {
	python3 -S "$LAYOUT" tar top.tar f:etc/top=1
	python3 -S "$LAYOUT" image L one base.tar top.tar --extra-diff-id
	refused L "L: config sha256:"
	assert_output --partial " lists 3 diff_ids for 2 layers"
}

@test "image-config: unknown image, no config, usage" {
	run image-config nothere
	assert_one_line_error "image-config: unknown image nothere"
	truncate -s 16M fs.img
	mkfs.ext4 -q fs.img
	image-create -q --source fs.img plain
	run image-config plain
	assert_one_line_error "image-config: image plain has no OCI config: it was not made with image-create --from-oci"
	run image-config
	[ "$status" -eq 2 ]
	run image-config a b
	[ "$status" -eq 2 ]
	run image-config ../x
	[ "$status" -eq 2 ]
}

@test "a FIFO or a device in the layout's place is refused without blocking" {
	python3 -S "$LAYOUT" image L one base.tar
	digest=$(first_entry L)
	rm "L/blobs/sha256/${digest#sha256:}"
	mkfifo "L/blobs/sha256/${digest#sha256:}"
	run timeout 10 image-create pool0 img --from-oci L
	assert_one_line_error "image-create: L: blob $digest is not a regular file"
	rm L/index.json
	mknod L/index.json c 1 5
	run timeout 10 image-create pool0 img --from-oci L
	assert_one_line_error "image-create: L: index.json is not a regular file"
}
