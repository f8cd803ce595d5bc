/* SPDX-License-Identifier: ISC */
/*
 * check_jwks.c: the issuers' metadata and key cache (jwks.c) over a fake
 * HTTP (rstest.h): discovery and its fallback, the issuer check, max-age,
 * the unknown-kid refresh at most once per JWKS_MIN_REFRESH, cached keys
 * through a failing endpoint, none cached (nothing to wait for: 503),
 * waiters cancelled and bounded.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "asmeta.h"
#include "checktest.h"
#include "jwks.h"
#include "jwt.h"
#include "rstest.h"

#define OIDC_URL	"https://as.example/.well-known/openid-configuration"

static int	woken;

static void
wake(void *arg)
{
	(void)arg;
	woken++;
}

/* An issuer with keys k1 (and k2 with both), fetched with cc. */
static struct jwks *
ready(int both, const char *cc)
{
	struct jwks	*j;
	const char	*cause;
	char		*set;

	rst_clock_reset();
	j = jwks_new(&rst_ops, NULL, rst_clock_ms);
	ck_assert_int_eq(jwks_add(j, RST_ISSUER, &cause), 0);
	jwks_start(j);
	ck_assert_uint_eq(rst_live(), 1);
	rst_answer_url(RST_METADATA, 200, NULL, rst_metadata());
	set = rst_jwks(both);
	rst_answer_url(RST_JWKS_URI, 200, cc, set);
	free(set);
	ck_assert_ptr_nonnull(jwks_keys(jwks_issuer(j, 0)));
	return j;
}

START_TEST(test_fetch)
{
	struct jwks		*j;
	struct jwks_issuer	*is;
	const char		*cause;

	j = ready(1, "public, max-age=600");
	is = jwks_find(j, RST_ISSUER);
	ck_assert_ptr_nonnull(is);
	ck_assert_ptr_null(jwks_find(j, RST_ISSUER "/"));
	ck_assert_ptr_null(jwks_find(j, NULL));
	ck_assert_uint_eq(jwt_keyset_count(jwks_keys(is)), 2);
	ck_assert_str_eq(jwks_meta(is)->introspection_endpoint,
	    RST_INTROSPECT);
	ck_assert(jwks_ready(j));
	ck_assert_uint_eq(jwks_fetches(j, JWKS_FETCH_OK), 1);
	/* No fetch while fresh: 600 s, refreshed after 80 %. */
	rst_advance(479);
	ck_assert_ptr_nonnull(jwks_keys(is));
	ck_assert_uint_eq(rst_live(), 0);
	rst_advance(1);
	ck_assert_ptr_nonnull(jwks_keys(is));
	ck_assert_uint_eq(rst_live(), 1);
	ck_assert_ptr_nonnull(rst_find(RST_JWKS_URI));
	/* Metadata is not fetched again. */
	ck_assert_uint_eq(rst_started(RST_METADATA), 1);
	/* Adding: not an issuer, twice. */
	ck_assert_int_eq(jwks_add(j, "http://as.example", &cause), -1);
	ck_assert_int_eq(jwks_add(j, RST_ISSUER, &cause), -1);
	ck_assert_str_eq(cause, "issuer given twice");
	jwks_free(j);
	rst_reset();
}
END_TEST

START_TEST(test_discovery_fallback)
{
	struct jwks	*j;
	const char	*cause;
	char		*set;

	j = jwks_new(&rst_ops, NULL, rst_clock_ms);
	ck_assert_int_eq(jwks_add(j, RST_ISSUER, &cause), 0);
	ck_assert(!jwks_ready(j));
	jwks_start(j);
	rst_answer_url(RST_METADATA, 404, NULL, "not found");
	ck_assert_uint_eq(rst_live(), 1);
	rst_answer_url(OIDC_URL, 200, NULL, rst_metadata());
	set = rst_jwks(0);
	rst_answer_url(RST_JWKS_URI, 200, NULL, set);
	free(set);
	ck_assert(jwks_ready(j));
	jwks_free(j);
	rst_reset();
}
END_TEST

START_TEST(test_issuer_mismatch)
{
	struct jwks	*j;
	const char	*cause;

	j = jwks_new(&rst_ops, NULL, rst_clock_ms);
	ck_assert_int_eq(jwks_add(j, RST_ISSUER, &cause), 0);
	jwks_start(j);
	/* Another issuer's document ends discovery: no fallback. */
	rst_answer_url(RST_METADATA, 200, NULL, "{\"issuer\":"
	    "\"https://evil.example\",\"jwks_uri\":\"https://evil.example/k\"}");
	ck_assert_uint_eq(rst_live(), 0);
	ck_assert_uint_eq(rst_started(NULL), 1);
	ck_assert_uint_eq(jwks_fetches(j, JWKS_FETCH_REFUSED), 1);
	ck_assert_ptr_null(jwks_meta(jwks_issuer(j, 0)));
	ck_assert_ptr_null(jwks_keys(jwks_issuer(j, 0)));
	ck_assert(!jwks_ready(j));
	jwks_free(j);
	rst_reset();
}
END_TEST

START_TEST(test_unknown_kid_refresh)
{
	struct jwks		*j;
	struct jwks_issuer	*is;
	struct jwks_wait	*w;
	char			*set;

	j = ready(0, NULL);
	is = jwks_issuer(j, 0);
	woken = 0;
	/* Fetched just now: no refresh, and the caller learns how long
	 * until one may start (its 503's Retry-After). */
	ck_assert_ptr_null(jwks_wait(is, 1, wake, NULL));
	ck_assert_int_eq(jwks_refresh_wait(is), JWKS_MIN_REFRESH);
	rst_advance(JWKS_MIN_REFRESH - 1);
	ck_assert_int_eq(jwks_refresh_wait(is), 1);
	rst_advance(1);
	ck_assert_int_eq(jwks_refresh_wait(is), 0);
	w = jwks_wait(is, 1, wake, NULL);
	ck_assert_ptr_nonnull(w);
	/* A second unknown kid joins the same fetch. */
	ck_assert_ptr_nonnull(jwks_wait(is, 1, wake, NULL));
	ck_assert_uint_eq(rst_live(), 1);
	set = rst_jwks(1);
	rst_answer_url(RST_JWKS_URI, 200, NULL, set);
	free(set);
	ck_assert_int_eq(woken, 2);
	ck_assert_uint_eq(jwt_keyset_count(jwks_keys(is)), 2);
	/* And again only after the interval. */
	rst_advance(JWKS_MIN_REFRESH - 1);
	ck_assert_ptr_null(jwks_wait(is, 1, wake, NULL));
	ck_assert_int_eq(jwks_refresh_wait(is), 1);
	ck_assert_uint_eq(rst_started(RST_JWKS_URI), 2);
	jwks_free(j);
	rst_reset();
}
END_TEST

START_TEST(test_stale_keys)
{
	struct jwks		*j;
	struct jwks_issuer	*is;
	const struct jwt_keyset	*ks;

	j = ready(0, "max-age=300");
	is = jwks_issuer(j, 0);
	ks = jwks_keys(is);
	rst_advance(300);
	/* The refresh fails: the old keys serve on. */
	ck_assert_ptr_eq(jwks_keys(is), ks);
	rst_fail(rst_find(RST_JWKS_URI), "Connection refused");
	ck_assert_ptr_eq(jwks_keys(is), ks);
	ck_assert_uint_eq(jwks_fetches(j, JWKS_FETCH_ERROR), 1);
	/* Backoff: no new fetch at once. */
	ck_assert_uint_eq(rst_live(), 0);
	rst_advance(JWKS_BACKOFF_MIN);
	ck_assert_ptr_eq(jwks_keys(is), ks);
	ck_assert_uint_eq(rst_live(), 1);
	/* A refused set keeps them too. */
	rst_answer_url(RST_JWKS_URI, 200, NULL, "{\"keys\":[]}");
	ck_assert_uint_eq(jwks_fetches(j, JWKS_FETCH_REFUSED), 1);
	ck_assert_ptr_eq(jwks_keys(is), ks);
	rst_advance(JWKS_BACKOFF_MIN * 2);
	(void)jwks_keys(is);
	rst_answer_url(RST_JWKS_URI, 503, NULL, "down");
	/* Past JWKS_STALE_MAX after expiry they go. */
	rst_advance(JWKS_STALE_MAX);
	ck_assert_ptr_null(jwks_keys(is));
	ck_assert(!jwks_ready(j));
	jwks_free(j);
	rst_reset();
}
END_TEST

START_TEST(test_none_cached)
{
	struct jwks		*j;
	struct jwks_issuer	*is;
	struct jwks_wait	*w;
	const char		*cause;
	char			*set;

	rst_clock_reset();
	j = jwks_new(&rst_ops, NULL, rst_clock_ms);
	ck_assert_int_eq(jwks_add(j, RST_ISSUER, &cause), 0);
	is = jwks_issuer(j, 0);
	jwks_start(j);
	woken = 0;
	/* A request before the first fetch ends waits for it. */
	w = jwks_wait(is, 0, wake, NULL);
	ck_assert_ptr_nonnull(w);
	rst_fail(rst_find(RST_METADATA), "Connection refused");
	rst_fail(rst_find(OIDC_URL), "Connection refused");
	ck_assert_int_eq(woken, 1);
	ck_assert_ptr_null(jwks_keys(is));
	/* Backing off: nothing to wait for, the caller answers 503. */
	ck_assert_ptr_null(jwks_wait(is, 0, wake, NULL));
	rst_advance(JWKS_BACKOFF_MIN);
	w = jwks_wait(is, 0, wake, NULL);
	ck_assert_ptr_nonnull(w);
	rst_answer_url(RST_METADATA, 200, NULL, rst_metadata());
	set = rst_jwks(0);
	rst_answer_url(RST_JWKS_URI, 200, NULL, set);
	free(set);
	ck_assert_int_eq(woken, 2);
	ck_assert_ptr_nonnull(jwks_keys(is));
	/* Keys there: nothing to wait for without an unknown kid. */
	ck_assert_ptr_null(jwks_wait(is, 0, wake, NULL));
	jwks_free(j);
	rst_reset();
}
END_TEST

START_TEST(test_waiters)
{
	struct jwks		*j;
	struct jwks_issuer	*is;
	struct jwks_wait	*w[JWKS_MAX_WAITERS];
	const char		*cause;
	size_t			 i;

	rst_clock_reset();
	j = jwks_new(&rst_ops, NULL, rst_clock_ms);
	ck_assert_int_eq(jwks_add(j, RST_ISSUER, &cause), 0);
	is = jwks_issuer(j, 0);
	woken = 0;
	for (i = 0; i < JWKS_MAX_WAITERS; i++) {
		w[i] = jwks_wait(is, 0, wake, NULL);
		ck_assert_ptr_nonnull(w[i]);
	}
	ck_assert_ptr_null(jwks_wait(is, 0, wake, NULL));
	ck_assert_uint_eq(rst_live(), 1);
	/* Cancelled waiters are not called. */
	for (i = 0; i < JWKS_MAX_WAITERS - 1; i++)
		jwks_wait_cancel(w[i]);
	rst_answer_url(RST_METADATA, 500, NULL, "");
	rst_answer_url(OIDC_URL, 500, NULL, "");
	ck_assert_int_eq(woken, 1);
	ck_assert_uint_eq(jwks_fetches(j, JWKS_FETCH_ERROR), 1);
	/* Freed with a fetch and a waiter: neither called back. */
	rst_advance(JWKS_BACKOFF_MIN);
	ck_assert_ptr_nonnull(jwks_wait(is, 0, wake, NULL));
	jwks_free(j);
	ck_assert_int_eq(woken, 1);
	ck_assert_uint_eq(rst_live(), 0);
	rst_reset();
}
END_TEST

START_TEST(test_max_age)
{
	ck_assert_int_eq(jwks_max_age(NULL), JWKS_TTL_DEFAULT);
	ck_assert_int_eq(jwks_max_age("public"), JWKS_TTL_DEFAULT);
	ck_assert_int_eq(jwks_max_age("public, max-age=7200"), 7200);
	ck_assert_int_eq(jwks_max_age("Max-Age=600, must-revalidate"), 600);
	ck_assert_int_eq(jwks_max_age("max-age=10"), JWKS_TTL_MIN);
	ck_assert_int_eq(jwks_max_age("max-age=99999999999999999999"),
	    JWKS_TTL_MAX);
	ck_assert_int_eq(jwks_max_age("s-maxage=600"), JWKS_TTL_DEFAULT);
	ck_assert_int_eq(jwks_max_age("no-store"), JWKS_TTL_MIN);
	ck_assert_int_eq(jwks_max_age("max-age=x"), JWKS_TTL_DEFAULT);
	ck_assert_str_eq(jwks_fetch_result_name(JWKS_FETCH_REFUSED),
	    "refused");
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("jwks");
	TCase	*tc = tcase_create("cache");

	rst_keys_init();
	tcase_add_test(tc, test_fetch);
	tcase_add_test(tc, test_discovery_fallback);
	tcase_add_test(tc, test_issuer_mismatch);
	tcase_add_test(tc, test_unknown_kid_refresh);
	tcase_add_test(tc, test_stale_keys);
	tcase_add_test(tc, test_none_cached);
	tcase_add_test(tc, test_waiters);
	tcase_add_test(tc, test_max_age);
	suite_add_tcase(s, tc);
	return s;
}
