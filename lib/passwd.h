/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The user a container runs as, from an OCI config's User ("", NAME, UID,
 * NAME:GROUP, UID:GID, ...), resolved the way Docker resolves it against the
 * image's own /etc/passwd and /etc/group.
 *
 * Those files are the image's, so hostile: they are read below the root
 * directory given by descriptor, /etc and the file each opened without
 * following a symbolic link (one is refused), only regular files, at most
 * 4 MiB; a line that does not parse is skipped, as it is by the C library.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The most supplementary groups taken from /etc/group (Linux's NGROUPS_MAX). */
#define SRFS_USER_GIDS_MAX 65536

struct srfs_user {
	uint32_t uid, gid;
	uint32_t *gids; /* supplementary groups (to free), N_GIDS of them */
	size_t n_gids;
};

void srfs_user_clear(struct srfs_user *u);

/*
 * Resolves USER against the files of the root ROOT_FD (-1: there is none to
 * read, and only numbers are taken), WHAT naming that root in messages
 * ("image web").  As Docker: "" is 0:0; a UID alone takes its group from
 * the passwd entry of that uid when there is one (else 0); a NAME must have
 * an entry; a GROUP name must be in /etc/group; the supplementary groups are
 * the groups that list the user's name, when it has a passwd entry and no
 * group was given.  0, or -errno logged in one line naming USER and WHAT.
 */
int srfs_user_resolve(int root_fd, const char *what, const char *user, struct srfs_user *out);
