/* SPDX-License-Identifier: ISC */
/*
 * check_mux.c: the multiplexer, driven directly (no sockets, no processes).
 *
 * The harness (muxtest.h) collects every out after each call; the fake
 * child is the test itself, answering what it finds in the MUX_OUT_CHILD
 * outs.
 */
#include "config.h"

#include <stdarg.h>
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

/* ---- handshake ---------------------------------------------------------- */

START_TEST(test_handshake)
{
	struct h		 h;
	struct mux_session	*s, *s2;
	json_object		*r, *caps;
	int64_t			 cid;
	const char		*asks[][2] = {
		{ "2025-06-18", "2025-06-18" },
		{ "2024-11-05", "2024-11-05" },
		{ "2026-07-28", "2025-11-25" },	/* newer than the child */
		{ "1999-01-01", "2025-11-25" },	/* unknown */
	};
	size_t			 i;

	h_init(&h, NULL);
	ck_assert(!mux_ready(h.m));
	ck_assert_ptr_null(mux_child_info(h.m));

	/* Client traffic before the child is ready waits. */
	s = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, &h);
	ck_assert_ptr_eq(mux_session_data(s), &h);
	ck_assert_int_eq(mux_session_transport(s), MUX_TRANSPORT_STREAMABLE);
	ck_assert_ptr_null(mux_session_version(s));
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':'init',"
	    "'method':'initialize','params':{'protocolVersion':'2025-06-18',"
	    "'capabilities':{'sampling':{}},'clientInfo':{'name':'c1',"
	    "'version':'2'}}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 0);

	mux_child_up(h.m, NULL);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	cid = h_cid(&h, "initialize");
	r = h.outs[0].msg;
	ck_assert_ptr_null(h.outs[0].s);
	ck_assert_str_eq(PS(r, "params.protocolVersion"), "2025-11-25");
	ck_assert_str_eq(PS(r, "params.clientInfo.name"), "mcpbridge");
	ck_assert_ptr_nonnull(PS(r, "params.clientInfo.version"));
	caps = J("{'sampling':{},'elicitation':{},"
	    "'roots':{'listChanged':true}}");
	ck_assert_msg(json_object_equal(P(r, "params.capabilities"), caps),
	    "%s", S(P(r, "params.capabilities")));
	json_object_put(caps);
	h_clear(&h);

	h_answer(&h, cid, "%s", child_init_result);
	ck_assert(mux_ready(h.m));
	ck_assert_ptr_nonnull(mux_child_info(h.m));
	/* initialized goes to the child before any client traffic. */
	ck_assert_uint_eq(h.n, 2);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_str_eq(jsonrpc_method(h.outs[0].msg),
	    "notifications/initialized");
	r = h_response(&h, s, 3, "'init'");
	ck_assert_str_eq(PS(r, "result.protocolVersion"), "2025-06-18");
	ck_assert_str_eq(PS(r, "result.serverInfo.name"), "fake");
	ck_assert_str_eq(PS(r, "result.instructions"), "be nice");
	ck_assert(json_object_equal(P(r, "result.capabilities"),
	    P(mux_child_info(h.m), "capabilities")));
	ck_assert(mux_session_initialized(s));
	ck_assert_str_eq(mux_session_version(s), "2025-06-18");
	h_clear(&h);

	/* The client's initialized stays in the bridge. */
	ck_assert_int_eq(h_send(&h, s, 0, "{'jsonrpc':'2.0',"
	    "'method':'notifications/initialized'}"), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);

	/* A second initialize is refused. */
	ck_assert_int_eq(h_send(&h, s, 4, "{'jsonrpc':'2.0','id':1,"
	    "'method':'initialize','params':{}}"), MUX_RECV_REPLY);
	r = h_response(&h, s, 4, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_REQUEST);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);

	/* Client pings reach the child; the child's stay in the bridge. */
	ck_assert_int_eq(h_send(&h, s, 5, "{'jsonrpc':'2.0','id':'p',"
	    "'method':'ping'}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "ping");
	h_clear(&h);
	h_answer(&h, cid, "{}");
	r = h_response(&h, s, 5, "'p'");
	ck_assert_str_eq(S(P(r, "result")), "{}");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'cp','method':'ping'}");
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_str_eq(S(h.outs[0].msg),
	    "{\"jsonrpc\":\"2.0\",\"id\":\"cp\",\"result\":{}}");
	h_clear(&h);

	/* Version negotiation. */
	for (i = 0; i < sizeof asks / sizeof asks[0]; i++) {
		s2 = mux_session_new(h.m, MUX_TRANSPORT_SSE, NULL);
		h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':1,'method':"
		    "'initialize','params':{'protocolVersion':'%s',"
		    "'capabilities':{},'clientInfo':{'name':'x',"
		    "'version':'1'}}}",
		    asks[i][0]);
		r = h_response(&h, s2, 1, "1");
		ck_assert_str_eq(PS(r, "result.protocolVersion"), asks[i][1]);
		ck_assert_str_eq(mux_session_version(s2), asks[i][1]);
		h_clear(&h);
		mux_session_close(h.m, s2);
	}
	h_fini(&h);
}
END_TEST

START_TEST(test_handshake_old_child)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*s;
	json_object		*caps, *r;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	caps = J("{'roots':{}}");
	cfg.client_capabilities = caps;
	cfg.client_name = "bridge-x";
	cfg.client_version = "9.9";
	h_init(&h, &cfg);
	json_object_put(caps);		/* the mux keeps what it needs */

	mux_child_up(h.m, NULL);
	h_drain(&h);
	r = h.outs[0].msg;
	ck_assert_str_eq(PS(r, "params.clientInfo.name"), "bridge-x");
	ck_assert_str_eq(PS(r, "params.clientInfo.version"), "9.9");
	ck_assert_str_eq(S(P(r, "params.capabilities")), "{\"roots\":{}}");
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	h_answer(&h, cid, "{'protocolVersion':'2025-03-26','capabilities':{},"
	    "'serverInfo':{'name':'old','version':'0'}}");
	h_clear(&h);

	s = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,'method':'initialize',"
	    "'params':{'protocolVersion':'2025-11-25','capabilities':{}}}");
	r = h_response(&h, s, 1, "1");
	ck_assert_str_eq(PS(r, "result.protocolVersion"), "2025-03-26");
	ck_assert_ptr_null(P(r, "result.instructions"));
	h_clear(&h);
	mux_session_close(h.m, s);

	s = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,'method':'initialize',"
	    "'params':{'protocolVersion':'2024-11-05','capabilities':{}}}");
	r = h_response(&h, s, 1, "1");
	ck_assert_str_eq(PS(r, "result.protocolVersion"), "2024-11-05");
	h_fini(&h);
}
END_TEST

START_TEST(test_init_timeout)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*s1, *s2;
	json_object		*r;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	cfg.init_timeout_ms = 5000;
	h_init(&h, &cfg);
	mux_tick(h.m, 1000);
	s1 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	s2 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(&h, s1, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'initialize','params':{}}"), MUX_RECV_REPLY);
	mux_tick(h.m, 2000);
	ck_assert_int_eq(h_send(&h, s2, 2, "{'jsonrpc':'2.0','id':2,"
	    "'method':'ping'}"), MUX_RECV_REPLY);
	ck_assert_int_eq(h_send(&h, s2, 0, "{'jsonrpc':'2.0',"
	    "'method':'notifications/x'}"), MUX_RECV_ACCEPTED);
	mux_child_up(h.m, NULL);	/* never answers */
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);

	mux_tick(h.m, 5999);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_tick(h.m, 6000);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, s1, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	h_clear(&h);
	mux_tick(h.m, 7000);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, s2, 2, "2");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	h_clear(&h);

	/* Late, but the child still comes up: new traffic is served. */
	h_answer(&h, cid, "%s", child_init_result);
	ck_assert(mux_ready(h.m));
	ck_assert_uint_eq(h.n, 1);	/* notifications/initialized only */
	h_clear(&h);
	h_send(&h, s1, 3, "{'jsonrpc':'2.0','id':1,'method':'initialize',"
	    "'params':{'protocolVersion':'2025-11-25'}}");
	r = h_response(&h, s1, 3, "1");
	ck_assert_str_eq(PS(r, "result.protocolVersion"), "2025-11-25");
	h_fini(&h);
}
END_TEST

/*
 * A child that never finishes its handshake is named, at warn level, once
 * per start, --init-timeout after it came up (issue 17).
 */
START_TEST(test_init_timeout_named)
{
	static const char *const line = "warn: child 'my-server' did not "
	    "answer initialize within 5s (--init-timeout): is it an MCP "
	    "server on stdio?";
	struct h		 h;
	struct mux_config	 cfg;
	char			*log;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	cfg.init_timeout_ms = 5000;
	cfg.child_name = "my-server";
	h_init(&h, &cfg);
	h_log_start(LOG_LEVEL_INFO);
	mux_tick(h.m, 1000);
	mux_child_up(h.m, NULL);	/* never answers */
	h_drain(&h);
	h_clear(&h);
	mux_tick(h.m, 5999);
	log = h_log_end();
	ck_assert_msg(strstr(log, "did not answer") == NULL, "%s", log);
	free(log);

	h_log_start(LOG_LEVEL_INFO);
	mux_tick(h.m, 6000);
	mux_tick(h.m, 20000);
	mux_tick(h.m, 60000);
	log = h_log_end();
	ck_assert_msg(h_occurs(log, line) == 1, "%s", log);
	free(log);

	/* Restarted: told again, once, timed from the new start. */
	h_log_start(LOG_LEVEL_INFO);
	mux_child_down(h.m, NULL, "exited with status 1");
	mux_tick(h.m, 61000);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	mux_tick(h.m, 65999);
	ck_assert_uint_eq(h_occurs(log = h_log_end(), line), 0);
	free(log);
	h_log_start(LOG_LEVEL_INFO);
	mux_tick(h.m, 66000);
	mux_tick(h.m, 70000);
	ck_assert_uint_eq(h_occurs(log = h_log_end(), line), 1);
	free(log);

	/* Answered late: it serves, and nothing more is said. */
	h_answer(&h, cid, "%s", child_init_result);
	ck_assert(mux_ready(h.m));
	h_clear(&h);

	/* A child that answers in time is not named. */
	h_log_start(LOG_LEVEL_INFO);
	mux_child_down(h.m, NULL, "exited with status 1");
	mux_tick(h.m, 80000);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	mux_tick(h.m, 84000);
	h_answer(&h, cid, "%s", child_init_result);
	mux_tick(h.m, 90000);
	log = h_log_end();
	ck_assert_msg(strstr(log, "did not answer") == NULL, "%s", log);
	free(log);
	h_fini(&h);

	/* Unnamed, with the default timeout. */
	h_init(&h, NULL);
	h_log_start(LOG_LEVEL_WARN);
	mux_tick(h.m, 1);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	h_clear(&h);
	mux_tick(h.m, 1 + MUX_DEFAULT_INIT_TIMEOUT_MS);
	log = h_log_end();
	ck_assert_msg(h_occurs(log, "warn: the child did not answer "
	    "initialize within 30s (--init-timeout)") == 1, "%s", log);
	free(log);
	h_fini(&h);
}
END_TEST

/* The same for a session's own child, which the client initializes. */
START_TEST(test_init_timeout_named_isolation)
{
	static const char *const line = "warn: child 'my-server' did not "
	    "answer initialize within 5s (--init-timeout): is it an MCP "
	    "server on stdio?";
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*s1, *s2;
	char			*log;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	cfg.isolation = MUX_ISOLATION_SESSION;
	cfg.init_timeout_ms = 5000;
	cfg.child_name = "my-server";
	h_init(&h, &cfg);
	mux_tick(h.m, 1000);
	s1 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	s2 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	h_send(&h, s1, 1, "{'jsonrpc':'2.0','id':1,'method':'initialize',"
	    "'params':{}}");
	h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':1,'method':'initialize',"
	    "'params':{}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD_START, NULL, NULL), 2);
	h_clear(&h);
	h_log_start(LOG_LEVEL_INFO);
	mux_child_up(h.m, s1);		/* never answers */
	mux_child_up(h.m, s2);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, s1, "initialize"), 1);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, s2, "initialize"), 1);
	cid = PI(h_find(&h, MUX_OUT_CHILD, s2, "initialize")->msg, "id");
	h_clear(&h);
	mux_tick(h.m, 3000);
	h_answer_s(&h, s2, cid, "%s", child_init_result);
	h_response(&h, s2, 1, "1");
	h_clear(&h);
	mux_tick(h.m, 5999);
	log = h_log_end();
	ck_assert_msg(strstr(log, "did not answer") == NULL, "%s", log);
	free(log);
	h_log_start(LOG_LEVEL_INFO);
	mux_tick(h.m, 6000);
	mux_tick(h.m, 20000);
	log = h_log_end();
	ck_assert_msg(h_occurs(log, line) == 1, "%s", log);
	free(log);
	h_fini(&h);
}
END_TEST

START_TEST(test_init_error)
{
	struct h		 h;
	struct mux_session	*s1, *s2;
	json_object		*r;
	int64_t			 cid;

	h_init(&h, NULL);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	s1 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	h_send(&h, s1, 1, "{'jsonrpc':'2.0','id':1,'method':'initialize',"
	    "'params':{}}");
	ck_assert_uint_eq(h.n, 0);
	h_fail(&h, cid, "{'code':-32602,'message':'Unsupported version'}");
	ck_assert(!mux_ready(h.m));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	r = h_response(&h, s1, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"),
	    "Unsupported version"));
	h_clear(&h);

	/* Still not ready: answered at once, not queued. */
	s2 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'initialize','params':{}}"), MUX_RECV_REPLY);
	r = h_response(&h, s2, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	h_clear(&h);

	/* A restarted child gets another chance. */
	mux_child_down(h.m, NULL, "exited with status 1");
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	h_start(&h);
	h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':1,'method':'initialize',"
	    "'params':{}}");
	r = h_response(&h, s2, 1, "1");
	ck_assert_ptr_nonnull(P(r, "result"));
	h_fini(&h);
}
END_TEST

START_TEST(test_not_initialized)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*r;
	int64_t			 cid;

	h_init(&h, NULL);
	h_start(&h);
	s = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert(!mux_session_initialized(s));
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'tools/list'}"), MUX_RECV_REPLY);
	r = h_response(&h, s, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_REQUEST);
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"),
	    "not initialized"));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);

	/* Notifications before initialize are dropped. */
	ck_assert_int_eq(h_send(&h, s, 0, "{'jsonrpc':'2.0',"
	    "'method':'notifications/roots/list_changed'}"), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);

	/* ping is allowed before initialize. */
	ck_assert_int_eq(h_send(&h, s, 2, "{'jsonrpc':'2.0','id':2,"
	    "'method':'ping'}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "ping");
	h_clear(&h);
	h_answer(&h, cid, "{}");
	h_response(&h, s, 2, "2");
	h_fini(&h);
}
END_TEST

START_TEST(test_invalid)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*r;
	const char		*bad[] = {
		"{'jsonrpc':'2.0'}",
		"[]",
		"5",
		"{'jsonrpc':'2.0','id':null,'method':'x'}",
		"{'jsonrpc':'1.0','id':1,'method':'x'}",
		("{'jsonrpc':'2.0','id':1,'result':{},'error':{'code':1,"
		    "'message':'m'}}"),
	};
	size_t			 i;

	h_init(&h, NULL);
	h_start(&h);
	s = h_session(&h, "{}");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(h_send(&h, s, 9, "%s", bad[i]),
		    MUX_RECV_INVALID);
		ck_assert_uint_eq(h.n, 1);
		r = h_one(&h, s, "", 9, 1);
		ck_assert(json_object_is_type(P(r, "error"), json_type_object));
		ck_assert_ptr_null(jsonrpc_id(r));
		ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_REQUEST);
		h_clear(&h);
	}
	ck_assert_int_eq(mux_session_recv(h.m, s, NULL, 9), MUX_RECV_INVALID);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	h_fini(&h);
}
END_TEST

/* ---- ids ----------------------------------------------------------------- */

START_TEST(test_two_sessions_same_ids)
{
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 a1, as1, b1;
	json_object		*r;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	a1 = h_call(&h, a, 10, "1");
	as1 = h_call(&h, a, 11, "'1'");
	b1 = h_call(&h, b, 20, "1");
	ck_assert(a1 != as1 && a1 != b1 && as1 != b1);

	/* Reversed answers. */
	h_answer(&h, b1, "{'cid':%lld}", (long long)b1);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, b, 20, "1");
	ck_assert_int_eq(PI(r, "result.cid"), b1);
	h_clear(&h);
	h_answer(&h, as1, "{'cid':%lld}", (long long)as1);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, a, 11, "'1'");
	ck_assert_int_eq(PI(r, "result.cid"), as1);
	h_clear(&h);
	h_answer(&h, a1, "{'cid':%lld}", (long long)a1);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, a, 10, "1");
	ck_assert_int_eq(PI(r, "result.cid"), a1);
	h_clear(&h);

	/* Answered twice: the second is dropped. */
	h_answer(&h, a1, "{}");
	ck_assert_uint_eq(h.n, 0);
	/* Never issued: dropped too. */
	h_answer(&h, 1LL << 52, "{}");
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'1','result':{}}");
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

START_TEST(test_many_sessions_same_ids)
{
	struct h		 h;
	struct mux_session	*s[10];
	int64_t			 cid[10][5];
	json_object		*r;
	char			 id[16];
	int			 i, j;

	h_init(&h, NULL);
	h_start(&h);
	for (i = 0; i < 10; i++)
		s[i] = h_session(&h, "{}");
	/* Interleaved: every session's id j before anyone's j + 1. */
	for (j = 0; j < 5; j++) {
		for (i = 0; i < 10; i++) {
			snprintf(id, sizeof id, "%d", j);
			cid[i][j] = h_call(&h, s[i], (uint64_t)(i * 10 + j + 1),
			    id);
		}
	}
	/* Answered in the reverse order. */
	for (j = 4; j >= 0; j--) {
		for (i = 9; i >= 0; i--) {
			h_answer(&h, cid[i][j], "{'s':%d,'j':%d}", i, j);
			ck_assert_uint_eq(h.n, 1);
			snprintf(id, sizeof id, "%d", j);
			r = h_response(&h, s[i], (uint64_t)(i * 10 + j + 1),
			    id);
			ck_assert_int_eq(PI(r, "result.s"), i);
			ck_assert_int_eq(PI(r, "result.j"), j);
			h_clear(&h);
		}
	}
	h_fini(&h);
}
END_TEST

START_TEST(test_id_types)
{
	struct h		 h;
	struct mux_session	*a;
	const char		*ids[] = {
		"'abc'", "0", "9007199254740991", "-3", "'1'", "1", "''",
		"'9007199254740991'", "18446744073709551615",
		/* json-c: same int64 as the one above */
		"9223372036854775807",
	};
	int64_t			 cid[sizeof ids / sizeof ids[0]];
	size_t			 i, j;
	json_object		*r;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		cid[i] = h_call(&h, a, i + 1, ids[i]);
		for (j = 0; j < i; j++)
			ck_assert(cid[i] != cid[j]);
	}
	for (i = sizeof ids / sizeof ids[0]; i-- > 0;) {
		h_answer(&h, cid[i], "{'n':%zu}", i);
		ck_assert_uint_eq(h.n, 1);
		r = h_response(&h, a, i + 1, ids[i]);
		ck_assert_int_eq(PI(r, "result.n"), (int64_t)i);
		h_clear(&h);
	}
	h_fini(&h);
}
END_TEST

START_TEST(test_duplicate_id)
{
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 c1, c2, c3;
	json_object		*r;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	c1 = h_call(&h, a, 1, "7");
	ck_assert_int_eq(h_send(&h, a, 2, "{'jsonrpc':'2.0','id':7,"
	    "'method':'tools/call','params':{'name':'evil'}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	r = h_response(&h, a, 2, "7");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_REQUEST);
	h_clear(&h);
	/* Not a duplicate: another type, another session. */
	c2 = h_call(&h, a, 3, "'7'");
	c3 = h_call(&h, b, 4, "7");

	h_answer(&h, c1, "{'which':'first'}");
	r = h_response(&h, a, 1, "7");
	ck_assert_str_eq(PS(r, "result.which"), "first");
	h_clear(&h);
	/* Done: the id may come again. */
	c1 = h_call(&h, a, 5, "7");
	h_answer(&h, c1, "{}");
	h_response(&h, a, 5, "7");
	h_clear(&h);
	h_answer(&h, c2, "{}");
	h_response(&h, a, 3, "'7'");
	h_clear(&h);
	h_answer(&h, c3, "{}");
	h_response(&h, b, 4, "7");
	h_fini(&h);
}
END_TEST

/* ---- progress and cancellation ------------------------------------------- */

START_TEST(test_progress)
{
	struct h		 h;
	struct mux_session	*a, *b;
	json_object		*msg, *r, *p;
	int64_t			 ca, cb, cs, ta, tb, ts;
	struct mux_stats	 st;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");

	/* The client's message is not modified behind its back. */
	msg = J("{'jsonrpc':'2.0','id':1,'method':'tools/call','params':"
	    "{'name':'slow','_meta':{'progressToken':1,'other':'x'}}}");
	json_object_get(msg);
	ck_assert_int_eq(mux_session_recv(h.m, a, msg, 5), MUX_RECV_REPLY);
	h_drain(&h);
	ck_assert_int_eq(PI(msg, "params._meta.progressToken"), 1);
	json_object_put(msg);
	ca = h_cid(&h, "tools/call");
	r = h.outs[0].msg;
	ta = PI(r, "params._meta.progressToken");
	ck_assert_str_eq(PS(r, "params._meta.other"), "x");
	ck_assert_str_eq(PS(r, "params.name"), "slow");
	h_clear(&h);

	h_send(&h, b, 6, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'slow','_meta':{'progressToken':1}}}");
	cb = h_cid(&h, "tools/call");
	tb = PI(h.outs[0].msg, "params._meta.progressToken");
	h_clear(&h);
	h_send(&h, b, 7, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'slow','_meta':{'progressToken':'tok'}}}");
	cs = h_cid(&h, "tools/call");
	ts = PI(h.outs[0].msg, "params._meta.progressToken");
	h_clear(&h);
	ck_assert(ta != tb && ta != ts && tb != ts);

	/* Each gets its own, with its own token, on its request's stream. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':1,'total':2}}",
	    (long long)tb);
	ck_assert_uint_eq(h.n, 1);
	p = h_one(&h, b, "notifications/progress", 6, 0);
	ck_assert_int_eq(json_object_get_type(P(p, "params.progressToken")),
	    json_type_int);
	ck_assert_int_eq(PI(p, "params.progressToken"), 1);
	ck_assert_int_eq(PI(p, "params.total"), 2);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':1}}", (long long)ta);
	ck_assert_uint_eq(h.n, 1);
	p = h_one(&h, a, "notifications/progress", 5, 0);
	ck_assert_int_eq(PI(p, "params.progressToken"), 1);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':1}}", (long long)ts);
	p = h_one(&h, b, "notifications/progress", 7, 0);
	ck_assert_str_eq(PS(p, "params.progressToken"), "tok");
	h_clear(&h);

	/* Unknown tokens, and tokens of finished requests, go nowhere. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':1,'progress':1}}");
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':'%lld','progress':1}}", (long long)ta);
	ck_assert_uint_eq(h.n, 0);
	h_answer(&h, ca, "{}");
	h_response(&h, a, 5, "1");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':2}}", (long long)ta);
	ck_assert_uint_eq(h.n, 0);
	h_answer(&h, cb, "{}");
	h_answer(&h, cs, "{}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, b, ""), 2);
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.in_flight, 0);
	h_fini(&h);
}
END_TEST

START_TEST(test_cancel)
{
	struct h		 h;
	struct mux_session	*a, *b;
	json_object		*n;
	int64_t			 c1, c2, c3;
	struct mux_stats	 st;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");

	/* Cancel first: the child hears it by its own id; answer is late.
	 * The request's stream ends without an answer (the transport
	 * finishes its POST and frees its slot). */
	c1 = h_call(&h, a, 3, "1");
	ck_assert_int_eq(h_send(&h, a, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/cancelled','params':{'requestId':1,"
	    "'reason':'user'}}"), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 2);
	n = h.outs[0].msg;
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_str_eq(jsonrpc_method(n), "notifications/cancelled");
	ck_assert_int_eq(PI(n, "params.requestId"), c1);
	ck_assert_str_eq(PS(n, "params.reason"), "user");
	ck_assert_int_eq(h.outs[1].kind, MUX_OUT_SESSION);
	ck_assert_ptr_eq(h.outs[1].s, a);
	ck_assert_uint_eq(h.outs[1].stream, 3);
	ck_assert_int_eq(h.outs[1].final, 1);
	ck_assert_ptr_null(h.outs[1].msg);
	h_clear(&h);
	h_answer(&h, c1, "{}");
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.dropped_responses, 1);
	ck_assert_uint_eq(st.in_flight, 0);

	/* Answer first: the cancel that follows is ignored. */
	c2 = h_call(&h, a, 4, "2");
	h_answer(&h, c2, "{}");
	h_response(&h, a, 4, "2");
	h_clear(&h);
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':2}}");
	ck_assert_uint_eq(h.n, 0);

	/* Unknown ids, another session's ids, the wrong type: ignored. */
	c3 = h_call(&h, a, 5, "3");
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':99}}");
	h_send(&h, b, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':3}}");
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':'3'}}");
	h_send(&h, a, 0, "{'jsonrpc':'2.0',"
	    "'method':'notifications/cancelled'}");
	ck_assert_uint_eq(h.n, 0);
	h_answer(&h, c3, "{}");
	h_response(&h, a, 5, "3");
	h_fini(&h);
}
END_TEST

START_TEST(test_close_cancels)
{
	struct h		 h;
	struct mux_session	*a, *b;
	int64_t			 a1, a2, b1;
	json_object		*msg;
	struct mux_stats	 st;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	a1 = h_call(&h, a, 1, "1");
	a2 = h_call(&h, a, 2, "2");
	b1 = h_call(&h, b, 3, "1");

	/* a1's answer is queued for a when a goes: it must vanish with a. */
	msg = J("{'jsonrpc':'2.0','id':%lld,'result':{}}", (long long)a1);
	mux_child_recv(h.m, NULL, msg);
	mux_session_close(h.m, a);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_str_eq(jsonrpc_method(h.outs[0].msg),
	    "notifications/cancelled");
	ck_assert_int_eq(PI(h.outs[0].msg, "params.requestId"), a2);
	h_clear(&h);
	h_answer(&h, a2, "{}");
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.sessions, 1);
	ck_assert_uint_eq(st.in_flight, 1);
	ck_assert_uint_eq(st.dropped_responses, 1);
	h_answer(&h, b1, "{}");
	h_response(&h, b, 3, "1");
	h_fini(&h);
}
END_TEST

/* ---- subscriptions ------------------------------------------------------- */

START_TEST(test_subscribe)
{
	struct h		 h;
	struct mux_session	*a, *b, *c;
	json_object		*r;
	int64_t			 cid;
	size_t			 subs = 0, unsubs = 0;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	c = h_session(&h, "{}");

	/* The first subscribe reaches the child; a gets the child's answer. */
	h_send(&h, a, 1, "{'jsonrpc':'2.0','id':1,'method':"
	    "'resources/subscribe','params':{'uri':'file:///x'}}");
	ck_assert_uint_eq(h.n, 1);
	cid = h_cid(&h, "resources/subscribe");
	ck_assert_str_eq(PS(h.outs[0].msg, "params.uri"), "file:///x");
	subs++;
	h_clear(&h);
	h_answer(&h, cid, "{}");
	h_response(&h, a, 1, "1");
	h_clear(&h);

	/* Later ones (and repeats) are the bridge's to answer. */
	h_send(&h, b, 2, "{'jsonrpc':'2.0','id':1,'method':"
	    "'resources/subscribe','params':{'uri':'file:///x'}}");
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, b, 2, "1");
	ck_assert_str_eq(S(P(r, "result")), "{}");
	h_clear(&h);
	h_send(&h, a, 3, "{'jsonrpc':'2.0','id':2,'method':"
	    "'resources/subscribe','params':{'uri':'file:///x'}}");
	ck_assert_uint_eq(h.n, 1);
	h_response(&h, a, 3, "2");
	h_clear(&h);

	/* Updates go to subscribers only, on their general stream. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/resources/updated','params':{'uri':'file:///x'}}");
	ck_assert_uint_eq(h.n, 2);
	h_one(&h, a, "notifications/resources/updated", 0, 0);
	h_one(&h, b, "notifications/resources/updated", 0, 0);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, c, NULL), 0);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/resources/updated','params':{'uri':'file:///y'}}");
	ck_assert_uint_eq(h.n, 0);

	/* a leaves: b still holds the subscription, the child hears nothing. */
	h_send(&h, a, 4, "{'jsonrpc':'2.0','id':3,'method':"
	    "'resources/unsubscribe','params':{'uri':'file:///x'}}");
	ck_assert_uint_eq(h.n, 1);
	h_response(&h, a, 4, "3");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/resources/updated','params':{'uri':'file:///x'}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, b, "notifications/resources/updated", 0, 0);
	h_clear(&h);
	/* Unsubscribing what one never subscribed to: answered here. */
	h_send(&h, c, 5, "{'jsonrpc':'2.0','id':4,'method':"
	    "'resources/unsubscribe','params':{'uri':'file:///x'}}");
	ck_assert_uint_eq(h.n, 1);
	h_response(&h, c, 5, "4");
	h_clear(&h);

	/* The last subscriber's session ends: the child unsubscribes once. */
	mux_session_close(h.m, b);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	cid = h_cid(&h, "resources/unsubscribe");
	ck_assert_str_eq(PS(h.outs[0].msg, "params.uri"), "file:///x");
	unsubs++;
	h_clear(&h);
	h_answer(&h, cid, "{}");	/* the bridge's own: nobody to tell */
	ck_assert_uint_eq(h.n, 0);
	mux_session_close(h.m, a);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_uint_eq(subs, 1);
	ck_assert_uint_eq(unsubs, 1);

	/* Sessions end in any order: one subscribe, one unsubscribe. */
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	h_send(&h, a, 1, "{'jsonrpc':'2.0','id':1,'method':"
	    "'resources/subscribe','params':{'uri':'file:///w'}}");
	cid = h_cid(&h, "resources/subscribe");
	h_clear(&h);
	h_send(&h, b, 1, "{'jsonrpc':'2.0','id':1,'method':"
	    "'resources/subscribe','params':{'uri':'file:///w'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);
	h_answer(&h, cid, "{}");	/* answered after b joined */
	h_response(&h, a, 1, "1");
	h_clear(&h);
	mux_session_close(h.m, a);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/resources/updated','params':{'uri':'file:///w'}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, b, "notifications/resources/updated", 0, 0);
	h_clear(&h);
	mux_session_close(h.m, b);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "resources/unsubscribe"), 1);
	h_clear(&h);

	/* A client's explicit last unsubscribe goes to the child as itself. */
	h_send(&h, c, 6, "{'jsonrpc':'2.0','id':5,'method':"
	    "'resources/subscribe','params':{'uri':'file:///z'}}");
	cid = h_cid(&h, "resources/subscribe");
	h_clear(&h);
	h_answer(&h, cid, "{}");
	h_clear(&h);
	h_send(&h, c, 7, "{'jsonrpc':'2.0','id':6,'method':"
	    "'resources/unsubscribe','params':{'uri':'file:///z'}}");
	cid = h_cid(&h, "resources/unsubscribe");
	h_clear(&h);
	h_answer(&h, cid, "{'from':'child'}");
	r = h_response(&h, c, 7, "6");
	ck_assert_str_eq(PS(r, "result.from"), "child");
	h_clear(&h);

	/* A refused subscribe is forgotten: the next one asks again. */
	h_send(&h, c, 8, "{'jsonrpc':'2.0','id':7,'method':"
	    "'resources/subscribe','params':{'uri':'bad:'}}");
	cid = h_cid(&h, "resources/subscribe");
	h_clear(&h);
	h_fail(&h, cid, "{'code':-32602,'message':'no such resource'}");
	r = h_response(&h, c, 8, "7");
	ck_assert_int_eq(PI(r, "error.code"), -32602);
	h_clear(&h);
	h_send(&h, c, 9, "{'jsonrpc':'2.0','id':8,'method':"
	    "'resources/subscribe','params':{'uri':'bad:'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "resources/subscribe"), 1);
	h_clear(&h);
	/* No uri: invalid params. */
	h_send(&h, c, 10, "{'jsonrpc':'2.0','id':9,'method':"
	    "'resources/subscribe','params':{}}");
	r = h_response(&h, c, 10, "9");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_PARAMS);
	h_fini(&h);
}
END_TEST

/* ---- requests from the child --------------------------------------------- */

START_TEST(test_server_request_routing)
{
	struct h		 h;
	struct mux_session	*a, *b, *c;
	json_object		*r;
	int64_t			 ca, cb, cc, bid;
	struct mux_stats	 st;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{'sampling':{},'roots':{},'elicitation':{}}");
	b = h_session(&h, "{'sampling':{}}");
	c = h_session(&h, "{}");

	/* Only a is waiting for the child: a caused it. */
	ca = h_call(&h, a, 7, "1");
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'s1','method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':5}}");
	ck_assert_uint_eq(h.n, 1);
	r = h_one(&h, a, "sampling/createMessage", 7, 0);
	ck_assert(json_object_is_type(jsonrpc_id(r), json_type_int));
	bid = PI(r, "id");
	ck_assert_int_eq(PI(r, "params.maxTokens"), 5);
	h_clear(&h);

	/* Only a may answer it.  b's answer is dropped as one to a
	 * request nobody waits for is: b learns nothing of a's questions
	 * (attack20 F13: a 400 here, a 202 for other ids, told b that
	 * someone else was being asked). */
	ck_assert_int_eq(h_send(&h, b, 9, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{'stolen':true}}", (long long)bid), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_int_eq(h_send(&h, b, 9, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{'stolen':true}}", (long long)bid + 1000),
	    MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, a, 8, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{'role':'assistant'}}", (long long)bid),
	    MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_str_eq(S(h.outs[0].msg), "{\"jsonrpc\":\"2.0\",\"id\":\"s1\","
	    "\"result\":{\"role\":\"assistant\"}}");
	h_clear(&h);
	/* Answered already: a second answer is dropped quietly. */
	ck_assert_int_eq(h_send(&h, a, 8, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{}}", (long long)bid), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);

	/* An integer child id keeps its type on the way back. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':0,'method':'roots/list'}");
	r = h_one(&h, a, "roots/list", 7, 0);
	bid = PI(r, "id");
	h_clear(&h);
	h_send(&h, a, 8, "{'jsonrpc':'2.0','id':%lld,'error':{'code':-1,"
	    "'message':'no'}}", (long long)bid);
	ck_assert_str_eq(S(h.outs[0].msg), "{\"jsonrpc\":\"2.0\",\"id\":0,"
	    "\"error\":{\"code\":-1,\"message\":\"no\"}}");
	h_clear(&h);

	/* Two could have caused it: refused, never guessed. */
	cb = h_call(&h, b, 11, "1");
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':5,'method':"
	    "'sampling/createMessage','params':{}}");
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_int_eq(PI(h.outs[0].msg, "id"), 5);
	ck_assert_ptr_nonnull(strstr(PS(h.outs[0].msg, "error.message"),
	    "ambiguous"));
	h_clear(&h);
	/* Whatever they declared: only a declared roots, but b's call may
	 * be the cause all the same (the child asks the bridge, which
	 * declared roots for all), and would reach a. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':6,'method':'roots/list'}");
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_ptr_nonnull(strstr(PS(h.outs[0].msg, "error.message"),
	    "ambiguous"));
	h_clear(&h);

	/* Nobody waiting: refused. */
	h_answer(&h, ca, "{}");
	h_answer(&h, cb, "{}");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':7,'method':"
	    "'sampling/createMessage','params':{}}");
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_ptr_nonnull(P(h.outs[0].msg, "error"));
	h_clear(&h);

	/* The one waiting lacks the capability: refused. */
	cc = h_call(&h, c, 12, "1");
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':8,'method':"
	    "'sampling/createMessage','params':{}}");
	ck_assert_uint_eq(h.n, 1);
	ck_assert_ptr_nonnull(strstr(PS(h.outs[0].msg, "error.message"),
	    "capability"));
	h_clear(&h);
	h_answer(&h, cc, "{}");
	h_clear(&h);

	/* Form elicitation only: a URL one is refused. */
	ca = h_call(&h, a, 13, "2");
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':9,'method':"
	    "'elicitation/create','params':{'mode':'url','url':'https://x',"
	    "'elicitationId':'e0','message':'m'}}");
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_ptr_nonnull(P(h.outs[0].msg, "error"));
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':10,'method':"
	    "'elicitation/create','params':{'message':'m',"
	    "'requestedSchema':{}}}");
	h_one(&h, a, "elicitation/create", 13, 0);
	h_clear(&h);

	/* A pending request of a closing session is answered to the child. */
	mux_session_close(h.m, a);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled"), 1);
	/* elicitation/create 10 was still unanswered. */
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, ""), 1);
	r = h_find(&h, MUX_OUT_CHILD, NULL, "")->msg;
	ck_assert_ptr_nonnull(P(r, "error"));
	h_clear(&h);

	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.server_requests_refused, 5);
	h_fini(&h);
}
END_TEST

/*
 * The roots/list a server sends at start (server-everything does, as the
 * bridge declares roots by default), with no client request in flight:
 * refused as before, but said once per start at debug level, not as an
 * info line that looks like an error (issue 17).  While a client's request
 * is in flight a refusal is news, at info.
 */
START_TEST(test_server_request_roots_at_start)
{
	static const char *const roots = "{'jsonrpc':'2.0','id':'r%d',"
	    "'method':'roots/list'}";
	struct h		 h;
	struct mux_session	*a, *b;
	json_object		*r;
	struct mux_stats	 st;
	char			*log;
	int64_t			 cid, cidb;

	h_init(&h, NULL);
	h_log_start(LOG_LEVEL_DEBUG);
	h_start(&h);
	h_child(&h, NULL, roots, 1);
	ck_assert_uint_eq(h.n, 1);
	r = h.outs[0].msg;
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_str_eq(PS(r, "id"), "r1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INTERNAL_ERROR);
	h_clear(&h);
	h_child(&h, NULL, roots, 2);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, ""), 1);
	h_clear(&h);
	log = h_log_end();
	ck_assert_msg(h_occurs(log, "roots/list from the server") == 1, "%s",
	    log);
	ck_assert_msg(h_occurs(log, "debug: roots/list from the server "
	    "refused") == 1, "%s", log);
	free(log);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.server_requests_refused, 2);

	/* A client's request in flight, no roots declared: news, at info. */
	a = h_session(&h, "{}");
	cid = h_call(&h, a, 3, "1");
	h_log_start(LOG_LEVEL_INFO);
	h_child(&h, NULL, roots, 3);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, ""), 1);
	h_clear(&h);
	log = h_log_end();
	ck_assert_msg(h_occurs(log, "info: roots/list from the server "
	    "refused: no client session with a request in flight declared "
	    "the capability it needs") == 1, "%s", log);
	free(log);
	/* Two sessions waiting that could answer: a call fails for want
	 * of a certain route, which turns would give: a warning that says
	 * so (attack20 F10). */
	b = h_session(&h, "{'roots':{}}");
	cidb = h_call(&h, b, 3, "1");
	h_log_start(LOG_LEVEL_INFO);
	h_child(&h, NULL, roots, 4);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, ""), 1);
	h_clear(&h);
	log = h_log_end();
	ck_assert_msg(h_occurs(log, "warn: roots/list from the server "
	    "refused: more than one client session could have caused it "
	    "(ambiguous); a tool whose calls ask their client takes turns "
	    "once named with --asking-tools") == 1, "%s", log);
	free(log);
	h_answer(&h, cidb, "{}");
	h_answer(&h, cid, "{}");
	h_clear(&h);

	/* The next start is told again, once. */
	mux_child_down(h.m, NULL, "exited with status 1");
	h_drain(&h);
	h_clear(&h);
	mux_session_close(h.m, a);
	h_drain(&h);
	h_clear(&h);
	h_log_start(LOG_LEVEL_DEBUG);
	h_start(&h);
	h_child(&h, NULL, roots, 4);
	h_child(&h, NULL, roots, 5);
	h_clear(&h);
	log = h_log_end();
	ck_assert_msg(h_occurs(log, "debug: roots/list from the server "
	    "refused") == 1, "%s", log);
	free(log);
	h_fini(&h);
}
END_TEST

START_TEST(test_server_request_latest)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*a, *b, *c;
	int64_t			 bid;

	memset(&cfg, 0, sizeof cfg);
	cfg.server_requests = MUX_SERVER_REQUESTS_LATEST;
	h_init(&h, &cfg);
	h_start(&h);
	a = h_session(&h, "{'sampling':{}}");
	b = h_session(&h, "{'sampling':{}}");
	c = h_session(&h, "{}");
	h_call(&h, a, 1, "1");
	h_call(&h, b, 2, "1");
	h_call(&h, c, 3, "1");	/* the latest, but it cannot sample */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':1,'method':"
	    "'sampling/createMessage','params':{}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, b, "sampling/createMessage", 2, 0);
	h_clear(&h);

	/* a's new request makes it the latest; of its two: the newest. */
	h_call(&h, a, 4, "2");
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':2,'method':"
	    "'sampling/createMessage','params':{}}");
	bid = PI(h_one(&h, a, "sampling/createMessage", 4, 0), "id");
	h_clear(&h);
	h_send(&h, a, 4, "{'jsonrpc':'2.0','id':%lld,'result':{}}",
	    (long long)bid);
	ck_assert_int_eq(PI(h.outs[0].msg, "id"), 2);
	h_fini(&h);
}
END_TEST

START_TEST(test_server_request_cancel_elicit_complete)
{
	struct h		 h;
	struct mux_session	*a, *b;
	json_object		*r;
	int64_t			 bid, cidb;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{'elicitation':{'form':{},'url':{}}}");
	b = h_session(&h, "{'elicitation':{'form':{},'url':{}}}");
	h_call(&h, a, 4, "1");

	h_child(&h, NULL, "{'jsonrpc':'2.0','id':9,'method':"
	    "'elicitation/create','params':{'mode':'url','url':'https://x',"
	    "'elicitationId':'e1','message':'m'}}");
	r = h_one(&h, a, "elicitation/create", 4, 0);
	bid = PI(r, "id");
	h_clear(&h);
	h_send(&h, a, 5, "{'jsonrpc':'2.0','id':%lld,'result':"
	    "{'action':'accept'}}", (long long)bid);
	h_clear(&h);
	cidb = h_call(&h, b, 6, "1");	/* b is waiting too now */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/elicitation/complete','params':"
	    "{'elicitationId':'e1'}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, a, "notifications/elicitation/complete", 4, 0);
	h_clear(&h);
	/* Once only. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/elicitation/complete','params':"
	    "{'elicitationId':'e1'}}");
	ck_assert_uint_eq(h.n, 0);

	/* The child withdraws a request: its client hears it by its own id.
	 * (b stops waiting, and the child has done with b's call: a alone
	 * can have caused what it asks.) */
	h_send(&h, b, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':1}}");
	h_clear(&h);
	h_answer(&h, cidb, "{}");
	ck_assert_uint_eq(h.n, 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'el2','method':"
	    "'elicitation/create','params':{'message':'m',"
	    "'requestedSchema':{}}}");
	bid = PI(h_one(&h, a, "elicitation/create", 4, 0), "id");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':'el2','reason':'gone'}}");
	ck_assert_uint_eq(h.n, 1);
	r = h_one(&h, a, "notifications/cancelled", 4, 0);
	ck_assert_int_eq(PI(r, "params.requestId"), bid);
	ck_assert_str_eq(PS(r, "params.reason"), "gone");
	h_clear(&h);
	/* The client's late answer goes nowhere. */
	ck_assert_int_eq(h_send(&h, a, 5, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{}}", (long long)bid), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h.n, 0);
	/* Unknown: ignored. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':'el2'}}");
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

/* ---- tasks -------------------------------------------------------------- */

START_TEST(test_tasks)
{
	struct h		 h;
	struct mux_session	*a, *b;
	json_object		*r;
	int64_t			 cid, tok;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{'elicitation':{}}");
	b = h_session(&h, "{'elicitation':{}}");

	/* a makes task t1, with a progress token that outlives the call. */
	h_send(&h, a, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'long','task':{'ttl':60000},"
	    "'_meta':{'progressToken':'pt'}}}");
	cid = h_cid(&h, "tools/call");
	tok = PI(h.outs[0].msg, "params._meta.progressToken");
	h_clear(&h);
	h_answer(&h, cid, "{'task':{'taskId':'t1','status':'working'}}");
	h_response(&h, a, 1, "1");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':1}}", (long long)tok);
	r = h_one(&h, a, "notifications/progress", 0, 0);
	ck_assert_str_eq(PS(r, "params.progressToken"), "pt");
	h_clear(&h);
	/* b makes t2. */
	cid = h_call(&h, b, 2, "1");
	h_answer(&h, cid, "{'task':{'taskId':'t2','status':'working'}}");
	h_clear(&h);

	/* Another session's task looks like no task. */
	h_send(&h, b, 3, "{'jsonrpc':'2.0','id':2,'method':'tasks/get',"
	    "'params':{'taskId':'t1'}}");
	r = h_response(&h, b, 3, "2");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_PARAMS);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	h_clear(&h);
	h_send(&h, b, 3, "{'jsonrpc':'2.0','id':3,'method':'tasks/result',"
	    "'params':{'taskId':'t1'}}");
	h_send(&h, b, 3, "{'jsonrpc':'2.0','id':4,'method':'tasks/cancel',"
	    "'params':{'taskId':'t1'}}");
	h_send(&h, b, 3, "{'jsonrpc':'2.0','id':5,'method':'tasks/get',"
	    "'params':{'taskId':'nope'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, b, ""), 3);
	h_clear(&h);
	h_send(&h, a, 4, "{'jsonrpc':'2.0','id':2,'method':'tasks/get',"
	    "'params':{'taskId':'t1'}}");
	cid = h_cid(&h, "tasks/get");
	h_clear(&h);
	h_answer(&h, cid, "{'taskId':'t1','status':'working'}");
	h_response(&h, a, 4, "2");
	h_clear(&h);

	/* tasks/list is filtered per session. */
	h_send(&h, b, 5, "{'jsonrpc':'2.0','id':6,'method':'tasks/list'}");
	cid = h_cid(&h, "tasks/list");
	h_clear(&h);
	h_answer(&h, cid, "{'tasks':[{'taskId':'t1'},{'taskId':'t2'},"
	    "{'taskId':'t3'}],'nextCursor':'c'}");
	r = h_response(&h, b, 5, "6");
	ck_assert_str_eq(S(P(r, "result")), "{\"tasks\":[{\"taskId\":\"t2\"}],"
	    "\"nextCursor\":\"c\"}");
	h_clear(&h);

	/* A request tied to t1 goes to a, though only b is waiting. */
	h_call(&h, b, 6, "7");
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'x','method':"
	    "'elicitation/create','params':{'message':'m','requestedSchema':{},"
	    "'_meta':{'io.modelcontextprotocol/related-task':"
	    "{'taskId':'t1'}}}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, a, "elicitation/create", 0, 0);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'y','method':"
	    "'elicitation/create','params':{'message':'m','requestedSchema':{},"
	    "'_meta':{'io.modelcontextprotocol/related-task':"
	    "{'taskId':'t9'}}}}");
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD);
	ck_assert_ptr_nonnull(P(h.outs[0].msg, "error"));
	h_clear(&h);

	/* Status goes to the owner; the end of the task ends its token. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/tasks/status','params':{'taskId':'t1',"
	    "'status':'completed'}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, a, "notifications/tasks/status", 0, 0);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':2}}", (long long)tok);
	ck_assert_uint_eq(h.n, 0);
	/* ... but not its ownership: tasks/result still works for a. */
	h_send(&h, a, 7, "{'jsonrpc':'2.0','id':3,'method':'tasks/result',"
	    "'params':{'taskId':'t1'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tasks/result"), 1);
	h_clear(&h);
	/* A task's session ends: its tasks are gone with it. */
	mux_session_close(h.m, a);
	h_drain(&h);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
	    "'notifications/tasks/status','params':{'taskId':'t1',"
	    "'status':'completed'}}");
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

/* What a session answers to a child's request of a task (sampling). */
static int64_t
h_client_task(struct h *h, struct mux_session *s, uint64_t stream,
    const char *sid, const char *task, char **bridge_task)
{
	struct hout	*o;
	json_object	*r;
	int64_t		 cid, bid;

	cid = h_call(h, s, stream, "1");
	h_child(h, NULL, "{'jsonrpc':'2.0','id':'%s','method':"
	    "'sampling/createMessage','params':{'messages':[],"
	    "'maxTokens':1,'task':{'ttl':60000}}}", sid);
	r = h_one(h, s, "sampling/createMessage", stream, 0);
	bid = PI(r, "id");
	h_clear(h);
	ck_assert_int_eq(h_send(h, s, 0, "{'jsonrpc':'2.0','id':%lld,"
	    "'result':{'task':{'taskId':'%s','status':'working'}}}",
	    (long long)bid, task), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h->n, 1);
	o = h_find(h, MUX_OUT_CHILD, NULL, "");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(PS(o->msg, "id"), sid);
	ck_assert_str_eq(PS(o->msg, "result.task.status"), "working");
	*bridge_task = strdup(PS(o->msg, "result.task.taskId"));
	h_clear(h);
	return cid;
}

/*
 * Two sessions whose tasks (made for the child's task-augmented requests)
 * have the same taskId: the child sees two ids, and each session only
 * hears of its own task.
 */
START_TEST(test_client_task_ids)
{
	struct h		 h;
	struct mux_session	*a, *b;
	struct hout		*o;
	json_object		*r, *v;
	char			*ta, *tb;
	int64_t			 ca, cb, bid;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{'sampling':{},'tasks':{'requests':{'sampling':{"
	    "'createMessage':{}}}}}");
	b = h_session(&h, "{'sampling':{},'tasks':{'requests':{'sampling':{"
	    "'createMessage':{}}}}}");
	ca = h_client_task(&h, a, 1, "s1", "same", &ta);
	h_answer(&h, ca, "{}");
	h_clear(&h);
	cb = h_client_task(&h, b, 2, "s2", "same", &tb);

	/* The child asks for a's task's result: a gets it, as a named it. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'r1','method':'tasks/result',"
	    "'params':{'taskId':'%s'}}", ta);
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a's tasks/result went to b");
	r = h_one(&h, a, "tasks/result", 0, 0);
	ck_assert_str_eq(PS(r, "params.taskId"), "same");
	bid = PI(r, "id");
	h_clear(&h);
	/* ... and a's answer reaches the child under the child's id. */
	h_send(&h, a, 0, "{'jsonrpc':'2.0','id':%lld,'result':{'role':"
	    "'assistant','content':{'type':'text','text':'from a'},"
	    "'_meta':{'io.modelcontextprotocol/related-task':"
	    "{'taskId':'same'}}}}", (long long)bid);
	ck_assert_uint_eq(h.n, 1);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "");
	ck_assert_str_eq(PS(o->msg, "id"), "r1");
	ck_assert_str_eq(PS(o->msg, "result.content.text"), "from a");
	ck_assert(json_object_object_get_ex(P(o->msg, "result._meta"),
	    "io.modelcontextprotocol/related-task", &v));
	ck_assert_str_eq(PS(v, "taskId"), ta);
	h_clear(&h);
	ck_assert_str_ne(ta, tb);

	/* b's task is b's: tasks/get, and the Task it answers. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'g1','method':'tasks/get',"
	    "'params':{'taskId':'%s'}}", tb);
	ck_assert_uint_eq(h.n, 1);
	r = h_one(&h, b, "tasks/get", 2, 0);
	ck_assert_str_eq(PS(r, "params.taskId"), "same");
	bid = PI(r, "id");
	h_clear(&h);
	h_send(&h, b, 0, "{'jsonrpc':'2.0','id':%lld,'result':{'taskId':"
	    "'same','status':'working'}}", (long long)bid);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "");
	ck_assert_str_eq(PS(o->msg, "id"), "g1");
	ck_assert_str_eq(PS(o->msg, "result.taskId"), tb);
	h_clear(&h);

	/* A tasks list names b's own tasks only, by the child's ids. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'l1','method':'tasks/list'}");
	r = h_one(&h, b, "tasks/list", 2, 0);
	bid = PI(r, "id");
	h_clear(&h);
	h_send(&h, b, 0, "{'jsonrpc':'2.0','id':%lld,'result':{'tasks':["
	    "{'taskId':'same','status':'working'},{'taskId':'ghost',"
	    "'status':'working'}]}}", (long long)bid);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "");
	ck_assert_str_eq(PS(o->msg, "id"), "l1");
	ck_assert_uint_eq(json_object_array_length(P(o->msg, "result.tasks")),
	    1);
	ck_assert_str_eq(PS(json_object_array_get_idx(P(o->msg,
	    "result.tasks"), 0), "taskId"), tb);
	h_clear(&h);

	/* Status notifications name the task as the child knows it. */
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/tasks/status','params':{'taskId':'same',"
	    "'status':'completed'}}");
	h_send(&h, b, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/tasks/status','params':{'taskId':'same',"
	    "'status':'failed'}}");
	ck_assert_uint_eq(h.n, 2);
	ck_assert_str_eq(PS(h.outs[0].msg, "params.taskId"), ta);
	ck_assert_str_eq(PS(h.outs[0].msg, "params.status"), "completed");
	ck_assert_str_eq(PS(h.outs[1].msg, "params.taskId"), tb);
	h_clear(&h);
	/* ... and one of no task the bridge knows goes nowhere. */
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/tasks/status','params':{'taskId':'other',"
	    "'status':'completed'}}");
	ck_assert_uint_eq(h.n, 0);

	/* The clients' own ids mean nothing to the child: refused. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'g2','method':'tasks/get',"
	    "'params':{'taskId':'same'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, NULL, NULL), 0);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "");
	ck_assert_ptr_nonnull(P(o->msg, "error"));
	h_clear(&h);

	/* a goes: its task with it; b's stays. */
	mux_session_close(h.m, a);
	h_drain(&h);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'g3','method':'tasks/get',"
	    "'params':{'taskId':'%s'}}", ta);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, NULL, NULL), 0);
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'g4','method':'tasks/cancel',"
	    "'params':{'taskId':'%s'}}", tb);
	h_one(&h, b, "tasks/cancel", 2, 0);
	h_clear(&h);
	(void)cb;
	free(ta);
	free(tb);
	h_fini(&h);
}
END_TEST

/* ---- the child going away ------------------------------------------------ */

START_TEST(test_child_restart)
{
	struct h		 h;
	struct mux_session	*a, *b, *c, *d;
	json_object		*r;
	int64_t			 ca, cb, cid;
	struct mux_stats	 st;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{'sampling':{}}");
	b = h_session(&h, "{}");
	d = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ca = h_call(&h, a, 3, "1");
	cb = h_call(&h, b, 4, "'x'");
	h_send(&h, a, 5, "{'jsonrpc':'2.0','id':2,'method':"
	    "'resources/subscribe','params':{'uri':'u:'}}");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':1,'method':"
	    "'sampling/createMessage','params':{}}");
	h_clear(&h);

	/* Everything in flight is answered within the call. */
	mux_child_down(h.m, NULL, "exited with status 3");
	h_drain(&h);
	ck_assert(!mux_ready(h.m));
	ck_assert_ptr_null(mux_child_info(h.m));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, a, ""), 2);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, b, ""), 1);
	r = h_find(&h, MUX_OUT_SESSION, b, "")->msg;
	ck_assert_str_eq(PS(r, "id"), "x");
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"),
	    "exited with status 3"));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION_END, a, NULL), 1);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION_END, b, NULL), 1);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION_END, d, NULL), 0);
	/* The ends come after the errors. */
	ck_assert_int_eq(h.outs[h.n - 1].kind, MUX_OUT_SESSION_END);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.in_flight, 0);
	h_clear(&h);

	/* Late words of the dead child go nowhere. */
	h_answer(&h, ca, "{}");
	h_answer(&h, cb, "{}");
	ck_assert_uint_eq(h.n, 0);
	/* An ended session is refused until it is closed. */
	ck_assert_int_eq(h_send(&h, a, 6, "{'jsonrpc':'2.0','id':3,"
	    "'method':'tools/list'}"), MUX_RECV_REPLY);
	r = h_response(&h, a, 6, "3");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SESSION_NOT_FOUND);
	h_clear(&h);
	mux_session_close(h.m, a);
	mux_session_close(h.m, b);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);

	/* New sessions wait for the new child, which is initialized again. */
	c = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(&h, c, 1, "{'jsonrpc':'2.0','id':0,"
	    "'method':'initialize','params':{'protocolVersion':'2025-11-25',"
	    "'capabilities':{}}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 0);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	h_answer(&h, cid, "%s", child_init_result);
	h_response(&h, c, 1, "0");
	h_clear(&h);
	cid = h_call(&h, c, 2, "1");
	h_answer(&h, cid, "{'ok':1}");
	h_response(&h, c, 2, "1");
	h_clear(&h);
	/* The fresh child knows no subscriptions: the next one is its first. */
	h_send(&h, c, 3, "{'jsonrpc':'2.0','id':2,'method':"
	    "'resources/subscribe','params':{'uri':'u:'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "resources/subscribe"), 1);
	h_clear(&h);
	/* A session that had not initialized survives. */
	h_send(&h, d, 1, "{'jsonrpc':'2.0','id':0,'method':'initialize',"
	    "'params':{}}");
	h_response(&h, d, 1, "0");
	h_fini(&h);
}
END_TEST

/*
 * A child that went down and cannot be started again (its command is
 * gone): the clients waiting for it, and those that come, read why at once
 * instead of waiting for init_timeout_ms (issue 17).
 */
START_TEST(test_child_unavailable)
{
	static const char *const why = "cannot run '/x/server': No such "
	    "file or directory";
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*a, *b, *c;
	json_object		*r;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	cfg.init_timeout_ms = 30000;
	h_init(&h, &cfg);
	h_start(&h);
	a = h_session(&h, "{}");

	/* Said while it runs: nothing changes. */
	mux_child_unavailable(h.m, NULL, why);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	cid = h_call(&h, a, 2, "1");
	h_answer(&h, cid, "{}");
	h_response(&h, a, 2, "1");
	h_clear(&h);

	/* What is in flight when it dies is told so, in the same words as
	 * what waits for a child that cannot run. */
	h_call(&h, a, 3, "2");
	h_clear(&h);
	mux_child_down(h.m, NULL, "killed by signal 9");
	h_drain(&h);
	r = h_response(&h, a, 3, "2");
	ck_assert_str_eq(PS(r, "error.message"), "Server not available: "
	    "child killed by signal 9");
	h_clear(&h);
	mux_session_close(h.m, a);
	h_drain(&h);
	h_clear(&h);
	mux_tick(h.m, 1000);

	/* A client waits for the restart... */
	b = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(&h, b, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'initialize','params':{}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 0);
	/* ...which cannot run the command: it is told why, now. */
	mux_child_unavailable(h.m, NULL, why);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, b, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	ck_assert_str_eq(PS(r, "error.message"), "Server not available: "
	    "cannot run '/x/server': No such file or directory");
	h_clear(&h);

	/* So is the next one, without waiting at all. */
	c = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(&h, c, 1, "{'jsonrpc':'2.0','id':7,"
	    "'method':'initialize','params':{}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, c, 1, "7");
	ck_assert_str_eq(PS(r, "error.message"), "Server not available: "
	    "cannot run '/x/server': No such file or directory");
	h_clear(&h);
	ck_assert(!mux_ready(h.m));

	/* The command is back: the next start serves as usual. */
	mux_child_up(h.m, NULL);
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, c, 2, "{'jsonrpc':'2.0','id':8,"
	    "'method':'initialize','params':{'protocolVersion':"
	    "'2025-11-25'}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 0);
	h_answer(&h, cid, "%s", child_init_result);
	r = h_response(&h, c, 2, "8");
	ck_assert_str_eq(PS(r, "result.protocolVersion"), "2025-11-25");
	h_fini(&h);
}
END_TEST

/* ---- the tool filter (--allow-tool, --deny-tool) ------------------------ */

/*
 * A tool the filter hides is not in the lists clients get, and a call of
 * it is refused with an error naming it: the child never sees the call.
 */
START_TEST(test_tool_filter)
{
	static char		*deny[] = { (char *)"rm*", NULL };
	struct toolfilter	 tf = { NULL, 0, deny, 1 };
	struct mux_config	 cfg;
	struct h		 h;
	struct mux_session	*a;
	json_object		*r;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	cfg.tools = &tf;
	h_init(&h, &cfg);
	h_start(&h);
	a = h_session(&h, "{}");
	h_send(&h, a, 3, "{'jsonrpc':'2.0','id':5,'method':'tools/list'}");
	cid = h_cid(&h, "tools/list");
	h_clear(&h);
	h_answer(&h, cid, "{'tools':[{'name':'read'},{'name':'rm_rf'},"
	    "{'name':'rm'}],'nextCursor':'2'}");
	r = h_one(&h, a, NULL, 3, 1);
	ck_assert_str_eq(S(P(r, "result")), "{\"tools\":[{\"name\":"
	    "\"read\"}],\"nextCursor\":\"2\"}");
	h_clear(&h);

	ck_assert_int_eq(h_send(&h, a, 4, "{'jsonrpc':'2.0','id':6,"
	    "'method':'tools/call','params':{'name':'rm_rf',"
	    "'arguments':{}}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	r = h_one(&h, a, NULL, 4, 1);
	ck_assert_int_eq(PI(r, "id"), 6);
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_PARAMS);
	ck_assert_str_eq(PS(r, "error.message"), "Tool not allowed: rm_rf");
	h_clear(&h);

	/* In a batch: the refused member is answered, the other goes. */
	h_send(&h, a, 5, "["
	    "{'jsonrpc':'2.0','id':7,'method':'tools/call','params':"
	    "{'name':'rm'}},"
	    "{'jsonrpc':'2.0','id':8,'method':'tools/call','params':"
	    "{'name':'read'}}]");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	ck_assert_str_eq(PS(h_find(&h, MUX_OUT_CHILD, NULL,
	    "tools/call")->msg, "params.name"), "read");
	cid = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, cid, "{'content':[]}");
	r = h_one(&h, a, NULL, 5, 1);
	ck_assert_uint_eq(json_object_array_length(r), 2);
	ck_assert_str_eq(PS(json_object_array_get_idx(r, 0), "error.message"),
	    "Tool not allowed: rm");
	ck_assert_ptr_nonnull(P(json_object_array_get_idx(r, 1),
	    "result.content"));
	h_clear(&h);

	/* A call with no name to judge is refused too. */
	h_send(&h, a, 6, "{'jsonrpc':'2.0','id':9,'method':'tools/call',"
	    "'params':{}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 0);
	r = h_one(&h, a, NULL, 6, 1);
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_PARAMS);
	h_fini(&h);
}
END_TEST

/* ---- batches ------------------------------------------------------------- */

START_TEST(test_batch)
{
	struct h		 h;
	struct mux_session	*a;
	struct hout		*o;
	json_object		*r, *e, *id;
	int64_t			 c1, cb;
	size_t			 i, n;
	int			 seen = 0;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	ck_assert_int_eq(h_send(&h, a, 5, "["
	    "{'jsonrpc':'2.0','id':1,'method':'tools/call','params':{}},"
	    "{'jsonrpc':'2.0','method':'notifications/roots/list_changed'},"
	    "{'jsonrpc':'2.0','id':'b','method':'tools/list'},"
	    "{'foo':1},"
	    "{'jsonrpc':'2.0','id':9,'method':'initialize','params':{}}"
	    "]"), MUX_RECV_REPLY);
	/* Split: two requests and a notification for the child; no answer. */
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 3);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, NULL, NULL), 0);
	c1 = h_cid(&h, "tools/call");
	cb = h_cid(&h, "tools/list");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/roots/list_changed"), 1);
	h_clear(&h);
	h_answer(&h, cb, "{'tools':[]}");
	ck_assert_uint_eq(h.n, 0);
	h_answer(&h, c1, "{'content':[]}");
	ck_assert_uint_eq(h.n, 1);
	r = h_one(&h, a, NULL, 5, 1);
	ck_assert(json_object_is_type(r, json_type_array));
	n = json_object_array_length(r);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(r, i);
		id = jsonrpc_id(e);
		if (id == NULL) {
			ck_assert_int_eq(PI(e, "error.code"),
			    JSONRPC_INVALID_REQUEST);
			seen |= 1;
		} else if (json_object_is_type(id, json_type_string)) {
			ck_assert_str_eq(json_object_get_string(id), "b");
			ck_assert_ptr_nonnull(P(e, "result.tools"));
			seen |= 2;
		} else if (json_object_get_int64(id) == 9) {
			ck_assert_int_eq(PI(e, "error.code"),
			    JSONRPC_INVALID_REQUEST);
			seen |= 4;
		} else {
			ck_assert_int_eq(json_object_get_int64(id), 1);
			ck_assert_ptr_nonnull(P(e, "result.content"));
			seen |= 8;
		}
	}
	ck_assert_int_eq(seen, 15);
	h_clear(&h);

	/* Notifications only: nothing to answer. */
	ck_assert_int_eq(h_send(&h, a, 6, "["
	    "{'jsonrpc':'2.0','method':'notifications/a'},"
	    "{'jsonrpc':'2.0','method':'notifications/b'}]"),
	    MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, NULL), 2);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, NULL, NULL), 0);
	h_clear(&h);

	/* All answered by the bridge: the array comes at once. */
	ck_assert_int_eq(h_send(&h, a, 7, "[1,"
	    "{'jsonrpc':'2.0','id':1,'method':'logging/setLevel',"
	    "'params':{'level':'loud'}}]"), MUX_RECV_REPLY);
	r = h_one(&h, a, NULL, 7, 1);
	ck_assert_uint_eq(json_object_array_length(r), 2);
	h_clear(&h);

	/* Duplicate ids inside one batch: the second is refused. */
	h_send(&h, a, 8, "["
	    "{'jsonrpc':'2.0','id':5,'method':'tools/call','params':{}},"
	    "{'jsonrpc':'2.0','id':5,'method':'tools/call','params':{}}]");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL, "tools/call"), 1);
	c1 = h_cid(&h, "tools/call");
	h_clear(&h);
	h_answer(&h, c1, "{}");
	r = h_one(&h, a, NULL, 8, 1);
	ck_assert_uint_eq(json_object_array_length(r), 2);
	h_clear(&h);

	/* A cancelled member does not hold the batch back. */
	h_send(&h, a, 9, "["
	    "{'jsonrpc':'2.0','id':6,'method':'tools/call','params':{}},"
	    "{'jsonrpc':'2.0','id':7,'method':'tools/call','params':{}}]");
	c1 = h_cid(&h, "tools/call");
	h_clear(&h);
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':7}}");
	h_clear(&h);
	h_answer(&h, c1, "{}");
	r = h_one(&h, a, NULL, 9, 1);
	ck_assert_uint_eq(json_object_array_length(r), 1);
	ck_assert_int_eq(PI(json_object_array_get_idx(r, 0), "id"), 6);
	h_clear(&h);

	/* Every member cancelled: the stream ends without an answer. */
	h_send(&h, a, 10, "["
	    "{'jsonrpc':'2.0','id':8,'method':'tools/call','params':{}},"
	    "{'jsonrpc':'2.0','id':9,'method':'tools/call','params':{}}]");
	h_clear(&h);
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':8}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, a, NULL), 0);
	h_clear(&h);
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':9}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, a, NULL), 1);
	o = h_find(&h, MUX_OUT_SESSION, a, NULL);
	ck_assert_uint_eq(o->stream, 10);
	ck_assert_int_eq(o->final, 1);
	ck_assert_ptr_null(o->msg);
	h_fini(&h);
}
END_TEST

/* ---- logging ------------------------------------------------------------- */

START_TEST(test_log_levels)
{
	struct h		 h;
	struct mux_session	*a, *b, *c;
	json_object		*r;
	int64_t			 cid;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	c = h_session(&h, "{}");

	h_send(&h, a, 1, "{'jsonrpc':'2.0','id':1,'method':'logging/setLevel',"
	    "'params':{'level':'warning'}}");
	ck_assert_uint_eq(h.n, 1);
	cid = h_cid(&h, "logging/setLevel");
	ck_assert_str_eq(PS(h.outs[0].msg, "params.level"), "warning");
	h_clear(&h);
	h_answer(&h, cid, "{}");
	h_response(&h, a, 1, "1");
	h_clear(&h);
	h_send(&h, b, 2, "{'jsonrpc':'2.0','id':1,'method':'logging/setLevel',"
	    "'params':{'level':'debug'}}");
	cid = h_cid(&h, "logging/setLevel");
	ck_assert_str_eq(PS(h.outs[0].msg, "params.level"), "debug");
	h_clear(&h);
	h_answer(&h, cid, "{}");
	h_response(&h, b, 2, "1");
	h_clear(&h);
	/* The child already logs more than a wants: answered here. */
	h_send(&h, a, 3, "{'jsonrpc':'2.0','id':2,'method':'logging/setLevel',"
	    "'params':{'level':'error'}}");
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, a, 3, "2");
	ck_assert_str_eq(S(P(r, "result")), "{}");
	h_clear(&h);
	h_send(&h, a, 3, "{'jsonrpc':'2.0','id':3,'method':'logging/setLevel',"
	    "'params':{'level':'verbose'}}");
	r = h_response(&h, a, 3, "3");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_PARAMS);
	h_clear(&h);

	/* Each session gets the lines at or above its own level only (c set
	 * none: it gets everything the child sends for it). */
	cid = h_call(&h, a, 7, "10");
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'warning','data':'w'}}");
	ck_assert_uint_eq(h.n, 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'critical','data':'c'}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, a, "notifications/message", 7, 0);
	h_clear(&h);
	h_answer(&h, cid, "{}");
	h_clear(&h);
	cid = h_call(&h, c, 7, "10");
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'debug','data':'d'}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, c, "notifications/message", 7, 0);
	h_clear(&h);
	h_answer(&h, cid, "{}");
	h_clear(&h);

	/* With several requests in flight the log goes on the general
	 * stream. */
	h_call(&h, b, 8, "10");
	h_call(&h, b, 9, "11");
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'debug','data':'d'}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, b, "notifications/message", 0, 0);
	h_clear(&h);

	/* b goes: the child may be quieter now; the bridge tells it. */
	mux_session_close(h.m, b);
	h_drain(&h);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled"), 2);
	cid = h_cid(&h, "logging/setLevel");
	ck_assert_str_eq(PS(h_find(&h, MUX_OUT_CHILD, NULL,
	    "logging/setLevel")->msg, "params.level"), "error");
	h_clear(&h);
	h_answer(&h, cid, "{}");
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

/*
 * A log line goes where a request of the child's would: to the session of
 * the request the child names, else to the one session with requests in
 * flight, else to nobody (counted).  Never to another session.
 */
START_TEST(test_log_routing)
{
	struct h		 h;
	struct mux_session	*a, *b;
	struct mux_stats	 st;
	json_object		*r, *meta;
	int64_t			 cid, cida, cidb;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	h_send(&h, a, 1, "{'jsonrpc':'2.0','id':1,'method':'logging/setLevel',"
	    "'params':{'level':'debug'}}");
	cid = h_cid(&h, "logging/setLevel");
	h_clear(&h);
	h_answer(&h, cid, "{}");
	h_clear(&h);
	h_send(&h, b, 2, "{'jsonrpc':'2.0','id':1,'method':'logging/setLevel',"
	    "'params':{'level':'warning'}}");
	h_response(&h, b, 2, "1");
	h_clear(&h);

	/* Nobody waits for the child: the line is nobody's. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'idle'}}");
	ck_assert_msg(h.n == 0, "a line with no request in flight went to %s",
	    h.n > 0 && h.outs[0].s == a ? "a" : "b");
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.log_lines_dropped, 1);

	/* a alone waits: a's line, on its request's stream, b sees nothing
	 * (not even a's debug lines, though a's level made the child
	 * verbose). */
	cida = h_call(&h, a, 3, "1");
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'debug','data':'a1'}}");
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'a2'}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, b, NULL), 0);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, a,
	    "notifications/message"), 2);
	ck_assert_uint_eq(h.outs[0].stream, 3);
	h_clear(&h);
	h_answer(&h, cida, "{}");
	h_clear(&h);

	/* b alone waits: b's lines at its own level only. */
	cidb = h_call(&h, b, 4, "1");
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'debug','data':'b1'}}");
	ck_assert_uint_eq(h.n, 0);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'warning','data':'b2'}}");
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, b, "notifications/message", 4, 0);
	h_clear(&h);

	/* Both wait and the child names neither: nobody's. */
	cida = h_call(&h, a, 5, "2");
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'whose?'}}");
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.log_lines_dropped, 2);

	/* The child names the request: its session's, the hint removed. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'mine','_meta':{"
	    "'mcpbridge/relatedRequestId':%lld,'k':1}}}", (long long)cida);
	ck_assert_uint_eq(h.n, 1);
	r = h_one(&h, a, "notifications/message", 5, 0);
	meta = P(r, "params._meta");
	ck_assert_ptr_nonnull(meta);
	ck_assert(!json_object_object_get_ex(meta,
	    "mcpbridge/relatedRequestId", NULL));
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'yours','_meta':{"
	    "'mcpbridge/relatedRequestId':%lld}}}", (long long)cidb);
	ck_assert_uint_eq(h.n, 1);
	h_one(&h, b, "notifications/message", 4, 0);
	h_clear(&h);
	/* A request no longer in flight names nobody. */
	h_answer(&h, cidb, "{}");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'late','_meta':{"
	    "'mcpbridge/relatedRequestId':%lld}}}", (long long)cidb);
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.log_lines_dropped, 3);
	h_fini(&h);
}
END_TEST

/* A log line with no name, from the shared child. */
static void
h_log(struct h *h, const char *data)
{
	h_child(h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'%s'}}", data);
}

/*
 * A request that ended without the child's answer (cancelled, timed out,
 * its session closed) may still be what the child works and logs on: while
 * it is out, another session alone in flight is no proof the line is its.
 */
START_TEST(test_log_orphans)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*a, *b, *c;
	struct mux_stats	 st;
	json_object		*r;
	uint64_t		 now = 1000;
	int64_t			 cida, cidb, cids[MUX_ORPHANS_MAX + 1];
	char			 id[16];
	int			 i;

	memset(&cfg, 0, sizeof cfg);
	cfg.request_timeout_ms = 10000;
	h_init(&h, &cfg);
	mux_tick(h.m, now);
	h_start(&h);
	a = h_session(&h, "{'sampling':{}}");
	b = h_session(&h, "{'sampling':{}}");

	/* a cancels its call; b alone waits; the child logs about a's. */
	cida = h_call(&h, a, 1, "1");
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':1}}");
	h_clear(&h);
	cidb = h_call(&h, b, 2, "1");
	h_log(&h, "a-secret: still running");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a's line after a's cancel went to b");
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.log_lines_dropped, 1);
	/* ... nor does a request of the child's go to b. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'q1','method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':1}}");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a child's request after a's cancel went to b");
	r = h_find(&h, MUX_OUT_CHILD, NULL, "")->msg;
	ck_assert_str_eq(PS(r, "id"), "q1");
	ck_assert_ptr_nonnull(P(r, "error"));
	h_clear(&h);
	/* The child's late answer to a's call: b's lines are b's again. */
	h_answer(&h, cida, "{}");
	ck_assert_uint_eq(h.n, 0);
	h_log(&h, "b1");
	h_one(&h, b, "notifications/message", 2, 0);
	h_clear(&h);
	h_answer(&h, cidb, "{}");
	h_clear(&h);

	/* a's call times out; the child goes on logging. */
	cida = h_call(&h, a, 3, "2");
	now += 5000;
	mux_tick(h.m, now);
	cidb = h_call(&h, b, 4, "2");
	now += 5000;
	mux_tick(h.m, now);
	h_drain(&h);
	r = h_response(&h, a, 3, "2");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	h_clear(&h);
	h_log(&h, "a-secret: timed out but busy");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a's line after a's timeout went to b");
	/* A line the child names still goes where it says. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'b2','_meta':{"
	    "'mcpbridge/relatedRequestId':%lld}}}", (long long)cidb);
	h_one(&h, b, "notifications/message", 4, 0);
	h_clear(&h);
	h_answer(&h, cidb, "{}");
	h_clear(&h);
	/* After the grace period nothing of a's is believed out. */
	now += MUX_ORPHAN_GRACE_MS;
	mux_tick(h.m, now);
	h_drain(&h);
	h_clear(&h);
	cidb = h_call(&h, b, 5, "3");
	h_log(&h, "b3");
	h_one(&h, b, "notifications/message", 5, 0);
	h_clear(&h);

	/* A session closes with its call in flight. */
	c = h_session(&h, "{}");
	cida = h_call(&h, c, 6, "1");
	mux_session_close(h.m, c);
	h_drain(&h);
	h_clear(&h);
	h_log(&h, "c-secret");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a closed session's line went to b");
	h_answer(&h, cida, "{}");
	h_clear(&h);

	/* b's own cancelled call is no reason to keep b's lines from b. */
	h_call(&h, b, 7, "4");
	h_send(&h, b, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':4}}");
	h_clear(&h);
	h_log(&h, "b4");
	h_one(&h, b, "notifications/message", 5, 0);
	h_clear(&h);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.log_lines_dropped, 3);

	/* More orphans than the bridge keeps: the forgotten one could be
	 * anybody's, so no guess until it would have expired, though the
	 * child answered every one late. */
	for (i = 0; i <= MUX_ORPHANS_MAX; i++) {
		snprintf(id, sizeof id, "%d", 100 + i);
		cids[i] = h_call(&h, a, 9, id);
		h_send(&h, a, 0, "{'jsonrpc':'2.0','method':"
		    "'notifications/cancelled','params':{'requestId':%s}}", id);
		h_clear(&h);
	}
	for (i = 0; i <= MUX_ORPHANS_MAX; i++)
		h_answer(&h, cids[i], "{}");
	h_clear(&h);
	h_log(&h, "whose?");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a line went to b with an orphan forgotten");
	now += MUX_ORPHAN_GRACE_MS;
	mux_tick(h.m, now);
	h_drain(&h);
	h_clear(&h);	/* b's call timed out meanwhile */
	h_call(&h, b, 10, "5");
	h_log(&h, "b6");
	h_one(&h, b, "notifications/message", 10, 0);
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/*
 * With tokens, one principal's cancel holds back no other principal's
 * guesses than its own's: a user's second session keeps its lines and the
 * child's questions, while another principal's session gets none of them.
 */
START_TEST(test_log_orphans_principal)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*a, *a2, *b;
	struct mux_stats	 st;
	json_object		*r;
	uint64_t		 now = 1000;
	int64_t			 cida, cida2, cidb;

	memset(&cfg, 0, sizeof cfg);
	h_init(&h, &cfg);
	mux_tick(h.m, now);
	h_start(&h);
	a = h_session(&h, "{'sampling':{}}");
	a2 = h_session(&h, "{'sampling':{}}");
	b = h_session(&h, "{'sampling':{}}");
	mux_session_set_principal(a, 1);
	mux_session_set_principal(a2, 1);
	mux_session_set_principal(b, 2);

	/* a cancels its call; a2, the same principal's, alone waits. */
	cida = h_call(&h, a, 1, "1");
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':1}}");
	h_clear(&h);
	cida2 = h_call(&h, a2, 2, "1");
	h_clear(&h);
	h_log(&h, "a2-line");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, a2, NULL) == 1,
	    "a's own cancel kept a2's line (same principal) from a2");
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'q1','method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':1}}");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, a2, NULL) == 1,
	    "a's own cancel kept the child's request from a2");
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.guesses_withheld, 0);
	h_clear(&h);
	h_answer(&h, cida2, "{}");
	h_clear(&h);
	now += MUX_RECENT_ANSWER_MS;
	mux_tick(h.m, now);
	h_drain(&h);
	h_clear(&h);

	/* b, another principal, alone waits: nothing of a's reaches it. */
	cidb = h_call(&h, b, 3, "1");
	h_clear(&h);
	h_log(&h, "a-private");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a's line after a's cancel went to b (another principal)");
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.log_lines_dropped, 1);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'q2','method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':1}}");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a child's request after a's cancel went to b");
	r = h_find(&h, MUX_OUT_CHILD, NULL, "")->msg;
	ck_assert_str_eq(PS(r, "id"), "q2");
	ck_assert_ptr_nonnull(P(r, "error"));
	/* Each guess held back is counted, for /metrics. */
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.guesses_withheld, 2);
	h_clear(&h);
	h_answer(&h, cida, "{}");
	h_answer(&h, cidb, "{}");
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/*
 * A line the child writes just after answering a request may be about that
 * request: while one of another principal (another token) was answered
 * that recently, the one busy session of a different principal is not
 * guessed to be its cause.  One principal's sessions keep their lines.
 */
START_TEST(test_log_recent_principal)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*a, *b, *c;
	struct mux_stats	 st;
	json_object		*r;
	uint64_t		 now = 1000;
	int64_t			 cida, cidb, cidc;

	memset(&cfg, 0, sizeof cfg);
	h_init(&h, &cfg);
	mux_tick(h.m, now);
	h_start(&h);
	a = h_session(&h, "{'sampling':{}}");
	b = h_session(&h, "{'sampling':{}}");
	c = h_session(&h, "{'sampling':{}}");
	mux_session_set_principal(a, 1);
	mux_session_set_principal(b, 2);
	mux_session_set_principal(c, 2);

	/* b waits on a slow call; a's call is answered, then the child logs
	 * about it. */
	cidb = h_call(&h, b, 1, "1");
	cida = h_call(&h, a, 2, "1");
	h_answer(&h, cida, "{}");
	h_clear(&h);
	now += 100;
	mux_tick(h.m, now);
	h_drain(&h);
	h_log(&h, "afteranswer-A-private");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a's line after a's answer went to b (another token)");
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.log_lines_dropped, 1);
	/* ... nor does a request of the child's go to b. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'q1','method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':1}}");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a child's request after a's answer went to b (another token)");
	r = h_find(&h, MUX_OUT_CHILD, NULL, "")->msg;
	ck_assert_str_eq(PS(r, "id"), "q1");
	ck_assert_ptr_nonnull(P(r, "error"));
	h_clear(&h);
	/* A line the child names still goes where it says. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'b1','_meta':{"
	    "'mcpbridge/relatedRequestId':%lld}}}", (long long)cidb);
	h_one(&h, b, "notifications/message", 1, 0);
	h_clear(&h);

	/* Once the window is over, b's guess is made again. */
	now += MUX_RECENT_ANSWER_MS;
	mux_tick(h.m, now);
	h_drain(&h);
	h_clear(&h);
	h_log(&h, "b2");
	h_one(&h, b, "notifications/message", 1, 0);
	h_clear(&h);

	/* Another session of b's own principal answered: b's lines stay
	 * b's. */
	cidc = h_call(&h, c, 3, "1");
	h_answer(&h, cidc, "{}");
	h_clear(&h);
	h_log(&h, "b3");
	h_one(&h, b, "notifications/message", 1, 0);
	h_clear(&h);

	/* A late answer to a's cancelled call counts as a's answer. */
	cida = h_call(&h, a, 4, "2");
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':2}}");
	h_clear(&h);
	h_answer(&h, cida, "{}");
	ck_assert_uint_eq(h.n, 0);
	h_log(&h, "a-late");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a's line after a's late answer went to b");
	now += MUX_RECENT_ANSWER_MS;
	mux_tick(h.m, now);
	h_drain(&h);
	h_clear(&h);
	h_log(&h, "b4");
	h_one(&h, b, "notifications/message", 1, 0);
	h_clear(&h);
	h_answer(&h, cidb, "{}");
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/*
 * A client's notifications/progress is about a request the child sent to
 * that client: it reaches the child only for a progressToken of a request
 * the child sent that very session and that is still pending.
 */
START_TEST(test_client_progress)
{
	struct h		 h;
	struct mux_session	*a, *b;
	struct mux_stats	 st;
	json_object		*r;
	int64_t			 cida, bid;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{'sampling':{}}");
	b = h_session(&h, "{'sampling':{}}");
	cida = h_call(&h, a, 1, "1");
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'q1','method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':1,"
	    "'_meta':{'progressToken':'pt1'}}}");
	r = h_one(&h, a, "sampling/createMessage", 1, 0);
	bid = PI(r, "id");
	h_clear(&h);

	/* b forges progress on the token the child handed a. */
	h_send(&h, b, 0, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':'pt1','progress':1}}");
	ck_assert_msg(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/progress") == 0,
	    "b's progress on a's token reached the child");
	/* A token the child never handed out is nobody's. */
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':1,'progress':1}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/progress"), 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.client_progress_dropped, 2);
	/* a's own progress on its own request goes through as is. */
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':'pt1','progress':2}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/progress"), 1);
	r = h_find(&h, MUX_OUT_CHILD, NULL, "notifications/progress")->msg;
	ck_assert_str_eq(PS(r, "params.progressToken"), "pt1");
	h_clear(&h);
	/* Answered, the request is over, and so is its progress. */
	h_send(&h, a, 0, "{'jsonrpc':'2.0','id':%lld,'result':{'role':"
	    "'assistant','content':{'type':'text','text':'x'},'model':'m'}}",
	    (long long)bid);
	h_clear(&h);
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':'pt1','progress':3}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/progress"), 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.client_progress_dropped, 3);

	/* A task a makes for the child's request keeps its token: a reports
	 * progress on it while the task lives, b still cannot. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'q2','method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':1,"
	    "'task':{'ttl':60000},'_meta':{'progressToken':'pt2'}}}");
	r = h_one(&h, a, "sampling/createMessage", 1, 0);
	bid = PI(r, "id");
	h_clear(&h);
	h_send(&h, a, 0, "{'jsonrpc':'2.0','id':%lld,'result':{'task':{"
	    "'taskId':'t1','status':'working'}}}", (long long)bid);
	h_clear(&h);
	h_send(&h, a, 0, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':'pt2','progress':1}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/progress"), 1);
	h_clear(&h);
	h_send(&h, b, 0, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':'pt2','progress':2}}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/progress"), 0);
	h_answer(&h, cida, "{}");
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/*
 * A child's tasks/ request names a client's task by the bridge's id: only
 * that task's session may get it, under its own id, whatever session the
 * child's hint names.
 */
START_TEST(test_client_task_other_session)
{
	struct h		 h;
	struct mux_session	*a, *b;
	struct hout		*o;
	char			*ta;
	int64_t			 ca, cb;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{'sampling':{},'tasks':{'requests':{'sampling':{"
	    "'createMessage':{}}}}}");
	b = h_session(&h, "{'sampling':{},'tasks':{}}");
	ca = h_client_task(&h, a, 1, "s1", "secret-a", &ta);
	h_answer(&h, ca, "{}");
	h_clear(&h);
	cb = h_call(&h, b, 2, "1");

	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'g1','method':'tasks/get',"
	    "'params':{'taskId':'%s','_meta':{'mcpbridge/relatedRequestId':"
	    "%lld}}}", ta, (long long)cb);
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a's task went to b");
	o = h_find(&h, MUX_OUT_CHILD, NULL, "");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(PS(o->msg, "id"), "g1");
	ck_assert_ptr_nonnull(P(o->msg, "error"));
	h_clear(&h);
	h_child(&h, NULL, "{'jsonrpc':'2.0','id':'g2','method':'tasks/get',"
	    "'params':{'taskId':'%s','_meta':{"
	    "'io.modelcontextprotocol/related-task':{'taskId':'%s'}}}}", ta,
	    "nope");
	ck_assert_msg(h_count(&h, MUX_OUT_SESSION, b, NULL) == 0,
	    "a's task went to b");
	h_clear(&h);
	free(ta);
	h_fini(&h);
}
END_TEST

START_TEST(test_list_changed)
{
	struct h		 h;
	struct mux_session	*a, *b, *c;
	const char		*kinds[] = { "tools", "prompts", "resources" };
	char			 method[64];
	size_t			 i;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	c = mux_session_new(h.m, MUX_TRANSPORT_SSE, NULL);
	h_call(&h, a, 4, "1");
	for (i = 0; i < 3; i++) {
		snprintf(method, sizeof method, "notifications/%s/list_changed",
		    kinds[i]);
		h_child(&h, NULL, "{'jsonrpc':'2.0','method':'%s'}", method);
		ck_assert_uint_eq(h.n, 2);
		h_one(&h, a, method, 0, 0);
		h_one(&h, b, method, 0, 0);
		ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION, c, NULL), 0);
		h_clear(&h);
	}
	/* Unknown notifications belong to nobody. */
	h_child(&h, NULL, "{'jsonrpc':'2.0','method':'notifications/custom'}");
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

/* ---- timeouts ------------------------------------------------------------ */

START_TEST(test_request_timeout)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*a;
	json_object		*r;
	int64_t			 c1, c2;

	memset(&cfg, 0, sizeof cfg);
	cfg.request_timeout_ms = 1000;
	h_init(&h, &cfg);
	h_start(&h);
	a = h_session(&h, "{}");
	mux_tick(h.m, 100);
	c1 = h_call(&h, a, 1, "1");
	mux_tick(h.m, 500);
	c2 = h_call(&h, a, 2, "2");
	mux_tick(h.m, 1099);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_tick(h.m, 1100);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 2);
	r = h_response(&h, a, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	ck_assert_int_eq(PI(h_find(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled")->msg, "params.requestId"), c1);
	h_clear(&h);
	h_answer(&h, c1, "{}");
	ck_assert_uint_eq(h.n, 0);
	h_answer(&h, c2, "{}");
	h_response(&h, a, 2, "2");
	h_clear(&h);
	mux_tick(h.m, 5000);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

/*
 * The child's answer was a line over --max-message-size, dropped by the
 * framer: the request it answers gets an error at once, found by the id
 * one of the line's ends showed.  A line that names no request in flight,
 * or shows no result or error, answers nobody: logged and counted.
 */
START_TEST(test_oversized_answer)
{
	struct h		 h;
	struct mux_session	*a;
	struct mux_stats	 st;
	json_object		*r;
	int64_t			 c1, c2, c3;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	c1 = h_call(&h, a, 1, "1");
	c2 = h_call(&h, a, 2, "'two'");

	mux_child_unreadable(h.m, NULL, json_object_new_int64(c1),
	    MUX_UNREADABLE_ANSWER, 65536, NULL);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, a, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INTERNAL_ERROR);
	ck_assert_msg(strstr(PS(r, "error.message"),
	    "exceeded --max-message-size (65536 bytes)") != NULL, "%s",
	    PS(r, "error.message"));
	h_clear(&h);
	/* Nothing more comes of it (the line is gone for good). */
	h_answer(&h, c1, "{}");
	ck_assert_uint_eq(h.n, 0);

	/* An id but no result or error in sight: it may not be an answer
	 * at all, so it fails nothing. */
	mux_child_unreadable(h.m, NULL, json_object_new_int64(c2), 0, 1024,
	    NULL);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.unreadable_unanswered, 1);
	ck_assert_uint_eq(st.in_flight, 1);

	/* An id the bridge never used answers nobody either. */
	mux_child_unreadable(h.m, NULL, json_object_new_string("x"),
	    MUX_UNREADABLE_ANSWER, 1024, NULL);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.unreadable_unanswered, 2);

	/* Two in flight, the second one's answer named: only that one. */
	c3 = h_call(&h, a, 3, "3");
	mux_child_unreadable(h.m, NULL, json_object_new_int64(c3),
	    MUX_UNREADABLE_ANSWER, 1024, NULL);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, a, 3, "3");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INTERNAL_ERROR);
	h_clear(&h);
	h_answer(&h, c2, "{}");
	h_response(&h, a, 2, "'two'");
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/*
 * An oversized answer with no id in sight is never pinned on a request,
 * not even the only one in flight: it may be the late answer to one that
 * timed out, and the innocent one would fail and then lose its own
 * answer as unknown.  Logged and counted; the request that is in flight
 * gets its real answer.
 */
START_TEST(test_oversized_not_guessed)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*a, *b;
	struct mux_stats	 st;
	json_object		*r;
	int64_t			 ca, cb;

	memset(&cfg, 0, sizeof cfg);
	cfg.request_timeout_ms = 1000;
	h_init(&h, &cfg);
	h_start(&h);
	a = h_session(&h, "{}");
	b = h_session(&h, "{}");
	mux_tick(h.m, 100);
	ca = h_call(&h, a, 1, "1");
	mux_tick(h.m, 1100);
	h_drain(&h);
	r = h_response(&h, a, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	h_clear(&h);
	cb = h_call(&h, b, 1, "1");
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.in_flight, 1);

	/* A's late answer, its id out of sight: B is not blamed. */
	mux_child_unreadable(h.m, NULL, NULL, MUX_UNREADABLE_ANSWER, 1024,
	    NULL);
	/* Nor when the line shows nothing at all. */
	mux_child_unreadable(h.m, NULL, NULL, 0, 1024, NULL);
	/* A's late answer with its id: A is gone, so nobody. */
	mux_child_unreadable(h.m, NULL, json_object_new_int64(ca),
	    MUX_UNREADABLE_ANSWER, 1024, NULL);
	h_drain(&h);
	ck_assert_msg(h.n == 0, "%zu messages, the first %s", h.n,
	    h.n > 0 ? S(h.outs[0].msg) : "");
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.unreadable_unanswered, 3);
	ck_assert_uint_eq(st.in_flight, 1);
	h_answer(&h, cb, "{'ok':1}");
	r = h_response(&h, b, 1, "1");
	ck_assert_int_eq(PI(r, "result.ok"), 1);
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/* An oversized answer to the bridge's own initialize fails the handshake
 * at once, found by its id, instead of after --init-timeout; with no id in
 * sight it is not guessed. */
START_TEST(test_oversized_initialize)
{
	struct h		 h;
	struct mux_session	*s;
	struct mux_stats	 st;
	json_object		*r;
	int64_t			 cid;

	h_init(&h, NULL);
	s = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':0,"
	    "'method':'initialize','params':{'protocolVersion':'2025-11-25',"
	    "'capabilities':{},'clientInfo':{'name':'c','version':'1'}}}"),
	    MUX_RECV_REPLY);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	mux_child_unreadable(h.m, NULL, NULL, MUX_UNREADABLE_ANSWER, 1024,
	    NULL);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.unreadable_unanswered, 1);
	mux_child_unreadable(h.m, NULL, json_object_new_int64(cid),
	    MUX_UNREADABLE_ANSWER, 1024, NULL);
	h_drain(&h);
	ck_assert(!mux_ready(h.m));
	r = h_response(&h, s, 1, "0");
	ck_assert_msg(strstr(PS(r, "error.message"), "--max-message-size") !=
	    NULL, "%s", PS(r, "error.message"));
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/*
 * The child's answer was not JSON the parse policy takes (a NaN from
 * Python's json.dumps, an integer past 64 bits): the request its id names
 * gets an error at once that says why.  A line without an id is chatter
 * and never fails a request, even the only one in flight.
 */
START_TEST(test_invalid_answer)
{
	struct h		 h;
	struct mux_session	*a;
	struct mux_stats	 st;
	json_object		*r;
	int64_t			 c1, c2;

	h_init(&h, NULL);
	h_start(&h);
	a = h_session(&h, "{}");
	c1 = h_call(&h, a, 1, "1");

	/* A banner while one request is in flight: nothing happens. */
	mux_child_unreadable(h.m, NULL, NULL, 0, 65536, "not JSON");
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.in_flight, 1);
	ck_assert_uint_eq(st.unreadable_unanswered, 0);

	/* Its id, but no result or error in sight: not taken for its
	 * answer; logged and counted. */
	mux_child_unreadable(h.m, NULL, json_object_new_int64(c1), 0, 65536,
	    "NaN is not JSON");
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.in_flight, 1);
	ck_assert_uint_eq(st.unreadable_unanswered, 1);

	mux_child_unreadable(h.m, NULL, json_object_new_int64(c1),
	    MUX_UNREADABLE_ANSWER, 65536, "NaN is not JSON");
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, a, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INTERNAL_ERROR);
	ck_assert_str_eq(PS(r, "error.message"), "Internal error: the "
	    "server's answer is not valid JSON (NaN is not JSON)");
	h_clear(&h);

	/* An id no request has, or an answer whose id the policy refused:
	 * logged and counted, nothing sent. */
	c2 = h_call(&h, a, 2, "'two'");
	mux_child_unreadable(h.m, NULL, json_object_new_int64(c2 + 1000),
	    MUX_UNREADABLE_ANSWER, 65536, "integer out of 64-bit range");
	mux_child_unreadable(h.m, NULL, NULL, MUX_UNREADABLE_ANSWER, 65536,
	    "integer out of 64-bit range");
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.unreadable_unanswered, 3);
	h_answer(&h, c2, "{}");
	h_response(&h, a, 2, "'two'");
	h_clear(&h);
	h_fini(&h);
}
END_TEST

/*
 * The child's own request could not be read (over the cap, or not JSON):
 * the child gets an error under its id instead of silence; no client
 * hears of it.  A notification gets nothing.
 */
START_TEST(test_unreadable_child_request)
{
	struct h		 h;
	struct hout		*o;

	h_init(&h, NULL);
	h_start(&h);
	(void)h_session(&h, "{}");

	mux_child_unreadable(h.m, NULL, json_object_new_string("q-1"),
	    MUX_UNREADABLE_METHOD, 65536, "NaN is not JSON");
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(PS(o->msg, "id"), "q-1");
	ck_assert_int_eq(PI(o->msg, "error.code"), JSONRPC_PARSE_ERROR);
	ck_assert_msg(strstr(PS(o->msg, "error.message"), "NaN is not JSON")
	    != NULL, "%s", PS(o->msg, "error.message"));
	h_clear(&h);

	/* A "method" wins over a "result" (a request's params may hold
	 * one). */
	mux_child_unreadable(h.m, NULL, json_object_new_int64(9),
	    MUX_UNREADABLE_METHOD | MUX_UNREADABLE_ANSWER, 65536, NULL);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "");
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(PI(o->msg, "id"), 9);
	ck_assert_int_eq(PI(o->msg, "error.code"), JSONRPC_INVALID_REQUEST);
	ck_assert_msg(strstr(PS(o->msg, "error.message"),
	    "--max-message-size (65536 bytes)") != NULL, "%s",
	    PS(o->msg, "error.message"));
	h_clear(&h);

	/* A notification, or a request whose id was out of sight. */
	mux_child_unreadable(h.m, NULL, NULL, MUX_UNREADABLE_METHOD, 65536,
	    NULL);
	mux_child_unreadable(h.m, NULL, NULL, MUX_UNREADABLE_METHOD, 65536,
	    "not JSON");
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

/* ---- isolation=session --------------------------------------------------- */

START_TEST(test_isolation)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*s1, *s2, *s3;
	struct mux_out		 out;
	json_object		*r;
	int64_t			 cid, bid;
	struct hout		*o;

	memset(&cfg, 0, sizeof cfg);
	cfg.isolation = MUX_ISOLATION_SESSION;
	cfg.max_children = 2;
	h_init(&h, &cfg);
	ck_assert(mux_ready(h.m));
	s1 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	s2 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	s3 = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);

	/* Before initialize: no child, a ping is answered here. */
	h_send(&h, s1, 9, "{'jsonrpc':'2.0','id':'p','method':'ping'}");
	h_response(&h, s1, 9, "'p'");
	h_send(&h, s1, 9, "{'jsonrpc':'2.0','id':'q','method':'tools/list'}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD_START, NULL, NULL), 0);
	h_clear(&h);

	ck_assert_int_eq(h_send(&h, s1, 1, "{'jsonrpc':'2.0','id':'i1',"
	    "'method':'initialize','params':{'protocolVersion':'2025-06-18',"
	    "'capabilities':{'roots':{}},'clientInfo':{'name':'one',"
	    "'version':'1'}}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD_START);
	ck_assert_ptr_eq(h.outs[0].s, s1);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s2, 1, "{'jsonrpc':'2.0','id':'i2',"
	    "'method':'initialize','params':{}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD_START, s2, NULL), 1);
	h_clear(&h);
	ck_assert_int_eq(h_send(&h, s3, 1, "{'jsonrpc':'2.0','id':'i3',"
	    "'method':'initialize','params':{}}"), MUX_RECV_BUSY);
	ck_assert_uint_eq(h.n, 1);
	r = h_response(&h, s3, 1, "'i3'");
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	h_clear(&h);

	/* s1's child sees s1's own initialize (its id rewritten). */
	mux_child_up(h.m, s1);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	o = &h.outs[0];
	ck_assert_int_eq(o->kind, MUX_OUT_CHILD);
	ck_assert_ptr_eq(o->s, s1);
	ck_assert_str_eq(PS(o->msg, "params.clientInfo.name"), "one");
	ck_assert_str_eq(PS(o->msg, "params.protocolVersion"), "2025-06-18");
	ck_assert_str_eq(S(P(o->msg, "params.capabilities")),
	    "{\"roots\":{}}");
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	h_answer_s(&h, s1, cid, "{'protocolVersion':'2025-06-18',"
	    "'capabilities':{},'serverInfo':{'name':'own','version':'1'}}");
	r = h_response(&h, s1, 1, "'i1'");
	ck_assert_str_eq(PS(r, "result.serverInfo.name"), "own");
	ck_assert(mux_session_initialized(s1));
	ck_assert_str_eq(mux_session_version(s1), "2025-06-18");
	h_clear(&h);
	h_send(&h, s1, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/initialized'}");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, s1,
	    "notifications/initialized"), 1);
	h_clear(&h);

	/* Its child's requests go to it, waiting or not. */
	h_child(&h, s1, "{'jsonrpc':'2.0','id':4,'method':'roots/list'}");
	r = h_one(&h, s1, "roots/list", 0, 0);
	bid = PI(r, "id");
	h_clear(&h);
	h_send(&h, s1, 3, "{'jsonrpc':'2.0','id':%lld,'result':{'roots':[]}}",
	    (long long)bid);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, s1, ""), 1);
	ck_assert_int_eq(PI(h.outs[0].msg, "id"), 4);
	h_clear(&h);
	cid = h_call(&h, s1, 5, "1");
	h_child(&h, s1, "{'jsonrpc':'2.0','id':5,'method':'ping'}");
	h_one(&h, s1, "ping", 5, 0);
	h_clear(&h);
	h_child(&h, s1, "{'jsonrpc':'2.0','method':'notifications/custom'}");
	h_one(&h, s1, "notifications/custom", 5, 0);
	h_clear(&h);
	h_answer_s(&h, s1, cid, "{}");
	h_response(&h, s1, 5, "1");
	h_clear(&h);
	/* The shared-child events mean nothing here. */
	mux_child_down(h.m, NULL, "exited");
	mux_child_up(h.m, NULL);
	mux_child_recv(h.m, NULL, J("{'jsonrpc':'2.0','method':'x'}"));
	h_drain(&h);
	ck_assert_uint_eq(h.n, 0);

	/* s2's child fails to start: its initialize errs, the session ends. */
	mux_child_down(h.m, s2, "could not be started");
	h_drain(&h);
	ck_assert_uint_eq(h.n, 2);
	r = h_response(&h, s2, 1, "'i2'");
	ck_assert_ptr_nonnull(strstr(PS(r, "error.message"),
	    "could not be started"));
	ck_assert_int_eq(h.outs[1].kind, MUX_OUT_SESSION_END);
	ck_assert_ptr_eq(h.outs[1].s, s2);
	h_clear(&h);
	mux_session_close(h.m, s2);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_int_eq(h.outs[0].kind, MUX_OUT_CHILD_STOP);
	ck_assert_ptr_eq(h.outs[0].s, s2);
	h_clear(&h);
	/* A slot is free again. */
	ck_assert_int_eq(h_send(&h, s3, 1, "{'jsonrpc':'2.0','id':'i3',"
	    "'method':'initialize','params':{}}"), MUX_RECV_REPLY);
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD_START, s3, NULL), 1);
	h_clear(&h);

	/* The session's child dies: the session ends. */
	cid = h_call(&h, s1, 6, "2");
	mux_child_down(h.m, s1, "killed by signal 9");
	h_drain(&h);
	h_response(&h, s1, 6, "2");
	ck_assert_uint_eq(h_count(&h, MUX_OUT_SESSION_END, s1, NULL), 1);
	h_clear(&h);
	/* Closing asks for the stop; the pointer stays good for that out. */
	mux_session_close(h.m, s1);
	ck_assert(mux_next(h.m, &out));
	ck_assert_int_eq(out.kind, MUX_OUT_CHILD_STOP);
	ck_assert_ptr_eq(out.session, s1);
	ck_assert_ptr_null(mux_session_data(out.session));
	ck_assert(!mux_next(h.m, &out));
	/* A message of the stopped child (s1 is gone: NULL) is ignored. */
	h_fini(&h);
}
END_TEST

/* ---- randomized: K sessions x M requests, the child answers in any order - */

#define RAND_K	20
#define RAND_M	200

/*
 * A session whose own child refused its initialize tries again: what the
 * first attempt declared is replaced, not leaked (LeakSanitizer sees it
 * in the sanitizer build).  Found by tests/fuzz/fuzz_mux.
 */
START_TEST(test_isolation_reinit)
{
	struct h		 h;
	struct mux_config	 cfg;
	struct mux_session	*s;
	json_object		*r;
	int64_t			 cid;

	memset(&cfg, 0, sizeof cfg);
	cfg.isolation = MUX_ISOLATION_SESSION;
	h_init(&h, &cfg);
	s = mux_session_new(h.m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(&h, s, 1, "{'jsonrpc':'2.0','id':1,"
	    "'method':'initialize','params':{'protocolVersion':'2025-06-18',"
	    "'capabilities':{'roots':{}},'clientInfo':{'name':'a',"
	    "'version':'1'}}}"), MUX_RECV_REPLY);
	h_clear(&h);
	mux_child_up(h.m, s);
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	mux_child_recv(h.m, s, J("{'jsonrpc':'2.0','id':%lld,'error':"
	    "{'code':-1,'message':'not now'}}", (long long)cid));
	h_drain(&h);
	r = h_response(&h, s, 1, "1");
	ck_assert_int_eq(PI(r, "error.code"), -1);
	ck_assert(!mux_session_initialized(s));
	h_clear(&h);

	ck_assert_int_eq(h_send(&h, s, 2, "{'jsonrpc':'2.0','id':2,"
	    "'method':'initialize','params':{'protocolVersion':'2025-06-18',"
	    "'capabilities':{'sampling':{}},'clientInfo':{'name':'b',"
	    "'version':'2'}}}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "initialize");
	ck_assert_str_eq(PS(h_find(&h, MUX_OUT_CHILD, NULL, "initialize")->msg,
	    "params.clientInfo.name"), "b");
	h_clear(&h);
	h_answer_s(&h, s, cid, "{'protocolVersion':'2025-06-18',"
	    "'capabilities':{}}");
	h_response(&h, s, 2, "2");
	ck_assert(mux_session_initialized(s));
	h_clear(&h);
	mux_session_close(h.m, s);
	h_drain(&h);
	h_fini(&h);
}
END_TEST

static uint64_t
xorshift(uint64_t *state)
{
	uint64_t	x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* Request i of every session has the same id; three kinds of id. */
static void
rand_id(int i, char *buf, size_t len)
{
	switch (i % 3) {
	case 0:
		snprintf(buf, len, "'r%d'", i);
		break;
	case 1:
		snprintf(buf, len, "%d", i);
		break;
	default:
		snprintf(buf, len, "%lld", ID_2_53_MINUS_1 - i);
		break;
	}
}

struct rand_pending {
	int64_t		cid;
	int64_t		token;		/* 0: none */
	int		k;
	int		i;
};

START_TEST(test_random)
{
	struct h		 h;
	struct mux_session	*s[RAND_K];
	struct rand_pending	*pool;
	size_t			 npool = 0, next = 0, total, done = 0, j, pick;
	int			*order, got[RAND_K][RAND_M];
	int			 prog[RAND_K][RAND_M];
	int			 sent[RAND_K];
	int			 k, i, t;
	uint64_t		 seed = 0x9e3779b97f4a7c15ULL, state;
	const char		*env;
	char			 id[32];
	json_object		*msg, *want;
	struct hout		*o;
	struct mux_stats	 st;

	if ((env = getenv("MUX_SEED")) != NULL)
		seed = strtoull(env, NULL, 0);
	state = seed == 0 ? 1 : seed;
	h_init(&h, NULL);
	h_start(&h);
	for (k = 0; k < RAND_K; k++)
		s[k] = h_session(&h, "{}");
	memset(got, 0, sizeof got);
	memset(prog, 0, sizeof prog);

	/* A random interleaving of all requests, each session's in order. */
	total = RAND_K * RAND_M;
	order = calloc(total, sizeof *order);
	pool = calloc(total, sizeof *pool);
	for (j = 0; j < total; j++)
		order[j] = (int)(j % RAND_K);
	for (j = total - 1; j > 0; j--) {
		pick = xorshift(&state) % (j + 1);
		t = order[j];
		order[j] = order[pick];
		order[pick] = t;
	}
	memset(sent, 0, sizeof sent);

	while (done < total) {
		if (next < total && (npool == 0 || xorshift(&state) % 3 != 0)) {
			/* A client sends its next request. */
			k = order[next++];
			i = sent[k]++;
			rand_id(i, id, sizeof id);
			if (i % 10 == 0)
				h_send(&h, s[k], (uint64_t)(k * RAND_M + i + 1),
				    "{'jsonrpc':'2.0','id':%s,"
				    "'method':'tools/call',"
				    "'params':{'k':%d,'i':%d,'_meta':"
				    "{'progressToken':%d}}}", id, k, i, i % 7);
			else
				h_send(&h, s[k], (uint64_t)(k * RAND_M + i + 1),
				    "{'jsonrpc':'2.0','id':%s,"
				    "'method':'tools/call',"
				    "'params':{'k':%d,'i':%d}}", id, k, i);
		} else {
			/* The child answers one, maybe after progress. */
			pick = xorshift(&state) % npool;
			if (pool[pick].token != 0)
				h_child(&h, NULL, "{'jsonrpc':'2.0','method':"
				    "'notifications/progress','params':"
				    "{'progressToken':%lld,'progress':1}}",
				    (long long)pool[pick].token);
			h_answer(&h, pool[pick].cid,
			    "{'k':%d,'i':%d,'cid':%lld}",
			    pool[pick].k, pool[pick].i,
			    (long long)pool[pick].cid);
			pool[pick] = pool[--npool];
		}
		/* Check and sort what came out. */
		for (j = 0; j < h.n; j++) {
			o = &h.outs[j];
			msg = o->msg;
			if (o->kind == MUX_OUT_CHILD) {
				ck_assert_str_eq(jsonrpc_method(msg),
				    "tools/call");
				pool[npool].cid = PI(msg, "id");
				pool[npool].k = (int)PI(msg, "params.k");
				pool[npool].i = (int)PI(msg, "params.i");
				pool[npool].token = P(msg,
				    "params._meta.progressToken") == NULL ? 0 :
				    PI(msg, "params._meta.progressToken");
				npool++;
				continue;
			}
			ck_assert_int_eq(o->kind, MUX_OUT_SESSION);
			for (k = 0; k < RAND_K && s[k] != o->s; k++)
				;
			ck_assert_int_lt(k, RAND_K);
			if (jsonrpc_method(msg) != NULL) {
				/* Progress: its own, with its own token. */
				ck_assert_str_eq(jsonrpc_method(msg),
				    "notifications/progress");
				i = (int)(o->stream - 1) % RAND_M;
				ck_assert_uint_eq(o->stream - 1,
				    (uint64_t)(k * RAND_M + i));
				ck_assert_int_eq(PI(msg,
				    "params.progressToken"), i % 7);
				ck_assert_int_eq(o->final, 0);
				prog[k][i]++;
				continue;
			}
			i = (int)PI(msg, "result.i");
			ck_assert_msg(PI(msg, "result.k") == k,
			    "seed %llu: session %d got session %lld's answer",
			    (unsigned long long)seed, k,
			    (long long)PI(msg, "result.k"));
			ck_assert_uint_eq(o->stream,
			    (uint64_t)(k * RAND_M + i + 1));
			ck_assert_int_eq(o->final, 1);
			rand_id(i, id, sizeof id);
			want = J("%s", id);
			ck_assert_msg(json_object_equal(jsonrpc_id(msg), want),
			    "seed %llu: id %s, wanted %s",
			    (unsigned long long)seed, S(jsonrpc_id(msg)), id);
			json_object_put(want);
			ck_assert_msg(got[k][i] == 0, "seed %llu: twice",
			    (unsigned long long)seed);
			got[k][i] = 1;
			done++;
		}
		h_clear(&h);
	}
	for (k = 0; k < RAND_K; k++) {
		for (i = 0; i < RAND_M; i++) {
			ck_assert_int_eq(got[k][i], 1);
			ck_assert_int_eq(prog[k][i], i % 10 == 0 ? 1 : 0);
		}
	}
	ck_assert_uint_eq(npool, 0);
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert_uint_eq(st.requests, total);
	ck_assert_uint_eq(st.sessions, RAND_K);
	ck_assert_uint_eq(st.dropped_responses, 0);
	free(order);
	free(pool);
	h_fini(&h);
}
END_TEST

/* The trace hook (mux_config.trace) sees every message a session hands in,
 * as the client wrote it, before the mux rewrites or refuses it. */
struct trace_seen {
	struct mux_session	*s[8];
	char			*text[8];
	size_t			 n;
};

static void
trace_seen_cb(void *arg, struct mux_session *s, json_object *msg)
{
	struct trace_seen	*ts = arg;

	ck_assert_uint_lt(ts->n, 8);
	ts->s[ts->n] = s;
	ts->text[ts->n++] = strdup(json_object_to_json_string_ext(msg,
	    JSON_C_TO_STRING_PLAIN));
}

START_TEST(test_trace_hook)
{
	struct h		 h;
	struct mux_config	 mc;
	struct trace_seen	 ts;
	struct mux_session	*s;
	size_t			 i;

	memset(&ts, 0, sizeof ts);
	memset(&mc, 0, sizeof mc);
	mc.trace = trace_seen_cb;
	mc.trace_arg = &ts;
	h_init(&h, &mc);
	h_start(&h);
	s = h_session(&h, "{}");
	/* initialize and notifications/initialized */
	ck_assert_uint_eq(ts.n, 2);
	ck_assert_ptr_eq(ts.s[0], s);
	ck_assert_ptr_eq(ts.s[1], s);
	ck_assert_ptr_nonnull(strstr(ts.text[0], "\"method\":\"initialize\""));
	h_call(&h, s, 2, "\"c-7\"");
	ck_assert_uint_eq(ts.n, 3);
	/* The client's id, not the child's. */
	ck_assert_ptr_nonnull(strstr(ts.text[2], "\"id\":\"c-7\""));
	/* Refused, and seen all the same. */
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':1}"),
	    MUX_RECV_INVALID);
	ck_assert_uint_eq(ts.n, 4);
	ck_assert_str_eq(ts.text[3], "{\"jsonrpc\":\"2.0\",\"id\":1}");
	for (i = 0; i < ts.n; i++)
		free(ts.text[i]);
	h_fini(&h);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("mux");
	tc = tcase_create("handshake");
	tcase_add_test(tc, test_handshake);
	tcase_add_test(tc, test_handshake_old_child);
	tcase_add_test(tc, test_init_timeout);
	tcase_add_test(tc, test_init_timeout_named);
	tcase_add_test(tc, test_init_timeout_named_isolation);
	tcase_add_test(tc, test_init_error);
	tcase_add_test(tc, test_not_initialized);
	tcase_add_test(tc, test_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("routing");
	tcase_add_test(tc, test_two_sessions_same_ids);
	tcase_add_test(tc, test_many_sessions_same_ids);
	tcase_add_test(tc, test_id_types);
	tcase_add_test(tc, test_duplicate_id);
	tcase_add_test(tc, test_progress);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_close_cancels);
	tcase_add_test(tc, test_subscribe);
	tcase_add_test(tc, test_server_request_routing);
	tcase_add_test(tc, test_server_request_roots_at_start);
	tcase_add_test(tc, test_server_request_latest);
	tcase_add_test(tc, test_server_request_cancel_elicit_complete);
	tcase_add_test(tc, test_tasks);
	tcase_add_test(tc, test_client_task_ids);
	tcase_add_test(tc, test_client_task_other_session);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_tool_filter);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_log_routing);
	tcase_add_test(tc, test_log_orphans);
	tcase_add_test(tc, test_log_recent_principal);
	tcase_add_test(tc, test_log_orphans_principal);
	tcase_add_test(tc, test_client_progress);
	tcase_add_test(tc, test_list_changed);
	tcase_add_test(tc, test_request_timeout);
	tcase_add_test(tc, test_oversized_answer);
	tcase_add_test(tc, test_oversized_not_guessed);
	tcase_add_test(tc, test_oversized_initialize);
	tcase_add_test(tc, test_invalid_answer);
	tcase_add_test(tc, test_unreadable_child_request);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_test(tc, test_child_restart);
	tcase_add_test(tc, test_child_unavailable);
	tcase_add_test(tc, test_isolation);
	tcase_add_test(tc, test_isolation_reinit);
	tcase_add_test(tc, test_trace_hook);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	return s;
}
