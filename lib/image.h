/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Images: sealed, read-only file systems that containers share.
 *
 * The catalog keeps one durable record per image, <catalog>/images/NAME.
 * An image is one of
 *   pool   a thin device (DEVICE_ID) in a thin pool, made and filled by
 *          image-create, optionally a snapshot of a PARENT image;
 *   file   an existing file system image file, attached to a loop device;
 *   block  an existing block device.
 * A pool image is usable once SEALED; until then it is being built (or its
 * build was interrupted, and the next image-create or image-remove of that
 * name clears what is left).
 *
 * Device-mapper names: "srfs-img:NAME" for the read-only device of an active
 * image, "srfs-build:NAME" for the writable one while an image is built.
 * Pool names cannot contain ':', so neither can be mistaken for a pool's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "name.h"
#include "pool.h"
#include "state.h"

enum srfs_image_kind {
	SRFS_IMAGE_POOL,
	SRFS_IMAGE_FILE,
	SRFS_IMAGE_BLOCK,
};

struct srfs_image {
	char name[SRFS_NAME_MAX + 1];
	enum srfs_image_kind kind;
	char pool[SRFS_NAME_MAX + 1];   /* pool images */
	uint64_t device_id;             /* pool images */
	char parent[SRFS_NAME_MAX + 1]; /* "" when none */
	char *source;                   /* file and block images: absolute path */
	uint64_t size;                  /* bytes */
	char fs[32];                    /* ext4, xfs, erofs, squashfs, ... */
	bool sealed;
	uint64_t created; /* seconds since the epoch */
	/*
	 * A container's thin snapshot (rootfs-share --mode snapshot), recorded
	 * in <catalog>/snapshots/ID with the image as its PARENT.  RELEASED: its
	 * device was left to deferred removal; the thin id goes once it is gone.
	 */
	bool snapshot;
	bool released;
};

#define SRFS_IMAGES_DIR "images"     /* <catalog>/images/NAME: the image records */
#define SRFS_SNAPSHOTS_DIR "snapshots" /* <catalog>/snapshots/ID: container snapshots */

void srfs_image_clear(struct srfs_image *img);
const char *srfs_image_kind_name(enum srfs_image_kind kind);

/* Loads the catalog record; -ENOENT (not logged) when the image is unknown. */
int srfs_image_load(int catalog_fd, const char *name, struct srfs_image *img);
/* The same for a container snapshot (SNAPSHOT) or an image. */
int srfs_image_load_record(int catalog_fd, const char *name, bool snapshot,
			   struct srfs_image *img);
/* Writes the catalog record durably. */
int srfs_image_save(struct srfs_state *st, const struct srfs_image *img);
/* Removes the catalog record (durably); a missing one is not an error. */
int srfs_image_forget(struct srfs_state *st, const char *name, bool snapshot);

/* The dm name of the image's read-only device, or (BUILD) its writable one. */
int srfs_image_dm_name(const char *name, bool build, char *buf, size_t size);
/* The dm name of container ID's snapshot device: "srfs-snap:ID". */
int srfs_snapshot_dm_name(const char *id, char *buf, size_t size);

/* Removes the writable device of an image being built, if there is one (-EBUSY: held). */
int srfs_image_build_device_remove(const char *build_dm);

/* Logs that image NAME (a WHAT) is not sealed, and what clears it; -EINVAL. */
int srfs_image_unsealed_error(const char *what, const char *name);

/* image-create (lib/build.c). */
struct srfs_image_create_options {
	const char *pool;         /* a pool image; NULL with SOURCE */
	const char *source;       /* --source: an existing file system image or device */
	uint64_t size;            /* bytes; 0: the parent's */
	const char *fs;           /* "ext4" (default) or "xfs" */
	const char *mkfs_options; /* appended to mkfs's arguments */
	const char *from_tar;     /* a tar file, or "-" for standard input */
	const char *from_dir;
	const char *parent;
};

int srfs_image_create(const char *name, const struct srfs_image_create_options *o);

enum {
	SRFS_IMAGE_REMOVE_FORCE = 1 << 0,    /* forget it even when its pool cannot delete it */
	SRFS_IMAGE_REMOVE_UNSEALED = 1 << 1, /* only an image whose creation did not finish */
};
/* image-remove. */
int srfs_image_remove(const char *name, unsigned flags);

struct srfs_image_report {
	const struct srfs_image *image;
	bool active;
	unsigned shares;
	const char *context; /* the SELinux label it is active with ("" for none) */
};

/* Calls FN for each image (of POOL, or every one), sorted by name. */
int srfs_image_report(const char *pool,
		      int (*fn)(const struct srfs_image_report *report, void *userdata),
		      void *userdata);
