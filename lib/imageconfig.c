/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "imageconfig.h"
#include "log.h"
#include "sha256.h"
#include "util.h"

/* Larger than any config a registry takes; the layout reader allows 4 MiB. */
#define CONFIG_MAX (16u << 20)

int srfs_image_config_load(int catalog_fd, const struct srfs_image *img, char **json,
			   size_t *len)
{
	_cleanup_close_ int dir = -1;
	_cleanup_free_ char *buf = NULL;
	char digest[SRFS_DIGEST_MAX + 1];
	int r;

	if (!img->config[0])
		return -ENOENT;
	dir = openat(catalog_fd, SRFS_CONFIGS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0 && errno != ENOENT)
		return log_errno(negative_errno(), "cannot open the OCI configs in the catalog");
	r = dir < 0 ? -ENOENT : srfs_read_file_at(dir, img->name, CONFIG_MAX, &buf, len);
	if (r == 0)
		r = srfs_sha256_buffer(buf, *len, digest);
	if (r == -ENOENT || (r == 0 && !streq(digest, img->config))) {
		log_error("the OCI config of image %s is missing or does not match its digest %s",
			  img->name, img->config);
		return -EBADMSG;
	}
	if (r < 0)
		return log_errno(r, "cannot read the OCI config of image %s", img->name);
	*json = TAKE_PTR(buf);
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void srfs_image_config_clear(struct srfs_image_config *c)
{
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	strv_free(c->exposed_ports);
	strv_free(c->labels);
	free(c->working_dir);
	free(c->user);
	*c = (struct srfs_image_config){ 0 };
}

/* An array of strings: NULL when absent or null, -EBADMSG when of another shape. */
static int string_array(struct json_object *o, const char *key, char ***out)
{
	struct json_object *v;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return -EBADMSG;
	n = json_object_array_length(v);
	*out = calloc(n + 1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string))
			return -EBADMSG;
		if (!((*out)[i] = strdup(json_object_get_string(e))))
			return -ENOMEM;
	}
	return 0;
}

static int string_value(struct json_object *o, const char *key, char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EBADMSG;
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : -ENOMEM;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of an object (with "=VALUE" when VALUES), sorted; -EBADMSG for other shapes. */
static int object_keys(struct json_object *o, const char *key, bool values, char ***out)
{
	struct json_object *v;
	size_t n = 0;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return -EBADMSG;
	*out = calloc((size_t)json_object_object_length(v) + 1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	json_object_object_foreach(v, k, val)
	{
		if (values && !json_object_is_type(val, json_type_string))
			return -EBADMSG;
		if (asprintf(&(*out)[n], "%s%s%s", k, values ? "=" : "",
			     values ? json_object_get_string(val) : "") < 0) {
			(*out)[n] = NULL;
			return -ENOMEM;
		}
		n++;
	}
	qsort(*out, n, sizeof(char *), compare_strings);
	return 0;
}

int srfs_image_config_parse(const char *json, size_t len, struct srfs_image_config *c)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	struct json_object *root = NULL, *config = NULL;
	int r = -EBADMSG;

	*c = (struct srfs_image_config){ 0 };
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (root && json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_is_type(root, json_type_object)) {
		/* An image without one has no "config" member: nothing to run it with. */
		if (!json_object_object_get_ex(root, "config", &config) ||
		    json_object_is_type(config, json_type_null))
			r = 0;
		else if (json_object_is_type(config, json_type_object)) {
			r = string_array(config, "Entrypoint", &c->entrypoint);
			if (r == 0)
				r = string_array(config, "Cmd", &c->cmd);
			if (r == 0)
				r = string_array(config, "Env", &c->env);
			if (r == 0)
				r = string_value(config, "WorkingDir", &c->working_dir);
			if (r == 0)
				r = string_value(config, "User", &c->user);
			if (r == 0)
				r = object_keys(config, "ExposedPorts", false, &c->exposed_ports);
			if (r == 0)
				r = object_keys(config, "Labels", true, &c->labels);
		}
	}
	json_object_put(root);
	json_tokener_free(tok);
	if (r < 0)
		srfs_image_config_clear(c);
	return r;
}
