/* SPDX-License-Identifier: ISC */
/*
 * check_mux_modern.c: the multiplexer in front of a child that speaks
 * 2026-07-28 itself: the era probe and its outcomes, pass-through for
 * 2026-07-28 clients, translation for legacy ones.  Driven directly, the
 * fake child being the test (muxtest.h).
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
#include "modern.h"
#include "mux.h"
#include "testjson.h"
#include "tracectx.h"

#include "muxtest.h"

/* The modern _meta of a 2026-07-28 client's request (JSON text). */
#define MMETA(caps) "'_meta':{'io.modelcontextprotocol/protocolVersion':" \
	"'2026-07-28','io.modelcontextprotocol/clientCapabilities':" caps "}"

static const char *discover_result =
    "{'supportedVersions':['2026-07-28'],"
    "'capabilities':{'tools':{'listChanged':true},"
    "'resources':{'subscribe':true,'listChanged':true},'logging':{}},"
    "'instructions':'modern and proud','resultType':'complete',"
    "'_meta':{'io.modelcontextprotocol/serverInfo':"
    "{'name':'modern-fake','version':'2.0'}}}";

/* key of the _meta object at path (keys with dots cannot be in a path). */
static json_object *
MK(json_object *o, const char *path, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(P(o, path), key, &v))
		return NULL;
	return v;
}

static void
h_init_era(struct h *h, enum mux_child_era era)
{
	struct mux_config	cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.child_era = era;
	cfg.probe_timeout_ms = 500;
	h_init(h, &cfg);
}

/* The child comes up; the probe is all it sees.  Returns the probe's id. */
static int64_t
h_probe(struct h *h)
{
	json_object	*o;
	int64_t		 cid;

	mux_child_up(h->m, NULL);
	h_drain(h);
	ck_assert_uint_eq(h->n, 1);
	cid = h_cid(h, "server/discover");
	o = h_find(h, MUX_OUT_CHILD, NULL, "server/discover")->msg;
	ck_assert_str_eq(json_object_get_string(MK(o, "params._meta",
	    MODERN_META_VERSION)), "2026-07-28");
	ck_assert_ptr_nonnull(MK(o, "params._meta", MODERN_META_CAPS));
	ck_assert_str_eq(PS(MK(o, "params._meta", MODERN_META_INFO), "name"),
	    "mcpbridge");
	h_clear(h);
	ck_assert(!mux_ready(h->m));
	return cid;
}

/* The legacy fallback: initialize, answered. */
static void
h_expect_initialize(struct h *h)
{
	int64_t	cid;

	cid = h_cid(h, "initialize");
	h_clear(h);
	h_answer(h, cid, "%s", child_init_result);
	ck_assert(mux_ready(h->m));
	ck_assert(!mux_child_modern(h->m));
	ck_assert_uint_eq(h_count(h, MUX_OUT_CHILD, NULL,
	    "notifications/initialized"), 1);
	h_clear(h);
}

/* A shared child that answered the probe with a DiscoverResult. */
static void
h_start_modern(struct h *h)
{
	int64_t	cid;

	h_init_era(h, MUX_CHILD_ERA_AUTO);
	cid = h_probe(h);
	h_answer(h, cid, "%s", discover_result);
	ck_assert(mux_ready(h->m));
	ck_assert(mux_child_modern(h->m));
	/* No handshake: a 2026-07-28 server has none. */
	ck_assert_uint_eq(h->n, 0);
}

/* A legacy session of a modern child, through initialize. */
static struct mux_session *
h_legacy(struct h *h, const char *caps)
{
	struct mux_session	*s;
	json_object		*r;

	s = mux_session_new(h->m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(h, s, 1, "{'jsonrpc':'2.0','id':0,"
	    "'method':'initialize','params':{'protocolVersion':'2025-06-18',"
	    "'capabilities':%s,'clientInfo':{'name':'legacy','version':'1'}}}",
	    caps), MUX_RECV_REPLY);
	r = h_one(h, s, "", 1, 1);
	ck_assert_str_eq(PS(r, "result.protocolVersion"), "2025-06-18");
	ck_assert_str_eq(PS(r, "result.serverInfo.name"), "modern-fake");
	ck_assert_str_eq(PS(r, "result.instructions"), "modern and proud");
	ck_assert(P(r, "result.capabilities.resources.subscribe") != NULL);
	ck_assert_ptr_null(P(r, "result.supportedVersions"));
	ck_assert_int_eq(h_send(h, s, 0, "{'jsonrpc':'2.0',"
	    "'method':'notifications/initialized'}"), MUX_RECV_ACCEPTED);
	return s;
}

/* ---- the probe ---------------------------------------------------------- */

START_TEST(test_probe_legacy_default)
{
	struct h	h;

	/* Without the option nothing changes: initialize first. */
	h_init(&h, NULL);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "server/discover"),
	    0);
	h_expect_initialize(&h);
	h_fini(&h);
}
END_TEST

START_TEST(test_probe_modern)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*info;

	h_start_modern(&h);
	info = mux_child_info(h.m);
	ck_assert_str_eq(PS(info, "serverInfo.name"), "modern-fake");
	/* A 2026-07-28 client's discover comes from the probe's result. */
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':'d',"
	    "'method':'server/discover','params':{" MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	ck_assert_str_eq(PS(h_response(&h, s, 1, "'d'"),
	    "result.instructions"), "modern and proud");
	h_clear(&h);
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

START_TEST(test_probe_error_is_legacy)
{
	struct h	h;
	int64_t		cid;

	/* Whatever error a legacy server gives, not only -32601. */
	const char	*errors[] = {
		"{'code':-32601,'message':'Method not found'}",
		"{'code':-32602,'message':'Invalid params'}",
		"{'code':-32600,'message':'Not initialized'}",
		"{'code':-32000,'message':'nope'}",
	};
	size_t		 i;

	for (i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		h_init_era(&h, MUX_CHILD_ERA_AUTO);
		cid = h_probe(&h);
		h_fail(&h, cid, "%s", errors[i]);
		h_expect_initialize(&h);
		h_fini(&h);
	}
}
END_TEST

START_TEST(test_probe_timeout)
{
	struct h		 h;
	struct mux_session	*s;
	int64_t			 cid;

	h_init_era(&h, MUX_CHILD_ERA_AUTO);
	cid = h_probe(&h);
	ck_assert_uint_eq(mux_wakeup(h.m), 501);
	/* Client traffic waits for the outcome. */
	s = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':0,"
	    "'method':'initialize','params':{'protocolVersion':'2025-11-25',"
	    "'capabilities':{},'clientInfo':{'name':'c','version':'1'}}}"),
	    MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 0);
	mux_tick(h.m, 500);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	/* Silence is legacy. */
	mux_tick(h.m, 501);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	/* A late DiscoverResult changes nothing. */
	h_answer(&h, cid, "%s", discover_result);
	ck_assert_uint_eq(h.n, 1);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	h_answer(&h, cid, "%s", child_init_result);
	ck_assert(mux_ready(h.m));
	ck_assert(!mux_child_modern(h.m));
	/* What waited went through, to the legacy child's answer. */
	ck_assert(mux_session_initialized(s));
	ck_assert_str_eq(PS(h_response(&h, s, 1, "0"),
	    "result.serverInfo.name"), "fake");
	h_clear(&h);
	h_fini(&h);
}
END_TEST

START_TEST(test_probe_modern_error)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*r;
	int64_t			 cid;

	/* A 2026-07-28 error is modern: no fallback, even if unusable. */
	h_init_era(&h, MUX_CHILD_ERA_AUTO);
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	cid = h_probe(&h);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/list','params':{" MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	h_fail(&h, cid, "{'code':-32022,'message':'Unsupported protocol "
	    "version','data':{'supported':['2099-01-01'],"
	    "'requested':'2026-07-28'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	ck_assert(!mux_ready(h.m));
	r = h_response(&h, s, 1, "1");
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"), "2099-01-01"));
	h_clear(&h);

	/* A DiscoverResult without 2026-07-28 likewise. */
	mux_child_down(h.m, NULL, "exited");
	cid = h_probe(&h);
	h_answer(&h, cid, "{'supportedVersions':['2099-01-01'],"
	    "'capabilities':{}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	ck_assert(!mux_ready(h.m));
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

START_TEST(test_probe_restart)
{
	struct h	h;
	int64_t		cid;

	/* Modern first, then the restarted child is legacy: probed again. */
	h_start_modern(&h);
	mux_child_down(h.m, NULL, "exited");
	h_drain(&h);
	ck_assert(!mux_ready(h.m));
	cid = h_probe(&h);
	h_fail(&h, cid, "{'code':-32601,'message':'Method not found'}");
	h_expect_initialize(&h);
	/* And the other way round. */
	mux_child_down(h.m, NULL, "exited");
	h_drain(&h);
	cid = h_probe(&h);
	h_answer(&h, cid, "%s", discover_result);
	ck_assert(mux_child_modern(h.m));
	h_fini(&h);
}
END_TEST

START_TEST(test_probe_assume_modern)
{
	struct h	h;
	int64_t		cid;

	/* --child-era=modern: a failed probe does not make it legacy. */
	h_init_era(&h, MUX_CHILD_ERA_MODERN);
	cid = h_probe(&h);
	h_fail(&h, cid, "{'code':-32601,'message':'Method not found'}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "initialize"), 0);
	ck_assert(mux_child_modern(h.m));
	h_fini(&h);

	h_init_era(&h, MUX_CHILD_ERA_MODERN);
	cid = h_probe(&h);
	mux_tick(h.m, 1000);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "initialize"), 0);
	ck_assert(mux_child_modern(h.m));
	ck_assert_str_ne(PS(mux_child_info(h.m), "serverInfo.name"),
	    "modern-fake");
	/* A slow child's answer, late, still says who it is. */
	h_answer(&h, cid, "%s", discover_result);
	ck_assert(mux_child_modern(h.m));
	ck_assert_str_eq(PS(mux_child_info(h.m), "serverInfo.name"),
	    "modern-fake");
	ck_assert_ptr_nonnull(P(mux_child_info(h.m), "capabilities.tools"));
	h_fini(&h);
}
END_TEST

/* ---- 2026-07-28 clients: pass-through ----------------------------------- */

START_TEST(test_passthrough)
{
	struct h		 h;
	struct mux_session	*s, *s2;
	json_object		*o, *r;
	int64_t			 cid, cid2;

	h_start_modern(&h);
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	s2 = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':'x',"
	    "'method':'tools/call','params':{'name':'t','arguments':{'a':1},"
	    "'requestState':'theirs',"
	    "'inputResponses':{'k':{'action':'accept'}},"
	    "'_meta':{'progressToken':'p','io.modelcontextprotocol/"
	    "protocolVersion':'2026-07-28','io.modelcontextprotocol/"
	    "clientCapabilities':{'elicitation':{}}}}}"), MUX_RECV_REPLY);
	/* The same id from another client is no clash. */
	ck_assert_int_eq(h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':'x',"
	    "'method':'tools/list','params':{" MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 2);
	cid = h_cid(&h, "tools/call");
	cid2 = h_cid(&h, "tools/list");
	ck_assert_int_ne(cid, cid2);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "tools/call")->msg;
	/* Everything but the id and the token as the client sent it. */
	ck_assert_str_eq(PS(o, "params.requestState"), "theirs");
	ck_assert_str_eq(PS(o, "params.inputResponses.k.action"), "accept");
	ck_assert_int_eq(PI(o, "params.arguments.a"), 1);
	ck_assert_int_eq(PI(o, "params._meta.progressToken"), cid);
	ck_assert_ptr_nonnull(MK(o, "params._meta", MODERN_META_CAPS));
	ck_assert_ptr_nonnull(P(MK(o, "params._meta", MODERN_META_CAPS),
	    "elicitation"));
	h_clear(&h);

	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':1}}", (long long)cid);
	r = h_one(&h, s, "notifications/progress", 3, 0);
	ck_assert_str_eq(PS(r, "params.progressToken"), "p");
	h_clear(&h);

	/* The child's own input_required goes back as it is. */
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':"
	    "{'q':{'method':'elicitation/create','params':{'message':'?'}}},"
	    "'requestState':'child-state'}");
	r = h_response(&h, s, 3, "'x'");
	ck_assert_str_eq(PS(r, "result.resultType"), "input_required");
	ck_assert_str_eq(PS(r, "result.requestState"), "child-state");
	ck_assert_str_eq(PS(r, "result.inputRequests.q.method"),
	    "elicitation/create");
	h_clear(&h);
	h_fail(&h, cid2, "{'code':-32601,'message':'Method not found'}");
	r = h_response(&h, s2, 1, "'x'");
	ck_assert_int_eq(PI(r, "error.code"), -32601);
	h_clear(&h);

	/* A removed method is the child's to refuse. */
	ck_assert_int_eq(h_send(&h, s, 4, "{'jsonrpc':'2.0','id':5,"
	    "'method':'ping','params':{" MMETA("{}") "}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "ping"), 1);
	h_clear(&h);
	mux_session_close(h.m, s);
	mux_session_close(h.m, s2);
	h_fini(&h);
}
END_TEST

/*
 * The tool filter before a 2026-07-28 child: a 2026-07-28 client's call of
 * a hidden tool is refused (the child never sees it), and both eras'
 * clients list only the tools that pass, pass-through and translated.
 */
START_TEST(test_tool_filter_modern)
{
	static char		*allow[] = { (char *)"read_*", NULL };
	struct toolfilter	 tf = { allow, 1, NULL, 0 };
	struct mux_config	 cfg;
	struct h		 h;
	struct mux_session	*s, *l;
	json_object		*r;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	cfg.child_era = MUX_CHILD_ERA_AUTO;
	cfg.probe_timeout_ms = 500;
	cfg.tools = &tf;
	h_init(&h, &cfg);
	cid = h_probe(&h);
	h_answer(&h, cid, "%s", discover_result);
	ck_assert(mux_child_modern(h.m));

	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':'c',"
	    "'method':'tools/call','params':{'name':'write_x',"
	    "'arguments':{}," MMETA("{}") "}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	r = h_response(&h, s, 3, "'c'");
	ck_assert_str_eq(PS(r, "error.message"), "Tool not allowed: write_x");
	h_clear(&h);

	ck_assert_int_eq(h_send(&h, s, 4, "{'jsonrpc':'2.0','id':'l',"
	    "'method':'tools/list','params':{" MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/list");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'complete','tools':["
	    "{'name':'read_a'},{'name':'write_x'}]}");
	r = h_response(&h, s, 4, "'l'");
	ck_assert_uint_eq(json_object_array_length(P(r, "result.tools")), 1);
	ck_assert_str_eq(PS(json_object_array_get_idx(P(r, "result.tools"),
	    0), "name"), "read_a");
	h_clear(&h);
	mux_session_close(h.m, s);

	l = h_legacy(&h, "{}");
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, l, 5, "{'jsonrpc':'2.0','id':7,"
	    "'method':'tools/list'}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/list");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'complete','tools':["
	    "{'name':'write_x'},{'name':'read_b'}]}");
	r = h_response(&h, l, 5, "7");
	ck_assert_uint_eq(json_object_array_length(P(r, "result.tools")), 1);
	ck_assert_str_eq(PS(json_object_array_get_idx(P(r, "result.tools"),
	    0), "name"), "read_b");
	h_fini(&h);
}
END_TEST

/* Behind a load balancer the child's requestState goes out behind the
 * instance's name and comes back without it; another's is refused. */
START_TEST(test_passthrough_instance)
{
	struct mux_config	 cfg;
	struct h		 h;
	struct mux_session	*s;
	json_object		*r, *o;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	cfg.child_era = MUX_CHILD_ERA_MODERN;
	cfg.instance_id = "mcp1";
	h_init(&h, &cfg);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	h_answer(&h, h_cid(&h, "server/discover"), "%s", discover_result);
	h_clear(&h);
	ck_assert(mux_child_modern(h.m));

	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/call','params':{'name':'t'," MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':"
	    "{'q':{'method':'elicitation/create','params':{'message':'?'}}},"
	    "'requestState':'a.b'}");
	r = h_response(&h, s, 1, "1");
	ck_assert_str_eq(PS(r, "result.requestState"), "mcp1.a.b");
	h_clear(&h);
	mux_session_close(h.m, s);

	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':2,"
	    "'method':'tools/call','params':{'name':'t','requestState':"
	    "'mcp2.a.b'," MMETA("{}") "}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	r = h_response(&h, s, 1, "2");
	ck_assert_int_eq(PI(r, "error.code"), -32602);
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"), "instance mcp2"));
	h_clear(&h);
	mux_session_close(h.m, s);

	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':3,"
	    "'method':'tools/call','params':{'name':'t','requestState':"
	    "'mcp1.a.b'," MMETA("{}") "}}"), MUX_RECV_REPLY);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "tools/call")->msg;
	ck_assert_str_eq(PS(o, "params.requestState"), "a.b");
	ck_assert_str_eq(PS(o, "params.name"), "t");
	h_clear(&h);
	mux_session_close(h.m, s);

	/* The child's state is opaque: a NUL in it survives both ways. */
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':4,"
	    "'method':'tools/call','params':{'name':'t'," MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':"
	    "{'q':{'method':'elicitation/create','params':{'message':'?'}}},"
	    "'requestState':'a\\u0000b'}");
	r = h_response(&h, s, 1, "4");
	ck_assert_int_eq(json_object_get_string_len(P(r,
	    "result.requestState")), 8);
	ck_assert_mem_eq(PS(r, "result.requestState"), "mcp1.a\0b", 8);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 2, "{'jsonrpc':'2.0','id':5,"
	    "'method':'tools/call','params':{'name':'t','requestState':"
	    "'mcp1.a\\u0000b'," MMETA("{}") "}}"), MUX_RECV_REPLY);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "tools/call")->msg;
	ck_assert_int_eq(json_object_get_string_len(P(o,
	    "params.requestState")), 3);
	ck_assert_mem_eq(PS(o, "params.requestState"), "a\0b", 3);
	h_clear(&h);
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

START_TEST(test_passthrough_cancel)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*o;
	int64_t			 cid;

	/* Closing the stream cancels the request at the child. */
	h_start_modern(&h);
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/call','params':{'name':'slow'," MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	mux_session_close(h.m, s);
	h_drain(&h);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "notifications/cancelled")->msg;
	ck_assert_int_eq(PI(o, "params.requestId"), cid);
	h_clear(&h);
	/* Its late answer goes nowhere. */
	h_answer(&h, cid, "{'content':[],'resultType':'complete'}");
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

START_TEST(test_passthrough_listen)
{
	struct h		 h;
	struct mux_stats	 st;
	struct mux_session	*s, *s2;
	json_object		*r;
	int64_t			 cid, cid2;

	h_start_modern(&h);
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	s2 = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':7,"
	    "'method':'subscriptions/listen','params':{'notifications':"
	    "{'toolsListChanged':true}," MMETA("{}") "}}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "subscriptions/listen");
	h_clear(&h);
	/* An open subscription is no request waiting for the child. */
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert_int_eq(h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':7,"
	    "'method':'subscriptions/listen','params':{'notifications':"
	    "{'toolsListChanged':true}," MMETA("{}") "}}"), MUX_RECV_REPLY);
	cid2 = h_cid(&h, "subscriptions/listen");
	h_clear(&h);

	/* Tagged with the child-side id; each client sees its own. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/"
	    "subscriptions/acknowledged','params':{'notifications':"
	    "{'toolsListChanged':true},'_meta':{'%s':%lld}}}",
	    MODERN_META_SUBSCRIPTION, (long long)cid);
	r = h_one(&h, s, "notifications/subscriptions/acknowledged", 1, 0);
	ck_assert_int_eq(json_object_get_int64(MK(r, "params._meta",
	    MODERN_META_SUBSCRIPTION)), 7);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s2, NULL), 0);
	h_clear(&h);
	/* What a tools/list taught about Mcp-Param-* headers goes when the
	 * list changes, even if the change comes on a client's listen. */
	ck_assert_int_eq(h_send(&h, s, 2, "{'jsonrpc':'2.0','id':8,"
	    "'method':'tools/list','params':{" MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	h_answer(&h, h_cid(&h, "tools/list"), "{'tools':[{'name':'t',"
	    "'inputSchema':{'type':'object','properties':{'r':{'type':"
	    "'string','x-mcp-header':'R'}}}}]}");
	ck_assert_ptr_nonnull(mux_tool_headers(h.m, "t"));
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/tools/"
	    "list_changed','params':{'_meta':{'%s':%lld}}}",
	    MODERN_META_SUBSCRIPTION, (long long)cid2);
	ck_assert_ptr_null(mux_tool_headers(h.m, "t"));
	r = h_one(&h, s2, "notifications/tools/list_changed", 1, 0);
	ck_assert_int_eq(json_object_get_int64(MK(r, "params._meta",
	    MODERN_META_SUBSCRIPTION)), 7);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s, NULL), 0);
	h_clear(&h);
	/* Untagged, or for a subscription that is gone: nobody's. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/tools/"
	    "list_changed','params':{'_meta':{'%s':999}}}",
	    MODERN_META_SUBSCRIPTION);
	ck_assert_uint_eq(h.n, 0);

	/* The bridge ends one (draining): cancelled at the child, the
	 * client gets the graceful end under its own id. */
	mux_session_finish(h.m, s);
	h_drain(&h);
	r = h_find(&h, MUX_OUT_CHILD, NULL, "notifications/cancelled")->msg;
	ck_assert_int_eq(PI(r, "params.requestId"), cid);
	r = h_response(&h, s, 1, "7");
	ck_assert_str_eq(PS(r, "result.resultType"), "complete");
	ck_assert_int_eq(json_object_get_int64(MK(r, "result._meta",
	    MODERN_META_SUBSCRIPTION)), 7);
	h_clear(&h);

	/* The child ends the other with its final result. */
	h_answer(&h, cid2, "{'resultType':'complete','_meta':{'%s':%lld}}",
	    MODERN_META_SUBSCRIPTION, (long long)cid2);
	r = h_response(&h, s2, 1, "7");
	ck_assert_int_eq(json_object_get_int64(MK(r, "result._meta",
	    MODERN_META_SUBSCRIPTION)), 7);
	h_clear(&h);

	/* The child tears one down with a cancel that carries the tag as
	 * well: the graceful end under the client's id, no cancel. */
	ck_assert_int_eq(h_send(&h, s2, 3, "{'jsonrpc':'2.0','id':'C',"
	    "'method':'subscriptions/listen','params':{'notifications':"
	    "{'toolsListChanged':true}," MMETA("{}") "}}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "subscriptions/listen");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/"
	    "cancelled','params':{'requestId':%lld,'_meta':{'%s':%lld}}}",
	    (long long)cid, MODERN_META_SUBSCRIPTION, (long long)cid);
	r = h_response(&h, s2, 3, "'C'");
	ck_assert_str_eq(PS(r, "result.resultType"), "complete");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s2,
	    "notifications/cancelled"), 0);
	h_clear(&h);

	/* A third, which the child's restart ends gracefully. */
	ck_assert_int_eq(h_send(&h, s2, 2, "{'jsonrpc':'2.0','id':'L',"
	    "'method':'subscriptions/listen','params':{'notifications':"
	    "{'toolsListChanged':true}," MMETA("{}") "}}"), MUX_RECV_REPLY);
	h_clear(&h);
	mux_child_down(h.m, NULL, "exited");
	h_drain(&h);
	r = h_response(&h, s2, 2, "'L'");
	ck_assert_str_eq(PS(r, "result.resultType"), "complete");
	h_clear(&h);
	mux_session_close(h.m, s);
	mux_session_close(h.m, s2);
	h_fini(&h);
}
END_TEST

START_TEST(test_passthrough_listen_timeout)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*s;
	int64_t			 cid;

	/* --request-timeout is for answers, not for a subscription. */
	memset(&cfg, 0, sizeof cfg);
	cfg.child_era = MUX_CHILD_ERA_MODERN;
	cfg.request_timeout_ms = 1000;
	h_init(&h, &cfg);
	cid = h_probe(&h);
	h_answer(&h, cid, "%s", discover_result);
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'subscriptions/listen','params':{'notifications':"
	    "{'toolsListChanged':true}," MMETA("{}") "}}"), MUX_RECV_REPLY);
	ck_assert_int_eq(h_send(&h, s, 2, "{'jsonrpc':'2.0','id':2,"
	    "'method':'tools/call','params':{'name':'t'," MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	h_clear(&h);
	mux_tick(h.m, 5000);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled"), 1);
	ck_assert_int_eq(PI(h_response(&h, s, 2, "2"), "error.code"),
	    JSONRPC_SERVER_ERROR);
	h_clear(&h);
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

START_TEST(test_passthrough_log)
{
	struct h		 h;
	struct mux_session	*s, *s2;
	int64_t			 cid;

	h_start_modern(&h);
	s = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/call','params':{'name':'t','_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
	    "'io.modelcontextprotocol/clientCapabilities':{},"
	    "'io.modelcontextprotocol/logLevel':'info'}}}"), MUX_RECV_REPLY);
	/* The level goes with the request, no logging/setLevel. */
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "logging/setLevel"),
	    0);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'info','data':'one'}}");
	(void)h_one(&h, s, "notifications/message", 1, 0);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'debug','data':'too verbose'}}");
	ck_assert_uint_eq(h.n, 0);
	/* With two requests in flight a log line names neither. */
	s2 = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	ck_assert_int_eq(h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/call','params':{'name':'t'," MMETA("{}") "}}"),
	    MUX_RECV_REPLY);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'whose?'}}");
	ck_assert_uint_eq(h.n, 0);
	(void)cid;
	mux_session_close(h.m, s);
	mux_session_close(h.m, s2);
	h_fini(&h);
}
END_TEST

START_TEST(test_modern_child_requests)
{
	struct h	h;
	json_object	*r;

	/* A 2026-07-28 server sends no requests: refused, even ping. */
	h_start_modern(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'s1',"
	    "'method':'sampling/createMessage','params':{}}");
	r = h_find(&h, MUX_OUT_CHILD, NULL, "")->msg;
	ck_assert_str_eq(PS(r, "id"), "s1");
	ck_assert_int_eq(PI(r, "error.code"), -32601);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':2,'method':'ping'}");
	r = h_find(&h, MUX_OUT_CHILD, NULL, "")->msg;
	ck_assert_int_eq(PI(r, "error.code"), -32601);
	h_fini(&h);
}
END_TEST

/* ---- legacy clients: translation ---------------------------------------- */

START_TEST(test_translate)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*o, *r;
	int64_t			 cid;

	h_start_modern(&h);
	s = h_legacy(&h, "{'roots':{}}");
	/* The bridge listens for list changes on its legacy clients' behalf. */
	o = h_find(&h, MUX_OUT_CHILD, NULL, "subscriptions/listen")->msg;
	ck_assert(json_object_get_boolean(P(o,
	    "params.notifications.toolsListChanged")));
	ck_assert_ptr_null(P(o, "params.notifications.resourceSubscriptions"));
	ck_assert_ptr_nonnull(MK(o, "params._meta", MODERN_META_VERSION));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "initialize"), 0);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/initialized"), 0);
	h_clear(&h);

	/* ping and logging/setLevel are the bridge's. */
	ck_assert_int_eq(h_send(&h, s, 2, "{'jsonrpc':'2.0','id':1,"
	    "'method':'ping'}"), MUX_RECV_REPLY);
	ck_assert_ptr_nonnull(P(h_response(&h, s, 2, "1"), "result"));
	ck_assert_int_eq(h_send(&h, s, 2, "{'jsonrpc':'2.0','id':2,"
	    "'method':'logging/setLevel','params':{'level':'warning'}}"),
	    MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);

	/* A request gets the modern _meta from the session. */
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':'r',"
	    "'method':'tools/list','params':{'_meta':{'progressToken':9}}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/list");
	o = h_find(&h, MUX_OUT_CHILD, NULL, "tools/list")->msg;
	ck_assert_str_eq(json_object_get_string(MK(o, "params._meta",
	    MODERN_META_VERSION)), "2026-07-28");
	ck_assert_ptr_nonnull(P(MK(o, "params._meta", MODERN_META_CAPS),
	    "roots"));
	ck_assert_str_eq(PS(MK(o, "params._meta", MODERN_META_INFO), "name"),
	    "legacy");
	ck_assert_str_eq(json_object_get_string(MK(o, "params._meta",
	    MODERN_META_LOGLEVEL)), "warning");
	ck_assert_int_eq(PI(o, "params._meta.progressToken"), cid);
	h_clear(&h);
	/* The result loses what only 2026-07-28 has. */
	h_answer(&h, cid, "{'tools':[],'resultType':'complete','ttlMs':0,"
	    "'cacheScope':'private'}");
	r = h_response(&h, s, 3, "'r'");
	ck_assert_ptr_nonnull(P(r, "result.tools"));
	ck_assert_ptr_null(P(r, "result.resultType"));
	ck_assert_ptr_null(P(r, "result.ttlMs"));
	ck_assert_ptr_null(P(r, "result.cacheScope"));
	h_clear(&h);

	/* Errors as they are; notifications other than cancel dropped. */
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':4,"
	    "'method':'prompts/get','params':{'name':'x'}}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "prompts/get");
	h_clear(&h);
	h_fail(&h, cid, "{'code':-32602,'message':'no such prompt'}");
	ck_assert_int_eq(PI(h_response(&h, s, 3, "4"), "error.code"), -32602);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 0, "{'jsonrpc':'2.0',"
	    "'method':'notifications/roots/list_changed'}"), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);

	/* Tasks are not translated: a clear error. */
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':5,"
	    "'method':'tasks/list'}"), MUX_RECV_REPLY);
	ck_assert_int_eq(PI(h_response(&h, s, 3, "5"), "error.code"), -32601);
	h_clear(&h);

	/* A cancel goes to the child under its id. */
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':6,"
	    "'method':'tools/call','params':{'name':'slow'}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/cancelled','params':{'requestId':6}}"),
	    MUX_RECV_ACCEPTED);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "notifications/cancelled")->msg;
	ck_assert_int_eq(PI(o, "params.requestId"), cid);
	h_clear(&h);
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

START_TEST(test_translate_input)
{
	struct h		 h;
	struct mux_session	*s;
	struct hout		*q;
	json_object		*o, *r;
	int64_t			 cid, cid2, qa = 0, qb = 0;
	size_t			 i;

	h_start_modern(&h);
	s = h_legacy(&h, "{'elicitation':{},'roots':{}}");
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 4, "{'jsonrpc':'2.0','id':'c',"
	    "'method':'tools/call','params':{'name':'deploy','arguments':"
	    "{'env':'prod'},'_meta':{'progressToken':'tok'}}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'a':{'method':'elicitation/create','params':{'message':'sure?',"
	    "'requestedSchema':{'type':'object','properties':{}}}},"
	    "'b':{'method':'roots/list'}},'requestState':'st\\u00001'}");
	/* The questions go to the session, on the request's stream. */
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s, NULL), 2);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	for (i = 0; i < h.n; i++) {
		q = &h.outs[i];
		ck_assert_uint_eq(q->stream, 4);
		ck_assert_int_eq(q->final, 0);
		if (strcmp(jsonrpc_method(q->msg), "elicitation/create") == 0) {
			qa = json_object_get_int64(jsonrpc_id(q->msg));
			ck_assert_str_eq(PS(q->msg, "params.message"), "sure?");
		} else
			qb = json_object_get_int64(jsonrpc_id(q->msg));
	}
	ck_assert_int_gt(qa, 0);
	ck_assert_int_gt(qb, 0);
	h_clear(&h);

	ck_assert_int_eq(h_send(&h, s, 5, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{'roots':[]}}", (long long)qb), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);	/* one still out */
	/* Progress of the request still reaches the client meanwhile. */
	ck_assert_int_eq(h_send(&h, s, 5, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{'action':'accept','content':{}}}", (long long)qa),
	    MUX_RECV_ACCEPTED);
	/* The retry: a new id, the first params, answers and state. */
	cid2 = h_cid(&h, "tools/call");
	ck_assert_int_ne(cid2, cid);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "tools/call")->msg;
	ck_assert_str_eq(PS(o, "params.name"), "deploy");
	ck_assert_str_eq(PS(o, "params.arguments.env"), "prod");
	/* The state as the child gave it, byte for byte (a NUL too). */
	ck_assert_int_eq(json_object_get_string_len(P(o,
	    "params.requestState")), 4);
	ck_assert_mem_eq(PS(o, "params.requestState"), "st\0" "1", 4);
	ck_assert_str_eq(PS(o, "params.inputResponses.a.action"), "accept");
	ck_assert_ptr_nonnull(P(o, "params.inputResponses.b.roots"));
	ck_assert_ptr_nonnull(MK(o, "params._meta", MODERN_META_VERSION));
	ck_assert_int_eq(PI(o, "params._meta.progressToken"), cid);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':1}}", (long long)cid);
	ck_assert_str_eq(PS(h_one(&h, s, "notifications/progress", 4, 0),
	    "params.progressToken"), "tok");
	h_clear(&h);
	h_answer(&h, cid2, "{'content':[{'type':'text','text':'done'}],"
	    "'resultType':'complete'}");
	r = h_response(&h, s, 4, "'c'");
	ck_assert_str_eq(PS(json_object_array_get_idx(P(r, "result.content"),
	    0), "text"), "done");
	ck_assert_ptr_null(P(r, "result.resultType"));
	h_clear(&h);

	/* A question the session cannot answer: -32021, nothing asked. */
	ck_assert_int_eq(h_send(&h, s, 6, "{'jsonrpc':'2.0','id':7,"
	    "'method':'prompts/get','params':{'name':'p'}}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "prompts/get");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'s':{'method':'sampling/createMessage','params':{}}}}");
	r = h_response(&h, s, 6, "7");
	ck_assert_int_eq(PI(r, "error.code"), MCP_ERROR_MISSING_CAPABILITY);
	ck_assert_ptr_nonnull(P(r, "error.data.requiredCapabilities.sampling"));
	h_clear(&h);

	/* A question answered with an error fails the request. */
	ck_assert_int_eq(h_send(&h, s, 7, "{'jsonrpc':'2.0','id':8,"
	    "'method':'resources/read','params':{'uri':'x://y'}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "resources/read");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'e':{'method':'elicitation/create','params':{'message':'m'}}}}");
	qa = json_object_get_int64(jsonrpc_id(h_one(&h, s,
	    "elicitation/create", 7, 0)));
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 8, "{'jsonrpc':'2.0','id':%lld,"
	    "'error':{'code':-1,'message':'user said no'}}", (long long)qa),
	    MUX_RECV_ACCEPTED);
	r = h_response(&h, s, 7, "8");
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"), "user said no"));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);

	/* A URL-mode elicitation gets the elicitationId legacy wants. */
	ck_assert_int_eq(h_send(&h, s, 9, "{'jsonrpc':'2.0','id':11,"
	    "'method':'tools/call','params':{'name':'url'}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'u':{'method':'elicitation/create','params':{'mode':'url',"
	    "'message':'log in','url':'https://example.com/'}}}}");
	ck_assert_int_eq(PI(h_response(&h, s, 9, "11"), "error.code"),
	    MCP_ERROR_MISSING_CAPABILITY);	/* elicitation {} is form only */
	h_clear(&h);
	mux_session_close(h.m, s);
	h_drain(&h);
	h_clear(&h);
	s = h_legacy(&h, "{'elicitation':{'form':{},'url':{}}}");
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 9, "{'jsonrpc':'2.0','id':12,"
	    "'method':'tools/call','params':{'name':'url'}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'u':{'method':'elicitation/create','params':{'mode':'url',"
	    "'message':'log in','url':'https://example.com/'}}}}");
	r = h_one(&h, s, "elicitation/create", 9, 0);
	ck_assert_str_eq(PS(r, "params.url"), "https://example.com/");
	ck_assert_ptr_nonnull(strstr(PS(r, "params.elicitationId"),
	    "mcpbridge-"));
	h_clear(&h);

	/* The client cancels its request while asked: the question is
	 * withdrawn from it too. */
	ck_assert_int_eq(h_send(&h, s, 9, "{'jsonrpc':'2.0','id':10,"
	    "'method':'tools/call','params':{'name':'ask'}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'e':{'method':'elicitation/create','params':{'message':'m'}}}}");
	qa = json_object_get_int64(jsonrpc_id(h_one(&h, s,
	    "elicitation/create", 9, 0)));
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/cancelled','params':{'requestId':10}}"),
	    MUX_RECV_ACCEPTED);
	r = h_one(&h, s, "notifications/cancelled", 9, 0);
	ck_assert_int_eq(PI(r, "params.requestId"), qa);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 5, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{'action':'accept','content':{}}}", (long long)qa),
	    MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);	/* late: nobody waits */

	/* The session leaves while asked: nothing goes to the child for the
	 * questions (the child asked nothing itself). */
	ck_assert_int_eq(h_send(&h, s, 9, "{'jsonrpc':'2.0','id':9,"
	    "'method':'tools/call','params':{'name':'again'}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'e':{'method':'elicitation/create','params':{'message':'m'}}}}");
	h_clear(&h);
	mux_session_close(h.m, s);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, ""), 0);
	h_fini(&h);
}
END_TEST

/* The span hooks' calls, for test_translate_spans. */
struct spans {
	int		 child, server;
	uint64_t	 cid;
	char		 id[32];	/* the client's id the hook got */
	struct tracectx	 ctx;		/* the last one given */
};

static void
spans_note(struct spans *sp, json_object *id, struct tracectx *ctx)
{
	snprintf(sp->id, sizeof sp->id, "%s", id == NULL ? "" :
	    json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
	tracectx_new_trace(&sp->ctx, 1);
	*ctx = sp->ctx;
}

static int
spans_child(void *arg, struct mux_session *s, json_object *msg,
    uint64_t cid, struct tracectx *ctx)
{
	struct spans	*sp = arg;

	sp->child++;
	sp->cid = cid;
	spans_note(sp, jsonrpc_id(msg), ctx);
	return 0;
}

static int
spans_server(void *arg, struct mux_session *s, json_object *msg,
    uint64_t bid, json_object *cause, struct tracectx *ctx)
{
	struct spans	*sp = arg;

	sp->server++;
	spans_note(sp, cause, ctx);
	return 0;
}

/*
 * A legacy client in front of a 2026-07-28 child, with the span hooks:
 * the questions of an input_required result are the request's (its
 * client id the cause) and carry the hook's context; the retry the
 * bridge sends the child is a round trip of its own, with its own
 * context in _meta, not the client's.
 */
START_TEST(test_translate_spans)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*s;
	struct spans		 sp;
	json_object		*o, *q;
	char			 tp[TRACECTX_TRACEPARENT_LEN + 1];
	int64_t			 cid, cid2, bid;

	memset(&sp, 0, sizeof sp);
	memset(&cfg, 0, sizeof cfg);
	cfg.child_era = MUX_CHILD_ERA_AUTO;
	cfg.probe_timeout_ms = 500;
	cfg.span_child = spans_child;
	cfg.span_server = spans_server;
	cfg.span_arg = &sp;
	h_init(&h, &cfg);
	cid = h_probe(&h);
	h_answer(&h, cid, "%s", discover_result);
	s = h_legacy(&h, "{'elicitation':{}}");
	h_clear(&h);
	sp.child = 0;
	ck_assert_int_eq(h_send(&h, s, 4, "{'jsonrpc':'2.0','id':'c',"
	    "'method':'tools/call','params':{'name':'deploy','_meta':{"
	    "'traceparent':'00-0af7651916cd43dd8448eb211c80319c-"
	    "b7ad6b7169203331-01'}}}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	ck_assert_int_eq(sp.child, 1);
	ck_assert_uint_eq(sp.cid, (uint64_t)cid);
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'a':{'method':'elicitation/create','params':{'message':'sure?',"
	    "'requestedSchema':{'type':'object','properties':{}}}}},"
	    "'requestState':'st'}");
	ck_assert_int_eq(sp.server, 1);
	ck_assert_str_eq(sp.id, "\"c\"");
	q = h_find(&h, MUX_OUT_SESSION, s, "elicitation/create")->msg;
	tracectx_format_traceparent(&sp.ctx, tp);
	ck_assert_str_eq(PS(q, "params._meta.traceparent"), tp);
	ck_assert_str_eq(PS(q, "params.message"), "sure?");
	bid = json_object_get_int64(jsonrpc_id(q));
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 5, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{'action':'accept','content':{}}}", (long long)bid),
	    MUX_RECV_ACCEPTED);
	cid2 = h_cid(&h, "tools/call");
	ck_assert_int_ne(cid2, cid);
	ck_assert_int_eq(sp.child, 2);
	ck_assert_uint_eq(sp.cid, (uint64_t)cid2);
	ck_assert_str_eq(sp.id, "\"c\"");
	o = h_find(&h, MUX_OUT_CHILD, NULL, "tools/call")->msg;
	tracectx_format_traceparent(&sp.ctx, tp);
	ck_assert_str_eq(PS(o, "params._meta.traceparent"), tp);
	ck_assert_str_eq(PS(o, "params.requestState"), "st");
	ck_assert_str_eq(PS(o, "params.inputResponses.a.action"), "accept");
	h_fini(&h);
}
END_TEST

START_TEST(test_translate_refused)
{
	struct h		 h;
	struct mux_session	*s;
	struct hout		*q;
	json_object		*r;
	int64_t			 cid, qa = 0, qb = 0;
	size_t			 i;

	/* Found by fuzz_mux: the session refuses one of two questions; the
	 * request fails, and only the other question is cancelled (not the
	 * one it just answered). */
	h_start_modern(&h);
	s = h_legacy(&h, "{'elicitation':{},'roots':{}}");
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 4, "{'jsonrpc':'2.0','id':'c',"
	    "'method':'tools/call','params':{'name':'deploy'}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'a':{'method':'elicitation/create','params':{'message':'sure?',"
	    "'requestedSchema':{'type':'object','properties':{}}}},"
	    "'b':{'method':'roots/list'}},'requestState':'st-1'}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s, NULL), 2);
	for (i = 0; i < h.n; i++) {
		q = &h.outs[i];
		if (strcmp(jsonrpc_method(q->msg), "elicitation/create") == 0)
			qa = json_object_get_int64(jsonrpc_id(q->msg));
		else
			qb = json_object_get_int64(jsonrpc_id(q->msg));
	}
	h_clear(&h);
	/* Found by fuzz_mux too: the child's same answer again asks
	 * nothing more. */
	h_answer(&h, cid, "{'resultType':'input_required','inputRequests':{"
	    "'a':{'method':'elicitation/create','params':{'message':'sure?',"
	    "'requestedSchema':{'type':'object','properties':{}}}},"
	    "'b':{'method':'roots/list'}},'requestState':'st-1'}");
	ck_assert_uint_eq(h.n, 0);
	ck_assert_int_eq(h_send(&h, s, 5, "{'jsonrpc':'2.0','id':%lld,"
	    "'error':{'code':-1,'message':'no'}}", (long long)qa),
	    MUX_RECV_ACCEPTED);
	r = h_response(&h, s, 4, "'c'");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INTERNAL_ERROR);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s,
	    "notifications/cancelled"), 1);
	ck_assert_int_eq(PI(h_one(&h, s, "notifications/cancelled", 4, 0),
	    "params.requestId"), qb);
	h_clear(&h);
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

START_TEST(test_translate_rounds)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*r;
	int64_t			 cid, q;
	int			 i;

	/* A child that keeps asking is stopped after a bound. */
	h_start_modern(&h);
	s = h_legacy(&h, "{'elicitation':{}}");
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/call','params':{'name':'greedy'}}"),
	    MUX_RECV_REPLY);
	for (i = 0; i < 20; i++) {
		cid = h_cid(&h, "tools/call");
		h_clear(&h);
		h_answer(&h, cid, "{'resultType':'input_required',"
		    "'inputRequests':{'e':{'method':'elicitation/create',"
		    "'params':{'message':'more?'}}}}");
		if (h_count(&h, MUX_OUT_SESSION, s, "elicitation/create") == 0)
			break;
		q = json_object_get_int64(jsonrpc_id(h_find(&h,
		    MUX_OUT_SESSION, s, "elicitation/create")->msg));
		h_clear(&h);
		ck_assert_int_eq(h_send(&h, s, 2, "{'jsonrpc':'2.0','id':%lld,"
		    "'result':{'action':'accept','content':{}}}",
		    (long long)q), MUX_RECV_ACCEPTED);
	}
	ck_assert_int_eq(i, 8);
	r = h_response(&h, s, 1, "1");
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"), "too many"));
	h_clear(&h);

	/* requestState alone: retried at once. */
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':2,"
	    "'method':'tools/call','params':{'name':'stateful'}}"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'resultType':'input_required','requestState':'s'}");
	r = h_find(&h, MUX_OUT_CHILD, NULL, "tools/call")->msg;
	ck_assert_str_eq(PS(r, "params.requestState"), "s");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s, NULL), 0);
	h_clear(&h);
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

START_TEST(test_translate_subscribe)
{
	struct h		 h;
	struct mux_session	*s, *s2;
	json_object		*o, *uris;
	int64_t			 l1, l2, l3;

	h_start_modern(&h);
	s = h_legacy(&h, "{}");
	l1 = h_cid(&h, "subscriptions/listen");
	h_clear(&h);
	s2 = h_legacy(&h, "{}");
	/* One listen of the bridge's own serves all legacy sessions. */
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);

	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'resources/subscribe','params':{'uri':'file:///a'}}"),
	    MUX_RECV_REPLY);
	/* The old listen is cancelled, a new one names the URI. */
	o = h_find(&h, MUX_OUT_CHILD, NULL, "notifications/cancelled")->msg;
	ck_assert_int_eq(PI(o, "params.requestId"), l1);
	l2 = h_cid(&h, "subscriptions/listen");
	o = h_find(&h, MUX_OUT_CHILD, NULL, "subscriptions/listen")->msg;
	uris = P(o, "params.notifications.resourceSubscriptions");
	ck_assert_uint_eq(json_object_array_length(uris), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(uris,
	    0)), "file:///a");
	ck_assert_ptr_nonnull(P(h_response(&h, s, 1, "1"), "result"));
	h_clear(&h);
	/* A second subscriber changes nothing at the child. */
	ck_assert_int_eq(h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'resources/subscribe','params':{'uri':'file:///a'}}"),
	    MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);

	/* The child's tagged notifications reach legacy sessions untagged. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/"
	    "subscriptions/acknowledged','params':{'notifications':{},"
	    "'_meta':{'%s':%lld}}}", MODERN_META_SUBSCRIPTION, (long long)l2);
	ck_assert_uint_eq(h.n, 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/resources/"
	    "updated','params':{'uri':'file:///a','_meta':{'%s':%lld}}}",
	    MODERN_META_SUBSCRIPTION, (long long)l2);
	o = h_one(&h, s, "notifications/resources/updated", 0, 0);
	ck_assert_ptr_null(P(o, "params._meta"));
	(void)h_one(&h, s2, "notifications/resources/updated", 0, 0);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/tools/"
	    "list_changed','params':{'_meta':{'%s':%lld}}}",
	    MODERN_META_SUBSCRIPTION, (long long)l2);
	(void)h_one(&h, s, "notifications/tools/list_changed", 0, 0);
	(void)h_one(&h, s2, "notifications/tools/list_changed", 0, 0);
	h_clear(&h);
	/* Tagged with the replaced listen: dropped. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/tools/"
	    "list_changed','params':{'_meta':{'%s':%lld}}}",
	    MODERN_META_SUBSCRIPTION, (long long)l1);
	ck_assert_uint_eq(h.n, 0);

	/* The last subscriber leaving: a listen without the URI. */
	mux_session_close(h.m, s);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "subscriptions/listen"), 0);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':2,"
	    "'method':'resources/unsubscribe','params':{'uri':'file:///a'}}"),
	    MUX_RECV_REPLY);
	l3 = h_cid(&h, "subscriptions/listen");
	ck_assert_int_ne(l3, l2);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "subscriptions/listen")->msg;
	ck_assert_ptr_null(P(o, "params.notifications.resourceSubscriptions"));
	h_clear(&h);
	/* The child ends the bridge's listen: the legacy sessions still want
	 * the lists, so it is opened again after a pause. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/"
	    "cancelled','params':{'requestId':%lld}}", (long long)l3);
	ck_assert_uint_eq(h.n, 0);
	mux_tick(h.m, 500);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_tick(h.m, 1100);
	h_drain(&h);
	ck_assert_int_ne(h_cid(&h, "subscriptions/listen"), l3);
	h_clear(&h);
	mux_session_close(h.m, s2);
	h_fini(&h);
}
END_TEST

START_TEST(test_translate_batch)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*r;
	int64_t			 cid;

	/* A batch of a ping and a request: one array when both are done. */
	h_start_modern(&h);
	s = h_legacy(&h, "{}");
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s, 1, "[{'jsonrpc':'2.0','id':1,"
	    "'method':'ping'},{'jsonrpc':'2.0','id':2,'method':'tools/list'}]"),
	    MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/list");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, s, NULL), 0);
	h_clear(&h);
	h_answer(&h, cid, "{'tools':[],'resultType':'complete'}");
	r = h_one(&h, s, "", 1, 1);
	ck_assert_uint_eq(json_object_array_length(r), 2);
	ck_assert_ptr_null(P(json_object_array_get_idx(r, 1),
	    "result.resultType"));
	h_clear(&h);
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

/* The child's tools/list answers teach which arguments go in Mcp-Param-*
 * headers; a list change or a restart forgets them. */
START_TEST(test_tool_headers)
{
	struct h		 h;
	struct mux_session	*s;
	int64_t			 cid;

	h_init(&h, NULL);
	h_start(&h);
	s = h_session(&h, "{}");
	ck_assert_ptr_null(mux_tool_headers(h.m, "region"));
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/list'}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/list");
	h_clear(&h);
	h_answer(&h, cid, "{'tools':[{'name':'region','inputSchema':{"
	    "'type':'object','properties':{'region':{'type':'string',"
	    "'x-mcp-header':'Region'}}}},{'name':'plain','inputSchema':{"
	    "'type':'object'}},{'name':'bad','inputSchema':{'type':'object',"
	    "'x-mcp-header':'Root'}}]}");
	h_clear(&h);
	ck_assert_str_eq(S(mux_tool_headers(h.m, "region")),
	    "[{\"name\":\"Region\",\"path\":[\"region\"]}]");
	ck_assert_str_eq(S(mux_tool_headers(h.m, "plain")), "[]");
	ck_assert_ptr_null(mux_tool_headers(h.m, "bad"));
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/tools/list_changed'}");
	h_clear(&h);
	ck_assert_ptr_null(mux_tool_headers(h.m, "region"));
	mux_session_close(h.m, s);
	h_fini(&h);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*su;
	TCase	*tc;

	su = suite_create("mux_modern");
	tc = tcase_create("probe");
	tcase_add_test(tc, test_probe_legacy_default);
	tcase_add_test(tc, test_probe_modern);
	tcase_add_test(tc, test_probe_error_is_legacy);
	tcase_add_test(tc, test_probe_timeout);
	tcase_add_test(tc, test_probe_modern_error);
	tcase_add_test(tc, test_probe_restart);
	tcase_add_test(tc, test_probe_assume_modern);
	suite_add_tcase(su, tc);
	tc = tcase_create("passthrough");
	tcase_add_test(tc, test_passthrough);
	tcase_add_test(tc, test_passthrough_instance);
	tcase_add_test(tc, test_tool_filter_modern);
	tcase_add_test(tc, test_passthrough_cancel);
	tcase_add_test(tc, test_passthrough_listen);
	tcase_add_test(tc, test_passthrough_listen_timeout);
	tcase_add_test(tc, test_passthrough_log);
	tcase_add_test(tc, test_modern_child_requests);
	suite_add_tcase(su, tc);
	tc = tcase_create("translate");
	tcase_add_test(tc, test_translate);
	tcase_add_test(tc, test_translate_input);
	tcase_add_test(tc, test_translate_spans);
	tcase_add_test(tc, test_translate_rounds);
	tcase_add_test(tc, test_translate_refused);
	tcase_add_test(tc, test_translate_subscribe);
	tcase_add_test(tc, test_translate_batch);
	suite_add_tcase(su, tc);
	tc = tcase_create("headers");
	tcase_add_test(tc, test_tool_headers);
	suite_add_tcase(su, tc);
	return su;
}
