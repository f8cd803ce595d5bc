/* SPDX-License-Identifier: ISC */
/*
 * check_rawjson.c: the raw pass-through of a child's answers (issue 20):
 * jsonparse_answer takes exactly the plain answers it can be sure of and
 * says where the id and the result are; rawjson writes the result as the
 * child wrote it; the mux sends it on under the client's id, and parses it
 * first wherever it looks into a result.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "checktest.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "muxtest.h"
#include "mcpwire.h"
#include "rawjson.h"

/* jsonparse_answer of s (NUL-terminated). */
static int
answer(const char *s, struct jsonparse_answer *a)
{
	return jsonparse_answer(s, strlen(s), a);
}

/* 1 if s is taken, its id is id and its result is the text r. */
static int
taken(const char *s, int64_t id, const char *r)
{
	struct jsonparse_answer	a;

	if (answer(s, &a) != 1)
		return 0;
	return a.id == id && a.result_len == strlen(r) &&
	    memcmp(s + a.result_off, r, a.result_len) == 0;
}

static int
refused(const char *s)
{
	struct jsonparse_answer	a;

	return answer(s, &a) == 0;
}

START_TEST(test_plain)
{
	ck_assert(taken("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}", 7,
	    "{}"));
	/* Any order, white space anywhere JSON allows it. */
	ck_assert(taken(" \t{ \"result\" : [1, 2] , \"id\":12,\"jsonrpc\":"
	    "\"2.0\"}\r\n", 12, "[1, 2]"));
	ck_assert(taken("{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":null}", 1,
	    "null"));
	ck_assert(taken("{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":\"s\"}", 1,
	    "\"s\""));
	ck_assert(taken("{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":-1.5e3}",
	    1, "-1.5e3"));
}
END_TEST

/* Only a plain positive integer up to 2^53 - 1 is an id it takes. */
START_TEST(test_odd_ids)
{
	ck_assert(taken("{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,"
	    "\"result\":1}", 9007199254740991LL, "1"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":9007199254740992,"
	    "\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":"
	    "99999999999999999999999,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":-1,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":01,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1.0,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1e2,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":[1],\"result\":1}"));
}
END_TEST

/* Escapes pass as they are; a \uDxxx one (json-c may change it) does
 * not, nor does a string that is not JSON. */
START_TEST(test_strings)
{
	ck_assert(taken("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"t\":"
	    "\"a\\\"b\\\\c\\/d\\n\\u00e9\\u0000\xc3\xa9\"}}", 3,
	    "{\"t\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\u0000\xc3\xa9\"}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "\"\\ud83d\\ude00\"}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "{\"x\":\"\\udc00\"}}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "\"\\x\"}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "\"a\tb\"}"));
	/* Invalid UTF-8: the full parse refuses it, so must this. */
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "\"\xff\"}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "\"\xc3\"}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "\"\xed\xa0\x80\"}"));
	/* Member names spelled with escapes are not compared: unsure. */
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"i\\u0064\":3,\"result\":"
	    "1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":"
	    "{\"t\\u0061sk\":{}}}"));
}
END_TEST

START_TEST(test_nested)
{
	ck_assert(taken("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"a\":"
	    "{\"b\":[{\"c\":[[]]},{}]},\"d\":{\"task\":1}}}", 4,
	    "{\"a\":{\"b\":[{\"c\":[[]]},{}]},\"d\":{\"task\":1}}"));
	/* A task is the mux's to keep track of. */
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"a\":1,"
	    "\"task\":{\"taskId\":\"t\"}}}"));
	/* Past 64 bits an integer is mended by the full parse. */
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":"
	    "[18446744073709551616]}"));
	ck_assert(taken("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":"
	    "[18446744073709551615,-9223372036854775808]}", 4,
	    "[18446744073709551615,-9223372036854775808]"));
}
END_TEST

/* As deep as the full parse allows, and no deeper. */
START_TEST(test_depth)
{
	char		 buf[1024];
	size_t		 i, n;
	json_object	*full;

	for (n = 127; n <= 128; n++) {
		strcpy(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":");
		for (i = 0; i < n; i++)
			strcat(buf, "[");
		for (i = 0; i < n; i++)
			strcat(buf, "]");
		strcat(buf, "}");
		full = jsonparse_strict(buf, strlen(buf), NULL);
		ck_assert_int_eq(full != NULL, n == 127);
		json_object_put(full);
		ck_assert_int_eq(answer(buf, &(struct jsonparse_answer){ 0 }),
		    n == 127);
	}
}
END_TEST

START_TEST(test_not_plain)
{
	/* Duplicates: json-c keeps the last; which is meant is unsure. */
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,"
	    "\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,"
	    "\"result\":2}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\","
	    "\"id\":1,\"result\":1}"));
	/* Errors, requests, other members, missing members. */
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{"
	    "\"code\":1,\"message\":\"m\"}}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\","
	    "\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,"
	    "\"_meta\":{}}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"result\":1}"));
	ck_assert(refused("{\"id\":1,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1}"));
	ck_assert(refused("{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":1}"));
	ck_assert(refused("{\"jsonrpc\":2.0,\"id\":1,\"result\":1}"));
	/* Not one JSON object. */
	ck_assert(refused(""));
	ck_assert(refused("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}]"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}x"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1} {}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[1,]}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":NaN}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":-0}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":01}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":tru}"));
	ck_assert(refused("{\"jsonrpc\":\"2.0\",\"id\":1,,\"result\":1}"));
}
END_TEST

/* Written as the child wrote it, under the envelope json-c writes. */
START_TEST(test_raw_value)
{
	const char	*line = "{\"result\":{\"t\":\"a\\/b\\u00e9\","
	    "\"n\":1.50,\"e\":1E400}, \"id\":5,\"jsonrpc\":\"2.0\"}";
	json_object	*o, *r, *copy = NULL, *parsed, *full;

	ck_assert_ptr_nonnull(o = rawjson_answer(line, strlen(line)));
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "{\"jsonrpc\":\"2.0\",\"id\":5,"
	    "\"result\":{\"t\":\"a\\/b\\u00e9\",\"n\":1.50,\"e\":1E400}}");
	ck_assert(json_object_object_get_ex(o, "result", &r));
	ck_assert(rawjson_is(r));
	ck_assert(!rawjson_is(o));
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(o,
	    "id")), 5);
	/* A copy writes the same. */
	ck_assert_int_eq(json_object_deep_copy(o, &copy, NULL), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(copy,
	    JSON_C_TO_STRING_PLAIN), json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	/* Parsed, it is what the full parse makes of the result. */
	ck_assert_ptr_nonnull(parsed = rawjson_parse(r, NULL));
	ck_assert_ptr_nonnull(full = jsonparse_strict(line, strlen(line),
	    NULL));
	ck_assert(json_object_equal(parsed, json_object_object_get(full,
	    "result")));
	json_object_put(parsed);
	json_object_put(full);
	json_object_put(copy);
	json_object_put(o);
	ck_assert_ptr_null(rawjson_answer("{\"jsonrpc\":\"2.0\",\"id\":5}",
	    24));
}
END_TEST

/* msg's text by rawjson_text: NULL, or exactly json-c's (consumes msg);
 * 1 if rawjson_text wrote it. */
static int
text_agrees(json_object *msg)
{
	const char	*fast, *slow;
	size_t		 flen, slen;
	int		 wrote;

	fast = rawjson_text(msg, &flen);
	slow = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
	wrote = fast != NULL;
	if (wrote)
		ck_assert_msg(flen == slen && memcmp(fast, slow, slen) == 0 &&
		    fast[flen] == '\0', "rawjson_text: %s\njson-c: %s", fast,
		    slow);
	json_object_put(msg);
	return wrote;
}

/* {"jsonrpc":V,"id":id,"result":raw R} as the mux builds it. */
static json_object *
answer_of(const char *v, json_object *id, const char *r)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string(v));
	json_object_object_add(o, "id", id);
	json_object_object_add(o, "result", rawjson_new(r, strlen(r)));
	return o;
}

/* A message's text written by rawjson_text is json-c's, byte for byte:
 * the common answer and call, and every other kind of member, written
 * here or left to json-c. */
START_TEST(test_text)
{
	static const int64_t	 ints[] = { 0, 1, 7, -1, 10, 99, 100,
	    9007199254740991LL, -9007199254740991LL,
	    ((int64_t)1 << 62) - 1, -((int64_t)1 << 62) + 1,
	    (int64_t)1 << 62, INT64_MAX, INT64_MIN };
	static const char	*strs[] = { "", "a", "abc-1", "a/b", "~ !#",
	    "0123456789012345678901234567890123456789", "a\"b", "a\\b",
	    "tab\t", "\xc3\xa9", "del\x7f", "nl\n\r\b\f\x01\x1f",
	    /* past eight bytes, the odd byte anywhere in a word */
	    "abcdefgh\x7fij", "abcdefghij\"kl", "abcdefgh\\", "abcdefg\x1f",
	    "abcdefghijklmno\xc3\xa9", "\x7f" "bcdefghijklmnop",
	    "abcdefghijklmnop~~~~~~~/", "abc\"defghijk", "ab\\cdefghijk",
	    "a\x01" "bcdefghij" };
	static const char	*texts[] = { "{}", "[]", "[1,2.50,true,null]",
	    "{\"a\":{\"b\":[{},[],\"x\\/y\\u00e9\"]},\"c\":-0.0,\"d\":1E400,"
	    "\"e\":123456789012345678901234567890,\"f\":false}",
	    "{\"k\\u0001\":1,\"\":\"\"}",
	    /* a key to escape after members already written, in an
	     * object inside another that is written here */
	    "{\"a\":{\"b\":[1,{\"c\":\"d\"}],\"e\":2,\"long key\\t!\":3},"
	    "\"f\":{\"abcdefgh\\\"\":0},\"g\":1}" };
	const char		*r = "{\"content\":[{\"type\":\"text\","
	    "\"text\":\"h\\u00e9\\/\"}],\"isError\":false}";
	json_object		*o, *p;
	const char		*t;
	char			*big;
	size_t			 i, len;

	for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
		ck_assert_msg(text_agrees(answer_of("2.0",
		    json_object_new_int64(ints[i]), r)), "id %lld",
		    (long long)ints[i]);
	ck_assert(text_agrees(answer_of("2.0",
	    json_object_new_uint64(UINT64_MAX), r)));
	for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
		ck_assert_msg(text_agrees(answer_of(strs[i],
		    json_object_new_string(strs[i]), r)), "id %s", strs[i]);
	ck_assert(text_agrees(answer_of("2.0", NULL, r)));
	ck_assert(text_agrees(answer_of("2.0", json_object_new_double(1.5),
	    r)));
	ck_assert(text_agrees(answer_of("2.0", json_object_new_boolean(1),
	    r)));
	/* Values of every kind, as the policy parses them, under a call. */
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		p = jsonparse_strict(texts[i], strlen(texts[i]), NULL);
		ck_assert_ptr_nonnull(p);
		o = jsonrpc_request_new(42, "tools/call", p);
		ck_assert_msg(text_agrees(o), "params %s", texts[i]);
		ck_assert_ptr_nonnull(p = jsonparse_strict(texts[i],
		    strlen(texts[i]), NULL));
		/* Top level: an object of those is written too. */
		if (json_object_is_type(p, json_type_object))
			ck_assert(text_agrees(p) ||
			    strstr(texts[i], "\\u0001") != NULL);
		else
			ck_assert(!text_agrees(p));
	}
	/* Nested past the depth written here: the rest is json-c's. */
	p = json_object_new_array();
	for (i = 0; i < 100; i++) {
		o = json_object_new_array();
		json_object_array_add(o, p);
		json_object_array_add(o, json_object_new_int64((int64_t)i));
		p = o;
	}
	o = json_object_new_object();
	json_object_object_add(o, "deep", p);
	ck_assert(text_agrees(o));
	/* Left to json-c whole: no object, a writer of its own, a key
	 * that needs escaping. */
	ck_assert(!text_agrees(rawjson_new("{}", 2)));
	ck_assert(!text_agrees(json_object_new_int64(1)));
	o = json_object_new_object();
	json_object_object_add(o, "a\"b", json_object_new_int64(1));
	ck_assert(!text_agrees(o));
	/* Empty, and an error answer. */
	ck_assert(text_agrees(json_object_new_object()));
	o = json_object_new_object();
	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", json_object_new_int64(1));
	json_object_object_add(o, "error", rawjson_new("1", 1));
	ck_assert(text_agrees(o));
	/* What the child answered, through rawjson_answer. */
	t = "{\"id\":3,\"result\":[1, 2 ],\"jsonrpc\":\"2.0\"}";
	ck_assert(text_agrees(rawjson_answer(t, strlen(t))));
	/* A result past the buffer kept between answers, then a small one
	 * again. */
	len = 200000;
	big = malloc(len + 3);
	ck_assert_ptr_nonnull(big);
	big[0] = '"';
	memset(big + 1, 'x', len);
	big[len + 1] = '"';
	big[len + 2] = '\0';
	ck_assert(text_agrees(answer_of("2.0", json_object_new_int64(9),
	    big)));
	free(big);
	ck_assert(text_agrees(answer_of("2.0", json_object_new_int64(10), r)));
}
END_TEST

/* What a tool's failure looks like, whatever the spelling. */
START_TEST(test_member_true)
{
	static const struct {
		const char	*result;
		int		 yes;
	} cases[] = {
		{ "{\"content\":[],\"isError\":true}", 1 },
		{ "{\"content\":[],\"isError\":false}", 0 },
		{ "{\"content\":[]}", 0 },
		{ "{\"content\":[{\"text\":\"isError\"}]}", 0 },
		{ "{\"x\":{\"isError\":true}}", 0 },
		{ "{\"is\\u0045rror\":true}", 1 },
		{ "{\"isError\":\"true\"}", 0 },
		{ "[true]", 0 },
	};
	json_object	*r;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = rawjson_new(cases[i].result, strlen(cases[i].result));
		ck_assert_msg(rawjson_member_true(r, "isError") ==
		    cases[i].yes, "%s", cases[i].result);
		ck_assert_int_eq(mcpwire_tool_error(r), cases[i].yes);
		json_object_put(r);
	}
	ck_assert(!mcpwire_tool_error(NULL));
}
END_TEST

/* The child's line, through rawjson_answer as the framer does. */
static void
raw_child(struct h *h, const char *line)
{
	json_object	*msg;

	ck_assert_ptr_nonnull(msg = rawjson_answer(line, strlen(line)));
	mux_child_recv(h->m, NULL, msg);
	h_drain(h);
}

/* A client's call: its answer goes out with the client's id and the
 * child's bytes. */
START_TEST(test_mux_pass)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*r;
	int64_t			 cid;
	char			 line[256];

	h_init(&h, NULL);
	h_start(&h);
	s = h_session(&h, "{}");
	cid = h_call(&h, s, 2, "\"c1/\\u00e9\"");
	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
	    "\"result\":{\"content\":[{\"type\":\"text\",\"text\":"
	    "\"x\\/y\"}] }}", (long long)cid);
	raw_child(&h, line);
	r = h_one(&h, s, NULL, 2, 1);
	ck_assert_str_eq(json_object_to_json_string_ext(r,
	    JSON_C_TO_STRING_PLAIN), "{\"jsonrpc\":\"2.0\",\"id\":"
	    "\"c1\\/\xc3\xa9\",\"result\":{\"content\":[{\"type\":\"text\","
	    "\"text\":\"x\\/y\"}] }}");
	h_clear(&h);
	/* A late answer to it is dropped as ever. */
	raw_child(&h, line);
	ck_assert_uint_eq(h.n, 0);
	h_fini(&h);
}
END_TEST

/* What the mux looks into is parsed first: the handshake, tools/list. */
START_TEST(test_mux_parsed)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*r;
	int64_t			 cid;
	char			 line[1024], *q;

	h_init(&h, NULL);
	mux_child_up(h.m, NULL);
	h_drain(&h);
	cid = h_cid(&h, "initialize");
	h_clear(&h);
	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
	    "\"result\":%s}", (long long)cid, child_init_result);
	for (q = line; (q = strchr(q, '\'')) != NULL; q++)
		*q = '"';
	raw_child(&h, line);
	ck_assert(mux_ready(h.m));
	ck_assert_uint_eq(h_count(&h, MUX_OUT_CHILD, NULL,
	    "notifications/initialized"), 1);
	h_clear(&h);
	s = h_session(&h, "{}");
	ck_assert_int_eq(h_send(&h, s, 3, "{'jsonrpc':'2.0','id':9,"
	    "'method':'tools/list'}"), MUX_RECV_REPLY);
	cid = h_cid(&h, "tools/list");
	h_clear(&h);
	snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
	    "\"result\":{\"tools\":[{\"name\":\"t\",\"inputSchema\":{"
	    "\"type\":\"object\",\"properties\":{\"r\":{\"type\":\"string\","
	    "\"x-mcp-header\":\"R\"}}}}]}}", (long long)cid);
	raw_child(&h, line);
	ck_assert_ptr_nonnull(mux_tool_headers(h.m, "t"));
	r = h_one(&h, s, NULL, 3, 1);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(r,
	    "id")), 9);
	r = json_object_object_get(r, "result");
	ck_assert(!rawjson_is(r));
	ck_assert_int_eq(json_object_array_length(json_object_object_get(r,
	    "tools")), 1);
	h_fini(&h);
}
END_TEST

/* The mux's one child out now: given out by mux_next, or by mux_next_lazy
 * and written by rawjson_request_text.  The line as the child gets it
 * (caller frees); *lazy says if it came as child_id. */
static char *
child_line(struct h *h, int lazily, int *lazy)
{
	struct mux_out	 out;
	const char	*t;
	size_t		 len;
	char		*line;

	ck_assert(lazily ? mux_next_lazy(h->m, &out) : mux_next(h->m, &out));
	ck_assert_int_eq(out.kind, MUX_OUT_CHILD);
	*lazy = out.child_id != 0;
	if (out.child_id != 0)
		t = rawjson_request_text(out.msg, out.child_id, &len);
	else
		ck_assert_ptr_nonnull(t = json_object_to_json_string_length(
		    out.msg, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &len));
	ck_assert_uint_eq(strlen(t), len);
	line = strdup(t);
	json_object_put(out.msg);
	ck_assert(lazily ? !mux_next_lazy(h->m, &out) : !mux_next(h->m, &out));
	return line;
}

/*
 * A client's call goes to the child with only its id changed: written
 * from the client's message (mux_next_lazy, rawjson_request_text), the
 * line is the one mux_next's message makes, in any member order, with
 * members the child never sees, and the client's message is not changed.
 */
START_TEST(test_request_text)
{
	static const struct {
		const char	*msg;
		int		 lazy;
	} cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{}}}", 1 },
		{ "{\"params\":{\"name\":\"t\",\"arguments\":{\"a/b\":"
		    "\"x\\u00e9\\\"\\n\",\"n\":1.50,\"e\":1E400,\"z\":[true,"
		    "null,-3,{}]}},\"method\":\"tools/call\",\"id\":\"s\\/1\","
		    "\"jsonrpc\":\"2.0\"}", 1 },
		{ "{\"id\":1,\"jsonrpc\":\"2.0\",\"x\":{\"y\":1},"
		    "\"method\":\"tools/list\"}", 1 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"x/\\u00e9\\t\","
		    "\"params\":[1,\"\\u0001\"]}", 1 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
		    "\"params\":{\"a\\\"b\":{\"c\\\\d\":1}}}", 1 },
		/* A progress token is the bridge's own: params replaced. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"_meta\":{\"progressToken\":"
		    "9}}}", 0 },
	};
	struct h		 h[2];
	struct mux_session	*s[2];
	json_object		*msg, *keep;
	char			*line[2] = { NULL, NULL }, *before;
	size_t			 i, j;
	int			 lazy;

	for (j = 0; j < 2; j++) {
		h_init(&h[j], NULL);
		h_start(&h[j]);
		s[j] = h_session(&h[j], "{}");
		h_clear(&h[j]);
	}
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (j = 0; j < 2; j++) {
			msg = jsonparse_strict(cases[i].msg,
			    strlen(cases[i].msg), NULL);
			ck_assert_ptr_nonnull(msg);
			keep = json_object_get(msg);
			before = strdup(json_object_to_json_string_ext(msg,
			    JSON_C_TO_STRING_PLAIN));
			ck_assert_int_eq(mux_session_recv(h[j].m, s[j], msg,
			    1), MUX_RECV_REPLY);
			line[j] = child_line(&h[j], j, &lazy);
			if (j == 1)
				ck_assert_int_eq(lazy, cases[i].lazy);
			ck_assert_str_eq(json_object_to_json_string_ext(keep,
			    JSON_C_TO_STRING_PLAIN), before);
			free(before);
			json_object_put(keep);
		}
		ck_assert_msg(strcmp(line[0], line[1]) == 0, "%s\nmux_next: "
		    "%s\nlazy: %s", cases[i].msg, line[0], line[1]);
		free(line[0]);
		free(line[1]);
	}
	for (j = 0; j < 2; j++)
		h_fini(&h[j]);
}
END_TEST

/* The arguments of the request text body as rawjson_request holds them:
 * 1 raw (their text then exactly args), 0 built, -1 none. */
static int
held(const char *body, const char *args)
{
	json_object	*msg, *v;
	int		 raw;

	msg = rawjson_request(body, strlen(body), NULL);
	ck_assert_msg(msg != NULL, "refused: %s", body);
	if (!json_object_object_get_ex(json_object_object_get(msg, "params"),
	    "arguments", &v)) {
		json_object_put(msg);
		return -1;
	}
	if ((raw = rawjson_is(v)) && args != NULL)
		ck_assert_str_eq(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN), args);
	json_object_put(msg);
	return raw;
}

/* body's call as its child gets it: one line, no raw line break, and read
 * back the same JSON as json-c's parse of body would be under the child's
 * id; 1 if its arguments went raw.  Through both writers
 * (mux_next: json-c's, mux_next_lazy: rawjson_request_text). */
static int
child_agrees(const char *body)
{
	struct h		 h;
	struct mux_session	*s;
	json_object		*msg, *full, *want, *back, *v;
	char			*line;
	int			 lazily, lazy, raw = 0;

	for (lazily = 0; lazily < 2; lazily++) {
		h_init(&h, NULL);
		h_start(&h);
		s = h_session(&h, "{}");
		h_clear(&h);
		ck_assert_ptr_nonnull(msg = rawjson_request(body, strlen(body),
		    NULL));
		raw = json_object_object_get_ex(json_object_object_get(msg,
		    "params"), "arguments", &v) && rawjson_is(v);
		ck_assert_int_eq(mux_session_recv(h.m, s, msg, 1),
		    MUX_RECV_REPLY);
		line = child_line(&h, lazily, &lazy);
		ck_assert_msg(strchr(line, '\n') == NULL &&
		    strchr(line, '\r') == NULL, "a line break: %s", line);
		/* One meaning: no name twice in an object, none with a NUL
		 * (strict_unique refuses both). */
		ck_assert_msg((back = jsonparse_strict_unique(line,
		    strlen(line), NULL)) != NULL, "names alike: %s", line);
		/* What json-c makes of the body, as the child's message. */
		ck_assert_ptr_nonnull(full = jsonparse_strict(body,
		    strlen(body), NULL));
		want = json_object_new_object();
		json_object_object_add(want, "jsonrpc",
		    json_object_new_string("2.0"));
		json_object_object_add(want, "id", json_object_get(
		    json_object_object_get(back, "id")));
		json_object_object_add(want, "method", json_object_get(
		    json_object_object_get(full, "method")));
		json_object_object_add(want, "params", json_object_get(
		    json_object_object_get(full, "params")));
		/* A progress token is the bridge's own. */
		if (json_object_object_get_ex(json_object_object_get(
		    json_object_object_get(back, "params"), "_meta"),
		    "progressToken", &v))
			json_object_object_add(json_object_object_get(
			    json_object_object_get(want, "params"), "_meta"),
			    "progressToken", json_object_get(v));
		ck_assert_msg(json_object_equal(back, want), "%s\nchild: %s\n"
		    "json-c: %s", body, line, json_object_to_json_string_ext(
		    want, JSON_C_TO_STRING_PLAIN));
		json_object_put(want);
		json_object_put(full);
		json_object_put(back);
		free(line);
		h_fini(&h);
	}
	return raw;
}

/* A tools/call's arguments stay the client's bytes, unless something in
 * them would change on the way or the message is not sure to be one. */
START_TEST(test_request_hold)
{
	static const struct {
		const char	*body;
		int		 raw;
	} cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":"
		    "\"hi\"}}}", 1 },
		/* The client's spelling, white space, a fraction (json-c's
		 * tree else), members in any order, line breaks outside. */
		{ "{\"params\" :\r\n {\"arguments\": { \"m\" : \"h\\u00e9\\/"
		    "\\u0000\" ,\t\"n\":1.5e3, \"a\":[1,{}]} ,\"name\":\"t\"},"
		    "\n\"id\":\"s\",\"method\":\"tools/call\",\"jsonrpc\":"
		    "\"2.0\"}", 1 },
		/* A progress token: the mux writes new params around it. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"x\":[]},"
		    "\"_meta\":{\"progressToken\":9}}}", 1 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{}}}", 1 },
		/* A line break in its white space: the child's framing. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\n\"a\":1}}}",
		    0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"a\":1\r}}}",
		    0 },
		/* Past 64 bits: mended in the tree. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"b\":"
		    "18446744073709551616}}}", 0 },
		/* A surrogate escape, lone or paired. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"s\":"
		    "\"\\ud800\"}}}", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"s\":"
		    "\"\\uD83D\\uDE00\"}}}", 0 },
		/* No object. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":[1,2]}}", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":\"{}\"}}", 0 },
		/* Another method. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"prompts/get\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"a\":\"b\"}}}",
		    0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/calls\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{}}}", 0 },
		/* json-c keeps the last of two: unsure. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"a\":1.5},"
		    "\"arguments\":{\"b\":2}}}", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"arguments\":{\"a\":1.5}},\"params\":"
		    "{\"name\":\"t\",\"arguments\":{\"b\":2}}}", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"\\u006dethod\":\"prompts/get\",\"params\":{\"name\":"
		    "\"t\",\"arguments\":{}}}", 0 },
		/* A name given twice in an object: json-c keeps the last,
		 * a child's parser may keep the first. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"region\":"
		    "\"no\",\"region\":\"eu\"}}}", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"o\":{\"k\":1,"
		    "\"k\":2},\"m\":\"x\"}}}", 0 },
		/* A name written with escapes: it may hide a NUL (json-c
		 * cuts the name there) or spell another name again. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"region\":"
		    "\"eu\",\"region\\u0000\":\"no\"}}}", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"a\":1,"
		    "\"\\u0061\":2}}}", 0 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"a\":[{\"x\\\"\":"
		    "1}]}}}", 0 },
		/* The same name in different objects, escapes in values. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"arguments\":{\"a\":{\"a\":"
		    "[{\"a\":\"\\\"a\\\":\"}, {\"a\":1}]}, \"b\" : \"a\"}}}", 1 },
		/* Outside them, what json-c's tree is built for. */
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"t\",\"n\":0.5,\"arguments\":{}}}",
		    0 },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(held(cases[i].body, NULL) == cases[i].raw,
		    "case %zu: %s", i, cases[i].body);
		ck_assert_int_eq(child_agrees(cases[i].body), cases[i].raw);
	}
	/* At most JSONPARSE_HOLD_MEMBERS members an object. */
	for (i = 32; i <= 33; i++) {
		char	body[1024];
		size_t	k, n;

		n = (size_t)snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\","
		    "\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":"
		    "\"t\",\"arguments\":{");
		for (k = 0; k < i; k++)
			n += (size_t)snprintf(body + n, sizeof body - n,
			    "%s\"m%zu\":%zu", k > 0 ? "," : "", k, k);
		snprintf(body + n, sizeof body - n, "}}}");
		ck_assert_int_eq(held(body, NULL), i == 32);
		ck_assert_int_eq(child_agrees(body), i == 32);
	}
	/* Exactly the client's bytes of the value, nothing around it. */
	ck_assert_int_eq(held("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
	    "\"tools/call\",\"params\":{\"arguments\": { \"a\" : \"\\/\" } "
	    ",\"name\":\"t\"}}", "{ \"a\" : \"\\/\" }"), 1);
	/* A batch is built as ever. */
	ck_assert_int_eq(held("[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":{}}}]",
	    NULL), -1);
	/* What the policy refuses, rawjson_request refuses. */
	ck_assert_ptr_null(rawjson_request("{\"jsonrpc\":\"2.0\",\"id\":7,"
	    "\"method\":\"tools/call\",\"params\":{\"arguments\":{\"a\":"
	    "NaN}}}", 63, NULL));
	ck_assert_ptr_null(rawjson_request("{\"jsonrpc\":\"2.0\",\"id\":7,"
	    "\"method\":\"tools/call\",\"params\":{\"arguments\":{\"a\":1}",
	    61, NULL));
}
END_TEST

/* Readers of what may be raw get the tree. */
START_TEST(test_request_get)
{
	const char	*body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"t\",\"arguments\":{\"r\":"
	    "\"e\\u0075\"}}}";
	json_object	*msg, *params, *v, *id, *copy = NULL;

	ck_assert_ptr_nonnull(msg = rawjson_request(body, strlen(body), NULL));
	params = json_object_object_get(msg, "params");
	ck_assert(rawjson_is(json_object_object_get(params, "arguments")));
	ck_assert_ptr_nonnull(v = rawjson_get(params, "arguments",
	    json_type_object));
	ck_assert(!rawjson_is(v));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v,
	    "r")), "eu");
	json_object_put(v);
	ck_assert_ptr_null(rawjson_get(params, "arguments", json_type_array));
	ck_assert_ptr_nonnull(v = rawjson_get(params, "name",
	    json_type_string));
	ck_assert_str_eq(json_object_get_string(v), "t");
	json_object_put(v);
	ck_assert_ptr_null(rawjson_get(params, "nope", json_type_object));
	ck_assert_ptr_null(rawjson_get(NULL, "arguments", json_type_object));
	/* The tree: a copy with the raw value parsed, the message left as
	 * it is; a message with none is itself. */
	ck_assert_ptr_nonnull(v = rawjson_tree(msg));
	ck_assert_ptr_ne(v, msg);
	ck_assert(!rawjson_is(json_object_object_get(json_object_object_get(
	    v, "params"), "arguments")));
	ck_assert_str_eq(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
	    "\"tools\\/call\",\"params\":{\"name\":\"t\",\"arguments\":{\"r\":"
	    "\"eu\"}}}");
	ck_assert(rawjson_is(json_object_object_get(params, "arguments")));
	json_object_put(v);
	id = json_object_object_get(msg, "id");
	ck_assert_ptr_eq(v = rawjson_tree(id), id);
	json_object_put(v);
	/* A copy of the message keeps its bytes (agg.c, the trace). */
	ck_assert_int_eq(json_object_deep_copy(msg, &copy, NULL), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(copy,
	    JSON_C_TO_STRING_PLAIN), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
	    "\"tools\\/call\",\"params\":{\"name\":\"t\",\"arguments\":{\"r\":"
	    "\"e\\u0075\"}}}");
	json_object_put(copy);
	json_object_put(msg);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("rawjson");
	TCase	*tc = tcase_create("scan");

	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_odd_ids);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_not_plain);
	suite_add_tcase(s, tc);
	tc = tcase_create("value");
	tcase_add_test(tc, test_raw_value);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_member_true);
	tcase_add_test(tc, test_mux_pass);
	tcase_add_test(tc, test_mux_parsed);
	tcase_add_test(tc, test_request_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("request");
	tcase_add_test(tc, test_request_hold);
	tcase_add_test(tc, test_request_get);
	suite_add_tcase(s, tc);
	return s;
}
