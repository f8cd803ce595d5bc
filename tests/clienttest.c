/* SPDX-License-Identifier: ISC */
/*
 * clienttest.c: the harness of client mode's state machine test; see
 * clienttest.h.
 *
 * A transfer the bridge starts is a struct ct_xfer, handed to client.c as
 * the opaque struct curl_event_xfer of client_int.h's operations.  As with
 * curl_event, no callback runs inside start, and none after cancel or
 * after the done callback; the xfer itself is freed on a later loop turn
 * (a serve function may still hold it while the bridge cancels it).
 * A run logs at info level into a file (t->err), copied to stderr after.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "client_int.h"
#include "clienttest.h"
#include "clock.h"
#include "curl_event.h"
#include "jsonrpc.h"
#include "log.h"
#include "testjson.h"

/* A run that takes longer has hung. */
#define CT_WATCHDOG_MS	8000

struct ct_xfer {
	TAILQ_ENTRY(ct_xfer)	 entry;
	struct ct		*t;
	struct ct_req		*req;
	curl_event_headers_cb	 on_headers;
	curl_event_data_cb	 on_data;
	curl_event_done_cb	 on_done;
	void			*arg;
	long			 status;
	char			**rh;		/* response headers */
	size_t			 nrh;
	struct evbuffer		*body;
	struct event		*serve_ev;
	struct event		*timeout_ev;
	int			 over;		/* done or cancelled */
	int			 paused;
};
TAILQ_HEAD(ct_xfers, ct_xfer);

struct ct_private {
	struct event_base	*base;
	int			 in_w, in_r;	/* stdin: ours, the bridge's */
	int			 out_r, out_w;	/* stdout */
	struct evbuffer		*outbuf;
	struct event		*out_ev;
	struct event		*watchdog;
	struct event		*reaper;
	struct ct_xfers		 live;
	struct ct_xfers		 graveyard;
	json_object		*pending;	/* id text -> 1 */
	int			 hold;
	int			 stdin_closed;
};

/* ---- the fake server's transfers ---- */

static struct ct_xfer *
ct_x(struct curl_event_xfer *x)
{
	return (struct ct_xfer *)(void *)x;
}

static struct curl_event_xfer *
ct_handle(struct ct_xfer *x)
{
	return (struct curl_event_xfer *)(void *)x;
}

static void
ct_reap(evutil_socket_t fd, short what, void *arg)
{
	struct ct_private	*p = arg;
	struct ct_xfer		*x;
	size_t			 i;

	while ((x = TAILQ_FIRST(&p->graveyard)) != NULL) {
		TAILQ_REMOVE(&p->graveyard, x, entry);
		for (i = 0; i < x->nrh; i++)
			free(x->rh[i]);
		free(x->rh);
		evbuffer_free(x->body);
		event_free(x->serve_ev);
		event_free(x->timeout_ev);
		free(x);
	}
}

/* Nothing reaches the bridge from x any more. */
static void
ct_bury(struct ct_xfer *x)
{
	struct ct_private	*p = x->t->p;

	if (x->over)
		return;
	x->over = 1;
	event_del(x->serve_ev);
	event_del(x->timeout_ev);
	TAILQ_REMOVE(&p->live, x, entry);
	TAILQ_INSERT_TAIL(&p->graveyard, x, entry);
	event_active(p->reaper, 0, 0);
}

static void
ct_done(struct ct_xfer *x, int result, const char *error)
{
	if (x->over)
		return;
	ct_bury(x);
	x->on_done(ct_handle(x), result, error, x->arg);
}

static void
ct_headers(struct ct_xfer *x, long status, const char *headers)
{
	const char	*p, *nl;

	if (x->over)
		return;
	x->status = status;
	for (p = headers; p != NULL && *p != '\0'; p = nl + (*nl != '\0')) {
		nl = p + strcspn(p, "\n");
		x->rh = reallocarray(x->rh, x->nrh + 1, sizeof *x->rh);
		ck_assert_ptr_nonnull(x->rh);
		x->rh[x->nrh++] = strndup(p, (size_t)(nl - p));
	}
	x->on_headers(ct_handle(x), x->arg);
}

static void
ct_data(struct ct_xfer *x, const char *data, size_t len)
{
	if (x->over || len == 0)
		return;
	evbuffer_add(x->body, data, len);
	x->on_data(ct_handle(x), x->body, x->arg);
}

static void
ct_serve_fired(evutil_socket_t fd, short what, void *arg)
{
	struct ct_xfer	*x = arg;

	if (x->over)
		return;
	if (strcmp(x->req->method, "DELETE") == 0) {
		ct_reply(x, 200, NULL, NULL);
		return;
	}
	ck_assert_ptr_nonnull(x->t->serve);
	x->t->serve(x->t, x, x->req);
}

static void
ct_timeout_fired(evutil_socket_t fd, short what, void *arg)
{
	ct_fail(arg, CURLE_OPERATION_TIMEDOUT, "Operation timed out (fake)");
}

static struct curl_event_xfer *
ct_start(void *arg, const struct curl_event_request *r)
{
	struct ct		*t = arg;
	struct ct_private	*p = t->p;
	struct ct_req		*req;
	struct ct_xfer		*x;
	struct curl_slist	*h;
	struct timeval		 tv;

	req = calloc(1, sizeof *req);
	ck_assert_ptr_nonnull(req);
	req->n = t->nreqs;
	req->method = strdup(r->method);
	req->url = strdup(r->url);
	for (h = r->headers; h != NULL; h = h->next) {
		req->headers = reallocarray(req->headers, req->nheaders + 1,
		    sizeof *req->headers);
		ck_assert_ptr_nonnull(req->headers);
		req->headers[req->nheaders++] = strdup(h->data);
	}
	curl_slist_free_all(r->headers);	/* taken over, always */
	if (r->body != NULL && r->len > 0) {
		req->body = json_tokener_parse(r->body);
		if (req->body != NULL)
			req->rpc = jsonrpc_method(req->body);
	}
	req->timeout_ms = r->timeout_ms;
	req->at_ms = clock_ms();
	t->reqs = reallocarray(t->reqs, t->nreqs + 1, sizeof *t->reqs);
	ck_assert_ptr_nonnull(t->reqs);
	t->reqs[t->nreqs++] = req;

	x = calloc(1, sizeof *x);
	ck_assert_ptr_nonnull(x);
	x->t = t;
	x->req = req;
	x->on_headers = r->on_headers;
	x->on_data = r->on_data;
	x->on_done = r->on_done;
	x->arg = r->arg;
	x->body = evbuffer_new();
	x->serve_ev = event_new(p->base, -1, 0, ct_serve_fired, x);
	x->timeout_ev = evtimer_new(p->base, ct_timeout_fired, x);
	TAILQ_INSERT_TAIL(&p->live, x, entry);
	event_active(x->serve_ev, 0, 0);
	if (r->timeout_ms > 0) {
		tv.tv_sec = r->timeout_ms / 1000;
		tv.tv_usec = (r->timeout_ms % 1000) * 1000;
		evtimer_add(x->timeout_ev, &tv);
	}
	return ct_handle(x);
}

static void
ct_cancel(struct curl_event_xfer *h)
{
	struct ct_xfer	*x = ct_x(h);

	if (x == NULL || x->over)
		return;
	x->req->cancelled = 1;
	ct_bury(x);
}

static void
ct_pause(struct curl_event_xfer *h, int on)
{
	ct_x(h)->paused = on;
}

static long
ct_status(struct curl_event_xfer *h)
{
	return ct_x(h)->status;
}

static const char *
ct_rheader(struct curl_event_xfer *h, const char *name)
{
	struct ct_xfer	*x = ct_x(h);
	const char	*v = NULL, *s;
	size_t		 i, len = strlen(name);

	for (i = 0; i < x->nrh; i++) {
		s = x->rh[i];
		if (strncasecmp(s, name, len) == 0 && s[len] == ':')
			v = s + len + 1 + strspn(s + len + 1, " ");
	}
	return v;
}

static struct evbuffer *
ct_body(struct curl_event_xfer *h)
{
	return ct_x(h)->body;
}

static int
ct_overflowed(struct curl_event_xfer *h)
{
	return 0;
}

static const struct client_http_ops ct_http = {
	.start = ct_start,
	.cancel = ct_cancel,
	.pause = ct_pause,
	.status = ct_status,
	.header = ct_rheader,
	.body = ct_body,
	.overflowed = ct_overflowed,
	.network_error = curl_event_network_error,
	.timed_out = curl_event_timed_out,
};

/* ---- answering ---- */

void
ct_reply(struct ct_xfer *x, long status, const char *headers,
    const char *body)
{
	ct_headers(x, status, headers);
	if (body != NULL)
		ct_data(x, body, strlen(body));
	ct_done(x, 0, NULL);
}

static json_object *
ct_envelope(struct ct_xfer *x)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", x->req->body != NULL ?
	    jsonrpc_id_copy(jsonrpc_id(x->req->body)) : NULL);
	return o;
}

void
ct_answer(struct ct_xfer *x, const char *fmt, ...)
{
	json_object	*o;
	va_list		 ap;

	o = ct_envelope(x);
	va_start(ap, fmt);
	json_object_object_add(o, "result", Jv(fmt, ap));
	va_end(ap);
	ct_reply(x, 200, "Content-Type: application/json", S(o));
	json_object_put(o);
}

void
ct_rpc_error(struct ct_xfer *x, long status, int code, const char *message)
{
	json_object	*o, *e;

	o = ct_envelope(x);
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	ct_reply(x, status, "Content-Type: application/json", S(o));
	json_object_put(o);
}

void
ct_open(struct ct_xfer *x, const char *headers)
{
	char	*h;

	ck_assert_int_ne(asprintf(&h, "Content-Type: text/event-stream%s%s",
	    headers != NULL ? "\n" : "", headers != NULL ? headers : ""), -1);
	ct_headers(x, 200, h);
	free(h);
}

void
ct_push(struct ct_xfer *x, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	ck_assert_int_ne(n, -1);
	ct_data(x, s, (size_t)n);
	free(s);
}

void
ct_push_msg(struct ct_xfer *x, const char *fmt, ...)
{
	json_object	*o;
	va_list		 ap;

	va_start(ap, fmt);
	o = Jv(fmt, ap);
	va_end(ap);
	ct_push(x, "event: message\ndata: %s\n\n", S(o));
	json_object_put(o);
}

void
ct_end(struct ct_xfer *x)
{
	ct_done(x, 0, NULL);
}

void
ct_fail(struct ct_xfer *x, int result, const char *error)
{
	ct_done(x, result, error);
}

struct ct_xfer *
ct_live(struct ct *t, struct ct_req *req)
{
	struct ct_xfer	*x;

	TAILQ_FOREACH(x, &t->p->live, entry) {
		if (x->req == req)
			return x;
	}
	return NULL;
}

struct ct_req *
ct_req_of(struct ct_xfer *x)
{
	return x->req;
}

/* ---- the local client ---- */

static void
ct_stdin_maybe_close(struct ct *t)
{
	if (!t->p->hold && !t->p->stdin_closed &&
	    json_object_object_length(t->p->pending) == 0)
		ct_close_stdin(t);
}

static void
ct_out_line(struct ct *t, const char *line)
{
	json_object	*msg, *id;

	msg = json_tokener_parse(line);
	ck_assert_msg(msg != NULL, "stdout: not JSON: %s", line);
	t->out = reallocarray(t->out, t->nout + 1, sizeof *t->out);
	ck_assert_ptr_nonnull(t->out);
	t->out[t->nout++] = msg;
	if (jsonrpc_classify(msg) == JSONRPC_RESPONSE &&
	    (id = jsonrpc_id(msg)) != NULL)
		json_object_object_del(t->p->pending, S(id));
	if (t->local != NULL)
		t->local(t, msg);
	ct_stdin_maybe_close(t);
}

static void
ct_out_read(struct ct *t)
{
	char	*line;
	ssize_t	 n;

	for (;;) {
		n = evbuffer_read(t->p->outbuf, t->p->out_r, 65536);
		if (n <= 0)
			break;
	}
	while ((line = evbuffer_readln(t->p->outbuf, NULL,
	    EVBUFFER_EOL_LF)) != NULL) {
		ct_out_line(t, line);
		free(line);
	}
}

static void
ct_out_ready(evutil_socket_t fd, short what, void *arg)
{
	ct_out_read(arg);
}

static void
ct_watchdog_fired(evutil_socket_t fd, short what, void *arg)
{
	ck_abort_msg("the bridge did not finish within %dms", CT_WATCHDOG_MS);
}

void
ct_send(struct ct *t, const char *fmt, ...)
{
	json_object	*o, *id;
	const char	*s;
	va_list		 ap;
	size_t		 len;

	va_start(ap, fmt);
	o = Jv(fmt, ap);
	va_end(ap);
	ck_assert(!t->p->stdin_closed);
	if (jsonrpc_classify(o) == JSONRPC_REQUEST &&
	    (id = jsonrpc_id(o)) != NULL)
		json_object_object_add(t->p->pending, S(id),
		    json_object_new_int(1));
	s = S(o);
	len = strlen(s);
	ck_assert_int_eq(write(t->p->in_w, s, len), (ssize_t)len);
	ck_assert_int_eq(write(t->p->in_w, "\n", 1), 1);
	json_object_put(o);
}

void
ct_hold_stdin(struct ct *t)
{
	t->p->hold = 1;
}

void
ct_close_stdin(struct ct *t)
{
	if (t->p->stdin_closed)
		return;
	t->p->stdin_closed = 1;
	shutdown(t->p->in_w, SHUT_WR);
}

/* ---- a run ---- */

void
ct_init(struct ct *t)
{
	struct ct_private	*p;
	int			 in[2], out[2];

	memset(t, 0, sizeof *t);
	t->cfg.url = "http://mcp.test/mcp";
	t->cfg.connect_timeout_ms = 1000;
	t->cfg.request_timeout_ms = 3000;
	t->cfg.max_message_size = 1024 * 1024;
	t->cfg.no_oauth = 1;
	t->p = p = calloc(1, sizeof *p);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, in), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, out), 0);
	p->in_w = in[0];
	p->in_r = in[1];
	p->out_r = out[0];
	p->out_w = out[1];
	ck_assert_int_eq(fcntl(p->out_r, F_SETFL, O_NONBLOCK), 0);
	p->base = event_base_new();
	ck_assert_ptr_nonnull(p->base);
	p->outbuf = evbuffer_new();
	p->out_ev = event_new(p->base, p->out_r, EV_READ | EV_PERSIST,
	    ct_out_ready, t);
	p->watchdog = evtimer_new(p->base, ct_watchdog_fired, t);
	p->reaper = event_new(p->base, -1, 0, ct_reap, p);
	TAILQ_INIT(&p->live);
	TAILQ_INIT(&p->graveyard);
	p->pending = json_object_new_object();
}

int
ct_run(struct ct *t)
{
	struct ct_private	*p = t->p;
	struct client_io	 io;
	struct timeval		 tv;
	FILE			*log;
	long			 len;
	int			 status, saved;

	/* The log, at info level, goes to a file for the test to read. */
	log_set_level(LOG_LEVEL_INFO);
	fflush(stderr);
	ck_assert_ptr_nonnull(log = tmpfile());
	ck_assert_int_ne(saved = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(dup2(fileno(log), STDERR_FILENO), -1);
	memset(&io, 0, sizeof io);
	io.in_fd = p->in_r;
	io.out_fd = p->out_w;
	io.base = p->base;
	io.http = &ct_http;
	io.http_arg = t;
	event_add(p->out_ev, NULL);
	tv.tv_sec = CT_WATCHDOG_MS / 1000;
	tv.tv_usec = (CT_WATCHDOG_MS % 1000) * 1000;
	evtimer_add(p->watchdog, &tv);
	ct_stdin_maybe_close(t);
	status = client_run_io(&t->cfg, &io);
	fflush(stderr);
	log_set_level(LOG_LEVEL_ERROR);		/* checktest.c's */
	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	close(saved);
	ck_assert_int_ne(len = ftell(log), -1);
	free(t->err);
	ck_assert_ptr_nonnull(t->err = calloc(1, (size_t)len + 1));
	rewind(log);
	ck_assert_uint_eq(fread(t->err, 1, (size_t)len, log), (size_t)len);
	fclose(log);
	fputs(t->err, stderr);
	evtimer_del(p->watchdog);
	event_del(p->out_ev);
	ct_out_read(t);
	return status;
}

void
ct_fini(struct ct *t)
{
	struct ct_private	*p = t->p;
	struct ct_xfer		*x;
	size_t			 i, j;

	while ((x = TAILQ_FIRST(&p->live)) != NULL)
		ct_bury(x);
	ct_reap(-1, 0, p);
	for (i = 0; i < t->nreqs; i++) {
		free(t->reqs[i]->method);
		free(t->reqs[i]->url);
		for (j = 0; j < t->reqs[i]->nheaders; j++)
			free(t->reqs[i]->headers[j]);
		free(t->reqs[i]->headers);
		json_object_put(t->reqs[i]->body);
		free(t->reqs[i]);
	}
	free(t->reqs);
	for (i = 0; i < t->nout; i++)
		json_object_put(t->out[i]);
	free(t->out);
	free(t->err);
	json_object_put(p->pending);
	evbuffer_free(p->outbuf);
	event_free(p->out_ev);
	event_free(p->watchdog);
	event_free(p->reaper);
	event_base_free(p->base);
	close(p->in_w);
	close(p->in_r);
	close(p->out_r);
	close(p->out_w);
	free(p);
}

/* ---- looking ---- */

const char *
ct_header(struct ct_req *req, const char *name)
{
	const char	*v = NULL, *s;
	size_t		 i, len = strlen(name);

	for (i = 0; i < req->nheaders; i++) {
		s = req->headers[i];
		if (strncasecmp(s, name, len) == 0 &&
		    (s[len] == ':' || s[len] == ';'))
			v = s[len] == ';' ? "" :
			    s + len + 1 + strspn(s + len + 1, " ");
	}
	return v;
}

json_object *
ct_id(struct ct_req *req)
{
	return req->body != NULL ? jsonrpc_id(req->body) : NULL;
}

static int
ct_match(struct ct_req *req, const char *method, const char *rpc)
{
	if (method != NULL && strcmp(req->method, method) != 0)
		return 0;
	if (rpc == NULL)
		return 1;
	if (*rpc == '\0')
		return req->rpc == NULL;
	return req->rpc != NULL && strcmp(req->rpc, rpc) == 0;
}

size_t
ct_count(struct ct *t, const char *method, const char *rpc)
{
	size_t	i, n = 0;

	for (i = 0; i < t->nreqs; i++)
		n += ct_match(t->reqs[i], method, rpc);
	return n;
}

struct ct_req *
ct_nth(struct ct *t, const char *method, const char *rpc, size_t n)
{
	size_t	i;

	for (i = 0; i < t->nreqs; i++) {
		if (ct_match(t->reqs[i], method, rpc) && n-- == 0)
			return t->reqs[i];
	}
	ck_abort_msg("no transfer %s %s number %zu", method != NULL ? method :
	    "*", rpc != NULL ? rpc : "*", n);
	return NULL;
}

json_object *
ct_out_id(struct ct *t, const char *id)
{
	json_object	*want, *got;
	size_t		 i;

	want = J("%s", id);
	for (i = 0; i < t->nout; i++) {
		if (jsonrpc_classify(t->out[i]) != JSONRPC_RESPONSE)
			continue;
		got = jsonrpc_id(t->out[i]);
		if (got != NULL && jsonrpc_id_equal(got, want)) {
			json_object_put(want);
			return t->out[i];
		}
	}
	ck_abort_msg("no answer to id %s on stdout", id);
	return NULL;
}

json_object *
ct_out_method(struct ct *t, const char *method, size_t n)
{
	const char	*m;
	size_t		 i;

	for (i = 0; i < t->nout; i++) {
		m = jsonrpc_method(t->out[i]);
		if (m != NULL && strcmp(m, method) == 0 && n-- == 0)
			return t->out[i];
	}
	return NULL;
}

size_t
ct_out_count(struct ct *t, const char *method)
{
	const char	*m;
	size_t		 i, n = 0;

	for (i = 0; i < t->nout; i++) {
		m = jsonrpc_method(t->out[i]);
		n += m != NULL && strcmp(m, method) == 0;
	}
	return n;
}

size_t
ct_err_count(struct ct *t, const char *s)
{
	const char	*p, *nl;
	size_t		 n = 0;

	for (p = t->err; p != NULL && *p != '\0'; p = nl + (*nl != '\0')) {
		nl = p + strcspn(p, "\n");
		if (memmem(p, (size_t)(nl - p), s, strlen(s)) != NULL)
			n++;
	}
	return n;
}
