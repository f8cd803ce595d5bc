/* SPDX-License-Identifier: ISC */
/*
 * fuzz_rawjson.c: the raw pass-through of a child's answer agrees with
 * the full path (issue 20).
 *
 * The input is one line from the child.  jsonparse_answer may take it
 * only if the one parse policy takes it too, as {"jsonrpc":"2.0",
 * "id":N,"result":R} and nothing else; then what rawjson_answer writes,
 * read back, must be the same JSON as what the full parse made of the
 * line, the raw result parsed must be the full parse's result, and
 * rawjson_text must write the envelope (and the envelope under a string
 * id made of the line's first bytes) exactly as json-c does.  Any line
 * the policy takes, rawjson_text writes as json-c does or not at all, and
 * an object rawjson_request_text writes as json-c writes the call it
 * stands for.  Where the scan is not sure it must say so (0), never take
 * a line the policy refuses.
 *
 * The input is also an HTTP client's body (rawjson_request): taken
 * exactly when the policy takes it, the same JSON as the policy's tree;
 * arguments held raw only for a tools/call's object, as the client's own
 * bytes, with no line break; the child's line one line, the same JSON as
 * json-c's text of the call (byte for byte when nothing is held).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "jsonparse.h"
#include "rawjson.h"

#define FLAGS	JSON_C_TO_STRING_PLAIN

/* text read back by json-c alone (an envelope is one level deeper than
 * what the policy takes). */
static json_object *
reparse(const char *text)
{
	struct json_tokener	*tok;
	json_object		*back;

	tok = json_tokener_new_ex(2 * JSONPARSE_MAX_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	back = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (json_tokener_get_error(tok) == json_tokener_continue)
		back = json_tokener_parse_ex(tok, "", 1);
	json_tokener_free(tok);
	FUZZ_CHECK(back != NULL, "raw answer is not JSON: %s", text);
	return back;
}

/* msg written by rawjson_request_text under id is json-c's text of
 * {"jsonrpc":"2.0","id":id,"method":M,"params":P} made of msg's own
 * members (each only if msg has it). */
static void
request_agrees(json_object *msg, uint64_t id)
{
	json_object	*env, *v;
	const char	*fast, *slow;
	size_t		 flen, slen;

	env = json_object_new_object();
	json_object_object_add(env, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(env, "id", json_object_new_int64((int64_t)id));
	if (json_object_object_get_ex(msg, "method", &v))
		json_object_object_add(env, "method", json_object_get(v));
	if (json_object_object_get_ex(msg, "params", &v))
		json_object_object_add(env, "params", json_object_get(v));
	fast = rawjson_request_text(msg, id, &flen);
	slow = json_object_to_json_string_length(env, FLAGS |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
	FUZZ_CHECK(fast != NULL && flen == slen && memcmp(fast, slow,
	    slen) == 0, "rawjson_request_text %s, json-c %s",
	    fast != NULL ? fast : "(none)", slow);
	json_object_put(env);
}

/* The tools/call arguments of the request msg if held raw, else NULL. */
static json_object *
held_args(json_object *msg)
{
	json_object	*v;

	if (!json_object_object_get_ex(json_object_object_get(msg, "params"),
	    "arguments", &v) || !rawjson_is(v))
		return NULL;
	return v;
}

/* body as an HTTP client's request, against full, the policy's tree of
 * it (NULL if refused). */
static void
request_body(const char *body, size_t size, json_object *full)
{
	json_object	*req, *tree, *back, *env, *v, *args;
	const char	*text, *raw, *fast, *slow;
	size_t		 flen, slen;
	uint64_t	 id = (uint64_t)size * 40503u + 1;

	req = rawjson_request(body, size, NULL);
	FUZZ_CHECK((req != NULL) == (full != NULL), "rawjson_request %s what "
	    "the policy %s", req != NULL ? "takes" : "refuses", full != NULL ?
	    "takes" : "refuses");
	if (req == NULL)
		return;
	/* The same value: parsed, and as written. */
	tree = rawjson_tree(req);
	FUZZ_CHECK(json_object_equal(tree, full), "rawjson_request's tree "
	    "differs: %s", json_object_to_json_string_ext(tree, FLAGS));
	json_object_put(tree);
	/* Read back by the policy: json-c alone would clamp an integer
	 * past 64 bits. */
	text = json_object_to_json_string_ext(req, FLAGS);
	back = jsonparse_strict(text, strlen(text), NULL);
	FUZZ_CHECK(back != NULL && json_object_equal(back, full), "written %s",
	    text);
	json_object_put(back);
	if ((args = held_args(req)) != NULL) {
		FUZZ_CHECK(strcmp(json_object_get_string(json_object_object_get(
		    req, "method")), "tools/call") == 0, "held for another "
		    "method");
		raw = json_object_get_userdata(args);
		FUZZ_CHECK(raw[0] == '{' && strpbrk(raw, "\r\n") == NULL &&
		    memmem(body, size, raw, strlen(raw)) != NULL,
		    "held %s", raw);
		/* One meaning for every reader: no name given twice in an
		 * object, none holding a NUL (json-c's tree would not show
		 * the child's members). */
		back = jsonparse_strict_unique(raw, strlen(raw), NULL);
		FUZZ_CHECK(back != NULL, "held with names alike: %s", raw);
		json_object_put(back);
	}
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return;
	}
	/* The child's line: one line, json-c's call in value, and in bytes
	 * when nothing is held. */
	env = json_object_new_object();
	json_object_object_add(env, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(env, "id", json_object_new_int64((int64_t)id));
	if (json_object_object_get_ex(full, "method", &v))
		json_object_object_add(env, "method", json_object_get(v));
	if (json_object_object_get_ex(full, "params", &v))
		json_object_object_add(env, "params", json_object_get(v));
	fast = rawjson_request_text(req, id, &flen);
	FUZZ_CHECK(strlen(fast) == flen && memchr(fast, '\n', flen) == NULL &&
	    memchr(fast, '\r', flen) == NULL, "not one line: %s", fast);
	back = jsonparse_strict(fast, flen, NULL);
	FUZZ_CHECK(back != NULL && json_object_equal(back, env),
	    "child line %s", fast);
	json_object_put(back);
	if (args == NULL) {
		slow = json_object_to_json_string_length(env, FLAGS |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
		FUZZ_CHECK(flen == slen && memcmp(fast, slow, slen) == 0,
		    "rawjson_request_text %s, json-c %s", fast, slow);
	}
	json_object_put(env);
	json_object_put(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonparse_answer	 a;
	const char		*line = (const char *)data;
	json_object		*full, *env, *back, *copy = NULL, *r, *parsed;
	json_object		*v;
	const char		*text, *fast, *slow;
	size_t			 flen, slen;
	int			 taken;

	memset(&a, 0, sizeof a);
	taken = jsonparse_answer(line, size, &a);
	FUZZ_CHECK(taken == 0 || taken == 1, "jsonparse_answer said %d", taken);
	env = rawjson_answer(line, size);
	FUZZ_CHECK((env != NULL) == taken, "rawjson_answer and the scan "
	    "disagree");
	full = jsonparse_strict(line, size, NULL);
	/* Whatever the policy takes, rawjson_text writes as json-c does,
	 * or leaves to it. */
	if (full != NULL && (fast = rawjson_text(full, &flen)) != NULL) {
		slow = json_object_to_json_string_length(full, FLAGS |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
		FUZZ_CHECK(flen == slen && memcmp(fast, slow, slen) == 0,
		    "rawjson_text %s, json-c %s", fast, slow);
	}
	/* Any object the policy takes, as a call to a child under a new
	 * id: rawjson_request_text writes what json-c writes of the
	 * envelope mux_rewrite_request would make. */
	if (json_object_is_type(full, json_type_object))
		request_agrees(full, (uint64_t)size * 2654435761u %
		    ((UINT64_C(1) << 53) - 1));
	request_body(line, size, full);
	if (!taken) {
		json_object_put(full);
		return 0;
	}

	/* Taken: the full path takes it, and it is a plain answer. */
	FUZZ_CHECK(full != NULL, "taken, but the parse policy refuses it");
	FUZZ_CHECK(json_object_is_type(full, json_type_object) &&
	    json_object_object_length(full) == 3, "not three members");
	FUZZ_CHECK(json_object_object_get_ex(full, "jsonrpc", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "2.0") == 0, "jsonrpc");
	FUZZ_CHECK(json_object_object_get_ex(full, "id", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) == a.id && a.id > 0, "id");
	FUZZ_CHECK(json_object_object_get_ex(full, "result", &r), "result");
	FUZZ_CHECK(!json_object_is_type(r, json_type_object) ||
	    !json_object_object_get_ex(r, "task", NULL), "a task taken raw");
	FUZZ_CHECK(a.result_off + a.result_len <= size, "result span");

	/* What goes out reads as what the full path made of the line. */
	text = json_object_to_json_string_ext(env, FLAGS);
	back = reparse(text);
	FUZZ_CHECK(json_object_equal(back, full), "raw %s differs from the "
	    "full parse %s", text, json_object_to_json_string_ext(full, FLAGS));
	json_object_put(back);

	/* The raw result parsed is the full parse's result. */
	FUZZ_CHECK(json_object_object_get_ex(env, "result", &v) &&
	    rawjson_is(v), "not raw");
	parsed = rawjson_parse(v, NULL);
	FUZZ_CHECK(parsed != NULL && json_object_equal(parsed, r),
	    "raw result parsed differs");
	json_object_put(parsed);

	/* A copy writes the same bytes. */
	FUZZ_CHECK(json_object_deep_copy(env, &copy, NULL) == 0, "copy");
	FUZZ_CHECK(strcmp(json_object_to_json_string_ext(copy, FLAGS),
	    json_object_to_json_string_ext(env, FLAGS)) == 0, "copy differs");
	json_object_put(copy);

	/* rawjson_text writes the envelope as json-c does, byte for byte,
	 * and with a client's string id (made of the line's first bytes)
	 * the same or leaves it to json-c. */
	fast = rawjson_text(env, &flen);
	slow = json_object_to_json_string_length(env, FLAGS |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
	FUZZ_CHECK(fast != NULL && flen == slen &&
	    memcmp(fast, slow, slen) == 0, "rawjson_text %s, json-c %s",
	    fast != NULL ? fast : "(none)", slow);
	json_object_object_add(env, "id", json_object_new_string_len(line,
	    (int)(size < 16 ? size : 16)));
	if ((fast = rawjson_text(env, &flen)) != NULL) {
		slow = json_object_to_json_string_length(env, FLAGS |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
		FUZZ_CHECK(flen == slen && memcmp(fast, slow, slen) == 0,
		    "rawjson_text %s, json-c %s", fast, slow);
	}
	json_object_put(env);
	json_object_put(full);
	return 0;
}
