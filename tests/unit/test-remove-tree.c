/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "unit.h"
#include "util.h"

/* DEPTH nested directories "d" under DIR/NAME, one file in each, holding one descriptor at a time. */
static int make_deep_tree(int dir, const char *name, int depth)
{
	int fd;

	if (mkdirat(dir, name, 0755) < 0)
		return -errno;
	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < depth; i++) {
		int file = openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (file >= 0)
			close(file);
		if (file < 0 || mkdirat(fd, "d", 0755) < 0) {
			close(fd);
			return -errno;
		}
		int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* A tree deeper than the descriptor limit goes, with a bounded number of descriptors. */
TEST(remove_tree_deeper_than_fd_limit)
{
	struct rlimit old, low = { 64, 64 };
	_cleanup_close_ int dir = open(unit_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat s;

	CHECK(dir >= 0);
	CHECK(make_deep_tree(dir, "deep", 1500) == 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low.rlim_max = old.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	int r = srfs_remove_tree(dir, "deep");
	setrlimit(RLIMIT_NOFILE, &old);
	CHECK(r == 0);
	CHECK(fstatat(dir, "deep", &s, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	/* Nothing left open. */
	int probe = open("/", O_RDONLY | O_CLOEXEC);
	CHECK(probe >= 0 && probe < 16);
	close(probe);
}

/* Symbolic links are removed, never followed, whether they name a file or a directory. */
TEST(remove_tree_keeps_symlink_targets)
{
	_cleanup_close_ int dir = open(unit_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char target[256];
	struct stat s;

	CHECK(dir >= 0);
	CHECK(mkdirat(dir, "outside", 0755) == 0);
	int f = openat(dir, "outside/keep", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(f >= 0);
	close(f);
	CHECK(make_deep_tree(dir, "tree", 5) == 0);
	snprintf(target, sizeof(target), "%s/outside", unit_tmpdir());
	CHECK(symlinkat(target, dir, "tree/d/d/dirlink") == 0);
	CHECK(symlinkat("../../../outside/keep", dir, "tree/d/d/filelink") == 0);
	CHECK(srfs_remove_tree(dir, "tree") == 0);
	CHECK(fstatat(dir, "tree", &s, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	CHECK(fstatat(dir, "outside/keep", &s, 0) == 0 && S_ISREG(s.st_mode));
	/* A symbolic link given as the tree itself is removed, its target kept. */
	CHECK(symlinkat(target, dir, "link") == 0);
	CHECK(srfs_remove_tree(dir, "link") == 0);
	CHECK(fstatat(dir, "outside/keep", &s, 0) == 0);
	CHECK(fstatat(dir, "link", &s, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
}

/* A missing tree is nothing to do. */
TEST(remove_tree_missing_is_fine)
{
	_cleanup_close_ int dir = open(unit_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dir >= 0);
	CHECK(srfs_remove_tree(dir, "nosuch") == 0);
}

/* A path from the working directory (AT_FDCWD, which is negative), as the benchmark gives. */
TEST(remove_tree_from_cwd)
{
	_cleanup_close_ int dir = open(unit_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char path[512];
	struct stat s;

	CHECK(dir >= 0);
	CHECK(make_deep_tree(dir, "fromcwd", 3) == 0);
	snprintf(path, sizeof(path), "%s/fromcwd", unit_tmpdir());
	CHECK(srfs_remove_tree(AT_FDCWD, path) == 0);
	CHECK(fstatat(dir, "fromcwd", &s, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
}
