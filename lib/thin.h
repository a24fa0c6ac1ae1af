/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dm-thin-pool target's formats: table parameters, status lines, the
 * metadata superblock, and the metadata size rule.  Pure functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SRFS_THIN_SUPERBLOCK_MAGIC 27022010ULL
#define SRFS_THIN_CHUNK_MIN (64ULL << 10)
#define SRFS_THIN_CHUNK_MAX (1ULL << 30)
#define SRFS_THIN_CHUNK_DEFAULT (64ULL << 10)
#define SRFS_THIN_METADATA_MIN (2ULL << 20)
#define SRFS_THIN_METADATA_MAX (16ULL << 30)
#define SRFS_THIN_LOW_WATER_DEFAULT 0

/* The thin-pool table: "META DATA CHUNK_SECTORS LOW_WATER N [features]". */
struct srfs_thin_pool_table {
	dev_t metadata;
	dev_t data;
	uint64_t chunk_sectors;
	uint64_t low_water_mark; /* in chunks */
	bool zero_blocks;        /* false: skip_block_zeroing */
	bool discard;            /* false: ignore_discard */
	bool error_if_no_space;
};

int srfs_thin_pool_table_format(const struct srfs_thin_pool_table *t, char *buf, size_t size);
int srfs_thin_pool_table_parse(const char *params, struct srfs_thin_pool_table *t);

/* A thin-pool status line. */
struct srfs_thin_pool_status {
	bool failed; /* "Fail" or "Error": the pool is unusable */
	uint64_t transaction_id;
	uint64_t metadata_used, metadata_total; /* 4 KiB blocks */
	uint64_t data_used, data_total;         /* chunks */
	char mode[24];                          /* rw, ro, out_of_data_space */
	bool needs_check;
};

int srfs_thin_pool_status_parse(const char *params, struct srfs_thin_pool_status *s);

/* Does this first block of a metadata device hold a thin-pool superblock? */
bool srfs_thin_has_superblock(const void *block, size_t len);

/*
 * The smallest metadata device for DATA_BYTES of data in CHUNK_BYTES chunks:
 * 48 bytes per chunk (the kernel documentation's rule of thumb), at least
 * 2 MiB, rounded up to whole MiB.
 */
uint64_t srfs_thin_metadata_min(uint64_t data_bytes, uint64_t chunk_bytes);

/* Is CHUNK_BYTES a chunk size thin-pool takes (a multiple of 64K, 64K..1G)? */
bool srfs_thin_chunk_valid(uint64_t chunk_bytes);
