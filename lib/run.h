/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running other programs: mkfs, and the suite's own tools. */
#pragma once

/*
 * Runs ARGV (argv[0] looked up in PATH) with standard input from /dev/null
 * and waits for it.  0 when it exits with status 0; otherwise logs which
 * program failed and how, and returns a negative errno.
 */
int srfs_run_program(char *const argv[]);

/*
 * Runs the suite's tool TOOL with the arguments ARGS (NULL-terminated): the
 * one installed next to the running program, else the one in SRFS_SBINDIR
 * (or /usr/local/sbin, /usr/sbin, /sbin), else TOOL from PATH.  It runs
 * under the running program's name, so its messages name the command the
 * user ran.
 */
int srfs_run_tool(const char *tool, const char *const *args);
