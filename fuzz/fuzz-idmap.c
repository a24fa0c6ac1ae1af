/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The id map parser (idmap= in fstab, --idmap, share records).  An accepted
 * map has both kinds, at most 340 entries of each, no overlap and no range
 * past the last id; its canonical text parses again to itself.  A refusal
 * gives a one-line reason.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "fuzz.h"
#include "idmap.h"

static bool overlap(const struct srfs_idmap_extent *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if ((uint64_t)m[i].inside < (uint64_t)m[j].inside + m[j].count &&
			    (uint64_t)m[j].inside < (uint64_t)m[i].inside + m[i].count)
				return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct srfs_idmap map, again;
	char err[256] = "";
	char *text = fuzz_string(data, size);

	int r = srfs_idmap_parse(text, &map, err, sizeof(err));
	if (r == 0) {
		FUZZ_ASSERT(map.n_uid && map.n_gid);
		FUZZ_ASSERT(map.n_uid <= SRFS_IDMAP_EXTENTS_MAX && map.n_gid <= SRFS_IDMAP_EXTENTS_MAX);
		FUZZ_ASSERT(!overlap(map.uid, map.n_uid) && !overlap(map.gid, map.n_gid));
		for (unsigned i = 0; i < map.n_uid; i++)
			FUZZ_ASSERT(map.uid[i].count &&
				    (uint64_t)map.uid[i].inside + map.uid[i].count - 1 < 4294967295ULL);
		char *canon = srfs_idmap_format(&map);
		FUZZ_ASSERT(canon);
		FUZZ_ASSERT(srfs_idmap_parse(canon, &again, err, sizeof(err)) == 0);
		char *twice = srfs_idmap_format(&again);
		FUZZ_ASSERT(twice && strcmp(canon, twice) == 0);
		free(canon);
		free(twice);
	} else {
		FUZZ_ASSERT(r == -EINVAL);
		FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
	}
	free(text);
	return 0;
}
