/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log.h"
#include "passwd.h"
#include "spec.h"
#include "util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * What "crun spec" of crun 1.8.1 writes, but for the fields set from the
 * image (process: terminal, user, args, env, cwd; root; hostname) and the
 * namespaces added (cgroup, user).
 */
static const char crun_default[] =
	"{\"ociVersion\": \"1.0.0\","
	" \"process\": {\"terminal\": false, \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [],"
	"  \"env\": [], \"cwd\": \"/\","
	"  \"capabilities\": {"
	"   \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
	"   \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
	"   \"inheritable\": [],"
	"   \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
	"   \"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]},"
	"  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
	"  \"noNewPrivileges\": true},"
	" \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
	" \"hostname\": \"crun\","
	" \"mounts\": ["
	"  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
	"  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
	"   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
	"  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
	"   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\","
	"    \"gid=5\"]},"
	"  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
	"  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
	"  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
	"  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}],"
	" \"linux\": {"
	"  \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
	"  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
	"   {\"type\": \"uts\"}, {\"type\": \"mount\"}],"
	"  \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
	"   \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
	"   \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],"
	"  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","
	"   \"/proc/sysrq-trigger\"]}}";

/* json-c returns NULL only when out of memory: as lib/json.c, that ends the program. */
static struct json_object *must(struct json_object *o)
{
	if (!o) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return o;
}

static struct json_object *string(const char *s)
{
	return must(json_object_new_string(s));
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	json_object_object_get_ex(o, key, &v);
	return v;
}

static void append_strings(struct json_object *array, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(array, string(v[i]));
}

/* process.args: Entrypoint, then COMMAND or Cmd, as docker run makes them. */
static int set_args(const struct srfs_spec_options *o, struct json_object *process)
{
	static char *const sh[] = { "/bin/sh", NULL };
	const struct srfs_image_config *c = o->config;
	char *const *entrypoint = c ? c->entrypoint : NULL;
	bool given = o->command && o->command[0];
	char *const *cmd = given ? o->command : c ? c->cmd : NULL;

	if (!c && !given) {
		log_info("image %s has no OCI config (it was not made with image-create "
			 "--from-oci): the container runs /bin/sh",
			 o->image);
		cmd = sh;
	}
	if ((!entrypoint || !entrypoint[0]) && (!cmd || !cmd[0])) {
		log_error("image %s's OCI config has neither Entrypoint nor Cmd: give the command "
			  "to run after --",
			  o->image);
		return -EINVAL;
	}
	struct json_object *args = must(json_object_new_array());
	append_strings(args, entrypoint);
	append_strings(args, cmd);
	json_object_object_add(process, "args", args);
	return 0;
}

/* Sets "NAME=VALUE" in ENV: replaces the variable NAME where it is, or appends it. */
static void env_set(struct json_object *env, const char *var)
{
	size_t len = strcspn(var, "=");
	size_t n = json_object_array_length(env);
	for (size_t i = 0; i < n; i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (strncmp(e, var, len) == 0 && e[len] == '=') {
			json_object_array_put_idx(env, i, string(var));
			return;
		}
	}
	json_object_array_add(env, string(var));
}

/* process.env: PATH and HOSTNAME, then the image's Env over them. */
static int set_env(const struct srfs_spec_options *o, struct json_object *process)
{
	struct json_object *env = must(json_object_new_array());
	_cleanup_free_ char *hostname = NULL;
	char q[SRFS_QUOTE_MAX];

	if (asprintf(&hostname, "HOSTNAME=%s", o->hostname) < 0) {
		json_object_put(env);
		return log_errno(-ENOMEM, "cannot make the environment");
	}
	json_object_array_add(env, string(DEFAULT_PATH));
	json_object_array_add(env, string(hostname));
	for (size_t i = 0; o->config && o->config->env && o->config->env[i]; i++) {
		const char *var = o->config->env[i];
		if (var[0] == '=' || !strchr(var, '=')) {
			log_verbose("image %s: Env entry '%s' is not NAME=VALUE: left out", o->image,
				    srfs_quote(q, sizeof(q), var));
			continue;
		}
		env_set(env, var);
	}
	json_object_object_add(process, "env", env);
	return 0;
}

/* process.cwd: WorkingDir, or "/". */
static int set_cwd(const struct srfs_spec_options *o, struct json_object *process)
{
	const char *dir = o->config ? o->config->working_dir : NULL;
	char q[SRFS_QUOTE_MAX];

	if (!dir || !*dir)
		dir = "/";
	if (dir[0] != '/') {
		log_error("image %s's WorkingDir '%s' is not an absolute path", o->image,
			  srfs_quote(q, sizeof(q), dir));
		return -EINVAL;
	}
	json_object_object_add(process, "cwd", string(dir));
	return 0;
}

/* process.user: User, resolved in the container's root. */
static int set_user(const struct srfs_spec_options *o, struct json_object *process)
{
	_cleanup_(srfs_user_clear) struct srfs_user u = { 0 };
	_cleanup_free_ char *what = NULL;
	const char *user = o->config && o->config->user ? o->config->user : "";

	if (asprintf(&what, "image %s", o->image) < 0)
		return log_errno(-ENOMEM, "cannot resolve the user of image %s", o->image);
	int r = srfs_user_resolve(o->rootfs_fd, what, user, &u);
	if (r < 0)
		return r;
	struct json_object *juser = must(json_object_new_object());
	json_object_object_add(juser, "uid", must(json_object_new_int64(u.uid)));
	json_object_object_add(juser, "gid", must(json_object_new_int64(u.gid)));
	if (u.n_gids) {
		struct json_object *gids = must(json_object_new_array());
		for (size_t i = 0; i < u.n_gids; i++)
			json_object_array_add(gids, must(json_object_new_int64(u.gids[i])));
		json_object_object_add(juser, "additionalGids", gids);
	}
	json_object_object_add(process, "user", juser);
	return 0;
}

static struct json_object *mappings(const struct srfs_idmap_extent *e, unsigned n)
{
	struct json_object *array = must(json_object_new_array());
	for (unsigned i = 0; i < n; i++) {
		struct json_object *m = must(json_object_new_object());
		json_object_object_add(m, "containerID", must(json_object_new_int64(e[i].inside)));
		json_object_object_add(m, "hostID", must(json_object_new_int64(e[i].outside)));
		json_object_object_add(m, "size", must(json_object_new_int64(e[i].count)));
		json_object_array_add(array, m);
	}
	return array;
}

static struct json_object *namespace(const char *type)
{
	struct json_object *ns = must(json_object_new_object());
	json_object_object_add(ns, "type", string(type));
	return ns;
}

/* Is /sys/fs/cgroup the unified hierarchy?  Then crun spec adds a cgroup namespace. */
static bool cgroup2_host(void)
{
	struct statfs fs;
	return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* linux.namespaces (cgroup before mount, as crun spec puts it; user last) and the maps. */
static void set_namespaces(const struct srfs_spec_options *o, struct json_object *linux_)
{
	struct json_object *old = member(linux_, "namespaces");
	struct json_object *nss = must(json_object_new_array());
	size_t n = json_object_array_length(old);

	for (size_t i = 0; i < n; i++) {
		struct json_object *ns = json_object_array_get_idx(old, i);
		const char *type = json_object_get_string(member(ns, "type"));
		if (streq(type, "mount") && cgroup2_host())
			json_object_array_add(nss, namespace("cgroup"));
		json_object_array_add(nss, json_object_get(ns));
	}
	if (o->idmap)
		json_object_array_add(nss, namespace("user"));
	json_object_object_add(linux_, "namespaces", nss);
	if (o->idmap) {
		json_object_object_add(linux_, "uidMappings", mappings(o->idmap->uid, o->idmap->n_uid));
		json_object_object_add(linux_, "gidMappings", mappings(o->idmap->gid, o->idmap->n_gid));
	}
}

int srfs_spec_build(const struct srfs_spec_options *o, struct json_object **out)
{
	struct json_object *spec = json_tokener_parse(crun_default);
	if (!spec)
		return log_errno(-ENOMEM, "cannot make the configuration of image %s", o->image);
	struct json_object *process = member(spec, "process");
	int r = set_args(o, process);
	if (r == 0)
		r = set_env(o, process);
	if (r == 0)
		r = set_cwd(o, process);
	if (r == 0)
		r = set_user(o, process);
	if (r < 0) {
		json_object_put(spec);
		return r;
	}
	struct json_object *root = must(json_object_new_object());
	json_object_object_add(root, "path", string(o->root_path));
	json_object_object_add(root, "readonly", must(json_object_new_boolean(o->readonly)));
	json_object_object_add(spec, "root", root);
	json_object_object_add(spec, "hostname", string(o->hostname));
	set_namespaces(o, member(spec, "linux"));
	*out = spec;
	return 0;
}

int srfs_spec_write(int dir_fd, const char *dir, const char *name, struct json_object *spec)
{
	const char *text = json_object_to_json_string_ext(
		spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (!text || asprintf(&tmp, ".%s.tmp", name) < 0)
		return log_errno(-ENOMEM, "cannot write %s/%s", dir, name);
	/* What an interrupted write left, never followed. */
	if (unlinkat(dir_fd, tmp, 0) < 0 && errno != ENOENT)
		return log_errno(negative_errno(), "cannot remove %s/%s", dir, tmp);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_errno(negative_errno(), "cannot create %s/%s", dir, tmp);
	r = srfs_write_full(fd, text, strlen(text));
	if (r == 0)
		r = srfs_write_full(fd, "\n", 1);
	if (r == 0 && fsync(fd) < 0)
		r = negative_errno();
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = negative_errno();
	if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = negative_errno();
	if (r < 0) {
		unlinkat(dir_fd, tmp, 0);
		return log_errno(r, "cannot write %s/%s", dir, name);
	}
	if (fsync(dir_fd) < 0)
		return log_errno(negative_errno(), "cannot write %s/%s", dir, name);
	return 0;
}
