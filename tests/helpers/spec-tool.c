/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spec-tool - the configuration lib/spec.c makes for an OCI image config,
 * for tests/bundle.bats: pool images with OCI configs need device-mapper,
 * and the host has none, so the host suite hands configs to the library
 * through this driver (the guest suite runs the whole tool).
 *
 *   spec-tool CONFIG ROOT [--readonly] [--idmap RANGES] [-- COMMAND...]
 *
 * CONFIG: an OCI image config (JSON), or "-" for an image without one;
 * ROOT: the directory whose etc/passwd and etc/group user names are
 * resolved in ("-": none).  Writes the configuration to ./config.json the
 * way rootfs-bundle does; exits 1 with the library's message on failure.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "idmap.h"
#include "imageconfig.h"
#include "log.h"
#include "spec.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct srfs_image_config config = { 0 };
	static struct srfs_idmap map;
	struct json_object *spec = NULL;
	_cleanup_free_ char *json = NULL;
	_cleanup_close_ int root = -1, dir = -1;
	char err[256];
	size_t len = 0;

	srfs_log_init("spec-tool");
	if (argc < 3) {
		fprintf(stderr, "usage: spec-tool CONFIG ROOT [--readonly] [--idmap RANGES] "
				"[-- COMMAND...]\n");
		return 2;
	}
	struct srfs_spec_options o = { .image = "test", .root_path = "rootfs", .hostname = "ct",
				       .rootfs_fd = -1 };
	for (int i = 3; i < argc; i++) {
		if (streq(argv[i], "--readonly")) {
			o.readonly = true;
		} else if (streq(argv[i], "--idmap") && i + 1 < argc) {
			if (srfs_idmap_parse(argv[++i], &map, err, sizeof(err)) < 0) {
				fprintf(stderr, "spec-tool: %s\n", err);
				return 1;
			}
			o.idmap = &map;
		} else if (streq(argv[i], "--")) {
			o.command = argv + i + 1;
			break;
		} else {
			fprintf(stderr, "spec-tool: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (!streq(argv[1], "-")) {
		if (srfs_read_file_at(AT_FDCWD, argv[1], 4u << 20, &json, &len) < 0 ||
		    srfs_image_config_parse(json, len, &config) < 0) {
			fprintf(stderr, "spec-tool: cannot read the config %s\n", argv[1]);
			return 1;
		}
		o.config = &config;
	}
	if (!streq(argv[2], "-") &&
	    (root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror(argv[2]);
		return 1;
	}
	o.rootfs_fd = root;
	dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = srfs_spec_build(&o, &spec);
	if (r == 0)
		r = srfs_spec_write(dir, ".", "config.json", spec);
	json_object_put(spec);
	srfs_image_config_clear(&config);
	return r < 0 ? 1 : 0;
}
