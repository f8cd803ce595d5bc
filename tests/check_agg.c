/* SPDX-License-Identifier: ISC */
/*
 * check_agg.c: the aggregated endpoint (agg.c) over three real muxes
 * whose children are the test: the merged initialize, lists merged under
 * NAME__ prefixes (cut names, collisions, a server not ready, a cursor
 * across servers), calls routed by prefix with the client's ids back, a
 * server's request routed to the one client that caused it and its
 * answer back, cancellation, logging/setLevel, a removed server.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "checktest.h"
#include "jsonrpc.h"
#include "modern.h"
#include "mux.h"
#include "rawjson.h"
#include "testjson.h"
#include "toolfilter.h"
#include "xmalloc.h"

#define NSRV	3
#define MAXOUT	64

/* Servers' names; test_prefix_names changes them. */
static const char *names[NSRV] = { "alpha", "beta", "gamma" };

struct t {
	struct agg	*a;
	struct mux	*m[NSRV];
	/* what each child was sent, in order */
	json_object	*child[NSRV];
	/* what the clients were sent */
	struct agg_out	 outs[MAXOUT];
	size_t		 n;
};

static char *deny_secret[] = { (char *)"secret", NULL };
static struct toolfilter alpha_filter = { NULL, 0, deny_secret, 1 };

/* Every mux's outs (its children's in t->child, its sessions' to the
 * agg, which must take them all) and the agg's, until all are quiet. */
static void
t_pump(struct t *t)
{
	struct mux_out	 mo;
	struct agg_out	 ao;
	size_t		 i;
	int		 any;

	do {
		any = 0;
		for (i = 0; i < NSRV; i++) {
			while (mux_next(t->m[i], &mo)) {
				any = 1;
				if (mo.kind == MUX_OUT_CHILD)
					json_object_array_add(t->child[i],
					    mo.msg);
				else if (mo.kind == MUX_OUT_SESSION ||
				    mo.kind == MUX_OUT_SESSION_END)
					ck_assert(agg_server_out(t->a, &mo));
			}
		}
		while (agg_next(t->a, &ao)) {
			any = 1;
			ck_assert_uint_lt(t->n, MAXOUT);
			t->outs[t->n++] = ao;
		}
	} while (any);
}

static void
t_clear(struct t *t)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		json_object_put(t->outs[i].msg);
	t->n = 0;
	for (i = 0; i < NSRV; i++) {
		json_object_put(t->child[i]);
		t->child[i] = json_object_new_array();
	}
}

/* The last request for method child i was sent, or NULL. */
static json_object *
t_child_req(struct t *t, size_t i, const char *method)
{
	json_object	*o, *found = NULL;
	size_t		 j;
	const char	*m;

	for (j = 0; j < json_object_array_length(t->child[i]); j++) {
		o = json_object_array_get_idx(t->child[i], j);
		if ((m = jsonrpc_method(o)) != NULL && strcmp(m, method) == 0)
			found = o;
	}
	return found;
}

/* Child i answers its last request for method with result. */
static void
t_child_answer(struct t *t, size_t i, const char *method, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
t_child_answer(struct t *t, size_t i, const char *method, const char *fmt,
    ...)
{
	json_object	*req, *msg;
	va_list		 ap;

	req = t_child_req(t, i, method);
	ck_assert_msg(req != NULL, "no %s to child %zu", method, i);
	va_start(ap, fmt);
	msg = jsonrpc_result_new(jsonrpc_id(req), Jv(fmt, ap));
	va_end(ap);
	mux_child_recv(t->m[i], NULL, msg);
	t_pump(t);
}

static void
t_child_send(struct t *t, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
t_child_send(struct t *t, size_t i, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	mux_child_recv(t->m[i], NULL, Jv(fmt, ap));
	va_end(ap);
	t_pump(t);
}

static enum mux_recv
t_send(struct t *t, struct agg_session *as, uint64_t stream, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static enum mux_recv
t_send(struct t *t, struct agg_session *as, uint64_t stream, const char *fmt,
    ...)
{
	va_list		 ap;
	enum mux_recv	 r;

	va_start(ap, fmt);
	r = agg_session_recv(t->a, as, Jv(fmt, ap), stream);
	va_end(ap);
	t_pump(t);
	return r;
}

/* The one final out on stream of as. */
static json_object *
t_final(struct t *t, struct agg_session *as, uint64_t stream)
{
	json_object	*found = NULL;
	size_t		 i, n = 0;

	for (i = 0; i < t->n; i++) {
		if (t->outs[i].session == as && t->outs[i].stream == stream &&
		    t->outs[i].final) {
			found = t->outs[i].msg;
			n++;
		}
	}
	ck_assert_uint_eq(n, 1);
	return found;
}

/* Starts child i with instructions of its own and tools/listChanged. */
static void
t_start(struct t *t, size_t i)
{
	json_object	*req;

	mux_child_up(t->m[i], NULL);
	t_pump(t);
	req = t_child_req(t, i, "initialize");
	ck_assert(req != NULL);
	mux_child_recv(t->m[i], NULL, jsonrpc_result_new(jsonrpc_id(req),
	    J("{'protocolVersion':'2025-06-18','capabilities':{'tools':"
	    "{'listChanged':%s},'prompts':{}},'serverInfo':{'name':'%s',"
	    "'version':'1'},'instructions':'I am %s'}", i == 1 ? "true" :
	    "false", names[i], names[i])));
	t_pump(t);
	ck_assert(mux_ready(t->m[i]));
	t_clear(t);
}

/* The agg's --aggregate-timeout for the next t_init (0: none). */
static uint64_t t_list_timeout;

/* started: how many servers are up (in order). */
static void
t_init(struct t *t, size_t started, const char *sep)
{
	struct mux_config	mc;
	struct agg_config	ac;
	size_t			i;

	memset(t, 0, sizeof *t);
	memset(&ac, 0, sizeof ac);
	ac.separator = sep;
	ac.list_timeout_ms = t_list_timeout;
	ac.name = "mcpbridge";
	ac.version = "9.9";
	t->a = agg_new(&ac);
	for (i = 0; i < NSRV; i++) {
		memset(&mc, 0, sizeof mc);
		mc.client_name = "mcpbridge";
		mc.client_version = "9.9";
		if (i == 0)
			mc.tools = &alpha_filter;
		t->m[i] = mux_new(&mc);
		t->child[i] = json_object_new_array();
		ck_assert_uint_eq(agg_add_server(t->a, names[i], t->m[i]), i);
	}
	for (i = 0; i < started; i++)
		t_start(t, i);
}

static void
t_fini(struct t *t)
{
	size_t	i;

	t_clear(t);
	agg_free(t->a);
	for (i = 0; i < NSRV; i++) {
		mux_free(t->m[i]);
		json_object_put(t->child[i]);
	}
}

static struct agg_session *
t_session(struct t *t, const char *caps)
{
	struct agg_session	*as;

	as = agg_session_new(t->a, MUX_TRANSPORT_STREAMABLE, t);
	ck_assert_int_eq(t_send(t, as, 1, "{'jsonrpc':'2.0','id':0,'method':"
	    "'initialize','params':{'protocolVersion':'2025-06-18',"
	    "'capabilities':%s,'clientInfo':{'name':'c','version':'1'}}}",
	    caps), MUX_RECV_REPLY);
	t_clear(t);
	return as;
}

START_TEST(test_names)
{
	char	buf[AGG_NAME_MAX + 1], again[AGG_NAME_MAX + 1];
	char	tool[100];

	agg_name("__", "fs", "read_file", buf);
	ck_assert_str_eq(buf, "fs__read_file");
	memset(tool, 'x', 62);
	tool[62] = '\0';
	/* 2 + 2 + 60 = 64: kept whole. */
	tool[60] = '\0';
	agg_name("__", "fs", tool, buf);
	ck_assert_uint_eq(strlen(buf), 64);
	ck_assert_str_eq(buf + 4, tool);
	/* One more: cut, '-' and 8 hex digits, the same every time. */
	tool[60] = 'x';
	agg_name("__", "fs", tool, buf);
	ck_assert_uint_eq(strlen(buf), AGG_NAME_MAX);
	ck_assert_int_eq(strncmp(buf, "fs__xxxx", 8), 0);
	ck_assert_int_eq(buf[AGG_NAME_MAX - AGG_HASH_HEX - 1], '-');
	ck_assert_uint_eq(strspn(buf + AGG_NAME_MAX - AGG_HASH_HEX,
	    "0123456789abcdef"), AGG_HASH_HEX);
	agg_name("__", "fs", tool, again);
	ck_assert_str_eq(buf, again);
	tool[61] = 'y';
	tool[62] = '\0';
	agg_name("__", "fs", tool, again);
	ck_assert_str_ne(buf, again);

	ck_assert(agg_separator_valid("__"));
	ck_assert(agg_separator_valid("."));
	ck_assert(agg_separator_valid("-x-"));
	ck_assert(!agg_separator_valid(""));
	ck_assert(!agg_separator_valid(NULL));
	ck_assert(!agg_separator_valid("/"));
	ck_assert(!agg_separator_valid("a b"));
	ck_assert(!agg_separator_valid("123456789"));

	ck_assert(agg_names_overlap("__", "a", "a_"));
	ck_assert(agg_names_overlap("__", "a_", "a"));
	ck_assert(agg_names_overlap("___", "fs", "fs__"));
	ck_assert(agg_names_overlap("-x-", "a", "a-x"));
	ck_assert(!agg_names_overlap("-x-", "a", "a-"));
	ck_assert(!agg_names_overlap("__", "a", "b_"));
	ck_assert(!agg_names_overlap("__", "a", "a"));
	ck_assert(!agg_names_overlap("__", "a", "ab"));
	ck_assert(!agg_names_overlap(".", "a", "a_"));
	ck_assert(!agg_names_overlap("_.", "a", "a_"));
}
END_TEST

START_TEST(test_cursor)
{
	json_object	*pairs, *back;
	char		*c;
	const char	*bad[] = { "", "!!!!", "bnVsbA", /* null */
	    "W10", /* [] */ "W1siYSJdXQ", /* [["a"]] */
	    "W1siYSIsMV1d", /* [["a",1]] */ "eyJhIjoxfQ" /* {"a":1} */ };
	size_t		 i;

	pairs = J("[['alpha','p2'],['gamma','x\\u0000y']]");
	c = agg_cursor_encode(pairs);
	ck_assert(strchr(c, '=') == NULL && strchr(c, '+') == NULL &&
	    strchr(c, '/') == NULL);
	back = agg_cursor_decode(c, strlen(c));
	ck_assert(back != NULL);
	ck_assert_str_eq(S(back), S(pairs));
	free(c);
	json_object_put(back);
	json_object_put(pairs);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(agg_cursor_decode(bad[i], strlen(bad[i])) ==
		    NULL, "%s decoded", bad[i]);
}
END_TEST

START_TEST(test_initialize)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r;

	t_init(&t, 2, NULL);
	as = agg_session_new(t.a, MUX_TRANSPORT_STREAMABLE, &t);
	/* Before initialize: ping only. */
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'ping'}");
	ck_assert_str_eq(S(t_final(&t, as, 1)),
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ck_assert_int_eq(PI(t_final(&t, as, 2), "error.code"),
	    JSONRPC_INVALID_REQUEST);
	t_clear(&t);

	ck_assert_int_eq(t_send(&t, as, 3, "{'jsonrpc':'2.0','id':'i',"
	    "'method':'initialize','params':{'protocolVersion':'2025-03-26',"
	    "'capabilities':{'sampling':{}},'clientInfo':{'name':'c',"
	    "'version':'1'}}}"), MUX_RECV_REPLY);
	r = t_final(&t, as, 3);
	ck_assert_str_eq(PS(r, "id"), "i");
	ck_assert_str_eq(PS(r, "result.protocolVersion"), "2025-03-26");
	ck_assert_str_eq(agg_session_version(as), "2025-03-26");
	ck_assert_str_eq(PS(r, "result.serverInfo.name"), "mcpbridge");
	ck_assert_str_eq(PS(r, "result.serverInfo.version"), "9.9");
	/* beta has listChanged; gamma is not up, so it may come. */
	ck_assert(json_object_get_boolean(P(r,
	    "result.capabilities.tools.listChanged")));
	ck_assert(P(r, "result.capabilities.prompts") != NULL);
	ck_assert(P(r, "result.capabilities.logging") != NULL);
	/* gamma may have resources: it is not known yet. */
	ck_assert(json_object_get_boolean(P(r,
	    "result.capabilities.resources.subscribe")));
	ck_assert(P(r, "result.capabilities.completions") == NULL);
	ck_assert(strstr(PS(r, "result.instructions"),
	    "the MCP servers alpha, beta, gamma") != NULL);
	ck_assert(strstr(PS(r, "result.instructions"),
	    "SERVER__NAME") != NULL);
	ck_assert(strstr(PS(r, "result.instructions"),
	    "alpha: I am alpha") != NULL);
	ck_assert(strstr(PS(r, "result.instructions"),
	    "beta: I am beta") != NULL);
	/* Nothing went to any server yet: sessions there open lazily. */
	ck_assert_uint_eq(json_object_array_length(t.child[0]), 0);
	ck_assert_uint_eq(json_object_array_length(t.child[1]), 0);
	t_clear(&t);
	t_send(&t, as, 4, "{'jsonrpc':'2.0','id':'i','method':'initialize',"
	    "'params':{}}");
	ck_assert_int_eq(PI(t_final(&t, as, 4), "error.code"),
	    JSONRPC_INVALID_REQUEST);
	ck_assert_int_eq(t_send(&t, as, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/initialized'}"), MUX_RECV_ACCEPTED);
	/* A batch: answered as one (test_batch). */
	ck_assert_int_eq(t_send(&t, as, 5, "[{'jsonrpc':'2.0','id':1,"
	    "'method':'ping'}]"), MUX_RECV_REPLY);
	ck_assert_int_eq(PI(json_object_array_get_idx(t_final(&t, as, 5), 0),
	    "id"), 1);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

START_TEST(test_tools_list)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r, *req;

	/* gamma is not up: left out. */
	t_init(&t, 2, NULL);
	as = t_session(&t, "{}");
	t_send(&t, as, 7, "{'jsonrpc':'2.0','id':7,'method':'tools/list'}");
	ck_assert_uint_eq(t.n, 0);
	/* Each child got the list request (after the mux's own handshake
	 * with the client's session: nothing else reaches it). */
	ck_assert(t_child_req(&t, 0, "tools/list") != NULL);
	ck_assert(t_child_req(&t, 1, "tools/list") != NULL);
	ck_assert_uint_eq(json_object_array_length(t.child[2]), 0);
	/* beta first: the merge keeps the server order anyway. */
	t_child_answer(&t, 1, "tools/list", "{'tools':[{'name':'echo',"
	    "'inputSchema':{'type':'object'}},{'name':'region','inputSchema':"
	    "{'type':'object','properties':{'r':{'type':'string',"
	    "'x-mcp-header':'Region'}}}}]}");
	ck_assert_uint_eq(t.n, 0);
	t_child_answer(&t, 0, "tools/list", "{'tools':[{'name':'read',"
	    "'description':'r'},{'name':'secret'},{'name':'echo'}]}");
	r = t_final(&t, as, 7);
	ck_assert_int_eq(PI(r, "id"), 7);
	ck_assert_str_eq(S(P(r, "result")), "{\"tools\":["
	    "{\"description\":\"r\",\"name\":\"alpha__read\"},"
	    "{\"name\":\"alpha__echo\"},"
	    "{\"inputSchema\":{\"type\":\"object\"},\"name\":\"beta__echo\"},"
	    "{\"inputSchema\":{\"type\":\"object\",\"properties\":{\"r\":"
	    "{\"type\":\"string\",\"x-mcp-header\":\"Region\"}}},"
	    "\"name\":\"beta__region\"}]}");
	ck_assert(agg_tool_named(t.a, "beta__echo"));
	/* A tool's x-mcp-header annotations are its server's. */
	ck_assert(agg_tool_headers(t.a, "beta__region") != NULL);
	ck_assert_str_eq(S(agg_tool_headers(t.a, "beta__region")),
	    S(mux_tool_headers(t.m[1], "region")));
	ck_assert(agg_tool_headers(t.a, "alpha__region") == NULL);
	ck_assert(agg_tool_headers(t.a, "delta__region") == NULL);
	ck_assert(!agg_tool_named(t.a, "alpha__secret"));
	t_clear(&t);

	/* A call goes to its server under its own name, the client's id
	 * back; the server's id is not the client's. */
	t_send(&t, as, 8, "{'jsonrpc':'2.0','id':'c1','method':'tools/call',"
	    "'params':{'name':'beta__echo','arguments':{'x':1}}}");
	req = t_child_req(&t, 1, "tools/call");
	ck_assert(req != NULL);
	ck_assert_str_eq(PS(req, "params.name"), "echo");
	ck_assert_int_eq(PI(req, "params.arguments.x"), 1);
	ck_assert(t_child_req(&t, 0, "tools/call") == NULL);
	t_child_answer(&t, 1, "tools/call", "{'content':[{'type':'text',"
	    "'text':'one'}]}");
	r = t_final(&t, as, 8);
	ck_assert_str_eq(PS(r, "id"), "c1");
	ck_assert_str_eq(PS(json_object_array_get_idx(P(r, "result.content"),
	    0), "text"), "one");
	t_clear(&t);

	/* A hidden tool: its server's mux refuses it. */
	t_send(&t, as, 9, "{'jsonrpc':'2.0','id':9,'method':'tools/call',"
	    "'params':{'name':'alpha__secret'}}");
	ck_assert(t_child_req(&t, 0, "tools/call") == NULL);
	r = t_final(&t, as, 9);
	/* Named as the client called it. */
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_PARAMS);
	ck_assert_str_eq(PS(r, "error.message"),
	    "Tool not allowed: alpha__secret");
	t_clear(&t);

	/* Unknown prefix, no prefix, a server not up. */
	t_send(&t, as, 10, "{'jsonrpc':'2.0','id':10,'method':'tools/call',"
	    "'params':{'name':'delta__echo'}}");
	r = t_final(&t, as, 10);
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_PARAMS);
	ck_assert_str_eq(PS(r, "error.message"), "Unknown tool: delta__echo");
	t_send(&t, as, 11, "{'jsonrpc':'2.0','id':11,'method':'tools/call',"
	    "'params':{'name':'echo'}}");
	ck_assert_int_eq(PI(t_final(&t, as, 11), "error.code"),
	    JSONRPC_INVALID_PARAMS);
	t_send(&t, as, 12, "{'jsonrpc':'2.0','id':12,'method':'tools/call',"
	    "'params':{'name':'gamma__echo'}}");
	r = t_final(&t, as, 12);
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_SERVER_ERROR);
	ck_assert_str_eq(PS(r, "error.message"),
	    "Server gamma is not available");
	t_send(&t, as, 13, "{'jsonrpc':'2.0','id':13,'method':"
	    "'tasks/list'}");
	ck_assert_int_eq(PI(t_final(&t, as, 13), "error.code"),
	    JSONRPC_METHOD_NOT_FOUND);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

START_TEST(test_prompts_and_separator)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r, *req, *raw;
	char			*line;

	t_init(&t, 3, ".");
	as = t_session(&t, "{}");
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'prompts/list'}");
	t_child_answer(&t, 0, "prompts/list", "{'prompts':[{'name':'p'}]}");
	/* beta has none: a method-not-found error leaves it out. */
	t_child_send(&t, 1, "{'jsonrpc':'2.0','id':%s,'error':{'code':-32601,"
	    "'message':'no'}}", json_object_to_json_string(jsonrpc_id(
	    t_child_req(&t, 1, "prompts/list"))));
	/* gamma's answer passes the mux unparsed, as the framer hands
	 * most answers in (rawjson.h): the merge must look into it. */
	xasprintf(&line, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":"
	    "{\"prompts\":[{\"name\":\"q\"}]}}", json_object_to_json_string(
	    jsonrpc_id(t_child_req(&t, 2, "prompts/list"))));
	raw = rawjson_answer(line, strlen(line));
	free(line);
	ck_assert(raw != NULL);
	ck_assert(rawjson_is(P(raw, "result")));
	mux_child_recv(t.m[2], NULL, raw);
	t_pump(&t);
	ck_assert_str_eq(S(P(t_final(&t, as, 1), "result")),
	    "{\"prompts\":[{\"name\":\"alpha.p\"},{\"name\":\"gamma.q\"}]}");
	t_clear(&t);
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'prompts/get',"
	    "'params':{'name':'gamma.q','arguments':{}}}");
	req = t_child_req(&t, 2, "prompts/get");
	ck_assert_str_eq(PS(req, "params.name"), "q");
	t_child_answer(&t, 2, "prompts/get", "{'messages':[]}");
	r = t_final(&t, as, 2);
	ck_assert_int_eq(PI(r, "id"), 2);
	ck_assert(P(r, "result.messages") != NULL);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

/* Names over 64 characters: cut, and still called; a name that a cut
 * one collides with is left out. */
START_TEST(test_long_names)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r, *req;
	char			 longname[80], cut[AGG_NAME_MAX + 1];

	memset(longname, 'l', 70);
	longname[70] = '\0';
	agg_name("__", "alpha", longname, cut);
	t_init(&t, 1, NULL);
	as = t_session(&t, "{}");
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/list'}");
	/* The second's merged name is the first's cut one. */
	t_child_answer(&t, 0, "tools/list", "{'tools':[{'name':'%s'},"
	    "{'name':'%s'}]}", longname, cut + strlen("alpha__"));
	r = t_final(&t, as, 1);
	ck_assert_uint_eq(json_object_array_length(P(r, "result.tools")), 1);
	ck_assert_str_eq(PS(json_object_array_get_idx(P(r, "result.tools"), 0),
	    "name"), cut);
	t_clear(&t);
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'%s'}}", cut);
	req = t_child_req(&t, 0, "tools/call");
	ck_assert(req != NULL);
	ck_assert_str_eq(PS(req, "params.name"), longname);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

/*
 * Servers "a" and "a_" with the separator "__": "a____y" may be a's
 * "__y" or a_'s "_y".  A call goes to the server whose listed tool
 * (prompt) the name is, never the other; a name not listed that both
 * could own is refused.
 */
START_TEST(test_prefix_names)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r, *req;

	names[0] = "a";
	names[1] = "a_";
	t_init(&t, 2, NULL);
	as = t_session(&t, "{}");
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/list'}");
	t_child_answer(&t, 0, "tools/list", "{'tools':[{'name':'_x'},"
	    "{'name':'y'}]}");
	t_child_answer(&t, 1, "tools/list", "{'tools':[{'name':'x'},"
	    "{'name':'_y'}]}");
	/* a_'s x is a___x, a's _x's name: left out. */
	ck_assert_str_eq(S(P(t_final(&t, as, 1), "result")), "{\"tools\":["
	    "{\"name\":\"a___x\"},{\"name\":\"a__y\"},"
	    "{\"name\":\"a____y\"}]}");
	t_clear(&t);
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'a____y'}}");
	ck_assert_msg(t_child_req(&t, 0, "tools/call") == NULL,
	    "a____y went to a as %s", PS(t_child_req(&t, 0, "tools/call"),
	    "params.name"));
	req = t_child_req(&t, 1, "tools/call");
	ck_assert(req != NULL);
	ck_assert_str_eq(PS(req, "params.name"), "_y");
	t_clear(&t);
	t_send(&t, as, 3, "{'jsonrpc':'2.0','id':3,'method':'tools/call',"
	    "'params':{'name':'a___x'}}");
	ck_assert(t_child_req(&t, 1, "tools/call") == NULL);
	ck_assert_str_eq(PS(t_child_req(&t, 0, "tools/call"), "params.name"),
	    "_x");
	t_clear(&t);
	/* Not listed: one way to cut it names a server, or it is refused. */
	t_send(&t, as, 4, "{'jsonrpc':'2.0','id':4,'method':'tools/call',"
	    "'params':{'name':'a__q'}}");
	ck_assert_str_eq(PS(t_child_req(&t, 0, "tools/call"), "params.name"),
	    "q");
	t_clear(&t);
	t_send(&t, as, 5, "{'jsonrpc':'2.0','id':5,'method':'tools/call',"
	    "'params':{'name':'a____z'}}");
	ck_assert(t_child_req(&t, 0, "tools/call") == NULL);
	ck_assert(t_child_req(&t, 1, "tools/call") == NULL);
	r = t_final(&t, as, 5);
	ck_assert_int_eq(PI(r, "error.code"), JSONRPC_INVALID_PARAMS);
	ck_assert_str_eq(PS(r, "error.message"), "Ambiguous tool: a____z may "
	    "be of more than one server; list them first");
	t_clear(&t);
	/* Prompts the same way, apart from tools. */
	t_send(&t, as, 6, "{'jsonrpc':'2.0','id':6,'method':'prompts/list'}");
	t_child_answer(&t, 0, "prompts/list", "{'prompts':[]}");
	t_child_answer(&t, 1, "prompts/list", "{'prompts':[{'name':'_p'}]}");
	ck_assert_str_eq(S(P(t_final(&t, as, 6), "result")),
	    "{\"prompts\":[{\"name\":\"a____p\"}]}");
	t_clear(&t);
	t_send(&t, as, 7, "{'jsonrpc':'2.0','id':7,'method':'prompts/get',"
	    "'params':{'name':'a____p'}}");
	ck_assert(t_child_req(&t, 0, "prompts/get") == NULL);
	ck_assert_str_eq(PS(t_child_req(&t, 1, "prompts/get"), "params.name"),
	    "_p");
	agg_session_close(t.a, as);
	t_fini(&t);
	names[0] = "alpha";
	names[1] = "beta";
}
END_TEST

/*
 * A ready server that never answers a list holds it no longer than the
 * list timeout: then the list comes without it, the server is asked to
 * cancel, and its late answer goes nowhere.
 */
START_TEST(test_list_timeout)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*req, *cancel;
	size_t			 j;

	t_list_timeout = 2000;
	t_init(&t, 2, NULL);
	t_list_timeout = 0;
	as = t_session(&t, "{}");
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/list'}");
	t_child_answer(&t, 0, "tools/list", "{'tools':[{'name':'read'}]}");
	req = json_object_get(t_child_req(&t, 1, "tools/list"));
	ck_assert(req != NULL);
	/* The first tick starts the clock; before it is out, nothing. */
	agg_tick(t.a, 1000);
	t_pump(&t);
	agg_tick(t.a, 2999);
	t_pump(&t);
	ck_assert_msg(t.n == 0, "answered before the list timeout");
	agg_tick(t.a, 3000);
	t_pump(&t);
	ck_assert_msg(t.n > 0, "no answer after the list timeout");
	ck_assert_str_eq(S(P(t_final(&t, as, 1), "result")),
	    "{\"tools\":[{\"name\":\"alpha__read\"}]}");
	cancel = NULL;
	for (j = 0; j < json_object_array_length(t.child[1]); j++)
		if (strcmp(jsonrpc_method(json_object_array_get_idx(t.child[1],
		    j)), "notifications/cancelled") == 0)
			cancel = json_object_array_get_idx(t.child[1], j);
	ck_assert(cancel != NULL);
	ck_assert_str_eq(S(P(cancel, "params.requestId")), S(P(req, "id")));
	t_clear(&t);
	/* The late answer: dropped. */
	mux_child_recv(t.m[1], NULL, jsonrpc_result_new(jsonrpc_id(req),
	    J("{'tools':[{'name':'late'}]}")));
	t_pump(&t);
	ck_assert_uint_eq(t.n, 0);
	json_object_put(req);
	/* The next list waits for its own time again. */
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	agg_tick(t.a, 3100);
	t_pump(&t);
	t_child_answer(&t, 0, "tools/list", "{'tools':[]}");
	t_child_answer(&t, 1, "tools/list", "{'tools':[{'name':'echo'}]}");
	ck_assert_str_eq(S(P(t_final(&t, as, 2), "result")),
	    "{\"tools\":[{\"name\":\"beta__echo\"}]}");
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

START_TEST(test_cursor_pages)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r, *req;
	char			*cursor;

	t_init(&t, 3, NULL);
	as = t_session(&t, "{}");
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/list'}");
	t_child_answer(&t, 0, "tools/list", "{'tools':[{'name':'a1'}],"
	    "'nextCursor':'A2'}");
	t_child_answer(&t, 1, "tools/list", "{'tools':[{'name':'b1'}]}");
	t_child_answer(&t, 2, "tools/list", "{'tools':[],'nextCursor':'G2'}");
	r = t_final(&t, as, 1);
	ck_assert_uint_eq(json_object_array_length(P(r, "result.tools")), 2);
	cursor = strdup(PS(r, "result.nextCursor"));
	t_clear(&t);
	/* The next page: only the servers with more, each its cursor. */
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'tools/list',"
	    "'params':{'cursor':'%s'}}", cursor);
	free(cursor);
	req = t_child_req(&t, 0, "tools/list");
	ck_assert_str_eq(PS(req, "params.cursor"), "A2");
	ck_assert(t_child_req(&t, 1, "tools/list") == NULL);
	ck_assert_str_eq(PS(t_child_req(&t, 2, "tools/list"),
	    "params.cursor"), "G2");
	t_child_answer(&t, 0, "tools/list", "{'tools':[{'name':'a2'}]}");
	t_child_answer(&t, 2, "tools/list", "{'tools':[{'name':'g2'}]}");
	r = t_final(&t, as, 2);
	ck_assert_str_eq(S(P(r, "result")), "{\"tools\":["
	    "{\"name\":\"alpha__a2\"},{\"name\":\"gamma__g2\"}]}");
	t_clear(&t);
	t_send(&t, as, 3, "{'jsonrpc':'2.0','id':3,'method':'tools/list',"
	    "'params':{'cursor':'bogus'}}");
	ck_assert_int_eq(PI(t_final(&t, as, 3), "error.code"),
	    JSONRPC_INVALID_PARAMS);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

/* A server's request goes to the client whose call caused it, on that
 * call's stream, under the client's own id; the answer goes back. */
START_TEST(test_server_request)
{
	struct t		 t;
	struct agg_session	*as1, *as2;
	json_object		*req, *sreq = NULL, *answer;
	size_t			 i;
	int64_t			 cid;

	t_init(&t, 2, NULL);
	as1 = t_session(&t, "{'sampling':{}}");
	as2 = t_session(&t, "{'sampling':{}}");
	/* as2 has a session at beta, busy with nothing. */
	t_send(&t, as2, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'beta__x'}}");
	t_child_answer(&t, 1, "tools/call", "{'content':[]}");
	t_clear(&t);
	t_send(&t, as1, 5, "{'jsonrpc':'2.0','id':5,'method':'tools/call',"
	    "'params':{'name':'beta__ask','_meta':{'progressToken':'pt'}}}");
	req = t_child_req(&t, 1, "tools/call");
	t_child_send(&t, 1, "{'jsonrpc':'2.0','method':'notifications/"
	    "progress','params':{'progressToken':%s,'progress':1}}",
	    json_object_to_json_string(P(req, "params._meta.progressToken")));
	t_child_send(&t, 1, "{'jsonrpc':'2.0','id':'s1','method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':1}}");
	ck_assert_uint_eq(t.n, 2);
	for (i = 0; i < t.n; i++) {
		ck_assert(t.outs[i].session == as1);
		ck_assert_uint_eq(t.outs[i].stream, 5);
		ck_assert(!t.outs[i].final);
	}
	ck_assert_str_eq(PS(t.outs[0].msg, "params.progressToken"), "pt");
	sreq = t.outs[1].msg;
	ck_assert_str_eq(jsonrpc_method(sreq), "sampling/createMessage");
	cid = PI(sreq, "id");
	json_object_array_del_idx(t.child[1], 0,
	    json_object_array_length(t.child[1]));
	t_send(&t, as1, 6, "{'jsonrpc':'2.0','id':%lld,'result':{'role':"
	    "'assistant','content':{'type':'text','text':'hi'},'model':'m'}}",
	    (long long)cid);
	ck_assert_uint_eq(json_object_array_length(t.child[1]), 1);
	answer = json_object_array_get_idx(t.child[1], 0);
	ck_assert_str_eq(PS(answer, "id"), "s1");
	ck_assert_str_eq(PS(answer, "result.model"), "m");
	/* An answer to nothing is dropped. */
	t_clear(&t);
	t_send(&t, as2, 2, "{'jsonrpc':'2.0','id':%lld,'result':{}}",
	    (long long)cid);
	ck_assert_uint_eq(json_object_array_length(t.child[1]), 0);
	agg_session_close(t.a, as1);
	agg_session_close(t.a, as2);
	t_fini(&t);
}
END_TEST

/* A client's progress on a server's request reaches that server, under
 * its own token, even when another server uses the same token. */
START_TEST(test_client_progress)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*n;
	int64_t			 cid[2];
	size_t			 i;

	t_init(&t, 2, NULL);
	as = t_session(&t, "{'sampling':{}}");
	for (i = 0; i < 2; i++) {
		t_send(&t, as, 5 + i, "{'jsonrpc':'2.0','id':%zu,'method':"
		    "'tools/call','params':{'name':'%s__ask'}}", 5 + i,
		    names[i]);
		t_clear(&t);
		t_child_send(&t, i, "{'jsonrpc':'2.0','id':'s1','method':"
		    "'sampling/createMessage','params':{'messages':[],"
		    "'maxTokens':1,'_meta':{'progressToken':'tok'}}}");
		ck_assert_uint_eq(t.n, 1);
		cid[i] = PI(t.outs[0].msg, "id");
		/* The client sees a token of its session's. */
		ck_assert_int_eq(PI(t.outs[0].msg, "params._meta.progressToken"),
		    cid[i]);
	}
	ck_assert_int_ne(cid[0], cid[1]);
	t_clear(&t);
	t_send(&t, as, 0, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':%lld,'progress':3}}",
	    (long long)cid[1]);
	ck_assert_uint_eq(json_object_array_length(t.child[0]), 0);
	ck_assert_uint_eq(json_object_array_length(t.child[1]), 1);
	n = json_object_array_get_idx(t.child[1], 0);
	ck_assert_str_eq(jsonrpc_method(n), "notifications/progress");
	ck_assert_str_eq(PS(n, "params.progressToken"), "tok");
	ck_assert_int_eq(PI(n, "params.progress"), 3);
	/* A token of no request goes nowhere. */
	t_clear(&t);
	t_send(&t, as, 0, "{'jsonrpc':'2.0','method':'notifications/progress',"
	    "'params':{'progressToken':999,'progress':1}}");
	ck_assert_uint_eq(json_object_array_length(t.child[0]), 0);
	ck_assert_uint_eq(json_object_array_length(t.child[1]), 0);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

/* A batch: each member to its server, the answers as one array, once
 * the last member is answered; a batch of notifications is accepted. */
START_TEST(test_batch)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*fin, *m;
	size_t			 i, n;
	int			 seen = 0;

	t_init(&t, 2, NULL);
	as = t_session(&t, "{}");
	ck_assert_int_eq(t_send(&t, as, 7, "[{'jsonrpc':'2.0','id':1,'method':"
	    "'tools/call','params':{'name':'alpha__x'}},{'jsonrpc':'2.0',"
	    "'id':2,'method':'ping'},{'jsonrpc':'2.0','method':"
	    "'notifications/roots/list_changed'},{'jsonrpc':'2.0','id':3,"
	    "'method':'tools/call','params':{'name':'beta__y'}},{'id':4},"
	    "{'jsonrpc':'2.0','id':5,'method':'initialize','params':{}}]"),
	    MUX_RECV_REPLY);
	for (i = 0; i < t.n; i++)
		ck_assert(!t.outs[i].final);
	t_child_answer(&t, 1, "tools/call", "{'content':[{'type':'text',"
	    "'text':'from beta'}]}");
	for (i = 0; i < t.n; i++)
		ck_assert(!t.outs[i].final);
	t_child_answer(&t, 0, "tools/call", "{'content':[{'type':'text',"
	    "'text':'from alpha'}]}");
	fin = t_final(&t, as, 7);
	ck_assert(json_object_is_type(fin, json_type_array));
	n = json_object_array_length(fin);
	ck_assert_uint_eq(n, 5);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(fin, i);
		if (jsonrpc_get(m, "id", json_type_int) == NULL) {
			ck_assert_int_eq(PI(m, "error.code"), -32600);
			seen |= 1;
			continue;
		}
		switch (PI(m, "id")) {
		case 1:
			/* The mux passes a call's answer unparsed. */
			ck_assert(strstr(json_object_to_json_string(m),
			    "from alpha") != NULL);
			seen |= 2;
			break;
		case 2:
			ck_assert(jsonrpc_get(m, "result", json_type_object));
			seen |= 4;
			break;
		case 3:
			/* The mux passes a call's answer unparsed. */
			ck_assert(strstr(json_object_to_json_string(m),
			    "from beta") != NULL);
			seen |= 8;
			break;
		case 5:
			ck_assert_int_eq(PI(m, "error.code"), -32600);
			seen |= 16;
			break;
		default:
			ck_abort_msg("answer %s", json_object_to_json_string(m));
		}
	}
	ck_assert_int_eq(seen, 31);
	t_clear(&t);
	ck_assert_int_eq(t_send(&t, as, 8, "[{'jsonrpc':'2.0','method':"
	    "'notifications/roots/list_changed'}]"), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(t.n, 0);
	/* A session that goes with a batch half answered frees it. */
	t_send(&t, as, 9, "[{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'alpha__x'}},{'jsonrpc':'2.0','id':2,'method':"
	    "'ping'}]");
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

START_TEST(test_cancel_and_level)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*req, *n;
	size_t			 i;

	t_init(&t, 2, NULL);
	as = t_session(&t, "{}");
	t_send(&t, as, 3, "{'jsonrpc':'2.0','id':3,'method':'tools/call',"
	    "'params':{'name':'alpha__slow'}}");
	req = t_child_req(&t, 0, "tools/call");
	ck_assert(req != NULL);
	t_send(&t, as, 0, "{'jsonrpc':'2.0','method':'notifications/"
	    "cancelled','params':{'requestId':3,'reason':'bored'}}");
	n = t_child_req(&t, 0, "notifications/cancelled");
	ck_assert(n != NULL);
	ck_assert_int_eq(PI(n, "params.requestId"), PI(req, "id"));
	ck_assert_str_eq(PS(n, "params.reason"), "bored");
	/* The client's stream ends without an answer. */
	for (i = 0; i < t.n; i++)
		if (t.outs[i].stream == 3)
			break;
	ck_assert_uint_lt(i, t.n);
	ck_assert(t.outs[i].final && t.outs[i].msg == NULL);
	t_clear(&t);

	/* setLevel: to every server opened (alpha), answered once. */
	t_send(&t, as, 4, "{'jsonrpc':'2.0','id':4,'method':"
	    "'logging/setLevel','params':{'level':'debug'}}");
	ck_assert(t_child_req(&t, 0, "logging/setLevel") != NULL);
	ck_assert(t_child_req(&t, 1, "logging/setLevel") == NULL);
	t_child_answer(&t, 0, "logging/setLevel", "{}");
	ck_assert_str_eq(S(P(t_final(&t, as, 4), "result")), "{}");
	t_clear(&t);
	/* A server opened later gets the level too. */
	t_send(&t, as, 5, "{'jsonrpc':'2.0','id':5,'method':'tools/call',"
	    "'params':{'name':'beta__x'}}");
	req = t_child_req(&t, 1, "logging/setLevel");
	ck_assert(req != NULL);
	ck_assert_str_eq(PS(req, "params.level"), "debug");
	ck_assert(t_child_req(&t, 1, "tools/call") != NULL);
	t_send(&t, as, 6, "{'jsonrpc':'2.0','id':6,'method':"
	    "'logging/setLevel','params':{'level':'loud'}}");
	ck_assert_int_eq(PI(t_final(&t, as, 6), "error.code"),
	    JSONRPC_INVALID_PARAMS);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

/* A server removed: its calls in flight get an error, it leaves the
 * lists, its calls are refused. */
START_TEST(test_removed)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r;

	t_init(&t, 2, NULL);
	as = t_session(&t, "{}");
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'beta__x'}}");
	agg_remove_server(t.a, 1);
	t_pump(&t);
	r = t_final(&t, as, 1);
	ck_assert_int_eq(PI(r, "id"), 1);
	ck_assert_str_eq(PS(r, "error.message"), "Server beta was removed");
	t_clear(&t);
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'tools/list'}");
	ck_assert(t_child_req(&t, 1, "tools/list") == NULL);
	t_child_answer(&t, 0, "tools/list", "{'tools':[{'name':'a'}]}");
	ck_assert_str_eq(S(P(t_final(&t, as, 2), "result")),
	    "{\"tools\":[{\"name\":\"alpha__a\"}]}");
	t_send(&t, as, 3, "{'jsonrpc':'2.0','id':3,'method':'tools/call',"
	    "'params':{'name':'beta__x'}}");
	ck_assert_str_eq(PS(t_final(&t, as, 3), "error.message"),
	    "Unknown tool: beta__x");
	/* Shutting down: what waits gets why. */
	t_clear(&t);
	t_send(&t, as, 4, "{'jsonrpc':'2.0','id':4,'method':'tools/call',"
	    "'params':{'name':'alpha__a'}}");
	agg_fail_all(t.a, "Server shutting down");
	t_pump(&t);
	ck_assert_str_eq(PS(t_final(&t, as, 4), "error.message"),
	    "Server shutting down");
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

/* A server that is down when its session opens: the call's error names
 * it; the next call, once it is up, opens the session anew. */
START_TEST(test_server_down)
{
	struct t		 t;
	struct agg_session	*as;

	t_init(&t, 1, NULL);
	as = t_session(&t, "{}");
	mux_child_down(t.m[0], NULL, "crashed");
	t_pump(&t);
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'alpha__x'}}");
	ck_assert_str_eq(PS(t_final(&t, as, 1), "error.message"),
	    "Server alpha is not available");
	t_clear(&t);
	t_start(&t, 0);
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'alpha__x'}}");
	t_child_answer(&t, 0, "tools/call", "{'content':[]}");
	ck_assert_int_eq(PI(t_final(&t, as, 2), "id"), 2);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

/* Resources: URIs under AGG_URI_SCHEME NAME ":", mapped back on the way
 * in, in read answers and in updates; templates and completions alike. */
START_TEST(test_resources)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r, *req, *raw;
	char			*line;

	t_init(&t, 2, NULL);
	as = t_session(&t, "{}");
	t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':'resources/list'}");
	t_child_answer(&t, 0, "resources/list", "{'resources':[{'uri':"
	    "'file:///a.txt','name':'a'}]}");
	t_child_answer(&t, 1, "resources/list", "{'resources':[{'uri':"
	    "'test://b','name':'b'}],'nextCursor':'n'}");
	r = t_final(&t, as, 1);
	ck_assert_str_eq(S(P(r, "result.resources")), "["
	    "{\"name\":\"a\",\"uri\":\"mcpbridge+alpha:file:///a.txt\"},"
	    "{\"name\":\"b\",\"uri\":\"mcpbridge+beta:test://b\"}]");
	ck_assert(PS(r, "result.nextCursor") != NULL);
	t_clear(&t);

	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':"
	    "'resources/templates/list'}");
	t_child_answer(&t, 0, "resources/templates/list",
	    "{'resourceTemplates':[{'uriTemplate':'x://{id}','name':'x'}]}");
	t_child_answer(&t, 1, "resources/templates/list",
	    "{'resourceTemplates':[]}");
	ck_assert_str_eq(PS(json_object_array_get_idx(P(t_final(&t, as, 2),
	    "result.resourceTemplates"), 0), "uriTemplate"),
	    "mcpbridge+alpha:x://{id}");
	t_clear(&t);

	/* read: the server's own URI there, the merged one back. */
	t_send(&t, as, 3, "{'jsonrpc':'2.0','id':3,'method':'resources/read',"
	    "'params':{'uri':'mcpbridge+beta:test://b'}}");
	req = t_child_req(&t, 1, "resources/read");
	ck_assert_str_eq(PS(req, "params.uri"), "test://b");
	ck_assert(t_child_req(&t, 0, "resources/read") == NULL);
	t_child_answer(&t, 1, "resources/read", "{'contents':[{'uri':"
	    "'test://b','text':'B'},{'text':'no uri'}]}");
	r = t_final(&t, as, 3);
	ck_assert_int_eq(PI(r, "id"), 3);
	ck_assert_str_eq(PS(json_object_array_get_idx(P(r, "result.contents"),
	    0), "uri"), "mcpbridge+beta:test://b");
	ck_assert_str_eq(PS(json_object_array_get_idx(P(r, "result.contents"),
	    1), "text"), "no uri");
	t_clear(&t);

	/* subscribe, then the server's update comes with the merged URI. */
	t_send(&t, as, 4, "{'jsonrpc':'2.0','id':4,'method':"
	    "'resources/subscribe','params':{'uri':'mcpbridge+beta:test://b'}}");
	ck_assert_str_eq(PS(t_child_req(&t, 1, "resources/subscribe"),
	    "params.uri"), "test://b");
	t_child_answer(&t, 1, "resources/subscribe", "{}");
	ck_assert_int_eq(PI(t_final(&t, as, 4), "id"), 4);
	t_clear(&t);
	t_child_send(&t, 1, "{'jsonrpc':'2.0','method':"
	    "'notifications/resources/updated','params':{'uri':'test://b'}}");
	ck_assert_uint_eq(t.n, 1);
	ck_assert(t.outs[0].session == as && !t.outs[0].final);
	ck_assert_str_eq(PS(t.outs[0].msg, "params.uri"),
	    "mcpbridge+beta:test://b");
	t_clear(&t);

	/* completion/complete of a template's argument, and of a prompt's. */
	t_send(&t, as, 5, "{'jsonrpc':'2.0','id':5,'method':"
	    "'completion/complete','params':{'ref':{'type':'ref/resource',"
	    "'uri':'mcpbridge+alpha:x://{id}'},'argument':{'name':'id',"
	    "'value':'1'}}}");
	req = t_child_req(&t, 0, "completion/complete");
	ck_assert_str_eq(PS(req, "params.ref.uri"), "x://{id}");
	ck_assert_str_eq(PS(req, "params.ref.type"), "ref/resource");
	ck_assert_str_eq(PS(req, "params.argument.value"), "1");
	t_send(&t, as, 6, "{'jsonrpc':'2.0','id':6,'method':"
	    "'completion/complete','params':{'ref':{'type':'ref/prompt',"
	    "'name':'beta__p'},'argument':{'name':'a','value':''}}}");
	ck_assert_str_eq(PS(t_child_req(&t, 1, "completion/complete"),
	    "params.ref.name"), "p");
	t_clear(&t);

	/* A tool's resource links and embedded resources, and a prompt's,
	 * name merged URIs, to be read here; other content is left alone.
	 * The call's answer passes the mux unparsed (rawjson.h). */
	t_send(&t, as, 10, "{'jsonrpc':'2.0','id':10,'method':'tools/call',"
	    "'params':{'name':'beta__links'}}");
	xasprintf(&line, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":"
	    "{\"content\":[{\"type\":\"text\",\"text\":\"t\"},"
	    "{\"type\":\"resource_link\",\"uri\":\"test://l\","
	    "\"name\":\"l\"},{\"type\":\"resource\",\"resource\":"
	    "{\"uri\":\"test://e\",\"text\":\"E\"}}]}}",
	    json_object_to_json_string(jsonrpc_id(t_child_req(&t, 1,
	    "tools/call"))));
	raw = rawjson_answer(line, strlen(line));
	free(line);
	ck_assert(raw != NULL && rawjson_is(P(raw, "result")));
	mux_child_recv(t.m[1], NULL, raw);
	t_pump(&t);
	r = P(t_final(&t, as, 10), "result.content");
	ck_assert_str_eq(PS(json_object_array_get_idx(r, 0), "text"), "t");
	ck_assert_str_eq(PS(json_object_array_get_idx(r, 1), "uri"),
	    "mcpbridge+beta:test://l");
	ck_assert_str_eq(PS(json_object_array_get_idx(r, 2), "resource.uri"),
	    "mcpbridge+beta:test://e");
	t_clear(&t);
	t_send(&t, as, 11, "{'jsonrpc':'2.0','id':11,'method':'prompts/get',"
	    "'params':{'name':'alpha__p'}}");
	t_child_answer(&t, 0, "prompts/get", "{'messages':[{'role':'user',"
	    "'content':{'type':'text','text':'hi'}},{'role':'user','content':"
	    "{'type':'resource','resource':{'uri':'x://1','text':'one'}}}]}");
	r = P(t_final(&t, as, 11), "result.messages");
	ck_assert_str_eq(PS(json_object_array_get_idx(r, 0), "content.text"),
	    "hi");
	ck_assert_str_eq(PS(json_object_array_get_idx(r, 1),
	    "content.resource.uri"), "mcpbridge+alpha:x://1");
	t_clear(&t);

	/* URIs that name no server. */
	t_send(&t, as, 7, "{'jsonrpc':'2.0','id':7,'method':'resources/read',"
	    "'params':{'uri':'test://b'}}");
	ck_assert_str_eq(PS(t_final(&t, as, 7), "error.message"),
	    "Unknown resource: test://b");
	t_send(&t, as, 8, "{'jsonrpc':'2.0','id':8,'method':'resources/read',"
	    "'params':{'uri':'mcpbridge+delta:test://b'}}");
	ck_assert_int_eq(PI(t_final(&t, as, 8), "error.code"),
	    JSONRPC_INVALID_PARAMS);
	t_send(&t, as, 9, "{'jsonrpc':'2.0','id':9,'method':'resources/read',"
	    "'params':{'uri':'mcpbridge+alpha:'}}");
	ck_assert_int_eq(PI(t_final(&t, as, 9), "error.code"),
	    JSONRPC_INVALID_PARAMS);
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

#define MODERN_META "'_meta':{'io.modelcontextprotocol/protocolVersion':" \
	"'2026-07-28','io.modelcontextprotocol/clientInfo':{'name':'m'," \
	"'version':'1'},'io.modelcontextprotocol/clientCapabilities':{}}"

/* 2026-07-28: each request its own session, no handshake; discover is
 * answered merged, lists fan out, calls go where the name says. */
START_TEST(test_stateless)
{
	struct t		 t;
	struct agg_session	*as;
	json_object		*r, *req;

	t_init(&t, 2, NULL);
	as = agg_session_new(t.a, MUX_TRANSPORT_STATELESS, &t);
	ck_assert_int_eq(t_send(&t, as, 1, "{'jsonrpc':'2.0','id':1,'method':"
	    "'server/discover','params':{" MODERN_META "}}"), MUX_RECV_REPLY);
	r = t_final(&t, as, 1);
	ck_assert_str_eq(S(P(r, "result.supportedVersions")),
	    "[\"2026-07-28\"]");
	ck_assert(P(r, "result.capabilities.tools") != NULL);
	ck_assert(strstr(PS(r, "result.instructions"), "alpha, beta") !=
	    NULL);
	ck_assert_str_eq(PS(json_object_object_get(P(r,
	    "result._meta"), "io.modelcontextprotocol/serverInfo"), "name"), "mcpbridge");
	ck_assert_uint_eq(json_object_array_length(t.child[0]), 0);
	agg_session_close(t.a, as);
	t_clear(&t);

	as = agg_session_new(t.a, MUX_TRANSPORT_STATELESS, &t);
	t_send(&t, as, 2, "{'jsonrpc':'2.0','id':2,'method':'tools/list',"
	    "'params':{" MODERN_META "}}");
	/* Each server sees its own request, with no initialize first. */
	ck_assert(t_child_req(&t, 0, "initialize") == NULL);
	t_child_answer(&t, 0, "tools/list", "{'tools':[{'name':'a'}]}");
	t_child_answer(&t, 1, "tools/list", "{'tools':[{'name':'b'}]}");
	r = t_final(&t, as, 2);
	ck_assert_str_eq(S(P(r, "result.tools")),
	    "[{\"name\":\"alpha__a\"},{\"name\":\"beta__b\"}]");
	ck_assert_str_eq(PS(r, "result.resultType"), "complete");
	ck_assert_str_eq(PS(json_object_object_get(P(r,
	    "result._meta"), "io.modelcontextprotocol/serverInfo"), "name"), "mcpbridge");
	agg_session_close(t.a, as);
	t_clear(&t);

	as = agg_session_new(t.a, MUX_TRANSPORT_STATELESS, &t);
	t_send(&t, as, 3, "{'jsonrpc':'2.0','id':'c','method':'tools/call',"
	    "'params':{'name':'beta__b','arguments':{}," MODERN_META "}}");
	req = t_child_req(&t, 1, "tools/call");
	ck_assert(req != NULL);
	ck_assert_str_eq(PS(req, "params.name"), "b");
	ck_assert(t_child_req(&t, 0, "tools/call") == NULL);
	t_child_answer(&t, 1, "tools/call", "{'content':[{'type':'text',"
	    "'text':'B'}]}");
	r = t_final(&t, as, 3);
	ck_assert_str_eq(PS(r, "id"), "c");
	ck_assert_str_eq(PS(r, "result.resultType"), "complete");
	agg_session_close(t.a, as);
	t_clear(&t);

	/* subscriptions/listen: one at each server, one acknowledgement of
	 * what some server honours (beta's tools/listChanged), the servers'
	 * notifications under the client's listen id, one end. */
	as = agg_session_new(t.a, MUX_TRANSPORT_STATELESS, &t);
	t_send(&t, as, 4, "{'jsonrpc':'2.0','id':'L','method':"
	    "'subscriptions/listen','params':{'notifications':{"
	    "'toolsListChanged':true,'promptsListChanged':true}," MODERN_META
	    "}}");
	ck_assert_uint_eq(t.n, 1);
	ck_assert(!t.outs[0].final && t.outs[0].stream == 4);
	ck_assert_str_eq(jsonrpc_method(t.outs[0].msg),
	    "notifications/subscriptions/acknowledged");
	ck_assert_str_eq(S(P(t.outs[0].msg, "params.notifications")),
	    "{\"toolsListChanged\":true}");
	ck_assert_str_eq(S(modern_subscription_id(jsonrpc_params(
	    t.outs[0].msg))), "\"L\"");
	t_clear(&t);
	t_child_send(&t, 1, "{'jsonrpc':'2.0','method':"
	    "'notifications/tools/list_changed'}");
	ck_assert_uint_eq(t.n, 1);
	ck_assert(!t.outs[0].final && t.outs[0].stream == 4);
	ck_assert_str_eq(jsonrpc_method(t.outs[0].msg),
	    "notifications/tools/list_changed");
	ck_assert_str_eq(S(modern_subscription_id(jsonrpc_params(
	    t.outs[0].msg))), "\"L\"");
	t_clear(&t);
	agg_session_finish(t.a, as);
	t_pump(&t);
	r = t_final(&t, as, 4);
	ck_assert_str_eq(PS(r, "id"), "L");
	ck_assert_str_eq(PS(r, "result.resultType"), "complete");
	agg_session_close(t.a, as);
	t_fini(&t);
}
END_TEST

/* What a server says on its own: list changes to every session that
 * opened it, its cancellation of its own request under the client's id. */
START_TEST(test_server_notifications)
{
	struct t		 t;
	struct agg_session	*as1, *as2;
	int64_t			 cid;
	size_t			 i, n;

	t_init(&t, 2, NULL);
	as1 = t_session(&t, "{'sampling':{}}");
	as2 = t_session(&t, "{}");
	t_send(&t, as1, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'alpha__x'}}");
	t_send(&t, as2, 1, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'beta__x'}}");
	t_clear(&t);
	t_child_send(&t, 0, "{'jsonrpc':'2.0','method':"
	    "'notifications/tools/list_changed'}");
	for (i = n = 0; i < t.n; i++) {
		ck_assert(t.outs[i].session == as1);
		ck_assert_str_eq(jsonrpc_method(t.outs[i].msg),
		    "notifications/tools/list_changed");
		ck_assert_uint_eq(t.outs[i].stream, 0);
		n++;
	}
	ck_assert_uint_eq(n, 1);
	t_clear(&t);

	t_child_send(&t, 0, "{'jsonrpc':'2.0','id':77,'method':"
	    "'sampling/createMessage','params':{'messages':[],'maxTokens':1}}");
	ck_assert_uint_eq(t.n, 1);
	cid = PI(t.outs[0].msg, "id");
	t_clear(&t);
	t_child_send(&t, 0, "{'jsonrpc':'2.0','method':'notifications/"
	    "cancelled','params':{'requestId':77,'reason':'late'}}");
	ck_assert_uint_eq(t.n, 1);
	ck_assert(t.outs[0].session == as1);
	ck_assert_int_eq(PI(t.outs[0].msg, "params.requestId"), cid);
	ck_assert_str_eq(PS(t.outs[0].msg, "params.reason"), "late");
	agg_session_close(t.a, as1);
	agg_session_close(t.a, as2);
	t_fini(&t);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("agg");
	TCase	*tc = tcase_create("agg");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_cursor);
	tcase_add_test(tc, test_initialize);
	tcase_add_test(tc, test_tools_list);
	tcase_add_test(tc, test_prompts_and_separator);
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_prefix_names);
	tcase_add_test(tc, test_list_timeout);
	tcase_add_test(tc, test_cursor_pages);
	tcase_add_test(tc, test_server_request);
	tcase_add_test(tc, test_client_progress);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_cancel_and_level);
	tcase_add_test(tc, test_removed);
	tcase_add_test(tc, test_server_down);
	tcase_add_test(tc, test_resources);
	tcase_add_test(tc, test_stateless);
	tcase_add_test(tc, test_server_notifications);
	suite_add_tcase(s, tc);
	return s;
}
