/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The catalog: the persistent records of pools, images and container
 * snapshots, under the catalog directory (state.h), and the names derived
 * from them.  The bottom layer: it reads and writes records and nothing
 * else; what acts on pools and images (pool.h, image.h, thinid.h) is above.
 *
 *   <catalog>/pools/NAME      a pool: its devices and table parameters
 *   <catalog>/images/NAME     an image: pool (thin id), file or block device
 *   <catalog>/snapshots/ID    a container's thin snapshot (rootfs-share --mode snapshot)
 *   <catalog>/layers/KEY      an OCI layer: a thin device holding it and every layer
 *                             below it (KEY: the hex digits of sha256("POOL CHAIN_ID"))
 *   <catalog>/configs/NAME    the OCI config of image NAME, verbatim
 *   <catalog>/intents/POOL    a pool's open thin id transaction (thinid.h)
 *
 * Device-mapper names: "srfs-NAME" for a pool (shortened with a hash when
 * too long; the record keeps the name), "srfs-img:NAME" for the read-only
 * device of an active image, "srfs-build:NAME" for the writable one while an
 * image is built, "srfs-snap:ID" for a container's snapshot.  Pool names
 * cannot contain ':', so none can be mistaken for a pool's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "name.h"
#include "state.h"
#include "veritytab.h"

#define SRFS_IMAGES_DIR "images"       /* <catalog>/images/NAME: the image records */
#define SRFS_SNAPSHOTS_DIR "snapshots" /* <catalog>/snapshots/ID: container snapshots */
/* <catalog>/pools/NAME: a pool's record (and <rundir>/pools/NAME: an active pool's loop devices). */
#define SRFS_POOLS_DIR "pools"
#define SRFS_INTENTS_DIR "intents" /* <catalog>/intents/POOL: open transactions */
#define SRFS_LAYERS_DIR "layers"   /* <catalog>/layers/KEY: OCI layers */
#define SRFS_CONFIGS_DIR "configs" /* <catalog>/configs/NAME: OCI configs of images */

/* ---- images ------------------------------------------------------------------------ */

enum srfs_image_kind {
	SRFS_IMAGE_POOL,
	SRFS_IMAGE_FILE,
	SRFS_IMAGE_BLOCK,
};

/* Which directory of the catalog a record is in. */
enum srfs_image_class {
	SRFS_CLASS_IMAGE,    /* images/NAME */
	SRFS_CLASS_SNAPSHOT, /* snapshots/ID */
	SRFS_CLASS_LAYER,    /* layers/KEY */
};

struct srfs_image {
	char name[SRFS_NAME_MAX + 1];
	enum srfs_image_kind kind;
	char pool[SRFS_NAME_MAX + 1];   /* pool images */
	uint64_t device_id;             /* pool images */
	char parent[SRFS_NAME_MAX + 1]; /* "" when none; a layer's: the layer below it */
	char *source;                   /* file and block images: absolute path */
	uint64_t size;                  /* bytes */
	char fs[32];                    /* ext4, xfs, erofs, squashfs, ... */
	bool sealed;
	uint64_t created; /* seconds since the epoch */
	/*
	 * SRFS_CLASS_SNAPSHOT: a container's thin snapshot (rootfs-share --mode
	 * snapshot) with the image as its PARENT.  RELEASED: its device was left
	 * to deferred removal; the thin id goes once it is gone.
	 */
	enum srfs_image_class cls;
	bool released;
	/* An image made from an OCI image: its top layer's KEY, its digests, its name. */
	char layer[SRFS_DIGEST_HEX + 1];
	char manifest[SRFS_DIGEST_MAX + 1];
	char config[SRFS_DIGEST_MAX + 1];
	char *ref; /* NULL when none */
	/*
	 * A layer (SRFS_CLASS_LAYER): its chain id and diff id, its tar stream's
	 * size.  Its record's name is the hex digits of sha256("POOL CHAIN_ID").
	 */
	char chain_id[SRFS_DIGEST_MAX + 1];
	char diff_id[SRFS_DIGEST_MAX + 1];
	uint64_t tar_size;
	/*
	 * dm-verity (veritytab.h).  VERITY: the image has a hash tree with a
	 * recorded root hash, in the thin device VERITY_DEVICE_ID of its pool or
	 * in the file VERITY_FILE, VERITY_SIZE bytes long.  A pool image with a
	 * VERITY_DEVICE but no VERITY is one whose image-verity did not finish.
	 */
	bool verity;
	bool verity_device;
	uint64_t verity_device_id;
	char *verity_file;
	uint64_t verity_size;
	struct srfs_verity_params verity_params;
	char root_hash[SRFS_VERITY_ROOT_HEX_MAX + 1];
};

void srfs_image_clear(struct srfs_image *img);
const char *srfs_image_kind_name(enum srfs_image_kind kind);

/* Loads the catalog record; -ENOENT (not logged) when the image is unknown. */
int srfs_image_load(int catalog_fd, const char *name, struct srfs_image *img);
/* The same for a record of any class. */
int srfs_image_load_record(int catalog_fd, const char *name, enum srfs_image_class cls,
			   struct srfs_image *img);
/* Writes the catalog record durably (in the directory of IMG->cls). */
int srfs_image_save(struct srfs_state *st, const struct srfs_image *img);
/*
 * Removes the catalog record (durably), and an image's OCI config; a
 * missing one is not an error.
 */
int srfs_image_forget(struct srfs_state *st, const char *name, enum srfs_image_class cls);
/* The catalog directory of records of class CLS. */
const char *srfs_image_class_dir(enum srfs_image_class cls);
/* "image", "snapshot of container" or "layer": what messages call a record of CLS. */
const char *srfs_image_class_name(enum srfs_image_class cls);

/* Writes image NAME's OCI config (LEN bytes of JSON) durably (imageconfig.h reads it). */
int srfs_image_config_save(struct srfs_state *st, const char *name, const char *json, size_t len);

/* The dm name of the image's read-only device, or (BUILD) its writable one. */
int srfs_image_dm_name(const char *name, bool build, char *buf, size_t size);
/* The dm name of container ID's snapshot device: "srfs-snap:ID". */
int srfs_snapshot_dm_name(const char *id, char *buf, size_t size);

/* ---- pools ------------------------------------------------------------------------- */

struct srfs_pool_device {
	char *path;   /* absolute */
	bool is_file; /* a regular file attached to a loop device */
	bool created; /* created by thinpool-create (removed by --wipe) */
	uint64_t size;
};

struct srfs_pool {
	char name[SRFS_NAME_MAX + 1];
	char dm_name[SRFS_DM_NAME_MAX + 1];
	struct srfs_pool_device data, metadata;
	uint64_t chunk_size; /* bytes */
	uint64_t low_water_mark; /* chunks */
	bool error_if_no_space, discard, zero_blocks;
	uint64_t created; /* seconds since the epoch */
};

void srfs_pool_clear(struct srfs_pool *pool);

/* Loads the catalog record; -ENOENT (not logged) when the pool is unknown. */
int srfs_pool_load(int catalog_fd, const char *name, struct srfs_pool *pool);
/* Writes the catalog record durably. */
int srfs_pool_save(struct srfs_state *st, const struct srfs_pool *pool);
/* Removes the catalog record (durably); a missing one is not an error. */
int srfs_pool_forget(struct srfs_state *st, const char *name);
/* The dm name of pool NAME's device: "srfs-NAME" (shortened when too long). */
int srfs_pool_dm_name(const char *name, char *buf, size_t size);
