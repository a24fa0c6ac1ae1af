/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "name.h"
#include "util.h"

int srfs_name_check(const char *name, const char **why)
{
	const char *reason = NULL;
	size_t len;

	if (!name || !*name)
		reason = "must not be empty";
	else if ((len = strlen(name)) > SRFS_NAME_MAX)
		reason = "longer than 128 characters";
	else if (name[0] == '.' || name[0] == '-')
		reason = "must not start with '.' or '-'";
	else if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			      "0123456789_.-") != len)
		reason = "only letters, digits, '_', '.' and '-' are allowed";

	if (why)
		*why = reason;
	return reason ? -EINVAL : 0;
}

int srfs_name_validate(const char *kind, const char *name)
{
	const char *why;
	char q[SRFS_QUOTE_MAX];

	if (srfs_name_check(name, &why) == 0)
		return 0;
	log_error("invalid %s name '%s': %s", kind, srfs_quote(q, sizeof(q), name ? name : ""),
		  why);
	return -EINVAL;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int srfs_dm_name(char *buf, size_t size, const char *prefix, const char *a, const char *b)
{
	char full[3 * (SRFS_NAME_MAX + 1) + 8];

	if (size < SRFS_DM_NAME_MAX + 1)
		return -ENAMETOOLONG;
	int n = snprintf(full, sizeof(full), "%s%s%s%s", prefix, a, b ? "-" : "", b ? b : "");
	if (n < 0 || (size_t)n >= sizeof(full))
		return -ENAMETOOLONG;
	if (n <= SRFS_DM_NAME_MAX) {
		memcpy(buf, full, (size_t)n + 1);
		return 0;
	}
	/* FNV-1a over A, a separator no name contains, and B. */
	uint64_t h = fnv1a(1469598103934665603ULL, a);
	if (b)
		h = fnv1a(fnv1a(h, "/"), b);
	snprintf(buf, size, "%.*s-%016llx", SRFS_DM_NAME_MAX - 17, full, (unsigned long long)h);
	return 0;
}
