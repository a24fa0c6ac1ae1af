/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "crash.h"
#include "lock.h"
#include "log.h"
#include "path.h"
#include "share.h"
#include "util.h"
#include "wrapper-config.h"
#include "wrapper-record.h"
#include "wrapper.h"

/* ---- running the runtime ------------------------------------------------------------ */

static volatile sig_atomic_t runtime_pid;

/*
 * A signal sent to the wrapper goes on to the runtime.  One the terminal sent
 * (SI_KERNEL) reached the runtime too, in the same process group: not twice.
 */
static void forward(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (runtime_pid > 0 && si->si_code != SI_KERNEL)
		kill(runtime_pid, sig);
}

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH };

int srfs_wrapper_spawn(const char *runtime, char *const *argv, int *status)
{
	struct sigaction act = { .sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction old[ARRAY_SIZE(forwarded)];
	sigset_t all, mask;
	size_t n = 0;

	while (argv[n])
		n++;
	_cleanup_free_ char **args = calloc(n + 1, sizeof(*args));
	if (!args)
		return log_errno(-ENOMEM, "cannot run %s", runtime);
	memcpy(args, argv, n * sizeof(*args));
	args[0] = (char *)runtime;

	/* Signals wait until the child's pid is known, and the child starts with the mask it had. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &mask);
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &mask, NULL);
		execv(runtime, args);
		log_errno(negative_errno(), "cannot run %s", runtime);
		_exit(127);
	}
	int err = pid < 0 ? negative_errno() : 0;
	runtime_pid = pid;
	sigemptyset(&act.sa_mask);
	for (size_t i = 0; pid > 0 && i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &act, &old[i]);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if (err < 0)
		return log_errno(err, "cannot run %s", runtime);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR) {
			err = log_errno(negative_errno(), "cannot wait for %s", runtime);
			break;
		}
	runtime_pid = 0;
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &old[i], NULL);
	return err;
}

static bool succeeded(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- create and run ----------------------------------------------------------------- */

struct create {
	const struct srfs_wrapper_args *a;
	char *bundle;  /* absolute, as the kernel resolves it */
	int bundle_fd;
	char *config;  /* the config file's absolute path */
	int config_dir_fd;
	const char *config_name;
	struct srfs_wrapper_config cfg;
	struct srfs_share_options o;
	char *target;
};

static void create_clear(struct create *x)
{
	free(x->bundle);
	free(x->config);
	free(x->target);
	closep(&x->bundle_fd);
	closep(&x->config_dir_fd);
	srfs_wrapper_config_clear(&x->cfg);
}

/* The bundle and its config file; -ENOENT (not logged) when either is missing. */
static int open_bundle(struct create *x)
{
	const char *bundle = x->a->bundle ? x->a->bundle : ".";
	const char *config = x->a->config ? x->a->config : "config.json";
	char q[SRFS_QUOTE_MAX];

	/* The bundle's own path is the engine's: links in it are followed, once, here. */
	x->bundle = realpath(bundle, NULL);
	if (!x->bundle)
		return errno == ENOENT ? -ENOENT
				       : log_errno(negative_errno(), "bundle %s",
						   srfs_quote(q, sizeof(q), bundle));
	x->bundle_fd = open(x->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x->bundle_fd < 0)
		return log_errno(negative_errno(), "bundle %s", x->bundle);
	x->config = config[0] == '/' ? strdup(config) : srfs_path_join(x->bundle, config);
	x->target = srfs_path_join(x->bundle, SRFS_WRAPPER_TARGET);
	if (!x->config || !x->target)
		return log_errno(-ENOMEM, "bundle %s", x->bundle);
	/* What is in the bundle is read without passing a symbolic link. */
	char *slash = strrchr(x->config, '/');
	x->config_name = slash + 1;
	*slash = '\0';
	_cleanup_close_ int path_fd = srfs_path_open_dir(slash == x->config ? "/" : x->config);
	*slash = '/';
	/* Readable, for the fsync of the directory when the config is replaced. */
	if (path_fd >= 0)
		x->config_dir_fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->config_dir_fd < 0)
		return errno == ENOENT ? -ENOENT
				       : log_errno(negative_errno(), "cannot open %s", x->config);
	return srfs_wrapper_config_load(x->config_dir_fd, x->config_name, x->config, &x->cfg);
}

/* The share the config asks for: mode, id map; conflicts refused. */
static int choose_share(struct create *x)
{
	const struct srfs_wrapper_config *c = &x->cfg;
	char q[SRFS_QUOTE_MAX];

	const char *why;

	if (srfs_name_check(c->image, &why) < 0) {
		log_error("%s: annotation %s: invalid image name '%s': %s", x->config,
			  SRFS_ANNOTATION_IMAGE, srfs_quote(q, sizeof(q), c->image), why);
		return -EINVAL;
	}
	if (srfs_name_check(x->a->id, &why) < 0) {
		log_error("container id '%s' cannot name a share: %s",
			  srfs_quote(q, sizeof(q), x->a->id), why);
		return -EINVAL;
	}
	x->o.mode = c->readonly ? SRFS_SHARE_RO : SRFS_SHARE_OVERLAY;
	if (c->mode && srfs_share_mode_from_name(c->mode, &x->o.mode) < 0) {
		log_error("%s: annotation %s: unknown mode '%s' (ro, overlay or snapshot)", x->config,
			  SRFS_ANNOTATION_MODE, srfs_quote(q, sizeof(q), c->mode));
		return -EINVAL;
	}
	if (x->o.mode == SRFS_SHARE_RO && !c->readonly) {
		log_error("%s: mode ro asks for a read-only root, but root.readonly is false (set it "
			  "true, e.g. podman --read-only, or ask for mode overlay)",
			  x->config);
		return -EINVAL;
	}
	x->o.idmap = c->idmap;
	return 0;
}

/* Record, target directory, share, config: each step recorded before it is taken. */
static int share_container(struct srfs_state *st, struct create *x, struct srfs_container *c)
{
	struct stat s;
	int r;

	snprintf(c->id, sizeof(c->id), "%s", x->a->id);
	snprintf(c->image, sizeof(c->image), "%s", x->cfg.image);
	c->target = strdup(x->target);
	c->root = x->a->root ? strdup(x->a->root) : NULL;
	if (!c->target || (x->a->root && !c->root))
		return log_errno(-ENOMEM, "container %s", c->id);
	c->target_made = fstatat(x->bundle_fd, SRFS_WRAPPER_TARGET, &s, AT_SYMLINK_NOFOLLOW) < 0;
	c->since = (uint64_t)time(NULL);
	if ((r = srfs_container_save(st, c)) < 0)
		return r;
	srfs_crash_point("shared-rootfs-runtime:record");
	if (mkdirat(x->bundle_fd, SRFS_WRAPPER_TARGET, 0755) < 0 && errno != EEXIST)
		return log_errno(negative_errno(), "cannot make %s", x->target);
	if ((r = srfs_share_create(st, c->image, c->id, x->target, &x->o)) < 0)
		return r;
	srfs_crash_point("shared-rootfs-runtime:share");
	/* The config is named in the record only once it was rewritten: the undo puts back
	 * a config.json.orig only for the file this rewrite made (its inode). */
	ino_t ino = 0;
	char *config = strdup(x->config);
	if (!config)
		return log_errno(-ENOMEM, "container %s", c->id);
	r = srfs_wrapper_config_rewrite(x->config_dir_fd, x->config_name, x->config, &x->cfg,
					x->target, &ino);
	if (r < 0) {
		free(config);
		return r;
	}
	c->config = config;
	c->config_ino = ino;
	r = srfs_container_save(st, c);
	if (r == 0)
		srfs_crash_point("shared-rootfs-runtime:config");
	return r;
}

/*
 * Is IMAGE there?  Active, or else in the catalog: an unknown one is named in
 * one line of the wrapper's own, in the log file too (image-activate's would
 * reach standard error only).
 */
static int check_image(struct srfs_state *st, const char *config, const char *image)
{
	_cleanup_(srfs_active_image_clear) struct srfs_active_image active = { 0 };
	_cleanup_state_ struct srfs_state cat = SRFS_STATE_INIT;
	_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };

	int r = srfs_active_image_load(st, image, &active);
	if (r != -ENOENT)
		return r < 0 ? r : 0;
	r = srfs_state_open(&cat, SRFS_STATE_CATALOG);
	if (r == 0)
		r = srfs_image_load(cat.catalog_fd, image, &img);
	if (r == -ENOENT)
		log_error("%s: annotation %s: unknown image %s", config, SRFS_ANNOTATION_IMAGE, image);
	return r < 0 ? r : 0;
}

/* The container lock, and what an earlier create of ID left: undone, or refused. */
static int claim_container(struct srfs_state *st, const char *id, struct srfs_lock *lock)
{
	_cleanup_(srfs_container_clear) struct srfs_container old = { 0 };
	int r = srfs_lock_take(lock, st, SRFS_LOCK_CONTAINER, id, false);
	if (r < 0)
		return r;
	r = srfs_container_load(st, id, &old);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (old.created) {
		log_error("container %s exists: it has a share of image %s (delete it first)", id,
			  old.image);
		return -EEXIST;
	}
	/* Its lock is ours: the wrapper that left it is gone. */
	return srfs_container_undo(st, &old);
}

static int run_shared(struct create *x, const char *runtime, char *const *argv, int *status)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_container_clear) struct srfs_container c = { 0 };
	const struct srfs_wrapper_args *a = x->a;
	int r;

	if ((r = srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CREATE)) < 0 ||
	    (r = check_image(&st, x->config, x->cfg.image)) < 0)
		return r;
	if ((r = claim_container(&st, a->id, &lock)) < 0)
		return r;
	r = share_container(&st, x, &c);
	if (r < 0) {
		srfs_container_undo(&st, &c);
		return r;
	}
	r = srfs_wrapper_spawn(runtime, argv, status);
	if (r == 0)
		srfs_crash_point("shared-rootfs-runtime:runtime");
	/* Failed, or a run in the foreground that is over: nothing of it stays. */
	if (r < 0 || !succeeded(*status) ||
	    (a->command == SRFS_WRAPPER_RUN && !a->detach && !a->keep)) {
		int q = srfs_container_undo(&st, &c);
		return r < 0 ? r : q;
	}
	c.created = true;
	return srfs_container_save(&st, &c);
}

int srfs_wrapper_create(const struct srfs_wrapper_args *a, const char *runtime,
			char *const *argv, int *status, bool *pass)
{
	struct create x = { .a = a, .bundle_fd = -1, .config_dir_fd = -1 };
	int r = open_bundle(&x);

	*pass = r == -ENOENT || (r == 0 && !x.cfg.image);
	if (r == 0 && !*pass && (r = choose_share(&x)) == 0)
		r = run_shared(&x, runtime, argv, status);
	create_clear(&x);
	return *pass ? 0 : r;
}

/* ---- delete ------------------------------------------------------------------------- */

static bool same_root(const char *a, const char *b)
{
	return (!a && !b) || (a && b && streq(a, b));
}

/* After the runtime's delete: container ID's share released, if it is the wrapper's. */
static int release_container(struct srfs_state *st, const struct srfs_wrapper_args *a)
{
	_cleanup_lock_ struct srfs_lock lock = SRFS_LOCK_INIT;
	_cleanup_(srfs_container_clear) struct srfs_container c = { 0 };
	int r = srfs_lock_take(&lock, st, SRFS_LOCK_CONTAINER, a->id, false);
	if (r < 0)
		return r;
	r = srfs_container_load(st, a->id, &c);
	if (r == -ENOENT)
		return 0; /* released meanwhile (a run in the foreground that ended) */
	if (r < 0)
		return r;
	if (!same_root(a->root, c.root)) {
		log_debug("container %s of another runtime root: its share stays", a->id);
		return 0;
	}
	return srfs_container_undo(st, &c);
}

int srfs_wrapper_delete(const struct srfs_wrapper_args *a, const char *runtime,
			char *const *argv, int *status, bool *pass)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	struct stat s;
	int r, dir;

	*pass = true;
	if (a->regex || !a->id || srfs_name_check(a->id, NULL) < 0)
		return 0;
	r = srfs_state_open(&st, SRFS_STATE_RUN);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	dir = srfs_state_run_dir(&st, SRFS_CONTAINERS_DIR, false);
	if (dir == -ENOENT || (dir >= 0 && fstatat(dir, a->id, &s, AT_SYMLINK_NOFOLLOW) < 0 &&
			       errno == ENOENT))
		return 0;
	if (dir < 0)
		return dir;
	*pass = false;
	r = srfs_wrapper_spawn(runtime, argv, status);
	if (r < 0 || (!succeeded(*status) && !a->force))
		return r;
	return release_container(&st, a);
}
