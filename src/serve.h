/* SPDX-License-Identifier: ISC */
/*
 * serve.h: `mcpbridge serve`: wires the upstream, the multiplexer and the
 * HTTP side to one event loop and owns signals and timers.
 */
#ifndef MCPBRIDGE_SERVE_H
#define MCPBRIDGE_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "mux.h"
#include "toolfilter.h"
#include "otel.h"
#include "trace.h"
#include "upstream.h"

struct client_config;

/* What serve mode is told (cli.c fills it from the command line; the
 * fields are named after the options). */
struct serve_config {
	/* the upstream */
	char			**command;	/* NULL-terminated; NULL with connect */
	/* A remote server (serve --config's "url"), reached through client
	 * mode's code (remote.h); NULL for a command or --connect.  Its
	 * strings are the config's. */
	const struct client_config *remote;
	char			**env;		/* NULL-terminated KEY=VALUE list */
	/* --env-from-claim "VAR=CLAIM" (checked), NULL-terminated, for a
	 * session's own child: envclaim.h */
	char			**env_from_claim;
	size_t			 nenv_from_claim;
	const char		*cwd;
	const char		*connect;
	size_t			 max_message_size;
	int			 kill_timeout_ms;
	enum upstream_restart	 restart;
	/* The message trace: --trace, or a line per message at debug level. */
	enum trace_mode		 trace;

	/* the multiplexer */
	enum mux_isolation	 isolation;
	enum mux_server_requests server_requests;
	char			**asking_tools;	/* NULL-terminated, or NULL */
	size_t			 max_children;
	/* --children: copies of the shared child, 1 .. MUX_CHILDREN_MAX */
	size_t			 children;
	const char		*client_capabilities;	/* JSON text or NULL */
	uint64_t		 init_timeout_ms;
	enum mux_child_era	 child_era;
	uint64_t		 probe_timeout_ms;
	uint64_t		 serve_request_timeout_ms; /* 0: none */
	const char		*instance_id;	/* session id prefix, or NULL */
	/* --tool-separator: the aggregated /mcp's, NULL: the default */
	const char		*tool_separator;
	/* --aggregate-timeout: a merged list's wait for each server's
	 * part (agg_tick); 0: none */
	uint64_t		 aggregate_timeout_ms;
	/* --watch: this --config file, reloaded when it changes (several
	 * servers); NULL: not watched */
	const char		*watch;
	/* --allow-tool, --deny-tool: the child's tools clients see and may
	 * call */
	struct toolfilter	 tools;

	/* the OAuth resource server (--oauth-*); none without issuers */
	char			**oauth_issuers;	/* NULL-terminated */
	size_t			 noauth_issuers;
	const char		*oauth_resource;	/* NULL: the default */
	char			**oauth_scopes;
	size_t			 noauth_scopes;
	char			**oauth_tool_scopes;	/* "TOOL=S [S...]" */
	size_t			 noauth_tool_scopes;
	const char		*oauth_client_id;
	const char		*oauth_client_secret_file;
	const char		*oauth_client_secret_env;
	int			 oauth_leeway;		/* seconds */
	int			 oauth_require_at_jwt;

	/* the HTTP side; serve_run hands it to http_new */
	struct http_config	 http;
	uint64_t		 drain_timeout_ms;

	/* OpenTelemetry (serve_trace.c): traces_url NULL is off.  The
	 * longest a span waits to be sent (0: the default) and
	 * --otel-capture-content. */
	const struct otel_config *otel;
	uint64_t		 otel_delay_ms;
	int			 otel_capture_content;
};

/* One of several servers (serve --config): its name and its config. */
struct serve_named {
	const char		*name;
	struct serve_config	 cfg;
	/* Equal for equal settings: a reload restarts a server whose
	 * fingerprint changed (cli_server_fingerprint). */
	const char		*fingerprint;
};

/* SIGHUP with several servers: the servers the file names now, in
 * *named (the callee's, valid until the process ends) and *n; 0, or -1
 * when the file cannot be served (the callee logged why). */
typedef int	(*serve_reload_cb)(void *arg, const struct serve_named **named,
		    size_t *n);

/* Runs until stopped by a signal (or the upstream is gone for good);
 * returns the process exit status. */
int	serve_run(const struct serve_config *);
/* The same with n named servers, each on /servers/NAME/ (cfg: the HTTP
 * side, the drain, the trace); one gone for good leaves the others
 * running.  With several, SIGHUP calls reload (if not NULL) and applies
 * the difference. */
int	serve_run_servers(const struct serve_config *cfg,
	    const struct serve_named *, size_t n, serve_reload_cb,
	    void *reload_arg);

#endif
