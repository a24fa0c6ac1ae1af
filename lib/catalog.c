/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The catalog's records of images, container snapshots and pools (catalog.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "log.h"
#include "macro.h"
#include "record.h"
#include "thin.h"
#include "util.h"

/* ---- images ------------------------------------------------------------------------ */

static const struct srfs_record_key image_keys[] = {
	{ "version", true },
	{ "kind", true },
	{ "pool", false },
	{ "device_id", false },
	{ "parent", false },
	{ "source", false },
	{ "size", true },
	{ "fs", true },
	{ "sealed", true },
	{ "created", true },
	{ "released", false },
	{ "layer", false },
	{ "manifest", false },
	{ "config", false },
	{ "ref", false },
	{ "chain_id", false },
	{ "diff_id", false },
	{ "tar_size", false },
	{ "verity_device_id", false },
	{ "verity_file", false },
	{ "verity_size", false },
	{ "verity", false },
	{ "root_hash", false },
	{ 0 },
};

static const char *const class_dirs[] = {
	[SRFS_CLASS_IMAGE] = SRFS_IMAGES_DIR,
	[SRFS_CLASS_SNAPSHOT] = SRFS_SNAPSHOTS_DIR,
	[SRFS_CLASS_LAYER] = SRFS_LAYERS_DIR,
};

const char *srfs_image_class_dir(enum srfs_image_class cls)
{
	return class_dirs[cls];
}

const char *srfs_image_class_name(enum srfs_image_class cls)
{
	return cls == SRFS_CLASS_SNAPSHOT ? "snapshot of container"
	       : cls == SRFS_CLASS_LAYER  ? "layer"
					  : "image";
}

static const char *const kind_names[] = {
	[SRFS_IMAGE_POOL] = "pool",
	[SRFS_IMAGE_FILE] = "file",
	[SRFS_IMAGE_BLOCK] = "block",
};

void srfs_image_clear(struct srfs_image *img)
{
	free(img->source);
	free(img->ref);
	free(img->verity_file);
	*img = (struct srfs_image){ 0 };
}

const char *srfs_image_kind_name(enum srfs_image_kind kind)
{
	return kind_names[kind];
}

int srfs_image_load(int catalog_fd, const char *name, struct srfs_image *img)
{
	return srfs_image_load_record(catalog_fd, name, SRFS_CLASS_IMAGE, img);
}

/* A digest from the record (absent: ""); -1 when malformed. */
static int get_digest(const struct srfs_record *rec, const char *key, char *out)
{
	const char *v = srfs_record_get(rec, key);
	if (!v) {
		out[0] = '\0';
		return 0;
	}
	if (srfs_digest_check(v) < 0)
		return -1;
	snprintf(out, SRFS_DIGEST_MAX + 1, "%s", v);
	return 0;
}

/* A layer's KEY: 64 lowercase hex digits. */
static bool is_chain_hex(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == SRFS_DIGEST_HEX;
}

/* The OCI fields: an image's top layer, digests and name; a layer's diff id and size. */
static int load_oci_fields(const struct srfs_record *rec, struct srfs_image *img)
{
	const char *v = srfs_record_get(rec, "layer");
	if (v && (img->cls != SRFS_CLASS_IMAGE || !is_chain_hex(v)))
		return -1;
	snprintf(img->layer, sizeof(img->layer), "%s", v ? v : "");
	if (get_digest(rec, "manifest", img->manifest) < 0 ||
	    get_digest(rec, "config", img->config) < 0 ||
	    get_digest(rec, "chain_id", img->chain_id) < 0 ||
	    get_digest(rec, "diff_id", img->diff_id) < 0)
		return -1;
	v = srfs_record_get(rec, "ref");
	if (v && !(img->ref = strdup(v)))
		return -1;
	if (srfs_record_get(rec, "tar_size") && srfs_record_get_u64(rec, "tar_size", &img->tar_size) < 0)
		return -1;
	if (img->cls == SRFS_CLASS_LAYER &&
	    (!is_chain_hex(img->name) || !img->diff_id[0] || !img->chain_id[0] ||
	     (img->parent[0] && !is_chain_hex(img->parent))))
		return -1;
	return 0;
}

/* The hash tree's keys: all or none of verity, root_hash, verity_size and where it is. */
static int load_verity(const struct srfs_record *rec, struct srfs_image *img)
{
	const char *params = srfs_record_get(rec, "verity");
	const char *root = srfs_record_get(rec, "root_hash");
	const char *file = srfs_record_get(rec, "verity_file");

	if (srfs_record_get(rec, "verity_device_id")) {
		if (img->kind != SRFS_IMAGE_POOL ||
		    srfs_record_get_u64(rec, "verity_device_id", &img->verity_device_id) < 0)
			return -EINVAL;
		img->verity_device = true;
	}
	if (file && (img->kind == SRFS_IMAGE_POOL || file[0] != '/' ||
		     !(img->verity_file = strdup(file))))
		return -EINVAL;
	if (!params && !root)
		return file ? -EINVAL : 0; /* none, or (a device alone) an unfinished image-verity */
	if (!params || !root || (!img->verity_device && !file) ||
	    srfs_record_get_u64(rec, "verity_size", &img->verity_size) < 0 ||
	    srfs_verity_params_parse(params, &img->verity_params) < 0 ||
	    srfs_verity_hex(root, SRFS_VERITY_DIGEST_MAX, img->root_hash,
			    sizeof(img->root_hash)) < 0)
		return -EINVAL;
	img->verity = true;
	return 0;
}

static int save_verity(struct srfs_record *rec, const struct srfs_image *img)
{
	char params[sizeof(img->verity_params) + 64];
	int r = 0;

	if (img->verity_device)
		r = srfs_record_set_u64(rec, "verity_device_id", img->verity_device_id);
	if (r == 0 && img->verity_file)
		r = srfs_record_set(rec, "verity_file", img->verity_file);
	if (r < 0 || !img->verity)
		return r;
	r = srfs_verity_params_format(&img->verity_params, params, sizeof(params));
	if (r == 0)
		r = srfs_record_set(rec, "verity", params);
	if (r == 0)
		r = srfs_record_set(rec, "root_hash", img->root_hash);
	if (r == 0)
		r = srfs_record_set_u64(rec, "verity_size", img->verity_size);
	return r;
}

int srfs_image_load_record(int catalog_fd, const char *name, enum srfs_image_class cls,
			   struct srfs_image *img)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_close_ int dir = -1;
	char err[256];
	const char *v;
	int r;

	srfs_image_clear(img);
	dir = openat(catalog_fd, class_dirs[cls], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? -ENOENT
				       : log_errno(negative_errno(), "cannot open the image catalog");
	r = srfs_record_load(dir, name, image_keys, &rec, err, sizeof(err));
	if (r == -ENOENT)
		return r;
	if (r == -EBADMSG) {
		log_error("catalog record of image %s is corrupt: %s", name, err);
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot read the catalog record of image %s", name);

	snprintf(img->name, sizeof(img->name), "%s", name);
	v = srfs_record_get(&rec, "kind");
	size_t k;
	for (k = 0; k < ARRAY_SIZE(kind_names); k++)
		if (streq(v, kind_names[k]))
			break;
	if (k == ARRAY_SIZE(kind_names))
		goto corrupt;
	img->kind = (enum srfs_image_kind)k;
	if (img->kind == SRFS_IMAGE_POOL) {
		v = srfs_record_get(&rec, "pool");
		if (!v || srfs_name_check(v, NULL) < 0 ||
		    srfs_record_get_u64(&rec, "device_id", &img->device_id) < 0)
			goto corrupt;
		snprintf(img->pool, sizeof(img->pool), "%s", v);
		v = srfs_record_get(&rec, "parent");
		if (v && srfs_name_check(v, NULL) < 0)
			goto corrupt;
		snprintf(img->parent, sizeof(img->parent), "%s", v ? v : "");
	} else {
		v = srfs_record_get(&rec, "source");
		if (!v || v[0] != '/' || !(img->source = strdup(v)))
			goto corrupt;
	}
	v = srfs_record_get(&rec, "fs");
	if (strlen(v) >= sizeof(img->fs) || !*v)
		goto corrupt;
	snprintf(img->fs, sizeof(img->fs), "%s", v);
	v = srfs_record_get(&rec, "sealed");
	if (!streq(v, "0") && !streq(v, "1"))
		goto corrupt;
	img->sealed = streq(v, "1");
	if (srfs_record_get_u64(&rec, "size", &img->size) < 0 ||
	    srfs_record_get_u64(&rec, "created", &img->created) < 0)
		goto corrupt;
	v = srfs_record_get(&rec, "released");
	img->released = v && streq(v, "1");
	img->cls = cls;
	if (load_oci_fields(&rec, img) < 0 || load_verity(&rec, img) < 0)
		goto corrupt;
	return 0;
corrupt:
	log_error("catalog record of image %s is corrupt: a value is malformed", name);
	srfs_image_clear(img);
	return -EBADMSG;
}

int srfs_image_save(struct srfs_state *st, const struct srfs_image *img)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_close_ int dir = -1;
	int r;

	r = srfs_state_subdir(st->catalog_fd, st->catalog_path, class_dirs[img->cls], true, &dir);
	if (r < 0)
		return r;
	r = srfs_record_set(&rec, "version", "1");
	if (r == 0)
		r = srfs_record_set(&rec, "kind", kind_names[img->kind]);
	if (r == 0 && img->kind == SRFS_IMAGE_POOL) {
		r = srfs_record_set(&rec, "pool", img->pool);
		if (r == 0)
			r = srfs_record_set_u64(&rec, "device_id", img->device_id);
		if (r == 0 && img->parent[0])
			r = srfs_record_set(&rec, "parent", img->parent);
	} else if (r == 0) {
		r = srfs_record_set(&rec, "source", img->source);
	}
	if (r == 0)
		r = srfs_record_set_u64(&rec, "size", img->size);
	if (r == 0)
		r = srfs_record_set(&rec, "fs", img->fs);
	if (r == 0)
		r = srfs_record_set(&rec, "sealed", img->sealed ? "1" : "0");
	if (r == 0)
		r = srfs_record_set_u64(&rec, "created", img->created);
	if (r == 0 && img->released)
		r = srfs_record_set(&rec, "released", "1");
	if (r == 0 && img->layer[0])
		r = srfs_record_set(&rec, "layer", img->layer);
	if (r == 0 && img->manifest[0])
		r = srfs_record_set(&rec, "manifest", img->manifest);
	if (r == 0 && img->config[0])
		r = srfs_record_set(&rec, "config", img->config);
	if (r == 0 && img->ref)
		r = srfs_record_set(&rec, "ref", img->ref);
	if (r == 0 && img->chain_id[0])
		r = srfs_record_set(&rec, "chain_id", img->chain_id);
	if (r == 0 && img->diff_id[0])
		r = srfs_record_set(&rec, "diff_id", img->diff_id);
	if (r == 0 && img->cls == SRFS_CLASS_LAYER)
		r = srfs_record_set_u64(&rec, "tar_size", img->tar_size);
	if (r == 0)
		r = save_verity(&rec, img);
	if (r == 0)
		r = srfs_record_save(dir, img->name, &rec, SRFS_RECORD_DURABLE);
	if (r < 0)
		return log_errno(r, "cannot write the catalog record of image %s", img->name);
	return 0;
}

int srfs_image_forget(struct srfs_state *st, const char *name, enum srfs_image_class cls)
{
	_cleanup_close_ int dir = -1, configs = -1;
	int r = srfs_state_subdir(st->catalog_fd, st->catalog_path, class_dirs[cls], false, &dir);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = srfs_record_remove(dir, name, SRFS_RECORD_DURABLE);
	/* (A config left by a crash here is never believed: its digest is in the record.) */
	if (r == 0 && cls == SRFS_CLASS_IMAGE) {
		r = srfs_state_subdir(st->catalog_fd, st->catalog_path, SRFS_CONFIGS_DIR, false,
				      &configs);
		if (r == 0)
			r = srfs_record_remove(configs, name, SRFS_RECORD_DURABLE);
		if (r == -ENOENT)
			r = 0;
	}
	if (r < 0)
		return log_errno(r, "cannot remove %s %s from the catalog", srfs_image_class_name(cls),
				 name);
	return 0;
}

int srfs_image_config_save(struct srfs_state *st, const char *name, const char *json, size_t len)
{
	_cleanup_close_ int dir = -1;
	int r = srfs_state_subdir(st->catalog_fd, st->catalog_path, SRFS_CONFIGS_DIR, true, &dir);
	if (r == 0)
		r = srfs_file_replace(dir, name, json, len, SRFS_RECORD_DURABLE);
	if (r < 0)
		return log_errno(r, "cannot write the OCI config of image %s", name);
	return 0;
}

int srfs_image_dm_name(const char *name, bool build, char *buf, size_t size)
{
	return srfs_dm_name(buf, size, build ? "srfs-build:" : "srfs-img:", name, NULL);
}

int srfs_snapshot_dm_name(const char *id, char *buf, size_t size)
{
	return srfs_dm_name(buf, size, "srfs-snap:", id, NULL);
}

/* ---- pools ------------------------------------------------------------------------- */

static const struct srfs_record_key pool_keys[] = {
	{ "version", true },
	{ "dm_name", true },
	{ "data", true },
	{ "data_type", true },
	{ "data_created", true },
	{ "data_size", true },
	{ "metadata", true },
	{ "metadata_type", true },
	{ "metadata_created", true },
	{ "metadata_size", true },
	{ "chunk_size", true },
	{ "low_water_mark", true },
	{ "error_if_no_space", true },
	{ "discard", true },
	{ "zero_blocks", true },
	{ "created", true },
	{ 0 },
};

void srfs_pool_clear(struct srfs_pool *pool)
{
	free(pool->data.path);
	free(pool->metadata.path);
	*pool = (struct srfs_pool){ 0 };
}

static int get_bool(const struct srfs_record *rec, const char *key, bool *out)
{
	const char *v = srfs_record_get(rec, key);
	if (!v || (!streq(v, "0") && !streq(v, "1")))
		return -EINVAL;
	*out = streq(v, "1");
	return 0;
}

static int load_device(const struct srfs_record *rec, const char *role,
		       struct srfs_pool_device *d)
{
	char key[32];
	const char *type;

	d->path = strdup(srfs_record_get(rec, role));
	snprintf(key, sizeof(key), "%s_type", role);
	type = srfs_record_get(rec, key);
	if (!d->path || d->path[0] != '/' || !type || (!streq(type, "file") && !streq(type, "block")))
		return -EINVAL;
	d->is_file = streq(type, "file");
	snprintf(key, sizeof(key), "%s_created", role);
	if (get_bool(rec, key, &d->created) < 0)
		return -EINVAL;
	snprintf(key, sizeof(key), "%s_size", role);
	return srfs_record_get_u64(rec, key, &d->size);
}

int srfs_pool_load(int catalog_fd, const char *name, struct srfs_pool *pool)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_close_ int dir = -1;
	char err[256];
	const char *v;
	int r;

	srfs_pool_clear(pool);
	dir = openat(catalog_fd, SRFS_POOLS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? -ENOENT : log_errno(negative_errno(), "cannot open the pool catalog");
	r = srfs_record_load(dir, name, pool_keys, &rec, err, sizeof(err));
	if (r == -ENOENT)
		return r;
	if (r == -EBADMSG) {
		log_error("catalog record of pool %s is corrupt: %s", name, err);
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot read the catalog record of pool %s", name);

	snprintf(pool->name, sizeof(pool->name), "%s", name);
	v = srfs_record_get(&rec, "dm_name");
	if (strlen(v) > SRFS_DM_NAME_MAX || !*v)
		goto corrupt;
	snprintf(pool->dm_name, sizeof(pool->dm_name), "%s", v);
	if (load_device(&rec, "data", &pool->data) < 0 ||
	    load_device(&rec, "metadata", &pool->metadata) < 0 ||
	    srfs_record_get_u64(&rec, "chunk_size", &pool->chunk_size) < 0 ||
	    !srfs_thin_chunk_valid(pool->chunk_size) ||
	    srfs_record_get_u64(&rec, "low_water_mark", &pool->low_water_mark) < 0 ||
	    get_bool(&rec, "error_if_no_space", &pool->error_if_no_space) < 0 ||
	    get_bool(&rec, "discard", &pool->discard) < 0 ||
	    get_bool(&rec, "zero_blocks", &pool->zero_blocks) < 0 ||
	    srfs_record_get_u64(&rec, "created", &pool->created) < 0)
		goto corrupt;
	return 0;
corrupt:
	log_error("catalog record of pool %s is corrupt: a value is malformed", name);
	srfs_pool_clear(pool);
	return -EBADMSG;
}

static int save_device(struct srfs_record *rec, const char *role,
		       const struct srfs_pool_device *d)
{
	char key[32];
	int r = srfs_record_set(rec, role, d->path);
	snprintf(key, sizeof(key), "%s_type", role);
	if (r == 0)
		r = srfs_record_set(rec, key, d->is_file ? "file" : "block");
	snprintf(key, sizeof(key), "%s_created", role);
	if (r == 0)
		r = srfs_record_set(rec, key, d->created ? "1" : "0");
	snprintf(key, sizeof(key), "%s_size", role);
	if (r == 0)
		r = srfs_record_set_u64(rec, key, d->size);
	return r;
}

int srfs_pool_save(struct srfs_state *st, const struct srfs_pool *pool)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_close_ int dir = -1;
	int r;

	r = srfs_state_subdir(st->catalog_fd, st->catalog_path, SRFS_POOLS_DIR, true, &dir);
	if (r < 0)
		return r;
	r = srfs_record_set(&rec, "version", "1");
	if (r == 0)
		r = srfs_record_set(&rec, "dm_name", pool->dm_name);
	if (r == 0)
		r = save_device(&rec, "data", &pool->data);
	if (r == 0)
		r = save_device(&rec, "metadata", &pool->metadata);
	if (r == 0)
		r = srfs_record_set_u64(&rec, "chunk_size", pool->chunk_size);
	if (r == 0)
		r = srfs_record_set_u64(&rec, "low_water_mark", pool->low_water_mark);
	if (r == 0)
		r = srfs_record_set(&rec, "error_if_no_space", pool->error_if_no_space ? "1" : "0");
	if (r == 0)
		r = srfs_record_set(&rec, "discard", pool->discard ? "1" : "0");
	if (r == 0)
		r = srfs_record_set(&rec, "zero_blocks", pool->zero_blocks ? "1" : "0");
	if (r == 0)
		r = srfs_record_set_u64(&rec, "created", pool->created);
	if (r == 0)
		r = srfs_record_save(dir, pool->name, &rec, SRFS_RECORD_DURABLE);
	if (r < 0)
		return log_errno(r, "cannot write the catalog record of pool %s", pool->name);
	return 0;
}

int srfs_pool_forget(struct srfs_state *st, const char *name)
{
	_cleanup_close_ int dir = -1;
	int r = srfs_state_subdir(st->catalog_fd, st->catalog_path, SRFS_POOLS_DIR, false, &dir);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = srfs_record_remove(dir, name, SRFS_RECORD_DURABLE);
	if (r < 0)
		return log_errno(r, "cannot remove pool %s from the catalog", name);
	return 0;
}

int srfs_pool_dm_name(const char *name, char *buf, size_t size)
{
	return srfs_dm_name(buf, size, "srfs-", name, NULL);
}
