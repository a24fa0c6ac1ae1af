# shared-rootfs — one non-recursive Makefile.
#
#   make                 what make install installs: tools, mount helpers, libexec
#                        programs, man pages, boot files, into $(B)/
#   make tests           the test programs: unit tests, tests/helpers/state-tool, the
#                        .dynamic share path builds valgrind checks
#   make bench-build     the benchmark's in-process driver, bench/srfs-bench
#   make check           every test, each build configuration built once, in stages run in
#                        parallel (gcc, clang, ASan/UBSan and libFuzzer builds; unit tests;
#                        the host suites under ASan/UBSan in two halves; valgrind;
#                        fuzzing; the layer check; the VM suites in two guests side by
#                        side; the SELinux suite in a guest with SELinux enabled; the
#                        Debian package installed in a guest); prints each stage's wall
#                        time at the end
#   make check-fast      the inner loop, under 2 minutes: the layer check, the unit tests
#                        and the host suites that boot no qemu guest, on the plain build
#   make check-layers    the include graph of lib/ has no cycle (and follows lib/LAYERS)
#   make check-asan      the unit tests and the host suites, ASan/UBSan build in $(B)/asan
#   make check-host      the host suites (tests/*.bats) on the plain build
#   make check-tsan      the threaded sharing test built with ThreadSanitizer
#   make check-vm        only the suites that need the qemu guest (device-mapper)
#   make check-vm-selinux  the SELinux suites in a guest with SELinux enabled
#   make check-fuzz      the libFuzzer targets for FUZZ_SECONDS each (fuzz/)
#   make deb             the Debian package (debian/), in $(B)/deb, checked with lintian
#   make check-package   make deb, then the package installed, used and purged in a guest
#   make demo            the whole flow on a throwaway loop-backed pool
#   make bench           shared-rootfs against overlay2 and dm-rw (N=100; N=1000 the full run)
#   make bench-idmap     idmapped shares against plain shares and copy + chown (N=20)
#   make bench-oci       image-create --from-oci against umoci unpack, and pool space (N=3)
#   make bench-verity    reads with and without dm-verity, 20 containers on one verity
#                        image (in the qemu guest; N=5 runs each)
#   make bench-engines   start-to-exit latency of crun containers running true: shared
#                        (rootfs-bundle), overlay2 and dm-rw (in the qemu guest; N=100 in
#                        a row, P=50 at once)
#   make install         PREFIX, DESTDIR, sbindir, helperdir, mandir, ... are honoured
#   make dist            a release tarball; make distcheck checks it builds and passes alone
#
# Variables: CC, CFLAGS, LDFLAGS, WERROR=1 (warnings are errors), B (build dir),
# V=1 (print whole commands, not "  CC      file"), DEPS=0 (check, demo, bench: do not
# install packages first), LAYERS=0 (check, check-fast: leave out the layer check),
# CHECK_JOBS (make check's parallelism; default: three per CPU), FAST_JOBS (check-fast's;
# default: the number of CPUs), FUZZ_SECONDS (20).

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
ALL_PKGS := mount blkid devmapper libselinux json-c libarchive libcrypto libcryptsetup
# A module pkg-config cannot find stops make at once, naming it, for every goal that
# compiles C.  Goals that compile none still work without the -dev packages; check,
# demo and bench install them first (deps) and then run make again for what they build.
NO_C_GOALS := deps check demo bench bench-idmap bench-oci bench-verity bench-engines man check-layers clean \
	uninstall dist distcheck deb check-package
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
	image-config image-activate image-deactivate image-verity rootfs-share rootfs-release \
	rootfs-list rootfs-bundle shared-rootfs-boot \
	shared-rootfs-recover shared-rootfs-runtime
thinpool-create_PKGS := devmapper blkid
thinpool-status_PKGS := devmapper blkid json-c
thinpool-remove_PKGS := devmapper blkid
image-create_PKGS := devmapper blkid libarchive json-c libcrypto libcryptsetup
image-remove_PKGS := devmapper blkid
image-list_PKGS := devmapper blkid json-c
image-config_PKGS := json-c libcrypto
image-activate_PKGS := devmapper blkid libselinux
image-deactivate_PKGS := devmapper blkid
image-verity_PKGS := devmapper blkid libcryptsetup
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
# rootfs-bundle reads the image's OCI config (checked against its digest) and writes JSON.
rootfs-bundle_PKGS := json-c libcrypto
# The OCI runtime wrapper runs once per runtime command an engine gives: linked
# statically too (json-c's archive), so that a command it passes through costs one
# execv more than the runtime alone.
shared-rootfs-runtime_PKGS := json-c
ifeq ($(SHARE_PATH_STATIC),1)
shared-rootfs-runtime_LDFLAGS := -static-pie
endif
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
HELPERS := state-tool share-threads userns-run spec-tool
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
	$(call quiet,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--as-needed -o $@ $^ \
		$(if $($*_PKGS),$(shell $(PKG_CONFIG) --libs $($*_PKGS)))
# (spec-tool drives lib/spec.c, which reads OCI configs: json-c, and libcrypto for their digests.)
spec-tool_PKGS := json-c libcrypto

$(B)/tests/unit/test-unit: $(UNIT_OBJS) $(B)/libsrfs.a
	$(call quiet,LD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--as-needed -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs json-c libcrypto)

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
# The host suites; check-fast leaves out the one that boots qemu guests.
HOST_SUITES ?= tests/*.bats
FAST_SUITES := $(filter-out tests/vm-harness.bats,$(sort $(wildcard tests/*.bats)))
# All of them in one guest, tests/vm/selinux/ with SELinux disabled: a configuration of
# its own (labels are ignored, --context is accepted), not a rerun of check-vm-selinux.
VM_SUITES ?= tests/vm/*.bats tests/vm/selinux/*.bats
# Again in a guest booted with SELinux enabled and the reference policy loaded.
VM_SELINUX_SUITES ?= tests/vm/selinux/*.bats
# make check runs the longest suites in halves, side by side, so that both CPUs work on
# them: the VM suites in two guests (A: the crash, bad-input, idmap and runtime-wrapper
# suites and the small ones, verity; B: the rest, about as long), the host suites under ASan/UBSan in two bats runs.
# A suite not named in an _A list goes to B.
VM_SUITES_A := tests/vm/recover.bats tests/vm/bad-input.bats tests/vm/boot.bats \
	tests/vm/dm-thin.bats tests/vm/udev.bats tests/vm/idmap.bats tests/vm/verity.bats \
	tests/vm/runtime.bats
VM_SUITES_B := $(filter-out $(VM_SUITES_A),$(sort $(wildcard tests/vm/*.bats))) \
	$(sort $(wildcard tests/vm/selinux/*.bats))
HOST_SUITES_A := tests/hostile.bats tests/bench.bats tests/security.bats
HOST_SUITES_B := $(filter-out $(HOST_SUITES_A),$(sort $(wildcard tests/*.bats)))

# The suites get the environment a shell would give them: without MAKEFLAGS and the
# variables set on make's command line (which make exports), so that a make they run
# (docs.bats, vm-harness.bats) builds with its defaults, not with this build's B or
# CFLAGS; they name the build under test with SRFS_BUILD.
# SANITIZED=1: the tools are ASan/UBSan builds (memcheck.bats skips, saying why).
ifeq ($(SANITIZED),1)
TEST_ENV := SRFS_SANITIZED=1 ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1
endif
CMDLINE_VARS = $(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),$(v)))
CLEAN_ENV = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(addprefix -u ,$(CMDLINE_VARS))
RUN_BATS = $(CLEAN_ENV) SRFS_BUILD=$(abspath $(B)) $(TEST_ENV) $(BATS)

.PHONY: deps check check-fast check-layers check-build check-unit check-asan check-host check-tsan \
	check-vm check-vm-selinux unit check-fuzz fuzzers fuzz-run
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

# The configurations make check builds, each once, each in a directory of its own
# (make does not rebuild when only flags change):
#   gcc    the build make install installs; the VM suites, memcheck.bats and the
#          unit tests run it
#   clang  built (all, tests, bench-build) for its warnings
#   asan   gcc with ASan and UBSan: the unit tests and the host suites run it
#   fuzz   clang with libFuzzer: the fuzz targets
SUBMAKE = $(MAKE) --no-print-directory WERROR=1
GCC_MAKE = $(SUBMAKE) CC=gcc B=$(B)/gcc
CLANG_MAKE = $(SUBMAKE) CC=clang B=$(B)/clang
ASAN_MAKE = $(SUBMAKE) CC=gcc B=$(B)/asan CFLAGS="-O1 -g $(SANITIZE)" LDFLAGS="$(SANITIZE)" \
	SHARE_PATH_STATIC=0 SANITIZED=1
FUZZ_MAKE = $(SUBMAKE) CC=clang B=$(B)/fuzz CFLAGS="$(FUZZ_CFLAGS)" SHARE_PATH_STATIC=0

# make check: the stages below, in parallel where they do not depend on each other
# (CHECK_JOBS, default three per CPU), each timed; the times are printed at the end.
# -k: a stage that fails does not stop the ones that do not need it.
# Most stages are one process that keeps one CPU busy (a guest, a bats run), some wait
# (a guest being killed on time, a fuzzer's fixed time): with three stages per CPU
# every stage starts as soon as its build is there, no CPU idles, and the longest ones
# end about together.  (check-fast runs as many jobs as CPUs: its stages compile.)
NPROC := $(shell nproc 2>/dev/null || echo 2)
CHECK_JOBS ?= $(shell echo $$(($(NPROC) * 3)))
FAST_JOBS ?= $(NPROC)
CHECK_DIR = $(B)/check
STAGE = tests/stage $(CHECK_DIR)
check: deps
	@rm -rf $(CHECK_DIR) && mkdir -p $(CHECK_DIR) && echo $(CHECK_JOBS) >$(CHECK_DIR)/jobs
	@start=$$(date +%s.%N); \
	$(MAKE) --no-print-directory -k -j$(CHECK_JOBS) check-stages; rc=$$?; \
	$(STAGE) --summary $$start $(CHECK_STAGES:stage-%=%); exit $$rc

# The gcc build first, alone so that it has every CPU, then the ASan build; everything
# else starts once the build it runs is there, the longest first: the two halves of the
# VM suites, of the host suites, the SELinux guest, the fuzzers.  (Order-only
# prerequisites set that order; make starts what is ready in the order it became ready.)
# "+": the stages run make, and share this make's job slots.
CHECK_STAGES := stage-layers stage-build-gcc stage-vm-a stage-vm-b stage-build-asan \
	stage-asan-a stage-asan-b stage-vm-selinux stage-package stage-build-fuzz stage-fuzz \
	stage-build-clang stage-unit stage-memcheck stage-tsan
.PHONY: check-stages $(CHECK_STAGES)
check-stages: $(CHECK_STAGES)
stage-layers:
ifeq ($(LAYERS),0)
	@$(STAGE) --skip layers LAYERS=0
else
	@$(STAGE) layers tests/check-layers lib
endif
stage-build-gcc:
	+@$(STAGE) build-gcc $(GCC_MAKE) all tests bench-build
stage-vm-a: stage-build-gcc
	+@$(STAGE) vm-a $(GCC_MAKE) check-vm VM_SUITES="$(VM_SUITES_A)"
stage-vm-b: stage-build-gcc
	+@$(STAGE) vm-b $(GCC_MAKE) check-vm VM_SUITES="$(VM_SUITES_B)"
stage-build-asan: | stage-build-gcc
	+@$(STAGE) build-asan $(ASAN_MAKE) all tests bench-build
# The host suites run once, with the ASan/UBSan build: every tool they run is checked
# for memory errors, leaks and undefined behaviour on the way, and what they assert is
# the same as with the plain build.  The plain build (the share path linked statically,
# as installed) is what the VM suites run.  memcheck.bats is the exception: valgrind
# cannot run ASan builds (it skips there), so it runs on the gcc build.
stage-asan-a: stage-build-asan
	+@$(STAGE) asan-a $(ASAN_MAKE) unit check-host HOST_SUITES="$(HOST_SUITES_A)"
stage-asan-b: stage-build-asan
	+@$(STAGE) asan-b $(ASAN_MAKE) check-host HOST_SUITES="$(HOST_SUITES_B)"
stage-build-clang: | stage-build-asan
	+@$(STAGE) build-clang $(CLANG_MAKE) all tests bench-build
stage-build-fuzz: | stage-build-asan
	+@$(STAGE) build-fuzz $(FUZZ_MAKE) fuzzers
stage-fuzz: stage-build-fuzz
	+@$(STAGE) fuzz $(FUZZ_MAKE) fuzz-run
# The unit tests run twice, on purpose: the -O2 build is what ships, the ASan/UBSan
# build (stage-asan) catches memory errors and undefined behaviour; under a second each.
stage-unit: stage-build-gcc | stage-build-asan
	+@$(STAGE) unit $(GCC_MAKE) unit
stage-memcheck: stage-build-gcc | stage-build-asan
	+@$(STAGE) memcheck $(GCC_MAKE) check-host HOST_SUITES=tests/memcheck.bats
stage-tsan: stage-build-gcc | stage-build-asan
	+@$(STAGE) tsan $(GCC_MAKE) check-tsan
stage-vm-selinux: stage-build-gcc
	+@$(STAGE) vm-selinux $(GCC_MAKE) check-vm-selinux
# The Debian package: built (its own build, from a copy of the tree), linted, installed
# and purged in a guest (make check-package).
stage-package: | stage-build-asan
	+@$(STAGE) package $(MAKE) --no-print-directory check-package DEPS=0

# The developer's inner loop, under 2 minutes on 2 CPUs: the layer check, the unit
# tests and the host suites that boot no qemu guest, on the plain build in $(B), the
# suites side by side (make -j, as check; output and times the same way, in
# $(B)/check-fast/).
FAST_DIR = $(B)/check-fast
FAST_STAGES := fast-layers fast-build fast-unit $(FAST_SUITES:tests/%.bats=fast-%)
.PHONY: fast-stages $(FAST_STAGES)
check-fast:
	@rm -rf $(FAST_DIR) && mkdir -p $(FAST_DIR) && echo $(FAST_JOBS) >$(FAST_DIR)/jobs
	@start=$$(date +%s.%N); \
	$(MAKE) --no-print-directory -k -j$(FAST_JOBS) fast-stages; rc=$$?; \
	tests/stage $(FAST_DIR) --summary $$start $(FAST_STAGES:fast-%=%); exit $$rc
# The longest suites first.
fast-stages: fast-layers fast-build fast-unit fast-docs fast-bad-input fast-bench fast-share \
	$(FAST_STAGES)
fast-layers:
ifeq ($(LAYERS),0)
	@tests/stage $(FAST_DIR) --skip layers LAYERS=0
else
	@tests/stage $(FAST_DIR) layers tests/check-layers lib
endif
fast-build:
	+@tests/stage $(FAST_DIR) build $(MAKE) --no-print-directory all tests bench-build
fast-unit: fast-build
	@tests/stage $(FAST_DIR) unit $(B)/tests/unit/test-unit
$(FAST_SUITES:tests/%.bats=fast-%): fast-%: fast-build
	@tests/stage $(FAST_DIR) $* $(RUN_BATS) tests/$*.bats

# The tree must build warning-free with gcc and with clang.
check-build:
	$(Q)$(GCC_MAKE) all tests bench-build
	$(Q)$(CLANG_MAKE) all tests bench-build

check-unit: unit

# The unit tests and the host suites, with every tool built with ASan and UBSan.
check-asan:
	$(Q)$(ASAN_MAKE) unit check-host

check-host: all tests bench-build
	$(RUN_BATS) $(HOST_SUITES)

# The library in a threaded program (tests/helpers/share-threads), built with
# ThreadSanitizer, against the tools of this build: any race it reports fails.
TSAN_FLAGS := -O1 -g -fsanitize=thread
check-tsan: all tests
	$(MAKE) --no-print-directory CC=clang B=$(B)/tsan CFLAGS="$(TSAN_FLAGS)" \
		LDFLAGS="-fsanitize=thread" SHARE_PATH_STATIC=0 $(B)/tsan/tests/helpers/share-threads
	SRFS_SHARE_THREADS=$(abspath $(B))/tsan/tests/helpers/share-threads \
		$(RUN_BATS) -f 'threaded program' tests/share.bats

check-vm: all
	SRFS_BUILD=$(abspath $(B)) tests/vm/run -t $(VM_TIMEOUT) -e SRFS_BUILD -- \
		$(BATS) $(VM_SUITES)

check-vm-selinux: all
	SRFS_BUILD=$(abspath $(B)) tests/vm/run --selinux -t $(VM_TIMEOUT) -e SRFS_BUILD -- \
		$(BATS) $(VM_SELINUX_SUITES)

# libFuzzer targets (fuzz/fuzz-*.c): each runs FUZZ_SECONDS from its seed corpus
# (fuzz/corpus/TARGET; what it finds new goes to $(B)/fuzz/corpus-TARGET), after
# replaying the inputs that once failed (fuzz/regress/TARGET).  A failing input is
# left in $(B)/fuzz/ as crash-*: add it to fuzz/regress/TARGET with the fix.
FUZZERS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz-*.c))
FUZZ_SECONDS ?= 20
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
fuzzers: $(FUZZERS:%=$(B)/%)
$(FUZZERS:%=$(B)/%): $(B)/%: fuzz/%.c fuzz/fuzz.h $(B)/libsrfs.a
	$(call quiet,CCLD,$@)$(CC) $(SRFS_CPPFLAGS) $(SRFS_CFLAGS) -fsanitize=fuzzer -o $@ $< $(B)/libsrfs.a \
		$(shell $(PKG_CONFIG) --libs json-c libcrypto)

check-fuzz:
	$(Q)$(FUZZ_MAKE) fuzz-run

# (Run by check-fuzz in the fuzz build, $(B)/fuzz.)
fuzz-run: fuzzers
	@set -e; for f in $(FUZZERS); do \
		t=$${f#fuzz-}; mkdir -p $(B)/corpus-$$t; \
		if [ -d fuzz/regress/$$t ] && ! $(B)/$$f -runs=0 fuzz/regress/$$t/* \
			>$(B)/$$t-regress.log 2>&1; then \
			cat $(B)/$$t-regress.log; exit 1; \
		fi; \
		if ! $(B)/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(B)/ $(B)/corpus-$$t fuzz/corpus/$$t \
			>$(B)/$$t.log 2>&1; then \
			tail -40 $(B)/$$t.log; echo "$$f failed: its input is in $(B)/"; exit 1; \
		fi; \
		sed -n 's/^stat::\(number_of_executed_units\|new_units_added\): */'"$$f"' \1 /p' \
			$(B)/$$t.log; \
	done

# ---- benchmark -------------------------------------------------------------------
# make bench (N=100, a few minutes) or make bench N=1000: bench/run, then bench/report.
N ?= 100
.PHONY: bench
# (deps first: make runs again for the build once the packages are there.)
bench: deps
	$(Q)$(MAKE) --no-print-directory all bench-build
	SRFS_BUILD=$(abspath $(B)) bench/run $(N)

# make bench-idmap: idmapped shares against plain shares and copy + chown (bench/idmap).
.PHONY: bench-idmap
bench-idmap: deps
	$(Q)$(MAKE) --no-print-directory all
	SRFS_BUILD=$(abspath $(B)) bench/idmap $(if $(filter command line,$(origin N)),$(N))

# make bench-oci: image-create --from-oci against umoci unpack, and the pool's space for
# two images on one base (bench/oci; in the qemu guest when this kernel has no dm).
.PHONY: bench-oci
bench-oci: deps
	$(Q)$(MAKE) --no-print-directory all
	SRFS_BUILD=$(abspath $(B)) bench/oci $(if $(filter command line,$(origin N)),$(N))
# make bench-verity: reads of a share with and without dm-verity, and 20 containers
# on one verity image (bench/verity, in the qemu guest).
.PHONY: bench-verity
bench-verity: deps
	$(Q)$(MAKE) --no-print-directory all
	SRFS_BUILD=$(abspath $(B)) bench/verity $(if $(filter command line,$(origin N)),$(N))

# make bench-engines: containers run by crun on shares (rootfs-bundle), overlay2 and
# dm-rw, start to exit (bench/engines; in the qemu guest when this kernel has no dm).
.PHONY: bench-engines
bench-engines: deps
	$(Q)$(MAKE) --no-print-directory all
	SRFS_BUILD=$(abspath $(B)) bench/engines $(N) $(or $(P),50)

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

# ---- Debian package ----------------------------------------------------------------
# make deb: the binary package (debian/), built with dpkg-buildpackage -us -uc -b in a
# copy of the tree under $(B)/deb (dpkg-buildpackage writes the package beside the tree
# it builds, and debian/ fills with build files), with the environment a shell would
# give it (no variable of this make's command line), then checked with lintian: an error,
# or a warning not overridden with a reason in debian/shared-rootfs.lintian-overrides,
# fails.  The copy holds the files git tracks or would track (not ignored), or every
# file but $(B) outside a git checkout (an unpacked make dist).
DEB_DIR = $(B)/deb
DEB_TREE = $(DEB_DIR)/shared-rootfs-$(VERSION)
DEB_FILE = $(DEB_DIR)/shared-rootfs_$(VERSION)_$(shell dpkg --print-architecture).deb
.PHONY: deb
deb: deps
	@v=$$(dpkg-parsechangelog -S Version); [ "$$v" = $(VERSION) ] || \
		{ echo "deb: debian/changelog says $$v, the Makefile $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_TREE)
	{ if [ -e .git ]; then git ls-files -z --cached --others --exclude-standard; \
	  else find . -path ./$(patsubst $(CURDIR)/%,%,$(abspath $(B))) -prune -o \
		! -type d -print0; fi; } | \
		tar --null --ignore-failed-read -T - -cf - | tar -C $(DEB_TREE) -xf -
	cd $(DEB_TREE) && $(CLEAN_ENV) dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --info $(DEB_DIR)/shared-rootfs_$(VERSION)_*.changes
	@echo "$(DEB_FILE)"

# make check-package: make deb, then tests/package/install.bats in a qemu guest whose
# root is an overlay of the host's (tests/vm/run --overlay-root): the package installed
# with dpkg, the demo's flow through the installed commands, removed and purged; the
# host's root is never written to.
.PHONY: check-package
check-package: deb
	SRFS_DEB=$(abspath $(DEB_FILE)) tests/vm/run --overlay-root -t $(VM_TIMEOUT) -e SRFS_DEB -- \
		$(BATS) tests/package/install.bats

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
