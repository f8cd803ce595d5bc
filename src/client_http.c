/* SPDX-License-Identifier: ISC */
/*
 * client_http.c: the HTTP exchanges with the server.  Every one is a
 * struct conn: a POST per message (its answer JSON or an event stream, which
 * is resumed with GET and Last-Event-ID when it breaks before the answer),
 * the GET stream, the legacy stream, the listen stream and the DELETE at
 * exit.  Conns die at once (client_conn_close: no callback reaches them
 * afterwards) and are freed on a later loop turn.  What the server sends,
 * on any of them, ends in client_incoming.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "client_int.h"
#include "client_modern.h"
#include "exitcodes.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "modern.h"
#include "oauth.h"
#include "sse_parser.h"
#include "url.h"
#include "xmalloc.h"

/* ---- answers that are not MCP ---- */

/* How much of a body that is not MCP, and of its Content-Type, a log line
 * and the local client's error show. */
#define CLIENT_NOT_MCP_EXCERPT	80
#define CLIENT_NOT_MCP_TYPE	64

/*
 * At most max bytes of src[0..len) into dst (max + 1 bytes), ending at
 * the first byte of stop, every byte that is not printable ASCII as '?':
 * what a stranger sent is fit for a log line.  Returns 1 if cut at max.
 */
static int
client_excerpt(char *dst, size_t max, const char *src, size_t len,
    const char *stop)
{
	size_t		i, nstop = strlen(stop);
	unsigned char	ch;

	for (i = 0; i < len && i < max; i++) {
		ch = (unsigned char)src[i];
		if (memchr(stop, ch, nstop) != NULL)
			break;
		dst[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[i] = '\0';
	return i == max && i < len && memchr(stop, src[i], nstop) == NULL;
}

/* The URL as a log line may show it: no user info, query or fragment,
 * which may carry credentials. */
char *
client_url_shown(const char *url)
{
	const char	*scheme, *host, *p, *end;
	char		*s;

	scheme = strstr(url, "://");
	host = scheme != NULL ? scheme + 3 : url;
	end = host + strcspn(host, "/?#");
	for (p = host; p < end; p++) {
		if (*p == '@')
			host = p + 1;
	}
	end = host + strcspn(host, "?#");
	xasprintf(&s, "%.*s%.*s", scheme != NULL ? (int)(scheme + 3 - url) : 0,
	    url, (int)(end - host), host);
	return s;
}

/* The URL's host name (no port, no brackets), or NULL; the caller frees
 * it. */
static char *
client_url_host(const char *url)
{
	CURLU	*u;
	char	*host;

	if ((u = url_parse(url)) == NULL)
		return NULL;
	host = url_part(u, CURLUPART_HOST, 0);
	curl_url_cleanup(u);
	if (*host == '\0') {
		free(host);
		return NULL;
	}
	return host;
}

/*
 * Why an answer that is not MCP is refused, for the log and the local
 * client (the caller frees it): the status, the content type and the
 * first line of the body, bounded and made printable, and the URL without
 * what may carry credentials.
 */
static char *
client_not_mcp_why(struct client *c, struct curl_event_xfer *x, long status)
{
	struct evbuffer	*body = c->http->body(x);
	const char	*ct = c->http->header(x, "Content-Type");
	char		 type[CLIENT_NOT_MCP_TYPE + 1];
	char		 line[CLIENT_NOT_MCP_EXCERPT + 1];
	char		*url, *why;
	unsigned char	*p;
	size_t		 len;
	int		 cut;

	len = evbuffer_get_length(body);
	if (len > CLIENT_NOT_MCP_EXCERPT + 1)
		len = CLIENT_NOT_MCP_EXCERPT + 1;
	if ((p = evbuffer_pullup(body, (ev_ssize_t)len)) == NULL)
		fatalx("evbuffer_pullup");
	cut = client_excerpt(line, CLIENT_NOT_MCP_EXCERPT, (const char *)p,
	    len, "\r\n");
	if (ct != NULL)
		client_excerpt(type, CLIENT_NOT_MCP_TYPE, ct, strlen(ct), "; ");
	url = client_url_shown(c->url);
	xasprintf(&why, "%s answered %ld with %s, not MCP: \"%s%s\"", url,
	    status, ct != NULL ? type : "no Content-Type", line,
	    cut ? "..." : "");
	free(url);
	return why;
}

/*
 * A 2xx answer to a POST whose body is neither JSON nor an event stream:
 * a login page, a captive portal, a wrong URL.  No MCP answer will follow,
 * so waiting for one would only end at --request-timeout.  Returns why,
 * or NULL if the answer may be fine.  202 is left alone: it has nothing
 * to answer.
 */
static char *
client_not_mcp(struct client *c, struct curl_event_xfer *x, long status)
{
	const char	*ct = c->http->header(x, "Content-Type");

	if (status == 202 || evbuffer_get_length(c->http->body(x)) == 0 ||
	    (ct != NULL && (strncasecmp(ct, "application/json", 16) == 0 ||
	    strncasecmp(ct, "text/event-stream", 17) == 0)))
		return NULL;
	return client_not_mcp_why(c, x, status);
}

/* ---- why an HTTP error: the server's words and what to do ---- */

/* How much of the server's explanation of an HTTP error is shown. */
#define CLIENT_WORDS_MAX	200

/*
 * The server's explanation of an HTTP error, quoted, one printable line
 * cut at CLIENT_WORDS_MAX: the message of a JSON-RPC error (or the
 * error_description or error of an OAuth-style JSON error), else the
 * first line of a text/plain body.  NULL if it gave none (an HTML page
 * says nothing fit for one line).  msg is the body parsed, or NULL.
 */
char *
client_server_words(struct client *c, struct curl_event_xfer *x,
    json_object *msg)
{
	struct evbuffer	*body = c->http->body(x);
	const char	*ct = c->http->header(x, "Content-Type");
	const char	*src = NULL;
	json_object	*e, *m;
	char		 line[CLIENT_WORDS_MAX + 1], *words;
	size_t		 len;
	int		 cut;

	if (msg != NULL && json_object_is_type(msg, json_type_object) &&
	    json_object_object_get_ex(msg, "error", &e)) {
		if (json_object_is_type(e, json_type_object) &&
		    json_object_object_get_ex(e, "message", &m) &&
		    json_object_is_type(m, json_type_string))
			src = json_object_get_string(m);
		else if (json_object_object_get_ex(msg, "error_description",
		    &m) && json_object_is_type(m, json_type_string))
			src = json_object_get_string(m);
		else if (json_object_is_type(e, json_type_string))
			src = json_object_get_string(e);
		if (src == NULL)
			return NULL;
		len = strlen(src);
	} else if (msg == NULL && ct != NULL &&
	    strncasecmp(ct, "text/plain", 10) == 0) {
		len = evbuffer_get_length(body);
		if (len > CLIENT_WORDS_MAX + 1)
			len = CLIENT_WORDS_MAX + 1;
		if ((src = (const char *)evbuffer_pullup(body,
		    (ev_ssize_t)len)) == NULL)
			return NULL;
	} else
		return NULL;
	while (len > 0 && (*src == ' ' || *src == '\t' || *src == '\r' ||
	    *src == '\n')) {
		src++;
		len--;
	}
	cut = client_excerpt(line, CLIENT_WORDS_MAX, src, len, "\r\n");
	if (*line == '\0')
		return NULL;
	xasprintf(&words, "\"%s%s\"", line, cut ? "..." : "");
	return words;
}

/* A token goes with every request: --bearer-token-env, or an
 * Authorization --header. */
static int
client_has_token(struct client *c)
{
	size_t	i;

	for (i = 0; i < c->nheaders; i++) {
		if (strncasecmp(c->headers[i], "Authorization:", 14) == 0)
			return 1;
	}
	return 0;
}

/*
 * What to do about a 401 or 403 the bridge could not answer with a
 * sign-in: give a token, or sign in (when the server's challenge names
 * its protected resource metadata, i.e. it speaks OAuth, and --no-oauth
 * kept the bridge from it), or get one with the scope it wants.
 */
static char *
client_auth_hint(struct client *c, struct curl_event_xfer *x, long status)
{
	struct oauth_bearer	 b;
	char			 scope[CLIENT_NOT_MCP_TYPE + 1];
	char			*hint;
	int			 oauth, has_scope;

	memset(&b, 0, sizeof b);
	if (oauth_parse_bearer(c->http->header(x, "WWW-Authenticate"),
	    &b) == -1)
		memset(&b, 0, sizeof b);
	oauth = b.resource_metadata != NULL && c->cfg->no_oauth;
	has_scope = status == 403 && b.error != NULL &&
	    strcmp(b.error, "insufficient_scope") == 0 && b.scope != NULL;
	if (has_scope)
		client_excerpt(scope, CLIENT_NOT_MCP_TYPE, b.scope,
		    strlen(b.scope), "\r\n\"");
	if (has_scope)
		xasprintf(&hint, "the token lacks the scope the server wants "
		    "(scope %s)%s", scope, oauth ? "; sign in for it: run "
		    "without --no-oauth" : "");
	else if (client_has_token(c))
		xasprintf(&hint, "the server refused the token given "
		    "(--bearer-token-env or an Authorization --header)");
	else
		xasprintf(&hint, "give a token with --bearer-token-env VAR%s",
		    oauth ? ", or sign in: run without --no-oauth and "
		    "mcpbridge opens the server's sign-in page in a browser" :
		    "");
	oauth_bearer_clear(&b);
	return hint;
}

/* A "did you mean" for a URL that led nowhere, or NULL. */
static char *
client_url_hint(struct client *c)
{
	char	*url, *hint;

	if ((url = client_url_suggest(c->url)) == NULL)
		return NULL;
	xasprintf(&hint, "did you mean %s?", url);
	free(url);
	return hint;
}

/*
 * Why the server refused a request with an HTTP error, for the log and
 * the local client (the caller frees it): what (the status), the
 * server's own words, and what to do about it where that is known.
 */
static char *
client_http_why(struct client *c, struct curl_event_xfer *x, long status,
    json_object *msg, const char *what)
{
	char	*words, *hint = NULL, *why;

	words = client_server_words(c, x, msg);
	if (status == 401 || status == 403)
		hint = client_auth_hint(c, x, status);
	else if (status == 404 || status == 405)
		hint = client_url_hint(c);
	xasprintf(&why, "%s%s%s%s%s", what, words != NULL ? ": " : "",
	    words != NULL ? words : "", hint != NULL ? "; " : "",
	    hint != NULL ? hint : "");
	free(words);
	free(hint);
	return why;
}

/* A request of the local client's before any initialize, without
 * --oneshot: a server of the initialize era refuses it, having no
 * session for it. */
static int
client_no_handshake(struct client *c, struct cmsg *cm)
{
	return cm->kind == JSONRPC_REQUEST && !cm->internal && !cm->is_init &&
	    c->init == NULL && !c->cfg->oneshot && c->era != ERA_MODERN &&
	    c->local != LOCAL_MODERN;
}

#define CLIENT_NO_HANDSHAKE	"send initialize first, or use --oneshot " \
	"to have mcpbridge do the handshake"

/* ---- why a transfer got no answer ---- */

/* The URL as shown, with the other of http:// and https://. */
static char *
client_url_other_scheme(struct client *c)
{
	char	*shown, *s;

	shown = client_url_shown(c->url);
	if (strncasecmp(shown, "https://", 8) == 0)
		xasprintf(&s, "http://%s", shown + 8);
	else if (strncasecmp(shown, "http://", 7) == 0)
		xasprintf(&s, "https://%s", shown + 7);
	else
		s = xstrdup(shown);
	free(shown);
	return s;
}

/*
 * A transfer that failed without an HTTP answer: why, with what to do
 * (the caller frees it), and *lasting if trying again cannot mend it.
 * Before the server has answered once, a refused connection, an unknown
 * host or proxy, a TLS handshake that fails (https:// to a plain port)
 * and a connection closed without a word (http:// to a TLS port) are a
 * wrong URL or a server that is not running: retried, they only hide
 * that for seconds.  Once it has answered they may be a restart or a
 * blip, and are retried.  A certificate that is not trusted, or a
 * --cacert that cannot be read, never mends itself.
 */
char *
client_net_why(struct client *c, int result, const char *error,
    int *lasting)
{
	char	*url, *other = NULL, *why, *host;
	/* Embedded, a server that cannot be reached is lost at once: its
	 * embedder reconnects (client_lost). */
	int	 first = !c->heard || c->lost != NULL;

	*lasting = 0;
	url = client_url_shown(c->url);
	switch (result) {
	case CURLE_COULDNT_CONNECT:
		*lasting = first;
		xasprintf(&why, "cannot connect to %s: %s; is the server "
		    "running, and listening on that port?", url, error);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		*lasting = first;
		xasprintf(&why, "cannot connect to %s: %s; check the host "
		    "name", url, error);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		*lasting = first;
		xasprintf(&why, "cannot connect to %s: %s; check the proxy "
		    "(http_proxy, https_proxy, all_proxy)", url, error);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		*lasting = first;
		other = client_url_other_scheme(c);
		xasprintf(&why, "the TLS handshake with %s failed: %s; if "
		    "that port speaks plain HTTP, did you mean %s?", url,
		    error, other);
		break;
	case CURLE_GOT_NOTHING:
		if (strncasecmp(c->url, "http://", 7) != 0)
			goto plain;
		*lasting = first;
		other = client_url_other_scheme(c);
		xasprintf(&why, "%s closed the connection without an answer: "
		    "%s; if that port speaks TLS, did you mean %s?", url,
		    error, other);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		*lasting = 1;
		/* libcurl says "... host name ..." when the chain is good
		 * but the name is not the URL's: then the CA is not it. */
		if (strstr(error, "host name") != NULL) {
			host = client_url_host(c->url);
			xasprintf(&why, "the server's certificate is not for "
			    "%s: %s; use the name it was made for in the URL",
			    host != NULL ? host : "that host", error);
			free(host);
		} else if (c->cfg->cacert != NULL)
			xasprintf(&why, "the server's certificate is not "
			    "trusted: %s; the CA in --cacert %s does not vouch "
			    "for it", error, c->cfg->cacert);
		else
			xasprintf(&why, "the server's certificate is not "
			    "trusted: %s; give its CA with --cacert FILE",
			    error);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		*lasting = 1;
		xasprintf(&why, "cannot use the CA file given with --cacert: "
		    "%s", error);
		break;
	default:
	plain:
		why = xstrdup(error);
		break;
	}
	free(url);
	free(other);
	return why;
}

/* ---- HTTP requests ---- */

static struct curl_slist *
client_append(struct curl_slist *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct curl_slist *
client_append(struct curl_slist *h, const char *fmt, ...)
{
	struct curl_slist	*n;
	va_list			 ap;
	char			*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	if ((n = curl_slist_append(h, s)) == NULL)
		fatalx("curl_slist_append");
	free(s);
	return n;
}

/* "Name: value"; curl drops a header written "Name:", so an empty value
 * is written "Name;". */
static struct curl_slist *
client_append_value(struct curl_slist *h, const char *name,
    const char *value)
{
	if (*value == '\0')
		return client_append(h, "%s;", name);
	return client_append(h, "%s: %s", name, value);
}

/* Modern tools/call: the arguments its tool's x-mcp-header annotations
 * name, as Mcp-Param-* headers. */
static struct curl_slist *
client_param_headers(struct client *c, struct curl_slist *h,
    json_object *params)
{
	json_object	*name, *spec, *args = NULL, *values;
	char		*header;

	if (!json_object_object_get_ex(params, "name", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    !json_object_object_get_ex(c->tool_headers,
	    json_object_get_string(name), &spec))
		return h;
	json_object_object_get_ex(params, "arguments", &args);
	values = mcpwire_param_headers(spec, args);
	json_object_object_foreach(values, k, v) {
		xasprintf(&header, "Mcp-Param-%s", k);
		h = client_append_value(h, header, json_object_get_string(v));
		free(header);
	}
	json_object_put(values);
	return h;
}

/* For a POSTed message: Mcp-Method and Mcp-Name, which 2026-07-28 servers
 * require and earlier ones ignore, and the protocol version the message
 * itself names, if it does (then Mcp-Param-* too). */
static struct curl_slist *
client_message_headers(struct client *c, struct curl_slist *h,
    json_object *msg, const char **version)
{
	const char	*method, *name;
	json_object	*params, *v, *meta;
	char		*value;

	if ((method = jsonrpc_method(msg)) == NULL)
		return h;
	value = mcpwire_header_value(method);
	h = client_append_value(h, "Mcp-Method", value);
	free(value);
	params = jsonrpc_params(msg);
	if (params == NULL || !json_object_is_type(params, json_type_object))
		return h;
	/* The requests that name what they act on are those that may ask
	 * for input. */
	if (modern_method_mrtr(method) &&
	    (name = modern_request_name(method, params)) != NULL) {
		value = mcpwire_header_value(name);
		h = client_append_value(h, "Mcp-Name", value);
		free(value);
	}
	if (json_object_object_get_ex(params, "_meta", &meta) &&
	    json_object_is_type(meta, json_type_object) &&
	    json_object_object_get_ex(meta, MODERN_META_VERSION, &v) &&
	    json_object_is_type(v, json_type_string) &&
	    strpbrk(json_object_get_string(v), "\r\n") == NULL) {
		*version = json_object_get_string(v);
		if (strcmp(method, "tools/call") == 0)
			h = client_param_headers(c, h, params);
	}
	return h;
}

static struct curl_slist *
client_headers(struct client *c, const char *method, const char *last_id,
    json_object *msg)
{
	struct curl_slist	*h = NULL;
	const char		*version = c->protocol_version;
	size_t			 i;

	if (strcmp(method, "POST") == 0) {
		h = client_append(h, "Content-Type: application/json");
		h = client_append(h, "Accept: application/json, "
		    "text/event-stream");
		h = client_append(h, "Expect:");	/* no 100-continue */
	} else if (strcmp(method, "GET") == 0) {
		h = client_append(h, "Accept: text/event-stream");
		h = client_append(h, "Cache-Control: no-cache");
	}
	if (c->transport != CLIENT_TRANSPORT_SSE) {
		if (msg != NULL)
			h = client_message_headers(c, h, msg, &version);
		if (c->session_id != NULL)
			h = client_append(h, "Mcp-Session-Id: %s",
			    c->session_id);
		if (version != NULL)
			h = client_append(h, "MCP-Protocol-Version: %s",
			    version);
	}
	if (last_id != NULL)
		h = client_append(h, "Last-Event-ID: %s", last_id);
	for (i = 0; i < c->nheaders; i++)
		h = client_append(h, "%s", c->headers[i]);
	return h;
}

static void	client_conn_headers(struct curl_event_xfer *, void *);
static void	client_conn_data(struct curl_event_xfer *, struct evbuffer *,
		    void *);
static void	client_conn_done(struct curl_event_xfer *, int, const char *,
		    void *);
static void	client_conn_timer_fired(evutil_socket_t, short, void *);

struct conn *
client_conn_new(struct client *c, enum conn_kind kind)
{
	struct conn	*conn;

	conn = xcalloc(1, sizeof *conn);
	conn->c = c;
	conn->kind = kind;
	conn->timer = evtimer_new(c->base, client_conn_timer_fired, conn);
	TAILQ_INSERT_TAIL(&c->conns, conn, entry);
	return conn;
}

void
client_conn_start(struct conn *conn, const char *method, const char *url,
    const char *body, size_t len, long timeout_ms)
{
	struct client			*c = conn->c;
	struct curl_event_request	 r;
	const char			*last_id = NULL;

	if (conn->resuming && conn->parser != NULL &&
	    sse_parser_has_id(conn->parser))
		last_id = sse_parser_last_id(conn->parser);
	if (conn->kind == CONN_GET && conn->parser != NULL &&
	    sse_parser_has_id(conn->parser))
		last_id = sse_parser_last_id(conn->parser);

	memset(&r, 0, sizeof r);
	r.method = method;
	r.url = url;
	r.headers = client_headers(c, method, last_id,
	    conn->kind == CONN_LISTEN ? conn->wire :
	    conn->kind == CONN_POST && !conn->resuming && conn->cm != NULL ?
	    (conn->cm->wire != NULL ? conn->cm->wire : conn->cm->msg) : NULL);
	if (c->oauth != NULL) {
		r.headers = oauth_header(c->oauth, r.headers, url);
		conn->auth_gen = oauth_generation(c->oauth);
	}
	r.body = body;
	r.len = len;
	r.timeout_ms = timeout_ms;
	r.max_buffered = c->max_message + 4096;
	r.on_headers = client_conn_headers;
	r.on_data = client_conn_data;
	r.on_done = client_conn_done;
	r.arg = conn;
	conn->sse = 0;
	conn->events = 0;
	if ((conn->xfer = c->http->start(c->http_arg, &r)) == NULL)
		fatalx("cannot start an HTTP transfer");
	if (c->out_paused && conn->kind != CONN_DELETE)
		c->http->pause(conn->xfer, 1);
	log_debug("%s %s%s", method, conn->kind == CONN_LEGACY ? "the SSE "
	    "stream" : conn->kind == CONN_GET ? "the GET stream" :
	    conn->kind == CONN_DELETE ? "the session" :
	    conn->kind == CONN_LISTEN ? "subscriptions/listen" :
	    conn->resuming ? "to resume an answer" : "a message",
	    last_id != NULL ? " (resuming)" : "");
}

void
client_conn_reap(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;
	struct conn	*conn;
	size_t		 i;

	while ((conn = TAILQ_FIRST(&c->graveyard)) != NULL) {
		TAILQ_REMOVE(&c->graveyard, conn, entry);
		sse_parser_free(conn->parser);
		json_object_put(conn->wire);
		event_free(conn->timer);
		for (i = 0; i < CLIENT_RECENT_IDS; i++)
			free(conn->recent[i]);
		free(conn);
	}
}

/* The one way a conn ends: nothing reaches it afterwards. */
void
client_conn_close(struct conn *conn)
{
	struct client	*c = conn->c;

	if (conn->dead)
		return;
	conn->dead = 1;
	c->http->cancel(conn->xfer);
	conn->xfer = NULL;
	evtimer_del(conn->timer);
	if (conn->cm != NULL) {
		conn->cm->conn = NULL;
		conn->cm = NULL;
	}
	if (c->get == conn)
		c->get = NULL;
	if (c->listen == conn) {
		c->listen = NULL;
		c->listen_acked = 0;
	}
	TAILQ_REMOVE(&c->conns, conn, entry);
	TAILQ_INSERT_TAIL(&c->graveyard, conn, entry);
	event_active(c->reaper, 0, 0);
}

static int
client_conn_seen(struct conn *conn, const char *id)
{
	size_t	i;

	if (*id == '\0')
		return 0;
	for (i = 0; i < CLIENT_RECENT_IDS; i++) {
		if (conn->recent[i] != NULL && strcmp(conn->recent[i], id) == 0)
			return 1;
	}
	free(conn->recent[conn->recent_next]);
	conn->recent[conn->recent_next] = xstrdup(id);
	conn->recent_next = (conn->recent_next + 1) % CLIENT_RECENT_IDS;
	return 0;
}

/* ---- conn callbacks ---- */

static void
client_conn_event(void *arg, const struct sse_event *ev)
{
	struct conn	*conn = arg;
	struct client	*c = conn->c;
	json_object	*msg;
	const char	*cause;

	if (conn->dead)
		return;
	conn->events++;
	/* An event shows the stream works; a listen's only once the server
	 * acknowledges it (an error event would else loop at full speed). */
	if (conn->kind != CONN_LISTEN)
		conn->failures = 0;
	/* Only an event's own id tells a replay: one carried over from an
	 * earlier event (after a priming event, say) says nothing. */
	if (ev->own_id && client_conn_seen(conn, ev->id)) {
		log_debug("dropping a replayed event");
		return;
	}
	if (conn->kind == CONN_LEGACY && strcmp(ev->type, "endpoint") == 0) {
		client_session_legacy_endpoint(conn, ev->data);
		return;
	}
	if (strcmp(ev->type, "message") != 0) {
		log_debug("ignoring an SSE event of type '%s'", ev->type);
		return;
	}
	if (ev->len == 0)
		return;		/* a priming event: only its id matters */
	if ((msg = jsonparse_strict(ev->data, ev->len, &cause)) == NULL) {
		log_warnx("skipping an SSE event that is not JSON (%zu bytes, "
		    "%s)", ev->len, cause);
		return;
	}
	trace_msg(c->trace, TRACE_SERVER_IN, NULL, msg);
	if (conn->kind == CONN_LISTEN)
		client_era_listen_message(conn, msg);
	else if (conn->kind == CONN_POST && conn->cm != NULL &&
	    conn->cm->passthru)
		client_passthru_stream(conn->cm, msg);
	else
		client_incoming(c, msg);
}

static void
client_conn_headers(struct curl_event_xfer *x, void *arg)
{
	struct conn	*conn = arg;
	struct client	*c = conn->c;
	long		 status = c->http->status(x);
	const char	*ct, *sid;

	ct = c->http->header(x, "Content-Type");
	conn->sse = status >= 200 && status < 300 && ct != NULL &&
	    strncasecmp(ct, "text/event-stream", 17) == 0;
	if (conn->sse) {
		if (conn->parser == NULL)
			conn->parser = sse_parser_new(c->max_message,
			    client_conn_event, conn);
		else
			sse_parser_reset(conn->parser);
	}
	if ((conn->kind == CONN_GET || conn->kind == CONN_LEGACY) &&
	    status >= 200 && status < 300)
		c->stream_auth_tries = 0;
	log_debug("HTTP %ld%s", status, conn->sse ? " (event stream)" : "");

	if (conn->kind == CONN_POST && conn->cm != NULL && conn->cm->is_init &&
	    status >= 200 && status < 300 &&
	    c->transport != CLIENT_TRANSPORT_SSE &&
	    (sid = c->http->header(x, "Mcp-Session-Id")) != NULL) {
		size_t i, len = strlen(sid);

		for (i = 0; i < len; i++) {
			if (sid[i] < 0x21 || sid[i] > 0x7e)
				break;
		}
		if (i != len || len == 0 || len > CLIENT_MAX_SESSION_ID)
			log_warnx("ignoring a malformed Mcp-Session-Id");
		else {
			free(c->session_id);
			c->session_id = xstrdup(sid);
		}
	}
}

static void
client_conn_data(struct curl_event_xfer *x, struct evbuffer *body, void *arg)
{
	struct conn		*conn = arg;
	struct evbuffer_iovec	 v[8];
	size_t			 fed;
	int			 n, i;

	if (!conn->sse)
		return;		/* a JSON body: read when complete */
	while (!conn->dead && evbuffer_get_length(body) > 0) {
		n = evbuffer_peek(body, -1, NULL, v, 8);
		if (n > 8)
			n = 8;
		fed = 0;
		for (i = 0; i < n && !conn->dead; i++) {
			sse_parser_feed(conn->parser, v[i].iov_base,
			    v[i].iov_len);
			fed += v[i].iov_len;
		}
		evbuffer_drain(body, fed);
	}
}

/* Some servers answer an unknown session with 400 rather than 404, and a
 * JSON-RPC error that says so. */
static int
client_session_error(json_object *msg)
{
	json_object	*error, *text;

	return msg != NULL && json_object_is_type(msg, json_type_object) &&
	    json_object_object_get_ex(msg, "error", &error) &&
	    json_object_object_get_ex(error, "message", &text) &&
	    json_object_is_type(text, json_type_string) &&
	    strcasestr(json_object_get_string(text), "session") != NULL;
}

/* Is msg the server's JSON-RPC answer to this request? */
static int
client_is_answer(json_object *msg, struct cmsg *cm)
{
	return msg != NULL && cm->kind == JSONRPC_REQUEST &&
	    jsonrpc_classify(msg) == JSONRPC_RESPONSE &&
	    jsonrpc_id_equal(jsonrpc_id(msg), jsonrpc_id(cm->wire != NULL ?
	    cm->wire : cm->msg));
}

/*
 * A JSON-RPC error with a null id: the server could not read the request
 * well enough to name it (Parse error, Invalid Request), but it is its
 * answer all the same.
 */
static int
client_is_null_error(json_object *msg)
{
	return msg != NULL && jsonrpc_classify(msg) == JSONRPC_RESPONSE &&
	    jsonrpc_id(msg) == NULL;
}

/*
 * Does a JSON body answer to a POST of cm hold what it must: for a
 * request, its answer, alone or in a batch, or an error with a null id
 * alone.  A JSON body to a notification or an answer is not looked at
 * (202 is what it gets), nor one to the era probe before the era is
 * known: a legacy server may answer a method it does not know oddly, and
 * its initialize is judged next.
 */
static int
client_has_answer(json_object *msg, struct cmsg *cm)
{
	size_t	i;

	if (cm->kind != JSONRPC_REQUEST || client_is_answer(msg, cm) ||
	    client_is_null_error(msg) ||
	    (cm->is_discover && cm->c->era == ERA_UNKNOWN))
		return 1;
	if (jsonrpc_classify(msg) != JSONRPC_BATCH)
		return 0;
	for (i = 0; i < json_object_array_length(msg); i++) {
		if (client_is_answer(json_object_array_get_idx(msg, i), cm))
			return 1;
	}
	return 0;
}

static void
post_done(struct conn *conn, struct curl_event_xfer *x, int result,
    const char *error)
{
	struct client	*c = conn->c;
	struct cmsg	*cm = conn->cm;
	long		 status = c->http->status(x);
	const char	*ct;
	json_object	*msg = NULL;
	char		*why, *what;
	int		 json_body, lasting;

	conn->xfer = NULL;
	if (cm == NULL) {
		/* Answered already; the stream just ended. */
		client_conn_close(conn);
		return;
	}
	if (cm->is_discover && c->era == ERA_UNKNOWN && result != 0 &&
	    c->http->timed_out(result)) {
		/* A server that holds the probe unanswered is no modern
		 * one (which must answer server/discover). */
		client_conn_close(conn);
		client_era_discover_answered(cm, 0, NULL);
		client_pump(c);
		return;
	}
	if (conn->sse) {
		/* The stream ended before the answer came. */
		/* Modern streams cannot be resumed: sent again instead. */
		if (conn->parser != NULL && sse_parser_has_id(conn->parser) &&
		    !c->closing && cm->wire == NULL) {
			conn->resuming = 1;
			client_conn_reconnect_later(conn, NULL);
			return;
		}
		client_conn_close(conn);
		if (cm->kind == JSONRPC_REQUEST && cm->wire == NULL &&
		    !cm->internal) {
			/* The server took the request (the stream was its
			 * 200) and may still run it: sent again under the
			 * same id in the same session, it could run twice.
			 * Unresumable, the wait ends here instead. */
			cmsg_cancel_at_server(cm, "its answer stream broke");
			cmsg_fail(cm, EXIT_UNAVAILABLE, "the answer stream "
			    "broke before the answer and cannot be resumed "
			    "(the server sent no event ids); the request may "
			    "have run", 0);
		} else if (cm->kind == JSONRPC_REQUEST)
			cmsg_retry(cm, EXIT_UNAVAILABLE, "the answer stream "
			    "ended early and cannot be resumed");
		else
			cmsg_posted(cm);
		client_pump(c);
		return;
	}
	if (result != 0) {
		client_conn_close(conn);
		why = client_net_why(c, result, error, &lasting);
		if (c->http->overflowed(x))
			cmsg_fail(cm, EXIT_PROTOCOL, "the answer is larger "
			    "than --max-message-size", 0);
		else if (lasting)
			client_session_unreachable(c, why);
		else if (c->http->network_error(result))
			cmsg_retry(cm, c->http->timed_out(result) ?
			    EXIT_TEMPFAIL : EXIT_UNAVAILABLE, why);
		else
			cmsg_fail(cm, EXIT_UNAVAILABLE, why, 0);
		free(why);
		client_pump(c);
		return;
	}

	ct = c->http->header(x, "Content-Type");
	if (status != 429 && status != 502 && status != 503 && status != 504)
		cm->unavailable = cm->refusals = 0;
	if (status >= 200 && status < 300 &&
	    (why = client_not_mcp(c, x, status)) != NULL) {
		/* The probe and initialize included: nothing MCP is there. */
		client_conn_close(conn);
		cmsg_fail(cm, EXIT_PROTOCOL, why, status);
		free(why);
		client_pump(c);
		return;
	}
	if (status >= 200 && status < 300) {
		if (c->transport == CLIENT_TRANSPORT_AUTO) {
			c->transport = CLIENT_TRANSPORT_STREAMABLE;
			log_debug("the server speaks Streamable HTTP");
		}
		json_body = ct != NULL &&
		    strncasecmp(ct, "application/json", 16) == 0 &&
		    evbuffer_get_length(c->http->body(x)) > 0;
		if (json_body)
			msg = client_parse_body(c, c->http->body(x));
		if (c->transport == CLIENT_TRANSPORT_SSE) {
			/* HTTP+SSE answers on the stream: a JSON body here is
			 * at most an acknowledgement, and what is no JSON-RPC
			 * in it is no concern of the local client's. */
			if (msg != NULL &&
			    jsonrpc_classify(msg) == JSONRPC_INVALID) {
				log_debug("ignoring the body of a POST's 200");
				json_object_put(msg);
				msg = NULL;
			}
		} else if (json_body &&
		    (msg == NULL || !client_has_answer(msg, cm))) {
			/* Not JSON, or JSON but not the answer: a JSON body
			 * is the whole answer, none will follow.  (Questions
			 * before an answer come on an event stream.) */
			why = client_not_mcp_why(c, x, status);
			json_object_put(msg);
			client_conn_close(conn);
			cmsg_fail(cm, EXIT_PROTOCOL, why, status);
			free(why);
			client_pump(c);
			return;
		}
		if (cm->kind == JSONRPC_REQUEST && !cm->is_discover &&
		    client_is_null_error(msg))
			/* Handed on under the request's id, as its answer. */
			json_object_object_add(msg, "id", json_object_get(
			    jsonrpc_id(cm->wire != NULL ? cm->wire : cm->msg)));
		client_conn_close(conn);
		if (cm->is_discover && !client_is_answer(msg, cm)) {
			/* 202, no JSON, or not our answer: no modern server. */
			client_era_discover_answered(cm, status, msg);
			client_pump(c);
			return;
		}
		if (cm->wire != NULL && !client_is_answer(msg, cm)) {
			/* MCP 2026-07-28 answers a request on its own POST
			 * or not at all: no other stream will bring it. */
			if (msg == NULL)
				xasprintf(&why, "the server sent no answer "
				    "(HTTP %ld)", status);
			else
				xasprintf(&why, "the server's answer is not "
				    "for this request (id %.64s)",
				    client_id_text(msg));
			json_object_put(msg);
			cmsg_fail(cm, EXIT_PROTOCOL, why, 0);
			free(why);
			client_pump(c);
			return;
		}
		cmsg_posted(cm);		/* may free cm */
		if (msg != NULL)
			client_incoming(c, msg);	/* may free cm */
		client_pump(c);
		return;
	}

	/* An HTTP error.  One that asks for a sign-in waits for it. */
	if ((status == 401 || status == 403) &&
	    client_session_auth_challenge(c, x, status, conn->auth_gen,
	    &cm->auth_tries)) {
		client_conn_close(conn);
		cm->state = CMSG_QUEUED;
		cm->attempts = 0;
		client_pump(c);
		return;
	}
	msg = client_parse_body(c, c->http->body(x));
	client_conn_close(conn);
	if (cm->is_discover && status != 429 && status != 502 &&
	    status != 503 && status != 504) {
		client_era_discover_answered(cm, status, msg);
		client_pump(c);
		return;
	}
	if (cm->had_session && (status == 404 ||
	    (status == 400 && c->session_id != NULL &&
	    client_session_error(msg)))) {
		json_object_put(msg);
		client_session_lost(c, status == 404 ? "the server does not "
		    "know the session any more (HTTP 404)" : "the server "
		    "refused the session (HTTP 400)");
		return;
	}
	if (status >= 400 && status < 500 && status != 401 && status != 403 &&
	    status != 429 && client_no_handshake(c, cm)) {
		/* Not a transport to fall back from: a session to start. */
		xasprintf(&what, "HTTP %ld from the server", status);
		why = client_http_why(c, x, status, msg, what);
		free(what);
		xasprintf(&what, "%s; %s", why, CLIENT_NO_HANDSHAKE);
		json_object_put(msg);
		cmsg_fail(cm, EXIT_PROTOCOL, what, status);
		free(what);
		free(why);
		client_pump(c);
		return;
	}
	if (c->transport == CLIENT_TRANSPORT_AUTO &&
	    (status == 400 || status == 404 || status == 405) &&
	    !client_is_answer(msg, cm)) {
		json_object_put(msg);
		log_info("the server answered HTTP %ld to a Streamable HTTP "
		    "POST; trying the HTTP+SSE transport", status);
		c->fallback_status = status;
		c->transport = CLIENT_TRANSPORT_SSE;
		client_session_forget(c);
		c->sess = SESS_NONE;
		cm->state = CMSG_QUEUED;
		client_pump(c);
		return;
	}
	if (status == 429 || status == 502 || status == 503 || status == 504) {
		json_object_put(msg);
		cmsg_unavailable(cm, status, c->http->header(x,
		    "Retry-After"));
		client_pump(c);
		return;
	}
	xasprintf(&what, "HTTP %ld from the server", status);
	/* The server's own answer carries its words to the local client:
	 * the log line names the status and the hint only. */
	why = client_http_why(c, x, status, client_is_answer(msg, cm) ?
	    NULL : msg, what);
	free(what);
	if (client_is_answer(msg, cm)) {
		/* The server's own JSON-RPC error says it best.  (In the
		 * modern era one may still be mended: client_era_answered.) */
		cm->http_status = status;
		if (cm->wire == NULL)
			client_fail_status(c, status == 401 || status == 403 ?
			    EXIT_NOPERM : EXIT_PROTOCOL);
		log_warnx("%s (id %s): %s", jsonrpc_method(cm->msg),
		    client_id_text(cm->msg), why);
		client_incoming(c, msg);
	} else {
		json_object_put(msg);
		cmsg_fail(cm, status == 401 || status == 403 ?
		    EXIT_NOPERM : EXIT_PROTOCOL, why, status);
	}
	free(why);
	client_pump(c);
}

/* A GET that was to resume a POST's answer stream ended. */
static void
resume_done(struct conn *conn, struct curl_event_xfer *x, int result,
    const char *error)
{
	struct client	*c = conn->c;
	struct cmsg	*cm = conn->cm;
	long		 status = c->http->status(x);

	conn->xfer = NULL;
	if (cm == NULL || c->closing) {
		client_conn_close(conn);
		return;
	}
	if (status == 404 && c->session_id != NULL) {
		client_session_lost(c, "the server does not know the session "
		    "any more (HTTP 404)");
		return;
	}
	if (status == 204 && result == 0) {
		/*
		 * SSE's "do not reconnect": the stream is over and nothing of
		 * it is left (mcpbridge serve, when its replay log dropped the
		 * answer).  The request ran: sent again it could run twice,
		 * under an id already used.
		 */
		client_conn_close(conn);
		cmsg_fail(cm, EXIT_UNAVAILABLE, "the answer stream ended "
		    "without the answer: the server has no more of it "
		    "(HTTP 204 to resuming it)", 0);
		client_pump(c);
		return;
	}
	if (status == 0 && result == CURLE_COULDNT_CONNECT &&
	    conn->failures >= CLIENT_RESUME_REFUSED_TRIES) {
		/*
		 * Nothing listens any more (the server stopped, not a blip):
		 * waiting on for --request-timeout only hides that.  The
		 * request ran, or runs: it is not sent again.
		 */
		client_conn_close(conn);
		cmsg_fail(cm, EXIT_UNAVAILABLE, "the answer stream broke "
		    "before the answer and the server is gone (resuming it: "
		    "connection refused); the request may have run", 0);
		client_pump(c);
		return;
	}
	if (conn->sse || status == 0 || status >= 500) {
		if (conn->failures < CLIENT_RESUME_TRIES) {
			client_conn_reconnect_later(conn, x);
			return;
		}
	}
	/* The server cannot resume it (405, say): send it again. */
	client_conn_close(conn);
	log_info("%s (id %s): the answer stream cannot be resumed (%s)",
	    jsonrpc_method(cm->msg), client_id_text(cm->msg),
	    result != 0 ? error : "refused");
	cmsg_retry(cm, EXIT_UNAVAILABLE, "the answer stream broke and "
	    "could not be resumed");
	client_pump(c);
}

/*
 * Embedded (client_lost): a stream that broke and could not be opened
 * again at the first try means the server is gone; 1 if so (conn closed,
 * the loss told), 0 to reconnect as client mode does.
 */
int
client_stream_lost(struct conn *conn, int result, const char *error)
{
	struct client	*c = conn->c;
	char		*why;
	int		 lasting;

	if (c->lost == NULL || conn->failures == 0 ||
	    !c->http->network_error(result))
		return 0;
	why = client_net_why(c, result, error, &lasting);
	client_conn_close(conn);
	client_lost(c, why);
	free(why);
	return 1;
}

static void
get_done(struct conn *conn, struct curl_event_xfer *x, int result,
    const char *error)
{
	struct client	*c = conn->c;
	long		 status = c->http->status(x);

	conn->xfer = NULL;
	if (c->closing) {
		client_conn_close(conn);
		return;
	}
	if (status == 404 && c->session_id != NULL) {
		client_session_lost(c, "the server does not know the session "
		    "any more (HTTP 404)");
		return;
	}
	if (status == 401 && client_session_auth_challenge(c, x, status,
	    conn->auth_gen, &c->stream_auth_tries)) {
		client_conn_close(conn);	/* reopened after the sign-in */
		return;
	}
	if (status == 0 && client_stream_lost(conn, result, error))
		return;
	if (conn->sse || status == 0 || status >= 500 || status == 429) {
		if (status == 0)
			log_debug("GET stream: %s", error);
		client_conn_reconnect_later(conn, x);
		return;
	}
	if (status == 405)
		log_debug("the server offers no GET stream");
	else
		log_warnx("the server refused the GET stream (HTTP %ld); "
		    "going on without it", status);
	c->get_unsupported = 1;
	client_conn_close(conn);
}

static void
legacy_done(struct conn *conn, struct curl_event_xfer *x, int result,
    const char *error)
{
	struct client	*c = conn->c;
	long		 status = c->http->status(x);
	json_object	*msg;
	char		*why, *what;
	int		 lasting;

	conn->xfer = NULL;
	if (c->closing) {
		client_conn_close(conn);
		return;
	}
	if (conn->got_endpoint) {
		client_conn_close(conn);
		client_session_lost(c, "the SSE stream was lost");
		return;
	}
	if (status == 401 && client_session_auth_challenge(c, x, status,
	    conn->auth_gen, &c->stream_auth_tries)) {
		/* Connected again after the sign-in. */
		client_conn_close(conn);
		c->sess = SESS_NONE;
		return;
	}
	if (status == 0) {
		why = client_net_why(c, result, error, &lasting);
		if (lasting) {
			client_conn_close(conn);
			c->sess = SESS_NONE;
			client_session_unreachable(c, why);
		} else
			client_session_legacy_failed(c, EXIT_UNAVAILABLE, why,
			    0);
		free(why);
		return;
	}
	if (status >= 500 || status == 429) {
		client_session_legacy_failed(c, EXIT_UNAVAILABLE,
		    "the server is unavailable", status == 429 ||
		    status == 503 ? client_retry_after(c->http->header(x,
		    "Retry-After"), time(NULL), CLIENT_RETRY_AFTER_MAX_MS) : 0);
		return;
	}
	if (status >= 200 && status < 300)
		xasprintf(&why, "the stream %s before the endpoint event",
		    conn->sse ? "ended" : "is not an event stream");
	else {
		if (c->fallback_status != 0)
			xasprintf(&what, "the server answered HTTP %ld to POST "
			    "and HTTP %ld to GET: neither MCP transport",
			    c->fallback_status, status);
		else
			xasprintf(&what, "HTTP %ld from the server", status);
		msg = client_parse_body(c, c->http->body(x));
		why = client_http_why(c, x, status, msg, what);
		json_object_put(msg);
		free(what);
	}
	client_session_legacy_failed(c, status == 401 || status == 403 ?
	    EXIT_NOPERM : EXIT_PROTOCOL, why, -1);
	free(why);
}

static void
client_conn_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct conn	*conn = arg;
	struct client	*c = conn->c;

	if (c->http->status(x) != 0)
		c->heard = 1;
	if (conn->sse && conn->parser != NULL)
		sse_parser_reset(conn->parser);
	switch (conn->kind) {
	case CONN_POST:
		if (conn->resuming)
			resume_done(conn, x, result, error);
		else
			post_done(conn, x, result, error);
		break;
	case CONN_GET:
		get_done(conn, x, result, error);
		break;
	case CONN_LEGACY:
		legacy_done(conn, x, result, error);
		break;
	case CONN_LISTEN:
		client_era_listen_done(conn, x, result, error);
		break;
	case CONN_DELETE:
		conn->xfer = NULL;
		log_debug("session ended: %s", result != 0 ? error : "ok");
		client_conn_close(conn);
		c->finishing = 1;
		if (evbuffer_get_length(c->out) == 0 || c->out_error)
			client_end(c);
		break;
	}
}

/* A stream ended or was refused (x: the transfer, if it has an answer to
 * read): open it again after a while. */
void
client_conn_reconnect_later(struct conn *conn, struct curl_event_xfer *x)
{
	struct client	*c = conn->c;
	long		 ms, retry = -1, after = -1, status;

	if (conn->parser != NULL)
		retry = (long)sse_parser_retry(conn->parser);
	if (conn->failures == 0)
		ms = CLIENT_STREAM_QUICK_MS;
	else {
		ms = CLIENT_STREAM_RETRY_MS;
		if (conn->failures < 8)
			ms <<= conn->failures - 1;
		else
			ms = CLIENT_STREAM_MAX_MS;
		if (ms > CLIENT_STREAM_MAX_MS)
			ms = CLIENT_STREAM_MAX_MS;
	}
	/* The server's retry field is obeyed; repeated failures still back
	 * off from it. */
	if (retry >= 0) {
		if (retry > CLIENT_RETRY_FIELD_MAX_MS)
			retry = CLIENT_RETRY_FIELD_MAX_MS;
		if (conn->failures == 0 || ms < retry)
			ms = retry;
	}
	/* A refusal as unavailable: not before its Retry-After. */
	if (x != NULL && ((status = c->http->status(x)) == 429 ||
	    status == 503) && (after = client_retry_after(c->http->header(x,
	    "Retry-After"), time(NULL), CLIENT_RETRY_AFTER_MAX_MS)) > ms)
		ms = after;
	conn->failures++;
	log_debug("stream closed; reconnecting in %ldms", ms);
	client_set_timer(conn->timer, ms);
}

static void
client_conn_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*conn = arg;
	struct client	*c = conn->c;

	if (conn->dead)
		return;
	switch (conn->kind) {
	case CONN_LEGACY:
		/* No endpoint event in time. */
		client_session_legacy_failed(c, EXIT_PROTOCOL, "no endpoint "
		    "event from the server", 0);
		break;
	case CONN_POST:
	case CONN_GET:
		client_conn_start(conn, "GET", c->url, NULL, 0, 0);
		break;
	case CONN_LISTEN:
		conn->relisten = conn->acked;
		/* A new id: a new subscription. */
		client_era_listen_start(conn);
		break;
	case CONN_DELETE:
		break;
	}
}

/* ---- what the server sends ---- */

static void
client_touch_progress(struct client *c, json_object *msg)
{
	json_object	*params, *token, *mine;
	struct cmsg	*cm;

	params = jsonrpc_params(msg);
	if (params == NULL ||
	    !json_object_object_get_ex(params, "progressToken", &token))
		return;
	TAILQ_FOREACH(cm, &c->msgs, entry) {
		if (cm->timeout == NULL ||
		    (mine = jsonrpc_progress_token(cm->msg)) == NULL ||
		    !jsonrpc_id_equal(mine, token))
			continue;
		/* Progress shows it is alive: the timeout starts again. */
		client_set_timer(cm->timeout, c->request_timeout_ms);
		return;
	}
}

void
client_incoming(struct client *c, json_object *msg)
{
	struct cmsg	*cm;
	const char	*method;
	size_t		 i;

	switch (jsonrpc_classify(msg)) {
	case JSONRPC_BATCH:
		for (i = 0; i < json_object_array_length(msg); i++)
			client_incoming(c, json_object_get(
			    json_object_array_get_idx(msg, i)));
		json_object_put(msg);
		return;
	case JSONRPC_RESPONSE:
		cm = cmsg_find_wire(c, jsonrpc_id(msg));
		if (cm == NULL) {
			/* Answered, timed out or never ours: nothing is
			 * written twice. */
			log_debug("dropping an answer to id %s",
			    client_id_text(msg));
			json_object_put(msg);
			return;
		}
		if (cm->is_discover) {
			client_era_discover_answered(cm, 200, msg);
			client_pump(c);
			return;
		}
		if (cm->passthru || cm->wire != NULL) {
			client_era_answered(cm, msg);
			client_pump(c);
			return;
		}
		if (cm->is_init)
			client_session_init_answered(c, msg, cm->internal);
		if (cm->internal) {
			if (cm->is_init && json_object_object_get_ex(msg,
			    "error", NULL)) {
				json_object_put(msg);
				client_session_reinit_failed(c,
				    EXIT_PROTOCOL, "the server refused the "
				    "replayed initialize");
				return;
			}
			if (json_object_object_get_ex(msg, "error", NULL))
				log_warnx("the server refused our replayed %s",
				    jsonrpc_method(cm->msg));
			json_object_put(msg);
			cmsg_free(cm);
			client_pump(c);
			return;
		}
		/* A session that answers is a session that works: losing it
		 * again is a new story, not the same loop. */
		if (!cm->is_init)
			c->reinit_failures = 0;
		/* --allow-tool, --deny-tool: the local client lists only
		 * the tools it may call (the answer is ours to change). */
		if (strcmp(jsonrpc_method(cm->msg), "tools/list") == 0)
			toolfilter_list(&c->cfg->tools, jsonrpc_get(msg,
			    "result", json_type_object));
		client_trace_outcome(cm, msg);	/* cm goes first */
		cmsg_free(cm);
		client_write(c, msg);
		client_pump(c);
		return;
	case JSONRPC_REQUEST:
	case JSONRPC_NOTIFICATION:
		method = jsonrpc_method(msg);
		if (c->era == ERA_MODERN &&
		    jsonrpc_classify(msg) == JSONRPC_REQUEST) {
			log_warnx("dropping a %s request from the server: in "
			    "MCP %s servers ask through input_required", method,
			    CLIENT_MODERN_VERSION);
			json_object_put(msg);
			return;
		}
		if (strcmp(method, "notifications/progress") == 0)
			client_touch_progress(c, msg);
		client_write(c, msg);
		return;
	default:
		log_warnx("skipping a message from the server that is not "
		    "JSON-RPC");
		json_object_put(msg);
		return;
	}
}
