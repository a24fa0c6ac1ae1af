/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "activate.h"
#include "context.h"
#include "crash.h"
#include "dm.h"
#include "image.h"
#include "keyring.h"
#include "lock.h"
#include "log.h"
#include "path.h"
#include "loop.h"
#include "pool.h"
#include "probe.h"
#include "runtime.h"
#include "util.h"
#include "veritytab.h"

/* The largest root hash signature read (a PKCS#7 message is a few KiB). */
#define SIGNATURE_MAX (64 << 10)

/* The file system type to mount FS with, and the options that keep it from writing. */
static void mount_type(const char *fs, const char **type, const char **data)
{
	*data = NULL;
	*type = fs;
	if (streq(fs, "ext4") || streq(fs, "ext3") || streq(fs, "ext2")) {
		*type = "ext4"; /* which mounts ext2 and ext3 too */
		*data = "noload";
	} else if (streq(fs, "xfs")) {
		*data = "norecovery";
	}
}

/* The record of pool image IMG's pool, which must be active, and its device. */
static int active_pool(struct srfs_state *st, const struct srfs_image *img,
		       struct srfs_pool *pool, struct srfs_dm_info *pool_info)
{
	int r = srfs_pool_load(st->catalog_fd, img->pool, pool);
	if (r == -ENOENT)
		log_error("pool %s of image %s is not in the catalog", img->pool, img->name);
	if (r < 0)
		return r;
	r = srfs_dm_info(pool->dm_name, pool_info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", pool->dm_name);
	if (!pool_info->exists) {
		log_error("pool %s of image %s is not active (activate it with: thinpool-create %s)",
			  img->pool, img->name, img->pool);
		return -ENXIO;
	}
	return 0;
}

/* The read-only thin device of pool image IMG; DM_NAME gets its name. */
static int thin_device(struct srfs_state *st, const struct srfs_image *img,
		       char *dm_name, size_t dm_size, dev_t *devno)
{
	_cleanup_(srfs_pool_clear) struct srfs_pool pool = { 0 };
	struct srfs_dm_info pool_info, info;
	char params[64];
	int r;

	r = srfs_dm_available(false);
	if (r == 0)
		r = active_pool(st, img, &pool, &pool_info);
	if (r < 0)
		return r;
	r = srfs_image_dm_name(img->name, false, dm_name, dm_size);
	if (r < 0)
		return log_errno(r, "cannot name the device of image %s", img->name);
	snprintf(params, sizeof(params), "%u:%u %" PRIu64, major(pool_info.devno),
		 minor(pool_info.devno), img->device_id);

	r = srfs_dm_info(dm_name, &info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", dm_name);
	if (info.exists) {
		/* Left by a deactivation --lazy (or a crash): take it back if it is ours. */
		char type[32], live[64];
		r = srfs_dm_get_target(dm_name, false, type, sizeof(type), live, sizeof(live), NULL);
		if (r < 0 || !streq(type, "thin") || !streq(live, params) || !info.read_only) {
			log_error("device %s exists but is not image %s's (remove it with dmsetup)",
				  dm_name, img->name);
			return -EEXIST;
		}
		if (info.deferred_remove &&
		    (r = srfs_dm_message(dm_name, "@cancel_deferred_remove")) < 0)
			return log_errno(r, "cannot keep device %s", dm_name);
		*devno = info.devno;
		return 0;
	}
	struct srfs_dm_target target = { .length = img->size / 512, .type = "thin",
					 .params = params };
	r = srfs_dm_create(dm_name, &target, true, devno);
	if (r < 0)
		return log_errno(r, "cannot create device %s for image %s", dm_name, img->name);
	return 0;
}

/* Checks that DEVICE holds the file system the catalog says IMG has. */
static int check_filesystem(const struct srfs_image *img, const char *device)
{
	_cleanup_close_ int fd = open(device, O_RDONLY | O_CLOEXEC);
	char fs[32];
	int r;

	if (fd < 0)
		return log_errno(negative_errno(), "cannot open %s", device);
	r = srfs_probe_filesystem(fd, fs, sizeof(fs));
	if (r < 0)
		return log_errno(r, "cannot probe %s", device);
	if (r == 0 || !streq(fs, img->fs)) {
		log_error("image %s should hold %s, but %s holds %s", img->name, img->fs, device,
			  r == 0 ? "no file system" : fs);
		return -EINVAL;
	}
	return 0;
}

/*
 * Opens the file of file image IMG (see srfs_source_open for what it must be)
 * and checks that it is still what was registered: its size and file system.
 * The loop device is then attached from this descriptor, not from the path.
 */
static int open_file_source(const struct srfs_image *img, int *out)
{
	struct stat st;
	char fs[32];
	_cleanup_close_ int fd = srfs_source_open(img->source, NULL, &st);
	int r;

	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size != img->size) {
		log_error("refusing image file %s: it has %" PRIu64 " bytes, not the %" PRIu64
			  " image %s was registered with",
			  img->source, (uint64_t)st.st_size, img->size, img->name);
		return -EINVAL;
	}
	r = srfs_probe_filesystem(fd, fs, sizeof(fs));
	if (r < 0)
		return log_errno(r, "cannot probe %s, the file of image %s", img->source,
				 img->name);
	if (r == 0 || !streq(fs, img->fs)) {
		log_error("refusing image file %s: it holds %s, not the %s image %s was registered "
			  "with",
			  img->source, r == 0 ? "no file system" : fs, img->fs, img->name);
		return -EINVAL;
	}
	*out = TAKE_FD(fd);
	return 0;
}

/* Opens (making it: MADE) the image's mount point <rundir>/mnt/NAME. */
static int mount_point(struct srfs_state *st, const char *name, char **path, int *fd,
		       bool *made)
{
	int dir = srfs_state_run_dir(st, SRFS_RUN_MNT_DIR, true);
	if (dir < 0)
		return dir;
	*made = mkdirat(dir, name, 0700) == 0;
	if (!*made && errno != EEXIST)
		return log_errno(negative_errno(), "cannot create the mount point of image %s", name);
	*fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return log_errno(negative_errno(), "cannot open the mount point of image %s", name);
	_cleanup_free_ char *mnt = srfs_path_join(st->run_path, SRFS_RUN_MNT_DIR);
	*path = mnt ? srfs_path_join(mnt, name) : NULL;
	return *path ? 0 : log_errno(-ENOMEM, "cannot activate image %s", name);
}

/*
 * The label to mount the image with, in canonical form, into LABEL ("" for
 * none): --context's, or the policy's default for shared read-only content.
 */
static int choose_label(const struct srfs_activate_options *o, char *label, size_t size)
{
	char wanted[SRFS_CONTEXT_MAX], file[256];
	int r;

	label[0] = '\0';
	if (!srfs_context_enabled()) {
		if (o->context)
			log_info("SELinux is disabled: label %s is not used", o->context);
		return 0;
	}
	if (o->no_context)
		return 0;
	if (o->context) {
		r = srfs_context_canonical(o->context, label, size);
		if (r == -EINVAL)
			log_error("SELinux label '%s' is not valid in the loaded policy", o->context);
		else if (r < 0)
			log_errno(r, "cannot check SELinux label '%s'", o->context);
		return r;
	}
	r = srfs_label_default_ro(wanted, sizeof(wanted), file, sizeof(file));
	if (r < 0) {
		log_error("no default SELinux label for images: %s has no ro_file entry (give one "
			  "with --context, or use --no-context)",
			  file);
		return r;
	}
	r = srfs_context_canonical(wanted, label, size);
	if (r == -EINVAL)
		log_error("the default SELinux label '%s' (ro_file in %s) is not defined by the "
			  "loaded policy: give a label with --context, or use --no-context",
			  wanted, file);
	else if (r < 0)
		log_errno(r, "cannot check SELinux label '%s'", wanted);
	return r;
}

/* The options that keep FS's read-only mount from writing, and the label. */
static int mount_data(const char *fs_data, const char *label, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s%s%s%s", fs_data ? fs_data : "",
			 fs_data && *label ? "," : "", *label ? "context=\"" : "", label,
			 *label ? "\"" : "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The mount's path for the caller, when it asked for it. */
static int give_mount(const char *path, char **mount_path)
{
	if (mount_path && !(*mount_path = strdup(path)))
		return log_errno(-ENOMEM, "cannot activate an image");
	return 0;
}

/*
 * Is image NAME active already, its record and its mount (MNT_FD) agreeing?
 * 1 (a label asked for checked against the one it has: a mount's label
 * cannot change), 0, -errno.  MOUNTED: whether MNT_FD is a mount at all.
 */
static int already_active(struct srfs_state *st, const char *name,
			  const struct srfs_activate_options *o, int mnt_fd, bool *mounted)
{
	_cleanup_(srfs_active_image_clear) struct srfs_active_image old = { 0 };
	struct stat s;

	int r = srfs_active_image_load(st, name, &old);
	if (r < 0 && r != -ENOENT)
		return r;
	int m = srfs_is_mount_root(mnt_fd);
	if (m < 0)
		return log_errno(m, "cannot inspect the mount point of image %s", name);
	*mounted = m;
	if (r < 0 || !m || fstat(mnt_fd, &s) < 0 || s.st_dev != old.dev)
		return 0;
	if (o->context || o->no_context) {
		char label[SRFS_CONTEXT_MAX];
		r = choose_label(o, label, sizeof(label));
		if (r < 0)
			return r;
		if (!streq(label, old.context)) {
			log_error("image %s is active with %s%s%s: deactivate it to change that", name,
				  old.context[0] ? "label '" : "no label", old.context,
				  old.context[0] ? "'" : "");
			return -EBUSY;
		}
	}
	return 1;
}

/* The read-only thin device DM_NAME of thin id ID of POOL, LENGTH bytes. */
static int pool_thin(const struct srfs_pool *pool, dev_t pool_devno, const char *dm_name,
		     uint64_t id, uint64_t length, dev_t *devno)
{
	char params[64];
	snprintf(params, sizeof(params), "%u:%u %" PRIu64, major(pool_devno), minor(pool_devno),
		 id);
	struct srfs_dm_target target = { .length = length / 512, .type = "thin", .params = params };
	int r = srfs_dm_create(dm_name, &target, true, devno);
	if (r < 0)
		return log_errno(r, "cannot create device %s of pool %s", dm_name, pool->name);
	return 0;
}

/* The lower devices of verity pool image IMG: its data and hash area, read-only. */
static int verity_pool_devices(struct srfs_state *st, const struct srfs_image *img, dev_t *data,
			       dev_t *hash)
{
	_cleanup_(srfs_pool_clear) struct srfs_pool pool = { 0 };
	char data_dm[SRFS_DM_NAME_MAX + 1], hash_dm[SRFS_DM_NAME_MAX + 1];
	struct srfs_dm_info pool_info;
	int r = active_pool(st, img, &pool, &pool_info);
	if (r == 0)
		r = srfs_verity_dm_name(img->name, false, data_dm, sizeof(data_dm));
	if (r == 0)
		r = srfs_verity_dm_name(img->name, true, hash_dm, sizeof(hash_dm));
	if (r == 0) /* left by a crash: not in use, since the verity target is not there */
		r = srfs_image_verity_devices_remove(img->name);
	if (r == 0)
		r = pool_thin(&pool, pool_info.devno, data_dm, img->device_id, img->size, data);
	if (r == 0)
		r = pool_thin(&pool, pool_info.devno, hash_dm, img->verity_device_id,
			      img->verity_size, hash);
	if (r < 0)
		srfs_image_verity_devices_remove(img->name);
	return r;
}

/* The lower devices of verity file or block image IMG: read-only loop devices. */
static int verity_file_devices(const struct srfs_image *img, struct srfs_loop *data_loop,
			       struct srfs_loop *hash_loop, dev_t *data, dev_t *hash)
{
	_cleanup_close_ int data_fd = -1, hash_fd = -1;
	struct stat s;
	int r;

	if (img->kind == SRFS_IMAGE_FILE) {
		r = open_file_source(img, &data_fd);
		if (r < 0)
			return r;
		r = srfs_loop_attach(data_fd, true, data_loop);
		if (r < 0)
			return log_errno(r, "cannot attach %s to a loop device", img->source);
		*data = data_loop->devno;
	} else {
		if (stat(img->source, &s) < 0)
			return log_errno(negative_errno(), "cannot use %s", img->source);
		*data = s.st_rdev;
	}
	hash_fd = srfs_source_open(img->verity_file, NULL, &s);
	if (hash_fd < 0)
		return hash_fd;
	if ((uint64_t)s.st_size != img->verity_size) {
		log_error("refusing hash tree %s: it has %" PRIu64 " bytes, not the %" PRIu64
			  " image %s was given",
			  img->verity_file, (uint64_t)s.st_size, img->verity_size, img->name);
		return -EINVAL;
	}
	r = srfs_loop_attach(hash_fd, true, hash_loop);
	if (r < 0)
		return log_errno(r, "cannot attach %s to a loop device", img->verity_file);
	*hash = hash_loop->devno;
	return 0;
}

/* Reads FILE, a root hash signature, into a buffer (to free) of *SIZE bytes. */
static int read_signature(const char *file, char **buf, size_t *size)
{
	char q[SRFS_QUOTE_MAX];
	int r = srfs_read_file_at(AT_FDCWD, file, SIGNATURE_MAX, buf, size);
	if (r == -EFBIG || r == -EBADF || (r == 0 && *size == 0)) {
		log_error("%s is not a root hash signature (%s)", srfs_quote(q, sizeof(q), file),
			  r == 0 ? "it is empty" : r == -EFBIG ? "it is too large" : "not a file");
		return -EINVAL;
	}
	if (r < 0)
		return log_errno(r, "cannot read %s", srfs_quote(q, sizeof(q), file));
	return 0;
}

/*
 * Logs why the kernel did not load the verity table of image NAME.  With a
 * signature, libdevmapper does not pass on why (the key was not trusted, the
 * signature did not match, or the kernel cannot check signatures): the
 * kernel's log says which.
 */
static int verity_create_error(int r, const char *name, const char *dm_name, const char *signature)
{
	char q[SRFS_QUOTE_MAX];
	if (signature) {
		log_error("the kernel refused the root hash signature %s of image %s (%s): the key "
			  "that signed it must be in the kernel's trusted keyrings, and the kernel "
			  "must check root hash signatures (CONFIG_DM_VERITY_VERIFY_ROOTHASH_SIG; its "
			  "log says which failed)",
			  srfs_quote(q, sizeof(q), signature), name, strerror(-r));
		return r;
	}
	return log_errno(r, "cannot create verity device %s for image %s", dm_name, name);
}

/*
 * Is the first block of DEVICE readable?  Through a fresh verity target that
 * read checks the hash blocks from the root hash down: with a wrong root
 * hash (or a hash tree that does not match) every read fails with EIO.
 */
static int first_block_verifies(const char *device)
{
	_cleanup_close_ int fd = open(device, O_RDONLY | O_DIRECT | O_CLOEXEC);
	void *block = NULL;
	int r = 0;

	if (fd < 0)
		return negative_errno();
	if (posix_memalign(&block, SRFS_VERITY_BLOCK, SRFS_VERITY_BLOCK) != 0)
		return -ENOMEM;
	errno = 0;
	if (pread(fd, block, SRFS_VERITY_BLOCK, 0) != SRFS_VERITY_BLOCK)
		r = errno ? negative_errno() : -EIO;
	free(block);
	return r;
}

/* A verity target left by a deactivation --lazy (or a crash), taken back when it is IMG's. */
static int verity_take_back(const struct srfs_image *img, const char *dm_name,
			    const struct srfs_dm_info *info)
{
	char type[32], live[1024], root[SRFS_VERITY_ROOT_HEX_MAX + 3];
	int r = srfs_dm_get_target(dm_name, false, type, sizeof(type), live, sizeof(live), NULL);
	snprintf(root, sizeof(root), " %s ", img->root_hash);
	if (r < 0 || !streq(type, "verity") || !strstr(live, root) || !info->read_only) {
		log_error("device %s exists but is not image %s's (remove it with dmsetup)", dm_name,
			  img->name);
		return -EEXIST;
	}
	if (info->deferred_remove && (r = srfs_dm_message(dm_name, "@cancel_deferred_remove")) < 0)
		return log_errno(r, "cannot keep device %s", dm_name);
	return 0;
}

/*
 * The verity target "srfs-img:NAME" of verity image IMG over its data and hash
 * area; its name in A->dm_name, its device in A->device.  Checked by reading
 * its first block: refused (and removed) when the root hash does not verify.
 */
static int verity_device(struct srfs_state *st, const struct srfs_image *img,
			 const struct srfs_activate_options *o, struct srfs_active_image *a)
{
	_cleanup_(srfs_loop_close) struct srfs_loop data_loop = SRFS_LOOP_INIT;
	_cleanup_(srfs_loop_close) struct srfs_loop hash_loop = SRFS_LOOP_INIT;
	_cleanup_free_ char *signature = NULL;
	char params[1024], key[SRFS_NAME_MAX + 32], dev[32];
	struct srfs_dm_info info;
	size_t signature_size = 0;
	int32_t serial = 0;
	dev_t data = 0, hash = 0, devno;
	int r;

	r = srfs_dm_available(false);
	if (r == 0)
		r = srfs_image_dm_name(img->name, false, a->dm_name, sizeof(a->dm_name));
	if (r == 0)
		r = srfs_dm_info(a->dm_name, &info);
	if (r < 0)
		return log_errno(r, "cannot look up the device of image %s", img->name);
	if (info.exists) {
		r = verity_take_back(img, a->dm_name, &info);
		if (r < 0)
			return r;
		snprintf(dev, sizeof(dev), "/dev/dm-%u", minor(info.devno));
		return (a->device = strdup(dev)) ? 0 : -ENOMEM;
	}
	if (o->root_hash_signature) {
		r = read_signature(o->root_hash_signature, &signature, &signature_size);
		if (r < 0)
			return r;
	}
	if (img->kind == SRFS_IMAGE_POOL)
		r = verity_pool_devices(st, img, &data, &hash);
	else
		r = verity_file_devices(img, &data_loop, &hash_loop, &data, &hash);
	if (r < 0)
		return r;
	if (signature) {
		snprintf(key, sizeof(key), "srfs-verity:%s", img->name);
		r = srfs_keyring_add_user(key, signature, signature_size, &serial);
		if (r < 0) {
			log_errno(r, "cannot hand the root hash signature of image %s to the kernel",
				  img->name);
			goto fail;
		}
	}
	r = srfs_verity_table(&img->verity_params, img->root_hash, data, hash,
			      signature ? key : NULL, params, sizeof(params));
	if (r == 0) {
		struct srfs_dm_target target = { .length = srfs_verity_sectors(&img->verity_params),
						 .type = "verity", .params = params };
		r = srfs_dm_create(a->dm_name, &target, true, &devno);
		if (r < 0)
			verity_create_error(r, img->name, a->dm_name, o->root_hash_signature);
	}
	if (serial)
		srfs_keyring_remove(serial);
	if (r < 0)
		goto fail;
	if (img->kind == SRFS_IMAGE_POOL) /* they go with the verity target */
		srfs_image_verity_devices_remove_deferred(img->name);
	snprintf(dev, sizeof(dev), "/dev/dm-%u", minor(devno));
	r = first_block_verifies(dev);
	if (r == -EIO) {
		log_error("image %s does not verify: its data or hash tree does not match its root "
			  "hash %s",
			  img->name, img->root_hash);
	} else if (r < 0) {
		log_errno(r, "cannot read the first block of image %s", img->name);
	}
	if (r < 0) {
		srfs_dm_remove(a->dm_name, false);
		goto fail;
	}
	return (a->device = strdup(dev)) ? 0 : -ENOMEM;
fail:
	if (img->kind == SRFS_IMAGE_POOL)
		srfs_image_verity_devices_remove(img->name);
	return r;
}

/* The image's device into A->device: a thin device (MADE_DM), a loop device, or its own. */
static int open_device(struct srfs_state *st, const struct srfs_image *img,
		       const struct srfs_activate_options *o, bool mounted,
		       struct srfs_active_image *a, struct srfs_loop *loop, bool *made_dm)
{
	int r;
	if (img->verity) {
		r = verity_device(st, img, o, a);
		if (r < 0)
			return r;
		*made_dm = true;
		return 0;
	}
	if (img->kind == SRFS_IMAGE_POOL) {
		dev_t devno;
		char dev[32];
		r = thin_device(st, img, a->dm_name, sizeof(a->dm_name), &devno);
		if (r < 0)
			return r;
		*made_dm = true;
		snprintf(dev, sizeof(dev), "/dev/dm-%u", minor(devno));
		a->device = strdup(dev);
	} else if (img->kind == SRFS_IMAGE_FILE && !mounted) {
		_cleanup_close_ int fd = -1;
		r = open_file_source(img, &fd);
		if (r < 0)
			return r;
		r = srfs_loop_attach(fd, true, loop);
		if (r < 0)
			return log_errno(r, "cannot attach %s to a loop device", img->source);
		a->device = strdup(loop->path);
	} else {
		a->device = strdup(img->source);
	}
	return a->device ? 0 : log_errno(-ENOMEM, "cannot activate image %s", img->name);
}

/* Mounts the image's file system, checked first, read-only at A->mount. */
static int mount_image(const struct srfs_image *img, const struct srfs_active_image *a)
{
	char options[SRFS_CONTEXT_MAX + 64];
	const char *type, *data;

	int r = check_filesystem(img, a->device);
	if (r < 0)
		return r;
	mount_type(img->fs, &type, &data);
	r = mount_data(data, a->context, options, sizeof(options));
	if (r < 0)
		return r;
	if (mount(a->device, a->mount, type, MS_RDONLY | MS_NOSUID | MS_NODEV, options) < 0)
		return log_errno(negative_errno(), "cannot mount image %s (%s on %s)", img->name,
				 img->fs, a->device);
	return 0;
}

/* The runtime record of the image mounted at A->mount. */
static int record_active(struct srfs_state *st, struct srfs_active_image *a)
{
	_cleanup_close_ int fd = open(a->mount, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat s;

	if (fd < 0 || fstat(fd, &s) < 0)
		return log_errno(negative_errno(), "cannot open %s", a->mount);
	a->dev = s.st_dev;
	a->since = (uint64_t)time(NULL);
	return srfs_active_image_save(st, a);
}

/* --root-hash and --root-hash-signature: for a verity image, and its recorded root hash. */
static int check_root_hash(const struct srfs_image *img, const struct srfs_activate_options *o)
{
	char given[SRFS_VERITY_ROOT_HEX_MAX + 1];

	if ((o->root_hash || o->root_hash_signature) && !img->verity) {
		log_error("image %s has no hash tree, so no root hash to check (image-verity %s "
			  "makes one)",
			  img->name, img->name);
		return -EINVAL;
	}
	if (!o->root_hash)
		return 0;
	if (srfs_verity_hex(o->root_hash, SRFS_VERITY_DIGEST_MAX, given, sizeof(given)) < 0) {
		log_error("invalid root hash '%s' (hex digits)", o->root_hash);
		return -EINVAL;
	}
	if (!streq(given, img->root_hash)) {
		log_error("root hash %s is not image %s's: its hash tree has root hash %s", given,
			  img->name, img->root_hash);
		return -EPERM;
	}
	return 0;
}

int srfs_image_activate(const char *name, const struct srfs_activate_options *o,
			char **mount_path)
{
	static const struct srfs_activate_options defaults = { 0 };
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
	_cleanup_(srfs_active_image_clear) struct srfs_active_image a = { 0 };
	_cleanup_(srfs_loop_close) struct srfs_loop loop = SRFS_LOOP_INIT;
	_cleanup_close_ int mnt_fd = -1;
	bool made_dm = false, made_dir = false, mounted = false;
	int r;

	if (!o)
		o = &defaults;
	r = srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CATALOG | SRFS_STATE_CREATE |
					 SRFS_STATE_PRIVATE_MOUNT);
	if (r == 0)
		r = srfs_lock_take(&lock, &st, SRFS_LOCK_IMAGE, name, false);
	if (r < 0)
		return r;
	r = srfs_image_load(st.catalog_fd, name, &img);
	if (r == -ENOENT)
		log_error("unknown image %s", name);
	if (r < 0)
		return r;
	if (!img.sealed)
		return srfs_image_unsealed_error("image", name);
	r = check_root_hash(&img, o);
	if (r < 0)
		return r;
	r = mount_point(&st, name, &a.mount, &mnt_fd, &made_dir);
	if (r < 0)
		return r;
	r = already_active(&st, name, o, mnt_fd, &mounted);
	if (r != 0)
		return r < 0 ? r : give_mount(a.mount, mount_path);
	if (mounted) /* but not recorded (a crash in between): the mount is adopted */
		log_verbose("adopting the existing mount of image %s", name);

	snprintf(a.name, sizeof(a.name), "%s", name);
	snprintf(a.fs, sizeof(a.fs), "%s", img.fs);
	/* The label is checked before anything is made. */
	r = choose_label(o, a.context, sizeof(a.context));
	if (r == 0)
		r = open_device(&st, &img, o, mounted, &a, &loop, &made_dm);
	if (r < 0)
		goto fail;
	/*
	 * A verity image's mount adopted must be of the verity device just
	 * made: a crash's mount from before an image-verity is of the
	 * unverified data.
	 */
	struct stat ms, ds;
	if (mounted && img.verity && (stat(a.mount, &ms) < 0 || stat(a.device, &ds) < 0 ||
			!S_ISBLK(ds.st_mode) || ms.st_dev != ds.st_rdev)) {
		log_info("the existing mount of image %s is not of its device %s: mounting it again",
			 name, a.device);
		if (umount2(a.mount, MNT_DETACH) < 0) {
			r = log_errno(negative_errno(), "cannot unmount %s", a.mount);
			goto fail;
		}
		mounted = false;
	}
	srfs_crash_point("image-activate:device");
	if (!mounted) {
		r = mount_image(&img, &a);
		if (r < 0)
			goto fail;
		srfs_crash_point("image-activate:mount");
	}
	r = record_active(&st, &a);
	if (r < 0)
		goto fail_mounted;
	log_verbose("image %s is active: %s on %s%s%s", name, a.device, a.mount,
		    a.context[0] ? ", label " : "", a.context);
	return give_mount(a.mount, mount_path);

fail_mounted:
	umount2(a.mount, UMOUNT_NOFOLLOW);
fail:
	if (made_dm)
		srfs_dm_remove(a.dm_name, false);
	if (made_dir) /* a refused activation leaves no mount point behind */
		rmdir(a.mount);
	return r;
}
