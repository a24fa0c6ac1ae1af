/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Activation: an image's device (read-only) and its one mount, under the
 * runtime directory (mnt/NAME), that every share binds.
 *
 * The device: "srfs-img:NAME", a read-only thin target naming the pool by
 * major:minor, for a pool image; a read-only autoclear loop device for a
 * file image; the device itself for a block image.  The file system is
 * probed (libblkid) and must be the one the catalog names; it is mounted
 * read-only, nosuid, nodev, with what keeps a read-only mount from writing
 * (noload for ext4, norecovery for xfs).
 */
#pragma once

#include <stdbool.h>

struct srfs_activate_options {
	const char *context; /* the SELinux label to mount with (NULL: the default) */
	bool no_context;     /* mount without a label */
};

/*
 * image-activate: the mount's path into MOUNT_PATH (to free; NULL: not wanted),
 * also when it was active already.  O NULL: the defaults.
 * With SELinux enabled the image is mounted with context=LABEL: --context's,
 * or by default the ro_file entry of the policy's lxc_contexts; the label is
 * checked against the loaded policy first.
 */
int srfs_image_activate(const char *name, const struct srfs_activate_options *o,
			char **mount_path);

struct srfs_deactivate_options {
	bool lazy;      /* detach the mount even while shared; the device goes with the last share */
	bool if_unused; /* still shared: do nothing, successfully */
};

int srfs_image_deactivate(const char *name, const struct srfs_deactivate_options *o);
