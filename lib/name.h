/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names of pools, images and containers: 1 to 128 characters of
 * [A-Za-z0-9_.-], not starting with '.' or '-'.  They become file names in the
 * state directories and parts of device-mapper names, so nothing else passes.
 */
#pragma once

#define SRFS_NAME_MAX 128

/* Returns 0 for a valid name, else -EINVAL and (if WHY) a short reason. */
int srfs_name_check(const char *name, const char **why);

/* As srfs_name_check, and logs "invalid KIND name 'NAME': WHY". */
int srfs_name_validate(const char *kind, const char *name);

/* device-mapper names are at most 127 characters. */
#define SRFS_DM_NAME_MAX 127

/*
 * The dm name "PREFIXA" or "PREFIXA-B" into BUF (PREFIX ends in its own
 * separator: "srfs-" for pools, "srfs-img:" for images) (at least SRFS_DM_NAME_MAX
 * + 1 bytes).  When that is longer than SRFS_DM_NAME_MAX it is cut and ends in
 * "-" and a 64-bit hash of A and B, so it stays unique and readable.
 */
int srfs_dm_name(char *buf, size_t size, const char *prefix, const char *a, const char *b);
