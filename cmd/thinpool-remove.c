/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* thinpool-remove - deactivate a thin pool, or wipe it. */
#include "cli.h"
#include "log.h"
#include "name.h"
#include "pool.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s POOL [--wipe [--force]]\n"
	       "\n"
	       "Deactivate the thin pool POOL and detach the loop devices it owns. The data\n"
	       "and the catalog entry stay, so thinpool-create brings the pool back.\n"
	       "\n"
	       "Options:\n"
	       "      --wipe                 also forget the pool and delete the files that\n"
	       "                             thinpool-create created for it\n"
	       "      --force                with --wipe: even when the catalog still lists\n"
	       "                             images in the pool (their data is lost)\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

enum { OPT_FORCE = 256, OPT_WIPE };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "wipe", no_argument, NULL, OPT_WIPE },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	bool force = false, wipe = false;
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_WIPE:
			wipe = true;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	const char *name;
	if ((c = srfs_cli_name_argument(argc, argv, "pool", true, &name)) != 0)
		return c;
	if (force && !wipe)
		return srfs_cli_usage_error("--force only goes with --wipe");
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_pool_remove(name, force, wipe) < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
