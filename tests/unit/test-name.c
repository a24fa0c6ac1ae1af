/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "unit.h"
#include "util.h"

TEST(name_valid)
{
	char longest[SRFS_NAME_MAX + 1];
	memset(longest, 'a', SRFS_NAME_MAX);
	longest[SRFS_NAME_MAX] = '\0';

	const char *good[] = { "a", "Z", "0", "_x", "alpine-3.19", "a.b_c-D9", "x..y", longest };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(srfs_name_check(good[i], NULL) == 0);
}

TEST(name_invalid)
{
	char too_long[SRFS_NAME_MAX + 2];
	memset(too_long, 'a', SRFS_NAME_MAX + 1);
	too_long[SRFS_NAME_MAX + 1] = '\0';
	const char *why = NULL;

	const char *bad[] = { "",    ".",   "..",   "../x", "a/b",  ".hidden", "-x",
			      "a b", "a\nb", "a\tb", "x\x01", "caf\xc3\xa9", "a:b", "a*",
			      "/abs", too_long };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK(srfs_name_check(bad[i], &why) == -EINVAL);
		CHECK(why != NULL);
	}
	CHECK(srfs_name_check(NULL, &why) == -EINVAL);
	CHECK(srfs_name_check(too_long, &why) == -EINVAL);
	CHECK_STREQ(why, "longer than 128 characters");
	CHECK(srfs_name_check("", &why) == -EINVAL);
	CHECK_STREQ(why, "must not be empty");
	CHECK(srfs_name_validate("image", "../x") == -EINVAL);
}

TEST(quote)
{
	char buf[SRFS_QUOTE_MAX];
	CHECK_STREQ(srfs_quote(buf, sizeof(buf), "plain/path"), "plain/path");
	CHECK_STREQ(srfs_quote(buf, sizeof(buf), "a\nb\tc\\"), "a\\nb\\tc\\\\");
	CHECK_STREQ(srfs_quote(buf, sizeof(buf), "\x01\xff"), "\\x01\\xff");
	char small[8];
	CHECK_STREQ(srfs_quote(small, sizeof(small), "abcdefghij"), "abcd...");
	CHECK_STREQ(srfs_quote(small, sizeof(small), "abcdefg"), "abcdefg");
	CHECK_STREQ(srfs_quote(small, sizeof(small), ""), "");
}

TEST(parse_u64)
{
	uint64_t v = 1;
	CHECK(srfs_parse_u64("0", &v) == 0 && v == 0);
	CHECK(srfs_parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX);
	CHECK(srfs_parse_u64("18446744073709551616", &v) == -ERANGE);
	CHECK(srfs_parse_u64("", &v) == -EINVAL);
	CHECK(srfs_parse_u64("-1", &v) == -EINVAL);
	CHECK(srfs_parse_u64(" 1", &v) == -EINVAL);
	CHECK(srfs_parse_u64("1x", &v) == -EINVAL);
}

TEST(path_join)
{
	char *p = srfs_path_join("/run/x/", "/y");
	CHECK(p != NULL);
	CHECK_STREQ(p, "/run/x/y");
	free(p);
	p = srfs_path_join("/", "y");
	CHECK_STREQ(p, "/y");
	free(p);
}

TEST(dm_name)
{
	char buf[SRFS_DM_NAME_MAX + 1], other[SRFS_DM_NAME_MAX + 1];
	char a[SRFS_NAME_MAX + 1], b[SRFS_NAME_MAX + 1];

	CHECK(srfs_dm_name(buf, sizeof(buf), "srfs-", "pool", NULL) == 0);
	CHECK_STREQ(buf, "srfs-pool");
	CHECK(srfs_dm_name(buf, sizeof(buf), "srfs-", "pool", "img") == 0);
	CHECK_STREQ(buf, "srfs-pool-img");
	CHECK(srfs_dm_name(buf, 16, "srfs-", "pool", NULL) == -ENAMETOOLONG);
	/* Image devices: a separator no pool name can contain. */
	CHECK(srfs_dm_name(buf, sizeof(buf), "srfs-img:", "img-1", NULL) == 0);
	CHECK_STREQ(buf, "srfs-img:img-1");

	/* Longest names: cut to 127 characters, kept apart by the hash. */
	memset(a, 'a', SRFS_NAME_MAX);
	a[SRFS_NAME_MAX] = '\0';
	memset(b, 'b', SRFS_NAME_MAX);
	b[SRFS_NAME_MAX] = '\0';
	CHECK(srfs_dm_name(buf, sizeof(buf), "srfs-", a, b) == 0);
	CHECK(strlen(buf) == SRFS_DM_NAME_MAX);
	CHECK(strncmp(buf, "srfs-aaaa", 9) == 0);
	b[SRFS_NAME_MAX - 1] = 'c';
	CHECK(srfs_dm_name(other, sizeof(other), "srfs-", a, b) == 0);
	CHECK(strlen(other) == SRFS_DM_NAME_MAX);
	CHECK(strcmp(buf, other) != 0);
	/* "a-b" + "c" and "a" + "b-c" must not collide either. */
	CHECK(srfs_dm_name(buf, sizeof(buf), "srfs-", a, "x-y") == 0);
	a[SRFS_NAME_MAX - 1] = '\0';
	CHECK(srfs_dm_name(other, sizeof(other), "srfs-", a, "a-x-y") == 0);
	CHECK(strcmp(buf, other) != 0);
	/* Exactly 127 characters: no hash. */
	memset(a, 'q', 122);
	a[122] = '\0';
	CHECK(srfs_dm_name(buf, sizeof(buf), "srfs-", a, NULL) == 0);
	CHECK(strlen(buf) == 127 && buf[126] == 'q');
}
