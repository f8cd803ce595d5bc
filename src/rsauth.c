/* SPDX-License-Identifier: ISC */
/*
 * rsauth.c: one request's Authorization header to a decision.
 *
 * The order is fixed: static tokens (constant time, auth.c), then the
 * token's form: three dot-separated parts is a JWT, verified with the
 * keys of the issuer it names (never another's: jwt.h); anything else is
 * opaque and goes to introspection.  A JWT waits at most twice: for keys
 * when the issuer has none yet, and once for a refresh when it names an
 * unknown kid (no refresh allowed yet: 503 with the seconds until one
 * is, since the kid may be a key rotated in since the last fetch).
 * Scopes come last, so a 403 means a genuine token.
 *
 * A pending request is the caller's: rsauth keeps it in a list only to
 * drop it in rsauth_free, and its waits (jwks, introspect) are cancelled
 * with it.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "asmeta.h"
#include "introspect.h"
#include "jwks.h"
#include "jwt.h"
#include "log.h"
#include "principal.h"
#include "rsauth.h"
#include "rsmeta.h"
#include "xmalloc.h"

struct rsauth_req {
	TAILQ_ENTRY(rsauth_req)	 entry;
	struct rsauth		*ra;
	struct jwt		*token;		/* a JWT's, parsed */
	struct jwks_issuer	*is;
	int			 refreshed;	/* the unknown-kid wait ran */
	struct jwks_wait	*jw;
	struct introspect_wait	*iw;
	char			*scopes[RSAUTH_MAX_SCOPES]; /* the request's */
	size_t			 nscopes;
	rsauth_cb		 cb;
	void			*arg;
};
TAILQ_HEAD(rsauth_reqs, rsauth_req);

struct rsauth {
	const struct auth	*tokens;
	struct jwks		*jwks;
	struct introspect	*introspect;
	char			*resource;
	int			 leeway;
	int			 require_at_jwt;
	char			*scopes[RSAUTH_MAX_SCOPES];
	size_t			 nscopes;
	char			*metadata_url;
	int64_t			(*now)(void);
	struct rsauth_reqs	 reqs;
	uint64_t		 counts[RSAUTH_O_NOUTCOMES];
};

static const struct {
	const char	*name;
	const char	*description;	/* error_description of a 401 */
} rsauth_outcomes[RSAUTH_O_NOUTCOMES] = {
	[RSAUTH_O_OK] = { "ok", NULL },
	[RSAUTH_O_STATIC] = { "static", NULL },
	[RSAUTH_O_NO_TOKEN] = { "no_token", NULL },
	[RSAUTH_O_INVALID] = { "invalid", "unknown token" },
	[RSAUTH_O_MALFORMED] = { "malformed", "malformed token" },
	[RSAUTH_O_ALG_REFUSED] = { "alg_refused",
	    "signature algorithm refused" },
	[RSAUTH_O_TYPE_REFUSED] = { "typ_refused", "not an access token" },
	[RSAUTH_O_UNKNOWN_KID] = { "unknown_kid", "unknown signing key" },
	[RSAUTH_O_KEY_UNUSABLE] = { "key_unusable", "unusable signing key" },
	[RSAUTH_O_BAD_SIGNATURE] = { "bad_signature", "bad signature" },
	[RSAUTH_O_BAD_ISSUER] = { "bad_issuer", "issuer not trusted" },
	[RSAUTH_O_BAD_AUDIENCE] = { "bad_audience",
	    "token is not for this resource" },
	[RSAUTH_O_EXPIRED] = { "expired", "token expired" },
	[RSAUTH_O_NOT_YET_VALID] = { "not_yet_valid", "token not yet valid" },
	[RSAUTH_O_BAD_CLAIMS] = { "bad_claims", "token claims refused" },
	[RSAUTH_O_INSUFFICIENT_SCOPE] = { "insufficient_scope", NULL },
	[RSAUTH_O_INACTIVE] = { "inactive", "token not active" },
	[RSAUTH_O_INTROSPECTION_ERROR] = { "introspection_error", NULL },
	[RSAUTH_O_KEYS_UNAVAILABLE] = { "keys_unavailable", NULL },
};

/* jwt_result to outcome: the same names. */
static const enum rsauth_outcome rsauth_jwt[JWT_NRESULTS] = {
	[JWT_OK] = RSAUTH_O_OK,
	[JWT_MALFORMED] = RSAUTH_O_MALFORMED,
	[JWT_ALG_REFUSED] = RSAUTH_O_ALG_REFUSED,
	[JWT_TYPE_REFUSED] = RSAUTH_O_TYPE_REFUSED,
	[JWT_UNKNOWN_KID] = RSAUTH_O_UNKNOWN_KID,
	[JWT_KEY_UNUSABLE] = RSAUTH_O_KEY_UNUSABLE,
	[JWT_BAD_SIGNATURE] = RSAUTH_O_BAD_SIGNATURE,
	[JWT_BAD_ISSUER] = RSAUTH_O_BAD_ISSUER,
	[JWT_BAD_AUDIENCE] = RSAUTH_O_BAD_AUDIENCE,
	[JWT_EXPIRED] = RSAUTH_O_EXPIRED,
	[JWT_NOT_YET_VALID] = RSAUTH_O_NOT_YET_VALID,
	[JWT_BAD_CLAIMS] = RSAUTH_O_BAD_CLAIMS,
};

const char *
rsauth_outcome_name(enum rsauth_outcome o)
{
	if ((unsigned)o >= RSAUTH_O_NOUTCOMES)
		return "unknown";
	return rsauth_outcomes[o].name;
}

uint64_t
rsauth_count(const struct rsauth *ra, enum rsauth_outcome o)
{
	if ((unsigned)o >= RSAUTH_O_NOUTCOMES)
		return 0;
	return ra->counts[o];
}

static int64_t
rsauth_time(void)
{
	return (int64_t)time(NULL);
}

struct rsauth *
rsauth_new(const struct rsauth_config *c, const char **cause)
{
	struct rsauth	*ra;
	size_t		 i;

	if (c->nscopes > RSAUTH_MAX_SCOPES) {
		*cause = "too many scopes";
		return NULL;
	}
	for (i = 0; i < c->nscopes; i++)
		if (!rsmeta_scope_ok(c->scopes[i])) {
			*cause = "a scope is not a scope-token";
			return NULL;
		}
	if (c->jwks != NULL && c->resource == NULL) {
		*cause = "OAuth needs the resource";
		return NULL;
	}
	if (c->leeway < 0 || c->leeway > JWT_LEEWAY_MAX) {
		*cause = "leeway out of range";
		return NULL;
	}
	ra = xcalloc(1, sizeof *ra);
	ra->tokens = c->tokens;
	ra->jwks = c->jwks;
	ra->introspect = c->introspect;
	ra->resource = c->resource != NULL ? xstrdup(c->resource) : NULL;
	ra->leeway = c->leeway;
	ra->require_at_jwt = c->require_at_jwt;
	for (i = 0; i < c->nscopes; i++)
		ra->scopes[i] = xstrdup(c->scopes[i]);
	ra->nscopes = c->nscopes;
	ra->metadata_url = c->metadata_url != NULL ?
	    xstrdup(c->metadata_url) : NULL;
	ra->now = c->now != NULL ? c->now : rsauth_time;
	TAILQ_INIT(&ra->reqs);
	return ra;
}

static void
rsauth_req_free(struct rsauth_req *q)
{
	size_t	 i;

	TAILQ_REMOVE(&q->ra->reqs, q, entry);
	jwks_wait_cancel(q->jw);
	introspect_cancel(q->iw);
	jwt_free(q->token);
	for (i = 0; i < q->nscopes; i++)
		free(q->scopes[i]);
	free(q);
}

void
rsauth_free(struct rsauth *ra)
{
	struct rsauth_req	*q;
	size_t			 i;

	if (ra == NULL)
		return;
	while ((q = TAILQ_FIRST(&ra->reqs)) != NULL)
		rsauth_req_free(q);
	free(ra->resource);
	for (i = 0; i < ra->nscopes; i++)
		free(ra->scopes[i]);
	free(ra->metadata_url);
	free(ra);
}

void
rsauth_result_free(struct rsauth_result *r)
{
	jwt_claims_free(&r->claims);
	free(r->www_authenticate);
	memset(r, 0, sizeof *r);
	r->static_index = -1;
}

void
rsauth_cancel(struct rsauth_req *q)
{
	if (q != NULL)
		rsauth_req_free(q);
}

/* The configured scopes and the request's, each once. */
static size_t
rsauth_needed(const struct rsauth *ra, char *const *extra, size_t nextra,
    const char **out)
{
	size_t	 n = 0, i, j;

	for (i = 0; i < ra->nscopes; i++)
		out[n++] = ra->scopes[i];
	for (i = 0; i < nextra && n < 2 * RSAUTH_MAX_SCOPES; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(out[j], extra[i]) == 0)
				break;
		if (j == n)
			out[n++] = extra[i];
	}
	return n;
}

/* Fills r for an outcome; status from it. */
static enum rsauth_status
rsauth_decide(struct rsauth *ra, enum rsauth_outcome o,
    char *const *extra, size_t nextra, struct rsauth_result *r)
{
	const char	*need[2 * RSAUTH_MAX_SCOPES];
	size_t		 n;

	ra->counts[o]++;
	r->outcome = o;
	switch (o) {
	case RSAUTH_O_OK:
	case RSAUTH_O_STATIC:
		r->status = RSAUTH_OK;
		break;
	case RSAUTH_O_NO_TOKEN:
		n = rsauth_needed(ra, extra, nextra, need);
		r->status = RSAUTH_UNAUTHORIZED;
		r->www_authenticate = rsmeta_challenge(RSMETA_NO_TOKEN, NULL,
		    need, n, ra->metadata_url);
		break;
	case RSAUTH_O_INSUFFICIENT_SCOPE:
		/* All the request needs, not only what is missing: the
		 * client asks for everything at once (step-up). */
		n = rsauth_needed(ra, extra, nextra, need);
		r->status = RSAUTH_FORBIDDEN;
		r->www_authenticate = rsmeta_challenge(
		    RSMETA_INSUFFICIENT_SCOPE, NULL, need, n,
		    ra->metadata_url);
		break;
	case RSAUTH_O_INTROSPECTION_ERROR:
	case RSAUTH_O_KEYS_UNAVAILABLE:
		r->status = RSAUTH_UNAVAILABLE;
		r->retry_after = RSAUTH_RETRY_AFTER;
		break;
	default:
		r->status = RSAUTH_UNAUTHORIZED;
		r->www_authenticate = rsmeta_challenge(RSMETA_INVALID_TOKEN,
		    rsauth_outcomes[o].description, NULL, 0,
		    ra->metadata_url);
		break;
	}
	if (r->status != RSAUTH_OK)
		jwt_claims_free(&r->claims);
	return r->status;
}

/* A verified token's claims (taken into r): scopes, then OK. */
static enum rsauth_status
rsauth_grant(struct rsauth *ra, struct jwt_claims *c, char *const *extra,
    size_t nextra, struct rsauth_result *r)
{
	const char	*need[2 * RSAUTH_MAX_SCOPES];
	size_t		 n, i, j;

	r->claims = *c;
	memset(c, 0, sizeof *c);
	n = rsauth_needed(ra, extra, nextra, need);
	for (i = 0; i < n; i++) {
		for (j = 0; j < r->claims.nscopes; j++)
			if (strcmp(r->claims.scopes[j], need[i]) == 0)
				break;
		if (j == r->claims.nscopes)
			return rsauth_decide(ra, RSAUTH_O_INSUFFICIENT_SCOPE,
			    extra, nextra, r);
	}
	r->principal = principal_id(r->claims.iss, r->claims.sub);
	return rsauth_decide(ra, RSAUTH_O_OK, extra, nextra, r);
}

static void	rsauth_jwks_woke(void *);
static void	rsauth_introspected(struct introspect_answer *, void *);

/*
 * The JWT step for q (its token parsed, its issuer found): verify with
 * the keys there are, or wait (q->jw) and return RSAUTH_PENDING.
 */
static enum rsauth_status
rsauth_verify(struct rsauth_req *q, struct rsauth_result *r)
{
	struct rsauth		*ra = q->ra;
	const struct jwt_keyset	*ks;
	struct jwt_policy	 pol;
	struct jwt_claims	 c;
	enum jwt_result		 jr;
	enum rsauth_status	 st;
	const char		*cause;
	int			 wait;

	if ((ks = jwks_keys(q->is)) == NULL) {
		/* Before the first fetch ends, wait for it once. */
		if (!q->refreshed && (q->jw = jwks_wait(q->is, 0,
		    rsauth_jwks_woke, q)) != NULL) {
			q->refreshed = 1;
			return RSAUTH_PENDING;
		}
		return rsauth_decide(ra, RSAUTH_O_KEYS_UNAVAILABLE, q->scopes,
		    q->nscopes, r);
	}
	memset(&pol, 0, sizeof pol);
	pol.issuer = jwks_issuer_name(q->is);
	pol.audience = ra->resource;
	pol.leeway = ra->leeway;
	pol.require_at_jwt = ra->require_at_jwt;
	memset(&c, 0, sizeof c);
	jr = jwt_verify(q->token, ks, &pol, ra->now(), &c, &cause);
	if (jr == JWT_UNKNOWN_KID && !q->refreshed) {
		q->refreshed = 1;
		if ((q->jw = jwks_wait(q->is, 1, rsauth_jwks_woke, q)) != NULL)
			return RSAUTH_PENDING;
		/* No refresh may run yet, or too many wait for one: the
		 * key may be a rotated one published since the last fetch,
		 * so the token may be fine: 503 until a refresh may run,
		 * not a 401 that has the client drop it.  Once a refresh
		 * ran for this request (q->refreshed), the kid is unknown:
		 * 401. */
		log_debug("oauth token: unknown kid, no refresh now: %s",
		    cause);
		st = rsauth_decide(ra, RSAUTH_O_KEYS_UNAVAILABLE, q->scopes,
		    q->nscopes, r);
		if ((wait = jwks_refresh_wait(q->is)) > 0)
			r->retry_after = wait;
		return st;
	}
	if (jr != JWT_OK) {
		log_debug("oauth token refused: %s", cause);
		return rsauth_decide(ra, rsauth_jwt[jr], q->scopes,
		    q->nscopes, r);
	}
	return rsauth_grant(ra, &c, q->scopes, q->nscopes, r);
}

/* An introspection answer into r (the claims taken). */
static enum rsauth_status
rsauth_answer(struct rsauth *ra, struct introspect_answer *a,
    char *const *extra, size_t nextra, struct rsauth_result *r)
{
	switch (a->result) {
	case INTROSPECT_ACTIVE:
		return rsauth_grant(ra, &a->claims, extra, nextra, r);
	case INTROSPECT_INACTIVE:
		return rsauth_decide(ra, RSAUTH_O_INACTIVE, extra, nextra, r);
	case INTROSPECT_REFUSED:
		return rsauth_decide(ra, rsauth_jwt[a->jwt], extra, nextra, r);
	default:
		return rsauth_decide(ra, RSAUTH_O_INTROSPECTION_ERROR, extra,
		    nextra, r);
	}
}

/* q is done: tell its owner, then free it. */
static void
rsauth_finish(struct rsauth_req *q, struct rsauth_result *r)
{
	rsauth_cb	 cb = q->cb;
	void		*arg = q->arg;

	rsauth_req_free(q);
	cb(r, arg);
}

static void
rsauth_jwks_woke(void *arg)
{
	struct rsauth_req	*q = arg;
	struct rsauth_result	 r;

	q->jw = NULL;		/* jwks freed it */
	memset(&r, 0, sizeof r);
	r.static_index = -1;
	if (rsauth_verify(q, &r) == RSAUTH_PENDING)
		return;
	rsauth_finish(q, &r);
}

static void
rsauth_introspected(struct introspect_answer *a, void *arg)
{
	struct rsauth_req	*q = arg;
	struct rsauth_result	 r;

	q->iw = NULL;
	memset(&r, 0, sizeof r);
	r.static_index = -1;
	(void)rsauth_answer(q->ra, a, q->scopes, q->nscopes, &r);
	jwt_claims_free(&a->claims);
	rsauth_finish(q, &r);
}

static struct rsauth_req *
rsauth_req_new(struct rsauth *ra, const char *const *scopes, size_t n,
    rsauth_cb cb, void *arg)
{
	struct rsauth_req	*q;
	size_t			 i;

	q = xcalloc(1, sizeof *q);
	q->ra = ra;
	for (i = 0; i < n && i < RSAUTH_MAX_SCOPES; i++)
		q->scopes[i] = xstrdup(scopes[i]);
	q->nscopes = i;
	q->cb = cb;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&ra->reqs, q, entry);
	return q;
}

/* The token of a Bearer credential (RFC 6750 2.1: the scheme
 * case-insensitive, one or more spaces), or NULL. */
static const char *
rsauth_bearer(const char *authz, size_t *len)
{
	const char	*p;

	if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0)
		return NULL;
	for (p = authz + 7; *p == ' '; p++)
		;
	*len = strcspn(p, " \t");
	if (*len == 0 || p[*len] != '\0')
		return NULL;
	return p;
}

enum rsauth_status
rsauth_check(struct rsauth *ra, const char *authz, const char *const *scopes,
    size_t nscopes, struct rsauth_result *r, rsauth_cb cb, void *arg,
    struct rsauth_req **req)
{
	struct rsauth_req	*q;
	struct introspect_answer a;
	struct jwt		*t = NULL;
	struct jwks_issuer	*is;
	const char		*tok, *cause;
	size_t			 len, i, dots;
	enum jwt_result		 jr;
	enum introspect_result	 ir;
	enum rsauth_status	 st;
	int			 idx;

	memset(r, 0, sizeof *r);
	r->static_index = -1;
	*req = NULL;
	/* Needs beyond the bound are never checked in part: no token is
	 * enough (the challenge names the first ones). */
	if (nscopes > RSAUTH_MAX_SCOPES)
		return rsauth_decide(ra, RSAUTH_O_INSUFFICIENT_SCOPE,
		    (char *const *)scopes, RSAUTH_MAX_SCOPES, r);
	if ((tok = rsauth_bearer(authz, &len)) == NULL)
		return rsauth_decide(ra, RSAUTH_O_NO_TOKEN, (char *const *)
		    scopes, nscopes, r);
	if (ra->tokens != NULL && (idx = auth_check(ra->tokens, authz)) >= 0) {
		r->static_index = idx;
		r->principal = (uint64_t)idx + 1;
		return rsauth_decide(ra, RSAUTH_O_STATIC, NULL, 0, r);
	}
	if (ra->jwks == NULL && ra->introspect == NULL)
		return rsauth_decide(ra, RSAUTH_O_INVALID, NULL, 0, r);
	if (len > JWT_MAX_TOKEN_LEN)
		return rsauth_decide(ra, RSAUTH_O_MALFORMED, NULL, 0, r);
	for (i = 0, dots = 0; i < len; i++)
		if (tok[i] == '.')
			dots++;

	if (dots == 2 && ra->jwks != NULL) {
		if ((jr = jwt_parse(tok, len, &t, &cause)) != JWT_OK) {
			log_debug("oauth token refused: %s", cause);
			return rsauth_decide(ra, rsauth_jwt[jr], NULL, 0, r);
		}
		if ((is = jwks_find(ra->jwks, jwt_unverified_issuer(t))) ==
		    NULL) {
			jwt_free(t);
			return rsauth_decide(ra, RSAUTH_O_BAD_ISSUER, NULL, 0,
			    r);
		}
		/* An issuer that publishes no keys: its JWTs are
		 * introspected like opaque tokens, or refused. */
		if (jwks_meta(is) != NULL && jwks_meta(is)->jwks_uri == NULL) {
			jwt_free(t);
			if (ra->introspect == NULL)
				return rsauth_decide(ra, RSAUTH_O_KEY_UNUSABLE,
				    NULL, 0, r);
			goto opaque;
		}
		q = rsauth_req_new(ra, scopes, nscopes, cb, arg);
		q->token = t;
		q->is = is;
		if ((st = rsauth_verify(q, r)) == RSAUTH_PENDING) {
			*req = q;
			return st;
		}
		rsauth_req_free(q);
		return st;
	}
	if (ra->introspect == NULL)
		return rsauth_decide(ra, RSAUTH_O_MALFORMED, NULL, 0, r);
opaque:
	q = rsauth_req_new(ra, scopes, nscopes, cb, arg);
	ir = introspect_check(ra->introspect, tok, len, &a,
	    rsauth_introspected, q, &q->iw);
	if (ir == INTROSPECT_PENDING) {
		*req = q;
		return RSAUTH_PENDING;
	}
	st = rsauth_answer(ra, &a, q->scopes, q->nscopes, r);
	jwt_claims_free(&a.claims);
	rsauth_req_free(q);
	return st;
}
