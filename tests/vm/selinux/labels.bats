#!/usr/bin/env bats
# SELinux labels of images and shares.  This suite runs twice: in the guest
# booted with SELinux enabled and Debian's reference policy loaded
# (make check-vm-selinux), and in the ordinary guest with SELinux disabled
# (make check-vm), where labels must be ignored and nothing may fail.

load ../../helpers/common
load ../../helpers/pool
load ../../helpers/image
load ../../helpers/share

# A type the reference policy defines, for content shared read-only.
LABEL=system_u:object_r:usr_t:s0

setup() {
	pool_setup
	make_pool
	mkdir -p src/etc src/bin && echo "labeled" >src/etc/motd
	tar -C src -cf img.tar .
	image-create -q "$POOL" img --size 64M --from-tar img.tar
	mkdir c1 c2 o1
}
teardown() {
	[ "$(getenforce 2>/dev/null)" = Enforcing ] && setenforce 0
	unmount_test_tmpdir
	mountpoint -q /usr/sbin && umount -l /usr/sbin || true
	pool_teardown
}

enabled() { selinuxenabled; }
label_of() { stat -c %C "$1"; }
xattr_of() { python3 -S -c "import os, sys; print(os.getxattr(sys.argv[1], 'security.selinux').rstrip(b'\0').decode())" "$1"; }

@test "the default label is lxc_contexts' ro_file; the reference policy lacks it: the error says what to do" {
	run image-activate img
	if enabled; then
		assert_one_line_error "image-activate: the default SELinux label 'system_u:object_r:container_ro_file_t:s0' (ro_file in /etc/selinux/default/contexts/lxc_contexts) is not defined by the loaded policy: give a label with --context, or use --no-context"
		[ "$(grep -c " $SHARED_ROOTFS_RUNDIR/mnt/img " /proc/self/mountinfo)" = 0 ]
		[ "$(dmsetup ls | grep -c 'srfs-img:')" = 0 ]
		run rootfs-share img c1 "$PWD/c1"
		assert_one_line_error "rootfs-share: the default SELinux label 'system_u:object_r:container_ro_file_t:s0' (ro_file in /etc/selinux/default/contexts/lxc_contexts) is not defined by the loaded policy: give a label with --context, or use --no-context"
		[ -z "$(rootfs-list)" ]
	else
		assert_success
		image-deactivate img
	fi
}

@test "one label for the image and every share of it, from the file system and the library" {
	run image-activate --context "$LABEL" img
	assert_success
	rootfs-share img c1 "$PWD/c1"
	rootfs-share img c2 "$PWD/c2" --context "$LABEL"
	if enabled; then
		assert_output "$SHARED_ROOTFS_RUNDIR/mnt/img"
		mountinfo_of "$SHARED_ROOTFS_RUNDIR/mnt/img" | grep -q "context=\"\?$LABEL"
		for f in c1/etc/motd c2/etc/motd c1/bin c2; do
			[ "$(label_of "$f")" = "$LABEL" ] || fail "$f: $(label_of "$f")"
			[ "$(xattr_of "$f")" = "$LABEL" ] || fail "$f: xattr $(xattr_of "$f")"
		done
		image-list | grep -qE "^img .* yes +2  $LABEL\$"
		rootfs-list | grep -qE "^c1 .*  $LABEL  -\$"
		rootfs-list --json | grep -q "\"label\": \"$LABEL\""
	else
		# Disabled: the label is ignored, and image-activate says so.
		assert_output "image-activate: SELinux is disabled: label $LABEL is not used
$SHARED_ROOTFS_RUNDIR/mnt/img"
		! mountinfo_of "$SHARED_ROOTFS_RUNDIR/mnt/img" | grep -q "context="
		image-list | grep -qE "^img .* yes +2  -\$"
	fi
	rootfs-release c1
	rootfs-release c2 --deactivate
}

@test "an invalid label fails cleanly and leaves nothing mounted; a share asking another label is refused" {
	run image-activate --context system_u:object_r:no_such_type_t:s0 img
	if enabled; then
		assert_one_line_error "image-activate: SELinux label 'system_u:object_r:no_such_type_t:s0' is not valid in the loaded policy"
		[ "$(grep -c " $SHARED_ROOTFS_RUNDIR/mnt/img " /proc/self/mountinfo)" = 0 ]
		[ "$(dmsetup ls | grep -c 'srfs-img:')" = 0 ]
		run rootfs-share img c1 "$PWD/c1" --context system_u:object_r:no_such_type_t:s0
		assert_one_line_error "rootfs-share: SELinux label 'system_u:object_r:no_such_type_t:s0' is not valid in the loaded policy"
		[ -z "$(rootfs-list)" ]
		# Active with one label: a share asking another is refused before anything is mounted.
		rootfs-share img c1 "$PWD/c1" --context "$LABEL"
		run rootfs-share img c2 "$PWD/c2" --context system_u:object_r:etc_t:s0
		assert_one_line_error "rootfs-share: image img is active with label '$LABEL', not 'system_u:object_r:etc_t:s0' (deactivate it to relabel it)"
		run image-activate --no-context img
		assert_one_line_error "image-activate: image img is active with label '$LABEL': deactivate it to change that"
		[ "$(grep -c " $PWD/c2 " /proc/self/mountinfo)" = 0 ]
		rootfs-release c1 --deactivate
	else
		assert_success
		image-deactivate img
	fi
}

@test "overlay mode gets the image's label; --no-context mounts without one" {
	rootfs-share --mode overlay img o1 "$PWD/o1" --context "$LABEL"
	echo new >o1/etc/new
	if enabled; then
		mountinfo_of "$PWD/o1" | grep -q "context=\"\?$LABEL"
		[ "$(label_of o1/etc/motd)" = "$LABEL" ]
		[ "$(label_of o1/etc/new)" = "$LABEL" ]
	fi
	rootfs-release o1 --deactivate
	run image-activate --no-context img
	assert_success
	! mountinfo_of "$SHARED_ROOTFS_RUNDIR/mnt/img" | grep -q "context="
	image-deactivate img
}

@test "mount -t shared-rootfs -o context= through mount(8)" {
	use_mount_helpers
	mount -t shared-rootfs img "$PWD/c1" -o "id=m1,context=$LABEL"
	if enabled; then
		[ "$(label_of c1/etc/motd)" = "$LABEL" ]
		run mount -t shared-rootfs img "$PWD/c2" -o id=m2,context=system_u:object_r:etc_t:s0
		[ "$status" = 32 ]
		assert_output "mount.shared-rootfs: image img is active with label '$LABEL', not 'system_u:object_r:etc_t:s0' (deactivate it to relabel it)"
	fi
	umount "$PWD/c1"
	image-deactivate img
}

@test "enforcing mode: shares work for this test's domain (where the policy lets it)" {
	enabled || skip "SELinux is disabled in this guest"
	setenforce 1
	[ "$(getenforce)" = Enforcing ]
	rootfs-share img c1 "$PWD/c1" --context "$LABEL"
	[ "$(cat c1/etc/motd)" = labeled ]
	[ "$(label_of c1/etc/motd)" = "$LABEL" ]
	run touch c1/etc/x
	assert_failure
	rootfs-release c1 --deactivate
	setenforce 0
}
