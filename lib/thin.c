/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "macro.h"
#include "thin.h"

int srfs_thin_pool_table_format(const struct srfs_thin_pool_table *t, char *buf, size_t size)
{
	const char *features[3];
	int n_features = 0;

	if (!t->zero_blocks)
		features[n_features++] = "skip_block_zeroing";
	if (!t->discard)
		features[n_features++] = "ignore_discard";
	if (t->error_if_no_space)
		features[n_features++] = "error_if_no_space";

	int n = snprintf(buf, size, "%u:%u %u:%u %llu %llu %d", major(t->metadata),
			 minor(t->metadata), major(t->data), minor(t->data),
			 (unsigned long long)t->chunk_sectors,
			 (unsigned long long)t->low_water_mark, n_features);
	for (int i = 0; i < n_features && n >= 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, " %s", features[i]);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

static int parse_devno(const char *s, dev_t *out)
{
	unsigned maj, min;
	char end;
	if (sscanf(s, "%u:%u%c", &maj, &min, &end) != 2)
		return -EINVAL;
	*out = makedev(maj, min);
	return 0;
}

int srfs_thin_pool_table_parse(const char *params, struct srfs_thin_pool_table *t)
{
	char meta[32], data[32];
	unsigned long long chunk, low;
	int n_features, used;
	struct srfs_thin_pool_table r = { .zero_blocks = true, .discard = true };

	if (sscanf(params, "%31s %31s %llu %llu %d%n", meta, data, &chunk, &low, &n_features,
		   &used) != 5 ||
	    n_features < 0)
		return -EINVAL;
	if (parse_devno(meta, &r.metadata) < 0 || parse_devno(data, &r.data) < 0)
		return -EINVAL;
	r.chunk_sectors = chunk;
	r.low_water_mark = low;
	const char *p = params + used;
	for (int i = 0; i < n_features; i++) {
		char word[64];
		int w;
		if (sscanf(p, " %63s%n", word, &w) != 1)
			return -EINVAL;
		p += w;
		if (streq(word, "skip_block_zeroing"))
			r.zero_blocks = false;
		else if (streq(word, "ignore_discard"))
			r.discard = false;
		else if (streq(word, "error_if_no_space"))
			r.error_if_no_space = true;
		/* Other features (no_discard_passdown, read_only) do not concern us. */
	}
	*t = r;
	return 0;
}

int srfs_thin_pool_status_parse(const char *params, struct srfs_thin_pool_status *s)
{
	struct srfs_thin_pool_status r = { 0 };
	unsigned long long tid, mu, mt, du, dt;
	char root[32], mode[24], discard[32], space[32], check[32];

	if (strncmp(params, "Fail", 4) == 0 || strncmp(params, "Error", 5) == 0) {
		r.failed = true;
		snprintf(r.mode, sizeof(r.mode), "failed");
		*s = r;
		return 0;
	}
	int n = sscanf(params, "%llu %llu/%llu %llu/%llu %31s %23s %31s %31s %31s", &tid, &mu,
		       &mt, &du, &dt, root, mode, discard, space, check);
	if (n < 7)
		return -EINVAL;
	r.transaction_id = tid;
	r.metadata_used = mu;
	r.metadata_total = mt;
	r.data_used = du;
	r.data_total = dt;
	snprintf(r.mode, sizeof(r.mode), "%s", mode);
	r.needs_check = n >= 10 && streq(check, "needs_check");
	*s = r;
	return 0;
}

bool srfs_thin_has_superblock(const void *block, size_t len)
{
	/* struct thin_disk_superblock: csum, flags, blocknr, uuid[16], then magic (le64). */
	const unsigned char *b = block;
	uint64_t magic = 0;

	if (len < 40)
		return false;
	for (int i = 7; i >= 0; i--)
		magic = magic << 8 | b[32 + i];
	return magic == SRFS_THIN_SUPERBLOCK_MAGIC;
}

uint64_t srfs_thin_metadata_min(uint64_t data_bytes, uint64_t chunk_bytes)
{
	uint64_t chunks = chunk_bytes ? data_bytes / chunk_bytes : 0;
	uint64_t need = chunks * 48;
	uint64_t mib = 1ULL << 20;

	need = (need + mib - 1) / mib * mib;
	return need < SRFS_THIN_METADATA_MIN ? SRFS_THIN_METADATA_MIN : need;
}

bool srfs_thin_chunk_valid(uint64_t chunk_bytes)
{
	return chunk_bytes >= SRFS_THIN_CHUNK_MIN && chunk_bytes <= SRFS_THIN_CHUNK_MAX &&
	       chunk_bytes % SRFS_THIN_CHUNK_MIN == 0;
}
