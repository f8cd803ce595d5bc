/* SPDX-License-Identifier: ISC */
/*
 * introspect.h: opaque access tokens checked at the issuer's
 * introspection endpoint (RFC 7662), without blocking (rsfetch.h), with
 * the answers cached.
 *
 * The bridge authenticates with its client credentials
 * (client_secret_basic or client_secret_post, as the metadata says).  An
 * active answer must name the configured issuer (when it names one),
 * hold the resource in aud, carry a sub, and be inside exp/nbf with the
 * leeway; its claims then are what a JWT's would be (jwt.h's struct
 * jwt_claims).  Answers are cached under the SHA-256 of the token (the
 * token itself is never stored, logged or compared by a key that could
 * leak it): active ones until min(exp, now + ttl), others for
 * INTROSPECT_NEG_TTL.  Requests with one token share one introspection.
 * An error (network, status, nonsense) is never cached and never a 401:
 * the caller answers 503.
 */
#ifndef MCPBRIDGE_INTROSPECT_H
#define MCPBRIDGE_INTROSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "asmeta.h"
#include "jwt.h"
#include "rsfetch.h"

/* An introspection answer: longer is an error. */
#define INTROSPECT_MAX_LEN		(64 * 1024)
/* Positive answers: the default and the most --oauth-introspection-ttl. */
#define INTROSPECT_TTL_DEFAULT		60
#define INTROSPECT_TTL_MAX		3600
/* Inactive or refused answers. */
#define INTROSPECT_NEG_TTL		10
/* Cached answers; the oldest goes first. */
#define INTROSPECT_MAX_ENTRIES		10000
/* Requests waiting for one token's answer. */
#define INTROSPECT_MAX_WAITERS		256
/* A client id or secret. */
#define INTROSPECT_MAX_CREDENTIAL_LEN	1024

struct jwks_issuer;

struct introspect_config {
	const char	*issuer;	/* whose endpoint it is */
	const char	*endpoint;	/* and how to authenticate there; */
	enum asmeta_auth auth;
	struct jwks_issuer *from;	/* or, with endpoint NULL, both from
					   this issuer's metadata when a
					   token is checked (jwks.h; none
					   discovered yet: an error, 503) */
	const char	*client_id;	/* copied */
	const char	*client_secret;	/* copied; zeroed when freed */
	const char	*resource;	/* aud must hold it */
	int		 leeway;	/* 0 .. JWT_LEEWAY_MAX */
	int		 ttl;		/* 0: INTROSPECT_TTL_DEFAULT */
};

enum introspect_result {
	INTROSPECT_ACTIVE = 0,
	INTROSPECT_INACTIVE,	/* active: false */
	INTROSPECT_REFUSED,	/* active, but a claim check failed
				   (jwt_result says which) */
	INTROSPECT_ERROR,	/* no usable answer: 503 */
	INTROSPECT_PENDING,	/* asked; the callback tells */
	INTROSPECT_NRESULTS
};
const char	*introspect_result_name(enum introspect_result);

/* What a check ends with.  claims are the receiver's (jwt_claims_free),
 * filled on INTROSPECT_ACTIVE only; cause is static, no token in it. */
struct introspect_answer {
	enum introspect_result	 result;
	enum jwt_result		 jwt;	/* JWT_OK, or why REFUSED */
	const char		*cause;
	struct jwt_claims	 claims;
};

/* Wall-clock seconds (time(); a test's own). */
typedef int64_t (*introspect_clock)(void);

struct introspect;
struct introspect_wait;
typedef void (*introspect_cb)(struct introspect_answer *, void *arg);

/* NULL and *cause if the configuration is unusable. */
struct introspect *introspect_new(const struct introspect_config *,
		    const struct rsfetch_ops *, void *ctx, introspect_clock,
		    const char **cause);
/* Cancels every introspection; waiters get no callback. */
void		 introspect_free(struct introspect *);

/*
 * Checks a token of len bytes: a cached answer at once (into *ans), or
 * INTROSPECT_PENDING with *wait set: cb runs once, later, with the
 * answer, unless introspect_cancel(*wait) runs first.  INTROSPECT_ERROR
 * at once when the request cannot start or too many wait.
 */
enum introspect_result introspect_check(struct introspect *,
		    const char *token, size_t len, struct introspect_answer *ans,
		    introspect_cb, void *arg, struct introspect_wait **wait);
void		 introspect_cancel(struct introspect_wait *);

/* Answers since start by result (ACTIVE, INACTIVE, REFUSED, ERROR), and
 * entries cached now. */
uint64_t	 introspect_count(const struct introspect *,
		    enum introspect_result);
size_t		 introspect_cached(const struct introspect *);

#endif
