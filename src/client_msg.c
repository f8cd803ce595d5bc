/* SPDX-License-Identifier: ISC */
/*
 * client_msg.c: the messages and stdout.  Every message from stdin is a
 * struct cmsg on one ordered list: QUEUED until the session can carry it,
 * POSTING while its POST runs, WAITING (requests) until its answer comes,
 * in BACKOFF before a retry, or INPUT while the local client answers the
 * server's questions.  A request leaves the list when answered, timed out
 * or failed (an error goes to stdout then); other messages when their POST
 * is accepted.  What goes to stdout waits in c->out; past a high mark every
 * transfer is paused until the local client reads.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "client_int.h"
#include "clock.h"
#include "exitcodes.h"
#include "framer.h"
#include "jsonrpc.h"
#include "log.h"
#include "xmalloc.h"

/* ---- stdout ---- */

void
client_flush(struct client *c)
{
	int	n;

	if (c->out_error)
		return;
	if (c->out_pollable) {
		if (evbuffer_get_length(c->out) > 0)
			event_add(c->out_ev, NULL);
		return;
	}
	/* A file or /dev/null: blocking writes. */
	while (evbuffer_get_length(c->out) > 0) {
		n = evbuffer_write(c->out, c->out_fd);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("stdout");
			c->out_error = 1;
			evbuffer_drain(c->out, evbuffer_get_length(c->out));
			/* Closed on a later turn: callers may be iterating. */
			event_active(c->done_ev, 0, 0);
			return;
		}
	}
}

/* Backpressure: stop reading from the server while stdout is full. */
static void
client_out_pause(struct client *c, int on)
{
	struct conn	*conn;

	if (c->out_paused == on)
		return;
	c->out_paused = on;
	log_debug("%s transfers: %zu bytes waiting for stdout",
	    on ? "pausing" : "resuming", evbuffer_get_length(c->out));
	TAILQ_FOREACH(conn, &c->conns, entry)
		c->http->pause(conn->xfer, on);
}

/*
 * --oneshot is for pipelines: stdout carries the answers (and the
 * server's requests, which the script must answer), a notification goes
 * to the log unless --notifications, and a JSON-RPC error answer makes
 * the exit status EXIT_RPCERROR unless an earlier failure set one.
 * Takes msg; 1 if it is for stdout.
 */
static int
client_oneshot_out(struct client *c, json_object *msg)
{
	const char	*text;

	if (!c->cfg->oneshot)
		return 1;
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_RESPONSE:
		if (json_object_object_get_ex(msg, "error", NULL))
			client_fail_status(c, EXIT_RPCERROR);
		return 1;
	case JSONRPC_NOTIFICATION:
		if (c->cfg->notifications)
			return 1;
		text = json_object_to_json_string_ext(msg,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		log_info("%s: %.*s%s", jsonrpc_method(msg),
		    CLIENT_NOTE_MAX, text,
		    strlen(text) > CLIENT_NOTE_MAX ? "..." : "");
		json_object_put(msg);
		return 0;
	default:
		return 1;
	}
}

/* Takes msg. */
void
client_write(struct client *c, json_object *msg)
{
	client_trace_answer(c, msg);
	if (!client_oneshot_out(c, msg))
		return;
	if (!c->out_error) {
		trace_msg(c->trace, TRACE_STDOUT, NULL, msg);
		framer_write(c->out, msg);
	}
	json_object_put(msg);
	client_flush(c);
	if (evbuffer_get_length(c->out) > CLIENT_OUT_HIGH)
		client_out_pause(c, 1);
}

static void
client_write_error(struct client *c, json_object *id, const char *text,
    long http_status)
{
	json_object	*data = NULL;

	if (http_status > 0) {
		data = json_object_new_object();
		json_object_object_add(data, "httpStatus",
		    json_object_new_int64(http_status));
	}
	client_write(c, jsonrpc_error_new(id, JSONRPC_SERVER_ERROR, text,
	    data));
}

void
client_out_ready(evutil_socket_t fd, short what, void *arg)
{
	struct client	*c = arg;
	int		 n;

	n = evbuffer_write(c->out, fd);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (errno == EPIPE)
			log_info("stdout closed by the local client");
		else
			log_warn("stdout");
		c->out_error = 1;
		evbuffer_drain(c->out, evbuffer_get_length(c->out));
	}
	if (c->out_paused && evbuffer_get_length(c->out) < CLIENT_OUT_LOW)
		client_out_pause(c, 0);
	if (evbuffer_get_length(c->out) == 0) {
		event_del(c->out_ev);
		if (c->finishing)
			client_end(c);
	}
	if (c->out_error)
		client_close(c, "stdout is gone");
}

/* ---- messages ---- */

struct cmsg *
cmsg_new(struct client *c, json_object *msg, enum jsonrpc_kind kind,
    int internal)
{
	struct cmsg	*cm;

	cm = xcalloc(1, sizeof *cm);
	cm->c = c;
	cm->msg = msg;
	cm->kind = kind;
	cm->internal = internal;
	cm->state = CMSG_QUEUED;
	if (!internal)
		c->nlocal++;
	client_trace_request(cm);
	return cm;
}

void
cmsg_free(struct cmsg *cm)
{
	struct client	*c = cm->c;

	TAILQ_REMOVE(&c->msgs, cm, entry);
	client_trace_end(cm);
	if (cm->peer != NULL)
		cm->peer->peer = NULL;
	if (cm->asked != NULL && json_object_object_length(cm->asked) > 0 &&
	    !c->closing)
		client_era_input_cancel(cm, "the request is over");
	json_object_put(cm->wire);
	json_object_put(cm->responses);
	json_object_put(cm->asked);
	json_object_put(cm->req_state);
	if (cm->conn != NULL) {
		cm->conn->cm = NULL;
		/* A POST still running (not an answer stream that merely
		 * has not ended) goes with its message. */
		if (!cm->conn->sse || cm->conn->xfer == NULL)
			client_conn_close(cm->conn);
	}
	if (cm->timeout != NULL)
		event_free(cm->timeout);
	if (cm->backoff != NULL)
		event_free(cm->backoff);
	json_object_put(cm->msg);
	free(cm->text);
	if (!cm->internal) {
		c->nlocal--;
		if (c->in_paused && c->nlocal < CLIENT_MAX_PENDING / 2) {
			c->in_paused = 0;
			if (c->in_eof || c->closing)
				;
			else if (c->in_pollable)
				event_add(c->in_ev, NULL);
			else
				event_active(c->in_ev, EV_READ, 0);
		}
	}
	free(cm);
	client_check_done(c);
}

/* The request whose id this is, local or ours. */
struct cmsg *
cmsg_find(struct client *c, json_object *id)
{
	struct cmsg	*cm;

	TAILQ_FOREACH(cm, &c->msgs, entry) {
		if (cm->kind == JSONRPC_REQUEST &&
		    jsonrpc_id_equal(jsonrpc_id(cm->msg), id))
			return cm;
	}
	return NULL;
}

/* The request this answer from the server is for: in the modern era the
 * id on the wire is ours, and a request between two rounds has none (the
 * local client's own id means nothing to the server). */
struct cmsg *
cmsg_find_wire(struct client *c, json_object *id)
{
	struct cmsg	*cm;
	json_object	*mine;

	TAILQ_FOREACH(cm, &c->msgs, entry) {
		if (cm->kind != JSONRPC_REQUEST ||
		    (c->era == ERA_MODERN && cm->wire == NULL))
			continue;
		mine = cm->wire != NULL ? jsonrpc_id(cm->wire) :
		    jsonrpc_id(cm->msg);
		if (jsonrpc_id_equal(mine, id))
			return cm;
	}
	return NULL;
}

/* Answers a local request with an error (or drops any other message) and
 * frees it. */
void
cmsg_fail(struct cmsg *cm, int status, const char *why, long http_status)
{
	struct client	*c = cm->c;
	const char	*method = jsonrpc_method(cm->msg);

	if (cm->internal && cm->is_relist) {
		/* The tools/call goes again as it is; the local client hears
		 * of no failure, and the exit status neither. */
		log_warnx("tools/list (ours) failed: %s", why);
		client_era_relist_next(cm, NULL);
		return;
	}
	client_fail_status(c, status);
	if (cm->internal) {
		int		 init = cm->is_init;
		struct cmsg	*peer = cm->is_discover ? cm->peer : NULL;

		log_warnx("%s (ours) failed: %s", method != NULL ? method :
		    "a response", why);
		cmsg_free(cm);
		if (peer != NULL)
			cmsg_fail(peer, status, why, http_status);
		else if (init)
			client_session_reinit_failed(c, status, why);
		return;
	}
	if (cm->kind == JSONRPC_REQUEST) {
		log_warnx("%s (id %s) failed: %s", method,
		    client_id_text(cm->msg), why);
		client_write_error(c, jsonrpc_id(cm->msg), why, http_status);
	} else
		log_warnx("could not deliver %s: %s", method != NULL ? method :
		    "a response", why);
	cmsg_free(cm);
}

/* Every local request gets this error; every other message is dropped.
 * (cmsg_free frees nothing but the message and its own conn.) */
void
client_fail_all(struct client *c, int status, const char *why)
{
	struct cmsg	*cm;

	client_fail_status(c, status);
	while ((cm = TAILQ_FIRST(&c->msgs)) != NULL) {
		if (cm->kind == JSONRPC_REQUEST && !cm->internal)
			client_write_error(c, jsonrpc_id(cm->msg), why, 0);
		cmsg_free(cm);
	}
}

static void
cmsg_backoff_fired(evutil_socket_t fd, short what, void *arg)
{
	struct cmsg	*cm = arg;

	cm->state = CMSG_QUEUED;
	client_pump(cm->c);
}

/* A POST failed for a network reason or its answer stream broke: worth
 * a few more tries (a refusal as unavailable is cmsg_unavailable). */
void
cmsg_retry(struct cmsg *cm, int status, const char *why)
{
	struct client	*c = cm->c;
	long		 ms;

	if (cm->attempts >= CLIENT_POST_RETRIES || c->closing) {
		cmsg_fail(cm, status, why, 0);
		return;
	}
	ms = (long)CLIENT_POST_RETRY_MS << cm->attempts;
	cm->attempts++;
	client_trace_retry(cm, why);
	log_info("%s failed (%s); trying again in %ldms (%d of %d)",
	    jsonrpc_method(cm->msg) != NULL ? jsonrpc_method(cm->msg) :
	    "a response", why, ms, cm->attempts, CLIENT_POST_RETRIES);
	cm->state = CMSG_BACKOFF;
	if (cm->backoff == NULL)
		cm->backoff = evtimer_new(c->base, cmsg_backoff_fired, cm);
	client_set_timer(cm->backoff, ms);
}

/* The timer that ends this message's wait: a local request's own, or, for
 * the era probe, that of the initialize it was sent for.  NULL if none
 * runs (notifications, answers, our own requests). */
static struct event *
cmsg_deadline(struct cmsg *cm)
{
	if (cm->timeout != NULL && evtimer_pending(cm->timeout, NULL))
		return cm->timeout;
	if (cm->is_discover && cm->peer != NULL &&
	    cm->peer->timeout != NULL &&
	    evtimer_pending(cm->peer->timeout, NULL))
		return cm->peer->timeout;
	return NULL;
}

/* The server refused a POST as unavailable (429, 502, 503, 504): an
 * instance draining, or over its limits.  The message goes again after
 * the server's Retry-After, or backing off, for as long as its deadline
 * allows; a message with no deadline of its own is given
 * --request-timeout from the first refusal.  The local client sees an
 * error only at the deadline (cmsg_timed_out). */
void
cmsg_unavailable(struct cmsg *cm, long status, const char *retry_after)
{
	struct client	*c = cm->c;
	uint64_t	 now = clock_ms(), end;
	long		 ms;
	char		*why;

	if (cm->unavailable == 0)
		cm->unavailable_since = now;
	cm->unavailable = status;
	end = cm->unavailable_since + (uint64_t)c->request_timeout_ms;
	if (c->closing || (cmsg_deadline(cm) == NULL && now >= end)) {
		xasprintf(&why, "the server was unavailable (HTTP %ld) for "
		    "%ldms (--request-timeout)", status, c->request_timeout_ms);
		cmsg_fail(cm, EXIT_UNAVAILABLE, why, status);
		free(why);
		return;
	}
	if ((ms = client_retry_after(retry_after, time(NULL),
	    CLIENT_RETRY_AFTER_MAX_MS)) == -1) {
		ms = CLIENT_UNAVAILABLE_MAX_MS;
		if (cm->refusals < 16 &&
		    ((long)CLIENT_POST_RETRY_MS << cm->refusals) < ms)
			ms = (long)CLIENT_POST_RETRY_MS << cm->refusals;
	} else if (ms < CLIENT_POST_RETRY_MS)
		ms = CLIENT_POST_RETRY_MS;	/* never a tight loop */
	if (cmsg_deadline(cm) == NULL && now + (uint64_t)ms > end)
		ms = (long)(end - now);		/* one last try at the end */
	cm->refusals++;
	log_info("%s: HTTP %ld, the server is unavailable; trying again in "
	    "%ldms%s", jsonrpc_method(cm->msg) != NULL ?
	    jsonrpc_method(cm->msg) : "a response", status, ms,
	    retry_after != NULL ? " (Retry-After)" : "");
	cm->state = CMSG_BACKOFF;
	if (cm->backoff == NULL)
		cm->backoff = evtimer_new(c->base, cmsg_backoff_fired, cm);
	client_set_timer(cm->backoff, ms);
}

/* The POST was accepted. */
void
cmsg_posted(struct cmsg *cm)
{
	struct client	*c = cm->c;
	const char	*method = jsonrpc_method(cm->msg);
	int		 initialized;

	if (cm->kind == JSONRPC_REQUEST) {
		cm->state = CMSG_WAITING;
		return;
	}
	initialized = method != NULL &&
	    strcmp(method, "notifications/initialized") == 0;
	cmsg_free(cm);
	if (initialized)
		client_session_get_open(c);
}

/* Queues notifications/cancelled for cm's request (legacy era: the
 * server may be working on it). */
void
cmsg_cancel_at_server(struct cmsg *cm, const char *reason)
{
	struct client	*c = cm->c;
	json_object	*params;
	struct cmsg	*n;

	params = json_object_new_object();
	json_object_object_add(params, "requestId",
	    jsonrpc_id_copy(jsonrpc_id(cm->msg)));
	json_object_object_add(params, "reason",
	    json_object_new_string(reason));
	n = cmsg_new(c, jsonrpc_notification_new("notifications/cancelled",
	    params), JSONRPC_NOTIFICATION, 1);
	TAILQ_INSERT_TAIL(&c->msgs, n, entry);
}

void
cmsg_timed_out(evutil_socket_t fd, short what, void *arg)
{
	struct cmsg	*cm = arg;
	struct client	*c = cm->c;
	const char	*method = jsonrpc_method(cm->msg);
	char		*why;
	long		 unavailable;
	int		 waited_listen;

	/* Refused as unavailable up to now: say so (for an initialize,
	 * its era probe may be what was refused). */
	unavailable = cm->unavailable;
	if (unavailable == 0 && cm->peer != NULL)
		unavailable = cm->peer->unavailable;
	if (unavailable != 0)
		xasprintf(&why, "the server was unavailable (HTTP %ld) until "
		    "the deadline: no answer within %ldms (--request-timeout)",
		    unavailable, c->request_timeout_ms);
	else
		xasprintf(&why, "no answer within %ldms (--request-timeout)",
		    c->request_timeout_ms);
	/* The server may be working on it: tell it to stop (never for
	 * initialize, which cannot be cancelled, nor for what the server
	 * last refused). */
	if (cm->state != CMSG_QUEUED && !cm->is_init && !c->closing &&
	    cm->wire == NULL && c->era != ERA_MODERN && unavailable == 0)
		cmsg_cancel_at_server(cm, "timed out in mcpbridge");
	log_warnx("%s (id %s) timed out", method, client_id_text(cm->msg));
	if (cm->conn != NULL)
		client_conn_close(cm->conn);
	/* A subscribe waiting for the listen's acknowledgement: the local
	 * client hears it failed, so the listen stops asking for it. */
	waited_listen = cm->waits_listen;
	if (waited_listen)
		client_subscriptions(c, cm->msg, 0);
	cmsg_fail(cm, unavailable != 0 ? EXIT_UNAVAILABLE : EXIT_TEMPFAIL,
	    why, unavailable);
	free(why);
	if (waited_listen)
		client_era_listen_update(c);
	client_pump(c);
}
