/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shares: one container's read-only view of an active image, a bind mount of
 * the image's one mount at the container's TARGET directory.
 *
 * Runtime records (all under the runtime directory, gone at reboot like the
 * mounts they describe):
 *   images/NAME    an active image: its device and its mount, mnt/NAME
 *   shares/ID      one share: image, target, the image mount's device
 *   targets/HASH   which share ID owns TARGET (HASH: 64-bit FNV-1a of the
 *                  path), so that a target is looked up without scanning
 *
 * The share path (rootfs-share, rootfs-release) links no device-mapper,
 * libblkid or libmount code and reads no mount table: its cost does not grow
 * with the number of shares.  When the image is not active, rootfs-share
 * runs image-activate for it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "name.h"
#include "state.h"

#define SRFS_RUN_MNT_DIR "mnt"
#define SRFS_TARGETS_DIR "targets"
#define SRFS_UPPER_DIR "upper" /* overlay shares: <rundir>/upper/ID/{upper,work} */

/* An active image, from its runtime record. */
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
int srfs_active_image_load(const struct srfs_state *st, const char *name,
			   struct srfs_active_image *a);
int srfs_active_image_save(const struct srfs_state *st, const struct srfs_active_image *a);
int srfs_active_image_forget(const struct srfs_state *st, const char *name);

/* How a container sees its image. */
#define SRFS_MODE_RO "ro"            /* a read-only bind of the image's mount */
#define SRFS_MODE_OVERLAY "overlay"  /* writable: an overlay on the image's mount */

struct srfs_share {
	char id[SRFS_NAME_MAX + 1];
	char image[SRFS_NAME_MAX + 1];
	char *target;
	char mode[16];
	dev_t dev;     /* the image mount's st_dev when the share was made */
	uint64_t since;
	char *upper;   /* overlay: the directory holding upper/ and work/ */
	bool upper_default; /* ... made under the runtime directory (removed with the share) */
	char context[256]; /* the image's SELinux label, which the share shows */
};

void srfs_share_clear(struct srfs_share *s);
/* -ENOENT (not logged) when there is no such share. */
int srfs_share_load(const struct srfs_state *st, const char *id, struct srfs_share *s);

/*
 * Calls FN for every share (of IMAGE, or all when IMAGE is NULL), sorted by
 * id; records that vanish meanwhile are skipped.
 */
int srfs_share_for_each(const struct srfs_state *st, const char *image,
			int (*fn)(const struct srfs_share *s, void *userdata), void *userdata);

/* The share ids of IMAGE, counted, the first few listed in NAMES ("a, b, ..."). */
int srfs_share_names(const struct srfs_state *st, const char *image, unsigned *count,
		     char *names, size_t size);

struct srfs_share_options {
	const char *mode;      /* SRFS_MODE_RO (default) or SRFS_MODE_OVERLAY */
	const char *upper_dir; /* overlay: where upper/ and work/ go (default: runtime dir) */
	const char *context;   /* the label the image must have (NULL: whatever it has) */
};

/* rootfs-share: makes TARGET the root of container ID on IMAGE. */
int srfs_share_create(const char *image, const char *id, const char *target,
		      const struct srfs_share_options *o);
/*
 * The same in the runtime directory ST, opened (SRFS_STATE_RUN |
 * SRFS_STATE_CREATE) and kept by the caller: a program that makes many shares
 * opens the state once.  ST NULL: opened and closed here.
 */
int srfs_share_create_in(const struct srfs_state *st, const char *image, const char *id,
			 const char *target, const struct srfs_share_options *o);

struct srfs_release_options {
	bool lazy;           /* detach a busy target */
	bool deactivate;     /* deactivate the image when its last share goes */
	bool ignore_missing; /* an unknown share is not an error */
	bool keep_upper;     /* overlay: keep the upper directory (what the container wrote) */
	bool if_unmounted;   /* shared-rootfs-recover: leave a share that is mounted alone */
};

/* rootfs-release: by ID, or (ID NULL) by TARGET. */
int srfs_share_release(const char *id, const char *target, const struct srfs_release_options *o);
/* The same in the runtime directory ST, opened by the caller (NULL: here). */
int srfs_share_release_in(const struct srfs_state *st, const char *id, const char *target,
			  const struct srfs_release_options *o);

/* ---- the pieces, for the snapshot mode (lib/snapshot.c) ---- */

#define SRFS_MODE_SNAPSHOT "snapshot" /* writable: a thin snapshot device per container */
/* The program that does snapshot shares (installed in libexecdir). */
#define SRFS_SNAPSHOT_HELPER "rootfs-snapshot"

/*
 * Opens TARGET, a directory reached without symbolic links; its absolute path
 * (-EAGAIN when a component was renamed while it was opened).
 */
int srfs_share_open_target(const char *target, int *fd, char **path);
/* Claims TARGET for share ID in the target index; -EEXIST with OWNER when taken. */
int srfs_share_claim_target(const struct srfs_state *st, const char *target, const char *id,
			    char *owner, size_t owner_size);
void srfs_share_unclaim_target(const struct srfs_state *st, const char *target, const char *id);
int srfs_share_save(const struct srfs_state *st, const struct srfs_share *s);
int srfs_share_forget(const struct srfs_state *st, const char *id);
/*
 * Attaches the detached mount MNT (closed) at TARGET_FD, and makes it private;
 * undone (-EAGAIN) when TARGET no longer leads to it.
 */
int srfs_share_attach(int mnt, int target_fd, const char *target);
/* Is the directory FD the root of share S's mount?  1, 0 or -errno. */
int srfs_share_is_mounted(int fd, const struct srfs_share *s);
/*
 * Is share S's mount at its target?  1, 0, or -ELOOP (logged) when a symbolic
 * link is in the way now.  The path is walked without following links.
 */
int srfs_share_mounted(const struct srfs_share *s);
/* Unmounts share S's own mount if it is there (LAZY: detach it even when busy). */
int srfs_share_unmount(const struct srfs_share *s, bool lazy);

/* rootfs-share --mode snapshot and its release (lib/snapshot.c, run by the snapshot helper). */
int srfs_snapshot_share(const char *image, const char *id, const char *target);
int srfs_snapshot_release(const char *id, const struct srfs_release_options *o);

/* ---- shared-rootfs-recover (lib/recover.c) ---- */

enum {
	SRFS_RECOVER_KEPT = 0,     /* mounted as recorded: left alone */
	SRFS_RECOVER_CLEARED = 1,  /* not mounted: what was left of it removed */
	SRFS_RECOVER_SNAPSHOT = 2, /* a snapshot share not mounted: for srfs_snapshot_release */
};
/* Share ID: kept when its mount is there (its target index entry restored), else cleared. */
int srfs_share_recover(const struct srfs_state *st, const char *id);
/* Target index entries and default upper directories whose share is gone. */
int srfs_share_recover_orphans(const struct srfs_state *st);
