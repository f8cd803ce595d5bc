/* SPDX-License-Identifier: ISC */
/*
 * check_url.c: the URL policy (url.c): which URLs client mode and its
 * OAuth sign-in may talk to, which may go to a browser, where a token may
 * go (the same origin), the port of a loopback redirect URI, and a legacy
 * endpoint resolved against the SSE URL on the same origin; and the
 * parsing the sign-in's discovery builds on (url_parse, url_part).
 */
#include "config.h"

#include <check.h>
#include <stddef.h>
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

/* url_check's reason for url, or NULL if it takes it. */
static char *
url_why(const char *url, int allow_http)
{
	char	*err = NULL;

	if (url_check(url, allow_http, &err) == 0) {
		ck_assert_ptr_null(err);
		return NULL;
	}
	ck_assert_ptr_nonnull(err);
	return err;
}

START_TEST(test_check_url_why)
{
	static const struct {
		const char	*url, *why;
	} t[] = {
		{ "not a url", "'not a url' is not a URL" },
		{ "", "'' is not a URL" },
		{ "/mcp", "'/mcp' is not a URL" },
		/* Parsed, but no host: not a URL either. */
		{ "file:///etc/passwd", "'file:///etc/passwd' is not a URL" },
		{ "ftp://example.com/", "the URL must be http:// or "
		    "https://, not ftp://" },
		{ "http://example.com/", "plain http:// is only allowed to "
		    "loopback addresses; use https:// or --allow-http" },
	};
	char	*why;
	size_t	 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		why = url_why(t[i].url, 0);
		ck_assert_msg(why != NULL, "took %s", t[i].url);
		ck_assert_str_eq(why, t[i].why);
		free(why);
	}
	ck_assert_ptr_null(url_why("https://example.com/", 0));
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

/* url_resolve's reasons. */
START_TEST(test_resolve_why)
{
	static const struct {
		const char	*base, *ref, *why;
	} t[] = {
		{ "http://127.0.0.1:8000/sse", "",
		    "the endpoint event is empty or malformed" },
		{ "http://127.0.0.1:8000/sse", "/m\r\nx",
		    "the endpoint event is empty or malformed" },
		/* A base that is no URL: a relative ref cannot be used. */
		{ "not a url", "/m", "the endpoint '/m' is not a usable URI" },
		{ "http://127.0.0.1:8000/sse", "http://[x/m",
		    "the endpoint 'http://[x/m' is not a usable URI" },
		{ "http://127.0.0.1:8000/sse", "http://evil.example/m",
		    "the endpoint 'http://evil.example/m' is not on the "
		    "server's origin" },
	};
	char	*out, *err;
	size_t	 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		out = err = NULL;
		ck_assert_msg(url_resolve(t[i].base, t[i].ref, &out, &err) ==
		    -1, "took %s", t[i].ref);
		ck_assert_ptr_null(out);
		ck_assert_ptr_nonnull(err);
		ck_assert_str_eq(err, t[i].why);
		free(err);
	}
}
END_TEST

START_TEST(test_browser_url)
{
	char		*err = NULL;
	size_t		 i;
	static const char *const bad[] = {
		"file:///etc/passwd",
		"javascript:alert(1)",
		"https://evil.example/$(touch${IFS}/tmp/pwned)",
		"https://evil.example/`id`",
		"https://evil.example/a;b",
		"https://evil.example/a|b",
		"https://evil.example/a b",
		"https://evil.example/'x'",
		"https://evil.example/\"x\"",
		"https://evil.example/\nx",
		"http://evil.example/authorize",	/* plain http afar */
		"ftp://evil.example/",
		"-https://evil.example/",
		"https://auth.example/authorize#frag",
		"http://127.0.0.1.evil.example/authorize",
		"",
	};

	ck_assert_int_eq(url_check_browser("https://auth.example.com/"
	    "authorize?response_type=code&client_id=a%20b&scope=x+y", 0, &err),
	    0);
	ck_assert_int_eq(url_check_browser("http://127.0.0.1:8080/"
	    "authorize", 0, &err), 0);
	ck_assert_int_eq(url_check_browser("http://localhost/authorize",
	    0, &err), 0);
	ck_assert_int_eq(url_check_browser("http://auth.example/a", 1,
	    &err), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		ck_assert_msg(url_check_browser(bad[i], 0, &err) == -1,
		    "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(err);
		free(err);
	}
}
END_TEST

START_TEST(test_same_origin)
{
	ck_assert_int_eq(url_same_origin("https://x.example/mcp",
	    "https://x.example/other?q#f"), 1);
	ck_assert_int_eq(url_same_origin("HTTPS://X.Example/mcp",
	    "https://x.example:443/"), 1);
	ck_assert_int_eq(url_same_origin("http://127.0.0.1/a",
	    "http://127.0.0.1:80/b"), 1);
	/* Another scheme, host or port; not a URL at all. */
	ck_assert_int_eq(url_same_origin("https://x.example/mcp",
	    "http://x.example/mcp"), 0);
	ck_assert_int_eq(url_same_origin("https://x.example/mcp",
	    "https://y.example/mcp"), 0);
	ck_assert_int_eq(url_same_origin("https://x.example/mcp",
	    "https://x.example:8443/mcp"), 0);
	ck_assert_int_eq(url_same_origin("https://x.example.evil/mcp",
	    "https://x.example/mcp"), 0);
	ck_assert_int_eq(url_same_origin("not a url", "not a url"), 0);
	ck_assert_int_eq(url_same_origin("https://x.example/", ""), 0);
}
END_TEST

START_TEST(test_loopback_port)
{
	ck_assert_int_eq(url_loopback_port("http://127.0.0.1:8765/callback"),
	    8765);
	ck_assert_int_eq(url_loopback_port("http://127.0.0.1:1/"), 1);
	ck_assert_int_eq(url_loopback_port("http://127.0.0.1:65535/callback"),
	    65535);
	/* Not the loopback redirect the sign-in makes, or no port in it. */
	ck_assert_int_eq(url_loopback_port(NULL), 0);
	ck_assert_int_eq(url_loopback_port(""), 0);
	ck_assert_int_eq(url_loopback_port("http://127.0.0.1/callback"), 0);
	ck_assert_int_eq(url_loopback_port("http://127.0.0.1:0/callback"), 0);
	ck_assert_int_eq(url_loopback_port("http://127.0.0.1:65536/"), 0);
	ck_assert_int_eq(url_loopback_port("http://127.0.0.1:x/"), 0);
	ck_assert_int_eq(url_loopback_port("https://127.0.0.1:8765/"), 0);
	ck_assert_int_eq(url_loopback_port("http://localhost:8765/callback"),
	    0);
	ck_assert_int_eq(url_loopback_port("http://evil.example:8765/"), 0);
}
END_TEST

START_TEST(test_parse_part)
{
	CURLU	*u;
	char	*s;

	u = url_parse("HTTPS://Example.COM:8443/a/b/?q=1#f");
	ck_assert_ptr_nonnull(u);
	s = url_part(u, CURLUPART_SCHEME, 0);
	ck_assert_str_eq(s, "https");
	free(s);
	s = url_part(u, CURLUPART_HOST, 0);
	ck_assert_str_eq(s, "Example.COM");
	free(s);
	s = url_part(u, CURLUPART_PORT, 0);
	ck_assert_str_eq(s, "8443");
	free(s);
	s = url_part(u, CURLUPART_PATH, 0);
	ck_assert_str_eq(s, "/a/b/");
	free(s);
	s = url_part(u, CURLUPART_QUERY, 0);
	ck_assert_str_eq(s, "q=1");
	free(s);
	curl_url_cleanup(u);

	/* A part it lacks is "", unless libcurl may fill it in. */
	u = url_parse("https://example.com");
	ck_assert_ptr_nonnull(u);
	s = url_part(u, CURLUPART_PORT, 0);
	ck_assert_str_eq(s, "");
	free(s);
	s = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	ck_assert_str_eq(s, "443");
	free(s);
	s = url_part(u, CURLUPART_QUERY, 0);
	ck_assert_str_eq(s, "");
	free(s);
	s = url_part(u, CURLUPART_FRAGMENT, 0);
	ck_assert_str_eq(s, "");
	free(s);
	curl_url_cleanup(u);

	/* Not an absolute URL. */
	ck_assert_ptr_null(url_parse("not a url"));
	ck_assert_ptr_null(url_parse("/relative/path"));
	ck_assert_ptr_null(url_parse(""));
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("url");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_check_url);
	tcase_add_test(tc, test_check_url_why);
	tcase_add_test(tc, test_resolve_endpoint);
	tcase_add_test(tc, test_resolve_why);
	tcase_add_test(tc, test_browser_url);
	tcase_add_test(tc, test_same_origin);
	tcase_add_test(tc, test_loopback_port);
	tcase_add_test(tc, test_parse_part);
	suite_add_tcase(s, tc);
	return s;
}
