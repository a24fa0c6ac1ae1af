/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "digest.h"
#include "imageconfig.h"
#include "sha256.h"
#include "unit.h"

TEST(digest_check)
{
	char hex[65];
	memset(hex, 'a', 64);
	hex[64] = '\0';
	char ok[80] = "sha256:";
	strcat(ok, hex);
	CHECK(srfs_digest_check(ok) == 0);
	CHECK_STREQ(srfs_digest_hex(ok), hex);
	CHECK(srfs_digest_check("sha512:abc") == -EOPNOTSUPP);
	CHECK(srfs_digest_check("blake3:abc") == -EOPNOTSUPP);
	CHECK(srfs_digest_check("sha256:abc") == -EINVAL);
	CHECK(srfs_digest_check("sha256:../../etc/passwd") == -EINVAL);
	CHECK(srfs_digest_check(":abc") == -EINVAL);
	CHECK(srfs_digest_check("sha256") == -EINVAL);
	CHECK(srfs_digest_check("SHA256:abc") == -EINVAL);
	ok[10] = 'A'; /* upper case hex is not what sha256 digests are written in */
	CHECK(srfs_digest_check(ok) == -EINVAL);
}

TEST(sha256_known_answers)
{
	char d[SRFS_DIGEST_MAX + 1];
	CHECK(srfs_sha256_buffer("", 0, d) == 0);
	CHECK_STREQ(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK(srfs_sha256_buffer("abc", 3, d) == 0);
	CHECK_STREQ(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* In pieces as in one. */
	struct srfs_sha256 *h = srfs_sha256_new();
	CHECK(h != NULL);
	srfs_sha256_update(h, "a", 1);
	srfs_sha256_update(h, "bc", 2);
	srfs_sha256_final(h, d);
	CHECK_STREQ(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(image_config_parse)
{
	static const char json[] =
		"{\"config\":{\"Entrypoint\":[\"/e\",\"-x\"],\"Cmd\":null,\"Env\":[\"A=1\",\"B=2\"],"
		"\"WorkingDir\":\"/w\",\"User\":\"1000:1000\",\"ExposedPorts\":{\"443/tcp\":{},"
		"\"80/tcp\":{}},\"Labels\":{\"z\":\"1\",\"a\":\"2\"}},\"rootfs\":{}}";
	struct srfs_image_config c;
	CHECK(srfs_image_config_parse(json, strlen(json), &c) == 0);
	CHECK(c.entrypoint && c.entrypoint[0] && c.entrypoint[1] && !c.entrypoint[2]);
	CHECK_STREQ(c.entrypoint[1], "-x");
	CHECK(c.cmd == NULL);
	CHECK_STREQ(c.env[1], "B=2");
	CHECK_STREQ(c.working_dir, "/w");
	CHECK_STREQ(c.user, "1000:1000");
	CHECK_STREQ(c.exposed_ports[0], "443/tcp");
	CHECK_STREQ(c.labels[0], "a=2");
	srfs_image_config_clear(&c);
	/* No "config" at all: nothing to run it with, not an error. */
	CHECK(srfs_image_config_parse("{}", 2, &c) == 0 && !c.cmd && !c.entrypoint);
	CHECK(srfs_image_config_parse("{\"config\":{\"Cmd\":\"sh\"}}", 23, &c) == -EBADMSG);
	CHECK(srfs_image_config_parse("{\"config\":{\"Env\":[1]}}", 22, &c) == -EBADMSG);
	CHECK(srfs_image_config_parse("[]", 2, &c) == -EBADMSG);
}
