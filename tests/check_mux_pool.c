/* SPDX-License-Identifier: ISC */
/*
 * check_mux_pool.c: the multiplexer with several shared children
 * (mux_config.children, --children): legacy sessions pinned to one child,
 * 2026-07-28 requests to the least busy one, an input_required retry to
 * the child that holds the call, a child's restart seen by its own
 * sessions only, the drain covering all.  Driven directly, the fake
 * children being the test (muxtest.h).
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

#define META	"'_meta':{'io.modelcontextprotocol/protocolVersion':" \
		"'2026-07-28','io.modelcontextprotocol/clientCapabilities':" \
		"{'sampling':{},'elicitation':{}}}"

static void
h_pool(struct h *h, size_t n)
{
	struct mux_config	cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.children = n;
	h_init(h, &cfg);
	ck_assert_uint_eq(mux_pool_size(h->m), n);
	h_pool_start(h);
}

/* The one message to a shared child: which child it went to. */
static size_t
h_only_child(struct h *h, const char *method)
{
	struct hout	*o;

	ck_assert_uint_eq(h_count(h, MUX_OUT_CHILD, NULL, method), 1);
	o = h_find(h, MUX_OUT_CHILD, NULL, method);
	return o->child;
}

/* s calls a tool: the child it went to, and (in *cid) the id there. */
static size_t
h_call_at(struct h *h, struct mux_session *s, const char *id, int64_t *cid)
{
	size_t	i;

	ck_assert_int_eq(h_send(h, s, 7, "{'jsonrpc':'2.0','id':%s,"
	    "'method':'tools/call','params':{'name':'t','arguments':{}}}", id),
	    MUX_RECV_REPLY);
	i = h_only_child(h, "tools/call");
	*cid = h_cid_at(h, i, "tools/call");
	h_clear(h);
	return i;
}

/* A 2026-07-28 request, a stateless session of its own, on stream 1. */
static struct mux_session *
h_modern(struct h *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct mux_session *
h_modern(struct h *h, const char *fmt, ...)
{
	struct mux_session	*s;
	va_list			 ap;
	json_object		*msg;

	s = mux_session_new(h->m, MUX_TRANSPORT_STATELESS, NULL);
	va_start(ap, fmt);
	msg = Jv(fmt, ap);
	va_end(ap);
	ck_assert_int_eq(mux_session_recv(h->m, s, msg, 1), MUX_RECV_REPLY);
	h_drain(h);
	return s;
}

static size_t
h_load(struct h *h, size_t i, int what)
{
	struct mux_pool_stats	st;

	mux_pool_stats(h->m, i, &st);
	switch (what) {
	case 's':
		return st.sessions;
	case 'f':
		return st.in_flight;
	default:
		return (size_t)st.restarts;
	}
}

/* Legacy sessions spread over the children and stay where they are:
 * calls, subscriptions and the log level reach their child only. */
START_TEST(test_pool_pinning)
{
	struct h		 h;
	struct mux_session	*s[6];
	size_t			 i, k, at[6];
	int64_t			 cid;
	json_object		*r;

	h_pool(&h, 3);
	for (i = 0; i < 6; i++)
		s[i] = h_session(&h, "{}");
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(h_load(&h, i, 's'), 2);
	for (i = 0; i < 6; i++)
		at[i] = h_call_at(&h, s[i], "1", &cid);
	/* Each call waits at its child: two per child. */
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(h_load(&h, i, 'f'), 2);
	/* Every later call of a session goes where its first went, whatever
	 * the others' load. */
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 6; i++) {
			ck_assert_uint_eq(h_call_at(&h, s[i], "'x'", &cid),
			    at[i]);
			h_answer_at(&h, at[i], cid, "{'content':[]}");
			r = h_response(&h, s[i], 7, "'x'");
			ck_assert_ptr_nonnull(P(r, "result.content"));
			h_clear(&h);
		}
	}
	/* A subscription and a log level go to the session's child. */
	ck_assert_int_eq(h_send(&h, s[4], 2, "{'jsonrpc':'2.0','id':5,"
	    "'method':'resources/subscribe','params':{'uri':'file:///a'}}"),
	    MUX_RECV_REPLY);
	ck_assert_uint_eq(h_only_child(&h, "resources/subscribe"), at[4]);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s[1], 2, "{'jsonrpc':'2.0','id':6,"
	    "'method':'logging/setLevel','params':{'level':'debug'}}"),
	    MUX_RECV_REPLY);
	ck_assert_uint_eq(h_only_child(&h, "logging/setLevel"), at[1]);
	h_clear(&h);
	/* The child's notification reaches the subscriber only. */
	h_child_at(&h, at[4], "{'jsonrpc':'2.0','method':"
	    "'notifications/resources/updated','params':{'uri':'file:///a'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, NULL,
	    "notifications/resources/updated"), 1);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s[4],
	    "notifications/resources/updated"), 1);
	h_clear(&h);
	for (i = 0; i < 6; i++)
		mux_session_close(h.m, s[i]);
	for (i = 0; i < 3; i++)
		ck_assert_uint_eq(h_load(&h, i, 's'), 0);
	h_fini(&h);
}
END_TEST

/* A legacy SSE session is made at its GET: it is placed again when it
 * initializes, by the load then. */
START_TEST(test_pool_pin_at_initialize)
{
	struct h		 h;
	struct mux_session	*a, *b, *c;
	int64_t			 cid;

	h_pool(&h, 2);
	a = mux_session_new(h.m, MUX_TRANSPORT_SSE, NULL);
	ck_assert_uint_eq(h_load(&h, 0, 's'), 1);
	b = h_session(&h, "{}");
	c = h_session(&h, "{}");
	ck_assert_uint_eq(h_load(&h, 0, 's'), 2);	/* a, c */
	ck_assert_uint_eq(h_load(&h, 1, 's'), 1);	/* b */
	mux_session_close(h.m, b);
	ck_assert_int_eq(h_send(&h, a, 0, "{'jsonrpc':'2.0','id':0,"
	    "'method':'initialize','params':{'protocolVersion':'2024-11-05',"
	    "'capabilities':{},'clientInfo':{'name':'c','version':'1'}}}"),
	    MUX_RECV_REPLY);
	ck_assert(mux_session_initialized(a));
	h_clear(&h);
	ck_assert_uint_eq(h_load(&h, 0, 's'), 1);	/* c */
	ck_assert_uint_eq(h_load(&h, 1, 's'), 1);	/* a */
	ck_assert_uint_eq(h_call_at(&h, a, "1", &cid), 1);
	ck_assert_uint_eq(h_call_at(&h, c, "1", &cid), 0);
	mux_session_close(h.m, a);
	mux_session_close(h.m, c);
	h_fini(&h);
}
END_TEST

/* 2026-07-28 requests go to the child with the fewest in flight, legacy
 * sessions' requests counted too. */
START_TEST(test_pool_least_busy)
{
	struct h		 h;
	struct mux_session	*l, *r[4];
	int64_t			 cid, lcid[2];
	size_t			 at, i;

	h_pool(&h, 2);
	l = h_session(&h, "{}");			/* child 0 */
	ck_assert_uint_eq(h_call_at(&h, l, "1", &lcid[0]), 0);
	ck_assert_uint_eq(h_call_at(&h, l, "2", &lcid[1]), 0);
	/* Two at child 0: the next two go to child 1, then child 0 has
	 * its turn at an equal load. */
	r[0] = h_modern(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	ck_assert_uint_eq(h_only_child(&h, "tools/call"), 1);
	h_clear(&h);
	r[1] = h_modern(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	ck_assert_uint_eq(h_only_child(&h, "tools/call"), 1);
	cid = h_cid_at(&h, 1, "tools/call");
	h_clear(&h);
	ck_assert_uint_eq(h_load(&h, 1, 'f'), 2);
	/* One at child 1 is answered: 2 against 1, child 1 again. */
	h_answer_at(&h, 1, cid, "{'content':[]}");
	ck_assert_ptr_nonnull(h_find(&h, MUX_OUT_SESSION, r[1], ""));
	mux_session_close(h.m, r[1]);
	h_clear(&h);
	r[2] = h_modern(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	ck_assert_uint_eq(h_only_child(&h, "tools/call"), 1);
	h_clear(&h);
	/* Child 0's are answered: it is the least busy now. */
	for (i = 0; i < 2; i++)
		h_answer_at(&h, 0, lcid[i], "{'content':[]}");
	h_clear(&h);
	r[3] = h_modern(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	at = h_only_child(&h, "tools/call");
	ck_assert_uint_eq(at, 0);
	h_clear(&h);
	/* A stateless request is no session a legacy one avoids. */
	ck_assert_uint_eq(h_load(&h, 0, 's'), 1);
	ck_assert_uint_eq(h_load(&h, 1, 's'), 0);
	mux_session_close(h.m, r[0]);
	mux_session_close(h.m, r[2]);
	mux_session_close(h.m, r[3]);
	mux_session_close(h.m, l);
	h_fini(&h);
}
END_TEST

/*
 * A 2026-07-28 call of a pool of two, parked for its client's input (the
 * child it went to asked): its requestState (to free), the child that
 * holds it and its id there.  The client's request is over; the retry is
 * the test's.
 */
static char *
h_parked(struct h *h, size_t *held, int64_t *cid)
{
	struct mux_session	*r;
	struct hout		*o;
	char			*state;

	r = h_modern(h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	*held = h_only_child(h, "tools/call");
	*cid = h_cid_at(h, *held, "tools/call");
	h_clear(h);
	h_child_at(h, *held, "{'jsonrpc':'2.0','id':'q1','method':"
	    "'elicitation/create','params':{'message':'name?',"
	    "'requestedSchema':{'type':'object','properties':{}},"
	    "'_meta':{'mcpbridge/relatedRequestId':%lld}}}", (long long)*cid);
	mux_tick(h->m, 100);
	h_drain(h);
	o = h_find(h, MUX_OUT_SESSION, r, "");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(PS(o->msg, "result.resultType"), "input_required");
	state = strdup(PS(o->msg, "result.requestState"));
	h_clear(h);
	mux_session_close(h->m, r);
	return state;
}

/*
 * A 2026-07-28 request parked for its client's input is held by the child
 * it went to: the retry goes there, not to the least busy child, and the
 * child's answer reaches it.
 */
START_TEST(test_pool_input_required_retry)
{
	struct h		 h;
	struct mux_session	*q[2], *retry;
	struct hout		*o;
	json_object		*a;
	int64_t			 cid, qcid;
	size_t			 held;
	char			*state;

	h_pool(&h, 2);
	state = h_parked(&h, &held, &cid);

	/* The other child is made the least busy. */
	q[0] = h_modern(&h, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	q[1] = h_modern(&h, "{'jsonrpc':'2.0','id':3,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	ck_assert_uint_eq(h_load(&h, 0, 'f'), 1);
	ck_assert_uint_eq(h_load(&h, 1, 'f'), 1);
	qcid = h_cid_at(&h, 1 - held, "tools/call");
	h_clear(&h);
	h_answer_at(&h, 1 - held, qcid, "{'content':[]}");
	h_clear(&h);
	ck_assert_uint_eq(h_load(&h, held, 'f'), 1);
	ck_assert_uint_eq(h_load(&h, 1 - held, 'f'), 0);

	retry = h_modern(&h, "{'jsonrpc':'2.0','id':'r','method':"
	    "'tools/call','params':{'name':'t','arguments':{},"
	    "'requestState':'%s','inputResponses':{'q1':{'action':'accept',"
	    "'content':{}}}," META "}}", state);
	/* The answer to the child's question goes to the child that asked. */
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, retry, NULL), 0);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 1);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "");
	ck_assert_uint_eq(o->child, held);
	ck_assert_str_eq(PS(o->msg, "id"), "q1");
	h_clear(&h);
	ck_assert_uint_eq(h_load(&h, held, 'f'), 2);
	h_answer_at(&h, held, cid, "{'content':[],'structuredContent':"
	    "{'said':'ok'}}");
	a = h_response(&h, retry, 1, "'r'");
	ck_assert_str_eq(PS(a, "result.structuredContent.said"), "ok");
	h_clear(&h);
	free(state);
	mux_session_close(h.m, retry);
	mux_session_close(h.m, q[0]);
	mux_session_close(h.m, q[1]);
	h_fini(&h);
}
END_TEST

/*
 * The child holding a parked 2026-07-28 request goes away: the retry is
 * told that the request is over and to call again, not that its state
 * was altered (attack20 F4: the client would suspect tampering).
 */
START_TEST(test_pool_retry_after_restart)
{
	struct h		 h;
	struct mux_session	*retry;
	json_object		*a;
	int64_t			 cid;
	size_t			 held;
	char			*state;

	h_pool(&h, 2);
	state = h_parked(&h, &held, &cid);

	mux_pool_down(h.m, held, "killed by signal 9 (SIGKILL)");
	h_drain(&h);
	h_clear(&h);
	retry = h_modern(&h, "{'jsonrpc':'2.0','id':'r','method':"
	    "'tools/call','params':{'name':'t','arguments':{},"
	    "'requestState':'%s','inputResponses':{'q1':{'action':'accept',"
	    "'content':{}}}," META "}}", state);
	a = h_response(&h, retry, 1, "'r'");
	ck_assert_int_eq(PI(a, "error.code"), -32602);
	ck_assert_ptr_nonnull(strstr(PS(a, "error.message"),
	    "call the tool again"));
	ck_assert_ptr_null(strstr(PS(a, "error.message"), "altered"));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);
	free(state);
	mux_session_close(h.m, retry);
	h_fini(&h);
}
END_TEST

/*
 * A child whose asking turn another session holds (everything else waits
 * behind it, perhaps for a person) is the last choice for new work, busy
 * or not: attack20 F9 saw a 2026-07-28 request wait 80 s at such a child
 * while another was idle.
 */
START_TEST(test_pool_avoids_held_turn)
{
	static const char *const asking[] = { "ask", NULL };
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*a, *b, *r;
	int64_t			 acid, bcid[2];
	size_t			 at, other;

	memset(&cfg, 0, sizeof cfg);
	cfg.children = 2;
	cfg.asking_tools = asking;
	h_init(&h, &cfg);
	h_pool_start(&h);
	a = h_session(&h, "{'sampling':{}}");
	b = h_session(&h, "{}");
	/* a's call of the asking tool takes its child's turn ... */
	ck_assert_int_eq(h_send(&h, a, 7, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/call','params':{'name':'ask','arguments':{}}}"),
	    MUX_RECV_REPLY);
	at = h_only_child(&h, "tools/call");
	acid = h_cid_at(&h, at, "tools/call");
	h_clear(&h);
	/* ... while b keeps the other child busier by the count. */
	other = h_call_at(&h, b, "1", &bcid[0]);
	ck_assert_uint_ne(other, at);
	ck_assert_uint_eq(h_call_at(&h, b, "2", &bcid[1]), other);
	ck_assert_uint_eq(h_load(&h, at, 'f'), 1);
	ck_assert_uint_eq(h_load(&h, other, 'f'), 2);

	r = h_modern(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	ck_assert_uint_eq(h_only_child(&h, "tools/call"), other);
	h_clear(&h);

	h_answer_at(&h, at, acid, "{'content':[]}");
	h_answer_at(&h, other, bcid[0], "{'content':[]}");
	h_answer_at(&h, other, bcid[1], "{'content':[]}");
	h_clear(&h);
	mux_session_close(h.m, r);
	mux_session_close(h.m, a);
	mux_session_close(h.m, b);
	h_fini(&h);
}
END_TEST

/* One child goes away: its sessions end and its requests fail; the other
 * child's sessions never notice, and only it is started again. */
START_TEST(test_pool_restart_isolation)
{
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 acid, bcid;
	json_object		*r;

	h_pool(&h, 2);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	ck_assert_uint_eq(h_call_at(&h, a, "1", &acid), 0);
	ck_assert_uint_eq(h_call_at(&h, b, "1", &bcid), 1);

	mux_pool_down(h.m, 0, "exited with status 1");
	h_drain(&h);
	r = h_response(&h, a, 7, "1");
	ck_assert_int_eq(PI(r, "error.code"), -32000);
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"),
	    "exited with status 1"));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION_END, a, NULL), 1);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, b, NULL), 0);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION_END, b, NULL), 0);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);
	mux_session_close(h.m, a);
	/* Still ready: the other child serves. */
	ck_assert(mux_ready(h.m));
	ck_assert(!mux_pool_ready(h.m, 0));
	ck_assert_uint_eq(h_load(&h, 0, 'f'), 0);
	ck_assert_uint_eq(h_load(&h, 1, 'f'), 1);

	/* It comes back: the handshake goes to it alone. */
	mux_pool_up(h.m, 0);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 1);
	ck_assert_uint_eq(h_only_child(&h, "initialize"), 0);
	h_answer_at(&h, 0, h_cid_at(&h, 0, "initialize"), "%s",
	    child_init_result);
	h_clear(&h);
	ck_assert_uint_eq(h_load(&h, 0, 'r'), 1);
	ck_assert_uint_eq(h_load(&h, 1, 'r'), 0);

	/* b's call is answered as if nothing happened. */
	h_answer_at(&h, 1, bcid, "{'content':[]}");
	r = h_response(&h, b, 7, "1");
	ck_assert_ptr_nonnull(P(r, "result.content"));
	h_clear(&h);
	ck_assert_uint_eq(h_call_at(&h, b, "2", &bcid), 1);
	mux_session_close(h.m, b);
	h_fini(&h);
}
END_TEST

/* A pool child that is down takes no new session while another is up. */
START_TEST(test_pool_avoids_down)
{
	struct h		 h;
	struct mux_session	*s[3];
	size_t			 i;
	int64_t			 cid;

	h_pool(&h, 2);
	mux_pool_down(h.m, 1, "killed by signal 9");
	h_drain(&h);
	h_clear(&h);
	for (i = 0; i < 3; i++) {
		s[i] = h_session(&h, "{}");
		ck_assert_uint_eq(h_call_at(&h, s[i], "1", &cid), 0);
	}
	for (i = 0; i < 3; i++)
		mux_session_close(h.m, s[i]);
	h_fini(&h);
}
END_TEST

/* The drain's end answers what waits at every child. */
START_TEST(test_pool_fail_all)
{
	struct h		 h;
	struct mux_session	*s[4];
	size_t			 i;
	int64_t			 cid;
	json_object		*r;

	h_pool(&h, 4);
	for (i = 0; i < 4; i++) {
		s[i] = h_session(&h, "{}");
		ck_assert_uint_eq(h_call_at(&h, s[i], "1", &cid), i);
	}
	mux_fail_all(h.m, "Server shutting down");
	h_drain(&h);
	for (i = 0; i < 4; i++) {
		r = h_response(&h, s[i], 7, "1");
		ck_assert_str_eq(PS(r, "error.message"),
		    "Server shutting down");
		ck_assert_uint_eq(h_load(&h, i, 'f'), 0);
	}
	h_clear(&h);
	for (i = 0; i < 4; i++)
		mux_session_close(h.m, s[i]);
	h_fini(&h);
}
END_TEST

/*
 * A pool of 2026-07-28 children: a child's own requestState goes out with
 * the child's number in front, and the retry goes to that child, without
 * it, whichever child is least busy; a number the pool has not is refused.
 */
START_TEST(test_pool_modern_child_state)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*r, *q, *retry;
	struct hout		*o;
	json_object		*a;
	int64_t			 cid;
	size_t			 i, held;
	char			*state, want[32];
	static const char *const bad[] = { "3.opaque.x", "0.opaque.x",
	    "01.opaque.x", "opaque.x", "" };

	memset(&cfg, 0, sizeof cfg);
	cfg.children = 2;
	cfg.child_era = MUX_CHILD_ERA_MODERN;
	h_init(&h, &cfg);
	for (i = 0; i < 2; i++) {
		mux_pool_up(h.m, i);
		h_drain(&h);
		h_answer_at(&h, i, h_cid_at(&h, i, "server/discover"),
		    "{'supportedVersions':['2026-07-28'],'capabilities':"
		    "{'tools':{}},'resultType':'complete'}");
		ck_assert(mux_pool_ready(h.m, i));
		h_clear(&h);
	}
	ck_assert(mux_child_modern(h.m));

	r = h_modern(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	held = h_only_child(&h, "tools/call");
	cid = h_cid_at(&h, held, "tools/call");
	h_clear(&h);
	h_answer_at(&h, held, cid, "{'resultType':'input_required',"
	    "'inputRequests':{'k':{'method':'elicitation/create','params':"
	    "{}}},'requestState':'opaque.x'}");
	a = h_response(&h, r, 1, "1");
	snprintf(want, sizeof want, "%zu.opaque.x", held + 1);
	ck_assert_str_eq(PS(a, "result.requestState"), want);
	state = strdup(want);
	h_clear(&h);
	mux_session_close(h.m, r);

	/* The holder is made the busier one. */
	q = h_modern(&h, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	if (h_only_child(&h, "tools/call") != held) {
		mux_session_close(h.m, q);
		h_clear(&h);
		q = h_modern(&h, "{'jsonrpc':'2.0','id':2,'method':"
		    "'tools/call','params':{'name':'t','arguments':{},"
		    META "}}");
	}
	ck_assert_uint_eq(h_only_child(&h, "tools/call"), held);
	h_clear(&h);
	ck_assert_uint_eq(h_load(&h, held, 'f'), 1);
	ck_assert_uint_eq(h_load(&h, 1 - held, 'f'), 0);

	retry = h_modern(&h, "{'jsonrpc':'2.0','id':3,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{},'requestState':'%s',"
	    "'inputResponses':{'k':{'action':'accept'}}," META "}}", state);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "tools/call");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->child, held);
	ck_assert_str_eq(PS(o->msg, "params.requestState"), "opaque.x");
	h_clear(&h);
	/* Its end is the child's to hear, under the id it knows. */
	mux_session_close(h.m, retry);
	h_drain(&h);
	ck_assert_uint_eq(h_only_child(&h, "notifications/cancelled"), held);
	h_clear(&h);

	/* No such child, or not as the bridge writes it: refused by the
	 * bridge, no child sees it. */
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = h_modern(&h, "{'jsonrpc':'2.0','id':4,'method':"
		    "'tools/call','params':{'name':'t','arguments':{},"
		    "'requestState':'%s'," META "}}", bad[i]);
		ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
		ck_assert_int_eq(PI(h_response(&h, r, 1, "4"), "error.code"),
		    -32602);
		h_clear(&h);
		mux_session_close(h.m, r);
	}
	free(state);
	mux_session_close(h.m, q);
	h_fini(&h);
}
END_TEST

/* The log names the child when there are several; the size is bounded. */
START_TEST(test_pool_log_and_limit)
{
	struct h		 h;
	struct mux_config	 cfg;
	char			*log;

	memset(&cfg, 0, sizeof cfg);
	cfg.children = 2;
	h_init(&h, &cfg);
	h_log_start(LOG_LEVEL_INFO);
	h_pool_start(&h);
	log = h_log_end();
	ck_assert_uint_eq(h_occurs(log, "server fake 1.0 initialized, "
	    "protocol 2025-11-25 (child 1)"), 1);
	ck_assert_uint_eq(h_occurs(log, "(child 2)"), 1);
	free(log);
	h_fini(&h);

	cfg.children = MUX_CHILDREN_MAX + 1;
	h_init(&h, &cfg);
	ck_assert_uint_eq(mux_pool_size(h.m), MUX_CHILDREN_MAX);
	h_fini(&h);
	/* One child is named as before. */
	cfg.children = 0;
	h_init(&h, &cfg);
	ck_assert_uint_eq(mux_pool_size(h.m), 1);
	h_log_start(LOG_LEVEL_INFO);
	h_start(&h);
	log = h_log_end();
	ck_assert_uint_eq(h_occurs(log, "(child"), 0);
	free(log);
	h_fini(&h);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("mux_pool");
	TCase	*tc = tcase_create("pool");

	tcase_add_test(tc, test_pool_pinning);
	tcase_add_test(tc, test_pool_pin_at_initialize);
	tcase_add_test(tc, test_pool_least_busy);
	tcase_add_test(tc, test_pool_input_required_retry);
	tcase_add_test(tc, test_pool_retry_after_restart);
	tcase_add_test(tc, test_pool_avoids_held_turn);
	tcase_add_test(tc, test_pool_restart_isolation);
	tcase_add_test(tc, test_pool_avoids_down);
	tcase_add_test(tc, test_pool_fail_all);
	tcase_add_test(tc, test_pool_log_and_limit);
	tcase_add_test(tc, test_pool_modern_child_state);
	suite_add_tcase(s, tc);
	return s;
}
