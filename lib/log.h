/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Messages: "prog: what failed: why" on stderr, one line each.
 *
 * Log once where the context is, then pass the error code up untouched:
 *	return log_errno(r, "cannot open %s", path);
 */
#pragma once

#include "macro.h"

enum srfs_log_level {
	SRFS_LOG_QUIET = 0, /* errors only */
	SRFS_LOG_NORMAL = 1,
	SRFS_LOG_VERBOSE = 2,
	SRFS_LOG_DEBUG = 3,
};

/* Sets the program name; SHARED_ROOTFS_DEBUG=1 in the environment turns on debug. */
void srfs_log_init(const char *argv0);
const char *srfs_log_prog(void);
void srfs_log_set_level(enum srfs_log_level level);
enum srfs_log_level srfs_log_get_level(void);

void srfs_log(enum srfs_log_level level, const char *fmt, ...) _printf_(2, 3);
/* Logs "prog: MESSAGE: strerror(-r)" and returns r (a negative errno). */
int srfs_log_errno(int r, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) srfs_log(SRFS_LOG_QUIET, __VA_ARGS__)
#define log_info(...) srfs_log(SRFS_LOG_NORMAL, __VA_ARGS__)
#define log_verbose(...) srfs_log(SRFS_LOG_VERBOSE, __VA_ARGS__)
#define log_debug(...) srfs_log(SRFS_LOG_DEBUG, __VA_ARGS__)
#define log_errno(r, ...) srfs_log_errno((r), __VA_ARGS__)
