/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "unit.h"
#include "veritytab.h"

TEST(verity_hash_area_as_veritysetup)
{
	/* Hash file sizes veritysetup format 2.6 wrote for these data sizes (4 KiB blocks). */
	static const struct {
		uint64_t blocks, bytes;
	} known[] = {
		{ 1, 4096 },	   { 2, 8192 },	      { 128, 8192 },	   { 129, 16384 },
		{ 16384, 532480 }, { 16385, 544768 }, { 262144, 8462336 },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		CHECK(srfs_verity_hash_area(known[i].blocks, 4096, 32) == known[i].bytes);
	CHECK(srfs_verity_hash_area(0, 4096, 32) == 0);
	CHECK(srfs_verity_hash_area(8, 3000, 32) == 0);
	CHECK(srfs_verity_hash_area(8, 512, 1024) == 0);
}

TEST(verity_params_round_trip)
{
	struct srfs_verity_params p, back;
	char buf[700];

	CHECK(srfs_verity_params_parse("sha256 4096 4096 2048 1 0dfd73", &p) == 0);
	CHECK_STREQ(p.algorithm, "sha256");
	CHECK(p.data_block_size == 4096 && p.hash_block_size == 4096);
	CHECK(p.data_blocks == 2048 && p.hash_start == 1);
	CHECK_STREQ(p.salt, "0dfd73");
	CHECK(srfs_verity_params_format(&p, buf, sizeof(buf)) == 0);
	CHECK_STREQ(buf, "sha256 4096 4096 2048 1 0dfd73");
	CHECK(srfs_verity_params_parse("sha256 4096 4096 2048 1 -", &back) == 0);
	CHECK(back.salt[0] == '\0');
	CHECK(srfs_verity_params_format(&back, buf, sizeof(buf)) == 0);
	CHECK_STREQ(buf, "sha256 4096 4096 2048 1 -");

	const char *bad[] = {
		"", "sha256", "sha256 4096 4096 2048 1", "sha256 4096 4096 2048 1 0dfd7",
		"sha256 4096 4096 2048 1 xy", "sha256 3000 4096 2048 1 -", "sha256 4096 8192 2048 1 -",
		"sha256 4096 4096 0 1 -", "sha256  4096 4096 2048 1 -", " sha256 4096 4096 2048 1 -",
		"sha256 4096 4096 2048 1 - extra", "SHA256 4096 4096 2048 1 -",
		"sha256 4096 4096 2048 1 -\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(srfs_verity_params_parse(bad[i], &p) == -EINVAL);
}

TEST(verity_hex_table_status)
{
	struct srfs_verity_params p = { .algorithm = "sha256", .data_block_size = 4096,
					.hash_block_size = 4096, .data_blocks = 16384,
					.hash_start = 1, .salt = "ab" };
	char out[2 * SRFS_VERITY_DIGEST_MAX + 1], buf[512];

	CHECK(srfs_verity_hex("ABcd09", SRFS_VERITY_DIGEST_MAX, out, sizeof(out)) == 0);
	CHECK_STREQ(out, "abcd09");
	CHECK(srfs_verity_hex("abc", SRFS_VERITY_DIGEST_MAX, out, sizeof(out)) == -EINVAL);
	CHECK(srfs_verity_hex("", SRFS_VERITY_DIGEST_MAX, out, sizeof(out)) == -EINVAL);
	CHECK(srfs_verity_hex("zz", SRFS_VERITY_DIGEST_MAX, out, sizeof(out)) == -EINVAL);
	CHECK(srfs_verity_hex("abcdef", 2, out, sizeof(out)) == -EINVAL);

	CHECK(srfs_verity_table(&p, "00ff", makedev(254, 1), makedev(254, 2), NULL, buf,
				sizeof(buf)) == 0);
	CHECK_STREQ(buf, "1 254:1 254:2 4096 4096 16384 1 sha256 00ff ab");
	CHECK(srfs_verity_table(&p, "00ff", makedev(7, 0), makedev(7, 1), "srfs-verity:img", buf,
				sizeof(buf)) == 0);
	CHECK_STREQ(buf, "1 7:0 7:1 4096 4096 16384 1 sha256 00ff ab 2 root_hash_sig_key_desc "
			 "srfs-verity:img");
	CHECK(srfs_verity_table(&p, "00ff", 0, 0, NULL, buf, 10) == -ENAMETOOLONG);
	CHECK(srfs_verity_sectors(&p) == 16384 * 8);

	CHECK(srfs_verity_status_parse("V") == 0);
	CHECK(srfs_verity_status_parse("C") == 1);
	CHECK(srfs_verity_status_parse("C -") == 1);
	CHECK(srfs_verity_status_parse("") == -EINVAL);
	CHECK(srfs_verity_status_parse("X") == -EINVAL);
}
