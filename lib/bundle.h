/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rootfs-bundle: an OCI bundle for a container on an image, ready for
 * "crun run -b DIR ID": DIR/rootfs a share of the image (share.h), recorded
 * with DIR, and DIR/config.json made from the image's OCI config (spec.h).
 * rootfs-release releases it as any share; --remove-bundle also removes DIR
 * (bundle-dir.h).
 */
#pragma once

#include "share-mode.h"

struct srfs_bundle_options {
	enum srfs_share_mode mode;
	const char *idmap;      /* as rootfs-share --idmap; also the container's user namespace */
	const char *context;    /* as rootfs-share --context */
	char *const *command;   /* replaces the image's Cmd (NULL: none) */
};

/*
 * Makes the bundle DIR (absent or an empty directory) of container ID on
 * IMAGE; O NULL: a read-only share.  Any failure is logged, and what was
 * made is undone: the share released (and the image deactivated when it was
 * activated for it), the files and directories made removed.
 */
int srfs_bundle_create(const char *image, const char *id, const char *dir,
		       const struct srfs_bundle_options *o);
