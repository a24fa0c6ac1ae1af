/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "mountopt.h"
#include "unit.h"

TEST(mount_options_accepted)
{
	struct srfs_mount_options mo;
	char err[128];

	CHECK(srfs_mount_options_parse(NULL, false, &mo, err, sizeof(err)) == 0);
	CHECK_STREQ(mo.id, "");
	CHECK(srfs_mount_options_parse("rw,id=web-1,noauto,x-systemd.automount,comment=a,,nofail",
				       false, &mo, err, sizeof(err)) == 0);
	CHECK_STREQ(mo.id, "web-1");
	CHECK(srfs_mount_options_parse("ro,defaults,nosuid,nodev", false, &mo, err, sizeof(err)) == 0);
	/* Sloppy: unknown options are ignored, not the id. */
	CHECK(srfs_mount_options_parse("bogus,id=a,size=3", true, &mo, err, sizeof(err)) == 0);
	CHECK_STREQ(mo.id, "a");
	/* Labels, quoted or not, with commas in their category set. */
	CHECK(srfs_mount_options_parse("id=b,context=\"system_u:object_r:usr_t:s0:c1,c2\",ro", false,
				       &mo, err, sizeof(err)) == 0);
	CHECK_STREQ(mo.context, "system_u:object_r:usr_t:s0:c1,c2");
	CHECK_STREQ(mo.id, "b");
	CHECK(srfs_mount_options_parse("context=system_u:object_r:usr_t:s0", false, &mo, err,
				       sizeof(err)) == 0);
	CHECK_STREQ(mo.context, "system_u:object_r:usr_t:s0");
	/* Id maps, under either name (X-* is otherwise an annotation). */
	CHECK(srfs_mount_options_parse("id=c,idmap=b:0:100000:65536,X-mount.mkdir", false, &mo, err,
				       sizeof(err)) == 0);
	CHECK_STREQ(mo.idmap, "b:0:100000:65536");
	CHECK(srfs_mount_options_parse("X-mount.idmap=u:0:1:1 g:0:1:1", false, &mo, err,
				       sizeof(err)) == 0);
	CHECK_STREQ(mo.idmap, "u:0:1:1 g:0:1:1");
}

TEST(mount_options_refused)
{
	static const struct {
		const char *opts;
		const char *err;
	} cases[] = {
		{ "bogus", "unknown option 'bogus'" },
		{ "id=a,id=b", "option id= given twice" },
		{ "id=", "invalid container id '': must not be empty" },
		{ "id=../x", "invalid container id '../x': must not start with '.' or '-'" },
		{ "id=a/b", "invalid container id 'a/b': " },
		{ "exec", "unknown option 'exec'" },
		/* Found by fuzzing: the message stays one line. */
		{ "c\nx", "unknown option 'c\\nx'" },
		{ "id=a\tb", "invalid container id 'a\\tb': " },
		{ "context=", "invalid SELinux label in option context=" },
		{ "context=\"a:b", "unbalanced quote in options" },
		{ "idmap=0:1:1,X-mount.idmap=0:2:1", "option idmap= given twice" },
		{ "idmap=", "option idmap= is empty" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct srfs_mount_options mo;
		char err[128] = "";
		CHECK(srfs_mount_options_parse(cases[i].opts, false, &mo, err, sizeof(err)) == -EINVAL);
		CHECK(strncmp(err, cases[i].err, strlen(cases[i].err)) == 0);
	}
	/* A very long id is refused, and the message stays short. */
	char opts[400] = "id=";
	memset(opts + 3, 'a', 300);
	struct srfs_mount_options mo;
	char err[128];
	CHECK(srfs_mount_options_parse(opts, false, &mo, err, sizeof(err)) == -EINVAL);
	CHECK(strlen(err) < sizeof(err) - 1);
}

TEST(mount_default_id)
{
	char a[64], b[64];
	srfs_mount_default_id("/srv/c1/rootfs", a, sizeof(a));
	srfs_mount_default_id("/srv/c2/rootfs", b, sizeof(b));
	CHECK(strncmp(a, "mnt-", 4) == 0 && strlen(a) == 20);
	CHECK(strcmp(a, b) != 0);
}
