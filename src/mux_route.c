/* SPDX-License-Identifier: ISC */
/*
 * mux_route.c: legacy routing, the multiplexer's core work.  A client's
 * message goes to the child with its ids, progress tokens, subscriptions,
 * level and tasks rewritten into the child's space; the child's answer,
 * request or notification goes to the one session it belongs to, named
 * or (when nothing else can be) guessed, and never to another's.  The
 * state is in mux_int.h; the 2026-07-28 pairings are in mux_modern_*.c.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
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
#include "toolfilter.h"
#include "rawjson.h"
#include "tracectx.h"
#include "xmalloc.h"

/* ---- client messages ---------------------------------------------------- */

/* Shared child: the bridge answers a client's initialize itself. */
/* Why a request of the child has no route when several sessions could
 * have caused it: known by its address where the remedy is told. */
static const char mux_route_ambiguous[] =
    "more than one client session could have caused it (ambiguous)";

static void
mux_initialize_reply(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream)
{
	struct mux_child	*c = s->child;
	json_object		*params, *result, *v;
	const char		*asked, *theirs, *version;

	params = jsonrpc_params(msg);
	if ((v = jsonrpc_get(params, "capabilities", json_type_object)) != NULL)
		s->caps = json_object_get(v);
	if ((v = jsonrpc_get(params, "clientInfo", json_type_object)) != NULL)
		s->info = json_object_get(v);

	/* The child negotiated for all: promise nothing newer than it. */
	asked = jsonrpc_get_str(params, "protocolVersion");
	theirs = jsonrpc_get_str(c->info, "protocolVersion");
	if (jsonrpc_version_supported(asked) &&
	    jsonrpc_version_cmp(asked, theirs) <= 0)
		version = asked;
	else
		version = theirs;
	s->version = xstrdup(version);

	result = json_object_new_object();
	jsonrpc_add(result, "protocolVersion", json_object_new_string(version));
	if ((v = jsonrpc_get(c->info, "capabilities",
	    json_type_object)) != NULL)
		jsonrpc_add(result, "capabilities", json_object_get(v));
	else
		jsonrpc_add(result, "capabilities", json_object_new_object());
	if ((v = jsonrpc_get(c->info, "serverInfo", json_type_object)) != NULL)
		jsonrpc_add(result, "serverInfo", json_object_get(v));
	if ((v = jsonrpc_get(c->info, "instructions",
	    json_type_string)) != NULL)
		jsonrpc_add(result, "instructions", json_object_get(v));
	s->initialized = 1;
	mux_reply(m, s, stream, NULL, jsonrpc_result_new(jsonrpc_id(msg),
	    result));
	json_object_put(msg);
	/* A 2026-07-28 child tells of changes on a listen stream only. */
	if (c->modern && c->listen == NULL)
		mux_modern_child_own_listen(m, c);
}

static void
mux_set_level(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b)
{
	struct mux_child	*c = s->child;
	json_object		*params;
	int			 level, effective;

	level = mcpwire_level(jsonrpc_get_str(jsonrpc_params(msg), "level"));
	if (level < 0) {
		mux_error(m, s, stream, b, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Invalid log level");
		json_object_put(msg);
		return;
	}
	if (s->level >= 0)
		c->nlevel[s->level]--;
	c->nlevel[level]++;
	s->level = level;

	/* The child logs at the most verbose level anyone asked for. */
	effective = mux_effective_level(c);
	if (effective == c->level) {
		mux_reply(m, s, stream, b, jsonrpc_result_new(jsonrpc_id(msg),
		    NULL));
		json_object_put(msg);
		return;
	}
	c->level = effective;
	params = json_object_new_object();
	jsonrpc_add(params, "level",
	    json_object_new_string(mcpwire_level_name(effective)));
	/* Refused (too many wait their turn): the child's level unknown. */
	if (mux_forward(m, s, msg, stream, b, MUX_REQ_F_SETLEVEL,
	    params) == NULL)
		c->level = -1;
}

static void
mux_subscribe(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b, int subscribe)
{
	struct mux_child	*c = s->child;
	struct mux_sub		*sub;
	struct mux_subref	*ref;
	struct mux_req		*req;
	const char		*uri;
	char			*copy;

	if ((uri = jsonrpc_get_str(jsonrpc_params(msg), "uri")) == NULL) {
		mux_error(m, s, stream, b, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "params.uri is required");
		json_object_put(msg);
		return;
	}
	sub = mux_sub_find(c, uri);
	ref = sub != NULL ? mux_subref_find(sub, s) : NULL;

	/* The child sees the first subscribe and the last unsubscribe only. */
	if (subscribe && sub == NULL) {
		copy = xstrdup(uri);
		sub = mux_sub_new(c, uri);
		mux_subref_add(sub, s);
		if ((req = mux_forward(m, s, msg, stream, b,
		    MUX_REQ_F_SUBSCRIBE, NULL)) == NULL) {
			/* Answered with an error: not subscribed. */
			mux_subref_free(mux_subref_find(sub, s));
			mux_sub_free(c, sub);
			free(copy);
			return;
		}
		req->uri = copy;
		return;
	}
	if (subscribe && ref == NULL)
		mux_subref_add(sub, s);
	else if (!subscribe && ref != NULL) {
		mux_subref_free(ref);
		if (sub->n == 0) {
			mux_sub_free(c, sub);
			mux_forward(m, s, msg, stream, b, 0, NULL);
			return;
		}
	}
	mux_reply(m, s, stream, b, jsonrpc_result_new(jsonrpc_id(msg), NULL));
	json_object_put(msg);
}

/* tasks/get, tasks/result, tasks/cancel: only for the task's own session. */
static void
mux_task_request(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b)
{
	struct mux_task	*t = NULL;
	const char	*id;

	if ((id = jsonrpc_get_str(jsonrpc_params(msg), "taskId")) != NULL)
		t = mux_task_find(s->child, 0, id);
	if (t == NULL || t->s != s) {
		/* Another session's task looks just like no task at all. */
		mux_error(m, s, stream, b, jsonrpc_id(msg),
		    JSONRPC_INVALID_PARAMS, "Unknown task");
		json_object_put(msg);
		return;
	}
	mux_forward(m, s, msg, stream, b, 0, NULL);
}

static void
mux_client_request(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b)
{
	struct mux_child	*c = s->child;
	json_object		*id = jsonrpc_id(msg), *params, *v;
	const char		*method = jsonrpc_method(msg);
	int			 stateless;

	stateless = s->transport == MUX_TRANSPORT_STATELESS &&
	    m->npool > 0;
	if (s->ended) {
		mux_error(m, s, stream, b, id, JSONRPC_SESSION_NOT_FOUND,
		    "Session not found: its server went away");
		goto done;
	}
	if (strcmp(method, "initialize") == 0) {
		if (b != NULL)
			mux_error(m, s, stream, b, id, JSONRPC_INVALID_REQUEST,
			    "initialize must not be part of a batch");
		else if (s->initialized || s->init_started)
			mux_error(m, s, stream, b, id, JSONRPC_INVALID_REQUEST,
			    "Session already initialized");
		else if (c == NULL || !c->ready)
			mux_error(m, s, stream, b, id, JSONRPC_SERVER_ERROR,
			    "Server not available%s%s", c != NULL &&
			    c->failed != NULL ? ": " : "", c != NULL &&
			    c->failed != NULL ? c->failed : "");
		else if (c->owner != NULL) {
			/* Its own child sees the real client, unchanged.  A
			 * retry after a refused initialize replaces these. */
			params = jsonrpc_params(msg);
			if ((v = jsonrpc_get(params, "capabilities",
			    json_type_object)) != NULL) {
				json_object_put(s->caps);
				s->caps = json_object_get(v);
			}
			if ((v = jsonrpc_get(params, "clientInfo",
			    json_type_object)) != NULL) {
				json_object_put(s->info);
				s->info = json_object_get(v);
			}
			s->init_started = 1;
			/* Its answer is the child's handshake (overdue:
			 * mux_tick names the child). */
			c->init_deadline = m->now + m->cfg.init_timeout_ms;
			mux_forward(m, s, msg, stream, b, MUX_REQ_F_INITIALIZE,
			    NULL);
			return;
		} else {
			s->init_started = 1;
			mux_initialize_reply(m, s, msg, stream);
			return;
		}
		goto done;
	}
	if (!s->initialized && !stateless && strcmp(method, "ping") != 0) {
		mux_error(m, s, stream, b, id, JSONRPC_INVALID_REQUEST,
		    "Session not initialized: send initialize first");
		goto done;
	}
	if (c == NULL && strcmp(method, "ping") == 0) {
		/* isolation, no child yet: nothing to be hung. */
		mux_reply(m, s, stream, b, jsonrpc_result_new(id, NULL));
		goto done;
	}
	if (c == NULL || !c->ready) {
		mux_error(m, s, stream, b, id, JSONRPC_SERVER_ERROR,
		    "Server not available%s%s", c != NULL && c->failed != NULL ?
		    ": " : "", c != NULL && c->failed != NULL ? c->failed : "");
		goto done;
	}
	/* Never overwrite a request in flight (CVE-2026-25536). */
	if (hmap_find(&s->ids, jsonrpc_id_hash(id), mux_req_id_match, id) !=
	    NULL) {
		mux_error(m, s, stream, b, id, JSONRPC_INVALID_REQUEST,
		    "Request id is already in use by a request in flight");
		goto done;
	}
	if (c->modern) {
		if (mux_modern_child_translate_request(m, s, msg, stream,
		    b) == 0)
			return;
		goto done;
	}

	if (strcmp(method, "logging/setLevel") == 0)
		mux_set_level(m, s, msg, stream, b);
	else if (strcmp(method, "resources/subscribe") == 0)
		mux_subscribe(m, s, msg, stream, b, 1);
	else if (strcmp(method, "resources/unsubscribe") == 0)
		mux_subscribe(m, s, msg, stream, b, 0);
	else if (strcmp(method, "tasks/get") == 0 ||
	    strcmp(method, "tasks/result") == 0 ||
	    strcmp(method, "tasks/cancel") == 0)
		mux_task_request(m, s, msg, stream, b);
	else if (strcmp(method, "tasks/list") == 0)
		mux_forward(m, s, msg, stream, b, MUX_REQ_F_TASKS_LIST, NULL);
	else
		mux_forward(m, s, msg, stream, b, 0, NULL);
	return;

done:
	json_object_put(msg);
}

/* Do params of a client's progress name the progressToken of a request
 * the child sent s and s has not answered, or of the task s made for
 * one? */
static int
mux_sreq_progress(struct mux_session *s, json_object *params)
{
	struct mux_sreq	*sr;
	struct mux_task	*t;
	json_object	*token;

	if (!json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "progressToken", &token) ||
	    (!json_object_is_type(token, json_type_string) &&
	    !json_object_is_type(token, json_type_int)))
		return 0;
	TAILQ_FOREACH(sr, &s->sreqs, sentry) {
		if (sr->child == s->child && sr->ptoken != NULL &&
		    jsonrpc_id_equal(sr->ptoken, token))
			return 1;
	}
	TAILQ_FOREACH(t, &s->tasks, sentry) {
		if (t->client_side && t->child == s->child &&
		    t->ptoken != NULL && jsonrpc_id_equal(t->ptoken, token))
			return 1;
	}
	return 0;
}

static void
mux_client_notification(struct mux *m, struct mux_session *s, json_object *msg)
{
	struct mux_child	*c = s->child;
	struct mux_req		*req;
	struct mux_batch	*b;
	json_object		*params, *id;
	const char		*method = jsonrpc_method(msg);
	uint64_t		 stream;

	if (s->ended || c == NULL || !c->ready)
		goto drop;
	/* The only notification a 2026-07-28 client sends is a cancel. */
	if (s->transport == MUX_TRANSPORT_STATELESS &&
	    strcmp(method, "notifications/cancelled") != 0)
		goto drop;
	if (strcmp(method, "notifications/initialized") == 0) {
		/* The shared child had its own from the bridge. */
		if (c->owner == NULL || !s->initialized)
			goto drop;
		mux_to_child(m, c, msg);
		return;
	}
	if (strcmp(method, "notifications/cancelled") == 0) {
		params = jsonrpc_params(msg);
		if (!json_object_object_get_ex(params, "requestId", &id) ||
		    (req = hmap_find(&s->ids, jsonrpc_id_hash(id),
		    mux_req_id_match, id)) == NULL)
			goto drop;	/* finished already, or never ours */
		/* A call waiting for its turn just leaves the queue. */
		if (!(req->sched & MUX_SCHED_HELD)) {
			params = jsonrpc_copy_shallow(params, NULL);
			json_object_object_add(params, "requestId",
			    json_object_new_int64((int64_t)req->cid));
			mux_to_child(m, c, jsonrpc_notification_new(
			    "notifications/cancelled", params));
		}
		if (req->mr != NULL)
			mux_modern_client_inputs_fail(m, req, 1,
			    "the client cancelled the request that asked");
		mux_req_orphan(m, req);
		/* A late answer is dropped: the client stopped waiting.  Its
		 * stream ends without one, so the transport can finish it. */
		stream = req->stream;
		if ((b = req->batch) != NULL)
			b->cancelled = 1;
		mux_req_finish(m, req, NULL);
		if (b == NULL)
			mux_to_session(m, s, stream, 1, NULL);
		goto drop;
	}
	/* 2026-07-28 defines no other client notification. */
	if (c->modern)
		goto drop;
	if (!s->initialized && s->transport != MUX_TRANSPORT_STATELESS)
		goto drop;
	if (c->owner == NULL &&
	    strcmp(method, "notifications/tasks/status") == 0) {
		/* The shared child knows the task by the bridge's id. */
		if ((params = mux_task_out(s, jsonrpc_params(msg),
		    "taskId")) == NULL)
			goto drop;
		mux_to_child(m, c, jsonrpc_notification_new(method, params));
		goto drop;
	}
	/* Progress is on a request the child sent this very session: no
	 * client reports on a token the child handed another. */
	if (strcmp(method, "notifications/progress") == 0 &&
	    !mux_sreq_progress(s, jsonrpc_params(msg))) {
		m->stats.client_progress_dropped++;
		log_debug("client progress dropped: its token is not one of "
		    "a request the server sent this session");
		goto drop;
	}
	mux_to_child(m, c, msg);
	return;

drop:
	json_object_put(msg);
}

/* A session answers a request the child sent it. */
static enum mux_recv
mux_client_response(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b)
{
	struct mux_sreq	*sr;
	json_object	*v;
	uint64_t	 bid;

	bid = mux_get_bid(jsonrpc_id(msg));
	sr = bid == 0 ? NULL : hmap_find(&m->sreqs, hmap_mix(bid),
	    mux_sreq_match, &bid);
	if (sr == NULL) {
		/* Late (cancelled, or the child restarted): nobody waits. */
		log_debug("%s: answer to an unknown request dropped", __func__);
		json_object_put(msg);
		return MUX_RECV_ACCEPTED;
	}
	/* Another session's: dropped as an unknown one is, so that the
	 * answer says nothing of what others are asked. */
	if (sr->s != s) {
		/* Not a warning: any client could write lines at will. */
		log_debug("%s: a session answered a request sent to another "
		    "session; dropped", __func__);
		json_object_put(msg);
		return MUX_RECV_ACCEPTED;
	}
	if (sr->xreq != NULL)
		return mux_modern_child_translate_response(m, sr, msg);
	if (json_object_object_get_ex(msg, "result", &v)) {
		/* Its own child knows the session's task ids as they are. */
		if (sr->child->owner == NULL)
			v = mux_task_result(m, sr->child, s, v, sr->tasks,
			    sr->ptoken);
		else
			v = json_object_get(v);
		v = mux_answer_new(sr->cid, "result", v);
	} else {
		json_object_object_get_ex(msg, "error", &v);
		v = mux_answer_new(sr->cid, "error", json_object_get(v));
	}
	sr->cid = NULL;		/* moved into the answer */
	mux_to_child(m, sr->child, v);
	mux_sreq_free(m, sr);
	json_object_put(msg);
	return MUX_RECV_ACCEPTED;
}

/* kind: jsonrpc_classify(msg). */
static enum mux_recv
mux_process_one(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b, enum jsonrpc_kind kind)
{
	const char	*tool;

	switch (kind) {
	case JSONRPC_REQUEST:
		/* A tool the filter hides is not called, whatever else the
		 * request is: the child never sees it. */
		if ((tool = toolfilter_refused_call(m->cfg.tools, msg)) !=
		    NULL) {
			if (*tool == '\0')
				mux_error(m, s, stream, b, jsonrpc_id(msg),
				    JSONRPC_INVALID_PARAMS, "Invalid params: "
				    "tools/call names no tool");
			else
				mux_error(m, s, stream, b, jsonrpc_id(msg),
				    JSONRPC_INVALID_PARAMS, "Tool not "
				    "allowed: %s", tool);
			json_object_put(msg);
			return MUX_RECV_REPLY;
		}
		if (s->transport == MUX_TRANSPORT_STATELESS && b == NULL)
			mux_modern_client_request(m, s, msg, stream);
		else
			mux_client_request(m, s, msg, stream, b);
		return MUX_RECV_REPLY;
	case JSONRPC_NOTIFICATION:
		mux_client_notification(m, s, msg);
		return MUX_RECV_ACCEPTED;
	case JSONRPC_RESPONSE:
		/* 2026-07-28 clients answer questions in a retry instead. */
		if (s->transport == MUX_TRANSPORT_STATELESS)
			break;
		return mux_client_response(m, s, msg, stream, b);
	case JSONRPC_BATCH:
	case JSONRPC_INVALID:
		break;
	}
	mux_error(m, s, stream, b, NULL, JSONRPC_INVALID_REQUEST,
	    "Invalid Request");
	json_object_put(msg);
	return b != NULL ? MUX_RECV_REPLY : MUX_RECV_INVALID;
}

/* A batch is split; the answers come back as one array, in answer order. */
enum mux_recv
mux_route_process(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, enum jsonrpc_kind kind)
{
	struct mux_batch	*b;
	enum mux_recv		 status = MUX_RECV_ACCEPTED;
	json_object		*e;
	size_t			 i, n;

	if (!json_object_is_type(msg, json_type_array))
		return mux_process_one(m, s, msg, stream, NULL, kind);

	b = xcalloc(1, sizeof *b);
	b->s = s;
	b->stream = stream;
	b->answers = json_object_new_array();
	b->pending = 1;		/* answers may come while splitting */
	n = json_object_array_length(msg);
	for (i = 0; i < n; i++) {
		e = json_object_get(json_object_array_get_idx(msg, i));
		if (mux_process_one(m, s, e, stream, b,
		    jsonrpc_classify(e)) != MUX_RECV_ACCEPTED)
			status = MUX_RECV_REPLY;
	}
	json_object_put(msg);
	mux_batch_done(m, b);
	return status;
}

/* What mux_route_process will say of msg, without doing it (for queued
 * traffic). */
enum mux_recv
mux_route_prescan(json_object *msg)
{
	enum jsonrpc_kind	kind;
	size_t			i, n;

	if (!json_object_is_type(msg, json_type_array))
		return jsonrpc_classify(msg) == JSONRPC_REQUEST ?
		    MUX_RECV_REPLY : MUX_RECV_ACCEPTED;
	n = json_object_array_length(msg);
	for (i = 0; i < n; i++) {
		kind = jsonrpc_classify(json_object_array_get_idx(msg, i));
		if (kind != JSONRPC_NOTIFICATION && kind != JSONRPC_RESPONSE)
			return MUX_RECV_REPLY;
	}
	return MUX_RECV_ACCEPTED;
}

/* ---- child messages ------------------------------------------------------ */

/* tasks/list: only the session's own tasks. */
static json_object *
mux_tasks_filter(struct mux_child *c, struct mux_session *s,
    json_object *result)
{
	json_object	*tasks, *mine, *t;
	struct mux_task	*task;
	const char	*id;
	size_t		 i, n;

	if ((tasks = jsonrpc_get(result, "tasks", json_type_array)) == NULL)
		return json_object_get(result);
	mine = json_object_new_array();
	n = json_object_array_length(tasks);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tasks, i);
		if ((id = jsonrpc_get_str(t, "taskId")) != NULL &&
		    (task = mux_task_find(c, 0, id)) != NULL && task->s == s)
			json_object_array_add(mine, json_object_get(t));
	}
	result = jsonrpc_copy_shallow(result, NULL);
	json_object_object_add(result, "tasks", mine);
	return result;
}

/*
 * A 2026-07-28 child's requestState (a string) behind the instance's name
 * and, with a pool, the number of the child that holds the call
 * (mux_pool_state_child reads it back): "instance.2.state".  The state is
 * the child's opaque bytes, NULs included: it must come back byte for
 * byte, so lengths are carried, never strlen.
 */
static json_object *
mux_state_named(const struct mux *m, const struct mux_child *c,
    json_object *state)
{
	const char	*id = m->cfg.instance_id;
	char		 num[MUX_POOL_STATE_LEN];
	size_t		 idlen, numlen = 0, len;
	json_object	*out;
	char		*buf;

	idlen = id != NULL ? strlen(id) + 1 : 0;
	if (m->npool > 1)
		numlen = (size_t)snprintf(num, sizeof num, "%zu.",
		    c->index + 1);
	len = (size_t)json_object_get_string_len(state);
	buf = xmalloc(idlen + numlen + len);
	if (id != NULL) {
		memcpy(buf, id, idlen - 1);
		buf[idlen - 1] = '.';
	}
	memcpy(buf + idlen, num, numlen);
	memcpy(buf + idlen + numlen, json_object_get_string(state), len);
	out = json_object_new_string_len(buf, (int)(idlen + numlen + len));
	free(buf);
	return out;
}

/*
 * A page of the child's tools: which of their arguments the clients of
 * 2026-07-28 mirror into Mcp-Param-* headers.  A tool whose annotations
 * are invalid is forgotten (clients leave it out; its calls go unchecked).
 */
static void
mux_tools_learn(struct mux *m, struct mux_child *c, json_object *result)
{
	json_object	*tools;
	char		*err;
	size_t		 i, n;

	if ((tools = jsonrpc_get(result, "tools", json_type_array)) == NULL)
		return;
	if (c->tool_headers == NULL)
		c->tool_headers = json_object_new_object();
	n = json_object_array_length(tools);
	for (i = 0; i < n; i++) {
		if (mcpwire_learn_tool(c->tool_headers,
		    json_object_array_get_idx(tools, i), &err) == -1)
			free(err);
	}
	/* A session's own child goes with its session: its names stay. */
	if (c->owner == NULL)
		return;
	if (m->tools_named == NULL)
		m->tools_named = json_object_new_object();
	json_object_object_foreach(c->tool_headers, name, spec) {
		(void)spec;
		if (json_object_object_length(m->tools_named) >=
		    MCPWIRE_MAX_TOOLS)
			break;
		if (!json_object_object_get_ex(m->tools_named, name, NULL))
			json_object_object_add(m->tools_named, name, NULL);
	}
}

void
mux_route_client_answer(struct mux *m, struct mux_req *req, json_object *msg,
    json_object *result, json_object *error)
{
	struct mux_session	*s = req->s;
	struct mux_child	*c = req->child;
	struct mux_task		*t;
	struct mux_sub		*sub;
	struct mux_subref	*ref;
	json_object		*answer, *id, *state;
	const char		*version;

	if ((req->flags & MUX_REQ_F_TOOLS_LIST) && result != NULL) {
		/* The mux owns the child's answer: filtered in place, for
		 * every era's path below; only the tools a client may see
		 * become metric labels. */
		toolfilter_list(m->cfg.tools, result);
		mux_tools_learn(m, c, result);
	}
	mux_sched_answered(m, req, result);
	if (req->mr != NULL) {
		mux_modern_client_answer(m, req, result, error);
		return;
	}
	if (req->flags & MUX_REQ_F_TRANSLATE) {
		mux_modern_child_translate_answer(m, req, result, error);
		return;
	}
	if ((req->flags & MUX_REQ_F_LISTEN) && error == NULL) {
		/* The subscription's end names it by the client's id. */
		result = modern_result_retag(result, req->id);
		mux_req_finish(m, req, jsonrpc_result_new(req->id, result));
		return;
	}
	/* A 2026-07-28 child's requestState goes out behind the instance's
	 * name and the child's number, for the load balancer and the pool
	 * to route the retry (the mux owns the child's message, so it is
	 * changed in place). */
	if (c->modern && (m->cfg.instance_id != NULL || m->npool > 1) &&
	    (state = jsonrpc_get(result, "requestState",
	    json_type_string)) != NULL)
		json_object_object_add(result, "requestState",
		    mux_state_named(m, c, state));
	id = req->id;
	req->id = NULL;		/* moved into the answer */
	if (req->flags & MUX_REQ_F_INITIALIZE)
		c->init_deadline = 0;
	if (error != NULL) {
		if (req->flags & MUX_REQ_F_SETLEVEL)
			c->level = -1;	/* unknown now: ask again next time */
		if (req->flags & MUX_REQ_F_INITIALIZE)
			s->init_started = 0;
		if ((req->flags & MUX_REQ_F_SUBSCRIBE) &&
		    (sub = mux_sub_find(c, req->uri)) != NULL &&
		    (ref = mux_subref_find(sub, s)) != NULL) {
			mux_subref_free(ref);
			if (sub->n == 0)
				mux_sub_free(c, sub);
		}
		answer = mux_answer_new(id, "error", json_object_get(error));
		mux_req_finish(m, req, answer);
		return;
	}

	if ((req->flags & MUX_REQ_F_INITIALIZE) &&
	    (version = jsonrpc_get_str(result, "protocolVersion")) != NULL) {
		s->initialized = 1;
		s->version = xstrdup(version);
		json_object_put(c->info);
		c->info = json_object_get(result);
	}
	/*
	 * A raw result (mux_route_raw_ok) came in rawjson_answer's envelope,
	 * {"jsonrpc":"2.0","id":N,"result":raw}, which the mux owns: with
	 * the client's id in place of N it is the answer, as mux_answer_new
	 * would write it, without a new envelope per call (issue 20).  It
	 * holds no task (jsonparse_answer).
	 */
	if (rawjson_is(result)) {
		if (json_object_object_add(msg, "id", id) != 0)
			fatalx("json_object_object_add");
		mux_req_finish(m, req, json_object_get(msg));
		return;
	}
	if (req->flags & MUX_REQ_F_TASKS_LIST)
		result = mux_tasks_filter(c, s, result);
	else
		result = json_object_get(result);
	/* A task made for s is s's, and so is its progress token. */
	if ((t = mux_task_record(m, c, s, 0, result)) != NULL &&
	    req->prog != NULL) {
		t->prog = req->prog;
		t->prog->req = NULL;
		t->prog->task = t;
		req->prog = NULL;
	}
	mux_req_finish(m, req, mux_answer_new(id, "result", result));
}

/*
 * Whether the raw result (rawjson.h) of an answer to req can go out as
 * it is: a client's plain request to a legacy child, whose answer the mux
 * only passes on with the client's id.  Anything the mux looks into (the
 * handshake, tools/list, tasks/list, a translation, a 2026-07-28 child's
 * requestState, a flag's bookkeeping) is parsed first.  A result holding
 * a "task" never comes raw (jsonparse_answer).
 */
static int
mux_route_raw_ok(const struct mux_child *c, const struct mux_req *req)
{
	return req->kind == MUX_REQ_CLIENT && req->flags == 0 &&
	    req->mr == NULL && !c->modern;
}

/*
 * The raw result of msg parsed in its place; what replaces it.  The grammar
 * was checked, so only a json-c that disagrees fails: then the client is
 * told with an error in *error (owned by msg).
 */
static json_object *
mux_route_raw_parse(json_object *msg, json_object *raw, json_object **error)
{
	json_object	*result, *e;
	const char	*cause = "not JSON";

	if ((result = rawjson_parse(raw, &cause)) != NULL) {
		/* Replaces (and frees) raw. */
		if (json_object_object_add(msg, "result", result) != 0)
			fatalx("json_object_object_add");
		return result;
	}
	log_warnx("server's answer could not be read: %s", cause);
	e = json_object_new_object();
	jsonrpc_add(e, "code", json_object_new_int(JSONRPC_INTERNAL_ERROR));
	jsonrpc_add(e, "message", json_object_new_string("Internal error: the "
	    "server's answer could not be read"));
	json_object_object_del(msg, "result");
	jsonrpc_add(msg, "error", e);
	*error = e;
	return NULL;
}

void
mux_route_child_response(struct mux *m, struct mux_child *c, json_object *msg)
{
	struct mux_req	*req;
	json_object	*result = NULL, *error = NULL;
	uint64_t	 cid;

	cid = mux_get_bid(jsonrpc_id(msg));
	req = cid == 0 ? NULL : hmap_find(&m->reqs, hmap_mix(cid),
	    mux_req_match, &cid);
	if (req == NULL || req->child != c) {
		m->stats.dropped_responses++;
		if (cid != 0)
			mux_orphan_answered(m, c, cid);
		/* Late answers (cancelled, closed) are normal; others not. */
		if (cid == 0 || cid > m->next_id)
			log_warnx("server answered an id the bridge never "
			    "used: %s", json_object_to_json_string_ext(
			    jsonrpc_id(msg), JSON_C_TO_STRING_PLAIN));
		else
			log_debug("late answer to %" PRIu64 " dropped", cid);
		json_object_put(msg);
		return;
	}
	jsonrpc_member(msg, "result", &result);
	jsonrpc_member(msg, "error", &error);
	if (rawjson_is(result) && !mux_route_raw_ok(c, req))
		result = mux_route_raw_parse(msg, result, &error);

	switch (req->kind) {
	case MUX_REQ_INIT:
		mux_req_free(m, req);
		mux_child_initialized(m, c, result, error);
		break;
	case MUX_REQ_DISCOVER:
		mux_req_free(m, req);
		if (!c->ready)
			mux_child_discovered(m, c, result, error);
		else if (result != NULL && modern_discover_check(result) > 0) {
			/* --child-era=modern, answered after --probe-timeout:
			 * sessions from now on see the child as it is. */
			log_info("server/discover answered late");
			mux_child_modern_ready(m, c, result);
		}
		break;
	case MUX_REQ_OWN:
		if (req == c->listen) {
			log_info("server ended the bridge's subscription%s%s",
			    error != NULL ? ": " : "", error != NULL &&
			    jsonrpc_get_str(error, "message") != NULL ?
			    jsonrpc_get_str(error, "message") : "");
			c->listen_again = m->now + MUX_LISTEN_AGAIN_MS;
		} else if (error != NULL) {
			log_info("server refused the bridge's request: %s",
			    jsonrpc_get_str(error, "message") ?
			    jsonrpc_get_str(error, "message") : "no message");
			if (req->flags & MUX_REQ_F_SETLEVEL)
				c->level = -1;
		}
		mux_req_free(m, req);
		break;
	case MUX_REQ_CLIENT:
		mux_recent_answered(m, c, mux_req_principal(req));
		mux_route_client_answer(m, req, msg, result, error);
		break;
	}
	json_object_put(msg);
}

/* Do capabilities caps allow a child's request needing cap? */
int
mux_route_caps_have(json_object *caps, const char *cap, json_object *params)
{
	json_object	*v;
	const char	*mode;

	if (cap == NULL)
		return 1;
	if ((v = jsonrpc_get(caps, cap, json_type_object)) == NULL)
		return 0;
	/* URL-mode elicitation needs elicitation.url; {} means form only. */
	if (strcmp(cap, "elicitation") == 0 &&
	    (mode = jsonrpc_get_str(params, "mode")) != NULL &&
	    strcmp(mode, "url") == 0)
		return jsonrpc_get(v, "url", json_type_object) != NULL;
	return 1;
}

int
mux_route_has_cap(struct mux_session *s, const char *cap, json_object *params)
{
	return mux_route_caps_have(s->caps, cap, params);
}

/* A busy stateless session's request that may take input (or NULL). */
static struct mux_req *
mux_modern_candidate(struct mux_session *s)
{
	struct mux_req	*req;

	if (s->transport != MUX_TRANSPORT_STATELESS ||
	    (req = TAILQ_FIRST(&s->reqs)) == NULL || req->mr == NULL ||
	    !modern_method_mrtr(req->mr->method))
		return NULL;
	return req;
}

/* The client capability a child's request needs. */
const char *
mux_route_needed_cap(const char *method)
{
	if (strcmp(method, "sampling/createMessage") == 0)
		return "sampling";
	if (strcmp(method, "elicitation/create") == 0)
		return "elicitation";
	if (strcmp(method, "roots/list") == 0)
		return "roots";
	if (strncmp(method, "tasks/", 6) == 0)
		return "tasks";
	return NULL;
}

/*
 * The session a child's message (a request, a log line) names as its
 * cause: the client of its own child; the session of the client request
 * named by the relatedRequestId hint (*req: that request, whose session is
 * NULL while a 2026-07-28 request is parked); the session of the task
 * named in _meta's related-task.  Returns 1 when the message names one
 * (*s NULL, *why saying so, when what it names is gone), 0 when it names
 * nothing and the caller must look for the one session that can have
 * caused it.
 */
static int
mux_named(struct mux *m, struct mux_child *c, json_object *msg,
    struct mux_session **s, struct mux_req **req, const char **why)
{
	struct mux_task	*t;
	json_object	*rel;
	const char	*id;
	uint64_t	 rid;

	*s = NULL;
	*req = NULL;
	if (c->owner != NULL) {
		/* Its own child: the session is the client it talks to. */
		if (c->owner->ended)
			*why = "its client session ended";
		else
			*s = c->owner;
		return 1;
	}
	if ((rel = modern_hint_related(msg)) != NULL) {
		rid = mux_get_bid(rel);
		*req = rid == 0 ? NULL : hmap_find(&m->reqs, hmap_mix(rid),
		    mux_req_match, &rid);
		if (*req == NULL || (*req)->child != c ||
		    (*req)->kind != MUX_REQ_CLIENT) {
			*req = NULL;
			*why = "the request it names is not in flight";
			return 1;
		}
		if ((*s = (*req)->s) == NULL || (*s)->ended) {
			*s = NULL;
			*why = "the request it names has no client session now";
		}
		return 1;
	}
	id = jsonrpc_get_str(jsonrpc_get(jsonrpc_get(jsonrpc_params(msg),
	    "_meta", json_type_object), MCP_META_RELATED_TASK,
	    json_type_object), "taskId");
	if (id != NULL) {
		if ((t = mux_task_find(c, 0, id)) == NULL)
			*why = "its related task belongs to no client session";
		else
			*s = t->s;
		return 1;
	}
	return 0;
}

/*
 * mux_route's guess, for a request that names nothing: the session that
 * can have caused it, or (*mreq) the 2026-07-28 request to ask.
 */
static struct mux_session *
mux_route_busy(struct mux *m, struct mux_child *c, json_object *msg,
    const char *cap, const char **why, struct mux_req **mreq)
{
	struct mux_session	*s, *found = NULL;
	struct mux_req		*req, *mfound = NULL;
	json_object		*params = jsonrpc_params(msg);
	size_t			 n = 0;

	/*
	 * Only a session waiting for the child can have caused the request,
	 * and of 2026-07-28 requests only tools/call, prompts/get and
	 * resources/read can be asked.  latest: one that lacks the
	 * capability is a candidate only if nobody else is: it will be told
	 * what it misses.
	 */
	if (m->cfg.server_requests == MUX_SERVER_REQUESTS_LATEST) {
		TAILQ_FOREACH_REVERSE(s, &c->busy, mux_sessions, bentry) {
			if ((req = mux_modern_candidate(s)) != NULL) {
				if (mux_route_caps_have(req->mr->caps, cap,
				    params)) {
					*mreq = req;
					return NULL;
				}
				if (mfound == NULL)
					mfound = req;
			} else if (s->initialized &&
			    s->transport != MUX_TRANSPORT_STATELESS &&
			    mux_route_has_cap(s, cap, params))
				return s;
		}
		if (mfound != NULL && cap != NULL) {
			*mreq = mfound;
			return NULL;
		}
	} else {
		/*
		 * Any session waiting for the child may be the cause, whatever
		 * it declared (the child asks the bridge, which declared for
		 * all): certain only if it is the only one.  A 2026-07-28
		 * request that lacks the capability is told what it misses.
		 */
		TAILQ_FOREACH(s, &c->busy, bentry) {
			if (n++ > 0)
				break;
			found = s;
		}
		if (n == 1) {
			if ((*mreq = mux_modern_candidate(found)) != NULL)
				return NULL;
			if (found->transport == MUX_TRANSPORT_STATELESS)
				*why = "the request in flight cannot be asked "
				    "anything";
			else if (!found->initialized)
				*why = "the client session with a request in "
				    "flight has not finished its handshake";
			else if (!mux_route_has_cap(found, cap, params))
				*why = "no client session with a request in "
				    "flight declared the capability it needs";
			else
				return found;
			return NULL;
		}
	}
	if (n > 1)
		*why = mux_route_ambiguous;
	else if (cap != NULL)
		*why = "no client session with a request in flight declared "
		    "the capability it needs";
	else
		*why = "no client session has a request in flight";
	return NULL;
}

/*
 * Which session answers a child's request; NULL with *why if none may.
 * *mreq is set instead when a 2026-07-28 request is to get the question
 * (in an input_required result).
 */
static struct mux_session *
mux_route(struct mux *m, struct mux_child *c, json_object *msg,
    const char **why, struct mux_req **mreq)
{
	struct mux_session	*s;
	struct mux_req		*req;
	struct mux_task		*t;
	json_object		*params = jsonrpc_params(msg);
	const char		*method = jsonrpc_method(msg), *cap, *id;
	const char		*withheld;

	*mreq = NULL;
	cap = mux_route_needed_cap(method);
	/*
	 * A client's task is its session's (the child knows it by the
	 * bridge's id only): asked of another, that one's answer would be
	 * taken for the task's.  So a hint naming another is refused.
	 */
	if (c->owner == NULL && strncmp(method, "tasks/", 6) == 0 &&
	    (id = jsonrpc_get_str(params, "taskId")) != NULL &&
	    (t = mux_task_find(c, 1, id)) != NULL) {
		if (mux_named(m, c, msg, &s, &req, why) && s != t->s) {
			*why = "the task it names is another client "
			    "session's than the one it names";
			return NULL;
		}
		return t->s;
	}
	if (mux_named(m, c, msg, &s, &req, why)) {
		if (req != NULL && req->mr != NULL) {
			*mreq = req;
			return NULL;
		}
		if (s == NULL || c->owner != NULL)
			return s;
		if (!mux_route_has_cap(s, cap, params)) {
			*why = req != NULL ? "the session of the request it "
			    "names did not declare the capability it needs" :
			    "the related task's session did not declare the "
			    "capability it needs";
			return NULL;
		}
		return s;
	}
	/* A task named by an id the bridge did not give out is nobody's. */
	if (strncmp(method, "tasks/", 6) == 0 &&
	    jsonrpc_get_str(params, "taskId") != NULL) {
		*why = "the task it names belongs to no client session";
		return NULL;
	}

	/* A tool that asks has its turn: its session's (mux_sched.c). */
	if (mux_sched_route(m, c, cap, params, &s, why))
		return s;
	/* Else a guess: never while another's request may be its cause. */
	s = mux_route_busy(m, c, msg, cap, why, mreq);
	if (s == NULL && *mreq == NULL) {
		/* The tools in flight may ask: they take turns now. */
		mux_sched_refused(m, c);
		return NULL;
	}
	if ((withheld = mux_guess_withheld(m, c, s != NULL ? s : (*mreq)->s,
	    MUX_GUESS_REQUEST)) != NULL) {
		*mreq = NULL;
		*why = withheld;
		return NULL;
	}
	if (s != NULL)
		mux_sched_learn(m, c, s);
	return s;
}

/*
 * The request of s's that the child's request msg is for, as the routing
 * knows it (for the span hook): the request its relatedRequestId names,
 * the one whose progress token it carries, the call of s's that holds
 * the turn at a tool that asks, or s's only request at c.  NULL: none
 * of these tells (several in flight, none named).
 */
static struct mux_req *
mux_route_cause(struct mux *m, struct mux_child *c, struct mux_session *s,
    json_object *msg)
{
	struct mux_req	*req, *slot = NULL, *one = NULL;
	struct mux_prog	*p;
	json_object	*v;
	uint64_t	 id;
	size_t		 nslot = 0, n = 0;

	if ((v = modern_hint_related(msg)) != NULL) {
		id = mux_get_bid(v);
		req = id == 0 ? NULL : hmap_find(&m->reqs, hmap_mix(id),
		    mux_req_match, &id);
		return req != NULL && req->child == c && req->s == s ? req :
		    NULL;
	}
	if ((v = jsonrpc_progress_token(msg)) != NULL &&
	    (id = mux_get_bid(v)) != 0 &&
	    (p = hmap_find(&m->progs, hmap_mix(id), mux_prog_match, &id)) !=
	    NULL && p->req != NULL && p->req->child == c && p->s == s)
		return p->req;
	TAILQ_FOREACH(req, &s->reqs, sentry) {
		if (req->child != c || req->kind != MUX_REQ_CLIENT)
			continue;
		n++;
		one = req;
		if (req->sched & MUX_SCHED_SLOT) {
			nslot++;
			slot = req;
		}
	}
	if (nslot == 1)
		return slot;
	return n == 1 ? one : NULL;
}

/* The span hook's say on a request of the child's for s (params: what
 * goes instead of msg's, consumed; returned, maybe with a context). */
static json_object *
mux_route_span(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t bid, struct mux_req *cause, json_object *params)
{
	struct tracectx	tc;

	if (m->cfg.span_server == NULL || m->cfg.span_server(m->cfg.span_arg,
	    s, msg, bid, cause != NULL ? cause->id : NULL, &tc) == -1)
		return params;
	return mux_span_params(msg, params, &tc);
}

static void
mux_child_request(struct mux *m, struct mux_child *c, json_object *msg)
{
	struct mux_session	*s;
	struct mux_req		*mreq;
	struct mux_sreq		*sr;
	struct mux_task		*t;
	struct mux_req		*cause;
	json_object		*id = jsonrpc_id(msg), *params, *out;
	const char		*method = jsonrpc_method(msg), *why = NULL;
	const char		*eid;
	char			*text;

	/* A 2026-07-28 server asks in input_required results instead. */
	if (c->modern) {
		m->stats.server_requests_refused++;
		log_info("%s from a 2026-07-28 server refused", method);
		mux_to_child(m, c, jsonrpc_error_new(id,
		    JSONRPC_METHOD_NOT_FOUND, "Method not found: a 2026-07-28 "
		    "server sends no requests", NULL));
		json_object_put(msg);
		return;
	}
	/* The shared child's client is the bridge: it answers pings itself. */
	if (c->owner == NULL && strcmp(method, "ping") == 0) {
		mux_to_child(m, c, jsonrpc_result_new(id, NULL));
		json_object_put(msg);
		return;
	}
	params = jsonrpc_params(msg);
	if ((s = mux_route(m, c, msg, &why, &mreq)) == NULL && mreq == NULL) {
		m->stats.server_requests_refused++;
		/*
		 * Servers ask for the roots the bridge declares (for its
		 * clients, by default) as soon as they are initialized, with
		 * no client there to ask: expected, so said once per start
		 * and quietly.  Asked while a client waits, it is news.
		 */
		if (strcmp(method, "roots/list") == 0 &&
		    TAILQ_EMPTY(&c->busy)) {
			if (!c->roots_told)
				log_debug("%s from the server refused: %s "
				    "(no client is asking anything)", method,
				    why);
			c->roots_told = 1;
		} else if (why == mux_route_ambiguous) {
			/* A client's call fails for want of a certain route,
			 * which turns give: worth a warning, with the remedy
			 * (attack20 F10). */
			log_warnx("%s from the server refused: %s; a tool "
			    "whose calls ask their client takes turns once "
			    "named with --asking-tools or seen asking", method,
			    why);
		} else {
			log_info("%s from the server refused: %s", method,
			    why);
		}
		xasprintf(&text, "mcpbridge cannot route %s: %s", method, why);
		mux_to_child(m, c, jsonrpc_error_new(id, JSONRPC_INTERNAL_ERROR,
		    text, NULL));
		free(text);
		json_object_put(msg);
		return;
	}
	if (hmap_find(&c->sreqs, jsonrpc_id_hash(id), mux_sreq_cid_match, id) !=
	    NULL) {
		mux_to_child(m, c, jsonrpc_error_new(id,
		    JSONRPC_INVALID_REQUEST, "Request id is already in use by "
		    "a request in flight", NULL));
		json_object_put(msg);
		return;
	}
	if (mreq != NULL) {
		mux_modern_client_input(m, c, mreq, msg);
		return;
	}

	/* Asked before the routing's state changes below. */
	cause = mux_route_cause(m, c, s, msg);
	sr = xcalloc(1, sizeof *sr);
	sr->bid = mux_next_id(m);
	sr->child = c;
	sr->s = s;
	sr->cid = jsonrpc_id_copy(id);
	sr->cidh = jsonrpc_id_hash(id);
	if ((out = jsonrpc_progress_token(msg)) != NULL)
		sr->ptoken = jsonrpc_id_copy(out);
	sr->stream = mux_session_stream(s);
	sr->tasks = strncmp(method, "tasks/", 6) == 0;
	hmap_add(&m->sreqs, hmap_mix(sr->bid), sr);
	hmap_add(&c->sreqs, sr->cidh, sr);
	TAILQ_INSERT_TAIL(&s->sreqs, sr, sentry);

	if (strcmp(method, "elicitation/create") == 0 &&
	    (eid = jsonrpc_get_str(params, "elicitationId")) != NULL)
		mux_elicit_record(c, s, eid);

	/* The bridge's hints are for the bridge. */
	out = modern_strip_hints(msg);
	json_object_put(msg);
	msg = out;
	/* A client's task goes by the id the client gave it (mux_route
	 * sent it to nobody else). */
	params = NULL;
	if (strncmp(jsonrpc_method(msg), "tasks/", 6) == 0 &&
	    (eid = jsonrpc_get_str(jsonrpc_params(msg), "taskId")) != NULL &&
	    (t = mux_task_find(c, 1, eid)) != NULL && t->s == s) {
		params = jsonrpc_copy_shallow(jsonrpc_params(msg), NULL);
		json_object_object_add(params, "taskId",
		    json_object_new_string(t->orig));
	}
	params = mux_route_span(m, s, msg, sr->bid, cause, params);
	out = mux_rewrite_request(msg, sr->bid, params);
	mux_to_session(m, s, sr->stream, 0, out);
	json_object_put(msg);
}

/* The one client request a 2026-07-28 child works on, or NULL (none or
 * several; listens and requests waiting for their client do not count). */
static struct mux_req *
mux_sole_request(struct mux_child *c)
{
	struct mux_req	*req, *found = NULL;

	TAILQ_FOREACH(req, &c->reqs, centry) {
		if (req->kind != MUX_REQ_CLIENT || req->s == NULL ||
		    (req->flags & MUX_REQ_F_LISTEN) ||
		    (req->xr != NULL && !TAILQ_EMPTY(&req->xr->inputs)))
			continue;
		if (found != NULL)
			return NULL;
		found = req;
	}
	return found;
}

/*
 * notifications/message: like a request of the child's, to the session it
 * names (mux_named), else to the one that can have caused it (the one
 * session with requests in flight; at a 2026-07-28 child, the one
 * request), else to nobody: a log line may carry a tool's output, and no
 * client sees another's.  The session gets it only at or above its own
 * level; a 2026-07-28 request only if it asked for a level.
 */
static void
mux_child_log(struct mux *m, struct mux_child *c, json_object *msg)
{
	struct mux_session	*s;
	struct mux_req		*req;
	const char		*why = NULL, *withheld;
	uint64_t		 stream;
	int			 level;

	level = mcpwire_level(jsonrpc_get_str(jsonrpc_params(msg), "level"));
	if (!mux_named(m, c, msg, &s, &req, &why)) {
		if (c->modern) {
			if ((req = mux_sole_request(c)) != NULL)
				s = req->s;
		} else if ((s = TAILQ_FIRST(&c->busy)) != NULL &&
		    TAILQ_NEXT(s, bentry) != NULL)
			s = NULL;
		why = c->modern ? "not one request in flight" :
		    "not one session with requests in flight";
		if (s != NULL && (withheld = mux_guess_withheld(m, c, s,
		    MUX_GUESS_LOG)) != NULL) {
			s = NULL;
			why = withheld;
		}
	}
	if (s != NULL && req == NULL && (c->modern ||
	    s->transport == MUX_TRANSPORT_STATELESS)) {
		/* A 2026-07-28 log line belongs to a request. */
		if (s->nreqs == 1)
			req = TAILQ_FIRST(&s->reqs);
		else {
			s = NULL;
			why = "not one request of its session in flight";
		}
	}
	if (s != NULL && !s->initialized &&
	    s->transport != MUX_TRANSPORT_STATELESS) {
		s = NULL;
		why = "its session is not initialized";
	}
	if (s == NULL) {
		m->stats.log_lines_dropped++;
		log_debug("log line from the server dropped: %s", why);
		return;
	}
	/* 2026-07-28: only for a request that asked with a logLevel. */
	if ((c->modern || s->transport == MUX_TRANSPORT_STATELESS) &&
	    s->level < 0)
		return;
	if (s->level >= 0 && level >= 0 && level < s->level)
		return;
	stream = req != NULL ? req->stream : mux_session_notify_stream(s);
	/* The bridge's hints are for the bridge. */
	mux_to_session(m, s, stream, 0, modern_strip_hints(msg));
}

static void
mux_child_notification(struct mux *m, struct mux_child *c, json_object *msg)
{
	struct mux_session	*s;
	struct mux_prog		*p;
	struct mux_sreq		*sr;
	struct mux_sub		*sub;
	struct mux_subref	*ref;
	struct mux_task		*t;
	struct mux_elicit	*e;
	json_object		*params, *v;
	const char		*method, *id, *status;
	uint64_t		 token;

	/* Whoever's listen it comes on, if any, the tool annotations may be
	 * stale now. */
	if (strcmp(jsonrpc_method(msg), "notifications/tools/list_changed") ==
	    0) {
		json_object_put(c->tool_headers);
		c->tool_headers = NULL;
	}
	if (c->modern && (msg = mux_modern_child_notification(m, c,
	    msg)) == NULL)
		return;
	params = jsonrpc_params(msg);
	method = jsonrpc_method(msg);
	if (strcmp(method, "notifications/progress") == 0) {
		token = json_object_object_get_ex(params, "progressToken", &v) ?
		    mux_get_bid(v) : 0;
		if (token == 0 || (p = hmap_find(&m->progs, hmap_mix(token),
		    mux_prog_match, &token)) == NULL)
			goto drop;
		params = jsonrpc_copy_shallow(params, NULL);
		json_object_object_add(params, "progressToken",
		    jsonrpc_id_copy(p->orig));
		mux_to_session(m, p->s, p->req != NULL ? p->req->stream :
		    mux_session_notify_stream(p->s), 0,
		    jsonrpc_notification_new(method, params));
	} else if (strcmp(method, "notifications/cancelled") == 0) {
		/* The child gave up on a request it sent a session. */
		if (!json_object_object_get_ex(params, "requestId", &v) ||
		    v == NULL || (sr = hmap_find(&c->sreqs, jsonrpc_id_hash(v),
		    mux_sreq_cid_match, v)) == NULL)
			goto drop;
		/* A question for a 2026-07-28 client is just forgotten. */
		if (sr->req != NULL) {
			mux_sreq_free(m, sr);
			goto drop;
		}
		params = jsonrpc_copy_shallow(params, NULL);
		json_object_object_add(params, "requestId",
		    json_object_new_int64((int64_t)sr->bid));
		mux_to_session(m, sr->s, sr->stream, 0,
		    jsonrpc_notification_new(method, params));
		mux_sreq_free(m, sr);
	} else if (strcmp(method, "notifications/message") == 0)
		mux_child_log(m, c, msg);
	else if (strcmp(method, "notifications/resources/updated") == 0) {
		if ((id = jsonrpc_get_str(params, "uri")) == NULL ||
		    (sub = mux_sub_find(c, id)) == NULL)
			goto drop;
		TAILQ_FOREACH(ref, &sub->refs, bentry) {
			if (ref->s->transport != MUX_TRANSPORT_STATELESS)
				mux_to_session(m, ref->s, 0, 0,
				    json_object_get(msg));
			else if (ref->s->listening)
				mux_to_session(m, ref->s, ref->s->listen_stream,
				    0, modern_listen_tag(msg,
				    ref->s->listen_id));
		}
	} else if (strcmp(method, "notifications/tools/list_changed") == 0 ||
	    strcmp(method, "notifications/prompts/list_changed") == 0 ||
	    strcmp(method, "notifications/resources/list_changed") == 0) {
		TAILQ_FOREACH(s, &c->sessions, centry) {
			if (s->transport == MUX_TRANSPORT_STATELESS) {
				/* Only listen streams that asked for it. */
				if (s->listening && (s->listen_flags &
				    modern_listen_flag(method)))
					mux_to_session(m, s, s->listen_stream,
					    0, modern_listen_tag(msg,
					    s->listen_id));
			} else if (s->initialized)
				mux_to_session(m, s, 0, 0,
				    json_object_get(msg));
		}
	} else if (strcmp(method, "notifications/tasks/status") == 0) {
		if ((id = jsonrpc_get_str(params, "taskId")) == NULL ||
		    (t = mux_task_find(c, 0, id)) == NULL)
			goto drop;
		mux_to_session(m, t->s, mux_session_notify_stream(t->s), 0,
		    json_object_get(msg));
		/* Its progress token ends with the task; ownership stays. */
		status = jsonrpc_get_str(params, "status");
		if (t->prog != NULL && status != NULL &&
		    (strcmp(status, "completed") == 0 ||
		    strcmp(status, "failed") == 0 ||
		    strcmp(status, "cancelled") == 0))
			mux_prog_free(m, t->prog);
	} else if (strcmp(method, "notifications/elicitation/complete") == 0) {
		if ((id = jsonrpc_get_str(params, "elicitationId")) == NULL ||
		    (e = hmap_find(&c->elicits, hmap_hash_str(id),
		    mux_elicit_match, id)) == NULL)
			goto drop;
		s = e->s;
		mux_elicit_free(c, e);
		mux_to_session(m, s, mux_session_notify_stream(s), 0,
		    json_object_get(msg));
	} else if ((id = jsonrpc_get_str(jsonrpc_get(jsonrpc_get(params,
	    "_meta", json_type_object), MCP_META_RELATED_TASK,
	    json_type_object), "taskId")) != NULL &&
	    (t = mux_task_find(c, 0, id)) != NULL)
		mux_to_session(m, t->s, mux_session_notify_stream(t->s), 0,
		    json_object_get(msg));
	else if (c->owner != NULL && !c->owner->ended)
		mux_to_session(m, c->owner, mux_session_notify_stream(c->owner),
		    0, json_object_get(msg));
	else {
		/* Whose it is cannot be known; no client sees another's. */
		log_debug("%s from the server dropped: no owner", method);
	}

drop:
	json_object_put(msg);
}

void
mux_route_child(struct mux *m, struct mux_child *c, json_object *msg)
{
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_RESPONSE:
		mux_route_child_response(m, c, msg);
		break;
	case JSONRPC_REQUEST:
		mux_child_request(m, c, msg);
		break;
	case JSONRPC_NOTIFICATION:
		mux_child_notification(m, c, msg);
		break;
	case JSONRPC_BATCH:
	case JSONRPC_INVALID:
		log_warnx("invalid message from the server dropped");
		json_object_put(msg);
		break;
	}
}
