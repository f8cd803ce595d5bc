/* SPDX-License-Identifier: ISC */
/*
 * rsmeta.h: what the bridge, as an OAuth resource server, tells clients:
 * its protected-resource metadata document (RFC 9728) and the
 * WWW-Authenticate values of its 401 and 403 answers (RFC 6750 3,
 * RFC 9728 5.1).  Pure: strings in, strings out.
 */
#ifndef MCPBRIDGE_RSMETA_H
#define MCPBRIDGE_RSMETA_H

#include <stddef.h>

/* Scopes in one document or challenge, and one scope's length. */
#define RSMETA_MAX_SCOPES	256
#define RSMETA_MAX_SCOPE_LEN	256
/* Authorization servers listed (the --oauth-issuer count). */
#define RSMETA_MAX_ISSUERS	16
/* An error_description: longer is left out (they are static texts). */
#define RSMETA_MAX_DESCRIPTION_LEN 256
/* A WWW-Authenticate value: longer and the scope list is left out. */
#define RSMETA_MAX_CHALLENGE_LEN 8192

/* The well-known name RFC 9728 3 registers. */
#define RSMETA_WELLKNOWN	"oauth-protected-resource"

/* 1 if s is an RFC 6749 3.3 scope-token (%x21 / %x23-5B / %x5D-7E, no
 * space, no quote, no backslash) of at most RSMETA_MAX_SCOPE_LEN bytes. */
int	 rsmeta_scope_ok(const char *s);

/*
 * 0 if resource can be the bridge's resource identifier: an https URL
 * (http to loopback), no query, no fragment (RFC 9728 1.2); else -1 and
 * a static *cause.
 */
int	 rsmeta_resource_check(const char *resource, const char **cause);

/* The metadata document's URL for a resource (RFC 9728 3.1: the
 * well-known part inserted before the resource's path), and the path
 * alone, which the listener routes besides the bare
 * "/.well-known/oauth-protected-resource".  NULL if the resource fails
 * rsmeta_resource_check.  Caller frees. */
char	*rsmeta_metadata_url(const char *resource);
char	*rsmeta_metadata_path(const char *resource);

struct rsmeta_config {
	const char		*resource;	/* rsmeta_resource_check'd */
	const char *const	*issuers;	/* authorization_servers */
	size_t			 nissuers;
	const char *const	*scopes;	/* scopes_supported: none, the
						   member is left out */
	size_t			 nscopes;
	const char		*resource_name;	/* NULL: left out */
};

/* The RFC 9728 document, a JSON text the caller frees; duplicate scopes
 * written once.  NULL if a value breaks the limits above (checked at
 * start, so a NULL is the configuration's fault). */
char	*rsmeta_document(const struct rsmeta_config *);

enum rsmeta_challenge {
	RSMETA_NO_TOKEN,	/* 401, no error attribute (RFC 6750 3.1) */
	RSMETA_INVALID_TOKEN,	/* 401 error="invalid_token" */
	RSMETA_INSUFFICIENT_SCOPE, /* 403 error="insufficient_scope" */
};

/*
 * A WWW-Authenticate value: `Bearer` then error (by kind),
 * error_description (a static text, never token data; NULL: none),
 * scope (the scopes the request needs, space-separated; left out when
 * none, or when the value would pass RSMETA_MAX_CHALLENGE_LEN) and
 * resource_metadata (left out past ASMETA_MAX_URL_LEN, as is a
 * description past RSMETA_MAX_DESCRIPTION_LEN), each a quoted-string
 * (RFC 9110 5.6.4: '"' and '\' escaped, control characters dropped).
 * Never longer than RSMETA_MAX_CHALLENGE_LEN.  Caller frees.
 */
char	*rsmeta_challenge(enum rsmeta_challenge, const char *description,
	    const char *const *scopes, size_t nscopes,
	    const char *metadata_url);

#endif
