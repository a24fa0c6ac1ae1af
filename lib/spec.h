/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An OCI runtime configuration (a bundle's config.json) for an image: the
 * defaults of Debian 12's "crun spec" (crun 1.8.1, ociVersion 1.0.0: its
 * namespaces, mounts, device rule, capabilities, rlimits, masked and
 * read-only paths; a cgroup namespace when /sys/fs/cgroup is cgroup2, as
 * crun spec adds it), and the process the image's OCI config asks for, taken
 * as docker run takes it:
 *
 *   args  Entrypoint + Cmd (a COMMAND given replaces Cmd); an image without
 *         an OCI config runs /bin/sh (said on stderr)
 *   env   PATH (the usual default unless the image sets one), HOSTNAME, then
 *         the image's Env, a variable given again replacing the earlier one
 *   cwd   WorkingDir, or "/"
 *   user  User, resolved against the image's /etc/passwd and /etc/group
 *         (passwd.h), with its supplementary groups
 *
 * and root.path, root.readonly, process.terminal false, the hostname, and a
 * user namespace with uidMappings and gidMappings from an id map.
 */
#pragma once

#include <stdbool.h>

#include "idmap.h"
#include "imageconfig.h"

struct json_object;

struct srfs_spec_options {
	const char *image; /* its name, for messages */
	/* The image's OCI config; NULL when it has none (made without --from-oci). */
	const struct srfs_image_config *config;
	char *const *command;   /* replaces Cmd, as docker run IMAGE COMMAND does (NULL: none) */
	const char *root_path;  /* root.path: "rootfs" */
	bool readonly;          /* root.readonly */
	const char *hostname;   /* the container's hostname (and HOSTNAME) */
	/* The container's user namespace: containerID INSIDE, hostID OUTSIDE (NULL: none). */
	const struct srfs_idmap *idmap;
	/* The container's root, opened, where a user name is resolved (-1: numbers only). */
	int rootfs_fd;
};

/* Builds the configuration into *SPEC (to free with json_object_put); -errno, logged. */
int srfs_spec_build(const struct srfs_spec_options *o, struct json_object **spec);

/*
 * Writes SPEC to NAME in the directory DIR_FD (opened for reading), mode
 * 0600, atomically: a temporary file, fsync, renameat over NAME, fsync of
 * the directory.  -errno, logged with DIR (the directory's path, for messages).
 */
int srfs_spec_write(int dir_fd, const char *dir, const char *name, struct json_object *spec);
