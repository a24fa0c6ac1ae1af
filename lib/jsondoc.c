/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>

#include "jsondoc.h"

struct json_object *srfs_jsondoc_parse(const char *buf, size_t len, size_t max)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	struct json_object *o;

	if (!tok || len > max || len > INT32_MAX) {
		json_tokener_free(tok);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}
