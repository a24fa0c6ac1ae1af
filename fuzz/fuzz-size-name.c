/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sizes and names from the command line.  A size that parses formats to
 * something that parses back to about the same value; a name that passes never
 * names a path outside its directory, and builds a dm name that fits.
 */
#include "fuzz.h"
#include "name.h"
#include "size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	uint64_t bytes, again;
	char buf[64], dm[SRFS_DM_NAME_MAX + 1];
	const char *why = NULL;

	if (srfs_size_parse(s, &bytes) == 0) {
		srfs_size_format(buf, sizeof(buf), bytes);
		/* The format is for people ("1.5M", "544G"): close, not exact. */
		if (!strchr(buf, '.') && srfs_size_parse(buf, &again) == 0)
			FUZZ_ASSERT((again > bytes ? again - bytes : bytes - again) <= bytes / 16);
	}
	if (srfs_name_check(s, &why) == 0) {
		FUZZ_ASSERT(*s && strlen(s) <= SRFS_NAME_MAX);
		FUZZ_ASSERT(!strchr(s, '/') && strcmp(s, ".") && strcmp(s, ".."));
		FUZZ_ASSERT(s[0] != '.' && s[0] != '-');
		FUZZ_ASSERT(srfs_dm_name(dm, sizeof(dm), "srfs-img:", s, NULL) == 0);
		FUZZ_ASSERT(strlen(dm) <= SRFS_DM_NAME_MAX);
	} else {
		FUZZ_ASSERT(why && *why);
	}
	free(s);
	return 0;
}
