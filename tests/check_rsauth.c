/* SPDX-License-Identifier: ISC */
/*
 * check_rsauth.c: the decision for one request (rsauth.c) with keys and
 * introspection over a fake HTTP (rstest.h): issue 19's negative table
 * at this level (expired, not yet valid, wrong aud, wrong iss, a bad
 * signature, alg none, unknown kid -> 503 until a refresh may run, then
 * one refresh -> 401, endpoint down with keys cached -> ok, none cached
 * -> 503), static tokens first, scopes and step-up (never on part of a
 * request's needs), opaque tokens, cancelled requests, the counters.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "base64.h"
#include "checktest.h"
#include "introspect.h"
#include "jwks.h"
#include "principal.h"
#include "rsauth.h"
#include "rstest.h"
#include "xmalloc.h"

#define MD_URL	"https://bridge.example/.well-known/" \
		    "oauth-protected-resource/mcp"

static struct jwks		*jw;
static struct introspect	*ix;
static struct auth		*tokens;
static int			 called;
static struct rsauth_result	 last;

static void
done(struct rsauth_result *r, void *arg)
{
	(void)arg;
	called++;
	rsauth_result_free(&last);
	last = *r;
}

/* A decider over issuer RST_ISSUER; with keys, k1 is fetched already. */
static struct rsauth *
setup(int keys, const char *const *scopes, size_t nscopes)
{
	struct rsauth_config	 c;
	struct introspect_config ic;
	struct rsauth		*ra;
	const char		*cause = NULL;
	char			*err = NULL, *set;

	rst_clock_reset();
	called = 0;
	memset(&last, 0, sizeof last);
	tokens = auth_parse("static-secret", 0, &err);
	ck_assert_ptr_nonnull(tokens);
	jw = jwks_new(&rst_ops, NULL, rst_clock_ms);
	ck_assert_int_eq(jwks_add(jw, RST_ISSUER, &cause), 0);
	jwks_start(jw);
	if (keys) {
		rst_answer_url(RST_METADATA, 200, NULL, rst_metadata());
		set = rst_jwks(0);
		rst_answer_url(RST_JWKS_URI, 200, NULL, set);
		free(set);
	}
	memset(&ic, 0, sizeof ic);
	ic.issuer = RST_ISSUER;
	/* The endpoint from the issuer's metadata, when it comes. */
	ic.from = jwks_issuer(jw, 0);
	ic.client_id = "bridge";
	ic.client_secret = "secret";
	ic.resource = RST_RESOURCE;
	ix = introspect_new(&ic, &rst_ops, NULL, rst_time, &cause);
	ck_assert_ptr_nonnull(ix);
	memset(&c, 0, sizeof c);
	c.tokens = tokens;
	c.jwks = jw;
	c.introspect = ix;
	c.resource = RST_RESOURCE;
	c.leeway = 60;
	c.scopes = scopes;
	c.nscopes = nscopes;
	c.metadata_url = MD_URL;
	c.now = rst_time;
	ra = rsauth_new(&c, &cause);
	ck_assert_msg(ra != NULL, "%s", cause);
	return ra;
}

static void
teardown(struct rsauth *ra)
{
	rsauth_free(ra);
	introspect_free(ix);
	jwks_free(jw);
	auth_free(tokens);
	rsauth_result_free(&last);
	rst_reset();
}

/* Checks "Bearer tok" needing scopes: at once, into *r. */
static enum rsauth_status
decide(struct rsauth *ra, const char *tok, const char *const *scopes,
    size_t n, struct rsauth_result *r, struct rsauth_req **q)
{
	char			*h = NULL;
	enum rsauth_status	 st;

	if (tok != NULL)
		xasprintf(&h, "Bearer %s", tok);
	st = rsauth_check(ra, h, scopes, n, r, done, NULL, q);
	free(h);
	return st;
}

/* A JWT with patch over the default claims, signed by k1: its outcome. */
static enum rsauth_outcome
jwt_outcome(struct rsauth *ra, int key, const char *kid, const char *patch,
    enum rsauth_status want)
{
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	enum rsauth_outcome	 o;
	char			*tok = rst_token(key, kid, patch);

	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), want);
	ck_assert_ptr_null(q);
	if (want == RSAUTH_UNAUTHORIZED) {
		ck_assert_ptr_nonnull(strstr(r.www_authenticate,
		    "error=\"invalid_token\""));
		/* The token is in no header. */
		ck_assert_ptr_null(strstr(r.www_authenticate, tok));
		ck_assert_ptr_null(r.claims.sub);
	}
	o = r.outcome;
	rsauth_result_free(&r);
	free(tok);
	return o;
}

START_TEST(test_no_token)
{
	const char		*scopes[] = { "mcp" };
	struct rsauth		*ra = setup(1, scopes, 1);
	struct rsauth_result	 r;
	struct rsauth_req	*q;

	ck_assert_int_eq(decide(ra, NULL, NULL, 0, &r, &q),
	    RSAUTH_UNAUTHORIZED);
	ck_assert_str_eq(r.www_authenticate, "Bearer scope=\"mcp\", "
	    "resource_metadata=\"" MD_URL "\"");
	ck_assert_int_eq(r.outcome, RSAUTH_O_NO_TOKEN);
	rsauth_result_free(&r);
	ck_assert_int_eq(rsauth_check(ra, "Basic YTpi", NULL, 0, &r, done,
	    NULL, &q), RSAUTH_UNAUTHORIZED);
	rsauth_result_free(&r);
	ck_assert_int_eq(rsauth_check(ra, "Bearer ", NULL, 0, &r, done,
	    NULL, &q), RSAUTH_UNAUTHORIZED);
	rsauth_result_free(&r);
	ck_assert_uint_eq(rsauth_count(ra, RSAUTH_O_NO_TOKEN), 3);
	teardown(ra);
}
END_TEST

START_TEST(test_static_first)
{
	const char		*scopes[] = { "mcp", "admin" };
	struct rsauth		*ra = setup(1, scopes, 2);
	struct rsauth_result	 r;
	struct rsauth_req	*q;

	/* Static tokens pass with no scope check and no fetch. */
	ck_assert_int_eq(decide(ra, "static-secret", NULL, 0, &r, &q),
	    RSAUTH_OK);
	ck_assert_int_eq(r.static_index, 0);
	ck_assert_uint_eq(r.principal, 1);
	ck_assert_int_eq(r.outcome, RSAUTH_O_STATIC);
	rsauth_result_free(&r);
	ck_assert_uint_eq(rst_live(), 0);
	teardown(ra);
}
END_TEST

START_TEST(test_jwt_ok)
{
	const char		*scopes[] = { "mcp" };
	struct rsauth		*ra = setup(1, scopes, 1);
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	char			*tok = rst_token(1, "k1", NULL);

	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_OK);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(r.outcome, RSAUTH_O_OK);
	ck_assert_int_eq(r.static_index, -1);
	ck_assert_str_eq(r.claims.sub, "alice");
	ck_assert_uint_eq(r.principal, principal_id(RST_ISSUER, "alice"));
	ck_assert_ptr_null(r.www_authenticate);
	rsauth_result_free(&r);
	free(tok);
	/* A refreshed token (other exp) is the same principal. */
	tok = rst_token(1, "k1", "{\"exp\":1767229000}");
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_OK);
	ck_assert_uint_eq(r.principal, principal_id(RST_ISSUER, "alice"));
	rsauth_result_free(&r);
	free(tok);
	ck_assert_uint_eq(rsauth_count(ra, RSAUTH_O_OK), 2);
	teardown(ra);
}
END_TEST

START_TEST(test_negative_table)
{
	struct rsauth	*ra = setup(1, NULL, 0);
	char		 buf[256];
	char		*hdr, *pl, *none;

	snprintf(buf, sizeof buf, "{\"exp\":%lld}", RST_NOW - 61);
	ck_assert_int_eq(jwt_outcome(ra, 1, "k1", buf, RSAUTH_UNAUTHORIZED),
	    RSAUTH_O_EXPIRED);
	snprintf(buf, sizeof buf, "{\"nbf\":%lld}", RST_NOW + 61);
	ck_assert_int_eq(jwt_outcome(ra, 1, "k1", buf, RSAUTH_UNAUTHORIZED),
	    RSAUTH_O_NOT_YET_VALID);
	ck_assert_int_eq(jwt_outcome(ra, 1, "k1",
	    "{\"aud\":\"https://other.example/mcp\"}", RSAUTH_UNAUTHORIZED),
	    RSAUTH_O_BAD_AUDIENCE);
	/* An issuer not configured: never verified with ours. */
	ck_assert_int_eq(jwt_outcome(ra, 1, "k1",
	    "{\"iss\":\"https://evil.example\"}", RSAUTH_UNAUTHORIZED),
	    RSAUTH_O_BAD_ISSUER);
	/* Signed by k2 under k1's kid: a bad signature. */
	ck_assert_int_eq(jwt_outcome(ra, 2, "k1", NULL, RSAUTH_UNAUTHORIZED),
	    RSAUTH_O_BAD_SIGNATURE);
	ck_assert_int_eq(jwt_outcome(ra, 1, "k1", "{\"sub\":\"\"}",
	    RSAUTH_UNAUTHORIZED), RSAUTH_O_BAD_CLAIMS);
	/* alg none. */
	hdr = base64_encode("{\"alg\":\"none\"}", 14, BASE64_URL |
	    BASE64_NOPAD);
	pl = base64_encode("{\"iss\":\"" RST_ISSUER "\"}",
	    strlen("{\"iss\":\"" RST_ISSUER "\"}"), BASE64_URL | BASE64_NOPAD);
	xasprintf(&none, "%s.%s.", hdr, pl);
	{
		struct rsauth_result	 r;
		struct rsauth_req	*q;

		ck_assert_int_eq(decide(ra, none, NULL, 0, &r, &q),
		    RSAUTH_UNAUTHORIZED);
		ck_assert_int_ne(r.outcome, RSAUTH_O_OK);
		rsauth_result_free(&r);
		/* Two dots but no JWS, and no introspection for it. */
		ck_assert_int_eq(decide(ra, "a.b.c", NULL, 0, &r, &q),
		    RSAUTH_UNAUTHORIZED);
		ck_assert_int_eq(r.outcome, RSAUTH_O_MALFORMED);
		rsauth_result_free(&r);
	}
	free(hdr);
	free(pl);
	free(none);
	ck_assert_uint_eq(rsauth_count(ra, RSAUTH_O_EXPIRED), 1);
	/* Nothing was fetched for any of them. */
	ck_assert_uint_eq(rst_live(), 0);
	teardown(ra);
}
END_TEST

START_TEST(test_unknown_kid)
{
	struct rsauth		*ra = setup(1, NULL, 0);
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	char			*tok = rst_token(2, "k2", NULL), *set;

	/* Fetched just now: no refetch, and the key may have been
	 * published since (a rotation): 503 until a refresh may run, with
	 * the seconds until then, not a 401 that makes the client drop a
	 * good token. */
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q),
	    RSAUTH_UNAVAILABLE);
	ck_assert_int_eq(r.outcome, RSAUTH_O_KEYS_UNAVAILABLE);
	ck_assert_int_eq(r.retry_after, JWKS_MIN_REFRESH);
	ck_assert_ptr_null(r.www_authenticate);
	rsauth_result_free(&r);
	rst_advance(JWKS_MIN_REFRESH - 20);
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q),
	    RSAUTH_UNAVAILABLE);
	ck_assert_int_eq(r.retry_after, 20);
	rsauth_result_free(&r);
	ck_assert_uint_eq(rst_started(RST_JWKS_URI), 1);
	/* A minute on: one refresh, the set still without k2: 401. */
	rst_advance(JWKS_MIN_REFRESH);
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_PENDING);
	ck_assert_ptr_nonnull(q);
	set = rst_jwks(0);
	rst_answer_url(RST_JWKS_URI, 200, NULL, set);
	free(set);
	ck_assert_int_eq(called, 1);
	ck_assert_int_eq(last.status, RSAUTH_UNAUTHORIZED);
	ck_assert_int_eq(last.outcome, RSAUTH_O_UNKNOWN_KID);
	ck_assert_uint_eq(rst_started(RST_JWKS_URI), 2);
	/* And a flood of unknown kids fetches nothing more: 503 until
	 * the next refresh may run. */
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q),
	    RSAUTH_UNAVAILABLE);
	ck_assert_int_eq(r.retry_after, JWKS_MIN_REFRESH);
	rsauth_result_free(&r);
	ck_assert_uint_eq(rst_started(RST_JWKS_URI), 2);
	/* A rotated key: the refresh finds it. */
	rst_advance(JWKS_MIN_REFRESH);
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_PENDING);
	set = rst_jwks(1);
	rst_answer_url(RST_JWKS_URI, 200, NULL, set);
	free(set);
	ck_assert_int_eq(called, 2);
	ck_assert_int_eq(last.status, RSAUTH_OK);
	ck_assert_str_eq(last.claims.sub, "alice");
	free(tok);
	teardown(ra);
}
END_TEST

START_TEST(test_keys_down)
{
	struct rsauth		*ra = setup(1, NULL, 0);
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	char			*tok = rst_token(1, "k1", NULL);

	/* Expired keys, the endpoint down: the cached keys serve. */
	rst_advance(JWKS_TTL_DEFAULT);
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_OK);
	rsauth_result_free(&r);
	rst_fail(rst_find(RST_JWKS_URI), "Connection refused");
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_OK);
	rsauth_result_free(&r);
	free(tok);
	teardown(ra);
}
END_TEST

START_TEST(test_no_keys)
{
	struct rsauth		*ra = setup(0, NULL, 0);
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	char			*tok = rst_token(1, "k1", NULL);

	/* The first fetch is running: the request waits for it; it fails:
	 * 503, not 401. */
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_PENDING);
	rst_fail(rst_find(RST_METADATA), "Connection refused");
	rst_fail(rst_find("https://as.example/.well-known/"
	    "openid-configuration"), "Connection refused");
	ck_assert_int_eq(called, 1);
	ck_assert_int_eq(last.status, RSAUTH_UNAVAILABLE);
	ck_assert_int_eq(last.outcome, RSAUTH_O_KEYS_UNAVAILABLE);
	ck_assert_int_eq(last.retry_after, RSAUTH_RETRY_AFTER);
	ck_assert_ptr_null(last.www_authenticate);
	/* Backing off: 503 at once. */
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q),
	    RSAUTH_UNAVAILABLE);
	rsauth_result_free(&r);
	ck_assert_uint_eq(rsauth_count(ra, RSAUTH_O_KEYS_UNAVAILABLE), 2);
	free(tok);
	teardown(ra);
}
END_TEST

START_TEST(test_scopes)
{
	const char		*scopes[] = { "mcp" };
	const char		*tool[] = { "tools:admin", "mcp" };
	struct rsauth		*ra = setup(1, scopes, 1);
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	char			*tok = rst_token(1, "k1", NULL);

	/* The token holds "mcp": enough for every request ... */
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_OK);
	rsauth_result_free(&r);
	/* ... not for the tool: 403 naming all it needs. */
	ck_assert_int_eq(decide(ra, tok, tool, 2, &r, &q), RSAUTH_FORBIDDEN);
	ck_assert_int_eq(r.outcome, RSAUTH_O_INSUFFICIENT_SCOPE);
	ck_assert_str_eq(r.www_authenticate, "Bearer error="
	    "\"insufficient_scope\", scope=\"mcp tools:admin\", "
	    "resource_metadata=\"" MD_URL "\"");
	ck_assert_ptr_null(r.claims.sub);
	rsauth_result_free(&r);
	free(tok);
	/* Stepped up. */
	tok = rst_token(1, "k1", "{\"scope\":\"tools:admin mcp\"}");
	ck_assert_int_eq(decide(ra, tok, tool, 2, &r, &q), RSAUTH_OK);
	rsauth_result_free(&r);
	free(tok);
	/* Without "mcp" nothing passes. */
	tok = rst_token(1, "k1", "{\"scope\":\"other\"}");
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_FORBIDDEN);
	rsauth_result_free(&r);
	free(tok);
	teardown(ra);
}
END_TEST

/* A request that needs more scopes than the bound is never let through
 * on the first RSAUTH_MAX_SCOPES alone (a batch's 65th scope). */
START_TEST(test_too_many_scopes)
{
	const char		*need[RSAUTH_MAX_SCOPES + 1];
	char			*names[RSAUTH_MAX_SCOPES + 1], *patch, *tok;
	struct rsauth		*ra = setup(1, NULL, 0);
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	size_t			 i, len = 0;

	patch = xmalloc(16 + 8 * (RSAUTH_MAX_SCOPES + 1));
	len = (size_t)sprintf(patch, "{\"scope\":\"");
	for (i = 0; i <= RSAUTH_MAX_SCOPES; i++) {
		xasprintf(&names[i], "s%zu", i + 1);
		need[i] = names[i];
		if (i < RSAUTH_MAX_SCOPES)	/* the token lacks the last */
			len += (size_t)sprintf(patch + len, "%s%s",
			    i > 0 ? " " : "", names[i]);
	}
	sprintf(patch + len, "\"}");
	tok = rst_token(1, "k1", patch);
	ck_assert_int_eq(decide(ra, tok, need, RSAUTH_MAX_SCOPES, &r, &q),
	    RSAUTH_OK);
	rsauth_result_free(&r);
	ck_assert_int_eq(decide(ra, tok, need, RSAUTH_MAX_SCOPES + 1, &r, &q),
	    RSAUTH_FORBIDDEN);
	ck_assert_int_eq(r.outcome, RSAUTH_O_INSUFFICIENT_SCOPE);
	ck_assert_ptr_null(r.claims.sub);
	rsauth_result_free(&r);
	free(tok);
	free(patch);
	for (i = 0; i <= RSAUTH_MAX_SCOPES; i++)
		free(names[i]);
	teardown(ra);
}
END_TEST

START_TEST(test_opaque)
{
	struct rsauth		*ra = setup(1, NULL, 0);
	struct rsauth_result	 r;
	struct rsauth_req	*q;

	ck_assert_int_eq(decide(ra, "opaque-1", NULL, 0, &r, &q),
	    RSAUTH_PENDING);
	rst_answer_url(RST_INTROSPECT, 200, NULL, "{\"active\":true,"
	    "\"aud\":\"" RST_RESOURCE "\",\"sub\":\"bob\"}");
	ck_assert_int_eq(called, 1);
	ck_assert_int_eq(last.status, RSAUTH_OK);
	ck_assert_uint_eq(last.principal, principal_id(RST_ISSUER, "bob"));
	/* Cached now. */
	ck_assert_int_eq(decide(ra, "opaque-1", NULL, 0, &r, &q), RSAUTH_OK);
	rsauth_result_free(&r);
	ck_assert_int_eq(decide(ra, "opaque-2", NULL, 0, &r, &q),
	    RSAUTH_PENDING);
	rst_answer_url(RST_INTROSPECT, 200, NULL, "{\"active\":false}");
	ck_assert_int_eq(last.status, RSAUTH_UNAUTHORIZED);
	ck_assert_int_eq(last.outcome, RSAUTH_O_INACTIVE);
	ck_assert_int_eq(decide(ra, "opaque-3", NULL, 0, &r, &q),
	    RSAUTH_PENDING);
	rst_fail(rst_find(RST_INTROSPECT), "timed out");
	ck_assert_int_eq(last.status, RSAUTH_UNAVAILABLE);
	ck_assert_int_eq(last.outcome, RSAUTH_O_INTROSPECTION_ERROR);
	ck_assert_int_eq(called, 3);
	teardown(ra);
}
END_TEST

START_TEST(test_cancel)
{
	struct rsauth		*ra = setup(0, NULL, 0);
	struct rsauth_result	 r;
	struct rsauth_req	*q, *q2;
	char			*tok = rst_token(1, "k1", NULL), *set;

	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_PENDING);
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q2), RSAUTH_PENDING);
	/* The first client left. */
	rsauth_cancel(q);
	rst_answer_url(RST_METADATA, 200, NULL, rst_metadata());
	set = rst_jwks(0);
	rst_answer_url(RST_JWKS_URI, 200, NULL, set);
	free(set);
	ck_assert_int_eq(called, 1);
	ck_assert_int_eq(last.status, RSAUTH_OK);
	/* Pending when freed: dropped, no callback. */
	ck_assert_int_eq(decide(ra, "opaque", NULL, 0, &r, &q),
	    RSAUTH_PENDING);
	rsauth_free(ra);
	ck_assert_int_eq(called, 1);
	introspect_free(ix);
	jwks_free(jw);
	auth_free(tokens);
	rsauth_result_free(&last);
	rst_reset();
	free(tok);
}
END_TEST

START_TEST(test_introspection_only)
{
	struct rsauth		*ra = setup(0, NULL, 0);
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	struct rst_req		*req;
	char			*tok = rst_token(1, "k1", NULL);

	/* No metadata yet: no endpoint to ask, 503. */
	ck_assert_int_eq(decide(ra, "opaque", NULL, 0, &r, &q),
	    RSAUTH_UNAVAILABLE);
	ck_assert_int_eq(r.outcome, RSAUTH_O_INTROSPECTION_ERROR);
	rsauth_result_free(&r);
	/* An issuer with no JWK Set: even its JWTs are introspected, with
	 * the auth method its metadata names. */
	rst_answer_url(RST_METADATA, 200, NULL, "{\"issuer\":\"" RST_ISSUER
	    "\",\"introspection_endpoint\":\"" RST_INTROSPECT "\","
	    "\"introspection_endpoint_auth_methods_supported\":"
	    "[\"client_secret_post\"]}");
	ck_assert(jwks_ready(jw));
	ck_assert_int_eq(decide(ra, tok, NULL, 0, &r, &q), RSAUTH_PENDING);
	req = rst_find(RST_INTROSPECT);
	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_null(req->authorization);
	ck_assert_ptr_nonnull(strstr(req->body, "&client_secret=secret"));
	rst_answer(req, 200, NULL, "{\"active\":true,\"aud\":\""
	    RST_RESOURCE "\",\"sub\":\"alice\"}");
	ck_assert_int_eq(last.status, RSAUTH_OK);
	ck_assert_uint_eq(last.principal, principal_id(RST_ISSUER, "alice"));
	free(tok);
	teardown(ra);
}
END_TEST

START_TEST(test_names)
{
	int	o;

	for (o = 0; o < RSAUTH_O_NOUTCOMES; o++)
		ck_assert_ptr_nonnull(rsauth_outcome_name(o));
	ck_assert_str_eq(rsauth_outcome_name(RSAUTH_O_BAD_AUDIENCE),
	    "bad_audience");
	ck_assert_str_eq(rsauth_outcome_name(RSAUTH_O_NOUTCOMES), "unknown");
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("rsauth");
	TCase	*tc = tcase_create("decide");

	rst_keys_init();
	tcase_add_test(tc, test_no_token);
	tcase_add_test(tc, test_static_first);
	tcase_add_test(tc, test_jwt_ok);
	tcase_add_test(tc, test_negative_table);
	tcase_add_test(tc, test_unknown_kid);
	tcase_add_test(tc, test_keys_down);
	tcase_add_test(tc, test_no_keys);
	tcase_add_test(tc, test_scopes);
	tcase_add_test(tc, test_too_many_scopes);
	tcase_add_test(tc, test_opaque);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_introspection_only);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
