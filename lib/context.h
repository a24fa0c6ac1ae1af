/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SELinux labels (contexts) of images and shares.
 *
 * context=LABEL labels a whole superblock and cannot be changed by a
 * remount, so an image gets its label once, when it is activated, and every
 * share (a bind) inherits it.  Labels are checked against the loaded policy
 * and put in canonical form through selinuxfs (what libselinux's
 * security_check_context and security_canonicalize_context do), so that the
 * share path needs no library.  Only the default label, the ro_file entry of
 * the policy's lxc_contexts, needs libselinux to find the file (label.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Is SELinux enabled, with a policy loaded? */
bool srfs_context_enabled(void);

/*
 * Checks LABEL against the loaded policy and writes its canonical form to
 * OUT: 0, -EINVAL when the policy does not know it (not logged), -errno.
 */
int srfs_context_canonical(const char *label, char *out, size_t size);

#define SRFS_CONTEXT_MAX 256

/* The default label of a shared image: the ro_file entry of lxc_contexts (label.c). */
int srfs_label_default_ro(char *out, size_t size, char *file, size_t file_size);
