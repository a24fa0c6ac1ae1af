/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The -o options of mount -t shared-rootfs (and of fstab lines).  A pure
 * parser, no I/O.
 *
 *   id=ID           the container id of the share (default: derived from the target)
 *   context=LABEL   the SELinux label the image must have (quotes around LABEL,
 *                   as fstab needs for labels with commas, are removed)
 *   idmap=MAP, X-mount.idmap=MAP
 *                   an idmapped share (idmap.h; at most 4095 bytes); util-linux's
 *                   mount(8) before 2.39 passes X-* options to no helper, so
 *                   idmap= is the one to give it
 *   ro, rw, defaults, nosuid, nodev, auto, noauto, nofail, _netdev, owner, user, ...
 *                   accepted: every share is read-only, nosuid and nodev whatever
 *                   they say (mount(8) itself adds "rw" when "ro" is not given),
 *                   and the rest are mount(8)'s own
 *   x-*, X-*, comment=*
 *                   userspace annotations, ignored
 *   anything else   refused, unless SLOPPY (-s), which ignores unknown options
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "name.h"

struct srfs_mount_options {
	char id[SRFS_NAME_MAX + 1]; /* "" when not given */
	char context[256];          /* "" when not given */
	char idmap[4096];           /* "" when not given */
};

/* 0, or -EINVAL with a one-line reason in ERR. */
int srfs_mount_options_parse(const char *opts, bool sloppy, struct srfs_mount_options *out,
			     char *err, size_t err_size);

/* The container id for a share without id=: "mnt-" and a hash of TARGET. */
void srfs_mount_default_id(const char *target, char *id, size_t size);
