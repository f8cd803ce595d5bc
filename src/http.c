/* SPDX-License-Identifier: ISC */
/*
 * http.c: the HTTP face of `mcpbridge serve`.  One listener carries
 * the legacy HTTP+SSE transport (GET /sse, POST /message), Streamable HTTP
 * (POST/GET/DELETE /mcp) and the probes (/healthz, /readyz), every path
 * under --base-path.
 *
 * Requests become mux_session_* calls, each followed by the pump; the pump
 * hands the mux's outs back through http_deliver, possibly while one of our
 * handlers is still running.  A POST's stream is marked in_handler for that
 * time, so what arrives for it is logged and answered once the handler
 * knows the mux's verdict.
 *
 * Streamable HTTP POST answers are decided late: the response headers wait
 * for the first message of the stream.  The final response alone goes out as
 * application/json; anything before it (progress, logging, a server
 * request) opens an event stream that ends with the final response.  If
 * nothing comes for the hold time, the event stream opens anyway: with a
 * comment for sessions before 2025-11-25, and for 2025-11-25 sessions with a
 * priming event and a retry field, after which the connection is closed and
 * the client polls with GET and Last-Event-ID (SEP-1699).
 *
 * A standalone GET stream is one per session: a second one is refused with
 * 409 (as the TypeScript SDK does) unless it resumes with Last-Event-ID,
 * which takes the stream over.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "auth.h"
#include "clock.h"
#include "http.h"
#include "http_auth.h"
#include "http_conn.h"
#include "http_parse.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "jwks.h"
#include "log.h"
#include "mcpwire.h"
#include "metrics.h"
#include "metrics_mcp.h"
#include "status.h"
#include "modern.h"
#include "mux.h"
#include "ratelimit.h"
#include "rawjson.h"
#include "rsauth.h"
#include "rsmeta.h"
#include "session.h"
#include "tls.h"
#include "xmalloc.h"

/*
 * 2025-11-25 sessions: a POST with no message after this long (or the
 * keep-alive interval, if shorter) is primed and closed, and the client
 * polls (SEP-1699); it costs a compliant client one reconnection per slow
 * call, and spares connections held open for long calls.
 */
#define HTTP_POLL_MS		200
/* The retry field sent to those clients: how soon they come back. */
#define HTTP_RETRY_MS		250
/*
 * The --metrics-listen listener reads a body this large before saying
 * 404 or 405 in JSON (it uses none); a larger one gets 413.
 */
#define HTTP_METRICS_MAX_BODY	65536
/* The request line (evhttp counted it in its header limit): 414. */
#define HTTP_MAX_REQUEST_LINE	8192
/* Chunk extensions and trailers of one body, read and dropped. */
#define HTTP_MAX_CHUNK_META	8192
/* Several tracestate lines joined: at most this much (a list is kept
 * to 512 bytes anyway, TRACECTX_TRACESTATE_MAX, by whole members). */
#define HTTP_TRACESTATE_MAX	2048
/* An absolute-form target's host[:port] kept for the Host checks; longer is
 * refused (a DNS name is at most 253 bytes). */
#define HTTP_AUTHORITY_MAX	272
/* How often idle sessions, rate buckets and draining are looked at. */
#define HTTP_SWEEP_MS		1000
#define HTTP_DRAIN_CHECK_MS	50
/* A connection closed with a refusal gets this long to take it. */
#define HTTP_LINGER_MS		2000
/* A client that cannot take a write on a stream for this long is gone. */
#define HTTP_STREAM_WRITE_TIMEOUT_S 60
/* Retry-After for 503 (too many sessions, draining) and in-flight 429. */
#define HTTP_RETRY_AFTER_S	1
/* --rate-limit buckets kept (tokens or addresses), and addresses whose
 * failed authentications are counted; past these the least recently
 * seen is forgotten. */
#define HTTP_RATE_KEYS_MAX	65536
#define HTTP_AUTHFAIL_ADDRS_MAX	4096
/* A request whose OAuth token waits for keys or an introspection longer
 * than this gets 503 (the fetches behind may take 40 s, and a client
 * should hear sooner). */
#define HTTP_AUTH_WAIT_MS	10000

/* What the MCP headers a browser page may send and read. */
#define HTTP_CORS_ALLOW_HEADERS	"Content-Type, Accept, Authorization, " \
	"Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, " \
	"Mcp-Name"
#define HTTP_CORS_EXPOSE_HEADERS "Mcp-Session-Id, WWW-Authenticate, " \
	"Retry-After"
#define HTTP_CORS_MAX_AGE	"600"

/*
 * The request headers we look at, found in one walk over them while a
 * request is handled (a lookup by name walks them all again): the first
 * of each name.  Pointers into the request's headers.
 */
struct http_hdrs {
	const char			*host;
	const char			*origin;
	const char			*content_type;
	const char			*accept;
	const char			*authorization;
	const char			*session_id;	/* Mcp-Session-Id */
	const char			*version;	/* MCP-Protocol-Version */
	/* No version, or one jsonrpc_version_supported knows: asked once
	 * per request, as several checks need it (issue 20). */
	int				 version_supported;
	const char			*last_event_id;
	const char			*traceparent;	/* W3C Trace Context */
	const char			*tracestate;	/* all of them, joined */
	size_t				 ntraceparent;
	size_t				 norigin;	/* Origin headers */
	size_t				 nauthorization;
};

enum http_method {
	HTTP_M_OTHER = 0,
	HTTP_M_GET,
	HTTP_M_POST,
	HTTP_M_DELETE,
	HTTP_M_OPTIONS,
	HTTP_M_HEAD,
};

/*
 * A request as the handlers see it (see "requests"): what they read of it
 * is taken from the connection's parser when it comes in, and stays valid
 * while http_request runs, even after an answer resets the parser.  A
 * request answered later (a held stream) is its connection alone.
 */
struct http_req {
	struct http_conn		*conn;
	enum http_method		 method;
	const char			*path;		/* NULL: none */
	const char			*query;		/* NULL: none */
	int				 http11;	/* HTTP/1.1 or later */
	struct evhttp_uri		*uri;		/* path and query */
	const char			*body;
	size_t				 body_len;
	size_t				 nh;		/* headers */
	const char			**names;	/* as received */
	const char			**values;
	/* An absolute-form target's host[:port], which stands for Host
	 * (RFC 9112 3.2.2); "" for the usual origin-form. */
	char				 authority[HTTP_AUTHORITY_MAX];
	/* The id of the JSON-RPC request in the body, once it is read (a
	 * reference; NULL: none, or a batch): an error refusing it names
	 * it, as JSON-RPC asks. */
	json_object			*rpc_id;
};

/*
 * An endpoint: one multiplexer and its three routes.  The unnamed one is
 * /mcp, /sse and /message (under --base-path); a named one (serve
 * --config with several servers) is /servers/NAME/mcp, .../sse and
 * .../message.  A session belongs to the endpoint it was opened on
 * (session->route) and is found on no other's routes: one server's
 * client never reaches another server's session.
 */
struct http_ep {
	char				*name;	/* NULL: the unnamed one */
	/* NULL for the aggregated one, which has ops of its own */
	struct mux			*mux;
	const struct http_ep_ops	*ops;
	void				*arg;	/* the ops' */
	http_pump_cb			 pump;
	void				*pump_arg;
	char				*mcp_path;
	char				*sse_path;
	char				*message_path;
	/* Removed (a reload): draining, its own sessions' requests only,
	 * until drain_deadline; then dead: no route, no readiness; kept,
	 * with its mux, until http_free, as the sessions it ended are
	 * reaped later.  drained runs once, when it turns dead. */
	int				 draining;
	int				 dead;
	uint64_t			 drain_deadline;
	char				*drain_why;
	void				(*drained)(void *);
	void				*drained_arg;
	/* A named one's requests, for /metrics (the process's count too) */
	struct metrics_requests		 requests;
	/* The scopes an OAuth token needs on its routes beside the bridge's
	 * (http_endpoint_scopes), owned */
	char				**scopes;
	size_t				 nscopes;
};

struct http {
	char			*url;		/* the base URL, once listening */
	struct event_base		*base;
	const struct http_config	*cfg;
	/* Every endpoint (owned), and the one of the request being
	 * handled (set by http_route). */
	struct http_ep			**eps;
	size_t				 neps;
	struct http_ep			*ep;

	struct http_listener		*listener;
	/* --metrics-listen, NULL without it. */
	struct http_listener		*metrics_listener;
	/* Local names on loopback, else any Host: http_metrics_listen. */
	struct auth_origins		 metrics_origins;
	struct sessions			*sessions;
	struct event			*reap;
	struct event			*sweep;
	int				 draining;
	int				 closing;	/* drained: ending sessions */
	/* Requests held for a token check (http_oauth_check): a drain
	 * waits for them too, and answers those left at its end. */
	TAILQ_HEAD(, http_pending)	 held;
	size_t				 nheld;
	int				 freeing;

	struct auth			*auth;		/* NULL: no tokens */
	struct auth_origins		 origins;
	struct ratelimit		*ratelimit;	/* NULL: no limit */
	struct ratelimit		*authfail;	/* failures by address */
	struct tls			*tls;		/* NULL: plain HTTP */
	struct http_auth		*oauth;		/* NULL: no OAuth */
	uint64_t			 static_ok;	/* static tokens let in */

	/* The request being handled by http_request (it runs to the end
	 * before another starts): its connection, its owner (session.h's
	 * token) and, for an OAuth token, its verified claims (borrowed
	 * from the request's rsauth_result). */
	struct http_conn		*cur;
	uint64_t			 owner;
	json_object			*claims;
	/* The scopes its token holds (borrowed likewise), or all of them
	 * (a static token, or no authentication): an endpoint that fans
	 * out (the aggregated one) leaves out what needs more. */
	const char *const		*grant;
	size_t				 ngrant;
	int				 grant_all;
	struct http_hdrs		 hdr;
	/* Several tracestate lines are one list (W3C Trace Context, RFC
	 * 9110 5.3): joined here, whole lines that fit. */
	char				 tracestate[HTTP_TRACESTATE_MAX + 1];

	/* The request's header lines (pointers into its parser). */
	const char			**hnames;
	const char			**hvalues;
	size_t				 hcap;
	size_t				 in_flight;	/* over all sessions */

	/* The message delivered last, and its text: the outs of a
	 * broadcast come one after another with the one object, and share
	 * the text.  Both references are ours; kept until the pump is
	 * drained. */
	json_object			*last_obj;
	struct session_msg		*last_msg;

	http_stats_cb			 stats;
	void				*stats_arg;
	http_status_cb			 status;
	void				*status_arg;
	http_trace_cb			 trace;		/* NULL: no spans */
	void				*trace_arg;
	void				(*token_seen)(void *, const char *,
					    size_t);
	void				*token_seen_arg;
	uint64_t			 drain_deadline;
	void				(*drained)(void *);
	void				*drained_arg;

	char				*healthz_path;
	char				*readyz_path;
	char				*metrics_path;
	char				*status_path;		/* HTML */
	char				*status_json_path;
};

static void	http_request(struct http_conn *, void *);
static void	http_lost(struct session *, struct stream *, void *);
static void	http_connected(struct session *, int, void *);
static void	http_overflow(struct session *, int, void *);
static void	http_hold_expired(struct session *, struct stream *, void *);
static void	http_kick(struct http *, struct stream *);
static void	http_stream_watch(struct http_conn *, void (*)(void *), void *,
		    void *);
static void	http_stream_start(struct http_conn *, void *);
static void	http_stream_write(struct http_conn *, struct evbuffer *,
		    void *);
static void	http_stream_end(struct http_conn *, void *);
static void	http_stream_drop(struct http_conn *, void *);
static size_t	http_stream_queued(const struct http_conn *, void *);

static const struct session_ops http_session_ops = {
	.lost = http_lost,
	.overflow = http_overflow,
	.hold_expired = http_hold_expired,
	.connected = http_connected,
	.watch = http_stream_watch,
	.start = http_stream_start,
	.write = http_stream_write,
	.end = http_stream_end,
	.drop = http_stream_drop,
	.queued = http_stream_queued,
};

/* Notes for the access log of the request being handled. */
static void
http_note(struct http *h, const char *note)
{
	if (h->cur != NULL)
		http_conn_note(h->cur, NULL, NULL, note);
}

static void
http_note_session(struct http *h, const struct session *sess)
{
	if (h->cur != NULL && sess != NULL)
		http_conn_note(h->cur, sess->hex, NULL, NULL);
}

/* Why a session id is refused, for the access log.  Another instance's
 * id says the load balancer in front routes wrong; another route's, that
 * a client mixed up the servers' URLs. */
static void
http_note_unknown(struct http *h, const struct session *sess, const char *sid)
{
	http_note(h, sess != NULL && sess->route != h->ep ?
	    "session of another route" : sess != NULL ?
	    "session of another token" : sessions_owns(h->sessions, sid) ?
	    "unknown session" : "session of another instance");
}

static void
http_note_method(struct http *h, struct http_req *req, json_object *msg)
{
	json_object	*first, *v, *id;
	const char	*method;
	char		 shown[128];
	size_t		 len, i, n;

	if (h->cur == NULL)
		return;
	first = msg;
	if (json_object_is_type(msg, json_type_array))
		first = json_object_array_length(msg) > 0 ?
		    json_object_array_get_idx(msg, 0) : NULL;
	if (first == NULL || (v = jsonrpc_get(first, "method",
	    json_type_string)) == NULL)
		return;
	/* One request (not a batch, not a notification) with an id of a
	 * kind MCP allows: its id for the errors that refuse it (one that
	 * cannot be read is null in them, as JSON-RPC says). */
	if (first == msg && req->rpc_id == NULL &&
	    (id = jsonrpc_id(msg)) != NULL &&
	    (json_object_is_type(id, json_type_int) ||
	    json_object_is_type(id, json_type_string)))
		req->rpc_id = json_object_get(id);
	method = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	/* A NUL would end the log's copy there: shown as U+FFFD, as in
	 * spans, so that the line shows all of what the client sent. */
	if (memchr(method, '\0', len) != NULL) {
		for (i = n = 0; i < len && n + 3 < sizeof shown; i++) {
			if (method[i] != '\0')
				shown[n++] = method[i];
			else {
				memcpy(shown + n, "\xef\xbf\xbd", 3);
				n += 3;
			}
		}
		shown[n] = '\0';
		method = shown;
	}
	http_conn_note(h->cur, NULL, method, NULL);
}

/* The endpoint of a session. */
static struct http_ep *
http_sess_ep(const struct session *sess)
{
	return sess->route;
}

/* A mux endpoint's ops: mux.h's calls. */
static void *
http_mux_session_new(void *arg, enum mux_transport t, void *data)
{
	return mux_session_new(arg, t, data);
}

static void
http_mux_set_principal(void *ms, uint64_t principal)
{
	mux_session_set_principal(ms, principal);
}

static enum mux_recv
http_mux_session_recv(void *arg, void *ms, json_object *msg, uint64_t stream)
{
	return mux_session_recv(arg, ms, msg, stream);
}

static void
http_mux_session_finish(void *arg, void *ms)
{
	mux_session_finish(arg, ms);
}

static void
http_mux_session_close(void *arg, void *ms)
{
	mux_session_close(arg, ms);
}

static const char *
http_mux_session_version(const void *ms)
{
	return mux_session_version(ms);
}

static int
http_mux_ready(const void *arg)
{
	return mux_ready(arg);
}

static int
http_mux_tool_named(const void *arg, const char *tool)
{
	return mux_tool_named(arg, tool);
}

static json_object *
http_mux_tool_headers(const void *arg, const char *tool)
{
	return mux_tool_headers(arg, tool);
}

static void
http_mux_fail_all(void *arg, const char *why)
{
	mux_fail_all(arg, why);
}

static void
http_mux_session_away(void *ms, int away)
{
	mux_session_away(ms, away);
}

static const struct http_ep_ops http_mux_ops = {
	http_mux_session_new,
	http_mux_set_principal,
	http_mux_session_recv,
	http_mux_session_finish,
	http_mux_session_close,
	http_mux_session_version,
	http_mux_ready,
	http_mux_tool_named,
	http_mux_tool_headers,
	http_mux_fail_all,
	NULL,		/* a mux's own route is scoped as a whole */
	NULL,
	NULL,
	http_mux_session_away,
};

/* After a call into ep's mux: its outs are drained (serve's pump). */
static void
http_ep_pump(struct http *h, struct http_ep *ep)
{
	if (ep->pump != NULL && !h->freeing)
		ep->pump(ep->pump_arg);
}

/* After calls into every mux (a drain's end). */
static void
http_pump(struct http *h)
{
	size_t	i;

	for (i = 0; i < h->neps; i++)
		http_ep_pump(h, h->eps[i]);
}

/* ---- requests ---- */

static enum http_method
http_req_method(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return HTTP_M_GET;
	if (strcmp(m, "POST") == 0)
		return HTTP_M_POST;
	if (strcmp(m, "DELETE") == 0)
		return HTTP_M_DELETE;
	if (strcmp(m, "OPTIONS") == 0)
		return HTTP_M_OPTIONS;
	if (strcmp(m, "HEAD") == 0)
		return HTTP_M_HEAD;
	return HTTP_M_OTHER;
}

/*
 * An absolute-form target ("GET http://host:port/path"): an HTTP/1.1
 * server uses its host and ignores Host (RFC 9112 3.2.2), so the Host
 * checks see that.  Only http and https, with a host.  0, or -1 for a
 * target to refuse.
 */
static int
http_req_authority(struct http_req *req)
{
	const char	*scheme, *host;
	int		 port, n;

	req->authority[0] = '\0';
	if ((scheme = evhttp_uri_get_scheme(req->uri)) == NULL)
		return 0;
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
		return -1;
	if ((host = evhttp_uri_get_host(req->uri)) == NULL || *host == '\0')
		return -1;
	port = evhttp_uri_get_port(req->uri);
	n = snprintf(req->authority, sizeof req->authority,
	    strchr(host, ':') != NULL && host[0] != '[' ? "[%s]" : "%s", host);
	if (n > 0 && (size_t)n < sizeof req->authority && port > 0)
		n += snprintf(req->authority + n, sizeof req->authority - n,
		    ":%d", port);
	return n > 0 && (size_t)n < sizeof req->authority ? 0 : -1;
}

/*
 * What the handlers read of conn's request, taken now: an answer resets
 * the parser (its buffers stay as they are until the next request is
 * read, after http_request returns), so lookups must not go back to it.
 * -1 if the target is no URI (answered 400).
 */
static int
http_req_init(struct http *h, struct http_req *req, struct http_conn *conn)
{
	const struct http_parse	*p = http_conn_request(conn);
	const char		*target;
	size_t			 i, n;

	memset(req, 0, sizeof *req);
	req->conn = conn;
	req->method = http_req_method(http_parse_method(p));
	req->http11 = http_parse_minor(p) >= 1;
	target = http_parse_target(p);
	/*
	 * The usual target, "/path" with no query, fragment, colon or
	 * leading "//": evhttp's parse (below) would give it back whole as
	 * the path, with no query and no scheme, at the cost of a copy and
	 * five allocations per request (issue 20).  The parser's target
	 * lives as long as req's headers do.
	 */
	if (target[0] == '/' && target[1] != '/' &&
	    strpbrk(target, "?#:") == NULL) {
		req->path = target;
		goto headers;
	}
	/* As evhttp read the target. */
	if ((req->uri = evhttp_uri_parse_with_flags(target,
	    EVHTTP_URI_NONCONFORMANT)) == NULL) {
		http_conn_refuse(conn, 400, "bad request target");
		return -1;
	}
	req->path = evhttp_uri_get_path(req->uri);
	req->query = evhttp_uri_get_query(req->uri);
	if (http_req_authority(req) == -1) {
		http_conn_refuse(conn, 400, "bad request target");
		evhttp_uri_free(req->uri);
		req->uri = NULL;
		return -1;
	}
headers:
	n = http_parse_nheaders(p);
	if (n > h->hcap) {
		h->hnames = xreallocarray(h->hnames, n, sizeof *h->hnames);
		h->hvalues = xreallocarray(h->hvalues, n, sizeof *h->hvalues);
		h->hcap = n;
	}
	for (i = 0; i < n; i++)
		http_parse_header_at(p, i, &h->hnames[i], &h->hvalues[i]);
	req->nh = n;
	req->names = h->hnames;
	req->values = h->hvalues;
	req->body = http_parse_body(p, &req->body_len);
	if (req->body == NULL) {
		req->body = "";
		req->body_len = 0;
	}
	return 0;
}

static void
http_req_clear(struct http_req *req)
{
	if (req->uri != NULL)
		evhttp_uri_free(req->uri);
	req->uri = NULL;
	json_object_put(req->rpc_id);
	req->rpc_id = NULL;
}

/* A request answered later: its connection is all there is. */
static struct http_req *
http_req_later(struct http_req *req, struct http_conn *conn)
{
	if (conn == NULL)
		return NULL;
	memset(req, 0, sizeof *req);
	req->conn = conn;
	return req;
}

/* The first header of that name, as received. */
static const char *
http_req_header(const struct http_req *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nh; i++) {
		if (strcasecmp(req->names[i], name) == 0)
			return req->values[i];
	}
	return NULL;
}

/* A header for the answer. */
static void
http_req_add(struct http_req *req, const char *name, const char *value)
{
	(void)http_conn_header(req->conn, name, value);
}

/* The body received (not NUL-terminated). */
static const char *
http_req_body(const struct http_req *req, size_t *len)
{
	*len = req->body_len;
	return req->body;
}

/* The whole answer, with the headers added. */
static void
http_req_reply(struct http_req *req, int code, const char *reason,
    const char *body, size_t len)
{
	http_conn_reply(req->conn, code, reason, body, len);
}

/* ---- responses ---- */

static void
http_reply(struct http_req *req, int code, const char *reason,
    const char *content_type, const char *body)
{
	if (content_type != NULL)
		http_req_add(req, "Content-Type", content_type);
	http_req_reply(req, code, reason, body, body == NULL ? 0 :
	    strlen(body));
}

/* A JSON-RPC error as the body of an HTTP error: with the id of the
 * request it refuses, if one was read, else null. */
static void
http_reply_error(struct http_req *req, int code, const char *reason,
    int rpc_code, const char *message)
{
	json_object	*err;

	err = jsonrpc_error_new(req->rpc_id, rpc_code, message, NULL);
	http_reply(req, code, reason, "application/json",
	    json_object_to_json_string_ext(err, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(err);
}

static void
http_retry_after(struct http_req *req)
{
	char	buf[32];

	snprintf(buf, sizeof buf, "%d", HTTP_RETRY_AFTER_S);
	http_req_add(req, "Retry-After", buf);
}

/* 429 and 503 that a client may try again after a while. */
static void
http_reply_later(struct http_req *req, int code, const char *reason,
    unsigned long seconds, const char *message)
{
	char	buf[32];

	snprintf(buf, sizeof buf, "%lu", seconds == 0 ? 1 : seconds);
	http_req_add(req, "Retry-After", buf);
	http_reply_error(req, code, reason, JSONRPC_SERVER_ERROR, message);
}

static void
http_reply_allow(struct http_req *req, const char *allow)
{
	http_req_add(req, "Allow",
	    allow);
	http_reply_error(req, 405, "Method Not Allowed", JSONRPC_SERVER_ERROR,
	    "Method not allowed");
}

/* ---- header parsing ---- */

static int
http_token_eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* The media type of a Content-Type value, without parameters. */
static int
http_is_json(struct http *h)
{
	const char	*ct = h->hdr.content_type, *end;

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	end = ct + strcspn(ct, "; \t");
	return http_token_eq(ct, (size_t)(end - ct), "application/json");
}

/* A media type an Accept value is asked about: "major/minor", with its
 * length and the length of major, which no call need measure. */
struct http_media {
	const char	*type;
	size_t		 len;
	size_t		 mlen;
};
#define HTTP_MEDIA(major, minor) \
	{ major "/" minor, sizeof major "/" minor - 1, sizeof major - 1 }

/* Does one range of an Accept value (rlen bytes) match m?  Wildcards
 * count ("*\/\*", "major/\*"). */
static int
http_accepts_range(const char *range, size_t rlen, const struct http_media *m)
{
	if (rlen == 3 && memcmp(range, "*/*", 3) == 0)
		return 1;
	if (rlen == m->len && strncasecmp(range, m->type, rlen) == 0)
		return 1;
	return rlen == m->mlen + 2 && strncasecmp(range, m->type,
	    m->mlen) == 0 && range[m->mlen] == '/' && range[m->mlen + 1] == '*';
}

/*
 * Which of the n types an Accept value allows: bit i for types[i].  A
 * range with q=0 allows nothing.  No header at all allows everything
 * (RFC 9110).  One walk for all of them: a POST asks about two, and the
 * walk was 2% of a call (issue 20).
 */
static unsigned
http_accepts(const char *accept, const struct http_media *types, size_t n)
{
	const char	*p, *range, *end, *param, *q;
	size_t		 rlen, i;
	unsigned	 all = (1u << n) - 1, got = 0;

	if (accept == NULL)
		return all;
	for (p = accept; *p != '\0' && got != all;
	    p = *end == ',' ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (range = p; *range == ' ' || *range == '\t'; range++)
			continue;
		rlen = strcspn(range, ";, \t");
		if (range + rlen > end)
			rlen = (size_t)(end - range);

		/* q=0 means "not acceptable". */
		param = range + rlen;
		while ((param = memchr(param, ';', (size_t)(end - param))) != NULL) {
			param++;
			param += strspn(param, " \t");
			if ((param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
				q = param + 2;
				if (q[0] == '0' && strspn(q + 1, ".0") ==
				    strcspn(q + 1, ";, \t"))
					goto next;
			}
		}

		for (i = 0; i < n; i++)
			if (http_accepts_range(range, rlen, &types[i]))
				got |= 1u << i;
	next:
		;
	}
	return got;
}

/* What a Streamable HTTP POST must accept, and a GET. */
static const struct http_media http_post_types[] = {
	HTTP_MEDIA("application", "json"),
	HTTP_MEDIA("text", "event-stream"),
};
static const struct http_media http_get_types[] = {
	HTTP_MEDIA("text", "event-stream"),
};

/* MCP-Protocol-Version: absent means 2025-03-26; unknown is an error. */
static int
http_version_ok(struct http *h)
{
	return h->hdr.version_supported;
}

/* An MCP-Protocol-Version of no era the bridge speaks. */
static int
http_version_unknown(struct http *h)
{
	return !h->hdr.version_supported &&
	    strcmp(h->hdr.version, MCP_VERSION_2026_07_28) != 0;
}

/* modern_era(NULL, version)'s answer for the request's header, from
 * what was asked once: a version of no legacy era is a 2026-07-28
 * request. */
static int
http_version_modern(struct http *h)
{
	return !h->hdr.version_supported;
}


/*
 * The body as JSON (the connection answered 413 over --max-body).  On
 * failure answers the request (400 with a JSON-RPC parse error) and
 * returns NULL.
 */
static json_object *
http_body_json(struct http *h, struct http_req *req)
{
	json_object		*msg;
	const char		*data, *cause;
	size_t			 len;

	data = http_req_body(req, &len);	/* within --max-body: 413 */
	if ((msg = rawjson_request(data, len, &cause)) == NULL) {
		log_debug("http: unparseable body: %s", cause);
		http_reply_error(req, 400, "Bad Request", JSONRPC_PARSE_ERROR,
		    "Parse error");
		return NULL;
	}
	if (!json_object_is_type(msg, json_type_object) &&
	    !json_object_is_type(msg, json_type_array)) {
		json_object_put(msg);
		http_reply_error(req, 400, "Bad Request",
		    JSONRPC_INVALID_REQUEST, "Invalid Request");
		return NULL;
	}
	return msg;
}

static const char *
http_json_text(json_object *msg, size_t *len)
{
	const char	*s;

	/* The common answer, its result raw: written without json-c's
	 * writer (valid until the next call; every caller copies it). */
	if ((s = rawjson_text(msg, len)) != NULL)
		return s;
	s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, len);
	if (s == NULL)
		fatalx("json_object_to_json_string_length");
	return s;
}

/*
 * A request without a session under an unknown MCP-Protocol-Version (and
 * no _meta making it a 2026-07-28 one): 400 (2025-06-18 on) with the
 * 2026-07-28 error, which names every version that works, so that the
 * client can pick one whichever era it speaks.
 */
static void
http_reply_unsupported(struct http *h, struct http_req *req,
    json_object *msg)
{
	json_object	*data, *versions, *err;
	const char	*text;
	size_t		 len;

	http_note(h, "unsupported protocol version");
	versions = jsonrpc_versions_array();
	json_object_array_add(versions,
	    json_object_new_string(MCP_VERSION_2026_07_28));
	data = json_object_new_object();
	json_object_object_add(data, "supported", versions);
	json_object_object_add(data, "requested",
	    json_object_new_string(h->hdr.version));
	err = jsonrpc_error_new(json_object_is_type(msg, json_type_object) ?
	    jsonrpc_id(msg) : NULL, MCP_ERROR_UNSUPPORTED_VERSION,
	    "Unsupported protocol version", data);
	text = http_json_text(err, &len);
	http_reply(req, 400, "Bad Request", "application/json", text);
	json_object_put(err);
}

/* ---- a stream's connection (session_ops) ---- */

static void
http_stream_watch(struct http_conn *conn, void (*cb)(void *), void *cbarg,
    void *arg)
{
	http_conn_watch(conn, cb, cbarg);
}

static void
http_stream_start(struct http_conn *conn, void *arg)
{
	(void)http_conn_header(conn, "Content-Type", "text/event-stream");
	(void)http_conn_header(conn, "Cache-Control", "no-cache");
	(void)http_conn_header(conn, "X-Accel-Buffering", "no");
	http_conn_stream_start(conn, 200, "OK");
}

static void
http_stream_write(struct http_conn *conn, struct evbuffer *buf, void *arg)
{
	http_conn_stream_write(conn, buf);
}

static void
http_stream_end(struct http_conn *conn, void *arg)
{
	http_conn_stream_end(conn);
}

static void
http_stream_drop(struct http_conn *conn, void *arg)
{
	http_conn_close(conn, "dropped");
}

static size_t
http_stream_queued(const struct http_conn *conn, void *arg)
{
	return http_conn_output_length(conn);
}

/* ---- sessions ---- */

static void
http_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http	*h = arg;
	struct session	*sess;

	struct http_ep	*ep;

	while ((sess = sessions_first_dead(h->sessions)) != NULL) {
		if (sess->ms != NULL) {
			ep = sess->route;
			ep->ops->session_close(ep->arg, sess->ms);
			sess->ms = NULL;
			http_ep_pump(h, ep);
		}
		session_free(sess);
	}
}

/* The session is over: 404 for its id from now on, freed on the next
 * loop turn (we may be inside the pump or one of its callbacks). */
static void
http_session_kill(struct http *h, struct session *sess, const char *why)
{
	if (sess->dead)
		return;
	if (sess->kind != SESSION_STATELESS)
		metrics_mcp_session(clock_ms() - sess->created_ms);
	/* Its requests will not be answered to anybody. */
	h->in_flight -= sess->in_flight < h->in_flight ? sess->in_flight :
	    h->in_flight;
	sess->in_flight = 0;
	session_kill(sess, why);
	event_active(h->reap, EV_TIMEOUT, 1);
}

/* Drained: a held POST (no status sent yet) gets 503, no answer. */
static void
http_stream_refuse(struct stream *st)
{
	struct http_req	 r, *req;

	req = http_req_later(&r, st->conn);
	stream_forget(st);
	http_reply_error(req, 503, "Service Unavailable", JSONRPC_SERVER_ERROR,
	    "Server shutting down");
}

/* Drained: every held POST of sess gets its 503 (its event streams are
 * left to carry what is still owed them). */
static void
http_session_refuse_held(struct session *sess)
{
	struct stream	*st, *next;

	for (st = TAILQ_FIRST(&sess->streams); st != NULL; st = next) {
		next = TAILQ_NEXT(st, entry);
		if (st->conn == NULL || st->in_handler ||
		    st->state == STREAM_SSE)
			continue;
		http_stream_refuse(st);
		stream_gc(st);
	}
}

/* End a session politely: its event streams end, a held POST gets 404. */
static void
http_session_end(struct http *h, struct session *sess, const char *why)
{
	struct stream		*st, *next;
	struct http_req	 r, *req;

	/* A subscriptions/listen stream gets its graceful end first. */
	if (sess->kind == SESSION_STATELESS && sess->ms != NULL && !sess->dead) {
		http_sess_ep(sess)->ops->session_finish(
		    http_sess_ep(sess)->arg, sess->ms);
		http_ep_pump(h, sess->route);
	}
	for (st = TAILQ_FIRST(&sess->streams); st != NULL; st = next) {
		next = TAILQ_NEXT(st, entry);
		if (st->conn == NULL || st->in_handler)
			continue;
		if (st->state == STREAM_SSE)
			stream_end(st);
		else if (h->closing)
			http_stream_refuse(st);
		else {
			req = http_req_later(&r, st->conn);
			stream_forget(st);
			http_reply_error(req, 404, "Not Found",
			    JSONRPC_SESSION_NOT_FOUND, "Session not found");
		}
		stream_gc(st);
	}
	http_session_kill(h, sess, why);
}

static void
http_session_update(struct session *sess)
{
	const char	*v;

	if (sess->kind != SESSION_STREAMABLE || sess->ms == NULL)
		return;
	v = http_sess_ep(sess)->ops->session_version(sess->ms);
	sess->priming = v != NULL &&
	    jsonrpc_version_cmp(v, MCP_VERSION_2025_11_25) >= 0;
	sess->retry_ms = HTTP_RETRY_MS;
}

/*
 * Up to 2025-11-25 a closed connection is no cancel (a client may
 * resume), but a Streamable HTTP session with no connection left is away:
 * a turn it holds at its child does not wait for it for ever
 * (mux_session_away).
 */
static void
http_session_away(struct session *sess, int away)
{
	const struct http_ep	*ep = http_sess_ep(sess);

	if (sess->kind == SESSION_STREAMABLE && sess->ms != NULL &&
	    !sess->dead && ep->ops->session_away != NULL)
		ep->ops->session_away(sess->ms, away);
}

static void
http_connected(struct session *sess, int up, void *arg)
{
	(void)arg;
	http_session_away(sess, !up);
}

static void
http_lost(struct session *sess, struct stream *st, void *arg)
{
	struct http	*h = arg;

	/* A legacy session is its GET stream. */
	if (sess->kind == SESSION_LEGACY && st->no == 0)
		http_session_kill(h, sess, "client closed the event stream");
	/* 2026-07-28: closing the stream cancels the request. */
	if (sess->kind == SESSION_STATELESS)
		http_session_kill(h, sess, "client closed the stream");
}

static void
http_overflow(struct session *sess, int end, void *arg)
{
	struct http	*h = arg;

	metrics.slow_clients_dropped++;
	if (end)
		http_session_kill(h, sess, "undelivered output over --max-queue");
	else if (sess->kind != SESSION_STREAMABLE)
		http_session_kill(h, sess, "client too slow");
}

/* ---- Streamable HTTP ---- */

static int
http_hold_ms(const struct http *h, const struct session *sess)
{
	if (sess->priming && h->cfg->keepalive_ms > HTTP_POLL_MS)
		return HTTP_POLL_MS;
	return h->cfg->keepalive_ms;
}

/* Headers every answer to a POST of this stream carries. */
static void
http_stream_headers(struct stream *st, struct http_req *req)
{
	if (st->initialize && !st->init_failed)
		http_req_add(req, "Mcp-Session-Id", st->sess->id);
}

/* Answer a HELD stream with its final message as JSON: e from the log,
 * or (e NULL) text that stream_json_direct let by it. */
static void
http_answer_json(struct http *h, struct stream *st, struct session_entry *e,
    const char *text, size_t len)
{
	struct http_req		 r, *req = http_req_later(&r, st->conn);
	struct session_msg	*m = NULL;
	const char		*reason;
	int			 status = st->status;

	http_stream_headers(st, req);
	http_req_add(req, "Content-Type", "application/json");
	if (e != NULL) {
		m = session_msg_ref(e->msg);	/* e goes now */
		text = m->text;
		len = m->len;
	}
	stream_json_done(st, e);	/* forgets conn and e */
	switch (status) {
	case 400:
		reason = "Bad Request";
		break;
	case 404:
		reason = "Not Found";
		break;
	case 503:
		reason = "Service Unavailable";
		/* Busy (--max-children): worth trying again soon. */
		http_retry_after(req);
		break;
	default:
		reason = "OK";
		break;
	}
	http_req_reply(req, status, reason, text, len);
	if (m != NULL)
		session_msg_unref(m);
}

/*
 * Something arrived for a HELD stream (or its handler finished): answer
 * with JSON if it is the final message, else open the event stream.
 */
static void
http_kick(struct http *h, struct stream *st)
{
	struct session_entry	*e;
	struct http_req		 r;

	if (st->conn == NULL || st->in_handler || st->state != STREAM_HELD)
		return;
	if ((e = stream_json_final(st)) != NULL) {
		http_answer_json(h, st, e, NULL, 0);
		return;
	}
	if (st->seq <= st->sent)
		return;			/* nothing yet */
	http_session_update(st->sess);
	http_stream_headers(st, http_req_later(&r, st->conn));
	stream_open(st, st->conn, (uint64_t)-1);
}

static void
http_hold_expired(struct session *sess, struct stream *st, void *arg)
{
	struct http_req	r;

	http_session_update(sess);
	http_stream_headers(st, http_req_later(&r, st->conn));
	stream_open(st, st->conn, (uint64_t)-1);
	if (st->conn == NULL)
		return;
	if (sess->priming) {
		/* Primed with an id and a retry field: let the client come
		 * back with GET and Last-Event-ID instead of holding on. */
		log_debug("session %.8s: stream %llu slow, client will poll",
		    sess->hex, (unsigned long long)st->no);
		stream_end(st);
	} else
		stream_comment(st, "keepalive");
	stream_gc(st);
}

/*
 * A POST whose request was cancelled ends with the events it had, or
 * (nothing sent yet) as an empty event stream, which needs no priming a
 * 2025-11-25 client would come back for.
 */
static void
http_end_cancelled(struct stream *st)
{
	struct http_req	 r, *req = http_req_later(&r, st->conn);

	if (req == NULL || st->in_handler)
		return;
	if (st->state == STREAM_HELD && st->seq <= st->sent) {
		stream_forget(st);
		http_stream_headers(st, req);
		http_reply(req, 200, "OK", "text/event-stream", NULL);
	} else if (st->state == STREAM_HELD) {
		http_stream_headers(st, req);
		/* It ends after them. */
		stream_open(st, st->conn, (uint64_t)-1);
	} else
		stream_flush(st);			/* the same */
}

static int
http_is_initialize(json_object *msg)
{
	const char	*method;

	if (jsonrpc_classify(msg) != JSONRPC_REQUEST)
		return 0;
	method = jsonrpc_method(msg);
	return method != NULL && strcmp(method, "initialize") == 0;
}

static struct session *
http_mcp_session(struct http *h, struct http_req *req)
{
	const char	*sid;
	struct session	*sess;

	if ((sid = h->hdr.session_id) == NULL) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: Mcp-Session-Id header is required");
		return NULL;
	}
	if ((sess = session_find(h->sessions, sid, SESSION_STREAMABLE)) == NULL ||
	    sess->token != h->owner || sess->route != h->ep) {
		/* Another token's session is as unknown as a missing one,
		 * and so is another endpoint's. */
		http_note_unknown(h, sess, sid);
		http_reply_error(req, 404, "Not Found",
		    JSONRPC_SESSION_NOT_FOUND, "Session not found");
		return NULL;
	}
	http_note_session(h, sess);
	sess->active_ms = clock_ms();
	/* A request of a session with no connection: still there, so a
	 * turn it holds waits again (mux_session_away restarts its time). */
	if (sess->nconn == 0)
		http_session_away(sess, 1);
	return sess;
}

/* How many requests a message (or batch) holds: each takes an answer,
 * and each counts against --max-in-flight. */
static size_t
http_requests(json_object *msg)
{
	size_t	i, n, count = 0;

	switch (jsonrpc_classify(msg)) {
	case JSONRPC_REQUEST:
		return 1;
	case JSONRPC_BATCH:
		n = json_object_array_length(msg);
		for (i = 0; i < n; i++) {
			if (jsonrpc_classify(json_object_array_get_idx(msg,
			    i)) == JSONRPC_REQUEST)
				count++;
		}
		return count;
	default:
		return 0;
	}
}

/* May a new session start?  Answers 503 if not. */
static int
http_session_allowed(struct http *h, struct http_req *req)
{
	if (h->draining) {
		http_note(h, "draining");
		http_reply_later(req, 503, "Service Unavailable",
		    HTTP_RETRY_AFTER_S, "Server shutting down");
		return 0;
	}
	if (h->cfg->max_sessions != 0 &&
	    sessions_count(h->sessions) >= h->cfg->max_sessions) {
		http_note(h, "too many sessions");
		http_reply_later(req, 503, "Service Unavailable",
		    HTTP_RETRY_AFTER_S, "Service Unavailable: too many "
		    "sessions");
		return 0;
	}
	return 1;
}

/*
 * A batch on a session negotiated at 2025-06-18 or later: 400 (batching
 * left the protocol then), before any of it runs.  Before initialize is
 * answered there is no version yet; the batch is the mux's to refuse.
 */
static int
http_batch_ok(struct http *h, struct http_req *req,
    struct session *sess, json_object *msg)
{
	const char	*version;
	char		*text;

	if (!json_object_is_type(msg, json_type_array))
		return 1;
	version = http_sess_ep(sess)->ops->session_version(sess->ms);
	if (version == NULL ||
	    jsonrpc_version_cmp(version, MCP_VERSION_2025_06_18) < 0)
		return 1;
	http_note(h, "batch in a version without batches");
	xasprintf(&text, "batching is not supported in protocol version %s",
	    version);
	http_reply_error(req, 400, "Bad Request", JSONRPC_INVALID_REQUEST,
	    text);
	free(text);
	return 0;
}

/*
 * May a message with a request go to this session now?  Answers 503
 * (draining) or 429 (--max-in-flight) if not.  Answers and notifications
 * always pass: a request in flight may be waiting for them.  A batch
 * counts as the requests it holds and passes whole or not at all (no
 * member runs, so a retry repeats nothing); one holding more than may
 * ever be in flight gets 400, not a Retry-After it could never meet.
 */
static int
http_request_allowed(struct http *h, struct http_req *req,
    struct session *sess, json_object *msg, size_t n)
{
	size_t	max = h->cfg->max_in_flight;

	if (!http_batch_ok(h, req, sess, msg))
		return 0;
	if (n == 0)
		return 1;
	if (h->draining) {
		http_note(h, "draining");
		http_reply_later(req, 503, "Service Unavailable",
		    HTTP_RETRY_AFTER_S, "Server shutting down");
		return 0;
	}
	if (((struct http_ep *)sess->route)->draining) {
		http_note(h, "server removed");
		http_reply_later(req, 503, "Service Unavailable",
		    HTTP_RETRY_AFTER_S, "Service Unavailable: this server was "
		    "removed");
		return 0;
	}
	if (max != 0 && n > max) {
		http_note(h, "batch over --max-in-flight");
		http_reply_error(req, 400, "Bad Request", JSONRPC_INVALID_REQUEST,
		    "Bad Request: the batch holds more requests than may be in "
		    "flight in a session");
		return 0;
	}
	if (max != 0 && sess->in_flight + n > max) {
		http_note(h, "too many requests in flight");
		http_reply_later(req, 429, "Too Many Requests",
		    HTTP_RETRY_AFTER_S, "Too Many Requests: too many requests "
		    "in flight in this session");
		return 0;
	}
	return 1;
}

/* A tools/call's tool, as a label of the MCP metrics: one that a
 * tools/list answer named, so that no client makes up labels.  method
 * is msg's, for a message that is no batch. */
static int
http_metrics_tool(const struct http_ep *ep, json_object *msg,
    const char *method)
{
	const char	*name;
	json_object	*v;

	if (!json_object_is_type(msg, json_type_object) ||
	    strcmp(method, "tools/call") != 0)
		return METRICS_MCP_NO_TOOL;
	v = jsonrpc_get(jsonrpc_params(msg), "name", json_type_string);
	name = v != NULL ? json_object_get_string(v) : NULL;
	/* A NUL in it would make "crash\u0000 ok" count as "crash". */
	if (name == NULL || strlen(name) !=
	    (size_t)json_object_get_string_len(v) ||
	    !ep->ops->tool_named(ep->arg, name))
		return METRICS_MCP_TOOL_OTHER;
	return metrics_mcp_tool(name);
}

/* An answer's error.type (the conventions'): NULL for a success. */
static const char *
http_error_type(json_object *msg, char *buf, size_t size)
{
	json_object	*err, *code, *res;

	if (!json_object_is_type(msg, json_type_object))
		return "_OTHER";
	if ((err = jsonrpc_get(msg, "error", json_type_object)) != NULL) {
		if ((code = jsonrpc_get(err, "code", json_type_int)) == NULL)
			return "_OTHER";
		snprintf(buf, size, "%lld", (long long)
		    json_object_get_int64(code));
		return buf;
	}
	if (jsonrpc_member(msg, "result", &res) && mcpwire_tool_error(res))
		return "tool_error";
	return NULL;
}

/* The span hook: the requests of the POST being handled start. */
static void
http_trace_start(struct http *h, struct session *sess, json_object *msg)
{
	struct http_trace_info	info;

	memset(&info, 0, sizeof info);
	/* Two traceparent lines: which is meant cannot be told, as when
	 * they come folded into one (W3C): no parent. */
	if (h->hdr.ntraceparent == 1) {
		info.traceparent = h->hdr.traceparent;
		info.tracestate = h->hdr.tracestate;
	}
	info.version = h->hdr.version;
	info.peer = h->cur != NULL ? http_conn_peer(h->cur) : NULL;
	info.route = ((const struct http_ep *)sess->route)->pump_arg;
	info.session = sess;
	info.negotiated = ((const struct http_ep *)sess->route)->ops->
	    session_version(sess->ms);
	/* The aggregated endpoint's sessions are no mux's. */
	h->trace(h->trace_arg, ((const struct http_ep *)sess->route)->mux ==
	    NULL ? NULL : sess->ms, msg, &info);
}

/* The n requests of msg (http_requests) start on st: they count until
 * its final answer. */
static void
http_request_start(struct http *h, struct session *sess, struct stream *st,
    json_object *msg, size_t n)
{
	json_object	*first = msg;
	const char	*method;

	if (n == 0)
		return;
	if (json_object_is_type(msg, json_type_array))
		first = json_object_array_get_idx(msg, 0);
	st->request = n;
	method = jsonrpc_method(first);		/* msg's, if no batch */
	st->method = (int)metrics_method(method);
	st->start_ms = clock_ms();
	st->tool = http_metrics_tool(sess->route, msg, method);
	if (h->trace != NULL)
		http_trace_start(h, sess, msg);
	sess->in_flight += n;
	h->in_flight += n;
}

/* st's request got its final answer (msg, or none). */
static void
http_request_end(struct http *h, struct session *sess, struct stream *st,
    json_object *msg)
{
	struct http_ep	*ep = sess->route;
	size_t		 n = st->request;
	char		 type[24];
	int		 error;

	if (n == 0)
		return;
	st->request = 0;
	if (sess->dead)
		return;		/* http_session_kill took it off */
	sess->in_flight -= n < sess->in_flight ? n : sess->in_flight;
	h->in_flight -= n < h->in_flight ? n : h->in_flight;
	if (msg != NULL) {
		error = !json_object_is_type(msg, json_type_object) ||
		    jsonrpc_member(msg, "error", NULL);
		metrics_request_done((enum metrics_method)st->method, error,
		    clock_ms() - st->start_ms);
		/* A named server's, or the aggregated endpoint's (its
		 * requests at the servers are not theirs). */
		if (ep != NULL && (ep->name != NULL || ep->mux == NULL))
			metrics_requests_done(&ep->requests,
			    (enum metrics_method)st->method, error,
			    clock_ms() - st->start_ms);
		metrics_mcp_operation((enum metrics_method)st->method, st->tool,
		    http_error_type(msg, type, sizeof type),
		    clock_ms() - st->start_ms);
	}
}

/* ---- 2026-07-28 (stateless) requests ---- */

static const char *
http_header_cb(void *arg, const char *name)
{
	struct http_req		*req = arg;
	const char		*found = NULL;
	size_t			 i;

	for (i = 0; i < req->nh; i++) {
		if (strcasecmp(req->names[i], name) != 0)
			continue;
		if (found != NULL)
			return modern_header_repeated;
		found = req->values[i];
	}
	return found;
}

/*
 * A tools/call's Mcp-Param-* headers, for a tool whose annotations a
 * tools/list answer showed (the child never sees the headers, so the
 * bridge is the server that must check them); a tool not listed yet goes
 * unchecked.  NULL, or the error response and *status.
 */
static json_object *
http_check_params(struct http *h, struct http_req *req,
    json_object *msg, int *status)
{
	json_object	*name, *spec;

	if (strcmp(jsonrpc_method(msg), "tools/call") != 0 ||
	    !json_object_object_get_ex(jsonrpc_params(msg), "name", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    (spec = h->ep->ops->tool_headers(h->ep->arg,
	    json_object_get_string(name))) ==
	    NULL)
		return NULL;
	*status = 400;
	return modern_check_params(msg, http_header_cb, req, spec);
}

/*
 * A stateless request's session is done once its answer is out: nothing
 * else will ever come for it.
 */
static void
http_stateless_done(struct http *h, struct session *sess)
{
	struct stream	*st;

	if (sess->kind != SESSION_STATELESS || sess->dead)
		return;
	TAILQ_FOREACH(st, &sess->streams, entry) {
		if (st->no != 0 && (!st->finished || st->conn != NULL ||
		    st->in_handler))
			return;
	}
	http_session_kill(h, sess, "answered");
}

/* The request's scopes to its session's endpoint, if it asks. */
static void
http_grant(struct http *h, struct session *sess)
{
	const struct http_ep	*ep = http_sess_ep(sess);

	if (ep->ops->set_grant != NULL)
		ep->ops->set_grant(sess->ms, h->grant, h->ngrant,
		    h->grant_all);
}

/*
 * A 2026-07-28 request: headers checked against the body first (their
 * errors are answered here), then a session of its own for as long as it
 * lives, so that its answer (or first message) chooses the response's
 * status and type and its client closing the stream cancels it.
 */
static void
http_stateless_post(struct http *h, struct http_req *req,
    json_object *msg)
{
	struct session	*sess;
	struct stream	*st;
	json_object	*err;
	const char	*text;
	size_t		 len;
	int		 status, listen;
	enum mux_recv	 r;

	switch (jsonrpc_classify(msg)) {
	case JSONRPC_NOTIFICATION:
		/* None is defined over HTTP (closing a stream cancels), but
		 * a version nobody here speaks is refused as for a request. */
		json_object_put(msg);
		if (h->hdr.version != NULL &&
		    strcmp(h->hdr.version, MCP_VERSION_2026_07_28) != 0) {
			http_reply_error(req, 400, "Bad Request",
			    MCP_ERROR_UNSUPPORTED_VERSION, "Unsupported "
			    "protocol version");
			return;
		}
		http_reply(req, 202, "Accepted", NULL, NULL);
		return;
	case JSONRPC_REQUEST:
		break;
	default:
		json_object_put(msg);
		http_reply_error(req, 400, "Bad Request",
		    JSONRPC_INVALID_REQUEST, "Invalid Request: one JSON-RPC "
		    "request or notification is expected");
		return;
	}
	if ((err = modern_check(msg, http_header_cb, req, &status)) != NULL ||
	    (err = http_check_params(h, req, msg, &status)) != NULL) {
		http_note(h, "headers or _meta refused");
		json_object_put(msg);
		text = http_json_text(err, &len);
		http_reply(req, status, "Bad Request", "application/json",
		    text);
		json_object_put(err);
		return;
	}
	/* It is a session while it runs, and counts as one. */
	if (!http_session_allowed(h, req)) {
		json_object_put(msg);
		return;
	}

	sess = session_new(h->sessions, SESSION_STATELESS);
	sess->token = h->owner;
	session_set_claims(sess, h->claims);
	sess->active_ms = clock_ms();
	sess->route = h->ep;
	sess->ms = h->ep->ops->session_new(h->ep->arg,
	    MUX_TRANSPORT_STATELESS, sess);
	h->ep->ops->set_principal(sess->ms, h->owner);

	st = stream_new(sess);
	st->in_handler = 1;
	/* A listen stream is no request in flight: draining ends it. */
	listen = strcmp(jsonrpc_method(msg), "subscriptions/listen") == 0;
	if (!listen)
		http_request_start(h, sess, st, msg, http_requests(msg));
	stream_hold(st, h->cur, 0);
	http_grant(h, sess);
	r = h->ep->ops->session_recv(h->ep->arg, sess->ms, msg, st->no);
	http_ep_pump(h, h->ep);
	st->in_handler = 0;
	if (r != MUX_RECV_REPLY) {
		http_request_end(h, sess, st, NULL);
		if (stream_json_final(st) == NULL) {
			st->finished = 1;
			stream_forget(st);
			http_reply_error(req, 400, "Bad Request",
			    JSONRPC_INVALID_REQUEST, "Invalid Request");
		}
	}
	http_kick(h, st);
	if (st->state == STREAM_HELD)
		stream_hold(st, h->cur, h->cfg->keepalive_ms);
	stream_gc(st);
	http_stateless_done(h, sess);
}

static void
http_mcp_post(struct http *h, struct http_req *req)
{
	const char		*accept;
	json_object		*msg;
	struct session		*sess;
	struct stream		*st;
	enum mux_recv		 r;
	enum modern_era		 era;
	size_t			 n;
	int			 created = 0;

	accept = h->hdr.accept;
	if (http_accepts(accept, http_post_types, 2) != 3) {
		http_reply_error(req, 406, "Not Acceptable", JSONRPC_SERVER_ERROR,
		    "Not Acceptable: Client must accept both application/json "
		    "and text/event-stream");
		return;
	}
	if (!http_is_json(h)) {
		http_reply_error(req, 415, "Unsupported Media Type",
		    JSONRPC_SERVER_ERROR, "Unsupported Media Type: "
		    "Content-Type must be application/json");
		return;
	}
	if ((msg = http_body_json(h, req)) == NULL)
		return;
	http_note_method(h, req, msg);
	/*
	 * The era is chosen per request (2026-07-28: by its _meta, or the
	 * header).  A header of no era, without _meta: 400 here without a
	 * session, from the legacy check below in one.  Its _meta is
	 * looked at once: modern_era(msg, version) is the era of the _meta
	 * or, for an object, of the version.
	 */
	era = modern_era(msg, NULL);
	if (era == MODERN_ERA_LEGACY && http_version_unknown(h)) {
		if (h->hdr.session_id == NULL) {
			http_reply_unsupported(h, req, msg);
			json_object_put(msg);
			return;
		}
	} else if (era == MODERN_ERA_MODERN ||
	    (json_object_is_type(msg, json_type_object) &&
	    http_version_modern(h))) {
		http_stateless_post(h, req, msg);
		return;
	}
	if (!http_version_ok(h)) {
		json_object_put(msg);
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: Unsupported protocol version");
		return;
	}

	n = http_requests(msg);
	if (h->hdr.session_id == NULL && http_is_initialize(msg)) {
		if (!http_session_allowed(h, req)) {
			json_object_put(msg);
			return;
		}
		/* A new session (2026-07-28 requests went above). */
		sess = session_new(h->sessions, SESSION_STREAMABLE);
		sess->token = h->owner;
		session_set_claims(sess, h->claims);
		sess->active_ms = clock_ms();
		sess->route = h->ep;
		sess->ms = h->ep->ops->session_new(h->ep->arg,
		    MUX_TRANSPORT_STREAMABLE, sess);
		h->ep->ops->set_principal(sess->ms, h->owner);
		http_ep_pump(h, h->ep);
		created = 1;
		metrics.sessions_created[METRICS_STREAMABLE]++;
		http_note_session(h, sess);
		log_info("session %.8s: new Streamable HTTP session", sess->hex);
	} else if ((sess = http_mcp_session(h, req)) == NULL) {
		json_object_put(msg);
		return;
	} else if (!http_request_allowed(h, req, sess, msg, n)) {
		json_object_put(msg);
		return;
	}

	st = stream_new(sess);
	st->initialize = created;
	st->in_handler = 1;
	http_request_start(h, sess, st, msg, n);
	stream_hold(st, h->cur, 0);
	http_grant(h, sess);
	r = h->ep->ops->session_recv(h->ep->arg, sess->ms, msg, st->no);
	http_ep_pump(h, h->ep);
	st->in_handler = 0;
	if (r != MUX_RECV_REPLY)
		http_request_end(h, sess, st, NULL);

	switch (r) {
	case MUX_RECV_ACCEPTED:
		st->finished = 1;
		stream_forget(st);
		http_reply(req, 202, "Accepted", NULL, NULL);
		break;
	case MUX_RECV_INVALID:
	case MUX_RECV_BUSY:
		st->status = r == MUX_RECV_INVALID ? 400 : 503;
		if (created)
			st->init_failed = 1;
		if (stream_json_final(st) == NULL) {
			st->finished = 1;
			stream_forget(st);
			http_reply_error(req, st->status, NULL,
			    JSONRPC_INVALID_REQUEST, "Invalid Request");
		} else
			http_kick(h, st);
		break;
	case MUX_RECV_REPLY:
		if (sess->dead && stream_json_final(st) == NULL) {
			st->finished = 1;
			stream_forget(st);
			http_reply_error(req, 404, "Not Found",
			    JSONRPC_SESSION_NOT_FOUND, "Session not found");
			break;
		}
		http_kick(h, st);
		if (st->state == STREAM_HELD && st->finished)
			http_end_cancelled(st);	/* by a member of its batch */
		else if (st->state == STREAM_HELD) {
			http_session_update(sess);
			stream_hold(st, h->cur, http_hold_ms(h, sess));
		}
		break;
	}
	if (st->init_failed || (created && r != MUX_RECV_REPLY))
		http_session_kill(h, sess, "initialize failed");
	stream_gc(st);
}

static void
http_mcp_get(struct http *h, struct http_req *req)
{
	struct session		*sess;
	struct stream		*st;
	const char		*last;
	uint64_t		 no, seq;

	if (!http_accepts(h->hdr.accept, http_get_types, 1)) {
		http_reply_error(req, 406, "Not Acceptable", JSONRPC_SERVER_ERROR,
		    "Not Acceptable: Client must accept text/event-stream");
		return;
	}
	if (!http_version_ok(h)) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: Unsupported protocol version");
		return;
	}
	if ((sess = http_mcp_session(h, req)) == NULL)
		return;
	http_session_update(sess);

	if ((last = h->hdr.last_event_id) == NULL) {
		st = stream_find(sess, 0);
		if (st->conn != NULL) {
			http_reply_error(req, 409, "Conflict",
			    JSONRPC_SERVER_ERROR, "Conflict: Only one SSE "
			    "stream is allowed per session");
			return;
		}
		stream_open(st, h->cur, (uint64_t)-1);
		return;
	}

	/* Resumption: "<stream>-<seq>" names the stream and where the
	 * client is; it continues on this response. */
	if (session_event_id_parse(last, &no, &seq) == -1 ||
	    no >= sess->next_stream) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: unknown Last-Event-ID");
		return;
	}
	if ((st = stream_find(sess, no)) == NULL)
		st = stream_revive(sess, no, seq);
	if (seq > st->seq) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: unknown Last-Event-ID");
		stream_gc(st);
		return;
	}
	if (st->finished && seq == st->seq) {
		/*
		 * Over, and the client has all of it (or what it lacks was
		 * evicted from the log): an event stream with only a priming
		 * event in it would have a polling client back every retry
		 * for ever (the TypeScript SDK's after a cancel or an error
		 * answer).  204 is how SSE says "do not reconnect"; without a
		 * Content-Type, as no event stream follows.
		 */
		log_debug("session %.8s: stream %llu is over, nothing after "
		    "%llu", sess->hex, (unsigned long long)no,
		    (unsigned long long)seq);
		http_reply(req, 204, "No Content", NULL, NULL);
		stream_gc(st);
		return;
	}
	if (st->conn != NULL) {
		/* The client left that connection behind: this one wins. */
		if (st->state == STREAM_SSE)
			stream_end(st);
		else
			stream_drop(st);
	}
	log_debug("session %.8s: stream %llu resumed after %llu", sess->hex,
	    (unsigned long long)no, (unsigned long long)seq);
	stream_open(st, h->cur, seq);
	stream_gc(st);
}

static void
http_mcp_delete(struct http *h, struct http_req *req)
{
	struct session	*sess;

	if (!http_version_ok(h)) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: Unsupported protocol version");
		return;
	}
	if ((sess = http_mcp_session(h, req)) == NULL)
		return;
	http_session_end(h, sess, "deleted by the client");
	http_reply(req, 200, "OK", NULL, NULL);
}

static void
http_mcp(struct http *h, struct http_req *req)
{
	switch (req->method) {
	case HTTP_M_POST:
		http_mcp_post(h, req);
		break;
	case HTTP_M_GET:
	case HTTP_M_DELETE:
		/* 2026-07-28 has no GET stream and no session to delete;
		 * an unknown version gets 400 from the legacy check. */
		if (!http_version_unknown(h) &&
		    http_version_modern(h)) {
			http_reply_allow(req, "POST");
			break;
		}
		if (req->method == HTTP_M_GET)
			http_mcp_get(h, req);
		else
			http_mcp_delete(h, req);
		break;
	default:
		http_reply_allow(req, "GET, POST, DELETE");
		break;
	}
}

/* ---- legacy HTTP+SSE ---- */

static void
http_sse(struct http *h, struct http_req *req)
{
	struct session	*sess;
	struct stream	*st;
	char		*endpoint;

	if (req->method != HTTP_M_GET) {
		http_reply_allow(req, "GET");
		return;
	}
	if (!http_session_allowed(h, req))
		return;
	sess = session_new(h->sessions, SESSION_LEGACY);
	sess->token = h->owner;
	session_set_claims(sess, h->claims);
	sess->active_ms = clock_ms();
	sess->route = h->ep;
	sess->ms = h->ep->ops->session_new(h->ep->arg, MUX_TRANSPORT_SSE,
	    sess);
	h->ep->ops->set_principal(sess->ms, h->owner);
	metrics.sessions_created[METRICS_SSE]++;
	http_note_session(h, sess);
	http_ep_pump(h, h->ep);
	st = stream_find(sess, 0);
	stream_open(st, h->cur, (uint64_t)-1);
	xasprintf(&endpoint, "%s?sessionId=%s", h->ep->message_path,
	    sess->id);
	stream_send_event(st, "endpoint", endpoint);
	free(endpoint);
	log_info("session %.8s: new HTTP+SSE session", sess->hex);
}

static char *
http_query_param(struct http_req *req, const char *name)
{
	struct evkeyvalq	 params;
	const char		*query, *v;
	char			*value = NULL;

	/* A decoded value is a C string: "id%00x" would end at the NUL and
	 * read as "id".  No parameter of ours may hold one. */
	if ((query = req->query) == NULL || strstr(query, "%00") != NULL)
		return NULL;
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(query, &params) == 0 &&
	    (v = evhttp_find_header(&params, name)) != NULL)
		value = xstrdup(v);
	evhttp_clear_headers(&params);
	return value;
}

/* How many parameters of the query are named name, as sent. */
static int
http_query_count(struct http_req *req, const char *name)
{
	const char	*p = req->query;
	size_t		 len = strlen(name), n;
	int		 count = 0;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, "&;");
		if (n > len && strncmp(p, name, len) == 0 && p[len] == '=')
			count++;
		else if (n == len && strncmp(p, name, len) == 0)
			count++;
		p += n;
		if (*p != '\0')
			p++;
	}
	return count;
}

static void
http_message(struct http *h, struct http_req *req)
{
	struct session		*sess;
	struct session_entry	*e, *final = NULL;
	struct stream		*st;
	json_object		*msg;
	enum mux_recv		 r;
	uint64_t		 no;
	size_t			 n;
	char			*sid;

	if (req->method != HTTP_M_POST) {
		http_reply_allow(req, "POST");
		return;
	}
	/* Twice is refused, not the first taken: a proxy that routes by
	 * the last would send it to another session than we would. */
	if (req->query != NULL && strstr(req->query, "%00") != NULL) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: a NUL (%00) in the query");
		return;
	}
	if (http_query_count(req, "sessionId") > 1) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: sessionId given more than once");
		return;
	}
	if ((sid = http_query_param(req, "sessionId")) == NULL) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: sessionId is required");
		return;
	}
	sess = session_find(h->sessions, sid, SESSION_LEGACY);
	if (sess == NULL || sess->token != h->owner || sess->route != h->ep) {
		http_note_unknown(h, sess, sid);
		free(sid);
		http_reply_error(req, 404, "Not Found",
		    JSONRPC_SESSION_NOT_FOUND, "Session not found");
		return;
	}
	free(sid);
	http_note_session(h, sess);
	sess->active_ms = clock_ms();
	if (!http_is_json(h)) {
		http_reply_error(req, 415, "Unsupported Media Type",
		    JSONRPC_SERVER_ERROR, "Unsupported Media Type: "
		    "Content-Type must be application/json");
		return;
	}
	if ((msg = http_body_json(h, req)) == NULL)
		return;
	http_note_method(h, req, msg);
	n = http_requests(msg);
	if (!http_request_allowed(h, req, sess, msg, n)) {
		json_object_put(msg);
		return;
	}

	/* What comes back for this POST during the call is held aside: an
	 * error for a rejected message is this response's body.  Its stream
	 * carries nothing: it counts the request until its answer comes on
	 * the session's event stream. */
	st = stream_new(sess);
	st->in_handler = 1;
	no = st->no;
	http_request_start(h, sess, st, msg, n);
	sess->capture_stream = no;
	http_grant(h, sess);
	r = h->ep->ops->session_recv(h->ep->arg, sess->ms, msg, no);
	http_ep_pump(h, h->ep);
	sess->capture_stream = 0;
	st->in_handler = 0;
	if (r != MUX_RECV_REPLY) {
		http_request_end(h, sess, st, NULL);
		st->finished = 1;
	}
	stream_gc(st);

	while ((e = TAILQ_FIRST(&sess->capture)) != NULL) {
		TAILQ_REMOVE(&sess->capture, e, entry);
		if (e->final && (r == MUX_RECV_INVALID || r == MUX_RECV_BUSY) &&
		    final == NULL) {
			final = e;
			continue;
		}
		if (!sess->dead)
			session_push_msg(sess, 0, e->msg, 0);
		session_msg_unref(e->msg);
		free(e);
	}

	switch (r) {
	case MUX_RECV_INVALID:
	case MUX_RECV_BUSY:
		if (r == MUX_RECV_BUSY)
			http_retry_after(req);
		if (final != NULL)
			http_reply(req, r == MUX_RECV_BUSY ? 503 : 400,
			    r == MUX_RECV_BUSY ? "Service Unavailable" :
			    "Bad Request", "application/json", final->msg->text);
		else
			http_reply_error(req, r == MUX_RECV_BUSY ? 503 : 400,
			    NULL, JSONRPC_INVALID_REQUEST, "Invalid Request");
		break;
	default:
		http_reply(req, 202, "Accepted", "text/plain", "Accepted");
		break;
	}
	if (final != NULL) {
		session_msg_unref(final->msg);
		free(final);
	}
}

/* ---- probes and routing ---- */

/* Ready when every endpoint's server is (none yet: not ready). */
static int
http_all_ready(struct http *h)
{
	size_t	i, n = 0;

	for (i = 0; i < h->neps; i++) {
		if (h->eps[i]->dead || h->eps[i]->draining)
			continue;
		if (!h->eps[i]->ops->ready(h->eps[i]->arg))
			return 0;
		n++;
	}
	return n > 0;
}

/* ready: 0 for /healthz, 1 for /readyz (all servers), or 2 for one
 * server's /servers/NAME/readyz (ep). */
static void
http_probe_ep(struct http *h, struct http_req *req, int ready,
    struct http_ep *ep)
{
	if (req->method != HTTP_M_GET &&
	    req->method != HTTP_M_HEAD) {
		http_reply_allow(req, "GET, HEAD");
		return;
	}
	if (!ready)
		http_reply(req, 200, "OK", "text/plain", "ok\n");
	else if ((ready == 2 ? ep->ops->ready(ep->arg) : http_all_ready(h)) &&
	    !h->draining && (h->oauth == NULL ||
	    jwks_ready(http_auth_oauth(h->oauth)->jwks)))
		http_reply(req, 200, "OK", "text/plain", "ready\n");
	else
		http_reply(req, 503, "Service Unavailable", "text/plain",
		    h->draining ? "draining\n" : "not ready\n");
}

static void
http_probe(struct http *h, struct http_req *req, int ready)
{
	http_probe_ep(h, req, ready, NULL);
}

/*
 * prefix + /servers/NAME/readyz: one named server's readiness, for a
 * balancer that routes by server (/readyz waits for all of them).  1 if
 * path is one of those (answered), else 0.
 */
static int
http_server_probe(struct http *h, struct http_req *req, const char *path,
    const char *prefix)
{
	size_t		 i, plen = strlen(prefix), nlen;
	const char	*name;

	if (strncmp(path, prefix, plen) != 0 ||
	    strncmp(path + plen, "/servers/", 9) != 0)
		return 0;
	name = path + plen + 9;
	nlen = strcspn(name, "/");
	if (strcmp(name + nlen, "/readyz") != 0)
		return 0;
	for (i = 0; i < h->neps; i++)
		if (h->eps[i]->name != NULL && !h->eps[i]->dead &&
		    !h->eps[i]->draining &&
		    strlen(h->eps[i]->name) == nlen &&
		    strncmp(h->eps[i]->name, name, nlen) == 0) {
			http_probe_ep(h, req, 2, h->eps[i]);
			return 1;
		}
	return 0;
}

/*
 * The port of a Host value, if any, is digits and at most 65535 (RFC 3986
 * 3.2.3; empty is allowed): "127.0.0.1:abc" is no host of ours, and the
 * allow-list check below only looks at the name.
 */
static int
http_host_port_ok(const char *host)
{
	const char	*port;
	size_t		 n, i;
	unsigned long	 v = 0;

	if (host[0] == '[') {
		if ((port = strchr(host, ']')) == NULL)
			return 0;
		port++;
		if (*port == '\0')
			return 1;
		if (*port != ':')
			return 0;
	} else if ((port = strchr(host, ':')) == NULL)
		return 1;
	port++;
	n = strspn(port, "0123456789");
	if (port[n] != '\0' || n > 5)
		return 0;
	/* At most five digits: added up here, as strtol costs more than
	 * the rest of the check and runs for every request (issue 20). */
	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(port[i] - '0');
	return v <= 65535;
}

/* Another tracestate line after the first: the list goes on (a line
 * that does not fit whole is left out). */
static void
http_tracestate_join(struct http *h, const char *value)
{
	struct http_hdrs	*hd = &h->hdr;
	size_t			 at;

	if (hd->tracestate != h->tracestate) {
		if (strlen(hd->tracestate) > HTTP_TRACESTATE_MAX)
			return;
		memcpy(h->tracestate, hd->tracestate,
		    strlen(hd->tracestate) + 1);
		hd->tracestate = h->tracestate;
	}
	at = strlen(h->tracestate);
	if (at + 1 + strlen(value) > HTTP_TRACESTATE_MAX)
		return;
	h->tracestate[at] = ',';
	memcpy(h->tracestate + at + 1, value, strlen(value) + 1);
}

/*
 * Is key, a name of lit's length (the switch below chose lit by it),
 * lit without case?  lit is spelled as the specifications do, as most
 * clients send it: compared as bytes first, which the compiler does in
 * line, and strcasecmp (40 instructions for a header, five headers a
 * request, issue 20) only for another spelling with lit's first letter.
 */
#define HTTP_HDR_IS(key, lit)						\
	(memcmp(key, lit, sizeof lit - 1) == 0 ||			\
	    (((key)[0] | 0x20) == ((lit)[0] | 0x20) &&			\
	    strcasecmp(key, lit) == 0))

/* The walk that fills h->hdr. */
static void
http_hdrs_scan(struct http *h, struct http_req *req)
{
	struct http_hdrs	*hd = &h->hdr;
	const char		*key, *value, **slot;
	size_t			 i, klen;

	memset(hd, 0, sizeof *hd);
	for (i = 0; i < req->nh; i++) {
		key = req->names[i];
		value = req->values[i];
		klen = strlen(key);
		slot = NULL;
		switch (klen) {
		case 4:
			if (HTTP_HDR_IS(key, "Host"))
				slot = &hd->host;
			break;
		case 6:
			if (HTTP_HDR_IS(key, "Accept"))
				slot = &hd->accept;
			else if (HTTP_HDR_IS(key, "Origin")) {
				slot = &hd->origin;
				hd->norigin++;
			}
			break;
		case 10:
			if (HTTP_HDR_IS(key, "tracestate") &&
			    hd->tracestate != NULL)
				http_tracestate_join(h, value);
			else if (HTTP_HDR_IS(key, "tracestate"))
				slot = &hd->tracestate;
			break;
		case 11:
			if (HTTP_HDR_IS(key, "traceparent")) {
				slot = &hd->traceparent;
				hd->ntraceparent++;
			}
			break;
		case 12:
			if (HTTP_HDR_IS(key, "Content-Type"))
				slot = &hd->content_type;
			break;
		case 13:
			if (HTTP_HDR_IS(key, "Authorization")) {
				slot = &hd->authorization;
				hd->nauthorization++;
			} else if (HTTP_HDR_IS(key, "Last-Event-ID"))
				slot = &hd->last_event_id;
			break;
		case 14:
			if (HTTP_HDR_IS(key, "Mcp-Session-Id"))
				slot = &hd->session_id;
			break;
		case 20:
			if (HTTP_HDR_IS(key, "MCP-Protocol-Version"))
				slot = &hd->version;
			break;
		}
		if (slot != NULL && *slot == NULL)
			*slot = value;
	}
	if (req->authority[0] != '\0')
		hd->host = req->authority;
	hd->version_supported = hd->version == NULL ||
	    jsonrpc_version_supported(hd->version);
}

/*
 * What the parser lets by and we refuse (400, then the connection
 * closes): several Origin headers (the allow-list would see only the
 * first), several Authorization headers (a proxy or gateway that checks
 * the last would let in what we do not, or the reverse) and a Host whose
 * port is no port.  The framing a proxy could
 * read differently (RFC 9112 6.3, 11.2) never gets here: http_parse
 * refuses it before the body.
 */
static int
http_framing_ok(struct http *h, struct http_req *req)
{
	const struct http_hdrs	*hd = &h->hdr;
	const char		*why;

	if (hd->norigin > 1)
		why = "Bad Request: more than one Origin";
	else if (hd->nauthorization > 1)
		why = "Bad Request: more than one Authorization";
	else if (hd->host != NULL && !http_host_port_ok(hd->host))
		why = "Bad Request: invalid port in Host";
	else
		return 1;
	http_note(h, "bad request framing");
	http_req_add(req, "Connection", "close");
	http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR, why);
	return 0;
}

/*
 * The headers a preflight allows: ours, and the Mcp-Param-* ones it asks
 * for (a 2026-07-28 page sends one per x-mcp-header argument; their names
 * depend on the tools, so they are allowed by their prefix).  The caller
 * frees the result.
 */
static char *
http_cors_allow_headers(const char *requested)
{
	static const char	 prefix[] = "mcp-param-";
	const char		*p = requested, *end;
	size_t			 n, i, size, used;
	char			*out;

	size = sizeof HTTP_CORS_ALLOW_HEADERS + 2 * (p != NULL ? strlen(p) : 0);
	out = xmalloc(size);
	used = sizeof HTTP_CORS_ALLOW_HEADERS - 1;
	memcpy(out, HTTP_CORS_ALLOW_HEADERS, used + 1);
	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		for (i = 0; i < n && (isalnum((unsigned char)p[i]) ||
		    p[i] == '-' || p[i] == '_'); i++)
			continue;
		if (i == n && n > sizeof prefix - 1 &&
		    strncasecmp(p, prefix, sizeof prefix - 1) == 0) {
			memcpy(out + used, ", ", 2);
			memcpy(out + used + 2, p, n);
			used += n + 2;
			out[used] = '\0';
		}
		p = end;
	}
	return out;
}

/*
 * CORS: a request from an allowed page gets the headers that let the page
 * read the answer; a preflight is answered here (1).  Nothing without
 * --cors.
 */
static int
http_cors(struct http *h, struct http_req *req)
{
	const char		*origin;
	char			*allow;

	if (h->cfg->ncors == 0)
		return 0;
	http_req_add(req, "Vary", "Origin");
	origin = h->hdr.origin;
	if (!auth_cors_ok(&h->origins, origin))
		return 0;
	http_req_add(req, "Access-Control-Allow-Origin", origin);
	http_req_add(req, "Access-Control-Expose-Headers",
	    HTTP_CORS_EXPOSE_HEADERS);
	if (req->method != HTTP_M_OPTIONS ||
	    http_req_header(req, "Access-Control-Request-Method") == NULL)
		return 0;
	http_req_add(req, "Access-Control-Allow-Methods",
	    "GET, POST, DELETE, OPTIONS");
	allow = http_cors_allow_headers(http_req_header(req,
	    "Access-Control-Request-Headers"));
	http_req_add(req, "Access-Control-Allow-Headers", allow);
	free(allow);
	http_req_add(req, "Access-Control-Max-Age", HTTP_CORS_MAX_AGE);
	http_note(h, "preflight");
	http_req_reply(req, 204, "No Content", NULL, 0);
	return 1;
}

/* ---- who may ask: static tokens, OAuth ---- */

static void	http_serve(struct http *, struct http_req *, const char *);
static struct http_ep *http_endpoint(struct http *, const char *);

/*
 * A request whose OAuth token is being checked (keys or an introspection
 * on the way): its connection holds it, unanswered, and reads nothing
 * more meanwhile (http_conn.h).  The connection's close tells
 * http_oauth_lost, which cancels the check; otherwise http_oauth_done
 * runs with the answer, from the loop.
 */
struct http_pending {
	TAILQ_ENTRY(http_pending) entry;	/* h->held */
	struct http		*h;
	struct http_conn	*conn;
	struct rsauth_req	*rq;
	struct event		*timer;		/* HTTP_AUTH_WAIT_MS */
};

static void
http_pending_free(struct http_pending *p)
{
	TAILQ_REMOVE(&p->h->held, p, entry);
	p->h->nheld--;
	rsauth_cancel(p->rq);
	if (p->timer != NULL)
		event_free(p->timer);
	free(p);
}

static int	http_resume(struct http *, struct http_conn *, struct http_req *,
		    const char **);
static void	http_resumed(struct http *, struct http_req *);

/* A held request answered 503 with Retry-After, its check dropped: the
 * check took too long, or the drain ended first. */
static void
http_pending_refuse(struct http_pending *p, const char *note,
    unsigned long retry_after, const char *message)
{
	struct http		*h = p->h;
	struct http_conn	*conn = p->conn;
	struct http_req		 r, *req = &r;
	const char		*path;

	http_conn_watch(conn, NULL, NULL);
	http_pending_free(p);
	if (http_resume(h, conn, req, &path) == -1)
		return;
	http_note(h, note);
	http_reply_later(req, 503, "Service Unavailable", retry_after,
	    message);
	http_resumed(h, req);
}

/* An access token let in: its bearer token (rsauth took the header's
 * Bearer token: the scheme, blanks, then the token alone) to
 * h->token_seen. */
static void
http_token_seen(struct http *h)
{
	const char	*p = h->hdr.authorization;

	if (h->token_seen == NULL || p == NULL || strlen(p) < 7)
		return;
	for (p += 7; *p == ' '; p++)
		;
	h->token_seen(h->token_seen_arg, p, strcspn(p, " \t"));
}

/*
 * An OAuth decision into an answer: 1 to serve the request (h->owner and
 * h->claims set; the claims stay res's), 0 when answered.  A 401 counts
 * as a failed authentication of the address.
 */
static int
http_oauth_result(struct http *h, struct http_req *req,
    struct rsauth_result *res)
{
	const char	*peer;

	switch (res->status) {
	case RSAUTH_OK:
		h->owner = res->principal;
		h->claims = res->claims.payload;
		h->grant = (const char *const *)res->claims.scopes;
		h->ngrant = res->claims.nscopes;
		h->grant_all = 0;
		http_token_seen(h);
		return 1;
	case RSAUTH_FORBIDDEN:
		http_note(h, "insufficient scope");
		if (res->www_authenticate != NULL)
			http_req_add(req, "WWW-Authenticate",
			    res->www_authenticate);
		http_reply_error(req, 403, "Forbidden", JSONRPC_SERVER_ERROR,
		    "Forbidden: the token lacks a scope this request needs");
		return 0;
	case RSAUTH_UNAVAILABLE:
		/* The token may be fine: no 401, no failure counted. */
		http_note(h, "token cannot be checked now");
		http_reply_later(req, 503, "Service Unavailable",
		    (unsigned long)res->retry_after,
		    "Service Unavailable: the token cannot be checked now");
		return 0;
	default:
		peer = h->cur != NULL ? http_conn_peer(h->cur) : "-";
		if (h->authfail != NULL)
			ratelimit_take(h->authfail, peer, clock_ms());
		metrics.auth_failures++;
		http_note(h, res->outcome == RSAUTH_O_NO_TOKEN ? "no token" :
		    "invalid token");
		if (res->www_authenticate != NULL)
			http_req_add(req, "WWW-Authenticate",
			    res->www_authenticate);
		http_reply_error(req, 401, "Unauthorized",
		    JSONRPC_SERVER_ERROR,
		    "Unauthorized: a valid bearer token is required");
		return 0;
	}
}

/* The client left while its token was checked: no answer comes. */
static void
http_oauth_lost(void *arg)
{
	http_pending_free(arg);
}

/* The request is taken up again as if it had just come in, after the
 * authentication: 0, or -1 if its target is no URI (answered). */
static int
http_resume(struct http *h, struct http_conn *conn, struct http_req *req,
    const char **path)
{
	if (http_req_init(h, req, conn) == -1)
		return -1;
	if ((*path = req->path) == NULL || **path == '\0')
		*path = "/";
	h->cur = conn;
	h->owner = 0;
	http_hdrs_scan(h, req);
	return 0;
}

static void
http_resumed(struct http *h, struct http_req *req)
{
	h->claims = NULL;
	h->grant = NULL;
	h->ngrant = 0;
	h->grant_all = 0;
	h->owner = 0;
	h->cur = NULL;
	memset(&h->hdr, 0, sizeof h->hdr);	/* they go with req */
	http_req_clear(req);
}

/* The check took too long: 503, the check dropped. */
static void
http_oauth_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	http_pending_refuse(arg, "token check timed out", RSAUTH_RETRY_AFTER,
	    "Service Unavailable: the token cannot be checked now");
}

/* The check ended: the request is handled as if it had just come in,
 * from after the authentication. */
static void
http_oauth_done(struct rsauth_result *res, void *arg)
{
	struct http_pending	*p = arg;
	struct http		*h = p->h;
	struct http_conn	*conn = p->conn;
	struct http_req		 r, *req = &r;
	const char		*path;

	p->rq = NULL;		/* done: rsauth freed it */
	http_conn_watch(conn, NULL, NULL);
	http_pending_free(p);
	if (http_resume(h, conn, req, &path) == -1) {
		rsauth_result_free(res);
		return;
	}
	if (http_oauth_result(h, req, res))
		http_serve(h, req, path);
	rsauth_result_free(res);
	http_resumed(h, req);
}

static size_t	http_oauth_tool_scopes(struct http *, struct http_req *,
		    const char *, const char **, size_t);

/* The endpoint path is on, for its scopes and its access log lines: the
 * live one, else one draining (a removed server's sessions still reach
 * it), or NULL. */
static const struct http_ep *
http_path_ep(struct http *h, const char *path)
{
	const struct http_ep	*ep, *found = NULL;
	size_t			 i;

	for (i = 0; i < h->neps; i++) {
		ep = h->eps[i];
		if (ep->dead || (strcmp(path, ep->mcp_path) != 0 &&
		    strcmp(path, ep->sse_path) != 0 &&
		    strcmp(path, ep->message_path) != 0))
			continue;
		if (!ep->draining)
			return ep;
		found = ep;
	}
	return found;
}

/*
 * The scopes a request needs beyond the bridge's: its server's own (any
 * request on a named route), then those of a POST's tool calls
 * (--oauth-tool-scope), looked up in its body; a body that is no JSON
 * needs none here and gets its 400 from the handler.  Pointers into h's
 * endpoints and h->oauth; more than max: max + 1.
 */
static size_t
http_oauth_scopes(struct http *h, struct http_req *req, const char *path,
    const char **out, size_t max)
{
	const struct http_ep	*sep;
	size_t			 k = 0, i;

	if ((sep = http_path_ep(h, path)) != NULL)
		for (i = 0; i < sep->nscopes; i++) {
			if (k == max)
				return max + 1;
			out[k++] = sep->scopes[i];
		}
	return k + http_oauth_tool_scopes(h, req, path, out + k, max - k);
}

/*
 * What one message routed on by an endpoint that fans out (ops->route:
 * the aggregated one) needs: the scopes of the endpoint it goes to and
 * its tool's own (--oauth-tool-scope names the tool as its server does),
 * added to out[*n] each once; *n is max + 1 past max.
 */
static void
http_oauth_route_scopes(struct http *h, const struct http_ep *ep,
    json_object *msg, const char **out, size_t max, size_t *n)
{
	const struct http_ep	*to = NULL;
	const char		*name;
	char			*tool;
	size_t			 i, j, k;

	if ((name = ep->ops->route(ep->arg, msg, &tool)) == NULL)
		return;
	for (i = 0; i < h->neps; i++)
		if (!h->eps[i]->dead && !h->eps[i]->draining &&
		    h->eps[i]->name != NULL &&
		    strcmp(h->eps[i]->name, name) == 0)
			to = h->eps[i];
	for (j = 0; to != NULL && j < to->nscopes && *n <= max; j++) {
		for (k = 0; k < *n; k++)
			if (strcmp(out[k], to->scopes[j]) == 0)
				break;
		if (k < *n)
			continue;
		if (*n == max)
			(*n)++;
		else
			out[(*n)++] = to->scopes[j];
	}
	if (tool != NULL && *n <= max)
		http_auth_tool_scopes(h->oauth, name, tool, out, max, n);
	free(tool);
}

/* The name of the server ep serves: its own, or for /mcp of one server
 * from a file the named endpoint on the same mux's; NULL: none. */
static const char *
http_ep_server(struct http *h, const struct http_ep *ep)
{
	size_t	i;

	if (ep->name != NULL || ep->mux == NULL)
		return ep->name;
	for (i = 0; i < h->neps; i++)
		if (h->eps[i]->mux == ep->mux && h->eps[i]->name != NULL &&
		    !h->eps[i]->dead)
			return h->eps[i]->name;
	return NULL;
}

/* The scopes a POST's tool calls need (--oauth-tool-scope), and on an
 * endpoint that fans out, those of the endpoints its requests go to. */
static size_t
http_oauth_tool_scopes(struct http *h, struct http_req *req, const char *path,
    const char **out, size_t max)
{
	json_object	*msg;
	const char	*body;
	size_t		 len, n = 0, i;
	struct http_ep	*ep;

	/* A POST to any server's route (each is scoped alike). */
	if (req->method != HTTP_M_POST ||
	    (ep = http_endpoint(h, path)) == NULL ||
	    strcmp(path, ep->sse_path) == 0 ||
	    (ep->ops->route == NULL && http_auth_ntools(h->oauth) == 0))
		return 0;
	body = http_req_body(req, &len);
	if ((msg = jsonparse_strict(body, len, NULL)) == NULL)
		return 0;
	if (ep->ops->route == NULL)
		n = http_auth_scopes_on(h->oauth, http_ep_server(h, ep), msg,
		    out, max);
	else if (json_object_is_type(msg, json_type_array)) {
		len = json_object_array_length(msg);
		for (i = 0; i < len && n <= max; i++)
			http_oauth_route_scopes(h, ep,
			    json_object_array_get_idx(msg, i), out, max, &n);
	} else
		http_oauth_route_scopes(h, ep, msg, out, max, &n);
	json_object_put(msg);
	return n;
}

/*
 * An OAuth access token (a static one did not match): 1 to serve the
 * request now, 0 when it is answered, or held until the check ends
 * (http_oauth_done serves it then).  *res holds the claims h->claims
 * points to: the caller frees it after serving.
 */
static int
http_oauth_check(struct http *h, struct http_req *req, const char *path,
    struct rsauth_result *res)
{
	const char		*scopes[RSAUTH_MAX_SCOPES];
	struct http_pending	*p;
	struct timeval		 tv;
	size_t			 n;

	n = http_oauth_scopes(h, req, path, scopes, RSAUTH_MAX_SCOPES);
	if (n > RSAUTH_MAX_SCOPES) {
		/* Checking part of its needs would let a tool run without
		 * its scope; no token can hold them all, so no challenge
		 * would help either: the client splits the batch. */
		http_note(h, "too many scopes");
		http_reply_error(req, 400, "Bad Request",
		    JSONRPC_INVALID_REQUEST, "Bad Request: the tool calls of "
		    "this batch need more than " RSAUTH_MAX_SCOPES_S " scopes; "
		    "send them in smaller batches");
		return 0;
	}
	p = xcalloc(1, sizeof *p);
	p->h = h;
	p->conn = h->cur;
	TAILQ_INSERT_TAIL(&h->held, p, entry);
	h->nheld++;
	if (rsauth_check(http_auth_oauth(h->oauth)->rsauth,
	    h->hdr.authorization, scopes, n, res, http_oauth_done, p,
	    &p->rq) == RSAUTH_PENDING) {
		http_conn_watch(p->conn, http_oauth_lost, p);
		p->timer = evtimer_new(h->base, http_oauth_timeout, p);
		clock_tv(&tv, HTTP_AUTH_WAIT_MS);
		evtimer_add(p->timer, &tv);
		return 0;
	}
	http_pending_free(p);	/* decided at once: no rq, no timer */
	return http_oauth_result(h, req, res);
}

/*
 * With tokens: which one the request carries (h->owner), or 401; with
 * OAuth, a static token still goes first, then the access token.  With
 * --rate-limit, failures count per address too: past the limit the
 * address gets 429 whatever it sends, so that a good guess is not let
 * through any faster than the limit.
 */
static int
http_auth_ok(struct http *h, struct http_req *req, const char *path,
    struct rsauth_result *res)
{
	const char	*value, *peer;
	uint64_t	 wait;
	int		 i;

	h->owner = 0;
	h->grant = NULL;
	h->ngrant = 0;
	h->grant_all = 1;	/* until an access token says otherwise */
	if (h->auth == NULL && h->oauth == NULL)
		return 1;
	peer = h->cur != NULL ? http_conn_peer(h->cur) : "-";
	if (h->authfail != NULL &&
	    (wait = ratelimit_wait(h->authfail, peer, clock_ms())) != 0) {
		metrics.rate_limited++;
		http_note(h, "too many failed authentications");
		http_reply_later(req, 429, "Too Many Requests",
		    (unsigned long)((wait + 999) / 1000),
		    "Too Many Requests: too many failed authentications");
		return 0;
	}
	value = h->hdr.authorization;
	if (h->auth != NULL && (i = auth_check(h->auth, value)) >= 0) {
		h->owner = (uint64_t)i + 1;
		h->static_ok++;
		return 1;
	}
	if (h->oauth != NULL) {
		h->grant_all = 0;
		return http_oauth_check(h, req, path, res);
	}
	if (h->authfail != NULL)
		ratelimit_take(h->authfail, peer, clock_ms());
	metrics.auth_failures++;
	http_note(h, value == NULL ? "no token" : "invalid token");
	http_req_add(req, "WWW-Authenticate", value == NULL ? "Bearer" :
	    "Bearer error=\"invalid_token\"");
	http_reply_error(req, 401, "Unauthorized", JSONRPC_SERVER_ERROR,
	    "Unauthorized: a valid bearer token is required");
	return 0;
}

/*
 * The protected-resource metadata (RFC 9728), at the bare well-known path
 * and the one with the resource's path: public, for anybody who may
 * connect, readable by any page (no credentials go with it).  1 if path
 * is one of them (answered).
 */
static int
http_oauth_metadata(struct http *h, struct http_req *req, const char *path)
{
	const struct http_oauth	*o;

	if (h->oauth == NULL)
		return 0;
	o = http_auth_oauth(h->oauth);
	if (strcmp(path, "/.well-known/" RSMETA_WELLKNOWN) != 0 &&
	    strcmp(path, o->metadata_path) != 0)
		return 0;
	http_req_add(req, "Access-Control-Allow-Origin", "*");
	if (req->method == HTTP_M_OPTIONS) {
		http_req_add(req, "Access-Control-Allow-Methods",
		    "GET, HEAD, OPTIONS");
		http_req_add(req, "Access-Control-Allow-Headers",
		    "MCP-Protocol-Version");
		http_req_add(req, "Access-Control-Max-Age", HTTP_CORS_MAX_AGE);
		http_req_add(req, "Allow", "GET, HEAD, OPTIONS");
		http_req_reply(req, 204, "No Content", NULL, 0);
		return 1;
	}
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
		http_reply_allow(req, "GET, HEAD, OPTIONS");
		return 1;
	}
	http_req_add(req, "Cache-Control", "max-age=300");
	http_reply(req, 200, "OK", "application/json", o->document);
	return 1;
}

/* --rate-limit: one token from the bucket of the client's token or,
 * without auth, of its address. */
static int
http_rate_ok(struct http *h, struct http_req *req)
{
	char		 key[80];
	uint64_t	 wait;

	if (h->ratelimit == NULL)
		return 1;
	if (h->owner != 0)
		snprintf(key, sizeof key, "t%" PRIu64, h->owner);
	else
		snprintf(key, sizeof key, "a%s", h->cur != NULL ?
		    http_conn_peer(h->cur) : "-");
	if ((wait = ratelimit_take(h->ratelimit, key, clock_ms())) == 0)
		return 1;
	metrics.rate_limited++;
	http_note(h, "rate limited");
	http_reply_later(req, 429, "Too Many Requests",
	    (unsigned long)((wait + 999) / 1000),
	    "Too Many Requests: over the rate limit");
	return 0;
}

/* The sessions of endpoints that fan out (the aggregated one) open at
 * the endpoint named name. */
static size_t
http_sessions_at(struct http *h, const char *name)
{
	size_t	i, n = 0;

	for (i = 0; i < h->neps; i++)
		if (!h->eps[i]->dead && h->eps[i]->ops->sessions_at != NULL)
			n += h->eps[i]->ops->sessions_at(h->eps[i]->arg, name);
	return n;
}

/* The aggregated endpoint's own (the one without a mux), if any. */
static void
http_gauges_aggregate(struct http *h, struct metrics_gauges *g)
{
	struct session	*sess;
	struct http_ep	*ep = NULL;
	size_t		 i;

	for (i = 0; i < h->neps && ep == NULL; i++)
		if (h->eps[i]->mux == NULL && !h->eps[i]->dead)
			ep = h->eps[i];
	if (ep == NULL)
		return;
	g->aggregate = &ep->requests;
	for (sess = sessions_first(h->sessions); sess != NULL;
	    sess = TAILQ_NEXT(sess, entry)) {
		if (sess->route != ep)
			continue;
		g->aggregate_in_flight += sess->in_flight;
		if (sess->kind != SESSION_STATELESS)
			g->aggregate_sessions++;
	}
}

/* The named endpoints, each its own (the caller frees g->servers). */
static void
http_gauges_servers(struct http *h, struct metrics_gauges *g)
{
	struct metrics_server	*sv;
	struct mux_stats	 ms;
	struct session		*sess;
	size_t			 i;

	for (i = 0; i < h->neps; i++) {
		if (h->eps[i]->name == NULL || h->eps[i]->dead ||
		    h->eps[i]->draining)
			continue;
		g->servers = xreallocarray(g->servers, g->nservers + 1,
		    sizeof *g->servers);
		sv = &g->servers[g->nservers++];
		memset(sv, 0, sizeof *sv);
		sv->name = h->eps[i]->name;
		sv->requests = &h->eps[i]->requests;
		mux_stats(h->eps[i]->mux, &ms);
		sv->in_flight = ms.in_flight;
		sv->ready = mux_ready(h->eps[i]->mux);
		for (sess = sessions_first(h->sessions); sess != NULL;
		    sess = TAILQ_NEXT(sess, entry))
			if (sess->route == h->eps[i] &&
			    sess->kind != SESSION_STATELESS)
				sv->sessions++;
		sv->sessions += http_sessions_at(h, sv->name);
	}
	http_gauges_aggregate(h, g);
}

static void
http_gauges(struct http *h, struct metrics_gauges *g)
{
	struct mux_stats	 ms;
	struct session		*sess;
	size_t			 i;

	memset(g, 0, sizeof *g);
	for (sess = sessions_first(h->sessions); sess != NULL;
	    sess = TAILQ_NEXT(sess, entry)) {
		if (sess->kind == SESSION_STATELESS)
			continue;	/* a 2026-07-28 request, no session */
		g->sessions[sess->kind == SESSION_LEGACY ? METRICS_SSE :
		    METRICS_STREAMABLE]++;
	}
	/* Summed over the servers (each named one: http_gauges_servers);
	 * one server from a file has two endpoints, /mcp and its name's,
	 * on one mux, counted once. */
	for (i = 0; i < h->neps; i++) {
		if ((i > 0 && h->eps[i]->mux == h->eps[0]->mux) ||
		    h->eps[i]->dead || h->eps[i]->mux == NULL)
			continue;
		mux_stats(h->eps[i]->mux, &ms);
		g->in_flight += ms.in_flight;
		g->child_log_lines_dropped += ms.log_lines_dropped;
		g->child_answers_unreadable += ms.unreadable_unanswered;
		g->client_progress_dropped += ms.client_progress_dropped;
		g->child_guesses_withheld += ms.guesses_withheld;
		g->child_requests_refused += ms.server_requests_refused;
		g->calls_waiting += ms.calls_waiting;
		g->call_waits += ms.call_waits;
		g->call_wait_ms += ms.call_wait_ms;
		g->calls_wait_refused += ms.calls_wait_refused;
	}
	g->connections = h->listener == NULL ? 0 :
	    http_listener_count(h->listener);
	g->ready = http_all_ready(h);
	http_gauges_servers(h, g);
	g->draining = h->draining;
	g->log_lines_dropped = log_lines_dropped();
	metrics_process(g);
	if (h->stats != NULL)
		h->stats(h->stats_arg, g);
}

static void
http_metrics(struct http *h, struct http_req *req)
{
	struct metrics_gauges	 g;
	struct evbuffer		*buf;

	if (req->method != HTTP_M_GET) {
		http_reply_allow(req, "GET");
		return;
	}
	http_gauges(h, &g);
	buf = evbuffer_new();
	metrics_render(buf, &g);
	free(g.servers);
	if (h->oauth != NULL)
		http_auth_metrics(h->oauth, buf, h->static_ok);
	http_req_add(req, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	http_req_reply(req, 200, "OK", (const char *)evbuffer_pullup(buf, -1),
	    evbuffer_get_length(buf));
	evbuffer_free(buf);
}

/*
 * /status's servers, one per multiplexer: a server of a file served
 * alone has two endpoints (/mcp and its name's) on one mux, listed once
 * under its name.  The caller frees p->servers.
 */
static void
http_status_servers(struct http *h, struct status_page *p)
{
	struct status_server	*sv;
	struct http_ep		*ep;
	struct mux_stats	 ms;
	struct session		*sess;
	size_t			 i, j;

	for (i = 0; i < h->neps; i++) {
		ep = h->eps[i];
		/* The aggregated endpoint: its servers are listed. */
		if (ep->dead || ep->draining || ep->mux == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (h->eps[j]->mux == ep->mux && !h->eps[j]->dead &&
			    !h->eps[j]->draining)
				break;
		if (j < i) {
			/* Listed, unnamed (only /mcp's endpoint is): its
			 * server's name is this one's. */
			for (j = 0; j < p->nservers; j++)
				if (p->servers[j].name == NULL)
					p->servers[j].name = ep->name;
			continue;
		}
		p->servers = xreallocarray(p->servers, p->nservers + 1,
		    sizeof *p->servers);
		sv = &p->servers[p->nservers++];
		memset(sv, 0, sizeof *sv);
		sv->name = ep->name;
		sv->ready = mux_ready(ep->mux);
		mux_stats(ep->mux, &ms);
		sv->in_flight = ms.in_flight;
		sv->requests = ms.requests;
		for (sess = sessions_first(h->sessions); sess != NULL;
		    sess = TAILQ_NEXT(sess, entry))
			if (sess->route != NULL && ((struct http_ep *)
			    sess->route)->mux == ep->mux &&
			    sess->kind != SESSION_STATELESS)
				sv->sessions++;
		if (ep->name != NULL)
			sv->sessions += http_sessions_at(h, ep->name);
	}
}

/*
 * GET /status (HTML) and /status.json: the bridge and its servers, for
 * whoever may read /metrics.  Gathered now, from the same counters; the
 * page loads nothing and runs nothing (its policy says so to the
 * browser too).
 */
static void
http_status(struct http *h, struct http_req *req, int json)
{
	struct status_page	 p;
	struct session		*sess;
	struct evbuffer		*buf;
	struct timeval		 tv;
	size_t			 i;

	if (req->method != HTTP_M_GET) {
		http_reply_allow(req, "GET");
		return;
	}
	memset(&p, 0, sizeof p);
	p.version = PACKAGE_VERSION;
	p.url = h->url;
	gettimeofday(&tv, NULL);
	p.now_ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
	p.start_ms = metrics.start_time_ms;
	p.ready = http_all_ready(h);
	p.draining = h->draining;
	p.answered = metrics.latency_count;
	p.latency_sum_ms = metrics.latency_sum_ms;
	http_status_servers(h, &p);
	for (i = 0; i < p.nservers; i++)
		p.in_flight += p.servers[i].in_flight;
	for (sess = sessions_first(h->sessions); sess != NULL;
	    sess = TAILQ_NEXT(sess, entry))
		p.sessions += sess->kind != SESSION_STATELESS;
	if (h->status != NULL)
		h->status(h->status_arg, &p);
	buf = evbuffer_new();
	if (json)
		status_render_json(buf, &p);
	else
		status_render_html(buf, &p);
	free(p.servers);
	http_req_add(req, "Content-Type", json ? "application/json" :
	    "text/html; charset=utf-8");
	http_req_add(req, "Cache-Control", "no-store");
	http_req_add(req, "X-Content-Type-Options", "nosniff");
	if (!json)
		http_req_add(req, "Content-Security-Policy", "default-src "
		    "'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
	http_req_reply(req, 200, "OK", (const char *)evbuffer_pullup(buf, -1),
	    evbuffer_get_length(buf));
	evbuffer_free(buf);
}

/*
 * The --metrics-listen listener: /metrics and the probes (operators point
 * them at the port that has no tokens), nothing else.  The same
 * framing checks as the main listener, local names only if its own
 * address is loopback (a scraper port there is as much a DNS rebinding
 * target), any Host elsewhere, and JSON errors.
 */
static void
http_metrics_request(struct http_conn *conn, void *arg)
{
	struct http		*h = arg;
	struct http_req		 r, *req = &r;
	const char		*path;

	if (http_req_init(h, req, conn) == -1)
		return;
	path = req->path;
	h->cur = conn;
	http_hdrs_scan(h, req);
	if (!http_framing_ok(h, req))
		goto done;
	if (!auth_host_ok(&h->metrics_origins, h->hdr.host))
		http_reply_error(req, 403, "Forbidden", JSONRPC_SERVER_ERROR,
		    "Forbidden: Host not allowed");
	else if (path != NULL && strcmp(path, "/metrics") == 0)
		http_metrics(h, req);
	else if (path != NULL && strcmp(path, "/status") == 0)
		http_status(h, req, 0);
	else if (path != NULL && strcmp(path, "/status.json") == 0)
		http_status(h, req, 1);
	else if (path != NULL && strcmp(path, "/healthz") == 0)
		http_probe(h, req, 0);
	else if (path != NULL && strcmp(path, "/readyz") == 0)
		http_probe(h, req, 1);
	else if (path == NULL || !http_server_probe(h, req, path, ""))
		http_reply_error(req, 404, "Not Found", JSONRPC_SERVER_ERROR,
		    "Not Found");
done:
	h->cur = NULL;
	memset(&h->hdr, 0, sizeof h->hdr);	/* they go with req */
	http_req_clear(req);
}

static void
http_route(struct http *h, struct http_req *req, const char *path)
{
	const char		*host;
	struct rsauth_result	 res;
	const struct http_ep	*ep;
	int			 host_ok;

	/* Its server, for the access log, refused or not. */
	if ((ep = http_path_ep(h, path)) != NULL && ep->name != NULL &&
	    h->cur != NULL)
		http_conn_note_server(h->cur, ep->name);
	host = h->hdr.host;
	/* Asked once: the answer depends on the Host header and the
	 * allow-list alone. */
	host_ok = auth_host_ok(&h->origins, host);
	/* The metadata is public: any page may read it, Origin or not. */
	if (host_ok && http_oauth_metadata(h, req, path))
		return;
	if (!host_ok ||
	    !auth_origin_ok(&h->origins, h->hdr.origin, host)) {
		http_note(h, "Host or Origin not allowed");
		http_reply_error(req, 403, "Forbidden", JSONRPC_SERVER_ERROR,
		    "Forbidden: Host or Origin not allowed");
		return;
	}
	if (http_cors(h, req))
		return;
	/* Probes answer anybody who may connect. */
	if (strcmp(path, h->healthz_path) == 0) {
		http_probe(h, req, 0);
		return;
	}
	if (strcmp(path, h->readyz_path) == 0) {
		http_probe(h, req, 1);
		return;
	}
	if (http_server_probe(h, req, path, h->cfg->base_path))
		return;
	memset(&res, 0, sizeof res);
	if (http_auth_ok(h, req, path, &res))
		http_serve(h, req, path);
	rsauth_result_free(&res);
	h->claims = NULL;
	h->grant = NULL;
	h->ngrant = 0;
	h->grant_all = 0;
}

/* The live endpoint that path is one of the three paths of, or NULL. */
static struct http_ep *
http_endpoint(struct http *h, const char *path)
{
	struct http_ep	*ep;
	size_t		 i;

	for (i = 0; i < h->neps; i++) {
		ep = h->eps[i];
		if (!ep->dead && !ep->draining &&
		    (strcmp(path, ep->mcp_path) == 0 ||
		    strcmp(path, ep->sse_path) == 0 ||
		    strcmp(path, ep->message_path) == 0))
			return ep;
	}
	return NULL;
}

/*
 * A draining endpoint (a reload removed it) with path among its paths,
 * whose session the request names (header or query) and may use: what its
 * own sessions send still reaches it (a client's answer to a question of
 * a call in flight), whatever took its name since.  NULL if none.
 */
static struct http_ep *
http_endpoint_draining(struct http *h, struct http_req *req,
    const char *path)
{
	struct session	*sess = NULL;
	struct http_ep	*ep;
	char		*sid;
	size_t		 i;

	/* Mostly none is draining: then no session need be looked up
	 * (a lookup per request, issue 20). */
	for (i = 0; i < h->neps; i++)
		if (h->eps[i]->draining && !h->eps[i]->dead)
			break;
	if (i == h->neps)
		return NULL;
	if (h->hdr.session_id != NULL)
		sess = session_find(h->sessions, h->hdr.session_id,
		    SESSION_STREAMABLE);
	else if (http_query_count(req, "sessionId") == 1 &&
	    (sid = http_query_param(req, "sessionId")) != NULL) {
		sess = session_find(h->sessions, sid, SESSION_LEGACY);
		free(sid);
	}
	if (sess == NULL || sess->token != h->owner ||
	    (ep = sess->route) == NULL || !ep->draining || ep->dead)
		return NULL;
	if (strcmp(path, ep->mcp_path) != 0 &&
	    strcmp(path, ep->sse_path) != 0 &&
	    strcmp(path, ep->message_path) != 0)
		return NULL;
	return ep;
}

/*
 * 404.  A client sent to /mcp or /sse of a bridge whose servers all have
 * named routes (serve --config with several) is told where they are: the
 * usual first mistake with such a file.
 */
static void
http_not_found(struct http *h, struct http_req *req, const char *path)
{
	const struct http_config	*cfg = h->cfg;
	const struct http_ep		*ep = NULL;
	char				*msg;
	size_t				 i, blen = strlen(cfg->base_path);

	for (i = 0; i < h->neps && ep == NULL; i++)
		if (h->eps[i]->name != NULL && !h->eps[i]->draining)
			ep = h->eps[i];
	if (ep == NULL || strncmp(path, cfg->base_path, blen) != 0 ||
	    (strcmp(path + blen, cfg->mcp_path) != 0 &&
	    strcmp(path + blen, cfg->sse_path) != 0)) {
		http_reply_error(req, 404, "Not Found", JSONRPC_SERVER_ERROR,
		    "Not Found: no such path");
		return;
	}
	xasprintf(&msg, "Not Found: each server has its own route here, "
	    "such as %s (%s/servers/NAME/%s)", ep->mcp_path, cfg->base_path,
	    cfg->mcp_path[0] == '/' ? cfg->mcp_path + 1 : cfg->mcp_path);
	http_reply_error(req, 404, "Not Found", JSONRPC_SERVER_ERROR, msg);
	free(msg);
}

/* An authenticated request (h->owner): the rate limit, then its path:
 * one of an endpoint's (h->ep, every route alike), or /metrics. */
static void
http_serve(struct http *h, struct http_req *req, const char *path)
{
	if (!http_rate_ok(h, req))
		return;
	if ((h->ep = http_endpoint_draining(h, req, path)) != NULL ||
	    (h->ep = http_endpoint(h, path)) != NULL) {
		if (strcmp(path, h->ep->mcp_path) == 0)
			http_mcp(h, req);
		else if (strcmp(path, h->ep->sse_path) == 0)
			http_sse(h, req);
		else
			http_message(h, req);
	} else if (strcmp(path, h->metrics_path) == 0)
		http_metrics(h, req);
	else if (strcmp(path, h->status_path) == 0)
		http_status(h, req, 0);
	else if (strcmp(path, h->status_json_path) == 0)
		http_status(h, req, 1);
	else
		http_not_found(h, req, path);
}

/* ops->request: a request in whole, ours until answered. */
static void
http_request(struct http_conn *conn, void *arg)
{
	struct http			*h = arg;
	struct http_req			 r, *req = &r;
	const char			*path;

	metrics.http_requests++;
	if (http_req_init(h, req, conn) == -1)
		return;
	/* What evhttp served; anything else it answered 501. */
	if (req->method == HTTP_M_OTHER &&
	    strcmp(http_parse_method(http_conn_request(conn)), "PUT") != 0 &&
	    strcmp(http_parse_method(http_conn_request(conn)), "PATCH") != 0) {
		http_conn_refuse(conn, 501, "method not implemented");
		http_req_clear(req);
		return;
	}
	if ((path = req->path) == NULL || *path == '\0')
		path = "/";
	h->cur = conn;
	h->owner = 0;
	http_hdrs_scan(h, req);
	if (http_framing_ok(h, req))
		http_route(h, req, path);
	h->cur = NULL;
	memset(&h->hdr, 0, sizeof h->hdr);	/* they go with req */
	http_req_clear(req);
}

static const struct http_conn_ops http_conn_ops = {
	.request = http_request,
};

static const struct http_conn_ops http_metrics_ops = {
	.request = http_metrics_request,
};

/* ---- the pump's way in ---- */

/*
 * The client cancelled what it sent on stream: no answer will come, and
 * the server should send none.  Its slot is free; a Streamable HTTP POST
 * still open ends (if its handler runs, once it is done).
 */
static void
http_cancelled(struct http *h, struct session *sess, uint64_t no)
{
	struct stream	*st;

	if ((st = stream_find(sess, no)) == NULL || st->finished)
		return;
	http_request_end(h, sess, st, NULL);
	st->finished = 1;
	if (sess->kind == SESSION_STREAMABLE)
		http_end_cancelled(st);
	stream_gc(st);
	http_stateless_done(h, sess);
}

void
http_delivered(struct http *h)
{
	json_object_put(h->last_obj);
	session_msg_unref(h->last_msg);
	h->last_obj = NULL;
	h->last_msg = NULL;
}

/*
 * The text of a message for sessions, with a reference for the caller.
 * The mux hands a broadcast to every session as the one object, one out
 * after another: the text made for the first is the next one's too, so
 * every session's log and stream share one copy instead of holding one
 * each.  Holding the object keeps its address from being reused for
 * another message.
 *
 * Whether the client is owed it (anything but a notification) is asked
 * of jsonrpc_classify, once per message, not per session.  The out does
 * not say: final marks an answer, but a message that is not final may be
 * a request from the server (owed) or a notification, and only the
 * mux's routing knows which; carrying that in struct mux_out would
 * widen mux.h for a cost that does not show.  Measured under callgrind
 * (the bench's echo child, 10 clients, 3000 Streamable HTTP and 3000
 * HTTP+SSE calls): this call is 0.11% of the bridge's instructions,
 * 260 a message, against 9% for writing messages out as text.
 */
static struct session_msg *
http_session_msg(struct http *h, json_object *msg)
{
	const char	*text;
	size_t		 len;

	if (msg != h->last_obj) {
		http_delivered(h);
		text = http_json_text(msg, &len);
		h->last_msg = session_msg_new(text, len,
		    jsonrpc_classify(msg) != JSONRPC_NOTIFICATION);
		h->last_obj = json_object_get(msg);
	}
	return session_msg_ref(h->last_msg);
}

void
http_deliver(struct http *h, struct mux_out *out)
{
	http_deliver_data(h, out->session == NULL ? NULL :
	    mux_session_data(out->session), out);
}

void
http_deliver_data(struct http *h, void *data, struct mux_out *out)
{
	struct session		*sess = data;
	struct stream		*st;
	struct session_entry	*e;
	struct session_msg	*m = NULL;
	const char		*text;
	size_t			 len;

	if (out->kind == MUX_OUT_SESSION_END) {
		if (sess != NULL && !h->freeing)
			http_session_end(h, sess, "ended by the upstream");
		return;
	}
	if (out->kind == MUX_OUT_SESSION && out->msg == NULL && out->final &&
	    sess != NULL && !sess->dead && !h->freeing) {
		http_cancelled(h, sess, out->stream);
		return;
	}
	if (out->kind != MUX_OUT_SESSION || out->msg == NULL || sess == NULL ||
	    sess->dead || h->freeing)
		goto done;

	if (out->final && (st = stream_find(sess, out->stream)) != NULL) {
		/* 2026-07-28: the answer's error chooses the status. */
		if (sess->kind == SESSION_STATELESS)
			st->status = modern_http_status(out->msg);
		http_request_end(h, sess, st, out->msg);
		if (sess->kind == SESSION_LEGACY) {
			st->finished = 1;
			stream_gc(st);
		}
	}
	if (sess->kind == SESSION_LEGACY) {
		/* One stream carries everything, unless its POST handler
		 * is still deciding what to answer. */
		m = http_session_msg(h, out->msg);
		if (sess->capture_stream != 0 &&
		    out->stream == sess->capture_stream) {
			e = xcalloc(1, sizeof *e);
			e->msg = session_msg_ref(m);
			e->final = out->final;
			TAILQ_INSERT_TAIL(&sess->capture, e, entry);
		} else
			session_push_msg(sess, 0, m, 0);
		goto done;
	}

	if ((st = stream_find(sess, out->stream)) == NULL || st->finished) {
		log_debug("session %.8s: message for finished stream %llu "
		    "dropped", sess->hex, (unsigned long long)out->stream);
		goto done;
	}
	if (st->initialize && out->final &&
	    !jsonrpc_member(out->msg, "result", NULL))
		st->init_failed = 1;
	if (out->final && stream_json_direct(st)) {
		/* Written at once: no copy to keep. */
		text = http_json_text(out->msg, &len);
		http_answer_json(h, st, NULL, text, len);
	} else {
		m = http_session_msg(h, out->msg);
		session_push_msg(sess, out->stream, m, out->final);
	}
	if ((st = stream_find(sess, out->stream)) != NULL) {
		http_kick(h, st);
		if (st->init_failed && !st->in_handler)
			http_session_kill(h, sess, "initialize failed");
		stream_gc(st);
	}
	if (out->final)
		http_stateless_done(h, sess);
done:
	session_msg_unref(m);
	if (out->msg != NULL)
		json_object_put(out->msg);
	out->msg = NULL;
}

/* ---- listening ---- */

/* The connections' limits and deadlines, from ours. */
static void
http_conn_config(const struct http_config *cfg, size_t max_body,
    struct http_conn_config *cc)
{
	memset(cc, 0, sizeof *cc);
	cc->parse.max_request_line = HTTP_MAX_REQUEST_LINE;
	/* Ours counts "name: value" and its CRLF; the parser's the
	 * section as received, its final empty line included. */
	cc->parse.max_header_bytes = cfg->max_header_size + 2;
	cc->parse.max_headers = cfg->max_headers;
	cc->parse.max_body = max_body;
	cc->parse.max_chunk_meta = HTTP_MAX_CHUNK_META;
	cc->read_timeout_ms = cfg->read_timeout_ms;
	cc->idle_timeout_ms = cfg->read_timeout_ms;
	cc->write_timeout_ms = HTTP_STREAM_WRITE_TIMEOUT_S * 1000;
	cc->linger_ms = HTTP_LINGER_MS;
}

static int
http_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    sin6->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

/* --metrics-listen HOST:PORT: a second, plain listener for /metrics and
 * the probes. */
static int
http_metrics_listen(struct http *h)
{
	struct http_conn_config		 cc;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen = sizeof ss;
	char				*host, *colon;
	char				 name[NI_MAXHOST], serv[NI_MAXSERV];
	size_t				 len;
	long				 port;

	host = xstrdup(h->cfg->metrics_listen);
	colon = strrchr(host, ':');
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	}
	http_conn_config(h->cfg, HTTP_METRICS_MAX_BODY, &cc);
	cc.quiet = 1;		/* as the scrapes have always been */
	errno = 0;
	if (port < 0 || port > 65535 || (h->metrics_listener =
	    http_listener_new(h->base, host, (int)port, &cc, &http_metrics_ops,
	    h)) == NULL || http_listener_address(h->metrics_listener, &ss,
	    &sslen) == -1) {
		log_error("cannot listen on %s for metrics: %s",
		    h->cfg->metrics_listen, strerror(errno));
		free(host);
		return -1;
	}
	/*
	 * Its own Host policy, not the main listener's: --allow-host names
	 * the MCP endpoint's public name, while a scraper comes by a pod's
	 * or a node's address.  Bound to loopback it is a DNS rebinding
	 * target like any local port, so local names (and the allowed
	 * hosts) only; bound elsewhere, any Host.
	 */
	memset(&h->metrics_origins, 0, sizeof h->metrics_origins);
	h->metrics_origins.loopback = http_is_loopback((struct sockaddr *)&ss);
	if (h->metrics_origins.loopback) {
		h->metrics_origins.hosts = h->origins.hosts;
		h->metrics_origins.nhosts = h->origins.nhosts;
	}
	/* The address it got: with port 0, the one to scrape. */
	if (getnameinfo((struct sockaddr *)&ss, sslen, name, sizeof name,
	    serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		log_info(ss.ss_family == AF_INET6 ? "metrics on "
		    "http://[%s]:%s/metrics (and /healthz, /readyz)" :
		    "metrics on http://%s:%s/metrics (and /healthz, /readyz)",
		    name, serv);
	free(host);
	return 0;
}

/* Whether host names an address to listen on; -1 with the resolver's
 * reason logged (the one fatal message a typo in --host gets). */
static int
http_resolvable(const char *host)
{
	struct addrinfo	 hints, *res;
	int		 rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, "0", &hints, &res)) != 0) {
		log_error("cannot listen on %s: %s (--host wants an address "
		    "or a name of this machine)", host, rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

int
http_listen(struct http *h)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	char			 host[NI_MAXHOST], port[NI_MAXSERV];
	struct http_conn_config	 cc;
	char			*bind_host, *url;
	const char		*who;
	size_t			 len, i, n;
	int			 error;

	/* "[::1]" works as well as "::1". */
	bind_host = xstrdup(h->cfg->host);
	len = strlen(bind_host);
	if (len >= 2 && bind_host[0] == '[' && bind_host[len - 1] == ']') {
		memmove(bind_host, bind_host + 1, len - 2);
		bind_host[len - 2] = '\0';
	}
	/* Resolved here first: the listener would only say "Invalid
	 * argument". */
	if (http_resolvable(bind_host) == -1) {
		free(bind_host);
		return -1;
	}
	http_conn_config(h->cfg, h->cfg->max_body, &cc);
	cc.tls = h->tls;
	errno = 0;
	h->listener = http_listener_new(h->base, bind_host, h->cfg->port, &cc,
	    &http_conn_ops, h);
	if (h->listener == NULL) {
		error = errno;
		log_error("cannot listen on %s port %d: %s%s", h->cfg->host,
		    h->cfg->port, error != 0 ? strerror(error) : "failed",
		    error == EADDRINUSE ? " (another program has it: choose "
		    "another --port, or --port 0 for a free one)" :
		    error == EACCES ? " (a port below 1024 needs privileges: "
		    "choose a higher --port)" : error == EADDRNOTAVAIL ?
		    " (--host is not an address of this machine)" : "");
		free(bind_host);
		return -1;
	}
	free(bind_host);
	if (http_listener_address(h->listener, &ss, &sslen) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, port,
	    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		log_error("cannot listen: getsockname: %s", strerror(errno));
		return -1;
	}
	h->origins.loopback = http_is_loopback((struct sockaddr *)&ss);
	xasprintf(&url, ss.ss_family == AF_INET6 ? "%s://[%s]:%s%s" :
	    "%s://%s:%s%s", h->tls != NULL ? "https" : "http", host, port,
	    h->cfg->base_path);
	/* The unnamed endpoint comes first when there is one (it may have
	 * its server's named one beside it). */
	who = h->cfg->oauth ? ", OAuth tokens required" : h->auth != NULL ?
	    ", tokens required" : "";
	if (h->neps > 0 && h->eps[0]->name == NULL)
		log_info("listening on %s (Streamable HTTP %s, HTTP+SSE %s)%s%s",
		    url, h->eps[0]->mcp_path, h->eps[0]->sse_path, who,
		    h->cfg->ncors != 0 ? ", CORS on" : "");
	else {
		/* The aggregated endpoint (unnamed, last) is no server. */
		for (i = 0, n = 0; i < h->neps; i++)
			if (h->eps[i]->name != NULL)
				n++;
		log_info("listening on %s (%zu servers under %s/servers/)%s%s",
		    url, n, h->cfg->base_path, who, h->cfg->ncors != 0 ?
		    ", CORS on" : "");
	}
	if (!h->origins.loopback && h->auth == NULL && !h->cfg->oauth)
		log_warnx("listening on a non-loopback address without "
		    "--auth-token-file or --auth-token-env: anybody who can "
		    "reach it can use the server");
	if (h->cfg->metrics_listen != NULL && http_metrics_listen(h) == -1) {
		free(url);
		return -1;
	}
	free(h->url);
	h->url = url;
	return 0;
}

void
http_each_token(struct http *h, void (*fn)(void *, const char *), void *arg)
{
	auth_each(h->auth, fn, arg);
}

const char *
http_url(const struct http *h)
{
	return h->url;
}

void
http_set_oauth(struct http *h, const struct http_oauth *o)
{
	http_auth_free(h->oauth);
	h->oauth = o != NULL ? http_auth_new(o) : NULL;
}

void
http_print_urls(struct http *h)
{
	struct http_ep	*ep;
	size_t		 i;

	/* The base URL first, alone on its line, as scripts have always
	 * read it; then each endpoint after its name.  One write. */
	if (!h->cfg->print_url || h->url == NULL)
		return;
	printf("%s\n", h->url);
	for (i = 0; i < h->neps; i++) {
		/* A named endpoint's URLs say its name. */
		ep = h->eps[i];
		printf("streamable-http %s%s\nsse %s%s\n", h->url,
		    ep->mcp_path + strlen(h->cfg->base_path), h->url,
		    ep->sse_path + strlen(h->cfg->base_path));
	}
	fflush(stdout);
}

/* ---- life cycle ---- */

/*
 * A draining endpoint whose sessions have nothing in flight, or whose
 * time is up: what is left gets an error, its sessions end, it is dead,
 * and its owner hears it.
 */
static void
http_ep_drain_check(struct http *h, struct http_ep *ep, uint64_t now)
{
	struct session	*sess, *next;
	size_t		 n = 0;

	for (sess = sessions_first(h->sessions); sess != NULL;
	    sess = TAILQ_NEXT(sess, entry))
		if (sess->route == ep)
			n += sess->in_flight;
	if (n > 0 && now < ep->drain_deadline)
		return;
	if (n > 0) {
		log_warnx("%s: %zu %s still in flight after --drain-timeout; "
		    "answering with an error", ep->name, n, n == 1 ?
		    "request" : "requests");
		for (sess = sessions_first(h->sessions); sess != NULL;
		    sess = TAILQ_NEXT(sess, entry))
			if (sess->route == ep)
				http_session_refuse_held(sess);
		ep->ops->fail_all(ep->arg, "Server removed: no answer within "
		    "--drain-timeout");
		http_ep_pump(h, ep);
	}
	ep->dead = 1;
	/* Saved next: ending one moves it to the dead list. */
	for (sess = sessions_first(h->sessions); sess != NULL; sess = next) {
		next = TAILQ_NEXT(sess, entry);
		if (sess->route == ep && !sess->dead)
			http_session_end(h, sess, ep->drain_why);
	}
	if (ep->drained != NULL)
		ep->drained(ep->drained_arg);
}

static void
http_sweep_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http		*h = arg;
	struct session		*sess, *next;
	struct http_pending	*p;
	uint64_t		 now = clock_ms();
	struct timeval		 tv;
	size_t			 i, eps_draining;

	if (h->ratelimit != NULL)
		ratelimit_prune(h->ratelimit, now);
	if (h->authfail != NULL)
		ratelimit_prune(h->authfail, now);

	/* Idle sessions: no request waiting, no connection, nothing for
	 * --session-timeout.  Most clients never send DELETE. */
	for (sess = sessions_first(h->sessions); sess != NULL; sess = next) {
		next = TAILQ_NEXT(sess, entry);
		if (sess->in_flight > 0 || session_connected(sess)) {
			sess->active_ms = now;
			continue;
		}
		if (h->cfg->session_timeout_ms != 0 &&
		    now - sess->active_ms >= h->cfg->session_timeout_ms) {
			metrics.sessions_expired++;
			http_session_end(h, sess, "idle for --session-timeout");
		}
	}

	for (i = 0; !h->draining && i < h->neps; i++)
		if (h->eps[i]->draining && !h->eps[i]->dead)
			http_ep_drain_check(h, h->eps[i], now);

	if (h->draining && !h->closing &&
	    ((h->in_flight == 0 && h->nheld == 0) ||
	    now >= h->drain_deadline)) {
		if (h->nheld != 0) {
			log_warnx("draining: %zu %s still held for a token "
			    "check after --drain-timeout; answering 503",
			    h->nheld, h->nheld == 1 ? "request" : "requests");
			while ((p = TAILQ_FIRST(&h->held)) != NULL)
				http_pending_refuse(p, "draining",
				    HTTP_RETRY_AFTER_S,
				    "Server shutting down");
		}
		if (h->in_flight != 0) {
			log_warnx("draining: %zu %s still in flight after "
			    "--drain-timeout; answering with an error and "
			    "closing", h->in_flight, h->in_flight == 1 ?
			    "request" : "requests");
			/* A held POST gets its 503 as always; an event
			 * stream (200 sent) gets its request's error before
			 * it ends, never silence. */
			for (sess = sessions_first(h->sessions); sess != NULL;
			    sess = TAILQ_NEXT(sess, entry))
				http_session_refuse_held(sess);
			for (i = 0; i < h->neps; i++)
				h->eps[i]->ops->fail_all(h->eps[i]->arg,
				    "Server shutting "
				    "down: no answer within --drain-timeout");
			http_pump(h);
		} else
			log_info("draining: no request in flight; closing "
			    "sessions");
		h->closing = 1;
		while ((sess = sessions_first(h->sessions)) != NULL)
			http_session_end(h, sess, "shutting down");
		if (h->drained != NULL)
			h->drained(h->drained_arg);
	}
	for (i = 0, eps_draining = 0; i < h->neps; i++)
		eps_draining += h->eps[i]->draining && !h->eps[i]->dead;
	clock_tv(&tv, (h->draining && !h->closing) || eps_draining > 0 ?
	    HTTP_DRAIN_CHECK_MS : HTTP_SWEEP_MS);
	event_add(h->sweep, &tv);
}

void
http_add_endpoint(struct http *h, const char *name, struct mux *mux,
    http_pump_cb pump, void *pump_arg)
{
	http_add_endpoint_ops(h, name, &http_mux_ops, mux, pump, pump_arg);
	h->eps[h->neps - 1]->mux = mux;
}

void
http_add_endpoint_ops(struct http *h, const char *name,
    const struct http_ep_ops *ops, void *arg, http_pump_cb pump,
    void *pump_arg)
{
	const struct http_config	*cfg = h->cfg;
	struct http_ep			*ep;
	char				*prefix;

	ep = xcalloc(1, sizeof *ep);
	ep->name = name != NULL ? xstrdup(name) : NULL;
	ep->ops = ops;
	ep->arg = arg;
	ep->pump = pump;
	ep->pump_arg = pump_arg;
	if (name != NULL)
		xasprintf(&prefix, "%s/servers/%s", cfg->base_path, name);
	else
		prefix = xstrdup(cfg->base_path);
	xasprintf(&ep->mcp_path, "%s%s", prefix, cfg->mcp_path);
	xasprintf(&ep->sse_path, "%s%s", prefix, cfg->sse_path);
	xasprintf(&ep->message_path, "%s%s", prefix, cfg->message_path);
	free(prefix);
	h->eps = xreallocarray(h->eps, h->neps + 1, sizeof *h->eps);
	h->eps[h->neps++] = ep;
}

void
http_endpoint_scopes(struct http *h, const char *name,
    const char *const *scopes, size_t n)
{
	struct http_ep	*ep = NULL;
	size_t		 i;

	for (i = 0; i < h->neps; i++)
		if (h->eps[i]->name != NULL && !h->eps[i]->dead &&
		    !h->eps[i]->draining && strcmp(h->eps[i]->name, name) == 0)
			ep = h->eps[i];
	if (ep == NULL || ep->nscopes > 0)
		return;
	ep->scopes = xcalloc(n > 0 ? n : 1, sizeof *ep->scopes);
	for (i = 0; i < n; i++)
		ep->scopes[i] = xstrdup(scopes[i]);
	ep->nscopes = n;
}

int
http_remove_endpoint(struct http *h, const char *name, const char *why,
    uint64_t timeout_ms, void (*done)(void *), void *arg)
{
	struct http_ep	*ep = NULL;
	struct timeval	 tv = { 0, 0 };
	size_t		 i;

	for (i = 0; i < h->neps; i++)
		if (h->eps[i]->name != NULL && !h->eps[i]->dead &&
		    !h->eps[i]->draining && strcmp(h->eps[i]->name, name) == 0)
			ep = h->eps[i];
	if (ep == NULL)
		return -1;
	ep->draining = 1;
	ep->drain_deadline = clock_ms() + timeout_ms;
	ep->drain_why = xstrdup(why);
	ep->drained = done;
	ep->drained_arg = arg;
	/* The sweep ends it at once if nothing is in flight. */
	event_del(h->sweep);
	event_add(h->sweep, &tv);
	return 0;
}

void
http_raise_max_queue(struct http *h, size_t max_queue)
{
	if (sessions_raise_max_queue(h->sessions, max_queue))
		log_info("the session queue is now %zu bytes (a server's "
		    "--max-message-size)", max_queue);
}

struct http *
http_new(struct event_base *base, const struct http_config *cfg,
    struct mux *mux, http_pump_cb pump, void *pump_arg)
{
	struct http		*h;
	struct session_limits	 limits;
	struct timeval		 tv;
	char			*err;

	metrics_started();
	h = xcalloc(1, sizeof *h);
	TAILQ_INIT(&h->held);
	h->base = base;
	h->cfg = cfg;

	if (cfg->auth_token_file != NULL)
		h->auth = auth_load_file(cfg->auth_token_file, &err);
	else if (cfg->auth_token_env != NULL)
		h->auth = auth_load_env(cfg->auth_token_env, &err);
	if ((cfg->auth_token_file != NULL || cfg->auth_token_env != NULL) &&
	    h->auth == NULL) {
		log_error("tokens: %s", err);
		free(err);
		free(h);
		return NULL;
	}
	if (cfg->tls_cert != NULL &&
	    (h->tls = tls_new(cfg->tls_cert, cfg->tls_key, &err)) == NULL) {
		log_error("%s", err);
		free(err);
		auth_free(h->auth);
		free(h);
		return NULL;
	}
	if (cfg->rate_limit != 0) {
		h->ratelimit = ratelimit_new((double)cfg->rate_limit,
		    (double)cfg->rate_limit, HTTP_RATE_KEYS_MAX);
		if (h->auth != NULL || cfg->oauth)
			h->authfail = ratelimit_new((double)cfg->rate_limit,
			    (double)cfg->rate_limit, HTTP_AUTHFAIL_ADDRS_MAX);
	}
	h->origins.hosts = cfg->allow_hosts;
	h->origins.nhosts = cfg->nallow_hosts;
	h->origins.origins = cfg->allow_origins;
	h->origins.norigins = cfg->nallow_origins;
	h->origins.cors = cfg->cors;
	h->origins.ncors = cfg->ncors;

	if (mux != NULL)
		http_add_endpoint(h, NULL, mux, pump, pump_arg);
	xasprintf(&h->healthz_path, "%s/healthz", cfg->base_path);
	xasprintf(&h->readyz_path, "%s/readyz", cfg->base_path);
	xasprintf(&h->metrics_path, "%s/metrics", cfg->base_path);
	xasprintf(&h->status_path, "%s/status", cfg->base_path);
	xasprintf(&h->status_json_path, "%s/status.json", cfg->base_path);

	memset(&limits, 0, sizeof limits);
	limits.keepalive_ms = cfg->keepalive_ms;
	limits.max_queue = cfg->max_queue;
	limits.replay_messages = cfg->replay_messages;
	limits.replay_bytes = cfg->replay_bytes;
	h->sessions = sessions_new(base, &limits, &http_session_ops, h);
	sessions_set_prefix(h->sessions, cfg->instance_id);

	h->reap = event_new(base, -1, 0, http_reap_cb, h);
	h->sweep = evtimer_new(base, http_sweep_cb, h);
	clock_tv(&tv, HTTP_SWEEP_MS);
	event_add(h->sweep, &tv);
	return h;
}

/*
 * SIGHUP: the token file and the certificate and key, read anew.  What
 * does not load leaves the old in place.  Connections already up keep the
 * TLS context they started with (each SSL holds a reference to it); new
 * ones get the new one.  A token that stays keeps its number, so the
 * sessions it opened stay its own (auth_inherit).
 */
int
http_reload(struct http *h)
{
	struct auth	*a;
	struct tls	*t;
	char		*err;
	int		 n = 0;

	if (h->cfg->auth_token_file != NULL) {
		n++;
		if ((a = auth_load_file(h->cfg->auth_token_file, &err)) ==
		    NULL) {
			log_error("SIGHUP: keeping the old tokens: %s", err);
			free(err);
		} else {
			auth_inherit(a, h->auth);
			auth_free(h->auth);
			h->auth = a;
			log_info("SIGHUP: %zu token%s loaded from %s",
			    auth_count(a), auth_count(a) == 1 ? "" : "s",
			    h->cfg->auth_token_file);
		}
	}
	if (h->cfg->tls_cert != NULL) {
		n++;
		if ((t = tls_new(h->cfg->tls_cert, h->cfg->tls_key, &err)) ==
		    NULL) {
			log_error("SIGHUP: keeping the old certificate and "
			    "key: %s", err);
			free(err);
		} else {
			if (h->listener != NULL)
				http_listener_set_tls(h->listener, t);
			tls_free(h->tls);
			h->tls = t;
			log_info("SIGHUP: certificate %s and key %s loaded",
			    h->cfg->tls_cert, h->cfg->tls_key);
		}
	}
	return n;
}

void
http_set_stats(struct http *h, http_stats_cb cb, void *arg)
{
	h->stats = cb;
	h->stats_arg = arg;
}

void
http_set_status(struct http *h, http_status_cb cb, void *arg)
{
	h->status = cb;
	h->status_arg = arg;
}

void
http_set_token_seen(struct http *h, void (*fn)(void *, const char *, size_t),
    void *arg)
{
	h->token_seen = fn;
	h->token_seen_arg = arg;
}

void
http_set_trace(struct http *h, http_trace_cb cb, void *arg)
{
	h->trace = cb;
	h->trace_arg = arg;
}

void
http_drain(struct http *h, uint64_t timeout_ms, void (*done)(void *),
    void *arg)
{
	struct timeval	tv = { 0, 0 };

	if (h->draining)
		return;
	log_info("draining: /readyz says 503, no new sessions or requests; "
	    "%zu %s in flight, %zu held for a token check", h->in_flight,
	    h->in_flight == 1 ? "request" : "requests", h->nheld);
	h->draining = 1;
	h->drain_deadline = clock_ms() + timeout_ms;
	h->drained = done;
	h->drained_arg = arg;
	event_add(h->sweep, &tv);
}

void
http_free(struct http *h)
{
	struct session		*sess;
	size_t			 i, j;

	if (h == NULL)
		return;
	free(h->url);
	h->url = NULL;
	h->freeing = 1;
	http_delivered(h);
	/* The muxes outlive us: let them forget every session. */
	while ((sess = sessions_first(h->sessions)) != NULL) {
		if (sess->ms != NULL)
			http_sess_ep(sess)->ops->session_close(
			    http_sess_ep(sess)->arg,
			    sess->ms);
		sess->ms = NULL;
		session_free(sess);
	}
	while ((sess = sessions_first_dead(h->sessions)) != NULL) {
		if (sess->ms != NULL)
			http_sess_ep(sess)->ops->session_close(
			    http_sess_ep(sess)->arg,
			    sess->ms);
		sess->ms = NULL;
		session_free(sess);
	}
	sessions_free(h->sessions);
	/* The streams let go of theirs above; the rest close now. */
	if (h->listener != NULL)
		http_listener_free(h->listener);
	if (h->metrics_listener != NULL)
		http_listener_free(h->metrics_listener);
	event_free(h->reap);
	event_free(h->sweep);
	free(h->hnames);
	free(h->hvalues);
	auth_free(h->auth);
	/* After the listener: closing a connection cancels its check. */
	http_auth_free(h->oauth);
	tls_free(h->tls);
	ratelimit_free(h->ratelimit);
	ratelimit_free(h->authfail);
	for (i = 0; i < h->neps; i++) {
		free(h->eps[i]->name);
		free(h->eps[i]->drain_why);
		free(h->eps[i]->mcp_path);
		free(h->eps[i]->sse_path);
		free(h->eps[i]->message_path);
		for (j = 0; j < h->eps[i]->nscopes; j++)
			free(h->eps[i]->scopes[j]);
		free(h->eps[i]->scopes);
		free(h->eps[i]);
	}
	free(h->eps);
	free(h->healthz_path);
	free(h->readyz_path);
	free(h->metrics_path);
	free(h->status_path);
	free(h->status_json_path);
	free(h);
}
