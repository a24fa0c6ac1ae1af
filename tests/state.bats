#!/usr/bin/env bats
# The state directories: creation, checks, and the private runtime mount.

load helpers/common

setup() {
	srfs_use_temp_state
}

@test "state directories are created 0700 on first use" {
	run "$STATE_TOOL" open catalog
	assert_one_line_error "no state directory yet"
	assert_not_exist "$SHARED_ROOTFS_RUNDIR"

	run "$STATE_TOOL" open create catalog
	assert_success
	assert_output "$SHARED_ROOTFS_RUNDIR
$SHARED_ROOTFS_STATEDIR"
	assert_file_permission 700 "$SHARED_ROOTFS_RUNDIR"
	assert_file_permission 700 "$SHARED_ROOTFS_STATEDIR"
}

@test "a runtime directory that is a symbolic link is refused" {
	mkdir -m 0700 "$BATS_TEST_TMPDIR/real"
	ln -s "$BATS_TEST_TMPDIR/real" "$SHARED_ROOTFS_RUNDIR"
	run "$STATE_TOOL" open create
	assert_one_line_error "state-tool: state directory $SHARED_ROOTFS_RUNDIR is a symbolic link"
}

@test "a state directory open to group or others is refused" {
	mkdir -m 0755 "$SHARED_ROOTFS_STATEDIR"
	run "$STATE_TOOL" open create catalog
	assert_one_line_error "state directory $SHARED_ROOTFS_STATEDIR has mode 0755: it must not be open to group or others (chmod 0700)"
}

@test "a state directory owned by someone else is refused" {
	require_root
	mkdir -m 0700 "$SHARED_ROOTFS_RUNDIR"
	chown 65534 "$SHARED_ROOTFS_RUNDIR"
	run "$STATE_TOOL" open create
	assert_one_line_error "state directory $SHARED_ROOTFS_RUNDIR is owned by uid 65534, not by uid 0"
}

@test "a state path that is a file is refused" {
	touch "$SHARED_ROOTFS_RUNDIR"
	run "$STATE_TOOL" open create
	assert_one_line_error "state directory $SHARED_ROOTFS_RUNDIR is not a directory"
}

@test "a relative state path in the environment is refused" {
	SHARED_ROOTFS_STATEDIR=var/lib/x run "$STATE_TOOL" open create catalog
	assert_one_line_error "SHARED_ROOTFS_STATEDIR must be an absolute path, not 'var/lib/x'"
}

# The checks below run inside a private mount namespace of their own, so
# nothing they mount can outlive them.
private_mount_check() {
	mount --make-rshared /
	"$STATE_TOOL" open create private >/dev/null
	findmnt -n -o TARGET,PROPAGATION --target "$SHARED_ROOTFS_RUNDIR"
	# A later rshared remount of / is undone by the next run.
	mount --make-rshared /
	"$STATE_TOOL" open private >/dev/null
	findmnt -n -o TARGET,PROPAGATION --target "$SHARED_ROOTFS_RUNDIR"
	# Twenty first runs at once still make one mount.
	for i in $(seq 20); do "$STATE_TOOL" open private >/dev/null & done
	wait
	grep -c " $SHARED_ROOTFS_RUNDIR " /proc/self/mountinfo
}

@test "the runtime directory becomes one private mount, even under an rshared /" {
	require_root
	export -f private_mount_check
	export STATE_TOOL
	run in_mount_ns bash -c private_mount_check
	assert_success
	assert_output "$SHARED_ROOTFS_RUNDIR private
$SHARED_ROOTFS_RUNDIR private
1"
	# Nothing leaked into this namespace.
	run grep -c " $SHARED_ROOTFS_RUNDIR " /proc/self/mountinfo
	assert_output 0
}

@test "mounts under the private runtime directory do not reach a peer namespace" {
	require_root
	run in_mount_ns bash -c '
		mount --make-rshared /
		"$0" open create private >/dev/null || exit 1
		mkdir "$SHARED_ROOTFS_RUNDIR/m" "$SHARED_ROOTFS_RUNDIR/probe"
		# A peer namespace of this one (shared propagation)...
		unshare --mount --propagation unchanged -- sleep 30 & peer=$!
		until [ "$(readlink /proc/$peer/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]; do sleep 0.02; done
		# ... must not see a mount made under the runtime directory.
		mount -t tmpfs probe "$SHARED_ROOTFS_RUNDIR/m"
		nsenter -t $peer -m grep -c " $SHARED_ROOTFS_RUNDIR/m " /proc/self/mountinfo
		kill $peer' "$STATE_TOOL"
	assert_output "0"
}

@test "tools refuse to run without CAP_SYS_ADMIN, naming root" {
	require_root
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$STATE_TOOL" require-admin
	assert_one_line_error "state-tool: must be run as root (CAP_SYS_ADMIN is needed)"
	run "$STATE_TOOL" require-admin
	assert_success
}

@test "tools refuse to run setuid" {
	require_root
	cp "$STATE_TOOL" "$BATS_TEST_TMPDIR/suid-tool"
	chmod 4755 "$BATS_TEST_TMPDIR/suid-tool"
	chmod 755 "$BATS_TEST_TMPDIR"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$BATS_TEST_TMPDIR/suid-tool" require-admin
	assert_one_line_error "refusing to run setuid or setgid"
}
