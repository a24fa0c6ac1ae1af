/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime wrapper's containers: one record per container whose image
 * shared-rootfs-runtime shared, <rundir>/containers/ID, under the lock
 * "container.ID" (lock.h, level 0, taken before any other).
 *
 * A record is written before anything is shared ("creating") and marked
 * "created" once the runtime has created the container; it names what to
 * undo: the share (whose id is the container's), the config file rewritten
 * (its original kept as FILE.orig) and the target directory the wrapper made
 * in the bundle.  A record "creating" whose lock no one holds is what a
 * wrapper killed during create left: shared-rootfs-recover undoes it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "name.h"
#include "state.h"

#define SRFS_CONTAINERS_DIR "containers"
/* The directory in a bundle that the share is mounted on. */
#define SRFS_WRAPPER_TARGET "shared-rootfs"

struct srfs_container {
	char id[SRFS_NAME_MAX + 1];
	char image[SRFS_NAME_MAX + 1];
	char *root;         /* the runtime's --root; NULL: its default */
	char *config;       /* the config file rewritten, absolute; NULL: not yet */
	uint64_t config_ino; /* ... the inode of the rewritten one */
	char *target;       /* the share's target: BUNDLE/shared-rootfs */
	bool target_made;   /* ... made by the wrapper (removed with the share) */
	bool created;       /* the runtime created the container */
	uint64_t since;
};

void srfs_container_clear(struct srfs_container *c);
/* -ENOENT (not logged) when there is no record of ID. */
int srfs_container_load(struct srfs_state *st, const char *id, struct srfs_container *c);
int srfs_container_save(struct srfs_state *st, const struct srfs_container *c);

/*
 * Undoes container C (its lock held): its share released, its config file
 * put back, the target directory removed when the wrapper made it, the
 * record removed.  Logged failures; the record stays when the share could
 * not be released.
 */
int srfs_container_undo(struct srfs_state *st, const struct srfs_container *c);

/*
 * For shared-rootfs-recover: each record no one holds the lock of that is
 * still "creating" is undone; a "created" one whose share record is gone
 * is removed.  Each action reported.
 */
int srfs_container_recover(struct srfs_state *st);
