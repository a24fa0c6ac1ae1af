/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crash.h"
#include "dm.h"
#include "log.h"
#include "record.h"
#include "thinid.h"

/* Ids tried past the catalog's highest before giving up on a crowded pool. */
#define MAX_FOREIGN_IDS 1024
/* Thin device ids are 24 bits wide. */
#define THIN_ID_MAX ((1u << 24) - 1)

static const struct srfs_record_key intent_keys[] = {
	{ "op", true },
	{ "image", true },
	{ "device_id", true },
	{ "transaction", true },
	{ "class", false },
	{ "snapshot", false }, /* written by 0.1.0 for a snapshot: class=snapshot now */
	{ "verity", false },
	{ "verity_device_id", false },
	{ 0 },
};

struct intent {
	bool create;
	enum srfs_image_class cls; /* what the record is: an image, a snapshot, a layer */
	bool verity;   /* DEVICE_ID is the image's hash area (image-verity), not its data */
	bool has_hash; /* a removal of the image: HASH_ID, its hash area, goes too */
	uint64_t hash_id;
	char image[SRFS_NAME_MAX + 1];
	uint64_t device_id;
	uint64_t transaction;
};

int srfs_thinid_pool_status(const struct srfs_pool *pool, struct srfs_thin_pool_status *status)
{
	char type[32], params[512];
	struct srfs_dm_info info;
	int r;

	r = srfs_dm_info(pool->dm_name, &info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", pool->dm_name);
	if (!info.exists) {
		log_error("pool %s is not active (activate it with: thinpool-create %s)", pool->name,
			  pool->name);
		return -ENXIO;
	}
	r = srfs_dm_get_target(pool->dm_name, true, type, sizeof(type), params, sizeof(params),
			       NULL);
	if (r == 0 && !streq(type, "thin-pool"))
		r = -EINVAL;
	if (r == 0)
		r = srfs_thin_pool_status_parse(params, status);
	if (r < 0)
		return log_errno(r, "cannot read the status of pool %s", pool->name);
	return 0;
}

static int pool_message(const struct srfs_pool *pool, const char *fmt, ...) _printf_(2, 3);
static int pool_message(const struct srfs_pool *pool, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("pool %s: message %s", pool->name, msg);
	return srfs_dm_message(pool->dm_name, msg);
}

static int set_transaction(const struct srfs_pool *pool, uint64_t from)
{
	int r = pool_message(pool, "set_transaction_id %" PRIu64 " %" PRIu64, from, from + 1);
	if (r < 0)
		return log_errno(r, "cannot set the transaction id of pool %s", pool->name);
	return 0;
}

static int delete_id(const struct srfs_pool *pool, uint64_t id)
{
	int r = pool_message(pool, "delete %" PRIu64, id);
	if (r == -ENODATA)
		return 0; /* already gone (or never made) */
	if (r == -EBUSY) {
		log_error("thin device %" PRIu64 " of pool %s is still open", id, pool->name);
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot delete thin device %" PRIu64 " of pool %s", id,
				 pool->name);
	return 0;
}

static int intents_dir(struct srfs_state *st, bool create, int *fd)
{
	int r = srfs_state_subdir(st->catalog_fd, st->catalog_path, SRFS_INTENTS_DIR, create, fd);
	return r == -ENOENT && !create ? -ENOENT : r;
}

static int intent_save(struct srfs_state *st, const char *pool, const struct intent *in)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_close_ int dir = -1;
	int r;

	r = intents_dir(st, true, &dir);
	if (r < 0)
		return r;
	r = srfs_record_set(&rec, "op", in->create ? "create" : "delete");
	if (r == 0)
		r = srfs_record_set(&rec, "image", in->image);
	if (r == 0)
		r = srfs_record_set_u64(&rec, "device_id", in->device_id);
	if (r == 0)
		r = srfs_record_set_u64(&rec, "transaction", in->transaction);
	if (r == 0 && in->cls != SRFS_CLASS_IMAGE)
		r = srfs_record_set(&rec, "class", in->cls == SRFS_CLASS_LAYER ? "layer" : "snapshot");
	if (r == 0 && in->verity)
		r = srfs_record_set(&rec, "verity", "1");
	if (r == 0 && in->has_hash)
		r = srfs_record_set_u64(&rec, "verity_device_id", in->hash_id);
	if (r == 0)
		r = srfs_record_save(dir, pool, &rec, SRFS_RECORD_DURABLE);
	if (r < 0)
		return log_errno(r, "cannot write the intent of pool %s", pool);
	return 0;
}

static int intent_remove(struct srfs_state *st, const char *pool)
{
	_cleanup_close_ int dir = -1;
	int r = intents_dir(st, false, &dir);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = srfs_record_remove(dir, pool, SRFS_RECORD_DURABLE);
	if (r < 0)
		return log_errno(r, "cannot remove the intent of pool %s", pool);
	return 0;
}

/* 1 and *IN when POOL has an open intent, 0 when not. */
static int intent_load(struct srfs_state *st, const char *pool, struct intent *in)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_close_ int dir = -1;
	char err[256];
	const char *op, *image;
	int r;

	r = intents_dir(st, false, &dir);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = srfs_record_load(dir, pool, intent_keys, &rec, err, sizeof(err));
	if (r == -ENOENT)
		return 0;
	if (r == -EBADMSG) {
		log_error("intent of pool %s is corrupt: %s", pool, err);
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot read the intent of pool %s", pool);
	op = srfs_record_get(&rec, "op");
	image = srfs_record_get(&rec, "image");
	if ((!streq(op, "create") && !streq(op, "delete")) || srfs_name_check(image, NULL) < 0 ||
	    srfs_record_get_u64(&rec, "device_id", &in->device_id) < 0 ||
	    srfs_record_get_u64(&rec, "transaction", &in->transaction) < 0) {
		log_error("intent of pool %s is corrupt: a value is malformed", pool);
		return -EBADMSG;
	}
	in->create = streq(op, "create");
	const char *cls = srfs_record_get(&rec, "class");
	if (cls && !streq(cls, "snapshot") && !streq(cls, "layer")) {
		log_error("intent of pool %s is corrupt: unknown class '%.20s'", pool, cls);
		return -EBADMSG;
	}
	const char *old_snapshot = srfs_record_get(&rec, "snapshot");
	if (!cls && old_snapshot && streq(old_snapshot, "1"))
		cls = "snapshot";
	in->cls = !cls ? SRFS_CLASS_IMAGE : streq(cls, "layer") ? SRFS_CLASS_LAYER : SRFS_CLASS_SNAPSHOT;
	const char *verity = srfs_record_get(&rec, "verity");
	in->verity = verity && streq(verity, "1");
	in->has_hash = srfs_record_get(&rec, "verity_device_id") != NULL;
	if (in->has_hash && srfs_record_get_u64(&rec, "verity_device_id", &in->hash_id) < 0) {
		log_error("intent of pool %s is corrupt: a value is malformed", pool);
		return -EBADMSG;
	}
	snprintf(in->image, sizeof(in->image), "%s", image);
	return 1;
}

/* Forgets the hash area of IMG in its record: the image is as it was before image-verity. */
static int forget_hash(struct srfs_state *st, struct srfs_image *img)
{
	img->verity = img->verity_device = false;
	img->verity_device_id = img->verity_size = 0;
	img->root_hash[0] = '\0';
	img->verity_params = (struct srfs_verity_params){ 0 };
	return srfs_image_save(st, img);
}

/*
 * Removes IMAGE's record if it is the one the intent is about; for an intent
 * about a hash area, forgets the hash area in the record instead.
 */
static int forget_if_ours(struct srfs_state *st, const struct srfs_pool *pool,
			  const struct intent *in)
{
	_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
	int r = srfs_image_load_record(st->catalog_fd, in->image, in->cls, &img);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (img.kind != SRFS_IMAGE_POOL || !streq(img.pool, pool->name))
		return 0;
	if (in->verity)
		return img.verity_device && img.verity_device_id == in->device_id
			       ? forget_hash(st, &img)
			       : 0;
	if (img.device_id != in->device_id)
		return 0;
	return srfs_image_forget(st, in->image, in->cls);
}

/*
 * Deletes the thin ids of released container snapshots of POOL whose
 * devices the kernel has removed by now (deferred removal).
 */
static int reap_snapshots(struct srfs_state *st, const struct srfs_pool *pool)
{
	char **ids;
	int r = srfs_state_list(st->catalog_fd, SRFS_SNAPSHOTS_DIR, &ids);
	if (r < 0)
		return log_errno(r, "cannot read the snapshot catalog");
	for (char **id = ids; r == 0 && *id; id++) {
		_cleanup_(srfs_image_clear) struct srfs_image snap = { 0 };
		char dm_name[SRFS_DM_NAME_MAX + 1];
		struct srfs_dm_info info;
		if (srfs_image_load_record(st->catalog_fd, *id, SRFS_CLASS_SNAPSHOT, &snap) < 0 ||
		    !snap.released ||
		    !streq(snap.pool, pool->name) ||
		    srfs_snapshot_dm_name(*id, dm_name, sizeof(dm_name)) < 0 ||
		    srfs_dm_info(dm_name, &info) < 0 || info.exists)
			continue;
		r = srfs_thinid_delete(st, pool, &snap);
		if (r == 0)
			log_verbose("deleted the released snapshot of container %s", *id);
	}
	srfs_names_free(ids);
	return r;
}

static int recover_intent(struct srfs_state *st, const struct srfs_pool *pool);

int srfs_thinid_recover(struct srfs_state *st, const struct srfs_pool *pool)
{
	int r = recover_intent(st, pool);
	return r < 0 ? r : reap_snapshots(st, pool);
}

static int recover_intent(struct srfs_state *st, const struct srfs_pool *pool)
{
	struct srfs_thin_pool_status status;
	struct intent in;
	int r;

	r = intent_load(st, pool->name, &in);
	if (r <= 0)
		return r;
	r = srfs_thinid_pool_status(pool, &status);
	if (r < 0)
		return r;
	uint64_t now = status.transaction_id, then = in.transaction;
	if (now != then && now != then + 1) {
		log_error("pool %s has transaction id %" PRIu64 " but its interrupted %s of image "
			  "%s expected %" PRIu64 " or %" PRIu64
			  ": the pool was changed by something else; refusing to touch it",
			  pool->name, now, in.create ? "creation" : "removal", in.image, then,
			  then + 1);
		return -EUCLEAN;
	}
	if (in.create && now == then) {
		/* Not committed: undo whatever part of it happened. */
		r = delete_id(pool, in.device_id);
		if (r == 0)
			r = forget_if_ours(st, pool, &in);
		if (r == 0)
			r = intent_remove(st, pool->name);
		if (r == 0)
			log_info("rolled back the interrupted creation of %s%s %s in pool %s",
				 in.cls == SRFS_CLASS_SNAPSHOT ? "the " : "",
				 srfs_image_class_name(in.cls), in.image, pool->name);
		return r;
	}
	if (in.create) {
		/* Committed: only the intent was left. */
		r = intent_remove(st, pool->name);
		if (r == 0)
			log_verbose("completed the interrupted creation of %s %s",
				    srfs_image_class_name(in.cls), in.image);
		return r;
	}
	/* A removal is always finished. */
	r = now == then ? delete_id(pool, in.device_id) : 0;
	if (r == 0 && now == then && in.has_hash)
		r = delete_id(pool, in.hash_id);
	if (r == 0 && now == then)
		r = set_transaction(pool, then);
	if (r == 0)
		r = forget_if_ours(st, pool, &in);
	if (r == 0)
		r = intent_remove(st, pool->name);
	if (r == 0)
		log_info("completed the interrupted removal of %s%s %s from pool %s",
			 in.cls == SRFS_CLASS_SNAPSHOT ? "the " : "", srfs_image_class_name(in.cls),
			 in.image, pool->name);
	return r;
}

int srfs_thinid_pending(struct srfs_state *st, const char *image, char *pool,
			size_t size)
{
	char **pools;
	int r = srfs_state_list(st->catalog_fd, SRFS_INTENTS_DIR, &pools);
	if (r < 0)
		return log_errno(r, "cannot read the intents in the catalog");
	for (char **p = pools; r == 0 && *p; p++) {
		struct intent in;
		if (intent_load(st, *p, &in) > 0 && streq(in.image, image)) {
			snprintf(pool, size, "%s", *p);
			r = 1;
		}
	}
	srfs_names_free(pools);
	return r;
}

/* The lowest id above every id of POOL in the catalog (images, snapshots, layers). */
static int next_free_id(struct srfs_state *st, const char *pool, uint64_t *id)
{
	static const enum srfs_image_class classes[] = { SRFS_CLASS_IMAGE, SRFS_CLASS_SNAPSHOT,
							 SRFS_CLASS_LAYER };
	*id = 1;
	for (size_t c = 0; c < ARRAY_SIZE(classes); c++) {
		char **names;
		int r = srfs_state_list(st->catalog_fd, srfs_image_class_dir(classes[c]), &names);
		if (r < 0)
			return log_errno(r, "cannot read the image catalog");
		for (char **n = names; *n; n++) {
			_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
			if (srfs_image_load_record(st->catalog_fd, *n, classes[c], &img) < 0 ||
			    img.kind != SRFS_IMAGE_POOL || !streq(img.pool, pool))
				continue;
			if (img.device_id >= *id)
				*id = img.device_id + 1;
			if (img.verity_device && img.verity_device_id >= *id)
				*id = img.verity_device_id + 1;
		}
		srfs_names_free(names);
	}
	return 0;
}

static int send_create(const struct srfs_pool *pool, uint64_t id, const uint64_t *origin_id,
		       const char *origin_dm)
{
	int r, q;

	if (!origin_id)
		return pool_message(pool, "create_thin %" PRIu64, id);
	/* An active origin is suspended around the snapshot, so the snapshot is exact. */
	if (origin_dm && *origin_dm) {
		r = srfs_dm_suspend(origin_dm);
		if (r < 0)
			return log_errno(r, "cannot suspend %s for the snapshot", origin_dm);
	}
	r = pool_message(pool, "create_snap %" PRIu64 " %" PRIu64, id, *origin_id);
	if (origin_dm && *origin_dm && (q = srfs_dm_resume(origin_dm)) < 0) {
		log_errno(q, "cannot resume %s after the snapshot", origin_dm);
		if (r == 0)
			r = q;
	}
	return r;
}

/* The crash points of a creation: image-create's, or image-verity's for a hash area. */
static void crash_point(bool verity, const char *step)
{
	char name[64];
	snprintf(name, sizeof(name), "%s:%s", verity ? "image-verity" : "image-create", step);
	srfs_crash_point(name);
}

static int create_id(struct srfs_state *st, const struct srfs_pool *pool, struct srfs_image *img,
		     const uint64_t *origin_id, const char *origin_dm, bool verity)
{
	struct srfs_thin_pool_status status;
	struct intent in = { .create = true, .cls = img->cls, .verity = verity };
	uint64_t first = 1;
	int r;

	r = srfs_thinid_pool_status(pool, &status);
	if (r < 0)
		return r;
	r = next_free_id(st, pool->name, &first);
	if (r < 0)
		return r;
	snprintf(in.image, sizeof(in.image), "%s", img->name);
	in.transaction = status.transaction_id;

	for (in.device_id = first;; in.device_id++) {
		if (in.device_id > THIN_ID_MAX || in.device_id - first >= MAX_FOREIGN_IDS) {
			log_error("pool %s has no free thin device id near %" PRIu64, pool->name,
				  first);
			return intent_remove(st, pool->name) < 0 ? -EIO : -ENOSPC;
		}
		r = intent_save(st, pool->name, &in);
		if (r < 0)
			return r;
		crash_point(verity, "intent");
		r = send_create(pool, in.device_id, origin_id, origin_dm);
		if (r != -EEXIST)
			break;
		/* Made outside shared-rootfs: never ours to use or delete. */
		log_verbose("pool %s already has thin device %" PRIu64 "; trying the next id",
			    pool->name, in.device_id);
	}
	if (r < 0) {
		log_errno(r, "cannot create a thin device in pool %s", pool->name);
		intent_remove(st, pool->name);
		return r;
	}
	crash_point(verity, "message");

	if (verity) {
		img->verity_device = true;
		img->verity_device_id = in.device_id;
	} else {
		img->device_id = in.device_id;
	}
	r = srfs_image_save(st, img);
	if (r < 0)
		goto undo;
	crash_point(verity, "record");
	r = set_transaction(pool, in.transaction);
	if (r < 0) {
		if (verity)
			forget_hash(st, img);
		else
			srfs_image_forget(st, img->name, img->cls);
		goto undo;
	}
	crash_point(verity, "transaction");
	r = intent_remove(st, pool->name);
	if (r < 0)
		return r; /* committed: the next command removes the intent */
	log_verbose("%s %s is thin device %" PRIu64 " of pool %s",
		    verity ? "the hash tree of image" : srfs_image_class_name(img->cls),
		    img->cls == SRFS_CLASS_LAYER ? img->chain_id : img->name, in.device_id,
		    pool->name);
	return 0;
undo:
	if (verity)
		img->verity_device = false;
	if (delete_id(pool, in.device_id) == 0)
		intent_remove(st, pool->name);
	return r;
}

int srfs_thinid_create(struct srfs_state *st, const struct srfs_pool *pool,
		       struct srfs_image *img, const uint64_t *origin_id, const char *origin_dm)
{
	return create_id(st, pool, img, origin_id, origin_dm, false);
}

int srfs_thinid_create_hash(struct srfs_state *st, const struct srfs_pool *pool,
			    struct srfs_image *img)
{
	return create_id(st, pool, img, NULL, NULL, true);
}

int srfs_thinid_delete_hash(struct srfs_state *st, const struct srfs_pool *pool,
			    struct srfs_image *img)
{
	struct srfs_thin_pool_status status;
	struct intent in = { .create = false, .verity = true, .device_id = img->verity_device_id };
	int r;

	if (!img->verity_device)
		return 0;
	r = srfs_thinid_pool_status(pool, &status);
	if (r < 0)
		return r;
	snprintf(in.image, sizeof(in.image), "%s", img->name);
	in.transaction = status.transaction_id;
	r = intent_save(st, pool->name, &in);
	if (r < 0)
		return r;
	r = delete_id(pool, in.device_id);
	if (r < 0) {
		intent_remove(st, pool->name);
		return r;
	}
	r = set_transaction(pool, in.transaction);
	if (r == 0)
		r = forget_hash(st, img);
	if (r == 0)
		r = intent_remove(st, pool->name);
	return r;
}

int srfs_thinid_delete(struct srfs_state *st, const struct srfs_pool *pool,
		       const struct srfs_image *img)
{
	struct srfs_thin_pool_status status;
	struct intent in = { .create = false, .cls = img->cls,
			     .device_id = img->device_id, .has_hash = img->verity_device,
			     .hash_id = img->verity_device_id };
	int r;

	r = srfs_thinid_pool_status(pool, &status);
	if (r < 0)
		return r;
	snprintf(in.image, sizeof(in.image), "%s", img->name);
	in.transaction = status.transaction_id;
	r = intent_save(st, pool->name, &in);
	if (r < 0)
		return r;
	srfs_crash_point("image-remove:intent");
	r = delete_id(pool, img->device_id);
	if (r < 0) {
		intent_remove(st, pool->name);
		return r;
	}
	/* The data is gone: the intent stays until the hash area is too (the next command finishes). */
	if (in.has_hash && (r = delete_id(pool, in.hash_id)) < 0)
		return r;
	srfs_crash_point("image-remove:message");
	/* From here on the removal is only ever finished, never undone. */
	r = set_transaction(pool, in.transaction);
	if (r < 0)
		return r;
	srfs_crash_point("image-remove:transaction");
	r = srfs_image_forget(st, img->name, img->cls);
	if (r < 0)
		return r;
	srfs_crash_point("image-remove:record");
	return intent_remove(st, pool->name);
}

int srfs_thinid_pool_usable(const struct srfs_pool *pool)
{
	struct srfs_thin_pool_status s;
	int r = srfs_thinid_pool_status(pool, &s);
	if (r < 0)
		return r;
	if (s.failed) {
		log_error("pool %s has failed (see the kernel log)", pool->name);
		return -EIO;
	}
	if (s.needs_check) {
		log_error("pool %s needs a check (thin_check) before new images", pool->name);
		return -EUCLEAN;
	}
	if (streq(s.mode, "out_of_data_space") || s.data_used >= s.data_total) {
		log_error("pool %s is full: no data space left for image data", pool->name);
		return -ENOSPC;
	}
	if (!streq(s.mode, "rw")) {
		log_error("pool %s is read-only (mode %s): its metadata space may be exhausted",
			  pool->name, s.mode);
		return -EROFS;
	}
	return 0;
}
