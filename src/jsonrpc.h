/* SPDX-License-Identifier: ISC */
/*
 * jsonrpc.h: JSON-RPC 2.0 classification and construction over json-c, and
 * which of the MCP protocol versions (mcpwire.h) the bridge speaks in the
 * legacy era.  No I/O.
 */
#ifndef MCPBRIDGE_JSONRPC_H
#define MCPBRIDGE_JSONRPC_H

#include <stdint.h>

#include <json-c/json.h>

#include "mcpwire.h"	/* MCP_VERSION_*, MCP_ERROR_* */

/* JSON-RPC error codes. */
#define JSONRPC_PARSE_ERROR		-32700
#define JSONRPC_INVALID_REQUEST		-32600
#define JSONRPC_METHOD_NOT_FOUND	-32601
#define JSONRPC_INVALID_PARAMS		-32602
#define JSONRPC_INTERNAL_ERROR		-32603
/* Implementation-defined server errors used by the bridge (-32000..-32099). */
#define JSONRPC_SERVER_ERROR		-32000	/* upstream unavailable, gone, timeout */
#define JSONRPC_SESSION_NOT_FOUND	-32001	/* as the TypeScript SDK answers */

enum jsonrpc_kind {
	JSONRPC_INVALID = 0,
	JSONRPC_REQUEST,	/* method + id */
	JSONRPC_NOTIFICATION,	/* method, no id */
	JSONRPC_RESPONSE,	/* result or error + id */
	JSONRPC_BATCH,		/* a non-empty array */
};

/* Looks only at the shape: "jsonrpc":"2.0", method string, id string or
 * integer (never null for requests), result xor error. */
enum jsonrpc_kind jsonrpc_classify(json_object *);
/* Borrowed pointers into msg, or NULL. */
const char	*jsonrpc_method(json_object *);
json_object	*jsonrpc_id(json_object *);
json_object	*jsonrpc_params(json_object *);
/* params._meta.progressToken, borrowed, or NULL. */
json_object	*jsonrpc_progress_token(json_object *);

/* Ids keep their exact JSON type: "1" and 1 differ. */
int		 jsonrpc_id_equal(json_object *, json_object *);
json_object	*jsonrpc_id_copy(json_object *);	/* new reference-free copy */
/* An id's hash for a hash table (hmap.h); "1" and 1 may collide. */
uint64_t	 jsonrpc_id_hash(json_object *);

/* Constructors return new objects.  id is copied (NULL gives "id": null);
 * data and result are consumed. */
json_object	*jsonrpc_error_new(json_object *id, int code, const char *message,
		    json_object *data);
json_object	*jsonrpc_result_new(json_object *id, json_object *result);
json_object	*jsonrpc_request_new(int64_t id, const char *method, json_object *params);
json_object	*jsonrpc_notification_new(const char *method, json_object *params);

/* Adds v (consumed) under key, which must be a literal (json-c does not
 * copy it) that o does not have yet. */
void		 jsonrpc_add(json_object *o, const char *key, json_object *v);
/*
 * What json_object_object_get_ex(o, key, v) says (v may be NULL): 1 with
 * *v (NULL for a null) if o is an object with a member key, else 0 with
 * *v NULL; a small object's members walked, not hashed (issue 20).
 */
int		 jsonrpc_member(json_object *o, const char *key,
		    json_object **v);
/* Typed member access: o's member key if o is an object that has it with
 * type t, else NULL (borrowed). */
json_object	*jsonrpc_get(json_object *o, const char *key, enum json_type t);
const char	*jsonrpc_get_str(json_object *o, const char *key);
/* 1 if s (may be NULL) is one of the NULL-terminated list. */
int		 jsonrpc_in(const char *s, const char *const *list);
/* 1 if the JSON array a holds the string s (other members are skipped);
 * 0 if not, or if a is NULL or not an array, so that
 * jsonrpc_get(o, key, json_type_array) may be passed as it comes. */
int		 jsonrpc_array_has_str(json_object *a, const char *s);
/* A new object holding o's members but those named in drop (NULL-ended,
 * may be NULL), the values shared (referenced): rewrite a key without
 * touching o.  o not an object gives {}. */
json_object	*jsonrpc_copy_shallow(json_object *o, const char *const *drop);
/* A deep copy of o (new object); running out of memory is fatal. */
json_object	*jsonrpc_copy(json_object *o);

/* 1 if the bridge speaks this legacy (initialize-era) revision. */
int		 jsonrpc_version_supported(const char *);
/* strcmp order works for these dates; helpers for readability. */
int		 jsonrpc_version_cmp(const char *, const char *);
/* A JSON array of the supported legacy versions (new object). */
json_object	*jsonrpc_versions_array(void);

#endif
