/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An OCI bundle directory as rootfs-bundle makes it: DIR holding config.json
 * and rootfs/, the container's root (a share).  Made and removed by
 * descriptor: DIR's parent is walked without symbolic links, DIR and what is
 * in it are never followed, and only what rootfs-bundle puts there is ever
 * removed.
 */
#pragma once

#include <stdbool.h>

#define SRFS_BUNDLE_CONFIG "config.json"
#define SRFS_BUNDLE_ROOTFS "rootfs"

/*
 * Makes the directory DIR (mode 0755, which a user-namespaced
 * container's root must be able to pass; or takes it when it is an empty
 * directory already) and DIR/rootfs in it.  *DIR_FD: DIR opened for reading,
 * *ABS: its absolute path, *MADE: DIR was made here.  Every failure is
 * logged, naming DIR, and leaves nothing made.
 */
int srfs_bundle_dir_make(const char *dir, int *dir_fd, char **abs, bool *made);

/*
 * Does DIR hold nothing but what rootfs-bundle puts there (config.json, a
 * regular file; rootfs, a directory; config.json's temporary file)?  0;
 * -ENOENT (not logged) when DIR is gone; -ENOTEMPTY or -ELOOP logged, naming
 * what else is there or the link in the way.
 */
int srfs_bundle_dir_check(const char *dir);

/*
 * Removes config.json, its temporary file and the empty rootfs/ from DIR,
 * then DIR itself when WHOLE; what else is there stops it (logged, named).
 * A DIR already gone is fine.
 */
int srfs_bundle_dir_remove(const char *dir, bool whole);
