/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rootfs-share - give a container a read-only share of an image. */
#include <string.h>

#include "cli.h"
#include "log.h"
#include "share.h"

static void usage(void)
{
	printf("Usage: %s IMAGE ID TARGET [--mode ro|overlay|snapshot] [--upper-dir DIR]\n"
	       "       [--context LABEL] [--idmap MAP]\n"
	       "\n"
	       "Make the directory TARGET the root file system of container ID on image IMAGE\n"
	       "(activated first if need be): by default a read-only, nosuid, nodev, private\n"
	       "bind of the image's one mount.  TARGET must be an existing directory reached\n"
	       "without symbolic links, and not a mount point.  Sharing the same ID at the\n"
	       "same TARGET again changes nothing.\n"
	       "\n"
	       "Options:\n"
	       "      --mode MODE            ro (default): read-only; overlay: writable, an overlay\n"
	       "                             whose lower layer is the image's shared mount;\n"
	       "                             snapshot: writable, a thin snapshot device of its own\n"
	       "      --upper-dir DIR        overlay: keep the container's writes in DIR/upper\n"
	       "                             (default: under the runtime directory)\n"
	       "      --context LABEL        the SELinux label the image must have (activating\n"
	       "                             it with that label if it is not active)\n"
	       "      --idmap MAP            an idmapped share for a user-namespaced container:\n"
	       "                             MAP is \"[u:|g:|b:]INSIDE:OUTSIDE:COUNT ...\" (as\n"
	       "                             X-mount.idmap) or a user namespace's file\n"
	       "                             (/proc/PID/ns/user)\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

enum { OPT_MODE = 256, OPT_UPPER_DIR, OPT_CONTEXT, OPT_IDMAP };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "upper-dir", required_argument, NULL, OPT_UPPER_DIR },
		{ "context", required_argument, NULL, OPT_CONTEXT },
		{ "idmap", required_argument, NULL, OPT_IDMAP },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	static const char *const kinds[] = { "image", "container" };
	struct srfs_share_options o = { .mode = SRFS_SHARE_RO };
	const char *names[2];
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_MODE:
			if (srfs_share_mode_from_name(optarg, &o.mode) < 0)
				return srfs_cli_usage_error("--mode: unknown mode '%s' (ro, overlay or "
							    "snapshot)",
							    optarg);
			break;
		case OPT_UPPER_DIR:
			o.upper_dir = optarg;
			break;
		case OPT_CONTEXT:
			if (!*optarg)
				return srfs_cli_usage_error("--context: empty label");
			o.context = optarg;
			break;
		case OPT_IDMAP:
			if (o.idmap)
				return srfs_cli_usage_error("--idmap given twice");
			o.idmap = optarg;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	if (o.upper_dir && o.mode != SRFS_SHARE_OVERLAY)
		return srfs_cli_usage_error("--upper-dir goes with --mode overlay");
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
	return srfs_share_create(NULL, names[0], names[1], target, &o) < 0 ? SRFS_EXIT_FAILURE
								      : SRFS_EXIT_OK;
}
