/* SPDX-License-Identifier: ISC */
/*
 * check_client_sm.c: client mode's state machine, driven whole: a local
 * client on stdin/stdout and a fake server behind the HTTP operations
 * (clienttest.h).  The era probe, the handshake in each era, answers,
 * input_required rounds, the header-mismatch retry (translated and passed
 * through), refused credentials, a lost session, Retry-After, the request
 * deadline, and the legacy HTTP+SSE transport.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "checktest.h"
#include "clienttest.h"
#include "exitcodes.h"
#include "jsonrpc.h"
#include "mcpwire.h"
#include "testjson.h"

#define INIT(id) "{'jsonrpc':'2.0','id':" id ",'method':'initialize'," \
	"'params':{'protocolVersion':'2025-06-18','capabilities':{}," \
	"'clientInfo':{'name':'local','version':'1'}}}"
#define INITIALIZED "{'jsonrpc':'2.0','method':'notifications/initialized'}"

/* What a fake server remembers across transfers. */
struct srv {
	int		 sessions;	/* initializes answered */
	char		 sid[32];	/* the session it knows */
	int		 lose;		/* answers 404 to the first session */
	int		 calls;		/* tools/call seen */
	int		 mismatch;	/* -32020 until Mcp-Param-Region */
	long		 refuse;	/* an HTTP status for tools/call */
	int		 hang;		/* tools/call never answered */
	int		 unavailable;	/* first tools/list: 503 */
	struct ct_xfer	*stream;	/* legacy: the GET stream */
	struct ct_req	*stream_req;
};

/* The value of key in o (keys with dots or slashes), or NULL. */
static json_object *
get(json_object *o, const char *key)
{
	json_object	*v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The string at key in the first element of the array at path. */
static const char *
first(json_object *o, const char *path, const char *key)
{
	json_object	*a = P(o, path);

	ck_assert(json_object_is_type(a, json_type_array));
	ck_assert_uint_gt(json_object_array_length(a), 0);
	return PS(json_object_array_get_idx(a, 0), key);
}

/* The protocol version a modern request names in its _meta. */
static const char *
meta_version(struct ct_req *r)
{
	json_object	*v = get(P(r->body, "params._meta"),
			    MODERN_META_VERSION);

	return v != NULL ? json_object_get_string(v) : NULL;
}

/* ---- a legacy server: sessions, initialize ---- */

static void
legacy_initialize(struct ct *t, struct ct_xfer *x)
{
	struct srv	*s = t->arg;
	json_object	*o;
	char		 h[128];

	snprintf(s->sid, sizeof s->sid, "s%d", ++s->sessions);
	snprintf(h, sizeof h, "Content-Type: application/json\n"
	    "Mcp-Session-Id: %s", s->sid);
	o = J("{'jsonrpc':'2.0','result':{'protocolVersion':'2025-06-18',"
	    "'capabilities':{'tools':{}},'serverInfo':{'name':'fake-legacy',"
	    "'version':'1'}}}");
	json_object_object_add(o, "id", jsonrpc_id_copy(
	    jsonrpc_id(ct_req_of(x)->body)));
	ct_reply(x, 200, h, S(o));
	json_object_put(o);
}

/* Streamable HTTP, 2025-06-18: no server/discover, no GET stream. */
static void
serve_legacy(struct ct *t, struct ct_xfer *x, struct ct_req *r)
{
	struct srv	*s = t->arg;
	const char	*sid = ct_header(r, "Mcp-Session-Id");

	if (strcmp(r->method, "GET") == 0) {
		ct_reply(x, 405, NULL, NULL);
		return;
	}
	ck_assert_ptr_nonnull(r->body);
	if (r->rpc != NULL && strcmp(r->rpc, "server/discover") == 0) {
		/* What the TypeScript SDK says to a request without a
		 * session. */
		ct_reply(x, 400, "Content-Type: application/json",
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
		    "-32000,\"message\":\"Bad Request: No valid session ID "
		    "provided\"}}");
		return;
	}
	if (r->rpc != NULL && strcmp(r->rpc, "initialize") == 0) {
		legacy_initialize(t, x);
		return;
	}
	if (sid == NULL || strcmp(sid, s->sid) != 0 ||
	    (s->lose && strcmp(sid, "s1") == 0 && ct_id(r) != NULL)) {
		ct_reply(x, 404, "Content-Type: application/json",
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
		    "-32001,\"message\":\"Session not found\"}}");
		return;
	}
	if (ct_id(r) == NULL) {
		ct_reply(x, 202, NULL, NULL);	/* a notification */
		return;
	}
	if (strcmp(r->rpc, "tools/list") == 0) {
		if (s->unavailable-- > 0) {
			ct_reply(x, 503, "Retry-After: 1", NULL);
			return;
		}
		ct_answer(x, "{'tools':[{'name':'echo','inputSchema':"
		    "{'type':'object'}}]}");
		return;
	}
	if (strcmp(r->rpc, "tools/call") == 0) {
		s->calls++;
		if (s->hang)
			return;
		if (s->refuse == 401) {
			ct_rpc_error(x, 401, -32001, "Unauthorized");
			return;
		}
		if (s->refuse != 0) {
			ct_reply(x, s->refuse, NULL, NULL);
			return;
		}
		ct_answer(x, "{'content':[{'type':'text','text':'ok'}]}");
		return;
	}
	ct_rpc_error(x, 200, JSONRPC_METHOD_NOT_FOUND, "Method not found");
}

/* ---- a 2026-07-28 server ---- */

#define GEO_TOOL "{'name':'geo','inputSchema':{'type':'object'," \
	"'properties':{'region':{'type':'string','x-mcp-header':'Region'}}}}"

static void
serve_modern(struct ct *t, struct ct_xfer *x, struct ct_req *r)
{
	struct srv	*s = t->arg;
	const char	*region;
	json_object	*args;

	ck_assert_str_eq(r->method, "POST");
	ck_assert_ptr_nonnull(r->rpc);
	ck_assert_str_eq(ct_header(r, "Mcp-Method"), r->rpc);
	ck_assert_ptr_null(ct_header(r, "Mcp-Session-Id"));
	if (strcmp(r->rpc, "server/discover") == 0) {
		ct_answer(x, "{'resultType':'complete','supportedVersions':"
		    "['2026-07-28'],'capabilities':{'tools':{}},"
		    "'serverInfo':{'name':'fake-modern','version':'2'}}");
		return;
	}
	ck_assert_str_eq(meta_version(r), "2026-07-28");
	if (strcmp(r->rpc, "tools/list") == 0) {
		ct_answer(x, "{'tools':[" GEO_TOOL "]}");
		return;
	}
	if (strcmp(r->rpc, "tools/call") != 0) {
		ct_rpc_error(x, 404, JSONRPC_METHOD_NOT_FOUND,
		    "Method not found");
		return;
	}
	s->calls++;
	if (s->refuse != 0) {
		ct_rpc_error(x, s->refuse, -32001, "Forbidden");
		return;
	}
	if (strcmp(PS(r->body, "params.name"), "task") == 0) {
		ct_answer(x, "{'resultType':'task','task':{'taskId':'t1'}}");
		return;
	}
	if (strcmp(PS(r->body, "params.name"), "ask") == 0) {
		if (P(r->body, "params.inputResponses") == NULL) {
			ct_answer(x, "{'resultType':'input_required',"
			    "'inputRequests':{'q':{'method':"
			    "'elicitation/create','params':{'message':"
			    "'Name?','requestedSchema':{'type':'object',"
			    "'properties':{}}}}},'requestState':'st-1'}");
			return;
		}
		ct_answer(x, "{'content':[{'type':'text','text':'hi %s'}]}",
		    PS(r->body, "params.inputResponses.q.content.name"));
		return;
	}
	/* geo: its argument must come as Mcp-Param-Region too. */
	args = P(r->body, "params.arguments");
	region = ct_header(r, "Mcp-Param-Region");
	if (s->mismatch > 1 || region == NULL ||
	    strcmp(region, PS(args, "region")) != 0) {
		ct_rpc_error(x, 400, MCP_ERROR_HEADER_MISMATCH,
		    "Header mismatch: Mcp-Param-Region");
		return;
	}
	ct_answer(x, "{'content':[{'type':'text','text':'in %s'}]}", region);
}

/* ---- the era probe, the handshake, an answer ---- */

START_TEST(test_probe_legacy)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;
	json_object	*o;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_legacy;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, INITIALIZED);
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ck_assert_int_eq(ct_run(&t), 0);

	/* The probe first, refused as a legacy server does: initialize. */
	r = ct_nth(&t, "POST", NULL, 0);
	ck_assert_str_eq(r->rpc, "server/discover");
	ck_assert_int_eq(ct_count(&t, "POST", "server/discover"), 1);
	r = ct_nth(&t, "POST", "initialize", 0);
	ck_assert_ptr_null(ct_header(r, "Mcp-Session-Id"));
	ck_assert_int_eq(PI(r->body, "id"), 1);
	/* The session and the version go with what follows. */
	r = ct_nth(&t, "POST", "tools/list", 0);
	ck_assert_str_eq(ct_header(r, "Mcp-Session-Id"), "s1");
	ck_assert_str_eq(ct_header(r, "MCP-Protocol-Version"), "2025-06-18");
	ck_assert_int_eq(ct_count(&t, "POST", "notifications/initialized"), 1);
	ck_assert_int_eq(ct_count(&t, "GET", NULL), 1);	/* 405: none */
	/* The answers as the server gave them. */
	o = ct_out_id(&t, "1");
	ck_assert_str_eq(PS(o, "result.serverInfo.name"), "fake-legacy");
	o = ct_out_id(&t, "2");
	ck_assert_str_eq(first(o, "result.tools", "name"), "echo");
	ck_assert_int_eq(t.nout, 2);
	/* The session ends with a DELETE. */
	r = ct_nth(&t, "DELETE", NULL, 0);
	ck_assert_str_eq(ct_header(r, "Mcp-Session-Id"), "s1");
	ct_fini(&t);
}
END_TEST

/* A server that holds server/discover unanswered is no modern one. */
static void
serve_slow_probe(struct ct *t, struct ct_xfer *x, struct ct_req *r)
{
	if (r->rpc != NULL && strcmp(r->rpc, "server/discover") == 0)
		return;		/* until the transfer times out */
	serve_legacy(t, x, r);
}

START_TEST(test_probe_timeout)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.cfg.connect_timeout_ms = 200;
	t.serve = serve_slow_probe;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), 0);
	r = ct_nth(&t, "POST", "server/discover", 0);
	ck_assert_int_eq(r->timeout_ms, 200);
	ck_assert_int_eq(ct_count(&t, "POST", "initialize"), 1);
	ck_assert_str_eq(PS(ct_out_id(&t, "1"), "result.serverInfo.name"),
	    "fake-legacy");
	ct_fini(&t);
}
END_TEST

START_TEST(test_probe_modern)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;
	json_object	*o;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, INITIALIZED);
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ct_send(&t, "{'jsonrpc':'2.0','id':3,'method':'ping'}");
	ck_assert_int_eq(ct_run(&t), 0);

	/* initialize is answered from server/discover; the handshake and
	 * ping never reach the server. */
	ck_assert_int_eq(ct_count(&t, "POST", "server/discover"), 1);
	ck_assert_int_eq(ct_count(&t, "POST", "initialize"), 0);
	ck_assert_int_eq(ct_count(&t, "POST", "notifications/initialized"), 0);
	ck_assert_int_eq(ct_count(&t, "POST", "ping"), 0);
	o = ct_out_id(&t, "1");
	ck_assert_str_eq(PS(o, "result.serverInfo.name"), "fake-modern");
	ck_assert_str_eq(PS(o, "result.protocolVersion"), "2025-06-18");
	ck_assert_ptr_nonnull(P(ct_out_id(&t, "3"), "result"));
	/* A request goes with the modern _meta and an id of ours; its
	 * answer comes back under the local id. */
	r = ct_nth(&t, "POST", "tools/list", 0);
	ck_assert_str_eq(meta_version(r), "2026-07-28");
	ck_assert(json_object_is_type(ct_id(r), json_type_string));
	ck_assert_int_eq(strncmp(json_object_get_string(ct_id(r)),
	    "mcpbridge-", 10), 0);
	ck_assert_str_eq(first(ct_out_id(&t, "2"), "result.tools", "name"),
	    "geo");
	/* No session, so no GET stream and no DELETE. */
	ck_assert_int_eq(ct_count(&t, "GET", NULL), 0);
	ck_assert_int_eq(ct_count(&t, "DELETE", NULL), 0);
	ct_fini(&t);
}
END_TEST

/* ---- input_required ---- */

/* The local client answers the bridge's elicitation/create. */
static void
local_accepts(struct ct *t, json_object *msg)
{
	const char	*m = jsonrpc_method(msg);

	if (m == NULL || strcmp(m, "elicitation/create") != 0 ||
	    jsonrpc_id(msg) == NULL)
		return;
	ct_send(t, "{'jsonrpc':'2.0','id':%s,'result':{'action':'accept',"
	    "'content':{'name':'ann'}}}", S(jsonrpc_id(msg)));
}

START_TEST(test_input_required)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r1, *r2;
	json_object	*ask;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_modern;
	t.local = local_accepts;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, INITIALIZED);
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'ask','arguments':{}}}");
	ck_assert_int_eq(ct_run(&t), 0);

	/* The question went to the local client as a request. */
	ck_assert_int_eq(ct_out_count(&t, "elicitation/create"), 1);
	ask = ct_out_method(&t, "elicitation/create", 0);
	ck_assert_str_eq(PS(ask, "params.message"), "Name?");
	/* The call went again, with a new id, the answer and the state. */
	ck_assert_int_eq(ct_count(&t, "POST", "tools/call"), 2);
	r1 = ct_nth(&t, "POST", "tools/call", 0);
	r2 = ct_nth(&t, "POST", "tools/call", 1);
	ck_assert(!jsonrpc_id_equal(ct_id(r1), ct_id(r2)));
	ck_assert_ptr_null(P(r1->body, "params.requestState"));
	ck_assert_str_eq(PS(r2->body, "params.requestState"), "st-1");
	ck_assert_str_eq(PS(r2->body, "params.inputResponses.q.action"),
	    "accept");
	ck_assert_str_eq(first(ct_out_id(&t, "2"), "result.content", "text"),
	    "hi ann");
	ct_fini(&t);
}
END_TEST

#define PT_META "'_meta':{'io.modelcontextprotocol/protocolVersion':" \
	"'2026-07-28'}"

/* A 2026-07-28 local client asks itself: the round passes through. */
START_TEST(test_input_required_passthru)
{
	struct ct	 t;
	struct srv	 s;
	json_object	*o;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_modern;
	t.local = local_accepts;
	t.arg = &s;
	ct_send(&t, "{'jsonrpc':'2.0','id':'a1','method':'tools/call',"
	    "'params':{'name':'ask','arguments':{}," PT_META "}}");
	ck_assert_int_eq(ct_run(&t), 0);
	ck_assert_int_eq(ct_count(&t, "POST", "tools/call"), 1);
	ck_assert_int_eq(ct_out_count(&t, "elicitation/create"), 0);
	o = ct_out_id(&t, "'a1'");
	ck_assert_str_eq(PS(o, "result.resultType"), "input_required");
	ck_assert_str_eq(PS(o, "result.requestState"), "st-1");
	ck_assert_str_eq(PS(o, "result.inputRequests.q.method"),
	    "elicitation/create");
	ct_fini(&t);
}
END_TEST

/* A result of a kind the bridge does not know: an error for a translated
 * request, handed on as it is to a 2026-07-28 local client. */
START_TEST(test_result_kind)
{
	struct ct	 t;
	struct srv	 s;
	json_object	*o;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'task','arguments':{}}}");
	ck_assert_int_eq(ct_run(&t), EXIT_PROTOCOL);
	o = ct_out_id(&t, "2");
	ck_assert_ptr_nonnull(strstr(PS(o, "error.message"), "task"));
	ct_fini(&t);

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'task','arguments':{}," PT_META "}}");
	ck_assert_int_eq(ct_run(&t), 0);
	o = ct_out_id(&t, "2");
	ck_assert_str_eq(PS(o, "result.task.taskId"), "t1");
	ct_fini(&t);
}
END_TEST

/* ---- the header-mismatch retry ---- */

START_TEST(test_header_mismatch_modern)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, INITIALIZED);
	/* Called without listing the tools first: no Mcp-Param-Region. */
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'geo','arguments':{'region':'eu'}}}");
	ck_assert_int_eq(ct_run(&t), 0);

	/* -32020: the bridge lists the tools (for itself) and calls again
	 * with the header the annotation names. */
	ck_assert_int_eq(ct_count(&t, "POST", "tools/call"), 2);
	ck_assert_int_eq(ct_count(&t, "POST", "tools/list"), 1);
	ck_assert_ptr_null(ct_header(ct_nth(&t, "POST", "tools/call", 0),
	    "Mcp-Param-Region"));
	r = ct_nth(&t, "POST", "tools/list", 0);
	ck_assert_int_lt(ct_nth(&t, "POST", "tools/call", 0)->n, r->n);
	r = ct_nth(&t, "POST", "tools/call", 1);
	ck_assert_str_eq(ct_header(r, "Mcp-Param-Region"), "eu");
	ck_assert_str_eq(first(ct_out_id(&t, "2"), "result.content", "text"),
	    "in eu");
	ck_assert_int_eq(t.nout, 2);	/* our tools/list is not shown */
	ct_fini(&t);
}
END_TEST

/* The retry is made once: a second -32020 is the answer. */
START_TEST(test_header_mismatch_modern_twice)
{
	struct ct	 t;
	struct srv	 s;
	json_object	*o;

	memset(&s, 0, sizeof s);
	s.mismatch = 2;
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'geo','arguments':{'region':'eu'}}}");
	/* The server's own error: the exit status stays 0. */
	ck_assert_int_eq(ct_run(&t), 0);
	ck_assert_int_eq(ct_count(&t, "POST", "tools/call"), 2);
	ck_assert_int_eq(ct_count(&t, "POST", "tools/list"), 1);
	o = ct_out_id(&t, "2");
	ck_assert_int_eq(PI(o, "error.code"), MCP_ERROR_HEADER_MISMATCH);
	ct_fini(&t);
}
END_TEST

/* A 2026-07-28 local client, passed through. */
START_TEST(test_header_mismatch_passthru)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, "{'jsonrpc':'2.0','id':1,'method':'server/discover',"
	    "'params':{" PT_META "}}");
	ct_send(&t, "{'jsonrpc':'2.0','id':'c2','method':'tools/call',"
	    "'params':{'name':'geo','arguments':{'region':'us'}," PT_META
	    "}}");
	ck_assert_int_eq(ct_run(&t), 0);

	/* Ours, then the local client's own. */
	ck_assert_int_eq(ct_count(&t, "POST", "server/discover"), 2);
	ck_assert_ptr_nonnull(P(ct_out_id(&t, "1"),
	    "result.supportedVersions"));
	ck_assert_int_eq(ct_count(&t, "POST", "tools/call"), 2);
	ck_assert_int_eq(ct_count(&t, "POST", "tools/list"), 1);
	r = ct_nth(&t, "POST", "tools/call", 1);
	ck_assert_str_eq(ct_header(r, "Mcp-Param-Region"), "us");
	ck_assert_str_ne(json_object_get_string(ct_id(r)), "c2");
	ck_assert_str_eq(first(ct_out_id(&t, "'c2'"), "result.content", "text"),
	    "in us");
	ck_assert_int_eq(t.nout, 2);
	ct_fini(&t);
}
END_TEST

START_TEST(test_header_mismatch_passthru_twice)
{
	struct ct	 t;
	struct srv	 s;
	json_object	*o;

	memset(&s, 0, sizeof s);
	s.mismatch = 2;
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, "{'jsonrpc':'2.0','id':1,'method':'server/discover',"
	    "'params':{" PT_META "}}");
	ct_send(&t, "{'jsonrpc':'2.0','id':'c2','method':'tools/call',"
	    "'params':{'name':'geo','arguments':{'region':'us'}," PT_META
	    "}}");
	ck_assert_int_eq(ct_run(&t), 0);
	ck_assert_int_eq(ct_count(&t, "POST", "tools/call"), 2);
	ck_assert_int_eq(ct_count(&t, "POST", "tools/list"), 1);
	o = ct_out_id(&t, "'c2'");
	ck_assert_int_eq(PI(o, "error.code"), MCP_ERROR_HEADER_MISMATCH);
	ct_fini(&t);
}
END_TEST

/* ---- refused credentials ---- */

START_TEST(test_noperm_legacy)
{
	struct ct	 t;
	struct srv	 s;
	json_object	*o;
	long		 refuse[] = { 401, 403 };
	size_t		 i;

	for (i = 0; i < 2; i++) {
		memset(&s, 0, sizeof s);
		s.refuse = refuse[i];
		ct_init(&t);
		t.cfg.era = CLIENT_ERA_LEGACY;
		t.serve = serve_legacy;
		t.arg = &s;
		ct_send(&t, INIT("1"));
		ct_send(&t, INITIALIZED);
		ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
		    "'params':{'name':'echo'}}");
		ck_assert_int_eq(ct_run(&t), EXIT_NOPERM);
		ck_assert_int_eq(ct_count(&t, "POST", "server/discover"), 0);
		o = ct_out_id(&t, "2");
		if (refuse[i] == 401)	/* the server's own error */
			ck_assert_str_eq(PS(o, "error.message"),
			    "Unauthorized");
		else {
			ck_assert_int_eq(PI(o, "error.code"),
			    JSONRPC_SERVER_ERROR);
			ck_assert_int_eq(PI(o, "error.data.httpStatus"), 403);
		}
		ct_fini(&t);
	}
}
END_TEST

START_TEST(test_noperm_modern)
{
	struct ct	 t;
	struct srv	 s;
	json_object	*o;

	memset(&s, 0, sizeof s);
	s.refuse = 403;
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'geo','arguments':{'region':'eu'}}}");
	ck_assert_int_eq(ct_run(&t), EXIT_NOPERM);
	o = ct_out_id(&t, "2");
	ck_assert_str_eq(PS(o, "error.message"), "Forbidden");
	ck_assert_int_eq(s.calls, 1);
	ct_fini(&t);
}
END_TEST

START_TEST(test_noperm_passthru)
{
	struct ct	 t;
	struct srv	 s;
	json_object	*o;

	memset(&s, 0, sizeof s);
	s.refuse = 401;
	ct_init(&t);
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, "{'jsonrpc':'2.0','id':'c2','method':'tools/call',"
	    "'params':{'name':'geo','arguments':{'region':'us'}," PT_META
	    "}}");
	ck_assert_int_eq(ct_run(&t), EXIT_NOPERM);
	o = ct_out_id(&t, "'c2'");
	ck_assert_str_eq(PS(o, "error.message"), "Forbidden");
	ct_fini(&t);
}
END_TEST

/* ---- a lost session ---- */

START_TEST(test_session_lost)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;
	size_t		 i, answers = 0;

	memset(&s, 0, sizeof s);
	s.lose = 1;
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.serve = serve_legacy;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, INITIALIZED);
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ck_assert_int_eq(ct_run(&t), 0);

	/* 404: the bridge replays the handshake under an id of its own,
	 * then sends the request again in the new session. */
	ck_assert_int_eq(ct_count(&t, "POST", "initialize"), 2);
	r = ct_nth(&t, "POST", "initialize", 1);
	ck_assert(json_object_is_type(ct_id(r), json_type_string));
	ck_assert_int_eq(strncmp(json_object_get_string(ct_id(r)),
	    "mcpbridge-", 10), 0);
	ck_assert_int_eq(ct_count(&t, "POST", "notifications/initialized"), 2);
	r = ct_nth(&t, "POST", "notifications/initialized", 1);
	ck_assert_str_eq(ct_header(r, "Mcp-Session-Id"), "s2");
	ck_assert_int_eq(ct_count(&t, "POST", "tools/list"), 2);
	ck_assert_str_eq(ct_header(ct_nth(&t, "POST", "tools/list", 0),
	    "Mcp-Session-Id"), "s1");
	ck_assert_str_eq(ct_header(ct_nth(&t, "POST", "tools/list", 1),
	    "Mcp-Session-Id"), "s2");
	/* The local client saw one handshake and its answer. */
	for (i = 0; i < t.nout; i++)
		answers += jsonrpc_classify(t.out[i]) == JSONRPC_RESPONSE;
	ck_assert_int_eq(answers, 2);
	ck_assert_ptr_nonnull(P(ct_out_id(&t, "2"), "result.tools"));
	ck_assert_str_eq(ct_header(ct_nth(&t, "DELETE", NULL, 0),
	    "Mcp-Session-Id"), "s2");
	ct_fini(&t);
}
END_TEST

/* ---- the headers ---- */

/* --header values from the environment go with every transfer, and the
 * variables leave the environment (a child would inherit them). */
START_TEST(test_env_headers)
{
	struct ct	 t;
	struct srv	 s;
	char		*headers[] = { (char *)"X-Key: ${CT_KEY}-${CT_KEY}",
			    (char *)"X-Other: ${CT_OTHER}" };
	size_t		 i;

	setenv("CT_KEY", "k3y", 1);
	setenv("CT_OTHER", "0ther", 1);
	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.cfg.headers = headers;
	t.cfg.nheaders = 2;
	t.serve = serve_legacy;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), 0);
	ck_assert_ptr_null(getenv("CT_KEY"));
	ck_assert_ptr_null(getenv("CT_OTHER"));
	ck_assert_uint_gt(t.nreqs, 1);
	for (i = 0; i < t.nreqs; i++) {
		ck_assert_str_eq(ct_header(t.reqs[i], "X-Key"), "k3y-k3y");
		ck_assert_str_eq(ct_header(t.reqs[i], "X-Other"), "0ther");
	}
	ct_fini(&t);

	/* Unset: a usage error before anything is sent. */
	ct_init(&t);
	t.cfg.headers = headers;
	t.cfg.nheaders = 1;
	t.serve = serve_legacy;
	t.arg = &s;
	ck_assert_int_eq(ct_run(&t), EXIT_USAGE);
	ck_assert_uint_eq(t.nreqs, 0);
	ct_fini(&t);
}
END_TEST

/* ---- unavailable, deadlines ---- */

START_TEST(test_retry_after)
{
	struct ct	 t;
	struct srv	 s;
	uint64_t	 gap;

	memset(&s, 0, sizeof s);
	s.unavailable = 1;
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.serve = serve_legacy;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, INITIALIZED);
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ck_assert_int_eq(ct_run(&t), 0);

	/* 503 with Retry-After: 1: sent again a second later, not at the
	 * backoff's 200ms. */
	ck_assert_int_eq(ct_count(&t, "POST", "tools/list"), 2);
	gap = ct_nth(&t, "POST", "tools/list", 1)->at_ms -
	    ct_nth(&t, "POST", "tools/list", 0)->at_ms;
	ck_assert_uint_ge(gap, 950);
	ck_assert_uint_lt(gap, 5000);	/* roomy: machines are loaded */
	ck_assert_ptr_nonnull(P(ct_out_id(&t, "2"), "result.tools"));
	ct_fini(&t);
}
END_TEST

START_TEST(test_deadline)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;
	json_object	*o;

	memset(&s, 0, sizeof s);
	s.hang = 1;
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.cfg.request_timeout_ms = 300;
	t.serve = serve_legacy;
	t.arg = &s;
	ct_send(&t, INIT("1"));
	ct_send(&t, INITIALIZED);
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'echo'}}");
	ck_assert_int_eq(ct_run(&t), EXIT_TEMPFAIL);

	o = ct_out_id(&t, "2");
	ck_assert_ptr_nonnull(strstr(PS(o, "error.message"),
	    "no answer within 300ms"));
	/* The POST is given up, and the server told to stop. */
	r = ct_nth(&t, "POST", "tools/call", 0);
	ck_assert_int_eq(r->timeout_ms, 0);	/* the deadline is ours */
	ck_assert(r->cancelled);
	r = ct_nth(&t, "POST", "notifications/cancelled", 0);
	ck_assert_int_eq(PI(r->body, "params.requestId"), 2);
	ct_fini(&t);
}
END_TEST

/* ---- the legacy HTTP+SSE transport ---- */

static void
serve_sse(struct ct *t, struct ct_xfer *x, struct ct_req *r)
{
	struct srv	*s = t->arg;
	struct ct_xfer	*stream;
	json_object	*o;

	if (strcmp(r->method, "GET") == 0) {
		ck_assert_str_eq(r->url, "http://mcp.test/mcp");
		ck_assert_str_eq(ct_header(r, "Accept"), "text/event-stream");
		s->stream_req = r;
		ct_open(x, NULL);
		ct_push(x, "event: endpoint\ndata: /messages?session=abc\n\n");
		return;
	}
	if (strcmp(r->method, "POST") == 0 && r->rpc != NULL &&
	    strcmp(r->url, "http://mcp.test/mcp") == 0) {
		/* Streamable HTTP refused: the fallback's cue. */
		ct_reply(x, 405, NULL, NULL);
		return;
	}
	ck_assert_str_eq(r->url, "http://mcp.test/messages?session=abc");
	ck_assert_ptr_null(ct_header(r, "Mcp-Session-Id"));
	ct_reply(x, 202, NULL, NULL);
	if (ct_id(r) == NULL)
		return;
	/* The answer comes on the stream. */
	stream = ct_live(t, s->stream_req);
	ck_assert_ptr_nonnull(stream);
	if (strcmp(r->rpc, "initialize") == 0)
		o = J("{'jsonrpc':'2.0','result':{'protocolVersion':"
		    "'2024-11-05','capabilities':{},'serverInfo':{'name':"
		    "'fake-sse','version':'1'}}}");
	else
		o = J("{'jsonrpc':'2.0','result':{'tools':[]}}");
	json_object_object_add(o, "id", jsonrpc_id_copy(ct_id(r)));
	ct_push(stream, "event: message\ndata: %s\n\n", S(o));
	json_object_put(o);
}

static void
legacy_sse_run(struct ct *t)
{
	struct ct_req	*r;
	size_t		 i;

	ct_send(t, INIT("1"));
	ct_send(t, INITIALIZED);
	ct_send(t, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ck_assert_int_eq(ct_run(t), 0);

	ck_assert_int_eq(ct_count(t, "POST", "server/discover"), 0);
	ck_assert_int_eq(ct_count(t, "GET", NULL), 1);
	for (i = 0; i < ct_count(t, "POST", NULL); i++) {
		r = ct_nth(t, "POST", NULL, i);
		if (strcmp(r->url, "http://mcp.test/mcp") != 0)
			ck_assert_ptr_null(ct_header(r,
			    "MCP-Protocol-Version"));
	}
	ck_assert_int_eq(ct_count(t, "POST", "notifications/initialized"), 1);
	ck_assert_str_eq(PS(ct_out_id(t, "1"), "result.serverInfo.name"),
	    "fake-sse");
	ck_assert_ptr_nonnull(P(ct_out_id(t, "2"), "result.tools"));
	ck_assert_int_eq(t->nout, 2);
	ck_assert_int_eq(ct_count(t, "DELETE", NULL), 0);
}

START_TEST(test_legacy_sse)
{
	struct ct	 t;
	struct srv	 s;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.cfg.transport = CLIENT_TRANSPORT_SSE;
	t.serve = serve_sse;
	t.arg = &s;
	legacy_sse_run(&t);
	/* The stream came first: the endpoint names where to POST. */
	ck_assert_str_eq(ct_nth(&t, NULL, NULL, 0)->method, "GET");
	ck_assert_int_eq(ct_count(&t, "POST", "initialize"), 1);
	ct_fini(&t);
}
END_TEST

/* Not told: Streamable HTTP refused with 405, then HTTP+SSE. */
START_TEST(test_legacy_sse_fallback)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.serve = serve_sse;
	t.arg = &s;
	legacy_sse_run(&t);
	r = ct_nth(&t, "POST", "initialize", 0);
	ck_assert_str_eq(r->url, "http://mcp.test/mcp");
	ck_assert_int_lt(r->n, ct_nth(&t, "GET", NULL, 0)->n);
	ck_assert_int_eq(ct_count(&t, "POST", "initialize"), 2);
	ct_fini(&t);
}
END_TEST

/* ---- failing well: what the user reads ---- */

/* A server that answers every transfer alike: an HTTP answer, or a
 * transfer that fails (result != 0), the first `times` times (0: always),
 * then as serve_legacy. */
struct refusal {
	long		 status;
	const char	*headers;
	const char	*body;
	int		 result;
	const char	*error;
	int		 times;
	int		 seen;
	struct srv	 s;
};

static void
serve_refusal(struct ct *t, struct ct_xfer *x, struct ct_req *r)
{
	struct refusal	*f = t->arg;

	if (f->times != 0 && f->seen >= f->times) {
		t->arg = &f->s;
		serve_legacy(t, x, r);
		t->arg = f;
		return;
	}
	f->seen++;
	if (f->result != 0)
		ct_fail(x, f->result, f->error);
	else
		ct_reply(x, f->status, f->headers, f->body);
}

/* The message of the error the local client got for id 1, checked to be
 * the one the log shows. */
static const char *
refusal_message(struct ct *t)
{
	const char	*m = PS(ct_out_id(t, "1"), "error.message");

	ck_assert_uint_ge(ct_err_count(t, m), 1);
	return m;
}

#define UNAUTHORIZED_BODY "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":" \
	"{\"code\":-32000,\"message\":\"Unauthorized: a valid bearer token " \
	"is required\"}}"

/* A 401 keeps the server's words and says what to do. */
START_TEST(test_unauthorized_words)
{
	struct ct	 t;
	struct refusal	 f;
	const char	*m;
	enum client_era_choice era[] = { CLIENT_ERA_LEGACY, CLIENT_ERA_AUTO };
	size_t		 i;

	for (i = 0; i < 2; i++) {
		memset(&f, 0, sizeof f);
		f.status = 401;
		f.headers = "Content-Type: application/json\n"
		    "WWW-Authenticate: Bearer";
		f.body = UNAUTHORIZED_BODY;
		ct_init(&t);
		t.cfg.era = era[i];
		t.serve = serve_refusal;
		t.arg = &f;
		ct_send(&t, INIT("1"));
		ck_assert_int_eq(ct_run(&t), EXIT_NOPERM);
		m = refusal_message(&t);
		ck_assert_msg(strstr(m, "\"Unauthorized: a valid bearer token "
		    "is required\"") != NULL, "%s", m);
		ck_assert_msg(strstr(m, "--bearer-token-env VAR") != NULL,
		    "%s", m);
		ct_fini(&t);
	}
}
END_TEST

/* A server that advertises OAuth: the hint says how sign-in starts. */
START_TEST(test_unauthorized_oauth)
{
	struct ct	 t;
	struct refusal	 f;
	const char	*m;

	memset(&f, 0, sizeof f);
	f.status = 401;
	f.headers = "WWW-Authenticate: Bearer resource_metadata=\""
	    "http://mcp.test/.well-known/oauth-protected-resource\"";
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.serve = serve_refusal;
	t.arg = &f;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), EXIT_NOPERM);
	m = refusal_message(&t);
	ck_assert_msg(strstr(m, "--bearer-token-env VAR") != NULL, "%s", m);
	ck_assert_msg(strstr(m, "sign in") != NULL &&
	    strstr(m, "without --no-oauth") != NULL, "%s", m);
	ct_fini(&t);
}
END_TEST

/* A token was given and refused: say so, not how to give one. */
START_TEST(test_unauthorized_token)
{
	struct ct	 t;
	struct refusal	 f;
	const char	*m;

	setenv("CT_TOKEN", "t0ken", 1);
	memset(&f, 0, sizeof f);
	f.status = 401;
	f.headers = "Content-Type: application/json\n"
	    "WWW-Authenticate: Bearer error=\"invalid_token\"";
	f.body = UNAUTHORIZED_BODY;
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.cfg.bearer_token_env = "CT_TOKEN";
	t.serve = serve_refusal;
	t.arg = &f;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), EXIT_NOPERM);
	m = refusal_message(&t);
	ck_assert_msg(strstr(m, "a valid bearer token is required") != NULL,
	    "%s", m);
	ck_assert_msg(strstr(m, "refused the token") != NULL, "%s", m);
	ck_assert_ptr_null(strstr(m, "t0ken"));
	ct_fini(&t);
}
END_TEST

/* 403 for want of a scope names it. */
START_TEST(test_forbidden_scope)
{
	struct ct	 t;
	struct refusal	 f;
	const char	*m;

	memset(&f, 0, sizeof f);
	f.status = 403;
	f.headers = "Content-Type: text/plain\nWWW-Authenticate: Bearer "
	    "error=\"insufficient_scope\", scope=\"tools:write\"";
	f.body = "Forbidden: this token may only read\n";
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.serve = serve_refusal;
	t.arg = &f;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), EXIT_NOPERM);
	m = refusal_message(&t);
	ck_assert_msg(strstr(m, "\"Forbidden: this token may only read\"") !=
	    NULL, "%s", m);
	ck_assert_msg(strstr(m, "scope tools:write") != NULL, "%s", m);
	ct_fini(&t);
}
END_TEST

/* The server's words are one printable line, cut at a limit. */
START_TEST(test_server_words_bounded)
{
	struct ct	 t;
	struct refusal	 f;
	const char	*m;
	char		 body[4096];

	memset(body, 'x', sizeof body - 1);
	body[sizeof body - 1] = '\0';
	memcpy(body, "bad\x1b[31mthing\tand ", 18);
	memset(&f, 0, sizeof f);
	f.status = 500;
	f.headers = "Content-Type: text/plain";
	f.body = body;
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.serve = serve_refusal;
	t.arg = &f;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), EXIT_PROTOCOL);
	m = refusal_message(&t);
	ck_assert_msg(strstr(m, "\"bad?[31mthing?and xxx") != NULL, "%s", m);
	ck_assert_msg(strstr(m, "xxx...\"") != NULL, "%s", m);
	ck_assert_uint_lt(strlen(m), 400);
	ct_fini(&t);
}
END_TEST

/* A certificate the bridge cannot trust names --cacert, at once. */
START_TEST(test_untrusted_certificate)
{
	struct ct	 t;
	struct refusal	 f;
	const char	*m;

	memset(&f, 0, sizeof f);
	f.result = CURLE_PEER_FAILED_VERIFICATION;
	f.error = "SSL certificate problem: self-signed certificate";
	ct_init(&t);
	t.cfg.url = "https://mcp.test/mcp";
	t.serve = serve_refusal;
	t.arg = &f;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), EXIT_UNAVAILABLE);
	m = refusal_message(&t);
	ck_assert_msg(strstr(m, "the server's certificate is not trusted: "
	    "SSL certificate problem: self-signed certificate; give its CA "
	    "with --cacert FILE") != NULL, "%s", m);
	ck_assert_int_eq(ct_count(&t, NULL, NULL), 1);
	ct_fini(&t);
}
END_TEST

/* What cannot cure itself fails at once, in one line at error level. */
START_TEST(test_unreachable_at_once)
{
	static const struct {
		const char	*url;
		int		 result;
		const char	*error;
		const char	*hint;
	} cases[] = {
		{ "http://mcp.test/mcp", CURLE_COULDNT_CONNECT,
		  "Failed to connect to mcp.test port 80 after 0 ms: "
		  "Couldn't connect to server", "is the server running" },
		{ "http://mcp.test/mcp", CURLE_COULDNT_RESOLVE_HOST,
		  "Could not resolve host: mcp.test", "host name" },
		{ "https://mcp.test/mcp", CURLE_SSL_CONNECT_ERROR,
		  "OpenSSL/3.0: error:0A00010B:SSL routines::wrong version "
		  "number", "did you mean http://mcp.test/mcp" },
		{ "http://mcp.test/mcp", CURLE_GOT_NOTHING,
		  "Empty reply from server", "did you mean https://mcp.test/mcp" },
	};
	struct ct	 t;
	struct refusal	 f;
	const char	*m;
	size_t		 i;
	size_t		 e;

	/* Each over Streamable HTTP in both eras, and over HTTP+SSE. */
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (e = 0; e < 3; e++) {
			memset(&f, 0, sizeof f);
			f.result = cases[i].result;
			f.error = cases[i].error;
			ct_init(&t);
			t.cfg.url = cases[i].url;
			t.cfg.era = e == 1 ? CLIENT_ERA_AUTO :
			    CLIENT_ERA_LEGACY;
			if (e == 2)
				t.cfg.transport = CLIENT_TRANSPORT_SSE;
			t.serve = serve_refusal;
			t.arg = &f;
			ct_send(&t, INIT("1"));
			ck_assert_int_eq(ct_run(&t), EXIT_UNAVAILABLE);
			m = refusal_message(&t);
			ck_assert_msg(strstr(m, cases[i].error) != NULL &&
			    strstr(m, cases[i].hint) != NULL, "%s", m);
			ck_assert_int_eq(ct_count(&t, NULL, NULL), 1);
			ck_assert_int_eq(ct_err_count(&t, "trying again"), 0);
			ck_assert_int_eq(ct_err_count(&t, ": error: "), 1);
			ck_assert_int_eq(ct_err_count(&t, ": warn: "), 0);
			ct_fini(&t);
		}
	}
}
END_TEST

/* What may cure itself keeps its retries. */
START_TEST(test_transient_retried)
{
	struct ct	 t;
	struct refusal	 f;

	memset(&f, 0, sizeof f);
	f.result = CURLE_RECV_ERROR;
	f.error = "Recv failure: Connection reset by peer";
	f.times = 2;
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.serve = serve_refusal;
	t.arg = &f;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), 0);
	ck_assert_int_eq(ct_count(&t, "POST", "initialize"), 3);
	ck_assert_str_eq(PS(ct_out_id(&t, "1"), "result.serverInfo.name"),
	    "fake-legacy");
	ct_fini(&t);
}
END_TEST

/* A request before initialize, without --oneshot, says what to do. */
START_TEST(test_no_initialize)
{
	struct ct	 t;
	struct srv	 s;
	const char	*m;
	enum client_era_choice era[] = { CLIENT_ERA_LEGACY, CLIENT_ERA_AUTO };
	size_t		 i;

	for (i = 0; i < 2; i++) {
		memset(&s, 0, sizeof s);
		ct_init(&t);
		t.cfg.era = era[i];
		t.serve = serve_legacy;
		t.arg = &s;
		ct_send(&t, "{'jsonrpc':'2.0','id':1,'method':'tools/list'}");
		ck_assert_int_eq(ct_run(&t), EXIT_PROTOCOL);
		m = refusal_message(&t);
		ck_assert_msg(strstr(m, "send initialize first, or use "
		    "--oneshot") != NULL, "%s", m);
		ck_assert_ptr_null(strstr(m, "neither MCP transport"));
		ct_fini(&t);
	}
}
END_TEST

/* A URL that is only a host: a 404 suggests /mcp. */
START_TEST(test_url_hint)
{
	struct ct	 t;
	struct refusal	 f;
	const char	*m;
	static const char *urls[][2] = {
		{ "http://mcp.test/", "did you mean http://mcp.test/mcp" },
		{ "http://mcp.test", "did you mean http://mcp.test/mcp" },
		{ "http://mcp.test/mcp/", "did you mean http://mcp.test/mcp" },
		{ "http://mcp.test/sse", "did you mean http://mcp.test/mcp" },
	};
	size_t		 i;

	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		memset(&f, 0, sizeof f);
		f.status = 404;
		f.headers = "Content-Type: text/plain";
		f.body = "Not Found";
		ct_init(&t);
		t.cfg.url = urls[i][0];
		t.serve = serve_refusal;
		t.arg = &f;
		ct_send(&t, INIT("1"));
		ck_assert_int_eq(ct_run(&t), EXIT_PROTOCOL);
		m = refusal_message(&t);
		ck_assert_msg(strstr(m, urls[i][1]) != NULL, "%s", m);
		ct_fini(&t);
	}
	/* /mcp itself: no guess. */
	memset(&f, 0, sizeof f);
	f.status = 404;
	ct_init(&t);
	t.serve = serve_refusal;
	t.arg = &f;
	ct_send(&t, INIT("1"));
	ck_assert_int_eq(ct_run(&t), EXIT_PROTOCOL);
	ck_assert_ptr_null(strstr(refusal_message(&t), "did you mean"));
	ct_fini(&t);
}
END_TEST

/* ---- --oneshot pipelines ---- */

/* tools/call answered on an event stream, after a progress and a log
 * notification. */
static void
serve_chatty(struct ct *t, struct ct_xfer *x, struct ct_req *r)
{
	json_object	*o;

	if (r->rpc == NULL || strcmp(r->rpc, "tools/call") != 0) {
		serve_legacy(t, x, r);
		return;
	}
	ct_open(x, NULL);
	ct_push_msg(x, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':'p1','progress':1}}");
	ct_push_msg(x, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'info','data':'working'}}");
	o = J("{'jsonrpc':'2.0','result':{'content':[]}}");
	json_object_object_add(o, "id", jsonrpc_id_copy(ct_id(r)));
	ct_push(x, "event: message\ndata: %s\n\n", S(o));
	json_object_put(o);
	ct_end(x);
}

START_TEST(test_oneshot_answers_only)
{
	struct ct	 t;
	struct srv	 s;
	int		 notes;

	for (notes = 0; notes < 2; notes++) {
		memset(&s, 0, sizeof s);
		ct_init(&t);
		t.cfg.era = CLIENT_ERA_LEGACY;
		t.cfg.oneshot = 1;
		t.cfg.notifications = notes;
		t.serve = serve_chatty;
		t.arg = &s;
		ct_send(&t, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
		    "'params':{'name':'echo','_meta':{'progressToken':'p1'}}}");
		ck_assert_int_eq(ct_run(&t), 0);
		ck_assert_ptr_nonnull(P(ct_out_id(&t, "1"), "result"));
		if (notes) {
			/* --notifications: on stdout as they came. */
			ck_assert_int_eq(t.nout, 3);
			ck_assert_int_eq(ct_out_count(&t,
			    "notifications/progress"), 1);
			ck_assert_int_eq(ct_out_count(&t,
			    "notifications/message"), 1);
		} else {
			/* Only the answer on stdout; the rest in the log. */
			ck_assert_int_eq(t.nout, 1);
			ck_assert_uint_eq(ct_err_count(&t,
			    "notifications/progress"), 1);
			ck_assert_uint_eq(ct_err_count(&t, "working"), 1);
		}
		ct_fini(&t);
	}
}
END_TEST

/* A JSON-RPC error answer is a failure for a pipeline (only). */
START_TEST(test_oneshot_error_status)
{
	struct ct	 t;
	struct srv	 s;
	int		 oneshot;

	for (oneshot = 0; oneshot < 2; oneshot++) {
		memset(&s, 0, sizeof s);
		ct_init(&t);
		t.cfg.era = CLIENT_ERA_LEGACY;
		t.cfg.oneshot = oneshot;
		t.serve = serve_legacy;
		t.arg = &s;
		if (!oneshot)
			ct_send(&t, INIT("1"));
		ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'no/such'}");
		ck_assert_int_eq(ct_run(&t), oneshot ? EXIT_RPCERROR : 0);
		ck_assert_int_eq(PI(ct_out_id(&t, "2"), "error.code"),
		    JSONRPC_METHOD_NOT_FOUND);
		ct_fini(&t);
	}
}
END_TEST

/* A 2026-07-28 server's result with the revision's extras. */
static void
serve_modern_extras(struct ct *t, struct ct_xfer *x, struct ct_req *r)
{
	if (strcmp(r->rpc, "tools/list") != 0) {
		serve_modern(t, x, r);
		return;
	}
	ct_answer(x, "{'resultType':'complete','tools':[],'ttlMs':0,"
	    "'cacheScope':'private','_meta':{"
	    "'io.modelcontextprotocol/serverInfo':{'name':'m','version':'1'}}}");
}

/* The answer to a legacy-shaped request has the legacy shape, whatever
 * the era: the 2026-07-28 extras are not forced on it (a pipeline's
 * output does not change with the server). */
START_TEST(test_result_shape)
{
	struct ct	 t;
	struct srv	 s;
	json_object	*o;
	int		 oneshot;

	for (oneshot = 0; oneshot < 2; oneshot++) {
		memset(&s, 0, sizeof s);
		ct_init(&t);
		t.cfg.oneshot = oneshot;
		t.serve = serve_modern_extras;
		t.arg = &s;
		if (!oneshot)
			ct_send(&t, INIT("1"));
		ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
		ck_assert_int_eq(ct_run(&t), 0);
		o = ct_out_id(&t, "2");
		ck_assert_ptr_nonnull(P(o, "result.tools"));
		ck_assert_ptr_null(P(o, "result.resultType"));
		ck_assert_ptr_null(P(o, "result.ttlMs"));
		ck_assert_ptr_null(P(o, "result.cacheScope"));
		ct_fini(&t);
	}
	/* A 2026-07-28 local client gets them as they came. */
	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.serve = serve_modern_extras;
	t.arg = &s;
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/list',"
	    "'params':{" PT_META "}}");
	ck_assert_int_eq(ct_run(&t), 0);
	ck_assert_str_eq(PS(ct_out_id(&t, "2"), "result.resultType"),
	    "complete");
	ct_fini(&t);
}
END_TEST

/* --protocol-version: the version of --oneshot's own handshake. */
START_TEST(test_oneshot_version)
{
	struct ct	 t;
	struct srv	 s;
	struct ct_req	*r;

	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.cfg.era = CLIENT_ERA_LEGACY;
	t.cfg.oneshot = 1;
	t.cfg.protocol_version = "2025-03-26";
	t.serve = serve_legacy;
	t.arg = &s;
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ck_assert_int_eq(ct_run(&t), 0);
	r = ct_nth(&t, "POST", "initialize", 0);
	ck_assert_str_eq(PS(r->body, "params.protocolVersion"), "2025-03-26");
	ck_assert_ptr_nonnull(P(ct_out_id(&t, "2"), "result.tools"));
	ct_fini(&t);

	/* 2026-07-28: no initialize, no probe to guess with. */
	memset(&s, 0, sizeof s);
	ct_init(&t);
	t.cfg.oneshot = 1;
	t.cfg.protocol_version = "2026-07-28";
	t.serve = serve_modern;
	t.arg = &s;
	ct_send(&t, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ck_assert_int_eq(ct_run(&t), 0);
	ck_assert_int_eq(ct_count(&t, "POST", "initialize"), 0);
	ck_assert_str_eq(meta_version(ct_nth(&t, "POST", "tools/list", 0)),
	    "2026-07-28");
	ck_assert_ptr_nonnull(P(ct_out_id(&t, "2"), "result.tools"));
	ct_fini(&t);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("client_sm");
	tc = tcase_create("client_sm");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_probe_legacy);
	tcase_add_test(tc, test_probe_timeout);
	tcase_add_test(tc, test_probe_modern);
	tcase_add_test(tc, test_input_required);
	tcase_add_test(tc, test_input_required_passthru);
	tcase_add_test(tc, test_result_kind);
	tcase_add_test(tc, test_header_mismatch_modern);
	tcase_add_test(tc, test_header_mismatch_modern_twice);
	tcase_add_test(tc, test_header_mismatch_passthru);
	tcase_add_test(tc, test_header_mismatch_passthru_twice);
	tcase_add_test(tc, test_noperm_legacy);
	tcase_add_test(tc, test_noperm_modern);
	tcase_add_test(tc, test_noperm_passthru);
	tcase_add_test(tc, test_session_lost);
	tcase_add_test(tc, test_env_headers);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_deadline);
	tcase_add_test(tc, test_legacy_sse);
	tcase_add_test(tc, test_legacy_sse_fallback);
	tcase_add_test(tc, test_unauthorized_words);
	tcase_add_test(tc, test_unauthorized_oauth);
	tcase_add_test(tc, test_unauthorized_token);
	tcase_add_test(tc, test_forbidden_scope);
	tcase_add_test(tc, test_server_words_bounded);
	tcase_add_test(tc, test_untrusted_certificate);
	tcase_add_test(tc, test_unreachable_at_once);
	tcase_add_test(tc, test_transient_retried);
	tcase_add_test(tc, test_no_initialize);
	tcase_add_test(tc, test_url_hint);
	tcase_add_test(tc, test_oneshot_answers_only);
	tcase_add_test(tc, test_oneshot_error_status);
	tcase_add_test(tc, test_result_shape);
	tcase_add_test(tc, test_oneshot_version);
	suite_add_tcase(s, tc);
	return s;
}
