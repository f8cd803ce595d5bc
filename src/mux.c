/* SPDX-License-Identifier: ISC */
/*
 * mux.c: many client sessions over one stdio child (or one child each).
 *
 * The bridge is the shared child's only client: it initializes the child
 * itself, answers each client's initialize from the child's recorded result
 * and rewrites everything that names something in a per-connection space
 * (request ids, progress tokens, subscriptions, log levels, tasks) so that
 * no client sees another's traffic.
 *
 * The mux is five files behind mux.h, sharing mux_int.h (the state and who
 * owns what):
 *  - mux.c: the API, the outbox, requests towards the child, per-session
 *    state at a child, the handshake and era probe, child up and down,
 *    sessions;
 *  - mux_route.c: legacy routing, client messages and child messages;
 *  - mux_sched.c: the turns of tools that ask, which make the route of a
 *    shared child's questions certain;
 *  - mux_modern_client.c: 2026-07-28 clients, each request a stateless
 *    session (input_required rounds, requestState, listen);
 *  - mux_modern_child.c: a child that speaks 2026-07-28 (pass-through
 *    for 2026-07-28 clients, translation for legacy ones);
 *  - mux_pool.c: which of several shared children (--children) a session
 *    or a request goes to.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hmap.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "modern.h"
#include "mux.h"
#include "mux_int.h"
#include "tracectx.h"
#include "xmalloc.h"

static void	 mux_child_lost(struct mux *, struct mux_child *, const char *);

/* Which shared child a log line is about, when there are several:
 * " (child 3)", numbered from 1 as /metrics labels them; else "". */
#define MUX_LABEL_LEN	32
static const char *
mux_child_label(const struct mux_child *c, char *buf)
{
	buf[0] = '\0';
	if (c->owner == NULL && c->m->npool > 1)
		snprintf(buf, MUX_LABEL_LEN, " (child %zu)", c->index + 1);
	return buf;
}

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

int
mux_prog_match(const void *v, const void *key)
{
	return ((const struct mux_prog *)v)->token == *(const uint64_t *)key;
}

int
mux_sreq_match(const void *v, const void *key)
{
	return ((const struct mux_sreq *)v)->bid == *(const uint64_t *)key;
}

int
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

int
mux_elicit_match(const void *v, const void *key)
{
	return strcmp(((const struct mux_elicit *)v)->id, key) == 0;
}

static int
mux_sub_match(const void *v, const void *key)
{
	return strcmp(((const struct mux_sub *)v)->uri, key) == 0;
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

/* {"jsonrpc":"2.0","id":id,key:v}; id and v are consumed. */
json_object *
mux_answer_new(json_object *id, const char *key, json_object *v)
{
	json_object	*o;

	o = json_object_new_object();
	jsonrpc_add(o, "jsonrpc", jsonparse_version());
	jsonrpc_add(o, "id", id);
	jsonrpc_add(o, key, v);
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
	o->child = 0;
	o->child_id = 0;
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
	m->outs[(m->outs_head + m->outs_len - 1) % m->outs_cap].child =
	    c->index;
}

/*
 * The client's request msg (consumed) to child c under id cid, its
 * params as they came: mux_rewrite_request(msg, cid, NULL), made only
 * when mux_next gives it out (mux_next_lazy writes it without).  The
 * client's objects are never changed, so msg says the same then.
 */
static void
mux_to_child_as(struct mux *m, struct mux_child *c, json_object *msg,
    uint64_t cid)
{
	mux_to_child(m, c, msg);
	m->outs[(m->outs_head + m->outs_len - 1) % m->outs_cap].child_id =
	    cid;
}

/* Tells child c that the bridge no longer wants the answer to req, under
 * the id the child knows it by, and why. */
void
mux_cancel_at_child(struct mux *m, struct mux_child *c, struct mux_req *req,
    const char *reason)
{
	json_object	*params;

	/* A call waiting for its turn was never sent. */
	if (req->sched & MUX_SCHED_HELD)
		return;
	params = json_object_new_object();
	jsonrpc_add(params, "requestId", json_object_new_int64(
	    (int64_t)req->cid));
	jsonrpc_add(params, "reason", json_object_new_string(reason));
	mux_to_child(m, c, jsonrpc_notification_new("notifications/cancelled",
	    params));
}

void
mux_to_session(struct mux *m, struct mux_session *s, uint64_t stream,
    int final, json_object *msg)
{
	mux_out_push(m, MUX_OUT_SESSION, s, stream, final, msg);
}

void
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

/* Server requests: the in-flight request's stream, the newest of several
 * (of those the child has: not one waiting for its turn). */
uint64_t
mux_session_stream(struct mux_session *s)
{
	struct mux_req	*req;

	TAILQ_FOREACH_REVERSE(req, &s->reqs, mux_reqs, sentry) {
		if (!(req->sched & MUX_SCHED_HELD))
			return req->stream;
	}
	return 0;
}

/* Unrelated notifications: the one request's stream, else the general one. */
uint64_t
mux_session_notify_stream(struct mux_session *s)
{
	struct mux_req	*req;

	if (s->nreqs != 1)
		return 0;
	TAILQ_FOREACH(req, &s->reqs, sentry) {
		if (!(req->sched & MUX_SCHED_HELD))
			return req->stream;
	}
	return 0;
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
	hmap_add(&m->reqs, hmap_mix(req->cid), req);
	TAILQ_INSERT_TAIL(&c->reqs, req, centry);
	return req;
}

void
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
uint64_t
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
	    (req->sched & MUX_SCHED_HELD) || c->owner != NULL || !c->up)
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
	r->turn = (req->sched & MUX_SCHED_SLOT) != 0;
	TAILQ_INSERT_TAIL(&c->orphans, r, entry);
	c->norphans++;
}

/*
 * The child answered a request of principal now: what it writes next may
 * be about it.  A principal already known just gets the new time; a new
 * one beyond MUX_RECENT_MAX takes the oldest's place, whose window is
 * then anybody's.
 */
void
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
void
mux_orphan_answered(struct mux *m, struct mux_child *c, uint64_t cid)
{
	struct mux_orphan	*r;

	TAILQ_FOREACH(r, &c->orphans, entry) {
		if (r->cid == cid) {
			mux_recent_answered(m, c, r->principal);
			mux_orphan_del(c, r);
			/* It held back the next turn, perhaps. */
			mux_sched_kick(m, c);
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
 * s's: one the child was not done with when its session stopped waiting
 * (with turns, only one that held an asking turn), or a 2026-07-28
 * request parked for its client's input, whose tool the child is still
 * in (not with turns: it held none)?  For a log line a parked request
 * counts as an orphan does, for MUX_ORPHAN_GRACE_MS after it parked: a
 * client that never comes back must not hold every other's lines until
 * its state expires.  For a question (ask) it counts until the child
 * answers it or it ends: a question carries its client's prompt, and only
 * a certain route may take it anywhere.
 */
static int
mux_orphans_other(struct mux *m, struct mux_child *c, struct mux_session *s,
    int ask, int turns)
{
	struct mux_orphan	*r;
	struct mux_req		*req;

	mux_orphans_expire(m, c);
	if (c->orphans_blind > m->now)
		return 1;
	TAILQ_FOREACH(r, &c->orphans, entry) {
		if ((r->turn || !turns) &&
		    mux_principal_other(r->principal, r->serial, s))
			return 1;
	}
	/* A 2026-07-28 request takes no turn, so with turns none counts: a
	 * turn on trial would wait for a client that may come back after
	 * minutes, if at all, and hold up whatever came meanwhile. */
	if (turns)
		return 0;
	/* Newest first: all park for as long, so they are by parking time. */
	TAILQ_FOREACH_REVERSE(req, &m->parked, mux_reqs, wentry) {
		if (!ask && req->mr->parked + MUX_ORPHAN_GRACE_MS <= m->now)
			break;
		/* Answered while parked (late): the child is done with it. */
		if (req->child == c && req->mr->late == NULL &&
		    mux_principal_other(req->mr->principal, 0, s))
			return 1;
	}
	return 0;
}

/*
 * May the child still work on another's request than s's that no session
 * waits for now: a parked 2026-07-28 one, or one that ended unanswered
 * (all of them, or only the orphans that held an asking turn, and no
 * parked one)?  Then a question it asks may be about that request
 * (mux_sched.c).
 */
int
mux_orphans_unfinished(struct mux *m, struct mux_child *c,
    struct mux_session *s, int all)
{
	if (c->norphans == 0 && c->orphans_blind <= m->now &&
	    TAILQ_EMPTY(&m->parked))
		return 0;
	return mux_orphans_other(m, c, s, 1, !all);
}

/*
 * A guess that s is who the child means, for a request or log line it did
 * not attribute, is withheld while another's request may be its cause:
 * one the child may still work on (mux_orphans_other), or one it just
 * answered (mux_recent_other).  Returns why (and counts it), or NULL if
 * the guess stands.
 */
const char *
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

	if (mux_orphans_other(m, c, s, what == MUX_GUESS_REQUEST, 0))
		why = orphan[what];
	else if (mux_recent_other(m, c, s))
		why = recent[what];
	else
		return NULL;
	m->stats.guesses_withheld++;
	return why;
}

/*
 * req's session waits for the child: the newest request moves it to the
 * end of the busy list.  (A call waiting for its turn does this when it
 * goes to the child.)
 */
void
mux_req_busy(struct mux_req *req)
{
	struct mux_session	*s = req->s;
	struct mux_child	*c = req->child;

	if (s->nreqs++ > 0)
		TAILQ_REMOVE(&c->busy, s, bentry);
	TAILQ_INSERT_TAIL(&c->busy, s, bentry);
}

/*
 * A client's request now answers to s, under the client's id (copied) and
 * on stream: in s's id map and request list, its session the newest busy
 * one (unless it waits for its turn), its timeout armed.
 */
void
mux_req_attach(struct mux *m, struct mux_req *req, struct mux_session *s,
    json_object *id, uint64_t stream)
{
	req->s = s;
	req->id = jsonrpc_id_copy(id);
	req->idh = jsonrpc_id_hash(id);
	hmap_add(&s->ids, req->idh, req);
	req->stream = stream;

	if (!(req->sched & MUX_SCHED_HELD))
		mux_req_busy(req);
	TAILQ_INSERT_TAIL(&s->reqs, req, sentry);

	/* A subscription is no request waiting for its answer. */
	if (!(req->flags & MUX_REQ_F_LISTEN)) {
		m->stats.in_flight++;
		req->child->in_flight++;
	}
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
		if (!(req->sched & MUX_SCHED_HELD) && --s->nreqs == 0)
			TAILQ_REMOVE(&req->child->busy, s, bentry);
		if (!(req->flags & MUX_REQ_F_LISTEN)) {
			m->stats.in_flight--;
			req->child->in_flight--;
		}
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
	/* Its turn, or its place in the queue, is the next call's. */
	mux_sched_release(m, req);
	if (req->mr != NULL)
		mux_modern_client_mreq_free(m, req);
	while (req->xr != NULL &&
	    (sr = TAILQ_FIRST(&req->xr->inputs)) != NULL) {
		/* The session need not answer what nobody waits for now. */
		if (!sr->s->closing && !sr->s->ended) {
			params = json_object_new_object();
			jsonrpc_add(params, "requestId",
			    json_object_new_int64((int64_t)sr->bid));
			jsonrpc_add(params, "reason", json_object_new_string(
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
	if (req->xr != NULL) {
		free(req->xr->method);
		json_object_put(req->xr->params);
		json_object_put(req->xr->resp);
		json_object_put(req->xr->state);
		free(req->xr);
	}
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
json_object *
mux_rewrite_request(json_object *msg, uint64_t cid, json_object *params)
{
	json_object	*o, *v;

	o = json_object_new_object();
	jsonrpc_add(o, "jsonrpc", jsonparse_version());
	jsonrpc_add(o, "id", json_object_new_int64((int64_t)cid));
	if (jsonrpc_member(msg, "method", &v))
		jsonrpc_add(o, "method", json_object_get(v));
	if (params != NULL)
		jsonrpc_add(o, "params", params);
	else if (jsonrpc_member(msg, "params", &v))
		jsonrpc_add(o, "params", json_object_get(v));
	return o;
}

/*
 * The params the child gets (params, consumed, or msg's) with ctx in a
 * copy of their _meta: the client's objects stay as they came.  Params
 * that are no object, or a _meta that is none, carry no context.
 */
json_object *
mux_span_params(json_object *msg, json_object *params,
    const struct tracectx *ctx)
{
	json_object	*src = params != NULL ? params : jsonrpc_params(msg);
	json_object	*n, *meta, *wrap;

	if (src != NULL && !json_object_is_type(src, json_type_object))
		return params;
	n = jsonrpc_copy_shallow(src, NULL);
	if (json_object_object_get_ex(n, "_meta", &meta)) {
		if (!json_object_is_type(meta, json_type_object)) {
			json_object_put(n);
			return params;
		}
		json_object_object_add(n, "_meta",
		    jsonrpc_copy_shallow(meta, NULL));
	}
	wrap = json_object_new_object();
	json_object_object_add(wrap, "params", n);
	tracectx_to_meta(wrap, ctx);
	json_object_get(n);
	json_object_put(wrap);
	if (params != NULL)
		json_object_put(params);
	return n;
}

/*
 * Sends a client's request to its child under a new id (and progress
 * token), or queues it for its turn (mux_sched.c).  msg is consumed;
 * params, if not NULL, replaces msg's params and is consumed too.  NULL
 * when the bridge answered it instead (too many wait; a ping that would).
 */
struct mux_req *
mux_forward(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream, struct mux_batch *b, unsigned flags, json_object *params)
{
	struct mux_child	*c = s->child;
	struct mux_req		*req;
	struct mux_prog		*p;
	struct tracectx		 tc;
	struct mux_tool		*tool;
	json_object		*token = NULL, *meta, *src, *n;
	/* msg's members, looked up once (issue 20); msg never changes. */
	const char		*method = jsonrpc_method(msg);
	json_object		*mparams = jsonrpc_params(msg);
	unsigned		 sched;

	/* Another session's turn, or one that waits, holds it back; a call
	 * of a tool that asks takes its turn (mux_sched.c). */
	sched = mux_sched_gate(m, c, s, method, params != NULL ? params :
	    mparams, &tool);
	if (sched != 0 && !mux_sched_admit(m, c, s, sched, tool)) {
		if (strcmp(method, "ping") == 0) {
			/* The child is up and busy with another's turn: a
			 * liveness check is not kept waiting for it. */
			mux_reply(m, s, stream, b, jsonrpc_result_new(
			    jsonrpc_id(msg), NULL));
			goto refused;
		}
		if (c->nwaiting >= MUX_WAITING_MAX) {
			m->stats.calls_wait_refused++;
			mux_error(m, s, stream, b, jsonrpc_id(msg),
			    JSONRPC_SERVER_ERROR, "Server busy: %d requests "
			    "already wait for turns at tools that ask the "
			    "client", MUX_WAITING_MAX);
			goto refused;
		}
		sched = (sched & (MUX_SCHED_GATE | MUX_SCHED_TOOL)) |
		    MUX_SCHED_HELD;
	} else if (sched & MUX_SCHED_SLOT) {
		if (tool == NULL || tool->kind != MUX_TOOL_ASKING)
			sched |= MUX_SCHED_TRIAL;
	}
	req = mux_req_new(m, c, MUX_REQ_CLIENT);
	req->flags = flags;
	req->tool = tool;
	req->sched = sched;
	if (sched & MUX_SCHED_SLOT)
		req->since = m->now;
	if (strcmp(method, "tools/list") == 0)
		req->flags |= MUX_REQ_F_TOOLS_LIST;
	mux_req_attach(m, req, s, jsonrpc_id(msg), stream);
	if ((req->batch = b) != NULL)
		b->pending++;
	m->stats.requests++;
	c->requests++;

	/*
	 * Two clients may both use token 1: the child sees ours, the cid.
	 * Replaced params keep the client's token only if they carry it.
	 */
	src = params != NULL ? params : mparams;
	jsonrpc_member(jsonrpc_get(src, "_meta", json_type_object),
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

		n = jsonrpc_copy_shallow(src, NULL);
		json_object_object_get_ex(n, "_meta", &meta);
		meta = jsonrpc_copy_shallow(meta, NULL);
		json_object_object_add(meta, "progressToken",
		    json_object_new_int64((int64_t)p->token));
		json_object_object_add(n, "_meta", meta);
		if (params != NULL)
			json_object_put(params);
		params = n;
	}

	/* A translated request may be retried with answers to questions. */
	if ((flags & MUX_REQ_F_TRANSLATE) &&
	    modern_method_mrtr(method)) {
		req->xr = xcalloc(1, sizeof *req->xr);
		req->xr->method = xstrdup(method);
		req->xr->params = json_object_get(params != NULL ? params :
		    mparams);
		TAILQ_INIT(&req->xr->inputs);
	}
	if (m->cfg.span_child != NULL && m->cfg.span_child(m->cfg.span_arg,
	    s, msg, req->cid, &tc) == 0)
		params = mux_span_params(msg, params, &tc);
	if (req->sched & MUX_SCHED_HELD)
		mux_sched_hold(m, req, mux_rewrite_request(msg, req->cid,
		    params));
	else if (params == NULL) {
		mux_to_child_as(m, c, msg, req->cid);
		return req;
	} else
		mux_to_child(m, c, mux_rewrite_request(msg, req->cid, params));
	json_object_put(msg);
	return req;

refused:
	json_object_put(params);
	json_object_put(msg);
	return NULL;
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

struct mux_task *
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
struct mux_task *
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
json_object *
mux_task_out(struct mux_session *s, json_object *o, const char *key)
{
	struct mux_task	*t;
	const char	*id;

	if ((id = jsonrpc_get_str(o, key)) == NULL)
		return json_object_get(o);
	if ((t = mux_task_own(s, id)) == NULL)
		return NULL;
	o = jsonrpc_copy_shallow(o, NULL);
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
json_object *
mux_task_result(struct mux *m, struct mux_child *c, struct mux_session *s,
    json_object *result, int tasks, json_object *ptoken)
{
	struct mux_task	*t;
	json_object	*out, *v, *e, *meta, *rel, *list;
	size_t		 i, n;

	if ((t = mux_task_record(m, c, s, 1, result)) != NULL) {
		t->ptoken = json_object_get(ptoken);
		v = jsonrpc_copy_shallow(jsonrpc_get(result, "task",
		    json_type_object), NULL);
		json_object_object_add(v, "taskId",
		    json_object_new_string(t->id));
		out = jsonrpc_copy_shallow(result, NULL);
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
			meta = jsonrpc_copy_shallow(meta, NULL);
			json_object_object_add(meta, MCP_META_RELATED_TASK, v);
			v = jsonrpc_copy_shallow(out, NULL);
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
		list = jsonrpc_copy_shallow(out, NULL);
		json_object_object_add(list, "tasks", v);
		json_object_put(out);
		out = list;
	}
	return out;
}

void
mux_elicit_free(struct mux_child *c, struct mux_elicit *e)
{
	hmap_del(&c->elicits, hmap_hash_str(e->id), e);
	TAILQ_REMOVE(&e->s->elicits, e, sentry);
	free(e->id);
	free(e);
}

void
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
		TAILQ_REMOVE(&sr->xreq->xr->inputs, sr, rentry);
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
 * s is one of c's sessions from now (until mux_child_detach).  A legacy
 * session counts towards c's load; a stateless one is counted by its one
 * request in flight instead.
 */
void
mux_child_attach(struct mux_child *c, struct mux_session *s)
{
	s->child = c;
	TAILQ_INSERT_TAIL(&c->sessions, s, centry);
	if (s->transport != MUX_TRANSPORT_STATELESS)
		c->nsessions++;
}

void
mux_child_detach(struct mux_child *c, struct mux_session *s)
{
	TAILQ_REMOVE(&c->sessions, s, centry);
	if (s->transport != MUX_TRANSPORT_STATELESS)
		c->nsessions--;
	s->child = NULL;
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
			mux_cancel_at_child(m, c, req,
			    "client session closed");
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
			jsonrpc_add(params, "uri",
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
			jsonrpc_add(params, "level",
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
		mux_route_process(m, s, msg, stream, jsonrpc_classify(msg));
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
	jsonrpc_add(caps, "sampling", json_object_new_object());
	jsonrpc_add(caps, "elicitation", json_object_new_object());
	v = json_object_new_object();
	jsonrpc_add(v, "listChanged", json_object_new_boolean(1));
	jsonrpc_add(caps, "roots", v);
	return caps;
}

json_object *
mux_bridge_info(struct mux *m)
{
	json_object	*info;

	info = json_object_new_object();
	jsonrpc_add(info, "name", json_object_new_string(m->client_name));
	jsonrpc_add(info, "version", json_object_new_string(m->client_version));
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
	jsonrpc_add(params, "protocolVersion",
	    json_object_new_string(MCP_VERSION_LATEST_LEGACY));
	jsonrpc_add(params, "capabilities", caps);
	jsonrpc_add(params, "clientInfo", info);

	req = mux_req_new(m, c, MUX_REQ_INIT);
	mux_to_child(m, c, jsonrpc_request_new((int64_t)req->cid, "initialize",
	    params));
}

/* The shared child answered our initialize. */
void
mux_child_initialized(struct mux *m, struct mux_child *c, json_object *result,
    json_object *error)
{
	json_object	*info;
	const char	*why;
	char		 label[MUX_LABEL_LEN];

	if (error != NULL ||
	    jsonrpc_get_str(result, "protocolVersion") == NULL) {
		why = error != NULL ? jsonrpc_get_str(error, "message") :
		    "no protocolVersion in its result";
		if (why == NULL)
			why = "no message";
		log_warnx("%s%sthe server refused to initialize: %s%s",
		    m->server_name != NULL ? m->server_name : "",
		    m->server_name != NULL ? ": " : "", why,
		    mux_child_label(c, label));
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
	log_info("%s%sserver %s %s initialized, protocol %s%s",
	    m->server_name != NULL ? m->server_name : "",
	    m->server_name != NULL ? ": " : "",
	    jsonrpc_get_str(info, "name") ? jsonrpc_get_str(info, "name") :
	    "(unnamed)",
	    jsonrpc_get_str(info, "version") ?
	    jsonrpc_get_str(info, "version") : "",
	    jsonrpc_get_str(result, "protocolVersion"),
	    mux_child_label(c, label));
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
	jsonrpc_add(meta, MODERN_META_VERSION,
	    json_object_new_string(MCP_VERSION_2026_07_28));
	jsonrpc_add(meta, MODERN_META_CAPS, mux_bridge_caps(m));
	jsonrpc_add(meta, MODERN_META_INFO, mux_bridge_info(m));
	params = json_object_new_object();
	jsonrpc_add(params, "_meta", meta);
	c->probe = mux_req_new(m, c, MUX_REQ_DISCOVER);
	c->probe_deadline = m->now + m->cfg.probe_timeout_ms;
	mux_to_child(m, c, jsonrpc_request_new((int64_t)c->probe->cid,
	    "server/discover", params));
}

/* The child speaks 2026-07-28; discover (borrowed) is NULL if it did not
 * say more. */
void
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
		jsonrpc_add(c->discover, "supportedVersions", v);
		jsonrpc_add(c->discover, "capabilities",
		    json_object_new_object());
		jsonrpc_add(c->discover, "resultType",
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
void
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

/*
 * The shared child came up init_timeout_ms ago and has not finished its
 * handshake, nor refused it, or a session's own child has not answered
 * the client's initialize in that time: the operator learns which command
 * it is and what is likely wrong, once per start.  (The clients waiting
 * for it get their errors as their own deadlines pass.)
 */
static void
mux_child_overdue(struct mux *m, struct mux_child *c)
{
	uint64_t	ms = m->cfg.init_timeout_ms;
	char		*name = NULL, *within, label[MUX_LABEL_LEN];

	c->init_deadline = 0;
	if (!c->up || (c->owner == NULL && (c->ready || c->failed != NULL)))
		return;
	if (ms % 1000 == 0)
		xasprintf(&within, "%" PRIu64 "s", ms / 1000);
	else
		xasprintf(&within, "%" PRIu64 " ms", ms);
	if (m->child_name != NULL)
		xasprintf(&name, "%s '%s'", m->cfg.child_url ? "server" :
		    "child", m->child_name);
	log_warnx("%s%s%s%s did not answer %s within %s (--init-timeout): "
	    "is it %s?", m->server_name != NULL ? m->server_name : "",
	    m->server_name != NULL ? ": " : "",
	    name != NULL ? name : "the child", mux_child_label(c, label),
	    c->probe != NULL ? "server/discover" : "initialize", within,
	    m->cfg.child_url ? "an MCP server at that URL, and up" :
	    "an MCP server on stdio");
	free(name);
	free(within);
}

/* ---- child up and down ------------------------------------------------- */

/* The child behind s (NULL: the first shared one); NULL (ignored) for
 * one the mux no longer knows. */
static struct mux_child *
mux_child_of(struct mux *m, struct mux_session *s)
{
	if (s == NULL)
		return m->npool > 0 ? m->pool[0] : NULL;
	if (s->closing)
		return NULL;
	return s->own;
}

/* Shared child i; NULL (ignored) out of range. */
static struct mux_child *
mux_pool_at(const struct mux *m, size_t i)
{
	return i < m->npool ? m->pool[i] : NULL;
}


static void
mux_up(struct mux *m, struct mux_child *c)
{
	if (c == NULL)
		return;
	if (c->up)
		mux_child_lost(m, c, "restarted");
	c->up = 1;
	c->starts++;
	free(c->failed);
	c->failed = NULL;
	if (c->owner != NULL) {
		/* The client itself initializes its own child. */
		c->ready = 1;
		mux_flush(m, c);
		return;
	}
	/* Its handshake is overdue from then (mux_child_overdue). */
	c->init_deadline = m->now + m->cfg.init_timeout_ms;
	if (m->cfg.child_era != MUX_CHILD_ERA_LEGACY)
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
	xasprintf(&text, "Server not available: child %s", cause);
	c->up = 0;
	c->ready = 0;
	c->init_deadline = 0;
	c->roots_told = 0;
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
		mux_child_detach(c, s);
		s->ended = 1;
		mux_out_push(m, MUX_OUT_SESSION_END, s, 0, 0, NULL);
	}
	free(text);
}

void
mux_child_up(struct mux *m, struct mux_session *s)
{
	mux_up(m, mux_child_of(m, s));
}

void
mux_pool_up(struct mux *m, size_t i)
{
	mux_up(m, mux_pool_at(m, i));
}

static void
mux_down(struct mux *m, struct mux_child *c, const char *cause)
{
	char	label[MUX_LABEL_LEN];

	if (c == NULL || (!c->up && c->owner == NULL))
		return;
	/* The caller logs the exit; this only ties it to the mux. */
	log_debug("%s %s%s", c->owner == NULL ? "server" : "session's server",
	    cause != NULL ? cause : "went away", mux_child_label(c, label));
	mux_child_lost(m, c, cause != NULL ? cause : "went away");
}

void
mux_child_down(struct mux *m, struct mux_session *s, const char *cause)
{
	mux_down(m, mux_child_of(m, s), cause);
}

void
mux_pool_down(struct mux *m, size_t i, const char *cause)
{
	mux_down(m, mux_pool_at(m, i), cause);
}

static void
mux_unavailable(struct mux *m, struct mux_child *c, const char *cause)
{
	char	*text;

	if (c == NULL || c->up)
		return;
	/* The caller logged it (at error level): this only tells clients. */
	log_debug("server cannot be started: %s", cause);
	free(c->failed);
	c->failed = xstrdup(cause);
	/* What arrives from now is answered at once (c->failed); what
	 * waits is answered alike. */
	xasprintf(&text, "Server not available: %s", cause);
	while (!TAILQ_EMPTY(&c->queue))
		mux_pending_fail(m, c, TAILQ_FIRST(&c->queue), text);
	free(text);
}

void
mux_child_unavailable(struct mux *m, struct mux_session *s, const char *cause)
{
	mux_unavailable(m, mux_child_of(m, s), cause);
}

void
mux_pool_unavailable(struct mux *m, size_t i, const char *cause)
{
	mux_unavailable(m, mux_pool_at(m, i), cause);
}

/*
 * The bridge stops waiting (--drain-timeout ended): every client request
 * still at a child, or queued for one, is answered with why now, so its
 * client reads an error rather than a stream that just ends.  Listen
 * requests end gracefully as when a child goes.  The children keep
 * running; the caller stops them.
 */
void
mux_fail_all(struct mux *m, const char *why)
{
	struct mux_child	*c;
	struct mux_req		*req, *rnext;

	TAILQ_FOREACH(c, &m->children, entry) {
		/* First those waiting for their turn: no turn comes now. */
		while ((req = TAILQ_FIRST(&c->waiting)) != NULL)
			mux_req_finish(m, req, jsonrpc_error_new(req->id,
			    JSONRPC_SERVER_ERROR, why, NULL));
		for (req = TAILQ_FIRST(&c->reqs); req != NULL; req = rnext) {
			rnext = TAILQ_NEXT(req, centry);
			if (req->kind != MUX_REQ_CLIENT)
				continue;
			if (req->flags & MUX_REQ_F_LISTEN)
				mux_req_finish(m, req,
				    modern_listen_end(req->id));
			else
				mux_req_finish(m, req, jsonrpc_error_new(
				    req->id, JSONRPC_SERVER_ERROR, why, NULL));
		}
		while (!TAILQ_EMPTY(&c->queue))
			mux_pending_fail(m, c, TAILQ_FIRST(&c->queue), why);
	}
}

/* The first shared child that is ready (the copies of a pool run one
 * command: any speaks for all); NULL if none is. */
static struct mux_child *
mux_pool_first_ready(const struct mux *m)
{
	size_t	i;

	for (i = 0; i < m->npool; i++) {
		if (m->pool[i]->ready)
			return m->pool[i];
	}
	return NULL;
}

int
mux_ready(const struct mux *m)
{
	return m->npool == 0 || mux_pool_first_ready(m) != NULL;
}

int
mux_pool_ready(const struct mux *m, size_t i)
{
	return i < m->npool && m->pool[i]->ready;
}

int
mux_tool_allowed(const struct mux *m, const char *tool)
{
	return toolfilter_allows(m->cfg.tools, tool);
}

json_object *
mux_tool_headers(const struct mux *m, const char *tool)
{
	json_object	*spec;
	size_t		 i;

	/* Each child learns from the tools/list answers it gives. */
	for (i = 0; i < m->npool; i++) {
		if (m->pool[i]->ready && m->pool[i]->tool_headers != NULL &&
		    json_object_object_get_ex(m->pool[i]->tool_headers, tool,
		    &spec))
			return spec;
	}
	return NULL;
}

int
mux_tool_named(const struct mux *m, const char *tool)
{
	return mux_tool_headers(m, tool) != NULL || (m->tools_named != NULL &&
	    json_object_object_get_ex(m->tools_named, tool, NULL));
}

int
mux_child_modern(const struct mux *m)
{
	struct mux_child	*c;

	return (c = mux_pool_first_ready(m)) != NULL && c->modern;
}

json_object *
mux_child_info(const struct mux *m)
{
	struct mux_child	*c;

	return (c = mux_pool_first_ready(m)) != NULL ? c->info : NULL;
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
	TAILQ_INIT(&c->waiting);
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
	s->own = mux_child_new(m, s);
	mux_child_attach(s->own, s);
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

static void
mux_recv(struct mux *m, struct mux_child *c, json_object *msg)
{
	size_t	i, n;

	if (c == NULL || !c->up) {
		log_debug("message from a server the bridge does not serve "
		    "dropped");
		json_object_put(msg);
		return;
	}
	if (!json_object_is_type(msg, json_type_array)) {
		mux_route_child(m, c, msg);
		return;
	}
	n = json_object_array_length(msg);
	for (i = 0; i < n; i++) {
		mux_route_child(m, c, json_object_get(
		    json_object_array_get_idx(msg, i)));
	}
	json_object_put(msg);
}

void
mux_child_recv(struct mux *m, struct mux_session *s, json_object *msg)
{
	mux_recv(m, mux_child_of(m, s), msg);
}

void
mux_pool_recv(struct mux *m, size_t i, json_object *msg)
{
	mux_recv(m, mux_pool_at(m, i), msg);
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

static void
mux_unreadable(struct mux *m, struct mux_child *c, json_object *id,
    int seen, size_t limit, const char *reason)
{
	struct mux_req		*req = NULL;
	json_object		*cid;
	char			*why, *text;
	const char		*idtext;

	if (c == NULL || !c->up)
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
	mux_route_child_response(m, c, jsonrpc_error_new(cid,
	    JSONRPC_INTERNAL_ERROR, text, NULL));
	json_object_put(cid);
	free(text);
	free(why);
out:
	json_object_put(id);
}

void
mux_child_unreadable(struct mux *m, struct mux_session *s, json_object *id,
    int seen, size_t limit, const char *reason)
{
	mux_unreadable(m, mux_child_of(m, s), id, seen, limit, reason);
}

void
mux_pool_unreadable(struct mux *m, size_t i, json_object *id, int seen,
    size_t limit, const char *reason)
{
	mux_unreadable(m, mux_pool_at(m, i), id, seen, limit, reason);
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
	if (m->npool > 0)
		mux_child_attach(mux_pool_pick(m, s), s);
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
	if (m->cfg.span_session_end != NULL)
		m->cfg.span_session_end(m->cfg.span_arg, s);
	if (c != NULL) {
		/* Its own child is about to stop: telling it is pointless. */
		mux_session_detach(m, s, c->owner == NULL);
		mux_pending_purge(c, s);
		mux_child_detach(c, s);
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
mux_session_away(struct mux_session *s, int away)
{
	s->away_since = !away ? 0 : s->m->now != 0 ? s->m->now : 1;
}

void
mux_session_finish(struct mux *m, struct mux_session *s)
{
	struct mux_req	*req;

	if (s->closing)
		return;
	/* A listen passed through to a 2026-07-28 child: the bridge ends
	 * it (the child hears a cancellation) the way the child would. */
	TAILQ_FOREACH(req, &s->reqs, sentry) {
		if (!(req->flags & MUX_REQ_F_LISTEN))
			continue;
		if (req->child->up)
			mux_cancel_at_child(m, req->child, req,
			    "the bridge is closing");
		mux_req_finish(m, req, modern_listen_end(req->id));
		return;
	}
	if (!s->listening)
		return;
	s->listening = 0;
	mux_to_session(m, s, s->listen_stream, 1,
	    modern_listen_end(s->listen_id));
}

enum mux_recv
mux_session_recv(struct mux *m, struct mux_session *s, json_object *msg,
    uint64_t stream)
{
	struct mux_child	*c = s->child;
	struct mux_pending	*p;
	const char		*method;
	enum mux_recv		 status;
	enum jsonrpc_kind	 kind;

	if (m->cfg.trace != NULL)
		m->cfg.trace(m->cfg.trace_arg, s, msg);
	/* Classified once: nothing below changes msg before it is routed. */
	if ((kind = jsonrpc_classify(msg)) == JSONRPC_INVALID) {
		mux_error(m, s, stream, NULL, NULL, JSONRPC_INVALID_REQUEST,
		    "Invalid Request");
		json_object_put(msg);
		return MUX_RECV_INVALID;
	}
	if (m->npool == 0 && s->own == NULL && !s->ended &&
	    s->transport != MUX_TRANSPORT_STATELESS &&
	    (method = jsonrpc_method(msg)) != NULL &&
	    strcmp(method, "initialize") == 0 && kind == JSONRPC_REQUEST)
		return mux_isolation_start(m, s, msg, stream);
	/* A pool: a legacy session is pinned for its life to the least
	 * loaded child as it initializes (a legacy SSE session was made at
	 * its GET, perhaps long before). */
	if (m->npool > 1 && s->transport != MUX_TRANSPORT_STATELESS &&
	    !s->init_started && !s->initialized && !s->ended &&
	    (method = jsonrpc_method(msg)) != NULL &&
	    strcmp(method, "initialize") == 0 && kind == JSONRPC_REQUEST) {
		mux_pool_move(m, s, mux_pool_pick(m, s));
		c = s->child;
	}

	/* Until the handshake is done client traffic waits, in order. */
	if (c != NULL && !c->ready && c->failed == NULL && !s->ended) {
		status = mux_route_prescan(msg);
		p = xcalloc(1, sizeof *p);
		p->s = s;
		p->msg = msg;
		p->stream = stream;
		p->deadline = m->now + m->cfg.init_timeout_ms;
		TAILQ_INSERT_TAIL(&c->queue, p, entry);
		return status;
	}
	return mux_route_process(m, s, msg, stream, kind);
}

/* ---- the multiplexer ---------------------------------------------------- */

struct mux *
mux_new(const struct mux_config *cfg)
{
	struct mux	*m;
	size_t		 i;

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
	if (cfg->child_name != NULL)
		m->child_name = xstrdup(cfg->child_name);
	m->cfg.child_name = m->child_name;
	if (cfg->server_name != NULL)
		m->server_name = xstrdup(cfg->server_name);
	m->cfg.server_name = m->server_name;
	TAILQ_INIT(&m->children);
	TAILQ_INIT(&m->timeouts);
	TAILQ_INIT(&m->gathering);
	TAILQ_INIT(&m->parked);
	if (m->cfg.input_timeout_ms == 0)
		m->cfg.input_timeout_ms = MODERN_STATE_TTL_MS;
	modern_key_new(m->key);
	TAILQ_INIT(&m->sessions);
	TAILQ_INIT(&m->graveyard);
	if (cfg->isolation == MUX_ISOLATION_SHARED) {
		m->npool = cfg->children == 0 ? 1 : cfg->children;
		if (m->npool > MUX_CHILDREN_MAX)
			m->npool = MUX_CHILDREN_MAX;
		m->pool = xcalloc(m->npool, sizeof *m->pool);
		for (i = 0; i < m->npool; i++) {
			m->pool[i] = mux_child_new(m, NULL);
			m->pool[i]->index = i;
		}
	}
	mux_sched_init(m);
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
	free(m->pool);
	hmap_clear(&m->reqs);
	hmap_clear(&m->progs);
	hmap_clear(&m->sreqs);
	mux_sched_free(m);
	free(m->outs);
	json_object_put(m->caps);
	json_object_put(m->tools_named);
	free(m->client_name);
	free(m->client_version);
	free(m->server_name);
	free(m->child_name);
	free(m);
}

int
mux_next(struct mux *m, struct mux_out *out)
{
	json_object	*msg;

	if (!mux_next_lazy(m, out))
		return 0;
	if (out->child_id != 0) {
		msg = out->msg;
		out->msg = mux_rewrite_request(msg, out->child_id, NULL);
		out->child_id = 0;
		json_object_put(msg);
	}
	return 1;
}

int
mux_next_lazy(struct mux *m, struct mux_out *out)
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

/*
 * The session holding c's asking turn has been away for MUX_AWAY_TURN_MS
 * (mux_session_away): its calls that hold the turn are cancelled at the
 * child and answered with an error (for a client that resumes), so that
 * the turn passes on.
 */
static void
mux_away_turn(struct mux *m, struct mux_child *c)
{
	struct mux_session	*s = c->asker;
	struct mux_req		*req;

	if (s == NULL || s->away_since == 0 ||
	    m->now - s->away_since < MUX_AWAY_TURN_MS)
		return;
	for (;;) {
		TAILQ_FOREACH(req, &s->reqs, sentry)
			if (req->child == c && (req->sched & MUX_SCHED_SLOT))
				break;
		if (req == NULL)
			break;
		log_info("a client away for %u s held the server's turn for "
		    "calls that ask; its call is cancelled",
		    MUX_AWAY_TURN_MS / 1000);
		if (c->up) {
			mux_cancel_at_child(m, c, req, "its client went away");
			mux_req_orphan(m, req);
		}
		mux_req_finish(m, req, jsonrpc_error_new(req->id,
		    JSONRPC_SERVER_ERROR, "Request cancelled: its client was "
		    "away while its call held the server's turn for calls "
		    "that ask", NULL));
	}
}

void
mux_tick(struct mux *m, uint64_t now_ms)
{
	struct mux_child	*c;
	struct mux_pending	*p;
	struct mux_req		*req;
	char			*text;
	size_t			 i;

	m->now = now_ms;
	for (i = 0; i < m->npool; i++) {
		c = m->pool[i];
		if (c->probe != NULL && c->probe_deadline != 0 &&
		    c->probe_deadline <= now_ms) {
			/* Silence is an answer too: a legacy server.  Unless
			 * it is modern as configured: then the probe stays
			 * out, for its late answer still tells who the child
			 * is. */
			if (m->cfg.child_era == MUX_CHILD_ERA_MODERN)
				c->probe_deadline = 0;
			else
				mux_req_free(m, c->probe);
			mux_child_discovered(m, c, NULL, NULL);
		}
		/* The legacy clients still want what the child's listen gave
		 * them (a pause first: a child that keeps ending it is not
		 * hammered). */
		if (c->listen_again != 0 && c->listen_again <= now_ms) {
			c->listen_again = 0;
			if (c->listen == NULL)
				mux_modern_child_own_listen(m, c);
		}
	}
	TAILQ_FOREACH(c, &m->children, entry) {
		if (c->init_deadline != 0 && c->init_deadline <= now_ms)
			mux_child_overdue(m, c);
		while ((p = TAILQ_FIRST(&c->queue)) != NULL &&
		    p->deadline <= now_ms)
			mux_pending_fail(m, c, p, "Server not available: it "
			    "did not finish starting in time");
		mux_orphans_expire(m, c);
	}
	while ((req = TAILQ_FIRST(&m->timeouts)) != NULL &&
	    req->deadline <= now_ms) {
		if (req->child->up) {
			mux_cancel_at_child(m, req->child, req, "timed out");
			mux_req_orphan(m, req);
		}
		if (req->mr != NULL)
			mux_modern_client_inputs_fail(m, req, 1,
			    "the request timed out");
		xasprintf(&text, "Request timed out after %" PRIu64 " ms%s",
		    m->cfg.request_timeout_ms, (req->sched & MUX_SCHED_HELD) ?
		    " waiting for its turn: another client's call of a tool "
		    "that asks its client held the server" : "");
		mux_req_finish(m, req, jsonrpc_error_new(req->id,
		    JSONRPC_SERVER_ERROR, text, NULL));
		free(text);
	}
	TAILQ_FOREACH(c, &m->children, entry)
		mux_away_turn(m, c);
	mux_modern_client_tick(m);
	mux_sched_tick(m);
}

void
mux_stats(const struct mux *m, struct mux_stats *st)
{
	*st = m->stats;
}

uint64_t
mux_wakeup(const struct mux *m)
{
	const struct mux_child	*c;
	struct mux_req		*req;
	uint64_t		 when = 0;
	size_t			 i;

	if ((req = TAILQ_FIRST(&m->gathering)) != NULL)
		when = req->mr->gather;
	for (i = 0; i < m->npool; i++) {
		c = m->pool[i];
		if (c->probe != NULL && c->probe_deadline != 0 &&
		    (when == 0 || c->probe_deadline < when))
			when = c->probe_deadline;
	}
	return when;
}
