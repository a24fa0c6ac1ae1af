/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command line of an OCI runtime (runc, crun) as an engine gives it to
 * shared-rootfs-runtime, read without changing it:
 *
 *   RUNTIME [GLOBAL OPTIONS] COMMAND [OPTIONS] [ID] ...
 *
 * Global options (--root DIR, --log FILE, --log-format FORMAT, --debug,
 * --systemd-cgroup, --rootless VALUE, --cgroup-manager MANAGER, ...) come
 * before the command, as "--opt VALUE", "--opt=VALUE" or Go's "-opt VALUE".
 * For create and run the bundle (--bundle/-b DIR, default the working
 * directory), crun's --config/-f FILE and the container id (the one
 * positional argument) are found; for delete the id and --force.
 *
 * And where the real runtime is: $SHARED_ROOTFS_RUNTIME, else the runtime=
 * line of /etc/shared-rootfs/runtime.conf, else crun, else runc, looked up
 * in a fixed PATH (never the caller's), never this program itself.
 *
 * Nothing here opens any state: a command the wrapper does not act on is
 * handed to the runtime with this and a single execv.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum srfs_wrapper_command {
	SRFS_WRAPPER_NONE,   /* no command: --version, --help, or nothing */
	SRFS_WRAPPER_OTHER,  /* start, state, kill, exec, ps, features, ...: passed through */
	SRFS_WRAPPER_CREATE,
	SRFS_WRAPPER_RUN,
	SRFS_WRAPPER_DELETE,
};

struct srfs_wrapper_args {
	enum srfs_wrapper_command command;
	const char *command_name; /* as given; NULL when none */
	const char *root;         /* --root DIR; NULL: the runtime's default */
	const char *log;          /* --log FILE */
	const char *log_format;   /* --log-format text|json */
	bool debug;               /* --debug */
	bool help, version;       /* --help, --version (before any command) */
	/* create, run */
	const char *bundle; /* --bundle DIR; NULL: the working directory */
	const char *config; /* crun's --config FILE; NULL: config.json in the bundle */
	bool detach;        /* run --detach */
	bool keep;          /* run --keep: the container stays after it exits */
	/* create, run, delete */
	const char *id;
	bool force; /* delete --force */
	bool regex; /* crun's delete --regex: ID is a pattern */
};

/*
 * Reads ARGV (ARGC arguments, ARGV[0] the program) into A.  -EINVAL, with a
 * reason in ERR, when create, run or delete do not have exactly one id or an
 * option lacks its value: the runtime then gets the command line as it is
 * and says what is wrong with it in its own words.
 */
int srfs_wrapper_args_parse(int argc, char *const *argv, struct srfs_wrapper_args *a,
			    char *err, size_t err_size);

#define SRFS_WRAPPER_RUNTIME_ENV "SHARED_ROOTFS_RUNTIME"
#define SRFS_WRAPPER_RUNTIME_CONF "/etc/shared-rootfs/runtime.conf"
/* Where runtimes are looked for: whatever PATH the engine runs the wrapper with. */
#define SRFS_WRAPPER_RUNTIME_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The real runtime's path into BUF: $SHARED_ROOTFS_RUNTIME (a path, or a name
 * looked up in SRFS_WRAPPER_RUNTIME_PATH), else the "runtime=PATH" line of
 * CONF (SRFS_WRAPPER_RUNTIME_CONF when NULL; it must be a regular file owned
 * by root and writable by no one else), else crun, else runc in that PATH.
 * A candidate that is this very program is skipped (named explicitly, it is
 * an error).  -errno with a one-line reason in ERR.
 */
int srfs_wrapper_find_runtime(const char *conf, char *buf, size_t size, char *err,
			      size_t err_size);
