/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "crash.h"
#include "dm.h"
#include "lock.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "pooltx.h"
#include "probe.h"
#include "record.h"
#include "size.h"
#include "util.h"

/* ---- the devices under a pool ------------------------------------------------ */

struct opened_device {
	const char *role; /* "data", "metadata" */
	char *path;
	int fd;
	bool is_file;
	bool created;
	uint64_t size;
	dev_t devno; /* block device, or the loop device once attached */
	dev_t file_dev;
	ino_t file_ino;
	struct srfs_loop loop;
};

static void opened_device_close(struct opened_device *d)
{
	closep(&d->fd);
	srfs_loop_close(&d->loop);
	free(d->path);
	d->path = NULL;
}

/* Removes a file this run created, when the run fails. */
static void opened_device_undo(struct opened_device *d)
{
	if (d->created && d->path && unlink(d->path) == 0)
		log_verbose("removed %s again", d->path);
	d->created = false;
}

static int open_device(const char *role, const char *path, uint64_t create_size,
		       const char *known_pool, bool pool_active, struct opened_device *d)
{
	char q[SRFS_QUOTE_MAX];
	struct stat st;

	d->role = role;
	d->fd = -1;
	d->loop.fd = -1;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return log_errno(negative_errno(), "cannot access %s %s", role,
					 srfs_quote(q, sizeof(q), path));
		if (known_pool) {
			log_error("%s %s of pool %s is missing", role,
				  srfs_quote(q, sizeof(q), path), known_pool);
			return -ENOENT;
		}
		if (create_size == 0) {
			log_error("%s %s does not exist (give --%s-size to create it as a sparse file)",
				  role, srfs_quote(q, sizeof(q), path), role);
			return -ENOENT;
		}
		d->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (d->fd < 0)
			return log_errno(negative_errno(), "cannot create %s file %s", role,
					 srfs_quote(q, sizeof(q), path));
		d->created = true;
		if (ftruncate(d->fd, (off_t)create_size) < 0 || fstat(d->fd, &st) < 0) {
			int r = log_errno(negative_errno(), "cannot size %s file %s", role, path);
			d->path = strdup(path);
			opened_device_undo(d);
			return r;
		}
		log_verbose("created sparse %s file %s", role, path);
	} else if (S_ISREG(st.st_mode)) {
		d->fd = open(path, O_RDWR | O_CLOEXEC);
	} else if (S_ISBLK(st.st_mode)) {
		/* An exclusive open fails on a device that is mounted or held by a driver. */
		/* (An active pool holds its own devices: that is not "busy".) */
		_cleanup_close_ int excl =
			pool_active ? -1 : open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
		if (!pool_active && excl < 0 && errno == EBUSY) {
			log_error("%s device %s is busy (mounted, or in use by another device)",
				  role, srfs_quote(q, sizeof(q), path));
			return -EBUSY;
		}
		/* Not kept exclusive: the pool's table must be able to claim it. */
		d->fd = open(path, O_RDWR | O_CLOEXEC);
	} else {
		log_error("%s %s is neither a block device nor a regular file", role,
			  srfs_quote(q, sizeof(q), path));
		return -EINVAL;
	}
	if (d->fd < 0)
		return log_errno(negative_errno(), "cannot open %s %s", role,
				 srfs_quote(q, sizeof(q), path));
	if (fstat(d->fd, &st) < 0)
		return log_errno(negative_errno(), "cannot stat %s", path);
	d->is_file = S_ISREG(st.st_mode);
	if (d->is_file) {
		d->size = (uint64_t)st.st_size;
		d->file_dev = st.st_dev;
		d->file_ino = st.st_ino;
	} else {
		d->devno = st.st_rdev;
		if (ioctl(d->fd, BLKGETSIZE64, &d->size) < 0)
			return log_errno(negative_errno(), "cannot get the size of %s", path);
	}
	d->path = realpath(path, NULL);
	if (!d->path)
		return log_errno(negative_errno(), "cannot resolve %s", path);
	return 0;
}

/* Is the device DEVNO (from a live table) the opened device D? */
static bool is_same_device(dev_t devno, const struct opened_device *d)
{
	char backing[4096];
	struct stat st;

	if (!d->is_file)
		return devno == d->devno;
	if (srfs_loop_backing_file(devno, backing, sizeof(backing)) < 0 || !backing[0])
		return false;
	return stat(backing, &st) == 0 && st.st_dev == d->file_dev && st.st_ino == d->file_ino;
}

static int attach(struct opened_device *d)
{
	if (!d->is_file)
		return 0;
	int r = srfs_loop_attach(d->fd, false, &d->loop);
	if (r < 0)
		return log_errno(r, "cannot attach %s file %s to a loop device", d->role, d->path);
	d->devno = d->loop.devno;
	log_verbose("attached %s to %s", d->path, d->loop.path);
	return 0;
}

/* The device as the thin-pool target will write it: the loop device for a file. */
static int device_fd(const struct opened_device *d)
{
	return d->is_file ? d->loop.fd : d->fd;
}

static int check_no_signature(const struct opened_device *d, bool force)
{
	char what[128];
	int r = srfs_probe_signature(d->fd, what, sizeof(what));

	if (r < 0)
		return log_errno(r, "cannot probe %s %s for signatures", d->role, d->path);
	if (r == 0)
		return 0;
	if (force) {
		log_info("%s %s carries %s; overwriting it (--force)", d->role, d->path, what);
		return 0;
	}
	log_error("%s %s carries %s; refusing to overwrite it (use --force)", d->role, d->path,
		  what);
	return -EEXIST;
}

static int read_first_block(const struct opened_device *d, unsigned char *block, size_t size)
{
	ssize_t n = pread(d->fd, block, size, 0);
	if (n < 0)
		return log_errno(negative_errno(), "cannot read %s %s", d->role, d->path);
	if ((size_t)n < size)
		memset(block + n, 0, size - (size_t)n);
	return 0;
}

static int zero_metadata_header(const struct opened_device *d)
{
	static const unsigned char zeros[4096];
	int fd = device_fd(d);

	if (pwrite(fd, zeros, sizeof(zeros), 0) != (ssize_t)sizeof(zeros) || fsync(fd) < 0)
		return log_errno(negative_errno(), "cannot clear the header of metadata %s",
				 d->path);
	return 0;
}

static int save_runtime(struct srfs_state *st, const struct srfs_pool *pool, dev_t devno,
			const struct opened_device *data, const struct opened_device *meta)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	int dir = srfs_state_run_dir(st, SRFS_POOLS_DIR, true);
	char buf[32];
	int r;

	if (dir < 0)
		return dir;
	snprintf(buf, sizeof(buf), "%u:%u", major(devno), minor(devno));
	r = srfs_record_set(&rec, "device", buf);
	/* The loop devices this pool owns (they detach with it). */
	if (r == 0 && data && data->is_file)
		r = srfs_record_set(&rec, "data_loop", data->loop.path);
	if (r == 0 && meta && meta->is_file)
		r = srfs_record_set(&rec, "metadata_loop", meta->loop.path);
	if (r == 0)
		r = srfs_record_save(dir, pool->name, &rec, 0);
	if (r < 0)
		return log_errno(r, "cannot write the runtime record of pool %s", pool->name);
	return 0;
}

static void format_devno(char *buf, size_t size, dev_t devno)
{
	snprintf(buf, size, "%u:%u", major(devno), minor(devno));
}

/* The loop device whose number is DEVNO, into D (left alone when it is not a loop device). */
static void loop_of(dev_t devno, struct opened_device *d)
{
	char path[64];
	struct stat s;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop", major(devno), minor(devno));
	if (stat(path, &s) < 0)
		return;
	snprintf(d->loop.path, sizeof(d->loop.path), "/dev/loop%u", minor(devno));
	d->is_file = true;
}

int srfs_pool_restore_runtime(struct srfs_state *st, const struct srfs_pool *pool)
{
	struct opened_device data = { .fd = -1, .loop.fd = -1 }, meta = data;
	struct srfs_thin_pool_table table;
	struct srfs_dm_info info;
	char type[32], params[256];
	struct stat s;

	int dir = srfs_state_run_dir(st, SRFS_POOLS_DIR, false);
	if (dir >= 0 && fstatat(dir, pool->name, &s, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	int r = srfs_dm_info(pool->dm_name, &info);
	if (r < 0 || !info.exists)
		return r;
	r = srfs_dm_get_target(pool->dm_name, false, type, sizeof(type), params, sizeof(params),
			       NULL);
	if (r == 0 && (!streq(type, "thin-pool") || srfs_thin_pool_table_parse(params, &table) < 0))
		r = -EINVAL;
	if (r < 0)
		return log_errno(r, "cannot read the table of pool %s", pool->name);
	loop_of(table.data, &data);
	loop_of(table.metadata, &meta);
	r = save_runtime(st, pool, info.devno, &data, &meta);
	if (r == 0)
		log_info("wrote the missing runtime record of active pool %s", pool->name);
	return r;
}

/*
 * What every command that changes a pool does first: device-mapper present,
 * state directories open, and the pool transaction begun (pooltx.h).
 */
static int pool_begin(const char *name, unsigned flags, struct srfs_state *st,
		      struct srfs_pool_tx *tx)
{
	int r = srfs_dm_available(false);
	if (r < 0)
		return r;
	r = srfs_state_open(st, SRFS_STATE_RUN | SRFS_STATE_CATALOG | SRFS_STATE_CREATE);
	if (r < 0)
		return r;
	return srfs_pool_tx_begin(st, name, flags, tx);
}

/* ---- thinpool-create ---------------------------------------------------------- */

/* Records the opened devices in POOL (for its catalog record). */
static int record_devices(struct srfs_pool *pool, const struct opened_device *data,
			  const struct opened_device *meta)
{
	const struct opened_device *from[] = { data, meta };
	struct srfs_pool_device *to[] = { &pool->data, &pool->metadata };

	for (int i = 0; i < 2; i++) {
		char *path = strdup(from[i]->path);
		if (!path)
			return log_errno(-ENOMEM, "cannot record pool %s", pool->name);
		free(to[i]->path);
		*to[i] = (struct srfs_pool_device){ path, from[i]->is_file, from[i]->created,
						    from[i]->size };
	}
	return 0;
}

/* An option as given (>= 0), else the catalog's value for a known pool, else the default. */
static uint64_t pick(int64_t option, uint64_t catalog_value, uint64_t fallback, bool known)
{
	if (option >= 0)
		return (uint64_t)option;
	return known ? catalog_value : fallback;
}

/* The parameters of pool NAME: the catalog's for a KNOWN pool, else the options' or defaults. */
static int settle_parameters(const char *name, const struct srfs_pool_create_options *o,
			     bool known, struct srfs_pool *pool)
{
	if (!known) {
		if (!o->data_path || !o->metadata_path) {
			log_error("pool %s is not in the catalog: give --data and --metadata to create it",
				  name);
			return -ENOENT;
		}
		snprintf(pool->name, sizeof(pool->name), "%s", name);
		int r = srfs_pool_dm_name(name, pool->dm_name, sizeof(pool->dm_name));
		if (r < 0)
			return log_errno(r, "cannot name the device of pool %s", name);
		pool->chunk_size = o->chunk_size ? o->chunk_size : SRFS_THIN_CHUNK_DEFAULT;
		pool->created = (uint64_t)time(NULL);
	} else if (o->chunk_size && o->chunk_size != pool->chunk_size) {
		char s[32];
		log_error("pool %s has a chunk size of %s, which cannot be changed", name,
			  srfs_size_format(s, sizeof(s), pool->chunk_size));
		return -EINVAL;
	}
	pool->low_water_mark =
		pick(o->low_water_mark, pool->low_water_mark, SRFS_THIN_LOW_WATER_DEFAULT, known);
	pool->error_if_no_space = pick(o->error_if_no_space, pool->error_if_no_space, false, known);
	pool->discard = pick(o->discard, pool->discard, true, known);
	pool->zero_blocks = pick(o->zero_blocks, pool->zero_blocks, false, known);
	return 0;
}

/*
 * Opens the data and metadata devices, as given or as the catalog has them
 * (KNOWN: they must be the recorded ones, of the recorded size), and
 * refuses one device for both.  POOL_ACTIVE: the pool's device exists.
 */
static int open_devices(const struct srfs_pool *pool, const struct srfs_pool_create_options *o,
			bool known, bool pool_active, struct opened_device *data,
			struct opened_device *meta)
{
	const char *data_path = o->data_path ? o->data_path : pool->data.path;
	const char *meta_path = o->metadata_path ? o->metadata_path : pool->metadata.path;
	const char *known_pool = known ? pool->name : NULL;
	int r;

	r = open_device("data", data_path, o->data_size, known_pool, pool_active, data);
	if (r == 0)
		r = open_device("metadata", meta_path, o->metadata_size, known_pool, pool_active,
				meta);
	if (r < 0)
		return r;
	if (known) {
		const struct opened_device *given[] = { data, meta };
		const struct srfs_pool_device *recorded[] = { &pool->data, &pool->metadata };
		for (int i = 0; i < 2; i++) {
			if (!streq(given[i]->path, recorded[i]->path)) {
				log_error("pool %s was created with %s %s, not %s", pool->name,
					  given[i]->role, recorded[i]->path, given[i]->path);
				return -EINVAL;
			}
			if (given[i]->size != recorded[i]->size) {
				log_error("%s %s of pool %s has changed size (%" PRIu64
					  " bytes, was %" PRIu64 ")",
					  given[i]->role, given[i]->path, pool->name, given[i]->size,
					  recorded[i]->size);
				return -EINVAL;
			}
		}
	}
	if (data->is_file == meta->is_file &&
	    (data->is_file ? data->file_dev == meta->file_dev && data->file_ino == meta->file_ino
			   : data->devno == meta->devno)) {
		log_error("data and metadata are the same device %s", data->path);
		return -EINVAL;
	}
	return 0;
}

/*
 * The pool's device exists: it must be a thin pool on these devices.  One
 * the catalog does not know (a crash between activation and the record) is
 * recorded now.
 */
static int confirm_active(struct srfs_state *st, struct srfs_pool *pool, bool known,
			  const struct opened_device *data, const struct opened_device *meta)
{
	struct srfs_thin_pool_table live;
	char type[32], table_text[256], a[32], b[32];
	int r;

	r = srfs_dm_get_target(pool->dm_name, false, type, sizeof(type), table_text,
			       sizeof(table_text), NULL);
	if (r < 0 || !streq(type, "thin-pool") ||
	    srfs_thin_pool_table_parse(table_text, &live) < 0) {
		log_error("device %s exists but is not a thin pool", pool->dm_name);
		return -EEXIST;
	}
	if (!is_same_device(live.data, data) || !is_same_device(live.metadata, meta)) {
		format_devno(a, sizeof(a), live.data);
		format_devno(b, sizeof(b), live.metadata);
		log_error("pool %s is already active with other devices (data %s, metadata %s)",
			  pool->name, a, b);
		return -EEXIST;
	}
	if (!known) {
		r = record_devices(pool, data, meta);
		if (r == 0)
			r = srfs_pool_save(st, pool);
		if (r < 0)
			return r;
	}
	log_info("pool %s is already active", pool->name);
	return 0;
}

/* A new pool's devices: big enough, and (unless FORCE) carrying nothing else. */
static int check_new_devices(const struct srfs_pool *pool, bool force,
			     const struct opened_device *data, const struct opened_device *meta)
{
	uint64_t need = srfs_thin_metadata_min(data->size, pool->chunk_size);
	char s1[32], s2[32], s3[32], s4[32];
	int r;

	if (data->size < pool->chunk_size * 2) {
		log_error("data %s is too small for a pool (%s; at least two chunks of %s)",
			  data->path, srfs_size_format(s1, sizeof(s1), data->size),
			  srfs_size_format(s2, sizeof(s2), pool->chunk_size));
		return -EINVAL;
	}
	if (meta->size < need) {
		log_error("metadata %s is too small: %s for %s of data in %s chunks needs "
			  "at least %s (48 bytes per chunk, 2M minimum)",
			  meta->path, srfs_size_format(s1, sizeof(s1), meta->size),
			  srfs_size_format(s2, sizeof(s2), data->size),
			  srfs_size_format(s3, sizeof(s3), pool->chunk_size),
			  srfs_size_format(s4, sizeof(s4), need));
		return -EINVAL;
	}
	if (meta->size > SRFS_THIN_METADATA_MAX)
		log_info("metadata %s is larger than 16G; the kernel uses only 16G of it",
			 meta->path);
	if (!data->created && (r = check_no_signature(data, force)) < 0)
		return r;
	if (!meta->created && (r = check_no_signature(meta, force)) < 0)
		return r;
	return 0;
}

/* The thin-pool device on the attached devices; its number into DEVNO. */
static int create_pool_device(const struct srfs_pool *pool, const struct opened_device *data,
			      const struct opened_device *meta, dev_t *devno)
{
	char table_text[256];
	struct srfs_thin_pool_table table = {
		.metadata = meta->devno,
		.data = data->devno,
		.chunk_sectors = pool->chunk_size / 512,
		.low_water_mark = pool->low_water_mark,
		.zero_blocks = pool->zero_blocks,
		.discard = pool->discard,
		.error_if_no_space = pool->error_if_no_space,
	};
	int r = srfs_thin_pool_table_format(&table, table_text, sizeof(table_text));
	if (r < 0)
		return r;
	struct srfs_dm_target target = {
		.start = 0,
		.length = data->size / pool->chunk_size * pool->chunk_size / 512,
		.type = "thin-pool",
		.params = table_text,
	};
	log_debug("creating %s: 0 %" PRIu64 " thin-pool %s", pool->dm_name, target.length,
		  table_text);
	r = srfs_dm_create(pool->dm_name, &target, false, devno);
	if (r < 0)
		return log_errno(r, "cannot activate pool %s (device %s; the kernel log says why)",
				 pool->name, pool->dm_name);
	return 0;
}

/*
 * Activates the pool: a new one (its metadata header cleared), or one whose
 * metadata already holds it (KNOWN, or a superblock found); then its catalog
 * and runtime records.  The device is removed again when a record fails.
 */
static int activate(struct srfs_state *st, struct srfs_pool *pool,
		    const struct srfs_pool_create_options *o, bool known,
		    struct opened_device *data, struct opened_device *meta)
{
	unsigned char block[4096];
	char devno_text[32];
	dev_t devno;
	int r;

	r = read_first_block(meta, block, sizeof(block));
	if (r < 0)
		return r;
	bool existing = known || srfs_thin_has_superblock(block, sizeof(block));
	if (!existing && (r = check_new_devices(pool, o->force, data, meta)) < 0)
		return r;
	r = attach(data);
	if (r == 0)
		r = attach(meta);
	if (r == 0 && !existing)
		r = zero_metadata_header(meta);
	if (r == 0)
		r = create_pool_device(pool, data, meta, &devno);
	if (r < 0)
		return r;
	srfs_crash_point("thinpool-create:device");

	r = known ? 0 : record_devices(pool, data, meta);
	if (r == 0)
		r = srfs_pool_save(st, pool);
	if (r == 0) {
		srfs_crash_point("thinpool-create:record");
		r = save_runtime(st, pool, devno, data, meta);
	}
	if (r < 0) {
		/* Undo in reverse: the device, then a catalog record this run wrote. */
		srfs_dm_remove(pool->dm_name, false);
		if (!known)
			srfs_pool_forget(st, pool->name);
		return r;
	}
	format_devno(devno_text, sizeof(devno_text), devno);
	if (existing && !known)
		log_info("pool %s activated from metadata %s, which already held it, without "
			 "changes (device %s, %s)",
			 pool->name, meta->path, pool->dm_name, devno_text);
	else
		log_info("pool %s %s (device %s, %s)", pool->name,
			 existing ? "activated" : "created", pool->dm_name, devno_text);
	return 0;
}

int srfs_pool_create(const char *name, const struct srfs_pool_create_options *o)
{
	static const struct srfs_pool_create_options defaults = {
		.low_water_mark = -1, .error_if_no_space = -1, .discard = -1, .zero_blocks = -1,
	};
	if (!o)
		o = &defaults;
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_pool_tx_ struct srfs_pool_tx tx = SRFS_POOL_TX_INIT;
	_cleanup_(opened_device_close) struct opened_device data = { .fd = -1, .loop.fd = -1 };
	_cleanup_(opened_device_close) struct opened_device meta = { .fd = -1, .loop.fd = -1 };
	struct srfs_pool *pool = &tx.pool;
	struct srfs_dm_info info;
	bool known;
	int r;

	/* No recovery: the pool's device may not exist yet. */
	r = pool_begin(name, SRFS_POOL_TX_UNKNOWN_OK, &st, &tx);
	if (r < 0 && r != -ENOENT)
		return r;
	known = r == 0;
	r = settle_parameters(name, o, known, pool);
	if (r < 0)
		return r;
	r = srfs_dm_info(pool->dm_name, &info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", pool->dm_name);

	r = open_devices(pool, o, known, info.exists, &data, &meta);
	if (r == 0)
		r = info.exists ? confirm_active(&st, pool, known, &data, &meta)
				: activate(&st, pool, o, known, &data, &meta);
	if (r < 0) {
		/* Files this run created go again. */
		opened_device_undo(&data);
		opened_device_undo(&meta);
	}
	return r;
}

/* ---- thin devices of a pool ---------------------------------------------------- */

struct thin_scan {
	dev_t pool_devno;
	unsigned count;
	char names[512]; /* the first few, for messages */
};

static int scan_one(const char *dm_name, dev_t devno, void *userdata)
{
	struct thin_scan *scan = userdata;
	char type[32], params[256], pool[32];
	(void)devno;

	if (srfs_dm_get_target(dm_name, false, type, sizeof(type), params, sizeof(params),
			       NULL) < 0 ||
	    !streq(type, "thin"))
		return 0;
	format_devno(pool, sizeof(pool), scan->pool_devno);
	size_t n = strlen(pool);
	if (strncmp(params, pool, n) != 0 || params[n] != ' ')
		return 0;
	scan->count++;
	size_t used = strlen(scan->names);
	if (used + strlen(dm_name) + 8 < sizeof(scan->names))
		snprintf(scan->names + used, sizeof(scan->names) - used, "%s%s", used ? ", " : "",
			 dm_name);
	return 0;
}

static int scan_thins(dev_t pool_devno, struct thin_scan *scan)
{
	*scan = (struct thin_scan){ .pool_devno = pool_devno };
	return srfs_dm_for_each(scan_one, scan);
}

/*
 * Counts the thin devices of POOL in the catalog (images, container
 * snapshots, layers); NAMES (if not NULL) gets the first few.
 */
static int catalog_images(int catalog_fd, const char *pool, unsigned *count, char *names,
			  size_t names_size)
{
	static const char *const dirs[] = { SRFS_IMAGES_DIR, SRFS_SNAPSHOTS_DIR, SRFS_LAYERS_DIR };

	*count = 0;
	if (names)
		names[0] = '\0';
	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		_cleanup_close_ int dir = -1;
		char **images;
		int r = srfs_state_list(catalog_fd, dirs[d], &images);
		if (r < 0)
			return r;
		dir = openat(catalog_fd, dirs[d], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		for (char **image = images; dir >= 0 && *image; image++) {
			_cleanup_record_ struct srfs_record rec = { 0 };
			char err[128];
			if (srfs_record_load(dir, *image, NULL, &rec, err, sizeof(err)) < 0)
				continue;
			const char *p = srfs_record_get(&rec, "pool");
			if (!p || !streq(p, pool))
				continue;
			(*count)++;
			size_t used = names ? strlen(names) : 0;
			if (names && used + strlen(*image) + 8 < names_size)
				snprintf(names + used, names_size - used, "%s%s", used ? ", " : "",
					 *image);
		}
		srfs_names_free(images);
	}
	return 0;
}

/* ---- thinpool-status ------------------------------------------------------------ */

static int report_one(int catalog_fd, const char *name,
		      int (*fn)(const struct srfs_pool_report *, void *), void *userdata)
{
	struct srfs_pool_report rep = { 0 };
	struct srfs_dm_info info;
	struct thin_scan scan;
	char type[32], params[512];
	int r;

	r = srfs_pool_load(catalog_fd, name, &rep.pool);
	if (r == -ENOENT) {
		log_error("unknown pool %s", name);
		return r;
	}
	if (r < 0)
		return r;
	/* Without device-mapper in the kernel every pool is simply inactive. */
	r = srfs_dm_available(true);
	if (r == 0)
		r = srfs_dm_info(rep.pool.dm_name, &info);
	if (r < 0 && r != -ENXIO)
		log_errno(r, "cannot look up device %s", rep.pool.dm_name);
	if (r == 0 && info.exists) {
		rep.active = true;
		rep.devno = info.devno;
		if (srfs_dm_get_target(rep.pool.dm_name, true, type, sizeof(type), params,
				       sizeof(params), NULL) == 0)
			srfs_thin_pool_status_parse(params, &rep.status);
		if (srfs_dm_get_target(rep.pool.dm_name, false, type, sizeof(type), params,
				       sizeof(params), NULL) == 0)
			srfs_thin_pool_table_parse(params, &rep.table);
		if (scan_thins(info.devno, &scan) == 0)
			rep.active_thins = scan.count;
	}
	catalog_images(catalog_fd, name, &rep.catalog_thins, NULL, 0);
	r = fn(&rep, userdata);
	srfs_pool_clear(&rep.pool);
	return r;
}

int srfs_pool_report(const char *name,
		     int (*fn)(const struct srfs_pool_report *report, void *userdata),
		     void *userdata)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	char **pools;
	int r;

	r = srfs_state_open(&st, SRFS_STATE_CATALOG);
	if (r == -ENOENT) {
		if (name) {
			log_error("unknown pool %s", name);
			return -ENOENT;
		}
		return 0;
	}
	if (r < 0)
		return r;
	if (name)
		return report_one(st.catalog_fd, name, fn, userdata);

	r = srfs_state_list(st.catalog_fd, SRFS_POOLS_DIR, &pools);
	if (r < 0)
		return log_errno(r, "cannot read the pool catalog in %s", st.catalog_path);
	/* Report every pool, even after one fails; the first error is the result. */
	for (char **pool = pools; *pool; pool++) {
		int q = report_one(st.catalog_fd, *pool, fn, userdata);
		if (q < 0 && r == 0)
			r = q;
	}
	srfs_names_free(pools);
	return r;
}

/* ---- thinpool-remove ------------------------------------------------------------ */

int srfs_pool_remove(const char *name, bool force, bool wipe)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_pool_tx_ struct srfs_pool_tx tx = SRFS_POOL_TX_INIT;
	struct srfs_pool *pool = &tx.pool;
	struct srfs_dm_info info;
	struct thin_scan scan;
	char images[512];
	unsigned n_images;
	int r;

	r = pool_begin(name, 0, &st, &tx);
	if (r < 0)
		return r;

	r = srfs_dm_info(pool->dm_name, &info);
	if (r < 0)
		return log_errno(r, "cannot look up device %s", pool->dm_name);
	if (info.exists) {
		r = scan_thins(info.devno, &scan);
		if (r < 0)
			return log_errno(r, "cannot list the devices of pool %s", name);
		if (scan.count) {
			log_error("pool %s has %u active thin device%s: %s (deactivate them first)",
				  name, scan.count, scan.count == 1 ? "" : "s", scan.names);
			return -EBUSY;
		}
	}
	if (wipe) {
		r = catalog_images(st.catalog_fd, name, &n_images, images, sizeof(images));
		if (r < 0)
			return log_errno(r, "cannot read the image catalog");
		if (n_images && !force) {
			log_error("pool %s still holds %u image%s: %s (remove them, or use --force "
				  "to wipe them with the pool)",
				  name, n_images, n_images == 1 ? "" : "s", images);
			return -EBUSY;
		}
	}
	if (info.exists) {
		r = srfs_dm_remove(pool->dm_name, false);
		if (r == -EBUSY) {
			log_error("pool %s is busy: device %s is still open", name, pool->dm_name);
			return r;
		}
		if (r < 0)
			return log_errno(r, "cannot deactivate pool %s", name);
		srfs_crash_point("thinpool-remove:device");
		log_info("pool %s deactivated", name);
	} else {
		log_info("pool %s is not active", name);
	}
	int run_pools = srfs_state_run_dir(&st, SRFS_POOLS_DIR, true);
	if (run_pools >= 0)
		srfs_record_remove(run_pools, name, 0);

	if (!wipe)
		return 0;
	const struct srfs_pool_device *devs[] = { &pool->data, &pool->metadata };
	for (int i = 0; i < 2; i++) {
		if (!devs[i]->created)
			continue;
		if (unlink(devs[i]->path) < 0 && errno != ENOENT)
			return log_errno(negative_errno(), "cannot remove %s", devs[i]->path);
		log_verbose("removed %s", devs[i]->path);
	}
	r = srfs_pool_forget(&st, name);
	if (r < 0)
		return r;
	log_info("pool %s wiped", name);
	return 0;
}
