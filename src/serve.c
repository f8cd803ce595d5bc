/* SPDX-License-Identifier: ISC */
/*
 * serve.c: `mcpbridge serve`.
 *
 * Owns the event base, the HTTP side and the servers: for each, its
 * multiplexer and its upstreams (the shared child, or a pool of them with
 * --children; with --isolation=session, one upstream per session); moves
 * messages between them: every event ends in serve_pump, which drains a
 * server's multiplexer's outbox.  One server, unnamed, is served on /mcp,
 * /sse and /message; several (serve --config) each on /servers/NAME/.
 * What covers every route is the bridge's, here once: the OAuth resource
 * server, the OpenTelemetry exporter, the message trace.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "agg.h"
#include "clock.h"
#include "conffile.h"
#include "curl_event.h"
#include "envclaim.h"
#include "exitcodes.h"
#include "framer.h"
#include "http.h"
#include "http_auth.h"
#include "introspect.h"
#include "jsonparse.h"
#include "jwks.h"
#include "log.h"
#include "metrics.h"
#include "mux.h"
#include "oauth.h"
#include "rawjson.h"
#include "remote.h"
#include "rsauth.h"
#include "rsfetch.h"
#include "rsmeta.h"
#include "serve.h"
#include "serve_trace.h"
#include "session.h"
#include "status.h"
#include "trace.h"
#include "upstream.h"
#include "xmalloc.h"

/* How often the multiplexer's clock advances (timeouts, expiries). */
#define SERVE_TICK_MS	100
/* --watch: how often the --config file is looked at. */
#define SERVE_WATCH_MS	1000

struct serve;
struct serve_server;

/* One upstream: a shared child (session NULL; its server's pool[index])
 * or a session's own. */
struct serve_child {
	struct serve_server	*server;
	struct mux_session	*session;
	struct upstream		*upstream;
	struct remote_link	*link;		/* a remote server's, or NULL */
	size_t			 index;
	int			 stopping;
	int			 healthy;	/* handshake done since it started */
	int			 gone;		/* will not be restarted */
	char			 last_exit[STATUS_ERROR_LEN]; /* "": none */
	LIST_ENTRY(serve_child)	 entry;
};

/* One server: its multiplexer and its children. */
struct serve_server {
	struct serve		*serve;
	const char		*name;		/* in logs; NULL: only one */
	const char		*route;		/* /servers/ROUTE/, or NULL */
	const struct serve_config *cfg;
	struct mux		*mux;
	/* A remote server's way there (its children dial through it);
	 * NULL for a command, or if its headers could not be made. */
	struct remote		*remote;
	/* the shared children, npool of them (none with isolation=session);
	 * a slot is NULL once its child stopped */
	struct serve_child	**pool;
	size_t			 npool;
	LIST_HEAD(, serve_child) children;	/* per-session children */
	int			 pumping;
	json_object		*capabilities;
	const char		*fingerprint;	/* serve_named's */
	int			 removed;	/* by a reload: stopping */
	size_t			 agg_index;	/* its number in s->agg */
	struct serve_trace_server spans;	/* its side of s->spans */
	/* /status: its children's exits and failures, the last few */
	struct status_ring	 errors;
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
	unsigned		 nextid;	/* the servers' spans.id */
	int			 named;		/* several, each on its route */
	serve_reload_cb		 reload;	/* SIGHUP: the servers anew */
	void			*reload_arg;
	/* /metrics: every server's pool, one after another */
	struct metrics_child	*pool_gauges;
	/* /status: the same for its page */
	struct status_child	*status_children;
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

	/* The OAuth resource server (--oauth-issuer), all NULL without:
	 * key and introspection fetches run on ce, on our base.  One for
	 * every route: a named server's requests are checked alike. */
	struct curl_event	*ce;
	struct jwks		*jwks;
	struct introspect	*introspect;
	struct rsauth		*rsauth;
	char			*resource;
	char			*metadata_url;
	char			*metadata_path;
	char			*document;
	struct serve_trace	*spans;		/* NULL: no OpenTelemetry */
	uint64_t		 drain_start_ms;
	/* Several servers: /mcp aggregates them (agg.h); NULL with one.
	 * Its sessions at the servers' muxes are the agg's: their outs go
	 * to it, and what it has for its clients to http. */
	struct agg		*agg;
	int			 agg_pumping;
};

static void	serve_pump(void *);
static void	serve_error(struct serve_server *, const struct serve_child *,
		    const char *, const char *);
static void	serve_trace_token(void *, const char *);
static void	serve_remote_secrets(struct serve *,
		    const struct serve_server *);
static void	serve_server_init(struct serve *, struct serve_server *,
		    const char *, const char *, const struct serve_config *);

/* Is child one of its server's shared ones (session NULL, in pool)? */
static int
serve_child_shared(const struct serve_child *child)
{
	const struct serve_server	*srv = child->server;

	return child->index < srv->npool && srv->pool[child->index] == child;
}

/* What the log calls a child: "child", "child 2" (of a pool, numbered
 * from 1 as /metrics labels them) or "session child", after its server's
 * name with several ("fs: child 2"). */
#define SERVE_NAME_LEN	(CONFFILE_NAME_MAX + 32)
static const char *
serve_child_name(const struct serve_child *child, char *buf)
{
	const struct serve_server	*srv = child->server;
	char				 what[32];

	if (serve_child_shared(child) && srv->npool > 1)
		snprintf(what, sizeof what, "child %zu", child->index + 1);
	else
		snprintf(what, sizeof what, "%s", child->session == NULL ?
		    "child" : "session child");
	snprintf(buf, SERVE_NAME_LEN, "%s%s%s", srv->name != NULL ?
	    srv->name : "", srv->name != NULL ? ": " : "", what);
	return buf;
}

/* The trace's number for a child: a pool's copy, numbered as the log
 * names it, when there are several; 0 otherwise ("bridge>child"). */
static unsigned
serve_child_copy(const struct serve_child *child)
{
	if (child == NULL || !serve_child_shared(child) ||
	    child->server->npool < 2)
		return 0;
	return (unsigned)child->index + 1;
}

/*
 * A child's failure into its server's /status ring, named as the log
 * names it within its server ("child 2 exited with status 1;
 * restarting").  The causes are upstream's: a status, a signal, the
 * command's argv[0] and cwd, never its arguments or environment.
 */
static void
serve_error(struct serve_server *srv, const struct serve_child *child,
    const char *cause, const char *more)
{
	struct timeval	 tv;
	char		 name[SERVE_NAME_LEN], text[STATUS_ERROR_LEN];
	const char	*what;

	what = serve_child_name(child, name);
	if (srv->name != NULL && strncmp(what, srv->name,
	    strlen(srv->name)) == 0 && strncmp(what + strlen(srv->name),
	    ": ", 2) == 0)
		what += strlen(srv->name) + 2;
	snprintf(text, sizeof text, "%s %s%s", what, cause, more);
	gettimeofday(&tv, NULL);
	status_ring_add(&srv->errors, (uint64_t)tv.tv_sec * 1000 +
	    (uint64_t)tv.tv_usec / 1000, text);
}

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
	struct serve		*s = srv->serve;
	char			 label[SERVE_LABEL_MAX];

	trace_msg(s->trace, TRACE_CLIENT_IN, serve_trace_label(srv, ms, label),
	    msg);
	if (s->spans != NULL)
		serve_trace_client_in(s->spans, ms, msg);
}

/* http's span hook: the route's server is the endpoint's pump_arg; no
 * mux session: the aggregated endpoint's (arg the serve). */
static void
serve_span_http(void *arg, struct mux_session *ms, json_object *msg,
    const struct http_trace_info *info)
{
	struct serve_server	*srv = info->route;
	struct serve		*s = arg;

	if (ms == NULL)
		serve_trace_agg_http(s->spans, info->session,
		    info->negotiated, msg, info);
	else
		serve_trace_http(&srv->spans, ms, msg, info);
}

/* The client's request id of an id of the agg's session at a server. */
static json_object *
serve_agg_span_id(void *arg, struct mux_session *ms, json_object *id)
{
	return agg_client_id(arg, ms, id);
}

static void
serve_child_message(void *arg, json_object *msg)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;
	struct serve		*s = srv->serve;
	char			 label[SERVE_LABEL_MAX];

	trace_msg_copy(s->trace, TRACE_CHILD_IN, serve_child_copy(child),
	    serve_trace_label(srv, child->session, label), msg);
	if (s->spans != NULL)
		serve_trace_child_in(&srv->spans, msg);
	/* The mux times what the child does (questions it gathers). */
	mux_tick(srv->mux, clock_ms());
	if (serve_child_shared(child))
		mux_pool_recv(srv->mux, child->index, msg);
	else
		mux_child_recv(srv->mux, child->session, msg);
	/* A shared child answered its handshake: it works, so if it dies
	 * now it is restarted at once, however many times that happened. */
	if (serve_child_shared(child) && !child->healthy &&
	    mux_pool_ready(srv->mux, child->index)) {
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
	int			 seen;

	mux_tick(srv->mux, clock_ms());
	seen = (pk->method ? MUX_UNREADABLE_METHOD : 0) |
	    (pk->answer ? MUX_UNREADABLE_ANSWER : 0);
	if (serve_child_shared(child))
		mux_pool_unreadable(srv->mux, child->index,
		    json_object_get(pk->id), seen, pk->max_line,
		    pk->drop == FRAMER_DROP_INVALID ? pk->reason : NULL);
	else
		mux_child_unreadable(srv->mux, child->session,
		    json_object_get(pk->id), seen, pk->max_line,
		    pk->drop == FRAMER_DROP_INVALID ? pk->reason : NULL);
	serve_pump(srv);
}

static void
serve_child_up(void *arg)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;
	char			 name[SERVE_NAME_LEN], again[32] = "";
	uint64_t		 restarts;

	/* Running is not ready: the handshake that follows is ("server ...
	 * initialized"). */
	if (srv->remote != NULL)
		log_info("%s: session with %s starting; initializing it",
		    serve_child_name(child, name), remote_shown(srv->remote));
	else {
		if ((restarts = upstream_stats(child->upstream)->restarts) > 0)
			snprintf(again, sizeof again, " (restart %llu)",
			    (unsigned long long)restarts);
		log_info("%s started (pid %ld); initializing it%s",
		    serve_child_name(child, name),
		    (long)upstream_pid(child->upstream), again);
	}
	/* The era probe's deadline counts from now. */
	mux_tick(srv->mux, clock_ms());
	if (serve_child_shared(child))
		mux_pool_up(srv->mux, child->index);
	else
		mux_child_up(srv->mux, child->session);
	serve_pump(srv);
}

static void
serve_child_down(void *arg, const char *cause, int will_restart)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;
	struct serve		*s = srv->serve;
	struct mux_pool_stats	 st;
	char			 name[SERVE_NAME_LEN], load[96] = "";
	char			 again[48] = "";
	size_t			 i, left = 0;
	int			 delay;

	child->healthy = 0;
	/* A pool's child: what its going takes with it (its own sessions
	 * and requests only; the others never notice). */
	if (serve_child_shared(child) && srv->npool > 1) {
		mux_pool_stats(srv->mux, child->index, &st);
		snprintf(load, sizeof load, " (%zu session%s and %zu "
		    "request%s in flight at its end)", st.sessions,
		    st.sessions == 1 ? "" : "s", st.in_flight,
		    st.in_flight == 1 ? "" : "s");
	}
	if (s->spans != NULL)
		serve_trace_child_down(&srv->spans, child->session,
		    child->index, cause, will_restart);
	serve_child_name(child, name);
	snprintf(child->last_exit, sizeof child->last_exit, "%s", cause);
	if (!s->stopping && !srv->removed)
		serve_error(srv, child, cause, will_restart ?
		    "; restarting" : "");
	/* The event's one line (upstream's own is for debugging), with
	 * when it comes back.  Stopped on purpose (the bridge, or a reload
	 * that removed its server): no warning. */
	if (will_restart) {
		delay = upstream_restart_delay(child->upstream);
		if (delay >= 0)
			snprintf(again, sizeof again, "; restarting in %d ms",
			    delay);
		else
			snprintf(again, sizeof again, "; restarting");
	}
	if (!s->stopping && !srv->removed)
		log_warnx("%s %s%s%s", name, cause, again, load);
	else
		log_info("%s %s%s", name, cause, again);
	if (serve_child_shared(child))
		mux_pool_down(srv->mux, child->index, cause);
	else
		mux_child_down(srv->mux, child->session, cause);
	serve_pump(srv);
	if (srv->removed)
		return;		/* its children are being stopped */
	if (!serve_child_shared(child) || will_restart || s->stopping)
		return;
	child->gone = 1;
	for (i = 0; i < srv->npool; i++)
		left += srv->pool[i] != NULL && !srv->pool[i]->gone;
	serve_error(srv, child, "will not be restarted", "");
	if (left > 0) {
		log_warnx("%s will not be restarted; %zu of %zu serve on",
		    name, left, srv->npool);
		return;
	}
	if (s->named) {
		/* One of several: the others go on; this one's clients are
		 * told at once that it is not available, and why. */
		log_warnx("%s will not be restarted; its clients get errors",
		    name);
		for (i = 0; i < srv->npool; i++)
			mux_pool_unavailable(srv->mux, i, cause);
		serve_pump(srv);
		return;
	}
	/* The shared children are gone for good: nothing left to serve. */
	log_warnx("%s will not be restarted; exiting", name);
	s->exit_status = EXIT_UNAVAILABLE;
	s->stopping = 1;
	for (i = 0; i < srv->npool; i++) {
		if (srv->pool[i] != NULL)
			upstream_stop(srv->pool[i]->upstream);
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

	serve_error(srv, child, cause, "");
	mux_tick(srv->mux, clock_ms());
	if (serve_child_shared(child))
		mux_pool_unavailable(srv->mux, child->index, cause);
	else
		mux_child_unavailable(srv->mux, child->session, cause);
	serve_pump(srv);
}

/* Frees a child on a later loop turn: we may be inside its callback. */
static void
serve_child_free_late(evutil_socket_t fd, short ev, void *arg)
{
	struct serve_child	*child = arg;

	upstream_free(child->upstream);
	remote_link_free(child->link);
	free(child);
}

/* srv has no child any more (a remote one: no client mode session left
 * ending). */
static int
serve_server_stopped(const struct serve_server *srv)
{
	size_t	i;

	for (i = 0; i < srv->npool; i++)
		if (srv->pool[i] != NULL)
			return 0;
	if (srv->remote != NULL && !remote_idle(srv->remote))
		return 0;
	return LIST_EMPTY(&srv->children);
}

/* No server has a child any more. */
static int
serve_all_stopped(const struct serve *s)
{
	size_t	i;

	for (i = 0; i < s->nservers; i++)
		if (!serve_server_stopped(s->servers[i]))
			return 0;
	for (i = 0; i < s->ngone; i++)
		if (!serve_server_stopped(s->gone[i]))
			return 0;
	return 1;
}

/* A remote server's last client mode session ended: maybe the last
 * thing the stopping bridge waited for. */
static void
serve_remote_idle(void *arg)
{
	struct serve	*s = arg;

	if (s->stopping && serve_all_stopped(s))
		event_base_loopexit(s->base, NULL);
}

static void
serve_child_stopped(void *arg)
{
	struct serve_child	*child = arg;
	struct serve_server	*srv = child->server;
	struct serve		*s = srv->serve;

	if (serve_child_shared(child))
		srv->pool[child->index] = NULL;
	else
		LIST_REMOVE(child, entry);
	event_base_once(s->base, -1, EV_TIMEOUT, serve_child_free_late, child,
	    NULL);
	/* Once the bridge is stopping (a signal, or the only server's
	 * children gone for good), the last child to stop ends the loop. */
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

/*
 * --env-from-claim's variables are the claims' alone: one in the bridge's
 * own environment would reach every child whose token lacks the claim,
 * looking like one.
 */
static void
serve_forget_claim_vars(const struct serve_config *cfg)
{
	char	**m, *var;

	for (m = cfg->env_from_claim; m != NULL && *m != NULL; m++) {
		var = envclaim_var(*m);
		if (getenv(var) != NULL) {
			log_debug("--env-from-claim: %s removed from the "
			    "bridge's environment", var);
			unsetenv(var);
		}
		free(var);
	}
}

/*
 * The verified claims of the token that opened a session (a JSON object
 * the HTTP session owns), or NULL: no OAuth token.  The one place serve
 * mode asks for them, for --env-from-claim.
 */
static json_object *
serve_session_claims(struct mux_session *session)
{
	/* The HTTP side's session (http.c made it the mux session's data);
	 * its claims are a reference it holds as long as the session. */
	struct session	*sess = mux_session_data(session);

	return sess != NULL ? session_claims(sess) : NULL;
}

static struct serve_child *
serve_child_new(struct serve_server *srv, struct mux_session *session,
    size_t index)
{
	const struct serve_config *cfg = srv->cfg;
	struct upstream_config	 uc;
	struct serve_child	*child;
	const char		*v;
	char			**env = NULL;
	char			 tag[SERVE_NAME_LEN];

	memset(&uc, 0, sizeof uc);
	uc.argv = cfg->command;
	uc.env = cfg->env;
	/* A session's own child learns whom it serves: the session's
	 * principal, so these, never change. */
	if (session != NULL && cfg->env_from_claim != NULL)
		uc.env = env = envclaim_env(cfg->env, cfg->env_from_claim,
		    serve_session_claims(session));
	uc.cwd = cfg->cwd;
	uc.connect = cfg->connect;
	child = xcalloc(1, sizeof *child);
	if (srv->remote != NULL) {
		/* Not a process: client mode's machine, dialled anew at
		 * each (re)start; upstream names it by its URL. */
		child->link = remote_link_new(srv->remote);
		uc.connect = remote_shown(srv->remote);
		uc.dial = remote_link_dial;
		uc.why = remote_link_why;
		uc.dial_arg = child->link;
	}
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
	/* Each child's lines say whose it is: its server's name with
	 * several, and a pool's copies their number ("fs: child 2"). */
	if (session == NULL && srv->npool > 1)
		snprintf(tag, sizeof tag, "%s%schild %zu", srv->name != NULL ?
		    srv->name : "", srv->name != NULL ? ": " : "", index + 1);
	else
		snprintf(tag, sizeof tag, "%s", srv->name != NULL ? srv->name :
		    "child");
	uc.tag = tag;
	/* The mux parses what it looks into; the trace redacts what it
	 * shows, so it needs every string parsed. */
	uc.raw_answers = srv->serve->trace == NULL;
	/* Restarts back off up to 30 s; fault tests kill the child often. */
	if ((v = getenv("MCPBRIDGE_RESTART_BACKOFF_MAX_MS")) != NULL)
		uc.backoff_max_ms = atoi(v);

	child->server = srv;
	child->session = session;
	child->index = index;
	child->upstream = upstream_new(srv->serve->base, &uc, &serve_child_ops,
	    child);
	xfreev(env);		/* upstream_new copied it */
	return child;
}

static struct serve_child *
serve_find_child(struct serve_server *srv, struct mux_session *session,
    size_t index)
{
	struct serve_child	*child;

	if (session == NULL)
		return index < srv->npool ? srv->pool[index] : NULL;
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

	child = serve_child_new(srv, session, 0);
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

/* Every child of srv stops (the pool's too). */
static void
serve_server_stop_children(struct serve_server *srv)
{
	struct serve_child	*child, *next;
	size_t			 i;

	for (child = LIST_FIRST(&srv->children); child != NULL; child = next) {
		next = LIST_NEXT(child, entry);
		serve_stop_child(child);
	}
	for (i = 0; i < srv->npool; i++) {
		if (srv->pool[i] != NULL)
			upstream_stop(srv->pool[i]->upstream);
	}
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

/* out's message to child: -1 if not sent (upstream_send). */
static int
serve_send_child(struct serve_child *child, const struct mux_out *out)
{
	const char	*text;
	size_t		 len;

	if (out->child_id == 0)
		return upstream_send(child->upstream, out->msg);
	text = rawjson_request_text(out->msg, out->child_id, &len);
	return upstream_send_text(child->upstream, text, len);
}

/*
 * Drains a server's multiplexer.  Re-entrant calls (an HTTP delivery that
 * closes a session, say) return at once: the outer loop picks up what
 * they queued.
 */
static size_t
serve_pump_mux(struct serve_server *srv)
{
	struct serve		*s = srv->serve;
	struct serve_child	*child;
	struct mux_out		 out;
	char			 label[SERVE_LABEL_MAX];
	size_t			 n = 0;
	int			 lazy;

	if (srv->pumping)
		return 0;
	srv->pumping = 1;
	/* Unless a trace or a span looks at it, a client's call is only
	 * written to the child: never made as a message (mux.h). */
	lazy = s->trace == NULL && s->spans == NULL;
	while (lazy ? mux_next_lazy(srv->mux, &out) :
	    mux_next(srv->mux, &out)) {
		n++;
		switch (out.kind) {
		case MUX_OUT_CHILD:
			child = serve_find_child(srv, out.session, out.child);
			if (child != NULL && !child->stopping)
				trace_msg_copy(s->trace, TRACE_CHILD_OUT,
				    serve_child_copy(child),
				    serve_trace_label(srv, out.session, label),
				    out.msg);
			if (s->spans != NULL && out.session == NULL)
				serve_trace_child_out(&srv->spans, out.child,
				    out.msg);
			if (child == NULL || child->stopping ||
			    serve_send_child(child, &out) == -1)
				log_debug("message for a child that is not "
				    "there dropped");
			json_object_put(out.msg);
			break;
		case MUX_OUT_SESSION:
		case MUX_OUT_SESSION_END:
			if (s->spans != NULL && out.msg != NULL)
				serve_trace_session_out(s->spans, out.session,
				    &out.msg);
			else if (s->spans != NULL &&
			    out.kind == MUX_OUT_SESSION_END)
				serve_trace_session_end(s->spans, out.session);
			if (out.msg != NULL)
				trace_msg(s->trace, TRACE_CLIENT_OUT,
				    serve_trace_label(srv, out.session, label),
				    out.msg);
			if (s->agg != NULL && agg_server_out(s->agg, &out))
				break;	/* an aggregated session's */
			if (s->http != NULL)
				http_deliver(s->http, &out);
			else if (out.msg != NULL)
				json_object_put(out.msg);
			break;
		case MUX_OUT_CHILD_START:
			serve_start_session_child(srv, out.session);
			break;
		case MUX_OUT_CHILD_STOP:
			if ((child = serve_find_child(srv, out.session, 0)) !=
			    NULL)
				serve_stop_child(child);
			break;
		}
	}
	if (s->http != NULL)
		http_delivered(s->http);
	srv->pumping = 0;
	serve_arm_wake(s);
	return n;
}

/*
 * The aggregated endpoint's pump: its calls into a server's mux queue
 * outs there, and what a mux gives it may call into another, so every
 * mux and the agg are drained in turn until all are quiet.  Re-entrant
 * calls return at once (the outer loop goes on).
 */
static void
serve_pump_agg(struct serve *s)
{
	struct agg_out	 ao;
	struct mux_out	 out;
	size_t		 i, n;

	if (s->agg == NULL || s->agg_pumping)
		return;
	s->agg_pumping = 1;
	do {
		n = 0;
		for (i = 0; i < s->nservers; i++)
			n += serve_pump_mux(s->servers[i]);
		for (i = 0; i < s->ngone; i++)
			n += serve_pump_mux(s->gone[i]);
		while (agg_next(s->agg, &ao)) {
			n++;
			memset(&out, 0, sizeof out);
			out.kind = ao.kind;
			out.stream = ao.stream;
			out.final = ao.final;
			out.msg = ao.msg;
			if (out.msg != NULL)
				trace_msg(s->trace, TRACE_CLIENT_OUT, NULL,
				    out.msg);
			if (s->spans != NULL && out.final)
				serve_trace_agg_out(s->spans, ao.data, out.msg);
			if (s->http != NULL)
				http_deliver_data(s->http, ao.data, &out);
			else
				json_object_put(out.msg);
		}
	} while (n > 0);
	if (s->http != NULL)
		http_delivered(s->http);
	s->agg_pumping = 0;
}

/* Drains a server's multiplexer (and, with several servers, the
 * aggregated endpoint's sessions, which may be waiting for it). */
static void
serve_pump(void *arg)
{
	struct serve_server	*srv = arg;

	serve_pump_mux(srv);
	serve_pump_agg(srv->serve);
}

/* The aggregated endpoint's pump (http's), its arg the serve. */
static void
serve_agg_pump(void *arg)
{
	serve_pump_agg(arg);
}

/* The aggregated endpoint's ops: agg.h's calls (arg: the serve). */
static void *
serve_agg_session_new(void *arg, enum mux_transport t, void *data)
{
	return agg_session_new(((struct serve *)arg)->agg, t, data);
}

static void
serve_agg_set_principal(void *as, uint64_t principal)
{
	agg_session_set_principal(as, principal);
}

static enum mux_recv
serve_agg_session_recv(void *arg, void *as, json_object *msg,
    uint64_t stream)
{
	return agg_session_recv(((struct serve *)arg)->agg, as, msg, stream);
}

static void
serve_agg_session_finish(void *arg, void *as)
{
	agg_session_finish(((struct serve *)arg)->agg, as);
}

static void
serve_agg_session_close(void *arg, void *as)
{
	struct serve	*s = arg;

	if (s->spans != NULL)
		serve_trace_agg_end(s->spans, agg_session_data(as));
	agg_session_close(s->agg, as);
}

static const char *
serve_agg_session_version(const void *as)
{
	return agg_session_version(as);
}

static int
serve_agg_ready(const void *arg)
{
	return agg_ready(((const struct serve *)arg)->agg);
}

static int
serve_agg_tool_named(const void *arg, const char *tool)
{
	return agg_tool_named(((const struct serve *)arg)->agg, tool);
}

static json_object *
serve_agg_tool_headers(const void *arg, const char *tool)
{
	return agg_tool_headers(((const struct serve *)arg)->agg, tool);
}

static void
serve_agg_fail_all(void *arg, const char *why)
{
	agg_fail_all(((struct serve *)arg)->agg, why);
}

static void
serve_agg_set_grant(void *as, const char *const *scopes, size_t n, int all)
{
	agg_session_set_grant(as, scopes, n, all);
}

static const char *
serve_agg_route(const void *arg, json_object *msg, char **tool)
{
	return agg_route(((const struct serve *)arg)->agg, msg, tool);
}

static size_t
serve_agg_sessions_at(const void *arg, const char *name)
{
	return agg_sessions_at(((const struct serve *)arg)->agg, name);
}

static void
serve_agg_session_away(void *as, int away)
{
	agg_session_away(as, away);
}

static const struct http_ep_ops serve_agg_ops = {
	serve_agg_session_new,
	serve_agg_set_principal,
	serve_agg_session_recv,
	serve_agg_session_finish,
	serve_agg_session_close,
	serve_agg_session_version,
	serve_agg_ready,
	serve_agg_tool_named,
	serve_agg_tool_headers,
	serve_agg_fail_all,
	serve_agg_set_grant,
	serve_agg_route,
	serve_agg_sessions_at,
	serve_agg_session_away,
};

static void
serve_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct serve	*s = arg;
	size_t		 i;

	for (i = 0; i < s->nservers; i++) {
		mux_tick(s->servers[i]->mux, clock_ms());
		serve_pump(s->servers[i]);
	}
	/* Removed ones still draining: their timeouts run too. */
	for (i = 0; i < s->ngone; i++) {
		if (serve_server_stopped(s->gone[i]))
			continue;
		mux_tick(s->gone[i]->mux, clock_ms());
		serve_pump(s->gone[i]);
	}
	if (s->agg != NULL) {
		agg_tick(s->agg, clock_ms());
		serve_pump_agg(s);
	}
	if (s->spans != NULL)
		serve_trace_tick(s->spans, clock_ms());
}

static void	serve_stop_children(void *);

/* Drained (or out of time): the last spans go to the collector, within
 * what --drain-timeout left (at least SERVE_TRACE_FLUSH_MIN_MS); then
 * the children stop. */
static void
serve_drained(void *arg)
{
	struct serve	*s = arg;
	uint64_t	 now = clock_ms(), deadline;

	if (s->spans == NULL) {
		serve_stop_children(s);
		return;
	}
	deadline = s->drain_start_ms + s->cfg->drain_timeout_ms;
	if (deadline < now + SERVE_TRACE_FLUSH_MIN_MS)
		deadline = now + SERVE_TRACE_FLUSH_MIN_MS;
	serve_trace_flush(s->spans, deadline, serve_stop_children, s);
}

/* Every server's children stop; the loop ends when the last is gone. */
static void
serve_stop_children(void *arg)
{
	struct serve	*s = arg;
	size_t		 i;

	for (i = 0; i < s->nservers; i++)
		serve_server_stop_children(s->servers[i]);
	for (i = 0; i < s->ngone; i++)
		serve_server_stop_children(s->gone[i]);
	/* Remote sessions end now (bounded by client mode's DELETE and
	 * flush timeouts), not after a request their upstream gave up. */
	for (i = 0; i < s->nservers; i++)
		if (s->servers[i]->remote != NULL)
			remote_stop(s->servers[i]->remote);
	for (i = 0; i < s->ngone; i++)
		if (s->gone[i]->remote != NULL)
			remote_stop(s->gone[i]->remote);
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
	s->drain_start_ms = clock_ms();
	if (s->http != NULL)
		http_drain(s->http, s->cfg->drain_timeout_ms, serve_drained, s);
	else
		serve_drained(s);
}

/* /metrics of srv's children: the totals in *g, its pool into mc (npool
 * of them, labelled with its route when it has one). */
static void
serve_server_stats(struct serve_server *srv, struct metrics_gauges *g,
    struct metrics_child *mc)
{
	struct serve_child		*child;
	const struct upstream_stats	*us;
	struct mux_pool_stats		 ps;
	size_t				 i;

	for (i = 0; i < srv->npool; i++, mc++) {
		memset(mc, 0, sizeof *mc);
		mc->server = srv->serve->named ? srv->route : NULL;
		mc->index = i;
		mux_pool_stats(srv->mux, i, &ps);
		mc->ready = ps.ready;
		mc->sessions = ps.sessions;
		mc->in_flight = ps.in_flight;
		mc->requests = ps.requests;
		if ((child = srv->pool[i]) == NULL)
			continue;
		/* The totals are the pool's; the restarts also each child's
		 * (the process's own count: a failed spawn is one too). */
		us = upstream_stats(child->upstream);
		mc->up = upstream_is_up(child->upstream);
		mc->restarts = us->restarts;
		g->children_up += mc->up;
		g->child_starts += us->starts;
		g->child_restarts += us->restarts;
		g->child_messages_in += us->messages_in;
		g->child_messages_out += us->messages_out;
	}
	LIST_FOREACH(child, &srv->children, entry)
		g->children_up += upstream_is_up(child->upstream);
}

/* /metrics: what the children are doing, summed over the servers; each
 * named one's own, and each shared child's. */
static void
serve_stats(void *arg, struct metrics_gauges *g)
{
	struct serve			*s = arg;
	struct serve_server		*srv;
	struct metrics_gauges		 one;
	struct metrics_server		*ms;
	struct otel_export_stats	 os;
	size_t				 i, j, npool = 0;

	for (i = 0; i < s->nservers; i++)
		npool += s->servers[i]->npool;
	s->pool_gauges = xreallocarray(s->pool_gauges, npool > 0 ? npool : 1,
	    sizeof *s->pool_gauges);
	g->pool = s->pool_gauges;
	g->npool = npool;
	for (i = 0, npool = 0; i < s->nservers; i++) {
		srv = s->servers[i];
		memset(&one, 0, sizeof one);
		serve_server_stats(srv, &one, s->pool_gauges + npool);
		npool += srv->npool;
		g->children_up += one.children_up;
		g->child_starts += one.child_starts;
		g->child_restarts += one.child_restarts;
		g->child_messages_in += one.child_messages_in;
		g->child_messages_out += one.child_messages_out;
		/* And each named one on its own (http filled the rest). */
		for (j = 0; j < g->nservers; j++) {
			ms = &g->servers[j];
			if (srv->route == NULL || strcmp(srv->route,
			    ms->name) != 0)
				continue;
			ms->children_up += one.children_up;
			ms->child_starts = one.child_starts;
			ms->child_restarts = one.child_restarts;
		}
	}
	if (s->spans != NULL) {
		serve_trace_stats(s->spans, &os);
		g->otel = 1;
		g->otel_spans_exported = os.exported;
		g->otel_spans_dropped = os.dropped;
		g->otel_spans_failed = os.failed;
		g->otel_queue_spans = os.queued;
		g->otel_spans_open = serve_trace_open(s->spans);
	}
}

/* /status: each server's command, children and errors, on the entry
 * http listed under its route (NULL: the only one). */
static void
serve_status(void *arg, struct status_page *p)
{
	struct serve		*s = arg;
	struct serve_server	*srv;
	struct status_server	*sv;
	struct status_child	*sc;
	struct serve_child	*child;
	struct mux_pool_stats	 ps;
	uint64_t		 since;
	size_t			 i, j, n = 0;

	for (i = 0; i < s->nservers; i++)
		n += s->servers[i]->npool;
	s->status_children = xreallocarray(s->status_children, n > 0 ? n : 1,
	    sizeof *s->status_children);
	sc = s->status_children;
	for (i = 0; i < s->nservers; i++) {
		srv = s->servers[i];
		for (j = 0, sv = NULL; j < p->nservers && sv == NULL; j++)
			if ((srv->route == NULL && p->servers[j].name ==
			    NULL) || (srv->route != NULL &&
			    p->servers[j].name != NULL &&
			    strcmp(srv->route, p->servers[j].name) == 0))
				sv = &p->servers[j];
		if (sv == NULL)
			continue;
		/* argv[0] alone, as the mux names it: the arguments and
		 * the environment may hold secrets. */
		sv->command = srv->remote != NULL ? remote_shown(srv->remote) :
		    srv->cfg->connect != NULL ? srv->cfg->connect :
		    srv->cfg->command != NULL ? srv->cfg->command[0] : NULL;
		sv->errors = &srv->errors;
		sv->children = sc;
		sv->nchildren = srv->npool;
		for (j = 0; j < srv->npool; j++, sc++) {
			memset(sc, 0, sizeof *sc);
			sc->index = j + 1;
			sc->pid = -1;
			mux_pool_stats(srv->mux, j, &ps);
			sc->ready = ps.ready;
			sc->era = !ps.ready ? NULL : ps.modern ?
			    "2026-07-28" : "legacy";
			sc->sessions = ps.sessions;
			sc->in_flight = ps.in_flight;
			sc->requests = ps.requests;
			if ((child = srv->pool[j]) == NULL)
				continue;
			sc->pid = (long)upstream_pid(child->upstream);
			sc->up = upstream_is_up(child->upstream);
			if ((since = upstream_up_since(child->upstream)) != 0)
				sc->uptime_ms = clock_ms() - since;
			sc->restarts = upstream_stats(child->upstream)->restarts;
			sc->last_exit = child->last_exit[0] != '\0' ?
			    child->last_exit : NULL;
		}
		LIST_FOREACH(child, &srv->children, entry)
			sv->session_children += upstream_is_up(child->upstream);
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

/*
 * A pool's load, one line per copy (SIGHUP): what /metrics shows, for an
 * operator at the log.
 */
static void
serve_log_pool(struct serve_server *srv)
{
	struct mux_pool_stats	 ps;
	const struct upstream_stats *us;
	size_t			 i;

	if (srv->npool < 2)
		return;
	for (i = 0; i < srv->npool; i++) {
		mux_pool_stats(srv->mux, i, &ps);
		us = srv->pool[i] != NULL ?
		    upstream_stats(srv->pool[i]->upstream) : NULL;
		log_info("%s%schild %zu: %s, %zu sessions, %zu requests in "
		    "flight, %" PRIu64 " forwarded, %" PRIu64 " restarts",
		    srv->name != NULL ? srv->name : "", srv->name != NULL ?
		    ": " : "", i + 1, ps.ready ? "ready" : ps.up ? "starting" :
		    "down", ps.sessions, ps.in_flight, ps.requests,
		    us != NULL ? us->restarts : 0);
	}
}

/* Starts srv's shared children (none with isolation=session): -1 if
 * one's command cannot run (upstream logged why). */
static int
serve_server_start(struct serve_server *srv)
{
	size_t	i;

	/* A remote one whose headers could not be made (logged). */
	if (srv->cfg->remote != NULL && srv->remote == NULL)
		return -1;
	/* The mux bounds the pool (MUX_CHILDREN_MAX); serve follows it. */
	if ((srv->npool = mux_pool_size(srv->mux)) == 0)
		return 0;
	srv->pool = xcalloc(srv->npool, sizeof *srv->pool);
	for (i = 0; i < srv->npool; i++)
		srv->pool[i] = serve_child_new(srv, NULL, i);
	if (srv->npool > 1)
		log_info("%s%srunning %zu copies of the child (--children)",
		    srv->name != NULL ? srv->name : "", srv->name != NULL ?
		    ": " : "", srv->npool);
	for (i = 0; i < srv->npool; i++) {
		if (upstream_start(srv->pool[i]->upstream) == -1)
			return -1;
	}
	return 0;
}

/*
 * With OAuth, a named server's own --oauth-scope values (its entry's, as
 * its config holds the bridge's too) are needed on its routes beside the
 * bridge's, which the resource server checks everywhere, and on the
 * aggregated endpoint for what goes to it (agg_server_scopes; so the agg
 * must have it).  One server from a file is the bridge: its scopes are
 * the bridge's already.
 */
static void
serve_endpoint_scopes(struct serve *s, const struct serve_named *nm,
    const struct serve_server *srv)
{
	const char	*own[RSAUTH_MAX_SCOPES];
	size_t		 i, j, n = 0;

	if (nm->cfg.noauth_issuers == 0)
		return;
	for (i = 0; i < nm->cfg.noauth_scopes && n < RSAUTH_MAX_SCOPES; i++) {
		for (j = 0; j < s->cfg->noauth_scopes; j++)
			if (strcmp(nm->cfg.oauth_scopes[i],
			    s->cfg->oauth_scopes[j]) == 0)
				break;
		if (j == s->cfg->noauth_scopes)
			own[n++] = nm->cfg.oauth_scopes[i];
	}
	if (n == 0)
		return;
	http_endpoint_scopes(s->http, nm->name, own, n);
	if (s->agg != NULL)
		agg_server_scopes(s->agg, srv->agg_index, own, n);
}

/* A reload's new server: its mux, its route, its children. */
static void
serve_server_add(struct serve *s, const struct serve_named *nm)
{
	struct serve_server	*srv;
	const char		*cause;
	char			**e, *eq;
	size_t			 i;

	srv = xcalloc(1, sizeof *srv);
	serve_server_init(s, srv, nm->name, nm->name, &nm->cfg);
	srv->fingerprint = nm->fingerprint;
	s->servers = xreallocarray(s->servers, s->nservers + 1,
	    sizeof *s->servers);
	s->servers[s->nservers++] = srv;
	for (e = nm->cfg.env; e != NULL && *e != NULL; e++)
		if ((eq = strchr(*e, '=')) != NULL) {
			trace_secret(s->trace, eq + 1);
			serve_trace_secret(s->spans, eq + 1);
		}
	serve_remote_secrets(s, srv);
	/* Without --max-queue, the queue holds two of its largest answers
	 * (cli_serve_config), as it does for those served from the start. */
	http_raise_max_queue(s->http, nm->cfg.http.max_queue);
	http_add_endpoint(s->http, nm->name, srv->mux, serve_pump, srv);
	if (s->agg != NULL)
		srv->agg_index = agg_add_server(s->agg, nm->name, srv->mux);
	serve_endpoint_scopes(s, nm, srv);
	/* A command that cannot run: its clients are told why (upstream
	 * logged it); the others go on. */
	if (serve_server_start(srv) == -1) {
		for (i = 0; srv->cfg->remote != NULL && srv->remote == NULL &&
		    i < mux_pool_size(srv->mux); i++)
			mux_pool_unavailable(srv->mux, i, "its headers could "
			    "not be made (logged)");
		for (i = 0; i < srv->npool; i++) {
			cause = upstream_error(srv->pool[i]->upstream);
			mux_pool_unavailable(srv->mux, i, cause != NULL ?
			    cause : "could not be started");
		}
		serve_pump(srv);
	}
}

/* A removed server's requests in flight are answered, or out of time
 * (http told them): its children stop. */
static void
serve_server_drained(void *arg)
{
	struct serve_server	*srv = arg;

	log_info("%s: drained; stopping its children", srv->name);
	serve_server_stop_children(srv);
}

/* A reload removed (or changed) servers[i]: its routes take no new
 * session, its requests in flight drain (up to --drain-timeout), then its
 * sessions end and its children stop; it is kept until the end. */
static void
serve_server_remove(struct serve *s, size_t i, const char *why)
{
	struct serve_server	*srv = s->servers[i];

	srv->removed = 1;
	if (s->agg != NULL)
		agg_remove_server(s->agg, srv->agg_index);
	if (http_remove_endpoint(s->http, srv->route, why,
	    s->cfg->drain_timeout_ms, serve_server_drained, srv) == -1)
		serve_server_stop_children(srv);
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
	size_t		 i;
	int		 n;

	n = log_reopen() != 0;
	for (i = 0; i < s->nservers; i++)
		serve_log_pool(s->servers[i]);
	if (s->reload != NULL && s->http != NULL)
		n += serve_reload(s, "SIGHUP");
	if (s->http != NULL) {
		n += http_reload(s->http);
		if (s->trace != NULL || s->spans != NULL)
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
	serve_trace_secret(s->spans, token);
}

/* A request's OAuth access token, for the trace's redaction. */
static void
serve_trace_oauth_token(void *arg, const char *token, size_t len)
{
	struct serve	*s = arg;

	trace_token(s->trace, token, len);
	serve_trace_bearer(s->spans, token, len);
}

/* A remote server's header values: what a message quoting one must not
 * show in either trace; of a scheme and a credential ("Bearer xyz"), the
 * credential alone too. */
static void
serve_remote_secrets(struct serve *s, const struct serve_server *srv)
{
	const char	*v, *sp;
	size_t		 i;

	for (i = 0; srv->remote != NULL &&
	    (v = remote_secret(srv->remote, i)) != NULL; i++) {
		trace_secret(s->trace, v);
		serve_trace_secret(s->spans, v);
		if ((sp = strchr(v, ' ')) != NULL) {
			sp += strspn(sp, " ");
			trace_secret(s->trace, sp);
			serve_trace_secret(s->spans, sp);
		}
	}
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

	for (i = 0; i < s->nservers; i++) {
		for (e = s->servers[i]->cfg->env; e != NULL && *e != NULL;
		    e++) {
			if ((eq = strchr(*e, '=')) != NULL) {
				trace_secret(s->trace, eq + 1);
				serve_trace_secret(s->spans, eq + 1);
			}
		}
		serve_remote_secrets(s, s->servers[i]);
	}
	/* The exporter's headers (--otel-header, OTEL_*_HEADERS): an API
	 * key a client or the child might quote. */
	for (i = 0; s->cfg->otel != NULL && i < s->cfg->otel->nheaders; i++) {
		trace_secret(s->trace, s->cfg->otel->headers[i].value);
		serve_trace_secret(s->spans, s->cfg->otel->headers[i].value);
	}
}

/*
 * Every scope the resource knows of (scopes_supported): the configured
 * ones and each tool's, into a list of n the caller frees (the strings
 * with it).
 */
static char **
serve_oauth_all_scopes(const struct serve_config *cfg, size_t *n)
{
	char		**v = NULL;
	const char	 *p, *end;
	size_t		  i;

	*n = 0;
	for (i = 0; i < cfg->noauth_scopes; i++) {
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrdup(cfg->oauth_scopes[i]);
	}
	for (i = 0; i < cfg->noauth_tool_scopes; i++) {
		if ((p = strchr(cfg->oauth_tool_scopes[i], '=')) == NULL)
			continue;
		for (p++; *p != '\0'; p = end) {
			p += strspn(p, " ");
			end = p + strcspn(p, " ");
			if (end == p)
				break;
			v = xreallocarray(v, *n + 1, sizeof *v);
			v[(*n)++] = xstrndup(p, (size_t)(end - p));
		}
	}
	return v;
}

static void
serve_free_list(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * The default resource: the listener's /mcp URL with the host as the user
 * gave it to --host (cli.c allows only loopback ones then), so that
 * "localhost" stays localhost: a client compares the metadata's resource
 * with the URL it connects to (RFC 9728 3.3), and users type localhost.
 * An IPv6 address is bracketed.  url is http_url's,
 * scheme://host:port[base-path].
 */
static char *
serve_default_resource(const char *url, const char *host,
    const char *mcp_path)
{
	const char	*p, *hend;
	char		*r;

	if ((p = strstr(url, "://")) == NULL)
		fatalx("%s: no scheme in %s", __func__, url);
	p += 3;
	hend = *p == '[' ? strchr(p, ']') : strchr(p, ':');
	if (hend == NULL)
		fatalx("%s: no port in %s", __func__, url);
	if (*hend == ']')
		hend++;
	xasprintf(&r, "%.*s%s%s%s%s%s", (int)(p - url), url,
	    strchr(host, ':') != NULL ? "[" : "", host,
	    strchr(host, ':') != NULL ? "]" : "", hend, mcp_path);
	return r;
}

/*
 * The OAuth resource server, once listening and before any child starts
 * (the client secret's variable is gone from the environment by then).
 * One for all the routes: the default resource is the listener's /mcp
 * URL or, when servers are named (serve --config), the listener's URL
 * with --base-path, whose path every /servers/NAME/ route is under (a
 * client checks that its server's URL is), so one token of that audience
 * serves each route, checked and scoped as on /mcp.  -1 with a log line.
 */
static int
serve_oauth_start(struct serve *s)
{
	const struct serve_config	*cfg = s->cfg;
	struct curl_event_config	 cc;
	struct introspect_config	 ic;
	struct rsmeta_config		 mc;
	struct rsauth_config		 rc;
	struct http_oauth		 ho;
	char				*secret = NULL, *err, **scopes;
	const char			*cause;
	size_t				 i, nscopes;

	if (cfg->oauth_resource != NULL)
		s->resource = xstrdup(cfg->oauth_resource);
	else if (s->servers[0]->route != NULL)
		s->resource = serve_default_resource(http_url(s->http),
		    cfg->http.host, "");
	else
		s->resource = serve_default_resource(http_url(s->http),
		    cfg->http.host, cfg->http.mcp_path);
	if (rsmeta_resource_check(s->resource, &cause) == -1) {
		log_error("the OAuth resource %s: %s (give --oauth-resource)",
		    s->resource, cause);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init");
	memset(&cc, 0, sizeof cc);
	s->ce = curl_event_new(s->base, &cc);
	s->jwks = jwks_new(&rsfetch_curl_ops, s->ce, NULL);
	for (i = 0; i < cfg->noauth_issuers; i++) {
		if (jwks_add(s->jwks, cfg->oauth_issuers[i], &cause) == -1) {
			log_error("--oauth-issuer %s: %s",
			    cfg->oauth_issuers[i], cause);
			return -1;
		}
	}
	if (cfg->oauth_client_id != NULL) {
		if (oauth_load_secret(cfg->oauth_client_secret_env,
		    cfg->oauth_client_secret_file, &secret, &err) == -1) {
			log_error("%s", err);
			free(err);
			return -1;
		}
		if (s->trace != NULL)
			trace_secret(s->trace, secret);
		/* The first issuer's endpoint, read from its metadata. */
		memset(&ic, 0, sizeof ic);
		ic.issuer = cfg->oauth_issuers[0];
		ic.from = jwks_issuer(s->jwks, 0);
		ic.client_id = cfg->oauth_client_id;
		ic.client_secret = secret;
		ic.resource = s->resource;
		ic.leeway = cfg->oauth_leeway;
		s->introspect = introspect_new(&ic, &rsfetch_curl_ops, s->ce,
		    NULL, &cause);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		if (s->introspect == NULL) {
			log_error("introspection: %s", cause);
			return -1;
		}
	}
	s->metadata_url = rsmeta_metadata_url(s->resource);
	s->metadata_path = rsmeta_metadata_path(s->resource);
	scopes = serve_oauth_all_scopes(cfg, &nscopes);
	memset(&mc, 0, sizeof mc);
	mc.resource = s->resource;
	mc.issuers = (const char *const *)cfg->oauth_issuers;
	mc.nissuers = cfg->noauth_issuers;
	mc.scopes = (const char *const *)scopes;
	mc.nscopes = nscopes;
	mc.resource_name = PACKAGE_NAME;
	s->document = rsmeta_document(&mc);
	serve_free_list(scopes, nscopes);
	if (s->metadata_url == NULL || s->metadata_path == NULL ||
	    s->document == NULL) {
		log_error("the OAuth resource metadata cannot be made for %s "
		    "(too many scopes or issuers?)", s->resource);
		return -1;
	}
	/* Static tokens stay http.c's (a SIGHUP reloads them): it checks
	 * them before asking rsauth. */
	memset(&rc, 0, sizeof rc);
	rc.jwks = s->jwks;
	rc.introspect = s->introspect;
	rc.resource = s->resource;
	rc.leeway = cfg->oauth_leeway;
	rc.require_at_jwt = cfg->oauth_require_at_jwt;
	rc.scopes = (const char *const *)cfg->oauth_scopes;
	rc.nscopes = cfg->noauth_scopes;
	rc.metadata_url = s->metadata_url;
	if ((s->rsauth = rsauth_new(&rc, &cause)) == NULL) {
		log_error("OAuth: %s", cause);
		return -1;
	}
	memset(&ho, 0, sizeof ho);
	ho.rsauth = s->rsauth;
	ho.jwks = s->jwks;
	ho.introspect = s->introspect;
	ho.document = s->document;
	ho.metadata_path = s->metadata_path;
	ho.tool_scopes = cfg->oauth_tool_scopes;
	ho.ntool_scopes = cfg->noauth_tool_scopes;
	ho.tool_separator = cfg->tool_separator;
	http_set_oauth(s->http, &ho);
	log_info("OAuth resource %s, metadata at %s", s->resource,
	    s->metadata_url);
	jwks_start(s->jwks);
	return 0;
}

/* After http_free (its connections cancelled their checks). */
static void
serve_oauth_free(struct serve *s)
{
	rsauth_free(s->rsauth);
	introspect_free(s->introspect);
	jwks_free(s->jwks);
	if (s->ce != NULL) {
		curl_event_free(s->ce);
		curl_global_cleanup();
	}
	free(s->resource);
	free(s->metadata_url);
	free(s->metadata_path);
	free(s->document);
}

/* A server's multiplexer, from its config. */
static void
serve_server_init(struct serve *s, struct serve_server *srv,
    const char *name, const char *route, const struct serve_config *cfg)
{
	struct mux_config	 mc;
	char			*err;

	srv->serve = s;
	srv->name = name;
	srv->route = route;
	srv->cfg = cfg;
	srv->spans.st = s->spans;
	srv->spans.id = s->nextid++;
	srv->spans.name = route;
	LIST_INIT(&srv->children);
	if (cfg->client_capabilities != NULL) {
		srv->capabilities = jsonparse_strict(cfg->client_capabilities,
		    strlen(cfg->client_capabilities), NULL);
		/* cli.c checked it already; this only keeps the pair honest. */
		if (srv->capabilities == NULL)
			fatalx("--client-capabilities is not JSON");
	}
	serve_forget_claim_vars(cfg);
	if (cfg->remote != NULL &&
	    (srv->remote = remote_new(s->base, cfg->remote,
	    cfg->max_message_size, &err)) == NULL) {
		log_error("%s: %s", route != NULL ? route : "the server", err);
		free(err);
	}
	if (srv->remote != NULL)
		remote_set_idle(srv->remote, serve_remote_idle, s);
	memset(&mc, 0, sizeof mc);
	mc.isolation = cfg->isolation;
	mc.server_requests = cfg->server_requests;
	mc.asking_tools = (const char *const *)cfg->asking_tools;
	mc.client_capabilities = srv->capabilities;
	mc.client_name = PACKAGE_NAME;
	mc.client_version = PACKAGE_VERSION;
	mc.init_timeout_ms = cfg->init_timeout_ms;
	/* The command alone: its arguments may carry secrets. */
	mc.child_name = srv->remote != NULL ? remote_shown(srv->remote) :
	    cfg->connect != NULL ? cfg->connect :
	    cfg->command != NULL ? cfg->command[0] : NULL;
	mc.child_url = srv->remote != NULL;
	/* With several servers, its lines about the child say whose. */
	mc.server_name = name;
	mc.child_era = cfg->child_era;
	mc.probe_timeout_ms = cfg->probe_timeout_ms;
	mc.request_timeout_ms = cfg->serve_request_timeout_ms;
	mc.max_children = cfg->max_children;
	mc.children = cfg->children;
	mc.instance_id = cfg->instance_id;
	mc.tools = &cfg->tools;
	if (s->spans != NULL) {
		mc.span_child = serve_trace_child_request;
		mc.span_server = serve_trace_server_request;
		mc.span_session_end = serve_trace_session_close;
		mc.span_arg = &srv->spans;
	}
	if (s->trace != NULL || s->spans != NULL) {
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
	size_t			 i;

	while ((child = LIST_FIRST(&srv->children)) != NULL) {
		LIST_REMOVE(child, entry);
		upstream_free(child->upstream);
		remote_link_free(child->link);
		free(child);
	}
	for (i = 0; i < srv->npool; i++) {
		if (srv->pool[i] != NULL) {
			upstream_free(srv->pool[i]->upstream);
			remote_link_free(srv->pool[i]->link);
			free(srv->pool[i]);
		}
	}
	free(srv->pool);
	/* After its children's links; its clients still running go. */
	remote_free(srv->remote);
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
	struct timeval		 tv = { 0, SERVE_TICK_MS * 1000 };
	struct agg_config	 ac;
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
	log_set_base(s.base);
	/*
	 * The signals are ours before anything that outlives us starts: a
	 * child runs in its own process group, and a SIGTERM with the
	 * default action between its start and the loop would leave it
	 * running, orphaned.  Caught here, a signal waits for the loop and
	 * stops everything as it would later.  Before this point nothing is
	 * started and the default action is the clean stop.
	 */
	s.sigterm = evsignal_new(s.base, SIGTERM, serve_signal, &s);
	s.sigint = evsignal_new(s.base, SIGINT, serve_signal, &s);
	s.sighup = evsignal_new(s.base, SIGHUP, serve_sighup, &s);
	if (s.sigterm == NULL || s.sigint == NULL || s.sighup == NULL ||
	    evsignal_add(s.sigterm, NULL) == -1 ||
	    evsignal_add(s.sigint, NULL) == -1 ||
	    evsignal_add(s.sighup, NULL) == -1)
		fatalx("cannot catch SIGTERM, SIGINT and SIGHUP");

	/* What covers every route: made before the servers, whose muxes
	 * take the span hooks. */
	s.trace = trace_new(cfg->trace);
	s.spans = serve_trace_new(s.base, cfg);
	/*
	 * One server (cfg, or one named) is served on /mcp, /sse and
	 * /message, and its logs read as ever; several each on their own
	 * /servers/NAME/ only, their log lines named.  A named one is on
	 * /servers/NAME/ too.
	 */
	s.nservers = nnamed > 0 ? nnamed : 1;
	s.servers = xcalloc(s.nservers, sizeof *s.servers);
	s.named = nnamed > 1;
	for (i = 0; i < s.nservers; i++) {
		s.servers[i] = xcalloc(1, sizeof *s.servers[i]);
		serve_server_init(&s, s.servers[i], nnamed > 1 ?
		    named[i].name : NULL, nnamed > 0 ? named[i].name : NULL,
		    nnamed > 0 ? &named[i].cfg : cfg);
		s.servers[i]->fingerprint = nnamed > 0 ?
		    named[i].fingerprint : NULL;
	}
	/* Several servers: SIGHUP reads the file again. */
	if (s.named) {
		s.reload = reload;
		s.reload_arg = reload_arg;
	}
	/* Every server's --env values, for both traces: one exporter. */
	serve_trace_secrets(&s);

	if ((s.http = http_new(s.base, &cfg->http, nnamed <= 1 ?
	    s.servers[0]->mux : NULL, serve_pump, s.servers[0])) == NULL) {
		s.exit_status = EXIT_USAGE;
		goto out;
	}
	for (i = 0; i < nnamed; i++)
		http_add_endpoint(s.http, named[i].name, s.servers[i]->mux,
		    serve_pump, s.servers[i]);
	if (s.named) {
		/* /mcp, /sse and /message: all of them at once. */
		memset(&ac, 0, sizeof ac);
		ac.separator = cfg->tool_separator;
		ac.list_timeout_ms = cfg->aggregate_timeout_ms;
		ac.name = PACKAGE_NAME;
		ac.version = PACKAGE_VERSION;
		s.agg = agg_new(&ac);
		for (i = 0; i < s.nservers; i++)
			s.servers[i]->agg_index = agg_add_server(s.agg,
			    named[i].name, s.servers[i]->mux);
		http_add_endpoint_ops(s.http, NULL, &serve_agg_ops, &s,
		    serve_agg_pump, &s);
		if (s.spans != NULL)
			serve_trace_set_agg(s.spans, serve_agg_span_id, s.agg,
			    UINT_MAX);
	}
	for (i = 0; i < nnamed; i++)
		serve_endpoint_scopes(&s, &named[i], s.servers[i]);
	if (s.trace != NULL || s.spans != NULL) {
		http_each_token(s.http, serve_trace_token, &s);
		http_set_token_seen(s.http, serve_trace_oauth_token, &s);
	}
	http_set_stats(s.http, serve_stats, &s);
	http_set_status(s.http, serve_status, &s);
	if (s.spans != NULL)
		http_set_trace(s.http, serve_span_http, &s);
	if (http_listen(s.http) == -1) {
		s.exit_status = EXIT_OSERR;
		goto out;
	}
	if (cfg->noauth_issuers > 0 && serve_oauth_start(&s) == -1) {
		s.exit_status = EXIT_USAGE;
		goto out;
	}

	for (i = 0; i < s.nservers; i++) {
		if (serve_server_start(s.servers[i]) == -1) {
			s.exit_status = EXIT_UNAVAILABLE;
			goto out;
		}
	}
	http_print_urls(s.http);

	s.tick = event_new(s.base, -1, EV_PERSIST, serve_tick, &s);
	event_add(s.tick, &tv);
	s.wake = evtimer_new(s.base, serve_tick, &s);
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
	/* After http (which closes its sessions), before the muxes. */
	agg_free(s.agg);
	s.agg = NULL;
	serve_oauth_free(&s);
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
	free(s.pool_gauges);
	free(s.status_children);
	serve_trace_free(s.spans);
	trace_free(s.trace);
	/* Runs the late frees still queued, then frees the base. */
	event_base_loop(s.base, EVLOOP_NONBLOCK);
	log_set_base(NULL);
	event_base_free(s.base);
	return s.exit_status;
}
