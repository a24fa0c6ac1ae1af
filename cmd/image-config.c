/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image-config - show the OCI config an image was made from. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "imageconfig.h"
#include "log.h"
#include "state.h"

static void usage(void)
{
	printf("Usage: %s IMAGE [--json]\n"
	       "\n"
	       "Show how the image IMAGE, made by image-create from an OCI image layout, is\n"
	       "meant to be run: Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts and\n"
	       "Labels of its OCI config.  The config is kept verbatim in the catalog and\n"
	       "checked against the digest its manifest gives before it is shown.\n"
	       "\n"
	       "Options:\n"
	       "      --json                 print the config itself, as the image has it\n"
	       SRFS_COMMON_HELP,
	       srfs_log_prog());
}

/*
 * Prints S with its control bytes as \n, \t or \xHH (and a backslash
 * doubled): a value from the image can never start a line of its own or
 * reach the terminal as an escape sequence.
 */
static void print_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

/* Prints S, in single quotes when a shell would split or expand it. */
static void print_word(const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			    "@%+=:,./_-") == strlen(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			print_safe((char[]){ *s, '\0' });
	}
	putchar('\'');
}

/* "Key:" and S, or "-" for an empty or missing S. */
static void print_value(const char *key, const char *s)
{
	printf("%-14s", key);
	print_safe(s && *s ? s : "-");
	putchar('\n');
}

/* "Key:" and the words of V on one line (a command line), or "-". */
static void print_command(const char *key, char **v)
{
	printf("%-14s", key);
	if (!v || !v[0])
		fputs("-", stdout);
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			putchar(' ');
		print_word(v[i]);
	}
	putchar('\n');
}

/* "Key:" and one item of V a line, or "-". */
static void print_list(const char *key, char **v)
{
	if (!v || !v[0]) {
		printf("%-14s-\n", key);
		return;
	}
	for (size_t i = 0; v[i]; i++)
		print_value(i ? "" : key, v[i]);
}

static void print_config(const struct srfs_image_config *c)
{
	print_command("Entrypoint:", c->entrypoint);
	print_command("Cmd:", c->cmd);
	print_list("Env:", c->env);
	print_value("WorkingDir:", c->working_dir);
	print_value("User:", c->user);
	print_list("ExposedPorts:", c->exposed_ports);
	print_list("Labels:", c->labels);
}

enum { OPT_JSON = 256 };

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		SRFS_COMMON_OPTIONS,
		{ 0 },
	};
	_cleanup_state_ struct srfs_state st = SRFS_STATE_INIT;
	_cleanup_(srfs_image_clear) struct srfs_image img = { 0 };
	_cleanup_(srfs_image_config_clear) struct srfs_image_config config = { 0 };
	_cleanup_free_ char *json_text = NULL;
	const char *name;
	bool json = false;
	size_t len;
	int c, r;

	srfs_cli_init(argc, argv);
	while ((c = getopt_long(argc, argv, SRFS_COMMON_SHORT, options, NULL)) != -1) {
		if (srfs_cli_common_option(c))
			continue;
		switch (c) {
		case 'h':
			usage();
			return SRFS_EXIT_OK;
		case OPT_JSON:
			json = true;
			break;
		default:
			return srfs_cli_bad_option(argv);
		}
	}
	if ((r = srfs_cli_name_argument(argc, argv, "image", true, &name)) != 0)
		return r;
	if (srfs_cli_require_admin() < 0)
		return SRFS_EXIT_FAILURE;

	r = srfs_state_open(&st, SRFS_STATE_CATALOG);
	if (r == 0)
		r = srfs_image_load(st.catalog_fd, name, &img);
	if (r == -ENOENT) {
		log_error("unknown image %s", name);
		return SRFS_EXIT_FAILURE;
	}
	if (r == 0)
		r = srfs_image_config_load(st.catalog_fd, &img, &json_text, &len);
	if (r == -ENOENT) {
		log_error("image %s has no OCI config: it was not made with image-create --from-oci",
			  name);
		return SRFS_EXIT_FAILURE;
	}
	if (r < 0)
		return SRFS_EXIT_FAILURE;
	if (json) {
		fwrite(json_text, 1, len, stdout);
		if (len == 0 || json_text[len - 1] != '\n')
			putchar('\n');
	} else {
		r = srfs_image_config_parse(json_text, len, &config);
		if (r < 0) {
			log_errno(r, "the OCI config of image %s cannot be read", name);
			return SRFS_EXIT_FAILURE;
		}
		print_config(&config);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_errno(negative_errno(), "cannot write to standard output");
		return SRFS_EXIT_FAILURE;
	}
	return SRFS_EXIT_OK;
}
