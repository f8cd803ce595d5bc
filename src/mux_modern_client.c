/* SPDX-License-Identifier: ISC */
/*
 * mux_modern_client.c: 2026-07-28 clients of the multiplexer, each request
 * a stateless session of its own: the child's questions gathered into an
 * input_required result, the parked request and its resumption by
 * requestState, the log level and subscriptions/listen a request carries.
 * mux_modern_child.c pairs clients with a 2026-07-28 child; the state is in
 * mux_int.h.
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
 * A 2026-07-28 request has a stateless session of its own for as long as
 * its HTTP request lives, and closing it cancels what is in flight.  Its
 * answer is the child's, decorated the way the revision wants results.
 * When the child asks its client something (sampling, elicitation,
 * roots) the question is held a moment (more usually follow), then the
 * HTTP request is answered with input_required: the questions, keyed, and
 * a requestState naming the child's pending request.  That request is
 * parked, answering to nobody, until the client retries with the state
 * and its answers, under a new id and a new session, or until it expires.
 */

/* How long the bridge gathers a child's questions before asking. */
#define MUX_INPUT_GATHER_MS	20

/* Takes a request out of m->gathering or m->parked. */
static void
mux_mreq_unlist(struct mux *m, struct mux_req *req)
{
	struct mux_mreq	*mr = req->mr;

	if (mr->gather != 0)
		TAILQ_REMOVE(&m->gathering, req, wentry);
	else if (mr->expires != 0)
		TAILQ_REMOVE(&m->parked, req, wentry);
	mr->gather = mr->expires = 0;
}

/* req's questions will not be answered; with tell the child hears so. */
void
mux_modern_client_inputs_fail(struct mux *m, struct mux_req *req, int tell,
    const char *why)
{
	struct mux_sreq	*sr;

	while ((sr = TAILQ_FIRST(&req->mr->inputs)) != NULL) {
		if (tell && sr->child->up)
			mux_to_child(m, sr->child, jsonrpc_error_new(sr->cid,
			    JSONRPC_INTERNAL_ERROR, why, NULL));
		mux_sreq_free(m, sr);
	}
}

static void
mux_mreq_free(struct mux_mreq *mr)
{
	free(mr->method);
	free(mr->name);
	json_object_put(mr->caps);
	json_object_put(mr->supplied);
	json_object_put(mr->missing);
	json_object_put(mr->late);
	free(mr);
}

void
mux_modern_client_mreq_free(struct mux *m, struct mux_req *req)
{
	mux_mreq_unlist(m, req);
	mux_modern_client_inputs_fail(m, req, 0, NULL);
	mux_mreq_free(req->mr);
	req->mr = NULL;
}

/* Adds params.inputResponses to what the client supplied. */
static void
mux_mreq_supply(struct mux_mreq *mr, json_object *params)
{
	json_object	*r;

	if ((r = jsonrpc_get(params, "inputResponses",
	    json_type_object)) == NULL)
		return;
	json_object_object_foreach(r, k, v)
		json_object_object_add(mr->supplied, k, json_object_get(v));
}

/* Answers the child's question sr with what the client supplied, if it did. */
static int
mux_input_supplied(struct mux *m, struct mux_sreq *sr)
{
	struct mux_mreq	*mr = sr->req->mr;
	json_object	*v;

	if ((v = jsonrpc_get(mr->supplied, sr->key, json_type_object)) == NULL)
		return 0;
	mux_to_child(m, sr->child, mux_answer_new(jsonrpc_id_copy(sr->cid),
	    "result", json_object_get(v)));
	/* Used once: a question asked again is asked of the client again. */
	json_object_object_del(mr->supplied, sr->key);
	mux_sreq_free(m, sr);
	return 1;
}

/* Start (or keep) gathering req's questions. */
static void
mux_input_gather(struct mux *m, struct mux_req *req)
{
	struct mux_mreq	*mr = req->mr;

	if (mr->gather != 0 || mr->expires != 0)
		return;
	mr->gather = m->now + MUX_INPUT_GATHER_MS;
	TAILQ_INSERT_TAIL(&m->gathering, req, wentry);
}

/* The child asks req's client something. */
void
mux_modern_client_input(struct mux *m, struct mux_child *c, struct mux_req *req,
    json_object *msg)
{
	struct mux_mreq	*mr = req->mr;
	struct mux_sreq	*sr, *o;
	json_object	*id = jsonrpc_id(msg), *params = jsonrpc_params(msg);
	json_object	*data;
	const char	*method = jsonrpc_method(msg), *cap;
	char		*key, *text;

	cap = mux_route_needed_cap(method);
	if (!modern_method_mrtr(mr->method) || cap == NULL ||
	    strcmp(cap, "tasks") == 0) {
		xasprintf(&text, "mcpbridge cannot ask a 2026-07-28 client "
		    "%s while it waits for %s", method, mr->method);
		goto refuse;
	}
	if (!mux_route_caps_have(mr->caps, cap, params)) {
		/* The client learns what it lacked if the request fails. */
		if (mr->missing == NULL)
			mr->missing = json_object_new_object();
		data = json_object_new_object();
		if (strcmp(cap, "elicitation") == 0 &&
		    jsonrpc_get_str(params, "mode") != NULL &&
		    strcmp(jsonrpc_get_str(params, "mode"), "url") == 0)
			jsonrpc_add(data, "url", json_object_new_object());
		json_object_object_add(mr->missing, cap, data);
		log_debug("%s for a 2026-07-28 client without %s refused",
		    method, cap);
		data = json_object_new_object();
		json_object_object_add(data, "requiredCapabilities",
		    json_object_get(mr->missing));
		xasprintf(&text, "The client did not declare the %s "
		    "capability", cap);
		mux_to_child(m, c, jsonrpc_error_new(id,
		    MCP_ERROR_MISSING_CAPABILITY, text, data));
		free(text);
		json_object_put(msg);
		return;
	}

	key = modern_input_key(msg);
	TAILQ_FOREACH(o, &mr->inputs, rentry) {
		if (strcmp(o->key, key) == 0)
			break;
	}
	sr = xcalloc(1, sizeof *sr);
	sr->bid = mux_next_id(m);
	if (o != NULL) {
		/* Keys are unique within a result. */
		free(key);
		xasprintf(&key, "%s-%" PRIu64, o->key, sr->bid);
	}
	sr->child = c;
	sr->req = req;
	sr->cid = jsonrpc_id_copy(id);
	sr->cidh = jsonrpc_id_hash(id);
	sr->key = key;
	sr->ask = modern_input_request(msg);
	hmap_add(&m->sreqs, hmap_mix(sr->bid), sr);
	hmap_add(&c->sreqs, sr->cidh, sr);
	TAILQ_INSERT_TAIL(&mr->inputs, sr, rentry);
	json_object_put(msg);

	if (!mux_input_supplied(m, sr))
		mux_input_gather(m, req);
	return;

refuse:
	m->stats.server_requests_refused++;
	log_info("%s", text);
	mux_to_child(m, c, jsonrpc_error_new(id, JSONRPC_INTERNAL_ERROR, text,
	    NULL));
	free(text);
	json_object_put(msg);
}

/* Gathered: the client gets the questions, the request is parked. */
static void
mux_modern_ask(struct mux *m, struct mux_req *req)
{
	struct mux_mreq		*mr = req->mr;
	struct mux_session	*s = req->s;
	struct mux_sreq		*sr;
	struct modern_state	 st;
	json_object		*inputs, *result, *answer;
	uint64_t		 stream = req->stream;
	char			*sealed, *state;

	mux_mreq_unlist(m, req);
	if (TAILQ_EMPTY(&mr->inputs) || s == NULL)
		return;
	inputs = json_object_new_object();
	TAILQ_FOREACH(sr, &mr->inputs, rentry)
		json_object_object_add(inputs, sr->key,
		    json_object_get(sr->ask));

	mr->round++;
	mr->parked = m->now;
	mr->expires = m->now + m->cfg.input_timeout_ms;
	st.cid = req->cid;
	st.round = mr->round;
	st.expires = mr->expires;
	st.principal = mr->principal;
	sealed = modern_state_seal(m->key, &st, mr->method, mr->name);
	if (m->cfg.instance_id != NULL)
		xasprintf(&state, "%s.%s", m->cfg.instance_id, sealed);
	else
		state = xstrdup(sealed);
	free(sealed);

	result = json_object_new_object();
	jsonrpc_add(result, "resultType",
	    json_object_new_string("input_required"));
	jsonrpc_add(result, "inputRequests", inputs);
	jsonrpc_add(result, "requestState", json_object_new_string(state));
	free(state);
	answer = jsonrpc_result_new(req->id, modern_result(mr->method, result,
	    jsonrpc_get(req->child->info, "serverInfo", json_type_object)));
	json_object_put(result);

	mux_req_detach(m, req);
	TAILQ_INSERT_TAIL(&m->parked, req, wentry);
	mux_to_session(m, s, stream, 1, answer);
}

/* The child answered a 2026-07-28 request. */
void
mux_modern_client_answer(struct mux *m, struct mux_req *req,
    json_object *result, json_object *error)
{
	struct mux_mreq	*mr = req->mr;
	json_object	*answer, *e, *id;

	/* The child is done: nobody will answer its questions now. */
	mux_modern_client_inputs_fail(m, req, 0, NULL);
	if (mr->expires != 0) {
		/* Parked: the retry gets it.  The child is done with it: it
		 * holds back no other session's turn now. */
		if (mr->late == NULL) {
			mr->late = json_object_new_object();
			if (error != NULL)
				jsonrpc_add(mr->late, "error",
				    json_object_get(error));
			else
				jsonrpc_add(mr->late, "result",
				    json_object_get(result));
			mux_sched_kick(m, req->child);
		}
		return;
	}
	id = req->id;
	req->id = NULL;		/* moved into the answer */
	if (error != NULL) {
		e = mr->missing != NULL ?
		    modern_missing_capability(json_object_get(mr->missing)) :
		    modern_error(mr->method, error);
		answer = mux_answer_new(id, "error", e);
	} else
		answer = mux_answer_new(id, "result", modern_result(mr->method,
		    result, jsonrpc_get(req->child->info, "serverInfo",
		    json_type_object)));
	mux_req_finish(m, req, answer);
}

/* A request's logLevel: the child logs at the most verbose asked for. */
static void
mux_modern_level(struct mux *m, struct mux_session *s, int level)
{
	struct mux_child	*c = s->child;
	json_object		*params;
	int			 effective;

	if (level < 0 || s->level >= 0)
		return;
	c->nlevel[level]++;
	s->level = level;
	effective = mux_effective_level(c);
	/* A 2026-07-28 child takes the level with each request. */
	if (c->modern || effective == c->level ||
	    jsonrpc_get(jsonrpc_get(c->info, "capabilities", json_type_object),
	    "logging", json_type_object) == NULL)
		return;
	c->level = effective;
	params = json_object_new_object();
	jsonrpc_add(params, "level",
	    json_object_new_string(mcpwire_level_name(effective)));
	mux_own_request(m, c, "logging/setLevel", params, MUX_REQ_F_SETLEVEL);
}

static struct mux_mreq *
mux_mreq_new(struct mux_session *s, const char *method, json_object *params)
{
	struct mux_mreq	*mr;
	const char	*name;

	mr = xcalloc(1, sizeof *mr);
	mr->method = xstrdup(method);
	if ((name = modern_request_name(method, params)) != NULL)
		mr->name = xstrdup(name);
	mr->caps = json_object_get(s->caps);
	mr->supplied = json_object_new_object();
	mux_mreq_supply(mr, params);
	mr->principal = s->principal;
	TAILQ_INIT(&mr->inputs);
	return mr;
}

/*
 * The sealed part of a requestState this instance made, or NULL if it
 * names another instance (*owner: that name, *len its length; base64url
 * has no dot, so a dot always ends an instance name).
 */
static const char *
mux_state_own(const struct mux *m, const char *text, const char **owner,
    size_t *len)
{
	const char	*id = m->cfg.instance_id, *dot;
	size_t		 n;

	dot = strchr(text, '.');
	n = dot != NULL ? (size_t)(dot - text) : 0;
	if (id == NULL ? dot == NULL :
	    dot != NULL && strlen(id) == n && strncmp(text, id, n) == 0)
		return dot != NULL ? dot + 1 : text;
	*owner = dot != NULL ? text : "";
	*len = n;
	return NULL;
}

/*
 * The sealed part of msg's requestState text, or NULL when it names
 * another instance: then msg is answered with an error and consumed.
 */
const char *
mux_modern_client_state_mine(struct mux *m, struct mux_session *s,
    json_object *msg, uint64_t stream, const char *text)
{
	const char	*sealed, *owner;
	size_t		 len;

	if ((sealed = mux_state_own(m, text, &owner, &len)) != NULL)
		return sealed;
	/* Another instance's child holds that request: say so, for whoever
	 * set up the load balancer. */
	if (len > 0)
		mux_error(m, s, stream, NULL, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid params: requestState "
		    "belongs to instance %.*s; the retry must reach that "
		    "instance", (int)len, owner);
	else
		mux_error(m, s, stream, NULL, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid params: requestState "
		    "was not made by this instance");
	json_object_put(msg);
	return NULL;
}

/*
 * With a pool (--children), a retry goes to the child that holds the
 * call.  A requestState the bridge sealed names its parked request by its
 * id towards the child (one space for all children), and the request
 * knows its child; a 2026-07-28 child's own state has the child's number
 * in front (mux_pool_state_child).  s is fresh (a stateless session has
 * one request), so it moves there before anything of it is counted.  A
 * state that does not check out leaves s where it is, for
 * mux_modern_resume or the child to refuse.
 */
static void
mux_modern_follow(struct mux *m, struct mux_session *s, json_object *msg,
    const char *text)
{
	struct modern_state	 st;
	struct mux_child	*c;
	struct mux_req		*req;
	const char		*sealed, *owner, *method = jsonrpc_method(msg);
	size_t			 len;

	sealed = mux_state_own(m, text, &owner, &len);
	if (sealed != NULL && modern_state_open(m->key, sealed, method,
	    modern_request_name(method, jsonrpc_params(msg)), &st) == 0) {
		req = hmap_find(&m->reqs, hmap_mix(st.cid), mux_req_match,
		    &st.cid);
		if (st.principal == s->principal && req != NULL &&
		    req->mr != NULL && req->s == NULL)
			mux_pool_move(m, s, req->child);
		return;
	}
	if (m->cfg.instance_id == NULL)
		sealed = text;
	if (sealed != NULL && mux_pool_state_child(m, sealed, &c) != NULL &&
	    c->modern)
		mux_pool_move(m, s, c);
}

/* A retry with a requestState takes the parked request over. */
static void
mux_modern_resume(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, const char *text)
{
	struct mux_req		*req = NULL;
	struct mux_mreq		*mr;
	struct mux_sreq		*sr, *next;
	struct mux_prog		*p;
	struct modern_state	 st;
	struct tracectx		 tc;
	json_object		*params = jsonrpc_params(msg), *token, *late;
	json_object		*result, *error;
	const char		*method = jsonrpc_method(msg), *sealed;
	int			 opened;

	if ((sealed = mux_modern_client_state_mine(m, s, msg, stream,
	    text)) == NULL)
		return;
	opened = modern_state_open(m->key, sealed, method,
	    modern_request_name(method, params), &st) == 0 &&
	    st.principal == s->principal;
	if (opened)
		req = hmap_find(&m->reqs, hmap_mix(st.cid), mux_req_match,
		    &st.cid);
	/* A state that is ours and whole but whose request is no more:
	 * answered with an earlier retry, or failed with its child (a
	 * restart fails what it held).  Not "altered": the client is to
	 * call again, not to suspect its state. */
	if (opened && m->now < st.expires && req == NULL) {
		mux_error(m, s, stream, NULL, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid params: requestState's "
		    "request is over (answered already, or its server "
		    "stopped); call the tool again");
		json_object_put(msg);
		return;
	}
	if (req == NULL || req->mr == NULL || req->s != NULL ||
	    req->child != s->child || req->mr->expires == 0 ||
	    req->mr->round != st.round || req->mr->expires != st.expires ||
	    m->now >= st.expires) {
		mux_error(m, s, stream, NULL, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid params: requestState is "
		    "not valid (altered, expired or used already)");
		json_object_put(msg);
		return;
	}
	mr = req->mr;
	mux_mreq_unlist(m, req);
	mux_req_attach(m, req, s, jsonrpc_id(msg), stream);
	m->stats.requests++;
	req->child->requests++;
	json_object_put(mr->caps);
	mr->caps = json_object_get(s->caps);
	mux_mreq_supply(mr, params);
	/* The child knows the request's progress token as its cid. */
	if ((token = jsonrpc_progress_token(msg)) != NULL) {
		p = xcalloc(1, sizeof *p);
		p->token = req->cid;
		p->s = s;
		p->orig = jsonrpc_id_copy(token);
		p->req = req;
		req->prog = p;
		hmap_add(&m->progs, hmap_mix(p->token), p);
	}
	/* This round is a round trip of its own; the answers go to the
	 * child as they came, so the context goes nowhere. */
	if (m->cfg.span_child != NULL)
		(void)m->cfg.span_child(m->cfg.span_arg, s, msg, req->cid, &tc);
	json_object_put(msg);

	if ((late = mr->late) != NULL) {
		mr->late = NULL;
		result = json_object_object_get(late, "result");
		error = json_object_object_get(late, "error");
		mux_modern_client_answer(m, req, error == NULL ? result : NULL,
		    error);
		json_object_put(late);
		return;
	}
	for (sr = TAILQ_FIRST(&mr->inputs); sr != NULL; sr = next) {
		next = TAILQ_NEXT(sr, rentry);
		mux_input_supplied(m, sr);
	}
	/* What it did not answer is asked again. */
	if (!TAILQ_EMPTY(&mr->inputs))
		mux_input_gather(m, req);
}

static void
mux_modern_listen(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream)
{
	struct mux_child	*c = s->child;
	struct mux_sub		*sub;
	json_object		*uris, *params;
	const char		*why, *uri;
	unsigned		 flags;
	size_t			 i, n;

	/* One listen a session (HTTP sends one request a session anyway):
	 * a second would take the first one's place and leave it without
	 * its final answer. */
	if (s->listening) {
		mux_error(m, s, stream, NULL, jsonrpc_id(msg),
		    JSONRPC_INVALID_REQUEST, "Invalid Request: this session "
		    "listens already");
		json_object_put(msg);
		return;
	}
	if (modern_listen_parse(jsonrpc_params(msg), &flags, &uris,
	    &why) == -1) {
		mux_error(m, s, stream, NULL, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "%s", why);
		json_object_put(msg);
		return;
	}
	/* The subset the child can honour. */
	flags &= modern_listen_supported(jsonrpc_get(c->info, "capabilities",
	    json_type_object));
	if (!(flags & MODERN_LISTEN_SUBSCRIBE))
		uris = NULL;
	n = uris != NULL ? json_object_array_length(uris) : 0;
	for (i = 0; i < n; i++) {
		uri = json_object_get_string(json_object_array_get_idx(uris,
		    i));
		/* The child sees the first subscriber and the last one. */
		if ((sub = mux_sub_find(c, uri)) == NULL) {
			mux_subref_add(mux_sub_new(c, uri), s);
			params = json_object_new_object();
			jsonrpc_add(params, "uri", json_object_new_string(uri));
			mux_own_request(m, c, "resources/subscribe", params, 0);
		} else if (mux_subref_find(sub, s) == NULL)
			mux_subref_add(sub, s);
	}
	s->listening = 1;
	/* One that ended before left its id behind. */
	json_object_put(s->listen_id);
	s->listen_id = jsonrpc_id_copy(jsonrpc_id(msg));
	s->listen_stream = stream;
	s->listen_flags = flags;
	/* The acknowledgement comes first; no final until it ends. */
	mux_to_session(m, s, stream, 0, modern_listen_ack(s->listen_id, flags,
	    uris));
	json_object_put(msg);
}

void
mux_modern_client_request(struct mux *m, struct mux_session *s,
    json_object *msg, uint64_t stream)
{
	struct mux_child	*c = s->child;
	struct mux_mreq		*mr;
	struct mux_req		*req;
	json_object		*id = jsonrpc_id(msg), *params, *meta, *err, *v;
	const char		*method = jsonrpc_method(msg), *why, *state;

	params = jsonrpc_params(msg);
	if (m->npool > 1 && (state = jsonrpc_get_str(params,
	    "requestState")) != NULL) {
		mux_modern_follow(m, s, msg, state);
		c = s->child;
	}
	if (c == NULL || !c->ready) {
		mux_error(m, s, stream, NULL, id, JSONRPC_SERVER_ERROR,
		    "Server not available%s", c == NULL ? ": 2026-07-28 "
		    "requests need a shared server (--isolation=shared)" :
		    c->failed != NULL ? ": it failed to start" : "");
		goto done;
	}
	/* HTTP checked this already; other transports may not have. */
	if ((err = modern_check_meta(msg)) != NULL) {
		mux_reply(m, s, stream, NULL, mux_answer_new(
		    jsonrpc_id_copy(id), "error", err));
		goto done;
	}
	if (hmap_find(&s->ids, jsonrpc_id_hash(id), mux_req_id_match, id) !=
	    NULL) {
		mux_error(m, s, stream, NULL, id, JSONRPC_INVALID_REQUEST,
		    "Request id is already in use by a request in flight");
		goto done;
	}
	meta = jsonrpc_get(params, "_meta", json_type_object);
	if ((v = jsonrpc_get(meta, MODERN_META_CAPS,
	    json_type_object)) != NULL) {
		json_object_put(s->caps);
		s->caps = json_object_get(v);
	}
	if ((v = jsonrpc_get(meta, MODERN_META_INFO,
	    json_type_object)) != NULL) {
		json_object_put(s->info);
		s->info = json_object_get(v);
	}
	if (c->modern) {
		mux_modern_level(m, s, mcpwire_level(jsonrpc_get_str(meta,
		    MODERN_META_LOGLEVEL)));
		mux_modern_child_passthrough(m, s, msg, stream);
		return;
	}

	switch (modern_method(method)) {
	case MODERN_REMOVED:
		mux_error(m, s, stream, NULL, id, JSONRPC_METHOD_NOT_FOUND,
		    "Method not found: %s", method);
		goto done;
	case MODERN_DISCOVER:
		mux_reply(m, s, stream, NULL, jsonrpc_result_new(id,
		    modern_discover(c->info)));
		goto done;
	case MODERN_LISTEN:
		mux_modern_listen(m, s, msg, stream);
		return;
	case MODERN_FORWARD:
		break;
	}

	if (modern_input_responses_ok(params, &why) == -1) {
		mux_error(m, s, stream, NULL, id, JSONRPC_INVALID_PARAMS, "%s",
		    why);
		goto done;
	}
	state = jsonrpc_get_str(params, "requestState");
	if ((state != NULL || jsonrpc_get(params, "inputResponses",
	    json_type_object) != NULL) && !modern_method_mrtr(method)) {
		mux_error(m, s, stream, NULL, id, JSONRPC_INVALID_PARAMS,
		    "Invalid params: %s takes no inputResponses or "
		    "requestState", method);
		goto done;
	}
	mux_modern_level(m, s, mcpwire_level(jsonrpc_get_str(meta,
	    MODERN_META_LOGLEVEL)));
	if (state != NULL) {
		mux_modern_resume(m, s, msg, stream, state);
		return;
	}
	mr = mux_mreq_new(s, method, params);
	if ((req = mux_forward(m, s, msg, stream, NULL, 0,
	    modern_legacy_params(params))) == NULL) {
		/* The bridge answered it (too many wait their turn). */
		mux_mreq_free(mr);
		return;
	}
	req->mr = mr;
	return;

done:
	json_object_put(msg);
}

/* Time passes: questions gathered long enough are asked, states expire. */
void
mux_modern_client_tick(struct mux *m)
{
	struct mux_req	*req;

	while ((req = TAILQ_FIRST(&m->gathering)) != NULL &&
	    req->mr->gather <= m->now)
		mux_modern_ask(m, req);
	while ((req = TAILQ_FIRST(&m->parked)) != NULL &&
	    req->mr->expires <= m->now) {
		log_info("a 2026-07-28 client did not come back for its "
		    "input_required request in time: cancelled");
		if (req->mr->late == NULL && req->child->up) {
			mux_modern_client_inputs_fail(m, req, 1,
			    "the client did not answer in time");
			mux_cancel_at_child(m, req->child, req,
			    "the client did not come back in time");
			mux_req_orphan(m, req);
		}
		mux_req_free(m, req);
	}
}
