/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * state-tool - drives the library's state directory and privilege code from
 * the bats suites, against the real kernel (mounts, flock, capabilities).
 *
 *   state-tool open [create] [private] [catalog]   open the state directories
 *   state-tool require-admin                        the tools' privilege check
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "state.h"

int main(int argc, char **argv)
{
	srfs_cli_init(argc, argv);
	if (argc < 2)
		return SRFS_EXIT_USAGE;

	if (streq(argv[1], "require-admin"))
		return srfs_cli_require_admin() < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;

	if (streq(argv[1], "open")) {
		_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
		unsigned flags = SRFS_STATE_RUN;
		for (int i = 2; i < argc; i++) {
			if (streq(argv[i], "create"))
				flags |= SRFS_STATE_CREATE;
			else if (streq(argv[i], "private"))
				flags |= SRFS_STATE_PRIVATE_MOUNT;
			else if (streq(argv[i], "catalog"))
				flags |= SRFS_STATE_CATALOG;
			else
				return SRFS_EXIT_USAGE;
		}
		int r = srfs_state_open(&st, flags);
		if (r == -ENOENT)
			log_error("no state directory yet");
		if (r < 0)
			return SRFS_EXIT_FAILURE;
		printf("%s\n", st.run_path);
		if (st.catalog_path)
			printf("%s\n", st.catalog_path);
		return SRFS_EXIT_OK;
	}
	return SRFS_EXIT_USAGE;
}
