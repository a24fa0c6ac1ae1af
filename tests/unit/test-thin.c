/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/sysmacros.h>

#include "thin.h"
#include "unit.h"

TEST(thin_table_round_trip)
{
	struct srfs_thin_pool_table t = {
		.metadata = makedev(7, 1),
		.data = makedev(7, 0),
		.chunk_sectors = 128,
		.low_water_mark = 32768,
		.discard = true,
	};
	struct srfs_thin_pool_table back;
	char buf[256];

	CHECK(srfs_thin_pool_table_format(&t, buf, sizeof(buf)) == 0);
	CHECK_STREQ(buf, "7:1 7:0 128 32768 1 skip_block_zeroing");
	CHECK(srfs_thin_pool_table_parse(buf, &back) == 0);
	CHECK(back.metadata == t.metadata && back.data == t.data);
	CHECK(back.chunk_sectors == 128 && back.low_water_mark == 32768);
	CHECK(!back.zero_blocks && back.discard && !back.error_if_no_space);

	t.zero_blocks = true;
	t.discard = false;
	t.error_if_no_space = true;
	CHECK(srfs_thin_pool_table_format(&t, buf, sizeof(buf)) == 0);
	CHECK_STREQ(buf, "7:1 7:0 128 32768 2 ignore_discard error_if_no_space");
	CHECK(srfs_thin_pool_table_parse(buf, &back) == 0);
	CHECK(back.zero_blocks && !back.discard && back.error_if_no_space);

	CHECK(srfs_thin_pool_table_format(&t, buf, 10) == -ENOSPC);
	CHECK(srfs_thin_pool_table_parse("7:1 7:0 128", &back) == -EINVAL);
	CHECK(srfs_thin_pool_table_parse("7:1 x 128 0 0", &back) == -EINVAL);
	CHECK(srfs_thin_pool_table_parse("7:1 7:0 128 0 2 skip_block_zeroing", &back) == -EINVAL);
}

TEST(thin_status_parse)
{
	struct srfs_thin_pool_status s;

	CHECK(srfs_thin_pool_status_parse("5 419/4096 78/4096 - rw discard_passdown "
					  "queue_if_no_space - 1024",
					  &s) == 0);
	CHECK(!s.failed && s.transaction_id == 5);
	CHECK(s.metadata_used == 419 && s.metadata_total == 4096);
	CHECK(s.data_used == 78 && s.data_total == 4096);
	CHECK_STREQ(s.mode, "rw");
	CHECK(!s.needs_check);

	CHECK(srfs_thin_pool_status_parse("0 10/20 20/20 - out_of_data_space discard_passdown "
					  "error_if_no_space needs_check 1024",
					  &s) == 0);
	CHECK_STREQ(s.mode, "out_of_data_space");
	CHECK(s.needs_check);

	CHECK(srfs_thin_pool_status_parse("Fail", &s) == 0 && s.failed);
	CHECK_STREQ(s.mode, "failed");
	CHECK(srfs_thin_pool_status_parse("garbage", &s) == -EINVAL);
}

TEST(thin_superblock_magic)
{
	unsigned char block[4096] = { 0 };
	CHECK(!srfs_thin_has_superblock(block, sizeof(block)));
	/* 27022010 = 0x019c52ba, little-endian at offset 32. */
	block[32] = 0xba;
	block[33] = 0x52;
	block[34] = 0x9c;
	block[35] = 0x01;
	CHECK(srfs_thin_has_superblock(block, sizeof(block)));
	CHECK(!srfs_thin_has_superblock(block, 39));
}

TEST(thin_sizes)
{
	CHECK(srfs_thin_metadata_min(256ULL << 20, 64 << 10) == 2ULL << 20);
	/* 1 TiB in 64K chunks: 16M chunks * 48 bytes = 768 MiB. */
	CHECK(srfs_thin_metadata_min(1ULL << 40, 64 << 10) == 768ULL << 20);
	CHECK(srfs_thin_metadata_min((1ULL << 40) + 1, 64 << 10) == 768ULL << 20);
	CHECK(srfs_thin_chunk_valid(64 << 10));
	CHECK(srfs_thin_chunk_valid(1 << 30));
	CHECK(srfs_thin_chunk_valid(192 << 10));
	CHECK(!srfs_thin_chunk_valid(32 << 10));
	CHECK(!srfs_thin_chunk_valid(100 << 10));
	CHECK(!srfs_thin_chunk_valid((1ULL << 30) + (64 << 10)));
	CHECK(!srfs_thin_chunk_valid(0));
}
