/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading an OCI image layout (the directory skopeo and umoci write): its
 * oci-layout file, index.json (nested indexes too), one image's manifest
 * and config.  Docker's schema 2 manifests and manifest lists are read as
 * well.  Every blob read here is checked against its descriptor's digest
 * and size before anything in it is believed; layers are only described
 * (their digests are checked while they are unpacked, populate.h).
 *
 * Blobs are opened below the layout's directory without passing a symbolic
 * link, and no JSON document may exceed SRFS_OCI_JSON_MAX bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define SRFS_OCI_JSON_MAX (4u << 20)
#define SRFS_OCI_LAYERS_MAX 256
#define SRFS_OCI_REF_MAX 255

enum srfs_oci_compression {
	SRFS_OCI_TAR,
	SRFS_OCI_GZIP,
	SRFS_OCI_ZSTD,
};

struct srfs_oci_layer {
	char digest[SRFS_DIGEST_MAX + 1];   /* of the blob as stored */
	char diff_id[SRFS_DIGEST_MAX + 1];  /* of the uncompressed tar (the config's) */
	char chain_id[SRFS_DIGEST_MAX + 1]; /* this layer and every one below it */
	uint64_t size;                      /* the blob's size */
	enum srfs_oci_compression compression;
};

struct srfs_oci_image {
	int dir_fd;        /* the layout's directory */
	char *layout;      /* its path, as given */
	char *ref;         /* the REF asked for or found; NULL when none */
	char manifest[SRFS_DIGEST_MAX + 1];
	char config[SRFS_DIGEST_MAX + 1];
	char *config_json; /* the config blob, verbatim, NUL-terminated */
	size_t config_len;
	size_t n_layers;
	struct srfs_oci_layer *layers; /* lowest first */
};

#define SRFS_OCI_IMAGE_INIT { .dir_fd = -1 }

/*
 * Reads the image SPEC names: "LAYOUT" or "LAYOUT:REF".  SPEC is LAYOUT
 * alone when it is a directory; else LAYOUT is its shortest prefix before a
 * ':' that is one (a REF may hold ':' itself, "docker.io/x:1.0").  REF selects an entry of index.json by its
 * org.opencontainers.image.ref.name annotation; without it the index must
 * name one image.  From an index of several platforms the manifest for
 * PLATFORM ("os/architecture[/variant]"; NULL: this machine's) is taken.
 * Every failure is logged in one line.
 */
int srfs_oci_image_open(const char *spec, const char *platform, struct srfs_oci_image *img);
void srfs_oci_image_clear(struct srfs_oci_image *img);

/* Opens the blob DIGEST of the layout for reading; logged failures. */
int srfs_oci_blob_open(const struct srfs_oci_image *img, const char *digest);

/* This machine's platform as OCI names it ("linux/amd64", "linux/arm/v7"). */
const char *srfs_oci_platform(void);

const char *srfs_oci_compression_name(enum srfs_oci_compression c);
