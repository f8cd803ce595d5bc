/* SPDX-License-Identifier: ISC */
/*
 * cli.h: the command line.  cli_parse fills a struct config; nothing else
 * reads argv.
 */
#ifndef MCPBRIDGE_CLI_H
#define MCPBRIDGE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_otel.h"
#include "client.h"
#include "conffile.h"
#include "log.h"
#include "serve.h"
#include "trace.h"

enum cli_mode {
	CLI_MODE_NONE = 0,
	CLI_MODE_SERVE,
	CLI_MODE_CLIENT,
};

/* Defaults, each named and documented in mcpbridge.1. */
#define CLI_DEFAULT_HOST		"127.0.0.1"
#define CLI_DEFAULT_PORT		8000
#define CLI_DEFAULT_SSE_PATH		"/sse"
#define CLI_DEFAULT_MESSAGE_PATH	"/message"
#define CLI_DEFAULT_MCP_PATH		"/mcp"
#define CLI_DEFAULT_KEEPALIVE_MS	15000
/* Per session, bytes, without --max-queue: this many answers of
 * --max-message-size, so that one a client has yet to fetch never ends
 * its session by itself. */
#define CLI_DEFAULT_MAX_QUEUE_MESSAGES	2
#define CLI_DEFAULT_MAX_BODY		(4u * 1024 * 1024)
#define CLI_DEFAULT_REPLAY_MESSAGES	1000
#define CLI_DEFAULT_REPLAY_BYTES	(1u * 1024 * 1024)
#define CLI_DEFAULT_CONNECT_TIMEOUT_MS	10000
#define CLI_DEFAULT_REQUEST_TIMEOUT_MS	300000
#define CLI_DEFAULT_OAUTH_TIMEOUT_MS	300000
/* serve: limits */
#define CLI_DEFAULT_MAX_HEADER_SIZE	(16u * 1024)
#define CLI_DEFAULT_MAX_HEADERS		100
#define CLI_DEFAULT_READ_TIMEOUT_MS	30000
#define CLI_DEFAULT_MAX_SESSIONS	10000
#define CLI_DEFAULT_MAX_IN_FLIGHT	100
/* --isolation=session: children at once.  Each is a process, and a client
 * needs no more than an initialize to start one. */
#define CLI_DEFAULT_MAX_CHILDREN	32
#define CLI_DEFAULT_SESSION_TIMEOUT_MS	(30u * 60 * 1000)
#define CLI_DEFAULT_DRAIN_TIMEOUT_MS	10000

struct config {
	enum cli_mode		 mode;
	enum log_level		 log_level;
	enum log_format		 log_format;
	char			*log_file;	/* NULL: stderr */
	int			 log_louder;	/* -v minus -q, applied last */
	/* serve: the access log and the child's stderr, each on (1), off
	 * (0) or, unset (-1), shown when the level is info or louder */
	int			 access_log;
	int			 child_stderr;

	/*
	 * serve mode, filled in place as given (a 0 that means a default
	 * is worked out by cli_serve_config); serve.http is the HTTP side.
	 * Its strings and lists are the config's: config_free frees them.
	 */
	struct serve_config	 serve;
	size_t			 nenv;		/* entries in serve.env */
	/* entries in serve.asking_tools */
	size_t			 nasking_tools;

	/*
	 * client mode, filled in place as given (a timeout left 0 gets its
	 * default from cli_client_config).  Its strings and lists are the
	 * config's: config_free frees them.
	 */
	struct client_config	 client;

	int			 oauth_leeway_set; /* --oauth-leeway given */

	/* both modes */
	enum trace_mode		 trace;		/* --trace[=body] */

	/*
	 * serve --config FILE: the file as read (its servers), NULL without
	 * one.  With one server, the fields above are that server's; with
	 * several, they are the settings for all, and servers[i] is server
	 * i's whole config (the file's settings for all, its own, then the
	 * command line), built as for one.  --check: validate and exit.
	 */
	struct conffile		*conf;
	struct config		*servers;
	size_t			 nservers;
	int			 check;
	int			 watch;		/* --watch: reload on change */
	struct cli_otel		 otel;		/* --otel-* and OTEL_* */
};

enum cli_result {
	CLI_OK = 0,
	CLI_HELP,	/* usage printed on stdout; exit 0 */
	CLI_VERSION,	/* version printed on stdout; exit 0 */
	CLI_ERROR,	/* *err says why; print it with the usage, exit 64 */
	CLI_CONFIG_ERROR, /* *err: the --config file's errors, one a line
			     ("FILE: PATH: what"); print them, exit 78 */
};

void		 config_init(struct config *);
void		 config_free(struct config *);
/* What serve mode takes from a parsed command line: cfg->serve with its
 * defaults worked out.  The strings stay the struct config's, so it must
 * outlive the struct serve_config. */
void		 cli_serve_config(const struct config *, struct serve_config *);
/* The same for client mode: cfg->client, a timeout left 0 with its
 * default; the strings stay the struct config's. */
void		 cli_client_config(const struct config *,
		    struct client_config *);
/* On CLI_ERROR, *err is a one-line reason (caller frees). */
enum cli_result	 cli_parse(int argc, char **argv, struct config *, char **err);
void		 cli_usage(FILE *, enum cli_mode);
/*
 * The --log-format the command line gives (an enum log_format), or -1 if
 * none: read before cli_parse, so that what is said before the log is
 * set up (a usage error, a fatal error while parsing) is in the format
 * asked for, wherever in argv it is.
 */
int		 cli_log_format(int argc, char **argv);
/* Server i of a --config file with several, as text equal for equal
 * settings: its entry and the file's settings for all (the command line
 * is the same in every parse).  Caller frees. */
char		*cli_server_fingerprint(const struct config *, size_t i);
/* A reload's settings of the whole bridge that differ from the running
 * one's: the keys of the file's top-level "mcpbridge" object that set no
 * server's option (those a reload applies, by restarting the servers),
 * NULL-terminated (xfreev), or NULL for none.  running and reloaded are
 * both parses of a --config file. */
char		**cli_conf_restart_keys(const struct config *running,
		    const struct config *reloaded);
/* --check passed: what was checked, on f; on stderr, a warning for each
 * local server whose command is not found (not an error). */
void		 cli_check_report(FILE *f, const struct config *);
/* "16M" -> 16777216; -1 on garbage or overflow. */
int		 cli_parse_size(const char *, size_t *);
/* "5", "5s", "250ms", "2m" -> milliseconds; -1 on garbage. */
int		 cli_parse_duration(const char *, uint64_t *);

#endif
