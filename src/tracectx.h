/* SPDX-License-Identifier: ISC */
/*
 * tracectx.h: W3C Trace Context (traceparent, tracestate) as the bridge
 * reads and writes it, in HTTP headers and in a JSON-RPC request's
 * params._meta (SEP-414: the keys traceparent, tracestate and baggage,
 * unprefixed).  No I/O but the kernel's random bytes for new ids.
 *
 * A traceparent is parsed strictly: lowercase hex only, version ff
 * refused, version 00 exactly TRACECTX_TRACEPARENT_LEN characters, a
 * higher version by the forward-compatible rule (at least that long, the
 * first four fields as in 00, then the end or a dash); all-zero ids are
 * invalid.  A traceparent that fails is ignored, never fatal; its
 * tracestate is then ignored too (the spec's order).
 *
 * A tracestate is kept as an opaque string, checked member by member
 * (key and value grammar, at most TRACECTX_TRACESTATE_MEMBERS, no key
 * twice) and written back without optional white space; one over
 * TRACECTX_TRACESTATE_MAX loses whole members as the spec says (those
 * over TRACECTX_TRACESTATE_LONG_MEMBER first, then from the end).
 * baggage is never read or written here: it rides through untouched.
 */
#ifndef MCPBRIDGE_TRACECTX_H
#define MCPBRIDGE_TRACECTX_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* "00-" 32 hex "-" 16 hex "-" 2 hex: a version 00 traceparent. */
#define TRACECTX_TRACEPARENT_LEN	55
/* A traceparent of a higher version longer than this is not read. */
#define TRACECTX_TRACEPARENT_MAX	512
/* The tracestate kept and propagated (the spec asks for at least 512). */
#define TRACECTX_TRACESTATE_MAX		512
/* A tracestate longer than this is not read at all (32 members of
 * 256 + 1 + 256 characters and their separators, with room for white
 * space). */
#define TRACECTX_TRACESTATE_INPUT_MAX	(32 * 520)
#define TRACECTX_TRACESTATE_MEMBERS	32
#define TRACECTX_KEY_MAX		256
#define TRACECTX_VALUE_MAX		256
/* Members longer than this go first when the whole is too long. */
#define TRACECTX_TRACESTATE_LONG_MEMBER	128

#define TRACECTX_TRACE_ID_LEN		16
#define TRACECTX_SPAN_ID_LEN		8

/* trace-flags: sampled (Level 1) and random trace id (Level 2); the
 * other bits are written as zero. */
#define TRACECTX_FLAG_SAMPLED		0x01
#define TRACECTX_FLAG_RANDOM		0x02
#define TRACECTX_FLAGS_KNOWN		(TRACECTX_FLAG_SAMPLED | \
					    TRACECTX_FLAG_RANDOM)

/* The _meta keys of SEP-414. */
#define TRACECTX_META_TRACEPARENT	"traceparent"
#define TRACECTX_META_TRACESTATE	"tracestate"
#define TRACECTX_META_BAGGAGE		"baggage"

/* A span context: whose span (trace and span id), its flags and the
 * tracestate that goes with it ("" for none). */
struct tracectx {
	uint8_t		trace_id[TRACECTX_TRACE_ID_LEN];
	uint8_t		span_id[TRACECTX_SPAN_ID_LEN];
	uint8_t		flags;
	char		tracestate[TRACECTX_TRACESTATE_MAX + 1];
};

/*
 * Parses a traceparent of len bytes (no NUL needed) into *out (trace id,
 * span id = the caller's parent-id, flags as sent; tracestate emptied).
 * 0, or -1 with *out untouched if it is not one the spec lets us use.
 */
int	tracectx_parse_traceparent(const char *s, size_t len,
	    struct tracectx *out);
/*
 * Checks a tracestate of len bytes and writes its members, in order and
 * without optional white space, to out (outsz >= TRACECTX_TRACESTATE_MAX
 * + 1), truncated by whole members to TRACECTX_TRACESTATE_MAX.  0 (out
 * may be "": an empty list is valid), or -1 and out "" if any member is
 * malformed, a key repeats, there are more than
 * TRACECTX_TRACESTATE_MEMBERS members or len is over
 * TRACECTX_TRACESTATE_INPUT_MAX: then the whole is discarded.
 */
int	tracectx_parse_tracestate(const char *s, size_t len, char *out,
	    size_t outsz);
/*
 * Both, as they came (headers, or _meta's strings; ts may be NULL): 0 if
 * the traceparent is usable (*out set, its tracestate kept if valid), -1
 * if not (*out untouched).
 */
int	tracectx_extract(const char *tp, size_t tplen, const char *ts,
	    size_t tslen, struct tracectx *out);

/* The traceparent of ctx, version 00, unknown flags cleared: buf gets
 * TRACECTX_TRACEPARENT_LEN characters and a NUL. */
void	tracectx_format_traceparent(const struct tracectx *ctx,
	    char buf[TRACECTX_TRACEPARENT_LEN + 1]);
/* n bytes as 2n lowercase hex characters and a NUL. */
void	tracectx_hex(const uint8_t *p, size_t n, char *out);

/* A new trace: random trace and span ids (never all zero), the random
 * flag set, sampled if sampled, no tracestate. */
void	tracectx_new_trace(struct tracectx *out, int sampled);
/* A new span of parent's trace: a new span id, the parent's tracestate
 * and random flag, sampled if sampled. */
void	tracectx_new_child(const struct tracectx *parent,
	    struct tracectx *out, int sampled);
/* A random span id, never all zero. */
void	tracectx_new_span_id(uint8_t id[TRACECTX_SPAN_ID_LEN]);
int	tracectx_sampled(const struct tracectx *);
/* 1 if all n bytes are zero. */
int	tracectx_zero(const uint8_t *p, size_t n);

/*
 * The trace context in a request's params._meta: 0 and *out set if it
 * holds a usable traceparent (a string), -1 if there is none or it is
 * malformed (ignored, never an error for the request).
 */
int	tracectx_from_meta(json_object *msg, struct tracectx *out);
/*
 * Writes ctx into msg's params._meta: traceparent, and tracestate (or
 * removes it if ctx has none); baggage and every other member stay as
 * they are.  params and _meta are made if absent.  -1 (msg untouched)
 * if params or _meta is there but not an object.
 */
int	tracectx_to_meta(json_object *msg, const struct tracectx *ctx);

#endif
