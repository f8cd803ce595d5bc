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
otel_redact_token(struct otel_redact *r, const char *token, size_t len)
{
	size_t	i;

	if (token == NULL || len < OTEL_REDACT_MIN)
		return;
	for (i = 0; i < OTEL_REDACT_TOKENS; i++)
		if (r->tok[i] != NULL && strlen(r->tok[i]) == len &&
		    memcmp(r->tok[i], token, len) == 0)
			return;
	if (r->tok[r->nexttok] != NULL) {
		explicit_bzero(r->tok[r->nexttok], strlen(r->tok[r->nexttok]));
		free(r->tok[r->nexttok]);
	}
	r->tok[r->nexttok] = xstrndup(token, len);
	r->nexttok = (r->nexttok + 1) % OTEL_REDACT_TOKENS;
}

void
otel_redact_clear(struct otel_redact *r)
{
	size_t	i;

	for (i = 0; i < OTEL_REDACT_TOKENS; i++) {
		if (r->tok[i] != NULL) {
			explicit_bzero(r->tok[i], strlen(r->tok[i]));
			free(r->tok[i]);
		}
	}
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

/*
 * text with every value of r replaced, or NULL if none shows.  text may
 * have been cut at max bytes: then a tail that is the start of a value
 * (the rest cut off) goes too, lest a prefix of a secret be exported.
 */
static char *
otel_redact_text(const struct otel_redact *r, const char *text, size_t max)
{
	const char	*v;
	char		*out;
	size_t		 i, k, n, best, o = 0, len = strlen(text), tail;
	size_t		 ml = strlen(OTEL_REDACT_MARK);
	int		 hit = 0;

	out = xmalloc((len / OTEL_REDACT_MIN + 2) * ml + len + 1);
	for (i = 0; i < len;) {
		best = 0;
		tail = 0;
		for (k = 0; k < r->n + OTEL_REDACT_TOKENS; k++) {
			if ((v = k < r->n ? r->v[k] : r->tok[k - r->n]) ==
			    NULL)
				continue;
			n = strlen(v);
			if (n > best && n <= len - i &&
			    memcmp(text + i, v, n) == 0)
				best = n;
			/* A cut value (within a UTF-8 sequence of max) that
			 * ends with the start of a secret. */
			else if (len + 4 > max && n > len - i &&
			    memcmp(text + i, v, len - i) == 0)
				tail = len - i;
		}
		if (best == 0 && tail > 0)
			best = tail;
		if (best > 0) {
			memcpy(out + o, OTEL_REDACT_MARK, ml);
			o += ml;
			i += best;
			hit = 1;
		} else
			out[o++] = text[i++];
	}
	out[o] = '\0';
	if (!hit) {
		free(out);
		return NULL;
	}
	return out;
}

/* Every string value of a redacted in place. */
static void
otel_redact_attrs(const struct otel_redact *r, struct otel_attrs *a)
{
	size_t	 i;
	char	*out;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].type != OTEL_STRING || (out = otel_redact_text(r,
		    a->v[i].v.s, OTEL_MAX_VALUE_LEN)) == NULL)
			continue;
		free(a->v[i].v.s);
		a->v[i].v.s = out;
	}
}

void
otel_redact_span(const struct otel_redact *r, struct otel_span *sp)
{
	size_t	 i;
	char	*out;

	if (r == NULL || sp == NULL || (r->n == 0 && r->tok[0] == NULL))
		return;
	if ((out = otel_redact_text(r, sp->name, OTEL_MAX_NAME_LEN)) != NULL) {
		free(sp->name);
		sp->name = out;
	}
	if (sp->status_msg != NULL && (out = otel_redact_text(r,
	    sp->status_msg, OTEL_MAX_VALUE_LEN)) != NULL) {
		free(sp->status_msg);
		sp->status_msg = out;
	}
	otel_redact_attrs(r, &sp->attrs);
	for (i = 0; i < sp->nevents; i++)
		otel_redact_attrs(r, &sp->events[i].attrs);
	/* A client's tracestate is its own text too: a secret in it takes
	 * the whole list (a mark would not be a W3C member). */
	if ((out = otel_redact_text(r, sp->ctx.tracestate,
	    sizeof sp->ctx.tracestate)) != NULL) {
		free(out);
		sp->ctx.tracestate[0] = '\0';
	}
}
