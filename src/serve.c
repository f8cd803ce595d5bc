/* SPDX-License-Identifier: ISC */
/*
 * serve.c: `mcpbridge serve`.
 *
 * Owns the event base, the HTTP side and the servers: for each, the
 * shared upstream (or, with --isolation=session, one upstream per
 * session) and its multiplexer; moves messages between them: every event
 * ends in serve_pump, which drains a server's multiplexer's outbox.  One
 * server, unnamed, is served on /mcp, /sse and /message; several (serve
 * --config) each on /servers/NAME/.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "clock.h"
#include "conffile.h"
#include "exitcodes.h"
#include "framer.h"
#include "http.h"
#include "jsonparse.h"
#include "log.h"
#include "metrics.h"
#include "mux.h"
#include "serve.h"
#include "session.h"
#include "trace.h"
#include "upstream.h"
#include "xmalloc.h"

/* How often the multiplexer's clock advances (timeouts, expiries). */
#define SERVE_TICK_MS	100
/* --watch: how often the --config file is looked at. */
#define SERVE_WATCH_MS	1000

struct serve;
struct serve_server;

/* One upstream: the shared child (session NULL) or a session's own. */
struct serve_child {
	struct serve_server	*server;
	struct mux_session	*session;
	struct upstream		*upstream;
	int			 stopping;
	int			 healthy;	/* handshake done since it started */
	LIST_ENTRY(serve_child)	 entry;
};

/* One server: its multiplexer and its children. */
struct serve_server {
	struct serve		*serve;
	const char		*name;		/* in logs; NULL: only one */
	const char		*route;		/* /servers/ROUTE/, or NULL */
	const struct serve_config *cfg;
	struct mux		*mux;
	struct serve_child	*shared;
	LIST_HEAD(, serve_child) children;	/* per-session children */
	int			 pumping;
	json_object		*capabilities;
	const char		*fingerprint;	/* serve_named's */
	int			 removed;	/* by a reload: stopping */
};

struct serve {
	const struct serve_config *cfg;		/* the HTTP side, the drain */
	struct event_base	*base;
	struct http		*http;
	/* The servers served, and those a reload removed: stopping, or
	 * stopped, kept with their mux until the end (http's endpoint of
	 * each, and the sessions it ended, still point at it). */
	struct serve_server	**servers;
	size_t			 nservers;
	struct serve_server	**gone;
	size_t			 ngone;
	int			 named;		/* several, each on its route */
	serve_reload_cb		 reload;	/* SIGHUP: the servers anew */
	void			*reload_arg;
	struct event		*tick;
	struct event		*wake;		/* mux_wakeup, sooner */
	struct event		*sigterm;
	struct event		*sigint;
	struct event		*sighup;
	/* --watch: the timer, and the file as last seen */
	struct event		*watch;
	struct stat		 watched;
	int			 stopping;
	int			 exit_status;
	struct trace		*trace;		/* NULL: no message trace */
};

static void	serve_pump(void *);
static void	serve_trace_token(void *, const char *);
static void	serve_server_init(struct serve *, struct serve_server *,
		    const char *, const struct serve_config *);

/* A trace label: a server's name, a slash, a session's id. */
#define SERVE_LABEL_MAX	(CONFFILE_NAME_MAX + 1 + SESSION_ID_LEN + 1)

/*
 * A session in the trace: its id's random part, as the access log shows
 * it (http.c's sessions are the mux sessions' data), after its server's
 * name and a slash when there are several ("fs/1a2b...", or "fs" for
 * the shared child's own traffic).  NULL: none.  buf holds
 * SERVE_LABEL_MAX.
 */
static const char *
serve_trace_label(const struct serve_server *srv, struct mux_session *ms,
    char *buf)
{
	const struct session	*sess;

	sess = ms != NULL ? mux_session_data(ms) : NULL;
	if (srv->name == NULL)
		return sess != NULL ? sess->hex : NULL;
	snprintf(buf, SERVE_LABEL_MAX, "%s%s%s", srv->name, sess != NULL ?
	    "/" : "", sess != NULL ? sess->hex : "");
	return buf;
}

/* The mux's trace hook: what a client sent, as it arrives. */
static void
serve_trace_in(void *arg, struct mux_session *ms, json_object *msg)
{
	struct serve_server	*srv = arg;
	char			 label[SERVE_LABEL_MAX];

	trace_msg(srv->serve->trace, TRACE_CLIENT_IN, serve_trace_label(srv,
	    ms, label), msg);
}

static void
serve_child_message(void *arg, json_object *msg)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;
	char			 label[SERVE_LABEL_MAX];

	trace_msg(srv->serve->trace, TRACE_CHILD_IN,
	    serve_trace_label(srv, child->session, label), msg);
	/* The mux times what the child does (questions it gathers). */
	mux_tick(srv->mux, clock_ms());
	mux_child_recv(srv->mux, child->session, msg);
	/* The shared child answered its handshake: it works, so if it dies
	 * now it is restarted at once, however many times that happened. */
	if (child->session == NULL && !child->healthy && mux_ready(srv->mux)) {
		child->healthy = 1;
		upstream_healthy(child->upstream);
	}
	serve_pump(srv);
}

/*
 * A line the framer dropped (over --max-message-size, or not JSON): an
 * answer's request gets an error now, and a request of the child's an
 * error back, rather than waiting for a timeout that may never come.
 */
static void
serve_child_dropped(void *arg, const struct framer_peek *pk)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;

	mux_tick(srv->mux, clock_ms());
	mux_child_unreadable(srv->mux, child->session, json_object_get(pk->id),
	    (pk->method ? MUX_UNREADABLE_METHOD : 0) |
	    (pk->answer ? MUX_UNREADABLE_ANSWER : 0), pk->max_line,
	    pk->drop == FRAMER_DROP_INVALID ? pk->reason : NULL);
	serve_pump(srv);
}

static void
serve_child_up(void *arg)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;

	/* Running is not ready: the handshake that follows is ("server ...
	 * initialized"). */
	log_info("%s%s%s started (pid %ld); initializing it",
	    srv->name != NULL ? srv->name : "", srv->name != NULL ? ": " : "",
	    child->session == NULL ? "child" : "session child",
	    (long)upstream_pid(child->upstream));
	/* The era probe's deadline counts from now. */
	mux_tick(srv->mux, clock_ms());
	mux_child_up(srv->mux, child->session);
	serve_pump(srv);
}

static void
serve_child_down(void *arg, const char *cause, int will_restart)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;
	struct serve		*s = srv->serve;

	child->healthy = 0;
	/* Stopped on purpose (the bridge, or a reload that removed its
	 * server): no warning. */
	if (!s->stopping && !srv->removed)
		log_warnx("%s%s%s %s%s", srv->name != NULL ? srv->name : "",
		    srv->name != NULL ? ": " : "", child->session == NULL ?
		    "child" : "session child", cause, will_restart ?
		    "; restarting" : "");
	mux_child_down(srv->mux, child->session, cause);
	serve_pump(srv);
	if (srv->removed)
		return;		/* its children are being stopped */
	if (child->session == NULL && !will_restart && !s->stopping &&
	    s->named) {
		/* One of several: the others go on; this one's clients are
		 * told at once that it is not available, and why. */
		log_warnx("%s: child will not be restarted; its clients get "
		    "errors", srv->name);
		mux_child_unavailable(srv->mux, NULL, cause);
		serve_pump(srv);
		return;
	}
	if (child->session == NULL && !will_restart && !s->stopping) {
		/* The shared child is gone for good: nothing left to serve. */
		log_warnx("child will not be restarted; exiting");
		s->exit_status = EXIT_UNAVAILABLE;
		s->stopping = 1;
		upstream_stop(child->upstream);
	}
}

/*
 * A restart could not run the command (upstream logged why, at error
 * level): the clients waiting for the child, and those that come until it
 * runs again, are told why now rather than after --init-timeout.
 */
static void
serve_child_spawn_failed(void *arg, const char *cause)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;

	mux_tick(srv->mux, clock_ms());
	mux_child_unavailable(srv->mux, child->session, cause);
	serve_pump(srv);
}

/* Frees a child on a later loop turn: we may be inside its callback. */
static void
serve_child_free_late(evutil_socket_t fd, short ev, void *arg)
{
	struct serve_child	*child = arg;

	upstream_free(child->upstream);
	free(child);
}

/* No server has a child any more. */
static int
serve_all_stopped(const struct serve *s)
{
	size_t	i;

	for (i = 0; i < s->nservers; i++)
		if (s->servers[i]->shared != NULL ||
		    !LIST_EMPTY(&s->servers[i]->children))
			return 0;
	for (i = 0; i < s->ngone; i++)
		if (s->gone[i]->shared != NULL ||
		    !LIST_EMPTY(&s->gone[i]->children))
			return 0;
	return 1;
}

static void
serve_child_stopped(void *arg)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;
	struct serve		*s = srv->serve;

	if (child == srv->shared)
		srv->shared = NULL;
	else
		LIST_REMOVE(child, entry);
	event_base_once(s->base, -1, EV_TIMEOUT, serve_child_free_late, child,
	    NULL);
	/* Once the bridge is stopping (a signal, or the only server's
	 * child gone for good), the last child to stop ends the loop. */
	if (s->stopping && serve_all_stopped(s))
		event_base_loopexit(s->base, NULL);
}

static const struct upstream_ops serve_child_ops = {
	.on_message = serve_child_message,
	.on_up = serve_child_up,
	.on_down = serve_child_down,
	.on_spawn_failed = serve_child_spawn_failed,
	.on_stopped = serve_child_stopped,
	.on_dropped = serve_child_dropped,
};

static struct serve_child *
serve_child_new(struct serve_server *srv, struct mux_session *session)
{
	const struct serve_config *cfg = srv->cfg;
	struct upstream_config	 uc;
	struct serve_child	*child;
	const char		*v;

	memset(&uc, 0, sizeof uc);
	uc.argv = cfg->command;
	uc.env = cfg->env;
	uc.cwd = cfg->cwd;
	uc.connect = cfg->connect;
	uc.max_message = cfg->max_message_size;
	uc.max_output = UPSTREAM_DEFAULT_MAX_OUTPUT;
	uc.kill_timeout_ms = cfg->kill_timeout_ms;
	/*
	 * A session's own child lives and dies with the session.  The shared
	 * child is asked to go only when the bridge stops (which restarts
	 * nothing): ended otherwise, status 0 or not, it has failed the
	 * clients that still need it, so on-failure restarts it.
	 */
	if (session != NULL)
		uc.restart = UPSTREAM_RESTART_NO;
	else if (cfg->restart == UPSTREAM_RESTART_ON_FAILURE)
		uc.restart = UPSTREAM_RESTART_ALWAYS;
	else
		uc.restart = cfg->restart;
	/* Several servers: each child's lines say whose it is. */
	uc.tag = srv->name != NULL ? srv->name : "child";
	/* Restarts back off up to 30 s; fault tests kill the child often. */
	if ((v = getenv("MCPBRIDGE_RESTART_BACKOFF_MAX_MS")) != NULL)
		uc.backoff_max_ms = atoi(v);

	child = xcalloc(1, sizeof *child);
	child->server = srv;
	child->session = session;
	child->upstream = upstream_new(srv->serve->base, &uc, &serve_child_ops,
	    child);
	return child;
}

static struct serve_child *
serve_find_child(struct serve_server *srv, struct mux_session *session)
{
	struct serve_child	*child;

	if (session == NULL)
		return srv->shared;
	LIST_FOREACH(child, &srv->children, entry) {
		if (child->session == session)
			return child;
	}
	return NULL;
}

static void
serve_start_session_child(struct serve_server *srv,
    struct mux_session *session)
{
	struct serve_child	*child;
	const char		*cause;

	child = serve_child_new(srv, session);
	LIST_INSERT_HEAD(&srv->children, child, entry);
	if (upstream_start(child->upstream) == -1) {
		/* Told to the mux like any other exit, with the reason, so
		 * the client reads why; the session ends. */
		cause = upstream_error(child->upstream);
		mux_child_down(srv->mux, session, cause != NULL ? cause :
		    "could not be started");
	}
}

static void
serve_stop_child(struct serve_child *child)
{
	if (child->stopping)
		return;
	child->stopping = 1;
	/* The mux forgot the session: nothing may reach it any more. */
	child->session = NULL;
	upstream_stop(child->upstream);
}

/* A mux wants a tick before the regular one (mux_wakeup): the soonest. */
static void
serve_arm_wake(struct serve *s)
{
	struct timeval	tv;
	uint64_t	when = 0, w, now;
	size_t		i;

	for (i = 0; i < s->nservers; i++)
		if ((w = mux_wakeup(s->servers[i]->mux)) != 0 &&
		    (when == 0 || w < when))
			when = w;
	if (s->wake == NULL || when == 0)
		return;
	now = clock_ms();
	when = when > now ? when - now : 0;
	clock_tv(&tv, when);
	evtimer_add(s->wake, &tv);
}

/*
 * Drains the multiplexer.  Re-entrant calls (an HTTP delivery that closes a
 * session, say) return at once: the outer loop picks up what they queued.
 */
static void
serve_pump(void *arg)
{
	struct serve_server	*srv = arg;
	struct serve		*s = srv->serve;
	struct serve_child	*child;
	struct mux_out		 out;
	char			 label[SERVE_LABEL_MAX];

	if (srv->pumping)
		return;
	srv->pumping = 1;
	while (mux_next(srv->mux, &out)) {
		switch (out.kind) {
		case MUX_OUT_CHILD:
			child = serve_find_child(srv, out.session);
			if (child != NULL && !child->stopping)
				trace_msg(s->trace, TRACE_CHILD_OUT,
				    serve_trace_label(srv, out.session, label),
				    out.msg);
			if (child == NULL || child->stopping ||
			    upstream_send(child->upstream, out.msg) == -1)
				log_debug("message for a child that is not "
				    "there dropped");
			json_object_put(out.msg);
			break;
		case MUX_OUT_SESSION:
		case MUX_OUT_SESSION_END:
			if (out.msg != NULL)
				trace_msg(s->trace, TRACE_CLIENT_OUT,
				    serve_trace_label(srv, out.session, label),
				    out.msg);
			if (s->http != NULL)
				http_deliver(s->http, &out);
			else if (out.msg != NULL)
				json_object_put(out.msg);
			break;
		case MUX_OUT_CHILD_START:
			serve_start_session_child(srv, out.session);
			break;
		case MUX_OUT_CHILD_STOP:
			if ((child = serve_find_child(srv, out.session)) !=
			    NULL)
				serve_stop_child(child);
			break;
		}
	}
	if (s->http != NULL)
		http_delivered(s->http);
	srv->pumping = 0;
	serve_arm_wake(s);
}

static void
serve_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct serve	*s = arg;
	size_t		 i;

	for (i = 0; i < s->nservers; i++) {
		mux_tick(s->servers[i]->mux, clock_ms());
		serve_pump(s->servers[i]);
	}
}

/* Drained (or out of time): stop the children; the loop ends when the
 * last one is gone. */
static void
serve_drained(void *arg)
{
	struct serve		*s = arg;
	struct serve_server	*srv;
	struct serve_child	*child, *next;
	size_t			 i;

	for (i = 0; i < s->nservers; i++) {
		srv = s->servers[i];
		for (child = LIST_FIRST(&srv->children); child != NULL;
		    child = next) {
			next = LIST_NEXT(child, entry);
			serve_stop_child(child);
		}
		if (srv->shared != NULL)
			upstream_stop(srv->shared->upstream);
	}
	if (serve_all_stopped(s))
		event_base_loopexit(s->base, NULL);
}

/*
 * SIGTERM or SIGINT: /readyz turns 503 at once and no new session starts;
 * the requests in flight get up to --drain-timeout to finish, then every
 * stream is closed and the children are stopped.
 */
static void
serve_stop(struct serve *s)
{
	s->stopping = 1;
	if (s->http != NULL)
		http_drain(s->http, s->cfg->drain_timeout_ms, serve_drained, s);
	else
		serve_drained(s);
}

/* /metrics: what the children are doing. */
static void
serve_stats(void *arg, struct metrics_gauges *g)
{
	struct serve			*s = arg;
	struct serve_server		*srv;
	struct serve_child		*child;
	const struct upstream_stats	*us;
	size_t				 i, j;

	/* Summed over the servers. */
	for (i = 0; i < s->nservers; i++) {
		srv = s->servers[i];
		if (srv->shared != NULL) {
			us = upstream_stats(srv->shared->upstream);
			g->children_up += upstream_is_up(srv->shared->upstream);
			g->child_starts += us->starts;
			g->child_restarts += us->restarts;
			g->child_messages_in += us->messages_in;
			g->child_messages_out += us->messages_out;
		}
		LIST_FOREACH(child, &srv->children, entry)
			g->children_up += upstream_is_up(child->upstream);
	}
	/* And each named one on its own (http filled the rest). */
	for (j = 0; j < g->nservers; j++)
		for (i = 0; i < s->nservers; i++) {
			srv = s->servers[i];
			if (srv->route == NULL ||
			    strcmp(srv->route, g->servers[j].name) != 0)
				continue;
			if (srv->shared != NULL) {
				us = upstream_stats(srv->shared->upstream);
				g->servers[j].children_up +=
				    upstream_is_up(srv->shared->upstream);
				g->servers[j].child_starts = us->starts;
				g->servers[j].child_restarts = us->restarts;
			}
			LIST_FOREACH(child, &srv->children, entry)
				g->servers[j].children_up +=
				    upstream_is_up(child->upstream);
		}
}

static void
serve_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct serve	*s = arg;

	if (s->stopping) {
		log_warnx("second signal: exiting now");
		event_base_loopbreak(s->base);
		return;
	}
	log_info("%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	serve_stop(s);
}

/* A reload's new server: its mux, its route, its child. */
static void
serve_server_add(struct serve *s, const struct serve_named *nm)
{
	struct serve_server	*srv;
	char			**e, *eq;

	srv = xcalloc(1, sizeof *srv);
	serve_server_init(s, srv, nm->name, &nm->cfg);
	srv->route = nm->name;
	srv->fingerprint = nm->fingerprint;
	s->servers = xreallocarray(s->servers, s->nservers + 1,
	    sizeof *s->servers);
	s->servers[s->nservers++] = srv;
	for (e = nm->cfg.env; s->trace != NULL && e != NULL && *e != NULL;
	    e++)
		if ((eq = strchr(*e, '=')) != NULL)
			trace_secret(s->trace, eq + 1);
	http_add_endpoint(s->http, nm->name, srv->mux, serve_pump, srv);
	if (nm->cfg.isolation != MUX_ISOLATION_SHARED)
		return;
	srv->shared = serve_child_new(srv, NULL);
	/* A command that cannot run: its clients are told why (upstream
	 * logged it); the others go on. */
	if (upstream_start(srv->shared->upstream) == -1) {
		mux_child_unavailable(srv->mux, NULL,
		    upstream_error(srv->shared->upstream) != NULL ?
		    upstream_error(srv->shared->upstream) :
		    "could not be started");
		serve_pump(srv);
	}
}

/* A reload removed (or changed) servers[i]: its sessions end, its
 * children stop; it is kept, stopping, until the end. */
static void
serve_server_remove(struct serve *s, size_t i, const char *why)
{
	struct serve_server	*srv = s->servers[i];
	struct serve_child	*child, *next;

	srv->removed = 1;
	http_remove_endpoint(s->http, srv->route, why);
	for (child = LIST_FIRST(&srv->children); child != NULL; child = next) {
		next = LIST_NEXT(child, entry);
		serve_stop_child(child);
	}
	if (srv->shared != NULL)
		upstream_stop(srv->shared->upstream);
	s->gone = xreallocarray(s->gone, s->ngone + 1, sizeof *s->gone);
	s->gone[s->ngone++] = srv;
	memmove(&s->servers[i], &s->servers[i + 1],
	    (s->nservers - i - 1) * sizeof *s->servers);
	s->nservers--;
}

/*
 * SIGHUP with several servers: the file again.  A server whose name is
 * gone is removed, one whose settings changed (its fingerprint) is
 * removed and added anew, a new name is added; the others, and their
 * sessions, are left alone.  A file that cannot be served changes
 * nothing (the callback logged why).
 */
static int
serve_reload(struct serve *s, const char *who)
{
	const struct serve_named	*nm;
	size_t				 n, i, j, added = 0, removed = 0,
					 changed = 0;
	int				 keep;

	if (s->reload(s->reload_arg, &nm, &n) == -1) {
		log_warnx("%s: the servers run on as they were", who);
		return 1;
	}
	for (i = 0; i < s->nservers; ) {
		keep = 0;
		for (j = 0; j < n; j++)
			if (strcmp(nm[j].name, s->servers[i]->route) == 0)
				keep = strcmp(nm[j].fingerprint,
				    s->servers[i]->fingerprint) == 0 ? 1 : -1;
		if (keep == 1) {
			i++;
			continue;
		}
		log_info("%s: server %s %s", who, s->servers[i]->route,
		    keep == 0 ? "removed" : "changed: restarting it");
		if (keep == 0)
			removed++;
		else
			changed++;
		serve_server_remove(s, i, keep == 0 ? "its server was removed" :
		    "its server's settings changed");
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < s->nservers; i++)
			if (strcmp(nm[j].name, s->servers[i]->route) == 0)
				break;
		if (i < s->nservers)
			continue;
		added++;	/* a changed one is added again too */
		log_info("%s: server %s started", who, nm[j].name);
		serve_server_add(s, &nm[j]);
	}
	log_info("%s: servers reloaded: %zu added, %zu removed, %zu "
	    "restarted, %zu unchanged", who, added - changed, removed, changed,
	    s->nservers - added);
	return 1;
}

/*
 * --watch: the file as SIGHUP reads it, when it changed (another inode,
 * as an editor's or a deployment's rename gives, another size or time).
 * A file caught half written fails to load and changes nothing; the next
 * look finds it whole.
 */
static void
serve_watch(evutil_socket_t fd, short ev, void *arg)
{
	struct serve	*s = arg;
	struct stat	 sb;

	if (stat(s->cfg->watch, &sb) == -1) {
		log_debug("--watch: %s: %s", s->cfg->watch, strerror(errno));
		return;
	}
	/* Seconds only (st_mtime is everywhere): a same-size rewrite in
	 * place within a second is the one change missed. */
	if (sb.st_ino == s->watched.st_ino && sb.st_dev == s->watched.st_dev &&
	    sb.st_size == s->watched.st_size &&
	    sb.st_mtime == s->watched.st_mtime)
		return;
	s->watched = sb;
	log_info("--watch: %s changed", s->cfg->watch);
	if (!s->stopping)
		serve_reload(s, "--watch");
}

/*
 * SIGHUP: what can change without a restart is read anew.  The log file
 * first (logrotate moved it), so that what the rest says lands in the new
 * one.  Whatever fails to load keeps the old setting and says why.
 */
static void
serve_sighup(evutil_socket_t sig, short ev, void *arg)
{
	struct serve	*s = arg;
	int		 n;

	n = log_reopen() != 0;
	if (s->reload != NULL && s->http != NULL)
		n += serve_reload(s, "SIGHUP");
	if (s->http != NULL) {
		n += http_reload(s->http);
		if (s->trace != NULL)
			http_each_token(s->http, serve_trace_token, s);
	}
	if (n == 0)
		log_info("SIGHUP: nothing to reload (no --log-file, "
		    "--auth-token-file or --tls-cert)");
}

/* A token clients may use, for the trace's redaction. */
static void
serve_trace_token(void *arg, const char *token)
{
	struct serve	*s = arg;

	trace_secret(s->trace, token);
}

/*
 * What the trace never shows, should the child or a client put it in a
 * message: the values --env gives the child, and the bearer tokens (they
 * travel in headers, never traced, but a client may write one into a
 * message too).
 */
static void
serve_trace_secrets(struct serve *s)
{
	char	**e;
	char	 *eq;
	size_t	  i;

	for (i = 0; i < s->nservers; i++)
		for (e = s->servers[i]->cfg->env; e != NULL && *e != NULL;
		    e++) {
			if ((eq = strchr(*e, '=')) != NULL)
				trace_secret(s->trace, eq + 1);
		}
}

/* A server's multiplexer, from its config. */
static void
serve_server_init(struct serve *s, struct serve_server *srv,
    const char *name, const struct serve_config *cfg)
{
	struct mux_config	 mc;

	srv->serve = s;
	srv->name = name;
	srv->cfg = cfg;
	LIST_INIT(&srv->children);
	if (cfg->client_capabilities != NULL) {
		srv->capabilities = jsonparse_strict(cfg->client_capabilities,
		    strlen(cfg->client_capabilities), NULL);
		/* cli.c checked it already; this only keeps the pair honest. */
		if (srv->capabilities == NULL)
			fatalx("--client-capabilities is not JSON");
	}
	memset(&mc, 0, sizeof mc);
	mc.isolation = cfg->isolation;
	mc.server_requests = cfg->server_requests;
	mc.client_capabilities = srv->capabilities;
	mc.client_name = PACKAGE_NAME;
	mc.client_version = PACKAGE_VERSION;
	mc.init_timeout_ms = cfg->init_timeout_ms;
	/* The command alone: its arguments may carry secrets. */
	mc.child_name = cfg->connect != NULL ? cfg->connect :
	    cfg->command != NULL ? cfg->command[0] : NULL;
	mc.child_era = cfg->child_era;
	mc.probe_timeout_ms = cfg->probe_timeout_ms;
	mc.request_timeout_ms = cfg->serve_request_timeout_ms;
	mc.max_children = cfg->max_children;
	mc.instance_id = cfg->instance_id;
	mc.tools = &cfg->tools;
	if (s->trace != NULL) {
		mc.trace = serve_trace_in;
		mc.trace_arg = srv;
	}
	srv->mux = mux_new(&mc);
	mux_tick(srv->mux, clock_ms());
}

static void
serve_server_free(struct serve_server *srv)
{
	struct serve_child	*child;

	while ((child = LIST_FIRST(&srv->children)) != NULL) {
		LIST_REMOVE(child, entry);
		upstream_free(child->upstream);
		free(child);
	}
	if (srv->shared != NULL) {
		upstream_free(srv->shared->upstream);
		free(srv->shared);
	}
	if (srv->mux != NULL)
		mux_free(srv->mux);
	if (srv->capabilities != NULL)
		json_object_put(srv->capabilities);
}

int
serve_run(const struct serve_config *cfg)
{
	return serve_run_servers(cfg, NULL, 0, NULL, NULL);
}

int
serve_run_servers(const struct serve_config *cfg,
    const struct serve_named *named, size_t nnamed, serve_reload_cb reload,
    void *reload_arg)
{
	struct serve		 s;
	struct serve_server	*srv;
	struct timeval		 tv = { 0, SERVE_TICK_MS * 1000 };
	struct event_config	*ec;
	size_t			 i;

	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.exit_status = 0;
	/*
	 * With epoll, the changelist turns the enable/disable pairs that
	 * evhttp and the bufferevents make within one loop turn into one
	 * epoll_ctl, or none: about a quarter of them per request.  It must
	 * not meet dup()ed descriptors; nothing here registers one.
	 */
	if ((ec = event_config_new()) == NULL)
		fatalx("event_config_new failed");
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	s.base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (s.base == NULL)
		fatalx("event_base_new failed");

	/*
	 * One server (cfg, or one named) is served on /mcp, /sse and
	 * /message, and its logs read as ever; several each on their own
	 * /servers/NAME/ only, their log lines named.  A named one is on
	 * /servers/NAME/ too.
	 */
	s.nservers = nnamed > 0 ? nnamed : 1;
	s.servers = xcalloc(s.nservers, sizeof *s.servers);
	s.named = nnamed > 1;
	s.trace = trace_new(cfg->trace);
	for (i = 0; i < s.nservers; i++) {
		s.servers[i] = xcalloc(1, sizeof *s.servers[i]);
		serve_server_init(&s, s.servers[i], nnamed > 1 ?
		    named[i].name : NULL, nnamed > 0 ? &named[i].cfg : cfg);
		s.servers[i]->route = nnamed > 0 ? named[i].name : NULL;
		s.servers[i]->fingerprint = nnamed > 0 ?
		    named[i].fingerprint : NULL;
	}
	/* Several servers: SIGHUP reads the file again. */
	if (s.named) {
		s.reload = reload;
		s.reload_arg = reload_arg;
	}
	if (s.trace != NULL)
		serve_trace_secrets(&s);

	if ((s.http = http_new(s.base, &cfg->http, nnamed <= 1 ?
	    s.servers[0]->mux : NULL, serve_pump, s.servers[0])) == NULL) {
		s.exit_status = EXIT_USAGE;
		goto out;
	}
	for (i = 0; i < nnamed; i++)
		http_add_endpoint(s.http, named[i].name, s.servers[i]->mux,
		    serve_pump, s.servers[i]);
	if (s.trace != NULL)
		http_each_token(s.http, serve_trace_token, &s);
	http_set_stats(s.http, serve_stats, &s);
	if (http_listen(s.http) == -1) {
		s.exit_status = EXIT_OSERR;
		goto out;
	}

	for (i = 0; i < s.nservers; i++) {
		srv = s.servers[i];
		if (srv->cfg->isolation != MUX_ISOLATION_SHARED)
			continue;
		srv->shared = serve_child_new(srv, NULL);
		if (upstream_start(srv->shared->upstream) == -1) {
			s.exit_status = EXIT_UNAVAILABLE;
			goto out;
		}
	}
	http_print_urls(s.http);

	s.tick = event_new(s.base, -1, EV_PERSIST, serve_tick, &s);
	event_add(s.tick, &tv);
	s.wake = evtimer_new(s.base, serve_tick, &s);
	s.sigterm = evsignal_new(s.base, SIGTERM, serve_signal, &s);
	s.sigint = evsignal_new(s.base, SIGINT, serve_signal, &s);
	s.sighup = evsignal_new(s.base, SIGHUP, serve_sighup, &s);
	evsignal_add(s.sigterm, NULL);
	evsignal_add(s.sigint, NULL);
	evsignal_add(s.sighup, NULL);
	if (cfg->watch != NULL && s.reload != NULL) {
		/* As it was read; a failed stat is a change later. */
		if (stat(cfg->watch, &s.watched) == -1)
			memset(&s.watched, 0, sizeof s.watched);
		s.watch = event_new(s.base, -1, EV_PERSIST, serve_watch, &s);
		clock_tv(&tv, SERVE_WATCH_MS);
		event_add(s.watch, &tv);
	}

	event_base_dispatch(s.base);
	log_info("stopped");

out:
	if (s.tick != NULL)
		event_free(s.tick);
	if (s.wake != NULL)
		event_free(s.wake);
	if (s.sigterm != NULL)
		event_free(s.sigterm);
	if (s.sigint != NULL)
		event_free(s.sigint);
	if (s.sighup != NULL)
		event_free(s.sighup);
	if (s.watch != NULL)
		event_free(s.watch);
	/* We are leaving anyway.  Freeing the signal events gave the default
	 * actions back; a signal during the cleanup below must not kill the
	 * process (its exit status would say "killed" instead of 0). */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (s.http != NULL)
		http_free(s.http);
	s.http = NULL;
	for (i = 0; i < s.nservers; i++) {
		serve_server_free(s.servers[i]);
		free(s.servers[i]);
	}
	free(s.servers);
	for (i = 0; i < s.ngone; i++) {
		serve_server_free(s.gone[i]);
		free(s.gone[i]);
	}
	free(s.gone);
	trace_free(s.trace);
	/* Runs the late frees still queued, then frees the base. */
	event_base_loop(s.base, EVLOOP_NONBLOCK);
	event_base_free(s.base);
	return s.exit_status;
}
