/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two state directories.
 *
 *  runtime  /run/shared-rootfs       ($SHARED_ROOTFS_RUNDIR)   tmpfs: active
 *           images, their mounts, share records, lock files.  Gone at reboot
 *           like the mounts it describes.
 *  catalog  /var/lib/shared-rootfs   ($SHARED_ROOTFS_STATEDIR) pools, images,
 *           device ids and intents, which outlive a reboot.
 *
 * Both are created 0700 on first use and refused when they are symbolic
 * links, not directories, not owned by us, or open to group or others.
 * Every access below them goes through the opened descriptors (openat with
 * O_NOFOLLOW).  The runtime directory can be made its own private mount, so
 * that mounts made under it never propagate into other mount namespaces.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define SRFS_RUNDIR_DEFAULT "/run/shared-rootfs"
#define SRFS_STATEDIR_DEFAULT "/var/lib/shared-rootfs"
#define SRFS_RUNDIR_ENV "SHARED_ROOTFS_RUNDIR"
#define SRFS_STATEDIR_ENV "SHARED_ROOTFS_STATEDIR"

enum {
	SRFS_STATE_RUN = 1 << 0,           /* open the runtime directory */
	SRFS_STATE_CATALOG = 1 << 1,       /* open the catalog directory */
	SRFS_STATE_CREATE = 1 << 2,        /* create what is missing */
	SRFS_STATE_PRIVATE_MOUNT = 1 << 3, /* make the runtime directory a private mount */
};

/* Subdirectories of the runtime directory, each opened (and checked) once per state. */
#define SRFS_STATE_RUN_DIRS 12
struct srfs_state_dirs {
	const char *name[SRFS_STATE_RUN_DIRS];
	int fd[SRFS_STATE_RUN_DIRS];
};

struct srfs_state {
	int run_fd;
	int catalog_fd;
	char *run_path;
	char *catalog_path;
	struct srfs_state_dirs *run_dirs; /* with the runtime directory */
	unsigned held_locks; /* bit L: a lock of level L is held through this state (lock.h) */
	char *run_real_path; /* the runtime directory's path as the kernel gives it, once asked */
};

/*
 * A state is not shared between threads: it caches the subdirectories it has
 * opened and the locks it holds.  A program that shares from several threads
 * at once gives each thread a state of its own (they may name the same
 * directories: every operation is serialised by the lock files, not by the
 * state).
 */

#define SRFS_STATE_INIT { .run_fd = -1, .catalog_fd = -1 }

/*
 * Opens the directories FLAGS asks for.  Without SRFS_STATE_CREATE a missing
 * directory is -ENOENT (nothing has been set up yet), not logged.  Every
 * other failure is logged.
 */
int srfs_state_open(struct srfs_state *st, unsigned flags);
void srfs_state_close(struct srfs_state *st);
#define _cleanup_state_ _cleanup_(srfs_state_close)

/*
 * The subdirectory NAME (a string constant) of the open runtime directory,
 * made (0700) when CREATE, checked like the top and kept open with ST: the
 * descriptor is ST's (not to be closed).  -ENOENT (not logged) when it is
 * missing and not CREATE; every other failure is logged.  A caller that keeps
 * ST open across many operations opens each subdirectory once.
 */
int srfs_state_run_dir(struct srfs_state *st, const char *name, bool create);

/*
 * The open runtime directory's path as the kernel resolves it (no symbolic
 * link, no "..": what a target's path is compared with), or NULL.
 */
const char *srfs_state_run_real_path(struct srfs_state *st);
/* The catalog directory's configured path, normalized by its names (to free), or NULL. */
char *srfs_state_catalog_path(void);

/*
 * Opens (and with CREATE makes, 0700) the subdirectory NAME of DIRFD, checked
 * like the top; one that something is mounted on is refused (-EBUSY): what is
 * found under a mount was not written by these tools.
 */
int srfs_state_subdir(int dirfd, const char *dir_path, const char *name, bool create,
		      int *out_fd);

/*
 * The valid names (see name.h) in the subdirectory SUBDIR of DIRFD, sorted,
 * as a NULL-terminated array to free with srfs_names_free.  A missing SUBDIR
 * gives an empty list.  Temporary files and anything else are skipped.
 */
int srfs_state_list(int dirfd, const char *subdir, char ***names);
void srfs_names_free(char **names);

/* Is the directory FD the root of a mount? 1 yes, 0 no, -errno. */
int srfs_is_mount_root(int fd);
/*
 * Is PATH under DIRFD (or DIRFD itself when PATH is ""), not followed when a
 * symbolic link, the root of a mount of the file system DEV?  1, 0, -errno;
 * -ENOTDIR when it is not a directory (a symbolic link is not).  One statx.
 */
int srfs_is_mount_of(int dirfd, const char *path, dev_t dev);
