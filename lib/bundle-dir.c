/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle-dir.h"
#include "log.h"
#include "path.h"
#include "util.h"

#define CONFIG_TMP "." SRFS_BUNDLE_CONFIG ".tmp"

/*
 * Opens the parent of DIR without symbolic links: *PARENT_FD, *ABS (DIR
 * absolute and normalized) and *NAME (its last component, in *ABS).
 * -ENOENT when the parent is missing (logged when LOG).
 */
static int open_parent(const char *dir, bool log, int *parent_fd, char **abs, const char **name)
{
	char q[SRFS_QUOTE_MAX];
	*abs = srfs_path_normalize(dir);
	if (!*abs)
		return log_errno(-ENOMEM, "cannot open bundle directory %s", dir);
	char *slash = strrchr(*abs, '/');
	if (!slash[1]) {
		log_error("bundle directory %s is the root directory", *abs);
		return -EINVAL;
	}
	*name = slash + 1;
	*slash = '\0';
	int fd = srfs_path_open_dir(slash == *abs ? "/" : *abs);
	int r = fd < 0 ? negative_errno() : 0;
	*slash = '/';
	srfs_quote(q, sizeof(q), *abs);
	if (r == -ENOENT && log)
		log_error("the parent of bundle directory %s does not exist", q);
	else if ((r == -ELOOP || r == -ENOTDIR) && log)
		log_error("the parent of bundle directory %s is or passes through a symbolic link "
			  "or a file",
			  q);
	else if (r < 0 && r != -ENOENT)
		log_errno(r, "cannot open the parent of bundle directory %s", q);
	*parent_fd = fd;
	return r;
}

/* Opens DIR (NAME in PARENT_FD) for reading, never through a link; logs why not. */
static int open_bundle(int parent_fd, const char *name, const char *abs, bool missing_ok)
{
	char q[SRFS_QUOTE_MAX];
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	int r = negative_errno();
	struct stat st;
	srfs_quote(q, sizeof(q), abs);
	if (r == -ENOENT && missing_ok)
		return r;
	/* O_DIRECTORY finds a symbolic link not to be a directory before O_NOFOLLOW says ELOOP. */
	if (r == -ENOTDIR && fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		r = -ELOOP;
	if (r == -ELOOP)
		log_error("bundle directory %s is a symbolic link", q);
	else if (r == -ENOTDIR)
		log_error("bundle directory %s is not a directory", q);
	else
		log_errno(r, "cannot open bundle directory %s", q);
	return r;
}

/* Is NAME in FD one of what rootfs-bundle makes, of the type it makes it? */
static bool ours(int fd, const char *name)
{
	struct stat st;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (streq(name, SRFS_BUNDLE_CONFIG) || streq(name, CONFIG_TMP))
		return S_ISREG(st.st_mode);
	return streq(name, SRFS_BUNDLE_ROOTFS) && S_ISDIR(st.st_mode);
}

/*
 * Lists in OTHERS (", "-separated, quoted, cut with "...") what the
 * directory FD holds besides what rootfs-bundle makes (ALLOW_OURS) or at all.
 * How many such entries there are, or -errno.
 */
static int others(int fd, bool allow_ours, char *list, size_t size)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	char q[SRFS_QUOTE_MAX];
	size_t used = 0;
	int n = 0;

	if (!d) {
		int r = negative_errno();
		closep(&dup_fd);
		return r;
	}
	list[0] = '\0';
	for (struct dirent *de; (de = readdir(d));) {
		if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
		    (allow_ours && ours(fd, de->d_name)))
			continue;
		if (n++ < 5 && used < size)
			used += (size_t)snprintf(list + used, size - used, "%s%s", n > 1 ? ", " : "",
						 srfs_quote(q, sizeof(q), de->d_name));
		else if (n == 6 && used < size)
			used += (size_t)snprintf(list + used, size - used, ", ...");
	}
	closedir(d);
	return n;
}

int srfs_bundle_dir_make(const char *dir, int *dir_fd, char **abs_out, bool *made)
{
	_cleanup_free_ char *abs = NULL;
	_cleanup_close_ int parent = -1, fd = -1;
	char q[SRFS_QUOTE_MAX], list[512];
	const char *name;

	*made = false;
	int r = open_parent(dir, true, &parent, &abs, &name);
	if (r < 0)
		return r;
	srfs_quote(q, sizeof(q), abs);
	if (mkdirat(parent, name, 0755) == 0)
		*made = true;
	else if (errno != EEXIST)
		return log_errno(negative_errno(), "cannot make bundle directory %s", q);
	fd = open_bundle(parent, name, abs, false);
	if (fd < 0)
		r = fd;
	else if (!*made && (r = others(fd, false, list, sizeof(list))) > 0) {
		log_error("bundle directory %s is not empty: it holds %s", q, list);
		r = -ENOTEMPTY;
	} else if (r < 0)
		log_errno(r, "cannot read bundle directory %s", q);
	else if (mkdirat(fd, SRFS_BUNDLE_ROOTFS, 0755) < 0)
		r = log_errno(negative_errno(), "cannot make %s/%s", q, SRFS_BUNDLE_ROOTFS);
	if (r < 0) {
		if (*made)
			unlinkat(parent, name, AT_REMOVEDIR);
		return r;
	}
	*dir_fd = TAKE_FD(fd);
	*abs_out = TAKE_PTR(abs);
	return 0;
}

/* DIR opened (*FD) and checked to hold only what rootfs-bundle makes. */
static int open_checked(const char *dir, int *parent, char **abs, const char **name, int *fd)
{
	char q[SRFS_QUOTE_MAX], list[512];
	int r = open_parent(dir, false, parent, abs, name);
	if (r == 0)
		r = *fd = open_bundle(*parent, *name, *abs, true);
	if (r < 0)
		return r;
	r = others(*fd, true, list, sizeof(list));
	if (r > 0) {
		log_error("bundle directory %s holds %s besides %s and %s: it is left as it is",
			  srfs_quote(q, sizeof(q), *abs), list, SRFS_BUNDLE_CONFIG,
			  SRFS_BUNDLE_ROOTFS);
		return -ENOTEMPTY;
	}
	if (r < 0)
		return log_errno(r, "cannot read bundle directory %s", srfs_quote(q, sizeof(q), *abs));
	return 0;
}

int srfs_bundle_dir_check(const char *dir)
{
	_cleanup_free_ char *abs = NULL;
	_cleanup_close_ int parent = -1, fd = -1;
	const char *name;
	return open_checked(dir, &parent, &abs, &name, &fd);
}

int srfs_bundle_dir_remove(const char *dir, bool whole)
{
	_cleanup_free_ char *abs = NULL;
	_cleanup_close_ int parent = -1, fd = -1;
	char q[SRFS_QUOTE_MAX];
	const char *name;

	int r = open_checked(dir, &parent, &abs, &name, &fd);
	if (r == -ENOENT) {
		log_verbose("bundle directory %s is gone already", dir);
		return 0;
	}
	if (r < 0)
		return r;
	srfs_quote(q, sizeof(q), abs);
	if ((unlinkat(fd, SRFS_BUNDLE_CONFIG, 0) < 0 && errno != ENOENT) ||
	    (unlinkat(fd, CONFIG_TMP, 0) < 0 && errno != ENOENT))
		return log_errno(negative_errno(), "cannot remove the configuration in %s", q);
	if (unlinkat(fd, SRFS_BUNDLE_ROOTFS, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		r = negative_errno();
		if (r == -ENOTEMPTY || r == -EEXIST)
			log_error("%s/%s is not empty: it is left as it is", q, SRFS_BUNDLE_ROOTFS);
		else if (r == -EBUSY)
			log_error("%s/%s is a mount point: it is left as it is", q, SRFS_BUNDLE_ROOTFS);
		else
			log_errno(r, "cannot remove %s/%s", q, SRFS_BUNDLE_ROOTFS);
		return r;
	}
	if (whole && unlinkat(parent, name, AT_REMOVEDIR) < 0) {
		r = negative_errno();
		if (r == -ENOTEMPTY || r == -EEXIST)
			log_error("bundle directory %s is not empty (something was added to it meanwhile)",
				  q);
		else
			log_errno(r, "cannot remove bundle directory %s", q);
		return r;
	}
	return 0;
}
