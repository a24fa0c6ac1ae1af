/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "log.h"
#include "macro.h"
#include "run.h"

#ifndef SRFS_SBINDIR
#define SRFS_SBINDIR "/usr/sbin"
#endif
#ifndef SRFS_LIBEXECDIR
#define SRFS_LIBEXECDIR "/usr/libexec/shared-rootfs"
#endif

int srfs_run_program(char *const argv[])
{
	posix_spawn_file_actions_t actions;
	extern char **environ;
	pid_t pid;
	int status, r;

	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	r = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (r != 0)
		return log_errno(-r, "cannot run %s", argv[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_errno(negative_errno(), "cannot wait for %s", argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		log_error("%s failed (exit status %d)", argv[0], WEXITSTATUS(status));
	else
		log_error("%s was killed by signal %d", argv[0], WTERMSIG(status));
	return -EIO;
}

/*
 * TOOL next to the running program, in SRFS_LIBEXECDIR (the suite's own
 * helpers), SRFS_SBINDIR or the usual sbin
 * directories (mount(8) runs its helpers without PATH), or as a name for PATH.
 */
static void find_tool(const char *tool, char *path, size_t size)
{
	static const char *const dirs[] = { SRFS_LIBEXECDIR, SRFS_SBINDIR, "/usr/local/sbin",
					    "/usr/sbin", "/sbin" };
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			snprintf(path, size, "%.*s/%s", (int)(slash - self), self, tool);
			if (access(path, X_OK) == 0)
				return;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, size, "%s/%s", dirs[i], tool);
		if (access(path, X_OK) == 0)
			return;
	}
	snprintf(path, size, "%s", tool);
}

/*
 * Tools pinned by srfs_run_pin_tools: opened in the caller's mount namespace,
 * run from those descriptors and in that namespace, whatever namespace the
 * program is in by then.
 */
#define PINNED_MAX 4
static struct pinned_tool {
	const char *tool;
	int fd;
} pinned[PINNED_MAX];
static bool pinning;
static int caller_mnt_ns = -1;

int srfs_run_pin_tools(const char *const *tools)
{
	char path[PATH_MAX];
	size_t n = 0;

	caller_mnt_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (caller_mnt_ns < 0)
		return log_errno(negative_errno(), "cannot open the current mount namespace");
	pinning = true;
	for (; tools && *tools && n < PINNED_MAX; tools++, n++) {
		find_tool(*tools, path, sizeof(path));
		pinned[n].tool = *tools;
		/* Not found: it cannot be run at all (never looked for in another namespace). */
		pinned[n].fd = strchr(path, '/') ? open(path, O_PATH | O_CLOEXEC) : -1;
		if (pinned[n].fd >= 0)
			log_debug("%s is %s", *tools, path);
	}
	return 0;
}

/* Runs the pinned tool FD with ARGV: back in the caller's mount namespace, from its root. */
static int spawn_pinned(int fd, char *const argv[], pid_t *pid)
{
	extern char **environ;

	*pid = fork();
	if (*pid < 0)
		return negative_errno();
	if (*pid == 0) {
		if (setns(caller_mnt_ns, CLONE_NEWNS) < 0 || chdir("/") < 0)
			_exit(127);
		execveat(fd, "", argv, environ, AT_EMPTY_PATH);
		_exit(127);
	}
	return 0;
}

int srfs_run_tool(const char *tool, const char *const *args)
{
	char path[PATH_MAX];
	char *argv[16];
	size_t n = 0;
	pid_t pid;
	int status, r;
	extern char **environ;

	/* Its messages carry the name of the command the user ran. */
	argv[n++] = (char *)srfs_log_prog();
	for (; args && *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	if (pinning) {
		int fd = -1;
		for (size_t i = 0; i < PINNED_MAX && pinned[i].tool; i++)
			if (streq(pinned[i].tool, tool))
				fd = pinned[i].fd;
		if (fd < 0) {
			log_error("cannot run %s: it was not found in the caller's mount namespace",
				  tool);
			return -ENOENT;
		}
		snprintf(path, sizeof(path), "%s", tool);
		r = spawn_pinned(fd, argv, &pid);
	} else {
		find_tool(tool, path, sizeof(path));
		log_debug("running %s", path);
		/* The tool's own messages (with its own name) are the ones the user sees. */
		r = -posix_spawnp(&pid, path, NULL, NULL, argv, environ);
	}
	if (r < 0)
		return log_errno(r, "cannot run %s", tool);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_errno(negative_errno(), "cannot wait for %s", tool);
	/* It reported its own failure; a death by signal it could not. */
	if (WIFSIGNALED(status))
		log_error("%s was killed by signal %d (shared-rootfs-recover puts right what it left)",
			  path, WTERMSIG(status));
	if (pinning && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		log_error("cannot run %s in the caller's mount namespace", tool);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
