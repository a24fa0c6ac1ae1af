/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "loop.h"
#include "util.h"

#ifndef LOOP_CONFIGURE
#define LOOP_CONFIGURE 0x4C0A
struct loop_config {
	__u32 fd;
	__u32 block_size;
	struct loop_info64 info;
	__u64 __reserved[8];
};
#endif

static int configure(int loop_fd, int file_fd, bool read_only)
{
	struct loop_config cfg = { .fd = (__u32)file_fd };
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0);

	if (ioctl(loop_fd, LOOP_CONFIGURE, &cfg) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOTTY)
		return negative_errno();
	/* Kernels before 5.8: set the file, then the flags. */
	if (ioctl(loop_fd, LOOP_SET_FD, file_fd) < 0)
		return negative_errno();
	struct loop_info64 info = { .lo_flags = cfg.info.lo_flags };
	if (ioctl(loop_fd, LOOP_SET_STATUS64, &info) < 0) {
		int r = negative_errno();
		ioctl(loop_fd, LOOP_CLR_FD, 0);
		return r;
	}
	return 0;
}

int srfs_loop_attach(int file_fd, bool read_only, struct srfs_loop *loop)
{
	_cleanup_close_ int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	struct stat st;

	if (control < 0)
		return negative_errno();
	/* Another process may take the free device first: try again. */
	for (int attempt = 0; attempt < 64; attempt++) {
		int n = ioctl(control, LOOP_CTL_GET_FREE);
		if (n < 0)
			return negative_errno();
		char path[32];
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		_cleanup_close_ int fd =
			open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0) {
			if (errno == EBUSY || errno == ENOENT)
				continue;
			return negative_errno();
		}
		int r = configure(fd, file_fd, read_only);
		if (r == -EBUSY)
			continue;
		if (r < 0)
			return r;
		if (fstat(fd, &st) < 0)
			return negative_errno();
		loop->devno = st.st_rdev;
		snprintf(loop->path, sizeof(loop->path), "%s", path);
		loop->fd = TAKE_FD(fd);
		return 0;
	}
	return -EBUSY;
}

void srfs_loop_close(struct srfs_loop *loop)
{
	closep(&loop->fd);
}

int srfs_loop_backing_file(dev_t devno, char *buf, size_t size)
{
	char path[96];
	_cleanup_free_ char *text = NULL;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/backing_file", major(devno),
		 minor(devno));
	int r = srfs_read_file_at(AT_FDCWD, path, 4096, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	snprintf(buf, size, "%s", text);
	return 0;
}
