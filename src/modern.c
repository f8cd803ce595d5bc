/* SPDX-License-Identifier: ISC */
/*
 * modern.c: the pure side of serving MCP 2026-07-28 clients from a legacy
 * stdio child.  See modern.h.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base64.h"
#include "entropy.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "modern.h"
#include "rawjson.h"
#include "xmalloc.h"

/* The requestState: version byte, four 64-bit fields, the tag. */
#define MODERN_STATE_VERSION	1
#define MODERN_STATE_RAW	(1 + 4 * 8 + SHA256_DIGEST_LENGTH)

/* Methods a modern client may not call (legacy only, or the client's). */
static const char *const modern_removed[] = {
	"initialize", "ping", "logging/setLevel", "resources/subscribe",
	"resources/unsubscribe", "tasks/get", "tasks/result", "tasks/list",
	"tasks/cancel", "sampling/createMessage", "elicitation/create",
	"roots/list", NULL
};

static const char *const modern_cacheable[] = {
	"server/discover", "tools/list", "prompts/list", "resources/list",
	"resources/templates/list", "resources/read", NULL
};

/* ---- small helpers ---- */

/* The string member naming what a request asks for, or NULL. */
static json_object *
modern_request_name_obj(const char *method, json_object *params)
{
	return jsonrpc_get(params, method != NULL &&
	    strcmp(method, "resources/read") == 0 ? "uri" : "name",
	    json_type_string);
}

static json_object *
modern_error_new(int code, const char *message, json_object *data)
{
	json_object	*e;

	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	if (data != NULL)
		json_object_object_add(e, "data", data);
	return e;
}

/* {"jsonrpc":"2.0","id":id,"error":error}; error is consumed. */
static json_object *
modern_error_response(json_object *id, json_object *error)
{
	json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "jsonrpc", jsonparse_version());
	json_object_object_add(o, "id", jsonrpc_id_copy(id));
	json_object_object_add(o, "error", error);
	return o;
}

/* ---- era and checks ---- */

enum modern_era
modern_era(json_object *msg, const char *version)
{
	json_object	*meta = NULL;

	if (msg != NULL && !json_object_is_type(msg, json_type_object))
		return MODERN_ERA_LEGACY;
	if (msg != NULL)
		meta = jsonrpc_get(jsonrpc_params(msg), "_meta",
		    json_type_object);
	if (meta != NULL && (json_object_object_get_ex(meta,
	    MODERN_META_VERSION, NULL) || json_object_object_get_ex(meta,
	    MODERN_META_CAPS, NULL)))
		return MODERN_ERA_MODERN;
	if (version != NULL && !jsonrpc_version_supported(version))
		return MODERN_ERA_MODERN;
	return MODERN_ERA_LEGACY;
}

json_object *
modern_check_meta(json_object *msg)
{
	json_object	*meta, *version, *caps, *v;
	char		*text;

	meta = jsonrpc_get(jsonrpc_params(msg), "_meta", json_type_object);
	version = jsonrpc_get(meta, MODERN_META_VERSION, json_type_string);
	caps = jsonrpc_get(meta, MODERN_META_CAPS, json_type_object);
	if (version == NULL || caps == NULL) {
		xasprintf(&text, "Invalid params: _meta must carry %s%s%s",
		    version == NULL ? MODERN_META_VERSION : "",
		    version == NULL && caps == NULL ? " and " : "",
		    caps == NULL ? MODERN_META_CAPS : "");
		v = modern_error_new(JSONRPC_INVALID_PARAMS, text, NULL);
		free(text);
		return v;
	}
	if (strcmp(json_object_get_string(version),
	    MCP_VERSION_2026_07_28) != 0) {
		caps = json_object_new_array();
		json_object_array_add(caps,
		    json_object_new_string(MCP_VERSION_2026_07_28));
		v = json_object_new_object();
		json_object_object_add(v, "supported", caps);
		json_object_object_add(v, "requested", json_object_get(version));
		return modern_error_new(MCP_ERROR_UNSUPPORTED_VERSION,
		    "Unsupported protocol version", v);
	}
	if (json_object_object_get_ex(meta, MODERN_META_LOGLEVEL, &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    mcpwire_level(json_object_get_string(v)) == -1))
		return modern_error_new(JSONRPC_INVALID_PARAMS,
		    "Invalid params: unknown " MODERN_META_LOGLEVEL, NULL);
	return NULL;
}

const char	modern_header_repeated[] = "";

/* A header that must equal want: NULL if it does, else the error. */
static json_object *
modern_check_header(const char *name, const char *raw, const char *want,
    size_t wantlen, int decode)
{
	json_object	*err;
	char		*value, *text;
	size_t		 len;
	int		 ok;

	if (raw == modern_header_repeated) {
		xasprintf(&text, "Header mismatch: the %s header is repeated",
		    name);
		goto fail;
	}
	if (raw == NULL) {
		xasprintf(&text, "Header mismatch: the %s header is required",
		    name);
		goto fail;
	}
	if ((value = mcpwire_header_decode(raw, &len)) == NULL) {
		xasprintf(&text, "Header mismatch: invalid %s header value",
		    name);
		goto fail;
	}
	/* Only Mcp-Name and Mcp-Param-* may be base64-encoded. */
	if (!decode && strncmp(raw + strspn(raw, " \t"), MCPWIRE_B64_OPEN,
	    strlen(MCPWIRE_B64_OPEN)) == 0)
		ok = 0;
	else
		ok = want != NULL && len == wantlen &&
		    memcmp(value, want, len) == 0;
	free(value);
	if (ok)
		return NULL;
	xasprintf(&text, "Header mismatch: the %s header does not match the "
	    "request body", name);
fail:
	err = modern_error_new(MCP_ERROR_HEADER_MISMATCH, text, NULL);
	free(text);
	return err;
}

/* A JSON string's length: a "\u0000" in it must not end the compare. */
static size_t
modern_strlen(json_object *v)
{
	return v != NULL ? (size_t)json_object_get_string_len(v) : 0;
}

json_object *
modern_check(json_object *msg, modern_header_cb header, void *arg,
    int *status)
{
	json_object	*meta, *err = NULL, *name;
	const char	*hv, *method, *version;

	*status = 400;
	method = jsonrpc_method(msg);
	hv = header(arg, "MCP-Protocol-Version");
	if (hv == NULL || hv == modern_header_repeated) {
		err = modern_error_new(MCP_ERROR_HEADER_MISMATCH, hv == NULL ?
		    "Header mismatch: the MCP-Protocol-Version header is "
		    "required" : "Header mismatch: the MCP-Protocol-Version "
		    "header is repeated", NULL);
		goto out;
	}
	meta = jsonrpc_get(jsonrpc_params(msg), "_meta", json_type_object);
	version = jsonrpc_get_str(meta, MODERN_META_VERSION);
	if (version != NULL && jsonrpc_get(meta, MODERN_META_CAPS,
	    json_type_object) != NULL &&
	    (err = modern_check_header("MCP-Protocol-Version", hv, version,
	    modern_strlen(jsonrpc_get(meta, MODERN_META_VERSION,
	    json_type_string)), 0)) != NULL)
		goto out;
	if ((err = modern_check_meta(msg)) != NULL)
		goto out;
	if ((err = modern_check_header("Mcp-Method", header(arg,
	    "Mcp-Method"), method, modern_strlen(jsonrpc_get(msg, "method",
	    json_type_string)), 0)) != NULL)
		goto out;
	if (strcmp(method, "tools/call") == 0 ||
	    strcmp(method, "prompts/get") == 0 ||
	    strcmp(method, "resources/read") == 0) {
		name = modern_request_name_obj(method, jsonrpc_params(msg));
		hv = header(arg, "Mcp-Name");
		if (name == NULL && hv == NULL)
			goto out;	/* the child will say what is missing */
		if ((err = modern_check_header("Mcp-Name", hv, name != NULL ?
		    json_object_get_string(name) : NULL, modern_strlen(name),
		    1)) != NULL)
			goto out;
	}
out:
	if (err == NULL)
		return NULL;
	log_debug("2026-07-28 %s refused: %s", method,
	    jsonrpc_get_str(err, "message"));
	return modern_error_response(jsonrpc_id(msg), err);
}

json_object *
modern_check_params(json_object *msg, modern_header_cb header, void *arg,
    json_object *spec)
{
	json_object	*args, *want, *v, *err = NULL;
	const char	*name;
	char		*hname, *value;
	size_t		 i, len;

	/* The arguments may be the client's bytes (rawjson_request). */
	args = rawjson_get(jsonrpc_params(msg), "arguments", json_type_object);
	want = mcpwire_param_headers(spec, args);
	json_object_put(args);
	for (i = 0; err == NULL && i < json_object_array_length(spec); i++) {
		if ((name = jsonrpc_get_str(json_object_array_get_idx(spec, i),
		    "name")) == NULL)
			continue;
		xasprintf(&hname, "Mcp-Param-%s", name);
		if (json_object_object_get_ex(want, name, &v)) {
			/* The value as the bridge would send it, decoded:
			 * what the client's header must decode to. */
			if ((value = mcpwire_header_decode(
			    json_object_get_string(v), &len)) == NULL)
				fatalx("modern_check_params: %s", name);
			err = modern_check_header(hname, header(arg, hname),
			    value, len, 1);
			free(value);
		} else if (header(arg, hname) != NULL)
			/* A value the body does not hold. */
			err = modern_check_header(hname, header(arg, hname),
			    NULL, 0, 1);
		free(hname);
	}
	json_object_put(want);
	if (err == NULL)
		return NULL;
	log_debug("2026-07-28 tools/call refused: %s",
	    jsonrpc_get_str(err, "message"));
	return modern_error_response(jsonrpc_id(msg), err);
}

int
modern_http_status(json_object *answer)
{
	json_object	*error;
	int		 code;

	if ((error = jsonrpc_get(answer, "error", json_type_object)) == NULL)
		return 200;
	code = json_object_get_int(json_object_object_get(error, "code"));
	switch (code) {
	case JSONRPC_METHOD_NOT_FOUND:
		return 404;
	case JSONRPC_PARSE_ERROR:
	case JSONRPC_INVALID_REQUEST:
	case JSONRPC_INVALID_PARAMS:
	case MCP_ERROR_HEADER_MISMATCH:
	case MCP_ERROR_MISSING_CAPABILITY:
	case MCP_ERROR_UNSUPPORTED_VERSION:
		return 400;
	default:
		return 200;
	}
}

/* ---- methods and translation ---- */

enum modern_method
modern_method(const char *method)
{
	if (strcmp(method, "server/discover") == 0)
		return MODERN_DISCOVER;
	if (strcmp(method, "subscriptions/listen") == 0)
		return MODERN_LISTEN;
	if (jsonrpc_in(method, modern_removed) ||
	    strncmp(method, "notifications/", 14) == 0)
		return MODERN_REMOVED;
	return MODERN_FORWARD;
}

int
modern_method_mrtr(const char *method)
{
	return method != NULL && (strcmp(method, "tools/call") == 0 ||
	    strcmp(method, "prompts/get") == 0 ||
	    strcmp(method, "resources/read") == 0);
}

int
modern_method_cacheable(const char *method)
{
	return jsonrpc_in(method, modern_cacheable);
}

const char *
modern_request_name(const char *method, json_object *params)
{
	json_object	*v;

	return (v = modern_request_name_obj(method, params)) == NULL ? NULL :
	    json_object_get_string(v);
}

json_object *
modern_legacy_params(json_object *params)
{
	static const char *const drop_params[] = {
		"inputResponses", "requestState", NULL,
	};
	static const char *const drop_meta[] = {
		MODERN_META_VERSION, MODERN_META_INFO, MODERN_META_CAPS,
		MODERN_META_LOGLEVEL, NULL,
	};
	json_object	*p, *meta;

	if (params == NULL)
		return NULL;
	p = jsonrpc_copy_shallow(params, drop_params);
	if ((meta = jsonrpc_get(params, "_meta", json_type_object)) != NULL) {
		meta = jsonrpc_copy_shallow(meta, drop_meta);
		if (json_object_object_length(meta) == 0) {
			json_object_put(meta);
			json_object_object_del(p, "_meta");
		} else
			json_object_object_add(p, "_meta", meta);
	}
	return p;
}

json_object *
modern_capabilities(json_object *legacy)
{
	static const char *const known[] = {
		"experimental", "logging", "completions", "prompts",
		"resources", "tools", "extensions",
	};
	json_object	*caps, *v;
	size_t		 i;

	caps = json_object_new_object();
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		if ((v = jsonrpc_get(legacy, known[i],
		    json_type_object)) != NULL)
			json_object_object_add(caps, known[i],
			    json_object_get(v));
	}
	return caps;
}

json_object *
modern_discover(json_object *init)
{
	json_object	*result, *v;

	result = json_object_new_object();
	v = json_object_new_array();
	json_object_array_add(v, json_object_new_string(MCP_VERSION_2026_07_28));
	json_object_object_add(result, "supportedVersions", v);
	json_object_object_add(result, "capabilities",
	    modern_capabilities(jsonrpc_get(init, "capabilities",
	    json_type_object)));
	if ((v = jsonrpc_get(init, "instructions", json_type_string)) != NULL)
		json_object_object_add(result, "instructions",
		    json_object_get(v));
	v = modern_result("server/discover", result,
	    jsonrpc_get(init, "serverInfo", json_type_object));
	json_object_put(result);
	return v;
}

json_object *
modern_result(const char *method, json_object *result,
    json_object *server_info)
{
	json_object	*r, *meta;
	const char	*type;

	r = jsonrpc_copy_shallow(result, NULL);
	if ((type = jsonrpc_get_str(r, "resultType")) == NULL) {
		json_object_object_add(r, "resultType",
		    json_object_new_string("complete"));
		type = "complete";
	}
	if (server_info != NULL) {
		meta = jsonrpc_copy_shallow(jsonrpc_get(r, "_meta",
		    json_type_object), NULL);
		if (!json_object_object_get_ex(meta, MODERN_META_SERVERINFO,
		    NULL))
			json_object_object_add(meta, MODERN_META_SERVERINFO,
			    json_object_get(server_info));
		json_object_object_add(r, "_meta", meta);
	}
	if (strcmp(type, "complete") == 0 && modern_method_cacheable(method)) {
		if (!json_object_object_get_ex(r, "ttlMs", NULL))
			json_object_object_add(r, "ttlMs",
			    json_object_new_int(0));
		if (!json_object_object_get_ex(r, "cacheScope", NULL))
			json_object_object_add(r, "cacheScope",
			    json_object_new_string("private"));
	}
	return r;
}

json_object *
modern_error(const char *method, json_object *error)
{
	json_object	*e, *v;

	v = json_object_object_get(error, "code");
	if (method == NULL || strcmp(method, "resources/read") != 0 ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != -32002)
		return json_object_get(error);
	/* SEP-2164: a resource that does not exist is invalid params. */
	e = jsonrpc_copy_shallow(error, NULL);
	json_object_object_add(e, "code",
	    json_object_new_int(JSONRPC_INVALID_PARAMS));
	return e;
}

json_object *
modern_missing_capability(json_object *required)
{
	json_object	*data;
	char		*text, *p;
	const char	*sep = " ";

	data = json_object_new_object();
	json_object_object_add(data, "requiredCapabilities", required);
	text = xstrdup("Missing required client capability:");
	json_object_object_foreach(required, k, v) {
		(void)v;
		xasprintf(&p, "%s%s%s", text, sep, k);
		free(text);
		text = p;
		sep = ", ";
	}
	data = modern_error_new(MCP_ERROR_MISSING_CAPABILITY, text, data);
	free(text);
	return data;
}

/* ---- input requests ---- */

/* params without the hints in _meta; NULL if there were none to drop. */
static json_object *
modern_params_unhinted(json_object *params)
{
	static const char *const hints[] = {
		MODERN_HINT_RELATED, MODERN_HINT_KEY, NULL,
	};
	json_object	*meta, *p;

	meta = jsonrpc_get(params, "_meta", json_type_object);
	if (meta == NULL || (!json_object_object_get_ex(meta,
	    MODERN_HINT_RELATED, NULL) && !json_object_object_get_ex(meta,
	    MODERN_HINT_KEY, NULL)))
		return NULL;
	p = jsonrpc_copy_shallow(params, NULL);
	meta = jsonrpc_copy_shallow(meta, hints);
	if (json_object_object_length(meta) == 0) {
		json_object_put(meta);
		json_object_object_del(p, "_meta");
	} else
		json_object_object_add(p, "_meta", meta);
	return p;
}

json_object *
modern_hint_related(json_object *msg)
{
	json_object	*v;

	v = json_object_object_get(jsonrpc_get(jsonrpc_params(msg), "_meta",
	    json_type_object), MODERN_HINT_RELATED);
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return v;
}

char *
modern_input_key(json_object *msg)
{
	json_object	*id;
	const char	*key;

	key = jsonrpc_get_str(jsonrpc_get(jsonrpc_params(msg), "_meta",
	    json_type_object), MODERN_HINT_KEY);
	if (key != NULL && *key != '\0')
		return xstrdup(key);
	id = jsonrpc_id(msg);
	if (json_object_is_type(id, json_type_string))
		return xstrdup(json_object_get_string(id));
	/* json-c's own digits: get_int64 clamps the upper half of uint64. */
	return xstrdup(json_object_to_json_string_ext(id,
	    JSON_C_TO_STRING_PLAIN));
}

json_object *
modern_input_request(json_object *msg)
{
	json_object	*o, *params;

	o = json_object_new_object();
	json_object_object_add(o, "method",
	    json_object_new_string(jsonrpc_method(msg)));
	if ((params = modern_params_unhinted(jsonrpc_params(msg))) == NULL)
		params = json_object_get(jsonrpc_params(msg));
	if (params == NULL)
		params = json_object_new_object();
	json_object_object_add(o, "params", params);
	return o;
}

json_object *
modern_strip_hints(json_object *msg)
{
	json_object	*params, *o;

	if ((params = modern_params_unhinted(jsonrpc_params(msg))) == NULL)
		return json_object_get(msg);
	o = jsonrpc_copy_shallow(msg, NULL);
	json_object_object_add(o, "params", params);
	return o;
}

int
modern_input_responses_ok(json_object *params, const char **why)
{
	json_object	*r;

	if (!json_object_object_get_ex(params, "inputResponses", &r))
		return 0;
	if (!json_object_is_type(r, json_type_object)) {
		*why = "Invalid params: inputResponses must be an object";
		return -1;
	}
	json_object_object_foreach(r, k, v) {
		(void)k;
		if (!json_object_is_type(v, json_type_object)) {
			*why = "Invalid params: every inputResponses value must "
			    "be an object (a result for the input request)";
			return -1;
		}
	}
	if (json_object_object_get_ex(params, "requestState", &r) &&
	    !json_object_is_type(r, json_type_string)) {
		*why = "Invalid params: requestState must be a string";
		return -1;
	}
	return 0;
}

/* ---- subscriptions/listen ---- */

static const struct {
	const char	*field;
	const char	*method;
	unsigned	 flag;
} modern_listen_fields[] = {
	{ "toolsListChanged", "notifications/tools/list_changed",
	  MODERN_LISTEN_TOOLS },
	{ "promptsListChanged", "notifications/prompts/list_changed",
	  MODERN_LISTEN_PROMPTS },
	{ "resourcesListChanged", "notifications/resources/list_changed",
	  MODERN_LISTEN_RESOURCES },
	{ "resourceSubscriptions", "notifications/resources/updated",
	  MODERN_LISTEN_SUBSCRIBE },
};
#define MODERN_NLISTEN	(sizeof modern_listen_fields / \
	sizeof modern_listen_fields[0])

int
modern_listen_parse(json_object *params, unsigned *flags, json_object **uris,
    const char **why)
{
	json_object	*filter, *v;
	size_t		 i, n;

	*flags = 0;
	*uris = NULL;
	if ((filter = jsonrpc_get(params, "notifications",
	    json_type_object)) == NULL) {
		*why = "Invalid params: notifications (the filter) is required";
		return -1;
	}
	for (i = 0; i < MODERN_NLISTEN - 1; i++) {
		if (!json_object_object_get_ex(filter,
		    modern_listen_fields[i].field, &v))
			continue;
		if (!json_object_is_type(v, json_type_boolean)) {
			*why = "Invalid params: the list-changed filter fields "
			    "are booleans";
			return -1;
		}
		if (json_object_get_boolean(v))
			*flags |= modern_listen_fields[i].flag;
	}
	if (json_object_object_get_ex(filter, "resourceSubscriptions", &v)) {
		if (!json_object_is_type(v, json_type_array))
			goto bad_uris;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (!json_object_is_type(json_object_array_get_idx(v,
			    i), json_type_string))
				goto bad_uris;
		}
		if (n > 0) {
			*flags |= MODERN_LISTEN_SUBSCRIBE;
			*uris = v;
		}
	}
	return 0;

bad_uris:
	*why = "Invalid params: resourceSubscriptions is an array of URIs";
	return -1;
}

unsigned
modern_listen_supported(json_object *caps)
{
	json_object	*tools, *prompts, *resources;
	unsigned	 flags = 0;

	tools = jsonrpc_get(caps, "tools", json_type_object);
	prompts = jsonrpc_get(caps, "prompts", json_type_object);
	resources = jsonrpc_get(caps, "resources", json_type_object);
	if (json_object_get_boolean(json_object_object_get(tools,
	    "listChanged")))
		flags |= MODERN_LISTEN_TOOLS;
	if (json_object_get_boolean(json_object_object_get(prompts,
	    "listChanged")))
		flags |= MODERN_LISTEN_PROMPTS;
	if (json_object_get_boolean(json_object_object_get(resources,
	    "listChanged")))
		flags |= MODERN_LISTEN_RESOURCES;
	if (json_object_get_boolean(json_object_object_get(resources,
	    "subscribe")))
		flags |= MODERN_LISTEN_SUBSCRIBE;
	return flags;
}

static json_object *
modern_subscription_meta(json_object *id)
{
	json_object	*meta;

	meta = json_object_new_object();
	json_object_object_add(meta, MODERN_META_SUBSCRIPTION,
	    jsonrpc_id_copy(id));
	return meta;
}

json_object *
modern_listen_filter(unsigned flags, json_object *uris)
{
	json_object	*filter;
	size_t		 i;

	filter = json_object_new_object();
	for (i = 0; i < MODERN_NLISTEN - 1; i++) {
		if (flags & modern_listen_fields[i].flag)
			json_object_object_add(filter,
			    modern_listen_fields[i].field,
			    json_object_new_boolean(1));
	}
	if ((flags & MODERN_LISTEN_SUBSCRIBE) && uris != NULL)
		json_object_object_add(filter, "resourceSubscriptions",
		    json_object_get(uris));
	return filter;
}

json_object *
modern_listen_ack(json_object *id, unsigned flags, json_object *uris)
{
	json_object	*params, *filter;

	filter = modern_listen_filter(flags, uris);
	params = json_object_new_object();
	json_object_object_add(params, "_meta", modern_subscription_meta(id));
	json_object_object_add(params, "notifications", filter);
	return jsonrpc_notification_new(
	    "notifications/subscriptions/acknowledged", params);
}

json_object *
modern_listen_tag(json_object *msg, json_object *id)
{
	json_object	*n, *params, *meta;

	params = jsonrpc_copy_shallow(jsonrpc_params(msg), NULL);
	meta = jsonrpc_copy_shallow(jsonrpc_get(params, "_meta",
	    json_type_object), NULL);
	json_object_object_add(meta, MODERN_META_SUBSCRIPTION,
	    jsonrpc_id_copy(id));
	json_object_object_add(params, "_meta", meta);
	n = jsonrpc_notification_new(jsonrpc_method(msg), params);
	return n;
}

json_object *
modern_listen_end(json_object *id)
{
	json_object	*result;

	result = json_object_new_object();
	json_object_object_add(result, "resultType",
	    json_object_new_string("complete"));
	json_object_object_add(result, "_meta", modern_subscription_meta(id));
	return jsonrpc_result_new(id, result);
}

unsigned
modern_listen_flag(const char *method)
{
	size_t	i;

	for (i = 0; i < MODERN_NLISTEN; i++) {
		if (strcmp(method, modern_listen_fields[i].method) == 0)
			return modern_listen_fields[i].flag;
	}
	return 0;
}

/* ---- requestState ---- */

void
modern_key_new(unsigned char key[MODERN_KEY_LEN])
{
	entropy_get(key, MODERN_KEY_LEN);
}

static void
modern_put64(unsigned char *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static uint64_t
modern_get64(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The tag covers the fields and what the state is bound to. */
static void
modern_state_tag(const unsigned char key[MODERN_KEY_LEN],
    const unsigned char *fields, size_t len, const char *method,
    const char *name, unsigned char tag[SHA256_DIGEST_LENGTH])
{
	unsigned char	*buf, *p;
	size_t		 mlen, nlen, tlen = 0;

	mlen = method != NULL ? strlen(method) + 1 : 1;
	nlen = name != NULL ? strlen(name) + 1 : 1;
	p = buf = xmalloc(len + mlen + nlen);
	memcpy(p, fields, len);
	p += len;
	memcpy(p, method != NULL ? method : "", mlen);
	p += mlen;
	memcpy(p, name != NULL ? name : "", nlen);
	/* Failing here is libcrypto without HMAC or SHA-256: fatal, as a
	 * state could then never be checked. */
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, MODERN_KEY_LEN,
	    buf, len + mlen + nlen, tag, SHA256_DIGEST_LENGTH, &tlen) == NULL ||
	    tlen != SHA256_DIGEST_LENGTH)
		fatalx("modern: HMAC-SHA-256 failed");
	free(buf);
}

char *
modern_state_seal(const unsigned char key[MODERN_KEY_LEN],
    const struct modern_state *st, const char *method, const char *name)
{
	unsigned char	raw[MODERN_STATE_RAW];

	raw[0] = MODERN_STATE_VERSION;
	modern_put64(raw + 1, st->cid);
	modern_put64(raw + 9, st->round);
	modern_put64(raw + 17, st->expires);
	modern_put64(raw + 25, st->principal);
	modern_state_tag(key, raw, 33, method, name, raw + 33);
	return base64_encode(raw, sizeof raw, BASE64_URL | BASE64_NOPAD);
}

int
modern_state_open(const unsigned char key[MODERN_KEY_LEN], const char *text,
    const char *method, const char *name, struct modern_state *out)
{
	unsigned char	raw[MODERN_STATE_RAW + 3], tag[SHA256_DIGEST_LENGTH];
	unsigned char	diff = 0;
	size_t		len, n, i;

	if (text == NULL || (len = strlen(text)) > (MODERN_STATE_RAW * 4 + 2) / 3 ||
	    base64_decode(text, len, raw, &n,
	    BASE64_URL | BASE64_NOPAD) == -1 ||
	    n != MODERN_STATE_RAW || raw[0] != MODERN_STATE_VERSION)
		return -1;
	modern_state_tag(key, raw, 33, method, name, tag);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
		diff |= tag[i] ^ raw[33 + i];
	if (diff != 0)
		return -1;
	out->cid = modern_get64(raw + 1);
	out->round = modern_get64(raw + 9);
	out->expires = modern_get64(raw + 17);
	out->principal = modern_get64(raw + 25);
	return 0;
}

/* ---- a 2026-07-28 child ---- */

int
modern_discover_check(json_object *result)
{
	json_object	*versions, *v;
	size_t		 i, n;

	if ((versions = jsonrpc_get(result, "supportedVersions",
	    json_type_array)) == NULL)
		return -1;
	n = json_object_array_length(versions);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(versions, i);
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v),
		    MCP_VERSION_2026_07_28) == 0)
			return 1;
	}
	return 0;
}

json_object *
modern_legacy_init(json_object *discover)
{
	json_object	*init, *info, *v;

	init = json_object_new_object();
	json_object_object_add(init, "protocolVersion",
	    json_object_new_string(MCP_VERSION_LATEST_LEGACY));
	/* Known members only, both ways: the same keys in both eras. */
	json_object_object_add(init, "capabilities", modern_capabilities(
	    jsonrpc_get(discover, "capabilities", json_type_object)));
	info = jsonrpc_get(jsonrpc_get(discover, "_meta", json_type_object),
	    MODERN_META_SERVERINFO, json_type_object);
	if (info != NULL && jsonrpc_get_str(info, "name") != NULL)
		json_object_object_add(init, "serverInfo",
		    json_object_get(info));
	else {
		/* Legacy requires one; the child did not say. */
		info = json_object_new_object();
		json_object_object_add(info, "name",
		    json_object_new_string("unnamed-server"));
		json_object_object_add(info, "version",
		    json_object_new_string("0"));
		json_object_object_add(init, "serverInfo", info);
	}
	if ((v = jsonrpc_get(discover, "instructions",
	    json_type_string)) != NULL)
		json_object_object_add(init, "instructions",
		    json_object_get(v));
	return init;
}

json_object *
modern_request_params(json_object *params, json_object *caps,
    json_object *info, const char *level)
{
	json_object	*p, *meta;

	p = jsonrpc_copy_shallow(params, NULL);
	meta = jsonrpc_copy_shallow(jsonrpc_get(params, "_meta",
	    json_type_object), NULL);
	json_object_object_add(meta, MODERN_META_VERSION,
	    json_object_new_string(MCP_VERSION_2026_07_28));
	json_object_object_add(meta, MODERN_META_CAPS,
	    caps != NULL ? json_object_get(caps) : json_object_new_object());
	if (info != NULL)
		json_object_object_add(meta, MODERN_META_INFO,
		    json_object_get(info));
	else
		json_object_object_del(meta, MODERN_META_INFO);
	if (level != NULL)
		json_object_object_add(meta, MODERN_META_LOGLEVEL,
		    json_object_new_string(level));
	else
		json_object_object_del(meta, MODERN_META_LOGLEVEL);
	json_object_object_add(p, "_meta", meta);
	return p;
}

json_object *
modern_legacy_result(json_object *result)
{
	static const char *const drop[] = {
		"resultType", "ttlMs", "cacheScope", NULL,
	};

	return jsonrpc_copy_shallow(result, drop);
}

json_object *
modern_subscription_id(json_object *o)
{
	json_object	*v;

	if (!json_object_object_get_ex(jsonrpc_get(o, "_meta",
	    json_type_object), MODERN_META_SUBSCRIPTION, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return v;
}

json_object *
modern_listen_untag(json_object *msg)
{
	static const char *const drop[] = { MODERN_META_SUBSCRIPTION, NULL };
	json_object	*params, *meta;

	params = jsonrpc_copy_shallow(jsonrpc_params(msg), NULL);
	meta = jsonrpc_copy_shallow(jsonrpc_get(params, "_meta",
	    json_type_object), drop);
	if (json_object_object_length(meta) == 0) {
		json_object_put(meta);
		json_object_object_del(params, "_meta");
	} else
		json_object_object_add(params, "_meta", meta);
	return jsonrpc_notification_new(jsonrpc_method(msg), params);
}

json_object *
modern_result_retag(json_object *result, json_object *id)
{
	json_object	*r, *meta;

	r = jsonrpc_copy_shallow(result, NULL);
	meta = jsonrpc_get(r, "_meta", json_type_object);
	if (meta == NULL || !json_object_object_get_ex(meta,
	    MODERN_META_SUBSCRIPTION, NULL))
		return r;
	meta = jsonrpc_copy_shallow(meta, NULL);
	json_object_object_add(meta, MODERN_META_SUBSCRIPTION,
	    jsonrpc_id_copy(id));
	json_object_object_add(r, "_meta", meta);
	return r;
}
