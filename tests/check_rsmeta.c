/* SPDX-License-Identifier: ISC */
/*
 * check_rsmeta.c: the protected-resource metadata (rsmeta.c): the
 * document's URL and path, its members, and the WWW-Authenticate values
 * of 401 and 403 with their quoting.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "checktest.h"
#include "rsmeta.h"

START_TEST(test_metadata_url)
{
	char	*s;

	s = rsmeta_metadata_url("https://mcp.example/base/mcp");
	ck_assert_str_eq(s, "https://mcp.example/.well-known/"
	    "oauth-protected-resource/base/mcp");
	free(s);
	s = rsmeta_metadata_path("http://127.0.0.1:8000/mcp");
	ck_assert_str_eq(s, "/.well-known/oauth-protected-resource/mcp");
	free(s);
	s = rsmeta_metadata_path("https://mcp.example");
	ck_assert_str_eq(s, "/.well-known/oauth-protected-resource");
	free(s);
	ck_assert_ptr_null(rsmeta_metadata_url("http://mcp.example/mcp"));
	ck_assert_ptr_null(rsmeta_metadata_url("https://mcp.example/mcp#x"));
	ck_assert_ptr_null(rsmeta_metadata_url("https://mcp.example/m?a=b"));
	ck_assert_ptr_null(rsmeta_metadata_path(NULL));
	/* Found by fuzz_asmeta: raw bytes made a document of invalid
	 * UTF-8. */
	ck_assert_ptr_null(rsmeta_metadata_url("https://mcp.e\xff\xff"
	    "xample/"));
}
END_TEST

START_TEST(test_scope_ok)
{
	ck_assert(rsmeta_scope_ok("mcp:tools"));
	ck_assert(rsmeta_scope_ok("https://graph.example/.default"));
	ck_assert(!rsmeta_scope_ok(""));
	ck_assert(!rsmeta_scope_ok(NULL));
	ck_assert(!rsmeta_scope_ok("a b"));
	ck_assert(!rsmeta_scope_ok("a\"b"));
	ck_assert(!rsmeta_scope_ok("a\\b"));
	ck_assert(!rsmeta_scope_ok("a\x7f"));
	ck_assert(!rsmeta_scope_ok("\xc3\xa9"));
}
END_TEST

START_TEST(test_document)
{
	const char		*iss[] = { "https://kc.example/realms/a",
				    "https://as2.example" };
	const char		*scopes[] = { "mcp", "tools:admin", "mcp" };
	const char		*bad[] = { "a b" };
	struct rsmeta_config	 c = {
		.resource = "https://mcp.example/mcp",
		.issuers = iss, .nissuers = 2,
		.scopes = scopes, .nscopes = 3,
		.resource_name = "mcpbridge",
	};
	char			*doc;

	doc = rsmeta_document(&c);
	ck_assert_str_eq(doc, "{\"resource\":\"https://mcp.example/mcp\","
	    "\"authorization_servers\":[\"https://kc.example/realms/a\","
	    "\"https://as2.example\"],"
	    "\"scopes_supported\":[\"mcp\",\"tools:admin\"],"
	    "\"bearer_methods_supported\":[\"header\"],"
	    "\"resource_name\":\"mcpbridge\"}");
	free(doc);
	c.nscopes = 0;
	c.resource_name = NULL;
	doc = rsmeta_document(&c);
	ck_assert_ptr_null(strstr(doc, "scopes_supported"));
	ck_assert_ptr_null(strstr(doc, "resource_name"));
	free(doc);
	c.scopes = bad;
	c.nscopes = 1;
	ck_assert_ptr_null(rsmeta_document(&c));
	c.nscopes = 0;
	c.resource = "http://mcp.example/mcp";
	ck_assert_ptr_null(rsmeta_document(&c));
}
END_TEST

START_TEST(test_challenge)
{
	const char	*scopes[] = { "mcp", "tools:admin" };
	const char	*md = "https://mcp.example/.well-known/"
			    "oauth-protected-resource/mcp";
	char		*s;

	s = rsmeta_challenge(RSMETA_NO_TOKEN, "ignored", NULL, 0, md);
	ck_assert_str_eq(s, "Bearer resource_metadata=\"https://mcp.example/"
	    ".well-known/oauth-protected-resource/mcp\"");
	free(s);
	s = rsmeta_challenge(RSMETA_NO_TOKEN, NULL, scopes, 1, md);
	ck_assert_str_eq(s, "Bearer scope=\"mcp\", resource_metadata="
	    "\"https://mcp.example/.well-known/oauth-protected-resource/mcp\"");
	free(s);
	s = rsmeta_challenge(RSMETA_INVALID_TOKEN, "token expired", NULL, 0,
	    md);
	ck_assert_str_eq(s, "Bearer error=\"invalid_token\", "
	    "error_description=\"token expired\", resource_metadata="
	    "\"https://mcp.example/.well-known/oauth-protected-resource/mcp\"");
	free(s);
	s = rsmeta_challenge(RSMETA_INSUFFICIENT_SCOPE, NULL, scopes, 2, md);
	ck_assert_str_eq(s, "Bearer error=\"insufficient_scope\", "
	    "scope=\"mcp tools:admin\", resource_metadata="
	    "\"https://mcp.example/.well-known/oauth-protected-resource/mcp\"");
	free(s);
	/* Quoting: '"' and '\' escaped, control characters dropped. */
	s = rsmeta_challenge(RSMETA_INVALID_TOKEN, "a\"b\\c\r\nd", NULL, 0,
	    NULL);
	ck_assert_str_eq(s, "Bearer error=\"invalid_token\", "
	    "error_description=\"a\\\"b\\\\cd\"");
	free(s);
}
END_TEST

START_TEST(test_challenge_long)
{
	const char	*many[RSMETA_MAX_SCOPES];
	char		 scope[RSMETA_MAX_SCOPE_LEN + 1];
	char		*s;
	size_t		 i;

	memset(scope, 's', RSMETA_MAX_SCOPE_LEN);
	scope[RSMETA_MAX_SCOPE_LEN] = '\0';
	for (i = 0; i < RSMETA_MAX_SCOPES; i++)
		many[i] = scope;
	/* Too long a list is left out, the rest stays. */
	s = rsmeta_challenge(RSMETA_INSUFFICIENT_SCOPE, NULL, many,
	    RSMETA_MAX_SCOPES, "https://m.example/x");
	ck_assert_ptr_null(strstr(s, "scope="));
	ck_assert_ptr_nonnull(strstr(s, "resource_metadata="));
	ck_assert_uint_le(strlen(s), RSMETA_MAX_CHALLENGE_LEN);
	free(s);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("rsmeta");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_metadata_url);
	tcase_add_test(tc, test_scope_ok);
	tcase_add_test(tc, test_document);
	tcase_add_test(tc, test_challenge);
	tcase_add_test(tc, test_challenge_long);
	suite_add_tcase(s, tc);
	return s;
}
