/* SPDX-License-Identifier: ISC */
/*
 * serve_trace.h: OpenTelemetry spans of `mcpbridge serve` (issue 23).
 *
 * serve.c owns one struct serve_trace when export is on (NULL when off:
 * then nothing here runs and no message changes) and feeds it what
 * crosses the bridge: a client's request as the HTTP side starts it
 * (a SERVER span), the same request as the mux sends it to the child (a
 * CLIENT span, whose context goes into the child's copy's _meta), the
 * child's answer, the answer to the client (the SERVER span ends), a
 * request the child sends a client (a CLIENT span), the client's answer.
 * Finished spans go to the exporter (otel_export.h), never blocking.
 */
#ifndef MCPBRIDGE_SERVE_TRACE_H
#define MCPBRIDGE_SERVE_TRACE_H

#include <stdint.h>

#include <json-c/json.h>

#include "http.h"
#include "mux.h"
#include "otel_export.h"
#include "tracectx.h"

struct event_base;
struct serve_config;
struct serve_trace;

/* Spans not ended this long after they started are ended as abandoned
 * (a request whose answer the bridge never saw, a session gone): the
 * map of open spans stays bounded. */
#define SERVE_TRACE_ABANDON_MS		(10u * 60 * 1000)
/* The most spans open at once; past it, new requests get no span (their
 * context still propagates). */
#define SERVE_TRACE_OPEN_MAX		65536
/* The least time the last flush gets, whatever --drain-timeout left. */
#define SERVE_TRACE_FLUSH_MIN_MS	1000

/*
 * One server's side of the spans (serve --config has several, each with
 * its own mux): the arg of the hooks below that take a void *, and of
 * the calls about its children.  Its mux numbers its child requests on
 * its own: id tells them from another server's.  name goes on each of
 * its spans as mcpbridge.server.name (NULL: none, a plain serve).
 */
struct serve_trace_server {
	struct serve_trace	*st;
	unsigned		 id;
	const char		*name;
};

/* NULL if cfg->otel exports nothing. */
struct serve_trace *serve_trace_new(struct event_base *,
		    const struct serve_config *);
/* Ends what is open (error.type shutdown) into the exporter's queue,
 * then frees the exporter (what was not sent is dropped). */
void		 serve_trace_free(struct serve_trace *);

/* A value (an --env value, a static token) never to be recorded, should
 * a client or a child of any server write it into what is captured
 * (otel_redact.h).  One list for every server: one exporter. */
void		 serve_trace_secret(struct serve_trace *, const char *value);
/* An OAuth access token a request used (http_set_token_seen's): kept
 * out of spans too, among the last OTEL_REDACT_TOKENS. */
void		 serve_trace_bearer(struct serve_trace *, const char *token,
		    size_t len);
/* http_set_trace's hook (arg a struct serve_trace_server): requests
 * (msg, a batch too) of session ms start now. */
void		 serve_trace_http(void *arg, struct mux_session *ms,
		    json_object *msg, const struct http_trace_info *);
/*
 * serve --config with several servers: the aggregated endpoint's sessions
 * at the servers (mux sessions whose data is an HTTP session of the
 * aggregated endpoint) send the servers ids of the agg's own; fn gives
 * the id of the client's request one is part of (borrowed), or NULL, so
 * that the round trips find the client's SERVER span.  id: a
 * serve_trace_server id no server has, for the aggregated endpoint's
 * own (they have no mcpbridge.server.name).
 */
void		 serve_trace_set_agg(struct serve_trace *,
		    json_object *(*fn)(void *, struct mux_session *,
		    json_object *), void *arg, unsigned id);
/* Requests (msg, a batch too) of the aggregated endpoint's session
 * (data: the HTTP session; version: what it negotiated, or NULL) start:
 * SERVER spans. */
void		 serve_trace_agg_http(struct serve_trace *, void *data,
		    const char *version, json_object *msg,
		    const struct http_trace_info *);
/* What the aggregated endpoint sends its session data: an answer ends
 * its request's span (msg borrowed). */
void		 serve_trace_agg_out(struct serve_trace *, void *data,
		    json_object *msg);
/* The aggregated endpoint's session data closes: its spans end. */
void		 serve_trace_agg_end(struct serve_trace *, void *data);
/* mux_config's span_child hook (arg a struct serve_trace_server): fills
 * *ctx for the child's copy. */
int		 serve_trace_child_request(void *arg, struct mux_session *ms,
		    json_object *msg, uint64_t cid, struct tracectx *ctx);
/* mux_config's span_server hook (arg a struct serve_trace_server): a
 * request of the child's for session ms (as bid), for its request
 * cause; fills *ctx for the session's copy. */
int		 serve_trace_server_request(void *arg, struct mux_session *ms,
		    json_object *msg, uint64_t bid, json_object *cause,
		    struct tracectx *ctx);
/* A message from a client as the mux gets it (answers to the child's
 * requests, cancellations). */
void		 serve_trace_client_in(struct serve_trace *,
		    struct mux_session *ms, json_object *msg);
/* A message from one of the server's children. */
void		 serve_trace_child_in(const struct serve_trace_server *,
		    json_object *msg);
/*
 * A message the mux sends to session ms: an answer ends its request's
 * span (*msg, a reference the caller owns, stays as it is).
 */
void		 serve_trace_session_out(struct serve_trace *,
		    struct mux_session *ms, json_object **msg);
/* The mux ended ms: its open spans end. */
void		 serve_trace_session_end(struct serve_trace *,
		    struct mux_session *ms);
/* mux_config's span_session_end hook (arg a struct serve_trace_server):
 * ms closes (whoever ended it). */
void		 serve_trace_session_close(void *arg, struct mux_session *ms);
/* A message goes to the server's shared child pool (MUX_OUT_CHILD,
 * session NULL): a request's round trip is at that child from now on. */
void		 serve_trace_child_out(const struct serve_trace_server *,
		    size_t pool, json_object *msg);
/* A child of the server went down: a session's own (child_session), or
 * shared child pool (child_session NULL): an event on the spans of the
 * requests it had, no other server's or child's. */
void		 serve_trace_child_down(const struct serve_trace_server *,
		    struct mux_session *child_session, size_t pool,
		    const char *cause, int will_restart);
/* Ends spans open too long. */
void		 serve_trace_tick(struct serve_trace *, uint64_t now_ms);
/* Sends what is queued by deadline_ms (clock_ms); done runs once. */
void		 serve_trace_flush(struct serve_trace *, uint64_t deadline_ms,
		    void (*done)(void *), void *arg);
void		 serve_trace_stats(const struct serve_trace *,
		    struct otel_export_stats *);
/* Spans open now (started, not ended). */
size_t		 serve_trace_open(const struct serve_trace *);

#endif
