/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "size.h"

static const char units[] = "KMGTPE";

int srfs_size_parse(const char *s, uint64_t *bytes)
{
	uint64_t v = 0;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*p) {
		const char *u = strchr(units, toupper((unsigned char)*p));
		if (!u)
			return -EINVAL;
		p++;
		if (strcasecmp(p, "iB") == 0 || strcasecmp(p, "B") == 0)
			p += strlen(p);
		if (*p)
			return -EINVAL;
		unsigned shift = 10 * (unsigned)(u - units + 1);
		if (v > (UINT64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
	}
	*bytes = v;
	return 0;
}

const char *srfs_size_format(char *buf, size_t size, uint64_t bytes)
{
	int i = -1;
	uint64_t whole = bytes;
	uint64_t rest = 0;

	while (whole >= 1024 && i < (int)sizeof(units) - 2) {
		rest = whole % 1024;
		whole /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, size, "%llu", (unsigned long long)bytes);
	else if (rest == 0)
		snprintf(buf, size, "%llu%c", (unsigned long long)whole, units[i]);
	else
		snprintf(buf, size, "%llu.%llu%c", (unsigned long long)whole,
			 (unsigned long long)(rest * 10 / 1024), units[i]);
	return buf;
}
