/* SPDX-License-Identifier: ISC */
/*
 * asmeta.c: where an authorization server's metadata lives and what the
 * resource server takes from it.
 *
 * The issuer check is the one that matters (RFC 8414 3.3, OpenID
 * Discovery 4.3): the document's issuer must be the configured string
 * byte for byte, or a server that can answer on one well-known URL could
 * vouch for keys in another issuer's name.  Endpoints follow url.h's
 * policy: https, or plain http to this machine (a test's server).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asmeta.h"
#include "jsonparse.h"
#include "url.h"
#include "xmalloc.h"

static const char *const asmeta_names[ASMETA_NWELLKNOWN] = {
	"oauth-authorization-server",	/* RFC 8414 3.1, inserted */
	"openid-configuration",		/* inserted, as some servers do */
	"openid-configuration",		/* OpenID Discovery 4, appended */
};

const char asmeta_cause_issuer[] =
    "metadata issuer is not the configured issuer";

/* Where the authority starts: after "https://" or "http://" at the very
 * start (libcurl also takes "https:/x" and friends, whose first "://"
 * is somewhere in the path). */
static const char *
asmeta_authority(const char *url)
{
	if (strncasecmp(url, "https://", 8) == 0)
		return url + 8;
	if (strncasecmp(url, "http://", 7) == 0)
		return url + 7;
	return NULL;
}

static int
asmeta_url_ok(const char *url)
{
	char	*err = NULL;
	size_t	 i;
	int	 rv;

	if (strlen(url) > ASMETA_MAX_URL_LEN)
		return 0;
	/* Printable ASCII only (RFC 3986: anything else percent-encoded):
	 * libcurl lets raw bytes through, and these URLs end up in JSON,
	 * headers and log lines. */
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return 0;
	/* And "https://" spelled out: libcurl would take "https:/x". */
	if (asmeta_authority(url) == NULL)
		return 0;
	rv = url_check(url, 0, &err);
	free(err);
	return rv == 0;
}

int
asmeta_issuer_check(const char *issuer, const char **cause)
{
	char	*probe;

	if (issuer == NULL || *issuer == '\0') {
		*cause = "issuer is empty";
		return -1;
	}
	if (strlen(issuer) > ASMETA_MAX_URL_LEN) {
		*cause = "issuer is too long";
		return -1;
	}
	if (strpbrk(issuer, "?#") != NULL) {
		*cause = "issuer has a query or a fragment";
		return -1;
	}
	/* The probe says the URL splits into an origin and a path. */
	if ((probe = asmeta_insert_wellknown(issuer, "x")) == NULL) {
		*cause = "issuer is not an https URL (or http to loopback)";
		return -1;
	}
	free(probe);
	return 0;
}

char *
asmeta_insert_wellknown(const char *url, const char *name)
{
	const char	*p, *path;
	size_t		 olen, plen;
	char		*out;

	if (url == NULL || strpbrk(url, "?#") != NULL || !asmeta_url_ok(url))
		return NULL;
	if ((p = asmeta_authority(url)) == NULL)
		return NULL;
	path = p + strcspn(p, "/");
	/* No userinfo: "https://a@b" names b, and nobody means that. */
	if (memchr(p, '@', (size_t)(path - p)) != NULL || path == p)
		return NULL;
	olen = (size_t)(path - url);
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	xasprintf(&out, "%.*s/.well-known/%s%.*s", (int)olen, url, name,
	    (int)plen, path);
	return out;
}

char *
asmeta_wellknown_url(const char *issuer, int i)
{
	const char	*cause, *host;
	char		*out;
	size_t		 len;

	if (i < 0 || i >= ASMETA_NWELLKNOWN ||
	    asmeta_issuer_check(issuer, &cause) == -1)
		return NULL;
	if (i < 2)
		return asmeta_insert_wellknown(issuer, asmeta_names[i]);
	len = strlen(issuer);
	while (len > 0 && issuer[len - 1] == '/')
		len--;
	/* Appended is inserted when the issuer has no path. */
	host = asmeta_authority(issuer);
	if (host + strcspn(host, "/") >= issuer + len)
		return NULL;
	xasprintf(&out, "%.*s/.well-known/%s", (int)len, issuer,
	    asmeta_names[i]);
	return out;
}

/* A string member: 1 and *out, 0 when absent; -1 if present but not a
 * string. */
static int
asmeta_string(json_object *o, const char *name, const char **out)
{
	json_object	*v;

	*out = NULL;
	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	/* An embedded NUL would make the C string another URL. */
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return -1;
	return 1;
}

/* -1: not an array of strings; else which methods it lists (bit 0
 * basic, bit 1 post). */
static int
asmeta_methods(json_object *o, const char *name)
{
	json_object	*a, *v;
	size_t		 i, n;
	int		 bits = 0;
	const char	*s;

	if (!json_object_object_get_ex(o, name, &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -1;
	n = json_object_array_length(a);
	if (n > ASMETA_MAX_METHODS)
		n = ASMETA_MAX_METHODS;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string))
			return -1;
		s = json_object_get_string(v);
		if (strcmp(s, "client_secret_basic") == 0)
			bits |= 1;
		else if (strcmp(s, "client_secret_post") == 0)
			bits |= 2;
	}
	return bits;
}

struct asmeta *
asmeta_parse(const char *body, size_t len, const char *issuer,
    const char **cause)
{
	json_object	*root = NULL;
	struct asmeta	*m = NULL;
	const char	*iss, *jwks, *intro;
	int		 bits;

	if (len > ASMETA_MAX_LEN) {
		*cause = "metadata document is too long";
		goto fail;
	}
	if ((root = jsonparse_strict(body, len, cause)) == NULL)
		goto fail;
	if (!json_object_is_type(root, json_type_object)) {
		*cause = "metadata document is not a JSON object";
		goto fail;
	}
	if (asmeta_string(root, "issuer", &iss) != 1) {
		*cause = "metadata has no issuer string";
		goto fail;
	}
	if (issuer == NULL || strcmp(iss, issuer) != 0) {
		*cause = asmeta_cause_issuer;
		goto fail;
	}
	if (asmeta_string(root, "jwks_uri", &jwks) == -1 ||
	    (jwks != NULL && !asmeta_url_ok(jwks))) {
		*cause = "jwks_uri is not an https URL (or http to loopback)";
		goto fail;
	}
	if (asmeta_string(root, "introspection_endpoint", &intro) == -1 ||
	    (intro != NULL && !asmeta_url_ok(intro))) {
		*cause = "introspection_endpoint is not an https URL "
		    "(or http to loopback)";
		goto fail;
	}
	if (jwks == NULL && intro == NULL) {
		*cause = "metadata has neither jwks_uri nor "
		    "introspection_endpoint";
		goto fail;
	}
	bits = asmeta_methods(root,
	    "introspection_endpoint_auth_methods_supported");
	if (bits == 0)
		bits = asmeta_methods(root,
		    "token_endpoint_auth_methods_supported");
	if (bits == -1) {
		*cause = "metadata auth methods are not an array of strings";
		goto fail;
	}

	m = xcalloc(1, sizeof *m);
	m->issuer = xstrdup(iss);
	m->jwks_uri = jwks != NULL ? xstrdup(jwks) : NULL;
	m->introspection_endpoint = intro != NULL ? xstrdup(intro) : NULL;
	m->introspection_auth = (bits & 1) || bits == 0 ? ASMETA_AUTH_BASIC :
	    ASMETA_AUTH_POST;
	json_object_put(root);
	return m;

fail:
	json_object_put(root);
	return NULL;
}

void
asmeta_free(struct asmeta *m)
{
	if (m == NULL)
		return;
	free(m->issuer);
	free(m->jwks_uri);
	free(m->introspection_endpoint);
	free(m);
}

char *
asmeta_issuer_hint(const char *body, size_t len, const char *issuer)
{
	json_object	*root;
	const char	*iss = NULL, *how = "";
	char		 named[ASMETA_HINT_ISSUER_LEN + 4], *out;
	size_t		 i, nlen, ilen;

	root = len <= ASMETA_MAX_LEN ? jsonparse_strict(body, len, NULL) : NULL;
	if (root == NULL || !json_object_is_type(root, json_type_object) ||
	    asmeta_string(root, "issuer", &iss) != 1) {
		json_object_put(root);
		return xstrdup("its metadata names no issuer that can be read");
	}
	for (i = 0; iss[i] != '\0' && i < ASMETA_HINT_ISSUER_LEN; i++)
		named[i] = (unsigned char)iss[i] > 0x20 &&
		    (unsigned char)iss[i] < 0x7f ? iss[i] : '?';
	if (iss[i] != '\0') {
		memcpy(named + i, "...", 3);
		i += 3;
	}
	named[i] = '\0';
	nlen = strlen(iss);
	ilen = strlen(issuer);
	if (nlen + 1 == ilen && issuer[nlen] == '/' &&
	    strncmp(iss, issuer, nlen) == 0)
		how = " (only the configured one's trailing '/' differs)";
	else if (ilen + 1 == nlen && iss[ilen] == '/' &&
	    strncmp(iss, issuer, ilen) == 0)
		how = " (only its trailing '/' differs)";
	else if (nlen == ilen && strcasecmp(iss, issuer) == 0)
		how = " (they differ only in case)";
	xasprintf(&out, "the server names itself '%s'%s: give --oauth-issuer "
	    "exactly that, byte for byte, if it is the server you mean",
	    named, how);
	json_object_put(root);
	return out;
}
