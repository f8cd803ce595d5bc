/*
 * check_url.c: the URL policy (url.c): which URLs client mode and its
 * OAuth sign-in may talk to, and a legacy endpoint resolved against the
 * SSE URL on the same origin.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "checktest.h"
#include "url.h"

static int
url_ok(const char *url, int allow_http)
{
	char	*err = NULL;
	int	 rv;

	rv = url_check(url, allow_http, &err);
	ck_assert_int_eq(rv == -1, err != NULL);
	free(err);
	return rv == 0;
}

START_TEST(test_check_url)
{
	ck_assert(url_ok("https://example.com/mcp", 0));
	ck_assert(url_ok("http://127.0.0.1:8000/mcp", 0));
	ck_assert(url_ok("http://127.1.2.3/mcp", 0));
	ck_assert(url_ok("http://localhost:8000/sse", 0));
	ck_assert(url_ok("http://[::1]:8000/mcp", 0));
	ck_assert(!url_ok("http://example.com/mcp", 0));
	ck_assert(!url_ok("http://127.0.0.1.example.com/mcp", 0));
	ck_assert(url_ok("http://example.com/mcp", 1));
	ck_assert(!url_ok("ftp://example.com/", 1));
	ck_assert(!url_ok("not a url", 1));
}
END_TEST

static char *
resolve(const char *base, const char *ref)
{
	char	*out = NULL, *err = NULL;

	if (url_resolve(base, ref, &out, &err) == -1) {
		ck_assert_ptr_nonnull(err);
		free(err);
		return NULL;
	}
	return out;
}

START_TEST(test_resolve_endpoint)
{
	char	*s;

	s = resolve("http://127.0.0.1:8000/sse", "/message?sessionId=abc");
	ck_assert_str_eq(s, "http://127.0.0.1:8000/message?sessionId=abc");
	free(s);
	s = resolve("http://127.0.0.1:8000/base/sse", "messages/?session_id=1");
	ck_assert_str_eq(s,
	    "http://127.0.0.1:8000/base/messages/?session_id=1");
	free(s);
	s = resolve("https://h.example/sse", "https://h.example:443/m");
	ck_assert_ptr_nonnull(s);
	free(s);
	/* Another origin: host, port or scheme. */
	ck_assert_ptr_null(resolve("http://127.0.0.1:8000/sse",
	    "http://evil.example/message"));
	ck_assert_ptr_null(resolve("http://127.0.0.1:8000/sse",
	    "http://127.0.0.1:9000/message"));
	ck_assert_ptr_null(resolve("https://h.example/sse",
	    "http://h.example/message"));
	ck_assert_ptr_null(resolve("http://127.0.0.1:8000/sse",
	    "//evil.example/message"));
	ck_assert_ptr_null(resolve("http://127.0.0.1:8000/sse", ""));
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("url");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_check_url);
	tcase_add_test(tc, test_resolve_endpoint);
	suite_add_tcase(s, tc);
	return s;
}
