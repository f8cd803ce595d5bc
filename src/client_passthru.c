/* SPDX-License-Identifier: ISC */
/*
 * client_passthru.c: a local client that speaks MCP 2026-07-28 itself.
 * Its requests go out as they are but for an id of ours (a retry is a new
 * request) with the headers derived from them; what the server answers comes
 * back through client_era_answered (client_era.c) under the local id.  A legacy
 * server gets none of it (client_passthru_refuse); the streams the local
 * client keeps open (subscriptions/listen) end with its stdin.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "client_int.h"
#include "client_modern.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "oauth.h"

/* ---- modern: a 2026-07-28 local client, passed through ---- */

/* Every POST a new id of ours: a retry is a new request. */
void
client_passthru_wire(struct cmsg *cm)
{
	char	*ids;

	json_object_put(cm->wire);
	cm->wire = NULL;
	if (json_object_deep_copy(cm->msg, &cm->wire, NULL) != 0)
		fatalx("json_object_deep_copy");
	ids = client_internal_id(cm->c);
	json_object_object_add(cm->wire, "id", json_object_new_string(ids));
	free(ids);
	free(cm->text);
	cm->text = NULL;
}

/* 1 for a request whose stream lasts as long as the local client wants. */
int
client_passthru_lasting(struct cmsg *cm)
{
	return cm->passthru &&
	    strcmp(jsonrpc_method(cm->msg), "subscriptions/listen") == 0;
}

/*
 * The server is a legacy one.  server/discover gets what a legacy stdio
 * server answers, so a dual-era local client falls back to initialize
 * (the stdio era probe); other requests get UnsupportedProtocolVersion
 * listing the versions that work.  The next request decides again.
 */
void
client_passthru_refuse(struct cmsg *cm)
{
	struct client	*c = cm->c;
	json_object	*id = jsonrpc_id(cm->msg), *data, *meta, *v;

	log_info("the server does not speak MCP %s; refusing the local "
	    "client's %s (id %s)", CLIENT_MODERN_VERSION,
	    jsonrpc_method(cm->msg), client_id_text(cm->msg));
	if (strcmp(jsonrpc_method(cm->msg), "server/discover") == 0)
		client_write(c, jsonrpc_error_new(id, JSONRPC_METHOD_NOT_FOUND,
		    "Method not found: the server does not speak MCP "
		    CLIENT_MODERN_VERSION "; use initialize", NULL));
	else {
		data = json_object_new_object();
		json_object_object_add(data, "supported",
		    jsonrpc_versions_array());
		if (json_object_object_get_ex(jsonrpc_params(cm->msg), "_meta",
		    &meta) && json_object_object_get_ex(meta,
		    MODERN_META_VERSION, &v))
			json_object_object_add(data, "requested",
			    json_object_get(v));
		client_write(c, jsonrpc_error_new(id,
		    MCP_ERROR_UNSUPPORTED_VERSION, "Unsupported protocol "
		    "version: the server speaks MCP " MCP_VERSION_LATEST_LEGACY
		    " and earlier (initialize first)", data));
	}
	/* Only a guess from this request is undone: an initialize that came
	 * meanwhile has made the local client a legacy one for good. */
	if (c->local == LOCAL_MODERN)
		c->local = LOCAL_UNKNOWN;
	cmsg_free(cm);
}

/* A message from stdin (taken) of a modern local client. */
void
client_passthru_from_stdin(struct client *c, json_object *msg, enum jsonrpc_kind kind)
{
	struct cmsg	*cm, *old;
	json_object	*rid;
	const char	*method;

	if (kind == JSONRPC_RESPONSE) {
		log_warnx("stdin: dropping an answer to id %s: MCP %s servers "
		    "ask through input_required", client_id_text(msg),
		    CLIENT_MODERN_VERSION);
		json_object_put(msg);
		return;
	}
	method = jsonrpc_method(msg);
	if (kind == JSONRPC_NOTIFICATION) {
		if (strcmp(method, "notifications/cancelled") == 0 &&
		    json_object_object_get_ex(jsonrpc_params(msg), "requestId",
		    &rid) && (old = cmsg_find(c, rid)) != NULL &&
		    old->passthru) {
			/* Over HTTP a request is cancelled by closing its
			 * stream; nothing is POSTed. */
			log_debug("%s (id %s) cancelled by the local client",
			    jsonrpc_method(old->msg), client_id_text(old->msg));
			if (old->conn != NULL)
				client_conn_close(old->conn);
			cmsg_free(old);
		} else
			log_debug("not sending %s: MCP %s has no notifications "
			    "from the client over HTTP", method,
			    CLIENT_MODERN_VERSION);
		json_object_put(msg);
		client_pump(c);
		return;
	}
	if ((old = cmsg_find(c, jsonrpc_id(msg))) != NULL && !old->internal) {
		log_warnx("stdin: id %s is already in flight",
		    client_id_text(msg));
		client_write(c, jsonrpc_error_new(jsonrpc_id(msg),
		    JSONRPC_INVALID_REQUEST, "a request with this id is "
		    "already in flight", NULL));
		json_object_put(msg);
		return;
	}
	cm = cmsg_new(c, msg, kind, 0);
	cm->passthru = 1;
	TAILQ_INSERT_TAIL(&c->msgs, cm, entry);
	if (!client_passthru_lasting(cm)) {
		cm->timeout = evtimer_new(c->base, cmsg_timed_out, cm);
		if (c->oauth == NULL || !oauth_busy(c->oauth))
			client_set_timer(cm->timeout, c->request_timeout_ms);
	}
	if (c->nlocal >= CLIENT_MAX_PENDING && !c->in_paused) {
		log_info("%zu messages pending: pausing stdin", c->nlocal);
		c->in_paused = 1;
		event_del(c->in_ev);
	}
	client_pump(c);
}

/* A message (taken) on a passed-through request's stream. */
void
client_passthru_stream(struct cmsg *cm, json_object *msg)
{
	struct client	*c = cm->c;
	json_object	*out;
	int		 ended;

	if (jsonrpc_classify(msg) != JSONRPC_NOTIFICATION) {
		/* Answers: client_era_answered. */
		client_incoming(c, msg);
		return;
	}
	if (client_passthru_lasting(cm) && strcmp(jsonrpc_method(msg),
	    "notifications/subscriptions/acknowledged") == 0) {
		cm->attempts = 0;	/* a break is counted from here */
		if (cm->acked) {
			/* Sent again after a break: the local client had its
			 * acknowledgement, and hears what may have changed
			 * meanwhile instead. */
			json_object_put(msg);
			client_era_listen_missed(c, json_object_object_get(
			    jsonrpc_params(cm->msg), "notifications"),
			    jsonrpc_id(cm->msg));
			return;
		}
		cm->acked = 1;
	}
	if (strcmp(jsonrpc_method(msg), "notifications/tools/list_changed") ==
	    0)
		client_era_tools_changed(c);
	ended = client_modern_cancels(msg, jsonrpc_id(cm->wire));
	out = client_modern_retag(msg, jsonrpc_id(cm->wire),
	    jsonrpc_id(cm->msg));
	json_object_put(msg);
	if (!ended) {
		client_incoming(c, out);
		return;
	}
	/* The server tore the request (a listen) down: it ends here, under
	 * the local id, and is not sent again. */
	log_info("the server cancelled %s (id %s)", jsonrpc_method(cm->msg),
	    client_id_text(cm->msg));
	client_write(c, out);
	if (cm->conn != NULL)
		client_conn_close(cm->conn);
	cmsg_free(cm);
	client_pump(c);
}

/* stdin ended: the streams the local client kept open end with it. */
void
client_passthru_eof(struct client *c)
{
	struct cmsg	*cm, *next;

	for (cm = TAILQ_FIRST(&c->msgs); cm != NULL; cm = next) {
		next = TAILQ_NEXT(cm, entry);
		if (!client_passthru_lasting(cm))
			continue;
		if (cm->conn != NULL)
			client_conn_close(cm->conn);
		cmsg_free(cm);
	}
}
