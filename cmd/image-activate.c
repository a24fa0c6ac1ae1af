/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-activate - mount an image once, read-only, for sharing. */
#include "activate.h"
#include "cli.h"
#include "log.h"

static void usage(void)
{
	printf("Usage: %s IMAGE [--context LABEL | --no-context] [--root-hash HEX]\n"
	       "                [--root-hash-signature FILE]\n"
	       "\n"
	       "Activate the image IMAGE: create its device read-only, check its file system\n"
	       "and mount it once, read-only, nosuid and nodev, under the runtime directory.\n"
	       "Prints the path of the mount.  Running it again prints the same path.\n"
	       "With SELinux enabled the mount gets one label for every share: by default the\n"
	       "ro_file entry of the policy's lxc_contexts.  An image with a hash tree\n"
	       "(image-verity) is mounted through a dm-verity target: the kernel checks every\n"
	       "block it reads; an image whose root hash does not verify is refused.\n"
	       "\n"
	       "Options:\n"
	       "      --context LABEL        label the image LABEL (checked against the policy)\n"
	       "      --no-context           mount without a label\n"
	       "      --root-hash HEX        the root hash expected (it must be the recorded one)\n"
	       "      --root-hash-signature FILE\n"
	       "                             a PKCS#7 signature of the root hash for the kernel to\n"
	       "                             check against its trusted keys\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

enum { OPT_CONTEXT = 256, OPT_NO_CONTEXT, OPT_ROOT_HASH, OPT_ROOT_HASH_SIGNATURE };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "context", required_argument, NULL, OPT_CONTEXT },
		{ "no-context", no_argument, NULL, OPT_NO_CONTEXT },
		{ "root-hash", required_argument, NULL, OPT_ROOT_HASH },
		{ "root-hash-signature", required_argument, NULL, OPT_ROOT_HASH_SIGNATURE },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	struct srfs_activate_options o = { 0 };
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_CONTEXT:
			if (!*optarg)
				return srfs_cli_usage_error("--context: empty label");
			o.context = optarg;
			break;
		case OPT_NO_CONTEXT:
			o.no_context = true;
			break;
		case OPT_ROOT_HASH:
			if (!*optarg)
				return srfs_cli_usage_error("--root-hash: empty hash");
			o.root_hash = optarg;
			break;
		case OPT_ROOT_HASH_SIGNATURE:
			if (!*optarg)
				return srfs_cli_usage_error("--root-hash-signature: empty path");
			o.root_hash_signature = optarg;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	const char *name;
	if ((c = srfs_cli_name_argument(argc, argv, "image", true, &name)) != 0)
		return c;
	if (o.context && o.no_context)
		return srfs_cli_usage_error("--context and --no-context exclude each other");
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	_cleanup_free_ char *mount = NULL;
	if (srfs_image_activate(name, &o, &mount) < 0)
		return SRFS_EXIT_FAILURE;
	if (srfs_log_get_level() >= SRFS_LOG_NORMAL)
		printf("%s\n", mount);
	return SRFS_EXIT_OK;
}
