/* SPDX-License-Identifier: ISC */
/*
 * check_remote.c: a remote server's headers (remote.c) as the bridge
 * makes them: ${VAR} expanded, the variables gone from the environment
 * afterwards yet still there for another remote server (or a reload's),
 * an unset one an error that names it and no value, the URL shown
 * without credentials, and the values offered to the traces.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "checktest.h"
#include "client.h"
#include "remote.h"

static struct remote *
make(struct event_base *base, const char *url, char **headers, size_t n,
    char **err)
{
	struct client_config	cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.url = url;
	cfg.headers = headers;
	cfg.nheaders = n;
	return remote_new(base, &cfg, 1024, err);
}

START_TEST(test_headers_and_variables)
{
	struct event_base	*base = event_base_new();
	struct remote		*a, *b;
	char			*h[] = { "Authorization: Bearer ${CR_TOKEN}",
				    "X-Plain:  as is", NULL };
	char			*h2[] = { "X-Again: ${CR_TOKEN}", NULL };
	char			*err = NULL;

	ck_assert_int_eq(setenv("CR_TOKEN", "tok-1234567890", 1), 0);
	a = make(base, "https://user:pw@mcp.example.com/mcp?key=k#f", h, 2,
	    &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(remote_shown(a), "https://mcp.example.com/mcp");
	ck_assert_str_eq(remote_secret(a, 0), "Bearer tok-1234567890");
	ck_assert_str_eq(remote_secret(a, 1), "as is");
	ck_assert_ptr_null(remote_secret(a, 2));
	/* Out of the environment: no child inherits it. */
	ck_assert_ptr_null(getenv("CR_TOKEN"));

	/* Another remote server names it: kept for it. */
	b = make(base, "https://other.example.com/mcp", h2, 1, &err);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(remote_secret(b, 0), "tok-1234567890");
	ck_assert_ptr_null(getenv("CR_TOKEN"));
	remote_free(b);

	/* Set anew (a new value): the new one. */
	ck_assert_int_eq(setenv("CR_TOKEN", "tok-new-0987654321", 1), 0);
	b = make(base, "https://other.example.com/mcp", h2, 1, &err);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(remote_secret(b, 0), "tok-new-0987654321");
	ck_assert_ptr_null(getenv("CR_TOKEN"));
	remote_free(b);
	remote_free(a);
	event_base_free(base);
}
END_TEST

START_TEST(test_unset_variable)
{
	struct event_base	*base = event_base_new();
	char			*h[] = { "X-Key: ${CR_SET}", "X-Other: "
				    "${CR_NEVER_SET}", NULL };
	char			*err = NULL;

	ck_assert_int_eq(setenv("CR_SET", "value-secret-42", 1), 0);
	unsetenv("CR_NEVER_SET");
	ck_assert_ptr_null(make(base, "https://h.example/mcp", h, 2, &err));
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "CR_NEVER_SET"));
	ck_assert_ptr_null(strstr(err, "value-secret-42"));
	free(err);
	/* Failed or not, what it read left the environment. */
	ck_assert_ptr_null(getenv("CR_SET"));
	event_base_free(base);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("remote");
	TCase	*tc = tcase_create("headers");

	tcase_add_test(tc, test_headers_and_variables);
	tcase_add_test(tc, test_unset_variable);
	suite_add_tcase(s, tc);
	return s;
}
