/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"

/* WANT is STEP, or STEP#N and this is the Nth time STEP is reached in this process. */
static bool reached(const char *want, const char *step)
{
	static unsigned long count; /* times STEP was reached (WANT names one step) */
	const char *hash = strchr(want, '#');
	size_t len = hash ? (size_t)(hash - want) : strlen(want);

	if (strncmp(want, step, len) != 0 || step[len] != '\0')
		return false;
	if (!hash)
		return true;
	return ++count == strtoul(hash + 1, NULL, 10);
}

void srfs_crash_point(const char *step)
{
	const char *want = getenv(SRFS_CRASH_ENV);
	const char *stop = getenv(SRFS_STOP_ENV);

	log_debug("step %s done", step);
	if (stop && strcmp(stop, step) == 0)
		raise(SIGSTOP); /* until a SIGCONT */
	if (!want || !reached(want, step))
		return;
	/* No cleanup handlers, no flushing: what a real crash leaves. */
	kill(getpid(), SIGKILL);
	_exit(137);
}
