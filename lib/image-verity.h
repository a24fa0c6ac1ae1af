/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * image-verity: a hash tree for a sealed image, in veritysetup's format
 * (verity.h), so that its activation goes through a dm-verity target and the
 * kernel checks every block it reads against the recorded root hash.
 *
 * A pool image's hash area is a thin device of the same pool, made through
 * the catalog's transactions (thinid.h), written through the writable device
 * "srfs-vhash:NAME" from the read-only "srfs-vdata:NAME", then the root hash
 * recorded.  A crash leaves the image as it was plus a hash area that
 * shared-rootfs-recover (or the next image-verity) deletes.  Crash points:
 * thinid.h's "image-verity:*", then "image-verity:device" (both devices
 * made), "image-verity:format" (the tree written), "image-verity:release"
 * (the devices removed).
 *
 * A file image's hash tree goes to FILE.verity (or a path given), created
 * for it alone, before the record names it.
 */
#pragma once

#include <stddef.h>

#include "catalog.h"
#include "pooltx.h"
#include "state.h"

struct srfs_image_verity_options {
	const char *hash_file; /* file and block images: where the tree goes (FILE.verity) */
};

/*
 * image-verity: builds and records the hash tree of sealed image NAME (not
 * active), or finds the one it has; its root hash into ROOT_HASH (hex,
 * SRFS_VERITY_ROOT_HEX_MAX + 1 bytes).
 */
int srfs_image_verity(const char *name, const struct srfs_image_verity_options *o,
		      char *root_hash);

/*
 * For image-create --verity: the hash tree of pool image IMG, built and
 * unsealed, in the pool of TX (held); IMG gets the hash area's thin id, the
 * parameters and the root hash, and is saved with the thin id only: the
 * caller seals it.
 */
int srfs_image_verity_build(struct srfs_state *st, const struct srfs_pool *pool,
			    struct srfs_image *img);

/*
 * For image-create --source FILE --verity HASH --root-hash HEX: checks FILE
 * against the hash tree HASH (veritysetup format) and the root hash, in full,
 * and fills IMG's hash tree fields.
 */
int srfs_image_verity_register(struct srfs_image *img, int data_fd, const char *hash_file,
			       const char *root_hash);
