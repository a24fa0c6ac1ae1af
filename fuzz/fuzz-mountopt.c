/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The -o option parser of mount.shared-rootfs (options come from fstab and
 * from whoever runs mount(8)).  An accepted id is a valid name; a refusal
 * gives a one-line reason.  The first byte chooses sloppy mode.
 */
#include <errno.h>

#include "fuzz.h"
#include "mountopt.h"
#include "name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srfs_mount_options mo;
	char err[128] = "";

	if (size == 0)
		return 0;
	char *opts = fuzz_string(data + 1, size - 1);
	int r = srfs_mount_options_parse(opts, data[0] & 1, &mo, err, sizeof(err));
	if (r == 0) {
		FUZZ_ASSERT(mo.id[0] == '\0' || srfs_name_check(mo.id, NULL) == 0);
		FUZZ_ASSERT(!strchr(mo.context, '"')); /* quotes are removed */
	} else {
		FUZZ_ASSERT(r == -EINVAL);
		FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
	}
	char id[SRFS_NAME_MAX + 1];
	srfs_mount_default_id(opts, id, sizeof(id));
	FUZZ_ASSERT(srfs_name_check(id, NULL) == 0);
	free(opts);
	return 0;
}
