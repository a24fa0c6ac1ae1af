/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content digests as OCI writes them: "sha256:" and 64 lowercase hex
 * digits, checked here; sha256.h computes them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRFS_DIGEST_PREFIX "sha256:"
#define SRFS_DIGEST_HEX 64
/* "sha256:" and 64 hex digits: 71 bytes and a NUL. */
#define SRFS_DIGEST_MAX (sizeof(SRFS_DIGEST_PREFIX) - 1 + SRFS_DIGEST_HEX)

/*
 * Is S a digest this library can check?  0; -EINVAL when malformed (not
 * ALGORITHM:ENCODED, or sha256 with other than 64 lowercase hex digits),
 * -EOPNOTSUPP when well-formed but of another algorithm (sha512, ...).
 */
int srfs_digest_check(const char *s);

/* The 64 hex digits of a checked digest (S past "sha256:"). */
static inline const char *srfs_digest_hex(const char *s)
{
	return s + sizeof(SRFS_DIGEST_PREFIX) - 1;
}
