/* SPDX-License-Identifier: ISC */
/*
 * upstream.c: the MCP server behind the bridge, a child process on three
 * pipes or a socket, restarted (reconnected) with backoff.
 *
 * A child has independent ends: its stdout (and stderr) reaching EOF, and
 * waitpid.  It is gone only when all have happened; then the user hears
 * on_down (or on_stopped after upstream_stop).  The child runs in its own
 * process group and every signal goes to the whole group, so a `sh -c`
 * wrapper cannot leave its grandchildren behind.
 *
 * Callbacks into the user (ops) may call upstream_send and upstream_stop;
 * after on_down and on_stopped they may free the upstream, so each of those
 * is the last thing its caller does.  on_stopped is never called from
 * within upstream_stop itself; on_up for a spawned child is called from
 * within upstream_start (a connect reports from the loop).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <json-c/json.h>

#include "clock.h"
#include "framer.h"
#include "log.h"
#include "upstream.h"
#include "xmalloc.h"

/* A line of the child's stderr longer than this is cut in the log, and
 * marked " [cut]". */
#define UPSTREAM_STDERR_LINE_MAX	8192
/* --env values in the child's stderr lines (upstream_redact): the mark,
 * the shortest value looked for (as trace.h's TRACE_SECRET_MIN), and the
 * longest line made (a value of 4 bytes becomes 10). */
#define UPSTREAM_REDACTED		"[redacted]"
#define UPSTREAM_SECRET_MIN		4
#define UPSTREAM_REDACTED_MAX		(UPSTREAM_STDERR_LINE_MAX * 5 / 2)
/*
 * After the child is reaped and its group killed, how long its pipes may
 * stay open (held by a process that left the group) before we close them.
 */
#define UPSTREAM_EOF_GRACE_MS		1000
/* Longest connect string part we accept ("tcp:" host and port). */
#define UPSTREAM_HOST_MAX		256
#define UPSTREAM_CAUSE_MAX		256
/* "cannot run 'argv[0]' in 'cwd': reason", cut at this length. */
#define UPSTREAM_ERROR_MAX		512

enum upstream_state {
	UPSTREAM_IDLE,		/* never started */
	UPSTREAM_CONNECTING,	/* socket connect in progress */
	UPSTREAM_UP,		/* running or connected */
	UPSTREAM_DYING,		/* child going away on its own */
	UPSTREAM_BACKOFF,	/* restart timer armed */
	UPSTREAM_DOWN,		/* gone, no restart */
	UPSTREAM_STOPPING,	/* upstream_stop called, not finished */
	UPSTREAM_STOPPED,	/* on_stopped delivered or queued */
};

struct upstream_secret {
	const char	*v;
	size_t		 len;
};

struct upstream {
	struct event_base	*base;

	/* Our own copies of the config; freed in upstream_free. */
	char			**argv;
	char			**env;
	/* Its --env values, for the stderr it relays (upstream_redact):
	 * pointers into env. */
	struct upstream_secret	*secrets;
	size_t			 nsecrets;
	uint64_t		 secret_first[4];
	char			*cwd;
	char			*connect;
	int			(*dial)(void *, char *, size_t);
	const char		*(*why)(void *);
	void			*dial_arg;
	char			*tag;
	size_t			 max_message;
	size_t			 max_output;
	int			 kill_timeout_ms;
	enum upstream_restart	 restart;
	int			 backoff_min_ms;
	int			 backoff_max_ms;
	int			 backoff_reset_ms;

	struct upstream_ops	 ops;
	void			*arg;

	enum upstream_state	 state;
	int			 backoff_ms;	/* delay of the next restart */
	int			 delay_ms;	/* of the one armed, or -1 */
	uint64_t		 up_since_ms;

	/*
	 * The child.  pid is -1 when there is none; it is also the process
	 * group.  The three bufferevents own their pipe ends (CLOSE_ON_FREE)
	 * and are NULL once closed.
	 */
	pid_t			 pid;
	int			 reaped;
	int			 kill_stage;	/* 0: TERM next, 1: KILL */
	struct bufferevent	*bev_in;
	struct bufferevent	*bev_out;
	struct bufferevent	*bev_err;
	int			 in_closing;	/* close stdin once flushed */
	int			 out_full;	/* refusal already logged */
	/* A failed connect said at error level since the last success:
	 * the rest of the run of failures is only warned about. */
	int			 connect_told;
	int			 err_discarding;

	/* The socket, when connect is set; owns its descriptor. */
	struct bufferevent	*sock;

	struct framer		 framer;
	size_t			 in_pending;	/* input already counted */

	struct event		*ev_sigchld;
	struct event		*ev_restart;
	struct event		*ev_kill;	/* kill ladder; flush bound */
	struct event		*ev_grace;	/* pipes open after reaping */
	struct event		*ev_stopped;	/* deferred on_stopped */

	struct upstream_stats	 stats;
	/* Why the last spawn could not run the command; "" if it could. */
	char			 error[UPSTREAM_ERROR_MAX];
};

static int	upstream_spawn(struct upstream *);
static int	upstream_connect(struct upstream *);
static void	upstream_schedule(struct upstream *, int);
static int	upstream_put(struct upstream *, json_object *, const char *,
		    size_t);

/*
 * A line about the process: info, or debug when told (its owner's hook
 * says the same in its own words, so that an event is one line).
 */
static void __attribute__((format(printf, 2, 3)))
upstream_note(int told, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vlog(told ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, 0, fmt, ap);
	va_end(ap);
}

static void
upstream_msec(struct timeval *tv, int ms)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

static int64_t
upstream_elapsed_ms(uint64_t since_ms)
{
	return (int64_t)(clock_ms() - since_ms);
}

static char **
upstream_copy_vector(char *const *v)
{
	char	**copy;
	size_t	  i, n;

	if (v == NULL)
		return NULL;
	for (n = 0; v[n] != NULL; n++)
		;
	copy = xcalloc(n + 1, sizeof *copy);
	for (i = 0; i < n; i++)
		copy[i] = xstrdup(v[i]);
	return copy;
}

/* ---- messages in and out ---- */

static void
upstream_deliver(void *arg, json_object *msg)
{
	struct upstream	*u = arg;

	u->stats.messages_in++;
	if (u->ops.on_message != NULL)
		u->ops.on_message(u->arg, msg);
	else
		json_object_put(msg);
}

/* Frames what arrived on the child's stdout or the socket. */
static void
upstream_input(struct upstream *u, struct evbuffer *in, int eof)
{
	size_t	len;

	len = evbuffer_get_length(in);
	u->stats.bytes_in += len - u->in_pending;
	if (eof)
		framer_eof(&u->framer, in, upstream_deliver, u);
	else
		framer_drain(&u->framer, in, upstream_deliver, u);
	/* The callbacks above may have called upstream_stop, never free. */
	u->in_pending = evbuffer_get_length(in);
	u->stats.oversized = u->framer.oversized;
	u->stats.nonjson = u->framer.nonjson;
}

static struct bufferevent *
upstream_output(struct upstream *u)
{
	return u->connect != NULL ? u->sock : u->bev_in;
}

int
upstream_send(struct upstream *u, json_object *msg)
{
	return upstream_put(u, msg, NULL, 0);
}

int
upstream_send_text(struct upstream *u, const char *s, size_t len)
{
	return upstream_put(u, NULL, s, len);
}

/* msg, or else the len bytes at s, as one line to the child. */
static int
upstream_put(struct upstream *u, json_object *msg, const char *s, size_t len)
{
	struct bufferevent	*bev;
	struct evbuffer		*out;
	size_t			 before;

	if (u->state != UPSTREAM_UP || (bev = upstream_output(u)) == NULL)
		return -1;
	out = bufferevent_get_output(bev);
	before = evbuffer_get_length(out);
	if (before >= u->max_output) {
		/* Once per episode: a stuck child would flood the log. */
		if (!u->out_full)
			log_warnx("%s: output queue full (%zu bytes), "
			    "refusing messages", u->tag, before);
		u->out_full = 1;
		return -1;
	}
	u->out_full = 0;
	if (msg != NULL)
		framer_write(out, msg);
	else
		framer_write_text(out, s, len);
	u->stats.messages_out++;
	u->stats.bytes_out += evbuffer_get_length(out) - before;
	return 0;
}

/* ---- the child's stderr, relayed to the log ---- */

/*
 * The --env values looked for in the child's stderr (upstream_redact),
 * made once when the upstream is: those of UPSTREAM_SECRET_MIN bytes or
 * more (shorter ones would blank every digit), longest first, so that a
 * value that starts another does not leave the other's tail; and which
 * bytes one starts with, so that most bytes cost one look.
 */
static int
upstream_secret_cmp(const void *a, const void *b)
{
	const struct upstream_secret	*x = a, *y = b;

	return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

static void
upstream_secrets_init(struct upstream *u)
{
	const char	*v;
	size_t		 n = 0, len;
	char		**e;

	for (e = u->env; e != NULL && *e != NULL; e++)
		n++;
	if (n == 0)
		return;
	u->secrets = xcalloc(n, sizeof *u->secrets);
	for (e = u->env; *e != NULL; e++) {
		if ((v = strchr(*e, '=')) == NULL ||
		    (len = strlen(++v)) < UPSTREAM_SECRET_MIN)
			continue;
		u->secrets[u->nsecrets].v = v;
		u->secrets[u->nsecrets++].len = len;
		u->secret_first[(unsigned char)*v / 64] |=
		    (uint64_t)1 << ((unsigned char)*v % 64);
	}
	qsort(u->secrets, u->nsecrets, sizeof *u->secrets,
	    upstream_secret_cmp);
}

/* The length of the longest --env value at p (len bytes there), or 0. */
static size_t
upstream_secret_at(const struct upstream *u, const char *p, size_t len)
{
	unsigned char	c = (unsigned char)*p;
	size_t		i;

	if (!(u->secret_first[c / 64] & ((uint64_t)1 << (c % 64))))
		return 0;
	for (i = 0; i < u->nsecrets; i++)
		if (u->secrets[i].len <= len &&
		    memcmp(p, u->secrets[i].v, u->secrets[i].len) == 0)
			return u->secrets[i].len;
	return 0;
}

/*
 * The line with every --env value in it replaced by UPSTREAM_REDACTED,
 * into out (UPSTREAM_REDACTED_MAX bytes, cut there); returns its length.
 * The child was given those values (its keys, often) and may print its
 * configuration; they never reach a log line (the trace redacts them
 * too).  cut: the line went on past len, so its end may be the start of
 * a value: that much of it is not shown either.
 */
static size_t
upstream_redact(const struct upstream *u, const char *p, size_t len,
    int cut, char *out)
{
	const char	*mark = UPSTREAM_REDACTED;
	size_t		 i = 0, n = 0, vlen, mlen = strlen(mark), k, j;

	if (cut) {
		for (j = 0; j < u->nsecrets; j++) {
			for (k = u->secrets[j].len - 1; k > 0; k--)
				if (k <= len && memcmp(p + len - k,
				    u->secrets[j].v, k) == 0)
					break;
			len -= k;
		}
	}
	while (i < len && n < UPSTREAM_REDACTED_MAX) {
		if ((vlen = upstream_secret_at(u, p + i, len - i)) == 0) {
			out[n++] = p[i++];
			continue;
		}
		k = mlen < UPSTREAM_REDACTED_MAX - n ? mlen :
		    UPSTREAM_REDACTED_MAX - n;
		memcpy(out + n, mark, k);
		n += k;
		i += vlen;
	}
	return n;
}

/* The first len bytes of a line of the child's stderr to the log; cut:
 * the line went on. */
static void
upstream_relay(struct upstream *u, const unsigned char *p, size_t len,
    int cut)
{
	static const char	 mark[] = " [cut]";
	char			 out[UPSTREAM_REDACTED_MAX + sizeof mark];

	if (!cut && len > 0 && p[len - 1] == '\r')
		len--;
	if (len > UPSTREAM_STDERR_LINE_MAX) {
		len = UPSTREAM_STDERR_LINE_MAX;
		cut = 1;
	}
	if (len == 0)
		return;
	if (u->nsecrets > 0)
		len = upstream_redact(u, (const char *)p, len, cut, out);
	else
		memcpy(out, p, len);
	/* Said, so that nobody takes the line for all the child wrote. */
	if (cut) {
		memcpy(out + len, mark, sizeof mark - 1);
		len += sizeof mark - 1;
	}
	log_relay(LOG_LEVEL_INFO, u->tag, out, len);
}

static void
upstream_stderr_lines(struct upstream *u, struct evbuffer *in, int eof)
{
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len, want;
	unsigned char		*p;

	for (;;) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1)
			break;
		len = (size_t)eol.pos;
		if (u->err_discarding)
			u->err_discarding = 0;
		else {
			/* Only the part we log needs to be contiguous. */
			want = len > UPSTREAM_STDERR_LINE_MAX ?
			    UPSTREAM_STDERR_LINE_MAX : len;
			p = evbuffer_pullup(in, (ev_ssize_t)want);
			if (p == NULL && want > 0)
				fatalx("evbuffer_pullup");
			upstream_relay(u, p, want, want < len);
		}
		evbuffer_drain(in, len + eol_len);
	}

	/* A partial line: keep it, unless it is already over the cap (log
	 * its start now, drop the rest as it comes) or this is the end. */
	len = evbuffer_get_length(in);
	if (u->err_discarding) {
		evbuffer_drain(in, len);
		return;
	}
	if (len > UPSTREAM_STDERR_LINE_MAX || (eof && len > 0)) {
		want = len > UPSTREAM_STDERR_LINE_MAX ?
		    UPSTREAM_STDERR_LINE_MAX : len;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)want)) == NULL)
			fatalx("evbuffer_pullup");
		upstream_relay(u, p, want, len > UPSTREAM_STDERR_LINE_MAX);
		evbuffer_drain(in, len);
		u->err_discarding = !eof;
	}
}

/* ---- the child's end ---- */

/* The name of a signal that ends processes, for log lines; NULL if it is
 * none of the usual ones. */
static const char *
upstream_signal_name(int sig)
{
	static const struct {
		int		 sig;
		const char	*name;
	} names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" },
		{ SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
		{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
		{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" },
		{ SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" },
		{ SIGTERM, "SIGTERM" }, { SIGXCPU, "SIGXCPU" },
		{ SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" },
	};
	size_t	i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (names[i].sig == sig)
			return names[i].name;
	}
	return NULL;
}

/* What happened to the child, to follow its name in a sentence: "child
 * killed by signal 11 (SIGSEGV)". */
static void
upstream_format_cause(char *buf, size_t size, int status)
{
	const char	*name;

	if (status == -1)
		snprintf(buf, size, "exited (status unknown)");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		name = upstream_signal_name(WTERMSIG(status));
		snprintf(buf, size, "killed by signal %d%s%s%s%s",
		    WTERMSIG(status), name != NULL ? " (" : "",
		    name != NULL ? name : "", name != NULL ? ")" : "",
		    WCOREDUMP(status) ? ", core dumped" : "");
	} else
		snprintf(buf, size, "ended with wait status %d", status);
}

static int
upstream_will_restart(struct upstream *u, int status)
{
	switch (u->restart) {
	case UPSTREAM_RESTART_ALWAYS:
		return 1;
	case UPSTREAM_RESTART_ON_FAILURE:
		return !(status != -1 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0);
	case UPSTREAM_RESTART_NO:
		break;
	}
	return 0;
}

static void
upstream_close_stdin(struct upstream *u)
{
	if (u->bev_in == NULL)
		return;
	if (evbuffer_get_length(bufferevent_get_output(u->bev_in)) == 0) {
		bufferevent_free(u->bev_in);
		u->bev_in = NULL;
		u->in_closing = 0;
	} else
		u->in_closing = 1;	/* see upstream_stdin_write */
}

/* Starts the SIGTERM, SIGKILL ladder unless it is running already. */
static void
upstream_arm_kill(struct upstream *u)
{
	struct timeval	tv;

	if (u->reaped || evtimer_pending(u->ev_kill, NULL))
		return;
	u->kill_stage = 0;
	upstream_msec(&tv, u->kill_timeout_ms);
	evtimer_add(u->ev_kill, &tv);
}

/*
 * Called whenever one end of the child closes.  When all have, the child
 * is gone: tell the user, last.  Returns 1 if it did (u may be freed).
 */
static int
upstream_child_check(struct upstream *u)
{
	char			 cause[UPSTREAM_CAUSE_MAX];
	enum upstream_state	 state = u->state;
	int			 will_restart;
	void			(*on_stopped)(void *);

	if (!u->reaped || u->bev_out != NULL || u->bev_err != NULL)
		return 0;

	if (u->bev_in != NULL) {
		bufferevent_free(u->bev_in);
		u->bev_in = NULL;
	}
	u->in_closing = 0;
	evtimer_del(u->ev_kill);
	evtimer_del(u->ev_grace);
	u->pid = -1;
	upstream_format_cause(cause, sizeof cause, u->stats.last_status);

	if (state == UPSTREAM_STOPPING) {
		log_info("%s stopped (%s)", u->tag, cause);
		u->state = UPSTREAM_STOPPED;
		if ((on_stopped = u->ops.on_stopped) != NULL)
			on_stopped(u->arg);
		return 1;
	}

	will_restart = upstream_will_restart(u, u->stats.last_status);
	if (will_restart &&
	    upstream_elapsed_ms(u->up_since_ms) >= u->backoff_reset_ms)
		u->backoff_ms = u->backoff_min_ms;
	/* on_down's owner says it, as loud as it sees fit, with the
	 * delay: one line for the event.  Without one, info. */
	upstream_note(u->ops.on_down != NULL, "%s %s", u->tag, cause);
	if (will_restart)
		upstream_schedule(u, u->ops.on_down != NULL);
	else
		u->state = UPSTREAM_DOWN;
	if (u->ops.on_down != NULL)
		u->ops.on_down(u->arg, cause, will_restart);
	return 1;
}

/*
 * The child has exited.  Kill what is left of its group while the zombie
 * still holds the group id (so the id cannot be reused under us), then reap.
 */
static void
upstream_reap(struct upstream *u)
{
	siginfo_t	si;
	int		status;
	pid_t		r;
	struct timeval	tv;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)u->pid, &si, WEXITED|WNOHANG|WNOWAIT) == -1) {
		if (errno == EINTR)
			return;		/* the next SIGCHLD retries */
		/* ECHILD: someone else reaped it; the status is lost. */
		log_warn("%s: waitid %ld", u->tag, (long)u->pid);
		status = -1;
	} else if (si.si_pid != u->pid)
		return;			/* still running */
	else {
		if (kill(-u->pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("%s: kill process group %ld", u->tag,
			    (long)u->pid);
		do
			r = waitpid(u->pid, &status, 0);
		while (r == -1 && errno == EINTR);
		if (r == -1) {
			log_warn("%s: waitpid %ld", u->tag, (long)u->pid);
			status = -1;
		}
	}

	u->reaped = 1;
	u->stats.last_status = status;
	evsignal_del(u->ev_sigchld);
	evtimer_del(u->ev_kill);
	if (u->state == UPSTREAM_UP)
		u->state = UPSTREAM_DYING;
	if (u->bev_out != NULL || u->bev_err != NULL) {
		upstream_msec(&tv, UPSTREAM_EOF_GRACE_MS);
		evtimer_add(u->ev_grace, &tv);
	}
}

static void
upstream_sigchld(evutil_socket_t sig, short events, void *arg)
{
	struct upstream	*u = arg;

	/* Every upstream sees every SIGCHLD: look only at our own pid. */
	if (u->pid == -1 || u->reaped)
		return;
	upstream_reap(u);
	if (u->reaped)
		upstream_child_check(u);
}

static void
upstream_kill(evutil_socket_t fd, short events, void *arg)
{
	struct upstream	*u = arg;
	struct timeval	 tv;

	if (u->connect != NULL) {
		/* A socket that would not flush on stop: give up on it. */
		if (u->sock != NULL) {
			bufferevent_free(u->sock);
			u->sock = NULL;
		}
		event_active(u->ev_stopped, 0, 0);
		return;
	}
	if (u->pid == -1 || u->reaped)
		return;
	if (u->kill_stage == 0) {
		if (u->state == UPSTREAM_DYING)
			log_warnx("%s: closed its stdout but is still running; "
			    "sending SIGTERM", u->tag);
		else
			log_info("%s: sending SIGTERM to process group %ld",
			    u->tag, (long)u->pid);
		if (kill(-u->pid, SIGTERM) == -1 && errno != ESRCH)
			log_warn("%s: kill", u->tag);
		u->kill_stage = 1;
		upstream_msec(&tv, u->kill_timeout_ms);
		evtimer_add(u->ev_kill, &tv);
	} else {
		log_warnx("%s: still running %d ms after SIGTERM, sending "
		    "SIGKILL", u->tag, u->kill_timeout_ms);
		if (kill(-u->pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("%s: kill", u->tag);
	}
}

/* Reaped, but a pipe is still held open by someone: stop waiting. */
static void
upstream_grace(evutil_socket_t fd, short events, void *arg)
{
	struct upstream	*u = arg;

	log_warnx("%s: output still open after exit; closing it", u->tag);
	if (u->bev_err != NULL) {
		upstream_stderr_lines(u, bufferevent_get_input(u->bev_err), 1);
		bufferevent_free(u->bev_err);
		u->bev_err = NULL;
	}
	if (u->bev_out != NULL) {
		upstream_input(u, bufferevent_get_input(u->bev_out), 1);
		bufferevent_free(u->bev_out);
		u->bev_out = NULL;
	}
	upstream_child_check(u);
}

static void
upstream_stdout_read(struct bufferevent *bev, void *arg)
{
	struct upstream	*u = arg;

	upstream_input(u, bufferevent_get_input(bev), 0);
}

static void
upstream_stdout_event(struct bufferevent *bev, short what, void *arg)
{
	struct upstream	*u = arg;

	if (what & BEV_EVENT_ERROR)
		log_warn("%s: reading stdout", u->tag);
	upstream_input(u, bufferevent_get_input(bev), 1);
	bufferevent_free(u->bev_out);
	u->bev_out = NULL;

	/* Usually it has exited and SIGCHLD is still on its way. */
	if (!u->reaped)
		upstream_reap(u);
	if (!u->reaped && u->state == UPSTREAM_UP) {
		/* It cannot talk to us any more: ask it to go. */
		log_debug("%s: stdout closed while running", u->tag);
		u->state = UPSTREAM_DYING;
		upstream_close_stdin(u);
		upstream_arm_kill(u);
	}
	upstream_child_check(u);
}

static void
upstream_stderr_read(struct bufferevent *bev, void *arg)
{
	struct upstream	*u = arg;

	upstream_stderr_lines(u, bufferevent_get_input(bev), 0);
}

static void
upstream_stderr_event(struct bufferevent *bev, short what, void *arg)
{
	struct upstream	*u = arg;

	upstream_stderr_lines(u, bufferevent_get_input(bev), 1);
	bufferevent_free(u->bev_err);
	u->bev_err = NULL;
	upstream_child_check(u);
}

static void
upstream_stdin_write(struct bufferevent *bev, void *arg)
{
	struct upstream	*u = arg;

	/* Called when the output has drained: finish a deferred close. */
	if (u->in_closing) {
		bufferevent_free(u->bev_in);
		u->bev_in = NULL;
		u->in_closing = 0;
	}
}

static void
upstream_stdin_event(struct bufferevent *bev, short what, void *arg)
{
	struct upstream	*u = arg;

	/* EPIPE: it closed its stdin or died; its exit is handled elsewhere. */
	log_debug("%s: stdin closed (%s)", u->tag,
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	bufferevent_free(u->bev_in);
	u->bev_in = NULL;
	u->in_closing = 0;
}

/* ---- spawning ---- */

/*
 * What went wrong between fork and exec, sent to the parent on the status
 * pipe.  The pipe is close-on-exec: a successful exec closes it and the
 * parent reads EOF; a failure writes this first.  So upstream_start knows
 * whether the command runs before it says the child is up.
 */
enum upstream_exec_stage {
	UPSTREAM_EXEC_SETUP,		/* fcntl, dup2: our plumbing */
	UPSTREAM_EXEC_ENV,		/* putenv of env[index] */
	UPSTREAM_EXEC_CWD,		/* chdir to the configured cwd */
	UPSTREAM_EXEC_EXEC,		/* execvp of argv[0] */
};

struct upstream_exec_report {
	int	stage;
	int	error;			/* errno */
	int	index;			/* env entry, for UPSTREAM_EXEC_ENV */
};

/* In the child, the status pipe's write end; fd 3 once the fds are set. */
static int upstream_status_fd = -1;

/* In the child: tell the parent what failed, and give up. */
static void __attribute__((noreturn))
upstream_child_fail(enum upstream_exec_stage stage, int index)
{
	struct upstream_exec_report	r;

	memset(&r, 0, sizeof r);
	r.stage = stage;
	r.error = errno;
	r.index = index;
	/* A short or failed write reads as a failure the parent cannot
	 * name: nobody else to tell. */
	(void)!write(upstream_status_fd, &r, sizeof r);
	_exit(127);
}

/*
 * In the child, between fork and exec.  All signals are blocked (see
 * upstream_spawn) so no handler of ours runs here; the event loop is the
 * parent's and is not touched.
 */
static void __attribute__((noreturn))
upstream_child(struct upstream *u, int fd_in, int fd_out, int fd_err,
    int fd_status)
{
	struct sigaction	 sa;
	sigset_t		 none;
	int			 fds[3] = { fd_in, fd_out, fd_err };
	int			 i;
	char			**e;

	upstream_status_fd = fd_status;

	/* Its own group, so that we can signal everything it starts. */
	setpgid(0, 0);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 1; i < NSIG; i++)
		(void)sigaction(i, &sa, NULL);	/* EINVAL for some: fine */

	/* Move our ends clear of 0-3 first, then into place; dup2 clears
	 * close-on-exec on the copies, which the status pipe must keep. */
	if (upstream_status_fd < 4 && (upstream_status_fd =
	    fcntl(upstream_status_fd, F_DUPFD_CLOEXEC, 4)) == -1)
		_exit(127);	/* nobody to tell */
	for (i = 0; i < 3; i++) {
		if (fds[i] < 4 &&
		    (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 4)) == -1)
			upstream_child_fail(UPSTREAM_EXEC_SETUP, 0);
	}
	for (i = 0; i < 3; i++) {
		if (dup2(fds[i], i) == -1)
			upstream_child_fail(UPSTREAM_EXEC_SETUP, 0);
	}
	if (dup2(upstream_status_fd, 3) == -1 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		upstream_child_fail(UPSTREAM_EXEC_SETUP, 0);
	upstream_status_fd = 3;
	closefrom(4);

	for (e = u->env; e != NULL && *e != NULL; e++) {
		if (putenv(*e) != 0)
			upstream_child_fail(UPSTREAM_EXEC_ENV, (int)(e - u->env));
	}
	if (u->cwd != NULL && chdir(u->cwd) == -1)
		upstream_child_fail(UPSTREAM_EXEC_CWD, 0);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(u->argv[0], u->argv);
	upstream_child_fail(UPSTREAM_EXEC_EXEC, 0);
}

/*
 * In the parent: waits for the child's exec (EOF on the status pipe) or
 * its report.  The wait is as long as a fork-to-exec, as posix_spawn's.
 * 0 if the command runs; -1 with the reason logged at error level: a
 * command that cannot run is no crash to restart through in silence.
 */
static int
upstream_exec_status(struct upstream *u, int fd)
{
	struct upstream_exec_report	 r;
	const char			*env;
	ssize_t				 n;
	size_t				 got = 0;

	while (got < sizeof r) {
		n = read(fd, (char *)&r + got, sizeof r - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == 0) {
		u->error[0] = '\0';
		return 0;
	}
	if (got != sizeof r)
		snprintf(u->error, sizeof u->error, "cannot run '%s': it "
		    "failed before exec", u->argv[0]);
	else if (r.stage == UPSTREAM_EXEC_CWD)
		snprintf(u->error, sizeof u->error, "cannot run '%s' in "
		    "'%s': %s", u->argv[0], u->cwd, strerror(r.error));
	else if (r.stage == UPSTREAM_EXEC_ENV) {
		/* The name only: the value may be the user's secret. */
		env = u->env[r.index];
		snprintf(u->error, sizeof u->error, "cannot run '%s': cannot "
		    "set %.*s: %s", u->argv[0], (int)strcspn(env, "="), env,
		    strerror(r.error));
	} else if (r.stage == UPSTREAM_EXEC_EXEC)
		snprintf(u->error, sizeof u->error, "cannot run '%s': %s",
		    u->argv[0], strerror(r.error));
	else
		snprintf(u->error, sizeof u->error, "cannot run '%s': setting "
		    "up its descriptors: %s", u->argv[0], strerror(r.error));
	log_error("%s: %s", u->tag, u->error);
	return -1;
}

static struct bufferevent *
upstream_pipe_bev(struct upstream *u, int fd)
{
	struct bufferevent	*bev;

	if (evutil_make_socket_nonblocking(fd) == -1)
		fatal("fcntl O_NONBLOCK");
	bev = bufferevent_socket_new(u->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("bufferevent_socket_new");
	return bev;
}

static void
upstream_close_pair(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	p[0] = p[1] = -1;
}

/*
 * Forks and execs the command.  -1 with a log line if we could not, or if
 * the command cannot run (upstream_exec_status).
 */
static int
upstream_spawn(struct upstream *u)
{
	int		 p_in[2] = { -1, -1 }, p_out[2] = { -1, -1 };
	int		 p_err[2] = { -1, -1 }, p_status[2] = { -1, -1 };
	sigset_t	 all, saved;
	pid_t		 pid;
	int		 status;

	/* This attempt's reason only (upstream_exec_status sets it). */
	u->error[0] = '\0';
	if (pipe2(p_in, O_CLOEXEC) == -1 || pipe2(p_out, O_CLOEXEC) == -1 ||
	    pipe2(p_err, O_CLOEXEC) == -1 ||
	    pipe2(p_status, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", u->tag);
		goto fail;
	}
	/* Before the fork: a SIGCHLD must never find nobody listening. */
	if (evsignal_add(u->ev_sigchld, NULL) == -1) {
		log_warnx("%s: cannot watch SIGCHLD", u->tag);
		goto fail;
	}

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &saved);
	pid = fork();
	if (pid == 0)
		upstream_child(u, p_in[0], p_out[1], p_err[1], p_status[1]);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (pid == -1) {
		log_warn("%s: fork", u->tag);
		evsignal_del(u->ev_sigchld);
		goto fail;
	}
	/* Also here, so that kill(-pid) works before the child has run;
	 * EACCES once it has exec'd is fine, it did it itself. */
	(void)setpgid(pid, pid);

	close(p_status[1]);
	p_status[1] = -1;
	if (upstream_exec_status(u, p_status[0]) == -1) {
		/* It has exited or is about to: reap it here, so that the
		 * SIGCHLD finds nothing of ours. */
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		evsignal_del(u->ev_sigchld);
		goto fail;
	}
	upstream_close_pair(p_status);

	close(p_in[0]);
	close(p_out[1]);
	close(p_err[1]);

	u->pid = pid;
	u->reaped = 0;
	u->kill_stage = 0;
	u->in_closing = 0;
	u->out_full = 0;
	u->err_discarding = 0;
	u->framer.discarding = 0;
	u->in_pending = 0;

	u->bev_in = upstream_pipe_bev(u, p_in[1]);
	bufferevent_setcb(u->bev_in, NULL, upstream_stdin_write,
	    upstream_stdin_event, u);
	bufferevent_enable(u->bev_in, EV_WRITE);
	u->bev_out = upstream_pipe_bev(u, p_out[0]);
	bufferevent_setcb(u->bev_out, upstream_stdout_read, NULL,
	    upstream_stdout_event, u);
	bufferevent_enable(u->bev_out, EV_READ);
	u->bev_err = upstream_pipe_bev(u, p_err[0]);
	bufferevent_setcb(u->bev_err, upstream_stderr_read, NULL,
	    upstream_stderr_event, u);
	bufferevent_enable(u->bev_err, EV_READ);

	u->state = UPSTREAM_UP;
	u->up_since_ms = clock_ms();
	u->stats.starts++;
	/* The owner's on_up says so, in its words. */
	upstream_note(u->ops.on_up != NULL, "%s: started %s (pid %ld)", u->tag,
	    u->argv[0], (long)pid);
	return 0;

fail:
	/* Nothing was handed to a bufferevent yet: close all we opened. */
	upstream_close_pair(p_in);
	upstream_close_pair(p_out);
	upstream_close_pair(p_err);
	upstream_close_pair(p_status);
	return -1;
}

/* ---- the socket ---- */

/* Called when the connection is gone, or could not be made. */
static void
upstream_sock_down(struct upstream *u, const char *cause)
{
	int	was_up = u->state == UPSTREAM_UP;
	int	will_restart;

	if (u->sock != NULL) {
		upstream_input(u, bufferevent_get_input(u->sock), 1);
		bufferevent_free(u->sock);
		u->sock = NULL;
	}
	if (u->state == UPSTREAM_STOPPING) {
		event_active(u->ev_stopped, 0, 0);
		return;
	}
	if (!was_up) {
		/* A failed attempt: retried whatever the policy says.  The
		 * first is an error, so that even -qq shows why nothing is
		 * served; the next ones are warnings. */
		if (!u->connect_told)
			log_error("%s: connect to %s: %s; trying again with "
			    "backoff until it answers", u->tag, u->connect,
			    cause);
		else
			log_warnx("%s: connect to %s: %s", u->tag, u->connect,
			    cause);
		u->connect_told = 1;
		upstream_schedule(u, 0);
		return;
	}

	will_restart = u->restart != UPSTREAM_RESTART_NO;
	if (will_restart &&
	    upstream_elapsed_ms(u->up_since_ms) >= u->backoff_reset_ms)
		u->backoff_ms = u->backoff_min_ms;
	upstream_note(u->ops.on_down != NULL, "%s: %s", u->tag, cause);
	if (will_restart)
		upstream_schedule(u, u->ops.on_down != NULL);
	else
		u->state = UPSTREAM_DOWN;
	if (u->ops.on_down != NULL)
		u->ops.on_down(u->arg, cause, will_restart);
}

static void
upstream_sock_read(struct bufferevent *bev, void *arg)
{
	struct upstream	*u = arg;

	upstream_input(u, bufferevent_get_input(bev), 0);
}

static void
upstream_sock_write(struct bufferevent *bev, void *arg)
{
	struct upstream	*u = arg;

	/* Stopping and flushed: now it may close. */
	if (u->state == UPSTREAM_STOPPING) {
		evtimer_del(u->ev_kill);
		event_active(u->ev_stopped, 0, 0);
	}
}

static void
upstream_sock_event(struct bufferevent *bev, short what, void *arg)
{
	struct upstream	*u = arg;
	char		 cause[UPSTREAM_CAUSE_MAX];
	int		 restart;

	if (what & BEV_EVENT_CONNECTED) {
		restart = u->stats.starts > 0;
		u->state = UPSTREAM_UP;
		u->up_since_ms = clock_ms();
		u->stats.starts++;
		if (restart)
			u->stats.restarts++;
		u->in_pending = 0;
		u->out_full = 0;
		u->framer.discarding = 0;
		bufferevent_enable(bev, EV_READ);
		u->connect_told = 0;
		/* A dialled socket is the caller's, who says what it is. */
		if (u->dial != NULL)
			log_debug("%s: dialled %s", u->tag, u->connect);
		else
			log_info("%s: connected to %s", u->tag, u->connect);
		if (u->ops.on_up != NULL)
			u->ops.on_up(u->arg);
		return;
	}
	if ((what & BEV_EVENT_EOF) && u->why != NULL &&
	    u->why(u->dial_arg) != NULL)
		snprintf(cause, sizeof cause, "%s", u->why(u->dial_arg));
	else if (what & BEV_EVENT_EOF)
		snprintf(cause, sizeof cause, "connection closed");
	else
		snprintf(cause, sizeof cause, "connection error: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	upstream_sock_down(u, cause);
}

/* Splits "HOST:PORT" (HOST may be "[v6]") into the two buffers. */
static int
upstream_split_hostport(const char *s, char *host, size_t hsize, char *port,
    size_t psize)
{
	const char	*colon, *h = s;
	size_t		 hlen;

	if ((colon = strrchr(s, ':')) == NULL || colon[1] == '\0')
		return -1;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= hsize || strlen(colon + 1) >= psize)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	return 0;
}

/*
 * Starts a connect attempt.  -1 only if the connect string is wrong; a
 * refused or failed attempt schedules the next one.  Name lookup is
 * getaddrinfo, which blocks: fine for a name given once in the config.
 */
static int
upstream_connect(struct upstream *u)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	*sun;
	struct addrinfo		 hints, *res = NULL;
	socklen_t		 len;
	size_t			 plen;
	char			 host[UPSTREAM_HOST_MAX], port[32];
	int			 fd = -1, error;

	memset(&ss, 0, sizeof ss);
	if (u->dial != NULL) {
		u->state = UPSTREAM_CONNECTING;
		if ((fd = u->dial(u->dial_arg, host, sizeof host)) == -1) {
			upstream_sock_down(u, host);
			return 0;
		}
		goto dialled;
	}
	if (strncmp(u->connect, "unix:", 5) == 0) {
		sun = (struct sockaddr_un *)&ss;
		sun->sun_family = AF_UNIX;
		plen = strlen(u->connect + 5);
		if (plen == 0 || plen >= sizeof sun->sun_path) {
			log_warnx("%s: bad socket path: %s", u->tag,
			    u->connect);
			return -1;
		}
		memcpy(sun->sun_path, u->connect + 5, plen + 1);
		len = sizeof *sun;
	} else if (strncmp(u->connect, "tcp:", 4) == 0) {
		if (upstream_split_hostport(u->connect + 4, host, sizeof host,
		    port, sizeof port) == -1) {
			log_warnx("%s: bad address (want tcp:HOST:PORT): %s",
			    u->tag, u->connect);
			return -1;
		}
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		if ((error = getaddrinfo(host, port, &hints, &res)) != 0) {
			log_warnx("%s: %s: %s", u->tag, u->connect,
			    gai_strerror(error));
			/* DNS may come back: not a config error. */
			u->state = UPSTREAM_CONNECTING;
			upstream_sock_down(u, "name lookup failed");
			return 0;
		}
		memcpy(&ss, res->ai_addr, res->ai_addrlen);
		len = res->ai_addrlen;
		freeaddrinfo(res);
	} else {
		log_warnx("%s: bad connect address (want unix:PATH or "
		    "tcp:HOST:PORT): %s", u->tag, u->connect);
		return -1;
	}

	u->state = UPSTREAM_CONNECTING;
	/* Flags after socket(): SOCK_NONBLOCK and SOCK_CLOEXEC are not
	 * everywhere, and no other thread forks meanwhile. */
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd == -1 || evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1) {
		error = errno;
		log_warn("%s: socket", u->tag);
		if (fd != -1)
			close(fd);
		upstream_sock_down(u, strerror(error));
		return 0;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		error = errno;
		close(fd);
		upstream_sock_down(u, strerror(error));
		return 0;
	}
dialled:
	/* Connected or in progress: libevent reports BEV_EVENT_CONNECTED
	 * once the socket is writable, from the loop, never from here. */
	u->sock = bufferevent_socket_new(u->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (u->sock == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(u->sock, upstream_sock_read, upstream_sock_write,
	    upstream_sock_event, u);
	if (bufferevent_socket_connect(u->sock, NULL, 0) == -1) {
		/* Not reached for an fd already set; treat as a failure. */
		bufferevent_free(u->sock);
		u->sock = NULL;
		upstream_sock_down(u, "connect failed");
	}
	return 0;
}

/* ---- restarts ---- */

/* Arms the restart timer with the current delay and doubles it.  told:
 * on_down's owner logs the delay (upstream_restart_delay), so this line
 * is for debugging only. */
static void
upstream_schedule(struct upstream *u, int told)
{
	struct timeval	 tv;
	const char	*what;
	int		 delay = u->backoff_ms;

	u->state = UPSTREAM_BACKOFF;
	u->delay_ms = delay;
	u->backoff_ms = delay > u->backoff_max_ms / 2 ? u->backoff_max_ms :
	    delay * 2;
	what = u->connect != NULL ? "reconnecting" : "restarting";
	upstream_note(told, "%s: %s in %d ms", u->tag, what, delay);
	/* From now, not from when this loop turn began. */
	event_base_update_cache_time(u->base);
	upstream_msec(&tv, delay);
	evtimer_add(u->ev_restart, &tv);
}

static void
upstream_restart(evutil_socket_t fd, short events, void *arg)
{
	struct upstream	*u = arg;

	if (u->state != UPSTREAM_BACKOFF)
		return;
	if (u->connect != NULL) {
		if (upstream_connect(u) == -1)
			upstream_schedule(u, 0);
		return;
	}
	/* The owner's on_up says it came up again (upstream_stats). */
	upstream_note(u->ops.on_up != NULL, "%s: restarting (restart %llu)",
	    u->tag, (unsigned long long)u->stats.restarts + 1);
	if (upstream_spawn(u) == -1) {
		/* fork or pipe failed (EMFILE, EAGAIN), or the command cannot
		 * run (it may be back when an upgrade is done): try again
		 * later.  The user learns the latter at once: whoever waits
		 * for the child need not wait in vain. */
		upstream_schedule(u, 0);
		if (u->error[0] != '\0' && u->ops.on_spawn_failed != NULL)
			u->ops.on_spawn_failed(u->arg, u->error);
		return;
	}
	u->stats.restarts++;
	if (u->ops.on_up != NULL)
		u->ops.on_up(u->arg);
}

/* ---- life cycle ---- */

void
upstream_healthy(struct upstream *u)
{
	/* It works: whatever ends it now is no crash loop, so the next
	 * restart is the quickest one.  Only those that die before this
	 * back off further. */
	u->backoff_ms = u->backoff_min_ms;
}

static void
upstream_stopped(evutil_socket_t fd, short events, void *arg)
{
	struct upstream	*u = arg;

	if (u->sock != NULL) {
		bufferevent_free(u->sock);
		u->sock = NULL;
	}
	evtimer_del(u->ev_kill);
	evtimer_del(u->ev_restart);
	u->state = UPSTREAM_STOPPED;
	if (u->ops.on_stopped != NULL)
		u->ops.on_stopped(u->arg);
}

struct upstream *
upstream_new(struct event_base *base, const struct upstream_config *config,
    const struct upstream_ops *ops, void *arg)
{
	struct upstream	*u;

	u = xcalloc(1, sizeof *u);
	u->base = base;
	u->argv = upstream_copy_vector(config->argv);
	u->env = upstream_copy_vector(config->env);
	upstream_secrets_init(u);
	u->cwd = config->cwd != NULL ? xstrdup(config->cwd) : NULL;
	u->connect = config->connect != NULL ? xstrdup(config->connect) : NULL;
	u->dial = config->dial;
	u->why = config->why;
	u->dial_arg = config->dial_arg;
	u->tag = xstrdup(config->tag != NULL ? config->tag : "upstream");

	/* 0 means the default, for every limit. */
	u->max_message = config->max_message != 0 ? config->max_message :
	    UPSTREAM_DEFAULT_MAX_MESSAGE;
	u->max_output = config->max_output != 0 ? config->max_output :
	    UPSTREAM_DEFAULT_MAX_OUTPUT;
	u->kill_timeout_ms = config->kill_timeout_ms > 0 ?
	    config->kill_timeout_ms : UPSTREAM_DEFAULT_KILL_TIMEOUT_MS;
	u->restart = config->restart;
	u->backoff_min_ms = config->backoff_min_ms > 0 ?
	    config->backoff_min_ms : UPSTREAM_BACKOFF_MIN_MS;
	u->backoff_max_ms = config->backoff_max_ms > 0 ?
	    config->backoff_max_ms : UPSTREAM_BACKOFF_MAX_MS;
	if (u->backoff_max_ms < u->backoff_min_ms)
		u->backoff_max_ms = u->backoff_min_ms;
	u->backoff_reset_ms = config->backoff_reset_ms > 0 ?
	    config->backoff_reset_ms : UPSTREAM_BACKOFF_RESET_MS;
	u->backoff_ms = u->backoff_min_ms;
	u->delay_ms = -1;

	if (ops != NULL)
		u->ops = *ops;
	u->arg = arg;
	u->state = UPSTREAM_IDLE;
	u->pid = -1;
	u->stats.last_status = -1;
	framer_init(&u->framer, u->max_message, u->tag);
	u->framer.raw_answers = config->raw_answers;
	/* The peek is for the caller alone: the framer reads, it decides. */
	if (u->ops.on_dropped != NULL)
		framer_set_dropped(&u->framer, u->ops.on_dropped, u->arg);

	u->ev_sigchld = evsignal_new(base, SIGCHLD, upstream_sigchld, u);
	u->ev_restart = evtimer_new(base, upstream_restart, u);
	u->ev_kill = evtimer_new(base, upstream_kill, u);
	u->ev_grace = evtimer_new(base, upstream_grace, u);
	u->ev_stopped = event_new(base, -1, 0, upstream_stopped, u);
	if (u->ev_sigchld == NULL || u->ev_restart == NULL ||
	    u->ev_kill == NULL || u->ev_grace == NULL || u->ev_stopped == NULL)
		fatalx("event_new");
	return u;
}

int
upstream_start(struct upstream *u)
{
	if (u->state != UPSTREAM_IDLE && u->state != UPSTREAM_DOWN) {
		log_warnx("%s: already started", u->tag);
		return -1;
	}
	if (u->connect != NULL) {
		return upstream_connect(u);
	}
	if (u->argv == NULL || u->argv[0] == NULL) {
		log_warnx("%s: no command to run", u->tag);
		return -1;
	}
	if (upstream_spawn(u) == -1)
		return -1;
	if (u->ops.on_up != NULL)
		u->ops.on_up(u->arg);
	return 0;
}

int
upstream_is_up(const struct upstream *u)
{
	return u->state == UPSTREAM_UP;
}

pid_t
upstream_pid(const struct upstream *u)
{
	return u->pid != -1 && !u->reaped ? u->pid : -1;
}

uint64_t
upstream_up_since(const struct upstream *u)
{
	return u->state == UPSTREAM_UP ? u->up_since_ms : 0;
}

const struct upstream_stats *
upstream_stats(const struct upstream *u)
{
	return &u->stats;
}

int
upstream_restart_delay(const struct upstream *u)
{
	return u->state == UPSTREAM_BACKOFF ? u->delay_ms : -1;
}

const char *
upstream_error(const struct upstream *u)
{
	return u->error[0] != '\0' ? u->error : NULL;
}

void
upstream_stop(struct upstream *u)
{
	struct timeval	tv;

	switch (u->state) {
	case UPSTREAM_STOPPING:
	case UPSTREAM_STOPPED:
		return;
	case UPSTREAM_IDLE:
	case UPSTREAM_BACKOFF:
	case UPSTREAM_DOWN:
	case UPSTREAM_CONNECTING:
		/* Nothing running (a pending connect is dropped). */
		evtimer_del(u->ev_restart);
		u->state = UPSTREAM_STOPPING;
		event_active(u->ev_stopped, 0, 0);
		return;
	case UPSTREAM_UP:
	case UPSTREAM_DYING:
		break;
	}

	evtimer_del(u->ev_restart);
	u->state = UPSTREAM_STOPPING;
	if (u->connect != NULL) {
		/* Flush what is queued, within the kill timeout. */
		if (evbuffer_get_length(bufferevent_get_output(u->sock)) == 0)
			event_active(u->ev_stopped, 0, 0);
		else {
			upstream_msec(&tv, u->kill_timeout_ms);
			evtimer_add(u->ev_kill, &tv);
		}
		return;
	}

	/* Stdin EOF is the polite request; then the ladder. */
	log_info("%s: stopping (pid %ld)", u->tag, (long)u->pid);
	upstream_close_stdin(u);
	upstream_arm_kill(u);
}

void
upstream_free(struct upstream *u)
{
	int	status;

	if (u == NULL)
		return;
	if (u->pid != -1 && !u->reaped) {
		/* Not stopped first: do not leave it running or a zombie.
		 * SIGKILL cannot be refused, so the wait is short. */
		log_warnx("%s: still running, not stopped in time; killing "
		    "it (pid %ld) with SIGKILL", u->tag, (long)u->pid);
		(void)kill(-u->pid, SIGKILL);
		while (waitpid(u->pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	if (u->bev_in != NULL)
		bufferevent_free(u->bev_in);
	if (u->bev_out != NULL)
		bufferevent_free(u->bev_out);
	if (u->bev_err != NULL)
		bufferevent_free(u->bev_err);
	if (u->sock != NULL)
		bufferevent_free(u->sock);
	event_free(u->ev_sigchld);
	event_free(u->ev_restart);
	event_free(u->ev_kill);
	event_free(u->ev_grace);
	event_free(u->ev_stopped);
	xfreev(u->argv);
	xfreev(u->env);
	free(u->secrets);
	free(u->cwd);
	free(u->connect);
	free(u->tag);
	free(u);
}
