/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "record.h"
#include "util.h"

static bool key_is_valid(const char *key, size_t len)
{
	if (len == 0 || len > SRFS_RECORD_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

void srfs_record_clear(struct srfs_record *rec)
{
	for (size_t i = 0; i < rec->n_fields; i++) {
		free(rec->fields[i].key);
		free(rec->fields[i].value);
	}
	free(rec->fields);
	*rec = (struct srfs_record){ 0 };
}

static struct srfs_record_field *find(const struct srfs_record *rec, const char *key,
				      size_t key_len)
{
	for (size_t i = 0; i < rec->n_fields; i++)
		if (strlen(rec->fields[i].key) == key_len &&
		    memcmp(rec->fields[i].key, key, key_len) == 0)
			return &rec->fields[i];
	return NULL;
}

/* Takes ownership of KEY and VALUE (freed on failure too). */
static int append(struct srfs_record *rec, char *key, char *value)
{
	if (rec->n_fields == rec->allocated) {
		size_t n = rec->allocated ? rec->allocated * 2 : 8;
		struct srfs_record_field *f = realloc(rec->fields, n * sizeof(*f));
		if (!f) {
			free(key);
			free(value);
			return -ENOMEM;
		}
		rec->fields = f;
		rec->allocated = n;
	}
	rec->fields[rec->n_fields++] = (struct srfs_record_field){ key, value };
	return 0;
}

int srfs_record_set(struct srfs_record *rec, const char *key, const char *value)
{
	if (!key_is_valid(key, strlen(key)))
		return -EINVAL;
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	struct srfs_record_field *f = find(rec, key, strlen(key));
	if (f) {
		free(f->value);
		f->value = v;
		return 0;
	}
	char *k = strdup(key);
	if (!k) {
		free(v);
		return -ENOMEM;
	}
	return append(rec, k, v);
}

int srfs_record_set_u64(struct srfs_record *rec, const char *key, uint64_t value)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return srfs_record_set(rec, key, buf);
}

const char *srfs_record_get(const struct srfs_record *rec, const char *key)
{
	struct srfs_record_field *f = find(rec, key, strlen(key));
	return f ? f->value : NULL;
}

int srfs_record_get_u64(const struct srfs_record *rec, const char *key, uint64_t *value)
{
	const char *v = srfs_record_get(rec, key);
	if (!v)
		return -ENOENT;
	return srfs_parse_u64(v, value) < 0 ? -EINVAL : 0;
}

_printf_(4, 5) static int bad(char *err, size_t err_size, size_t line, const char *fmt, ...)
{
	if (err && err_size) {
		va_list ap;
		int n = line ? snprintf(err, err_size, "line %zu: ", line) : 0;
		if (n < 0 || (size_t)n >= err_size)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Undoes the value escaping into a new string; NULL with *bad_escape on error. */
static char *unescape(const char *s, size_t len, bool *bad_escape)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	*bad_escape = false;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\\')
			out[o++] = '\\';
		else if (i + 1 < len && s[i + 1] == 'n')
			out[o++] = '\n';
		else {
			free(out);
			*bad_escape = true;
			return NULL;
		}
		i++;
	}
	out[o] = '\0';
	return out;
}

int srfs_record_parse(struct srfs_record *rec, const char *buf, size_t len,
		      const struct srfs_record_key *schema, char *err, size_t err_size)
{
	_cleanup_record_ struct srfs_record r = { 0 };
	char q[64];
	size_t line = 0;
	int ret;

	if (len > SRFS_RECORD_SIZE_MAX)
		return bad(err, err_size, 0, "larger than %d bytes", SRFS_RECORD_SIZE_MAX);
	if (memchr(buf, '\0', len))
		return bad(err, err_size, 0, "contains a NUL byte");
	if (len > 0 && buf[len - 1] != '\n')
		return bad(err, err_size, 0, "truncated: no newline at the end");

	for (size_t pos = 0; pos < len;) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t line_len = (size_t)(nl - start);
		line++;
		pos += line_len + 1;

		if (line_len + 1 > SRFS_RECORD_LINE_MAX)
			return bad(err, err_size, line, "longer than %d bytes",
				   SRFS_RECORD_LINE_MAX);
		const char *eq = memchr(start, '=', line_len);
		if (!eq)
			return bad(err, err_size, line, "no '=' in line");
		size_t key_len = (size_t)(eq - start);
		char key[SRFS_RECORD_KEY_MAX + 1];
		if (key_len > SRFS_RECORD_KEY_MAX)
			return bad(err, err_size, line, "key longer than %d bytes",
				   SRFS_RECORD_KEY_MAX);
		memcpy(key, start, key_len);
		key[key_len] = '\0';
		if (!key_is_valid(key, key_len))
			return bad(err, err_size, line, "malformed key '%s'",
				   srfs_quote(q, sizeof(q), key));
		if (schema) {
			const struct srfs_record_key *k = schema;
			while (k->name && !streq(k->name, key))
				k++;
			if (!k->name)
				return bad(err, err_size, line, "unknown key '%s'",
					   srfs_quote(q, sizeof(q), key));
		}
		if (find(&r, key, key_len))
			return bad(err, err_size, line, "duplicate key '%s'", key);

		bool bad_escape;
		char *value = unescape(eq + 1, line_len - key_len - 1, &bad_escape);
		if (!value)
			return bad_escape ? bad(err, err_size, line, "bad escape in value of '%s'",
						key)
					  : -ENOMEM;
		char *k = strdup(key);
		if (!k) {
			free(value);
			return -ENOMEM;
		}
		ret = append(&r, k, value);
		if (ret < 0)
			return ret;
	}
	for (const struct srfs_record_key *k = schema; k && k->name; k++)
		if (k->required && !find(&r, k->name, strlen(k->name)))
			return bad(err, err_size, 0, "missing key '%s'", k->name);

	srfs_record_clear(rec);
	*rec = r;
	r = (struct srfs_record){ 0 };
	return 0;
}

int srfs_record_format(const struct srfs_record *rec, char **out, size_t *len)
{
	size_t size = 1;

	for (size_t i = 0; i < rec->n_fields; i++) {
		size_t line = strlen(rec->fields[i].key) + 2;
		for (const char *p = rec->fields[i].value; *p; p++)
			line += (*p == '\\' || *p == '\n') ? 2 : 1;
		if (line > SRFS_RECORD_LINE_MAX)
			return -E2BIG;
		size += line;
	}
	if (size - 1 > SRFS_RECORD_SIZE_MAX)
		return -E2BIG;

	char *buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	char *o = buf;
	for (size_t i = 0; i < rec->n_fields; i++) {
		o = stpcpy(o, rec->fields[i].key);
		*o++ = '=';
		for (const char *p = rec->fields[i].value; *p; p++) {
			if (*p == '\\' || *p == '\n') {
				*o++ = '\\';
				*o++ = *p == '\n' ? 'n' : '\\';
			} else
				*o++ = *p;
		}
		*o++ = '\n';
	}
	*o = '\0';
	*out = buf;
	if (len)
		*len = (size_t)(o - buf);
	return 0;
}

int srfs_record_load(int dirfd, const char *name, const struct srfs_record_key *schema,
		     struct srfs_record *rec, char *err, size_t err_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = srfs_read_file_at(dirfd, name, SRFS_RECORD_SIZE_MAX, &buf, &len);
	if (r == -EFBIG)
		return bad(err, err_size, 0, "larger than %d bytes", SRFS_RECORD_SIZE_MAX);
	if (r == -EBADF)
		return bad(err, err_size, 0, "not a regular file");
	if (r == -ELOOP)
		return bad(err, err_size, 0, "is a symbolic link");
	if (r < 0)
		return r;
	return srfs_record_parse(rec, buf, len, schema, err, err_size);
}

int srfs_record_save(int dirfd, const char *name, const struct srfs_record *rec,
		     unsigned flags)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = srfs_record_format(rec, &buf, &len);
	if (r < 0)
		return r;
	return srfs_file_replace(dirfd, name, buf, len, flags);
}

int srfs_file_replace(int dirfd, const char *name, const void *buf, size_t len, unsigned flags)
{
	static unsigned counter;
	_cleanup_close_ int fd = -1;
	char tmp[PATH_MAX];
	int r;

	/* A leading dot: no valid record name can collide with a temporary file. */
	/* The counter is atomic: threads of one process save at once (their pid is one). */
	snprintf(tmp, sizeof(tmp), ".%s.%d.%u.tmp", name, (int)getpid(),
		 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return negative_errno();
	r = srfs_write_full(fd, buf, len);
	if (r == 0 && (flags & SRFS_RECORD_DURABLE) && fsync(fd) < 0)
		r = negative_errno();
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = negative_errno();
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = negative_errno();
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	if ((flags & SRFS_RECORD_DURABLE) && fsync(dirfd) < 0)
		return negative_errno();
	return 0;
}

int srfs_record_remove(int dirfd, const char *name, unsigned flags)
{
	if (unlinkat(dirfd, name, 0) < 0)
		return errno == ENOENT ? 0 : negative_errno();
	if ((flags & SRFS_RECORD_DURABLE) && fsync(dirfd) < 0)
		return negative_errno();
	return 0;
}
