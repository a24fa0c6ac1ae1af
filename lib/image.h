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
 * The record (struct srfs_image), its load and save and the dm names are
 * the catalog's (catalog.h); here are the operations on images.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "catalog.h"
#include "pooltx.h"
#include "state.h"

/* Removes the writable device of an image being built, if there is one (-EBUSY: held). */
int srfs_image_build_device_remove(const char *build_dm);

/* Removes the lower devices of verity pool image NAME (veritytab.h), if there are any. */
int srfs_image_verity_devices_remove(const char *name);
/* The same, each when its last user (the verity target) closes it. */
void srfs_image_verity_devices_remove_deferred(const char *name);
/*
 * Clears what an interrupted image-verity of pool image IMG left: its
 * devices and its hash area's thin id (through a pool transaction that the
 * caller holds, pooltx.h); IMG's record then has no hash tree.
 */
int srfs_image_verity_clear(struct srfs_state *st, const struct srfs_pool *pool,
			    struct srfs_image *img);

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
	const char *from_oci;     /* an OCI image layout, LAYOUT[:REF] */
	bool verity;              /* --verity: a hash tree for a pool image */
	const char *verity_file;  /* --source: the hash tree from veritysetup format ... */
	const char *root_hash;    /* ... and its root hash (hex) */
};

int srfs_image_create(const char *name, const struct srfs_image_create_options *o);

enum {
	SRFS_IMAGE_REMOVE_FORCE = 1 << 0,    /* forget it even when its pool cannot delete it */
	SRFS_IMAGE_REMOVE_UNSEALED = 1 << 1, /* only an image whose creation did not finish */
};
/* image-remove. */
int srfs_image_remove(const char *name, unsigned flags);

/*
 * Deletes the layers of the pool of TX (a transaction begun on an active
 * pool) that nothing uses (no image has it as its top layer, no layer sits
 * on it) or whose import died; until none is left.
 */
int srfs_layers_prune(struct srfs_state *st, const struct srfs_pool_tx *tx);
/*
 * Deletes the layer KEY of the pool of TX when nothing uses it (or its
 * import died), then each layer below it that nothing uses any more.
 */
int srfs_layer_drop_unused(struct srfs_state *st, const struct srfs_pool_tx *tx, const char *key);

/* Calls FN for each layer (of POOL, or every one) with the number of its users. */
int srfs_layer_report(const char *pool,
		      int (*fn)(const struct srfs_image *layer, unsigned users, void *userdata),
		      void *userdata);

struct srfs_image_report {
	const struct srfs_image *image;
	bool active;
	unsigned shares;
	const char *context; /* the SELinux label it is active with ("" for none) */
	bool corrupted;      /* a verity image whose target found a corrupt block */
};

/* Calls FN for each image (of POOL, or every one), sorted by name. */
int srfs_image_report(const char *pool,
		      int (*fn)(const struct srfs_image_report *report, void *userdata),
		      void *userdata);
