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
	printf("Usage: %s [POOL] [--layers] [--json]\n"
	       "\n"
	       "Show every image in the catalog, or those of the pool POOL: name, pool, thin\n"
	       "device id, parent, size, file system, the OCI name and manifest it was made\n"
	       "from, whether it has a dm-verity hash tree (\"corrupted\" once its verity\n"
	       "target found a block that does not match), whether it is sealed and active,\n"
	       "how many containers share it, and the SELinux label it is active with;\n"
	       "--json adds the root hash.  Images registered from an existing file or\n"
	       "device show \"file\" or \"block\" in place of a pool.\n"
	       "\n"
	       "Options:\n"
	       "      --layers               show the OCI layers instead: chain id, diff id,\n"
	       "                             pool, thin device id, the layer below, the size of\n"
	       "                             its tar stream and how many images and layers use it\n"
	       "      --json                 print JSON instead of a table\n" SRFS_COMMON_HELP,
	       srfs_log_prog());
}

static int print_row(const struct srfs_image_report *r, void *userdata)
{
	const struct srfs_image *img = r->image;
	unsigned *rows = userdata;
	char size[32], id[24];

	if ((*rows)++ == 0)
		printf("%-24s %-16s %6s %-24s %7s %-8s %-24s %-12s %-9s %6s %6s %6s  %s\n", "IMAGE",
		       "POOL", "ID", "PARENT", "SIZE", "FS", "REF", "MANIFEST", "VERITY", "SEALED",
		       "ACTIVE", "SHARES", "LABEL");
	if (img->kind == SRFS_IMAGE_POOL)
		snprintf(id, sizeof(id), "%" PRIu64, img->device_id);
	else
		snprintf(id, sizeof(id), "-");
	printf("%-24s %-16s %6s %-24s %7s %-8s %-24s %-12.12s %-9s %6s %6s %6u  %s\n", img->name,
	       img->kind == SRFS_IMAGE_POOL ? img->pool : srfs_image_kind_name(img->kind), id,
	       img->parent[0] ? img->parent : "-", srfs_size_format(size, sizeof(size), img->size),
	       img->fs, img->ref ? img->ref : "-",
	       img->manifest[0] ? srfs_digest_hex(img->manifest) : "-",
	       !img->verity ? "no" : r->corrupted ? "corrupted" : "yes", img->sealed ? "yes" : "no",
	       r->active ? "yes" : "no", r->shares, r->context[0] ? r->context : "-");
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
	srfs_json_add_string(o, "ref", img->ref);
	srfs_json_add_string(o, "manifest", img->manifest[0] ? img->manifest : NULL);
	srfs_json_add_string(o, "config", img->config[0] ? img->config : NULL);
	srfs_json_append(userdata, o);
	return 0;
}

/* ---- --layers ------------------------------------------------------------------------- */

/* The chain id of the layer below LAYER (its record's name is a key): "" when none. */
static const char *parent_chain(const struct srfs_image *layer, char *buf, size_t size)
{
	_cleanup_(srfs_image_clear) struct srfs_image parent = { 0 };
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;

	buf[0] = '\0';
	if (layer->parent[0] && srfs_state_open(&st, SRFS_STATE_CATALOG) == 0 &&
	    srfs_image_load_record(st.catalog_fd, layer->parent, SRFS_CLASS_LAYER, &parent) == 0)
		snprintf(buf, size, "%s", parent.chain_id);
	return buf;
}

static int print_layer(const struct srfs_image *l, unsigned users, void *userdata)
{
	unsigned *rows = userdata;
	char size[32], parent[SRFS_DIGEST_MAX + 1];

	if ((*rows)++ == 0)
		printf("%-19s %-19s %-16s %6s %-19s %7s %6s %5s\n", "CHAIN ID", "DIFF ID", "POOL",
		       "ID", "PARENT", "SIZE", "SEALED", "USERS");
	parent_chain(l, parent, sizeof(parent));
	printf("%-19.19s %-19.19s %-16s %6" PRIu64 " %-19.19s %7s %6s %5u\n", l->chain_id,
	       l->diff_id, l->pool, l->device_id, parent[0] ? parent : "-",
	       srfs_size_format(size, sizeof(size), l->tar_size), l->sealed ? "yes" : "no", users);
	return 0;
}

static int add_layer_json(const struct srfs_image *l, unsigned users, void *userdata)
{
	struct srfs_json *o = srfs_json_object();
	char parent[SRFS_DIGEST_MAX + 1];

	parent_chain(l, parent, sizeof(parent));
	srfs_json_add_string(o, "chain_id", l->chain_id);
	srfs_json_add_string(o, "diff_id", l->diff_id);
	srfs_json_add_string(o, "pool", l->pool);
	srfs_json_add_u64(o, "device_id", l->device_id);
	srfs_json_add_string(o, "parent", parent[0] ? parent : NULL);
	srfs_json_add_u64(o, "size", l->tar_size);
	srfs_json_add_string(o, "fs", l->fs);
	srfs_json_add_bool(o, "sealed", l->sealed);
	srfs_json_add_u64(o, "users", users);
	srfs_json_add_u64(o, "created", l->created);
	srfs_json_append(userdata, o);
	return 0;
}

enum { OPT_JSON = 256, OPT_LAYERS };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "layers", no_argument, NULL, OPT_LAYERS },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	bool json = false, layers = false;
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
		case OPT_LAYERS:
			layers = true;
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
		struct srfs_json *list = srfs_json_array();
		srfs_json_add(top, layers ? "layers" : "images", list);
		r = layers ? srfs_layer_report(pool, add_layer_json, list)
			   : srfs_image_report(pool, add_json, list);
		if (r < 0)
			srfs_json_free(top);
		else
			srfs_json_print_and_free(top);
	} else {
		unsigned rows = 0;
		r = layers ? srfs_layer_report(pool, print_layer, &rows)
			   : srfs_image_report(pool, print_row, &rows);
	}
	return r < 0 ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
