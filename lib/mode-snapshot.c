/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode "snapshot": writable, a thin snapshot device of the image per
 * container (the classic dm-rw).  It needs libdevmapper, so its own program
 * does it (lib/snapshot.c, run as libexec/shared-rootfs/rootfs-snapshot).
 */
#include "share-mode.h"

const struct srfs_share_mode_ops srfs_share_mode_snapshot = {
	.name = "snapshot",
	.helper = "rootfs-snapshot",
	/* A mounted block device's file system has the device's st_dev, which is recorded. */
	.is_mounted = srfs_share_is_mount_of_dev,
};
