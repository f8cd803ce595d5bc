/* SPDX-License-Identifier: ISC */
/*
 * check_introspect.c: opaque tokens at the introspection endpoint
 * (introspect.c) over a fake HTTP (rstest.h): the request (client
 * credentials both ways, the token form-encoded), the answer's checks,
 * the cache (by hash, bounded by exp and the ttl, negative answers
 * short), one request shared by concurrent checks, errors never cached.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checktest.h"
#include "introspect.h"
#include "rstest.h"

#define TOKEN	"opaque-token+/="
#define SECRET	"s3cr:et"

static int			 called;
static struct introspect_answer	 last;

static void
got(struct introspect_answer *a, void *arg)
{
	(void)arg;
	called++;
	jwt_claims_free(&last.claims);
	last = *a;
}

static struct introspect *
ix_new(enum asmeta_auth auth, int ttl)
{
	struct introspect_config c = {
		.issuer = RST_ISSUER,
		.endpoint = RST_INTROSPECT,
		.auth = auth,
		.client_id = "bridge",
		.client_secret = SECRET,
		.resource = RST_RESOURCE,
		.leeway = 60,
		.ttl = ttl,
	};
	struct introspect	*ix;
	const char		*cause = NULL;

	rst_clock_reset();
	called = 0;
	memset(&last, 0, sizeof last);
	ix = introspect_new(&c, &rst_ops, NULL, rst_time, &cause);
	ck_assert_msg(ix != NULL, "%s", cause);
	return ix;
}

static enum introspect_result
check(struct introspect *ix, const char *tok, struct introspect_answer *a,
    struct introspect_wait **w)
{
	return introspect_check(ix, tok, strlen(tok), a, got, NULL, w);
}

static char *
active(const char *extra)
{
	char	*s;

	if (asprintf(&s, "{\"active\":true,\"iss\":\"" RST_ISSUER "\","
	    "\"aud\":[\"other\",\"" RST_RESOURCE "\"],\"sub\":\"alice\","
	    "\"client_id\":\"app\",\"scope\":\"mcp  tools:x\","
	    "\"exp\":%lld%s}", (long long)RST_NOW + 3600, extra) == -1)
		abort();
	return s;
}

START_TEST(test_request)
{
	struct introspect	*ix;
	struct introspect_answer a;
	struct introspect_wait	*w;
	struct rst_req		*r;

	ix = ix_new(ASMETA_AUTH_BASIC, 0);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	r = rst_find(RST_INTROSPECT);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->method, "POST");
	ck_assert_str_eq(r->body,
	    "token=opaque-token%2B%2F%3D&token_type_hint=access_token");
	/* base64("bridge:s3cr%3Aet") */
	ck_assert_str_eq(r->authorization, "Basic YnJpZGdlOnMzY3IlM0FldA==");
	rst_answer(r, 200, NULL, "{\"active\":false}");
	introspect_free(ix);
	rst_reset();

	ix = ix_new(ASMETA_AUTH_POST, 0);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	r = rst_find(RST_INTROSPECT);
	ck_assert_ptr_null(r->authorization);
	ck_assert_str_eq(r->body,
	    "token=opaque-token%2B%2F%3D&token_type_hint=access_token"
	    "&client_id=bridge&client_secret=s3cr%3Aet");
	rst_answer(r, 200, NULL, "{\"active\":false}");
	introspect_free(ix);
	rst_reset();
}
END_TEST

START_TEST(test_active_cached)
{
	struct introspect	*ix;
	struct introspect_answer a;
	struct introspect_wait	*w, *w2;
	char			*body;

	ix = ix_new(ASMETA_AUTH_BASIC, 120);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	/* A second request with the token shares the introspection. */
	ck_assert_int_eq(check(ix, TOKEN, &a, &w2), INTROSPECT_PENDING);
	ck_assert_uint_eq(rst_started(NULL), 1);
	body = active("");
	rst_answer_url(RST_INTROSPECT, 200, NULL, body);
	free(body);
	ck_assert_int_eq(called, 2);
	ck_assert_int_eq(last.result, INTROSPECT_ACTIVE);
	ck_assert_str_eq(last.claims.iss, RST_ISSUER);
	ck_assert_str_eq(last.claims.sub, "alice");
	ck_assert_str_eq(last.claims.client_id, "app");
	ck_assert_uint_eq(last.claims.nscopes, 2);
	ck_assert_str_eq(last.claims.scopes[1], "tools:x");
	ck_assert_int_eq(last.claims.exp, RST_NOW + 3600);
	ck_assert_ptr_nonnull(last.claims.payload);
	/* Cached: answered at once, no request. */
	rst_advance(119);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_ACTIVE);
	ck_assert_str_eq(a.claims.sub, "alice");
	jwt_claims_free(&a.claims);
	ck_assert_uint_eq(rst_started(NULL), 1);
	ck_assert_uint_eq(introspect_cached(ix), 1);
	/* Past the ttl: asked again. */
	rst_advance(1);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	ck_assert_uint_eq(rst_started(NULL), 2);
	introspect_cancel(w);
	ck_assert_uint_eq(introspect_count(ix, INTROSPECT_ACTIVE), 1);
	introspect_free(ix);
	jwt_claims_free(&last.claims);
	rst_reset();
}
END_TEST

START_TEST(test_exp_bounds_cache)
{
	struct introspect	*ix;
	struct introspect_answer a;
	struct introspect_wait	*w;
	char			*body;

	ix = ix_new(ASMETA_AUTH_BASIC, 3600);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	if (asprintf(&body, "{\"active\":true,\"aud\":\"" RST_RESOURCE "\","
	    "\"sub\":\"alice\",\"exp\":%lld}", (long long)RST_NOW + 30) == -1)
		abort();
	rst_answer_url(RST_INTROSPECT, 200, NULL, body);
	free(body);
	ck_assert_int_eq(last.result, INTROSPECT_ACTIVE);
	/* No iss in the answer: the endpoint's issuer. */
	ck_assert_str_eq(last.claims.iss, RST_ISSUER);
	rst_advance(29);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_ACTIVE);
	jwt_claims_free(&a.claims);
	rst_advance(1);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	introspect_free(ix);
	jwt_claims_free(&last.claims);
	rst_reset();
}
END_TEST

static void
judge(const char *body, enum introspect_result want, enum jwt_result jr)
{
	struct introspect	*ix;
	struct introspect_answer a;
	struct introspect_wait	*w;

	ix = ix_new(ASMETA_AUTH_BASIC, 0);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	rst_answer_url(RST_INTROSPECT, 200, NULL, body);
	ck_assert_int_eq(called, 1);
	ck_assert_msg(last.result == want, "%s: %s", body,
	    introspect_result_name(last.result));
	ck_assert_int_eq(last.jwt, jr);
	ck_assert(want == INTROSPECT_ACTIVE || last.claims.sub == NULL);
	jwt_claims_free(&last.claims);
	/* Refusals are cached for INTROSPECT_NEG_TTL, errors not at all. */
	if (want == INTROSPECT_INACTIVE || want == INTROSPECT_REFUSED) {
		ck_assert_int_eq(check(ix, TOKEN, &a, &w), want);
		rst_advance(INTROSPECT_NEG_TTL);
		ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
		introspect_cancel(w);
	} else if (want == INTROSPECT_ERROR) {
		ck_assert_uint_eq(introspect_cached(ix), 0);
	}
	introspect_free(ix);
	rst_reset();
}

START_TEST(test_answers)
{
	char	buf[512];

	judge("{\"active\":false,\"sub\":\"alice\"}", INTROSPECT_INACTIVE,
	    JWT_OK);
	judge("{\"active\":true,\"aud\":\"" RST_RESOURCE "\","
	    "\"sub\":\"alice\"}", INTROSPECT_ACTIVE, JWT_OK);
	judge("{\"active\":true,\"aud\":\"https://other.example/mcp\","
	    "\"sub\":\"alice\"}", INTROSPECT_REFUSED, JWT_BAD_AUDIENCE);
	judge("{\"active\":true,\"sub\":\"alice\"}", INTROSPECT_REFUSED,
	    JWT_BAD_AUDIENCE);
	judge("{\"active\":true,\"iss\":\"https://evil.example\",\"aud\":\""
	    RST_RESOURCE "\",\"sub\":\"alice\"}", INTROSPECT_REFUSED,
	    JWT_BAD_ISSUER);
	judge("{\"active\":true,\"aud\":\"" RST_RESOURCE "\"}",
	    INTROSPECT_REFUSED, JWT_BAD_CLAIMS);
	judge("{\"active\":true,\"aud\":\"" RST_RESOURCE "\",\"sub\":1}",
	    INTROSPECT_REFUSED, JWT_BAD_CLAIMS);
	judge("{\"active\":true,\"aud\":\"" RST_RESOURCE "\",\"sub\":\"a\","
	    "\"scope\":\"a\\\"b\"}", INTROSPECT_REFUSED, JWT_BAD_CLAIMS);
	snprintf(buf, sizeof buf, "{\"active\":true,\"aud\":\"" RST_RESOURCE
	    "\",\"sub\":\"a\",\"exp\":%lld}", RST_NOW - 61);
	judge(buf, INTROSPECT_REFUSED, JWT_EXPIRED);
	snprintf(buf, sizeof buf, "{\"active\":true,\"aud\":\"" RST_RESOURCE
	    "\",\"sub\":\"a\",\"nbf\":%lld}", RST_NOW + 61);
	judge(buf, INTROSPECT_REFUSED, JWT_NOT_YET_VALID);
	judge("{\"active\":\"true\"}", INTROSPECT_ERROR, JWT_OK);
	judge("not json", INTROSPECT_ERROR, JWT_OK);
	judge("[]", INTROSPECT_ERROR, JWT_OK);
}
END_TEST

START_TEST(test_errors)
{
	struct introspect	*ix;
	struct introspect_answer a;
	struct introspect_wait	*w, *w2;

	ix = ix_new(ASMETA_AUTH_BASIC, 0);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w2), INTROSPECT_PENDING);
	/* The first request's client left. */
	introspect_cancel(w);
	rst_fail(rst_find(RST_INTROSPECT), "Connection refused");
	ck_assert_int_eq(called, 1);
	ck_assert_int_eq(last.result, INTROSPECT_ERROR);
	ck_assert_uint_eq(introspect_cached(ix), 0);
	ck_assert_uint_eq(introspect_count(ix, INTROSPECT_ERROR), 1);
	ck_assert_int_eq(check(ix, TOKEN, &a, &w), INTROSPECT_PENDING);
	rst_answer_url(RST_INTROSPECT, 500, NULL, "oops");
	ck_assert_int_eq(last.result, INTROSPECT_ERROR);
	/* Too long a token is never sent. */
	ck_assert_int_eq(introspect_check(ix, TOKEN, JWT_MAX_TOKEN_LEN + 1,
	    &a, got, NULL, &w), INTROSPECT_REFUSED);
	ck_assert_int_eq(a.jwt, JWT_MALFORMED);
	/* Freed with one pending: no callback. */
	ck_assert_int_eq(check(ix, "other", &a, &w), INTROSPECT_PENDING);
	introspect_free(ix);
	ck_assert_int_eq(called, 2);
	ck_assert_uint_eq(rst_live(), 0);
	rst_reset();
}
END_TEST

START_TEST(test_config)
{
	struct introspect_config c = {
		.issuer = RST_ISSUER, .endpoint = RST_INTROSPECT,
		.client_id = "bridge", .client_secret = "",
		.resource = RST_RESOURCE,
	};
	const char	*cause = NULL;

	ck_assert_ptr_null(introspect_new(&c, &rst_ops, NULL, NULL, &cause));
	ck_assert_ptr_nonnull(cause);
	/* The cause never holds the secret. */
	c.client_secret = "hunter2";
	c.ttl = INTROSPECT_TTL_MAX + 1;
	ck_assert_ptr_null(introspect_new(&c, &rst_ops, NULL, NULL, &cause));
	ck_assert_ptr_null(strstr(cause, "hunter2"));
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("introspect");
	TCase	*tc = tcase_create("cache");

	tcase_add_test(tc, test_request);
	tcase_add_test(tc, test_active_cached);
	tcase_add_test(tc, test_exp_bounds_cache);
	tcase_add_test(tc, test_answers);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_config);
	suite_add_tcase(s, tc);
	return s;
}
