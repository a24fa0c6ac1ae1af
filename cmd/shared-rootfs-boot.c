/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shared-rootfs-boot - bring declared pools and images back at boot, and
 * put them away at shutdown.  Run by shared-rootfs.service and by the init
 * script /etc/init.d/shared-rootfs.
 *
 * /etc/shared-rootfs/boot.conf ($SHARED_ROOTFS_CONFDIR/boot.conf), one
 * declaration per line, '#' starts a comment:
 *   pool NAME          activate the pool NAME (thinpool-create NAME)
 *   pool *             every pool in the catalog
 *   image NAME [context=LABEL | no-context]
 *                      activate the image NAME (image-activate)
 */
#include <stdio.h>
#include <string.h>

#include "activate.h"
#include "cli.h"
#include "log.h"
#include "name.h"
#include "pool.h"
#include "state.h"
#include "util.h"

#define CONFDIR_DEFAULT "/etc/shared-rootfs"
#define CONFDIR_ENV "SHARED_ROOTFS_CONFDIR"

static void usage(void)
{
	printf("Usage: %s start|stop [--config FILE]\n"
	       "\n"
	       "start: activate the pools and images declared in %s/boot.conf, pools first;\n"
	       "stop: deactivate the declared images that nothing shares, then the pools that\n"
	       "have no active thin devices.  Every declaration is tried; the exit status\n"
	       "says whether all of them succeeded.\n"
	       "\n"
	       "Options:\n"
	       "      --config FILE          read FILE instead of boot.conf\n" SRFS_COMMON_HELP,
	       srfs_log_prog(), CONFDIR_DEFAULT);
}

struct decl {
	bool pool; /* else an image */
	char name[SRFS_NAME_MAX + 1];
	char context[256];
	bool no_context;
};

/* Parses line LINENO of FILE into D: 1, 0 for a blank or comment line, -EINVAL. */
static int parse_line(char *line, const char *file, unsigned lineno, struct decl *d)
{
	char *save = NULL, *kind, *name, *opt;
	*d = (struct decl){ 0 };

	line[strcspn(line, "#\n")] = '\0';
	kind = strtok_r(line, " \t", &save);
	if (!kind)
		return 0;
	name = strtok_r(NULL, " \t", &save);
	opt = name ? strtok_r(NULL, " \t", &save) : NULL;
	d->pool = streq(kind, "pool");
	if ((!d->pool && !streq(kind, "image")) || !name) {
		log_error("%s:%u: expected 'pool NAME' or 'image NAME [context=LABEL|no-context]'",
			  file, lineno);
		return -EINVAL;
	}
	if (!(d->pool && streq(name, "*")) && srfs_name_check(name, NULL) < 0) {
		log_error("%s:%u: invalid %s name '%s'", file, lineno, kind, name);
		return -EINVAL;
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (opt && !d->pool && strncmp(opt, "context=", 8) == 0 && opt[8] &&
	    strlen(opt + 8) < sizeof(d->context))
		snprintf(d->context, sizeof(d->context), "%s", opt + 8);
	else if (opt && !d->pool && streq(opt, "no-context"))
		d->no_context = true;
	else if (opt) {
		log_error("%s:%u: unexpected '%s'", file, lineno, opt);
		return -EINVAL;
	}
	if (strtok_r(NULL, " \t", &save)) {
		log_error("%s:%u: too many words", file, lineno);
		return -EINVAL;
	}
	return 1;
}

static int pool_start(const char *name)
{
	struct srfs_pool_create_options o = {
		.low_water_mark = -1, .error_if_no_space = -1, .discard = -1, .zero_blocks = -1,
	};
	return srfs_pool_create(name, &o);
}

/* Every pool in the catalog (for "pool *"). */
static int each_pool(int (*fn)(const char *name))
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	char **pools;
	int r = srfs_state_open(&st, SRFS_STATE_CATALOG);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = srfs_state_list(st.catalog_fd, "pools", &pools);
	if (r < 0)
		return log_errno(r, "cannot read the pool catalog");
	for (char **p = pools; *p; p++) {
		int q = fn(*p);
		if (q < 0 && r == 0)
			r = q;
	}
	srfs_names_free(pools);
	return r;
}

static int pool_stop(const char *name)
{
	return srfs_pool_remove(name, false, false);
}

static int run(const char *file, bool start)
{
	_cleanup_free_ char *line = NULL;
	struct decl decls[256];
	size_t n = 0, cap = 0;
	unsigned lineno = 0;
	int r = 0;

	FILE *f = fopen(file, "re");
	if (!f) {
		if (errno == ENOENT) {
			log_verbose("%s does not exist: nothing is declared", file);
			return 0;
		}
		return log_errno(negative_errno(), "cannot read %s", file);
	}
	while (getline(&line, &cap, f) > 0) {
		if (n == ARRAY_SIZE(decls)) {
			log_error("%s: more than %zu declarations", file, ARRAY_SIZE(decls));
			r = -E2BIG;
			break;
		}
		int q = parse_line(line, file, ++lineno, &decls[n]);
		if (q < 0)
			r = q;
		else if (q > 0)
			n++;
	}
	fclose(f);
	if (r < 0)
		return r; /* a bad file changes nothing */

	/* start: pools, then images; stop: images, then pools. */
	for (int pass = 0; pass < 2; pass++) {
		bool pools = (pass == 0) == start;
		for (size_t i = 0; i < n; i++) {
			const struct decl *d = &decls[i];
			int q;
			if (d->pool != pools)
				continue;
			if (d->pool && streq(d->name, "*"))
				q = each_pool(start ? pool_start : pool_stop);
			else if (d->pool)
				q = start ? pool_start(d->name) : pool_stop(d->name);
			else if (start) {
				struct srfs_activate_options o = {
					.context = d->context[0] ? d->context : NULL,
					.no_context = d->no_context,
				};
				q = srfs_image_activate(d->name, &o, NULL);
			} else {
				struct srfs_deactivate_options o = { .if_unused = true };
				q = srfs_image_deactivate(d->name, &o);
			}
			if (q < 0 && r == 0)
				r = q;
		}
	}
	return r;
}

enum { OPT_CONFIG = 256 };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, OPT_CONFIG },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	_cleanup_free_ char *file = NULL;
	const char *config = NULL;
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_CONFIG:
			config = optarg;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	if (optind >= argc)
		return srfs_cli_usage_error("say start or stop");
	if (optind + 1 < argc)
		return srfs_cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	bool start = streq(argv[optind], "start");
	if (!start && !streq(argv[optind], "stop"))
		return srfs_cli_usage_error("unknown action '%s' (start or stop)", argv[optind]);
	if (!config) {
		const char *dir = getenv(CONFDIR_ENV);
		file = srfs_path_join(dir && *dir ? dir : CONFDIR_DEFAULT, "boot.conf");
		if (!file)
			return SRFS_EXIT_FAILURE;
		config = file;
	}
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return run(config, start) < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
