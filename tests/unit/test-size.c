/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "size.h"
#include "unit.h"

TEST(size_parse_valid)
{
	static const struct {
		const char *in;
		uint64_t out;
	} cases[] = {
		{ "0", 0 },
		{ "512", 512 },
		{ "64K", 64 << 10 },
		{ "64k", 64 << 10 },
		{ "64KiB", 64 << 10 },
		{ "64kb", 64 << 10 },
		{ "10G", 10ULL << 30 },
		{ "1T", 1ULL << 40 },
		{ "3M", 3 << 20 },
		{ "2P", 2ULL << 50 },
		{ "15E", 15ULL << 60 },
		{ "18446744073709551615", UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 42;
		CHECK(srfs_size_parse(cases[i].in, &v) == 0);
		CHECK(v == cases[i].out);
	}
}

TEST(size_parse_invalid)
{
	const char *garbage[] = { "",   "-1",  "+1",  " 1", "1 ", "1.5G", "G",   "1X",
				  "1KK", "1Ki", "1iB", "0x10", "1e3", "1G\n", "K1",  "1 G" };
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		uint64_t v = 42;
		CHECK(srfs_size_parse(garbage[i], &v) == -EINVAL);
		CHECK(v == 42);
	}
	uint64_t v = 42;
	CHECK(srfs_size_parse(NULL, &v) == -EINVAL);
	CHECK(srfs_size_parse("18446744073709551616", &v) == -ERANGE);
	CHECK(srfs_size_parse("16E", &v) == -ERANGE);
	CHECK(srfs_size_parse("17179869184G", &v) == -ERANGE);
	CHECK(srfs_size_parse("99999999999999999999999T", &v) == -ERANGE);
	CHECK(v == 42);
}

TEST(size_format)
{
	char buf[32];
	CHECK_STREQ(srfs_size_format(buf, sizeof(buf), 512), "512");
	CHECK_STREQ(srfs_size_format(buf, sizeof(buf), 64 << 10), "64K");
	CHECK_STREQ(srfs_size_format(buf, sizeof(buf), 3 << 19), "1.5M");
	CHECK_STREQ(srfs_size_format(buf, sizeof(buf), 10ULL << 30), "10G");
	CHECK_STREQ(srfs_size_format(buf, sizeof(buf), UINT64_MAX), "15.9E");
}
