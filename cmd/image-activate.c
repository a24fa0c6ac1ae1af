/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-activate - mount an image once, read-only, for sharing. */
#include "activate.h"
#include "cli.h"
#include "log.h"

static void usage(void)
{
	printf("Usage: %s IMAGE\n"
	       "\n"
	       "Activate the image IMAGE: create its device read-only, check its file system\n"
	       "and mount it once, read-only, nosuid and nodev, under the runtime directory.\n"
	       "Prints the path of the mount.  Running it again prints the same path.\n"
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
	const char *name;
	if ((c = srfs_cli_name_argument(argc, argv, "image", true, &name)) != 0)
		return c;
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_image_activate(name, srfs_log_get_level() < SRFS_LOG_NORMAL) < 0
		       ? SRFS_EXIT_FAILURE
		       : SRFS_EXIT_OK;
}
