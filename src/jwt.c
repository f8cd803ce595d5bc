/* SPDX-License-Identifier: ISC */
/*
 * jwt.c: JWK Sets into libcrypto public keys, compact JWS tokens split
 * and checked, signatures and access-token claims verified.
 *
 * The cryptography is libcrypto's (OpenSSL 3, EVP_PKEY only); this file
 * decides which key may verify which token.  The order is fixed so a
 * counter means what it says: structure (JWT_MALFORMED), then alg and
 * typ, then the key, then the signature, and only a genuine token gets
 * a claim result (expired, bad audience ...): a forged expired token
 * counts as a bad signature.
 *
 * Key lookup never lets the token choose: the alg comes from a short
 * table of public-key algorithms, must fit the key's type (and the key's
 * alg when it has one), and keys come from the set only.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "base64.h"
#include "jsonparse.h"
#include "jwt.h"
#include "log.h"
#include "xmalloc.h"

/* A signature: RSA at JWT_RSA_MAX_BITS is the longest. */
#define JWT_MAX_SIG_LEN		(JWT_RSA_MAX_BITS / 8)
/* An RSA public exponent: 65537 in practice; a longer one only slows
 * every verification down. */
#define JWT_RSA_MAX_EXP_BYTES	4
/* P-256 coordinates and Ed25519 keys. */
#define JWT_P256_COORD_LEN	32
#define JWT_ED25519_KEY_LEN	32
#define JWT_ES256_SIG_LEN	64
#define JWT_ED25519_SIG_LEN	64
/* Entries of an "aud" array. */
#define JWT_MAX_AUDIENCES	64
/* NumericDate claims past 9999-12-31 are refused, not clamped. */
#define JWT_MAX_NUMERIC_DATE	253402300799LL

enum jwt_kty {
	JWT_KTY_RSA,
	JWT_KTY_EC,		/* P-256 only */
	JWT_KTY_OKP,		/* Ed25519 only */
};

/* The algorithms a token may name: nothing else is ever looked up. */
static const struct jwt_alg {
	const char	*name;
	enum jwt_kty	 kty;
	const char	*digest;	/* NULL: EdDSA hashes itself */
	int		 pss;
} jwt_algs[] = {
	{ "RS256",	JWT_KTY_RSA,	"SHA256",	0 },
	{ "PS256",	JWT_KTY_RSA,	"SHA256",	1 },
	{ "ES256",	JWT_KTY_EC,	"SHA256",	0 },
	{ "EdDSA",	JWT_KTY_OKP,	NULL,		0 },
};
#define JWT_NALGS	(sizeof jwt_algs / sizeof jwt_algs[0])
#define JWT_ALG_ANY	(-1)

static const char *const jwt_result_names[JWT_NRESULTS] = {
	[JWT_OK] = "ok",
	[JWT_MALFORMED] = "malformed",
	[JWT_ALG_REFUSED] = "alg_refused",
	[JWT_TYPE_REFUSED] = "typ_refused",
	[JWT_UNKNOWN_KID] = "unknown_kid",
	[JWT_KEY_UNUSABLE] = "key_unusable",
	[JWT_BAD_SIGNATURE] = "bad_signature",
	[JWT_BAD_ISSUER] = "bad_issuer",
	[JWT_BAD_AUDIENCE] = "bad_audience",
	[JWT_EXPIRED] = "expired",
	[JWT_NOT_YET_VALID] = "not_yet_valid",
	[JWT_BAD_CLAIMS] = "bad_claims",
};

/* One entry of a set: a usable key (pkey) or a skipped one (cause). */
struct jwt_key {
	char		*kid;		/* NULL: the entry has none */
	enum jwt_kty	 kty;
	int		 alg;		/* index in jwt_algs, or JWT_ALG_ANY */
	EVP_PKEY	*pkey;		/* NULL: skipped */
	const char	*cause;		/* why it was skipped */
};

struct jwt_keyset {
	struct jwt_key	*keys;
	size_t		 n;
	size_t		 usable;
};

struct jwt {
	char		*text;		/* the token, NUL-terminated */
	size_t		 signed_len;	/* header "." payload: signed bytes */
	int		 alg;		/* index in jwt_algs */
	int		 at_jwt;	/* typ is at+jwt */
	char		*kid;		/* NULL: the header has none */
	json_object	*payload;
	unsigned char	*sig;
	size_t		 siglen;
};

const char *
jwt_result_name(enum jwt_result r)
{
	if ((unsigned)r >= JWT_NRESULTS)
		return "unknown";
	return jwt_result_names[r];
}

/*
 * Decodes the base64url string s[0..len) into a new buffer of at most
 * max bytes.  NULL if it is not strict unpadded base64url, is empty or
 * is too long.
 */
static unsigned char *
jwt_b64(const char *s, size_t len, size_t max, size_t *outlen)
{
	unsigned char	*out;

	if (len == 0 || len > (max * 4 + 2) / 3)
		return NULL;
	out = xmalloc(len * 3 / 4 + 1);
	if (base64_decode(s, len, out, outlen, BASE64_URL | BASE64_NOPAD) ==
	    -1 || *outlen > max) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * A JSON value that is a string free of NUL, or NULL.  A string with a
 * \u0000 would compare equal to its first part ("https://issuer\0x"
 * to the issuer, "alice\0x" to alice): it is taken for a wrong type.
 */
static const char *
jwt_str(json_object *v)
{
	const char	*s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/* A member that is such a string, or NULL (absent, or of another type). */
static const char *
jwt_string(json_object *o, const char *name)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, name, &v))
		return NULL;
	return jwt_str(v);
}

/* A kid: a string of 1 to JWT_MAX_KID_LEN bytes, or NULL. */
static const char *
jwt_kid(json_object *v)
{
	const char	*s = jwt_str(v);

	if (s == NULL || *s == '\0' || strlen(s) > JWT_MAX_KID_LEN)
		return NULL;
	return s;
}

/* 1 if o has the member, whatever its value (JSON null included). */
static int
jwt_has(json_object *o, const char *name)
{
	return json_object_object_get_ex(o, name, NULL);
}

static int
jwt_alg_find(const char *name)
{
	size_t	i;

	for (i = 0; i < JWT_NALGS; i++)
		if (strcmp(jwt_algs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ---- keys ---- */

/* A base64url member of a JWK, decoded: NULL with *cause when it is
 * missing, not a string or not strict base64url. */
static unsigned char *
jwt_key_bytes(json_object *jwk, const char *name, size_t max, size_t *len,
    const char **cause)
{
	json_object	*v;
	unsigned char	*b;

	if (!json_object_object_get_ex(jwk, name, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		*cause = "a key member is missing or not a string";
		return NULL;
	}
	b = jwt_b64(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), max, len);
	if (b == NULL)
		*cause = "a key member is not base64url of the right size";
	return b;
}

/* Builds a public key of the named type from params; NULL if libcrypto
 * refuses them. */
static EVP_PKEY *
jwt_pkey_fromdata(const char *type, OSSL_PARAM *params)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pkey = NULL;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL)
		fatalx("jwt: no %s in libcrypto", type);
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *
jwt_key_rsa(json_object *jwk, const char **cause)
{
	unsigned char	*n = NULL, *e = NULL;
	size_t		 nlen, elen;
	BIGNUM		*bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY	*pkey = NULL;
	int		 bits;

	/* A modulus may carry a leading zero octet (some libraries write
	 * one): its value counts, not its spelling. */
	if ((n = jwt_key_bytes(jwk, "n", JWT_RSA_MAX_BITS / 8 + 1, &nlen,
	    cause)) == NULL ||
	    (e = jwt_key_bytes(jwk, "e", JWT_RSA_MAX_EXP_BYTES, &elen,
	    cause)) == NULL)
		goto fail;
	if ((bn_n = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (bn_e = BN_bin2bn(e, (int)elen, NULL)) == NULL)
		fatalx("jwt: out of memory");
	bits = BN_num_bits(bn_n);
	if (bits < JWT_RSA_MIN_BITS) {
		*cause = "RSA modulus shorter than 2048 bits";
		goto fail;
	}
	if (bits > JWT_RSA_MAX_BITS) {
		*cause = "RSA modulus longer than 8192 bits";
		goto fail;
	}
	if (!BN_is_odd(bn_n) || !BN_is_odd(bn_e) || BN_is_one(bn_e)) {
		*cause = "RSA modulus or exponent not odd or exponent 1";
		goto fail;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		fatalx("jwt: out of memory");
	if ((pkey = jwt_pkey_fromdata("RSA", params)) == NULL)
		*cause = "RSA key refused by libcrypto";
fail:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(n);
	free(e);
	return pkey;
}

/* 1 if libcrypto finds the public key sound (an EC point on its curve,
 * not the point at infinity). */
static int
jwt_pkey_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX	*ctx;
	int		 ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		fatalx("jwt: out of memory");
	ok = EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static EVP_PKEY *
jwt_key_ec(json_object *jwk, const char **cause)
{
	const char	*crv = jwt_string(jwk, "crv");
	unsigned char	*x = NULL, *y = NULL, point[1 + 2 * JWT_P256_COORD_LEN];
	char		 group[] = "P-256";
	size_t		 xlen, ylen;
	OSSL_PARAM	 params[3];
	EVP_PKEY	*pkey = NULL;

	if (crv == NULL || strcmp(crv, "P-256") != 0) {
		*cause = "EC curve not P-256";
		return NULL;
	}
	if ((x = jwt_key_bytes(jwk, "x", JWT_P256_COORD_LEN, &xlen,
	    cause)) == NULL ||
	    (y = jwt_key_bytes(jwk, "y", JWT_P256_COORD_LEN, &ylen,
	    cause)) == NULL)
		goto fail;
	/* RFC 7518 6.2.1.2: the full length of a coordinate, always. */
	if (xlen != JWT_P256_COORD_LEN || ylen != JWT_P256_COORD_LEN) {
		*cause = "EC coordinate not 32 bytes";
		goto fail;
	}
	point[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(point + 1, x, xlen);
	memcpy(point + 1 + xlen, y, ylen);
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
	params[2] = OSSL_PARAM_construct_end();
	if ((pkey = jwt_pkey_fromdata("EC", params)) == NULL ||
	    !jwt_pkey_check(pkey)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
		*cause = "EC point not on P-256";
	}
fail:
	free(x);
	free(y);
	return pkey;
}

static EVP_PKEY *
jwt_key_okp(json_object *jwk, const char **cause)
{
	const char	*crv = jwt_string(jwk, "crv");
	unsigned char	*x;
	size_t		 xlen;
	OSSL_PARAM	 params[2];
	EVP_PKEY	*pkey = NULL;

	if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
		*cause = "OKP curve not Ed25519";
		return NULL;
	}
	if ((x = jwt_key_bytes(jwk, "x", JWT_ED25519_KEY_LEN, &xlen,
	    cause)) == NULL)
		return NULL;
	if (xlen != JWT_ED25519_KEY_LEN) {
		*cause = "Ed25519 key not 32 bytes";
		goto fail;
	}
	params[0] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, x, xlen);
	params[1] = OSSL_PARAM_construct_end();
	if ((pkey = jwt_pkey_fromdata("ED25519", params)) == NULL)
		*cause = "Ed25519 key refused by libcrypto";
fail:
	free(x);
	return pkey;
}

/* Members that only a private or secret key has. */
static const char *const jwt_private_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth", "k",
};

/* 1 if the key may verify signatures by its "use" and "key_ops". */
static int
jwt_key_for_signing(json_object *jwk, const char **cause)
{
	json_object	*ops, *op;
	const char	*use;
	size_t		 i, n;

	if (jwt_has(jwk, "use")) {
		use = jwt_string(jwk, "use");
		if (use == NULL || strcmp(use, "sig") != 0) {
			*cause = "key use is not sig";
			return 0;
		}
	}
	if (!json_object_object_get_ex(jwk, "key_ops", &ops))
		return 1;
	if (!json_object_is_type(ops, json_type_array)) {
		*cause = "key_ops is not an array";
		return 0;
	}
	n = json_object_array_length(ops);
	for (i = 0; i < n; i++) {
		op = json_object_array_get_idx(ops, i);
		if (jwt_str(op) != NULL && strcmp(jwt_str(op), "verify") == 0)
			return 1;
	}
	*cause = "key_ops has no verify";
	return 0;
}

/*
 * One entry of "keys" into k.  0: usable; 1: skipped (k->cause says
 * why); -1: the whole set is refused (*cause).
 */
static int
jwt_key_parse(json_object *jwk, struct jwt_key *k, const char **cause)
{
	json_object	*v;
	const char	*kty, *alg, *kid;
	size_t		 i;

	memset(k, 0, sizeof *k);
	k->alg = JWT_ALG_ANY;
	if (!json_object_is_type(jwk, json_type_object)) {
		*cause = "an entry of keys is not an object";
		return -1;
	}
	for (i = 0; i < sizeof jwt_private_members /
	    sizeof jwt_private_members[0]; i++) {
		if (jwt_has(jwk, jwt_private_members[i])) {
			*cause = "a key holds private or secret parts";
			return -1;
		}
	}
	if (json_object_object_get_ex(jwk, "kid", &v)) {
		if ((kid = jwt_kid(v)) == NULL) {
			k->cause = "kid is not a string of 1 to 256 bytes";
			return 1;
		}
		k->kid = xstrdup(kid);
	}
	if ((kty = jwt_string(jwk, "kty")) == NULL) {
		k->cause = "kty is missing or not a string";
		return 1;
	}
	if (strcmp(kty, "RSA") == 0)
		k->kty = JWT_KTY_RSA;
	else if (strcmp(kty, "EC") == 0)
		k->kty = JWT_KTY_EC;
	else if (strcmp(kty, "OKP") == 0)
		k->kty = JWT_KTY_OKP;
	else {
		k->cause = "kty not supported";
		return 1;
	}
	if (!jwt_key_for_signing(jwk, &k->cause))
		return 1;
	if (jwt_has(jwk, "alg")) {
		if ((alg = jwt_string(jwk, "alg")) == NULL ||
		    (k->alg = jwt_alg_find(alg)) == -1) {
			k->cause = "key alg not supported";
			return 1;
		}
		if (jwt_algs[k->alg].kty != k->kty) {
			k->cause = "key alg does not fit its kty";
			return 1;
		}
	}
	switch (k->kty) {
	case JWT_KTY_RSA:
		k->pkey = jwt_key_rsa(jwk, &k->cause);
		break;
	case JWT_KTY_EC:
		k->pkey = jwt_key_ec(jwk, &k->cause);
		break;
	case JWT_KTY_OKP:
		k->pkey = jwt_key_okp(jwk, &k->cause);
		break;
	}
	ERR_clear_error();
	return k->pkey != NULL ? 0 : 1;
}

struct jwt_keyset *
jwt_keyset_parse(const char *json, size_t len, const char **cause)
{
	struct jwt_keyset	*ks = NULL;
	struct jwt_key		*a, *b;
	json_object		*root = NULL, *keys;
	size_t			 i, j, n;

	if (len > JWT_JWKS_MAX_LEN) {
		*cause = "key set longer than 128K";
		return NULL;
	}
	if ((root = jsonparse_strict(json, len, cause)) == NULL)
		return NULL;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array)) {
		*cause = "key set is not an object with a keys array";
		goto fail;
	}
	n = json_object_array_length(keys);
	if (n > JWT_JWKS_MAX_KEYS) {
		*cause = "key set has more than 64 keys";
		goto fail;
	}
	ks = xcalloc(1, sizeof *ks);
	ks->keys = xcalloc(n > 0 ? n : 1, sizeof *ks->keys);
	for (i = 0; i < n; i++) {
		switch (jwt_key_parse(json_object_array_get_idx(keys, i),
		    &ks->keys[i], cause)) {
		case -1:
			ks->n = i + 1;
			goto fail;
		case 0:
			ks->usable++;
			break;
		}
		ks->n = i + 1;
	}
	if (ks->usable == 0) {
		*cause = "key set has no usable signing key";
		goto fail;
	}
	/* Same kid, same type: which one a token means is anyone's guess
	 * (RFC 7517 4.5 allows a shared kid across types only). */
	for (i = 0; i < ks->n; i++) {
		a = &ks->keys[i];
		for (j = i + 1; a->pkey != NULL && a->kid != NULL &&
		    j < ks->n; j++) {
			b = &ks->keys[j];
			if (b->pkey != NULL && b->kid != NULL &&
			    a->kty == b->kty && strcmp(a->kid, b->kid) == 0) {
				*cause = "two keys of one type share a kid";
				goto fail;
			}
		}
	}
	json_object_put(root);
	return ks;

fail:
	jwt_keyset_free(ks);
	json_object_put(root);
	return NULL;
}

void
jwt_keyset_free(struct jwt_keyset *ks)
{
	size_t	i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++) {
		free(ks->keys[i].kid);
		EVP_PKEY_free(ks->keys[i].pkey);
	}
	free(ks->keys);
	free(ks);
}

size_t
jwt_keyset_count(const struct jwt_keyset *ks)
{
	return ks->usable;
}

size_t
jwt_keyset_nskipped(const struct jwt_keyset *ks)
{
	return ks->n - ks->usable;
}

const char *
jwt_keyset_skipped(const struct jwt_keyset *ks, size_t i, const char **kid)
{
	size_t	j;

	for (j = 0; j < ks->n; j++) {
		if (ks->keys[j].pkey != NULL)
			continue;
		if (i-- == 0) {
			if (kid != NULL)
				*kid = ks->keys[j].kid;
			return ks->keys[j].cause;
		}
	}
	return NULL;
}

/* ---- tokens ---- */

/* 1 if typ names a JWT access token (at+jwt), 0 a plain JWT, -1 other;
 * media types compare without case, application/ optional (RFC 7515
 * 4.1.9). */
static int
jwt_typ(const char *typ)
{
	if (strncasecmp(typ, "application/", 12) == 0)
		typ += 12;
	if (strcasecmp(typ, "at+jwt") == 0)
		return 1;
	if (strcasecmp(typ, "jwt") == 0)
		return 0;
	return -1;
}

/* The header's members into t: JWT_OK or the result with *cause. */
static enum jwt_result
jwt_header(json_object *h, struct jwt *t, const char **cause)
{
	json_object	*v;
	const char	*alg, *typ, *kid;
	int		 at;

	if (!json_object_is_type(h, json_type_object)) {
		*cause = "header is not a JSON object";
		return JWT_MALFORMED;
	}
	if ((alg = jwt_string(h, "alg")) == NULL) {
		*cause = "header has no alg string";
		return JWT_MALFORMED;
	}
	if ((t->alg = jwt_alg_find(alg)) == -1) {
		if (strcmp(alg, "none") == 0)
			*cause = "alg none";
		else if (strncmp(alg, "HS", 2) == 0)
			*cause = "alg is HMAC: no shared secrets here";
		else
			*cause = "alg not supported";
		return JWT_ALG_REFUSED;
	}
	/* No extension is understood, so any critical one refuses the
	 * token (RFC 7515 4.1.11), b64 (RFC 7797) among them. */
	if (jwt_has(h, "crit") || jwt_has(h, "b64")) {
		*cause = "header has crit or b64";
		return JWT_MALFORMED;
	}
	if (json_object_object_get_ex(h, "typ", &v)) {
		if ((typ = jwt_str(v)) == NULL) {
			*cause = "typ is not a string";
			return JWT_MALFORMED;
		}
		if ((at = jwt_typ(typ)) == -1) {
			*cause = "typ is neither at+jwt nor JWT";
			return JWT_TYPE_REFUSED;
		}
		t->at_jwt = at;
	}
	if (json_object_object_get_ex(h, "kid", &v)) {
		if ((kid = jwt_kid(v)) == NULL) {
			*cause = "kid is not a string of 1 to 256 bytes";
			return JWT_MALFORMED;
		}
		t->kid = xstrdup(kid);
	}
	return JWT_OK;
}

/* A base64url part holding a JSON text: the object, or NULL. */
static json_object *
jwt_json_part(const char *s, size_t len)
{
	unsigned char	*raw;
	size_t		 rawlen;
	json_object	*o;
	const char	*ignored;

	if ((raw = jwt_b64(s, len, JWT_MAX_TOKEN_LEN, &rawlen)) == NULL)
		return NULL;
	o = jsonparse_strict((const char *)raw, rawlen, &ignored);
	free(raw);
	return o;
}

enum jwt_result
jwt_parse(const char *token, size_t len, struct jwt **out,
    const char **cause)
{
	struct jwt	*t;
	json_object	*h = NULL;
	const char	*dot1, *dot2, *sig;
	enum jwt_result	 r = JWT_MALFORMED;

	*out = NULL;
	if (len > JWT_MAX_TOKEN_LEN) {
		*cause = "token longer than 16K";
		return JWT_MALFORMED;
	}
	if ((dot1 = memchr(token, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (dot1 + 1 - token))) ==
	    NULL) {
		*cause = "token is not three parts";
		return JWT_MALFORMED;
	}
	sig = dot2 + 1;
	if (memchr(sig, '.', len - (sig - token)) != NULL) {
		*cause = "token has more than three parts (JWE?)";
		return JWT_MALFORMED;
	}
	t = xcalloc(1, sizeof *t);
	t->alg = -1;
	if ((h = jwt_json_part(token, dot1 - token)) == NULL) {
		*cause = "header is not base64url JSON";
		goto fail;
	}
	if ((r = jwt_header(h, t, cause)) != JWT_OK)
		goto fail;
	r = JWT_MALFORMED;
	if ((t->payload = jwt_json_part(dot1 + 1, dot2 - dot1 - 1)) == NULL ||
	    !json_object_is_type(t->payload, json_type_object)) {
		*cause = "payload is not a base64url JSON object";
		goto fail;
	}
	if ((t->sig = jwt_b64(sig, len - (sig - token), JWT_MAX_SIG_LEN,
	    &t->siglen)) == NULL) {
		*cause = "signature missing, too long or not base64url";
		goto fail;
	}
	t->text = xstrndup(token, len);
	t->signed_len = dot2 - token;
	json_object_put(h);
	*out = t;
	return JWT_OK;

fail:
	json_object_put(h);
	jwt_free(t);
	return r;
}

void
jwt_free(struct jwt *t)
{
	if (t == NULL)
		return;
	free(t->text);
	free(t->kid);
	json_object_put(t->payload);
	free(t->sig);
	free(t);
}

const char *
jwt_unverified_issuer(const struct jwt *t)
{
	return jwt_string(t->payload, "iss");
}

/* ---- signatures ---- */

/* A JOSE ES256 signature (r || s, 32 bytes each) as the DER
 * ECDSA-Sig-Value libcrypto verifies.  NULL if it is not 64 bytes. */
static unsigned char *
jwt_es256_der(const unsigned char *sig, size_t siglen, size_t *derlen)
{
	ECDSA_SIG	*es;
	BIGNUM		*r, *s;
	unsigned char	*der = NULL;
	int		 n;

	if (siglen != JWT_ES256_SIG_LEN)
		return NULL;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(sig, JWT_ES256_SIG_LEN / 2, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + JWT_ES256_SIG_LEN / 2, JWT_ES256_SIG_LEN / 2,
	    NULL)) == NULL || !ECDSA_SIG_set0(es, r, s))
		fatalx("jwt: out of memory");
	if ((n = i2d_ECDSA_SIG(es, &der)) <= 0)
		fatalx("jwt: out of memory");
	ECDSA_SIG_free(es);
	*derlen = (size_t)n;
	return der;
}

/* 1 if sig is key's signature with alg over msg. */
static int
jwt_sig_ok(const struct jwt_alg *alg, EVP_PKEY *pkey,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen)
{
	EVP_MD_CTX	*md;
	OSSL_PARAM	 pss[4], *params = NULL;
	unsigned char	*der = NULL;
	char		 pad[] = OSSL_PKEY_RSA_PAD_MODE_PSS;
	char		 mgf1[] = "SHA256";
	char		 salt[] = OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST;
	int		 ok = 0;

	switch (alg->kty) {
	case JWT_KTY_RSA:
		/* The signature is exactly as long as the modulus. */
		if (siglen != (size_t)EVP_PKEY_get_size(pkey))
			return 0;
		break;
	case JWT_KTY_EC:
		if ((der = jwt_es256_der(sig, siglen, &siglen)) == NULL)
			return 0;
		sig = der;
		break;
	case JWT_KTY_OKP:
		if (siglen != JWT_ED25519_SIG_LEN)
			return 0;
		break;
	}
	if (alg->pss) {
		/* RFC 7518 3.5: MGF1 with the same hash, salt as long as
		 * the hash. */
		pss[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_SIGNATURE_PARAM_PAD_MODE, pad, 0);
		pss[1] = OSSL_PARAM_construct_utf8_string(
		    OSSL_SIGNATURE_PARAM_MGF1_DIGEST, mgf1, 0);
		pss[2] = OSSL_PARAM_construct_utf8_string(
		    OSSL_SIGNATURE_PARAM_PSS_SALTLEN, salt, 0);
		pss[3] = OSSL_PARAM_construct_end();
		params = pss;
	}
	if ((md = EVP_MD_CTX_new()) == NULL)
		fatalx("jwt: out of memory");
	if (EVP_DigestVerifyInit_ex(md, NULL, alg->digest, NULL, NULL, pkey,
	    params) == 1)
		ok = EVP_DigestVerify(md, sig, siglen, msg, msglen) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	/* A refusal leaves errors queued; they are not the TLS code's. */
	ERR_clear_error();
	return ok;
}

/*
 * The key for t in ks: by kid, else the one usable key of the alg's type.
 * JWT_OK and *key, or the result with *cause.
 */
static enum jwt_result
jwt_key_find(const struct jwt *t, const struct jwt_keyset *ks,
    const struct jwt_key **key, const char **cause)
{
	const struct jwt_alg	*alg = &jwt_algs[t->alg];
	const struct jwt_key	*k, *found = NULL, *skipped = NULL;
	size_t			 i, named = 0, fit = 0;

	for (i = 0; i < ks->n; i++) {
		k = &ks->keys[i];
		if (t->kid != NULL) {
			if (k->kid == NULL || strcmp(k->kid, t->kid) != 0)
				continue;
			named++;
		}
		if (k->pkey == NULL) {
			if (t->kid != NULL)
				skipped = k;
			continue;
		}
		if (k->kty != alg->kty)
			continue;
		fit++;
		found = k;
	}
	if (t->kid != NULL && named == 0) {
		*cause = "no key with the token's kid";
		return JWT_UNKNOWN_KID;
	}
	if (t->kid == NULL && fit == 0) {
		*cause = "token has no kid and no key fits its alg";
		return JWT_UNKNOWN_KID;
	}
	if (t->kid == NULL && fit > 1) {
		*cause = "token has no kid and several keys fit its alg";
		return JWT_UNKNOWN_KID;
	}
	if (found == NULL && skipped != NULL) {
		*cause = skipped->cause;
		return JWT_KEY_UNUSABLE;
	}
	if (found == NULL) {
		*cause = "alg does not fit the key's type";
		return JWT_ALG_REFUSED;
	}
	if (found->alg != JWT_ALG_ANY && found->alg != t->alg) {
		*cause = "alg is not the key's alg";
		return JWT_ALG_REFUSED;
	}
	*key = found;
	return JWT_OK;
}

/* ---- claims ---- */

/* A NumericDate claim: 0 and *out, 1 if absent, -1 if not a number in
 * 0 .. JWT_MAX_NUMERIC_DATE (fractions are cut). */
static int
jwt_date(json_object *payload, const char *name, int64_t *out)
{
	json_object	*v;
	double		 d;
	int64_t		 i;

	if (!json_object_object_get_ex(payload, name, &v))
		return 1;
	switch (json_object_get_type(v)) {
	case json_type_int:
		i = json_object_get_int64(v);
		if (i < 0 || i > JWT_MAX_NUMERIC_DATE)
			return -1;
		*out = i;
		return 0;
	case json_type_double:
		d = json_object_get_double(v);
		if (!isfinite(d) || d < 0 || d > (double)JWT_MAX_NUMERIC_DATE)
			return -1;
		*out = (int64_t)d;
		return 0;
	default:
		return -1;
	}
}

/* 1 if aud (a string or a non-empty array of strings) holds want; 0 if
 * not; -1 if it is missing or mistyped. */
static int
jwt_aud_has(json_object *payload, const char *want)
{
	json_object	*aud;
	const char	*s;
	size_t		 i, n;
	int		 found = 0;

	if (!json_object_object_get_ex(payload, "aud", &aud))
		return -1;
	if (!json_object_is_type(aud, json_type_array)) {
		if ((s = jwt_str(aud)) == NULL)
			return -1;
		return strcmp(s, want) == 0;
	}
	n = json_object_array_length(aud);
	if (n == 0 || n > JWT_MAX_AUDIENCES)
		return -1;
	for (i = 0; i < n; i++) {
		if ((s = jwt_str(json_object_array_get_idx(aud, i))) == NULL)
			return -1;
		if (strcmp(s, want) == 0)
			found = 1;
	}
	return found;
}

/* 1 if s[0..len) is an RFC 6749 3.3 scope-token. */
static int
jwt_scope_token(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '"' || s[i] == '\\')
			return 0;
	}
	return 1;
}

static int
jwt_scope_add(struct jwt_claims *c, const char *s, size_t len)
{
	if (!jwt_scope_token(s, len) || c->nscopes == JWT_MAX_SCOPES)
		return -1;
	c->scopes = xreallocarray(c->scopes, c->nscopes + 1,
	    sizeof *c->scopes);
	c->scopes[c->nscopes++] = xstrndup(s, len);
	return 0;
}

/* scope (RFC 9068 2.2.3: space-separated), else scp as a string or an
 * array (Entra, Okta), into c.  0, or -1 if one is mistyped. */
static int
jwt_scopes(json_object *payload, struct jwt_claims *c)
{
	json_object	*v;
	const char	*s, *sp;
	size_t		 i, n;

	if (!json_object_object_get_ex(payload, "scope", &v) &&
	    !json_object_object_get_ex(payload, "scp", &v))
		return 0;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			s = jwt_str(json_object_array_get_idx(v, i));
			if (s == NULL || jwt_scope_add(c, s, strlen(s)) == -1)
				return -1;
		}
		return 0;
	}
	if ((s = jwt_str(v)) == NULL)
		return -1;
	/* Runs of spaces are let by: some servers write two. */
	for (; *s != '\0'; s = sp) {
		if ((sp = strchr(s, ' ')) == NULL)
			sp = s + strlen(s);
		if (sp > s && jwt_scope_add(c, s, sp - s) == -1)
			return -1;
		if (*sp == ' ')
			sp++;
	}
	return 0;
}

/* The claims of a token whose signature holds. */
static enum jwt_result
jwt_claims_check(json_object *p, const struct jwt_policy *pol, int64_t now,
    struct jwt_claims *c, const char **cause)
{
	const char	*iss, *sub, *client;
	int64_t		 exp, nbf, iat;
	int		 rv, has_nbf, has_iat;

	if ((iss = jwt_string(p, "iss")) == NULL ||
	    strcmp(iss, pol->issuer) != 0) {
		*cause = "iss is not the trusted issuer";
		return JWT_BAD_ISSUER;
	}
	if ((rv = jwt_aud_has(p, pol->audience)) != 1) {
		*cause = rv == -1 ? "aud missing or not strings" :
		    "aud does not name this resource";
		return JWT_BAD_AUDIENCE;
	}
	if ((rv = jwt_date(p, "exp", &exp)) != 0) {
		*cause = rv == 1 ? "no exp" : "exp is not a date";
		return JWT_BAD_CLAIMS;
	}
	if ((has_nbf = jwt_date(p, "nbf", &nbf)) == -1 ||
	    (has_iat = jwt_date(p, "iat", &iat)) == -1) {
		*cause = "nbf or iat is not a date";
		return JWT_BAD_CLAIMS;
	}
	if (now >= exp + pol->leeway) {
		*cause = "token expired";
		return JWT_EXPIRED;
	}
	if (has_nbf == 0 && nbf > now + pol->leeway) {
		*cause = "token not valid yet (nbf)";
		return JWT_NOT_YET_VALID;
	}
	if (has_iat == 0 && iat > now + pol->leeway) {
		*cause = "token issued in the future (iat)";
		return JWT_NOT_YET_VALID;
	}
	if ((sub = jwt_string(p, "sub")) == NULL || *sub == '\0') {
		*cause = "sub missing or empty";
		return JWT_BAD_CLAIMS;
	}
	if (jwt_has(p, "client_id")) {
		if ((client = jwt_string(p, "client_id")) == NULL) {
			*cause = "client_id is not a string";
			return JWT_BAD_CLAIMS;
		}
	} else if (jwt_has(p, "azp")) {
		if ((client = jwt_string(p, "azp")) == NULL) {
			*cause = "azp is not a string";
			return JWT_BAD_CLAIMS;
		}
	} else
		client = NULL;
	if (jwt_scopes(p, c) == -1) {
		*cause = "scope is not scope-tokens";
		return JWT_BAD_CLAIMS;
	}
	c->iss = xstrdup(iss);
	c->sub = xstrdup(sub);
	c->client_id = client != NULL ? xstrdup(client) : NULL;
	c->exp = exp;
	c->payload = json_object_get(p);
	return JWT_OK;
}

enum jwt_result
jwt_verify(const struct jwt *t, const struct jwt_keyset *ks,
    const struct jwt_policy *pol, int64_t now, struct jwt_claims *c,
    const char **cause)
{
	const struct jwt_key	*key;
	enum jwt_result		 r;

	memset(c, 0, sizeof *c);
	if (pol->issuer == NULL || pol->audience == NULL ||
	    pol->leeway < 0 || pol->leeway > JWT_LEEWAY_MAX)
		fatalx("jwt_verify: bad policy");
	if (pol->require_at_jwt && !t->at_jwt) {
		*cause = "typ is not at+jwt";
		return JWT_TYPE_REFUSED;
	}
	if ((r = jwt_key_find(t, ks, &key, cause)) != JWT_OK)
		return r;
	if (!jwt_sig_ok(&jwt_algs[t->alg], key->pkey,
	    (const unsigned char *)t->text, t->signed_len, t->sig,
	    t->siglen)) {
		*cause = "signature does not verify";
		return JWT_BAD_SIGNATURE;
	}
	if ((r = jwt_claims_check(t->payload, pol, now, c, cause)) != JWT_OK)
		jwt_claims_free(c);
	return r;
}

void
jwt_claims_free(struct jwt_claims *c)
{
	size_t	i;

	free(c->iss);
	free(c->sub);
	free(c->client_id);
	for (i = 0; i < c->nscopes; i++)
		free(c->scopes[i]);
	free(c->scopes);
	json_object_put(c->payload);
	memset(c, 0, sizeof *c);
}
