/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shared-rootfs-recover's part for shares: records, index entries, upper
 * directories and idmapped lower layers.
 */
#include <fcntl.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "record.h"
#include "share-mode.h"
#include "share-recover.h"
#include "share.h"
#include "util.h"

int srfs_share_recover(struct srfs_state *st, const char *id)
{
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_share_clear) struct srfs_share s = { 0 };
	char owner[SRFS_NAME_MAX + 1];

	int r = srfs_lock_take(&lock, st, SRFS_LOCK_SHARE, id, false);
	if (r < 0)
		return r;
	r = srfs_share_load(st, id, &s);
	if (r == -ENOENT)
		return 0; /* released meanwhile */
	if (r == -EBADMSG || r == -EFBIG)
		/* Unreadable (reported): set aside, where nothing reads it again.  What it
		 * described is found by the checks of mounts and index entries. */
		return srfs_share_quarantine(st, id);
	if (r < 0)
		return r;
	int mounted = srfs_share_mounted(&s);
	if (mounted < 0)
		return mounted;
	if (mounted) {
		/* It works: only its target index entry may be missing. */
		r = srfs_target_claim(st, s.target, id, owner, sizeof(owner));
		return r < 0 ? r : SRFS_RECOVER_KEPT;
	}
	if (srfs_share_ops(&s)->helper)
		return SRFS_RECOVER_HELPER;
	/* Not mounted: a share or a release that did not finish.  What it wrote is kept
	 * when it is in a directory of the caller's choosing. */
	r = srfs_share_clear_locked(st, &s, SRFS_CLEANUP_UNDO, false);
	if (r < 0)
		return r;
	log_info("container %s: its share of image %s at %s was not mounted; record removed", id,
		 s.image, s.target);
	return SRFS_RECOVER_CLEARED;
}

/* Removes the target index entry KEY when the share it names is gone. */
static int recover_target(struct srfs_state *st, int dir, const char *key)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	static const struct srfs_record_key keys[] = { { "id", true }, { "target", true }, { 0 } };
	char err[256];

	int r = srfs_record_load(dir, key, keys, &rec, err, sizeof(err));
	if (r == -ENOENT)
		return 0;
	const char *id = r == 0 ? srfs_record_get(&rec, "id") : NULL;
	if (id && srfs_name_check(id, NULL) == 0) {
		r = srfs_lock_take(&lock, st, SRFS_LOCK_SHARE, id, false);
		if (r < 0)
			return r;
		r = srfs_share_exists(st, id);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (unlinkat(dir, key, 0) < 0 && errno != ENOENT)
		return log_errno(negative_errno(), "cannot remove target index entry %s", key);
	log_info("removed the target index entry of %s: no share owns it",
		 id ? srfs_record_get(&rec, "target") : key);
	return 0;
}

/* Removes <rundir>/upper/ID when container ID has no share. */
static int recover_upper(struct srfs_state *st, int dir, const char *id)
{
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	int r = srfs_lock_take(&lock, st, SRFS_LOCK_SHARE, id, false);
	if (r == 0)
		r = srfs_share_exists(st, id);
	if (r != 0)
		return r < 0 ? r : 0;
	r = srfs_remove_tree(dir, id);
	if (r < 0)
		return log_errno(r, "cannot remove %s/%s/%s", st->run_path, SRFS_UPPER_DIR, id);
	log_info("removed the upper directory of container %s: it has no share", id);
	return 0;
}

/*
 * Removes <rundir>/idmap/ID and what is mounted there: it is in use only while
 * a share of ID is being made, which holds the share's lock.
 */
static int recover_idmap(struct srfs_state *st, int dir, const char *id)
{
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	(void)dir;
	int r = srfs_lock_take(&lock, st, SRFS_LOCK_SHARE, id, false);
	if (r == 0)
		r = srfs_share_drop_idmapped_lower(st, id);
	if (r == 0)
		log_info("removed the idmapped lower layer of container %s: no share was being made",
			 id);
	return r;
}

int srfs_share_recover_orphans(struct srfs_state *st)
{
	static const char *const dirs[] = { SRFS_TARGETS_DIR, SRFS_UPPER_DIR, SRFS_IDMAP_DIR };
	static int (*const recover[])(struct srfs_state *, int, const char *) = {
		recover_target, recover_upper, recover_idmap,
	};
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char **names = NULL;
		int dir = srfs_state_run_dir(st, dirs[i], false);
		if (dir == -ENOENT)
			continue;
		int r = dir < 0 ? dir : srfs_state_list(st->run_fd, dirs[i], &names);
		if (r < 0)
			return r;
		for (char **n = names; *n; n++) {
			r = recover[i](st, dir, *n);
			if (r < 0)
				ret = r;
		}
		srfs_names_free(names);
	}
	return ret;
}
