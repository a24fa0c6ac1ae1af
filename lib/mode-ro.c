/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode "ro": a read-only, nosuid, nodev bind of the image's one mount;
 * idmapped when the share has an id map.
 */
#include <limits.h>
#include <stdio.h>

#include "log.h"
#include "mountapi.h"
#include "share-mode.h"

static int ro_make_mount(struct srfs_share_op *op)
{
	_cleanup_close_ int mnt = srfs_mount_clone_read_only(op->active->mount, op->share->target);
	char what[PATH_MAX + 32];

	if (mnt < 0 || op->userns < 0)
		return TAKE_FD(mnt);
	snprintf(what, sizeof(what), "the share at %s", op->share->target);
	int r = srfs_mount_set_idmap(mnt, op->userns, op->active->fs, what);
	return r < 0 ? r : TAKE_FD(mnt);
}

static int ro_mount_classic(struct srfs_share_op *op)
{
	if (op->userns >= 0) {
		log_error("cannot idmap the share at %s: this kernel has no open_tree (Linux 5.12 "
			  "or later is needed)",
			  op->share->target);
		return -ENOSYS;
	}
	return srfs_mount_bind_read_only_classic(op->active->mount, op->target_fd,
						 op->share->target, &op->share->mount);
}

const struct srfs_share_mode_ops srfs_share_mode_ro = {
	.name = "ro",
	.make_mount = ro_make_mount,
	.mount_classic = ro_mount_classic,
	.is_mounted = srfs_share_is_mount_of_dev,
};
