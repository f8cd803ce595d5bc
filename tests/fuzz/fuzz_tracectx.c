/* SPDX-License-Identifier: ISC */
/*
 * fuzz_tracectx.c: W3C Trace Context (tracectx.c) from arbitrary bytes.
 *
 * Input: one byte chooses the mode, the rest is its material.
 *   0  a traceparent
 *   1  a tracestate
 *   2  a two-byte length, a traceparent of that length, a tracestate
 *   3  a JSON-RPC message: its params._meta read, ours written, read back
 *
 * Whatever the input: a traceparent taken has nonzero ids and formats to
 * one that parses back to the same ids; a tracestate taken is within its
 * limits and parses back to itself; one refused leaves "" behind; writing
 * _meta leaves baggage and every other member as they were and what we
 * wrote reads back as what we wrote.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "jsonparse.h"
#include "log.h"
#include "tracectx.h"

static void
check_traceparent(const char *s, size_t len)
{
	struct tracectx	c, d;
	char		buf[TRACECTX_TRACEPARENT_LEN + 1];

	memset(&c, 0, sizeof c);
	if (tracectx_parse_traceparent(s, len, &c) == -1) {
		FUZZ_CHECK(tracectx_zero(c.trace_id, TRACECTX_TRACE_ID_LEN),
		    "refused, yet written");
		return;
	}
	FUZZ_CHECK(len >= TRACECTX_TRACEPARENT_LEN &&
	    len <= TRACECTX_TRACEPARENT_MAX, "%zu bytes taken", len);
	FUZZ_CHECK(!tracectx_zero(c.trace_id, TRACECTX_TRACE_ID_LEN) &&
	    !tracectx_zero(c.span_id, TRACECTX_SPAN_ID_LEN), "a zero id");
	FUZZ_CHECK(memcmp(s, "ff", 2) != 0, "version ff taken");
	FUZZ_CHECK(memcmp(s, "00", 2) != 0 || len == TRACECTX_TRACEPARENT_LEN,
	    "version 00 of %zu bytes", len);
	tracectx_format_traceparent(&c, buf);
	FUZZ_CHECK(strlen(buf) == TRACECTX_TRACEPARENT_LEN, "formatted %s",
	    buf);
	FUZZ_CHECK(tracectx_parse_traceparent(buf, strlen(buf), &d) == 0,
	    "ours refused: %s", buf);
	FUZZ_CHECK(memcmp(c.trace_id, d.trace_id, TRACECTX_TRACE_ID_LEN) == 0
	    && memcmp(c.span_id, d.span_id, TRACECTX_SPAN_ID_LEN) == 0 &&
	    d.flags == (c.flags & TRACECTX_FLAGS_KNOWN), "round trip %s", buf);
	if (memcmp(s, "00", 2) == 0 && (c.flags & ~TRACECTX_FLAGS_KNOWN) == 0)
		FUZZ_CHECK(memcmp(buf, s, TRACECTX_TRACEPARENT_LEN) == 0,
		    "rewritten: %s", buf);
}

static void
check_tracestate(const char *s, size_t len)
{
	char	out[TRACECTX_TRACESTATE_MAX + 1], again[sizeof out];
	size_t	i, commas = 0, olen;

	memset(out, 'x', sizeof out);
	if (tracectx_parse_tracestate(s, len, out, sizeof out) == -1) {
		FUZZ_CHECK(out[0] == '\0', "refused, yet written");
		return;
	}
	olen = strlen(out);
	FUZZ_CHECK(olen <= TRACECTX_TRACESTATE_MAX, "%zu bytes kept", olen);
	for (i = 0; i < olen; i++) {
		FUZZ_CHECK(out[i] >= 0x20 && out[i] <= 0x7e, "byte %02x kept",
		    (unsigned char)out[i]);
		commas += out[i] == ',';
	}
	FUZZ_CHECK(olen == 0 || commas < TRACECTX_TRACESTATE_MEMBERS,
	    "%zu members", commas + 1);
	FUZZ_CHECK(olen == 0 || (out[0] != ',' && out[olen - 1] != ',' &&
	    out[0] != ' ' && out[olen - 1] != ' '), "untrimmed: %s", out);
	FUZZ_CHECK(tracectx_parse_tracestate(out, olen, again, sizeof again) ==
	    0 && strcmp(out, again) == 0, "not a fixed point: %s", out);
}

/* The members of o but those of ours, as text, for comparing. */
static char *
others(json_object *meta)
{
	json_object	*copy = NULL;
	char		*s;

	if (json_object_deep_copy(meta, &copy, NULL) != 0)
		abort();
	json_object_object_del(copy, TRACECTX_META_TRACEPARENT);
	json_object_object_del(copy, TRACECTX_META_TRACESTATE);
	s = strdup(json_object_to_json_string_ext(copy,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(copy);
	return s;
}

static json_object *
meta(json_object *msg)
{
	json_object	*p, *m;

	if (json_object_is_type(msg, json_type_object) &&
	    json_object_object_get_ex(msg, "params", &p) &&
	    json_object_is_type(p, json_type_object) &&
	    json_object_object_get_ex(p, "_meta", &m) &&
	    json_object_is_type(m, json_type_object))
		return m;
	return NULL;
}

static void
check_meta(const char *s, size_t len)
{
	static const char	*ours_tp =
	    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
	struct tracectx		 in, ours, back;
	json_object		*msg, *m, *tp;
	char			*before = NULL, *after;

	if ((msg = jsonparse_strict(s, len, NULL)) == NULL)
		return;
	if (tracectx_from_meta(msg, &in) == 0) {
		tp = json_object_object_get(meta(msg),
		    TRACECTX_META_TRACEPARENT);
		check_traceparent(json_object_get_string(tp),
		    (size_t)json_object_get_string_len(tp));
	}
	if ((m = meta(msg)) != NULL)
		before = others(m);
	if (tracectx_parse_traceparent(ours_tp, strlen(ours_tp), &ours) != 0)
		abort();
	strcpy(ours.tracestate, "bridge=1");
	if (tracectx_to_meta(msg, &ours) == 0) {
		FUZZ_CHECK((m = meta(msg)) != NULL, "no _meta after writing");
		after = others(m);
		FUZZ_CHECK(before == NULL || strcmp(before, after) == 0,
		    "other members changed: %s -> %s", before, after);
		free(after);
		FUZZ_CHECK(tracectx_from_meta(msg, &back) == 0 &&
		    memcmp(back.span_id, ours.span_id, TRACECTX_SPAN_ID_LEN) ==
		    0 && strcmp(back.tracestate, "bridge=1") == 0,
		    "ours not read back");
	}
	free(before);
	json_object_put(msg);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_tracectx");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in;
	struct tracectx	 c;
	const uint8_t	*a, *b;
	size_t		 alen, blen;

	fuzz_in_init(&in, data, size);
	switch (fuzz_byte(&in) & 3) {
	case 0:
		a = fuzz_bytes(&in, in.left, &alen);
		check_traceparent((const char *)a, alen);
		break;
	case 1:
		a = fuzz_bytes(&in, in.left, &alen);
		check_tracestate((const char *)a, alen);
		break;
	case 2:
		a = fuzz_bytes(&in, fuzz_u16(&in), &alen);
		b = fuzz_bytes(&in, in.left, &blen);
		memset(&c, 0, sizeof c);
		if (tracectx_extract((const char *)a, alen, (const char *)b,
		    blen, &c) == 0)
			check_tracestate(c.tracestate, strlen(c.tracestate));
		else
			FUZZ_CHECK(tracectx_zero(c.trace_id,
			    TRACECTX_TRACE_ID_LEN), "refused, yet written");
		break;
	case 3:
		a = fuzz_bytes(&in, in.left, &alen);
		check_meta((const char *)a, alen);
		break;
	}
	return 0;
}
