/* SPDX-License-Identifier: ISC */
/*
 * mux_sched.c: the turns of tools that ask.  Stdio does not say which
 * client a shared legacy child's sampling/createMessage, elicitation/create
 * or roots/list is for; with requests of several sessions in flight the
 * bridge could only refuse it.  So the calls that may ask take turns
 * instead: each child has one asking turn, held by one session at a time
 * (any number of its calls), and it is exclusive: it starts only once no
 * other session's request is in flight at the child, and while it is held
 * the requests of other sessions (of any method, and 2026-07-28 clients')
 * wait, in arrival order with the calls waiting for a turn.  A question
 * the child does not attribute (a relatedRequestId hint still wins) is
 * then certainly the holder's: nobody else's request is at the child.
 * With no turn held the other requests run side by side, and a question
 * goes where it went before: to the one session that can be its cause,
 * or nowhere.  What is learned decides only who takes a turn, never where
 * a question goes.
 *
 * Which calls take turns: those of a tool --asking-tools names, or that
 * the child asked about when only its calls could be the cause (ASKING);
 * with MUX_SERVER_REQUESTS_SCHEDULE also those of a tool not yet seen to
 * be answered without asking (UNKNOWN), so that even the first calls of a
 * tool are never refused; a tool's first answer without a question makes
 * it QUIET, and its calls run side by side from then on.  The price: the
 * first calls of new tools hold the child against other sessions, at most
 * MUX_SCHED_TRIAL_MS each: a call on trial that has not asked by then
 * gives the turn up and runs LOOSE (its tool LATE, and so do the calls of
 * the tool that wait and come until one is answered), side by side with
 * the others that do not take turns.  A tool that asks while calls of
 * several sessions are in flight has that question refused, and takes
 * turns from then on.  Another session's turn also waits for what the
 * child may still work on for another client: a call that ended
 * unanswered (an orphan, until its late answer or MUX_ORPHAN_GRACE_MS),
 * a 2026-07-28 request parked for its client's answer (until the child
 * answers it or it ends); a turn on trial waits only for orphans that had
 * a turn (a parked request had none); a question in a turn while such a
 * request may be its cause is refused.
 *
 * Only requests at a shared legacy child take part: a session's own child
 * needs no guess, and a 2026-07-28 child asks in its answers.  A
 * 2026-07-28 client's requests wait as others do but take no turn.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hmap.h"
#include "jsonrpc.h"
#include "log.h"
#include "mux.h"
#include "mux_int.h"
#include "xmalloc.h"

static const char *const mux_sched_caps[] = {
	"sampling", "elicitation", "roots",
};

static int
mux_tool_match(const void *v, const void *key)
{
	return strcmp(((const struct mux_tool *)v)->name, key) == 0;
}

/* The tool called name, made (UNKNOWN) if new and there is room. */
static struct mux_tool *
mux_sched_find(struct mux *m, const char *name, int make)
{
	struct mux_tool	*t;
	uint64_t	 h;

	if (strlen(name) > MUX_TOOL_NAME_MAX)
		return NULL;
	h = hmap_hash_str(name);
	if ((t = hmap_find(&m->tools, h, mux_tool_match, name)) != NULL ||
	    !make)
		return t;
	if (m->ntools >= MUX_TOOLS_MAX) {
		if (m->ntools++ == MUX_TOOLS_MAX)
			log_warnx("more than %d tool names called: calls of "
			    "others take turns as if they asked their client",
			    MUX_TOOLS_MAX);
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	hmap_add(&m->tools, h, t);
	m->ntools++;
	return t;
}

/* The tools named as asking; whether the children may ask at all (the
 * bridge declared a capability they ask with). */
void
mux_sched_init(struct mux *m)
{
	struct mux_tool		*t;
	json_object		*caps;
	const char *const	*name;
	size_t			 i;

	name = m->cfg.asking_tools;
	m->cfg.asking_tools = NULL;	/* borrowed: copied below */
	if (m->cfg.isolation != MUX_ISOLATION_SHARED)
		return;
	caps = mux_bridge_caps(m);
	for (i = 0; i < sizeof mux_sched_caps / sizeof mux_sched_caps[0]; i++)
		if (jsonrpc_get(caps, mux_sched_caps[i], json_type_object) !=
		    NULL)
			m->sched = 1;
	json_object_put(caps);
	for (; name != NULL && *name != NULL; name++) {
		if ((t = mux_sched_find(m, *name, 1)) != NULL)
			t->kind = MUX_TOOL_ASKING;
	}
}

void
mux_sched_free(struct mux *m)
{
	struct mux_tool	*t;
	size_t		 i = 0;

	while ((t = hmap_next(&m->tools, &i)) != NULL) {
		free(t->name);
		free(t);
	}
	hmap_clear(&m->tools);
}

/* What a call of t needs now: a turn (SLOT), none but watched (LOOSE),
 * or none (0). */
static unsigned
mux_sched_want(struct mux *m, const struct mux_tool *t)
{
	if (t != NULL && t->kind == MUX_TOOL_ASKING)
		return MUX_SCHED_SLOT;
	if (m->cfg.server_requests != MUX_SERVER_REQUESTS_SCHEDULE)
		return 0;
	if (t == NULL || t->kind == MUX_TOOL_UNKNOWN)
		return MUX_SCHED_SLOT;
	if (t->kind == MUX_TOOL_LATE)
		return MUX_SCHED_LOOSE;
	return 0;
}

/*
 * A request s is about to send c: 0 if it takes no part, else
 * MUX_SCHED_GATE, with MUX_SCHED_TOOL for a legacy client's tools/call
 * (*tool: its tool, NULL if not known by name) and what that needs now.
 */
unsigned
mux_sched_gate(struct mux *m, struct mux_child *c, struct mux_session *s,
    const char *method, json_object *params, struct mux_tool **tool)
{
	const char	*name;

	*tool = NULL;
	if (!m->sched || c->owner != NULL || c->modern)
		return 0;
	if (s->transport == MUX_TRANSPORT_STATELESS ||
	    strcmp(method, "tools/call") != 0)
		return MUX_SCHED_GATE;
	name = jsonrpc_get_str(params, "name");
	*tool = name != NULL ? mux_sched_find(m, name, 1) : NULL;
	return MUX_SCHED_GATE | MUX_SCHED_TOOL | mux_sched_want(m, *tool);
}

/*
 * Is nothing at c another's than s's, for a turn at t: no other session's
 * request in flight, nothing the child may still work on for another
 * client.  The first calls of a tool not known to ask (on trial) wait
 * only for orphans that held a turn: most tools do not ask, and a
 * question in such a turn while another orphan may be its cause is
 * refused (mux_sched_route), not misrouted.
 */
static int
mux_sched_free_for(struct mux *m, struct mux_child *c, struct mux_session *s,
    const struct mux_tool *t)
{
	struct mux_session	*o;

	TAILQ_FOREACH(o, &c->busy, bentry) {
		if (o != s)
			return 0;
	}
	return !mux_orphans_unfinished(m, c, s, t != NULL &&
	    t->kind == MUX_TOOL_ASKING);
}

/* Does c wait for s's answer to a question?  What s sends now may be
 * what that answer needs. */
static int
mux_sched_asked(struct mux_child *c, struct mux_session *s)
{
	struct mux_sreq	*sr;

	TAILQ_FOREACH(sr, &s->sreqs, sentry) {
		if (sr->child == c)
			return 1;
	}
	return 0;
}

/* May a request of s (sched, from mux_sched_gate, or a turn; of tool t)
 * go to c now, the turn taken if it takes one? */
static int
mux_sched_may(struct mux *m, struct mux_child *c, struct mux_session *s,
    unsigned sched, const struct mux_tool *t)
{
	if (!(sched & MUX_SCHED_SLOT))
		return c->asker == NULL || c->asker == s;
	if (c->asker != s && (c->asker != NULL ||
	    !mux_sched_free_for(m, c, s, t)))
		return 0;
	c->asker = s;
	c->nasking++;
	return 1;
}

/*
 * Can a request of s go to c now?  Not while another session's turn is
 * held, nor (a turn) while another's request is in flight, nor while
 * others wait (they came first) unless c waits for s's answer.  A call
 * that takes a turn has it when this returns 1.
 */
int
mux_sched_admit(struct mux *m, struct mux_child *c, struct mux_session *s,
    unsigned sched, const struct mux_tool *t)
{
	if (c->nwaiting > 0 && !mux_sched_asked(c, s))
		return 0;
	return mux_sched_may(m, c, s, sched, t);
}

/* req waits; out (consumed) is what the child gets then. */
void
mux_sched_hold(struct mux *m, struct mux_req *req, json_object *out)
{
	struct mux_child	*c = req->child;

	req->held = out;
	req->since = m->now;
	TAILQ_INSERT_TAIL(&c->waiting, req, qentry);
	c->nwaiting++;
	m->stats.calls_waiting++;
	m->stats.call_waits++;
	log_debug("%s waits for its turn (%zu waiting)",
	    (req->sched & MUX_SCHED_TOOL) ? "tools/call" : "a request",
	    c->nwaiting);
}

/* req leaves the queue for the child, with the turn if want is SLOT (taken
 * already), else without (its tool quiet or late, or no tool). */
static void
mux_sched_go(struct mux *m, struct mux_child *c, struct mux_req *req,
    unsigned want)
{
	TAILQ_REMOVE(&c->waiting, req, qentry);
	c->nwaiting--;
	m->stats.calls_waiting--;
	m->stats.call_wait_ms += m->now - req->since;
	req->sched = (req->sched & (MUX_SCHED_GATE | MUX_SCHED_TOOL)) | want;
	if (want == MUX_SCHED_SLOT) {
		if (req->tool == NULL || req->tool->kind != MUX_TOOL_ASKING)
			req->sched |= MUX_SCHED_TRIAL;
		req->since = m->now;
	}
	mux_req_busy(req);
	mux_to_child(m, c, req->held);
	req->held = NULL;
}

/*
 * Has req, a call on trial, waited MUX_SCHED_TRIAL_MS for the requests of
 * others to end, with no turn held?  It gives the turn up and runs loose
 * beside them: the first calls of a tool wait no longer than its trial
 * would have held them (if it asks then, the question is refused).
 */
static int
mux_sched_gives_up(struct mux *m, struct mux_child *c, struct mux_req *req,
    unsigned want)
{
	return want == MUX_SCHED_SLOT && c->asker == NULL &&
	    (req->tool == NULL || req->tool->kind != MUX_TOOL_ASKING) &&
	    req->since + MUX_SCHED_TRIAL_MS <= m->now;
}

/*
 * What may go to the child now goes, from the head of the queue in the
 * order it came: requests that take no turn while no other session's is
 * held, a turn once nothing else is another's there (a call on trial
 * that waited long enough: loose).  The first that cannot go stops the
 * rest (they came later).  One whose time is up stops them too:
 * mux_tick's error is its answer, just after.
 */
static void
mux_sched_next(struct mux *m, struct mux_child *c)
{
	struct mux_req	*req;
	unsigned	 want;

	if (!c->ready)
		return;
	while ((req = TAILQ_FIRST(&c->waiting)) != NULL &&
	    (req->deadline == 0 || req->deadline > m->now)) {
		want = (req->sched & MUX_SCHED_TOOL) ?
		    mux_sched_want(m, req->tool) : 0;
		if (!mux_sched_may(m, c, req->s, want, req->tool)) {
			if (!mux_sched_gives_up(m, c, req, want))
				break;
			want = MUX_SCHED_LOOSE;
		}
		mux_sched_go(m, c, req, want);
	}
}

/* Something that held back the next turn is done with (an orphan or a
 * parked request answered late). */
void
mux_sched_kick(struct mux *m, struct mux_child *c)
{
	if (c->nwaiting > 0)
		mux_sched_next(m, c);
}

/*
 * req ends (mux_req_free, after it left its session): it leaves the queue,
 * or gives its turn back, or no longer holds a turn back; the next may
 * go.
 */
void
mux_sched_release(struct mux *m, struct mux_req *req)
{
	struct mux_child	*c = req->child;
	unsigned		 sched = req->sched;

	req->sched = 0;
	if (sched & MUX_SCHED_HELD) {
		TAILQ_REMOVE(&c->waiting, req, qentry);
		c->nwaiting--;
		m->stats.calls_waiting--;
		m->stats.call_wait_ms += m->now - req->since;
		json_object_put(req->held);
		req->held = NULL;
	} else if ((sched & MUX_SCHED_SLOT) && --c->nasking == 0)
		c->asker = NULL;
	if ((sched & MUX_SCHED_GATE) && c->nwaiting > 0)
		mux_sched_next(m, c);
}

/* The child answered req: a call answered with a result and no question
 * while it held the turn or ran loose shows its tool does not ask. */
void
mux_sched_answered(struct mux *m, struct mux_req *req, json_object *result)
{
	struct mux_tool	*t = req->tool;

	(void)m;
	if (t == NULL || (t->kind != MUX_TOOL_UNKNOWN &&
	    t->kind != MUX_TOOL_LATE) || result == NULL ||
	    !(req->sched & (MUX_SCHED_SLOT | MUX_SCHED_LOOSE)) ||
	    (req->sched & MUX_SCHED_ASKED))
		return;
	t->kind = MUX_TOOL_QUIET;
	log_debug("tool %s answered without asking: its calls run side by "
	    "side", t->name);
}

/* From now on t's calls take turns. */
static void
mux_sched_asks(struct mux_tool *t, const char *how)
{
	if (t == NULL || t->kind == MUX_TOOL_ASKING)
		return;
	t->kind = MUX_TOOL_ASKING;
	log_info("tool %s asks its client (%s): its calls take turns, one "
	    "client session at a time", t->name, how);
}

/*
 * A request of c's that names nothing (no hint, no task): with the turn
 * held, it is the holder's, for nothing of another session's is in flight
 * there.  Returns 0 when the turn says nothing (the caller guesses as
 * before), 1 with *s the session, or NULL and *why.
 */
int
mux_sched_route(struct mux *m, struct mux_child *c, const char *cap,
    json_object *params, struct mux_session **s, const char **why)
{
	struct mux_session	*a = c->asker, *o;
	struct mux_req		*req;
	struct mux_tool		*t = NULL;
	int			 one = 1;

	*s = NULL;
	/* A loose call may be the cause: it is not known not to ask. */
	TAILQ_FOREACH(req, &c->reqs, centry) {
		if (req->sched & MUX_SCHED_LOOSE)
			req->sched |= MUX_SCHED_ASKED;
	}
	if (a == NULL)
		return 0;
	/* The turn keeps the others' requests away; where one is in flight
	 * all the same (a retry of a parked request of a's principal), the
	 * route is no more certain than the guess. */
	TAILQ_FOREACH(o, &c->busy, bentry) {
		if (o != a)
			return 0;
	}
	/* What holds the turn asked: its tool asks, if it is just one. */
	TAILQ_FOREACH(req, &a->reqs, sentry) {
		if (!(req->sched & MUX_SCHED_SLOT))
			continue;
		req->sched |= MUX_SCHED_ASKED;
		if (t == NULL)
			t = req->tool;
		else if (t != req->tool)
			one = 0;
	}
	if (one && m->cfg.server_requests == MUX_SERVER_REQUESTS_SCHEDULE)
		mux_sched_asks(t, "its call was the one that could ask");
	/* A turn on trial did not wait for every orphan: any may be the
	 * cause. */
	if (mux_orphans_unfinished(m, c, a, 1)) {
		m->stats.guesses_withheld++;
		*why = "a request of another client the server may still work "
		    "on (ended unanswered, or parked for its input) may have "
		    "caused it";
		return 1;
	}
	if (!mux_route_has_cap(a, cap, params)) {
		*why = "the session whose turn it is at a tool that asks did "
		    "not declare the capability it needs";
		return 1;
	}
	*s = a;
	return 1;
}

/*
 * The child asked, and the guess found s, the one session that can have
 * caused it: if s has just one call in flight, that call's tool asks.
 */
void
mux_sched_learn(struct mux *m, struct mux_child *c, struct mux_session *s)
{
	struct mux_req	*req, *found = NULL;

	if (m->cfg.server_requests != MUX_SERVER_REQUESTS_SCHEDULE)
		return;
	TAILQ_FOREACH(req, &s->reqs, sentry) {
		if (req->child != c || (req->sched & MUX_SCHED_HELD))
			continue;
		if (found != NULL)
			return;
		found = req;
	}
	if (found == NULL || found->tool == NULL ||
	    (found->sched & (MUX_SCHED_SLOT | MUX_SCHED_HELD)))
		return;
	mux_sched_asks(found->tool, "its call was the one in flight");
	/* It is asking now: its turn, if nothing else is another's. */
	if (found->tool->kind == MUX_TOOL_ASKING && c->asker == NULL &&
	    mux_sched_free_for(m, c, s, found->tool)) {
		found->sched = (found->sched & (MUX_SCHED_GATE |
		    MUX_SCHED_TOOL)) | MUX_SCHED_SLOT | MUX_SCHED_ASKED;
		c->asker = s;
		c->nasking++;
	}
}

/*
 * The child's question was refused: several sessions could have caused
 * it.  Every tool with a call in flight may ask: from now on they take
 * turns, so the next time the route is certain.
 */
void
mux_sched_refused(struct mux *m, struct mux_child *c)
{
	struct mux_req	*req;

	if (m->cfg.server_requests != MUX_SERVER_REQUESTS_SCHEDULE)
		return;
	TAILQ_FOREACH(req, &c->reqs, centry) {
		if (req->kind == MUX_REQ_CLIENT &&
		    !(req->sched & MUX_SCHED_HELD))
			mux_sched_asks(req->tool, "it asked while calls of "
			    "several sessions were in flight");
	}
}

/*
 * Time passes: where others wait, the holder's calls on trial that have
 * not asked in MUX_SCHED_TRIAL_MS give the turn up and run loose, side by
 * side with what takes no turn; a later turn still waits for them.
 */
void
mux_sched_tick(struct mux *m)
{
	struct mux_child	*c;
	struct mux_req		*req;

	TAILQ_FOREACH(c, &m->children, entry) {
		if (c->nwaiting == 0)
			continue;
		/* An orphan that held the next turn back may have expired. */
		if (c->asker == NULL) {
			mux_sched_next(m, c);
			continue;
		}
		TAILQ_FOREACH(req, &c->asker->reqs, sentry) {
			if ((req->sched & (MUX_SCHED_SLOT | MUX_SCHED_TRIAL |
			    MUX_SCHED_ASKED)) != (MUX_SCHED_SLOT |
			    MUX_SCHED_TRIAL) || (req->tool != NULL &&
			    req->tool->kind == MUX_TOOL_ASKING) ||
			    req->since + MUX_SCHED_TRIAL_MS > m->now)
				continue;
			req->sched = (req->sched & (MUX_SCHED_GATE |
			    MUX_SCHED_TOOL)) | MUX_SCHED_LOOSE;
			log_debug("tool %s has not asked in %d ms: its calls "
			    "run loose", req->tool != NULL ?
			    req->tool->name : "(unnamed)", MUX_SCHED_TRIAL_MS);
			if (req->tool != NULL &&
			    req->tool->kind == MUX_TOOL_UNKNOWN)
				req->tool->kind = MUX_TOOL_LATE;
			if (--c->nasking == 0)
				c->asker = NULL;
		}
		mux_sched_next(m, c);
	}
}
