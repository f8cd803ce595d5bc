/*
 * oauth_discovery.c: where a sign-in signs in, found on the network: the
 * PRM and ASM steps of oauth.c.
 *
 *   PRM  protected resource metadata (RFC 9728): the URL in the
 *        challenge, then the well-known URIs (oauth_prm_urls); it must be
 *        for this server, and names the authorization server.  None at
 *        all means a 2025-03-26 server, whose origin is its authorization
 *        server.
 *   ASM  authorization server metadata (RFC 8414, OpenID Connect) at the
 *        URIs of oauth_as_urls in the specification's order; its issuer
 *        must be the one asked for, and PKCE S256 offered.  A 2025-03-26
 *        server without any uses /authorize, /token and /register.
 *
 * Each fetch is a GET through oauth_request, one at a time (o->xfer).
 * When the endpoints are known, oauth_endpoints_ready goes on; a failure
 * ends the sign-in with oauth_fail.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "curl_event.h"
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

/* ---- ASM ---- */

static void
oauth_asm_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct oauth	*o = arg;
	json_object	*doc;
	const char	*issuer, *ae, *te, *re, *url = o->urls[o->iurl - 1];
	json_object	*v;
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
	if ((issuer = oauth_string(doc, "issuer")) == NULL ||
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
	if (!json_object_object_get_ex(doc, "code_challenge_methods_supported",
	    &v) || !oauth_json_has_string(v, "S256")) {
		json_object_put(doc);
		oauth_fail(o, "%s does not support PKCE with S256 "
		    "(code_challenge_methods_supported): refusing to sign in",
		    o->issuer);
		return;
	}
	ae = oauth_string(doc, "authorization_endpoint");
	te = oauth_string(doc, "token_endpoint");
	re = oauth_string(doc, "registration_endpoint");
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
	o->iss_supported = json_object_object_get_ex(doc,
	    "authorization_response_iss_parameter_supported", &v) &&
	    json_object_get_boolean(v);
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
	oauth_free_vector(o->urls);
	o->iurl = 0;
	if ((o->urls = oauth_as_urls(o->issuer)) == NULL) {
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
	    !json_object_object_get_ex(doc, "authorization_servers", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		log_debug("OAuth: %s: %s", url, status == 0 ? error :
		    "not protected resource metadata");
		json_object_put(doc);
		oauth_prm_next(o);
		return;
	}
	/* The metadata must be this server's (RFC 9728 3.3, RFC 8707). */
	if ((resource = oauth_string(doc, "resource")) != NULL &&
	    !oauth_resource_matches(o->server_url, resource)) {
		q = oauth_quote(resource);
		json_object_put(doc);
		oauth_fail(o, "the protected resource metadata at %s is for "
		    "'%s', not for %s: refused", url, q, o->server_url);
		free(q);
		return;
	}
	free(o->resource);
	o->resource = resource != NULL ? xstrdup(resource) :
	    oauth_canonical_resource(o->server_url);
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
	o->issuer = oauth_origin(o->server_url);
	free(o->resource);
	o->resource = oauth_canonical_resource(o->server_url);
	oauth_asm_begin(o);
}

void
oauth_discovery_begin(struct oauth *o)
{
	char	**wk, *err;
	size_t	 n = 0, i;

	o->step = OAUTH_PRM;
	oauth_free_vector(o->urls);
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
	if ((wk = oauth_prm_urls(o->server_url)) != NULL) {
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
