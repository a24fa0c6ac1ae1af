/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signature probing through libblkid (the only file that includes it). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Looks for any signature libblkid knows (file systems, RAID and LVM
 * members, partition tables) on the device or file FD.  Returns 1 and its
 * name in WHAT ("ext4", "LVM2_member", "partition table gpt", ...), 0 when
 * there is none, or -errno.
 */
int srfs_probe_signature(int fd, char *what, size_t what_size);

/*
 * The file system on the device or file FD: 1 and its type in TYPE ("ext4",
 * "erofs", ...), 0 when there is no file system (or something else), -errno.
 */
int srfs_probe_filesystem(int fd, char *type, size_t type_size);

/*
 * The smallest unit the file system on FD reads and writes, as libblkid
 * reports it (ext4: its block size; xfs: its sector size): 1 and SIZE, 0
 * when unknown, -errno.
 */
int srfs_probe_block_size(int fd, uint64_t *size);
