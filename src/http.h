/* SPDX-License-Identifier: ISC */
/*
 * http.h: the HTTP face of `mcpbridge serve`: one listener, both MCP HTTP
 * transports (legacy HTTP+SSE and Streamable HTTP), probes.
 *
 * The HTTP layer turns requests into mux_session_* calls and mux outs into
 * HTTP responses and SSE events.  It never talks to the child: after every
 * call into the mux it calls the pump it was given, and the pump (serve.c)
 * drains the mux, sending MUX_OUT_CHILD* to the upstream and handing
 * MUX_OUT_SESSION and MUX_OUT_SESSION_END back through http_deliver.  So
 * http_deliver may run inside the HTTP layer's own request handlers.
 */
#ifndef MCPBRIDGE_HTTP_H
#define MCPBRIDGE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "mux.h"

struct event_base;
struct http_oauth;
struct metrics_gauges;
struct status_page;
struct mux;
struct mux_out;
struct mux_session;
struct http;

/*
 * What the HTTP side is told (serve.c fills it from the command line; the
 * fields are named after the options).  http_new keeps a pointer to it, not
 * a copy: it and its strings must outlive the struct http.
 */
struct http_config {
	/* the listener */
	const char		*host;
	int			 port;
	int			 print_url;
	const char		*base_path;	/* "" or "/prefix" */
	const char		*sse_path;
	const char		*message_path;
	const char		*mcp_path;
	int			 keepalive_ms;	/* > 0 */
	size_t			 max_queue;
	size_t			 max_body;
	size_t			 replay_messages;
	size_t			 replay_bytes;

	/* who may connect */
	char			**allow_hosts;	/* NULL-terminated, or NULL */
	size_t			 nallow_hosts;
	char			**allow_origins;
	size_t			 nallow_origins;
	char			**cors;
	size_t			 ncors;
	const char		*auth_token_file;
	const char		*auth_token_env;
	const char		*tls_cert;
	const char		*tls_key;
	int			 oauth;		/* --oauth-issuer given: the
						   parts come by http_set_oauth */

	/* limits */
	size_t			 max_header_size;
	size_t			 max_headers;
	uint64_t		 read_timeout_ms;
	size_t			 max_sessions;	/* 0: no limit */
	uint64_t		 rate_limit;	/* requests a second; 0: none */
	size_t			 max_in_flight;	/* per session; 0: no limit */
	uint64_t		 session_timeout_ms;	/* 0: never */

	/* operations */
	const char		*metrics_listen;	/* HOST:PORT or NULL */
	const char		*instance_id;	/* session id prefix, or NULL */
};

typedef void (*http_pump_cb)(void *arg);
/* Fills in what only the caller knows (the children) for /metrics. */
typedef void (*http_stats_cb)(void *arg, struct metrics_gauges *);
/* Fills in, for /status, what only the caller knows of the servers http
 * listed (their commands, children and errors), matched by name. */
typedef void (*http_status_cb)(void *arg, struct status_page *);

/* NULL with a log line if the tokens or the TLS files do not load.  mux
 * (with its pump) is served on --path, --sse-path and --message-path;
 * NULL: none is (see http_add_endpoint). */
struct http	*http_new(struct event_base *, const struct http_config *,
		    struct mux *, http_pump_cb, void *pump_arg);
/* Serves mux, one of several servers, on /servers/NAME/ followed by
 * --path, --sse-path and --message-path (under --base-path); NULL name:
 * on those paths themselves.  The pump drains that mux.  A session opened
 * on one endpoint is not found on another's paths. */
void		 http_add_endpoint(struct http *, const char *name,
		    struct mux *, http_pump_cb, void *pump_arg);
/* With OAuth: a token on the live endpoint NAME's routes needs these
 * scopes beside the bridge's (a server's own --oauth-scope), asked for as
 * those are (403, insufficient_scope).  Copied; set once, after
 * http_add_endpoint. */
void		 http_endpoint_scopes(struct http *, const char *name,
		    const char *const *scopes, size_t n);
/*
 * What http asks of an endpoint's sessions: the mux's calls for a mux
 * endpoint (http_add_endpoint), the aggregator's for the aggregated one
 * (serve.c's).  A session is the endpoint's own pointer (session->ms);
 * the calls are those of mux.h of the same names.
 */
struct http_ep_ops {
	void		*(*session_new)(void *arg, enum mux_transport,
			    void *data);
	void		 (*set_principal)(void *session, uint64_t);
	enum mux_recv	 (*session_recv)(void *arg, void *session,
			    json_object *, uint64_t stream);
	void		 (*session_finish)(void *arg, void *session);
	void		 (*session_close)(void *arg, void *session);
	const char	*(*session_version)(const void *session);
	int		 (*ready)(const void *arg);
	/* a tools/list answer named the tool */
	int		 (*tool_named)(const void *arg, const char *);
	/* its x-mcp-header annotations, or NULL */
	json_object	*(*tool_headers)(const void *arg, const char *);
	void		 (*fail_all)(void *arg, const char *why);
	/* Optional (the aggregated endpoint's): the scopes the token of
	 * the request about to be received holds, or all (a static token,
	 * no authentication); see agg_session_set_grant. */
	void		 (*set_grant)(void *session, const char *const *,
			    size_t, int all);
	/* Optional: the name of the endpoint a request goes on to (and
	 * for tools/call the tool's name there, which the caller frees),
	 * or NULL; its scopes and the tool's are asked of the token as on
	 * that endpoint's own routes (see agg_route). */
	const char	*(*route)(const void *arg, json_object *,
			    char **tool);
	/* Optional: how many of its sessions are open at the endpoint
	 * NAME (its own session there), for /metrics and /status. */
	size_t		 (*sessions_at)(const void *arg, const char *name);
	/* Optional: the session has no connection open now (away 1), or
	 * has one again (0); see mux_session_away. */
	void		 (*session_away)(void *session, int away);
};
/* As http_add_endpoint, with ops and their arg for a mux (the endpoint
 * has no mux of its own: /metrics and /status count its servers'). */
void		 http_add_endpoint_ops(struct http *, const char *name,
		    const struct http_ep_ops *, void *arg, http_pump_cb,
		    void *pump_arg);
/*
 * A reload removed (or changed) the server NAME: its endpoint drains.  No
 * new session starts on it (its paths answer 404, or reach a new endpoint
 * of the same name) and its sessions' new requests get 503, while their
 * requests in flight get their answers (and what else those need: the
 * client's answers to the child's questions, cancellations), for up to
 * timeout_ms; then what is still in flight gets an error, its sessions
 * end (why is logged with each) and done(arg) runs, once, from the loop.
 * Its mux must stay until http_free (the sessions are reaped later).  0,
 * or -1 if no live endpoint has that name (done never runs).
 */
int		 http_remove_endpoint(struct http *, const char *name,
		    const char *why, uint64_t timeout_ms, void (*done)(void *),
		    void *arg);
/* The session queue's limit raised to at least max_queue (a reload's
 * server whose answers are larger; never lowered). */
void		 http_raise_max_queue(struct http *, size_t max_queue);
void		 http_set_stats(struct http *, http_stats_cb, void *arg);
void		 http_set_status(struct http *, http_status_cb, void *arg);

/* OpenTelemetry (serve_trace.c): what only the HTTP side knows of the
 * requests of a POST, as they start.  Pointers valid during the call. */
struct http_trace_info {
	const char	*traceparent;	/* the headers', or NULL */
	const char	*tracestate;
	const char	*version;	/* MCP-Protocol-Version, or NULL */
	const char	*peer;		/* the client's address */
	void		*route;		/* its endpoint's pump_arg: whose */
	void		*session;	/* the HTTP session (session.h) */
	const char	*negotiated;	/* the session's version, or NULL */
};
/* msg (one request, or a batch) is borrowed and must not change; the
 * mux session is NULL on an endpoint without a mux (the aggregated one:
 * info->session says whose). */
typedef void (*http_trace_cb)(void *arg, struct mux_session *,
		    json_object *msg, const struct http_trace_info *);
void		 http_set_trace(struct http *, http_trace_cb, void *arg);
/* Binds --host/--port (and --metrics-listen) and logs the address.  -1
 * with a log line on failure. */
int		 http_listen(struct http *);
/* The base URL, once listening (the default OAuth resource is its /mcp,
 * or itself with named servers), or NULL. */
const char	*http_url(const struct http *);
/* The OAuth resource server (http_auth.h), after http_listen and before
 * the loop runs: a copy is kept, the parts stay the caller's until
 * http_free.  Requests then need a static token or an access token. */
void		 http_set_oauth(struct http *, const struct http_oauth *);
/* With --print-url, the URLs on stdout: called once the server behind is
 * there to be reached (the shared child started), so a script never
 * reads the URL of a bridge that is about to exit. */
void		 http_print_urls(struct http *);
/* Calls fn with each bearer token clients may use (after a SIGHUP, the
 * reloaded ones), for what must never print them. */
void		 http_each_token(struct http *, void (*)(void *, const char *),
		    void *);
/* fn(arg, token, len) with the bearer token of each request an OAuth
 * check lets in, before its messages go anywhere (the message trace
 * redacts it: a client may write its token into a message).  The token
 * is borrowed for the call. */
void		 http_set_token_seen(struct http *,
		    void (*fn)(void *, const char *, size_t), void *arg);
/* Takes a MUX_OUT_SESSION (consuming out->msg) or MUX_OUT_SESSION_END. */
void		 http_deliver(struct http *, struct mux_out *);
/* The same for an endpoint without a mux: data is the session's data
 * (out->session is not looked at). */
void		 http_deliver_data(struct http *, void *data, struct mux_out *);
/* The pump drained the mux: let go of the last message delivered (kept
 * so that the outs of a broadcast share its text). */
void		 http_delivered(struct http *);
/* Shutting down: /readyz turns 503 at once, no new sessions or requests
 * are accepted; once the requests in flight are answered (or timeout_ms
 * passed) every session ends, its streams are closed, and done is called
 * (from the event loop, once). */
void		 http_drain(struct http *, uint64_t timeout_ms,
		    void (*done)(void *), void *arg);
/* SIGHUP: reloads --auth-token-file and --tls-cert/--tls-key; what does
 * not load keeps the old, with an error logged.  How many of the two it
 * had to reload (0: neither option was given). */
int		 http_reload(struct http *);
void		 http_free(struct http *);

#endif
