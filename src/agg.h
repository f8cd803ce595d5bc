/* SPDX-License-Identifier: ISC */
/*
 * agg.h: the aggregated endpoint.  With several servers, /mcp (and /sse)
 * serves one session that fans out to one session per server: tools and
 * prompts merged under a NAME<sep> prefix, resources under
 * AGG_URI_SCHEME NAME ":" URIs, calls and reads routed by them, the
 * answers, progress, log lines and the servers' own requests routed back
 * to the one client session they belong to.
 *
 * Like the mux, the aggregator does no I/O.  It is a transport of each
 * server's mux: it opens a MUX_TRANSPORT_STREAMABLE session there (lazily,
 * the first time a request needs that server), whose data is the client
 * session's data, so what the mux hands the caller for it looks like any
 * session's.  The caller hands the mux outs of those sessions to
 * agg_server_out instead of its transport, and drains what the client
 * sessions must get with agg_next, after every call (including the muxes'
 * outs, which agg's calls into a mux queue there).
 *
 * Every json_object passed in is consumed; every agg_out.msg is a
 * reference the caller must put.
 */
#ifndef MCPBRIDGE_AGG_H
#define MCPBRIDGE_AGG_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "mux.h"

struct agg;
struct agg_session;

/* The longest name a merged list shows (a tool's, a prompt's); a longer
 * NAME<sep>tool is cut and ends in '-' and AGG_HASH_HEX hex digits of
 * the SHA-256 of the whole. */
#define AGG_NAME_MAX		64
#define AGG_HASH_HEX		8
#define AGG_DEFAULT_SEPARATOR	"__"
/* A separator is 1 .. this many of [A-Za-z0-9_.-]. */
#define AGG_SEPARATOR_MAX	8
/* Names listed remembered (to route their calls), tools' and prompts'
 * each; beyond, a list leaves a shortened one out with a log line, and
 * another is routed by its prefix alone. */
#define AGG_SHORT_MAX		4096
/* A list's cursor as a client hands it back: at most this long. */
#define AGG_CURSOR_MAX		8192
/* Requests of the servers waiting for a client's answer, per session;
 * beyond, the server gets an error. */
#define AGG_SERVER_REQUESTS_MAX	256

/* How long a merged list (tools/list, ...) waits for a server's part by
 * default (--aggregate-timeout): then the server is left out of it. */
#define AGG_DEFAULT_LIST_TIMEOUT_MS	5000

struct agg_config {
	const char	*separator;	/* NULL: AGG_DEFAULT_SEPARATOR */
	uint64_t	 list_timeout_ms; /* 0: none (a list waits for all) */
	const char	*name;		/* serverInfo.name */
	const char	*version;	/* serverInfo.version */
};

struct agg_out {
	enum mux_out_kind	 kind;	/* MUX_OUT_SESSION, MUX_OUT_SESSION_END */
	struct agg_session	*session;
	void			*data;	/* the session's data */
	uint64_t		 stream;
	int			 final;
	json_object		*msg;	/* NULL for SESSION_END */
};

/* A separator is acceptable (see AGG_SEPARATOR_MAX). */
int		 agg_separator_valid(const char *);
/* Servers named a and b (neither holding sep) can show the same merged
 * name for different tools: one is the other and a start of sep that sep
 * repeats ("a" and "a_" with "__": "a____y" is a's "__y" and a_'s "_y"). */
int		 agg_names_overlap(const char *sep, const char *a,
		    const char *b);

struct agg	*agg_new(const struct agg_config *);
void		 agg_free(struct agg *);
/* Server i (in the order added) is name (borrowed, valid as long as the
 * agg) with its mux (borrowed).  Returns i. */
size_t		 agg_add_server(struct agg *, const char *name, struct mux *);
/* Server i is gone (a reload removed it): left out of lists, its calls
 * refused; the sessions opened there are closed. */
void		 agg_remove_server(struct agg *, size_t i);
int		 agg_next(struct agg *, struct agg_out *);
/* One of the servers' muxes gave out: 1 if it was for one of our
 * sessions there (its msg is consumed), else 0 (untouched). */
int		 agg_server_out(struct agg *, struct mux_out *);
/* Advances the clock (every so often, at most SERVE_TICK_MS apart): a
 * list that waited list_timeout_ms for a server's part is answered
 * without it, with a log line, that server's late answer dropped. */
void		 agg_tick(struct agg *, uint64_t now_ms);
/* Some server is ready. */
int		 agg_ready(const struct agg *);
/* A merged tools/list answer named tool. */
int		 agg_tool_named(const struct agg *, const char *tool);
/* The x-mcp-header annotations of a merged tool name (its server's, see
 * mux_tool_headers; borrowed), or NULL. */
json_object	*agg_tool_headers(const struct agg *, const char *tool);
/*
 * With OAuth, server i's routes need these scopes beside the bridge's
 * (its own "oauth-scope"; copied, replacing what was set): on the
 * aggregated endpoint a request whose token lacks one of them does not
 * see that server in lists, and its calls there are refused (see
 * agg_session_set_grant).
 */
void		 agg_server_scopes(struct agg *, size_t i,
		    const char *const *scopes, size_t n);
/*
 * Which one server msg (a request) goes to: its name (borrowed), and for
 * tools/call the tool's own name there in *tool (a new string; the
 * caller frees it), or NULL: none (a list, a name of no server's).
 * http asks before the request is let in, for the server's scopes and
 * a tool's (--oauth-tool-scope), so that a token lacking them gets 403.
 */
const char	*agg_route(const struct agg *, json_object *msg, char **tool);
/* For OpenTelemetry: the id (borrowed) of the client's request whose
 * part an id of one of our sessions at a server (ms) is, or NULL. */
json_object	*agg_client_id(const struct agg *, const struct mux_session *ms,
		    json_object *id);
/* How many sessions (2026-07-28 requests aside) have a session open at
 * the server named name. */
size_t		 agg_sessions_at(const struct agg *, const char *name);
/* Shutting down: what every client waits for is answered with why. */
void		 agg_fail_all(struct agg *, const char *why);

/* The name a merged list shows for server's name (buf has room for
 * AGG_NAME_MAX + 1). */
void		 agg_name(const char *sep, const char *server,
		    const char *name, char *buf);
/* A resource's URI on the aggregated endpoint: this, the server's name,
 * ':' and the server's own URI (a template the same way). */
#define AGG_URI_SCHEME		"mcpbridge+"
/* The merged URI of server's uri (caller frees). */
char		*agg_uri(const char *server, const char *uri);
/* A list cursor: encoded (caller frees), and decoded into pairs of
 * (server name, that server's cursor): a JSON array of [name, cursor],
 * new reference, or NULL if it is not one of ours. */
char		*agg_cursor_encode(json_object *pairs);
json_object	*agg_cursor_decode(const char *, size_t);

struct agg_session *agg_session_new(struct agg *, enum mux_transport,
		    void *data);
void		*agg_session_data(const struct agg_session *);
void		 agg_session_set_principal(struct agg_session *, uint64_t);
/* The transport has no connection of as open (away), or one again: its
 * servers' sessions are told (mux_session_away). */
void		 agg_session_away(struct agg_session *, int away);
/*
 * The scopes the token of the request about to be received holds (copied,
 * until the next call), or all (a static token, no authentication): a
 * server whose agg_server_scopes are not all held is left out of what that
 * request fans out to, and a call there gets an error.  A session starts
 * with none: only servers that need no scope of their own.
 */
void		 agg_session_set_grant(struct agg_session *,
		    const char *const *scopes, size_t n, int all);
const char	*agg_session_version(const struct agg_session *);
enum mux_recv	 agg_session_recv(struct agg *, struct agg_session *,
		    json_object *msg, uint64_t stream);
/* A 2026-07-28 subscriptions/listen it serves ends gracefully (its
 * result comes as the stream's final); anything else is left alone. */
void		 agg_session_finish(struct agg *, struct agg_session *);
/* The client is gone: the sessions at the servers close (their requests
 * are cancelled there), queued outs are dropped, and s is freed. */
void		 agg_session_close(struct agg *, struct agg_session *);

#endif
