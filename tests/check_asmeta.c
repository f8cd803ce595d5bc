/* SPDX-License-Identifier: ISC */
/*
 * check_asmeta.c: authorization server metadata (asmeta.c): the
 * well-known URLs of an issuer in the order they are tried, and a
 * document held to the configured issuer and the URL policy.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "asmeta.h"
#include "checktest.h"
#include "xmalloc.h"

static void
wk_is(const char *issuer, int i, const char *want)
{
	char	*s = asmeta_wellknown_url(issuer, i);

	if (want == NULL)
		ck_assert_ptr_null(s);
	else {
		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(s, want);
	}
	free(s);
}

START_TEST(test_wellknown)
{
	/* RFC 8414 3.1: inserted; OIDC: inserted, then appended. */
	wk_is("https://kc.example/realms/acme", 0,
	    "https://kc.example/.well-known/oauth-authorization-server"
	    "/realms/acme");
	wk_is("https://kc.example/realms/acme", 1,
	    "https://kc.example/.well-known/openid-configuration/realms/acme");
	wk_is("https://kc.example/realms/acme", 2,
	    "https://kc.example/realms/acme/.well-known/openid-configuration");
	/* A trailing slash does not make "//" (Auth0 issuers end in one). */
	wk_is("https://t.auth0.example/", 0,
	    "https://t.auth0.example/.well-known/oauth-authorization-server");
	wk_is("https://t.auth0.example/", 2, NULL);
	wk_is("https://as.example", 1,
	    "https://as.example/.well-known/openid-configuration");
	wk_is("https://as.example", 2, NULL);
	wk_is("http://127.0.0.1:9000/oidc", 2,
	    "http://127.0.0.1:9000/oidc/.well-known/openid-configuration");
	/* Out of range, or not an issuer. */
	wk_is("https://as.example", 3, NULL);
	wk_is("https://as.example", -1, NULL);
	wk_is("http://as.example", 0, NULL);
	wk_is("https://as.example/?q=1", 0, NULL);
	wk_is("https://as.example/#f", 0, NULL);
	wk_is("https://user@as.example/", 0, NULL);
	wk_is("ftp://as.example/", 0, NULL);
	/* Printable ASCII only: no raw UTF-8 or spaces. */
	wk_is("https://as.example/r\xc3\xa9" "alm", 0, NULL);
	wk_is("https://as.example/a b", 0, NULL);
	/* Found by fuzz_asmeta: libcurl takes "https:/x", whose first "://"
	 * is in the path; the origin is never looked for there. */
	wk_is("https:/ttps://k/kc.example", 0, NULL);
	wk_is("HTTPS://as.example/x", 0,
	    "HTTPS://as.example/.well-known/oauth-authorization-server/x");
	wk_is("", 0, NULL);
}
END_TEST

START_TEST(test_issuer_check)
{
	const char	*cause = NULL;
	char		*longurl;

	ck_assert_int_eq(asmeta_issuer_check("https://as.example", &cause), 0);
	ck_assert_int_eq(asmeta_issuer_check("http://localhost:8080/x",
	    &cause), 0);
	ck_assert_int_eq(asmeta_issuer_check("http://as.example", &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_int_eq(asmeta_issuer_check(NULL, &cause), -1);
	longurl = xmalloc(ASMETA_MAX_URL_LEN + 32);
	strcpy(longurl, "https://as.example/");
	memset(longurl + strlen(longurl), 'a', ASMETA_MAX_URL_LEN);
	longurl[ASMETA_MAX_URL_LEN + 10] = '\0';
	ck_assert_int_eq(asmeta_issuer_check(longurl, &cause), -1);
	ck_assert_str_eq(cause, "issuer is too long");
	free(longurl);
}
END_TEST

static struct asmeta *
parse(const char *doc, const char *issuer, const char **cause)
{
	*cause = NULL;
	return asmeta_parse(doc, strlen(doc), issuer, cause);
}

static char *
hint(const char *body, const char *issuer)
{
	return asmeta_issuer_hint(body, strlen(body), issuer);
}

/* What the operator is told when the document names another issuer. */
START_TEST(test_issuer_hint)
{
	char	*h;

	h = hint("{\"issuer\":\"http://127.0.0.1:9000\"}",
	    "http://127.0.0.1:9000/");
	ck_assert_str_eq(h, "the server names itself 'http://127.0.0.1:9000' "
	    "(only the configured one's trailing '/' differs): give "
	    "--oauth-issuer exactly that, byte for byte, if it is the server "
	    "you mean");
	free(h);
	h = hint("{\"issuer\":\"https://as.example/\"}",
	    "https://as.example");
	ck_assert_ptr_nonnull(strstr(h, "'https://as.example/' (only its "
	    "trailing '/' differs)"));
	free(h);
	h = hint("{\"issuer\":\"https://AS.example\"}",
	    "https://as.example");
	ck_assert_ptr_nonnull(strstr(h, "(they differ only in case)"));
	free(h);
	h = hint("{\"issuer\":\"https://evil\\n.example\"}",
	    "https://as.example");
	ck_assert_ptr_nonnull(strstr(h, "'https://evil?.example':"));
	free(h);
	h = hint("nope", "https://as.example");
	ck_assert_str_eq(h, "its metadata names no issuer that can be read");
	free(h);
}
END_TEST

START_TEST(test_parse)
{
	struct asmeta	*m;
	const char	*cause;

	m = parse("{\"issuer\":\"https://as.example/realms/a\","
	    "\"jwks_uri\":\"https://keys.example/jwks\","
	    "\"introspection_endpoint\":\"https://as.example/introspect\","
	    "\"response_types_supported\":[\"code\"]}",
	    "https://as.example/realms/a", &cause);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->issuer, "https://as.example/realms/a");
	ck_assert_str_eq(m->jwks_uri, "https://keys.example/jwks");
	ck_assert_str_eq(m->introspection_endpoint,
	    "https://as.example/introspect");
	ck_assert_int_eq(m->introspection_auth, ASMETA_AUTH_BASIC);
	asmeta_free(m);

	/* Only post offered for introspection; token endpoint ignored then. */
	m = parse("{\"issuer\":\"http://127.0.0.1:9/\","
	    "\"introspection_endpoint\":\"http://127.0.0.1:9/i\","
	    "\"token_endpoint_auth_methods_supported\":"
	    "[\"client_secret_basic\"],"
	    "\"introspection_endpoint_auth_methods_supported\":"
	    "[\"private_key_jwt\",\"client_secret_post\"]}",
	    "http://127.0.0.1:9/", &cause);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_null(m->jwks_uri);
	ck_assert_int_eq(m->introspection_auth, ASMETA_AUTH_POST);
	asmeta_free(m);

	/* Falls back to the token endpoint's list. */
	m = parse("{\"issuer\":\"https://a.example\",\"jwks_uri\":"
	    "\"https://a.example/k\",\"token_endpoint_auth_methods_supported\":"
	    "[\"client_secret_post\"]}", "https://a.example", &cause);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->introspection_auth, ASMETA_AUTH_POST);
	asmeta_free(m);
}
END_TEST

START_TEST(test_parse_refused)
{
	const char	*cause;
	char		*big;

	/* The issuer must be the configured one, byte for byte. */
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example/\","
	    "\"jwks_uri\":\"https://a.example/k\"}", "https://a.example",
	    &cause));
	ck_assert_str_eq(cause, "metadata issuer is not the configured issuer");
	ck_assert_ptr_null(parse("{\"issuer\":\"https://A.example\","
	    "\"jwks_uri\":\"https://a.example/k\"}", "https://a.example",
	    &cause));
	ck_assert_ptr_null(parse("{\"jwks_uri\":\"https://a.example/k\"}",
	    "https://a.example", &cause));
	ck_assert_str_eq(cause, "metadata has no issuer string");
	ck_assert_ptr_null(parse("{\"issuer\":1,"
	    "\"jwks_uri\":\"https://a.example/k\"}", "https://a.example",
	    &cause));
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example\\u0000x\","
	    "\"jwks_uri\":\"https://a.example/k\"}", "https://a.example",
	    &cause));
	/* Endpoints: https or loopback http. */
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example\","
	    "\"jwks_uri\":\"http://a.example/k\"}", "https://a.example",
	    &cause));
	ck_assert_str_eq(cause,
	    "jwks_uri is not an https URL (or http to loopback)");
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example\","
	    "\"jwks_uri\":\"https://a.example/k\","
	    "\"introspection_endpoint\":\"file:///etc/passwd\"}",
	    "https://a.example", &cause));
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example\","
	    "\"jwks_uri\":[\"https://a.example/k\"]}", "https://a.example",
	    &cause));
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example\","
	    "\"jwks_uri\":\"https://a.example/k\\r\\nX: y\"}",
	    "https://a.example", &cause));
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example\","
	    "\"jwks_uri\":\"https:/a.example/k\"}", "https://a.example",
	    &cause));
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example\"}",
	    "https://a.example", &cause));
	ck_assert_str_eq(cause,
	    "metadata has neither jwks_uri nor introspection_endpoint");
	ck_assert_ptr_null(parse("{\"issuer\":\"https://a.example\","
	    "\"jwks_uri\":\"https://a.example/k\","
	    "\"token_endpoint_auth_methods_supported\":[1]}",
	    "https://a.example", &cause));
	/* Not JSON, not an object. */
	ck_assert_ptr_null(parse("[]", "https://a.example", &cause));
	ck_assert_ptr_null(parse("<html>", "https://a.example", &cause));
	ck_assert_ptr_null(parse("", "https://a.example", &cause));
	ck_assert_ptr_nonnull(cause);
	/* Too long, even if valid. */
	big = xmalloc(ASMETA_MAX_LEN + 2);
	memset(big, ' ', ASMETA_MAX_LEN + 1);
	memcpy(big, "{}", 2);
	big[ASMETA_MAX_LEN + 1] = '\0';
	ck_assert_ptr_null(parse(big, "https://a.example", &cause));
	ck_assert_str_eq(cause, "metadata document is too long");
	free(big);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("asmeta");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_wellknown);
	tcase_add_test(tc, test_issuer_check);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_issuer_hint);
	tcase_add_test(tc, test_parse_refused);
	suite_add_tcase(s, tc);
	return s;
}
