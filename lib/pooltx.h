/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pool transaction: what every command that changes a pool, or the thin
 * ids in it, holds while it does.  srfs_pool_tx_begin takes the catalog lock
 * and the pool's lock (in that order, lock.h), loads the pool's record, and
 * as asked checks that the pool is active and finishes a transaction a
 * crash interrupted (srfs_thinid_recover); srfs_pool_tx_end releases.
 *
 * A caller that must read the catalog to learn which pool it works on
 * (image-remove: the image's record names it) begins with POOL_NAME NULL,
 * which takes the catalog lock alone, then again with the name.  One that
 * works on several pools in turn (shared-rootfs-recover) calls
 * srfs_pool_tx_end_pool between them, keeping the catalog lock.
 */
#pragma once

#include <stdbool.h>

#include "catalog.h"
#include "lock.h"
#include "macro.h"
#include "state.h"

struct srfs_pool_tx {
	struct srfs_lock catalog_lock;
	struct srfs_lock pool_lock;
	struct srfs_pool pool; /* its record, when KNOWN */
	bool known;            /* the pool is in the catalog */
	bool active;           /* its device exists (looked up with RECOVER or ACTIVE) */
};

#define SRFS_POOL_TX_INIT { .catalog_lock = SRFS_LOCK_INIT, .pool_lock = SRFS_LOCK_INIT }

enum {
	/* The pool must be active: else logged, -ENXIO. */
	SRFS_POOL_TX_ACTIVE = 1 << 0,
	/* When the pool is active, finish its interrupted transaction, if any. */
	SRFS_POOL_TX_RECOVER = 1 << 1,
	/* An unknown pool is -ENOENT, not logged, with both locks held (else "unknown pool"). */
	SRFS_POOL_TX_UNKNOWN_OK = 1 << 2,
};

/*
 * Begins a transaction with the pool POOL_NAME through the open state ST
 * (RUN and CATALOG), or with POOL_NAME NULL takes only the catalog lock.
 * The catalog lock is taken unless TX holds it already; TX must not hold a
 * pool.  Every failure but an unknown pool with SRFS_POOL_TX_UNKNOWN_OK is
 * logged; TX is ended by the caller either way.
 */
int srfs_pool_tx_begin(struct srfs_state *st, const char *pool_name, unsigned flags,
		       struct srfs_pool_tx *tx);
/* Releases the pool's lock and forgets its record; the catalog lock stays. */
void srfs_pool_tx_end_pool(struct srfs_pool_tx *tx);
/* Releases both locks. */
void srfs_pool_tx_end(struct srfs_pool_tx *tx);
#define _cleanup_pool_tx_ _cleanup_(srfs_pool_tx_end)
