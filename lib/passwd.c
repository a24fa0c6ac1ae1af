/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "passwd.h"
#include "util.h"

/* As the OCI layout reader allows for a JSON file. */
#define DB_MAX (4u << 20)
/* (uid_t)-1 is no id. */
#define ID_LAST 4294967294ULL

void srfs_user_clear(struct srfs_user *u)
{
	free(u->gids);
	*u = (struct srfs_user){ 0 };
}

/* A decimal id: digits only, at most ID_LAST. */
static int parse_id(const char *s, uint32_t *out)
{
	uint64_t n;
	if (!*s || strlen(s) > 10 || srfs_parse_u64(s, &n) < 0 || n > ID_LAST)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

/*
 * Reads the image's /etc/NAME below ROOT_FD into *BUF: /etc and NAME each
 * opened without following a symbolic link.  -ENOENT (not logged) when there
 * is none; anything else that stops it is logged.
 */
static int read_db(int root_fd, const char *what, const char *name, char **buf)
{
	_cleanup_close_ int etc = -1;
	int r;

	if (root_fd < 0)
		return -ENOENT;
	etc = openat(root_fd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0 && errno == ENOENT)
		return -ENOENT;
	if (etc < 0 && (errno == ELOOP || errno == ENOTDIR)) {
		log_error("%s's /etc is a symbolic link or not a directory: its users cannot be "
			  "read safely (give User as UID[:GID])",
			  what);
		return -ELOOP;
	}
	if (etc < 0)
		return log_errno(negative_errno(), "cannot open %s's /etc", what);
	r = srfs_read_file_at(etc, name, DB_MAX, buf, NULL);
	if (r == -ELOOP || r == -EBADF)
		log_error("%s's /etc/%s is a symbolic link or not a regular file: it is not read "
			  "(give User as UID[:GID])",
			  what, name);
	else if (r == -EFBIG)
		log_error("%s's /etc/%s is larger than %u MiB: it is not read", what, name,
			  DB_MAX >> 20);
	else if (r < 0 && r != -ENOENT)
		log_errno(r, "cannot read %s's /etc/%s", what, name);
	return r;
}

/* Cuts the line at *CURSOR off (NUL-terminated in place) and moves past it; NULL at the end. */
static char *next_line(char **cursor)
{
	char *line = *cursor;
	if (!line || !*line)
		return NULL;
	char *nl = strchr(line, '\n');
	if (nl)
		*nl++ = '\0';
	*cursor = nl;
	return line;
}

/* Splits LINE at ':' into at most N fields (in place); how many there are. */
static size_t split(char *line, char **f, size_t n)
{
	size_t i = 0;
	while (i < n) {
		f[i++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = '\0';
	}
	return i;
}

struct pw_entry {
	const char *name;
	uint32_t uid, gid;
};

/* The passwd entry named NAME (or, NAME NULL, of UID) in DB: 1, or 0 when none. */
static int find_passwd(char *db, const char *name, uint32_t uid, struct pw_entry *e)
{
	char *cursor = db, *line, *f[7];
	while ((line = next_line(&cursor))) {
		uint32_t u, g;
		if (split(line, f, 7) < 4 || parse_id(f[2], &u) < 0 || parse_id(f[3], &g) < 0)
			continue;
		if (name ? streq(f[0], name) : u == uid) {
			*e = (struct pw_entry){ .name = f[0], .uid = u, .gid = g };
			return 1;
		}
	}
	return 0;
}

/* Does the member list LIST ("a,b,c") name NAME? */
static bool lists(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/*
 * One pass over the group file DB: the gid of the group GROUP (a name) into
 * *GID (1: found), or, GROUP NULL, the groups that list MEMBER into U->gids.
 */
static int scan_groups(char *db, const char *group, const char *member, uint32_t *gid,
		       struct srfs_user *u)
{
	char *cursor = db, *line, *f[4];
	while ((line = next_line(&cursor))) {
		uint32_t g;
		size_t n = split(line, f, 4);
		if (n < 3 || parse_id(f[2], &g) < 0)
			continue;
		if (group && streq(f[0], group)) {
			*gid = g;
			return 1;
		}
		if (group || n < 4 || !lists(f[3], member))
			continue;
		if (u->n_gids == SRFS_USER_GIDS_MAX)
			return -E2BIG;
		if (u->n_gids % 64 == 0) {
			uint32_t *more = realloc(u->gids, (u->n_gids + 64) * sizeof(*more));
			if (!more)
				return -ENOMEM;
			u->gids = more;
		}
		u->gids[u->n_gids++] = g;
	}
	return 0;
}

/* Fills in U's uid (and group, name) from USER, a name or a number. */
static int resolve_user_part(int root_fd, const char *what, const char *user, char **name,
			     struct srfs_user *u, bool *matched)
{
	_cleanup_free_ char *db = NULL;
	char q[SRFS_QUOTE_MAX];
	struct pw_entry e;
	bool numeric = parse_id(user, &u->uid) == 0;

	int r = read_db(root_fd, what, "passwd", &db);
	if (r == -ENOENT && numeric)
		return 0;
	if (r == -ENOENT) {
		log_error("user '%s' cannot be resolved: %s has no /etc/passwd",
			  srfs_quote(q, sizeof(q), user), what);
		return -ENOENT;
	}
	if (r < 0)
		return r;
	if (find_passwd(db, numeric ? NULL : user, u->uid, &e) == 0) {
		if (numeric)
			return 0;
		log_error("user '%s' is not in %s's /etc/passwd", srfs_quote(q, sizeof(q), user),
			  what);
		return -ENOENT;
	}
	u->uid = e.uid;
	u->gid = e.gid;
	*matched = true;
	*name = strdup(e.name);
	return *name ? 0 : -ENOMEM;
}

/* The group GROUP (a name or a number) into U->gid. */
static int resolve_group_part(int root_fd, const char *what, const char *group,
			      struct srfs_user *u)
{
	_cleanup_free_ char *db = NULL;
	char q[SRFS_QUOTE_MAX];
	if (parse_id(group, &u->gid) == 0)
		return 0;
	int r = read_db(root_fd, what, "group", &db);
	if (r == -ENOENT) {
		log_error("group '%s' cannot be resolved: %s has no /etc/group",
			  srfs_quote(q, sizeof(q), group), what);
		return r;
	}
	if (r < 0)
		return r;
	r = scan_groups(db, group, NULL, &u->gid, u);
	if (r == 0) {
		log_error("group '%s' is not in %s's /etc/group", srfs_quote(q, sizeof(q), group),
			  what);
		return -ENOENT;
	}
	return r < 0 ? r : 0;
}

/* The supplementary groups of the user NAME: those of /etc/group that list it. */
static int supplementary_groups(int root_fd, const char *what, const char *name,
				struct srfs_user *u)
{
	_cleanup_free_ char *db = NULL;
	char q[SRFS_QUOTE_MAX];
	int r = read_db(root_fd, what, "group", &db);
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = scan_groups(db, NULL, name, NULL, u);
	if (r == -E2BIG)
		log_error("user '%s' is in more than %d groups in %s's /etc/group",
			  srfs_quote(q, sizeof(q), name),
			  SRFS_USER_GIDS_MAX, what);
	return r;
}

int srfs_user_resolve(int root_fd, const char *what, const char *user, struct srfs_user *out)
{
	_cleanup_free_ char *spec = strdup(user), *name = NULL;
	char q[SRFS_QUOTE_MAX];
	bool matched = false;
	int r;

	*out = (struct srfs_user){ 0 };
	if (!spec)
		return -ENOMEM;
	char *group = strchr(spec, ':');
	if (group)
		*group++ = '\0';
	if (!*spec && group) {
		log_error("user '%s' of %s names no user before ':'",
			  srfs_quote(q, sizeof(q), user), what);
		return -EINVAL;
	}
	if (group && !*group) {
		log_error("user '%s' of %s names no group after ':'",
			  srfs_quote(q, sizeof(q), user), what);
		return -EINVAL;
	}
	if (*spec && (r = resolve_user_part(root_fd, what, spec, &name, out, &matched)) < 0)
		goto fail;
	if (group)
		r = resolve_group_part(root_fd, what, group, out);
	else if (matched)
		r = supplementary_groups(root_fd, what, name, out);
	else
		r = 0;
	if (r == 0)
		return 0;
fail:
	if (r == -ENOMEM)
		log_errno(r, "cannot resolve user '%s' of %s", srfs_quote(q, sizeof(q), user),
			  what);
	srfs_user_clear(out);
	return r;
}
