/* SPDX-License-Identifier: ISC */
/*
 * jsonrpc.c: JSON-RPC 2.0 shapes over json-c, and the MCP revisions the
 * bridge speaks.  No I/O, no state.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "hmap.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"

/* Legacy (initialize-era) revisions, oldest first. */
static const char *const jsonrpc_versions[] = {
	MCP_VERSION_2024_11_05,
	MCP_VERSION_2025_03_26,
	MCP_VERSION_2025_06_18,
	MCP_VERSION_2025_11_25,
};

void
jsonrpc_add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

/*
 * A member of an object this small is found by walking its members, not
 * by hashing the name (issue 20: the bridge asks a message for its
 * method, id and params a score of times on its way, and json-c's hash
 * of a short name costs more than the walk).  Past this many members
 * the rest is json-c's hashed lookup.
 */
#define JSONRPC_WALK_MAX	8

/* json-c keeps one member per name, so the first found is the one. */
int
jsonrpc_member(json_object *o, const char *key, json_object **v)
{
	struct lh_table	*t;
	struct lh_entry	*e;
	const char	*k, *n;
	int		 walked = 0;

	if (v != NULL)
		*v = NULL;
	/* NULL for NULL and for what is no object: one call asks both. */
	if ((t = json_object_get_object(o)) == NULL)
		return 0;
	for (e = t->head; e != NULL; e = e->next) {
		if (walked++ == JSONRPC_WALK_MAX)
			return json_object_object_get_ex(o, key, v);
		k = (const char *)e->k;
		if (k[0] != key[0])
			continue;
		for (n = key; *n != '\0' && *k == *n; n++, k++)
			;
		if (*k == *n) {
			if (v != NULL)
				*v = (json_object *)(uintptr_t)e->v;
			return 1;
		}
	}
	return 0;
}

/*
 * An id a request may carry: a string or an integer (never null).  An
 * integer past 64 bits is a double here (jsonparse.c), so refused like
 * 1.5, never clamped into some other request's id.
 */
static int
jsonrpc_id_valid(json_object *id)
{
	return json_object_is_type(id, json_type_string) ||
	    json_object_is_type(id, json_type_int);
}

/* error must be an object with an integer code and a string message. */
static int
jsonrpc_error_valid(json_object *error)
{
	json_object	*v;

	if (!json_object_is_type(error, json_type_object))
		return 0;
	if (!jsonrpc_member(error, "code", &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	if (!jsonrpc_member(error, "message", &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	return 1;
}

/*
 * 1 if key, whose first byte is name's, is name: inline, as a call to
 * strcmp costs more than these short names (issue 20).
 */
static inline int
jsonrpc_key_rest(const char *key, const char *name)
{
	while (*++name != '\0') {
		if (*++key != *name)
			return 0;
	}
	return key[1] == '\0';
}

/*
 * One walk over the members, not a hashed lookup per name: this runs
 * several times for every message that crosses the bridge.  json-c keeps
 * one member per name (the last of duplicates), as lookups would see.
 */
enum jsonrpc_kind
jsonrpc_classify(json_object *msg)
{
	struct json_object_iter	 it;
	json_object		*version = NULL, *id = NULL, *error = NULL;
	json_object		*method = NULL, *params = NULL;
	int			 has_version = 0, has_id = 0, has_result = 0;
	int			 has_error = 0, has_method = 0, has_params = 0;

	if (json_object_is_type(msg, json_type_array))
		return json_object_array_length(msg) > 0 ? JSONRPC_BATCH :
		    JSONRPC_INVALID;
	if (!json_object_is_type(msg, json_type_object))
		return JSONRPC_INVALID;
	json_object_object_foreachC(msg, it) {
		switch (it.key[0]) {
		case 'e':
			if (jsonrpc_key_rest(it.key, "error")) {
				error = it.val;
				has_error = 1;
			}
			break;
		case 'i':
			if (jsonrpc_key_rest(it.key, "id")) {
				id = it.val;
				has_id = 1;
			}
			break;
		case 'j':
			if (jsonrpc_key_rest(it.key, "jsonrpc")) {
				version = it.val;
				has_version = 1;
			}
			break;
		case 'm':
			if (jsonrpc_key_rest(it.key, "method")) {
				method = it.val;
				has_method = 1;
			}
			break;
		case 'p':
			if (jsonrpc_key_rest(it.key, "params")) {
				params = it.val;
				has_params = 1;
			}
			break;
		case 'r':
			if (jsonrpc_key_rest(it.key, "result"))
				has_result = 1;
			break;
		}
	}
	if (!has_version || !json_object_is_type(version, json_type_string) ||
	    strcmp(json_object_get_string(version), "2.0") != 0)
		return JSONRPC_INVALID;

	/* A member "id": null is there (id NULL); no id at all is not. */
	if (has_method) {
		if (!json_object_is_type(method, json_type_string) ||
		    json_object_get_string_len(method) == 0)
			return JSONRPC_INVALID;
		if (has_result || has_error)
			return JSONRPC_INVALID;
		if (has_params &&
		    !json_object_is_type(params, json_type_object) &&
		    !json_object_is_type(params, json_type_array))
			return JSONRPC_INVALID;
		if (!has_id)
			return JSONRPC_NOTIFICATION;
		return jsonrpc_id_valid(id) ? JSONRPC_REQUEST : JSONRPC_INVALID;
	}

	if (!has_id || has_result == has_error)
		return JSONRPC_INVALID;
	if (has_error && !jsonrpc_error_valid(error))
		return JSONRPC_INVALID;
	/* Only an error may have a null id (the request was unreadable). */
	if (id == NULL)
		return has_error ? JSONRPC_RESPONSE : JSONRPC_INVALID;
	return jsonrpc_id_valid(id) ? JSONRPC_RESPONSE : JSONRPC_INVALID;
}

const char *
jsonrpc_method(json_object *msg)
{
	json_object	*v;

	if (!jsonrpc_member(msg, "method", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

json_object *
jsonrpc_id(json_object *msg)
{
	json_object	*v;

	if (!jsonrpc_member(msg, "id", &v))
		return NULL;
	return v;
}

json_object *
jsonrpc_params(json_object *msg)
{
	json_object	*v;

	if (!jsonrpc_member(msg, "params", &v))
		return NULL;
	return v;
}

json_object *
jsonrpc_progress_token(json_object *msg)
{
	json_object	*params, *meta, *token;

	params = jsonrpc_params(msg);
	if (!json_object_is_type(params, json_type_object))
		return NULL;
	if (!jsonrpc_member(params, "_meta", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return NULL;
	if (!jsonrpc_member(meta, "progressToken", &token) ||
	    !jsonrpc_id_valid(token))
		return NULL;
	return token;
}

/*
 * json-c keeps integers as int64 or uint64; get_int64 clamps the upper half
 * of uint64 to INT64_MAX and get_uint64 clamps negatives to 0, so the pair
 * tells every value apart.
 */
int
jsonrpc_id_equal(json_object *a, json_object *b)
{
	enum json_type	 ta, tb;

	if (a == NULL || b == NULL)
		return a == b;
	ta = json_object_get_type(a);
	tb = json_object_get_type(b);
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    json_object_get_string_len(a)) == 0;
	case json_type_int:
		return json_object_get_int64(a) == json_object_get_int64(b) &&
		    json_object_get_uint64(a) == json_object_get_uint64(b);
	default:
		return 0;
	}
}

uint64_t
jsonrpc_id_hash(json_object *id)
{
	if (json_object_is_type(id, json_type_string))
		return hmap_hash_bytes(json_object_get_string(id),
		    json_object_get_string_len(id));
	return hmap_mix((uint64_t)json_object_get_int64(id));
}

json_object *
jsonrpc_id_copy(json_object *id)
{
	json_object	*copy = NULL;

	switch (json_object_get_type(id)) {
	case json_type_string:
		return json_object_new_string_len(json_object_get_string(id),
		    json_object_get_string_len(id));
	case json_type_int:
		if (json_object_get_int64(id) == INT64_MAX &&
		    json_object_get_uint64(id) > (uint64_t)INT64_MAX)
			return json_object_new_uint64(
			    json_object_get_uint64(id));
		return json_object_new_int64(json_object_get_int64(id));
	case json_type_null:
		return NULL;
	default:
		/* Not an id; a deep copy keeps the promise of no sharing. */
		if (json_object_deep_copy(id, &copy, NULL) != 0)
			return NULL;
		return copy;
	}
}

static json_object *
jsonrpc_base_new(json_object *id)
{
	json_object	*o;

	o = json_object_new_object();
	jsonrpc_add(o, "jsonrpc", jsonparse_version());
	jsonrpc_add(o, "id", jsonrpc_id_copy(id));
	return o;
}

json_object *
jsonrpc_error_new(json_object *id, int code, const char *message,
    json_object *data)
{
	json_object	*o, *error;

	error = json_object_new_object();
	jsonrpc_add(error, "code", json_object_new_int(code));
	jsonrpc_add(error, "message", json_object_new_string(message));
	if (data != NULL)
		jsonrpc_add(error, "data", data);
	o = jsonrpc_base_new(id);
	jsonrpc_add(o, "error", error);
	return o;
}

json_object *
jsonrpc_result_new(json_object *id, json_object *result)
{
	json_object	*o;

	if (result == NULL)
		result = json_object_new_object();
	o = jsonrpc_base_new(id);
	jsonrpc_add(o, "result", result);
	return o;
}

json_object *
jsonrpc_request_new(int64_t id, const char *method, json_object *params)
{
	json_object	*o;

	o = json_object_new_object();
	jsonrpc_add(o, "jsonrpc", jsonparse_version());
	jsonrpc_add(o, "id", json_object_new_int64(id));
	jsonrpc_add(o, "method", json_object_new_string(method));
	if (params != NULL)
		jsonrpc_add(o, "params", params);
	return o;
}

json_object *
jsonrpc_notification_new(const char *method, json_object *params)
{
	json_object	*o;

	o = json_object_new_object();
	jsonrpc_add(o, "jsonrpc", jsonparse_version());
	jsonrpc_add(o, "method", json_object_new_string(method));
	if (params != NULL)
		jsonrpc_add(o, "params", params);
	return o;
}

int
jsonrpc_version_supported(const char *version)
{
	size_t	i;

	if (version == NULL)
		return 0;
	for (i = 0; i < sizeof jsonrpc_versions / sizeof jsonrpc_versions[0];
	    i++) {
		if (strcmp(version, jsonrpc_versions[i]) == 0)
			return 1;
	}
	return 0;
}

/* NULL sorts before any version. */
int
jsonrpc_version_cmp(const char *a, const char *b)
{
	int	r;

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	r = strcmp(a, b);
	return (r > 0) - (r < 0);
}

json_object *
jsonrpc_versions_array(void)
{
	json_object	*a;
	size_t		 i;

	a = json_object_new_array();
	for (i = 0; i < sizeof jsonrpc_versions / sizeof jsonrpc_versions[0];
	    i++)
		json_object_array_add(a,
		    json_object_new_string(jsonrpc_versions[i]));
	return a;
}

json_object *
jsonrpc_get(json_object *o, const char *key, enum json_type t)
{
	json_object	*v;

	if (!jsonrpc_member(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

const char *
jsonrpc_get_str(json_object *o, const char *key)
{
	json_object	*v;

	return (v = jsonrpc_get(o, key, json_type_string)) == NULL ? NULL :
	    json_object_get_string(v);
}

int
jsonrpc_in(const char *s, const char *const *list)
{
	size_t	i;

	for (i = 0; s != NULL && list[i] != NULL; i++) {
		if (strcmp(s, list[i]) == 0)
			return 1;
	}
	return 0;
}

int
jsonrpc_array_has_str(json_object *a, const char *s)
{
	json_object	*v;
	size_t		 i;

	if (!json_object_is_type(a, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(a); i++) {
		v = json_object_array_get_idx(a, i);
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), s) == 0)
			return 1;
	}
	return 0;
}

json_object *
jsonrpc_copy_shallow(json_object *o, const char *const *drop)
{
	json_object	*n;

	n = json_object_new_object();
	if (!json_object_is_type(o, json_type_object))
		return n;
	json_object_object_foreach(o, k, v) {
		if (drop == NULL || !jsonrpc_in(k, drop))
			json_object_object_add(n, k, json_object_get(v));
	}
	return n;
}

json_object *
jsonrpc_copy(json_object *o)
{
	json_object	*n = NULL;

	if (json_object_deep_copy(o, &n, NULL) != 0)
		fatalx("json_object_deep_copy");
	return n;
}
