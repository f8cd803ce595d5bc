/* SPDX-License-Identifier: ISC */
/*
 * check_http_auth.c: what http.c asks of http_auth.c: the scopes a
 * request's tool calls need (--oauth-tool-scope; a batch the union) and
 * the OAuth lines of /metrics, over a real rsauth and jwks on the fake
 * HTTP of rstest.h.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "checktest.h"
#include "http_auth.h"
#include "jwks.h"
#include "rsauth.h"
#include "rstest.h"

static char *const tool_scopes[] = {
	"delete=files:write files:admin",
	"read=files:read",
	"delete=files:write audit",	/* named twice: both lists */
};

static struct http_auth *
make(struct http_oauth *o)
{
	memset(o, 0, sizeof *o);
	o->document = "{}";
	o->metadata_path = "/.well-known/oauth-protected-resource/mcp";
	o->tool_scopes = tool_scopes;
	o->ntool_scopes = sizeof tool_scopes / sizeof tool_scopes[0];
	return http_auth_new(o);
}

/* The scopes msg (JSON text) needs, space-joined. */
static char *
needs(struct http_auth *ha, const char *text)
{
	const char	*out[16];
	json_object	*msg;
	size_t		 n, i, len = 1;
	char		*s;

	msg = json_tokener_parse(text);
	ck_assert_ptr_nonnull(msg);
	n = http_auth_scopes(ha, msg, out, 16);
	json_object_put(msg);
	for (i = 0; i < n; i++)
		len += strlen(out[i]) + 1;
	s = calloc(1, len);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, out[i]);
	}
	return s;
}

#define NEEDS(text, want) do {						\
	char *got_ = needs(ha, text);					\
	ck_assert_msg(strcmp(got_, want) == 0, "%s: '%s', not '%s'",	\
	    text, got_, want);						\
	free(got_);							\
} while (0)

START_TEST(test_tool_scopes)
{
	struct http_oauth	 o;
	struct http_auth	*ha = make(&o);

	NEEDS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"read\"}}", "files:read");
	/* Both options of one tool, each scope once. */
	NEEDS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"delete\"}}",
	    "files:write files:admin audit");
	/* Other tools, other methods, odd params: nothing. */
	NEEDS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"list\"}}", "");
	NEEDS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\","
	    "\"params\":{\"name\":\"delete\"}}", "");
	NEEDS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":7}}", "");
	NEEDS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}", "");
	/* A prefix is not the name. */
	NEEDS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"del\"}}", "");
	/* A batch: the union. */
	NEEDS("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"read\"}},{\"jsonrpc\":\"2.0\",\"id\":2,"
	    "\"method\":\"tools/call\",\"params\":{\"name\":\"delete\"}},"
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"read\"}}]",
	    "files:read files:write files:admin audit");
	ck_assert_uint_eq(http_auth_ntools(ha), 2);
	ck_assert_str_eq(http_auth_oauth(ha)->metadata_path,
	    "/.well-known/oauth-protected-resource/mcp");
	http_auth_free(ha);
}
END_TEST

/* A TOOL spelt as the aggregated endpoint shows it (NAME<sep>tool) is
 * server NAME's tool only, on NAME's route; the plain name is every
 * server's.  The tool of an endpoint that resolved it, likewise. */
START_TEST(test_server_tool)
{
	static char *const	 ts[] = { "fs.write=files:write", "read=r" };
	struct http_oauth	 o;
	struct http_auth	*ha;
	const char		*out[4];
	json_object		*msg;
	size_t			 n;

	memset(&o, 0, sizeof o);
	o.document = "{}";
	o.metadata_path = "/x";
	o.tool_scopes = ts;
	o.ntool_scopes = 2;
	o.tool_separator = ".";
	ha = http_auth_new(&o);
	msg = json_tokener_parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"write\"}}");
	ck_assert_uint_eq(http_auth_scopes_on(ha, "fs", msg, out, 4), 1);
	ck_assert_str_eq(out[0], "files:write");
	ck_assert_uint_eq(http_auth_scopes_on(ha, "db", msg, out, 4), 0);
	ck_assert_uint_eq(http_auth_scopes(ha, msg, out, 4), 0);
	json_object_put(msg);
	n = 0;
	http_auth_tool_scopes(ha, "fs", "write", out, 4, &n);
	ck_assert_uint_eq(n, 1);
	http_auth_tool_scopes(ha, "db", "read", out, 4, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[1], "r");
	http_auth_free(ha);
}
END_TEST

/* No more than the caller's room, and a need beyond it is told (max + 1),
 * never cut silently: the caller refuses the request. */
START_TEST(test_bounded)
{
	struct http_oauth	 o;
	struct http_auth	*ha = make(&o);
	const char		*out[3], *small[2];
	json_object		*msg;

	msg = json_tokener_parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"delete\"}}");
	ck_assert_uint_eq(http_auth_scopes(ha, msg, out, 3), 3);
	/* Within small's room (ASan would see a write past it). */
	ck_assert_uint_eq(http_auth_scopes(ha, msg, small, 2), 3);
	ck_assert_uint_eq(http_auth_scopes(NULL, msg, small, 2), 0);
	json_object_put(msg);
	http_auth_free(ha);
}
END_TEST

START_TEST(test_metrics)
{
	struct http_oauth	 o;
	struct http_auth	*ha;
	struct rsauth_config	 c;
	struct rsauth_result	 r;
	struct rsauth_req	*q;
	struct evbuffer		*buf;
	const char		*cause;
	char			*set, *text;

	rst_clock_reset();
	memset(&o, 0, sizeof o);
	o.jwks = jwks_new(&rst_ops, NULL, rst_clock_ms);
	ck_assert_int_eq(jwks_add(o.jwks, RST_ISSUER, &cause), 0);
	jwks_start(o.jwks);
	rst_answer_url(RST_METADATA, 200, NULL, rst_metadata());
	set = rst_jwks(1);
	rst_answer_url(RST_JWKS_URI, 200, NULL, set);
	free(set);
	memset(&c, 0, sizeof c);
	c.jwks = o.jwks;
	c.resource = RST_RESOURCE;
	c.now = rst_time;
	o.rsauth = rsauth_new(&c, &cause);
	ck_assert_ptr_nonnull(o.rsauth);
	/* One request with no token. */
	ck_assert_int_eq(rsauth_check(o.rsauth, NULL, NULL, 0, &r, NULL, NULL,
	    &q), RSAUTH_UNAUTHORIZED);
	rsauth_result_free(&r);
	ha = http_auth_new(&o);
	buf = evbuffer_new();
	http_auth_metrics(ha, buf, 5);
	evbuffer_add(buf, "", 1);
	text = (char *)evbuffer_pullup(buf, -1);
	ck_assert_ptr_nonnull(strstr(text,
	    "# TYPE mcpbridge_oauth_tokens_total counter\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "mcpbridge_oauth_tokens_total{result=\"no_token\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "mcpbridge_oauth_tokens_total{result=\"static\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "mcpbridge_oauth_tokens_total{result=\"expired\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "mcpbridge_oauth_jwks_fetches_total{result=\"ok\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text,
	    "mcpbridge_oauth_jwks_keys{issuer=\"" RST_ISSUER "\"} 2\n"));
	/* No introspection configured: no such lines. */
	ck_assert_ptr_null(strstr(text, "mcpbridge_oauth_introspection_"));
	evbuffer_free(buf);
	http_auth_free(ha);
	rsauth_free(o.rsauth);
	jwks_free(o.jwks);
	rst_reset();
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("http_auth");
	TCase	*tc = tcase_create("http_auth");

	rst_keys_init();
	tcase_add_test(tc, test_tool_scopes);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_server_tool);
	tcase_add_test(tc, test_metrics);
	suite_add_tcase(s, tc);
	return s;
}
