/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the libFuzzer targets share: the input as a NUL-terminated string, and a hard check. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copy of DATA with a NUL after it (parsers of strings stop at the first NUL anyway). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A property the parser promises; a violation is a finding, like a crash. */
#define FUZZ_ASSERT(cond)                                                                \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__,        \
				__LINE__, #cond);                                        \
			abort();                                                         \
		}                                                                        \
	} while (0)
