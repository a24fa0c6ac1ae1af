/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>

#include "context.h"
#include "macro.h"
#include "util.h"

#define SELINUXFS "/sys/fs/selinux"
#define SELINUX_MAGIC 0xf97cff8c

bool srfs_context_enabled(void)
{
	struct statfs fs;
	char current[64] = "";

	/* selinuxfs mounted and a policy loaded (before that, tasks are just "kernel"). */
	if (statfs(SELINUXFS, &fs) < 0 || fs.f_type != SELINUX_MAGIC)
		return false;
	_cleanup_close_ int fd = open("/proc/self/attr/current", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, current, sizeof(current) - 1);
	return n > 0 && strncmp(current, "kernel", 6) != 0 && current[0] != '\0';
}

int srfs_context_canonical(const char *label, char *out, size_t size)
{
	_cleanup_close_ int fd = open(SELINUXFS "/context", O_RDWR | O_CLOEXEC);
	size_t len = strlen(label);
	char buf[SRFS_CONTEXT_MAX + 1];
	ssize_t n;

	if (fd < 0)
		return negative_errno();
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	/* The kernel validates what is written and answers with the canonical form. */
	n = write(fd, label, len + 1);
	if (n < 0)
		return errno == EINVAL ? -EINVAL : negative_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? negative_errno() : -EIO;
	buf[n] = '\0';
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}
