/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * umount.shared-rootfs - the umount(8) helper, found through the
 * "helper=shared-rootfs" entry that mount.shared-rootfs writes in utab.
 *
 * Called as "umount.shared-rootfs DIR [-flnrv] [-N NS] [-t TYPE]".
 */
#include <libmount.h>
#include <stdio.h>

#include "cli.h"
#include "log.h"
#include "run.h"
#include "share.h"
#include "utab.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s DIR [-flnrv] [-N NAMESPACE] [-t TYPE]\n"
	       "\n"
	       "The umount(8) helper for shares made by mount -t shared-rootfs: releases the\n"
	       "share mounted at DIR and removes its utab entry.\n"
	       "\n"
	       "Options:\n"
	       "  -l                     lazy: detach the share even while it is busy\n"
	       "  -n                     do not update utab\n"
	       "  -f, -r                 accepted and ignored (no network, already read-only)\n"
	       "  -N NAMESPACE           unmount in the mount namespace NAMESPACE (a PID or a path)\n"
	       "  -t TYPE                accepted and ignored\n"
	       "  -v                     verbose\n"
	       "  -h, --help             show this help and exit\n"
	       "  -V, --version          show the version and exit\n",
	       srfs_log_prog());
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct srfs_release_options o = { 0 };
	bool no_utab = false;
	const char *ns = NULL;
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, "flnrvN:t:hV", options, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.lazy = true;
			break;
		case 'n':
			no_utab = true;
			break;
		case 'f':
		case 'r':
		case 't':
			break;
		case 'v':
			srfs_log_set_level(SRFS_LOG_VERBOSE);
			break;
		case 'N':
			ns = optarg;
			break;
		case 'h':
			usage();
			return MNT_EX_SUCCESS;
		case 'V':
			srfs_cli_common_option('V');
			return MNT_EX_SUCCESS;
		default:
			srfs_cli_bad_option(argv);
			return MNT_EX_USAGE;
		}
	}
	if (argc - optind != 1) {
		srfs_cli_usage_error(argc == optind ? "give the directory to unmount"
						    : "unexpected argument '%s'",
				     argv[argc - 1]);
		return MNT_EX_USAGE;
	}
	const char *target = argv[optind];
	if (srfs_cli_require_admin() < 0)
		return MNT_EX_USAGE;
	/* As mount.shared-rootfs: state and tools from here, only the target from there. */
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	if (ns) {
		static const char *const tools[] = { "rootfs-snapshot", "image-deactivate", NULL };
		_cleanup_close_ int ns_fd = srfs_cli_open_mount_namespace(ns);
		if (ns_fd < 0 || srfs_run_pin_tools(tools) < 0)
			return MNT_EX_SYSERR;
		int r = srfs_state_open(&st, SRFS_STATE_RUN);
		if (r == -ENOENT)
			log_error("no share at %s: nothing is shared", target);
		if (r < 0)
			return MNT_EX_FAIL;
		if (srfs_cli_enter_mount_namespace(ns_fd, ns) < 0)
			return MNT_EX_SYSERR;
	}
	if (srfs_share_release(ns ? &st : NULL, NULL, target, &o) < 0)
		return MNT_EX_FAIL;
	if (!no_utab && srfs_utab_remove(target) < 0)
		return MNT_EX_FILEIO;
	return MNT_EX_SUCCESS;
}
