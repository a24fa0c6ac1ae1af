/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <inttypes.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "state.h"
#include "mountapi.h"
#include "path.h"
#include "util.h"

/*
 * umount2(NAME) relative to the directory DIR, through the working directory
 * rather than /proc/self/fd (in another mount namespace /proc is whatever is
 * mounted there).  -errno, not logged.
 */
static int umount_in(int dir, const char *name, int flags)
{
	_cleanup_close_ int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (here < 0 || fchdir(dir) < 0)
		return negative_errno();
	int r = umount2(name, flags) < 0 ? negative_errno() : 0;
	if (fchdir(here) < 0)
		abort(); /* relative paths would now lead elsewhere */
	return r;
}

int srfs_mount_detach(int fd)
{
	/* "." in the mount's own root: that very mount, whatever path leads there. */
	int r = umount_in(fd, ".", MNT_DETACH);
	return r < 0 ? log_errno(r, "cannot detach a mount it made") : 0;
}

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

/* The ids of the mount DIRFD/NAME is on (the unique one where the kernel has it). */
static int mount_id_at(int dirfd, const char *name, struct srfs_mount_id *id, struct statx *stx)
{
	unsigned flags = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC;
	struct statx u;

	if (statx(dirfd, name, flags, STATX_TYPE | STATX_INO | STATX_MNT_ID, stx) < 0)
		return negative_errno();
	if (!(stx->stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP; /* before Linux 5.8 */
	id->id = stx->stx_mnt_id;
	id->unique = 0;
	id->dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	if (statx(dirfd, name, flags, STATX_MNT_ID_UNIQUE, &u) == 0 &&
	    (u.stx_mask & STATX_MNT_ID_UNIQUE))
		id->unique = u.stx_mnt_id;
	return 0;
}

int srfs_mount_is(int dirfd, const char *name, const struct srfs_mount_id *id)
{
	unsigned mask = id->unique ? STATX_MNT_ID_UNIQUE : STATX_MNT_ID;
	struct statx stx;

	if (statx(dirfd, name, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
		  STATX_TYPE | mask, &stx) < 0)
		return negative_errno();
	if (!S_ISDIR(stx.stx_mode))
		return -ENOTDIR;
	if (!(stx.stx_mask & mask))
		return -EOPNOTSUPP;
	return stx.stx_mnt_id == (id->unique ? id->unique : id->id) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) &&
	       makedev(stx.stx_dev_major, stx.stx_dev_minor) == id->dev;
}

/*
 * Waits for any rename in flight in the directory holding TARGET_FD: takes
 * and drops that directory's lock, by a rename of NAME onto itself that
 * RENAME_NOREPLACE makes fail (it changes nothing, whatever NAME is now).
 */
static void rename_barrier(int target_fd, const char *target)
{
	const char *slash = strrchr(target, '/');
	_cleanup_close_ int parent = openat(target_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent >= 0 && slash && slash[1])
		renameat2(parent, slash + 1, parent, slash + 1, RENAME_NOREPLACE);
}

/*
 * Does TARGET, walked without symbolic links, lead to the root of the mount
 * FD?  1 and FD's mount's ID, 0, -errno.
 */
static int path_leads_to(const char *target, int fd, struct srfs_mount_id *id)
{
	struct statx a, b;
	struct srfs_mount_id tid;
	_cleanup_close_ int tfd = srfs_path_open_dir(target);
	if (tfd < 0)
		return 0;
	int r = mount_id_at(tfd, "", &tid, &a);
	if (r == 0)
		r = mount_id_at(fd, "", id, &b);
	if (r < 0)
		return r;
	return tid.id == id->id && a.stx_ino == b.stx_ino;
}

/*
 * Attached under a shared mount, the kernel makes the new mount shared too
 * (and copies it to that mount's peers): it is made private again, so that
 * nothing mounted on those copies comes back into this one.
 */
int srfs_mount_attach(int mnt, int target_fd, const char *target, struct srfs_mount_id *id)
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
	rename_barrier(target_fd, target);
	r = path_leads_to(target, fd, id);
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

/*
 * Kernels without open_tree (before 5.2; and valgrind, which does not know
 * it): the classic bind, then a read-only remount, both through descriptors.
 * The bind is made on the target's descriptor; the new mount is then reached
 * from the target's directory by its name (never followed) and checked to be
 * a root of the image's file system before it is remounted through its own
 * descriptor.  Between the two calls the target is writable: only the new
 * API closes that window.
 */
int srfs_mount_bind_read_only_classic(const char *source, int target_fd, const char *target,
				      struct srfs_mount_id *id)
{
	const char *slash = strrchr(target, '/');
	_cleanup_close_ int parent = openat(target_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int mnt = -1;
	struct stat src, top;
	char proc[64];
	int r;

	if (parent < 0 || stat(source, &src) < 0 || !slash)
		return log_errno(parent < 0 || !slash ? -EINVAL : negative_errno(),
				 "cannot mount the share at %s", target);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", target_fd);
	if (mount(source, proc, "none", MS_BIND, NULL) < 0)
		return log_errno(negative_errno(), "cannot mount the share at %s", target);
	mnt = openat(parent, slash + 1, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (mnt < 0 || fstat(mnt, &top) < 0 || top.st_dev != src.st_dev ||
	    top.st_ino != src.st_ino || srfs_is_mount_root(mnt) != 1) {
		/* Moved or covered meanwhile: undo the bind where it was made. */
		log_error("target %s changed while it was mounted; nothing is mounted, try again",
			  target);
		umount2(proc, MNT_DETACH);
		return -EAGAIN;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", mnt);
	if (mount("none", proc, "none", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
		    0 ||
	    mount("none", proc, "none", MS_PRIVATE, NULL) < 0) {
		r = log_errno(negative_errno(), "cannot make the share at %s read-only", target);
		umount2(proc, MNT_DETACH);
		return r;
	}
	struct statx stx;
	r = mount_id_at(mnt, "", id, &stx);
	if (r < 0 && r != -EOPNOTSUPP) {
		umount2(proc, MNT_DETACH);
		return log_errno(r, "cannot inspect the share at %s", target);
	}
	if (r == -EOPNOTSUPP)
		*id = (struct srfs_mount_id){ 0 };
	return 0;
}

int srfs_mount_clone_read_only(const char *source, const char *target)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		.propagation = MS_PRIVATE,
	};
	_cleanup_close_ int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (tree < 0 && errno == ENOSYS)
		return -ENOSYS;
	if (tree < 0)
		return log_errno(negative_errno(), "cannot copy the image mount %s", source);
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return log_errno(negative_errno(), "cannot make the share at %s read-only", target);
	return TAKE_FD(tree);
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

int srfs_mount_unmount_at(int parent_fd, const char *name, const struct srfs_mount_id *id,
			  bool lazy)
{
	struct stat st;
	if (fstat(parent_fd, &st) < 0)
		return negative_errno();
	/*
	 * Only root can rename in PARENT: NAME still leads to the mount checked, and a
	 * plain unmount keeps its meaning (refused while something runs in it).
	 */
	if (!id || (st.st_uid == 0 && !(st.st_mode & 022)))
		return umount_in(parent_fd, name, UMOUNT_NOFOLLOW | (lazy ? MNT_DETACH : 0));
	/*
	 * Others can: NAME may be swapped with another mount point between a check and
	 * the unmount.  The mount is opened, checked through that descriptor, and
	 * detached through it: that very mount, lazily (a descriptor of it makes it busy).
	 */
	_cleanup_close_ int fd = openat(parent_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
								O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	int r = srfs_mount_is(fd, "", id);
	if (r <= 0)
		return r < 0 ? r : -ESTALE;
	return umount_in(fd, ".", MNT_DETACH);
}

/* Undoes mountinfo's octal escapes (space, tab, newline, backslash) in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

int srfs_mount_find(const struct srfs_mount_id *id, char **where)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	struct statfs fs;

	/* In another mount namespace /proc is whatever is mounted there: nothing but
	 * proc's own file is read, and nothing read can block. */
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && (fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC)) {
		close(fd);
		fd = -1;
		errno = EINVAL;
	}
	if (fd < 0 || !(f = fdopen(fd, "re"))) {
		int r = negative_errno();
		if (fd >= 0)
			close(fd);
		return log_errno(r, "cannot read /proc/self/mountinfo");
	}
	while (getline(&line, &size, f) > 0) {
		uint64_t mid;
		unsigned ma, mi;
		int at = 0;
		if (sscanf(line, "%" SCNu64 " %*u %u:%u %*s %n", &mid, &ma, &mi, &at) != 3 || !at ||
		    mid != id->id || makedev(ma, mi) != id->dev)
			continue;
		char *mp = line + at;
		mp[strcspn(mp, " ")] = '\0';
		unescape(mp);
		*where = strdup(mp);
		return *where ? 1 : log_errno(-ENOMEM, "cannot read /proc/self/mountinfo");
	}
	return 0;
}

/* The mount namespace this process is in (its inode), 0 until known. */
static uint64_t current_mntns;

uint64_t srfs_mntns_current(void)
{
	uint64_t ino = __atomic_load_n(&current_mntns, __ATOMIC_RELAXED);
	struct stat st;
	if (!ino && stat("/proc/self/ns/mnt", &st) == 0) {
		ino = st.st_ino;
		__atomic_store_n(&current_mntns, ino, __ATOMIC_RELAXED);
	}
	return ino;
}

int srfs_mntns_enter(int fd)
{
	struct stat st;
	srfs_mntns_current(); /* known before leaving: /proc may be anything there */
	if (fstat(fd, &st) < 0 || setns(fd, CLONE_NEWNS) < 0)
		return negative_errno();
	__atomic_store_n(&current_mntns, (uint64_t)st.st_ino, __ATOMIC_RELAXED);
	return 0;
}

bool srfs_mntns_alive(uint64_t ino)
{
	_cleanup_(closedirp) DIR *proc = opendir("/proc");
	char want[64], path[64], link[64];
	struct dirent *e;

	if (!proc)
		return true; /* cannot tell: alive, so nothing is dropped */
	snprintf(want, sizeof(want), "mnt:[%" PRIu64 "]", ino);
	while ((e = readdir(proc))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/ns/mnt", e->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			if (streq(link, want))
				return true;
		}
	}
	return false;
}

int srfs_mount_set_idmap(int mnt, int userns, const char *fs, const char *what)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns };
	if (mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
		return 0;
	int r = negative_errno();
	if (r == -EINVAL) {
		/* The mount is fresh and detached, the namespace checked: the file system. */
		log_error("cannot idmap %s: file system %s does not support idmapped mounts", what,
			  fs);
		return -EOPNOTSUPP;
	}
	if (r == -ENOSYS) {
		log_error("cannot idmap %s: this kernel has no idmapped mounts (Linux 5.12 or later "
			  "is needed)",
			  what);
		return -EOPNOTSUPP; /* not -ENOSYS, which means "no new mount API" to callers */
	}
	return log_errno(r, "cannot idmap %s", what);
}
