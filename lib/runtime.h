/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime directory's layout and records (gone at reboot, like the
 * mounts they describe).  Data only: what a record means to a share mode is
 * the share layer's business (share.h).
 *
 *   images/NAME    an active image: its device and its one mount, mnt/NAME
 *   mnt/NAME       that mount
 *   shares/ID      one share: image, target, mode, the image mount's device
 *   targets/HASH   which share ID owns TARGET (HASH: 64-bit FNV-1a of the
 *                  path), so that a target is found without a scan
 *   upper/ID       an overlay share's upper and work directories, by default
 *   idmap/ID       where an idmapped overlay share's lower layer is mounted while
 *                  the overlay is made (empty but for an interrupted share)
 *   locks/         lock files (lock.h)
 *   quarantine/    share records that could not be read, set aside by recovery
 *   pools/NAME     an active pool's loop devices (pool.h)
 *
 * Every function expects the runtime directory of ST to be open.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "name.h"
#include "state.h"

#define SRFS_RUN_IMAGES_DIR "images"
#define SRFS_RUN_MNT_DIR "mnt"
#define SRFS_SHARES_DIR "shares"
#define SRFS_TARGETS_DIR "targets"
#define SRFS_UPPER_DIR "upper"
#define SRFS_IDMAP_DIR "idmap"
#define SRFS_QUARANTINE_DIR "quarantine"

/* ---- active images ---- */

struct srfs_active_image {
	char name[SRFS_NAME_MAX + 1];
	char *mount;    /* its mount: <rundir>/mnt/NAME */
	char *device;   /* /dev/dm-N, /dev/loopN or the block device */
	char dm_name[SRFS_DM_NAME_MAX + 1]; /* pool images */
	char fs[32];
	dev_t dev;      /* st_dev of the mount: the one file system all shares show */
	uint64_t since;
	char context[256]; /* its SELinux label ("" when none) */
};

void srfs_active_image_clear(struct srfs_active_image *a);
/* -ENOENT (not logged) when the image is not active. */
int srfs_active_image_load(struct srfs_state *st, const char *name, struct srfs_active_image *a);
int srfs_active_image_save(struct srfs_state *st, const struct srfs_active_image *a);
int srfs_active_image_forget(struct srfs_state *st, const char *name);

/* ---- share records ---- */

/*
 * A mount as the kernel identifies it: statx's STATX_MNT_ID (reused once the
 * mount is gone; mountinfo's first field) and, from Linux 6.8,
 * STATX_MNT_ID_UNIQUE (never reused; 0 when the kernel has none).
 */
struct srfs_mount_id {
	uint64_t id;
	uint64_t unique;
	dev_t dev; /* the st_dev its files show (an overlay has its own) */
};

struct srfs_share {
	char id[SRFS_NAME_MAX + 1];
	char image[SRFS_NAME_MAX + 1];
	char *target;
	char mode[16]; /* a share mode's name (share.h) */
	dev_t dev;     /* the st_dev of the share's mount when it was made */
	struct srfs_mount_id mount; /* the share's mount, once made (id 0 before) */
	uint64_t mntns; /* the inode of the mount namespace it is in, when not the tools' (0) */
	uint64_t since;
	char *upper;   /* overlay: the directory holding upper/ and work/ */
	bool upper_default; /* ... made under the runtime directory (removed with the share) */
	dev_t upper_dev; /* ... and its identity, to find that very directory again */
	uint64_t upper_ino;
	char context[256]; /* the image's SELinux label, which the share shows */
	char *idmap;       /* the id map its mount applies, canonical (idmap.h); NULL: none */
	char *bundle;      /* rootfs-bundle: the bundle directory, TARGET's parent; NULL: none */
};

void srfs_share_clear(struct srfs_share *s);
/* -ENOENT (not logged) when there is no such share. */
int srfs_share_load(struct srfs_state *st, const char *id, struct srfs_share *s);
int srfs_share_save(struct srfs_state *st, const struct srfs_share *s);
int srfs_share_forget(struct srfs_state *st, const char *id);
/* Is there a share record for ID?  1, 0, -errno (logged). */
int srfs_share_exists(struct srfs_state *st, const char *id);

/*
 * Calls FN for every share (of IMAGE, or all when IMAGE is NULL), sorted by
 * id; records that vanish meanwhile are skipped, and so are records that
 * cannot be read (each reported: shared-rootfs-recover sets them aside).
 */
int srfs_share_for_each(struct srfs_state *st, const char *image,
			int (*fn)(const struct srfs_share *s, void *userdata), void *userdata);

/* The share ids of IMAGE, counted, the first few listed in NAMES ("a, b, ..."). */
int srfs_share_names(struct srfs_state *st, const char *image, unsigned *count, char *names,
		     size_t size);

/*
 * Moves the share record ID, which cannot be read, to <rundir>/quarantine/
 * (ID.SECONDS), where nothing reads it again; reported.
 */
int srfs_share_quarantine(struct srfs_state *st, const char *id);

/* ---- the target index ---- */

/* The share recorded for TARGET (an absolute, normalized path): 1 and its ID, 0 when none. */
int srfs_target_owner(struct srfs_state *st, const char *target, char *id, size_t size);
/*
 * Claims TARGET for share ID: creates its index entry exclusively, so that
 * two shares cannot take one target at once.  An entry whose share record
 * is gone (a crash) is taken over, but only when no one holds that share's
 * lock (which a share in progress does).  -EEXIST with OWNER when another
 * share has it.
 */
int srfs_target_claim(struct srfs_state *st, const char *target, const char *id, char *owner,
		      size_t owner_size);
/* Removes TARGET's index entry when it is ID's. */
void srfs_target_unclaim(struct srfs_state *st, const char *target, const char *id);
