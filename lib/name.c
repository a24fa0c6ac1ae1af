/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
