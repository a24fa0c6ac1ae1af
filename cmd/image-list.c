/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-list - show the images in the catalog. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "image.h"
#include "json.h"
#include "log.h"
#include "size.h"

static void usage(void)
{
	printf("Usage: %s [POOL] [--json]\n"
	       "\n"
	       "Show every image in the catalog, or those of the pool POOL: name, pool, thin\n"
	       "device id, parent, size, file system, whether it has a dm-verity hash tree\n"
	       "(\"corrupted\" once its verity target found a block that does not match),\n"
	       "whether it is sealed and active, how many containers share it, and the\n"
	       "SELinux label it is active with; --json adds the root hash.  Images\n"
	       "registered from an existing file or device\n"
	       "show \"file\" or \"block\" in place of a pool.\n"
	       "\n"
	       "Options:\n"
	       "      --json                 print JSON instead of a table\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

static int print_row(const struct srfs_image_report *r, void *userdata)
{
	const struct srfs_image *img = r->image;
	unsigned *rows = userdata;
	char size[32], id[24];

	if ((*rows)++ == 0)
		printf("%-24s %-16s %6s %-24s %7s %-8s %-9s %6s %6s %6s  %s\n", "IMAGE", "POOL",
		       "ID", "PARENT", "SIZE", "FS", "VERITY", "SEALED", "ACTIVE", "SHARES", "LABEL");
	if (img->kind == SRFS_IMAGE_POOL)
		snprintf(id, sizeof(id), "%" PRIu64, img->device_id);
	else
		snprintf(id, sizeof(id), "-");
	printf("%-24s %-16s %6s %-24s %7s %-8s %-9s %6s %6s %6u  %s\n", img->name,
	       img->kind == SRFS_IMAGE_POOL ? img->pool : srfs_image_kind_name(img->kind), id,
	       img->parent[0] ? img->parent : "-", srfs_size_format(size, sizeof(size), img->size),
	       img->fs, !img->verity ? "no" : r->corrupted ? "corrupted" : "yes", img->sealed ? "yes" : "no", r->active ? "yes" : "no", r->shares,
	       r->context[0] ? r->context : "-");
	return 0;
}

static int add_json(const struct srfs_image_report *r, void *userdata)
{
	const struct srfs_image *img = r->image;
	struct srfs_json *o = srfs_json_object();
	bool in_pool = img->kind == SRFS_IMAGE_POOL;

	srfs_json_add_string(o, "name", img->name);
	srfs_json_add_string(o, "kind", srfs_image_kind_name(img->kind));
	srfs_json_add_string(o, "pool", in_pool ? img->pool : NULL);
	if (in_pool)
		srfs_json_add_u64(o, "device_id", img->device_id);
	else
		srfs_json_add(o, "device_id", NULL);
	srfs_json_add_string(o, "parent", img->parent[0] ? img->parent : NULL);
	srfs_json_add_string(o, "source", in_pool ? NULL : img->source);
	srfs_json_add_u64(o, "size", img->size);
	srfs_json_add_string(o, "fs", img->fs);
	srfs_json_add_bool(o, "sealed", img->sealed);
	srfs_json_add_bool(o, "active", r->active);
	srfs_json_add_u64(o, "shares", r->shares);
	srfs_json_add_string(o, "label", r->context[0] ? r->context : NULL);
	srfs_json_add_bool(o, "verity", img->verity);
	srfs_json_add_string(o, "root_hash", img->verity ? img->root_hash : NULL);
	if (img->verity_device)
		srfs_json_add_u64(o, "verity_device_id", img->verity_device_id);
	else
		srfs_json_add(o, "verity_device_id", NULL);
	srfs_json_add_string(o, "verity_file", img->verity_file);
	srfs_json_add_bool(o, "corrupted", r->corrupted);
	srfs_json_add_u64(o, "created", img->created);
	srfs_json_append(userdata, o);
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
	const char *pool;
	if ((r = srfs_cli_name_argument(argc, argv, "pool", false, &pool)) != 0)
		return r;
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;

	if (json) {
		struct srfs_json *top = srfs_json_object();
		struct srfs_json *images = srfs_json_array();
		srfs_json_add(top, "images", images);
		r = srfs_image_report(pool, add_json, images);
		if (r < 0)
			srfs_json_free(top);
		else
			srfs_json_print_and_free(top);
	} else {
		unsigned rows = 0;
		r = srfs_image_report(pool, print_row, &rows);
	}
	return r < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
