/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>

#include "cli.h"
#include "log.h"
#include "mountapi.h"
#include "name.h"
#include "size.h"
#include "util.h"

void srfs_cli_init(int argc, char **argv)
{
	srfs_log_init(argc > 0 ? argv[0] : NULL);
	opterr = 0; /* srfs_cli_bad_option says what was wrong, in one line */
	/* Before anything else, the environment and the arguments included. */
	if (getuid() != geteuid() || getgid() != getegid() || getauxval(AT_SECURE)) {
		log_error("refusing to run setuid or setgid: shared-rootfs tools are meant to be "
			  "run by root only (remove the setuid/setgid bit)");
		exit(SRFS_EXIT_FAILURE);
	}
	/* Inherited "ignore SIGCHLD" would make every child reaped unseen: no status. */
	signal(SIGCHLD, SIG_DFL);
}

int srfs_cli_common_option(int c)
{
	switch (c) {
	case 'v':
		srfs_log_set_level(SRFS_LOG_VERBOSE);
		return 1;
	case 'q':
		srfs_log_set_level(SRFS_LOG_QUIET);
		return 1;
	case 'V':
		printf("%s (shared-rootfs) %s\n", srfs_log_prog(), SRFS_VERSION);
		exit(SRFS_EXIT_OK);
	}
	return 0;
}

int srfs_cli_usage_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s (see '%s --help')\n", srfs_log_prog(), line, srfs_log_prog());
	return SRFS_EXIT_USAGE;
}

static int have_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return negative_errno();
	return !!(data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN));
}

int srfs_cli_require_admin(void)
{
	int r = have_cap_sys_admin();
	if (r < 0)
		return log_errno(r, "cannot read the process capabilities");
	if (r == 0) {
		log_error("must be run as root (CAP_SYS_ADMIN is needed)");
		return -EPERM;
	}
	return 0;
}

int srfs_cli_bad_option(char **argv)
{
	char q[SRFS_QUOTE_MAX];
	const char *arg = argv[optind - 1];
	bool is_long = arg && arg[0] == '-' && arg[1] == '-';

	if (!is_long && optopt > 0 && optopt < 128)
		return srfs_cli_usage_error("invalid option '-%c'", optopt);
	if (optopt)
		return srfs_cli_usage_error("option '%s' needs an argument",
					    srfs_quote(q, sizeof(q), arg));
	return srfs_cli_usage_error("unknown option '%s'", srfs_quote(q, sizeof(q), arg));
}

int srfs_cli_name_arguments(int argc, char **argv, const char *const *kinds, size_t n,
			    const char **names)
{
	char q[SRFS_QUOTE_MAX];

	for (size_t i = 0; i < n; i++) {
		if (optind + (int)i >= argc)
			return srfs_cli_usage_error("no %s name given", kinds[i]);
		if (srfs_name_validate(kinds[i], argv[optind + i]) < 0)
			return SRFS_EXIT_USAGE;
		names[i] = argv[optind + i];
	}
	if (optind + (int)n < argc)
		return srfs_cli_usage_error("unexpected argument '%s'",
					    srfs_quote(q, sizeof(q), argv[optind + n]));
	return 0;
}

int srfs_cli_size_option(const char *option, const char *arg, uint64_t *out)
{
	char q[SRFS_QUOTE_MAX];
	int r = srfs_size_parse(arg, out);
	if (r == -ERANGE)
		return srfs_cli_usage_error("--%s: size '%s' is too large", option,
					    srfs_quote(q, sizeof(q), arg));
	if (r < 0)
		return srfs_cli_usage_error("--%s: invalid size '%s' (a number with an optional "
					    "K, M, G or T)",
					    option, srfs_quote(q, sizeof(q), arg));
	if (*out == 0)
		return srfs_cli_usage_error("--%s: size must not be zero", option);
	return 0;
}

int srfs_cli_name_argument(int argc, char **argv, const char *kind, bool required,
			   const char **name)
{
	char q[SRFS_QUOTE_MAX];

	*name = NULL;
	if (optind >= argc)
		return required ? srfs_cli_usage_error("no %s name given", kind) : 0;
	if (optind + 1 < argc)
		return srfs_cli_usage_error("unexpected argument '%s'",
					    srfs_quote(q, sizeof(q), argv[optind + 1]));
	if (srfs_name_validate(kind, argv[optind]) < 0)
		return SRFS_EXIT_USAGE;
	*name = argv[optind];
	return 0;
}

int srfs_cli_open_mount_namespace(const char *ns)
{
	char path[64];
	uint64_t pid;

	if (srfs_parse_u64(ns, &pid) == 0) {
		snprintf(path, sizeof(path), "/proc/%llu/ns/mnt", (unsigned long long)pid);
		ns = path;
	}
	int fd = open(ns, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(negative_errno(), "cannot open mount namespace %s", ns);
	return fd;
}

int srfs_cli_enter_mount_namespace(int fd, const char *ns)
{
	int r = srfs_mntns_enter(fd);
	if (r < 0)
		return log_errno(r, "cannot enter mount namespace %s", ns);
	return 0;
}
