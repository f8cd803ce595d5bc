/* SPDX-License-Identifier: ISC */
/*
 * remote.c: a remote MCP server behind serve, through client mode's code.
 *
 * A link is one upstream's way there (the shared child's, a pool copy's,
 * a session's own).  Each dial is a new struct remote_client: a socket
 * pair, client mode's machine on one end (embedded: serve's base, no
 * signals, no sign-in), the other end upstream's.  The client is the
 * remote session: when it is lost (client_lost: a 404, a broken stream,
 * a server that cannot be reached) the client fails what it holds,
 * closes, and once flushed its end of the pair is closed, which upstream
 * reads as the child going down, with the client's cause (remote_link_why)
 * given to the mux and the clients; upstream dials again after its
 * backoff.  When upstream stops, its end closes: the client reads EOF,
 * finishes and ends its session (DELETE) on its own; when the bridge
 * stops, remote_stop closes every client at once, and serve waits for
 * the last (remote_idle) before its loop ends.
 *
 * Ownership: the remote owns its clients (a list); a link points at the
 * last it dialled and the client back at its link, each pointer cleared
 * when the other goes.  A client is freed on the loop turn after its
 * done callback, or by remote_free.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "client.h"
#include "env.h"
#include "log.h"
#include "remote.h"
#include "trace.h"
#include "xmalloc.h"

/* The cause of a link's loss, as upstream passes it on (its own cause
 * buffer is of this order). */
#define REMOTE_WHY_MAX	256

struct remote_client {
	LIST_ENTRY(remote_client) entry;
	struct remote		*r;
	struct remote_link	*link;		/* NULL once it dialled again */
	struct client		*client;
	int			 fd;		/* the client's end */
	struct event		*free_ev;
};

struct remote_link {
	struct remote		*r;
	struct remote_client	*rc;		/* the last dialled, or NULL */
	char			 why[REMOTE_WHY_MAX]; /* "": not lost */
};

struct remote {
	struct event_base	*base;
	struct client_config	 cfg;		/* the server's, but headers */
	char			**headers;	/* expanded: secrets */
	size_t			 nheaders;
	char			*shown;
	LIST_HEAD(, remote_client) clients;
	void			(*idle)(void *);
	void			*idle_arg;
};

/*
 * The variables headers named, taken from the environment by the first
 * remote that read them (so no child inherits them) and kept here for
 * the process: another remote server, or one a reload adds, may name
 * them too.  At most REMOTE_VARS_MAX; more are read and forgotten as
 * client mode does, once.
 */
#define REMOTE_VARS_MAX	256
static struct remote_var {
	char	*name;
	char	*value;
}		 remote_vars[REMOTE_VARS_MAX];
static size_t	 remote_nvars;

static struct remote_var *
remote_var_find(const char *name)
{
	size_t	i;

	for (i = 0; i < remote_nvars; i++)
		if (strcmp(remote_vars[i].name, name) == 0)
			return &remote_vars[i];
	return NULL;
}

/* Back in the environment for env_expand, if kept and not set anew. */
static void
remote_var_restore(const char *name)
{
	struct remote_var	*v;

	if (getenv(name) == NULL && (v = remote_var_find(name)) != NULL &&
	    setenv(name, v->value, 1) == -1)
		fatal("setenv");
}

/* Out of the environment again, its value kept (or forgotten). */
static void
remote_var_take(const char *name)
{
	struct remote_var	*v;
	char			*value;

	if ((value = env_take(name)) == NULL)
		return;
	if ((v = remote_var_find(name)) == NULL &&
	    remote_nvars < REMOTE_VARS_MAX) {
		v = &remote_vars[remote_nvars++];
		v->name = xstrdup(name);
		v->value = NULL;
	}
	if (v == NULL) {
		explicit_bzero(value, strlen(value));
		free(value);
		return;
	}
	if (v->value != NULL) {
		explicit_bzero(v->value, strlen(v->value));
		free(v->value);
	}
	v->value = value;
}

int
remote_header_check(const char *header, char **err)
{
	char	*h = NULL;
	int	 r;

	/* As remote_new makes it, from the same variables, which leave
	 * the environment again: a check may run while children do. */
	env_each_ref(header, remote_var_restore);
	r = client_header_check(header, err) == -1 ||
	    client_expand_env(header, &h, err) == -1 ? -1 : 0;
	env_each_ref(header, remote_var_take);
	if (h != NULL) {
		explicit_bzero(h, strlen(h));
		free(h);
	}
	return r;
}

struct remote *
remote_new(struct event_base *base, const struct client_config *cfg,
    size_t max_message, char **err)
{
	struct remote	*r;
	char		*h;
	size_t		 i;

	r = xcalloc(1, sizeof *r);
	r->base = base;
	LIST_INIT(&r->clients);
	r->headers = xcalloc(cfg->nheaders + 1, sizeof *r->headers);
	for (i = 0; i < cfg->nheaders; i++)
		env_each_ref(cfg->headers[i], remote_var_restore);
	for (i = 0; i < cfg->nheaders; i++) {
		if (client_header_check(cfg->headers[i], err) == -1 ||
		    client_expand_env(cfg->headers[i], &h, err) == -1)
			break;
		r->headers[r->nheaders++] = h;
	}
	/* Out of the environment before any child starts, either way. */
	for (i = 0; i < cfg->nheaders; i++)
		env_each_ref(cfg->headers[i], remote_var_take);
	if (r->nheaders < cfg->nheaders) {
		remote_free(r);
		return NULL;
	}
	r->cfg = *cfg;
	r->cfg.headers = r->headers;
	r->cfg.nheaders = r->nheaders;
	r->cfg.max_message_size = max_message;
	/* A daemon opens no browser; serve traces what passes the mux,
	 * and filters tools there. */
	r->cfg.no_oauth = 1;
	r->cfg.oneshot = 0;
	r->cfg.trace = TRACE_OFF;
	r->cfg.otel = NULL;
	memset(&r->cfg.tools, 0, sizeof r->cfg.tools);
	r->shown = client_url_shown(cfg->url);
	return r;
}

const char *
remote_shown(const struct remote *r)
{
	return r->shown;
}

const char *
remote_secret(const struct remote *r, size_t i)
{
	const char	*v;

	if (i >= r->nheaders)
		return NULL;
	v = strchr(r->headers[i], ':') + 1;	/* client_header_check */
	return v + strspn(v, " \t");
}

static void
remote_client_free(struct remote_client *rc)
{
	LIST_REMOVE(rc, entry);
	if (rc->link != NULL)
		rc->link->rc = NULL;
	/* The client first: it gives the descriptor's flags back. */
	client_embed_free(rc->client);
	/* Its end closes: upstream reads EOF, the child is down. */
	close(rc->fd);
	event_free(rc->free_ev);
	free(rc);
}

static void
remote_client_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct remote_client	*rc = arg;
	struct remote		*r = rc->r;

	remote_client_free(rc);
	if (LIST_EMPTY(&r->clients) && r->idle != NULL)
		r->idle(r->idle_arg);
}

void
remote_set_idle(struct remote *r, void (*idle)(void *), void *arg)
{
	r->idle = idle;
	r->idle_arg = arg;
}

int
remote_idle(const struct remote *r)
{
	return LIST_EMPTY(&r->clients);
}

void
remote_stop(struct remote *r)
{
	struct remote_client	*rc;

	/* Each says done on a later turn, when it is freed: the list
	 * does not change here. */
	LIST_FOREACH(rc, &r->clients, entry)
		client_embed_close(rc->client, "the bridge is stopping");
}

/* The client's session is gone: its cause, for upstream's on_down. */
static void
remote_client_lost(void *arg, const char *why)
{
	struct remote_client	*rc = arg;
	const char		*hint;
	int			 len;

	/* The cause without client mode's hint ("; is the server
	 * running ...?"): it goes to clients, /status and a log line that
	 * names the child. */
	hint = strstr(why, "; ");
	len = hint != NULL ? (int)(hint - why) : (int)strlen(why);
	if (rc->link != NULL)
		snprintf(rc->link->why, sizeof rc->link->why, "%.*s", len, why);
}

/* Flushed and closed: freed on the next turn (we are in its stack). */
static void
remote_client_done(void *arg)
{
	struct remote_client	*rc = arg;

	event_active(rc->free_ev, 0, 0);
}

void
remote_free(struct remote *r)
{
	size_t	i;

	if (r == NULL)
		return;
	while (!LIST_EMPTY(&r->clients))
		remote_client_free(LIST_FIRST(&r->clients));
	for (i = 0; i < r->nheaders; i++) {
		explicit_bzero(r->headers[i], strlen(r->headers[i]));
		free(r->headers[i]);
	}
	free(r->headers);
	free(r->shown);
	free(r);
}

struct remote_link *
remote_link_new(struct remote *r)
{
	struct remote_link	*link;

	link = xcalloc(1, sizeof *link);
	link->r = r;
	return link;
}

int
remote_link_dial(void *arg, char *buf, size_t size)
{
	struct remote_link	*link = arg;
	struct remote		*r = link->r;
	struct remote_client	*rc;
	struct client_embed	 emb;
	int			 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		snprintf(buf, size, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (evutil_make_socket_nonblocking(sv[0]) == -1 ||
	    evutil_make_socket_closeonexec(sv[0]) == -1 ||
	    evutil_make_socket_closeonexec(sv[1]) == -1) {
		snprintf(buf, size, "socketpair: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	rc = xcalloc(1, sizeof *rc);
	rc->r = r;
	rc->fd = sv[1];
	if ((rc->free_ev = event_new(r->base, -1, 0, remote_client_free_cb,
	    rc)) == NULL)
		fatalx("event_new");
	memset(&emb, 0, sizeof emb);
	emb.base = r->base;
	emb.fd = sv[1];
	emb.lost = remote_client_lost;
	emb.done = remote_client_done;
	emb.arg = rc;
	if ((rc->client = client_embed_new(&r->cfg, &emb)) == NULL) {
		snprintf(buf, size, "client mode could not start (logged)");
		event_free(rc->free_ev);
		free(rc);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	LIST_INSERT_HEAD(&r->clients, rc, entry);
	/* The one before (finishing, if not gone) is no longer its. */
	if (link->rc != NULL)
		link->rc->link = NULL;
	link->rc = rc;
	rc->link = link;
	link->why[0] = '\0';
	return sv[0];
}

const char *
remote_link_why(void *arg)
{
	struct remote_link	*link = arg;

	return link->why[0] != '\0' ? link->why : NULL;
}

void
remote_link_free(struct remote_link *link)
{
	if (link == NULL)
		return;
	if (link->rc != NULL)
		link->rc->link = NULL;
	free(link);
}
