/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-verity (image-verity.h). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "crash.h"
#include "dm.h"
#include "image-verity.h"
#include "image.h"
#include "lock.h"
#include "log.h"
#include "path.h"
#include "probe.h"
#include "runtime.h"
#include "thinid.h"
#include "util.h"
#include "verity.h"

/* Bytes of a sha256 digest. */
#define DIGEST_SIZE 32

/* A thin device of POOL for thin id ID, LENGTH bytes, as DM_NAME; its /dev/dm-N into PATH. */
static int thin_device(const struct srfs_pool *pool, const char *dm_name, uint64_t id,
		       uint64_t length, bool read_only, char *path, size_t size)
{
	struct srfs_dm_info pool_info;
	char params[64];
	dev_t devno;
	int r = srfs_dm_info(pool->dm_name, &pool_info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", pool->dm_name);
	snprintf(params, sizeof(params), "%u:%u %" PRIu64, major(pool_info.devno),
		 minor(pool_info.devno), id);
	struct srfs_dm_target target = { .length = length / 512, .type = "thin", .params = params };
	r = srfs_dm_create(dm_name, &target, read_only, &devno);
	if (r < 0)
		return log_errno(r, "cannot create device %s", dm_name);
	snprintf(path, size, "/dev/dm-%u", minor(devno));
	return 0;
}

/*
 * Refuses a file system that reads blocks smaller than a verity target's
 * (4 KiB): it could not be mounted from it.
 */
static int check_block_size(const struct srfs_image *img, int fd)
{
	uint64_t size;
	int r = srfs_probe_block_size(fd, &size);
	if (r <= 0 || size >= SRFS_VERITY_BLOCK)
		return 0;
	log_error("image %s holds %s with %" PRIu64 "-byte blocks, which cannot be mounted from a "
		  "verity target's 4 KiB blocks (make it with mkfs.ext4 -b 4096 or mkfs.xfs -s "
		  "size=4096)",
		  img->name, img->fs, size);
	return -EINVAL;
}

/* Writes the tree of IMG's data into its hash area, through two devices made for it. */
static int write_pool_tree(const struct srfs_pool *pool, struct srfs_image *img, uint64_t blocks)
{
	char data_dm[SRFS_DM_NAME_MAX + 1], hash_dm[SRFS_DM_NAME_MAX + 1];
	char data[32], hash[32];
	int r = srfs_verity_dm_name(img->name, false, data_dm, sizeof(data_dm));
	if (r == 0)
		r = srfs_verity_dm_name(img->name, true, hash_dm, sizeof(hash_dm));
	if (r == 0)
		r = srfs_image_verity_devices_remove(img->name);
	if (r < 0)
		return r;
	r = thin_device(pool, data_dm, img->device_id, img->size, true, data, sizeof(data));
	if (r == 0)
		r = thin_device(pool, hash_dm, img->verity_device_id, img->verity_size, false, hash,
				sizeof(hash));
	if (r == 0) {
		_cleanup_close_ int fd = open(data, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? log_errno(negative_errno(), "cannot open %s", data)
			   : check_block_size(img, fd);
	}
	if (r == 0) {
		srfs_crash_point("image-verity:device");
		log_verbose("writing the hash tree of image %s (%" PRIu64 " blocks)", img->name, blocks);
		r = srfs_verity_format(data, hash, blocks, &img->verity_params, img->root_hash);
	}
	if (r == 0) {
		/* libcryptsetup closed it; what it wrote must be on the pool's disk. */
		_cleanup_close_ int fd = open(hash, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			r = log_errno(negative_errno(), "cannot write the hash tree of image %s",
				      img->name);
	}
	if (r == 0)
		srfs_crash_point("image-verity:format");
	int q = srfs_image_verity_devices_remove(img->name);
	return r < 0 ? r : q;
}

int srfs_image_verity_build(struct srfs_state *st, const struct srfs_pool *pool,
			    struct srfs_image *img)
{
	uint64_t blocks = img->size / SRFS_VERITY_BLOCK;
	int r;

	img->verity_size = srfs_verity_hash_area(blocks, SRFS_VERITY_BLOCK, DIGEST_SIZE);
	if (blocks == 0 || img->verity_size == 0) {
		log_error("image %s is too small for a hash tree", img->name);
		return -EINVAL;
	}
	r = srfs_thinid_create_hash(st, pool, img);
	if (r < 0)
		return r;
	r = write_pool_tree(pool, img, blocks);
	if (r < 0) {
		/* The image is as it was, without the hash area. */
		if (srfs_thinid_delete_hash(st, pool, img) == 0)
			log_verbose("removed the hash area of image %s again", img->name);
		return r;
	}
	srfs_crash_point("image-verity:release");
	return 0;
}

/* The hash tree of a pool image, through a pool transaction. */
static int verity_pool(struct srfs_state *st, const struct srfs_pool_tx *tx, const char *name,
		       struct srfs_image *img)
{
	int r = srfs_image_verity_clear(st, &tx->pool, img);
	if (r == 0)
		r = srfs_thinid_pool_usable(&tx->pool);
	if (r == 0)
		r = srfs_image_verity_build(st, &tx->pool, img);
	if (r < 0)
		return r;
	img->verity = true;
	r = srfs_image_save(st, img);
	if (r < 0)
		return r;
	log_verbose("image %s has a hash tree in thin device %" PRIu64 " of pool %s", name,
		    img->verity_device_id, img->pool);
	return 0;
}

/*
 * Creates HASH_FILE for the tree of a file image: a new file, root's, mode
 * 0644, that nothing else has opened; its descriptor.
 */
static int create_hash_file(const char *hash_file, uint64_t size)
{
	char q[SRFS_QUOTE_MAX];
	_cleanup_close_ int fd = open(hash_file, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				      0644);
	if (fd < 0 && errno == EEXIST) {
		log_error("%s exists already (remove it, or give another --hash-file)",
			  srfs_quote(q, sizeof(q), hash_file));
		return -EEXIST;
	}
	if (fd < 0)
		return log_errno(negative_errno(), "cannot create %s",
				 srfs_quote(q, sizeof(q), hash_file));
	if (fchmod(fd, 0644) < 0 || ftruncate(fd, (off_t)size) < 0) {
		int r = log_errno(negative_errno(), "cannot size %s", hash_file);
		unlink(hash_file);
		return r;
	}
	return TAKE_FD(fd);
}

/* The hash tree of a file (or block) image in a file of its own. */
static int verity_file(struct srfs_state *st, struct srfs_image *img, const char *hash_file)
{
	_cleanup_free_ char *default_path = NULL;
	_cleanup_close_ int data_fd = -1, hash_fd = -1;
	char data[64], hash[64];
	struct stat s;
	int r;

	if (!hash_file && img->kind == SRFS_IMAGE_BLOCK) {
		log_error("image %s is a block device: give the hash tree's file with --hash-file",
			  img->name);
		return -EINVAL;
	}
	if (!hash_file) {
		if (asprintf(&default_path, "%s.verity", img->source) < 0)
			return log_errno(-ENOMEM, "cannot name the hash file of image %s", img->name);
		hash_file = default_path;
	}
	if (img->kind == SRFS_IMAGE_FILE) {
		data_fd = srfs_source_open(img->source, NULL, &s);
		if (data_fd < 0)
			return data_fd;
		if ((uint64_t)s.st_size != img->size) {
			log_error("image file %s has %" PRIu64 " bytes, not the %" PRIu64
				  " image %s was registered with",
				  img->source, (uint64_t)s.st_size, img->size, img->name);
			return -EINVAL;
		}
	} else {
		data_fd = open(img->source, O_RDONLY | O_CLOEXEC);
		if (data_fd < 0)
			return log_errno(negative_errno(), "cannot open %s", img->source);
	}
	r = check_block_size(img, data_fd);
	if (r < 0)
		return r;
	if (img->size % SRFS_VERITY_BLOCK) {
		log_error("image %s has %" PRIu64 " bytes, not a whole number of 4 KiB blocks: it "
			  "cannot have a hash tree",
			  img->name, img->size);
		return -EINVAL;
	}
	uint64_t blocks = img->size / SRFS_VERITY_BLOCK;
	img->verity_size = srfs_verity_hash_area(blocks, SRFS_VERITY_BLOCK, DIGEST_SIZE);
	if (img->verity_size == 0) {
		log_error("image %s is too small for a hash tree", img->name);
		return -EINVAL;
	}
	hash_fd = create_hash_file(hash_file, img->verity_size);
	if (hash_fd < 0)
		return hash_fd;
	/* Through the descriptors: what was checked is what is read and written. */
	snprintf(data, sizeof(data), "/proc/self/fd/%d", data_fd);
	snprintf(hash, sizeof(hash), "/proc/self/fd/%d", hash_fd);
	r = srfs_verity_format(data, hash, blocks, &img->verity_params, img->root_hash);
	if (r == 0 && fsync(hash_fd) < 0)
		r = log_errno(negative_errno(), "cannot write %s", hash_file);
	if (r == 0 && !(img->verity_file = realpath(hash_file, NULL)))
		r = log_errno(negative_errno(), "cannot resolve %s", hash_file);
	if (r == 0) {
		srfs_crash_point("image-verity:file");
		img->verity = true;
		r = srfs_image_save(st, img);
	}
	if (r < 0) {
		unlink(hash_file);
		img->verity = false;
	}
	return r;
}

int srfs_image_verity(const char *name, const struct srfs_image_verity_options *o,
		      char *root_hash)
{
	static const struct srfs_image_verity_options defaults = { 0 };
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_pool_tx_ struct srfs_pool_tx tx = SRFS_POOL_TX_INIT;
	_cleanup_lock_ struct srfs_lock image_lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
	_cleanup_(srfs_active_image_clear) struct srfs_active_image active = { 0 };
	int r;

	if (!o)
		o = &defaults;
	r = srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CATALOG | SRFS_STATE_CREATE);
	if (r == 0)
		r = srfs_pool_tx_begin(&st, NULL, 0, &tx);
	if (r == 0)
		r = srfs_image_load(st.catalog_fd, name, &img);
	if (r == -ENOENT)
		log_error("unknown image %s", name);
	if (r < 0)
		return r;
	if (img.kind == SRFS_IMAGE_POOL && o->hash_file) {
		log_error("image %s is in pool %s: its hash tree goes into the pool, not into a "
			  "--hash-file",
			  name, img.pool);
		return -EINVAL;
	}
	if (img.kind == SRFS_IMAGE_POOL && (r = srfs_dm_available(false)) < 0)
		return r;
	/* The pool's lock comes before the image's (lock.h); the recovery may change IMG. */
	if (img.kind == SRFS_IMAGE_POOL &&
	    (r = srfs_pool_tx_begin(&st, img.pool, SRFS_POOL_TX_ACTIVE | SRFS_POOL_TX_RECOVER,
				    &tx)) < 0)
		return r;
	r = srfs_lock_take(&image_lock, &st, SRFS_LOCK_IMAGE, name, false);
	if (r == 0)
		r = srfs_image_load(st.catalog_fd, name, &img);
	if (r == -ENOENT)
		log_error("unknown image %s", name);
	if (r < 0)
		return r;
	if (img.verity) {
		if (o->hash_file && img.verity_file) {
			_cleanup_free_ char *given = realpath(o->hash_file, NULL);
			if (!given || !streq(given, img.verity_file)) {
				log_error("image %s has a hash tree already, in %s", name,
					  img.verity_file);
				return -EEXIST;
			}
		}
		snprintf(root_hash, SRFS_VERITY_ROOT_HEX_MAX + 1, "%s", img.root_hash);
		return 0;
	}
	if (!img.sealed)
		return srfs_image_unsealed_error("image", name);
	r = srfs_active_image_load(&st, name, &active);
	if (r == 0) {
		log_error("image %s is active: deactivate it first (image-deactivate %s), so that "
			  "its next activation is verified",
			  name, name);
		return -EBUSY;
	}
	if (r != -ENOENT)
		return r;
	if (img.kind == SRFS_IMAGE_POOL)
		r = verity_pool(&st, &tx, name, &img);
	else
		r = verity_file(&st, &img, o->hash_file);
	if (r < 0)
		return r;
	snprintf(root_hash, SRFS_VERITY_ROOT_HEX_MAX + 1, "%s", img.root_hash);
	log_verbose("image %s: root hash %s", name, img.root_hash);
	return 0;
}

int srfs_image_verity_register(struct srfs_image *img, int data_fd, const char *hash_file,
			       const char *root_hash)
{
	char data[64], hash[64];
	struct stat s;
	int r;

	if (srfs_verity_hex(root_hash, SRFS_VERITY_DIGEST_MAX, img->root_hash,
			    sizeof(img->root_hash)) < 0) {
		log_error("invalid root hash '%s' (hex digits)", root_hash);
		return -EINVAL;
	}
	_cleanup_close_ int hash_fd = srfs_source_open(hash_file, &img->verity_file, &s);
	if (hash_fd < 0)
		return hash_fd;
	img->verity_size = (uint64_t)s.st_size;
	snprintf(data, sizeof(data), "/proc/self/fd/%d", data_fd);
	snprintf(hash, sizeof(hash), "/proc/self/fd/%d", hash_fd);
	r = srfs_verity_load(data, hash, img->root_hash, img->source, img->verity_file,
			     &img->verity_params);
	if (r < 0)
		return r;
	if (img->verity_params.data_blocks * img->verity_params.data_block_size != img->size) {
		log_error("the hash tree %s covers %" PRIu64 " bytes, but %s has %" PRIu64,
			  img->verity_file,
			  img->verity_params.data_blocks * img->verity_params.data_block_size,
			  img->source, img->size);
		return -EINVAL;
	}
	img->verity = true;
	return 0;
}
