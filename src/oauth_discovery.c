/* SPDX-License-Identifier: ISC */
/*
 * oauth_discovery.c: where a sign-in signs in, found on the network: the
 * PRM and ASM steps of oauth.c.
 *
 *   PRM  protected resource metadata (RFC 9728): the URL in the
 *        challenge, then the well-known URIs (oauth_discovery_prm_urls);
 *        it must be for this server, and names the authorization server.
 *        None at all means a 2025-03-26 server, whose origin is its
 *        authorization server.
 *   ASM  authorization server metadata (RFC 8414, OpenID Connect) at the
 *        URIs of oauth_discovery_as_urls in the specification's order;
 *        its issuer must be the one asked for, and PKCE S256 offered.  A
 *        2025-03-26 server without any uses /authorize, /token and
 *        /register.
 *
 * Each fetch is a GET through oauth_request, one at a time (o->xfer).
 * When the endpoints are known, oauth_endpoints_ready goes on; a failure
 * ends the sign-in with oauth_fail.  The URLs it fetches and the resource
 * it names are made by the pure oauth_discovery_* functions of oauth.h,
 * over url.c's parsing.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "curl_event.h"
#include "jsonrpc.h"
#include "log.h"
#include "oauth.h"
#include "oauth_int.h"
#include "url.h"
#include "xmalloc.h"

static void	oauth_prm_next(struct oauth *);
static void	oauth_asm_begin(struct oauth *);
static void	oauth_asm_next(struct oauth *);

static void
oauth_get(struct oauth *o, const char *url, curl_event_done_cb done)
{
	log_debug("OAuth: GET %s", url);
	oauth_request(o, "GET", url, NULL, NULL, done);
}

/* ---- the metadata URLs (pure; oauth.h, tested in check_oauth.c) ---- */

/* The URL with this path and neither query nor fragment. */
static char *
oauth_with_path(CURLU *base, const char *path)
{
	CURLU	*u;
	char	*s, *r = NULL;

	if ((u = curl_url_dup(base)) == NULL)
		fatalx("curl_url_dup");
	if (curl_url_set(u, CURLUPART_PATH, path, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
		r = xstrdup(s);
		curl_free(s);
	}
	curl_url_cleanup(u);
	return r;
}

/* The path without its trailing slashes ("" for the root). */
static char *
oauth_trimmed_path(CURLU *u)
{
	char	*path;
	size_t	 len;

	path = url_part(u, CURLUPART_PATH, 0);
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	return path;
}

char **
oauth_discovery_prm_urls(const char *server_url)
{
	CURLU	*u;
	char	**v = NULL, *path, *p, *s;
	size_t	 n = 0;

	if ((u = url_parse(server_url)) == NULL)
		return NULL;
	path = oauth_trimmed_path(u);
	if (*path != '\0') {
		xasprintf(&p, "/.well-known/oauth-protected-resource%s", path);
		if ((s = oauth_with_path(u, p)) != NULL)
			oauth_vector_add(&v, &n, s);
		free(p);
	}
	if ((s = oauth_with_path(u, "/.well-known/oauth-protected-resource"))
	    != NULL)
		oauth_vector_add(&v, &n, s);
	free(path);
	curl_url_cleanup(u);
	return v;
}

char **
oauth_discovery_as_urls(const char *issuer)
{
	CURLU		*u;
	char		**v = NULL, *path, *p, *s, *q;
	size_t		 n = 0, i;
	static const char *const fmt[3] = {
		"/.well-known/oauth-authorization-server%s",
		"/.well-known/openid-configuration%s",
		"%s/.well-known/openid-configuration",
	};

	if ((u = url_parse(issuer)) == NULL)
		return NULL;
	/* An issuer has neither query nor fragment (RFC 8414). */
	if (curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &q, 0) == CURLUE_OK) {
		curl_free(q);
		curl_url_cleanup(u);
		return NULL;
	}
	path = oauth_trimmed_path(u);
	for (i = 0; i < (*path != '\0' ? 3u : 2u); i++) {
		xasprintf(&p, fmt[i], path);
		if ((s = oauth_with_path(u, p)) != NULL)
			oauth_vector_add(&v, &n, s);
		free(p);
	}
	free(path);
	curl_url_cleanup(u);
	return v;
}

char *
oauth_discovery_origin(const char *url)
{
	CURLU	*u;
	char	*scheme, *host, *port, *o, *p;

	if ((u = url_parse(url)) == NULL)
		return NULL;
	scheme = url_part(u, CURLUPART_SCHEME, 0);
	host = url_part(u, CURLUPART_HOST, 0);
	port = url_part(u, CURLUPART_PORT, 0);
	for (p = host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	xasprintf(&o, "%s://%s%s%s", scheme, host, *port != '\0' ? ":" : "",
	    port);
	free(scheme);
	free(host);
	free(port);
	curl_url_cleanup(u);
	return o;
}

char *
oauth_discovery_canonical_resource(const char *url)
{
	CURLU	*u;
	char	*origin, *path, *query, *r;

	if ((u = url_parse(url)) == NULL ||
	    (origin = oauth_discovery_origin(url)) == NULL) {
		curl_url_cleanup(u);
		return NULL;
	}
	path = url_part(u, CURLUPART_PATH, 0);
	query = url_part(u, CURLUPART_QUERY, 0);
	if (strcmp(path, "/") == 0 && *query == '\0')
		*path = '\0';	/* the form without the trailing slash */
	xasprintf(&r, "%s%s%s%s", origin, path, *query != '\0' ? "?" : "",
	    query);
	free(origin);
	free(path);
	free(query);
	curl_url_cleanup(u);
	return r;
}

int
oauth_discovery_resource_matches(const char *url, const char *resource)
{
	CURLU	*ur, *uu;
	char	*rp, *up, *frag;
	size_t	 len;
	int	 ok = 0;

	if (!url_same_origin(url, resource))
		return 0;
	if ((ur = url_parse(resource)) == NULL)
		return 0;
	if (curl_url_get(ur, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		curl_free(frag);
		curl_url_cleanup(ur);
		return 0;
	}
	if ((uu = url_parse(url)) == NULL) {
		curl_url_cleanup(ur);
		return 0;
	}
	rp = oauth_trimmed_path(ur);
	up = oauth_trimmed_path(uu);
	len = strlen(rp);
	if (len == 0 || (strncmp(up, rp, len) == 0 &&
	    (up[len] == '\0' || up[len] == '/')))
		ok = 1;
	free(rp);
	free(up);
	curl_url_cleanup(ur);
	curl_url_cleanup(uu);
	return ok;
}

/* ---- ASM ---- */

int
oauth_discovery_flag(json_object *meta, const char *key)
{
	json_object	*v;

	/* These members are JSON booleans (RFC 8414 2, RFC 9207 3).  Not
	 * json-c's conversion, which counts a non-zero number or a
	 * non-empty string ("false") as true: anything but a boolean
	 * counts as absent, and absent means false. */
	v = jsonrpc_get(meta, key, json_type_boolean);
	return v != NULL && json_object_get_boolean(v);
}

static void
oauth_asm_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct oauth	*o = arg;
	json_object	*doc;
	const char	*issuer, *ae, *te, *re, *url = o->urls[o->iurl - 1];
	long		 status;
	char		*err, *q;

	o->xfer = NULL;
	doc = oauth_answer(x, result, &status);
	if (status != 200 || doc == NULL) {
		log_debug("OAuth: %s: %s", url, status == 0 ? error :
		    "not metadata");
		json_object_put(doc);
		oauth_asm_next(o);
		return;
	}
	/* RFC 8414 3.3: the issuer is the one the URL was made from. */
	if ((issuer = jsonrpc_get_str(doc, "issuer")) == NULL ||
	    strcmp(issuer, o->issuer) != 0) {
		q = oauth_quote(issuer != NULL ? issuer : "");
		free(o->as_refused);
		xasprintf(&o->as_refused, "the metadata at %s names issuer "
		    "'%s', not %s: not used", url, q, o->issuer);
		free(q);
		log_warnx("%s", o->as_refused);
		json_object_put(doc);
		oauth_asm_next(o);
		return;
	}
	if (!jsonrpc_array_has_str(jsonrpc_get(doc,
	    "code_challenge_methods_supported", json_type_array), "S256")) {
		json_object_put(doc);
		oauth_fail(o, "%s does not support PKCE with S256 "
		    "(code_challenge_methods_supported): refusing to sign in",
		    o->issuer);
		return;
	}
	ae = jsonrpc_get_str(doc, "authorization_endpoint");
	te = jsonrpc_get_str(doc, "token_endpoint");
	re = jsonrpc_get_str(doc, "registration_endpoint");
	if (ae == NULL || te == NULL) {
		json_object_put(doc);
		oauth_fail(o, "the metadata of %s has no authorization or "
		    "token endpoint", o->issuer);
		return;
	}
	/* What goes to a browser, and where codes and secrets go. */
	if (url_check_browser(ae, 0, &err) == -1 ||
	    url_check(te, o->allow_http, &err) == -1 ||
	    (re != NULL && url_check(re, o->allow_http, &err) == -1)) {
		json_object_put(doc);
		oauth_fail(o, "refusing the metadata of %s: %s", o->issuer,
		    err);
		free(err);
		return;
	}
	oauth_replace(&o->authorization_endpoint, ae);
	oauth_replace(&o->token_endpoint, te);
	oauth_replace(&o->registration_endpoint, re);
	/* If true, a code without iss is refused. */
	o->iss_supported = oauth_discovery_flag(doc,
	    "authorization_response_iss_parameter_supported");
	o->asmeta = doc;
	log_debug("OAuth: authorization server %s", o->issuer);
	oauth_endpoints_ready(o);
}

static void
oauth_asm_next(struct oauth *o)
{
	const char	*url = o->urls[o->iurl];

	if (url != NULL) {
		o->iurl++;
		oauth_get(o, url, oauth_asm_done);
		return;
	}
	if (o->as_refused != NULL) {
		oauth_finish(o, o->as_refused);
		return;
	}
	if (!o->legacy) {
		oauth_fail(o, "found no authorization server metadata for %s",
		    o->issuer);
		return;
	}
	/* 2025-03-26: the default endpoints at the server's origin. */
	log_info("no authorization server metadata at %s; using its "
	    "/authorize, /token and /register", o->issuer);
	xasprintf(&o->authorization_endpoint, "%s/authorize", o->issuer);
	xasprintf(&o->token_endpoint, "%s/token", o->issuer);
	xasprintf(&o->registration_endpoint, "%s/register", o->issuer);
	oauth_endpoints_ready(o);
}

static void
oauth_asm_begin(struct oauth *o)
{
	o->step = OAUTH_ASM;
	xfreev(o->urls);
	o->iurl = 0;
	if ((o->urls = oauth_discovery_as_urls(o->issuer)) == NULL) {
		oauth_fail(o, "the authorization server '%s' is not a usable "
		    "issuer URL", o->issuer);
		return;
	}
	oauth_asm_next(o);
}

/* ---- PRM ---- */

static void
oauth_prm_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct oauth	*o = arg;
	json_object	*doc, *list, *v;
	const char	*resource, *url = o->urls[o->iurl - 1], *as;
	long		 status;
	size_t		 i;
	char		*err, *q;

	o->xfer = NULL;
	doc = oauth_answer(x, result, &status);
	if (status != 200 || doc == NULL ||
	    (list = jsonrpc_get(doc, "authorization_servers",
	    json_type_array)) == NULL) {
		log_debug("OAuth: %s: %s", url, status == 0 ? error :
		    "not protected resource metadata");
		json_object_put(doc);
		oauth_prm_next(o);
		return;
	}
	/* The metadata must be this server's (RFC 9728 3.3, RFC 8707). */
	if ((resource = jsonrpc_get_str(doc, "resource")) != NULL &&
	    !oauth_discovery_resource_matches(o->server_url, resource)) {
		q = oauth_quote(resource);
		json_object_put(doc);
		oauth_fail(o, "the protected resource metadata at %s is for "
		    "'%s', not for %s: refused", url, q, o->server_url);
		free(q);
		return;
	}
	free(o->resource);
	o->resource = resource != NULL ? xstrdup(resource) :
	    oauth_discovery_canonical_resource(o->server_url);
	for (i = 0; i < json_object_array_length(list); i++) {
		v = json_object_array_get_idx(list, i);
		if (!json_object_is_type(v, json_type_string))
			continue;
		as = json_object_get_string(v);
		if (url_check(as, o->allow_http, &err) == 0) {
			oauth_replace(&o->issuer, as);
			break;
		}
		log_warnx("skipping the authorization server %s: %s", as, err);
		free(err);
	}
	if (o->issuer == NULL) {
		json_object_put(doc);
		oauth_fail(o, "the protected resource metadata at %s names no "
		    "usable authorization server", url);
		return;
	}
	o->prm = doc;
	oauth_asm_begin(o);
}

static void
oauth_prm_next(struct oauth *o)
{
	const char	*url = o->urls[o->iurl];

	if (url != NULL) {
		o->iurl++;
		oauth_get(o, url, oauth_prm_done);
		return;
	}
	/* None: a 2025-03-26 server is its own authorization server. */
	log_info("%s has no protected resource metadata; looking for an "
	    "authorization server at its origin (2025-03-26)", o->server_url);
	o->legacy = 1;
	free(o->issuer);
	o->issuer = oauth_discovery_origin(o->server_url);
	free(o->resource);
	o->resource = oauth_discovery_canonical_resource(o->server_url);
	oauth_asm_begin(o);
}

void
oauth_discovery_begin(struct oauth *o)
{
	char	**wk, *err;
	size_t	 n = 0, i;

	o->step = OAUTH_PRM;
	xfreev(o->urls);
	o->urls = NULL;
	o->iurl = 0;
	/* The challenge's URL first, then the well-known ones. */
	if (o->bearer.resource_metadata != NULL) {
		if (url_check(o->bearer.resource_metadata,
		    o->allow_http, &err) == 0)
			oauth_vector_add(&o->urls, &n,
			    xstrdup(o->bearer.resource_metadata));
		else {
			log_warnx("ignoring resource_metadata: %s", err);
			free(err);
		}
	}
	if ((wk = oauth_discovery_prm_urls(o->server_url)) != NULL) {
		for (i = 0; wk[i] != NULL; i++) {
			if (n == 0 || strcmp(o->urls[0], wk[i]) != 0)
				oauth_vector_add(&o->urls, &n, wk[i]);
			else
				free(wk[i]);
		}
		free(wk);
	}
	if (o->urls == NULL)
		oauth_vector_add(&o->urls, &n, NULL);
	oauth_prm_next(o);
}
