/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsondoc.h"
#include "log.h"
#include "macro.h"
#include "oci.h"
#include "record.h"
#include "util.h"
#include "wrapper-config.h"

/* Member KEY of the object O: NULL when absent or null; *BAD when it is not of TYPE. */
static struct json_object *member(struct json_object *o, const char *key, json_type type,
				  bool *bad)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, type)) {
		*bad = true;
		return NULL;
	}
	return v;
}

/* Annotation KEY ("%s.%s" of BASE and NAME when NAME): its string, or NULL. */
static int annotation(const char *what, struct json_object *annotations, const char *base,
		      const char *name, const char **out)
{
	char key[512];
	bool bad = false;

	if (name)
		snprintf(key, sizeof(key), "%s.%s", base, name);
	else
		snprintf(key, sizeof(key), "%s", base);
	struct json_object *v = member(annotations, key, json_type_string, &bad);
	if (bad) {
		log_error("%s: annotation %s is not a string", what, key);
		return -EINVAL;
	}
	*out = v ? json_object_get_string(v) : NULL;
	return 0;
}

/* Which image and mode the annotations ask for (none for a pod's sandbox). */
static int read_annotations(const char *what, struct srfs_wrapper_config *c)
{
	static const char *const name_keys[] = { "io.kubernetes.cri.container-name",
						 "io.kubernetes.container.name" };
	static const char *const type_keys[] = { "io.kubernetes.cri.container-type",
						 "io.kubernetes.cri-o.ContainerType" };
	bool bad = false;
	const char *v;
	int r;

	struct json_object *a = member(c->doc, "annotations", json_type_object, &bad);
	if (bad) {
		log_error("%s: annotations is not an object", what);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(type_keys); i++) {
		if ((r = annotation(what, a, type_keys[i], NULL, &v)) < 0)
			return r;
		if (v && streq(v, "sandbox"))
			return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(name_keys) && !c->name; i++)
		if ((r = annotation(what, a, name_keys[i], NULL, &c->name)) < 0)
			return r;
	if (c->name) {
		if ((r = annotation(what, a, SRFS_ANNOTATION_IMAGE, c->name, &c->image)) < 0 ||
		    (r = annotation(what, a, SRFS_ANNOTATION_MODE, c->name, &c->mode)) < 0)
			return r;
	}
	if (!c->image && (r = annotation(what, a, SRFS_ANNOTATION_IMAGE, NULL, &c->image)) < 0)
		return r;
	if (c->image && !c->mode && (r = annotation(what, a, SRFS_ANNOTATION_MODE, NULL, &c->mode)) < 0)
		return r;
	return 0;
}

static int read_root(const char *what, struct srfs_wrapper_config *c)
{
	bool bad = false;
	struct json_object *root = member(c->doc, "root", json_type_object, &bad);
	struct json_object *path = member(root, "path", json_type_string, &bad);
	struct json_object *ro = member(root, "readonly", json_type_boolean, &bad);

	if (bad) {
		log_error("%s: root, root.path or root.readonly is of the wrong type", what);
		return -EINVAL;
	}
	if (!path || !*json_object_get_string(path)) {
		log_error("%s: no root.path", what);
		return -EINVAL;
	}
	c->root_path = json_object_get_string(path);
	c->readonly = ro && json_object_get_boolean(ro);
	return 0;
}

/* A 32-bit id of a mapping entry. */
static bool id_member(struct json_object *e, const char *key, uint32_t *out)
{
	bool bad = false;
	struct json_object *v = member(e, key, json_type_int, &bad);
	if (!v)
		return false;
	errno = 0;
	int64_t n = json_object_get_int64(v);
	if (errno || n < 0 || n > UINT32_MAX)
		return false;
	*out = (uint32_t)n;
	return true;
}

/* linux.uidMappings or gidMappings (KEY) as "P:INSIDE:OUTSIDE:COUNT" entries into TEXT. */
static int append_mappings(const char *what, struct json_object *linux_, const char *key,
			   char prefix, char *text, size_t size)
{
	bool bad = false;
	struct json_object *m = member(linux_, key, json_type_array, &bad);
	size_t n = m ? json_object_array_length(m) : 0;

	if (n == 0) {
		log_error("%s: a user namespace without linux.%s", what, key);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(m, i);
		uint32_t inside, outside, count;
		size_t len = strlen(text);
		if (!json_object_is_type(e, json_type_object) || !id_member(e, "containerID", &inside) ||
		    !id_member(e, "hostID", &outside) || !id_member(e, "size", &count)) {
			log_error("%s: linux.%s[%zu] is not a mapping of 32-bit ids", what, key, i);
			return -EINVAL;
		}
		if ((size_t)snprintf(text + len, size - len, "%s%c:%u:%u:%u", len ? " " : "", prefix,
				     inside, outside, count) >= size - len) {
			log_error("%s: linux.%s has too many entries", what, key);
			return -EINVAL;
		}
	}
	return 0;
}

/* With a user namespace in linux.namespaces: its id map, from the mappings or its path. */
static int read_userns(const char *what, struct srfs_wrapper_config *c)
{
	bool bad = false;
	struct json_object *linux_ = member(c->doc, "linux", json_type_object, &bad);
	struct json_object *ns = member(linux_, "namespaces", json_type_array, &bad);
	struct json_object *user = NULL;

	for (size_t i = 0; ns && i < json_object_array_length(ns); i++) {
		struct json_object *e = json_object_array_get_idx(ns, i);
		struct json_object *type = member(e, "type", json_type_string, &bad);
		if (type && streq(json_object_get_string(type), "user"))
			user = e;
	}
	if (bad) {
		log_error("%s: linux or linux.namespaces is of the wrong type", what);
		return -EINVAL;
	}
	if (!user)
		return 0;
	struct json_object *path = member(user, "path", json_type_string, &bad);
	if (path && *json_object_get_string(path)) {
		c->idmap = strdup(json_object_get_string(path));
		return c->idmap ? 0 : log_errno(-ENOMEM, "%s", what);
	}
	/* Two maps of up to 340 entries of "u:4294967295:4294967295:4294967295 ". */
	size_t size = 2 * 340 * 40;
	_cleanup_free_ char *text = calloc(1, size);
	if (!text)
		return log_errno(-ENOMEM, "%s", what);
	int r = append_mappings(what, linux_, "uidMappings", 'u', text, size);
	if (r == 0)
		r = append_mappings(what, linux_, "gidMappings", 'g', text, size);
	if (r < 0)
		return r;
	c->idmap = TAKE_PTR(text);
	return 0;
}

int srfs_wrapper_config_load(int dir_fd, const char *name, const char *what,
			     struct srfs_wrapper_config *c)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	*c = (struct srfs_wrapper_config){ 0 };
	r = srfs_read_file_at(dir_fd, name, SRFS_OCI_JSON_MAX, &text, &len);
	if (r == -ENOENT)
		return r;
	if (r == -ELOOP)
		return log_errno(r, "%s: a symbolic link is not read", what);
	if (r == -EBADF)
		return log_errno(-EINVAL, "%s: not a regular file", what);
	if (r == -EFBIG) {
		log_error("%s: larger than %u bytes", what, SRFS_OCI_JSON_MAX);
		return r;
	}
	if (r < 0)
		return log_errno(r, "cannot read %s", what);
	/* Not ours: the runtime reads it (and says what is wrong with it, if anything). */
	if (!memmem(text, len, SRFS_ANNOTATION_PREFIX, strlen(SRFS_ANNOTATION_PREFIX)))
		return 0;
	c->doc = srfs_jsondoc_parse(text, len, SRFS_OCI_JSON_MAX);
	if (!c->doc) {
		log_error("%s: not a JSON object", what);
		return -EINVAL;
	}
	if ((r = read_annotations(what, c)) < 0)
		return r;
	if (!c->image)
		return 0;
	if ((r = read_root(what, c)) < 0 || (r = read_userns(what, c)) < 0)
		return r;
	return 0;
}

void srfs_wrapper_config_clear(struct srfs_wrapper_config *c)
{
	if (c->doc)
		json_object_put(c->doc);
	free(c->idmap);
	*c = (struct srfs_wrapper_config){ 0 };
}

static const char *orig_name(char buf[static PATH_MAX], const char *name)
{
	snprintf(buf, PATH_MAX, "%s" SRFS_CONFIG_ORIG, name);
	return buf;
}

int srfs_wrapper_config_rewrite(int dir_fd, const char *name, const char *what,
				struct srfs_wrapper_config *c, const char *root_path, ino_t *ino)
{
	char orig[PATH_MAX];
	struct json_object *root, *path;
	struct stat st;
	int r;

	/* Rewritten before (a create that did not finish): NAME.orig is the original. */
	orig_name(orig, name);
	bool again = streq(c->root_path, root_path) &&
		     fstatat(dir_fd, orig, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!json_object_object_get_ex(c->doc, "root", &root) ||
	    !(path = json_object_new_string(root_path)))
		return log_errno(-ENOMEM, "cannot rewrite %s", what);
	json_object_object_add(root, "path", path);
	c->root_path = root_path;
	const char *text = json_object_to_json_string_ext(c->doc, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return log_errno(-ENOMEM, "cannot rewrite %s", what);
	/* The original stays, as NAME.orig: the same file, linked there first. */
	if (!again && unlinkat(dir_fd, orig, 0) < 0 && errno != ENOENT)
		return log_errno(negative_errno(), "cannot replace %s" SRFS_CONFIG_ORIG, what);
	if (!again && linkat(dir_fd, name, dir_fd, orig, 0) < 0)
		return log_errno(negative_errno(), "cannot keep %s as %s" SRFS_CONFIG_ORIG, what, what);
	r = srfs_file_replace(dir_fd, name, text, strlen(text), SRFS_RECORD_DURABLE);
	if (r < 0) {
		if (!again)
			unlinkat(dir_fd, orig, 0);
		return log_errno(r, "cannot rewrite %s", what);
	}
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return log_errno(negative_errno(), "cannot rewrite %s", what);
	*ino = st.st_ino;
	return 0;
}
