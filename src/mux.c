/*
 * mux.c: many client sessions over one stdio child (or one child each).
 *
 * The bridge is the shared child's only client: it initializes the child
 * itself, answers each client's initialize from the child's recorded result
 * and rewrites everything that names something in a per-connection space
 * (request ids, progress tokens, subscriptions, log levels, tasks) so that
 * no client sees another's traffic.
 *
 * The state and who owns what: mux_int.h.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdarg.h>
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
#include "xmalloc.h"

static void	 mux_child_lost(struct mux *, struct mux_child *, const char *);
static enum mux_recv mux_process(struct mux *, struct mux_session *,
		    json_object *, uint64_t);

/* ---- small helpers ---------------------------------------------------- */

int
mux_req_match(const void *v, const void *key)
{
	return ((const struct mux_req *)v)->cid == *(const uint64_t *)key;
}

int
mux_req_id_match(const void *v, const void *key)
{
	return jsonrpc_id_equal(((const struct mux_req *)v)->id,
	    (json_object *)key);
}

static int
mux_prog_match(const void *v, const void *key)
{
	return ((const struct mux_prog *)v)->token == *(const uint64_t *)key;
}

static int
mux_sreq_match(const void *v, const void *key)
{
	return ((const struct mux_sreq *)v)->bid == *(const uint64_t *)key;
}

static int
mux_sreq_cid_match(const void *v, const void *key)
{
	return jsonrpc_id_equal(((const struct mux_sreq *)v)->cid,
	    (json_object *)key);
}

static int
mux_task_match(const void *v, const void *key)
{
	return strcmp(((const struct mux_task *)v)->id, key) == 0;
}

static int
mux_task_orig_match(const void *v, const void *key)
{
	return strcmp(((const struct mux_task *)v)->orig, key) == 0;
}

static int
mux_elicit_match(const void *v, const void *key)
{
	return strcmp(((const struct mux_elicit *)v)->id, key) == 0;
}

static int
mux_sub_match(const void *v, const void *key)
{
	return strcmp(((const struct mux_sub *)v)->uri, key) == 0;
}

void
mux_add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

/* A positive integer id we may have issued, or 0. */
uint64_t
mux_get_bid(json_object *id)
{
	int64_t	v;

	if (!json_object_is_type(id, json_type_int))
		return 0;
	v = json_object_get_int64(id);
	if (v <= 0 || (uint64_t)v > MUX_ID_MAX)
		return 0;
	return (uint64_t)v;
}

/* A new object sharing o's members: rewrite one key without touching o. */
json_object *
mux_copy_object(json_object *o)
{
	json_object	*n;

	n = json_object_new_object();
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v)
			json_object_object_add(n, k, json_object_get(v));
	}
	return n;
}

/* {"jsonrpc":"2.0","id":id,key:v}; id and v are consumed. */
json_object *
mux_answer_new(json_object *id, const char *key, json_object *v)
{
	json_object	*o;

	o = json_object_new_object();
	mux_add(o, "jsonrpc", json_object_new_string("2.0"));
	mux_add(o, "id", id);
	mux_add(o, key, v);
	return o;
}

uint64_t
mux_next_id(struct mux *m)
{
	uint64_t	id, h;

	for (;;) {
		if (m->next_id >= MUX_ID_MAX) {
			m->next_id = 0;
			m->wrapped = 1;
		}
		id = ++m->next_id;
		/* After a wrap, skip ids in use (one space for all three). */
		if (!m->wrapped)
			return id;
		h = hmap_mix(id);
		if (hmap_find(&m->reqs, h, mux_req_match, &id) == NULL &&
		    hmap_find(&m->progs, h, mux_prog_match, &id) == NULL &&
		    hmap_find(&m->sreqs, h, mux_sreq_match, &id) == NULL)
			return id;
	}
}

/* ---- the outbox ------------------------------------------------------- */

/* msg is consumed (NULL for the message-less kinds). */
static void
mux_out_push(struct mux *m, enum mux_out_kind kind, struct mux_session *s,
    uint64_t stream, int final, json_object *msg)
{
	struct mux_out	*o, *n;
	size_t		 i, cap;

	if (m->outs_len == m->outs_cap) {
		cap = m->outs_cap == 0 ? 64 : m->outs_cap * 2;
		n = xreallocarray(NULL, cap, sizeof *n);
		for (i = 0; i < m->outs_len; i++)
			n[i] = m->outs[(m->outs_head + i) % m->outs_cap];
		free(m->outs);
		m->outs = n;
		m->outs_cap = cap;
		m->outs_head = 0;
	}
	o = &m->outs[(m->outs_head + m->outs_len) % m->outs_cap];
	o->kind = kind;
	o->session = s;
	o->stream = stream;
	o->final = final;
	o->msg = msg;
	m->outs_len++;
	if (s != NULL)
		s->nouts++;
}

/* Drops the queued outs naming s, keeping the order of the rest. */
static void
mux_out_purge(struct mux *m, struct mux_session *s)
{
	struct mux_out	*o;
	size_t		 i, n;

	if (s->nouts == 0)
		return;
	for (i = n = 0; i < m->outs_len; i++) {
		o = &m->outs[(m->outs_head + i) % m->outs_cap];
		if (o->session == s) {
			if (o->msg != NULL)
				json_object_put(o->msg);
			continue;
		}
		m->outs[(m->outs_head + n) % m->outs_cap] = *o;
		n++;
	}
	m->outs_len = n;
	s->nouts = 0;
}

void
mux_to_child(struct mux *m, struct mux_child *c, json_object *msg)
{
	mux_out_push(m, MUX_OUT_CHILD, c->owner, 0, 0, msg);
}

void
mux_to_session(struct mux *m, struct mux_session *s, uint64_t stream,
    int final, json_object *msg)
{
	mux_out_push(m, MUX_OUT_SESSION, s, stream, final, msg);
}

static void
mux_batch_done(struct mux *m, struct mux_batch *b)
{
	if (--b->pending > 0)
		return;
	if (!b->s->closing && json_object_array_length(b->answers) > 0)
		mux_to_session(m, b->s, b->stream, 1, b->answers);
	else {
		/* All cancelled: the stream ends with no answer. */
		if (!b->s->closing && b->cancelled)
			mux_to_session(m, b->s, b->stream, 1, NULL);
		json_object_put(b->answers);
	}
	free(b);
}

/* The answer to a client message: alone and final, or into its batch. */
void
mux_reply(struct mux *m, struct mux_session *s, uint64_t stream,
    struct mux_batch *b, json_object *msg)
{
	if (b != NULL)
		json_object_array_add(b->answers, msg);
	else
		mux_to_session(m, s, stream, 1, msg);
}

void
mux_error(struct mux *m, struct mux_session *s, uint64_t stream,
    struct mux_batch *b, json_object *id, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	mux_reply(m, s, stream, b, jsonrpc_error_new(id, code, text, NULL));
	free(text);
}

/* Server requests: the in-flight request's stream, the newest of several. */
static uint64_t
mux_session_stream(struct mux_session *s)
{
	struct mux_req	*req;

	if ((req = TAILQ_LAST(&s->reqs, mux_reqs)) == NULL)
		return 0;
	return req->stream;
}

/* Unrelated notifications: the one request's stream, else the general one. */
static uint64_t
mux_session_notify_stream(struct mux_session *s)
{
	if (s->nreqs != 1)
		return 0;
	return TAILQ_FIRST(&s->reqs)->stream;
}

/* ---- requests towards the child --------------------------------------- */

struct mux_req *
mux_req_new(struct mux *m, struct mux_child *c, enum mux_req_kind kind)
{
	struct mux_req	*req;

	req = xcalloc(1, sizeof *req);
	req->cid = mux_next_id(m);
	req->kind = kind;
	req->child = c;
	TAILQ_INIT(&req->xinputs);
	hmap_add(&m->reqs, hmap_mix(req->cid), req);
	TAILQ_INSERT_TAIL(&c->reqs, req, centry);
	return req;
}

static void
mux_prog_free(struct mux *m, struct mux_prog *p)
{
	hmap_del(&m->progs, hmap_mix(p->token), p);
	if (p->req != NULL)
		p->req->prog = NULL;
	if (p->task != NULL)
		p->task->prog = NULL;
	json_object_put(p->orig);
	free(p);
}

static void
mux_orphans_clear(struct mux_child *c)
{
	struct mux_orphan	*r;

	while ((r = TAILQ_FIRST(&c->orphans)) != NULL) {
		TAILQ_REMOVE(&c->orphans, r, entry);
		free(r);
	}
	c->norphans = 0;
	c->orphans_blind = 0;
	c->nrecent = 0;
	c->recent_blind = 0;
}

static void
mux_orphan_del(struct mux_child *c, struct mux_orphan *r)
{
	TAILQ_REMOVE(&c->orphans, r, entry);
	c->norphans--;
	free(r);
}

/* Forgets what has expired (all expire MUX_ORPHAN_GRACE_MS after they
 * were made: the oldest first). */
static void
mux_orphans_expire(struct mux *m, struct mux_child *c)
{
	struct mux_orphan	*r;

	while ((r = TAILQ_FIRST(&c->orphans)) != NULL && r->expires <= m->now)
		mux_orphan_del(c, r);
}

/* Whose token a client's request came with (a parked 2026-07-28 request
 * has no session but keeps its caller's). */
static uint64_t
mux_req_principal(const struct mux_req *req)
{
	if (req->s != NULL)
		return req->s->principal;
	if (req->mr != NULL)
		return req->mr->principal;
	return 0;
}

/*
 * The client request req ends, its answer not from the child (cancelled,
 * timed out, its session gone) though the child may still work on it.
 * Its own child's lines are its session's whatever it works on.
 */
void
mux_req_orphan(struct mux *m, struct mux_req *req)
{
	struct mux_child	*c = req->child;
	struct mux_orphan	*r;

	if (req->kind != MUX_REQ_CLIENT || (req->flags & MUX_REQ_F_LISTEN) ||
	    c->owner != NULL || !c->up)
		return;
	if (c->norphans >= MUX_ORPHANS_MAX) {
		/* Forgotten, but not whose it could be: anybody's. */
		r = TAILQ_FIRST(&c->orphans);
		if (r->expires > c->orphans_blind)
			c->orphans_blind = r->expires;
		mux_orphan_del(c, r);
	}
	r = xcalloc(1, sizeof *r);
	r->cid = req->cid;
	r->serial = req->s != NULL ? req->s->serial : 0;
	r->principal = mux_req_principal(req);
	r->expires = m->now + MUX_ORPHAN_GRACE_MS;
	TAILQ_INSERT_TAIL(&c->orphans, r, entry);
	c->norphans++;
}

/*
 * The child answered a request of principal now: what it writes next may
 * be about it.  A principal already known just gets the new time; a new
 * one beyond MUX_RECENT_MAX takes the oldest's place, whose window is
 * then anybody's.
 */
static void
mux_recent_answered(struct mux *m, struct mux_child *c, uint64_t principal)
{
	struct mux_recent	*r, *old = NULL;
	size_t			 i;

	if (c->owner != NULL)
		return;
	for (i = 0; i < c->nrecent; i++) {
		r = &c->recent[i];
		if (r->principal == principal) {
			r->at = m->now;
			return;
		}
		if (old == NULL || r->at < old->at)
			old = r;
	}
	if (c->nrecent < MUX_RECENT_MAX)
		r = &c->recent[c->nrecent++];
	else {
		if (old->at + MUX_RECENT_ANSWER_MS > c->recent_blind)
			c->recent_blind = old->at + MUX_RECENT_ANSWER_MS;
		r = old;
	}
	r->principal = principal;
	r->at = m->now;
}

/* Did the child answer a request of a principal other than s's within
 * MUX_RECENT_ANSWER_MS? */
static int
mux_recent_other(struct mux *m, struct mux_child *c, struct mux_session *s)
{
	size_t	i;

	if (c->recent_blind > m->now)
		return 1;
	for (i = 0; i < c->nrecent; i++) {
		if (c->recent[i].principal != s->principal &&
		    c->recent[i].at + MUX_RECENT_ANSWER_MS > m->now)
			return 1;
	}
	return 0;
}

/* The child answered request cid late: it is done with it, and what it
 * writes next may be about it. */
static void
mux_orphan_answered(struct mux *m, struct mux_child *c, uint64_t cid)
{
	struct mux_orphan	*r;

	TAILQ_FOREACH(r, &c->orphans, entry) {
		if (r->cid == cid) {
			mux_recent_answered(m, c, r->principal);
			mux_orphan_del(c, r);
			return;
		}
	}
}

/*
 * Is a request of principal, made in the session serial (0: none now),
 * someone else's than s's?  With tokens, a principal's sessions are one
 * user's; without (principal 0 on both sides), each session is its own
 * anonymous client, and a request with no session is anybody's.
 */
static int
mux_principal_other(uint64_t principal, uint64_t serial,
    const struct mux_session *s)
{
	if (principal == 0 && s->principal == 0)
		return serial == 0 || serial != s->serial;
	return principal != s->principal;
}

/*
 * Can what the child did not attribute be about another's request than
 * s's: one the child was not done with when its session stopped waiting,
 * or a 2026-07-28 request parked for its client's input, whose tool the
 * child is still in?  A parked request counts as an orphan does, for
 * MUX_ORPHAN_GRACE_MS after it parked: a client that never comes back
 * must not hold every other's guesses until its state expires.
 */
static int
mux_orphans_other(struct mux *m, struct mux_child *c, struct mux_session *s)
{
	struct mux_orphan	*r;
	struct mux_req		*req;

	mux_orphans_expire(m, c);
	if (c->orphans_blind > m->now)
		return 1;
	TAILQ_FOREACH(r, &c->orphans, entry) {
		if (mux_principal_other(r->principal, r->serial, s))
			return 1;
	}
	/* Newest first: all park for as long, so they are by parking time. */
	TAILQ_FOREACH_REVERSE(req, &m->parked, mux_reqs, wentry) {
		if (req->mr->parked + MUX_ORPHAN_GRACE_MS <= m->now)
			break;
		/* Answered while parked (late): the child is done with it. */
		if (req->child == c && req->mr->late == NULL &&
		    mux_principal_other(req->mr->principal, 0, s))
			return 1;
	}
	return 0;
}

/* What a withheld guess is about: a request, or a log line. */
enum mux_guess {
	MUX_GUESS_REQUEST = 0,
	MUX_GUESS_LOG,
};

/*
 * A guess that s is who the child means, for a request or log line it did
 * not attribute, is withheld while another's request may be its cause:
 * one the child may still work on (mux_orphans_other), or one it just
 * answered (mux_recent_other).  Returns why (and counts it), or NULL if
 * the guess stands.
 */
static const char *
mux_guess_withheld(struct mux *m, struct mux_child *c, struct mux_session *s,
    enum mux_guess what)
{
	static const char *const orphan[] = {
		[MUX_GUESS_REQUEST] = "a request of another client the server "
		    "may still work on (ended unanswered, or parked for its "
		    "input) may have caused it",
		[MUX_GUESS_LOG] = "it may be about a request of another "
		    "client the server may still work on (ended unanswered, "
		    "or parked for its input)",
	};
	static const char *const recent[] = {
		[MUX_GUESS_REQUEST] = "the request of another principal's "
		    "session the server just answered may have caused it",
		[MUX_GUESS_LOG] = "it may be about the request of another "
		    "principal's session the server just answered",
	};
	const char	*why;

	if (mux_orphans_other(m, c, s))
		why = orphan[what];
	else if (mux_recent_other(m, c, s))
		why = recent[what];
	else
		return NULL;
	m->stats.guesses_withheld++;
	return why;
}

/*
 * A client's request now answers to s, under the client's id (copied) and
 * on stream: in s's id map and request list, its session the newest busy
 * one, its timeout armed.
 */
void
mux_req_attach(struct mux *m, struct mux_req *req, struct mux_session *s,
    json_object *id, uint64_t stream)
{
	struct mux_child	*c = req->child;

	req->s = s;
	req->id = jsonrpc_id_copy(id);
	req->idh = jsonrpc_id_hash(id);
	hmap_add(&s->ids, req->idh, req);
	req->stream = stream;

	/* The newest request moves its session to the end of the busy list. */
	if (s->nreqs++ > 0)
		TAILQ_REMOVE(&c->busy, s, bentry);
	TAILQ_INSERT_TAIL(&c->busy, s, bentry);
	TAILQ_INSERT_TAIL(&s->reqs, req, sentry);

	/* A subscription is no request waiting for its answer. */
	if (!(req->flags & MUX_REQ_F_LISTEN))
		m->stats.in_flight++;
	if (m->cfg.request_timeout_ms != 0 &&
	    !(req->flags & MUX_REQ_F_LISTEN)) {
		req->deadline = m->now + m->cfg.request_timeout_ms;
		if (req->deadline == 0)
			req->deadline = 1;
		TAILQ_INSERT_TAIL(&m->timeouts, req, tentry);
	}
}

/* The opposite: req answers to nobody now (a parked 2026-07-28 request). */
void
mux_req_detach(struct mux *m, struct mux_req *req)
{
	struct mux_session	*s = req->s;

	if (s != NULL) {
		hmap_del(&s->ids, req->idh, req);
		TAILQ_REMOVE(&s->reqs, req, sentry);
		if (--s->nreqs == 0)
			TAILQ_REMOVE(&req->child->busy, s, bentry);
		if (!(req->flags & MUX_REQ_F_LISTEN))
			m->stats.in_flight--;
		req->s = NULL;
	}
	if (req->deadline != 0)
		TAILQ_REMOVE(&m->timeouts, req, tentry);
	req->deadline = 0;
	if (req->prog != NULL)
		mux_prog_free(m, req->prog);
	json_object_put(req->id);
	req->id = NULL;
}

/* Unlinks and frees req; its batch is the caller's (see mux_req_finish). */
void
mux_req_free(struct mux *m, struct mux_req *req)
{
	struct mux_sreq	*sr;
	json_object	*params;

	hmap_del(&m->reqs, hmap_mix(req->cid), req);
	TAILQ_REMOVE(&req->child->reqs, req, centry);
	mux_req_detach(m, req);
	if (req->mr != NULL)
		mux_modern_client_mreq_free(m, req);
	while ((sr = TAILQ_FIRST(&req->xinputs)) != NULL) {
		/* The session need not answer what nobody waits for now. */
		if (!sr->s->closing && !sr->s->ended) {
			params = json_object_new_object();
			mux_add(params, "requestId",
			    json_object_new_int64((int64_t)sr->bid));
			mux_add(params, "reason", json_object_new_string(
			    "the request that asked ended"));
			mux_to_session(m, sr->s, sr->stream, 0,
			    jsonrpc_notification_new("notifications/cancelled",
			    params));
		}
		mux_sreq_free(m, sr);
	}
	if (req->child->probe == req)
		req->child->probe = NULL;
	if (req->child->listen == req)
		req->child->listen = NULL;
	free(req->method);
	json_object_put(req->params);
	json_object_put(req->xresp);
	json_object_put(req->xstate);
	free(req->uri);
	free(req);
}

/*
 * Ends a client's request: answer (consumed, may be NULL when none is owed
 * any more) goes to the session, alone or into its batch.
 */
void
mux_req_finish(struct mux *m, struct mux_req *req, json_object *answer)
{
	struct mux_session	*s = req->s;
	struct mux_batch	*b = req->batch;
	uint64_t		 stream = req->stream;

	mux_req_free(m, req);
	if (answer != NULL) {
		if (b != NULL)
			json_object_array_add(b->answers, answer);
		else if (s != NULL)
			mux_to_session(m, s, stream, 1, answer);
		else
			json_object_put(answer);	/* parked: nobody */
	}
	if (b != NULL)
		mux_batch_done(m, b);
}

/* The bridge's own request to a child; the answer is only logged. */
void
mux_own_request(struct mux *m, struct mux_child *c, const char *method,
    json_object *params, unsigned flags)
{
	struct mux_req	*req;

	req = mux_req_new(m, c, MUX_REQ_OWN);
	req->flags = flags;
	mux_to_child(m, c, jsonrpc_request_new((int64_t)req->cid, method,
	    params));
}

/* The request as the child sees it: our id, params replaced if given. */
static json_object *
mux_rewrite_request(json_object *msg, uint64_t cid, json_object *params)
{
	json_object	*o, *v;

	o = json_object_new_object();
	mux_add(o, "jsonrpc", json_object_new_string("2.0"));
	mux_add(o, "id", json_object_new_int64((int64_t)cid));
	if (json_object_object_get_ex(msg, "method", &v))
		mux_add(o, "method", json_object_get(v));
	if (params != NULL)
		mux_add(o, "params", params);
	else if (json_object_object_get_ex(msg, "params", &v))
		mux_add(o, "params", json_object_get(v));
	return o;
}

/*
 * Sends a client's request to its child under a new id (and progress
 * token).  msg is consumed; params, if not NULL, replaces msg's params and
 * is consumed too.
 */
struct mux_req *
mux_forward(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b, unsigned flags, json_object *params)
{
	struct mux_child	*c = s->child;
	struct mux_req		*req;
	struct mux_prog		*p;
	json_object		*token = NULL, *meta, *src, *n;

	req = mux_req_new(m, c, MUX_REQ_CLIENT);
	req->flags = flags;
	if (strcmp(jsonrpc_method(msg), "tools/list") == 0)
		req->flags |= MUX_REQ_F_TOOLS_LIST;
	mux_req_attach(m, req, s, jsonrpc_id(msg), stream);
	if ((req->batch = b) != NULL)
		b->pending++;
	m->stats.requests++;

	/*
	 * Two clients may both use token 1: the child sees ours, the cid.
	 * Replaced params keep the client's token only if they carry it.
	 */
	src = params != NULL ? params : jsonrpc_params(msg);
	json_object_object_get_ex(jsonrpc_get(src, "_meta", json_type_object),
	    "progressToken", &token);
	if (!json_object_is_type(token, json_type_string) &&
	    !json_object_is_type(token, json_type_int))
		token = NULL;
	if (token != NULL) {
		p = xcalloc(1, sizeof *p);
		p->token = req->cid;
		p->s = s;
		p->orig = jsonrpc_id_copy(token);
		p->req = req;
		req->prog = p;
		hmap_add(&m->progs, hmap_mix(p->token), p);

		n = mux_copy_object(src);
		json_object_object_get_ex(n, "_meta", &meta);
		meta = mux_copy_object(meta);
		json_object_object_add(meta, "progressToken",
		    json_object_new_int64((int64_t)p->token));
		json_object_object_add(n, "_meta", meta);
		if (params != NULL)
			json_object_put(params);
		params = n;
	}

	/* A translated request may be retried with answers to questions. */
	if ((flags & MUX_REQ_F_TRANSLATE) &&
	    modern_method_mrtr(jsonrpc_method(msg))) {
		req->method = xstrdup(jsonrpc_method(msg));
		req->params = json_object_get(params != NULL ? params :
		    jsonrpc_params(msg));
	}
	mux_to_child(m, c, mux_rewrite_request(msg, req->cid, params));
	json_object_put(msg);
	return req;
}

/* ---- per-session state at a child --------------------------------------- */

void
mux_subref_free(struct mux_subref *ref)
{
	TAILQ_REMOVE(&ref->sub->refs, ref, bentry);
	TAILQ_REMOVE(&ref->s->subs, ref, sentry);
	ref->sub->n--;
	free(ref);
}

struct mux_subref *
mux_subref_find(struct mux_sub *sub, struct mux_session *s)
{
	struct mux_subref	*ref;

	TAILQ_FOREACH(ref, &sub->refs, bentry) {
		if (ref->s == s)
			return ref;
	}
	return NULL;
}

void
mux_subref_add(struct mux_sub *sub, struct mux_session *s)
{
	struct mux_subref	*ref;

	ref = xcalloc(1, sizeof *ref);
	ref->sub = sub;
	ref->s = s;
	TAILQ_INSERT_TAIL(&sub->refs, ref, bentry);
	TAILQ_INSERT_TAIL(&s->subs, ref, sentry);
	sub->n++;
}

struct mux_sub *
mux_sub_find(struct mux_child *c, const char *uri)
{
	return hmap_find(&c->subs, hmap_hash_str(uri), mux_sub_match, uri);
}

struct mux_sub *
mux_sub_new(struct mux_child *c, const char *uri)
{
	struct mux_sub	*sub;

	sub = xcalloc(1, sizeof *sub);
	sub->uri = xstrdup(uri);
	TAILQ_INIT(&sub->refs);
	hmap_add(&c->subs, hmap_hash_str(uri), sub);
	return sub;
}

void
mux_sub_free(struct mux_child *c, struct mux_sub *sub)
{
	hmap_del(&c->subs, hmap_hash_str(sub->uri), sub);
	free(sub->uri);
	free(sub);
}

static struct mux_task *
mux_task_find(struct mux_child *c, int client_side, const char *id)
{
	return hmap_find(client_side ? &c->ctasks : &c->tasks,
	    hmap_hash_str(id), mux_task_match, id);
}

static void
mux_task_free(struct mux *m, struct mux_task *t)
{
	struct mux_child	*c = t->child;

	hmap_del(t->client_side ? &c->ctasks : &c->tasks, hmap_hash_str(t->id),
	    t);
	if (t->client_side)
		hmap_del(&t->s->ctasks, hmap_hash_str(t->orig), t);
	TAILQ_REMOVE(&t->s->tasks, t, sentry);
	if (t->prog != NULL)
		mux_prog_free(m, t->prog);
	json_object_put(t->ptoken);
	free(t->id);
	free(t->orig);
	free(t);
}

/* s's client task that s calls id, or NULL. */
static struct mux_task *
mux_task_own(struct mux_session *s, const char *id)
{
	return hmap_find(&s->ctasks, hmap_hash_str(id), mux_task_orig_match,
	    id);
}

/* A result that made a task (CreateTaskResult): the task is s's. */
static struct mux_task *
mux_task_record(struct mux *m, struct mux_child *c, struct mux_session *s,
    int client_side, json_object *result)
{
	struct mux_task	*t;
	const char	*id;

	if ((id = jsonrpc_get_str(jsonrpc_get(result, "task", json_type_object),
	    "taskId")) == NULL)
		return NULL;
	if (client_side) {
		/* The same id again replaces only s's own task of that id. */
		if ((t = mux_task_own(s, id)) != NULL)
			mux_task_free(m, t);
		t = xcalloc(1, sizeof *t);
		t->orig = xstrdup(id);
		xasprintf(&t->id, "mcpbridge-task-%" PRIu64, ++m->next_task);
		hmap_add(&s->ctasks, hmap_hash_str(t->orig), t);
	} else {
		if ((t = mux_task_find(c, 0, id)) != NULL)
			mux_task_free(m, t);
		t = xcalloc(1, sizeof *t);
		t->id = xstrdup(id);
	}
	t->client_side = client_side;
	t->child = c;
	t->s = s;
	hmap_add(client_side ? &c->ctasks : &c->tasks, hmap_hash_str(t->id), t);
	TAILQ_INSERT_TAIL(&s->tasks, t, sentry);
	return t;
}

/*
 * o (borrowed) with the taskId at key that names a client task of s
 * replaced by the bridge's id for it: a new object, or o itself (a new
 * reference) when there is nothing to replace; NULL when the id names no
 * task of s.
 */
static json_object *
mux_task_out(struct mux_session *s, json_object *o, const char *key)
{
	struct mux_task	*t;
	const char	*id;

	if ((id = jsonrpc_get_str(o, key)) == NULL)
		return json_object_get(o);
	if ((t = mux_task_own(s, id)) == NULL)
		return NULL;
	o = mux_copy_object(o);
	json_object_object_add(o, key, json_object_new_string(t->id));
	return o;
}

/*
 * A session's result for the shared child (new reference): the task ids
 * it names are the bridge's.  A task it made is recorded as s's; the
 * answer to a tasks/ request (tasks) has its ids replaced, and a tasks
 * list keeps the tasks the bridge knows of s only (the child could not
 * name the others).
 */
static json_object *
mux_task_result(struct mux *m, struct mux_child *c, struct mux_session *s,
    json_object *result, int tasks, json_object *ptoken)
{
	struct mux_task	*t;
	json_object	*out, *v, *e, *meta, *rel, *list;
	size_t		 i, n;

	if ((t = mux_task_record(m, c, s, 1, result)) != NULL) {
		t->ptoken = json_object_get(ptoken);
		v = mux_copy_object(jsonrpc_get(result, "task",
		    json_type_object));
		json_object_object_add(v, "taskId",
		    json_object_new_string(t->id));
		out = mux_copy_object(result);
		json_object_object_add(out, "task", v);
		return out;
	}
	if (!tasks)
		return json_object_get(result);
	/* A Task (tasks/get, tasks/cancel): its id, if s's. */
	if ((out = mux_task_out(s, result, "taskId")) == NULL)
		out = json_object_get(result);
	/* tasks/result: the related task of its _meta. */
	meta = jsonrpc_get(out, "_meta", json_type_object);
	if ((rel = jsonrpc_get(meta, MCP_META_RELATED_TASK,
	    json_type_object)) != NULL &&
	    (v = mux_task_out(s, rel, "taskId")) != NULL) {
		if (v != rel) {
			meta = mux_copy_object(meta);
			json_object_object_add(meta, MCP_META_RELATED_TASK, v);
			v = mux_copy_object(out);
			json_object_object_add(v, "_meta", meta);
			json_object_put(out);
			out = v;
		} else
			json_object_put(v);
	}
	/* tasks/list */
	if ((list = jsonrpc_get(out, "tasks", json_type_array)) != NULL) {
		v = json_object_new_array();
		n = json_object_array_length(list);
		for (i = 0; i < n; i++) {
			if ((e = mux_task_out(s, json_object_array_get_idx(list,
			    i), "taskId")) != NULL)
				json_object_array_add(v, e);
		}
		list = mux_copy_object(out);
		json_object_object_add(list, "tasks", v);
		json_object_put(out);
		out = list;
	}
	return out;
}

static void
mux_elicit_free(struct mux_child *c, struct mux_elicit *e)
{
	hmap_del(&c->elicits, hmap_hash_str(e->id), e);
	TAILQ_REMOVE(&e->s->elicits, e, sentry);
	free(e->id);
	free(e);
}

static void
mux_elicit_record(struct mux_child *c, struct mux_session *s, const char *id)
{
	struct mux_elicit	*e;

	if ((e = hmap_find(&c->elicits, hmap_hash_str(id), mux_elicit_match,
	    id)) != NULL)
		mux_elicit_free(c, e);
	e = xcalloc(1, sizeof *e);
	e->id = xstrdup(id);
	e->s = s;
	hmap_add(&c->elicits, hmap_hash_str(id), e);
	TAILQ_INSERT_TAIL(&s->elicits, e, sentry);
}

void
mux_sreq_free(struct mux *m, struct mux_sreq *sr)
{
	hmap_del(&m->sreqs, hmap_mix(sr->bid), sr);
	hmap_del(&sr->child->sreqs, sr->cidh, sr);
	if (sr->s != NULL)
		TAILQ_REMOVE(&sr->s->sreqs, sr, sentry);
	if (sr->req != NULL)
		TAILQ_REMOVE(&sr->req->mr->inputs, sr, rentry);
	if (sr->xreq != NULL)
		TAILQ_REMOVE(&sr->xreq->xinputs, sr, rentry);
	json_object_put(sr->cid);
	json_object_put(sr->ptoken);
	json_object_put(sr->ask);
	free(sr->key);
	free(sr);
}

int
mux_effective_level(struct mux_child *c)
{
	size_t	i;

	for (i = 0; i < MCPWIRE_NLEVELS; i++) {
		if (c->nlevel[i] > 0)
			return (int)i;
	}
	return -1;
}

/*
 * Releases what s holds at its child.  With tell, the child hears about
 * it: cancellations for s's requests in flight, unsubscribes for the last
 * subscriber, errors for requests it sent s, a less verbose log level.
 */
static void
mux_session_detach(struct mux *m, struct mux_session *s, int tell)
{
	struct mux_child	*c = s->child;
	struct mux_req		*req;
	struct mux_subref	*ref;
	struct mux_sub		*sub;
	struct mux_sreq		*sr;
	json_object		*params;
	int			 level, relisten = 0;

	tell = tell && c->up;
	while ((req = TAILQ_FIRST(&s->reqs)) != NULL) {
		/* A 2026-07-28 request's questions die with it. */
		if (req->mr != NULL)
			mux_modern_client_inputs_fail(m, req, tell,
			    "the client cancelled the request that asked");
		if (tell) {
			params = json_object_new_object();
			mux_add(params, "requestId",
			    json_object_new_int64((int64_t)req->cid));
			mux_add(params, "reason",
			    json_object_new_string("client session closed"));
			mux_to_child(m, c, jsonrpc_notification_new(
			    "notifications/cancelled", params));
			mux_req_orphan(m, req);
		}
		mux_req_finish(m, req, NULL);
	}
	while ((ref = TAILQ_FIRST(&s->subs)) != NULL) {
		sub = ref->sub;
		mux_subref_free(ref);
		if (sub->n > 0)
			continue;
		if (tell && c->ready && c->modern)
			relisten = 1;
		else if (tell && c->ready) {
			params = json_object_new_object();
			mux_add(params, "uri",
			    json_object_new_string(sub->uri));
			mux_own_request(m, c, "resources/unsubscribe", params,
			    0);
		}
		mux_sub_free(c, sub);
	}
	if (relisten)
		mux_modern_child_own_listen(m, c);
	if (s->level >= 0) {
		c->nlevel[s->level]--;
		s->level = -1;
		level = mux_effective_level(c);
		if (tell && c->ready && !c->modern && level >= 0 &&
		    level != c->level) {
			c->level = level;
			params = json_object_new_object();
			mux_add(params, "level",
			    json_object_new_string(mcpwire_level_name(level)));
			mux_own_request(m, c, "logging/setLevel", params,
			    MUX_REQ_F_SETLEVEL);
		}
	}
	while (!TAILQ_EMPTY(&s->tasks))
		mux_task_free(m, TAILQ_FIRST(&s->tasks));
	while (!TAILQ_EMPTY(&s->elicits))
		mux_elicit_free(c, TAILQ_FIRST(&s->elicits));
	while ((sr = TAILQ_FIRST(&s->sreqs)) != NULL) {
		/* The child must not wait for an answer that cannot come. */
		if (tell && sr->xreq == NULL)
			mux_to_child(m, c, jsonrpc_error_new(sr->cid,
			    JSONRPC_INTERNAL_ERROR,
			    "the client session that had this request closed",
			    NULL));
		mux_sreq_free(m, sr);
	}
}

/* ---- handshake and the wait for it -------------------------------------- */

/* Answers every request in msg (consumed) with an error. */
static void
mux_fail_msg(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, int code, const char *why)
{
	struct mux_batch	*b = NULL;
	json_object		*e;
	size_t			 i, n;

	if (json_object_is_type(msg, json_type_array)) {
		b = xcalloc(1, sizeof *b);
		b->s = s;
		b->stream = stream;
		b->answers = json_object_new_array();
		b->pending = 1;
		n = json_object_array_length(msg);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(msg, i);
			if (jsonrpc_classify(e) == JSONRPC_REQUEST)
				mux_reply(m, s, stream, b, jsonrpc_error_new(
				    jsonrpc_id(e), code, why, NULL));
		}
		mux_batch_done(m, b);
	} else if (jsonrpc_classify(msg) == JSONRPC_REQUEST)
		mux_reply(m, s, stream, NULL, jsonrpc_error_new(jsonrpc_id(msg),
		    code, why, NULL));
	json_object_put(msg);
}

static void
mux_pending_fail(struct mux *m, struct mux_child *c, struct mux_pending *p,
    const char *why)
{
	TAILQ_REMOVE(&c->queue, p, entry);
	mux_fail_msg(m, p->s, p->msg, p->stream, JSONRPC_SERVER_ERROR, why);
	free(p);
}

/* Answers what s has waiting at c with an error. */
static void
mux_pending_fail_session(struct mux *m, struct mux_child *c,
    struct mux_session *s, const char *why)
{
	struct mux_pending	*p, *next;

	for (p = TAILQ_FIRST(&c->queue); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->s == s)
			mux_pending_fail(m, c, p, why);
	}
}

/* Drops what s has waiting at c (its msgs unanswered: s is going away). */
static void
mux_pending_purge(struct mux_child *c, struct mux_session *s)
{
	struct mux_pending	*p, *next;

	for (p = TAILQ_FIRST(&c->queue); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (s != NULL && p->s != s)
			continue;
		TAILQ_REMOVE(&c->queue, p, entry);
		json_object_put(p->msg);
		free(p);
	}
}

/* The child is ready: what waited goes through, in arrival order. */
static void
mux_flush(struct mux *m, struct mux_child *c)
{
	struct mux_pending	*p;
	struct mux_session	*s;
	json_object		*msg;
	uint64_t		 stream;

	while (c->ready && (p = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, p, entry);
		s = p->s;
		msg = p->msg;
		stream = p->stream;
		free(p);
		mux_process(m, s, msg, stream);
	}
}

/* The capabilities the bridge declares to the shared child (new reference). */
json_object *
mux_bridge_caps(struct mux *m)
{
	json_object	*caps, *v;

	if (m->caps != NULL)
		return json_object_get(m->caps);
	caps = json_object_new_object();
	mux_add(caps, "sampling", json_object_new_object());
	mux_add(caps, "elicitation", json_object_new_object());
	v = json_object_new_object();
	mux_add(v, "listChanged", json_object_new_boolean(1));
	mux_add(caps, "roots", v);
	return caps;
}

json_object *
mux_bridge_info(struct mux *m)
{
	json_object	*info;

	info = json_object_new_object();
	mux_add(info, "name", json_object_new_string(m->client_name));
	mux_add(info, "version", json_object_new_string(m->client_version));
	return info;
}

static void
mux_send_initialize(struct mux *m, struct mux_child *c)
{
	struct mux_req	*req;
	json_object	*params, *info, *caps;

	caps = mux_bridge_caps(m);
	info = mux_bridge_info(m);
	params = json_object_new_object();
	mux_add(params, "protocolVersion",
	    json_object_new_string(MCP_VERSION_LATEST_LEGACY));
	mux_add(params, "capabilities", caps);
	mux_add(params, "clientInfo", info);

	req = mux_req_new(m, c, MUX_REQ_INIT);
	mux_to_child(m, c, jsonrpc_request_new((int64_t)req->cid, "initialize",
	    params));
}

/* The shared child answered our initialize. */
static void
mux_child_initialized(struct mux *m, struct mux_child *c, json_object *result,
    json_object *error)
{
	json_object	*info;
	const char	*why;

	if (error != NULL ||
	    jsonrpc_get_str(result, "protocolVersion") == NULL) {
		why = error != NULL ? jsonrpc_get_str(error, "message") :
		    "no protocolVersion in its result";
		if (why == NULL)
			why = "no message";
		log_warnx("the server refused to initialize: %s", why);
		free(c->failed);
		xasprintf(&c->failed, "the server refused to initialize: %s",
		    why);
		while (!TAILQ_EMPTY(&c->queue))
			mux_pending_fail(m, c, TAILQ_FIRST(&c->queue),
			    c->failed);
		return;
	}
	c->info = json_object_get(result);
	info = jsonrpc_get(result, "serverInfo", json_type_object);
	log_info("server %s %s initialized, protocol %s",
	    jsonrpc_get_str(info, "name") ? jsonrpc_get_str(info, "name") :
	    "(unnamed)",
	    jsonrpc_get_str(info, "version") ?
	    jsonrpc_get_str(info, "version") : "",
	    jsonrpc_get_str(result, "protocolVersion"));
	mux_to_child(m, c, jsonrpc_notification_new("notifications/initialized",
	    NULL));
	c->ready = 1;
	mux_flush(m, c);
}

/*
 * The era probe.  server/discover goes first (with the modern _meta, as
 * the bridge's own request); what comes back decides, by the stdio rules
 * of 2026-07-28: a DiscoverResult, or an error only a 2026-07-28 server
 * gives, means modern (no fallback); any other error, or silence until
 * the deadline (mux_tick), means legacy and initialize follows.  The
 * child sees one era only: its opening picks it.
 */
static void
mux_send_discover(struct mux *m, struct mux_child *c)
{
	json_object	*params, *meta;

	meta = json_object_new_object();
	mux_add(meta, MODERN_META_VERSION,
	    json_object_new_string(MCP_VERSION_2026_07_28));
	mux_add(meta, MODERN_META_CAPS, mux_bridge_caps(m));
	mux_add(meta, MODERN_META_INFO, mux_bridge_info(m));
	params = json_object_new_object();
	mux_add(params, "_meta", meta);
	c->probe = mux_req_new(m, c, MUX_REQ_DISCOVER);
	c->probe_deadline = m->now + m->cfg.probe_timeout_ms;
	mux_to_child(m, c, jsonrpc_request_new((int64_t)c->probe->cid,
	    "server/discover", params));
}

/* The child speaks 2026-07-28; discover (borrowed) is NULL if it did not
 * say more. */
static void
mux_child_modern_ready(struct mux *m, struct mux_child *c,
    json_object *discover)
{
	json_object	*info, *v;

	c->modern = 1;
	json_object_put(c->discover);
	if (discover != NULL)
		c->discover = json_object_get(discover);
	else {
		c->discover = json_object_new_object();
		v = json_object_new_array();
		json_object_array_add(v,
		    json_object_new_string(MCP_VERSION_2026_07_28));
		mux_add(c->discover, "supportedVersions", v);
		mux_add(c->discover, "capabilities", json_object_new_object());
		mux_add(c->discover, "resultType",
		    json_object_new_string("complete"));
	}
	json_object_put(c->info);
	c->info = modern_legacy_init(c->discover);
	info = jsonrpc_get(c->info, "serverInfo", json_type_object);
	log_info("server %s %s speaks %s: 2026-07-28 clients pass through, "
	    "legacy ones are translated", jsonrpc_get_str(info, "name"),
	    jsonrpc_get_str(info, "version") ?
	    jsonrpc_get_str(info, "version") : "",
	    MCP_VERSION_2026_07_28);
	c->ready = 1;
	mux_flush(m, c);
}

/* The child cannot be served: what waits for it fails with the cause. */
static void
mux_child_refused(struct mux *m, struct mux_child *c, const char *why)
{
	log_warnx("%s", why);
	free(c->failed);
	c->failed = xstrdup(why);
	while (!TAILQ_EMPTY(&c->queue))
		mux_pending_fail(m, c, TAILQ_FIRST(&c->queue), c->failed);
}

/* The probe's outcome: result or error (borrowed), both NULL on timeout. */
static void
mux_child_discovered(struct mux *m, struct mux_child *c, json_object *result,
    json_object *error)
{
	json_object	*v;
	const char	*why;
	char		*text;
	int		 code = 0, ok;

	if (result != NULL && (ok = modern_discover_check(result)) >= 0) {
		if (ok)
			mux_child_modern_ready(m, c, result);
		else {
			v = json_object_object_get(result, "supportedVersions");
			xasprintf(&text, "the server speaks none of the "
			    "versions the bridge knows (it supports %s)",
			    json_object_to_json_string_ext(v,
			    JSON_C_TO_STRING_PLAIN));
			mux_child_refused(m, c, text);
			free(text);
		}
		return;
	}
	if (error != NULL &&
	    json_object_is_type(json_object_object_get(error, "code"),
	    json_type_int))
		code = json_object_get_int(json_object_object_get(error,
		    "code"));
	if (code == MCP_ERROR_UNSUPPORTED_VERSION) {
		/* Modern, but not this revision: no fallback (the spec). */
		v = json_object_object_get(json_object_object_get(error,
		    "data"), "supported");
		xasprintf(&text, "the server does not speak %s (it supports "
		    "%s)", MCP_VERSION_2026_07_28, v != NULL ?
		    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) :
		    "other versions");
		mux_child_refused(m, c, text);
		free(text);
		return;
	}
	/* -32021 is modern too, if of no use; --child-era=modern insists. */
	if (code == MCP_ERROR_MISSING_CAPABILITY ||
	    m->cfg.child_era == MUX_CHILD_ERA_MODERN) {
		if (result == NULL)
			log_warnx("server/discover %s; the server is taken to "
			    "speak %s %s", error != NULL ? "failed" :
			    "not answered in time", MCP_VERSION_2026_07_28,
			    code == MCP_ERROR_MISSING_CAPABILITY ?
			    "(its error says so)" : "as configured");
		mux_child_modern_ready(m, c, NULL);
		return;
	}
	why = error != NULL ? jsonrpc_get_str(error, "message") : NULL;
	log_info("server/discover %s%s%s: a legacy server, initializing it",
	    error != NULL ? "refused" : result != NULL ? "answered oddly" :
	    "not answered in time", why != NULL ? ": " : "",
	    why != NULL ? why : "");
	mux_send_initialize(m, c);
}

/* ---- client messages ---------------------------------------------------- */

/* Shared child: the bridge answers a client's initialize itself. */
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
	mux_add(result, "protocolVersion", json_object_new_string(version));
	if ((v = jsonrpc_get(c->info, "capabilities",
	    json_type_object)) != NULL)
		mux_add(result, "capabilities", json_object_get(v));
	else
		mux_add(result, "capabilities", json_object_new_object());
	if ((v = jsonrpc_get(c->info, "serverInfo", json_type_object)) != NULL)
		mux_add(result, "serverInfo", json_object_get(v));
	if ((v = jsonrpc_get(c->info, "instructions",
	    json_type_string)) != NULL)
		mux_add(result, "instructions", json_object_get(v));
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
	mux_add(params, "level",
	    json_object_new_string(mcpwire_level_name(effective)));
	mux_forward(m, s, msg, stream, b, MUX_REQ_F_SETLEVEL, params);
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
		mux_subref_add(mux_sub_new(c, uri), s);
		req = mux_forward(m, s, msg, stream, b, MUX_REQ_F_SUBSCRIBE,
		    NULL);
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
	    m->shared != NULL;
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
		params = mux_copy_object(params);
		json_object_object_add(params, "requestId",
		    json_object_new_int64((int64_t)req->cid));
		mux_to_child(m, c, jsonrpc_notification_new(
		    "notifications/cancelled", params));
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
	if (sr->s != s) {
		log_warnx("a session answered a request sent to another "
		    "session; refused");
		mux_error(m, s, stream, b, NULL, JSONRPC_INVALID_REQUEST,
		    "Response to a request this session did not receive");
		json_object_put(msg);
		return MUX_RECV_INVALID;
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

static enum mux_recv
mux_process_one(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b)
{
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_REQUEST:
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
static enum mux_recv
mux_process(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream)
{
	struct mux_batch	*b;
	enum mux_recv		 status = MUX_RECV_ACCEPTED;
	size_t			 i, n;

	if (!json_object_is_type(msg, json_type_array))
		return mux_process_one(m, s, msg, stream, NULL);

	b = xcalloc(1, sizeof *b);
	b->s = s;
	b->stream = stream;
	b->answers = json_object_new_array();
	b->pending = 1;		/* answers may come while splitting */
	n = json_object_array_length(msg);
	for (i = 0; i < n; i++) {
		if (mux_process_one(m, s, json_object_get(
		    json_object_array_get_idx(msg, i)), stream, b) !=
		    MUX_RECV_ACCEPTED)
			status = MUX_RECV_REPLY;
	}
	json_object_put(msg);
	mux_batch_done(m, b);
	return status;
}

/* What mux_process will say of msg, without doing it (for queued traffic). */
static enum mux_recv
mux_prescan(json_object *msg)
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

static struct mux_child *
mux_child_new(struct mux *m, struct mux_session *owner)
{
	struct mux_child	*c;

	c = xcalloc(1, sizeof *c);
	c->m = m;
	c->owner = owner;
	c->level = -1;
	TAILQ_INIT(&c->sessions);
	TAILQ_INIT(&c->busy);
	TAILQ_INIT(&c->reqs);
	TAILQ_INIT(&c->orphans);
	TAILQ_INIT(&c->queue);
	TAILQ_INSERT_TAIL(&m->children, c, entry);
	return c;
}

static void
mux_child_free(struct mux *m, struct mux_child *c)
{
	struct mux_req	*req;

	while ((req = TAILQ_FIRST(&c->reqs)) != NULL)
		mux_req_free(m, req);
	mux_orphans_clear(c);
	mux_pending_purge(c, NULL);
	/* Sessions released their subscriptions, tasks and requests. */
	hmap_clear(&c->subs);
	hmap_clear(&c->tasks);
	hmap_clear(&c->ctasks);
	hmap_clear(&c->elicits);
	hmap_clear(&c->sreqs);
	json_object_put(c->info);
	json_object_put(c->discover);
	json_object_put(c->tool_headers);
	free(c->failed);
	TAILQ_REMOVE(&m->children, c, entry);
	free(c);
}

/* isolation: a session's initialize starts its own child. */
static enum mux_recv
mux_isolation_start(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream)
{
	struct mux_pending	*p;

	if (m->cfg.max_children != 0 && m->nchildren >= m->cfg.max_children) {
		log_warnx("session refused: %zu children running (max)",
		    m->nchildren);
		mux_error(m, s, stream, NULL, jsonrpc_id(msg),
		    JSONRPC_SERVER_ERROR, "Too many sessions: %zu servers "
		    "running (--max-children), try again later", m->nchildren);
		json_object_put(msg);
		return MUX_RECV_BUSY;
	}
	s->own = s->child = mux_child_new(m, s);
	TAILQ_INSERT_TAIL(&s->child->sessions, s, centry);
	m->nchildren++;
	mux_out_push(m, MUX_OUT_CHILD_START, s, 0, 0, NULL);

	p = xcalloc(1, sizeof *p);
	p->s = s;
	p->msg = msg;
	p->stream = stream;
	p->deadline = m->now + m->cfg.init_timeout_ms;
	TAILQ_INSERT_TAIL(&s->child->queue, p, entry);
	return MUX_RECV_REPLY;
}

enum mux_recv
mux_session_recv(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream)
{
	struct mux_child	*c = s->child;
	struct mux_pending	*p;
	const char		*method;
	enum mux_recv		 status;

	if (jsonrpc_classify(msg) == JSONRPC_INVALID) {
		mux_error(m, s, stream, NULL, NULL, JSONRPC_INVALID_REQUEST,
		    "Invalid Request");
		json_object_put(msg);
		return MUX_RECV_INVALID;
	}
	if (m->shared == NULL && s->own == NULL && !s->ended &&
	    s->transport != MUX_TRANSPORT_STATELESS &&
	    (method = jsonrpc_method(msg)) != NULL &&
	    strcmp(method, "initialize") == 0 &&
	    jsonrpc_classify(msg) == JSONRPC_REQUEST)
		return mux_isolation_start(m, s, msg, stream);

	/* Until the handshake is done client traffic waits, in order. */
	if (c != NULL && !c->ready && c->failed == NULL && !s->ended) {
		status = mux_prescan(msg);
		p = xcalloc(1, sizeof *p);
		p->s = s;
		p->msg = msg;
		p->stream = stream;
		p->deadline = m->now + m->cfg.init_timeout_ms;
		TAILQ_INSERT_TAIL(&c->queue, p, entry);
		return status;
	}
	return mux_process(m, s, msg, stream);
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
	result = mux_copy_object(result);
	json_object_object_add(result, "tasks", mine);
	return result;
}

/* The child answered a client's request. */
/*
 * A 2026-07-28 child's requestState (a string) behind the instance's name.
 * The state is the child's opaque bytes, NULs included: it must come back
 * byte for byte, so lengths are carried, never strlen.
 */
static json_object *
mux_state_named(const struct mux *m, json_object *state)
{
	const char	*id = m->cfg.instance_id;
	size_t		 idlen = strlen(id), len;
	json_object	*out;
	char		*buf;

	len = (size_t)json_object_get_string_len(state);
	buf = xmalloc(idlen + 1 + len);
	memcpy(buf, id, idlen);
	buf[idlen] = '.';
	memcpy(buf + idlen + 1, json_object_get_string(state), len);
	out = json_object_new_string_len(buf, (int)(idlen + 1 + len));
	free(buf);
	return out;
}

/*
 * A page of the child's tools: which of their arguments the clients of
 * 2026-07-28 mirror into Mcp-Param-* headers.  A tool whose annotations
 * are invalid is forgotten (clients leave it out; its calls go unchecked).
 */
static void
mux_tools_learn(struct mux_child *c, json_object *result)
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
}

void
mux_client_answer(struct mux *m, struct mux_req *req, json_object *result,
    json_object *error)
{
	struct mux_session	*s = req->s;
	struct mux_child	*c = req->child;
	struct mux_task		*t;
	struct mux_sub		*sub;
	struct mux_subref	*ref;
	json_object		*answer, *id, *state;
	const char		*version;

	if ((req->flags & MUX_REQ_F_TOOLS_LIST) && result != NULL)
		mux_tools_learn(c, result);
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
	 * name, for the load balancer to route the retry (the mux owns the
	 * child's message, so it is changed in place). */
	if (c->modern && m->cfg.instance_id != NULL &&
	    (state = jsonrpc_get(result, "requestState",
	    json_type_string)) != NULL)
		json_object_object_add(result, "requestState",
		    mux_state_named(m, state));
	id = req->id;
	req->id = NULL;		/* moved into the answer */
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

static void
mux_child_response(struct mux *m, struct mux_child *c, json_object *msg)
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
	json_object_object_get_ex(msg, "result", &result);
	json_object_object_get_ex(msg, "error", &error);

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
		mux_client_answer(m, req, result, error);
		break;
	}
	json_object_put(msg);
}

/* Do capabilities caps allow a child's request needing cap? */
int
mux_caps_have(json_object *caps, const char *cap, json_object *params)
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
mux_has_cap(struct mux_session *s, const char *cap, json_object *params)
{
	return mux_caps_have(s->caps, cap, params);
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
mux_needed_cap(const char *method)
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
	size_t			 n = 0, nm = 0;

	/*
	 * Only a session waiting for the child can have caused the request,
	 * and of 2026-07-28 requests only tools/call, prompts/get and
	 * resources/read.  One that lacks the capability is a candidate
	 * only if nobody else is: it will be told what it misses.
	 */
	if (m->cfg.server_requests == MUX_SERVER_REQUESTS_LATEST) {
		TAILQ_FOREACH_REVERSE(s, &c->busy, mux_sessions, bentry) {
			if ((req = mux_modern_candidate(s)) != NULL) {
				if (mux_caps_have(req->mr->caps, cap, params)) {
					*mreq = req;
					return NULL;
				}
				if (mfound == NULL)
					mfound = req;
			} else if (s->initialized &&
			    s->transport != MUX_TRANSPORT_STATELESS &&
			    mux_has_cap(s, cap, params))
				return s;
		}
		if (mfound != NULL && cap != NULL) {
			*mreq = mfound;
			return NULL;
		}
	} else {
		TAILQ_FOREACH(s, &c->busy, bentry) {
			if ((req = mux_modern_candidate(s)) != NULL) {
				nm++;
				if (mux_caps_have(req->mr->caps, cap, params)) {
					mfound = req;
					found = NULL;
					n++;
				}
			} else if (s->initialized &&
			    s->transport != MUX_TRANSPORT_STATELESS &&
			    mux_has_cap(s, cap, params)) {
				found = s;
				mfound = NULL;
				n++;
			}
		}
		if (n == 1) {
			*mreq = mfound;
			return found;
		}
		if (n == 0 && nm == 1 && cap != NULL) {
			TAILQ_FOREACH(s, &c->busy, bentry) {
				if ((*mreq = mux_modern_candidate(s)) != NULL)
					return NULL;
			}
		}
	}
	if (n > 1)
		*why = "more than one client session could have caused it "
		    "(ambiguous)";
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
	cap = mux_needed_cap(method);
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
		if (!mux_has_cap(s, cap, params)) {
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

	/* Else a guess: never while another's request may be its cause. */
	s = mux_route_busy(m, c, msg, cap, why, mreq);
	if (s == NULL && *mreq == NULL)
		return NULL;
	if ((withheld = mux_guess_withheld(m, c, s != NULL ? s : (*mreq)->s,
	    MUX_GUESS_REQUEST)) != NULL) {
		*mreq = NULL;
		*why = withheld;
		return NULL;
	}
	return s;
}

static void
mux_child_request(struct mux *m, struct mux_child *c, json_object *msg)
{
	struct mux_session	*s;
	struct mux_req		*mreq;
	struct mux_sreq		*sr;
	struct mux_task		*t;
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
		log_info("%s from the server refused: %s", method, why);
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
		params = mux_copy_object(jsonrpc_params(msg));
		json_object_object_add(params, "taskId",
		    json_object_new_string(t->orig));
	}
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
		    !TAILQ_EMPTY(&req->xinputs))
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
		params = mux_copy_object(params);
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
		params = mux_copy_object(params);
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

static void
mux_child_one(struct mux *m, struct mux_child *c, json_object *msg)
{
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_RESPONSE:
		mux_child_response(m, c, msg);
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

/* The child behind s; NULL (ignored) for one the mux no longer knows. */
static struct mux_child *
mux_child_of(struct mux *m, struct mux_session *s)
{
	if (s == NULL)
		return m->shared;
	if (s->closing)
		return NULL;
	return s->own;
}

void
mux_child_recv(struct mux *m, struct mux_session *s, json_object *msg)
{
	struct mux_child	*c;
	size_t			 i, n;

	if ((c = mux_child_of(m, s)) == NULL || !c->up) {
		log_debug("message from a server the bridge does not serve "
		    "dropped");
		json_object_put(msg);
		return;
	}
	if (!json_object_is_type(msg, json_type_array)) {
		mux_child_one(m, c, msg);
		return;
	}
	n = json_object_array_length(msg);
	for (i = 0; i < n; i++) {
		mux_child_one(m, c, json_object_get(
		    json_object_array_get_idx(msg, i)));
	}
	json_object_put(msg);
}

/* The request the unreadable answer with this id was meant for; NULL if
 * none in flight on c has it. */
static struct mux_req *
mux_unreadable_req(struct mux *m, struct mux_child *c, json_object *id)
{
	struct mux_req	*req;
	uint64_t	 cid;

	if ((cid = mux_get_bid(id)) == 0)
		return NULL;
	req = hmap_find(&m->reqs, hmap_mix(cid), mux_req_match, &cid);
	return req != NULL && req->child == c ? req : NULL;
}

/*
 * The child's own request could not be read: it is told so under its id
 * (JSON-RPC 2.0, section 5.1), or it would wait for an answer forever.
 */
static void
mux_child_unreadable_request(struct mux *m, struct mux_child *c,
    json_object *id, size_t limit, const char *reason)
{
	char	*text;

	if (reason != NULL) {
		log_warnx("server's request %s is not valid JSON (%s); "
		    "answering it with a parse error",
		    json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN),
		    reason);
		xasprintf(&text, "Parse error: %s", reason);
		mux_to_child(m, c, jsonrpc_error_new(id, JSONRPC_PARSE_ERROR,
		    text, NULL));
	} else {
		log_warnx("server's request %s exceeded --max-message-size "
		    "(%zu bytes); answering it with an error",
		    json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN),
		    limit);
		xasprintf(&text, "Invalid Request: it exceeded the bridge's "
		    "--max-message-size (%zu bytes)", limit);
		mux_to_child(m, c, jsonrpc_error_new(id,
		    JSONRPC_INVALID_REQUEST, text, NULL));
	}
	free(text);
}

void
mux_child_unreadable(struct mux *m, struct mux_session *s, json_object *id,
    int seen, size_t limit, const char *reason)
{
	struct mux_child	*c;
	struct mux_req		*req = NULL;
	json_object		*cid;
	char			*why, *text;
	const char		*idtext;

	if ((c = mux_child_of(m, s)) == NULL || !c->up)
		goto out;
	if (seen & MUX_UNREADABLE_METHOD) {
		/* A notification needs no answer; a request gets one. */
		if (id != NULL)
			mux_child_unreadable_request(m, c, id, limit, reason);
		goto out;
	}
	/* An invalid line with nothing in sight is chatter (a banner, a
	 * log line): the framer logged it, and it fails nothing. */
	if (reason != NULL && id == NULL && !(seen & MUX_UNREADABLE_ANSWER))
		goto out;
	if (reason == NULL)
		xasprintf(&why, "exceeded --max-message-size (%zu bytes)",
		    limit);
	else
		xasprintf(&why, "is not valid JSON (%s)", reason);
	/*
	 * Only an answer that names its request fails it.  No request is
	 * guessed, not even the only one in flight: it may be a late answer
	 * to one that timed out, and then the innocent one would fail and
	 * its real answer be dropped as unknown.
	 */
	if ((seen & MUX_UNREADABLE_ANSWER) && id != NULL)
		req = mux_unreadable_req(m, c, id);
	if (req == NULL) {
		m->stats.unreadable_unanswered++;
		idtext = id != NULL ? json_object_to_json_string_ext(id,
		    JSON_C_TO_STRING_PLAIN) : "";
		if (!(seen & MUX_UNREADABLE_ANSWER))
			log_error("server's line%s%s %s and was dropped; it "
			    "shows no result, error or method at its ends, "
			    "so no request can be told", id != NULL ?
			    " with id " : "", idtext, why);
		else if (id == NULL)
			log_error("server's answer %s and was dropped; its id "
			    "is not in sight at either end, so its request "
			    "will wait for --request-timeout", why);
		else
			log_error("server's answer to %s %s and was dropped; "
			    "no request in flight has that id", idtext, why);
		free(why);
		goto out;
	}
	log_error("server's answer to request %" PRIu64 " %s; answering it "
	    "with an error", req->cid, why);
	/* As if the child had answered so: ids, translation and the
	 * handshake take it the way they take any error. */
	xasprintf(&text, "Internal error: the server's answer %s", why);
	cid = json_object_new_int64((int64_t)req->cid);
	mux_child_response(m, c, jsonrpc_error_new(cid,
	    JSONRPC_INTERNAL_ERROR, text, NULL));
	json_object_put(cid);
	free(text);
	free(why);
out:
	json_object_put(id);
}

/* ---- child up and down ------------------------------------------------- */

void
mux_child_up(struct mux *m, struct mux_session *s)
{
	struct mux_child	*c;

	if ((c = mux_child_of(m, s)) == NULL)
		return;
	if (c->up)
		mux_child_lost(m, c, "restarted");
	c->up = 1;
	free(c->failed);
	c->failed = NULL;
	if (c->owner != NULL) {
		/* The client itself initializes its own child. */
		c->ready = 1;
		mux_flush(m, c);
	} else if (m->cfg.child_era != MUX_CHILD_ERA_LEGACY)
		mux_send_discover(m, c);	/* again after each restart */
	else
		mux_send_initialize(m, c);
}

/*
 * Everything waiting for c is answered now, with the cause; its sessions
 * end (their clients start over with a new initialize).
 */
static void
mux_child_lost(struct mux *m, struct mux_child *c, const char *cause)
{
	struct mux_sreq		*sr;
	struct mux_req		*req, *rnext;
	struct mux_session	*s, *snext;
	char			*text;

	/* cause follows a name: "killed by signal 9", "exited with ..." */
	xasprintf(&text, "Server unavailable: child %s", cause);
	c->up = 0;
	c->ready = 0;
	free(c->failed);
	c->failed = NULL;
	json_object_put(c->info);
	c->info = NULL;
	c->level = -1;
	c->modern = 0;
	c->listen_again = 0;
	json_object_put(c->discover);
	c->discover = NULL;
	json_object_put(c->tool_headers);
	c->tool_headers = NULL;
	/* What the child that went worked on, nobody works on now. */
	mux_orphans_clear(c);

	for (req = TAILQ_FIRST(&c->reqs); req != NULL; req = rnext) {
		rnext = TAILQ_NEXT(req, centry);
		if (req->kind != MUX_REQ_CLIENT)
			mux_req_free(m, req);
		else if (req->flags & MUX_REQ_F_LISTEN)
			/* Ended gracefully: its client listens anew. */
			mux_req_finish(m, req, modern_listen_end(req->id));
		else
			mux_req_finish(m, req, jsonrpc_error_new(req->id,
			    JSONRPC_SERVER_ERROR, text, NULL));
	}
	for (s = TAILQ_FIRST(&c->sessions); s != NULL; s = snext) {
		snext = TAILQ_NEXT(s, centry);
		/* A listen stream ends gracefully: the client listens anew. */
		if (s->transport == MUX_TRANSPORT_STATELESS) {
			/* The questions of the child that went are nobody's
			 * now (a new one must not get their answers). */
			while ((sr = TAILQ_FIRST(&s->sreqs)) != NULL)
				mux_sreq_free(m, sr);
			if (s->listening) {
				mux_session_detach(m, s, 0);
				s->listening = 0;
				mux_to_session(m, s, s->listen_stream, 1,
				    modern_listen_end(s->listen_id));
			}
			continue;
		}
		/* One that never got its session id just waits for the next. */
		if (!s->initialized && c->owner == NULL)
			continue;
		mux_session_detach(m, s, 0);
		mux_pending_fail_session(m, c, s, text);
		TAILQ_REMOVE(&c->sessions, s, centry);
		s->child = NULL;
		s->ended = 1;
		mux_out_push(m, MUX_OUT_SESSION_END, s, 0, 0, NULL);
	}
	free(text);
}

void
mux_child_down(struct mux *m, struct mux_session *s, const char *cause)
{
	struct mux_child	*c;

	if ((c = mux_child_of(m, s)) == NULL || (!c->up && c->owner == NULL))
		return;
	/* The caller logs the exit; this only ties it to the mux. */
	log_debug("%s %s", c->owner == NULL ? "server" : "session's server",
	    cause != NULL ? cause : "went away");
	mux_child_lost(m, c, cause != NULL ? cause : "went away");
}

int
mux_ready(const struct mux *m)
{
	return m->shared == NULL || m->shared->ready;
}

json_object *
mux_tool_headers(const struct mux *m, const char *tool)
{
	json_object	*spec;

	if (m->shared == NULL || m->shared->tool_headers == NULL ||
	    !json_object_object_get_ex(m->shared->tool_headers, tool, &spec))
		return NULL;
	return spec;
}

int
mux_child_modern(const struct mux *m)
{
	return m->shared != NULL && m->shared->ready && m->shared->modern;
}

json_object *
mux_child_info(const struct mux *m)
{
	if (m->shared == NULL || !m->shared->ready)
		return NULL;
	return m->shared->info;
}

/* ---- sessions ------------------------------------------------------------ */

struct mux_session *
mux_session_new(struct mux *m, enum mux_transport transport, void *data)
{
	struct mux_session	*s;

	s = xcalloc(1, sizeof *s);
	s->m = m;
	s->transport = transport;
	s->data = data;
	s->level = -1;
	s->serial = ++m->next_serial;
	TAILQ_INIT(&s->reqs);
	TAILQ_INIT(&s->subs);
	TAILQ_INIT(&s->tasks);
	TAILQ_INIT(&s->elicits);
	TAILQ_INIT(&s->sreqs);
	if (m->shared != NULL) {
		s->child = m->shared;
		TAILQ_INSERT_TAIL(&m->shared->sessions, s, centry);
	}
	TAILQ_INSERT_TAIL(&m->sessions, s, aentry);
	m->stats.sessions++;
	return s;
}

void *
mux_session_data(const struct mux_session *s)
{
	return s->data;
}

enum mux_transport
mux_session_transport(const struct mux_session *s)
{
	return s->transport;
}

int
mux_session_initialized(const struct mux_session *s)
{
	return s->initialized;
}

const char *
mux_session_version(const struct mux_session *s)
{
	return s->version;
}

static void
mux_session_free(struct mux_session *s)
{
	json_object_put(s->listen_id);
	json_object_put(s->caps);
	json_object_put(s->info);
	hmap_clear(&s->ids);
	hmap_clear(&s->ctasks);
	free(s->version);
	free(s);
}

void
mux_session_close(struct mux *m, struct mux_session *s)
{
	struct mux_child	*c = s->child;

	if (s->closing)
		return;
	s->closing = 1;
	if (c != NULL) {
		/* Its own child is about to stop: telling it is pointless. */
		mux_session_detach(m, s, c->owner == NULL);
		mux_pending_purge(c, s);
		TAILQ_REMOVE(&c->sessions, s, centry);
		s->child = NULL;
	}
	mux_out_purge(m, s);
	TAILQ_REMOVE(&m->sessions, s, aentry);
	m->stats.sessions--;
	if (s->own == NULL) {
		mux_session_free(s);
		return;
	}
	/*
	 * The caller finds the child to stop by this pointer, so s stays
	 * allocated (and unique) until that out has been taken.
	 */
	mux_child_free(m, s->own);
	s->own = NULL;
	m->nchildren--;
	mux_out_push(m, MUX_OUT_CHILD_STOP, s, 0, 0, NULL);
	TAILQ_INSERT_TAIL(&m->graveyard, s, gentry);
}

void
mux_session_set_principal(struct mux_session *s, uint64_t principal)
{
	s->principal = principal;
}

void
mux_session_finish(struct mux *m, struct mux_session *s)
{
	struct mux_req	*req;
	json_object	*params;

	if (s->closing)
		return;
	/* A listen passed through to a 2026-07-28 child: the bridge ends
	 * it (the child hears a cancellation) the way the child would. */
	TAILQ_FOREACH(req, &s->reqs, sentry) {
		if (!(req->flags & MUX_REQ_F_LISTEN))
			continue;
		if (req->child->up) {
			params = json_object_new_object();
			mux_add(params, "requestId",
			    json_object_new_int64((int64_t)req->cid));
			mux_add(params, "reason",
			    json_object_new_string("the bridge is closing"));
			mux_to_child(m, req->child, jsonrpc_notification_new(
			    "notifications/cancelled", params));
		}
		mux_req_finish(m, req, modern_listen_end(req->id));
		return;
	}
	if (!s->listening)
		return;
	s->listening = 0;
	mux_to_session(m, s, s->listen_stream, 1,
	    modern_listen_end(s->listen_id));
}

/* ---- the multiplexer ---------------------------------------------------- */

struct mux *
mux_new(const struct mux_config *cfg)
{
	struct mux	*m;

	m = xcalloc(1, sizeof *m);
	m->cfg = *cfg;
	if (m->cfg.init_timeout_ms == 0)
		m->cfg.init_timeout_ms = MUX_DEFAULT_INIT_TIMEOUT_MS;
	if (m->cfg.probe_timeout_ms == 0)
		m->cfg.probe_timeout_ms = MUX_DEFAULT_PROBE_TIMEOUT_MS;
	if (cfg->isolation != MUX_ISOLATION_SHARED)
		m->cfg.child_era = MUX_CHILD_ERA_LEGACY;
	if (cfg->client_capabilities != NULL)
		m->caps = json_object_get(cfg->client_capabilities);
	m->cfg.client_capabilities = NULL;
	m->client_name = xstrdup(cfg->client_name != NULL ? cfg->client_name :
	    "mcpbridge");
	m->client_version = xstrdup(cfg->client_version != NULL ?
	    cfg->client_version : PACKAGE_VERSION);
	m->cfg.client_name = m->client_name;
	m->cfg.client_version = m->client_version;
	TAILQ_INIT(&m->children);
	TAILQ_INIT(&m->timeouts);
	TAILQ_INIT(&m->gathering);
	TAILQ_INIT(&m->parked);
	if (m->cfg.input_timeout_ms == 0)
		m->cfg.input_timeout_ms = MODERN_STATE_TTL_MS;
	modern_key_new(m->key);
	TAILQ_INIT(&m->sessions);
	TAILQ_INIT(&m->graveyard);
	if (cfg->isolation == MUX_ISOLATION_SHARED)
		m->shared = mux_child_new(m, NULL);
	return m;
}

static void
mux_reap(struct mux *m, int all)
{
	struct mux_session	*s, *next;

	for (s = TAILQ_FIRST(&m->graveyard); s != NULL; s = next) {
		next = TAILQ_NEXT(s, gentry);
		if (!all && !s->reaped)
			continue;
		TAILQ_REMOVE(&m->graveyard, s, gentry);
		mux_session_free(s);
	}
}

void
mux_free(struct mux *m)
{
	struct mux_child	*c;
	struct mux_session	*s;
	struct mux_out		 out;

	if (m == NULL)
		return;
	while ((s = TAILQ_FIRST(&m->sessions)) != NULL)
		mux_session_close(m, s);
	while (mux_next(m, &out)) {
		if (out.msg != NULL)
			json_object_put(out.msg);
	}
	mux_reap(m, 1);
	while ((c = TAILQ_FIRST(&m->children)) != NULL)
		mux_child_free(m, c);
	hmap_clear(&m->reqs);
	hmap_clear(&m->progs);
	hmap_clear(&m->sreqs);
	free(m->outs);
	json_object_put(m->caps);
	free(m->client_name);
	free(m->client_version);
	free(m);
}

int
mux_next(struct mux *m, struct mux_out *out)
{
	if (!TAILQ_EMPTY(&m->graveyard))
		mux_reap(m, 0);
	if (m->outs_len == 0)
		return 0;
	*out = m->outs[m->outs_head];
	m->outs_head = (m->outs_head + 1) % m->outs_cap;
	m->outs_len--;
	if (out->session != NULL) {
		out->session->nouts--;
		if (out->kind == MUX_OUT_CHILD_STOP && out->session->closing)
			out->session->reaped = 1;
	}
	return 1;
}

void
mux_tick(struct mux *m, uint64_t now_ms)
{
	struct mux_child	*c;
	struct mux_pending	*p;
	struct mux_req		*req;
	json_object		*params;
	char			*text;

	m->now = now_ms;
	if ((c = m->shared) != NULL && c->probe != NULL &&
	    c->probe_deadline != 0 && c->probe_deadline <= now_ms) {
		/* Silence is an answer too: a legacy server.  Unless it is
		 * modern as configured: then the probe stays out, for its
		 * late answer still tells who the child is. */
		if (m->cfg.child_era == MUX_CHILD_ERA_MODERN)
			c->probe_deadline = 0;
		else
			mux_req_free(m, c->probe);
		mux_child_discovered(m, c, NULL, NULL);
	}
	/* The legacy clients still want what the child's listen gave them
	 * (a pause first: a child that keeps ending it is not hammered). */
	if ((c = m->shared) != NULL && c->listen_again != 0 &&
	    c->listen_again <= now_ms) {
		c->listen_again = 0;
		if (c->listen == NULL)
			mux_modern_child_own_listen(m, c);
	}
	TAILQ_FOREACH(c, &m->children, entry) {
		while ((p = TAILQ_FIRST(&c->queue)) != NULL &&
		    p->deadline <= now_ms)
			mux_pending_fail(m, c, p, "Server not available: it "
			    "did not finish starting in time");
		mux_orphans_expire(m, c);
	}
	while ((req = TAILQ_FIRST(&m->timeouts)) != NULL &&
	    req->deadline <= now_ms) {
		if (req->child->up) {
			params = json_object_new_object();
			mux_add(params, "requestId",
			    json_object_new_int64((int64_t)req->cid));
			mux_add(params, "reason", json_object_new_string(
			    "timed out"));
			mux_to_child(m, req->child, jsonrpc_notification_new(
			    "notifications/cancelled", params));
			mux_req_orphan(m, req);
		}
		if (req->mr != NULL)
			mux_modern_client_inputs_fail(m, req, 1,
			    "the request timed out");
		xasprintf(&text, "Request timed out after %" PRIu64 " ms",
		    m->cfg.request_timeout_ms);
		mux_req_finish(m, req, jsonrpc_error_new(req->id,
		    JSONRPC_SERVER_ERROR, text, NULL));
		free(text);
	}
	mux_modern_client_tick(m);
}

void
mux_stats(const struct mux *m, struct mux_stats *st)
{
	*st = m->stats;
}

uint64_t
mux_wakeup(const struct mux *m)
{
	struct mux_req	*req;
	uint64_t	 when = 0;

	if ((req = TAILQ_FIRST(&m->gathering)) != NULL)
		when = req->mr->gather;
	if (m->shared != NULL && m->shared->probe != NULL &&
	    (when == 0 || m->shared->probe_deadline < when))
		when = m->shared->probe_deadline;
	return when;
}
