/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rootfs-snapshot - the snapshot mode of rootfs-share and rootfs-release,
 * in a program of its own because it needs libdevmapper, which the share
 * path does not link.  Not run by hand: rootfs-share --mode snapshot runs
 *   rootfs-snapshot share IMAGE ID TARGET [--idmap MAP] [--bundle DIR]
 * and rootfs-release of such a share runs
 *   rootfs-snapshot release ID [--lazy]
 * under their own names, so that messages name the command the user ran.
 */
#include <string.h>

#include "cli.h"
#include "log.h"
#include "snapshot.h"

int main(int argc, char **argv)
{
	srfs_cli_init(argc, argv);
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	if (argc >= 5 && argc % 2 == 1 && streq(argv[1], "share")) {
		const char *idmap = NULL, *bundle = NULL;
		int i;
		for (i = 5; i < argc; i += 2) {
			if (streq(argv[i], "--idmap") && !idmap)
				idmap = argv[i + 1];
			else if (streq(argv[i], "--bundle") && !bundle)
				bundle = argv[i + 1];
			else
				break;
		}
		if (i >= argc)
			return srfs_snapshot_share(argv[2], argv[3], argv[4], idmap, bundle) < 0
				       ? SRFS_EXIT_FAILURE
				       : SRFS_EXIT_OK;
	}
	if ((argc == 3 || (argc == 4 && streq(argv[3], "--lazy"))) && streq(argv[1], "release")) {
		struct srfs_release_options o = { .lazy = argc == 4 };
		return srfs_snapshot_release(argv[2], &o) < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
	}
	log_error("internal helper of rootfs-share and rootfs-release: not to be run by hand");
	return SRFS_EXIT_USAGE;
}
