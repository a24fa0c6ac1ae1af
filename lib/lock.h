/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Locks: flock(2) on files under <rundir>/locks.  A lock file lives only
 * while someone holds or waits for it: the last holder removes it, so that
 * neither many container ids nor a refused command leave files behind.
 * Removing is safe because a taker checks, once it holds the lock, that the
 * name still leads to the file it locked, and starts again when it does not;
 * a holder removes the file only while it holds it exclusively.
 *
 * THE LOCK ORDER.  Through one state (state.h), locks are taken only in
 * increasing level, at most one lock per level at a time; taking a level at
 * or below one already held is a bug and fails with -EDEADLK (and a message)
 * instead of risking a deadlock.  The set held belongs to the state, so
 * threads that each have a state of their own lock independently.  The levels:
 *
 *   0 SRFS_LOCK_CONTAINER "container.ID"  a container of the runtime wrapper
 *                                      (shared-rootfs-runtime): its record, from the
 *                                      create that shares its image to the release;
 *                                      taken before anything else
 *   1 SRFS_LOCK_CATALOG  "catalog"     pools and images: create, remove, intents
 *   2 SRFS_LOCK_POOL     "pool.NAME"   a pool's device, thin ids, transaction id
 *   3 SRFS_LOCK_IMAGE    "image.NAME"  an image's activation and mount: exclusive to
 *                                      activate, deactivate, create or remove it;
 *                                      shared by rootfs-share, so that shares of one
 *                                      image proceed in parallel
 *   4 SRFS_LOCK_SHARE    "share.ID"    one container's share record and mount
 *
 * rootfs-release takes only the share lock: it changes nothing of the image.
 * rootfs-share, finding its image inactive, releases the image lock and runs
 * image-activate, then takes the lock again.
 *
 * The runtime directory's own flock, taken while it is made a private mount,
 * is held alone and released before any of these.
 */
#pragma once

#include <stdbool.h>

#include "name.h"

#define SRFS_LOCKS_DIR "locks" /* in the runtime directory */
#define SRFS_LOCK_FILE_MAX (SRFS_NAME_MAX + 16)

enum srfs_lock_level {
	SRFS_LOCK_CONTAINER = 0,
	SRFS_LOCK_CATALOG = 1,
	SRFS_LOCK_POOL = 2,
	SRFS_LOCK_IMAGE = 3,
	SRFS_LOCK_SHARE = 4,
};

struct srfs_state;

struct srfs_lock {
	int fd;
	enum srfs_lock_level level;
	bool counted;             /* in its state's held-lock set (not a try) */
	struct srfs_state *state; /* whose it is */
	char file[SRFS_LOCK_FILE_MAX];
};

#define SRFS_LOCK_INIT { .fd = -1 }

/*
 * Takes the lock of LEVEL named NAME (NULL for the catalog) in ST's runtime
 * directory, exclusive or SHARED, waiting for it.
 */
int srfs_lock_take(struct srfs_lock *lock, struct srfs_state *st,
		   enum srfs_lock_level level, const char *name, bool shared);
/*
 * Takes the lock of LEVEL named NAME exclusively if no one holds it, without
 * waiting: 0, or -EWOULDBLOCK (not logged).  A try cannot deadlock, so it is
 * allowed at any level.
 */
int srfs_lock_try(struct srfs_lock *lock, struct srfs_state *st, enum srfs_lock_level level,
		  const char *name);
void srfs_lock_release(struct srfs_lock *lock);
#define _cleanup_lock_ _cleanup_(srfs_lock_release)
