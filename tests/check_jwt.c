/* SPDX-License-Identifier: ISC */
/*
 * check_jwt.c: access-token verification (jwt.c) against keys made here
 * with libcrypto (RSA 2048, P-256, Ed25519) and tokens signed here: the
 * four algorithms, the claims, and the refusals of issue 19's table
 * (expired, not yet valid, wrong aud or iss, a flipped bit, alg none,
 * HS256 keyed with the RSA public key, unknown kid, alg and key type
 * apart, malformed parts, oversize, weak or private keys, shared kids).
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base64.h"
#include "checktest.h"
#include "jwt.h"
#include "xmalloc.h"

/* 2026-01-01T00:00:00Z: every token's clock. */
#define NOW		1767225600LL
#define ISSUER		"https://issuer.example"
#define AUDIENCE	"https://bridge.example/mcp"

/* Made once in check_suite, before Check forks the tests. */
static EVP_PKEY	*rsa_key, *rsa_weak, *ec_key, *ed_key;

static const struct jwt_policy policy = {
	.issuer = ISSUER,
	.audience = AUDIENCE,
	.leeway = JWT_LEEWAY_DEFAULT,
};

/* ---- making keys and tokens ---- */

static char *
b64u(const void *p, size_t len)
{
	return base64_encode(p, len, BASE64_URL | BASE64_NOPAD);
}

static char *
b64u_bn(const BIGNUM *bn, int pad)
{
	unsigned char	buf[1024];
	int		n;

	n = pad > 0 ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	ck_assert_int_gt(n, 0);
	return b64u(buf, (size_t)n);
}

static void
add_b64_param(json_object *o, const char *name, EVP_PKEY *pkey,
    const char *param, int pad)
{
	BIGNUM	*bn = NULL;
	char	*s;

	ck_assert_int_eq(EVP_PKEY_get_bn_param(pkey, param, &bn), 1);
	s = b64u_bn(bn, pad);
	json_object_object_add(o, name, json_object_new_string(s));
	free(s);
	BN_free(bn);
}

/* The public JWK of pkey, with kid and alg when not NULL. */
static json_object *
jwk(EVP_PKEY *pkey, const char *kid, const char *alg)
{
	json_object	*o = json_object_new_object();
	unsigned char	 raw[32];
	size_t		 len = sizeof raw;
	char		*s;

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		json_object_object_add(o, "kty", json_object_new_string("RSA"));
		add_b64_param(o, "n", pkey, OSSL_PKEY_PARAM_RSA_N, 0);
		add_b64_param(o, "e", pkey, OSSL_PKEY_PARAM_RSA_E, 0);
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		json_object_object_add(o, "kty", json_object_new_string("EC"));
		json_object_object_add(o, "crv",
		    json_object_new_string("P-256"));
		add_b64_param(o, "x", pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		add_b64_param(o, "y", pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
	} else {
		json_object_object_add(o, "kty", json_object_new_string("OKP"));
		json_object_object_add(o, "crv",
		    json_object_new_string("Ed25519"));
		ck_assert_int_eq(EVP_PKEY_get_raw_public_key(pkey, raw, &len),
		    1);
		s = b64u(raw, len);
		json_object_object_add(o, "x", json_object_new_string(s));
		free(s);
	}
	if (kid != NULL)
		json_object_object_add(o, "kid", json_object_new_string(kid));
	if (alg != NULL)
		json_object_object_add(o, "alg", json_object_new_string(alg));
	return o;
}

/* {"keys":[...]} of the given JWKs (taken), as text (caller frees). */
static char *
jwks(json_object *first, ...)
{
	json_object	*set = json_object_new_object(), *keys, *k;
	va_list		 ap;
	char		*s;

	keys = json_object_new_array();
	va_start(ap, first);
	for (k = first; k != NULL; k = va_arg(ap, json_object *))
		json_object_array_add(keys, k);
	va_end(ap);
	json_object_object_add(set, "keys", keys);
	s = xstrdup(json_object_to_json_string_ext(set,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(set);
	return s;
}

/* The set the tests verify against: made in the test (ck_assert runs
 * there only), kept for the rest of the process. */
static const char *
jwks_std(void)
{
	static char	*text;

	if (text == NULL)
		text = jwks(jwk(rsa_key, "rsa1", NULL),
		    jwk(rsa_key, "rsa-rs256", "RS256"),
		    jwk(ec_key, "ec1", "ES256"), jwk(ed_key, "ed1", "EdDSA"),
		    NULL);
	return text;
}

static struct jwt_keyset *
keyset(const char *text)
{
	struct jwt_keyset	*ks;
	const char		*cause = NULL;

	ks = jwt_keyset_parse(text, strlen(text), &cause);
	ck_assert_msg(ks != NULL, "key set refused: %s", cause);
	return ks;
}

/* The cause a refused key set gives, or NULL if it was taken. */
static const char *
keyset_refusal(const char *text)
{
	struct jwt_keyset	*ks;
	const char		*cause = NULL;

	if ((ks = jwt_keyset_parse(text, strlen(text), &cause)) != NULL) {
		jwt_keyset_free(ks);
		return NULL;
	}
	ck_assert_ptr_nonnull(cause);
	return cause;
}

/* The signature of msg by pkey as alg puts it in a JWS; "HS256" uses
 * key[0..keylen) as the HMAC secret instead. */
static char *
signature(EVP_PKEY *pkey, const char *alg, const void *key, size_t keylen,
    const char *msg)
{
	EVP_MD_CTX	*md;
	EVP_PKEY_CTX	*pctx = NULL;
	unsigned char	 sig[1024], rs[64];
	const unsigned char *p;
	size_t		 siglen = sizeof sig;
	ECDSA_SIG	*es;
	const BIGNUM	*r, *s;
	const char	*digest = strcmp(alg, "EdDSA") == 0 ? NULL : "SHA256";

	if (strcmp(alg, "HS256") == 0) {
		ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256",
		    NULL, key, keylen, (const unsigned char *)msg, strlen(msg),
		    sig, sizeof sig, &siglen));
		return b64u(sig, siglen);
	}
	md = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestSignInit_ex(md, &pctx, digest, NULL, NULL,
	    pkey, NULL), 1);
	if (strcmp(alg, "PS256") == 0) {
		ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING), 0);
		ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST), 0);
	}
	ck_assert_int_eq(EVP_DigestSign(md, sig, &siglen,
	    (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);
	if (strcmp(alg, "ES256") != 0)
		return b64u(sig, siglen);
	/* libcrypto writes DER; JOSE wants r || s. */
	p = sig;
	es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	ck_assert_ptr_nonnull(es);
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, rs, 32);
	BN_bn2binpad(s, rs + 32, 32);
	ECDSA_SIG_free(es);
	return b64u(rs, sizeof rs);
}

/* header.payload.signature, signed by pkey as alg says (which need not
 * be what the header claims). */
static char *
token_signed(EVP_PKEY *pkey, const char *alg, const char *header,
    const char *payload)
{
	char	*h, *p, *msg, *sig, *tok;

	h = b64u(header, strlen(header));
	p = b64u(payload, strlen(payload));
	xasprintf(&msg, "%s.%s", h, p);
	sig = signature(pkey, alg, NULL, 0, msg);
	xasprintf(&tok, "%s.%s", msg, sig);
	free(h);
	free(p);
	free(msg);
	free(sig);
	return tok;
}

/* The claims of a good token, with patch's members set over them (a
 * member whose value is the string "-" is removed). */
static char *
claims(const char *patch)
{
	json_object	*o, *po;
	char		*s;

	o = json_object_new_object();
	json_object_object_add(o, "iss", json_object_new_string(ISSUER));
	json_object_object_add(o, "sub", json_object_new_string("alice"));
	json_object_object_add(o, "aud", json_object_new_string(AUDIENCE));
	json_object_object_add(o, "exp", json_object_new_int64(NOW + 300));
	json_object_object_add(o, "iat", json_object_new_int64(NOW - 10));
	json_object_object_add(o, "nbf", json_object_new_int64(NOW - 10));
	json_object_object_add(o, "jti", json_object_new_string("j-1"));
	json_object_object_add(o, "client_id",
	    json_object_new_string("web-app"));
	json_object_object_add(o, "scope",
	    json_object_new_string("mcp:tools files:read"));
	if (patch != NULL) {
		po = json_tokener_parse(patch);
		ck_assert_msg(po != NULL, "bad patch %s", patch);
		json_object_object_foreach(po, k, v) {
			if (json_object_is_type(v, json_type_string) &&
			    strcmp(json_object_get_string(v), "-") == 0)
				json_object_object_del(o, k);
			else
				json_object_object_add(o, k,
				    json_object_get(v));
		}
		json_object_put(po);
	}
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* A good RS256 token with the claims patched. */
static char *
rs256_token(const char *patch)
{
	char	*p, *t;

	p = claims(patch);
	t = token_signed(rsa_key, "RS256",
	    "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"rsa1\"}", p);
	free(p);
	return t;
}

/*
 * Parses and verifies tok against ks with pol; on failure the cause is
 * set and holds nothing of the token.  Fills *c if not NULL (the caller
 * frees it), else frees the claims.
 */
static enum jwt_result
run(const char *tok, size_t len, const struct jwt_keyset *ks,
    const struct jwt_policy *pol, struct jwt_claims *c)
{
	struct jwt		*t = NULL;
	struct jwt_claims	 mine;
	const char		*cause = NULL, *dot;
	enum jwt_result		 r;
	char			 part[16];

	if (c == NULL)
		c = &mine;
	memset(c, 0, sizeof *c);
	r = jwt_parse(tok, len, &t, &cause);
	ck_assert_int_eq(r == JWT_OK, t != NULL);
	if (r == JWT_OK) {
		r = jwt_verify(t, ks, pol, NOW, c, &cause);
		jwt_free(t);
	}
	if (r != JWT_OK) {
		ck_assert_ptr_nonnull(cause);
		ck_assert_ptr_null(c->sub);
		/* No piece of the token in the log line: "eyJ" starts
		 * every JSON part, and the signature's first characters. */
		ck_assert_ptr_null(strstr(cause, "eyJ"));
		if ((dot = strrchr(tok, '.')) != NULL &&
		    strlen(dot + 1) >= sizeof part - 1) {
			memcpy(part, dot + 1, sizeof part - 1);
			part[sizeof part - 1] = '\0';
			ck_assert_ptr_null(strstr(cause, part));
		}
	}
	if (c == &mine)
		jwt_claims_free(c);
	return r;
}

static enum jwt_result
verify(const char *tok)
{
	struct jwt_keyset	*ks = keyset(jwks_std());
	enum jwt_result		 r;

	r = run(tok, strlen(tok), ks, &policy, NULL);
	jwt_keyset_free(ks);
	return r;
}

#define ck_result(got, want) do {					\
	enum jwt_result _g = (got), _w = (want);			\
	ck_assert_msg(_g == _w, "got %s, want %s", jwt_result_name(_g),	\
	    jwt_result_name(_w));					\
} while (0)

/* An RS256 token with claims patched as printf makes it: want. */
static void expect_claims(enum jwt_result, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
expect_claims(enum jwt_result want, const char *fmt, ...)
{
	va_list	 ap;
	char	*patch, *tok;

	va_start(ap, fmt);
	xvasprintf(&patch, fmt, ap);
	va_end(ap);
	tok = rs256_token(patch);
	ck_assert_msg(verify(tok) == want, "patch %s: want %s", patch,
	    jwt_result_name(want));
	free(tok);
	free(patch);
}

/* tok with one bit of its signature (decoded) flipped. */
static char *
flip_signature_bit(const char *tok, size_t bit)
{
	const char	*dot = strrchr(tok, '.');
	unsigned char	 sig[1024];
	size_t		 len;
	char		*s, *out;

	ck_assert_int_eq(base64_decode(dot + 1, strlen(dot + 1), sig, &len,
	    BASE64_URL | BASE64_NOPAD), 0);
	sig[(bit / 8) % len] ^= 1u << (bit % 8);
	s = b64u(sig, len);
	xasprintf(&out, "%.*s.%s", (int)(dot - tok), tok, s);
	free(s);
	return out;
}

/* ---- good tokens ---- */

static const struct {
	const char	*alg;
	const char	*kid;
	EVP_PKEY	**key;
} good[] = {
	{ "RS256", "rsa1", &rsa_key },
	{ "PS256", "rsa1", &rsa_key },
	{ "ES256", "ec1", &ec_key },
	{ "EdDSA", "ed1", &ed_key },
};

START_TEST(test_each_alg)
{
	struct jwt_keyset	*ks = keyset(jwks_std());
	struct jwt_claims	 c;
	char			*h, *p, *pb, *tok, *bad;
	size_t			 bit;

	xasprintf(&h, "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
	    good[_i].alg, good[_i].kid);
	p = claims(NULL);
	tok = token_signed(*good[_i].key, good[_i].alg, h, p);
	ck_result(run(tok, strlen(tok), ks, &policy, &c), JWT_OK);
	ck_assert_str_eq(c.iss, ISSUER);
	ck_assert_str_eq(c.sub, "alice");
	ck_assert_str_eq(c.client_id, "web-app");
	ck_assert_uint_eq(c.nscopes, 2);
	ck_assert_str_eq(c.scopes[0], "mcp:tools");
	ck_assert_str_eq(c.scopes[1], "files:read");
	ck_assert_int_eq(c.exp, NOW + 300);
	ck_assert_str_eq(json_object_get_string(
	    json_object_object_get(c.payload, "jti")), "j-1");
	jwt_claims_free(&c);
	ck_assert_ptr_null(c.sub);
	jwt_claims_free(&c);		/* a zeroed one is fine */

	/* One bit of the signature, anywhere: first, middle, last byte. */
	for (bit = 0; bit < 64 * 8; bit += 61) {
		bad = flip_signature_bit(tok, bit);
		ck_result(run(bad, strlen(bad), ks, &policy, NULL),
		    JWT_BAD_SIGNATURE);
		free(bad);
	}
	/* Other claims under the same header and signature. */
	free(p);
	p = claims("{\"sub\":\"mallory\"}");
	pb = b64u(p, strlen(p));
	xasprintf(&bad, "%.*s.%s%s", (int)(strchr(tok, '.') - tok), tok, pb,
	    strrchr(tok, '.'));
	ck_result(run(bad, strlen(bad), ks, &policy, NULL), JWT_BAD_SIGNATURE);
	free(bad);
	free(pb);
	free(h);
	free(p);
	free(tok);
	jwt_keyset_free(ks);
}
END_TEST

START_TEST(test_typ)
{
	struct jwt_keyset	*ks = keyset(jwks_std());
	struct jwt_policy	 strict = policy;
	static const struct {
		const char	*header;
		enum jwt_result	 want, want_strict;
	} cases[] = {
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"typ\":\"at+jwt\"}",
		    JWT_OK, JWT_OK },
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\","
		    "\"typ\":\"application/AT+JWT\"}", JWT_OK, JWT_OK },
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"typ\":\"JWT\"}",
		    JWT_OK, JWT_TYPE_REFUSED },
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\"}",
		    JWT_OK, JWT_TYPE_REFUSED },
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"typ\":\"dpop+jwt\"}",
		    JWT_TYPE_REFUSED, JWT_TYPE_REFUSED },
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\","
		    "\"typ\":\"at+jwt\\u0000\"}", JWT_MALFORMED,
		    JWT_MALFORMED },
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"typ\":7}",
		    JWT_MALFORMED, JWT_MALFORMED },
	};
	size_t			 i;
	char			*p = claims(NULL), *tok;

	strict.require_at_jwt = 1;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tok = token_signed(rsa_key, "RS256", cases[i].header, p);
		ck_result(run(tok, strlen(tok), ks, &policy, NULL),
		    cases[i].want);
		ck_result(run(tok, strlen(tok), ks, &strict, NULL),
		    cases[i].want_strict);
		free(tok);
	}
	free(p);
	jwt_keyset_free(ks);
}
END_TEST

/* ---- claims ---- */

START_TEST(test_time)
{
	expect_claims(JWT_OK, "{\"exp\":%lld}", NOW + 1);
	/* Within the leeway, then at and past it. */
	expect_claims(JWT_OK, "{\"exp\":%lld}", NOW - 59);
	expect_claims(JWT_EXPIRED, "{\"exp\":%lld}", NOW - 60);
	expect_claims(JWT_EXPIRED, "{\"exp\":%lld}", NOW - 3600);
	expect_claims(JWT_BAD_CLAIMS, "{\"exp\":\"-\"}");
	expect_claims(JWT_BAD_CLAIMS, "{\"exp\":\"%lld\"}", NOW + 300);
	expect_claims(JWT_BAD_CLAIMS, "{\"exp\":null}");
	expect_claims(JWT_BAD_CLAIMS, "{\"exp\":-1}");
	expect_claims(JWT_BAD_CLAIMS, "{\"exp\":1e300}");
	expect_claims(JWT_BAD_CLAIMS, "{\"exp\":99999999999999999999999}");
	expect_claims(JWT_OK, "{\"exp\":%lld.5}", NOW + 300);
	/* nbf and iat: the future past the leeway is refused. */
	expect_claims(JWT_OK, "{\"nbf\":%lld}", NOW + 59);
	expect_claims(JWT_NOT_YET_VALID, "{\"nbf\":%lld}", NOW + 61);
	expect_claims(JWT_NOT_YET_VALID, "{\"iat\":%lld}", NOW + 120);
	expect_claims(JWT_OK, "{\"nbf\":\"-\",\"iat\":\"-\"}");
	expect_claims(JWT_BAD_CLAIMS, "{\"nbf\":true}");
	expect_claims(JWT_BAD_CLAIMS, "{\"iat\":\"yesterday\"}");
}
END_TEST

START_TEST(test_issuer_audience)
{
	expect_claims(JWT_BAD_ISSUER, "{\"iss\":\"https://evil.example\"}");
	expect_claims(JWT_BAD_ISSUER, "{\"iss\":\"%s/\"}", ISSUER);
	expect_claims(JWT_BAD_ISSUER, "{\"iss\":\"HTTPS://ISSUER.EXAMPLE\"}");
	expect_claims(JWT_BAD_ISSUER, "{\"iss\":\"%s\\u0000x\"}", ISSUER);
	expect_claims(JWT_BAD_ISSUER, "{\"iss\":\"-\"}");
	expect_claims(JWT_BAD_ISSUER, "{\"iss\":[\"%s\"]}", ISSUER);

	expect_claims(JWT_BAD_AUDIENCE, "{\"aud\":\"https://other/mcp\"}");
	expect_claims(JWT_BAD_AUDIENCE, "{\"aud\":\"%s/\"}", AUDIENCE);
	expect_claims(JWT_BAD_AUDIENCE, "{\"aud\":[\"a\",\"b\"]}");
	expect_claims(JWT_OK, "{\"aud\":[\"a\",\"%s\"]}", AUDIENCE);
	expect_claims(JWT_BAD_AUDIENCE, "{\"aud\":[\"%s\",7]}", AUDIENCE);
	expect_claims(JWT_BAD_AUDIENCE, "{\"aud\":[]}");
	expect_claims(JWT_BAD_AUDIENCE, "{\"aud\":\"-\"}");
	expect_claims(JWT_BAD_AUDIENCE, "{\"aud\":{\"x\":1}}");
}
END_TEST

START_TEST(test_subject_scope_client)
{
	struct jwt_keyset	*ks = keyset(jwks_std());
	struct jwt_claims	 c;
	char			*tok;

	expect_claims(JWT_BAD_CLAIMS, "{\"sub\":\"-\"}");
	expect_claims(JWT_BAD_CLAIMS, "{\"sub\":\"\"}");
	expect_claims(JWT_BAD_CLAIMS, "{\"sub\":\"alice\\u0000bob\"}");
	expect_claims(JWT_BAD_CLAIMS, "{\"sub\":42}");
	expect_claims(JWT_BAD_CLAIMS, "{\"scope\":\"a \\\"b\\\"\"}");
	expect_claims(JWT_BAD_CLAIMS, "{\"scope\":[\"a\",1]}");
	expect_claims(JWT_BAD_CLAIMS, "{\"scope\":42}");
	expect_claims(JWT_BAD_CLAIMS, "{\"client_id\":42}");
	expect_claims(JWT_OK, "{\"client_id\":\"-\"}");

	/* scp as an array, azp for client_id, spaces doubled. */
	tok = rs256_token("{\"scope\":\"-\",\"scp\":[\"x\",\"y:z\"],"
	    "\"client_id\":\"-\",\"azp\":\"spa\"}");
	ck_result(run(tok, strlen(tok), ks, &policy, &c), JWT_OK);
	ck_assert_uint_eq(c.nscopes, 2);
	ck_assert_str_eq(c.scopes[1], "y:z");
	ck_assert_str_eq(c.client_id, "spa");
	jwt_claims_free(&c);
	free(tok);
	tok = rs256_token("{\"scope\":\"  a  b \",\"client_id\":\"-\"}");
	ck_result(run(tok, strlen(tok), ks, &policy, &c), JWT_OK);
	ck_assert_uint_eq(c.nscopes, 2);
	ck_assert_str_eq(c.scopes[0], "a");
	ck_assert_str_eq(c.scopes[1], "b");
	ck_assert_ptr_null(c.client_id);
	jwt_claims_free(&c);
	free(tok);
	tok = rs256_token("{\"scope\":\"\"}");
	ck_result(run(tok, strlen(tok), ks, &policy, &c), JWT_OK);
	ck_assert_uint_eq(c.nscopes, 0);
	jwt_claims_free(&c);
	free(tok);
	jwt_keyset_free(ks);
}
END_TEST

START_TEST(test_unverified_issuer)
{
	struct jwt	*t;
	const char	*cause;
	char		*tok = rs256_token(NULL);

	ck_result(jwt_parse(tok, strlen(tok), &t, &cause), JWT_OK);
	ck_assert_str_eq(jwt_unverified_issuer(t), ISSUER);
	jwt_free(t);
	free(tok);
	tok = rs256_token("{\"iss\":\"-\"}");
	ck_result(jwt_parse(tok, strlen(tok), &t, &cause), JWT_OK);
	ck_assert_ptr_null(jwt_unverified_issuer(t));
	jwt_free(t);
	free(tok);
}
END_TEST

/* ---- the algorithm and the key ---- */

START_TEST(test_alg_none_and_hmac)
{
	char		*p = claims(NULL), *h, *pl, *msg, *tok, *sig, *pem;
	BIO		*bio;
	long		 pemlen;
	BIGNUM		*n = NULL;
	unsigned char	 nbuf[512];
	int		 nlen;
	static const char *const refused[] = {
		"{\"alg\":\"none\",\"kid\":\"rsa1\"}",
		"{\"alg\":\"None\",\"kid\":\"rsa1\"}",
		"{\"alg\":\"NONE\"}",
		"{\"alg\":\"HS256\",\"kid\":\"rsa1\"}",
		"{\"alg\":\"HS512\",\"kid\":\"rsa1\"}",
		"{\"alg\":\"RS512\",\"kid\":\"rsa1\"}",
		"{\"alg\":\"ES384\",\"kid\":\"ec1\"}",
		"{\"alg\":\"rs256\",\"kid\":\"rsa1\"}",
	};
	size_t		 i;

	/* alg none: an empty signature part, or any at all. */
	h = b64u(refused[0], strlen(refused[0]));
	pl = b64u(p, strlen(p));
	xasprintf(&tok, "%s.%s.", h, pl);
	ck_result(verify(tok), JWT_ALG_REFUSED);
	free(tok);
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		tok = token_signed(rsa_key, "RS256", refused[i], p);
		ck_result(verify(tok), JWT_ALG_REFUSED);
		free(tok);
	}

	/* HS256 keyed with the RSA public key as a verifier that mixes
	 * the two would use it: its PEM text, and the modulus. */
	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, rsa_key), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	free(h);
	h = b64u(refused[3], strlen(refused[3]));
	xasprintf(&msg, "%s.%s", h, pl);
	sig = signature(NULL, "HS256", pem, (size_t)pemlen, msg);
	xasprintf(&tok, "%s.%s", msg, sig);
	ck_result(verify(tok), JWT_ALG_REFUSED);
	free(sig);
	free(tok);
	BIO_free(bio);
	ck_assert_int_eq(EVP_PKEY_get_bn_param(rsa_key,
	    OSSL_PKEY_PARAM_RSA_N, &n), 1);
	nlen = BN_bn2bin(n, nbuf);
	sig = signature(NULL, "HS256", nbuf, (size_t)nlen, msg);
	xasprintf(&tok, "%s.%s", msg, sig);
	ck_result(verify(tok), JWT_ALG_REFUSED);
	BN_free(n);
	free(sig);
	free(tok);
	free(msg);
	free(h);
	free(pl);
	free(p);
}
END_TEST

START_TEST(test_alg_key_mismatch)
{
	char		*p = claims(NULL), *tok;
	static const struct {
		const char	*header;
		const char	*sign_as;
		EVP_PKEY	**key;
		enum jwt_result	 want;
	} cases[] = {
		/* ES256 header, RSA key's kid (signed with the EC key). */
		{ "{\"alg\":\"ES256\",\"kid\":\"rsa1\"}", "ES256", &ec_key,
		    JWT_ALG_REFUSED },
		{ "{\"alg\":\"RS256\",\"kid\":\"ec1\"}", "RS256", &rsa_key,
		    JWT_ALG_REFUSED },
		{ "{\"alg\":\"EdDSA\",\"kid\":\"rsa1\"}", "EdDSA", &ed_key,
		    JWT_ALG_REFUSED },
		{ "{\"alg\":\"RS256\",\"kid\":\"ed1\"}", "RS256", &rsa_key,
		    JWT_ALG_REFUSED },
		/* The key says RS256: PS256 with it is refused. */
		{ "{\"alg\":\"PS256\",\"kid\":\"rsa-rs256\"}", "PS256",
		    &rsa_key, JWT_ALG_REFUSED },
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa-rs256\"}", "RS256",
		    &rsa_key, JWT_OK },
		/* RS256 header, PSS signature: the padding is the alg's. */
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", "PS256", &rsa_key,
		    JWT_BAD_SIGNATURE },
		{ "{\"alg\":\"PS256\",\"kid\":\"rsa1\"}", "RS256", &rsa_key,
		    JWT_BAD_SIGNATURE },
		/* Signed by another key than the kid's. */
		{ "{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", "RS256", &rsa_weak,
		    JWT_BAD_SIGNATURE },
		{ "{\"alg\":\"RS256\",\"kid\":\"nope\"}", "RS256", &rsa_key,
		    JWT_UNKNOWN_KID },
		{ "{\"alg\":\"EdDSA\",\"kid\":\"\"}", "EdDSA", &ed_key,
		    JWT_MALFORMED },
		/* No kid: the one key of the alg's type, if there is one. */
		{ "{\"alg\":\"EdDSA\"}", "EdDSA", &ed_key, JWT_OK },
		{ "{\"alg\":\"ES256\"}", "ES256", &ec_key, JWT_OK },
		{ "{\"alg\":\"RS256\"}", "RS256", &rsa_key, JWT_UNKNOWN_KID },
	};
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tok = token_signed(*cases[i].key, cases[i].sign_as,
		    cases[i].header, p);
		ck_assert_msg(verify(tok) == cases[i].want, "case %zu: %s",
		    i, cases[i].header);
		free(tok);
	}
	free(p);
}
END_TEST

/* ---- malformed tokens ---- */

START_TEST(test_malformed)
{
	char		*good_tok = rs256_token(NULL), *tok, *h, *p, *sig;
	const char	*d1 = strchr(good_tok, '.'), *d2 = strrchr(good_tok, '.');
	struct jwt_keyset *ks;
	struct jwt	*t;
	const char	*cause;
	static const char *const texts[] = {
		"",
		".",
		"..",
		"abc",
		"abc.def",
		"a.b.c.d",
		"a.b.c.d.e",
		"eyJhbGciOiJSUzI1NiJ9..sig",
		"e30.e30.AAAA",
	};
	static const char *const headers[] = {
		"[\"RS256\"]",
		"{\"alg\":\"RS256\",}",
		"{\"alg\":RS256}",
		"{\"alg\":\"RS256\",\"crit\":[\"exp\"]}",
		"{\"alg\":\"RS256\",\"b64\":false}",
		"{\"alg\":null}",
		"{\"alg\":\"RS256\\u0000\"}",
		"{\"kid\":\"rsa1\"}",
		"{\"alg\":\"RS256\",\"kid\":7}",
		"{\"alg\":\"RS256\"} x",
	};
	size_t		 i, len;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		ck_result(jwt_parse(texts[i], strlen(texts[i]), &t, &cause),
		    JWT_MALFORMED);
		ck_assert_ptr_null(t);
	}
	for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		p = claims(NULL);
		tok = token_signed(rsa_key, "RS256", headers[i], p);
		ck_assert_msg(verify(tok) == JWT_MALFORMED, "%s", headers[i]);
		free(tok);
		free(p);
	}
	/* Payloads that are not a JSON object. */
	tok = token_signed(rsa_key, "RS256", "{\"alg\":\"RS256\"}", "[1]");
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);
	tok = token_signed(rsa_key, "RS256", "{\"alg\":\"RS256\"}",
	    "{\"a\":NaN}");
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);

	/* Base64url, strictly: padding, white space, the other alphabet,
	 * a bad character, in each part. */
	len = strlen(good_tok);
	ck_result(verify(good_tok), JWT_OK);
	xasprintf(&tok, "%s=", good_tok);
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);
	xasprintf(&tok, "%s ", good_tok);
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);
	xasprintf(&tok, " %s", good_tok);
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);
	xasprintf(&tok, "%.*s\n%s", (int)(d1 - good_tok), good_tok, d1);
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);
	xasprintf(&tok, "%.*s==%s", (int)(d1 - good_tok), good_tok, d1);
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);
	for (i = 0; i < len; i++) {
		if (good_tok[i] != '-' && good_tok[i] != '_')
			continue;
		tok = xstrdup(good_tok);
		tok[i] = tok[i] == '-' ? '+' : '/';
		ck_result(verify(tok), JWT_MALFORMED);
		free(tok);
		break;
	}
	tok = xstrdup(good_tok);
	tok[d2 - good_tok + 5] = '*';
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);
	/* A NUL inside: the length counts, not the C string. */
	tok = xstrdup(good_tok);
	tok[d1 - good_tok + 3] = '\0';
	ks = keyset(jwks_std());
	ck_result(run(tok, len, ks, &policy, NULL), JWT_MALFORMED);
	jwt_keyset_free(ks);
	free(tok);
	/* Non-zero unused bits at the end of the signature: another
	 * spelling of the same bytes is not the same token. */
	sig = xstrdup(d2 + 1);
	h = xstrndup(good_tok, d2 - good_tok);
	len = strlen(sig);
	if (strchr("AQgw", sig[len - 1]) != NULL) {
		sig[len - 1]++;
		xasprintf(&tok, "%s.%s", h, sig);
		ck_result(verify(tok), JWT_MALFORMED);
		free(tok);
	}
	free(sig);
	free(h);
	free(good_tok);
}
END_TEST

/* A good token whose "pad" claim is n bytes. */
static char *
padded_token(size_t n)
{
	char	*pad, *patch, *tok;

	pad = xmalloc(n + 1);
	memset(pad, 'x', n);
	pad[n] = '\0';
	xasprintf(&patch, "{\"pad\":\"%s\"}", pad);
	tok = rs256_token(patch);
	free(patch);
	free(pad);
	return tok;
}

START_TEST(test_oversize)
{
	char	*tok, *last = NULL;
	size_t	 n, base;

	/* Grow a good token a byte at a time across the limit: the last
	 * within it passes, the first past it (by 1 to 4 bytes) is refused
	 * before anything is decoded. */
	tok = padded_token(0);
	base = strlen(tok);
	free(tok);
	for (n = (JWT_MAX_TOKEN_LEN - base) * 3 / 4 - 8;; n++) {
		tok = padded_token(n);
		if (strlen(tok) > JWT_MAX_TOKEN_LEN)
			break;
		free(last);
		last = tok;
	}
	ck_assert_ptr_nonnull(last);
	ck_result(verify(last), JWT_OK);
	ck_assert_uint_le(strlen(tok), JWT_MAX_TOKEN_LEN + 4);
	ck_result(verify(tok), JWT_MALFORMED);
	free(tok);
	free(last);
}
END_TEST

/* ---- key sets ---- */

START_TEST(test_keyset)
{
	struct jwt_keyset	*ks;
	const char		*kid, *cause;

	ks = keyset(jwks_std());
	ck_assert_uint_eq(jwt_keyset_count(ks), 4);
	ck_assert_uint_eq(jwt_keyset_nskipped(ks), 0);
	ck_assert_ptr_null(jwt_keyset_skipped(ks, 0, &kid));
	jwt_keyset_free(ks);

	/* Whole-set refusals. */
	ck_assert_ptr_nonnull(keyset_refusal(""));
	ck_assert_ptr_nonnull(keyset_refusal("[]"));
	ck_assert_ptr_nonnull(keyset_refusal("{}"));
	ck_assert_ptr_nonnull(keyset_refusal("{\"keys\":{}}"));
	ck_assert_ptr_nonnull(keyset_refusal("{\"keys\":[]}"));
	ck_assert_ptr_nonnull(keyset_refusal("{\"keys\":[1]}"));
	ck_assert_ptr_nonnull(keyset_refusal("{\"keys\":[{\"kty\":\"RSA\"}]}"));
	ck_assert_ptr_nonnull(keyset_refusal(
	    "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"));

	/* A JWK with its private part: the issuer leaked its key. */
	{
		json_object	*k = jwk(rsa_key, "leak", NULL);
		char		*text;

		json_object_object_add(k, "d", json_object_new_string("AQAB"));
		text = jwks(jwk(ec_key, "ec1", NULL), k, NULL);
		cause = keyset_refusal(text);
		ck_assert_ptr_nonnull(cause);
		ck_assert_ptr_nonnull(strstr(cause, "private"));
		free(text);
		k = jwk(ed_key, "leak", NULL);
		json_object_object_add(k, "d", json_object_new_string(""));
		text = jwks(k, NULL);
		ck_assert_ptr_nonnull(keyset_refusal(text));
		free(text);
	}
}
END_TEST

START_TEST(test_keyset_weak_rsa)
{
	struct jwt_keyset	*ks;
	const char		*kid, *cause;
	char			*text, *tok, *p;

	/* RSA 1024 alone: no usable key, the set is refused. */
	text = jwks(jwk(rsa_weak, "weak", "RS256"), NULL);
	cause = keyset_refusal(text);
	ck_assert_ptr_nonnull(cause);
	free(text);

	/* Beside a good key: skipped, and a token naming it says so. */
	text = jwks(jwk(rsa_weak, "weak", "RS256"),
	    jwk(rsa_key, "rsa1", NULL), NULL);
	ks = keyset(text);
	ck_assert_uint_eq(jwt_keyset_count(ks), 1);
	ck_assert_uint_eq(jwt_keyset_nskipped(ks), 1);
	cause = jwt_keyset_skipped(ks, 0, &kid);
	ck_assert_str_eq(kid, "weak");
	ck_assert_ptr_nonnull(strstr(cause, "2048"));
	p = claims(NULL);
	tok = token_signed(rsa_weak, "RS256",
	    "{\"alg\":\"RS256\",\"kid\":\"weak\"}", p);
	ck_result(run(tok, strlen(tok), ks, &policy, NULL), JWT_KEY_UNUSABLE);
	free(tok);
	free(p);
	jwt_keyset_free(ks);
	free(text);
}
END_TEST

START_TEST(test_keyset_duplicate_kid)
{
	struct jwt_keyset	*ks;
	char			*text, *p, *tok;

	/* One kid, one type, two keys: which is meant? Refused. */
	text = jwks(jwk(rsa_key, "k", NULL), jwk(rsa_weak, "x", NULL),
	    jwk(rsa_key, "k", "PS256"), NULL);
	ck_assert_ptr_nonnull(keyset_refusal(text));
	free(text);
	text = jwks(jwk(ed_key, "k", NULL), jwk(ed_key, "k", NULL), NULL);
	ck_assert_ptr_nonnull(keyset_refusal(text));
	free(text);

	/* One kid across types (RFC 7517 4.5): the alg picks the key. */
	text = jwks(jwk(rsa_key, "k", NULL), jwk(ec_key, "k", NULL),
	    jwk(ed_key, "k", NULL), NULL);
	ks = keyset(text);
	p = claims(NULL);
	tok = token_signed(rsa_key, "RS256", "{\"alg\":\"RS256\",\"kid\":\"k\"}",
	    p);
	ck_result(run(tok, strlen(tok), ks, &policy, NULL), JWT_OK);
	free(tok);
	tok = token_signed(ec_key, "ES256", "{\"alg\":\"ES256\",\"kid\":\"k\"}",
	    p);
	ck_result(run(tok, strlen(tok), ks, &policy, NULL), JWT_OK);
	free(tok);
	tok = token_signed(ed_key, "EdDSA", "{\"alg\":\"EdDSA\",\"kid\":\"k\"}",
	    p);
	ck_result(run(tok, strlen(tok), ks, &policy, NULL), JWT_OK);
	free(tok);
	free(p);
	jwt_keyset_free(ks);
	free(text);

	/* A skipped key may share a usable one's kid: the usable one. */
	text = jwks(jwk(rsa_weak, "k", NULL), jwk(rsa_key, "k", NULL), NULL);
	ks = keyset(text);
	ck_assert_uint_eq(jwt_keyset_count(ks), 1);
	jwt_keyset_free(ks);
	free(text);
}
END_TEST

/* Each entry is skipped (the set keeps its good key): cause has want. */
START_TEST(test_keyset_skipped)
{
	static const struct {
		const char	*member;	/* set over an EC or RSA JWK */
		const char	*value;		/* JSON */
		int		 rsa;
		const char	*want;
	} cases[] = {
		{ "use", "\"enc\"", 0, "use" },
		{ "use", "7", 0, "use" },
		{ "key_ops", "[\"sign\"]", 0, "verify" },
		{ "key_ops", "\"verify\"", 0, "key_ops" },
		{ "alg", "\"RS256\"", 0, "kty" },
		{ "alg", "\"HS256\"", 1, "alg" },
		{ "alg", "\"none\"", 1, "alg" },
		{ "crv", "\"P-384\"", 0, "P-256" },
		{ "crv", "\"secp256k1\"", 0, "P-256" },
		{ "kty", "\"oct\"", 0, "kty" },
		{ "kty", "\"EC\"", 1, "P-256" },
		{ "kty", "7", 0, "kty" },
		{ "kid", "\"\"", 0, "kid" },
		{ "kid", "7", 0, "kid" },
		/* A point off the curve, a short coordinate, bad base64. */
		{ "x", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", 0,
		    "point" },
		{ "y", "\"AAAA\"", 0, "32" },
		{ "x", "\"AA==\"", 0, "base64url" },
		{ "x", "7", 0, "string" },
		{ "e", "\"Ag\"", 1, "exponent" },
		{ "e", "\"AQ\"", 1, "exponent" },
		{ "e", "\"AQAAAAAB\"", 1, "base64url" },
		{ "n", "\"AQAB\"", 1, "2048" },
	};
	json_object		*k, *v;
	struct jwt_keyset	*ks;
	const char		*cause, *kid;
	char			*text;
	size_t			 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		k = jwk(cases[i].rsa ? rsa_key : ec_key, "odd", NULL);
		v = json_tokener_parse(cases[i].value);
		ck_assert_ptr_nonnull(v);
		json_object_object_add(k, cases[i].member, v);
		text = jwks(k, jwk(ed_key, "ed1", NULL), NULL);
		ks = keyset(text);
		ck_assert_msg(jwt_keyset_count(ks) == 1 &&
		    jwt_keyset_nskipped(ks) == 1, "case %zu", i);
		cause = jwt_keyset_skipped(ks, 0, &kid);
		ck_assert_msg(strstr(cause, cases[i].want) != NULL,
		    "case %zu: cause \"%s\" lacks \"%s\"", i, cause,
		    cases[i].want);
		jwt_keyset_free(ks);
		free(text);
	}
	/* Ed25519 of another length, Ed448. */
	k = jwk(ed_key, "odd", NULL);
	json_object_object_add(k, "x", json_object_new_string("AAAA"));
	text = jwks(k, jwk(ec_key, "ec1", NULL), NULL);
	ks = keyset(text);
	ck_assert_uint_eq(jwt_keyset_nskipped(ks), 1);
	jwt_keyset_free(ks);
	free(text);
	k = jwk(ed_key, "odd", NULL);
	json_object_object_add(k, "crv", json_object_new_string("Ed448"));
	text = jwks(k, jwk(ec_key, "ec1", NULL), NULL);
	ks = keyset(text);
	ck_assert_uint_eq(jwt_keyset_nskipped(ks), 1);
	jwt_keyset_free(ks);
	free(text);
}
END_TEST

START_TEST(test_keyset_limits)
{
	json_object	*set, *keys, *k;
	char		*text, *big;
	size_t		 i;

	/* JWT_JWKS_MAX_KEYS entries pass; one more does not. */
	set = json_object_new_object();
	keys = json_object_new_array();
	for (i = 0; i < JWT_JWKS_MAX_KEYS; i++) {
		k = json_object_new_object();
		json_object_object_add(k, "kty",
		    json_object_new_string("unknown"));
		json_object_array_add(keys, k);
	}
	json_object_array_put_idx(keys, 0, jwk(ed_key, "ed1", NULL));
	json_object_object_add(set, "keys", keys);
	text = xstrdup(json_object_to_json_string(set));
	ck_assert_ptr_null(keyset_refusal(text));
	free(text);
	json_object_array_add(keys, json_object_new_object());
	text = xstrdup(json_object_to_json_string(set));
	ck_assert_ptr_nonnull(keyset_refusal(text));
	free(text);
	json_object_put(set);

	/* Longer than JWT_JWKS_MAX_LEN, however good. */
	text = jwks(jwk(ed_key, "ed1", NULL), NULL);
	big = xmalloc(JWT_JWKS_MAX_LEN + 2);
	memset(big, ' ', JWT_JWKS_MAX_LEN + 1);
	memcpy(big, text, strlen(text));
	big[JWT_JWKS_MAX_LEN + 1] = '\0';
	ck_assert_ptr_nonnull(keyset_refusal(big));
	big[JWT_JWKS_MAX_LEN] = '\0';
	ck_assert_ptr_null(keyset_refusal(big));
	free(big);
	free(text);
}
END_TEST

START_TEST(test_result_names)
{
	int	i, j;

	for (i = 0; i < JWT_NRESULTS; i++) {
		ck_assert_ptr_nonnull(jwt_result_name(i));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(jwt_result_name(i),
			    jwt_result_name(j));
	}
	ck_assert_str_eq(jwt_result_name(JWT_OK), "ok");
	ck_assert_str_eq(jwt_result_name(JWT_EXPIRED), "expired");
	ck_assert_str_eq(jwt_result_name(JWT_NRESULTS), "unknown");
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("jwt");
	TCase	*tc = tcase_create("jwt");

	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa_weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (rsa_key == NULL || rsa_weak == NULL || ec_key == NULL ||
	    ed_key == NULL)
		abort();

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_each_alg, 0,
	    sizeof good / sizeof good[0]);
	tcase_add_test(tc, test_typ);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_issuer_audience);
	tcase_add_test(tc, test_subject_scope_client);
	tcase_add_test(tc, test_unverified_issuer);
	tcase_add_test(tc, test_alg_none_and_hmac);
	tcase_add_test(tc, test_alg_key_mismatch);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_keyset);
	tcase_add_test(tc, test_keyset_weak_rsa);
	tcase_add_test(tc, test_keyset_duplicate_kid);
	tcase_add_test(tc, test_keyset_skipped);
	tcase_add_test(tc, test_keyset_limits);
	tcase_add_test(tc, test_result_names);
	suite_add_tcase(s, tc);
	return s;
}
