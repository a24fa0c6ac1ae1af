/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * State records: small text files of "key=value" lines.
 *
 * Keys are [a-z0-9_]+; values are any bytes but NUL, with backslash and
 * newline written as "\\" and "\n".  Every line ends in a newline; keys are at
 * most SRFS_RECORD_KEY_MAX bytes, lines at most SRFS_RECORD_LINE_MAX, a record
 * at most SRFS_RECORD_SIZE_MAX.
 * Parsing is strict: a key the schema does not name, a key given twice, a
 * required key missing, an overlong line, a NUL byte, a bad escape or a
 * missing final newline make the whole record invalid.
 *
 * Records are replaced atomically: written to a temporary file in the same
 * directory, renamed over the old one; durable records are fsync'ed and so
 * is the directory after the rename.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRFS_RECORD_LINE_MAX 32768 /* an id map of 2 x 340 entries fits */
#define SRFS_RECORD_KEY_MAX 64
#define SRFS_RECORD_SIZE_MAX 65536

struct srfs_record_field {
	char *key;
	char *value;
};

struct srfs_record {
	size_t n_fields;
	size_t allocated;
	struct srfs_record_field *fields;
};

/* One entry per allowed key; the array ends with { NULL }. */
struct srfs_record_key {
	const char *name;
	bool required;
};

enum {
	SRFS_RECORD_DURABLE = 1 << 0, /* fsync file and directory (persistent state) */
};

void srfs_record_clear(struct srfs_record *rec);
#define _cleanup_record_ _cleanup_(srfs_record_clear)

/* Adds KEY or replaces its value. -EINVAL for a malformed key. */
int srfs_record_set(struct srfs_record *rec, const char *key, const char *value);
int srfs_record_set_u64(struct srfs_record *rec, const char *key, uint64_t value);
const char *srfs_record_get(const struct srfs_record *rec, const char *key);
/* -ENOENT when absent, -EINVAL when not a decimal number. */
int srfs_record_get_u64(const struct srfs_record *rec, const char *key, uint64_t *value);

/*
 * Parses LEN bytes of BUF against SCHEMA (NULL: any well-formed key).  On
 * -EBADMSG, ERR gets a one-line reason such as "line 3: unknown key 'x'".
 */
int srfs_record_parse(struct srfs_record *rec, const char *buf, size_t len,
		      const struct srfs_record_key *schema, char *err, size_t err_size);
/* Serialises REC into a newly allocated, NUL-terminated buffer. */
int srfs_record_format(const struct srfs_record *rec, char **out, size_t *len);

/* Reads DIRFD/NAME (not following a symlink): -ENOENT, -EBADMSG with ERR, ... */
int srfs_record_load(int dirfd, const char *name, const struct srfs_record_key *schema,
		     struct srfs_record *rec, char *err, size_t err_size);
/* Atomically replaces DIRFD/NAME with REC (file mode 0600). */
int srfs_record_save(int dirfd, const char *name, const struct srfs_record *rec,
		     unsigned flags);
/* Atomically replaces DIRFD/NAME with LEN bytes of BUF, as srfs_record_save does. */
int srfs_file_replace(int dirfd, const char *name, const void *buf, size_t len, unsigned flags);
/* Removes DIRFD/NAME; a missing record is not an error. */
int srfs_record_remove(int dirfd, const char *name, unsigned flags);
