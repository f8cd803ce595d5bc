/* SPDX-License-Identifier: ISC */
/*
 * mcpload.c: a load generator for MCP servers, over Streamable HTTP, the
 * legacy HTTP+SSE transport, or a stdio child's pipes.
 *
 * C sessions each make M tools/call requests of the echo tool with P in
 * flight, and every answer is checked: the message of a call names its
 * session and sequence number ("c<session>-q<seq>"), so an answer that
 * reaches the wrong session, or the wrong request, or never comes, is an
 * error.  All sessions use the same JSON-RPC ids (1..M), which is what a
 * multiplexer in front of one child has to keep apart.  The exit status is
 * 0 only if every call was answered right.
 *
 * Streamable HTTP: P calls in flight take P keep-alive connections (a POST
 * answers on its own response).  Legacy: the answers come on the session's
 * event stream; the P connections only carry the POSTs.  --stdio drives one
 * child directly with the same pattern (ids made unique per session): the
 * limit a bridge in front of that child can at best reach.
 *
 * --idle N opens N sessions and their event streams (legacy: GET /sse;
 * Streamable HTTP: a GET stream), holds them and reports how much the
 * resident memory of --pid grew per session.
 *
 * One line of "key=value" results goes to stdout; errors, the first few
 * in detail, to stderr.  The HTTP client is a minimal HTTP/1.1 one written
 * for this: Content-Length and chunked bodies, event streams parsed as they
 * arrive; nothing else (no redirects, no TLS).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

/* Longest status or header line, and longest SSE line, we buffer. */
#define LOAD_MAX_LINE		(64 * 1024)
#define LOAD_MAX_BODY		(16 * 1024 * 1024)
/* Errors printed in full; the rest are only counted. */
#define LOAD_SHOW_ERRORS	10
/* Sessions being set up at once (connects in flight). */
#define LOAD_MAX_SETUP		200
#define LOAD_VERSION_HTTP	"2025-06-18"
#define LOAD_VERSION_SSE	"2024-11-05"
#define LOAD_MSG_MAX		64

enum load_mode {
	LOAD_STREAMABLE = 0,
	LOAD_SSE,
	LOAD_STDIO,
};

/* Where a response parser is. */
enum load_pstate {
	P_STATUS = 0,
	P_HEADERS,
	P_BODY_LEN,
	P_CHUNK_SIZE,
	P_CHUNK_DATA,
	P_CHUNK_END,
	P_TRAILER,
	P_BODY_EOF,
};

/* What the request out on a connection is. */
enum load_what {
	W_NONE = 0,
	W_INIT,			/* initialize */
	W_NOTIFY,		/* notifications/initialized */
	W_CALL,			/* tools/call */
	W_STREAM,		/* GET of an event stream */
	W_DELETE,		/* DELETE of a session, at the end */
};

/* A session's progress through set-up. */
enum load_cstate {
	C_NEW = 0,
	C_ENDPOINT,		/* legacy: waiting for the endpoint event */
	C_INIT,			/* initialize sent */
	C_INITIALIZED,		/* notifications/initialized sent */
	C_STREAM,		/* idle: the GET stream is being opened */
	C_READY,
	C_DONE,
};

struct load;
struct load_client;

struct load_conn {
	struct load		*ld;
	struct load_client	*cl;
	struct load_slot	*slot;		/* NULL: the session's stream */
	struct bufferevent	*bev;
	int			 busy;		/* a request is out */
	enum load_what		 what;		/* ... and what it is */

	enum load_pstate	 pstate;
	int			 status;
	int64_t			 clen;
	uint64_t		 chunk_left;
	int			 chunked;
	int			 is_sse;
	int			 close_after;
	struct evbuffer		*body;
	struct evbuffer		*sse;		/* undelivered SSE text */
	char			 ev_name[32];
	struct evbuffer		*ev_data;
	int			 ev_has_data;
};

/* One request in flight at a time; P of them per session. */
struct load_slot {
	struct load_client	*cl;
	struct load_conn	*conn;		/* NULL in stdio mode */
	uint64_t		 seq;		/* 0: none out */
	int			 want_ack;	/* legacy: the 202 */
	int			 want_answer;
};

struct load_client {
	struct load		*ld;
	int			 no;
	enum load_cstate	 state;
	char			 sid[256];
	char			*post_path;
	int			 notify_pending;	/* legacy: conn was busy */
	struct load_conn	*stream;	/* legacy or idle GET stream */
	struct load_slot	*slots;
	uint64_t		 next_seq;
	uint64_t		 answered;
	uint64_t		*start_ns;	/* by seq; 0 when not out */
};

struct load {
	struct event_base	*base;
	enum load_mode		 mode;
	int			 nclients;
	uint64_t		 requests;	/* per session */
	int			 parallel;
	int			 idle;
	int			 hold_s;
	int			 timeout_s;
	pid_t			 pid;
	const char		*label;
	const char		*stdio_cmd;

	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 hostport[300];
	char			*mcp_path;
	char			*sse_path;

	struct load_client	*clients;
	int			 started;	/* sessions begun */
	int			 setting_up;
	int			 ready;
	int			 done;
	int			 running;	/* the measured phase */
	int			 finished;

	struct json_tokener	*tok;
	uint64_t		 ok;
	uint64_t		 errors;
	uint64_t		 shown;
	uint64_t		*lat;		/* ns, one per good answer */
	uint64_t		 nlat;

	uint64_t		 t_begin;
	uint64_t		 t_start;
	uint64_t		 t_end;
	long			 rss_start;
	long			 rss_ready;
	long			 rss_end;
	long			 hwm_end;
	double			 cpu_start;
	double			 cpu_end;

	/* stdio */
	pid_t			 child;
	struct bufferevent	*child_in;
	struct bufferevent	*child_out;
	uint64_t		 stride;

	struct event		*timeout;
	struct event		*hold;
	int			 deleting;	/* DELETEs not answered yet */
};

static void	load_conn_read(struct bufferevent *, void *);
static void	load_conn_event(struct bufferevent *, short, void *);
static void	load_setup(struct load *);
static void	load_slot_next(struct load_slot *);
static void	load_finish(struct load *);

/* ---- small things ---- */

static void __attribute__((noreturn))
load_fatal(const char *what)
{
	fprintf(stderr, "mcpload: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void __attribute__((noreturn))
load_fatalx(const char *what)
{
	fprintf(stderr, "mcpload: %s\n", what);
	exit(2);
}

static void *
load_calloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		load_fatal("calloc");
	return p;
}

static uint64_t
load_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void __attribute__((format(printf, 2, 3)))
load_error(struct load *ld, const char *fmt, ...)
{
	va_list	ap;

	ld->errors++;
	if (ld->shown++ >= LOAD_SHOW_ERRORS)
		return;
	fprintf(stderr, "mcpload: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* A "Key:" line of /proc/PID/status in kB, or -1. */
static long
load_proc_kb(pid_t pid, const char *key)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 v = -1;
	size_t	 klen = strlen(key);

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* utime + stime of pid, in seconds, or -1. */
static double
load_proc_cpu(pid_t pid)
{
	char			 path[64], buf[2048], *p;
	FILE			*f;
	unsigned long		 ut, st;
	size_t			 n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces: fields count from its ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void
load_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- answers ---- */

static json_object *
load_get(json_object *o, const char *key)
{
	json_object	*v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* The message a call carries: it names its session and sequence. */
static int
load_msg(char *buf, size_t size, int client, uint64_t seq)
{
	return snprintf(buf, size, "c%d-q%" PRIu64, client, seq);
}

/* The echo's text is the message, or ends with " " and the message
 * (server-everything answers "Echo: <message>"). */
static int
load_text_ok(const char *text, size_t len, const char *want, size_t wlen)
{
	if (len == wlen)
		return memcmp(text, want, wlen) == 0;
	return len > wlen && text[len - wlen - 1] == ' ' &&
	    memcmp(text + len - wlen, want, wlen) == 0;
}

static void
load_client_done(struct load_client *cl)
{
	struct load	*ld = cl->ld;

	if (cl->state == C_DONE)
		return;
	cl->state = C_DONE;
	if (++ld->done == ld->nclients)
		load_finish(ld);
}

/* The answer to seq of cl: check it, time it. */
static void
load_answer(struct load_client *cl, uint64_t seq, json_object *m)
{
	struct load	*ld = cl->ld;
	json_object	*result, *content, *item, *text;
	char		 want[LOAD_MSG_MAX];
	uint64_t	 t;
	int		 wlen;

	if (seq == 0 || seq > ld->requests || cl->start_ns[seq] == 0) {
		load_error(ld, "session %d: answer to id %" PRIu64 " it has "
		    "not asked (or twice)", cl->no, seq);
		return;
	}
	t = load_now_ns() - cl->start_ns[seq];
	cl->start_ns[seq] = 0;
	cl->answered++;

	wlen = load_msg(want, sizeof want, cl->no, seq);
	result = load_get(m, "result");
	content = load_get(result, "content");
	item = content != NULL && json_object_is_type(content, json_type_array) &&
	    json_object_array_length(content) > 0 ?
	    json_object_array_get_idx(content, 0) : NULL;
	text = load_get(item, "text");
	if (text == NULL || !json_object_is_type(text, json_type_string)) {
		load_error(ld, "session %d: id %" PRIu64 ": not an echo "
		    "result: %.200s", cl->no, seq,
		    json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN));
		return;
	}
	if (!load_text_ok(json_object_get_string(text),
	    (size_t)json_object_get_string_len(text), want, (size_t)wlen)) {
		load_error(ld, "session %d: id %" PRIu64 ": wrong answer "
		    "\"%.100s\", want \"%s\"", cl->no, seq,
		    json_object_get_string(text), want);
		return;
	}
	ld->ok++;
	if (ld->nlat < ld->requests * (uint64_t)ld->nclients)
		ld->lat[ld->nlat++] = t;
}

static json_object *
load_parse(struct load *ld, const char *p, size_t len)
{
	json_object	*m;

	json_tokener_reset(ld->tok);
	m = json_tokener_parse_ex(ld->tok, p, (int)len);
	if (m == NULL || json_tokener_get_error(ld->tok) != json_tokener_success) {
		json_object_put(m);
		load_error(ld, "not JSON: %.200s", len > 0 ? p : "(empty)");
		return NULL;
	}
	return m;
}

static int
load_id(json_object *m, uint64_t *id)
{
	json_object	*v;
	int64_t		 n;

	if ((v = load_get(m, "id")) == NULL ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	if (n < 0)
		return -1;
	*id = (uint64_t)n;
	return 0;
}

/* ---- HTTP requests ---- */

static struct load_conn *
load_conn_new(struct load_client *cl, struct load_slot *slot)
{
	struct load_conn	*c;

	c = load_calloc(1, sizeof *c);
	c->ld = cl->ld;
	c->cl = cl;
	c->slot = slot;
	if ((c->body = evbuffer_new()) == NULL ||
	    (c->sse = evbuffer_new()) == NULL ||
	    (c->ev_data = evbuffer_new()) == NULL)
		load_fatalx("evbuffer_new");
	return c;
}

static void
load_conn_reset(struct load_conn *c)
{
	c->pstate = P_STATUS;
	c->status = 0;
	c->clen = -1;
	c->chunked = 0;
	c->is_sse = 0;
	c->close_after = 0;
	c->chunk_left = 0;
	evbuffer_drain(c->body, evbuffer_get_length(c->body));
	evbuffer_drain(c->sse, evbuffer_get_length(c->sse));
	evbuffer_drain(c->ev_data, evbuffer_get_length(c->ev_data));
	c->ev_name[0] = '\0';
	c->ev_has_data = 0;
}

static void
load_conn_close(struct load_conn *c)
{
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = NULL;
	c->busy = 0;
}

static int
load_conn_connect(struct load_conn *c)
{
	struct load	*ld = c->ld;
	int		 fd, one = 1;

	fd = socket(ld->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		load_error(ld, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->bev = bufferevent_socket_new(ld->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		load_fatalx("bufferevent_socket_new");
	bufferevent_setcb(c->bev, load_conn_read, NULL, load_conn_event, c);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&ld->addr,
	    (int)ld->addrlen) == -1) {
		load_error(ld, "connect: %s", strerror(errno));
		load_conn_close(c);
		return -1;
	}
	bufferevent_enable(c->bev, EV_READ);
	load_conn_reset(c);
	return 0;
}

/* Sends one request on c (connecting first if need be). */
static int
load_conn_request(struct load_conn *c, enum load_what what, const char *method,
    const char *path, const char *body, size_t len)
{
	struct load		*ld = c->ld;
	struct load_client	*cl = c->cl;
	struct evbuffer		*out;
	int			 streamable = ld->mode == LOAD_STREAMABLE;

	if (c->bev == NULL && load_conn_connect(c) == -1)
		return -1;
	out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path,
	    ld->hostport);
	if (body != NULL)
		evbuffer_add_printf(out, "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n", len);
	if (streamable) {
		evbuffer_add_printf(out, "Accept: %s\r\n", body != NULL ?
		    "application/json, text/event-stream" :
		    "text/event-stream");
		if (cl->sid[0] != '\0')
			evbuffer_add_printf(out, "Mcp-Session-Id: %s\r\n"
			    "MCP-Protocol-Version: " LOAD_VERSION_HTTP "\r\n",
			    cl->sid);
	} else if (body == NULL)
		evbuffer_add_printf(out, "Accept: text/event-stream\r\n");
	evbuffer_add(out, "\r\n", 2);
	if (body != NULL)
		evbuffer_add(out, body, len);
	c->busy = 1;
	c->what = what;
	return 0;
}

static int
load_post(struct load_conn *c, enum load_what what, const char *body)
{
	struct load_client	*cl = c->cl;

	return load_conn_request(c, what, "POST", c->ld->mode ==
	    LOAD_STREAMABLE ? c->ld->mcp_path : cl->post_path, body,
	    strlen(body));
}

/* ---- set-up ---- */

static void
load_client_close(struct load_client *cl)
{
	int	i;

	for (i = 0; i < cl->ld->parallel; i++) {
		if (cl->slots[i].conn != NULL)
			load_conn_close(cl->slots[i].conn);
	}
	if (cl->stream != NULL)
		load_conn_close(cl->stream);
}

/* The session cannot go on: what it has not had answered counts as lost. */
static void
load_client_fail(struct load_client *cl, const char *why)
{
	struct load	*ld = cl->ld;
	int		 setting_up;

	if (cl->state == C_DONE)
		return;
	load_error(ld, "session %d: %s", cl->no, why);
	setting_up = cl->state != C_READY;
	load_client_close(cl);
	if (setting_up)
		ld->setting_up--;
	load_client_done(cl);
	if (setting_up)
		load_setup(ld);
}

static void
load_begin(struct load *ld)
{
	int	i, j;

	ld->running = 1;
	ld->rss_ready = load_proc_kb(ld->pid, "VmRSS:");
	ld->cpu_start = load_proc_cpu(ld->pid);
	ld->t_start = load_now_ns();
	for (i = 0; i < ld->nclients; i++) {
		if (ld->clients[i].state != C_READY)
			continue;
		for (j = 0; j < ld->parallel; j++)
			load_slot_next(&ld->clients[i].slots[j]);
	}
}

static void
load_client_ready(struct load_client *cl)
{
	struct load	*ld = cl->ld;
	int		 i;

	cl->state = C_READY;
	ld->setting_up--;
	ld->ready++;
	if (ld->idle) {
		/* Only the event stream stays open. */
		for (i = 0; i < ld->parallel; i++)
			load_conn_close(cl->slots[i].conn);
	}
	load_setup(ld);
}

static void
load_client_initialize(struct load_client *cl)
{
	char	body[512];

	snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":0,"
	    "\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"%s\","
	    "\"capabilities\":{},\"clientInfo\":{\"name\":\"mcpload\","
	    "\"version\":\"1\"}}}", cl->ld->mode == LOAD_SSE ?
	    LOAD_VERSION_SSE : LOAD_VERSION_HTTP);
	cl->state = C_INIT;
	if (load_post(cl->slots[0].conn, W_INIT, body) == -1)
		load_client_fail(cl, "cannot send initialize");
}

static void
load_client_notify(struct load_client *cl)
{
	cl->notify_pending = 0;
	if (load_post(cl->slots[0].conn, W_NOTIFY, "{\"jsonrpc\":\"2.0\","
	    "\"method\":\"notifications/initialized\"}") == -1)
		load_client_fail(cl, "cannot send notifications/initialized");
}

/* The answer to initialize: say initialized, once the connection is free
 * (a legacy answer may come before the POST's own 202). */
static void
load_client_initialized(struct load_client *cl, json_object *m)
{
	if (load_get(m, "result") == NULL) {
		load_client_fail(cl, "initialize failed");
		return;
	}
	cl->state = C_INITIALIZED;
	if (cl->slots[0].conn->busy)
		cl->notify_pending = 1;
	else
		load_client_notify(cl);
}

/* notifications/initialized was accepted. */
static void
load_client_accepted(struct load_client *cl)
{
	struct load	*ld = cl->ld;

	if (ld->idle && ld->mode == LOAD_STREAMABLE) {
		cl->state = C_STREAM;
		cl->stream = load_conn_new(cl, NULL);
		if (load_conn_request(cl->stream, W_STREAM, "GET",
		    ld->mcp_path, NULL, 0) == -1)
			load_client_fail(cl, "cannot open the GET stream");
		return;
	}
	load_client_ready(cl);
}

static void
load_client_start(struct load_client *cl)
{
	struct load	*ld = cl->ld;

	if (ld->mode == LOAD_SSE) {
		cl->state = C_ENDPOINT;
		cl->stream = load_conn_new(cl, NULL);
		if (load_conn_request(cl->stream, W_STREAM, "GET",
		    ld->sse_path, NULL, 0) == -1)
			load_client_fail(cl, "cannot open the event stream");
		return;
	}
	load_client_initialize(cl);
}

static void
load_idle_report(struct load *);

/* Starts sessions while fewer than LOAD_MAX_SETUP are being set up; when
 * all have settled, the measured phase begins. */
static void
load_setup(struct load *ld)
{
	static int		 busy;
	struct load_client	*cl;

	if (busy || ld->finished)
		return;
	busy = 1;
	while (ld->started < ld->nclients && ld->setting_up < LOAD_MAX_SETUP) {
		cl = &ld->clients[ld->started++];
		ld->setting_up++;
		load_client_start(cl);
	}
	busy = 0;
	if (ld->started < ld->nclients || ld->setting_up > 0 || ld->running)
		return;
	if (ld->idle)
		load_idle_report(ld);
	else if (ld->ready > 0)
		load_begin(ld);
}

/* ---- the measured phase ---- */

static void
load_slot_send(struct load_slot *s, const char *body, size_t len)
{
	struct load_client	*cl = s->cl;
	struct load		*ld = cl->ld;
	struct evbuffer		*out;

	if (ld->mode == LOAD_STDIO) {
		out = bufferevent_get_output(ld->child_in);
		evbuffer_add(out, body, len);
		evbuffer_add(out, "\n", 1);
		return;
	}
	if (load_conn_request(s->conn, W_CALL, "POST", ld->mode ==
	    LOAD_STREAMABLE ? ld->mcp_path : cl->post_path, body, len) == -1)
		load_client_fail(cl, "cannot send a call");
}

/* The slot's call is over: make the next one, or see if all are done. */
static void
load_slot_next(struct load_slot *s)
{
	struct load_client	*cl = s->cl;
	struct load		*ld = cl->ld;
	char			 body[256], msg[LOAD_MSG_MAX];
	uint64_t		 seq, id;
	int			 len;

	s->seq = 0;
	if (cl->state != C_READY || ld->finished)
		return;
	if (cl->next_seq > ld->requests) {
		if (cl->answered == ld->requests)
			load_client_done(cl);
		return;
	}
	seq = cl->next_seq++;
	id = ld->mode == LOAD_STDIO ? (uint64_t)cl->no * ld->stride + seq : seq;
	load_msg(msg, sizeof msg, cl->no, seq);
	len = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64
	    ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
	    "\"arguments\":{\"message\":\"%s\"}}}", id, msg);
	s->seq = seq;
	s->want_ack = ld->mode == LOAD_SSE;
	s->want_answer = 1;
	cl->start_ns[seq] = load_now_ns();
	load_slot_send(s, body, (size_t)len);
}

static struct load_slot *
load_slot_find(struct load_client *cl, uint64_t seq)
{
	int	i;

	for (i = 0; i < cl->ld->parallel; i++) {
		if (cl->slots[i].seq == seq)
			return &cl->slots[i];
	}
	return NULL;
}

/* A message for cl (on a response, on its stream, or from the child). */
static void
load_client_message(struct load_client *cl, json_object *m)
{
	struct load		*ld = cl->ld;
	struct load_slot	*s;
	uint64_t		 id;
	size_t			 i;

	if (json_object_is_type(m, json_type_array)) {
		for (i = 0; i < json_object_array_length(m); i++)
			load_client_message(cl, json_object_array_get_idx(m, i));
		return;
	}
	if (load_get(m, "method") != NULL)
		return;			/* notifications, server requests */
	if (load_id(m, &id) == -1) {
		load_error(ld, "session %d: answer without a usable id: %.200s",
		    cl->no, json_object_to_json_string_ext(m,
		    JSON_C_TO_STRING_PLAIN));
		return;
	}
	if (id == 0 && cl->state == C_INIT) {
		load_client_initialized(cl, m);
		return;
	}
	load_answer(cl, id, m);
	if (ld->mode != LOAD_SSE || (s = load_slot_find(cl, id)) == NULL)
		return;
	s->want_answer = 0;
	if (!s->want_ack)
		load_slot_next(s);
}

/* ---- HTTP responses ---- */

static void
load_conn_sse_event(struct load_conn *c)
{
	struct load_client	*cl = c->cl;
	struct load		*ld = c->ld;
	json_object		*m;
	const char		*data, *p;
	size_t			 len;

	len = evbuffer_get_length(c->ev_data);
	data = len > 0 ? (const char *)evbuffer_pullup(c->ev_data, -1) : "";
	if (strcmp(c->ev_name, "endpoint") == 0) {
		if (cl->state != C_ENDPOINT)
			return;
		/* A path, or a full URL: keep the path. */
		p = data;
		if (strncmp(p, "http://", 7) == 0 &&
		    (p = memchr(p + 7, '/', len - 7)) == NULL)
			p = "/";
		free(cl->post_path);
		cl->post_path = load_calloc(1, len + 1);
		memcpy(cl->post_path, p, len - (size_t)(p - data));
		load_client_initialize(cl);
		return;
	}
	if (c->ev_name[0] != '\0' && strcmp(c->ev_name, "message") != 0)
		return;
	if (len == 0)
		return;
	if ((m = load_parse(ld, data, len)) == NULL)
		return;
	load_client_message(cl, m);
	json_object_put(m);
}

/* Feeds the event stream text in c->sse to the SSE parser. */
static void
load_conn_sse(struct load_conn *c)
{
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len;
	char			*line;
	struct bufferevent	*bev = c->bev;

	for (;;) {
		eol = evbuffer_search_eol(c->sse, NULL, &eol_len,
		    EVBUFFER_EOL_LF);
		if (eol.pos == -1)
			break;
		len = (size_t)eol.pos;
		line = (char *)evbuffer_pullup(c->sse, (ev_ssize_t)(len +
		    eol_len));
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0) {
			if (c->ev_has_data)
				load_conn_sse_event(c);
			c->ev_name[0] = '\0';
			c->ev_has_data = 0;
			evbuffer_drain(c->ev_data,
			    evbuffer_get_length(c->ev_data));
		} else if (len >= 5 && strncmp(line, "data:", 5) == 0) {
			if (c->ev_has_data)
				evbuffer_add(c->ev_data, "\n", 1);
			c->ev_has_data = 1;
			line += 5;
			len -= 5;
			if (len > 0 && *line == ' ') {
				line++;
				len--;
			}
			evbuffer_add(c->ev_data, line, len);
		} else if (len >= 6 && strncmp(line, "event:", 6) == 0) {
			line += 6;
			len -= 6;
			if (len > 0 && *line == ' ') {
				line++;
				len--;
			}
			if (len >= sizeof c->ev_name)
				len = sizeof c->ev_name - 1;
			memcpy(c->ev_name, line, len);
			c->ev_name[len] = '\0';
		}
		/* id:, retry: and comments need nothing here. */
		evbuffer_drain(c->sse, (size_t)eol.pos + eol_len);
		if (c->bev != bev)
			return;		/* closed under us */
	}
	if (evbuffer_get_length(c->sse) > LOAD_MAX_LINE) {
		load_error(c->ld, "session %d: event stream line too long",
		    c->cl->no);
		evbuffer_drain(c->sse, evbuffer_get_length(c->sse));
	}
}

/* Headers of a response are in: what now? */
static void
load_conn_headers(struct load_conn *c)
{
	struct load_client	*cl = c->cl;

	if (c->slot == NULL) {
		/* An event stream: open means set up, for the idle GET. */
		if (c->status != 200 || !c->is_sse) {
			load_client_fail(cl, "event stream refused");
			return;
		}
		if (cl->state == C_STREAM)
			load_client_ready(cl);
	}
}

/* A whole response (of a POST) is in. */
static void
load_conn_done(struct load_conn *c)
{
	struct load_client	*cl = c->cl;
	struct load		*ld = c->ld;
	struct load_slot	*s = c->slot;
	json_object		*m;
	struct bufferevent	*bev = c->bev;
	enum load_what		 what = c->what;
	size_t			 len;

	c->busy = 0;
	c->what = W_NONE;
	if (what == W_DELETE) {
		if (--ld->deleting == 0)
			event_base_loopbreak(ld->base);
		return;
	}
	if (s == NULL) {
		load_client_fail(cl, "event stream ended");
		return;
	}
	if ((c->status != 200 && c->status != 202) ||
	    (what == W_INIT && ld->mode == LOAD_STREAMABLE &&
	    cl->sid[0] == '\0')) {
		load_error(ld, "session %d: HTTP status %d%s", cl->no,
		    c->status, c->status == 200 ? " without Mcp-Session-Id" : "");
		if (what != W_CALL) {
			load_client_fail(cl, "set-up failed");
			return;
		}
	}
	len = evbuffer_get_length(c->body);
	if (c->status == 200 && !c->is_sse && len > 0) {
		m = load_parse(ld, (const char *)evbuffer_pullup(c->body, -1),
		    len);
		evbuffer_drain(c->body, len);
		if (m != NULL) {
			load_client_message(cl, m);
			json_object_put(m);
		}
		if (c->bev != bev || cl->state == C_DONE)
			return;
	}
	if (c->close_after)
		load_conn_close(c);

	switch (what) {
	case W_INIT:
		if (cl->notify_pending)
			load_client_notify(cl);
		break;
	case W_NOTIFY:
		load_client_accepted(cl);
		break;
	case W_CALL:
		if (s->seq == 0)
			break;
		if (ld->mode == LOAD_SSE) {
			s->want_ack = 0;
			if (!s->want_answer)
				load_slot_next(s);
			break;
		}
		if (cl->start_ns[s->seq] != 0) {
			/* The response ended without the answer. */
			cl->start_ns[s->seq] = 0;
			cl->answered++;
			load_error(ld, "session %d: call %" PRIu64 " got no "
			    "answer (HTTP %d)", cl->no, s->seq, c->status);
		}
		load_slot_next(s);
		break;
	default:
		break;
	}
}

/* One line (CRLF or LF) from in, or NULL; *len excludes the end. */
static char *
load_line(struct evbuffer *in, size_t *len, size_t *used)
{
	struct evbuffer_ptr	eol;
	size_t			eol_len;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	if (eol.pos == -1)
		return NULL;
	*len = (size_t)eol.pos;
	*used = *len + eol_len;
	return (char *)evbuffer_pullup(in, (ev_ssize_t)*used);
}

static void
load_conn_header(struct load_conn *c, const char *line, size_t len)
{
	const char	*colon, *v;
	size_t		 nlen, vlen;

	if ((colon = memchr(line, ':', len)) == NULL)
		return;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
#define LOAD_HDR(name) (nlen == sizeof(name) - 1 && \
	    strncasecmp(line, name, nlen) == 0)
	if (LOAD_HDR("Content-Length"))
		c->clen = strtoll(v, NULL, 10);
	else if (LOAD_HDR("Transfer-Encoding"))
		c->chunked = vlen >= 7 && strncasecmp(v + vlen - 7, "chunked",
		    7) == 0;
	else if (LOAD_HDR("Content-Type"))
		c->is_sse = vlen >= 17 && strncasecmp(v, "text/event-stream",
		    17) == 0;
	else if (LOAD_HDR("Connection"))
		c->close_after = vlen == 5 && strncasecmp(v, "close", 5) == 0;
	else if (LOAD_HDR("Mcp-Session-Id") && c->cl->sid[0] == '\0' &&
	    vlen < sizeof c->cl->sid) {
		memcpy(c->cl->sid, v, vlen);
		c->cl->sid[vlen] = '\0';
	}
#undef LOAD_HDR
}

/* n bytes of body from in. */
static void
load_conn_body(struct load_conn *c, struct evbuffer *in, size_t n)
{
	if (c->is_sse) {
		evbuffer_remove_buffer(in, c->sse, n);
		load_conn_sse(c);
	} else {
		evbuffer_remove_buffer(in, c->body, n);
		if (evbuffer_get_length(c->body) > LOAD_MAX_BODY) {
			load_client_fail(c->cl, "response body too large");
			return;
		}
	}
}

/* Runs the response parser over what has arrived; 0 to wait for more. */
static int
load_conn_step(struct load_conn *c, struct evbuffer *in)
{
	struct bufferevent	*bev = c->bev;
	char			*line, *end;
	size_t			 len, used, avail, n;
	int			 major, minor, status;

	avail = evbuffer_get_length(in);
	switch (c->pstate) {
	case P_STATUS:
	case P_HEADERS:
	case P_CHUNK_SIZE:
	case P_CHUNK_END:
	case P_TRAILER:
		if ((line = load_line(in, &len, &used)) == NULL) {
			if (avail > LOAD_MAX_LINE)
				load_client_fail(c->cl, "line too long");
			return 0;
		}
		break;
	default:
		if (avail == 0)
			return 0;
		line = NULL;
		len = used = 0;
		break;
	}

	switch (c->pstate) {
	case P_STATUS:
		if (len == 0) {
			evbuffer_drain(in, used);
			return 1;
		}
		if (sscanf(line, "HTTP/%d.%d %d", &major, &minor, &status) != 3) {
			evbuffer_drain(in, used);
			load_client_fail(c->cl, "not an HTTP response");
			return 0;
		}
		evbuffer_drain(in, used);
		c->status = status;
		c->pstate = P_HEADERS;
		return 1;
	case P_HEADERS:
		if (len > 0) {
			load_conn_header(c, line, len);
			evbuffer_drain(in, used);
			return 1;
		}
		evbuffer_drain(in, used);
		if (c->status >= 100 && c->status < 200) {
			c->pstate = P_STATUS;
			return 1;
		}
		if (c->chunked)
			c->pstate = P_CHUNK_SIZE;
		else if (c->clen >= 0)
			c->pstate = P_BODY_LEN;
		else
			c->pstate = P_BODY_EOF;
		load_conn_headers(c);
		if (c->bev != bev)
			return 0;
		if (c->pstate == P_BODY_LEN && c->clen == 0)
			goto complete;
		return 1;
	case P_BODY_LEN:
		n = avail < (uint64_t)c->clen ? avail : (size_t)c->clen;
		c->clen -= (int64_t)n;
		load_conn_body(c, in, n);
		if (c->bev != bev)
			return 0;
		if (c->clen == 0)
			goto complete;
		return 1;
	case P_CHUNK_SIZE:
		n = (size_t)strtoull(line, &end, 16);
		evbuffer_drain(in, used);
		if (end == line) {
			load_client_fail(c->cl, "bad chunk size");
			return 0;
		}
		c->chunk_left = n;
		c->pstate = n == 0 ? P_TRAILER : P_CHUNK_DATA;
		return 1;
	case P_CHUNK_DATA:
		n = avail < c->chunk_left ? avail : (size_t)c->chunk_left;
		c->chunk_left -= n;
		load_conn_body(c, in, n);
		if (c->bev != bev)
			return 0;
		if (c->chunk_left == 0)
			c->pstate = P_CHUNK_END;
		return 1;
	case P_CHUNK_END:
		evbuffer_drain(in, used);
		c->pstate = P_CHUNK_SIZE;
		return 1;
	case P_TRAILER:
		evbuffer_drain(in, used);
		if (len > 0)
			return 1;
		goto complete;
	case P_BODY_EOF:
		load_conn_body(c, in, avail);
		return c->bev == bev;
	}
	return 0;

complete:
	load_conn_done(c);
	if (c->bev != bev)
		return 0;
	load_conn_reset(c);
	return 1;
}

static void
load_conn_read(struct bufferevent *bev, void *arg)
{
	struct load_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);

	while (c->bev == bev && load_conn_step(c, in))
		;
}

static void
load_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct load_conn	*c = arg;
	struct load_client	*cl = c->cl;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (c->pstate == P_BODY_EOF && c->slot != NULL) {
		/* A body that ends with the connection. */
		c->close_after = 1;
		load_conn_done(c);
		return;
	}
	if (!c->busy && c->slot != NULL && c->pstate == P_STATUS &&
	    evbuffer_get_length(bufferevent_get_input(bev)) == 0) {
		/* An idle keep-alive connection closed: reopen when needed. */
		load_conn_close(c);
		return;
	}
	if (cl->ld->finished)
		return;
	load_client_fail(cl, (what & BEV_EVENT_EOF) ? "connection closed" :
	    "connection error");
}

/* ---- stdio ---- */

static void
load_child_message(struct load *ld, json_object *m)
{
	struct load_client	*cl;
	uint64_t		 id, no;
	size_t			 i;

	if (json_object_is_type(m, json_type_array)) {
		for (i = 0; i < json_object_array_length(m); i++)
			load_child_message(ld, json_object_array_get_idx(m, i));
		return;
	}
	if (load_get(m, "method") != NULL) {
		if (load_get(m, "id") != NULL) {
			/* A request to us: we have nothing to offer. */
			json_object	*r = json_object_new_object();

			json_object_object_add(r, "jsonrpc",
			    json_object_new_string("2.0"));
			json_object_object_add(r, "id",
			    json_object_get(load_get(m, "id")));
			json_object_object_add(r, "error",
			    json_tokener_parse("{\"code\":-32601,"
			    "\"message\":\"Method not found\"}"));
			evbuffer_add_printf(bufferevent_get_output(
			    ld->child_in), "%s\n", json_object_to_json_string_ext(
			    r, JSON_C_TO_STRING_PLAIN));
			json_object_put(r);
		}
		return;
	}
	if (load_id(m, &id) == -1) {
		load_error(ld, "child: answer without a usable id");
		return;
	}
	if (id == 0) {
		/* The handshake. */
		if (load_get(m, "result") == NULL)
			load_fatalx("the child refused initialize");
		evbuffer_add_printf(bufferevent_get_output(ld->child_in),
		    "{\"jsonrpc\":\"2.0\",\"method\":"
		    "\"notifications/initialized\"}\n");
		for (i = 0; i < (size_t)ld->nclients; i++)
			ld->clients[i].state = C_READY;
		ld->ready = ld->nclients;
		ld->started = ld->nclients;
		load_begin(ld);
		return;
	}
	no = id / ld->stride;
	if (no >= (uint64_t)ld->nclients) {
		load_error(ld, "child: answer to id %" PRIu64 " nobody asked",
		    id);
		return;
	}
	cl = &ld->clients[no];
	load_answer(cl, id % ld->stride, m);
	for (i = 0; i < (size_t)ld->parallel; i++) {
		if (cl->slots[i].seq == id % ld->stride) {
			load_slot_next(&cl->slots[i]);
			break;
		}
	}
}

static void
load_child_read(struct bufferevent *bev, void *arg)
{
	struct load		*ld = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len;
	json_object		*m;
	char			*p;

	for (;;) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1)
			break;
		len = (size_t)eol.pos;
		p = (char *)evbuffer_pullup(in, (ev_ssize_t)(len + eol_len));
		if (len > 0 && (m = load_parse(ld, p, len)) != NULL) {
			load_child_message(ld, m);
			json_object_put(m);
		}
		evbuffer_drain(in, len + eol_len);
		if (ld->finished)
			return;
	}
}

static void
load_child_event(struct bufferevent *bev, short what, void *arg)
{
	struct load	*ld = arg;

	if (ld->finished)
		return;
	load_error(ld, "the child closed its stdout");
	load_finish(ld);
}

static void
load_child_start(struct load *ld)
{
	int	 p_in[2], p_out[2];
	char	 body[512], *cmd;

	if (pipe2(p_in, O_CLOEXEC) == -1 || pipe2(p_out, O_CLOEXEC) == -1)
		load_fatal("pipe");
	if ((ld->child = fork()) == -1)
		load_fatal("fork");
	if (ld->child == 0) {
		if (dup2(p_in[0], 0) == -1 || dup2(p_out[1], 1) == -1)
			_exit(127);
		/* exec: the pid we measure is the server, not a shell. */
		if (asprintf(&cmd, "exec %s", ld->stdio_cmd) == -1)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p_in[0]);
	close(p_out[1]);
	evutil_make_socket_nonblocking(p_in[1]);
	evutil_make_socket_nonblocking(p_out[0]);
	ld->child_in = bufferevent_socket_new(ld->base, p_in[1],
	    BEV_OPT_CLOSE_ON_FREE);
	ld->child_out = bufferevent_socket_new(ld->base, p_out[0],
	    BEV_OPT_CLOSE_ON_FREE);
	if (ld->child_in == NULL || ld->child_out == NULL)
		load_fatalx("bufferevent_socket_new");
	bufferevent_setcb(ld->child_out, load_child_read, NULL,
	    load_child_event, ld);
	bufferevent_enable(ld->child_out, EV_READ);
	bufferevent_enable(ld->child_in, EV_WRITE);
	if (ld->pid <= 0)
		ld->pid = ld->child;
	ld->rss_start = load_proc_kb(ld->pid, "VmRSS:");

	snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":0,"
	    "\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
	    LOAD_VERSION_HTTP "\",\"capabilities\":{},\"clientInfo\":"
	    "{\"name\":\"mcpload\",\"version\":\"1\"}}}\n");
	evbuffer_add(bufferevent_get_output(ld->child_in), body, strlen(body));
}

static void
load_child_stop(struct load *ld)
{
	int	status, i;

	if (ld->child <= 0)
		return;
	bufferevent_free(ld->child_in);
	bufferevent_free(ld->child_out);
	/* The descriptors close when the loop runs the finalizers. */
	event_base_loop(ld->base, EVLOOP_NONBLOCK);
	/* Stdin EOF first; then the signal. */
	for (i = 0; i < 100; i++) {
		if (waitpid(ld->child, &status, WNOHANG) == ld->child)
			return;
		usleep(10000);
	}
	kill(ld->child, SIGTERM);
	waitpid(ld->child, &status, 0);
}

/* ---- results ---- */

static int
load_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
load_pct(struct load *ld, double q)
{
	size_t	i;

	if (ld->nlat == 0)
		return 0;
	i = (size_t)(q * (double)(ld->nlat - 1) + 0.5);
	return (double)ld->lat[i] / 1000.0;
}

static void
load_stop(evutil_socket_t fd, short ev, void *arg)
{
	struct load	*ld = arg;

	event_base_loopbreak(ld->base);
}

static void
load_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct load	*ld = arg;

	if (ld->finished) {
		event_base_loopbreak(ld->base);	/* DELETEs left unanswered */
		return;
	}
	load_error(ld, "timed out after %d s (%d of %d sessions set up, "
	    "%d done)", ld->timeout_s, ld->ready, ld->nclients, ld->done);
	if (ld->idle && !ld->finished)
		load_idle_report(ld);
	else
		load_finish(ld);
	event_base_loopbreak(ld->base);
}

/* Idle: every session is set up (or failed).  Measure, then hold. */
static void
load_idle_report(struct load *ld)
{
	struct timeval	tv = { ld->hold_s, 0 };
	long		grown;

	if (ld->finished)
		return;
	ld->finished = 1;
	/* Let the server settle what the last sessions sent it. */
	usleep(200000);
	ld->rss_end = load_proc_kb(ld->pid, "VmRSS:");
	ld->hwm_end = load_proc_kb(ld->pid, "VmHWM:");
	grown = ld->rss_end - ld->rss_start;
	printf("label=%s mode=idle transport=%s sessions=%d ready=%d "
	    "errors=%" PRIu64 " setup_s=%.2f rss_start_kb=%ld rss_end_kb=%ld "
	    "hwm_kb=%ld bytes_per_session=%.0f\n", ld->label,
	    ld->mode == LOAD_SSE ? "sse" : "streamable", ld->nclients,
	    ld->ready, ld->errors, (double)(load_now_ns() - ld->t_begin) / 1e9,
	    ld->rss_start, ld->rss_end, ld->hwm_end, ld->ready > 0 ?
	    (double)grown * 1024.0 / ld->ready : 0.0);
	fflush(stdout);
	ld->hold = evtimer_new(ld->base, load_stop, ld);
	evtimer_add(ld->hold, &tv);
}

/*
 * Streamable HTTP sessions are ended with DELETE, so that a server that
 * runs one child per session lets them go before the next run (the loop
 * stops when all are answered, or at the timeout).
 */
static void
load_delete(struct load *ld)
{
	struct load_client	*cl;
	struct load_conn	*c;
	struct timeval		 tv = { 2, 0 };
	int			 i;

	if (ld->mode != LOAD_STREAMABLE)
		return;
	for (i = 0; i < ld->nclients; i++) {
		cl = &ld->clients[i];
		c = cl->slots[0].conn;
		if (cl->sid[0] == '\0' || c->busy)
			continue;
		if (load_conn_request(c, W_DELETE, "DELETE", ld->mcp_path,
		    NULL, 0) == 0)
			ld->deleting++;
	}
	if (ld->deleting > 0)
		evtimer_add(ld->timeout, &tv);
}

static void
load_finish(struct load *ld)
{
	uint64_t	expected, answered = 0, missing;
	double		secs, cpu;
	int		i;

	if (ld->finished)
		return;
	ld->finished = 1;
	ld->t_end = load_now_ns();
	ld->rss_end = load_proc_kb(ld->pid, "VmRSS:");
	ld->hwm_end = load_proc_kb(ld->pid, "VmHWM:");
	ld->cpu_end = load_proc_cpu(ld->pid);
	for (i = 0; i < ld->nclients; i++)
		answered += ld->clients[i].answered;
	expected = ld->requests * (uint64_t)ld->nclients;
	missing = expected > answered ? expected - answered : 0;
	if (missing > 0) {
		fprintf(stderr, "mcpload: %" PRIu64 " calls not answered\n",
		    missing);
		ld->errors += missing;
	}
	secs = ld->running ? (double)(ld->t_end - ld->t_start) / 1e9 : 0;
	qsort(ld->lat, ld->nlat, sizeof *ld->lat, load_cmp);
	cpu = ld->cpu_start >= 0 && ld->cpu_end >= 0 && ld->ok > 0 ?
	    (ld->cpu_end - ld->cpu_start) * 1e6 / (double)ld->ok : -1;
	printf("label=%s mode=%s clients=%d parallel=%d requests=%" PRIu64
	    " ok=%" PRIu64 " errors=%" PRIu64 " setup_s=%.2f elapsed_s=%.3f "
	    "rps=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
	    "cpu_us_per_req=%.2f rss_start_kb=%ld rss_ready_kb=%ld "
	    "rss_end_kb=%ld hwm_kb=%ld\n", ld->label,
	    ld->mode == LOAD_STDIO ? "stdio" : ld->mode == LOAD_SSE ? "sse" :
	    "streamable", ld->nclients, ld->parallel, expected, ld->ok,
	    ld->errors, ld->running ? (double)(ld->t_start - ld->t_begin) / 1e9 :
	    0, secs, secs > 0 ? (double)ld->ok / secs : 0,
	    load_pct(ld, 0.5), load_pct(ld, 0.99), load_pct(ld, 0.999),
	    ld->nlat > 0 ? (double)ld->lat[ld->nlat - 1] / 1000.0 : 0, cpu,
	    ld->rss_start, ld->rss_ready, ld->rss_end, ld->hwm_end);
	fflush(stdout);
	load_delete(ld);
	if (ld->deleting == 0)
		event_base_loopbreak(ld->base);
}

/* ---- main ---- */

static int
load_url(struct load *ld, const char *url, const char *mcp, const char *sse)
{
	struct addrinfo	 hints, *res;
	const char	*p, *slash, *colon;
	char		 host[256], port[16];
	size_t		 hlen;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	p = url + 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	if (*p == '[')
		colon = memchr(p, ']', (size_t)(slash - p)) != NULL ?
		    strchr(memchr(p, ']', (size_t)(slash - p)), ':') : NULL;
	if (colon == NULL || colon > slash)
		return -1;
	hlen = (size_t)(colon - p);
	if (hlen >= sizeof host || (size_t)(slash - colon - 1) >= sizeof port)
		return -1;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, (size_t)(slash - colon - 1));
	port[slash - colon - 1] = '\0';
	snprintf(ld->hostport, sizeof ld->hostport, "%.*s", (int)(slash - p), p);
	if (host[0] == '[') {
		memmove(host, host + 1, hlen);
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(&ld->addr, res->ai_addr, res->ai_addrlen);
	ld->addrlen = res->ai_addrlen;
	freeaddrinfo(res);

	hlen = strlen(slash);
	while (hlen > 0 && slash[hlen - 1] == '/')
		hlen--;
	if (asprintf(&ld->mcp_path, "%.*s%s", (int)hlen, slash, mcp) == -1 ||
	    asprintf(&ld->sse_path, "%.*s%s", (int)hlen, slash, sse) == -1)
		load_fatal("asprintf");
	return 0;
}

static void __attribute__((noreturn))
load_usage(void)
{
	fprintf(stderr,
	    "usage: mcpload [-t streamable|sse] [-c clients] [-n requests] "
	    "[-p parallel]\n"
	    "               [--idle N [--hold S]] [--pid PID] [--timeout S] "
	    "[--label TEXT]\n"
	    "               [--mcp-path P] [--sse-path P] URL\n"
	    "       mcpload --stdio COMMAND [-c clients] [-n requests] "
	    "[-p parallel] ...\n");
	exit(2);
}

static long
load_number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
		load_usage();
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "transport", required_argument, NULL, 't' },
		{ "clients", required_argument, NULL, 'c' },
		{ "requests", required_argument, NULL, 'n' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "stdio", required_argument, NULL, 's' },
		{ "idle", required_argument, NULL, 'i' },
		{ "hold", required_argument, NULL, 'H' },
		{ "pid", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "label", required_argument, NULL, 'l' },
		{ "mcp-path", required_argument, NULL, 'm' },
		{ "sse-path", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	/* Static: what it holds at exit is reachable, not a leak. */
	static struct load	 ld;
	struct load_client	*cl;
	struct timeval		 tv;
	const char		*mcp = "/mcp", *sse = "/sse";
	int			 ch, i, j;

	memset(&ld, 0, sizeof ld);
	ld.nclients = 1;
	ld.requests = 1000;
	ld.parallel = 1;
	ld.timeout_s = 300;
	ld.label = "-";
	ld.mode = LOAD_STREAMABLE;
	while ((ch = getopt_long(argc, argv, "t:c:n:p:", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (strcmp(optarg, "streamable") == 0)
				ld.mode = LOAD_STREAMABLE;
			else if (strcmp(optarg, "sse") == 0)
				ld.mode = LOAD_SSE;
			else
				load_usage();
			break;
		case 'c':
			ld.nclients = (int)load_number(optarg, 1, 1000000);
			break;
		case 'n':
			ld.requests = (uint64_t)load_number(optarg, 1,
			    100000000);
			break;
		case 'p':
			ld.parallel = (int)load_number(optarg, 1, 1000);
			break;
		case 's':
			ld.stdio_cmd = optarg;
			break;
		case 'i':
			ld.idle = 1;
			ld.nclients = (int)load_number(optarg, 1, 1000000);
			break;
		case 'H':
			ld.hold_s = (int)load_number(optarg, 0, 86400);
			break;
		case 'P':
			ld.pid = (pid_t)load_number(optarg, 1, INT_MAX);
			break;
		case 'T':
			ld.timeout_s = (int)load_number(optarg, 1, 86400);
			break;
		case 'l':
			ld.label = optarg;
			break;
		case 'm':
			mcp = optarg;
			break;
		case 'e':
			sse = optarg;
			break;
		default:
			load_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (ld.stdio_cmd != NULL) {
		if (argc != 0 || ld.idle)
			load_usage();
		ld.mode = LOAD_STDIO;
	} else if (argc != 1 || load_url(&ld, argv[0], mcp, sse) == -1)
		load_usage();
	if (ld.idle)
		ld.requests = 0;
	if (ld.idle && ld.parallel != 1)
		load_usage();

	signal(SIGPIPE, SIG_IGN);
	load_raise_nofile();
	if ((ld.base = event_base_new()) == NULL)
		load_fatalx("event_base_new");
	if ((ld.tok = json_tokener_new_ex(64)) == NULL)
		load_fatalx("json_tokener_new");
	ld.lat = load_calloc(ld.requests * (uint64_t)ld.nclients, sizeof *ld.lat);
	ld.stride = ld.requests + 1;
	ld.clients = load_calloc((size_t)ld.nclients, sizeof *ld.clients);
	for (i = 0; i < ld.nclients; i++) {
		cl = &ld.clients[i];
		cl->ld = &ld;
		cl->no = i;
		cl->next_seq = 1;
		cl->start_ns = load_calloc(ld.requests + 1, sizeof *cl->start_ns);
		cl->slots = load_calloc((size_t)ld.parallel, sizeof *cl->slots);
		for (j = 0; j < ld.parallel; j++) {
			cl->slots[j].cl = cl;
			if (ld.mode != LOAD_STDIO)
				cl->slots[j].conn = load_conn_new(cl,
				    &cl->slots[j]);
		}
	}

	ld.timeout = evtimer_new(ld.base, load_timeout, &ld);
	tv.tv_sec = ld.timeout_s;
	tv.tv_usec = 0;
	evtimer_add(ld.timeout, &tv);

	ld.t_begin = load_now_ns();
	if (ld.mode == LOAD_STDIO)
		load_child_start(&ld);
	else {
		ld.rss_start = load_proc_kb(ld.pid, "VmRSS:");
		load_setup(&ld);
	}
	event_base_dispatch(ld.base);

	if (ld.mode == LOAD_STDIO)
		load_child_stop(&ld);
	/* Sockets and memory go with the process. */
	return ld.errors == 0 && (ld.idle ? ld.ready == ld.nclients :
	    ld.ok == ld.requests * (uint64_t)ld.nclients) ? 0 : 1;
}
