/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-verity - give a sealed image a dm-verity hash tree, and print its root hash. */
#include "cli.h"
#include "image-verity.h"
#include "log.h"
#include "veritytab.h"

static void usage(void)
{
	printf("Usage: %s IMAGE [--hash-file PATH]\n"
	       "\n"
	       "Build the dm-verity hash tree of the sealed image IMAGE (sha256, 4 KiB blocks,\n"
	       "veritysetup's format), record its root hash and print it.  From then on\n"
	       "image-activate mounts IMAGE through a verity target: the kernel checks every\n"
	       "block it reads.  A pool image's tree goes into a thin device of its pool; an\n"
	       "image file's into FILE.verity beside it.  The image must not be active.  An\n"
	       "image that has a hash tree already: its root hash is printed.\n"
	       "\n"
	       "Options:\n"
	       "      --hash-file PATH       an image file's (or block device's) tree goes to PATH,\n"
	       "                             a new file\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

enum { OPT_HASH_FILE = 256 };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "hash-file", required_argument, NULL, OPT_HASH_FILE },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	struct srfs_image_verity_options o = { 0 };
	char root_hash[SRFS_VERITY_ROOT_HEX_MAX + 1];
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_HASH_FILE:
			if (o.hash_file)
				return srfs_cli_usage_error("--hash-file given twice");
			if (!*optarg)
				return srfs_cli_usage_error("--hash-file: empty path");
			o.hash_file = optarg;
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
	if (srfs_image_verity(name, &o, root_hash) < 0)
		return SRFS_EXIT_FAILURE;
	if (srfs_log_get_level() >= SRFS_LOG_NORMAL)
		printf("%s\n", root_hash);
	return SRFS_EXIT_OK;
}
