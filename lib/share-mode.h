/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The share modes: one table (share-mode.c), one file per mode (mode-*.c).
 * The enum, its names and the share options are for every caller (share.h
 * includes this); the operations are for the share layer alone (share.c,
 * share-recover.c, snapshot.c).
 *
 * Adding a mode: a value in enum srfs_share_mode, a file mode-NAME.c
 * defining its struct srfs_share_mode_ops, and its entry in the table.
 * Nothing else compares mode names.
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
	/*
	 * The mount namespace TARGET is in (a descriptor of /proc/PID/ns/mnt;
	 * 0 or less: this one).  Only the target's lookup and the attaching of
	 * the share happen there; everything else (state, records, locks, the
	 * image, the tools run) stays in this one.  A process that uses it must
	 * be single-threaded (setns).
	 */
	int target_mntns;
	const char *upper_dir; /* overlay: where upper/ and work/ go (default: runtime dir) */
	const char *context;   /* the label the image must have (NULL: whatever it has) */
	/*
	 * The id map the share's mount applies (idmap.h: ranges, or the path of
	 * a user namespace); NULL: none.  ro: the bind is idmapped; overlay: its
	 * lower layer is, and upper/ belongs to the image root's owner as mapped;
	 * snapshot: the snapshot's mount is.
	 */
	const char *idmap;
	/*
	 * rootfs-bundle: the bundle directory (absolute) whose rootfs TARGET
	 * is, recorded with the share for rootfs-release --remove-bundle; NULL:
	 * none.
	 */
	const char *bundle;
};

/* One share being made, as the share layer hands it to the mode. */
struct srfs_share_op {
	struct srfs_state *st;
	const struct srfs_share_options *o;
	const struct srfs_active_image *active; /* the image, active, its lock held shared */
	const struct srfs_share *old;           /* the record an interrupted share left, or NULL */
	struct srfs_share *share;               /* the record being made (its lock held) */
	int target_fd;                          /* the target directory, opened without links */
	int target_mntns; /* the target's mount namespace, -1 when it is this one */
	int own_mntns;    /* ... and this one, to come back to */
	int mode_fd; /* the mode's own descriptor from prepare to mount (closed by the caller) */
	int userns;  /* the user namespace of the id map (share->idmap), or -1 */
};

/* What cleanup is for. */
enum srfs_share_cleanup {
	SRFS_CLEANUP_RELEASE,      /* rootfs-release: remove what the share made */
	SRFS_CLEANUP_RELEASE_KEEP, /* rootfs-release --keep-upper: keep what the container wrote */
	SRFS_CLEANUP_UNDO,         /* a share that failed, or that recovery clears: remove only
				      what the library made on its own (nothing the caller chose) */
};

struct srfs_share_mode_ops {
	const char *name;
	/*
	 * The program (in libexecdir) that makes and releases shares of this
	 * mode, run as "PROGRAM share IMAGE ID TARGET [--idmap MAP] [--bundle DIR]" and
	 * "PROGRAM release ID [--lazy]", because the mode needs libraries the
	 * share path does not link.  NULL: the hooks below do it in process.
	 */
	const char *helper;
	/* Fills in the record's fields of this mode before it is saved (NULL: none). */
	int (*prepare)(struct srfs_share_op *op);
	/*
	 * Makes the share's mount, detached (attributes set, not yet visible
	 * anywhere): its descriptor, which the share layer attaches at the
	 * target (in the target's mount namespace when there is one).  -ENOSYS
	 * (not logged) on kernels without the new mount API, when the mode has
	 * mount_classic.
	 */
	int (*make_mount)(struct srfs_share_op *op);
	/* Mounts the share at op->target_fd without the new mount API (NULL: none). */
	int (*mount_classic)(struct srfs_share_op *op);
	/*
	 * Is NAME in the directory DIRFD ("" for DIRFD itself) the root of share
	 * S's mount?  1, 0, -ENOTDIR when it is not a directory (or is a symbolic
	 * link), -errno.
	 */
	int (*is_mounted)(int dirfd, const char *name, const struct srfs_share *s);
	/* Once the share's mount is gone: removes what prepare made (NULL: nothing). */
	int (*cleanup)(struct srfs_state *st, const struct srfs_share *s,
		       enum srfs_share_cleanup how);
};

extern const struct srfs_share_mode_ops srfs_share_mode_ro;
extern const struct srfs_share_mode_ops srfs_share_mode_overlay;
extern const struct srfs_share_mode_ops srfs_share_mode_snapshot;

/* MODE's operations; NULL when MODE is not a mode. */
const struct srfs_share_mode_ops *srfs_share_mode_ops(enum srfs_share_mode mode);
/* The operations of share S's mode; NULL (logged: a corrupt record) when it names none. */
const struct srfs_share_mode_ops *srfs_share_ops(const struct srfs_share *s);

/*
 * Removes <rundir>/idmap/ID, where an idmapped overlay share's lower layer is
 * attached while the overlay is made, and what is mounted there (an
 * interrupted share's).  Called with the share's lock held.
 */
int srfs_share_drop_idmapped_lower(struct srfs_state *st, const char *id);

/* is_mounted for modes whose mount is a mount of the file system with st_dev S->dev. */
int srfs_share_is_mount_of_dev(int dirfd, const char *name, const struct srfs_share *s);
