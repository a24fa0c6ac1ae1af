/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "mountapi.h"
#include "path.h"
#include "util.h"

int srfs_mount_detach(int fd)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (umount2(proc, MNT_DETACH) < 0)
		return log_errno(negative_errno(), "cannot detach a mount it made");
	return 0;
}

/* Does TARGET, walked without symbolic links, lead to the root of the mount FD?  1, 0, -errno. */
static int path_leads_to(const char *target, int fd)
{
	struct statx a, b;
	_cleanup_close_ int tfd = srfs_path_open_dir(target);
	if (tfd < 0)
		return 0;
	if (statx(tfd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &a) < 0 ||
	    statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &b) < 0)
		return negative_errno();
	return !(a.stx_mask & STATX_MNT_ID) ||
	       (a.stx_mnt_id == b.stx_mnt_id && a.stx_ino == b.stx_ino);
}

/*
 * Attached under a shared mount, the kernel makes the new mount shared too
 * (and copies it to that mount's peers): it is made private again, so that
 * nothing mounted on those copies comes back into this one.
 */
int srfs_mount_attach(int mnt, int target_fd, const char *target)
{
	_cleanup_close_ int fd = mnt;
	struct mount_attr priv = { .propagation = MS_PRIVATE };
	int r;

	if (move_mount(fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_errno(negative_errno(), "cannot mount the share at %s", target);
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &priv, sizeof(priv)) < 0) {
		r = log_errno(negative_errno(), "cannot make the share at %s private", target);
		srfs_mount_detach(fd);
		return r;
	}
	/* The directory was opened once, but its path must still lead to it: a component
	 * renamed in between would leave a share that cannot be found by its path. */
	r = path_leads_to(target, fd);
	if (r <= 0) {
		srfs_mount_detach(fd);
		if (r == 0)
			log_error("target %s changed while it was mounted (a directory on its path "
				  "was renamed); nothing is mounted, try again",
				  target);
		else
			log_errno(r, "cannot check the share at %s", target);
		return r < 0 ? r : -EAGAIN;
	}
	return 0;
}

/* Kernels without the new mount API (before 5.2) get the old way: bind, then remount read-only. */
static int bind_read_only_old(const char *source, int target_fd, const char *target)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", target_fd);
	if (mount(source, proc, "none", MS_BIND, NULL) < 0)
		return log_errno(negative_errno(), "cannot mount the share at %s", target);
	if (mount("none", target, "none", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  NULL) < 0 ||
	    mount("none", target, "none", MS_PRIVATE, NULL) < 0) {
		int r = log_errno(negative_errno(), "cannot make the share at %s read-only", target);
		umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW);
		return r;
	}
	return 0;
}

int srfs_mount_bind_read_only(const char *source, int target_fd, const char *target)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		.propagation = MS_PRIVATE,
	};
	_cleanup_close_ int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (tree < 0 && errno == ENOSYS)
		return bind_read_only_old(source, target_fd, target);
	if (tree < 0)
		return log_errno(negative_errno(), "cannot copy the image mount %s", source);
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return log_errno(negative_errno(), "cannot make the share at %s read-only", target);
	return srfs_mount_attach(TAKE_FD(tree), target_fd, target);
}

int srfs_mount_new(const char *fstype, const char *const *keys, const char *const *values,
		   const char *what)
{
	_cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
	int mnt;

	if (fs < 0)
		return log_errno(negative_errno(), "cannot mount %s", what);
	for (size_t i = 0; keys && keys[i]; i++) {
		int r = values[i] ? fsconfig(fs, FSCONFIG_SET_STRING, keys[i], values[i], 0)
				  : fsconfig(fs, FSCONFIG_SET_FLAG, keys[i], NULL, 0);
		if (r < 0)
			return log_errno(negative_errno(), "cannot mount %s (option %s)", what,
					 keys[i]);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return log_errno(negative_errno(), "cannot mount %s", what);
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return log_errno(negative_errno(), "cannot mount %s", what);
	return mnt;
}

int srfs_mount_unmount_at(int parent_fd, const char *name, bool lazy)
{
	char path[64 + NAME_MAX + 1];
	/* Through the opened parent: a path resolved again could lead elsewhere. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", parent_fd, name);
	return umount2(path, UMOUNT_NOFOLLOW | (lazy ? MNT_DETACH : 0)) < 0 ? negative_errno() : 0;
}
