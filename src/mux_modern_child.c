/* SPDX-License-Identifier: ISC */
/*
 * mux_modern_child.c: the multiplexer at a child that speaks 2026-07-28:
 * 2026-07-28 clients passed through, legacy clients translated both ways
 * (input_required rounds as requests to the session, resources/subscribe
 * through the bridge's own subscriptions/listen).  The era probe and the
 * handshake are mux.c's; the state is in mux_int.h.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hmap.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "modern.h"
#include "mux.h"
#include "mux_int.h"
#include "tracectx.h"
#include "xmalloc.h"

/*
 * A child that answered the era probe with a DiscoverResult speaks
 * 2026-07-28 on its stdio: no initialize, the modern _meta on every
 * request, input_required results instead of requests to its client,
 * subscriptions/listen instead of unsolicited notifications.
 *
 * 2026-07-28 clients pass through: their requests go to the child as they
 * are but for the id and progress token, and the answer comes back as the
 * child gave it (its own input_required and requestState included: the
 * retry is a new request like any other).  A listen's acknowledgement,
 * notifications and final result carry the child-side id as their
 * subscriptionId; the bridge puts the client's back.  server/discover is
 * answered from the probe's result.
 *
 * Legacy clients are translated: initialize is answered from the
 * DiscoverResult, each request gets the modern _meta made of the session
 * (its capabilities, clientInfo and logging/setLevel), results lose
 * resultType.  An input_required result becomes requests to the session
 * (elicitation, sampling, roots), and their answers a retry to the child
 * with inputResponses and the requestState, for at most
 * MUX_TRANSLATE_ROUNDS rounds.  resources/subscribe and the list-changed
 * notifications go through one subscriptions/listen of the bridge's own,
 * opened anew with the URIs whenever the set changes.
 */

/* How many input_required rounds a legacy client's request may take. */
#define MUX_TRANSLATE_ROUNDS	8

void
mux_modern_child_passthrough(struct mux *m, struct mux_session *s,
    json_object *msg, uint64_t stream)
{
	struct mux_child	*c = s->child, *holder;
	json_object		*params = NULL, *state;
	const char		*method = jsonrpc_method(msg), *text, *sealed;

	if (strcmp(method, "server/discover") == 0) {
		mux_reply(m, s, stream, NULL, jsonrpc_result_new(
		    jsonrpc_id(msg), json_object_get(c->discover)));
		json_object_put(msg);
		return;
	}
	/* With --instance-id the child's requestState went out behind the
	 * instance's name, with a pool behind the child's number too (see
	 * mux_route_client_answer); it goes back without, to the child that
	 * made it (mux_modern_client_request moved s there). */
	if ((m->cfg.instance_id != NULL || m->npool > 1) &&
	    (state = jsonrpc_get(jsonrpc_params(msg), "requestState",
	    json_type_string)) != NULL) {
		text = sealed = json_object_get_string(state);
		if (m->cfg.instance_id != NULL && (sealed =
		    mux_modern_client_state_mine(m, s, msg, stream,
		    text)) == NULL)
			return;
		if (m->npool > 1 && ((sealed = mux_pool_state_child(m, sealed,
		    &holder)) == NULL || holder != c)) {
			mux_error(m, s, stream, NULL, jsonrpc_id(msg),
			    JSONRPC_INVALID_PARAMS, "Invalid params: "
			    "requestState names no server of this bridge");
			json_object_put(msg);
			return;
		}
		params = jsonrpc_copy_shallow(jsonrpc_params(msg), NULL);
		json_object_object_add(params, "requestState",
		    json_object_new_string_len(sealed,
		    json_object_get_string_len(state) - (int)(sealed - text)));
	}
	mux_forward(m, s, msg, stream, NULL,
	    strcmp(method, "subscriptions/listen") == 0 ? MUX_REQ_F_LISTEN : 0,
	    params);
}

/*
 * The bridge's own subscriptions/listen, for its legacy clients: what the
 * child can tell of (list changes, and the URIs someone subscribed to).
 * A new one replaces the old, which is cancelled.
 */
void
mux_modern_child_own_listen(struct mux *m, struct mux_child *c)
{
	struct mux_req	*req;
	struct mux_sub	*sub;
	json_object	*params, *meta, *uris;
	unsigned	 flags;
	size_t		 i;

	if (!c->modern || !c->up)
		return;
	if ((req = c->listen) != NULL) {
		mux_cancel_at_child(m, c, req, "replaced by a new subscription");
		mux_req_free(m, req);
	}
	flags = modern_listen_supported(jsonrpc_get(c->discover, "capabilities",
	    json_type_object));
	uris = json_object_new_array();
	i = 0;
	while ((sub = hmap_next(&c->subs, &i)) != NULL)
		json_object_array_add(uris, json_object_new_string(sub->uri));
	if (json_object_array_length(uris) == 0)
		flags &= ~MODERN_LISTEN_SUBSCRIBE;
	if (flags == 0) {
		json_object_put(uris);
		return;
	}
	meta = json_object_new_object();
	jsonrpc_add(meta, MODERN_META_VERSION,
	    json_object_new_string(MCP_VERSION_2026_07_28));
	jsonrpc_add(meta, MODERN_META_CAPS, mux_bridge_caps(m));
	jsonrpc_add(meta, MODERN_META_INFO, mux_bridge_info(m));
	params = json_object_new_object();
	jsonrpc_add(params, "notifications", modern_listen_filter(flags, uris));
	jsonrpc_add(params, "_meta", meta);
	json_object_put(uris);
	req = mux_req_new(m, c, MUX_REQ_OWN);
	req->flags = MUX_REQ_F_LISTEN;
	c->listen = req;
	mux_to_child(m, c, jsonrpc_request_new((int64_t)req->cid,
	    "subscriptions/listen", params));
}

/*
 * What a 2026-07-28 child's notification needs before the common path:
 * a listen's tag (the client's id back in, or the bridge's own taken out),
 * the end of a listen.  Returns the message for the common path, or NULL
 * when done with it (msg consumed either way).
 */
json_object *
mux_modern_child_notification(struct mux *m, struct mux_child *c,
    json_object *msg)
{
	struct mux_req	*req;
	json_object	*params = jsonrpc_params(msg), *tag, *out;
	const char	*method = jsonrpc_method(msg);
	uint64_t	 cid;

	/* Tagged or not: the cancel names the listen by its requestId. */
	if (strcmp(method, "notifications/cancelled") == 0) {
		/* The only one a 2026-07-28 server sends: a listen it ends. */
		cid = mux_get_bid(json_object_object_get(params, "requestId"));
		req = cid == 0 ? NULL : hmap_find(&m->reqs, hmap_mix(cid),
		    mux_req_match, &cid);
		if (req != NULL && req->child == c &&
		    (req->flags & MUX_REQ_F_LISTEN)) {
			if (req->kind == MUX_REQ_CLIENT)
				mux_req_finish(m, req,
				    modern_listen_end(req->id));
			else {
				log_info("server ended the bridge's "
				    "subscription");
				if (req == c->listen)
					c->listen_again = m->now +
					    MUX_LISTEN_AGAIN_MS;
				mux_req_free(m, req);
			}
		}
		json_object_put(msg);
		return NULL;
	}
	if ((tag = modern_subscription_id(params)) != NULL) {
		cid = mux_get_bid(tag);
		req = cid == 0 ? NULL : hmap_find(&m->reqs, hmap_mix(cid),
		    mux_req_match, &cid);
		if (req == NULL || req->child != c ||
		    !(req->flags & MUX_REQ_F_LISTEN)) {
			log_debug("%s for a subscription that is gone dropped",
			    method);
			json_object_put(msg);
			return NULL;
		}
		if (req->kind == MUX_REQ_CLIENT) {
			if (req->s != NULL)
				mux_to_session(m, req->s, req->stream, 0,
				    modern_listen_tag(msg, req->id));
			json_object_put(msg);
			return NULL;
		}
		/* The bridge's own: legacy clients get it untagged. */
		if (strcmp(method,
		    "notifications/subscriptions/acknowledged") == 0) {
			json_object_put(msg);
			return NULL;
		}
		out = modern_listen_untag(msg);
		json_object_put(msg);
		return out;
	}
	return msg;
}

/* A legacy session's request to a 2026-07-28 child.  0: handled (msg
 * consumed); -1: answered, msg left to the caller. */
int
mux_modern_child_translate_request(struct mux *m, struct mux_session *s,
    json_object *msg, uint64_t stream, struct mux_batch *b)
{
	struct mux_child	*c = s->child;
	struct mux_sub		*sub;
	struct mux_subref	*ref;
	json_object		*id = jsonrpc_id(msg), *params;
	const char		*method = jsonrpc_method(msg), *uri;
	int			 level, subscribe;

	if (strcmp(method, "ping") == 0) {
		/* 2026-07-28 has none: the bridge is who answers. */
		mux_reply(m, s, stream, b, jsonrpc_result_new(id, NULL));
		return -1;
	}
	if (strcmp(method, "logging/setLevel") == 0) {
		/* Kept here, sent as logLevel with each request. */
		level = mcpwire_level(jsonrpc_get_str(jsonrpc_params(msg),
		    "level"));
		if (level < 0) {
			mux_error(m, s, stream, b, id, JSONRPC_INVALID_PARAMS,
			    "Invalid log level");
			return -1;
		}
		if (s->level >= 0)
			c->nlevel[s->level]--;
		c->nlevel[level]++;
		s->level = level;
		mux_reply(m, s, stream, b, jsonrpc_result_new(id, NULL));
		return -1;
	}
	if ((subscribe = strcmp(method, "resources/subscribe") == 0) ||
	    strcmp(method, "resources/unsubscribe") == 0) {
		if (!(modern_listen_supported(jsonrpc_get(c->discover,
		    "capabilities", json_type_object)) &
		    MODERN_LISTEN_SUBSCRIBE)) {
			mux_error(m, s, stream, b, id, JSONRPC_METHOD_NOT_FOUND,
			    "Method not found: the server offers no resource "
			    "subscriptions");
			return -1;
		}
		if ((uri = jsonrpc_get_str(jsonrpc_params(msg),
		    "uri")) == NULL) {
			mux_error(m, s, stream, b, id, JSONRPC_INVALID_PARAMS,
			    "params.uri is required");
			return -1;
		}
		sub = mux_sub_find(c, uri);
		ref = sub != NULL ? mux_subref_find(sub, s) : NULL;
		if (subscribe && sub == NULL) {
			mux_subref_add(mux_sub_new(c, uri), s);
			mux_modern_child_own_listen(m, c);
		} else if (subscribe && ref == NULL)
			mux_subref_add(sub, s);
		else if (!subscribe && ref != NULL) {
			mux_subref_free(ref);
			if (sub->n == 0) {
				mux_sub_free(c, sub);
				mux_modern_child_own_listen(m, c);
			}
		}
		mux_reply(m, s, stream, b, jsonrpc_result_new(id, NULL));
		return -1;
	}
	if (strncmp(method, "tasks/", 6) == 0) {
		mux_error(m, s, stream, b, id, JSONRPC_METHOD_NOT_FOUND,
		    "Method not found: mcpbridge does not translate %s for a "
		    "2026-07-28 server", method);
		return -1;
	}
	params = modern_request_params(jsonrpc_params(msg), s->caps, s->info,
	    s->level >= 0 ? mcpwire_level_name(s->level) : NULL);
	mux_forward(m, s, msg, stream, b, MUX_REQ_F_TRANSLATE, params);
	return 0;
}

/* Asks the child again, with the answers gathered for the round. */
static void
mux_translate_retry(struct mux *m, struct mux_req *req)
{
	struct tracectx	 tc;
	json_object	*params, *msg;

	params = jsonrpc_copy_shallow(req->xr->params, NULL);
	json_object_object_add(params, "inputResponses", req->xr->resp);
	req->xr->resp = NULL;
	if (req->xr->state != NULL)
		json_object_object_add(params, "requestState", req->xr->state);
	req->xr->state = NULL;		/* moved into params */
	/* A retry is a new request: a new id (its progress token stays). */
	hmap_del(&m->reqs, hmap_mix(req->cid), req);
	req->cid = mux_next_id(m);
	hmap_add(&m->reqs, hmap_mix(req->cid), req);
	/* A round trip of its own (the span hook sees the client's id). */
	if (m->cfg.span_child != NULL && req->s != NULL) {
		msg = jsonrpc_request_new(0, req->xr->method,
		    json_object_get(params));
		json_object_object_add(msg, "id", jsonrpc_id_copy(req->id));
		if (m->cfg.span_child(m->cfg.span_arg, req->s, msg, req->cid,
		    &tc) == 0)
			params = mux_span_params(msg, params, &tc);
		json_object_put(msg);
	}
	mux_to_child(m, req->child, jsonrpc_request_new((int64_t)req->cid,
	    req->xr->method, params));
}

/* Fails a translated request with error (consumed). */
static void
mux_translate_fail(struct mux *m, struct mux_req *req, json_object *error)
{
	json_object	*id = req->id;

	req->id = NULL;		/* moved into the answer */
	mux_req_finish(m, req, mux_answer_new(id, "error", error));
}

static json_object *
mux_error_object(int code, const char *message)
{
	json_object	*e;

	e = json_object_new_object();
	jsonrpc_add(e, "code", json_object_new_int(code));
	jsonrpc_add(e, "message", json_object_new_string(message));
	return e;
}

/*
 * A question's params as a legacy client takes them (new reference): a
 * URL-mode elicitation has no elicitationId in 2026-07-28 (the
 * requestState correlates), but legacy clients need one.
 */
static json_object *
mux_legacy_question(struct mux_sreq *sr, json_object *params)
{
	const char	*mode = jsonrpc_get_str(params, "mode");
	char		*eid;

	if (mode == NULL || strcmp(mode, "url") != 0 ||
	    json_object_object_get_ex(params, "elicitationId", NULL))
		return json_object_get(params);
	params = jsonrpc_copy_shallow(params, NULL);
	xasprintf(&eid, "mcpbridge-%" PRIu64, sr->bid);
	jsonrpc_add(params, "elicitationId", json_object_new_string(eid));
	free(eid);
	return params;
}

/* input_required for a legacy client: its questions become requests. */
static void
mux_translate_input(struct mux *m, struct mux_req *req, json_object *result)
{
	struct mux_session	*s = req->s;
	struct mux_sreq		*sr;
	struct tracectx		 tc;
	json_object		*inputs, *missing = NULL, *params, *v, *state;
	json_object		*out;
	const char		*method, *cap;

	if (req->xr == NULL || s == NULL) {
		mux_translate_fail(m, req, mux_error_object(
		    JSONRPC_INTERNAL_ERROR, "The server asked for input on a "
		    "request that cannot take any"));
		return;
	}
	if (++req->xr->rounds > MUX_TRANSLATE_ROUNDS) {
		mux_translate_fail(m, req, mux_error_object(
		    JSONRPC_INTERNAL_ERROR, "The server asked for input too "
		    "many times"));
		return;
	}
	inputs = jsonrpc_get(result, "inputRequests", json_type_object);
	state = jsonrpc_get(result, "requestState", json_type_string);
	if (inputs == NULL && state == NULL) {
		mux_translate_fail(m, req, mux_error_object(
		    JSONRPC_INTERNAL_ERROR, "The server's input_required "
		    "result has neither inputRequests nor requestState"));
		return;
	}
	/* Every question must be one the session can answer. */
	if (inputs != NULL) {
		json_object_object_foreach(inputs, k, q) {
			(void)k;
			method = jsonrpc_get_str(q, "method");
			params = jsonrpc_get(q, "params", json_type_object);
			if (method == NULL || (cap =
			    mux_route_needed_cap(method)) == NULL || strcmp(cap,
			    "tasks") == 0) {
				json_object_put(missing);
				mux_translate_fail(m, req, mux_error_object(
				    JSONRPC_INTERNAL_ERROR, "The server asked "
				    "for input of an unknown kind"));
				return;
			}
			if (!mux_route_has_cap(s, cap, params)) {
				if (missing == NULL)
					missing = json_object_new_object();
				json_object_object_add(missing, cap,
				    json_object_new_object());
			}
		}
	}
	if (missing != NULL) {
		mux_translate_fail(m, req, modern_missing_capability(missing));
		return;
	}
	json_object_put(req->xr->resp);
	req->xr->resp = json_object_new_object();
	json_object_put(req->xr->state);
	req->xr->state = json_object_get(state);
	if (inputs != NULL) {
		json_object_object_foreach(inputs, k, q) {
			sr = xcalloc(1, sizeof *sr);
			sr->bid = mux_next_id(m);
			sr->child = req->child;
			sr->s = s;
			sr->xreq = req;
			sr->key = xstrdup(k);
			sr->stream = req->stream;
			hmap_add(&m->sreqs, hmap_mix(sr->bid), sr);
			TAILQ_INSERT_TAIL(&s->sreqs, sr, sentry);
			TAILQ_INSERT_TAIL(&req->xr->inputs, sr, rentry);
			if ((v = jsonrpc_get(q, "params", json_type_object)) !=
			    NULL)
				v = mux_legacy_question(sr, v);
			out = jsonrpc_request_new((int64_t)sr->bid,
			    jsonrpc_get_str(q, "method"), v);
			/* Asked for req: the span hook's parent. */
			if (m->cfg.span_server != NULL &&
			    m->cfg.span_server(m->cfg.span_arg, s, out,
			    sr->bid, req->id, &tc) == 0) {
				v = mux_span_params(out, NULL, &tc);
				json_object_put(out);
				out = jsonrpc_request_new((int64_t)sr->bid,
				    jsonrpc_get_str(q, "method"), v);
			}
			mux_to_session(m, s, sr->stream, 0, out);
		}
	}
	if (TAILQ_EMPTY(&req->xr->inputs))
		mux_translate_retry(m, req);
}

/* The child answered a legacy client's request. */
void
mux_modern_child_translate_answer(struct mux *m, struct mux_req *req,
    json_object *result, json_object *error)
{
	json_object	*id;
	const char	*type;

	if (req->xr != NULL && req->xr->resp != NULL) {
		/* The child answered this id already and the client is busy
		 * with its questions: the same answer again goes nowhere. */
		m->stats.dropped_responses++;
		log_debug("second answer to %" PRIu64 " dropped", req->cid);
		return;
	}
	if (error != NULL) {
		mux_translate_fail(m, req, json_object_get(error));
		return;
	}
	type = jsonrpc_get_str(result, "resultType");
	if (type != NULL && strcmp(type, "input_required") == 0) {
		mux_translate_input(m, req, result);
		return;
	}
	id = req->id;
	req->id = NULL;		/* moved into the answer */
	mux_req_finish(m, req, mux_answer_new(id, "result",
	    modern_legacy_result(result)));
}

/* A legacy session answered one of the questions of an input_required. */
enum mux_recv
mux_modern_child_translate_response(struct mux *m, struct mux_sreq *sr,
    json_object *msg)
{
	struct mux_req	*req = sr->xreq;
	json_object	*v;
	const char	*why;
	char		*text;

	if (json_object_object_get_ex(msg, "result", &v)) {
		json_object_object_add(req->xr->resp, sr->key,
		    json_object_get(v));
		mux_sreq_free(m, sr);
		if (TAILQ_EMPTY(&req->xr->inputs))
			mux_translate_retry(m, req);
	} else {
		/* An input response is a result; an error ends it all.  The
		 * question answered is done: only the others are cancelled. */
		v = json_object_object_get(msg, "error");
		why = jsonrpc_get_str(v, "message");
		xasprintf(&text, "The client refused the server's question: "
		    "%s", why != NULL ? why : "no message");
		mux_sreq_free(m, sr);
		mux_translate_fail(m, req, mux_error_object(
		    JSONRPC_INTERNAL_ERROR, text));
		free(text);
	}
	json_object_put(msg);
	return MUX_RECV_ACCEPTED;
}
