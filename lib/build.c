/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-create: new images in a pool, and images registered from a file or device. */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "crash.h"
#include "dm.h"
#include "image-verity.h"
#include "image.h"
#include "lock.h"
#include "log.h"
#include "path.h"
#include "pooltx.h"
#include "oci.h"
#include "populate.h"
#include "probe.h"
#include "size.h"
#include "run.h"
#include "sha256.h"
#include "thinid.h"
#include "util.h"

/* Where image-create mounts an image it fills (in its own mount namespace). */
#define BUILD_DIR "build"

/* File systems an image may hold: what mounts read-only without writing. */
static const char *const known_fs[] = { "ext4", "ext3", "ext2", "xfs", "erofs", "squashfs" };

static bool known_filesystem(const char *fs)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_fs); i++)
		if (streq(fs, known_fs[i]))
			return true;
	return false;
}

/* ---- image-create --------------------------------------------------------------- */

/* mkfs.FS on DEVICE: no lazy initialisation and no discard, so a sealed image is complete. */
static int make_filesystem(const char *fs, const char *mkfs_options, const char *device)
{
	_cleanup_free_ char *opts = strdup(mkfs_options ? mkfs_options : "");
	char program[48];
	char *argv[64];
	size_t n = 0;

	if (!opts)
		return -ENOMEM;
	snprintf(program, sizeof(program), "mkfs.%s", fs);
	argv[n++] = program;
	argv[n++] = (char *)"-q";
	/*
	 * 4 KiB blocks (and xfs sectors) whatever the size: a dm-verity target
	 * (image-verity) reads 4 KiB blocks, and a file system with smaller ones
	 * cannot be mounted from it.
	 */
	if (streq(fs, "xfs")) {
		argv[n++] = (char *)"-K";
		argv[n++] = (char *)"-s";
		argv[n++] = (char *)"size=4096";
	} else {
		argv[n++] = (char *)"-b";
		argv[n++] = (char *)"4096";
		argv[n++] = (char *)"-E";
		argv[n++] = (char *)"lazy_itable_init=0,lazy_journal_init=0,nodiscard";
	}
	for (char *save = NULL, *tok = strtok_r(opts, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (n >= ARRAY_SIZE(argv) - 2) {
			log_error("too many --mkfs-options");
			return -E2BIG;
		}
		argv[n++] = tok;
	}
	argv[n++] = (char *)device;
	argv[n] = NULL;
	log_verbose("making a %s file system on %s", fs, device);
	return srfs_run_program(argv);
}

/* What image-create works with after checking its arguments. */
struct build {
	const struct srfs_image_create_options *o;
	struct srfs_state st;
	struct srfs_pool_tx tx; /* the catalog and pool locks, the pool */
	struct srfs_lock image_lock;
	struct srfs_image img;
	struct srfs_image parent;
	char build_dm[SRFS_DM_NAME_MAX + 1];
	char device[32]; /* /dev/dm-N of the writable device */
	int tar_fd;      /* --from-tar */
	char *mount_dir; /* <rundir>/build/NAME */
	bool thin_made, device_made, mounted;
	/* --from-oci: the image read from the layout, and the layer being unpacked (or NULL). */
	struct srfs_oci_image oci;
	const struct srfs_oci_layer *layer;
};

/* The writable device of the image being built, by its thin id. */
static int build_device_create(struct build *b)
{
	struct srfs_dm_info pool_info;
	char params[64];
	dev_t devno;
	int r;

	r = srfs_dm_info(b->tx.pool.dm_name, &pool_info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", b->tx.pool.dm_name);
	snprintf(params, sizeof(params), "%u:%u %" PRIu64, major(pool_info.devno),
		 minor(pool_info.devno), b->img.device_id);
	struct srfs_dm_target target = {
		.length = b->img.size / 512, .type = "thin", .params = params
	};
	r = srfs_dm_create(b->build_dm, &target, false, &devno);
	if (r < 0)
		return log_errno(r, "cannot create device %s for image %s", b->build_dm,
				 b->img.name);
	b->device_made = true;
	snprintf(b->device, sizeof(b->device), "/dev/dm-%u", minor(devno));
	return 0;
}

/*
 * Mounts the new file system read-write, in a mount namespace of this
 * process alone: nobody else sees it, and it cannot outlive the process.
 */
static int build_mount(struct build *b, int *root_fd)
{
	_cleanup_close_ int dir = -1;
	int r;

	r = srfs_state_subdir(b->st.run_fd, b->st.run_path, BUILD_DIR, true, &dir);
	if (r < 0)
		return r;
	if (mkdirat(dir, b->img.name, 0700) < 0 && errno != EEXIST)
		return log_errno(negative_errno(), "cannot create a mount point for image %s",
				 b->img.name);
	b->mount_dir = srfs_path_join(b->st.run_path, BUILD_DIR);
	char *full = b->mount_dir ? srfs_path_join(b->mount_dir, b->img.name) : NULL;
	free(b->mount_dir);
	b->mount_dir = full;
	if (!b->mount_dir)
		return log_errno(-ENOMEM, "cannot mount image %s", b->img.name);
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return log_errno(negative_errno(), "cannot make a private mount namespace");
	if (mount(b->device, b->mount_dir, b->img.fs, MS_NOSUID | MS_NODEV, NULL) < 0)
		return log_errno(negative_errno(), "cannot mount the new %s file system of image %s",
				 b->img.fs, b->img.name);
	b->mounted = true;
	*root_fd = open(b->mount_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*root_fd < 0)
		return log_errno(negative_errno(), "cannot open %s", b->mount_dir);
	return 0;
}

static int build_unmount(struct build *b)
{
	if (!b->mounted)
		return 0;
	b->mounted = false;
	if (umount2(b->mount_dir, 0) < 0)
		return log_errno(negative_errno(), "cannot unmount image %s from %s", b->img.name,
				 b->mount_dir);
	return 0;
}

static void build_dir_remove(const struct build *b)
{
	_cleanup_close_ int dir = -1;
	if (srfs_state_subdir(b->st.run_fd, b->st.run_path, BUILD_DIR, false, &dir) == 0)
		unlinkat(dir, b->img.name, AT_REMOVEDIR);
}

/* Unpacks the OCI layer B->layer, checking the blob's digest and size and the tar's diff id. */
static int fill_layer(struct build *b, int root_fd)
{
	const struct srfs_oci_layer *l = b->layer;
	struct srfs_layer_digests got;
	_cleanup_close_ int fd = srfs_oci_blob_open(&b->oci, l->digest);
	int r;

	if (fd < 0)
		return fd;
	char name[PATH_MAX];
	snprintf(name, sizeof(name), "%s: layer %s", b->oci.layout, l->digest);
	/* A stream longer than twice the device cannot be unpacked into it: stop there. */
	r = srfs_populate_layer(root_fd, fd, name, l->compression, l->size, 2 * b->img.size, &got);
	if (r < 0)
		return r;
	if (!streq(got.blob, l->digest) || got.blob_size != l->size) {
		log_error("%s: layer %s changed while it was read (%" PRIu64 " bytes hashing to %s)",
			  b->oci.layout, l->digest, got.blob_size, got.blob);
		return -EBADMSG;
	}
	if (!streq(got.tar, l->diff_id)) {
		log_error("%s: layer %s unpacks to %s, not to the config's diff_id %s", b->oci.layout,
			  l->digest, got.tar, l->diff_id);
		return -EBADMSG;
	}
	b->img.tar_size = got.tar_size;
	return 0;
}

static int fill(struct build *b)
{
	_cleanup_close_ int root_fd = -1;
	int r;

	r = build_mount(b, &root_fd);
	if (r < 0)
		return r;
	if (b->layer)
		r = fill_layer(b, root_fd);
	else if (b->o->from_tar)
		r = srfs_populate_tar(root_fd, b->tar_fd,
				      streq(b->o->from_tar, "-") ? "standard input" : b->o->from_tar,
				      b->parent.name[0] != '\0');
	else if (b->o->from_dir)
		r = srfs_populate_dir(root_fd, b->o->from_dir);
	if (r == 0 && !b->layer)
		r = srfs_populate_mount_points(root_fd);
	if (r == 0 && syncfs(root_fd) < 0)
		r = log_errno(negative_errno(), "cannot write image %s to its device", b->img.name);
	if (r < 0)
		return r;
	srfs_crash_point("image-create:populate");
	closep(&root_fd);
	return build_unmount(b);
}

/*
 * Clears what an interrupted image-create of NAME left (we hold its lock, so
 * its creator is gone): the writable device, the thin device, the record.
 */
static int clear_incomplete(struct build *b, const struct srfs_image *old)
{
	int r;

	log_info("removing what an interrupted image-create of %s left", old->name);
	r = srfs_image_build_device_remove(b->build_dm);
	if (r == 0)
		r = srfs_thinid_delete(&b->st, &b->tx.pool, old);
	if (r == 0)
		build_dir_remove(b);
	return r;
}

static int open_input(struct build *b)
{
	char q[SRFS_QUOTE_MAX];
	struct stat s;

	if (!b->o->from_tar)
		return 0;
	if (streq(b->o->from_tar, "-")) {
		b->tar_fd = dup(STDIN_FILENO);
		if (b->tar_fd < 0)
			return log_errno(negative_errno(), "cannot read standard input");
		return 0;
	}
	b->tar_fd = open(b->o->from_tar, O_RDONLY | O_CLOEXEC);
	if (b->tar_fd < 0)
		return log_errno(negative_errno(), "cannot open %s",
				 srfs_quote(q, sizeof(q), b->o->from_tar));
	if (fstat(b->tar_fd, &s) == 0 && S_ISDIR(s.st_mode)) {
		log_error("%s is a directory (use --from-dir)",
			  srfs_quote(q, sizeof(q), b->o->from_tar));
		return -EISDIR;
	}
	return 0;
}

static int check_from_dir(const char *dir)
{
	char q[SRFS_QUOTE_MAX];
	struct stat s;

	if (stat(dir, &s) < 0)
		return log_errno(negative_errno(), "cannot use %s", srfs_quote(q, sizeof(q), dir));
	if (!S_ISDIR(s.st_mode)) {
		log_error("%s is not a directory", srfs_quote(q, sizeof(q), dir));
		return -ENOTDIR;
	}
	return 0;
}

/* Undoes a failed build, in reverse. */
static void build_undo(struct build *b)
{
	if (b->mounted && build_unmount(b) < 0)
		return;
	if (b->device_made && srfs_image_build_device_remove(b->build_dm) < 0)
		return;
	build_dir_remove(b);
	if (b->thin_made && srfs_thinid_delete(&b->st, &b->tx.pool, &b->img) == 0)
		log_verbose("removed the thin device of image %s again", b->img.name);
}

static void build_clear(struct build *b)
{
	closep(&b->tar_fd);
	srfs_oci_image_clear(&b->oci);
	free(b->mount_dir);
	b->mount_dir = NULL;
	srfs_image_clear(&b->img);
	srfs_image_clear(&b->parent);
	srfs_lock_release(&b->image_lock);
	srfs_pool_tx_end(&b->tx);
	srfs_state_close(&b->st);
}

/* The state, the pool transaction (the pool active and recovered) and the image's lock. */
static int build_begin(struct build *b, const char *name)
{
	int r = srfs_dm_available(false);
	if (r == 0)
		r = srfs_state_open(&b->st, SRFS_STATE_RUN | SRFS_STATE_CATALOG | SRFS_STATE_CREATE);
	if (r == 0)
		r = srfs_pool_tx_begin(&b->st, b->o->pool,
				       SRFS_POOL_TX_ACTIVE | SRFS_POOL_TX_RECOVER, &b->tx);
	if (r == 0)
		r = srfs_lock_take(&b->image_lock, &b->st, SRFS_LOCK_IMAGE, name, false);
	if (r == 0)
		r = srfs_image_dm_name(name, true, b->build_dm, sizeof(b->build_dm));
	return r;
}

/* Refuses an image NAME that exists; clears what an interrupted creation of it left. */
static int clear_old(struct build *b, const char *name)
{
	_cleanup_(srfs_image_clear) struct srfs_image old = { 0 };
	int r = srfs_image_load(b->st.catalog_fd, name, &old);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (old.sealed || old.kind != SRFS_IMAGE_POOL || !streq(old.pool, b->o->pool)) {
		log_error("image %s already exists", name);
		return -EEXIST;
	}
	return clear_incomplete(b, &old);
}

/* The new image's record (not yet sealed): its own file system, or its parent's. */
static int describe_image(struct build *b, const char *name)
{
	const struct srfs_image_create_options *o = b->o;
	struct srfs_image *img = &b->img;
	int r;

	snprintf(img->name, sizeof(img->name), "%s", name);
	snprintf(img->pool, sizeof(img->pool), "%s", o->pool);
	img->kind = SRFS_IMAGE_POOL;
	img->created = (uint64_t)time(NULL);
	if (!o->parent) {
		snprintf(img->fs, sizeof(img->fs), "%s", o->fs);
		img->size = (o->size + 4095) / 4096 * 4096;
		return 0;
	}
	r = srfs_image_load(b->st.catalog_fd, o->parent, &b->parent);
	if (r == -ENOENT)
		log_error("unknown parent image %s", o->parent);
	if (r < 0)
		return r;
	if (b->parent.kind != SRFS_IMAGE_POOL || !streq(b->parent.pool, o->pool)) {
		log_error("parent image %s is not in pool %s", o->parent, o->pool);
		return -EINVAL;
	}
	if (!b->parent.sealed)
		return srfs_image_unsealed_error("parent image", o->parent);
	snprintf(img->parent, sizeof(img->parent), "%s", o->parent);
	snprintf(img->fs, sizeof(img->fs), "%s", b->parent.fs);
	img->size = b->parent.size;
	return 0;
}

/* The thin device and the record, as one transaction with the pool. */
static int make_thin(struct build *b)
{
	char origin_dm[SRFS_DM_NAME_MAX + 1];
	struct srfs_dm_info info;
	int r;

	if (!b->o->parent)
		return srfs_thinid_create(&b->st, &b->tx.pool, &b->img, NULL, NULL);
	r = srfs_image_dm_name(b->o->parent, false, origin_dm, sizeof(origin_dm));
	if (r == 0)
		r = srfs_dm_info(origin_dm, &info);
	if (r < 0)
		return r;
	return srfs_thinid_create(&b->st, &b->tx.pool, &b->img, &b->parent.device_id,
				  info.exists ? origin_dm : "");
}

/* The file system made and filled through the writable device, then the image sealed. */
static int build_and_seal(struct build *b)
{
	int r = build_device_create(b);
	if (r < 0)
		return r;
	srfs_crash_point("image-create:device");
	if (!b->img.parent[0] && !b->img.layer[0]) {
		r = make_filesystem(b->img.fs, b->o->mkfs_options, b->device);
		if (r < 0)
			return r;
		srfs_crash_point("image-create:mkfs");
	}
	r = fill(b);
	if (r == 0)
		r = srfs_image_build_device_remove(b->build_dm);
	if (r < 0)
		return r;
	b->device_made = false;
	build_dir_remove(b);
	srfs_crash_point("image-create:unmount");
	if (b->img.config[0]) {
		r = srfs_image_config_save(&b->st, b->img.name, b->oci.config_json,
					   b->oci.config_len);
		if (r < 0)
			return r;
		srfs_crash_point("image-create:config");
	}
	/* (An OCI image's layers have no hash tree: the image made of them has.) */
	if (b->o->verity && !b->layer) {
		r = srfs_image_verity_build(&b->st, &b->tx.pool, &b->img);
		if (r < 0)
			return r;
		b->img.verity = true;
	}
	b->img.sealed = true;
	return srfs_image_save(&b->st, &b->img);
}

/* Undoes a failed build_and_seal, saying so when the pool filled up. */
static void build_failed(struct build *b)
{
	struct srfs_thin_pool_status status;
	bool full = srfs_thinid_pool_status(&b->tx.pool, &status) == 0 &&
		    (streq(status.mode, "out_of_data_space") || status.data_used >= status.data_total);

	b->img.sealed = false;
	build_undo(b);
	if (full && b->layer)
		log_error("pool %s is full: layer %s did not fit, and the image was not created",
			  b->o->pool, b->img.chain_id);
	else if (full)
		log_error("pool %s is full: image %s did not fit and was not created", b->o->pool,
			  b->img.name);
}

static int create_in_pool(const char *name, const struct srfs_image_create_options *o)
{
	_cleanup_(build_clear) struct build b = {
		.o = o, .st = SRFS_STATE_INIT, .tx = SRFS_POOL_TX_INIT,
		.image_lock = SRFS_LOCK_INIT, .tar_fd = -1,
	};
	char size_text[32];
	int r;

	/* Everything that can be checked before anything changes. */
	if (!streq(o->fs, "ext4") && !streq(o->fs, "xfs")) {
		log_error("unsupported file system '%s' (ext4 or xfs)", o->fs);
		return -EINVAL;
	}
	if (o->from_dir && (r = check_from_dir(o->from_dir)) < 0)
		return r;
	r = open_input(&b);
	if (r == 0)
		r = build_begin(&b, name);
	if (r == 0)
		r = clear_old(&b, name);
	if (r == 0)
		r = describe_image(&b, name);
	if (r == 0)
		r = srfs_thinid_pool_usable(&b.tx.pool);
	if (r == 0)
		r = make_thin(&b);
	if (r < 0)
		return r;
	b.thin_made = true;

	r = build_and_seal(&b);
	if (r < 0) {
		build_failed(&b);
		return r;
	}
	log_info("image %s created in pool %s (thin device %" PRIu64 ", %s, %s%s%s)", name,
		 o->pool, b.img.device_id, b.img.fs,
		 srfs_size_format(size_text, sizeof(size_text), b.img.size),
		 o->parent ? ", on top of " : "", o->parent ? o->parent : "");
	if (b.img.verity)
		log_info("image %s: root hash %s", name, b.img.root_hash);
	return 0;
}

/* ---- image-create --from-oci -------------------------------------------------------- */

/* Default size of a base layer's device: room for the image's layers, unpacked. */
#define OCI_MIN_SIZE (1ull << 30)
#define OCI_SIZE_FACTOR 4

/*
 * The catalog name of layer CHAIN_ID in POOL: the hex digits of the sha256
 * of "POOL CHAIN_ID".  One name per pool: two pools never share a thin id.
 */
static int layer_name(const char *pool, const char *chain_id, char out[SRFS_DIGEST_HEX + 1])
{
	char text[SRFS_NAME_MAX + SRFS_DIGEST_MAX + 2], digest[SRFS_DIGEST_MAX + 1];
	int r;

	snprintf(text, sizeof(text), "%s %s", pool, chain_id);
	r = srfs_sha256_buffer(text, strlen(text), digest);
	if (r < 0)
		return log_errno(r, "cannot name a layer");
	snprintf(out, SRFS_DIGEST_HEX + 1, "%s", srfs_digest_hex(digest));
	return 0;
}

/* Makes B's working fields ready for the next item (layer or image). */
static void item_reset(struct build *b)
{
	srfs_image_clear(&b->img);
	free(b->mount_dir);
	b->mount_dir = NULL;
	b->thin_made = b->device_made = b->mounted = false;
	b->layer = NULL;
}

/* Reads the blob of layer L whole and checks it, before anything is made from it. */
static int verify_blob(const struct build *b, const struct srfs_oci_layer *l)
{
	_cleanup_close_ int fd = srfs_oci_blob_open(&b->oci, l->digest);
	struct srfs_sha256 *h;
	char buf[128 * 1024], digest[SRFS_DIGEST_MAX + 1];
	uint64_t size = 0;
	ssize_t n = 0;

	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size != l->size) {
		log_error("%s: layer %s is %" PRIu64 " bytes, not %" PRIu64 " as the manifest says "
			  "(truncated or replaced)", b->oci.layout, l->digest, (uint64_t)st.st_size,
			  l->size);
		return -EBADMSG;
	}
	if (!(h = srfs_sha256_new()))
		return log_errno(-ENOMEM, "cannot check layer %s", l->digest);
	/* (At most one byte more than the descriptor says: a file that grows is not read on.) */
	while (size <= l->size &&
	       ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0) {
			srfs_sha256_update(h, buf, (size_t)n);
			size += (uint64_t)n;
		}
	if (size > l->size)
		n = 0;
	if (n < 0) {
		int r = negative_errno();
		srfs_sha256_free(h);
		return log_errno(r, "%s: cannot read layer %s", b->oci.layout, l->digest);
	}
	srfs_sha256_final(h, digest);
	if (size != l->size) {
		log_error("%s: layer %s is %" PRIu64 " bytes, not %" PRIu64 " as the manifest says "
			  "(truncated or replaced)", b->oci.layout, l->digest, size, l->size);
		return -EBADMSG;
	}
	if (!streq(digest, l->digest)) {
		log_error("%s: layer %s does not match its digest (it hashes to %s)", b->oci.layout,
			  l->digest, digest);
		return -EBADMSG;
	}
	return 0;
}

/*
 * The layer record NAME: 1 when it is sealed (reused), 0 when there is none
 * (what an interrupted import left of it is removed first).
 */
static int find_layer(struct build *b, const char *name, struct srfs_image *layer)
{
	char build_dm[SRFS_DM_NAME_MAX + 1];
	int r = srfs_image_load_record(b->st.catalog_fd, name, SRFS_CLASS_LAYER, layer);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (layer->sealed)
		return 1;
	log_info("removing what an interrupted import left of layer %s", layer->chain_id);
	r = srfs_image_dm_name(name, true, build_dm, sizeof(build_dm));
	if (r == 0)
		r = srfs_image_build_device_remove(build_dm);
	if (r == 0)
		r = srfs_thinid_delete(&b->st, &b->tx.pool, layer);
	if (r == 0) {
		_cleanup_close_ int dir = -1;
		if (srfs_state_subdir(b->st.run_fd, b->st.run_path, BUILD_DIR, false, &dir) == 0)
			unlinkat(dir, name, AT_REMOVEDIR);
	}
	srfs_image_clear(layer);
	return r;
}

/* Makes the thin device of B->img as a snapshot of ORIGIN (or new), fills and seals it. */
static int make_item(struct build *b, const struct srfs_image *origin)
{
	int r = srfs_image_dm_name(b->img.name, true, b->build_dm, sizeof(b->build_dm));
	if (r == 0)
		r = srfs_thinid_pool_usable(&b->tx.pool);
	if (r == 0)
		r = srfs_thinid_create(&b->st, &b->tx.pool, &b->img,
				       origin ? &origin->device_id : NULL, origin ? "" : NULL);
	if (r < 0)
		return r;
	b->thin_made = true;
	r = build_and_seal(b);
	if (r < 0)
		build_failed(b);
	return r;
}

/* Unpacks layer I as a snapshot of PARENT (the layer below; NULL for the first). */
static int make_layer(struct build *b, size_t i, const char *name, const struct srfs_image *parent)
{
	const struct srfs_oci_layer *l = &b->oci.layers[i];
	struct srfs_image *img = &b->img;
	int r;

	item_reset(b);
	b->layer = l;
	*img = (struct srfs_image){ .kind = SRFS_IMAGE_POOL, .cls = SRFS_CLASS_LAYER,
				    .created = (uint64_t)time(NULL) };
	snprintf(img->name, sizeof(img->name), "%s", name);
	snprintf(img->pool, sizeof(img->pool), "%s", b->o->pool);
	snprintf(img->diff_id, sizeof(img->diff_id), "%s", l->diff_id);
	snprintf(img->chain_id, sizeof(img->chain_id), "%s", l->chain_id);
	if (parent) {
		snprintf(img->parent, sizeof(img->parent), "%s", parent->name);
		snprintf(img->fs, sizeof(img->fs), "%s", parent->fs);
		img->size = parent->size;
	} else {
		uint64_t want = 0;
		for (size_t k = 0; k < b->oci.n_layers; k++)
			want += b->oci.layers[k].size * OCI_SIZE_FACTOR;
		snprintf(img->fs, sizeof(img->fs), "%s", b->o->fs);
		img->size = b->o->size ? b->o->size : want > OCI_MIN_SIZE ? want : OCI_MIN_SIZE;
		img->size = (img->size + (1u << 20) - 1) / (1u << 20) * (1u << 20);
	}
	log_verbose("unpacking layer %zu of %zu, %s (%s)", i + 1, b->oci.n_layers, l->digest,
		    srfs_oci_compression_name(l->compression));
	r = make_item(b, parent);
	if (r == 0)
		srfs_crash_point("image-create:layer");
	return r;
}

/* The image itself: a snapshot of its top layer TOP, with the mount points. */
static int make_oci_image(struct build *b, const char *name, const struct srfs_image *top)
{
	struct srfs_image *img = &b->img;

	item_reset(b);
	*img = (struct srfs_image){ .kind = SRFS_IMAGE_POOL, .cls = SRFS_CLASS_IMAGE,
				    .created = (uint64_t)time(NULL), .size = top->size };
	snprintf(img->name, sizeof(img->name), "%s", name);
	snprintf(img->pool, sizeof(img->pool), "%s", b->o->pool);
	snprintf(img->fs, sizeof(img->fs), "%s", top->fs);
	snprintf(img->layer, sizeof(img->layer), "%.64s", top->name);
	snprintf(img->manifest, sizeof(img->manifest), "%s", b->oci.manifest);
	snprintf(img->config, sizeof(img->config), "%s", b->oci.config);
	if (b->oci.ref && !(img->ref = strdup(b->oci.ref)))
		return log_errno(-ENOMEM, "cannot create image %s", name);
	return make_item(b, top);
}

static int create_from_oci(const char *name, const struct srfs_image_create_options *o)
{
	_cleanup_(build_clear) struct build b = {
		.o = o, .st = SRFS_STATE_INIT, .tx = SRFS_POOL_TX_INIT,
		.image_lock = SRFS_LOCK_INIT, .tar_fd = -1, .oci = SRFS_OCI_IMAGE_INIT,
	};
	_cleanup_(srfs_image_clear) struct srfs_image below = { 0 };
	size_t n, first_new;
	char (*names)[SRFS_DIGEST_HEX + 1] = NULL;
	bool *made = NULL; /* the layers this import unpacked */
	char size_text[32];
	int r;

	/* The layout is read and checked whole before anything changes. */
	r = srfs_oci_image_open(o->from_oci, NULL, &b.oci);
	if (r < 0)
		return r;
	n = b.oci.n_layers;
	names = calloc(n, sizeof(*names));
	made = calloc(n, sizeof(*made));
	if (!names || !made) {
		free(names);
		free(made);
		return log_errno(-ENOMEM, "cannot create image %s", name);
	}
	r = build_begin(&b, name);
	if (r == 0)
		r = clear_old(&b, name);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = layer_name(o->pool, b.oci.layers[i].chain_id, names[i]);
	if (r < 0)
		goto out;

	/* The layers the pool has already, lowest first: each one's parent is there too. */
	for (first_new = 0; first_new < n; first_new++) {
		_cleanup_(srfs_image_clear) struct srfs_image l = { 0 };
		r = find_layer(&b, names[first_new], &l);
		if (r <= 0)
			break;
		srfs_image_clear(&below);
		below = l;
		l = (struct srfs_image){ 0 };
	}
	if (r < 0)
		goto out;
	r = 0;
	if (first_new > 0 && o->size && below.size != o->size)
		log_verbose("the pool has the base layer already: its size (%" PRIu64 " bytes) is "
			    "used", below.size);
	for (size_t i = first_new; r == 0 && i < n; i++)
		r = verify_blob(&b, &b.oci.layers[i]);
	for (size_t i = first_new; r == 0 && i < n; i++) {
		r = find_layer(&b, names[i], &b.img); /* (a layer above the first made: stale) */
		if (r > 0) {
			srfs_image_clear(&below);
			below = b.img;
			b.img = (struct srfs_image){ 0 };
			r = 0;
			continue;
		}
		if (r == 0)
			r = make_layer(&b, i, names[i], i > 0 ? &below : NULL);
		if (r == 0) {
			made[i] = true;
			srfs_image_clear(&below);
			below = b.img;
			b.img = (struct srfs_image){ 0 };
		}
	}
	if (r == 0)
		r = make_oci_image(&b, name, &below);
	/* A failure (not a crash) leaves nothing: the layers this import made go again. */
	for (size_t i = n; r < 0 && i-- > first_new;)
		if (made[i])
			srfs_layer_drop_unused(&b.st, &b.tx, names[i]);
	if (r == 0)
		log_info("image %s created in pool %s from %s (thin device %" PRIu64 ", %zu layer%s, "
			 "%zu unpacked, %s, %s)", name, o->pool, b.oci.layout, b.img.device_id, n,
			 n == 1 ? "" : "s", n - first_new, b.img.fs,
			 srfs_size_format(size_text, sizeof(size_text), b.img.size));
out:
	free(names);
	free(made);
	return r;
}

/* image-create --source: an existing file system, registered as it is. */
static int create_from_source(const char *name, const char *source, const char *verity_file,
			      const char *root_hash)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_lock_ struct srfs_lock catalog_lock = SRFS_LOCK_INIT;
	_cleanup_lock_ struct srfs_lock image_lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
	_cleanup_(srfs_image_clear) struct srfs_image old = { 0 };
	_cleanup_close_ int fd = -1;
	char q[SRFS_QUOTE_MAX], size_text[32];
	struct stat s;
	int r;

	fd = open(source, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(negative_errno(), "cannot open %s", srfs_quote(q, sizeof(q), source));
	if (fstat(fd, &s) < 0)
		return log_errno(negative_errno(), "cannot stat %s", source);
	if (!S_ISREG(s.st_mode) && !S_ISBLK(s.st_mode)) {
		log_error("%s is neither a file system image file nor a block device",
			  srfs_quote(q, sizeof(q), source));
		return -EINVAL;
	}
	img.kind = S_ISREG(s.st_mode) ? SRFS_IMAGE_FILE : SRFS_IMAGE_BLOCK;
	if (img.kind == SRFS_IMAGE_FILE) {
		/* What activation will accept, checked now (srfs_source_open says what). */
		closep(&fd);
		fd = srfs_source_open(source, &img.source, &s);
		if (fd < 0)
			return fd;
	}
	if (img.kind == SRFS_IMAGE_FILE)
		img.size = (uint64_t)s.st_size;
	else if (ioctl(fd, BLKGETSIZE64, &img.size) < 0)
		return log_errno(negative_errno(), "cannot get the size of %s", source);
	r = srfs_probe_filesystem(fd, img.fs, sizeof(img.fs));
	if (r < 0)
		return log_errno(r, "cannot probe %s", source);
	if (r == 0) {
		log_error("%s holds no file system that can be shared",
			  srfs_quote(q, sizeof(q), source));
		return -EINVAL;
	}
	if (!known_filesystem(img.fs)) {
		log_error("%s holds %s, which cannot be shared (erofs, squashfs, ext4, xfs)",
			  srfs_quote(q, sizeof(q), source), img.fs);
		return -EINVAL;
	}
	if (!img.source)
		img.source = realpath(source, NULL);
	if (!img.source)
		return log_errno(negative_errno(), "cannot resolve %s", source);
	if (verity_file && (r = srfs_image_verity_register(&img, fd, verity_file, root_hash)) < 0)
		return r;
	snprintf(img.name, sizeof(img.name), "%s", name);
	img.sealed = true;
	img.created = (uint64_t)time(NULL);

	r = srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CATALOG | SRFS_STATE_CREATE);
	if (r == 0)
		r = srfs_lock_take(&catalog_lock, &st, SRFS_LOCK_CATALOG, NULL, false);
	if (r == 0)
		r = srfs_lock_take(&image_lock, &st, SRFS_LOCK_IMAGE, name, false);
	if (r < 0)
		return r;
	r = srfs_image_load(st.catalog_fd, name, &old);
	if (r == 0) {
		log_error("image %s already exists", name);
		return -EEXIST;
	}
	if (r != -ENOENT)
		return r;
	r = srfs_image_save(&st, &img);
	if (r < 0)
		return r;
	log_info("image %s registered: %s %s (%s, %s%s)", name, srfs_image_kind_name(img.kind),
		 img.source, img.fs, srfs_size_format(size_text, sizeof(size_text), img.size),
		 img.verity ? ", verity" : "");
	return 0;
}

int srfs_image_create(const char *name, const struct srfs_image_create_options *o)
{
	static const struct srfs_image_create_options defaults = { 0 };
	if (!o)
		o = &defaults;
	if (o->source)
		return create_from_source(name, o->source, o->verity_file, o->root_hash);
	return o->from_oci ? create_from_oci(name, o) : create_in_pool(name, o);
}

