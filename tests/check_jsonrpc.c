/* SPDX-License-Identifier: ISC */
/*
 * check_jsonrpc.c: JSON-RPC shapes, ids and versions.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "checktest.h"
#include "jsonrpc.h"

/* JSON written with ' for " keeps the tests readable. */
static json_object *
J(const char *text)
{
	json_object	*o;
	char		*s, *p;

	s = strdup(text);
	ck_assert_ptr_nonnull(s);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	o = json_tokener_parse(s);
	ck_assert_msg(o != NULL || strcmp(s, "null") == 0, "bad JSON: %s", s);
	free(s);
	return o;
}

static enum jsonrpc_kind
classify(const char *text)
{
	json_object		*o = J(text);
	enum jsonrpc_kind	 k;

	k = jsonrpc_classify(o);
	json_object_put(o);
	return k;
}

START_TEST(test_classify)
{
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'method':'ping'}"),
	    JSONRPC_REQUEST);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':'a','method':'x',"
	    "'params':{}}"), JSONRPC_REQUEST);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':0,'method':'x',"
	    "'params':[1]}"), JSONRPC_REQUEST);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','method':'n'}"),
	    JSONRPC_NOTIFICATION);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'result':{}}"),
	    JSONRPC_RESPONSE);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':'1','result':null}"),
	    JSONRPC_RESPONSE);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'error':"
	    "{'code':-1,'message':'m'}}"), JSONRPC_RESPONSE);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':null,'error':"
	    "{'code':-32700,'message':'m'}}"), JSONRPC_RESPONSE);
	ck_assert_int_eq(classify("[{'jsonrpc':'2.0','method':'n'}]"),
	    JSONRPC_BATCH);
	ck_assert_int_eq(classify("[1]"), JSONRPC_BATCH);

	ck_assert_int_eq(classify("[]"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("1"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("'x'"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{}"), JSONRPC_INVALID);
	ck_assert_int_eq(jsonrpc_classify(NULL), JSONRPC_INVALID);
	/* version */
	ck_assert_int_eq(classify("{'id':1,'method':'ping'}"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'1.0','id':1,'method':'p'}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':2.0,'id':1,'method':'p'}"),
	    JSONRPC_INVALID);
	/* ids: never null for requests, never fractional, never bool */
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':null,'method':'p'}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1.5,'method':'p'}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':true,'method':'p'}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':{},'method':'p'}"),
	    JSONRPC_INVALID);
	/* method */
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'method':1}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'method':''}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','method':'p','params':1}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'method':'p',"
	    "'result':{}}"), JSONRPC_INVALID);
	/* Names that only start like the members' count for nothing;
	 * members present with null values count as present. */
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','ids':1,'method':'p'}"),
	    JSONRPC_NOTIFICATION);
	ck_assert_int_eq(classify("{'jsonrpcs':'2.0','id':1,'method':'p'}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'methods':'p',"
	    "'results':{}}"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'method':'p',"
	    "'params':null}"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'method':'p',"
	    "'errors':1,'parameters':1}"), JSONRPC_REQUEST);
	/* and those that are only the start of one */
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','i':1,'method':'p'}"),
	    JSONRPC_NOTIFICATION);
	ck_assert_int_eq(classify("{'jsonrp':'2.0','id':1,'method':'p'}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'metho':'p',"
	    "'resul':{}}"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'method':'p',"
	    "'e':1,'p':1,'param':1,'erro':1,'r':1}"), JSONRPC_REQUEST);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'error':null}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'method':'p',"
	    "'result':null}"), JSONRPC_INVALID);
	/* responses */
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','result':{}}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1}"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'result':{},"
	    "'error':{'code':1,'message':'m'}}"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':null,'result':{}}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'error':'x'}"),
	    JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'error':"
	    "{'code':'x','message':'m'}}"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1,'error':"
	    "{'code':1}}"), JSONRPC_INVALID);
	ck_assert_int_eq(classify("{'jsonrpc':'2.0','id':1.0,'result':{}}"),
	    JSONRPC_INVALID);
}
END_TEST

/*
 * Members are found by walking small objects and hashing in larger ones:
 * the same answer as json-c's lookup either way, for names that share
 * their first bytes, a name given twice, and objects on both sides of
 * the walk's bound.
 */
START_TEST(test_member_lookup)
{
	static const char *const names[] = {
		"idx", "id", "i", "ids", "methods", "method", "m", "params",
		"p", "", "jsonrpc", "x9", "x10", "x11", NULL
	};
	json_object	*o, *want, *got;
	char		 name[16];
	int		 n, i, found;

	for (n = 0; n <= 13; n++) {
		o = json_object_new_object();
		for (i = 0; i < n; i++) {
			if (i < 11)
				snprintf(name, sizeof name, "%s", names[i]);
			else
				snprintf(name, sizeof name, "x%d", i - 2);
			json_object_object_add(o, name,
			    json_object_new_int(i));
		}
		/* Given again: json-c keeps the place, takes the value. */
		if (n > 2)
			json_object_object_add(o, names[1],
			    json_object_new_int(100));
		for (i = 0; names[i] != NULL; i++) {
			found = json_object_object_get_ex(o, names[i], &want);
			got = jsonrpc_get(o, names[i], json_type_int);
			ck_assert_msg(found ? got == want : got == NULL,
			    "%d members, %s", n, names[i]);
			ck_assert_int_eq(jsonrpc_member(o, names[i], &got),
			    found);
			ck_assert_ptr_eq(got, want);
			ck_assert_int_eq(jsonrpc_member(o, names[i], NULL),
			    found);
		}
		ck_assert_ptr_eq(jsonrpc_id(o), json_object_object_get_ex(o,
		    "id", &want) ? want : NULL);
		ck_assert_ptr_null(jsonrpc_get(o, "x12", json_type_int));
		json_object_put(o);
	}
	/* A null member is there, with no value. */
	o = J("{'jsonrpc':'2.0','method':'m','id':null}");
	got = o;	/* set to NULL */
	ck_assert_int_eq(jsonrpc_member(o, "id", &got), 1);
	ck_assert_ptr_null(got);
	ck_assert_ptr_null(jsonrpc_id(o));
	ck_assert_ptr_null(jsonrpc_get(o, "id", json_type_null));
	ck_assert_str_eq(jsonrpc_method(o), "m");
	json_object_put(o);
	/* Not an object: nothing. */
	o = J("[{'method':'m'}]");
	ck_assert_int_eq(jsonrpc_member(o, "method", NULL), 0);
	ck_assert_int_eq(jsonrpc_member(NULL, "method", &got), 0);
	ck_assert_ptr_null(got);
	ck_assert_ptr_null(jsonrpc_method(o));
	ck_assert_ptr_null(jsonrpc_params(o));
	json_object_put(o);
}
END_TEST

START_TEST(test_accessors)
{
	json_object	*o, *t;

	o = J("{'jsonrpc':'2.0','id':'7','method':'tools/call','params':"
	    "{'_meta':{'progressToken':'tok'}}}");
	ck_assert_str_eq(jsonrpc_method(o), "tools/call");
	ck_assert_str_eq(json_object_get_string(jsonrpc_id(o)), "7");
	ck_assert(json_object_is_type(jsonrpc_params(o), json_type_object));
	t = jsonrpc_progress_token(o);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(json_object_get_string(t), "tok");
	json_object_put(o);

	o = J("{'jsonrpc':'2.0','id':1,'method':'x','params':"
	    "{'_meta':{'progressToken':0}}}");
	t = jsonrpc_progress_token(o);
	ck_assert(json_object_is_type(t, json_type_int));
	ck_assert_int_eq(json_object_get_int64(t), 0);
	json_object_put(o);

	o = J("{'jsonrpc':'2.0','method':'x','params':{'_meta':{}}}");
	ck_assert_ptr_null(jsonrpc_progress_token(o));
	ck_assert_ptr_null(jsonrpc_id(o));
	json_object_put(o);
	o = J("{'jsonrpc':'2.0','method':'x','params':"
	    "{'_meta':{'progressToken':null}}}");
	ck_assert_ptr_null(jsonrpc_progress_token(o));
	json_object_put(o);
	o = J("{'jsonrpc':'2.0','id':1,'result':{}}");
	ck_assert_ptr_null(jsonrpc_method(o));
	ck_assert_ptr_null(jsonrpc_params(o));
	ck_assert_ptr_null(jsonrpc_progress_token(o));
	json_object_put(o);
	ck_assert_ptr_null(jsonrpc_method(NULL));
	ck_assert_ptr_null(jsonrpc_id(NULL));
}
END_TEST

START_TEST(test_ids)
{
	json_object	*a, *b, *c, *big, *max, *neg, *zero, *s1, *i1;

	s1 = J("'1'");
	i1 = J("1");
	ck_assert(!jsonrpc_id_equal(s1, i1));
	ck_assert(jsonrpc_id_equal(s1, s1));
	a = J("'1'");
	ck_assert(jsonrpc_id_equal(s1, a));
	json_object_put(a);
	a = J("'1\\u00002'");
	b = J("'1\\u00003'");
	ck_assert(!jsonrpc_id_equal(a, b));	/* embedded NUL */
	json_object_put(a);
	json_object_put(b);

	big = J("9007199254740991");		/* 2^53 - 1 */
	max = J("18446744073709551615");	/* uint64 max */
	a = J("9223372036854775807");		/* int64 max */
	neg = J("-5");
	zero = J("0");
	ck_assert(!jsonrpc_id_equal(max, a));
	ck_assert(!jsonrpc_id_equal(zero, NULL));
	ck_assert(jsonrpc_id_equal(NULL, NULL));

	c = jsonrpc_id_copy(big);
	ck_assert(json_object_is_type(c, json_type_int));
	ck_assert(jsonrpc_id_equal(c, big));
	ck_assert_str_eq(json_object_to_json_string(c), "9007199254740991");
	json_object_put(c);
	c = jsonrpc_id_copy(max);
	ck_assert(jsonrpc_id_equal(c, max));
	ck_assert_str_eq(json_object_to_json_string(c), "18446744073709551615");
	json_object_put(c);
	c = jsonrpc_id_copy(a);
	ck_assert(jsonrpc_id_equal(c, a));
	ck_assert(!jsonrpc_id_equal(c, max));
	json_object_put(c);
	c = jsonrpc_id_copy(neg);
	ck_assert(jsonrpc_id_equal(c, neg));
	json_object_put(c);
	c = jsonrpc_id_copy(s1);
	ck_assert(c != s1);
	ck_assert(json_object_is_type(c, json_type_string));
	ck_assert(jsonrpc_id_equal(c, s1));
	json_object_put(c);
	ck_assert_ptr_null(jsonrpc_id_copy(NULL));

	json_object_put(big);
	json_object_put(max);
	json_object_put(a);
	json_object_put(neg);
	json_object_put(zero);
	json_object_put(s1);
	json_object_put(i1);
}
END_TEST

START_TEST(test_id_hash)
{
	static const char *const ids[] = {
		"0", "1", "-5", "9007199254740991", "9223372036854775807",
		"18446744073709551615", "''", "'1'", "'abc'", "'1\\u00002'",
	};
	json_object	*a, *b;
	uint64_t	 h[1000];
	size_t		 i, j;

	/* Equal ids hash equally: from the text and from a copy. */
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		a = J(ids[i]);
		b = J(ids[i]);
		ck_assert_msg(jsonrpc_id_hash(a) == jsonrpc_id_hash(b), "%s",
		    ids[i]);
		json_object_put(b);
		b = jsonrpc_id_copy(a);
		ck_assert_msg(jsonrpc_id_hash(a) == jsonrpc_id_hash(b), "%s",
		    ids[i]);
		json_object_put(b);
		json_object_put(a);
	}

	/* A string's bytes past an embedded NUL count. */
	a = J("'1\\u00002'");
	b = J("'1\\u00003'");
	ck_assert(jsonrpc_id_hash(a) != jsonrpc_id_hash(b));
	json_object_put(b);
	b = J("'1'");
	ck_assert(jsonrpc_id_hash(a) != jsonrpc_id_hash(b));
	json_object_put(b);
	json_object_put(a);

	/* Small integers, as a client counts them, spread: no two alike. */
	for (i = 0; i < sizeof h / sizeof h[0]; i++) {
		a = json_object_new_int64((int64_t)i);
		h[i] = jsonrpc_id_hash(a);
		json_object_put(a);
		/* Not ck_assert: each of those writes to Check's log, half
		 * a million system calls that a loaded machine makes slow
		 * enough to time the test out. */
		for (j = 0; j < i; j++)
			if (h[i] == h[j])
				ck_abort_msg("%zu and %zu hash alike", i, j);
	}
}
END_TEST

START_TEST(test_constructors)
{
	json_object	*id, *o, *v;

	id = J("'abc'");
	o = jsonrpc_error_new(id, JSONRPC_INVALID_REQUEST, "bad",
	    json_object_new_int(3));
	ck_assert_int_eq(jsonrpc_classify(o), JSONRPC_RESPONSE);
	ck_assert(jsonrpc_id_equal(jsonrpc_id(o), id));
	ck_assert(jsonrpc_id(o) != id);
	ck_assert(json_object_object_get_ex(o, "error", &v));
	ck_assert_str_eq(json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN), "{\"code\":-32600,\"message\":\"bad\","
	    "\"data\":3}");
	json_object_put(o);

	o = jsonrpc_error_new(NULL, JSONRPC_PARSE_ERROR, "parse", NULL);
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "{\"jsonrpc\":\"2.0\",\"id\":null,"
	    "\"error\":{\"code\":-32700,\"message\":\"parse\"}}");
	json_object_put(o);

	o = jsonrpc_result_new(id, NULL);
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN),
	    "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"result\":{}}");
	json_object_put(o);
	json_object_put(id);

	o = jsonrpc_request_new(9007199254740991LL, "ping", NULL);
	ck_assert_int_eq(jsonrpc_classify(o), JSONRPC_REQUEST);
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN), "{\"jsonrpc\":\"2.0\","
	    "\"id\":9007199254740991,\"method\":\"ping\"}");
	json_object_put(o);

	o = jsonrpc_notification_new("notifications/x", J("{'a':1}"));
	ck_assert_int_eq(jsonrpc_classify(o), JSONRPC_NOTIFICATION);
	ck_assert_str_eq(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"notifications/x\",\"params\":{\"a\":1}}");
	json_object_put(o);
}
END_TEST

START_TEST(test_copy_shallow)
{
	static const char *const drop[] = { "b", "c", NULL };
	json_object	*o, *n, *v;

	o = J("{'a':{'x':1},'b':2,'c':3,'d':[4]}");
	n = jsonrpc_copy_shallow(o, NULL);
	ck_assert(n != o);
	ck_assert_int_eq(json_object_object_length(n), 4);
	/* The members are shared, not copied. */
	ck_assert(jsonrpc_get(n, "a", json_type_object) ==
	    jsonrpc_get(o, "a", json_type_object));
	json_object_object_del(n, "b");
	ck_assert_int_eq(json_object_object_length(o), 4);
	json_object_put(n);

	n = jsonrpc_copy_shallow(o, drop);
	ck_assert_str_eq(json_object_to_json_string_ext(n,
	    JSON_C_TO_STRING_PLAIN), "{\"a\":{\"x\":1},\"d\":[4]}");
	json_object_put(n);
	json_object_put(o);

	/* Not an object: {}. */
	n = jsonrpc_copy_shallow(NULL, drop);
	ck_assert(json_object_is_type(n, json_type_object));
	ck_assert_int_eq(json_object_object_length(n), 0);
	json_object_put(n);
	o = J("[1]");
	n = jsonrpc_copy_shallow(o, NULL);
	ck_assert_int_eq(json_object_object_length(n), 0);
	json_object_put(n);
	json_object_put(o);

	o = json_object_new_object();
	jsonrpc_add(o, "k", json_object_new_int(1));
	ck_assert_ptr_nonnull(v = jsonrpc_get(o, "k", json_type_int));
	ck_assert_int_eq(json_object_get_int(v), 1);
	json_object_put(o);
}
END_TEST

START_TEST(test_array_has_str)
{
	json_object	*o;

	o = J("['a',1,null,{'b':'b'},['b'],'b','']");
	ck_assert(jsonrpc_array_has_str(o, "a"));
	ck_assert(jsonrpc_array_has_str(o, "b"));
	ck_assert(jsonrpc_array_has_str(o, ""));
	/* Only string members count, and only whole. */
	ck_assert(!jsonrpc_array_has_str(o, "1"));
	ck_assert(!jsonrpc_array_has_str(o, "null"));
	ck_assert(!jsonrpc_array_has_str(o, "A"));
	ck_assert(!jsonrpc_array_has_str(o, "ab"));
	json_object_put(o);

	/* Not an array (or NULL, as jsonrpc_get gives): 0. */
	ck_assert(!jsonrpc_array_has_str(NULL, "a"));
	o = J("{'a':'a'}");
	ck_assert(!jsonrpc_array_has_str(o, "a"));
	json_object_put(o);
	o = J("'a'");
	ck_assert(!jsonrpc_array_has_str(o, "a"));
	json_object_put(o);
	o = J("[]");
	ck_assert(!jsonrpc_array_has_str(o, "a"));
	json_object_put(o);
}
END_TEST

START_TEST(test_versions)
{
	json_object	*a;

	ck_assert(jsonrpc_version_supported(MCP_VERSION_2024_11_05));
	ck_assert(jsonrpc_version_supported(MCP_VERSION_2025_03_26));
	ck_assert(jsonrpc_version_supported(MCP_VERSION_2025_06_18));
	ck_assert(jsonrpc_version_supported(MCP_VERSION_2025_11_25));
	ck_assert(!jsonrpc_version_supported(MCP_VERSION_2026_07_28));
	ck_assert(!jsonrpc_version_supported("2025-01-01"));
	ck_assert(!jsonrpc_version_supported(""));
	ck_assert(!jsonrpc_version_supported(NULL));

	ck_assert_int_lt(jsonrpc_version_cmp(MCP_VERSION_2024_11_05,
	    MCP_VERSION_2025_03_26), 0);
	ck_assert_int_gt(jsonrpc_version_cmp(MCP_VERSION_2026_07_28,
	    MCP_VERSION_2025_11_25), 0);
	ck_assert_int_eq(jsonrpc_version_cmp(MCP_VERSION_2025_06_18,
	    "2025-06-18"), 0);
	ck_assert_int_lt(jsonrpc_version_cmp(NULL, MCP_VERSION_2024_11_05), 0);
	ck_assert_int_eq(jsonrpc_version_cmp(NULL, NULL), 0);

	a = jsonrpc_versions_array();
	ck_assert_str_eq(json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN), "[\"2024-11-05\",\"2025-03-26\","
	    "\"2025-06-18\",\"2025-11-25\"]");
	json_object_put(a);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("jsonrpc");
	tc = tcase_create("core");
	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_member_lookup);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_id_hash);
	tcase_add_test(tc, test_constructors);
	tcase_add_test(tc, test_copy_shallow);
	tcase_add_test(tc, test_array_has_str);
	tcase_add_test(tc, test_versions);
	suite_add_tcase(s, tc);
	return s;
}
