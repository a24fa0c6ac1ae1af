/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Thin device ids, kept in step between the catalog and the pool.
 *
 * The pool's metadata holds the thin ids that exist and a transaction id
 * that only we change; the catalog holds the image records.  Each change is
 * one transaction, written ahead as an intent (<catalog>/intents/POOL):
 *
 *   create:  intent(T, id) -> create_thin/create_snap id -> image record
 *            -> set_transaction_id T T+1 -> intent removed
 *   delete:  intent(T, id) -> delete id -> set_transaction_id T T+1
 *            -> image record removed -> intent removed
 *
 * srfs_thinid_recover() finishes whatever a crash interrupted: a creation
 * whose transaction id did not move is rolled back (the id deleted if it was
 * made, the record removed); one whose id moved is complete.  A removal is
 * always completed.  Container snapshots (rootfs-share --mode snapshot) go
 * through the same transactions.  Every function here expects the catalog and the pool
 * lock to be held (a pool transaction, pooltx.h) and the pool to be active.
 */
#pragma once

#include <stdint.h>

#include "catalog.h"
#include "state.h"
#include "thin.h"

/* Finishes an interrupted transaction of POOL, if there is one. */
int srfs_thinid_recover(struct srfs_state *st, const struct srfs_pool *pool);

/*
 * Is a transaction about IMAGE open in some pool?  1 and the pool's name in
 * POOL, or 0.  (No lock needed: only for finding which pool to recover.)
 */
int srfs_thinid_pending(struct srfs_state *st, const char *image, char *pool,
			size_t size);

/*
 * Creates a thin device for IMG (a snapshot of ORIGIN_ID when ORIGIN_DM is
 * not NULL; ORIGIN_DM is then the origin's active device to suspend around
 * the snapshot, or "" when it is not active) and writes IMG's record with
 * the id it got.
 */
int srfs_thinid_create(struct srfs_state *st, const struct srfs_pool *pool,
		       struct srfs_image *img, const uint64_t *origin_id, const char *origin_dm);

/*
 * Creates a thin device for the hash area of pool image IMG (image-verity)
 * and writes IMG's record with it as VERITY_DEVICE_ID, as one transaction;
 * crash points "image-verity:intent", ":message", ":record", ":transaction".
 * A creation rolled back forgets the hash area in the record, not the image.
 */
int srfs_thinid_create_hash(struct srfs_state *st, const struct srfs_pool *pool,
			    struct srfs_image *img);

/* Deletes the hash area of IMG (if it has one) and forgets it in IMG's record. */
int srfs_thinid_delete_hash(struct srfs_state *st, const struct srfs_pool *pool,
			    struct srfs_image *img);

/* Deletes IMG's thin device (and its hash area's, if any) and then its record. */
int srfs_thinid_delete(struct srfs_state *st, const struct srfs_pool *pool,
		       const struct srfs_image *img);

/* Refuses (with a message) a pool that cannot take a new thin device: failed, needs a check, full, read-only. */
int srfs_thinid_pool_usable(const struct srfs_pool *pool);

/* The pool's status: fails (logged) when it is not active. */
int srfs_thinid_pool_status(const struct srfs_pool *pool, struct srfs_thin_pool_status *status);
