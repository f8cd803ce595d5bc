/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jsonrpc.c: JSON-RPC classification and the constructors on
 * arbitrary JSON.
 *
 * The input is parsed by the one parse policy (as the framer and the HTTP
 * body reader do), which must agree with json-c and take back, unchanged,
 * what the bridge writes.  Whatever comes out is classified, and the
 * classification must agree with the accessors: a request has a method
 * and a valid id, a response an id and exactly one of result and error, a
 * batch is a non-empty array.
 * Ids are copied and compared (a copy equals its original and keeps its
 * type), and every constructor's output, serialised and parsed again,
 * must classify as what it claims to be.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"

#define FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static int
valid_id(json_object *id)
{
	return json_object_is_type(id, json_type_string) ||
	    json_object_is_type(id, json_type_int);
}

/*
 * o, serialised and parsed back: what a peer would see.  Not through the
 * parse policy: an envelope around a value nested to the limit is deeper
 * than the limit (check_policy covers the policy's own round trip).
 */
static json_object *
reparse(json_object *o)
{
	struct json_tokener	*tok;
	json_object		*back;
	const char		*text;

	text = json_object_to_json_string_ext(o, FLAGS);
	tok = json_tokener_new_ex(2 * JSONPARSE_MAX_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	back = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (json_tokener_get_error(tok) == json_tokener_continue)
		back = json_tokener_parse_ex(tok, "", 1);
	json_tokener_free(tok);
	FUZZ_CHECK(back != NULL, "constructor output is not JSON: %s", text);
	return back;
}

static void
check_id(json_object *id)
{
	json_object	*copy, *back;

	FUZZ_CHECK(jsonrpc_id_equal(id, id), "id not equal to itself");
	copy = jsonrpc_id_copy(id);
	FUZZ_CHECK(jsonrpc_id_equal(id, copy), "id copy differs: %s vs %s",
	    json_object_to_json_string_ext(id, FLAGS),
	    json_object_to_json_string_ext(copy, FLAGS));
	FUZZ_CHECK(json_object_get_type(copy) == json_object_get_type(id),
	    "id copy changed type");
	/* The copy, as text, names the same id (what the child sees). */
	back = reparse(copy);
	FUZZ_CHECK(jsonrpc_id_equal(id, back), "id changed on the wire: %s",
	    json_object_to_json_string_ext(copy, FLAGS));
	json_object_put(back);
	json_object_put(copy);
}

/* An answer to msg built by the constructors must be a response for id. */
static void
check_answers(json_object *id)
{
	json_object	*o, *back;

	o = jsonrpc_error_new(id, JSONRPC_SERVER_ERROR, "fuzz", NULL);
	back = reparse(o);
	FUZZ_CHECK(jsonrpc_classify(back) == JSONRPC_RESPONSE,
	    "error_new is not a response");
	FUZZ_CHECK(jsonrpc_id_equal(jsonrpc_id(back), id),
	    "error_new changed the id");
	json_object_put(back);
	json_object_put(o);

	o = jsonrpc_result_new(id, NULL);
	back = reparse(o);
	FUZZ_CHECK(jsonrpc_classify(back) == JSONRPC_RESPONSE,
	    "result_new is not a response");
	FUZZ_CHECK(jsonrpc_id_equal(jsonrpc_id(back), id),
	    "result_new changed the id");
	json_object_put(back);
	json_object_put(o);
}

static void
check_one(json_object *msg, int depth)
{
	enum jsonrpc_kind	 kind;
	json_object		*id, *v, *params, *token;
	const char		*method;
	size_t			 i, n;
	int			 has_result, has_error;

	kind = jsonrpc_classify(msg);
	method = jsonrpc_method(msg);
	id = jsonrpc_id(msg);
	params = jsonrpc_params(msg);
	token = jsonrpc_progress_token(msg);
	has_result = json_object_is_type(msg, json_type_object) &&
	    json_object_object_get_ex(msg, "result", NULL);
	has_error = json_object_is_type(msg, json_type_object) &&
	    json_object_object_get_ex(msg, "error", &v);

	switch (kind) {
	case JSONRPC_REQUEST:
		FUZZ_CHECK(method != NULL && *method != '\0', "request, no method");
		FUZZ_CHECK(valid_id(id), "request with a bad id");
		FUZZ_CHECK(!has_result && !has_error, "request with a result");
		check_id(id);
		check_answers(id);
		break;
	case JSONRPC_NOTIFICATION:
		FUZZ_CHECK(method != NULL && *method != '\0',
		    "notification, no method");
		FUZZ_CHECK(!json_object_object_get_ex(msg, "id", NULL),
		    "notification with an id");
		break;
	case JSONRPC_RESPONSE:
		FUZZ_CHECK(method == NULL, "response with a method");
		FUZZ_CHECK(has_result != has_error, "response: result and error");
		FUZZ_CHECK(valid_id(id) || (id == NULL && has_error),
		    "response with a bad id");
		if (id != NULL) {
			check_id(id);
			check_answers(id);
		}
		break;
	case JSONRPC_BATCH:
		FUZZ_CHECK(json_object_is_type(msg, json_type_array) &&
		    json_object_array_length(msg) > 0, "batch, not an array");
		n = json_object_array_length(msg);
		for (i = 0; i < n && i < 64 && depth < 4; i++)
			check_one(json_object_array_get_idx(msg, i), depth + 1);
		break;
	case JSONRPC_INVALID:
		break;
	}
	if (kind == JSONRPC_REQUEST || kind == JSONRPC_NOTIFICATION)
		FUZZ_CHECK(params == NULL ||
		    json_object_is_type(params, json_type_object) ||
		    json_object_is_type(params, json_type_array),
		    "params neither object nor array");
	if (token != NULL)
		check_id(token);
	if (id != NULL && !valid_id(id)) {
		/* Not an id, but copies must still be independent. */
		v = jsonrpc_id_copy(id);
		json_object_put(v);
	}
}

/* Constructors with names and params taken from the input. */
static void
check_constructors(json_object *msg)
{
	json_object	*o, *back, *params = NULL;
	const char	*method;

	method = jsonrpc_method(msg);
	if (method == NULL || *method == '\0')
		method = "m";
	if (json_object_is_type(jsonrpc_params(msg), json_type_object))
		params = json_object_get(jsonrpc_params(msg));
	o = jsonrpc_request_new(INT64_MAX, method, params);
	back = reparse(o);
	FUZZ_CHECK(jsonrpc_classify(back) == JSONRPC_REQUEST,
	    "request_new is not a request");
	FUZZ_CHECK(strcmp(jsonrpc_method(back), method) == 0,
	    "request_new changed the method");
	json_object_put(back);
	json_object_put(o);

	params = NULL;
	if (json_object_is_type(jsonrpc_params(msg), json_type_object))
		params = json_object_get(jsonrpc_params(msg));
	o = jsonrpc_notification_new(method, params);
	back = reparse(o);
	FUZZ_CHECK(jsonrpc_classify(back) == JSONRPC_NOTIFICATION,
	    "notification_new is not a notification");
	json_object_put(back);
	json_object_put(o);

	/* Errors with data from the input, and a null id. */
	o = jsonrpc_error_new(NULL, JSONRPC_PARSE_ERROR, method,
	    json_object_get(msg));
	back = reparse(o);
	FUZZ_CHECK(jsonrpc_classify(back) == JSONRPC_RESPONSE &&
	    jsonrpc_id(back) == NULL, "null-id error_new");
	json_object_put(back);
	json_object_put(o);
}

static void
check_versions(const char *s)
{
	int	supported;

	supported = jsonrpc_version_supported(s);
	FUZZ_CHECK(jsonrpc_version_cmp(s, s) == 0, "version cmp");
	FUZZ_CHECK(jsonrpc_version_cmp(s, NULL) == 1 &&
	    jsonrpc_version_cmp(NULL, s) == -1, "version cmp with NULL");
	FUZZ_CHECK(!supported || strlen(s) == 10, "odd version accepted: %s",
	    s);
}

/*
 * What the parse policy takes, json-c takes too, and what the bridge then
 * writes is again JSON the policy takes, with the same value (numbers
 * keep their text, nothing is clamped).
 */
static void
check_policy(json_object *msg, const uint8_t *data, size_t size)
{
	struct json_tokener	*tok;
	json_object		*raw, *back;
	const char		*text, *cause = NULL;

	tok = json_tokener_new_ex(JSONPARSE_MAX_DEPTH + 1);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	raw = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (json_tokener_get_error(tok) == json_tokener_continue)
		raw = json_tokener_parse_ex(tok, "", 1);
	FUZZ_CHECK(raw != NULL, "json-c refuses what the policy took");
	json_object_put(raw);
	json_tokener_free(tok);

	text = json_object_to_json_string_ext(msg, FLAGS);
	back = jsonparse_strict(text, strlen(text), &cause);
	FUZZ_CHECK(back != NULL, "the bridge writes what it refuses (%s): %s",
	    cause, text);
	FUZZ_CHECK(strcmp(json_object_to_json_string_ext(back, FLAGS),
	    text) == 0, "a value changed on a round trip: %s", text);
	json_object_put(back);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_jsonrpc");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object		*msg;
	char			*s;

	if (size > 65536)
		return 0;
	msg = jsonparse_strict((const char *)data, size, NULL);
	if (msg != NULL) {
		check_policy(msg, data, size);
		check_one(msg, 0);
		check_constructors(msg);
		if (json_object_is_type(msg, json_type_string))
			check_versions(json_object_get_string(msg));
	}
	json_object_put(msg);

	/* The raw input as a version string. */
	s = strndup((const char *)data, size);
	check_versions(s);
	free(s);
	return 0;
}
