/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "log.h"
#include "share-mode.h"
#include "util.h"

static const struct srfs_share_mode_ops *const modes[SRFS_SHARE_MODE_COUNT] = {
	[SRFS_SHARE_RO] = &srfs_share_mode_ro,
	[SRFS_SHARE_OVERLAY] = &srfs_share_mode_overlay,
	[SRFS_SHARE_SNAPSHOT] = &srfs_share_mode_snapshot,
};

const struct srfs_share_mode_ops *srfs_share_mode_ops(enum srfs_share_mode mode)
{
	return (unsigned)mode < SRFS_SHARE_MODE_COUNT ? modes[mode] : NULL;
}

const char *srfs_share_mode_name(enum srfs_share_mode mode)
{
	const struct srfs_share_mode_ops *ops = srfs_share_mode_ops(mode);
	return ops ? ops->name : NULL;
}

int srfs_share_mode_from_name(const char *name, enum srfs_share_mode *mode)
{
	for (unsigned i = 0; i < SRFS_SHARE_MODE_COUNT; i++)
		if (streq(modes[i]->name, name)) {
			*mode = (enum srfs_share_mode)i;
			return 0;
		}
	return -EINVAL;
}

const struct srfs_share_mode_ops *srfs_share_ops(const struct srfs_share *s)
{
	enum srfs_share_mode mode;
	if (srfs_share_mode_from_name(s->mode, &mode) == 0)
		return modes[mode];
	log_error("runtime record of share %s is corrupt: unknown mode '%s'", s->id, s->mode);
	return NULL;
}

int srfs_share_is_mount_of_dev(int dirfd, const char *name, const struct srfs_share *s)
{
	return srfs_is_mount_of(dirfd, name, s->dev);
}
