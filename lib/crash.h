/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Crash points, a test aid.  Every mutating command names the steps after
 * which a crash leaves a distinct state ("image-create:intent", ...).  With
 * SHARED_ROOTFS_CRASH_AT=STEP in the environment the command kills itself
 * with SIGKILL right after STEP, as a power cut or the OOM killer would, so
 * tests can prove that the next command reconciles what was left;
 * STEP#N crashes the Nth time STEP is reached (the second layer of an
 * image, say).  The steps
 * are listed in shared-rootfs(7).  With SHARED_ROOTFS_STOP_AT=STEP it stops
 * itself (SIGSTOP) there instead, until a SIGCONT: a test can then run
 * another command in exactly that window.
 */
#pragma once

#define SRFS_CRASH_ENV "SHARED_ROOTFS_CRASH_AT"
#define SRFS_STOP_ENV "SHARED_ROOTFS_STOP_AT"

void srfs_crash_point(const char *step);
