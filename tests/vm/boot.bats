#!/usr/bin/env bats
# A reboot, simulated: everything unmounted and detached, the runtime
# directory emptied; then the init script brings back what boot.conf declares.

load ../helpers/common
load ../helpers/pool
load ../helpers/image
load ../helpers/share

setup() {
	pool_setup
	make_pool
	mkdir -p src/etc && echo "kept across reboots" >src/etc/motd
	tar -C src -cf img.tar .
	image-create -q "$POOL" base --size 64M --from-tar img.tar
	image-create -q "$POOL" other --size 64M
	export SHARED_ROOTFS_CONFDIR=$BATS_TEST_TMPDIR/etc
	mkdir -p "$SHARED_ROOTFS_CONFDIR"
	INIT=$SRFS_BUILD/boot/shared-rootfs.init
	# The init script runs the installed tool; here, the built one.
	sed "s|^BOOT=.*|BOOT=$SRFS_BUILD/shared-rootfs-boot|" "$INIT" >init.sh
}
teardown() {
	unmount_test_tmpdir
	pool_teardown
}

reboot() {
	unmount_test_tmpdir
	for dev in $(dmsetup ls | awk '/^srfs-(img|snap|build):/ { print $1 }'); do dmsetup remove "$dev"; done
	dmsetup remove "srfs-$POOL"
	for dev in $(losetup -n -O NAME,BACK-FILE | awk -v d="$BATS_TEST_TMPDIR" 'index($2, d) == 1 { print $1 }'); do
		losetup -d "$dev"
	done
	rm -rf "$SHARED_ROOTFS_RUNDIR"
}

@test "after a reboot the init script brings back the declared pool and image; the catalog is intact" {
	cat >"$SHARED_ROOTFS_CONFDIR/boot.conf" <<-EOF
		# shared-rootfs at boot
		pool $POOL
		image base
	EOF
	mkdir c1
	rootfs-share base c1 "$PWD/c1"
	catalog_before=$(cd "$SHARED_ROOTFS_STATEDIR" && find . -type f | sort | xargs cat)
	reboot
	run image-list
	assert_line --regexp "^base .* no +0 +-$"
	run sh init.sh start
	assert_success
	assert_output "Activating shared-rootfs pools and images
shared-rootfs-boot: pool $POOL activated (device srfs-$POOL, $(dmsetup info -c --noheadings -o major,minor --separator : "srfs-$POOL"))"
	run thinpool-status "$POOL"
	assert_line --regexp "^$POOL +rw "
	run image-list
	assert_line --regexp "^base .* yes +0 +-$"
	assert_line --regexp "^other .* no +0 +-$"     # not declared
	[ "$(cd "$SHARED_ROOTFS_STATEDIR" && find . -type f | sort | xargs cat)" = "$catalog_before" ]
	rootfs-share base c1 "$PWD/c1"
	[ "$(cat c1/etc/motd)" = "kept across reboots" ]
	assert_pool_matches_catalog
	# Running it again changes nothing; stop leaves what is shared.
	run sh init.sh start
	assert_success
	run sh init.sh stop
	assert_failure                        # the pool is in use: said, not forced
	run image-list
	assert_line --regexp "^base .* yes +1 +-$"
	rootfs-release c1
	run sh init.sh stop
	assert_success
	run thinpool-status "$POOL"
	assert_line --regexp "^$POOL +inactive "
}

@test "pool * brings back every pool; a bad boot.conf changes nothing and names the line" {
	printf 'pool *\nimage other no-context\n' >"$SHARED_ROOTFS_CONFDIR/boot.conf"
	reboot
	run shared-rootfs-boot start
	assert_success
	run image-list
	assert_line --regexp "^other .* yes +0 +-$"
	shared-rootfs-boot stop
	printf 'pool %s\nimage\n' "$POOL" >"$SHARED_ROOTFS_CONFDIR/boot.conf"
	run shared-rootfs-boot start
	assert_one_line_error "shared-rootfs-boot: $SHARED_ROOTFS_CONFDIR/boot.conf:2: expected 'pool NAME' or 'image NAME [context=LABEL|no-context]'"
	run thinpool-status "$POOL"
	assert_line --regexp "^$POOL +inactive "
	# An empty runtime directory and no boot.conf: nothing to do.
	rm "$SHARED_ROOTFS_CONFDIR/boot.conf"
	run shared-rootfs-boot start
	assert_success
	assert_output ""
}

@test "after a reboot shared-rootfs-recover changes nothing; thinpool-create brings the pool back" {
	mkdir c1
	rootfs-share base c1 "$PWD/c1"
	rootfs-share --mode snapshot base c2 "$PWD/c1" 2>/dev/null || true
	catalog_before=$(cd "$SHARED_ROOTFS_STATEDIR" && find . -type f | sort | xargs cat)
	reboot
	state() {
		(cd "$SHARED_ROOTFS_STATEDIR" && find . -printf '%p %m %s %T@\n' | sort)
		find "$SHARED_ROOTFS_RUNDIR" -printf '%p %m\n' 2>/dev/null | sort
		dmsetup ls; losetup -a; grep -c . /proc/self/mountinfo
	}
	before=$(state)
	run shared-rootfs-recover          # no runtime directory at all
	assert_success
	assert_output ""
	[ "$(state)" = "$before" ]
	mkdir -m 0700 "$SHARED_ROOTFS_RUNDIR"
	before=$(state)
	run shared-rootfs-recover          # an empty one
	assert_success
	assert_output ""
	[ "$(state)" = "$before" ]
	run thinpool-create "$POOL"
	assert_success
	[ "$(cd "$SHARED_ROOTFS_STATEDIR" && find . -type f | sort | xargs cat)" = "$catalog_before" ]
	rootfs-share base c1 "$PWD/c1"
	[ "$(cat c1/etc/motd)" = "kept across reboots" ]
	assert_pool_matches_catalog
	run shared-rootfs-recover          # and with everything working: nothing to do
	assert_success
	assert_output ""
	assert_consistent
	rootfs-release c1 --deactivate
}
