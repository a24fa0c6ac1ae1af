/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"
#include "wrapper-args.h"

/* What an option means to the wrapper (most mean nothing to it, but may take a value). */
enum opt_id {
	O_OTHER,
	O_ROOT,
	O_LOG,
	O_LOG_FORMAT,
	O_DEBUG,
	O_HELP,
	O_VERSION,
	O_BUNDLE,
	O_CONFIG,
	O_DETACH,
	O_KEEP,
	O_FORCE,
	O_REGEX,
};

struct opt {
	const char *name; /* long name, NULL: short only */
	char short_name;  /* 0: long only */
	bool value;       /* takes a value */
	enum opt_id id;
};

/* runc's and crun's global options. */
static const struct opt global_opts[] = {
	{ "root", 0, true, O_ROOT },
	{ "log", 0, true, O_LOG },
	{ "log-format", 0, true, O_LOG_FORMAT },
	{ "log-level", 0, true, O_OTHER },
	{ "criu", 0, true, O_OTHER },
	{ "rootless", 0, true, O_OTHER },
	{ "cgroup-manager", 0, true, O_OTHER },
	{ "debug", 0, false, O_DEBUG },
	{ "systemd-cgroup", 0, false, O_OTHER },
	{ "help", 'h', false, O_HELP },
	{ "usage", '?', false, O_HELP },
	{ "version", 'v', false, O_VERSION },
	{ NULL, 'V', false, O_VERSION },
	{ 0 },
};

/* create's and run's options (run's alone among them: --detach, --keep). */
static const struct opt create_opts[] = {
	{ "bundle", 'b', true, O_BUNDLE },
	{ "config", 'f', true, O_CONFIG },
	{ "console-socket", 0, true, O_OTHER },
	{ "pid-file", 0, true, O_OTHER },
	{ "pidfd-socket", 0, true, O_OTHER },
	{ "preserve-fds", 0, true, O_OTHER },
	{ "detach", 'd', false, O_DETACH },
	{ "keep", 0, false, O_KEEP },
	{ 0 },
};

static const struct opt delete_opts[] = {
	{ "force", 'f', false, O_FORCE },
	{ "regex", 'r', false, O_REGEX },
	{ 0 },
};

/* Options of the other commands do not matter: they are passed through unread. */
static const struct opt no_opts[] = { { 0 } };

static int fail(char *err, size_t size, const char *fmt, ...) _printf_(3, 4);
static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct opt *find_long(const struct opt *t, const char *name, size_t len)
{
	for (; t->name || t->short_name; t++)
		if (t->name && strlen(t->name) == len && strncmp(t->name, name, len) == 0)
			return t;
	return NULL;
}

static const struct opt *find_short(const struct opt *t, char c)
{
	for (; t->name || t->short_name; t++)
		if (t->short_name == c)
			return t;
	return NULL;
}

static void apply(struct srfs_wrapper_args *a, enum opt_id id, const char *value)
{
	switch (id) {
	case O_ROOT: a->root = value; break;
	case O_LOG: a->log = value; break;
	case O_LOG_FORMAT: a->log_format = value; break;
	case O_DEBUG: a->debug = true; break;
	case O_HELP: a->help = true; break;
	case O_VERSION: a->version = true; break;
	case O_BUNDLE: a->bundle = value; break;
	case O_CONFIG: a->config = value; break;
	case O_DETACH: a->detach = true; break;
	case O_KEEP: a->keep = true; break;
	case O_FORCE: a->force = true; break;
	case O_REGEX: a->regex = true; break;
	case O_OTHER: break;
	}
}

/*
 * The option ARGV[*I] (and its value, maybe the next argument): "--name",
 * "--name=value", Go's "-name", or short ones, "-b DIR", "-bDIR", "-df".
 * An option not in T takes no value unless it says "=value".
 */
static int take_option(const struct opt *t, int argc, char *const *argv, int *i,
		       struct srfs_wrapper_args *a, char *err, size_t size)
{
	const char *arg = argv[*i];
	const char *name = arg + (arg[1] == '-' ? 2 : 1);
	size_t len = strcspn(name, "=");
	const struct opt *o = find_long(t, name, len);

	if (arg[1] == '-' || o || name[len] == '=') {
		if (!o || !o->value) {
			/* A flag given a value: Go's flags take "--detach=false" as off. */
			const char *v = name[len] == '=' ? name + len + 1 : "true";
			if (o && !streq(v, "false") && !streq(v, "0"))
				apply(a, o->id, NULL);
			return 0;
		}
		if (name[len] == '=') {
			apply(a, o->id, name + len + 1);
			return 0;
		}
		if (*i + 1 >= argc)
			return fail(err, size, "option '%s' needs a value", arg);
		apply(a, o->id, argv[++*i]);
		return 0;
	}
	for (const char *c = name; *c; c++) {
		o = find_short(t, *c);
		if (!o)
			continue;
		if (!o->value) {
			apply(a, o->id, NULL);
			continue;
		}
		if (c[1]) {
			apply(a, o->id, c + 1);
			return 0;
		}
		if (*i + 1 >= argc)
			return fail(err, size, "option '-%c' needs a value", *c);
		apply(a, o->id, argv[++*i]);
		return 0;
	}
	return 0;
}

static enum srfs_wrapper_command command_of(const char *name, const struct opt **opts)
{
	*opts = no_opts;
	if (streq(name, "create") || streq(name, "run")) {
		*opts = create_opts;
		return name[0] == 'c' ? SRFS_WRAPPER_CREATE : SRFS_WRAPPER_RUN;
	}
	if (streq(name, "delete")) {
		*opts = delete_opts;
		return SRFS_WRAPPER_DELETE;
	}
	return SRFS_WRAPPER_OTHER;
}

int srfs_wrapper_args_parse(int argc, char *const *argv, struct srfs_wrapper_args *a,
			    char *err, size_t size)
{
	const struct opt *opts;
	int i, r, positionals = 0;
	bool options_end = false;

	*a = (struct srfs_wrapper_args){ .command = SRFS_WRAPPER_NONE };
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (streq(argv[i], "--")) {
			i++;
			break;
		}
		if ((r = take_option(global_opts, argc, argv, &i, a, err, size)) < 0)
			return r;
	}
	if (i >= argc)
		return 0;
	a->command_name = argv[i];
	a->command = command_of(argv[i], &opts);
	if (a->command == SRFS_WRAPPER_OTHER)
		return 0;
	/* Options and the id in any order (crun's argp permutes them); "--" ends options. */
	for (i++; i < argc; i++) {
		if (!options_end && streq(argv[i], "--")) {
			options_end = true;
			continue;
		}
		if (!options_end && argv[i][0] == '-' && argv[i][1]) {
			if ((r = take_option(opts, argc, argv, &i, a, err, size)) < 0)
				return r;
			continue;
		}
		positionals++;
		a->id = argv[i];
	}
	if (a->regex && positionals == 0)
		return 0;
	if (positionals != 1)
		return fail(err, size, "%s needs exactly one container id, not %d",
			    a->command_name, positionals);
	if (!*a->id)
		return fail(err, size, "empty container id");
	return 0;
}

/* ---- where the real runtime is ---------------------------------------------------- */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static bool is_executable(const struct stat *st)
{
	return S_ISREG(st->st_mode) && (st->st_mode & 0111);
}

/* Is PATH this program?  (/proc/self/exe is looked at only when a candidate is found.) */
static bool is_self(const struct stat *st)
{
	struct stat self;
	return stat("/proc/self/exe", &self) == 0 && same_file(st, &self);
}

/* NAME in the fixed PATH: 0, -ENOENT, or -ELOOP when only this program is called NAME. */
static int lookup(const char *name, char *buf, size_t size)
{
	const char *dir = SRFS_WRAPPER_RUNTIME_PATH;
	bool found_self = false;
	struct stat st;

	while (*dir) {
		size_t len = strcspn(dir, ":");
		if ((size_t)snprintf(buf, size, "%.*s/%s", (int)len, dir, name) < size &&
		    stat(buf, &st) == 0 && is_executable(&st)) {
			if (!is_self(&st))
				return 0;
			found_self = true;
		}
		dir += len + (dir[len] == ':');
	}
	return found_self ? -ELOOP : -ENOENT;
}

/* The runtime named by WHAT ("SHARED_ROOTFS_RUNTIME", "runtime.conf"): a path or a name. */
static int named_runtime(const char *what, const char *value, char *buf, size_t size,
			 char *err, size_t err_size)
{
	char q[SRFS_QUOTE_MAX];
	struct stat st;

	srfs_quote(q, sizeof(q), value);
	if (!*value)
		return fail(err, err_size, "%s: empty runtime", what);
	if (!strchr(value, '/')) {
		int r = lookup(value, buf, size);
		if (r == -ELOOP)
			return fail(err, err_size, "%s: runtime '%s' is this wrapper itself", what, q);
		if (r < 0)
			return fail(err, err_size, "%s: runtime '%s' not found in %s", what, q,
				    SRFS_WRAPPER_RUNTIME_PATH);
		return 0;
	}
	if (value[0] != '/')
		return fail(err, err_size, "%s: runtime '%s' is not an absolute path", what, q);
	if (stat(value, &st) < 0)
		return fail(err, err_size, "%s: runtime %s: %s", what, q, strerror(errno));
	if (!is_executable(&st))
		return fail(err, err_size, "%s: runtime %s is not an executable file", what, q);
	if (is_self(&st))
		return fail(err, err_size, "%s: runtime %s is this wrapper itself", what, q);
	if ((size_t)snprintf(buf, size, "%s", value) >= size)
		return fail(err, err_size, "%s: runtime path too long", what);
	return 0;
}

/* The runtime= line of CONF into VALUE; -ENOENT when there is no such file or line. */
static int read_conf(const char *conf, char *value, size_t value_size, char *err, size_t size)
{
	char buf[4097];
	struct stat st;
	ssize_t n;
	_cleanup_close_ int fd = open(conf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail(err, size, "%s: %s", conf, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return fail(err, size, "%s must be a regular file owned by root and writable by no "
				       "one else", conf);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return fail(err, size, "%s: %s", conf, strerror(errno));
	if ((size_t)n == sizeof(buf) - 1)
		return fail(err, size, "%s: longer than %zu bytes", conf, sizeof(buf) - 2);
	buf[n] = '\0';
	int line = 0, found = -ENOENT;
	for (char *p = buf, *next; *p; p = next) {
		next = p + strcspn(p, "\n");
		if (*next)
			*next++ = '\0';
		line++;
		p += strspn(p, " \t");
		if (!*p || *p == '#')
			continue;
		if (strncmp(p, "runtime=", 8) != 0)
			return fail(err, size, "%s, line %d: unknown setting (only runtime=PATH)",
				    conf, line);
		if ((size_t)snprintf(value, value_size, "%s", p + 8) >= value_size)
			return fail(err, size, "%s, line %d: runtime path too long", conf, line);
		value[strcspn(value, " \t")] = '\0';
		found = 0;
	}
	return found;
}

int srfs_wrapper_find_runtime(const char *conf, char *buf, size_t size, char *err,
			      size_t err_size)
{
	const char *env = getenv(SRFS_WRAPPER_RUNTIME_ENV);
	char value[4096];
	int r;

	if (env)
		return named_runtime(SRFS_WRAPPER_RUNTIME_ENV, env, buf, size, err, err_size);
	if (!conf)
		conf = SRFS_WRAPPER_RUNTIME_CONF;
	r = read_conf(conf, value, sizeof(value), err, err_size);
	if (r == 0)
		return named_runtime(conf, value, buf, size, err, err_size);
	if (r != -ENOENT)
		return r;
	if (lookup("crun", buf, size) == 0 || lookup("runc", buf, size) == 0)
		return 0;
	return fail(err, err_size, "no OCI runtime: neither crun nor runc is in %s (set %s)",
		    SRFS_WRAPPER_RUNTIME_PATH, SRFS_WRAPPER_RUNTIME_ENV);
}
