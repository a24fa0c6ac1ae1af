/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hash trees through libcryptsetup's verity API (the only file that includes
 * it), in veritysetup's format: a superblock, then the tree.
 */
#pragma once

#include <stdint.h>

#include "veritytab.h"

/*
 * Builds the hash tree of the first DATA_BLOCKS 4 KiB blocks of DATA on HASH
 * (sha256, a new random salt, the superblock at offset 0) and fills P and
 * ROOT_HASH (hex, SRFS_VERITY_ROOT_HEX_MAX + 1 bytes).  HASH must already be
 * large enough (srfs_verity_hash_area).  Logged.
 */
int srfs_verity_format(const char *data, const char *hash, uint64_t data_blocks,
		       struct srfs_verity_params *p, char *root_hash);

/*
 * Reads the superblock of the hash area HASH (as veritysetup format writes
 * it) into P, and checks every block of DATA against it and ROOT_HASH (hex)
 * in user space: -EPERM (logged) when they do not match.  DATA_NAME and
 * HASH_NAME name them in messages.
 */
int srfs_verity_load(const char *data, const char *hash, const char *root_hash,
		     const char *data_name, const char *hash_name, struct srfs_verity_params *p);
