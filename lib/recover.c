/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shared-rootfs-recover: brings the records, the mounts, the device-mapper
 * devices and the pools' thin ids back into agreement after crashes.
 *
 * Each part is done under the lock its own commands take (lock.h), so that
 * it can run while other commands work: whatever holds a lock either
 * finishes or dies before recover looks at what that lock guards.
 *
 *  1. pools     (catalog, pool)  an interrupted thin id transaction is
 *               finished; a pool device the catalog does not know (a
 *               thinpool-create that died before its record) is removed;
 *               the runtime record of a pool that is no longer active goes.
 *  2. images    (catalog, pool, image)  an image whose creation did not
 *               finish is removed, as image-remove would; the hash area of
 *               an image-verity that did not finish is deleted; then the
 *               layers (catalog, pool) whose import died or that no image
 *               needs.
 *  3. shares    (share)  a share whose mount is there is kept; any other is
 *               released: its record, target index entry, upper directory
 *               (one the caller chose is kept) and snapshot device and id.
 *     containers (container, share)  the runtime wrapper's: one whose create
 *               did not finish (its lock free, its record "creating") is
 *               undone: its share released, its config.json put back; the
 *               record of one whose share is gone is removed.
 *  4. mounts    (image)  an active image whose mount is gone is deactivated;
 *               a mount of an image with no record (a crash before the
 *               record) is unmounted; image and build devices that no record
 *               explains are removed, and a verity image's lower devices with
 *               them.
 *
 * Loop devices are all autoclear: they go with their last user, so none can
 * be left behind by a crash.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "dm.h"
#include "image.h"
#include "lock.h"
#include "log.h"
#include "pool.h"
#include "pooltx.h"
#include "recover.h"
#include "record.h"
#include "share-recover.h"
#include "snapshot.h"
#include "thinid.h"
#include "util.h"
#include "wrapper-record.h"

#define DM_IMG_PREFIX "srfs-img:"
#define DM_BUILD_PREFIX "srfs-build:"
#define DM_SNAP_PREFIX "srfs-snap:"
#define DM_POOL_PREFIX "srfs-"

/* The dm devices of shared-rootfs, by name, collected before anything changes. */
struct dm_names {
	char **names;
	size_t n;
};

static int collect_dm(const char *name, dev_t devno, void *userdata)
{
	struct dm_names *l = userdata;
	(void)devno;
	if (strncmp(name, DM_POOL_PREFIX, strlen(DM_POOL_PREFIX)) != 0)
		return 0;
	char **names = realloc(l->names, (l->n + 2) * sizeof(*names));
	if (!names)
		return -ENOMEM;
	l->names = names;
	if (!(names[l->n] = strdup(name)))
		return -ENOMEM;
	names[++l->n] = NULL;
	return 0;
}

static void dm_names_free(struct dm_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	*l = (struct dm_names){ 0 };
}

static int list_dm(struct dm_names *l)
{
	int r = srfs_dm_for_each(collect_dm, l);
	return r < 0 ? log_errno(r, "cannot list device-mapper devices") : 0;
}

/* The part of NAME after PREFIX when it starts with it and names something valid, else NULL. */
static const char *dm_suffix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(name, prefix, n) != 0 || srfs_name_check(name + n, NULL) < 0)
		return NULL;
	return name + n;
}

static bool dm_exists(const char *name)
{
	struct srfs_dm_info info;
	return srfs_dm_info(name, &info) == 0 && info.exists;
}

/* Removes dm device NAME; one still open goes when its last user closes it. */
static int remove_dm(const char *name, const char *why)
{
	int r = srfs_dm_remove(name, true);
	if (r == -ENXIO || r == -ENODEV)
		return 0;
	if (r < 0)
		return log_errno(r, "cannot remove device %s", name);
	log_info("removed device %s: %s", name, why);
	return 0;
}

static bool in_catalog(int catalog_fd, const char *dir, const char *name)
{
	struct stat s;
	_cleanup_close_ int fd = catalog_fd < 0 ? -1
						: openat(catalog_fd, dir, O_RDONLY | O_DIRECTORY |
										  O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 && fstatat(fd, name, &s, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- 1. pools --------------------------------------------------------------------- */

static int recover_pools(struct srfs_state *st, const struct dm_names *dm)
{
	_cleanup_pool_tx_ struct srfs_pool_tx tx = SRFS_POOL_TX_INIT;
	char **pools = NULL;
	int ret = 0, r;

	r = srfs_pool_tx_begin(st, NULL, 0, &tx);
	if (r < 0)
		return r;
	r = srfs_state_list(st->catalog_fd, SRFS_POOLS_DIR, &pools);
	if (r < 0)
		return r;
	for (char **p = pools; *p; p++) {
		r = srfs_pool_tx_begin(st, *p, SRFS_POOL_TX_RECOVER, &tx);
		if (r == 0 && tx.active)
			r = srfs_pool_restore_runtime(st, &tx.pool);
		srfs_pool_tx_end_pool(&tx);
		if (r < 0)
			ret = r;
	}
	srfs_names_free(pools);

	/* A pool device with no catalog record: thinpool-create died before writing it. */
	for (size_t i = 0; i < dm->n; i++) {
		const char *name = dm_suffix(dm->names[i], DM_POOL_PREFIX);
		char type[32];
		if (!name || strchr(name, ':') || in_catalog(st->catalog_fd, SRFS_POOLS_DIR, name))
			continue;
		if (srfs_dm_get_target(dm->names[i], false, type, sizeof(type), NULL, 0, NULL) < 0 ||
		    !streq(type, "thin-pool"))
			continue;
		_cleanup_lock_ struct srfs_lock pool_lock = SRFS_LOCK_INIT;
		r = srfs_lock_take(&pool_lock, st, SRFS_LOCK_POOL, name, false);
		if (r == 0) {
			r = srfs_dm_remove(dm->names[i], false);
			if (r == 0)
				log_info("removed device %s: pool %s is not in the catalog (its "
					 "metadata is kept; thinpool-create adopts it)",
					 dm->names[i], name);
			else if (r == -EBUSY)
				log_error("device %s of pool %s is not in the catalog but is in use",
					  dm->names[i], name);
			else
				log_errno(r, "cannot remove device %s", dm->names[i]);
		}
		if (r < 0)
			ret = r;
	}

	/* The runtime record of a pool that is no longer active. */
	int run_pools = srfs_state_run_dir(st, SRFS_POOLS_DIR, false);
	if (run_pools < 0)
		return ret;
	r = srfs_state_list(st->run_fd, SRFS_POOLS_DIR, &pools);
	if (r < 0)
		return r;
	for (char **p = pools; *p; p++) {
		char dm_name[SRFS_DM_NAME_MAX + 1];
		if (srfs_pool_dm_name(*p, dm_name, sizeof(dm_name)) < 0 ||
		    dm_exists(dm_name))
			continue;
		if (srfs_record_remove(run_pools, *p, 0) == 0)
			log_info("removed the runtime record of pool %s: it is not active", *p);
	}
	srfs_names_free(pools);
	return ret;
}

/* ---- 2. images whose creation did not finish ---------------------------------------- */

static int recover_unsealed(struct srfs_state *st)
{
	char **names = NULL;
	int ret = 0;
	int r = srfs_state_list(st->catalog_fd, SRFS_IMAGES_DIR, &names);
	if (r < 0)
		return r;
	for (char **n = names; *n; n++) {
		_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
		_cleanup_(srfs_pool_clear) struct srfs_pool pool = { 0 };
		if (srfs_image_load(st->catalog_fd, *n, &img) < 0 || img.sealed)
			continue;
		if (img.kind == SRFS_IMAGE_POOL &&
		    (srfs_pool_load(st->catalog_fd, img.pool, &pool) < 0 || !dm_exists(pool.dm_name))) {
			log_info("image %s is unfinished, but its pool %s is not active: activate the "
				 "pool and run shared-rootfs-recover again",
				 *n, img.pool);
			continue;
		}
		r = srfs_image_remove(*n, SRFS_IMAGE_REMOVE_UNSEALED);
		if (r < 0)
			ret = r;
	}
	srfs_names_free(names);
	return ret;
}

/*
 * Layers whose import died, and layers no image needs any more, in every
 * active pool.  A pass of its own, after recover_unsealed: an unfinished
 * image still counts as a user of its top layer until that has removed it.
 */
static int recover_layers(struct srfs_state *st)
{
	_cleanup_pool_tx_ struct srfs_pool_tx tx = SRFS_POOL_TX_INIT;
	char **pools = NULL;
	int ret = 0, r;

	r = srfs_pool_tx_begin(st, NULL, 0, &tx);
	if (r == 0)
		r = srfs_state_list(st->catalog_fd, SRFS_POOLS_DIR, &pools);
	if (r < 0)
		return r;
	for (char **p = pools; *p; p++) {
		r = srfs_pool_tx_begin(st, *p, SRFS_POOL_TX_RECOVER, &tx);
		if (r == 0 && tx.active)
			r = srfs_layers_prune(st, &tx);
		srfs_pool_tx_end_pool(&tx);
		if (r < 0)
			ret = r;
	}
	srfs_names_free(pools);
	return ret;
}

/* The hash area of an image-verity that did not finish: the image is as it was before. */
static int recover_verity(struct srfs_state *st)
{
	_cleanup_pool_tx_ struct srfs_pool_tx tx = SRFS_POOL_TX_INIT;
	char **names = NULL;
	int ret = 0;
	int r = srfs_pool_tx_begin(st, NULL, 0, &tx);
	if (r == 0)
		r = srfs_state_list(st->catalog_fd, SRFS_IMAGES_DIR, &names);
	if (r < 0)
		return r;
	for (char **n = names; *n; n++) {
		_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
		_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
		if (srfs_image_load(st->catalog_fd, *n, &img) < 0 || !img.sealed ||
		    !img.verity_device || img.verity)
			continue;
		r = srfs_pool_tx_begin(st, img.pool, SRFS_POOL_TX_RECOVER | SRFS_POOL_TX_UNKNOWN_OK,
				       &tx);
		if (r == 0 && !tx.active)
			log_info("image %s has an unfinished hash tree, but its pool %s is not "
				 "active: activate the pool and run shared-rootfs-recover again",
				 *n, img.pool);
		else if (r == 0)
			r = srfs_lock_take(&lock, st, SRFS_LOCK_IMAGE, *n, false);
		/* (Loaded again under the locks: the pool's recovery may have finished it.) */
		if (r == 0 && tx.active && srfs_image_load(st->catalog_fd, *n, &img) == 0)
			r = srfs_image_verity_clear(st, &tx.pool, &img);
		srfs_lock_release(&lock);
		srfs_pool_tx_end_pool(&tx);
		if (r < 0 && r != -ENOENT)
			ret = r;
	}
	srfs_names_free(names);
	return ret;
}

/* ---- 3. shares -------------------------------------------------------------------- */

static int release_snapshot(const char *id, bool have_dm)
{
	struct srfs_release_options o = { .if_unmounted = true };
	if (!have_dm) {
		log_error("container %s has a snapshot share, but device-mapper is not available", id);
		return -ENXIO;
	}
	int r = srfs_snapshot_release(id, &o);
	if (r == 0)
		log_info("container %s: its snapshot share was not mounted; released", id);
	return r;
}

static int recover_shares(struct srfs_state *st, bool have_dm)
{
	char **ids = NULL;
	int ret = 0;
	int r = srfs_state_list(st->run_fd, SRFS_SHARES_DIR, &ids);
	if (r < 0)
		return r;
	for (char **id = ids; *id; id++) {
		r = srfs_share_recover(st, *id);
		if (r == SRFS_RECOVER_HELPER)
			r = release_snapshot(*id, have_dm);
		if (r < 0)
			ret = r;
	}
	srfs_names_free(ids);

	/* Container snapshots in the catalog that no share record explains. */
	if (st->catalog_fd >= 0 && have_dm) {
		r = srfs_state_list(st->catalog_fd, SRFS_SNAPSHOTS_DIR, &ids);
		if (r < 0)
			return r;
		for (char **id = ids; *id; id++) {
			_cleanup_(srfs_image_clear) struct srfs_image snap = { 0 };
			_cleanup_(srfs_share_clear) struct srfs_share s = { 0 };
			if (srfs_share_load(st, *id, &s) != -ENOENT ||
			    srfs_image_load_record(st->catalog_fd, *id, SRFS_CLASS_SNAPSHOT, &snap) < 0 ||
			    snap.released)
				continue;
			r = release_snapshot(*id, have_dm);
			if (r < 0)
				ret = r;
		}
		srfs_names_free(ids);
	}
	r = srfs_share_recover_orphans(st);
	return r < 0 ? r : ret;
}

/* ---- 4. image mounts and devices ------------------------------------------------------ */

/* Is <rundir>/mnt/NAME mounted?  Its st_dev into DEV.  1, 0 or -errno. */
static int image_mounted(int mnt_dir, const char *name, dev_t *dev)
{
	struct stat s;
	_cleanup_close_ int fd = openat(mnt_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
							       O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : negative_errno();
	int r = srfs_is_mount_root(fd);
	if (r == 1 && fstat(fd, &s) == 0)
		*dev = s.st_dev;
	return r;
}

static int recover_image(struct srfs_state *st, int mnt_dir, const char *name,
			 bool have_dm)
{
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_active_image_clear) struct srfs_active_image a = { 0 };
	_cleanup_free_ char *path = srfs_path_join(st->run_path, SRFS_RUN_MNT_DIR);
	_cleanup_free_ char *mount = path ? srfs_path_join(path, name) : NULL;
	char dm_name[SRFS_DM_NAME_MAX + 1];
	dev_t dev = 0;

	if (!mount || srfs_image_dm_name(name, false, dm_name, sizeof(dm_name)) < 0)
		return log_errno(-ENOMEM, "cannot recover image %s", name);
	int r = srfs_lock_take(&lock, st, SRFS_LOCK_IMAGE, name, false);
	if (r < 0)
		return r;
	int recorded = srfs_active_image_load(st, name, &a);
	if (recorded < 0 && recorded != -ENOENT)
		return recorded;
	int mounted = mnt_dir < 0 ? 0 : image_mounted(mnt_dir, name, &dev);
	if (mounted < 0)
		return log_errno(mounted, "cannot inspect %s", mount);

	if (recorded == 0 && mounted) {
		if (dev == a.dev)
			return 0; /* active, as recorded */
		log_error("image %s: %s is a mount of another file system than recorded; left alone",
			  name, mount);
		return -EEXIST;
	}
	if (recorded == 0) {
		/* Its mount is gone (a deactivation that did not finish): finish it. */
		if (a.dm_name[0] && have_dm &&
		    (r = remove_dm(a.dm_name, "its image's mount is gone")) < 0)
			return r;
		r = srfs_active_image_forget(st, name);
		if (r < 0)
			return r;
		log_info("image %s: its mount %s was gone; deactivated", name, mount);
	} else {
		if (mounted) {
			/* Mounted but never recorded: no share can use it yet. */
			if (umount2(mount, UMOUNT_NOFOLLOW) < 0 &&
			    (errno != EBUSY || umount2(mount, UMOUNT_NOFOLLOW | MNT_DETACH) < 0))
				return log_errno(negative_errno(), "cannot unmount %s", mount);
			log_info("image %s: unmounted %s, which an activation left unrecorded",
				 name, mount);
		}
		if (have_dm && dm_exists(dm_name) &&
		    (r = remove_dm(dm_name, "its image is not active")) < 0)
			return r;
	}
	/* A verity image's lower devices: they go with its verity target (now, if it is gone). */
	for (int hash = 0; have_dm && hash < 2; hash++) {
		char lower[SRFS_DM_NAME_MAX + 1];
		struct srfs_dm_info info;
		if (srfs_verity_dm_name(name, hash, lower, sizeof(lower)) < 0 ||
		    srfs_dm_info(lower, &info) < 0 || !info.exists || info.deferred_remove)
			continue;
		if ((r = remove_dm(lower, "its image is not active")) < 0)
			return r;
	}
	if (mnt_dir >= 0)
		unlinkat(mnt_dir, name, AT_REMOVEDIR);
	return 0;
}

/* The names of images with a runtime record, a mount directory or a device, once each. */
static int image_names(struct srfs_state *st, const struct dm_names *dm, char ***out)
{
	char **a = NULL, **b = NULL;
	int r = srfs_state_list(st->run_fd, SRFS_RUN_IMAGES_DIR, &a);
	if (r == 0)
		r = srfs_state_list(st->run_fd, SRFS_RUN_MNT_DIR, &b);
	size_t n = 0, na = 0, nb = 0;
	while (a && a[na])
		na++;
	while (b && b[nb])
		nb++;
	char **all = r < 0 ? NULL : calloc(na + nb + dm->n + 1, sizeof(*all));
	if (!all) {
		srfs_names_free(a);
		srfs_names_free(b);
		return r < 0 ? r : log_errno(-ENOMEM, "cannot list images");
	}
	for (size_t i = 0; i < na + nb + dm->n; i++) {
		const char *dm_name = i < na + nb ? NULL : dm->names[i - na - nb];
		const char *name = i < na ? a[i] : i < na + nb ? b[i - na]
							     : dm_suffix(dm_name, DM_IMG_PREFIX);
		if (!name && dm_name && !(name = dm_suffix(dm_name, SRFS_VERITY_DM_DATA_PREFIX)))
			name = dm_suffix(dm_name, SRFS_VERITY_DM_HASH_PREFIX);
		bool seen = !name;
		for (size_t j = 0; !seen && j < n; j++)
			seen = streq(all[j], name);
		if (!seen && !(all[n++] = strdup(name)))
			r = -ENOMEM;
	}
	srfs_names_free(a);
	srfs_names_free(b);
	*out = all;
	return r < 0 ? log_errno(r, "cannot list images") : 0;
}

static int recover_mounts(struct srfs_state *st, const struct dm_names *dm, bool have_dm)
{
	int mnt_dir = srfs_state_run_dir(st, SRFS_RUN_MNT_DIR, false);
	char **names = NULL;
	int ret = 0, r;

	if (mnt_dir < 0 && mnt_dir != -ENOENT)
		return mnt_dir;
	r = image_names(st, dm, &names);
	if (r < 0)
		return r;
	for (char **n = names; *n; n++)
		if ((r = recover_image(st, mnt_dir, *n, have_dm)) < 0)
			ret = r;
	srfs_names_free(names);

	/* Build devices of images that are not being built (image-create holds the image lock). */
	for (size_t i = 0; have_dm && i < dm->n; i++) {
		_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
		const char *name = dm_suffix(dm->names[i], DM_BUILD_PREFIX);
		/*
		 * A layer's (its record is written before its device is made): an
		 * import holds the catalog lock, not an image lock, while it builds
		 * one; recover_layers removes what a dead import left.
		 */
		if (!name || (st->catalog_fd >= 0 && in_catalog(st->catalog_fd, SRFS_LAYERS_DIR, name)))
			continue;
		r = srfs_lock_take(&lock, st, SRFS_LOCK_IMAGE, name, false);
		if (r == 0 && dm_exists(dm->names[i]))
			r = remove_dm(dm->names[i], "no image-create is building it");
		if (r < 0)
			ret = r;
	}
	/* Snapshot devices of containers that have no snapshot left. */
	for (size_t i = 0; have_dm && i < dm->n; i++) {
		_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
		const char *id = dm_suffix(dm->names[i], DM_SNAP_PREFIX);
		if (!id)
			continue;
		r = srfs_lock_take(&lock, st, SRFS_LOCK_SHARE, id, false);
		if (r == 0 && !in_catalog(st->catalog_fd, SRFS_SNAPSHOTS_DIR, id) &&
		    dm_exists(dm->names[i]))
			r = remove_dm(dm->names[i], "its container has no snapshot");
		if (r < 0)
			ret = r;
	}
	return ret;
}

static bool dir_is_empty(int fd)
{
	DIR *d = fdopendir(dup(fd));
	struct dirent *e;
	bool empty = true;
	while (d && empty && (e = readdir(d)))
		empty = streq(e->d_name, ".") || streq(e->d_name, "..");
	if (d)
		closedir(d);
	return d && empty;
}

int srfs_recover(void)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	struct dm_names dm = { 0 };
	int ret = 0, r;

	/* Nothing was ever run, or the machine was restarted: nothing to do, nothing made. */
	r = srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CATALOG);
	if (r == -ENOENT) {
		srfs_state_close(&st);
		r = srfs_state_open(&st, SRFS_STATE_RUN);
	}
	if (r == -ENOENT) {
		log_verbose("nothing to recover: there is no runtime directory");
		return 0;
	}
	if (r < 0)
		return r;
	bool have_dm = srfs_dm_available(true) == 0;
	if (have_dm && (r = list_dm(&dm)) < 0)
		return r;
	/* After a reboot: an empty runtime directory and no device; not even a lock file is made. */
	if (dm.n == 0 && dir_is_empty(st.run_fd)) {
		log_verbose("nothing to recover: nothing is active");
		return 0;
	}

	if (st.catalog_fd >= 0) {
		if (have_dm && (r = recover_pools(&st, &dm)) < 0)
			ret = r;
		if ((r = recover_unsealed(&st)) < 0)
			ret = r;
		if (have_dm && (r = recover_verity(&st)) < 0)
			ret = r;
		if (have_dm && (r = recover_layers(&st)) < 0)
			ret = r;
	}
	if ((r = recover_shares(&st, have_dm)) < 0)
		ret = r;
	if ((r = srfs_container_recover(&st)) < 0)
		ret = r;
	if ((r = recover_mounts(&st, &dm, have_dm)) < 0)
		ret = r;
	dm_names_free(&dm);
	return ret;
}
