/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shared-rootfs-runtime - an OCI runtime wrapper: runs crun or runc with the
 * engine's arguments, sharing the image a container's config.json names.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "wrapper.h"

static void usage(void)
{
	printf("Usage: %s [GLOBAL OPTIONS] COMMAND [OPTIONS] [ID]\n"
	       "\n"
	       "An OCI runtime for engines (podman, containerd, CRI-O) to run instead of\n"
	       "crun or runc.  Every command goes to the real runtime with its arguments\n"
	       "unchanged.  On create and run, when the bundle's config.json has the\n"
	       "annotation org.shared-rootfs.image=IMAGE, the image is shared for the\n"
	       "container at BUNDLE/shared-rootfs and root.path pointed there first; on\n"
	       "delete (and when create fails) the share is released.\n"
	       "\n"
	       "Annotations:\n"
	       "  org.shared-rootfs.image=IMAGE        the image of the container's root\n"
	       "  org.shared-rootfs.mode=MODE          ro, overlay or snapshot (default: ro\n"
	       "                                       when root.readonly, else overlay)\n"
	       "  org.shared-rootfs.image.NAME=IMAGE   for the container NAME of a pod\n"
	       "  org.shared-rootfs.mode.NAME=MODE\n"
	       "\n"
	       "The real runtime: $SHARED_ROOTFS_RUNTIME, else runtime=PATH in\n"
	       "/etc/shared-rootfs/runtime.conf, else crun, else runc, from\n"
	       "%s.\n"
	       "\n"
	       "  -h, --help             show this help and exit (COMMAND --help: the runtime's)\n"
	       "  -v, --version          show this version, then the runtime's\n",
	       srfs_log_prog(), SRFS_WRAPPER_RUNTIME_PATH);
}

/* ---- messages: on stderr, and into --log as the runtime writes it ------------------- */

static const struct srfs_wrapper_args *log_args;
static int log_fd = -1;
static unsigned errors_logged;

/* S as a JSON string's contents (or a logfmt value's: the same escapes do). */
static void escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void log_line(const char *level, const char *msg, int error)
{
	char stamp[64], line[2048];
	struct timespec ts;
	struct tm tm;

	if (log_fd < 0)
		log_fd = open(log_args->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
						     O_NOCTTY, 0644);
	if (log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%09ldZ", ts.tv_nsec);
	FILE *f = fmemopen(line, sizeof(line), "w");
	if (!f)
		return;
	bool json = log_args->log_format && streq(log_args->log_format, "json");
	if (json)
		fprintf(f, "{\"level\":\"%s\",\"msg\":\"", level);
	else
		fprintf(f, "time=\"%s\" level=%s msg=\"", stamp, level);
	escape(f, msg);
	if (error < 0) {
		fputs(": ", f);
		escape(f, strerror(-error));
	}
	if (json)
		fprintf(f, "\",\"time\":\"%s\"}\n", stamp);
	else
		fputs("\"\n", f);
	long len = ftell(f);
	fclose(f);
	if (len > 0 && (size_t)len < sizeof(line) && write(log_fd, line, (size_t)len) < 0)
		return;
}

static void log_handler(void *userdata, enum srfs_log_level level, const char *prog,
			const char *msg, int error)
{
	(void)userdata;
	if (level == SRFS_LOG_QUIET)
		errors_logged++;
	/* The runtime's standard error may be the container's: only errors go there when
	 * there is a log file. */
	if (level == SRFS_LOG_QUIET || !log_args->log) {
		if (error < 0)
			fprintf(stderr, "%s: %s: %s\n", prog, msg, strerror(-error));
		else
			fprintf(stderr, "%s: %s\n", prog, msg);
	}
	if (log_args->log)
		log_line(level == SRFS_LOG_QUIET ? "error"
						 : level == SRFS_LOG_DEBUG ? "debug" : "info",
			 msg, error);
}

/* ---- the runtime's end, as the caller's ----------------------------------------------- */

/* Exits as the runtime did: its exit code, or killed by its signal. */
static int exit_like(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit none = { 0, 0 };
		sigset_t set;
		setrlimit(RLIMIT_CORE, &none); /* the runtime dumped its core, if anything did */
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		return 128 + sig;
	}
	return SRFS_EXIT_FAILURE;
}

/* Replaces this process with the runtime, ARGV unchanged but for ARGV[0]. */
static int exec_runtime(const char *runtime, char **argv, const struct sigaction *chld)
{
	sigaction(SIGCHLD, chld, NULL);
	argv[0] = (char *)runtime;
	execv(runtime, argv);
	log_errno(-errno, "cannot run %s", runtime);
	return errno == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	struct srfs_wrapper_args a;
	struct sigaction chld;
	char err[512], runtime[PATH_MAX];
	bool pass = true;
	int status = 0, r = 0;

	/* The runtime gets the SIGCHLD disposition the engine gave (srfs_cli_init resets it). */
	sigaction(SIGCHLD, NULL, &chld);
	srfs_cli_init(argc, argv);
	/* Quiet: the runtime's standard streams may be the container's. */
	srfs_log_set_level(SRFS_LOG_QUIET);
	int parsed = srfs_wrapper_args_parse(argc, argv, &a, err, sizeof(err));
	if (parsed < 0)
		a = (struct srfs_wrapper_args){ .command = SRFS_WRAPPER_OTHER };
	log_args = &a;
	srfs_log_set_handler(log_handler, NULL);
	if (a.debug)
		srfs_log_set_level(SRFS_LOG_DEBUG);
	if (a.command == SRFS_WRAPPER_NONE && a.help) {
		usage();
		return SRFS_EXIT_OK;
	}
	if (srfs_wrapper_find_runtime(NULL, runtime, sizeof(runtime), err, sizeof(err)) < 0) {
		log_error("%s", err);
		return SRFS_EXIT_FAILURE;
	}
	if (a.command == SRFS_WRAPPER_NONE && a.version) {
		printf("%s (shared-rootfs) %s, running %s\n", srfs_log_prog(), SRFS_VERSION, runtime);
		fflush(stdout);
	}
	if (parsed < 0)
		log_debug("passed through as it is: %s", err);
	if (a.command == SRFS_WRAPPER_CREATE || a.command == SRFS_WRAPPER_RUN)
		r = srfs_wrapper_create(&a, runtime, argv, &status, &pass);
	else if (a.command == SRFS_WRAPPER_DELETE)
		r = srfs_wrapper_delete(&a, runtime, argv, &status, &pass);
	if (r < 0) {
		/* A tool run for it printed its own message on stderr; the log file gets one. */
		if (!errors_logged && a.log)
			log_line("error", "cannot share the image of the container (see the runtime's "
					  "standard error)", 0);
		return SRFS_EXIT_FAILURE;
	}
	if (pass)
		return exec_runtime(runtime, argv, &chld);
	return exit_like(status);
}
