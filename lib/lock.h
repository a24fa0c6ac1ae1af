/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Locks: flock(2) on files under <rundir>/locks, never removed (removing a
 * lock file races with the next taker).
 *
 * THE LOCK ORDER.  Through one state (state.h), locks are taken only in
 * increasing level, at most one lock per level at a time; taking a level at
 * or below one already held is a bug and fails with -EDEADLK (and a message)
 * instead of risking a deadlock.  The set held belongs to the state, so
 * threads that each have a state of their own lock independently.  The levels:
 *
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

enum srfs_lock_level {
	SRFS_LOCK_CATALOG = 1,
	SRFS_LOCK_POOL = 2,
	SRFS_LOCK_IMAGE = 3,
	SRFS_LOCK_SHARE = 4,
};

struct srfs_state;

struct srfs_lock {
	int fd;
	enum srfs_lock_level level;
	struct srfs_state *state; /* whose held-lock set it is counted in */
};

#define SRFS_LOCK_INIT { .fd = -1 }

/*
 * Takes the lock of LEVEL named NAME (NULL for the catalog) in ST's runtime
 * directory, exclusive or SHARED, waiting for it.
 */
int srfs_lock_take(struct srfs_lock *lock, struct srfs_state *st,
		   enum srfs_lock_level level, const char *name, bool shared);
void srfs_lock_release(struct srfs_lock *lock);
#define _cleanup_lock_ _cleanup_(srfs_lock_release)
