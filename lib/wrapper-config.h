/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bundle's config.json as the runtime wrapper reads and rewrites it
 * (json-c; a bundle's files may be hostile: opened by descriptor, never
 * through a symbolic link, regular files of at most SRFS_OCI_JSON_MAX bytes).
 *
 * The annotations that ask for a share:
 *
 *   org.shared-rootfs.image=IMAGE          the image the container's root is
 *   org.shared-rootfs.mode=ro|overlay|snapshot
 *   org.shared-rootfs.image.NAME, org.shared-rootfs.mode.NAME
 *                                          the same for the container called
 *                                          NAME in a pod (the CRI's
 *                                          io.kubernetes.cri.container-name
 *                                          or io.kubernetes.container.name),
 *                                          before the ones without a name
 *
 * A pod's sandbox (pause) container, io.kubernetes.cri.container-type or
 * io.kubernetes.cri-o.ContainerType "sandbox", is never shared.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SRFS_ANNOTATION_PREFIX "org.shared-rootfs."
#define SRFS_ANNOTATION_IMAGE SRFS_ANNOTATION_PREFIX "image"
#define SRFS_ANNOTATION_MODE SRFS_ANNOTATION_PREFIX "mode"
/* What the original of a rewritten config file is kept as: NAME.orig beside it. */
#define SRFS_CONFIG_ORIG ".orig"

struct json_object;

struct srfs_wrapper_config {
	struct json_object *doc;
	const char *image;  /* the image asked for; NULL: the config is not ours */
	const char *mode;   /* the mode asked for; NULL: none */
	const char *name;   /* the container's name in its pod; NULL: none */
	const char *root_path;
	bool readonly;      /* root.readonly */
	char *idmap;        /* with a user namespace: its id map (idmap.h), else NULL */
};

/*
 * Reads NAME in the directory DIR_FD (WHAT names it in messages).  A file
 * that does not mention org.shared-rootfs. at all is not parsed: 0 with
 * C->image NULL, and the runtime judges it.  Otherwise the annotations, root
 * and user namespace are read, and anything malformed is an error, logged in
 * one line naming WHAT.  -ENOENT (not logged) when there is no NAME.
 */
int srfs_wrapper_config_load(int dir_fd, const char *name, const char *what,
			     struct srfs_wrapper_config *c);
void srfs_wrapper_config_clear(struct srfs_wrapper_config *c);

/*
 * Points root.path at ROOT_PATH: NAME is replaced atomically (a temporary
 * file, fsync, rename), the original kept as NAME.orig (a hard link to it).
 * The new file's inode into *INO.  Logged failures.
 */
int srfs_wrapper_config_rewrite(int dir_fd, const char *name, const char *what,
				struct srfs_wrapper_config *c, const char *root_path, ino_t *ino);
