/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * device-mapper through libdevmapper (the only file that includes it).
 *
 * Devices are named by their dm name; tables name other devices by
 * major:minor, never by /dev/mapper paths, which need udev.  With udev
 * running (its control socket answers), every task that changes devices
 * carries a udev cookie and is followed by dm_udev_wait() (also when the
 * task failed, or the cookie's semaphore leaks); without udev (or with a
 * stale socket, which would make the wait hang) no cookies are used and
 * /dev/dm-N from devtmpfs is enough.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct srfs_dm_info {
	bool exists;
	bool suspended;
	bool read_only;
	bool deferred_remove;
	int open_count;
	dev_t devno;
};

struct srfs_dm_target {
	uint64_t start;
	uint64_t length;
	const char *type;
	const char *params;
};

/* 0, or -ENXIO when the kernel has no device-mapper (with a message unless QUIET). */
int srfs_dm_available(bool quiet);

int srfs_dm_info(const char *name, struct srfs_dm_info *info);
/* Creates NAME with one target; fills *DEVNO. */
int srfs_dm_create(const char *name, const struct srfs_dm_target *target, bool read_only,
		   dev_t *devno);
/* Removes NAME; DEFERRED: let the kernel remove it when the last opener closes. */
int srfs_dm_remove(const char *name, bool deferred);

/*
 * Sends MESSAGE to sector 0 of NAME (a thin-pool: "create_thin 3", ...).
 * The kernel's answer: -EEXIST (id in use), -ENODATA (no such id), -EBUSY, ...
 */
int srfs_dm_message(const char *name, const char *message);

/* Suspends NAME (flushing it) or resumes it. */
int srfs_dm_suspend(const char *name);
int srfs_dm_resume(const char *name);

/*
 * The first target of NAME's live table (STATUS false) or status line
 * (STATUS true).  TYPE and PARAMS are copied into the buffers.
 */
int srfs_dm_get_target(const char *name, bool status, char *type, size_t type_size,
		       char *params, size_t params_size, uint64_t *length);

/* Calls FN for every dm device; stops at and returns FN's first non-zero result. */
int srfs_dm_for_each(int (*fn)(const char *name, dev_t devno, void *userdata),
		     void *userdata);
