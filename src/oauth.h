/* SPDX-License-Identifier: ISC */
/*
 * oauth.h: OAuth 2.1 sign-in for client mode, as the MCP authorization
 * specification (2025-03-26 to 2026-07-28) asks of a client: a 401 or a
 * 403 insufficient_scope challenge starts protected resource metadata
 * discovery (RFC 9728), authorization server metadata discovery (RFC 8414,
 * OpenID Connect Discovery), a client identity (pre-registered, a Client
 * ID Metadata Document, or Dynamic Client Registration, RFC 7591), and the
 * authorization code flow with PKCE (S256), the resource parameter (RFC
 * 8707) and iss checking (RFC 9207), the redirect coming back to a
 * listener on 127.0.0.1.  Refresh tokens are used and rotated; tokens are
 * kept in an oauth_store.
 *
 * The token goes only to the server's origin, only in the Authorization
 * header, and never into a log.
 */
#ifndef MCPBRIDGE_OAUTH_H
#define MCPBRIDGE_OAUTH_H

#include <json-c/json.h>

struct curl_event;
struct curl_slist;
struct event_base;
struct oauth;

struct oauth_config {
	const char	*server_url;
	const char	*client_id;		/* pre-registered, or NULL */
	const char	*client_secret;		/* its secret, or NULL */
	const char	*client_metadata_url;	/* CIMD client_id, or NULL */
	int		 callback_port;		/* 0: a free one */
	const char	*open_cmd;		/* NULL: xdg-open, else open;
						 * "none": only print the URL */
	long		 timeout_ms;		/* for a whole sign-in */
	const char	*store_dir;		/* NULL: the default */
	int		 allow_http;		/* http: beyond loopback */
};

/* Called when a sign-in (or refresh) started by oauth_challenge ends:
 * error is NULL on success (send again what waited), else why it failed. */
typedef void (*oauth_done_cb)(void *arg, const char *error);

/* Loads what the store holds for the server, if anything.  Never NULL: a
 * store that cannot be used is logged, and tokens then live in memory. */
struct oauth	*oauth_new(struct event_base *, struct curl_event *,
		    const struct oauth_config *, oauth_done_cb, void *arg);
void		 oauth_free(struct oauth *);

/* Adds "Authorization: Bearer" to a request for url when there is a token
 * and url is on the server's origin. */
struct curl_slist *oauth_header(struct oauth *, struct curl_slist *,
		    const char *url);
/* Changes whenever the token does: a request remembers the generation it
 * was sent with. */
unsigned	 oauth_generation(const struct oauth *);
/* 1 while a sign-in or refresh runs: requests wait. */
int		 oauth_busy(const struct oauth *);
/* Before sending: 1 if the token expires within OAUTH_REFRESH_AHEAD_S (or
 * half its lifetime, if shorter) and has a refresh token, and a refresh
 * has started: requests wait until the callback, which always reports
 * success (if the refresh fails, the token in use goes on until it is
 * refused, and this is not tried again for it).  0: send now. */
int		 oauth_refresh_ahead(struct oauth *);
/* The server answered status (401, or 403) with this WWW-Authenticate
 * (NULL if none) to a request sent with generation gen.  1: send it again
 * once oauth_busy() is 0 (a sign-in has started, is running, or ended
 * since the request left); 0: nothing to do, the answer stands.  The
 * callback never runs inside this call. */
int		 oauth_challenge(struct oauth *, long status,
		    const char *www_authenticate, unsigned gen);

/* The pre-registered client's secret: the value of the environment
 * variable env, or the first line of file (both may be NULL: *secret is
 * then NULL).  -1 with *err (caller frees) if it cannot be had. */
int		 oauth_load_secret(const char *env, const char *file,
		    char **secret, char **err);

/* ---- the pure parts, for the tests ---- */

/* The Bearer challenge of a WWW-Authenticate value. */
struct oauth_bearer {
	char	*resource_metadata;
	char	*scope;
	char	*error;
};
/* 0 and *b filled if the value has a Bearer challenge; -1 if not. */
int		 oauth_parse_bearer(const char *, struct oauth_bearer *);
void		 oauth_bearer_clear(struct oauth_bearer *);

/* Discovery's URLs (oauth_discovery.c).  NULL-terminated lists of URLs
 * (free with xfreev), or NULL if the URL cannot be used.
 * Protected resource metadata: the path-based well-known URI (when the
 * server URL has a path), then the root one.  Authorization server
 * metadata for an issuer: RFC 8414 with path insertion, OpenID Connect
 * with path insertion, OpenID Connect with path appending; without a
 * path, RFC 8414 and OpenID Connect. */
char		**oauth_discovery_prm_urls(const char *server_url);
char		**oauth_discovery_as_urls(const char *issuer);
/* scheme://host[:port] of a URL, or NULL. */
char		*oauth_discovery_origin(const char *url);
/* The canonical URI of the server (RFC 8707): the URL without fragment,
 * scheme and host in lower case. */
char		*oauth_discovery_canonical_resource(const char *url);
/* 1 if a protected resource's identifier may stand for the server at
 * url: the same origin, and its path the server's path or a parent of it. */
int		 oauth_discovery_resource_matches(const char *url,
		    const char *resource);
/* 1 if the authorization server metadata meta (may be NULL) says key
 * (a boolean member of RFC 8414 or the MCP authorization spec) is true;
 * a member that is not a JSON boolean ("false", 1) counts as absent. */
int		 oauth_discovery_flag(json_object *meta, const char *key);
/* The scope to ask for: the challenge's, else the metadata's
 * scopes_supported (a JSON array, or NULL), else none (NULL); with the
 * scope asked for before (step-up) and offline_access when the
 * authorization server lists it (as_scopes), if there is a scope at all.
 * Duplicates are dropped.  Caller frees. */
char		*oauth_choose_scope(const char *challenge,
		    json_object *prm_scopes, json_object *as_scopes,
		    const char *previous);
/* application/x-www-form-urlencoded form of a string.  Caller frees. */
char		*oauth_form_escape(const char *);
/* --oauth-open CMD split into words at blanks, no quoting and no shell:
 * a NULL-terminated vector, NULL if CMD has no word. */
char		**oauth_split_command(const char *);

#endif
