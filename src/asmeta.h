/* SPDX-License-Identifier: ISC */
/*
 * asmeta.h: an OAuth authorization server's metadata as the resource
 * server needs it (RFC 8414, with OpenID Connect Discovery 1.0 as the
 * fallback most providers answer): where its metadata lives, and the
 * document parsed and held to the configured issuer.  No I/O.
 *
 *	for (i = 0; i < ASMETA_NWELLKNOWN; i++)
 *		if ((url = asmeta_wellknown_url(issuer, i)) != NULL)
 *			GET url; on 200, m = asmeta_parse(body, len, issuer, &cause)
 *
 * Causes are static strings fit for a log line.
 */
#ifndef MCPBRIDGE_ASMETA_H
#define MCPBRIDGE_ASMETA_H

#include <stddef.h>

/* A metadata document: longer is refused (real ones run to 5-10K). */
#define ASMETA_MAX_LEN		(64 * 1024)
/* An issuer or an endpoint URL. */
#define ASMETA_MAX_URL_LEN	2048
/* Entries of an *_auth_methods_supported array that are looked at. */
#define ASMETA_MAX_METHODS	32

/*
 * Where an issuer's metadata may be, in the order to try them: RFC 8414
 * 3.1 (the well-known part inserted before the issuer's path), the same
 * for openid-configuration, and OpenID Discovery 4 (appended to the
 * issuer).  With no path in the issuer the last two are one URL: the
 * third is then NULL.
 */
#define ASMETA_NWELLKNOWN	3

/* How the resource server authenticates to the introspection endpoint. */
enum asmeta_auth {
	ASMETA_AUTH_BASIC = 0,	/* client_secret_basic (RFC 8414's default) */
	ASMETA_AUTH_POST,	/* client_secret_post */
};

struct asmeta {
	char		*issuer;
	char		*jwks_uri;		/* NULL if none */
	char		*introspection_endpoint; /* NULL if none */
	enum asmeta_auth introspection_auth;
};

/*
 * 0 if issuer can be one: an https URL (http to loopback only, url.h's
 * policy), no query, no fragment, at most ASMETA_MAX_URL_LEN bytes; else
 * -1 and a static *cause.
 */
int		 asmeta_issuer_check(const char *issuer, const char **cause);

/* The i-th metadata URL of an issuer (caller frees), or NULL when i is
 * out of range, the issuer fails asmeta_issuer_check, or the URL is the
 * same as an earlier one. */
char		*asmeta_wellknown_url(const char *issuer, int i);

/*
 * "origin/.well-known/<name><path>" for an https (or loopback http) URL
 * whose path loses its trailing slash (RFC 8414 3.1, RFC 9728 3.1); NULL
 * if the URL is not one.  Caller frees.
 */
char		*asmeta_insert_wellknown(const char *url, const char *name);

/*
 * A metadata document of len bytes: a JSON object (jsonparse.h's strict
 * rules) whose "issuer" is exactly the configured one (RFC 8414 3.3: no
 * normalising, no trailing-slash leniency), with a jwks_uri or an
 * introspection_endpoint (or both); each present is a string that passes
 * url_check without allow_http and fits ASMETA_MAX_URL_LEN.
 * introspection_endpoint_auth_methods_supported (else
 * token_endpoint_auth_methods_supported) picks client_secret_basic when
 * it lists it or lists nothing usable, else client_secret_post.  Returns
 * a new struct (asmeta_free), or NULL and *cause.
 */
/* The cause when the document names another issuer: a caller stops
 * there rather than try the next well-known URL. */
extern const char asmeta_cause_issuer[];

struct asmeta	*asmeta_parse(const char *body, size_t len, const char *issuer,
		    const char **cause);
/*
 * After asmeta_cause_issuer: a text for the operator saying which issuer
 * the document (body, len bytes) names and how it differs from issuer
 * (a trailing '/', case), for an error line: the document's string is
 * cut to ASMETA_HINT_ISSUER_LEN and anything but printable ASCII shows as
 * '?'.  Never NULL; the caller frees it.
 */
#define ASMETA_HINT_ISSUER_LEN	256
char		*asmeta_issuer_hint(const char *body, size_t len,
		    const char *issuer);
void		 asmeta_free(struct asmeta *);

#endif
