/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jwt.c: key sets and access tokens (jwt.c) from arbitrary bytes.
 *
 * Input: one byte chooses the mode, the rest is its material.
 *   0  a JWK Set
 *   1  a token, verified against the fixed set
 *   2  a two-byte length, a JWK Set of that length, a token verified
 *      against it
 *   3  a two-byte length, a header of that length and a payload: the
 *      target encodes and signs them (Ed25519 or P-256, by the mode
 *      byte's high bit), so the claims checks run past the signature
 * The fixed set holds an Ed25519 key made from a fixed seed (kid "ed",
 * so committed tokens verify), a P-256 key ("ec") and RSA 2048 ("rsa").
 *
 * Whatever the input: a result in range with a cause exactly when it is
 * not ok, claims filled only on ok and then meeting the policy (issuer,
 * a subject, not expired past the leeway, scope-tokens), sets within
 * their limits, nothing leaked.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "base64.h"
#include "fuzz.h"
#include "jwt.h"
#include "log.h"
#include "xmalloc.h"

/* 2026-01-01T00:00:00Z, as in check_jwt.c. */
#define FUZZ_NOW	1767225600LL

static EVP_PKEY			*ed_key, *ec_key, *rsa_key;
static struct jwt_keyset	*fixed_set;

static const struct jwt_policy	 policy = {
	.issuer = "https://issuer.example",
	.audience = "https://bridge.example/mcp",
	.leeway = JWT_LEEWAY_DEFAULT,
};

static char *
b64u(const void *p, size_t len)
{
	return base64_encode(p, len, BASE64_URL | BASE64_NOPAD);
}

static char *
b64u_param(EVP_PKEY *pkey, const char *name, int pad)
{
	unsigned char	 buf[512];
	BIGNUM		*bn = NULL;
	int		 n;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		abort();
	n = pad > 0 ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64u(buf, (size_t)n);
}

static void
check_set(const struct jwt_keyset *ks)
{
	size_t		 i, n = jwt_keyset_nskipped(ks);
	const char	*kid, *cause;

	FUZZ_CHECK(jwt_keyset_count(ks) >= 1, "a set without a usable key");
	FUZZ_CHECK(jwt_keyset_count(ks) + n <= JWT_JWKS_MAX_KEYS,
	    "%zu keys", jwt_keyset_count(ks) + n);
	for (i = 0; i < n; i++) {
		kid = NULL;
		cause = jwt_keyset_skipped(ks, i, &kid);
		FUZZ_CHECK(cause != NULL && *cause != '\0',
		    "skipped key %zu without a cause", i);
		FUZZ_CHECK(kid == NULL || (*kid != '\0' &&
		    strlen(kid) <= JWT_MAX_KID_LEN), "kid of %zu bytes",
		    strlen(kid));
	}
	FUZZ_CHECK(jwt_keyset_skipped(ks, n, &kid) == NULL,
	    "a skipped key past the count");
}

static struct jwt_keyset *
parse_set(const uint8_t *p, size_t len)
{
	struct jwt_keyset	*ks;
	const char		*cause = NULL;

	ks = jwt_keyset_parse((const char *)p, len, &cause);
	if (ks == NULL)
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
	else {
		FUZZ_CHECK(len <= JWT_JWKS_MAX_LEN, "%zu-byte set taken", len);
		check_set(ks);
	}
	return ks;
}

static void
check_token(const char *tok, size_t len, const struct jwt_keyset *ks)
{
	struct jwt		*t = NULL;
	struct jwt_claims	 c;
	const char		*cause = NULL;
	enum jwt_result		 r;
	size_t			 i;

	r = jwt_parse(tok, len, &t, &cause);
	FUZZ_CHECK((unsigned)r < JWT_NRESULTS, "result %d", r);
	FUZZ_CHECK((r == JWT_OK) == (t != NULL), "token and result %s",
	    jwt_result_name(r));
	if (r != JWT_OK) {
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
		FUZZ_CHECK(r == JWT_MALFORMED || r == JWT_ALG_REFUSED ||
		    r == JWT_TYPE_REFUSED, "parse gave %s",
		    jwt_result_name(r));
		return;
	}
	FUZZ_CHECK(len <= JWT_MAX_TOKEN_LEN, "%zu-byte token taken", len);
	if (ks == NULL) {
		jwt_free(t);
		return;
	}
	cause = NULL;
	r = jwt_verify(t, ks, &policy, FUZZ_NOW, &c, &cause);
	FUZZ_CHECK((unsigned)r < JWT_NRESULTS, "result %d", r);
	if (r != JWT_OK) {
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
		FUZZ_CHECK(c.iss == NULL && c.sub == NULL && c.scopes == NULL &&
		    c.payload == NULL, "claims left on %s",
		    jwt_result_name(r));
		/* The causes are the library's own text. */
		FUZZ_CHECK(cause < tok || cause >= tok + len,
		    "cause inside the token");
	} else {
		FUZZ_CHECK(strcmp(c.iss, policy.issuer) == 0, "iss %s", c.iss);
		FUZZ_CHECK(*c.sub != '\0', "empty sub");
		FUZZ_CHECK(c.exp + policy.leeway > FUZZ_NOW, "expired");
		FUZZ_CHECK(c.payload != NULL, "no payload");
		FUZZ_CHECK(c.nscopes <= JWT_MAX_SCOPES, "%zu scopes",
		    c.nscopes);
		for (i = 0; i < c.nscopes; i++)
			FUZZ_CHECK(*c.scopes[i] != '\0' &&
			    strpbrk(c.scopes[i], " \"\\") == NULL,
			    "scope %s", c.scopes[i]);
	}
	jwt_claims_free(&c);
	jwt_free(t);
}

/* header.payload signed by Ed25519 (EdDSA) or P-256 (ES256, r || s). */
static char *
sign(const uint8_t *h, size_t hlen, const uint8_t *p, size_t plen, int ec)
{
	EVP_MD_CTX	*md;
	unsigned char	 sig[128], rs[64];
	const unsigned char *q = sig;
	size_t		 siglen = sizeof sig;
	ECDSA_SIG	*es;
	const BIGNUM	*r, *s;
	char		*hb, *pb, *msg, *sb, *tok;

	hb = b64u(h, hlen);
	pb = b64u(p, plen);
	xasprintf(&msg, "%s.%s", hb, pb);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, ec ? "SHA256" : NULL, NULL, NULL,
	    ec ? ec_key : ed_key, NULL) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)msg,
	    strlen(msg)) != 1)
		abort();
	EVP_MD_CTX_free(md);
	if (ec) {
		if ((es = d2i_ECDSA_SIG(NULL, &q, (long)siglen)) == NULL)
			abort();
		ECDSA_SIG_get0(es, &r, &s);
		BN_bn2binpad(r, rs, 32);
		BN_bn2binpad(s, rs + 32, 32);
		ECDSA_SIG_free(es);
		sb = b64u(rs, sizeof rs);
	} else
		sb = b64u(sig, siglen);
	xasprintf(&tok, "%s.%s", msg, sb);
	free(hb);
	free(pb);
	free(msg);
	free(sb);
	return tok;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char	 seed[32], raw[32];
	size_t		 i, rawlen = sizeof raw;
	char		*edx, *ecx, *ecy, *n, *e, *text;
	const char	*cause;

	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_jwt");
	for (i = 0; i < sizeof seed; i++)
		seed[i] = (unsigned char)(i + 1);
	ed_key = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, seed,
	    sizeof seed);
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (ed_key == NULL || ec_key == NULL || rsa_key == NULL ||
	    EVP_PKEY_get_raw_public_key(ed_key, raw, &rawlen) != 1)
		abort();
	edx = b64u(raw, rawlen);
	ecx = b64u_param(ec_key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
	ecy = b64u_param(ec_key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
	n = b64u_param(rsa_key, OSSL_PKEY_PARAM_RSA_N, 0);
	e = b64u_param(rsa_key, OSSL_PKEY_PARAM_RSA_E, 0);
	xasprintf(&text, "{\"keys\":["
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\",\"x\":\"%s\"},"
	    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\",\"alg\":\"ES256\","
	    "\"x\":\"%s\",\"y\":\"%s\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"rsa\",\"use\":\"sig\",\"n\":\"%s\","
	    "\"e\":\"%s\"}]}", edx, ecx, ecy, n, e);
	if ((fixed_set = jwt_keyset_parse(text, strlen(text), &cause)) ==
	    NULL) {
		fprintf(stderr, "fuzz_jwt: the fixed set: %s\n", cause);
		abort();
	}
	free(edx);
	free(ecx);
	free(ecy);
	free(n);
	free(e);
	free(text);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in;
	struct jwt_keyset	*ks;
	const uint8_t		*a, *b;
	size_t			 alen, blen;
	unsigned		 mode;
	char			*tok;

	fuzz_in_init(&in, data, size);
	mode = fuzz_byte(&in);
	switch (mode & 3) {
	case 0:
		a = fuzz_bytes(&in, in.left, &alen);
		jwt_keyset_free(parse_set(a, alen));
		break;
	case 1:
		a = fuzz_bytes(&in, in.left, &alen);
		check_token((const char *)a, alen, fixed_set);
		break;
	case 2:
		a = fuzz_bytes(&in, fuzz_u16(&in), &alen);
		b = fuzz_bytes(&in, in.left, &blen);
		ks = parse_set(a, alen);
		check_token((const char *)b, blen, ks);
		jwt_keyset_free(ks);
		break;
	case 3:
		a = fuzz_bytes(&in, fuzz_u16(&in), &alen);
		b = fuzz_bytes(&in, in.left, &blen);
		tok = sign(a, alen, b, blen, (mode & 0x80) != 0);
		check_token(tok, strlen(tok), fixed_set);
		free(tok);
		break;
	}
	return 0;
}
