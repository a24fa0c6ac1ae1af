/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * device-mapper through libdevmapper (the only file that includes it).
 *
 * Devices are named by their dm name; tables name other devices by
 * major:minor, never by /dev/mapper paths, which need udev.  With udev
 * running, every task that changes devices carries a udev cookie and is
 * followed by dm_udev_wait() (also when the task failed, or the cookie's
 * semaphore leaks); without udev, libdevmapper's own node handling is off
 * and /dev/dm-N from devtmpfs is used.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* dm names are at most 127 characters. */
#define SRFS_DM_NAME_MAX 127

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

/* Builds "PREFIX-A[-B]", shortened with a hash to fit SRFS_DM_NAME_MAX. */
int srfs_dm_name(char *buf, size_t size, const char *prefix, const char *a, const char *b);

/* -ENXIO when the kernel has no device-mapper (with a message). */
int srfs_dm_check_available(void);

int srfs_dm_info(const char *name, struct srfs_dm_info *info);
/* Creates NAME with one target; fills *DEVNO. */
int srfs_dm_create(const char *name, const struct srfs_dm_target *target, bool read_only,
		   dev_t *devno);
/* Removes NAME; DEFERRED: let the kernel remove it when the last opener closes. */
int srfs_dm_remove(const char *name, bool deferred);
int srfs_dm_suspend(const char *name);
int srfs_dm_resume(const char *name);
/* Sends a target message to sector 0 of NAME ("create_thin 1", ...). */
int srfs_dm_message(const char *name, const char *message);

/*
 * The first target of NAME's live table (STATUS false) or status line
 * (STATUS true).  TYPE and PARAMS are copied into the buffers.
 */
int srfs_dm_get_target(const char *name, bool status, char *type, size_t type_size,
		       char *params, size_t params_size, uint64_t *length);

/* Calls FN for every dm device; stops at and returns FN's first non-zero result. */
int srfs_dm_for_each(int (*fn)(const char *name, dev_t devno, void *userdata),
		     void *userdata);
