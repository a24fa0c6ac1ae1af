/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "path.h"
#include "record.h"
#include "share.h"
#include "util.h"
#include "wrapper-config.h"
#include "wrapper-record.h"

static const struct srfs_record_key container_keys[] = {
	{ "image", true },  { "target", true },      { "target_made", true },
	{ "state", true },  { "since", true },       { "root", false },
	{ "config", false }, { "config_ino", false }, { 0 },
};

void srfs_container_clear(struct srfs_container *c)
{
	free(c->root);
	free(c->config);
	free(c->target);
	*c = (struct srfs_container){ 0 };
}

static int corrupt(const char *id)
{
	log_error("runtime record of container %s is corrupt (shared-rootfs-recover removes it)", id);
	return -EBADMSG;
}

static bool absolute(const char *path)
{
	return path && path[0] == '/';
}

int srfs_container_load(struct srfs_state *st, const char *id, struct srfs_container *c)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	char err[256];

	srfs_container_clear(c);
	int dir = srfs_state_run_dir(st, SRFS_CONTAINERS_DIR, false);
	if (dir < 0)
		return dir;
	int r = srfs_record_load(dir, id, container_keys, &rec, err, sizeof(err));
	if (r == -ENOENT)
		return r;
	if (r == -EBADMSG) {
		log_error("runtime record of container %s: %s", id, err);
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot read the runtime record of container %s", id);
	const char *image = srfs_record_get(&rec, "image");
	const char *state = srfs_record_get(&rec, "state");
	const char *root = srfs_record_get(&rec, "root");
	const char *config = srfs_record_get(&rec, "config");
	c->target = strdup(srfs_record_get(&rec, "target"));
	c->root = root ? strdup(root) : NULL;
	c->config = config ? strdup(config) : NULL;
	if (srfs_name_check(image, NULL) < 0 || !absolute(c->target) || (root && !c->root) ||
	    (config && !absolute(c->config)) || srfs_record_get_u64(&rec, "since", &c->since) < 0 ||
	    (config && srfs_record_get_u64(&rec, "config_ino", &c->config_ino) < 0) ||
	    (!streq(state, "creating") && !streq(state, "created"))) {
		srfs_container_clear(c);
		return corrupt(id);
	}
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->image, sizeof(c->image), "%s", image);
	c->target_made = streq(srfs_record_get(&rec, "target_made"), "1");
	c->created = streq(state, "created");
	return 0;
}

int srfs_container_save(struct srfs_state *st, const struct srfs_container *c)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	int dir = srfs_state_run_dir(st, SRFS_CONTAINERS_DIR, true);
	if (dir < 0)
		return dir;
	int r = srfs_record_set(&rec, "image", c->image);
	if (r == 0)
		r = srfs_record_set(&rec, "target", c->target);
	if (r == 0)
		r = srfs_record_set(&rec, "target_made", c->target_made ? "1" : "0");
	if (r == 0)
		r = srfs_record_set(&rec, "state", c->created ? "created" : "creating");
	if (r == 0)
		r = srfs_record_set_u64(&rec, "since", c->since);
	if (r == 0 && c->root)
		r = srfs_record_set(&rec, "root", c->root);
	if (r == 0 && c->config)
		r = srfs_record_set(&rec, "config", c->config);
	if (r == 0 && c->config)
		r = srfs_record_set_u64(&rec, "config_ino", c->config_ino);
	if (r == 0)
		r = srfs_record_save(dir, c->id, &rec, 0);
	return r < 0 ? log_errno(r, "cannot write the runtime record of container %s", c->id) : 0;
}

/* PATH's directory, opened without passing a symbolic link, and its last component. */
static int open_parent(const char *path, const char **base)
{
	_cleanup_free_ char *dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	*base = path + (slash - dir) + 1;
	*(slash == dir ? slash + 1 : slash) = '\0';
	int fd = srfs_path_open_dir(dir);
	return fd < 0 ? negative_errno() : fd;
}

/*
 * Puts NAME.orig back as NAME when NAME is still the file with inode INO (the
 * one the wrapper wrote); otherwise (the engine wrote another) only removes
 * NAME.orig.  Nothing to do without NAME.orig.
 */
static int put_back(int dir_fd, const char *name, ino_t ino)
{
	char orig[PATH_MAX];
	struct stat st;

	snprintf(orig, sizeof(orig), "%s" SRFS_CONFIG_ORIG, name);
	if (fstatat(dir_fd, orig, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : negative_errno();
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == ino)
		return renameat(dir_fd, orig, dir_fd, name) < 0 ? negative_errno() : 0;
	return unlinkat(dir_fd, orig, 0) < 0 && errno != ENOENT ? negative_errno() : 0;
}

static int restore_config(const struct srfs_container *c)
{
	const char *name;
	if (!c->config)
		return 0;
	_cleanup_close_ int fd = open_parent(c->config, &name);
	if (fd == -ENOENT)
		return 0; /* the bundle is gone: nothing to put back */
	int r = fd < 0 ? fd : put_back(fd, name, (ino_t)c->config_ino);
	if (r < 0)
		return log_errno(r, "container %s: cannot put back %s" SRFS_CONFIG_ORIG, c->id,
				 c->config);
	return 0;
}

static void remove_target(const struct srfs_container *c)
{
	const char *name;
	if (!c->target_made)
		return;
	_cleanup_close_ int fd = open_parent(c->target, &name);
	/* Only while empty: what is mounted or written there is not the wrapper's to remove. */
	if (fd >= 0 && unlinkat(fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		log_debug("container %s: %s stays: %m", c->id, c->target);
}

/* Is the share of C's id the wrapper's own, at C's target?  (Not one made by hand.) */
static int own_share(struct srfs_state *st, const struct srfs_container *c)
{
	_cleanup_(srfs_share_clear) struct srfs_share s = { 0 };
	int r = srfs_share_load(st, c->id, &s);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		/* Records are replaced whole, so an unreadable one is not a crash of ours:
		 * it is left to shared-rootfs-recover, which reports it. */
		return r == -EBADMSG ? 0 : r;
	return streq(s.target, c->target);
}

int srfs_container_undo(struct srfs_state *st, const struct srfs_container *c)
{
	struct srfs_release_options o = { .ignore_missing = true };
	int r = own_share(st, c);
	if (r > 0)
		r = srfs_share_release(st, c->id, NULL, &o);
	if (r == -EBUSY) {
		o.lazy = true;
		r = srfs_share_release(st, c->id, NULL, &o);
	}
	if (r < 0)
		return r;
	r = restore_config(c);
	remove_target(c);
	int dir = srfs_state_run_dir(st, SRFS_CONTAINERS_DIR, false);
	int q = dir < 0 ? dir : srfs_record_remove(dir, c->id, 0);
	if (q < 0 && q != -ENOENT)
		return log_errno(q, "cannot remove the runtime record of container %s", c->id);
	return r;
}

/* Container ID's record: undone when its create did not finish, removed when its share is gone. */
static int recover_container(struct srfs_state *st, const char *id)
{
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_container_clear) struct srfs_container c = { 0 };
	int r = srfs_lock_try(&lock, st, SRFS_LOCK_CONTAINER, id);
	if (r == -EWOULDBLOCK)
		return 0; /* a wrapper is at work on it */
	if (r < 0)
		return r;
	r = srfs_container_load(st, id, &c);
	if (r == -ENOENT)
		return 0;
	if (r == -EBADMSG) {
		int dir = srfs_state_run_dir(st, SRFS_CONTAINERS_DIR, false);
		log_info("container %s: its unreadable runtime record removed", id);
		return dir < 0 ? dir : srfs_record_remove(dir, id, 0);
	}
	if (r < 0)
		return r;
	if (!c.created) {
		r = srfs_container_undo(st, &c);
		if (r == 0)
			log_info("container %s: its create did not finish; share of image %s released",
				 id, c.image);
		return r;
	}
	r = srfs_share_exists(st, id);
	if (r != 0)
		return r < 0 ? r : 0;
	int dir = srfs_state_run_dir(st, SRFS_CONTAINERS_DIR, false);
	r = dir < 0 ? dir : srfs_record_remove(dir, id, 0);
	if (r == 0)
		log_info("container %s: its share is gone; runtime record removed", id);
	return r;
}

int srfs_container_recover(struct srfs_state *st)
{
	char **ids = NULL;
	int ret = 0;
	int r = srfs_state_list(st->run_fd, SRFS_CONTAINERS_DIR, &ids);
	if (r < 0)
		return r;
	for (char **id = ids; *id; id++)
		if ((r = recover_container(st, *id)) < 0)
			ret = r;
	srfs_names_free(ids);
	return ret;
}
