/* SPDX-License-Identifier: ISC */
/*
 * check_oauth.c: the pure parts of OAuth sign-in (oauth.c and
 * oauth_discovery.c): metadata URL construction for each variant the
 * specification lists, WWW-Authenticate parsing, resource matching, the
 * metadata's boolean members, scope choice (the browser URL check is
 * url.c's, in check_url.c); PKCE and state (pkce.c); and the token store
 * (oauth_store.c): permissions, atomic replacement, locking.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base64.h"
#include "checktest.h"
#include "cli.h"
#include "log.h"
#include "oauth.h"
#include "oauth_store.h"
#include "pkce.h"
#include "xmalloc.h"

static void
check_vector(char **v, const char *const *want)
{
	size_t	i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_ptr_nonnull(v[i]);
		ck_assert_str_eq(v[i], want[i]);
	}
	ck_assert_ptr_null(v[i]);
	xfreev(v);
}

START_TEST(test_prm_urls)
{
	/* The MCP endpoint's path, then the root (RFC 9728 3.1). */
	check_vector(oauth_discovery_prm_urls("https://example.com/public/mcp"),
	    (const char *const[]){
	    "https://example.com/.well-known/oauth-protected-resource/public/mcp",
	    "https://example.com/.well-known/oauth-protected-resource", NULL });
	/* At the root: only the root. */
	check_vector(oauth_discovery_prm_urls("https://example.com"),
	    (const char *const[]){
	    "https://example.com/.well-known/oauth-protected-resource", NULL });
	check_vector(oauth_discovery_prm_urls("https://example.com/"),
	    (const char *const[]){
	    "https://example.com/.well-known/oauth-protected-resource", NULL });
	/* Port kept; query, fragment and a trailing slash dropped. */
	check_vector(
	    oauth_discovery_prm_urls("http://localhost:8080/mcp/?a=1#f"),
	    (const char *const[]){
	    "http://localhost:8080/.well-known/oauth-protected-resource/mcp",
	    "http://localhost:8080/.well-known/oauth-protected-resource",
	    NULL });
	ck_assert_ptr_null(oauth_discovery_prm_urls("not a url"));
}
END_TEST

START_TEST(test_as_urls)
{
	/* An issuer with a path: RFC 8414 insertion, OpenID Connect
	 * insertion, OpenID Connect appending, in that order. */
	check_vector(
	    oauth_discovery_as_urls("https://auth.example.com/tenant1"),
	    (const char *const[]){
	    "https://auth.example.com/.well-known/oauth-authorization-server/"
	    "tenant1",
	    "https://auth.example.com/.well-known/openid-configuration/tenant1",
	    "https://auth.example.com/tenant1/.well-known/openid-configuration",
	    NULL });
	/* Without: RFC 8414, then OpenID Connect. */
	check_vector(oauth_discovery_as_urls("https://auth.example.com"),
	    (const char *const[]){
	    "https://auth.example.com/.well-known/oauth-authorization-server",
	    "https://auth.example.com/.well-known/openid-configuration",
	    NULL });
	check_vector(oauth_discovery_as_urls("https://auth.example.com/"),
	    (const char *const[]){
	    "https://auth.example.com/.well-known/oauth-authorization-server",
	    "https://auth.example.com/.well-known/openid-configuration",
	    NULL });
	check_vector(oauth_discovery_as_urls("http://127.0.0.1:9000/a/b/"),
	    (const char *const[]){
	    "http://127.0.0.1:9000/.well-known/oauth-authorization-server/a/b",
	    "http://127.0.0.1:9000/.well-known/openid-configuration/a/b",
	    "http://127.0.0.1:9000/a/b/.well-known/openid-configuration",
	    NULL });
	/* An issuer has no query or fragment. */
	ck_assert_ptr_null(
	    oauth_discovery_as_urls("https://auth.example.com/?x=1"));
	ck_assert_ptr_null(
	    oauth_discovery_as_urls("https://auth.example.com/#x"));
}
END_TEST

START_TEST(test_origin_and_resource)
{
	char	*s;

	s = oauth_discovery_origin("HTTPS://Example.COM:8443/mcp?x#y");
	ck_assert_str_eq(s, "https://example.com:8443");
	free(s);
	s = oauth_discovery_origin("http://localhost/mcp");
	ck_assert_str_eq(s, "http://localhost");
	free(s);

	s = oauth_discovery_canonical_resource("HTTPS://Example.COM/mcp#frag");
	ck_assert_str_eq(s, "https://example.com/mcp");
	free(s);
	s = oauth_discovery_canonical_resource("https://example.com/");
	ck_assert_str_eq(s, "https://example.com");
	free(s);

	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "https://x.example/mcp", "https://x.example/mcp"), 1);
	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "https://x.example/mcp", "https://x.example"), 1);
	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "https://x.example/a/mcp", "https://x.example/a/"), 1);
	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "https://x.example/mcp", "https://X.EXAMPLE:443/mcp"), 1);
	/* Another origin, a sibling path, a child path, a fragment. */
	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "http://localhost:1/mcp", "https://evil.example.com/mcp"), 0);
	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "https://x.example/mcp", "https://x.example/mcp2"), 0);
	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "https://x.example/mcp", "https://x.example/mcp/admin"), 0);
	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "https://x.example/mcp", "https://x.example:8443/mcp"), 0);
	ck_assert_int_eq(oauth_discovery_resource_matches(
	    "https://x.example/mcp", "https://x.example/mcp#f"), 0);
}
END_TEST

/* The metadata's boolean members (RFC 8414 2, RFC 9207 3, the MCP
 * authorization spec's client_id_metadata_document_supported) are JSON
 * booleans: anything else counts as absent, that is false. */
START_TEST(test_metadata_flags)
{
	static const struct {
		const char	*doc;
		int		 want;
	} t[] = {
		{ "{\"f\": true}", 1 },
		{ "{\"f\": false}", 0 },
		{ "{}", 0 },
		{ "{\"g\": true}", 0 },
		{ "{\"f\": \"false\"}", 0 },
		{ "{\"f\": \"true\"}", 0 },
		{ "{\"f\": \"no\"}", 0 },
		{ "{\"f\": 1}", 0 },
		{ "{\"f\": 1.5}", 0 },
		{ "{\"f\": [true]}", 0 },
		{ "{\"f\": {\"f\": true}}", 0 },
		{ "{\"f\": null}", 0 },
		{ "[true]", 0 },
	};
	json_object	*doc;
	size_t		 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		doc = json_tokener_parse(t[i].doc);
		ck_assert_ptr_nonnull(doc);
		ck_assert_msg(oauth_discovery_flag(doc, "f") == t[i].want,
		    "%s: want %d", t[i].doc, t[i].want);
		json_object_put(doc);
	}
	ck_assert_int_eq(oauth_discovery_flag(NULL, "f"), 0);
}
END_TEST

START_TEST(test_bearer)
{
	struct oauth_bearer	b;

	ck_assert_int_eq(oauth_parse_bearer("Bearer resource_metadata="
	    "\"https://mcp.example.com/.well-known/oauth-protected-resource\", "
	    "scope=\"files:read files:write\", error=\"insufficient_scope\", "
	    "error_description=\"more, please\"", &b), 0);
	ck_assert_str_eq(b.resource_metadata,
	    "https://mcp.example.com/.well-known/oauth-protected-resource");
	ck_assert_str_eq(b.scope, "files:read files:write");
	ck_assert_str_eq(b.error, "insufficient_scope");
	oauth_bearer_clear(&b);

	/* Tokens unquoted, the scheme in any case, after another scheme
	 * whose parameters are not ours. */
	ck_assert_int_eq(oauth_parse_bearer("Basic realm=\"x\", scope=\"no\", "
	    "bEaReR scope=mcp:basic,error=invalid_token", &b), 0);
	ck_assert_str_eq(b.scope, "mcp:basic");
	ck_assert_str_eq(b.error, "invalid_token");
	ck_assert_ptr_null(b.resource_metadata);
	oauth_bearer_clear(&b);

	/* An escaped quote inside a quoted string. */
	ck_assert_int_eq(oauth_parse_bearer("Bearer scope=\"a\\\"b\"", &b), 0);
	ck_assert_str_eq(b.scope, "a\"b");
	oauth_bearer_clear(&b);

	/* A bare Bearer is a challenge too. */
	ck_assert_int_eq(oauth_parse_bearer("Bearer", &b), 0);
	oauth_bearer_clear(&b);

	ck_assert_int_eq(oauth_parse_bearer("Basic realm=\"x\"", &b), -1);
	ck_assert_int_eq(oauth_parse_bearer("", &b), -1);
	ck_assert_int_eq(oauth_parse_bearer(NULL, &b), -1);
	ck_assert_int_eq(oauth_parse_bearer("Bearerx scope=a", &b), -1);
}
END_TEST

START_TEST(test_scope)
{
	json_object	*prm, *as, *as_off;
	char		*s;

	prm = json_tokener_parse("[\"mcp:basic\", \"mcp:read\"]");
	as = json_tokener_parse("[\"mcp:basic\"]");
	as_off = json_tokener_parse("[\"mcp:basic\", \"offline_access\"]");

	/* The challenge's scope first. */
	s = oauth_choose_scope("files:read", prm, as, NULL);
	ck_assert_str_eq(s, "files:read");
	free(s);
	/* Else every scope in scopes_supported. */
	s = oauth_choose_scope(NULL, prm, as, NULL);
	ck_assert_str_eq(s, "mcp:basic mcp:read");
	free(s);
	s = oauth_choose_scope("  ", prm, as, NULL);
	ck_assert_str_eq(s, "mcp:basic mcp:read");
	free(s);
	/* Else none at all. */
	ck_assert_ptr_null(oauth_choose_scope(NULL, NULL, as, NULL));
	ck_assert_ptr_null(oauth_choose_scope(NULL, NULL, as_off, NULL));
	/* Step-up: what was asked before, and the challenge, once each. */
	s = oauth_choose_scope("mcp:write mcp:basic", prm, as, "mcp:basic");
	ck_assert_str_eq(s, "mcp:basic mcp:write");
	free(s);
	/* offline_access when the authorization server offers it. */
	s = oauth_choose_scope(NULL, prm, as_off, NULL);
	ck_assert_str_eq(s, "mcp:basic mcp:read offline_access");
	free(s);
	s = oauth_choose_scope("a offline_access", NULL, as_off, NULL);
	ck_assert_str_eq(s, "a offline_access");
	free(s);
	/* Characters no scope token has are dropped. */
	s = oauth_choose_scope("good bad\"one back\\slash", NULL, NULL, NULL);
	ck_assert_str_eq(s, "good");
	free(s);
	json_object_put(prm);
	json_object_put(as);
	json_object_put(as_off);
}
END_TEST

START_TEST(test_form_and_command)
{
	char	*s, **v;

	s = oauth_form_escape("a b&c=d/é~._-");
	ck_assert_str_eq(s, "a%20b%26c%3Dd%2F%C3%A9~._-");
	free(s);
	v = oauth_split_command("  python3  /tmp/open.py\t-x ");
	check_vector(v, (const char *const[]){ "python3", "/tmp/open.py", "-x",
	    NULL });
	ck_assert_ptr_null(oauth_split_command(" \t "));
	/* No shell: quotes and $ are plain characters. */
	v = oauth_split_command("sh -c '$(id)'");
	check_vector(v, (const char *const[]){ "sh", "-c", "'$(id)'", NULL });
}
END_TEST

START_TEST(test_pkce)
{
	char	*v1, *v2, *c, *b;
	size_t	 i;

	/* RFC 7636 Appendix B. */
	c = pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	ck_assert_str_eq(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	free(c);

	/* 32 random bytes: 43 characters, the least allowed, unreserved. */
	v1 = pkce_random_string(32);
	v2 = pkce_random_string(32);
	ck_assert_uint_eq(strlen(v1), 43);
	ck_assert_str_ne(v1, v2);
	for (i = 0; v1[i] != '\0'; i++)
		ck_assert_ptr_nonnull(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_", v1[i]));
	c = pkce_challenge(v1);
	ck_assert_uint_eq(strlen(c), 43);
	free(c);
	free(v1);
	free(v2);

	b = base64_encode("foob", 4, 0);
	ck_assert_str_eq(b, "Zm9vYg==");
	free(b);
	b = base64_encode("foob", 4, BASE64_URL | BASE64_NOPAD);
	ck_assert_str_eq(b, "Zm9vYg");
	free(b);
	b = base64_encode("\xfb\xff", 2, BASE64_URL | BASE64_NOPAD);
	ck_assert_str_eq(b, "-_8");
	free(b);
	b = base64_encode("", 0, 0);
	ck_assert_str_eq(b, "");
	free(b);
}
END_TEST

START_TEST(test_state)
{
	char	*s[64];
	size_t	 i, j;

	/* States never repeat (single use is the flow's job). */
	for (i = 0; i < 64; i++) {
		s[i] = pkce_random_string(32);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(s[i], s[j]);
	}
	for (i = 0; i < 64; i++)
		free(s[i]);
}
END_TEST

START_TEST(test_secret)
{
	char	 path[] = "/tmp/check_oauth_secret.XXXXXX", *s, *err;
	int	 fd;

	setenv("CHECK_OAUTH_SECRET", "s3cret", 1);
	ck_assert_int_eq(oauth_load_secret("CHECK_OAUTH_SECRET", NULL, &s,
	    &err), 0);
	ck_assert_str_eq(s, "s3cret");
	free(s);
	/* Read once, then gone: the browser opener does not inherit it. */
	ck_assert_ptr_null(getenv("CHECK_OAUTH_SECRET"));
	ck_assert_int_eq(oauth_load_secret("CHECK_OAUTH_SECRET", NULL, &s,
	    &err), -1);
	free(err);
	ck_assert_int_eq(oauth_load_secret(NULL, NULL, &s, &err), 0);
	ck_assert_ptr_null(s);

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "file-secret\r\nsecond line\n", 25), 25);
	close(fd);
	ck_assert_int_eq(oauth_load_secret(NULL, path, &s, &err), 0);
	ck_assert_str_eq(s, "file-secret");
	free(s);
	unlink(path);
	ck_assert_int_eq(oauth_load_secret(NULL, path, &s, &err), -1);
	free(err);
}
END_TEST

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

START_TEST(test_options)
{
	static const char *const all[] = {
		"--oauth-client-id", "cid", "--oauth-client-secret-env", "SEC",
		"--oauth-client-metadata-url", "https://app.example/client.json",
		"--oauth-callback-port", "8765", "--oauth-open",
		"python3 /tmp/open.py", "--oauth-timeout", "30s",
		"--oauth-store", "/tmp/store", "https://h.example/mcp", NULL
	};
	static const char *const none[] = { "https://h.example/mcp", NULL };
	const char *const *const bad[] = {
		(const char *const[]){ "--oauth-client-secret-env", "S",
		    "https://h/mcp", NULL },
		(const char *const[]){ "--oauth-client-id", "c",
		    "--oauth-client-secret-env", "S",
		    "--oauth-client-secret-file", "/f", "https://h/mcp", NULL },
		(const char *const[]){ "--oauth-callback-port", "65536",
		    "https://h/mcp", NULL },
		(const char *const[]){ "--oauth-callback-port", "x",
		    "https://h/mcp", NULL },
		(const char *const[]){ "--oauth-client-metadata-url",
		    "http://app.example/client.json", "https://h/mcp", NULL },
		(const char *const[]){ "--oauth-client-metadata-url",
		    "https://app.example", "https://h/mcp", NULL },
		(const char *const[]){ "--oauth-timeout", "0", "https://h/mcp",
		    NULL },
		(const char *const[]){ "--oauth-open", " ", "https://h/mcp",
		    NULL },
		(const char *const[]){ "--oauth-store", "", "https://h/mcp",
		    NULL },
	};
	struct config	 c;
	char		*err;
	size_t		 i;

	ck_assert_int_eq(parse(&c, &err, none), CLI_OK);
	ck_assert_int_eq(c.client.no_oauth, 0);
	ck_assert_ptr_null(c.client.oauth_client_id);
	ck_assert_int_eq(c.client.oauth_callback_port, 0);
	ck_assert_uint_eq(c.client.oauth_timeout_ms, 0);	/* the default */
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, all), CLI_OK);
	ck_assert_str_eq(c.client.oauth_client_id, "cid");
	ck_assert_str_eq(c.client.oauth_client_secret_env, "SEC");
	ck_assert_str_eq(c.client.oauth_client_metadata_url,
	    "https://app.example/client.json");
	ck_assert_int_eq(c.client.oauth_callback_port, 8765);
	ck_assert_str_eq(c.client.oauth_open, "python3 /tmp/open.py");
	ck_assert_uint_eq(c.client.oauth_timeout_ms, 30000);
	ck_assert_str_eq(c.client.oauth_store, "/tmp/store");
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, (const char *const[]){ "--no-oauth",
	    "https://h/mcp", NULL }), CLI_OK);
	ck_assert_int_eq(c.client.no_oauth, 1);
	config_free(&c);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		ck_assert_msg(parse(&c, &err, bad[i]) == CLI_ERROR,
		    "case %zu parsed", i);
		ck_assert_ptr_nonnull(err);
		free(err);
		config_free(&c);
	}
}
END_TEST

/* ---- the store ---- */

static char	store_dir[64];

static void
store_setup(void)
{
	strcpy(store_dir, "/tmp/check_oauth.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(store_dir));
}

static void
rm_tree(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		 p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
store_teardown(void)
{
	rm_tree(store_dir);
}

/* Files in dir. */
static int
count_files(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0))
			n++;
	}
	closedir(d);
	return n;
}

static json_object *
doc_with(int n)
{
	json_object	*doc, *t;
	char		 pad[4096];

	/* Documents of different sizes, so a torn one would show. */
	memset(pad, 'x', sizeof pad - 1);
	pad[(n * 37) % (sizeof pad - 1)] = '\0';
	doc = json_object_new_object();
	t = json_object_new_object();
	json_object_object_add(t, "access_token", json_object_new_string(pad));
	json_object_object_add(t, "n", json_object_new_int(n));
	json_object_object_add(doc, "tokens", t);
	return doc;
}

START_TEST(test_store_permissions)
{
	struct oauth_store	*s;
	struct stat		 sb;
	json_object		*doc, *t, *v;
	char			 dir[128], *err = NULL;

	/* Missing parents are made, private. */
	snprintf(dir, sizeof dir, "%s/a/b/mcpbridge", store_dir);
	s = oauth_store_open(dir, "https://mcp.example.com/mcp", &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	ck_assert_ptr_null(oauth_store_load(s));
	/* The file is named by the first 8 bytes of SHA-256(url), so a
	 * store written before stays found. */
	ck_assert_ptr_nonnull(strstr(oauth_store_path(s),
	    "/oauth-7a930d27a3f5c464.json"));

	doc = doc_with(1);
	ck_assert_int_eq(oauth_store_save(s, doc, &err), 0);
	json_object_put(doc);
	ck_assert_int_eq(stat(oauth_store_path(s), &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	doc = oauth_store_load(s);
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_object_object_get_ex(doc, "tokens", &t));
	ck_assert(json_object_object_get_ex(t, "n", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	json_object_put(doc);

	/* A file others may read is not believed (and will be replaced). */
	ck_assert_int_eq(chmod(oauth_store_path(s), 0644), 0);
	ck_assert_ptr_null(oauth_store_load(s));
	doc = doc_with(2);
	ck_assert_int_eq(oauth_store_save(s, doc, &err), 0);
	json_object_put(doc);
	ck_assert_int_eq(stat(oauth_store_path(s), &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_ptr_nonnull(doc = oauth_store_load(s));
	json_object_put(doc);
	oauth_store_close(s);

	/* A directory open to others is made private. */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	s = oauth_store_open(dir, "https://mcp.example.com/mcp", &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	oauth_store_close(s);

	/* Not a directory. */
	snprintf(dir, sizeof dir, "%s/plain", store_dir);
	ck_assert_int_eq(close(open(dir, O_WRONLY | O_CREAT, 0600)), 0);
	ck_assert_ptr_null(oauth_store_open(dir, "https://x/", &err));
	ck_assert_ptr_nonnull(err);
	free(err);
}
END_TEST

START_TEST(test_store_servers)
{
	struct oauth_store	*a, *b, *a2;
	json_object		*doc;
	char			*err = NULL;
	FILE			*f;

	a = oauth_store_open(store_dir, "https://a.example/mcp", &err);
	b = oauth_store_open(store_dir, "https://b.example/mcp", &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	/* One store per server. */
	ck_assert_str_ne(oauth_store_path(a), oauth_store_path(b));
	doc = doc_with(3);
	ck_assert_int_eq(oauth_store_save(a, doc, &err), 0);
	json_object_put(doc);
	ck_assert_ptr_null(oauth_store_load(b));
	ck_assert_ptr_nonnull(doc = oauth_store_load(a));
	json_object_put(doc);

	/* A document naming another server is not this one's. */
	f = fopen(oauth_store_path(a), "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"server\": \"https://b.example/mcp\", \"tokens\": {}}\n", f);
	fclose(f);
	chmod(oauth_store_path(a), 0600);
	ck_assert_ptr_null(oauth_store_load(a));
	/* Nor is garbage. */
	f = fopen(oauth_store_path(a), "w");
	fputs("{\"server\": \"https://a.exa", f);
	fclose(f);
	ck_assert_ptr_null(oauth_store_load(a));
	/* Nor is a document with anything after it (the project's one JSON
	 * parse policy, jsonparse_strict): a hand-edited or torn file.  It
	 * is left where it is, as garbage is, for the next save to
	 * replace. */
	f = fopen(oauth_store_path(a), "w");
	fputs("{\"server\": \"https://a.example/mcp\", \"tokens\": {}}\n"
	    "x\n", f);
	fclose(f);
	ck_assert_ptr_null(oauth_store_load(a));
	ck_assert_int_eq(access(oauth_store_path(a), F_OK), 0);
	f = fopen(oauth_store_path(a), "w");
	fputs("{\"server\": \"https://a.example/mcp\", \"tokens\": {}}"
	    "{\"server\": \"https://a.example/mcp\"}", f);
	fclose(f);
	ck_assert_ptr_null(oauth_store_load(a));
	/* White space around it is fine. */
	f = fopen(oauth_store_path(a), "w");
	fputs("\n {\"server\": \"https://a.example/mcp\", \"tokens\": {}}"
	    " \r\n\t\n", f);
	fclose(f);
	ck_assert_ptr_nonnull(doc = oauth_store_load(a));
	json_object_put(doc);

	/* The same server from elsewhere: the same file. */
	a2 = oauth_store_open(store_dir, "https://a.example/mcp", &err);
	ck_assert_str_eq(oauth_store_path(a), oauth_store_path(a2));
	oauth_store_remove(a);
	ck_assert_int_eq(access(oauth_store_path(a), F_OK), -1);
	oauth_store_close(a);
	oauth_store_close(a2);
	oauth_store_close(b);
}
END_TEST

START_TEST(test_store_atomic)
{
	struct oauth_store	*s;
	struct stat		 before, after;
	json_object		*doc;
	char			*err = NULL;
	pid_t			 pid;
	int			 i, st, files;

	s = oauth_store_open(store_dir, "https://mcp.example.com/mcp", &err);
	ck_assert_ptr_nonnull(s);
	doc = doc_with(0);
	ck_assert_int_eq(oauth_store_save(s, doc, &err), 0);
	json_object_put(doc);
	files = count_files(store_dir);

	/* Replaced, not rewritten in place: a new inode each time, and
	 * no temporary file left behind. */
	ck_assert_int_eq(stat(oauth_store_path(s), &before), 0);
	doc = doc_with(1);
	ck_assert_int_eq(oauth_store_save(s, doc, &err), 0);
	json_object_put(doc);
	ck_assert_int_eq(stat(oauth_store_path(s), &after), 0);
	ck_assert(before.st_ino != after.st_ino);
	ck_assert_int_eq(count_files(store_dir), files);

	/* A reader never sees half a document. */
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct oauth_store *r;

		r = oauth_store_open(store_dir, "https://mcp.example.com/mcp",
		    &err);
		for (i = 0; i < 2000; i++) {
			if ((doc = oauth_store_load(r)) == NULL)
				_exit(1);
			json_object_put(doc);
		}
		oauth_store_close(r);
		_exit(0);
	}
	for (i = 0; i < 300; i++) {
		doc = doc_with(i);
		ck_assert_int_eq(oauth_store_save(s, doc, &err), 0);
		json_object_put(doc);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(count_files(store_dir), files);
	oauth_store_close(s);
}
END_TEST

START_TEST(test_store_lock)
{
	struct oauth_store	*a, *b, *c;
	char			*err = NULL;

	a = oauth_store_open(store_dir, "https://mcp.example.com/mcp", &err);
	b = oauth_store_open(store_dir, "https://mcp.example.com/mcp", &err);
	c = oauth_store_open(store_dir, "https://other.example.com/mcp", &err);
	ck_assert_int_eq(oauth_store_trylock(a), 1);
	ck_assert_int_eq(oauth_store_trylock(a), 1);	/* held already */
	/* Another holder of the same server waits... */
	ck_assert_int_eq(oauth_store_trylock(b), 0);
	/* ...another server does not. */
	ck_assert_int_eq(oauth_store_trylock(c), 1);
	oauth_store_unlock(a);
	ck_assert_int_eq(oauth_store_trylock(b), 1);
	ck_assert_int_eq(oauth_store_trylock(a), 0);
	/* Closing drops the lock too. */
	oauth_store_close(b);
	ck_assert_int_eq(oauth_store_trylock(a), 1);
	oauth_store_close(a);
	oauth_store_close(c);
}
END_TEST

START_TEST(test_store_default_dir)
{
	char	*d;

	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	setenv("HOME", "/home/u", 1);
	d = oauth_store_default_dir();
	ck_assert_str_eq(d, "/x/conf/mcpbridge");
	free(d);
	/* A relative XDG_CONFIG_HOME is ignored, as the spec says. */
	setenv("XDG_CONFIG_HOME", "conf", 1);
	d = oauth_store_default_dir();
	ck_assert_str_eq(d, "/home/u/.config/mcpbridge");
	free(d);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	ck_assert_ptr_null(oauth_store_default_dir());
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("oauth");
	TCase	*tu = tcase_create("urls and parsing");
	TCase	*tp = tcase_create("pkce and state");
	TCase	*ts = tcase_create("store");

	tcase_add_test(tu, test_prm_urls);
	tcase_add_test(tu, test_as_urls);
	tcase_add_test(tu, test_origin_and_resource);
	tcase_add_test(tu, test_metadata_flags);
	tcase_add_test(tu, test_bearer);
	tcase_add_test(tu, test_scope);
	tcase_add_test(tu, test_form_and_command);
	tcase_add_test(tu, test_secret);
	tcase_add_test(tu, test_options);
	suite_add_tcase(s, tu);
	tcase_add_test(tp, test_pkce);
	tcase_add_test(tp, test_state);
	suite_add_tcase(s, tp);
	tcase_add_checked_fixture(ts, store_setup, store_teardown);
	tcase_set_timeout(ts, 60);
	tcase_add_test(ts, test_store_permissions);
	tcase_add_test(ts, test_store_servers);
	tcase_add_test(ts, test_store_atomic);
	tcase_add_test(ts, test_store_lock);
	tcase_add_test(ts, test_store_default_dir);
	suite_add_tcase(s, ts);
	return s;
}
