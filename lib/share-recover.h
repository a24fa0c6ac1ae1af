/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shared-rootfs-recover's part for shares (lib/share-recover.c). */
#pragma once

#include "state.h"

enum {
	SRFS_RECOVER_KEPT = 0,     /* mounted as recorded: left alone */
	SRFS_RECOVER_CLEARED = 1,  /* not mounted: what was left of it removed */
	SRFS_RECOVER_HELPER = 2,   /* not mounted, and its mode's program must clear it */
};
/* Share ID: kept when its mount is there (its target index entry restored), else cleared. */
int srfs_share_recover(struct srfs_state *st, const char *id);
/*
 * Target index entries and default upper directories whose share is gone,
 * and idmapped lower layers that an interrupted share left.
 */
int srfs_share_recover_orphans(struct srfs_state *st);
