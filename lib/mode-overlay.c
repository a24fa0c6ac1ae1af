/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode "overlay": writable, an overlay whose lower layer is the image's one
 * mount (so the page cache stays shared) and whose upper and work
 * directories are the container's own: DIR/upper and DIR/work, with DIR
 * <rundir>/upper/ID by default or --upper-dir.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "log.h"
#include "mountapi.h"
#include "path.h"
#include "share-mode.h"
#include "util.h"

#define OVERLAYFS_MAGIC 0x794c7630

/* The upper directory of an overlay share: DIR/upper and DIR/work. */
static int upper_path(struct srfs_state *st, const char *id, const char *upper_dir,
		      char **path, bool *is_default)
{
	*is_default = !upper_dir;
	if (upper_dir) {
		_cleanup_close_ int fd = -1;
		return srfs_path_open_dir_checked("upper directory", upper_dir, &fd, path);
	}
	int r = srfs_state_run_dir(st, SRFS_UPPER_DIR, true);
	if (r < 0)
		return r;
	_cleanup_free_ char *base = srfs_path_join(st->run_path, SRFS_UPPER_DIR);
	*path = base ? srfs_path_join(base, id) : NULL;
	return *path ? 0 : log_errno(-ENOMEM, "cannot make the upper directory of %s", id);
}

/*
 * Makes DIR/upper (with the owner, mode and times of the image's root, which
 * the overlay's root shows) and DIR/work, keeping an upper/ that is there.
 */
static int upper_prepare(const char *dir, const char *image_root)
{
	_cleanup_close_ int fd = -1, up = -1;
	struct stat root;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_errno(negative_errno(), "cannot create %s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_errno(negative_errno(), "cannot open %s", dir);
	if (stat(image_root, &root) < 0)
		return log_errno(negative_errno(), "cannot stat %s", image_root);
	if (mkdirat(fd, "upper", 0755) == 0) {
		up = openat(fd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct timespec times[2] = { root.st_atim, root.st_mtim };
		if (up < 0 || fchown(up, root.st_uid, root.st_gid) < 0 ||
		    fchmod(up, root.st_mode & 07777) < 0 || futimens(up, times) < 0)
			return log_errno(negative_errno(), "cannot prepare %s/upper", dir);
	} else if (errno != EEXIST) {
		return log_errno(negative_errno(), "cannot create %s/upper", dir);
	}
	/* work/ must be empty: a fresh one each time. */
	int r = srfs_remove_tree(fd, "work");
	if (r == 0 && mkdirat(fd, "work", 0700) < 0)
		r = negative_errno();
	if (r < 0)
		return log_errno(r, "cannot create %s/work", dir);
	return 0;
}

/* Removes DIR/upper and DIR/work (all of DIR when it is the default one); KEEP: only work/. */
static int upper_remove(const char *dir, bool is_default, bool keep)
{
	_cleanup_free_ char *parent = strdup(dir);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	int r;

	if (!slash)
		return log_errno(-ENOMEM, "cannot remove %s", dir);
	*slash = '\0';
	_cleanup_close_ int pfd = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : log_errno(negative_errno(), "cannot open %s", dir);
	r = srfs_remove_tree(fd, "work");
	if (r == 0 && !keep)
		r = is_default && pfd >= 0 ? srfs_remove_tree(pfd, slash + 1)
					   : srfs_remove_tree(fd, "upper");
	if (r < 0)
		return log_errno(r, "cannot remove the upper directory %s", dir);
	return 0;
}

static int overlay_prepare(struct srfs_share_op *op)
{
	struct srfs_share *s = op->share;
	if (op->old && op->old->upper) {
		s->upper_default = op->old->upper_default;
		s->upper = strdup(op->old->upper);
		return s->upper ? 0 : log_errno(-ENOMEM, "cannot share %s", s->id);
	}
	return upper_path(op->st, s->id, op->o->upper_dir, &s->upper, &s->upper_default);
}

static int overlay_mount(struct srfs_share_op *op)
{
	const struct srfs_share *s = op->share;
	const char *lower = op->active->mount, *label = op->active->context;
	_cleanup_free_ char *upper = srfs_path_join(s->upper, "upper");
	_cleanup_free_ char *work = srfs_path_join(s->upper, "work");
	char what[PATH_MAX + 64];

	int r = upper_prepare(s->upper, lower);
	if (r < 0)
		return r;
	if (!upper || !work)
		return log_errno(-ENOMEM, "cannot mount an overlay at %s", s->target);
	if (strpbrk(lower, ",:") || strpbrk(upper, ",:")) {
		log_error("cannot mount an overlay at %s: its directories contain ',' or ':'",
			  s->target);
		return -EINVAL;
	}
	/* The image's label, so the container sees one label whatever it writes. */
	const char *keys[] = { "lowerdir", "upperdir", "workdir", *label ? "context" : NULL, NULL };
	const char *values[] = { lower, upper, work, label, NULL };
	snprintf(what, sizeof(what), "an overlay at %s (upper %s)", s->target, upper);
	int mnt = srfs_mount_new("overlay", keys, values, what);
	if (mnt < 0)
		return mnt;
	return srfs_mount_attach(mnt, op->target_fd, s->target);
}

static int overlay_is_mounted(int dirfd, const char *name, const struct srfs_share *s)
{
	struct statfs fs;
	_cleanup_close_ int own = -1;
	int fd = dirfd;

	(void)s;
	if (*name) {
		fd = own = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return errno == ELOOP ? -ENOTDIR : negative_errno();
	}
	int r = srfs_is_mount_root(fd);
	if (r <= 0)
		return r;
	if (fstatfs(fd, &fs) < 0)
		return negative_errno();
	return fs.f_type == OVERLAYFS_MAGIC;
}

static int overlay_cleanup(const struct srfs_share *s, enum srfs_share_cleanup how)
{
	if (!s->upper)
		return 0;
	bool keep = how == SRFS_CLEANUP_RELEASE_KEEP ||
		    (how == SRFS_CLEANUP_UNDO && !s->upper_default);
	return upper_remove(s->upper, s->upper_default, keep);
}

const struct srfs_share_mode_ops srfs_share_mode_overlay = {
	.name = "overlay",
	.prepare = overlay_prepare,
	.mount = overlay_mount,
	.is_mounted = overlay_is_mounted,
	.cleanup = overlay_cleanup,
};
