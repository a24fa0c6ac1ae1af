/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Thin pools: activation of the thin-pool device, its status and its
 * removal.  The record (<catalog>/pools/NAME, struct srfs_pool) is the
 * catalog's (catalog.h).
 *
 * A pool's dm device is named "srfs-NAME" (shortened with a hash when that
 * is too long; the catalog keeps the name).  Files are attached to loop
 * devices with autoclear, so the loop devices go away with the pool device.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "catalog.h"
#include "state.h"
#include "thin.h"

struct srfs_pool_create_options {
	const char *data_path, *metadata_path; /* NULL: the catalog's */
	uint64_t data_size, metadata_size;     /* create missing files this big */
	uint64_t chunk_size;                   /* 0: default or the catalog's */
	int64_t low_water_mark;                /* -1: default or the catalog's */
	int error_if_no_space, discard, zero_blocks; /* -1: default or the catalog's */
	bool force;                            /* overwrite foreign signatures */
};

/* thinpool-create: creates, re-activates or confirms the pool NAME. */
int srfs_pool_create(const char *name, const struct srfs_pool_create_options *o);

struct srfs_pool_report {
	struct srfs_pool pool;
	bool active;
	dev_t devno;
	struct srfs_thin_pool_status status; /* when active */
	struct srfs_thin_pool_table table;   /* when active */
	unsigned catalog_thins;              /* images of the pool in the catalog */
	unsigned active_thins;               /* thin devices of the pool in the kernel */
};

/* Calls FN for pool NAME, or for every pool in the catalog when NAME is NULL. */
int srfs_pool_report(const char *name,
		     int (*fn)(const struct srfs_pool_report *report, void *userdata),
		     void *userdata);

/* thinpool-remove: deactivates; WIPE also forgets the pool and its created files. */
int srfs_pool_remove(const char *name, bool force, bool wipe);

/*
 * shared-rootfs-recover: the runtime record of the active pool POOL (its
 * device and loop devices), written again from its table when a crash left
 * none.  Expects the catalog and pool locks to be held.
 */
int srfs_pool_restore_runtime(struct srfs_state *st, const struct srfs_pool *pool);
