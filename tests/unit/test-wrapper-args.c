/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "wrapper-args.h"

#define PARSE(a, ...)                                                                    \
	({                                                                               \
		char *const argv_[] = { "shared-rootfs-runtime", __VA_ARGS__, NULL };     \
		char err_[256];                                                          \
		srfs_wrapper_args_parse((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_, \
					(a), err_, sizeof(err_));                        \
	})

static bool streq_or_null(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

TEST(wrapper_args_containerd)
{
	struct srfs_wrapper_args a;
	/* As containerd's runc shim runs it. */
	CHECK(PARSE(&a, "--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json",
		    "--log-format", "json", "--systemd-cgroup", "create", "--bundle", "/b",
		    "--pid-file", "/b/init.pid", "--console-socket", "/s", "c1") == 0);
	CHECK(a.command == SRFS_WRAPPER_CREATE);
	CHECK(streq_or_null(a.root, "/run/containerd/runc/k8s.io"));
	CHECK(streq_or_null(a.log, "/b/log.json"));
	CHECK(streq_or_null(a.log_format, "json"));
	CHECK(streq_or_null(a.bundle, "/b"));
	CHECK(streq_or_null(a.id, "c1"));
	CHECK(!a.detach && !a.force);
}

TEST(wrapper_args_forms)
{
	struct srfs_wrapper_args a;
	/* --opt=value, Go's -opt value, short options joined or not, the id first (argp). */
	CHECK(PARSE(&a, "--root=/r", "-log", "/l", "--cgroup-manager", "disabled", "run", "c2",
		    "-bDIR", "-d", "--preserve-fds", "2") == 0);
	CHECK(a.command == SRFS_WRAPPER_RUN);
	CHECK(streq_or_null(a.root, "/r") && streq_or_null(a.log, "/l"));
	CHECK(streq_or_null(a.bundle, "DIR") && streq_or_null(a.id, "c2") && a.detach);
	/* A flag set to false, as Go's flags take it, is off. */
	CHECK(PARSE(&a, "run", "--detach=false", "-b", "DIR", "c2") == 0);
	CHECK(!a.detach && streq_or_null(a.id, "c2"));
	CHECK(PARSE(&a, "run", "--detach=true", "c2") == 0);
	CHECK(a.detach);
	CHECK(PARSE(&a, "create", "-b", "x", "-f", "other.json", "--", "-odd-id") == 0);
	CHECK(streq_or_null(a.bundle, "x") && streq_or_null(a.config, "other.json"));
	CHECK(streq_or_null(a.id, "-odd-id"));
	/* delete's -f is --force; crun's --regex takes the id as a pattern. */
	CHECK(PARSE(&a, "delete", "-f", "c3") == 0);
	CHECK(a.command == SRFS_WRAPPER_DELETE && a.force && streq_or_null(a.id, "c3"));
	CHECK(PARSE(&a, "delete", "--regex", "c.*") == 0);
	CHECK(a.regex);
	/* Other commands are not read past their name. */
	CHECK(PARSE(&a, "--debug", "exec", "--tty", "c4", "sh") == 0);
	CHECK(a.command == SRFS_WRAPPER_OTHER && a.debug && !a.id);
	CHECK(PARSE(&a, "--version") == 0);
	CHECK(a.command == SRFS_WRAPPER_NONE && a.version);
}

TEST(wrapper_args_bad)
{
	struct srfs_wrapper_args a;
	CHECK(PARSE(&a, "create", "--bundle", "b") == -EINVAL);
	CHECK(PARSE(&a, "create", "c1", "c2") == -EINVAL);
	CHECK(PARSE(&a, "--root") == -EINVAL);
	CHECK(PARSE(&a, "run", "-b") == -EINVAL);
	CHECK(PARSE(&a, "delete", "") == -EINVAL);
}
