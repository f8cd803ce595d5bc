/* SPDX-License-Identifier: ISC */
/*
 * client.c: `mcpbridge client URL`.
 *
 * The local MCP client speaks newline-delimited JSON-RPC on our stdin and
 * stdout; the remote server speaks Streamable HTTP (a POST per message,
 * answers as JSON or as an event stream, a GET stream for what the server
 * starts) or the legacy HTTP+SSE transport (one GET event stream, messages
 * POSTed to the endpoint it names).
 *
 * Every message from stdin becomes a struct cmsg on one ordered list.  A
 * message is QUEUED until the session can carry it, POSTING while its POST
 * runs, WAITING (requests only) until its answer arrives on some stream,
 * or in BACKOFF before a retry.  Requests leave the list when answered
 * (the answer goes to stdout), when they time out or fail (an error goes
 * to stdout instead); other messages leave when their POST is accepted.
 * A barrier message (initialize, notifications/initialized) holds the ones
 * after it back until it has left the list.
 *
 * The era: unless told (--era), the first initialize from the local client
 * is preceded by a server/discover of ours.  A DiscoverResult, or a 400 with
 * a modern error, means the server speaks 2026-07-28 (MODERN), which is then
 * kept for the process; anything else means LEGACY, and the initialize goes
 * out as it always did.  In the modern era the bridge answers initialize
 * from server/discover, ping and logging/setLevel itself, swallows the
 * local client's notifications, and sends every request with the modern
 * _meta, headers and an id of its own (wire).  An input_required answer
 * becomes requests to the local client (CMSG_INPUT until all are answered),
 * then the request goes again with the answers and the server's
 * requestState.  No session, GET stream, resumption or DELETE then: the
 * server's own notifications (list changes, resource updates) come on one
 * subscriptions/listen stream (c->listen), opened again whenever what the
 * local client subscribed to changes.
 *
 * A local client may speak 2026-07-28 itself: its first request is then
 * server/discover or carries the modern _meta (c->local).  Its traffic is
 * passed through: each request goes out as it is but for an id of ours,
 * with the headers derived from it; the answer, input_required and
 * requestState included, comes back as the server gave it under the local
 * id, and a subscriptionId naming our id names the local one.  Its
 * notifications/cancelled closes the request's stream (the HTTP way to
 * cancel); its other notifications go nowhere.  A legacy server gets none
 * of it: server/discover is answered -32601, as a legacy stdio server
 * would, so a dual-era client falls back to initialize.
 *
 * Every HTTP exchange is a struct conn.  A POST whose answer is an event
 * stream keeps its conn, which is resumed with GET and Last-Event-ID when
 * the stream breaks before the answer.  The GET stream and the legacy
 * stream are conns too.  Conns die at once (no callback reaches them
 * afterwards) and are freed on a later loop turn.
 *
 * When the server forgets the session (404), or the legacy stream is lost,
 * the session is rebuilt behind the local client's back: the original
 * initialize is replayed with an id of our own and its answer swallowed,
 * notifications/initialized, subscriptions and the log level follow, and
 * every request still unanswered is sent again.
 *
 * The files (client_int.h holds what they share): client.c the run loop,
 * stdin, what the local client sends, the pump, shutting down and setting
 * up; client_msg.c the message list and stdout; client_http.c the conns
 * and what the server sends; client_session.c the session, signing in and
 * the legacy transport; client_era.c the era probe and the 2026-07-28
 * work; client_passthru.c a 2026-07-28 local client's traffic.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "client.h"
#include "client_int.h"
#include "client_modern.h"
#include "curl_event.h"
#include "env.h"
#include "exitcodes.h"
#include "framer.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "oauth.h"
#include "url.h"
#include "xmalloc.h"

/* ---- pure helpers ---- */

long
client_retry_after(const char *value, time_t now, long max_ms)
{
	const char	*p;
	long long	 secs = 0;
	time_t		 when;

	if (value == NULL)
		return -1;
	value += strspn(value, " \t");
	if (isdigit((unsigned char)*value)) {
		/* delta-seconds; digits past the cap only keep it there */
		for (p = value; isdigit((unsigned char)*p); p++) {
			if (secs <= max_ms / 1000)
				secs = secs * 10 + (*p - '0');
		}
		if (p[strspn(p, " \t")] != '\0')
			return -1;
		return secs > max_ms / 1000 ? max_ms : (long)secs * 1000;
	}
	/* An HTTP-date (curl_getdate reads all three RFC 9110 forms). */
	if ((when = curl_getdate(value, NULL)) == -1)
		return -1;
	if (when <= now)
		return 0;
	if (when - now > max_ms / 1000)
		return max_ms;
	return (long)(when - now) * 1000;
}

int
client_header_check(const char *h, char **err)
{
	const char	*colon;
	size_t		 i;

	colon = strchr(h, ':');
	if (colon == NULL || colon == h) {
		xasprintf(err, "--header wants 'Name: value'");
		return -1;
	}
	for (i = 0; h + i < colon; i++) {
		/* RFC 9110 token characters */
		if (!isalnum((unsigned char)h[i]) &&
		    strchr("!#$%&'*+-.^_`|~", h[i]) == NULL) {
			xasprintf(err, "--header: invalid header name '%.*s'",
			    (int)(colon - h), h);
			return -1;
		}
	}
	if (strpbrk(h, "\r\n") != NULL) {
		xasprintf(err, "--header: a header cannot contain a line "
		    "break");
		return -1;
	}
	return 0;
}

int
client_expand_env(const char *in, char **out, char **err)
{
	return env_expand(in, "a header", out, err);
}

/*
 * The path a URL likely meant when its own leads to no MCP endpoint: the
 * one mcpbridge serve and most servers use.  An empty path or "/" gets
 * it, and a last segment naming the legacy transport's endpoints is
 * replaced by it (asked only when that transport failed too); a trailing
 * slash goes.  NULL for any other path: no guess.
 */
#define CLIENT_MCP_PATH		"/mcp"

static char *
client_path_suggest(const char *path)
{
	const char	*last;
	char		*s;
	size_t		 len = strlen(path);

	if (len <= 1)
		return xstrdup(CLIENT_MCP_PATH);
	if (path[len - 1] == '/') {
		while (len > 1 && path[len - 1] == '/')
			len--;
		return xstrndup(path, len);
	}
	last = strrchr(path, '/') + 1;
	if (strcmp(last, "sse") == 0 || strcmp(last, "messages") == 0 ||
	    strcmp(last, "message") == 0) {
		xasprintf(&s, "%.*s%s", (int)(last - path) - 1, path,
		    CLIENT_MCP_PATH);
		return s;
	}
	return NULL;
}

char *
client_url_suggest(const char *url)
{
	CURLU	*u;
	char	*path = NULL, *full = NULL, *want, *s = NULL;

	if (strstr(url, "://") == NULL) {
		/* No scheme: http:// for this machine, else https://, and
		 * the usual path if there is none.  No host: no guess. */
		if (strchr("/:?#", *url) != NULL)	/* and "" */
			return NULL;
		xasprintf(&s, "http://%s%s", url, strchr(url, '/') != NULL ?
		    "" : CLIENT_MCP_PATH);
		if (url_check(s, 0, &want) == -1) {
			free(want);
			free(s);
			xasprintf(&s, "https://%s%s", url,
			    strchr(url, '/') != NULL ? "" : CLIENT_MCP_PATH);
		}
		if (url_check(s, 1, &want) == -1) {
			free(want);
			free(s);
			return NULL;
		}
		return s;
	}
	if ((u = curl_url()) == NULL)
		fatalx("curl_url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
	    (want = client_path_suggest(path)) == NULL)
		goto out;
	/* Nothing that may be a credential goes into a log line. */
	if (curl_url_set(u, CURLUPART_PATH, want, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		free(want);
		goto out;
	}
	free(want);
	s = xstrdup(full);
out:
	curl_free(full);
	curl_free(path);
	curl_url_cleanup(u);
	return s;
}

int
client_url_check(const char *url, int allow_http, char **err)
{
	char	*s;

	if (url_check(url, allow_http, err) == 0)
		return 0;
	if (strstr(url, "://") == NULL &&
	    (s = client_url_suggest(url)) != NULL) {
		free(*err);
		xasprintf(err, "'%s' is not a URL: did you mean %s?", url, s);
		free(s);
	}
	return -1;
}

int
client_version_check(const char *version, int oneshot,
    enum client_era_choice era, enum client_transport transport, char **err)
{
	static const char *const known[] = {
		MCP_VERSION_2024_11_05, MCP_VERSION_2025_03_26,
		MCP_VERSION_2025_06_18, MCP_VERSION_2025_11_25,
		MCP_VERSION_2026_07_28,
	};
	size_t	i;

	if (version == NULL)
		return 0;
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strcmp(version, known[i]) == 0)
			break;
	}
	if (i == sizeof known / sizeof known[0]) {
		xasprintf(err, "--protocol-version wants one of 2024-11-05, "
		    "2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28, not "
		    "'%.64s'", version);
		return -1;
	}
	if (!oneshot) {
		xasprintf(err, "--protocol-version is the version of "
		    "--oneshot's handshake: give --oneshot too (a local "
		    "client names its own in initialize)");
		return -1;
	}
	if (strcmp(version, MCP_VERSION_2026_07_28) == 0 &&
	    (era == CLIENT_ERA_LEGACY || transport == CLIENT_TRANSPORT_SSE)) {
		xasprintf(err, "--protocol-version %s cannot go with --era "
		    "legacy or --transport sse", version);
		return -1;
	}
	return 0;
}

/* ---- small things ---- */

json_object *
client_parse_body(struct client *c, struct evbuffer *b)
{
	size_t		 len = evbuffer_get_length(b);
	unsigned char	*p;
	json_object	*msg;

	if (len == 0)
		return NULL;
	if ((p = evbuffer_pullup(b, -1)) == NULL)
		fatalx("evbuffer_pullup");
	msg = jsonparse_strict((const char *)p, len, NULL);
	trace_msg(c->trace, TRACE_SERVER_IN, NULL, msg);
	return msg;
}

const char *
client_id_text(json_object *msg)
{
	json_object	*id = jsonrpc_id(msg);

	return id == NULL ? "null" : json_object_to_json_string(id);
}

void
client_fail_status(struct client *c, int status)
{
	if (c->exit_status == 0)
		c->exit_status = status;
}

void
client_set_timer(struct event *ev, long ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

char *
client_internal_id(struct client *c)
{
	char	*s;

	xasprintf(&s, "mcpbridge-%" PRIu64, ++c->next_id);
	return s;
}

/* ---- what the local client sends ---- */

void
client_subscriptions(struct client *c, json_object *msg, int add)
{
	json_object	*params, *uri;
	const char	*s;
	size_t		 i;

	params = jsonrpc_params(msg);
	if (params == NULL || !json_object_object_get_ex(params, "uri", &uri) ||
	    !json_object_is_type(uri, json_type_string))
		return;
	s = json_object_get_string(uri);
	for (i = 0; i < c->nsubs; i++) {
		if (strcmp(c->subs[i], s) == 0)
			break;
	}
	if (add && i == c->nsubs) {
		c->subs = xreallocarray(c->subs, c->nsubs + 1, sizeof *c->subs);
		c->subs[c->nsubs++] = xstrdup(s);
	} else if (!add && i < c->nsubs) {
		free(c->subs[i]);
		c->subs[i] = c->subs[--c->nsubs];
	}
}

/* --oneshot: the handshake, ours, when stdin does not start with it. */
static void
client_oneshot_init(struct client *c)
{
	json_object	*params, *caps, *info, *msg;
	struct cmsg	*cm;
	const char	*version;
	char		*id;

	params = json_object_new_object();
	/* 2026-07-28 has no initialize: the era does it (client_run_io),
	 * and this one is answered from server/discover. */
	version = c->cfg->protocol_version;
	if (version == NULL || strcmp(version, MCP_VERSION_2026_07_28) == 0)
		version = MCP_VERSION_LATEST_LEGACY;
	json_object_object_add(params, "protocolVersion",
	    json_object_new_string(version));
	caps = json_object_new_object();
	json_object_object_add(params, "capabilities", caps);
	info = json_object_new_object();
	json_object_object_add(info, "name", json_object_new_string(
	    PACKAGE_NAME));
	json_object_object_add(info, "version", json_object_new_string(
	    PACKAGE_VERSION));
	json_object_object_add(params, "clientInfo", info);
	msg = jsonrpc_request_new(0, "initialize", params);
	id = client_internal_id(c);
	json_object_object_add(msg, "id", json_object_new_string(id));
	free(id);
	c->init = json_object_get(msg);
	c->initialized = 1;

	cm = cmsg_new(c, msg, JSONRPC_REQUEST, 1);
	cm->is_init = cm->barrier = 1;
	TAILQ_INSERT_TAIL(&c->msgs, cm, entry);
	cm = cmsg_new(c, jsonrpc_notification_new("notifications/initialized",
	    NULL), JSONRPC_NOTIFICATION, 1);
	cm->barrier = 1;
	TAILQ_INSERT_TAIL(&c->msgs, cm, entry);
}

static void
client_from_stdin(void *arg, json_object *msg)
{
	struct client		*c = arg;
	struct cmsg		*cm, *old;
	enum jsonrpc_kind	 kind;
	const char		*method, *tool;
	json_object		*params, *rid;
	char			*text = NULL;
	size_t			 i;
	int			 barrier = 0, is_init = 0;

	kind = jsonrpc_classify(msg);
	/* A batch is traced message by message, below. */
	if (kind != JSONRPC_BATCH)
		trace_msg(c->trace, TRACE_STDIN, NULL, msg);
	if (c->closing) {
		json_object_put(msg);
		return;
	}
	if (kind == JSONRPC_BATCH) {
		/* Sent one by one; answers come back one by one. */
		for (i = 0; i < json_object_array_length(msg); i++)
			client_from_stdin(c, json_object_get(
			    json_object_array_get_idx(msg, i)));
		json_object_put(msg);
		return;
	}
	if (kind == JSONRPC_INVALID) {
		log_warnx("stdin: not a JSON-RPC 2.0 message");
		client_write(c, jsonrpc_error_new(NULL, JSONRPC_INVALID_REQUEST,
		    "Invalid Request", NULL));
		json_object_put(msg);
		return;
	}
	/* --allow-tool, --deny-tool: a tool the filter hides is answered
	 * here; the server never sees the call. */
	if (kind == JSONRPC_REQUEST && (tool = toolfilter_refused_call(
	    &c->cfg->tools, msg)) != NULL) {
		if (*tool == '\0')
			text = xstrdup("Invalid params: tools/call names no "
			    "tool");
		else
			xasprintf(&text, "Tool not allowed: %s", tool);
		log_info("tools/call (id %s): %s", client_id_text(msg), text);
		client_write(c, jsonrpc_error_new(jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, text, NULL));
		free(text);
		json_object_put(msg);
		return;
	}
	/* The first request tells.  An initialize while the server may yet
	 * be a legacy one is a dual-era client's that did not wait for its
	 * server/discover to be refused; one to a modern server (a
	 * conformance check, say) passes through as a modern client's. */
	if (kind == JSONRPC_REQUEST && c->era != ERA_MODERN &&
	    strcmp(jsonrpc_method(msg), "initialize") == 0)
		c->local = LOCAL_LEGACY;
	else if (c->local == LOCAL_UNKNOWN && kind == JSONRPC_REQUEST)
		c->local = client_modern_local_era(msg) ? LOCAL_MODERN :
		    LOCAL_LEGACY;
	if (c->local == LOCAL_MODERN) {
		client_passthru_from_stdin(c, msg, kind);
		return;
	}
	method = jsonrpc_method(msg);
	if (c->nread++ == 0 && c->cfg->oneshot && (kind != JSONRPC_REQUEST ||
	    strcmp(method, "initialize") != 0))
		client_oneshot_init(c);
	if (kind == JSONRPC_RESPONSE && c->era == ERA_MODERN) {
		client_era_input_answered(c, msg);
		return;
	}

	if (kind == JSONRPC_REQUEST) {
		if ((old = cmsg_find(c, jsonrpc_id(msg))) != NULL &&
		    !old->internal) {
			log_warnx("stdin: id %s is already in flight",
			    client_id_text(msg));
			client_write(c, jsonrpc_error_new(jsonrpc_id(msg),
			    JSONRPC_INVALID_REQUEST, "a request with this id "
			    "is already in flight", NULL));
			json_object_put(msg);
			return;
		}
		if (strcmp(method, "initialize") == 0) {
			/* A new handshake: a new session. */
			json_object_put(c->init);
			c->init = json_object_get(msg);
			c->initialized = 0;
			c->established = 0;
			c->reinit_pending = 0;
			client_session_forget(c);
			if (c->get != NULL && c->get->kind == CONN_GET)
				client_conn_close(c->get);
			is_init = barrier = 1;
		} else if (strcmp(method, "resources/subscribe") == 0)
			client_subscriptions(c, msg, 1);
		else if (strcmp(method, "resources/unsubscribe") == 0)
			client_subscriptions(c, msg, 0);
		else if (strcmp(method, "logging/setLevel") == 0 &&
		    client_modern_log_level(msg) != NULL) {
			/* An unknown level is refused (by the server or, in
			 * 2026-07-28, here) and leaves the last one in force. */
			json_object_put(c->log_level);
			c->log_level = json_object_get(msg);
		}
	} else if (kind == JSONRPC_NOTIFICATION) {
		if (strcmp(method, "notifications/initialized") == 0) {
			c->initialized = 1;
			barrier = 1;
		}
	}

	if (kind == JSONRPC_RESPONSE)
		client_trace_local_answer(c, msg);
	cm = cmsg_new(c, msg, kind, 0);
	cm->barrier = barrier;
	cm->is_init = is_init;
	TAILQ_INSERT_TAIL(&c->msgs, cm, entry);
	if (kind == JSONRPC_REQUEST) {
		cm->timeout = evtimer_new(c->base, cmsg_timed_out, cm);
		/* During a sign-in it starts when the sign-in ends. */
		if (c->oauth == NULL || !oauth_busy(c->oauth))
			client_set_timer(cm->timeout, c->request_timeout_ms);
	}
	if (kind == JSONRPC_NOTIFICATION &&
	    strcmp(method, "notifications/cancelled") == 0 &&
	    (params = jsonrpc_params(msg)) != NULL &&
	    json_object_object_get_ex(params, "requestId", &rid) &&
	    (old = cmsg_find(c, rid)) != NULL && !old->internal &&
	    !old->is_init) {
		/* The local client gave up on it: no answer is expected. */
		log_debug("request %s cancelled by the local client",
		    client_id_text(old->msg));
		if (old->conn != NULL)
			client_conn_close(old->conn);
		cmsg_free(old);
	}
	if (c->nlocal >= CLIENT_MAX_PENDING && !c->in_paused) {
		log_info("%zu messages pending: pausing stdin", c->nlocal);
		c->in_paused = 1;
		event_del(c->in_ev);
	}
	client_pump(c);
}

/* ---- the pump ---- */

static void
cmsg_post(struct cmsg *cm)
{
	struct client	*c = cm->c;
	struct conn	*conn;
	const char	*s, *url, *level;
	size_t		 len;
	json_object	*id;
	char		*ids;

	if (cm->passthru)
		client_passthru_wire(cm);
	else if (cm->kind == JSONRPC_REQUEST &&
	    (cm->is_discover || c->era == ERA_MODERN)) {
		/* Every POST a new id: a retry is a new request. */
		ids = client_internal_id(c);
		id = json_object_new_string(ids);
		free(ids);
		level = c->log_level != NULL ?
		    client_modern_log_level(c->log_level) : NULL;
		json_object_put(cm->wire);
		cm->wire = client_modern_request(cm->msg, id, c->init, level,
		    cm->responses, cm->req_state);
		json_object_put(id);
		free(cm->text);
		cm->text = NULL;
	}
	if (cm->text == NULL) {
		s = json_object_to_json_string_length(cm->wire != NULL ?
		    cm->wire : cm->msg,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
		if (s == NULL)
			fatalx("json_object_to_json_string_length");
		cm->text = xstrndup(s, len);
		cm->len = len;
	}
	url = c->transport == CLIENT_TRANSPORT_SSE ? c->endpoint : c->url;
	conn = client_conn_new(c, CONN_POST);
	conn->cm = cm;
	cm->conn = conn;
	cm->state = CMSG_POSTING;
	cm->had_session = c->transport == CLIENT_TRANSPORT_SSE ||
	    c->session_id != NULL;
	/* The probe waits no longer than a connection may take.  A request
	 * with a deadline of its own (cm->timeout, which progress starts
	 * again and which closes the conn) gets no transfer limit: one
	 * would cut a long call that reports progress. */
	trace_msg(c->trace, TRACE_SERVER_OUT, NULL, cm->wire != NULL ?
	    cm->wire : cm->msg);
	client_conn_start(conn, "POST", url, cm->text, cm->len,
	    cm->is_discover && c->era == ERA_UNKNOWN ? c->connect_timeout_ms :
	    client_passthru_lasting(cm) || cm->timeout != NULL ? 0 :
	    c->request_timeout_ms);
}

void
client_pump(struct client *c)
{
	struct cmsg	*cm, *next;

	if (c->closing || evtimer_pending(c->hold, NULL))
		return;
	if (TAILQ_EMPTY(&c->msgs)) {
		client_check_done(c);
		return;
	}
	if (c->oauth != NULL && oauth_busy(c->oauth))
		return;		/* client_session_auth_done pumps */
	if (c->oauth != NULL && oauth_refresh_ahead(c->oauth)) {
		/* A token about to lapse is renewed before anything
		 * leaves with it. */
		client_session_auth_hold(c);
		return;		/* client_session_auth_done pumps */
	}
	if (c->reinit_pending)
		client_session_reinit(c);
	if (c->sess == SESS_NONE) {
		if (c->transport == CLIENT_TRANSPORT_SSE) {
			client_session_legacy_connect(c);
			return;
		}
		c->sess = SESS_OPEN;
	}
	if (c->sess != SESS_OPEN)
		return;
	for (cm = TAILQ_FIRST(&c->msgs); cm != NULL; cm = next) {
		next = TAILQ_NEXT(cm, entry);
		if (cm->state == CMSG_QUEUED) {
			if (cm->passthru && c->era == ERA_LEGACY) {
				client_passthru_refuse(cm);
				continue;	/* answered here, freed */
			}
			if ((cm->is_init || (cm->passthru &&
			    c->era == ERA_UNKNOWN)) && !cm->probed &&
			    c->era != ERA_LEGACY) {
				/* The era first; the discover is a barrier. */
				client_era_discover_begin(cm);
				cmsg_post(cm->peer);
				break;
			}
			if (c->era == ERA_MODERN && !cm->is_discover &&
			    !cm->passthru && client_era_local(cm))
				continue;	/* answered here, freed */
			cmsg_post(cm);
		}
		if (cm->barrier)
			break;
		/* One at a time until we know the transport. */
		if (c->transport == CLIENT_TRANSPORT_AUTO)
			break;
	}
}

/* ---- stdin ---- */

/*
 * A line on stdin the framer dropped.  One that is not JSON gets a Parse
 * error with a null id, as JSON-RPC asks; a request over the cap gets an
 * error under its id, when its line ends, if either end showed one.
 * Either way the local client hears of it rather than waiting out a
 * silence.  An oversized notification, or an answer to the server, is
 * only logged (framer).
 */
static void
client_in_dropped(void *arg, const struct framer_peek *pk)
{
	struct client	*c = arg;
	char		*text;

	if (pk->drop == FRAMER_DROP_INVALID) {
		/* Under its id when its ends show one (and it is a
		 * request), so the local client stops waiting for it;
		 * JSON-RPC's id null otherwise. */
		xasprintf(&text, "Parse error: %s", pk->reason);
		client_write(c, jsonrpc_error_new(pk->method ? pk->id : NULL,
		    JSONRPC_PARSE_ERROR, text, NULL));
		free(text);
		return;
	}
	if (!pk->method || pk->id == NULL)
		return;
	xasprintf(&text, "Invalid Request: the message exceeded "
	    "--max-message-size (%zu bytes)", pk->max_line);
	client_write(c, jsonrpc_error_new(pk->id, JSONRPC_INVALID_REQUEST,
	    text, NULL));
	free(text);
}

/* Hands every complete line on stdin to client_from_stdin (the last one
 * too at EOF). */
static void
client_in_frames(struct client *c, int eof)
{
	if (eof)
		framer_eof(&c->framer, c->in, client_from_stdin, c);
	else
		framer_drain(&c->framer, c->in, client_from_stdin, c);
}

static void
client_in_eof(struct client *c)
{
	struct timeval	tv;

	client_in_frames(c, 1);
	c->in_eof = 1;
	client_passthru_eof(c);
	event_del(c->in_ev);
	client_era_input_eof(c);
	log_debug("end of input; %zu messages outstanding", c->nlocal);
	/* Every request has its own timeout; this is the backstop. */
	tv.tv_sec = (c->request_timeout_ms + 10000) / 1000;
	tv.tv_usec = 0;
	evtimer_add(c->eof_timer, &tv);
	client_check_done(c);
}

static void
client_in_ready(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;
	int		 n;

	if (c->in_paused || c->in_eof || c->closing)
		return;
	n = evbuffer_read(c->in, c->in_fd, CLIENT_READ_CHUNK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1)
		log_warn("stdin");
	if (n <= 0) {
		client_in_eof(c);
		return;
	}
	client_in_frames(c, 0);
	/* A file is always readable: come back on the next turn. */
	if (!c->in_pollable && !c->in_paused && !c->in_eof && !c->closing)
		event_active(c->in_ev, EV_READ, 0);
}

static void
client_eof_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	log_warnx("giving up on %zu outstanding messages", c->nlocal);
	client_fail_status(c, EXIT_TEMPFAIL);
	client_fail_all(c, EXIT_TEMPFAIL, "mcpbridge is exiting");
	client_close(c, "end of input");
}

static void
client_done_check(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	if (c->out_error && !c->closing)
		client_close(c, "stdout is gone");
	else if (c->in_eof && !c->closing && c->nlocal == 0)
		client_close(c, "end of input");
}

/* On a later loop turn: this is called where messages are being freed. */
void
client_check_done(struct client *c)
{
	if (c->in_eof && !c->closing && c->nlocal == 0)
		event_active(c->done_ev, 0, 0);
}

/* ---- shutting down ---- */

static void
client_finish_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	log_warnx("could not flush stdout; exiting anyway");
	client_end(c);
}

void
client_close(struct client *c, const char *why)
{
	struct cmsg	*cm;
	struct conn	*conn;
	struct timeval	 tv;

	if (c->closing)
		return;
	c->closing = 1;
	log_debug("closing: %s", why);
	event_del(c->in_ev);
	evtimer_del(c->hold);
	while ((conn = TAILQ_FIRST(&c->conns)) != NULL)
		client_conn_close(conn);
	while ((cm = TAILQ_FIRST(&c->msgs)) != NULL)
		cmsg_free(cm);

	tv.tv_sec = CLIENT_FLUSH_TIMEOUT_MS / 1000;
	tv.tv_usec = 0;
	evtimer_add(c->finish_timer, &tv);
	if (c->transport == CLIENT_TRANSPORT_STREAMABLE &&
	    c->session_id != NULL) {
		/* Tell the server the session is over. */
		conn = client_conn_new(c, CONN_DELETE);
		client_conn_start(conn, "DELETE", c->url, NULL, 0,
		    CLIENT_DELETE_TIMEOUT_MS);
		return;
	}
	c->finishing = 1;
	if (evbuffer_get_length(c->out) == 0 || c->out_error)
		client_end(c);
}

/* Closed and flushed: client mode's loop ends; an embedded client tells
 * its embedder (once), who frees it on a later turn. */
void
client_end(struct client *c)
{
	if (c->done == NULL) {
		event_base_loopbreak(c->base);
		return;
	}
	if (c->ended)
		return;
	c->ended = 1;
	evtimer_del(c->finish_timer);
	c->done(c->embed_arg);
}

/* Embedded: the session is gone (client_lost); closing, on the turn
 * after, as callers may be walking the message list. */
static void
client_lost_close(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;

	client_close(c, c->lost_why != NULL ? c->lost_why : "lost");
}

static void
client_signal(evutil_socket_t sig, short what, void *arg)
{
	struct client	*c = arg;

	log_info("signal %d: exiting", (int)sig);
	if (c->closing)
		event_base_loopbreak(c->base);
	else
		client_close(c, "signal");
}

/* ---- setting up ---- */

static int
client_pollable(int fd)
{
	struct stat	sb;

	if (fstat(fd, &sb) == -1)
		return 0;
	if (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode))
		return 1;
	return S_ISCHR(sb.st_mode) && isatty(fd);
}

/*
 * The headers, with what they take from the environment.  Those values
 * (and --bearer-token-env's) are credentials: once read they leave the
 * environment, which the --oauth-open command would inherit.
 */
static int
client_build_headers(struct client *c)
{
	const struct client_config *cfg = c->cfg;
	char			*err, *h, *tok;
	size_t			 i;

	c->headers = xcalloc(cfg->nheaders + 1, sizeof *c->headers);
	for (i = 0; c->done != NULL && i < cfg->nheaders; i++)
		c->headers[c->nheaders++] = xstrdup(cfg->headers[i]);
	for (i = 0; c->done == NULL && i < cfg->nheaders; i++) {
		if (client_expand_env(cfg->headers[i], &h, &err) == -1) {
			log_error("--header: %s", err);
			free(err);
			return -1;
		}
		c->headers[c->nheaders++] = h;
		log_debug("sending header %.*s", (int)strcspn(h, ":"), h);
	}
	if (cfg->bearer_token_env != NULL) {
		tok = env_take(cfg->bearer_token_env);
		if (tok == NULL || *tok == '\0' ||
		    strpbrk(tok, "\r\n") != NULL) {
			log_error("--bearer-token-env: %s is %s",
			    cfg->bearer_token_env, tok == NULL || *tok == '\0' ?
			    "not set or empty" : "not a usable token");
			if (tok != NULL)
				explicit_bzero(tok, strlen(tok));
			free(tok);
			return -1;
		}
		c->headers = xreallocarray(c->headers, c->nheaders + 2,
		    sizeof *c->headers);
		xasprintf(&c->headers[c->nheaders++],
		    "Authorization: Bearer %s", tok);
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	/* Last: two headers, or a header and --bearer-token-env, may name
	 * the same variable.  (Embedded, the embedder expanded them.) */
	for (i = 0; c->done == NULL && i < cfg->nheaders; i++)
		env_forget_refs(cfg->headers[i]);
	return 0;
}

/*
 * What the trace never shows, should the server or the local client put
 * it in a message: the value of every --header and, for a value that is
 * a scheme and a credential ("Bearer xyz"), the credential alone.
 * (Headers themselves are never traced.)
 */
static void
client_trace_secrets(struct client *c)
{
	const char	*v, *sp;
	size_t		 i;

	/* The exporter's headers (--otel-header, OTEL_*_HEADERS) too. */
	for (i = 0; c->cfg->otel != NULL && i < c->cfg->otel->nheaders; i++) {
		trace_secret(c->trace, c->cfg->otel->headers[i].value);
		otel_redact_add(&c->otel_secrets,
		    c->cfg->otel->headers[i].value);
	}
	for (i = 0; i < c->nheaders; i++) {
		if ((v = strchr(c->headers[i], ':')) == NULL)
			continue;
		v += 1 + strspn(v + 1, " \t");
		trace_secret(c->trace, v);
		otel_redact_add(&c->otel_secrets, v);
		if ((sp = strchr(v, ' ')) != NULL) {
			sp += 1 + strspn(sp + 1, " ");
			trace_secret(c->trace, sp);
			otel_redact_add(&c->otel_secrets, sp);
		}
	}
}

/* Sign-in on a 401, unless turned off or the user brings credentials. */
static int
client_oauth_setup(struct client *c)
{
	const struct client_config *cfg = c->cfg;
	struct oauth_config	 oc;
	char			*secret = NULL, *err;
	size_t			 i;

	if (cfg->no_oauth || c->ce == NULL)
		return 0;	/* no sign-in under a test's HTTP */
	for (i = 0; i < c->nheaders; i++) {
		if (strncasecmp(c->headers[i], "Authorization:", 14) == 0)
			return 0;
	}
	if (oauth_load_secret(cfg->oauth_client_secret_env,
	    cfg->oauth_client_secret_file, &secret, &err) == -1) {
		log_error("%s", err);
		free(err);
		return -1;
	}
	memset(&oc, 0, sizeof oc);
	oc.server_url = c->url;
	oc.client_id = cfg->oauth_client_id;
	oc.client_secret = secret;
	oc.client_metadata_url = cfg->oauth_client_metadata_url;
	oc.callback_port = cfg->oauth_callback_port;
	oc.open_cmd = cfg->oauth_open;
	oc.timeout_ms = (long)cfg->oauth_timeout_ms;
	oc.store_dir = cfg->oauth_store;
	oc.allow_http = cfg->allow_http;
	c->oauth = oauth_new(c->base, c->ce, &oc, client_session_auth_done, c);
	if (secret != NULL) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	return 0;
}

static void
client_free(struct client *c)
{
	struct cmsg	*cm;
	struct conn	*conn;
	size_t		 i;

	while ((conn = TAILQ_FIRST(&c->conns)) != NULL)
		client_conn_close(conn);
	while ((cm = TAILQ_FIRST(&c->msgs)) != NULL)
		cmsg_free(cm);
	/* OAuth and curl before the event base; the conns after curl. */
	oauth_free(c->oauth);
	client_trace_free(c);
	curl_event_free(c->ce);
	trace_free(c->trace);
	otel_redact_clear(&c->otel_secrets);
	client_conn_reap(-1, 0, c);
	for (i = 0; i < c->nheaders; i++) {
		/* They hold credentials. */
		explicit_bzero(c->headers[i], strlen(c->headers[i]));
		free(c->headers[i]);
	}
	free(c->headers);
	for (i = 0; i < c->nsubs; i++)
		free(c->subs[i]);
	free(c->subs);
	free(c->url);
	free(c->endpoint);
	free(c->auth_words);
	free(c->session_id);
	free(c->protocol_version);
	json_object_put(c->init);
	json_object_put(c->log_level);
	json_object_put(c->tool_headers);
	json_object_put(c->server_caps);
	json_object_put(c->listen_filter);
	if (c->in_ev != NULL)
		event_free(c->in_ev);
	if (c->out_ev != NULL)
		event_free(c->out_ev);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	if (c->sigterm != NULL)
		event_free(c->sigterm);
	if (c->sigint != NULL)
		event_free(c->sigint);
	if (c->sighup != NULL)
		event_free(c->sighup);
	event_free(c->hold);
	event_free(c->reaper);
	event_free(c->finish_timer);
	event_free(c->eof_timer);
	event_free(c->done_ev);
	if (c->lost_ev != NULL)
		event_free(c->lost_ev);
	free(c->lost_why);
	/* Give the descriptors back as we found them. */
	if (c->in_pollable)
		fcntl(c->in_fd, F_SETFL, c->in_flags);
	if (c->out_pollable)
		fcntl(c->out_fd, F_SETFL, c->out_flags);
	if (c->own_base)
		event_base_free(c->base);
	if (c->curl_inited)
		curl_global_cleanup();
}

static struct curl_event_xfer *
client_curl_start(void *ce, const struct curl_event_request *r)
{
	return curl_event_start(ce, r);
}

/* The HTTP operations of a real run. */
static const struct client_http_ops client_http_curl = {
	.start = client_curl_start,
	.cancel = curl_event_cancel,
	.pause = curl_event_pause,
	.status = curl_event_status,
	.header = curl_event_header,
	.body = curl_event_body,
	.overflowed = curl_event_overflowed,
	.network_error = curl_event_network_error,
	.timed_out = curl_event_timed_out,
};

int
client_run(const struct client_config *cfg)
{
	return client_run_io(cfg, NULL);
}

/*
 * Sets c up on io (NULL: stdin, stdout, a base of its own, curl_event)
 * or, embedded, on emb's base and socket: 0, or the exit status of a
 * usage error (logged); either way the caller frees c with client_free.
 */
static int
client_setup(struct client *c, const struct client_config *cfg,
    const struct client_io *io, const struct client_embed *emb)
{
	struct curl_event_config	 cc;

	c->cfg = cfg;
	c->url = xstrdup(cfg->url);
	c->transport = cfg->transport;
	if (cfg->era == CLIENT_ERA_MODERN || (cfg->protocol_version != NULL &&
	    strcmp(cfg->protocol_version, MCP_VERSION_2026_07_28) == 0)) {
		/* Streamable HTTP or nothing: no HTTP+SSE fallback. */
		c->era = ERA_MODERN;
		c->transport = CLIENT_TRANSPORT_STREAMABLE;
	} else if (cfg->era == CLIENT_ERA_LEGACY ||
	    cfg->transport == CLIENT_TRANSPORT_SSE)
		c->era = ERA_LEGACY;
	c->tool_headers = json_object_new_object();
	c->connect_timeout_ms = (long)cfg->connect_timeout_ms;
	c->request_timeout_ms = (long)cfg->request_timeout_ms;
	c->max_message = cfg->max_message_size;
	c->in_fd = emb != NULL ? emb->fd : io != NULL ? io->in_fd :
	    STDIN_FILENO;
	c->out_fd = emb != NULL ? emb->fd : io != NULL ? io->out_fd :
	    STDOUT_FILENO;
	TAILQ_INIT(&c->msgs);
	TAILQ_INIT(&c->conns);
	TAILQ_INIT(&c->graveyard);

	if (emb != NULL) {
		c->base = emb->base;
		c->lost = emb->lost;
		c->done = emb->done;
		c->embed_arg = emb->arg;
		c->lost_ev = event_new(c->base, -1, 0, client_lost_close, c);
	} else if (io != NULL && io->base != NULL)
		c->base = io->base;
	else {
		if ((c->base = event_base_new()) == NULL)
			fatalx("event_base_new");
		c->own_base = 1;
	}
	c->hold = evtimer_new(c->base, client_session_hold_fired, c);
	c->reaper = event_new(c->base, -1, 0, client_conn_reap, c);
	c->finish_timer = evtimer_new(c->base, client_finish_timeout, c);
	c->eof_timer = evtimer_new(c->base, client_eof_timeout, c);
	c->done_ev = event_new(c->base, -1, 0, client_done_check, c);
	if (client_build_headers(c) == -1) {
		/* A usage error like those cli.c finds: where to read more,
		 * as main.c says it (in JSON, a line of the log). */
		if (emb != NULL)
			return EXIT_USAGE;
		if (log_get_format() == LOG_FORMAT_JSON)
			log_info("Run 'mcpbridge client --help' for the "
			    "options.");
		else
			fprintf(stderr, "Run 'mcpbridge client --help' for "
			    "the options.\n");
		return EXIT_USAGE;
	}
	c->trace = trace_new(cfg->trace);
	client_trace_secrets(c);
	if (cfg->insecure)
		log_warnx("--insecure: the server's certificate is not "
		    "verified");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init");
	c->curl_inited = 1;
	if (io != NULL && io->http != NULL) {
		c->http = io->http;
		c->http_arg = io->http_arg;
	} else {
		memset(&cc, 0, sizeof cc);
		cc.connect_timeout_ms = c->connect_timeout_ms;
		cc.cacert = cfg->cacert;
		cc.insecure = cfg->insecure;
		c->ce = curl_event_new(c->base, &cc);
		c->http = &client_http_curl;
		c->http_arg = c->ce;
	}
	client_trace_init(c);
	if (emb == NULL && client_oauth_setup(c) == -1)
		return EXIT_USAGE;

	framer_init(&c->framer, c->max_message, emb != NULL ? "client" :
	    "stdin");
	framer_set_dropped(&c->framer, client_in_dropped, c);
	if ((c->in = evbuffer_new()) == NULL ||
	    (c->out = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	c->in_pollable = client_pollable(c->in_fd);
	c->out_pollable = client_pollable(c->out_fd);
	if (c->in_pollable) {
		c->in_flags = fcntl(c->in_fd, F_GETFL);
		fcntl(c->in_fd, F_SETFL, c->in_flags | O_NONBLOCK);
		c->in_ev = event_new(c->base, c->in_fd, EV_READ | EV_PERSIST,
		    client_in_ready, c);
		event_add(c->in_ev, NULL);
	} else {
		c->in_ev = event_new(c->base, -1, 0, client_in_ready, c);
		event_active(c->in_ev, EV_READ, 0);
	}
	if (c->out_pollable) {
		c->out_flags = fcntl(c->out_fd, F_GETFL);
		fcntl(c->out_fd, F_SETFL, c->out_flags | O_NONBLOCK);
		c->out_ev = event_new(c->base, c->out_fd, EV_WRITE |
		    EV_PERSIST, client_out_ready, c);
	}
	if (emb != NULL)
		return 0;	/* the embedder's signals */
	c->sigterm = evsignal_new(c->base, SIGTERM, client_signal, c);
	c->sigint = evsignal_new(c->base, SIGINT, client_signal, c);
	c->sighup = evsignal_new(c->base, SIGHUP, client_signal, c);
	evsignal_add(c->sigterm, NULL);
	evsignal_add(c->sigint, NULL);
	evsignal_add(c->sighup, NULL);
	return 0;
}

int
client_run_io(const struct client_config *cfg, const struct client_io *io)
{
	struct client	 c;
	int		 status;

	memset(&c, 0, sizeof c);
	if ((status = client_setup(&c, cfg, io, NULL)) != 0) {
		client_free(&c);
		return status;
	}

	event_base_dispatch(c.base);

	client_flush(&c);
	client_trace_finish(&c);
	status = c.exit_status;
	client_free(&c);
	return status;
}

struct client *
client_embed_new(const struct client_config *cfg,
    const struct client_embed *emb)
{
	struct client	*c;

	c = xcalloc(1, sizeof *c);
	if (client_setup(c, cfg, NULL, emb) != 0) {
		client_free(c);
		free(c);
		return NULL;
	}
	return c;
}

void
client_embed_close(struct client *c, const char *why)
{
	client_close(c, why);
}

void
client_embed_free(struct client *c)
{
	if (c == NULL)
		return;
	client_free(c);
	free(c);
}
