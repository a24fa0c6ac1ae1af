/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI image layout reader: index.json, a manifest and a config from an
 * untrusted layout.  The first byte of the input says which document the
 * rest is (0: index.json, 1: the manifest, 2: the config); the others are
 * written valid around it, with the digests and sizes that reach it, so
 * every document is parsed past its digest check.  An accepted image has
 * 1 to SRFS_OCI_LAYERS_MAX layers, each with checked digests and a chain
 * id, and the first layer's chain id is its diff id.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"
#include "oci.h"
#include "sha256.h"

static char layout[64];

static void quiet(void *userdata, enum srfs_log_level level, const char *prog,
		  const char *message, int error)
{
	(void)userdata, (void)level, (void)prog, (void)message, (void)error;
}

/* The blobs this input wrote, removed after it: the layout stays small. */
static char written[3][128];
static unsigned n_written;

static void write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", layout, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* Writes DATA as a blob; its digest into DIGEST. */
static void write_blob(const void *data, size_t len, char digest[SRFS_DIGEST_MAX + 1])
{
	char name[128];
	if (srfs_sha256_buffer(data, len, digest) < 0)
		abort();
	snprintf(name, sizeof(name), "blobs/sha256/%s", srfs_digest_hex(digest));
	write_file(name, data, len);
	snprintf(written[n_written++], sizeof(written[0]), "%s/%s", layout, name);
}

static void remove_layout(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", layout);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz-oci: cannot remove %s\n", layout);
}

static void setup(void)
{
	char path[128];
	snprintf(layout, sizeof(layout), "/tmp/fuzz-oci.XXXXXX");
	if (!mkdtemp(layout))
		abort();
	snprintf(path, sizeof(path), "%s/blobs", layout);
	if (mkdir(path, 0700) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/blobs/sha256", layout);
	if (mkdir(path, 0700) < 0)
		abort();
	atexit(remove_layout);
	write_file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	srfs_log_set_handler(quiet, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char config_default[] =
		"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
		"0000000000000000000000000000000000000000000000000000000000000000\"]}}";
	static bool ready;
	struct srfs_oci_image img;
	char config[SRFS_DIGEST_MAX + 1], manifest[SRFS_DIGEST_MAX + 1];
	char *doc, *text = NULL;
	size_t len;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	doc = fuzz_string(data + 1, size - 1);
	len = size - 1;

	if (data[0] % 3 == 0) {
		write_file("index.json", doc, len);
	} else {
		const char *cdoc = data[0] % 3 == 2 ? doc : config_default;
		size_t clen = data[0] % 3 == 2 ? len : sizeof(config_default) - 1;
		write_blob(cdoc, clen, config);
		if (data[0] % 3 == 1) {
			write_blob(doc, len, manifest);
		} else if (asprintf(&text, "{\"schemaVersion\":2,\"config\":{\"mediaType\":"
				    "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
				    "\"size\":%zu},\"layers\":[{\"mediaType\":"
				    "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\","
				    "\"size\":1}]}", config, clen, config) < 0) {
			abort();
		} else {
			write_blob(text, strlen(text), manifest);
			len = strlen(text);
			free(text);
		}
		if (asprintf(&text, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
			     "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
			     "\"size\":%zu}]}", manifest, len) < 0)
			abort();
		write_file("index.json", text, strlen(text));
		free(text);
	}

	if (srfs_oci_image_open(layout, "linux/amd64", &img) == 0) {
		FUZZ_ASSERT(img.n_layers >= 1 && img.n_layers <= SRFS_OCI_LAYERS_MAX);
		FUZZ_ASSERT(srfs_digest_check(img.manifest) == 0);
		FUZZ_ASSERT(srfs_digest_check(img.config) == 0);
		FUZZ_ASSERT(strcmp(img.layers[0].chain_id, img.layers[0].diff_id) == 0);
		for (size_t i = 0; i < img.n_layers; i++) {
			FUZZ_ASSERT(srfs_digest_check(img.layers[i].digest) == 0);
			FUZZ_ASSERT(srfs_digest_check(img.layers[i].diff_id) == 0);
			FUZZ_ASSERT(srfs_digest_check(img.layers[i].chain_id) == 0);
		}
		srfs_oci_image_clear(&img);
	}
	for (unsigned i = 0; i < n_written; i++)
		unlink(written[i]);
	n_written = 0;
	free(doc);
	return 0;
}
