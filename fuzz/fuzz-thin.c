/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's thin-pool table and status lines, as libdevmapper hands them
 * over.  A table that parses formats and parses back to the same table.
 */
#include "fuzz.h"
#include "thin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	struct srfs_thin_pool_table t, again;
	struct srfs_thin_pool_status st;
	char buf[512];

	if (srfs_thin_pool_table_parse(s, &t) == 0 &&
	    srfs_thin_pool_table_format(&t, buf, sizeof(buf)) == 0) {
		FUZZ_ASSERT(srfs_thin_pool_table_parse(buf, &again) == 0);
		FUZZ_ASSERT(memcmp(&t, &again, sizeof(t)) == 0);
	}
	if (srfs_thin_pool_status_parse(s, &st) == 0)
		FUZZ_ASSERT(memchr(st.mode, '\0', sizeof(st.mode)) != NULL);
	srfs_thin_has_superblock(data, size);
	free(s);
	return 0;
}
