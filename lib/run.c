/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
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

int srfs_run_tool(const char *tool, const char *const *args)
{
	char path[PATH_MAX];
	char *argv[16];
	size_t n = 0;
	pid_t pid;
	int status, r;
	extern char **environ;

	find_tool(tool, path, sizeof(path));
	/* Its messages carry the name of the command the user ran. */
	argv[n++] = (char *)srfs_log_prog();
	for (; args && *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	log_debug("running %s", path);
	/* The tool's own messages (with its own name) are the ones the user sees. */
	r = posix_spawnp(&pid, path, NULL, NULL, argv, environ);
	if (r != 0)
		return log_errno(-r, "cannot run %s", tool);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_errno(negative_errno(), "cannot wait for %s", tool);
	/* It reported its own failure; a death by signal it could not. */
	if (WIFSIGNALED(status))
		log_error("%s was killed by signal %d (shared-rootfs-recover puts right what it left)",
			  path, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
