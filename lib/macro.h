/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small macros every file uses: cleanup attributes, ownership transfer. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(fn) __attribute__((cleanup(fn)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* Closes the descriptor without disturbing errno, and leaves -1 behind. */
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership of a pointer or descriptor to someone else. */
#define TAKE_PTR(p)                                                                      \
	({                                                                               \
		__typeof__(p) _tmp = (p);                                                \
		(p) = NULL;                                                              \
		_tmp;                                                                    \
	})
#define TAKE_FD(fd)                                                                      \
	({                                                                               \
		int _tmp = (fd);                                                         \
		(fd) = -1;                                                               \
		_tmp;                                                                    \
	})

/* -errno of the last failed call, never 0 (a broken libc could leave 0). */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#define streq(a, b) (strcmp((a), (b)) == 0)
