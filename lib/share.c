/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "context.h"
#include "crash.h"
#include "image.h"
#include "lock.h"
#include "log.h"
#include "record.h"
#include "share.h"
#include "run.h"
#include "util.h"

/* ---- records -------------------------------------------------------------------- */

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
	{ "context", false },
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

static int set_devno(struct srfs_record *rec, const char *key, dev_t dev)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%u:%u", major(dev), minor(dev));
	return srfs_record_set(rec, key, buf);
}

/* Loads DIR/NAME of the runtime directory; -ENOENT silently, corrupt records logged. */
static int load_runtime(const struct srfs_state *st, const char *dir, const char *name,
			const char *what, const struct srfs_record_key *keys, struct srfs_record *rec)
{
	int fd = srfs_state_run_dir(st, dir, false);
	char err[256];
	int r;

	if (fd < 0)
		return fd;
	r = srfs_record_load(fd, name, keys, rec, err, sizeof(err));
	if (r == -EBADMSG)
		log_error("runtime record of %s %s is corrupt: %s", what, name, err);
	else if (r < 0 && r != -ENOENT)
		log_errno(r, "cannot read the runtime record of %s %s", what, name);
	return r;
}

static int save_runtime(const struct srfs_state *st, const char *dir, const char *name,
			const char *what, const struct srfs_record *rec)
{
	int fd = srfs_state_run_dir(st, dir, true);
	int r = fd < 0 ? fd : srfs_record_save(fd, name, rec, 0);
	if (r < 0)
		return log_errno(r, "cannot write the runtime record of %s %s", what, name);
	return 0;
}

static int remove_runtime(const struct srfs_state *st, const char *dir, const char *name,
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

int srfs_active_image_load(const struct srfs_state *st, const char *name,
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

int srfs_active_image_save(const struct srfs_state *st, const struct srfs_active_image *a)
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

int srfs_active_image_forget(const struct srfs_state *st, const char *name)
{
	return remove_runtime(st, SRFS_RUN_IMAGES_DIR, name, "image");
}

void srfs_share_clear(struct srfs_share *s)
{
	free(s->target);
	free(s->upper);
	*s = (struct srfs_share){ 0 };
}

int srfs_share_load(const struct srfs_state *st, const char *id, struct srfs_share *s)
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
		log_error("runtime record of share %s is corrupt: a value is malformed", id);
		srfs_share_clear(s);
		return -EBADMSG;
	}
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->image, sizeof(s->image), "%s", image);
	snprintf(s->mode, sizeof(s->mode), "%s", mode);
	const char *upper = srfs_record_get(&rec, "upper");
	const char *upper_default = srfs_record_get(&rec, "upper_default");
	if (upper && (upper[0] != '/' || !(s->upper = strdup(upper)))) {
		log_error("runtime record of share %s is corrupt: a value is malformed", id);
		srfs_share_clear(s);
		return -EBADMSG;
	}
	s->upper_default = upper_default && streq(upper_default, "1");
	const char *context = srfs_record_get(&rec, "context");
	snprintf(s->context, sizeof(s->context), "%s", context ? context : "");
	return 0;
}

int srfs_share_save(const struct srfs_state *st, const struct srfs_share *s)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
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
	if (r == 0 && s->context[0])
		r = srfs_record_set(&rec, "context", s->context);
	if (r < 0)
		return log_errno(r, "cannot record share %s", s->id);
	return save_runtime(st, SRFS_SHARES_DIR, s->id, "share", &rec);
}

int srfs_share_for_each(const struct srfs_state *st, const char *image,
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
		if (q < 0) {
			r = q;
			break;
		}
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

int srfs_share_names(const struct srfs_state *st, const char *image, unsigned *count,
		     char *names, size_t size)
{
	struct names_acc acc = { 0, names, size };
	names[0] = '\0';
	int r = srfs_share_for_each(st, image, add_name, &acc);
	*count = acc.count;
	return r;
}

int srfs_share_forget(const struct srfs_state *st, const char *id)
{
	return remove_runtime(st, SRFS_SHARES_DIR, id, "share");
}

/* ---- targets ---------------------------------------------------------------------- */

static void target_key(const char *path, char key[17])
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(key, 17, "%016" PRIx64, h);
}

/*
 * PATH made absolute (from the working directory) with "//", "." and ".."
 * resolved by their names, which is where it leads when no component is a
 * symbolic link.  NULL when out of memory.
 */
static char *normalize_path(const char *path)
{
	_cleanup_free_ char *cwd = path[0] == '/' ? NULL : getcwd(NULL, 0);
	size_t n = (cwd ? strlen(cwd) : 0) + strlen(path) + 3;
	char *out = malloc(n), *o = out;
	if (!out || (path[0] != '/' && !cwd)) {
		free(out);
		return NULL;
	}
	*o = '\0';
	for (int part = 0; part < 2; part++) {
		const char *p = part == 0 ? (cwd ? cwd : "") : path;
		while (*p) {
			while (*p == '/')
				p++;
			size_t len = strcspn(p, "/");
			if (len == 0 || (len == 1 && p[0] == '.')) {
				/* nothing */
			} else if (len == 2 && p[0] == '.' && p[1] == '.') {
				char *slash = strrchr(out, '/');
				o = slash ? slash : out;
				*o = '\0';
			} else {
				*o++ = '/';
				memcpy(o, p, len);
				o += len;
				*o = '\0';
			}
			p += len;
		}
	}
	if (o == out)
		strcpy(out, "/");
	return out;
}

/*
 * Opens the directory PATH (O_PATH) walking it without any symbolic link:
 * openat2's RESOLVE_NO_SYMLINKS, or before Linux 5.6 O_NOFOLLOW on the last
 * component at least.  -1 and errno on failure.
 */
static int open_dir_nofollow(const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return (int)fd;
}

/*
 * Opens the directory PATH (a WHAT) reached without any symbolic link; its
 * absolute path.  A path that changed while it was opened (a component
 * renamed meanwhile) is refused: the path recorded must be the one opened.
 */
static int open_dir_no_symlinks(const char *what, const char *target, int *fd_out,
				char **path_out)
{
	char q[SRFS_QUOTE_MAX], proc[64], buf[4096];
	int fd = open_dir_nofollow(target);

	if (fd < 0) {
		int r = negative_errno();
		srfs_quote(q, sizeof(q), target);
		if (r == -ENOENT)
			log_error("%s %s does not exist", what, q);
		else if (r == -ENOTDIR)
			log_error("%s %s is not a directory", what, q);
		else if (r == -ELOOP)
			log_error("%s %s is or passes through a symbolic link", what, q);
		else
			log_errno(r, "cannot open %s %s", what, q);
		return r;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/') {
		int r = n < 0 ? negative_errno() : -EINVAL;
		close(fd);
		return log_errno(r, "cannot resolve %s %s", what,
				 srfs_quote(q, sizeof(q), target));
	}
	buf[n] = '\0';
	_cleanup_free_ char *want = normalize_path(target);
	if (want && !streq(want, buf)) {
		close(fd);
		log_error("%s %s changed while it was opened (%s now); try again", what,
			  srfs_quote(q, sizeof(q), target), buf);
		return -EAGAIN;
	}
	*path_out = strdup(buf);
	if (!*path_out) {
		close(fd);
		return log_errno(-ENOMEM, "cannot resolve %s", what);
	}
	*fd_out = fd;
	return 0;
}

int srfs_share_open_target(const char *target, int *fd_out, char **path_out)
{
	return open_dir_no_symlinks("target", target, fd_out, path_out);
}

/* The id recorded for TARGET in the index: 1 and ID, 0 when none. */
static int target_owner(const struct srfs_state *st, const char *target, char *id, size_t size)
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

/*
 * Claims TARGET for share ID: creates its index entry exclusively, so that
 * two shares cannot take one target at once.  An entry whose share record
 * is gone (a crash) is taken over.  -EEXIST with OWNER when another share has it.
 */
/* Is there a share record for ID? */
static bool has_share(const struct srfs_state *st, const char *id)
{
	struct stat s;
	int dir = srfs_state_run_dir(st, SRFS_SHARES_DIR, false);
	return dir >= 0 && fstatat(dir, id, &s, AT_SYMLINK_NOFOLLOW) == 0;
}

int srfs_share_claim_target(const struct srfs_state *st, const char *target, const char *id,
			char *owner, size_t owner_size)
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
		r = target_owner(st, target, owner, owner_size);
		if (r < 0)
			return r;
		if (r == 0) {
			log_error("target %s collides with another target's index entry", target);
			return -EEXIST;
		}
		if (streq(owner, id))
			return 0;
		if (has_share(st, owner))
			return -EEXIST;
		/* Its share is gone: a stale entry. */
		unlinkat(dir, key, 0);
	}
	return log_errno(-EAGAIN, "cannot claim target %s", target);
}

void srfs_share_unclaim_target(const struct srfs_state *st, const char *target, const char *id)
{
	char owner[SRFS_NAME_MAX + 1], key[17];
	int dir = srfs_state_run_dir(st, SRFS_TARGETS_DIR, false);
	if (dir < 0 || target_owner(st, target, owner, sizeof(owner)) <= 0 ||
	    !streq(owner, id))
		return;
	target_key(target, key);
	unlinkat(dir, key, 0);
}

/* ---- the bind ---------------------------------------------------------------------- */

#define OVERLAYFS_MAGIC 0x794c7630

/*
 * Is NAME in the directory DIRFD ("" for DIRFD itself) the root of the mount
 * share S made?  1, 0, -ENOTDIR when it is not a directory (or is a symbolic
 * link), -errno.
 */
static int is_mounted_at(int dirfd, const char *name, const struct srfs_share *s)
{
	if (!streq(s->mode, SRFS_MODE_OVERLAY))
		return srfs_is_mount_of(dirfd, name, s->dev);
	struct statfs fs;
	_cleanup_close_ int own = -1;
	int fd = dirfd;
	if (*name) {
		fd = own = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return errno == ELOOP ? -ENOTDIR : negative_errno();
	}
	int r = srfs_is_mount_root(fd);
	if (r <= 0)
		return r;
	if (fstatfs(fd, &fs) < 0)
		return negative_errno();
	return fs.f_type == OVERLAYFS_MAGIC;
}

int srfs_share_is_mounted(int fd, const struct srfs_share *s)
{
	return is_mounted_at(fd, "", s);
}

/* Detaches the attached mount FD refers to (itself, whatever path now leads there). */
static void detach_mount_fd(int fd)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	umount2(proc, MNT_DETACH);
}

/* Does TARGET, walked without symbolic links, lead to the root of the mount FD?  1, 0, -errno. */
static int path_leads_to(const char *target, int fd)
{
	struct statx a, b;
	int tfd = open_dir_nofollow(target);
	if (tfd < 0)
		return 0;
	int r = statx(tfd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &a) < 0 ||
				statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &b) < 0
			? negative_errno()
			: !(a.stx_mask & STATX_MNT_ID) ||
				  (a.stx_mnt_id == b.stx_mnt_id && a.stx_ino == b.stx_ino);
	close(tfd);
	return r;
}

/*
 * Attaches the detached mount MNT (which it closes) at TARGET_FD.  Attached
 * under a shared mount, the kernel makes the new mount shared too (and
 * copies it to that mount's peers): it is made private again, so that
 * nothing mounted on those copies comes back into this one.
 */
int srfs_share_attach(int mnt, int target_fd, const char *target)
{
	_cleanup_close_ int fd = mnt;
	struct mount_attr priv = { .propagation = MS_PRIVATE };
	int r;

	if (move_mount(fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_errno(negative_errno(), "cannot mount the share at %s", target);
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &priv, sizeof(priv)) < 0) {
		r = log_errno(negative_errno(), "cannot make the share at %s private", target);
		detach_mount_fd(fd);
		return r;
	}
	/* The directory was opened once, but its path must still lead to it: a component
	 * renamed in between would leave a share that cannot be found by its path. */
	r = path_leads_to(target, fd);
	if (r <= 0) {
		detach_mount_fd(fd);
		if (r == 0)
			log_error("target %s changed while it was mounted (a directory on its path "
				  "was renamed); nothing is mounted, try again",
				  target);
		else
			log_errno(r, "cannot check the share at %s", target);
		return r < 0 ? r : -EAGAIN;
	}
	return 0;
}

/*
 * Binds the mount SOURCE onto the directory TARGET_FD read-only, nosuid,
 * nodev and private from the first instant: a detached copy of the mount
 * gets its attributes before it is attached.  Kernels without the new mount
 * API get the old way (bind, then remount read-only).
 */
static int bind_read_only(const char *source, int target_fd, const char *target)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		.propagation = MS_PRIVATE,
	};
	_cleanup_close_ int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (tree >= 0) {
		if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
			return log_errno(negative_errno(), "cannot make the share at %s read-only",
					 target);
		return srfs_share_attach(TAKE_FD(tree), target_fd, target);
	}
	if (errno != ENOSYS)
		return log_errno(negative_errno(), "cannot copy the image mount %s", source);

	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", target_fd);
	if (mount(source, proc, "none", MS_BIND, NULL) < 0)
		return log_errno(negative_errno(), "cannot mount the share at %s", target);
	if (mount("none", target, "none", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  NULL) < 0 ||
	    mount("none", target, "none", MS_PRIVATE, NULL) < 0) {
		int r = log_errno(negative_errno(), "cannot make the share at %s read-only", target);
		umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW);
		return r;
	}
	return 0;
}

/* ---- rootfs-share ------------------------------------------------------------------ */

/* Is the image's mount (per its record) really there?  The record alone may be stale. */
static bool image_mounted(const struct srfs_active_image *a)
{
	return srfs_is_mount_of(AT_FDCWD, a->mount, a->dev) == 1;
}

/* Does the active image carry the label LABEL ("" for none)?  Says why not. */
static int check_label(const struct srfs_active_image *a, const char *label)
{
	if (streq(a->context, label))
		return 0;
	log_error("image %s is active with %s%s%s, not %s%s%s (deactivate it to relabel it)",
		  a->name, a->context[0] ? "label '" : "no label", a->context,
		  a->context[0] ? "'" : "", label[0] ? "'" : "no label", label,
		  label[0] ? "'" : "");
	return -EINVAL;
}

/*
 * Takes IMAGE's lock shared with the image active (activating it if need
 * be), labeled LABEL when LABEL is not NULL.
 */
static int hold_active_image(const struct srfs_state *st, const char *image, const char *label,
			     struct srfs_lock *lock, struct srfs_active_image *active)
{
	int r = srfs_lock_take(lock, st, SRFS_LOCK_IMAGE, image, true);
	if (r < 0)
		return r;
	r = srfs_active_image_load(st, image, active);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && image_mounted(active))
		return label ? check_label(active, label) : 0;
	/* Not active (or its mount is gone): image-activate does it, or says why not. */
	srfs_lock_release(lock);
	const char *args[] = { "--quiet", image, NULL, NULL, NULL };
	if (label && *label) {
		args[1] = "--context";
		args[2] = label;
		args[3] = image;
	}
	r = srfs_run_tool("image-activate", args);
	if (r < 0)
		return r;
	r = srfs_lock_take(lock, st, SRFS_LOCK_IMAGE, image, true);
	if (r == 0)
		r = srfs_active_image_load(st, image, active);
	if (r == -ENOENT || (r == 0 && !image_mounted(active))) {
		log_error("image %s was deactivated again before it could be shared", image);
		return -ESTALE;
	}
	return r == 0 && label ? check_label(active, label) : r;
}

/* The label asked for, canonical ("" when SELinux is disabled), or NULL for any. */
static int wanted_label(const char *context, char *label, size_t size, const char **out)
{
	*out = NULL;
	if (!context)
		return 0;
	label[0] = '\0';
	*out = label;
	if (!srfs_context_enabled()) {
		log_verbose("SELinux is disabled: label %s is not used", context);
		*out = NULL;
		return 0;
	}
	int r = srfs_context_canonical(context, label, size);
	if (r == -EINVAL)
		log_error("SELinux label '%s' is not valid in the loaded policy", context);
	else if (r < 0)
		log_errno(r, "cannot check SELinux label '%s'", context);
	return r;
}

/* ---- overlay mode ------------------------------------------------------------------- */

/* The upper directory of an overlay share: DIR/upper and DIR/work. */
static int upper_path(const struct srfs_state *st, const char *id, const char *upper_dir,
		      char **path, bool *is_default)
{
	*is_default = !upper_dir;
	if (upper_dir) {
		_cleanup_close_ int fd = -1;
		return open_dir_no_symlinks("upper directory", upper_dir, &fd, path);
	}
	int r = srfs_state_run_dir(st, SRFS_UPPER_DIR, true);
	if (r < 0)
		return r;
	_cleanup_free_ char *base = srfs_path_join(st->run_path, SRFS_UPPER_DIR);
	*path = base ? srfs_path_join(base, id) : NULL;
	return *path ? 0 : log_errno(-ENOMEM, "cannot make the upper directory of %s", id);
}

/*
 * Makes DIR/upper (with the owner, mode and times of the image's root, which
 * the overlay's root shows) and DIR/work, keeping an upper/ that is there.
 */
static int upper_prepare(const char *dir, const char *image_root)
{
	_cleanup_close_ int fd = -1, up = -1;
	struct stat root;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return log_errno(negative_errno(), "cannot create %s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return log_errno(negative_errno(), "cannot open %s", dir);
	if (stat(image_root, &root) < 0)
		return log_errno(negative_errno(), "cannot stat %s", image_root);
	if (mkdirat(fd, "upper", 0755) == 0) {
		up = openat(fd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct timespec times[2] = { root.st_atim, root.st_mtim };
		if (up < 0 || fchown(up, root.st_uid, root.st_gid) < 0 ||
		    fchmod(up, root.st_mode & 07777) < 0 || futimens(up, times) < 0)
			return log_errno(negative_errno(), "cannot prepare %s/upper", dir);
	} else if (errno != EEXIST) {
		return log_errno(negative_errno(), "cannot create %s/upper", dir);
	}
	/* work/ must be empty: a fresh one each time. */
	int r = srfs_remove_tree(fd, "work");
	if (r == 0 && mkdirat(fd, "work", 0700) < 0)
		r = negative_errno();
	if (r < 0)
		return log_errno(r, "cannot create %s/work", dir);
	return 0;
}

/* Removes DIR/upper and DIR/work (all of DIR when it is the default one); KEEP: only work/. */
static int upper_remove(const char *dir, bool is_default, bool keep)
{
	_cleanup_free_ char *parent = strdup(dir);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	int r;

	if (!slash)
		return log_errno(-ENOMEM, "cannot remove %s", dir);
	*slash = '\0';
	_cleanup_close_ int pfd = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : log_errno(negative_errno(), "cannot open %s", dir);
	r = srfs_remove_tree(fd, "work");
	if (r == 0 && !keep)
		r = is_default && pfd >= 0 ? srfs_remove_tree(pfd, slash + 1)
					   : srfs_remove_tree(fd, "upper");
	if (r < 0)
		return log_errno(r, "cannot remove the upper directory %s", dir);
	return 0;
}

/* Mounts an overlay of LOWER (the image's mount) at TARGET_FD: nosuid, nodev, private. */
static int overlay_mount(const char *lower, const char *dir, const char *label, int target_fd,
			 const char *target)
{
	_cleanup_free_ char *upper = srfs_path_join(dir, "upper");
	_cleanup_free_ char *work = srfs_path_join(dir, "work");
	_cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	_cleanup_close_ int mnt = -1;

	if (!upper || !work)
		return log_errno(-ENOMEM, "cannot mount an overlay at %s", target);
	if (strpbrk(lower, ",:") || strpbrk(upper, ",:")) {
		log_error("cannot mount an overlay at %s: its directories contain ',' or ':'", target);
		return -EINVAL;
	}
	if (fs < 0)
		return log_errno(negative_errno(), "cannot mount an overlay at %s", target);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
	    /* The image's label, so the container sees one label whatever it writes. */
	    (*label && fsconfig(fs, FSCONFIG_SET_STRING, "context", label, 0) < 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return log_errno(negative_errno(), "cannot mount an overlay at %s (upper %s)",
				 target, upper);
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return log_errno(negative_errno(), "cannot mount an overlay at %s", target);
	return srfs_share_attach(mnt, target_fd, target);
}

/* ---- rootfs-share ------------------------------------------------------------------ */

int srfs_share_create(const char *image, const char *id, const char *target,
		      const struct srfs_share_options *o)
{
	return srfs_share_create_in(NULL, image, id, target, o);
}

int srfs_share_create_in(const struct srfs_state *st_arg, const char *image, const char *id,
			 const char *target_arg, const struct srfs_share_options *o)
{
	_cleanup_state_ struct srfs_state own = SRFS_STATE_INIT;
	const struct srfs_state *st = st_arg ? st_arg : &own;
	_cleanup_lock_ struct srfs_lock image_lock = SRFS_LOCK_INIT;
	_cleanup_lock_ struct srfs_lock share_lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_active_image_clear) struct srfs_active_image active = { 0 };
	_cleanup_(srfs_share_clear) struct srfs_share old = { 0 };
	_cleanup_free_ char *target = NULL, *upper = NULL;
	_cleanup_close_ int target_fd = -1;
	const char *mode = o && o->mode ? o->mode : SRFS_MODE_RO;
	bool overlay = streq(mode, SRFS_MODE_OVERLAY), upper_default = false;
	char owner[SRFS_NAME_MAX + 1];
	int r;

	/* A snapshot needs device-mapper: its own program does it. */
	if (streq(mode, SRFS_MODE_SNAPSHOT)) {
		const char *args[] = { "share", image, id, target_arg, NULL };
		return srfs_run_tool(SRFS_SNAPSHOT_HELPER, args);
	}

	char label_buf[SRFS_CONTEXT_MAX];
	const char *label;
	r = wanted_label(o ? o->context : NULL, label_buf, sizeof(label_buf), &label);
	if (r < 0)
		return r;
	r = srfs_share_open_target(target_arg, &target_fd, &target);
	if (r < 0)
		return r;
	/* Only the runtime directory: the catalog is image-activate's business. */
	if (!st_arg && (r = srfs_state_open(&own, SRFS_STATE_RUN | SRFS_STATE_CREATE)) < 0)
		return r;
	r = hold_active_image(st, image, label, &image_lock, &active);
	if (r < 0)
		return r;
	r = srfs_lock_take(&share_lock, st, SRFS_LOCK_SHARE, id, false);
	if (r < 0)
		return r;

	r = srfs_share_load(st, id, &old);
	if (r == 0 && (!streq(old.target, target) || !streq(old.image, image))) {
		log_error("container %s already shares image %s at %s", id, old.image, old.target);
		return -EEXIST;
	}
	if (r == 0 && !streq(old.mode, mode)) {
		log_error("container %s already shares image %s at %s in mode %s", id, old.image,
			  old.target, old.mode);
		return -EEXIST;
	}
	if (r < 0 && r != -ENOENT)
		return r;
	bool again = r == 0;

	if (again) {
		r = srfs_share_is_mounted(target_fd, &old);
		if (r < 0)
			return log_errno(r, "cannot inspect target %s", target);
		if (r == 1) {
			log_verbose("container %s already shares image %s at %s", id, image, target);
			return 0;
		}
	}
	if (srfs_is_mount_root(target_fd) == 1) {
		if (target_owner(st, target, owner, sizeof(owner)) == 1 && !streq(owner, id))
			log_error("target %s is already mounted: it is the share of container %s",
				  target, owner);
		else
			log_error("target %s is already a mount point", target);
		return -EBUSY;
	}
	if (overlay) {
		r = again && old.upper ? ((upper = strdup(old.upper)) ? 0 : -ENOMEM)
				       : upper_path(st, id, o->upper_dir, &upper, &upper_default);
		if (again && old.upper)
			upper_default = old.upper_default;
		if (r < 0)
			return r;
	}
	r = srfs_share_claim_target(st, target, id, owner, sizeof(owner));
	if (r == -EEXIST && owner[0])
		log_error("target %s is already the target of container %s", target, owner);
	if (r < 0)
		return r;

	/* The record first: a crash after it leaves a record that release can clear. */
	struct srfs_share s = { .target = target, .dev = active.dev,
				.since = (uint64_t)time(NULL), .upper = upper,
				.upper_default = upper_default };
	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.image, sizeof(s.image), "%s", image);
	snprintf(s.mode, sizeof(s.mode), "%s", mode);
	snprintf(s.context, sizeof(s.context), "%s", active.context);
	r = srfs_share_save(st, &s);
	if (r < 0)
		goto fail;
	srfs_crash_point("rootfs-share:record");
	if (overlay) {
		r = upper_prepare(upper, active.mount);
		if (r == 0)
			r = overlay_mount(active.mount, upper, active.context, target_fd, target);
	} else {
		r = bind_read_only(active.mount, target_fd, target);
	}
	if (r < 0)
		goto fail;
	srfs_crash_point("rootfs-share:mount");
	log_verbose("container %s shares image %s at %s (%s)", id, image, target, mode);
	return 0;
fail:
	if (!again) {
		if (overlay)
			upper_remove(upper, upper_default, !upper_default);
		remove_runtime(st, SRFS_SHARES_DIR, id, "share");
		srfs_share_unclaim_target(st, target, id);
	}
	return r;
}

/* ---- rootfs-release ---------------------------------------------------------------- */

/*
 * The directory holding share S's target, opened without following any
 * symbolic link, and the target's name in it; whether the share's mount is
 * there.  1 mounted, 0 not (the target or a parent is gone), -ELOOP (logged)
 * when a symbolic link or something other than a directory is in the way now:
 * the share is left as it is rather than looked for elsewhere.
 */
static int share_parent(const struct srfs_share *s, int *parent_fd, const char **name)
{
	_cleanup_free_ char *parent = strdup(s->target);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	_cleanup_close_ int pfd = -1;

	if (!slash)
		return log_errno(-ENOMEM, "cannot inspect target %s", s->target);
	*slash = '\0';
	*name = s->target + (slash - parent) + 1;
	pfd = open_dir_nofollow(*parent ? parent : "/");
	int r = pfd < 0 ? negative_errno() : is_mounted_at(pfd, *name, s);
	if (r == -ENOENT)
		return 0;
	if (r == -ELOOP || r == -ENOTDIR) {
		log_error("target %s of container %s is now, or passes through, a symbolic link "
			  "or a file: the share is left as it is",
			  s->target, s->id);
		r = -ELOOP;
	} else if (r < 0) {
		log_errno(r, "cannot inspect target %s of container %s", s->target, s->id);
	}
	if (r < 0)
		return r;
	*parent_fd = TAKE_FD(pfd);
	return r;
}

int srfs_share_mounted(const struct srfs_share *s)
{
	_cleanup_close_ int parent = -1;
	const char *name;
	return share_parent(s, &parent, &name);
}

int srfs_share_unmount(const struct srfs_share *s, bool lazy)
{
	_cleanup_close_ int parent = -1;
	char path[64 + NAME_MAX + 1];
	const char *name;

	/* (The target is not kept open: an open descriptor of it would keep it busy.) */
	int r = share_parent(s, &parent, &name);
	if (r < 0)
		return r;
	if (r == 0) {
		log_verbose("share %s was no longer mounted at %s", s->id, s->target);
		return 0;
	}
	/* Unmounted through the opened parent: a path resolved again could lead elsewhere. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", parent, name);
	r = umount2(path, UMOUNT_NOFOLLOW | (lazy ? MNT_DETACH : 0)) < 0 ? negative_errno() : 0;
	if (r == -EBUSY)
		log_error("target %s of container %s is busy (something runs in it; use "
			  "--lazy to detach it anyway)",
			  s->target, s->id);
	else if (r < 0)
		log_errno(r, "cannot unmount %s", s->target);
	if (r < 0)
		return r;
	srfs_crash_point("rootfs-release:unmount");
	return 0;
}

/* The share of TARGET: its id into ID. */
static int find_by_target(const struct srfs_state *st, const char *target_arg, char *id,
			  size_t size)
{
	_cleanup_free_ char *target = NULL;
	_cleanup_close_ int fd = -1;
	char q[SRFS_QUOTE_MAX];
	int r;

	/* The index knows the canonical path; a target that is gone is taken as given. */
	if (srfs_share_open_target(target_arg, &fd, &target) < 0) {
		if (target_arg[0] != '/')
			return -ENOENT;
		target = strdup(target_arg);
		if (!target)
			return -ENOMEM;
	}
	r = target_owner(st, target, id, size);
	if (r == 0) {
		log_error("no share at %s", srfs_quote(q, sizeof(q), target_arg));
		return -ENOENT;
	}
	return r < 0 ? r : 0;
}

/* Unmounts share S (a read-only or overlay one) and removes what it made; its lock is held. */
static int release_locked(const struct srfs_state *st, const struct srfs_share *s, bool lazy,
			  bool keep_upper)
{
	int r = srfs_share_unmount(s, lazy);
	if (r < 0)
		return r;
	if (s->upper && (r = upper_remove(s->upper, s->upper_default, keep_upper)) < 0)
		return r;
	srfs_share_unclaim_target(st, s->target, s->id);
	return remove_runtime(st, SRFS_SHARES_DIR, s->id, "share");
}

int srfs_share_release(const char *id, const char *target, const struct srfs_release_options *o)
{
	return srfs_share_release_in(NULL, id, target, o);
}

int srfs_share_release_in(const struct srfs_state *st_arg, const char *id_arg,
			  const char *target_arg, const struct srfs_release_options *o)
{
	_cleanup_state_ struct srfs_state own = SRFS_STATE_INIT;
	const struct srfs_state *st = st_arg ? st_arg : &own;
	_cleanup_lock_ struct srfs_lock share_lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_share_clear) struct srfs_share s = { 0 };
	char id[SRFS_NAME_MAX + 1];
	int r;

	r = st_arg ? 0 : srfs_state_open(&own, SRFS_STATE_RUN);
	if (r == -ENOENT) {
		if (o->ignore_missing)
			return 0;
		log_error("no share %s: nothing is shared", id_arg ? id_arg : target_arg);
		return r;
	}
	if (r < 0)
		return r;
	if (id_arg)
		snprintf(id, sizeof(id), "%s", id_arg);
	else if ((r = find_by_target(st, target_arg, id, sizeof(id))) < 0)
		return r == -ENOENT && o->ignore_missing ? 0 : r;

	r = srfs_lock_take(&share_lock, st, SRFS_LOCK_SHARE, id, false);
	if (r < 0)
		return r;
	r = srfs_share_load(st, id, &s);
	if (r == -ENOENT) {
		if (o->ignore_missing)
			return 0;
		log_error("unknown share %s", id);
		return r;
	}
	if (r < 0)
		return r;
	if (streq(s.mode, SRFS_MODE_SNAPSHOT)) {
		srfs_lock_release(&share_lock);
		const char *args[] = { "release", id, o->lazy ? "--lazy" : NULL, NULL };
		return srfs_run_tool(SRFS_SNAPSHOT_HELPER, args);
	}

	r = release_locked(st, &s, o->lazy, o->keep_upper);
	if (r < 0)
		return r;
	log_verbose("container %s released image %s", id, s.image);
	srfs_lock_release(&share_lock);

	if (o->deactivate) {
		const char *args[] = { "--quiet", "--if-unused", s.image, NULL };
		return srfs_run_tool("image-deactivate", args);
	}
	return 0;
}

/* ---- shared-rootfs-recover --------------------------------------------------------- */

int srfs_share_recover(const struct srfs_state *st, const char *id)
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
	if (r < 0)
		return r;
	int mounted = srfs_share_mounted(&s);
	if (mounted < 0)
		return mounted;
	if (mounted) {
		/* It works: only its target index entry may be missing. */
		r = srfs_share_claim_target(st, s.target, id, owner, sizeof(owner));
		return r < 0 ? r : SRFS_RECOVER_KEPT;
	}
	if (streq(s.mode, SRFS_MODE_SNAPSHOT))
		return SRFS_RECOVER_SNAPSHOT;
	/* Not mounted: a share or a release that did not finish.  What it wrote is kept
	 * when it is in a directory of the caller's choosing. */
	r = release_locked(st, &s, false, !s.upper_default);
	if (r < 0)
		return r;
	log_info("container %s: its share of image %s at %s was not mounted; record removed", id,
		 s.image, s.target);
	return SRFS_RECOVER_CLEARED;
}

/* Removes the target index entry KEY when the share it names is gone. */
static int recover_target(const struct srfs_state *st, int dir, const char *key)
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
		if (has_share(st, id))
			return 0;
	}
	if (unlinkat(dir, key, 0) < 0 && errno != ENOENT)
		return log_errno(negative_errno(), "cannot remove target index entry %s", key);
	log_info("removed the target index entry of %s: no share owns it",
		 id ? srfs_record_get(&rec, "target") : key);
	return 0;
}

/* Removes <rundir>/upper/ID when container ID has no share. */
static int recover_upper(const struct srfs_state *st, int dir, const char *id)
{
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	int r = srfs_lock_take(&lock, st, SRFS_LOCK_SHARE, id, false);
	if (r < 0 || has_share(st, id))
		return r;
	r = srfs_remove_tree(dir, id);
	if (r < 0)
		return log_errno(r, "cannot remove %s/%s/%s", st->run_path, SRFS_UPPER_DIR, id);
	log_info("removed the upper directory of container %s: it has no share", id);
	return 0;
}

int srfs_share_recover_orphans(const struct srfs_state *st)
{
	static const char *const dirs[] = { SRFS_TARGETS_DIR, SRFS_UPPER_DIR };
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
			r = i == 0 ? recover_target(st, dir, *n) : recover_upper(st, dir, *n);
			if (r < 0)
				ret = r;
		}
		srfs_names_free(names);
	}
	return ret;
}
