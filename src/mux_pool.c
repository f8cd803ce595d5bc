/* SPDX-License-Identifier: ISC */
/*
 * mux_pool.c: several copies of the shared child (--children N), and which
 * one a session or a request goes to.
 *
 * Many stdio servers answer one request at a time; N copies answer N.
 * What a child keeps for a client (subscriptions, its log level, tasks,
 * whatever the server remembers between calls) is in that child only, so
 * a legacy session is pinned to one child for its life: the one with the
 * fewest sessions when it initializes.  A 2026-07-28 request is a session
 * of its own and goes to the child with the fewest requests in flight;
 * its input_required retry goes back to the child that holds the parked
 * request (its requestState names the request, which names its child:
 * mux_modern_client.c).  A child that goes away ends its own sessions
 * and fails its own requests (mux_child_lost); the others never notice.
 *
 * The load is counted where it changes: sessions in mux_child_attach and
 * mux_child_detach, requests in mux_req_attach and mux_req_detach.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mux.h"
#include "mux_int.h"

/* How fit c is to take more: ready beats starting beats down; a child
 * whose start failed comes last. */
static int
mux_pool_rank(const struct mux_child *c)
{
	if (c->ready)
		return 3;
	if (c->up)
		return 2;
	if (c->failed == NULL)
		return 1;
	return 0;
}

/*
 * The load c would have with s (s's own place at c not counted): for a
 * legacy session, its sessions first; for a 2026-07-28 request, its
 * requests in flight first.
 */
static void
mux_pool_load(const struct mux_child *c, const struct mux_session *s,
    size_t *first, size_t *second)
{
	size_t	sessions = c->nsessions;

	if (s->child == c && s->transport != MUX_TRANSPORT_STATELESS)
		sessions--;
	if (s->transport == MUX_TRANSPORT_STATELESS) {
		*first = c->in_flight;
		*second = sessions;
	} else {
		*first = sessions;
		*second = c->in_flight;
	}
}

/*
 * Is c's asking turn held by another session than s?  Then every other
 * request waits behind it (mux_sched.c), perhaps for a person: however
 * few its requests, c is the last choice.
 */
static int
mux_pool_held(const struct mux_child *c, const struct mux_session *s)
{
	return c->asker != NULL && c->asker != s;
}

/*
 * The child s should go to: the fittest, then one whose turn no other
 * session holds, then the least loaded.  Where s is (a legacy session
 * placed again as it initializes) stays if no other is better; other ties
 * take turns (the search starts after the child chosen last).
 */
struct mux_child *
mux_pool_pick(struct mux *m, struct mux_session *s)
{
	struct mux_child	*c, *best = NULL;
	size_t			 i, k, first, second, bfirst = 0, bsecond = 0;
	int			 rank, brank = -1, held, bheld = 0;

	for (k = 0; k < m->npool; k++) {
		i = (m->pool_next + k) % m->npool;
		c = m->pool[i];
		rank = mux_pool_rank(c);
		held = mux_pool_held(c, s);
		mux_pool_load(c, s, &first, &second);
		if (best == NULL || rank > brank || (rank == brank &&
		    (held < bheld || (held == bheld &&
		    (first < bfirst || (first == bfirst &&
		    (second < bsecond || (second == bsecond &&
		    c == s->child)))))))) {
			best = c;
			brank = rank;
			bheld = held;
			bfirst = first;
			bsecond = second;
		}
	}
	if (best != s->child)
		m->pool_next = (best->index + 1) % m->npool;
	return best;
}

/* Has s anything at its child: requests, waiting traffic, or state? */
static int
mux_pool_holds(const struct mux_session *s)
{
	const struct mux_pending	*p;

	if (s->nreqs > 0 || !TAILQ_EMPTY(&s->subs) ||
	    !TAILQ_EMPTY(&s->tasks) || !TAILQ_EMPTY(&s->elicits) ||
	    !TAILQ_EMPTY(&s->sreqs) || s->level >= 0 || s->listening)
		return 1;
	TAILQ_FOREACH(p, &s->child->queue, entry) {
		if (p->s == s)
			return 1;
	}
	return 0;
}

/*
 * s goes to c, if it holds nothing at its child yet (what it holds is
 * that child's state); returns 0 if s is at c now, -1 if it stayed.
 */
int
mux_pool_move(struct mux *m, struct mux_session *s, struct mux_child *c)
{
	if (s->child == c)
		return 0;
	if (s->child == NULL || c == NULL || s->ended || mux_pool_holds(s))
		return -1;
	mux_child_detach(s->child, s);
	mux_child_attach(c, s);
	return 0;
}

/*
 * A 2026-07-28 child's own requestState went out behind the number of the
 * child that made it ("2.", numbered from 1: mux_route.c's
 * mux_state_named): which child that is (*c), and the child's state after
 * it; NULL if text does not start with the number of a child of the pool,
 * written as the bridge writes it (no leading zero).
 */
const char *
mux_pool_state_child(const struct mux *m, const char *text,
    struct mux_child **c)
{
	size_t	i = 0, k = 0;

	while (i < MUX_POOL_STATE_LEN - 2 && text[i] >= '0' && text[i] <= '9')
		k = k * 10 + (size_t)(text[i++] - '0');
	if (i == 0 || text[i] != '.' || text[0] == '0' || k > m->npool)
		return NULL;
	*c = m->pool[k - 1];
	return text + i + 1;
}

size_t
mux_pool_size(const struct mux *m)
{
	return m->npool;
}

void
mux_pool_stats(const struct mux *m, size_t i, struct mux_pool_stats *st)
{
	const struct mux_child	*c;

	memset(st, 0, sizeof *st);
	if (i >= m->npool)
		return;
	c = m->pool[i];
	st->up = c->up;
	st->ready = c->ready;
	st->modern = c->ready && c->modern;
	st->sessions = c->nsessions;
	st->in_flight = c->in_flight;
	st->requests = c->requests;
	st->restarts = c->starts > 0 ? c->starts - 1 : 0;
}
