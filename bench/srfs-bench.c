/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * srfs-bench - the in-process level of the benchmark: what a container
 * engine that embeds the library gets, against the same kernel operations
 * for the alternatives done in the same process.
 *
 *   srfs-bench MODE IMAGE LOWER DIR N
 *
 * Makes N containers DIR/c1..cN (the directories must exist) one after the
 * other, all kept, then removes them in the same order, and prints one line
 * per operation: "create I NANOSECONDS" / "delete I NANOSECONDS".
 *
 *   shared        srfs_share_create / srfs_share_release (read-only), the
 *                 runtime directory opened once, as an engine would keep it
 *   overlay-mode  the same with SRFS_SHARE_OVERLAY
 *   bind          the kernel's part of shared alone, no record and no lock:
 *                 open_tree, mount_setattr, move_mount; umount2.  The floor.
 *   overlay2      mkdir upper and work, mount(2) an overlay of LOWER, and on
 *                 delete umount(2) and remove upper and work: what an engine's
 *                 overlay2 driver does per container
 *   dm-rw         srfs_snapshot_share / srfs_snapshot_release: a thin snapshot
 *                 device per container, mounted read-write
 *
 * Two more, for the shared mode:
 *   cycle         N times share DIR/c1/root and release it at once: "cycle I NS"
 *   hold          share DIR/bI for I from FIRST (a sixth argument) to N and keep
 *                 them (to measure with many shares active); prints nothing
 *
 * IMAGE is the shared-rootfs image; LOWER its mount (image-activate prints
 * it), used by overlay2.  The state directories come from the environment.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "share.h"
#include "snapshot.h"
#include "state.h"
#include "util.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int overlay2_create(const char *lower, const char *dir, const char *target)
{
	char upper[4200], work[4200], data[12800];
	snprintf(upper, sizeof(upper), "%s.upper", dir);
	snprintf(work, sizeof(work), "%s.work", dir);
	snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 ||
	    mount("overlay", target, "overlay", MS_NOSUID | MS_NODEV, data) < 0)
		return log_errno(negative_errno(), "cannot mount an overlay at %s", target);
	return 0;
}

static int bind_create(const char *lower, const char *target)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		.propagation = MS_PRIVATE,
	};
	_cleanup_close_ int dir = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int tree = open_tree(AT_FDCWD, lower, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (dir < 0 || tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 ||
	    move_mount(tree, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_errno(negative_errno(), "cannot bind %s at %s", lower, target);
	return 0;
}

static int overlay2_delete(const char *dir, const char *target)
{
	char name[4200];
	if (umount2(target, 0) < 0)
		return log_errno(negative_errno(), "cannot unmount %s", target);
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s.%s", dir, i ? "work" : "upper");
		int r = srfs_remove_tree(AT_FDCWD, name);
		if (r < 0)
			return log_errno(r, "cannot remove %s", name);
	}
	return 0;
}

int main(int argc, char **argv)
{
	srfs_log_init(argv[0]);
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: %s shared|overlay-mode|bind|overlay2|dm-rw|cycle|hold IMAGE "
				"LOWER DIR N [FIRST]\n",
			argv[0]);
		return 2;
	}
	const char *mode = argv[1], *image = argv[2], *lower = argv[3], *dir = argv[4];
	unsigned n = (unsigned)strtoul(argv[5], NULL, 10);
	struct srfs_share_options so = { .mode = streq(mode, "overlay-mode") ? SRFS_SHARE_OVERLAY
									     : SRFS_SHARE_RO };
	struct srfs_release_options ro = { 0 };
	bool overlay2 = streq(mode, "overlay2"), dm = streq(mode, "dm-rw"), bind = streq(mode, "bind");
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;

	if (srfs_state_open(&st, SRFS_STATE_RUN | SRFS_STATE_CREATE) < 0)
		return 1;

	if (streq(mode, "cycle") || streq(mode, "hold")) {
		bool hold = streq(mode, "hold");
		unsigned first = argc == 7 ? (unsigned)strtoul(argv[6], NULL, 10) : 1;
		for (unsigned i = hold ? first : 1; i <= n; i++) {
			char id[32], target[4096];
			snprintf(id, sizeof(id), hold ? "b%u" : "cyc", i);
			snprintf(target, sizeof(target), hold ? "%s/b%u" : "%s/c1/root", dir, i);
			uint64_t t0 = now_ns();
			if (srfs_share_create(&st, image, id, target, &so) < 0 ||
			    (!hold && srfs_share_release(&st, id, NULL, &ro) < 0))
				return 1;
			if (!hold)
				printf("cycle %u %llu\n", i, (unsigned long long)(now_ns() - t0));
		}
		return 0;
	}

	if (!overlay2 && !dm && !bind && !streq(mode, "shared") && !streq(mode, "overlay-mode")) {
		fprintf(stderr, "%s: unknown mode %s\n", argv[0], mode);
		return 2;
	}
	for (int phase = 0; phase < 2; phase++) {
		for (unsigned i = 1; i <= n; i++) {
			char id[32], target[4200], base[4096];
			snprintf(id, sizeof(id), "c%u", i);
			snprintf(base, sizeof(base), "%s/%s", dir, id);
			snprintf(target, sizeof(target), "%s/root", base);
			uint64_t t0 = now_ns();
			int r;
			if (phase == 0)
				r = overlay2 ? overlay2_create(lower, base, target)
				    : bind   ? bind_create(lower, target)
				    : dm     ? srfs_snapshot_share(image, id, target, NULL, NULL)
					     : srfs_share_create(&st, image, id, target, &so);
			else
				r = overlay2 ? overlay2_delete(base, target)
				    : bind   ? (umount2(target, UMOUNT_NOFOLLOW) < 0
						    ? log_errno(negative_errno(), "cannot unmount %s", target)
						    : 0)
				    : dm     ? srfs_snapshot_release(id, &ro)
					     : srfs_share_release(&st, id, NULL, &ro);
			uint64_t t1 = now_ns();
			if (r < 0)
				return 1;
			printf("%s %u %llu\n", phase ? "delete" : "create", i,
			       (unsigned long long)(t1 - t0));
		}
	}
	return 0;
}
