/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode "overlay": writable, an overlay whose lower layer is the image's one
 * mount (so the page cache stays shared) and whose upper and work
 * directories are the container's own: DIR/upper and DIR/work, with DIR
 * <rundir>/upper/ID by default or --upper-dir.
 *
 * DIR is reached without symbolic links once, when the share is made, and
 * recorded with its device and inode; everything below it is made and
 * removed through descriptors, the overlay is given DIR through its
 * descriptor (/proc/self/fd/N), and at release DIR is used only when the
 * path still leads to that very directory.
 *
 * With an id map, the lower layer is an idmapped copy of the image's mount;
 * the overlay itself is not idmapped, so what the container writes is stored
 * in upper/ under its ids as the host sees them (root in a namespace mapped to
 * 100000 writes files owned by 100000).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "crash.h"
#include "log.h"
#include "mountapi.h"
#include "path.h"
#include "share-mode.h"
#include "util.h"

#define OVERLAYFS_MAGIC 0x794c7630

/* Opens the default upper directory <rundir>/upper/ID (CREATE: made when missing). */
static int open_default_dir(struct srfs_state *st, const char *id, bool create)
{
	int dir = srfs_state_run_dir(st, SRFS_UPPER_DIR, create);
	if (dir < 0)
		return dir;
	if (create && mkdirat(dir, id, 0700) < 0 && errno != EEXIST)
		return log_errno(negative_errno(), "cannot create %s/%s/%s", st->run_path,
				 SRFS_UPPER_DIR, id);
	int fd = openat(dir, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (create || errno != ENOENT))
		return log_errno(negative_errno(), "cannot open %s/%s/%s", st->run_path,
				 SRFS_UPPER_DIR, id);
	return fd < 0 ? -ENOENT : fd;
}

/* Opens the directory PATH (chosen by the caller) without links, as a directory to work in. */
static int open_chosen_dir(const char *path, char **abs_path)
{
	_cleanup_close_ int fd = -1;
	int r = srfs_path_open_dir_checked("upper directory", path, &fd, abs_path);
	if (r < 0)
		return r;
	int dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dir < 0 ? log_errno(negative_errno(), "cannot open upper directory %s", path) : dir;
}

static int overlay_prepare(struct srfs_share_op *op)
{
	struct srfs_share *s = op->share;
	const struct srfs_share *old = op->old;
	struct stat st;
	int fd;

	if (old && old->upper) {
		/* An interrupted share of this container: its directory, if it is still that one. */
		s->upper_default = old->upper_default;
		if (!(s->upper = strdup(old->upper)))
			return log_errno(-ENOMEM, "cannot share %s", s->id);
		_cleanup_free_ char *path = NULL;
		fd = s->upper_default ? open_default_dir(op->st, s->id, true)
				      : open_chosen_dir(s->upper, &path);
	} else if (op->o->upper_dir) {
		fd = open_chosen_dir(op->o->upper_dir, &s->upper);
	} else {
		s->upper_default = true;
		_cleanup_free_ char *base = srfs_path_join(op->st->run_path, SRFS_UPPER_DIR);
		if (!base || !(s->upper = srfs_path_join(base, s->id)))
			return log_errno(-ENOMEM, "cannot share %s", s->id);
		fd = open_default_dir(op->st, s->id, true);
	}
	if (fd < 0)
		return fd;
	op->mode_fd = fd;
	if (fstat(fd, &st) < 0)
		return log_errno(negative_errno(), "cannot open upper directory %s", s->upper);
	if (old && old->upper_ino && (old->upper_dev != st.st_dev || old->upper_ino != st.st_ino)) {
		log_error("upper directory %s of container %s was replaced since its share was "
			  "begun: release the share first",
			  s->upper, s->id);
		return -ESTALE;
	}
	s->upper_dev = st.st_dev;
	s->upper_ino = st.st_ino;
	return 0;
}

/*
 * Makes upper/ (with the owner, mode and times of the image's root, which the
 * overlay's root shows) and a fresh work/ in the directory DIR, keeping an
 * upper/ that is there.
 */
static int make_upper(int dir, const char *where, const char *image_root)
{
	_cleanup_close_ int up = -1;
	struct stat root;

	if (stat(image_root, &root) < 0)
		return log_errno(negative_errno(), "cannot stat %s", image_root);
	if (mkdirat(dir, "upper", 0755) == 0) {
		up = openat(dir, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct timespec times[2] = { root.st_atim, root.st_mtim };
		if (up < 0 || fchown(up, root.st_uid, root.st_gid) < 0 ||
		    fchmod(up, root.st_mode & 07777) < 0 || futimens(up, times) < 0)
			return log_errno(negative_errno(), "cannot prepare %s/upper", where);
	} else if (errno != EEXIST) {
		return log_errno(negative_errno(), "cannot create %s/upper", where);
	}
	/* work/ must be empty: a fresh one each time. */
	int r = srfs_remove_tree(dir, "work");
	if (r == 0 && mkdirat(dir, "work", 0700) < 0)
		r = negative_errno();
	if (r < 0)
		return log_errno(r, "cannot create %s/work", where);
	return 0;
}

int srfs_share_drop_idmapped_lower(struct srfs_state *st, const char *id)
{
	int dir = srfs_state_run_dir(st, SRFS_IDMAP_DIR, false);
	if (dir == -ENOENT)
		return 0;
	if (dir < 0)
		return dir;
	/* Opened through whatever is mounted there: each mount is detached in turn. */
	for (int i = 0; i < 8; i++) {
		_cleanup_close_ int fd = openat(dir, id, O_PATH | O_DIRECTORY | O_NOFOLLOW |
							 O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			return 0;
		int r = fd < 0 ? negative_errno() : srfs_is_mount_root(fd);
		if (r < 0)
			return log_errno(r, "cannot inspect %s/%s/%s", st->run_path, SRFS_IDMAP_DIR,
					 id);
		if (r == 0)
			break;
		if ((r = srfs_mount_detach(fd)) < 0)
			return r;
	}
	if (unlinkat(dir, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return log_errno(negative_errno(), "cannot remove %s/%s/%s", st->run_path,
				 SRFS_IDMAP_DIR, id);
	return 0;
}

/*
 * An idmapped share's lower layer: the image's mount, read-only and
 * idmapped, attached for a moment at <rundir>/idmap/ID, because the kernel
 * takes an overlay's layers by path, and (Linux 6.1) only from mounts
 * attached in the mounter's mount namespace.  The overlay keeps a private
 * copy of it; this one is dropped as soon as the overlay is made.  The
 * descriptor of its root, or -errno (logged).
 */
static int attach_idmapped_lower(struct srfs_share_op *op)
{
	const char *id = op->share->id;
	char what[PATH_MAX + 64];

	/*
	 * Attached in the runtime directory's own private mount (image-activate
	 * makes it one, maybe after this state was opened): under the mount above
	 * it, /run, a mount would be copied to that mount's peers, and hidden
	 * from every later look at the directory.
	 */
	int r = srfs_state_open(op->st, SRFS_STATE_RUN | SRFS_STATE_PRIVATE_MOUNT);
	if (r == 0)
		r = srfs_share_drop_idmapped_lower(op->st, id); /* an interrupted share's */
	int dir = r < 0 ? r : srfs_state_run_dir(op->st, SRFS_IDMAP_DIR, true);
	if (dir < 0)
		return dir;
	if (mkdirat(dir, id, 0700) < 0)
		return log_errno(negative_errno(), "cannot create %s/%s/%s", op->st->run_path,
				 SRFS_IDMAP_DIR, id);
	_cleanup_close_ int at = openat(dir, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int mnt = srfs_mount_clone_read_only(op->active->mount, op->share->target);
	if (mnt == -ENOSYS)
		log_error("cannot idmap the overlay at %s: this kernel has no open_tree (Linux "
			  "5.12 or later is needed)",
			  op->share->target);
	if (at < 0 || mnt < 0) {
		r = at < 0 ? log_errno(negative_errno(), "cannot open %s/%s/%s", op->st->run_path,
				       SRFS_IDMAP_DIR, id)
			   : mnt;
		unlinkat(dir, id, AT_REMOVEDIR);
		return r;
	}
	snprintf(what, sizeof(what), "the lower layer of the overlay at %s", op->share->target);
	r = srfs_mount_set_idmap(mnt, op->userns, op->active->fs, what);
	if (r == 0 && move_mount(mnt, "", at, "", MOVE_MOUNT_F_EMPTY_PATH |
							   MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = log_errno(negative_errno(), "cannot mount %s", what);
	if (r < 0) {
		unlinkat(dir, id, AT_REMOVEDIR);
		return r;
	}
	srfs_crash_point("rootfs-share:idmap-lower");
	return TAKE_FD(mnt);
}

static int overlay_make_mount(struct srfs_share_op *op)
{
	const struct srfs_share *s = op->share;
	const char *lower = op->active->mount, *label = op->active->context;
	char upper[64], work[64], idmapped[64], what[PATH_MAX + 64];
	_cleanup_close_ int lower_fd = -1;

	if (op->userns >= 0) {
		lower_fd = attach_idmapped_lower(op);
		if (lower_fd < 0)
			return lower_fd;
		snprintf(idmapped, sizeof(idmapped), "/proc/self/fd/%d", lower_fd);
		lower = idmapped;
	}
	/* (Idmapped, the image root's owner as the container's files show it.) */
	int r = make_upper(op->mode_fd, s->upper, lower);
	if (r == 0 && lower_fd < 0 && strpbrk(lower, ",:")) {
		log_error("cannot mount an overlay at %s: the image's mount %s contains ',' or ':'",
			  s->target, lower);
		r = -EINVAL;
	}
	int mnt = r;
	if (r == 0) {
		/* The directories through the descriptor opened without links: the kernel
		 * resolves these strings, and must not be steered elsewhere meanwhile. */
		snprintf(upper, sizeof(upper), "/proc/self/fd/%d/upper", op->mode_fd);
		snprintf(work, sizeof(work), "/proc/self/fd/%d/work", op->mode_fd);
		/* The image's label, so the container sees one label whatever it writes. */
		const char *keys[] = { "lowerdir", "upperdir", "workdir",
				       *label ? "context" : NULL, NULL };
		const char *values[] = { lower, upper, work, label, NULL };
		snprintf(what, sizeof(what), "an overlay at %s (upper %s/upper)", s->target,
			 s->upper);
		mnt = srfs_mount_new("overlay", keys, values, what);
	}
	if (lower_fd >= 0 && (r = srfs_share_drop_idmapped_lower(op->st, s->id)) < 0 && mnt >= 0) {
		close(mnt);
		mnt = r;
	}
	return mnt;
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

/*
 * The share's upper directory, if its path still leads to the very
 * directory the share was made with: a descriptor, -ENOENT when it is gone
 * or is not that one any more (reported: it is left alone), -errno.
 */
static int find_upper(struct srfs_state *st, const struct srfs_share *s)
{
	if (s->upper_default)
		return open_default_dir(st, s->id, false);
	_cleanup_close_ int fd = srfs_path_open_dir(s->upper);
	struct stat now;
	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0 || fstat(fd, &now) < 0 ||
	    (s->upper_ino && (now.st_dev != s->upper_dev || now.st_ino != s->upper_ino))) {
		log_info("upper directory %s of container %s is left as it is: it is not, or no "
			 "longer leads to, the directory the share was made with",
			 s->upper, s->id);
		return -ENOENT;
	}
	int dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dir < 0 ? log_errno(negative_errno(), "cannot open %s", s->upper) : dir;
}

static int overlay_cleanup(struct srfs_state *st, const struct srfs_share *s,
			   enum srfs_share_cleanup how)
{
	if (s->idmap) {
		int r = srfs_share_drop_idmapped_lower(st, s->id);
		if (r < 0)
			return r;
	}
	if (!s->upper)
		return 0;
	bool keep = how == SRFS_CLEANUP_RELEASE_KEEP ||
		    (how == SRFS_CLEANUP_UNDO && !s->upper_default);
	_cleanup_close_ int fd = find_upper(st, s);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	int r = srfs_remove_tree(fd, "work");
	if (r == 0 && !keep) {
		if (s->upper_default) {
			/* The whole <rundir>/upper/ID, through the runtime directory. */
			int dir = srfs_state_run_dir(st, SRFS_UPPER_DIR, false);
			r = dir < 0 ? dir : srfs_remove_tree(dir, s->id);
		} else {
			r = srfs_remove_tree(fd, "upper");
		}
	}
	if (r < 0)
		return log_errno(r, "cannot remove the upper directory %s", s->upper);
	return 0;
}

const struct srfs_share_mode_ops srfs_share_mode_overlay = {
	.name = "overlay",
	.prepare = overlay_prepare,
	.make_mount = overlay_make_mount,
	.is_mounted = overlay_is_mounted,
	.cleanup = overlay_cleanup,
};
