/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rootfs-list - show the shares. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "log.h"
#include "share.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s [IMAGE] [--json]\n"
	       "\n"
	       "Show every share, or the shares of IMAGE: container id, image, mode, since\n"
	       "when, target, SELinux label and id map.  Reads the share records, not the\n"
	       "mount table.\n"
	       "\n"
	       "Options:\n"
	       "      --json                 print JSON instead of a table\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

static void format_time(uint64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%" PRIu64, t);
}

static int print_row(const struct srfs_share *s, void *userdata)
{
	unsigned *rows = userdata;
	/* Escaped as in messages: a target's name must not forge lines of its own. */
	static char target[4 * 4096 + 4], label[4 * 256 + 4];
	char since[32];

	if ((*rows)++ == 0)
		printf("%-24s %-24s %-8s %-20s %s  %s  %s\n", "ID", "IMAGE", "MODE", "SINCE",
		       "TARGET", "LABEL", "IDMAP");
	format_time(s->since, since, sizeof(since));
	/* (An id map is digits, colons, "u", "g", "b" and spaces: printed as it is.) */
	printf("%-24s %-24s %-8s %-20s %s  %s  %s\n", s->id, s->image, s->mode, since,
	       srfs_quote(target, sizeof(target), s->target),
	       s->context[0] ? srfs_quote(label, sizeof(label), s->context) : "-",
	       s->idmap ? s->idmap : "-");
	return 0;
}

static int add_json(const struct srfs_share *s, void *userdata)
{
	struct srfs_json *o = srfs_json_object();
	char since[32];

	format_time(s->since, since, sizeof(since));
	srfs_json_add_string(o, "id", s->id);
	srfs_json_add_string(o, "image", s->image);
	srfs_json_add_string(o, "target", s->target);
	srfs_json_add_string(o, "mode", s->mode);
	srfs_json_add_string(o, "since", since);
	srfs_json_add_string(o, "label", s->context[0] ? s->context : NULL);
	srfs_json_add_string(o, "idmap", s->idmap);
	srfs_json_add_string(o, "bundle", s->bundle);
	srfs_json_append(userdata, o);
	return 0;
}

enum { OPT_JSON = 256 };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	bool json = false;
	int c, r;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_JSON:
			json = true;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	const char *image;
	if ((r = srfs_cli_name_argument(argc, argv, "image", false, &image)) != 0)
		return r;
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	r = srfs_state_open(&st, SRFS_STATE_RUN);
	if (r < 0 && r != -ENOENT)
		return SRFS_EXIT_FAILURE;

	if (json) {
		struct srfs_json *top = srfs_json_object();
		struct srfs_json *shares = srfs_json_array();
		srfs_json_add(top, "shares", shares);
		r = srfs_share_for_each(&st, image, add_json, shares);
		if (r < 0)
			srfs_json_free(top);
		else
			srfs_json_print_and_free(top);
	} else {
		unsigned rows = 0;
		r = srfs_share_for_each(&st, image, print_row, &rows);
	}
	return r < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
