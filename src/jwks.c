/* SPDX-License-Identifier: ISC */
/*
 * jwks.c: one state per trusted issuer: its metadata, its keys, the one
 * fetch in flight and the requests waiting for it.
 *
 * A fetch is discovery (the well-known URLs in asmeta's order, until one
 * answers a document for this issuer) when there is no metadata yet,
 * then the JWK Set.  Waiters are the requests' (rsauth): a request whose
 * client leaves cancels its wait, so a callback never reaches a freed
 * request.  Waiters run after the fetch's callback has settled the
 * state, oldest first; one that waits again joins the next fetch.
 */
#include "config.h"

#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asmeta.h"
#include "clock.h"
#include "jwks.h"
#include "jwt.h"
#include "log.h"
#include "xmalloc.h"

/* A kid in a log line, escaped. */
#define JWKS_LOG_KID_LEN	64

struct jwks_wait {
	TAILQ_ENTRY(jwks_wait)	 entry;
	struct jwks_issuer	*is;
	jwks_wait_cb		 cb;
	void			*arg;
	int			 fire;	/* the ending fetch is its */
};
TAILQ_HEAD(jwks_waits, jwks_wait);

struct jwks_issuer {
	struct jwks		*j;
	char			*issuer;
	struct asmeta		*meta;
	struct jwt_keyset	*keys;
	uint64_t		 fetched_ms;	/* keys arrived */
	uint64_t		 ttl_ms;
	int			 tried;		/* a fetch ever started */
	uint64_t		 tried_ms;	/* the last one did */
	uint64_t		 retry_ms;	/* backoff: none on demand
						   before this */
	int			 backoff_s;
	int			 failing;	/* logged, once per change */
	int			 wrong_issuer;	/* logged at error level */

	struct rsfetch		*fetch;		/* in flight, or NULL */
	int			 wk;		/* discovery: URL index */
	struct jwks_waits	 waits;
	size_t			 nwaits;
};

struct jwks {
	const struct rsfetch_ops *ops;
	void			*ctx;
	jwks_clock		 clock;
	struct jwks_issuer	*is[JWKS_MAX_ISSUERS];
	size_t			 n;
	uint64_t		 fetches[JWKS_FETCH_NRESULTS];
};

static const char *const jwks_fetch_names[JWKS_FETCH_NRESULTS] = {
	[JWKS_FETCH_OK] = "ok",
	[JWKS_FETCH_ERROR] = "error",
	[JWKS_FETCH_REFUSED] = "refused",
};

static void	jwks_discover(struct jwks_issuer *);
static void	jwks_get_keys(struct jwks_issuer *);

const char *
jwks_fetch_result_name(enum jwks_fetch_result r)
{
	if ((unsigned)r >= JWKS_FETCH_NRESULTS)
		return "unknown";
	return jwks_fetch_names[r];
}

uint64_t
jwks_fetches(const struct jwks *j, enum jwks_fetch_result r)
{
	if ((unsigned)r >= JWKS_FETCH_NRESULTS)
		return 0;
	return j->fetches[r];
}

int
jwks_max_age(const char *cc)
{
	const char	*p;
	long long	 v = -1;

	if (cc == NULL)
		return JWKS_TTL_DEFAULT;
	for (p = cc; *p != '\0'; p++) {
		if (p != cc && p[-1] != ',' && p[-1] != ' ' && p[-1] != '\t')
			continue;
		if (strncasecmp(p, "no-store", 8) == 0 ||
		    strncasecmp(p, "no-cache", 8) == 0)
			return JWKS_TTL_MIN;
		if (strncasecmp(p, "max-age=", 8) == 0 &&
		    isdigit((unsigned char)p[8])) {
			v = 0;
			for (p += 8; isdigit((unsigned char)*p); p++)
				if ((v = v * 10 + (*p - '0')) > JWKS_TTL_MAX)
					v = JWKS_TTL_MAX;
			p--;
		}
	}
	if (v < 0)
		return JWKS_TTL_DEFAULT;
	if (v < JWKS_TTL_MIN)
		return JWKS_TTL_MIN;
	return (int)v;
}

struct jwks *
jwks_new(const struct rsfetch_ops *ops, void *ctx, jwks_clock clock)
{
	struct jwks	*j;

	j = xcalloc(1, sizeof *j);
	j->ops = ops;
	j->ctx = ctx;
	j->clock = clock != NULL ? clock : clock_ms;
	return j;
}

void
jwks_free(struct jwks *j)
{
	struct jwks_issuer	*is;
	struct jwks_wait	*w;
	size_t			 i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		is = j->is[i];
		if (is->fetch != NULL)
			j->ops->cancel(is->fetch);
		while ((w = TAILQ_FIRST(&is->waits)) != NULL) {
			TAILQ_REMOVE(&is->waits, w, entry);
			free(w);
		}
		asmeta_free(is->meta);
		jwt_keyset_free(is->keys);
		free(is->issuer);
		free(is);
	}
	free(j);
}

int
jwks_add(struct jwks *j, const char *issuer, const char **cause)
{
	struct jwks_issuer	*is;

	if (asmeta_issuer_check(issuer, cause) == -1)
		return -1;
	if (jwks_find(j, issuer) != NULL) {
		*cause = "issuer given twice";
		return -1;
	}
	if (j->n == JWKS_MAX_ISSUERS) {
		*cause = "too many issuers";
		return -1;
	}
	is = xcalloc(1, sizeof *is);
	is->j = j;
	is->issuer = xstrdup(issuer);
	is->backoff_s = JWKS_BACKOFF_MIN;
	TAILQ_INIT(&is->waits);
	j->is[j->n++] = is;
	return 0;
}

size_t
jwks_count(const struct jwks *j)
{
	return j->n;
}

struct jwks_issuer *
jwks_issuer(const struct jwks *j, size_t i)
{
	return i < j->n ? j->is[i] : NULL;
}

struct jwks_issuer *
jwks_find(const struct jwks *j, const char *iss)
{
	size_t	 i;

	if (iss == NULL)
		return NULL;
	for (i = 0; i < j->n; i++)
		if (strcmp(j->is[i]->issuer, iss) == 0)
			return j->is[i];
	return NULL;
}

const char *
jwks_issuer_name(const struct jwks_issuer *is)
{
	return is->issuer;
}

const struct asmeta *
jwks_meta(const struct jwks_issuer *is)
{
	return is->meta;
}

static int
jwks_has_all(const struct jwks_issuer *is)
{
	return is->keys != NULL || (is->meta != NULL &&
	    is->meta->jwks_uri == NULL);
}

int
jwks_ready(const struct jwks *j)
{
	size_t	 i;

	for (i = 0; i < j->n; i++)
		if (!jwks_has_all(j->is[i]))
			return 0;
	return j->n > 0;
}

/* The fetch is over: run the waiters it had, oldest first.  A waiter's
 * callback may cancel later ones or wait again (joining a new fetch,
 * not marked). */
static void
jwks_finish(struct jwks_issuer *is)
{
	struct jwks_wait	*w;

	is->fetch = NULL;
	TAILQ_FOREACH(w, &is->waits, entry)
		w->fire = 1;
	while ((w = TAILQ_FIRST(&is->waits)) != NULL && w->fire) {
		TAILQ_REMOVE(&is->waits, w, entry);
		is->nwaits--;
		w->cb(w->arg);
		free(w);
	}
}

static void
jwks_failed(struct jwks_issuer *is, enum jwks_fetch_result r,
    const char *what, const char *why)
{
	uint64_t	 now = is->j->clock();

	is->j->fetches[r]++;
	if (!is->failing)
		log_warnx("oauth issuer %s: %s: %s%s", is->issuer, what, why,
		    is->keys != NULL ? " (keeping the keys it had)" : "");
	else
		log_debug("oauth issuer %s: %s: %s", is->issuer, what, why);
	is->failing = 1;
	is->retry_ms = now + (uint64_t)is->backoff_s * 1000;
	is->backoff_s = is->backoff_s * 2 > JWKS_BACKOFF_MAX ?
	    JWKS_BACKOFF_MAX : is->backoff_s * 2;
}

static void
jwks_log_skipped(const struct jwks_issuer *is)
{
	char		 kid[JWKS_LOG_KID_LEN + 1];
	const char	*why, *k;
	size_t		 i, n;

	for (i = 0; i < jwt_keyset_nskipped(is->keys); i++) {
		why = jwt_keyset_skipped(is->keys, i, &k);
		for (n = 0; k != NULL && k[n] != '\0' &&
		    n < JWKS_LOG_KID_LEN; n++)
			kid[n] = isprint((unsigned char)k[n]) ? k[n] : '?';
		kid[n] = '\0';
		log_info("oauth issuer %s: key %s skipped: %s", is->issuer,
		    k != NULL ? kid : "(no kid)", why);
	}
}

static void
jwks_keys_done(const struct rsfetch_response *r, void *arg)
{
	struct jwks_issuer	*is = arg;
	struct jwt_keyset	*ks;
	const char		*cause;
	char			 status[32];

	if (r->failed) {
		jwks_failed(is, JWKS_FETCH_ERROR, "JWK Set fetch failed",
		    r->error);
		goto done;
	}
	if (r->status != 200) {
		snprintf(status, sizeof status, "HTTP status %ld", r->status);
		jwks_failed(is, JWKS_FETCH_ERROR, "JWK Set fetch failed",
		    status);
		goto done;
	}
	if ((ks = jwt_keyset_parse(r->body, r->len, &cause)) == NULL) {
		jwks_failed(is, JWKS_FETCH_REFUSED, "JWK Set refused", cause);
		goto done;
	}
	jwt_keyset_free(is->keys);
	is->keys = ks;
	is->fetched_ms = is->j->clock();
	is->ttl_ms = (uint64_t)jwks_max_age(r->cache_control) * 1000;
	is->backoff_s = JWKS_BACKOFF_MIN;
	is->retry_ms = 0;
	is->j->fetches[JWKS_FETCH_OK]++;
	if (is->failing)
		log_info("oauth issuer %s: keys fetched again", is->issuer);
	is->failing = 0;
	log_debug("oauth issuer %s: %zu keys for %d s", is->issuer,
	    jwt_keyset_count(ks), (int)(is->ttl_ms / 1000));
	jwks_log_skipped(is);
done:
	jwks_finish(is);
}

static void
jwks_meta_done(const struct rsfetch_response *r, void *arg)
{
	struct jwks_issuer	*is = arg;
	struct asmeta		*m;
	const char		*cause = NULL;
	char			*hint;

	is->fetch = NULL;
	if (!r->failed && r->status == 200) {
		m = asmeta_parse(r->body, r->len, is->issuer, &cause);
		if (m != NULL) {
			is->meta = m;
			log_info("oauth issuer %s: metadata found%s%s",
			    is->issuer, m->jwks_uri != NULL ? ", keys at " :
			    "", m->jwks_uri != NULL ? m->jwks_uri : "");
			if (m->jwks_uri == NULL) {
				is->j->fetches[JWKS_FETCH_OK]++;
				is->failing = 0;
				jwks_finish(is);
				return;
			}
			jwks_get_keys(is);
			return;
		}
		/* A document for another issuer ends discovery (RFC 8414
		 * 3.3): no fallback may vouch for it. */
		if (cause == asmeta_cause_issuer) {
			/* A misconfiguration no retry mends: an error, once,
			 * saying what the server calls itself.  Discovery is
			 * still retried (the server may be fixed instead). */
			if (!is->wrong_issuer) {
				hint = asmeta_issuer_hint(r->body, r->len,
				    is->issuer);
				log_error("oauth issuer %s: metadata refused: "
				    "%s; %s; its tokens get 503 and /readyz "
				    "says not ready until this is fixed",
				    is->issuer, cause, hint);
				free(hint);
				is->wrong_issuer = 1;
				is->failing = 1;
			}
			jwks_failed(is, JWKS_FETCH_REFUSED,
			    "metadata refused", cause);
			jwks_finish(is);
			return;
		}
	}
	is->wk++;
	jwks_discover(is);
	if (is->fetch == NULL) {
		if (cause != NULL)
			jwks_failed(is, JWKS_FETCH_REFUSED, "metadata refused",
			    cause);
		else
			jwks_failed(is, JWKS_FETCH_ERROR, "no metadata",
			    r->failed ? r->error : "not found at the "
			    "well-known URLs");
		jwks_finish(is);
	}
}

/* Starts the next discovery request from is->wk on; none left (or none
 * started): is->fetch stays NULL. */
static void
jwks_discover(struct jwks_issuer *is)
{
	struct rsfetch_request	 req;
	char			*url;

	for (; is->wk < ASMETA_NWELLKNOWN; is->wk++) {
		if ((url = asmeta_wellknown_url(is->issuer, is->wk)) == NULL)
			continue;
		memset(&req, 0, sizeof req);
		req.method = "GET";
		req.url = url;
		req.max_len = ASMETA_MAX_LEN;
		is->fetch = is->j->ops->start(is->j->ctx, &req,
		    jwks_meta_done, is);
		free(url);
		if (is->fetch != NULL)
			return;
	}
}

static void
jwks_get_keys(struct jwks_issuer *is)
{
	struct rsfetch_request	 req;

	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = is->meta->jwks_uri;
	req.max_len = JWT_JWKS_MAX_LEN;
	is->fetch = is->j->ops->start(is->j->ctx, &req, jwks_keys_done, is);
	if (is->fetch == NULL) {
		jwks_failed(is, JWKS_FETCH_ERROR, "JWK Set fetch failed",
		    "request not started");
		jwks_finish(is);
	}
}

/* Starts a fetch; 0 if one runs now, -1 if none could start (counted and
 * backed off; no waiter runs: the caller is not in a callback). */
static int
jwks_begin(struct jwks_issuer *is)
{
	struct rsfetch_request	 req;

	if (is->fetch != NULL)
		return 0;
	if (is->meta != NULL && is->meta->jwks_uri == NULL)
		return -1;
	is->tried = 1;
	is->tried_ms = is->j->clock();
	if (is->meta == NULL) {
		is->wk = 0;
		jwks_discover(is);
	} else {
		memset(&req, 0, sizeof req);
		req.method = "GET";
		req.url = is->meta->jwks_uri;
		req.max_len = JWT_JWKS_MAX_LEN;
		is->fetch = is->j->ops->start(is->j->ctx, &req,
		    jwks_keys_done, is);
	}
	if (is->fetch == NULL) {
		jwks_failed(is, JWKS_FETCH_ERROR, "fetch failed",
		    "request not started");
		return -1;
	}
	return 0;
}

void
jwks_start(struct jwks *j)
{
	size_t	 i;

	for (i = 0; i < j->n; i++)
		(void)jwks_begin(j->is[i]);
}

size_t
jwks_key_count(const struct jwks_issuer *is)
{
	return is->keys != NULL ? jwt_keyset_count(is->keys) : 0;
}

const struct jwt_keyset *
jwks_keys(struct jwks_issuer *is)
{
	uint64_t	 now = is->j->clock();

	if (is->keys != NULL && now - is->fetched_ms >= is->ttl_ms +
	    (uint64_t)JWKS_STALE_MAX * 1000) {
		log_warnx("oauth issuer %s: keys dropped, not refreshed for "
		    "%d s past their expiry", is->issuer, JWKS_STALE_MAX);
		jwt_keyset_free(is->keys);
		is->keys = NULL;
	}
	/* Background refresh: the old keys serve meanwhile. */
	if (is->keys != NULL && is->fetch == NULL && now >= is->retry_ms &&
	    now - is->fetched_ms >= is->ttl_ms / 100 * JWKS_REFRESH_PCT)
		(void)jwks_begin(is);
	return is->keys;
}

struct jwks_wait *
jwks_wait(struct jwks_issuer *is, int refresh, jwks_wait_cb cb, void *arg)
{
	struct jwks_wait	*w;
	uint64_t		 now = is->j->clock();

	if (is->nwaits >= JWKS_MAX_WAITERS)
		return NULL;
	if (is->fetch == NULL) {
		if (refresh) {
			if (is->tried && now - is->tried_ms <
			    (uint64_t)JWKS_MIN_REFRESH * 1000)
				return NULL;
		} else if (is->keys != NULL || now < is->retry_ms)
			return NULL;
		if (jwks_begin(is) == -1)
			return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->is = is;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&is->waits, w, entry);
	is->nwaits++;
	return w;
}

int
jwks_refresh_wait(const struct jwks_issuer *is)
{
	uint64_t	 now = is->j->clock(), min, gone;

	min = (uint64_t)JWKS_MIN_REFRESH * 1000;
	if (is->fetch != NULL || !is->tried || (gone = now - is->tried_ms) >=
	    min)
		return 0;
	return (int)((min - gone + 999) / 1000);
}

void
jwks_wait_cancel(struct jwks_wait *w)
{
	if (w == NULL)
		return;
	TAILQ_REMOVE(&w->is->waits, w, entry);
	w->is->nwaits--;
	free(w);
}
