# Helpers for the runtime wrapper's suites (tests/runtime.bats on the host,
# tests/vm/runtime.bats in the guest): container images, bundles, and what a
# test must find left afterwards.

# A tree for containers at $1: busybox, the mount points crun needs on a
# read-only root, /etc/motd saying "hello from $2", /home/u owned by 1000.
make_container_tree() {
	local t=$1
	mkdir -p "$t/bin" "$t/etc" "$t/proc" "$t/sys" "$t/dev" "$t/tmp" "$t/run" "$t/var/tmp" "$t/home/u"
	cp "$(command -v busybox)" "$t/bin/busybox"
	for a in sh cat echo id stat touch sleep true; do ln -sf busybox "$t/bin/$a"; done
	head -c 4M /dev/urandom >"$t/big"
	echo "root:x:0:0:root:/root:/bin/sh" >"$t/etc/passwd"
	echo "hello from $2" >"$t/etc/motd"
	echo mine >"$t/home/u/f"
	chown -R 1000:1000 "$t/home/u"
}

# An ext4 image file with that tree, registered as image $1 (default "img").
make_container_image() {
	local name=${1:-img}
	make_container_tree "$BATS_TEST_TMPDIR/tree-$name" "$name"
	truncate -s 32M "$BATS_TEST_TMPDIR/$name.img"
	mkfs.ext4 -q -d "$BATS_TEST_TMPDIR/tree-$name" "$BATS_TEST_TMPDIR/$name.img"
	image-create -q --source "$BATS_TEST_TMPDIR/$name.img" "$name"
}

# A crun bundle in $1 whose process runs the shell command $3, with root.path
# "rootfs" (an empty directory, as an engine's) read-only, and the annotation
# org.shared-rootfs.image=$2 unless $2 is empty.  $4: python statements run on
# the config (the dict c) before it is written.
make_bundle() {
	mkdir -p "$1/rootfs"
	rm -f "$1/config.json"
	(cd "$1" && crun spec)
	python3 -S - "$1/config.json" "$2" "$3" "${4:-}" <<-'PY'
		import json, sys
		path, image, script, extra = sys.argv[1:]
		c = json.load(open(path))
		c['root'] = {'path': 'rootfs', 'readonly': True}
		c['process']['terminal'] = False
		c['process']['args'] = ['/bin/sh', '-c', script]
		if image:
		    c.setdefault('annotations', {})['org.shared-rootfs.image'] = image
		exec(extra)
		json.dump(c, open(path, 'w'), indent=1)
	PY
}

# The wrapper as an engine runs it: crun's state in this test's directory, and
# (on the host, whose controllers are on cgroup v1) no cgroups.
wrapper() {
	shared-rootfs-runtime --root "$BATS_TEST_TMPDIR/crun" ${RUNTIME_GLOBAL_OPTS:-} "$@"
}

# The status crun gives container $1 ("" when there is none).
container_status() {
	wrapper state "$1" 2>/dev/null | sed -n 's/^ *"status": *"\([a-z]*\)".*/\1/p' || true
}

# Waits until container $1 is stopped.
wait_stopped() {
	for _ in $(seq 300); do
		[ "$(container_status "$1")" = stopped ] && return 0
		sleep 0.1
	done
	echo "container $1 did not stop" >&2
	return 1
}

# Everything the wrapper could leave: share and container records, mounts of
# this test's directory, the bundles' shared-rootfs directories and kept
# configs, crun's containers.
wrapper_leftovers() {
	(cd "$SHARED_ROOTFS_RUNDIR" 2>/dev/null && find shares targets containers upper -type f 2>/dev/null | sort)
	grep -F "$BATS_TEST_TMPDIR" /proc/self/mountinfo | awk '{ print $5 }' |
		grep -v "^$SHARED_ROOTFS_RUNDIR" | sort
	find "$BATS_TEST_TMPDIR" -maxdepth 2 \( -name shared-rootfs -o -name '*.orig' \) | sort
	ls "$BATS_TEST_TMPDIR/crun" 2>/dev/null | grep -v '^\.' || true
}

# Deletes (--force) every container crun has in this test's directory.
delete_test_containers() {
	local c
	for c in $(ls "$BATS_TEST_TMPDIR/crun" 2>/dev/null); do
		crun --root "$BATS_TEST_TMPDIR/crun" ${RUNTIME_GLOBAL_OPTS:-} delete --force "$c" >/dev/null 2>&1 || true
	done
}

# Fails, naming them, when the wrapper left anything (wrapper_leftovers).
no_leftovers() {
	local left
	left=$(wrapper_leftovers)
	[ -z "$left" ] || { echo "left: $left" >&2; return 1; }
}
