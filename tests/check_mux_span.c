/* SPDX-License-Identifier: ISC */
/*
 * check_mux_span.c: the multiplexer's span hook (mux_config.span_child):
 * the child's copy of a request carries the context the hook gives in
 * its _meta, the rest of _meta as the client sent it, and the client's
 * own message is never changed.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "checktest.h"
#include "mux.h"
#include "testjson.h"
#include "tracectx.h"

#include "muxtest.h"

#define TP_CLIENT "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

struct seen {
	int		 calls;
	uint64_t	 cid;
	int		 refuse;
	struct tracectx	 ctx;
};

static int
span_child(void *arg, struct mux_session *s, json_object *msg,
    uint64_t cid, struct tracectx *ctx)
{
	struct seen	*seen = arg;

	seen->calls++;
	seen->cid = cid;
	if (seen->refuse)
		return -1;
	tracectx_new_trace(&seen->ctx, 1);
	snprintf(seen->ctx.tracestate, sizeof seen->ctx.tracestate, "k=v");
	*ctx = seen->ctx;
	return 0;
}

START_TEST(test_span_context_in_child_copy)
{
	struct h		 h;
	struct mux_config	 mc;
	struct mux_session	*a;
	struct seen		 seen;
	json_object		*msg, *r;
	char			 tp[TRACECTX_TRACEPARENT_LEN + 1];
	int64_t			 cid;

	memset(&seen, 0, sizeof seen);
	memset(&mc, 0, sizeof mc);
	mc.span_child = span_child;
	mc.span_arg = &seen;
	h_init(&h, &mc);
	h_start(&h);
	a = h_session(&h, "{}");
	h_clear(&h);
	seen.calls = 0;

	msg = J("{'jsonrpc':'2.0','id':1,'method':'tools/call','params':"
	    "{'name':'x','_meta':{'progressToken':7,'traceparent':'"
	    TP_CLIENT "','baggage':'b=1','other':'o'}}}");
	json_object_get(msg);
	ck_assert_int_eq(mux_session_recv(h.m, a, msg, 5), MUX_RECV_REPLY);
	h_drain(&h);
	/* The client's message as it was. */
	ck_assert_str_eq(PS(msg, "params._meta.traceparent"), TP_CLIENT);
	ck_assert_int_eq(PI(msg, "params._meta.progressToken"), 7);
	json_object_put(msg);

	cid = h_cid(&h, "tools/call");
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.cid, (uint64_t)cid);
	r = h.outs[0].msg;
	tracectx_format_traceparent(&seen.ctx, tp);
	ck_assert_str_eq(PS(r, "params._meta.traceparent"), tp);
	ck_assert_str_eq(PS(r, "params._meta.tracestate"), "k=v");
	ck_assert_str_eq(PS(r, "params._meta.baggage"), "b=1");
	ck_assert_str_eq(PS(r, "params._meta.other"), "o");
	ck_assert_str_eq(PS(r, "params.name"), "x");
	/* The progress token is still the bridge's. */
	ck_assert_int_ne(PI(r, "params._meta.progressToken"), 7);
	h_clear(&h);

	/* No params at all: made, with the context alone. */
	h_send(&h, a, 6, "{'jsonrpc':'2.0','id':2,'method':"
	    "'resources/list'}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "resources/list"),
	    1);
	r = h_find(&h, MUX_OUT_CHILD, NULL, "resources/list")->msg;
	tracectx_format_traceparent(&seen.ctx, tp);
	ck_assert_str_eq(PS(r, "params._meta.traceparent"), tp);
	h_clear(&h);

	/* The hook declines: _meta goes as it came. */
	seen.refuse = 1;
	h_send(&h, a, 7, "{'jsonrpc':'2.0','id':3,'method':'tools/call',"
	    "'params':{'name':'y','_meta':{'traceparent':'" TP_CLIENT "'}}}");
	h_cid(&h, "tools/call");
	ck_assert_str_eq(PS(h_find(&h, MUX_OUT_CHILD, NULL,
	    "tools/call")->msg, "params._meta.traceparent"), TP_CLIENT);
	h_fini(&h);
}
END_TEST

struct asked {
	int		 calls;
	char		 cause[32];	/* "" none */
	uint64_t	 bid;
	struct tracectx	 ctx;
};

static int
span_server(void *arg, struct mux_session *s, json_object *msg,
    uint64_t bid, json_object *cause, struct tracectx *ctx)
{
	struct asked	*a = arg;

	a->calls++;
	a->bid = bid;
	snprintf(a->cause, sizeof a->cause, "%s", cause == NULL ? "" :
	    json_object_to_json_string_ext(cause, JSON_C_TO_STRING_PLAIN));
	tracectx_new_trace(&a->ctx, 1);
	*ctx = a->ctx;
	return 0;
}

/*
 * A request of the child's: the hook learns which request of the
 * session's the mux routed it for (its client id), and the session's
 * copy carries the hook's context; nothing named and two in flight: no
 * cause, rather than a guess.
 */
START_TEST(test_span_server_cause)
{
	struct h		 h;
	struct mux_config	 mc;
	struct mux_session	*a;
	struct asked		 asked;
	json_object		*r;
	char			 tp[TRACECTX_TRACEPARENT_LEN + 1];
	int64_t			 c1, c2;

	memset(&asked, 0, sizeof asked);
	memset(&mc, 0, sizeof mc);
	mc.span_server = span_server;
	mc.span_arg = &asked;
	h_init(&h, &mc);
	h_start(&h);
	a = h_session(&h, "{'sampling':{}}");
	h_clear(&h);
	c1 = h_call(&h, a, 5, "'first'");
	ck_assert_int_eq(h_send(&h, a, 6, "{'jsonrpc':'2.0','id':2,'method':"
	    "'tools/call','params':{'name':'t','arguments':{},'_meta':{"
	    "'progressToken':'p'}}}"), MUX_RECV_REPLY);
	c2 = h_cid(&h, "tools/call");
	/* The child knows the token as the bridge's. */
	ck_assert_int_eq(PI(h.outs[0].msg, "params._meta.progressToken"), c2);
	h_clear(&h);

	/* It names the older one: that one, though the newer came last. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'s1','method':"
	    "'sampling/createMessage','params':{'messages':[],'_meta':{"
	    "'mcpbridge/relatedRequestId':%lld}}}", (long long)c1);
	ck_assert_int_eq(asked.calls, 1);
	ck_assert_str_eq(asked.cause, "\"first\"");
	r = h_find(&h, MUX_OUT_SESSION, a, "sampling/createMessage")->msg;
	ck_assert_int_eq(PI(r, "id"), (int64_t)asked.bid);
	tracectx_format_traceparent(&asked.ctx, tp);
	ck_assert_str_eq(PS(r, "params._meta.traceparent"), tp);
	h_clear(&h);

	/* Its progress token, which the mux gave the newer one. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'s2','method':"
	    "'sampling/createMessage','params':{'messages':[],'_meta':{"
	    "'progressToken':%lld}}}", (long long)c2);
	ck_assert_int_eq(asked.calls, 2);
	ck_assert_str_eq(asked.cause, "2");
	h_clear(&h);

	/* Nothing named, two in flight: no cause. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'s3','method':"
	    "'sampling/createMessage','params':{'messages':[]}}");
	ck_assert_int_eq(asked.calls, 3);
	ck_assert_str_eq(asked.cause, "");
	h_clear(&h);

	/* One in flight: that one. */
	h_answer(&h, c1, "{}");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'s4','method':"
	    "'sampling/createMessage','params':{'messages':[]}}");
	ck_assert_int_eq(asked.calls, 4);
	ck_assert_str_eq(asked.cause, "2");
	h_fini(&h);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("mux_span");
	TCase	*tc = tcase_create("span");

	tcase_add_test(tc, test_span_context_in_child_copy);
	tcase_add_test(tc, test_span_server_cause);
	suite_add_tcase(s, tc);
	return s;
}
