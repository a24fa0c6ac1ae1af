/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "json.h"

#define J(x) ((struct json_object *)(x))

static struct json_object *must(struct json_object *o)
{
	if (!o) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return o;
}

struct srfs_json *srfs_json_object(void)
{
	return (struct srfs_json *)must(json_object_new_object());
}

struct srfs_json *srfs_json_array(void)
{
	return (struct srfs_json *)must(json_object_new_array());
}

void srfs_json_add_string(struct srfs_json *obj, const char *key, const char *value)
{
	json_object_object_add(J(obj), key, value ? must(json_object_new_string(value)) : NULL);
}

void srfs_json_add_u64(struct srfs_json *obj, const char *key, uint64_t value)
{
	json_object_object_add(J(obj), key, must(json_object_new_uint64(value)));
}

void srfs_json_add_bool(struct srfs_json *obj, const char *key, bool value)
{
	json_object_object_add(J(obj), key, must(json_object_new_boolean(value)));
}

void srfs_json_add(struct srfs_json *obj, const char *key, struct srfs_json *child)
{
	json_object_object_add(J(obj), key, J(child));
}

void srfs_json_append(struct srfs_json *array, struct srfs_json *child)
{
	json_object_array_add(J(array), J(child));
}

void srfs_json_free(struct srfs_json *j)
{
	json_object_put(J(j));
}

int srfs_json_print_and_free(struct srfs_json *j)
{
	const char *s = json_object_to_json_string_ext(
		J(j), JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	int r = printf("%s\n", s) < 0 ? -EIO : 0;
	json_object_put(J(j));
	return r;
}
