/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's keyrings through add_key(2) and keyctl(2) (keyring.h). */
#include <errno.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "keyring.h"
#include "macro.h"

int srfs_keyring_add_user(const char *description, const void *data, size_t size,
			  int32_t *serial)
{
	long r = syscall(SYS_add_key, "user", description, data, size, KEY_SPEC_THREAD_KEYRING);
	if (r < 0)
		return negative_errno();
	*serial = (int32_t)r;
	return 0;
}

void srfs_keyring_remove(int32_t serial)
{
	syscall(SYS_keyctl, KEYCTL_UNLINK, (long)serial, (long)KEY_SPEC_THREAD_KEYRING);
}
