/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dm-verity's formats, as veritysetup writes them: the parameters of a hash
 * tree, the size of its hash area, the verity table and status lines, and the
 * dm names of a verity image's lower devices.  Pure functions.
 *
 * A hash area is a superblock (one hash block) followed by the tree, as
 * `veritysetup format` writes it; the table's hash start is then 1.  The
 * record keeps what the table needs ("verity=ALG DATA_BLOCK HASH_BLOCK
 * DATA_BLOCKS HASH_START SALT") and the root hash apart.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SRFS_VERITY_BLOCK 4096       /* the block size image-verity uses */
#define SRFS_VERITY_ALGORITHM "sha256"
#define SRFS_VERITY_DIGEST_MAX 64    /* bytes of the largest digest */
#define SRFS_VERITY_SALT_MAX 256     /* bytes, as veritysetup allows */
#define SRFS_VERITY_ROOT_HEX_MAX (2 * SRFS_VERITY_DIGEST_MAX)

struct srfs_verity_params {
	char algorithm[32];
	uint32_t data_block_size, hash_block_size;
	uint64_t data_blocks;
	uint64_t hash_start; /* in hash blocks */
	char salt[2 * SRFS_VERITY_SALT_MAX + 1]; /* lower-case hex, "" for none */
};

/*
 * Checks that TEXT is hex of 1 to MAX_BYTES bytes (an even number of digits)
 * and copies it, lower case, into OUT (at least 2 * MAX_BYTES + 1 bytes).
 * -EINVAL when not.
 */
int srfs_verity_hex(const char *text, size_t max_bytes, char *out, size_t size);

/* The record's form, "ALG DATA_BLOCK HASH_BLOCK DATA_BLOCKS HASH_START SALT|-". */
int srfs_verity_params_format(const struct srfs_verity_params *p, char *buf, size_t size);
int srfs_verity_params_parse(const char *text, struct srfs_verity_params *p);

/*
 * Bytes of the hash area of DATA_BLOCKS blocks with hash blocks of
 * HASH_BLOCK_SIZE bytes and digests of DIGEST_SIZE bytes, superblock
 * included (format 1: a digest takes the next power of two).  0 when the
 * sizes make no sense.
 */
uint64_t srfs_verity_hash_area(uint64_t data_blocks, uint32_t hash_block_size,
			       uint32_t digest_size);

/*
 * The verity target's parameters: "1 DATA HASH DBS HBS BLOCKS START ALG ROOT
 * SALT", with "2 root_hash_sig_key_desc SIG_KEY" when SIG_KEY is not NULL.
 */
int srfs_verity_table(const struct srfs_verity_params *p, const char *root_hash, dev_t data,
		      dev_t hash, const char *sig_key, char *buf, size_t size);

/* A verity status line: 0 when verified so far ("V"), 1 when corruption was seen ("C"). */
int srfs_verity_status_parse(const char *status);

/* Sectors the verity target maps: the data blocks. */
uint64_t srfs_verity_sectors(const struct srfs_verity_params *p);

/*
 * The dm names of image NAME's lower devices when it is a verity pool image:
 * "srfs-vdata:NAME" (its data, read-only) and "srfs-vhash:NAME" (its hash
 * area; writable while image-verity writes it).
 */
int srfs_verity_dm_name(const char *name, bool hash, char *buf, size_t size);
#define SRFS_VERITY_DM_DATA_PREFIX "srfs-vdata:"
#define SRFS_VERITY_DM_HASH_PREFIX "srfs-vhash:"
