#!/usr/bin/env bats
# What a container can do to the host through what it is given: its root (an
# overlay upper directory), the mount namespace a helper enters, the file an
# image is made from.

load helpers/common
load helpers/share

setup() {
	require_root
	srfs_use_temp_state
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	unmount_test_tmpdir
}

@test "a tree deeper than the descriptor limit in an overlay share's upper: release and recover remove it" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir o1 o2 outside && echo keep >outside/file
		rootfs-share --mode overlay img o1 "$PWD/o1"
		rootfs-share --mode overlay img o2 "$PWD/o2"
		# What a container can write into its root: 1,500 levels, and links leading out.
		for c in o1 o2; do
			python3 -c "
import os, sys
os.chdir(sys.argv[1])
for i in range(1500):
    os.mkdir(\"d\"); os.chdir(\"d\"); open(\"f\", \"w\").close()
os.symlink(sys.argv[2], \"out\"); os.symlink(sys.argv[2] + \"/file\", \"file-out\")
" "$PWD/$c" "$PWD/outside"
		done
		ulimit -n 64
		rootfs-release o1
		[ ! -e "$SHARED_ROOTFS_RUNDIR/upper/o1" ]
		# Recovery removes the upper directory of a share whose mount is gone.
		umount "$PWD/o2"
		shared-rootfs-recover
		[ ! -e "$SHARED_ROOTFS_RUNDIR/upper/o2" ]
		[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/shares")" ] && [ -z "$(ls "$SHARED_ROOTFS_RUNDIR/upper")" ]
		[ "$(cat outside/file)" = keep ]
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "an image file someone else could swap is refused at registration and at activation" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		mkdir -p tree/etc && echo hello >tree/etc/motd
		mk() { mkdir -p "$(dirname "$1")"; truncate -s 32M "$1"; mkfs.ext4 -q -d tree "$1"; }
		nothing_left() {
			[ -z "$(ls "$SHARED_ROOTFS_RUNDIR/images" 2>/dev/null)" ] &&
			! grep -q " $SHARED_ROOTFS_RUNDIR/mnt/" /proc/self/mountinfo &&
			[ -z "$(losetup -n -O BACK-FILE | grep -F "$PWD/")" ]
		}
		fails() { # fails MESSAGE COMMAND...: exit 1, exactly one line, naming MESSAGE
			local msg=$1 out; shift
			if out=$("$@" 2>&1); then echo "succeeded: $*"; return 1; fi
			[ "$(printf "%s\n" "$out" | wc -l)" = 1 ] && [[ $out == *"$msg"* ]] ||
				{ echo "$*: $out"; return 1; }
		}
		chmod 755 .
		# Registration: a file or a directory above it owned by someone else, a link.
		mk user/f.img && chown 65534 user/f.img
		fails "refusing image file $PWD/user/f.img: $PWD/user/f.img is owned by uid 65534, not by root" \
			image-create --source user/f.img a
		mk userdir/f.img && chown 65534 userdir
		fails "refusing image file $PWD/userdir/f.img: $PWD/userdir is owned by uid 65534, not by root" \
			image-create --source userdir/f.img a
		mk gw/f.img && chmod 664 gw/f.img
		fails "$PWD/gw/f.img is writable by group or others" image-create --source gw/f.img a
		mk real/f.img && ln -s real via && ln -s f.img real/link.img
		fails "refusing image file $PWD/via/f.img: $PWD/via is a symbolic link" \
			image-create --source via/f.img a
		fails "$PWD/real/link.img is a symbolic link" image-create --source real/link.img a
		[ -z "$(ls "$SHARED_ROOTFS_STATEDIR/images" 2>/dev/null)" ]
		# Activation: what was registered changed since.
		mk ok/a.img && mk ok/b.img && mk ok/c.img && mk ok/d.img
		for i in a b c d; do image-create -q --source ok/$i.img $i; done
		chown 65534 ok/a.img
		fails "$PWD/ok/a.img is owned by uid 65534, not by root" image-activate a
		chown 0 ok/a.img && chmod 777 ok
		fails "$PWD/ok is writable by group or others" image-activate a
		chmod 755 ok && mkdir ok2 && mv ok/b.img ok2/ && ln -s ../ok2/b.img ok/b.img
		fails "$PWD/ok/b.img is a symbolic link" image-activate b
		truncate -s 16M ok/c.img
		fails "refusing image file $PWD/ok/c.img: it has 16777216 bytes, not the 33554432 image c was registered with" \
			image-activate c
		truncate -s 32M ok2/e.img && mkfs.ext2 -q ok2/e.img && cp ok2/e.img ok/d.img
		fails "refusing image file $PWD/ok/d.img: it holds ext2, not the ext4 image d was registered with" \
			image-activate d
		fails "$PWD/ok/c.img: it has 16777216 bytes" rootfs-share c c1 "$PWD"
		nothing_left
		# Put right, it activates.
		chown 0 ok/a.img && image-activate -q a && image-deactivate a
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}

@test "mount -N: state, records and tools come from the caller's namespace, only the mount goes in" {
	run in_mount_ns bash -c '
		set -e
		source "$1/tests/helpers/share.bash"
		make_file_image img
		mkdir c1 c2 planted
		export LIBMOUNT_UTAB=$PWD/utab
		# What a container can put where the helpers would look for their tools.
		for t in image-activate rootfs-snapshot image-deactivate; do
			printf "#!/bin/sh\ntouch %s/marker\n" "$PWD" >planted/$t && chmod 755 planted/$t
		done
		# A namespace whose tools and runtime directory are its own (as a container'"'"'s /run).
		container() {
			unshare --mount --propagation private -- sh -c "
				mount -t tmpfs tmpfs $SRFS_BUILD && cp planted/* $SRFS_BUILD/ &&
				{ [ \"\$1\" != own-run ] || mount -t tmpfs -o mode=0700 tmpfs $SHARED_ROOTFS_RUNDIR; } &&
				touch ready.\$\$ && exec sleep 60" _ "$@" &
			pid=$!
			while [ ! -e ready.$pid ]; do sleep 0.05; done
		}
		container own-run; t1=$pid
		# The image is not active: it is activated here, by our image-activate, and
		# the share is attached there although the image'"'"'s mount is not seen there.
		mount.shared-rootfs img "$PWD/c1" -N /proc/$t1/ns/mnt -o id=c1
		[ ! -e marker ] || { echo "a tool of the container was run"; exit 1; }
		[ -z "$(nsenter -t $t1 -m ls -A "$SHARED_ROOTFS_RUNDIR")" ] || { echo "state made in the container"; exit 1; }
		[ "$(nsenter -t $t1 -m cat "$PWD/c1/etc/motd")" = "hello from img" ]
		nsenter -t $t1 -m findmnt -n -o OPTIONS "$PWD/c1" | grep -q "ro,nosuid,nodev"
		! mountpoint -q c1
		image-list | grep -qE "^img +file .* yes +1 "
		# From here the share cannot be judged: release refuses, recover keeps it.
		! rootfs-release c1 2>err
		grep -q "the share of container c1 is in mount namespace [0-9]*: release it there" err
		shared-rootfs-recover
		rootfs-list | grep -qE "^c1 +img .* $PWD/c1 "
		umount.shared-rootfs "$PWD/c1" -N $t1
		! nsenter -t $t1 -m mountpoint -q "$PWD/c1"
		[ -z "$(rootfs-list)" ] && [ ! -e marker ]
		kill $t1
		# A namespace that sees the image: the share is made there, and only there.
		container; t2=$pid
		mount.shared-rootfs img "$PWD/c2" -N $t2 -o id=c2
		nsenter -t $t2 -m findmnt -n -o OPTIONS "$PWD/c2" | grep -q "ro,nosuid,nodev"
		[ "$(nsenter -t $t2 -m cat "$PWD/c2/etc/motd")" = "hello from img" ]
		! mountpoint -q c2
		rootfs-list | grep -qE "^c2 +img .* $PWD/c2 "
		umount.shared-rootfs "$PWD/c2" -N /proc/$t2/ns/mnt
		! nsenter -t $t2 -m mountpoint -q "$PWD/c2"
		[ -z "$(rootfs-list)" ] && [ ! -e marker ]
		kill $t2
		image-deactivate img
	' _ "$BATS_TEST_DIRNAME/.."
	assert_success
}
