/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-create - make a sealed image in a thin pool, or register an existing one. */
#include <string.h>

#include "cli.h"
#include "image.h"
#include "log.h"

static void usage(void)
{
	printf("Usage: %s POOL IMAGE --size SIZE [--fs ext4|xfs] [--from-tar FILE|-|--from-dir DIR]\n"
	       "                  [--verity]\n"
	       "       %s POOL IMAGE --parent IMAGE [--from-tar FILE|-|--from-dir DIR] [--verity]\n"
	       "       %s POOL IMAGE --from-oci LAYOUT[:REF] [--size SIZE] [--fs ext4|xfs] [--verity]\n"
	       "       %s --source PATH IMAGE [--verity HASHFILE --root-hash HEX]\n"
	       "\n"
	       "Create the image IMAGE as a thin device of the pool POOL: a new file system,\n"
	       "filled from a tar stream or a directory, then sealed read-only.  With --parent\n"
	       "the image is a snapshot of another image and the tar stream is applied to it\n"
	       "as an OCI layer.  With --from-oci the image is read from an OCI image layout:\n"
	       "each layer a thin snapshot of the one below it, shared by the pool's images\n"
	       "built on the same layers.  With --source an existing file system image file\n"
	       "(erofs, squashfs, ext4, xfs) or block device becomes an image without being\n"
	       "copied.\n"
	       "\n"
	       "Options:\n"
	       "      --size SIZE            size of the new image's device (thinly provisioned)\n"
	       "      --fs TYPE              file system: ext4 (default) or xfs\n"
	       "      --mkfs-options OPTS    more arguments for mkfs, separated by spaces\n"
	       "      --from-tar FILE        fill the image from a tar file (any compression);\n"
	       "                             - reads standard input\n"
	       "      --from-dir DIR         fill the image with a copy of DIR\n"
	       "      --parent IMAGE         make a snapshot of IMAGE, then apply the tar as a layer\n"
	       "      --from-oci LAYOUT[:REF]  the image REF (or the only one) of an OCI image layout;\n"
	       "                             --size defaults to four times its compressed layers\n"
	       "                             (at least 1G) and is the base layer's when the pool\n"
	       "                             has it already\n"
	       "      --source PATH          register an existing file system image or device\n"
	       "      --verity               give the new image a dm-verity hash tree (image-verity)\n"
	       "      --verity HASHFILE      with --source: the hash tree veritysetup format made\n"
	       "      --root-hash HEX        with --source --verity: its root hash\n"
	       SRFS_COMMON_HELP,
	       srfs_log_prog(), srfs_log_prog(), srfs_log_prog(), srfs_log_prog());
}

enum {
	OPT_SIZE = 256,
	OPT_FS,
	OPT_MKFS_OPTIONS,
	OPT_FROM_TAR,
	OPT_FROM_DIR,
	OPT_PARENT,
	OPT_SOURCE,
	OPT_FROM_OCI,
	OPT_VERITY,
	OPT_ROOT_HASH,
};

/* Is --source among the arguments?  Then --verity takes the hash tree's file. */
static bool source_mode(int argc, char **argv)
{
	for (int i = 1; i < argc && !streq(argv[i], "--"); i++)
		if (streq(argv[i], "--source") || strncmp(argv[i], "--source=", 9) == 0)
			return true;
	return false;
}

/* Stores OPTARG in *SLOT; a second use of the option is a usage error. */
static int once(const char **slot, const char *option)
{
	if (*slot)
		return srfs_cli_usage_error("--%s given twice", option);
	*slot = optarg;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "fs", required_argument, NULL, OPT_FS },
		{ "mkfs-options", required_argument, NULL, OPT_MKFS_OPTIONS },
		{ "from-tar", required_argument, NULL, OPT_FROM_TAR },
		{ "from-dir", required_argument, NULL, OPT_FROM_DIR },
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "from-oci", required_argument, NULL, OPT_FROM_OCI },
		{ "verity", no_argument, NULL, OPT_VERITY },
		{ "root-hash", required_argument, NULL, OPT_ROOT_HASH },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	static struct option source_options[ARRAY_SIZE(options)];
	struct srfs_image_create_options o = { 0 };
	const char *size_text = NULL, *names[2];
	int c, r = 0;

	srfs_cli_init(argc, argv);
	/* With --source, --verity names the hash tree made by veritysetup format. */
	memcpy(source_options, options, sizeof(options));
	for (size_t i = 0; source_options[i].name; i++)
		if (source_options[i].val == OPT_VERITY)
			source_options[i].has_arg = required_argument;
	bool verity = false;
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT,
				source_mode(argc, argv) ? source_options : options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_SIZE:
			r = once(&size_text, "size");
			if (r == 0)
				r = srfs_cli_size_option("size", optarg, &o.size);
			break;
		case OPT_FS:
			r = once(&o.fs, "fs");
			break;
		case OPT_MKFS_OPTIONS:
			r = once(&o.mkfs_options, "mkfs-options");
			break;
		case OPT_FROM_TAR:
			r = once(&o.from_tar, "from-tar");
			break;
		case OPT_FROM_DIR:
			r = once(&o.from_dir, "from-dir");
			break;
		case OPT_PARENT:
			r = once(&o.parent, "parent");
			break;
		case OPT_SOURCE:
			r = once(&o.source, "source");
			break;
		case OPT_FROM_OCI:
			r = once(&o.from_oci, "from-oci");
			break;
		case OPT_VERITY:
			if (verity)
				return srfs_cli_usage_error("--verity given twice");
			verity = true;
			o.verity_file = optarg;
			break;
		case OPT_ROOT_HASH:
			r = once(&o.root_hash, "root-hash");
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
		if (r != 0)
			return r;
	}

	if (o.source) {
		static const char *const kinds[] = { "image" };
		if ((r = srfs_cli_name_arguments(argc, argv, kinds, 1, names)) != 0)
			return r;
		if (size_text || o.fs || o.mkfs_options || o.from_tar || o.from_dir || o.parent ||
		    o.from_oci)
			return srfs_cli_usage_error("--source takes no other image options: the "
						    "file system is used as it is");
		if (!*o.source)
			return srfs_cli_usage_error("--source: empty path");
		if (o.verity_file && !*o.verity_file)
			return srfs_cli_usage_error("--verity: empty path");
		if (o.verity_file && !o.root_hash)
			return srfs_cli_usage_error("--verity HASHFILE needs --root-hash HEX");
		if (o.root_hash && !o.verity_file)
			return srfs_cli_usage_error("--root-hash needs --verity HASHFILE");
	} else {
		static const char *const kinds[] = { "pool", "image" };
		if ((r = srfs_cli_name_arguments(argc, argv, kinds, 2, names)) != 0)
			return r;
		o.pool = names[0];
		names[0] = names[1];
		o.verity = verity;
		if (o.root_hash)
			return srfs_cli_usage_error("--root-hash goes with --source and --verity "
						    "HASHFILE: a new image's root hash is computed");
		if (!!o.from_tar + !!o.from_dir + !!o.from_oci > 1)
			return srfs_cli_usage_error("--from-tar, --from-dir and --from-oci exclude each "
						    "other");
		if (o.from_oci && o.parent)
			return srfs_cli_usage_error("--from-oci takes no --parent: the layout's layers "
						    "are the image's parents");
		if (o.from_oci && !*o.from_oci)
			return srfs_cli_usage_error("--from-oci: empty layout path");
		if (o.parent && (size_text || o.fs || o.mkfs_options))
			return srfs_cli_usage_error("--parent takes the parent's size and file "
						    "system: no --size, --fs or --mkfs-options");
		if (!o.parent && !o.from_oci && !size_text)
			return srfs_cli_usage_error("--size is needed for a new image");
		if (o.parent && srfs_name_validate("parent image", o.parent) < 0)
			return SRFS_EXIT_USAGE;
		if (o.parent && streq(o.parent, names[0]))
			return srfs_cli_usage_error("an image cannot be its own parent");
		if (!o.fs)
			o.fs = "ext4";
		if (!streq(o.fs, "ext4") && !streq(o.fs, "xfs"))
			return srfs_cli_usage_error("--fs: unsupported file system '%s' (ext4 or xfs)",
						    o.fs);
	}
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;
	return srfs_image_create(names[0], &o) < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
