/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The share path: rootfs-share and rootfs-release, whatever the mode.  What
 * differs between modes is in their table (share-mode.h).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "bundle-dir.h"
#include "context.h"
#include "crash.h"
#include "idmap.h"
#include "lock.h"
#include "log.h"
#include "mountapi.h"
#include "path.h"
#include "run.h"
#include "share-mode.h"
#include "share.h"
#include "util.h"

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
static int hold_active_image(struct srfs_state *st, const char *image, const char *label,
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

/*
 * The record that an earlier share of container ID left, if any: 1 when it
 * is this very share (the same image, target and mode), 0 when there is none,
 * -EEXIST (logged) when it is another one.
 */
static int earlier_share(struct srfs_state *st, const char *id, const char *image,
			 const char *target, const char *mode, const char *idmap,
			 struct srfs_share *old)
{
	int r = srfs_share_load(st, id, old);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!streq(old->target, target) || !streq(old->image, image)) {
		log_error("container %s already shares image %s at %s", id, old->image, old->target);
		return -EEXIST;
	}
	if (!streq(old->mode, mode)) {
		log_error("container %s already shares image %s at %s in mode %s", id, old->image,
			  old->target, old->mode);
		return -EEXIST;
	}
	return srfs_share_check_idmap(old, idmap) < 0 ? -EEXIST : 1;
}

int srfs_share_check_idmap(const struct srfs_share *old, const char *idmap)
{
	const char *had = old->idmap ? old->idmap : "";
	if (streq(had, idmap ? idmap : ""))
		return 0;
	if (*had)
		log_error("container %s already shares image %s at %s with idmap '%s'", old->id,
			  old->image, old->target, had);
	else
		log_error("container %s already shares image %s at %s without an idmap", old->id,
			  old->image, old->target);
	return -EEXIST;
}

/* Is PATH (absolute, normalized) DIR or below it? */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 1);
}

int srfs_share_check_target(struct srfs_state *st, int target_fd, const char *target,
			    const char *id, const struct srfs_active_image *active)
{
	char owner[SRFS_NAME_MAX + 1];
	struct statx stx;
	struct statfs fs;

	if (statx(target_fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0 ||
	    fstatfs(target_fd, &fs) < 0)
		return log_errno(negative_errno(), "cannot inspect target %s", target);
	if (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC) {
		log_error("target %s is in /proc or /sys", target);
		return -EINVAL;
	}
	if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) {
		if (srfs_target_owner(st, target, owner, sizeof(owner)) == 1 && !streq(owner, id))
			log_error("target %s is already mounted: it is the share of container %s",
				  target, owner);
		else
			log_error("target %s is already a mount point", target);
		return -EBUSY;
	}
	const char *real_run = srfs_state_run_real_path(st);
	_cleanup_free_ char *catalog = srfs_state_catalog_path();
	if ((real_run && path_within(target, real_run)) || path_within(target, st->run_path) ||
	    (catalog && path_within(target, catalog))) {
		log_error("target %s is inside a state directory of shared-rootfs", target);
		return -EINVAL;
	}
	if (active && makedev(stx.stx_dev_major, stx.stx_dev_minor) == active->dev) {
		log_error("target %s is on image %s's own file system (its mount or a share of it)",
			  target, active->name);
		return -EINVAL;
	}
	return 0;
}

/*
 * Is NAME in DIRFD ("" for DIRFD) the root of share S's mount?  By its mount
 * id when the record has one, else as its mode recognises it.  1, 0, -errno.
 */
static int share_mounted_at(int dirfd, const char *name, const struct srfs_share *s,
			    const struct srfs_share_mode_ops *ops)
{
	return s->mount.id ? srfs_mount_is(dirfd, name, &s->mount)
			   : ops->is_mounted(dirfd, name, s);
}

/* Runs the program of a mode that is done out of process. */
static int run_mode_helper(const struct srfs_share_mode_ops *ops, const char *const *args)
{
	return srfs_run_tool(ops->helper, args);
}

/* "PROGRAM share IMAGE ID TARGET [--idmap MAP] [--bundle DIR]" for a mode done out of process. */
static int run_share_helper(const struct srfs_share_mode_ops *ops, const char *image,
			    const char *id, const char *target, const struct srfs_share_options *o)
{
	const char *args[9] = { "share", image, id, target };
	size_t n = 4;
	if (o->idmap) {
		args[n++] = "--idmap";
		args[n++] = o->idmap;
	}
	if (o->bundle) {
		args[n++] = "--bundle";
		args[n++] = o->bundle;
	}
	args[n] = NULL;
	return run_mode_helper(ops, args);
}

/* Enters the mount namespace NS (a descriptor). */
static int enter_namespace(int ns)
{
	int r = srfs_mntns_enter(ns);
	if (r < 0)
		return log_errno(r, "cannot enter the target's mount namespace");
	return 0;
}

/*
 * Makes the share's mount and attaches it at the target: in the target's
 * mount namespace when it has one, entered for that alone.
 */
static int mount_share(struct srfs_share_op *op, const struct srfs_share_mode_ops *ops)
{
	struct srfs_share *s = op->share;
	int mnt = ops->make_mount(op);

	if (mnt == -ENOSYS && ops->mount_classic && op->target_mntns < 0)
		return ops->mount_classic(op);
	if (mnt == -ENOSYS) {
		log_error("cannot share at %s: this kernel has no open_tree (Linux 5.2 or later is "
			  "needed)",
			  s->target);
		return mnt;
	}
	if (mnt < 0)
		return mnt;
	if (op->target_mntns < 0)
		return srfs_mount_attach(mnt, op->target_fd, s->target, &s->mount);
	int r = enter_namespace(op->target_mntns);
	if (r < 0) {
		close(mnt);
		return r;
	}
	r = srfs_mount_attach(mnt, op->target_fd, s->target, &s->mount);
	int q = enter_namespace(op->own_mntns);
	if (q < 0)
		/* Not back where the records are: nothing more can be done safely. */
		abort();
	return r;
}

/*
 * Opens TARGET in the mount namespace NS (a descriptor; 0 or less: here) and
 * gives the descriptor of this one (-1 when NS is), and NS's inode.
 */
static int open_target(const char *target, int ns, int *target_fd, char **path, int *own_ns,
		       uint64_t *ns_ino)
{
	struct stat st;
	*own_ns = -1;
	*ns_ino = 0;
	if (ns <= 0)
		return srfs_path_open_dir_checked("target", target, target_fd, path);
	*own_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (*own_ns < 0 || fstat(ns, &st) < 0)
		return log_errno(negative_errno(), "cannot open the mount namespaces");
	*ns_ino = st.st_ino;
	int r = enter_namespace(ns);
	if (r < 0)
		return r;
	/* (No /proc there to compare with: the check after attaching catches a rename.) */
	r = srfs_path_open_dir_as("target", target, false, target_fd, path);
	if (enter_namespace(*own_ns) < 0)
		abort();
	return r;
}

/* Makes share S (its lock and its image's lock held); OLD is what an interrupted one left. */
static int make_share(struct srfs_share_op *op, const struct srfs_share_mode_ops *ops)
{
	struct srfs_share *s = op->share;
	char owner[SRFS_NAME_MAX + 1];
	int r;

	if (ops->prepare && (r = ops->prepare(op)) < 0)
		return r;
	r = srfs_target_claim(op->st, s->target, s->id, owner, sizeof(owner));
	if (r == -EEXIST && owner[0])
		log_error("target %s is already the target of container %s", s->target, owner);
	if (r < 0)
		return r;
	srfs_crash_point("rootfs-share:claim");
	/* The record first: a crash after it leaves a record that release can clear. */
	r = srfs_share_save(op->st, s);
	if (r < 0)
		goto fail;
	srfs_crash_point("rootfs-share:record");
	r = mount_share(op, ops);
	if (r < 0)
		goto fail;
	srfs_crash_point("rootfs-share:mount");
	/* The mount's id, by which release finds it wherever its path leads; should
	 * this fail (logged), release finds the share by its path as before. */
	(void)srfs_share_save(op->st, s);
	return 0;
fail:
	if (!op->old) {
		if (ops->cleanup)
			ops->cleanup(op->st, s, SRFS_CLEANUP_UNDO);
		srfs_share_forget(op->st, s->id);
		srfs_target_unclaim(op->st, s->target, s->id);
	}
	return r;
}

int srfs_share_create(struct srfs_state *st_arg, const char *image, const char *id,
		      const char *target_arg, const struct srfs_share_options *o)
{
	static const struct srfs_share_options defaults = { .mode = SRFS_SHARE_RO };
	_cleanup_state_ struct srfs_state own = SRFS_STATE_INIT;
	struct srfs_state *st = st_arg ? st_arg : &own;
	_cleanup_lock_ struct srfs_lock image_lock = SRFS_LOCK_INIT;
	_cleanup_lock_ struct srfs_lock share_lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_active_image_clear) struct srfs_active_image active = { 0 };
	_cleanup_(srfs_share_clear) struct srfs_share old = { 0 };
	_cleanup_(srfs_share_clear) struct srfs_share s = { 0 };
	_cleanup_close_ int target_fd = -1, own_ns = -1, userns = -1;
	int r;

	if (!o)
		o = &defaults;
	const struct srfs_share_mode_ops *ops = srfs_share_mode_ops(o->mode);
	if (!ops) {
		log_error("cannot share image %s: unknown share mode %d", image, (int)o->mode);
		return -EINVAL;
	}
	if (ops->helper)
		return run_share_helper(ops, image, id, target_arg, o);

	char label_buf[SRFS_CONTEXT_MAX];
	const char *label;
	r = wanted_label(o->context, label_buf, sizeof(label_buf), &label);
	if (r < 0)
		return r;
	if (o->idmap && (r = srfs_idmap_userns(o->idmap, &userns, &s.idmap)) < 0)
		return r;
	if (o->bundle && !(s.bundle = strdup(o->bundle)))
		return log_errno(-ENOMEM, "cannot share image %s", image);
	r = open_target(target_arg, o->target_mntns, &target_fd, &s.target, &own_ns, &s.mntns);
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
	r = earlier_share(st, id, image, s.target, ops->name, s.idmap, &old);
	if (r < 0)
		return r;
	if (r == 1) {
		r = share_mounted_at(target_fd, "", &old, ops);
		if (r < 0)
			return log_errno(r, "cannot inspect target %s", s.target);
		if (r == 1) {
			log_verbose("container %s already shares image %s at %s", id, image,
				    s.target);
			return 0;
		}
	}
	r = srfs_share_check_target(st, target_fd, s.target, id, &active);
	if (r < 0)
		return r;

	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.image, sizeof(s.image), "%s", image);
	snprintf(s.mode, sizeof(s.mode), "%s", ops->name);
	snprintf(s.context, sizeof(s.context), "%s", active.context);
	s.dev = active.dev;
	s.since = (uint64_t)time(NULL);
	struct srfs_share_op op = { .st = st, .o = o, .active = &active,
				    .old = old.target ? &old : NULL, .share = &s,
				    .target_fd = target_fd, .mode_fd = -1, .userns = userns,
				    .target_mntns = o->target_mntns > 0 ? o->target_mntns : -1,
				    .own_mntns = own_ns };
	r = make_share(&op, ops);
	closep(&op.mode_fd);
	if (r < 0)
		return r;
	log_verbose("container %s shares image %s at %s (%s%s%s)", id, image, s.target, ops->name,
		    s.idmap ? ", idmap " : "", s.idmap ? s.idmap : "");
	return 0;
}

/* ---- rootfs-release ---------------------------------------------------------------- */

/* Where a share's mount is. */
enum share_place {
	SHARE_GONE,      /* not mounted (in this mount namespace) */
	SHARE_AT_TARGET, /* at its target, reached without symbolic links */
	SHARE_ELSEWHERE, /* mounted, but its target's path does not lead to it now */
	SHARE_OTHER_NS,  /* in another mount namespace: not to be judged from here */
};

/* Is share S in another mount namespace than the one this process is in now? */
static bool in_other_namespace(const struct srfs_share *s)
{
	return s->mntns && s->mntns != srfs_mntns_current();
}

/*
 * Opens the directory holding PATH without following any symbolic link, and
 * gives PATH's last component.  -ELOOP or -ENOTDIR when a symbolic link or a
 * file is in the way, -ENOENT, -errno (none logged).
 */
static int open_parent(const char *path, int *parent_fd, const char **name)
{
	_cleanup_free_ char *parent = strdup(path);
	char *slash = parent ? strrchr(parent, '/') : NULL;

	if (!slash)
		return -ENOMEM;
	*slash = '\0';
	*name = path + (slash - parent) + 1;
	*parent_fd = srfs_path_open_dir(*parent ? parent : "/");
	return *parent_fd < 0 ? negative_errno() : 0;
}

static int link_in_the_way(const struct srfs_share *s, const char *path)
{
	log_error("target %s of container %s is now, or passes through, a symbolic link or a "
		  "file: the share is left as it is",
		  path, s->id);
	return -ELOOP;
}

/*
 * Finds share S's mount: at its target (*PARENT_FD and *NAME lead to it),
 * elsewhere (*WHERE: where mountinfo shows it, when the record has its mount
 * id), or gone.  A symbolic link in the way of a share recorded without its
 * mount id is -ELOOP (logged): it is left as it is rather than looked for.
 */
static int locate(const struct srfs_share *s, int *parent_fd, const char **name, char **where)
{
	const struct srfs_share_mode_ops *ops = srfs_share_ops(s);
	_cleanup_close_ int pfd = -1;

	if (!ops)
		return -EBADMSG;
	if (in_other_namespace(s))
		/* Its mounts go with the namespace: a namespace no process is in is gone. */
		return srfs_mntns_alive(s->mntns) ? SHARE_OTHER_NS : SHARE_GONE;
	int r = open_parent(s->target, &pfd, name);
	if (r == 0)
		r = share_mounted_at(pfd, *name, s, ops);
	if (r == 1) {
		*parent_fd = TAKE_FD(pfd);
		return SHARE_AT_TARGET;
	}
	if (r < 0 && r != -ENOENT && r != -ELOOP && r != -ENOTDIR)
		return log_errno(r, "cannot inspect target %s of container %s", s->target, s->id);
	if (!s->mount.id)
		return r == -ELOOP || r == -ENOTDIR ? link_in_the_way(s, s->target) : SHARE_GONE;
	/* Its path leads elsewhere (renamed, covered, a link in the way): where is it? */
	r = srfs_mount_find(&s->mount, where);
	return r < 0 ? r : r ? SHARE_ELSEWHERE : SHARE_GONE;
}

int srfs_share_mounted(const struct srfs_share *s)
{
	_cleanup_close_ int parent = -1;
	_cleanup_free_ char *where = NULL;
	const char *name;
	int r = locate(s, &parent, &name, &where);
	return r < 0 ? r : r != SHARE_GONE;
}

/* Unmounts NAME in PARENT, share S's mount (LAZY: detached even when busy). */
static int unmount_at(const struct srfs_share *s, int parent, const char *name, const char *path,
		      bool lazy)
{
	int r = srfs_mount_unmount_at(parent, name, s->mount.id ? &s->mount : NULL, lazy);
	if (r == -ESTALE)
		log_error("target %s of container %s was swapped for another mount while it was "
			  "released: the share is left as it is, release it again",
			  path, s->id);
	else if (r == -EBUSY)
		log_error("target %s of container %s is busy (something runs in it; use "
			  "--lazy to detach it anyway)",
			  path, s->id);
	else if (r < 0)
		log_errno(r, "cannot unmount %s", path);
	return r;
}

/*
 * Share S's mount is at WHERE, not at its target: unmounted there when that
 * path, walked without links, leads to that very mount; refused otherwise.
 */
static int unmount_elsewhere(const struct srfs_share *s, const char *where, bool lazy)
{
	_cleanup_close_ int parent = -1;
	const char *name;
	int r = where[0] == '/' ? open_parent(where, &parent, &name) : -EINVAL;
	if (r == 0)
		r = srfs_mount_is(parent, name, &s->mount);
	if (r == 1) {
		log_verbose("share %s is mounted at %s, not at %s: unmounted there", s->id, where,
			    s->target);
		return unmount_at(s, parent, name, where, lazy);
	}
	if (r == -ELOOP || r == -ENOTDIR)
		return link_in_the_way(s, where);
	if (streq(where, s->target))
		log_error("the share of container %s at %s is covered by another mount: unmount "
			  "that one first",
			  s->id, where);
	else
		log_error("the share of container %s is mounted at %s, not at its target %s, and "
			  "cannot be reached there: unmount it, then release again",
			  s->id, where, s->target);
	return -EBUSY;
}

int srfs_share_unmount(const struct srfs_share *s, bool lazy)
{
	_cleanup_close_ int parent = -1;
	_cleanup_free_ char *where = NULL;
	const char *name;

	/* (The target is not kept open: an open descriptor of it would keep it busy.) */
	int r = locate(s, &parent, &name, &where);
	if (r == SHARE_GONE) {
		log_verbose("share %s was no longer mounted at %s", s->id, s->target);
		return 0;
	}
	if (r == SHARE_OTHER_NS) {
		log_error("the share of container %s is in mount namespace %" PRIu64 ": release it "
			  "there (umount.shared-rootfs -N)",
			  s->id, s->mntns);
		return -EREMOTE;
	}
	if (r == SHARE_AT_TARGET)
		r = unmount_at(s, parent, name, s->target, lazy);
	else if (r == SHARE_ELSEWHERE)
		r = unmount_elsewhere(s, where, lazy);
	if (r < 0)
		return r;
	srfs_crash_point("rootfs-release:unmount");
	return 0;
}

/* The share of TARGET: its id into ID. */
static int find_by_target(struct srfs_state *st, const char *target_arg, char *id, size_t size)
{
	_cleanup_free_ char *target = NULL;
	_cleanup_close_ int fd = -1;
	char q[SRFS_QUOTE_MAX];
	int r;

	/* The index knows the canonical path; a target that is gone is taken as given. */
	if (srfs_path_open_dir_checked("target", target_arg, &fd, &target) < 0) {
		if (target_arg[0] != '/')
			return -ENOENT;
		target = strdup(target_arg);
		if (!target)
			return -ENOMEM;
	}
	r = srfs_target_owner(st, target, id, size);
	if (r == 0) {
		log_error("no share at %s", srfs_quote(q, sizeof(q), target_arg));
		return -ENOENT;
	}
	return r < 0 ? r : 0;
}

int srfs_share_clear_locked(struct srfs_state *st, const struct srfs_share *s,
			    enum srfs_share_cleanup how, bool lazy)
{
	const struct srfs_share_mode_ops *ops = srfs_share_ops(s);
	int r = ops ? srfs_share_unmount(s, lazy) : -EBADMSG;
	if (r < 0)
		return r;
	if (ops->cleanup && (r = ops->cleanup(st, s, how)) < 0)
		return r;
	srfs_target_unclaim(st, s->target, s->id);
	return srfs_share_forget(st, s->id);
}

/* --remove-bundle: S was made by rootfs-bundle, and its directory holds only what it made. */
static int check_bundle(const struct srfs_share *s)
{
	if (!s->bundle) {
		log_error("share %s was not made by rootfs-bundle: it has no bundle directory to "
			  "remove (release it without --remove-bundle)",
			  s->id);
		return -EINVAL;
	}
	int r = srfs_bundle_dir_check(s->bundle);
	return r == -ENOENT ? 0 : r;
}

int srfs_share_release(struct srfs_state *st_arg, const char *id_arg, const char *target_arg,
		       const struct srfs_release_options *o)
{
	static const struct srfs_release_options defaults = { 0 };
	_cleanup_state_ struct srfs_state own = SRFS_STATE_INIT;
	struct srfs_state *st = st_arg ? st_arg : &own;
	_cleanup_lock_ struct srfs_lock share_lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_share_clear) struct srfs_share s = { 0 };
	char id[SRFS_NAME_MAX + 1];
	int r;

	if (!o)
		o = &defaults;
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
	const struct srfs_share_mode_ops *ops = srfs_share_ops(&s);
	if (!ops)
		return -EBADMSG;
	if (o->remove_bundle && (r = check_bundle(&s)) < 0)
		return r;
	if (ops->helper) {
		srfs_lock_release(&share_lock);
		const char *args[] = { "release", id, o->lazy ? "--lazy" : NULL, NULL };
		r = run_mode_helper(ops, args);
		return r < 0 || !o->remove_bundle ? r : srfs_bundle_dir_remove(s.bundle, true);
	}

	r = srfs_share_clear_locked(st, &s,
				    o->keep_upper ? SRFS_CLEANUP_RELEASE_KEEP : SRFS_CLEANUP_RELEASE,
				    o->lazy);
	if (r < 0)
		return r;
	log_verbose("container %s released image %s", id, s.image);
	srfs_lock_release(&share_lock);
	if (o->remove_bundle && (r = srfs_bundle_dir_remove(s.bundle, true)) < 0)
		return r;

	if (o->deactivate) {
		const char *args[] = { "--quiet", "--if-unused", s.image, NULL };
		return srfs_run_tool("image-deactivate", args);
	}
	return 0;
}
