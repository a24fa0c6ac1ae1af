#!/usr/bin/env bats
# rootfs-bundle on the host, with file images: the bundle directory, its
# config.json against crun spec's and against image configs (through
# tests/helpers/spec-tool: images with OCI configs need a pool, which is the
# guest's, tests/vm/bundle.bats), every bad input with nothing left behind,
# rootfs-release --remove-bundle, and containers run by crun where this host
# lets crun run.

load helpers/common
load helpers/share

SPEC_TOOL=$SRFS_BUILD/tests/helpers/spec-tool

setup() {
	require_root
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	unmount_test_tmpdir
}

# An ext4 image file "img" with busybox, a passwd and a group file, the
# directories a container's mounts need, and /home/u owned by 1000.
make_busybox_image() {
	mkdir -p tree/bin tree/etc tree/home/u tree/proc tree/dev tree/sys tree/tmp
	cp "$(command -v busybox)" tree/bin/busybox
	for a in sh id cat touch stat pwd echo; do ln -s busybox "tree/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1001::/home/u:/bin/sh\n' >tree/etc/passwd
	printf 'root:x:0:\nwebg:x:1001:\nextra:x:2000:web,other\nmore:x:2001:other,web\n' >tree/etc/group
	echo "hello from img" >tree/etc/motd
	chown -R 1000:1000 tree/home/u
	truncate -s 32M img.img
	mkfs.ext4 -q -d tree img.img
	image-create -q --source "$PWD/img.img" img
}

# Prints what a test may leave behind: records, mounts, loop devices, and the files under $PWD
# but the image's.
leftovers() {
	state_snapshot
	find . -path ./tree -prune -o -path ./run -prune -o -path ./lib -prune -o -print | sort
}

# Runs python with the bundle's config.json as c: py DIR 'assert c[...] == ...'
py() {
	python3 -c "import json, sys
c = json.load(open(sys.argv[1] + '/config.json'))
$2" "$1"
}

@test "--help, --version, and usage errors before anything is touched" {
	run rootfs-bundle --help
	assert_success
	assert_line --partial "Usage: rootfs-bundle IMAGE ID DIR"
	run rootfs-bundle --version
	assert_success
	assert_output --regexp "^rootfs-bundle \(shared-rootfs\) [0-9]"
	run rootfs-bundle img c1
	assert_failure 2
	assert_output "rootfs-bundle: no bundle directory given (see 'rootfs-bundle --help')"
	run rootfs-bundle img c1 d extra
	assert_failure 2
	assert_output --partial "unexpected argument 'extra' (a command goes after --)"
	run rootfs-bundle img c1 d --
	assert_failure 2
	assert_output --partial "no command after --"
	run rootfs-bundle img c1 d --mode bogus
	assert_failure 2
	assert_output --partial "--mode: unknown mode 'bogus' (ro, overlay or snapshot)"
	run rootfs-bundle img c1 d --idmap ""
	assert_failure 2
	assert_output --partial "--idmap: empty map"
	run rootfs-bundle img 'c/1' d
	assert_failure 2
	assert_output --partial "invalid container name 'c/1'"
	run rootfs-bundle img c1 ""
	assert_failure 2
	assert_output --partial "empty bundle directory"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$SRFS_BUILD/rootfs-bundle" img c1 d
	assert_failure 1
	assert_output "rootfs-bundle: must be run as root (CAP_SYS_ADMIN is needed)"
	[ ! -e d ] && [ ! -e "$SHARED_ROOTFS_RUNDIR" ] && [ ! -e "$SHARED_ROOTFS_STATEDIR" ]
}

@test "an image without an OCI config: crun spec's defaults, /bin/sh said on stderr, the share recorded with its bundle" {
	make_busybox_image
	run rootfs-bundle img c1 "$PWD/b"
	assert_success
	assert_output "rootfs-bundle: image img has no OCI config (it was not made with image-create --from-oci): the container runs /bin/sh"
	[ "$(stat -c %a b)" = 755 ] && [ "$(stat -c %a b/config.json)" = 600 ]
	[ "$(ls -A b)" = "config.json
rootfs" ]
	mountinfo_of "$PWD/b/rootfs" | grep -q " ro,nosuid,nodev"
	grep -qx "bundle=$PWD/b" "$SHARED_ROOTFS_RUNDIR/shares/c1"
	rootfs-list --json | python3 -c "import json, sys
s = json.load(sys.stdin)['shares'][0]
assert s['bundle'] == sys.argv[1] and s['target'] == sys.argv[1] + '/rootfs', s" "$PWD/b"
	grep -qx "target=$PWD/b/rootfs" "$SHARED_ROOTFS_RUNDIR/shares/c1"
	# Everything but the fields set from the image is what crun spec writes here.
	mkdir ref && (cd ref && crun spec)
	py b "
ref = json.load(open('ref/config.json'))
p = c['process']
assert p['args'] == ['/bin/sh'], p
assert p['env'] == ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=c1'], p
assert p['cwd'] == '/' and p['user'] == {'uid': 0, 'gid': 0} and p['terminal'] is False, p
assert c['root'] == {'path': 'rootfs', 'readonly': True}, c['root']
assert c['hostname'] == 'c1'
for k in ('args', 'env', 'cwd', 'user', 'terminal'):
    del p[k], ref['process'][k]
del c['root'], ref['root'], c['hostname'], ref['hostname']
assert c == ref, (c, ref)"
	# -q keeps the message back; a COMMAND replaces the /bin/sh.
	run rootfs-bundle -q img c2 "$PWD/b2" -- /bin/echo hi
	assert_success
	assert_output ""
	py b2 "assert c['process']['args'] == ['/bin/echo', 'hi'], c['process']"
	rootfs-release --remove-bundle c1
	rootfs-release --remove-bundle c2
	[ ! -e b ] && [ ! -e b2 ]
	[ -z "$(rootfs-list)" ]
}

@test "modes: ro is root.readonly and refuses writes, overlay writes; an empty DIR is taken" {
	make_busybox_image
	mkdir o
	rootfs-bundle -q img r "$PWD/r"
	rootfs-bundle -q img o "$PWD/o" --mode overlay
	py r "assert c['root'] == {'path': 'rootfs', 'readonly': True}"
	py o "assert c['root'] == {'path': 'rootfs', 'readonly': False}"
	! touch r/rootfs/new 2>/dev/null
	touch o/rootfs/new
	rootfs-list | grep -E "^o +img +overlay .* $PWD/o/rootfs"
	rootfs-release --remove-bundle r
	rootfs-release --remove-bundle o
	[ ! -e r ] && [ ! -e o ]
	[ -z "$(ls -A "$SHARED_ROOTFS_RUNDIR/upper")" ]
}

@test "--idmap: the share idmapped, config.json with a user namespace and the same maps" {
	make_busybox_image
	rootfs-bundle -q img c1 "$PWD/b" --idmap "u:0:100000:65536 g:0:200000:65536"
	[ "$(stat -c %u:%g b/rootfs/home/u)" = 101000:201000 ]
	rootfs-list img | grep -E "^c1 +img +ro .* u:0:100000:65536 g:0:200000:65536$"
	py b "
l = c['linux']
assert l['namespaces'][-1] == {'type': 'user'}, l['namespaces']
assert l['uidMappings'] == [{'containerID': 0, 'hostID': 100000, 'size': 65536}], l
assert l['gidMappings'] == [{'containerID': 0, 'hostID': 200000, 'size': 65536}], l"
	rootfs-release --remove-bundle c1
	[ ! -e b ]
}

# What the image's config asks for, through the library (spec-tool).
spec() {
	run "$SPEC_TOOL" "$@"
}

@test "process from the image config: Entrypoint + Cmd, a command, Env, WorkingDir, as docker run" {
	cfg() { echo "{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": {$1}, \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}" >cfg.json; }
	cfg '"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo $A"], "Env": ["A=1", "B=x=y", "PATH=/opt/bin", "A=2", "junk"], "WorkingDir": "/etc"'
	spec cfg.json -
	assert_success
	py . "
p = c['process']
assert p['args'] == ['/bin/sh', '-c', 'echo \$A'], p
assert p['env'] == ['PATH=/opt/bin', 'HOSTNAME=ct', 'A=2', 'B=x=y'], p
assert p['cwd'] == '/etc', p"
	spec cfg.json - -- 'echo other'
	assert_success
	py . "assert c['process']['args'] == ['/bin/sh', '-c', 'echo other'], c['process']"
	cfg '"Cmd": ["/bin/date", "-u"]'
	spec cfg.json -
	py . "assert c['process']['args'] == ['/bin/date', '-u'] and c['process']['cwd'] == '/', c['process']
assert c['process']['env'][0].startswith('PATH=/usr/local/sbin:'), c['process']"
	spec cfg.json - -- /bin/true
	py . "assert c['process']['args'] == ['/bin/true'], c['process']"
	cfg '"Entrypoint": ["/init"]'
	spec cfg.json -
	py . "assert c['process']['args'] == ['/init'], c['process']"
	# No config object at all: nothing to run but a command given.
	echo '{"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}' >cfg.json
	rm config.json
	spec cfg.json -
	assert_failure 1
	assert_output "spec-tool: image test's OCI config has neither Entrypoint nor Cmd: give the command to run after --"
	[ ! -e config.json ] && [ -z "$(ls -A)" -o "$(ls -A)" = cfg.json ]
	spec cfg.json - -- /bin/true
	assert_success
	cfg '"Cmd": ["/x"], "WorkingDir": "etc"'
	spec cfg.json -
	assert_failure 1
	assert_output "spec-tool: image test's WorkingDir 'etc' is not an absolute path"
	# --readonly and a map.
	cfg '"Cmd": ["/x"]'
	spec cfg.json - --readonly --idmap b:0:100000:65536
	py . "assert c['root'] == {'path': 'rootfs', 'readonly': True}
assert c['linux']['uidMappings'] == c['linux']['gidMappings'] == [{'containerID': 0, 'hostID': 100000, 'size': 65536}]"
}

@test "User: names resolved in the image's passwd and group, numbers, supplementary groups, refusals" {
	mkdir -p root/etc
	printf 'root:x:0:0::/root:/bin/sh\nbad line\nweb:x:1000:1001::/home/web:/bin/sh\nodd:x:notanumber:1::/:/bin/sh\n' >root/etc/passwd
	printf 'root:x:0:\nwebg:x:1001:\nextra:x:2000:web,other\nmore:x:2001:other,web\nnone:x:2002:other\n' >root/etc/group
	user() {
		echo "{\"config\": {\"Cmd\": [\"/x\"], \"User\": \"$1\"}}" >cfg.json
		spec cfg.json "${2:-root}"
	}
	check() { user "$1" "${3:-root}" && assert_success && py . "u = c['process']['user']; assert u == $2, u"; }
	check web "{'uid': 1000, 'gid': 1001, 'additionalGids': [2000, 2001]}"
	check 1000 "{'uid': 1000, 'gid': 1001, 'additionalGids': [2000, 2001]}"
	check web:extra "{'uid': 1000, 'gid': 2000}"
	check web:7 "{'uid': 1000, 'gid': 7}"
	check 4242 "{'uid': 4242, 'gid': 0}"
	check 4242:5 "{'uid': 4242, 'gid': 5}"
	check "" "{'uid': 0, 'gid': 0}"
	check 0 "{'uid': 0, 'gid': 0}"
	# Without a root to read from, numbers only.
	check 4242:5 "{'uid': 4242, 'gid': 5}" -
	refused() { user "$1" "${3:-root}"; assert_failure 1; assert_output "spec-tool: $2"; }
	refused nobody "user 'nobody' is not in image test's /etc/passwd"
	refused odd "user 'odd' is not in image test's /etc/passwd"
	refused web:nogroup "group 'nogroup' is not in image test's /etc/group"
	refused web: "user 'web:' of image test names no group after ':'"
	refused :web "user ':web' of image test names no user before ':'"
	refused web "user 'web' cannot be resolved: image test has no /etc/passwd" -
	# The image's files are hostile: links are not followed, whatever they point to.
	mv root/etc/passwd root/etc/passwd.real && ln -s passwd.real root/etc/passwd
	refused web "image test's /etc/passwd is a symbolic link or not a regular file: it is not read (give User as UID[:GID])"
	refused 1000 "image test's /etc/passwd is a symbolic link or not a regular file: it is not read (give User as UID[:GID])"
	rm root/etc/passwd && mkfifo root/etc/passwd
	refused web "image test's /etc/passwd is a symbolic link or not a regular file: it is not read (give User as UID[:GID])"
	mv root/etc real-etc && ln -s real-etc root/etc
	refused web "image test's /etc is a symbolic link or not a directory: its users cannot be read safely (give User as UID[:GID])"
	rm root/etc && mkdir root/etc && truncate -s 5M root/etc/passwd
	refused web "image test's /etc/passwd is larger than 4 MiB: it is not read"
}

@test "a cgroup namespace where /sys/fs/cgroup is cgroup2, as crun spec adds one" {
	echo '{"config": {"Cmd": ["/x"]}}' >cfg.json
	run in_mount_ns bash -c 'mount -t cgroup2 none /sys/fs/cgroup || exit 3
		mkdir ref && (cd ref && crun spec) && "$1" cfg.json -' _ "$SPEC_TOOL"
	[ "$status" != 3 ] || skip "cgroup2 cannot be mounted here"
	assert_success
	py . "ref = json.load(open('ref/config.json'))
assert c['linux']['namespaces'] == ref['linux']['namespaces'], c['linux']['namespaces']
assert {'type': 'cgroup'} in c['linux']['namespaces']"
}

@test "bad input: named in one line, exit 1, nothing left" {
	make_busybox_image
	mkdir full empty && touch full/x full/.y && ln -s empty link && touch file
	before=$(leftovers)
	refused() {
		run rootfs-bundle "$@"
		assert_one_line_error "${msg:?}"
		[ "$status" = 1 ] || fail "status $status: $output"
		[ "$(leftovers)" = "$before" ] || fail "left: $(diff <(echo "$before") <(leftovers))"
	}
	msg="rootfs-bundle: unknown image nosuch" refused nosuch c1 "$PWD/b"
	msg="rootfs-bundle: bundle directory $PWD/full is not empty: it holds " refused img c1 "$PWD/full"
	msg="rootfs-bundle: bundle directory $PWD/link is a symbolic link" refused img c1 "$PWD/link"
	msg="rootfs-bundle: bundle directory $PWD/file is not a directory" refused img c1 "$PWD/file"
	msg="rootfs-bundle: the parent of bundle directory $PWD/missing/b does not exist" refused img c1 "$PWD/missing/b"
	msg="rootfs-bundle: the parent of bundle directory $PWD/link/b is or passes through a symbolic link or a file" \
		refused img c1 "$PWD/link/b"
	msg="rootfs-bundle: bundle directory / is the root directory" refused img c1 /
	# Failures once the directory is made: it goes again (an empty one given stays, empty).
	msg="rootfs-bundle: idmap entry '0:100000': expected" refused img c1 "$PWD/b" --idmap 0:100000
	msg="rootfs-bundle: idmap entry '0:100000': expected" refused img c1 "$PWD/empty" --idmap 0:100000
	# (Where the kernel has no device-mapper, that is what is said first.)
	msg="rootfs-bundle: " refused img c1 "$PWD/b" --mode snapshot
	assert_output --regexp "image img is not in a thin pool: --mode snapshot needs one|device-mapper is not available"
	# The image was not active: it is not left active by a failed share.
	[ -z "$(ls -A "$SHARED_ROOTFS_RUNDIR/images" 2>/dev/null)" ]
	# A container that has a share already keeps it.
	mkdir t && rootfs-share img c1 "$PWD/t"
	before=$(leftovers)
	msg="rootfs-bundle: container c1 already shares image img at $PWD/t" refused img c1 "$PWD/b"
	rootfs-release --deactivate c1
	[ -z "$(rootfs-list)" ] && [ ! -e b ]
	! grep -q " $PWD/[bt]" /proc/self/mountinfo
}

@test "rootfs-release: the bundle directory stays; --remove-bundle removes only what rootfs-bundle made" {
	make_busybox_image
	rootfs-bundle -q img c1 "$PWD/b"
	rootfs-release c1
	[ "$(ls -A b)" = "config.json
rootfs" ] && [ -z "$(ls -A b/rootfs)" ]
	rm -r b
	# Anything else in the directory: refused, naming it, and the share is not released.
	rootfs-bundle -q img c1 "$PWD/b"
	touch b/notes && ln -s /etc b/etc
	run rootfs-release --remove-bundle c1
	assert_one_line_error "rootfs-release: bundle directory $PWD/b holds "
	assert_output --partial "notes"
	assert_output --partial "etc"
	mountpoint -q b/rootfs && [ -e b/config.json ]
	rm b/notes b/etc
	# config.json swapped for a link: not what rootfs-bundle made.
	mv b/config.json b/real.json && ln -s real.json b/config.json
	run rootfs-release --remove-bundle c1
	assert_one_line_error "rootfs-release: bundle directory $PWD/b holds "
	assert_output --regexp "holds (config.json, real.json|real.json, config.json) besides config.json and rootfs: it is left as it is$"
	rm b/config.json && mv b/real.json b/config.json
	# The directory swapped for a link: refused.
	mv b b.real && ln -s b.real b
	run rootfs-release --remove-bundle c1
	assert_one_line_error "rootfs-release: bundle directory $PWD/b is a symbolic link"
	mountpoint -q b.real/rootfs
	rm b && mv b.real b
	# By target, too.
	rootfs-release --target "$PWD/b/rootfs" --remove-bundle
	[ ! -e b ]
	# A share rootfs-share made has no bundle directory.
	mkdir t && rootfs-share img c2 "$PWD/t"
	run rootfs-release --remove-bundle c2
	assert_one_line_error "rootfs-release: share c2 was not made by rootfs-bundle: it has no bundle directory to remove (release it without --remove-bundle)"
	mountpoint -q t
	rootfs-release c2
	# A bundle directory removed by hand already: the share is released.
	rootfs-bundle -q img c3 "$PWD/b3"
	umount b3/rootfs && rm -r b3
	rootfs-release --remove-bundle c3
	[ -z "$(rootfs-list)" ]
}

# Runs crun on bundle $1 as container $2, in a mount namespace with cgroup2 on
# /sys/fs/cgroup and no cgroup manager: this host mounts cgroup v1 and v2
# side by side, which crun refuses to manage.  Skips the test when crun
# cannot run containers here at all.
host_crun() {
	command -v crun >/dev/null || skip "crun is not installed (package crun)"
	run in_mount_ns bash -c 'mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || exit 99
		crun --cgroup-manager=disabled run -b "$1" "$2" </dev/null' _ "$@"
	[ "$status" != 99 ] || skip "cgroup2 cannot be mounted here, which crun needs"
}

@test "crun runs the bundles on the host: ro refuses writes, overlay writes, idmapped root owns its files" {
	make_busybox_image
	local script='id -u; pwd; echo $HOSTNAME; cat /etc/motd; stat -c %u /etc/motd /home/u; touch /etc/x 2>/dev/null && echo wrote || echo refused'
	rootfs-bundle -q img r "$PWD/r" -- /bin/sh -c "$script"
	rootfs-bundle -q img o "$PWD/o" --mode overlay -- /bin/sh -c "$script"
	rootfs-bundle -q img u "$PWD/u" --idmap b:0:100000:65536 -- /bin/sh -c "$script"
	host_crun r "r-$$"
	assert_success
	assert_output "0
/
r
hello from img
0
1000
refused"
	host_crun o "o-$$"
	assert_success
	assert_output --partial "wrote"
	host_crun u "u-$$"
	assert_success
	assert_output "0
/
u
hello from img
0
1000
refused"
	for c in r o u; do rootfs-release --remove-bundle $c; done
	[ -z "$(rootfs-list)" ] && [ ! -e r ] && [ ! -e o ] && [ ! -e u ]
}
