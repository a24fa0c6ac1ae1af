/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <locale.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "sha256.h"
#include "log.h"
#include "populate.h"
#include "util.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

/* ---- paths ------------------------------------------------------------------ */

/*
 * NAME as a path relative to the image root: no leading "/" or "./", no
 * empty or "." components, no trailing "/"; "" is the root itself.
 * -EINVAL for a ".." component.
 */
static int normalize(const char *name, char *out, size_t size)
{
	size_t n = 0;

	while (*name) {
		const char *end = strchrnul(name, '/');
		size_t len = (size_t)(end - name);
		if (len == 2 && name[0] == '.' && name[1] == '.')
			return -EINVAL;
		if (len > 0 && !(len == 1 && name[0] == '.')) {
			if (n + len + 2 > size)
				return -ENAMETOOLONG;
			if (n)
				out[n++] = '/';
			memcpy(out + n, name, len);
			n += len;
		}
		name = *end ? end + 1 : end;
	}
	out[n] = '\0';
	return 0;
}

/* DIR/NAME (or NAME when DIR is the root, "") into BUF. */
static int join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s%s%s", dir, *dir ? "/" : "", name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Opens the directory PATH (normalized) below ROOT_FD without passing a symlink. */
static int open_dir_beneath(int root_fd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));
	return fd < 0 ? negative_errno() : (int)fd;
}

/* ---- the set of paths a layer wrote ------------------------------------------ */

struct path_set {
	char **slots;
	size_t n_slots, n_used;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static bool set_contains(const struct path_set *set, const char *path)
{
	if (!set->n_slots)
		return false;
	for (size_t i = hash(path) & (set->n_slots - 1);; i = (i + 1) & (set->n_slots - 1)) {
		if (!set->slots[i])
			return false;
		if (streq(set->slots[i], path))
			return true;
	}
}

static int set_insert(struct path_set *set, const char *path);

static int set_grow(struct path_set *set)
{
	struct path_set bigger = { .n_slots = set->n_slots ? set->n_slots * 2 : 1024 };
	bigger.slots = calloc(bigger.n_slots, sizeof(char *));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < set->n_slots; i++)
		if (set->slots[i]) {
			size_t j = hash(set->slots[i]) & (bigger.n_slots - 1);
			while (bigger.slots[j])
				j = (j + 1) & (bigger.n_slots - 1);
			bigger.slots[j] = set->slots[i];
			bigger.n_used++;
		}
	free(set->slots);
	*set = bigger;
	return 0;
}

static int set_insert(struct path_set *set, const char *path)
{
	if (set_contains(set, path))
		return 0;
	if ((set->n_used + 1) * 2 > set->n_slots && set_grow(set) < 0)
		return -ENOMEM;
	size_t i = hash(path) & (set->n_slots - 1);
	while (set->slots[i])
		i = (i + 1) & (set->n_slots - 1);
	set->slots[i] = strdup(path);
	if (!set->slots[i])
		return -ENOMEM;
	set->n_used++;
	return 0;
}

/* PATH and every directory above it. */
static int set_insert_with_parents(struct path_set *set, const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		int r = set_insert(set, buf);
		if (r < 0)
			return r;
		char *slash = strrchr(buf, '/');
		if (!slash)
			return 0;
		*slash = '\0';
	}
}

static void set_free(struct path_set *set)
{
	for (size_t i = 0; i < set->n_slots; i++)
		free(set->slots[i]);
	free(set->slots);
	*set = (struct path_set){ 0 };
}

/* ---- whiteouts ------------------------------------------------------------- */

struct opaque_job {
	const char *dir;
	const struct path_set *written;
};

/* Sets the times of the directory FD back to those in ST (what a removal in it changed). */
static int keep_times(int fd, const struct stat *st)
{
	const struct timespec times[2] = { st->st_atim, st->st_mtim };
	return futimens(fd, times) < 0 ? negative_errno() : 0;
}

/* Did this layer write DIR/NAME? */
static bool written_by_layer(const char *name, void *userdata)
{
	struct opaque_job *job = userdata;
	char child[4096];
	return join(child, sizeof(child), job->dir, name) == 0 &&
	       set_contains(job->written, child);
}

/*
 * Removes what DIR held before this layer: every entry below it that the
 * layer did not write, also inside the directories the layer wrote (the
 * layer may have written DIR/sub/new before DIR's opaque marker: what
 * DIR/sub held below goes too).  Each directory keeps its times.
 */
static int apply_opaque(int root_fd, const char *dir, const struct path_set *written)
{
	struct opaque_job job = { dir, written };
	_cleanup_close_ int fd = open_dir_beneath(root_fd, dir);
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	/* (srfs_remove_children closes the descriptor it is given.) */
	int walk = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (walk < 0)
		return negative_errno();
	r = srfs_remove_children(walk, written_by_layer, &job);
	if (r < 0)
		return r;
	/* What is left the layer wrote: the directories among it lose their lower content. */
	walk = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (walk < 0 || !(d = fdopendir(walk))) {
		r = negative_errno();
		if (walk >= 0)
			close(walk);
		return r;
	}
	rewinddir(d); /* (the first walk's descriptor shared this one's offset, at the end) */
	while (r == 0 && (de = readdir(d))) {
		struct stat cs;
		char *child;
		if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
		    fstatat(fd, de->d_name, &cs, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(cs.st_mode))
			continue;
		/* (On the heap: a layer's tree can be two thousand directories deep.) */
		if (asprintf(&child, "%s%s%s", dir, *dir ? "/" : "", de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		r = apply_opaque(root_fd, child, written);
		free(child);
	}
	closedir(d);
	return r < 0 ? r : keep_times(fd, &st);
}

/* PATH (normalized) is a whiteout entry: apply it. */
static int apply_whiteout(int root_fd, const char *path, const struct path_set *written,
			  const char *tar_name)
{
	char dir[4096], q[SRFS_QUOTE_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int r;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 0, path);
	if (streq(base, WHITEOUT_OPAQUE))
		r = apply_opaque(root_fd, dir, written);
	else {
		const char *victim = base + strlen(WHITEOUT_PREFIX);
		char full[4096];
		if (join(full, sizeof(full), dir, victim) < 0 || !*victim || streq(victim, ".") || streq(victim, "..")) {
			log_error("%s: invalid whiteout '%s'", tar_name,
				  srfs_quote(q, sizeof(q), path));
			return -EINVAL;
		}
		/*
		 * This layer wrote it: the whiteout hides only what was below, which is
		 * all of it for a file, and what the layer did not write for a directory.
		 */
		if (set_contains(written, full)) {
			struct stat vs;
			_cleanup_close_ int dfd = open_dir_beneath(root_fd, dir);
			if (dfd < 0 || fstatat(dfd, victim, &vs, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISDIR(vs.st_mode))
				return 0;
			r = apply_opaque(root_fd, full, written);
			goto out;
		}
		_cleanup_close_ int fd = open_dir_beneath(root_fd, dir);
		struct stat st;
		if (fd == -ENOENT)
			return 0;
		r = fd < 0 ? fd : fstat(fd, &st) < 0 ? negative_errno() : srfs_remove_tree(fd, victim);
		if (r == 0)
			r = keep_times(fd, &st);
	}
out:
	if (r == -ELOOP || r == -EXDEV)
		log_error("%s: whiteout '%s' lies under a symbolic link", tar_name,
			  srfs_quote(q, sizeof(q), path));
	else if (r < 0)
		log_errno(r, "%s: cannot apply whiteout '%s'", tar_name,
			  srfs_quote(q, sizeof(q), path));
	return r;
}

/* ---- extraction ---------------------------------------------------------------- */

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_free(*a); /* closes too */
}
#define _cleanup_archive_ _cleanup_(archive_freep)

static const char *error_of(struct archive *a)
{
	const char *s = archive_error_string(a);
	return s ? s : "unknown error";
}

static struct archive *disk_writer(void)
{
	struct archive *ext = archive_write_disk_new();
	if (!ext)
		return NULL;
	/* No user name lookup: the numeric ids of the content are kept as they are. */
	archive_write_disk_set_options(
		ext, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
			     ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
			     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			     ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	return ext;
}

/* Writes ENTRY (and its data, read from IN) into the current directory. */
static int write_entry(struct archive *in, struct archive *ext, struct archive_entry *entry,
		       const char *what)
{
	char q[SRFS_QUOTE_MAX];
	const char *path = archive_entry_pathname(entry);
	int r = archive_write_header(ext, entry);

	if (r == ARCHIVE_OK && archive_entry_size(entry) > 0) {
		const void *buf;
		size_t len;
		la_int64_t offset;
		for (;;) {
			r = archive_read_data_block(in, &buf, &len, &offset);
			if (r == ARCHIVE_EOF) {
				r = ARCHIVE_OK;
				break;
			}
			if (r != ARCHIVE_OK) {
				log_error("cannot read '%s' from %s: %s",
					  srfs_quote(q, sizeof(q), path), what, error_of(in));
				return -EIO;
			}
			if (archive_write_data_block(ext, buf, len, offset) != ARCHIVE_OK) {
				r = ARCHIVE_FAILED;
				break;
			}
		}
	}
	if (r == ARCHIVE_OK)
		r = archive_write_finish_entry(ext);
	/* A warning means something was not kept (an xattr, an owner): that is a failure. */
	if (r != ARCHIVE_OK) {
		log_error("cannot write '%s' from %s into the image: %s",
			  srfs_quote(q, sizeof(q), path), what, error_of(ext));
		return -EIO;
	}
	return 0;
}

/* Runs FN with ROOT_FD as the current directory, which libarchive writes relative to. */
/*
 * Runs FN with ROOT_FD as the current directory, which libarchive writes
 * relative to, and with UTF-8 as the thread's character set: names in pax
 * headers are UTF-8 (Go writes every non-ASCII name so, as in a
 * distribution's ca-certificates), and libarchive refuses to convert them
 * to the tools' C locale.  Names are written as the bytes they are.
 */
static int in_root(int root_fd, int (*fn)(void *userdata), void *userdata)
{
	_cleanup_close_ int saved = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	locale_t utf8, old = (locale_t)0;

	if (saved < 0)
		return log_errno(negative_errno(), "cannot open the current directory");
	if (fchdir(root_fd) < 0)
		return log_errno(negative_errno(), "cannot enter the image");
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		old = uselocale(utf8);
	int r = fn(userdata);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	if (fchdir(saved) < 0 && r == 0)
		r = log_errno(negative_errno(), "cannot return to the current directory");
	return r;
}

/*
 * The root directory's own entry: libarchive does not restore the times of
 * ".", so they (and its owner and mode) are applied once everything is written.
 */
struct root_entry {
	bool seen;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec times[2];
};

static void root_entry_save(struct root_entry *root, struct archive_entry *entry)
{
	*root = (struct root_entry){
		.seen = true,
		.mode = archive_entry_perm(entry),
		.uid = (uid_t)archive_entry_uid(entry),
		.gid = (gid_t)archive_entry_gid(entry),
		.times = { { archive_entry_atime(entry), archive_entry_atime_nsec(entry) },
			   { archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) } },
	};
	if (!archive_entry_atime_is_set(entry))
		root->times[0] = root->times[1];
}

/* Closes the writer (directory times and modes are set then), then fixes the root. */
static int finish(struct archive *ext, const struct root_entry *root, const char *what)
{
	if (archive_write_close(ext) != ARCHIVE_OK) {
		log_error("cannot finish writing %s into the image: %s", what, error_of(ext));
		return -EIO;
	}
	if (root->seen && (fchownat(AT_FDCWD, ".", root->uid, root->gid, 0) < 0 ||
			   fchmodat(AT_FDCWD, ".", root->mode, 0) < 0 ||
			   utimensat(AT_FDCWD, ".", root->times, 0) < 0))
		return log_errno(negative_errno(), "cannot set the owner, mode and times of the "
				 "image's root from %s", what);
	return 0;
}

struct tar_job {
	int root_fd;
	int tar_fd;
	const char *tar_name;
	bool layer;
	/* An OCI layer: decompressed as its media type says and hashed on the way (LAYER too). */
	bool oci;
	enum srfs_oci_compression compression;
	struct srfs_layer_digests *digests;
	struct layer_stream *stream;
	/* LAYER: the directories it has entries for, and their times, set once it is applied. */
	struct dir_times *dirs;
	size_t n_dirs, allocated_dirs;
};

struct dir_times {
	char *path;
	struct timespec times[2];
};

static int dir_times_add(struct tar_job *job, const char *path, struct archive_entry *entry)
{
	if (job->n_dirs == job->allocated_dirs) {
		size_t n = job->allocated_dirs ? 2 * job->allocated_dirs : 64;
		struct dir_times *d = realloc(job->dirs, n * sizeof(*d));
		if (!d)
			return -ENOMEM;
		job->dirs = d;
		job->allocated_dirs = n;
	}
	struct dir_times *d = &job->dirs[job->n_dirs];
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;
	d->times[1] = (struct timespec){ archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) };
	d->times[0] = archive_entry_atime_is_set(entry)
			      ? (struct timespec){ archive_entry_atime(entry), archive_entry_atime_nsec(entry) }
			      : d->times[1];
	job->n_dirs++;
	return 0;
}

/*
 * A layer's entry loses its security.selinux attribute: the SELinux label is
 * the image mount's (image-activate --context), never one the image picks.
 */
static int drop_selinux_label(struct archive_entry *entry)
{
	struct kept {
		char *name;
		void *value;
		size_t len;
	} kept[64];
	size_t n = 0, total = 0;
	bool found = false;
	const char *name;
	const void *value;
	size_t len;
	int r = 0;

	archive_entry_xattr_reset(entry);
	while (archive_entry_xattr_next(entry, &name, &value, &len) == ARCHIVE_OK) {
		total++;
		if (streq(name, "security.selinux"))
			found = true;
	}
	if (!found)
		return 0;
	if (total > ARRAY_SIZE(kept))
		return -E2BIG;
	archive_entry_xattr_reset(entry);
	while (archive_entry_xattr_next(entry, &name, &value, &len) == ARCHIVE_OK) {
		if (streq(name, "security.selinux"))
			continue;
		kept[n].name = strdup(name);
		kept[n].value = malloc(len ? len : 1);
		kept[n].len = len;
		if (!kept[n].name || !kept[n].value) {
			free(kept[n].name);
			free(kept[n].value);
			r = -ENOMEM;
			break;
		}
		memcpy(kept[n].value, value, len);
		n++;
	}
	if (r == 0) {
		archive_entry_xattr_clear(entry);
		for (size_t i = 0; i < n; i++)
			archive_entry_xattr_add_entry(entry, kept[i].name, kept[i].value, kept[i].len);
	}
	for (size_t i = 0; i < n; i++) {
		free(kept[i].name);
		free(kept[i].value);
	}
	return r;
}

/* Does ENTRY carry the extended attribute NAME? */
static bool entry_has_xattr(struct archive_entry *entry, const char *name)
{
	const char *n;
	const void *v;
	size_t len;

	archive_entry_xattr_reset(entry);
	while (archive_entry_xattr_next(entry, &n, &v, &len) == ARCHIVE_OK)
		if (streq(n, name))
			return true;
	return false;
}

/*
 * A layer's entry for a directory that is there already gives all of its
 * metadata: extended attributes it does not carry are removed (libarchive
 * only adds).  The SELinux label is the mount's, never the layer's.
 */
static int drop_other_xattrs(struct tar_job *job, const char *path, struct archive_entry *entry)
{
	_cleanup_close_ int fd = open_dir_beneath(job->root_fd, path);
	char names[65536], q[SRFS_QUOTE_MAX];
	ssize_t len;

	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
		return 0; /* new, or not a directory: libarchive makes it afresh */
	if (fd < 0)
		return log_errno(fd, "%s: cannot open '%s'", job->tar_name, srfs_quote(q, sizeof(q), path));
	len = flistxattr(fd, names, sizeof(names));
	if (len < 0)
		return log_errno(negative_errno(), "%s: cannot list the attributes of '%s'",
				 job->tar_name, srfs_quote(q, sizeof(q), path));
	for (const char *n = names; n < names + len; n += strlen(n) + 1) {
		if (streq(n, "security.selinux") || entry_has_xattr(entry, n))
			continue;
		if (fremovexattr(fd, n) < 0 && errno != ENODATA)
			return log_errno(negative_errno(), "%s: cannot remove attribute %s of '%s'",
					 job->tar_name, n, srfs_quote(q, sizeof(q), path));
	}
	return 0;
}

/*
 * A directory that was there before the layer keeps the times its entry
 * gives only until something is written in it: libarchive sets them at
 * once for a directory it does not create.  They are set again at the end.
 */
static int dir_times_apply(struct tar_job *job)
{
	char q[SRFS_QUOTE_MAX];
	for (size_t i = 0; i < job->n_dirs; i++) {
		_cleanup_close_ int fd = open_dir_beneath(job->root_fd, job->dirs[i].path);
		if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
			continue; /* whited out, or replaced, by the layer itself */
		if (fd < 0 || futimens(fd, job->dirs[i].times) < 0)
			return log_errno(fd < 0 ? fd : negative_errno(), "%s: cannot set the times of '%s'",
					 job->tar_name, srfs_quote(q, sizeof(q), job->dirs[i].path));
	}
	return 0;
}

static void dir_times_free(struct tar_job *job)
{
	for (size_t i = 0; i < job->n_dirs; i++)
		free(job->dirs[i].path);
	free(job->dirs);
	job->dirs = NULL;
	job->n_dirs = job->allocated_dirs = 0;
}

/* ---- OCI layers: two readers, each hashing what passes ---------------------------- */

/*
 * The blob is read by OUTER, which only decompresses (format "raw"); the tar
 * reader reads OUTER's output.  Each read is hashed: the blob's bytes as
 * they come from the file, the tar's as they come out of OUTER.  What the
 * tar reader leaves (the zero blocks after the end, padding) is read and
 * hashed at the end, so both digests cover every byte.
 */
struct layer_stream {
	int fd;
	const char *name;
	struct archive *outer;
	struct srfs_sha256 *blob, *tar;
	uint64_t blob_size, tar_size;
	uint64_t max_blob, max_tar; /* reading more is an error */
	char buf[128 * 1024];
	char tar_buf[128 * 1024];
};

static la_ssize_t read_blob(struct archive *a, void *userdata, const void **out)
{
	struct layer_stream *s = userdata;
	ssize_t n;

	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	srfs_sha256_update(s->blob, s->buf, (size_t)n);
	s->blob_size += (uint64_t)n;
	if (s->blob_size > s->max_blob) {
		archive_set_error(a, EFBIG, "the blob is longer than its descriptor says");
		return -1;
	}
	*out = s->buf;
	return n;
}

static la_ssize_t read_tar(struct archive *a, void *userdata, const void **out)
{
	struct layer_stream *s = userdata;
	la_ssize_t n = archive_read_data(s->outer, s->tar_buf, sizeof(s->tar_buf));

	if (n < 0) {
		archive_set_error(a, EIO, "%s", error_of(s->outer));
		return -1;
	}
	srfs_sha256_update(s->tar, s->tar_buf, (size_t)n);
	s->tar_size += (uint64_t)n;
	if (s->tar_size > s->max_tar) {
		archive_set_error(a, EFBIG, "it unpacks to more than %" PRIu64 " bytes", s->max_tar);
		return -1;
	}
	*out = s->tar_buf;
	return n;
}

static int open_layer(struct tar_job *job, struct archive *in)
{
	struct layer_stream *s = job->stream;
	struct archive_entry *raw;
	int r = ARCHIVE_OK;

	s->outer = archive_read_new();
	if (!s->outer)
		return log_errno(-ENOMEM, "cannot read layer %s", job->tar_name);
	if (job->compression == SRFS_OCI_GZIP)
		r = archive_read_support_filter_gzip(s->outer);
	else if (job->compression == SRFS_OCI_ZSTD)
		r = archive_read_support_filter_zstd(s->outer);
	if (r == ARCHIVE_OK)
		r = archive_read_support_format_raw(s->outer);
	if (r != ARCHIVE_OK) {
		/* ARCHIVE_WARN: an external program would be needed; we want none. */
		log_error("cannot read layer %s: %s decompression is not available here",
			  job->tar_name, srfs_oci_compression_name(job->compression));
		return -EOPNOTSUPP;
	}
	if (archive_read_open(s->outer, s, NULL, read_blob, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(s->outer, &raw) != ARCHIVE_OK) {
		log_error("cannot read layer %s: %s", job->tar_name, error_of(s->outer));
		return -EINVAL;
	}
	archive_read_support_format_tar(in);
	if (archive_read_open(in, s, NULL, read_tar, NULL) != ARCHIVE_OK) {
		log_error("cannot read layer %s: %s", job->tar_name, error_of(in));
		return -EINVAL;
	}
	return 0;
}

/* Reads and hashes what is left after the tar's end, then gives the digests. */
static int finish_layer(struct tar_job *job)
{
	struct layer_stream *s = job->stream;
	const void *unused;
	la_ssize_t n;

	while ((n = read_tar(s->outer, s, &unused)) > 0)
		;
	if (n < 0) {
		log_error("cannot read layer %s: %s", job->tar_name, error_of(s->outer));
		return -EINVAL;
	}
	while ((n = read_blob(s->outer, s, &unused)) > 0)
		;
	if (n < 0)
		return log_errno(negative_errno(), "cannot read layer %s", job->tar_name);
	srfs_sha256_final(TAKE_PTR(s->blob), job->digests->blob);
	srfs_sha256_final(TAKE_PTR(s->tar), job->digests->tar);
	job->digests->blob_size = s->blob_size;
	job->digests->tar_size = s->tar_size;
	return 0;
}

static int normalize_entry(struct archive_entry *entry, const char *what, bool oci, char *norm,
			   size_t size)
{
	char q[SRFS_QUOTE_MAX], link[4096];
	const char *path = archive_entry_pathname(entry);
	const char *hardlink = archive_entry_hardlink(entry);

	if (path && oci && path[0] == '/') {
		log_error("%s: entry '%s' is an absolute path", what, srfs_quote(q, sizeof(q), path));
		return -EINVAL;
	}
	if (!path || normalize(path, norm, size) < 0) {
		log_error("%s: entry '%s' leaves the image", what,
			  srfs_quote(q, sizeof(q), path ? path : ""));
		return -EINVAL;
	}
	archive_entry_set_pathname(entry, *norm ? norm : ".");
	if (hardlink) {
		if (normalize(hardlink, link, sizeof(link)) < 0 || !*link) {
			log_error("%s: hard link '%s' points outside the image", what,
				  srfs_quote(q, sizeof(q), hardlink));
			return -EINVAL;
		}
		archive_entry_set_hardlink(entry, link);
	}
	return 0;
}

static int extract_tar(void *userdata)
{
	struct tar_job *job = userdata;
	_cleanup_archive_ struct archive *in = archive_read_new();
	_cleanup_archive_ struct archive *ext = disk_writer();
	_cleanup_(set_free) struct path_set written = { 0 }, timed = { 0 };
	struct root_entry root = { 0 };
	struct archive_entry *entry;
	unsigned entries = 0;
	char norm[4096];
	int r;

	if (!in || !ext)
		return log_errno(-ENOMEM, "cannot read %s", job->tar_name);
	if (job->oci) {
		r = open_layer(job, in);
		if (r < 0)
			return r;
	} else {
		archive_read_support_filter_all(in);
		archive_read_support_format_all(in);
		if (archive_read_open_fd(in, job->tar_fd, 128 * 1024) != ARCHIVE_OK) {
			log_error("cannot read %s: %s", job->tar_name, error_of(in));
			return -EINVAL;
		}
	}
	for (;;) {
		r = archive_read_next_header(in, &entry);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			log_error("cannot read %s: %s", job->tar_name, error_of(in));
			return -EINVAL;
		}
		r = normalize_entry(entry, job->tar_name, job->oci, norm, sizeof(norm));
		if (r < 0)
			return r;
		const char *base = strrchr(norm, '/');
		base = base ? base + 1 : norm;
		if (job->layer && strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0) {
			r = apply_whiteout(job->root_fd, norm, &written, job->tar_name);
			if (r < 0)
				return r;
			continue;
		}
		if (++entries > SRFS_POPULATE_ENTRIES_MAX) {
			log_error("%s: more than %u entries", job->tar_name, SRFS_POPULATE_ENTRIES_MAX);
			return -E2BIG;
		}
		if (!*norm)
			root_entry_save(&root, entry);
		/* A directory given again: its first entry's times are kept (no list grows). */
		bool again = job->layer && *norm && set_contains(&timed, norm);
		if (job->layer && archive_entry_filetype(entry) == AE_IFDIR &&
		    (r = drop_other_xattrs(job, norm, entry)) < 0)
			return r;
		if (job->layer && (r = drop_selinux_label(entry)) < 0)
			return log_errno(r, "cannot apply %s", job->tar_name);
		r = write_entry(in, ext, entry, job->tar_name);
		if (r < 0)
			return r;
		if (job->layer && (set_insert_with_parents(&written, norm) < 0 ||
				   (*norm && archive_entry_filetype(entry) == AE_IFDIR && !again &&
				    (dir_times_add(job, norm, entry) < 0 ||
				     set_insert(&timed, norm) < 0))))
			return log_errno(-ENOMEM, "cannot apply %s", job->tar_name);
	}
	r = finish(ext, &root, job->tar_name);
	if (r == 0 && job->layer)
		r = dir_times_apply(job);
	if (r == 0 && job->oci)
		r = finish_layer(job);
	return r;
}

int srfs_populate_tar(int root_fd, int tar_fd, const char *tar_name, bool layer)
{
	struct tar_job job = { .root_fd = root_fd, .tar_fd = tar_fd, .tar_name = tar_name,
			       .layer = layer };
	int r = in_root(root_fd, extract_tar, &job);
	dir_times_free(&job);
	return r;
}

int srfs_populate_layer(int root_fd, int blob_fd, const char *name,
			enum srfs_oci_compression compression, uint64_t blob_size,
			uint64_t max_tar_size, struct srfs_layer_digests *digests)
{
	struct layer_stream stream = { .fd = blob_fd, .name = name, .max_blob = blob_size,
				       .max_tar = max_tar_size };
	struct tar_job job = {
		.root_fd = root_fd, .tar_fd = blob_fd, .tar_name = name, .layer = true,
		.oci = true, .compression = compression, .digests = digests, .stream = &stream,
	};
	int r;

	*digests = (struct srfs_layer_digests){ 0 };
	stream.blob = srfs_sha256_new();
	stream.tar = srfs_sha256_new();
	if (!stream.blob || !stream.tar)
		r = log_errno(-ENOMEM, "cannot read layer %s", name);
	else
		r = in_root(root_fd, extract_tar, &job);
	dir_times_free(&job);
	archive_freep(&stream.outer);
	srfs_sha256_free(stream.blob);
	srfs_sha256_free(stream.tar);
	return r;
}

struct dir_job {
	const char *source;
};

static void resolver_freep(struct archive_entry_linkresolver **res)
{
	if (*res)
		archive_entry_linkresolver_free(*res);
}

static void entry_freep(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

static int copy_dir(void *userdata)
{
	struct dir_job *job = userdata;
	_cleanup_archive_ struct archive *in = archive_read_disk_new();
	_cleanup_archive_ struct archive *ext = disk_writer();
	_cleanup_(resolver_freep) struct archive_entry_linkresolver *links =
		archive_entry_linkresolver_new();
	size_t prefix = strlen(job->source);
	struct root_entry root = { 0 };
	char norm[4096];
	int r;

	if (!in || !ext || !links)
		return log_errno(-ENOMEM, "cannot copy %s", job->source);
	archive_entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_read_disk_set_symlink_physical(in);
	archive_read_disk_set_behavior(in, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	if (archive_read_disk_open(in, job->source) != ARCHIVE_OK) {
		log_error("cannot read %s: %s", job->source, error_of(in));
		return -EIO;
	}
	for (;;) {
		_cleanup_(entry_freep) struct archive_entry *entry = archive_entry_new();
		struct archive_entry *spare = NULL;
		if (!entry)
			return log_errno(-ENOMEM, "cannot copy %s", job->source);
		r = archive_read_next_header2(in, entry);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			log_error("cannot read %s: %s", job->source, error_of(in));
			return -EIO;
		}
		archive_read_disk_descend(in);
		const char *path = archive_entry_pathname(entry);
		if (strncmp(path, job->source, prefix) != 0) {
			log_error("cannot copy %s: unexpected entry %s", job->source, path);
			return -EIO;
		}
		archive_entry_copy_pathname(entry, *(path + prefix) ? path + prefix : ".");
		r = normalize_entry(entry, job->source, false, norm, sizeof(norm));
		if (r < 0)
			return r;
		if (!*norm)
			root_entry_save(&root, entry);
		/* The second name of a file becomes a hard link to the first. */
		archive_entry_linkify(links, &entry, &spare);
		if (entry)
			r = write_entry(in, ext, entry, job->source);
		if (spare)
			archive_entry_free(spare);
		if (r < 0)
			return r;
	}
	return finish(ext, &root, job->source);
}

int srfs_populate_dir(int root_fd, const char *source_dir)
{
	_cleanup_free_ char *source = realpath(source_dir, NULL);
	char q[SRFS_QUOTE_MAX];
	struct stat st;

	if (!source || stat(source, &st) < 0)
		return log_errno(negative_errno(), "cannot read %s",
				 srfs_quote(q, sizeof(q), source_dir));
	if (!S_ISDIR(st.st_mode)) {
		log_error("%s is not a directory", srfs_quote(q, sizeof(q), source_dir));
		return -ENOTDIR;
	}
	struct dir_job job = { source };
	return in_root(root_fd, copy_dir, &job);
}

/* ---- mount points ------------------------------------------------------------- */

static const struct {
	const char *path;
	mode_t mode; /* S_IFDIR or S_IFREG, and permissions */
} mount_points[] = {
	{ "proc", S_IFDIR | 0555 },	   { "sys", S_IFDIR | 0555 },
	{ "dev", S_IFDIR | 0755 },	   { "dev/pts", S_IFDIR | 0755 },
	{ "dev/shm", S_IFDIR | 01777 },	   { "run", S_IFDIR | 0755 },
	{ "tmp", S_IFDIR | 01777 },	   { "etc", S_IFDIR | 0755 },
	{ "etc/hosts", S_IFREG | 0644 },   { "etc/resolv.conf", S_IFREG | 0644 },
	{ "etc/hostname", S_IFREG | 0644 },
};

int srfs_populate_mount_points(int root_fd)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_points); i++) {
		const char *path = mount_points[i].path;
		const char *slash = strrchr(path, '/');
		const char *base = slash ? slash + 1 : path;
		char dir[64];
		struct stat st;

		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 0, path);
		_cleanup_close_ int dir_fd = open_dir_beneath(root_fd, dir);
		if (dir_fd < 0) {
			/* The parent is a symbolic link or not a directory: the content's choice. */
			log_debug("not creating /%s: /%s: %s", path, dir, strerror(-dir_fd));
			continue;
		}
		if (fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (errno != ENOENT)
			return log_errno(negative_errno(), "cannot check /%s in the image", path);
		struct stat parent;
		if (fstat(dir_fd, &parent) < 0)
			return log_errno(negative_errno(), "cannot check /%s in the image", dir);

		mode_t perm = mount_points[i].mode & 07777;
		int r;
		if (S_ISDIR(mount_points[i].mode)) {
			r = mkdirat(dir_fd, base, perm) < 0 ? negative_errno() : 0;
			if (r == 0 && fchmodat(dir_fd, base, perm, 0) < 0) /* past the umask */
				r = negative_errno();
		} else {
			int fd = openat(dir_fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					perm);
			r = fd < 0 ? negative_errno() : 0;
			if (fd >= 0 && fchmod(fd, perm) < 0)
				r = negative_errno();
			if (fd >= 0)
				close(fd);
		}
		/* The directory keeps the times the content gave it. */
		struct timespec times[2] = { parent.st_atim, parent.st_mtim };
		if (r == 0 && futimens(dir_fd, times) < 0)
			r = negative_errno();
		if (r < 0)
			return log_errno(r, "cannot create /%s in the image", path);
		log_debug("created /%s", path);
	}
	return 0;
}
