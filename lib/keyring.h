/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's key retention service, for handing dm-verity a root hash
 * signature: the signature goes into this thread's keyring as a "user" key
 * that the verity target finds by its description while its table loads.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Adds a "user" key DESCRIPTION holding DATA to the thread keyring; its serial. */
int srfs_keyring_add_user(const char *description, const void *data, size_t size,
			  int32_t *serial);
/* Unlinks key SERIAL from the thread keyring (it goes when nothing else holds it). */
void srfs_keyring_remove(int32_t serial);
