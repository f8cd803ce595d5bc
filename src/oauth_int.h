/* SPDX-License-Identifier: ISC */
/*
 * oauth_int.h: what the files of the OAuth sign-in share and nothing else
 * sees: the state of one struct oauth, and the helpers that one file of
 * the module defines and another calls.  oauth.c owns the struct (it is
 * made and freed in oauth_new and oauth_free) and drives the sign-in's
 * steps (see oauth.c's head); each step's helpers take it and leave its
 * lifetime alone.  The interface is oauth.h.
 */
#ifndef MCPBRIDGE_OAUTH_INT_H
#define MCPBRIDGE_OAUTH_INT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>
#include <json-c/json.h>

#include "curl_event.h"
#include "oauth.h"

struct event;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;
struct oauth_store;

enum oauth_step {
	OAUTH_IDLE,
	OAUTH_LOCK,
	OAUTH_PRM,
	OAUTH_ASM,
	OAUTH_REFRESH,
	OAUTH_REGISTER,
	OAUTH_AUTHORIZE,
	OAUTH_TOKEN,
};

enum oauth_client_kind {
	OAUTH_CLIENT_NONE,
	OAUTH_CLIENT_PRE,		/* --oauth-client-id */
	OAUTH_CLIENT_CIMD,		/* --oauth-client-metadata-url */
	OAUTH_CLIENT_DCR,		/* registered, by us, at this issuer */
};

struct oauth {
	struct event_base	*base;
	struct curl_event	*ce;
	oauth_done_cb		 done;
	void			*arg;

	/* configuration */
	char			*server_url;
	char			*cfg_client_id;
	char			*cfg_client_secret;
	char			*cimd_url;
	int			 cfg_port;
	char			**open_argv;	/* NULL: the defaults */
	int			 open_none;
	long			 timeout_ms;
	int			 allow_http;
	char			*store_dir;	/* not opened yet */
	struct oauth_store	*store;		/* NULL: memory only */
	json_object		*memdoc;	/* the store, without one */

	/* the token in use */
	unsigned		 gen;
	char			*access_token;
	char			*refresh_token;
	char			*token_issuer;
	char			*scope;		/* asked for last */
	int64_t			 expires_at;	/* 0: unknown */
	int64_t			 lifetime;	/* seconds, when known */
	int			 ahead_failed;	/* for this generation */
	unsigned		 ahead_gen;

	/* the sign-in */
	enum oauth_step		 step;
	int			 ahead;		/* a refresh before expiry */
	struct event		*kick;
	struct event		*timer;		/* --oauth-timeout */
	struct event		*lock_timer;
	int			 lock_logged;
	long			 status;	/* 401 or 403 */
	int			 step_up;	/* 403 insufficient_scope */
	struct oauth_bearer	 bearer;
	char			**urls;		/* metadata to try */
	size_t			 iurl;
	json_object		*prm;
	json_object		*asmeta;	/* NULL: default endpoints */
	char			*as_refused;
	int			 legacy;	/* no PRM: 2025-03-26 */
	char			*resource;
	char			*issuer;
	char			*authorization_endpoint;
	char			*token_endpoint;
	char			*registration_endpoint;
	int			 iss_supported;
	struct curl_event_xfer	*xfer;

	/* the client identity for this issuer */
	enum oauth_client_kind	 client;
	char			*client_id;
	char			*client_secret;
	char			*client_method;
	char			*client_redirect;	/* registered with */

	/* the authorization request */
	char			*verifier;
	char			*state;
	char			*req_scope;
	char			*redirect_uri;
	struct evhttp		*http;
	struct evhttp_bound_socket *bound;
	struct evhttp		*http_dead;
	struct event		*reaper;
	int			 port;

	/* the browser opener */
	pid_t			 opener;
	struct event		*sigchld;
};

/* ---- oauth.c: the steps' common end, and small things ---- */

/* Ends the sign-in (error NULL: it succeeded): stops what runs, drops the
 * lock and calls back.  error may be part of the sign-in's state. */
void		 oauth_finish(struct oauth *, const char *error);
void		 oauth_fail(struct oauth *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Discovery is done and the endpoints known: refresh, or sign in. */
void		 oauth_endpoints_ready(struct oauth *);
/* One transfer to an authorization server or a resource's metadata, as
 * o->xfer, with an Accept header added to h (taken); body may be NULL. */
void		 oauth_request(struct oauth *, const char *method,
		    const char *url, struct curl_slist *h, const char *body,
		    curl_event_done_cb);
/* The answer of a transfer as a JSON object (whatever the status), or
 * NULL; *status is 0 if there was no HTTP answer. */
json_object	*oauth_answer(struct curl_event_xfer *, int result,
		    long *status);
void		 oauth_set_timer(struct event *, long ms);
/* *slot becomes a copy of s (NULL stays NULL); the old one is freed. */
void		 oauth_replace(char **slot, const char *s);
/* Server-supplied text, printable and short, for a message. */
char		*oauth_quote(const char *);
/* Appends s (taken) to the NULL-terminated vector *v of *n strings. */
void		 oauth_vector_add(char ***v, size_t *n, char *s);

/* ---- oauth_discovery.c: the PRM and ASM steps ---- */

/* Finds the authorization server and its endpoints for o->server_url
 * (o->bearer: the challenge), then calls oauth_endpoints_ready, or ends
 * the sign-in. */
void		 oauth_discovery_begin(struct oauth *);

/* ---- oauth_browser.c: the loopback listener and the browser ---- */

/* Listens on 127.0.0.1:port (0: any) for the redirect, which cb gets (arg
 * o), and sets o->redirect_uri; -1 (errno set) if it cannot. */
int		 oauth_browser_listen(struct oauth *, int port,
		    void (*cb)(struct evhttp_request *, void *));
/* A short HTML page that answers the browser, and closes. */
void		 oauth_browser_reply(struct evhttp_request *, int code,
		    const char *reason, const char *text);
/* Stops accepting at once (the port is free again); the connections go a
 * little later, on o->reaper. */
void		 oauth_browser_retire(struct oauth *);
/* o->reaper's callback: frees a retired listener. */
void		 oauth_browser_reap(evutil_socket_t, short, void *o);
/* Opens url (checked) in a browser, unless --oauth-open none. */
void		 oauth_browser_open(struct oauth *, const char *url);

#endif
