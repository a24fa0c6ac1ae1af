/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A tiny unit test runner: TEST(name) { CHECK(...); }, ends with "N passed, N failed". */
#pragma once

#include <stdbool.h>
#include <string.h>

void unit_register(const char *name, void (*fn)(void));
bool unit_fail(const char *file, int line, const char *what);
/* A fresh empty directory for this test, removed after it. */
const char *unit_tmpdir(void);

#define TEST(name)                                                                       \
	static void test_##name(void);                                                   \
	__attribute__((constructor)) static void register_##name(void)                   \
	{                                                                                \
		unit_register(#name, test_##name);                                       \
	}                                                                                \
	static void test_##name(void)

/* A failed check ends the test (it returns from the test function). */
#define CHECK(expr)                                                                      \
	do {                                                                             \
		if (!(expr) && unit_fail(__FILE__, __LINE__, #expr))                       \
			return;                                                          \
	} while (0)
#define CHECK_STREQ(a, b) CHECK(strcmp((a), (b)) == 0)
