/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rootfs-release - take a container's share away. */
#include "cli.h"
#include "log.h"
#include "share.h"

static void usage(void)
{
	printf("Usage: %s ID [--lazy] [--deactivate] [--ignore-missing] [--keep-upper]\n"
	       "       [--remove-bundle]\n"
	       "       %s --target TARGET [options]\n"
	       "\n"
	       "Unmount the share of container ID (or the share at TARGET) and forget it.\n"
	       "\n"
	       "Options:\n"
	       "      --target TARGET        the share mounted at TARGET\n"
	       "      --lazy                 detach the share even while something uses it\n"
	       "      --deactivate           also deactivate the image when this was its last share\n"
	       "      --ignore-missing       an unknown share is not an error\n"
	       "      --keep-upper           overlay: keep what the container wrote (the upper\n"
	       "                             directory) for a later overlay share of it\n"
	       "      --remove-bundle        a share made by rootfs-bundle: also remove its bundle\n"
	       "                             directory (config.json, the empty rootfs, the\n"
	       "                             directory), refused when it holds anything else\n"
	       SRFS_COMMON_HELP,
	       srfs_log_prog(), srfs_log_prog());
}

enum {
	OPT_TARGET = 256,
	OPT_LAZY,
	OPT_DEACTIVATE,
	OPT_IGNORE_MISSING,
	OPT_KEEP_UPPER,
	OPT_REMOVE_BUNDLE,
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "lazy", no_argument, NULL, OPT_LAZY },
		{ "deactivate", no_argument, NULL, OPT_DEACTIVATE },
		{ "ignore-missing", no_argument, NULL, OPT_IGNORE_MISSING },
		{ "keep-upper", no_argument, NULL, OPT_KEEP_UPPER },
		{ "remove-bundle", no_argument, NULL, OPT_REMOVE_BUNDLE },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	struct srfs_release_options o = { 0 };
	const char *target = NULL, *id = NULL;
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_TARGET:
			if (target)
				return srfs_cli_usage_error("--target given twice");
			target = optarg;
			break;
		case OPT_LAZY:
			o.lazy = true;
			break;
		case OPT_DEACTIVATE:
			o.deactivate = true;
			break;
		case OPT_IGNORE_MISSING:
			o.ignore_missing = true;
			break;
		case OPT_KEEP_UPPER:
			o.keep_upper = true;
			break;
		case OPT_REMOVE_BUNDLE:
			o.remove_bundle = true;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	if (target) {
		if (optind < argc)
			return srfs_cli_usage_error("give a container ID or --target, not both");
		if (!*target)
			return srfs_cli_usage_error("--target: empty path");
	} else if ((c = srfs_cli_name_argument(argc, argv, "container", true, &id)) != 0) {
		return c;
	}
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_share_release(NULL, id, target, &o) < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
