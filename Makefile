# shared-rootfs — one non-recursive Makefile.
#
#   make                 what make install installs: tools, mount helpers, libexec
#                        programs, man pages, boot files, into $(B)/
#   make tests           the test programs: unit tests, tests/helpers/state-tool, the
#                        .dynamic share path builds valgrind checks
#   make bench-build     the benchmark's in-process driver, bench/srfs-bench
#   make check           unit tests, ASan/UBSan builds, fuzzing, host bats suites, VM suites
#   make check-layers    the include graph of lib/ has no cycle (and follows lib/LAYERS)
#   make check-vm        only the suites that need the qemu guest (device-mapper)
#   make check-vm-selinux  the SELinux suites in a guest with SELinux enabled
#   make demo            the whole flow on a throwaway loop-backed pool
#   make bench           shared-rootfs against overlay2 and dm-rw (N=100; N=1000 the full run)
#   make install         PREFIX, DESTDIR, sbindir, helperdir, mandir, ... are honoured
#   make check-fuzz      the libFuzzer targets for FUZZ_SECONDS each (fuzz/)
#   make dist            a release tarball; make distcheck checks it builds and passes alone
#
# Variables: CC, CFLAGS, LDFLAGS, WERROR=1 (warnings are errors), B (build dir),
# V=1 (print whole commands, not "  CC      file").

VERSION := 0.1.0

PREFIX ?= /usr/local
exec_prefix ?= $(PREFIX)
sbindir ?= $(exec_prefix)/sbin
datarootdir ?= $(PREFIX)/share
mandir ?= $(datarootdir)/man
bashcompdir ?= $(datarootdir)/bash-completion/completions
# Where mount(8) and umount(8) look for mount.TYPE and umount.TYPE.
helperdir ?= /sbin
libexecdir ?= $(exec_prefix)/libexec
pkglibexecdir := $(libexecdir)/shared-rootfs
# Boot files: a systemd unit and an init script for systems without systemd.
systemdunitdir ?= $(PREFIX)/lib/systemd/system
initddir ?= /etc/init.d

B ?= build
CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config

# Quiet build lines, as the kernel's: "  CC      build/lib/share.o"; V=1 prints the
# commands; make -s prints neither.
V ?= 0
ifeq ($(V),1)
Q :=
quiet :=
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q := @
quiet :=
else
Q := @
quiet = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif

WARNINGS := -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wundef -Wpointer-arith
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

# Every system library any file uses; headers only, for compiling.  What each
# tool links is listed per tool below.
ALL_PKGS := mount blkid devmapper libselinux json-c libarchive
# A module pkg-config cannot find stops make at once, naming it, for every goal that
# compiles C.  Goals that compile none still work without the -dev packages; check,
# demo and bench install them first (deps) and then run make again for what they build.
NO_C_GOALS := deps check demo bench man check-layers clean uninstall dist distcheck
ifneq ($(filter-out $(NO_C_GOALS),$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell $(PKG_CONFIG) --exists $(ALL_PKGS) 2>/dev/null && echo ok),ok)
PKGS_MISSING := $(foreach p,$(ALL_PKGS),$(if $(shell $(PKG_CONFIG) --exists $(p) 2>/dev/null && echo ok),,$(p)))
$(error $(PKG_CONFIG) cannot find the module(s) $(strip $(or $(PKGS_MISSING),$(ALL_PKGS))): install their \
	development packages ('make deps' as root does on Debian; 'tests/deps list' names them))
endif
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(ALL_PKGS) 2>/dev/null)
SRFS_CPPFLAGS := -D_GNU_SOURCE -DSRFS_VERSION='"$(VERSION)"' -DSRFS_SBINDIR='"$(sbindir)"' -DSRFS_LIBEXECDIR='"$(pkglibexecdir)"' -Ilib $(PKG_CFLAGS)
SRFS_CFLAGS := $(WARNINGS) $(CFLAGS) -MMD -MP

# ---- the tools ---------------------------------------------------------------
# <tool>_PKGS: the system libraries (pkg-config names) that tool links.
TOOLS := thinpool-create thinpool-status thinpool-remove image-create image-remove image-list \
	image-activate image-deactivate rootfs-share rootfs-release rootfs-list shared-rootfs-boot \
	shared-rootfs-recover
thinpool-create_PKGS := devmapper blkid
thinpool-status_PKGS := devmapper blkid json-c
thinpool-remove_PKGS := devmapper blkid
image-create_PKGS := devmapper blkid libarchive
image-remove_PKGS := devmapper blkid
image-list_PKGS := devmapper blkid json-c
image-activate_PKGS := devmapper blkid libselinux
image-deactivate_PKGS := devmapper blkid
# The share path links nothing but libc (rootfs-share runs image-activate when needed).
rootfs-share_PKGS :=
rootfs-release_PKGS :=
# ... and is linked statically: no dynamic loader at each start, about 0.2 ms less per
# process (a share+release cycle 2.0 -> 1.7 ms, measured with bench/).  SHARE_PATH_STATIC=0
# links it dynamically like the rest (the sanitizer builds do).
SHARE_PATH_STATIC ?= 1
ifeq ($(SHARE_PATH_STATIC),1)
rootfs-share_LDFLAGS := -static-pie
rootfs-release_LDFLAGS := -static-pie
endif
rootfs-list_PKGS := json-c
shared-rootfs-boot_PKGS := devmapper blkid libselinux
shared-rootfs-recover_PKGS := devmapper blkid
# The mount(8) helpers, installed into helperdir.
MOUNT_HELPERS := mount.shared-rootfs umount.shared-rootfs
mount.shared-rootfs_PKGS := mount
umount.shared-rootfs_PKGS := mount
# Programs the tools run, installed into pkglibexecdir.
LIBEXEC := rootfs-snapshot
rootfs-snapshot_PKGS := devmapper blkid

LIB_SRCS := $(sort $(wildcard lib/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
TOOL_BINS := $(TOOLS:%=$(B)/%)
MOUNT_HELPER_BINS := $(MOUNT_HELPERS:%=$(B)/%)
LIBEXEC_BINS := $(LIBEXEC:%=$(B)/%)
SHARE_PATH_DYNAMIC := $(B)/rootfs-share.dynamic $(B)/rootfs-release.dynamic

UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(B)/%.o)
HELPERS := state-tool share-threads
HELPER_BINS := $(HELPERS:%=$(B)/tests/helpers/%)

MAN_SRCS := $(sort $(wildcard man/*.scd))
MAN_PAGES := $(MAN_SRCS:man/%.scd=$(B)/man/%) $(B)/man/umount.shared-rootfs.8

BOOT_FILES := $(B)/boot/shared-rootfs.service $(B)/boot/shared-rootfs.init

.PHONY: all man tests bench-build
# Exactly what make install installs.
all: $(TOOL_BINS) $(MOUNT_HELPER_BINS) $(LIBEXEC_BINS) man $(BOOT_FILES)
man: $(MAN_PAGES)
# What the test suites run besides the installed programs (see tests/helpers/common.bash,
# tests/memcheck.bats); not installed.
tests: $(B)/tests/unit/test-unit $(HELPER_BINS) $(SHARE_PATH_DYNAMIC)
bench-build: $(B)/bench/srfs-bench

$(B)/boot/%: boot/%.in
	@mkdir -p $(@D)
	$(call quiet,GEN,$@)sed 's|@sbindir@|$(sbindir)|g' $< >$@.tmp && mv $@.tmp $@

# umount.shared-rootfs is described with mount.shared-rootfs.
$(B)/man/umount.shared-rootfs.8:
	@mkdir -p $(@D)
	$(call quiet,GEN,$@)echo '.so man8/mount.shared-rootfs.8' >$@

$(B)/man/%: man/%.scd
	@mkdir -p $(@D)
	$(call quiet,GEN,$@)scdoc <$< >$@.tmp && mv $@.tmp $@

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(call quiet,CC,$@)$(CC) $(SRFS_CPPFLAGS) $(CPPFLAGS) $(SRFS_CFLAGS) -c -o $@ $<

$(B)/libsrfs.a: $(LIB_OBJS)
	@rm -f $@
	$(call quiet,AR,$@)$(AR) rcs $@ $^

$(TOOL_BINS) $(MOUNT_HELPER_BINS) $(LIBEXEC_BINS): $(B)/%: $(B)/cmd/%.o $(B)/libsrfs.a
	$(call quiet,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) $($*_LDFLAGS) -Wl,--as-needed -o $@ $^ \
		$(if $($*_PKGS),$(shell $(PKG_CONFIG) --libs $($*_PKGS)))

# The share path linked dynamically as well, for valgrind (which cannot replace malloc
# in a static C library); not installed.
$(SHARE_PATH_DYNAMIC): $(B)/%.dynamic: $(B)/cmd/%.o $(B)/libsrfs.a
	$(call quiet,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--as-needed -o $@ $^

$(HELPER_BINS): $(B)/tests/helpers/%: $(B)/tests/helpers/%.o $(B)/libsrfs.a
	$(call quiet,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/tests/unit/test-unit: $(UNIT_OBJS) $(B)/libsrfs.a
	$(call quiet,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/bench/srfs-bench: $(B)/bench/srfs-bench.o $(B)/libsrfs.a
	$(call quiet,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--as-needed -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs devmapper blkid)

-include $(LIB_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) \
	$(patsubst %,$(B)/cmd/%.d,$(TOOLS) $(MOUNT_HELPERS) $(LIBEXEC)) \
	$(HELPERS:%=$(B)/tests/helpers/%.d) $(B)/bench/srfs-bench.d

# ---- tests -------------------------------------------------------------------
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
BATS ?= bats
VM_TIMEOUT ?= 2400
VM_SUITES ?= tests/vm/*.bats tests/vm/selinux/*.bats
# Run again in a guest booted with SELinux enabled and the reference policy loaded.
VM_SELINUX_SUITES ?= tests/vm/selinux/*.bats

.PHONY: deps check check-layers check-build check-unit check-asan check-host check-vm \
	check-vm-selinux unit check-fuzz fuzzers
# Installs missing Debian packages (as root), or names them; DEPS=0 skips it.
deps:
ifneq ($(DEPS),0)
	@tests/deps ensure
endif

unit: $(B)/tests/unit/test-unit
	$(B)/tests/unit/test-unit

# The include graph between lib/ modules has no cycle and follows lib/LAYERS if present.
check-layers:
	tests/check-layers lib

check: deps
	$(MAKE) --no-print-directory WERROR=1 check-build
	$(MAKE) --no-print-directory WERROR=1 check-unit
	$(MAKE) --no-print-directory WERROR=1 check-asan
	$(MAKE) --no-print-directory WERROR=1 check-fuzz
	$(MAKE) --no-print-directory WERROR=1 check-host
	$(MAKE) --no-print-directory WERROR=1 check-vm
	$(MAKE) --no-print-directory WERROR=1 check-vm-selinux

# The tree must build warning-free with gcc and with clang.
# (Separate build directories: make does not rebuild when only flags change.)
check-build:
	$(MAKE) --no-print-directory CC=gcc B=$(B)/gcc all tests bench-build
	$(MAKE) --no-print-directory CC=clang B=$(B)/clang all tests bench-build

check-unit: unit

# The unit tests and the host suites, with every tool built with ASan and UBSan.
check-asan:
	$(MAKE) --no-print-directory B=$(B)/asan CFLAGS="-O1 -g $(SANITIZE)" \
		LDFLAGS="$(SANITIZE)" SHARE_PATH_STATIC=0 unit all tests bench-build
	SRFS_BUILD=$(abspath $(B))/asan SRFS_SANITIZED=1 \
		ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(BATS) tests/*.bats

# libFuzzer targets (fuzz/fuzz-*.c): each runs FUZZ_SECONDS from its seed corpus
# (fuzz/corpus/TARGET; what it finds new goes to $(B)/fuzz/corpus-TARGET), after
# replaying the inputs that once failed (fuzz/regress/TARGET).  A failing input is
# left in $(B)/fuzz/ as crash-*: add it to fuzz/regress/TARGET with the fix.
FUZZERS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz-*.c))
FUZZ_SECONDS ?= 20
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
fuzzers: $(FUZZERS:%=$(B)/%)
$(FUZZERS:%=$(B)/%): $(B)/%: fuzz/%.c fuzz/fuzz.h $(B)/libsrfs.a
	$(call quiet,CCLD,$@)$(CC) $(SRFS_CPPFLAGS) $(SRFS_CFLAGS) -fsanitize=fuzzer -o $@ $< $(B)/libsrfs.a

check-fuzz:
	$(MAKE) --no-print-directory B=$(B)/fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" SHARE_PATH_STATIC=0 \
		fuzzers
	set -e; for f in $(FUZZERS); do \
		t=$${f#fuzz-}; mkdir -p $(B)/fuzz/corpus-$$t; \
		if [ -d fuzz/regress/$$t ] && ! $(B)/fuzz/$$f -runs=0 fuzz/regress/$$t/* \
			>$(B)/fuzz/$$t-regress.log 2>&1; then \
			cat $(B)/fuzz/$$t-regress.log; exit 1; \
		fi; \
		if ! $(B)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus-$$t fuzz/corpus/$$t \
			>$(B)/fuzz/$$t.log 2>&1; then \
			tail -40 $(B)/fuzz/$$t.log; echo "$$f failed: its input is in $(B)/fuzz/"; exit 1; \
		fi; \
		sed -n 's/^stat::\(number_of_executed_units\|new_units_added\): */'"$$f"' \1 /p' \
			$(B)/fuzz/$$t.log; \
	done

check-host: all tests bench-build
	SRFS_BUILD=$(abspath $(B)) $(BATS) tests/*.bats

check-vm: all
	SRFS_BUILD=$(abspath $(B)) tests/vm/run -t $(VM_TIMEOUT) -e SRFS_BUILD -- \
		$(BATS) $(VM_SUITES)

check-vm-selinux: all
	SRFS_BUILD=$(abspath $(B)) tests/vm/run --selinux -t $(VM_TIMEOUT) -e SRFS_BUILD -- \
		$(BATS) $(VM_SELINUX_SUITES)

# ---- benchmark -------------------------------------------------------------------
# make bench (N=100, a few minutes) or make bench N=1000: bench/run, then bench/report.
N ?= 100
.PHONY: bench
# (deps first: make runs again for the build once the packages are there.)
bench: deps
	$(Q)$(MAKE) --no-print-directory all bench-build
	SRFS_BUILD=$(abspath $(B)) bench/run $(N)

# ---- demo ----------------------------------------------------------------------
.PHONY: demo
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	SRFS_BUILD=$(abspath $(B)) demo/run

# ---- install -------------------------------------------------------------------
.PHONY: install uninstall clean
install: all
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(helperdir) $(DESTDIR)$(pkglibexecdir) \
		$(DESTDIR)$(mandir)/man7 \
		$(DESTDIR)$(mandir)/man8 $(DESTDIR)$(bashcompdir)
	install -m 0755 $(TOOL_BINS) $(DESTDIR)$(sbindir)/
	install -m 0755 $(MOUNT_HELPER_BINS) $(DESTDIR)$(helperdir)/
	install -m 0755 $(LIBEXEC_BINS) $(DESTDIR)$(pkglibexecdir)/
	install -d $(DESTDIR)$(systemdunitdir) $(DESTDIR)$(initddir)
	sed 's|@sbindir@|$(sbindir)|g' boot/shared-rootfs.service.in \
		>$(DESTDIR)$(systemdunitdir)/shared-rootfs.service
	sed 's|@sbindir@|$(sbindir)|g' boot/shared-rootfs.init.in >$(DESTDIR)$(initddir)/shared-rootfs
	chmod 0644 $(DESTDIR)$(systemdunitdir)/shared-rootfs.service
	chmod 0755 $(DESTDIR)$(initddir)/shared-rootfs
	install -m 0644 $(filter %.7,$(MAN_PAGES)) $(DESTDIR)$(mandir)/man7/
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(mandir)/man8/
	install -m 0644 $(TOOLS:%=completions/%) $(DESTDIR)$(bashcompdir)/

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(sbindir)/%) $(TOOLS:%=$(DESTDIR)$(bashcompdir)/%)
	rm -f $(MOUNT_HELPERS:%=$(DESTDIR)$(helperdir)/%) $(LIBEXEC:%=$(DESTDIR)$(pkglibexecdir)/%)
	-rmdir $(DESTDIR)$(pkglibexecdir) 2>/dev/null
	rm -f $(DESTDIR)$(systemdunitdir)/shared-rootfs.service $(DESTDIR)$(initddir)/shared-rootfs
	rm -f $(patsubst $(B)/man/%,$(DESTDIR)$(mandir)/man7/%,$(filter %.7,$(MAN_PAGES)))
	rm -f $(patsubst $(B)/man/%,$(DESTDIR)$(mandir)/man8/%,$(filter %.8,$(MAN_PAGES)))

clean:
	rm -rf $(B)

# ---- release tarball -------------------------------------------------------------
# make dist: every file git tracks, as $(B)/shared-rootfs-VERSION.tar.gz.
# make distcheck: that tarball, unpacked alone, passes make check and installs
# and uninstalls cleanly.
DIST_NAME := shared-rootfs-$(VERSION)
.PHONY: dist distcheck
dist:
	@mkdir -p $(B)
	git ls-files -z | tar --null -T - --transform 's,^,$(DIST_NAME)/,' \
		--owner=0 --group=0 --sort=name -czf $(B)/$(DIST_NAME).tar.gz
	@echo "$(B)/$(DIST_NAME).tar.gz"

distcheck: dist
	rm -rf $(B)/distcheck && mkdir -p $(B)/distcheck
	tar -C $(B)/distcheck -xzf $(B)/$(DIST_NAME).tar.gz
	$(MAKE) -C $(B)/distcheck/$(DIST_NAME) check
	$(MAKE) -C $(B)/distcheck/$(DIST_NAME) install uninstall DESTDIR=$(abspath $(B))/distcheck/root
	test -z "$$(find $(B)/distcheck/root -type f)"
	@echo "$(DIST_NAME) passes distcheck"
