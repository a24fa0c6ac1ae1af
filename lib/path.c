/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "path.h"
#include "util.h"

char *srfs_path_normalize(const char *path)
{
	_cleanup_free_ char *cwd = path[0] == '/' ? NULL : getcwd(NULL, 0);
	size_t n = (cwd ? strlen(cwd) : 0) + strlen(path) + 3;
	char *out = malloc(n), *o = out;
	if (!out || (path[0] != '/' && !cwd)) {
		free(out);
		return NULL;
	}
	*o = '\0';
	for (int part = 0; part < 2; part++) {
		const char *p = part == 0 ? (cwd ? cwd : "") : path;
		while (*p) {
			while (*p == '/')
				p++;
			size_t len = strcspn(p, "/");
			if (len == 0 || (len == 1 && p[0] == '.')) {
				/* nothing */
			} else if (len == 2 && p[0] == '.' && p[1] == '.') {
				char *slash = strrchr(out, '/');
				o = slash ? slash : out;
				*o = '\0';
			} else {
				*o++ = '/';
				memcpy(o, p, len);
				o += len;
				*o = '\0';
			}
			p += len;
		}
	}
	if (o == out)
		strcpy(out, "/");
	return out;
}

/*
 * What openat2's RESOLVE_NO_SYMLINKS does, for kernels (and tools such as
 * valgrind) without openat2: one component at a time, none followed.
 */
static int walk_no_symlinks(const char *path)
{
	_cleanup_close_ int fd = open(path[0] == '/' ? "/" : ".",
				      O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *p = path;

	while (fd >= 0 && *p) {
		char name[NAME_MAX + 1];
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len > NAME_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		int next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			/* O_PATH|O_NOFOLLOW opens a symbolic link itself: ENOTDIR; say ELOOP. */
			struct stat st;
			if (errno == ENOTDIR && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				errno = ELOOP;
			return -1;
		}
		closep(&fd);
		fd = next;
	}
	return TAKE_FD(fd);
}

int srfs_path_open_dir(const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		return walk_no_symlinks(path);
	return (int)fd;
}

int srfs_path_open_dir_checked(const char *what, const char *target, int *fd_out,
			       char **path_out)
{
	return srfs_path_open_dir_as(what, target, true, fd_out, path_out);
}

int srfs_path_open_dir_as(const char *what, const char *target, bool check, int *fd_out,
			  char **path_out)
{
	char q[SRFS_QUOTE_MAX], proc[64], buf[4096];
	int fd = srfs_path_open_dir(target);

	if (fd < 0) {
		int r = negative_errno();
		srfs_quote(q, sizeof(q), target);
		if (r == -ENOENT)
			log_error("%s %s does not exist", what, q);
		else if (r == -ENOTDIR)
			log_error("%s %s is not a directory", what, q);
		else if (r == -ELOOP)
			log_error("%s %s is or passes through a symbolic link", what, q);
		else
			log_errno(r, "cannot open %s %s", what, q);
		return r;
	}
	if (!check) {
		*path_out = srfs_path_normalize(target);
		if (!*path_out || target[0] != '/') {
			close(fd);
			return log_errno(*path_out ? -EINVAL : -ENOMEM, "cannot resolve %s %s", what,
					 srfs_quote(q, sizeof(q), target));
		}
		*fd_out = fd;
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/') {
		int r = n < 0 ? negative_errno() : -EINVAL;
		close(fd);
		return log_errno(r, "cannot resolve %s %s", what,
				 srfs_quote(q, sizeof(q), target));
	}
	buf[n] = '\0';
	_cleanup_free_ char *want = srfs_path_normalize(target);
	if (want && !streq(want, buf)) {
		close(fd);
		log_error("%s %s changed while it was opened (%s now); try again", what,
			  srfs_quote(q, sizeof(q), target), buf);
		return -EAGAIN;
	}
	*path_out = strdup(buf);
	if (!*path_out) {
		close(fd);
		return log_errno(-ENOMEM, "cannot resolve %s", what);
	}
	*fd_out = fd;
	return 0;
}

/* Is the part PART of the image file PATH one that only root can change?  Says why not. */
static int check_source_part(const char *path, const char *part, const struct stat *st,
			     bool is_file)
{
	bool open_to_others = (st->st_mode & 022) && (is_file || !(st->st_mode & S_ISVTX));

	if (st->st_uid != 0) {
		log_error("refusing image file %s: %s is owned by uid %u, not by root", path, part,
			  (unsigned)st->st_uid);
		return -EPERM;
	}
	if (open_to_others) {
		log_error("refusing image file %s: %s is writable by group or others (mode %04o)",
			  path, part, (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int srfs_source_open(const char *path, char **canonical, struct stat *st)
{
	_cleanup_free_ char *abs = srfs_path_normalize(path);
	_cleanup_close_ int dir = -1;
	char q[SRFS_QUOTE_MAX];
	int r;

	if (!abs)
		return log_errno(-ENOMEM, "cannot open %s", path);
	srfs_quote(q, sizeof(q), abs);
	if (streq(abs, "/")) {
		log_error("%s is neither a file system image file nor a block device", q);
		return -EINVAL;
	}
	dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fstat(dir, st) < 0)
		return log_errno(negative_errno(), "cannot open /");
	if ((r = check_source_part(q, "/", st, false)) < 0)
		return r;
	for (char *part = abs + 1;;) {
		char *slash = strchr(part, '/');
		if (slash)
			*slash = '\0';
		/* The link itself, not followed: only root could have put it there, but say so. */
		if (fstatat(dir, part, st, AT_SYMLINK_NOFOLLOW) < 0)
			return log_errno(negative_errno(), "cannot open %s", q);
		if (S_ISLNK(st->st_mode)) {
			log_error("refusing image file %s: %s is a symbolic link", q, abs);
			return -ELOOP;
		}
		int next = openat(dir, part, (slash ? O_PATH | O_DIRECTORY : O_RDONLY | O_NONBLOCK |
					     O_NOCTTY) | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, st) < 0) {
			r = log_errno(negative_errno(), "cannot open %s", q);
			if (next >= 0)
				close(next);
			return r;
		}
		closep(&dir);
		dir = next;
		if (!slash && !S_ISREG(st->st_mode)) {
			log_error("%s is not a regular file", q);
			return -EINVAL;
		}
		if ((r = check_source_part(q, abs, st, !slash)) < 0)
			return r;
		if (!slash)
			break;
		*slash = '/';
		part = slash + 1;
	}
	/* Reads need not wait: it is a regular file. */
	if (fcntl(dir, F_SETFL, 0) < 0)
		return log_errno(negative_errno(), "cannot open %s", q);
	if (canonical && !(*canonical = strdup(abs)))
		return log_errno(-ENOMEM, "cannot open %s", q);
	return TAKE_FD(dir);
}
