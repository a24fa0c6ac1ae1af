/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rootfs-bundle - an OCI bundle whose root is a share of an image. */
#include <string.h>

#include "bundle.h"
#include "cli.h"
#include "log.h"

static void usage(void)
{
	printf("Usage: %s IMAGE ID DIR [--mode ro|overlay|snapshot] [--idmap MAP]\n"
	       "       [--context LABEL] [-- COMMAND [ARG...]]\n"
	       "\n"
	       "Make DIR an OCI bundle for container ID on image IMAGE, for \"crun run -b DIR\n"
	       "ID\": DIR/rootfs a share of the image (as rootfs-share makes it), and\n"
	       "DIR/config.json the defaults of \"crun spec\" with the process the image's OCI\n"
	       "config gives (Entrypoint and Cmd, Env, WorkingDir, User), as docker run runs\n"
	       "it.  DIR must not exist, or be an empty directory.  An image without an OCI\n"
	       "config runs /bin/sh.  rootfs-release ID releases the share, and removes the\n"
	       "bundle with it when asked to (rootfs-release(8)).\n"
	       "\n"
	       "Options:\n"
	       "      --mode MODE            ro (default): read-only (root.readonly); overlay:\n"
	       "                             writable, an overlay on the image's shared mount;\n"
	       "                             snapshot: writable, a thin snapshot device of its own\n"
	       "      --idmap MAP            a user-namespaced container: the share is idmapped\n"
	       "                             with MAP (\"[u:|g:|b:]INSIDE:OUTSIDE:COUNT ...\", or\n"
	       "                             /proc/PID/ns/user) and config.json gets a user\n"
	       "                             namespace with the same uid and gid mappings\n"
	       "      --context LABEL        the SELinux label the image must have (activating\n"
	       "                             it with that label if it is not active)\n"
	       "  -- COMMAND [ARG...]        run COMMAND instead of the image's Cmd (after its\n"
	       "                             Entrypoint), as docker run IMAGE COMMAND does\n"
	       SRFS_COMMON_HELP,
	       srfs_log_prog());
}

enum { OPT_MODE = 256, OPT_CONTEXT, OPT_IDMAP };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "context", required_argument, NULL, OPT_CONTEXT },
		{ "idmap", required_argument, NULL, OPT_IDMAP },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	static const char *const kinds[] = { "image", "container" };
	struct srfs_bundle_options o = { .mode = SRFS_SHARE_RO };
	const char *names[2];
	int c, nargs = argc;

	srfs_cli_init(argc, argv);
	/* Everything after "--" is the command: options are parsed before it only. */
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--")) {
			nargs = i;
			o.command = argv + i + 1;
			if (!argv[i + 1])
				return srfs_cli_usage_error("no command after --");
			break;
		}
	}
	while ((c = getopt_long(nargs, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
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
		case OPT_CONTEXT:
			if (!*optarg)
				return srfs_cli_usage_error("--context: empty label");
			o.context = optarg;
			break;
		case OPT_IDMAP:
			if (o.idmap)
				return srfs_cli_usage_error("--idmap given twice");
			if (!*optarg)
				return srfs_cli_usage_error("--idmap: empty map");
			o.idmap = optarg;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	if (nargs - optind == 2)
		return srfs_cli_usage_error("no bundle directory given");
	if (nargs - optind > 3)
		return srfs_cli_usage_error("unexpected argument '%s' (a command goes after --)",
					    argv[optind + 3]);
	if ((c = srfs_cli_name_arguments(nargs - (nargs - optind == 3), argv, kinds, 2, names)) != 0)
		return c;
	const char *dir = argv[optind + 2];
	if (!*dir)
		return srfs_cli_usage_error("empty bundle directory");
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_bundle_create(names[0], names[1], dir, &o) < 0 ? SRFS_EXIT_FAILURE
								   : SRFS_EXIT_OK;
}
