/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's mount API, as the share modes use it: a mount is made
 * detached (open_tree or fsmount), given its attributes, and only then
 * attached at a target directory opened by descriptor (move_mount), so that
 * it is never visible at the target in a weaker state.
 */
#pragma once

#include <stdbool.h>

/*
 * Attaches the detached mount MNT (which it closes) at TARGET_FD and makes it
 * private; undone (-EAGAIN) when TARGET, walked again without symbolic links,
 * no longer leads to it (a directory on its path renamed meanwhile).
 */
int srfs_mount_attach(int mnt, int target_fd, const char *target);

/* Detaches the attached mount FD refers to, whatever path leads there now. */
int srfs_mount_detach(int fd);

/*
 * Binds the mount SOURCE onto the directory TARGET_FD read-only, nosuid,
 * nodev and private from the first instant.
 */
int srfs_mount_bind_read_only(const char *source, int target_fd, const char *target);

/*
 * A new detached mount (nosuid, nodev) of a file system FSTYPE configured
 * with the string options KEYS[i]=VALUES[i] (a NULL value: a flag); WHAT names
 * it in messages.  The mount's descriptor, or -errno (logged).
 */
int srfs_mount_new(const char *fstype, const char *const *keys, const char *const *values,
		   const char *what);

/*
 * Unmounts NAME in the directory PARENT_FD (never following it if it is a
 * symbolic link); LAZY: detaches it even when busy.  -errno, not logged.
 */
int srfs_mount_unmount_at(int parent_fd, const char *name, bool lazy);
