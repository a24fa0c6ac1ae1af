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
#include "state.h"

/* How a container sees its image. */
enum srfs_share_mode {
	SRFS_SHARE_RO,       /* "ro": a read-only bind of the image's mount (the default) */
	SRFS_SHARE_OVERLAY,  /* "overlay": writable, an overlay on the image's mount */
	SRFS_SHARE_SNAPSHOT, /* "snapshot": writable, a thin snapshot device per container */
	SRFS_SHARE_MODE_COUNT,
};

/* The mode's name, or NULL when MODE is not one. */
const char *srfs_share_mode_name(enum srfs_share_mode mode);
/* The mode called NAME; -EINVAL (not logged) when there is none. */
int srfs_share_mode_from_name(const char *name, enum srfs_share_mode *mode);

struct srfs_share_options {
	enum srfs_share_mode mode;
	const char *upper_dir; /* overlay: where upper/ and work/ go (default: runtime dir) */
	const char *context;   /* the label the image must have (NULL: whatever it has) */
};

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
};

/* rootfs-release: by ID, or (ID NULL) by TARGET; ST as for srfs_share_create, O NULL: defaults. */
int srfs_share_release(struct srfs_state *st, const char *id, const char *target,
		       const struct srfs_release_options *o);

/*
 * Is share S's mount at its target?  1, 0, or -ELOOP (logged) when a symbolic
 * link is in the way now.  The path is walked without following links.
 */
int srfs_share_mounted(const struct srfs_share *s);
/* Unmounts share S's own mount if it is there (LAZY: detach it even when busy). */
int srfs_share_unmount(const struct srfs_share *s, bool lazy);

/* ---- shared-rootfs-recover (lib/share-recover.c) ---- */

enum {
	SRFS_RECOVER_KEPT = 0,     /* mounted as recorded: left alone */
	SRFS_RECOVER_CLEARED = 1,  /* not mounted: what was left of it removed */
	SRFS_RECOVER_HELPER = 2,   /* not mounted, and its mode's program must clear it */
};
/* Share ID: kept when its mount is there (its target index entry restored), else cleared. */
int srfs_share_recover(struct srfs_state *st, const char *id);
/* Target index entries and default upper directories whose share is gone. */
int srfs_share_recover_orphans(struct srfs_state *st);
