/* SPDX-License-Identifier: ISC */
/*
 * otel_redact.h: the values --otel-capture-content never records.
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

/* Zeroed is empty; owns its copies until otel_redact_clear. */
struct otel_redact {
	char	*v[OTEL_REDACT_MAX * 2];	/* as given, and JSON-escaped */
	size_t	 n;
	size_t	 longest;			/* bytes */
};

/* A value never to be recorded (copied); ignored if shorter than
 * OTEL_REDACT_MIN, known already, or past OTEL_REDACT_MAX. */
void	otel_redact_add(struct otel_redact *, const char *value);
void	otel_redact_clear(struct otel_redact *);
/* v (NULL: nothing) as compact JSON into string attribute key of a,
 * every value of r replaced; only what the attribute keeps is looked at
 * (OTEL_MAX_VALUE_LEN, and as much again as the longest value so that
 * none is cut in two). */
void	otel_redact_attr_json(const struct otel_redact *r,
	    struct otel_attrs *a, const char *key, json_object *v);

#endif
