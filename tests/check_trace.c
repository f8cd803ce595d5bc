/* SPDX-License-Identifier: ISC */
/*
 * check_trace.c: the message trace's lines (trace.c): the fields of each
 * kind of message, the latency of an answer and its table's limits, bodies
 * cut at their limit, and secrets that never show.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "checktest.h"
#include "jsonparse.h"
#include "rawjson.h"
#include "trace.h"

static char	line[TRACE_LINE_MAX];

/* The line of the message text in dir at now. */
static const char *
fmt(struct trace *t, enum trace_dir dir, const char *label, const char *text,
    uint64_t now)
{
	json_object	*msg;
	size_t		 n;

	msg = jsonparse_strict(text, strlen(text), NULL);
	ck_assert_ptr_nonnull(msg);
	n = trace_format(t, dir, label, msg, now, line, sizeof line);
	ck_assert_uint_eq(n, strlen(line));
	json_object_put(msg);
	return line;
}

START_TEST(test_trace_kinds)
{
	struct trace	*t = trace_new(TRACE_ON);

	ck_assert_str_eq(fmt(t, TRACE_CLIENT_IN, "0123456789abcdef",
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"echo\"}}", 1000),
	    "01234567 client>bridge request tools/call id=3 "
	    "71B");
	ck_assert_str_eq(fmt(t, TRACE_CHILD_OUT, NULL,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
	    1000), "- bridge>child notification notifications/initialized 54B");
	ck_assert_str_eq(fmt(t, TRACE_CHILD_IN, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"a b\",\"error\":{\"code\":-32601,"
	    "\"message\":\"no\"}}", 1000),
	    "- child>bridge error id=\"a b\" 67B code=-32601");
	ck_assert_str_eq(fmt(t, TRACE_SERVER_IN, NULL, "[1,2]", 1000),
	    "- server>bridge batch 5B");
	ck_assert_str_eq(fmt(t, TRACE_STDIN, NULL, "{\"x\":1}", 1000),
	    "- stdin>bridge invalid 7B");
	trace_free(t);
}
END_TEST

/* A --children copy is named in FROM>TO, and its answer is paired with
 * the request sent to it: the copies number their requests alike. */
START_TEST(test_trace_copy)
{
	struct trace	*t = trace_new(TRACE_ON);
	json_object	*req, *ans;

	req = jsonparse_strict("{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"method\":\"ping\"}", 40, NULL);
	ans = jsonparse_strict("{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"result\":{}}", 36, NULL);
	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_nonnull(ans);
	trace_format_copy(t, TRACE_CHILD_OUT, 2, NULL, req, 1000, line,
	    sizeof line);
	ck_assert_str_eq(line, "- bridge>child2 request ping id=1 40B");
	trace_format_copy(t, TRACE_CHILD_OUT, 1, NULL, req, 1005, line,
	    sizeof line);
	ck_assert_str_eq(line, "- bridge>child1 request ping id=1 40B");
	/* Copy 1 answers first: its own request's latency, not copy 2's. */
	trace_format_copy(t, TRACE_CHILD_IN, 1, NULL, ans, 1007, line,
	    sizeof line);
	ck_assert_str_eq(line, "- child1>bridge response ping id=1 36B 2ms");
	trace_format_copy(t, TRACE_CHILD_IN, 2, NULL, ans, 1010, line,
	    sizeof line);
	ck_assert_str_eq(line, "- child2>bridge response ping id=1 36B 10ms");
	/* No request of the unnamed child's: no latency. */
	ck_assert_str_eq(fmt(t, TRACE_CHILD_IN, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", 1011),
	    "- child>bridge response id=1 36B");
	/* Copy 0, or another direction: as without a pool. */
	trace_format_copy(t, TRACE_CLIENT_IN, 3, NULL, req, 1012, line,
	    sizeof line);
	ck_assert_str_eq(line, "- client>bridge request ping id=1 40B");
	json_object_put(req);
	json_object_put(ans);
	trace_free(t);
}
END_TEST

START_TEST(test_trace_latency)
{
	struct trace	*t = trace_new(TRACE_ON);
	const char	*req = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}";
	const char	*ans = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}";

	fmt(t, TRACE_CLIENT_IN, "aaaaaaaa", req, 1000);
	fmt(t, TRACE_CLIENT_IN, "bbbbbbbb", req, 1100);
	/* The same id to the child: its own pair of directions. */
	fmt(t, TRACE_CHILD_OUT, NULL, req, 1200);
	ck_assert_str_eq(fmt(t, TRACE_CHILD_IN, NULL, ans, 1250),
	    "- child>bridge response ping id=7 36B 50ms");
	ck_assert_str_eq(fmt(t, TRACE_CLIENT_OUT, "bbbbbbbb", ans, 1300),
	    "bbbbbbbb bridge>client response ping id=7 36B 200ms");
	ck_assert_str_eq(fmt(t, TRACE_CLIENT_OUT, "aaaaaaaa", ans, 1400),
	    "aaaaaaaa bridge>client response ping id=7 36B 400ms");
	/* Answered once: a second answer has no request. */
	ck_assert_str_eq(fmt(t, TRACE_CLIENT_OUT, "aaaaaaaa", ans, 1500),
	    "aaaaaaaa bridge>client response id=7 36B");
	/* "7" is not 7; the direction must be the opposite one. */
	fmt(t, TRACE_STDIN, NULL, req, 2000);
	ck_assert_str_eq(fmt(t, TRACE_STDOUT, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"result\":{}}", 2001),
	    "- bridge>stdout response id=\"7\" 38B");
	ck_assert_str_eq(fmt(t, TRACE_SERVER_IN, NULL, ans, 2002),
	    "- server>bridge response id=7 36B");
	ck_assert_str_eq(fmt(t, TRACE_STDOUT, NULL, ans, 2003),
	    "- bridge>stdout response ping id=7 36B 3ms");
	trace_free(t);
}
END_TEST

START_TEST(test_trace_pending_bounded)
{
	struct trace	*t = trace_new(TRACE_ON);
	char		 req[128];
	const char	*ans0 = "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}";
	const char	*ans1 = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
	const char	*ansl = "{\"jsonrpc\":\"2.0\",\"id\":1024,\"result\":{}}";
	int		 i;

	/* One more than the table holds: the oldest is forgotten. */
	for (i = 0; i <= TRACE_PENDING_MAX; i++) {
		snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%d,"
		    "\"method\":\"ping\"}", i);
		fmt(t, TRACE_STDIN, NULL, req, 1000 + i);
	}
	ck_assert_str_eq(fmt(t, TRACE_STDOUT, NULL, ans0, 5000),
	    "- bridge>stdout response id=0 36B");
	ck_assert_str_eq(fmt(t, TRACE_STDOUT, NULL, ans1, 5000),
	    "- bridge>stdout response ping id=1 36B 3999ms");
	/* Expired: no latency. */
	ck_assert_str_eq(fmt(t, TRACE_STDOUT, NULL, ansl,
	    1000 + TRACE_PENDING_MAX + TRACE_PENDING_TTL_MS + 1),
	    "- bridge>stdout response id=1024 39B");
	trace_free(t);
}
END_TEST

START_TEST(test_trace_body)
{
	struct trace	*t = trace_new(TRACE_BODY);
	char		 big[TRACE_BODY_MAX * 2];
	const char	*l;

	ck_assert_str_eq(fmt(t, TRACE_STDIN, NULL,
	    "{\"jsonrpc\":\"2.0\",\"method\":\"a/b\"}", 1),
	    "- stdin>bridge notification a/b 32B "
	    "{\"jsonrpc\":\"2.0\",\"method\":\"a/b\"}");
	snprintf(big, sizeof big, "{\"jsonrpc\":\"2.0\",\"method\":\"a/b\","
	    "\"params\":{\"s\":\"%0*d\"}}", TRACE_BODY_MAX, 0);
	l = fmt(t, TRACE_STDIN, NULL, big, 1);
	ck_assert_ptr_nonnull(strstr(l, " 4146B {\"jsonrpc\""));
	ck_assert_uint_eq(strlen(strstr(l, " {\"jsonrpc\"") + 1),
	    TRACE_BODY_MAX + 3);
	ck_assert_str_eq(l + strlen(l) - 3, "...");
	/* The body's text is cut only between characters. */
	memset(big, 0, sizeof big);
	strcpy(big, "{\"m\":\"");
	while (strlen(big) < TRACE_BODY_MAX + 8)
		strcat(big, "\xc3\xa9");
	strcat(big, "\"}");
	l = fmt(t, TRACE_STDIN, NULL, big, 1);
	ck_assert_int_ne((unsigned char)l[strlen(l) - 4] & 0xc0, 0xc0);
	trace_free(t);

	/* A secret the cut falls in shows not even in part. */
	t = trace_new(TRACE_BODY);
	trace_secret(t, "SECRETSECRET");
	snprintf(big, sizeof big, "{\"jsonrpc\":\"2.0\",\"method\":\"a/b\","
	    "\"params\":{\"s\":\"%0*dSECRETSECRET\"}}",
	    TRACE_BODY_MAX - 5 - 47, 0);
	l = fmt(t, TRACE_STDIN, NULL, big, 1);
	ck_assert_ptr_null(strstr(l, "SECRE"));
	ck_assert_ptr_nonnull(strstr(l, "0[reda..."));
	trace_free(t);
}
END_TEST

START_TEST(test_trace_secrets)
{
	struct trace	*t = trace_new(TRACE_BODY);
	const char	*l;

	trace_secret(t, "s3cr/et\"value");
	trace_secret(t, "Bearer tok-123456");
	trace_secret(t, "1");	/* too short to look for */
	l = fmt(t, TRACE_CHILD_IN, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":"
	    "\"text\",\"text\":\"env: s3cr/et\\\"value, auth: Bearer "
	    "tok-123456\"}]}}", 1);
	ck_assert_ptr_null(strstr(l, "s3cr"));
	ck_assert_ptr_null(strstr(l, "tok-123456"));
	ck_assert_ptr_nonnull(strstr(l, "env: [redacted], auth: [redacted]"));
	ck_assert_ptr_nonnull(strstr(l, "id=1 "));
	/* Members named like secrets, at any depth; others alone. */
	l = fmt(t, TRACE_STDIN, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"login\",\"arguments\":{\"Password\":\"pw1\","
	    "\"api_key\":{\"k\":\"v\"},\"access-token\":\"tk\","
	    "\"maxTokens\":5}},\"_meta\":{\"progressToken\":9}}", 1);
	ck_assert_ptr_null(strstr(l, "pw1"));
	ck_assert_ptr_null(strstr(l, "\"tk\""));
	ck_assert_ptr_null(strstr(l, "\"k\""));
	ck_assert_ptr_nonnull(strstr(l, "\"Password\":\"[redacted]\""));
	ck_assert_ptr_nonnull(strstr(l, "\"api_key\":\"[redacted]\""));
	ck_assert_ptr_nonnull(strstr(l, "\"maxTokens\":5"));
	ck_assert_ptr_nonnull(strstr(l, "\"progressToken\":9"));
	trace_free(t);

	/* Without bodies, nothing of the message's values shows. */
	t = trace_new(TRACE_ON);
	trace_secret(t, "s3cret-value");
	l = fmt(t, TRACE_CHILD_IN, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"t\":\"s3cret-value\"}}",
	    1);
	ck_assert_str_eq(l, "- child>bridge response id=1 54B");
	trace_free(t);
}
END_TEST

/*
 * A client's tools/call arguments held raw (rawjson_request) show as the
 * tree would: its members named like secrets and its secrets, however the
 * client spelt them, redacted; the same line, its size included.
 */
START_TEST(test_trace_raw)
{
	static const char *const bodies[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
		    "\"params\":{\"name\":\"login\",\"arguments\":{ \"Password\""
		    " : \"pw1\" ,\t\"q\":\"s3cr\\u002fet\\\"valu\\u0065\" }}}",
		"{\"params\":{\"arguments\":{\"a\":[{\"token\":\"tk\"}],"
		    "\"n\":1.5},\"name\":\"x\"},\"method\":\"tools/call\","
		    "\"jsonrpc\":\"2.0\",\"id\":3}",
	};
	struct trace	*t;
	json_object	*raw, *full;
	char		 want[TRACE_LINE_MAX];
	size_t		 i, n;

	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		t = trace_new(TRACE_BODY);
		trace_secret(t, "s3cr/et\"value");
		full = jsonparse_strict(bodies[i], strlen(bodies[i]), NULL);
		raw = rawjson_request(bodies[i], strlen(bodies[i]), NULL);
		ck_assert_ptr_nonnull(full);
		ck_assert_ptr_nonnull(raw);
		ck_assert(rawjson_is(json_object_object_get(
		    json_object_object_get(raw, "params"), "arguments")));
		n = trace_format(t, TRACE_CLIENT_IN, NULL, full, 1, want,
		    sizeof want);
		ck_assert_uint_eq(n, strlen(want));
		trace_free(t);
		t = trace_new(TRACE_BODY);
		trace_secret(t, "s3cr/et\"value");
		n = trace_format(t, TRACE_CLIENT_IN, NULL, raw, 1, line,
		    sizeof line);
		ck_assert_uint_eq(n, strlen(line));
		ck_assert_str_eq(line, want);
		ck_assert_ptr_null(strstr(line, "pw1"));
		ck_assert_ptr_null(strstr(line, "s3cr"));
		ck_assert_ptr_null(strstr(line, "\"tk\""));
		ck_assert_ptr_nonnull(strstr(line, "[redacted]"));
		/* The message itself is left as it was. */
		ck_assert(rawjson_is(json_object_object_get(
		    json_object_object_get(raw, "params"), "arguments")));
		json_object_put(raw);
		json_object_put(full);
		trace_free(t);
	}
}
END_TEST

/* Requests' own bearer tokens: redacted like secrets, as written and as
 * JSON escapes them; the least recently used goes beyond the bound. */
START_TEST(test_trace_tokens)
{
	struct trace	*t = trace_new(TRACE_BODY);
	char		 tok[32], msg[256];
	const char	*l;
	int		 i;

	trace_token(t, "eyJ.opaque/tok.x", 16);
	trace_token(t, "abc", 3);	/* too short to look for */
	l = fmt(t, TRACE_CHILD_IN, NULL,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"t\":"
	    "\"eyJ.opaque/tok.x abc\"}}", 1);
	ck_assert_ptr_null(strstr(l, "opaque"));
	ck_assert_ptr_nonnull(strstr(l, "\"[redacted] abc\""));
	/* Handed over again, it is the last used: kept while the bound's
	 * worth of others come after the first one. */
	for (i = 0; i < TRACE_TOKENS_MAX; i++) {
		snprintf(tok, sizeof tok, "token-%05d", i);
		trace_token(t, tok, strlen(tok));
		if (i == TRACE_TOKENS_MAX / 2)
			trace_token(t, "eyJ.opaque/tok.x", 16);
	}
	snprintf(msg, sizeof msg, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":"
	    "{\"t\":\"eyJ.opaque/tok.x token-00000 token-%05d\"}}",
	    TRACE_TOKENS_MAX - 1);
	l = fmt(t, TRACE_CHILD_IN, NULL, msg, 1);
	ck_assert_ptr_null(strstr(l, "opaque"));
	ck_assert_ptr_nonnull(strstr(l, "[redacted] token-00000 [redacted]"));
	trace_free(t);
	/* Without bodies nothing is kept. */
	t = trace_new(TRACE_ON);
	trace_token(t, "eyJ.opaque/tok.x", 16);
	trace_free(t);
	trace_token(NULL, "eyJ.opaque/tok.x", 16);
}
END_TEST

START_TEST(test_trace_cut_fields)
{
	struct trace	*t = trace_new(TRACE_ON);
	char		 text[512];
	const char	*l;

	snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":\"%0*d\","
	    "\"method\":\"%0*d\"}", 200, 1, 200, 2);
	l = fmt(t, TRACE_STDIN, NULL, text, 1);
	ck_assert_uint_lt(strlen(l), 2 * TRACE_ID_MAX + 64);
	/* A newline in a method stays on the line (log.c escapes it). */
	l = fmt(t, TRACE_STDIN, "a\nb", "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"x\\ny\"}", 1);
	ck_assert_ptr_nonnull(strstr(l, "notification"));
	trace_free(t);
}
END_TEST

START_TEST(test_trace_off_and_parse)
{
	enum trace_mode	 m;

	ck_assert_ptr_null(trace_new(TRACE_OFF));
	/* A NULL trace does nothing. */
	trace_msg(NULL, TRACE_STDIN, NULL, NULL);
	trace_secret(NULL, "whatever");
	trace_free(NULL);
	ck_assert_int_eq(trace_mode_parse(NULL, &m), 0);
	ck_assert_int_eq(m, TRACE_ON);
	ck_assert_int_eq(trace_mode_parse("body", &m), 0);
	ck_assert_int_eq(m, TRACE_BODY);
	ck_assert_int_eq(trace_mode_parse("bodies", &m), -1);
	ck_assert_int_eq(trace_mode_parse("", &m), -1);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("trace");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_trace_kinds);
	tcase_add_test(tc, test_trace_latency);
	tcase_add_test(tc, test_trace_copy);
	tcase_add_test(tc, test_trace_pending_bounded);
	tcase_add_test(tc, test_trace_body);
	tcase_add_test(tc, test_trace_secrets);
	tcase_add_test(tc, test_trace_raw);
	tcase_add_test(tc, test_trace_tokens);
	tcase_add_test(tc, test_trace_cut_fields);
	tcase_add_test(tc, test_trace_off_and_parse);
	suite_add_tcase(s, tc);
	return s;
}
