/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* thinpool-create - create or re-activate a device-mapper thin pool. */
#include <stdlib.h>

#include "cli.h"
#include "log.h"
#include "name.h"
#include "pool.h"
#include "size.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s POOL --data PATH --metadata PATH [options]\n"
	       "       %s POOL\n"
	       "\n"
	       "Create the thin pool POOL on a data and a metadata device (block devices or\n"
	       "files; files are attached to loop devices), or activate it again after a\n"
	       "reboot without writing to it.\n"
	       "\n"
	       "Options:\n"
	       "      --data PATH            data device or file\n"
	       "      --metadata PATH        metadata device or file\n"
	       "      --data-size SIZE       create a missing data file, sparse, of SIZE\n"
	       "      --metadata-size SIZE   create a missing metadata file, sparse, of SIZE\n"
	       "      --chunk-size SIZE      allocation unit: 64K (default) to 1G, a multiple of 64K\n"
	       "      --low-water-mark N     free chunks left when the kernel sends an event\n"
	       "      --error-if-no-space    fail writes at once when the pool is full\n"
	       "      --no-discard           ignore discards\n"
	       "      --zero-blocks          zero newly allocated blocks (default: skip)\n"
	       "      --force                overwrite devices that carry a signature\n" SRFS_COMMON_HELP,
	       srfs_log_prog(), srfs_log_prog());
}

enum {
	OPT_DATA = 256,
	OPT_METADATA,
	OPT_DATA_SIZE,
	OPT_METADATA_SIZE,
	OPT_CHUNK_SIZE,
	OPT_LOW_WATER,
	OPT_ERROR_IF_NO_SPACE,
	OPT_NO_DISCARD,
	OPT_ZERO_BLOCKS,
	OPT_FORCE,
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "data", required_argument, NULL, OPT_DATA },
		{ "metadata", required_argument, NULL, OPT_METADATA },
		{ "data-size", required_argument, NULL, OPT_DATA_SIZE },
		{ "metadata-size", required_argument, NULL, OPT_METADATA_SIZE },
		{ "chunk-size", required_argument, NULL, OPT_CHUNK_SIZE },
		{ "low-water-mark", required_argument, NULL, OPT_LOW_WATER },
		{ "error-if-no-space", no_argument, NULL, OPT_ERROR_IF_NO_SPACE },
		{ "no-discard", no_argument, NULL, OPT_NO_DISCARD },
		{ "zero-blocks", no_argument, NULL, OPT_ZERO_BLOCKS },
		{ "force", no_argument, NULL, OPT_FORCE },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	struct srfs_pool_create_options o = {
		.low_water_mark = -1,
		.error_if_no_space = -1,
		.discard = -1,
		.zero_blocks = -1,
	};
	char q[SRFS_QUOTE_MAX];
	uint64_t v;
	int c, r;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_DATA:
			if (o.data_path)
				return srfs_cli_usage_error("--data given twice");
			o.data_path = optarg;
			break;
		case OPT_METADATA:
			if (o.metadata_path)
				return srfs_cli_usage_error("--metadata given twice");
			o.metadata_path = optarg;
			break;
		case OPT_DATA_SIZE:
			if ((r = srfs_cli_size_option("data-size", optarg, &o.data_size)) != 0)
				return r;
			break;
		case OPT_METADATA_SIZE:
			if ((r = srfs_cli_size_option("metadata-size", optarg, &o.metadata_size)) != 0)
				return r;
			break;
		case OPT_CHUNK_SIZE:
			if ((r = srfs_cli_size_option("chunk-size", optarg, &o.chunk_size)) != 0)
				return r;
			if (!srfs_thin_chunk_valid(o.chunk_size))
				return srfs_cli_usage_error("--chunk-size: %s is not a multiple of 64K "
							    "from 64K to 1G",
							    srfs_quote(q, sizeof(q), optarg));
			break;
		case OPT_LOW_WATER:
			if (srfs_parse_u64(optarg, &v) < 0 || v > INT64_MAX)
				return srfs_cli_usage_error("--low-water-mark: invalid number of "
							    "chunks '%s'",
							    srfs_quote(q, sizeof(q), optarg));
			o.low_water_mark = (int64_t)v;
			break;
		case OPT_ERROR_IF_NO_SPACE:
			o.error_if_no_space = 1;
			break;
		case OPT_NO_DISCARD:
			o.discard = 0;
			break;
		case OPT_ZERO_BLOCKS:
			o.zero_blocks = 1;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	const char *name;
	if ((r = srfs_cli_name_argument(argc, argv, "pool", true, &name)) != 0)
		return r;
	if ((o.data_path == NULL) != (o.metadata_path == NULL))
		return srfs_cli_usage_error("--data and --metadata go together");
	if ((o.data_size && !o.data_path) || (o.metadata_size && !o.metadata_path))
		return srfs_cli_usage_error("--data-size and --metadata-size need --data and "
					    "--metadata");
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;

	return srfs_pool_create(name, &o) < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
