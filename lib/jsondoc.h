/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading JSON documents (json-c): OCI blobs, a bundle's config.json. */
#pragma once

#include <stddef.h>

struct json_object;

/*
 * Parses LEN bytes of BUF: a whole JSON document of at most MAX bytes whose
 * top is an object, with nothing after it, nested at most 32 deep.  NULL
 * when it is not one (or out of memory).
 */
struct json_object *srfs_jsondoc_parse(const char *buf, size_t len, size_t max);
