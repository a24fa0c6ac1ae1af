/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Filling a new image through libarchive (the only file that includes it).
 *
 * Everything is written below the directory ROOT_FD, the image's private
 * read-write mount, with owners (numeric ids, never the host's names),
 * modes, hard links, symbolic links, device nodes, timestamps, extended
 * attributes (security.capability among them) and ACLs kept.  Nothing is
 * written through a symbolic link or outside ROOT_FD: entries with ".."
 * or that would pass a symbolic link are refused.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "oci.h"

/*
 * Extracts the tar stream (any format and compression libarchive reads) on
 * TAR_FD, named TAR_NAME in messages.  LAYER: the stream is an OCI layer
 * applied on top of what ROOT_FD already holds: ".wh.NAME" removes NAME,
 * ".wh..wh..opq" removes what the directory held before this layer.
 */
int srfs_populate_tar(int root_fd, int tar_fd, const char *tar_name, bool layer);

/* What an OCI layer's bytes hash to, as srfs_populate_layer read them. */
struct srfs_layer_digests {
	char blob[SRFS_DIGEST_MAX + 1]; /* the blob as stored (compressed) */
	char tar[SRFS_DIGEST_MAX + 1];  /* the tar stream: the layer's diff_id */
	uint64_t blob_size, tar_size;
};

/*
 * Applies the OCI layer BLOB_FD (named NAME in messages), compressed as
 * COMPRESSION says, as srfs_populate_tar does with LAYER, stricter: only
 * tar, and an entry with an absolute path is refused; reading more than
 * BLOB_SIZE bytes of the blob, or MAX_TAR_SIZE of its tar stream, is an
 * error (a blob that grows, a stream that unpacks without end).  Entries
 * lose their security.selinux attribute.  On success DIGESTS
 * holds what every byte of the blob and of its tar stream hashed to; the
 * caller compares them with the descriptor and the config.
 */
int srfs_populate_layer(int root_fd, int blob_fd, const char *name,
			enum srfs_oci_compression compression, uint64_t blob_size,
			uint64_t max_tar_size, struct srfs_layer_digests *digests);

/* More entries than this in one tar stream is refused (a tree of millions of files). */
#define SRFS_POPULATE_ENTRIES_MAX 4000000u

/* Copies the tree under the directory SOURCE_DIR (not crossing mounts). */
int srfs_populate_dir(int root_fd, const char *source_dir);

/*
 * Creates what a read-only container mounts over and cannot create itself:
 * /proc /sys /dev /dev/pts /dev/shm /run /tmp as directories, /etc/hosts,
 * /etc/resolv.conf and /etc/hostname as empty files.  Anything already
 * there, whatever its type (a symbolic link included), is left alone, and
 * the timestamps of the directories they are created in are kept.
 */
int srfs_populate_mount_points(int root_fd);
