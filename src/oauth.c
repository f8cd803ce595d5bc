/* SPDX-License-Identifier: ISC */
/*
 * oauth.c: signing in to a remote MCP server with OAuth 2.1.
 *
 * A sign-in is a chain of steps, each started by the one before it from a
 * callback (a transfer's end, a timer, the browser's redirect), never
 * inside the caller's own stack:
 *
 *   LOCK       the store's lock, so that one process signs in and the
 *              others wait and then read what it stored;
 *   PRM        protected resource metadata: the URL in the challenge, else
 *              the well-known URIs; none at all means a 2025-03-26 server,
 *              whose origin is its authorization server;
 *   ASM        authorization server metadata (RFC 8414 and OpenID Connect
 *              URIs in the specification's order; the 2025-03-26 default
 *              endpoints when there is none);
 *   REFRESH    the refresh token, when there is one from that issuer and
 *              the challenge is not for more scope; refused, go on;
 *   REGISTER   Dynamic Client Registration, when neither a pre-registered
 *              client, a Client ID Metadata Document nor a stored
 *              registration for that issuer will do;
 *   AUTHORIZE  a listener on 127.0.0.1, the authorization URL on stderr
 *              and to --oauth-open, and the one redirect with our state;
 *   TOKEN      the code, with the PKCE verifier and the resource, for a
 *              token, which is stored.
 *
 * oauth_finish ends every sign-in, successful or not: it stops what runs,
 * drops the lock and calls back.
 *
 * A refresh ahead of expiry (oauth_refresh_ahead) is the same chain with
 * no challenge, which stops at REFRESH: it never opens a browser, and if
 * it fails the token in use stays until it is refused.
 *
 * This file holds the chain and its LOCK, REFRESH, REGISTER, AUTHORIZE and
 * TOKEN steps; PRM and ASM are oauth_discovery.c's, the loopback listener
 * (freed a second after its last answer, so that the answer reaches the
 * browser) and the browser opener oauth_browser.c's.  struct oauth, which
 * they share: oauth_int.h.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>

#include "auth.h"
#include "base64.h"
#include "curl_event.h"
#include "env.h"
#include "file.h"
#include "jsonparse.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "oauth.h"
#include "oauth_int.h"
#include "oauth_store.h"
#include "pkce.h"
#include "url.h"
#include "xmalloc.h"

/* Each metadata, registration or token exchange. */
#define OAUTH_HTTP_TIMEOUT_MS	30000
/* The largest answer read from an authorization server. */
#define OAUTH_MAX_BODY		(1024 * 1024)
/* How often a process waiting for another's sign-in looks again. */
#define OAUTH_LOCK_POLL_MS	250
/* A token is refreshed this many seconds before it expires (or half its
 * lifetime before, if that is shorter), so that no request leaves with
 * one about to lapse. */
#define OAUTH_REFRESH_AHEAD_S	60
/* Random bytes in a PKCE verifier (43 characters) and in a state. */
#define OAUTH_VERIFIER_BYTES	32
#define OAUTH_STATE_BYTES	32
/* Server-supplied text quoted in an error, at most. */
#define OAUTH_QUOTE_MAX		200
/* Read of --oauth-client-secret-file, at most: its first line is the
 * secret, the rest is ignored. */
#define OAUTH_SECRET_MAX	4095
#define OAUTH_CLIENT_NAME	"mcpbridge"

/* struct oauth and what the module's files share: oauth_int.h. */
static void	oauth_authorize_begin(struct oauth *);
static void	oauth_authorize(struct oauth *);

/* ---- pure helpers ---- */

void
oauth_vector_add(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

void
oauth_bearer_clear(struct oauth_bearer *b)
{
	free(b->resource_metadata);
	free(b->scope);
	free(b->error);
	memset(b, 0, sizeof *b);
}

int
oauth_parse_bearer(const char *h, struct oauth_bearer *b)
{
	const char	*p = h, *tok, *end;
	size_t		 tlen;
	char		*value, **slot;
	int		 in_bearer = 0, found = 0;

	memset(b, 0, sizeof *b);
	if (h == NULL)
		return -1;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (mcpwire_tchar((unsigned char)*p) && *p != '=')
			p++;
		if ((tlen = (size_t)(p - tok)) == 0) {
			p++;		/* not HTTP: skip it */
			continue;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=') {
			/* A scheme: a new challenge starts. */
			in_bearer = tlen == 6 && strncasecmp(tok, "Bearer", 6)
			    == 0;
			found |= in_bearer;
			continue;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			struct evbuffer *v;

			if ((v = evbuffer_new()) == NULL)
				fatalx("evbuffer_new");
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				evbuffer_add(v, p, 1);
			}
			if (*p == '"')
				p++;
			evbuffer_add(v, "", 1);
			value = xstrdup((const char *)evbuffer_pullup(v, -1));
			evbuffer_free(v);
		} else {
			/* A token; leniently, anything up to the next comma. */
			end = p + strcspn(p, " \t,\"");
			value = xstrndup(p, (size_t)(end - p));
			p = end;
		}
		slot = NULL;
		if (in_bearer && tlen == 17 &&
		    strncasecmp(tok, "resource_metadata", 17) == 0)
			slot = &b->resource_metadata;
		else if (in_bearer && tlen == 5 &&
		    strncasecmp(tok, "scope", 5) == 0)
			slot = &b->scope;
		else if (in_bearer && tlen == 5 &&
		    strncasecmp(tok, "error", 5) == 0)
			slot = &b->error;
		if (slot != NULL && *slot == NULL)
			*slot = value;
		else
			free(value);
	}
	if (!found) {
		oauth_bearer_clear(b);
		return -1;
	}
	return 0;
}

/* Adds the scope tokens of s to the set v (no duplicates). */
static void
oauth_scope_add(char ***v, size_t *n, const char *s)
{
	const char	*p, *end, *q;
	size_t		 len, i;

	for (p = s; p != NULL && *p != '\0'; p = end) {
		while (*p == ' ')
			p++;
		for (end = p; *end != '\0' && *end != ' '; end++)
			;
		if ((len = (size_t)(end - p)) == 0)
			continue;
		/* scope-token: %x21 / %x23-5B / %x5D-7E (RFC 6749 3.3) */
		for (q = p; q < end; q++) {
			if (*q < 0x21 || *q > 0x7e || *q == '"' || *q == '\\')
				break;
		}
		if (q != end)
			continue;
		for (i = 0; i < *n; i++) {
			if (strlen((*v)[i]) == len &&
			    strncmp((*v)[i], p, len) == 0)
				break;
		}
		if (i == *n)
			oauth_vector_add(v, n, xstrndup(p, len));
	}
}

char *
oauth_choose_scope(const char *challenge, json_object *prm_scopes,
    json_object *as_scopes, const char *previous)
{
	char		**v = NULL, *s = NULL;
	json_object	*e;
	size_t		 n = 0, i, len = 0;

	oauth_scope_add(&v, &n, previous);
	if (challenge != NULL && strspn(challenge, " ") != strlen(challenge))
		oauth_scope_add(&v, &n, challenge);
	else if (prm_scopes != NULL &&
	    json_object_is_type(prm_scopes, json_type_array)) {
		for (i = 0; i < json_object_array_length(prm_scopes); i++) {
			e = json_object_array_get_idx(prm_scopes, i);
			if (json_object_is_type(e, json_type_string))
				oauth_scope_add(&v, &n,
				    json_object_get_string(e));
		}
	}
	/* A refresh token, where the authorization server offers one. */
	if (n > 0 && jsonrpc_array_has_str(as_scopes, "offline_access"))
		oauth_scope_add(&v, &n, "offline_access");
	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	s = xmalloc(len);
	for (i = 0, len = 0; i < n; i++) {
		if (i > 0)
			s[len++] = ' ';
		memcpy(s + len, v[i], strlen(v[i]));
		len += strlen(v[i]);
	}
	s[len] = '\0';
	xfreev(v);
	return s;
}

char *
oauth_form_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;

	out = o = xmalloc(strlen(s) * 3 + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL)
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

char **
oauth_split_command(const char *cmd)
{
	char		**v = NULL;
	const char	*p, *end;
	size_t		 n = 0;

	for (p = cmd; *p != '\0'; p = end) {
		p += strspn(p, " \t");
		end = p + strcspn(p, " \t");
		if (end > p)
			oauth_vector_add(&v, &n, xstrndup(p,
			    (size_t)(end - p)));
	}
	return v;
}

/* ---- small things ---- */

static int64_t
oauth_now(void)
{
	return (int64_t)time(NULL);
}

void
oauth_set_timer(struct event *ev, long ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

void
oauth_replace(char **slot, const char *s)
{
	free(*slot);
	*slot = s != NULL ? xstrdup(s) : NULL;
}

/* Frees a secret after overwriting it. */
static void
oauth_forget(char **slot)
{
	if (*slot != NULL) {
		memset(*slot, 0, strlen(*slot));
		free(*slot);
		*slot = NULL;
	}
}

/* Server-supplied text, printable and short, for a message. */
char *
oauth_quote(const char *s)
{
	char	*q;
	size_t	 i;

	q = xstrndup(s, OAUTH_QUOTE_MAX);
	for (i = 0; q[i] != '\0'; i++) {
		if ((unsigned char)q[i] < 0x20 || (unsigned char)q[i] > 0x7e)
			q[i] = '?';
	}
	return q;
}

/* " (error: description)" from an OAuth error answer, or "". */
static char *
oauth_error_text(json_object *doc)
{
	const char	*e, *d;
	char		*qe, *qd = NULL, *s;

	if ((e = jsonrpc_get_str(doc, "error")) == NULL)
		return xstrdup("");
	qe = oauth_quote(e);
	if ((d = jsonrpc_get_str(doc, "error_description")) != NULL)
		qd = oauth_quote(d);
	xasprintf(&s, " (%s%s%s)", qe, qd != NULL ? ": " : "",
	    qd != NULL ? qd : "");
	free(qe);
	free(qd);
	return s;
}

static char *
oauth_duration(long ms)
{
	char	*s;

	if (ms % 60000 == 0)
		xasprintf(&s, "%ldm", ms / 60000);
	else if (ms % 1000 == 0)
		xasprintf(&s, "%lds", ms / 1000);
	else
		xasprintf(&s, "%ldms", ms);
	return s;
}

/* ---- the document at rest ---- */

static json_object *
oauth_doc_load(struct oauth *o)
{
	json_object	*doc;

	if (o->store != NULL && (doc = oauth_store_load(o->store)) != NULL)
		return doc;
	if (o->store == NULL && o->memdoc != NULL)
		return json_object_get(o->memdoc);
	return json_object_new_object();
}

/* Takes doc. */
static void
oauth_doc_save(struct oauth *o, json_object *doc)
{
	char	*err;

	if (o->store == NULL) {
		json_object_put(o->memdoc);
		o->memdoc = doc;
		return;
	}
	if (oauth_store_save(o->store, doc, &err) == -1) {
		log_warnx("cannot store the sign-in: %s", err);
		free(err);
	}
	json_object_put(doc);
}

/* The stored tokens, if they differ from the ones in use: 1 if taken. */
static int
oauth_take_stored(struct oauth *o, json_object *doc)
{
	json_object	*t, *v;
	const char	*at;

	if ((t = jsonrpc_get(doc, "tokens", json_type_object)) == NULL ||
	    (at = jsonrpc_get_str(t, "access_token")) == NULL || *at == '\0' ||
	    strpbrk(at, "\r\n") != NULL)
		return 0;
	if (o->access_token != NULL && strcmp(o->access_token, at) == 0)
		return 0;
	oauth_forget(&o->access_token);
	oauth_forget(&o->refresh_token);
	o->access_token = xstrdup(at);
	oauth_replace(&o->refresh_token, jsonrpc_get_str(t, "refresh_token"));
	oauth_replace(&o->token_issuer, jsonrpc_get_str(t, "issuer"));
	oauth_replace(&o->scope, jsonrpc_get_str(t, "scope"));
	o->expires_at = json_object_object_get_ex(t, "expires_at", &v) ?
	    json_object_get_int64(v) : 0;
	/* What is left of it is all we know of its lifetime. */
	o->lifetime = o->expires_at != 0 ? o->expires_at - oauth_now() : 0;
	o->gen++;
	return 1;
}

static void
oauth_save_tokens(struct oauth *o)
{
	json_object	*doc, *t;

	doc = oauth_doc_load(o);
	t = json_object_new_object();
	json_object_object_add(t, "access_token",
	    json_object_new_string(o->access_token));
	if (o->refresh_token != NULL)
		json_object_object_add(t, "refresh_token",
		    json_object_new_string(o->refresh_token));
	if (o->token_issuer != NULL)
		json_object_object_add(t, "issuer",
		    json_object_new_string(o->token_issuer));
	if (o->resource != NULL)
		json_object_object_add(t, "resource",
		    json_object_new_string(o->resource));
	if (o->scope != NULL)
		json_object_object_add(t, "scope",
		    json_object_new_string(o->scope));
	if (o->expires_at != 0)
		json_object_object_add(t, "expires_at",
		    json_object_new_int64(o->expires_at));
	json_object_object_add(doc, "tokens", t);
	oauth_doc_save(o, doc);
}

/* The registration we made at this issuer, if it is stored. */
static int
oauth_stored_client(struct oauth *o)
{
	json_object	*doc, *clients, *cl;
	const char	*id;
	int		 found = 0;

	doc = oauth_doc_load(o);
	clients = jsonrpc_get(doc, "clients", json_type_object);
	cl = jsonrpc_get(clients, o->issuer, json_type_object);
	if ((id = jsonrpc_get_str(cl, "client_id")) != NULL) {
		oauth_replace(&o->client_id, id);
		oauth_replace(&o->client_secret, jsonrpc_get_str(cl,
		    "client_secret"));
		oauth_replace(&o->client_method, jsonrpc_get_str(cl,
		    "token_endpoint_auth_method"));
		oauth_replace(&o->client_redirect, jsonrpc_get_str(cl,
		    "redirect_uri"));
		found = 1;
	}
	json_object_put(doc);
	return found;
}

static void
oauth_save_client(struct oauth *o)
{
	json_object	*doc, *clients, *cl;

	doc = oauth_doc_load(o);
	if ((clients = jsonrpc_get(doc, "clients", json_type_object)) == NULL) {
		clients = json_object_new_object();
		json_object_object_add(doc, "clients", clients);
	}
	cl = json_object_new_object();
	json_object_object_add(cl, "client_id",
	    json_object_new_string(o->client_id));
	if (o->client_secret != NULL)
		json_object_object_add(cl, "client_secret",
		    json_object_new_string(o->client_secret));
	json_object_object_add(cl, "token_endpoint_auth_method",
	    json_object_new_string(o->client_method));
	json_object_object_add(cl, "redirect_uri",
	    json_object_new_string(o->redirect_uri));
	json_object_object_add(clients, o->issuer, cl);
	oauth_doc_save(o, doc);
}

/* ---- HTTP to the resource's metadata and the authorization server ---- */

static struct curl_slist *
oauth_append(struct curl_slist *h, const char *s)
{
	struct curl_slist	*n;

	if ((n = curl_slist_append(h, s)) == NULL)
		fatalx("curl_slist_append");
	return n;
}

void
oauth_request(struct oauth *o, const char *method, const char *url,
    struct curl_slist *h, const char *body, curl_event_done_cb done)
{
	struct curl_event_request	r;

	memset(&r, 0, sizeof r);
	r.method = method;
	r.url = url;
	r.headers = oauth_append(h, "Accept: application/json");
	r.body = body;
	r.len = body != NULL ? strlen(body) : 0;
	r.timeout_ms = OAUTH_HTTP_TIMEOUT_MS;
	r.max_buffered = OAUTH_MAX_BODY;
	r.on_done = done;
	r.arg = o;
	if ((o->xfer = curl_event_start(o->ce, &r)) == NULL)
		fatalx("cannot start an HTTP transfer");
}

/* The answer as a JSON object (whatever the status), or NULL. */
json_object *
oauth_answer(struct curl_event_xfer *x, int result, long *status)
{
	struct evbuffer		*b = curl_event_body(x);
	const char		*ct;
	json_object		*doc;
	size_t			 len;

	*status = result == 0 ? curl_event_status(x) : 0;
	if (*status == 0 || (len = evbuffer_get_length(b)) == 0)
		return NULL;
	ct = curl_event_header(x, "Content-Type");
	if (ct != NULL && strncasecmp(ct, "application/json", 16) != 0 &&
	    strstr(ct, "json") == NULL)
		return NULL;
	doc = jsonparse_strict((const char *)evbuffer_pullup(b, -1), len,
	    NULL);
	if (doc != NULL && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = NULL;
	}
	return doc;
}

/* Adds the client's credentials to a token request. */
static struct curl_slist *
oauth_client_auth(struct oauth *o, struct evbuffer *body)
{
	struct curl_slist	*h = NULL;
	char			*id, *secret, *pair, *b64, *hdr;

	id = oauth_form_escape(o->client_id);
	if (strcmp(o->client_method, "client_secret_basic") == 0 &&
	    o->client_secret != NULL) {
		/* RFC 6749 2.3.1: each form-encoded, then base64. */
		secret = oauth_form_escape(o->client_secret);
		xasprintf(&pair, "%s:%s", id, secret);
		b64 = base64_encode(pair, strlen(pair), 0);
		xasprintf(&hdr, "Authorization: Basic %s", b64);
		h = oauth_append(h, hdr);
		oauth_forget(&secret);
		oauth_forget(&pair);
		oauth_forget(&b64);
		oauth_forget(&hdr);
	} else {
		evbuffer_add_printf(body, "&client_id=%s", id);
		if (strcmp(o->client_method, "client_secret_post") == 0 &&
		    o->client_secret != NULL) {
			secret = oauth_form_escape(o->client_secret);
			evbuffer_add_printf(body, "&client_secret=%s", secret);
			oauth_forget(&secret);
		}
	}
	free(id);
	return h;
}

static void
oauth_post_form(struct oauth *o, const char *url, struct evbuffer *body,
    struct curl_slist *h, curl_event_done_cb done)
{
	size_t	 len = evbuffer_get_length(body);
	char	*text;

	text = xmalloc(len + 1);
	evbuffer_remove(body, text, len);
	text[len] = '\0';
	log_debug("OAuth: POST %s", url);
	h = oauth_append(h, "Content-Type: application/x-www-form-urlencoded");
	oauth_request(o, "POST", url, h, text, done);
	oauth_forget(&text);
}

/* Takes the tokens of a token endpoint's answer; NULL, or why not. */
static char *
oauth_take_tokens(struct oauth *o, json_object *doc, int refreshing)
{
	const char	*at, *type, *rt;
	json_object	*v;
	char		*why;

	if ((at = jsonrpc_get_str(doc, "access_token")) == NULL ||
	    *at == '\0' ||
	    strspn(at, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-._~+/=") != strlen(at))
		return xstrdup("the token endpoint's answer has no usable "
		    "access_token");
	if ((type = jsonrpc_get_str(doc, "token_type")) != NULL &&
	    strcasecmp(type, "Bearer") != 0) {
		char *q = oauth_quote(type);

		xasprintf(&why, "the token endpoint issued a token of type "
		    "'%s'; only Bearer is supported", q);
		free(q);
		return why;
	}
	oauth_forget(&o->access_token);
	o->access_token = xstrdup(at);
	o->gen++;
	rt = jsonrpc_get_str(doc, "refresh_token");
	if (rt != NULL && *rt != '\0') {
		/* Rotated: the old one is spent. */
		oauth_forget(&o->refresh_token);
		o->refresh_token = xstrdup(rt);
	} else if (!refreshing)
		oauth_forget(&o->refresh_token);
	/* Not jsonrpc_get: json-c's conversion takes "3600" (a string) and
	 * 3600.5 as well as 3600, as it always has. */
	if (json_object_object_get_ex(doc, "expires_in", &v) &&
	    json_object_get_int64(v) > 0 &&
	    json_object_get_int64(v) < INT32_MAX) {
		o->lifetime = json_object_get_int64(v);
		o->expires_at = oauth_now() + o->lifetime;
	} else
		o->expires_at = o->lifetime = 0;
	oauth_replace(&o->token_issuer, o->issuer);
	if (!refreshing)
		oauth_replace(&o->scope, o->req_scope);
	return NULL;
}

/* ---- the end of a sign-in ---- */

/* What one sign-in used, gone. */
static void
oauth_flow_clear(struct oauth *o)
{
	curl_event_cancel(o->xfer);
	o->xfer = NULL;
	evtimer_del(o->timer);
	evtimer_del(o->lock_timer);
	event_del(o->kick);
	oauth_browser_retire(o);
	if (o->store != NULL)
		oauth_store_unlock(o->store);
	oauth_bearer_clear(&o->bearer);
	xfreev(o->urls);
	o->urls = NULL;
	json_object_put(o->prm);
	o->prm = NULL;
	json_object_put(o->asmeta);
	o->asmeta = NULL;
	free(o->as_refused);
	o->as_refused = NULL;
	free(o->resource);
	o->resource = NULL;
	free(o->issuer);
	o->issuer = NULL;
	free(o->authorization_endpoint);
	o->authorization_endpoint = NULL;
	free(o->token_endpoint);
	o->token_endpoint = NULL;
	free(o->registration_endpoint);
	o->registration_endpoint = NULL;
	free(o->client_id);
	o->client_id = NULL;
	oauth_forget(&o->client_secret);
	free(o->client_method);
	o->client_method = NULL;
	free(o->client_redirect);
	o->client_redirect = NULL;
	o->client = OAUTH_CLIENT_NONE;
	oauth_forget(&o->verifier);
	oauth_forget(&o->state);
	free(o->req_scope);
	o->req_scope = NULL;
	free(o->redirect_uri);
	o->redirect_uri = NULL;
	o->lock_logged = 0;
	o->legacy = 0;
	o->step_up = 0;
	o->iss_supported = 0;
	o->ahead = 0;
	o->step = OAUTH_IDLE;
}

/* error may be part of the sign-in's state: it is copied first. */
void
oauth_finish(struct oauth *o, const char *error)
{
	char	*why = error != NULL ? xstrdup(error) : NULL;

	if (o->ahead && why != NULL) {
		/* Nothing is lost: the token in use goes on until it is
		 * refused, and then a sign-in runs as usual. */
		log_info("could not refresh the access token ahead of its "
		    "expiry (%s); using it while it lasts", why);
		o->ahead_failed = 1;
		o->ahead_gen = o->gen;
		free(why);
		why = NULL;
		oauth_flow_clear(o);
		o->done(o->arg, NULL);
		return;
	}
	oauth_flow_clear(o);
	if (why != NULL)
		log_warnx("sign-in to %s failed: %s", o->server_url, why);
	else
		log_info("signed in to %s", o->server_url);
	o->done(o->arg, why);
	free(why);
}

void
oauth_fail(struct oauth *o, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	oauth_finish(o, why);
	free(why);
}

static void
oauth_timed_out(evutil_socket_t fd, short what, void *arg)
{
	struct oauth	*o = arg;
	char		*d = oauth_duration(o->timeout_ms);

	if (o->step == OAUTH_LOCK)
		oauth_fail(o, "another mcpbridge was still signing in to this "
		    "server after %s (--oauth-timeout)", d);
	else if (o->step == OAUTH_AUTHORIZE)
		oauth_fail(o, "the sign-in was not completed in the browser "
		    "within %s (--oauth-timeout); the next request tries "
		    "again", d);
	else
		oauth_fail(o, "the sign-in did not finish within %s "
		    "(--oauth-timeout)", d);
	free(d);
}

/* ---- TOKEN ---- */

static void
oauth_token_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct oauth	*o = arg;
	json_object	*doc;
	long		 status;
	char		*why, *etext;

	o->xfer = NULL;
	doc = oauth_answer(x, result, &status);
	if (status < 200 || status >= 300 || doc == NULL) {
		etext = oauth_error_text(doc);
		if (status == 0)
			oauth_fail(o, "the token request failed: %s", error);
		else
			oauth_fail(o, "the token endpoint answered HTTP %ld%s",
			    status, etext);
		free(etext);
		json_object_put(doc);
		return;
	}
	why = oauth_take_tokens(o, doc, 0);
	json_object_put(doc);
	if (why != NULL) {
		oauth_finish(o, why);
		free(why);
		return;
	}
	oauth_save_tokens(o);
	oauth_finish(o, NULL);
}

static void
oauth_token(struct oauth *o, const char *code)
{
	struct evbuffer		*body;
	struct curl_slist	*h;
	char			*c, *r, *res;

	o->step = OAUTH_TOKEN;
	if ((body = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	c = oauth_form_escape(code);
	r = oauth_form_escape(o->redirect_uri);
	res = oauth_form_escape(o->resource);
	evbuffer_add_printf(body, "grant_type=authorization_code&code=%s"
	    "&redirect_uri=%s&code_verifier=%s&resource=%s", c, r, o->verifier,
	    res);
	oauth_forget(&c);
	free(r);
	free(res);
	h = oauth_client_auth(o, body);
	oauth_post_form(o, o->token_endpoint, body, h, oauth_token_done);
	evbuffer_free(body);
}

/* ---- AUTHORIZE: the redirect comes back ---- */

static void
oauth_callback(struct evhttp_request *req, void *arg)
{
	struct oauth		*o = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path, *query, *state, *iss, *error, *code;
	struct evkeyvalq	 params;
	char			*qe, *qd, *c;

	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (o->step != OAUTH_AUTHORIZE || path == NULL ||
	    strcmp(path, "/callback") != 0) {
		oauth_browser_reply(req, 404, "Not Found", "Nothing here.");
		return;
	}
	TAILQ_INIT(&params);
	query = evhttp_uri_get_query(uri);
	if (query == NULL || evhttp_parse_query_str(query, &params) == -1 ||
	    (state = evhttp_find_header(&params, "state")) == NULL ||
	    !auth_equal(state, strlen(state), o->state, strlen(o->state))) {
		/* Not our redirect: ignore it, keep waiting for ours. */
		log_warnx("ignoring a sign-in callback without our state");
		oauth_browser_reply(req, 400, "Bad Request", "This is not the "
		    "sign-in mcpbridge is waiting for.");
		evhttp_clear_headers(&params);
		return;
	}
	/* The one callback: the state is spent, the listener goes. */
	oauth_forget(&o->state);
	oauth_browser_retire(o);

	/* RFC 9207, before anything in the answer is believed. */
	iss = evhttp_find_header(&params, "iss");
	if (iss != NULL ? strcmp(iss, o->issuer) != 0 : o->iss_supported) {
		oauth_browser_reply(req, 400, "Bad Request", "Sign-in refused: "
		    "the answer did not come from the expected authorization "
		    "server.");
		if (iss != NULL) {
			qe = oauth_quote(iss);
			oauth_fail(o, "the authorization response names issuer "
			    "'%s', not %s: refused (RFC 9207)", qe, o->issuer);
			free(qe);
		} else
			oauth_fail(o, "the authorization server promised an "
			    "iss parameter and its response has none: refused "
			    "(RFC 9207)");
		evhttp_clear_headers(&params);
		return;
	}
	if ((error = evhttp_find_header(&params, "error")) != NULL) {
		oauth_browser_reply(req, 400, "Bad Request", "Sign-in refused "
		    "by the authorization server. You can close this window.");
		qe = oauth_quote(error);
		qd = oauth_quote((c = (char *)evhttp_find_header(&params,
		    "error_description")) != NULL ? c : "");
		oauth_fail(o, "the authorization server refused: %s%s%s", qe,
		    *qd != '\0' ? ": " : "", qd);
		free(qe);
		free(qd);
		evhttp_clear_headers(&params);
		return;
	}
	if ((code = evhttp_find_header(&params, "code")) == NULL ||
	    *code == '\0') {
		oauth_browser_reply(req, 400, "Bad Request", "The sign-in "
		    "answer has no code.");
		oauth_fail(o, "the authorization response has no code");
		evhttp_clear_headers(&params);
		return;
	}
	oauth_browser_reply(req, 200, "OK", "Signed in. You can close this "
	    "window and go back to your MCP client.");
	c = xstrdup(code);
	evhttp_clear_headers(&params);
	log_info("the browser came back; asking for a token");
	oauth_token(o, c);
	oauth_forget(&c);
}

/* ---- AUTHORIZE: the request ---- */

static void
oauth_authorize(struct oauth *o)
{
	struct evbuffer	*b;
	char		*challenge, *id, *ru, *res, *sc, *url, *err;
	json_object	*prm_scopes, *as_scopes;
	size_t		 len;

	o->step = OAUTH_AUTHORIZE;
	oauth_forget(&o->verifier);
	oauth_forget(&o->state);
	o->verifier = pkce_random_string(OAUTH_VERIFIER_BYTES);
	o->state = pkce_random_string(OAUTH_STATE_BYTES);
	challenge = pkce_challenge(o->verifier);
	prm_scopes = jsonrpc_get(o->prm, "scopes_supported", json_type_array);
	as_scopes = jsonrpc_get(o->asmeta, "scopes_supported", json_type_array);
	free(o->req_scope);
	o->req_scope = oauth_choose_scope(o->bearer.scope, prm_scopes,
	    as_scopes, o->scope);

	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	id = oauth_form_escape(o->client_id);
	ru = oauth_form_escape(o->redirect_uri);
	res = oauth_form_escape(o->resource);
	evbuffer_add_printf(b, "%s%sresponse_type=code&client_id=%s"
	    "&redirect_uri=%s&code_challenge=%s&code_challenge_method=S256"
	    "&state=%s&resource=%s", o->authorization_endpoint,
	    strchr(o->authorization_endpoint, '?') != NULL ? "&" : "?", id, ru,
	    challenge, o->state, res);
	if (o->req_scope != NULL) {
		sc = oauth_form_escape(o->req_scope);
		evbuffer_add_printf(b, "&scope=%s", sc);
		free(sc);
	}
	free(id);
	free(ru);
	free(res);
	free(challenge);
	len = evbuffer_get_length(b);
	url = xmalloc(len + 1);
	evbuffer_remove(b, url, len);
	url[len] = '\0';
	evbuffer_free(b);

	if (url_check_browser(url, 0, &err) == -1) {
		free(url);
		oauth_finish(o, err);
		free(err);
		return;
	}
	log_warnx("%s needs you to sign in; open this URL in a browser "
	    "(mcpbridge waits for it, and requests wait too): %s",
	    o->server_url, url);
	oauth_browser_open(o, url);
	free(url);
}

/* ---- REGISTER ---- */

/* How to authenticate at the token endpoint. */
static const char *
oauth_auth_method(struct oauth *o, int has_secret, const char *registered)
{
	json_object	*list;

	if (!has_secret)
		return "none";
	if (registered != NULL &&
	    (strcmp(registered, "client_secret_basic") == 0 ||
	    strcmp(registered, "client_secret_post") == 0))
		return registered;
	list = jsonrpc_get(o->asmeta, "token_endpoint_auth_methods_supported",
	    json_type_array);
	if (list == NULL || jsonrpc_array_has_str(list, "client_secret_basic"))
		return "client_secret_basic";	/* RFC 8414's default */
	if (jsonrpc_array_has_str(list, "client_secret_post"))
		return "client_secret_post";
	return "client_secret_basic";
}

static void
oauth_register_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct oauth	*o = arg;
	json_object	*doc;
	const char	*id;
	long		 status;
	char		*etext;

	o->xfer = NULL;
	doc = oauth_answer(x, result, &status);
	if (status < 200 || status >= 300 || doc == NULL ||
	    (id = jsonrpc_get_str(doc, "client_id")) == NULL || *id == '\0') {
		etext = oauth_error_text(doc);
		if (status == 0)
			oauth_fail(o, "client registration failed: %s", error);
		else
			oauth_fail(o, "client registration at %s failed: HTTP "
			    "%ld%s", o->registration_endpoint, status, etext);
		free(etext);
		json_object_put(doc);
		return;
	}
	oauth_replace(&o->client_id, id);
	oauth_replace(&o->client_secret, jsonrpc_get_str(doc, "client_secret"));
	oauth_replace(&o->client_method, oauth_auth_method(o,
	    o->client_secret != NULL, jsonrpc_get_str(doc,
	    "token_endpoint_auth_method")));
	o->client = OAUTH_CLIENT_DCR;
	json_object_put(doc);
	log_info("registered with %s as a client", o->issuer);
	oauth_save_client(o);
	oauth_authorize(o);
}

static void
oauth_register(struct oauth *o)
{
	json_object		*req, *a, *list;
	const char		*method;
	struct curl_slist	*h;

	if (o->registration_endpoint == NULL) {
		oauth_fail(o, "%s offers neither Dynamic Client Registration "
		    "nor Client ID Metadata Documents (or no "
		    "--oauth-client-metadata-url was given): give "
		    "--oauth-client-id from the server's operator", o->issuer);
		return;
	}
	o->step = OAUTH_REGISTER;
	/* A public client if the server allows it, else what it takes. */
	list = jsonrpc_get(o->asmeta, "token_endpoint_auth_methods_supported",
	    json_type_array);
	if (list == NULL || jsonrpc_array_has_str(list, "none"))
		method = "none";
	else if (jsonrpc_array_has_str(list, "client_secret_basic"))
		method = "client_secret_basic";
	else if (jsonrpc_array_has_str(list, "client_secret_post"))
		method = "client_secret_post";
	else
		method = "none";

	req = json_object_new_object();
	json_object_object_add(req, "client_name",
	    json_object_new_string(OAUTH_CLIENT_NAME));
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(o->redirect_uri));
	json_object_object_add(req, "redirect_uris", a);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("authorization_code"));
	json_object_array_add(a, json_object_new_string("refresh_token"));
	json_object_object_add(req, "grant_types", a);
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("code"));
	json_object_object_add(req, "response_types", a);
	json_object_object_add(req, "token_endpoint_auth_method",
	    json_object_new_string(method));
	json_object_object_add(req, "application_type",
	    json_object_new_string("native"));
	json_object_object_add(req, "software_id",
	    json_object_new_string(PACKAGE_NAME));
	json_object_object_add(req, "software_version",
	    json_object_new_string(PACKAGE_VERSION));
	log_info("registering with %s (Dynamic Client Registration)",
	    o->issuer);
	log_debug("OAuth: POST %s", o->registration_endpoint);
	h = oauth_append(NULL, "Content-Type: application/json");
	oauth_request(o, "POST", o->registration_endpoint, h,
	    json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE), oauth_register_done);
	json_object_put(req);
}

/* ---- the client identity and the listener ---- */

/* Without the network: pre-registered, CIMD, or stored for this issuer. */
static int
oauth_pick_client(struct oauth *o)
{
	free(o->client_id);
	o->client_id = NULL;
	oauth_forget(&o->client_secret);
	free(o->client_method);
	o->client_method = NULL;
	free(o->client_redirect);
	o->client_redirect = NULL;
	o->client = OAUTH_CLIENT_NONE;
	if (o->cfg_client_id != NULL) {
		o->client = OAUTH_CLIENT_PRE;
		o->client_id = xstrdup(o->cfg_client_id);
		oauth_replace(&o->client_secret, o->cfg_client_secret);
		o->client_method = xstrdup(oauth_auth_method(o,
		    o->client_secret != NULL, NULL));
		return 1;
	}
	if (o->cimd_url != NULL && o->asmeta != NULL &&
	    oauth_discovery_flag(o->asmeta,
	    "client_id_metadata_document_supported")) {
		o->client = OAUTH_CLIENT_CIMD;
		o->client_id = xstrdup(o->cimd_url);
		o->client_method = xstrdup("none");
		return 1;
	}
	if (oauth_stored_client(o)) {
		o->client = OAUTH_CLIENT_DCR;
		if (o->client_method == NULL)
			o->client_method = xstrdup(oauth_auth_method(o,
			    o->client_secret != NULL, NULL));
		return 1;
	}
	return 0;
}

static void
oauth_authorize_begin(struct oauth *o)
{
	int	port = o->cfg_port;

	if (o->client == OAUTH_CLIENT_NONE)
		oauth_pick_client(o);
	/* A registration of ours names its port: use it again. */
	if (port == 0 && o->client == OAUTH_CLIENT_DCR)
		port = url_loopback_port(o->client_redirect);
	if (oauth_browser_listen(o, port, oauth_callback) == -1) {
		if (o->cfg_port != 0) {
			oauth_fail(o, "cannot listen on 127.0.0.1:%d for the "
			    "sign-in (--oauth-callback-port): %s", o->cfg_port,
			    strerror(errno));
			return;
		}
		if (oauth_browser_listen(o, 0, oauth_callback) == -1) {
			oauth_fail(o, "cannot listen on 127.0.0.1 for the "
			    "sign-in: %s", strerror(errno));
			return;
		}
	}
	if (o->client == OAUTH_CLIENT_DCR && (o->client_redirect == NULL ||
	    strcmp(o->client_redirect, o->redirect_uri) != 0)) {
		log_info("the callback port changed: registering again");
		o->client = OAUTH_CLIENT_NONE;
	}
	if (o->client == OAUTH_CLIENT_NONE)
		oauth_register(o);
	else
		oauth_authorize(o);
}

/* ---- REFRESH ---- */

static void
oauth_refresh_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct oauth	*o = arg;
	json_object	*doc;
	long		 status;
	char		*why = NULL, *etext;

	o->xfer = NULL;
	doc = oauth_answer(x, result, &status);
	if (status >= 200 && status < 300 && doc != NULL &&
	    (why = oauth_take_tokens(o, doc, 1)) == NULL) {
		json_object_put(doc);
		log_info("refreshed the access token");
		oauth_save_tokens(o);
		oauth_finish(o, NULL);
		return;
	}
	etext = oauth_error_text(doc);
	if (why == NULL && (status == 0 || status == 429 || status >= 500)) {
		/* The token endpoint was not reached, or not well: nothing
		 * says the refresh token is spent, so it is kept for the
		 * next try (a browser would need that server too). */
		log_info("refreshing failed (%s); keeping the refresh token",
		    status == 0 ? error : "the token endpoint is unavailable");
		free(etext);
		json_object_put(doc);
		oauth_finish(o, "the token endpoint is unavailable");
		return;
	}
	if (why != NULL)
		log_info("refreshing failed (%s); signing in again", why);
	else
		log_info("the refresh token was refused (HTTP %ld%s); signing "
		    "in again", status, etext);
	free(why);
	free(etext);
	json_object_put(doc);
	/* Spent or refused: a new sign-in replaces it (ahead of expiry,
	 * not now: when the token is refused). */
	oauth_forget(&o->refresh_token);
	if (o->ahead)
		oauth_finish(o, "the refresh token was refused");
	else
		oauth_authorize_begin(o);
}

static void
oauth_refresh(struct oauth *o)
{
	struct evbuffer		*body;
	struct curl_slist	*h;
	char			*rt, *res;

	o->step = OAUTH_REFRESH;
	log_info("%s; refreshing it", o->ahead ? "the access token expires "
	    "soon" : "the access token was refused");
	if ((body = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	rt = oauth_form_escape(o->refresh_token);
	res = oauth_form_escape(o->resource);
	evbuffer_add_printf(body, "grant_type=refresh_token&refresh_token=%s"
	    "&resource=%s", rt, res);
	oauth_forget(&rt);
	free(res);
	h = oauth_client_auth(o, body);
	oauth_post_form(o, o->token_endpoint, body, h, oauth_refresh_done);
	evbuffer_free(body);
}

/* The endpoints are known: refresh, or sign in. */
void
oauth_endpoints_ready(struct oauth *o)
{
	int	have_client;

	have_client = oauth_pick_client(o);
	if (!o->step_up && o->refresh_token != NULL && have_client &&
	    o->token_issuer != NULL &&
	    strcmp(o->token_issuer, o->issuer) == 0) {
		oauth_refresh(o);
		return;
	}
	if (o->ahead) {
		oauth_finish(o, "no refresh token for this authorization "
		    "server");
		return;
	}
	if (o->token_issuer != NULL && strcmp(o->token_issuer, o->issuer) != 0)
		log_info("the authorization server is now %s (it was %s): "
		    "signing in there", o->issuer, o->token_issuer);
	oauth_authorize_begin(o);
}

/* ---- LOCK ---- */

/* Opens the store, making its directory: done when first needed, so that
 * a client that never signs in leaves no trace. */
static void
oauth_store_ensure(struct oauth *o)
{
	char	*err;

	if (o->store != NULL || o->store_dir == NULL)
		return;
	if ((o->store = oauth_store_open(o->store_dir, o->server_url, &err))
	    == NULL) {
		log_warnx("OAuth tokens are kept in memory only: %s", err);
		free(err);
	}
	free(o->store_dir);
	o->store_dir = NULL;
}

static void
oauth_lock(evutil_socket_t fd, short what, void *arg)
{
	struct oauth	*o = arg;
	json_object	*doc;
	int		 r;

	oauth_store_ensure(o);
	if (o->store != NULL) {
		r = oauth_store_trylock(o->store);
		if (r == 0) {
			if (!o->lock_logged)
				log_info("another mcpbridge is signing in to "
				    "%s; waiting for it", o->server_url);
			o->lock_logged = 1;
			oauth_set_timer(o->lock_timer, OAUTH_LOCK_POLL_MS);
			return;
		}
		if (r == -1)
			log_warn("cannot lock %s; signing in anyway",
			    oauth_store_path(o->store));
		/* Someone may have signed in while we waited. */
		if ((doc = oauth_store_load(o->store)) != NULL) {
			r = oauth_take_stored(o, doc);
			json_object_put(doc);
			if (r) {
				log_info("using the sign-in another mcpbridge "
				    "stored");
				oauth_finish(o, NULL);
				return;
			}
		}
	}
	oauth_discovery_begin(o);
}

/* ---- the interface ---- */

int
oauth_load_secret(const char *env, const char *file, char **secret,
    char **err)
{
	struct file	 f;
	char		*v;

	*secret = NULL;
	if (env != NULL) {
		/* Taken out of the environment: the opener must not see it. */
		if ((v = env_take(env)) == NULL || *v == '\0' ||
		    strpbrk(v, "\r\n") != NULL) {
			xasprintf(err, "--oauth-client-secret-env: %s is not "
			    "set, empty, or not one line", env);
			if (v != NULL)
				explicit_bzero(v, strlen(v));
			free(v);
			return -1;
		}
		*secret = v;
		return 0;
	}
	if (file == NULL)
		return 0;
	if (file_read(&f, file, OAUTH_SECRET_MAX, FILE_HEAD) == -1) {
		xasprintf(err, "--oauth-client-secret-file: %s: %s", file,
		    strerror(f.error));
		return -1;
	}
	if ((f.mode & 077) != 0)
		log_warnx("%s may be read by others; chmod 600 it", file);
	f.data[strcspn(f.data, "\r\n")] = '\0';
	if (f.data[0] == '\0') {
		xasprintf(err, "--oauth-client-secret-file: %s has no secret "
		    "on its first line", file);
		file_free(&f);
		return -1;
	}
	*secret = xstrdup(f.data);
	file_free(&f);
	return 0;
}

struct oauth *
oauth_new(struct event_base *base, struct curl_event *ce,
    const struct oauth_config *cfg, oauth_done_cb done, void *arg)
{
	struct oauth	*o;
	json_object	*doc;
	char		*dir;

	o = xcalloc(1, sizeof *o);
	o->base = base;
	o->ce = ce;
	o->done = done;
	o->arg = arg;
	o->server_url = xstrdup(cfg->server_url);
	if (cfg->client_id != NULL)
		o->cfg_client_id = xstrdup(cfg->client_id);
	if (cfg->client_secret != NULL)
		o->cfg_client_secret = xstrdup(cfg->client_secret);
	if (cfg->client_metadata_url != NULL)
		o->cimd_url = xstrdup(cfg->client_metadata_url);
	o->cfg_port = cfg->callback_port;
	if (cfg->open_cmd != NULL && strcmp(cfg->open_cmd, "none") == 0)
		o->open_none = 1;
	else if (cfg->open_cmd != NULL)
		o->open_argv = oauth_split_command(cfg->open_cmd);
	o->timeout_ms = cfg->timeout_ms;
	o->allow_http = cfg->allow_http;
	o->kick = event_new(base, -1, 0, oauth_lock, o);
	o->lock_timer = evtimer_new(base, oauth_lock, o);
	o->timer = evtimer_new(base, oauth_timed_out, o);
	o->reaper = evtimer_new(base, oauth_browser_reap, o);

	dir = cfg->store_dir != NULL ? xstrdup(cfg->store_dir) :
	    oauth_store_default_dir();
	if (dir == NULL)
		log_debug("neither XDG_CONFIG_HOME nor HOME is set: OAuth "
		    "tokens would be kept in memory only");
	o->store_dir = dir;
	/* What an earlier run stored is used from the start. */
	if (dir != NULL && access(dir, F_OK) == 0)
		oauth_store_ensure(o);
	if (o->store != NULL && (doc = oauth_store_load(o->store)) != NULL) {
		if (oauth_take_stored(o, doc))
			log_debug("using the stored sign-in for %s",
			    o->server_url);
		json_object_put(doc);
	}
	return o;
}

void
oauth_free(struct oauth *o)
{
	if (o == NULL)
		return;
	oauth_flow_clear(o);
	oauth_browser_reap(-1, 0, o);
	event_free(o->kick);
	event_free(o->lock_timer);
	event_free(o->timer);
	event_free(o->reaper);
	if (o->sigchld != NULL)
		event_free(o->sigchld);
	oauth_store_close(o->store);
	free(o->store_dir);
	json_object_put(o->memdoc);
	oauth_forget(&o->access_token);
	oauth_forget(&o->refresh_token);
	free(o->token_issuer);
	free(o->scope);
	free(o->server_url);
	free(o->cfg_client_id);
	oauth_forget(&o->cfg_client_secret);
	free(o->cimd_url);
	xfreev(o->open_argv);
	free(o);
}

struct curl_slist *
oauth_header(struct oauth *o, struct curl_slist *h, const char *url)
{
	char	*s;

	if (o->access_token == NULL || !url_same_origin(o->server_url, url))
		return h;
	xasprintf(&s, "Authorization: Bearer %s", o->access_token);
	h = oauth_append(h, s);
	oauth_forget(&s);
	return h;
}

unsigned
oauth_generation(const struct oauth *o)
{
	return o->gen;
}

int
oauth_busy(const struct oauth *o)
{
	return o->step != OAUTH_IDLE;
}

int
oauth_refresh_ahead(struct oauth *o)
{
	int64_t	left, margin = OAUTH_REFRESH_AHEAD_S;

	if (o->step != OAUTH_IDLE || o->access_token == NULL ||
	    o->refresh_token == NULL || o->expires_at == 0 ||
	    (o->ahead_failed && o->ahead_gen == o->gen))
		return 0;
	if (o->lifetime > 0 && o->lifetime / 2 < margin)
		margin = o->lifetime / 2;
	if ((left = o->expires_at - oauth_now()) > margin)
		return 0;
	log_info("the access token expires in %llds: refreshing it first",
	    (long long)(left > 0 ? left : 0));
	o->ahead = 1;
	o->status = 0;
	o->step_up = 0;
	o->step = OAUTH_LOCK;
	oauth_set_timer(o->timer, o->timeout_ms);
	event_active(o->kick, 0, 0);
	return 1;
}

int
oauth_challenge(struct oauth *o, long status, const char *www_authenticate,
    unsigned gen)
{
	struct oauth_bearer	b;

	if (o->step != OAUTH_IDLE)
		return 1;	/* one runs: wait for it */
	if (gen != o->gen)
		return 1;	/* the token changed since it left */
	if (oauth_parse_bearer(www_authenticate, &b) == -1)
		return 0;
	if (status == 403 && (b.error == NULL ||
	    strcmp(b.error, "insufficient_scope") != 0)) {
		oauth_bearer_clear(&b);
		return 0;
	}
	oauth_bearer_clear(&o->bearer);
	o->bearer = b;
	o->status = status;
	o->step_up = status == 403;
	o->step = OAUTH_LOCK;
	if (o->step_up)
		log_info("the server wants more scope (%s): signing in again",
		    b.scope != NULL ? b.scope : "unnamed");
	else
		log_info("the server wants a sign-in (HTTP %ld)", status);
	oauth_set_timer(o->timer, o->timeout_ms);
	event_active(o->kick, 0, 0);
	return 1;
}
