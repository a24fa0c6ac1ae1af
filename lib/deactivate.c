/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-deactivate (apart from activation, which links libselinux). */
#include <fcntl.h>
#include <sys/mount.h>

#include "activate.h"
#include "crash.h"
#include "dm.h"
#include "image.h"
#include "lock.h"
#include "log.h"
#include "runtime.h"
#include "util.h"

int srfs_image_deactivate(const char *name, const struct srfs_deactivate_options *o)
{
	static const struct srfs_deactivate_options defaults = { 0 };
	if (!o)
		o = &defaults;
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_active_image_clear) struct srfs_active_image a = { 0 };
	char shares[512];
	unsigned n_shares;
	int r;

	r = srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CATALOG);
	if (r == -ENOENT) {
		log_info("image %s is not active", name);
		return 0;
	}
	if (r < 0)
		return r;
	r = srfs_lock_take(&lock, &st, SRFS_LOCK_IMAGE, name, false);
	if (r < 0)
		return r;
	r = srfs_active_image_load(&st, name, &a);
	if (r == -ENOENT) {
		_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
		if (srfs_image_load(st.catalog_fd, name, &img) == -ENOENT) {
			log_error("unknown image %s", name);
			return -ENOENT;
		}
		log_info("image %s is not active", name);
		return 0;
	}
	if (r < 0)
		return r;
	r = srfs_share_names(&st, name, &n_shares, shares, sizeof(shares));
	if (r < 0)
		return r;
	if (n_shares && o->if_unused)
		return 0;
	if (n_shares && !o->lazy) {
		log_error("image %s is shared by %u container%s: %s (release them first, or use "
			  "--lazy)",
			  name, n_shares, n_shares == 1 ? "" : "s", shares);
		return -EBUSY;
	}

	if (umount2(a.mount, UMOUNT_NOFOLLOW | (o->lazy ? MNT_DETACH : 0)) < 0 && errno != EINVAL &&
	    errno != ENOENT) {
		r = negative_errno();
		if (r == -EBUSY)
			log_error("image %s is busy: something uses its mount %s (use --lazy)", name,
				  a.mount);
		else
			log_errno(r, "cannot unmount image %s from %s", name, a.mount);
		return r;
	}
	srfs_crash_point("image-deactivate:unmount");
	if (a.dm_name[0]) {
		/* Still held by shares (--lazy): the kernel removes it when the last one goes. */
		bool deferred = o->lazy && n_shares > 0;
		r = srfs_dm_available(true) < 0 ? 0 : srfs_dm_remove(a.dm_name, deferred);
		if (r == -EBUSY && o->lazy)
			r = srfs_dm_remove(a.dm_name, true);
		if (r == -ENXIO || r == -ENODEV)
			r = 0; /* already gone */
		if (r == -EBUSY)
			log_error("device %s of image %s is busy (a mount of it outside shared-rootfs? "
				  "use --lazy)",
				  a.dm_name, name);
		else if (r < 0)
			log_errno(r, "cannot remove device %s", a.dm_name);
		if (r < 0)
			return r;
		/* A verity image's lower devices go with the verity target (when not gone yet). */
		if (srfs_dm_available(true) == 0)
			srfs_image_verity_devices_remove_deferred(name);
	}
	/* A loop device (autoclear) detaches by itself with the last mount of it. */
	r = srfs_active_image_forget(&st, name);
	if (r < 0)
		return r;
	int mnt = srfs_state_run_dir(&st, SRFS_RUN_MNT_DIR, false);
	if (mnt >= 0)
		unlinkat(mnt, name, AT_REMOVEDIR);
	if (n_shares)
		log_info("image %s deactivated; its %u share%s keep%s it until released", name,
			 n_shares, n_shares == 1 ? "" : "s", n_shares == 1 ? "s" : "");
	else
		log_verbose("image %s deactivated", name);
	return 0;
}
