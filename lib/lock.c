/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "lock.h"
#include "log.h"
#include "state.h"

static const char *const level_names[] = {
	[SRFS_LOCK_CATALOG] = "catalog",
	[SRFS_LOCK_POOL] = "pool",
	[SRFS_LOCK_IMAGE] = "image",
	[SRFS_LOCK_SHARE] = "share",
};

int srfs_lock_take(struct srfs_lock *lock, struct srfs_state *st,
		   enum srfs_lock_level level, const char *name, bool shared)
{
	_cleanup_close_ int fd = -1;
	int dir_fd;
	char file[256];

	if (level < SRFS_LOCK_CATALOG || level > SRFS_LOCK_SHARE)
		return log_errno(-EINVAL, "internal error: lock level %d", (int)level);
	if (st->held_locks >> level) {
		log_error("internal error: %s lock taken while holding a lock of a later level",
			  level_names[level]);
		return -EDEADLK;
	}
	if (name)
		snprintf(file, sizeof(file), "%s.%s", level_names[level], name);
	else
		snprintf(file, sizeof(file), "%s", level_names[level]);

	dir_fd = srfs_state_run_dir(st, "locks", true);
	if (dir_fd < 0)
		return dir_fd;
	fd = openat(dir_fd, file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return log_errno(negative_errno(), "cannot open lock %s", file);
	while (flock(fd, shared ? LOCK_SH : LOCK_EX) < 0)
		if (errno != EINTR)
			return log_errno(negative_errno(), "cannot take lock %s", file);

	st->held_locks |= 1u << level;
	lock->fd = TAKE_FD(fd);
	lock->level = level;
	lock->state = st;
	return 0;
}

void srfs_lock_release(struct srfs_lock *lock)
{
	if (lock->fd < 0)
		return;
	closep(&lock->fd);
	lock->state->held_locks &= ~(1u << lock->level);
	lock->state = NULL;
}
