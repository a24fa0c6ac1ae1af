/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "macro.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#include "util.h"

/* The escaped form of byte C into ESC (at most 4 bytes); returns its length. */
static size_t escape_byte(unsigned char c, char esc[4])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '\n': memcpy(esc, "\\n", 2); return 2;
	case '\t': memcpy(esc, "\\t", 2); return 2;
	case '\\': memcpy(esc, "\\\\", 2); return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		esc[0] = (char)c;
		return 1;
	}
	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hex[c >> 4];
	esc[3] = hex[c & 15];
	return 4;
}

const char *srfs_quote(char *buf, size_t size, const char *s)
{
	const unsigned char *p;
	size_t total = 0, o = 0;
	char esc[4];

	if (size == 0)
		return buf;
	for (p = (const unsigned char *)s; *p; p++)
		total += escape_byte(*p, esc);
	/* Room for everything, or for as much as fits before "...". */
	size_t room = total < size ? total : (size > 4 ? size - 4 : 0);
	for (p = (const unsigned char *)s; *p; p++) {
		size_t n = escape_byte(*p, esc);
		if (o + n > room)
			break;
		memcpy(buf + o, esc, n);
		o += n;
	}
	if (total >= size && size > 4) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

int srfs_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int srfs_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Reads the regular file FD up to LEN bytes.  A regular file's read is short
 * only at its end, so a small file takes one read, not a second one to see
 * the end.
 */
static ssize_t read_regular(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		done += (size_t)n;
		if ((size_t)n < len - (done - (size_t)n))
			break;
	}
	return (ssize_t)done;
}

int srfs_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;

	/* Non-blocking: a FIFO or a device in place of a record must not hang the reader. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	/* Read one byte more than allowed to notice a file that grew meanwhile. */
	ssize_t n = read_regular(fd, buf, max + 1);
	if (n < 0)
		return (int)n;
	if ((size_t)n > max)
		return -EFBIG;
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	*out = TAKE_PTR(buf);
	return 0;
}

char *srfs_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	char *p;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 1 && a[0] == '/')
		la = 0;
	if (asprintf(&p, "%.*s/%s", (int)la, a, b) < 0)
		return NULL;
	return p;
}

int srfs_remove_children(int fd, bool (*keep)(const char *name, void *userdata),
			 void *userdata)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return negative_errno();
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (!keep || !keep(de->d_name, userdata))
			r = srfs_remove_tree(dirfd(d), de->d_name);
	}
	closedir(d);
	return r;
}

/*
 * rm -r without recursion: the walk holds the directory it is in and, for a
 * moment, its parent or child, however deep the tree (a container can write
 * a tree deeper than the descriptor limit).  It goes down by name, opening
 * each directory without following a link, and up by "..", checking that
 * ".." is the directory it came from and that the name still leads to the
 * directory being removed: a directory renamed meanwhile stops it (-ESTALE)
 * rather than letting it remove something elsewhere.  It never crosses into
 * another file system or a mount (-EBUSY).
 */
struct tree_level {
	char *name; /* its name in the level above */
	dev_t dev;
	ino_t ino;
};

/* Opens the directory NAME of DIR, on the file system DEV and not a mount point. */
static int open_tree_dir(int dir, const char *name, dev_t dev, struct tree_level *level)
{
	struct statx stx;
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return negative_errno();
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &stx) < 0) {
		int r = negative_errno();
		close(fd);
		return r;
	}
	level->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	level->ino = stx.stx_ino;
	if (level->dev != dev ||
	    (stx.stx_attributes_mask & stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
		close(fd);
		return -EBUSY;
	}
	return fd;
}

/*
 * Unlinks what the directory FD holds that is not a directory; 1 and the
 * name of a subdirectory in SUBDIR when there is one, 0 when none is left.
 */
static int remove_files(int fd, char **subdir)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = copy < 0 ? NULL : fdopendir(copy);
	struct dirent *de;
	struct stat st;
	int r = 0;

	if (!d) {
		r = negative_errno();
		if (copy >= 0)
			close(copy);
		return r;
	}
	rewinddir(d);
	while (r == 0 && (errno = 0, de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		bool is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT)
					r = negative_errno();
				continue;
			}
			is_dir = S_ISDIR(st.st_mode);
		}
		if (is_dir) {
			*subdir = strdup(de->d_name);
			r = *subdir ? 1 : -ENOMEM;
		} else if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
			r = negative_errno();
		}
	}
	if (r == 0 && errno)
		r = negative_errno();
	closedir(d);
	return r;
}

/* Is the directory FD, or NAME in it, the directory LEVEL? */
static bool is_level(int fd, const char *name, const struct tree_level *level)
{
	struct stat st;
	return fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH)) == 0 &&
	       S_ISDIR(st.st_mode) && st.st_dev == level->dev && st.st_ino == level->ino;
}

int srfs_remove_tree(int dir_fd, const char *name)
{
	struct tree_level *levels = NULL;
	size_t depth = 0, room = 0;
	struct stat st;
	int fd = -1, r;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : negative_errno();
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? negative_errno() : 0;

	const dev_t dev = st.st_dev;
	levels = calloc(room = 64, sizeof(*levels));
	if (!levels)
		return -ENOMEM;
	levels[0].name = strdup(name);
	fd = levels[0].name ? open_tree_dir(dir_fd, name, dev, &levels[0]) : -ENOMEM;
	if (fd < 0) {
		r = fd == -ENOENT ? 0 : fd;
		goto out;
	}
	for (;;) {
		char *subdir = NULL;
		r = remove_files(fd, &subdir);
		if (r < 0)
			break;
		if (r == 1) {
			/* Down into the subdirectory. */
			if (depth + 1 == room) {
				struct tree_level *more = reallocarray(levels, room * 2, sizeof(*levels));
				if (!more) {
					free(subdir);
					r = -ENOMEM;
					break;
				}
				levels = more;
				room *= 2;
			}
			struct tree_level *next = &levels[depth + 1];
			int child = open_tree_dir(fd, subdir, dev, next);
			if (child == -ENOENT) { /* gone meanwhile */
				free(subdir);
				continue;
			}
			if (child < 0) {
				free(subdir);
				r = child;
				break;
			}
			next->name = subdir;
			close(fd);
			fd = child;
			depth++;
			continue;
		}
		/* Empty: up, then remove it by its name there. */
		struct tree_level *here = &levels[depth];
		int parent = depth > 0 ? openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : dir_fd;
		if (depth > 0 && parent < 0) { /* (DIR_FD may be AT_FDCWD, which is negative) */
			r = negative_errno();
			break;
		}
		if ((depth > 0 && !is_level(parent, "", &levels[depth - 1])) ||
		    !is_level(parent, here->name, here)) {
			r = -ESTALE;
		} else if (unlinkat(parent, here->name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
			r = 0;
		} else if (errno == ENOTEMPTY || errno == EEXIST) {
			/* Written to meanwhile: once more through it. */
			if (parent != dir_fd)
				close(parent);
			continue;
		} else {
			r = negative_errno();
		}
		close(fd);
		fd = -1;
		if (r < 0 || depth == 0) {
			if (parent != dir_fd)
				close(parent);
			break;
		}
		free(here->name);
		here->name = NULL;
		fd = parent;
		depth--;
	}
out:
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i <= depth && levels; i++)
		free(levels[i].name);
	free(levels);
	return r;
}
