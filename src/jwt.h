/* SPDX-License-Identifier: ISC */
/*
 * jwt.h: verifying OAuth 2.0 access tokens that are JWTs (RFC 9068): a
 * JWS in compact form (RFC 7515) signed with a key from the trusted
 * authorization server's JWK Set (RFC 7517), carrying the claims a
 * resource server checks (RFC 7519, RFC 8725).  No I/O and no clock:
 * the caller fetches the key set and passes the time in.
 *
 *	ks = jwt_keyset_parse(body, len, &cause);	after each fetch
 *	r = jwt_parse(token, len, &t, &cause);
 *	iss = jwt_unverified_issuer(t);		picks the issuer whose
 *						keys and policy to use
 *	r = jwt_verify(t, ks, &policy, now, &claims, &cause);
 *	JWT_UNKNOWN_KID: fetch that issuer's set again (rate-limited), retry
 *
 * Public-key signatures only: RS256, PS256, ES256 (P-256) and EdDSA
 * (Ed25519).  "none" and HMAC (HS256 ...) are refused before any key is
 * looked at: a resource server shares no secret with the issuer, so a
 * token "signed" with a public key as an HMAC secret cannot pass.  The
 * alg must fit the key's type, and the key's own alg when it names one.
 *
 * Causes are static strings fit for a log line; none holds any part of
 * the token.
 */
#ifndef MCPBRIDGE_JWT_H
#define MCPBRIDGE_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* A longer token is refused before it is decoded (16K: the default
 * --max-header-size; access tokens run from 1 to 8K). */
#define JWT_MAX_TOKEN_LEN	16384
/* A JWK Set document: longer is refused (those with certificate chains
 * in x5c run to some 20K). */
#define JWT_JWKS_MAX_LEN	(128 * 1024)
/* Entries of a JWK Set's "keys", usable or not. */
#define JWT_JWKS_MAX_KEYS	64
/* A "kid", in a key or a token header. */
#define JWT_MAX_KID_LEN		256
/* RSA modulus sizes (RFC 7518 3.3: 2048 at least). */
#define JWT_RSA_MIN_BITS	2048
#define JWT_RSA_MAX_BITS	8192
/* Scopes one token may carry. */
#define JWT_MAX_SCOPES		256
/* Clock skew allowed on exp, nbf and iat, in seconds. */
#define JWT_LEEWAY_DEFAULT	60
#define JWT_LEEWAY_MAX		600

/* The outcomes, one counter each on /metrics (jwt_result_name). */
enum jwt_result {
	JWT_OK = 0,
	JWT_MALFORMED,		/* not a compact JWS: parts, base64url,
				   JSON, header members, size */
	JWT_ALG_REFUSED,	/* none, HMAC, unknown, or not the key's */
	JWT_TYPE_REFUSED,	/* typ is not an access token's */
	JWT_UNKNOWN_KID,	/* no key in the set for it: refetch */
	JWT_KEY_UNUSABLE,	/* its kid names a key the set holds but
				   that was skipped (jwt_keyset_skipped) */
	JWT_BAD_SIGNATURE,
	JWT_BAD_ISSUER,		/* iss is not the policy's */
	JWT_BAD_AUDIENCE,	/* aud does not hold the resource */
	JWT_EXPIRED,
	JWT_NOT_YET_VALID,	/* nbf or iat in the future */
	JWT_BAD_CLAIMS,		/* signed, but a claim missing or mistyped */
	JWT_NRESULTS
};

/* "ok", "malformed", "alg_refused" ...: a label for metrics and logs. */
const char	*jwt_result_name(enum jwt_result);

/*
 * A JWK Set's public signing keys.  Refused as a whole (NULL): not a
 * JSON object with a "keys" array, longer than JWT_JWKS_MAX_LEN, more
 * than JWT_JWKS_MAX_KEYS entries, an entry that is not an object, any
 * private or secret member (d, p, q, dp, dq, qi, oth, k: an issuer that
 * publishes them has lost its key), two usable keys of one type under one
 * kid, or no usable key at all.  Skipped, as RFC 7517 5 asks (kept with
 * their cause, so a token naming one gets JWT_KEY_UNUSABLE): types,
 * curves and algs not supported, "use" other than "sig", "key_ops"
 * without "verify", a bad kid, members missing, mistyped or not strict
 * base64url, RSA moduli outside JWT_RSA_MIN_BITS .. JWT_RSA_MAX_BITS,
 * EC points not on the curve.
 */
struct jwt_keyset;

struct jwt_keyset	*jwt_keyset_parse(const char *json, size_t len,
			    const char **cause);
void			 jwt_keyset_free(struct jwt_keyset *);
/* Usable keys, and entries skipped. */
size_t			 jwt_keyset_count(const struct jwt_keyset *);
size_t			 jwt_keyset_nskipped(const struct jwt_keyset *);
/* Why the i-th skipped entry was skipped; its kid (NULL if none) in *kid,
 * as the set spells it: escape it before logging. */
const char		*jwt_keyset_skipped(const struct jwt_keyset *,
			    size_t i, const char **kid);

/* What the resource server accepts from one issuer. */
struct jwt_policy {
	const char	*issuer;	/* iss must be exactly this: the
					   issuer the key set belongs to */
	const char	*audience;	/* aud must hold exactly this: the
					   resource (RFC 8707) */
	int		 leeway;	/* seconds, 0 .. JWT_LEEWAY_MAX */
	int		 require_at_jwt; /* typ must be at+jwt (RFC 9068
					   2.1); else "JWT" and no typ
					   pass too */
};

/* A token split and decoded, not yet trusted. */
struct jwt;

/*
 * Parses a compact JWS of len bytes: three base64url parts (strict: no
 * padding, no white space, unused bits zero), a JSON object header with
 * a supported alg and no "crit", a JSON object payload, a signature.
 * typ, when present, is at+jwt or JWT (case-insensitive, application/
 * allowed).  kid, jku, x5u, jwk and x5c are never used to find a key
 * outside the set.  Returns JWT_OK and a new token in *out, or another
 * result (JWT_MALFORMED, JWT_ALG_REFUSED, JWT_TYPE_REFUSED) and *cause.
 */
enum jwt_result	 jwt_parse(const char *token, size_t len, struct jwt **out,
		    const char **cause);
void		 jwt_free(struct jwt *);

/* The token's iss, not verified: only to choose which issuer's keys and
 * policy to verify it with.  NULL if it has none that is a string. */
const char	*jwt_unverified_issuer(const struct jwt *);

/* What a verified token says.  Strings are the caller's (jwt_claims_free). */
struct jwt_claims {
	char		 *iss;
	char		 *sub;
	char		 *client_id;	/* client_id, else azp; NULL if neither */
	char		**scopes;	/* scope split at spaces (else scp, a
					   string or an array); may be none */
	size_t		  nscopes;
	int64_t		  exp;
	json_object	 *payload;	/* every claim, for --env-from-claim */
};

/*
 * Verifies the signature with the key of the set the header names (by
 * kid; with no kid, the one usable key of the alg's type), then the
 * claims at time now (seconds since the epoch): iss is the policy's, aud
 * (a string or an array of strings) holds the audience, exp is present
 * and now is before exp + leeway, nbf and iat (optional) are not after
 * now + leeway, sub is a non-empty string.  On JWT_OK fills *claims;
 * otherwise leaves it zeroed and sets *cause.
 */
enum jwt_result	 jwt_verify(const struct jwt *, const struct jwt_keyset *,
		    const struct jwt_policy *, int64_t now,
		    struct jwt_claims *claims, const char **cause);
/* Frees what the claims hold and zeroes them; a zeroed one is fine. */
void		 jwt_claims_free(struct jwt_claims *);

#endif
