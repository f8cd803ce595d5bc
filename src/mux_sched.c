/* SPDX-License-Identifier: ISC */
/*
 * mux_sched.c: the turns of tools that ask.  Stdio does not say which
 * client a shared legacy child's sampling/createMessage, elicitation/create
 * or roots/list is for; with calls of several sessions in flight the
 * bridge could only refuse it.  So the calls that may ask take turns
 * instead: each child has one asking slot, held by one session at a time
 * (any number of its calls); the calls of other sessions wait for it in
 * arrival order.  While the slot is held, a question the child does not
 * attribute (a relatedRequestId hint still wins) is the holder's.
 *
 * Which calls may ask: those of a tool --asking-tools names, or that the
 * child asked about when only its calls could be the cause (ASKING); with
 * MUX_SERVER_REQUESTS_SCHEDULE also those of a tool not yet seen to be
 * answered without asking (UNKNOWN), so that even the first calls of a
 * tool are never refused; a tool's first answer without a question makes
 * it QUIET, and its calls run side by side from then on.  The price: the
 * first calls of new tools wait for each other, at most
 * MUX_SCHED_TRIAL_MS: a call on trial that has not asked by then gives
 * the slot up and runs LOOSE, its tool LATE, and so do the calls of the
 * tool that wait and come until one is answered (while a loose call runs,
 * no question is taken to be the holder's: the old guess decides).  A
 * tool that turns out to ask when several calls could be the cause has
 * that question refused, and takes turns from then on.  A call that held
 * the slot and ended unanswered may still be worked on, and ask: another
 * session's turn waits for its late answer or its expiry (an orphan,
 * MUX_ORPHAN_GRACE_MS).
 *
 * Only tools/call of legacy clients at a shared legacy child take turns:
 * a session's own child needs no guess, a 2026-07-28 child asks in its
 * answers, and a 2026-07-28 client's call is routed as before.
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

/*
 * A request s is about to send c: if it is a tools/call that takes part,
 * its tool (NULL if not known by name), and in *sched MUX_SCHED_SLOT if
 * it takes turns, MUX_SCHED_LOOSE if it runs loose (its tool LATE); 0 for
 * anything else.
 */
struct mux_tool *
mux_sched_tool(struct mux *m, struct mux_child *c, struct mux_session *s,
    json_object *msg, json_object *params, unsigned *sched)
{
	struct mux_tool	*t;
	const char	*name;

	*sched = 0;
	if (!m->sched || c->owner != NULL || c->modern ||
	    s->transport == MUX_TRANSPORT_STATELESS ||
	    strcmp(jsonrpc_method(msg), "tools/call") != 0)
		return NULL;
	name = jsonrpc_get_str(params, "name");
	t = name != NULL ? mux_sched_find(m, name, 1) : NULL;
	if (t != NULL && t->kind == MUX_TOOL_ASKING)
		*sched = MUX_SCHED_SLOT;
	else if (m->cfg.server_requests != MUX_SERVER_REQUESTS_SCHEDULE)
		return t;
	else if (t == NULL || t->kind == MUX_TOOL_UNKNOWN)
		*sched = MUX_SCHED_SLOT;
	else if (t->kind == MUX_TOOL_LATE)
		*sched = MUX_SCHED_LOOSE;
	return t;
}

/* May s have c's slot, free now?  Not while another's call that held it
 * may still be worked on (an orphan): it may still ask. */
static int
mux_sched_free_for(struct mux *m, struct mux_child *c, struct mux_session *s)
{
	return c->nasking_orphans == 0 || !mux_orphans_asking(m, c, s);
}

/* Can s have c's slot now?  Not while others wait: they came first. */
int
mux_sched_take(struct mux *m, struct mux_child *c, struct mux_session *s)
{
	if ((c->asker != NULL && c->asker != s) || c->nwaiting > 0 ||
	    (c->asker == NULL && !mux_sched_free_for(m, c, s)))
		return 0;
	c->asker = s;
	c->nasking++;
	return 1;
}

/* req waits for the slot; out (consumed) is what the child gets then. */
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
	log_debug("tools/call waits for its turn (%zu waiting)", c->nwaiting);
}

/* req leaves the queue for the child, with the slot (sched SLOT) or,
 * its tool found quiet or late meanwhile, without (0, LOOSE). */
static void
mux_sched_go(struct mux *m, struct mux_child *c, struct mux_req *req,
    unsigned sched)
{
	TAILQ_REMOVE(&c->waiting, req, qentry);
	c->nwaiting--;
	m->stats.calls_waiting--;
	m->stats.call_wait_ms += m->now - req->since;
	req->sched = sched;
	if (sched == MUX_SCHED_SLOT) {
		req->sched = MUX_SCHED_SLOT;
		if (req->tool == NULL || req->tool->kind != MUX_TOOL_ASKING)
			req->sched |= MUX_SCHED_TRIAL;
		req->since = m->now;
		c->asker = req->s;
		c->nasking++;
	}
	mux_req_busy(req);
	mux_to_child(m, c, req->held);
	req->held = NULL;
}

/*
 * What may go to the child now goes: the calls of a tool found quiet (or
 * late) while they waited, wherever they are in the queue; then those at
 * its head whose turn it is.  One whose time is up stays: mux_tick's
 * error is its answer.
 */
static void
mux_sched_next(struct mux *m, struct mux_child *c)
{
	struct mux_req	*req, *next;

	if (!c->ready)
		return;
	for (req = TAILQ_FIRST(&c->waiting); req != NULL; req = next) {
		next = TAILQ_NEXT(req, qentry);
		if (req->tool == NULL || (req->deadline != 0 &&
		    req->deadline <= m->now))
			continue;
		if (req->tool->kind == MUX_TOOL_QUIET)
			mux_sched_go(m, c, req, 0);
		else if (req->tool->kind == MUX_TOOL_LATE)
			mux_sched_go(m, c, req, MUX_SCHED_LOOSE);
	}
	while ((req = TAILQ_FIRST(&c->waiting)) != NULL &&
	    (c->asker == NULL ? mux_sched_free_for(m, c, req->s) :
	    c->asker == req->s) &&
	    (req->deadline == 0 || req->deadline > m->now))
		mux_sched_go(m, c, req, MUX_SCHED_SLOT);
}

/* An orphan that held the slot is done with (answered late): the next
 * turn may come. */
void
mux_sched_kick(struct mux *m, struct mux_child *c)
{
	mux_sched_next(m, c);
}

/*
 * req ends (mux_req_free, after it left its session): it leaves the queue,
 * or gives its slot back; either may be another's turn.
 */
void
mux_sched_release(struct mux *m, struct mux_req *req)
{
	struct mux_child	*c = req->child;

	if (req->sched & MUX_SCHED_HELD) {
		TAILQ_REMOVE(&c->waiting, req, qentry);
		c->nwaiting--;
		m->stats.calls_waiting--;
		m->stats.call_wait_ms += m->now - req->since;
		json_object_put(req->held);
		req->held = NULL;
	} else if (req->sched & MUX_SCHED_SLOT) {
		if (--c->nasking == 0)
			c->asker = NULL;
	} else {
		req->sched = 0;
		return;
	}
	req->sched = 0;
	mux_sched_next(m, c);
}

/* The child answered req: a call answered with a result and no question
 * while it held the slot or ran loose shows its tool does not ask. */
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
 * A request of c's that names nothing (no hint, no task): with the slot
 * held, it is the holder's, when nothing else can be its cause.  Returns
 * 0 when the slot says nothing (the caller guesses as before), 1 with *s
 * the session, or NULL and *why.
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
	/* A 2026-07-28 client's call takes no turn: it may be the cause. */
	TAILQ_FOREACH(o, &c->busy, bentry) {
		if (o->transport == MUX_TRANSPORT_STATELESS)
			return 0;
	}
	/* Nor does another's loose call, or one of a tool found to ask
	 * while it ran. */
	TAILQ_FOREACH(req, &c->reqs, centry) {
		if (req->kind != MUX_REQ_CLIENT || req->s == a)
			continue;
		if ((req->sched & MUX_SCHED_LOOSE) || (req->sched == 0 &&
		    req->tool != NULL && req->tool->kind == MUX_TOOL_ASKING))
			return 0;
	}
	/* What holds the slot asked: its tool asks, if it is just one. */
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
	/* A call that held the slot before may still be worked on. */
	if (mux_orphans_asking(m, c, a)) {
		m->stats.guesses_withheld++;
		*why = "a call of another client that took its turn at a tool "
		    "that asks ended unanswered, and the server may still work "
		    "on it";
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
	/* It is asking now: its turn, if nobody else's. */
	if (found->tool->kind == MUX_TOOL_ASKING && c->asker == NULL) {
		found->sched = MUX_SCHED_SLOT | MUX_SCHED_ASKED;
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
 * not asked in MUX_SCHED_TRIAL_MS give the slot up and run loose; when
 * none of its calls is left in it, it is the next one's turn.
 */
void
mux_sched_tick(struct mux *m)
{
	struct mux_child	*c;
	struct mux_req		*req;

	TAILQ_FOREACH(c, &m->children, entry) {
		if (c->nwaiting == 0)
			continue;
		/* An orphan that held the slot may have expired. */
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
			req->sched = MUX_SCHED_LOOSE;
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
