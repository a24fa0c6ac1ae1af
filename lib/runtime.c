/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "lock.h"
#include "idmap.h"
#include "log.h"
#include "record.h"
#include "runtime.h"
#include "util.h"

/* ---- records ---------------------------------------------------------------------- */

static const struct srfs_record_key active_keys[] = {
	{ "mount", true },
	{ "device", true },
	{ "dm_name", false },
	{ "fs", true },
	{ "dev", true },
	{ "since", true },
	{ "context", false },
	{ 0 },
};

static const struct srfs_record_key share_keys[] = {
	{ "image", true },
	{ "target", true },
	{ "mode", true },
	{ "dev", true },
	{ "since", true },
	{ "upper", false },
	{ "upper_default", false },
	{ "upper_id", false },
	{ "mount_id", false },
	{ "mntns", false },
	{ "context", false },
	{ "idmap", false },
	{ "bundle", false },
	{ 0 },
};

static int parse_devno(const char *s, dev_t *out)
{
	unsigned ma, mi;
	char tail;
	if (!s || sscanf(s, "%u:%u%c", &ma, &mi, &tail) != 2)
		return -EINVAL;
	*out = makedev(ma, mi);
	return 0;
}

/* "MAJOR:MINOR:INO" (NULL: none, all 0). */
static int parse_pair(const char *s, dev_t *dev, uint64_t *ino)
{
	unsigned ma, mi;
	uint64_t n;
	char tail;
	*dev = 0;
	*ino = 0;
	if (!s)
		return 0;
	if (sscanf(s, "%u:%u:%" SCNu64 "%c", &ma, &mi, &n, &tail) != 3 || n == 0)
		return -EINVAL;
	*dev = makedev(ma, mi);
	*ino = n;
	return 0;
}

/* "ID:UNIQUE:MAJOR:MINOR" (NULL: none, all 0). */
static int parse_mount_id(const char *s, struct srfs_mount_id *m)
{
	unsigned ma, mi;
	char tail;
	*m = (struct srfs_mount_id){ 0 };
	if (!s)
		return 0;
	if (sscanf(s, "%" SCNu64 ":%" SCNu64 ":%u:%u%c", &m->id, &m->unique, &ma, &mi, &tail) != 4 ||
	    m->id == 0)
		return -EINVAL;
	m->dev = makedev(ma, mi);
	return 0;
}

static int set_devno(struct srfs_record *rec, const char *key, dev_t dev)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%u:%u", major(dev), minor(dev));
	return srfs_record_set(rec, key, buf);
}

/* Loads DIR/NAME of the runtime directory; -ENOENT silently, corrupt records logged. */
static int load_runtime(struct srfs_state *st, const char *dir, const char *name,
			const char *what, const struct srfs_record_key *keys, struct srfs_record *rec)
{
	int fd = srfs_state_run_dir(st, dir, false);
	char err[256];
	int r;

	if (fd < 0)
		return fd;
	r = srfs_record_load(fd, name, keys, rec, err, sizeof(err));
	if (r == -EBADMSG)
		log_error("runtime record of %s %s is corrupt: %s%s", what, name, err,
			  streq(what, "share") ? " (shared-rootfs-recover sets it aside)" : "");
	else if (r < 0 && r != -ENOENT)
		log_errno(r, "cannot read the runtime record of %s %s", what, name);
	return r;
}

static int save_runtime(struct srfs_state *st, const char *dir, const char *name,
			const char *what, const struct srfs_record *rec)
{
	int fd = srfs_state_run_dir(st, dir, true);
	int r = fd < 0 ? fd : srfs_record_save(fd, name, rec, 0);
	if (r < 0)
		return log_errno(r, "cannot write the runtime record of %s %s", what, name);
	return 0;
}

static int remove_runtime(struct srfs_state *st, const char *dir, const char *name,
			  const char *what)
{
	int fd = srfs_state_run_dir(st, dir, false);
	if (fd == -ENOENT)
		return 0;
	int r = fd < 0 ? fd : srfs_record_remove(fd, name, 0);
	if (r < 0)
		return log_errno(r, "cannot remove the runtime record of %s %s", what, name);
	return 0;
}

void srfs_active_image_clear(struct srfs_active_image *a)
{
	free(a->mount);
	free(a->device);
	*a = (struct srfs_active_image){ 0 };
}

int srfs_active_image_load(struct srfs_state *st, const char *name,
			   struct srfs_active_image *a)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	const char *v;
	int r;

	srfs_active_image_clear(a);
	r = load_runtime(st, SRFS_RUN_IMAGES_DIR, name, "image", active_keys, &rec);
	if (r < 0)
		return r;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->mount = strdup(srfs_record_get(&rec, "mount"));
	a->device = strdup(srfs_record_get(&rec, "device"));
	v = srfs_record_get(&rec, "dm_name");
	snprintf(a->dm_name, sizeof(a->dm_name), "%s", v ? v : "");
	v = srfs_record_get(&rec, "fs");
	snprintf(a->fs, sizeof(a->fs), "%s", v);
	v = srfs_record_get(&rec, "context");
	snprintf(a->context, sizeof(a->context), "%s", v ? v : "");
	if (!a->mount || !a->device || a->mount[0] != '/' ||
	    parse_devno(srfs_record_get(&rec, "dev"), &a->dev) < 0 ||
	    srfs_record_get_u64(&rec, "since", &a->since) < 0) {
		log_error("runtime record of image %s is corrupt: a value is malformed", name);
		srfs_active_image_clear(a);
		return -EBADMSG;
	}
	return 0;
}

int srfs_active_image_save(struct srfs_state *st, const struct srfs_active_image *a)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	int r = srfs_record_set(&rec, "mount", a->mount);
	if (r == 0)
		r = srfs_record_set(&rec, "device", a->device);
	if (r == 0 && a->dm_name[0])
		r = srfs_record_set(&rec, "dm_name", a->dm_name);
	if (r == 0)
		r = srfs_record_set(&rec, "fs", a->fs);
	if (r == 0)
		r = set_devno(&rec, "dev", a->dev);
	if (r == 0)
		r = srfs_record_set_u64(&rec, "since", a->since);
	if (r == 0 && a->context[0])
		r = srfs_record_set(&rec, "context", a->context);
	if (r < 0)
		return log_errno(r, "cannot record image %s", a->name);
	return save_runtime(st, SRFS_RUN_IMAGES_DIR, a->name, "image", &rec);
}

int srfs_active_image_forget(struct srfs_state *st, const char *name)
{
	return remove_runtime(st, SRFS_RUN_IMAGES_DIR, name, "image");
}

/* Is TEXT an id map as a record holds it (ranges, canonical or not)? */
static bool valid_idmap(const char *text)
{
	_cleanup_free_ struct srfs_idmap *map = malloc(sizeof(*map));
	char err[256];
	return map && srfs_idmap_parse(text, map, err, sizeof(err)) == 0;
}

void srfs_share_clear(struct srfs_share *s)
{
	free(s->target);
	free(s->upper);
	free(s->idmap);
	free(s->bundle);
	*s = (struct srfs_share){ 0 };
}

int srfs_share_load(struct srfs_state *st, const char *id, struct srfs_share *s)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	const char *image, *mode;
	int r;

	srfs_share_clear(s);
	r = load_runtime(st, SRFS_SHARES_DIR, id, "share", share_keys, &rec);
	if (r < 0)
		return r;
	image = srfs_record_get(&rec, "image");
	mode = srfs_record_get(&rec, "mode");
	s->target = strdup(srfs_record_get(&rec, "target"));
	if (srfs_name_check(image, NULL) < 0 || strlen(mode) >= sizeof(s->mode) || !s->target ||
	    s->target[0] != '/' || parse_devno(srfs_record_get(&rec, "dev"), &s->dev) < 0 ||
	    srfs_record_get_u64(&rec, "since", &s->since) < 0) {
		log_error("runtime record of share %s is corrupt: a value is malformed "
			  "(shared-rootfs-recover sets it aside)", id);
		srfs_share_clear(s);
		return -EBADMSG;
	}
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->image, sizeof(s->image), "%s", image);
	snprintf(s->mode, sizeof(s->mode), "%s", mode);
	const char *upper = srfs_record_get(&rec, "upper");
	const char *upper_default = srfs_record_get(&rec, "upper_default");
	if (upper && (upper[0] != '/' || !(s->upper = strdup(upper)))) {
		log_error("runtime record of share %s is corrupt: a value is malformed "
			  "(shared-rootfs-recover sets it aside)", id);
		srfs_share_clear(s);
		return -EBADMSG;
	}
	s->upper_default = upper_default && streq(upper_default, "1");
	const char *mntns = srfs_record_get(&rec, "mntns");
	if (parse_pair(srfs_record_get(&rec, "upper_id"), &s->upper_dev, &s->upper_ino) < 0 ||
	    parse_mount_id(srfs_record_get(&rec, "mount_id"), &s->mount) < 0 ||
	    (mntns && (srfs_parse_u64(mntns, &s->mntns) < 0 || !s->mntns))) {
		log_error("runtime record of share %s is corrupt: a value is malformed "
			  "(shared-rootfs-recover sets it aside)", id);
		srfs_share_clear(s);
		return -EBADMSG;
	}
	const char *context = srfs_record_get(&rec, "context");
	snprintf(s->context, sizeof(s->context), "%s", context ? context : "");
	const char *idmap = srfs_record_get(&rec, "idmap");
	const char *bundle = srfs_record_get(&rec, "bundle");
	if ((idmap && (!valid_idmap(idmap) || !(s->idmap = strdup(idmap)))) ||
	    (bundle && (bundle[0] != '/' || !(s->bundle = strdup(bundle))))) {
		log_error("runtime record of share %s is corrupt: a value is malformed "
			  "(shared-rootfs-recover sets it aside)", id);
		srfs_share_clear(s);
		return -EBADMSG;
	}
	return 0;
}

int srfs_share_save(struct srfs_state *st, const struct srfs_share *s)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	char buf[96];
	int r = srfs_record_set(&rec, "image", s->image);
	if (r == 0)
		r = srfs_record_set(&rec, "target", s->target);
	if (r == 0)
		r = srfs_record_set(&rec, "mode", s->mode);
	if (r == 0)
		r = set_devno(&rec, "dev", s->dev);
	if (r == 0)
		r = srfs_record_set_u64(&rec, "since", s->since);
	if (r == 0 && s->upper)
		r = srfs_record_set(&rec, "upper", s->upper);
	if (r == 0 && s->upper)
		r = srfs_record_set(&rec, "upper_default", s->upper_default ? "1" : "0");
	if (r == 0 && s->upper_ino) {
		snprintf(buf, sizeof(buf), "%u:%u:%" PRIu64, major(s->upper_dev), minor(s->upper_dev),
			 s->upper_ino);
		r = srfs_record_set(&rec, "upper_id", buf);
	}
	if (r == 0 && s->mntns)
		r = srfs_record_set_u64(&rec, "mntns", s->mntns);
	if (r == 0 && s->mount.id) {
		snprintf(buf, sizeof(buf), "%" PRIu64 ":%" PRIu64 ":%u:%u", s->mount.id,
			 s->mount.unique, major(s->mount.dev), minor(s->mount.dev));
		r = srfs_record_set(&rec, "mount_id", buf);
	}
	if (r == 0 && s->context[0])
		r = srfs_record_set(&rec, "context", s->context);
	if (r == 0 && s->idmap)
		r = srfs_record_set(&rec, "idmap", s->idmap);
	if (r == 0 && s->bundle)
		r = srfs_record_set(&rec, "bundle", s->bundle);
	if (r < 0)
		return log_errno(r, "cannot record share %s", s->id);
	return save_runtime(st, SRFS_SHARES_DIR, s->id, "share", &rec);
}

int srfs_share_for_each(struct srfs_state *st, const char *image,
			int (*fn)(const struct srfs_share *s, void *userdata), void *userdata)
{
	char **ids;
	int r;

	if (st->run_fd < 0)
		return 0;
	r = srfs_state_list(st->run_fd, SRFS_SHARES_DIR, &ids);
	if (r < 0)
		return log_errno(r, "cannot read the share records in %s", st->run_path);
	for (char **id = ids; *id; id++) {
		_cleanup_(srfs_share_clear) struct srfs_share s = { 0 };
		int q = srfs_share_load(st, *id, &s);
		if (q == -ENOENT)
			continue; /* released meanwhile */
		if (q < 0)
			continue; /* reported by the load; recovery sets it aside */
		if (image && !streq(s.image, image))
			continue;
		q = fn(&s, userdata);
		if (q < 0) {
			r = q;
			break;
		}
	}
	srfs_names_free(ids);
	return r;
}

struct names_acc {
	unsigned count;
	char *names;
	size_t size;
};

static int add_name(const struct srfs_share *s, void *userdata)
{
	struct names_acc *acc = userdata;
	size_t used = strlen(acc->names);

	acc->count++;
	if (used + strlen(s->id) + 8 < acc->size)
		snprintf(acc->names + used, acc->size - used, "%s%s", used ? ", " : "", s->id);
	else if (!strstr(acc->names, ", ..."))
		snprintf(acc->names + used, acc->size - used, ", ...");
	return 0;
}

int srfs_share_names(struct srfs_state *st, const char *image, unsigned *count,
		     char *names, size_t size)
{
	struct names_acc acc = { 0, names, size };
	names[0] = '\0';
	int r = srfs_share_for_each(st, image, add_name, &acc);
	*count = acc.count;
	return r;
}

int srfs_share_forget(struct srfs_state *st, const char *id)
{
	return remove_runtime(st, SRFS_SHARES_DIR, id, "share");
}

int srfs_share_quarantine(struct srfs_state *st, const char *id)
{
	int from = srfs_state_run_dir(st, SRFS_SHARES_DIR, false);
	int to = from < 0 ? from : srfs_state_run_dir(st, SRFS_QUARANTINE_DIR, true);
	char name[SRFS_NAME_MAX + 32];

	if (to < 0)
		return to;
	snprintf(name, sizeof(name), "%s.%" PRIu64, id, (uint64_t)time(NULL));
	if (renameat(from, id, to, name) < 0)
		return log_errno(negative_errno(), "cannot set aside share record %s", id);
	log_info("share record %s could not be read: moved to %s/%s/%s", id, st->run_path,
		 SRFS_QUARANTINE_DIR, name);
	return 0;
}

int srfs_share_exists(struct srfs_state *st, const char *id)
{
	struct stat s;
	int dir = srfs_state_run_dir(st, SRFS_SHARES_DIR, false);
	if (dir == -ENOENT)
		return 0;
	if (dir < 0)
		return dir;
	if (fstatat(dir, id, &s, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : log_errno(negative_errno(), "cannot look for share %s", id);
}

/* ---- the target index -------------------------------------------------------------- */

static void target_key(const char *path, char key[17])
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(key, 17, "%016" PRIx64, h);
}

int srfs_target_owner(struct srfs_state *st, const char *target, char *id, size_t size)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	static const struct srfs_record_key keys[] = { { "id", true }, { "target", true }, { 0 } };
	char key[17];
	int r;

	target_key(target, key);
	r = load_runtime(st, SRFS_TARGETS_DIR, key, "target", keys, &rec);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!streq(srfs_record_get(&rec, "target"), target))
		return 0; /* a hash collision: another target's entry */
	snprintf(id, size, "%s", srfs_record_get(&rec, "id"));
	return 1;
}

int srfs_target_claim(struct srfs_state *st, const char *target, const char *id, char *owner,
		      size_t owner_size)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_free_ char *text = NULL;
	int dir = srfs_state_run_dir(st, SRFS_TARGETS_DIR, true);
	char key[17];
	size_t len;
	int r = dir < 0 ? dir : 0;

	target_key(target, key);
	if (r == 0)
		r = srfs_record_set(&rec, "id", id);
	if (r == 0)
		r = srfs_record_set(&rec, "target", target);
	if (r == 0)
		r = srfs_record_format(&rec, &text, &len);
	if (r < 0)
		return log_errno(r, "cannot claim target %s", target);
	for (int attempt = 0; attempt < 3; attempt++) {
		_cleanup_close_ int fd = openat(dir, key, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
							     O_CLOEXEC, 0600);
		if (fd >= 0) {
			r = srfs_write_full(fd, text, len);
			if (r < 0) {
				unlinkat(dir, key, 0);
				return log_errno(r, "cannot claim target %s", target);
			}
			return 0;
		}
		if (errno != EEXIST)
			return log_errno(negative_errno(), "cannot claim target %s", target);
		r = srfs_target_owner(st, target, owner, owner_size);
		if (r < 0)
			return r;
		if (r == 0) {
			log_error("target %s collides with another target's index entry", target);
			return -EEXIST;
		}
		if (streq(owner, id))
			return 0;
		r = srfs_share_exists(st, owner);
		if (r != 0)
			return r < 0 ? r : -EEXIST;
		/* No record: a share in progress (its lock is held: it writes its record
		 * next) or one a crash interrupted (a stale entry, taken over). */
		_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
		r = srfs_lock_try(&lock, st, SRFS_LOCK_SHARE, owner);
		if (r == -EWOULDBLOCK)
			return -EEXIST;
		if (r < 0)
			return r;
		r = srfs_share_exists(st, owner);
		if (r != 0)
			return r < 0 ? r : -EEXIST;
		unlinkat(dir, key, 0);
	}
	return log_errno(-EAGAIN, "cannot claim target %s", target);
}

void srfs_target_unclaim(struct srfs_state *st, const char *target, const char *id)
{
	char owner[SRFS_NAME_MAX + 1], key[17];
	int dir = srfs_state_run_dir(st, SRFS_TARGETS_DIR, false);
	if (dir < 0 || srfs_target_owner(st, target, owner, sizeof(owner)) <= 0 ||
	    !streq(owner, id))
		return;
	target_key(target, key);
	unlinkat(dir, key, 0);
}

