/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "name.h"
#include "path.h"
#include "state.h"
#include "util.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

/* Checks an opened state directory: ours, a directory, 0700-ish; with SUB, no mount on it. */
static int check_dir(int fd, const char *path, bool sub)
{
	struct statx st;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_UID,
		  &st) < 0)
		return log_errno(negative_errno(), "cannot stat %s", path);
	if (!S_ISDIR(st.stx_mode)) {
		log_error("state directory %s is not a directory", path);
		return -ENOTDIR;
	}
	if (sub && (st.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		log_error("state directory %s has something mounted on it: nothing found there is "
			  "used (unmount it)",
			  path);
		return -EBUSY;
	}
	if (st.stx_uid != geteuid()) {
		log_error("state directory %s is owned by uid %u, not by uid %u", path,
			  (unsigned)st.stx_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (st.stx_mode & 077) {
		log_error("state directory %s has mode %04o: it must not be open to group or "
			  "others (chmod 0700)",
			  path, (unsigned)(st.stx_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int open_dir_at(int dirfd, const char *name, const char *path, bool create, bool sub,
		       int *out)
{
	_cleanup_close_ int fd = -1;

	for (int attempt = 0;; attempt++) {
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno == ELOOP || (errno == ENOTDIR && faccessat(dirfd, name, F_OK,
								     AT_SYMLINK_NOFOLLOW) == 0)) {
			struct stat st;
			if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode)) {
				log_error("state directory %s is a symbolic link", path);
				return -ELOOP;
			}
			log_error("state directory %s is not a directory", path);
			return -ENOTDIR;
		}
		if (errno != ENOENT)
			return log_errno(negative_errno(), "cannot open state directory %s", path);
		if (!create)
			return -ENOENT;
		if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
			return log_errno(negative_errno(), "cannot create state directory %s",
					 path);
		if (attempt > 2)
			return log_errno(-EAGAIN, "cannot open state directory %s", path);
	}
	int r = check_dir(fd, path, sub);
	if (r < 0)
		return r;
	*out = TAKE_FD(fd);
	return 0;
}

int srfs_state_subdir(int dirfd, const char *dir_path, const char *name, bool create,
		      int *out_fd)
{
	_cleanup_free_ char *path = srfs_path_join(dir_path, name);
	if (!path)
		return log_errno(-ENOMEM, "cannot open state directory");
	return open_dir_at(dirfd, name, path, create, true, out_fd);
}

int srfs_state_run_dir(struct srfs_state *st, const char *name, bool create)
{
	struct srfs_state_dirs *d = st->run_dirs;
	unsigned i;
	int fd, r;

	if (!d)
		return log_errno(-EBADF, "internal error: the runtime directory is not open");
	for (i = 0; i < SRFS_STATE_RUN_DIRS && d->name[i]; i++)
		if (streq(d->name[i], name))
			return d->fd[i];
	r = srfs_state_subdir(st->run_fd, st->run_path, name, create, &fd);
	if (r < 0)
		return r;
	if (i == SRFS_STATE_RUN_DIRS) {
		close(fd);
		return log_errno(-ENOBUFS, "internal error: too many runtime directories");
	}
	d->name[i] = name;
	d->fd[i] = fd;
	return fd;
}

static void run_dirs_close(struct srfs_state_dirs *d)
{
	for (unsigned i = 0; d && i < SRFS_STATE_RUN_DIRS && d->name[i]; i++) {
		close(d->fd[i]);
		d->name[i] = NULL;
	}
}

static int resolve(const char *env, const char *fallback, char **out)
{
	const char *p = getenv(env);
	char q[SRFS_QUOTE_MAX];

	if (!p || !*p)
		p = fallback;
	else if (p[0] != '/') {
		log_error("%s must be an absolute path, not '%s'", env, srfs_quote(q, sizeof(q), p));
		return -EINVAL;
	}
	*out = strdup(p);
	return *out ? 0 : log_errno(-ENOMEM, "cannot open state directory");
}

/* Opens PATH (the parent must exist; the last component is not followed). */
static int open_top(const char *path, bool create, int *out)
{
	_cleanup_free_ char *parent = strdup(path);
	_cleanup_close_ int parent_fd = -1;

	if (!parent)
		return log_errno(-ENOMEM, "cannot open state directory %s", path);
	char *slash = strrchr(parent, '/');
	const char *base = slash + 1;
	if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	if (!*base || streq(base, ".") || streq(base, "..")) {
		log_error("state directory %s is not a plain directory name", path);
		return -EINVAL;
	}
	parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0) {
		if (errno == ENOENT && !create)
			return -ENOENT;
		return log_errno(negative_errno(), "cannot open %s (parent of the state directory)",
				 parent);
	}
	return open_dir_at(parent_fd, base, path, create, false, out);
}

/* One statx: is it a mount's root (1, 0, -errno), and its file system's device. */
static int mount_root_at(int dirfd, const char *path, dev_t *dev)
{
	struct statx stx;

	if (statx(dirfd, path, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
		  STATX_TYPE, &stx) < 0)
		return negative_errno();
	if (!S_ISDIR(stx.stx_mode))
		return -ENOTDIR;
	if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return -EOPNOTSUPP;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	return !!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int srfs_is_mount_root(int fd)
{
	dev_t dev;
	return mount_root_at(fd, "", &dev);
}

int srfs_is_mount_of(int dirfd, const char *path, dev_t dev)
{
	dev_t have;
	int r = mount_root_at(dirfd, path, &have);
	return r <= 0 ? r : have == dev;
}

/*
 * Makes the runtime directory a private mount of its own (a bind onto
 * itself).  Under an flock on the directory (the bind shares its inode, so
 * the lock holds across it), so that two first runs at once do not stack two
 * binds; the directory is looked at afresh once the lock is held.
 */
static int make_private_mount(struct srfs_state *st)
{
	_cleanup_close_ int fd = -1;
	char fdpath[64];
	int r;

	while (flock(st->run_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return log_errno(negative_errno(), "cannot lock %s", st->run_path);
	r = open_top(st->run_path, false, &fd);
	if (r < 0)
		return r == -ENOENT ? log_errno(r, "cannot open %s", st->run_path) : r;
	r = srfs_is_mount_root(fd);
	if (r < 0)
		return log_errno(r, "cannot tell whether %s is a mount point", st->run_path);
	if (r == 0) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		if (mount(fdpath, fdpath, "none", MS_BIND, NULL) < 0)
			return log_errno(negative_errno(), "cannot make %s a mount point",
					 st->run_path);
		closep(&fd);
		r = open_top(st->run_path, false, &fd);
		if (r < 0)
			return r == -ENOENT ? log_errno(r, "cannot open %s", st->run_path) : r;
		if (srfs_is_mount_root(fd) <= 0) {
			log_error("%s was replaced while it was being set up", st->run_path);
			return -EBUSY;
		}
	}
	/* Every time: a later "mount --make-rshared /" may have made it shared again. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (mount("none", fdpath, "none", MS_PRIVATE, NULL) < 0)
		return log_errno(negative_errno(), "cannot make %s a private mount", st->run_path);
	/* Closing the old descriptor releases the lock. */
	run_dirs_close(st->run_dirs);
	closep(&st->run_fd);
	st->run_fd = TAKE_FD(fd);
	return 0;
}

int srfs_state_open(struct srfs_state *st, unsigned flags)
{
	bool create = flags & SRFS_STATE_CREATE;
	int r;

	if (flags & SRFS_STATE_RUN) {
		if (!st->run_path && (r = resolve(SRFS_RUNDIR_ENV, SRFS_RUNDIR_DEFAULT,
						  &st->run_path)) < 0)
			return r;
		if (!st->run_dirs && !(st->run_dirs = calloc(1, sizeof(*st->run_dirs))))
			return log_errno(-ENOMEM, "cannot open state directory %s", st->run_path);
		if (st->run_fd < 0 && (r = open_top(st->run_path, create, &st->run_fd)) < 0)
			return r;
		if ((flags & SRFS_STATE_PRIVATE_MOUNT) && (r = make_private_mount(st)) < 0)
			return r;
	}
	if (flags & SRFS_STATE_CATALOG) {
		if (!st->catalog_path && (r = resolve(SRFS_STATEDIR_ENV, SRFS_STATEDIR_DEFAULT,
						      &st->catalog_path)) < 0)
			return r;
		if (st->catalog_fd < 0 &&
		    (r = open_top(st->catalog_path, create, &st->catalog_fd)) < 0)
			return r;
	}
	return 0;
}

const char *srfs_state_run_real_path(struct srfs_state *st)
{
	char proc[64], buf[4096];

	if (!st->run_real_path && st->run_fd >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", st->run_fd);
		ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] == '/') {
			buf[n] = '\0';
			st->run_real_path = strdup(buf);
		}
	}
	return st->run_real_path;
}

char *srfs_state_catalog_path(void)
{
	_cleanup_free_ char *path = NULL;
	if (resolve(SRFS_STATEDIR_ENV, SRFS_STATEDIR_DEFAULT, &path) < 0)
		return NULL;
	return srfs_path_normalize(path);
}

void srfs_state_close(struct srfs_state *st)
{
	run_dirs_close(st->run_dirs);
	free(st->run_dirs);
	st->run_dirs = NULL;
	closep(&st->run_fd);
	closep(&st->catalog_fd);
	free(st->run_path);
	free(st->catalog_path);
	free(st->run_real_path);
	st->run_path = st->catalog_path = st->run_real_path = NULL;
}

void srfs_names_free(char **names)
{
	for (char **p = names; p && *p; p++)
		free(*p);
	free(names);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int srfs_state_list(int dirfd, const char *subdir, char ***out)
{
	_cleanup_close_ int fd = openat(dirfd, subdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	DIR *dir;
	int r = 0;

	if (fd < 0 && errno != ENOENT)
		return negative_errno();
	if (fd >= 0) {
		dir = fdopendir(fd);
		if (!dir)
			return negative_errno();
		fd = -1; /* the DIR owns it now */
		while ((e = readdir(dir))) {
			if (srfs_name_check(e->d_name, NULL) < 0)
				continue;
			char **grown = realloc(names, (n + 2) * sizeof(*names));
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			names = grown;
			if (!(names[n] = strdup(e->d_name))) {
				r = -ENOMEM;
				break;
			}
			names[++n] = NULL;
		}
		closedir(dir);
	}
	if (r == 0 && !names && !(names = calloc(1, sizeof(*names))))
		r = -ENOMEM;
	if (r < 0) {
		if (names)
			names[n] = NULL;
		srfs_names_free(names);
		return r;
	}
	qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	return 0;
}
