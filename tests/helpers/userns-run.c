/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userns-run - runs a command as root of a new user namespace, as a
 * container engine starts a user-namespaced container: the child unshares a
 * user namespace, the parent writes its maps (ids 0..COUNT-1 inside are
 * OUTSIDE.. on the host), the child becomes uid and gid 0 there and execs.
 *
 *   userns-run OUTSIDE COUNT COMMAND [ARG...]
 *
 * Exits with the command's status (128+N when killed by signal N).
 */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

int main(int argc, char **argv)
{
	int ready[2], go[2];
	char c = 0, path[64], map[64];

	if (argc < 4) {
		fprintf(stderr, "usage: userns-run OUTSIDE COUNT COMMAND [ARG...]\n");
		return 2;
	}
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		return perror("pipe"), 1;
	pid_t pid = fork();
	if (pid < 0)
		return perror("fork"), 1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWUSER) < 0 || write(ready[1], &c, 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(126);
		if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			perror("userns-run: becoming root in the namespace");
			_exit(126);
		}
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	if (read(ready[0], &c, 1) != 1)
		return fprintf(stderr, "userns-run: the child could not unshare\n"), 1;
	snprintf(map, sizeof(map), "0 %s %s\n", argv[1], argv[2]);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, i ? "gid_map" : "uid_map");
		if (write_file(path, map) < 0)
			return perror(path), kill(pid, SIGKILL), 1;
	}
	if (write(go[1], &c, 1) != 1)
		return perror("pipe"), 1;
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return perror("waitpid"), 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
