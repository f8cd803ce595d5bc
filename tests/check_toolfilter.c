/* SPDX-License-Identifier: ISC */
/*
 * check_toolfilter.c: --allow-tool and --deny-tool (toolfilter.c): globs,
 * deny over allow, a tools/list result filtered, a tools/call refused.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "checktest.h"
#include "testjson.h"
#include "toolfilter.h"

static char *allow_fs[] = { (char *)"read_*", (char *)"list_?ir", NULL };
static char *deny_secret[] = { (char *)"*secret*", NULL };

START_TEST(test_allows)
{
	struct toolfilter	none = { NULL, 0, NULL, 0 };
	struct toolfilter	allow = { allow_fs, 2, NULL, 0 };
	struct toolfilter	deny = { NULL, 0, deny_secret, 1 };
	struct toolfilter	both = { allow_fs, 2, deny_secret, 1 };

	ck_assert_int_eq(toolfilter_active(NULL), 0);
	ck_assert_int_eq(toolfilter_active(&none), 0);
	ck_assert_int_eq(toolfilter_allows(NULL, "anything"), 1);
	ck_assert_int_eq(toolfilter_allows(&none, "anything"), 1);

	ck_assert_int_eq(toolfilter_allows(&allow, "read_file"), 1);
	ck_assert_int_eq(toolfilter_allows(&allow, "list_dir"), 1);
	ck_assert_int_eq(toolfilter_allows(&allow, "list_dirs"), 0);
	ck_assert_int_eq(toolfilter_allows(&allow, "write_file"), 0);
	/* The whole name: a glob is no substring search. */
	ck_assert_int_eq(toolfilter_allows(&allow, "xread_file"), 0);

	ck_assert_int_eq(toolfilter_allows(&deny, "read_file"), 1);
	ck_assert_int_eq(toolfilter_allows(&deny, "get_secret_key"), 0);

	/* Deny wins over allow. */
	ck_assert_int_eq(toolfilter_allows(&both, "read_secret"), 0);
	ck_assert_int_eq(toolfilter_allows(&both, "read_notes"), 1);
	/* '/' is a letter like any other in a tool name. */
	ck_assert_int_eq(toolfilter_allows(&allow, "read_a/b"), 1);
}
END_TEST

START_TEST(test_list)
{
	struct toolfilter	 both = { allow_fs, 2, deny_secret, 1 };
	struct toolfilter	 none = { NULL, 0, NULL, 0 };
	json_object		*r;

	r = J("{'tools': [{'name': 'read_file'}, {'name': 'write_file'}, "
	    "{'name': 'read_secret'}, {'nom': 'x'}, {'name': 7}, "
	    "{'name': 'list_dir', 'description': 'd'}], 'nextCursor': 'c'}");
	ck_assert_uint_eq(toolfilter_list(&both, r), 4);
	ck_assert_str_eq(S(r), "{\"tools\":[{\"name\":\"read_file\"},"
	    "{\"name\":\"list_dir\",\"description\":\"d\"}],"
	    "\"nextCursor\":\"c\"}");
	json_object_put(r);

	/* No filter: nothing changes, not even an entry without a name. */
	r = J("{'tools': [{'nom': 'x'}]}");
	ck_assert_uint_eq(toolfilter_list(&none, r), 0);
	ck_assert_uint_eq(toolfilter_list(NULL, r), 0);
	ck_assert_str_eq(S(r), "{\"tools\":[{\"nom\":\"x\"}]}");
	json_object_put(r);

	/* Not a list result: left alone. */
	r = J("{'tools': 'x'}");
	ck_assert_uint_eq(toolfilter_list(&both, r), 0);
	json_object_put(r);
	ck_assert_uint_eq(toolfilter_list(&both, NULL), 0);
}
END_TEST

START_TEST(test_refused_call)
{
	struct toolfilter	 deny = { NULL, 0, deny_secret, 1 };
	json_object		*m;

	m = J("{'jsonrpc': '2.0', 'id': 1, 'method': 'tools/call', "
	    "'params': {'name': 'get_secret'}}");
	ck_assert_str_eq(toolfilter_refused_call(&deny, m), "get_secret");
	ck_assert_ptr_null(toolfilter_refused_call(NULL, m));
	json_object_put(m);

	m = J("{'jsonrpc': '2.0', 'id': 1, 'method': 'tools/call', "
	    "'params': {'name': 'ok'}}");
	ck_assert_ptr_null(toolfilter_refused_call(&deny, m));
	json_object_put(m);

	/* Another method naming a tool is no call. */
	m = J("{'jsonrpc': '2.0', 'id': 1, 'method': 'prompts/get', "
	    "'params': {'name': 'secret'}}");
	ck_assert_ptr_null(toolfilter_refused_call(&deny, m));
	json_object_put(m);

	/* A name the filter cannot judge is refused while it is on: none,
	 * not a string, or one a NUL would cut short for fnmatch. */
	m = J("{'jsonrpc': '2.0', 'id': 1, 'method': 'tools/call', "
	    "'params': {}}");
	ck_assert_str_eq(toolfilter_refused_call(&deny, m), "");
	json_object_put(m);
	m = J("{'jsonrpc': '2.0', 'id': 1, 'method': 'tools/call', "
	    "'params': {'name': 'ok\\u0000secret'}}");
	ck_assert_str_eq(toolfilter_refused_call(&deny, m), "");
	json_object_put(m);
}
END_TEST

START_TEST(test_pattern_check)
{
	char	*err = NULL;
	char	 longp[TOOLFILTER_PATTERN_MAX + 2];

	ck_assert_int_eq(toolfilter_pattern_check("fs_*", &err), 0);
	ck_assert_int_eq(toolfilter_pattern_check("", &err), -1);
	ck_assert_str_eq(err, "a tool pattern is 1 to 256 characters");
	free(err);
	ck_assert_int_eq(toolfilter_pattern_check("a\tb", &err), -1);
	ck_assert_str_eq(err, "a tool pattern holds no control characters");
	free(err);
	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = '\0';
	ck_assert_int_eq(toolfilter_pattern_check(longp, &err), -1);
	free(err);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("toolfilter");
	TCase	*tc = tcase_create("toolfilter");

	tcase_add_test(tc, test_allows);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_refused_call);
	tcase_add_test(tc, test_pattern_check);
	suite_add_tcase(s, tc);
	return s;
}
