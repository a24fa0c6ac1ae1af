/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libmount.h>
#include <stdio.h>

#include "log.h"
#include "utab.h"

static void mnt_free_updatep(struct libmnt_update **u)
{
	mnt_free_update(*u);
}

static void mnt_unref_fsp(struct libmnt_fs **fs)
{
	mnt_unref_fs(*fs);
}

/* Applies the update; 1 from mnt_update_set_fs means there is nothing to write. */
static int update(struct libmnt_update *upd, int set)
{
	if (set == 1)
		return 0;
	if (set < 0)
		return set;
	return mnt_update_table(upd, NULL);
}

int srfs_utab_add(const char *source, const char *target, const char *id)
{
	_cleanup_(mnt_free_updatep) struct libmnt_update *upd = mnt_new_update();
	_cleanup_(mnt_unref_fsp) struct libmnt_fs *fs = mnt_new_fs();
	char options[SRFS_UTAB_OPTIONS_MAX];
	int r;

	if (!upd || !fs)
		return log_errno(-ENOMEM, "cannot record %s in utab", target);
	snprintf(options, sizeof(options), "helper=shared-rootfs,id=%s", id);
	r = mnt_fs_set_source(fs, source);
	if (r == 0)
		r = mnt_fs_set_target(fs, target);
	if (r == 0)
		r = mnt_fs_set_options(fs, options);
	if (r == 0)
		r = update(upd, mnt_update_set_fs(upd, 0, NULL, fs));
	if (r < 0)
		return log_errno(r, "cannot record %s in utab", target);
	return 0;
}

int srfs_utab_remove(const char *target)
{
	_cleanup_(mnt_free_updatep) struct libmnt_update *upd = mnt_new_update();
	int r;

	if (!upd)
		return log_errno(-ENOMEM, "cannot remove %s from utab", target);
	r = update(upd, mnt_update_set_fs(upd, 0, target, NULL));
	if (r < 0)
		return log_errno(r, "cannot remove %s from utab", target);
	return 0;
}
