/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "log.h"
#include "macro.h"
#include "jsondoc.h"
#include "oci.h"
#include "util.h"

#define REF_ANNOTATION "org.opencontainers.image.ref.name"
/* Indexes inside indexes: more than this is a loop or an attack. */
#define MAX_INDEX_DEPTH 4

/*
 * S, from the layout, fit for a message: control bytes and quotes escaped,
 * cut at 80 bytes.  (One line per fault, whatever a hostile layout holds.)
 */
static const char *shown(char buf[96], const char *s)
{
	return srfs_quote(buf, 96, s);
}

/* ---- media types ------------------------------------------------------------------- */

enum blob_kind { KIND_INDEX, KIND_MANIFEST, KIND_CONFIG, KIND_LAYER, KIND_UNKNOWN };

static const struct media_type {
	const char *name;
	enum blob_kind kind;
	enum srfs_oci_compression compression; /* layers */
} media_types[] = {
	{ "application/vnd.oci.image.index.v1+json", KIND_INDEX, 0 },
	{ "application/vnd.docker.distribution.manifest.list.v2+json", KIND_INDEX, 0 },
	{ "application/vnd.oci.image.manifest.v1+json", KIND_MANIFEST, 0 },
	{ "application/vnd.docker.distribution.manifest.v2+json", KIND_MANIFEST, 0 },
	{ "application/vnd.oci.image.config.v1+json", KIND_CONFIG, 0 },
	{ "application/vnd.docker.container.image.v1+json", KIND_CONFIG, 0 },
	{ "application/vnd.oci.image.layer.v1.tar", KIND_LAYER, SRFS_OCI_TAR },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", KIND_LAYER, SRFS_OCI_GZIP },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", KIND_LAYER, SRFS_OCI_ZSTD },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar", KIND_LAYER, SRFS_OCI_TAR },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", KIND_LAYER, SRFS_OCI_GZIP },
	{ "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", KIND_LAYER, SRFS_OCI_ZSTD },
	{ "application/vnd.docker.image.rootfs.diff.tar", KIND_LAYER, SRFS_OCI_TAR },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", KIND_LAYER, SRFS_OCI_GZIP },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", KIND_LAYER, SRFS_OCI_GZIP },
};

static const struct media_type *media_type(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(media_types); i++)
		if (streq(name, media_types[i].name))
			return &media_types[i];
	return NULL;
}

const char *srfs_oci_compression_name(enum srfs_oci_compression c)
{
	return c == SRFS_OCI_GZIP ? "gzip" : c == SRFS_OCI_ZSTD ? "zstd" : "none";
}

/* ---- the platform -------------------------------------------------------------------- */

const char *srfs_oci_platform(void)
{
	static const struct {
		const char *machine, *platform;
	} arches[] = {
		{ "x86_64", "linux/amd64" },   { "aarch64", "linux/arm64" },
		{ "armv7l", "linux/arm/v7" },  { "armv6l", "linux/arm/v6" },
		{ "i686", "linux/386" },       { "i386", "linux/386" },
		{ "ppc64le", "linux/ppc64le" }, { "s390x", "linux/s390x" },
		{ "riscv64", "linux/riscv64" }, { "mips64", "linux/mips64" },
	};
	static char other[80];
	struct utsname u;

	if (uname(&u) < 0)
		return "linux/unknown";
	for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
		if (streq(u.machine, arches[i].machine))
			return arches[i].platform;
	snprintf(other, sizeof(other), "linux/%s", u.machine);
	return other;
}

/* ---- JSON ---------------------------------------------------------------------------- */

static struct json_object *member(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *string_member(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key, json_type_string);
	return v ? json_object_get_string(v) : NULL;
}

/* ---- blobs ------------------------------------------------------------------------------ */

/*
 * Opens the regular file NAME below the layout without passing a symbolic
 * link (-ELOOP), and without blocking on a FIFO or opening a device
 * (-EINVAL: not a regular file).
 */
static int open_beneath(const struct srfs_oci_image *img, const char *name)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, img->dir_fd, name, &how, sizeof(how));
	struct stat s;

	if (fd < 0)
		return negative_errno();
	if (fstat((int)fd, &s) < 0 || !S_ISREG(s.st_mode)) {
		close((int)fd);
		return -EINVAL;
	}
	return (int)fd;
}

int srfs_oci_blob_open(const struct srfs_oci_image *img, const char *digest)
{
	char name[32 + SRFS_DIGEST_MAX];
	int fd;

	snprintf(name, sizeof(name), "blobs/sha256/%s", srfs_digest_hex(digest));
	fd = open_beneath(img, name);
	if (fd == -EINVAL)
		log_error("%s: blob %s is not a regular file", img->layout, digest);
	else if (fd < 0)
		log_errno(fd, "%s: cannot open blob %s", img->layout, digest);
	return fd;
}

/* Reads a whole small file FD (at most MAX bytes; more is -EFBIG). */
static int read_all(int fd, size_t max, char **out, size_t *len)
{
	size_t n = 0, size = 4096;
	char *buf = malloc(size + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == size) {
			if (size > max) {
				free(buf);
				return -EFBIG;
			}
			size *= 2;
			char *grown = realloc(buf, size + 1);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		ssize_t k = read(fd, buf + n, size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int r = negative_errno();
			free(buf);
			return r;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > max) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* A descriptor: media type, digest and size, checked. */
struct descriptor {
	const char *media_type;
	const char *digest;
	uint64_t size;
	const struct media_type *type; /* NULL when unknown */
};

static int read_descriptor(const struct srfs_oci_image *img, struct json_object *o,
			   const char *where, struct descriptor *d)
{
	struct json_object *size = member(o, "size", json_type_int);
	char q[96];
	int r;

	d->media_type = string_member(o, "mediaType");
	d->digest = string_member(o, "digest");
	if (!d->media_type || !d->digest || !size || json_object_get_int64(size) < 0) {
		log_error("%s: %s has a malformed descriptor (mediaType, digest and size are "
			  "needed)", img->layout, where);
		return -EBADMSG;
	}
	d->size = (uint64_t)json_object_get_int64(size);
	r = srfs_digest_check(d->digest);
	if (r == -EOPNOTSUPP) {
		log_error("%s: %s names blob %s of an unsupported digest algorithm (sha256 is "
			  "supported)", img->layout, where, shown(q, d->digest));
		return r;
	}
	if (r < 0) {
		log_error("%s: %s names a malformed digest '%s'", img->layout, where, shown(q, d->digest));
		return r;
	}
	d->type = media_type(d->media_type);
	return 0;
}

/*
 * Reads the JSON blob D, checking its size and digest, and parses it.
 * (WHAT names it in messages: "manifest", "config", "index".)
 */
static int read_json_blob(const struct srfs_oci_image *img, const struct descriptor *d,
			  const char *what, struct json_object **out, char **text, size_t *text_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	char digest[SRFS_DIGEST_MAX + 1];
	size_t len;
	int r;

	if (d->size > SRFS_OCI_JSON_MAX) {
		log_error("%s: %s %s is %" PRIu64 " bytes, more than %u", img->layout, what,
			  d->digest, d->size, SRFS_OCI_JSON_MAX);
		return -EFBIG;
	}
	fd = srfs_oci_blob_open(img, d->digest);
	if (fd < 0)
		return fd;
	r = read_all(fd, SRFS_OCI_JSON_MAX, &buf, &len);
	if (r == -EFBIG || (r == 0 && len != d->size)) {
		log_error("%s: %s %s is not %" PRIu64 " bytes long as its descriptor says "
			  "(truncated or replaced)", img->layout, what, d->digest, d->size);
		return -EBADMSG;
	}
	if (r < 0)
		return log_errno(r, "%s: cannot read %s %s", img->layout, what, d->digest);
	r = srfs_sha256_buffer(buf, len, digest);
	if (r < 0)
		return log_errno(r, "%s: cannot check %s %s", img->layout, what, d->digest);
	if (!streq(digest, d->digest)) {
		log_error("%s: %s %s does not match its digest (it hashes to %s)", img->layout,
			  what, d->digest, digest);
		return -EBADMSG;
	}
	*out = srfs_jsondoc_parse(buf, len, SRFS_OCI_JSON_MAX);
	if (!*out) {
		log_error("%s: %s %s is not a JSON object", img->layout, what, d->digest);
		return -EBADMSG;
	}
	if (text) {
		*text = TAKE_PTR(buf);
		*text_len = len;
	}
	return 0;
}

/* ---- choosing the image ------------------------------------------------------------ */

static bool platform_matches(struct json_object *desc, const char *platform)
{
	struct json_object *p = member(desc, "platform", json_type_object);
	const char *os = string_member(p, "os"), *arch = string_member(p, "architecture");
	const char *variant = string_member(p, "variant");
	char want_os[32] = "", want_arch[32] = "", want_variant[32] = "";

	if (!os || !arch)
		return false;
	sscanf(platform, "%31[^/]/%31[^/]/%31s", want_os, want_arch, want_variant);
	if (!streq(os, want_os) || !streq(arch, want_arch))
		return false;
	/* A variant asked for must match; an entry without one fits any. */
	return !variant || !*want_variant || streq(variant, want_variant);
}

/* Appends "os/arch[/variant]" of each entry of MANIFESTS to LIST (for messages). */
static void list_platforms(struct json_object *manifests, char *list, size_t size)
{
	size_t n = 0;
	list[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(manifests) && n < size; i++) {
		struct json_object *p =
			member(json_object_array_get_idx(manifests, i), "platform", json_type_object);
		const char *os = string_member(p, "os"), *arch = string_member(p, "architecture");
		const char *variant = string_member(p, "variant");
		if (!os || !arch)
			continue;
		char q1[96], q2[96], q3[96];
		n += (size_t)snprintf(list + n, size - n, "%s%.20s/%.20s%s%.20s", n ? ", " : "",
				      shown(q1, os), shown(q2, arch), variant ? "/" : "",
				      variant ? shown(q3, variant) : "");
	}
}

static const char *ref_of(struct json_object *desc)
{
	return string_member(member(desc, "annotations", json_type_object), REF_ANNOTATION);
}

/* A REF as OCI's grammar allows it, and short: anything else is never matched or shown. */
static bool ref_is_valid(const char *ref)
{
	size_t n = strlen(ref);
	if (n == 0 || n > SRFS_OCI_REF_MAX)
		return false;
	for (const char *p = ref; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-._:@/+", *p)))
			return false;
	return true;
}

/* The REFs of the entries of MANIFESTS, for messages. */
static void list_refs(struct json_object *manifests, char *list, size_t size)
{
	size_t n = 0;
	list[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(manifests) && n < size; i++) {
		const char *ref = ref_of(json_object_array_get_idx(manifests, i));
		if (ref && ref_is_valid(ref))
			n += (size_t)snprintf(list + n, size - n, "%s%.80s", n ? ", " : "", ref);
	}
}

static struct json_object *manifests_of(const struct srfs_oci_image *img, struct json_object *index,
					const char *what)
{
	struct json_object *m = member(index, "manifests", json_type_array);
	if (!m)
		log_error("%s: %s has no \"manifests\" list", img->layout, what);
	return m;
}

/*
 * The entry of the top index.json that REF (or, without one, the only entry,
 * or the only one for PLATFORM) names.
 */
static int choose_entry(struct srfs_oci_image *img, struct json_object *manifests,
			const char *platform, struct json_object **entry)
{
	size_t n = json_object_array_length(manifests), found = 0;
	char list[1024];

	*entry = NULL;
	if (img->ref) {
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(manifests, i);
			const char *ref = ref_of(e);
			if (ref && streq(ref, img->ref) && found++ == 0)
				*entry = e;
		}
		if (found == 0) {
			list_refs(manifests, list, sizeof(list));
			if (*list)
				log_error("%s: no image named %s (there are: %s)", img->layout, img->ref,
					  list);
			else
				log_error("%s: no image named %s (its images have no names)", img->layout,
					  img->ref);
			return -ENOENT;
		}
		if (found > 1) {
			log_error("%s: %zu images are named %s", img->layout, found, img->ref);
			return -EINVAL;
		}
		return 0;
	}
	if (n == 1) {
		*entry = json_object_array_get_idx(manifests, 0);
		return 0;
	}
	/* Unnamed entries of several platforms: one image, as an index would list it. */
	list_refs(manifests, list, sizeof(list));
	for (size_t i = 0; !*list && i < n; i++) {
		struct json_object *e = json_object_array_get_idx(manifests, i);
		if (platform_matches(e, platform) && found++ == 0)
			*entry = e;
	}
	if (found == 1)
		return 0;
	if (n == 0) {
		log_error("%s: index.json lists no image", img->layout);
		return -ENOENT;
	}
	log_error("%s holds %zu images: name one as %s:REF%s%s%s", img->layout, n, img->layout,
		  *list ? " (there are: " : "", list, *list ? ")" : "");
	return -EINVAL;
}

/* From the index D (read and checked here) the manifest for PLATFORM, recursively. */
static int resolve(struct srfs_oci_image *img, const struct descriptor *d, const char *platform,
		   unsigned depth, struct json_object **manifest);

static int resolve_index(struct srfs_oci_image *img, const struct descriptor *d,
			 const char *platform, unsigned depth, struct json_object **manifest)
{
	struct json_object *index = NULL, *manifests, *entry = NULL;
	struct descriptor next;
	char list[512];
	int r;

	if (depth >= MAX_INDEX_DEPTH) {
		log_error("%s: indexes nested more than %d deep at %s", img->layout, MAX_INDEX_DEPTH,
			  d->digest);
		return -ELOOP;
	}
	r = read_json_blob(img, d, "index", &index, NULL, NULL);
	if (r < 0)
		return r;
	manifests = manifests_of(img, index, d->digest);
	for (size_t i = 0; manifests && i < json_object_array_length(manifests); i++) {
		struct json_object *e = json_object_array_get_idx(manifests, i);
		if (platform_matches(e, platform)) {
			entry = e;
			break;
		}
	}
	if (manifests && !entry) {
		list_platforms(manifests, list, sizeof(list));
		log_error("%s: no manifest for %s in index %s (there are: %s)", img->layout,
			  platform, d->digest, *list ? list : "none with a platform");
		r = -ENOENT;
	} else if (!manifests) {
		r = -EBADMSG;
	}
	if (r == 0)
		r = read_descriptor(img, entry, "an index entry", &next);
	if (r == 0)
		r = resolve(img, &next, platform, depth + 1, manifest);
	json_object_put(index);
	return r;
}

static int resolve(struct srfs_oci_image *img, const struct descriptor *d, const char *platform,
		   unsigned depth, struct json_object **manifest)
{
	if (d->type && d->type->kind == KIND_INDEX)
		return resolve_index(img, d, platform, depth, manifest);
	if (!d->type || d->type->kind != KIND_MANIFEST) {
		char q[96];
		log_error("%s: unsupported media type %s of blob %s (an image manifest or "
			  "index was expected)", img->layout, shown(q, d->media_type), d->digest);
		return -EOPNOTSUPP;
	}
	snprintf(img->manifest, sizeof(img->manifest), "%s", d->digest);
	return read_json_blob(img, d, "manifest", manifest, NULL, NULL);
}

/* ---- the manifest and the config ------------------------------------------------------ */

static int read_layers(struct srfs_oci_image *img, struct json_object *manifest)
{
	struct json_object *layers = member(manifest, "layers", json_type_array);
	size_t n;

	if (!layers) {
		log_error("%s: manifest %s has no \"layers\" list", img->layout, img->manifest);
		return -EBADMSG;
	}
	n = json_object_array_length(layers);
	if (n == 0 || n > SRFS_OCI_LAYERS_MAX) {
		log_error("%s: manifest %s has %zu layers (1 to %d are supported)", img->layout,
			  img->manifest, n, SRFS_OCI_LAYERS_MAX);
		return -EINVAL;
	}
	img->layers = calloc(n, sizeof(*img->layers));
	if (!img->layers)
		return log_errno(-ENOMEM, "%s: cannot read manifest %s", img->layout, img->manifest);
	img->n_layers = n;
	for (size_t i = 0; i < n; i++) {
		struct srfs_oci_layer *l = &img->layers[i];
		struct descriptor d;
		int r = read_descriptor(img, json_object_array_get_idx(layers, i), "a layer", &d);
		if (r < 0)
			return r;
		if (!d.type || d.type->kind != KIND_LAYER) {
			char q[96];
			log_error("%s: layer %s has an unsupported media type %s", img->layout,
				  d.digest, shown(q, d.media_type));
			return -EOPNOTSUPP;
		}
		snprintf(l->digest, sizeof(l->digest), "%s", d.digest);
		l->size = d.size;
		l->compression = d.type->compression;
	}
	return 0;
}

/* The config's rootfs.diff_ids, one per layer, and the chain ids they make. */
static int read_diff_ids(struct srfs_oci_image *img, struct json_object *config)
{
	struct json_object *rootfs = member(config, "rootfs", json_type_object);
	struct json_object *ids = member(rootfs, "diff_ids", json_type_array);
	const char *type = string_member(rootfs, "type");

	if (!ids || !type || !streq(type, "layers")) {
		log_error("%s: config %s has no rootfs of type \"layers\" with diff_ids",
			  img->layout, img->config);
		return -EBADMSG;
	}
	if (json_object_array_length(ids) != img->n_layers) {
		log_error("%s: config %s lists %zu diff_ids for %zu layers", img->layout,
			  img->config, json_object_array_length(ids), img->n_layers);
		return -EBADMSG;
	}
	for (size_t i = 0; i < img->n_layers; i++) {
		struct srfs_oci_layer *l = &img->layers[i];
		struct json_object *v = json_object_array_get_idx(ids, i);
		const char *id = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
									   : "";
		int r = srfs_digest_check(id);
		if (r < 0) {
			char q[96];
			log_error("%s: config %s: diff_id %zu is %s '%s'", img->layout, img->config,
				  i + 1, r == -EOPNOTSUPP ? "of an unsupported algorithm" : "malformed",
				  shown(q, id));
			return r;
		}
		snprintf(l->diff_id, sizeof(l->diff_id), "%s", id);
		if (i == 0) {
			snprintf(l->chain_id, sizeof(l->chain_id), "%s", id);
			continue;
		}
		/* ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n)) */
		char text[2 * SRFS_DIGEST_MAX + 2];
		snprintf(text, sizeof(text), "%s %s", img->layers[i - 1].chain_id, id);
		r = srfs_sha256_buffer(text, strlen(text), l->chain_id);
		if (r < 0)
			return log_errno(r, "%s: cannot compute chain ids", img->layout);
	}
	return 0;
}

static int read_manifest(struct srfs_oci_image *img, struct json_object *manifest)
{
	struct json_object *config = NULL;
	struct descriptor d;
	int r;

	r = read_descriptor(img, member(manifest, "config", json_type_object),
			    "the manifest's config", &d);
	if (r < 0)
		return r;
	if (!d.type || d.type->kind != KIND_CONFIG) {
		char q[96];
		log_error("%s: config %s has an unsupported media type %s", img->layout,
			  d.digest, shown(q, d.media_type));
		return -EOPNOTSUPP;
	}
	snprintf(img->config, sizeof(img->config), "%s", d.digest);
	r = read_layers(img, manifest);
	if (r == 0)
		r = read_json_blob(img, &d, "config", &config, &img->config_json, &img->config_len);
	if (r == 0)
		r = read_diff_ids(img, config);
	json_object_put(config);
	return r;
}

/* ---- the layout ------------------------------------------------------------------------ */

/* Splits SPEC into the layout and the REF; opens the layout's directory. */
static int open_layout(const char *spec, struct srfs_oci_image *img)
{
	char q[SRFS_QUOTE_MAX];
	int fd = open(spec, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
		return log_errno(negative_errno(), "cannot open %s", srfs_quote(q, sizeof(q), spec));
	for (const char *colon = spec; fd < 0 && (colon = strchr(colon, ':')); colon++) {
		_cleanup_free_ char *dir = strndup(spec, (size_t)(colon - spec));
		if (!dir)
			return -ENOMEM;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!colon[1]) {
			close(fd);
			log_error("%s: empty image name after ':'", srfs_quote(q, sizeof(q), dir));
			return -EINVAL;
		}
		img->layout = TAKE_PTR(dir);
		img->ref = strdup(colon + 1);
		if (!img->ref) {
			close(fd);
			return -ENOMEM;
		}
		if (!ref_is_valid(img->ref)) {
			close(fd);
			log_error("%s: '%s' is not a valid image name", img->layout,
				  srfs_quote(q, sizeof(q), img->ref));
			return -EINVAL;
		}
	}
	if (fd < 0) {
		log_error("%s: no such directory (an OCI image layout, optionally :REF)",
			  srfs_quote(q, sizeof(q), spec));
		return -ENOENT;
	}
	img->dir_fd = fd;
	if (!img->layout && !(img->layout = strdup(spec)))
		return -ENOMEM;
	return 0;
}

/* Reads the small file NAME of the layout as a JSON object. */
static int read_layout_file(const struct srfs_oci_image *img, const char *name,
			    struct json_object **out)
{
	_cleanup_close_ int fd = open_beneath(img, name);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (fd == -ENOENT) {
		log_error("%s is not an OCI image layout: it has no %s", img->layout, name);
		return fd;
	}
	if (fd == -EINVAL) {
		log_error("%s: %s is not a regular file", img->layout, name);
		return fd;
	}
	if (fd < 0)
		return log_errno(fd, "%s: cannot open %s", img->layout, name);
	r = read_all(fd, SRFS_OCI_JSON_MAX, &buf, &len);
	if (r == -EFBIG) {
		log_error("%s: %s is larger than %u bytes", img->layout, name, SRFS_OCI_JSON_MAX);
		return r;
	}
	if (r < 0)
		return log_errno(r, "%s: cannot read %s", img->layout, name);
	*out = srfs_jsondoc_parse(buf, len, SRFS_OCI_JSON_MAX);
	if (!*out) {
		log_error("%s: %s is not a JSON object", img->layout, name);
		return -EBADMSG;
	}
	return 0;
}

static int check_layout_version(const struct srfs_oci_image *img)
{
	struct json_object *o = NULL;
	int r = read_layout_file(img, "oci-layout", &o);
	if (r < 0)
		return r;
	const char *v = string_member(o, "imageLayoutVersion");
	if (!v || strncmp(v, "1.", 2) != 0) {
		char q[96];
		log_error("%s: unsupported image layout version %s (1.x is supported)",
			  img->layout, v ? shown(q, v) : "(none)");
		r = -EOPNOTSUPP;
	}
	json_object_put(o);
	return r;
}

int srfs_oci_image_open(const char *spec, const char *platform, struct srfs_oci_image *img)
{
	struct json_object *index = NULL, *manifest = NULL, *manifests, *entry;
	struct descriptor d;
	int r;

	*img = (struct srfs_oci_image)SRFS_OCI_IMAGE_INIT;
	if (!platform)
		platform = srfs_oci_platform();
	r = open_layout(spec, img);
	if (r == 0)
		r = check_layout_version(img);
	if (r == 0)
		r = read_layout_file(img, "index.json", &index);
	if (r < 0)
		goto out;
	manifests = manifests_of(img, index, "index.json");
	r = manifests ? choose_entry(img, manifests, platform, &entry) : -EBADMSG;
	if (r == 0)
		r = read_descriptor(img, entry, "index.json", &d);
	if (r == 0 && !img->ref && ref_of(entry) && ref_is_valid(ref_of(entry)) &&
	    !(img->ref = strdup(ref_of(entry))))
		r = -ENOMEM;
	if (r == 0)
		r = resolve(img, &d, platform, 0, &manifest);
	if (r == 0)
		r = read_manifest(img, manifest);
out:
	json_object_put(index);
	json_object_put(manifest);
	if (r < 0)
		srfs_oci_image_clear(img);
	return r;
}

void srfs_oci_image_clear(struct srfs_oci_image *img)
{
	closep(&img->dir_fd);
	free(img->layout);
	free(img->ref);
	free(img->config_json);
	free(img->layers);
	*img = (struct srfs_oci_image)SRFS_OCI_IMAGE_INIT;
}
