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
#include "lock.h"
#include "log.h"
#include "path.h"
#include "loop.h"
#include "pool.h"
#include "probe.h"
#include "runtime.h"
#include "util.h"

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

/* The read-only thin device of pool image IMG; DM_NAME gets its name. */
static int thin_device(struct srfs_state *st, const struct srfs_image *img,
		       char *dm_name, size_t dm_size, dev_t *devno)
{
	_cleanup_(srfs_pool_clear) struct srfs_pool pool = { 0 };
	struct srfs_dm_info pool_info, info;
	char params[64];
	int r;

	r = srfs_dm_available(false);
	if (r < 0)
		return r;
	r = srfs_pool_load(st->catalog_fd, img->pool, &pool);
	if (r == -ENOENT)
		log_error("pool %s of image %s is not in the catalog", img->pool, img->name);
	if (r < 0)
		return r;
	r = srfs_dm_info(pool.dm_name, &pool_info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", pool.dm_name);
	if (!pool_info.exists) {
		log_error("pool %s of image %s is not active (activate it with: thinpool-create %s)",
			  img->pool, img->name, img->pool);
		return -ENXIO;
	}
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

/* The image's device into A->device: a thin device (MADE_DM), a loop device, or its own. */
static int open_device(struct srfs_state *st, const struct srfs_image *img, bool mounted,
		       struct srfs_active_image *a, struct srfs_loop *loop, bool *made_dm)
{
	int r;
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
		r = open_device(&st, &img, mounted, &a, &loop, &made_dm);
	if (r < 0)
		goto fail;
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
