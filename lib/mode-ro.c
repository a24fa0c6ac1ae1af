/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mode "ro": a read-only, nosuid, nodev bind of the image's one mount. */
#include "mountapi.h"
#include "share-mode.h"

static int ro_make_mount(struct srfs_share_op *op)
{
	return srfs_mount_clone_read_only(op->active->mount, op->share->target);
}

static int ro_mount_classic(struct srfs_share_op *op)
{
	return srfs_mount_bind_read_only_classic(op->active->mount, op->target_fd,
						 op->share->target, &op->share->mount);
}

const struct srfs_share_mode_ops srfs_share_mode_ro = {
	.name = "ro",
	.make_mount = ro_make_mount,
	.mount_classic = ro_mount_classic,
	.is_mounted = srfs_share_is_mount_of_dev,
};
