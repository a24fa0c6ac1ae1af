/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The snapshot share mode's device-mapper half (lib/snapshot.c), run by its
 * program, libexec/shared-rootfs/rootfs-snapshot (see mode-snapshot.c).
 */
#pragma once

#include "share.h"

/*
 * rootfs-share --mode snapshot IMAGE ID TARGET [--idmap IDMAP] (IDMAP NULL:
 * none); BUNDLE: rootfs-bundle's directory, recorded (NULL: none).
 */
int srfs_snapshot_share(const char *image, const char *id, const char *target,
			const char *idmap, const char *bundle);
/* rootfs-release of a snapshot share; O NULL: the defaults. */
int srfs_snapshot_release(const char *id, const struct srfs_release_options *o);
