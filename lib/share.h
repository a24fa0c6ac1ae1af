/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shares: one container's view of an active image at its TARGET directory,
 * made in one of the share modes (share-mode.h) and recorded in the runtime
 * directory (runtime.h).
 *
 * The share path (rootfs-share, rootfs-release) links no device-mapper,
 * libblkid or libmount code and reads no mount table: its cost does not grow
 * with the number of shares.  When the image is not active, rootfs-share
 * runs image-activate for it; a mode that needs device-mapper (snapshot) is
 * done by a program of its own.
 */
#pragma once

#include <stdbool.h>

#include "runtime.h"
#include "share-mode.h"
#include "state.h"

/*
 * rootfs-share: makes TARGET the root of container ID on IMAGE (O NULL: a
 * read-only share).  ST: the runtime directory, opened (SRFS_STATE_RUN |
 * SRFS_STATE_CREATE) and kept by a caller that makes many shares; NULL:
 * opened and closed here.
 */
int srfs_share_create(struct srfs_state *st, const char *image, const char *id,
		      const char *target, const struct srfs_share_options *o);

struct srfs_release_options {
	bool lazy;           /* detach a busy target */
	bool deactivate;     /* deactivate the image when its last share goes */
	bool ignore_missing; /* an unknown share is not an error */
	bool keep_upper;     /* overlay: keep the upper directory (what the container wrote) */
	bool if_unmounted;   /* shared-rootfs-recover: leave a share that is mounted alone */
	/* rootfs-bundle's share: also remove its bundle directory (bundle-dir.h), which
	 * must hold nothing else (checked before the share is released) */
	bool remove_bundle;
};

/* rootfs-release: by ID, or (ID NULL) by TARGET; ST as for srfs_share_create, O NULL: defaults. */
int srfs_share_release(struct srfs_state *st, const char *id, const char *target,
		       const struct srfs_release_options *o);

/*
 * Is share S's mount there?  1 (also when it is in another mount namespace,
 * which cannot be judged from here), 0, or -ELOOP (logged) when a symbolic
 * link is in the way now and its mount id is not known.
 */
int srfs_share_mounted(const struct srfs_share *s);
/* Unmounts share S's own mount if it is there (LAZY: detach it even when busy). */
int srfs_share_unmount(const struct srfs_share *s, bool lazy);

/*
 * For every mode (snapshot.c too): refuses a target the share must not cover,
 * with a message: one that is a mount point already (naming its share when it
 * is one), one in the runtime or catalog directories (records found there
 * would then be an image's files), one in /proc or /sys, and one on the
 * file system of ACTIVE (its mount or another share of it; NULL: not checked).
 */
int srfs_share_check_target(struct srfs_state *st, int target_fd, const char *target,
			    const char *id, const struct srfs_active_image *active);

/*
 * Does the earlier share OLD of a container have the id map IDMAP (canonical;
 * NULL: none)?  0, or -EEXIST (logged, naming the map it has).
 */
int srfs_share_check_idmap(const struct srfs_share *old, const char *idmap);

/*
 * For shared-rootfs-recover (share-recover.c): unmounts share S of a mode
 * done in process (its lock held), removes what it made (HOW), its target
 * index entry and its record.
 */
int srfs_share_clear_locked(struct srfs_state *st, const struct srfs_share *s,
			    enum srfs_share_cleanup how, bool lazy);
