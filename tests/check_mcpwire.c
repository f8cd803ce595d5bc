/* SPDX-License-Identifier: ISC */
/*
 * check_mcpwire.c: the MCP wire vocabulary (mcpwire.c): log levels, RFC 9110
 * tokens, header values as plain text or =?base64?...?=, x-mcp-header
 * checks, the Mcp-Param-* values of a tools/call, and a tools/list result
 * filtered by them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "checktest.h"
#include "log.h"
#include "mcpwire.h"
#include "testjson.h"

START_TEST(test_header_value)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "tools/call", "tools/call" },
		{ "get weather", "get weather" },
		{ "", "" },
		{ " padded", "=?base64?IHBhZGRlZA==?=" },
		{ "caf\xc3\xa9", "=?base64?Y2Fmw6k=?=" },
		{ "a\r\nb", "=?base64?YQ0KYg==?=" },
		/* the specification's own example: a plain value that looks
		 * like the sentinel */
		{ "=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=" },
	};
	size_t	i, len;
	char	*v;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = mcpwire_header_value(cases[i].in);
		ck_assert_str_eq(v, cases[i].out);
		free(v);
		/* What a client encodes, a server decodes back. */
		v = mcpwire_header_decode(cases[i].out, &len);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(len, strlen(cases[i].in));
		ck_assert_str_eq(v, cases[i].in);
		free(v);
	}

	/* Decoding, as a server reads Mcp-Name. */
	v = mcpwire_header_decode("  plain value \t", &len);
	ck_assert_str_eq(v, "plain value");
	ck_assert_uint_eq(len, 11);
	free(v);
	v = mcpwire_header_decode("=?base64?SGVsbG8sIOS4lueVjA==?=", &len);
	ck_assert_str_eq(v, "Hello, \xe4\xb8\x96\xe7\x95\x8c");
	free(v);
	v = mcpwire_header_decode("=?base64?IHBhZGRlZCA=?=", &len);
	ck_assert_str_eq(v, " padded ");
	free(v);
	v = mcpwire_header_decode("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=", &len);
	ck_assert_str_eq(v, "=?base64?literal?=");
	free(v);
	/* Without both markers it is literal. */
	v = mcpwire_header_decode("=?base64?SGVsbG8=", &len);
	ck_assert_str_eq(v, "=?base64?SGVsbG8=");
	free(v);
	v = mcpwire_header_decode("SGVsbG8=?=", &len);
	ck_assert_str_eq(v, "SGVsbG8=?=");
	free(v);
	/* NULs survive decoding; the length tells. */
	v = mcpwire_header_decode("=?base64?YQBi?=", &len);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(v, "a\0b", 3) == 0);
	free(v);
	/* Broken: padding, alphabet, stray bits, control and 8-bit bytes. */
	ck_assert_ptr_null(mcpwire_header_decode("=?base64?SGVsbG8?=", &len));
	ck_assert_ptr_null(mcpwire_header_decode("=?base64?SGVs!!!bG8=?=",
	    &len));
	ck_assert_ptr_null(mcpwire_header_decode("=?base64?SGVsbG9=?=", &len));
	ck_assert_ptr_null(mcpwire_header_decode("=?base64?SGVs=bG8=?=", &len));
	ck_assert_ptr_null(mcpwire_header_decode("a\rb", &len));
	ck_assert_ptr_null(mcpwire_header_decode("caf\xc3\xa9", &len));
}
END_TEST

START_TEST(test_token)
{
	const char	*sep = "!#$%&'*+-.^_`|~";
	int		 c, want;

	/* RFC 9110 5.6.2: ASCII letters, digits and sep, nothing else. */
	for (c = 0; c < 256; c++) {
		want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') ||
		    (c != 0 && strchr(sep, c) != NULL);
		ck_assert_msg(mcpwire_tchar(c) == want, "tchar %d", c);
	}
	ck_assert(!mcpwire_tchar(-1));
	ck_assert(mcpwire_token("x-Foo_1"));
	ck_assert(mcpwire_token(sep));
	ck_assert(!mcpwire_token(""));
	ck_assert(!mcpwire_token("a b"));
	ck_assert(!mcpwire_token("a:b"));
	ck_assert(!mcpwire_token("a\tb"));
	ck_assert(!mcpwire_token("\"a\""));
	ck_assert(!mcpwire_token("caf\xc3\xa9"));
	ck_assert(!mcpwire_token("a\x7f"));
}
END_TEST

START_TEST(test_levels)
{
	static const char *const names[MCPWIRE_NLEVELS] = {
		"debug", "info", "notice", "warning", "error", "critical",
		"alert", "emergency",
	};
	int	i;

	for (i = 0; i < MCPWIRE_NLEVELS; i++) {
		ck_assert_int_eq(mcpwire_level(names[i]), i);
		ck_assert_str_eq(mcpwire_level_name(i), names[i]);
	}
	/* The spellings of RFC 5424 only, exactly. */
	ck_assert_int_eq(mcpwire_level(NULL), -1);
	ck_assert_int_eq(mcpwire_level(""), -1);
	ck_assert_int_eq(mcpwire_level("warn"), -1);
	ck_assert_int_eq(mcpwire_level("WARNING"), -1);
	ck_assert_int_eq(mcpwire_level("debug "), -1);
	ck_assert_ptr_null(mcpwire_level_name(-1));
	ck_assert_ptr_null(mcpwire_level_name(MCPWIRE_NLEVELS));
}
END_TEST

/* The reason a tool is refused, or NULL if it is accepted. */
static char *
refused(const char *props)
{
	json_object	*tool, *spec;
	char		*err;

	tool = J("{'name':'t','inputSchema':{'type':'object',"
	    "'properties':%s}}", props);
	if (mcpwire_tool_headers(tool, &spec, &err) == 0) {
		json_object_put(spec);
		err = NULL;
	}
	json_object_put(tool);
	return err;
}

START_TEST(test_tool_headers)
{
	static const char *bad[] = {
		"{'v':{'type':'string','x-mcp-header':''}}",
		"{'v':{'type':'object','x-mcp-header':'Data'}}",
		"{'v':{'type':'array','items':{'type':'string'},"
		    "'x-mcp-header':'Items'}}",
		"{'v':{'type':'null','x-mcp-header':'Nil'}}",
		"{'v':{'type':'number','x-mcp-header':'Score'}}",
		"{'v':{'x-mcp-header':'NoType'}}",
		"{'a':{'type':'string','x-mcp-header':'Region'},"
		    "'b':{'type':'string','x-mcp-header':'Region'}}",
		"{'a':{'type':'string','x-mcp-header':'MyField'},"
		    "'b':{'type':'string','x-mcp-header':'myfield'}}",
		"{'v':{'type':'string','x-mcp-header':'My Region'}}",
		"{'v':{'type':'string','x-mcp-header':'Region:Primary'}}",
		"{'v':{'type':'string','x-mcp-header':'R\\u00e9gion'}}",
		"{'v':{'type':'string','x-mcp-header':'Region\\t1'}}",
		"{'v':{'type':'string','x-mcp-header':'A\\r\\nB'}}",
		"{'v':{'type':'string','x-mcp-header':7}}",
		/* Not statically reachable. */
		"{'v':{'type':'array','items':{'type':'object','properties':"
		    "{'w':{'type':'string','x-mcp-header':'W'}}}}}",
		"{'v':{'oneOf':[{'type':'string','x-mcp-header':'W'}]}}",
		"{'v':{'$ref':'#/$defs/x','x-mcp-header':'W'}}",
	};
	json_object	*tool, *spec, *args, *h, *result, *table, *dropped;
	char		*err;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = refused(bad[i]);
		ck_assert_msg(err != NULL, "accepted %s", bad[i]);
		free(err);
	}
	/* Fine: nested through properties, nullable, names in $defs
	 * without annotations, data keywords. */
	ck_assert_ptr_null(refused("{'r':{'type':'string','x-mcp-header':"
	    "'Region'},'n':{'type':'object','properties':{'deep':{'type':"
	    "['integer','null'],'x-mcp-header':'Deep'}}},'q':{'type':"
	    "'string','default':{'x-mcp-header':'not a schema'}}}"));
	/* A root annotation and one under $defs are misplaced. */
	tool = J("{'name':'t','inputSchema':{'type':'string',"
	    "'x-mcp-header':'Root'}}");
	ck_assert_int_eq(mcpwire_tool_headers(tool, &spec, &err), -1);
	free(err);
	json_object_put(tool);
	tool = J("{'name':'t','inputSchema':{'type':'object','$defs':{'d':{"
	    "'type':'string','x-mcp-header':'D'}}}}");
	ck_assert_int_eq(mcpwire_tool_headers(tool, &spec, &err), -1);
	free(err);
	json_object_put(tool);

	/* Values: string as is or base64, integer, boolean, absent and
	 * null omitted, nested path, empty string kept. */
	tool = J("{'name':'t','inputSchema':{'type':'object','properties':{"
	    "'region':{'type':'string','x-mcp-header':'Region'},"
	    "'prio':{'type':'integer','x-mcp-header':'Priority'},"
	    "'flag':{'type':'boolean','x-mcp-header':'Flag'},"
	    "'off':{'type':'boolean','x-mcp-header':'Off'},"
	    "'gone':{'type':'string','x-mcp-header':'Gone'},"
	    "'nil':{'type':'string','x-mcp-header':'Nil'},"
	    "'empty':{'type':'string','x-mcp-header':'Empty'},"
	    "'uni':{'type':'string','x-mcp-header':'Uni'},"
	    "'pad':{'type':'string','x-mcp-header':'Pad'},"
	    "'f':{'type':'integer','x-mcp-header':'F'},"
	    "'o':{'type':'object','properties':{'in':{'type':'string',"
	    "'x-mcp-header':'In'}}},"
	    "'query':{'type':'string'}}}}");
	ck_assert_int_eq(mcpwire_tool_headers(tool, &spec, &err), 0);
	args = J("{'region':'us-west1','prio':-42,'flag':true,'off':false,"
	    "'nil':null,'empty':'','uni':'Hello, \\u4e16\\u754c','pad':' p ',"
	    "'f':42.0,'o':{'in':'=?base64?x?='},'query':'SELECT 1'}");
	h = mcpwire_param_headers(spec, args);
	ck_assert_str_eq(S(h), "{\"Region\":\"us-west1\",\"Priority\":\"-42\","
	    "\"Flag\":\"true\",\"Off\":\"false\",\"Empty\":\"\","
	    "\"Uni\":\"=?base64?SGVsbG8sIOS4lueVjA==?=\","
	    "\"Pad\":\"=?base64?IHAg?=\",\"F\":\"42\","
	    "\"In\":\"=?base64?PT9iYXNlNjQ/eD89?=\"}");
	json_object_put(h);
	json_object_put(args);
	/* Doubles out of any integer's range go as JSON has them. */
	args = J("{'f':1e300}");
	h = mcpwire_param_headers(spec, args);
	ck_assert_str_eq(PS(h, "F"), "1e300");
	json_object_put(h);
	json_object_put(args);
	args = J("{'f':-1.5e19}");
	h = mcpwire_param_headers(spec, args);
	ck_assert_str_eq(PS(h, "F"), "-1.5e19");
	json_object_put(h);
	json_object_put(args);
	/* Integers past int64 keep their digits (the body has them). */
	args = J("{'f':18446744073709551615}");
	h = mcpwire_param_headers(spec, args);
	ck_assert_str_eq(PS(h, "F"), "18446744073709551615");
	json_object_put(h);
	json_object_put(args);
	json_object_put(spec);
	json_object_put(tool);

	/* tools/list: the invalid tool goes, the others stay in order and
	 * their annotations are remembered. */
	result = J("{'resultType':'complete','tools':["
	    "{'name':'ok','inputSchema':{'type':'object','properties':{"
	    "'r':{'type':'string','x-mcp-header':'Region'}}}},"
	    "{'name':'bad','inputSchema':{'type':'object','properties':{"
	    "'r':{'type':'number','x-mcp-header':'Score'}}}},"
	    "{'name':'plain','inputSchema':{'type':'object'}}]}");
	table = json_object_new_object();
	dropped = mcpwire_filter_tools(result, table);
	ck_assert_int_eq(json_object_array_length(dropped), 1);
	ck_assert_ptr_nonnull(strstr(json_object_get_string(
	    json_object_array_get_idx(dropped, 0)), "bad: "));
	ck_assert_int_eq(json_object_array_length(P(result, "tools")), 2);
	ck_assert_str_eq(PS(json_object_array_get_idx(P(result, "tools"), 1),
	    "name"), "plain");
	ck_assert_str_eq(S(P(table, "ok")),
	    "[{\"name\":\"Region\",\"path\":[\"r\"]}]");
	ck_assert_str_eq(S(P(table, "plain")), "[]");
	ck_assert_ptr_null(P(table, "bad"));
	json_object_put(dropped);
	json_object_put(result);
	/* A tool whose annotation became invalid is forgotten: no stale
	 * Mcp-Param-* for it. */
	result = J("{'tools':[{'name':'ok','inputSchema':{'type':'object',"
	    "'x-mcp-header':'Root'}}]}");
	dropped = mcpwire_filter_tools(result, table);
	ck_assert_int_eq(json_object_array_length(dropped), 1);
	ck_assert_ptr_null(P(table, "ok"));
	ck_assert_ptr_nonnull(P(table, "plain"));
	json_object_put(dropped);
	json_object_put(table);
	json_object_put(result);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("mcpwire");
	tc = tcase_create("pure");
	tcase_add_test(tc, test_header_value);
	tcase_add_test(tc, test_token);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_tool_headers);
	suite_add_tcase(s, tc);
	return s;
}
