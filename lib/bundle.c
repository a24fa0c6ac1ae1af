/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle-dir.h"
#include "bundle.h"
#include "catalog.h"
#include "idmap.h"
#include "imageconfig.h"
#include "log.h"
#include "mountapi.h"
#include "run.h"
#include "share.h"
#include "spec.h"
#include "state.h"
#include "util.h"

/* A hostname is at most 64 bytes (HOST_NAME_MAX); a longer id is cut. */
#define HOSTNAME_MAX 64

/* A bundle being made: what has been made so far, to undo. */
struct bundle {
	const char *image, *id;
	const struct srfs_bundle_options *o;
	struct srfs_image_config config;
	bool has_config;
	bool was_active; /* the image was active before */
	char *dir;       /* the bundle directory, absolute, once made */
	int dir_fd;
	bool made_dir;   /* ... made here, not found empty */
	bool shared;
	struct srfs_share share; /* its record, once shared */
};

/* Reads IMAGE's OCI config, if it has one.  An unknown image is said here. */
static int load_config(struct bundle *b)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
	_cleanup_free_ char *json = NULL;
	size_t len;

	int r = srfs_state_open(&st, SRFS_STATE_CATALOG);
	if (r == 0)
		r = srfs_image_load(st.catalog_fd, b->image, &img);
	if (r == -ENOENT)
		log_error("unknown image %s", b->image);
	if (r == 0)
		r = srfs_image_config_load(st.catalog_fd, &img, &json, &len);
	if (r == -ENOENT && img.name[0])
		return 0;
	if (r < 0)
		return r;
	r = srfs_image_config_parse(json, len, &b->config);
	if (r < 0)
		return log_errno(r, "the OCI config of image %s cannot be read", b->image);
	b->has_config = true;
	return 0;
}

/* Is IMAGE active?  (From its record: a stale one is image-activate's business.) */
static bool image_active(const char *image)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_(srfs_active_image_clear) struct srfs_active_image a = { 0 };
	return srfs_state_open(&st, SRFS_STATE_RUN) == 0 &&
	       srfs_active_image_load(&st, image, &a) == 0;
}

/* Shares the image at DIR/rootfs, recorded with DIR, and loads the share's record. */
static int share(struct bundle *b)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_free_ char *target = srfs_path_join(b->dir, SRFS_BUNDLE_ROOTFS);
	struct srfs_share_options so = { .mode = b->o->mode, .idmap = b->o->idmap,
					 .context = b->o->context, .bundle = b->dir };
	if (!target)
		return log_errno(-ENOMEM, "cannot share image %s", b->image);
	int r = srfs_share_create(NULL, b->image, b->id, target, &so);
	if (r < 0)
		return r;
	b->shared = true;
	r = srfs_state_open(&st, SRFS_STATE_RUN);
	if (r == 0)
		r = srfs_share_load(&st, b->id, &b->share);
	if (r == -ENOENT)
		log_error("the share of container %s was released while its bundle was made", b->id);
	if (r == 0 && !streq(b->share.target, target)) {
		log_error("container %s shares image %s at %s, not at %s", b->id, b->share.image,
			  b->share.target, target);
		r = -EEXIST;
	}
	return r;
}

/* The container's root, opened: the share's own mount at DIR/rootfs, no link followed. */
static int open_rootfs(struct bundle *b)
{
	int r = b->share.mount.id ? srfs_mount_is(b->dir_fd, SRFS_BUNDLE_ROOTFS, &b->share.mount) : 1;
	if (r == 0) {
		log_error("%s/%s is not the share of container %s any more", b->dir, SRFS_BUNDLE_ROOTFS,
			  b->id);
		return -ESTALE;
	}
	int fd = r < 0 ? -1
		       : openat(b->dir_fd, SRFS_BUNDLE_ROOTFS,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_errno(r < 0 ? r : negative_errno(), "cannot open %s/%s", b->dir,
				 SRFS_BUNDLE_ROOTFS);
	return fd;
}

/* The share's id map (canonical, as recorded) parsed: *MAP NULL when it has none. */
static int share_idmap(const struct bundle *b, struct srfs_idmap **map)
{
	char err[256];
	*map = NULL;
	if (!b->share.idmap)
		return 0;
	*map = malloc(sizeof(**map));
	if (!*map)
		return log_errno(-ENOMEM, "cannot read the id map of container %s", b->id);
	if (srfs_idmap_parse(b->share.idmap, *map, err, sizeof(err)) < 0) {
		log_error("the id map of container %s cannot be read: %s", b->id, err);
		return -EBADMSG;
	}
	return 0;
}

/* DIR/config.json, from the image's config. */
static int write_config(struct bundle *b)
{
	_cleanup_free_ struct srfs_idmap *map = NULL;
	_cleanup_close_ int rootfs = -1;
	struct json_object *spec = NULL;
	char hostname[HOSTNAME_MAX + 1];

	int r = share_idmap(b, &map);
	if (r < 0)
		return r;
	rootfs = open_rootfs(b);
	if (rootfs < 0)
		return rootfs;
	snprintf(hostname, sizeof(hostname), "%s", b->id);
	struct srfs_spec_options so = {
		.image = b->image, .config = b->has_config ? &b->config : NULL,
		.command = b->o->command, .root_path = SRFS_BUNDLE_ROOTFS,
		.readonly = b->o->mode == SRFS_SHARE_RO, .hostname = hostname, .idmap = map,
		.rootfs_fd = rootfs,
	};
	r = srfs_spec_build(&so, &spec);
	if (r == 0)
		r = srfs_spec_write(b->dir_fd, b->dir, SRFS_BUNDLE_CONFIG, spec);
	json_object_put(spec);
	return r;
}

/* Undoes what was made: the share (and the activation made for it), then the files. */
static void undo(struct bundle *b)
{
	if (b->shared) {
		struct srfs_release_options ro = { .ignore_missing = true };
		srfs_share_release(NULL, b->id, NULL, &ro);
	}
	if (!b->was_active && image_active(b->image)) {
		const char *args[] = { "--quiet", "--if-unused", b->image, NULL };
		srfs_run_tool("image-deactivate", args);
	}
	if (b->dir)
		srfs_bundle_dir_remove(b->dir, b->made_dir);
}

int srfs_bundle_create(const char *image, const char *id, const char *dir,
		       const struct srfs_bundle_options *o)
{
	static const struct srfs_bundle_options defaults = { .mode = SRFS_SHARE_RO };
	struct bundle b = { .image = image, .id = id, .o = o ? o : &defaults, .dir_fd = -1 };

	int r = load_config(&b);
	if (r < 0)
		goto out;
	b.was_active = image_active(image);
	r = srfs_bundle_dir_make(dir, &b.dir_fd, &b.dir, &b.made_dir);
	if (r == 0)
		r = share(&b);
	if (r == 0)
		r = write_config(&b);
	if (r < 0)
		undo(&b);
	else
		log_verbose("container %s: bundle %s, image %s shared at %s/%s (%s)", id, b.dir,
			    image, b.dir, SRFS_BUNDLE_ROOTFS, b.share.mode);
out:
	srfs_image_config_clear(&b.config);
	srfs_share_clear(&b.share);
	closep(&b.dir_fd);
	free(b.dir);
	return r;
}
