/* SPDX-License-Identifier: ISC */
/*
 * client_era.c: the era work.  Unless told, the first initialize is
 * preceded by a server/discover of ours (client_era_discover_begin); its
 * answer settles the era for the process.  In the 2026-07-28 era the bridge
 * answers initialize, ping and logging/setLevel itself (client_era_local),
 * sends each request with the modern _meta and an id of its own, turns an
 * input_required answer into requests to the local client and sends the
 * request again with their answers (a round), lists the tools again when
 * the server says the Mcp-Param-* headers do not match, and keeps one
 * subscriptions/listen stream for the server's own notifications.  Every
 * answer in that era, translated or passed through, goes through
 * client_era_answered.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client_int.h"
#include "client_modern.h"
#include "exitcodes.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "modern.h"
#include "xmalloc.h"

/* ---- the modern era ---- */

/* The code of a JSON-RPC error answer, or 0. */
static int
client_error_code(json_object *msg)
{
	json_object	*e, *code;

	if (!json_object_object_get_ex(msg, "error", &e) ||
	    !json_object_object_get_ex(e, "code", &code) ||
	    !json_object_is_type(code, json_type_int))
		return 0;
	return json_object_get_int(code);
}

/* Its conn no longer carries the request's answer. */
static void
cmsg_detach(struct cmsg *cm)
{
	struct conn	*conn = cm->conn;

	if (conn == NULL)
		return;
	cm->conn = NULL;
	conn->cm = NULL;
	/* A stream that has not ended is closed by its own end. */
	if (!conn->sse || conn->xfer == NULL)
		client_conn_close(conn);
}

/* Answers a local request with a result (taken) and frees it. */
static void
client_answer(struct client *c, struct cmsg *cm, json_object *result)
{
	if (!cm->internal && cm->kind == JSONRPC_REQUEST)
		client_write(c, jsonrpc_result_new(jsonrpc_id(cm->msg), result));
	else
		json_object_put(result);
	cmsg_free(cm);
}

/* A server/discover of ours goes out before this initialize. */
void
client_era_discover_begin(struct cmsg *init)
{
	struct client	*c = init->c;
	struct cmsg	*d;

	d = cmsg_new(c, jsonrpc_request_new(0, "server/discover", NULL),
	    JSONRPC_REQUEST, 1);
	d->is_discover = d->barrier = 1;
	d->peer = init;
	init->peer = d;
	init->probed = 1;
	TAILQ_INSERT_BEFORE(init, d, entry);
	log_debug("%s", c->era == ERA_MODERN ? "asking server/discover for "
	    "the initialize" : "probing the server's era with server/discover");
}

/* The answer to our server/discover: body (taken) may be NULL, status is
 * 200 for an answer on an event stream. */
void
client_era_discover_answered(struct cmsg *d, long status, json_object *body)
{
	struct client			*c = d->c;
	struct cmsg			*init = d->peer;
	enum client_modern_probe	 r;
	json_object			*result = NULL;
	char				*why = NULL;

	r = client_modern_probe(status, body, &why);
	if (r == CLIENT_MODERN_PROBE_RETRY &&
	    ++d->discover_tries >= CLIENT_DISCOVER_TRIES) {
		r = CLIENT_MODERN_PROBE_FAIL;
		why = xstrdup("the server keeps refusing the protocol version "
		    "it names as supported");
	}
	if (r == CLIENT_MODERN_PROBE_LEGACY && c->era == ERA_MODERN) {
		/* Settled already: the server now fails server/discover. */
		r = CLIENT_MODERN_PROBE_FAIL;
		xasprintf(&why, "server/discover failed (HTTP %ld)", status);
	}
	switch (r) {
	case CLIENT_MODERN_PROBE_RETRY:
		log_info("the server refused the protocol version but names "
		    "%s as supported; asking again", CLIENT_MODERN_VERSION);
		cmsg_detach(d);
		d->state = CMSG_QUEUED;
		break;
	case CLIENT_MODERN_PROBE_MODERN:
		if (c->era != ERA_MODERN)
			log_info("the server speaks MCP %s",
			    CLIENT_MODERN_VERSION);
		c->era = ERA_MODERN;
		c->transport = CLIENT_TRANSPORT_STREAMABLE;
		json_object_object_get_ex(body, "result", &result);
		json_object_put(c->server_caps);
		c->server_caps = NULL;
		json_object_object_get_ex(result, "capabilities", &c->server_caps);
		json_object_get(c->server_caps);
		cmsg_free(d);
		if (init != NULL && init->passthru)
			;	/* it goes out as it is next */
		else if (init != NULL)
			client_answer(c, init,
			    client_modern_init_result(result, init->msg));
		client_era_listen_update(c);
		break;
	case CLIENT_MODERN_PROBE_LEGACY:
		if (status == 0)
			log_info("the server does not speak MCP %s (no answer "
			    "to server/discover in %ldms); using initialize",
			    CLIENT_MODERN_VERSION, c->connect_timeout_ms);
		else
			log_info("the server does not speak MCP %s (HTTP %ld "
			    "to server/discover); using initialize",
			    CLIENT_MODERN_VERSION, status);
		c->era = ERA_LEGACY;
		cmsg_free(d);		/* the initialize goes next */
		break;
	case CLIENT_MODERN_PROBE_FAIL:
		cmsg_fail(d, EXIT_PROTOCOL, why, 0);	/* and the initialize */
		break;
	}
	json_object_put(body);
	free(why);
}

/* Tells the local client the questions it was asked for cm are moot. */
void
client_era_input_cancel(struct cmsg *cm, const char *reason)
{
	json_object	*params;

	json_object_object_foreach(cm->asked, id, key) {
		(void)key;
		params = json_object_new_object();
		json_object_object_add(params, "requestId",
		    json_object_new_string(id));
		json_object_object_add(params, "reason",
		    json_object_new_string(reason));
		client_write(cm->c, jsonrpc_notification_new(
		    "notifications/cancelled", params));
	}
}

/* Every question answered (or none asked): the request goes again, with
 * a new id, the answers and the server's requestState. */
static void
input_retry(struct cmsg *cm)
{
	struct client	*c = cm->c;

	cm->state = CMSG_QUEUED;
	cm->attempts = 0;
	/* The answers show the user is there: a fresh timeout. */
	if (cm->timeout != NULL)
		client_set_timer(cm->timeout, c->request_timeout_ms);
	client_pump(c);
}

/* An input_required result: its questions go to the local client. */
static void
input_round(struct cmsg *cm, json_object *result)
{
	struct client	*c = cm->c;
	json_object	*reqs = NULL, *state, *asks, *id, *m;
	char		*err = NULL, *ids;
	size_t		 i;

	cmsg_detach(cm);
	if (++cm->rounds > CLIENT_INPUT_ROUNDS) {
		xasprintf(&err, "the server asked for input more than %d "
		    "times", CLIENT_INPUT_ROUNDS);
		goto fail;
	}
	json_object_put(cm->wire);
	cm->wire = NULL;
	json_object_put(cm->req_state);
	cm->req_state = NULL;
	/* Kept as the server's own string: echoed exactly. */
	if (json_object_object_get_ex(result, "requestState", &state))
		cm->req_state = json_object_get(state);
	json_object_put(cm->responses);
	cm->responses = json_object_new_object();
	json_object_put(cm->asked);
	cm->asked = json_object_new_object();

	asks = json_object_new_array();
	json_object_object_get_ex(result, "inputRequests", &reqs);
	if (reqs != NULL) {
		json_object_object_foreach(reqs, key, req) {
			xasprintf(&ids, "mcpbridge-input-%" PRIu64,
			    ++c->next_input);
			id = json_object_new_string(ids);
			m = client_modern_input_request(req, id, &err);
			json_object_put(id);
			if (m == NULL) {
				free(ids);
				json_object_put(asks);
				json_object_put(cm->asked);
				cm->asked = NULL;
				goto fail;
			}
			json_object_object_add(cm->asked, ids,
			    json_object_new_string(key));
			json_object_array_add(asks, m);
			free(ids);
		}
	}
	if (c->in_eof && json_object_array_length(asks) > 0) {
		json_object_put(asks);
		json_object_put(cm->asked);
		cm->asked = NULL;
		err = xstrdup(CLIENT_INPUT_EOF);
		goto fail;
	}
	cm->state = CMSG_INPUT;
	log_debug("%s (id %s): the server asks %zu questions (round %d)",
	    jsonrpc_method(cm->msg), client_id_text(cm->msg),
	    json_object_array_length(asks), cm->rounds);
	if (json_object_array_length(asks) == 0) {
		json_object_put(asks);
		input_retry(cm);
		return;
	}
	for (i = 0; i < json_object_array_length(asks); i++)
		client_write(c, json_object_get(json_object_array_get_idx(asks,
		    i)));
	json_object_put(asks);
	return;
fail:
	cmsg_fail(cm, c->in_eof ? EXIT_TEMPFAIL : EXIT_PROTOCOL, err, 0);
	free(err);
}

/* stdin ended: the questions still out can never be answered, so their
 * requests fail now rather than at --request-timeout. */
void
client_era_input_eof(struct client *c)
{
	struct cmsg	*cm, *next;

	for (cm = TAILQ_FIRST(&c->msgs); cm != NULL; cm = next) {
		next = TAILQ_NEXT(cm, entry);
		if (cm->state == CMSG_INPUT && cm->asked != NULL &&
		    json_object_object_length(cm->asked) > 0)
			cmsg_fail(cm, EXIT_TEMPFAIL, CLIENT_INPUT_EOF, 0);
	}
}

/* The local client answered one of the questions (msg taken). */
void
client_era_input_answered(struct client *c, json_object *msg)
{
	struct cmsg	*cm;
	json_object	*id = jsonrpc_id(msg), *key = NULL, *v, *text;
	char		*k, *why;

	TAILQ_FOREACH(cm, &c->msgs, entry) {
		if (cm->state == CMSG_INPUT && cm->asked != NULL &&
		    json_object_is_type(id, json_type_string) &&
		    json_object_object_get_ex(cm->asked,
		    json_object_get_string(id), &key))
			break;
	}
	if (cm == NULL) {
		log_warnx("stdin: dropping an answer to id %s, which nobody "
		    "asked (or no longer waits for)", client_id_text(msg));
		json_object_put(msg);
		return;
	}
	k = xstrdup(json_object_get_string(key));
	json_object_object_del(cm->asked, json_object_get_string(id));
	if (json_object_object_get_ex(msg, "error", &v)) {
		if (!json_object_object_get_ex(v, "message", &text) ||
		    !json_object_is_type(text, json_type_string))
			text = NULL;
		xasprintf(&why, "the local client refused the server's "
		    "request for input: %.200s", text != NULL ?
		    json_object_get_string(text) : "no reason given");
		json_object_put(msg);
		free(k);
		cmsg_fail(cm, 0, why, 0);
		free(why);
		client_pump(c);
		return;
	}
	json_object_object_get_ex(msg, "result", &v);
	json_object_object_add(cm->responses, k, json_object_get(v));
	free(k);
	json_object_put(msg);
	if (json_object_object_length(cm->asked) == 0)
		input_retry(cm);
}

/* A tools/list of ours, for a tools/call the server said had the wrong
 * Mcp-Param-* headers: the revision asks to learn the tool again and
 * retry. */
static struct cmsg *
relist_begin(struct client *c, struct cmsg *call, const char *cursor)
{
	json_object	*params = NULL, *msg;
	struct cmsg	*r;
	char		*id;

	if (cursor != NULL) {
		params = json_object_new_object();
		json_object_object_add(params, "cursor",
		    json_object_new_string(cursor));
	}
	msg = jsonrpc_request_new(0, "tools/list", params);
	id = client_internal_id(c);
	json_object_object_add(msg, "id", json_object_new_string(id));
	free(id);
	r = cmsg_new(c, msg, JSONRPC_REQUEST, 1);
	r->is_relist = 1;
	r->peer = call;
	call->peer = r;
	TAILQ_INSERT_TAIL(&c->msgs, r, entry);
	return r;
}

/* One page of our tools/list done (result NULL: it failed): the next, or
 * the tools/call again. */
void
client_era_relist_next(struct cmsg *r, json_object *result)
{
	struct client	*c = r->c;
	struct cmsg	*call = r->peer, *n;
	json_object	*v;
	char		*cursor = NULL;
	int		 pages = r->rounds + 1;

	if (result != NULL && pages < CLIENT_RELIST_PAGES &&
	    json_object_object_get_ex(result, "nextCursor", &v) &&
	    json_object_is_type(v, json_type_string))
		cursor = xstrdup(json_object_get_string(v));
	cmsg_free(r);
	if (call == NULL) {
		free(cursor);
		return;
	}
	if (cursor != NULL) {
		n = relist_begin(c, call, cursor);
		n->rounds = pages;
		free(cursor);
		return;
	}
	call->state = CMSG_QUEUED;
	call->attempts = 0;
}

/*
 * The server's answer (taken) to a request sent in the modern era: a
 * translated one or ours (cm->wire), or a 2026-07-28 local client's
 * (cm->passthru), whose result goes back as it came, input_required and
 * all, with its subscriptionId put back.  Both get the tools/list filter,
 * the header-mismatch retry and the exit status of refused credentials.
 */
void
client_era_answered(struct cmsg *cm, json_object *msg)
{
	struct client	*c = cm->c;
	json_object	*result, *dropped, *out;
	const char	*method = jsonrpc_method(cm->msg);
	char		*err = NULL;
	size_t		 i;
	int		 kind;

	if (!json_object_object_get_ex(msg, "result", &result))
		result = NULL;
	if (result != NULL && !cm->passthru) {
		if ((kind = client_modern_result_kind(result, &err)) == -1) {
			json_object_put(msg);
			cmsg_fail(cm, EXIT_PROTOCOL, err, 0);
			free(err);
			return;
		}
		if (kind == 1 && (cm->internal ||
		    !modern_method_mrtr(method))) {
			json_object_put(msg);
			xasprintf(&err, "the server answered %s with "
			    "input_required, which it may not", method);
			cmsg_fail(cm, EXIT_PROTOCOL, err, 0);
			free(err);
			return;
		}
		if (kind == 1) {
			input_round(cm, result);
			json_object_put(msg);
			return;
		}
	}
	if (result != NULL && strcmp(method, "tools/list") == 0) {
		/* --allow-tool, --deny-tool: what the local client may not
		 * call, it does not list. */
		toolfilter_list(&c->cfg->tools, result);
		/* As the revision asks of HTTP clients; and the annotations
		 * give later calls their Mcp-Param-*. */
		dropped = mcpwire_filter_tools(result, c->tool_headers);
		for (i = 0; i < json_object_array_length(dropped); i++)
			log_warnx("tools/list: leaving out the tool %s",
			    json_object_get_string(
			    json_object_array_get_idx(dropped, i)));
		json_object_put(dropped);
	}
	if (cm->is_relist) {
		client_era_relist_next(cm, result);
		json_object_put(msg);
		return;
	}
	if (result == NULL &&
	    client_error_code(msg) == MCP_ERROR_HEADER_MISMATCH &&
	    strcmp(method, "tools/call") == 0 && !cm->relisted &&
	    !cm->internal) {
		/* Perhaps the tool changed, or the local client never
		 * listed it; the bridge derives the headers: it learns the
		 * tool, then tries once more. */
		log_info("%s (id %s): the server says the headers do not "
		    "match; listing the tools and trying again", method,
		    client_id_text(cm->msg));
		json_object_put(msg);
		cm->relisted = 1;
		cm->http_status = 0;
		cmsg_detach(cm);
		cm->state = CMSG_INPUT;
		relist_begin(c, cm, NULL);
		return;
	}
	/* The answer (or error) under the local client's id.  In 2026-07-28
	 * the HTTP status mirrors the error code (404 for -32601, say): the
	 * server's own error, which leaves the exit status alone, unless it
	 * refused the credentials. */
	if (cm->http_status == 401 || cm->http_status == 403)
		client_fail_status(c, EXIT_NOPERM);
	if (cm->passthru) {
		out = client_modern_retag(msg, jsonrpc_id(cm->wire),
		    jsonrpc_id(cm->msg));
		json_object_put(msg);
		msg = out;
	} else if (result != NULL)
		/* A legacy-shaped request gets a legacy-shaped answer, as
		 * from a legacy server: the shape does not follow the era. */
		json_object_object_add(msg, "result",
		    modern_legacy_result(result));
	json_object_object_add(msg, "id", jsonrpc_id_copy(jsonrpc_id(cm->msg)));
	if (cm->internal)
		json_object_put(msg);
	else
		client_write(c, msg);
	cmsg_free(cm);
}

/* What the local client sends that the bridge handles itself in the modern
 * era: 1 if cm was dealt with (and freed). */
int
client_era_local(struct cmsg *cm)
{
	struct client	*c = cm->c;
	const char	*method = jsonrpc_method(cm->msg);

	if (cm->kind == JSONRPC_RESPONSE) {
		log_warnx("dropping an answer from the local client to id %s: "
		    "the server asked nothing", client_id_text(cm->msg));
		cmsg_free(cm);
		return 1;
	}
	switch (client_modern_local(method, cm->kind == JSONRPC_REQUEST)) {
	case CLIENT_MODERN_SEND:
		return 0;
	case CLIENT_MODERN_SWALLOW:
		log_debug("not sending %s: MCP %s has no notifications from "
		    "the client over HTTP", method, CLIENT_MODERN_VERSION);
		cmsg_free(cm);
		return 1;
	case CLIENT_MODERN_ANSWER:
		if (strcmp(method, "logging/setLevel") == 0 &&
		    client_modern_log_level(cm->msg) == NULL) {
			if (!cm->internal)
				client_write(c, jsonrpc_error_new(
				    jsonrpc_id(cm->msg), JSONRPC_INVALID_PARAMS,
				    "Invalid params: unknown log level", NULL));
			cmsg_free(cm);
			return 1;
		}
		/* ping, and the level now goes with every request. */
		client_answer(c, cm, json_object_new_object());
		return 1;
	case CLIENT_MODERN_LISTEN:
		/* c->subs has it already; the stream asks for it.  A
		 * subscribe is answered once the server acknowledges. */
		if (strcmp(method, "resources/subscribe") == 0) {
			cm->waits_listen = 1;
			cm->state = CMSG_WAITING;
			client_era_listen_update(c);
		} else {
			client_era_listen_update(c);
			client_answer(c, cm, json_object_new_object());
		}
		return 1;
	}
	return 0;
}

/* ---- modern: the subscriptions/listen stream ---- */

/* What the stream should ask for: the list changes the server offers
 * (not for --oneshot pipelines) and the resources subscribed. */
static json_object *
listen_filter(struct client *c)
{
	static const struct {
		const char	*cap, *flag;
	} lists[] = {
		{ "tools", "toolsListChanged" },
		{ "prompts", "promptsListChanged" },
		{ "resources", "resourcesListChanged" },
	};
	json_object	*f, *cap, *v, *uris;
	size_t		 i;

	f = json_object_new_object();
	for (i = 0; i < sizeof lists / sizeof lists[0] && !c->cfg->oneshot;
	    i++) {
		if (json_object_object_get_ex(c->server_caps, lists[i].cap,
		    &cap) && json_object_object_get_ex(cap, "listChanged", &v) &&
		    json_object_get_boolean(v))
			json_object_object_add(f, lists[i].flag,
			    json_object_new_boolean(1));
	}
	if (c->nsubs > 0) {
		uris = json_object_new_array();
		for (i = 0; i < c->nsubs; i++)
			json_object_array_add(uris,
			    json_object_new_string(c->subs[i]));
		json_object_object_add(f, "resourceSubscriptions", uris);
	}
	return f;
}

/* The subscribes waiting for the stream: answered, or failed with why. */
static void
listen_settle(struct client *c, const char *why)
{
	struct cmsg	*cm, *next;

	for (cm = TAILQ_FIRST(&c->msgs); cm != NULL; cm = next) {
		next = TAILQ_NEXT(cm, entry);
		if (!cm->waits_listen)
			continue;
		if (why != NULL)
			cmsg_fail(cm, 0, why, 0);
		else
			client_answer(c, cm, json_object_new_object());
	}
}

void
client_era_listen_start(struct conn *conn)
{
	struct client	*c = conn->c;
	json_object	*params, *msg, *id;
	const char	*s;
	size_t		 len;
	char		*ids;

	params = json_object_new_object();
	json_object_object_add(params, "notifications",
	    json_object_get(c->listen_filter));
	msg = jsonrpc_request_new(0, "subscriptions/listen", params);
	ids = client_internal_id(c);
	id = json_object_new_string(ids);
	free(ids);
	json_object_put(conn->wire);
	conn->wire = client_modern_request(msg, id, c->init, NULL, NULL, NULL);
	json_object_put(id);
	json_object_put(msg);
	s = json_object_to_json_string_length(conn->wire,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	c->listen_acked = 0;
	trace_msg(c->trace, TRACE_SERVER_OUT, NULL, conn->wire);
	/* The body is copied; no timeout: it lives as long as we do. */
	client_conn_start(conn, "POST", c->url, s, len, 0);
}

/* Opens, reopens or closes the stream after what it should carry
 * changed. */
void
client_era_listen_update(struct client *c)
{
	json_object	*f;
	struct conn	*conn;
	int		 relisten;

	if (c->era != ERA_MODERN || c->closing || c->local == LOCAL_MODERN)
		return;		/* a modern local client listens itself */
	f = listen_filter(c);
	if (c->listen != NULL && c->listen_filter != NULL &&
	    json_object_equal(f, c->listen_filter)) {
		json_object_put(f);
		if (c->listen_acked)
			listen_settle(c, NULL);
		return;
	}
	/* Closing the stream ends the old subscription at the server.  One
	 * broken after its acknowledgement (waiting to reconnect, or not
	 * acknowledged again yet) has missed what the new one must tell. */
	relisten = c->listen != NULL && (c->listen->relisten ||
	    (c->listen->acked && c->listen->xfer == NULL));
	if (c->listen != NULL)
		client_conn_close(c->listen);
	json_object_put(c->listen_filter);
	c->listen_filter = f;
	if (c->listen_unsupported) {
		listen_settle(c, "the server does not offer "
		    "subscriptions/listen");
		return;
	}
	if (json_object_object_length(f) == 0) {
		listen_settle(c, NULL);
		return;
	}
	conn = client_conn_new(c, CONN_LISTEN);
	conn->relisten = relisten;
	c->listen = conn;
	client_era_listen_start(conn);
}

/* The server's tools changed: what their annotations said may be wrong
 * now (a call's -32020 lists them again). */
void
client_era_tools_changed(struct client *c)
{
	json_object_put(c->tool_headers);
	c->tool_headers = json_object_new_object();
}

/* The stream is back after a break: what changed meanwhile is lost, so
 * the local client hears that everything it listens to (filter; a
 * passed-through listen's notifications tagged with its id) may have. */
void
client_era_listen_missed(struct client *c, json_object *filter,
    json_object *tag)
{
	static const struct {
		const char	*flag, *method;
	} lists[] = {
		{ "toolsListChanged", "notifications/tools/list_changed" },
		{ "promptsListChanged", "notifications/prompts/list_changed" },
		{ "resourcesListChanged",
		    "notifications/resources/list_changed" },
	};
	json_object	*v, *uris, *params;
	size_t		 i, n;

	log_info("subscriptions/listen is back after a break; telling the "
	    "local client what may have changed");
	n = sizeof lists / sizeof lists[0];
	uris = NULL;
	json_object_object_get_ex(filter, "resourceSubscriptions", &uris);
	if (json_object_is_type(uris, json_type_array))
		n += json_object_array_length(uris);
	for (i = 0; i < n; i++) {
		params = NULL;
		if (i < sizeof lists / sizeof lists[0]) {
			if (!json_object_object_get_ex(filter, lists[i].flag,
			    &v) || !json_object_get_boolean(v))
				continue;
		} else {
			params = json_object_new_object();
			json_object_object_add(params, "uri", json_object_get(
			    json_object_array_get_idx(uris,
			    i - sizeof lists / sizeof lists[0])));
		}
		/* A passed-through listen tags what it carries. */
		if (tag != NULL) {
			if (params == NULL)
				params = json_object_new_object();
			v = json_object_new_object();
			json_object_object_add(v, MODERN_META_SUBSCRIPTION,
			    jsonrpc_id_copy(tag));
			json_object_object_add(params, "_meta", v);
		}
		client_write(c, jsonrpc_notification_new(
		    i < sizeof lists / sizeof lists[0] ? lists[i].method :
		    "notifications/resources/updated", params));
	}
}

/* The server refused the stream with a JSON-RPC error on it: the
 * subscribes waiting for it fail with the server's reason, and their
 * resources leave the filter (the local client was told they are not
 * subscribed); the rest is asked for again. */
static void
listen_refused(struct client *c, json_object *msg)
{
	struct cmsg	*cm, *next;
	json_object	*e, *text = NULL;
	char		*why;
	int		 refused = 0;

	if (json_object_object_get_ex(msg, "error", &e) &&
	    json_object_object_get_ex(e, "message", &text) &&
	    !json_object_is_type(text, json_type_string))
		text = NULL;
	xasprintf(&why, "the server refused subscriptions/listen: %.200s",
	    text != NULL ? json_object_get_string(text) : "no reason given");
	log_warnx("%s", why);
	for (cm = TAILQ_FIRST(&c->msgs); cm != NULL; cm = next) {
		next = TAILQ_NEXT(cm, entry);
		if (!cm->waits_listen)
			continue;
		client_subscriptions(c, cm->msg, 0);
		cmsg_fail(cm, 0, why, 0);
		refused = 1;
	}
	free(why);
	if (refused)
		client_era_listen_update(c);	/* closes this stream */
}

/* A message on the stream: the acknowledgement, a notification for the
 * local client (without the subscription's tag), or the server's
 * graceful end of it (or its refusal). */
void
client_era_listen_message(struct conn *conn, json_object *msg)
{
	struct client	*c = conn->c;
	json_object	*params, *meta;
	const char	*method;

	switch (jsonrpc_classify(msg)) {
	case JSONRPC_RESPONSE:
		if (json_object_object_get_ex(msg, "error", NULL)) {
			listen_refused(c, msg);
			break;
		}
		log_info("the server ended the subscriptions/listen stream");
		break;
	case JSONRPC_NOTIFICATION:
		method = jsonrpc_method(msg);
		if (strcmp(method, "notifications/cancelled") == 0) {
			/* The server's teardown of our listen, by our id: the
			 * local client never sent it. */
			log_info("the server ended the subscriptions/listen "
			    "stream");
			break;
		}
		if (strcmp(method, "notifications/subscriptions/acknowledged")
		    == 0) {
			log_debug("subscriptions/listen acknowledged");
			c->listen_acked = conn->acked = 1;
			conn->failures = 0;
			if (conn->relisten) {
				conn->relisten = 0;
				client_era_listen_missed(c, c->listen_filter,
				    NULL);
			}
			listen_settle(c, NULL);
			break;
		}
		if (strcmp(method, "notifications/tools/list_changed") == 0)
			client_era_tools_changed(c);
		params = jsonrpc_params(msg);
		if (params != NULL && json_object_object_get_ex(params,
		    "_meta", &meta) && json_object_is_type(meta,
		    json_type_object)) {
			json_object_object_del(meta, MODERN_META_SUBSCRIPTION);
			if (json_object_object_length(meta) == 0)
				json_object_object_del(params, "_meta");
		}
		client_write(c, msg);
		return;
	default:
		log_warnx("dropping a message on the subscriptions/listen "
		    "stream that is no notification");
		break;
	}
	json_object_put(msg);
}

void
client_era_listen_done(struct conn *conn, struct curl_event_xfer *x, int result,
    const char *error)
{
	struct client	*c = conn->c;
	long		 status = c->http->status(x);
	json_object	*msg, *e, *text;
	char		*why;

	conn->xfer = NULL;
	if (c->closing) {
		client_conn_close(conn);
		return;
	}
	if (status == 401 && client_session_auth_challenge(c, x, status,
	    conn->auth_gen, &c->stream_auth_tries)) {
		/* Opened again after the sign-in. */
		client_conn_close(conn);
		return;
	}
	if (status == 0 && client_stream_lost(conn, result, error))
		return;
	if (conn->sse || status == 0 || status >= 500 || status == 429) {
		if (status == 0)
			log_debug("subscriptions/listen: %s", error);
		c->listen_acked = 0;
		client_conn_reconnect_later(conn, x);
		return;
	}
	/* Refused (or answered at once): the server offers no stream. */
	msg = client_parse_body(c, c->http->body(x));
	text = NULL;
	if (msg != NULL && json_object_object_get_ex(msg, "error", &e))
		json_object_object_get_ex(e, "message", &text);
	xasprintf(&why, "the server refused subscriptions/listen (HTTP %ld%s%s)",
	    status, text != NULL ? ": " : "", text != NULL ?
	    json_object_get_string(text) : "");
	log_warnx("%s; no list changes or resource updates", why);
	c->listen_unsupported = 1;
	client_conn_close(conn);
	listen_settle(c, why);
	json_object_put(msg);
	free(why);
}
