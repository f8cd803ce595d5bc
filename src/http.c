/*
 * http.c: the HTTP face of `mcpbridge serve`.  One evhttp listener carries
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <json-c/json.h>

#include "cli.h"
#include "http.h"
#include "jsonrpc.h"
#include "log.h"
#include "mux.h"
#include "session.h"
#include "xmalloc.h"

/* Descriptors kept free for the rest of the program when accept fails. */
#define HTTP_FD_RESERVE		4
/* How long accepting pauses after EMFILE. */
#define HTTP_ACCEPT_BACKOFF_MS	1000
/*
 * 2025-11-25 sessions: a POST with no message after this long (or the
 * keep-alive interval, if shorter) is primed and closed, and the client
 * polls (SEP-1699); it costs a compliant client one reconnection per slow
 * call, and spares connections held open for long calls.
 */
#define HTTP_POLL_MS		200
/* The retry field sent to those clients: how soon they come back. */
#define HTTP_RETRY_MS		250
#define HTTP_MAX_HEADERS	(64 * 1024)

struct http {
	struct event_base		*base;
	const struct config		*cfg;
	struct mux			*mux;
	http_pump_cb			 pump;
	void				*pump_arg;

	struct evhttp			*evh;
	struct evhttp_bound_socket	*bound;
	struct evconnlistener		*listener;
	struct sessions			*sessions;
	struct event			*reap;
	struct event			*accept_retry;
	int				 reserve[HTTP_FD_RESERVE];
	int				 draining;
	int				 freeing;
	int				 loopback;	/* check Host and Origin */

	char				*mcp_path;
	char				*sse_path;
	char				*message_path;
	char				*healthz_path;
	char				*readyz_path;

	LIST_ENTRY(http)		 entry;
};

/* The listener's error callback only gets the evhttp: find us by it. */
static LIST_HEAD(, http) http_all = LIST_HEAD_INITIALIZER(http_all);

static void	http_request(struct evhttp_request *, void *);
static void	http_lost(struct session *, struct stream *, void *);
static void	http_overflow(struct session *, void *);
static void	http_hold_expired(struct session *, struct stream *, void *);
static void	http_kick(struct http *, struct stream *);

static const struct session_ops http_session_ops = {
	.lost = http_lost,
	.overflow = http_overflow,
	.hold_expired = http_hold_expired,
};

static void
http_pump(struct http *h)
{
	if (h->pump != NULL && !h->freeing)
		h->pump(h->pump_arg);
}

/* ---- responses ---- */

static void
http_reply(struct evhttp_request *req, int code, const char *reason,
    const char *content_type, const char *body)
{
	struct evbuffer	*buf = NULL;

	if (content_type != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", content_type);
	if (body != NULL) {
		buf = evbuffer_new();
		evbuffer_add(buf, body, strlen(body));
	}
	evhttp_send_reply(req, code, reason, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

/* A JSON-RPC error with a null id as the body of an HTTP error. */
static void
http_reply_error(struct evhttp_request *req, int code, const char *reason,
    int rpc_code, const char *message)
{
	json_object	*err;

	err = jsonrpc_error_new(NULL, rpc_code, message, NULL);
	http_reply(req, code, reason, "application/json",
	    json_object_to_json_string_ext(err, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(err);
}

static void
http_reply_allow(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
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
http_is_json(struct evhttp_request *req)
{
	const char	*ct, *end;

	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	end = ct + strcspn(ct, "; \t");
	return http_token_eq(ct, (size_t)(end - ct), "application/json");
}

/*
 * Does an Accept value allow type ("major/minor")?  Wildcards count
 * ("*\/\*", "major/\*"); a range with q=0 allows nothing.  No header at all
 * allows everything (RFC 9110).
 */
static int
http_accepts(const char *accept, const char *type)
{
	const char	*p, *range, *end, *slash, *param, *q;
	size_t		 rlen, mlen;

	if (accept == NULL)
		return 1;
	slash = strchr(type, '/');
	mlen = (size_t)(slash - type);
	for (p = accept; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = p + strcspn(p, ",");
		range = p + strspn(p, " \t");
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

		if (http_token_eq(range, rlen, "*/*") ||
		    http_token_eq(range, rlen, type))
			return 1;
		if (rlen == mlen + 2 && strncasecmp(range, type, mlen) == 0 &&
		    range[mlen] == '/' && range[mlen + 1] == '*')
			return 1;
	next:
		;
	}
	return 0;
}

/* Hosts a loopback listener answers to: DNS rebinding protection. */
static int
http_local_host(const char *host, size_t len)
{
	const char	*colon;

	/* Drop the port: "[::1]:80", "localhost:80". */
	if (len > 0 && host[0] == '[') {
		colon = memchr(host, ']', len);
		if (colon == NULL)
			return 0;
		len = (size_t)(colon - host) + 1;
	} else if ((colon = memchr(host, ':', len)) != NULL)
		len = (size_t)(colon - host);
	return http_token_eq(host, len, "localhost") ||
	    http_token_eq(host, len, "127.0.0.1") ||
	    http_token_eq(host, len, "[::1]");
}

static int
http_origin_ok(struct http *h, struct evhttp_request *req)
{
	struct evkeyvalq	*hdrs = evhttp_request_get_input_headers(req);
	const char		*host, *origin, *p;

	if (!h->loopback)
		return 1;
	if ((host = evhttp_find_header(hdrs, "Host")) != NULL &&
	    !http_local_host(host, strlen(host)))
		return 0;
	if ((origin = evhttp_find_header(hdrs, "Origin")) == NULL)
		return 1;
	if (strncasecmp(origin, "http://", 7) == 0)
		p = origin + 7;
	else if (strncasecmp(origin, "https://", 8) == 0)
		p = origin + 8;
	else
		return 0;
	return http_local_host(p, strcspn(p, "/"));
}

/* MCP-Protocol-Version: absent means 2025-03-26; unknown is an error. */
static int
http_version_ok(struct evhttp_request *req)
{
	const char	*v;

	v = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "MCP-Protocol-Version");
	return v == NULL || jsonrpc_version_supported(v);
}

/*
 * The body as JSON.  On failure answers the request (400 with a JSON-RPC
 * parse error, or 413) and returns NULL.
 */
static json_object *
http_body_json(struct http *h, struct evhttp_request *req)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct json_tokener	*tok;
	json_object		*msg;
	const char		*data;
	size_t			 len, end;

	len = evbuffer_get_length(in);
	if (len > h->cfg->max_body) {
		http_reply_error(req, 413, "Payload Too Large",
		    JSONRPC_INVALID_REQUEST, "Request body too large");
		return NULL;
	}
	if ((data = (const char *)evbuffer_pullup(in, -1)) == NULL)
		data = "";
	tok = json_tokener_new();
	msg = json_tokener_parse_ex(tok, data, (int)len);
	/* Only white space may follow (the body is not NUL-terminated). */
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (strchr(" \t\r\n", data[end]) == NULL || data[end] == '\0')
			break;
	}
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    end != len || msg == NULL) {
		json_tokener_free(tok);
		if (msg != NULL)
			json_object_put(msg);
		http_reply_error(req, 400, "Bad Request", JSONRPC_PARSE_ERROR,
		    "Parse error");
		return NULL;
	}
	json_tokener_free(tok);
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

	s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	*len = strlen(s);
	return s;
}

/* ---- sessions ---- */

static void
http_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http	*h = arg;
	struct session	*sess;

	while ((sess = sessions_first_dead(h->sessions)) != NULL) {
		if (sess->ms != NULL) {
			mux_session_close(h->mux, sess->ms);
			sess->ms = NULL;
			http_pump(h);
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
	session_kill(sess, why);
	event_active(h->reap, EV_TIMEOUT, 1);
}

/* End a session politely: its event streams end, a held POST gets 404. */
static void
http_session_end(struct http *h, struct session *sess, const char *why)
{
	struct stream		*st, *next;
	struct evhttp_request	*req;

	for (st = TAILQ_FIRST(&sess->streams); st != NULL; st = next) {
		next = TAILQ_NEXT(st, entry);
		if (st->req == NULL || st->in_handler)
			continue;
		if (st->state == STREAM_SSE)
			stream_end(st);
		else {
			req = st->req;
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
	v = mux_session_version(sess->ms);
	sess->priming = v != NULL &&
	    jsonrpc_version_cmp(v, MCP_VERSION_2025_11_25) >= 0;
	sess->retry_ms = HTTP_RETRY_MS;
}

static void
http_lost(struct session *sess, struct stream *st, void *arg)
{
	struct http	*h = arg;

	/* A legacy session is its GET stream. */
	if (sess->kind == SESSION_LEGACY && st->no == 0)
		http_session_kill(h, sess, "client closed the event stream");
}

static void
http_overflow(struct session *sess, void *arg)
{
	struct http	*h = arg;

	if (sess->kind == SESSION_LEGACY)
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
http_stream_headers(struct stream *st, struct evhttp_request *req)
{
	if (st->initialize && !st->init_failed)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Mcp-Session-Id", st->sess->id);
}

/* Answer a HELD stream with its final message as JSON. */
static void
http_answer_json(struct http *h, struct stream *st, struct session_entry *e)
{
	struct evhttp_request	*req = st->req;
	struct evbuffer		*buf;
	const char		*reason;
	int			 status = st->status;

	http_stream_headers(st, req);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	buf = evbuffer_new();
	evbuffer_add(buf, e->text, e->len);
	stream_json_done(st, e);	/* forgets req and e */
	switch (status) {
	case 400:
		reason = "Bad Request";
		break;
	case 503:
		reason = "Service Unavailable";
		break;
	default:
		reason = "OK";
		break;
	}
	evhttp_send_reply(req, status, reason, buf);
	evbuffer_free(buf);
}

/*
 * Something arrived for a HELD stream (or its handler finished): answer
 * with JSON if it is the final message, else open the event stream.
 */
static void
http_kick(struct http *h, struct stream *st)
{
	struct session_entry	*e;

	if (st->req == NULL || st->in_handler || st->state != STREAM_HELD)
		return;
	if ((e = stream_json_final(st)) != NULL) {
		http_answer_json(h, st, e);
		return;
	}
	if (st->seq <= st->sent)
		return;			/* nothing yet */
	http_session_update(st->sess);
	http_stream_headers(st, st->req);
	stream_open(st, st->req, (uint64_t)-1);
}

static void
http_hold_expired(struct session *sess, struct stream *st, void *arg)
{
	http_session_update(sess);
	http_stream_headers(st, st->req);
	stream_open(st, st->req, (uint64_t)-1);
	if (st->req == NULL)
		return;
	if (sess->priming) {
		/* Primed with an id and a retry field: let the client come
		 * back with GET and Last-Event-ID instead of holding on. */
		log_debug("session %.8s: stream %llu slow, client will poll",
		    sess->id, (unsigned long long)st->no);
		stream_end(st);
	} else
		stream_comment(st, "keepalive");
	stream_gc(st);
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
http_mcp_session(struct http *h, struct evhttp_request *req)
{
	const char	*sid;
	struct session	*sess;

	sid = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Mcp-Session-Id");
	if (sid == NULL) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: Mcp-Session-Id header is required");
		return NULL;
	}
	if ((sess = session_find(h->sessions, sid, SESSION_STREAMABLE)) == NULL) {
		http_reply_error(req, 404, "Not Found",
		    JSONRPC_SESSION_NOT_FOUND, "Session not found");
		return NULL;
	}
	return sess;
}

static void
http_mcp_post(struct http *h, struct evhttp_request *req)
{
	struct evkeyvalq	*hdrs = evhttp_request_get_input_headers(req);
	const char		*accept;
	json_object		*msg;
	struct session		*sess;
	struct stream		*st;
	enum mux_recv		 r;
	int			 created = 0;

	accept = evhttp_find_header(hdrs, "Accept");
	if (!http_accepts(accept, "application/json") ||
	    !http_accepts(accept, "text/event-stream")) {
		http_reply_error(req, 406, "Not Acceptable", JSONRPC_SERVER_ERROR,
		    "Not Acceptable: Client must accept both application/json "
		    "and text/event-stream");
		return;
	}
	if (!http_is_json(req)) {
		http_reply_error(req, 415, "Unsupported Media Type",
		    JSONRPC_SERVER_ERROR, "Unsupported Media Type: "
		    "Content-Type must be application/json");
		return;
	}
	if ((msg = http_body_json(h, req)) == NULL)
		return;
	if (!http_version_ok(req)) {
		json_object_put(msg);
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: Unsupported protocol version");
		return;
	}

	if (evhttp_find_header(hdrs, "Mcp-Session-Id") == NULL &&
	    http_is_initialize(msg)) {
		if (h->draining) {
			json_object_put(msg);
			http_reply_error(req, 503, "Service Unavailable",
			    JSONRPC_SERVER_ERROR, "Server shutting down");
			return;
		}
		/*
		 * A new session.  A request in the 2026-07-28 style (no
		 * initialize, no session) does not get here: it is answered
		 * 400 "session required" below, which such clients read as
		 * "legacy server" and fall back to initialize.
		 */
		sess = session_new(h->sessions, SESSION_STREAMABLE);
		sess->ms = mux_session_new(h->mux, MUX_TRANSPORT_STREAMABLE, sess);
		http_pump(h);
		created = 1;
		log_info("session %.8s: new Streamable HTTP session", sess->id);
	} else if ((sess = http_mcp_session(h, req)) == NULL) {
		json_object_put(msg);
		return;
	}

	st = stream_new(sess);
	st->initialize = created;
	st->in_handler = 1;
	stream_hold(st, req, 0);
	r = mux_session_recv(h->mux, sess->ms, msg, st->no);
	http_pump(h);
	st->in_handler = 0;

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
		if (st->state == STREAM_HELD) {
			http_session_update(sess);
			stream_hold(st, req, http_hold_ms(h, sess));
		}
		break;
	}
	if (st->init_failed || (created && r != MUX_RECV_REPLY))
		http_session_kill(h, sess, "initialize failed");
	stream_gc(st);
}

static void
http_mcp_get(struct http *h, struct evhttp_request *req)
{
	struct evkeyvalq	*hdrs = evhttp_request_get_input_headers(req);
	struct session		*sess;
	struct stream		*st;
	const char		*last;
	uint64_t		 no, seq;

	if (!http_accepts(evhttp_find_header(hdrs, "Accept"),
	    "text/event-stream")) {
		http_reply_error(req, 406, "Not Acceptable", JSONRPC_SERVER_ERROR,
		    "Not Acceptable: Client must accept text/event-stream");
		return;
	}
	if (!http_version_ok(req)) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: Unsupported protocol version");
		return;
	}
	if ((sess = http_mcp_session(h, req)) == NULL)
		return;
	http_session_update(sess);

	if ((last = evhttp_find_header(hdrs, "Last-Event-ID")) == NULL) {
		st = stream_find(sess, 0);
		if (st->req != NULL) {
			http_reply_error(req, 409, "Conflict",
			    JSONRPC_SERVER_ERROR, "Conflict: Only one SSE "
			    "stream is allowed per session");
			return;
		}
		stream_open(st, req, (uint64_t)-1);
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
	if (st->req != NULL) {
		/* The client left that connection behind: this one wins. */
		if (st->state == STREAM_SSE)
			stream_end(st);
		else
			stream_drop(st);
	}
	log_debug("session %.8s: stream %llu resumed after %llu", sess->id,
	    (unsigned long long)no, (unsigned long long)seq);
	stream_open(st, req, seq);
	stream_gc(st);
}

static void
http_mcp_delete(struct http *h, struct evhttp_request *req)
{
	struct session	*sess;

	if (!http_version_ok(req)) {
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
http_mcp(struct http *h, struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_POST:
		http_mcp_post(h, req);
		break;
	case EVHTTP_REQ_GET:
		http_mcp_get(h, req);
		break;
	case EVHTTP_REQ_DELETE:
		http_mcp_delete(h, req);
		break;
	default:
		http_reply_allow(req, "GET, POST, DELETE");
		break;
	}
}

/* ---- legacy HTTP+SSE ---- */

static void
http_sse(struct http *h, struct evhttp_request *req)
{
	struct session	*sess;
	struct stream	*st;
	char		*endpoint;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		http_reply_allow(req, "GET");
		return;
	}
	if (h->draining) {
		http_reply(req, 503, "Service Unavailable", "text/plain",
		    "shutting down\n");
		return;
	}
	sess = session_new(h->sessions, SESSION_LEGACY);
	sess->ms = mux_session_new(h->mux, MUX_TRANSPORT_SSE, sess);
	http_pump(h);
	st = stream_find(sess, 0);
	stream_open(st, req, (uint64_t)-1);
	xasprintf(&endpoint, "%s?sessionId=%s", h->message_path, sess->id);
	stream_send_event(st, "endpoint", endpoint);
	free(endpoint);
	log_info("session %.8s: new HTTP+SSE session", sess->id);
}

static char *
http_query_param(struct evhttp_request *req, const char *name)
{
	struct evkeyvalq	 params;
	const char		*query, *v;
	char			*value = NULL;

	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (query == NULL)
		return NULL;
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(query, &params) == 0 &&
	    (v = evhttp_find_header(&params, name)) != NULL)
		value = xstrdup(v);
	evhttp_clear_headers(&params);
	return value;
}

static void
http_message(struct http *h, struct evhttp_request *req)
{
	struct session		*sess;
	struct session_entry	*e, *final = NULL;
	json_object		*msg;
	enum mux_recv		 r;
	uint64_t		 no;
	char			*sid;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_reply_allow(req, "POST");
		return;
	}
	if ((sid = http_query_param(req, "sessionId")) == NULL) {
		http_reply_error(req, 400, "Bad Request", JSONRPC_SERVER_ERROR,
		    "Bad Request: sessionId is required");
		return;
	}
	sess = session_find(h->sessions, sid, SESSION_LEGACY);
	free(sid);
	if (sess == NULL) {
		http_reply_error(req, 404, "Not Found",
		    JSONRPC_SESSION_NOT_FOUND, "Session not found");
		return;
	}
	if (!http_is_json(req)) {
		http_reply_error(req, 415, "Unsupported Media Type",
		    JSONRPC_SERVER_ERROR, "Unsupported Media Type: "
		    "Content-Type must be application/json");
		return;
	}
	if ((msg = http_body_json(h, req)) == NULL)
		return;

	/* What comes back for this POST during the call is held aside: an
	 * error for a rejected message is this response's body. */
	no = sess->next_stream++;
	sess->capture_stream = no;
	r = mux_session_recv(h->mux, sess->ms, msg, no);
	http_pump(h);
	sess->capture_stream = 0;

	while ((e = TAILQ_FIRST(&sess->capture)) != NULL) {
		TAILQ_REMOVE(&sess->capture, e, entry);
		if (e->final && (r == MUX_RECV_INVALID || r == MUX_RECV_BUSY) &&
		    final == NULL) {
			final = e;
			continue;
		}
		if (!sess->dead)
			session_push(sess, 0, e->text, e->len, 0);
		free(e->text);
		free(e);
	}

	switch (r) {
	case MUX_RECV_INVALID:
	case MUX_RECV_BUSY:
		if (final != NULL)
			http_reply(req, r == MUX_RECV_BUSY ? 503 : 400,
			    r == MUX_RECV_BUSY ? "Service Unavailable" :
			    "Bad Request", "application/json", final->text);
		else
			http_reply_error(req, r == MUX_RECV_BUSY ? 503 : 400,
			    NULL, JSONRPC_INVALID_REQUEST, "Invalid Request");
		break;
	default:
		http_reply(req, 202, "Accepted", "text/plain", "Accepted");
		break;
	}
	if (final != NULL) {
		free(final->text);
		free(final);
	}
}

/* ---- probes and routing ---- */

static void
http_probe(struct http *h, struct evhttp_request *req, int ready)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		http_reply_allow(req, "GET, HEAD");
		return;
	}
	if (!ready)
		http_reply(req, 200, "OK", "text/plain", "ok\n");
	else if (mux_ready(h->mux) && !h->draining)
		http_reply(req, 200, "OK", "text/plain", "ready\n");
	else
		http_reply(req, 503, "Service Unavailable", "text/plain",
		    h->draining ? "draining\n" : "not ready\n");
}

static void
http_request(struct evhttp_request *req, void *arg)
{
	struct http			*h = arg;
	const struct evhttp_uri		*uri;
	const char			*path;

	uri = evhttp_request_get_evhttp_uri(req);
	path = uri == NULL ? NULL : evhttp_uri_get_path(uri);
	if (path == NULL || *path == '\0')
		path = "/";
	log_debug("%s %s", evhttp_request_get_command(req) == EVHTTP_REQ_GET ?
	    "GET" : evhttp_request_get_command(req) == EVHTTP_REQ_POST ?
	    "POST" : "request", path);

	if (!http_origin_ok(h, req)) {
		http_reply_error(req, 403, "Forbidden", JSONRPC_SERVER_ERROR,
		    "Forbidden: Host or Origin not allowed");
		return;
	}
	if (strcmp(path, h->mcp_path) == 0)
		http_mcp(h, req);
	else if (strcmp(path, h->sse_path) == 0)
		http_sse(h, req);
	else if (strcmp(path, h->message_path) == 0)
		http_message(h, req);
	else if (strcmp(path, h->healthz_path) == 0)
		http_probe(h, req, 0);
	else if (strcmp(path, h->readyz_path) == 0)
		http_probe(h, req, 1);
	else
		http_reply(req, 404, "Not Found", "text/plain", "not found\n");
}

/* ---- the pump's way in ---- */

void
http_deliver(struct http *h, struct mux_out *out)
{
	struct session		*sess;
	struct stream		*st;
	struct session_entry	*e;
	const char		*text;
	size_t			 len;

	sess = out->session == NULL ? NULL : mux_session_data(out->session);
	if (out->kind == MUX_OUT_SESSION_END) {
		if (sess != NULL && !h->freeing)
			http_session_end(h, sess, "ended by the upstream");
		return;
	}
	if (out->kind != MUX_OUT_SESSION || out->msg == NULL || sess == NULL ||
	    sess->dead || h->freeing)
		goto done;

	text = http_json_text(out->msg, &len);
	if (sess->kind == SESSION_LEGACY) {
		/* One stream carries everything, unless its POST handler
		 * is still deciding what to answer. */
		if (sess->capture_stream != 0 &&
		    out->stream == sess->capture_stream) {
			e = xcalloc(1, sizeof *e);
			e->text = xstrndup(text, len);
			e->len = len;
			e->final = out->final;
			TAILQ_INSERT_TAIL(&sess->capture, e, entry);
		} else
			session_push(sess, 0, text, len, 0);
		goto done;
	}

	if ((st = stream_find(sess, out->stream)) == NULL || st->finished) {
		log_debug("session %.8s: message for finished stream %llu "
		    "dropped", sess->id, (unsigned long long)out->stream);
		goto done;
	}
	if (st->initialize && out->final &&
	    !json_object_object_get_ex(out->msg, "result", NULL))
		st->init_failed = 1;
	session_push(sess, out->stream, text, len, out->final);
	if ((st = stream_find(sess, out->stream)) != NULL) {
		http_kick(h, st);
		if (st->init_failed && !st->in_handler)
			http_session_kill(h, sess, "initialize failed");
		stream_gc(st);
	}
done:
	if (out->msg != NULL)
		json_object_put(out->msg);
	out->msg = NULL;
}

/* ---- listening ---- */

static void
http_reserve_fds(struct http *h)
{
	int	i;

	for (i = 0; i < HTTP_FD_RESERVE; i++) {
		if (h->reserve[i] == -1)
			h->reserve[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
}

static int
http_reserve_full(const struct http *h)
{
	int	i;

	for (i = 0; i < HTTP_FD_RESERVE; i++) {
		if (h->reserve[i] == -1)
			return 0;
	}
	return 1;
}

static void
http_release_fds(struct http *h)
{
	int	i;

	for (i = 0; i < HTTP_FD_RESERVE; i++) {
		if (h->reserve[i] != -1)
			close(h->reserve[i]);
		h->reserve[i] = -1;
	}
}

static void
http_accept_retry(evutil_socket_t fd, short ev, void *arg)
{
	struct http	*h = arg;
	struct timeval	 tv = { HTTP_ACCEPT_BACKOFF_MS / 1000,
			    (HTTP_ACCEPT_BACKOFF_MS % 1000) * 1000 };

	http_reserve_fds(h);
	if (!http_reserve_full(h)) {
		event_add(h->accept_retry, &tv);
		return;
	}
	log_info("accepting connections again");
	evconnlistener_enable(h->listener);
}

/*
 * accept() failed for a reason other than "try again": out of descriptors,
 * most likely.  Give the reserve back to the rest of the program, stop
 * accepting and try again later.
 */
static void
http_accept_error(struct evconnlistener *listener, void *arg)
{
	struct http	*h;
	struct timeval	 tv = { HTTP_ACCEPT_BACKOFF_MS / 1000,
			    (HTTP_ACCEPT_BACKOFF_MS % 1000) * 1000 };
	int		 error = EVUTIL_SOCKET_ERROR();

	LIST_FOREACH(h, &http_all, entry) {
		if (h->listener == listener)
			break;
	}
	if (h == NULL)
		return;
	errno = error;
	log_warn("accept");
	evconnlistener_disable(listener);
	http_release_fds(h);
	event_add(h->accept_retry, &tv);
}

static void
http_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit");
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

int
http_listen(struct http *h)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	char			 host[NI_MAXHOST], port[NI_MAXSERV];
	char			*bind_host, *url;
	size_t			 len;
	int			 fd;

	http_raise_nofile();
	http_reserve_fds(h);

	/* "[::1]" works as well as "::1". */
	bind_host = xstrdup(h->cfg->host);
	len = strlen(bind_host);
	if (len >= 2 && bind_host[0] == '[' && bind_host[len - 1] == ']') {
		memmove(bind_host, bind_host + 1, len - 2);
		bind_host[len - 2] = '\0';
	}
	h->bound = evhttp_bind_socket_with_handle(h->evh, bind_host,
	    (ev_uint16_t)h->cfg->port);
	if (h->bound == NULL) {
		log_warn("cannot listen on %s port %d", h->cfg->host,
		    h->cfg->port);
		free(bind_host);
		return -1;
	}
	free(bind_host);
	h->listener = evhttp_bound_socket_get_listener(h->bound);
	evconnlistener_set_error_cb(h->listener, http_accept_error);

	fd = evhttp_bound_socket_get_fd(h->bound);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, port,
	    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		log_warn("getsockname");
		return -1;
	}
	h->loopback = http_is_loopback((struct sockaddr *)&ss);
	xasprintf(&url, ss.ss_family == AF_INET6 ? "http://[%s]:%s%s" :
	    "http://%s:%s%s", host, port, h->cfg->base_path);
	log_info("listening on %s (Streamable HTTP %s, HTTP+SSE %s)", url,
	    h->mcp_path, h->sse_path);
	if (h->cfg->print_url) {
		printf("%s\n", url);
		fflush(stdout);
	}
	free(url);
	return 0;
}

/* ---- life cycle ---- */

struct http *
http_new(struct event_base *base, const struct config *cfg, struct mux *mux,
    http_pump_cb pump, void *pump_arg)
{
	struct http		*h;
	struct session_limits	 limits;
	int			 i;

	h = xcalloc(1, sizeof *h);
	h->base = base;
	h->cfg = cfg;
	h->mux = mux;
	h->pump = pump;
	h->pump_arg = pump_arg;
	for (i = 0; i < HTTP_FD_RESERVE; i++)
		h->reserve[i] = -1;

	xasprintf(&h->mcp_path, "%s%s", cfg->base_path, cfg->mcp_path);
	xasprintf(&h->sse_path, "%s%s", cfg->base_path, cfg->sse_path);
	xasprintf(&h->message_path, "%s%s", cfg->base_path, cfg->message_path);
	xasprintf(&h->healthz_path, "%s/healthz", cfg->base_path);
	xasprintf(&h->readyz_path, "%s/readyz", cfg->base_path);

	memset(&limits, 0, sizeof limits);
	limits.keepalive_ms = cfg->keepalive_ms > 0 ? cfg->keepalive_ms :
	    CLI_DEFAULT_KEEPALIVE_MS;
	limits.max_queue = cfg->max_queue;
	limits.replay_messages = cfg->replay_messages;
	limits.replay_bytes = cfg->replay_bytes;
	h->sessions = sessions_new(base, &limits, &http_session_ops, h);

	if ((h->evh = evhttp_new(base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_gencb(h->evh, http_request, h);
	evhttp_set_default_content_type(h->evh, NULL);
	evhttp_set_max_body_size(h->evh, (ev_ssize_t)cfg->max_body);
	evhttp_set_max_headers_size(h->evh, HTTP_MAX_HEADERS);
	evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);

	h->reap = event_new(base, -1, 0, http_reap_cb, h);
	h->accept_retry = evtimer_new(base, http_accept_retry, h);
	LIST_INSERT_HEAD(&http_all, h, entry);
	return h;
}

void
http_drain(struct http *h)
{
	if (!h->draining)
		log_info("draining: no new sessions");
	h->draining = 1;
}

void
http_free(struct http *h)
{
	struct session	*sess;

	if (h == NULL)
		return;
	h->freeing = 1;
	LIST_REMOVE(h, entry);
	/* The mux outlives us: let it forget every session. */
	while ((sess = sessions_first(h->sessions)) != NULL) {
		if (sess->ms != NULL)
			mux_session_close(h->mux, sess->ms);
		sess->ms = NULL;
		session_free(sess);
	}
	while ((sess = sessions_first_dead(h->sessions)) != NULL) {
		if (sess->ms != NULL)
			mux_session_close(h->mux, sess->ms);
		sess->ms = NULL;
		session_free(sess);
	}
	sessions_free(h->sessions);
	evhttp_free(h->evh);
	event_free(h->reap);
	event_free(h->accept_retry);
	http_release_fds(h);
	free(h->mcp_path);
	free(h->sse_path);
	free(h->message_path);
	free(h->healthz_path);
	free(h->readyz_path);
	free(h);
}
