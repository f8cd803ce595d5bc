/* SPDX-License-Identifier: ISC */
/*
 * check_client.c: the pure parts of client mode: header syntax and ${VAR}
 * expansion, the options, and reading Retry-After.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "checktest.h"
#include "cli.h"
#include "client.h"

/* cli_parse on a NULL-terminated word list after "mcpbridge client". */
static enum cli_result
parse(struct config *c, char **err, const char *const *words)
{
	char	*argv[32];
	int	 argc = 0;

	argv[argc++] = (char *)"mcpbridge";
	argv[argc++] = (char *)"client";
	while (*words != NULL && argc < 31)
		argv[argc++] = (char *)*words++;
	argv[argc] = NULL;
	config_init(c);
	return cli_parse(argc, argv, c, err);
}

START_TEST(test_header_check)
{
	char	*err = NULL;

	ck_assert_int_eq(client_header_check("X-Api-Key: abc", &err), 0);
	ck_assert_int_eq(client_header_check("Authorization:${TOKEN}", &err),
	    0);
	ck_assert_int_eq(client_header_check("no colon", &err), -1);
	free(err);
	ck_assert_int_eq(client_header_check(": value", &err), -1);
	free(err);
	ck_assert_int_eq(client_header_check("Bad Name: v", &err), -1);
	free(err);
	ck_assert_int_eq(client_header_check("X: a\r\nInjected: b", &err), -1);
	free(err);
}
END_TEST

START_TEST(test_expand_env)
{
	char	*out = NULL, *err = NULL;

	setenv("CHECK_CLIENT_TOKEN", "s3cret", 1);
	ck_assert_int_eq(client_expand_env("Authorization: Bearer "
	    "${CHECK_CLIENT_TOKEN}", &out, &err), 0);
	ck_assert_str_eq(out, "Authorization: Bearer s3cret");
	free(out);
	ck_assert_int_eq(client_expand_env("X: ${CHECK_CLIENT_TOKEN}-"
	    "${CHECK_CLIENT_TOKEN} $HOME $", &out, &err), 0);
	ck_assert_str_eq(out, "X: s3cret-s3cret $HOME $");
	free(out);

	unsetenv("CHECK_CLIENT_UNSET");
	ck_assert_int_eq(client_expand_env("X: ${CHECK_CLIENT_UNSET}", &out,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "CHECK_CLIENT_UNSET"));
	free(err);
	ck_assert_int_eq(client_expand_env("X: ${unterminated", &out, &err),
	    -1);
	free(err);

	/* A value with a line break is refused, and not shown. */
	setenv("CHECK_CLIENT_BAD", "a\r\nInjected: x", 1);
	ck_assert_int_eq(client_expand_env("X: ${CHECK_CLIENT_BAD}", &out,
	    &err), -1);
	ck_assert_ptr_null(strstr(err, "Injected"));
	free(err);
}
END_TEST

START_TEST(test_options)
{
	static const char *const all[] = {
		"--transport", "sse", "--header", "X-A: 1", "--header",
		"Authorization:${TOKEN}", "--bearer-token-env", "TOKEN",
		"--cacert", "/dev/null", "--insecure", "--allow-http",
		"--connect-timeout", "2s", "--request-timeout", "250ms",
		"--max-message-size", "1M", "--oneshot", "--notifications",
		"--protocol-version", "2025-06-18",
		"http://example.com/sse", NULL
	};
	static const char *const none[] = { "https://h.example/mcp", NULL };
	struct config	 c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, none), CLI_OK);
	ck_assert_int_eq(c.client.transport, CLIENT_TRANSPORT_AUTO);
	ck_assert_uint_eq(c.client.nheaders, 0);
	ck_assert_uint_eq(c.client.connect_timeout_ms, 0);	/* the default */
	ck_assert_int_eq(c.client.oneshot, 0);
	ck_assert_int_eq(c.client.notifications, 0);
	ck_assert_str_eq(c.client.url, "https://h.example/mcp");
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, all), CLI_OK);
	ck_assert_int_eq(c.client.transport, CLIENT_TRANSPORT_SSE);
	ck_assert_uint_eq(c.client.nheaders, 2);
	ck_assert_str_eq(c.client.headers[1], "Authorization:${TOKEN}");
	ck_assert_str_eq(c.client.bearer_token_env, "TOKEN");
	ck_assert_str_eq(c.client.cacert, "/dev/null");
	ck_assert_int_eq(c.client.insecure, 1);
	ck_assert_int_eq(c.client.allow_http, 1);
	ck_assert_uint_eq(c.client.connect_timeout_ms, 2000);
	ck_assert_uint_eq(c.client.request_timeout_ms, 250);
	ck_assert_uint_eq(c.client.max_message_size, 1024 * 1024);
	ck_assert_int_eq(c.client.oneshot, 1);
	ck_assert_int_eq(c.client.notifications, 1);
	ck_assert_str_eq(c.client.protocol_version, "2025-06-18");
	config_free(&c);
}
END_TEST

START_TEST(test_option_errors)
{
	const char *const *const bad[] = {
		(const char *const[]){ "--transport", "carrier-pigeon",
		    "https://h/mcp", NULL },
		(const char *const[]){ "--header", "nocolon", "https://h/mcp",
		    NULL },
		(const char *const[]){ "--request-timeout", "0",
		    "https://h/mcp", NULL },
		(const char *const[]){ "--bearer-token-env", "",
		    "https://h/mcp", NULL },
		(const char *const[]){ "http://example.com/mcp", NULL },
		(const char *const[]){ "ftp://h/", NULL },
		(const char *const[]){ NULL },
		(const char *const[]){ "--connect", "unix:/x", "https://h/mcp",
		    NULL },
		(const char *const[]){ "--oneshot", "--protocol-version",
		    "1999-01-01", "https://h/mcp", NULL },
		(const char *const[]){ "--protocol-version", "2025-06-18",
		    "https://h/mcp", NULL },
		(const char *const[]){ "--oneshot", "--protocol-version",
		    "2026-07-28", "--era", "legacy", "https://h/mcp", NULL },
	};
	struct config	 c;
	char		*err;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(parse(&c, &err, bad[i]) == CLI_ERROR,
		    "case %zu parsed", i);
		ck_assert_ptr_nonnull(err);
		free(err);
		config_free(&c);
	}
}
END_TEST

START_TEST(test_retry_after)
{
	const time_t	t = 784111777;	/* Sun, 06 Nov 1994 08:49:37 GMT */

	ck_assert_int_eq(client_retry_after(NULL, t, 60000), -1);
	ck_assert_int_eq(client_retry_after("3", t, 60000), 3000);
	ck_assert_int_eq(client_retry_after(" 2 ", t, 60000), 2000);
	ck_assert_int_eq(client_retry_after("0", t, 60000), 0);
	/* capped, however many digits */
	ck_assert_int_eq(client_retry_after("120", t, 60000), 60000);
	ck_assert_int_eq(client_retry_after("60", t, 60000), 60000);
	ck_assert_int_eq(client_retry_after("99999999999999999999999", t,
	    60000), 60000);
	/* not delta-seconds, not a date */
	ck_assert_int_eq(client_retry_after("", t, 60000), -1);
	ck_assert_int_eq(client_retry_after("3s", t, 60000), -1);
	ck_assert_int_eq(client_retry_after("1.5", t, 60000), -1);
	ck_assert_int_eq(client_retry_after("-1", t, 60000), -1);
	ck_assert_int_eq(client_retry_after("soon", t, 60000), -1);
	/* the three HTTP-date forms */
	ck_assert_int_eq(client_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    t - 5, 60000), 5000);
	ck_assert_int_eq(client_retry_after("Sunday, 06-Nov-94 08:49:37 GMT",
	    t - 7, 60000), 7000);
	ck_assert_int_eq(client_retry_after("Sun Nov  6 08:49:37 1994",
	    t - 1, 60000), 1000);
	/* in the past: now; far ahead: the cap */
	ck_assert_int_eq(client_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    t + 10, 60000), 0);
	ck_assert_int_eq(client_retry_after("Sun, 06 Nov 1994 08:49:37 GMT",
	    t - 3600, 60000), 60000);
}
END_TEST

/* What a URL likely meant, and only where that is sure enough. */
START_TEST(test_url_suggest)
{
	static const char *const cases[][2] = {
		{ "localhost:8000/mcp", "http://localhost:8000/mcp" },
		{ "127.0.0.1:8000", "http://127.0.0.1:8000/mcp" },
		{ "mcp.example.com/mcp", "https://mcp.example.com/mcp" },
		{ "http://h:8000", "http://h:8000/mcp" },
		{ "http://h:8000/", "http://h:8000/mcp" },
		{ "https://h/mcp/", "https://h/mcp" },
		{ "https://h/mcp//", "https://h/mcp" },
		{ "https://h/sse", "https://h/mcp" },
		{ "https://h/api/messages", "https://h/api/mcp" },
		/* no credentials in a log line */
		{ "https://u:secret@h/?key=secret", "https://h/mcp" },
		{ "https://h/mcp", NULL },
		{ "https://h/v1/tools", NULL },
		{ "", NULL },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = client_url_suggest(cases[i][0]);
		if (cases[i][1] == NULL)
			ck_assert_msg(s == NULL, "%s: %s", cases[i][0], s);
		else
			ck_assert_msg(s != NULL && strcmp(s, cases[i][1]) == 0,
			    "%s: %s", cases[i][0], s != NULL ? s : "NULL");
		free(s);
	}
}
END_TEST

/* A URL without a scheme: the usage error says what was meant. */
START_TEST(test_url_no_scheme)
{
	struct config	 c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, (const char *const[]){
	    "localhost:8000/mcp", NULL }), CLI_ERROR);
	ck_assert_str_eq(err, "'localhost:8000/mcp' is not a URL: did you "
	    "mean http://localhost:8000/mcp?");
	free(err);
	config_free(&c);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("client");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_header_check);
	tcase_add_test(tc, test_expand_env);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_option_errors);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_url_suggest);
	tcase_add_test(tc, test_url_no_scheme);
	suite_add_tcase(s, tc);
	return s;
}
