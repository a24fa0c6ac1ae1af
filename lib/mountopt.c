/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "mountopt.h"
#include "util.h"

static const char *const accepted[] = {
	/* mount(8) passes "rw" whenever "ro" was not asked for. */
	"ro", "rw", "defaults", "nosuid", "nodev", "auto", "noauto", "nofail", "_netdev",
	"owner", "user", "nouser", "users", "async", "atime", "noatime", "relatime",
};

static bool is_accepted(const char *opt, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++)
		if (strlen(accepted[i]) == len && memcmp(accepted[i], opt, len) == 0)
			return true;
	return false;
}

/* "WHAT 'TEXT'": TEXT (LEN bytes, at most 64 shown) escaped, so that the message stays one line. */
static void option_error(char *err, size_t err_size, const char *what, const char *text,
			 size_t len, const char *why)
{
	char raw[65], q[SRFS_QUOTE_MAX];
	snprintf(raw, sizeof(raw), "%.*s", (int)(len > 64 ? 64 : len), text);
	snprintf(err, err_size, "%s '%s'%s%s", what, srfs_quote(q, sizeof(q), raw), why ? ": " : "",
		 why ? why : "");
}

int srfs_mount_options_parse(const char *opts, bool sloppy, struct srfs_mount_options *out,
			     char *err, size_t err_size)
{
	*out = (struct srfs_mount_options){ 0 };
	if (!opts)
		return 0;
	for (const char *p = opts; *p;) {
		const char *end = strchrnul(p, ',');
		/* A quoted value may hold commas: context="a:b:c:s0:c1,c2". */
		const char *quote = memchr(p, '"', (size_t)(end - p));
		if (quote) {
			const char *close = strchr(quote + 1, '"');
			if (!close) {
				snprintf(err, err_size, "unbalanced quote in options");
				return -EINVAL;
			}
			end = strchrnul(close, ',');
		}
		size_t len = (size_t)(end - p);
		const char *eq = memchr(p, '=', len);
		size_t key_len = eq ? (size_t)(eq - p) : len;

		if (len == 0) {
			/* ",," or a trailing comma: nothing */
		} else if (key_len == 2 && memcmp(p, "id", 2) == 0 && eq) {
			size_t vlen = len - 3;
			char value[SRFS_NAME_MAX + 2];
			const char *why;
			if (out->id[0]) {
				snprintf(err, err_size, "option id= given twice");
				return -EINVAL;
			}
			if (vlen >= sizeof(value))
				vlen = sizeof(value) - 1; /* too long: the check says so */
			memcpy(value, eq + 1, vlen);
			value[vlen] = '\0';
			if (srfs_name_check(value, &why) < 0) {
				option_error(err, err_size, "invalid container id", eq + 1, len - 3,
					     why);
				return -EINVAL;
			}
			memcpy(out->id, value, vlen + 1);
		} else if (key_len == 7 && memcmp(p, "context", 7) == 0 && eq) {
			const char *v = eq + 1;
			size_t vlen = len - 8;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			if (vlen == 0 || vlen >= sizeof(out->context) || memchr(v, '"', vlen)) {
				snprintf(err, err_size, "invalid SELinux label in option context=");
				return -EINVAL;
			}
			memcpy(out->context, v, vlen);
			out->context[vlen] = '\0';
		} else if (eq && ((key_len == 5 && memcmp(p, "idmap", 5) == 0) ||
				  (key_len == 13 && memcmp(p, "X-mount.idmap", 13) == 0))) {
			size_t vlen = len - key_len - 1;
			if (out->idmap[0]) {
				snprintf(err, err_size, "option idmap= given twice");
				return -EINVAL;
			}
			if (vlen == 0 || vlen >= sizeof(out->idmap)) {
				snprintf(err, err_size, "option %.*s= is %s", (int)key_len, p,
					 vlen ? "longer than 4095 bytes" : "empty");
				return -EINVAL;
			}
			memcpy(out->idmap, eq + 1, vlen);
			out->idmap[vlen] = '\0';
		} else if (!eq && is_accepted(p, len)) {
			/* read-only, nosuid and nodev in any case */
		} else if ((key_len >= 2 && (memcmp(p, "x-", 2) == 0 || memcmp(p, "X-", 2) == 0)) ||
			   (key_len == 7 && memcmp(p, "comment", 7) == 0)) {
			/* userspace annotations */
		} else if (!sloppy) {
			option_error(err, err_size, "unknown option", p, len, NULL);
			return -EINVAL;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

void srfs_mount_default_id(const char *target, char *id, size_t size)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = target; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(id, size, "mnt-%016" PRIx64, h);
}
