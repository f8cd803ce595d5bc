/* SPDX-License-Identifier: ISC */
/*
 * otel_redact.h: the values no span records (captured content, names,
 * attributes).
 *
 * Captured arguments and results hold whatever a client or a server
 * wrote, and a value the bridge was given as a secret (an --env value, a
 * static token, a --header value) may be among it, as the message trace
 * knows (trace.h).  Each such value is replaced by OTEL_REDACT_MARK
 * wherever it shows in the attribute, as written or as JSON escapes it.
 * Values shorter than OTEL_REDACT_MIN bytes are not looked for: they
 * would blank every digit.
 */
#ifndef MCPBRIDGE_OTEL_REDACT_H
#define MCPBRIDGE_OTEL_REDACT_H

#include <stddef.h>

#include <json-c/json.h>

#include "otel.h"

/* At most this many values, of at least OTEL_REDACT_MIN bytes. */
#define OTEL_REDACT_MAX		64
#define OTEL_REDACT_MIN		4
#define OTEL_REDACT_MARK	"[redacted]"

/* OAuth access tokens seen: the last this many (they come and go). */
#define OTEL_REDACT_TOKENS	64

/* Zeroed is empty; owns its copies until otel_redact_clear. */
struct otel_redact {
	char	*v[OTEL_REDACT_MAX * 2];	/* as given, and JSON-escaped */
	size_t	 n;
	size_t	 longest;			/* bytes */
	char	*tok[OTEL_REDACT_TOKENS];	/* a ring, NULL unused */
	size_t	 nexttok;			/* the slot to fill next */
};

/* A value never to be recorded (copied); ignored if shorter than
 * OTEL_REDACT_MIN, known already, or past OTEL_REDACT_MAX. */
void	otel_redact_add(struct otel_redact *, const char *value);
void	otel_redact_clear(struct otel_redact *);
/* A bearer token a request used (len bytes), kept among the last
 * OTEL_REDACT_TOKENS, for otel_redact_span (which sees captured content
 * too: a token's characters need no JSON escape). */
void	otel_redact_token(struct otel_redact *, const char *token,
	    size_t len);
/* v (NULL: nothing) as compact JSON into string attribute key of a,
 * every value of r replaced; only what the attribute keeps is looked at
 * (OTEL_MAX_VALUE_LEN, and as much again as the longest value so that
 * none is cut in two). */
void	otel_redact_attr_json(const struct otel_redact *r,
	    struct otel_attrs *a, const char *key, json_object *v);
/*
 * Every value of r taken out of span sp: its name, status message, the
 * string attributes of the span and its events (request ids, tool
 * names, URIs: whatever a client wrote), its tracestate.  Nothing to do
 * (and no cost) when r is empty.  A value cut at its limit that ends
 * with the start of a secret loses that tail too.
 */
void	otel_redact_span(const struct otel_redact *r, struct otel_span *sp);

#endif
