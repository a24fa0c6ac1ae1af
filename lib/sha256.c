/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <openssl/evp.h>
#include <string.h>

#include "macro.h"
#include "sha256.h"

struct srfs_sha256 {
	EVP_MD_CTX *ctx;
};

struct srfs_sha256 *srfs_sha256_new(void)
{
	struct srfs_sha256 *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		srfs_sha256_free(h);
		return NULL;
	}
	return h;
}

void srfs_sha256_update(struct srfs_sha256 *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, data, len);
}

void srfs_sha256_final(struct srfs_sha256 *h, char out[SRFS_DIGEST_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char *p = out + sizeof(SRFS_DIGEST_PREFIX) - 1;

	EVP_DigestFinal_ex(h->ctx, md, &len);
	memcpy(out, SRFS_DIGEST_PREFIX, sizeof(SRFS_DIGEST_PREFIX) - 1);
	for (unsigned i = 0; i < len && i < SRFS_DIGEST_HEX / 2; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
	srfs_sha256_free(h);
}

void srfs_sha256_free(struct srfs_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int srfs_sha256_buffer(const void *data, size_t len, char out[SRFS_DIGEST_MAX + 1])
{
	struct srfs_sha256 *h = srfs_sha256_new();
	if (!h)
		return -ENOMEM;
	srfs_sha256_update(h, data, len);
	srfs_sha256_final(h, out);
	return 0;
}
