/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-remove - delete an image and its thin device. */
#include "cli.h"
#include "image.h"
#include "log.h"

static void usage(void)
{
	printf("Usage: %s IMAGE [--force]\n"
	       "\n"
	       "Remove the image IMAGE: delete its thin device from its pool and its entry\n"
	       "from the catalog.  Images made on top of it stay valid.  An image that was\n"
	       "registered from an existing file or device is only forgotten; the file or\n"
	       "device is left alone.\n"
	       "Refused while the image is active or shared.\n"
	       "\n"
	       "Options:\n"
	       "      --force                forget the image even when its pool cannot be\n"
	       "                             reached (its thin device is then not deleted)\n"
	       SRFS_COMMON_HELP,
	       srfs_log_prog());
}

enum { OPT_FORCE = 256 };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	bool force = false;
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
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	const char *name;
	if ((c = srfs_cli_name_argument(argc, argv, "image", true, &name)) != 0)
		return c;
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_image_remove(name, force ? SRFS_IMAGE_REMOVE_FORCE : 0) < 0 ? SRFS_EXIT_FAILURE
									     : SRFS_EXIT_OK;
}
