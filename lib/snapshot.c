/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rootfs-share --mode snapshot: the classic way, a thin snapshot device per
 * container, mounted read-write at its target.  Its thin id goes through
 * the catalog's transactions like an image's (thinid.h) and is recorded in
 * <catalog>/snapshots/ID.  This links libdevmapper, so it runs in its own
 * helper program, not in rootfs-share.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "crash.h"
#include "dm.h"
#include "idmap.h"
#include "image.h"
#include "lock.h"
#include "log.h"
#include "mountapi.h"
#include "path.h"
#include "pooltx.h"
#include "share-mode.h"
#include "share.h"
#include "snapshot.h"
#include "thinid.h"
#include "util.h"

/*
 * Mounts the snapshot device DEVICE (file system FS) read-write at TARGET_FD,
 * idmapped with the user namespace USERNS unless it is -1.
 */
static int mount_snapshot(const char *device, const char *fs, int userns, int target_fd,
			  const char *target, struct srfs_mount_id *id)
{
	bool xfs = streq(fs, "xfs");
	/* The origin may be mounted too: XFS refuses a second file system with its UUID. */
	const char *keys[] = { "source", xfs ? "nouuid" : NULL, NULL };
	const char *values[] = { device, NULL, NULL };
	char what[PATH_MAX + 64];

	snprintf(what, sizeof(what), "snapshot %s at %s", device, target);
	int mnt = srfs_mount_new(xfs ? "xfs" : "ext4", keys, values, what);
	if (mnt < 0)
		return mnt;
	int r = userns < 0 ? 0 : srfs_mount_set_idmap(mnt, userns, fs, what);
	if (r < 0) {
		close(mnt);
		return r;
	}
	return srfs_mount_attach(mnt, target_fd, target, id);
}

/* Removes the device and deletes the thin id of container ID's snapshot (LAZY: deferred). */
static int drop_snapshot(struct srfs_state *st, const struct srfs_pool *pool,
			 struct srfs_image *snap, bool lazy)
{
	char dm_name[SRFS_DM_NAME_MAX + 1];
	struct srfs_dm_info info;
	int r = srfs_snapshot_dm_name(snap->name, dm_name, sizeof(dm_name));

	if (r == 0)
		r = srfs_dm_info(dm_name, &info);
	if (r == 0 && info.exists) {
		r = srfs_dm_remove(dm_name, false);
		if (r == -EBUSY && lazy) {
			/* Gone when its last user closes it; the id is deleted after that. */
			r = srfs_dm_remove(dm_name, true);
			if (r == 0) {
				snap->released = true;
				return srfs_image_save(st, snap);
			}
		}
		if (r == -EBUSY) {
			log_error("device %s of container %s is busy (use --lazy)", dm_name,
				  snap->name);
			return r;
		}
		if (r < 0)
			return log_errno(r, "cannot remove device %s", dm_name);
	}
	if (r < 0)
		return r;
	return srfs_thinid_delete(st, pool, snap);
}

/* One snapshot share being made: what its steps share. */
struct snap_share {
	const char *image, *id, *idmap;
	struct srfs_state st;
	struct srfs_pool_tx tx;
	struct srfs_lock image_lock, share_lock;
	struct srfs_image img;  /* the image */
	struct srfs_image snap; /* the container's snapshot */
	struct srfs_share s;    /* its share record */
	int target_fd;
	int userns; /* the id map's user namespace (x->s.idmap), or -1 */
	char dm_name[SRFS_DM_NAME_MAX + 1];
};

static void snap_share_clear(struct snap_share *x)
{
	closep(&x->target_fd);
	closep(&x->userns);
	srfs_share_clear(&x->s);
	srfs_image_clear(&x->snap);
	srfs_image_clear(&x->img);
	srfs_lock_release(&x->share_lock);
	srfs_lock_release(&x->image_lock);
	srfs_pool_tx_end(&x->tx);
	srfs_state_close(&x->st);
}

/* The target opened, the image a sealed pool image, its pool's transaction begun, locks held. */
static int snap_share_begin(struct snap_share *x, const char *target)
{
	int r = x->idmap ? srfs_idmap_userns(x->idmap, &x->userns, &x->s.idmap) : 0;
	if (r == 0)
		r = srfs_path_open_dir_checked("target", target, &x->target_fd, &x->s.target);
	if (r == 0)
		r = srfs_dm_available(false);
	if (r == 0)
		r = srfs_state_open(&x->st, SRFS_STATE_RUN | SRFS_STATE_CATALOG | SRFS_STATE_CREATE);
	if (r < 0)
		return r;
	r = srfs_image_load(x->st.catalog_fd, x->image, &x->img);
	if (r == -ENOENT)
		log_error("unknown image %s", x->image);
	if (r < 0)
		return r;
	if (x->img.kind != SRFS_IMAGE_POOL) {
		log_error("image %s is not in a thin pool: --mode snapshot needs one", x->image);
		return -EINVAL;
	}
	if (!x->img.sealed)
		return srfs_image_unsealed_error("image", x->image);
	r = srfs_pool_tx_begin(&x->st, x->img.pool, SRFS_POOL_TX_ACTIVE | SRFS_POOL_TX_RECOVER,
			       &x->tx);
	if (r == 0)
		r = srfs_lock_take(&x->image_lock, &x->st, SRFS_LOCK_IMAGE, x->image, true);
	if (r == 0)
		r = srfs_lock_take(&x->share_lock, &x->st, SRFS_LOCK_SHARE, x->id, false);
	return r;
}

/*
 * What an earlier share of this container left: 1 when it is this very share,
 * mounted; 0 when there is none (an interrupted one's snapshot is dropped, to
 * start afresh); -EEXIST (logged) when it is another share.
 */
static int snap_share_earlier(struct snap_share *x)
{
	_cleanup_(srfs_share_clear) struct srfs_share old = { 0 };
	const char *target = x->s.target;
	int r = srfs_share_load(&x->st, x->id, &old);

	if (r == 0) {
		if (!streq(old.target, target) || !streq(old.image, x->image) ||
		    !streq(old.mode, srfs_share_mode_snapshot.name)) {
			log_error("container %s already shares image %s at %s in mode %s", x->id,
				  old.image, old.target, old.mode);
			return -EEXIST;
		}
		if (srfs_share_check_idmap(&old, x->s.idmap) < 0)
			return -EEXIST;
		if (srfs_share_mode_snapshot.is_mounted(x->target_fd, "", &old) == 1) {
			log_verbose("container %s already has a snapshot of %s at %s", x->id,
				    x->image, target);
			return 1;
		}
	} else if (r != -ENOENT) {
		return r;
	}
	r = srfs_share_check_target(&x->st, x->target_fd, target, x->id, NULL);
	if (r < 0)
		return r;
	if (srfs_image_load_record(x->st.catalog_fd, x->id, SRFS_CLASS_SNAPSHOT, &x->snap) == 0)
		return drop_snapshot(&x->st, &x->tx.pool, &x->snap, false);
	return 0;
}

/* The snapshot: a thin id through the catalog's transaction. */
static int snap_share_make_snapshot(struct snap_share *x)
{
	struct srfs_image *snap = &x->snap;
	char origin_dm[SRFS_DM_NAME_MAX + 1];
	struct srfs_dm_info origin;

	int r = srfs_thinid_pool_usable(&x->tx.pool);
	if (r < 0)
		return r;
	srfs_image_clear(snap);
	*snap = (struct srfs_image){ .kind = SRFS_IMAGE_POOL, .cls = SRFS_CLASS_SNAPSHOT, .sealed = true,
				     .size = x->img.size, .created = (uint64_t)time(NULL) };
	snprintf(snap->name, sizeof(snap->name), "%s", x->id);
	snprintf(snap->pool, sizeof(snap->pool), "%s", x->img.pool);
	snprintf(snap->parent, sizeof(snap->parent), "%s", x->image);
	snprintf(snap->fs, sizeof(snap->fs), "%s", x->img.fs);
	r = srfs_image_dm_name(x->image, false, origin_dm, sizeof(origin_dm));
	if (r == 0)
		r = srfs_dm_info(origin_dm, &origin);
	if (r == 0)
		r = srfs_thinid_create(&x->st, &x->tx.pool, snap, &x->img.device_id,
				       origin.exists ? origin_dm : "");
	return r;
}

/* The snapshot's device (its record first), then its mount at the target. */
static int snap_share_mount(struct snap_share *x, bool *made_device)
{
	struct srfs_share *s = &x->s;
	struct srfs_dm_info pool_info;
	char params[64], device[32];
	dev_t devno;

	int r = srfs_dm_info(x->tx.pool.dm_name, &pool_info);
	if (r == 0)
		r = srfs_snapshot_dm_name(x->id, x->dm_name, sizeof(x->dm_name));
	if (r < 0)
		return r;
	snprintf(params, sizeof(params), "%u:%u %" PRIu64, major(pool_info.devno),
		 minor(pool_info.devno), x->snap.device_id);
	struct srfs_dm_target t = { .length = x->snap.size / 512, .type = "thin",
				    .params = params };
	r = srfs_dm_create(x->dm_name, &t, false, &devno);
	if (r < 0)
		return log_errno(r, "cannot create device %s", x->dm_name);
	*made_device = true;
	s->dev = devno; /* a mounted block device's file system has its st_dev */
	r = srfs_share_save(&x->st, s);
	if (r < 0)
		return r;
	srfs_crash_point("rootfs-share:device");
	snprintf(device, sizeof(device), "/dev/dm-%u", minor(devno));
	r = mount_snapshot(device, x->snap.fs, x->userns, x->target_fd, s->target, &s->mount);
	if (r < 0)
		return r;
	srfs_crash_point("rootfs-share:mount");
	/* The mount's id, by which release finds it wherever its path leads. */
	(void)srfs_share_save(&x->st, s); /* on failure (logged), release finds it by its path */
	return 0;
}

int srfs_snapshot_share(const char *image, const char *id, const char *target,
			const char *idmap, const char *bundle)
{
	_cleanup_(snap_share_clear) struct snap_share x = {
		.image = image, .id = id, .idmap = idmap, .st = SRFS_STATE_INIT,
		.tx = SRFS_POOL_TX_INIT, .image_lock = SRFS_LOCK_INIT,
		.share_lock = SRFS_LOCK_INIT, .target_fd = -1, .userns = -1,
	};
	char owner[SRFS_NAME_MAX + 1];
	bool made_device = false;

	if (bundle && !(x.s.bundle = strdup(bundle)))
		return log_errno(-ENOMEM, "cannot share image %s", image);
	int r = snap_share_begin(&x, target);
	if (r == 0)
		r = snap_share_earlier(&x);
	if (r != 0)
		return r < 0 ? r : 0;
	r = srfs_target_claim(&x.st, x.s.target, id, owner, sizeof(owner));
	if (r == -EEXIST && owner[0])
		log_error("target %s is already the target of container %s", x.s.target, owner);
	if (r < 0)
		return r;
	srfs_crash_point("rootfs-share:claim");
	r = snap_share_make_snapshot(&x);
	if (r < 0)
		goto fail;
	/* The share record, then the device and the mount. */
	snprintf(x.s.id, sizeof(x.s.id), "%s", id);
	snprintf(x.s.image, sizeof(x.s.image), "%s", image);
	snprintf(x.s.mode, sizeof(x.s.mode), "%s", srfs_share_mode_snapshot.name);
	x.s.since = (uint64_t)time(NULL);
	r = srfs_share_save(&x.st, &x.s);
	if (r < 0)
		goto fail_snapshot;
	srfs_crash_point("rootfs-share:record");
	r = snap_share_mount(&x, &made_device);
	if (r < 0)
		goto fail_record;
	log_verbose("container %s has snapshot %" PRIu64 " of image %s at %s%s%s", id,
		    x.snap.device_id, image, x.s.target, idmap ? ", idmap " : "",
		    idmap ? x.s.idmap : "");
	return 0;

fail_record:
	if (made_device)
		srfs_dm_remove(x.dm_name, false);
	srfs_share_forget(&x.st, id);
fail_snapshot:
	srfs_thinid_delete(&x.st, &x.tx.pool, &x.snap);
fail:
	srfs_target_unclaim(&x.st, x.s.target, id);
	return r;
}

int srfs_snapshot_release(const char *id, const struct srfs_release_options *o)
{
	static const struct srfs_release_options defaults = { 0 };
	if (!o)
		o = &defaults;
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_pool_tx_ struct srfs_pool_tx tx = SRFS_POOL_TX_INIT;
	_cleanup_lock_ struct srfs_lock share_lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_image_clear) struct srfs_image snap = { 0 };
	const struct srfs_pool *pool = &tx.pool;
	_cleanup_(srfs_share_clear) struct srfs_share s = { 0 };
	int r;

	r = srfs_dm_available(false);
	if (r == 0)
		r = srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CATALOG);
	if (r < 0)
		return r;
	r = srfs_image_load_record(st.catalog_fd, id, SRFS_CLASS_SNAPSHOT, &snap);
	if (r < 0 && r != -ENOENT)
		return r;
	/* No snapshot (a removal the recovery completed): only the share is left to clear. */
	r = r == 0 ? srfs_pool_tx_begin(&st, snap.pool, SRFS_POOL_TX_RECOVER, &tx) : 0;
	if (r == 0)
		r = srfs_lock_take(&share_lock, &st, SRFS_LOCK_SHARE, id, false);
	if (r < 0)
		return r;
	/* The recovery may have deleted it meanwhile (a released one). */
	r = srfs_image_load_record(st.catalog_fd, id, SRFS_CLASS_SNAPSHOT, &snap);
	if (r < 0 && r != -ENOENT)
		return r;
	bool have_snapshot = r == 0;
	if (have_snapshot && !tx.known) {
		log_error("container %s was shared again meanwhile: release it again", id);
		return -EAGAIN;
	}

	r = srfs_share_load(&st, id, &s);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT && !have_snapshot) {
		log_error("container %s has no snapshot in the catalog", id);
		return r;
	}
	if (r == 0 && o->if_unmounted) {
		int mounted = srfs_share_mounted(&s);
		if (mounted != 0)
			return mounted < 0 ? mounted : 0;
	}
	if (r == 0 && (r = srfs_share_unmount(&s, o->lazy)) < 0)
		return r;
	if (have_snapshot && !snap.released) {
		r = drop_snapshot(&st, pool, &snap, o->lazy);
		if (r < 0)
			return r;
	}
	if (s.target)
		srfs_target_unclaim(&st, s.target, id);
	r = srfs_share_forget(&st, id);
	if (r == 0)
		log_verbose("container %s released its snapshot", id);
	return r;
}
