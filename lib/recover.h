/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shared-rootfs-recover (lib/recover.c says what it reconciles, and how). */
#pragma once

/* Recovers what crashes left; each action is reported.  0, or the last failure. */
int srfs_recover(void);
