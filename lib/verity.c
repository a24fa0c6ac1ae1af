/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hash trees through libcryptsetup (verity.h). */
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "verity.h"

static void crypt_freep(struct crypt_device **cd)
{
	if (*cd)
		crypt_free(*cd);
}
#define _cleanup_crypt_ _cleanup_(crypt_freep)

/* libcryptsetup's own messages go to our debug output: we log once, with context. */
static void crypt_log_to_debug(int level, const char *msg, void *userdata)
{
	(void)level;
	(void)userdata;
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		n--;
	log_debug("libcryptsetup: %.*s", (int)n, msg);
}

static void setup(struct crypt_device *cd)
{
	crypt_set_log_callback(cd, crypt_log_to_debug, NULL);
	if (srfs_log_get_level() >= SRFS_LOG_DEBUG)
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
}

static void to_hex(const unsigned char *bytes, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
	out[2 * n] = '\0';
}

static int from_hex(const char *hex, unsigned char *bytes, size_t size, size_t *n)
{
	size_t len = strlen(hex);
	if (len % 2 || len / 2 > size)
		return -EINVAL;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		bytes[i] = (unsigned char)v;
	}
	*n = len / 2;
	return 0;
}

/* Copies libcryptsetup's view of the loaded or formatted header into P. */
static int get_params(struct crypt_device *cd, struct srfs_verity_params *p)
{
	struct crypt_params_verity vp = { 0 };
	int r = crypt_get_verity_info(cd, &vp);
	if (r < 0)
		return r;
	/*
	 * What image-verity makes and the catalog takes back: sha256, 4 KiB data
	 * and hash blocks (a file system's blocks must be readable through the
	 * target).  Anything else would be a record no tool could load again.
	 */
	if (vp.salt_size > SRFS_VERITY_SALT_MAX || vp.hash_type != 1 || vp.hash_area_offset != 0 ||
	    vp.data_block_size != SRFS_VERITY_BLOCK || vp.hash_block_size != SRFS_VERITY_BLOCK ||
	    !vp.hash_name || strcmp(vp.hash_name, SRFS_VERITY_ALGORITHM) != 0)
		return -EINVAL;
	*p = (struct srfs_verity_params){
		.data_block_size = vp.data_block_size,
		.hash_block_size = vp.hash_block_size,
		.data_blocks = vp.data_size,
		/* The superblock takes the first hash block. */
		.hash_start = 1,
	};
	snprintf(p->algorithm, sizeof(p->algorithm), "%s", vp.hash_name);
	to_hex((const unsigned char *)vp.salt, vp.salt_size, p->salt);
	return 0;
}

int srfs_verity_format(const char *data, const char *hash, uint64_t data_blocks,
		       struct srfs_verity_params *p, char *root_hash)
{
	_cleanup_crypt_ struct crypt_device *cd = NULL;
	unsigned char key[SRFS_VERITY_DIGEST_MAX];
	size_t key_size = sizeof(key);
	struct crypt_params_verity vp = {
		.hash_name = SRFS_VERITY_ALGORITHM,
		.data_device = data,
		.salt = NULL,
		.salt_size = 32, /* veritysetup's default: a random salt of 32 bytes */
		.hash_type = 1,
		.data_block_size = SRFS_VERITY_BLOCK,
		.hash_block_size = SRFS_VERITY_BLOCK,
		.data_size = data_blocks,
		.hash_area_offset = 0,
		.flags = CRYPT_VERITY_CREATE_HASH,
	};
	int r = crypt_init(&cd, hash);
	if (r < 0)
		return log_errno(r, "cannot open %s for a hash tree", hash);
	setup(cd);
	r = crypt_format(cd, CRYPT_VERITY, NULL, NULL, NULL, NULL, 0, &vp);
	if (r < 0)
		return log_errno(r, "cannot write the hash tree of %s to %s", data, hash);
	r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, (char *)key, &key_size, NULL, 0);
	if (r >= 0)
		r = get_params(cd, p);
	if (r < 0)
		return log_errno(r, "cannot read the root hash of the hash tree on %s", hash);
	to_hex(key, key_size, root_hash);
	return 0;
}

int srfs_verity_load(const char *data, const char *hash, const char *root_hash,
		     const char *data_name, const char *hash_name, struct srfs_verity_params *p)
{
	_cleanup_crypt_ struct crypt_device *cd = NULL;
	unsigned char key[SRFS_VERITY_DIGEST_MAX];
	size_t key_size;
	struct crypt_params_verity vp = { .flags = CRYPT_VERITY_CHECK_HASH };
	int r;

	if (from_hex(root_hash, key, sizeof(key), &key_size) < 0) {
		log_error("invalid root hash '%s'", root_hash);
		return -EINVAL;
	}
	r = crypt_init_data_device(&cd, hash, data);
	if (r < 0)
		return log_errno(r, "cannot open the hash tree %s", hash_name);
	setup(cd);
	r = crypt_load(cd, CRYPT_VERITY, &vp);
	if (r < 0) {
		log_error("%s holds no hash tree in veritysetup's format", hash_name);
		return -EINVAL;
	}
	r = get_params(cd, p);
	if (r < 0) {
		log_error("the hash tree %s uses parameters that cannot be used here (format 1, "
			  "its superblock at offset 0, sha256, 4096-byte data and hash blocks)",
			  hash_name);
		return -EINVAL;
	}
	if (key_size != (size_t)crypt_get_volume_key_size(cd)) {
		log_error("the root hash has %zu bytes, but %s hashes are %d bytes long", key_size,
			  p->algorithm, crypt_get_volume_key_size(cd));
		return -EINVAL;
	}
	/* No name: libcryptsetup only checks (every block, CRYPT_VERITY_CHECK_HASH). */
	r = crypt_activate_by_volume_key(cd, NULL, (const char *)key, key_size, 0);
	/* (-EPERM: a data or hash block does not match; -EFAULT: the root hash does not.) */
	if (r == -EPERM || r == -EFAULT) {
		log_error("%s does not verify: its hash tree %s and root hash %s do not match its "
			  "data",
			  data_name, hash_name, root_hash);
		return -EPERM;
	}
	if (r < 0)
		return log_errno(r, "cannot check %s against its hash tree %s", data_name, hash_name);
	return 0;
}
