/* SPDX-License-Identifier: ISC */
/*
 * client.h: `mcpbridge client URL`: newline-delimited JSON-RPC on stdin and
 * stdout towards a local MCP client, Streamable HTTP or legacy HTTP+SSE
 * towards the remote server, with reconnection and re-initialization; MCP
 * 2026-07-28 to servers that speak it (client_modern.h translates).
 */
#ifndef MCPBRIDGE_CLIENT_H
#define MCPBRIDGE_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "toolfilter.h"
#include "trace.h"

struct otel_config;

/* How to reach the server. */
enum client_transport {
	CLIENT_TRANSPORT_AUTO = 0,	/* Streamable HTTP, else legacy SSE */
	CLIENT_TRANSPORT_STREAMABLE,
	CLIENT_TRANSPORT_SSE,
};

/* Which protocol era to speak to the server. */
enum client_era_choice {
	CLIENT_ERA_AUTO = 0,		/* probe with server/discover */
	CLIENT_ERA_MODERN,		/* 2026-07-28: per-request _meta */
	CLIENT_ERA_LEGACY,		/* initialize and sessions */
};

/* What client mode is told (cli.c fills it in place from the command line,
 * inside its struct config, which owns the strings, and cli_client_config
 * gives a timeout left 0 its default; the fields are named after the
 * options). */
struct client_config {
	const char		*url;
	enum client_transport	 transport;
	enum client_era_choice	 era;
	char			**headers;	/* "Name: value", unexpanded */
	size_t			 nheaders;
	const char		*bearer_token_env;
	const char		*cacert;
	int			 insecure;
	int			 allow_http;
	uint64_t		 connect_timeout_ms;
	uint64_t		 request_timeout_ms;
	int			 oneshot;
	int			 notifications;	/* --oneshot: on stdout */
	const char		*protocol_version; /* --oneshot's; NULL: the
						   latest legacy one */
	size_t			 max_message_size;
	/* The message trace: --trace, or a line per message at debug level. */
	enum trace_mode		 trace;

	/* OAuth sign-in */
	int			 no_oauth;
	const char		*oauth_client_id;
	const char		*oauth_client_secret_env;
	const char		*oauth_client_secret_file;
	const char		*oauth_client_metadata_url;
	int			 oauth_callback_port; /* 0: a free one */
	const char		*oauth_open;	/* NULL: xdg-open, open */
	uint64_t		 oauth_timeout_ms;
	const char		*oauth_store;	/* NULL: the default */

	/* --allow-tool, --deny-tool: the server's tools the local client
	 * sees and may call */
	struct toolfilter	 tools;

	/* OpenTelemetry (client_trace.c): traces_url NULL is off; the
	 * longest a span waits to be sent (0: the default). */
	const struct otel_config *otel;
	uint64_t		 otel_delay_ms;
	int			 otel_capture_content;
};

/* Runs until stdin ends and every answer is written, or a signal; returns
 * the process exit status (0, or the EXIT_* of the first failure). */
int	client_run(const struct client_config *);

/*
 * Client mode inside another mode (serve's remote servers, remote.h).
 * Its local client is fd, a connected socket carrying newline-delimited
 * JSON-RPC both ways; the loop is base's, run by the caller; no signal is
 * handled, no sign-in offered, and cfg->headers are used as they are (the
 * embedder expanded them: the values may be secrets).  A session that is
 * lost, or a server that cannot be reached, is not mended: the requests
 * outstanding get errors, lost(arg, why) is called once and the client
 * closes (its DELETE sent); done(arg) is called once it has finished.
 * After done, or at the embedder's own end, client_embed_free frees it
 * (never inside one of these callbacks).  The fd stays the embedder's.
 */
struct event_base;
struct client;
struct client_embed {
	struct event_base	*base;
	int			 fd;
	void			(*lost)(void *arg, const char *why);
	void			(*done)(void *arg);
	void			*arg;
};
/* NULL if a setting cannot be used (logged). */
struct client	*client_embed_new(const struct client_config *,
		    const struct client_embed *);
void		 client_embed_free(struct client *);
/* Closes it now, whatever it still carries (its session ended with a
 * DELETE): done follows.  Nothing if it is closing already. */
void		 client_embed_close(struct client *, const char *why);

/* The pure parts, for cli.c and the tests.  On error each returns -1 and
 * sets *err to a one-line reason (the caller frees it). */

/* A Retry-After header's value (delta-seconds or an HTTP-date, which is
 * read against now) as milliseconds to wait, at most max_ms; -1 if it is
 * NULL or unreadable. */
long	client_retry_after(const char *value, time_t now, long max_ms);
/* "Name: value" with a token name and no line breaks. */
int	client_header_check(const char *header, char **err);
/* Expands ${VAR} from the environment; an unset VAR is an error.  The
 * error never contains the value. */
int	client_expand_env(const char *in, char **out, char **err);
/* --protocol-version (NULL: none given) with the options it depends on:
 * a version the bridge speaks, --oneshot, and for 2026-07-28 neither
 * --era legacy nor --transport sse. */
int	client_version_check(const char *version, int oneshot,
	    enum client_era_choice era, enum client_transport transport,
	    char **err);
/* url_check, and for a URL without a scheme, a "did you mean" with one. */
int	client_url_check(const char *url, int allow_http, char **err);
/* What a URL likely meant (the caller frees it), or NULL if nothing is
 * sure enough to say: a URL without a scheme gets one (http:// for this
 * machine, else https://) and /mcp if it has no path; an empty path or
 * "/" gets /mcp, a last segment sse or messages becomes mcp, a trailing
 * slash goes.  No user, password or query in it. */
char	*client_url_suggest(const char *url);
/* The URL as log lines show it: no user, password, query or fragment
 * (the caller frees it). */
char	*client_url_shown(const char *url);

#endif
