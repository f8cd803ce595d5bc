/* SPDX-License-Identifier: ISC */
/*
 * check_modern.c: serving MCP 2026-07-28 clients from a legacy child.  The
 * pure parts (modern.c) directly; the stateful ones (input_required
 * rounds, requestState expiry, listen streams, cancellation) through the
 * multiplexer with a fake child, as check_mux.c does.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>
#include <json-c/json.h>

#include "checktest.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "modern.h"
#include "mux.h"
#include "rawjson.h"
#include "testjson.h"
#include "xmalloc.h"

static const char *child_init_result =
    "{'protocolVersion':'2025-11-25',"
    "'capabilities':{'tools':{'listChanged':true},"
    "'prompts':{'listChanged':true},"
    "'resources':{'subscribe':true},'logging':{},"
    "'tasks':{'list':{}}},"
    "'serverInfo':{'name':'fake','version':'1.0'},"
    "'instructions':'be nice'}";

#define META	"'_meta':{'io.modelcontextprotocol/protocolVersion':" \
		"'2026-07-28','io.modelcontextprotocol/clientCapabilities':" \
		"{'sampling':{},'elicitation':{}}}"
#define META_NOCAPS "'_meta':{'io.modelcontextprotocol/protocolVersion':" \
		"'2026-07-28','io.modelcontextprotocol/clientCapabilities':{}}"

/* ---- the requestState tag (HMAC-SHA-256 in libcrypto) ---- */

/*
 * A state sealed with a known key is a known string: the tag is
 * HMAC-SHA-256(key, fields || method NUL || name NUL), as computed by
 * Python's hmac module, so the wire format stays what it was.
 */
START_TEST(test_state_known)
{
	unsigned char		key[MODERN_KEY_LEN];
	struct modern_state	st, out;
	char			*text;
	size_t			i;

	for (i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)i;
	st.cid = 42;
	st.round = 2;
	st.expires = 123456789;
	st.principal = 3;
	text = modern_state_seal(key, &st, "tools/call", "greet");
	ck_assert_str_eq(text, "AQAAAAAAAAAqAAAAAAAAAAIAAAAAB1vNFQAAAAAAAAADV2jle"
	    "EFWPAmhrtkGtSbJK0kB2VaCsrx6w3feIduFad0");
	ck_assert_int_eq(modern_state_open(key, text, "tools/call", "greet",
	    &out), 0);
	ck_assert_uint_eq(out.principal, 3);
	free(text);
}
END_TEST

/* ---- era, headers, statuses ---- */

START_TEST(test_era)
{
	json_object	*o;

	o = J("{'jsonrpc':'2.0','id':1,'method':'tools/list','params':{"
	    META "}}");
	ck_assert_int_eq(modern_era(o, NULL), MODERN_ERA_MODERN);
	ck_assert_int_eq(modern_era(o, "2025-11-25"), MODERN_ERA_MODERN);
	json_object_put(o);

	o = J("{'jsonrpc':'2.0','id':1,'method':'tools/list'}");
	ck_assert_int_eq(modern_era(o, NULL), MODERN_ERA_LEGACY);
	ck_assert_int_eq(modern_era(o, "2025-11-25"), MODERN_ERA_LEGACY);
	ck_assert_int_eq(modern_era(o, "2025-03-26"), MODERN_ERA_LEGACY);
	ck_assert_int_eq(modern_era(o, "2026-07-28"), MODERN_ERA_MODERN);
	ck_assert_int_eq(modern_era(o, "v999.0.0"), MODERN_ERA_MODERN);
	json_object_put(o);

	/* initialize is legacy; batches are legacy. */
	o = J("{'jsonrpc':'2.0','id':1,'method':'initialize','params':{"
	    "'protocolVersion':'2025-11-25','capabilities':{}}}");
	ck_assert_int_eq(modern_era(o, NULL), MODERN_ERA_LEGACY);
	json_object_put(o);
	o = J("[{'jsonrpc':'2.0','id':1,'method':'tools/list','params':{"
	    META "}}]");
	ck_assert_int_eq(modern_era(o, "2026-07-28"), MODERN_ERA_LEGACY);
	json_object_put(o);

	/* GET and DELETE: the header alone. */
	ck_assert_int_eq(modern_era(NULL, "2026-07-28"), MODERN_ERA_MODERN);
	ck_assert_int_eq(modern_era(NULL, "2025-11-25"), MODERN_ERA_LEGACY);
	ck_assert_int_eq(modern_era(NULL, NULL), MODERN_ERA_LEGACY);
}
END_TEST

/* Headers as "Name: value" pairs, NULL-ended. */
static const char *
hdr(void *arg, const char *name)
{
	const char	**h = arg;
	size_t		  len = strlen(name);

	for (; *h != NULL; h++) {
		if (strncasecmp(*h, name, len) == 0 && (*h)[len] == ':')
			return *h + len + 1 + ((*h)[len + 1] == ' ');
	}
	return NULL;
}

/* The error code modern_check gives (0: accepted), and its status. */
static int
check_code(const char *body, const char **headers)
{
	json_object	*msg, *err;
	int		 status = 0, code;

	msg = J("%s", body);
	err = modern_check(msg, hdr, headers, &status);
	if (err == NULL) {
		json_object_put(msg);
		return 0;
	}
	ck_assert_int_eq(status, 400);
	/* Errors carry the request's id. */
	ck_assert(jsonrpc_id_equal(jsonrpc_id(err), jsonrpc_id(msg)));
	code = (int)PI(err, "error.code");
	json_object_put(err);
	json_object_put(msg);
	return code;
}

#define CALL(name) "{'jsonrpc':'2.0','id':7,'method':'tools/call','params':{" \
	"'name':'" name "','arguments':{}," META "}}"

START_TEST(test_headers)
{
	const char	*ok[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Method: tools/call", "Mcp-Name: greet", NULL };
	const char	*nover[] = { "Mcp-Method: tools/call",
	    "Mcp-Name: greet", NULL };
	const char	*mismatch[] = { "MCP-Protocol-Version: 2025-11-25",
	    "Mcp-Method: tools/call", "Mcp-Name: greet", NULL };
	const char	*nomethod[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Name: greet", NULL };
	const char	*casemethod[] = { "mcp-protocol-version: 2026-07-28",
	    "MCP-METHOD: TOOLS/CALL", "Mcp-Name: greet", NULL };
	const char	*noname[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Method: tools/call", NULL };
	const char	*wrongname[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Method: tools/call", "Mcp-Name: other", NULL };
	const char	*blanks[] = { "MCP-Protocol-Version: 2026-07-28",
	    "mcp-method:  tools/call ", "Mcp-Name: \t greet  ", NULL };
	const char	*b64[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Method: tools/call", "Mcp-Name: =?base64?Z3JlZXQ=?=", NULL };
	const char	*b64bad[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Method: tools/call", "Mcp-Name: =?base64?Z3JlZXQ?=", NULL };
	const char	*b64method[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Method: =?base64?dG9vbHMvY2FsbA==?=", "Mcp-Name: greet",
	    NULL };
	const char	*unicode[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Method: tools/call",
	    "Mcp-Name: =?base64?SGVsbG8sIOS4lueVjA==?=", NULL };
	const char	*v999[] = { "MCP-Protocol-Version: v999",
	    "Mcp-Method: server/discover", NULL };
	const char	*disc[] = { "MCP-Protocol-Version: 2026-07-28",
	    "Mcp-Method: server/discover", NULL };
	json_object	*msg, *err;
	int		 status;

	ck_assert_int_eq(check_code(CALL("greet"), ok), 0);
	ck_assert_int_eq(check_code(CALL("greet"), blanks), 0);
	ck_assert_int_eq(check_code(CALL("greet"), b64), 0);
	ck_assert_int_eq(check_code(CALL("Hello, \u4e16\u754c"), unicode), 0);
	ck_assert_int_eq(check_code(CALL("greet"), nover), -32020);
	ck_assert_int_eq(check_code(CALL("greet"), mismatch), -32020);
	ck_assert_int_eq(check_code(CALL("greet"), nomethod), -32020);
	/* Header names are case-insensitive, values are not. */
	ck_assert_int_eq(check_code(CALL("greet"), casemethod), -32020);
	ck_assert_int_eq(check_code(CALL("greet"), noname), -32020);
	ck_assert_int_eq(check_code(CALL("greet"), wrongname), -32020);
	ck_assert_int_eq(check_code(CALL("greet"), b64bad), -32020);
	/* Only Mcp-Name may use the sentinel. */
	ck_assert_int_eq(check_code(CALL("greet"), b64method), -32020);
	/* A name or method holding a NUL is not its part before the NUL. */
	ck_assert_int_eq(check_code(CALL("greet\\u0000x"), ok), -32020);
	ck_assert_int_eq(check_code(CALL("greet\\u0000"), ok), -32020);
	ck_assert_int_eq(check_code("{'jsonrpc':'2.0','id':7,'method':"
	    "'tools/call\\u0000x','params':{'name':'greet','arguments':{},"
	    META "}}", ok), -32020);

	/* _meta: missing fields are -32602, before the version compare. */
	ck_assert_int_eq(check_code("{'jsonrpc':'2.0','id':1,'method':"
	    "'server/discover','params':{}}", disc), -32602);
	ck_assert_int_eq(check_code("{'jsonrpc':'2.0','id':'x','method':"
	    "'server/discover','params':{'_meta':{"
	    "'io.modelcontextprotocol/clientCapabilities':{}}}}", disc),
	    -32602);
	ck_assert_int_eq(check_code("{'jsonrpc':'2.0','id':1,'method':"
	    "'server/discover','params':{'_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'2026-07-28'}}}", disc),
	    -32602);
	ck_assert_int_eq(check_code("{'jsonrpc':'2.0','id':1,'method':"
	    "'server/discover','params':{'_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
	    "'io.modelcontextprotocol/clientCapabilities':{},"
	    "'io.modelcontextprotocol/logLevel':'loud'}}}", disc), -32602);
	/* Header and _meta differ: mismatch; both unknown: unsupported. */
	ck_assert_int_eq(check_code("{'jsonrpc':'2.0','id':1,'method':"
	    "'server/discover','params':{'_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'v999',"
	    "'io.modelcontextprotocol/clientCapabilities':{}}}}", disc),
	    -32020);
	msg = J("{'jsonrpc':'2.0','id':301,'method':'server/discover',"
	    "'params':{'_meta':{'io.modelcontextprotocol/protocolVersion':"
	    "'v999','io.modelcontextprotocol/clientCapabilities':{}}}}");
	err = modern_check(msg, hdr, v999, &status);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(status, 400);
	ck_assert_int_eq(PI(err, "error.code"), -32022);
	ck_assert_str_eq(PS(err, "error.data.requested"), "v999");
	ck_assert_str_eq(S(P(err, "error.data.supported")), "[\"2026-07-28\"]");
	ck_assert_int_eq(PI(err, "id"), 301);
	json_object_put(err);
	json_object_put(msg);
}
END_TEST

/*
 * Mcp-Param-* headers against the arguments as an HTTP client's body
 * brings them: the client's own bytes (rawjson_request) are read like the
 * tree, escapes and white space included.
 */
START_TEST(test_params_raw)
{
	static const struct {
		const char	*args;
		const char	*header;	/* NULL: none */
		int		 ok;
	} cases[] = {
		{ "{\"region\":\"eu\"}", "Mcp-Param-Region: eu", 1 },
		{ "{ \"region\" : \"e\\u0075\" ,\t\"n\":1.5 }",
		    "Mcp-Param-Region: eu", 1 },
		{ "{\"o\":{\"in\":\"x\"},\"region\":\"eu\"}",
		    "Mcp-Param-Region: =?base64?ZXU=?=", 1 },
		{ "{\"region\":\"eu\"}", "Mcp-Param-Region: us", 0 },
		{ "{\"region\":\"eu\"}", NULL, 0 },
		{ "{}", "Mcp-Param-Region: eu", 0 },
		{ "{}", NULL, 1 },
	};
	json_object	*tool, *spec, *msg, *err;
	const char	*headers[2];
	char		*body, *e = NULL;
	size_t		 i;

	tool = J("{'name':'t','inputSchema':{'type':'object','properties':{"
	    "'region':{'type':'string','x-mcp-header':'Region'}}}}");
	ck_assert_int_eq(mcpwire_tool_headers(tool, &spec, &e), 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		xasprintf(&body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
		    "\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":"
		    "%s}}", cases[i].args);
		ck_assert_ptr_nonnull(msg = rawjson_request(body, strlen(body),
		    NULL));
		ck_assert(rawjson_is(json_object_object_get(
		    json_object_object_get(msg, "params"), "arguments")));
		headers[0] = cases[i].header;
		headers[1] = NULL;
		err = modern_check_params(msg, hdr, headers, spec);
		ck_assert_msg((err == NULL) == cases[i].ok, "case %zu: %s: %s",
		    i, body, err != NULL ? json_object_to_json_string(err) :
		    "accepted");
		if (err != NULL)
			ck_assert_int_eq(PI(err, "error.code"), -32020);
		json_object_put(err);
		json_object_put(msg);
		free(body);
	}
	json_object_put(spec);
	json_object_put(tool);
}
END_TEST

START_TEST(test_status)
{
	static const struct {
		const char	*answer;
		int		 status;
	} cases[] = {
		{ "{'jsonrpc':'2.0','id':1,'result':{}}", 200 },
		{ "{'jsonrpc':'2.0','id':1,'error':{'code':-32601,'message':"
		  "'x'}}", 404 },
		{ "{'jsonrpc':'2.0','id':1,'error':{'code':-32602,'message':"
		  "'x'}}", 400 },
		{ "{'jsonrpc':'2.0','id':1,'error':{'code':-32020,'message':"
		  "'x'}}", 400 },
		{ "{'jsonrpc':'2.0','id':1,'error':{'code':-32021,'message':"
		  "'x'}}", 400 },
		{ "{'jsonrpc':'2.0','id':1,'error':{'code':-32022,'message':"
		  "'x'}}", 400 },
		{ "{'jsonrpc':'2.0','id':1,'error':{'code':-32603,'message':"
		  "'x'}}", 200 },
	};
	json_object	*o;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		o = J("%s", cases[i].answer);
		ck_assert_int_eq(modern_http_status(o), cases[i].status);
		json_object_put(o);
	}
	ck_assert_int_eq(modern_method("server/discover"), MODERN_DISCOVER);
	ck_assert_int_eq(modern_method("subscriptions/listen"), MODERN_LISTEN);
	ck_assert_int_eq(modern_method("initialize"), MODERN_REMOVED);
	ck_assert_int_eq(modern_method("ping"), MODERN_REMOVED);
	ck_assert_int_eq(modern_method("logging/setLevel"), MODERN_REMOVED);
	ck_assert_int_eq(modern_method("resources/subscribe"), MODERN_REMOVED);
	ck_assert_int_eq(modern_method("tools/call"), MODERN_FORWARD);
	ck_assert_int_eq(modern_method("x/custom"), MODERN_FORWARD);
}
END_TEST

/* ---- translation ---- */

START_TEST(test_discover)
{
	json_object	*init, *d;

	init = J("%s", child_init_result);
	d = modern_discover(init);
	ck_assert_str_eq(PS(d, "resultType"), "complete");
	ck_assert_str_eq(S(P(d, "supportedVersions")), "[\"2026-07-28\"]");
	ck_assert_ptr_nonnull(P(d, "capabilities.tools"));
	ck_assert_ptr_nonnull(P(d, "capabilities.logging"));
	/* 2025-11-25 tasks are not a 2026-07-28 capability. */
	ck_assert_ptr_null(P(d, "capabilities.tasks"));
	ck_assert_str_eq(PS(json_object_object_get(P(d, "_meta"),
	    MODERN_META_SERVERINFO), "name"), "fake");
	ck_assert_str_eq(PS(d, "instructions"), "be nice");
	ck_assert_int_eq(PI(d, "ttlMs"), 0);
	ck_assert_str_eq(PS(d, "cacheScope"), "private");
	json_object_put(d);
	json_object_put(init);
}
END_TEST

START_TEST(test_result_error)
{
	json_object	*r, *o, *info;

	info = J("{'name':'fake','version':'1'}");
	r = J("{'tools':[],'_meta':{'x':1}}");
	o = modern_result("tools/list", r, info);
	ck_assert_str_eq(PS(o, "resultType"), "complete");
	ck_assert_int_eq(PI(o, "_meta.x"), 1);
	ck_assert_ptr_nonnull(json_object_object_get(P(o, "_meta"),
	    MODERN_META_SERVERINFO));
	ck_assert_int_eq(PI(o, "ttlMs"), 0);
	ck_assert_str_eq(PS(o, "cacheScope"), "private");
	/* The input is untouched. */
	ck_assert_ptr_null(P(r, "resultType"));
	json_object_put(o);
	json_object_put(r);

	/* A child's own hints stay; tools/call has none; nor input_required. */
	r = J("{'resources':[],'ttlMs':5000,'cacheScope':'public'}");
	o = modern_result("resources/list", r, NULL);
	ck_assert_int_eq(PI(o, "ttlMs"), 5000);
	ck_assert_str_eq(PS(o, "cacheScope"), "public");
	ck_assert_ptr_null(P(o, "_meta"));
	json_object_put(o);
	json_object_put(r);
	r = J("{'content':[]}");
	o = modern_result("tools/call", r, info);
	ck_assert_ptr_null(P(o, "ttlMs"));
	json_object_put(o);
	json_object_put(r);
	r = J("{'resultType':'input_required','inputRequests':{}}");
	o = modern_result("resources/read", r, info);
	ck_assert_str_eq(PS(o, "resultType"), "input_required");
	ck_assert_ptr_null(P(o, "ttlMs"));
	json_object_put(o);
	json_object_put(r);
	json_object_put(info);

	/* SEP-2164: resource not found is -32602 now, data kept. */
	r = J("{'code':-32002,'message':'Resource not found','data':{'uri':"
	    "'test://nope'}}");
	o = modern_error("resources/read", r);
	ck_assert_int_eq(PI(o, "code"), -32602);
	ck_assert_str_eq(PS(o, "data.uri"), "test://nope");
	json_object_put(o);
	o = modern_error("tools/call", r);
	ck_assert_int_eq(PI(o, "code"), -32002);
	json_object_put(o);
	json_object_put(r);

	o = modern_missing_capability(J("{'sampling':{}}"));
	ck_assert_int_eq(PI(o, "code"), -32021);
	ck_assert_ptr_nonnull(P(o, "data.requiredCapabilities.sampling"));
	json_object_put(o);

	/* What the legacy child gets: no modern keys, no MRTR params. */
	r = J("{'name':'t','inputResponses':{},'requestState':'s','_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
	    "'io.modelcontextprotocol/clientCapabilities':{},"
	    "'io.modelcontextprotocol/logLevel':'info','progressToken':3}}");
	o = modern_legacy_params(r);
	ck_assert_str_eq(S(o), "{\"name\":\"t\",\"_meta\":{\"progressToken\":3}}");
	json_object_put(o);
	json_object_put(r);
}
END_TEST

START_TEST(test_state)
{
	unsigned char		key[MODERN_KEY_LEN], other[MODERN_KEY_LEN];
	struct modern_state	st, out;
	char			*text, *bad;
	size_t			len;

	modern_key_new(key);
	memcpy(other, key, sizeof other);
	other[0] ^= 1;
	st.cid = 42;
	st.round = 2;
	st.expires = 123456789;
	st.principal = 3;
	text = modern_state_seal(key, &st, "tools/call", "greet");
	ck_assert_int_eq(modern_state_open(key, text, "tools/call", "greet",
	    &out), 0);
	ck_assert_uint_eq(out.cid, 42);
	ck_assert_uint_eq(out.round, 2);
	ck_assert_uint_eq(out.expires, 123456789);
	ck_assert_uint_eq(out.principal, 3);

	/* Bound to the method, the name and the key. */
	ck_assert_int_eq(modern_state_open(key, text, "prompts/get", "greet",
	    &out), -1);
	ck_assert_int_eq(modern_state_open(key, text, "tools/call", "other",
	    &out), -1);
	ck_assert_int_eq(modern_state_open(other, text, "tools/call", "greet",
	    &out), -1);
	/* Any change breaks it. */
	len = strlen(text);
	bad = strdup(text);
	bad[len / 2] = bad[len / 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(modern_state_open(key, bad, "tools/call", "greet",
	    &out), -1);
	free(bad);
	ck_assert_int_ge(asprintf(&bad, "%s-TAMPERED", text), 0);
	ck_assert_int_eq(modern_state_open(key, bad, "tools/call", "greet",
	    &out), -1);
	free(bad);
	ck_assert_int_eq(modern_state_open(key, "", "tools/call", "greet",
	    &out), -1);
	ck_assert_int_eq(modern_state_open(key, "!!", "tools/call", "greet",
	    &out), -1);
	free(text);
}
END_TEST

START_TEST(test_listen_pure)
{
	json_object	*params, *uris, *id, *n, *t;
	const char	*why;
	unsigned	 flags;
	json_object	*caps;

	params = J("{'notifications':{'toolsListChanged':true,"
	    "'promptsListChanged':false,'resourceSubscriptions':['a://1']}}");
	ck_assert_int_eq(modern_listen_parse(params, &flags, &uris, &why), 0);
	ck_assert_uint_eq(flags, MODERN_LISTEN_TOOLS | MODERN_LISTEN_SUBSCRIBE);
	ck_assert_uint_eq(json_object_array_length(uris), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(uris,
	    0)), "a://1");
	json_object_put(params);
	params = J("{'notifications':{'resourceSubscriptions':[1]}}");
	ck_assert_int_eq(modern_listen_parse(params, &flags, &uris, &why), -1);
	json_object_put(params);
	params = J("{}");
	ck_assert_int_eq(modern_listen_parse(params, &flags, &uris, &why), -1);
	json_object_put(params);

	caps = J("{'tools':{'listChanged':true},'resources':{'subscribe':"
	    "true}}");
	ck_assert_uint_eq(modern_listen_supported(caps),
	    MODERN_LISTEN_TOOLS | MODERN_LISTEN_SUBSCRIBE);
	json_object_put(caps);

	id = J("'L1'");
	uris = J("['a://1']");
	n = modern_listen_ack(id, MODERN_LISTEN_TOOLS | MODERN_LISTEN_SUBSCRIBE,
	    uris);
	ck_assert_str_eq(jsonrpc_method(n),
	    "notifications/subscriptions/acknowledged");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    P(n, "params._meta"), MODERN_META_SUBSCRIPTION)), "L1");
	json_object_put(n);

	n = J("{'jsonrpc':'2.0','method':'notifications/resources/updated',"
	    "'params':{'uri':'a://1','_meta':{'k':'v'}}}");
	t = modern_listen_tag(n, id);
	ck_assert_str_eq(PS(t, "params.uri"), "a://1");
	ck_assert_str_eq(PS(t, "params._meta.k"), "v");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    P(t, "params._meta"), MODERN_META_SUBSCRIPTION)), "L1");
	/* The child's notification is not changed. */
	ck_assert_ptr_null(json_object_object_get(P(n, "params._meta"),
	    MODERN_META_SUBSCRIPTION));
	json_object_put(t);
	json_object_put(n);

	n = modern_listen_end(id);
	ck_assert_str_eq(PS(n, "id"), "L1");
	ck_assert_str_eq(PS(n, "result.resultType"), "complete");
	json_object_put(n);
	json_object_put(uris);
	json_object_put(id);
	ck_assert_uint_eq(modern_listen_flag(
	    "notifications/prompts/list_changed"), MODERN_LISTEN_PROMPTS);
	ck_assert_uint_eq(modern_listen_flag("notifications/message"), 0);
}
END_TEST

/* ---- through the multiplexer ---- */

struct hout {
	enum mux_out_kind	 kind;
	struct mux_session	*s;
	uint64_t		 stream;
	int			 final;
	json_object		*msg;
};

struct h {
	struct mux	*m;
	struct hout	 outs[256];
	size_t		 n;
	uint64_t	 now;
};

static void
h_drain(struct h *h)
{
	struct mux_out	out;

	while (mux_next(h->m, &out)) {
		ck_assert_uint_lt(h->n, 256);
		h->outs[h->n].kind = out.kind;
		h->outs[h->n].s = out.session;
		h->outs[h->n].stream = out.stream;
		h->outs[h->n].final = out.final;
		h->outs[h->n].msg = out.msg;
		h->n++;
	}
}

static void
h_clear(struct h *h)
{
	size_t	i;

	for (i = 0; i < h->n; i++)
		json_object_put(h->outs[i].msg);
	h->n = 0;
}

static void
h_tick(struct h *h, uint64_t ms)
{
	h->now += ms;
	mux_tick(h->m, h->now);
	h_drain(h);
}

/* The nth out of kind to s (NULL: the child) with method ("": response). */
static struct hout *
h_find(struct h *h, enum mux_out_kind kind, struct mux_session *s,
    const char *method, int nth)
{
	const char	*m;
	size_t		 i;

	for (i = 0; i < h->n; i++) {
		if (h->outs[i].kind != kind || h->outs[i].s != s)
			continue;
		m = h->outs[i].msg == NULL ? NULL :
		    jsonrpc_method(h->outs[i].msg);
		if (*method == '\0' ? m != NULL : m == NULL ||
		    strcmp(m, method) != 0)
			continue;
		if (nth-- == 0)
			return &h->outs[i];
	}
	return NULL;
}

static json_object *
h_child_msg(struct h *h, const char *method)
{
	struct hout	*o;

	o = h_find(h, MUX_OUT_CHILD, NULL, method, 0);
	ck_assert_msg(o != NULL, "no %s to the child", method);
	return o->msg;
}

static json_object *
h_final(struct h *h, struct mux_session *s)
{
	size_t	i;

	for (i = 0; i < h->n; i++) {
		if (h->outs[i].kind == MUX_OUT_SESSION && h->outs[i].s == s &&
		    h->outs[i].final)
			return h->outs[i].msg;
	}
	ck_abort_msg("no final answer for the session");
	return NULL;
}

static void __attribute__((format(printf, 2, 3)))
h_child(struct h *h, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	mux_child_recv(h->m, NULL, Jv(fmt, ap));
	va_end(ap);
	h_drain(h);
}

static struct mux_session *
h_req(struct h *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A new stateless session with one request on stream 1. */
static struct mux_session *
h_req(struct h *h, const char *fmt, ...)
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

static void
h_start_id(struct h *h, uint64_t input_timeout_ms, const char *instance_id)
{
	struct mux_config	cfg;
	json_object		*init;
	char			*text;

	memset(h, 0, sizeof *h);
	memset(&cfg, 0, sizeof cfg);
	cfg.input_timeout_ms = input_timeout_ms;
	cfg.instance_id = instance_id;
	h->m = mux_new(&cfg);
	h->now = 1000;
	mux_tick(h->m, h->now);
	mux_child_up(h->m, NULL);
	h_drain(h);
	init = J("%s", child_init_result);
	ck_assert_int_ge(asprintf(&text, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
	    "\"result\":%s}", (long long)PI(h_child_msg(h, "initialize"), "id"),
	    S(init)), 0);
	json_object_put(init);
	mux_child_recv(h->m, NULL, json_tokener_parse(text));
	free(text);
	h_drain(h);
	ck_assert(mux_ready(h->m));
	h_clear(h);
}

static void
h_start(struct h *h, uint64_t input_timeout_ms)
{
	h_start_id(h, input_timeout_ms, NULL);
}

static void
h_stop(struct h *h)
{
	h_clear(h);
	mux_free(h->m);
}

START_TEST(test_mux_discover_forward)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*a, *c;

	h_start(&h, 0);
	s = h_req(&h, "{'jsonrpc':'2.0','id':'d','method':'server/discover',"
	    "'params':{" META "}}");
	a = h_final(&h, s);
	ck_assert_str_eq(PS(a, "id"), "d");
	ck_assert_str_eq(S(P(a, "result.supportedVersions")),
	    "[\"2026-07-28\"]");
	/* The bridge answered: the child saw nothing. */
	ck_assert_ptr_null(h_find(&h, MUX_OUT_CHILD, NULL, "server/discover",
	    0));
	mux_session_close(h.m, s);
	h_clear(&h);

	/* Removed methods are -32601 from the bridge. */
	s = h_req(&h, "{'jsonrpc':'2.0','id':1,'method':'ping','params':{"
	    META "}}");
	ck_assert_int_eq(PI(h_final(&h, s), "error.code"), -32601);
	mux_session_close(h.m, s);
	h_clear(&h);

	/* Forwarded with a new id and legacy params; answered decorated. */
	s = h_req(&h, "{'jsonrpc':'2.0','id':9,'method':'resources/read',"
	    "'params':{'uri':'test://x'," META "}}");
	c = h_child_msg(&h, "resources/read");
	ck_assert_str_eq(PS(c, "params.uri"), "test://x");
	ck_assert_ptr_null(P(c, "params._meta"));
	h_child(&h, "{'jsonrpc':'2.0','id':%lld,'result':{'contents':[]}}",
	    (long long)PI(c, "id"));
	a = h_final(&h, s);
	ck_assert_int_eq(PI(a, "id"), 9);
	ck_assert_str_eq(PS(a, "result.resultType"), "complete");
	ck_assert_str_eq(PS(a, "result.cacheScope"), "private");
	mux_session_close(h.m, s);
	h_clear(&h);

	/* A legacy -32002 becomes -32602. */
	s = h_req(&h, "{'jsonrpc':'2.0','id':10,'method':'resources/read',"
	    "'params':{'uri':'test://nope'," META "}}");
	c = h_child_msg(&h, "resources/read");
	h_child(&h, "{'jsonrpc':'2.0','id':%lld,'error':{'code':-32002,"
	    "'message':'Resource not found','data':{'uri':'test://nope'}}}",
	    (long long)PI(c, "id"));
	a = h_final(&h, s);
	ck_assert_int_eq(PI(a, "error.code"), -32602);
	ck_assert_str_eq(PS(a, "error.data.uri"), "test://nope");
	mux_session_close(h.m, s);
	h_stop(&h);
}
END_TEST

/* The child asks its request cid something, as request id (its own). */
static void
h_ask(struct h *h, int64_t cid, const char *id, const char *key,
    const char *method)
{
	h_child(h, "{'jsonrpc':'2.0','id':'%s','method':'%s','params':{"
	    "'x':1,'_meta':{'mcpbridge/relatedRequestId':%lld%s%s%s}}}", id,
	    method, (long long)cid, key != NULL ? ",'mcpbridge/inputKey':'" :
	    "", key != NULL ? key : "", key != NULL ? "'" : "");
}

/* A question's key, from an integer id past int64, has the id's digits. */
START_TEST(test_mux_input_key_uint64)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*a;
	int64_t			 cid;

	h_start(&h, 0);
	s = h_req(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	cid = PI(h_child_msg(&h, "tools/call"), "id");
	h_clear(&h);
	h_child(&h, "{'jsonrpc':'2.0','id':18446744073709551615,'method':"
	    "'elicitation/create','params':{'_meta':{"
	    "'mcpbridge/relatedRequestId':%lld}}}", (long long)cid);
	h_tick(&h, 35);
	a = h_final(&h, s);
	ck_assert_str_eq(PS(a, "result.resultType"), "input_required");
	ck_assert_ptr_nonnull(P(a,
	    "result.inputRequests.18446744073709551615"));
	mux_session_close(h.m, s);
	h_stop(&h);
}
END_TEST

START_TEST(test_mux_input_required)
{
	struct h		 h;
	struct mux_session	*s, *s2;
	json_object		*a, *ans;
	int64_t			 cid;
	char			*state;

	h_start(&h, 0);
	s = h_req(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	cid = PI(h_child_msg(&h, "tools/call"), "id");
	h_clear(&h);

	/* Two questions at once: gathered, then one input_required. */
	h_ask(&h, cid, "srv-1", "user_name", "elicitation/create");
	h_ask(&h, cid, "srv-2", NULL, "sampling/createMessage");
	ck_assert_uint_eq(h.n, 0);
	h_tick(&h, 5);
	ck_assert_uint_eq(h.n, 0);
	h_tick(&h, 30);
	a = h_final(&h, s);
	ck_assert_int_eq(PI(a, "id"), 1);
	ck_assert_str_eq(PS(a, "result.resultType"), "input_required");
	ck_assert_str_eq(PS(a, "result.inputRequests.user_name.method"),
	    "elicitation/create");
	/* Without a key hint the child's id names it; hints are gone. */
	ck_assert_str_eq(PS(a, "result.inputRequests.srv-2.method"),
	    "sampling/createMessage");
	ck_assert_int_eq(PI(a, "result.inputRequests.srv-2.params.x"), 1);
	ck_assert_ptr_null(P(a, "result.inputRequests.srv-2.params._meta"));
	state = strdup(PS(a, "result.requestState"));
	h_clear(&h);

	/* The HTTP request ends: no cancellation, the child keeps waiting. */
	mux_session_close(h.m, s);
	h_drain(&h);
	ck_assert_ptr_null(h_find(&h, MUX_OUT_CHILD, NULL,
	    "notifications/cancelled", 0));

	/* A tampered state is refused. */
	s2 = h_req(&h, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'t','requestState':'%sx'," META "}}", state);
	ck_assert_int_eq(PI(h_final(&h, s2), "error.code"), -32602);
	mux_session_close(h.m, s2);
	h_clear(&h);
	/* ... and so is the right state for another tool. */
	s2 = h_req(&h, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'u','requestState':'%s'," META "}}", state);
	ck_assert_int_eq(PI(h_final(&h, s2), "error.code"), -32602);
	mux_session_close(h.m, s2);
	h_clear(&h);

	/* The retry answers one question (and an unknown key). */
	s2 = h_req(&h, "{'jsonrpc':'2.0','id':'r','method':'tools/call',"
	    "'params':{'name':'t','requestState':'%s','inputResponses':{"
	    "'user_name':{'action':'accept','content':{'name':'Al'}},"
	    "'extra':{}}," META "}}", state);
	ans = h_find(&h, MUX_OUT_CHILD, NULL, "", 0)->msg;
	ck_assert_str_eq(PS(ans, "id"), "srv-1");
	ck_assert_str_eq(PS(ans, "result.content.name"), "Al");
	ck_assert_uint_eq(h.n, 1);
	h_clear(&h);
	/* The other is asked again, with a new state. */
	h_tick(&h, 30);
	a = h_final(&h, s2);
	ck_assert_str_eq(PS(a, "id"), "r");
	ck_assert_ptr_null(P(a, "result.inputRequests.user_name"));
	ck_assert_ptr_nonnull(P(a, "result.inputRequests.srv-2"));
	ck_assert_str_ne(PS(a, "result.requestState"), state);
	free(state);
	state = strdup(PS(a, "result.requestState"));
	mux_session_close(h.m, s2);
	h_clear(&h);

	s = h_req(&h, "{'jsonrpc':'2.0','id':3,'method':'tools/call',"
	    "'params':{'name':'t','requestState':'%s','inputResponses':{"
	    "'srv-2':{'role':'assistant','content':{'type':'text','text':"
	    "'hi'},'model':'m'}}," META "}}", state);
	ck_assert_str_eq(PS(h_find(&h, MUX_OUT_CHILD, NULL, "", 0)->msg, "id"),
	    "srv-2");
	h_clear(&h);
	/* The child's answer goes to the retry, under its id. */
	h_child(&h, "{'jsonrpc':'2.0','id':%lld,'result':{'content':[]}}",
	    (long long)cid);
	a = h_final(&h, s);
	ck_assert_int_eq(PI(a, "id"), 3);
	ck_assert_str_eq(PS(a, "result.resultType"), "complete");
	mux_session_close(h.m, s);
	h_clear(&h);

	/* The state is used up. */
	s = h_req(&h, "{'jsonrpc':'2.0','id':4,'method':'tools/call',"
	    "'params':{'name':'t','requestState':'%s'," META "}}", state);
	ck_assert_int_eq(PI(h_final(&h, s), "error.code"), -32602);
	mux_session_close(h.m, s);
	free(state);
	h_stop(&h);
}
END_TEST

/* Behind a load balancer: the state names its instance, which the
 * balancer routes on; a state from elsewhere is refused and says whose. */
START_TEST(test_mux_state_instance)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*a;
	int64_t			 cid;
	char			*state, *bare, *other;

	h_start_id(&h, 0, "mcp1");
	s = h_req(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	cid = PI(h_child_msg(&h, "tools/call"), "id");
	h_clear(&h);
	h_ask(&h, cid, "q", "k", "elicitation/create");
	h_tick(&h, 30);
	state = strdup(PS(h_final(&h, s), "result.requestState"));
	mux_session_close(h.m, s);
	h_clear(&h);
	ck_assert_int_eq(strncmp(state, "mcp1.", 5), 0);
	ck_assert_ptr_null(strchr(state + 5, '.'));
	bare = state + 5;
	ck_assert_int_ge(asprintf(&other, "mcp2.%s", bare), 0);

	s = h_req(&h, "{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'t','requestState':'%s'," META "}}", other);
	a = h_final(&h, s);
	ck_assert_int_eq(PI(a, "error.code"), -32602);
	ck_assert_ptr_nonnull(strstr(PS(a, "error.message"), "instance mcp2"));
	mux_session_close(h.m, s);
	h_clear(&h);
	s = h_req(&h, "{'jsonrpc':'2.0','id':3,'method':'tools/call',"
	    "'params':{'name':'t','requestState':'%s'," META "}}", bare);
	ck_assert_int_eq(PI(h_final(&h, s), "error.code"), -32602);
	mux_session_close(h.m, s);
	h_clear(&h);

	/* Neither refusal used the state up. */
	s = h_req(&h, "{'jsonrpc':'2.0','id':4,'method':'tools/call',"
	    "'params':{'name':'t','requestState':'%s','inputResponses':{'k':"
	    "{'action':'accept','content':{}}}," META "}}", state);
	ck_assert_str_eq(PS(h_find(&h, MUX_OUT_CHILD, NULL, "", 0)->msg, "id"),
	    "q");
	h_clear(&h);
	h_child(&h, "{'jsonrpc':'2.0','id':%lld,'result':{'content':[]}}",
	    (long long)cid);
	a = h_final(&h, s);
	ck_assert_int_eq(PI(a, "id"), 4);
	ck_assert_str_eq(PS(a, "result.resultType"), "complete");
	mux_session_close(h.m, s);
	free(other);
	free(state);
	h_stop(&h);
}
END_TEST

START_TEST(test_mux_state_expiry)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*a, *e;
	int64_t			 cid;
	char			*state;

	h_start(&h, 1000);
	s = h_req(&h, "{'jsonrpc':'2.0','id':1,'method':'prompts/get',"
	    "'params':{'name':'p'," META "}}");
	cid = PI(h_child_msg(&h, "prompts/get"), "id");
	h_clear(&h);
	h_ask(&h, cid, "q1", "k", "elicitation/create");
	h_tick(&h, 25);
	a = h_final(&h, s);
	state = strdup(PS(a, "result.requestState"));
	mux_session_close(h.m, s);
	h_clear(&h);

	/* Nobody comes back: the child hears no, then a cancellation. */
	h_tick(&h, 999);
	ck_assert_uint_eq(h.n, 0);
	h_tick(&h, 2);
	e = h_find(&h, MUX_OUT_CHILD, NULL, "", 0)->msg;
	ck_assert_str_eq(PS(e, "id"), "q1");
	ck_assert_ptr_nonnull(P(e, "error"));
	e = h_child_msg(&h, "notifications/cancelled");
	ck_assert_int_eq(PI(e, "params.requestId"), cid);
	h_clear(&h);

	s = h_req(&h, "{'jsonrpc':'2.0','id':2,'method':'prompts/get',"
	    "'params':{'name':'p','requestState':'%s','inputResponses':{'k':"
	    "{'action':'accept'}}," META "}}", state);
	ck_assert_int_eq(PI(h_final(&h, s), "error.code"), -32602);
	mux_session_close(h.m, s);
	free(state);
	h_stop(&h);
}
END_TEST

START_TEST(test_mux_missing_capability)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*a, *e;
	int64_t			 cid;

	h_start(&h, 0);
	s = h_req(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t'," META_NOCAPS "}}");
	cid = PI(h_child_msg(&h, "tools/call"), "id");
	h_clear(&h);
	/* No hint: the only request that can have asked gets it. */
	h_child(&h, "{'jsonrpc':'2.0','id':'s1','method':"
	    "'sampling/createMessage','params':{}}");
	e = h_find(&h, MUX_OUT_CHILD, NULL, "", 0)->msg;
	ck_assert_str_eq(PS(e, "id"), "s1");
	ck_assert_int_eq(PI(e, "error.code"), -32021);
	h_clear(&h);
	/* The child gives up: the client learns what it lacked. */
	h_child(&h, "{'jsonrpc':'2.0','id':%lld,'error':{'code':-32603,"
	    "'message':'no sampling'}}", (long long)cid);
	a = h_final(&h, s);
	ck_assert_int_eq(PI(a, "error.code"), -32021);
	ck_assert_int_eq(modern_http_status(a), 400);
	ck_assert_ptr_nonnull(P(a, "error.data.requiredCapabilities.sampling"));
	mux_session_close(h.m, s);
	h_stop(&h);
}
END_TEST

START_TEST(test_mux_listen)
{
	struct h		 h;
	struct mux_session	*s, *l;
	struct hout		*o;
	json_object		*a;

	h_start(&h, 0);
	l = h_req(&h, "{'jsonrpc':'2.0','id':'L1','method':"
	    "'subscriptions/listen','params':{'notifications':{"
	    "'toolsListChanged':true,'resourcesListChanged':true,"
	    "'resourceSubscriptions':['test://w']}," META "}}");
	/* The acknowledgement first, tagged, with what the child can do. */
	ck_assert_uint_eq(h.n, 2);
	o = h_find(&h, MUX_OUT_SESSION, l,
	    "notifications/subscriptions/acknowledged", 0);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->final, 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(P(o->msg,
	    "params._meta"), MODERN_META_SUBSCRIPTION)), "L1");
	ck_assert(json_object_get_boolean(P(o->msg,
	    "params.notifications.toolsListChanged")));
	/* The child declared no resources.listChanged. */
	ck_assert_ptr_null(P(o->msg, "params.notifications.resourcesListChanged"));
	ck_assert_str_eq(PS(h_child_msg(&h, "resources/subscribe"),
	    "params.uri"), "test://w");
	h_clear(&h);

	/* Another request in flight does not get listen notifications. */
	s = h_req(&h, "{'jsonrpc':'2.0','id':5,'method':'tools/list',"
	    "'params':{" META "}}");
	h_clear(&h);
	h_child(&h, "{'jsonrpc':'2.0','method':"
	    "'notifications/tools/list_changed'}");
	h_child(&h, "{'jsonrpc':'2.0','method':"
	    "'notifications/prompts/list_changed'}");
	h_child(&h, "{'jsonrpc':'2.0','method':"
	    "'notifications/resources/updated','params':{'uri':'test://w'}}");
	h_child(&h, "{'jsonrpc':'2.0','method':"
	    "'notifications/resources/updated','params':{'uri':'test://o'}}");
	ck_assert_uint_eq(h.n, 2);
	o = h_find(&h, MUX_OUT_SESSION, l, "notifications/tools/list_changed",
	    0);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(P(o->msg,
	    "params._meta"), MODERN_META_SUBSCRIPTION)), "L1");
	o = h_find(&h, MUX_OUT_SESSION, l, "notifications/resources/updated",
	    0);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(PS(o->msg, "params.uri"), "test://w");
	ck_assert_uint_eq(o->stream, 1);
	h_clear(&h);

	/* Closing the stream ends it: the child's subscription goes. */
	mux_session_close(h.m, l);
	h_drain(&h);
	ck_assert_str_eq(PS(h_child_msg(&h, "resources/unsubscribe"),
	    "params.uri"), "test://w");
	h_clear(&h);

	/* A listen ended by the child going away gets its result. */
	l = h_req(&h, "{'jsonrpc':'2.0','id':7,'method':"
	    "'subscriptions/listen','params':{'notifications':{"
	    "'toolsListChanged':true}," META "}}");
	h_clear(&h);
	mux_child_down(h.m, NULL, "exited");
	h_drain(&h);
	a = h_final(&h, l);
	ck_assert_int_eq(PI(a, "id"), 7);
	ck_assert_str_eq(PS(a, "result.resultType"), "complete");
	mux_session_close(h.m, l);
	mux_session_close(h.m, s);
	h_stop(&h);
}
END_TEST

START_TEST(test_mux_listen_twice)
{
	struct h		 h;
	struct mux_session	*l;
	json_object		*a;

	/* Found by fuzz_mux: a second listen on one session took the
	 * first one's place, which never got its final answer (and its id
	 * leaked).  It is refused; the first one lives on. */
	h_start(&h, 0);
	l = h_req(&h, "{'jsonrpc':'2.0','id':'L1','method':"
	    "'subscriptions/listen','params':{'notifications':{"
	    "'toolsListChanged':true}," META "}}");
	h_clear(&h);
	ck_assert_int_eq(mux_session_recv(h.m, l, J("{'jsonrpc':'2.0',"
	    "'id':'L2','method':'subscriptions/listen','params':{"
	    "'notifications':{'toolsListChanged':true}," META "}}"), 2),
	    MUX_RECV_REPLY);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_uint_eq(h.outs[0].stream, 2);
	ck_assert(h.outs[0].final);
	ck_assert_str_eq(PS(h.outs[0].msg, "id"), "L2");
	ck_assert_int_eq(PI(h.outs[0].msg, "error.code"), -32600);
	h_clear(&h);
	mux_session_finish(h.m, l);
	h_drain(&h);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_uint_eq(h.outs[0].stream, 1);
	a = h_final(&h, l);
	ck_assert_str_eq(PS(a, "id"), "L1");
	ck_assert_str_eq(PS(a, "result.resultType"), "complete");
	h_clear(&h);
	/* Once it ended, another may start (and the first id is freed:
	 * the sanitizer build sees the leak it was). */
	ck_assert_int_eq(mux_session_recv(h.m, l, J("{'jsonrpc':'2.0',"
	    "'id':'L3','method':'subscriptions/listen','params':{"
	    "'notifications':{'toolsListChanged':true}," META "}}"), 3),
	    MUX_RECV_REPLY);
	h_drain(&h);
	ck_assert_ptr_nonnull(h_find(&h, MUX_OUT_SESSION, l,
	    "notifications/subscriptions/acknowledged", 0));
	h_clear(&h);
	mux_session_finish(h.m, l);
	h_drain(&h);
	a = h_final(&h, l);
	ck_assert_str_eq(PS(a, "id"), "L3");
	ck_assert_uint_eq(h.outs[0].stream, 3);
	h_clear(&h);
	mux_session_close(h.m, l);
	h_stop(&h);
}
END_TEST

START_TEST(test_mux_restart_questions)
{
	struct h		 h;
	struct mux_session	*s;
	struct hout		*o;
	json_object		*init;
	int64_t			 cid;
	char			*text;

	/* Found by fuzz_mux: a question of the child routed to a stateless
	 * session outlived a restart, and closing the session answered the
	 * new child for an id it never used. */
	h_start(&h, 0);
	s = h_req(&h, "{'jsonrpc':'2.0','id':0,'method':'tools/list',"
	    "'params':{" META "}}");
	h_clear(&h);
	ck_assert_int_eq(mux_session_recv(h.m, s, J("[{'jsonrpc':'2.0',"
	    "'id':1,'method':'tools/call','params':{'name':'x'}}]"), 2),
	    MUX_RECV_REPLY);
	h_drain(&h);
	cid = PI(h_child_msg(&h, "tools/call"), "id");
	h_clear(&h);
	h_child(&h, "{'jsonrpc':'2.0','id':'q','method':"
	    "'sampling/createMessage','params':{'_meta':{"
	    "'mcpbridge/relatedRequestId':%lld}}}", (long long)cid);
	ck_assert_ptr_nonnull(h_find(&h, MUX_OUT_SESSION, s,
	    "sampling/createMessage", 0));
	h_clear(&h);
	mux_child_up(h.m, NULL);	/* restarted */
	h_drain(&h);
	init = J("%s", child_init_result);
	ck_assert_int_ge(asprintf(&text, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
	    "\"result\":%s}", (long long)PI(h_child_msg(&h, "initialize"),
	    "id"), S(init)), 0);
	json_object_put(init);
	h_clear(&h);
	mux_child_recv(h.m, NULL, json_tokener_parse(text));
	free(text);
	h_drain(&h);
	h_clear(&h);
	mux_session_close(h.m, s);
	h_drain(&h);
	o = h_find(&h, MUX_OUT_CHILD, NULL, "", 0);
	ck_assert_msg(o == NULL, "the new child got %s", o != NULL ?
	    S(o->msg) : "");
	h_clear(&h);
	h_stop(&h);
}
END_TEST

START_TEST(test_mux_cancel_and_log)
{
	struct h		 h;
	struct mux_session	*s, *q;
	json_object		*c;
	int64_t			 cid;

	h_start(&h, 0);
	/* logLevel: the child is told to log; the request gets its lines. */
	s = h_req(&h, "{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
	    "'io.modelcontextprotocol/clientCapabilities':{},"
	    "'io.modelcontextprotocol/logLevel':'info'}}}");
	ck_assert_str_eq(PS(h_child_msg(&h, "logging/setLevel"),
	    "params.level"), "info");
	cid = PI(h_child_msg(&h, "tools/call"), "id");
	h_clear(&h);
	h_child(&h, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'debug','data':'quiet'}}");
	ck_assert_uint_eq(h.n, 0);
	h_child(&h, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'warning','data':'loud'}}");
	ck_assert_uint_eq(h.n, 1);
	ck_assert_uint_eq(h.outs[0].stream, 1);
	ck_assert_ptr_eq(h.outs[0].s, s);
	h_clear(&h);

	/* Another request in flight: a log line could be either's. */
	q = h_req(&h, "{'jsonrpc':'2.0','id':2,'method':'tools/list',"
	    "'params':{" META "}}");
	h_clear(&h);
	h_child(&h, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'whose?'}}");
	ck_assert_uint_eq(h.n, 0);

	/* Closing a request's stream cancels it at the child. */
	mux_session_close(h.m, s);
	h_drain(&h);
	c = h_child_msg(&h, "notifications/cancelled");
	ck_assert_int_eq(PI(c, "params.requestId"), cid);
	h_clear(&h);
	/* q never asked for logs: it gets none even alone. */
	h_child(&h, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'x'}}");
	ck_assert_uint_eq(h.n, 0);
	mux_session_close(h.m, q);
	h_stop(&h);
}
END_TEST

/*
 * A parked request's tool is still running at the child: what the child
 * writes without naming its request (a log line, another question) may be
 * about it, so it reaches no other principal's request alone in flight
 * (_i 1: without tokens, no other client's).
 */
START_TEST(test_mux_parked_other_principal)
{
	struct h		 h;
	struct mux_session	*s1, *s2;
	struct mux_stats	 st;
	struct hout		*o;
	json_object		*a, *msg;
	int64_t			 cid1, cid2;

	h_start(&h, 0);
	s1 = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	mux_session_set_principal(s1, _i == 0 ? 1 : 0);
	msg = J("{'jsonrpc':'2.0','id':1,'method':'tools/call',"
	    "'params':{'name':'t','arguments':{}," META "}}");
	ck_assert_int_eq(mux_session_recv(h.m, s1, msg, 1), MUX_RECV_REPLY);
	h_drain(&h);
	cid1 = PI(h_child_msg(&h, "tools/call"), "id");
	h_clear(&h);
	h_ask(&h, cid1, "srv-1", "k", "elicitation/create");
	h_tick(&h, 35);
	a = h_final(&h, s1);
	ck_assert_str_eq(PS(a, "result.resultType"), "input_required");
	mux_session_close(h.m, s1);
	h_clear(&h);

	/* Principal 2's request alone in flight, asking for every line. */
	s2 = mux_session_new(h.m, MUX_TRANSPORT_STATELESS, NULL);
	mux_session_set_principal(s2, _i == 0 ? 2 : 0);
	msg = J("{'jsonrpc':'2.0','id':2,'method':'tools/call',"
	    "'params':{'name':'t','_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
	    "'io.modelcontextprotocol/clientCapabilities':{'elicitation':{}},"
	    "'io.modelcontextprotocol/logLevel':'debug'}}}");
	ck_assert_int_eq(mux_session_recv(h.m, s2, msg, 1), MUX_RECV_REPLY);
	h_drain(&h);
	cid2 = PI(h_child_msg(&h, "tools/call"), "id");
	h_clear(&h);

	h_child(&h, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'A-PRIVATE'}}");
	ck_assert_msg(h_find(&h, MUX_OUT_SESSION, s2, "notifications/message",
	    0) == NULL, "a parked request's log line went to another "
	    "principal's request");
	mux_stats(h.m, &st);
	ck_assert_uint_eq(st.log_lines_dropped, 1);
	h_clear(&h);

	h_child(&h, "{'jsonrpc':'2.0','id':'srv-2','method':"
	    "'elicitation/create','params':{'message':'A-PRIVATE-Q'}}");
	h_tick(&h, 35);
	ck_assert_msg(h_find(&h, MUX_OUT_SESSION, s2, "", 0) == NULL,
	    "a parked request's question went to another principal's "
	    "request");
	o = h_find(&h, MUX_OUT_CHILD, NULL, "", 0);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(PS(o->msg, "id"), "srv-2");
	ck_assert_ptr_nonnull(P(o->msg, "error"));
	h_clear(&h);

	/* Not for ever: a client that never comes back (the state lives ten
	 * minutes) holds the guesses back only as long as an orphan does. */
	h_tick(&h, MUX_ORPHAN_GRACE_MS);
	h_clear(&h);
	h_child(&h, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'B-later'}}");
	ck_assert_msg(h_find(&h, MUX_OUT_SESSION, s2, "notifications/message",
	    0) != NULL, "a parked request held another's lines past the "
	    "grace");
	h_clear(&h);

	/* Its own lines, named, still reach it. */
	h_child(&h, "{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':{'level':'error','data':'B','_meta':{"
	    "'mcpbridge/relatedRequestId':%lld}}}", (long long)cid2);
	ck_assert_ptr_nonnull(h_find(&h, MUX_OUT_SESSION, s2,
	    "notifications/message", 0));
	h_clear(&h);
	h_child(&h, "{'jsonrpc':'2.0','id':%lld,'result':{'content':[]}}",
	    (long long)cid2);
	ck_assert_str_eq(PS(h_final(&h, s2), "result.resultType"),
	    "complete");
	mux_session_close(h.m, s2);
	h_stop(&h);
}
END_TEST

/* The pure side of a 2026-07-28 child (mux.c's pass-through, translation). */
START_TEST(test_modern_child_pure)
{
	json_object	*d, *o, *p, *meta, *id;

	o = J("{'supportedVersions':['2099-01-01','2026-07-28']}");
	ck_assert_int_eq(modern_discover_check(o), 1);
	json_object_put(o);
	o = J("{'supportedVersions':['2099-01-01']}");
	ck_assert_int_eq(modern_discover_check(o), 0);
	json_object_put(o);
	o = J("{'protocolVersion':'2025-11-25'}");
	ck_assert_int_eq(modern_discover_check(o), -1);
	json_object_put(o);

	/* initialize from discover: known capabilities, serverInfo from _meta. */
	d = J("{'supportedVersions':['2026-07-28'],'capabilities':{'tools':{},"
	    "'weird':{}},'instructions':'hi','resultType':'complete',"
	    "'_meta':{'io.modelcontextprotocol/serverInfo':{'name':'n',"
	    "'version':'1'}}}");
	o = modern_legacy_init(d);
	ck_assert_str_eq(PS(o, "protocolVersion"), MCP_VERSION_LATEST_LEGACY);
	ck_assert_ptr_nonnull(P(o, "capabilities.tools"));
	ck_assert_ptr_null(P(o, "capabilities.weird"));
	ck_assert_str_eq(PS(o, "serverInfo.name"), "n");
	ck_assert_str_eq(PS(o, "instructions"), "hi");
	ck_assert_ptr_null(P(o, "resultType"));
	json_object_put(o);
	json_object_put(d);
	d = J("{'supportedVersions':['2026-07-28'],'capabilities':{}}");
	o = modern_legacy_init(d);
	ck_assert_ptr_nonnull(PS(o, "serverInfo.name"));
	json_object_put(o);
	json_object_put(d);

	/* A legacy request's params get the modern _meta, the rest kept. */
	p = J("{'name':'t','_meta':{'progressToken':3,"
	    "'io.modelcontextprotocol/logLevel':'debug'}}");
	d = J("{'roots':{}}");
	o = modern_request_params(p, d, NULL, NULL);
	meta = P(o, "_meta");
	ck_assert_str_eq(PS(o, "name"), "t");
	ck_assert_int_eq(PI(meta, "progressToken"), 3);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(meta,
	    MODERN_META_VERSION)), "2026-07-28");
	ck_assert_ptr_nonnull(json_object_object_get(meta, MODERN_META_CAPS));
	ck_assert(!json_object_object_get_ex(meta, MODERN_META_INFO, NULL));
	/* The client cannot choose a level the session did not set. */
	ck_assert(!json_object_object_get_ex(meta, MODERN_META_LOGLEVEL, NULL));
	ck_assert_ptr_nonnull(P(p, "_meta.progressToken"));	/* untouched */
	json_object_put(o);
	o = modern_request_params(NULL, NULL, d, "error");
	meta = P(o, "_meta");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(meta,
	    MODERN_META_LOGLEVEL)), "error");
	ck_assert_int_eq(json_object_object_length(json_object_object_get(meta,
	    MODERN_META_CAPS)), 0);
	json_object_put(o);
	json_object_put(d);
	json_object_put(p);

	o = J("{'tools':[],'resultType':'complete','ttlMs':5,"
	    "'cacheScope':'public','_meta':{'x':1}}");
	p = modern_legacy_result(o);
	ck_assert_ptr_null(P(p, "resultType"));
	ck_assert_ptr_null(P(p, "ttlMs"));
	ck_assert_ptr_null(P(p, "cacheScope"));
	ck_assert_ptr_nonnull(P(p, "tools"));
	ck_assert_ptr_nonnull(P(p, "_meta.x"));
	json_object_put(p);
	json_object_put(o);

	/* Tags: read, taken out, put back as the client's id. */
	o = J("{'jsonrpc':'2.0','method':'notifications/tools/list_changed',"
	    "'params':{'_meta':{'io.modelcontextprotocol/subscriptionId':42}}}");
	ck_assert_int_eq(json_object_get_int(modern_subscription_id(
	    jsonrpc_params(o))), 42);
	p = modern_listen_untag(o);
	ck_assert_ptr_null(P(p, "params._meta"));
	ck_assert_ptr_null(modern_subscription_id(jsonrpc_params(p)));
	json_object_put(p);
	json_object_put(o);
	o = J("{'resultType':'complete','_meta':{'a':1,"
	    "'io.modelcontextprotocol/subscriptionId':42}}");
	id = J("'mine'");
	p = modern_result_retag(o, id);
	ck_assert_str_eq(json_object_get_string(modern_subscription_id(p)),
	    "mine");
	ck_assert_int_eq(json_object_get_int(modern_subscription_id(o)), 42);
	ck_assert_int_eq(PI(p, "_meta.a"), 1);
	json_object_put(p);
	json_object_put(id);
	json_object_put(o);
	o = J("{'_meta':{'io.modelcontextprotocol/subscriptionId':[1]}}");
	ck_assert_ptr_null(modern_subscription_id(o));
	json_object_put(o);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("modern");
	tc = tcase_create("pure");
	tcase_add_test(tc, test_state_known);
	tcase_add_test(tc, test_era);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_params_raw);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_discover);
	tcase_add_test(tc, test_result_error);
	tcase_add_test(tc, test_state);
	tcase_add_test(tc, test_listen_pure);
	tcase_add_test(tc, test_modern_child_pure);
	suite_add_tcase(s, tc);

	tc = tcase_create("mux");
	tcase_add_test(tc, test_mux_discover_forward);
	tcase_add_test(tc, test_mux_input_required);
	tcase_add_loop_test(tc, test_mux_parked_other_principal, 0, 2);
	tcase_add_test(tc, test_mux_input_key_uint64);
	tcase_add_test(tc, test_mux_state_instance);
	tcase_add_test(tc, test_mux_state_expiry);
	tcase_add_test(tc, test_mux_missing_capability);
	tcase_add_test(tc, test_mux_listen);
	tcase_add_test(tc, test_mux_listen_twice);
	tcase_add_test(tc, test_mux_restart_questions);
	tcase_add_test(tc, test_mux_cancel_and_log);
	suite_add_tcase(s, tc);
	return s;
}
