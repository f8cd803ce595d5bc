/* SPDX-License-Identifier: ISC */
/*
 * check_cli.c: command-line parsing, as a user types it.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checktest.h"
#include "cli.h"
#include "serve.h"
#include "xmalloc.h"

#define ARGV_MAX	64

/* Parses a NULL-terminated list of words; *err is freed by the caller. */
static enum cli_result
parse(struct config *c, char **err, ...)
{
	char		*argv[ARGV_MAX];
	int		 argc = 0;
	va_list		 ap;
	char		*w;

	argv[argc++] = (char *)"mcpbridge";
	va_start(ap, err);
	while ((w = va_arg(ap, char *)) != NULL && argc < ARGV_MAX - 1)
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	config_init(c);
	return cli_parse(argc, argv, c, err);
}

START_TEST(test_serve_defaults)
{
	struct config	c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, "serve", "--", "server", "-x", "y",
	    NULL), CLI_OK);
	ck_assert_int_eq(c.mode, CLI_MODE_SERVE);
	ck_assert_str_eq(c.serve.command[0], "server");
	ck_assert_str_eq(c.serve.command[1], "-x");
	ck_assert_str_eq(c.serve.command[2], "y");
	ck_assert_ptr_null(c.serve.command[3]);
	ck_assert_str_eq(c.serve.http.host, "127.0.0.1");
	ck_assert_int_eq(c.serve.http.port, 8000);
	ck_assert_str_eq(c.serve.http.mcp_path, "/mcp");
	ck_assert_str_eq(c.serve.http.sse_path, "/sse");
	ck_assert_str_eq(c.serve.http.message_path, "/message");
	ck_assert_str_eq(c.serve.http.base_path, "");
	ck_assert_uint_eq(c.serve.max_message_size, 16u * 1024 * 1024);
	ck_assert_int_eq(c.serve.kill_timeout_ms, 5000);
	ck_assert_int_eq(c.serve.restart, UPSTREAM_RESTART_ON_FAILURE);
	ck_assert_int_eq(c.serve.isolation, MUX_ISOLATION_SHARED);
	ck_assert_int_eq(c.serve.server_requests,
	    MUX_SERVER_REQUESTS_SCHEDULE);
	ck_assert_ptr_null(c.serve.asking_tools);
	ck_assert_int_eq(c.serve.http.keepalive_ms, 15000);
	/* --isolation=session is capped unless the user says otherwise. */
	ck_assert_uint_eq(c.serve.max_children, 32);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--max-children", "0", "--",
	    "server", NULL), CLI_OK);
	ck_assert_uint_eq(c.serve.max_children, 0);
	ck_assert_uint_eq(c.serve.children, 1);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--children", "4", "--",
	    "server", NULL), CLI_OK);
	ck_assert_uint_eq(c.serve.children, 4);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--children", "64", "--",
	    "server", NULL), CLI_OK);
	ck_assert_uint_eq(c.serve.children, MUX_CHILDREN_MAX);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--children", "2",
	    "--child-era", "auto", "--", "server", NULL), CLI_OK);
	config_free(&c);
}
END_TEST

/*
 * One answer of --max-message-size must fit a session's output queue, or
 * the client that polls for it loses its session; without --max-queue
 * the queue holds two.
 */
START_TEST(test_max_queue_follows_message_size)
{
	struct config		c;
	struct serve_config	sc;
	char			*err;

	ck_assert_int_eq(parse(&c, &err, "serve", "--", "server", NULL),
	    CLI_OK);
	cli_serve_config(&c, &sc);
	ck_assert_msg(sc.http.max_queue >= 2 * c.serve.max_message_size,
	    "default --max-queue %zu below two answers of %zu",
	    sc.http.max_queue, c.serve.max_message_size);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--max-message-size", "40M",
	    "--", "server", NULL), CLI_OK);
	cli_serve_config(&c, &sc);
	ck_assert_uint_eq(sc.http.max_queue, 80u * 1024 * 1024);
	config_free(&c);

	/* Given, it is what it says. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--max-message-size", "40M",
	    "--max-queue", "64K", "--", "server", NULL), CLI_OK);
	cli_serve_config(&c, &sc);
	ck_assert_uint_eq(sc.http.max_queue, 64 * 1024);
	config_free(&c);
}
END_TEST

/* --trace[=body] in both modes; debug level traces without bodies. */
START_TEST(test_trace_option)
{
	struct config		c;
	struct serve_config	sc;
	struct client_config	cc;
	char			*err;

	ck_assert_int_eq(parse(&c, &err, "serve", "--", "server", NULL),
	    CLI_OK);
	cli_serve_config(&c, &sc);
	ck_assert_int_eq(sc.trace, TRACE_OFF);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--trace", "--", "server",
	    NULL), CLI_OK);
	cli_serve_config(&c, &sc);
	ck_assert_int_eq(sc.trace, TRACE_ON);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "--log-level", "debug", "serve",
	    "--", "server", NULL), CLI_OK);
	cli_serve_config(&c, &sc);
	ck_assert_int_eq(sc.trace, TRACE_ON);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "client", "--trace=body",
	    "http://127.0.0.1:1/mcp", NULL), CLI_OK);
	cli_client_config(&c, &cc);
	ck_assert_int_eq(cc.trace, TRACE_BODY);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "client", "--log-level", "debug",
	    "http://127.0.0.1:1/mcp", NULL), CLI_OK);
	cli_client_config(&c, &cc);
	ck_assert_int_eq(cc.trace, TRACE_ON);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--trace=all", "--",
	    "server", NULL), CLI_ERROR);
	ck_assert_str_eq(err, "--trace takes =body or nothing, not '=all'");
	free(err);
	config_free(&c);
}
END_TEST

START_TEST(test_serve_command_without_dashes)
{
	struct config	c;
	char		*err;

	/* The first word that is not an option starts the command, so the
	 * command's own options are not taken for ours. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--port", "0", "node",
	    "srv.js", "--port", "9", NULL), CLI_OK);
	ck_assert_int_eq(c.serve.http.port, 0);
	ck_assert_str_eq(c.serve.command[0], "node");
	ck_assert_str_eq(c.serve.command[2], "--port");
	ck_assert_str_eq(c.serve.command[3], "9");
	config_free(&c);
}
END_TEST

START_TEST(test_serve_options)
{
	struct config	c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, "serve", "--env", "A=1", "--env",
	    "B=x=y", "--cwd", "/tmp", "--max-message-size", "1M",
	    "--kill-timeout", "250ms", "--restart", "always", "--isolation=session",
	    "--max-children", "4", "--server-requests", "latest",
	    "--asking-tools", "ask, sample-llm", "--asking-tools", " x\t",
	    "--base-path", "/api/", "--path", "/m", "--keepalive", "2s",
	    "--max-queue", "64K", "--replay-buffer", "10,2K", "--print-url",
	    "--log-level", "debug", "--log-format", "json", "--", "srv", NULL),
	    CLI_OK);
	ck_assert_uint_eq(c.nenv, 2);
	ck_assert_str_eq(c.serve.env[0], "A=1");
	ck_assert_str_eq(c.serve.env[1], "B=x=y");
	ck_assert_ptr_null(c.serve.env[2]);
	ck_assert_str_eq(c.serve.cwd, "/tmp");
	ck_assert_uint_eq(c.serve.max_message_size, 1024 * 1024);
	ck_assert_int_eq(c.serve.kill_timeout_ms, 250);
	ck_assert_int_eq(c.serve.restart, UPSTREAM_RESTART_ALWAYS);
	ck_assert_int_eq(c.serve.isolation, MUX_ISOLATION_SESSION);
	ck_assert_uint_eq(c.serve.max_children, 4);
	ck_assert_int_eq(c.serve.server_requests, MUX_SERVER_REQUESTS_LATEST);
	ck_assert_uint_eq(c.nasking_tools, 3);
	ck_assert_str_eq(c.serve.asking_tools[0], "ask");
	ck_assert_str_eq(c.serve.asking_tools[1], "sample-llm");
	ck_assert_str_eq(c.serve.asking_tools[2], "x");
	ck_assert_ptr_null(c.serve.asking_tools[3]);
	ck_assert_str_eq(c.serve.http.base_path, "/api");
	ck_assert_str_eq(c.serve.http.mcp_path, "/m");
	ck_assert_int_eq(c.serve.http.keepalive_ms, 2000);
	ck_assert_uint_eq(c.serve.http.max_queue, 64 * 1024);
	ck_assert_uint_eq(c.serve.http.replay_messages, 10);
	ck_assert_uint_eq(c.serve.http.replay_bytes, 2048);
	ck_assert_int_eq(c.serve.http.print_url, 1);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(c.log_format, LOG_FORMAT_JSON);
	config_free(&c);
}
END_TEST

START_TEST(test_connect)
{
	struct config	c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, "serve", "--connect",
	    "unix:/run/x.sock", NULL), CLI_OK);
	ck_assert_str_eq(c.serve.connect, "unix:/run/x.sock");
	ck_assert_ptr_null(c.serve.command);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--connect",
	    "tcp:127.0.0.1:9000", NULL), CLI_OK);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--connect", "tcp:host",
	    NULL), CLI_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "tcp:HOST:PORT"));
	free(err);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--connect",
	    "unix:/x", "--", "srv", NULL), CLI_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "not both"));
	free(err);
	config_free(&c);
}
END_TEST

/* Each bad command line gives CLI_ERROR with a reason naming the problem. */
START_TEST(test_errors)
{
	static const struct {
		const char	*words[8];
		const char	*reason;
	} cases[] = {
		{ { NULL }, "mode" },
		{ { "frobnicate", NULL }, "unknown mode" },
		{ { "serve", NULL }, "needs a command" },
		{ { "serve", "--bogus", "--", "x", NULL }, "unknown option" },
		{ { "serve", "--port", NULL }, "needs a value" },
		{ { "serve", "--port", "70000", "--", "x", NULL }, "--port" },
		{ { "serve", "--port", "12ab", "--", "x", NULL }, "--port" },
		{ { "serve", "--restart", "sometimes", "--", "x", NULL }, "--restart" },
		{ { "serve", "--isolation", "none", "--", "x", NULL }, "--isolation" },
		{ { "serve", "--env", "NOEQUALS", "--", "x", NULL }, "KEY=VALUE" },
		{ { "serve", "--max-message-size", "-5", "--", "x", NULL }, "--max-message-size" },
		{ { "serve", "--kill-timeout", "5 parsecs", "--", "x", NULL }, "--kill-timeout" },
		{ { "serve", "--path", "mcp", "--", "x", NULL }, "must start with" },
		{ { "serve", "--client-capabilities", "[1]", "--", "x", NULL }, "JSON object" },
		{ { "serve", "--client-capabilities", "{\"a\":NaN}", "--", "x",
		    NULL }, "JSON object" },
		{ { "serve", "--client-capabilities", "{\"b\":01}", "--", "x",
		    NULL }, "JSON object" },
		{ { "serve", "--path", "/sse", "--", "x", NULL },
		  "--path and --sse-path are both /sse" },
		{ { "serve", "--message-path", "/healthz", "--", "x", NULL },
		  "path of its own" },
		{ { "serve", "--path", "/metrics", "--", "x", NULL },
		  "--path and the metrics are both /metrics" },
		{ { "serve", "--sse-path", "/status", "--", "x", NULL },
		  "--sse-path and the status page are both /status" },
		{ { "serve", "--message-path", "/status.json", "--", "x", NULL },
		  "--message-path and the status page's JSON are both "
		  "/status.json" },
		{ { "serve", "--log-level", "loud", "--", "x", NULL }, "--log-level" },
		{ { "serve", "--server-requests", "guess", "--", "x", NULL },
		  "--server-requests wants schedule" },
		{ { "serve", "--asking-tools", "a,,b", "--", "x", NULL },
		  "--asking-tools" },
		{ { "serve", "--asking-tools", "", "--", "x", NULL },
		  "--asking-tools" },
		{ { "serve", "--asking-tools", " , x", "--", "x", NULL },
		  "--asking-tools wants tool names" },
		{ { "serve", "--asking-tools", "a\nb", "--", "x", NULL },
		  "holds a control character (0x0a)" },
		{ { "serve", "--children", " 2", "--", "x", NULL },
		  "--children wants a number" },
		{ { "serve", "--children", "+3", "--", "x", NULL },
		  "--children wants a number" },
		{ { "serve", "--instance-id", "a.b", "--", "x", NULL }, "--instance-id" },
		{ { "serve", "--instance-id", "", "--", "x", NULL }, "--instance-id" },
		{ { "serve", "--instance-id",
		    "abcdefghijklmnopqrstuvwxyz0123456", "--", "x", NULL },
		  "--instance-id" },
		{ { "serve", "--children", "0", "--", "x", NULL },
		  "--children wants a number from 1 to 64" },
		{ { "serve", "--children", "65", "--", "x", NULL },
		  "--children wants a number from 1 to 64" },
		{ { "serve", "--children", "2", "--isolation", "session", "--",
		    "x", NULL }, "--children is for --isolation=shared" },
		{ { "serve", "--children", "2", "--connect", "unix:/x", NULL },
		  "with --connect there is one server" },
		{ { "client", NULL }, "needs a URL" },
		{ { "client", "a", "b", NULL }, "one URL" },
		{ { "client", "--era", "new", "http://127.0.0.1/", NULL },
		  "--era" },
		{ { "client", "--era", "modern", "--transport", "sse",
		    "http://127.0.0.1/", NULL }, "--era modern" },
	};
	struct config	 c;
	char		*argv[10], *err;
	size_t		 i;
	int		 argc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		argc = 0;
		argv[argc++] = (char *)"mcpbridge";
		while (cases[i].words[argc - 1] != NULL)
			argv[argc] = (char *)cases[i].words[argc - 1], argc++;
		argv[argc] = NULL;
		config_init(&c);
		err = NULL;
		ck_assert_msg(cli_parse(argc, argv, &c, &err) == CLI_ERROR,
		    "case %zu accepted", i);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strstr(err, cases[i].reason) != NULL,
		    "case %zu: '%s' lacks '%s'", i, err, cases[i].reason);
		free(err);
		config_free(&c);
	}
}
END_TEST

/* The OAuth resource server's options: kept as given, the leeway's
 * default, the client secret's two forms. */
START_TEST(test_oauth_options)
{
	struct config	c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, "serve", "--oauth-issuer",
	    "https://as.example/realms/a", "--oauth-issuer",
	    "http://127.0.0.1:9000", "--oauth-scope", "mcp:read",
	    "--oauth-scope", "mcp:use", "--oauth-tool-scope",
	    "delete=mcp:admin mcp:write", "--oauth-client-id", "bridge",
	    "--oauth-client-secret-env", "BRIDGE_SECRET", "--", "x", NULL),
	    CLI_OK);
	ck_assert_uint_eq(c.serve.noauth_issuers, 2);
	ck_assert_str_eq(c.serve.oauth_issuers[0],
	    "https://as.example/realms/a");
	ck_assert_str_eq(c.serve.oauth_issuers[1], "http://127.0.0.1:9000");
	ck_assert_ptr_null(c.serve.oauth_issuers[2]);
	ck_assert_uint_eq(c.serve.noauth_scopes, 2);
	ck_assert_str_eq(c.serve.oauth_scopes[1], "mcp:use");
	ck_assert_uint_eq(c.serve.noauth_tool_scopes, 1);
	ck_assert_str_eq(c.serve.oauth_tool_scopes[0],
	    "delete=mcp:admin mcp:write");
	ck_assert_str_eq(c.serve.oauth_client_id, "bridge");
	ck_assert_str_eq(c.serve.oauth_client_secret_env, "BRIDGE_SECRET");
	/* Loopback: the resource defaults (serve works it out). */
	ck_assert_ptr_null(c.serve.oauth_resource);
	ck_assert_int_eq(c.serve.oauth_leeway, 60);
	ck_assert_int_eq(c.serve.oauth_require_at_jwt, 0);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--host", "0.0.0.0",
	    "--oauth-issuer", "https://as.example", "--oauth-resource",
	    "https://mcp.example/mcp", "--oauth-leeway", "0",
	    "--oauth-require-at-jwt", "--oauth-client-id", "b",
	    "--oauth-client-secret-file", "/etc/secret", "--", "x", NULL),
	    CLI_OK);
	ck_assert_str_eq(c.serve.oauth_resource, "https://mcp.example/mcp");
	ck_assert_int_eq(c.serve.oauth_leeway, 0);
	ck_assert_int_eq(c.serve.oauth_require_at_jwt, 1);
	ck_assert_str_eq(c.serve.oauth_client_secret_file, "/etc/secret");
	config_free(&c);
}
END_TEST

START_TEST(test_oauth_errors)
{
	static const struct {
		const char	*words[12];
		const char	*reason;
	} cases[] = {
		{ { "serve", "--oauth-issuer", "ftp://as.example", "--", "x",
		    NULL }, "--oauth-issuer 'ftp://as.example'" },
		{ { "serve", "--oauth-issuer", "http://as.example", "--", "x",
		    NULL }, "--oauth-issuer" },
		{ { "serve", "--oauth-issuer", "https://as.example?x=1", "--",
		    "x", NULL }, "--oauth-issuer" },
		{ { "serve", "--oauth-resource", "https://r.example/mcp#f",
		    "--oauth-issuer", "https://as.example", "--", "x", NULL },
		  "--oauth-resource" },
		{ { "serve", "--oauth-scope", "a\"b", "--oauth-issuer",
		    "https://as.example", "--", "x", NULL }, "is no scope" },
		{ { "serve", "--oauth-scope", "a b", "--oauth-issuer",
		    "https://as.example", "--", "x", NULL }, "one scope" },
		{ { "serve", "--oauth-tool-scope", "noequals", "--", "x",
		    NULL }, "TOOL=SCOPE" },
		{ { "serve", "--oauth-tool-scope", "t=", "--", "x", NULL },
		  "wants a scope" },
		{ { "serve", "--oauth-tool-scope", "=s", "--", "x", NULL },
		  "TOOL=SCOPE" },
		{ { "serve", "--oauth-leeway", "601", "--", "x", NULL },
		  "--oauth-leeway wants 0 to 600" },
		{ { "serve", "--oauth-scope", "s", "--", "x", NULL },
		  "need --oauth-issuer" },
		{ { "serve", "--oauth-require-at-jwt", "--", "x", NULL },
		  "need --oauth-issuer" },
		{ { "serve", "--oauth-issuer", "https://as.example",
		    "--oauth-client-id", "b", "--", "x", NULL },
		  "go together" },
		{ { "serve", "--oauth-issuer", "https://as.example",
		    "--oauth-client-secret-env", "S", "--", "x", NULL },
		  "go together" },
		{ { "serve", "--oauth-issuer", "https://as.example",
		    "--oauth-client-id", "b", "--oauth-client-secret-env", "S",
		    "--oauth-client-secret-file", "f", "--", "x", NULL },
		  "not both" },
		{ { "serve", "--host", "0.0.0.0", "--oauth-issuer",
		    "https://as.example", "--", "x", NULL },
		  "--oauth-resource is required when --host is not loopback" },
	};
	struct config	 c;
	char		*argv[14], *err;
	size_t		 i;
	int		 argc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		argc = 0;
		argv[argc++] = (char *)"mcpbridge";
		while (cases[i].words[argc - 1] != NULL)
			argv[argc] = (char *)cases[i].words[argc - 1], argc++;
		argv[argc] = NULL;
		config_init(&c);
		err = NULL;
		ck_assert_msg(cli_parse(argc, argv, &c, &err) == CLI_ERROR,
		    "case %zu accepted", i);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strstr(err, cases[i].reason) != NULL,
		    "case %zu: '%s' lacks '%s'", i, err, cases[i].reason);
		free(err);
		config_free(&c);
	}
	/* Seventeen issuers are one too many. */
	{
		char	*w[40], url[64];
		char	 urls[17][64];
		int	 n = 0, k;

		w[n++] = (char *)"mcpbridge";
		w[n++] = (char *)"serve";
		for (k = 0; k < 17; k++) {
			snprintf(url, sizeof url, "https://as%d.example", k);
			memcpy(urls[k], url, sizeof url);
			w[n++] = (char *)"--oauth-issuer";
			w[n++] = urls[k];
		}
		w[n++] = (char *)"--";
		w[n++] = (char *)"x";
		w[n] = NULL;
		config_init(&c);
		ck_assert_int_eq(cli_parse(n, w, &c, &err), CLI_ERROR);
		ck_assert_ptr_nonnull(strstr(err, "at most 16 issuers"));
		free(err);
		config_free(&c);
	}
}
END_TEST

/* --instance-id: a session id prefix a load balancer can route on. */
START_TEST(test_instance_id)
{
	struct config	c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, "serve", "--", "x", NULL), CLI_OK);
	ck_assert_ptr_null(c.serve.instance_id);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--instance-id",
	    "eu-west_1", "--", "x", NULL), CLI_OK);
	ck_assert_str_eq(c.serve.instance_id, "eu-west_1");
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--instance-id",
	    "abcdefghijklmnopqrstuvwxyz012345", "--", "x", NULL), CLI_OK);
	config_free(&c);
}
END_TEST

START_TEST(test_help_version)
{
	struct config	c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, "--help", NULL), CLI_HELP);
	ck_assert_int_eq(c.mode, CLI_MODE_NONE);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "--version", NULL), CLI_VERSION);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--help", NULL), CLI_HELP);
	ck_assert_int_eq(c.mode, CLI_MODE_SERVE);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "client", "-h", NULL), CLI_HELP);
	ck_assert_int_eq(c.mode, CLI_MODE_CLIENT);
	config_free(&c);
	/* Client options may follow the URL. */
	ck_assert_int_eq(parse(&c, &err, "client", "http://127.0.0.1:1/mcp",
	    "--oneshot", NULL), CLI_OK);
	ck_assert_str_eq(c.client.url, "http://127.0.0.1:1/mcp");
	ck_assert_int_eq(c.client.oneshot, 1);
	ck_assert_int_eq(c.client.era, CLIENT_ERA_AUTO);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "client", "--era", "modern",
	    "http://127.0.0.1:1/mcp", NULL), CLI_OK);
	ck_assert_int_eq(c.client.era, CLIENT_ERA_MODERN);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "client", "--era=legacy",
	    "http://127.0.0.1:1/mcp", NULL), CLI_OK);
	ck_assert_int_eq(c.client.era, CLIENT_ERA_LEGACY);
	config_free(&c);
	/* A global option before the mode. */
	ck_assert_int_eq(parse(&c, &err, "--log-level", "warn", "serve", "--",
	    "x", NULL), CLI_OK);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_WARN);
	config_free(&c);
}
END_TEST

START_TEST(test_sizes_durations)
{
	size_t		sz;
	uint64_t	ms;

	ck_assert_int_eq(cli_parse_size("0", &sz), 0);
	ck_assert_uint_eq(sz, 0);
	ck_assert_int_eq(cli_parse_size("16M", &sz), 0);
	ck_assert_uint_eq(sz, 16u << 20);
	ck_assert_int_eq(cli_parse_size("2KiB", &sz), 0);
	ck_assert_uint_eq(sz, 2048);
	ck_assert_int_eq(cli_parse_size("1G", &sz), 0);
	ck_assert_uint_eq(sz, 1u << 30);
	ck_assert_int_eq(cli_parse_size("", &sz), -1);
	ck_assert_int_eq(cli_parse_size("M", &sz), -1);
	ck_assert_int_eq(cli_parse_size("5X", &sz), -1);
	ck_assert_int_eq(cli_parse_size("99999999999999999999", &sz), -1);
	ck_assert_int_eq(cli_parse_duration("5", &ms), 0);
	ck_assert_uint_eq(ms, 5000);
	ck_assert_int_eq(cli_parse_duration("250ms", &ms), 0);
	ck_assert_uint_eq(ms, 250);
	ck_assert_int_eq(cli_parse_duration("2m", &ms), 0);
	ck_assert_uint_eq(ms, 120000);
	ck_assert_int_eq(cli_parse_duration("1h", &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	ck_assert_int_eq(cli_parse_duration("-1", &ms), -1);
	ck_assert_int_eq(cli_parse_duration("1d", &ms), -1);
}
END_TEST

/* cli_log_format over a NULL-terminated list of words. */
static int
early_format(const char *w, ...)
{
	char		*argv[ARGV_MAX];
	int		 argc = 0;
	va_list		 ap;

	argv[argc++] = (char *)"mcpbridge";
	va_start(ap, w);
	for (; w != NULL && argc < ARGV_MAX - 1; w = va_arg(ap, char *))
		argv[argc++] = (char *)w;
	va_end(ap);
	argv[argc] = NULL;
	return cli_log_format(argc, argv);
}

/* What is said before the real parse: the format the command line asks
 * for, read as cli_parse reads it. */
START_TEST(test_early_log_format)
{
	ck_assert_int_eq(early_format("serve", "--", "x", NULL), -1);
	ck_assert_int_eq(early_format("--log-format", "json", "serve", NULL),
	    LOG_FORMAT_JSON);
	ck_assert_int_eq(early_format("serve", "--nope", "--log-format=json",
	    "--", "x", NULL), LOG_FORMAT_JSON);
	/* getopt's abbreviations; the last one wins. */
	ck_assert_int_eq(early_format("serve", "--log-form", "json", NULL),
	    LOG_FORMAT_JSON);
	ck_assert_int_eq(early_format("--log-format", "json", "serve",
	    "--log-format", "text", NULL), LOG_FORMAT_TEXT);
	/* A bad value is no choice; the good one before it stands. */
	ck_assert_int_eq(early_format("serve", "--log-format", "xml", NULL),
	    -1);
	ck_assert_int_eq(early_format("serve", "--log-format", "json",
	    "--log-format", "xml", NULL), LOG_FORMAT_JSON);
	/* The child's arguments, and an option's value, are not ours. */
	ck_assert_int_eq(early_format("serve", "--", "x", "--log-format",
	    "json", NULL), -1);
	ck_assert_int_eq(early_format("serve", "--env", "--log-format=json",
	    "--", "x", NULL), -1);
	/* Client mode takes options after its URL too. */
	ck_assert_int_eq(early_format("client", "http://h/mcp",
	    "--log-format", "json", NULL), LOG_FORMAT_JSON);
	ck_assert_int_eq(early_format("nomode", "--log-format", "json", NULL),
	    -1);
}
END_TEST

START_TEST(test_log_levels)
{
	struct config	 c;
	enum log_level	 l;
	char		*err;

	/* The spellings people type. */
	ck_assert_int_eq(log_level_parse("warning", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_WARN);
	ck_assert_int_eq(log_level_parse("WARN", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_WARN);
	ck_assert_int_eq(log_level_parse("DEBUG", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_level_parse("Info", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_INFO);
	ck_assert_int_eq(log_level_parse("err", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_ERROR);
	ck_assert_int_eq(log_level_parse("ERROR", &l), 0);
	ck_assert_int_eq(l, LOG_LEVEL_ERROR);
	ck_assert_int_eq(log_level_parse("verbose", &l), -1);
	ck_assert_int_eq(log_level_parse("", &l), -1);
	ck_assert_int_eq(log_level_parse("warnings", &l), -1);

	/* -q and -v: one step each from --log-level (or info), in any
	 * order, repeatable, clamped at error and debug. */
	ck_assert_int_eq(parse(&c, &err, "serve", "-v", "--", "x", NULL),
	    CLI_OK);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "-q", "serve", "-q", "--", "x",
	    NULL), CLI_OK);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_ERROR);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "-qqqq", "--", "x", NULL),
	    CLI_OK);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_ERROR);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "-v", "--log-level", "error",
	    "--", "x", NULL), CLI_OK);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_WARN);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "client", "--quiet",
	    "http://127.0.0.1:1/mcp", "--verbose", "--verbose", NULL), CLI_OK);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);
	config_free(&c);

	/* The access log and the child's stderr have their own switch;
	 * unset, they follow the level. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--", "x", NULL), CLI_OK);
	ck_assert_int_eq(c.access_log, -1);
	ck_assert_int_eq(c.child_stderr, -1);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--access-log", "off",
	    "--child-stderr", "on", "--", "x", NULL), CLI_OK);
	ck_assert_int_eq(c.access_log, 0);
	ck_assert_int_eq(c.child_stderr, 1);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--access-log=on",
	    "--child-stderr=off", "--", "x", NULL), CLI_OK);
	ck_assert_int_eq(c.access_log, 1);
	ck_assert_int_eq(c.child_stderr, 0);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--access-log", "maybe",
	    "--", "x", NULL), CLI_ERROR);
	ck_assert_str_eq(err, "--access-log wants on or off, not 'maybe'");
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "--log-level", "loud", "serve", "--",
	    "x", NULL), CLI_ERROR);
	ck_assert_str_eq(err, "--log-level wants error, warn, info or debug "
	    "(or -q, -v), not 'loud'");
	free(err);
	config_free(&c);
}
END_TEST

/* ---- serve --config FILE ---- */

static char	conf_path[] = "/tmp/check_cli_conf.XXXXXX";
/* Made (mkstemp's name may end in an X too: not the test for it). */
static int	conf_made;

/* Writes text (' for ") as the config file; its path is conf_path. */
static void
conf_write(const char *text)
{
	FILE	*f;
	char	*t, *p;
	int	 fd;

	if (!conf_made) {
		fd = mkstemp(conf_path);
		ck_assert_msg(fd != -1, "mkstemp: %s", strerror(errno));
		close(fd);
		conf_made = 1;
	}
	t = strdup(text);
	for (p = t; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	ck_assert_ptr_nonnull(f = fopen(conf_path, "w"));
	ck_assert_int_ge(fputs(t, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	free(t);
}

static void
conf_teardown(void)
{
	if (conf_made)
		unlink(conf_path);
}

/* A file with one server is `serve -- CMD` with the same options. */
START_TEST(test_config_one_server)
{
	struct config	c, d;
	char		*err;

	conf_write("{'mcpServers': {'demo': {'command': 'srv', 'args': "
	    "['-x', 'y'], 'env': {'A': '1'}, 'cwd': '/tmp', 'mcpbridge': "
	    "{'isolation': 'session', 'max-children': 4, 'kill-timeout': 2, "
	    "'deny-tool': ['write_*', 'rm']}}}, 'mcpbridge': {'port': 9000, "
	    "'print-url': true, 'allow-host': ['a.example', 'b.example'], "
	    "'max-body': '1M', 'access-log': false, 'trace': 'body'}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_int_eq(parse(&d, &err, "serve", "--isolation", "session",
	    "--max-children", "4", "--kill-timeout", "2", "--deny-tool",
	    "write_*", "--deny-tool", "rm", "--port", "9000", "--print-url",
	    "--allow-host", "a.example", "--allow-host", "b.example",
	    "--max-body", "1M", "--access-log", "off", "--trace=body",
	    "--env", "A=1", "--cwd", "/tmp", "--", "srv", "-x", "y", NULL),
	    CLI_OK);
	ck_assert_str_eq(c.serve.command[0], "srv");
	ck_assert_str_eq(c.serve.command[1], "-x");
	ck_assert_str_eq(c.serve.command[2], "y");
	ck_assert_ptr_null(c.serve.command[3]);
	ck_assert_str_eq(c.serve.env[0], d.serve.env[0]);
	ck_assert_ptr_null(c.serve.env[1]);
	ck_assert_str_eq(c.serve.cwd, d.serve.cwd);
	ck_assert_int_eq(c.serve.isolation, d.serve.isolation);
	ck_assert_uint_eq(c.serve.max_children, d.serve.max_children);
	ck_assert_int_eq(c.serve.kill_timeout_ms, 2000);
	ck_assert_uint_eq(c.serve.tools.ndeny, 2);
	ck_assert_str_eq(c.serve.tools.deny[0], "write_*");
	ck_assert_str_eq(c.serve.tools.deny[1], "rm");
	ck_assert_uint_eq(c.serve.tools.nallow, 0);
	ck_assert_int_eq(c.serve.http.port, 9000);
	ck_assert_int_eq(c.serve.http.print_url, 1);
	ck_assert_uint_eq(c.serve.http.nallow_hosts, 2);
	ck_assert_str_eq(c.serve.http.allow_hosts[1], "b.example");
	ck_assert_uint_eq(c.serve.http.max_body, d.serve.http.max_body);
	ck_assert_int_eq(c.access_log, 0);
	ck_assert_int_eq(c.trace, d.trace);
	ck_assert_int_eq(c.check, 0);
	ck_assert_uint_eq(c.nservers, 0);
	config_free(&c);
	config_free(&d);
}
END_TEST

/* The command line wins; a list option adds to the file's list. */
START_TEST(test_config_command_line_wins)
{
	struct config	c;
	char		*err;

	conf_write("{'mcpServers': {'a': {'command': 'srv', 'env': "
	    "{'K': 'file', 'F': '1'}}}, 'mcpbridge': {'port': 9000, "
	    "'log-level': 'debug', 'restart': 'no', 'cors': '*'}}");
	ck_assert_int_eq(parse(&c, &err, "--log-level", "warn", "serve",
	    "--port", "9001", "--config", conf_path, "--env", "K=cli",
	    "--cors", "http://x", NULL), CLI_OK);
	ck_assert_int_eq(c.serve.http.port, 9001);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_WARN);
	ck_assert_int_eq(c.serve.restart, UPSTREAM_RESTART_NO);
	/* The child's environment is set in order: the last K wins. */
	ck_assert_str_eq(c.serve.env[0], "K=file");
	ck_assert_str_eq(c.serve.env[1], "F=1");
	ck_assert_str_eq(c.serve.env[2], "K=cli");
	ck_assert_uint_eq(c.serve.http.ncors, 2);
	config_free(&c);

	/* -q on the command line and the file's level: applied last. */
	ck_assert_int_eq(parse(&c, &err, "-q", "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_INFO);
	config_free(&c);
}
END_TEST

/* A file with the bridge's settings only: the command after --. */
START_TEST(test_config_settings_only)
{
	struct config	c;
	char		*err;

	conf_write("{'mcpbridge': {'port': 0}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--", "srv", NULL), CLI_OK);
	ck_assert_str_eq(c.serve.command[0], "srv");
	ck_assert_int_eq(c.serve.http.port, 0);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_ERROR);
	ck_assert_str_eq(err, "serve needs a command (after --) or --connect");
	free(err);
	config_free(&c);

	/* With servers in the file, a command too is one too many. */
	conf_write("{'mcpServers': {'a': {'command': 'srv'}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--", "other", NULL), CLI_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "names the servers: give no "
	    "command after --"));
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--connect", "unix:/s", NULL), CLI_ERROR);
	ck_assert_str_eq(err, "give either --connect or a command, not both");
	free(err);
	config_free(&c);
}
END_TEST

/* Every error at once, each with the file and the JSON path. */
START_TEST(test_config_errors)
{
	struct config	c;
	char		*err, *want;

	conf_write("{'mcpServers': {'fs': {'command': 'srv', 'mcpbridge': "
	    "{'isolaton': 'session', 'port': 1, 'env': {'A': 'b'}}}}, "
	    "'mcpbridge': {'port': 'x', 'print-url': 'yes', 'host': [], "
	    "'allow-host': [1, {}], 'check': true, 'max-childern': 2, "
	    "'env': ['SECRET=hunter2', 'NOEQ'], 'quiet': null}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_CONFIG_ERROR);
	xasprintf(&want,
	    "%1$s: mcpbridge.port: --port wants 0 to 65535, not 'x'\n"
	    "%1$s: mcpbridge.print-url: wants true or false, not a string\n"
	    "%1$s: mcpbridge.host: takes one value, not an array\n"
	    "%1$s: mcpbridge.allow-host[1]: wants a string or a number (or "
	    "an array of them), not an object\n"
	    "%1$s: mcpbridge.check: not a setting for the file: give --check "
	    "on the command line\n"
	    "%1$s: mcpbridge.max-childern: unknown key (did you mean "
	    "\"max-children\"?)\n"
	    "%1$s: mcpbridge.env[1]: --env wants KEY=VALUE, without '=' "
	    "here\n"
	    "%1$s: mcpbridge.quiet: wants true or false, not null\n"
	    "%1$s: mcpServers.fs.mcpbridge.isolaton: unknown key (did you "
	    "mean \"isolation\"?)\n"
	    "%1$s: mcpServers.fs.mcpbridge.port: a setting of the whole "
	    "bridge: it goes in the top-level \"mcpbridge\" object\n"
	    "%1$s: mcpServers.fs.mcpbridge.env: wants a string or a number "
	    "(or an array of them), not an object\n", conf_path);
	ck_assert_str_eq(err, want);
	/* An --env value may be a secret: never shown. */
	ck_assert_ptr_null(strstr(err, "hunter2"));
	free(want);
	free(err);
	config_free(&c);

	/* --help reads no file: help for a file that has errors. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--help", NULL), CLI_HELP);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config",
	    "/nonexistent.json", NULL), CLI_CONFIG_ERROR);
	ck_assert_str_eq(err, "/nonexistent.json: cannot read it: No such "
	    "file or directory\n");
	free(err);
	config_free(&c);
}
END_TEST

/* Several servers: each its own whole config; a remote one is client
 * mode's settings in its serve config. */
START_TEST(test_config_several)
{
	struct config		c;
	struct serve_config	sc;
	char			*err;

	conf_write("{'mcpServers': {'a': {'command': 'one'}, 'b': "
	    "{'command': 'two', 'mcpbridge': {'isolation': 'session', "
	    "'allow-tool': 'read_*'}}, 'r': {'url': "
	    "'https://example.com/mcp', 'type': 'sse', 'headers': "
	    "{'X-Key': '${K}'}}}, 'mcpbridge': {'port': 9000, "
	    "'restart': 'always'}}");
	/* A header's ${K} must be set: the file's check makes it. */
	ck_assert_int_eq(setenv("K", "v", 1), 0);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--kill-timeout", "1s", NULL), CLI_OK);
	ck_assert_uint_eq(c.nservers, 3);
	cli_serve_config(&c.servers[2], &sc);
	ck_assert_ptr_nonnull(sc.remote);
	ck_assert_str_eq(sc.remote->url, "https://example.com/mcp");
	ck_assert_int_eq(sc.remote->transport, CLIENT_TRANSPORT_SSE);
	ck_assert_uint_eq(sc.remote->nheaders, 1);
	/* Expanded when served, not here. */
	ck_assert_str_eq(sc.remote->headers[0], "X-Key: ${K}");
	ck_assert_ptr_null(sc.command);
	ck_assert_int_eq(sc.kill_timeout_ms, 1000);
	cli_serve_config(&c.servers[0], &sc);
	ck_assert_ptr_null(sc.remote);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--kill-timeout", "1s", "--check", NULL), CLI_OK);
	ck_assert_int_eq(c.check, 1);
	ck_assert_uint_eq(c.nservers, 3);
	ck_assert_ptr_null(c.serve.command);
	ck_assert_str_eq(c.servers[0].serve.command[0], "one");
	ck_assert_int_eq(c.servers[0].serve.isolation, MUX_ISOLATION_SHARED);
	ck_assert_str_eq(c.servers[1].serve.command[0], "two");
	ck_assert_int_eq(c.servers[1].serve.isolation, MUX_ISOLATION_SESSION);
	ck_assert_str_eq(c.servers[1].serve.tools.allow[0], "read_*");
	ck_assert_uint_eq(c.servers[0].serve.tools.nallow, 0);
	/* The settings for all, and the command line, reach each. */
	ck_assert_int_eq(c.servers[0].serve.http.port, 9000);
	ck_assert_int_eq(c.servers[1].serve.restart, UPSTREAM_RESTART_ALWAYS);
	ck_assert_int_eq(c.servers[1].serve.kill_timeout_ms, 1000);
	config_free(&c);

	/* Local ones only: served, each on its own routes. */
	conf_write("{'mcpServers': {'a': {'command': 'one'}, 'b': "
	    "{'command': 'two'}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_uint_eq(c.nservers, 2);
	ck_assert_int_eq(c.check, 0);
	config_free(&c);

	/* What only a server's whole config shows is said with its path. */
	conf_write("{'mcpServers': {'a': {'command': 'one'}, 'b': "
	    "{'mcpbridge': {'connect': 'unix:/s', 'cwd': '/tmp'}}, 'r': "
	    "{'url': 'ftp://example.com/'}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--check", NULL), CLI_CONFIG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, ": mcpServers.b: --env and --cwd "
	    "apply to a command, not to --connect\n"));
	ck_assert_ptr_nonnull(strstr(err, ": mcpServers.r.url: "));
	free(err);
	config_free(&c);

	/* One remote server: served (on /mcp too). */
	conf_write("{'mcpServers': {'r': {'url': 'https://example.com/mcp'}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	cli_serve_config(&c, &sc);
	ck_assert_ptr_nonnull(sc.remote);
	ck_assert_int_eq(sc.remote->transport, CLIENT_TRANSPORT_AUTO);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--check", NULL), CLI_OK);
	config_free(&c);

	/* Plain HTTP to another host: refused, unless allow-http (the
	 * server's, or the command line's). */
	conf_write("{'mcpServers': {'a': {'command': 'one'}, 'r': {'url': "
	    "'http://example.com/mcp'}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--check", NULL), CLI_CONFIG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, ": mcpServers.r: "));
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--allow-http", NULL), CLI_OK);
	config_free(&c);
	conf_write("{'mcpServers': {'a': {'command': 'one'}, 'r': {'url': "
	    "'http://example.com/mcp', 'mcpbridge': {'allow-http': true}}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_int_eq(c.servers[1].client.allow_http, 1);
	ck_assert_int_eq(c.servers[0].client.allow_http, 0);
	config_free(&c);
}
END_TEST

/* With named servers, /servers/ is theirs: no other route under it. */
START_TEST(test_config_servers_prefix)
{
	static const char *const opt[] = {
		"--path", "--sse-path", "--message-path",
	};
	struct config	c;
	char		*err, *want;
	size_t		 i;

	conf_write("{'mcpServers': {'a': {'command': 'one'}, 'b': "
	    "{'command': 'two'}}}");
	for (i = 0; i < sizeof opt / sizeof opt[0]; i++) {
		ck_assert_int_ne(parse(&c, &err, "serve", "--config",
		    conf_path, opt[i], "/servers/a/mcp", NULL), CLI_OK);
		xasprintf(&want, "%s is /servers/a/mcp: under /servers/ are "
		    "the named servers' routes", opt[i]);
		ck_assert_msg(strstr(err, want) != NULL, "%s", err);
		free(want);
		free(err);
		config_free(&c);
	}
	/* One server: served on /servers/NAME/ too. */
	conf_write("{'mcpServers': {'a': {'command': 'one'}}}");
	ck_assert_int_ne(parse(&c, &err, "serve", "--config", conf_path,
	    "--sse-path", "/servers/x", NULL), CLI_OK);
	free(err);
	config_free(&c);
	/* Without a file there is no such route, and a near name is fine. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--path",
	    "/servers/a/mcp", "--", "x", NULL), CLI_OK);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--path", "/serversx", NULL), CLI_OK);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--path", "/servers", NULL), CLI_OK);
	config_free(&c);
}
END_TEST

/* A reload's changed settings of the whole bridge, named: changed,
 * added or removed; a setting for every server is applied (not named),
 * an equal one is not named. */
START_TEST(test_config_restart_keys)
{
	struct config	c, d;
	char		*err, **keys;

	conf_write("{'mcpServers': {'a': {'command': 'one'}, 'b': "
	    "{'command': 'two'}}, 'mcpbridge': {'port': 9000, 'host': "
	    "'127.0.0.1', 'restart': 'always', 'max-body': '1M'}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_ptr_null(cli_conf_restart_keys(&c, &c));
	conf_write("{'mcpServers': {'a': {'command': 'one'}}, 'mcpbridge': "
	    "{'max-body': '1M', 'port': 9001, 'restart': 'no', "
	    "'allow-host': ['x']}}");
	ck_assert_int_eq(parse(&d, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	keys = cli_conf_restart_keys(&c, &d);
	ck_assert_ptr_nonnull(keys);
	ck_assert_str_eq(keys[0], "port");
	ck_assert_str_eq(keys[1], "host");
	ck_assert_str_eq(keys[2], "allow-host");
	ck_assert_ptr_null(keys[3]);
	xfreev(keys);
	config_free(&d);
	/* The top level's --oauth-scope is the resource server's, made
	 * once; a server's own is applied with the server. */
	conf_write("{'mcpServers': {'a': {'command': 'one', 'mcpbridge': "
	    "{'oauth-scope': 'x'}}}, 'mcpbridge': {'port': 9000, 'host': "
	    "'127.0.0.1', 'restart': 'always', 'max-body': '1M', "
	    "'oauth-scope': 'mcp', 'oauth-issuer': 'https://as.example'}}");
	ck_assert_int_eq(parse(&d, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	keys = cli_conf_restart_keys(&c, &d);
	ck_assert_ptr_nonnull(keys);
	ck_assert_str_eq(keys[0], "oauth-scope");
	ck_assert_str_eq(keys[1], "oauth-issuer");
	ck_assert_ptr_null(keys[2]);
	xfreev(keys);
	config_free(&c);
	config_free(&d);
}
END_TEST

/* The aggregated /mcp's separator: a setting of the whole bridge; no
 * server's name may hold it, as its calls are split at the first. */
START_TEST(test_config_tool_separator)
{
	struct config	c;
	char		*err;

	conf_write("{'mcpServers': {'a__b': {'command': 'one'}, 'c': "
	    "{'command': 'two'}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_CONFIG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, ": mcpServers.a__b: the name holds "
	    "the tool separator '__' (--tool-separator)\n"));
	free(err);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--tool-separator", ".", NULL), CLI_OK);
	ck_assert_str_eq(c.serve.tool_separator, ".");
	config_free(&c);

	conf_write("{'mcpServers': {'a.b': {'command': 'one'}, 'c': "
	    "{'command': 'two'}}, 'mcpbridge': {'tool-separator': '.'}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_CONFIG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, ": mcpServers.a.b: the name holds "
	    "the tool separator '.' (--tool-separator)\n"));
	free(err);
	config_free(&c);
	/* The command line wins. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--tool-separator", "__", NULL), CLI_OK);
	config_free(&c);

	/* A server's own object cannot set it. */
	conf_write("{'mcpServers': {'a': {'command': 'one', 'mcpbridge': "
	    "{'tool-separator': '-'}}, 'c': {'command': 'two'}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_CONFIG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "mcpServers.a.mcpbridge."
	    "tool-separator: "));
	free(err);
	config_free(&c);

	ck_assert_int_eq(parse(&c, &err, "serve", "--tool-separator", "a/b",
	    "--", "cmd", NULL), CLI_ERROR);
	ck_assert_str_eq(err, "--tool-separator wants 1 to 8 letters, "
	    "digits, '_', '.' or '-', not 'a/b'");
	free(err);
	config_free(&c);
}
END_TEST

/* The pool, the turns and the claims-to-env are a server's own; the
 * OAuth resource server and OpenTelemetry the bridge's. */
START_TEST(test_config_per_server_main)
{
	struct config	c;
	char		*err;

	conf_write("{'mcpServers': {'a': {'command': 'one', 'mcpbridge': "
	    "{'children': 3, 'asking-tools': ['ask', 'think'], "
	    "'isolation': 'shared'}}, 'b': {'command': 'two', 'mcpbridge': "
	    "{'isolation': 'session', 'env-from-claim': ['MCP_USER=sub', "
	    "'MCP_MAIL=email']}}}, 'mcpbridge': {'oauth-issuer': "
	    "['https://as.example', 'https://as2.example'], 'oauth-scope': "
	    "['mcp', 'mcp:read'], 'otel-header': ['k=v', 'l=w']}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_uint_eq(c.nservers, 2);
	ck_assert_uint_eq(c.servers[0].serve.children, 3);
	ck_assert_str_eq(c.servers[0].serve.asking_tools[0], "ask");
	ck_assert_str_eq(c.servers[0].serve.asking_tools[1], "think");
	ck_assert_ptr_null(c.servers[0].serve.asking_tools[2]);
	ck_assert_uint_eq(c.servers[1].serve.children, 1);
	ck_assert_uint_eq(c.servers[1].serve.nenv_from_claim, 2);
	ck_assert_str_eq(c.servers[1].serve.env_from_claim[1],
	    "MCP_MAIL=email");
	ck_assert_uint_eq(c.servers[0].serve.nenv_from_claim, 0);
	/* The bridge's, for every server. */
	ck_assert_uint_eq(c.serve.noauth_issuers, 2);
	ck_assert_uint_eq(c.servers[1].serve.noauth_scopes, 2);
	ck_assert_uint_eq(c.otel.nheaders, 2);
	config_free(&c);

	/* A server's own scopes come after the bridge's, its only. */
	conf_write("{'mcpServers': {'a': {'command': 'one', 'mcpbridge': "
	    "{'oauth-scope': ['fs:read', 'fs:write']}}, 'b': {'command': "
	    "'two'}}, 'mcpbridge': {'oauth-issuer': 'https://as.example', "
	    "'oauth-scope': 'mcp'}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_uint_eq(c.serve.noauth_scopes, 1);
	ck_assert_uint_eq(c.servers[0].serve.noauth_scopes, 3);
	ck_assert_str_eq(c.servers[0].serve.oauth_scopes[0], "mcp");
	ck_assert_str_eq(c.servers[0].serve.oauth_scopes[2], "fs:write");
	ck_assert_uint_eq(c.servers[1].serve.noauth_scopes, 1);
	config_free(&c);
	/* Without an issuer, as on the command line: an error. */
	conf_write("{'mcpServers': {'a': {'command': 'one', 'mcpbridge': "
	    "{'oauth-scope': 'fs:read'}}, 'b': {'command': 'two'}}}");
	ck_assert_int_ne(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_ptr_nonnull(strstr(err, "need --oauth-issuer"));
	free(err);
	config_free(&c);

	conf_write("{'mcpServers': {'a': {'command': 'one', 'mcpbridge': "
	    "{'oauth-issuer': 'https://as.example', 'otel-endpoint': "
	    "'http://127.0.0.1:4318'}}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_CONFIG_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "mcpServers.a.mcpbridge."
	    "oauth-issuer: a setting of the whole bridge"));
	ck_assert_ptr_nonnull(strstr(err, "mcpServers.a.mcpbridge."
	    "otel-endpoint: a setting of the whole bridge"));
	free(err);
	config_free(&c);
}
END_TEST

START_TEST(test_tool_options)
{
	struct config	c;
	char		*err;

	ck_assert_int_eq(parse(&c, &err, "serve", "--allow-tool", "read_*",
	    "--deny-tool", "*secret*", "--allow-tool", "list", "--", "x",
	    NULL), CLI_OK);
	ck_assert_uint_eq(c.serve.tools.nallow, 2);
	ck_assert_str_eq(c.serve.tools.allow[1], "list");
	ck_assert_ptr_null(c.serve.tools.allow[2]);
	ck_assert_str_eq(c.serve.tools.deny[0], "*secret*");
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "client", "--deny-tool", "rm",
	    "http://127.0.0.1:1/mcp", NULL), CLI_OK);
	ck_assert_uint_eq(c.client.tools.ndeny, 1);
	ck_assert_str_eq(c.client.tools.deny[0], "rm");
	ck_assert_uint_eq(c.serve.tools.ndeny, 0);
	config_free(&c);
	ck_assert_int_eq(parse(&c, &err, "serve", "--deny-tool", "", "--",
	    "x", NULL), CLI_ERROR);
	ck_assert_str_eq(err, "--deny-tool: a tool pattern is 1 to 256 "
	    "characters");
	free(err);
	config_free(&c);
	/* --watch: a file with several servers, or nothing to reload. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--watch", "--", "x", NULL),
	    CLI_ERROR);
	ck_assert_str_eq(err, "--watch watches the --config file: give one");
	free(err);
	config_free(&c);
	conf_write("{'mcpServers': {'a': {'command': 'one'}}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    "--watch", NULL), CLI_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "--watch reloads several servers; "));
	free(err);
	config_free(&c);
	conf_write("{'mcpServers': {'a': {'command': 'one'}, 'b': "
	    "{'command': 'two'}}, 'mcpbridge': {'watch': true}}");
	ck_assert_int_eq(parse(&c, &err, "serve", "--config", conf_path,
	    NULL), CLI_OK);
	ck_assert_int_eq(c.watch, 1);
	config_free(&c);
	/* --check without a file checks the command line. */
	ck_assert_int_eq(parse(&c, &err, "serve", "--check", "--", "x", NULL),
	    CLI_OK);
	ck_assert_int_eq(c.check, 1);
	config_free(&c);
}
END_TEST

/* --env-from-claim: kept in order with --isolation=session and an issuer;
 * refused without them, with --connect, on a name the bridge or the
 * loader owns, on one --env sets, twice. */
START_TEST(test_env_from_claim)
{
	static const struct {
		const char	*words[12];
		const char	*reason;
	} cases[] = {
		{ { "serve", "--env-from-claim", "MCP_USER=sub", "--oauth-issuer",
		    "https://as.example", "--", "x", NULL },
		  "needs --isolation=session" },
		{ { "serve", "--env-from-claim", "MCP_USER=sub", "--isolation",
		    "session", "--", "x", NULL }, "needs --oauth-issuer" },
		{ { "serve", "--env-from-claim", "MCP_USER=sub", "--isolation",
		    "session", "--oauth-issuer", "https://as.example",
		    "--connect", "tcp:h:1", NULL }, "not to --connect" },
		{ { "serve", "--env-from-claim", "PATH=sub", "--", "x", NULL },
		  "PATH is refused: the bridge's own" },
		{ { "serve", "--env-from-claim", "MCPBRIDGE_X=sub", "--", "x",
		    NULL }, "MCPBRIDGE_X is refused" },
		{ { "serve", "--env-from-claim", "user=sub", "--", "x", NULL },
		  "not a portable variable name" },
		{ { "serve", "--env-from-claim", "MCP_USER", "--", "x", NULL },
		  "wants VAR=CLAIM" },
		{ { "serve", "--env", "MCP_USER=me", "--env-from-claim",
		    "MCP_USER=sub", "--isolation", "session", "--oauth-issuer",
		    "https://as.example", "--", "x", NULL },
		  "--env-from-claim and --env both set MCP_USER" },
		{ { "serve", "--env-from-claim", "MCP_USER=sub",
		    "--env-from-claim", "MCP_USER=email", "--isolation",
		    "session", "--oauth-issuer", "https://as.example", "--",
		    "x", NULL }, "sets MCP_USER twice" },
	};
	struct config	 c;
	char		*argv[14], *err;
	size_t		 i;
	int		 argc;

	ck_assert_int_eq(parse(&c, &err, "serve", "--isolation", "session",
	    "--oauth-issuer", "https://as.example", "--env", "MCP_USERS=x",
	    "--env-from-claim", "MCP_USER=sub", "--env-from-claim",
	    "MCP_EMAIL=email", "--", "x", NULL), CLI_OK);
	ck_assert_uint_eq(c.serve.nenv_from_claim, 2);
	ck_assert_str_eq(c.serve.env_from_claim[0], "MCP_USER=sub");
	ck_assert_str_eq(c.serve.env_from_claim[1], "MCP_EMAIL=email");
	ck_assert_ptr_null(c.serve.env_from_claim[2]);
	config_free(&c);

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		argc = 0;
		argv[argc++] = (char *)"mcpbridge";
		while (cases[i].words[argc - 1] != NULL)
			argv[argc] = (char *)cases[i].words[argc - 1], argc++;
		argv[argc] = NULL;
		config_init(&c);
		err = NULL;
		ck_assert_msg(cli_parse(argc, argv, &c, &err) == CLI_ERROR,
		    "case %zu accepted", i);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strstr(err, cases[i].reason) != NULL,
		    "case %zu: '%s' lacks '%s'", i, err, cases[i].reason);
		free(err);
		config_free(&c);
	}
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("cli");
	TCase	*tc = tcase_create("parse");

	tcase_add_test(tc, test_serve_defaults);
	tcase_add_test(tc, test_serve_command_without_dashes);
	tcase_add_test(tc, test_trace_option);
	tcase_add_test(tc, test_serve_options);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_instance_id);
	tcase_add_test(tc, test_help_version);
	tcase_add_test(tc, test_sizes_durations);
	tcase_add_test(tc, test_max_queue_follows_message_size);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_oauth_options);
	tcase_add_test(tc, test_oauth_errors);
	tcase_add_test(tc, test_env_from_claim);
	suite_add_tcase(s, tc);
	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, NULL, conf_teardown);
	tcase_add_test(tc, test_config_one_server);
	tcase_add_test(tc, test_config_command_line_wins);
	tcase_add_test(tc, test_config_settings_only);
	tcase_add_test(tc, test_config_errors);
	tcase_add_test(tc, test_config_several);
	tcase_add_test(tc, test_config_tool_separator);
	tcase_add_test(tc, test_tool_options);
	tcase_add_test(tc, test_config_per_server_main);
	tcase_add_test(tc, test_config_servers_prefix);
	tcase_add_test(tc, test_config_restart_keys);
	tcase_add_test(tc, test_early_log_format);
	suite_add_tcase(s, tc);
	return s;
}
