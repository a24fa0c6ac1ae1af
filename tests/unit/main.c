/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "unit.h"

struct test {
	const char *name;
	void (*fn)(void);
};

static struct test tests[256];
static int n_tests;
static bool current_failed;
static char tmpdir[64];

void unit_register(const char *name, void (*fn)(void))
{
	if (n_tests == (int)(sizeof(tests) / sizeof(tests[0]))) {
		fprintf(stderr, "too many unit tests\n");
		abort();
	}
	tests[n_tests++] = (struct test){ name, fn };
}

bool unit_fail(const char *file, int line, const char *what)
{
	printf("#   %s:%d: check failed: %s\n", file, line, what);
	current_failed = true;
	return true;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

const char *unit_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/srfs-unit.XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			abort();
		}
	}
	return tmpdir;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	srfs_log_init("unit");
	/* The library logs its errors; keep them out of the results unless asked. */
	if (!getenv("UNIT_VERBOSE") && !freopen("/dev/null", "w", stderr))
		return 1;
	for (int i = 0; i < n_tests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		current_failed = false;
		tests[i].fn();
		if (tmpdir[0]) {
			nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
			tmpdir[0] = '\0';
		}
		printf("%s - %s\n", current_failed ? "FAIL" : "ok", tests[i].name);
		if (current_failed)
			failed++;
		else
			passed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
