/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * share-threads - the library embedded in a threaded program: THREADS threads,
 * each with a state of its own, share image IMAGE ROUNDS times each at once
 * (targets DIR/T-R, ids tT-R), check every share is mounted, wait for each
 * other, then release them all at once.  Messages go through a log handler.
 *
 *   share-threads IMAGE DIR THREADS ROUNDS [ro|overlay]
 *
 * Prints "held N" once every share is made (and checked), then "released N".
 * Exit status 0 only when every call succeeded.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "log.h"
#include "share.h"
#include "state.h"

static const char *image, *dir;
static int threads, rounds;
static enum srfs_share_mode mode = SRFS_SHARE_RO;
static pthread_barrier_t barrier;
static atomic_int failures, messages;

static void handler(void *userdata, enum srfs_log_level level, const char *prog,
		    const char *message, int error)
{
	(void)userdata;
	(void)level;
	atomic_fetch_add(&messages, 1);
	fprintf(stderr, "%s: %s%s%s\n", prog, message, error ? ": " : "",
		error ? strerror(-error) : "");
}

static int is_mount_root(const char *path)
{
	struct statx stx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) < 0)
		return 0;
	return !!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static void *run(void *arg)
{
	int t = (int)(long)arg;
	struct srfs_state st = SRFS_STATE_INIT;
	struct srfs_share_options o = { .mode = mode };
	char target[4096], id[64];

	if (srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CREATE) < 0) {
		atomic_fetch_add(&failures, 1);
		pthread_barrier_wait(&barrier);
		return NULL;
	}
	for (int r = 0; r < rounds; r++) {
		snprintf(target, sizeof(target), "%s/%d-%d", dir, t, r);
		snprintf(id, sizeof(id), "t%d-%d", t, r);
		if (mkdir(target, 0755) < 0 || srfs_share_create(&st, image, id, target, &o) < 0 ||
		    !is_mount_root(target))
			atomic_fetch_add(&failures, 1);
	}
	pthread_barrier_wait(&barrier); /* main counts what is held */
	pthread_barrier_wait(&barrier);
	for (int r = 0; r < rounds; r++) {
		snprintf(id, sizeof(id), "t%d-%d", t, r);
		if (srfs_share_release(&st, id, NULL, NULL) < 0)
			atomic_fetch_add(&failures, 1);
	}
	srfs_state_close(&st);
	return NULL;
}

int main(int argc, char **argv)
{
	srfs_cli_init(argc, argv);
	if (argc < 5 || argc > 6)
		return SRFS_EXIT_USAGE;
	image = argv[1];
	dir = argv[2];
	threads = atoi(argv[3]);
	rounds = atoi(argv[4]);
	if (argc == 6 && srfs_share_mode_from_name(argv[5], &mode) < 0)
		return SRFS_EXIT_USAGE;
	if (threads < 1 || threads > 256 || rounds < 1)
		return SRFS_EXIT_USAGE;
	srfs_log_set_handler(handler, NULL);

	pthread_t tid[256];
	pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
	for (int t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, run, (void *)(long)t) != 0)
			return SRFS_EXIT_FAILURE;
	pthread_barrier_wait(&barrier);
	int held = 0;
	for (int t = 0; t < threads; t++)
		for (int r = 0; r < rounds; r++) {
			char target[4096];
			snprintf(target, sizeof(target), "%s/%d-%d", dir, t, r);
			held += is_mount_root(target);
		}
	printf("held %d\n", held);
	fflush(stdout);
	pthread_barrier_wait(&barrier);
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	printf("released %d\n", threads * rounds - atomic_load(&failures));
	return atomic_load(&failures) || atomic_load(&messages) ? SRFS_EXIT_FAILURE : SRFS_EXIT_OK;
}
