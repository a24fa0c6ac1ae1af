/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <libdevmapper.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include "dm.h"
#include "log.h"

static void dm_task_destroyp(struct dm_task **dmt)
{
	if (*dmt)
		dm_task_destroy(*dmt);
}
#define _cleanup_dm_task_ _cleanup_(dm_task_destroyp)

/* libdevmapper's own messages go to our debug output: we log once, with context. */
_printf_(5, 6) static void dm_log_to_debug(int level, const char *file, int line,
					    int dm_errno_or_class, const char *fmt, ...)
{
	(void)file;
	(void)line;
	(void)dm_errno_or_class;
	if ((level & 7) > 3 || srfs_log_get_level() < SRFS_LOG_DEBUG)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("libdevmapper: %s", msg);
}

/*
 * Is udev there to answer cookies?  A control socket left behind by a udevd
 * that exited or crashed would make every wait hang, so connect to it.
 */
static bool udev_running(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "/run/udev/control" };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	return fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
}

static void setup(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	dm_log_with_errno_init(dm_log_to_debug);
	if (!udev_running())
		dm_udev_set_sync_support(0);
}

int srfs_dm_available(bool quiet)
{
	/* Opening the node (not only finding it) proves the driver is there. */
	_cleanup_close_ int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return 0;
	int r = negative_errno();
	if (quiet)
		return -ENXIO;
	if (r == -ENOENT || r == -ENXIO || r == -ENODEV) {
		log_error("device-mapper is not available in this kernel "
			  "(/dev/mapper/control: %s; load the dm-thin-pool module)",
			  strerror(-r));
		return -ENXIO;
	}
	return log_errno(r, "cannot open /dev/mapper/control");
}

static int task_errno(struct dm_task *dmt)
{
	int e = dm_task_get_errno(dmt);
	return e > 0 ? -e : -EIO;
}

static struct dm_task *task_new(int type, const char *name)
{
	setup();
	struct dm_task *dmt = dm_task_create(type);
	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

/* Runs a task that changes devices, with a udev cookie when udev runs. */
static int run_with_udev(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	bool have_cookie = false;

	if (dm_udev_get_sync_support()) {
		if (!dm_task_set_cookie(dmt, &cookie, 0))
			return -EIO;
		have_cookie = true;
	}
	int ok = dm_task_run(dmt);
	int r = ok ? 0 : task_errno(dmt);
	/* Wait even after a failure: the cookie's semaphore must be released. */
	if (have_cookie)
		dm_udev_wait(cookie);
	return r;
}

int srfs_dm_info(const char *name, struct srfs_dm_info *info)
{
	_cleanup_dm_task_ struct dm_task *dmt = task_new(DM_DEVICE_INFO, name);
	struct dm_info di;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt))
		return task_errno(dmt);
	if (!dm_task_get_info(dmt, &di))
		return -EIO;
	*info = (struct srfs_dm_info){
		.exists = di.exists,
		.suspended = di.suspended,
		.read_only = di.read_only,
		.deferred_remove = di.deferred_remove,
		.open_count = di.open_count,
		.devno = di.exists ? makedev(di.major, di.minor) : 0,
	};
	return 0;
}

int srfs_dm_create(const char *name, const struct srfs_dm_target *target, bool read_only,
		   dev_t *devno)
{
	_cleanup_dm_task_ struct dm_task *dmt = task_new(DM_DEVICE_CREATE, name);
	struct dm_info di;
	int r;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_add_target(dmt, target->start, target->length, target->type,
				target->params))
		return -ENOMEM;
	if (read_only && !dm_task_set_ro(dmt))
		return -ENOMEM;
	r = run_with_udev(dmt);
	if (r < 0)
		return r;
	if (devno) {
		if (!dm_task_get_info(dmt, &di) || !di.exists)
			return -EIO;
		*devno = makedev(di.major, di.minor);
	}
	return 0;
}

int srfs_dm_remove(const char *name, bool deferred)
{
	_cleanup_dm_task_ struct dm_task *dmt = task_new(DM_DEVICE_REMOVE, name);

	if (!dmt)
		return -ENOMEM;
	if (deferred ? !dm_task_deferred_remove(dmt) : !dm_task_retry_remove(dmt))
		return -ENOMEM;
	return run_with_udev(dmt);
}

int srfs_dm_message(const char *name, const char *message)
{
	_cleanup_dm_task_ struct dm_task *dmt = task_new(DM_DEVICE_TARGET_MSG, name);

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, message))
		return -ENOMEM;
	if (!dm_task_run(dmt))
		return task_errno(dmt);
	return 0;
}

static int suspend_or_resume(int type, const char *name)
{
	_cleanup_dm_task_ struct dm_task *dmt = task_new(type, name);

	if (!dmt)
		return -ENOMEM;
	/* A resume may send uevents: it carries a cookie like any change. */
	return type == DM_DEVICE_RESUME ? run_with_udev(dmt)
					: (dm_task_run(dmt) ? 0 : task_errno(dmt));
}

int srfs_dm_suspend(const char *name)
{
	return suspend_or_resume(DM_DEVICE_SUSPEND, name);
}

int srfs_dm_resume(const char *name)
{
	return suspend_or_resume(DM_DEVICE_RESUME, name);
}

int srfs_dm_get_target(const char *name, bool status, char *type, size_t type_size,
		       char *params, size_t params_size, uint64_t *length)
{
	_cleanup_dm_task_ struct dm_task *dmt =
		task_new(status ? DM_DEVICE_STATUS : DM_DEVICE_TABLE, name);
	uint64_t start, len;
	char *t = NULL, *p = NULL;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt))
		return task_errno(dmt);
	dm_get_next_target(dmt, NULL, &start, &len, &t, &p);
	if (!t)
		return -ENODATA;
	if (type)
		snprintf(type, type_size, "%s", t);
	if (params)
		snprintf(params, params_size, "%s", p ? p : "");
	if (length)
		*length = len;
	return 0;
}

int srfs_dm_for_each(int (*fn)(const char *name, dev_t devno, void *userdata),
		     void *userdata)
{
	_cleanup_dm_task_ struct dm_task *dmt = task_new(DM_DEVICE_LIST, NULL);
	struct dm_names *names;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt))
		return task_errno(dmt);
	names = dm_task_get_names(dmt);
	if (!names || !names->dev)
		return 0;
	for (;;) {
		int r = fn(names->name, (dev_t)names->dev, userdata);
		if (r)
			return r;
		if (!names->next)
			return 0;
		names = (struct dm_names *)((char *)names + names->next);
	}
}
