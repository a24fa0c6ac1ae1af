/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's mount API, as the share modes use it: a mount is made
 * detached (open_tree or fsmount), given its attributes, and only then
 * attached at a target directory opened by descriptor (move_mount), so that
 * it is never visible at the target in a weaker state.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime.h"

/*
 * Attaches the detached mount MNT (which it closes) at TARGET_FD, makes it
 * private, and gives its id.  Undone (-EAGAIN) when TARGET, walked again
 * without symbolic links, no longer leads to it: a rename in flight in the
 * target's directory is waited for first (the directory's lock is taken and
 * dropped), and from then on the kernel refuses to rename a mount point.
 */
int srfs_mount_attach(int mnt, int target_fd, const char *target, struct srfs_mount_id *id);

/* Detaches the attached mount FD refers to, whatever path leads there now. */
int srfs_mount_detach(int fd);

/*
 * A detached copy of the mount SOURCE, read-only, nosuid, nodev and private
 * from the first instant: its descriptor, to attach (for messages, it is for
 * TARGET).  -ENOSYS (not logged) on kernels without open_tree (before 5.2).
 */
int srfs_mount_clone_read_only(const char *source, const char *target);

/*
 * Without open_tree: binds SOURCE at TARGET_FD, then remounts it read-only,
 * both through descriptors; the target is writable in between.
 */
int srfs_mount_bind_read_only_classic(const char *source, int target_fd, const char *target,
				      struct srfs_mount_id *id);

/*
 * Is NAME in DIRFD ("" for DIRFD itself), not followed when a symbolic link,
 * the root of the mount ID?  1, 0, -errno; -ENOTDIR when it is not a
 * directory.  One statx: the unique id where ID has one.
 */
int srfs_mount_is(int dirfd, const char *name, const struct srfs_mount_id *id);

/*
 * Where the mount ID is mounted now, from
 * /proc/self/mountinfo: 1 and its mount point in *WHERE (to free), 0 when
 * it is not mounted in this mount namespace.  For the rare case of a mount
 * that is not where it was made: never on the share path.
 */
int srfs_mount_find(const struct srfs_mount_id *id, char **where);

/*
 * A new detached mount (nosuid, nodev) of a file system FSTYPE configured
 * with the string options KEYS[i]=VALUES[i] (a NULL value: a flag); WHAT names
 * it in messages.  The mount's descriptor, or -errno (logged).
 */
int srfs_mount_new(const char *fstype, const char *const *keys, const char *const *values,
		   const char *what);

/*
 * Unmounts NAME in the directory PARENT_FD (never following it if it is a
 * symbolic link), the mount ID (NULL: whatever is there); LAZY: detaches it
 * even when busy.  Where users other than root can rename in PARENT_FD, the
 * mount is detached through a descriptor of it, checked to be ID: always
 * lazily.  -ESTALE when NAME no longer leads to ID; -errno, not logged.
 */
int srfs_mount_unmount_at(int parent_fd, const char *name, const struct srfs_mount_id *id,
			  bool lazy);

/*
 * Mount namespaces, by inode: the one this process is in now (remembered
 * when it enters another with srfs_mntns_enter, whose /proc may be anything);
 * whether a namespace still has a process in it (a scan of /proc: only for
 * shares made in another namespace; one kept only by a bind mount of its
 * file or a descriptor counts as gone).
 */
uint64_t srfs_mntns_current(void);
int srfs_mntns_enter(int fd);
bool srfs_mntns_alive(uint64_t ino);

/*
 * Gives the detached mount MNT the id map of the user namespace USERNS
 * (MOUNT_ATTR_IDMAP): its files' owners are shown, and stored, through that
 * namespace's maps.  The kernel decides which file systems allow it: one that
 * does not (squashfs, for one) is -EOPNOTSUPP, logged naming FS (its type)
 * and WHAT.  -errno, logged.
 */
int srfs_mount_set_idmap(int mnt, int userns, const char *fs, const char *what);
