/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Paths a container may be able to change (its target, a directory above
 * it, an upper directory): walked without following any symbolic link, and
 * acted on through the descriptor opened, never by the path again.
 */
#pragma once

#include <stdbool.h>

/*
 * PATH made absolute (from the working directory) with "//", "." and ".."
 * resolved by their names, which is where it leads when no component is a
 * symbolic link.  NULL when out of memory.
 */
char *srfs_path_normalize(const char *path);

/*
 * Opens the directory PATH (O_PATH) walking it without any symbolic link:
 * openat2's RESOLVE_NO_SYMLINKS, or before Linux 5.6 O_NOFOLLOW on the last
 * component at least.  -1 and errno on failure.
 */
int srfs_path_open_dir(const char *path);

/*
 * Opens the directory PATH (a WHAT, for messages: "target") reached without
 * any symbolic link, and its absolute path.  A path that changed while it
 * was opened (a component renamed meanwhile) is refused (-EAGAIN): the path
 * recorded must be the one opened.  Every failure is logged.
 */
int srfs_path_open_dir_checked(const char *what, const char *path, int *fd, char **abs_path);
/*
 * The same; without CHECK, PATH (which must be absolute) is not compared with
 * what /proc says was opened, and is given normalized by its names: for a
 * mount namespace entered, where /proc is whatever is mounted there (a
 * rename is then caught by the check after attaching).
 */
int srfs_path_open_dir_as(const char *what, const char *path, bool check, int *fd,
			  char **abs_path);

struct stat;
/*
 * Opens the regular file PATH (relative to the working directory unless
 * absolute) for reading as the file of an image, so that what is checked is
 * what is used: walked from "/" one component at a time, no symbolic link
 * followed (one is refused), each directory on the way owned by root and not
 * writable by group or others unless it is sticky (as /tmp: only root can
 * rename or remove what root owns in it), the file owned by root and not
 * writable by group or others.  Anyone else able to change any of them could
 * swap the file between its registration and its activation.  Returns the
 * descriptor, with the file's stat in ST and (CANONICAL not NULL) its
 * absolute path; logs why not, naming the file, and returns -errno.
 */
int srfs_source_open(const char *path, char **canonical, struct stat *st);
