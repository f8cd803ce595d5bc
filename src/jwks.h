/* SPDX-License-Identifier: ISC */
/*
 * jwks.h: the trusted authorization servers' metadata and JWK Sets,
 * fetched without blocking (rsfetch.h), cached and refreshed.
 *
 * One jwks_issuer per --oauth-issuer.  Its metadata is discovered once
 * (asmeta.h: RFC 8414, then OpenID), then its JWK Set is fetched and
 * kept for the answer's Cache-Control max-age, clamped to
 * JWKS_TTL_MIN .. JWKS_TTL_MAX; refreshed in the background (on the
 * first look after JWKS_REFRESH_PCT of that), and on an unknown kid at
 * most once per JWKS_MIN_REFRESH.  A failed fetch keeps the keys it has
 * (until JWKS_STALE_MAX past their expiry) and retries on demand after a
 * backoff doubling from JWKS_BACKOFF_MIN to JWKS_BACKOFF_MAX.  No timers:
 * every fetch starts from jwks_start or from a request's look or wait,
 * so an idle bridge makes no requests.
 *
 *	ks = jwks_keys(is);		NULL: none (yet): wait or answer 503
 *	w = jwks_wait(is, refresh, cb, arg);	NULL: nothing to wait for
 *	... cb(arg) after the fetch, successful or not: look again
 */
#ifndef MCPBRIDGE_JWKS_H
#define MCPBRIDGE_JWKS_H

#include <stddef.h>
#include <stdint.h>

#include "rsfetch.h"

struct asmeta;
struct jwt_keyset;

/* Key set lifetime without a max-age, and the bounds of a max-age. */
#define JWKS_TTL_DEFAULT	3600
#define JWKS_TTL_MIN		300
#define JWKS_TTL_MAX		86400
/* Refresh in the background after this share of the lifetime. */
#define JWKS_REFRESH_PCT	80
/* Unknown kid: at most one fetch per this many seconds per issuer. */
#define JWKS_MIN_REFRESH	60
/* Keys that cannot be refreshed stay usable this long past expiry. */
#define JWKS_STALE_MAX		86400
/* Backoff after a failed fetch, seconds. */
#define JWKS_BACKOFF_MIN	1
#define JWKS_BACKOFF_MAX	300
/* Requests waiting for one issuer's fetch; past it, 503 at once. */
#define JWKS_MAX_WAITERS	256
/* Issuers (--oauth-issuer). */
#define JWKS_MAX_ISSUERS	16

struct jwks;
struct jwks_issuer;
struct jwks_wait;

/* Milliseconds on a monotonic clock (clock_ms; a test's own). */
typedef uint64_t (*jwks_clock)(void);

/* ops and ctx run every request (rsfetch_curl_ops and a curl_event);
 * clock NULL is clock_ms. */
struct jwks	*jwks_new(const struct rsfetch_ops *, void *ctx, jwks_clock);
/* Cancels every fetch and frees every waiter with no callback: the
 * requests that waited are the caller's to finish. */
void		 jwks_free(struct jwks *);

/* Adds an issuer (asmeta_issuer_check'd by the caller; -1 with *cause if
 * it is not one, is there already or is one too many). */
int		 jwks_add(struct jwks *, const char *issuer, const char **cause);
/* Starts discovery and key fetches for every issuer (at start-up). */
void		 jwks_start(struct jwks *);
size_t		 jwks_count(const struct jwks *);
struct jwks_issuer *jwks_issuer(const struct jwks *, size_t i);
/* The issuer named exactly iss, or NULL. */
struct jwks_issuer *jwks_find(const struct jwks *, const char *iss);
/* 1 when every issuer has what it needs: keys, or metadata with only an
 * introspection endpoint (for /readyz). */
int		 jwks_ready(const struct jwks *);

const char	*jwks_issuer_name(const struct jwks_issuer *);
/* Its metadata, or NULL before discovery succeeded. */
const struct asmeta *jwks_meta(const struct jwks_issuer *);
/* Its keys, or NULL (none yet, none usable, or stale past
 * JWKS_STALE_MAX).  May start a background refresh; the set stays valid
 * until the caller returns to the loop. */
const struct jwt_keyset *jwks_keys(struct jwks_issuer *);

/* Keys cached now, stale ones included, without starting a fetch (the
 * /metrics gauge). */
size_t		 jwks_key_count(const struct jwks_issuer *);

typedef void (*jwks_wait_cb)(void *arg);
/*
 * Waits for the issuer's next fetch to end.  refresh: the caller's token
 * names an unknown kid, so a fetch starts unless one ran less than
 * JWKS_MIN_REFRESH ago.  Without refresh a fetch starts only if there are
 * no keys and no backoff holds.  NULL when there is no fetch to wait for
 * or JWKS_MAX_WAITERS wait already.  cb runs once, after the fetch, from
 * the loop; the handle is gone then.
 */
struct jwks_wait *jwks_wait(struct jwks_issuer *, int refresh,
		    jwks_wait_cb, void *arg);
/* Seconds until jwks_wait(is, 1, ...) may start a refresh: 0 when it
 * may now or one is running, else at most JWKS_MIN_REFRESH (rounded up):
 * a token with an unknown kid gets 503 with this Retry-After meanwhile,
 * since the key may be a rotated one published since the last fetch. */
int		 jwks_refresh_wait(const struct jwks_issuer *);
/* Stops waiting, no callback (the request's client left). */
void		 jwks_wait_cancel(struct jwks_wait *);

/* Fetch outcomes since start, for /metrics. */
enum jwks_fetch_result {
	JWKS_FETCH_OK = 0,
	JWKS_FETCH_ERROR,	/* network, status, no metadata */
	JWKS_FETCH_REFUSED,	/* answered, but the document refused */
	JWKS_FETCH_NRESULTS
};
const char	*jwks_fetch_result_name(enum jwks_fetch_result);
uint64_t	 jwks_fetches(const struct jwks *, enum jwks_fetch_result);

/* max-age of a Cache-Control value clamped as above; JWKS_TTL_DEFAULT
 * if it has none (or no-cache, no-store). */
int		 jwks_max_age(const char *cache_control);

#endif
