/* SPDX-License-Identifier: ISC */
/*
 * rawjson.h: JSON values passed through as the peer wrote them.  The
 * child's answer to a client's call is most of the bytes the bridge
 * moves; parsing its result into objects only to write them out again
 * cost more than the rest of the answer's way (issue 20); so did a
 * client's tools/call arguments on their way to the child.  A raw value
 * is an empty json-c string that writes the bytes it holds: whoever only
 * writes the message (the HTTP transports, the child's framer) never
 * knows; whoever looks into it must ask rawjson_is and rawjson_parse
 * first (or rawjson_get, rawjson_tree).
 */
#ifndef MCPBRIDGE_RAWJSON_H
#define MCPBRIDGE_RAWJSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * The child's line as {"jsonrpc":"2.0","id":N,"result":<raw>} when
 * jsonparse_answer is sure of it, else NULL: the caller parses it in
 * full (jsonparse_strict).  The line need not be NUL-terminated.
 */
json_object	*rawjson_answer(const char *line, size_t len);
/* A raw value of the len bytes at p, which must be one JSON value
 * jsonparse_strict takes (they are copied). */
json_object	*rawjson_new(const char *p, size_t len);
/* 1 if o is a raw value. */
int		 rawjson_is(json_object *o);
/* 1 if the raw value o is an object whose member key is true.  Parses o
 * only when its bytes could say so (the key's text or an escape in them). */
int		 rawjson_member_true(json_object *o, const char *key);
/* The raw value o parsed (a new object), or NULL with *cause set. */
json_object	*rawjson_parse(json_object *o, const char **cause);
/*
 * An HTTP client's request body (jsonparse_request): as jsonparse_strict
 * parses it, but a tools/call's params.arguments object a raw value of
 * the client's bytes when nothing in it would change on the way.
 */
json_object	*rawjson_request(const char *p, size_t len, const char **cause);
/*
 * The member key of the object o if it is of type t, a raw value parsed
 * first: a new reference (put it), or NULL.  For readers of what may be
 * raw (a tools/call's arguments).
 */
json_object	*rawjson_get(json_object *o, const char *key, enum json_type t);
/*
 * o with every raw value in it parsed: a new reference to o itself when
 * it holds none, else a copy (what holds no raw value shared).  For
 * whoever shows a message and must see all of it (the message trace
 * redacts secrets in json-c's text).
 */
json_object	*rawjson_tree(json_object *o);
/*
 * The text of msg, an object, exactly as json-c writes it
 * (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), in *len:
 * its members' keys, strings that need no escape, integers, null and raw
 * values written here, any other value by json-c.  NULL if msg is no
 * object, has a writer of its own, or a key needs escaping.  The text is
 * valid until the next call.
 */
const char	*rawjson_text(json_object *msg, size_t *len);
/*
 * The text rawjson_text makes of {"jsonrpc":"2.0","id":id,"method":M,
 * "params":P}, M and P being msg's members of those names, each only if
 * msg has it: the request msg as its child gets it under id
 * (mux_rewrite_request), without that object.  id is at most INT64_MAX.
 * The text is valid until the next call (of either).
 */
const char	*rawjson_request_text(json_object *msg, uint64_t id,
		    size_t *len);

#endif
