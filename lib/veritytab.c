/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dm-verity's formats (veritytab.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "name.h"
#include "macro.h"
#include "veritytab.h"

int srfs_verity_hex(const char *text, size_t max_bytes, char *out, size_t size)
{
	size_t n = strlen(text);

	if (n == 0 || n % 2 || n > 2 * max_bytes || n >= size)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

static bool block_size_valid(uint64_t s)
{
	/* What the kernel takes: a power of two from 512 bytes to the page size. */
	return s >= 512 && s <= 4096 && (s & (s - 1)) == 0;
}

static bool algorithm_valid(const char *a)
{
	size_t n = strlen(a);
	if (n == 0 || n >= sizeof(((struct srfs_verity_params *)0)->algorithm))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= '0' && a[i] <= '9') || a[i] == '-' ||
		      a[i] == '_'))
			return false;
	return true;
}

int srfs_verity_params_format(const struct srfs_verity_params *p, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %s",
			 p->algorithm, p->data_block_size, p->hash_block_size, p->data_blocks,
			 p->hash_start, p->salt[0] ? p->salt : "-");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int srfs_verity_params_parse(const char *text, struct srfs_verity_params *p)
{
	char alg[32], salt[2 * SRFS_VERITY_SALT_MAX + 2], rest;
	uint64_t dbs, hbs;
	int consumed = 0;

	*p = (struct srfs_verity_params){ 0 };
	/* Fields separated by one space each, and nothing else. */
	if (sscanf(text, "%31[a-z0-9_-] %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			 " %513[0-9a-f-]%n%c",
		   alg, &dbs, &hbs, &p->data_blocks, &p->hash_start, salt, &consumed, &rest) != 6 ||
	    (size_t)consumed != strlen(text) || strstr(text, "  ") || text[0] == ' ')
		return -EINVAL;
	if (!algorithm_valid(alg) || !block_size_valid(dbs) || !block_size_valid(hbs) ||
	    p->data_blocks == 0 || p->data_blocks > UINT64_MAX / dbs / 2)
		return -EINVAL;
	snprintf(p->algorithm, sizeof(p->algorithm), "%s", alg);
	p->data_block_size = (uint32_t)dbs;
	p->hash_block_size = (uint32_t)hbs;
	if (streq(salt, "-"))
		return 0;
	return srfs_verity_hex(salt, SRFS_VERITY_SALT_MAX, p->salt, sizeof(p->salt));
}

uint64_t srfs_verity_hash_area(uint64_t data_blocks, uint32_t hash_block_size,
			       uint32_t digest_size)
{
	unsigned per_block_bits = 0, levels = 0;
	uint32_t digest = 1;
	uint64_t blocks = 1; /* the superblock */

	if (!block_size_valid(hash_block_size) || digest_size == 0 || data_blocks == 0)
		return 0;
	while (digest < digest_size)
		digest <<= 1;
	if (digest > hash_block_size)
		return 0;
	while ((1u << (per_block_bits + 1)) <= hash_block_size / digest)
		per_block_bits++;
	/* As veritysetup counts: levels while (blocks - 1) has bits left above them. */
	while (per_block_bits * levels < 64 && ((data_blocks - 1) >> (per_block_bits * levels)))
		levels++;
	for (unsigned i = 0; i < levels; i++) {
		unsigned shift = (i + 1) * per_block_bits;
		blocks += shift >= 64 ? 1 : (data_blocks + (UINT64_C(1) << shift) - 1) >> shift;
	}
	return blocks * hash_block_size;
}

int srfs_verity_table(const struct srfs_verity_params *p, const char *root_hash, dev_t data,
		      dev_t hash, const char *sig_key, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "1 %u:%u %u:%u %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %s %s %s%s%s",
			 major(data), minor(data), major(hash), minor(hash), p->data_block_size,
			 p->hash_block_size, p->data_blocks, p->hash_start, p->algorithm, root_hash,
			 p->salt[0] ? p->salt : "-", sig_key ? " 2 root_hash_sig_key_desc " : "",
			 sig_key ? sig_key : "");
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int srfs_verity_status_parse(const char *status)
{
	if (streq(status, "V") || strncmp(status, "V ", 2) == 0)
		return 0;
	if (streq(status, "C") || strncmp(status, "C ", 2) == 0)
		return 1;
	return -EINVAL;
}

uint64_t srfs_verity_sectors(const struct srfs_verity_params *p)
{
	return p->data_blocks * (p->data_block_size / 512);
}

int srfs_verity_dm_name(const char *name, bool hash, char *buf, size_t size)
{
	return srfs_dm_name(buf, size, hash ? SRFS_VERITY_DM_HASH_PREFIX : SRFS_VERITY_DM_DATA_PREFIX,
			    name, NULL);
}
