/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON output through json-c (the only file that includes it). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct srfs_json; /* a json-c object or array */

struct srfs_json *srfs_json_object(void);
struct srfs_json *srfs_json_array(void);
/* Adds to an object; VALUE NULL adds null.  Out of memory aborts the program. */
void srfs_json_add_string(struct srfs_json *obj, const char *key, const char *value);
void srfs_json_add_u64(struct srfs_json *obj, const char *key, uint64_t value);
void srfs_json_add_bool(struct srfs_json *obj, const char *key, bool value);
/* Takes ownership of CHILD. */
void srfs_json_add(struct srfs_json *obj, const char *key, struct srfs_json *child);
void srfs_json_append(struct srfs_json *array, struct srfs_json *child);
void srfs_json_free(struct srfs_json *j);
/* Prints pretty JSON and a newline to stdout, then frees J. */
int srfs_json_print_and_free(struct srfs_json *j);
