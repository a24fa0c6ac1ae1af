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

/*
 * For a program about to enter another mount namespace (the mount helpers'
 * -N): finds each of TOOLS (NULL-terminated, at most 4) as srfs_run_tool
 * would, here, and keeps it open, with the current mount namespace.  From
 * then on srfs_run_tool runs only these, from those descriptors
 * (execveat), in a child that has gone back to this namespace first: nothing
 * is looked up or run in the namespace entered, whose files its owner
 * controls.  A tool not found now is an error when it is run.
 */
int srfs_run_pin_tools(const char *const *tools);
