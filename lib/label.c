/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default label of shared images, from the policy's lxc_contexts (libselinux). */
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "macro.h"

int srfs_label_default_ro(char *out, size_t size, char *file, size_t file_size)
{
	const char *path = selinux_lxc_contexts_path();
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	int r = -ENOENT;

	snprintf(file, file_size, "%s", path ? path : "lxc_contexts");
	FILE *f = path ? fopen(path, "re") : NULL;
	if (!f)
		return path ? negative_errno() : -ENOENT;
	/* Lines: key = "value" (the quotes are optional). */
	while (getline(&line, &cap, f) > 0) {
		char *p = line + strspn(line, " \t");
		if (strncmp(p, "ro_file", 7) != 0)
			continue;
		p += 7;
		p += strspn(p, " \t");
		if (*p++ != '=')
			continue;
		p += strspn(p, " \t\"");
		size_t n = strcspn(p, "\"\n \t");
		if (n == 0 || n >= size)
			break;
		memcpy(out, p, n);
		out[n] = '\0';
		r = 0;
		break;
	}
	fclose(f);
	return r;
}
