#!/usr/bin/env bats
# shared-rootfs-runtime on the host, with file images and the real crun: the
# command line passed through unchanged, the runtime chosen, containers
# created, started, run and deleted through the wrapper in every mode, pods,
# bad input, a wrapper killed at each step of create, and 110 containers on
# one image.  This host's cgroup controllers are on cgroup v1, which crun
# refuses: each test runs in a mount namespace of its own with a cgroup2 file
# system on /sys/fs/cgroup, and crun runs with --cgroup-manager=disabled.
# Pool images, podman and containerd are in tests/vm/runtime.bats.

load helpers/common
load helpers/share
load helpers/runtime

setup() {
	require_root
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
	command -v crun >/dev/null || fail "crun is not installed (package crun)"
}

teardown() {
	# Containers left by a failed test (their processes would hold bats' output open).
	in_mount_ns bash -c "source '$BATS_TEST_DIRNAME/helpers/runtime.bash'
		mount -t cgroup2 none /sys/fs/cgroup; RUNTIME_GLOBAL_OPTS=--cgroup-manager=disabled
		delete_test_containers"
	unmount_test_tmpdir
}

# Runs the test's script $1 in a mount namespace of its own, with the helpers.
ns() {
	run in_mount_ns bash -c "set -e
		source '$BATS_TEST_DIRNAME/helpers/share.bash'
		source '$BATS_TEST_DIRNAME/helpers/runtime.bash'
		mount -t cgroup2 none /sys/fs/cgroup
		RUNTIME_GLOBAL_OPTS=--cgroup-manager=disabled
		$1" _
}

# A runtime that records what it was given ($BATS_TEST_TMPDIR/rt.args, one
# argument a line; rt.fds: its open descriptors; rt.root: root.path of the
# bundle's config.json) and exits with $RT_STATUS.
make_recording_runtime() {
	cat >rt <<-'EOF'
		#!/bin/bash
		d=$(dirname "$0")
		printf '[%s]\n' "$@" >"$d/rt.args"
		ls /proc/$$/fd | sort -n | tr '\n' ' ' >"$d/rt.fds"
		b=.; prev=
		for a in "$@"; do [ "$prev" = --bundle ] && b=$a; prev=$a; done
		[ ! -f "$b/config.json" ] || python3 -S -c 'import json, sys; print(json.load(open(sys.argv[1]))["root"]["path"])' "$b/config.json" >"$d/rt.root"
		[ -z "${RT_SIGNAL:-}" ] || kill -"$RT_SIGNAL" $$
		exit "${RT_STATUS:-0}"
	EOF
	chmod 755 rt
}

@test "--version names the wrapper and then the runtime; --help" {
	run shared-rootfs-runtime --version
	assert_success
	[ "${lines[0]}" = "shared-rootfs-runtime (shared-rootfs) $(cat "$BATS_TEST_DIRNAME/../Makefile" | sed -n 's/^VERSION := //p'), running /usr/bin/crun" ]
	[ "${lines[1]}" = "$(crun --version | head -1)" ]
	run shared-rootfs-runtime --help
	assert_success
	assert_output --partial "org.shared-rootfs.image=IMAGE"
	# A command's --help is the runtime's.
	run shared-rootfs-runtime create --help
	assert_success
	assert_output --partial "--bundle=DIR"
}

# The recording runtime got "create --bundle b --pid-file p c2" and descriptor 3.
same_create_args() {
	[ "$(cat rt.args)" = "$(printf '[%s]\n' create --bundle b --pid-file p c2)" ]
	[[ "$(cat rt.fds)" = "0 1 2 3 "* ]]
}

@test "every argument, descriptor and exit status passes through unchanged" {
	make_recording_runtime
	export SHARED_ROOTFS_RUNTIME=$PWD/rt
	# A command the wrapper does not act on: one execv, everything as given.
	run shared-rootfs-runtime --root /x --log=/y -debug exec --tty c1 sh -c 'a  b' $'new\nline' ''
	assert_success
	[ "$(cat rt.args)" = "[--root]
[/x]
[--log=/y]
[-debug]
[exec]
[--tty]
[c1]
[sh]
[-c]
[a  b]
[new
line]
[]" ]
	# Descriptors beyond 2 reach the runtime (--preserve-fds), and its status comes back.
	RT_STATUS=42 run shared-rootfs-runtime start --preserve-fds 2 c1 3</dev/null 4</dev/null
	assert_failure 42
	[[ "$(cat rt.fds)" = "0 1 2 3 4 "* ]]
	# create without the annotation: passed through, config.json not touched.
	make_bundle b ""  true
	cp -p b/config.json orig.json
	ino=$(stat -c %i b/config.json)
	RT_STATUS=3 run shared-rootfs-runtime create --bundle b --pid-file p c2 3</dev/null
	assert_failure 3
	same_create_args
	cmp b/config.json orig.json
	[ "$(stat -c %i b/config.json)" = "$ino" ]
	[ ! -e b/shared-rootfs ] && [ ! -e b/config.json.orig ]
	# With it: the runtime gets the same arguments and the share as root.path; when it
	# fails, its status comes back and nothing is left.
	make_container_image img
	make_bundle b img true
	cp b/config.json orig.json
	RT_STATUS=3 run shared-rootfs-runtime create --bundle b --pid-file p c2 3</dev/null
	assert_failure 3
	same_create_args
	[ "$(cat rt.root)" = "$PWD/b/shared-rootfs" ]
	cmp b/config.json orig.json
	no_leftovers
	# Killed by a signal: the wrapper ends by the same signal.
	RT_SIGNAL=TERM run shared-rootfs-runtime create --bundle b c3
	[ "$status" = 143 ]
	cmp b/config.json orig.json
	no_leftovers
}

@test "a signal sent to the wrapper reaches the runtime it waits for" {
	make_container_image img
	cat >rt <<-'EOF'
		#!/bin/bash
		trap 'echo got-term >"$(dirname "$0")/rt.sig"; exit 5' TERM
		touch "$(dirname "$0")/rt.started"
		while :; do sleep 0.05; done
	EOF
	chmod 755 rt
	make_bundle b img true
	SHARED_ROOTFS_RUNTIME=$PWD/rt shared-rootfs-runtime create --bundle b c1 &
	pid=$!
	for _ in $(seq 100); do [ -e rt.started ] && break; sleep 0.1; done
	kill -TERM $pid
	rc=0
	wait $pid || rc=$?
	[ "$rc" = 5 ]
	[ "$(cat rt.sig)" = got-term ]
	no_leftovers
}

@test "crun's own errors and exit status come through unchanged" {
	ns '
		crun --root "$PWD/crun" state nosuch >want.out 2>want.err && exit 1 || want=$?
		wrapper state nosuch >got.out 2>got.err && exit 1 || got=$?
		[ "$got" = "$want" ]
		cmp want.out got.out && diff want.err got.err
		# A create crun refuses, of a container with the annotation: its message and
		# status, and nothing left.
		make_container_image img
		make_bundle b img true "c[\"linux\"][\"namespaces\"].append({\"type\": \"bogus\"})"
		cp b/config.json orig.json
		crun --root "$PWD/crun" --cgroup-manager=disabled create --bundle b c1 >want.out 2>want.err && exit 1 || want=$?
		wrapper create --bundle b c1 >got.out 2>got.err && exit 1 || got=$?
		[ "$got" = "$want" ] && [ -s got.err ]
		cmp want.out got.out && diff want.err got.err
		cmp b/config.json orig.json
		no_leftovers
	'
	assert_success
}

@test "the runtime: SHARED_ROOTFS_RUNTIME, runtime.conf, crun, else runc; never the wrapper itself" {
	run env SHARED_ROOTFS_RUNTIME=runc shared-rootfs-runtime --version
	assert_success
	assert_line --index 0 --partial "running /usr/sbin/runc"
	assert_line --index 1 --partial "runc version"
	run env SHARED_ROOTFS_RUNTIME=/usr/sbin/runc shared-rootfs-runtime --version
	assert_line --index 0 --partial "running /usr/sbin/runc"
	run env SHARED_ROOTFS_RUNTIME=/nonexistent shared-rootfs-runtime state x
	assert_failure 1
	assert_one_line_error "SHARED_ROOTFS_RUNTIME: runtime /nonexistent: No such file or directory"
	run env SHARED_ROOTFS_RUNTIME=nosuch shared-rootfs-runtime state x
	assert_failure 1
	assert_one_line_error "runtime 'nosuch' not found in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	run env SHARED_ROOTFS_RUNTIME="$SRFS_BUILD/shared-rootfs-runtime" shared-rootfs-runtime state x
	assert_failure 1
	assert_one_line_error "is this wrapper itself"
	# /etc/shared-rootfs/runtime.conf, seen through an overlay on /etc in a namespace.
	ns '
		mkdir -p up/shared-rootfs work
		mount -t overlay overlay -o lowerdir=/etc,upperdir=up,workdir=work /etc
		printf "# the runtime\nruntime=/usr/sbin/runc\n" >/etc/shared-rootfs/runtime.conf
		shared-rootfs-runtime --version | head -1 | grep -q "running /usr/sbin/runc"
		# The environment wins.
		SHARED_ROOTFS_RUNTIME=crun shared-rootfs-runtime --version | head -1 | grep -q "running /usr/bin/crun"
		chmod 664 /etc/shared-rootfs/runtime.conf
		! shared-rootfs-runtime state x 2>err
		grep -q "runtime.conf must be a regular file owned by root and writable by no one else" err
		chmod 644 /etc/shared-rootfs/runtime.conf
		echo "binary=/usr/sbin/runc" >/etc/shared-rootfs/runtime.conf
		! shared-rootfs-runtime state x 2>err
		grep -q "runtime.conf, line 1: unknown setting" err
	'
	assert_success
}

@test "crun create, start, state, kill and delete through the wrapper: the share lives with the container" {
	ns '
		make_container_image img
		make_bundle b img "cat /etc/motd; touch /etc/x 2>/dev/null || echo read-only; exec sleep 1000"
		cp b/config.json orig.json
		wrapper create --bundle b --pid-file "$PWD/pid" c1 >out 2>&1 </dev/null
		[ -s pid ]
		[ "$(container_status c1)" = created ]
		# The share, read-only, at the bundle'"'"'s shared-rootfs; root.path points there.
		rootfs-list | grep -E "^c1 +img +ro .* $PWD/b/shared-rootfs "
		mountinfo_of "$PWD/b/shared-rootfs" | grep -q " ro,nosuid,nodev"
		python3 -S -c "import json; c = json.load(open(\"b/config.json\")); assert c[\"root\"] == {\"path\": \"$PWD/b/shared-rootfs\", \"readonly\": True}, c"
		cmp b/config.json.orig orig.json
		wrapper start c1
		for _ in $(seq 50); do grep -q read-only out && break; sleep 0.1; done
		[ "$(cat out)" = "hello from img
read-only" ]
		[ "$(container_status c1)" = running ]
		wrapper kill c1 KILL
		wait_stopped c1
		wrapper delete c1
		# Nothing left: the config as it was, no share, no record.
		cmp b/config.json orig.json
		no_leftovers
		# The image stays active for the next container.
		[ -f "$SHARED_ROOTFS_RUNDIR/images/img" ]
	'
	assert_success
}

@test "run in the foreground: the container's status, and the share released when it exits" {
	ns '
		make_container_image img
		make_bundle b img "cat /etc/motd; exit 7"
		cp b/config.json orig.json
		wrapper run --bundle b c1 >out 2>&1 </dev/null && exit 1 || rc=$?
		[ "$rc" = 7 ]
		[ "$(cat out)" = "hello from img" ]
		cmp b/config.json orig.json
		no_leftovers
		# Again in the same bundle, and detached: the share stays until delete.
		make_bundle b img "cat /etc/motd"
		( cd b && wrapper run --detach c2 >../out2 2>&1 </dev/null )
		wait_stopped c2
		rootfs-list | grep -q "^c2 "
		wrapper delete c2
		[ "$(cat out2)" = "hello from img" ]
		no_leftovers
	'
	assert_success
}

@test "delete: a delete crun refuses keeps the share, delete --force releases it, another --root does not" {
	ns '
		make_container_image img
		make_bundle b img "exec sleep 1000"
		wrapper create --bundle b c1 </dev/null >/dev/null 2>&1
		wrapper start c1
		! wrapper delete c1 2>err
		rootfs-list | grep -q "^c1 "
		# The same id under another runtime root is another container.
		shared-rootfs-runtime --root "$PWD/other" --cgroup-manager=disabled delete --force c1 2>/dev/null || true
		rootfs-list | grep -q "^c1 "
		wrapper delete --force c1
		no_leftovers
	'
	assert_success
}

@test "modes: overlay when root.readonly is false, the annotation's mode, idmapped with a user namespace" {
	ns '
		make_container_image img
		# root.readonly false: overlay, writable; what it wrote goes with the share.
		make_bundle b img "echo new >/etc/x && cat /etc/x" "c[\"root\"][\"readonly\"] = False"
		wrapper run --bundle b c1 >out 2>&1 </dev/null
		[ "$(cat out)" = new ]
		[ ! -e tree-img/etc/x ] && no_leftovers
		# Mode overlay asked for under a read-only root: allowed (the root stays read-only).
		make_bundle b img "touch /etc/x 2>/dev/null || echo read-only" "c[\"annotations\"][\"org.shared-rootfs.mode\"] = \"overlay\""
		wrapper create --bundle b c2 </dev/null >out 2>&1
		rootfs-list | grep -E "^c2 +img +overlay "
		wrapper start c2; wait_stopped c2; wrapper delete c2
		[ "$(cat out)" = read-only ]
		no_leftovers
		# A user namespace: the share is idmapped with the config'"'"'s mappings.  (The
		# container'"'"'s root must be able to reach the bundle: bats made it 0700.)
		chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
		make_bundle b img "id -u; stat -c %u /etc/motd; stat -c %u /home/u/f" "
c[\"linux\"][\"namespaces\"].append({\"type\": \"user\"})
c[\"linux\"][\"uidMappings\"] = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]
c[\"linux\"][\"gidMappings\"] = [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]"
		wrapper create --bundle b c3 </dev/null >out 2>&1
		rootfs-list | grep -E "^c3 +img +ro .* b:0:100000:65536$"
		[ "$(stat -c %u b/shared-rootfs/home/u/f)" = 101000 ]
		wrapper start c3; wait_stopped c3; wrapper delete c3
		[ "$(cat out)" = "0
0
1000" ]
		no_leftovers
	'
	assert_success
}

@test "pods: the annotation keyed by the container's name first; sandbox containers untouched" {
	ns '
		make_container_image img
		make_container_image web
		# containerd'"'"'s name annotation, then CRI-O'"'"'s.
		for key in io.kubernetes.cri.container-name io.kubernetes.container.name; do
			make_bundle b img "cat /etc/motd" "c[\"annotations\"].update({\"$key\": \"frontend\", \"org.shared-rootfs.image.frontend\": \"web\", \"org.shared-rootfs.image.other\": \"nosuch\"})"
			wrapper run --bundle b c1 >out 2>&1 </dev/null
			[ "$(cat out)" = "hello from web" ]
		done
		# A container of the pod without a keyed annotation: the pod-wide one.
		make_bundle b img "cat /etc/motd" "c[\"annotations\"][\"io.kubernetes.cri.container-name\"] = \"sidecar\""
		wrapper run --bundle b c2 >out 2>&1 </dev/null
		[ "$(cat out)" = "hello from img" ]
		# The sandbox carries the pod'"'"'s annotations too, and is left alone.
		for key in io.kubernetes.cri.container-type io.kubernetes.cri-o.ContainerType; do
			make_bundle b img "cat /etc/motd 2>/dev/null || echo no-image" "c[\"annotations\"][\"$key\"] = \"sandbox\"; c[\"root\"][\"path\"] = \"$PWD/tree-img\""
			cp -p b/config.json orig.json
			wrapper run --bundle b pause >out 2>&1 </dev/null
			[ "$(cat out)" = "hello from img" ]
			cmp b/config.json orig.json && [ ! -e b/shared-rootfs ]
			[ -z "$(rootfs-list)" ]
		done
		no_leftovers
	'
	assert_success
}

@test "bad input: one line on stderr and in the JSON log, exit status 1, nothing shared" {
	ns '
		make_container_image img
		check() {
			local want=$1 rc=0
			wrapper --log "$PWD/log.json" --log-format json create --bundle b c1 >out 2>err </dev/null || rc=$?
			[ "$rc" = 1 ] || { echo "$want: status $rc" >&2; return 1; }
			[ "$(wc -l <err)" = 1 ] || { echo "$want: $(cat err)" >&2; return 1; }
			grep -qF "shared-rootfs-runtime: $want" err || { echo "want $want, got $(cat err)" >&2; return 1; }
			tail -1 log.json | python3 -S -c "
import json, sys
e = json.loads(sys.stdin.read())
assert e[\"level\"] == \"error\" and sys.argv[1] in e[\"msg\"] and e[\"time\"].endswith(\"Z\"), e" "$want"
			[ -z "$(wrapper_leftovers | grep -v orig.json)" ] || { echo "$want: left $(wrapper_leftovers)" >&2; return 1; }
			[ ! -e crun/c1 ]
		}
		bad() { make_bundle b img true "$1"; cp b/config.json orig.json; check "$2"; cmp b/config.json orig.json; }
		cfg=$PWD/b/config.json
		bad "c[\"annotations\"][\"org.shared-rootfs.image\"] = \"nosuch\"" "$cfg: annotation org.shared-rootfs.image: unknown image nosuch"
		bad "c[\"annotations\"][\"org.shared-rootfs.image\"] = \"../x\"" "$cfg: annotation org.shared-rootfs.image: invalid image name '"'"'../x'"'"'"
		bad "c[\"annotations\"][\"org.shared-rootfs.image\"] = 3" "$cfg: annotation org.shared-rootfs.image is not a string"
		bad "del c[\"root\"][\"path\"]" "$cfg: no root.path"
		bad "del c[\"root\"]" "$cfg: no root.path"
		bad "c[\"root\"][\"readonly\"] = \"yes\"" "$cfg: root, root.path or root.readonly is of the wrong type"
		bad "c[\"annotations\"][\"org.shared-rootfs.mode\"] = \"ro\"; c[\"root\"][\"readonly\"] = False" "$cfg: mode ro asks for a read-only root, but root.readonly is false"
		bad "c[\"annotations\"][\"org.shared-rootfs.mode\"] = \"rw\"" "$cfg: annotation org.shared-rootfs.mode: unknown mode '"'"'rw'"'"' (ro, overlay or snapshot)"
		bad "c[\"linux\"][\"namespaces\"].append({\"type\": \"user\"})" "$cfg: a user namespace without linux.uidMappings"
		bad "c[\"linux\"][\"namespaces\"].append({\"type\": \"user\"}); c[\"linux\"][\"uidMappings\"] = c[\"linux\"][\"gidMappings\"] = [{\"containerID\": -1, \"hostID\": 0, \"size\": 1}]" "$cfg: linux.uidMappings[0] is not a mapping of 32-bit ids"
		# Malformed, a link, not a regular file, too large.
		make_bundle b img true
		printf "{\"annotations\": {\"org.shared-rootfs.image\": \"img\"}" >b/config.json
		check "$cfg: not a JSON object"
		mv b/config.json elsewhere.json && ln -s ../elsewhere.json b/config.json
		check "$cfg: a symbolic link is not read"
		rm b/config.json && mkfifo b/config.json
		check "$cfg: not a regular file"
		rm b/config.json && python3 -S -c "import json; print(json.dumps({\"annotations\": {\"org.shared-rootfs.image\": \"img\"}, \"pad\": \"x\" * (4 << 20)}))" >b/config.json
		check "$cfg: larger than 4194304 bytes"
		# A container id that cannot name a share.
		make_bundle b img true
		! wrapper create --bundle b "+x" 2>err
		grep -qF "shared-rootfs-runtime: container id '"'"'+x'"'"' cannot name a share" err
		# No runtime: the wrapper says so.
		SHARED_ROOTFS_RUNTIME=/usr/bin/no-crun check "SHARED_ROOTFS_RUNTIME: runtime /usr/bin/no-crun: No such file or directory"
		[ -z "$(rootfs-list)" ]
	'
	assert_success
}

@test "a wrapper killed at each step of create leaves nothing shared-rootfs-recover cannot clear" {
	ns '
		make_container_image img
		make_bundle b img "cat /etc/motd"
		cp b/config.json orig.json
		for step in shared-rootfs-runtime:record rootfs-share:claim rootfs-share:record \
			rootfs-share:mount shared-rootfs-runtime:share shared-rootfs-runtime:config \
			shared-rootfs-runtime:runtime; do
			rc=0
			SHARED_ROOTFS_CRASH_AT=$step wrapper create --bundle b c1 </dev/null >/dev/null 2>&1 || rc=$?
			[ "$rc" = 137 ] || { echo "$step: status $rc" >&2; exit 1; }
			[ -f "$SHARED_ROOTFS_RUNDIR/containers/c1" ]
			# The engine deletes what it thinks it created; the runtime may have nothing.
			crun --root "$PWD/crun" delete --force c1 2>/dev/null || true
			shared-rootfs-recover -q
			cmp b/config.json orig.json || { echo "$step: config.json not put back" >&2; exit 1; }
			[ -z "$(wrapper_leftovers | grep -v orig.json)" ] || { echo "$step: left $(wrapper_leftovers)" >&2; exit 1; }
			assert_consistent
		done
		# Without recover, the next create of the id undoes what the killed one left.
		SHARED_ROOTFS_CRASH_AT=shared-rootfs-runtime:config wrapper create --bundle b c1 </dev/null >/dev/null 2>&1 || true
		wrapper run --bundle b c1 >out 2>&1 </dev/null
		[ "$(cat out)" = "hello from img" ]
		cmp b/config.json orig.json
		[ -z "$(wrapper_leftovers | grep -v orig.json)" ]
		# A recover while a create is at work leaves it alone.
		SHARED_ROOTFS_STOP_AT=shared-rootfs-runtime:config shared-rootfs-runtime --root "$PWD/crun" \
			--cgroup-manager=disabled create --bundle b c2 </dev/null >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 100); do [ "$(ps -o stat= -p $pid)" = T ] && break; sleep 0.05; done
		shared-rootfs-recover -q
		rootfs-list | grep -q "^c2 "
		kill -CONT $pid && wait $pid
		[ "$(container_status c2)" = created ]
		wrapper delete --force c2
		[ -z "$(wrapper_leftovers | grep -v orig.json)" ]
	'
	assert_success
}

@test "110 containers through the wrapper on one image: one mount, its blocks read once, all released" {
	ns '
		make_container_image img
		n=110
		make_bundle b1 img "cat /big >/dev/null; echo read; exec sleep 1000"
		for i in $(seq 2 $n); do mkdir b$i && cp b1/config.json b$i/; done
		for i in $(seq $n); do
			wrapper run --detach --bundle b$i c$i </dev/null >out$i 2>&1
			if [ $i = 1 ]; then
				for _ in $(seq 300); do grep -q read out1 && break; sleep 0.1; done
				loop=$(sed -n "s|^device=/dev/||p" "$SHARED_ROOTFS_RUNDIR/images/img")
				read1=$(awk "{ print \$3 }" /sys/block/$loop/stat)
			fi
		done
		for i in $(seq $n); do
			for _ in $(seq 300); do grep -q read out$i && break; sleep 0.1; done
			grep -q read out$i || { echo "container $i: $(cat out$i)" >&2; exit 1; }
		done
		# Every share is a mount of the image'"'"'s one file system; containers 2..110 read
		# no block of it (the page cache has them: this host'"'"'s proactive reclaim may
		# evict a page now and then, but not the 4 MiB each would read), and no device
		# was made for them.
		[ "$(rootfs-list img | tail -n +2 | wc -l)" = $n ]
		[ "$(for i in $(seq $n); do stat -c %d b$i/shared-rootfs/big; done | sort -u | wc -l)" = 1 ]
		grown=$(($(awk "{ print \$3 }" /sys/block/$loop/stat) - read1))
		[ "$grown" -lt 8192 ] || { echo "containers 2..$n read $grown sectors" >&2; exit 1; }
		[ "$(losetup -j "$PWD/img.img" | wc -l)" = 1 ]
		for i in $(seq $n); do wrapper kill c$i KILL; done
		for i in $(seq $n); do wait_stopped c$i; wrapper delete c$i; done
		no_leftovers
		[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/containers")" ]
		assert_consistent
	'
	assert_success
}
