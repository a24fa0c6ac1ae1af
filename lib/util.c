/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
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

int srfs_remove_tree(int dir_fd, const char *name)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : negative_errno();
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? negative_errno() : 0;

	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = fd < 0 ? negative_errno() : srfs_remove_children(fd, NULL, NULL);
	if (r == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0)
		r = negative_errno();
	return r;
}
