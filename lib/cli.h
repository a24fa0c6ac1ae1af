/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every tool does the same way: common options, privilege checks. */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

#ifndef SRFS_VERSION
#define SRFS_VERSION "unknown"
#endif

/* Exit codes of the tools (the mount helpers use libmount's MNT_EX_*). */
#define SRFS_EXIT_OK 0
#define SRFS_EXIT_FAILURE 1
#define SRFS_EXIT_USAGE 2

/* Long options every tool takes; their short forms are "hVvq". */
#define SRFS_COMMON_OPTIONS                                                              \
	{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },       \
		{ "verbose", no_argument, NULL, 'v' }, { "quiet", no_argument, NULL, 'q' }
#define SRFS_COMMON_SHORT "hVvq"
#define SRFS_COMMON_HELP                                                                 \
	"  -v, --verbose          say more about what is done\n"                           \
	"  -q, --quiet            print errors only\n"                                     \
	"  -h, --help             show this help and exit\n"                               \
	"  -V, --version          show the version and exit\n"

/* Sets up logging from argv[0]; a program run setuid or setgid exits here, saying why. */
void srfs_cli_init(int argc, char **argv);

/*
 * Handles -v, -q and -V (which exits); returns 1 when C was one of them.
 * -h is the tool's own (it prints the tool's usage).
 */
int srfs_cli_common_option(int c);

/* "prog: MESSAGE (see 'prog --help')" on one line; returns SRFS_EXIT_USAGE. */
int srfs_cli_usage_error(const char *fmt, ...) _printf_(1, 2);

/*
 * Takes the one positional argument after the options (optind), a name of
 * KIND ("pool", "image", ...): missing (when REQUIRED), extra or invalid
 * arguments are usage errors.  Returns 0, or the exit code to return.
 */
int srfs_cli_name_argument(int argc, char **argv, const char *kind, bool required,
			   const char **name);

/*
 * The usage error for what getopt_long rejected ('?'): an unknown option or
 * a missing argument, named.  Returns SRFS_EXIT_USAGE.
 */
int srfs_cli_bad_option(char **argv);

/*
 * Takes exactly N positional arguments, names of KINDS[0..N-1] ("pool",
 * "image", ...).  Returns 0, or the exit code to return.
 */
int srfs_cli_name_arguments(int argc, char **argv, const char *const *kinds, size_t n,
			    const char **names);

/* Parses the size ARG of --OPTION (not zero).  Returns 0, or the exit code to return. */
int srfs_cli_size_option(const char *option, const char *arg, uint64_t *out);

/*
 * The mount helpers' -N NS: a PID, or a path such as /proc/PID/ns/mnt.
 * Opened first, entered (with its descriptor FD) only once everything that
 * must come from the caller's namespace is open: the state directories and
 * the tools to run (srfs_run_pin_tools).  Once in, a path names the target's
 * files, which whoever owns that namespace controls.
 */
int srfs_cli_open_mount_namespace(const char *ns);
int srfs_cli_enter_mount_namespace(int fd, const char *ns);

/*
 * Refuses to run without CAP_SYS_ADMIN, with a message saying so; call
 * before touching anything.  0 or -EPERM.
 */
int srfs_cli_require_admin(void);
