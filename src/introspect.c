/* SPDX-License-Identifier: ISC */
/*
 * introspect.c: RFC 7662 requests, the answers checked, and the cache.
 *
 * An entry is created when a token is first asked about: pending while
 * its one request runs (later requests with that token wait on it), then
 * holding the answer until it expires.  An error removes it, so the next
 * request asks again.  Entries sit in a hash table under their key (the
 * token's SHA-256) and in a list in creation order for eviction.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base64.h"
#include "compat.h"
#include "hmap.h"
#include "introspect.h"
#include "jwks.h"
#include "jsonparse.h"
#include "log.h"
#include "rsmeta.h"
#include "xmalloc.h"

#define INTROSPECT_KEY_LEN	32	/* SHA-256 */
/* Entries of an "aud" array looked at. */
#define INTROSPECT_MAX_AUDIENCES 64

struct introspect_wait {
	TAILQ_ENTRY(introspect_wait)	 entry;
	struct ix_entry			*e;
	introspect_cb			 cb;
	void				*arg;
};
TAILQ_HEAD(ix_waits, introspect_wait);

struct ix_entry {
	unsigned char		 key[INTROSPECT_KEY_LEN];
	uint64_t		 h;
	TAILQ_ENTRY(ix_entry)	 entry;		/* creation order */
	struct introspect	*ix;
	enum introspect_result	 result;	/* PENDING while asked */
	enum jwt_result		 jwt;
	const char		*cause;
	int64_t			 expires;
	struct jwt_claims	 claims;
	struct rsfetch		*fetch;
	struct ix_waits		 waits;
	size_t			 nwaits;
	int			 linked;	/* in the table and list */
	int			 busy;		/* its waiters are being told */
};
TAILQ_HEAD(ix_entries, ix_entry);

struct introspect {
	char			*issuer;
	char			*endpoint;	/* NULL: from's */
	enum asmeta_auth	 auth;
	struct jwks_issuer	*from;
	char			*client_id;
	char			*client_secret;
	char			*resource;
	int			 leeway;
	int			 ttl;
	const struct rsfetch_ops *ops;
	void			*ctx;
	introspect_clock	 clock;

	struct hmap		 map;
	struct ix_entries	 entries;
	size_t			 n;
	uint64_t		 counts[INTROSPECT_NRESULTS];
};

static const char *const introspect_names[INTROSPECT_NRESULTS] = {
	[INTROSPECT_ACTIVE] = "active",
	[INTROSPECT_INACTIVE] = "inactive",
	[INTROSPECT_REFUSED] = "refused",
	[INTROSPECT_ERROR] = "error",
	[INTROSPECT_PENDING] = "pending",
};

const char *
introspect_result_name(enum introspect_result r)
{
	if ((unsigned)r >= INTROSPECT_NRESULTS)
		return "unknown";
	return introspect_names[r];
}

static int64_t
introspect_time(void)
{
	return (int64_t)time(NULL);
}

struct introspect *
introspect_new(const struct introspect_config *c,
    const struct rsfetch_ops *ops, void *ctx, introspect_clock clock,
    const char **cause)
{
	struct introspect	*ix;

	if ((c->endpoint == NULL && c->from == NULL) || c->issuer == NULL ||
	    c->resource == NULL) {
		*cause = "introspection needs an issuer, an endpoint and "
		    "the resource";
		return NULL;
	}
	if (c->client_id == NULL || *c->client_id == '\0' ||
	    c->client_secret == NULL || *c->client_secret == '\0' ||
	    strlen(c->client_id) > INTROSPECT_MAX_CREDENTIAL_LEN ||
	    strlen(c->client_secret) > INTROSPECT_MAX_CREDENTIAL_LEN) {
		*cause = "introspection needs a client id and secret (at "
		    "most 1024 bytes each)";
		return NULL;
	}
	if (c->leeway < 0 || c->leeway > JWT_LEEWAY_MAX ||
	    c->ttl < 0 || c->ttl > INTROSPECT_TTL_MAX) {
		*cause = "introspection leeway or ttl out of range";
		return NULL;
	}
	ix = xcalloc(1, sizeof *ix);
	ix->issuer = xstrdup(c->issuer);
	ix->endpoint = c->endpoint != NULL ? xstrdup(c->endpoint) : NULL;
	ix->auth = c->auth;
	ix->from = c->from;
	ix->client_id = xstrdup(c->client_id);
	ix->client_secret = xstrdup(c->client_secret);
	ix->resource = xstrdup(c->resource);
	ix->leeway = c->leeway;
	ix->ttl = c->ttl > 0 ? c->ttl : INTROSPECT_TTL_DEFAULT;
	ix->ops = ops;
	ix->ctx = ctx;
	ix->clock = clock != NULL ? clock : introspect_time;
	TAILQ_INIT(&ix->entries);
	return ix;
}

static int
ix_match(const void *v, const void *key)
{
	const struct ix_entry	*e = v;

	return memcmp(e->key, key, INTROSPECT_KEY_LEN) == 0;
}

/* Out of the table and the list: no check finds it any more. */
static void
ix_unlink(struct ix_entry *e)
{
	struct introspect	*ix = e->ix;

	hmap_del(&ix->map, e->h, e);
	TAILQ_REMOVE(&ix->entries, e, entry);
	ix->n--;
	e->linked = 0;
}

/* Unlinks and frees an entry; its waiters are freed with no callback. */
static void
ix_drop(struct ix_entry *e)
{
	struct introspect_wait	*w;

	if (e->fetch != NULL)
		e->ix->ops->cancel(e->fetch);
	while ((w = TAILQ_FIRST(&e->waits)) != NULL) {
		TAILQ_REMOVE(&e->waits, w, entry);
		free(w);
	}
	if (e->linked)
		ix_unlink(e);
	jwt_claims_free(&e->claims);
	free(e);
}

void
introspect_free(struct introspect *ix)
{
	struct ix_entry	*e;

	if (ix == NULL)
		return;
	while ((e = TAILQ_FIRST(&ix->entries)) != NULL)
		ix_drop(e);
	hmap_clear(&ix->map);
	free(ix->issuer);
	free(ix->endpoint);
	free(ix->client_id);
	explicit_bzero(ix->client_secret, strlen(ix->client_secret));
	free(ix->client_secret);
	free(ix->resource);
	free(ix);
}

uint64_t
introspect_count(const struct introspect *ix, enum introspect_result r)
{
	if ((unsigned)r >= INTROSPECT_NRESULTS)
		return 0;
	return ix->counts[r];
}

size_t
introspect_cached(const struct introspect *ix)
{
	return ix->n;
}

static void
ix_claims_dup(struct jwt_claims *d, const struct jwt_claims *s)
{
	size_t	 i;

	memset(d, 0, sizeof *d);
	d->iss = s->iss != NULL ? xstrdup(s->iss) : NULL;
	d->sub = s->sub != NULL ? xstrdup(s->sub) : NULL;
	d->client_id = s->client_id != NULL ? xstrdup(s->client_id) : NULL;
	if (s->nscopes > 0) {
		d->scopes = xreallocarray(NULL, s->nscopes, sizeof *d->scopes);
		for (i = 0; i < s->nscopes; i++)
			d->scopes[i] = xstrdup(s->scopes[i]);
	}
	d->nscopes = s->nscopes;
	d->exp = s->exp;
	d->payload = s->payload != NULL ? json_object_get(s->payload) : NULL;
}

/* The answer an entry holds, copied for one receiver. */
static void
ix_answer(const struct ix_entry *e, struct introspect_answer *a)
{
	memset(a, 0, sizeof *a);
	a->result = e->result;
	a->jwt = e->jwt;
	a->cause = e->cause;
	if (e->result == INTROSPECT_ACTIVE)
		ix_claims_dup(&a->claims, &e->claims);
}

/* The string member name, or NULL (absent); *bad if present and not a
 * string without NUL. */
static const char *
ix_string(json_object *o, const char *name, int *bad)
{
	json_object	*v;
	const char	*s;

	if (!json_object_object_get_ex(o, name, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = 1;
		return NULL;
	}
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v)) {
		*bad = 1;
		return NULL;
	}
	return s;
}

/* A NumericDate member: 1 and *out, 0 absent, -1 mistyped. */
static int
ix_date(json_object *o, const char *name, int64_t *out)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 1;
}

static int
ix_audience(json_object *o, const char *resource)
{
	json_object	*v, *a;
	size_t		 i, n;

	if (!json_object_object_get_ex(o, "aud", &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), resource) == 0;
	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	for (i = 0; i < n && i < INTROSPECT_MAX_AUDIENCES; i++) {
		a = json_object_array_get_idx(v, i);
		if (json_object_is_type(a, json_type_string) &&
		    strcmp(json_object_get_string(a), resource) == 0)
			return 1;
	}
	return 0;
}

/*
 * Judges an answer's JSON into e (result, jwt, cause, claims, expires).
 * Returns -1 (with e->cause) when the body is no answer at all.
 */
static int
ix_judge(struct introspect *ix, struct ix_entry *e, const char *body,
    size_t len)
{
	json_object	*o, *v;
	const char	*iss, *sub, *cid, *scope, *p, *q;
	int64_t		 now = ix->clock(), exp = 0, nbf = 0;
	int		 bad = 0, hasexp;
	struct jwt_claims *c = &e->claims;

	if ((o = jsonparse_strict(body, len, &e->cause)) == NULL)
		return -1;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "active", &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		e->cause = "introspection answer has no boolean active";
		json_object_put(o);
		return -1;
	}
	e->expires = now + INTROSPECT_NEG_TTL;
	if (!json_object_get_boolean(v)) {
		e->result = INTROSPECT_INACTIVE;
		e->cause = "token not active";
		goto out;
	}
	e->result = INTROSPECT_REFUSED;
	iss = ix_string(o, "iss", &bad);
	sub = ix_string(o, "sub", &bad);
	cid = ix_string(o, "client_id", &bad);
	scope = ix_string(o, "scope", &bad);
	hasexp = ix_date(o, "exp", &exp);
	if (bad || hasexp == -1 || ix_date(o, "nbf", &nbf) == -1) {
		e->jwt = JWT_BAD_CLAIMS;
		e->cause = "introspection answer has a mistyped claim";
		goto out;
	}
	if (iss != NULL && strcmp(iss, ix->issuer) != 0) {
		e->jwt = JWT_BAD_ISSUER;
		e->cause = "introspected token is another issuer's";
		goto out;
	}
	if (!ix_audience(o, ix->resource)) {
		e->jwt = JWT_BAD_AUDIENCE;
		e->cause = "introspected token is not for this resource";
		goto out;
	}
	if (hasexp && now >= exp + ix->leeway) {
		e->jwt = JWT_EXPIRED;
		e->cause = "introspected token expired";
		goto out;
	}
	if (nbf > now + ix->leeway) {
		e->jwt = JWT_NOT_YET_VALID;
		e->cause = "introspected token not yet valid";
		goto out;
	}
	if (sub == NULL || *sub == '\0') {
		e->jwt = JWT_BAD_CLAIMS;
		e->cause = "introspected token has no sub";
		goto out;
	}
	/* The scope string, split; a scope that is no scope-token refuses
	 * the answer rather than reach a comparison or a header. */
	for (p = scope; p != NULL && *p != '\0'; p = q) {
		char	*s;

		for (; *p == ' '; p++)
			;
		if (*p == '\0')
			break;
		q = p + strcspn(p, " ");
		s = xstrndup(p, (size_t)(q - p));
		if (!rsmeta_scope_ok(s) || c->nscopes == JWT_MAX_SCOPES) {
			free(s);
			jwt_claims_free(c);
			e->jwt = JWT_BAD_CLAIMS;
			e->cause = "introspected token has a bad scope";
			goto out;
		}
		c->scopes = xreallocarray(c->scopes, c->nscopes + 1,
		    sizeof *c->scopes);
		c->scopes[c->nscopes++] = s;
	}
	c->iss = xstrdup(ix->issuer);
	c->sub = xstrdup(sub);
	c->client_id = cid != NULL ? xstrdup(cid) : NULL;
	c->exp = hasexp ? exp : 0;
	c->payload = json_object_get(o);
	e->result = INTROSPECT_ACTIVE;
	e->jwt = JWT_OK;
	e->cause = NULL;
	e->expires = now + ix->ttl;
	if (hasexp && exp < e->expires)
		e->expires = exp;
out:
	json_object_put(o);
	return 0;
}

static void
ix_done(const struct rsfetch_response *r, void *arg)
{
	struct ix_entry		*e = arg;
	struct introspect	*ix = e->ix;
	struct introspect_wait	*w;
	struct introspect_answer a;

	e->fetch = NULL;
	if (r->failed) {
		e->cause = "introspection request failed";
		log_warnx("oauth introspection for %s failed: %s", ix->issuer,
		    r->error);
	} else if (r->status != 200) {
		e->cause = "introspection endpoint answered an error";
		log_warnx("oauth introspection for %s: HTTP status %ld",
		    ix->issuer, r->status);
	} else if (ix_judge(ix, e, r->body, r->len) == -1)
		log_warnx("oauth introspection for %s: %s", ix->issuer,
		    e->cause);
	if (e->result == INTROSPECT_PENDING) {
		e->result = INTROSPECT_ERROR;
		e->jwt = JWT_OK;
	}
	ix->counts[e->result]++;
	/* An error is not cached: a callback that checks the token again
	 * asks anew.  While busy, e stays allocated and out of eviction,
	 * and a callback may cancel waiters still queued. */
	if (e->result == INTROSPECT_ERROR)
		ix_unlink(e);
	e->busy = 1;
	while ((w = TAILQ_FIRST(&e->waits)) != NULL) {
		TAILQ_REMOVE(&e->waits, w, entry);
		e->nwaits--;
		ix_answer(e, &a);
		w->cb(&a, w->arg);
		free(w);
	}
	e->busy = 0;
	if (!e->linked)
		ix_drop(e);
}

/* x-www-form-urlencoded (RFC 6749 appendix B), appended at *p. */
static char *
ix_form(char *p, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 i;
	unsigned char		 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '*')
			*p++ = (char)c;
		else if (c == ' ')
			*p++ = '+';
		else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	return p;
}

/* Starts the request for e; -1 if it could not.  The token and the
 * secret are in the buffers made here only, zeroed before they go. */
static int
ix_ask(struct introspect *ix, struct ix_entry *e, const char *token,
    size_t len)
{
	struct rsfetch_request	 req;
	const struct asmeta	*m;
	const char		*endpoint = ix->endpoint;
	enum asmeta_auth	 how = ix->auth;
	char			*body, *p, *cred, *b64, *auth = NULL;
	size_t			 cap, clen;
	int			 rv = 0;

	if (endpoint == NULL) {
		m = jwks_meta(ix->from);
		if (m == NULL || m->introspection_endpoint == NULL)
			return -1;
		endpoint = m->introspection_endpoint;
		how = m->introspection_auth;
	}

	/* Form-encoding at most triples a byte. */
	cap = 3 * len + 6 * INTROSPECT_MAX_CREDENTIAL_LEN + 128;
	body = p = xmalloc(cap);
	memcpy(p, "token=", 6);
	p = ix_form(p + 6, token, len);
	memcpy(p, "&token_type_hint=access_token", 29);
	p += 29;
	if (how == ASMETA_AUTH_POST) {
		memcpy(p, "&client_id=", 11);
		p = ix_form(p + 11, ix->client_id, strlen(ix->client_id));
		memcpy(p, "&client_secret=", 15);
		p = ix_form(p + 15, ix->client_secret,
		    strlen(ix->client_secret));
	} else {
		/* RFC 6749 2.3.1: both parts form-encoded, then base64. */
		cred = xmalloc(6 * INTROSPECT_MAX_CREDENTIAL_LEN + 2);
		clen = (size_t)(ix_form(cred, ix->client_id,
		    strlen(ix->client_id)) - cred);
		cred[clen++] = ':';
		clen = (size_t)(ix_form(cred + clen, ix->client_secret,
		    strlen(ix->client_secret)) - cred);
		b64 = base64_encode(cred, clen, 0);
		explicit_bzero(cred, clen);
		free(cred);
		xasprintf(&auth, "Basic %s", b64);
		explicit_bzero(b64, strlen(b64));
		free(b64);
	}
	*p = '\0';
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = endpoint;
	req.authorization = auth;
	req.content_type = "application/x-www-form-urlencoded";
	req.body = body;
	req.len = (size_t)(p - body);
	req.max_len = INTROSPECT_MAX_LEN;
	if ((e->fetch = ix->ops->start(ix->ctx, &req, ix_done, e)) == NULL)
		rv = -1;
	explicit_bzero(body, (size_t)(p - body));
	free(body);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	return rv;
}

/* Room for one more entry: expired ones first, then the oldest answered
 * one.  -1 if every entry is pending. */
static int
ix_room(struct introspect *ix, int64_t now)
{
	struct ix_entry	*e, *next;

	if (ix->n < INTROSPECT_MAX_ENTRIES)
		return 0;
	/* The saved-next loop by hand: glibc's queue.h has no _SAFE. */
	for (e = TAILQ_FIRST(&ix->entries); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (e->result != INTROSPECT_PENDING && !e->busy &&
		    e->expires <= now)
			ix_drop(e);
	}
	if (ix->n < INTROSPECT_MAX_ENTRIES)
		return 0;
	TAILQ_FOREACH(e, &ix->entries, entry)
		if (e->result != INTROSPECT_PENDING && !e->busy) {
			ix_drop(e);
			return 0;
		}
	return -1;
}

enum introspect_result
introspect_check(struct introspect *ix, const char *token, size_t len,
    struct introspect_answer *ans, introspect_cb cb, void *arg,
    struct introspect_wait **wait)
{
	unsigned char		 key[INTROSPECT_KEY_LEN];
	unsigned int		 klen = 0;
	struct ix_entry		*e;
	struct introspect_wait	*w;
	int64_t			 now = ix->clock();
	uint64_t		 h;

	memset(ans, 0, sizeof *ans);
	*wait = NULL;
	if (len == 0 || len > JWT_MAX_TOKEN_LEN) {
		ans->result = INTROSPECT_REFUSED;
		ans->jwt = JWT_MALFORMED;
		ans->cause = "token empty or too long";
		return ans->result;
	}
	if (!EVP_Digest(token, len, key, &klen, EVP_sha256(), NULL) ||
	    klen != INTROSPECT_KEY_LEN)
		fatalx("introspect: SHA-256 failed");
	memcpy(&h, key, sizeof h);
	e = hmap_find(&ix->map, h, ix_match, key);
	if (e != NULL && e->result != INTROSPECT_PENDING && !e->busy &&
	    e->expires <= now) {
		ix_drop(e);
		e = NULL;
	}
	if (e != NULL && e->result != INTROSPECT_PENDING) {
		ix_answer(e, ans);
		return ans->result;
	}
	if (e == NULL) {
		if (ix_room(ix, now) == -1) {
			ans->result = INTROSPECT_ERROR;
			ans->cause = "too many introspections at once";
			return ans->result;
		}
		e = xcalloc(1, sizeof *e);
		memcpy(e->key, key, sizeof e->key);
		e->h = h;
		e->ix = ix;
		e->result = INTROSPECT_PENDING;
		TAILQ_INIT(&e->waits);
		hmap_add(&ix->map, h, e);
		TAILQ_INSERT_TAIL(&ix->entries, e, entry);
		ix->n++;
		e->linked = 1;
		if (ix_ask(ix, e, token, len) == -1) {
			ix_drop(e);
			ix->counts[INTROSPECT_ERROR]++;
			ans->result = INTROSPECT_ERROR;
			ans->cause = "introspection request not started "
			    "(no endpoint known yet?)";
			return ans->result;
		}
	}
	if (e->nwaits >= INTROSPECT_MAX_WAITERS) {
		ans->result = INTROSPECT_ERROR;
		ans->cause = "too many requests wait for one introspection";
		return ans->result;
	}
	w = xcalloc(1, sizeof *w);
	w->e = e;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&e->waits, w, entry);
	e->nwaits++;
	*wait = w;
	ans->result = INTROSPECT_PENDING;
	return ans->result;
}

void
introspect_cancel(struct introspect_wait *w)
{
	if (w == NULL)
		return;
	/* The request goes on: its answer is cached for the next one. */
	TAILQ_REMOVE(&w->e->waits, w, entry);
	w->e->nwaits--;
	free(w);
}
