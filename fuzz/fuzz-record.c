/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The record parser (every state file goes through it).  Whatever it accepts
 * must format and parse back to the same fields; a refusal must say why.
 */
#include <errno.h>

#include "fuzz.h"
#include "record.h"

static const struct srfs_record_key schema[] = {
	{ "image", true }, { "target", false }, { "mode", false }, { "dev", false }, { NULL, false },
};

static void round_trip(const struct srfs_record *rec)
{
	char *text = NULL, err[128];
	size_t len = 0;
	struct srfs_record again = { 0 };

	FUZZ_ASSERT(srfs_record_format(rec, &text, &len) == 0);
	FUZZ_ASSERT(strlen(text) == len);
	FUZZ_ASSERT(srfs_record_parse(&again, text, len, NULL, err, sizeof(err)) == 0);
	FUZZ_ASSERT(again.n_fields == rec->n_fields);
	for (size_t i = 0; i < rec->n_fields; i++) {
		FUZZ_ASSERT(strcmp(rec->fields[i].key, again.fields[i].key) == 0);
		FUZZ_ASSERT(strcmp(rec->fields[i].value, again.fields[i].value) == 0);
	}
	srfs_record_clear(&again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srfs_record rec = { 0 };
	char err[128] = "";

	for (int with_schema = 0; with_schema < 2; with_schema++) {
		err[0] = '\0';
		int r = srfs_record_parse(&rec, (const char *)data, size,
					  with_schema ? schema : NULL, err, sizeof(err));
		if (r == 0)
			round_trip(&rec);
		else
			FUZZ_ASSERT(r != -EBADMSG || (err[0] && !strchr(err, '\n')));
		srfs_record_clear(&rec);
	}
	return 0;
}
