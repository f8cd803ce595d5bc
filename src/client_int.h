/* SPDX-License-Identifier: ISC */
/*
 * client_int.h: what the files of client mode share (the client, its
 * messages and its HTTP exchanges, and their limits), and the seam a test
 * drives the client through: the HTTP operations (curl_event by default)
 * and the descriptors of the local client.
 */
#ifndef MCPBRIDGE_CLIENT_INT_H
#define MCPBRIDGE_CLIENT_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>
#include <json-c/json.h>

#include "client.h"
#include "curl_event.h"
#include "framer.h"
#include "jsonrpc.h"
#include "otel_redact.h"

struct event;
struct event_base;
struct evbuffer;
struct oauth;
struct sse_parser;

/* A POST that fails for a network reason is tried this many more times,
 * after 200ms, 400ms, 800ms, ... */
#define CLIENT_POST_RETRIES	5
#define CLIENT_POST_RETRY_MS	200
/* A POST refused as unavailable (429, 502, 503, 504) is tried again until
 * its deadline (--request-timeout), after the server's Retry-After, obeyed
 * up to CLIENT_RETRY_AFTER_MAX_MS, or else backing off from
 * CLIENT_POST_RETRY_MS up to CLIENT_UNAVAILABLE_MAX_MS. */
#define CLIENT_RETRY_AFTER_MAX_MS 60000
#define CLIENT_UNAVAILABLE_MAX_MS 5000
/* Reconnecting a stream: quickly after a good run, then backing off. */
#define CLIENT_STREAM_QUICK_MS	100
#define CLIENT_STREAM_RETRY_MS	500
#define CLIENT_STREAM_MAX_MS	30000
/* The server's retry field is obeyed up to this. */
#define CLIENT_RETRY_FIELD_MAX_MS 60000
/* A broken answer stream is resumed this many times in a row. */
#define CLIENT_RESUME_TRIES	8
/* Resumptions refused at connect before the answer is given up for (the
 * server is gone: about 1.6 s of CLIENT_STREAM_* backoff). */
#define CLIENT_RESUME_REFUSED_TRIES	3
/* New sessions in a row that fail before requests get errors. */
#define CLIENT_REINIT_TRIES	5
/* How often a request is sent again because its session was lost. */
#define CLIENT_RESEND_TRIES	3
/* Messages from stdin in the bridge before it stops reading stdin. */
#define CLIENT_MAX_PENDING	1024
/* The DELETE at exit, and flushing stdout at exit. */
#define CLIENT_DELETE_TIMEOUT_MS 3000
#define CLIENT_FLUSH_TIMEOUT_MS	5000
/* Recent event ids kept per stream to drop a replayed duplicate. */
#define CLIENT_RECENT_IDS	32
/* Output to stdout waiting for the local client: past the high mark every
 * transfer is paused until it drains below the low one. */
#define CLIENT_OUT_HIGH		(8u * 1024 * 1024)
#define CLIENT_OUT_LOW		(1u * 1024 * 1024)
/* Reading stdin. */
#define CLIENT_READ_CHUNK	65536
/* The longest session id accepted. */
#define CLIENT_MAX_SESSION_ID	1024
/* 401s and 403s a message (or the stream) may answer with a sign-in. */
#define CLIENT_AUTH_TRIES	3
/* server/discover sent again on an UnsupportedProtocolVersion naming ours. */
#define CLIENT_DISCOVER_TRIES	3
/* input_required rounds one request may take. */
#define CLIENT_INPUT_ROUNDS	16
/* Why a request that needs the local client's input fails after EOF. */
#define CLIENT_INPUT_EOF	"the server asked for input, but stdin has " \
	"ended: the local client cannot answer"
/* --oneshot: how much of a notification the log shows. */
#define CLIENT_NOTE_MAX		1024
/* tools/list pages read to learn a tool's x-mcp-header annotations. */
#define CLIENT_RELIST_PAGES	32

struct client;
struct conn;

enum cmsg_state {
	CMSG_QUEUED,
	CMSG_POSTING,
	CMSG_WAITING,
	CMSG_BACKOFF,
	CMSG_INPUT,		/* modern: for the local client or a relist */
};

struct cmsg {
	TAILQ_ENTRY(cmsg)	 entry;
	struct client		*c;
	json_object		*msg;
	enum jsonrpc_kind	 kind;
	int			 internal;	/* ours: answer swallowed */
	int			 barrier;
	int			 is_init;
	int			 is_discover;	/* ours, for the initialize peer */
	int			 is_relist;	/* ours: tools/list for the peer */
	int			 relisted;	/* tools/call: listed once */
	int			 probed;	/* initialize: era settled first */
	struct cmsg		*peer;		/* discover <-> initialize */
	int			 discover_tries;
	enum cmsg_state		 state;
	int			 attempts;	/* POST retries used */
	long			 unavailable;	/* HTTP status of the last
						   refusal as unavailable */
	uint64_t		 unavailable_since; /* its first, in ms */
	int			 refusals;	/* in a row, for the backoff */
	int			 resends;	/* sent in a new session */
	int			 had_session;	/* POSTed inside a session */
	int			 auth_tries;	/* sign-ins it caused */
	struct conn		*conn;
	struct event		*timeout;	/* local requests */
	struct event		*backoff;
	char			*text;
	size_t			 len;

	/* modern era */
	json_object		*wire;		/* as POSTed; its id is ours */
	json_object		*responses;	/* inputResponses gathered */
	json_object		*req_state;	/* requestState to echo */
	json_object		*asked;		/* our input id -> key */
	int			 rounds;
	int			 waits_listen;	/* subscribe: for the ack */
	long			 http_status;	/* of an error answer */
	int			 passthru;	/* a modern local client's */
	int			 acked;		/* passed-through listen */
	struct client_span	*span;		/* client_trace.c's, or NULL */
};
TAILQ_HEAD(cmsgs, cmsg);

enum conn_kind {
	CONN_POST,
	CONN_GET,
	CONN_LEGACY,
	CONN_DELETE,
	CONN_LISTEN,		/* modern: subscriptions/listen */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct client		*c;
	enum conn_kind		 kind;
	struct cmsg		*cm;		/* CONN_POST: unanswered */
	struct curl_event_xfer	*xfer;
	struct sse_parser	*parser;
	struct event		*timer;
	int			 sse;		/* this response is a stream */
	int			 resuming;	/* a GET with Last-Event-ID */
	int			 got_endpoint;
	int			 dead;
	unsigned		 auth_gen;	/* the token it was sent with */
	unsigned		 failures;
	uint64_t		 events;
	json_object		*wire;		/* CONN_LISTEN: the request */
	int			 acked;		/* CONN_LISTEN: ever acknowledged */
	int			 relisten;	/* and opened again after a break */
	char			*recent[CLIENT_RECENT_IDS];
	size_t			 recent_next;
};
TAILQ_HEAD(conns, conn);

enum client_era {
	ERA_UNKNOWN,		/* not probed yet */
	ERA_MODERN,		/* 2026-07-28 */
	ERA_LEGACY,		/* initialize and sessions */
};

/* What the local client speaks: its first request tells. */
enum client_local {
	LOCAL_UNKNOWN,
	LOCAL_LEGACY,		/* initialize: translated when modern */
	LOCAL_MODERN,		/* 2026-07-28: passed through */
};

enum client_sess {
	SESS_NONE,		/* nothing can be sent yet */
	SESS_CONNECTING,	/* legacy: waiting for the endpoint */
	SESS_OPEN,
};

struct client {
	const struct client_config *cfg;
	struct trace		*trace;		/* NULL: no message trace */
	struct event_base	*base;
	int			 own_base;
	const struct client_http_ops *http;	/* curl_event, or a test's */
	void			*http_arg;
	struct curl_event	*ce;		/* NULL under a test's http */
	struct otel_export	*otel;		/* NULL: no spans */
	struct client_trace_in	*otel_in;	/* client_trace.c's */
	/* what --otel-capture-content never records: --header values */
	struct otel_redact	 otel_secrets;
	int			 otel_flushed;
	struct event		*sigterm;
	struct event		*sigint;
	struct event		*sighup;

	/* stdin */
	int			 in_fd;
	int			 in_pollable;
	int			 in_flags;
	struct event		*in_ev;
	struct evbuffer		*in;
	struct framer		 framer;
	int			 in_eof;
	int			 in_paused;
	uint64_t		 nread;		/* messages read */

	/* stdout */
	int			 out_fd;
	int			 out_pollable;
	int			 out_flags;
	struct event		*out_ev;
	struct evbuffer		*out;
	int			 out_error;
	int			 out_paused;	/* waiting for stdout */

	/* the server */
	char			*url;
	enum client_transport	 transport;	/* AUTO until known */
	long			 fallback_status;
	char			*endpoint;	/* legacy POST URL */
	char			**headers;	/* expanded; Authorization */
	size_t			 nheaders;
	long			 connect_timeout_ms;
	long			 request_timeout_ms;
	size_t			 max_message;
	int			 heard;		/* it answered once: a
						   failure since may mend */
	struct oauth		*oauth;		/* NULL: no sign-in */
	char			*auth_words;	/* the server's, quoted, on
						   the 401 that began it */
	int			 stream_auth_tries;

	/* the era (cached for the process: one origin) */
	enum client_era		 era;
	json_object		*tool_headers;	/* modern: tool -> x-mcp-header */
	uint64_t		 next_input;
	json_object		*server_caps;	/* modern: from server/discover */
	struct conn		*listen;	/* modern: the listen stream */
	json_object		*listen_filter;	/* what it asks for */
	int			 listen_acked;
	int			 listen_unsupported;
	enum client_local	 local;

	/* the session */
	enum client_sess	 sess;
	char			*session_id;
	char			*protocol_version;
	json_object		*init;		/* the initialize to replay */
	int			 initialized;	/* replay it: was sent */
	int			 established;
	int			 reinit_pending;
	unsigned		 reinit_failures;
	unsigned		 connect_failures;
	json_object		*log_level;	/* the last logging/setLevel */
	char			**subs;		/* resources subscribed */
	size_t			 nsubs;
	int			 get_unsupported;
	struct conn		*get;		/* GET or legacy stream */
	uint64_t		 next_id;
	struct event		*hold;		/* pump waits while pending */

	struct cmsgs		 msgs;
	size_t			 nlocal;
	struct conns		 conns;
	struct conns		 graveyard;
	struct event		*reaper;

	int			 closing;
	int			 finishing;
	struct event		*finish_timer;
	struct event		*eof_timer;
	struct event		*done_ev;
	int			 exit_status;
	int			 curl_inited;

	/* Embedded (client_embed_new), else NULL: the embedder's hooks;
	 * the first loss's cause, and the close it schedules. */
	void			(*lost)(void *, const char *);
	void			(*done)(void *);
	void			*embed_arg;
	char			*lost_why;
	struct event		*lost_ev;
	int			 ended;
};

/*
 * The HTTP operations client mode uses, with curl_event.h's meaning (read
 * it for the rules: callbacks never run inside start, a transfer is freed
 * when its done callback returns, cancel stops every callback).  arg is
 * client_io's http_arg.  tests/clienttest.c plays the server through them.
 */
struct client_http_ops {
	struct curl_event_xfer *(*start)(void *arg,
		    const struct curl_event_request *);
	void		 (*cancel)(struct curl_event_xfer *);
	void		 (*pause)(struct curl_event_xfer *, int);
	/* What a transfer reports. */
	long		 (*status)(struct curl_event_xfer *);
	const char	*(*header)(struct curl_event_xfer *, const char *);
	struct evbuffer	*(*body)(struct curl_event_xfer *);
	int		 (*overflowed)(struct curl_event_xfer *);
	/* What a done callback's result means. */
	int		 (*network_error)(int);
	int		 (*timed_out)(int);
};

/* What client mode runs on; client_run is client_run_io with NULL. */
struct client_io {
	int				 in_fd;		/* the local client */
	int				 out_fd;
	struct event_base		*base;		/* borrowed */
	const struct client_http_ops	*http;		/* NULL: curl_event;
							   else no sign-in */
	void				*http_arg;
};

int	client_run_io(const struct client_config *, const struct client_io *);

/* ---- what the files of client mode call in each other ---- */

/* client.c */
/* A body from the server, traced (server>bridge) if it is JSON. */
json_object	*client_parse_body(struct client *c, struct evbuffer *b);
const char	*client_id_text(json_object *msg);
void	client_fail_status(struct client *c, int status);
void	client_set_timer(struct event *ev, long ms);
char	*client_internal_id(struct client *c);
void	client_subscriptions(struct client *c, json_object *msg, int add);
void	client_pump(struct client *c);
void	client_check_done(struct client *c);
void	client_close(struct client *c, const char *why);
void	client_end(struct client *c);

/* client_era.c */
void	client_era_discover_begin(struct cmsg *init);
void	client_era_discover_answered(struct cmsg *d, long status,
	    json_object *body);
void	client_era_input_cancel(struct cmsg *cm, const char *reason);
void	client_era_input_eof(struct client *c);
void	client_era_input_answered(struct client *c, json_object *msg);
void	client_era_relist_next(struct cmsg *r, json_object *result);
void	client_era_answered(struct cmsg *cm, json_object *msg);
int	client_era_local(struct cmsg *cm);
void	client_era_listen_start(struct conn *conn);
void	client_era_listen_update(struct client *c);
void	client_era_tools_changed(struct client *c);
void	client_era_listen_missed(struct client *c, json_object *filter,
	    json_object *tag);
void	client_era_listen_message(struct conn *conn, json_object *msg);
void	client_era_listen_done(struct conn *conn, struct curl_event_xfer *x,
	    int result, const char *error);

/* client_http.c */
struct conn	*client_conn_new(struct client *c, enum conn_kind kind);
void	client_conn_start(struct conn *conn, const char *method,
	    const char *url, const char *body, size_t len, long timeout_ms);
void	client_conn_reap(evutil_socket_t fd, short what, void *arg);
void	client_conn_close(struct conn *conn);
void	client_conn_reconnect_later(struct conn *conn,
	    struct curl_event_xfer *x);
void	client_incoming(struct client *c, json_object *msg);
char	*client_net_why(struct client *c, int result, const char *error,
	    int *lasting);
int	client_stream_lost(struct conn *conn, int result, const char *error);
char	*client_server_words(struct client *c, struct curl_event_xfer *x,
	    json_object *msg);

/* client_msg.c */
void	client_flush(struct client *c);
void	client_write(struct client *c, json_object *msg);
void	client_out_ready(evutil_socket_t fd, short what, void *arg);
struct cmsg	*cmsg_new(struct client *c, json_object *msg,
	    enum jsonrpc_kind kind, int internal);
void	cmsg_free(struct cmsg *cm);
struct cmsg	*cmsg_find(struct client *c, json_object *id);
struct cmsg	*cmsg_find_wire(struct client *c, json_object *id);
void	cmsg_fail(struct cmsg *cm, int status, const char *why,
	    long http_status);
void	client_fail_all(struct client *c, int status, const char *why);
void	cmsg_retry(struct cmsg *cm, int status, const char *why);
void	cmsg_unavailable(struct cmsg *cm, long status,
	    const char *retry_after);
void	cmsg_posted(struct cmsg *cm);
void	cmsg_cancel_at_server(struct cmsg *cm, const char *reason);
void	cmsg_timed_out(evutil_socket_t fd, short what, void *arg);

/* client_trace.c: OpenTelemetry, when c->otel is set */
/* The last spans' flush, after the loop, at most this long. */
#define CLIENT_TRACE_FLUSH_MS	2000
void	client_trace_init(struct client *);
void	client_trace_request(struct cmsg *);
/* msg, an answer on its way to stdout: its request's outcome. */
void	client_trace_answer(struct client *, json_object *);
/* The same for a request known (before it is freed). */
void	client_trace_outcome(struct cmsg *, json_object *);
/* msg, from stdin: the local client's answer to a request of the
 * server's ends its span. */
void	client_trace_local_answer(struct client *, json_object *);
/* The server's requests with a span open at once, at most. */
#define CLIENT_TRACE_IN_MAX	256
void	client_trace_retry(struct cmsg *, const char *why);
void	client_trace_end(struct cmsg *);
void	client_trace_finish(struct client *);
void	client_trace_free(struct client *);

/* client_passthru.c */
void	client_passthru_wire(struct cmsg *cm);
int	client_passthru_lasting(struct cmsg *cm);
void	client_passthru_refuse(struct cmsg *cm);
void	client_passthru_from_stdin(struct client *c, json_object *msg,
	    enum jsonrpc_kind kind);
void	client_passthru_stream(struct cmsg *cm, json_object *msg);
void	client_passthru_eof(struct client *c);

/* client_session.c */
void	client_session_forget(struct client *c);
void	client_session_hold_fired(evutil_socket_t fd, short what, void *arg);
void	client_session_get_open(struct client *c);
void	client_session_reinit(struct client *c);
void	client_session_reinit_failed(struct client *c, int status,
	    const char *why);
void	client_session_lost(struct client *c, const char *why);
int	client_lost(struct client *c, const char *why);
void	client_session_unreachable(struct client *c, const char *why);
void	client_session_init_answered(struct client *c, json_object *msg,
	    int ours);
void	client_session_auth_hold(struct client *c);
int	client_session_auth_challenge(struct client *c,
	    struct curl_event_xfer *x, long status, unsigned gen, int *tries);
void	client_session_auth_done(void *arg, const char *error);
void	client_session_legacy_connect(struct client *c);
void	client_session_legacy_failed(struct client *c, int status,
	    const char *why, long retry_ms);
void	client_session_legacy_endpoint(struct conn *conn, const char *data);

#endif
