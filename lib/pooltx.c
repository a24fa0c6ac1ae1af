/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "dm.h"
#include "log.h"
#include "pooltx.h"
#include "thinid.h"

/* Is the pool's device there?  Without device-mapper no pool is active. */
static int lookup_active(struct srfs_pool_tx *tx, unsigned flags)
{
	struct srfs_dm_info info;
	int r;

	if (flags & SRFS_POOL_TX_ACTIVE) {
		/* Logs "not active" with what to do about it. */
		r = srfs_thinid_pool_status(&tx->pool, &(struct srfs_thin_pool_status){ 0 });
		if (r < 0)
			return r;
		tx->active = true;
		return 0;
	}
	if (srfs_dm_available(true) < 0)
		return 0;
	r = srfs_dm_info(tx->pool.dm_name, &info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", tx->pool.dm_name);
	tx->active = info.exists;
	return 0;
}

int srfs_pool_tx_begin(struct srfs_state *st, const char *pool_name, unsigned flags,
		       struct srfs_pool_tx *tx)
{
	int r;

	if (tx->catalog_lock.fd < 0) {
		r = srfs_lock_take(&tx->catalog_lock, st, SRFS_LOCK_CATALOG, NULL, false);
		if (r < 0)
			return r;
	}
	if (!pool_name)
		return 0;
	r = srfs_lock_take(&tx->pool_lock, st, SRFS_LOCK_POOL, pool_name, false);
	if (r < 0)
		return r;
	r = srfs_pool_load(st->catalog_fd, pool_name, &tx->pool);
	if (r == -ENOENT && !(flags & SRFS_POOL_TX_UNKNOWN_OK))
		log_error("unknown pool %s", pool_name);
	if (r < 0)
		return r;
	tx->known = true;
	if (!(flags & (SRFS_POOL_TX_ACTIVE | SRFS_POOL_TX_RECOVER)))
		return 0;
	r = lookup_active(tx, flags);
	if (r < 0 || !tx->active || !(flags & SRFS_POOL_TX_RECOVER))
		return r;
	return srfs_thinid_recover(st, &tx->pool);
}

void srfs_pool_tx_end_pool(struct srfs_pool_tx *tx)
{
	srfs_lock_release(&tx->pool_lock);
	srfs_pool_clear(&tx->pool);
	tx->known = tx->active = false;
}

void srfs_pool_tx_end(struct srfs_pool_tx *tx)
{
	srfs_pool_tx_end_pool(tx);
	srfs_lock_release(&tx->catalog_lock);
}
