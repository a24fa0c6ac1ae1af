/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Messages: "prog: what failed: why", one line each, on stderr unless the
 * program sets a handler of its own (an engine that embeds the library routes
 * them to its log).  The library never writes to standard output.
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

/*
 * Where messages go: FN gets the level, the program name, the message and the
 * error code it ends with (a negative errno, or 0), without a newline.  NULL
 * restores the default (stderr).  Set it once, before any thread uses the
 * library: it is the process's.  Levels above the current one are not passed.
 */
typedef void (*srfs_log_fn)(void *userdata, enum srfs_log_level level, const char *prog,
			    const char *message, int error);
void srfs_log_set_handler(srfs_log_fn fn, void *userdata);

void srfs_log(enum srfs_log_level level, const char *fmt, ...) _printf_(2, 3);
/* Logs "prog: MESSAGE: strerror(-r)" and returns r (a negative errno). */
int srfs_log_errno(int r, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) srfs_log(SRFS_LOG_QUIET, __VA_ARGS__)
#define log_info(...) srfs_log(SRFS_LOG_NORMAL, __VA_ARGS__)
#define log_verbose(...) srfs_log(SRFS_LOG_VERBOSE, __VA_ARGS__)
#define log_debug(...) srfs_log(SRFS_LOG_DEBUG, __VA_ARGS__)
#define log_errno(r, ...) srfs_log_errno((r), __VA_ARGS__)
