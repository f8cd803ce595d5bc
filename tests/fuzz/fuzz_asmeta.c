/* SPDX-License-Identifier: ISC */
/*
 * fuzz_asmeta.c: authorization server metadata (asmeta.c) and the
 * protected-resource values (rsmeta.c) from arbitrary bytes.
 *
 * Input: one byte chooses the mode, the rest is its material.
 *   0  a metadata document, held to a fixed issuer (and the hint for
 *      one that names another: printable ASCII only)
 *   1  an issuer: its well-known URLs
 *   2  a resource: its metadata URL, path and document
 *   3  a challenge's description and scopes (split at spaces)
 *
 * Whatever the input: a parsed document names the fixed issuer and only
 * https (or http) endpoints; well-known URLs exist exactly for issuers
 * that pass the check and carry "/.well-known/"; a document is strict
 * JSON; a WWW-Authenticate value has no control character (no header
 * injection) and stays within its limit; nothing leaked.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "asmeta.h"
#include "fuzz.h"
#include "jsonparse.h"
#include "log.h"
#include "rsmeta.h"
#include "xmalloc.h"

#define FUZZ_ISSUER	"https://as.example/realms/a"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_asmeta");
	return 0;
}

static int
endpoint_ok(const char *u)
{
	/* Schemes are case-insensitive (RFC 3986 3.1). */
	return u == NULL || strncasecmp(u, "https://", 8) == 0 ||
	    strncasecmp(u, "http://", 7) == 0;
}

static void
header_ok(const char *h)
{
	size_t	 i;

	FUZZ_CHECK(strncmp(h, "Bearer", 6) == 0, "%s", h);
	for (i = 0; h[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)h[i] >= 0x20 &&
		    (unsigned char)h[i] != 0x7f, "control character at %zu", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in;
	struct asmeta		*m;
	struct rsmeta_config	 c;
	json_object		*o;
	const char		*cause, *scopes[RSMETA_MAX_SCOPES];
	const char		*issuers[1] = { FUZZ_ISSUER };
	char			*s, *u, *p, *tok;
	size_t			 len, i, n;
	unsigned		 mode;

	fuzz_in_init(&in, data, size);
	mode = fuzz_byte(&in) % 4;
	s = xstrndup((const char *)in.p, in.left);
	len = in.left;
	switch (mode) {
	case 0:
		cause = NULL;
		m = asmeta_parse((const char *)in.p, len, FUZZ_ISSUER, &cause);
		FUZZ_CHECK((m == NULL) == (cause != NULL), "cause");
		if (m != NULL) {
			FUZZ_CHECK(strcmp(m->issuer, FUZZ_ISSUER) == 0, "iss");
			FUZZ_CHECK(m->jwks_uri != NULL ||
			    m->introspection_endpoint != NULL, "endpoints");
			FUZZ_CHECK(endpoint_ok(m->jwks_uri) &&
			    endpoint_ok(m->introspection_endpoint), "scheme");
		}
		asmeta_free(m);
		/* The hint for a log line: printable ASCII only. */
		u = asmeta_issuer_hint((const char *)in.p, len, FUZZ_ISSUER);
		for (i = 0; u[i] != '\0'; i++)
			FUZZ_CHECK((unsigned char)u[i] >= 0x20 &&
			    (unsigned char)u[i] < 0x7f, "hint byte %zu", i);
		free(u);
		break;
	case 1:
		u = asmeta_wellknown_url(s, 0);
		FUZZ_CHECK((u != NULL) == (asmeta_issuer_check(s, &cause) ==
		    0), "check and URL disagree");
		free(u);
		for (i = 0; i < ASMETA_NWELLKNOWN; i++) {
			if ((u = asmeta_wellknown_url(s, (int)i)) == NULL)
				continue;
			FUZZ_CHECK(strstr(u, "/.well-known/") != NULL, "%s", u);
			FUZZ_CHECK(endpoint_ok(u), "%s", u);
			free(u);
		}
		break;
	case 2:
		u = rsmeta_metadata_url(s);
		p = rsmeta_metadata_path(s);
		FUZZ_CHECK((u == NULL) == (p == NULL), "url and path");
		FUZZ_CHECK(p == NULL || strncmp(p, "/.well-known/"
		    RSMETA_WELLKNOWN, 13 + strlen(RSMETA_WELLKNOWN)) == 0,
		    "%s", p);
		memset(&c, 0, sizeof c);
		c.resource = s;
		c.issuers = issuers;
		c.nissuers = 1;
		tok = rsmeta_document(&c);
		FUZZ_CHECK((tok == NULL) == (u == NULL), "document");
		if (tok != NULL) {
			o = jsonparse_strict(tok, strlen(tok), &cause);
			FUZZ_CHECK(o != NULL, "%s", tok);
			json_object_put(o);
		}
		free(tok);
		free(u);
		free(p);
		break;
	default:
		n = 0;
		for (tok = strtok(s, " "); tok != NULL && n < RSMETA_MAX_SCOPES;
		    tok = strtok(NULL, " "))
			scopes[n++] = tok;
		u = rsmeta_challenge(RSMETA_INSUFFICIENT_SCOPE,
		    n > 0 ? scopes[0] : NULL, scopes, n,
		    n > 1 ? scopes[1] : NULL);
		header_ok(u);
		FUZZ_CHECK(strlen(u) <= RSMETA_MAX_CHALLENGE_LEN,
		    "%zu", strlen(u));
		free(u);
		break;
	}
	free(s);
	return 0;
}
