/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loop devices for file-backed pools and images.  Attached with autoclear:
 * the kernel detaches the device when its last user closes it, so a
 * device-mapper table (or mount) that holds it keeps it, and a crash before
 * that leaves nothing attached.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct srfs_loop {
	int fd;    /* open loop device: keeps it attached until closed */
	dev_t devno;
	char path[32]; /* /dev/loopN */
};

#define SRFS_LOOP_INIT { .fd = -1 }

/* Attaches the regular file FILE_FD to a free loop device (LOOP_CONFIGURE, or the old way). */
int srfs_loop_attach(int file_fd, bool read_only, struct srfs_loop *loop);
void srfs_loop_close(struct srfs_loop *loop);
#define _cleanup_loop_ _cleanup_(srfs_loop_close)

/* The backing file of loop device DEVNO ("" when it is not a loop device). */
int srfs_loop_backing_file(dev_t devno, char *buf, size_t size);
