/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* thinpool-status - show thin pools: space, transaction id, mode, devices. */
#include <inttypes.h>
#include <stdio.h>
#include <sys/sysmacros.h>

#include "cli.h"
#include "json.h"
#include "log.h"
#include "name.h"
#include "pool.h"
#include "size.h"
#include "util.h"

static void usage(void)
{
	printf("Usage: %s [POOL] [--json]\n"
	       "\n"
	       "Show every thin pool in the catalog, or POOL: data and metadata space,\n"
	       "transaction id, low water mark, mode, whether it needs a check, and its thin\n"
	       "devices in the catalog and in the kernel.\n"
	       "\n"
	       "Options:\n"
	       "      --json                 print JSON instead of a table\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

static const char *mode_of(const struct srfs_pool_report *r)
{
	return r->active ? r->status.mode : "inactive";
}

static int print_row(const struct srfs_pool_report *r, void *userdata)
{
	char du[32], dt[32], mu[32], mt[32];
	unsigned *rows = userdata;
	uint64_t chunk = r->pool.chunk_size;

	if ((*rows)++ == 0)
		printf("%-16s %-17s %6s %15s %15s %11s %9s %5s %5s %6s\n", "POOL", "MODE", "CHUNK",
		       "DATA", "METADATA", "TRANSACTION", "LOW_WATER", "CHECK", "THINS",
		       "ACTIVE");
	char chunk_text[32], data_text[40], meta_text[40];
	srfs_size_format(chunk_text, sizeof(chunk_text), chunk);
	if (r->active && !r->status.failed) {
		snprintf(data_text, sizeof(data_text), "%s/%s",
			 srfs_size_format(du, sizeof(du), r->status.data_used * chunk),
			 srfs_size_format(dt, sizeof(dt), r->status.data_total * chunk));
		snprintf(meta_text, sizeof(meta_text), "%s/%s",
			 srfs_size_format(mu, sizeof(mu), r->status.metadata_used * 4096),
			 srfs_size_format(mt, sizeof(mt), r->status.metadata_total * 4096));
		printf("%-16s %-17s %6s %15s %15s %11" PRIu64 " %9" PRIu64 " %5s %5u %6u\n",
		       r->pool.name, mode_of(r), chunk_text, data_text, meta_text,
		       r->status.transaction_id, r->table.low_water_mark,
		       r->status.needs_check ? "yes" : "no", r->catalog_thins, r->active_thins);
	} else {
		printf("%-16s %-17s %6s %15s %15s %11s %9" PRIu64 " %5s %5u %6u\n", r->pool.name,
		       mode_of(r), chunk_text, "-", "-", "-", r->pool.low_water_mark, "-",
		       r->catalog_thins, r->active_thins);
	}
	return 0;
}

static int add_json(const struct srfs_pool_report *r, void *userdata)
{
	struct srfs_json *pools = userdata;
	struct srfs_json *p = srfs_json_object();
	uint64_t chunk = r->pool.chunk_size;

	srfs_json_add_string(p, "name", r->pool.name);
	srfs_json_add_bool(p, "active", r->active);
	srfs_json_add_string(p, "mode", mode_of(r));
	srfs_json_add_string(p, "dm_name", r->pool.dm_name);
	if (r->active) {
		char devno[32];
		snprintf(devno, sizeof(devno), "%u:%u", major(r->devno), minor(r->devno));
		srfs_json_add_string(p, "device", devno);
	} else {
		srfs_json_add_string(p, "device", NULL);
	}
	srfs_json_add_u64(p, "chunk_size", chunk);
	srfs_json_add_string(p, "data", r->pool.data.path);
	srfs_json_add_string(p, "metadata", r->pool.metadata.path);
	srfs_json_add_u64(p, "low_water_mark",
			  r->active ? r->table.low_water_mark : r->pool.low_water_mark);
	srfs_json_add_bool(p, "error_if_no_space", r->pool.error_if_no_space);
	if (r->active && !r->status.failed) {
		srfs_json_add_u64(p, "data_used", r->status.data_used * chunk);
		srfs_json_add_u64(p, "data_total", r->status.data_total * chunk);
		srfs_json_add_u64(p, "metadata_used", r->status.metadata_used * 4096);
		srfs_json_add_u64(p, "metadata_total", r->status.metadata_total * 4096);
		srfs_json_add_u64(p, "transaction_id", r->status.transaction_id);
		srfs_json_add_bool(p, "needs_check", r->status.needs_check);
	}
	srfs_json_add_u64(p, "thin_devices", r->catalog_thins);
	srfs_json_add_u64(p, "active_thin_devices", r->active_thins);
	srfs_json_append(pools, p);
	return 0;
}

enum { OPT_JSON = 256 };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	bool json = false;
	int c, r;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_JSON:
			json = true;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	const char *name;
	if ((r = srfs_cli_name_argument(argc, argv, "pool", false, &name)) != 0)
		return r;
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;

	if (json) {
		struct srfs_json *top = srfs_json_object();
		struct srfs_json *pools = srfs_json_array();
		srfs_json_add(top, "pools", pools);
		r = srfs_pool_report(name, add_json, pools);
		/* An unknown POOL prints no JSON: the error is all there is to say. */
		if (r < 0 && name)
			srfs_json_free(top);
		else
			srfs_json_print_and_free(top);
	} else {
		unsigned rows = 0;
		r = srfs_pool_report(name, print_row, &rows);
	}
	return r < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
