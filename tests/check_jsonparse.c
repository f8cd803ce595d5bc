/* SPDX-License-Identifier: ISC */
/*
 * check_jsonparse.c: the one JSON parse policy: RFC 8259 text only,
 * nesting bounded, integers past 64 bits kept digit for digit (and never
 * an id), ids never altered.
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
#include "log.h"
#include "xmalloc.h"

/* Nesting of n arrays around "0", in buf of at least 2n+2 bytes. */
static size_t
nested(char *buf, int n)
{
	size_t	k = 0;
	int	i;

	for (i = 0; i < n; i++)
		buf[k++] = '[';
	buf[k++] = '0';
	for (i = 0; i < n; i++)
		buf[k++] = ']';
	buf[k] = '\0';
	return k;
}

static json_object *
parse(const char *s)
{
	return jsonparse_strict(s, strlen(s), NULL);
}

/* Text json-c in strict mode takes (or changes) that is not JSON. */
static const char *const refused[] = {
	"[NaN]", "[Infinity]", "[-Infinity]", "{\"a\":NaN}", "[00]", "[-01]",
	"[01]", "[1.]", "[1.e3]", "[.5]", "[+1]", "[1e]", "[0x10]",
	"['a']", "[1,]", "{\"a\":1,}", "[/*c*/1]", "[1]//c", "[1] [2]",
	"[\"a\tb\"]", "[\"\x01\"]", "[\"a\nb\"]", "[\"\\x41\"]",
	"[\"\\u00g0\"]", "[\"\xff\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]",
	"[\"\xf4\x90\x80\x80\"]", "[\"\xe2\x82\"]", "[True]", "[nul]",
	"{\"a\" 1}", "{1:2}", "[", "{\"a\":", "\"abc", "", "   ",
	/* json-c would turn -0 into 0. */
	"[-0]", "{\"a\":-0}",
	/* An id json-c would rewrite to U+FFFD: two would collide. */
	"{\"id\":\"\\ud800\"}", "{\"id\":\"a\\udc00b\"}",
	"{\"jsonrpc\":\"2.0\",\"id\":\"\\udbff\",\"method\":\"m\"}",
	"{\"id\":\"\\ud83d\\u0041\"}", "{\"id\":\"\\ude00\\ud83d\"}",
	"{\"\\u0069d\":\"\\ud800\"}", "{\"i\\u0064\":\"\\ud800\"}",
	"[{\"id\":1},{\"id\":\"\\ud800\"}]",
	/* A duplicate member moves the big integers json-c would clamp. */
	"{\"a\":0,\"b\":18446744073709551615,\"a\":18446744073709551616}",
	"{\"a\":[1,2,3],\"b\":18446744073709551616,"
	    "\"a\":[0,0,0,18446744073709551615]}",
	NULL
};

/* JSON json-c must take, some of it at the edges of the rules above. */
static const char *const accepted[] = {
	"[0]", "[-0.0]", "[0.5]", "[1e3]", "[1E+5]", "[-1.5e-400]",
	"[1.5e400]", "[18446744073709551615]", "[-9223372036854775808]",
	"[\"\\u0041\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
	"[\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", "[true,false,null]",
	" \t\r\n{\"a\":{\"b\":[]}} \r\n", "{}", "[]", "\"s\"", "42",
	/* Integers past 64 bits, kept as they came (test_big_integers). */
	"[18446744073709551616]", "[-9223372036854775809]",
	"[99999999999999999999999]",
	/* Lone surrogates where no id is: JavaScript servers cut strings
	 * between the halves of a pair. */
	"{\"id\":\"\\ud83d\\ude00\",\"x\":\"\\ud800\"}",
	"{\"a\":{\"id\":\"\\ud800\"}}", "{\"ids\":\"\\udc00\"}",
	"[\"\\ud800\"]", "[[{\"id\":\"\\ud800\"}]]",
	/* A duplicate member with no big integer: json-c keeps the last. */
	"{\"a\":1,\"a\":2}",
	NULL
};

/*
 * Messages the parse policy builds itself, without json-c's tokener
 * (jsonparse_build): each must come out as the tokener makes it.
 */
static const char *const built[] = {
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"echo\",\"arguments\":{\"message\":\"hi\"},"
	    "\"_meta\":{\"progressToken\":\"p-1\"}}}",
	"[{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":\"a\"},"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}]",
	/* Escapes other than \u, in values and in member names. */
	"{\"a\\\"b\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\tz\",\"\\n\":\"\\\\\"}",
	"[\"\",\"\\\\\",\"x\\/\",\"\\t\\t\\t\"]",
	/* A member given twice: the first place, the last value, and
	 * the same past the members compared one by one. */
	"{\"a\":1,\"b\":2,\"a\":3}",
	"{\"id\":1,\"id\":\"x\",\"method\":\"m\",\"method\":null}",
	"{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
	    "\"k8\":8,\"k9\":9,\"k2\":20,\"k10\":10,\"k9\":90}",
	/* Names past the stack copy, one with escapes. */
	"{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
	    ":{\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\\t"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\":[1]},\"aaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":2}",
	/* Integers at the edges json-c types: int64, then uint64. */
	"[0,-1,9223372036854775807,9223372036854775808,"
	    "18446744073709551615,-9223372036854775808,-9223372036854775807]",
	"{\"t\":true,\"f\":false,\"n\":null,\"e\":{},\"l\":[],"
	    "\"nest\":[[[],[{}]],null,[null,true]]}",
	" \t\r\n{ \"a\" : [ 1 , \"x\" ] , \"b\" :{ } } \n",
	"[\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",{\"\xc3\xa9\":\"\xc3\xa9\"}]",
	/* \u escapes but surrogates and U+0000, at each UTF-8 length,
	 * in values and names (one spelling a common name). */
	"[\"\\u0041\\u007f\\u0080\\u00e9\\u07ff\\u0800\\u20ac\\uffff\\uFFFD\","
	    "\"a\\u0001b\\u001F\",\"\\uabcd\\uCDEFx\"]",
	"[\"x\\u0000y\"]", "{\"\\u00e9\":1,\"\\ud83d\\ude00\":2}",
	"{\"\\u0069d\":1,\"m\\u00e9thod\":\"\\u00e9\",\"i\\u0064\":\"\\u00e8\"}",
	"{\"jsonrpc\":\"2.0\",\"id\":\"\\u00e9\\u4e2d\",\"method\":\"tools/call\","
	    "\"params\":{\"arguments\":{\"q\":\"caf\\u00e9 \\u2603\"}}}",
	NULL
};

/* text read by json-c's own tokener, as the policy did before it built
 * trees itself. */
static json_object *
tokener(const char *text)
{
	struct json_tokener	*tok;
	json_object		*o;

	tok = json_tokener_new_ex(JSONPARSE_MAX_DEPTH + 1);
	ck_assert_ptr_nonnull(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1);
	ck_assert_int_eq(json_tokener_get_error(tok), json_tokener_success);
	json_tokener_free(tok);
	return o;
}

/* a and b hold the same values of the same types, members in the same
 * order. */
static void
same_tree(json_object *a, json_object *b)
{
	struct json_object_iter	 ia, ib;
	size_t			 i;

	ck_assert_int_eq(json_object_get_type(a), json_object_get_type(b));
	switch (json_object_get_type(a)) {
	case json_type_object:
		ck_assert_int_eq(json_object_object_length(a),
		    json_object_object_length(b));
		/* Walked side by side: order and names. */
		ib.entry = json_object_get_object(b)->head;
		json_object_object_foreachC(a, ia) {
			ck_assert_ptr_nonnull(ib.entry);
			ck_assert_str_eq(ia.key,
			    (const char *)ib.entry->k);
			same_tree(ia.val, (json_object *)ib.entry->v);
			ib.entry = ib.entry->next;
		}
		break;
	case json_type_array:
		ck_assert_uint_eq(json_object_array_length(a),
		    json_object_array_length(b));
		for (i = 0; i < json_object_array_length(a); i++)
			same_tree(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i));
		break;
	case json_type_int:
		ck_assert(json_object_get_int64(a) == json_object_get_int64(b));
		ck_assert(json_object_get_uint64(a) ==
		    json_object_get_uint64(b));
		break;
	case json_type_string:
		ck_assert_int_eq(json_object_get_string_len(a),
		    json_object_get_string_len(b));
		ck_assert(memcmp(json_object_get_string(a),
		    json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0);
		break;
	default:
		ck_assert(json_object_equal(a, b));
		break;
	}
}

START_TEST(test_built)
{
	const char	*s = built[_i], *cause = "unset";
	json_object	*v, *want;

	v = jsonparse_strict(s, strlen(s), &cause);
	ck_assert_msg(v != NULL, "refused '%s': %s", s, cause);
	want = tokener(s);
	same_tree(v, want);
	ck_assert_str_eq(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN), json_object_to_json_string_ext(want,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(want);
	json_object_put(v);
	/* And again, the scratch space reused. */
	v = jsonparse_strict(s, strlen(s), &cause);
	want = tokener(s);
	same_tree(v, want);
	json_object_put(want);
	json_object_put(v);
}
END_TEST

/* A string or name longer than the scratch kept between texts, decoded,
 * then a short one after it. */
START_TEST(test_built_long)
{
	size_t		 n = 200 * 1024, k = 0, i;
	char		*s = xmalloc(2 * n + 64);
	json_object	*v, *want;

	s[k++] = '{';
	s[k++] = '"';
	for (i = 0; i < n / 2; i++)
		s[k++] = 'k';
	memcpy(s + k, "\\n\":\"", 5);
	k += 5;
	for (i = 0; i < n; i++) {
		s[k++] = i % 100 == 0 ? '\\' : 'v';
		if (i % 100 == 0)
			s[k++] = 't';
	}
	memcpy(s + k, "\"}", 3);
	v = parse(s);
	ck_assert_ptr_nonnull(v);
	want = tokener(s);
	same_tree(v, want);
	json_object_put(want);
	json_object_put(v);
	v = parse("{\"a\\tb\":\"c\\nd\"}");
	ck_assert_str_eq(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN), "{\"a\\tb\":\"c\\nd\"}");
	json_object_put(v);
	free(s);
}
END_TEST

/*
 * A string's bytes are read eight at a time up to the one that ends a
 * plain run: whatever place of a word that byte has, the verdict and
 * the string are the same.
 */
START_TEST(test_string_stops)
{
	static const struct {
		const char	*odd;		/* at place k */
		const char	*want;		/* decoded, NULL: refused */
		const char	*cause;
	} c[] = {
		{ "\x01", NULL, "control character in a string" },
		{ "\x1f", NULL, "control character in a string" },
		{ "\xff", NULL, "invalid UTF-8" },
		{ "\xc3", NULL, "invalid UTF-8" },
		{ "\xc3\xa9", "\xc3\xa9", NULL },
		{ "\xe2\x82\xac", "\xe2\x82\xac", NULL },
		{ "\\n", "\n", NULL },
		{ "\\\"", "\"", NULL },
		{ "\x7f", "\x7f", NULL },
		{ " ", " ", NULL },
	};
	char		 text[64], want[64];
	const char	*cause, *got;
	json_object	*v;
	size_t		 i, k, len, n, w;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		for (len = 1; len <= 20; len++) {
			for (k = 0; k < len; k++) {
				n = w = 0;
				text[n++] = '[';
				text[n++] = '"';
				memset(text + n, 'a', k);
				memset(want, 'a', k);
				n += k;
				w += k;
				memcpy(text + n, c[i].odd, strlen(c[i].odd));
				n += strlen(c[i].odd);
				if (c[i].want != NULL) {
					memcpy(want + w, c[i].want,
					    strlen(c[i].want));
					w += strlen(c[i].want);
				}
				memset(text + n, 'b', len - k - 1);
				memset(want + w, 'b', len - k - 1);
				n += len - k - 1;
				w += len - k - 1;
				text[n++] = '"';
				text[n++] = ']';
				cause = NULL;
				v = jsonparse_strict(text, n, &cause);
				if (c[i].want == NULL) {
					ck_assert_msg(v == NULL, "case %zu at "
					    "%zu of %zu taken", i, k, len);
					ck_assert_str_eq(cause, c[i].cause);
					continue;
				}
				ck_assert_msg(v != NULL, "case %zu at %zu of "
				    "%zu: %s", i, k, len, cause);
				got = json_object_get_string(
				    json_object_array_get_idx(v, 0));
				ck_assert_uint_eq((size_t)json_object_get_string_len(
				    json_object_array_get_idx(v, 0)), w);
				ck_assert(memcmp(got, want, w) == 0);
				json_object_put(v);
			}
		}
	}
}
END_TEST

START_TEST(test_refused)
{
	const char	*s = refused[_i], *cause = NULL;
	json_object	*v;

	v = jsonparse_strict(s, strlen(s), &cause);
	ck_assert_msg(v == NULL, "took '%s' as %s", s,
	    v != NULL ? json_object_to_json_string(v) : "");
	ck_assert_ptr_nonnull(cause);
}
END_TEST

START_TEST(test_accepted)
{
	const char	*s = accepted[_i], *cause = "unset";
	json_object	*v;

	v = jsonparse_strict(s, strlen(s), &cause);
	ck_assert_msg(v != NULL, "refused '%s': %s", s, cause);
	json_object_put(v);
}
END_TEST

/* What json-c builds (a \\u escape, a fraction, an exponent) or the
 * policy mends (past 64 bits) aside, the tree is the tokener's. */
START_TEST(test_accepted_same)
{
	const char	*s = accepted[_i];
	json_object	*v, *want;

	if (strstr(s, "\\u") != NULL || strpbrk(s, ".eE") != NULL ||
	    strstr(s, "8446744073709551616") != NULL ||
	    strstr(s, "9223372036854775809") != NULL ||
	    strstr(s, "99999999999999999999") != NULL)
		return;
	v = parse(s);
	want = tokener(s);
	same_tree(v, want);
	json_object_put(want);
	json_object_put(v);
}
END_TEST

/* Numbers go out as they came in: json-c keeps their text. */
START_TEST(test_numbers_kept)
{
	static const char *const in[] = {
		"[1.5e400,-0.0,18446744073709551615,-9223372036854775808,1E3]",
		NULL
	};
	json_object	*v;

	v = parse(in[0]);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN), in[0]);
	json_object_put(v);
}
END_TEST

/* The text need not end in a NUL; a NUL inside it is not JSON. */
START_TEST(test_lengths)
{
	json_object	*v;

	v = jsonparse_strict("[1]]]", 3, NULL);
	ck_assert_ptr_nonnull(v);
	json_object_put(v);
	/* A number at the very end of the text. */
	v = jsonparse_strict("123456", 3, NULL);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_object_get_int(v), 123);
	json_object_put(v);
	ck_assert_ptr_null(jsonparse_strict("[1]\0", 4, NULL));
	ck_assert_ptr_null(jsonparse_strict("[\"a\0\"]", 6, NULL));
}
END_TEST

START_TEST(test_depth)
{
	char		 buf[2 * (JSONPARSE_MAX_DEPTH + 1) + 2];
	const char	*cause = NULL;
	json_object	*v;
	size_t		 len;

	len = nested(buf, JSONPARSE_MAX_DEPTH);
	v = jsonparse_strict(buf, len, NULL);
	ck_assert_ptr_nonnull(v);
	json_object_put(v);
	len = nested(buf, JSONPARSE_MAX_DEPTH + 1);
	ck_assert_ptr_null(jsonparse_strict(buf, len, &cause));
	ck_assert_str_eq(cause, "nested too deeply");
}
END_TEST

/* A refused text leaves nothing behind for the next one. */
START_TEST(test_after_refusal)
{
	json_object	*v, *s;

	ck_assert_ptr_null(parse("[\"\\ud83d"));
	v = parse("[\"\\u0041\"]");
	ck_assert_ptr_nonnull(v);
	s = json_object_array_get_idx(v, 0);
	ck_assert_str_eq(json_object_get_string(s), "A");
	json_object_put(v);
}
END_TEST

/* Every byte value at every place in a long string, where the scan goes
 * eight bytes at a time: taken exactly when JSON allows it raw. */
START_TEST(test_string_bytes)
{
	char		 buf[32];
	json_object	*v;
	int		 c, at, ok;

	for (c = 1; c < 256; c++) {
		for (at = 1; at < 26; at++) {
			memset(buf, 'a', sizeof buf);
			buf[0] = '"';
			buf[at] = (char)c;
			buf[27] = '"';
			v = jsonparse_strict(buf, 28, NULL);
			ok = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
			ck_assert_msg((v != NULL) == ok, "byte %#x at %d: %s",
			    c, at, v != NULL ? "taken" : "refused");
			json_object_put(v);
		}
	}
}
END_TEST

/*
 * Integers json-c would clamp go out digit for digit, wherever they are;
 * the ones at the edges of its range too.
 */
START_TEST(test_big_integers)
{
	static const char *const in[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"structured"
		"Content\":{\"wei\":1157920892373161954235709850086879078532"
		"69984665640564039457584007913129639935}}}",
		"[18446744073709551616,18446744073709551615,-9223372036854775808,"
		"-9223372036854775809,1000000000000000000000000000000,"
		"-1000000000000000000000000000000,18446744073709551614,5]",
		"{\"a\":{\"b\":[[18446744073709551617],{\"c\":-92233720368547"
		"758090}]},\"d\":18446744073709551615,\"e\":"
		"18446744073709551616}",
		"18446744073709551616",
		NULL
	};
	json_object	*v, *copy = NULL;
	const char	*cause = NULL;
	int		 i;

	for (i = 0; in[i] != NULL; i++) {
		v = jsonparse_strict(in[i], strlen(in[i]), &cause);
		ck_assert_msg(v != NULL, "refused '%s': %s", in[i], cause);
		ck_assert_str_eq(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN), in[i]);
		/* A copy (as the bridge makes of ids and params) too. */
		copy = NULL;
		ck_assert_int_eq(json_object_deep_copy(v, &copy, NULL), 0);
		ck_assert_str_eq(json_object_to_json_string_ext(copy,
		    JSON_C_TO_STRING_PLAIN), in[i]);
		json_object_put(copy);
		json_object_put(v);
	}
}
END_TEST

/*
 * A duplicate member beside a big integer is refused, saying why: json-c
 * keeps the last value where the first was, and which integer to mend
 * is no longer known.
 */
START_TEST(test_big_integers_duplicate)
{
	static const char *const in[] = {
		"{\"a\":0,\"b\":18446744073709551615,"
		"\"a\":18446744073709551616}",
		"{\"a\":1,\"a\":2,\"b\":18446744073709551616}",
		"[{\"x\":{\"y\":1},\"x\":2},-18446744073709551616]",
		NULL
	};
	const char	*cause;
	int		 i;

	for (i = 0; in[i] != NULL; i++) {
		cause = NULL;
		ck_assert_msg(jsonparse_strict(in[i], strlen(in[i]), &cause) ==
		    NULL, "took '%s'", in[i]);
		ck_assert_str_eq(cause, "duplicate member beside an integer "
		    "past 64 bits");
	}
}
END_TEST

/* jsonparse_strict_unique: a member name twice in one object is refused,
 * at any depth; the same name in two objects is not. */
START_TEST(test_unique)
{
	static const char *const dup[] = {
		"{\"a\":1,\"a\":1}",
		"{\"s\":{\"fs\":{},\"fs\":{\"x\":1}}}",
		"[1,{\"x\":[{\"y\":1,\"z\":2,\"y\":3}]}]",
		"{\"a\":1,\"b\":18446744073709551616,\"a\":2}",
		NULL
	};
	static const char *const uniq[] = {
		"{\"a\":{\"a\":1},\"b\":{\"a\":[{\"a\":2},{\"a\":3}]}}",
		"{\"a\":18446744073709551616,\"b\":[]}",
		"[]", "1", "{}",
		NULL
	};
	static const char nul_name[] = "{\"a\":{\"b\\u0000c\":1}}";
	static const char nul_value[] = "{\"a\":\"b\\u0000c\"}";
	json_object	*v;
	const char	*cause;
	int		 i;

	for (i = 0; dup[i] != NULL; i++) {
		cause = NULL;
		ck_assert_msg(jsonparse_strict_unique(dup[i],
		    strlen(dup[i]), &cause) == NULL, "took '%s'",
		    dup[i]);
		ck_assert_ptr_nonnull(cause);
		/* Refused for its names alone: jsonparse_duplicates may
		 * walk it. */
		ck_assert_msg(jsonparse_names_refused(cause), "'%s': %s",
		    dup[i], cause);
	}
	/* Refused for its grammar, size or anything else: not for names
	 * (even when names repeat before the error). */
	ck_assert_ptr_null(jsonparse_strict_unique("{\"a\":1,\"a\":", 11,
	    &cause));
	ck_assert(!jsonparse_names_refused(cause));
	ck_assert_ptr_null(jsonparse_strict_unique("1 2", 3, &cause));
	ck_assert(!jsonparse_names_refused(cause));
	ck_assert(!jsonparse_names_refused(NULL));
	ck_assert_ptr_null(jsonparse_strict_unique(dup[1],
	    strlen(dup[1]), &cause));
	ck_assert_str_eq(cause, "a member name appears twice in one object");
	/* The plain parse takes it, as json-c does. */
	v = jsonparse_strict(dup[1], strlen(dup[1]), NULL);
	ck_assert_ptr_nonnull(v);
	json_object_put(v);
	/* A NUL in a name (json-c would cut it there), at any depth; in a
	 * value it is the caller's to judge. */
	ck_assert_ptr_null(jsonparse_strict_unique(nul_name,
	    strlen(nul_name), &cause));
	ck_assert_str_eq(cause, "a member name holds a NUL character");
	ck_assert(jsonparse_names_refused(cause));
	v = jsonparse_strict(nul_name, strlen(nul_name), NULL);
	ck_assert_ptr_nonnull(v);
	json_object_put(v);
	v = jsonparse_strict_unique(nul_value, strlen(nul_value), &cause);
	ck_assert_ptr_nonnull(v);
	json_object_put(v);
	for (i = 0; uniq[i] != NULL; i++) {
		v = jsonparse_strict_unique(uniq[i], strlen(uniq[i]), &cause);
		ck_assert_msg(v != NULL, "refused '%s': %s", uniq[i], cause);
		json_object_put(v);
	}
}
END_TEST

static void
dups_cb(const char *path, const char *what, void *arg)
{
	char	**all = arg, *p;

	/* "!": a name with a NUL, not a second one */
	xasprintf(&p, "%s%s%s;", *all != NULL ? *all : "", path,
	    strcmp(what, "duplicate key") == 0 ? "" : "!");
	free(*all);
	*all = p;
}

/* jsonparse_duplicates names each second member by its path, escapes
 * decoded, at any depth and in arrays; none in a text without. */
START_TEST(test_duplicates)
{
	static const char *const in[][2] = {
		{ "{\"a\":1,\"a\":1}", "a;" },
		{ " {\"s\" : {\"fs\":{},\"f\\u0073\":{\"x\":1}}} ", "s.fs;" },
		{ "[1,{\"x\":[{\"y\":\"}\\\"]\",\"z\":2,\"y\":3}]}]",
		    "[1].x[0].y;" },
		{ "{\"a\":[[],{}],\"b\":{\"c\":1,\"c\":2,\"c\":3},\"a\":0}",
		    "b.c;b.c;a;" },
		{ "{\"a\":{\"a\":1},\"b\":{\"a\":[{\"a\":2},{\"a\":3}]}}", "" },
		{ "{\"a\\u0000b\":1,\"a\":2,\"x\":{\"\\u0000\":[]}}",
		    "a?b!;x.?!;" },
	};
	const char	*p;
	char		*all;
	size_t		 i, n, want;

	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		all = NULL;
		n = jsonparse_duplicates(in[i][0], strlen(in[i][0]), dups_cb,
		    &all);
		ck_assert_str_eq(all != NULL ? all : "", in[i][1]);
		for (p = in[i][1], want = 0; *p != '\0'; p++)
			want += *p == ';';
		ck_assert_uint_eq(n, want);
		free(all);
	}
}
END_TEST

/* As many big integers as the limit, and one more. */
START_TEST(test_big_integers_limit)
{
	char		*buf, *p;
	const char	*cause = NULL;
	json_object	*v;
	int		 i, n;

	for (n = JSONPARSE_MAX_BIG_INTEGERS; n <= JSONPARSE_MAX_BIG_INTEGERS +
	    1; n++) {
		buf = p = malloc((size_t)n * 22 + 3);
		ck_assert_ptr_nonnull(buf);
		*p++ = '[';
		for (i = 0; i < n; i++)
			p += sprintf(p, "%s18446744073709551616", i ? "," : "");
		*p++ = ']';
		*p = '\0';
		v = jsonparse_strict(buf, strlen(buf), &cause);
		if (n == JSONPARSE_MAX_BIG_INTEGERS) {
			ck_assert_ptr_nonnull(v);
			ck_assert_str_eq(json_object_to_json_string_ext(v,
			    JSON_C_TO_STRING_PLAIN), buf);
		} else {
			ck_assert_ptr_null(v);
			ck_assert_str_eq(cause, "too many integers past 64 bits");
		}
		json_object_put(v);
		free(buf);
	}
}
END_TEST

/* An id past 64 bits is no integer id, never a clamped one: Invalid
 * Request, as for 1.5. */
START_TEST(test_big_id)
{
	static const char *const in[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":18446744073709551616,"
		"\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775809,"
		"\"method\":\"ping\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":18446744073709551616,"
		"\"result\":{}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
		NULL
	};
	json_object	*v;
	int		 i;

	for (i = 0; in[i] != NULL; i++) {
		v = parse(in[i]);
		ck_assert_msg(v != NULL, "refused '%s'", in[i]);
		ck_assert_msg(jsonrpc_classify(v) == JSONRPC_INVALID,
		    "'%s' is not Invalid Request", in[i]);
		json_object_put(v);
	}
	/* The edges of json-c's range are ids like any other. */
	v = parse("{\"jsonrpc\":\"2.0\",\"id\":18446744073709551615,"
	    "\"method\":\"ping\"}");
	ck_assert_int_eq(jsonrpc_classify(v), JSONRPC_REQUEST);
	json_object_put(v);
}
END_TEST

/* An id with a lone surrogate is refused, saying why. */
START_TEST(test_surrogate_id)
{
	const char	*s = "{\"jsonrpc\":\"2.0\",\"id\":\"\\ud800\","
	    "\"method\":\"ping\"}", *cause = NULL;

	ck_assert_ptr_null(jsonparse_strict(s, strlen(s), &cause));
	ck_assert_str_eq(cause, "lone surrogate in id");
	s = "[{\"jsonrpc\":\"2.0\",\"id\":\"\\ud800\",\"method\":\"p\"},"
	    "{\"jsonrpc\":\"2.0\",\"id\":\"\\udbff\",\"method\":\"p\"}]";
	cause = NULL;
	ck_assert_ptr_null(jsonparse_strict(s, strlen(s), &cause));
	ck_assert_str_eq(cause, "lone surrogate in id");
}
END_TEST

static int
count(const char *const *list)
{
	int	n = 0;

	while (list[n] != NULL)
		n++;
	return n;
}

/*
 * Every "2.0" is the one shared string: a message's end does not end it
 * for the others, nor for what is parsed or made next.
 */
START_TEST(test_version_shared)
{
	const char	*a = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
	const char	*b = "[\"2.0\",\"2.00\",\"2.\"]";
	json_object	*ma, *mb, *va, *v;
	int		 i;

	ma = jsonparse_strict(a, strlen(a), NULL);
	mb = jsonparse_strict(b, strlen(b), NULL);
	ck_assert_ptr_nonnull(ma);
	ck_assert_ptr_nonnull(mb);
	ck_assert(json_object_object_get_ex(ma, "jsonrpc", &va));
	ck_assert_ptr_eq(va, json_object_array_get_idx(mb, 0));
	ck_assert_ptr_ne(va, json_object_array_get_idx(mb, 1));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(mb,
	    1)), "2.00");
	for (i = 0; i < 3; i++) {
		json_object_put(ma);
		ck_assert_str_eq(json_object_get_string(
		    json_object_array_get_idx(mb, 0)), "2.0");
		v = jsonparse_version();
		ck_assert_ptr_eq(v, json_object_array_get_idx(mb, 0));
		ck_assert_str_eq(json_object_to_json_string_ext(mb,
		    JSON_C_TO_STRING_PLAIN), "[\"2.0\",\"2.00\",\"2.\"]");
		json_object_put(v);
		ma = jsonparse_strict(a, strlen(a), NULL);
	}
	json_object_put(ma);
	json_object_put(mb);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("jsonparse");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_refused, 0, count(refused));
	tcase_add_loop_test(tc, test_accepted, 0, count(accepted));
	tcase_add_loop_test(tc, test_built, 0, count(built));
	tcase_add_loop_test(tc, test_accepted_same, 0, count(accepted));
	tcase_add_test(tc, test_built_long);
	tcase_add_test(tc, test_string_stops);
	tcase_add_test(tc, test_numbers_kept);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_after_refusal);
	tcase_add_test(tc, test_string_bytes);
	tcase_add_test(tc, test_big_integers);
	tcase_add_test(tc, test_big_integers_duplicate);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_big_integers_limit);
	tcase_add_test(tc, test_big_id);
	tcase_add_test(tc, test_surrogate_id);
	tcase_add_test(tc, test_unique);
	tcase_add_test(tc, test_version_shared);
	suite_add_tcase(s, tc);
	return s;
}
