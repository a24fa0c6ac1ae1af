/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"

void srfs_crash_point(const char *step)
{
	const char *want = getenv(SRFS_CRASH_ENV);
	const char *stop = getenv(SRFS_STOP_ENV);

	log_debug("step %s done", step);
	if (stop && strcmp(stop, step) == 0)
		raise(SIGSTOP); /* until a SIGCONT */
	if (!want || strcmp(want, step) != 0)
		return;
	/* No cleanup handlers, no flushing: what a real crash leaves. */
	kill(getpid(), SIGKILL);
	_exit(137);
}
