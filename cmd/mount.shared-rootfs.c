/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mount.shared-rootfs - the mount(8) helper: mount -t shared-rootfs IMAGE DIR -o id=ID.
 *
 * Called as "mount.shared-rootfs SPEC DIR [-sfnv] [-N NS] [-o OPTS]" (flags
 * after the positionals); exits with libmount's MNT_EX_* codes.
 */
#include <libmount.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "mountopt.h"
#include "run.h"
#include "share.h"
#include "utab.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s IMAGE DIR [-sfnv] [-N NAMESPACE] [-o OPTIONS]\n"
	       "\n"
	       "The mount(8) helper for \"mount -t shared-rootfs IMAGE DIR -o id=ID\": makes DIR\n"
	       "a read-only share of IMAGE for container ID (without id=, the container id is\n"
	       "derived from DIR) and records it in utab, so that umount DIR releases it.\n"
	       "\n"
	       "Options:\n"
	       "  -o OPTIONS             id=ID, context=LABEL, idmap=MAP (or X-mount.idmap=);\n"
	       "                         ro, defaults, nosuid, nodev, noauto, nofail, x-*\n"
	       "  -s                     sloppy: ignore options it does not know\n"
	       "  -f                     fake: check everything, mount nothing\n"
	       "  -n                     do not record the share in utab\n"
	       "  -N NAMESPACE           mount in the mount namespace NAMESPACE (a PID or a path)\n"
	       "  -v                     verbose\n"
	       "  -h, --help             show this help and exit\n"
	       "  -V, --version          show the version and exit\n",
	       srfs_log_prog());
}

/*
 * The utab entry: libmount matches it to the mountinfo line by source, so
 * its source is the image's device (what the share's mountinfo line shows).
 */
static int record_in_utab(struct srfs_state *st, const char *image, const char *target,
			  const char *id)
{
	_cleanup_(srfs_active_image_clear) struct srfs_active_image a = { 0 };
	int r = srfs_state_open(st, SRFS_STATE_RUN);
	if (r == 0)
		r = srfs_active_image_load(st, image, &a);
	if (r < 0)
		return log_errno(r, "cannot find the device of image %s", image);
	return srfs_utab_add(a.device, target, id);
}

/*
 * -N: everything is opened here, in the caller's mount namespace (as mount(8)
 * does): the runtime directory (records and lock files are reached through
 * it) and the tools that may have to run.  The share itself is made here
 * too, a detached mount of the image's mount; the target's namespace is
 * entered only to look the target up and to attach the share there.  The
 * namespace's descriptor, or -errno (logged).
 */
static int open_namespace(const char *ns, struct srfs_state *st, bool fake)
{
	static const char *const tools[] = { "image-activate", "rootfs-snapshot",
					     "image-deactivate", NULL };
	_cleanup_close_ int ns_fd = srfs_cli_open_mount_namespace(ns);
	int r;

	if (ns_fd < 0)
		return ns_fd;
	if (!fake && ((r = srfs_run_pin_tools(tools)) < 0 ||
		      (r = srfs_state_open(st, SRFS_STATE_RUN | SRFS_STATE_CREATE)) < 0))
		return r;
	return TAKE_FD(ns_fd);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	_cleanup_free_ char *opts = NULL;
	struct srfs_mount_options mo;
	bool sloppy = false, fake = false, no_utab = false;
	const char *ns = NULL;
	char err[256];
	int c;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, "sfnvN:o:hV", options, NULL)) != -1) {
		switch (c) {
		case 's':
			sloppy = true;
			break;
		case 'f':
			fake = true;
			break;
		case 'n':
			no_utab = true;
			break;
		case 'v':
			srfs_log_set_level(SRFS_LOG_VERBOSE);
			break;
		case 'N':
			ns = optarg;
			break;
		case 'o':
			/* Several -o add up. */
			if (opts) {
				char *joined = NULL;
				if (asprintf(&joined, "%s,%s", opts, optarg) < 0)
					return MNT_EX_SYSERR;
				free(opts);
				opts = joined;
			} else if (!(opts = strdup(optarg))) {
				return MNT_EX_SYSERR;
			}
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
	if (argc - optind != 2) {
		srfs_cli_usage_error(argc - optind < 2 ? "give an image and a directory"
						       : "unexpected argument '%s'",
				     argv[argc - 1]);
		return MNT_EX_USAGE;
	}
	const char *image = argv[optind], *target = argv[optind + 1];
	if (srfs_name_validate("image", image) < 0)
		return MNT_EX_USAGE;
	if (srfs_mount_options_parse(opts, sloppy, &mo, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return MNT_EX_USAGE;
	}
	if (!mo.id[0])
		srfs_mount_default_id(target, mo.id, sizeof(mo.id));
	if (srfs_cli_require_admin() < 0)
		return MNT_EX_USAGE;
	struct srfs_share_options so = { .context = mo.context[0] ? mo.context : NULL,
					 .idmap = mo.idmap[0] ? mo.idmap : NULL };
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_close_ int ns_fd = ns ? open_namespace(ns, &st, fake) : -1;
	if (ns && ns_fd < 0)
		return MNT_EX_SYSERR;
	if (fake)
		return MNT_EX_SUCCESS;
	so.target_mntns = ns_fd;

	if (srfs_share_create(ns ? &st : NULL, image, mo.id, target, &so) < 0)
		return MNT_EX_FAIL;
	/* utab is the target namespace's, as for mount(8) there; so is the undo below. */
	if (ns && srfs_cli_enter_mount_namespace(ns_fd, ns) < 0)
		return MNT_EX_SYSERR;
	if (!no_utab && record_in_utab(&st, image, target, mo.id) < 0) {
		/* Without its utab entry umount would not find us: undo the share. */
		struct srfs_release_options ro = { 0 };
		srfs_share_release(st.run_fd >= 0 ? &st : NULL, mo.id, NULL, &ro);
		return MNT_EX_FILEIO;
	}
	return MNT_EX_SUCCESS;
}
