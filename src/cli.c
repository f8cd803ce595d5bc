/* SPDX-License-Identifier: ISC */
/*
 * cli.c: the command line of both modes.  Every option is documented in
 * mcpbridge.1; the defaults are the named constants in cli.h and upstream.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agg.h"
#include "cli.h"
#include "cli_otel.h"
#include "client.h"
#include "conffile.h"
#include "envclaim.h"
#include "asmeta.h"
#include "introspect.h"
#include "jsonparse.h"
#include "jwks.h"
#include "jwt.h"
#include "remote.h"
#include "rsauth.h"
#include "rsmeta.h"
#include "serve.h"
#include "session.h"
#include "tls.h"
#include "toolfilter.h"
#include "url.h"
#include "xmalloc.h"

enum {
	OPT_LOG_LEVEL = 256,
	OPT_LOG_FORMAT,
	OPT_QUIET,
	OPT_LOG_FILE,
	OPT_VERBOSE,
	OPT_ACCESS_LOG,
	OPT_CHILD_STDERR,
	OPT_HELP,
	OPT_VERSION,
	OPT_ENV,
	OPT_CWD,
	OPT_CONNECT,
	OPT_MAX_MESSAGE_SIZE,
	OPT_KILL_TIMEOUT,
	OPT_RESTART,
	OPT_ISOLATION,
	OPT_SERVER_REQUESTS,
	OPT_ASKING_TOOLS,
	OPT_MAX_CHILDREN,
	OPT_CHILDREN,
	OPT_CLIENT_CAPABILITIES,
	OPT_INIT_TIMEOUT,
	OPT_CHILD_ERA,
	OPT_PROBE_TIMEOUT,
	OPT_HOST,
	OPT_PORT,
	OPT_PRINT_URL,
	OPT_BASE_PATH,
	OPT_SSE_PATH,
	OPT_MESSAGE_PATH,
	OPT_PATH,
	OPT_KEEPALIVE,
	OPT_MAX_QUEUE,
	OPT_MAX_BODY,
	OPT_REPLAY_BUFFER,
	OPT_ALLOW_HOST,
	OPT_ALLOW_ORIGIN,
	OPT_CORS,
	OPT_AUTH_TOKEN_FILE,
	OPT_AUTH_TOKEN_ENV,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_MAX_HEADER_SIZE,
	OPT_MAX_HEADERS,
	OPT_READ_TIMEOUT,
	OPT_MAX_SESSIONS,
	OPT_RATE_LIMIT,
	OPT_MAX_IN_FLIGHT,
	OPT_SESSION_TIMEOUT,
	OPT_DRAIN_TIMEOUT,
	OPT_METRICS_LISTEN,
	OPT_INSTANCE_ID,
	OPT_TRANSPORT,
	OPT_HEADER,
	OPT_BEARER_TOKEN_ENV,
	OPT_CACERT,
	OPT_INSECURE,
	OPT_ALLOW_HTTP,
	OPT_CONNECT_TIMEOUT,
	OPT_REQUEST_TIMEOUT,
	OPT_ONESHOT,
	OPT_NOTIFICATIONS,
	OPT_PROTOCOL_VERSION,
	OPT_ERA,
	OPT_NO_OAUTH,
	OPT_OAUTH_CLIENT_ID,
	OPT_OAUTH_CLIENT_SECRET_ENV,
	OPT_OAUTH_CLIENT_SECRET_FILE,
	OPT_OAUTH_CLIENT_METADATA_URL,
	OPT_OAUTH_CALLBACK_PORT,
	OPT_OAUTH_OPEN,
	OPT_OAUTH_TIMEOUT,
	OPT_OAUTH_STORE,
	OPT_TRACE,
	OPT_CONFIG,
	OPT_CHECK,
	OPT_ALLOW_TOOL,
	OPT_DENY_TOOL,
	OPT_WATCH,
	OPT_TOOL_SEPARATOR,
	OPT_AGGREGATE_TIMEOUT,
	OPT_OAUTH_ISSUER,
	OPT_OAUTH_RESOURCE,
	OPT_OAUTH_SCOPE,
	OPT_OAUTH_TOOL_SCOPE,
	OPT_OAUTH_LEEWAY,
	OPT_OAUTH_REQUIRE_AT_JWT,
	OPT_ENV_FROM_CLAIM,
};

static const struct option cli_common_options[] = {
	{ "log-level",		required_argument, NULL, OPT_LOG_LEVEL },
	{ "log-format",		required_argument, NULL, OPT_LOG_FORMAT },
	{ "log-file",		required_argument, NULL, OPT_LOG_FILE },
	{ "quiet",		no_argument,	   NULL, OPT_QUIET },
	{ "verbose",		no_argument,	   NULL, OPT_VERBOSE },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const struct option cli_serve_options[] = {
	{ "log-level",		required_argument, NULL, OPT_LOG_LEVEL },
	{ "log-format",		required_argument, NULL, OPT_LOG_FORMAT },
	{ "log-file",		required_argument, NULL, OPT_LOG_FILE },
	{ "quiet",		no_argument,	   NULL, OPT_QUIET },
	{ "verbose",		no_argument,	   NULL, OPT_VERBOSE },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "access-log",		required_argument, NULL, OPT_ACCESS_LOG },
	{ "child-stderr",	required_argument, NULL, OPT_CHILD_STDERR },
	{ "env",		required_argument, NULL, OPT_ENV },
	{ "cwd",		required_argument, NULL, OPT_CWD },
	{ "connect",		required_argument, NULL, OPT_CONNECT },
	{ "max-message-size",	required_argument, NULL, OPT_MAX_MESSAGE_SIZE },
	{ "kill-timeout",	required_argument, NULL, OPT_KILL_TIMEOUT },
	{ "restart",		required_argument, NULL, OPT_RESTART },
	{ "isolation",		required_argument, NULL, OPT_ISOLATION },
	{ "server-requests",	required_argument, NULL, OPT_SERVER_REQUESTS },
	{ "asking-tools",	required_argument, NULL, OPT_ASKING_TOOLS },
	{ "max-children",	required_argument, NULL, OPT_MAX_CHILDREN },
	{ "children",		required_argument, NULL, OPT_CHILDREN },
	{ "client-capabilities", required_argument, NULL, OPT_CLIENT_CAPABILITIES },
	{ "init-timeout",	required_argument, NULL, OPT_INIT_TIMEOUT },
	{ "child-era",		required_argument, NULL, OPT_CHILD_ERA },
	{ "probe-timeout",	required_argument, NULL, OPT_PROBE_TIMEOUT },
	{ "host",		required_argument, NULL, OPT_HOST },
	{ "port",		required_argument, NULL, OPT_PORT },
	{ "print-url",		no_argument,	   NULL, OPT_PRINT_URL },
	{ "base-path",		required_argument, NULL, OPT_BASE_PATH },
	{ "sse-path",		required_argument, NULL, OPT_SSE_PATH },
	{ "message-path",	required_argument, NULL, OPT_MESSAGE_PATH },
	{ "path",		required_argument, NULL, OPT_PATH },
	{ "keepalive",		required_argument, NULL, OPT_KEEPALIVE },
	{ "max-queue",		required_argument, NULL, OPT_MAX_QUEUE },
	{ "max-body",		required_argument, NULL, OPT_MAX_BODY },
	{ "replay-buffer",	required_argument, NULL, OPT_REPLAY_BUFFER },
	{ "allow-host",		required_argument, NULL, OPT_ALLOW_HOST },
	{ "allow-origin",	required_argument, NULL, OPT_ALLOW_ORIGIN },
	{ "cors",		required_argument, NULL, OPT_CORS },
	{ "auth-token-file",	required_argument, NULL, OPT_AUTH_TOKEN_FILE },
	{ "auth-token-env",	required_argument, NULL, OPT_AUTH_TOKEN_ENV },
	{ "tls-cert",		required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key",		required_argument, NULL, OPT_TLS_KEY },
	{ "max-header-size",	required_argument, NULL, OPT_MAX_HEADER_SIZE },
	{ "max-headers",	required_argument, NULL, OPT_MAX_HEADERS },
	{ "read-timeout",	required_argument, NULL, OPT_READ_TIMEOUT },
	{ "max-sessions",	required_argument, NULL, OPT_MAX_SESSIONS },
	{ "rate-limit",		required_argument, NULL, OPT_RATE_LIMIT },
	{ "max-in-flight",	required_argument, NULL, OPT_MAX_IN_FLIGHT },
	{ "request-timeout",	required_argument, NULL, OPT_REQUEST_TIMEOUT },
	{ "session-timeout",	required_argument, NULL, OPT_SESSION_TIMEOUT },
	{ "drain-timeout",	required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "metrics-listen",	required_argument, NULL, OPT_METRICS_LISTEN },
	{ "instance-id",	required_argument, NULL, OPT_INSTANCE_ID },
	{ "trace",		optional_argument, NULL, OPT_TRACE },
	{ "config",		required_argument, NULL, OPT_CONFIG },
	{ "check",		no_argument,	   NULL, OPT_CHECK },
	{ "allow-tool",		required_argument, NULL, OPT_ALLOW_TOOL },
	{ "deny-tool",		required_argument, NULL, OPT_DENY_TOOL },
	{ "watch",		no_argument,	   NULL, OPT_WATCH },
	{ "tool-separator",	required_argument, NULL, OPT_TOOL_SEPARATOR },
	{ "aggregate-timeout",	required_argument, NULL, OPT_AGGREGATE_TIMEOUT },
	{ "oauth-issuer",	required_argument, NULL, OPT_OAUTH_ISSUER },
	{ "oauth-resource",	required_argument, NULL, OPT_OAUTH_RESOURCE },
	{ "oauth-scope",	required_argument, NULL, OPT_OAUTH_SCOPE },
	{ "oauth-tool-scope",	required_argument, NULL, OPT_OAUTH_TOOL_SCOPE },
	{ "oauth-client-id",	required_argument, NULL, OPT_OAUTH_CLIENT_ID },
	{ "oauth-client-secret-file", required_argument, NULL,
	    OPT_OAUTH_CLIENT_SECRET_FILE },
	{ "oauth-client-secret-env", required_argument, NULL,
	    OPT_OAUTH_CLIENT_SECRET_ENV },
	{ "oauth-leeway",	required_argument, NULL, OPT_OAUTH_LEEWAY },
	{ "oauth-require-at-jwt", no_argument,	   NULL,
	    OPT_OAUTH_REQUIRE_AT_JWT },
	{ "env-from-claim",	required_argument, NULL, OPT_ENV_FROM_CLAIM },
	{ "allow-http",		no_argument,	   NULL, OPT_ALLOW_HTTP },
	CLI_OTEL_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static const struct option cli_client_options[] = {
	{ "log-level",		required_argument, NULL, OPT_LOG_LEVEL },
	{ "log-format",		required_argument, NULL, OPT_LOG_FORMAT },
	{ "log-file",		required_argument, NULL, OPT_LOG_FILE },
	{ "quiet",		no_argument,	   NULL, OPT_QUIET },
	{ "verbose",		no_argument,	   NULL, OPT_VERBOSE },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "transport",		required_argument, NULL, OPT_TRANSPORT },
	{ "header",		required_argument, NULL, OPT_HEADER },
	{ "bearer-token-env",	required_argument, NULL, OPT_BEARER_TOKEN_ENV },
	{ "cacert",		required_argument, NULL, OPT_CACERT },
	{ "insecure",		no_argument,	   NULL, OPT_INSECURE },
	{ "allow-http",		no_argument,	   NULL, OPT_ALLOW_HTTP },
	{ "connect-timeout",	required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "request-timeout",	required_argument, NULL, OPT_REQUEST_TIMEOUT },
	{ "max-message-size",	required_argument, NULL, OPT_MAX_MESSAGE_SIZE },
	{ "oneshot",		no_argument,	   NULL, OPT_ONESHOT },
	{ "notifications",	no_argument,	   NULL, OPT_NOTIFICATIONS },
	{ "protocol-version",	required_argument, NULL, OPT_PROTOCOL_VERSION },
	{ "era",		required_argument, NULL, OPT_ERA },
	{ "no-oauth",		no_argument,	   NULL, OPT_NO_OAUTH },
	{ "oauth-client-id",	required_argument, NULL, OPT_OAUTH_CLIENT_ID },
	{ "oauth-client-secret-env", required_argument, NULL,
	    OPT_OAUTH_CLIENT_SECRET_ENV },
	{ "oauth-client-secret-file", required_argument, NULL,
	    OPT_OAUTH_CLIENT_SECRET_FILE },
	{ "oauth-client-metadata-url", required_argument, NULL,
	    OPT_OAUTH_CLIENT_METADATA_URL },
	{ "oauth-callback-port", required_argument, NULL,
	    OPT_OAUTH_CALLBACK_PORT },
	{ "oauth-open",		required_argument, NULL, OPT_OAUTH_OPEN },
	{ "oauth-timeout",	required_argument, NULL, OPT_OAUTH_TIMEOUT },
	{ "oauth-store",	required_argument, NULL, OPT_OAUTH_STORE },
	{ "trace",		optional_argument, NULL, OPT_TRACE },
	{ "allow-tool",		required_argument, NULL, OPT_ALLOW_TOOL },
	{ "deny-tool",		required_argument, NULL, OPT_DENY_TOOL },
	CLI_OTEL_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static void	cli_conf_free(struct config *);
static int	cli_conf_option(struct config *, int, const char *, char **);

void
config_init(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->log_level = LOG_LEVEL_INFO;
	c->log_format = LOG_FORMAT_TEXT;
	c->access_log = -1;
	c->child_stderr = -1;
	c->serve.max_message_size = UPSTREAM_DEFAULT_MAX_MESSAGE;
	c->client.max_message_size = UPSTREAM_DEFAULT_MAX_MESSAGE;
	c->serve.kill_timeout_ms = UPSTREAM_DEFAULT_KILL_TIMEOUT_MS;
	c->serve.restart = UPSTREAM_RESTART_ON_FAILURE;
	c->serve.isolation = MUX_ISOLATION_SHARED;
	c->serve.server_requests = MUX_SERVER_REQUESTS_SCHEDULE;
	c->serve.init_timeout_ms = MUX_DEFAULT_INIT_TIMEOUT_MS;
	c->serve.child_era = MUX_CHILD_ERA_LEGACY;
	c->serve.probe_timeout_ms = MUX_DEFAULT_PROBE_TIMEOUT_MS;
	c->serve.http.host = xstrdup(CLI_DEFAULT_HOST);
	c->serve.http.port = CLI_DEFAULT_PORT;
	c->serve.http.base_path = xstrdup("");
	c->serve.http.sse_path = xstrdup(CLI_DEFAULT_SSE_PATH);
	c->serve.http.message_path = xstrdup(CLI_DEFAULT_MESSAGE_PATH);
	c->serve.http.mcp_path = xstrdup(CLI_DEFAULT_MCP_PATH);
	c->serve.http.keepalive_ms = CLI_DEFAULT_KEEPALIVE_MS;
	c->serve.http.max_body = CLI_DEFAULT_MAX_BODY;
	c->serve.http.replay_messages = CLI_DEFAULT_REPLAY_MESSAGES;
	c->serve.http.replay_bytes = CLI_DEFAULT_REPLAY_BYTES;
	c->serve.http.max_header_size = CLI_DEFAULT_MAX_HEADER_SIZE;
	c->serve.http.max_headers = CLI_DEFAULT_MAX_HEADERS;
	c->serve.http.read_timeout_ms = CLI_DEFAULT_READ_TIMEOUT_MS;
	c->serve.http.max_sessions = CLI_DEFAULT_MAX_SESSIONS;
	c->serve.http.max_in_flight = CLI_DEFAULT_MAX_IN_FLIGHT;
	c->serve.max_children = CLI_DEFAULT_MAX_CHILDREN;
	c->serve.children = 1;
	c->serve.serve_request_timeout_ms = CLI_DEFAULT_REQUEST_TIMEOUT_MS;
	c->serve.aggregate_timeout_ms = AGG_DEFAULT_LIST_TIMEOUT_MS;
	c->serve.http.session_timeout_ms = CLI_DEFAULT_SESSION_TIMEOUT_MS;
	c->serve.drain_timeout_ms = CLI_DEFAULT_DRAIN_TIMEOUT_MS;
	c->serve.oauth_leeway = JWT_LEEWAY_DEFAULT;
}

void
config_free(struct config *c)
{
	/* The serve and client structs hold the strings const; they are
	 * ours. */
	xfreev(c->serve.command);
	xfreev(c->serve.env);
	xfreev(c->serve.asking_tools);
	free((char *)c->serve.cwd);
	free((char *)c->serve.connect);
	free((char *)c->serve.client_capabilities);
	free((char *)c->serve.http.host);
	free((char *)c->serve.http.base_path);
	free((char *)c->serve.http.sse_path);
	free((char *)c->serve.http.message_path);
	free((char *)c->serve.http.mcp_path);
	xfreev(c->serve.http.allow_hosts);
	xfreev(c->serve.http.allow_origins);
	xfreev(c->serve.http.cors);
	free((char *)c->serve.http.auth_token_file);
	free((char *)c->serve.http.auth_token_env);
	free((char *)c->serve.http.tls_cert);
	free((char *)c->serve.http.tls_key);
	free((char *)c->serve.http.metrics_listen);
	free((char *)c->serve.instance_id);
	free((char *)c->serve.tool_separator);
	xfreev(c->serve.oauth_issuers);
	free((char *)c->serve.oauth_resource);
	xfreev(c->serve.oauth_scopes);
	xfreev(c->serve.oauth_tool_scopes);
	xfreev(c->serve.env_from_claim);
	free((char *)c->serve.oauth_client_id);
	free((char *)c->serve.oauth_client_secret_file);
	free((char *)c->serve.oauth_client_secret_env);
	free(c->log_file);
	free((char *)c->client.url);
	xfreev(c->client.headers);
	free((char *)c->client.bearer_token_env);
	free((char *)c->client.protocol_version);
	free((char *)c->client.cacert);
	free((char *)c->client.oauth_client_id);
	free((char *)c->client.oauth_client_secret_env);
	free((char *)c->client.oauth_client_secret_file);
	free((char *)c->client.oauth_client_metadata_url);
	free((char *)c->client.oauth_open);
	free((char *)c->client.oauth_store);
	cli_conf_free(c);
	cli_otel_free(&c->otel);
	memset(c, 0, sizeof *c);
}

/* --trace, or at debug level a line per message (bodies only if asked). */
static enum trace_mode
cli_trace_mode(const struct config *cfg)
{
	if (cfg->trace != TRACE_OFF)
		return cfg->trace;
	return cfg->log_level >= LOG_LEVEL_DEBUG ? TRACE_ON : TRACE_OFF;
}

void
cli_serve_config(const struct config *cfg, struct serve_config *sc)
{
	*sc = cfg->serve;
	/* Worked out from what the user gave, or left 0. */
	if (sc->http.keepalive_ms <= 0)
		sc->http.keepalive_ms = CLI_DEFAULT_KEEPALIVE_MS;
	if (sc->http.max_queue == 0)
		sc->http.max_queue = sc->max_message_size > SIZE_MAX /
		    CLI_DEFAULT_MAX_QUEUE_MESSAGES ? SIZE_MAX :
		    sc->max_message_size * CLI_DEFAULT_MAX_QUEUE_MESSAGES;
	/* One string, read by both. */
	sc->http.instance_id = sc->instance_id;
	sc->http.oauth = sc->noauth_issuers > 0;
	sc->trace = cli_trace_mode(cfg);
	sc->otel = &cfg->otel.cfg;
	sc->otel_delay_ms = cfg->otel.batch_delay_ms;
	sc->otel_capture_content = cfg->otel.capture_content;
	/* A remote server (--config's "url"): client mode's settings, with
	 * its timeouts (serve's --request-timeout is the request's). */
	sc->remote = cfg->client.url != NULL ? &cfg->client : NULL;
}

void
cli_client_config(const struct config *cfg, struct client_config *cc)
{
	*cc = cfg->client;
	/* A timeout the user did not give. */
	if (cc->connect_timeout_ms == 0)
		cc->connect_timeout_ms = CLI_DEFAULT_CONNECT_TIMEOUT_MS;
	if (cc->request_timeout_ms == 0)
		cc->request_timeout_ms = CLI_DEFAULT_REQUEST_TIMEOUT_MS;
	if (cc->oauth_timeout_ms == 0)
		cc->oauth_timeout_ms = CLI_DEFAULT_OAUTH_TIMEOUT_MS;
	cc->trace = cli_trace_mode(cfg);
	cc->otel = &cfg->otel.cfg;
	cc->otel_delay_ms = cfg->otel.batch_delay_ms;
	cc->otel_capture_content = cfg->otel.capture_content;
}

int
cli_parse_size(const char *s, size_t *out)
{
	char			*end;
	unsigned long long	 v, mult = 1;

	if (*s == '\0' || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1024ULL;
		end++;
		break;
	case 'm': case 'M':
		mult = 1024ULL * 1024;
		end++;
		break;
	case 'g': case 'G':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'i' || *end == 'I')	/* KiB, MiB */
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		return -1;
	if (v > SIZE_MAX / mult)
		return -1;
	*out = (size_t)(v * mult);
	return 0;
}

int
cli_parse_duration(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v, mult;

	if (*s == '\0' || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mult = 3600 * 1000;
	else
		return -1;
	if (v > UINT64_MAX / mult / 2)
		return -1;
	*out = v * mult;
	return 0;
}

static int
cli_parse_int(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	/* Digits only (a '-' for a negative bound): strtol would also
	 * take " 2" and "+3", which no other number here may be. */
	if (!isdigit((unsigned char)s[0]) && !(min < 0 && s[0] == '-'))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static char **
cli_copy_vector(int argc, char **argv)
{
	char	**v;
	int	  i;

	v = xcalloc((size_t)argc + 1, sizeof *v);
	for (i = 0; i < argc; i++)
		v[i] = xstrdup(argv[i]);
	return v;
}

/*
 * Replaces a string of the serve and client structs, which hold them
 * const (serve, http and client only read them); the config owns them.
 */
static void
cli_set(const char **dst, char *s)
{
	free((char *)*dst);
	*dst = s;
}

/* Appends to a NULL-terminated list. */
static void
cli_push(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* A path option: must start with '/'; the base path loses a trailing '/'. */
static int
cli_set_path(const char **dst, const char *s, int is_base, char **err)
{
	size_t	len = strlen(s);

	if (is_base && len == 0) {
		cli_set(dst, xstrdup(""));
		return 0;
	}
	if (s[0] != '/' || strpbrk(s, "?# \t") != NULL) {
		xasprintf(err, "invalid path '%s': must start with '/' and "
		    "contain no '?', '#' or blanks", s);
		return -1;
	}
	if (is_base)
		while (len > 0 && s[len - 1] == '/')
			len--;
	cli_set(dst, xstrndup(s, len));
	return 0;
}

static int
cli_add_env(struct config *c, const char *s, char **err)
{
	const char	*eq = strchr(s, '=');

	/* The value is the child's and may be a secret: never echoed. */
	if (eq == NULL || eq == s) {
		xasprintf(err, "--env wants KEY=VALUE, %s", eq == NULL ?
		    "without '=' here" : "with a KEY before '='");
		return -1;
	}
	cli_push(&c->serve.env, &c->nenv, s);
	return 0;
}

/*
 * --asking-tools NAME[,NAME...]: tool names as tools/list gives them.
 * Blanks around a name are not part of it ("sample, echo" is how people
 * write a list; a name kept as " echo" would match nothing, silently);
 * a control character cannot be meant.
 */
static int
cli_add_asking_tools(struct config *c, const char *s, char **err)
{
	const char	*p, *end, *q;
	char		*name;
	size_t		 len, i;

	for (p = s;; p = end + 1) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		for (i = 0, q = NULL; i < len && q == NULL; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				q = p + i;
		if (q != NULL) {
			xasprintf(err, "--asking-tools: a tool name holds a "
			    "control character (0x%02x)", (unsigned char)*q);
			return -1;
		}
		if (len == 0 || len > MUX_TOOL_NAME_MAX) {
			xasprintf(err, "--asking-tools wants tool names of 1 "
			    "to %d characters, separated by commas, not '%s'",
			    MUX_TOOL_NAME_MAX, s);
			return -1;
		}
		name = xstrndup(p, len);
		cli_push(&c->serve.asking_tools, &c->nasking_tools, name);
		free(name);
		if (end == NULL)
			return 0;
	}
}

static int
cli_check_connect(const char *s, char **err)
{
	const char	*colon;

	if (strncmp(s, "unix:", 5) == 0 && s[5] != '\0')
		return 0;
	if (strncmp(s, "tcp:", 4) == 0) {
		colon = strrchr(s + 4, ':');
		if (colon != NULL && colon != s + 4 && colon[1] != '\0')
			return 0;
	}
	xasprintf(err, "--connect wants unix:PATH or tcp:HOST:PORT, not '%s'", s);
	return -1;
}

/* Options every mode shares; 1 if handled, 0 if not ours, -1 on error. */
static int
cli_common(struct config *c, int ch, const char *arg, char **err,
    enum cli_result *res)
{
	if (ch >= CLI_OPT_OTEL_FIRST && ch <= CLI_OPT_OTEL_LAST)
		return cli_otel_option(&c->otel, ch, arg, err) == -1 ? -1 : 1;
	switch (ch) {
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, &c->log_level) == -1) {
			xasprintf(err, "--log-level wants error, warn, info "
			    "or debug (or -q, -v), not '%s'", arg);
			return -1;
		}
		return 1;
	case OPT_LOG_FORMAT:
		if (log_format_parse(arg, &c->log_format) == -1) {
			xasprintf(err, "--log-format wants text or json, not "
			    "'%s'", arg);
			return -1;
		}
		return 1;
	case OPT_LOG_FILE:
		if (*arg == '\0') {
			xasprintf(err, "--log-file wants a file name");
			return -1;
		}
		free(c->log_file);
		c->log_file = xstrdup(arg);
		return 1;
	case OPT_QUIET:
	case OPT_VERBOSE:
		/* Counted, applied to --log-level at the end: the order of
		 * -v and --log-level does not matter. */
		if (ch == OPT_QUIET && c->log_louder > -LOG_LEVEL_DEBUG)
			c->log_louder--;
		else if (ch == OPT_VERBOSE && c->log_louder < LOG_LEVEL_DEBUG)
			c->log_louder++;
		return 1;
	case OPT_HELP:
		*res = CLI_HELP;
		return 1;
	case OPT_VERSION:
		*res = CLI_VERSION;
		return 1;
	case OPT_TRACE:
		if (trace_mode_parse(arg, &c->trace) == -1) {
			xasprintf(err, "--trace takes =body or nothing, not "
			    "'=%s'", arg);
			return -1;
		}
		return 1;
	}
	return 0;
}

/* An origin as browsers send it: scheme://host[:port], or "*". */
static int
cli_check_origin(const char *opt, const char *s, char **err)
{
	const char	*p;

	if (strcmp(s, "*") == 0)
		return 0;
	if ((p = strstr(s, "://")) != NULL && p != s && p[3] != '\0' &&
	    strchr(p + 3, '/') == NULL)
		return 0;
	xasprintf(err, "%s wants an origin such as http://localhost:3000 "
	    "(no path) or *, not '%s'", opt, s);
	return -1;
}

/* The scope words of s (space-separated), each a scope-token: their
 * count, or -1 with *err. */
static long
cli_scope_words(const char *opt, const char *s, char **err)
{
	char	*copy, *w, *save;
	long	 n = 0;

	copy = xstrdup(s);
	for (w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (!rsmeta_scope_ok(w)) {
			xasprintf(err, "%s: '%s' is no scope (printable ASCII, "
			    "no blank, quote or backslash, at most %d bytes)",
			    opt, w, RSMETA_MAX_SCOPE_LEN);
			free(copy);
			return -1;
		}
		n++;
	}
	free(copy);
	if (n == 0) {
		xasprintf(err, "%s wants a scope", opt);
		return -1;
	}
	return n;
}

/* serve: the OAuth resource server (--oauth-*).  What depends on several
 * options is checked in cli_serve_oauth_check. */
static int
cli_serve_oauth_option(struct config *c, int ch, const char *arg, char **err)
{
	struct serve_config	*sc = &c->serve;
	const char		*cause, *eq;
	long			 n;

	switch (ch) {
	case OPT_OAUTH_ISSUER:
		if (asmeta_issuer_check(arg, &cause) == -1) {
			xasprintf(err, "--oauth-issuer '%s': %s", arg, cause);
			return -1;
		}
		if (sc->noauth_issuers >= JWKS_MAX_ISSUERS) {
			xasprintf(err, "--oauth-issuer: at most %d issuers",
			    JWKS_MAX_ISSUERS);
			return -1;
		}
		cli_push(&sc->oauth_issuers, &sc->noauth_issuers, arg);
		return 0;
	case OPT_OAUTH_RESOURCE:
		if (rsmeta_resource_check(arg, &cause) == -1) {
			xasprintf(err, "--oauth-resource '%s': %s", arg, cause);
			return -1;
		}
		cli_set(&sc->oauth_resource, xstrdup(arg));
		return 0;
	case OPT_OAUTH_SCOPE:
		if ((n = cli_scope_words("--oauth-scope", arg, err)) == -1)
			return -1;
		if (n != 1) {
			xasprintf(err, "--oauth-scope wants one scope; repeat "
			    "it for more");
			return -1;
		}
		if (sc->noauth_scopes >= RSAUTH_MAX_SCOPES) {
			xasprintf(err, "--oauth-scope: at most %d scopes",
			    RSAUTH_MAX_SCOPES);
			return -1;
		}
		cli_push(&sc->oauth_scopes, &sc->noauth_scopes, arg);
		return 0;
	case OPT_OAUTH_TOOL_SCOPE:
		if ((eq = strchr(arg, '=')) == NULL || eq == arg) {
			xasprintf(err, "--oauth-tool-scope wants TOOL=SCOPE, "
			    "not '%s'", arg);
			return -1;
		}
		if ((n = cli_scope_words("--oauth-tool-scope", eq + 1,
		    err)) == -1)
			return -1;
		if (n > RSAUTH_MAX_SCOPES || sc->noauth_tool_scopes >=
		    RSMETA_MAX_SCOPES) {
			xasprintf(err, "--oauth-tool-scope: at most %d scopes "
			    "a tool, %d options", RSAUTH_MAX_SCOPES,
			    RSMETA_MAX_SCOPES);
			return -1;
		}
		cli_push(&sc->oauth_tool_scopes, &sc->noauth_tool_scopes, arg);
		return 0;
	case OPT_OAUTH_CLIENT_ID:
		if (*arg == '\0' || strpbrk(arg, "\r\n") != NULL ||
		    strlen(arg) > INTROSPECT_MAX_CREDENTIAL_LEN) {
			xasprintf(err, "--oauth-client-id wants a client id "
			    "(one line, at most %d bytes)",
			    INTROSPECT_MAX_CREDENTIAL_LEN);
			return -1;
		}
		cli_set(&sc->oauth_client_id, xstrdup(arg));
		return 0;
	case OPT_OAUTH_CLIENT_SECRET_ENV:
		if (*arg == '\0' || strchr(arg, '=') != NULL) {
			xasprintf(err, "--oauth-client-secret-env wants the name "
			    "of an environment variable, not '%s'", arg);
			return -1;
		}
		cli_set(&sc->oauth_client_secret_env, xstrdup(arg));
		return 0;
	case OPT_OAUTH_CLIENT_SECRET_FILE:
		if (*arg == '\0') {
			xasprintf(err, "--oauth-client-secret-file wants a file "
			    "name");
			return -1;
		}
		cli_set(&sc->oauth_client_secret_file, xstrdup(arg));
		return 0;
	case OPT_OAUTH_LEEWAY:
		if (cli_parse_int(arg, 0, JWT_LEEWAY_MAX, &n) == -1) {
			xasprintf(err, "--oauth-leeway wants 0 to %d seconds, "
			    "not '%s'", JWT_LEEWAY_MAX, arg);
			return -1;
		}
		sc->oauth_leeway = (int)n;
		c->oauth_leeway_set = 1;
		return 0;
	case OPT_OAUTH_REQUIRE_AT_JWT:
		sc->oauth_require_at_jwt = 1;
		return 0;
	}
	xasprintf(err, "internal: unhandled option %d", ch);
	return -1;
}

/* --host names a loopback address (the default resource is then known
 * to be the one clients use: nobody else can reach it). */
static int
cli_host_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strncmp(host, "127.", 4) == 0;
}

/* The --oauth-* options together, once all are read. */
static int
cli_serve_oauth_check(const struct config *c, char **err)
{
	const struct serve_config	*sc = &c->serve;

	if (sc->noauth_issuers == 0) {
		if (sc->oauth_resource != NULL || sc->noauth_scopes > 0 ||
		    sc->noauth_tool_scopes > 0 || sc->oauth_client_id != NULL ||
		    sc->oauth_client_secret_file != NULL ||
		    sc->oauth_client_secret_env != NULL ||
		    c->oauth_leeway_set || sc->oauth_require_at_jwt) {
			xasprintf(err, "the --oauth-* options of serve need "
			    "--oauth-issuer");
			return -1;
		}
		return 0;
	}
	if (sc->oauth_client_secret_env != NULL &&
	    sc->oauth_client_secret_file != NULL) {
		xasprintf(err, "give either --oauth-client-secret-env or "
		    "--oauth-client-secret-file, not both");
		return -1;
	}
	if ((sc->oauth_client_id != NULL) != (sc->oauth_client_secret_env !=
	    NULL || sc->oauth_client_secret_file != NULL)) {
		xasprintf(err, "--oauth-client-id and a client secret "
		    "(--oauth-client-secret-file or -env) go together: "
		    "introspection needs both");
		return -1;
	}
	if (sc->oauth_resource == NULL && !cli_host_loopback(sc->http.host)) {
		xasprintf(err, "--oauth-resource is required when --host is "
		    "not loopback: give the public URL clients use for %s%s "
		    "(it is the audience tokens must name)",
		    sc->http.base_path, sc->http.mcp_path);
		return -1;
	}
	return 0;
}

/*
 * --env-from-claim: a session's own child only (a shared one serves many
 * principals), claims only from OAuth tokens, and never a variable --env
 * also sets (which value would win is not for the reader to guess).
 */
static int
cli_env_from_claim_check(const struct config *c, char **err)
{
	const struct serve_config	*sc = &c->serve;
	char				*var;
	size_t				 i, j, len;
	int				 clash = 0;

	if (sc->nenv_from_claim == 0)
		return 0;
	if (sc->isolation != MUX_ISOLATION_SESSION) {
		xasprintf(err, "--env-from-claim needs --isolation=session: a "
		    "shared child serves every user");
		return -1;
	}
	if (sc->noauth_issuers == 0) {
		xasprintf(err, "--env-from-claim needs --oauth-issuer: only "
		    "OAuth tokens carry claims");
		return -1;
	}
	if (sc->connect != NULL) {
		xasprintf(err, "--env-from-claim applies to a command, not "
		    "to --connect");
		return -1;
	}
	for (i = 0; i < sc->nenv_from_claim; i++) {
		var = envclaim_var(sc->env_from_claim[i]);
		len = strlen(var);
		for (j = 0; sc->env != NULL && sc->env[j] != NULL; j++) {
			if (strncmp(sc->env[j], var, len) == 0 &&
			    sc->env[j][len] == '=')
				clash = 1;
		}
		for (j = 0; j < i; j++) {
			if (strncmp(sc->env_from_claim[j], var, len) == 0 &&
			    sc->env_from_claim[j][len] == '=')
				clash = 2;
		}
		if (clash != 0) {
			xasprintf(err, clash == 1 ? "--env-from-claim and --env "
			    "both set %s" : "--env-from-claim sets %s twice",
			    var);
			free(var);
			return -1;
		}
		free(var);
	}
	return 0;
}

/* serve: who may connect, limits, operations. */
static int
cli_serve_security_option(struct config *c, int ch, const char *arg,
    char **err)
{
	uint64_t	 ms;
	size_t		 size;
	long		 n;

	switch (ch) {
	case OPT_ALLOW_HOST:
		if (*arg == '\0' || strpbrk(arg, " \t/") != NULL) {
			xasprintf(err, "--allow-host wants a host name, "
			    "host:port or *, not '%s'", arg);
			return -1;
		}
		cli_push(&c->serve.http.allow_hosts,
		    &c->serve.http.nallow_hosts, arg);
		return 0;
	case OPT_ALLOW_ORIGIN:
	case OPT_CORS:
		if (cli_check_origin(ch == OPT_CORS ? "--cors" :
		    "--allow-origin", arg, err) == -1)
			return -1;
		if (ch == OPT_CORS)
			cli_push(&c->serve.http.cors, &c->serve.http.ncors,
			    arg);
		else
			cli_push(&c->serve.http.allow_origins,
			    &c->serve.http.nallow_origins, arg);
		return 0;
	case OPT_AUTH_TOKEN_FILE:
		cli_set(&c->serve.http.auth_token_file, xstrdup(arg));
		return 0;
	case OPT_AUTH_TOKEN_ENV:
		if (*arg == '\0' || strchr(arg, '=') != NULL) {
			xasprintf(err, "--auth-token-env wants the name of an "
			    "environment variable, not '%s'", arg);
			return -1;
		}
		cli_set(&c->serve.http.auth_token_env, xstrdup(arg));
		return 0;
	case OPT_TLS_CERT:
	case OPT_TLS_KEY:
		if (!tls_available()) {
			xasprintf(err, "%s: TLS is not available: mcpbridge "
			    "was built without libevent_openssl",
			    ch == OPT_TLS_CERT ? "--tls-cert" : "--tls-key");
			return -1;
		}
		if (ch == OPT_TLS_CERT) {
			cli_set(&c->serve.http.tls_cert, xstrdup(arg));
		} else {
			cli_set(&c->serve.http.tls_key, xstrdup(arg));
		}
		return 0;
	case OPT_MAX_HEADER_SIZE:
		if (cli_parse_size(arg, &size) == -1 || size < 1024 ||
		    size > 16 * 1024 * 1024) {
			xasprintf(err, "--max-header-size wants a size from 1K "
			    "to 16M, not '%s'", arg);
			return -1;
		}
		c->serve.http.max_header_size = size;
		return 0;
	case OPT_MAX_HEADERS:
		if (cli_parse_int(arg, 8, 10000, &n) == -1) {
			xasprintf(err, "--max-headers wants 8 to 10000, not "
			    "'%s'", arg);
			return -1;
		}
		c->serve.http.max_headers = (size_t)n;
		return 0;
	case OPT_MAX_SESSIONS:
	case OPT_MAX_IN_FLIGHT:
		if (cli_parse_int(arg, 0, 10000000, &n) == -1) {
			xasprintf(err, "%s wants a number, not '%s'",
			    ch == OPT_MAX_SESSIONS ? "--max-sessions" :
			    "--max-in-flight", arg);
			return -1;
		}
		if (ch == OPT_MAX_SESSIONS)
			c->serve.http.max_sessions = (size_t)n;
		else
			c->serve.http.max_in_flight = (size_t)n;
		return 0;
	case OPT_RATE_LIMIT:
		if (cli_parse_int(arg, 0, 1000000, &n) == -1) {
			xasprintf(err, "--rate-limit wants requests a second, "
			    "not '%s'", arg);
			return -1;
		}
		c->serve.http.rate_limit = (uint64_t)n;
		return 0;
	case OPT_READ_TIMEOUT:
	case OPT_REQUEST_TIMEOUT:
	case OPT_SESSION_TIMEOUT:
	case OPT_DRAIN_TIMEOUT:
	case OPT_AGGREGATE_TIMEOUT:
		if (cli_parse_duration(arg, &ms) == -1 || ms > INT32_MAX ||
		    (ms == 0 && ch == OPT_READ_TIMEOUT)) {
			xasprintf(err, "%s wants a duration, not '%s'",
			    ch == OPT_READ_TIMEOUT ? "--read-timeout" :
			    ch == OPT_REQUEST_TIMEOUT ? "--request-timeout" :
			    ch == OPT_SESSION_TIMEOUT ? "--session-timeout" :
			    ch == OPT_AGGREGATE_TIMEOUT ? "--aggregate-timeout" :
			    "--drain-timeout", arg);
			return -1;
		}
		if (ch == OPT_READ_TIMEOUT)
			c->serve.http.read_timeout_ms = ms;
		else if (ch == OPT_REQUEST_TIMEOUT)
			c->serve.serve_request_timeout_ms = ms;
		else if (ch == OPT_SESSION_TIMEOUT)
			c->serve.http.session_timeout_ms = ms;
		else if (ch == OPT_AGGREGATE_TIMEOUT)
			c->serve.aggregate_timeout_ms = ms;
		else
			c->serve.drain_timeout_ms = ms;
		return 0;
	case OPT_METRICS_LISTEN:
		if (strrchr(arg, ':') == NULL || strrchr(arg, ':') == arg ||
		    strrchr(arg, ':')[1] == '\0') {
			xasprintf(err, "--metrics-listen wants HOST:PORT, not "
			    "'%s'", arg);
			return -1;
		}
		cli_set(&c->serve.http.metrics_listen, xstrdup(arg));
		return 0;
	case OPT_INSTANCE_ID:
		if (!session_prefix_ok(arg)) {
			xasprintf(err, "--instance-id wants 1 to %d letters, "
			    "digits, '_' or '-', not '%s'", SESSION_PREFIX_MAX,
			    arg);
			return -1;
		}
		cli_set(&c->serve.instance_id, xstrdup(arg));
		return 0;
	default:
		return cli_serve_oauth_option(c, ch, arg, err);
	}
}

static int
cli_serve_option(struct config *c, int ch, const char *arg, char **err)
{
	long		 n;
	uint64_t	 ms;
	size_t		 size;
	const char	*comma;
	json_object	*caps;

	switch (ch) {
	case OPT_ALLOW_HTTP:
		/* A remote server's URL (--config), checked as client
		 * mode's --allow-http checks it. */
		c->client.allow_http = 1;
		return 0;
	case OPT_ACCESS_LOG:
	case OPT_CHILD_STDERR:
		if (strcmp(arg, "on") == 0)
			n = 1;
		else if (strcmp(arg, "off") == 0)
			n = 0;
		else {
			xasprintf(err, "%s wants on or off, not '%s'",
			    ch == OPT_ACCESS_LOG ? "--access-log" :
			    "--child-stderr", arg);
			return -1;
		}
		if (ch == OPT_ACCESS_LOG)
			c->access_log = (int)n;
		else
			c->child_stderr = (int)n;
		return 0;
	case OPT_ENV:
		return cli_add_env(c, arg, err);
	case OPT_ENV_FROM_CLAIM:
		if (envclaim_check(arg, err) == -1)
			return -1;
		if (c->serve.nenv_from_claim >= ENVCLAIM_MAX) {
			xasprintf(err, "--env-from-claim: at most %d",
			    ENVCLAIM_MAX);
			return -1;
		}
		cli_push(&c->serve.env_from_claim, &c->serve.nenv_from_claim,
		    arg);
		return 0;
	case OPT_CWD:
		cli_set(&c->serve.cwd, xstrdup(arg));
		return 0;
	case OPT_CONNECT:
		if (cli_check_connect(arg, err) == -1)
			return -1;
		cli_set(&c->serve.connect, xstrdup(arg));
		return 0;
	case OPT_MAX_MESSAGE_SIZE:
		if (cli_parse_size(arg, &size) == -1 || size < 1024) {
			xasprintf(err, "--max-message-size wants a size of at "
			    "least 1K, not '%s'", arg);
			return -1;
		}
		c->serve.max_message_size = size;
		return 0;
	case OPT_KILL_TIMEOUT:
		if (cli_parse_duration(arg, &ms) == -1 || ms > INT_MAX) {
			xasprintf(err, "--kill-timeout wants a duration, not "
			    "'%s'", arg);
			return -1;
		}
		c->serve.kill_timeout_ms = (int)ms;
		return 0;
	case OPT_RESTART:
		if (strcmp(arg, "no") == 0)
			c->serve.restart = UPSTREAM_RESTART_NO;
		else if (strcmp(arg, "on-failure") == 0)
			c->serve.restart = UPSTREAM_RESTART_ON_FAILURE;
		else if (strcmp(arg, "always") == 0)
			c->serve.restart = UPSTREAM_RESTART_ALWAYS;
		else {
			xasprintf(err, "--restart wants no, on-failure or "
			    "always, not '%s'", arg);
			return -1;
		}
		return 0;
	case OPT_ISOLATION:
		if (strcmp(arg, "shared") == 0)
			c->serve.isolation = MUX_ISOLATION_SHARED;
		else if (strcmp(arg, "session") == 0)
			c->serve.isolation = MUX_ISOLATION_SESSION;
		else {
			xasprintf(err, "--isolation wants shared or session, "
			    "not '%s'", arg);
			return -1;
		}
		return 0;
	case OPT_SERVER_REQUESTS:
		if (strcmp(arg, "unambiguous") == 0)
			c->serve.server_requests =
			    MUX_SERVER_REQUESTS_UNAMBIGUOUS;
		else if (strcmp(arg, "latest") == 0)
			c->serve.server_requests = MUX_SERVER_REQUESTS_LATEST;
		else if (strcmp(arg, "schedule") == 0)
			c->serve.server_requests =
			    MUX_SERVER_REQUESTS_SCHEDULE;
		else {
			xasprintf(err, "--server-requests wants schedule, "
			    "unambiguous or latest, not '%s'", arg);
			return -1;
		}
		return 0;
	case OPT_ASKING_TOOLS:
		return cli_add_asking_tools(c, arg, err);
	case OPT_MAX_CHILDREN:
		if (cli_parse_int(arg, 0, 1000000, &n) == -1) {
			xasprintf(err, "--max-children wants a number, not "
			    "'%s'", arg);
			return -1;
		}
		c->serve.max_children = (size_t)n;
		return 0;
	case OPT_CHILDREN:
		if (cli_parse_int(arg, 1, MUX_CHILDREN_MAX, &n) == -1) {
			xasprintf(err, "--children wants a number from 1 to %d, "
			    "not '%s'", MUX_CHILDREN_MAX, arg);
			return -1;
		}
		c->serve.children = (size_t)n;
		return 0;
	case OPT_CLIENT_CAPABILITIES:
		/* The child gets it as sent: the strict policy, so no NaN
		 * or 01 reaches it as text that is not JSON. */
		if ((caps = jsonparse_strict(arg, strlen(arg), NULL)) ==
		    NULL || !json_object_is_type(caps, json_type_object)) {
			if (caps != NULL)
				json_object_put(caps);
			xasprintf(err, "--client-capabilities wants a JSON "
			    "object, not '%s'", arg);
			return -1;
		}
		json_object_put(caps);
		cli_set(&c->serve.client_capabilities, xstrdup(arg));
		return 0;
	case OPT_INIT_TIMEOUT:
		if (cli_parse_duration(arg, &ms) == -1 || ms == 0) {
			xasprintf(err, "--init-timeout wants a duration, not "
			    "'%s'", arg);
			return -1;
		}
		c->serve.init_timeout_ms = ms;
		return 0;
	case OPT_CHILD_ERA:
		if (strcmp(arg, "legacy") == 0)
			c->serve.child_era = MUX_CHILD_ERA_LEGACY;
		else if (strcmp(arg, "auto") == 0)
			c->serve.child_era = MUX_CHILD_ERA_AUTO;
		else if (strcmp(arg, "modern") == 0)
			c->serve.child_era = MUX_CHILD_ERA_MODERN;
		else {
			xasprintf(err, "--child-era wants legacy, auto or "
			    "modern, not '%s'", arg);
			return -1;
		}
		return 0;
	case OPT_PROBE_TIMEOUT:
		if (cli_parse_duration(arg, &ms) == -1 || ms == 0) {
			xasprintf(err, "--probe-timeout wants a duration, not "
			    "'%s'", arg);
			return -1;
		}
		c->serve.probe_timeout_ms = ms;
		return 0;
	case OPT_HOST:
		if (*arg == '\0') {
			xasprintf(err, "--host wants an address");
			return -1;
		}
		cli_set(&c->serve.http.host, xstrdup(arg));
		return 0;
	case OPT_PORT:
		if (cli_parse_int(arg, 0, 65535, &n) == -1) {
			xasprintf(err, "--port wants 0 to 65535, not '%s'", arg);
			return -1;
		}
		c->serve.http.port = (int)n;
		return 0;
	case OPT_PRINT_URL:
		c->serve.http.print_url = 1;
		return 0;
	case OPT_BASE_PATH:
		return cli_set_path(&c->serve.http.base_path, arg, 1, err);
	case OPT_SSE_PATH:
		return cli_set_path(&c->serve.http.sse_path, arg, 0, err);
	case OPT_MESSAGE_PATH:
		return cli_set_path(&c->serve.http.message_path, arg, 0, err);
	case OPT_PATH:
		return cli_set_path(&c->serve.http.mcp_path, arg, 0, err);
	case OPT_KEEPALIVE:
		if (cli_parse_duration(arg, &ms) == -1 || ms == 0 ||
		    ms > INT_MAX) {
			xasprintf(err, "--keepalive wants a duration, not "
			    "'%s'", arg);
			return -1;
		}
		c->serve.http.keepalive_ms = (int)ms;
		return 0;
	case OPT_MAX_QUEUE:
		if (cli_parse_size(arg, &size) == -1 || size < 4096) {
			xasprintf(err, "--max-queue wants a size of at least "
			    "4K, not '%s'", arg);
			return -1;
		}
		c->serve.http.max_queue = size;
		return 0;
	case OPT_MAX_BODY:
		if (cli_parse_size(arg, &size) == -1 || size < 1024) {
			xasprintf(err, "--max-body wants a size of at least "
			    "1K, not '%s'", arg);
			return -1;
		}
		c->serve.http.max_body = size;
		return 0;
	case OPT_REPLAY_BUFFER:
		/* MESSAGES[,BYTES] */
		if (cli_parse_int(arg, 0, 10000000, &n) == 0) {
			c->serve.http.replay_messages = (size_t)n;
			return 0;
		}
		comma = strchr(arg, ',');
		if (comma != NULL) {
			char *first = xstrndup(arg, (size_t)(comma - arg));
			int ok = cli_parse_int(first, 0, 10000000, &n) == 0 &&
			    cli_parse_size(comma + 1, &size) == 0;
			free(first);
			if (ok) {
				c->serve.http.replay_messages = (size_t)n;
				c->serve.http.replay_bytes = size;
				return 0;
			}
		}
		xasprintf(err, "--replay-buffer wants MESSAGES[,BYTES], not "
		    "'%s'", arg);
		return -1;
	default:
		return cli_serve_security_option(c, ch, arg, err);
	}
	xasprintf(err, "internal: unhandled option %d", ch);
	return -1;
}

/* Client mode: signing in with OAuth. */
static int
cli_oauth_option(struct config *c, int ch, const char *arg, char **err)
{
	uint64_t	 ms;
	char		*end;
	long		 port;

	switch (ch) {
	case OPT_NO_OAUTH:
		c->client.no_oauth = 1;
		return 0;
	case OPT_OAUTH_CLIENT_ID:
		if (*arg == '\0' || strpbrk(arg, "\r\n") != NULL) {
			xasprintf(err, "--oauth-client-id wants a client id");
			return -1;
		}
		cli_set(&c->client.oauth_client_id, xstrdup(arg));
		return 0;
	case OPT_OAUTH_CLIENT_SECRET_ENV:
		if (*arg == '\0' || strchr(arg, '=') != NULL) {
			xasprintf(err, "--oauth-client-secret-env wants the name "
			    "of an environment variable, not '%s'", arg);
			return -1;
		}
		cli_set(&c->client.oauth_client_secret_env, xstrdup(arg));
		return 0;
	case OPT_OAUTH_CLIENT_SECRET_FILE:
		cli_set(&c->client.oauth_client_secret_file, xstrdup(arg));
		return 0;
	case OPT_OAUTH_CLIENT_METADATA_URL:
		/* An https URL with a path (Client ID Metadata Documents). */
		if (strncmp(arg, "https://", 8) != 0 ||
		    strchr(arg + 8, '/') == NULL ||
		    strchr(arg + 8, '/')[1] == '\0' ||
		    strpbrk(arg, " \t\r\n#") != NULL) {
			xasprintf(err, "--oauth-client-metadata-url wants an "
			    "https:// URL with a path, not '%s'", arg);
			return -1;
		}
		cli_set(&c->client.oauth_client_metadata_url, xstrdup(arg));
		return 0;
	case OPT_OAUTH_CALLBACK_PORT:
		errno = 0;
		port = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || port < 0 ||
		    port > 65535) {
			xasprintf(err, "--oauth-callback-port wants a port "
			    "(0-65535), not '%s'", arg);
			return -1;
		}
		c->client.oauth_callback_port = (int)port;
		return 0;
	case OPT_OAUTH_OPEN:
		if (strspn(arg, " \t") == strlen(arg)) {
			xasprintf(err, "--oauth-open wants a command, or none");
			return -1;
		}
		cli_set(&c->client.oauth_open, xstrdup(arg));
		return 0;
	case OPT_OAUTH_TIMEOUT:
		if (cli_parse_duration(arg, &ms) == -1 || ms == 0 ||
		    ms > INT32_MAX) {
			xasprintf(err, "--oauth-timeout wants a duration, not "
			    "'%s'", arg);
			return -1;
		}
		c->client.oauth_timeout_ms = ms;
		return 0;
	case OPT_OAUTH_STORE:
		if (*arg == '\0') {
			xasprintf(err, "--oauth-store wants a directory");
			return -1;
		}
		cli_set(&c->client.oauth_store, xstrdup(arg));
		return 0;
	}
	xasprintf(err, "internal: unhandled option %d", ch);
	return -1;
}

static int
cli_client_option(struct config *c, int ch, const char *arg, char **err)
{
	uint64_t	 ms;
	size_t		 size;

	switch (ch) {
	case OPT_TRANSPORT:
		if (strcmp(arg, "auto") == 0)
			c->client.transport = CLIENT_TRANSPORT_AUTO;
		else if (strcmp(arg, "streamable") == 0 ||
		    strcmp(arg, "streamable-http") == 0)
			c->client.transport = CLIENT_TRANSPORT_STREAMABLE;
		else if (strcmp(arg, "sse") == 0)
			c->client.transport = CLIENT_TRANSPORT_SSE;
		else {
			xasprintf(err, "--transport wants auto, streamable or "
			    "sse, not '%s'", arg);
			return -1;
		}
		return 0;
	case OPT_HEADER:
		if (client_header_check(arg, err) == -1)
			return -1;
		cli_push(&c->client.headers, &c->client.nheaders, arg);
		return 0;
	case OPT_BEARER_TOKEN_ENV:
		if (*arg == '\0' || strchr(arg, '=') != NULL) {
			xasprintf(err, "--bearer-token-env wants the name of "
			    "an environment variable, not '%s'", arg);
			return -1;
		}
		cli_set(&c->client.bearer_token_env, xstrdup(arg));
		return 0;
	case OPT_CACERT:
		/* Now, not at the first request: a typo is a usage error,
		 * not a server that cannot be reached. */
		if (access(arg, R_OK) == -1) {
			xasprintf(err, "cannot read --cacert %s: %s", arg,
			    strerror(errno));
			return -1;
		}
		cli_set(&c->client.cacert, xstrdup(arg));
		return 0;
	case OPT_INSECURE:
		c->client.insecure = 1;
		return 0;
	case OPT_ALLOW_HTTP:
		c->client.allow_http = 1;
		return 0;
	case OPT_CONNECT_TIMEOUT:
	case OPT_REQUEST_TIMEOUT:
		if (cli_parse_duration(arg, &ms) == -1 || ms == 0 ||
		    ms > INT32_MAX) {
			xasprintf(err, "%s wants a duration, not '%s'",
			    ch == OPT_CONNECT_TIMEOUT ? "--connect-timeout" :
			    "--request-timeout", arg);
			return -1;
		}
		if (ch == OPT_CONNECT_TIMEOUT)
			c->client.connect_timeout_ms = ms;
		else
			c->client.request_timeout_ms = ms;
		return 0;
	case OPT_MAX_MESSAGE_SIZE:
		if (cli_parse_size(arg, &size) == -1 || size < 1024) {
			xasprintf(err, "--max-message-size wants a size of at "
			    "least 1K, not '%s'", arg);
			return -1;
		}
		c->client.max_message_size = size;
		return 0;
	case OPT_ONESHOT:
		c->client.oneshot = 1;
		return 0;
	case OPT_NOTIFICATIONS:
		c->client.notifications = 1;
		return 0;
	case OPT_PROTOCOL_VERSION:
		cli_set(&c->client.protocol_version, xstrdup(arg));
		return 0;
	case OPT_ERA:
		if (strcmp(arg, "auto") == 0)
			c->client.era = CLIENT_ERA_AUTO;
		else if (strcmp(arg, "modern") == 0)
			c->client.era = CLIENT_ERA_MODERN;
		else if (strcmp(arg, "legacy") == 0)
			c->client.era = CLIENT_ERA_LEGACY;
		else {
			xasprintf(err, "--era wants auto, modern or legacy, "
			    "not '%s'", arg);
			return -1;
		}
		return 0;
	default:
		return cli_oauth_option(c, ch, arg, err);
	}
}

/*
 * Each route has its own path: one that two options name would be
 * served by whichever the router tries first, and the other would
 * silently never answer.  With named servers (--config), the paths under
 * /servers/ are theirs (/servers/NAME/mcp, .../readyz, ...): a route
 * there would shadow a server's, or be shadowed by it.
 */
static int
cli_paths_clash(const struct config *c, char **err)
{
	const struct {
		const char	*what;
		const char	*path;
	} routes[] = {
		{ "--path", c->serve.http.mcp_path },
		{ "--sse-path", c->serve.http.sse_path },
		{ "--message-path", c->serve.http.message_path },
		{ "the health probe", "/healthz" },
		{ "the readiness probe", "/readyz" },
		{ "the metrics", "/metrics" },
		{ "the status page", "/status" },
		{ "the status page's JSON", "/status.json" },
	};
	size_t	i, j, n = sizeof routes / sizeof routes[0];

	for (i = 0; c->conf != NULL && c->conf->nservers > 0 && i < n; i++)
		if (strncmp(routes[i].path, "/servers/", 9) == 0) {
			xasprintf(err, "%s is %s: under /servers/ are the "
			    "named servers' routes", routes[i].what,
			    routes[i].path);
			return -1;
		}

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			if (strcmp(routes[i].path, routes[j].path) != 0)
				continue;
			xasprintf(err, "%s and %s are both %s: each route "
			    "needs a path of its own", routes[i].what,
			    routes[j].what, routes[i].path);
			return -1;
		}
	return 0;
}

static enum cli_result
cli_parse_mode(int argc, char **argv, struct config *c,
    const struct option *longopts, char **err)
{
	enum cli_result	res = CLI_OK;
	int		ch, r;

	/* '+': stop at the first non-option (the mode word, or serve's
	 * command, whose own options are not ours); client mode takes options
	 * after its URL too, as IDE configs often put them last.  ':': report
	 * a missing argument as ':' so the message can say so. */
	const char	*optstring = c->mode == CLI_MODE_CLIENT ? ":hVqv" :
	    "+:hVqv";

	optind = 0;	/* glibc: a full re-initialisation for each argv */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		if (ch == 'h')
			ch = OPT_HELP;
		else if (ch == 'V')
			ch = OPT_VERSION;
		else if (ch == 'q')
			ch = OPT_QUIET;
		else if (ch == 'v')
			ch = OPT_VERBOSE;
		if (ch == '?') {
			if (optopt != 0)
				xasprintf(err, "unknown option '-%c'", optopt);
			else
				xasprintf(err, "unknown option '%s'",
				    argv[optind - 1]);
			return CLI_ERROR;
		}
		if (ch == ':') {
			xasprintf(err, "option '%s' needs a value",
			    argv[optind - 1]);
			return CLI_ERROR;
		}
		r = cli_common(c, ch, optarg, err, &res);
		if (r == -1)
			return CLI_ERROR;
		if (r == 1)
			continue;
		if ((r = cli_conf_option(c, ch, optarg, err)) == -1)
			return CLI_ERROR;
		if (r == 1)
			continue;
		if (c->mode == CLI_MODE_SERVE &&
		    cli_serve_option(c, ch, optarg, err) == -1)
			return CLI_ERROR;
		if (c->mode == CLI_MODE_CLIENT &&
		    cli_client_option(c, ch, optarg, err) == -1)
			return CLI_ERROR;
	}
	if (res != CLI_OK || c->mode == CLI_MODE_NONE)
		return res;

	argc -= optind;
	argv += optind;
	if (c->mode == CLI_MODE_SERVE) {
		if (c->conf != NULL && c->conf->nservers > 0 && argc > 0) {
			xasprintf(err, "%s names the servers: give no command "
			    "after --", c->conf->file);
			return CLI_ERROR;
		}
		if (c->serve.connect != NULL && (argc > 0 ||
		    c->serve.command != NULL)) {
			xasprintf(err, "give either --connect or a command, "
			    "not both");
			return CLI_ERROR;
		}
		if (c->client.url != NULL && client_url_check(c->client.url,
		    c->client.allow_http, err) == -1)
			return CLI_ERROR;
		if (c->serve.connect == NULL && argc == 0 &&
		    c->serve.command == NULL && c->client.url == NULL &&
		    (c->conf == NULL ||
		    c->conf->nservers == 0)) {
			xasprintf(err, "serve needs a command (after --) or "
			    "--connect");
			return CLI_ERROR;
		}
		if (c->serve.connect != NULL && (c->serve.env != NULL ||
		    c->serve.cwd != NULL)) {
			xasprintf(err, "--env and --cwd apply to a command, "
			    "not to --connect");
			return CLI_ERROR;
		}
		if ((c->serve.http.tls_cert == NULL) !=
		    (c->serve.http.tls_key == NULL)) {
			xasprintf(err, "--tls-cert and --tls-key go together");
			return CLI_ERROR;
		}
		if (cli_paths_clash(c, err) == -1)
			return CLI_ERROR;
		if (cli_serve_oauth_check(c, err) == -1)
			return CLI_ERROR;
		if (cli_env_from_claim_check(c, err) == -1)
			return CLI_ERROR;
		if (c->serve.http.auth_token_file != NULL &&
		    c->serve.http.auth_token_env != NULL) {
			xasprintf(err, "give either --auth-token-file or "
			    "--auth-token-env, not both");
			return CLI_ERROR;
		}
		/* A session's own child is initialized by its client. */
		if (c->serve.child_era != MUX_CHILD_ERA_LEGACY &&
		    c->serve.isolation == MUX_ISOLATION_SESSION) {
			xasprintf(err, "--child-era=auto or modern needs "
			    "--isolation=shared");
			return CLI_ERROR;
		}
		if (c->serve.children > 1 &&
		    c->serve.isolation == MUX_ISOLATION_SESSION) {
			xasprintf(err, "--children is for --isolation=shared "
			    "(with --isolation=session every session has its "
			    "own child already)");
			return CLI_ERROR;
		}
		if (c->serve.children > 1 && c->serve.connect != NULL) {
			xasprintf(err, "--children runs copies of a command; "
			    "with --connect there is one server to attach to");
			return CLI_ERROR;
		}
		if (argc > 0)
			c->serve.command = cli_copy_vector(argc, argv);
	} else if (c->mode == CLI_MODE_CLIENT) {
		if (argc != 1) {
			xasprintf(err, argc == 0 ? "client needs a URL" :
			    "client takes one URL, got %d arguments", argc);
			return CLI_ERROR;
		}
		if (client_url_check(argv[0], c->client.allow_http,
		    err) == -1)
			return CLI_ERROR;
		if (c->client.oauth_client_secret_env != NULL &&
		    c->client.oauth_client_secret_file != NULL) {
			xasprintf(err, "give either --oauth-client-secret-env "
			    "or --oauth-client-secret-file, not both");
			return CLI_ERROR;
		}
		if ((c->client.oauth_client_secret_env != NULL ||
		    c->client.oauth_client_secret_file != NULL) &&
		    c->client.oauth_client_id == NULL) {
			xasprintf(err, "a client secret needs --oauth-client-id");
			return CLI_ERROR;
		}
		if (client_version_check(c->client.protocol_version,
		    c->client.oneshot, c->client.era, c->client.transport,
		    err) == -1)
			return CLI_ERROR;
		if (c->client.notifications && !c->client.oneshot) {
			/* Without it every message goes to stdout anyway. */
			xasprintf(err, "--notifications is for --oneshot's "
			    "output: give --oneshot too (a local client gets "
			    "the server's notifications without it)");
			return CLI_ERROR;
		}
		if (c->client.era == CLIENT_ERA_MODERN &&
		    c->client.transport == CLIENT_TRANSPORT_SSE) {
			xasprintf(err, "--era modern needs Streamable HTTP, not "
			    "--transport sse");
			return CLI_ERROR;
		}
		c->client.url = xstrdup(argv[0]);
	}
	return CLI_OK;
}

/*
 * serve --config FILE.  conffile.c reads the file and checks its shape;
 * here its settings become options.  A key of an "mcpbridge" object is
 * the long name of an option in cli_serve_options, so a new option has
 * its spelling in the file the day it is added; its value is the option's
 * argument: a string, a number (its digits), true for an option that
 * takes none (false: as if not given; for one that takes a value, true
 * and false are "on" and "off"), an array for a repeatable one.  The
 * file goes in first and the command line after, so the command line
 * wins, and a repeatable option adds to the file's list.
 */

/* Options the file may repeat (an array). */
static const int cli_conf_repeatable[] = {
	OPT_ENV, OPT_ALLOW_HOST, OPT_ALLOW_ORIGIN, OPT_CORS, OPT_ALLOW_TOOL,
	OPT_DENY_TOOL,
	OPT_ASKING_TOOLS, OPT_ENV_FROM_CLAIM, OPT_OAUTH_ISSUER, OPT_OAUTH_SCOPE,
	OPT_OAUTH_TOOL_SCOPE, CLI_OPT_OTEL_HEADER,
};

/*
 * Options a server's own "mcpbridge" object may set: those of its child
 * and its multiplexer.  The rest (the listener, its limits, who may
 * connect, the log) are the bridge's, for the top-level object.  A new
 * option that is per server goes here; until then a server's object
 * refuses it, which is an error, not a setting quietly ignored.
 */
static const int cli_conf_per_server[] = {
	OPT_ENV, OPT_CWD, OPT_CONNECT, OPT_MAX_MESSAGE_SIZE, OPT_KILL_TIMEOUT,
	OPT_RESTART, OPT_ISOLATION, OPT_SERVER_REQUESTS, OPT_MAX_CHILDREN,
	OPT_CLIENT_CAPABILITIES, OPT_INIT_TIMEOUT, OPT_CHILD_ERA,
	OPT_PROBE_TIMEOUT, OPT_REQUEST_TIMEOUT, OPT_ALLOW_TOOL, OPT_DENY_TOOL,
	/* Each server's own pool, turns and claims-to-env of its children
	 * (the OAuth resource server and OpenTelemetry are the bridge's). */
	OPT_CHILDREN, OPT_ASKING_TOOLS, OPT_ENV_FROM_CLAIM,
	/* The scopes its routes need beside the bridge's (the issuer, the
	 * resource and the bridge's own scopes stay the bridge's). */
	OPT_OAUTH_SCOPE,
	/* A remote server's URL may be plain HTTP to another host. */
	OPT_ALLOW_HTTP,
};

/* Options that say how to read the file or stop the run: not in it. */
static int
cli_conf_forbidden(int ch)
{
	return ch == OPT_CONFIG || ch == OPT_CHECK || ch == OPT_HELP ||
	    ch == OPT_VERSION;
}

static int
cli_conf_in(int ch, const int *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (list[i] == ch)
			return 1;
	return 0;
}

#define CLI_NELEM(a)	(sizeof (a) / sizeof (a)[0])

static int
cli_conf_allowed(int ch, int per_server)
{
	return !cli_conf_forbidden(ch) && (!per_server ||
	    cli_conf_in(ch, cli_conf_per_server,
	    CLI_NELEM(cli_conf_per_server)));
}

/* --config, --check, --allow-tool, --deny-tool: 1 if handled, 0 if not
 * ours, -1 on error. */
static int
cli_conf_option(struct config *c, int ch, const char *arg, char **err)
{
	struct toolfilter	*f;

	switch (ch) {
	case OPT_CONFIG:
		/* Read before the other options (cli_conf_begin). */
		return 1;
	case OPT_CHECK:
		c->check = 1;
		return 1;
	case OPT_WATCH:
		c->watch = 1;
		return 1;
	case OPT_TOOL_SEPARATOR:
		if (!agg_separator_valid(arg)) {
			xasprintf(err, "--tool-separator wants 1 to %d letters, "
			    "digits, '_', '.' or '-', not '%s'",
			    AGG_SEPARATOR_MAX, arg);
			return -1;
		}
		cli_set(&c->serve.tool_separator, xstrdup(arg));
		return 1;
	case OPT_ALLOW_TOOL:
	case OPT_DENY_TOOL:
		if (toolfilter_pattern_check(arg, err) == -1) {
			char *why = *err;

			xasprintf(err, "%s: %s", ch == OPT_ALLOW_TOOL ?
			    "--allow-tool" : "--deny-tool", why);
			free(why);
			return -1;
		}
		f = c->mode == CLI_MODE_CLIENT ? &c->client.tools :
		    &c->serve.tools;
		if (ch == OPT_ALLOW_TOOL)
			cli_push(&f->allow, &f->nallow, arg);
		else
			cli_push(&f->deny, &f->ndeny, arg);
		return 1;
	}
	return 0;
}

static void
cli_conf_free(struct config *c)
{
	size_t	i;

	xfreev(c->serve.tools.allow);
	xfreev(c->serve.tools.deny);
	xfreev(c->client.tools.allow);
	xfreev(c->client.tools.deny);
	for (i = 0; i < c->nservers; i++)
		config_free(&c->servers[i]);
	free(c->servers);
	if (c->conf != NULL) {
		conffile_free(c->conf);
		free(c->conf);
	}
}

/* One option, as if given on a serve command line: 0, or -1 and *err. */
static int
cli_conf_apply(struct config *c, int ch, const char *arg, char **err)
{
	enum cli_result	res = CLI_OK;
	int		r;

	if ((r = cli_common(c, ch, arg, err, &res)) != 0 ||
	    (r = cli_conf_option(c, ch, arg, err)) != 0)
		return r == -1 ? -1 : 0;
	return cli_serve_option(c, ch, arg, err);
}

/* One JSON value as option o's argument. */
static void
cli_conf_value(struct config *c, struct conffile *cf, const char *path,
    const struct option *o, json_object *v)
{
	char		*arg = NULL, *err = NULL;
	const char	*want;
	int		 given = 1;

	switch (json_object_get_type(v)) {
	case json_type_boolean:
		if (o->has_arg != required_argument)
			given = json_object_get_boolean(v);
		else
			arg = xstrdup(json_object_get_boolean(v) ? "on" :
			    "off");
		break;
	case json_type_int:
	case json_type_double:
		if (o->has_arg == no_argument)
			goto type;
		/* The digits as written (big or fractional ones too: the
		 * option's own check refuses what it cannot take). */
		arg = xstrdup(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_string:
		if (o->has_arg == no_argument)
			goto type;
		if (strlen(json_object_get_string(v)) !=
		    (size_t)json_object_get_string_len(v)) {
			conffile_error(cf, path, "holds a NUL character");
			return;
		}
		arg = xstrdup(json_object_get_string(v));
		break;
	default:
		goto type;
	}
	if (given && cli_conf_apply(c, o->val, arg, &err) == -1) {
		conffile_error(cf, path, "%s", err);
		free(err);
	}
	free(arg);
	return;

type:
	want = o->has_arg == no_argument ? "true or false" :
	    o->has_arg == optional_argument ? "true, false or a string" :
	    "a string or a number";
	conffile_error(cf, path, "wants %s%s, not %s", want,
	    cli_conf_in(o->val, cli_conf_repeatable,
	    CLI_NELEM(cli_conf_repeatable)) ? " (or an array of them)" : "",
	    json_object_is_type(v, json_type_null) ? "null" :
	    json_object_is_type(v, json_type_object) ? "an object" :
	    json_object_is_type(v, json_type_array) ? "an array" :
	    json_object_is_type(v, json_type_string) ? "a string" :
	    json_object_is_type(v, json_type_boolean) ? "a boolean" :
	    "a number");
}

/* An "mcpbridge" object at path: the top-level one, or a server's. */
static void
cli_conf_object(struct config *c, struct conffile *cf, const char *path,
    json_object *obj, int per_server)
{
	const struct option	*o;
	const char		*names[CLI_NELEM(cli_serve_options)];
	size_t			 i, n, nnames = 0;
	char			*p, *q;

	for (o = cli_serve_options; o->name != NULL; o++)
		if (cli_conf_allowed(o->val, per_server))
			names[nnames++] = o->name;
	json_object_object_foreach(obj, key, val) {
		xasprintf(&p, "%s.%s", path, key);
		for (o = cli_serve_options; o->name != NULL; o++)
			if (strcmp(o->name, key) == 0)
				break;
		if (o->name == NULL)
			conffile_unknown(cf, p, key, names, nnames);
		else if (cli_conf_forbidden(o->val))
			conffile_error(cf, p, "not a setting for the file: "
			    "give --%s on the command line", key);
		else if (!cli_conf_allowed(o->val, per_server))
			conffile_error(cf, p, "a setting of the whole bridge: "
			    "it goes in the top-level \"mcpbridge\" object");
		else if (!json_object_is_type(val, json_type_array))
			cli_conf_value(c, cf, p, o, val);
		else if (!cli_conf_in(o->val, cli_conf_repeatable,
		    CLI_NELEM(cli_conf_repeatable)))
			conffile_error(cf, p, "takes one value, not an array");
		else {
			n = json_object_array_length(val);
			for (i = 0; i < n; i++) {
				xasprintf(&q, "%s[%zu]", p, i);
				cli_conf_value(c, cf, q, o,
				    json_object_array_get_idx(val, i));
				free(q);
			}
		}
		free(p);
	}
}

/*
 * A remote server's entry as client mode's settings (c->client, unused
 * in serve mode otherwise): its URL, headers ("Name: value", ${VAR}
 * expanded when it is served) and transport ("type": "sse" pins the
 * legacy one, "streamable-http" the other, "http" leaves client mode to
 * pick, as it does without a type).
 */
static void
cli_conf_remote(struct config *c, const struct conffile_server *srv)
{
	json_object	*type;
	const char	*t;
	size_t		 i;

	cli_set(&c->client.url, xstrdup(srv->url));
	for (i = 0; i < srv->nheaders; i++)
		cli_push(&c->client.headers, &c->client.nheaders,
		    srv->headers[i]);
	c->client.transport = CLIENT_TRANSPORT_AUTO;
	c->client.connect_timeout_ms = CLI_DEFAULT_CONNECT_TIMEOUT_MS;
	c->client.request_timeout_ms = CLI_DEFAULT_REQUEST_TIMEOUT_MS;
	if (json_object_object_get_ex(srv->entry, "type", &type) &&
	    (t = json_object_get_string(type)) != NULL) {
		if (strcmp(t, "sse") == 0)
			c->client.transport = CLIENT_TRANSPORT_SSE;
		else if (strcmp(t, "streamable-http") == 0)
			c->client.transport = CLIENT_TRANSPORT_STREAMABLE;
	}
}

/* A server's entry: its command, env and cwd as --env and --cwd would
 * give them, then its own "mcpbridge" object. */
static void
cli_conf_server(struct config *c, struct conffile *cf,
    const struct conffile_server *srv)
{
	char	**e, *err = NULL, *p;
	size_t	  n;

	if (srv->command != NULL) {
		for (n = 0; srv->command[n] != NULL; n++)
			;
		xfreev(c->serve.command);
		c->serve.command = cli_copy_vector((int)n, srv->command);
	}
	for (e = srv->env; e != NULL && *e != NULL; e++)
		cli_push(&c->serve.env, &c->nenv, *e);
	if (srv->cwd != NULL)
		cli_set(&c->serve.cwd, xstrdup(srv->cwd));
	if (srv->bridge != NULL) {
		xasprintf(&p, "%s.mcpbridge", srv->path);
		cli_conf_object(c, cf, p, srv->bridge, 1);
		free(p);
	}
	/* A remote server is reached through client mode's code: its URL
	 * passes client mode's checks (https, or http to this machine,
	 * or anywhere with allow-http: the command line may give that
	 * too, so cli_parse_mode checks it again once it is in). */
	if (srv->url != NULL && client_url_check(srv->url, 1, &err) == -1) {
		xasprintf(&p, "%s.url", srv->path);
		conffile_error(cf, p, "%s", err);
		free(p);
		free(err);
	}
	/* A header that cannot be made (a ${VAR} not set) is the file's
	 * error, said by --check, at start and before a reload applies
	 * anything; the value is never shown. */
	for (n = 0; n < srv->nheaders; n++)
		if (remote_header_check(srv->headers[n], &err) == -1) {
			xasprintf(&p, "%s.headers.%.*s", srv->path,
			    (int)strcspn(srv->headers[n], ":"),
			    srv->headers[n]);
			conffile_error(cf, p, "%s", err);
			free(p);
			free(err);
			err = NULL;
		}
	if (srv->url != NULL)
		cli_conf_remote(c, srv);
}

/* serve's argv (from its mode word on): the --config file it names
 * (caller frees), or NULL; none either with --help or --version, which
 * read no file. */
static char *
cli_conf_prescan(int argc, char **argv)
{
	char	*path = NULL;
	int	 ch, stop = 0;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hVqv", cli_serve_options,
	    NULL)) != -1) {
		if (ch == OPT_CONFIG && optarg != NULL) {
			free(path);
			path = xstrdup(optarg);
		} else if (ch == 'h' || ch == 'V' || ch == OPT_HELP ||
		    ch == OPT_VERSION)
			stop = 1;
	}
	if (stop) {
		free(path);
		path = NULL;
	}
	return path;
}

/* One pass of cli_log_format's over argv: the last valid --log-format
 * in *out (untouched if none); optind where it stopped. */
static void
cli_log_format_scan(int argc, char **argv, const char *optstring,
    const struct option *longopts, int *out)
{
	enum log_format	f;
	int		ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1)
		if (ch == OPT_LOG_FORMAT && log_format_parse(optarg, &f) == 0)
			*out = (int)f;
}

int
cli_log_format(int argc, char **argv)
{
	int	format = -1, i;

	/* As cli_parse walks it: the options before the mode word, then
	 * the mode's; an unknown option or a bad value is skipped here
	 * (cli_parse says what is wrong with it). */
	cli_log_format_scan(argc, argv, "+:hVqv", cli_common_options, &format);
	if ((i = optind) >= argc)
		return format;
	if (strcmp(argv[i], "serve") == 0)
		cli_log_format_scan(argc - i, argv + i, "+:hVqv",
		    cli_serve_options, &format);
	else if (strcmp(argv[i], "client") == 0)
		cli_log_format_scan(argc - i, argv + i, ":hVqv",
		    cli_client_options, &format);
	return format;
}

/* The file's errors as *err, with a count of those left out. */
static enum cli_result
cli_conf_failed(struct config *c, char **err)
{
	const struct conffile	*cf = c->conf;
	size_t			 len = strlen(cf->errors);

	if (cf->nerrors > CONFFILE_MAX_ERRORS)
		xasprintf(err, "%s%s: and %zu more errors\n", cf->errors,
		    cf->file, cf->nerrors - CONFFILE_MAX_ERRORS);
	else
		*err = xstrndup(cf->errors, len);
	return CLI_CONFIG_ERROR;
}

/*
 * Called once the mode word says serve: with --config, the struct config
 * starts again from its defaults, takes the file's settings (the file's
 * for all, and with one server that server's), then the global options
 * before the mode word again; the serve options follow in cli_parse.
 */
static enum cli_result
cli_conf_begin(struct config *c, int argc, char **argv, int mode_at,
    char **err)
{
	struct config	 scratch;
	char		*path;
	size_t		 i, before;
	enum cli_result	 res;

	if ((path = cli_conf_prescan(argc - mode_at, argv + mode_at)) == NULL)
		return CLI_OK;
	config_free(c);
	config_init(c);
	c->mode = CLI_MODE_SERVE;
	c->conf = xcalloc(1, sizeof *c->conf);
	/* A file that is JSON has its settings checked even if its shape
	 * is wrong somewhere: every error in one run. */
	conffile_load(c->conf, path);
	if (json_object_is_type(c->conf->root, json_type_object)) {
		if (c->conf->bridge != NULL)
			cli_conf_object(c, c->conf, "mcpbridge",
			    c->conf->bridge, 0);
		if (c->conf->nservers == 1)
			cli_conf_server(c, c->conf, &c->conf->servers[0]);
		/* Several: each is checked here on its own (cli_conf_end
		 * builds their configs once the command line is read). */
		for (i = 0; c->conf->nservers > 1 && i < c->conf->nservers;
		    i++) {
			before = c->conf->nerrors;
			config_init(&scratch);
			scratch.mode = CLI_MODE_SERVE;
			cli_conf_server(&scratch, c->conf,
			    &c->conf->servers[i]);
			config_free(&scratch);
			if (c->conf->nerrors > before)
				c->conf->servers[i].bad = 1;
		}
	}
	free(path);
	/* Not JSON, or not an object: nothing more to say.  Otherwise the
	 * errors are told once the command line is read (cli_conf_end),
	 * with those only the whole shows. */
	if (!json_object_is_type(c->conf->root, json_type_object))
		return cli_conf_failed(c, err);
	/* The options before the mode word, over the file's. */
	c->mode = CLI_MODE_NONE;
	res = cli_parse_mode(mode_at, argv, c, cli_common_options, err);
	c->mode = CLI_MODE_SERVE;
	return res;
}

/*
 * After the command line (res: how it went, *err its error): with several
 * servers, each one's whole config, built as cli_conf_begin and cli_parse
 * build one: the file's settings for all, the server's own, the command
 * line.  Then what this version cannot serve yet, a remote server, is
 * said (--check only validates).  The file's errors, if any, are what the
 * user reads: a command line that failed for want of what a broken entry
 * would have given says less.
 */
static enum cli_result
cli_conf_end(struct config *c, int argc, char **argv, enum cli_result res,
    char **err)
{
	struct conffile		*cf = c->conf;
	struct config		*sc;
	char			*why = NULL;
	const char		*sep;
	size_t			 i;

	if (res != CLI_OK) {
		if (cf->nerrors == 0)
			return res;
		free(*err);
		*err = NULL;
		return cli_conf_failed(c, err);
	}
	if (cf->nservers > 1) {
		c->servers = xcalloc(cf->nservers, sizeof *c->servers);
		for (i = 0; i < cf->nservers; i++) {
			sc = &c->servers[c->nservers++];
			config_init(sc);
			sc->mode = CLI_MODE_SERVE;
			/* Checked already, in cli_conf_begin. */
			cf->mute++;
			if (cf->bridge != NULL)
				cli_conf_object(sc, cf, "mcpbridge",
				    cf->bridge, 0);
			cli_conf_server(sc, cf, &cf->servers[i]);
			cf->mute--;
			/* What only the whole says: --tls-cert without
			 * --tls-key, --connect with a command, ... */
			if (!cf->servers[i].bad && cli_parse_mode(argc, argv, sc, cli_serve_options,
			    &why) != CLI_OK) {
				conffile_error(cf, cf->servers[i].path, "%s",
				    why);
				free(why);
				why = NULL;
			}
		}
	}
	/* The aggregated /mcp names a tool NAME, the separator, then the
	 * server's own name: a server's name holding the separator would
	 * make such names mean two things. */
	sep = c->serve.tool_separator != NULL ? c->serve.tool_separator :
	    AGG_DEFAULT_SEPARATOR;
	for (i = 0; cf->nservers > 1 && i < cf->nservers; i++)
		if (strstr(cf->servers[i].name, sep) != NULL)
			conffile_error(cf, cf->servers[i].path, "the name "
			    "holds the tool separator '%s' (--tool-separator)",
			    sep);
	if (cf->nerrors > 0)
		return cli_conf_failed(c, err);
	if (c->watch && cf->nservers < 2) {
		/* What a reload can change: several servers. */
		xasprintf(err, "--watch reloads several servers; %s names %zu",
		    cf->file, cf->nservers);
		return CLI_ERROR;
	}
	return CLI_OK;
}

char *
cli_server_fingerprint(const struct config *c, size_t i)
{
	char	*s;

	xasprintf(&s, "%s\n%s", json_object_to_json_string_ext(
	    c->conf->servers[i].entry, JSON_C_TO_STRING_PLAIN),
	    c->conf->bridge != NULL ? json_object_to_json_string_ext(
	    c->conf->bridge, JSON_C_TO_STRING_PLAIN) : "");
	return s;
}

/* Key of a or b (a top-level "mcpbridge" object, or NULL) whose value is
 * not the same in both, an option no server may set: pushed on *v. */
static void
cli_conf_restart_key(char ***v, size_t *n, const char *key, json_object *a,
    json_object *b)
{
	const struct option	*o;
	json_object		*va = NULL, *vb = NULL;
	size_t			 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], key) == 0)
			return;
	for (o = cli_serve_options; o->name != NULL; o++)
		if (strcmp(o->name, key) == 0)
			break;
	/* The bridge's --oauth-scope (the top level's) is its resource
	 * server's, made once; a server's own are applied with the server. */
	if (o->name == NULL || (cli_conf_allowed(o->val, 1) &&
	    o->val != OPT_OAUTH_SCOPE))
		return;
	if (a != NULL)
		json_object_object_get_ex(a, key, &va);
	if (b != NULL)
		json_object_object_get_ex(b, key, &vb);
	if (va != NULL && vb != NULL && json_object_equal(va, vb))
		return;
	cli_push(v, n, key);
}

char **
cli_conf_restart_keys(const struct config *running,
    const struct config *reloaded)
{
	json_object	*a, *b;
	char		**v = NULL;
	size_t		 n = 0;

	a = running->conf != NULL ? running->conf->bridge : NULL;
	b = reloaded->conf != NULL ? reloaded->conf->bridge : NULL;
	if (a != NULL) {
		json_object_object_foreach(a, ka, va) {
			(void)va;
			cli_conf_restart_key(&v, &n, ka, a, b);
		}
	}
	if (b != NULL) {
		json_object_object_foreach(b, kb, vb) {
			(void)vb;
			cli_conf_restart_key(&v, &n, kb, a, b);
		}
	}
	return v;
}

/*
 * 1 if a local server's command would be found as the child is started
 * (execvp): with a '/', that file executable; without, one on the PATH.
 * Unsure (a relative path under a "cwd", a PATH the entry's "env" sets)
 * counts as found: this only warns.
 */
static int
cli_command_found(const struct conffile_server *srv)
{
	const char	*cmd = srv->command[0], *path, *p, *end;
	char		*file;
	char		**e;
	int		 found = 0;

	if (strchr(cmd, '/') != NULL)
		return (cmd[0] != '/' && srv->cwd != NULL) ||
		    access(cmd, X_OK) == 0;
	for (e = srv->env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return 1;
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/bin:/bin";
	for (p = path; !found; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		/* An empty entry is the working directory, as for execvp. */
		if (end > p)
			xasprintf(&file, "%.*s/%s", (int)(end - p), p, cmd);
		else
			xasprintf(&file, "./%s", cmd);
		found = access(file, X_OK) == 0;
		free(file);
		if (*end == '\0')
			break;
	}
	return found;
}

void
cli_check_report(FILE *f, const struct config *c)
{
	const struct conffile_server	*srv;
	size_t				 i;

	/* Not an error: the command may be installed before the start,
	 * or found on the PATH the bridge is started with. */
	for (i = 0; c->conf != NULL && i < c->conf->nservers; i++) {
		srv = &c->conf->servers[i];
		if (srv->command != NULL && !cli_command_found(srv))
			fprintf(stderr, "mcpbridge: warning: %s: %s.command: "
			    "%s\n", c->conf->file, srv->path,
			    strchr(srv->command[0], '/') != NULL ?
			    "not an executable file" :
			    "no executable file of that name on PATH");
	}
	if (c->conf == NULL) {
		fprintf(f, "the command line is valid\n");
		return;
	}
	fprintf(f, "%s is valid: %zu server%s", c->conf->file,
	    c->conf->nservers, c->conf->nservers == 1 ? "" : "s");
	for (i = 0; i < c->conf->nservers; i++)
		fprintf(f, "%s%s", i == 0 ? " (" : ", ",
		    c->conf->servers[i].name);
	fprintf(f, "%s\n", c->conf->nservers > 0 ? ")" : "");
}

enum cli_result
cli_parse(int argc, char **argv, struct config *c, char **err)
{
	enum cli_result	 res;
	int		 i;

	*err = NULL;
	/* Global options may come before the mode word; parsing stops at the
	 * first word that is not an option, which names the mode. */
	c->mode = CLI_MODE_NONE;
	res = cli_parse_mode(argc, argv, c, cli_common_options, err);
	if (res != CLI_OK)
		return res;
	i = optind;
	if (i >= argc) {
		xasprintf(err, "a mode is needed: serve or client");
		return CLI_ERROR;
	}
	if (strcmp(argv[i], "serve") == 0)
		c->mode = CLI_MODE_SERVE;
	else if (strcmp(argv[i], "client") == 0)
		c->mode = CLI_MODE_CLIENT;
	else {
		xasprintf(err, "unknown mode '%s': serve or client", argv[i]);
		return CLI_ERROR;
	}
	if (c->mode == CLI_MODE_SERVE) {
		res = cli_conf_begin(c, argc, argv, i, err);
		if (res != CLI_OK)
			return res;
	}
	res = cli_parse_mode(argc - i, argv + i, c, c->mode == CLI_MODE_SERVE ?
	    cli_serve_options : cli_client_options, err);
	if (c->conf != NULL)
		res = cli_conf_end(c, argc - i, argv + i, res, err);
	else if (res == CLI_OK && c->watch) {
		xasprintf(err, "--watch watches the --config file: give one");
		res = CLI_ERROR;
	}
	if (res == CLI_OK)
		c->log_level = log_level_step(c->log_level, c->log_louder);
	if (res == CLI_OK && cli_otel_read(&c->otel, err) == -1)
		return CLI_ERROR;
	return res;
}

static const char cli_usage_main[] =
"usage: mcpbridge [-qv] [--log-level LEVEL] [--log-format text|json]\n"
"                 [--log-file FILE] MODE ...\n"
"       mcpbridge serve [options] -- COMMAND [ARGS...]\n"
"       mcpbridge serve [options] --connect unix:PATH|tcp:HOST:PORT\n"
"       mcpbridge client [options] URL\n"
"       mcpbridge --help | --version\n"
"\n"
"Modes:\n"
"  serve   run a stdio MCP server (or attach to one on a socket) and serve it\n"
"          over HTTP to many clients: Streamable HTTP on /mcp and the legacy\n"
"          HTTP+SSE transport on /sse and /message, on one port\n"
"  client  speak stdio to a local MCP client and HTTP to a remote MCP server\n"
"\n"
"'mcpbridge serve --help' and 'mcpbridge client --help' list each mode's\n"
"options; mcpbridge(1) explains them all.\n";

/* The --otel-* lines of both modes' usage; who gets the headers differs. */
#define CLI_USAGE_OTEL(who) \
"OpenTelemetry (each option beats its OTEL_* variable):\n" \
"  --otel-endpoint URL      export spans to URL/v1/traces (OTLP/HTTP JSON)\n" \
"  --otel-traces-endpoint URL  export spans to URL, as is\n" \
"  --otel-header NAME=VALUE send with every export; ${VAR} is expanded\n" \
"                           (repeatable)\n" \
"  --otel-service-name NAME service.name (default mcpbridge)\n" \
"  --otel-resource-attributes K=V,...  more resource attributes\n" \
"  --otel-sampler NAME[:ARG]  e.g. parentbased_traceidratio:0.1\n" \
"  --otel-timeout DURATION  for each export (default 10s)\n" \
"  --otel-batch-delay DURATION  longest a span waits (default 5s)\n" \
"  --otel-capture-content   record tool arguments and results in spans\n" \
"  --otel-child-headers     leave OTEL_EXPORTER_OTLP_*HEADERS to " who "\n" \
"  --no-otel                export nothing, whatever OTEL_* says\n"

static const char cli_usage_serve[] =
"usage: mcpbridge serve [options] -- COMMAND [ARGS...]\n"
"       mcpbridge serve [options] --connect unix:PATH|tcp:HOST:PORT\n"
"\n"
"Upstream (the stdio MCP server):\n"
"  --env KEY=VALUE          add to the command's environment (repeatable)\n"
"  --cwd DIR                run the command in DIR\n"
"  --connect ADDR           attach to unix:PATH or tcp:HOST:PORT instead\n"
"  --allow-http             a --config remote server's URL may be plain\n"
"                           http:// to a host other than loopback\n"
"  --max-message-size SIZE  longest line accepted from it (default 16M)\n"
"  --kill-timeout DURATION  grace before SIGTERM, then SIGKILL (default 5s)\n"
"  --restart POLICY         no, on-failure or always (default on-failure)\n"
"\n"
"Sharing:\n"
"  --isolation MODE         shared (one child for all, default) or session\n"
"  --max-children N         with --isolation=session: most children\n"
"                           (default 32; 0: no limit)\n"
"  --children N             run N copies of the shared child, sessions\n"
"                           spread over them (default 1, at most 64)\n"
"  --server-requests POLICY schedule (default), unambiguous or latest\n"
"  --asking-tools NAME[,NAME...]  tools whose calls ask the client: one\n"
"                           session at a time calls them (repeatable)\n"
"  --client-capabilities JSON  capabilities declared to the shared child\n"
"  --init-timeout DURATION  how long clients wait for the child (default 30s)\n"
"  --child-era ERA          legacy (default), auto (probe with server/discover)\n"
"                           or modern: the protocol era the child speaks\n"
"  --probe-timeout DURATION how long the probe waits for an answer (default 2s)\n"
"\n"
"HTTP:\n"
"  --host ADDR              address to listen on (default 127.0.0.1)\n"
"  --port PORT              port (default 8000; 0 picks a free one)\n"
"  --print-url              once listening, print the base URL on stdout,\n"
"                           then each endpoint's name and URL\n"
"  --base-path PATH         prefix for every route (for reverse proxies)\n"
"  --path PATH              Streamable HTTP endpoint (default /mcp)\n"
"  --sse-path PATH          legacy SSE endpoint (default /sse)\n"
"  --message-path PATH      legacy POST endpoint (default /message)\n"
"  --keepalive DURATION     SSE comment interval (default 15s)\n"
"  --max-queue SIZE         output queued per session before it is dropped\n"
"                           (twice --max-message-size: 32M)\n"
"  --max-body SIZE          largest request body (default 4M)\n"
"  --replay-buffer N[,SIZE] events kept per session for resumption (1000,1M)\n"
"\n"
"Who may connect:\n"
"  --allow-host HOST        also accept this Host header (repeatable, or *)\n"
"  --allow-origin ORIGIN    also accept this Origin header (repeatable, or *)\n"
"  --cors ORIGIN            let browser pages from ORIGIN in (repeatable, or *)\n"
"  --auth-token-file FILE   require 'Authorization: Bearer' with a token\n"
"                           from FILE (one a line)\n"
"  --auth-token-env VAR     the same with tokens from VAR (comma-separated)\n"
"  --tls-cert FILE          serve HTTPS with this certificate chain (PEM)\n"
"  --tls-key FILE           and this private key (PEM)\n"
"\n"
"OAuth (a resource server for an authorization server's access tokens):\n"
"  --oauth-issuer URL       trust this issuer's tokens (repeatable)\n"
"  --oauth-resource URL     the audience tokens must name (default on a\n"
"                           loopback --host: http://HOST:PORT/mcp)\n"
"  --oauth-scope S          a scope every request needs (repeatable)\n"
"  --oauth-tool-scope TOOL=S  scopes a tools/call of TOOL needs (repeatable)\n"
"  --oauth-client-id ID     introspect opaque tokens as this client, with\n"
"  --oauth-client-secret-file FILE  its secret from FILE or\n"
"  --oauth-client-secret-env VAR    from VAR\n"
"  --oauth-leeway SECONDS   clock skew allowed on exp, nbf, iat (default 60)\n"
"  --oauth-require-at-jwt   refuse JWTs whose typ is not at+jwt\n"
"  --env-from-claim VAR=CLAIM  with --isolation=session: set VAR in a\n"
"                           session's child to the token's CLAIM (repeatable)\n"
"\n"
"Limits:\n"
"  --max-header-size SIZE   request headers, in all (default 16K): 431\n"
"  --max-headers N          request header lines (default 100): 431\n"
"  --read-timeout DURATION  to receive a request (default 30s): 408\n"
"  --max-sessions N         sessions at once (default 10000, 0: none): 503\n"
"  --rate-limit N           requests a second per token or address (0: none,\n"
"                           the default): 429\n"
"  --max-in-flight N        requests waiting per session (default 100): 429\n"
"  --request-timeout DURATION  for the child's answer (default 5m, 0: none)\n"
"  --session-timeout DURATION  idle sessions end (default 30m, 0: never)\n"
"  --drain-timeout DURATION on SIGTERM, for requests in flight (default 10s)\n"
"  --metrics-listen HOST:PORT  serve /metrics, /healthz and /readyz there\n"
"                           too, without tokens\n"
"  --access-log on|off      one line per HTTP request (default: on at info\n"
"                           level or louder), whatever --log-level says\n"
"  --child-stderr on|off    relay the child's stderr (default: as the\n"
"                           access log)\n"
"  --instance-id NAME       start session ids with NAME and a dot, for a\n"
"                           load balancer to route on (scaling out)\n"
"  --tool-separator SEP     between a server's name and its tools' on the\n"
"                           aggregated /mcp of several (default __)\n"
"  --aggregate-timeout DURATION  for each server's part of a merged list\n"
"                           on the aggregated /mcp (default 5s, 0: none)\n"
"  --trace[=body]           log a line per message (and its body)\n"
"\n"
CLI_USAGE_OTEL("the child")
"\n"
"Common:\n"
"  --log-level LEVEL        error, warn, info (default) or debug\n"
"  -q, --quiet              one level quieter (repeatable)\n"
"  -v, --verbose            one level louder (repeatable)\n"
"  --log-format FORMAT      text (default) or json\n"
"  --log-file FILE          log there, not to stderr (reopened on SIGHUP)\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n";

static const char cli_usage_client[] =
"usage: mcpbridge client [options] URL\n"
"\n"
"Speaks newline-delimited JSON-RPC on stdin/stdout to a local MCP client and\n"
"Streamable HTTP or legacy HTTP+SSE to the remote server at URL.\n"
"\n"
"Client:\n"
"  --transport MODE         auto (default), streamable or sse\n"
"  --era ERA                auto (default: probe with server/discover),\n"
"                           modern (MCP 2026-07-28) or legacy (initialize)\n"
"  --header 'NAME: VALUE'   send with every request; ${VAR} is expanded\n"
"                           from the environment (repeatable)\n"
"  --bearer-token-env VAR   send 'Authorization: Bearer' and VAR's value\n"
"  --cacert FILE            trust the CA certificates in FILE\n"
"  --insecure               do not verify the server's certificate\n"
"  --allow-http             allow plain http:// to hosts other than loopback\n"
"  --connect-timeout DURATION  for each connection (default 10s)\n"
"  --request-timeout DURATION  for each request's answer (default 5m)\n"
"  --max-message-size SIZE  largest message from the server (default 16M)\n"
"  --oneshot                initialize by itself if stdin does not start\n"
"                           with initialize (for scripts)\n"
"  --notifications          --oneshot: notifications on stdout, not the log\n"
"  --protocol-version VERSION  --oneshot: the handshake's (default 2025-11-25)\n"
"  --trace[=body]           log a line per message (and its body)\n"
"\n"
CLI_USAGE_OTEL("programs\n"
"                           mcpbridge starts")
"\n"
"Signing in (OAuth 2.1, when the server answers 401):\n"
"  --no-oauth               answer 401 with an error instead of signing in\n"
"  --oauth-client-id ID     a client registered with the server's operator\n"
"  --oauth-client-secret-env VAR  its secret, from VAR\n"
"  --oauth-client-secret-file FILE  its secret, from FILE\n"
"  --oauth-client-metadata-url URL  a Client ID Metadata Document of yours\n"
"  --oauth-callback-port PORT  for the redirect to 127.0.0.1 (default: free)\n"
"  --oauth-open CMD         run CMD URL to open a browser (no shell; default\n"
"                           xdg-open, else open; none: only print the URL)\n"
"  --oauth-timeout DURATION for the whole sign-in (default 5m)\n"
"  --oauth-store DIR        where tokens are kept (default\n"
"                           $XDG_CONFIG_HOME/mcpbridge)\n"
"\n"
"Common:\n"
"  --log-level LEVEL        error, warn, info (default) or debug\n"
"  -q, --quiet              one level quieter (repeatable)\n"
"  -v, --verbose            one level louder (repeatable)\n"
"  --log-format FORMAT      text (default) or json\n"
"  --log-file FILE          log there, not to stderr (reopened on SIGHUP)\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n";

void
cli_usage(FILE *f, enum cli_mode mode)
{
	switch (mode) {
	case CLI_MODE_SERVE:
		fputs(cli_usage_serve, f);
		break;
	case CLI_MODE_CLIENT:
		fputs(cli_usage_client, f);
		break;
	default:
		fputs(cli_usage_main, f);
		break;
	}
}
