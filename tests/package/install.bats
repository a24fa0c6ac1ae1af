#!/usr/bin/env bats
# The Debian package, installed with dpkg into a guest whose root is an overlay
# of the host's (tests/vm/run --overlay-root; make check-package builds the
# package and runs this): its files where mount(8), the tools and the init
# systems look for them, the demo's flow through the installed commands, and
# nothing left behind after a purge.  The tests run in order, on one install.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

# Only what a system has: never the build tree.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unset SHARED_ROOTFS_RUNDIR SHARED_ROOTFS_STATEDIR SHARED_ROOTFS_CONFDIR

LAYERS=/run/srfs-overlay
POOL=pkgpool
TOOLS="thinpool-create thinpool-status thinpool-remove image-create image-remove image-list
image-config image-verity image-activate image-deactivate rootfs-share rootfs-release rootfs-list rootfs-bundle shared-rootfs-boot
shared-rootfs-recover shared-rootfs-runtime"

# What the overlay's upper layer holds, that is every change made to the root: each
# entry's type, mode, owner and path, a symbolic link's target, a regular file's
# checksum.  Left out: dpkg's own database and logs (a purged package is checked
# through dpkg-query), and directories that only were copied up from the lower layer.
root_changes() (
	trap - DEBUG
	cd "$LAYERS/upper"
	find . \( -path ./var/lib/dpkg -o -path ./var/log \) -prune -o -printf '%y %m %u:%g %p\n' |
		while read -r type mode owner path; do
			case $type in
			d) [ -d "$LAYERS/lower/$path" ] && continue ;;
			f) path="$path $(md5sum <"$path" | cut -d' ' -f1)" ;;
			l) path="$path -> $(readlink "$path")" ;;
			esac
			echo "$type $mode $owner $path"
		done | sort
)

status_of() { dpkg-query -W -f '${db:Status-Status}' shared-rootfs 2>/dev/null || echo absent; }

setup_file() {
	# Never on a real system: the tests install and purge a package.  (A failure
	# here fails every test without running one.)
	if [ "$(findmnt -n -o FSTYPE /)" != overlay ] || [ ! -d "$LAYERS/upper" ]; then
		echo "the root is not a guest's overlay: run this suite with 'make check-package'" >&2
		return 1
	fi
	export WORK=$BATS_FILE_TMPDIR/work CHANGES=$BATS_FILE_TMPDIR/changes
	mkdir -p "$WORK"
}

teardown_file() {
	# Whatever a failed test left: shares, the image, the pool, their loop devices;
	# nothing at all when setup_file refused to run (WORK unset: the patterns below
	# would then match every mount of the system).
	local m dev
	[ -n "${WORK:-}" ] && [ "$(findmnt -n -o FSTYPE /)" = overlay ] || return 0
	for m in $(grep -o " $WORK/[^ ]*" /proc/self/mountinfo | sort -r); do umount -l "$m"; done
	for dev in $(dmsetup ls 2>/dev/null | awk '/^srfs-/ { print $1 }' | sort -r); do
		dmsetup remove --retry "$dev" 2>/dev/null || true
	done
	for dev in $(losetup -n -O NAME,BACK-FILE | awk -v d="$WORK/" 'index($2, d) == 1 { print $1 }'); do
		losetup -d "$dev"
	done
	rm -rf "$WORK"
}

@test "the guest's root is an overlay on a host without the package" {
	assert_dir_exist "$LAYERS/lower"
	grep -qw device-mapper /proc/devices || fail "device-mapper is not available in this kernel"
	[ -n "${SRFS_DEB:-}" ] || fail "SRFS_DEB names no package: run this suite with 'make check-package'"
	assert_file_exist "$SRFS_DEB"
	# Everything the tests find must come from the package.
	[ "$(status_of)" != installed ] || fail "shared-rootfs is installed on the host"
	for tool in $TOOLS; do
		run command -v "$tool"
		assert_failure
	done
	assert_file_not_exist /sbin/mount.shared-rootfs
	assert_file_not_exist /sbin/umount.shared-rootfs
	# man-db's trigger would rebuild every manual page index in the emulated guest
	# for minutes; its own switch turns it off (the pages are looked up with man -w).
	rm -f /var/lib/man-db/auto-update
	root_changes >"$CHANGES.before"
}

@test "dpkg installs it: files in place, dependencies met, unit and init script enabled, not started" {
	run dpkg-deb -f "$SRFS_DEB" Depends
	for dep in libdevmapper1.02.1 libblkid1 libmount1 libselinux1 libjson-c5 libarchive13 e2fsprogs; do
		assert_output --partial "$dep"
	done
	refute_output --partial dmsetup
	run dpkg-deb -f "$SRFS_DEB" Recommends
	assert_output --partial thin-provisioning-tools

	run dpkg -i "$SRFS_DEB"
	assert_success
	[ "$(status_of)" = installed ]

	for tool in $TOOLS; do
		[ "$(command -v "$tool")" = "/usr/sbin/$tool" ] || fail "$tool is not /usr/sbin/$tool"
		assert_file_exist "/usr/share/man/man8/$tool.8.gz"
		assert_file_exist "/usr/share/bash-completion/completions/$tool"
	done
	assert_file_executable /sbin/mount.shared-rootfs
	assert_file_executable /sbin/umount.shared-rootfs
	assert_file_executable /usr/libexec/shared-rootfs/rootfs-snapshot
	assert_link_exist /usr/share/man/man8/umount.shared-rootfs.8.gz
	run man -w umount.shared-rootfs
	assert_output /usr/share/man/man8/mount.shared-rootfs.8.gz
	run man -w 7 shared-rootfs
	assert_output /usr/share/man/man7/shared-rootfs.7.gz
	rootfs-share --version

	# boot.conf is a conffile, and declares nothing until edited.
	run dpkg-query -W -f '${Conffiles}' shared-rootfs
	assert_line --regexp '^ /etc/shared-rootfs/boot.conf [0-9a-f]{32}$'
	run grep -v '^#' /etc/shared-rootfs/boot.conf
	assert_output ""

	# Enabled the Debian way (deb-systemd-helper, update-rc.d), started by neither.
	assert_link_exist /etc/systemd/system/sysinit.target.wants/shared-rootfs.service
	[ "$(readlink /etc/systemd/system/sysinit.target.wants/shared-rootfs.service)" = \
		/lib/systemd/system/shared-rootfs.service ]
	run systemctl is-enabled shared-rootfs.service
	assert_output enabled
	run ls /etc/rcS.d
	assert_line --regexp '^S[0-9][0-9]shared-rootfs$'
	assert_file_not_exist /run/shared-rootfs
	assert_file_not_exist /var/lib/shared-rootfs
	run dmsetup ls
	refute_output --partial srfs-
}

@test "the demo's flow through the installed commands, mount -t shared-rootfs and umount included" {
	cd "$WORK"
	thinpool-create "$POOL" --data "$WORK/data" --data-size 256M \
		--metadata "$WORK/metadata" --metadata-size 16M
	mkdir -p src/bin src/etc
	cp "$(command -v busybox)" src/bin/busybox
	for applet in sh cat touch; do ln -s busybox "src/bin/$applet"; done
	echo "from the package" >src/etc/motd
	tar -C src -cf image.tar .
	image-create "$POOL" base --size 64M --from-tar image.tar

	# rootfs-share runs image-activate (from /usr/sbin) for the first share.
	mkdir c1 c2 c3
	rootfs-share base c1 "$WORK/c1"
	run chroot c1 /bin/cat /etc/motd
	assert_output "from the package"
	run image-list
	assert_line --regexp "^base +$POOL .* yes +1 +"

	# mount(8) finds /sbin/mount.shared-rootfs, umount(8) umount.shared-rootfs.
	mount -t shared-rootfs base "$WORK/c2" -o id=c2
	run findmnt -n -o OPTIONS "$WORK/c2"
	assert_output --regexp '^ro,'
	run grep -F "TARGET=$WORK/c2 " /run/mount/utab
	assert_output --partial "helper=shared-rootfs"
	run chroot c2 /bin/cat /etc/motd
	assert_output "from the package"

	# The snapshot mode runs /usr/libexec/shared-rootfs/rootfs-snapshot.
	rootfs-share base c3 "$WORK/c3" --mode snapshot
	chroot c3 /bin/touch /written
	run rootfs-list
	assert_line --regexp '^c1 +base '
	assert_line --regexp '^c2 +base '
	assert_line --regexp '^c3 +base .* snapshot '

	umount "$WORK/c2"
	run rootfs-list
	refute_line --regexp '^c2 '
	rootfs-release c3
	rootfs-release c1 --deactivate
	run image-list
	assert_line --regexp "^base +$POOL .* no +0 +"
	[ -z "$(dmsetup ls | grep 'srfs-img:\|srfs-snap:')" ]
}

@test "the installed init script brings back what boot.conf declares" {
	printf 'pool %s\nimage base\n' "$POOL" >>/etc/shared-rootfs/boot.conf
	# As after a reboot: the pool's device gone, the catalog kept.
	thinpool-remove "$POOL"
	run /etc/init.d/shared-rootfs start
	assert_success
	run image-list
	assert_line --regexp "^base +$POOL .* yes +0 +"
	run /etc/init.d/shared-rootfs stop
	assert_success
	run thinpool-status "$POOL"
	assert_line --regexp "^$POOL +inactive "

	thinpool-create "$POOL"
	image-remove base
	thinpool-remove "$POOL"
	meta_loop=$(losetup -f --show "$WORK/metadata")
	run thin_check "$meta_loop"
	losetup -d "$meta_loop"
	assert_success
	thinpool-remove "$POOL" --wipe --force
	[ -z "$(dmsetup ls | grep srfs-)" ]
}

@test "dpkg --remove keeps the conffiles, --purge leaves no file behind" {
	run dpkg -r shared-rootfs
	assert_success
	[ "$(status_of)" = config-files ]
	for tool in $TOOLS; do
		assert_file_not_exist "/usr/sbin/$tool"
	done
	assert_file_not_exist /sbin/mount.shared-rootfs
	assert_file_not_exist /usr/libexec/shared-rootfs
	assert_file_exist /etc/shared-rootfs/boot.conf   # edited above: kept
	run mount -t shared-rootfs base "$WORK" -o id=gone
	assert_failure

	run dpkg -P shared-rootfs
	assert_success
	[ "$(status_of)" = absent ] || [ "$(status_of)" = not-installed ]
	assert_file_not_exist /etc/shared-rootfs
	assert_file_not_exist /run/shared-rootfs
	assert_file_not_exist /var/lib/shared-rootfs
	ls /var/lib/dpkg/info/shared-rootfs.* 2>/dev/null && fail "dpkg still keeps files of shared-rootfs"
	root_changes >"$CHANGES.after"
	run diff "$CHANGES.before" "$CHANGES.after"
	assert_success
}
