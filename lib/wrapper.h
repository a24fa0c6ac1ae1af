/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shared-rootfs-runtime: an OCI runtime wrapper.  An engine runs it as it
 * would run runc or crun; every command goes to the real runtime with its
 * arguments unchanged, and around create, run and delete the wrapper shares
 * and releases the image a container's config.json asks for
 * (wrapper-config.h):
 *
 *   create, run  the image shared at BUNDLE/shared-rootfs (mode from the
 *                annotation, else ro when root.readonly, else overlay;
 *                idmapped with the config's user namespace), root.path
 *                pointed there (the config replaced atomically, the original
 *                kept as config.json.orig), then the runtime run and waited
 *                for; when it fails, everything is undone.  A run in the
 *                foreground (no --detach, no --keep) is released when the
 *                container has exited.
 *   delete       the runtime's delete first (it unmounts its own view), then,
 *                when that succeeded or with --force, the share released and
 *                config.json put back.
 *
 * The wrapper's state is a record per container (wrapper-record.h).
 */
#pragma once

#include "wrapper-args.h"

/*
 * Runs RUNTIME with ARGV (ARGV[0] replaced by RUNTIME) as a child, passing
 * on to it the signals this process is sent, and waits for it: its wait
 * status in *STATUS.  Every descriptor this process was given reaches it
 * unchanged.  -errno (logged) when it could not be started.
 */
int srfs_wrapper_spawn(const char *runtime, char *const *argv, int *status);

/*
 * create or run (A->command), with the runtime at RUNTIME and the caller's
 * ARGV: 0 and the runtime's wait status in *STATUS, or -errno (logged) when
 * the wrapper refused or failed, with nothing shared.  *PASS set instead
 * when the wrapper has nothing to do (no annotation, a sandbox, a bundle or
 * config.json that is not there): the caller hands ARGV to the runtime as it
 * is.
 */
int srfs_wrapper_create(const struct srfs_wrapper_args *a, const char *runtime,
			char *const *argv, int *status, bool *pass);

/* delete: as srfs_wrapper_create (*PASS when no container of the wrapper has A->id). */
int srfs_wrapper_delete(const struct srfs_wrapper_args *a, const char *runtime,
			char *const *argv, int *status, bool *pass);
