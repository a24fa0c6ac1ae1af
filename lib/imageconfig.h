/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI config an image was made from (image-create --from-oci): kept
 * verbatim in the catalog, read back checked against the digest in the
 * image's record, and the parts a container is run with.
 */
#pragma once

#include <stddef.h>

#include "catalog.h"

/*
 * Reads the OCI config of IMG: -ENOENT (not logged) when IMG has none,
 * -EBADMSG (logged) when it is missing or does not match its digest.
 */
int srfs_image_config_load(int catalog_fd, const struct srfs_image *img, char **json,
			   size_t *len);

/* The parts of a config that say how to run the image; NULL or empty when absent. */
struct srfs_image_config {
	char **entrypoint;    /* NULL-terminated */
	char **cmd;
	char **env;           /* "NAME=VALUE" */
	char *working_dir;
	char *user;
	char **exposed_ports; /* "80/tcp", sorted */
	char **labels;        /* "KEY=VALUE", sorted by key */
};

/* Parses the config JSON (LEN bytes); -EBADMSG when it is not a config object. */
int srfs_image_config_parse(const char *json, size_t len, struct srfs_image_config *c);
void srfs_image_config_clear(struct srfs_image_config *c);
