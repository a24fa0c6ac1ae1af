/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Id maps for idmapped mounts: a user namespace whose uid and gid maps the
 * kernel applies to one mount (MOUNT_ATTR_IDMAP, Linux 5.12).
 *
 * A map is written as util-linux's X-mount.idmap option takes it: entries
 * [u:|g:|b:]INSIDE:OUTSIDE:COUNT separated by spaces (no prefix, or "b:":
 * both uids and gids), or the path of a user namespace (/proc/PID/ns/user).
 * INSIDE is an id as the container sees it and as it is stored in the image,
 * OUTSIDE the host's id it stands for (the container's namespace maps OUTSIDE
 * back to INSIDE): with b:0:100000:65536, a file of uid 1000 in the image is
 * shown as 101000 on the share.
 *
 * The canonical text of a map (what share records hold and rootfs-list
 * shows) lists its entries sorted by INSIDE: "b:" entries when the uid and
 * gid maps are equal, else the "u:" entries then the "g:" ones.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Entries per map (uid or gid) the kernel takes, since Linux 4.15 (and their text
 * must fit in less than a page). */
#define SRFS_IDMAP_EXTENTS_MAX 340

struct srfs_idmap_extent {
	uint32_t inside, outside, count;
};

struct srfs_idmap {
	unsigned n_uid, n_gid;
	struct srfs_idmap_extent uid[SRFS_IDMAP_EXTENTS_MAX];
	struct srfs_idmap_extent gid[SRFS_IDMAP_EXTENTS_MAX];
};

/*
 * Parses the ranges TEXT (not a path) into MAP, checked as the kernel would
 * check them (counts, the 32-bit id space, overlaps, the number of entries),
 * and both maps given.  0, or -EINVAL with a one-line reason in ERR.  No I/O.
 */
int srfs_idmap_parse(const char *text, struct srfs_idmap *map, char *err, size_t err_size);

/* The canonical text of MAP, newly allocated (NULL: out of memory). */
char *srfs_idmap_format(const struct srfs_idmap *map);

/*
 * The user namespace TEXT names: made when TEXT is ranges (in a short-lived
 * child process, which writes nothing else and is gone on return), opened
 * and checked to be a user namespace with both maps when it is a path.  Its
 * descriptor in *FD and the canonical text of its maps in *CANONICAL (to
 * free).  -errno, logged with TEXT.  A process that calls it must be allowed
 * to fork.
 */
int srfs_idmap_userns(const char *text, int *fd, char **canonical);
