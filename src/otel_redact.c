/* SPDX-License-Identifier: ISC */
/*
 * otel_redact.c: the values --otel-capture-content never records
 * (otel_redact.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "otel.h"
#include "otel_redact.h"
#include "xmalloc.h"

static void
otel_redact_keep(struct otel_redact *r, char *v)
{
	r->v[r->n++] = v;
	if (strlen(v) > r->longest)
		r->longest = strlen(v);
}

void
otel_redact_add(struct otel_redact *r, const char *value)
{
	json_object	*s;
	const char	*text;
	size_t		 i, len;

	if (value == NULL || strlen(value) < OTEL_REDACT_MIN ||
	    r->n + 2 > sizeof r->v / sizeof r->v[0])
		return;
	/* Given again after each SIGHUP: once is enough. */
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->v[i], value) == 0)
			return;
	}
	otel_redact_keep(r, xstrdup(value));
	/* JSON may write it otherwise ("\"", "\n", "\u0001"): that too. */
	s = json_object_new_string(value);
	text = json_object_to_json_string_length(s, JSON_C_TO_STRING_PLAIN,
	    &len);
	if (text != NULL && len >= 2 && (len - 2 != strlen(value) ||
	    memcmp(text + 1, value, len - 2) != 0))
		otel_redact_keep(r, xstrndup(text + 1, len - 2));
	json_object_put(s);
}

void
otel_redact_clear(struct otel_redact *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	memset(r, 0, sizeof *r);
}

void
otel_redact_attr_json(const struct otel_redact *r, struct otel_attrs *a,
    const char *key, json_object *v)
{
	const char	*text;
	char		*out;
	size_t		 i, k, len, n, best, o = 0;
	size_t		 ml = strlen(OTEL_REDACT_MARK);

	if (v == NULL)
		return;
	text = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN,
	    &len);
	if (r == NULL || r->n == 0) {
		otel_attr_str(a, key, text);
		return;
	}
	if (len > OTEL_MAX_VALUE_LEN + r->longest)
		len = OTEL_MAX_VALUE_LEN + r->longest;
	/*
	 * One pass over the text, the longest value that starts at each
	 * place blanked: what is written is never looked at again, so a
	 * value that shows in the mark is no trouble.  Values are at least
	 * OTEL_REDACT_MIN bytes: a mark for each MIN bytes at most.
	 */
	out = xmalloc((len / OTEL_REDACT_MIN + 1) * ml + len + 1);
	for (i = 0; i < len;) {
		best = 0;
		for (k = 0; k < r->n; k++) {
			n = strlen(r->v[k]);
			if (n > best && n <= len - i &&
			    memcmp(text + i, r->v[k], n) == 0)
				best = n;
		}
		if (best > 0) {
			memcpy(out + o, OTEL_REDACT_MARK, ml);
			o += ml;
			i += best;
		} else
			out[o++] = text[i++];
	}
	out[o] = '\0';
	otel_attr_str(a, key, out);
	free(out);
}
