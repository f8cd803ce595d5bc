/* SPDX-License-Identifier: ISC */
/*
 * rstest.c: the fakes of rstest.h.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "base64.h"
#include "rstest.h"
#include "xmalloc.h"

struct rsfetch {
	struct rst_req	*r;
};

static struct rst_req	 reqs[RST_MAX_REQS];
static size_t		 nreqs;
static uint64_t		 now_ms = 1000000;
static int64_t		 now_s = RST_NOW;
static EVP_PKEY		*keys[2];

/* The handle of each request while it is live. */
static struct rsfetch	*handles[RST_MAX_REQS];

static struct rsfetch *
rst_start(void *ctx, const struct rsfetch_request *q, rsfetch_cb cb,
    void *arg)
{
	struct rst_req	*r;
	struct rsfetch	*f;

	(void)ctx;
	ck_assert_uint_lt(nreqs, RST_MAX_REQS);
	r = &reqs[nreqs];
	r->method = xstrdup(q->method);
	r->url = xstrdup(q->url);
	r->authorization = q->authorization != NULL ?
	    xstrdup(q->authorization) : NULL;
	r->body = q->body != NULL ? xstrndup(q->body, q->len) : NULL;
	r->cb = cb;
	r->arg = arg;
	r->live = 1;
	f = xcalloc(1, sizeof *f);
	f->r = r;
	handles[nreqs++] = f;
	return f;
}

static void
rst_cancel(struct rsfetch *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	ck_assert(f->r->live);
	f->r->live = 0;
	for (i = 0; i < nreqs; i++)
		if (handles[i] == f)
			handles[i] = NULL;
	free(f);
}

const struct rsfetch_ops rst_ops = {
	.start = rst_start,
	.cancel = rst_cancel,
};

void
rst_reset(void)
{
	size_t	 i;

	for (i = 0; i < nreqs; i++) {
		ck_assert(!reqs[i].live);
		free(reqs[i].method);
		free(reqs[i].url);
		free(reqs[i].authorization);
		free(reqs[i].body);
	}
	memset(reqs, 0, sizeof reqs);
	memset(handles, 0, sizeof handles);
	nreqs = 0;
}

size_t
rst_started(const char *url)
{
	size_t	 i, n = 0;

	for (i = 0; i < nreqs; i++)
		if (url == NULL || strcmp(reqs[i].url, url) == 0)
			n++;
	return n;
}

size_t
rst_live(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < nreqs; i++)
		if (reqs[i].live)
			n++;
	return n;
}

struct rst_req *
rst_find(const char *url)
{
	size_t	 i;

	for (i = 0; i < nreqs; i++)
		if (reqs[i].live && strcmp(reqs[i].url, url) == 0)
			return &reqs[i];
	return NULL;
}

static struct rsfetch *
rst_handle(struct rst_req *r)
{
	struct rsfetch	*f = handles[r - reqs];

	ck_assert_ptr_nonnull(f);
	handles[r - reqs] = NULL;
	return f;
}

void
rst_answer(struct rst_req *r, long status, const char *cc, const char *body)
{
	struct rsfetch_response	 resp;
	struct rsfetch		*f = rst_handle(r);

	ck_assert(r->live);
	r->live = 0;
	memset(&resp, 0, sizeof resp);
	resp.status = status;
	resp.cache_control = cc;
	resp.body = body != NULL ? body : "";
	resp.len = strlen(resp.body);
	r->cb(&resp, r->arg);
	free(f);
}

void
rst_fail(struct rst_req *r, const char *error)
{
	struct rsfetch_response	 resp;
	struct rsfetch		*f = rst_handle(r);

	ck_assert(r->live);
	r->live = 0;
	memset(&resp, 0, sizeof resp);
	resp.failed = 1;
	resp.error = error;
	r->cb(&resp, r->arg);
	free(f);
}

void
rst_answer_url(const char *url, long status, const char *cc,
    const char *body)
{
	struct rst_req	*r = rst_find(url);

	ck_assert_msg(r != NULL, "no live request to %s", url);
	rst_answer(r, status, cc, body);
}

uint64_t
rst_clock_ms(void)
{
	return now_ms;
}

int64_t
rst_time(void)
{
	return now_s;
}

void
rst_advance(int seconds)
{
	now_ms += (uint64_t)seconds * 1000;
	now_s += seconds;
}

void
rst_clock_reset(void)
{
	now_ms = 1000000;
	now_s = RST_NOW;
}

void
rst_keys_init(void)
{
	int	 i;

	for (i = 0; i < 2; i++)
		if (keys[i] == NULL &&
		    (keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) ==
		    NULL)
			abort();
}

const char *
rst_metadata(void)
{
	return "{\"issuer\":\"" RST_ISSUER "\",\"jwks_uri\":\"" RST_JWKS_URI
	    "\",\"introspection_endpoint\":\"" RST_INTROSPECT "\"}";
}

static char *
b64u(const void *p, size_t len)
{
	return base64_encode(p, len, BASE64_URL | BASE64_NOPAD);
}

static void
add_key(json_object *a, int i, const char *kid)
{
	json_object	*o = json_object_new_object();
	unsigned char	 raw[32];
	size_t		 len = sizeof raw;
	char		*x;

	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(keys[i], raw, &len), 1);
	x = b64u(raw, len);
	json_object_object_add(o, "kty", json_object_new_string("OKP"));
	json_object_object_add(o, "crv", json_object_new_string("Ed25519"));
	json_object_object_add(o, "x", json_object_new_string(x));
	json_object_object_add(o, "kid", json_object_new_string(kid));
	json_object_array_add(a, o);
	free(x);
}

char *
rst_jwks(int both)
{
	json_object	*set = json_object_new_object(), *a;
	char		*s;

	a = json_object_new_array();
	add_key(a, 0, "k1");
	if (both)
		add_key(a, 1, "k2");
	json_object_object_add(set, "keys", a);
	s = xstrdup(json_object_to_json_string_ext(set,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(set);
	return s;
}

char *
rst_token(int key, const char *kid, const char *patch)
{
	json_object	*c, *p;
	char		*h, *pl, *hdr, *msg, *sig, *tok;
	const char	*body;
	unsigned char	 raw[64];
	size_t		 rawlen = sizeof raw;
	EVP_MD_CTX	*md;

	c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string(RST_ISSUER));
	json_object_object_add(c, "aud", json_object_new_string(RST_RESOURCE));
	json_object_object_add(c, "sub", json_object_new_string("alice"));
	json_object_object_add(c, "exp", json_object_new_int64(RST_NOW +
	    3600));
	json_object_object_add(c, "scope", json_object_new_string("mcp"));
	if (patch != NULL) {
		p = json_tokener_parse(patch);
		ck_assert_ptr_nonnull(p);
		json_object_object_foreach(p, k, v)
			json_object_object_add(c, k, json_object_get(v));
		json_object_put(p);
	}
	xasprintf(&hdr, "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
	    kid);
	h = b64u(hdr, strlen(hdr));
	body = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	pl = b64u(body, strlen(body));
	xasprintf(&msg, "%s.%s", h, pl);
	md = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL,
	    keys[key - 1], NULL), 1);
	ck_assert_int_eq(EVP_DigestSign(md, raw, &rawlen,
	    (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);
	sig = b64u(raw, rawlen);
	xasprintf(&tok, "%s.%s", msg, sig);
	json_object_put(c);
	free(hdr);
	free(h);
	free(pl);
	free(msg);
	free(sig);
	return tok;
}
