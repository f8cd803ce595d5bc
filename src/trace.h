/* SPDX-License-Identifier: ISC */
/*
 * trace.h: the message trace (--trace, and --log-level debug): one line per
 * JSON-RPC message crossing the bridge, in each direction.
 *
 * A line is
 *
 *	<session> <from>><to> <kind> [<method>] [id=<id>] <size>B [<n>ms]
 *	    [code=<n>] [<body>]
 *
 * from>to: the two ends, a --children copy named by its number
 * ("bridge>child2") when there are several;
 * session: the first TRACE_LABEL_LEN characters of the session id (as the
 * access log shows them), "-" where there is none (the shared child,
 * client mode); kind: request, notification, response, error, batch or
 * invalid; method: the request's, and for an answer its request's when
 * the request was traced; size: the message as compact JSON, in bytes;
 * the latency: from the request's line to its answer's line; code: an
 * error answer's; body: with --trace=body only, the compact JSON cut at
 * TRACE_BODY_MAX bytes ("..." marks a cut).
 *
 * Secrets: a line never holds a header (Authorization, Mcp-Session-Id, a
 * --header) nor anything that is not in the message itself.  Tokens travel
 * in headers, and OAuth codes in sign-in requests that are not JSON-RPC,
 * so neither is ever traced.  Bodies may hold what a child or a local
 * client put there, so every value the bridge was given as a secret and
 * the caller names (trace_secret: --env values, --header values, the
 * --bearer-token-env token) is replaced by "[redacted]" wherever it shows
 * in a body, as written or as JSON escapes it; so is each request's own
 * bearer token, whatever its kind, which the caller hands over once it
 * has accepted it (trace_token: an OAuth token is known to the bridge
 * only per request; the last TRACE_TOKENS_MAX are kept); and so is the
 * value of a
 * member whose name is one of the usual names of a secret (trace.c's
 * list: password, token, apiKey, authorization, ...).  Values shorter than
 * TRACE_SECRET_MIN bytes are not looked for: they would blank every digit.
 *
 * Pure but for trace_msg, which stamps and logs: trace_format is what the
 * tests drive, with a clock of their own.
 */
#ifndef MCPBRIDGE_TRACE_H
#define MCPBRIDGE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

enum trace_mode {
	TRACE_OFF = 0,
	TRACE_ON,		/* one line per message */
	TRACE_BODY,		/* ... with its body */
};

/* Where a message goes.  A request and its answer go opposite ways
 * between the same two ends: dir ^ 1. */
enum trace_dir {
	TRACE_CLIENT_IN = 0,	/* serve: client>bridge */
	TRACE_CLIENT_OUT,	/* serve: bridge>client */
	TRACE_CHILD_OUT,	/* serve: bridge>child */
	TRACE_CHILD_IN,		/* serve: child>bridge */
	TRACE_STDIN,		/* client: stdin>bridge */
	TRACE_STDOUT,		/* client: bridge>stdout */
	TRACE_SERVER_OUT,	/* client: bridge>server */
	TRACE_SERVER_IN,	/* client: server>bridge */
	TRACE_DIRS
};

/* Characters of a session id shown. */
#define TRACE_LABEL_LEN		8
/* An id or a method longer than this is cut (ids match on what is kept). */
#define TRACE_ID_MAX		64
#define TRACE_METHOD_MAX	64
/* Bytes of a body shown with --trace=body. */
#define TRACE_BODY_MAX		4096
/* A line: the fields, the body and room for the cut mark. */
#define TRACE_LINE_MAX		(TRACE_BODY_MAX + 512)
/* Requests whose answers are awaited, for the latency: the oldest is
 * forgotten beyond this, and one older than TRACE_PENDING_TTL_MS expires
 * (its answer shows no latency). */
#define TRACE_PENDING_MAX	1024
#define TRACE_PENDING_TTL_MS	(10u * 60 * 1000)
/* Secrets looked for in bodies: at most this many, of at least
 * TRACE_SECRET_MIN bytes each. */
#define TRACE_SECRETS_MAX	64
#define TRACE_SECRET_MIN	4
/* Requests' bearer tokens looked for, the most recently used kept. */
#define TRACE_TOKENS_MAX	256
#define TRACE_REDACTED		"[redacted]"

struct trace;

/* NULL for TRACE_OFF: every function takes a NULL trace and does nothing. */
struct trace	*trace_new(enum trace_mode);
void		 trace_free(struct trace *);
/* A value never to be shown (copied); ignored if shorter than
 * TRACE_SECRET_MIN or over TRACE_SECRETS_MAX. */
void		 trace_secret(struct trace *, const char *value);
/* A request's bearer token (len bytes, copied), redacted like a secret
 * from then on, with --trace=body only; the least recently handed over
 * goes beyond TRACE_TOKENS_MAX.  Shorter than TRACE_SECRET_MIN: ignored. */
void		 trace_token(struct trace *, const char *token, size_t len);
/* Formats msg's line into buf (size bytes, NUL-terminated; at most
 * TRACE_LINE_MAX are needed) and returns its length: label NULL is "-".
 * Remembers a request for its answer's latency, at now_ms. */
size_t		 trace_format(struct trace *, enum trace_dir, const char *label,
		    json_object *msg, uint64_t now_ms, char *buf, size_t size);
/* trace_format on the monotonic clock, then log_trace; a batch gets a
 * line per member.  msg is borrowed; NULL is nothing. */
void		 trace_msg(struct trace *, enum trace_dir, const char *label,
		    json_object *msg);
/* The same for a message to or from copy n (from 1) of a --children
 * pool: "bridge>child2", "child2>bridge" (copy 0: "bridge>child").  Its
 * answer's latency is the request's sent to that copy. */
size_t		 trace_format_copy(struct trace *, enum trace_dir,
		    unsigned copy, const char *label, json_object *msg,
		    uint64_t now_ms, char *buf, size_t size);
void		 trace_msg_copy(struct trace *, enum trace_dir, unsigned copy,
		    const char *label, json_object *msg);
/* "--trace" or "--trace=body" (arg NULL or "body"); -1 otherwise. */
int		 trace_mode_parse(const char *arg, enum trace_mode *);

#endif
