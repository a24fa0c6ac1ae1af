#!/usr/bin/env bats
# image-create --from-oci on a real thin pool.  Layouts are made by umoci and
# skopeo; umoci unpack of the same image is the oracle for every tree.

load ../helpers/common
load ../helpers/pool
load ../helpers/image

LAYOUT_PY=$BATS_TEST_DIRNAME/../helpers/oci-layout.py

setup() {
	pool_setup
	make_pool
}
teardown() {
	unmount_test_tmpdir
	pool_teardown
	# Layouts and trees: gone now, not at the end of the run (see pool_teardown).
	rm -rf "${BATS_TEST_TMPDIR:?}"/*
}

# The layout L: "base" (make_tree's tree), "app1" and "app2" on it, each one layer more.
make_layouts() {
	umoci init --layout L
	umoci new --image L:base
	umoci unpack --image L:base b >/dev/null
	make_tree b/rootfs
	# A non-ASCII name: Go's tar writer puts it in a pax header, in UTF-8.
	echo cert >"b/rootfs/etc/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt"
	umoci repack --image L:base b
	rm -rf b
	umoci unpack --image L:base b >/dev/null
	echo one >b/rootfs/etc/app
	rm b/rootfs/usr/lib/blob
	rm -r b/rootfs/srv/private       # whiteouts
	umoci repack --image L:app1 b
	umoci config --image L:app1 --config.cmd /bin/tool --config.env APP=1 >/dev/null
	rm -rf b
	umoci unpack --image L:base b >/dev/null
	echo two >b/rootfs/etc/app
	ln -s /etc/app b/rootfs/bin/app
	umoci repack --image L:app2 b
	rm -rf b
}

# The manifest of IMAGE's tree as a container sees it, and that of umoci unpack of SPEC
# (unpacked once per test and SPEC); the mtimes of the directories named after SPEC are
# left out.
assert_tree_as_umoci() {
	local image=$1 spec=$2 id=t-$1 want=want-${2//[:\/]/_} d
	shift 2
	if [ ! -s "$want" ]; then
		rm -rf ref
		umoci unpack --image "$spec" ref >/dev/null
		manifest ref/rootfs >"$want"
		rm -rf ref
	fi
	mkdir -p "$BATS_TEST_TMPDIR/$id"
	rootfs-share -q "$image" "$id" "$BATS_TEST_TMPDIR/$id"
	manifest "$BATS_TEST_TMPDIR/$id" >got
	rootfs-release -q --deactivate "$id"
	for d in "$@"; do
		sed -i "s|^\($d 0o40000 .*\) [0-9]* -\$|\1 (mtime) -|" "$want" got
	done
	diff -u "$want" got || fail "image $image differs from umoci unpack of $spec"
}

# The JSON of image-list --layers, one line per layer: "CHAIN DEVICE_ID USERS SEALED".
layers() {
	image-list --layers --json | python3 -S -c "
import json, sys
for l in json.load(sys.stdin)['layers']:
    print(l['chain_id'], l['device_id'], l['users'], str(l['sealed']).lower())" | sort
}

# The chain ids of the layers of image SPEC of a layout, lowest first (from its config).
chain_ids() {
	python3 -S - "$1" "$2" <<-'PY'
	import hashlib, json, sys
	layout, ref = sys.argv[1], sys.argv[2]
	blob = lambda d: json.load(open(layout + "/blobs/sha256/" + d.split(":")[1]))
	idx = json.load(open(layout + "/index.json"))
	m = [e for e in idx["manifests"] if e["annotations"]["org.opencontainers.image.ref.name"] == ref][0]
	chain = None
	for d in blob(blob(m["digest"])["config"]["digest"])["rootfs"]["diff_ids"]:
	    chain = d if chain is None else "sha256:" + hashlib.sha256((chain + " " + d).encode()).hexdigest()
	    print(chain)
	PY
}

@test "two images on one base: trees as umoci unpacks them, the base layer shared, removal keeps the other" {
	make_layouts
	run image-create "$POOL" app1 --from-oci L:app1
	assert_success
	assert_output --regexp "^image-create: image app1 created in pool $POOL from L \(thin device [0-9]+, 2 layers, 2 unpacked, ext4, 1G\)$"
	run image-create "$POOL" app2 --from-oci L:app2
	assert_success
	assert_output --partial "2 layers, 1 unpacked"
	assert_tree_as_umoci app1 L:app1
	assert_tree_as_umoci app2 L:app2

	# One base layer, used by the two layers above it; each of those by its image.
	chains=($(chain_ids L app1) $(chain_ids L app2))
	base=${chains[0]} top1=${chains[1]} top2=${chains[3]}
	[ "${chains[2]}" = "$base" ]
	run layers
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --regexp "^$base [0-9]+ 2 true$"
	assert_output --partial "$top1 "
	assert_output --partial "$top2 "
	[ "$(image_field app1 ref)" = app1 ]
	[ "$(image_field app2 manifest)" = "$(python3 -S -c "import json; print([e for e in json.load(open('L/index.json'))['manifests'] if e['annotations']['org.opencontainers.image.ref.name'] == 'app2'][0]['digest'])")" ]
	assert_pool_matches_catalog

	# The config, as umoci wrote it.
	run image-config app1
	assert_success
	assert_line "Cmd:          /bin/tool"
	assert_line --regexp "^Env: +APP=1$"
	# --json: the config blob byte for byte (a final newline added when it has none).
	config=$(image_field app1 config)
	image-config --json app1 >printed
	python3 -S -c "
import sys
got, blob = open('printed', 'rb').read(), open(sys.argv[1], 'rb').read()
sys.exit(0 if got in (blob, blob + b'\\n') else 1)" "L/blobs/sha256/${config#sha256:}"

	# Removing app1 deletes its own layer only; app2 still works on the base.
	run image-remove app1
	assert_success
	run layers
	assert_equal "${#lines[@]}" 2
	assert_line --regexp "^$base [0-9]+ 1 true$"
	refute_output --partial "$top1"
	assert_tree_as_umoci app2 L:app2
	assert_pool_matches_catalog
	image-remove -q app2
	run layers
	assert_output ""
	assert_pool_matches_catalog
	assert_nothing_left
}

@test "three layers: whiteouts and an opaque directory applied as umoci applies them" {
	make_layouts
	# The opaque marker of var comes after what the layer writes in var/empty: what
	# var/empty held below goes as well.
	python3 -S "$LAYOUT_PY" tar opq.tar d:srv f:srv/.wh..wh..opq= f:srv/new=fresh d:etc f:etc/.wh.motd= \
		d:var d:var/empty f:var/empty/new=1 f:var/.wh..wh..opq=
	umoci tag --image L:app1 three
	umoci raw add-layer --image L:three opq.tar
	run image-create "$POOL" three --from-oci L:three
	assert_success
	assert_output --partial "3 layers, 3 unpacked"
	# umoci leaves var/empty with the time its lower content was removed at; the
	# layer's entry for it says 1000000000, which the image keeps.
	assert_tree_as_umoci three L:three var/empty
	in_mount_ns true
	assert_nothing_left
}

@test "zstd layers (skopeo), Docker schema 2 manifests (skopeo --format v2s2), a docker-archive" {
	make_layouts
	skopeo copy -q --dest-compress-format zstd oci:L:app1 oci:Z:app1
	skopeo copy -q --format v2s2 oci:L:app2 oci:E:app2
	skopeo copy -q oci:L:base docker-archive:d.tar:base:latest
	skopeo copy -q docker-archive:d.tar oci:D:base
	grep -q 'tar+zstd' Z/blobs/sha256/* || fail "skopeo wrote no zstd layer"
	grep -q 'application/vnd.docker.distribution.manifest.v2+json' E/index.json ||
		fail "skopeo wrote no Docker schema 2 manifest"
	image-create -q "$POOL" z --from-oci Z:app1
	image-create -q "$POOL" e --from-oci E:app2
	image-create -q "$POOL" d --from-oci D
	# umoci 0.4.7 reads neither zstd layers nor Docker's manifests: those images are
	# checked against the OCI image they were copied from (the same diff ids).
	assert_tree_as_umoci z L:app1
	assert_tree_as_umoci d D:base
	assert_tree_as_umoci e L:app2
	assert_pool_matches_catalog
}

@test "an import killed at each step: the next one reuses what was finished; recover clears the rest" {
	make_layouts
	image-create -q "$POOL" base --from-oci L:base
	steps="intent#1 message#1 record#1 transaction#1 device#1 populate#1 unmount#1 layer#1
		intent#2 device#2 populate#2 unmount#2 config#1"
	for step in $steps; do
		run env SHARED_ROOTFS_CRASH_AT="image-create:$step" image-create "$POOL" app1 --from-oci L:app1
		[ "$status" -eq 137 ] || fail "expected a SIGKILL at $step, got $status: $output"
		run image-create -v "$POOL" app1 --from-oci L:app1
		assert_success
		# The base came from image "base"; app1's own layer was unpacked again unless it was sealed.
		case $step in
		layer#1 | intent#2 | device#2 | populate#2 | unmount#2 | config#1)
			assert_output --partial "2 layers, 0 unpacked" ;;
		*)	assert_output --partial "2 layers, 1 unpacked" ;;
		esac
		assert_nothing_left
		assert_tree_as_umoci app1 L:app1
		image-remove -q app1
		assert_nothing_left
	done
	# Killed with layers made but no image: recover deletes what no image uses.
	run env SHARED_ROOTFS_CRASH_AT="image-create:populate#1" image-create "$POOL" app2 --from-oci L:app2
	[ "$status" -eq 137 ]
	run shared-rootfs-recover
	assert_success
	run layers
	assert_equal "${#lines[@]}" 1    # the base, used by image base
	run env SHARED_ROOTFS_CRASH_AT="image-create:layer#1" image-create "$POOL" app2 --from-oci L:app2
	[ "$status" -eq 137 ]
	run shared-rootfs-recover -v
	assert_success
	assert_output --partial "deleted unused layer"
	run layers
	assert_equal "${#lines[@]}" 1
	assert_nothing_left
}

# The layout M of one image REF: the layers made of each ENTRIES (words of oci-layout.py tar).
one_image() {
	local layout=$1 ref=$2 n=0 tars=()
	shift 2
	for entries in "$@"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		python3 -S "$LAYOUT_PY" tar "l$n.tar" $entries
		tars+=("l$n.tar")
	done
	python3 -S "$LAYOUT_PY" image "$layout" "$ref" "${tars[@]}"
}

@test "bad layers: digest, size, diff_id, ../, absolute paths, whiteouts through links, a full pool" {
	image-create -q "$POOL" keep --size 64M
	# (The refusal's output is left in $output for more checks.)
	check_refused() {
		local spec=$1 message=$2 said
		run image-create "$POOL" bad --from-oci "$spec"
		assert_one_line_error "image-create: $message"
		said=$output
		run layers
		assert_output ""
		assert_nothing_left
		run image-list
		refute_output --partial "bad "
		output=$said
	}
	one_image A a "d:etc f:etc/a=1"
	blob=$(python3 -S -c "
import json
blob = lambda d: json.load(open('A/blobs/sha256/' + d.split(':')[1]))
print(blob(json.load(open('A/index.json'))['manifests'][0]['digest'])['layers'][0]['digest'][7:])")
	printf 'X' | dd of="A/blobs/sha256/$blob" bs=1 seek=20 conv=notrunc status=none
	check_refused A "A: layer sha256:$blob does not match its digest (it hashes to sha256:"
	truncate -s -7 "A/blobs/sha256/$blob"
	check_refused A "A: layer sha256:$blob is"
	assert_output --partial "(truncated or replaced)"

	python3 -S "$LAYOUT_PY" tar w.tar f:etc/a=1
	python3 -S "$LAYOUT_PY" image W w w.tar --wrong-diff-id
	check_refused W "W: layer sha256:"
	assert_output --partial "unpacks to sha256:"
	assert_output --partial "not to the config's diff_id sha256:"

	one_image U u "f:../escape=1"
	check_refused U "U: layer sha256:"
	assert_output --partial ": entry '../escape' leaves the image"
	one_image P p "f:/etc/abs=1"
	check_refused P "P: layer sha256:"
	assert_output --partial ": entry '/etc/abs' is an absolute path"
	one_image S s "d:etc f:etc/keep=1 l:lnk=/etc" "f:lnk/.wh.keep="
	check_refused S "S: layer sha256:"
	assert_output --partial ": whiteout 'lnk/.wh.keep' lies under a symbolic link"
	one_image T t "l:lnk=/etc" "f:lnk/owned=1"
	check_refused T "cannot write 'lnk/owned' from T: layer sha256:"
	assert_output --partial "Cannot extract through symlink"
	[ ! -e /etc/owned ]

	# A full pool: the layer that did not fit is named; nothing is left.
	pool_teardown
	rm -rf data meta "$SHARED_ROOTFS_STATEDIR" "$SHARED_ROOTFS_RUNDIR"
	make_pool 16M --error-if-no-space
	mkdir -p big/data && head -c 24M /dev/urandom >big/data/blob
	tar -C big -cf big.tar data
	python3 -S "$LAYOUT_PY" image F f big.tar --compress none
	run image-create "$POOL" bad --from-oci F --size 64M
	assert_failure
	assert_output --partial "pool $POOL is full: layer sha256:"
	run layers
	assert_output ""
	assert_nothing_left
}

@test "bench/oci (tiny) prints image-create beside umoci unpack and the pool's space, and cleans up" {
	run env BENCH_FILES=300 BENCH_IN_VM=1 "$BATS_TEST_DIRNAME/../../bench/oci" 1
	assert_success
	assert_line --regexp '^  umoci unpack +[0-9]+ ms$'
	assert_line --regexp '^  image-create +[0-9]+ ms$'
	assert_line --regexp '^  image-create / umoci unpack: [0-9.]+x$'
	assert_line --regexp '^  pool data, app1 \+ app2 +[0-9.]+ MiB$'
	assert_line --regexp '^  pool / unpacked trees: [0-9.]+x$'
	[ -z "$(ls /tmp | grep '^srfs-bench-oci\.')" ]
	run dmsetup ls
	refute_output --partial benchoci
}
