/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <stdio.h>

#include "macro.h"
#include "probe.h"

static void blkid_free_probep(blkid_probe *pr)
{
	if (*pr)
		blkid_free_probe(*pr);
}

/* A probe of FD, or NULL with *R set. */
static blkid_probe probe_new(int fd, int *r)
{
	blkid_probe pr = blkid_new_probe();
	if (!pr) {
		*r = -ENOMEM;
		return NULL;
	}
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		*r = -EIO;
		return NULL;
	}
	blkid_probe_enable_superblocks(pr, 1);
	return pr;
}

int srfs_probe_signature(int fd, char *what, size_t what_size)
{
	int r = 0;
	_cleanup_(blkid_free_probep) blkid_probe pr = probe_new(fd, &r);
	const char *value = NULL;

	if (!pr)
		return r;
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);

	r = blkid_do_safeprobe(pr);
	if (r == 1)
		return 0;
	if (r == -2) {
		snprintf(what, what_size, "several conflicting signatures");
		return 1;
	}
	if (r < 0)
		return -EIO;
	if (blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0)
		snprintf(what, what_size, "%s", value);
	else if (blkid_probe_lookup_value(pr, "PTTYPE", &value, NULL) == 0)
		snprintf(what, what_size, "partition table %s", value);
	else
		snprintf(what, what_size, "an unknown signature");
	return 1;
}

int srfs_probe_filesystem(int fd, char *type, size_t type_size)
{
	int r = 0;
	_cleanup_(blkid_free_probep) blkid_probe pr = probe_new(fd, &r);
	const char *value = NULL;

	if (!pr)
		return r;
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_filter_superblocks_usage(pr, BLKID_FLTR_ONLYIN, BLKID_USAGE_FILESYSTEM);
	blkid_probe_enable_partitions(pr, 0);

	r = blkid_do_safeprobe(pr);
	if (r == 1 || r == -2)
		return 0;
	if (r < 0)
		return -EIO;
	if (blkid_probe_lookup_value(pr, "TYPE", &value, NULL) < 0)
		return 0;
	snprintf(type, type_size, "%s", value);
	return 1;
}

int srfs_probe_block_size(int fd, uint64_t *size)
{
	int r = 0;
	_cleanup_(blkid_free_probep) blkid_probe pr = probe_new(fd, &r);
	const char *value = NULL;
	char *end;

	if (!pr)
		return r;
#ifdef BLKID_SUBLKS_FSINFO /* (util-linux 2.39: BLOCK_SIZE only when asked for) */
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_FSINFO);
#else
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
#endif
	blkid_probe_enable_partitions(pr, 0);
	r = blkid_do_safeprobe(pr);
	if (r == 1 || r == -2)
		return 0;
	if (r < 0)
		return -EIO;
	if (blkid_probe_lookup_value(pr, "BLOCK_SIZE", &value, NULL) < 0)
		return 0;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (errno || *end || v == 0)
		return 0;
	*size = v;
	return 1;
}
