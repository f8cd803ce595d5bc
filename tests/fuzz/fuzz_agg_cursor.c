/* SPDX-License-Identifier: ISC */
/*
 * fuzz_agg_cursor.c: the aggregated endpoint's list cursor (agg.c), which
 * a client hands back as it likes.
 *
 * The input is the cursor's text.  agg_cursor_decode takes it only as a
 * non-empty array of at most a few [name, cursor] string pairs, never
 * over AGG_CURSOR_MAX; what it takes, encoded again, decodes to the same
 * pairs (the encoding is canonical for what it decodes).  The input as
 * pairs is also tried: any JSON array the encoder is given that decodes
 * must decode to itself.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agg.h"
#include "fuzz.h"
#include "jsonparse.h"

static void
check_pairs(json_object *pairs)
{
	json_object	*p;
	size_t		 i, n;

	FUZZ_CHECK(json_object_is_type(pairs, json_type_array), "not an "
	    "array");
	n = json_object_array_length(pairs);
	FUZZ_CHECK(n > 0, "no pair");
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(pairs, i);
		FUZZ_CHECK(json_object_is_type(p, json_type_array) &&
		    json_object_array_length(p) == 2 &&
		    json_object_is_type(json_object_array_get_idx(p, 0),
		    json_type_string) &&
		    json_object_is_type(json_object_array_get_idx(p, 1),
		    json_type_string), "pair %zu is no two strings", i);
	}
}

static void
round_trip(json_object *pairs)
{
	json_object	*back;
	char		*enc;

	enc = agg_cursor_encode(pairs);
	back = agg_cursor_decode(enc, strlen(enc));
	if (strlen(enc) <= AGG_CURSOR_MAX) {
		FUZZ_CHECK(back != NULL, "its own encoding refused: %s", enc);
		FUZZ_CHECK(json_object_equal(back, pairs), "round trip "
		    "changed it");
	} else
		FUZZ_CHECK(back == NULL, "over AGG_CURSOR_MAX taken");
	json_object_put(back);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object	*pairs, *o;

	pairs = agg_cursor_decode((const char *)data, size);
	if (pairs != NULL) {
		FUZZ_CHECK(size <= AGG_CURSOR_MAX, "a cursor of %zu taken",
		    size);
		check_pairs(pairs);
		round_trip(pairs);
		json_object_put(pairs);
	}
	/* The input as JSON: if it is pairs, they survive the trip. */
	if ((o = jsonparse_strict((const char *)data, size, NULL)) != NULL) {
		if (json_object_is_type(o, json_type_array)) {
			char	*enc = agg_cursor_encode(o);

			pairs = agg_cursor_decode(enc, strlen(enc));
			if (pairs != NULL) {
				check_pairs(pairs);
				FUZZ_CHECK(json_object_equal(pairs, o),
				    "decoded other pairs");
			}
			json_object_put(pairs);
			free(enc);
		}
		json_object_put(o);
	}
	return 0;
}
