/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-deactivate - unmount an image and remove its device. */
#include "activate.h"
#include "cli.h"
#include "log.h"

static void usage(void)
{
	printf("Usage: %s IMAGE [--lazy | --if-unused]\n"
	       "\n"
	       "Deactivate the image IMAGE: unmount it and remove its device.  Refused while\n"
	       "containers share it (they are named).\n"
	       "\n"
	       "Options:\n"
	       "      --lazy                 deactivate even while shared: the mount is detached\n"
	       "                             and the device removed by the kernel when the last\n"
	       "                             share is released\n"
	       "      --if-unused            while the image is shared, do nothing and succeed\n"
	       SRFS_COMMON_HELP,
	       srfs_log_prog());
}

enum { OPT_LAZY = 256, OPT_IF_UNUSED };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "lazy", no_argument, NULL, OPT_LAZY },
		{ "if-unused", no_argument, NULL, OPT_IF_UNUSED },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	struct srfs_deactivate_options o = { 0 };
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_LAZY:
			o.lazy = true;
			break;
		case OPT_IF_UNUSED:
			o.if_unused = true;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	const char *name;
	if ((c = srfs_cli_name_argument(argc, argv, "image", true, &name)) != 0)
		return c;
	if (o.lazy && o.if_unused)
		return srfs_cli_usage_error("--lazy and --if-unused exclude each other");
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_image_deactivate(name, &o) < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
