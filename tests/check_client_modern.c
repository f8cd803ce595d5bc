/* SPDX-License-Identifier: ISC */
/*
 * check_client_modern.c: client mode's translation to MCP 2026-07-28
 * (client_modern.c): the era probe, initialize from server/discover, the
 * request on the wire, and input_required results; and for a 2026-07-28 local client, what tells
 * one and its subscriptionId put back.
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
#include "client_modern.h"
#include "jsonrpc.h"
#include "log.h"
#include "testjson.h"

static enum client_modern_probe
probe(long status, const char *body, char **why)
{
	json_object			*o = body != NULL ? J("%s", body) : NULL;
	enum client_modern_probe	 r;

	r = client_modern_probe(status, o, why);
	json_object_put(o);
	return r;
}

START_TEST(test_probe)
{
	char	*why;

	/* A DiscoverResult naming our revision. */
	ck_assert_int_eq(probe(200, "{'jsonrpc':'2.0','id':1,'result':{"
	    "'resultType':'complete','supportedVersions':['2026-07-28'],"
	    "'capabilities':{}}}", &why), CLIENT_MODERN_PROBE_MODERN);
	ck_assert_ptr_null(why);
	/* A dual-era server offering only older modern revisions and ours
	 * legacy ones: legacy. */
	ck_assert_int_eq(probe(200, "{'jsonrpc':'2.0','id':1,'result':{"
	    "'supportedVersions':['2025-11-25'],'capabilities':{}}}", &why),
	    CLIENT_MODERN_PROBE_LEGACY);
	/* Nothing we speak. */
	ck_assert_int_eq(probe(200, "{'jsonrpc':'2.0','id':1,'result':{"
	    "'supportedVersions':['2099-01-01'],'capabilities':{}}}", &why),
	    CLIENT_MODERN_PROBE_FAIL);
	ck_assert_ptr_nonnull(strstr(why, "2099-01-01"));
	free(why);
	/* A 2xx that is no DiscoverResult: a legacy server's odd answer. */
	ck_assert_int_eq(probe(200, "{'jsonrpc':'2.0','id':1,'result':{}}",
	    &why), CLIENT_MODERN_PROBE_LEGACY);
	/* -32022 listing our revision: ask again. */
	ck_assert_int_eq(probe(400, "{'jsonrpc':'2.0','id':1,'error':{"
	    "'code':-32022,'message':'Unsupported protocol version','data':{"
	    "'supported':['2026-07-28'],'requested':'x'}}}", &why),
	    CLIENT_MODERN_PROBE_RETRY);
	ck_assert_int_eq(probe(400, "{'jsonrpc':'2.0','id':1,'error':{"
	    "'code':-32022,'message':'no','data':{'supported':['2025-06-18']}}}",
	    &why), CLIENT_MODERN_PROBE_LEGACY);
	ck_assert_int_eq(probe(400, "{'jsonrpc':'2.0','id':1,'error':{"
	    "'code':-32022,'message':'no','data':{'supported':['3000-01-01']}}}",
	    &why), CLIENT_MODERN_PROBE_FAIL);
	free(why);
	/* Other modern errors: a modern server refusing us. */
	ck_assert_int_eq(probe(400, "{'jsonrpc':'2.0','id':1,'error':{"
	    "'code':-32020,'message':'Header mismatch'}}", &why),
	    CLIENT_MODERN_PROBE_FAIL);
	ck_assert_ptr_nonnull(strstr(why, "Header mismatch"));
	free(why);
	/* Legacy servers: no session, unknown method, empty bodies, 404,
	 * 405, and a modern code on a 200. */
	ck_assert_int_eq(probe(400, "{'jsonrpc':'2.0','id':null,'error':{"
	    "'code':-32000,'message':'Bad Request: No valid session ID'}}",
	    &why), CLIENT_MODERN_PROBE_LEGACY);
	ck_assert_int_eq(probe(200, "{'jsonrpc':'2.0','id':1,'error':{"
	    "'code':-32601,'message':'Method not found'}}", &why),
	    CLIENT_MODERN_PROBE_LEGACY);
	ck_assert_int_eq(probe(400, NULL, &why), CLIENT_MODERN_PROBE_LEGACY);
	ck_assert_int_eq(probe(404, NULL, &why), CLIENT_MODERN_PROBE_LEGACY);
	ck_assert_int_eq(probe(405, "[1]", &why), CLIENT_MODERN_PROBE_LEGACY);
	ck_assert_int_eq(probe(200, "{'jsonrpc':'2.0','id':1,'error':{"
	    "'code':-32022,'message':'x','data':{'supported':['2026-07-28']}}}",
	    &why), CLIENT_MODERN_PROBE_LEGACY);
}
END_TEST

START_TEST(test_local)
{
	json_object	*m;

	ck_assert_int_eq(client_modern_local("ping", 1), CLIENT_MODERN_ANSWER);
	ck_assert_int_eq(client_modern_local("logging/setLevel", 1),
	    CLIENT_MODERN_ANSWER);
	ck_assert_int_eq(client_modern_local("resources/subscribe", 1),
	    CLIENT_MODERN_LISTEN);
	ck_assert_int_eq(client_modern_local("resources/unsubscribe", 1),
	    CLIENT_MODERN_LISTEN);
	ck_assert_int_eq(client_modern_local("tools/call", 1),
	    CLIENT_MODERN_SEND);
	ck_assert_int_eq(client_modern_local("notifications/initialized", 0),
	    CLIENT_MODERN_SWALLOW);

	m = J("{'jsonrpc':'2.0','id':1,'method':'logging/setLevel',"
	    "'params':{'level':'warning'}}");
	ck_assert_str_eq(client_modern_log_level(m), "warning");
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','id':1,'method':'logging/setLevel',"
	    "'params':{'level':'loud'}}");
	ck_assert_ptr_null(client_modern_log_level(m));
	json_object_put(m);
}
END_TEST

START_TEST(test_init_result)
{
	json_object	*d, *init, *r;

	d = J("{'resultType':'complete','supportedVersions':['2026-07-28'],"
	    "'capabilities':{'tools':{'listChanged':true},'resources':{"
	    "'subscribe':true,'listChanged':true},'logging':{}},"
	    "'_meta':{'io.modelcontextprotocol/serverInfo':{'name':'s',"
	    "'version':'2'}},'instructions':'be kind','ttlMs':5}");
	init = J("{'jsonrpc':'2.0','id':1,'method':'initialize','params':{"
	    "'protocolVersion':'2025-06-18','capabilities':{}}}");
	r = client_modern_init_result(d, init);
	ck_assert_str_eq(S(r), "{\"protocolVersion\":\"2025-06-18\","
	    "\"capabilities\":{\"tools\":{\"listChanged\":true},"
	    "\"resources\":{\"subscribe\":true,\"listChanged\":true},"
	    "\"logging\":{}},"
	    "\"serverInfo\":{\"name\":\"s\",\"version\":\"2\"},"
	    "\"instructions\":\"be kind\"}");
	json_object_put(r);
	json_object_put(init);
	json_object_put(d);

	/* A version we cannot serve (or none): the latest legacy one;
	 * serverInfo at the top or missing. */
	d = J("{'supportedVersions':['2026-07-28'],'capabilities':{},"
	    "'serverInfo':{'name':'top','version':'1'}}");
	init = J("{'jsonrpc':'2.0','id':1,'method':'initialize','params':{"
	    "'protocolVersion':'2026-07-28'}}");
	r = client_modern_init_result(d, init);
	ck_assert_str_eq(PS(r, "protocolVersion"), MCP_VERSION_LATEST_LEGACY);
	ck_assert_str_eq(PS(r, "serverInfo.name"), "top");
	json_object_put(r);
	json_object_put(d);
	d = J("{'supportedVersions':['2026-07-28'],'capabilities':{}}");
	r = client_modern_init_result(d, NULL);
	ck_assert_str_eq(PS(r, "protocolVersion"), MCP_VERSION_LATEST_LEGACY);
	ck_assert_str_eq(PS(r, "serverInfo.name"), "unknown");
	ck_assert_ptr_null(P(r, "instructions"));
	json_object_put(r);
	json_object_put(d);
	json_object_put(init);
}
END_TEST

START_TEST(test_request)
{
	json_object	*msg, *init, *id, *resp, *r, *state;

	init = J("{'jsonrpc':'2.0','id':0,'method':'initialize','params':{"
	    "'protocolVersion':'2025-11-25','capabilities':{'sampling':{}},"
	    "'clientInfo':{'name':'c','version':'9'}}}");
	msg = J("{'jsonrpc':'2.0','id':7,'method':'tools/call','params':{"
	    "'name':'t','arguments':{},'_meta':{'progressToken':'p',"
	    "'io.modelcontextprotocol/logLevel':'debug'},"
	    "'requestState':'forged'}}");
	id = json_object_new_string("mcpbridge-3");
	r = client_modern_request(msg, id, init, NULL, NULL, NULL);
	ck_assert_str_eq(S(r), "{\"jsonrpc\":\"2.0\",\"id\":\"mcpbridge-3\","
	    "\"method\":\"tools/call\",\"params\":{\"name\":\"t\","
	    "\"arguments\":{},\"_meta\":{\"progressToken\":\"p\","
	    "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	    "\"io.modelcontextprotocol/clientCapabilities\":{\"sampling\":{}},"
	    "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"c\","
	    "\"version\":\"9\"}}}}");
	json_object_put(r);
	/* The original is untouched. */
	ck_assert_int_eq(PI(msg, "id"), 7);
	ck_assert_str_eq(PS(msg, "params.requestState"), "forged");

	/* A retry: answers and the state, and the log level. */
	resp = J("{'k':{'action':'accept','content':{}}}");
	state = json_object_new_string_len("S\0=", 3);
	r = client_modern_request(msg, id, init, "info", resp, state);
	json_object_put(state);
	/* exactly, the NUL too */
	ck_assert_int_eq(json_object_get_string_len(P(r,
	    "params.requestState")), 3);
	ck_assert_mem_eq(json_object_get_string(P(r, "params.requestState")),
	    "S\0=", 3);
	ck_assert_str_eq(PS(r, "params.inputResponses.k.action"), "accept");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    P(r, "params._meta"), "io.modelcontextprotocol/logLevel")),
	    "info");
	json_object_put(r);
	json_object_put(resp);
	json_object_put(msg);

	/* No params, no initialize: params made, the bridge's clientInfo. */
	msg = J("{'jsonrpc':'2.0','id':'a','method':'tools/list'}");
	r = client_modern_request(msg, id, NULL, NULL, NULL, NULL);
	ck_assert_str_eq(S(json_object_object_get(P(r, "params._meta"),
	    "io.modelcontextprotocol/clientCapabilities")), "{}");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(P(r, "params._meta"),
	    "io.modelcontextprotocol/clientInfo"), "name")), PACKAGE_NAME);
	json_object_put(r);
	json_object_put(msg);
	json_object_put(id);
	json_object_put(init);
}
END_TEST

static int
kind(const char *result, char **err)
{
	json_object	*o = J("%s", result);
	int		 r;

	*err = NULL;
	r = client_modern_result_kind(o, err);
	json_object_put(o);
	return r;
}

START_TEST(test_input_required)
{
	json_object	*req, *id, *m;
	char		*err;

	ck_assert_int_eq(kind("{'content':[]}", &err), 0);
	ck_assert_int_eq(kind("{'resultType':'complete'}", &err), 0);
	ck_assert_int_eq(kind("{'resultType':'input_required',"
	    "'inputRequests':{'a':{'method':'roots/list'}}}", &err), 1);
	ck_assert_int_eq(kind("{'resultType':'input_required',"
	    "'requestState':'s'}", &err), 1);
	ck_assert_int_eq(kind("{'resultType':'input_required'}", &err), -1);
	free(err);
	ck_assert_int_eq(kind("{'resultType':'input_required',"
	    "'inputRequests':[]}", &err), -1);
	free(err);
	ck_assert_int_eq(kind("{'resultType':'input_required',"
	    "'requestState':5}", &err), -1);
	free(err);
	ck_assert_int_eq(kind("{'resultType':'task'}", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "task"));
	free(err);
	ck_assert_int_eq(kind("{'resultType':7}", &err), -1);
	free(err);

	id = json_object_new_string("mcpbridge-in-1");
	req = J("{'method':'sampling/createMessage','params':{'messages':[],"
	    "'maxTokens':5}}");
	m = client_modern_input_request(req, id, &err);
	ck_assert_str_eq(S(m), "{\"jsonrpc\":\"2.0\",\"id\":"
	    "\"mcpbridge-in-1\",\"method\":\"sampling/createMessage\","
	    "\"params\":{\"messages\":[],\"maxTokens\":5}}");
	ck_assert_int_eq(jsonrpc_classify(m), JSONRPC_REQUEST);
	json_object_put(m);
	json_object_put(req);
	req = J("{'method':'roots/list'}");
	m = client_modern_input_request(req, id, &err);
	ck_assert_ptr_null(P(m, "params"));
	json_object_put(m);
	json_object_put(req);
	req = J("{'method':'tools/call','params':{}}");
	ck_assert_ptr_null(client_modern_input_request(req, id, &err));
	ck_assert_ptr_nonnull(strstr(err, "tools/call"));
	free(err);
	json_object_put(req);
	req = J("{'method':'elicitation/create','params':[1]}");
	ck_assert_ptr_null(client_modern_input_request(req, id, &err));
	free(err);
	json_object_put(req);
	json_object_put(id);
}
END_TEST

static int
local_era(const char *text)
{
	json_object	*m = J("%s", text);
	int		 r;

	r = client_modern_local_era(m);
	json_object_put(m);
	return r;
}

START_TEST(test_local_era)
{
	/* The stdio era probe and the modern _meta: a 2026-07-28 client. */
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':1,"
	    "'method':'server/discover'}"), 1);
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':1,'method':"
	    "'tools/list','params':{'_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
	    "'io.modelcontextprotocol/clientCapabilities':{}}}}"), 1);
	/* initialize, plain requests, a legacy version or a progress token
	 * in _meta, a _meta that is no object: a legacy client. */
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':0,'method':"
	    "'initialize','params':{'protocolVersion':'2025-11-25',"
	    "'_meta':{'io.modelcontextprotocol/protocolVersion':"
	    "'2026-07-28'}}}"), 0);
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':1,"
	    "'method':'ping'}"), 0);
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':1,'method':"
	    "'tools/call','params':{'_meta':{'progressToken':1}}}"), 0);
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':1,'method':"
	    "'tools/list','params':{'_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':'2025-11-25'}}}"), 0);
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':1,'method':"
	    "'tools/list','params':{'_meta':{"
	    "'io.modelcontextprotocol/protocolVersion':7}}}"), 0);
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':1,'method':"
	    "'tools/list','params':{'_meta':'2026-07-28'}}"), 0);
	/* Only a request decides. */
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0',"
	    "'method':'server/discover'}"), 0);
	ck_assert_int_eq(local_era("{'jsonrpc':'2.0','id':1,"
	    "'result':{}}"), 0);
}
END_TEST

START_TEST(test_retag)
{
	json_object	*wire, *local, *m, *r;

	wire = json_object_new_string("mcpbridge-7");
	local = json_object_new_int(3);
	/* A notification on the listen stream: the local id. */
	m = J("{'jsonrpc':'2.0','method':'notifications/tools/list_changed',"
	    "'params':{'_meta':{'io.modelcontextprotocol/subscriptionId':"
	    "'mcpbridge-7','x':1}}}");
	r = client_modern_retag(m, wire, local);
	ck_assert_str_eq(S(r), "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/tools/list_changed\",\"params\":{\"_meta\":{"
	    "\"io.modelcontextprotocol/subscriptionId\":3,\"x\":1}}}");
	/* A copy: the original is as it was. */
	ck_assert_ptr_nonnull(strstr(S(m), "mcpbridge-7"));
	json_object_put(r);
	json_object_put(m);
	/* The listen's final result. */
	m = J("{'jsonrpc':'2.0','id':'mcpbridge-7','result':{"
	    "'resultType':'complete','_meta':{"
	    "'io.modelcontextprotocol/subscriptionId':'mcpbridge-7'}}}");
	r = client_modern_retag(m, wire, local);
	ck_assert_str_eq(S(r), "{\"jsonrpc\":\"2.0\",\"id\":\"mcpbridge-7\","
	    "\"result\":{\"resultType\":\"complete\",\"_meta\":{"
	    "\"io.modelcontextprotocol/subscriptionId\":3}}}");
	json_object_put(r);
	json_object_put(m);
	/* Another subscription's id, a progress notification, an error,
	 * params that are no object: unchanged. */
	m = J("{'jsonrpc':'2.0','method':'notifications/resources/updated',"
	    "'params':{'_meta':{'io.modelcontextprotocol/subscriptionId':"
	    "'mcpbridge-8'}}}");
	r = client_modern_retag(m, wire, local);
	ck_assert_str_eq(S(r), S(m));
	json_object_put(r);
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','method':'notifications/progress','params':{"
	    "'progressToken':'mcpbridge-7','progress':1}}");
	r = client_modern_retag(m, wire, local);
	ck_assert_str_eq(S(r), S(m));
	json_object_put(r);
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','id':'mcpbridge-7','error':{'code':-32601,"
	    "'message':'x','_meta':{'io.modelcontextprotocol/subscriptionId':"
	    "'mcpbridge-7'}}}");
	r = client_modern_retag(m, wire, local);
	ck_assert_str_eq(S(r), S(m));
	json_object_put(r);
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','method':'notifications/message',"
	    "'params':[1]}");
	r = client_modern_retag(m, wire, local);
	ck_assert_str_eq(S(r), S(m));
	json_object_put(r);
	json_object_put(m);
	/* The server tearing the listen down cancels it by the local id;
	 * another request's cancel is left alone. */
	m = J("{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':'mcpbridge-7','reason':'bye'}}");
	ck_assert_int_eq(client_modern_cancels(m, wire), 1);
	ck_assert_int_eq(client_modern_cancels(m, local), 0);
	r = client_modern_retag(m, wire, local);
	ck_assert_str_eq(S(r), "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/cancelled\",\"params\":{\"requestId\":3,"
	    "\"reason\":\"bye\"}}");
	json_object_put(r);
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','method':'notifications/cancelled',"
	    "'params':{'requestId':'mcpbridge-8'}}");
	ck_assert_int_eq(client_modern_cancels(m, wire), 0);
	r = client_modern_retag(m, wire, local);
	ck_assert_str_eq(S(r), S(m));
	json_object_put(r);
	json_object_put(m);
	json_object_put(wire);
	json_object_put(local);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("client_modern");
	tc = tcase_create("pure");
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_local);
	tcase_add_test(tc, test_init_result);
	tcase_add_test(tc, test_request);
	tcase_add_test(tc, test_input_required);
	tcase_add_test(tc, test_local_era);
	tcase_add_test(tc, test_retag);
	suite_add_tcase(s, tc);
	return s;
}
