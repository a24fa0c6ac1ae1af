/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "macro.h"
#include "record.h"
#include "unit.h"

static const struct srfs_record_key share_keys[] = {
	{ "version", true }, { "image", true }, { "target", true }, { "label", false }, { 0 },
};

TEST(record_round_trip)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_record_ struct srfs_record back = { 0 };
	_cleanup_free_ char *text = NULL;
	char err[256] = "";
	size_t len;

	CHECK(srfs_record_set(&rec, "version", "1") == 0);
	CHECK(srfs_record_set(&rec, "image", "alpine") == 0);
	CHECK(srfs_record_set(&rec, "target", "/odd\npath\\with = signs") == 0);
	CHECK(srfs_record_set_u64(&rec, "label", 18446744073709551615ULL) == 0);
	CHECK(srfs_record_set(&rec, "image", "busybox") == 0); /* replaces */
	CHECK(rec.n_fields == 4);
	CHECK(srfs_record_format(&rec, &text, &len) == 0);
	CHECK_STREQ(text, "version=1\nimage=busybox\ntarget=/odd\\npath\\\\with = signs\n"
			  "label=18446744073709551615\n");
	CHECK(len == strlen(text));
	CHECK(srfs_record_parse(&back, text, len, share_keys, err, sizeof(err)) == 0);
	CHECK_STREQ(srfs_record_get(&back, "target"), "/odd\npath\\with = signs");
	uint64_t v;
	CHECK(srfs_record_get_u64(&back, "label", &v) == 0 && v == UINT64_MAX);
	CHECK(srfs_record_get_u64(&back, "image", &v) == -EINVAL);
	CHECK(srfs_record_get(&back, "nope") == NULL);
	CHECK(srfs_record_get_u64(&back, "nope", &v) == -ENOENT);
	CHECK(srfs_record_set(&rec, "Bad-Key", "x") == -EINVAL);
	CHECK(srfs_record_set(&rec, "", "x") == -EINVAL);
}

static int parse(const char *text, size_t len, char *err, size_t err_size)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	err[0] = '\0';
	return srfs_record_parse(&rec, text, len, share_keys, err, err_size);
}

TEST(record_malformed)
{
	static const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "version=1\nimage=a\ntarget=/t\nextra=1\n", "line 4: unknown key 'extra'" },
		{ "version=1\nimage=a\nimage=b\ntarget=/t\n", "line 3: duplicate key 'image'" },
		{ "version=1\nimage=a\n", "missing key 'target'" },
		{ "version=1\nimage=a\ntarget=/t", "truncated: no newline at the end" },
		{ "version=1\nimage\ntarget=/t\n", "line 2: no '=' in line" },
		{ "version=1\n=a\ntarget=/t\n", "line 2: malformed key ''" },
		{ "version=1\nImage=a\ntarget=/t\n", "line 2: malformed key 'Image'" },
		{ "version=1\nimage=a\\x\ntarget=/t\n", "line 2: bad escape in value of 'image'" },
		{ "version=1\nimage=a\\\ntarget=/t\n", "line 2: bad escape in value of 'image'" },
		{ "\n", "line 1: no '=' in line" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(parse(cases[i].text, strlen(cases[i].text), err, sizeof(err)) == -EBADMSG);
		CHECK_STREQ(err, cases[i].why);
	}

	/* An embedded NUL. */
	static const char nul[] = "version=1\nimage=a\0b\ntarget=/t\n";
	CHECK(parse(nul, sizeof(nul) - 1, err, sizeof(err)) == -EBADMSG);
	CHECK_STREQ(err, "contains a NUL byte");

	/* A line just over the limit, and one just at it. */
	_cleanup_free_ char *big = malloc(SRFS_RECORD_LINE_MAX + 64);
	size_t n = (size_t)sprintf(big, "version=1\nimage=a\ntarget=");
	size_t fill = SRFS_RECORD_LINE_MAX - strlen("target=");
	memset(big + n, 'x', fill);
	big[n + fill] = '\n';
	CHECK(parse(big, n + fill + 1, err, sizeof(err)) == -EBADMSG);
	char want[64];
	snprintf(want, sizeof(want), "line 3: longer than %d bytes", SRFS_RECORD_LINE_MAX);
	CHECK_STREQ(err, want);
	big[n + fill - 1] = '\n';
	CHECK(parse(big, n + fill, err, sizeof(err)) == 0);

	/* A record over the size limit. */
	_cleanup_free_ char *huge = malloc(SRFS_RECORD_SIZE_MAX + 2);
	memset(huge, '\n', SRFS_RECORD_SIZE_MAX + 1);
	CHECK(parse(huge, SRFS_RECORD_SIZE_MAX + 1, err, sizeof(err)) == -EBADMSG);
	CHECK_STREQ(err, "larger than 65536 bytes");

	/* Any key passes without a schema; an empty record is fine then. */
	_cleanup_record_ struct srfs_record rec = { 0 };
	CHECK(srfs_record_parse(&rec, "anything=1\n", 11, NULL, err, sizeof(err)) == 0);
	CHECK(srfs_record_parse(&rec, "", 0, NULL, err, sizeof(err)) == 0);
	CHECK(rec.n_fields == 0);
}

TEST(record_format_limits)
{
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *value = malloc(SRFS_RECORD_LINE_MAX);

	memset(value, '\n', SRFS_RECORD_LINE_MAX / 2);
	value[SRFS_RECORD_LINE_MAX / 2] = '\0';
	/* Each newline doubles when escaped: the line would be too long. */
	CHECK(srfs_record_set(&rec, "v", value) == 0);
	CHECK(srfs_record_format(&rec, &text, NULL) == -E2BIG);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

TEST(record_save_load)
{
	const char *dir = unit_tmpdir();
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	_cleanup_record_ struct srfs_record rec = { 0 };
	_cleanup_record_ struct srfs_record back = { 0 };
	char err[256] = "";
	struct stat st;

	CHECK(dfd >= 0);
	CHECK(srfs_record_set(&rec, "version", "1") == 0);
	CHECK(srfs_record_set(&rec, "image", "alpine") == 0);
	CHECK(srfs_record_set(&rec, "target", "/srv/c1") == 0);
	CHECK(srfs_record_save(dfd, "c1", &rec, SRFS_RECORD_DURABLE) == 0);
	CHECK(fstatat(dfd, "c1", &st, 0) == 0);
	CHECK((st.st_mode & 07777) == 0600);
	CHECK(count_entries(dir) == 1); /* no temporary file left */

	CHECK(srfs_record_set(&rec, "target", "/srv/c2") == 0);
	CHECK(srfs_record_save(dfd, "c1", &rec, 0) == 0);
	CHECK(srfs_record_load(dfd, "c1", share_keys, &back, err, sizeof(err)) == 0);
	CHECK_STREQ(srfs_record_get(&back, "target"), "/srv/c2");
	CHECK(count_entries(dir) == 1);

	CHECK(srfs_record_load(dfd, "missing", share_keys, &back, err, sizeof(err)) == -ENOENT);
	CHECK(symlinkat("c1", dfd, "link") == 0);
	CHECK(srfs_record_load(dfd, "link", share_keys, &back, err, sizeof(err)) == -EBADMSG);
	CHECK_STREQ(err, "is a symbolic link");
	CHECK(mkdirat(dfd, "sub", 0700) == 0);
	CHECK(srfs_record_load(dfd, "sub", share_keys, &back, err, sizeof(err)) == -EBADMSG);
	CHECK_STREQ(err, "not a regular file");
	/* The old contents survive a failed load. */
	CHECK_STREQ(srfs_record_get(&back, "target"), "/srv/c2");

	CHECK(srfs_record_remove(dfd, "c1", SRFS_RECORD_DURABLE) == 0);
	CHECK(srfs_record_remove(dfd, "c1", 0) == 0);
	CHECK(faccessat(dfd, "c1", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
}
