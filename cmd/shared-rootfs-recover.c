/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shared-rootfs-recover - put right what crashed commands left behind. */
#include "cli.h"
#include "log.h"
#include "recover.h"

static void usage(void)
{
	printf("Usage: %s\n"
	       "\n"
	       "Bring the records, mounts, device-mapper devices and thin pools of shared-rootfs\n"
	       "back into agreement after crashes: finish or roll back interrupted thin device\n"
	       "transactions, remove images whose creation did not finish, release shares\n"
	       "whose mount is gone, deactivate images whose mount is gone, and remove mounts\n"
	       "and devices that no record explains.  Shares and images that work are left\n"
	       "alone, and so is what containers wrote to an upper directory they chose.\n"
	       "Safe to run at any time, also while other commands run; with nothing to do it\n"
	       "changes nothing.  Each action is reported.\n"
	       "\n"
	       "Options:\n"
	       SRFS_COMMON_HELP,
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
	if (optind < argc)
		return srfs_cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_recover() < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
