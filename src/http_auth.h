/* SPDX-License-Identifier: ISC */
/*
 * http_auth.h: what the HTTP side of `mcpbridge serve` needs of the OAuth
 * resource server beyond rsauth.h's decision: the scopes a request's
 * tool calls need (--oauth-tool-scope) and the OAuth lines of /metrics.
 * serve.c builds the parts (rsauth, jwks, introspect, the RFC 9728
 * document) and hands them over in a struct http_oauth; http.c asks here.
 */
#ifndef MCPBRIDGE_HTTP_AUTH_H
#define MCPBRIDGE_HTTP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct evbuffer;
struct introspect;
struct jwks;
struct rsauth;

/* What serve.c built; the pointers stay serve.c's, and must outlive the
 * struct http_auth. */
struct http_oauth {
	struct rsauth		*rsauth;
	struct jwks		*jwks;
	struct introspect	*introspect;	/* NULL: no introspection */
	const char		*document;	/* RFC 9728, JSON */
	const char		*metadata_path;	/* the path-suffixed form */
	char *const		*tool_scopes;	/* "TOOL=S [S...]" */
	size_t			 ntool_scopes;
	/* Several servers: TOOL may also be a tool's name on the
	 * aggregated endpoint, NAME<this>tool (NULL: the default), meaning
	 * server NAME's tool only, on every route */
	const char		*tool_separator;
};

struct http_auth;

/* Copies the tool scopes (cli.c checked them). */
struct http_auth *http_auth_new(const struct http_oauth *);
void		 http_auth_free(struct http_auth *);
const struct http_oauth *http_auth_oauth(const struct http_auth *);

/* Tools with scopes of their own: none, and no body need be read. */
size_t		 http_auth_ntools(const struct http_auth *);
/*
 * The scopes msg's tool calls need (a message or a batch: the union),
 * at most max, into out (pointers into the struct http_auth), and their
 * number; max + 1 when the union has more than max (the first max in
 * out): the caller refuses such a request, it never checks part of its
 * needs.  Messages other than tools/call need none.
 */
size_t		 http_auth_scopes(const struct http_auth *, json_object *msg,
		    const char **out, size_t max);
/* The same on server's route (NULL: the one server's): a TOOL that is
 * server<sep>tool applies there too. */
size_t		 http_auth_scopes_on(const struct http_auth *,
		    const char *server, json_object *msg, const char **out,
		    size_t max);

/* The same for one tool's own name at server (NULL: the one server's;
 * an endpoint resolved it): its scopes added to out[*n], each once; *n
 * becomes max + 1 past max. */
void		 http_auth_tool_scopes(const struct http_auth *,
		    const char *server, const char *tool, const char **out,
		    size_t max, size_t *n);

/* The OAuth counters and gauges, Prometheus text; static_ok: requests a
 * static token let in (the HTTP side checks those itself). */
void		 http_auth_metrics(const struct http_auth *, struct evbuffer *,
		    uint64_t static_ok);

#endif
