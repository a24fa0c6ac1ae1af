/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmount's utab (/run/mount/utab, or $LIBMOUNT_UTAB), through libmount's
 * update API (the only file that includes libmount).  A share mounted by
 * mount.shared-rootfs is recorded there with the userspace options
 * "helper=shared-rootfs,id=ID": a bind mount shows the image's own file
 * system type in mountinfo, so that entry is how umount(8) finds
 * umount.shared-rootfs.
 */
#pragma once

#define SRFS_UTAB_OPTIONS_MAX 200

int srfs_utab_add(const char *source, const char *target, const char *id);
int srfs_utab_remove(const char *target);
