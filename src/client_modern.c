/* SPDX-License-Identifier: ISC */
/*
 * client_modern.c: client mode's translation between a legacy local client
 * and an MCP 2026-07-28 server.  See client_modern.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client_modern.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "modern.h"
#include "xmalloc.h"

/* What a server may ask of the client in an input_required result. */
static const char *const cm_inputs[] = {
	"elicitation/create", "sampling/createMessage", "roots/list", NULL
};

/* 1 if the array of strings a names a legacy revision the bridge speaks. */
static int
cm_array_has_legacy(json_object *a)
{
	json_object	*v;
	size_t		 i;

	for (i = 0; i < json_object_array_length(a); i++) {
		v = json_object_array_get_idx(a, i);
		if (json_object_is_type(v, json_type_string) &&
		    jsonrpc_version_supported(json_object_get_string(v)))
			return 1;
	}
	return 0;
}

/* ---- the era ---- */

enum client_modern_probe
client_modern_probe(long status, json_object *body, char **why)
{
	json_object	*error, *result, *versions, *code, *data;
	const char	*text;

	*why = NULL;
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return CLIENT_MODERN_PROBE_LEGACY;
	result = jsonrpc_get(body, "result", json_type_object);
	if (status >= 200 && status < 300 && result != NULL) {
		versions = jsonrpc_get(result, "supportedVersions", json_type_array);
		if (versions == NULL ||
		    jsonrpc_get(result, "capabilities", json_type_object) == NULL)
			return CLIENT_MODERN_PROBE_LEGACY;
		if (jsonrpc_array_has_str(versions, CLIENT_MODERN_VERSION))
			return CLIENT_MODERN_PROBE_MODERN;
		if (cm_array_has_legacy(versions))
			return CLIENT_MODERN_PROBE_LEGACY;
		xasprintf(why, "the server speaks none of the MCP revisions "
		    "mcpbridge knows (it offers %s)",
		    json_object_to_json_string_ext(versions,
		    JSON_C_TO_STRING_PLAIN));
		return CLIENT_MODERN_PROBE_FAIL;
	}
	if ((error = jsonrpc_get(body, "error", json_type_object)) == NULL ||
	    (code = jsonrpc_get(error, "code", json_type_int)) == NULL)
		return CLIENT_MODERN_PROBE_LEGACY;
	/* Only a 400 carries the modern errors; on 200 they would be an
	 * odd legacy server's own. */
	if (status != 400)
		return CLIENT_MODERN_PROBE_LEGACY;
	text = jsonrpc_get_str(error, "message");
	switch (json_object_get_int(code)) {
	case MCP_ERROR_UNSUPPORTED_VERSION:
		data = jsonrpc_get(error, "data", json_type_object);
		versions = jsonrpc_get(data, "supported", json_type_array);
		if (versions == NULL)
			break;
		if (jsonrpc_array_has_str(versions, CLIENT_MODERN_VERSION))
			return CLIENT_MODERN_PROBE_RETRY;
		if (cm_array_has_legacy(versions))
			return CLIENT_MODERN_PROBE_LEGACY;
		xasprintf(why, "the server speaks none of the MCP revisions "
		    "mcpbridge knows (it offers %s)",
		    json_object_to_json_string_ext(versions,
		    JSON_C_TO_STRING_PLAIN));
		return CLIENT_MODERN_PROBE_FAIL;
	case MCP_ERROR_HEADER_MISMATCH:
	case MCP_ERROR_MISSING_CAPABILITY:
		xasprintf(why, "the server refused server/discover: %.200s",
		    text != NULL ? text : "no reason given");
		return CLIENT_MODERN_PROBE_FAIL;
	default:
		break;
	}
	return CLIENT_MODERN_PROBE_LEGACY;
}

enum client_modern_local
client_modern_local(const char *method, int is_request)
{
	if (!is_request)
		return CLIENT_MODERN_SWALLOW;
	if (strcmp(method, "ping") == 0 ||
	    strcmp(method, "logging/setLevel") == 0)
		return CLIENT_MODERN_ANSWER;
	if (strcmp(method, "resources/subscribe") == 0 ||
	    strcmp(method, "resources/unsubscribe") == 0)
		return CLIENT_MODERN_LISTEN;
	return CLIENT_MODERN_SEND;
}

const char *
client_modern_log_level(json_object *msg)
{
	const char	*level;

	level = jsonrpc_get_str(jsonrpc_params(msg), "level");
	return mcpwire_level(level) >= 0 ? level : NULL;
}

/* ---- initialize from server/discover ---- */

json_object *
client_modern_init_result(json_object *discover, json_object *init)
{
	json_object	*r, *caps, *info, *meta, *v;
	const char	*asked, *s;

	r = json_object_new_object();
	asked = jsonrpc_get_str(jsonrpc_params(init), "protocolVersion");
	if (asked == NULL || !jsonrpc_version_supported(asked))
		asked = MCP_VERSION_LATEST_LEGACY;
	json_object_object_add(r, "protocolVersion",
	    json_object_new_string(asked));

	if ((caps = jsonrpc_get(discover, "capabilities", json_type_object)) != NULL)
		caps = jsonrpc_copy(caps);
	else
		caps = json_object_new_object();
	json_object_object_add(r, "capabilities", caps);

	meta = jsonrpc_get(discover, "_meta", json_type_object);
	if ((v = jsonrpc_get(meta, MODERN_META_SERVERINFO,
	    json_type_object)) == NULL)
		v = jsonrpc_get(discover, "serverInfo", json_type_object);
	if (v != NULL && jsonrpc_get_str(v, "name") != NULL &&
	    jsonrpc_get_str(v, "version") != NULL)
		info = jsonrpc_copy(v);
	else {
		info = json_object_new_object();
		s = v != NULL ? jsonrpc_get_str(v, "name") : NULL;
		json_object_object_add(info, "name",
		    json_object_new_string(s != NULL ? s : "unknown"));
		json_object_object_add(info, "version",
		    json_object_new_string("unknown"));
	}
	json_object_object_add(r, "serverInfo", info);
	if ((s = jsonrpc_get_str(discover, "instructions")) != NULL)
		json_object_object_add(r, "instructions",
		    json_object_new_string(s));
	return r;
}

/* ---- the request on the wire ---- */

json_object *
client_modern_request(json_object *msg, json_object *id, json_object *init,
    const char *log_level, json_object *responses, json_object *state)
{
	json_object	*m, *params, *meta, *iparams, *v;

	m = jsonrpc_copy(msg);
	json_object_object_add(m, "id", jsonrpc_id_copy(id));
	if (!json_object_object_get_ex(m, "params", &params) ||
	    !json_object_is_type(params, json_type_object)) {
		params = json_object_new_object();
		json_object_object_add(m, "params", params);
	}
	if ((meta = jsonrpc_get(params, "_meta", json_type_object)) == NULL) {
		meta = json_object_new_object();
		json_object_object_add(params, "_meta", meta);
	}
	json_object_object_add(meta, MODERN_META_VERSION,
	    json_object_new_string(CLIENT_MODERN_VERSION));
	iparams = jsonrpc_params(init);
	if ((v = jsonrpc_get(iparams, "capabilities", json_type_object)) != NULL)
		v = jsonrpc_copy(v);
	else
		v = json_object_new_object();
	json_object_object_add(meta, MODERN_META_CAPS, v);
	if ((v = jsonrpc_get(iparams, "clientInfo", json_type_object)) != NULL &&
	    jsonrpc_get_str(v, "name") != NULL && jsonrpc_get_str(v, "version") != NULL)
		v = jsonrpc_copy(v);
	else {
		v = json_object_new_object();
		json_object_object_add(v, "name",
		    json_object_new_string(PACKAGE_NAME));
		json_object_object_add(v, "version",
		    json_object_new_string(PACKAGE_VERSION));
	}
	json_object_object_add(meta, MODERN_META_INFO, v);
	if (log_level != NULL)
		json_object_object_add(meta, MODERN_META_LOGLEVEL,
		    json_object_new_string(log_level));
	else
		json_object_object_del(meta, MODERN_META_LOGLEVEL);
	/* Only ours: a round's answers never leak into another request. */
	json_object_object_del(params, "inputResponses");
	json_object_object_del(params, "requestState");
	if (responses != NULL)
		json_object_object_add(params, "inputResponses",
		    jsonrpc_copy(responses));
	if (state != NULL)
		json_object_object_add(params, "requestState",
		    json_object_get(state));
	return m;
}

/* ---- input_required ---- */

int
client_modern_result_kind(json_object *result, char **err)
{
	json_object	*type, *reqs, *state;
	const char	*t;
	int		 n = 0;

	if (!json_object_is_type(result, json_type_object) ||
	    !json_object_object_get_ex(result, "resultType", &type))
		return 0;
	if (!json_object_is_type(type, json_type_string)) {
		xasprintf(err, "the server's resultType is not a string");
		return -1;
	}
	t = json_object_get_string(type);
	if (strcmp(t, "complete") == 0)
		return 0;
	if (strcmp(t, "input_required") != 0) {
		xasprintf(err, "the server answered with a result of type "
		    "'%.64s', which mcpbridge does not know", t);
		return -1;
	}
	if (json_object_object_get_ex(result, "inputRequests", &reqs)) {
		if (!json_object_is_type(reqs, json_type_object)) {
			xasprintf(err, "the server's inputRequests is not an "
			    "object");
			return -1;
		}
		n = json_object_object_length(reqs);
		if (n > CLIENT_MODERN_MAX_INPUTS) {
			xasprintf(err, "the server asked for %d inputs at once "
			    "(at most %d)", n, CLIENT_MODERN_MAX_INPUTS);
			return -1;
		}
	}
	if (json_object_object_get_ex(result, "requestState", &state)) {
		if (!json_object_is_type(state, json_type_string)) {
			xasprintf(err, "the server's requestState is not a "
			    "string");
			return -1;
		}
		n++;
	}
	if (n == 0) {
		xasprintf(err, "the server asked for input but named neither "
		    "inputRequests nor requestState");
		return -1;
	}
	return 1;
}

json_object *
client_modern_input_request(json_object *req, json_object *id, char **err)
{
	json_object	*params = NULL, *msg;
	const char	*method;

	method = jsonrpc_get_str(req, "method");
	if (method == NULL || !jsonrpc_in(method, cm_inputs)) {
		xasprintf(err, "the server asked for input the bridge cannot "
		    "relay (%.64s)", method != NULL ? method : "no method");
		return NULL;
	}
	if (json_object_object_get_ex(req, "params", &params) &&
	    !json_object_is_type(params, json_type_object)) {
		xasprintf(err, "the server's %s request has params that are "
		    "not an object", method);
		return NULL;
	}
	msg = json_object_new_object();
	json_object_object_add(msg, "jsonrpc", jsonparse_version());
	json_object_object_add(msg, "id", jsonrpc_id_copy(id));
	json_object_object_add(msg, "method", json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(msg, "params", jsonrpc_copy(params));
	return msg;
}

/* ---- a 2026-07-28 local client ---- */

int
client_modern_local_era(json_object *msg)
{
	const char	*method, *v;

	if (jsonrpc_classify(msg) != JSONRPC_REQUEST)
		return 0;
	method = jsonrpc_method(msg);
	if (strcmp(method, "server/discover") == 0)
		return 1;
	if (strcmp(method, "initialize") == 0)
		return 0;
	v = jsonrpc_get_str(jsonrpc_get(jsonrpc_params(msg), "_meta", json_type_object),
	    MODERN_META_VERSION);
	/* The legacy revisions are all older than the modern one. */
	return v != NULL &&
	    jsonrpc_version_cmp(v, MCP_VERSION_LATEST_LEGACY) > 0;
}

int
client_modern_cancels(json_object *msg, json_object *id)
{
	json_object	*v;

	return jsonrpc_classify(msg) == JSONRPC_NOTIFICATION &&
	    strcmp(jsonrpc_method(msg), "notifications/cancelled") == 0 &&
	    json_object_object_get_ex(jsonrpc_params(msg), "requestId", &v) &&
	    jsonrpc_id_equal(v, id);
}

json_object *
client_modern_retag(json_object *msg, json_object *wire_id,
    json_object *local_id)
{
	json_object	*copy, *holder = NULL, *meta, *v;

	copy = jsonrpc_copy(msg);
	switch (jsonrpc_classify(copy)) {
	case JSONRPC_NOTIFICATION:
		holder = jsonrpc_params(copy);
		break;
	case JSONRPC_RESPONSE:
		holder = jsonrpc_get(copy, "result", json_type_object);
		break;
	default:
		break;
	}
	if ((meta = jsonrpc_get(holder, "_meta", json_type_object)) != NULL &&
	    json_object_object_get_ex(meta, MODERN_META_SUBSCRIPTION, &v) &&
	    jsonrpc_id_equal(v, wire_id))
		json_object_object_add(meta, MODERN_META_SUBSCRIPTION,
		    jsonrpc_id_copy(local_id));
	/* The server ending a listen cancels it by its id. */
	if (client_modern_cancels(copy, wire_id))
		json_object_object_add(holder, "requestId",
		    jsonrpc_id_copy(local_id));
	return copy;
}
