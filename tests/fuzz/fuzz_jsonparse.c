/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jsonparse.c: the parse policy's own tree builder agrees with
 * json-c's tokener (issue 20).
 *
 * The input is one text from a peer.  Whatever jsonparse_strict takes,
 * json-c's strict tokener must take too, and, unless the policy mended an
 * integer past 64 bits (a run of 19 digits or more may be one), the two
 * trees must be the same: types (int64 or uint64 alike), values, member
 * names and their order, and the text json-c writes of them.  What
 * jsonparse_strict_unique takes, jsonparse_strict takes as the same tree.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "jsonparse.h"

#define FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* One tokener, as the policy keeps one. */
static struct json_tokener	*tok;

/* a and b the same, member order included. */
static void
same(json_object *a, json_object *b)
{
	struct lh_entry	*ea, *eb;
	size_t		 i;

	FUZZ_CHECK(json_object_get_type(a) == json_object_get_type(b),
	    "types %d and %d", json_object_get_type(a),
	    json_object_get_type(b));
	switch (json_object_get_type(a)) {
	case json_type_object:
		ea = json_object_get_object(a)->head;
		eb = json_object_get_object(b)->head;
		for (; ea != NULL && eb != NULL; ea = ea->next, eb = eb->next) {
			FUZZ_CHECK(strcmp((const char *)ea->k,
			    (const char *)eb->k) == 0, "names %s, %s",
			    (const char *)ea->k, (const char *)eb->k);
			same((json_object *)ea->v, (json_object *)eb->v);
		}
		FUZZ_CHECK(ea == NULL && eb == NULL, "member counts");
		break;
	case json_type_array:
		FUZZ_CHECK(json_object_array_length(a) ==
		    json_object_array_length(b), "array lengths");
		for (i = 0; i < json_object_array_length(a); i++)
			same(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i));
		break;
	case json_type_int:
		FUZZ_CHECK(json_object_get_int64(a) ==
		    json_object_get_int64(b) && json_object_get_uint64(a) ==
		    json_object_get_uint64(b), "integers");
		break;
	case json_type_string:
		FUZZ_CHECK(json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0, "strings");
		break;
	default:
		FUZZ_CHECK(json_object_equal(a, b), "values");
		break;
	}
}

/* A run of 19 digits or more: the policy may have mended an integer. */
static int
long_digits(const uint8_t *p, size_t n)
{
	size_t	i, run = 0;

	for (i = 0; i < n; i++) {
		run = p[i] >= '0' && p[i] <= '9' ? run + 1 : 0;
		if (run >= 19)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text = (const char *)data;
	json_object	*mine, *unique, *theirs;

	mine = jsonparse_strict(text, size, NULL);
	unique = jsonparse_strict_unique(text, size, NULL);
	FUZZ_CHECK(unique == NULL || mine != NULL, "unique takes more");
	if (unique != NULL) {
		same(unique, mine);
		json_object_put(unique);
	}
	if (mine == NULL)
		return 0;

	if (tok == NULL) {
		tok = json_tokener_new_ex(JSONPARSE_MAX_DEPTH + 1);
		FUZZ_CHECK(tok != NULL, "json_tokener_new_ex");
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	}
	json_tokener_reset(tok);
	theirs = json_tokener_parse_ex(tok, text, (int)size);
	if (theirs == NULL && json_tokener_get_error(tok) ==
	    json_tokener_continue)
		theirs = json_tokener_parse_ex(tok, "", 1);
	FUZZ_CHECK(json_tokener_get_error(tok) == json_tokener_success,
	    "json-c refuses what the policy took: %s",
	    json_tokener_error_desc(json_tokener_get_error(tok)));
	if (!long_digits(data, size)) {
		same(mine, theirs);
		FUZZ_CHECK(strcmp(json_object_to_json_string_ext(mine, FLAGS),
		    json_object_to_json_string_ext(theirs, FLAGS)) == 0,
		    "written differently");
	}
	json_object_put(theirs);
	json_object_put(mine);
	return 0;
}
