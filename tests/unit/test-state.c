/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "macro.h"
#include "state.h"
#include "unit.h"

static char run_dir[256], cat_dir[256];

static void set_dirs(void)
{
	snprintf(run_dir, sizeof(run_dir), "%s/run", unit_tmpdir());
	snprintf(cat_dir, sizeof(cat_dir), "%s/lib", unit_tmpdir());
	setenv(SRFS_RUNDIR_ENV, run_dir, 1);
	setenv(SRFS_STATEDIR_ENV, cat_dir, 1);
}

static int open_state(unsigned flags)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	return srfs_state_open(&st, flags);
}

TEST(state_create)
{
	struct stat s;
	set_dirs();
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CATALOG) == -ENOENT);
	CHECK(stat(run_dir, &s) < 0 && errno == ENOENT);
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CATALOG | SRFS_STATE_CREATE) == 0);
	CHECK(stat(run_dir, &s) == 0 && S_ISDIR(s.st_mode) && (s.st_mode & 07777) == 0700);
	CHECK(stat(cat_dir, &s) == 0 && S_ISDIR(s.st_mode) && (s.st_mode & 07777) == 0700);
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CATALOG) == 0);

	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	CHECK(srfs_state_open(&st, SRFS_STATE_CATALOG) == 0);
	CHECK_STREQ(st.catalog_path, cat_dir);
	CHECK(st.run_fd < 0);
	int sub = -1;
	CHECK(srfs_state_subdir(st.catalog_fd, st.catalog_path, "pools", false, &sub) == -ENOENT);
	CHECK(srfs_state_subdir(st.catalog_fd, st.catalog_path, "pools", true, &sub) == 0);
	CHECK(sub >= 0);
	close(sub);
	CHECK(stat(cat_dir, &s) == 0);
}

TEST(state_refuses)
{
	set_dirs();
	/* Loose permissions. */
	CHECK(mkdir(run_dir, 0755) == 0);
	CHECK(chmod(run_dir, 0755) == 0);
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CREATE) == -EPERM);
	CHECK(rmdir(run_dir) == 0);
	/* A symbolic link, even to a good directory. */
	CHECK(mkdir(cat_dir, 0700) == 0);
	CHECK(symlink(cat_dir, run_dir) == 0);
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CREATE) == -ELOOP);
	CHECK(unlink(run_dir) == 0);
	/* A dangling one is not followed to create its target either. */
	char dangling[300];
	snprintf(dangling, sizeof(dangling), "%s/nowhere", unit_tmpdir());
	CHECK(symlink(dangling, run_dir) == 0);
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CREATE) == -ELOOP);
	CHECK(access(dangling, F_OK) < 0);
	CHECK(unlink(run_dir) == 0);
	/* A file. */
	int fd = open(run_dir, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CREATE) == -ENOTDIR);
	CHECK(unlink(run_dir) == 0);
	/* A relative path in the environment. */
	setenv(SRFS_RUNDIR_ENV, "relative/run", 1);
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CREATE) == -EINVAL);
	/* A missing parent is not created. */
	snprintf(dangling, sizeof(dangling), "%s/no/such", unit_tmpdir());
	setenv(SRFS_RUNDIR_ENV, dangling, 1);
	CHECK(open_state(SRFS_STATE_RUN | SRFS_STATE_CREATE) == -ENOENT);
	unsetenv(SRFS_RUNDIR_ENV);
}

TEST(lock_order_and_exclusion)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	struct srfs_lock image = SRFS_LOCK_INIT, catalog = SRFS_LOCK_INIT;
	struct srfs_lock share = SRFS_LOCK_INIT;

	set_dirs();
	CHECK(srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CREATE) == 0);
	CHECK(srfs_lock_take(&image, &st, SRFS_LOCK_IMAGE, "alpine", false) == 0);
	/* Out of order: refused, not waited for. */
	CHECK(srfs_lock_take(&catalog, &st, SRFS_LOCK_CATALOG, NULL, false) == -EDEADLK);
	CHECK(srfs_lock_take(&share, &st, SRFS_LOCK_IMAGE, "other", false) == -EDEADLK);
	CHECK(srfs_lock_take(&share, &st, SRFS_LOCK_SHARE, "c1", false) == 0);

	/* Another open file description cannot take it meanwhile. */
	char path[400];
	snprintf(path, sizeof(path), "%s/locks/image.alpine", run_dir);
	_cleanup_close_ int other = open(path, O_RDWR);
	CHECK(other >= 0);
	CHECK(flock(other, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK);

	srfs_lock_release(&share);
	srfs_lock_release(&image);
	CHECK(flock(other, LOCK_EX | LOCK_NB) == 0);
	CHECK(flock(other, LOCK_UN) == 0);
	CHECK(srfs_lock_take(&catalog, &st, SRFS_LOCK_CATALOG, NULL, true) == 0);
	srfs_lock_release(&catalog);
	srfs_lock_release(&catalog); /* twice is harmless */
}

TEST(state_run_dir)
{
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	char path[300];
	struct stat s;
	set_dirs();
	CHECK(srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CREATE) == 0);
	CHECK(srfs_state_run_dir(&st, "shares", false) == -ENOENT);
	int fd = srfs_state_run_dir(&st, "shares", true);
	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "%s/shares", run_dir);
	CHECK(stat(path, &s) == 0 && S_ISDIR(s.st_mode) && (s.st_mode & 07777) == 0700);
	/* Opened once: the same descriptor again, with or without CREATE. */
	CHECK(srfs_state_run_dir(&st, "shares", false) == fd);
	CHECK(srfs_state_run_dir(&st, "shares", true) == fd);
	/* Checked like the top: a symbolic link is refused. */
	snprintf(path, sizeof(path), "%s/targets", run_dir);
	CHECK(symlink("/tmp", path) == 0);
	CHECK(srfs_state_run_dir(&st, "targets", true) == -ELOOP);
	srfs_state_close(&st);
	CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
}

TEST(state_list)
{
	char **names = NULL;
	char path[300];
	int fd;

	int dir = open(unit_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK(dir >= 0);
	CHECK(srfs_state_list(dir, "pools", &names) == 0); /* missing: empty */
	CHECK(names && names[0] == NULL);
	srfs_names_free(names);

	snprintf(path, sizeof(path), "%s/pools", unit_tmpdir());
	CHECK(mkdir(path, 0700) == 0);
	const char *files[] = { "zeta", "alpha", "mid.1", ".alpha.12.0.tmp", "-bad" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/pools/%s", unit_tmpdir(), files[i]);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		CHECK(fd >= 0);
		close(fd);
	}
	CHECK(srfs_state_list(dir, "pools", &names) == 0);
	CHECK(names[0] && names[1] && names[2] && !names[3]);
	CHECK_STREQ(names[0], "alpha");
	CHECK_STREQ(names[1], "mid.1");
	CHECK_STREQ(names[2], "zeta");
	srfs_names_free(names);
	close(dir);
}
