/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "lock.h"
#include "log.h"
#include "state.h"

static const char *const level_names[] = {
	[SRFS_LOCK_CONTAINER] = "container",
	[SRFS_LOCK_CATALOG] = "catalog",
	[SRFS_LOCK_POOL] = "pool",
	[SRFS_LOCK_IMAGE] = "image",
	[SRFS_LOCK_SHARE] = "share",
};

/*
 * Opens and flocks the lock file LOCK->file (OP: LOCK_SH, LOCK_EX, maybe
 * LOCK_NB), again until the name still leads to the file locked: a holder
 * that removed it meanwhile leaves the taker an orphan.
 */
static int lock_file(struct srfs_lock *lock, int dir_fd, int op)
{
	for (;;) {
		_cleanup_close_ int fd = openat(dir_fd, lock->file, O_RDWR | O_CREAT | O_NOFOLLOW |
								    O_CLOEXEC | O_NOCTTY, 0600);
		struct stat a, b;

		if (fd < 0)
			return log_errno(negative_errno(), "cannot open lock %s", lock->file);
		while (flock(fd, op) < 0) {
			if (errno == EWOULDBLOCK && (op & LOCK_NB))
				return -EWOULDBLOCK;
			if (errno != EINTR)
				return log_errno(negative_errno(), "cannot take lock %s", lock->file);
		}
		if (fstat(fd, &a) < 0)
			return log_errno(negative_errno(), "cannot take lock %s", lock->file);
		if (fstatat(dir_fd, lock->file, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			lock->fd = TAKE_FD(fd);
			return 0;
		}
		/* Removed (or replaced) by its last holder: take the current one. */
	}
}

static int take(struct srfs_lock *lock, struct srfs_state *st, enum srfs_lock_level level,
		const char *name, int op)
{
	int dir_fd;

	if (level < SRFS_LOCK_CONTAINER || level > SRFS_LOCK_SHARE)
		return log_errno(-EINVAL, "internal error: lock level %d", (int)level);
	if (name)
		snprintf(lock->file, sizeof(lock->file), "%s.%s", level_names[level], name);
	else
		snprintf(lock->file, sizeof(lock->file), "%s", level_names[level]);
	dir_fd = srfs_state_run_dir(st, SRFS_LOCKS_DIR, true);
	if (dir_fd < 0)
		return dir_fd;
	int r = lock_file(lock, dir_fd, op);
	if (r < 0)
		return r;
	lock->level = level;
	lock->state = st;
	return 0;
}

int srfs_lock_take(struct srfs_lock *lock, struct srfs_state *st, enum srfs_lock_level level,
		   const char *name, bool shared)
{
	if (level >= SRFS_LOCK_CONTAINER && level <= SRFS_LOCK_SHARE && st->held_locks >> level) {
		log_error("internal error: %s lock taken while holding a lock of a later level",
			  level_names[level]);
		return -EDEADLK;
	}
	int r = take(lock, st, level, name, shared ? LOCK_SH : LOCK_EX);
	if (r < 0)
		return r;
	st->held_locks |= 1u << level;
	lock->counted = true;
	return 0;
}

int srfs_lock_try(struct srfs_lock *lock, struct srfs_state *st, enum srfs_lock_level level,
		  const char *name)
{
	return take(lock, st, level, name, LOCK_EX | LOCK_NB);
}

void srfs_lock_release(struct srfs_lock *lock)
{
	if (lock->fd < 0)
		return;
	/*
	 * The last holder removes the file: only an exclusive holder may (a
	 * shared lock converts to exclusive when no one else holds it; when the
	 * conversion fails the lock is simply given up).  Whoever opened the
	 * file meanwhile finds it gone once it holds it, and starts again.
	 */
	int dir_fd = srfs_state_run_dir(lock->state, SRFS_LOCKS_DIR, false);
	if (dir_fd >= 0 && flock(lock->fd, LOCK_EX | LOCK_NB) == 0)
		unlinkat(dir_fd, lock->file, 0);
	closep(&lock->fd);
	if (lock->counted)
		lock->state->held_locks &= ~(1u << lock->level);
	lock->counted = false;
	lock->state = NULL;
}
