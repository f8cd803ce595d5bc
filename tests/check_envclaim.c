/* SPDX-License-Identifier: ISC */
/*
 * check_envclaim.c: --env-from-claim (envclaim.c): which VAR=CLAIM
 * options start, and which claims reach a session child's environment
 * (strings without control characters up to the limit, integers) and
 * which leave the variable unset, said at debug level without the value.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "checktest.h"
#include "envclaim.h"
#include "log.h"
#include "testjson.h"
#include "xmalloc.h"

static void
refused(const char *arg, const char *why)
{
	char	*err = NULL;

	ck_assert_msg(envclaim_check(arg, &err) == -1, "%s taken", arg);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, why) != NULL, "%s: %s", arg, err);
	free(err);
}

START_TEST(test_check)
{
	char	*err = NULL, *v, big[ENVCLAIM_MAX_NAME + 8];

	ck_assert_int_eq(envclaim_check("MCP_USER=sub", &err), 0);
	ck_assert_int_eq(envclaim_check("_X1=email", &err), 0);
	ck_assert_int_eq(envclaim_check("A=https://x.example/claims/role",
	    &err), 0);
	ck_assert_int_eq(envclaim_check("PATHS=sub", &err), 0);
	ck_assert_int_eq(envclaim_check("HOMER=sub", &err), 0);
	ck_assert_int_eq(envclaim_check("LD=sub", &err), 0);
	ck_assert_ptr_null(err);

	refused("MCP_USER", "wants VAR=CLAIM");
	refused("=sub", "wants VAR=CLAIM");
	refused("MCP_USER=", "wants VAR=CLAIM");
	refused("mcp_user=sub", "not a portable");
	refused("1X=sub", "not a portable");
	refused("MCP-USER=sub", "not a portable");
	refused("PATH=sub", "is refused");
	refused("HOME=sub", "is refused");
	refused("LD_PRELOAD=sub", "is refused");
	refused("DYLD_INSERT_LIBRARIES=sub", "is refused");
	refused("MCPBRIDGE_TOKEN=sub", "is refused");
	/* Names that make a shell, an interpreter or the loader run code
	 * or read files: claims like name or email are the user's to
	 * edit at many identity providers. */
	refused("BASH_ENV=name", "is refused");
	refused("ENV=name", "is refused");
	refused("IFS=name", "is refused");
	refused("SHELLOPTS=name", "is refused");
	refused("PS4=name", "is refused");
	refused("PROMPT_COMMAND=name", "is refused");
	refused("GLIBC_TUNABLES=name", "is refused");
	refused("GCONV_PATH=name", "is refused");
	refused("NODE_OPTIONS=name", "is refused");
	refused("PYTHONPATH=name", "is refused");
	refused("PYTHONSTARTUP=name", "is refused");
	refused("PERL5LIB=name", "is refused");
	refused("PERL5OPT=name", "is refused");
	refused("RUBYOPT=name", "is refused");
	refused("JAVA_TOOL_OPTIONS=name", "is refused");
	refused("OPENSSL_CONF=name", "is refused");
	refused("GIT_SSH_COMMAND=name", "is refused");
	refused("LUA_INIT=name", "is refused");
	ck_assert_int_eq(envclaim_check("NODE=sub", &err), 0);
	ck_assert_int_eq(envclaim_check("ENVIRONMENT=sub", &err), 0);
	ck_assert_int_eq(envclaim_check("MCP_ENV=sub", &err), 0);
	refused("MCP_USER=a b", "claim name");
	refused("MCP_USER=a\tb", "claim name");
	refused("MCP_USER=\xc3\xa9", "claim name");

	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	big[ENVCLAIM_MAX_NAME + 1] = '=';
	refused(big, "not a portable");
	big[ENVCLAIM_MAX_NAME] = '=';
	big[ENVCLAIM_MAX_NAME + 1] = 's';
	ck_assert_int_eq(envclaim_check(big, &err), 0);

	v = envclaim_var("MCP_USER=sub");
	ck_assert_str_eq(v, "MCP_USER");
	free(v);
}
END_TEST

static size_t
count(char **env)
{
	size_t	n = 0;

	while (env[n] != NULL)
		n++;
	return n;
}

START_TEST(test_env)
{
	char *const	 base[] = { "A=1", "B=two", NULL };
	char *const	 map[] = { "MCP_USER=sub", "MCP_EMAIL=email",
	    "MCP_N=n", "MCP_BIG=big", NULL };
	json_object	*claims;
	char		**env;

	claims = J("{'sub':'alice','email':'alice@example.test','n':"
	    "18446744073709551615,'big':-9223372036854775808}");
	env = envclaim_env(base, map, claims);
	ck_assert_uint_eq(count(env), 6);
	ck_assert_str_eq(env[0], "A=1");
	ck_assert_str_eq(env[1], "B=two");
	ck_assert_str_eq(env[2], "MCP_USER=alice");
	ck_assert_str_eq(env[3], "MCP_EMAIL=alice@example.test");
	ck_assert_str_eq(env[4], "MCP_N=18446744073709551615");
	ck_assert_str_eq(env[5], "MCP_BIG=-9223372036854775808");
	xfreev(env);
	json_object_put(claims);

	/* No claims (a static token): only the base. */
	env = envclaim_env(base, map, NULL);
	ck_assert_uint_eq(count(env), 2);
	xfreev(env);
	/* No base, no map. */
	env = envclaim_env(NULL, NULL, NULL);
	ck_assert_uint_eq(count(env), 0);
	xfreev(env);
	xfreev(NULL);

	/* UTF-8 and an empty string are values like any other. */
	claims = J("{'sub':'J\xc3\xb6rg','email':''}");
	env = envclaim_env(NULL, map, claims);
	ck_assert_uint_eq(count(env), 2);
	ck_assert_str_eq(env[0], "MCP_USER=J\xc3\xb6rg");
	ck_assert_str_eq(env[1], "MCP_EMAIL=");
	xfreev(env);
	json_object_put(claims);
}
END_TEST

/* Every refused value leaves its variable unset; the debug line names
 * the claim and never holds the value. */
START_TEST(test_refused_values)
{
	static const char *const values[] = {
		"{'sub':'SECRET\\nX'}",		/* a newline */
		"{'sub':'SECRET\\u0000X'}",	/* a NUL inside */
		"{'sub':'SECRET\\u007fX'}",	/* DEL */
		"{'sub':'SECRET\\u0085X'}",	/* C1 NEL */
		"{'sub':'SECRET\\u001bX'}",	/* ESC */
		"{'sub':true}",
		"{'sub':1.5}",
		"{'sub':null}",
		"{'sub':['SECRET']}",
		"{'sub':{'a':'SECRET'}}",
		"{'other':'SECRET'}",
	};
	char *const	 map[] = { "MCP_USER=sub", NULL };
	char		 long_claims[ENVCLAIM_MAX_VALUE + 64], buf[16384];
	json_object	*claims;
	char		**env;
	FILE		*log;
	size_t		 i, n;
	int		 saved;

	log = tmpfile();
	ck_assert_ptr_nonnull(log);
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(log), 2);
	log_set_level(LOG_LEVEL_DEBUG);
	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		claims = J("%s", values[i]);
		env = envclaim_env(NULL, map, claims);
		ck_assert_msg(env[0] == NULL, "%s: %s", values[i], env[0]);
		xfreev(env);
		json_object_put(claims);
	}
	/* At the limit it is taken, one byte more and it is not. */
	snprintf(long_claims, sizeof long_claims, "{\"sub\":\"SECRET%0*d\"}",
	    ENVCLAIM_MAX_VALUE - 6, 0);
	claims = json_tokener_parse(long_claims);
	env = envclaim_env(NULL, map, claims);
	ck_assert_ptr_nonnull(env[0]);
	ck_assert_uint_eq(strlen(env[0]), strlen("MCP_USER=") +
	    ENVCLAIM_MAX_VALUE);
	xfreev(env);
	json_object_put(claims);
	snprintf(long_claims, sizeof long_claims, "{\"sub\":\"SECRET%0*d\"}",
	    ENVCLAIM_MAX_VALUE - 5, 0);
	claims = json_tokener_parse(long_claims);
	env = envclaim_env(NULL, map, claims);
	ck_assert_ptr_null(env[0]);
	xfreev(env);
	json_object_put(claims);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_LEVEL_ERROR);
	rewind(log);
	n = fread(buf, 1, sizeof buf - 1, log);
	buf[n] = '\0';
	fclose(log);
	ck_assert_msg(strstr(buf, "MCP_USER unset: claim sub holds control "
	    "characters") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "MCP_USER unset: claim sub is not a "
	    "string or an integer") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "MCP_USER unset: the token has no claim "
	    "sub") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "MCP_USER unset: claim sub is longer "
	    "than 1024 bytes") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "SECRET") == NULL, "a value logged: %s",
	    buf);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("envclaim");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_refused_values);
	suite_add_tcase(s, tc);
	return s;
}
