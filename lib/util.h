/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String and I/O helpers shared by the library and the tools. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Renders S for a one-line message: printable ASCII as is, everything else
 * (newline, tab, control and non-ASCII bytes) as C escapes, cut with "..."
 * when it does not fit.  Returns BUF.
 */
const char *srfs_quote(char *buf, size_t size, const char *s);
#define SRFS_QUOTE_MAX 300

/* Parses a decimal unsigned integer with no sign, space or junk. */
int srfs_parse_u64(const char *s, uint64_t *out);

/* write() until done; -errno on failure. */
int srfs_write_full(int fd, const void *buf, size_t len);

/* Reads a whole small file relative to DIRFD (no symlink follow), NUL-terminated. */
int srfs_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len);

/* Joins two path parts with one slash; returns NULL when out of memory. */
char *srfs_path_join(const char *a, const char *b);

/*
 * rm -r of NAME in DIR_FD, never following a symbolic link; a missing NAME is
 * fine.  Iterative, with at most three descriptors open however deep the
 * tree.  -EBUSY when a mount point (or another file system) is inside it,
 * -ESTALE when a directory of it was moved while it was being removed (it
 * stops rather than remove anything elsewhere).
 */
int srfs_remove_tree(int dir_fd, const char *name);

/*
 * Removes every child of the directory FD (which it closes), except those
 * for which KEEP (when not NULL) says true.
 */
int srfs_remove_children(int fd, bool (*keep)(const char *name, void *userdata),
			 void *userdata);

