/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rootfs-share - give a container a read-only share of an image. */
#include "cli.h"
#include "log.h"
#include "share.h"

static void usage(void)
{
	printf("Usage: %s IMAGE ID TARGET\n"
	       "\n"
	       "Make the directory TARGET the read-only root file system of container ID: a\n"
	       "read-only, nosuid, nodev, private bind of the one mount of image IMAGE\n"
	       "(activated first if need be).  TARGET must be an existing directory reached\n"
	       "without symbolic links, and not a mount point.  Sharing the same ID at the\n"
	       "same TARGET again changes nothing.\n"
	       "\n"
	       "Options:\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	static const char *const kinds[] = { "image", "container" };
	const char *names[2];
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		if (c == 'h') {
			usage();
			return SRFS_EXIT_OK;
		}
		return srfs_cli_bad_option(argv);
	}
	if (argc - optind == 2)
		return srfs_cli_usage_error("no target directory given");
	if (argc - optind > 3)
		return srfs_cli_usage_error("unexpected argument '%s'", argv[optind + 3]);
	if ((c = srfs_cli_name_arguments(argc - (argc - optind == 3), argv, kinds, 2, names)) != 0)
		return c;
	const char *target = argv[optind + 2];
	if (!*target)
		return srfs_cli_usage_error("empty target directory");
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_share_create(names[0], names[1], target) < 0 ? SRFS_EXIT_FAILURE
								  : SRFS_EXIT_OK;
}
