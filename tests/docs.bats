#!/usr/bin/env bats
# Man pages, --help and bash completions stay in step with each tool's options.

load helpers/common

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

tools() { make -s -C "$TOP" --no-print-directory -f - <<<'include Makefile
print: ; @echo $(TOOLS)' print; }

long_options_of() { "$SRFS_BUILD/$1" --help | grep -o -- '--[a-z][a-z-]*' | sort -u; }

@test "every tool has a man page that renders without warnings" {
	for tool in $(tools); do
		assert_file_exist "$SRFS_BUILD/man/$tool.8"
		run bash -c "man --warnings -l '$SRFS_BUILD/man/$tool.8' 2>&1 >/dev/null"
		assert_output ""
	done
	run bash -c "man --warnings -l '$SRFS_BUILD/man/shared-rootfs.7' 2>&1 >/dev/null"
	assert_output ""
	run bash -c "man --warnings -l '$SRFS_BUILD/man/mount.shared-rootfs.8' 2>&1 >/dev/null"
	assert_output ""
}

@test "every option in --help is in the man page and in the completion" {
	for tool in $(tools); do
		for opt in $(long_options_of "$tool"); do
			grep -q -- "\*$opt\*" "$TOP/man/$tool.8.scd" || fail "$tool: $opt is not in man/$tool.8.scd"
			grep -qw -- "$opt" "$TOP/completions/$tool" || fail "$tool: $opt is not in completions/$tool"
		done
	done
}

@test "every long option a tool's code accepts is in its --help" {
	for tool in $(tools) mount.shared-rootfs umount.shared-rootfs; do
		for opt in $(grep -o '{ "[a-z][a-z-]*", \(no\|required\)_argument' "$TOP/cmd/$tool.c" | cut -d'"' -f2); do
			"$SRFS_BUILD/$tool" --help | grep -q -- "--$opt" || fail "$tool: --$opt is not in --help"
		done
	done
	# The common ones come from lib/cli.h.
	run "$SRFS_BUILD/image-list" --help
	assert_output --partial "--verbose"
}

# Runs the completion of "$@" (the last word is the one being completed).
complete_words() {
	local tool=$1
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$0/completions/$1"
		COMP_WORDS=("${@:1}"); COMP_CWORD=$(($# - 1))
		COMP_LINE="${*:1}"; COMP_POINT=${#COMP_LINE}
		$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
		printf "%s\n" "${COMPREPLY[@]}"' "$TOP" "$@"
}

@test "completions offer options and the pools in the catalog" {
	srfs_use_temp_state
	mkdir -p -m 0700 "$SHARED_ROOTFS_STATEDIR/pools"
	touch "$SHARED_ROOTFS_STATEDIR/pools/alpha" "$SHARED_ROOTFS_STATEDIR/pools/beta" \
		"$SHARED_ROOTFS_STATEDIR/pools/.alpha.1.0.tmp"
	for tool in thinpool-create thinpool-status thinpool-remove; do
		run complete_words "$tool" ""
		assert_output "alpha
beta"
		run complete_words "$tool" al
		assert_output "alpha"
	done
	run complete_words thinpool-create --met
	assert_output "--metadata
--metadata-size"
	run complete_words thinpool-remove --w
	assert_output "--wipe"
	run complete_words thinpool-status --j
	assert_output "--json"
}

@test "completions offer images and pools where each tool takes them" {
	srfs_use_temp_state
	mkdir -p -m 0700 "$SHARED_ROOTFS_STATEDIR/pools" "$SHARED_ROOTFS_STATEDIR/images"
	touch "$SHARED_ROOTFS_STATEDIR/pools/pool0" "$SHARED_ROOTFS_STATEDIR/images/base" \
		"$SHARED_ROOTFS_STATEDIR/images/app"
	run complete_words image-remove ""
	assert_output "app
base"
	run complete_words image-list ""
	assert_output "pool0"
	run complete_words image-create ""
	assert_output "pool0"
	run complete_words image-create pool0 ""   # a new image name: nothing to offer
	assert_output ""
	run complete_words image-create pool0 new --parent b
	assert_output "base"
	run complete_words image-create --fs ""
	assert_output "ext4
xfs"
	run complete_words image-create --from-
	assert_output "--from-tar
--from-dir
--from-oci"
}

@test "completions offer active images and share ids from the runtime records" {
	srfs_use_temp_state
	mkdir -p -m 0700 "$SHARED_ROOTFS_RUNDIR/images" "$SHARED_ROOTFS_RUNDIR/shares" \
		"$SHARED_ROOTFS_STATEDIR/images"
	touch "$SHARED_ROOTFS_RUNDIR/images/base" "$SHARED_ROOTFS_RUNDIR/shares/web1" \
		"$SHARED_ROOTFS_RUNDIR/shares/web2" "$SHARED_ROOTFS_STATEDIR/images/base" \
		"$SHARED_ROOTFS_STATEDIR/images/idle"
	run complete_words rootfs-release web
	assert_output "web1
web2"
	run complete_words image-deactivate ""
	assert_output "base"
	run complete_words image-activate ""
	assert_output "base
idle"
	run complete_words rootfs-share ""
	assert_output "base
idle"
	run complete_words rootfs-share base ""   # a new container id
	assert_output ""
	run complete_words rootfs-share --mode o
	assert_output "overlay"
	run complete_words rootfs-share --mode overlay base ""
	assert_output ""
	run complete_words rootfs-list --j
	assert_output "--json"
	run complete_words rootfs-bundle ""
	assert_output "base
idle"
	run complete_words rootfs-bundle base ""   # a new container id
	assert_output ""
	run complete_words rootfs-bundle --mode s
	assert_output "snapshot"
	run complete_words rootfs-bundle --id
	assert_output "--idmap"
	run complete_words rootfs-release --remove
	assert_output "--remove-bundle"
}

@test "make install and make uninstall honour DESTDIR, PREFIX and sbindir" {
	dest=$BATS_TEST_TMPDIR/root
	make -s -C "$TOP" --no-print-directory install B="$(srfs_make_b "$TOP")" DESTDIR="$dest" \
		PREFIX=/usr sbindir=/usr/sbin >/dev/null
	for tool in $(tools); do
		assert_file_executable "$dest/usr/sbin/$tool"
		assert_file_exist "$dest/usr/share/man/man8/$tool.8"
		assert_file_exist "$dest/usr/share/bash-completion/completions/$tool"
	done
	assert_file_exist "$dest/usr/share/man/man7/shared-rootfs.7"
	# The mount helpers go where mount(8) looks for them.
	assert_file_executable "$dest/sbin/mount.shared-rootfs"
	assert_file_executable "$dest/sbin/umount.shared-rootfs"
	assert_file_exist "$dest/usr/share/man/man8/umount.shared-rootfs.8"
	assert_file_executable "$dest/usr/libexec/shared-rootfs/rootfs-snapshot"
	# Boot files, pointing at the installed tool.
	grep -qx "ExecStart=/usr/sbin/shared-rootfs-boot start" "$dest/usr/lib/systemd/system/shared-rootfs.service"
	assert_file_executable "$dest/etc/init.d/shared-rootfs"
	grep -q "^BOOT=/usr/sbin/shared-rootfs-boot$" "$dest/etc/init.d/shared-rootfs"
	make -s -C "$TOP" --no-print-directory uninstall B="$(srfs_make_b "$TOP")" DESTDIR="$dest" \
		PREFIX=/usr sbindir=/usr/sbin
	run find "$dest" -type f
	assert_output ""
}

@test "make dist: a tarball of every tracked file that builds and runs its unit tests alone" {
	# make dist packs what git tracks: an unpacked release has nothing to pack.
	[ -e "$TOP/.git" ] || skip "not a git checkout (a release tarball)"
	make -s -C "$TOP" --no-print-directory dist B="$BATS_TEST_TMPDIR/b" >/dev/null
	tar -C "$BATS_TEST_TMPDIR" -xzf "$BATS_TEST_TMPDIR/b/shared-rootfs-0.1.0.tar.gz"
	diff <(cd "$TOP" && git ls-files | sort) <(cd "$BATS_TEST_TMPDIR/shared-rootfs-0.1.0" && find . -type f | sed 's|^\./||' | sort)
	run make -s -j"$(nproc)" -C "$BATS_TEST_TMPDIR/shared-rootfs-0.1.0" --no-print-directory DEPS=0 all unit
	assert_success
	assert_line --partial " passed, 0 failed"
}

@test "the systemd unit and the init script are well-formed" {
	if command -v systemd-analyze >/dev/null; then
		# (Not installed here: the missing program and man pages are expected.)
		run systemd-analyze verify "$SRFS_BUILD/boot/shared-rootfs.service"
		refute_output --regexp "Unknown|[Ii]nvalid|parse|Ignoring"
	fi
	run sh -n "$SRFS_BUILD/boot/shared-rootfs.init"
	assert_success
	run sh "$SRFS_BUILD/boot/shared-rootfs.init" bogus
	[ "$status" -eq 3 ] || [ "$status" -eq 0 ]
}
