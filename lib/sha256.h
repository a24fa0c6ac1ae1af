/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SHA-256 (libcrypto's) as digest.h writes it, computed while data streams,
 * so a blob is read once and never held whole.  Its own module so that only
 * the programs that hash link libcrypto.
 */
#pragma once

#include <stddef.h>

#include "digest.h"

struct srfs_sha256;

/* A running SHA-256; NULL when out of memory. */
struct srfs_sha256 *srfs_sha256_new(void);
void srfs_sha256_update(struct srfs_sha256 *h, const void *data, size_t len);
/* Writes "sha256:HEX" into OUT (SRFS_DIGEST_MAX + 1 bytes) and frees H. */
void srfs_sha256_final(struct srfs_sha256 *h, char out[SRFS_DIGEST_MAX + 1]);
void srfs_sha256_free(struct srfs_sha256 *h);

/* The digest of LEN bytes at DATA, as srfs_sha256_final writes it. */
int srfs_sha256_buffer(const void *data, size_t len, char out[SRFS_DIGEST_MAX + 1]);

