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
 *
 * A verity image (image-verity.h) is mounted from "srfs-img:NAME", a
 * read-only verity target over its data and its hash area: for a pool
 * image the read-only thin devices "srfs-vdata:NAME" and "srfs-vhash:NAME"
 * (left to deferred removal, so they go with the verity target), for a file
 * image two read-only loop devices.  Its first block is read through the
 * target before anything is mounted: when the root hash does not verify, the
 * activation is refused and nothing is left.
 */
#pragma once

#include <stdbool.h>

struct srfs_activate_options {
	const char *context; /* the SELinux label to mount with (NULL: the default) */
	bool no_context;     /* mount without a label */
	const char *root_hash;           /* a verity image's root hash, which must be the recorded one */
	const char *root_hash_signature; /* a file: its PKCS#7 signature, for the kernel to check */
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
