/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "idmap.h"
#include "log.h"
#include "util.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* The highest id a map may reach: (uid_t)-1 is no id. */
#define ID_LAST 4294967294ULL
/* The kernel takes a map in one write of less than a page (4096 bytes on every
 * architecture it runs containers on). */
#define MAP_TEXT_MAX 4096

/* "idmap entry 'ENTRY': WHY" into ERR (ENTRY: LEN bytes, quoted). */
static int entry_error(char *err, size_t size, const char *entry, size_t len, const char *why)
{
	char raw[80], q[SRFS_QUOTE_MAX];
	snprintf(raw, sizeof(raw), "%.*s", (int)(len > 64 ? 64 : len), entry);
	snprintf(err, size, "idmap entry '%s': %s", srfs_quote(q, sizeof(q), raw), why);
	return -EINVAL;
}

/* The decimal number of LEN bytes at S. */
static int parse_id(const char *s, size_t len, uint64_t *v)
{
	char buf[24];
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return srfs_parse_u64(buf, v);
}

/* Do the ranges [A, A+N) and [B, B+M) meet? */
static bool ranges_meet(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a < b + m && b < a + n;
}

/* Adds extent E (its text: ENTRY, LEN bytes) to one map, checked against those before it. */
static int add_extent(struct srfs_idmap_extent *map, unsigned *n, const char *kind,
		      struct srfs_idmap_extent e, const char *entry, size_t len, char *err,
		      size_t size)
{
	char why[160];
	if (*n == SRFS_IDMAP_EXTENTS_MAX) {
		snprintf(err, size, "more than %d %s ranges (the kernel takes at most %d)",
			 SRFS_IDMAP_EXTENTS_MAX, kind, SRFS_IDMAP_EXTENTS_MAX);
		return -EINVAL;
	}
	for (unsigned i = 0; i < *n; i++) {
		const char *side = ranges_meet(map[i].inside, map[i].count, e.inside, e.count)
					   ? "inside"
				   : ranges_meet(map[i].outside, map[i].count, e.outside, e.count)
					   ? "outside"
					   : NULL;
		if (side) {
			snprintf(why, sizeof(why),
				 "its %s %ss overlap those of %" PRIu32 ":%" PRIu32 ":%" PRIu32, side,
				 kind, map[i].inside, map[i].outside, map[i].count);
			return entry_error(err, size, entry, len, why);
		}
	}
	map[(*n)++] = e;
	return 0;
}

/*
 * A map is written to /proc/PID/uid_map (or gid_map) as "INSIDE OUTSIDE COUNT"
 * lines, all in one write of less than a page: its length.
 */
static size_t map_text_len(const struct srfs_idmap_extent *map, unsigned n)
{
	size_t len = 0;
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(NULL, 0, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
					map[i].inside, map[i].outside, map[i].count);
	return len;
}

/* One entry, LEN bytes at P. */
static int parse_entry(const char *p, size_t len, struct srfs_idmap *map, char *err, size_t size)
{
	const char *entry = p, *end = p + len;
	bool uid = true, gid = true;
	uint64_t v[3];

	if (len > 2 && p[1] == ':' && (p[0] == 'u' || p[0] == 'g' || p[0] == 'b')) {
		uid = p[0] != 'g';
		gid = p[0] != 'u';
		p += 2;
	}
	for (int i = 0; i < 3; i++) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *stop = i < 2 ? colon : end;
		if (!stop || (i == 2 && colon))
			return entry_error(err, size, entry, len,
					   "expected [u:|g:|b:]INSIDE:OUTSIDE:COUNT");
		if (parse_id(p, (size_t)(stop - p), &v[i]) < 0 || v[i] > UINT32_MAX) {
			char raw[32], q[SRFS_QUOTE_MAX], why[SRFS_QUOTE_MAX + 64];
			snprintf(raw, sizeof(raw), "%.*s", (int)(stop - p > 24 ? 24 : stop - p), p);
			snprintf(why, sizeof(why), "'%s' is not an id (a decimal number below 2^32)",
				 srfs_quote(q, sizeof(q), raw));
			return entry_error(err, size, entry, len, why);
		}
		p = stop + 1;
	}
	if (v[2] == 0)
		return entry_error(err, size, entry, len, "the count is 0");
	if (v[0] + v[2] - 1 > ID_LAST || v[1] + v[2] - 1 > ID_LAST)
		return entry_error(err, size, entry, len,
				   "the range runs past 4294967294, the highest id");
	struct srfs_idmap_extent e = { (uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2] };
	int r = 0;
	if (uid)
		r = add_extent(map->uid, &map->n_uid, "uid", e, entry, len, err, size);
	if (r == 0 && gid)
		r = add_extent(map->gid, &map->n_gid, "gid", e, entry, len, err, size);
	return r;
}

int srfs_idmap_parse(const char *text, struct srfs_idmap *map, char *err, size_t size)
{
	map->n_uid = map->n_gid = 0;
	for (const char *p = text; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t len = strcspn(p, " ");
		int r = parse_entry(p, len, map, err, size);
		if (r < 0)
			return r;
		p += len;
	}
	if (!map->n_uid && !map->n_gid) {
		snprintf(err, size, "empty idmap");
		return -EINVAL;
	}
	if (!map->n_uid || !map->n_gid) {
		snprintf(err, size, "idmap gives no %s ranges (add %s: or b: entries)",
			 map->n_uid ? "gid" : "uid", map->n_uid ? "g" : "u");
		return -EINVAL;
	}
	size_t uid_len = map_text_len(map->uid, map->n_uid);
	size_t gid_len = map_text_len(map->gid, map->n_gid);
	if (uid_len >= MAP_TEXT_MAX || gid_len >= MAP_TEXT_MAX) {
		snprintf(err, size,
			 "idmap has more %s ranges than the kernel takes (written out they are %zu "
			 "bytes; it takes less than %d)",
			 uid_len >= MAP_TEXT_MAX ? "uid" : "gid",
			 uid_len >= MAP_TEXT_MAX ? uid_len : gid_len, MAP_TEXT_MAX);
		return -EINVAL;
	}
	return 0;
}

static int by_inside(const void *a, const void *b)
{
	const struct srfs_idmap_extent *x = a, *y = b;
	return x->inside < y->inside ? -1 : x->inside > y->inside;
}

/* Appends MAP's N extents with PREFIX to BUF (of SIZE, at *LEN). */
static void append(char *buf, size_t size, size_t *len, char prefix,
		   const struct srfs_idmap_extent *map, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		*len += (size_t)snprintf(buf + *len, size - *len,
					 "%s%c:%" PRIu32 ":%" PRIu32 ":%" PRIu32, *len ? " " : "",
					 prefix, map[i].inside, map[i].outside, map[i].count);
}

char *srfs_idmap_format(const struct srfs_idmap *map)
{
	struct srfs_idmap m = *map;
	/* "g:4294967294:4294967294:4294967294 ": 35 bytes an entry */
	size_t size = 35 * (size_t)(m.n_uid + m.n_gid) + 1, len = 0;
	char *buf = malloc(size);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	qsort(m.uid, m.n_uid, sizeof(m.uid[0]), by_inside);
	qsort(m.gid, m.n_gid, sizeof(m.gid[0]), by_inside);
	if (m.n_uid == m.n_gid && memcmp(m.uid, m.gid, m.n_uid * sizeof(m.uid[0])) == 0) {
		append(buf, size, &len, 'b', m.uid, m.n_uid);
	} else {
		append(buf, size, &len, 'u', m.uid, m.n_uid);
		append(buf, size, &len, 'g', m.gid, m.n_gid);
	}
	return buf;
}

/* ---- the kernel's side: user namespaces ------------------------------------------------ */

/* Reads what is left to read of FD into BUF (SIZE, NUL-terminated): its length, or -errno. */
static ssize_t read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Waits for the child PID; 0 when it exited with 0. */
static int reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return negative_errno();
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPROTO;
}

/* "INSIDE OUTSIDE COUNT" lines (a uid_map or gid_map) into MAP's N extents. */
static int parse_proc_map(char *text, struct srfs_idmap_extent *map, unsigned *n)
{
	*n = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		struct srfs_idmap_extent e;
		if (*n == SRFS_IDMAP_EXTENTS_MAX ||
		    sscanf(line, "%" SCNu32 " %" SCNu32 " %" SCNu32, &e.inside, &e.outside,
			   &e.count) != 3)
			return -EBADMSG;
		map[(*n)++] = e;
	}
	return 0;
}

/* Reads /proc/PID/FILE (a uid_map or gid_map, as this process's namespace sees it). */
static int read_proc_map(pid_t pid, const char *file, struct srfs_idmap_extent *map,
			 unsigned *n)
{
	char path[64], text[SRFS_IDMAP_EXTENTS_MAX * 34 + 2];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? negative_errno() : read_all(fd, text, sizeof(text));
	return len < 0 ? (int)len : parse_proc_map(text, map, n);
}

/*
 * The maps of the user namespace NS, in this process's ids (the host's, also
 * for a namespace nested in another): a child enters NS, and this process
 * reads the child's /proc/PID/uid_map and gid_map, which show them.  NS may be
 * a container's, whose root has every capability there: the child makes
 * itself undumpable before and after entering it (tracing it or reading its
 * memory then needs CAP_SYS_PTRACE in the host's namespace), keeps no
 * descriptor but the pipe, and does nothing but wait to be killed; a child
 * the container stops or kills is waited for at most 5 seconds.
 */
static int read_maps(int ns, struct srfs_idmap *map)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return negative_errno();
	pid_t pid = fork();
	if (pid < 0) {
		int r = negative_errno();
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		/* The pipe as 0, the namespace as 1, nothing else (copies first: either may
		 * be 0 or 1 now). */
		int w = fcntl(p[1], F_DUPFD, 3), nsfd = fcntl(ns, F_DUPFD, 3);
		if (prctl(PR_SET_DUMPABLE, 0) < 0 || w < 0 || nsfd < 0 || dup2(w, 0) < 0 ||
		    dup2(nsfd, 1) < 0 || close_range(2, ~0U, 0) < 0)
			_exit(1);
		c = setns(1, CLONE_NEWUSER) < 0 ? (char)errno : 0;
		/* Entering a namespace may reset the flag (fs.suid_dumpable): again. */
		if (!c && prctl(PR_SET_DUMPABLE, 0) < 0)
			c = (char)errno;
		close(1);
		if (write(0, &c, 1) == 1 && !c)
			for (;;)
				pause();
		_exit(1);
	}
	close(p[1]);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	int r = poll(&pfd, 1, 5000);
	r = r < 0 ? negative_errno() : r == 0 ? -ETIMEDOUT : read(p[0], &c, 1) != 1 ? -EPROTO : -c;
	close(p[0]);
	if (r == 0)
		r = read_proc_map(pid, "uid_map", map->uid, &map->n_uid);
	if (r == 0)
		r = read_proc_map(pid, "gid_map", map->gid, &map->n_gid);
	kill(pid, SIGKILL);
	reap(pid);
	return r;
}

/* Writes MAP's N extents to /proc/PID/FILE, in one write as the kernel wants. */
static int write_map(pid_t pid, const char *file, const struct srfs_idmap_extent *map, unsigned n)
{
	char path[64], text[SRFS_IDMAP_EXTENTS_MAX * 34 + 1];
	size_t len = 0;

	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", map[i].inside,
					map[i].outside, map[i].count);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	ssize_t w = write(fd, text, len);
	return w < 0 ? negative_errno() : (size_t)w == len ? 0 : -EIO;
}

/*
 * A new user namespace with MAP: a child unshares one and waits while its
 * maps are written and it is opened, then exits.  Its descriptor, or -errno.
 */
static int make_userns(const struct srfs_idmap *map)
{
	int ready[2], hold[2], r;
	char c = 0;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return negative_errno();
	if (pipe2(hold, O_CLOEXEC) < 0) {
		r = negative_errno();
		close(ready[0]);
		close(ready[1]);
		return r;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c = unshare(CLONE_NEWUSER) < 0 ? (char)errno : 0;
		if (write(ready[1], &c, 1) == 1 && c == 0)
			(void)!read(hold[0], &c, 1); /* until the parent is done (or gone) */
		_exit(0);
	}
	r = pid < 0 ? negative_errno() : 0;
	close(ready[1]);
	close(hold[0]);
	if (r == 0 && read(ready[0], &c, 1) != 1)
		r = -EPROTO;
	else if (r == 0 && c)
		r = -c;
	int fd = -1;
	if (r == 0)
		r = write_map(pid, "uid_map", map->uid, map->n_uid);
	if (r == 0)
		r = write_map(pid, "gid_map", map->gid, map->n_gid);
	if (r == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = negative_errno();
	}
	close(ready[0]);
	close(hold[1]);
	if (pid > 0)
		reap(pid);
	return r < 0 ? r : fd;
}

/* Opens PATH, a user namespace's file; says why when it is not one. */
static int open_userns(const char *path)
{
	struct statfs fs;
	struct stat own, st;
	char q[SRFS_QUOTE_MAX];
	int type;

	srfs_quote(q, sizeof(q), path);
	/* Only a namespace's file is opened for real: anything else could block, or do
	 * something when opened (a FIFO, a device).  Checked through an O_PATH
	 * descriptor, then reopened through that very descriptor. */
	_cleanup_close_ int at = open(path, O_PATH | O_CLOEXEC);
	if (at < 0)
		return log_errno(negative_errno(), "cannot use idmap %s", q);
	_cleanup_close_ int fd = -1;
	if (fstatfs(at, &fs) == 0 && fs.f_type == NSFS_MAGIC) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", at);
		fd = open(proc, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return log_errno(negative_errno(), "cannot open idmap %s", q);
	}
	if (fd < 0 || fstatfs(fd, &fs) < 0 || fs.f_type != NSFS_MAGIC ||
	    (type = ioctl(fd, NS_GET_NSTYPE)) != CLONE_NEWUSER) {
		log_error("idmap %s is not a user namespace (/proc/PID/ns/user)", q);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || stat("/proc/self/ns/user", &own) < 0)
		return log_errno(negative_errno(), "cannot inspect idmap %s", q);
	if (st.st_ino == own.st_ino && st.st_dev == own.st_dev) {
		log_error("idmap %s is this program's own user namespace: it shifts nothing", q);
		return -EINVAL;
	}
	return TAKE_FD(fd);
}

int srfs_idmap_userns(const char *text, int *fd_out, char **canonical)
{
	_cleanup_free_ struct srfs_idmap *map = calloc(1, sizeof(*map));
	_cleanup_close_ int fd = -1;
	char q[SRFS_QUOTE_MAX], err[256];
	int r;

	*fd_out = -1;
	*canonical = NULL;
	if (!map)
		return log_errno(-ENOMEM, "cannot use idmap");
	srfs_quote(q, sizeof(q), text);
	if (text[0] == '/') {
		fd = open_userns(text);
		if (fd < 0)
			return fd;
		r = read_maps(fd, map);
		if (r < 0)
			return log_errno(r, "cannot read the maps of user namespace %s", q);
		if (!map->n_uid || !map->n_gid) {
			log_error("user namespace %s has no %s map", q, map->n_uid ? "gid" : "uid");
			return -EINVAL;
		}
	} else {
		if (srfs_idmap_parse(text, map, err, sizeof(err)) < 0) {
			log_error("%s", err);
			return -EINVAL;
		}
		fd = make_userns(map);
		if (fd < 0)
			return log_errno(fd, "cannot make a user namespace for idmap '%s'", q);
	}
	*canonical = srfs_idmap_format(map);
	if (!*canonical)
		return log_errno(-ENOMEM, "cannot use idmap %s", q);
	*fd_out = TAKE_FD(fd);
	return 0;
}
