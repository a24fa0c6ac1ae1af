/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dm.h"
#include "image.h"
#include "lock.h"
#include "log.h"
#include "pooltx.h"
#include "runtime.h"
#include "thinid.h"
#include "util.h"
#include "veritytab.h"

/* Removes the writable device (if there is one); -EBUSY when something holds it. */
int srfs_image_build_device_remove(const char *build_dm)
{
	struct srfs_dm_info info;
	int r = srfs_dm_info(build_dm, &info);
	if (r == 0 && !info.exists)
		return 0;
	if (r == 0)
		r = srfs_dm_remove(build_dm, false);
	if (r == -EBUSY)
		log_error("device %s is busy: something still holds the image being built", build_dm);
	else if (r < 0)
		log_errno(r, "cannot remove device %s", build_dm);
	return r;
}

/* Removes device NAME if it exists (-EBUSY, logged, when something holds it). */
static int remove_device(const char *name, const char *image)
{
	struct srfs_dm_info info;
	int r = srfs_dm_info(name, &info);
	if (r == 0 && !info.exists)
		return 0;
	if (r == 0)
		r = srfs_dm_remove(name, false);
	if (r == -ENXIO || r == -ENODEV)
		return 0;
	if (r == -EBUSY)
		log_error("device %s of image %s is busy", name, image);
	else if (r < 0)
		log_errno(r, "cannot remove device %s", name);
	return r;
}

int srfs_image_verity_devices_remove(const char *name)
{
	char dm_name[SRFS_DM_NAME_MAX + 1];
	int r = 0;
	for (int hash = 0; r == 0 && hash < 2; hash++) {
		r = srfs_verity_dm_name(name, hash, dm_name, sizeof(dm_name));
		if (r == 0)
			r = remove_device(dm_name, name);
	}
	return r;
}

void srfs_image_verity_devices_remove_deferred(const char *name)
{
	char dm_name[SRFS_DM_NAME_MAX + 1];
	for (int hash = 0; hash < 2; hash++)
		if (srfs_verity_dm_name(name, hash, dm_name, sizeof(dm_name)) == 0)
			srfs_dm_remove(dm_name, true);
}

int srfs_image_verity_clear(struct srfs_state *st, const struct srfs_pool *pool,
			    struct srfs_image *img)
{
	if (!img->verity_device || img->verity)
		return 0;
	int r = srfs_image_verity_devices_remove(img->name);
	if (r == 0)
		r = srfs_thinid_delete_hash(st, pool, img);
	if (r == 0)
		log_info("removed the hash tree an interrupted image-verity of %s left", img->name);
	return r;
}

int srfs_image_unsealed_error(const char *what, const char *name)
{
	log_error("%s %s is not sealed: its creation did not finish (shared-rootfs-recover or "
		  "image-remove %s clears what is left)",
		  what, name, name);
	return -EINVAL;
}

/* ---- image-remove ---------------------------------------------------------------- */

/*
 * The record of image NAME, with the catalog lock held in TX.  When there is
 * none, a creation of NAME interrupted before its record may still be open
 * in some pool: that pool's transaction is begun in TX, which finishes it.
 * 0 and IMG; 1 when nothing of NAME is left; -ENOENT (logged) when there was
 * never anything.
 */
static int load_or_recover(struct srfs_state *st, const char *name, struct srfs_pool_tx *tx,
			   struct srfs_image *img)
{
	char pending[SRFS_NAME_MAX + 1];
	int r = srfs_image_load(st->catalog_fd, name, img);
	if (r != -ENOENT)
		return r;
	r = srfs_thinid_pending(st, name, pending, sizeof(pending));
	if (r == 0) {
		log_error("unknown image %s", name);
		return -ENOENT;
	}
	if (r > 0)
		r = srfs_pool_tx_begin(st, pending,
				       SRFS_POOL_TX_ACTIVE | SRFS_POOL_TX_RECOVER |
					       SRFS_POOL_TX_UNKNOWN_OK,
				       tx);
	if (r == 0)
		r = srfs_image_load(st->catalog_fd, name, img);
	return r == -ENOENT ? 1 : r;
}

/*
 * The transaction with the pool of NAME, the pool image IMG, in TX:
 * recovered when the pool is active, and IMG loaded again (1: the recovery
 * finished its removal).  A pool that is unknown or inactive is left to the
 * caller.
 */
static int begin_image_pool(struct srfs_state *st, const char *name, struct srfs_pool_tx *tx,
			    struct srfs_image *img)
{
	int r;

	if (tx->known && streq(tx->pool.name, img->pool))
		return 0; /* load_or_recover began it */
	srfs_pool_tx_end_pool(tx);
	r = srfs_pool_tx_begin(st, img->pool, SRFS_POOL_TX_RECOVER | SRFS_POOL_TX_UNKNOWN_OK, tx);
	if (r == -ENOENT)
		return 0;
	if (r < 0 || !tx->active)
		return r;
	/* (Not img->name: loading clears IMG first.) */
	r = srfs_image_load(st->catalog_fd, name, img);
	return r == -ENOENT ? 1 : r; /* the recovery said what it did */
}

/* Refuses an image that is shared or active. */
static int check_unused(struct srfs_state *st, const char *name)
{
	_cleanup_(srfs_active_image_clear) struct srfs_active_image active = { 0 };
	char shares[512];
	unsigned n_shares;
	int r;

	r = srfs_share_names(st, name, &n_shares, shares, sizeof(shares));
	if (r < 0)
		return r;
	if (n_shares) {
		log_error("image %s is shared by %u container%s: %s (release them first)", name,
			  n_shares, n_shares == 1 ? "" : "s", shares);
		return -EBUSY;
	}
	r = srfs_active_image_load(st, name, &active);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0) {
		log_error("image %s is active (deactivate it first: image-deactivate %s)", name, name);
		return -EBUSY;
	}
	return 0;
}

/* Deletes the thin device of the pool image IMG and its record; FORCE: forgets it when the pool cannot. */
static int remove_from_pool(struct srfs_state *st, const struct srfs_pool_tx *tx,
			    const struct srfs_image *img, bool force)
{
	const char *unreachable = NULL;
	int r;

	/* The pool must be active to delete the thin device, unless --force. */
	if (!tx->known)
		unreachable = "is not in the catalog";
	else if (srfs_dm_available(true) < 0)
		unreachable = "cannot be reached (device-mapper is not available)";
	else if (!tx->active)
		unreachable = "is not active";
	if (unreachable && !force) {
		log_error("pool %s of image %s %s: activate it, or use --force to forget the image "
			  "without deleting its thin device",
			  img->pool, img->name, unreachable);
		return -ENXIO;
	}
	if (unreachable) {
		r = srfs_image_forget(st, img->name, SRFS_CLASS_IMAGE);
		if (r == 0)
			log_info("image %s forgotten (--force): pool %s %s, so its thin device %" PRIu64
				 " was not deleted",
				 img->name, img->pool, unreachable, img->device_id);
		return r;
	}
	if (!img->sealed) {
		char build_dm[SRFS_DM_NAME_MAX + 1];
		r = srfs_image_dm_name(img->name, true, build_dm, sizeof(build_dm));
		if (r == 0)
			r = srfs_image_build_device_remove(build_dm);
		if (r < 0)
			return r;
	}
	/* What a hash tree's build left (the image is not active: its devices are not in use). */
	if (img->verity_device && (r = srfs_image_verity_devices_remove(img->name)) < 0)
		return r;
	r = srfs_thinid_delete(st, &tx->pool, img);
	if (r < 0)
		return r;
	log_info("image %s removed from pool %s (thin device %" PRIu64 ")", img->name, img->pool,
		 img->device_id);
	return 0;
}

/* ---- layers ------------------------------------------------------------------------ */

/* Counts what uses layer KEY: images whose top layer it is, and layers right above it. */
static int layer_users(int catalog_fd, const char *key, unsigned *users)
{
	static const enum srfs_image_class classes[] = { SRFS_CLASS_IMAGE, SRFS_CLASS_LAYER };

	*users = 0;
	for (size_t c = 0; c < ARRAY_SIZE(classes); c++) {
		char **names;
		int r = srfs_state_list(catalog_fd, srfs_image_class_dir(classes[c]), &names);
		if (r < 0)
			return log_errno(r, "cannot read the catalog");
		for (char **n = names; *n; n++) {
			_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
			if (srfs_image_load_record(catalog_fd, *n, classes[c], &img) < 0)
				continue;
			if (classes[c] == SRFS_CLASS_IMAGE ? streq(img.layer, key)
							   : streq(img.parent, key))
				(*users)++;
		}
		srfs_names_free(names);
	}
	return 0;
}

int srfs_layer_report(const char *pool,
		      int (*fn)(const struct srfs_image *layer, unsigned users, void *userdata),
		      void *userdata)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	char **names = NULL;
	int r;

	r = srfs_state_open(&st, SRFS_STATE_CATALOG);
	if (r == -ENOENT && !pool)
		return 0;
	if (pool && (r == 0 || r == -ENOENT)) {
		_cleanup_(srfs_pool_clear) struct srfs_pool p = { 0 };
		if (r == 0)
			r = srfs_pool_load(st.catalog_fd, pool, &p);
		if (r == -ENOENT)
			log_error("unknown pool %s", pool);
		if (r < 0)
			return r;
	}
	if (r == 0)
		r = srfs_state_list(st.catalog_fd, SRFS_LAYERS_DIR, &names);
	if (r < 0)
		return log_errno(r, "cannot read the layers in the catalog");
	for (char **n = names; r == 0 && *n; n++) {
		_cleanup_(srfs_image_clear) struct srfs_image layer = { 0 };
		unsigned users;
		int q = srfs_image_load_record(st.catalog_fd, *n, SRFS_CLASS_LAYER, &layer);
		if (q == -ENOENT)
			continue;
		if (q < 0) {
			r = q;
			break;
		}
		if (pool && !streq(layer.pool, pool))
			continue;
		r = layer_users(st.catalog_fd, *n, &users);
		if (r == 0)
			r = fn(&layer, users, userdata);
	}
	srfs_names_free(names);
	return r;
}

int srfs_layer_drop_unused(struct srfs_state *st, const struct srfs_pool_tx *tx, const char *key)
{
	char next[SRFS_NAME_MAX + 1];
	int r = 0;

	snprintf(next, sizeof(next), "%s", key);
	/* Down the chain: deleting a layer can leave the one below it unused. */
	while (r == 0 && next[0]) {
		_cleanup_(srfs_image_clear) struct srfs_image layer = { 0 };
		char build_dm[SRFS_DM_NAME_MAX + 1];
		unsigned users = 0;
		r = srfs_image_load_record(st->catalog_fd, next, SRFS_CLASS_LAYER, &layer);
		if (r == -ENOENT || (r == 0 && !streq(layer.pool, tx->pool.name)))
			return 0;
		if (r == 0 && layer.sealed) {
			r = layer_users(st->catalog_fd, next, &users);
			if (r < 0 || users > 0)
				return r;
		} else if (r == 0) {
			/* Its import died (an import holds the catalog lock while it works). */
			r = srfs_image_dm_name(next, true, build_dm, sizeof(build_dm));
			if (r == 0)
				r = srfs_image_build_device_remove(build_dm);
		}
		if (r == 0)
			r = srfs_thinid_delete(st, &tx->pool, &layer);
		if (r == 0)
			log_verbose("deleted %s layer %s (thin device %" PRIu64 ")",
				    layer.sealed ? "unused" : "unfinished", layer.chain_id, layer.device_id);
		snprintf(next, sizeof(next), "%s", layer.parent);
	}
	return r;
}

int srfs_layers_prune(struct srfs_state *st, const struct srfs_pool_tx *tx)
{
	char **names;
	int r = srfs_state_list(st->catalog_fd, SRFS_LAYERS_DIR, &names);
	if (r < 0)
		return log_errno(r, "cannot read the layers in the catalog");
	for (char **n = names; r == 0 && *n; n++)
		r = srfs_layer_drop_unused(st, tx, *n);
	srfs_names_free(names);
	return r;
}

int srfs_image_remove(const char *name, unsigned flags)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_pool_tx_ struct srfs_pool_tx tx = SRFS_POOL_TX_INIT;
	_cleanup_lock_ struct srfs_lock image_lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
	int r;

	r = srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CATALOG | SRFS_STATE_CREATE);
	if (r == 0)
		r = srfs_pool_tx_begin(&st, NULL, 0, &tx);
	if (r == 0)
		r = load_or_recover(&st, name, &tx, &img);
	if (r == 0 && img.kind == SRFS_IMAGE_POOL)
		r = begin_image_pool(&st, name, &tx, &img);
	if (r != 0)
		return r < 0 ? r : 0; /* 1: nothing of it is left */
	r = srfs_lock_take(&image_lock, &st, SRFS_LOCK_IMAGE, name, false);
	if (r < 0)
		return r;
	/* (An image-create of NAME held the locks until it finished or died.) */
	if ((flags & SRFS_IMAGE_REMOVE_UNSEALED) && img.sealed)
		return 0;
	r = check_unused(&st, name);
	if (r < 0)
		return r;
	if (img.kind == SRFS_IMAGE_POOL) {
		r = remove_from_pool(&st, &tx, &img, flags & SRFS_IMAGE_REMOVE_FORCE);
		/* Its layers, when nothing else uses them (and the pool can delete them). */
		if (r == 0 && img.layer[0] && tx.active)
			r = srfs_layers_prune(&st, &tx);
		return r;
	}
	r = srfs_image_forget(&st, name, SRFS_CLASS_IMAGE);
	if (r == 0)
		log_info("image %s removed (%s %s is left as it is)", name,
			 srfs_image_kind_name(img.kind), img.source);
	return r;
}

/* ---- image-list ------------------------------------------------------------------ */

struct share_counts {
	char **names; /* images, sorted */
	unsigned *counts;
};

static int count_share(const struct srfs_share *s, void *userdata)
{
	struct share_counts *c = userdata;
	for (size_t i = 0; c->names[i]; i++)
		if (streq(c->names[i], s->image)) {
			c->counts[i]++;
			break;
		}
	return 0;
}

/* Has the verity target of active image NAME seen a corrupt block? */
static bool verity_corrupted(const char *name)
{
	char dm_name[SRFS_DM_NAME_MAX + 1], type[32], status[64];
	if (srfs_dm_available(true) < 0 || srfs_image_dm_name(name, false, dm_name, sizeof(dm_name)) < 0 ||
	    srfs_dm_get_target(dm_name, true, type, sizeof(type), status, sizeof(status), NULL) < 0 ||
	    !streq(type, "verity"))
		return false;
	return srfs_verity_status_parse(status) == 1;
}

int srfs_image_report(const char *pool,
		      int (*fn)(const struct srfs_image_report *report, void *userdata),
		      void *userdata)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_free_ unsigned *counts = NULL;
	char **names = NULL;
	size_t n = 0;
	int r;

	r = srfs_state_open(&st, SRFS_STATE_CATALOG);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* The runtime directory only says what is active: it may not exist yet. */
	r = srfs_state_open(&st, SRFS_STATE_RUN);
	if (r < 0 && r != -ENOENT)
		return r;
	if (pool) {
		_cleanup_(srfs_pool_clear) struct srfs_pool p = { 0 };
		r = srfs_pool_load(st.catalog_fd, pool, &p);
		if (r == -ENOENT)
			log_error("unknown pool %s", pool);
		if (r < 0)
			return r;
	}
	r = srfs_state_list(st.catalog_fd, SRFS_IMAGES_DIR, &names);
	if (r < 0)
		return log_errno(r, "cannot read the image catalog in %s", st.catalog_path);
	while (names[n])
		n++;
	counts = calloc(n + 1, sizeof(*counts));
	if (!counts) {
		srfs_names_free(names);
		return log_errno(-ENOMEM, "cannot list images");
	}
	struct share_counts sc = { names, counts };
	r = srfs_share_for_each(&st, NULL, count_share, &sc);
	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
		int q = srfs_image_load(st.catalog_fd, names[i], &img);
		if (q == -ENOENT)
			continue; /* removed meanwhile */
		if (q < 0) {
			r = q;
			continue;
		}
		if (pool && (img.kind != SRFS_IMAGE_POOL || !streq(img.pool, pool)))
			continue;
		_cleanup_(srfs_active_image_clear) struct srfs_active_image a = { 0 };
		bool active = st.run_fd >= 0 && srfs_active_image_load(&st, img.name, &a) == 0;
		struct srfs_image_report rep = {
			.image = &img,
			.active = active,
			.shares = counts[i],
			.context = a.context,
			.corrupted = active && img.verity && verity_corrupted(img.name),
		};
		q = fn(&rep, userdata);
		if (q < 0) {
			r = q;
			break;
		}
	}
	srfs_names_free(names);
	return r;
}
