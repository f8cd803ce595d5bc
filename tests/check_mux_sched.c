/* SPDX-License-Identifier: ISC */
/*
 * check_mux_sched.c: the turns of tools that ask (mux_sched.c), driven
 * through the mux without processes: a shared legacy child's question
 * goes to the session whose turn it is, and the turn is exclusive (no
 * other session's request, of any method, is at the child while it is
 * held, nor when it starts); requests wait in order and leave the queue
 * when they time out, are cancelled or their session ends; the
 * relatedRequestId hint still wins; where no route is certain the
 * question is refused as before.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "checktest.h"
#include "jsonrpc.h"
#include "log.h"
#include "mux.h"
#include "testjson.h"

#include "muxtest.h"

static const char *const caps = "{'sampling':{},'elicitation':{},"
    "'roots':{}}";

static void
sched_init(struct h *h, enum mux_server_requests policy,
    const char *const *named, uint64_t timeout_ms)
{
	struct mux_config	cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.server_requests = policy;
	cfg.asking_tools = named;
	cfg.request_timeout_ms = timeout_ms;
	h_init(h, &cfg);
	h_start(h);
}

/* s calls tool (id, stream): returns the child-side id, or 0 when the
 * call waits (the child got nothing). */
static int64_t
sched_call(struct h *h, struct mux_session *s, uint64_t stream,
    const char *id, const char *tool)
{
	int64_t	cid = 0;

	ck_assert_int_eq(h_send(h, s, stream, "{'jsonrpc':'2.0','id':%s,"
	    "'method':'tools/call','params':{'name':'%s','arguments':{}}}",
	    id, tool), MUX_RECV_REPLY);
	if (h_count(h, MUX_OUT_CHILD, NULL, "tools/call") == 1)
		cid = h_cid(h, "tools/call");
	ck_assert_uint_eq(h->n, cid != 0 ? 1 : 0);
	h_clear(h);
	return cid;
}

/* The child asks (id, no hint): the session it went to (NULL: refused,
 * with the refusal's message checked for why). */
static struct mux_session *
sched_ask(struct h *h, int id, const char *why)
{
	struct mux_session	*s;
	json_object		*r;

	h_child(h, NULL, "{'jsonrpc':'2.0','id':%d,'method':"
	    "'sampling/createMessage','params':{'messages':[],"
	    "'maxTokens':5}}", id);
	ck_assert_uint_eq(h->n, 1);
	if (h->outs[0].kind == MUX_OUT_CHILD) {
		r = h->outs[0].msg;
		ck_assert_int_eq(PI(r, "id"), id);
		ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INTERNAL_ERROR);
		ck_assert_msg(why != NULL && strstr(PS(r, "error.message"),
		    why) != NULL, "%s", PS(r, "error.message"));
		h_clear(h);
		return NULL;
	}
	ck_assert_ptr_null(why);
	ck_assert_int_eq(h->outs[0].kind, MUX_OUT_SESSION);
	ck_assert_str_eq(jsonrpc_method(h->outs[0].msg),
	    "sampling/createMessage");
	s = h->outs[0].s;
	h_clear(h);
	return s;
}

/* The child answers call cid; the child's next call, if one goes now
 * (0: none). */
static int64_t
sched_answer(struct h *h, int64_t cid, struct mux_session *s,
    uint64_t stream, const char *id)
{
	int64_t	next = 0;

	h_answer(h, cid, "{'content':[]}");
	h_response(h, s, stream, id);
	if (h_count(h, MUX_OUT_CHILD, NULL, "tools/call") == 1)
		next = h_cid(h, "tools/call");
	ck_assert_uint_eq(h->n, next != 0 ? 2 : 1);
	h_clear(h);
	return next;
}

/*
 * Learned: the first calls of a tool not yet seen take turns; the child
 * asks while the first runs, so it asks, and every question reaches the
 * session whose turn it is; the others waited in arrival order.
 */
START_TEST(test_sched_learn)
{
	struct h		 h;
	struct mux_session	*a, *b, *c;
	struct mux_stats	 st;
	int64_t			 ca, cb, cc;
	char			*log;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, NULL, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	mux_tick(h.m, 100);
	ca = sched_call(&h, a, 1, "1", "sample");
	ck_assert_int_ne(ca, 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "sample"), 0);
	ck_assert_int_eq(sched_call(&h, c, 1, "1", "sample"), 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 2);
	ck_assert_uint_eq(st.call_waits, 2);

	h_log_start(LOG_LEVEL_INFO);
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), a);
	log = h_log_end();
	ck_assert_msg(h_occurs(log, "tool sample asks its client") == 1, "%s",
	    log);
	free(log);

	/* a's answer: b's turn (it came before c), at 250 ms. */
	mux_tick(h.m, 350);
	cb = sched_answer(&h, ca, a, 1, "1");
	ck_assert_int_ne(cb, 0);
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), b);
	cc = sched_answer(&h, cb, b, 1, "1");
	ck_assert_int_ne(cc, 0);
	ck_assert_ptr_eq(sched_ask(&h, 3, NULL), c);
	ck_assert_int_eq(sched_answer(&h, cc, c, 1, "1"), 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 0);
	ck_assert_uint_eq(st.call_waits, 2);
	ck_assert_uint_eq(st.call_wait_ms, 250 + 250);
	ck_assert_uint_eq(st.server_requests_refused, 0);

	/* It asks: from now on its calls take turns at once. */
	ca = sched_call(&h, a, 2, "2", "sample");
	ck_assert_int_ne(ca, 0);
	ck_assert_int_eq(sched_call(&h, b, 2, "2", "sample"), 0);
	ck_assert_int_ne(sched_answer(&h, ca, a, 2, "2"), 0);
	h_fini(&h);
}
END_TEST

/*
 * A tool whose first call was answered without a question runs side by
 * side; when the child asks with calls of two sessions in flight the
 * route is not certain and the question is refused as before, and the
 * tool takes turns from then on.
 */
START_TEST(test_sched_quiet)
{
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 ca, cb;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, NULL, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	ca = sched_call(&h, a, 1, "1", "echo");
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "echo"), 0);
	cb = sched_answer(&h, ca, a, 1, "1");
	ck_assert_int_ne(cb, 0);
	ck_assert_int_eq(sched_answer(&h, cb, b, 1, "1"), 0);

	/* Quiet: side by side; a question now has no certain route. */
	ca = sched_call(&h, a, 2, "2", "echo");
	cb = sched_call(&h, b, 2, "2", "echo");
	ck_assert_int_ne(ca, 0);
	ck_assert_int_ne(cb, 0);
	ck_assert_ptr_null(sched_ask(&h, 1, "ambiguous"));
	ck_assert_int_eq(sched_answer(&h, ca, a, 2, "2"), 0);
	ck_assert_int_eq(sched_answer(&h, cb, b, 2, "2"), 0);

	/* It asked: it takes turns now. */
	ca = sched_call(&h, a, 4, "4", "echo");
	ck_assert_int_ne(ca, 0);
	ck_assert_int_eq(sched_call(&h, b, 4, "4", "echo"), 0);
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), a);
	cb = sched_answer(&h, ca, a, 4, "4");
	ck_assert_int_ne(cb, 0);
	ck_assert_int_eq(sched_answer(&h, cb, b, 4, "4"), 0);

	/* A JSON-RPC error says nothing of asking: "nope" stays unknown. */
	ca = sched_call(&h, a, 5, "5", "nope");
	ck_assert_int_ne(ca, 0);
	h_fail(&h, ca, "{'code':-32602,'message':'unknown tool'}");
	h_clear(&h);
	ck_assert_int_ne(sched_call(&h, a, 6, "6", "nope"), 0);
	ck_assert_int_eq(sched_call(&h, b, 6, "6", "nope"), 0);
	h_fini(&h);
}
END_TEST

/*
 * The calls that waited behind a tool's first call go together once it is
 * answered without a question and no turn is held: the tool is quiet,
 * they need no turn.  A call of a tool that asks, waiting ahead of them,
 * has its turn first: they came after it.
 */
START_TEST(test_sched_quiet_release)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b, *c, *d;
	struct mux_stats	 st;
	int64_t			 ca, cd;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	d = h_session(&h, caps);
	ca = sched_call(&h, a, 1, "1", "echo");
	ck_assert_int_ne(ca, 0);
	ck_assert_int_eq(sched_call(&h, d, 1, "1", "ask"), 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "echo"), 0);
	ck_assert_int_eq(sched_call(&h, c, 1, "1", "echo"), 0);
	/* d's turn; b's and c's echo wait for its end. */
	cd = sched_answer(&h, ca, a, 1, "1");
	ck_assert_int_ne(cd, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 2);
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), d);
	h_answer(&h, cd, "{'content':[]}");
	h_response(&h, d, 1, "1");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 2);
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 0);
	/* Two sessions could be the cause now: refused as before. */
	ck_assert_ptr_null(sched_ask(&h, 2, "ambiguous"));
	h_fini(&h);
}
END_TEST

/*
 * A call on trial that has not asked in MUX_SCHED_TRIAL_MS gives its turn
 * up, and the calls of its tool waiting go too: slow tools' first calls
 * wait no longer for one another.  While they run loose, a question has
 * no certain route: refused as before, and the tool takes turns from then
 * on.  One answered without asking is quiet.
 */
START_TEST(test_sched_trial)
{
	struct h		 h;
	struct mux_session	*a, *b, *c, *d;
	int64_t			 ca, cb, cc;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, NULL, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	d = h_session(&h, caps);
	mux_tick(h.m, 100);
	ca = sched_call(&h, a, 1, "1", "slow");
	ck_assert_int_ne(ca, 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "slow"), 0);
	ck_assert_int_eq(sched_call(&h, c, 1, "1", "slow"), 0);
	mux_tick(h.m, 100 + MUX_SCHED_TRIAL_MS - 1);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_tick(h.m, 100 + MUX_SCHED_TRIAL_MS);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 2);
	ck_assert_uint_eq(h.n, 2);
	h_clear(&h);
	/* A call of it now runs loose too, no wait. */
	cc = sched_call(&h, d, 1, "1", "slow");
	ck_assert_int_ne(cc, 0);
	/* Any may ask: no certain route. */
	ck_assert_ptr_null(sched_ask(&h, 1, "ambiguous"));
	ck_assert_int_eq(sched_answer(&h, ca, a, 1, "1"), 0);
	ck_assert_int_eq(sched_answer(&h, cc, d, 1, "1"), 0);
	mux_session_close(h.m, b);
	mux_session_close(h.m, c);
	h_drain(&h);
	h_clear(&h);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	/* It takes turns now, with no trial, once the child may no longer
	 * work on the calls b and c left behind (they may ask). */
	ck_assert_int_eq(sched_call(&h, a, 2, "2", "slow"), 0);
	ck_assert_int_eq(sched_call(&h, b, 2, "2", "slow"), 0);
	mux_tick(h.m, 1100 + MUX_ORPHAN_GRACE_MS);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	ca = h_cid(&h, "tools/call");
	h_clear(&h);
	mux_tick(h.m, 30000);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	cb = sched_answer(&h, ca, a, 2, "2");
	ck_assert_int_ne(cb, 0);
	ck_assert_int_eq(sched_answer(&h, cb, b, 2, "2"), 0);

	/* Loose and answered without a question: quiet. */
	ca = sched_call(&h, a, 3, "3", "fast");
	ck_assert_int_eq(sched_call(&h, b, 3, "3", "fast"), 0);
	mux_tick(h.m, 40000);
	h_drain(&h);
	cb = h_cid(&h, "tools/call");
	h_clear(&h);
	ck_assert_int_eq(sched_answer(&h, ca, a, 3, "3"), 0);
	ck_assert_int_ne(sched_call(&h, c, 3, "3", "fast"), 0);
	ck_assert_int_ne(cb, 0);
	h_fini(&h);
}
END_TEST

/* The child-side id of the call of tool among the outs collected. */
static int64_t
sched_cid_of(struct h *h, const char *tool)
{
	size_t	i;

	for (i = 0; i < h->n; i++) {
		if (h->outs[i].kind == MUX_OUT_CHILD &&
		    strcmp(jsonrpc_method(h->outs[i].msg), "tools/call") == 0 &&
		    strcmp(PS(h->outs[i].msg, "params.name"), tool) == 0)
			return PI(h->outs[i].msg, "id");
	}
	ck_abort_msg("no call of %s went to the child", tool);
	return 0;
}

/*
 * Named with --asking-tools under the old policy: only the named tool
 * takes turns, others run side by side while no turn is held (the old
 * policy learns none); a session's own further calls join its turn unless
 * others wait, then they queue behind them, in arrival order.
 */
START_TEST(test_sched_named)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 ca, ca2, ca3, cb, co;

	sched_init(&h, MUX_SERVER_REQUESTS_UNAMBIGUOUS, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	ca = sched_call(&h, a, 1, "1", "ask");
	ck_assert_int_ne(ca, 0);
	/* a's turn: its second call goes too. */
	ca2 = sched_call(&h, a, 2, "2", "ask");
	ck_assert_int_ne(ca2, 0);
	/* Another tool, not named, takes no turn, but waits for a's. */
	ck_assert_int_eq(sched_call(&h, b, 2, "2", "other"), 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "ask"), 0);
	/* Now b waits: a's third call waits behind it. */
	ck_assert_int_eq(sched_call(&h, a, 3, "3", "ask"), 0);
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), a);
	ck_assert_int_eq(sched_answer(&h, ca, a, 1, "1"), 0);
	/* a's turn ends: b's other call goes, and b's turn comes. */
	h_answer(&h, ca2, "{'content':[]}");
	h_response(&h, a, 2, "2");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 2);
	co = sched_cid_of(&h, "other");
	cb = sched_cid_of(&h, "ask");
	h_clear(&h);
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), b);
	/* a's third waits for all of b's calls. */
	ck_assert_int_eq(sched_answer(&h, cb, b, 1, "1"), 0);
	ca3 = sched_answer(&h, co, b, 2, "2");
	ck_assert_int_ne(ca3, 0);
	ck_assert_ptr_eq(sched_ask(&h, 3, NULL), a);
	ck_assert_int_eq(sched_answer(&h, ca3, a, 3, "3"), 0);
	/* Nobody's turn: side by side, and the old guess refuses. */
	ck_assert_int_ne(sched_call(&h, a, 4, "4", "other"), 0);
	ck_assert_int_ne(sched_call(&h, b, 4, "4", "other"), 0);
	ck_assert_ptr_null(sched_ask(&h, 4, "ambiguous"));
	h_fini(&h);
}
END_TEST

/*
 * The relatedRequestId hint names the cause where no turn can: calls of
 * two sessions side by side, a third's turn waiting for them.
 */
START_TEST(test_sched_hint)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b, *c;
	int64_t			 ca, cb, cc;

	sched_init(&h, MUX_SERVER_REQUESTS_UNAMBIGUOUS, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	ca = sched_call(&h, a, 1, "1", "other");
	cb = sched_call(&h, b, 1, "1", "other");
	ck_assert_int_ne(ca, 0);
	ck_assert_int_ne(cb, 0);
	ck_assert_int_eq(sched_call(&h, c, 1, "1", "ask"), 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':1,'method':"
	    "'elicitation/create','params':{'message':'m',"
	    "'requestedSchema':{},'_meta':{'mcpbridge/relatedRequestId':"
	    "%lld}}}", (long long)cb);
	ck_assert_ptr_null(P(h_one(&h, b, "elicitation/create", 1, 0),
	    "params._meta.mcpbridge/relatedRequestId"));
	h_clear(&h);
	ck_assert_ptr_null(sched_ask(&h, 2, "ambiguous"));
	ck_assert_int_eq(sched_answer(&h, ca, a, 1, "1"), 0);
	cc = sched_answer(&h, cb, b, 1, "1");
	ck_assert_int_ne(cc, 0);
	ck_assert_ptr_eq(sched_ask(&h, 3, NULL), c);
	h_fini(&h);
}
END_TEST

/*
 * --request-timeout counts from a call's arrival, its wait included.  One
 * whose time is up as its turn comes stays out of the child: its error
 * says it waited.  The next keeps its place, and waits on while the call
 * that timed out may still run at the child (and ask): until its own
 * time is up.
 */
START_TEST(test_sched_timeout)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b, *c;
	struct mux_stats	 st;
	json_object		*r;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 1000);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	mux_tick(h.m, 10);
	ck_assert_int_ne(sched_call(&h, a, 1, "1", "ask"), 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "ask"), 0);
	mux_tick(h.m, 600);
	ck_assert_int_eq(sched_call(&h, c, 1, "1", "ask"), 0);
	mux_tick(h.m, 1010);
	h_drain(&h);
	/* a's call is cancelled at the child, b's never reached it. */
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled"), 1);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 0);
	r = h_response(&h, b, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"),
	    "waiting for its turn"));
	r = h_response(&h, a, 1, "1");
	ck_assert_ptr_null(strstr(PS(r, "error.message"),
	    "waiting for its turn"));
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 1);
	ck_assert_uint_eq(st.call_wait_ms, 1000);
	mux_tick(h.m, 1600);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	r = h_response(&h, c, 1, "1");
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"),
	    "waiting for its turn"));
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 0);
	ck_assert_uint_eq(st.call_wait_ms, 1000 + 1000);
	h_fini(&h);
}
END_TEST

START_TEST(test_sched_cancel)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b, *c;
	struct mux_stats	 st;
	int64_t			 ca, cc;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	ca = sched_call(&h, a, 1, "1", "ask");
	ck_assert_int_eq(sched_call(&h, b, 1, "'x'", "ask"), 0);
	ck_assert_int_eq(sched_call(&h, c, 1, "1", "ask"), 0);
	/* b's client cancels: its stream ends, the child hears nothing. */
	ck_assert_int_eq(h_send(&h, b, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/cancelled','params':{'requestId':'x'}}"),
	    MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_SESSION);
	ck_assert_ptr_eq(h.outs[0].s, b);
	ck_assert_ptr_null(h.outs[0].msg);
	ck_assert_int_eq(h.outs[0].final, 1);
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 1);
	/* Its id is free again: the same id waits anew. */
	ck_assert_int_eq(sched_call(&h, b, 2, "'x'", "ask"), 0);
	/* a is done: c's turn, then b's. */
	cc = sched_answer(&h, ca, a, 1, "1");
	ck_assert_int_ne(cc, 0);
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), c);
	ck_assert_int_ne(sched_answer(&h, cc, c, 1, "1"), 0);
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), b);
	h_fini(&h);
}
END_TEST

/*
 * A session that goes away leaves the queue.  The call it leaves at the
 * child may still ask: the next turn comes once the child answers it
 * late, or MUX_ORPHAN_GRACE_MS after.
 */
START_TEST(test_sched_session_end)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b, *c, *d;
	struct mux_stats	 st;
	int64_t			 ca, cc;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	d = h_session(&h, caps);
	mux_tick(h.m, 100);
	ca = sched_call(&h, a, 1, "1", "ask");
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "ask"), 0);
	ck_assert_int_eq(sched_call(&h, c, 1, "1", "ask"), 0);
	mux_session_close(h.m, b);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_session_close(h.m, a);
	h_drain(&h);
	/* The child hears of a's call; c waits on. */
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled"), 1);
	ck_assert_uint_eq(h.n, 1);
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 1);
	/* Asked now, it may be a's: nobody's turn, nobody to guess. */
	ck_assert_ptr_null(sched_ask(&h, 1, "no client session"));
	/* The child's late answer to a's call: it is done with it. */
	h_answer(&h, ca, "{'content':[]}");
	cc = h_cid(&h, "tools/call");
	ck_assert_uint_eq(h.n, 1);
	h_clear(&h);
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), c);

	/* c goes too, leaving its call; d waits MUX_ORPHAN_GRACE_MS. */
	ck_assert_int_eq(sched_call(&h, d, 1, "1", "ask"), 0);
	mux_tick(h.m, 200);
	mux_session_close(h.m, c);
	h_drain(&h);
	h_clear(&h);
	mux_tick(h.m, 200 + MUX_ORPHAN_GRACE_MS - 1);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 0);
	mux_tick(h.m, 200 + MUX_ORPHAN_GRACE_MS);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	h_clear(&h);
	ck_assert_ptr_eq(sched_ask(&h, 3, NULL), d);
	(void)cc;
	h_fini(&h);
}
END_TEST

/* A session's own call that it cancelled holds back no turn of its own:
 * what the child may still ask about it is that session's anyway. */
START_TEST(test_sched_own_orphan)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	ck_assert_int_ne(sched_call(&h, a, 1, "1", "ask"), 0);
	ck_assert_int_eq(h_send(&h, a, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/cancelled','params':{'requestId':1}}"),
	    MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled"), 1);
	h_clear(&h);
	ck_assert_int_ne(sched_call(&h, a, 2, "2", "ask"), 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "ask"), 0);
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), a);
	h_fini(&h);
}
END_TEST

/* The queue is bounded: beyond MUX_WAITING_MAX a call gets an error. */
START_TEST(test_sched_queue_full)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;
	struct mux_stats	 st;
	json_object		*r;
	char			 id[32];
	int			 i;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	ck_assert_int_ne(sched_call(&h, a, 1, "1", "ask"), 0);
	for (i = 0; i < MUX_WAITING_MAX; i++) {
		snprintf(id, sizeof id, "%d", i);
		ck_assert_int_eq(sched_call(&h, b, 1, id, "ask"), 0);
	}
	ck_assert_int_eq(h_send(&h, b, 2, "{'jsonrpc':'2.0','id':'over',"
	    "'method':'tools/call','params':{'name':'ask'}}"), MUX_RECV_REPLY);
	r = h_response(&h, b, 2, "'over'");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"), "Server busy"));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, MUX_WAITING_MAX);
	ck_assert_uint_eq(st.calls_wait_refused, 1);
	h_fini(&h);
}
END_TEST

/* The child goes: waiting calls get its error, and the turns start over. */
START_TEST(test_sched_child_lost)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;
	struct mux_stats	 st;
	json_object		*r;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	ck_assert_int_ne(sched_call(&h, a, 1, "1", "ask"), 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "ask"), 0);
	mux_child_down(h.m, NULL, "exited with status 1");
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	r = h_find(&h, MUX_OUT_SESSION, b, "")->msg;
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"),
	    "Server not available"));
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 0);
	mux_session_close(h.m, a);
	mux_session_close(h.m, b);
	h_start(&h);
	a = h_session(&h, caps);
	ck_assert_int_ne(sched_call(&h, a, 1, "1", "ask"), 0);
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), a);
	h_fini(&h);
}
END_TEST

/* The bridge stops waiting (the drain's end): a waiting call gets the
 * error too, and does not go to the child when the turn frees. */
START_TEST(test_sched_fail_all)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;
	struct mux_stats	 st;
	json_object		*r;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	ck_assert_int_ne(sched_call(&h, a, 1, "1", "ask"), 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "ask"), 0);
	mux_fail_all(h.m, "the bridge is stopping");
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 0);
	r = h_response(&h, a, 1, "1");
	ck_assert_str_eq(PS(r, "error.message"), "the bridge is stopping");
	r = h_response(&h, b, 1, "1");
	ck_assert_str_eq(PS(r, "error.message"), "the bridge is stopping");
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 0);
	h_fini(&h);
}
END_TEST

/* A 2026-07-28 client's tools/call of tool, a stateless session of its
 * own on stream 1: the child-side id, or 0 when it waits. */
#define SCHED_META	"'_meta':{'io.modelcontextprotocol/protocolVersion':" \
		"'2026-07-28','io.modelcontextprotocol/clientCapabilities':" \
		"{'sampling':{},'elicitation':{}}}"

static struct mux_session *
sched_modern(struct h *h, const char *tool, int64_t *cid)
{
	struct mux_session	*s;
	json_object		*msg;

	s = mux_session_new(h->m, MUX_TRANSPORT_STATELESS, NULL);
	msg = J("{'jsonrpc':'2.0','id':1,'method':'tools/call','params':"
	    "{'name':'%s','arguments':{}," SCHED_META "}}", tool);
	ck_assert_int_eq(mux_session_recv(h->m, s, msg, 1), MUX_RECV_REPLY);
	h_drain(h);
	*cid = 0;
	if (h_count(h, MUX_OUT_CHILD, NULL, "tools/call") == 1)
		*cid = h_cid(h, "tools/call");
	ck_assert_uint_eq(h->n, *cid != 0 ? 1 : 0);
	h_clear(h);
	return s;
}

/* Makes tool quiet: a's call of it answered without a question. */
static void
sched_quiet(struct h *h, struct mux_session *a, const char *tool)
{
	int64_t	ca;

	ca = sched_call(h, a, 99, "'quiet'", tool);
	ck_assert_int_ne(ca, 0);
	ck_assert_int_eq(sched_answer(h, ca, a, 99, "'quiet'"), 0);
}

/*
 * The turn is exclusive.  A tool once answered without a question may
 * still ask, sometimes: while another session's turn is held its calls
 * wait, so the child is never working on them then, and a question in
 * the turn is certainly the holder's (it used to reach the holder with
 * the other client's prompt in it).  Then the quiet tool asks while only
 * its call is in flight: that call's session's, certainly.
 */
START_TEST(test_sched_exclusive)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 ca, cb;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	sched_quiet(&h, a, "echo");
	ca = sched_call(&h, a, 1, "1", "ask");
	ck_assert_int_ne(ca, 0);
	ck_assert_msg(sched_call(&h, b, 1, "1", "echo") == 0, "another "
	    "session's call went to the child during a's turn");
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), a);
	/* a's turn ends: b's call goes, alone at the child. */
	cb = sched_answer(&h, ca, a, 1, "1");
	ck_assert_int_ne(cb, 0);
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), b);
	ck_assert_int_eq(sched_answer(&h, cb, b, 1, "1"), 0);
	/* It asked: its calls take turns now. */
	cb = sched_call(&h, b, 2, "2", "echo");
	ck_assert_int_ne(cb, 0);
	ck_assert_int_eq(sched_call(&h, a, 2, "2", "echo"), 0);
	h_fini(&h);
}
END_TEST

/*
 * A client that leaves while its call holds the turn (attack20 F18: its
 * connections closed, no cancel, no DELETE) holds the others back for
 * MUX_AWAY_TURN_MS, not until --request-timeout: then its call is
 * cancelled at the child, answered with an error, and the turn passes.
 * Coming back within that time keeps it.
 */
START_TEST(test_sched_away_turn)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;
	json_object		*r;
	uint64_t		 now = 1000;
	int64_t			 ca, cb;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	mux_tick(h.m, now);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	sched_quiet(&h, a, "echo");
	ca = sched_call(&h, a, 1, "1", "ask");
	ck_assert_int_ne(ca, 0);
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "echo"), 0);

	/* Away, then back in time: nothing happens. */
	mux_session_away(a, 1);
	now += MUX_AWAY_TURN_MS - 1;
	mux_tick(h.m, now);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_session_away(a, 0);
	now += MUX_AWAY_TURN_MS;
	mux_tick(h.m, now);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);

	/* Away for good: a's call is cancelled, b's goes. */
	mux_session_away(a, 1);
	now += MUX_AWAY_TURN_MS;
	mux_tick(h.m, now);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled"), 1);
	ck_assert_int_eq(PI(h_find(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled")->msg, "params.requestId"), ca);
	r = h_find(&h, MUX_OUT_SESSION, a, "")->msg;
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"), "away"));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	cb = h_cid(&h, "tools/call");
	h_clear(&h);
	/* The child's late answer to a's call reaches nobody. */
	h_answer(&h, ca, "{'content':[]}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, NULL, NULL), 0);
	h_clear(&h);
	h_answer(&h, cb, "{'content':[]}");
	h_response(&h, b, 1, "1");
	h_fini(&h);
}
END_TEST

/*
 * A turn starts only once no other session's call is in flight at the
 * child: it waits for the calls of quiet tools running side by side, and
 * the calls that come after it wait behind it, in arrival order.
 */
START_TEST(test_sched_exclusive_wait)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b, *c, *d;
	struct mux_stats	 st;
	int64_t			 ca, cb, cc, cd;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	c = h_session(&h, caps);
	d = h_session(&h, caps);
	sched_quiet(&h, a, "echo");
	/* No turn held: quiet calls of two sessions side by side. */
	cb = sched_call(&h, b, 1, "1", "echo");
	cd = sched_call(&h, d, 1, "1", "echo");
	ck_assert_int_ne(cb, 0);
	ck_assert_int_ne(cd, 0);
	ck_assert_msg(sched_call(&h, a, 1, "1", "ask") == 0, "a's turn "
	    "began while other sessions' calls were in flight");
	ck_assert_int_eq(sched_call(&h, c, 1, "1", "echo"), 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 2);
	/* Asked now: two sessions could be the cause, refused as before. */
	ck_assert_ptr_null(sched_ask(&h, 1, "ambiguous"));
	ck_assert_int_eq(sched_answer(&h, cd, d, 1, "1"), 0);
	/* b's alone: its session's, certainly. */
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), b);
	/* b's done: a's turn; c's call (echo asks now) waits behind it. */
	ca = sched_answer(&h, cb, b, 1, "1");
	ck_assert_int_ne(ca, 0);
	ck_assert_ptr_eq(sched_ask(&h, 3, NULL), a);
	cc = sched_answer(&h, ca, a, 1, "1");
	ck_assert_int_ne(cc, 0);
	ck_assert_ptr_eq(sched_ask(&h, 4, NULL), c);
	ck_assert_int_eq(sched_answer(&h, cc, c, 1, "1"), 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.calls_waiting, 0);
	ck_assert_uint_eq(st.server_requests_refused, 1);
	h_fini(&h);
}
END_TEST

/*
 * Not only tools/call: every request of another session waits while a
 * turn is held (prompts/get, resources/read, completion/complete could
 * ask too), and so does a 2026-07-28 client's; a ping is answered by the
 * bridge rather than kept waiting.  The holder's own requests go.
 */
START_TEST(test_sched_exclusive_requests)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b, *s;
	json_object		*r;
	int64_t			 ca, cm;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	ca = sched_call(&h, a, 1, "1", "ask");
	ck_assert_int_ne(ca, 0);
	/* a's own read goes during its turn. */
	ck_assert_int_eq(h_send(&h, a, 4, "{'jsonrpc':'2.0','id':4,'method':"
	    "'resources/read','params':{'uri':'x:y'}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "resources/read"),
	    1);
	ck_assert_uint_eq(h.n, 1);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, b, 2, "{'jsonrpc':'2.0','id':2,'method':"
	    "'prompts/get','params':{'name':'p'}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_int_eq(h_send(&h, b, 3, "{'jsonrpc':'2.0','id':3,'method':"
	    "'ping'}"), MUX_RECV_REPLY);
	r = h_response(&h, b, 3, "3");
	ck_assert_ptr_nonnull(P(r, "result"));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);
	s = sched_modern(&h, "echo", &cm);
	ck_assert_int_eq(cm, 0);
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), a);
	h_answer(&h, ca, "{'content':[]}");
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "prompts/get"), 1);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	h_clear(&h);
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

/*
 * A 2026-07-28 request the child asked about is parked, answering to
 * nobody, until its client comes back: it is still in flight at the
 * child, and may ask again.  Another session's turn waits for it (past
 * the orphans' grace: for as long as it is parked), and a question while
 * it is parked reaches no other client.
 */
START_TEST(test_sched_parked)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b, *s;
	json_object		*r;
	int64_t			 cm, ca, cb;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	sched_quiet(&h, b, "echo");
	mux_tick(h.m, 1000);
	s = sched_modern(&h, "q", &cm);
	ck_assert_int_ne(cm, 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'e1','method':"
	    "'elicitation/create','params':{'message':'M-PRIVATE',"
	    "'requestedSchema':{}}}");
	mux_tick(h.m, 1100);
	h_drain(&h);
	r = h_response(&h, s, 1, "1");
	ck_assert_str_eq(PS(r, "result.resultType"), "input_required");
	h_clear(&h);
	mux_session_close(h.m, s);
	h_drain(&h);
	h_clear(&h);

	ck_assert_msg(sched_call(&h, a, 1, "1", "ask") == 0, "a's turn "
	    "began while a parked request was in flight");
	mux_tick(h.m, 1100 + MUX_ORPHAN_GRACE_MS + 1000);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 0);
	h_clear(&h);
	/* b's quiet call alone in flight: a question may still be the
	 * parked request's, so it is refused. */
	mux_session_close(h.m, a);
	h_drain(&h);
	h_clear(&h);
	cb = sched_call(&h, b, 1, "1", "echo");
	ck_assert_int_ne(cb, 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'e2','method':"
	    "'elicitation/create','params':{'message':'M-PRIVATE-2',"
	    "'requestedSchema':{}}}");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0, "a parked "
	    "request's question reached another client");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, ""), 1);
	h_clear(&h);
	ck_assert_int_eq(sched_answer(&h, cb, b, 1, "1"), 0);

	/* The child answers the parked request: it is done with it, and
	 * the next turn comes. */
	a = h_session(&h, caps);
	ck_assert_int_eq(sched_call(&h, a, 2, "2", "ask"), 0);
	h_answer(&h, cm, "{'content':[]}");
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	ca = h_cid(&h, "tools/call");
	h_clear(&h);
	ck_assert_ptr_eq(sched_ask(&h, 3, NULL), a);
	ck_assert_int_eq(sched_answer(&h, ca, a, 2, "2"), 0);
	h_fini(&h);
}
END_TEST

/*
 * A session's own requests during its turn go unless others wait; while
 * the child waits for its answer to a question, they go even then: what
 * it sends may be what its answer needs.
 */
START_TEST(test_sched_exclusive_own)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 ca;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	ca = sched_call(&h, a, 1, "1", "ask");
	ck_assert_int_eq(sched_call(&h, b, 1, "1", "ask"), 0);
	ck_assert_int_eq(h_send(&h, a, 2, "{'jsonrpc':'2.0','id':2,'method':"
	    "'tools/list'}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_ptr_eq(sched_ask(&h, 1, NULL), a);
	ck_assert_int_eq(h_send(&h, a, 3, "{'jsonrpc':'2.0','id':3,'method':"
	    "'completion/complete','params':{}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "completion/complete"), 1);
	h_clear(&h);
	(void)ca;
	h_fini(&h);
}
END_TEST

/*
 * Without a turn, any session with a request in flight may be the cause,
 * whatever it declared, and whatever its request: one that lacks the
 * capability, or a 2026-07-28 client's request that cannot be asked
 * anything, makes a question ambiguous as much as any other.
 */
START_TEST(test_sched_guess_any_busy)
{
	struct h		 h;
	struct mux_session	*a, *b, *s;
	json_object		*msg;
	int64_t			 ca, cb;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, NULL, 0);
	a = h_session(&h, caps);
	b = h_session(&h, "{}");
	sched_quiet(&h, a, "echo");
	ca = sched_call(&h, a, 1, "1", "echo");
	cb = sched_call(&h, b, 1, "1", "echo");
	ck_assert_int_ne(cb, 0);
	ck_assert_msg(sched_ask(&h, 1, "ambiguous") == NULL, "b's call may "
	    "have asked: the question reached a");
	ck_assert_int_eq(sched_answer(&h, cb, b, 1, "1"), 0);
	/* A 2026-07-28 client's list alone: it cannot be asked. */
	ck_assert_int_eq(sched_answer(&h, ca, a, 1, "1"), 0);
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	msg = J("{'jsonrpc':'2.0','id':1,'method':'tools/list','params':{"
	    SCHED_META "}}");
	ck_assert_int_eq(mux_session_recv(h.m, s, msg, 1), MUX_RECV_REPLY);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/list"), 1);
	h_clear(&h);
	ck_assert_ptr_null(sched_ask(&h, 2, "cannot be asked"));
	/* With a legacy request beside it (echo takes turns now): ambiguous. */
	ck_assert_int_eq(h_send(&h, a, 2, "{'jsonrpc':'2.0','id':2,'method':"
	    "'resources/read','params':{'uri':'x:y'}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "resources/read"),
	    1);
	h_clear(&h);
	ck_assert_ptr_null(sched_ask(&h, 3, "ambiguous"));
	mux_session_close(h.m, s);
	h_drain(&h);
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/*
 * A call another session cancelled may still be worked on, and ask.  A
 * tool known to ask waits for it (the child's late answer, or the grace);
 * the first call of a new tool does not (most do not ask), and a question
 * while the orphan may be its cause is refused, never routed.
 */
START_TEST(test_sched_orphans)
{
	static const char *const named[] = { "ask", NULL };
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 ca, cb;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, named, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	sched_quiet(&h, b, "echo");
	mux_tick(h.m, 100);
	cb = sched_call(&h, b, 1, "1", "echo");
	ck_assert_int_ne(cb, 0);
	ck_assert_int_eq(h_send(&h, b, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/cancelled','params':{'requestId':1}}"),
	    MUX_RECV_ACCEPTED);
	h_clear(&h);
	ca = sched_call(&h, a, 1, "1", "new");
	ck_assert_int_ne(ca, 0);
	ck_assert_ptr_null(sched_ask(&h, 1, "may still work on"));
	ck_assert_int_eq(sched_answer(&h, ca, a, 1, "1"), 0);
	ck_assert_int_eq(sched_call(&h, a, 2, "2", "ask"), 0);
	mux_tick(h.m, 100 + MUX_ORPHAN_GRACE_MS);
	h_drain(&h);
	ca = h_cid(&h, "tools/call");
	ck_assert_int_ne(ca, 0);
	h_clear(&h);
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), a);
	h_fini(&h);
}
END_TEST

/*
 * The first call of a new tool waits for its exclusive turn no longer
 * than its trial would hold others: after MUX_SCHED_TRIAL_MS with no turn
 * held it runs loose beside the others' requests, and a question then has
 * no certain route (refused; the tool takes turns from then on).
 */
START_TEST(test_sched_trial_wait)
{
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 ca, cb;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, NULL, 0);
	a = h_session(&h, caps);
	b = h_session(&h, caps);
	sched_quiet(&h, b, "long");
	mux_tick(h.m, 100);
	cb = sched_call(&h, b, 1, "1", "long");
	ck_assert_int_ne(cb, 0);
	ck_assert_int_eq(sched_call(&h, a, 1, "1", "new"), 0);
	mux_tick(h.m, 100 + MUX_SCHED_TRIAL_MS - 1);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_tick(h.m, 100 + MUX_SCHED_TRIAL_MS);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	ca = h_cid(&h, "tools/call");
	h_clear(&h);
	ck_assert_ptr_null(sched_ask(&h, 1, "ambiguous"));
	ck_assert_int_eq(sched_answer(&h, ca, a, 1, "1"), 0);
	ck_assert_int_eq(sched_answer(&h, cb, b, 1, "1"), 0);
	/* It takes turns now: a's next call waits for b's. */
	cb = sched_call(&h, b, 2, "2", "long");
	ck_assert_int_ne(cb, 0);
	ck_assert_int_eq(sched_call(&h, a, 2, "2", "new"), 0);
	mux_tick(h.m, 100 + 3 * MUX_SCHED_TRIAL_MS);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	ca = sched_answer(&h, cb, b, 2, "2");
	ck_assert_int_ne(ca, 0);
	ck_assert_ptr_eq(sched_ask(&h, 2, NULL), a);
	h_fini(&h);
}
END_TEST

/*
 * A parked 2026-07-28 request never had a turn: the first call of a new
 * tool does not wait for it (it used to wait MUX_SCHED_TRIAL_MS, and so did
 * every request that came meanwhile, a 2026-07-28 client's too), and a
 * question while the parked request may be its cause is refused.
 */
START_TEST(test_sched_parked_trial)
{
	struct h		 h;
	struct mux_session	*a, *s;
	int64_t			 cm, ca;

	sched_init(&h, MUX_SERVER_REQUESTS_SCHEDULE, NULL, 0);
	a = h_session(&h, caps);
	mux_tick(h.m, 100);
	s = sched_modern(&h, "q", &cm);
	ck_assert_int_ne(cm, 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'e1','method':"
	    "'elicitation/create','params':{'message':'M-PRIVATE',"
	    "'requestedSchema':{}}}");
	mux_tick(h.m, 1200);
	h_drain(&h);
	ck_assert_str_eq(PS(h_response(&h, s, 1, "1"), "result.resultType"),
	    "input_required");
	h_clear(&h);
	mux_session_close(h.m, s);
	h_drain(&h);
	h_clear(&h);

	ca = sched_call(&h, a, 1, "1", "new");
	ck_assert_msg(ca != 0, "the first call of a new tool waited for a "
	    "parked request that had no turn");
	ck_assert_ptr_null(sched_ask(&h, 1, "may still work on"));
	ck_assert_int_eq(sched_answer(&h, ca, a, 1, "1"), 0);
	h_fini(&h);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("mux_sched");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_sched_learn);
	tcase_add_test(tc, test_sched_quiet);
	tcase_add_test(tc, test_sched_trial);
	tcase_add_test(tc, test_sched_quiet_release);
	tcase_add_test(tc, test_sched_named);
	tcase_add_test(tc, test_sched_hint);
	tcase_add_test(tc, test_sched_timeout);
	tcase_add_test(tc, test_sched_cancel);
	tcase_add_test(tc, test_sched_session_end);
	tcase_add_test(tc, test_sched_own_orphan);
	tcase_add_test(tc, test_sched_queue_full);
	tcase_add_test(tc, test_sched_child_lost);
	tcase_add_test(tc, test_sched_fail_all);
	tcase_add_test(tc, test_sched_exclusive);
	tcase_add_test(tc, test_sched_away_turn);
	tcase_add_test(tc, test_sched_exclusive_wait);
	tcase_add_test(tc, test_sched_exclusive_requests);
	tcase_add_test(tc, test_sched_parked);
	tcase_add_test(tc, test_sched_exclusive_own);
	tcase_add_test(tc, test_sched_guess_any_busy);
	tcase_add_test(tc, test_sched_orphans);
	tcase_add_test(tc, test_sched_trial_wait);
	tcase_add_test(tc, test_sched_parked_trial);
	suite_add_tcase(s, tc);
	return s;
}
