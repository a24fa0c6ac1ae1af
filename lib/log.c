/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *prog = "shared-rootfs";
static enum srfs_log_level current_level = SRFS_LOG_NORMAL;
static srfs_log_fn handler;
static void *handler_data;

void srfs_log_set_handler(srfs_log_fn fn, void *userdata)
{
	handler = fn;
	handler_data = userdata;
}

void srfs_log_init(const char *argv0)
{
	if (argv0 && *argv0) {
		const char *slash = strrchr(argv0, '/');
		prog = slash ? slash + 1 : argv0;
	}
	const char *debug = getenv("SHARED_ROOTFS_DEBUG");
	if (debug && *debug && !streq(debug, "0"))
		current_level = SRFS_LOG_DEBUG;
}

const char *srfs_log_prog(void)
{
	return prog;
}

void srfs_log_set_level(enum srfs_log_level level)
{
	/* The environment's debug switch wins over -q/-v. */
	if (current_level != SRFS_LOG_DEBUG)
		current_level = level;
}

enum srfs_log_level srfs_log_get_level(void)
{
	return current_level;
}

_printf_(2, 0) static void vlog(enum srfs_log_level level, const char *fmt, va_list ap, int r)
{
	char line[1024];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (handler)
		handler(handler_data, level, prog, line, r);
	else if (r < 0)
		fprintf(stderr, "%s: %s: %s\n", prog, line, strerror(-r));
	else
		fprintf(stderr, "%s: %s\n", prog, line);
}

void srfs_log(enum srfs_log_level level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

int srfs_log_errno(int r, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(SRFS_LOG_QUIET, fmt, ap, r < 0 ? r : -EIO);
	va_end(ap);
	errno = saved;
	return r < 0 ? r : -EIO;
}
