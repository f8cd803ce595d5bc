/* SPDX-License-Identifier: ISC */
/*
 * http_conn.h: the HTTP/1.1 connections of a listener, owned by us from
 * accept to close: bufferevents (plain or TLS) and http_parse, no evhttp.
 *
 * A connection carries one request at a time.  It reads and parses a
 * request, hands it to its owner (ops->request) and waits for the answer:
 * a whole reply, or a stream (chunked) for SSE.  Meanwhile the parser is
 * not fed: pipelined bytes wait in the input, bounded, and are parsed once
 * the answer is queued.  It still reads, so a client that leaves while its
 * request is held is noticed and reported (ops->closed).
 *
 * The connection refuses by itself, with a JSON-RPC error body and
 * Connection: close, what it cannot read: 400 413 414 431 501 505 from the
 * parser, 408 past the read deadline (counted from the first byte of a
 * request, not reset by later ones), 417 for an Expect it cannot meet.
 * An idle connection is closed quietly.
 *
 * Every close goes through http_conn_close: the callbacks are told once,
 * what is queued is written, then the socket is shut for writing and
 * read to its end for a bounded time (so a refusal is not lost to a reset
 * from unread input), then freed on a later loop turn.  Nothing is freed
 * in a caller's stack: a conn stays valid until the callback that closed
 * it has returned.
 */
#ifndef MCPBRIDGE_HTTP_CONN_H
#define MCPBRIDGE_HTTP_CONN_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"

struct event_base;
struct evbuffer;
struct http_conn;
struct http_listener;
struct tls;

/* A connection queuing more output than this is closed (default). */
#define HTTP_CONN_MAX_OUTPUT	(64UL * 1024 * 1024)
/* What a closing connection gets to deliver its output (default). */
#define HTTP_CONN_LINGER_MS	2000

struct http_conn_config {
	struct http_parse_limits parse;
	/* First byte -> request in, or 408. */
	uint64_t	 read_timeout_ms;
	/* No byte of a request for this long: closed quietly. */
	uint64_t	 idle_timeout_ms;
	/* Output not moving for this long: closed (0: never). */
	uint64_t	 write_timeout_ms;
	/* What a closing connection gets (0: HTTP_CONN_LINGER_MS). */
	uint64_t	 linger_ms;
	/* Queued output past this: closed (0: HTTP_CONN_MAX_OUTPUT). */
	size_t		 max_output;
	struct tls	*tls;		/* NULL: plain HTTP */
	/* No access log line and nothing counted in metrics (the
	 * --metrics-listen port: scrapes are not traffic). */
	int		 quiet;
};

/* The owner's callbacks; arg is the listener's. */
struct http_conn_ops {
	/*
	 * Optional: the head of a request is in (http_conn_request), its
	 * body not yet.  The owner may answer now (a 401 before a large
	 * body): the connection then closes after the answer, the body
	 * unread.  Returning does nothing else.
	 */
	void	(*head)(struct http_conn *, void *arg);
	/* A complete request.  Answer with http_conn_reply or a stream,
	 * now or later; nothing else is read meanwhile. */
	void	(*request)(struct http_conn *, void *arg);
	/*
	 * Optional: the connection closes (why: "client left", "idle",
	 * "read timeout", the owner's own...).  Called once per accepted
	 * connection: from inside http_conn_close or http_conn_refuse
	 * when the owner calls them, else from the loop (never inside
	 * the owner's reply or write).  The conn is valid until the
	 * callback returns; every call on it is then a no-op.
	 */
	void	(*closed)(struct http_conn *, const char *why, void *arg);
};

/*
 * Listens on host (NULL: any) and port (0: any free one).  Raises
 * RLIMIT_NOFILE to the hard limit, keeps a few descriptors in reserve and
 * backs off when accept runs out of them.  NULL with errno set.  The
 * config and the ops are copied.
 */
struct http_listener *http_listener_new(struct event_base *,
		    const char *host, int port, const struct http_conn_config *,
		    const struct http_conn_ops *, void *arg);
/* The address bound (port 0 resolved); -1 with errno. */
int		 http_listener_address(const struct http_listener *,
		    struct sockaddr_storage *, socklen_t *);
/* The TLS context for connections accepted from now on (a reload); the
 * ones up keep theirs.  Not NULL on a TLS listener. */
void		 http_listener_set_tls(struct http_listener *, struct tls *);
/* Stops accepting for good (draining); the connections stay. */
void		 http_listener_pause(struct http_listener *);
/* Connections open, closing ones included (the gauge). */
size_t		 http_listener_count(const struct http_listener *);
/* Closes every connection ("shutting down": ops->closed, no flush) and
 * frees them now.  Not from inside one of this listener's callbacks. */
void		 http_listener_free(struct http_listener *);

/* The request, from ops->head or ops->request until it is answered: a
 * keep-alive reply resets it at once, so read it before answering. */
const struct http_parse *http_conn_request(const struct http_conn *);
/* The client's address, numeric. */
const char	*http_conn_peer(const struct http_conn *);

/*
 * A header for the answer being made (reply or stream head).  -1 if the
 * name or value holds a line break or the head would grow past its bound
 * (the header is dropped).  "Connection: close" is taken as a wish: the
 * connection closes after this answer.  Date, Content-Length,
 * Transfer-Encoding and Connection are the connection's to write.
 */
int		 http_conn_header(struct http_conn *, const char *name,
		    const char *value);

/* A whole answer: status line, Date, the headers, Content-Length and the
 * body (none for HEAD, 1xx, 204, 304).  Then the next request. */
void		 http_conn_reply(struct http_conn *, int status,
		    const char *reason, const char *body, size_t len);

/*
 * The one answer for what the connection will not serve: 400 408 413 414
 * 417 431 501 505 (anything else goes out as 400), a JSON-RPC error body,
 * Connection: close, the access log line with why, then http_conn_close.
 * Headers set with http_conn_header are dropped.  Once a stream has begun
 * it only closes.
 */
void		 http_conn_refuse(struct http_conn *, int status,
		    const char *why);

/* A stream: chunked on HTTP/1.1, delimited by the close on HTTP/1.0.
 * stream_write takes buf's contents (buf is left empty). */
void		 http_conn_stream_start(struct http_conn *, int status,
		    const char *reason);
void		 http_conn_stream_write(struct http_conn *,
		    struct evbuffer *);
void		 http_conn_stream_end(struct http_conn *);

/* Bytes queued and not yet taken by the socket (--max-queue). */
size_t		 http_conn_output_length(const struct http_conn *);

/* For the access log line of the current request (NULL leaves a field;
 * note must be a static string). */
void		 http_conn_note(struct http_conn *, const char *sid,
		    const char *rpc_method, const char *note);

/* The same: the request is on the route of the server of this name (at
 * most HTTP_CONN_SERVER_MAX bytes kept, copied). */
#define HTTP_CONN_SERVER_MAX	64
void		 http_conn_note_server(struct http_conn *, const char *name);

/* A stream's interest in the connection going away: cb runs once, from
 * the close, before ops->closed.  cb NULL cancels. */
void		 http_conn_watch(struct http_conn *, void (*cb)(void *),
		    void *);

/* Flush what is queued, then close (see above).  Never frees now. */
void		 http_conn_close(struct http_conn *, const char *why);

#endif
