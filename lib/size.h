/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sizes on the command line: a whole number of bytes with an optional binary
 * unit, K M G T P E (powers of 1024), optionally followed by "iB" or "B",
 * in either case: 512, 64K, 64KiB, 10G, 1t.  No sign, no fraction, no spaces.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

int srfs_size_parse(const char *s, uint64_t *bytes);

/* Formats BYTES for people: "10G", "1.5M", "512". Returns BUF. */
const char *srfs_size_format(char *buf, size_t size, uint64_t bytes);
