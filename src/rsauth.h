/* SPDX-License-Identifier: ISC */
/*
 * rsauth.h: who sent a request to `mcpbridge serve`, decided from its
 * Authorization header: a static token (auth.h) first, then an OAuth
 * access token, a JWT (jwt.h, keys from jwks.h) or an opaque one
 * (introspect.h), then the scopes the request needs.  The answer is at
 * once or, when keys or an introspection must be fetched first, through
 * a callback; a request whose client leaves cancels it.
 *
 *	st = rsauth_check(ra, authz, tool_scopes, n, &res, cb, arg, &req);
 *	RSAUTH_PENDING: keep req; cb(&res, arg) comes later, unless
 *	    rsauth_cancel(req) (from the connection's close function)
 *	else: answer from res (status, www_authenticate, principal, claims)
 *
 * The token is never copied into a log line, a cause or a header: the
 * WWW-Authenticate descriptions are static texts per outcome.
 */
#ifndef MCPBRIDGE_RSAUTH_H
#define MCPBRIDGE_RSAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

struct auth;
struct introspect;
struct jwks;

/* Retry-After of a 503 (no keys, introspection failing), seconds. */
#define RSAUTH_RETRY_AFTER	10
/* Scopes one request may need: configured ones plus a tool's. */
#define RSAUTH_MAX_SCOPES	64
#define RSAUTH_MAX_SCOPES_S	"64"	/* the same, in messages */

enum rsauth_status {
	RSAUTH_OK = 0,		/* serve it */
	RSAUTH_UNAUTHORIZED,	/* 401 + WWW-Authenticate */
	RSAUTH_FORBIDDEN,	/* 403 insufficient_scope + WWW-Authenticate */
	RSAUTH_UNAVAILABLE,	/* 503 + Retry-After: keys or introspection
				   unavailable; the token may be fine */
	RSAUTH_PENDING,		/* the callback tells */
};

/* Every decision counts once under one outcome (/metrics); the JWT
 * ones are jwt_result's. */
enum rsauth_outcome {
	RSAUTH_O_OK = 0,		/* an OAuth token, scopes held */
	RSAUTH_O_STATIC,		/* a static token */
	RSAUTH_O_NO_TOKEN,		/* no Bearer credentials */
	RSAUTH_O_INVALID,		/* no static token matched and no
					   OAuth configured */
	RSAUTH_O_MALFORMED,
	RSAUTH_O_ALG_REFUSED,
	RSAUTH_O_TYPE_REFUSED,
	RSAUTH_O_UNKNOWN_KID,		/* after the one refresh */
	RSAUTH_O_KEY_UNUSABLE,
	RSAUTH_O_BAD_SIGNATURE,
	RSAUTH_O_BAD_ISSUER,		/* incl. an issuer not configured */
	RSAUTH_O_BAD_AUDIENCE,
	RSAUTH_O_EXPIRED,
	RSAUTH_O_NOT_YET_VALID,
	RSAUTH_O_BAD_CLAIMS,
	RSAUTH_O_INSUFFICIENT_SCOPE,
	RSAUTH_O_INACTIVE,		/* introspection: active false */
	RSAUTH_O_INTROSPECTION_ERROR,	/* 503 */
	RSAUTH_O_KEYS_UNAVAILABLE,	/* 503 */
	RSAUTH_O_NOUTCOMES
};
/* "ok", "static", "no_token", "expired" ...: a metrics label. */
const char	*rsauth_outcome_name(enum rsauth_outcome);

struct rsauth_config {
	const struct auth	*tokens;	/* static tokens, or NULL */
	struct jwks		*jwks;		/* NULL: no OAuth */
	struct introspect	*introspect;	/* NULL: opaque tokens are
						   refused */
	const char		*resource;	/* the audience */
	int			 leeway;
	int			 require_at_jwt;
	const char *const	*scopes;	/* every request needs them */
	size_t			 nscopes;
	const char		*metadata_url;	/* for resource_metadata=;
						   NULL: left out */
	int64_t			(*now)(void);	/* wall seconds; NULL: time */
};

struct rsauth_result {
	enum rsauth_status	 status;	/* never PENDING in a callback */
	enum rsauth_outcome	 outcome;
	int			 static_index;	/* a static token's, or -1 */
	uint64_t		 principal;	/* the session owner: index + 1
						   for a static token,
						   principal_id for OAuth */
	struct jwt_claims	 claims;	/* OAuth OK only */
	char			*www_authenticate; /* 401, 403 */
	int			 retry_after;	/* 503 */
};
/* Frees what a result holds and zeroes it. */
void		 rsauth_result_free(struct rsauth_result *);

struct rsauth;
struct rsauth_req;
typedef void (*rsauth_cb)(struct rsauth_result *, void *arg);

/* Copies what it keeps (scopes, resource, URL); NULL and *cause if the
 * configuration is unusable (a scope that is no scope-token, too many). */
struct rsauth	*rsauth_new(const struct rsauth_config *, const char **cause);
/* Every pending request is dropped with no callback: free the owners of
 * requests first, or accept that they hear nothing. */
void		 rsauth_free(struct rsauth *);

/*
 * Decides for one request.  authorization is the header's value (NULL if
 * absent); scopes are the request's own needs beyond the configured ones
 * (a tool's, or none); more than RSAUTH_MAX_SCOPES of them can never be
 * granted (403 insufficient_scope: callers refuse such requests first).  Fills *res and returns its status, or returns
 * RSAUTH_PENDING with *req set, and cb(res, arg) runs later from the
 * loop with a result the callee owns until rsauth_result_free.
 */
enum rsauth_status rsauth_check(struct rsauth *, const char *authorization,
		    const char *const *scopes, size_t nscopes,
		    struct rsauth_result *res, rsauth_cb cb, void *arg,
		    struct rsauth_req **req);
/* The request's client left: no callback.  NULL is fine. */
void		 rsauth_cancel(struct rsauth_req *);

uint64_t	 rsauth_count(const struct rsauth *, enum rsauth_outcome);

#endif
