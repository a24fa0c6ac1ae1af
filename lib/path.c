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
