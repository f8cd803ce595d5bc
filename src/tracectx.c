/* SPDX-License-Identifier: ISC */
/*
 * tracectx.c: W3C Trace Context, parsed and written (tracectx.h).
 *
 * Everything is checked against fixed offsets and named limits before a
 * byte is copied; nothing here allocates but json-c's strings in
 * tracectx_to_meta.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "entropy.h"
#include "tracectx.h"

/* Offsets in a traceparent: version, trace-id, parent-id, flags. */
#define TP_TRACE_AT	3
#define TP_SPAN_AT	(TP_TRACE_AT + 2 * TRACECTX_TRACE_ID_LEN + 1)
#define TP_FLAGS_AT	(TP_SPAN_AT + 2 * TRACECTX_SPAN_ID_LEN + 1)

static int
lchex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 2n lowercase hex characters at s into n bytes; -1 on any other. */
static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		hi = lchex((unsigned char)s[2 * i]);
		lo = lchex((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
tracectx_zero(const uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

int
tracectx_parse_traceparent(const char *s, size_t len, struct tracectx *out)
{
	uint8_t	version, flags;
	uint8_t	trace[TRACECTX_TRACE_ID_LEN], span[TRACECTX_SPAN_ID_LEN];

	if (s == NULL || len < 3 || unhex(s, &version, 1) == -1 ||
	    s[2] != '-' || version == 0xff)
		return -1;
	if (version == 0) {
		if (len != TRACECTX_TRACEPARENT_LEN)
			return -1;
	} else {
		/* A higher version: the fields of 00, then the end or a
		 * dash; what follows is not ours to read. */
		if (len < TRACECTX_TRACEPARENT_LEN ||
		    len > TRACECTX_TRACEPARENT_MAX ||
		    (len > TRACECTX_TRACEPARENT_LEN &&
		    s[TRACECTX_TRACEPARENT_LEN] != '-'))
			return -1;
	}
	if (unhex(s + TP_TRACE_AT, trace, sizeof trace) == -1 ||
	    s[TP_SPAN_AT - 1] != '-' ||
	    unhex(s + TP_SPAN_AT, span, sizeof span) == -1 ||
	    s[TP_FLAGS_AT - 1] != '-' ||
	    unhex(s + TP_FLAGS_AT, &flags, 1) == -1)
		return -1;
	if (tracectx_zero(trace, sizeof trace) ||
	    tracectx_zero(span, sizeof span))
		return -1;
	memcpy(out->trace_id, trace, sizeof trace);
	memcpy(out->span_id, span, sizeof span);
	/* Of a higher version only the sampled bit is known to mean what
	 * it means in 00. */
	out->flags = version == 0 ? flags : (flags & TRACECTX_FLAG_SAMPLED);
	out->tracestate[0] = '\0';
	return 0;
}

/* ---- tracestate ---- */

struct ts_member {
	const char	*p;
	size_t		 len;	/* key=value */
	size_t		 klen;
	int		 gone;	/* truncated away */
};

static int
ts_keychar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-' || c == '*' || c == '/' || c == '@';
}

/* One member, white space already trimmed: key "=" value. */
static int
ts_member_check(const char *p, size_t len, size_t *klen)
{
	const char	*eq;
	size_t		 k, v, i;

	if ((eq = memchr(p, '=', len)) == NULL)
		return -1;
	k = (size_t)(eq - p);
	v = len - k - 1;
	if (k == 0 || k > TRACECTX_KEY_MAX || v == 0 ||
	    v > TRACECTX_VALUE_MAX)
		return -1;
	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= '0' && p[0] <= '9')))
		return -1;
	for (i = 1; i < k; i++)
		if (!ts_keychar((unsigned char)p[i]))
			return -1;
	for (i = k + 1; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e ||
		    p[i] == ',' || p[i] == '=')
			return -1;
	if (p[len - 1] == ' ')
		return -1;
	*klen = k;
	return 0;
}

static size_t
ts_total(const struct ts_member *m, size_t n)
{
	size_t	i, total = 0, kept = 0;

	for (i = 0; i < n; i++) {
		if (m[i].gone)
			continue;
		total += m[i].len;
		kept++;
	}
	return total + (kept > 0 ? kept - 1 : 0);
}

int
tracectx_parse_tracestate(const char *s, size_t len, char *out, size_t outsz)
{
	struct ts_member	 m[TRACECTX_TRACESTATE_MEMBERS];
	const char		*p, *end, *comma;
	size_t			 n = 0, i, j, mlen, klen, at = 0;

	out[0] = '\0';
	if (outsz < TRACECTX_TRACESTATE_MAX + 1)
		return -1;
	if (s == NULL || len > TRACECTX_TRACESTATE_INPUT_MAX)
		return -1;
	for (p = s, end = s + len; p <= end; p = comma + 1) {
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		/* Empty and white-space-only members are allowed. */
		while (p < comma && (*p == ' ' || *p == '\t'))
			p++;
		mlen = (size_t)(comma - p);
		while (mlen > 0 && (p[mlen - 1] == ' ' || p[mlen - 1] == '\t'))
			mlen--;
		if (mlen == 0)
			continue;
		if (n == TRACECTX_TRACESTATE_MEMBERS ||
		    ts_member_check(p, mlen, &klen) == -1)
			return -1;
		for (j = 0; j < n; j++)
			if (m[j].klen == klen && memcmp(m[j].p, p, klen) == 0)
				return -1;
		m[n].p = p;
		m[n].len = mlen;
		m[n].klen = klen;
		m[n].gone = 0;
		n++;
	}
	/* Too long: whole members go, the long ones first, from the end. */
	while (ts_total(m, n) > TRACECTX_TRACESTATE_MAX) {
		for (i = n; i-- > 0; )
			if (!m[i].gone &&
			    m[i].len > TRACECTX_TRACESTATE_LONG_MEMBER)
				break;
		if (i == (size_t)-1)
			for (i = n; i-- > 0; )
				if (!m[i].gone)
					break;
		m[i].gone = 1;
	}
	for (i = 0; i < n; i++) {
		if (m[i].gone)
			continue;
		if (at > 0)
			out[at++] = ',';
		memcpy(out + at, m[i].p, m[i].len);
		at += m[i].len;
	}
	out[at] = '\0';
	return 0;
}

int
tracectx_extract(const char *tp, size_t tplen, const char *ts, size_t tslen,
    struct tracectx *out)
{
	struct tracectx	c;

	if (tracectx_parse_traceparent(tp, tplen, &c) == -1)
		return -1;
	/* A bad tracestate costs only itself. */
	if (ts != NULL)
		(void)tracectx_parse_tracestate(ts, tslen, c.tracestate,
		    sizeof c.tracestate);
	*out = c;
	return 0;
}

void
tracectx_hex(const uint8_t *p, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void
tracectx_format_traceparent(const struct tracectx *ctx,
    char buf[TRACECTX_TRACEPARENT_LEN + 1])
{
	uint8_t	flags = ctx->flags & TRACECTX_FLAGS_KNOWN;

	memcpy(buf, "00-", 3);
	tracectx_hex(ctx->trace_id, TRACECTX_TRACE_ID_LEN, buf + TP_TRACE_AT);
	buf[TP_SPAN_AT - 1] = '-';
	tracectx_hex(ctx->span_id, TRACECTX_SPAN_ID_LEN, buf + TP_SPAN_AT);
	buf[TP_FLAGS_AT - 1] = '-';
	tracectx_hex(&flags, 1, buf + TP_FLAGS_AT);
}

/* ---- new ids ---- */

void
tracectx_new_span_id(uint8_t id[TRACECTX_SPAN_ID_LEN])
{
	do
		entropy_get(id, TRACECTX_SPAN_ID_LEN);
	while (tracectx_zero(id, TRACECTX_SPAN_ID_LEN));
}

void
tracectx_new_trace(struct tracectx *out, int sampled)
{
	/* All 16 bytes random, so the Level 2 random flag is true. */
	do
		entropy_get(out->trace_id, TRACECTX_TRACE_ID_LEN);
	while (tracectx_zero(out->trace_id, TRACECTX_TRACE_ID_LEN));
	tracectx_new_span_id(out->span_id);
	out->flags = TRACECTX_FLAG_RANDOM |
	    (sampled ? TRACECTX_FLAG_SAMPLED : 0);
	out->tracestate[0] = '\0';
}

void
tracectx_new_child(const struct tracectx *parent, struct tracectx *out,
    int sampled)
{
	if (out != parent)
		*out = *parent;
	tracectx_new_span_id(out->span_id);
	out->flags = (parent->flags & TRACECTX_FLAG_RANDOM) |
	    (sampled ? TRACECTX_FLAG_SAMPLED : 0);
}

int
tracectx_sampled(const struct tracectx *ctx)
{
	return (ctx->flags & TRACECTX_FLAG_SAMPLED) != 0;
}

/* ---- params._meta ---- */

static json_object *
meta_of(json_object *msg)
{
	json_object	*params, *meta;

	if (!json_object_is_type(msg, json_type_object) ||
	    !json_object_object_get_ex(msg, "params", &params) ||
	    !json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "_meta", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return NULL;
	return meta;
}

int
tracectx_from_meta(json_object *msg, struct tracectx *out)
{
	json_object	*meta, *tp, *ts;
	const char	*s = NULL;
	size_t		 slen = 0;

	if ((meta = meta_of(msg)) == NULL ||
	    !json_object_object_get_ex(meta, TRACECTX_META_TRACEPARENT, &tp) ||
	    !json_object_is_type(tp, json_type_string))
		return -1;
	if (json_object_object_get_ex(meta, TRACECTX_META_TRACESTATE, &ts) &&
	    json_object_is_type(ts, json_type_string)) {
		s = json_object_get_string(ts);
		slen = (size_t)json_object_get_string_len(ts);
	}
	return tracectx_extract(json_object_get_string(tp),
	    (size_t)json_object_get_string_len(tp), s, slen, out);
}

int
tracectx_to_meta(json_object *msg, const struct tracectx *ctx)
{
	json_object	*params, *meta;
	char		 tp[TRACECTX_TRACEPARENT_LEN + 1];

	if (!json_object_is_type(msg, json_type_object))
		return -1;
	if (json_object_object_get_ex(msg, "params", &params)) {
		if (!json_object_is_type(params, json_type_object))
			return -1;
		if (json_object_object_get_ex(params, "_meta", &meta) &&
		    !json_object_is_type(meta, json_type_object))
			return -1;
	} else {
		params = json_object_new_object();
		json_object_object_add(msg, "params", params);
	}
	if (!json_object_object_get_ex(params, "_meta", &meta)) {
		meta = json_object_new_object();
		json_object_object_add(params, "_meta", meta);
	}
	tracectx_format_traceparent(ctx, tp);
	json_object_object_add(meta, TRACECTX_META_TRACEPARENT,
	    json_object_new_string(tp));
	if (ctx->tracestate[0] != '\0')
		json_object_object_add(meta, TRACECTX_META_TRACESTATE,
		    json_object_new_string(ctx->tracestate));
	else
		json_object_object_del(meta, TRACECTX_META_TRACESTATE);
	return 0;
}
