/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "digest.h"

int srfs_digest_check(const char *s)
{
	/* OCI: algorithm [a-z0-9]+ ([+._-][a-z0-9]+)*, ":", encoded [a-zA-Z0-9=_-]+. */
	const char *colon = strchr(s, ':');
	size_t n;

	if (!colon || colon == s)
		return -EINVAL;
	for (const char *p = s; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("+._-", *p)))
			return -EINVAL;
	n = strlen(colon + 1);
	if (n == 0)
		return -EINVAL;
	for (const char *p = colon + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("=_-", *p)))
			return -EINVAL;
	if ((size_t)(colon - s) != sizeof(SRFS_DIGEST_PREFIX) - 2 ||
	    strncmp(s, SRFS_DIGEST_PREFIX, sizeof(SRFS_DIGEST_PREFIX) - 1) != 0)
		return -EOPNOTSUPP;
	if (n != SRFS_DIGEST_HEX)
		return -EINVAL;
	for (const char *p = colon + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'f') || (*p >= '0' && *p <= '9')))
			return -EINVAL;
	return 0;
}
