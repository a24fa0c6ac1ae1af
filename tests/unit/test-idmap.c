/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "unit.h"

/* The canonical text of TEXT, or "ERROR: why". */
static const char *canon(const char *text, char *out, size_t size)
{
	static struct srfs_idmap map;
	char err[256];
	if (srfs_idmap_parse(text, &map, err, sizeof(err)) < 0) {
		snprintf(out, size, "ERROR: %s", err);
		return out;
	}
	char *s = srfs_idmap_format(&map);
	snprintf(out, size, "%s", s ? s : "(null)");
	free(s);
	return out;
}

TEST(idmap_canonical)
{
	char b[512];
	CHECK_STREQ(canon("0:100000:65536", b, sizeof(b)), "b:0:100000:65536");
	CHECK_STREQ(canon("b:0:100000:65536", b, sizeof(b)), "b:0:100000:65536");
	CHECK_STREQ(canon("  u:0:100000:65536   g:0:100000:65536 ", b, sizeof(b)),
		    "b:0:100000:65536");
	/* Sorted by the inside id; u: before g: when they differ. */
	CHECK_STREQ(canon("g:0:7:1 u:1000:501000:1 u:0:400000:1000", b, sizeof(b)),
		    "u:0:400000:1000 u:1000:501000:1 g:0:7:1");
	CHECK_STREQ(canon("b:0:4294967294:1", b, sizeof(b)), "b:0:4294967294:1");
	CHECK_STREQ(canon("4294967294:0:1", b, sizeof(b)), "b:4294967294:0:1");
}

TEST(idmap_refused)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "", "ERROR: empty idmap" },
		{ "   ", "ERROR: empty idmap" },
		{ "0:100000", "ERROR: idmap entry '0:100000': expected [u:|g:|b:]INSIDE:OUTSIDE:COUNT" },
		{ "0:1:2:3", "ERROR: idmap entry '0:1:2:3': expected" },
		{ "x:0:1:1", "ERROR: idmap entry 'x:0:1:1': 'x' is not an id" },
		{ "u:", "ERROR: idmap entry 'u:': 'u' is not an id" },
		{ "0:+1:1", "ERROR: idmap entry '0:+1:1': '+1' is not an id" },
		{ "0::1", "ERROR: idmap entry '0::1': '' is not an id" },
		{ "0:4294967296:1", "ERROR: idmap entry '0:4294967296:1': '4294967296' is not an id" },
		{ "0:1:0", "ERROR: idmap entry '0:1:0': the count is 0" },
		{ "4294967295:0:1", "ERROR: idmap entry '4294967295:0:1': the range runs past" },
		{ "0:4294967290:6", "ERROR: idmap entry '0:4294967290:6': the range runs past" },
		{ "0:100:10 9:200:1", "ERROR: idmap entry '9:200:1': its inside uids overlap those of 0:100:10" },
		{ "u:0:100:10 u:10:109:1 g:0:1:1", "ERROR: idmap entry 'u:10:109:1': its outside uids overlap" },
		{ "g:0:100:10 g:5:1:1 u:0:1:1", "ERROR: idmap entry 'g:5:1:1': its inside gids overlap" },
		{ "u:0:1:1", "ERROR: idmap gives no gid ranges (add g: or b: entries)" },
		{ "g:0:1:1", "ERROR: idmap gives no uid ranges (add u: or b: entries)" },
	};
	char b[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		canon(cases[i].text, b, sizeof(b));
		if (strncmp(b, cases[i].err, strlen(cases[i].err)) != 0)
			fprintf(stderr, "'%s': got '%s'\n", cases[i].text, b);
		CHECK(strncmp(b, cases[i].err, strlen(cases[i].err)) == 0);
	}
}

TEST(idmap_kernel_limits)
{
	/* 340 entries a kind, each written out in one page: 341, and 330 long lines, fail. */
	static char text[32768];
	char b[512];
	size_t n = 0;
	for (int i = 0; i < 340; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%d:%d:1 ", i, 10 + 2 * i);
	CHECK(strncmp(canon(text, b, sizeof(b)), "b:0:10:1 b:1:12:1", 17) == 0);
	snprintf(text + n, sizeof(text) - n, "340:9999:1");
	CHECK_STREQ(canon(text, b, sizeof(b)),
		    "ERROR: more than 340 uid ranges (the kernel takes at most 340)");
	n = 0;
	for (int i = 0; i < 330; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%d:%d:1 ", i, 1000000 + 2 * i);
	CHECK(strncmp(canon(text, b, sizeof(b)),
		      "ERROR: idmap has more uid ranges than the kernel takes", 54) == 0);
}
