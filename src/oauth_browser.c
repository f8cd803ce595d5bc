/* SPDX-License-Identifier: ISC */
/*
 * oauth_browser.c: the two ends of a sign-in that a person sees.
 *
 * The loopback listener: an evhttp on 127.0.0.1 that the authorization
 * server's redirect comes back to (RFC 8252 7.3).  It takes GET only, no
 * body, and its redirect URI goes into o->redirect_uri; what the redirect
 * says is oauth.c's (the callback given to oauth_browser_listen), which
 * answers with oauth_browser_reply.  Retired, it stops accepting at once
 * and is freed OAUTH_REAP_MS later, so that its last answer reaches the
 * browser.
 *
 * The browser: --oauth-open's command, else xdg-open, else open, run
 * without a shell with the authorization URL (which url_check_browser
 * has passed) as its last argument; the opener is reaped on SIGCHLD.
 *
 * Both live in struct oauth (http, bound, http_dead, reaper; opener,
 * sigchld); oauth.c makes and frees their events.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "log.h"
#include "oauth.h"
#include "oauth_int.h"
#include "xmalloc.h"

/* The listener outlives its last answer by this much. */
#define OAUTH_REAP_MS		1000
/* The request line and headers of one request to the listener, at most:
 * the redirect is a GET whose URL carries a code, our state, iss and
 * perhaps an error_description, sent with a browser's usual headers (and
 * any cookies it keeps for 127.0.0.1); 16 KiB holds that many times over
 * and bounds what any other local process can make us buffer. */
#define OAUTH_LISTEN_MAX_HEADERS	(16 * 1024)
/* A connection to the listener that stays silent this long is closed
 * (evhttp's per-connection inactivity timeout, in seconds): a browser
 * sends the redirect at once, so this only sheds idle and speculative
 * connections.  How long the person may take to sign in is
 * --oauth-timeout's, not this. */
#define OAUTH_LISTEN_TIMEOUT_S		30

extern char **environ;

/* ---- the loopback listener ---- */

/* Listens on 127.0.0.1:port (0: any); -1 if it cannot. */
int
oauth_browser_listen(struct oauth *o, int port,
    void (*cb)(struct evhttp_request *, void *))
{
	struct sockaddr_storage		 ss;
	struct sockaddr_in		*sin = (struct sockaddr_in *)&ss;
	socklen_t			 len = sizeof ss;

	if ((o->http = evhttp_new(o->base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_allowed_methods(o->http, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(o->http, OAUTH_LISTEN_MAX_HEADERS);
	evhttp_set_max_body_size(o->http, 0);
	evhttp_set_timeout(o->http, OAUTH_LISTEN_TIMEOUT_S);
	evhttp_set_gencb(o->http, cb, o);
	if ((o->bound = evhttp_bind_socket_with_handle(o->http, "127.0.0.1",
	    (ev_uint16_t)port)) == NULL) {
		evhttp_free(o->http);
		o->http = NULL;
		return -1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(o->bound),
	    (struct sockaddr *)&ss, &len) == -1)
		fatal("getsockname");
	o->port = ntohs(sin->sin_port);
	free(o->redirect_uri);
	xasprintf(&o->redirect_uri, "http://127.0.0.1:%d/callback", o->port);
	return 0;
}

void
oauth_browser_reply(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*b;

	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Connection", "close");
	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html><head><meta "
	    "charset=\"utf-8\"><title>mcpbridge</title></head>\n<body><p>%s"
	    "</p></body></html>\n", text);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* Stops accepting at once (the port is free again); the connections go a
 * little later. */
void
oauth_browser_retire(struct oauth *o)
{
	if (o->http == NULL)
		return;
	evhttp_del_accept_socket(o->http, o->bound);
	o->bound = NULL;
	if (o->http_dead != NULL)
		evhttp_free(o->http_dead);
	o->http_dead = o->http;
	o->http = NULL;
	oauth_set_timer(o->reaper, OAUTH_REAP_MS);
}

void
oauth_browser_reap(evutil_socket_t fd, short what, void *arg)
{
	struct oauth	*o = arg;

	if (o->http_dead != NULL) {
		evhttp_free(o->http_dead);
		o->http_dead = NULL;
	}
}

/* ---- the browser ---- */

static void
oauth_sigchld(evutil_socket_t fd, short what, void *arg)
{
	struct oauth	*o = arg;
	int		 st;
	pid_t		 pid;

	if (o->opener <= 0)
		return;
	while ((pid = waitpid(o->opener, &st, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (pid != o->opener)
		return;
	o->opener = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		log_debug("the browser opener is done");
	else
		log_warnx("the browser opener failed (%s %d); open the URL "
		    "yourself", WIFEXITED(st) ? "exit status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* Runs argv with the URL as its last argument, without a shell; stdout
 * (the local client's protocol) goes to /dev/null.  So does its stderr
 * with --log-format json, where a line of its own would be the one line
 * a collector cannot read; that it failed is logged (oauth_sigchld). */
static int
oauth_spawn(struct oauth *o, char **argv, const char *url)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, def;
	char				**args;
	size_t				 n, i;
	pid_t				 pid;
	int				 rv;

	for (n = 0; argv[n] != NULL; n++)
		;
	args = xcalloc(n + 2, sizeof *args);
	for (i = 0; i < n; i++)
		args[i] = argv[i];
	args[n] = (char *)url;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
	    O_WRONLY, 0);
	if (log_get_format() == LOG_FORMAT_JSON)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO,
		    "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGXFSZ);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	rv = posix_spawnp(&pid, args[0], &fa, &at, args, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free(args);
	if (rv != 0) {
		log_debug("cannot run %s: %s", argv[0], strerror(rv));
		return -1;
	}
	if (o->sigchld == NULL) {
		o->sigchld = evsignal_new(o->base, SIGCHLD, oauth_sigchld, o);
		evsignal_add(o->sigchld, NULL);
	}
	o->opener = pid;
	log_debug("opening the authorization URL with %s (pid %ld)", argv[0],
	    (long)pid);
	return 0;
}

void
oauth_browser_open(struct oauth *o, const char *url)
{
	char	*xdg[] = { "xdg-open", NULL }, *mac[] = { "open", NULL };

	if (o->open_none)
		return;
	if (o->opener > 0) {
		/* The last one still runs: leave it be. */
		oauth_sigchld(-1, 0, o);
	}
	if (o->open_argv != NULL) {
		if (oauth_spawn(o, o->open_argv, url) == -1)
			log_warnx("cannot run the --oauth-open command %s; "
			    "open the URL yourself", o->open_argv[0]);
		return;
	}
	if (oauth_spawn(o, xdg, url) == -1 && oauth_spawn(o, mac, url) == -1)
		log_warnx("found neither xdg-open nor open; open the URL "
		    "yourself");
}
