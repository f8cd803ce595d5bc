/* SPDX-License-Identifier: ISC */
/*
 * client_session.c: the session and what keeps it.  A Streamable HTTP
 * session is what the server's Mcp-Session-Id names, with its GET stream;
 * when the server forgets it (404), or the legacy stream is lost, the
 * session is rebuilt behind the local client's back: the initialize is
 * replayed under an id of ours and its answer swallowed, then
 * notifications/initialized, the subscriptions and the log level, and every
 * request still unanswered goes again.  Signing in (a 401 or 403 that OAuth
 * can answer) holds the requests until it ends.  The legacy HTTP+SSE
 * transport: one GET stream whose endpoint event names where to POST.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "client_int.h"
#include "exitcodes.h"
#include "jsonrpc.h"
#include "log.h"
#include "oauth.h"
#include "url.h"
#include "xmalloc.h"

/* ---- the session ---- */

void
client_session_forget(struct client *c)
{
	free(c->session_id);
	c->session_id = NULL;
}

static void
client_hold(struct client *c, long ms)
{
	client_set_timer(c->hold, ms);
}

void
client_session_hold_fired(evutil_socket_t fd, short what, void *arg)
{
	client_pump(arg);
}

/* The streams of the server's own messages, when it offers one. */
void
client_session_get_open(struct client *c)
{
	struct conn	*conn;

	if (c->transport != CLIENT_TRANSPORT_STREAMABLE || c->get_unsupported ||
	    c->cfg->oneshot || c->get != NULL || c->session_id == NULL ||
	    c->closing || c->in_eof)
		return;
	conn = client_conn_new(c, CONN_GET);
	c->get = conn;
	client_conn_start(conn, "GET", c->url, NULL, 0, 0);
}

/* Puts our replay of the handshake at the head of the queue. */
void
client_session_reinit(struct client *c)
{
	struct cmsg	*cm, *after;
	json_object	*msg, *params;
	char		*id;
	size_t		 i;

	c->reinit_pending = 0;
	msg = NULL;
	if (json_object_deep_copy(c->init, &msg, NULL) != 0)
		fatalx("json_object_deep_copy");
	id = client_internal_id(c);
	json_object_object_add(msg, "id", json_object_new_string(id));
	free(id);
	cm = cmsg_new(c, msg, JSONRPC_REQUEST, 1);
	cm->is_init = cm->barrier = 1;
	TAILQ_INSERT_HEAD(&c->msgs, cm, entry);
	after = cm;

	if (c->initialized) {
		msg = jsonrpc_notification_new("notifications/initialized",
		    NULL);
		cm = cmsg_new(c, msg, JSONRPC_NOTIFICATION, 1);
		cm->barrier = 1;
		TAILQ_INSERT_AFTER(&c->msgs, after, cm, entry);
		after = cm;
	}
	for (i = 0; i < c->nsubs; i++) {
		params = json_object_new_object();
		json_object_object_add(params, "uri",
		    json_object_new_string(c->subs[i]));
		msg = jsonrpc_request_new(0, "resources/subscribe", params);
		id = client_internal_id(c);
		json_object_object_add(msg, "id", json_object_new_string(id));
		free(id);
		cm = cmsg_new(c, msg, JSONRPC_REQUEST, 1);
		TAILQ_INSERT_AFTER(&c->msgs, after, cm, entry);
		after = cm;
	}
	if (c->log_level != NULL) {
		msg = NULL;
		if (json_object_deep_copy(c->log_level, &msg, NULL) != 0)
			fatalx("json_object_deep_copy");
		id = client_internal_id(c);
		json_object_object_add(msg, "id", json_object_new_string(id));
		free(id);
		cm = cmsg_new(c, msg, JSONRPC_REQUEST, 1);
		TAILQ_INSERT_AFTER(&c->msgs, after, cm, entry);
	}
}

/* Our replayed handshake could not be done: the local client's requests
 * get errors; the next message from it tries again. */
void
client_session_reinit_failed(struct client *c, int status, const char *why)
{
	log_warnx("could not start a session: %s", why);
	client_fail_all(c, status, why);
	if (client_lost(c, why))
		return;
	/* The next message from the local client tries again. */
	c->reinit_pending = c->init != NULL &&
	    (c->established || c->cfg->oneshot);
	c->reinit_failures = 0;
}

/*
 * Embedded (client_embed_new): the session is gone or the server cannot
 * be reached.  Not mended here: the embedder is told once, and the client
 * closes on the next turn; its embedder starts another when it wants.
 * 0 when not embedded: the caller mends it as client mode does.
 */
int
client_lost(struct client *c, const char *why)
{
	if (c->lost == NULL)
		return 0;
	if (c->lost_why == NULL) {
		c->lost_why = xstrdup(why);
		c->lost(c->embed_arg, why);
		event_active(c->lost_ev, 0, 0);
	}
	return 1;
}

/* The server cannot be reached, and trying again will not mend it
 * (client_net_why): one line at error level, every local request fails
 * at once with why; the next message from the local client tries again. */
void
client_session_unreachable(struct client *c, const char *why)
{
	if (c->lost == NULL)
		log_error("%s", why);
	client_fail_all(c, EXIT_UNAVAILABLE, why);
	if (client_lost(c, why))
		return;
	c->reinit_pending = c->init != NULL &&
	    (c->established || c->cfg->oneshot);
	c->reinit_failures = 0;
}

/* The server no longer knows our session, or the legacy stream is gone:
 * start a new one and send again what it did not answer. */
void
client_session_lost(struct client *c, const char *why)
{
	struct cmsg	*cm, *next;
	int		 local_init = 0;
	long		 ms;

	if (c->closing || client_lost(c, why))
		return;
	log_info("%s: starting a new session", why);
	client_session_forget(c);
	if (c->get != NULL)
		client_conn_close(c->get);
	c->get_unsupported = 0;

	for (cm = TAILQ_FIRST(&c->msgs); cm != NULL; cm = next) {
		next = TAILQ_NEXT(cm, entry);
		if (cm->conn != NULL)
			client_conn_close(cm->conn);
		if (cm->backoff != NULL)
			evtimer_del(cm->backoff);
		if (cm->internal) {
			cmsg_free(cm);
			continue;
		}
		if (cm->kind == JSONRPC_RESPONSE) {
			/* The answer to a request of the old session. */
			log_debug("dropping an answer meant for the old "
			    "session");
			cmsg_free(cm);
			continue;
		}
		if (cm->state == CMSG_QUEUED)
			continue;
		if (cm->kind == JSONRPC_REQUEST &&
		    ++cm->resends > CLIENT_RESEND_TRIES) {
			cmsg_fail(cm, EXIT_UNAVAILABLE, "the session was lost "
			    "again and again", 0);
			continue;
		}
		cm->state = CMSG_QUEUED;
		cm->attempts = 0;
		if (cm->is_init)
			local_init = 1;
	}
	if (c->established && !local_init) {
		c->reinit_pending = 1;
		/* Our replay sends notifications/initialized itself. */
		for (cm = TAILQ_FIRST(&c->msgs); cm != NULL; cm = next) {
			const char *m = jsonrpc_method(cm->msg);

			next = TAILQ_NEXT(cm, entry);
			if (m != NULL && strcmp(m, "notifications/initialized")
			    == 0)
				cmsg_free(cm);
		}
	}
	c->sess = SESS_NONE;
	if (c->reinit_failures >= CLIENT_REINIT_TRIES) {
		client_session_reinit_failed(c, EXIT_UNAVAILABLE, "the server "
		    "keeps losing the session");
		return;
	}
	ms = c->reinit_failures == 0 ? 0 :
	    (long)CLIENT_STREAM_RETRY_MS << (c->reinit_failures - 1);
	c->reinit_failures++;
	/* Even with no delay, continue on a fresh loop turn. */
	client_hold(c, ms);
}

/* An initialize was answered: note the session. */
void
client_session_init_answered(struct client *c, json_object *msg, int ours)
{
	json_object	*result, *v;
	const char	*version;

	if (!json_object_object_get_ex(msg, "result", &result) ||
	    !json_object_is_type(result, json_type_object))
		return;
	if (json_object_object_get_ex(result, "protocolVersion", &v) &&
	    json_object_is_type(v, json_type_string)) {
		version = json_object_get_string(v);
		if (ours && c->protocol_version != NULL &&
		    strcmp(c->protocol_version, version) != 0)
			log_warnx("the new session speaks %s, not %s", version,
			    c->protocol_version);
		if (strpbrk(version, "\r\n") == NULL) {
			free(c->protocol_version);
			c->protocol_version = xstrdup(version);
		}
	}
	if (ours && c->established)
		log_info("new session ready%s", c->transport ==
		    CLIENT_TRANSPORT_SSE ? " (HTTP+SSE)" : "");
	/* reinit_failures is reset only once the session answers something
	 * else: a server that forgets every session at once (a balancer
	 * without affinity) would else be rebuilt at full speed. */
	c->established = 1;
}

/* ---- signing in ---- */

/* While a sign-in runs, requests wait for it, not for their timeouts. */
void
client_session_auth_hold(struct client *c)
{
	struct cmsg	*cm;

	if (!oauth_busy(c->oauth))
		return;
	TAILQ_FOREACH(cm, &c->msgs, entry) {
		if (cm->timeout != NULL)
			evtimer_del(cm->timeout);
	}
}

/* A 401 or 403: 1 if what got it waits for a sign-in and goes again. */
int
client_session_auth_challenge(struct client *c, struct curl_event_xfer *x,
    long status, unsigned gen, int *tries)
{
	json_object	*msg;

	if (c->oauth == NULL || *tries >= CLIENT_AUTH_TRIES ||
	    !oauth_challenge(c->oauth, status, c->http->header(x,
	    "WWW-Authenticate"), gen))
		return 0;
	/* Kept for the error, should the sign-in fail. */
	msg = client_parse_body(c, c->http->body(x));
	free(c->auth_words);
	c->auth_words = client_server_words(c, x, msg);
	json_object_put(msg);
	(*tries)++;
	client_session_auth_hold(c);
	return 1;
}

void
client_session_auth_done(void *arg, const char *error)
{
	struct client	*c = arg;
	struct cmsg	*cm;
	char		*why;

	if (c->closing)
		return;
	if (error != NULL) {
		/* A server that wants a token of its own may still answer
		 * a challenge that starts a sign-in. */
		xasprintf(&why, "sign-in failed: %s%s%s; if the server takes "
		    "a token instead, give it with --bearer-token-env VAR",
		    error, c->auth_words != NULL ? "; the server said " : "",
		    c->auth_words != NULL ? c->auth_words : "");
		client_fail_all(c, EXIT_NOPERM, why);
		free(why);
		/* If it failed while a lost session was being rebuilt, the
		 * next message from the local client rebuilds it (as after
		 * any failed rebuild). */
		if (c->session_id == NULL &&
		    c->transport != CLIENT_TRANSPORT_SSE)
			c->reinit_pending = c->init != NULL &&
			    (c->established || c->cfg->oneshot);
		return;
	}
	TAILQ_FOREACH(cm, &c->msgs, entry) {
		if (cm->timeout != NULL)
			client_set_timer(cm->timeout, c->request_timeout_ms);
	}
	client_session_get_open(c);
	client_era_listen_update(c);
	client_pump(c);
}

/* ---- the legacy transport ---- */

void
client_session_legacy_connect(struct client *c)
{
	struct conn	*conn;

	c->sess = SESS_CONNECTING;
	free(c->endpoint);
	c->endpoint = NULL;
	conn = client_conn_new(c, CONN_LEGACY);
	c->get = conn;
	client_conn_start(conn, "GET", c->url, NULL, 0, 0);
	/* The endpoint event must come promptly. */
	client_set_timer(conn->timer, c->connect_timeout_ms);
}

/*
 * The legacy stream could not be had.  retry_ms -1: fail every local
 * request now; else try again (a few times) after a growing pause of at
 * least retry_ms (a server's Retry-After).
 */
void
client_session_legacy_failed(struct client *c, int status, const char *why,
    long retry_ms)
{
	long	ms;

	c->sess = SESS_NONE;
	if (c->get != NULL)
		client_conn_close(c->get);
	if (retry_ms >= 0 && c->connect_failures < CLIENT_POST_RETRIES) {
		ms = (long)CLIENT_POST_RETRY_MS << c->connect_failures;
		if (ms < retry_ms)
			ms = retry_ms;		/* the server's Retry-After */
		c->connect_failures++;
		log_info("SSE stream: %s; trying again in %ldms", why, ms);
		client_hold(c, ms);
		return;
	}
	c->connect_failures = 0;
	if (c->fallback_status != 0 &&
	    c->cfg->transport == CLIENT_TRANSPORT_AUTO) {
		/* Neither transport worked: start from the top next time. */
		c->transport = CLIENT_TRANSPORT_AUTO;
		c->fallback_status = 0;
	}
	log_warnx("SSE stream: %s", why);
	client_fail_all(c, status, why);
	c->reinit_pending = c->init != NULL &&
	    (c->established || c->cfg->oneshot);
}

void
client_session_legacy_endpoint(struct conn *conn, const char *data)
{
	struct client	*c = conn->c;
	char		*url, *err;

	if (conn->got_endpoint) {
		log_debug("ignoring a second endpoint event");
		return;
	}
	if (url_resolve(c->url, data, &url, &err) == -1) {
		client_session_legacy_failed(c, EXIT_PROTOCOL, err, -1);
		free(err);
		return;
	}
	conn->got_endpoint = 1;
	evtimer_del(conn->timer);
	free(c->endpoint);
	c->endpoint = url;
	c->sess = SESS_OPEN;
	c->connect_failures = 0;
	log_debug("legacy endpoint received");
	client_pump(c);
}
