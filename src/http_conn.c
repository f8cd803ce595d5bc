/* SPDX-License-Identifier: ISC */
/*
 * http_conn.c: a listener and its HTTP/1.1 connections, ours from accept
 * to close (see http_conn.h for what the owner sees).
 *
 * Who owns what.  The listener owns its connections (a list) and the
 * descriptors it keeps in reserve.  A connection owns its bufferevent
 * (and through it the socket), its parser, its timers and its buffers.
 * The owner borrows a conn from ops->request to its answer or
 * ops->closed, whichever comes first.
 *
 * States.  IDLE: no byte of a request yet, the idle timer runs.  READING:
 * the first byte came, the read deadline runs from it and is never pushed
 * back.  HANDLING: the request is the owner's; the parser is not fed and
 * the input is bounded by a high read watermark; reading goes on so that
 * EOF is seen.  CLOSING: http_conn_close ran; what comes in is dropped,
 * what is queued goes out, the linger timer bounds it all.
 *
 * Reading.  A plain socket is read here (http_conn_sock_read_cb), not by
 * its bufferevent: libevent 2.1's evbuffer_read asks the kernel how much
 * is waiting (ioctl FIONREAD) before every read and reads 4096 bytes at
 * most, one system call per request more than the read itself (issue 20).
 * One read(2) per wake-up goes into the bufferevent's input buffer,
 * bounded by in_cap as its read watermark bounds a TLS connection's; the
 * event is off while the input is at the bound and back on once the
 * parser takes from it.  The bufferevent writes, and reads only on TLS.
 *
 * Writing.  Answers are staged in conn->out and written later in the loop
 * turn that queued them (one event made active), so a reply and the
 * chunks that follow it in one callback leave in one system call.  On a
 * plain socket whose bufferevent has nothing queued, the staged bytes are
 * written straight to the socket (evbuffer_write): no round through
 * epoll for the common small answer.  What the socket does not take, and
 * everything on TLS, goes to the bufferevent's output, which writes it as
 * the socket allows.  Order holds: the socket is written directly only
 * when the bufferevent has nothing of ours queued.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "clock.h"
#include "http_conn.h"
#include "http_parse.h"
#include "log.h"
#include "metrics.h"
#include "sockopt.h"
#include "tls.h"
#include "xmalloc.h"

/* Descriptors kept free for the rest of the program when accept fails. */
#define HTTP_CONN_FD_RESERVE		4
/* How long accepting pauses after EMFILE. */
#define HTTP_CONN_ACCEPT_BACKOFF_MS	1000
/* Unacknowledged data for this long means the client is gone (Linux). */
#define HTTP_CONN_TCP_USER_TIMEOUT_MS	60000
/* The headers an owner adds to one answer. */
#define HTTP_CONN_MAX_HEAD		16384
/* Of those, what is kept in the conn itself (the usual one or two
 * headers), the rest in an evbuffer: see http_conn_header. */
#define HTTP_CONN_HEAD_INLINE		256
/* The next pipelined request is parsed once the output is below this. */
#define HTTP_CONN_OUTPUT_LOW		65536
/* What a TLS connection that failed may have left unread, read off
 * before the close. */
#define HTTP_CONN_DISCARD_MAX		65536
/* At most this much is read from a plain socket per wake-up (the
 * bufferevent reads 4096 at most). */
#define HTTP_CONN_READ_MAX		16384
/* The log line's path, and the annotations. */
#define HTTP_CONN_PATH_MAX		128
#define HTTP_CONN_VERB_MAX		16
#define HTTP_CONN_SID_MAX		64
#define HTTP_CONN_METHOD_MAX		64

enum http_conn_state {
	CONN_IDLE,
	CONN_READING,
	CONN_HANDLING,
	CONN_CLOSING,
};

/* What the answer being written is. */
enum http_conn_answer {
	ANSWER_NONE,		/* nothing sent for this request yet */
	ANSWER_CHUNKED,		/* a stream, chunked */
	ANSWER_UNTIL_CLOSE,	/* a stream delimited by the close (1.0) */
	ANSWER_DONE,		/* all queued; the close comes next */
};

struct http_conn {
	struct http_listener	*l;
	struct bufferevent	*bev;
	struct http_parse	*parse;
	/* The owner's headers: the first in hb (hlen bytes), then, from
	 * the first that does not fit there on, in head (written after
	 * hb). */
	char			 hb[HTTP_CONN_HEAD_INLINE];
	size_t			 hlen;
	struct evbuffer		*head;
	struct evbuffer		*out;		/* staged for this turn */
	struct event		*timer;		/* idle, deadline, linger */
	struct event		*later;		/* flush, then go on */
	struct event		*reap;		/* the free, a turn later */
	struct event		*rev;		/* plain: our own reads */
	enum http_conn_state	 state;
	enum http_conn_answer	 answer;
	int			 plain;		/* direct writes allowed */
	int			 in_head;	/* ops->head is running */
	int			 close_after;	/* this answer is the last */
	int			 shut;		/* closing: SHUT_WR done */
	int			 eof;		/* the client's EOF came */
	int			 read_off;	/* plain: input at in_cap */
	const char		*pending;	/* a close later this turn */
	int			 pending_flush;
	int			 reaping;	/* the free is coming */
	int			 unlogged;	/* handled, no log line yet */
	size_t			 in_seen;	/* input length last seen */
	size_t			 in_cap;	/* input bound while handling */

	void			(*watch)(void *);
	void			*watch_arg;

	/* The request, for the access log line. */
	int			 status;
	uint64_t		 start_ms;
	char			 verb[HTTP_CONN_VERB_MAX];	/* GET */
	char			 path[HTTP_CONN_PATH_MAX];
	char			 sid[HTTP_CONN_SID_MAX];
	char			 method[HTTP_CONN_METHOD_MAX]; /* JSON-RPC */
	char			 server[HTTP_CONN_SERVER_MAX + 1];
	const char		*note;		/* static strings only */
	char			 peer[64];

	TAILQ_ENTRY(http_conn)	 entry;
};
TAILQ_HEAD(http_conns, http_conn);

struct http_listener {
	struct event_base	*base;
	struct evconnlistener	*evl;
	struct http_conn_config	 cfg;
	struct http_conn_ops	 ops;
	void			*arg;
	struct event		*retry;
	int			 reserve[HTTP_CONN_FD_RESERVE];
	int			 paused;
	struct http_conns	 conns;
	size_t			 nconns;
	/* The deadlines every connection re-arms at every request, as
	 * libevent's common timeouts (http_listener_tv). */
	struct timeval		 idle_tv;
	struct timeval		 read_tv;
	struct timeval		 linger_tv;
	struct timeval		 write_tv;
};

static void	http_conn_input(struct http_conn *);
static void	http_conn_read_on(struct http_conn *);
static void	http_conn_shut(struct http_conn *, const char *, int);
static void	http_conn_drain(struct http_conn *);
static void	http_conn_reap(struct http_conn *);

/* ---- small things ---- */

static void
http_conn_arm(struct http_conn *conn, const struct timeval *tv)
{
	event_add(conn->timer, tv);
}

/* Flush and go on, later in this loop turn. */
static void
http_conn_later(struct http_conn *conn)
{
	event_active(conn->later, EV_TIMEOUT, 1);
}

static size_t
http_conn_queued(const struct http_conn *conn)
{
	return evbuffer_get_length(conn->out) +
	    evbuffer_get_length(bufferevent_get_output(conn->bev));
}

/* The Date header's value, formatted once a second. */
static const char *
http_conn_date(void)
{
	static char	date[64];
	static time_t	when = (time_t)-1;
	struct tm	tm;
	time_t		now;

	now = time(NULL);
	if (now != when) {
		if (gmtime_r(&now, &tm) == NULL || strftime(date, sizeof date,
		    "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
			snprintf(date, sizeof date,
			    "Thu, 01 Jan 1970 00:00:00 GMT");
		when = now;
	}
	return date;
}

/* The access log line and the status count of the request handled. */
static void
http_conn_log(struct http_conn *conn, int status, const char *note)
{
	struct log_request	lr;

	if (conn->l->cfg.quiet)
		goto done;
	metrics_http_status(status);
	memset(&lr, 0, sizeof lr);
	lr.http_method = conn->verb[0] == '\0' ? NULL : conn->verb;
	lr.path = conn->path[0] == '\0' ? "-" : conn->path;
	lr.status = status;
	lr.latency_ms = (unsigned long)(clock_ms() - conn->start_ms);
	lr.session = conn->sid[0] == '\0' ? NULL : conn->sid;
	lr.method = conn->method[0] == '\0' ? NULL : conn->method;
	lr.peer = conn->peer;
	lr.note = note != NULL ? note : conn->note;
	lr.server = conn->server[0] == '\0' ? NULL : conn->server;
	log_request(&lr);
done:
	conn->verb[0] = conn->path[0] = conn->sid[0] = conn->method[0] = '\0';
	conn->server[0] = '\0';
	conn->note = NULL;
	conn->status = 0;
	conn->unlogged = 0;
}

/* src into dst of size bytes, cut to fit and NUL-terminated, as
 * snprintf "%s" would, without a printf for every request's log fields
 * (three of them were 2% of a call's instructions, issue 20). */
static void
http_conn_copy(char *dst, size_t size, const char *src)
{
	size_t	n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The request's method and path, for its log line. */
static void
http_conn_name(struct http_conn *conn)
{
	const char	*target = http_parse_target(conn->parse);
	size_t		 n;

	http_conn_copy(conn->verb, sizeof conn->verb,
	    http_parse_method(conn->parse));
	n = strcspn(target, "?");
	if (n >= sizeof conn->path)
		n = sizeof conn->path - 1;
	memcpy(conn->path, target, n);
	conn->path[n] = '\0';
}

/* ---- writing ---- */

/*
 * Moves what is staged towards the socket: straight to it when nothing
 * is queued before (plain only), the rest to the bufferevent.  0, or -1
 * if the socket failed (the conn is then closing or reaped).
 */
static int
http_conn_flush(struct http_conn *conn)
{
	struct evbuffer	*bout = bufferevent_get_output(conn->bev);
	evutil_socket_t	 fd;
	int		 n, error;

	if (evbuffer_get_length(conn->out) == 0)
		return 0;
	if (conn->plain && evbuffer_get_length(bout) == 0 &&
	    (fd = bufferevent_getfd(conn->bev)) != -1) {
		n = evbuffer_write(conn->out, fd);
		error = errno;
		if (n > 0 && !conn->l->cfg.quiet)
			metrics.bytes_out += (uint64_t)n;
		else if (n == -1 && error != EAGAIN && error != EWOULDBLOCK &&
		    error != EINTR) {
			evbuffer_drain(conn->out,
			    evbuffer_get_length(conn->out));
			http_conn_shut(conn, "write failed", 0);
			return -1;
		}
	}
	if (evbuffer_get_length(conn->out) > 0) {
		bufferevent_enable(conn->bev, EV_WRITE);
		bufferevent_write_buffer(conn->bev, conn->out);
	}
	return 0;
}

/* Bytes the bufferevent wrote for us. */
static void
http_conn_sent(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	metrics.bytes_out += info->n_deleted;
}

/*
 * A close the owner did not call for (the answer was the last, the
 * client reads too slowly), made later in this turn: ops->closed does
 * not run inside the owner's own call to reply or write.
 */
static void
http_conn_close_later(struct http_conn *conn, const char *why, int flush)
{
	conn->answer = ANSWER_DONE;
	if (conn->pending != NULL)
		return;
	conn->pending = why;
	conn->pending_flush = flush;
	http_conn_later(conn);
}

/* Queued too much: the client does not read. */
static int
http_conn_over(struct http_conn *conn)
{
	if (http_conn_queued(conn) <= conn->l->cfg.max_output)
		return 0;
	http_conn_close_later(conn, "output over the limit", 0);
	return 1;
}

/*
 * A small piece of an answer's head, assembled in place and appended to
 * the output at once: every evbuffer_add costs a call and a length check,
 * and an answer's head was a dozen of them (issue 20).
 */
struct http_conn_piece {
	char	b[256];
	size_t	len;
};

/* s (len bytes) onto the piece, or straight to out once it is full. */
static void
http_conn_piece_add(struct http_conn_piece *pc, struct evbuffer *out,
    const char *s, size_t len)
{
	if (len > sizeof pc->b - pc->len) {
		evbuffer_add(out, pc->b, pc->len);
		pc->len = 0;
		if (len > sizeof pc->b) {
			evbuffer_add(out, s, len);
			return;
		}
	}
	memcpy(pc->b + pc->len, s, len);
	pc->len += len;
}

/* v in decimal: a few digits cost less than a printf, and every answer
 * has a status and a length (issue 20). */
static void
http_conn_piece_num(struct http_conn_piece *pc, struct evbuffer *out,
    unsigned long v)
{
	char	d[24];
	size_t	i = sizeof d;

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	http_conn_piece_add(pc, out, d + i, sizeof d - i);
}

static void
http_conn_piece_out(struct http_conn_piece *pc, struct evbuffer *out)
{
	evbuffer_add(out, pc->b, pc->len);
	pc->len = 0;
}

/* The status line, Date and the owner's headers, onto pc (the owner's
 * headers go to the output, after what pc held). */
static void
http_conn_head_out(struct http_conn *conn, struct http_conn_piece *pc,
    int status, const char *reason)
{
	const char	*date = http_conn_date();

	pc->len = 0;
	http_conn_piece_add(pc, conn->out, http_parse_minor(conn->parse) ==
	    0 ? "HTTP/1.0 " : "HTTP/1.1 ", 9);
	http_conn_piece_num(pc, conn->out, status < 0 ? 0 :
	    (unsigned long)status);
	http_conn_piece_add(pc, conn->out, " ", 1);
	if (reason != NULL)
		http_conn_piece_add(pc, conn->out, reason, strlen(reason));
	http_conn_piece_add(pc, conn->out, "\r\nDate: ", 8);
	http_conn_piece_add(pc, conn->out, date, strlen(date));
	http_conn_piece_add(pc, conn->out, "\r\n", 2);
	http_conn_piece_add(pc, conn->out, conn->hb, conn->hlen);
	conn->hlen = 0;
	if (evbuffer_get_length(conn->head) > 0) {
		http_conn_piece_out(pc, conn->out);
		evbuffer_add_buffer(conn->out, conn->head);
	}
}

/* The connection header this answer needs, if any. */
static void
http_conn_connection(struct http_conn *conn, struct http_conn_piece *pc)
{
	if (conn->close_after)
		http_conn_piece_add(pc, conn->out, "Connection: close\r\n",
		    19);
	else if (http_parse_minor(conn->parse) == 0)
		http_conn_piece_add(pc, conn->out,
		    "Connection: keep-alive\r\n", 24);
}

/* ---- the request cycle ---- */

/* Back to waiting for a request; one may be buffered already. */
static void
http_conn_idle(struct http_conn *conn)
{
	http_parse_reset(conn->parse);
	conn->state = CONN_IDLE;
	conn->answer = ANSWER_NONE;
	conn->close_after = 0;
	http_conn_arm(conn, &conn->l->idle_tv);
	http_conn_later(conn);
}

/* The answer is queued whole: log it, then the next request or the end. */
static void
http_conn_finish(struct http_conn *conn)
{
	http_conn_log(conn, conn->status, NULL);
	if (conn->close_after)
		http_conn_close_later(conn, "last answer", 1);
	else
		http_conn_idle(conn);
}

/*
 * The head is in: Expect, then the owner's look.  0 to go on with the
 * body, -1 if the request was answered or the conn is closing.
 */
static int
http_conn_head(struct http_conn *conn)
{
	const struct http_listener	*l = conn->l;
	struct evbuffer			*in;
	int				 expect, body;

	in = bufferevent_get_input(conn->bev);
	http_conn_name(conn);
	expect = http_parse_expect(conn->parse);
	body = http_parse_chunked(conn->parse) ||
	    http_parse_content_length(conn->parse) > 0;
	/* As evhttp 2.1 (evhttp_get_body): an expectation matters only
	 * for a body to come, and only from HTTP/1.1. */
	if (expect == HTTP_PARSE_EXPECT_OTHER && body &&
	    http_parse_minor(conn->parse) >= 1) {
		http_conn_refuse(conn, 417, "unknown expectation");
		return -1;
	}
	if (l->ops.head != NULL) {
		conn->in_head = 1;
		l->ops.head(conn, l->arg);
		conn->in_head = 0;
		if (conn->state != CONN_READING ||
		    conn->answer != ANSWER_NONE)
			return -1;	/* answered (and closing) */
	}
	/* A client waiting for our word before its body; not when some of
	 * it came already. */
	if (expect == HTTP_PARSE_EXPECT_CONTINUE && body &&
	    evbuffer_get_length(in) == 0) {
		evbuffer_add(conn->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		http_conn_later(conn);
	}
	return 0;
}

/* Parser errors: the status, and today's log notes for them. */
static void
http_conn_parse_error(struct http_conn *conn)
{
	int		 status = http_parse_status(conn->parse);
	const char	*cause = http_parse_cause(conn->parse);

	if (conn->path[0] == '\0' && http_parse_target(conn->parse)[0] != '\0')
		http_conn_name(conn);
	if (status == 400 || status == 501)
		conn->note = "bad request framing";
	else if (status == 431)
		conn->note = cause;
	else
		conn->note = "refused by the HTTP parser";
	http_conn_refuse(conn, status, cause);
}

/*
 * Feeds the parser what is buffered, a slice at a time, until a request
 * is complete (handed to the owner), the input runs out, or an error.
 */
static void
http_conn_input(struct http_conn *conn)
{
	static const char		 none[1];
	const struct http_listener	*l = conn->l;
	struct evbuffer			*in;
	struct evbuffer_iovec		 v;
	enum http_parse_event		 ev;
	size_t				 used;
	int				 n;

	in = bufferevent_get_input(conn->bev);
	while ((conn->state == CONN_IDLE || conn->state == CONN_READING) &&
	    conn->pending == NULL) {
		if ((n = evbuffer_peek(in, -1, NULL, &v, 1)) < 1) {
			v.iov_base = (void *)none;
			v.iov_len = 0;
		}
		ev = http_parse_feed(conn->parse, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (conn->state == CONN_IDLE &&
		    http_parse_consumed(conn->parse) > 0) {
			/* The deadline runs from the first byte. */
			conn->state = CONN_READING;
			conn->start_ms = clock_ms();
			http_conn_arm(conn, &l->read_tv);
		}
		switch (ev) {
		case HTTP_PARSE_MORE:
			if (n < 1 || evbuffer_get_length(in) == 0)
				goto out;
			break;
		case HTTP_PARSE_HEAD:
			if (http_conn_head(conn) == -1)
				goto out;
			break;
		case HTTP_PARSE_DONE:
			event_del(conn->timer);
			conn->state = CONN_HANDLING;
			conn->answer = ANSWER_NONE;
			conn->unlogged = 1;
			if (conn->path[0] == '\0')
				http_conn_name(conn);
			if (!http_parse_keep_alive(conn->parse))
				conn->close_after = 1;
			l->ops.request(conn, l->arg);
			goto out;
		case HTTP_PARSE_ERROR:
			http_conn_parse_error(conn);
			goto out;
		}
	}
out:
	conn->in_seen = evbuffer_get_length(in);
	http_conn_read_on(conn);
}

/* Later in the turn that queued something: write it, then go on. */
static void
http_conn_later_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http_conn	*conn = arg;
	const char		*why;

	if (conn->reaping)
		return;
	if ((why = conn->pending) != NULL) {
		conn->pending = NULL;
		http_conn_shut(conn, why, conn->pending_flush);
		return;
	}
	if (http_conn_flush(conn) == -1)
		return;
	if (conn->state == CONN_CLOSING) {
		http_conn_drain(conn);
		return;
	}
	if (conn->state == CONN_IDLE && http_conn_queued(conn) <=
	    HTTP_CONN_OUTPUT_LOW &&
	    evbuffer_get_length(bufferevent_get_input(conn->bev)) > 0)
		http_conn_input(conn);
}

/* ---- callbacks ---- */

static void
http_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn	*conn = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	size_t			 len = evbuffer_get_length(in);

	if (len > conn->in_seen && !conn->l->cfg.quiet)
		metrics.bytes_in += len - conn->in_seen;
	conn->in_seen = len;
	switch (conn->state) {
	case CONN_CLOSING:
		/* Read to the end, so that closing resets nothing. */
		evbuffer_drain(in, len);
		conn->in_seen = 0;
		return;
	case CONN_HANDLING:
		/* Kept for later; a plain socket is read no further than
		 * in_cap, a TLS one may overrun it by a record. */
		if (len > 2 * conn->in_cap)
			http_conn_shut(conn, "input over the limit", 0);
		return;
	case CONN_IDLE:
		if (http_conn_queued(conn) > HTTP_CONN_OUTPUT_LOW)
			return;	/* parsed once the output drains */
		/* FALLTHROUGH */
	case CONN_READING:
		http_conn_input(conn);
		return;
	}
}

static void
http_conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn	*conn = arg;

	/* The output went below HTTP_CONN_OUTPUT_LOW (or out). */
	if (conn->state == CONN_CLOSING) {
		http_conn_drain(conn);
		return;
	}
	if (conn->state == CONN_IDLE &&
	    evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		http_conn_later(conn);
}

static void
http_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn	*conn = arg;
	const char		*why;

	/* BEV_EVENT_CONNECTED: the TLS handshake is done; nothing to do. */
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)))
		return;
	if (what & BEV_EVENT_EOF)
		conn->eof = 1;	/* the bufferevent reads no more */
	if (what & BEV_EVENT_TIMEOUT) {
		http_conn_shut(conn, "write timeout", 0);
		return;
	}
	if (conn->state == CONN_CLOSING) {
		/* EOF: the client is done; an error: it is gone.  Either
		 * way, unless output is still going to a half-closed
		 * client, this is the end. */
		if ((what & BEV_EVENT_ERROR) || http_conn_queued(conn) == 0)
			http_conn_reap(conn);
		return;
	}
	if (conn->state == CONN_HANDLING)
		why = "client left";	/* by EOF or by a reset */
	else if (what & BEV_EVENT_ERROR)
		why = "connection error";
	else if (conn->state == CONN_READING)
		why = "client closed mid-request";
	else
		why = "client closed";
	/* After EOF a client may still read what is queued for it. */
	http_conn_shut(conn, why, !(what & BEV_EVENT_ERROR));
}

/*
 * A plain socket is readable: one read(2) into the input, as much as
 * the bound leaves room for, then what the bufferevent's read callback
 * would do.  EOF and errors go where the bufferevent would report them.
 */
static void
http_conn_sock_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http_conn	*conn = arg;
	struct evbuffer		*in = bufferevent_get_input(conn->bev);
	char			 buf[HTTP_CONN_READ_MAX];
	size_t			 len = evbuffer_get_length(in), room;
	ssize_t			 n;

	if (len >= conn->in_cap) {
		conn->read_off = 1;
		event_del(conn->rev);
		return;
	}
	room = conn->in_cap - len;
	if (room > sizeof buf)
		room = sizeof buf;
	n = read(fd, buf, room);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		/* The bufferevent reads no more after either. */
		event_del(conn->rev);
		http_conn_event_cb(conn->bev, BEV_EVENT_READING |
		    (n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR), conn);
		return;
	}
	if (evbuffer_add(in, buf, (size_t)n) == -1)
		fatalx("out of memory");
	http_conn_read_cb(conn->bev, conn);
	/* Held (or waiting for the output to drain) with the input full:
	 * the socket waits, as a bufferevent at its watermark would. */
	if (!conn->reaping && !conn->read_off &&
	    evbuffer_get_length(in) >= conn->in_cap) {
		conn->read_off = 1;
		event_del(conn->rev);
	}
}

/* The parser took from the input, or it was dropped: read again if
 * reading waited for that. */
static void
http_conn_read_on(struct http_conn *conn)
{
	if (!conn->read_off || conn->reaping || conn->eof ||
	    evbuffer_get_length(bufferevent_get_input(conn->bev)) >=
	    conn->in_cap)
		return;
	conn->read_off = 0;
	event_add(conn->rev, NULL);
}

/* idle, read deadline, linger */
static void
http_conn_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http_conn	*conn = arg;

	switch (conn->state) {
	case CONN_IDLE:
		http_conn_close(conn, "idle");
		break;
	case CONN_READING:
		if (!conn->l->cfg.quiet)
			metrics.read_timeouts++;
		http_conn_refuse(conn, 408, "read timeout");
		break;
	case CONN_CLOSING:
		http_conn_reap(conn);		/* lingered long enough */
		break;
	case CONN_HANDLING:
		break;
	}
}

/* The one free, on the turn after the close; unlinks, closes the fd. */
static void
http_conn_free(struct http_conn *conn)
{
	struct http_listener	*l = conn->l;
	char			 buf[4096];
	size_t			 left = HTTP_CONN_DISCARD_MAX;
	ssize_t			 n;
	evutil_socket_t		 fd;

	/*
	 * A TLS connection that failed (plain HTTP on the TLS port) is not
	 * read to its end as a plain one is (http_conn_drain): what the
	 * client sent may still be unread, and closing over unread input
	 * sends a reset, which the client takes for a fault of the
	 * network instead of a server that closed.  Read it off, bounded.
	 */
	if (!conn->plain && (fd = bufferevent_getfd(conn->bev)) != -1) {
		while (left > 0 && (n = recv(fd, buf, sizeof buf,
		    MSG_DONTWAIT)) > 0)
			left -= (size_t)n < left ? (size_t)n : left;
	}
	TAILQ_REMOVE(&l->conns, conn, entry);
	l->nconns--;
	if (conn->rev != NULL)
		event_free(conn->rev);	/* before the socket closes */
	bufferevent_free(conn->bev);	/* closes the socket */
	http_parse_free(conn->parse);
	evbuffer_free(conn->head);
	evbuffer_free(conn->out);
	event_free(conn->timer);
	event_free(conn->later);
	event_free(conn->reap);
	free(conn);
}

static void
http_conn_reap_cb(evutil_socket_t fd, short ev, void *arg)
{
	http_conn_free(arg);
}

/* ---- closing ---- */

/* The end: nothing more in or out, the free on a later turn. */
static void
http_conn_reap(struct http_conn *conn)
{
	if (conn->reaping)
		return;
	conn->reaping = 1;
	bufferevent_disable(conn->bev, EV_READ | EV_WRITE);
	if (conn->rev != NULL)
		event_del(conn->rev);
	event_del(conn->timer);
	event_active(conn->reap, EV_TIMEOUT, 1);
}

/*
 * Closing with a flush: once the output is out, shut the socket for
 * writing and read to the client's EOF (the event callback), so that
 * unread input does not turn the close into a reset that loses the
 * answer.  The linger timer bounds it.  TLS ends once flushed.
 */
static void
http_conn_drain(struct http_conn *conn)
{
	evutil_socket_t	fd;

	if (conn->reaping || conn->shut || http_conn_queued(conn) > 0)
		return;
	if (!conn->eof && conn->plain &&
	    (fd = bufferevent_getfd(conn->bev)) != -1 &&
	    shutdown(fd, SHUT_WR) == 0) {
		conn->shut = 1;
		return;
	}
	http_conn_reap(conn);
}

/*
 * The one close path.  The first call tells the watcher and the owner
 * (once), logs a handled request as cut short, drops the input and stops
 * the timers; then with flush the output goes out (http_conn_drain),
 * without it the conn is reaped at once (the socket failed, the client
 * is too slow, or we are shutting down).
 */
static void
http_conn_shut(struct http_conn *conn, const char *why, int flush)
{
	struct http_listener	*l = conn->l;
	struct evbuffer		*in = bufferevent_get_input(conn->bev);
	void			(*cb)(void *);

	if (conn->state == CONN_CLOSING) {
		if (!flush)
			http_conn_reap(conn);
		return;
	}
	if (conn->unlogged)
		http_conn_log(conn, conn->status, why);
	conn->state = CONN_CLOSING;
	conn->pending = NULL;
	event_del(conn->timer);
	/* Below the read watermark again: reading goes on, to the EOF. */
	evbuffer_drain(in, evbuffer_get_length(in));
	conn->in_seen = 0;
	http_conn_read_on(conn);
	log_debug("%s: connection closed (%s)", conn->peer, why);
	if ((cb = conn->watch) != NULL) {
		conn->watch = NULL;
		cb(conn->watch_arg);
	}
	if (l->ops.closed != NULL)
		l->ops.closed(conn, why, l->arg);
	if (!flush) {
		http_conn_reap(conn);
		return;
	}
	http_conn_arm(conn, &l->linger_tv);
	if (http_conn_flush(conn) == -1)
		return;			/* reaped */
	http_conn_drain(conn);
}

void
http_conn_close(struct http_conn *conn, const char *why)
{
	http_conn_shut(conn, why != NULL ? why : "closed", 1);
}

/* ---- the owner's calls ---- */

const struct http_parse *
http_conn_request(const struct http_conn *conn)
{
	return conn->parse;
}

const char *
http_conn_peer(const struct http_conn *conn)
{
	return conn->peer;
}

size_t
http_conn_output_length(const struct http_conn *conn)
{
	return http_conn_queued(conn);
}

void
http_conn_note(struct http_conn *conn, const char *sid,
    const char *rpc_method, const char *note)
{
	if (sid != NULL)
		http_conn_copy(conn->sid, sizeof conn->sid, sid);
	if (rpc_method != NULL)
		http_conn_copy(conn->method, sizeof conn->method, rpc_method);
	if (note != NULL)
		conn->note = note;
}

void
http_conn_note_server(struct http_conn *conn, const char *name)
{
	http_conn_copy(conn->server, sizeof conn->server, name);
}

void
http_conn_watch(struct http_conn *conn, void (*cb)(void *), void *arg)
{
	if (conn->state == CONN_CLOSING)
		return;
	conn->watch = cb;
	conn->watch_arg = cb != NULL ? arg : NULL;
}

/* len bytes onto hb; the caller made room. */
static void
http_conn_head_add(struct http_conn *conn, const char *s, size_t len)
{
	memcpy(conn->hb + conn->hlen, s, len);
	conn->hlen += len;
}

/* The owner's headers, dropped (no answer takes them). */
static void
http_conn_head_drop(struct http_conn *conn)
{
	conn->hlen = 0;
	evbuffer_drain(conn->head, evbuffer_get_length(conn->head));
}

int
http_conn_header(struct http_conn *conn, const char *name, const char *value)
{
	struct http_conn_piece	pc;
	size_t			nlen = strlen(name), vlen = strlen(value);

	if (nlen == 0 || strpbrk(name, "\r\n: \t") != NULL ||
	    strpbrk(value, "\r\n") != NULL ||
	    conn->hlen + evbuffer_get_length(conn->head) + nlen + vlen + 4 >
	    HTTP_CONN_MAX_HEAD) {
		log_warnx("%s: header %s dropped", conn->peer, name);
		return -1;
	}
	if (nlen == 10 && strcasecmp(name, "Connection") == 0 &&
	    strcasecmp(value, "close") == 0) {
		conn->close_after = 1;
		return 0;
	}
	/* Into hb until one does not fit there (from it on, into head,
	 * which is written after hb): an evbuffer_add to the empty head
	 * allocated a chain, moved to the output later, for every answer
	 * (issue 20). */
	if (evbuffer_get_length(conn->head) == 0 &&
	    nlen + vlen + 4 <= sizeof conn->hb - conn->hlen) {
		http_conn_head_add(conn, name, nlen);
		http_conn_head_add(conn, ": ", 2);
		http_conn_head_add(conn, value, vlen);
		http_conn_head_add(conn, "\r\n", 2);
		return 0;
	}
	pc.len = 0;
	http_conn_piece_add(&pc, conn->head, name, nlen);
	http_conn_piece_add(&pc, conn->head, ": ", 2);
	http_conn_piece_add(&pc, conn->head, value, vlen);
	http_conn_piece_add(&pc, conn->head, "\r\n", 2);
	http_conn_piece_out(&pc, conn->head);
	return 0;
}

/* May the owner answer now? */
static int
http_conn_answerable(const struct http_conn *conn)
{
	if (conn->answer != ANSWER_NONE)
		return 0;
	return conn->state == CONN_HANDLING ||
	    (conn->state == CONN_READING && conn->in_head);
}

void
http_conn_reply(struct http_conn *conn, int status, const char *reason,
    const char *body, size_t len)
{
	struct http_conn_piece	pc;
	int			bodiless;

	if (!http_conn_answerable(conn)) {
		http_conn_head_drop(conn);
		return;
	}
	if (conn->in_head)
		conn->close_after = 1;	/* the body stays unread */
	conn->status = status;
	bodiless = status < 200 || status == 204 || status == 304;
	http_conn_head_out(conn, &pc, status, reason);
	if (!bodiless) {
		http_conn_piece_add(&pc, conn->out, "Content-Length: ", 16);
		http_conn_piece_num(&pc, conn->out, len);
		http_conn_piece_add(&pc, conn->out, "\r\n", 2);
	}
	http_conn_connection(conn, &pc);
	http_conn_piece_add(&pc, conn->out, "\r\n", 2);
	http_conn_piece_out(&pc, conn->out);
	if (!bodiless && len > 0 &&
	    strcmp(http_parse_method(conn->parse), "HEAD") != 0)
		evbuffer_add(conn->out, body, len);
	http_conn_later(conn);
	if (http_conn_over(conn))
		return;
	http_conn_finish(conn);
}

/* What each refusal says: reason phrase, JSON-RPC code, message. */
static void
http_conn_refusal_text(int *status, const char **reason, int *code,
    const char **message)
{
	*code = -32000;
	switch (*status) {
	case 408:
		*reason = *message = "Request Timeout";
		break;
	case 413:
		*reason = "Payload Too Large";
		*code = -32600;
		*message = "Request body too large";
		break;
	case 414:
		*reason = *message = "URI Too Long";
		break;
	case 417:
		*reason = *message = "Expectation Failed";
		break;
	case 431:
		*reason = "Request Header Fields Too Large";
		*message = "Request header fields too large";
		break;
	case 501:
		*reason = *message = "Not Implemented";
		break;
	case 505:
		*reason = *message = "HTTP Version Not Supported";
		break;
	default:
		*status = 400;
		*reason = *message = "Bad Request";
		break;
	}
}

void
http_conn_refuse(struct http_conn *conn, int status, const char *why)
{
	struct evbuffer	*body;
	const char	*reason, *message, *c;
	int		 code;

	if (conn->state == CONN_CLOSING)
		return;
	if (conn->answer != ANSWER_NONE) {
		http_conn_close(conn, why);	/* a stream is under way */
		return;
	}
	http_conn_refusal_text(&status, &reason, &code, &message);
	body = evbuffer_new();
	if (body == NULL)
		fatalx("out of memory");
	evbuffer_add_printf(body, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
	    "{\"code\":%d,\"message\":\"%s", code, message);
	/* The detail of 400 and 501, JSON-escaped the simple way. */
	if ((status == 400 || status == 501) && why != NULL) {
		evbuffer_add(body, ": ", 2);
		for (c = why; *c != '\0'; c++) {
			if (*c == '"' || *c == '\\')
				evbuffer_add(body, "\\", 1);
			if ((unsigned char)*c >= 0x20)
				evbuffer_add(body, c, 1);
		}
	}
	evbuffer_add(body, "\"}}", 3);
	http_conn_head_drop(conn);
	evbuffer_add_printf(conn->out, "HTTP/1.1 %d %s\r\nDate: %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, reason, http_conn_date(),
	    evbuffer_get_length(body));
	evbuffer_add_buffer(conn->out, body);
	evbuffer_free(body);
	http_conn_log(conn, status, conn->note != NULL ? conn->note : why);
	http_conn_close(conn, why);
}

void
http_conn_stream_start(struct http_conn *conn, int status, const char *reason)
{
	struct http_conn_piece	pc;

	if (!http_conn_answerable(conn) || conn->in_head) {
		http_conn_head_drop(conn);
		return;
	}
	conn->status = status;
	http_conn_head_out(conn, &pc, status, reason);
	if (http_parse_minor(conn->parse) >= 1) {
		conn->answer = ANSWER_CHUNKED;
		http_conn_piece_add(&pc, conn->out,
		    "Transfer-Encoding: chunked\r\n", 28);
	} else {
		conn->answer = ANSWER_UNTIL_CLOSE;
		conn->close_after = 1;
	}
	http_conn_connection(conn, &pc);
	http_conn_piece_add(&pc, conn->out, "\r\n", 2);
	http_conn_piece_out(&pc, conn->out);
	http_conn_later(conn);
	http_conn_over(conn);
}

void
http_conn_stream_write(struct http_conn *conn, struct evbuffer *buf)
{
	size_t	len = evbuffer_get_length(buf);

	if (conn->state != CONN_HANDLING || (conn->answer != ANSWER_CHUNKED &&
	    conn->answer != ANSWER_UNTIL_CLOSE)) {
		evbuffer_drain(buf, len);
		return;
	}
	if (len == 0)
		return;		/* a 0 chunk would end the stream */
	if (conn->answer == ANSWER_CHUNKED)
		evbuffer_add_printf(conn->out, "%zx\r\n", len);
	evbuffer_add_buffer(conn->out, buf);
	if (conn->answer == ANSWER_CHUNKED)
		evbuffer_add(conn->out, "\r\n", 2);
	http_conn_later(conn);
	http_conn_over(conn);
}

void
http_conn_stream_end(struct http_conn *conn)
{
	if (conn->state != CONN_HANDLING || (conn->answer != ANSWER_CHUNKED &&
	    conn->answer != ANSWER_UNTIL_CLOSE))
		return;
	if (conn->answer == ANSWER_CHUNKED)
		evbuffer_add(conn->out, "0\r\n\r\n", 5);
	http_conn_later(conn);
	http_conn_finish(conn);
}

/* ---- accepting ---- */

static void
http_listener_reserve(struct http_listener *l)
{
	int	i;

	for (i = 0; i < HTTP_CONN_FD_RESERVE; i++) {
		if (l->reserve[i] == -1)
			l->reserve[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
}

static int
http_listener_reserve_full(const struct http_listener *l)
{
	int	i;

	for (i = 0; i < HTTP_CONN_FD_RESERVE; i++) {
		if (l->reserve[i] == -1)
			return 0;
	}
	return 1;
}

static void
http_listener_release(struct http_listener *l)
{
	int	i;

	for (i = 0; i < HTTP_CONN_FD_RESERVE; i++) {
		if (l->reserve[i] != -1)
			close(l->reserve[i]);
		l->reserve[i] = -1;
	}
}

static void
http_listener_backoff(struct http_listener *l)
{
	struct timeval	tv;

	clock_tv(&tv, HTTP_CONN_ACCEPT_BACKOFF_MS);
	event_add(l->retry, &tv);
}

static void
http_listener_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct http_listener	*l = arg;

	http_listener_reserve(l);
	if (!http_listener_reserve_full(l)) {
		http_listener_backoff(l);
		return;
	}
	if (l->paused)
		return;
	log_info("accepting connections again");
	evconnlistener_enable(l->evl);
}

/*
 * accept() failed for a reason other than "try again": out of
 * descriptors, most likely.  Give the reserve back to the rest of the
 * program, stop accepting and try again later.
 */
static void
http_listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct http_listener	*l = arg;
	int			 error = EVUTIL_SOCKET_ERROR();

	errno = error;
	log_warn("accept");
	evconnlistener_disable(evl);
	http_listener_release(l);
	http_listener_backoff(l);
}

static void
http_listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct http_listener	*l = arg;
	struct http_conn	*conn;
	struct bufferevent	*bev;
	int			 on = 1;

	/* A client that vanishes without closing is found when keep-alive
	 * probes go unanswered. */
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		(void)sockopt_user_timeout(fd, HTTP_CONN_TCP_USER_TIMEOUT_MS);
	if (l->cfg.tls != NULL) {
		if ((bev = tls_bufferevent(l->cfg.tls, l->base)) != NULL &&
		    bufferevent_setfd(bev, fd) == -1) {
			bufferevent_free(bev);
			bev = NULL;
		}
	} else
		bev = bufferevent_socket_new(l->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		log_warnx("cannot make a bufferevent for a connection");
		evutil_closesocket(fd);
		return;
	}
	if (!l->cfg.quiet)
		metrics.connections++;
	conn = xcalloc(1, sizeof *conn);
	conn->l = l;
	conn->bev = bev;
	conn->plain = l->cfg.tls == NULL;
	conn->parse = http_parse_new(&l->cfg.parse);
	if ((conn->head = evbuffer_new()) == NULL ||
	    (conn->out = evbuffer_new()) == NULL)
		fatalx("out of memory");
	conn->timer = evtimer_new(l->base, http_conn_timer_cb, conn);
	conn->later = event_new(l->base, -1, 0, http_conn_later_cb, conn);
	conn->reap = event_new(l->base, -1, 0, http_conn_reap_cb, conn);
	if (conn->timer == NULL || conn->later == NULL || conn->reap == NULL)
		fatalx("out of memory");
	if (getnameinfo(sa, (socklen_t)salen, conn->peer, sizeof conn->peer,
	    NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(conn->peer, sizeof conn->peer, "-");
	conn->in_cap = l->cfg.parse.max_request_line +
	    l->cfg.parse.max_header_bytes;
	TAILQ_INSERT_TAIL(&l->conns, conn, entry);
	l->nconns++;

	bufferevent_setcb(bev, http_conn_read_cb, http_conn_write_cb,
	    http_conn_event_cb, conn);
	if (conn->plain) {
		conn->rev = event_new(l->base, fd, EV_READ | EV_PERSIST,
		    http_conn_sock_read_cb, conn);
		if (conn->rev == NULL)
			fatalx("out of memory");
		/* A bufferevent keeps its input's end frozen but while it
		 * reads itself; it never does here. */
		evbuffer_unfreeze(bufferevent_get_input(bev), 0);
	} else
		bufferevent_setwatermark(bev, EV_READ, 0, conn->in_cap);
	bufferevent_setwatermark(bev, EV_WRITE, HTTP_CONN_OUTPUT_LOW, 0);
	if (l->cfg.write_timeout_ms > 0)
		bufferevent_set_timeouts(bev, NULL, &l->write_tv);
	if (!l->cfg.quiet)
		evbuffer_add_cb(bufferevent_get_output(bev), http_conn_sent,
		    conn);
	/*
	 * Writing is enabled once there is something for the bufferevent
	 * to write (http_conn_flush): a socket bufferevent enabled for it
	 * with nothing queued asks epoll for EPOLLOUT and is woken for
	 * nothing.  TLS writes from the start: the handshake.  A plain
	 * socket is read by conn->rev, not by the bufferevent.
	 */
	if (conn->plain)
		event_add(conn->rev, NULL);
	else
		bufferevent_enable(bev, EV_READ | EV_WRITE);
	conn->state = CONN_IDLE;
	http_conn_arm(conn, &l->idle_tv);
}

/* ---- the listener ---- */

/*
 * tv for a deadline of ms that every connection re-arms at every request:
 * a libevent common timeout, whose events wait in a queue in the order
 * they were added (constant time) rather than in the timer heap
 * (logarithmic), when libevent can make one; else the plain value.
 */
static void
http_listener_tv(struct http_listener *l, uint64_t ms, struct timeval *tv)
{
	const struct timeval	*common;

	clock_tv(tv, ms);
	if (ms > 0 &&
	    (common = event_base_init_common_timeout(l->base, tv)) != NULL)
		*tv = *common;
}

static void
http_listener_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit");
}

struct http_listener *
http_listener_new(struct event_base *base, const char *host, int port,
    const struct http_conn_config *cfg, const struct http_conn_ops *ops,
    void *arg)
{
	struct http_listener	*l;
	struct addrinfo		 hints, *res = NULL;
	char			 service[16];
	int			 i, rc, error;

	if (port < 0 || port > 65535 || ops->request == NULL) {
		errno = EINVAL;
		return NULL;
	}
	http_listener_raise_nofile();
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(service, sizeof service, "%d", port);
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0) {
		if (rc != EAI_SYSTEM)
			errno = EADDRNOTAVAIL;
		return NULL;
	}

	l = xcalloc(1, sizeof *l);
	l->base = base;
	l->cfg = *cfg;
	if (l->cfg.linger_ms == 0)
		l->cfg.linger_ms = HTTP_CONN_LINGER_MS;
	if (l->cfg.max_output == 0)
		l->cfg.max_output = HTTP_CONN_MAX_OUTPUT;
	http_listener_tv(l, l->cfg.idle_timeout_ms, &l->idle_tv);
	http_listener_tv(l, l->cfg.read_timeout_ms, &l->read_tv);
	http_listener_tv(l, l->cfg.linger_ms, &l->linger_tv);
	http_listener_tv(l, l->cfg.write_timeout_ms, &l->write_tv);
	l->ops = *ops;
	l->arg = arg;
	TAILQ_INIT(&l->conns);
	for (i = 0; i < HTTP_CONN_FD_RESERVE; i++)
		l->reserve[i] = -1;
	if ((l->retry = evtimer_new(base, http_listener_retry_cb, l)) == NULL)
		fatalx("out of memory");
	l->evl = evconnlistener_new_bind(base, http_listener_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    -1, res->ai_addr, (int)res->ai_addrlen);
	error = errno;
	freeaddrinfo(res);
	if (l->evl == NULL) {
		event_free(l->retry);
		free(l);
		errno = error;
		return NULL;
	}
	evconnlistener_set_error_cb(l->evl, http_listener_error_cb);
	http_listener_reserve(l);
	return l;
}

int
http_listener_address(const struct http_listener *l,
    struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof *ss;
	return getsockname(evconnlistener_get_fd(l->evl),
	    (struct sockaddr *)ss, len);
}

void
http_listener_set_tls(struct http_listener *l, struct tls *tls)
{
	l->cfg.tls = tls;
}

void
http_listener_pause(struct http_listener *l)
{
	l->paused = 1;
	evconnlistener_disable(l->evl);
}

size_t
http_listener_count(const struct http_listener *l)
{
	return l->nconns;
}

void
http_listener_free(struct http_listener *l)
{
	struct http_conn	*conn;

	if (l == NULL)
		return;
	/* Told first, all of them, then freed: a callback may look at
	 * another connection. */
	TAILQ_FOREACH(conn, &l->conns, entry)
		http_conn_shut(conn, "shutting down", 0);
	while ((conn = TAILQ_FIRST(&l->conns)) != NULL)
		http_conn_free(conn);
	evconnlistener_free(l->evl);
	event_free(l->retry);
	http_listener_release(l);
	free(l);
}
