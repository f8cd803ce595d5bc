/* SPDX-License-Identifier: ISC */
/*
 * session.h: a client's session as the HTTP side sees it: its id, its
 * streams, the SSE connections they are attached to, the per-session log
 * that event ids index and replay reads, and the queue limit.
 *
 * A session has numbered streams.  Stream 0 is the general stream (the
 * legacy GET /sse stream, or the Streamable HTTP GET stream); every other
 * stream is one POSTed request (or batch) and ends with its final message.
 * Messages for a stream are appended to the session log with the next
 * sequence number of that stream (the SSE event id is "<stream>-<seq>") and
 * written to the stream's connection when it has one; otherwise they wait
 * in the log until a client attaches a connection to that stream (GET, or
 * GET with Last-Event-ID).  The log is bounded by replay_messages and
 * replay_bytes.  Over a bound, notifications go first, oldest first; what
 * a client is owed (answers, and requests from the server) goes only when
 * the log holds nothing else, oldest first again, and only once it was
 * written to a connection: an owed message never delivered is output the
 * client has yet to get, not replay material.  That output is bounded by
 * max_queue instead: over it, the session ends (the caller is told), so
 * an answer is never lost in silence.  A resuming client may see a gap in
 * the event ids, as SSE allows, and still gets its answer.
 * Legacy sessions keep nothing once written.
 *
 * A message's text is one struct session_msg, shared read-only by every
 * entry and connection that carries it: a message for every session is
 * held once, however many sessions it waits in.
 *
 * Connections: a stream holds at most one connection of the caller's (an
 * opaque struct http_conn, with the request it is handling).  HELD is a
 * POST whose response headers are not sent yet (the caller decides JSON or
 * SSE); SSE is an open event stream.  The caller tells the stream when its
 * connection goes away (session_ops.watch), which detaches it at once.
 *
 * Nothing here touches HTTP or calls the multiplexer: this file decides
 * what to write and when, the caller's session_ops put it on the wire and
 * decide what to do when a client goes away.
 */
#ifndef MCPBRIDGE_SESSION_H
#define MCPBRIDGE_SESSION_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/event_struct.h>

struct event;
struct event_base;
struct evbuffer;
struct http_conn;
struct json_object;
struct mux_session;

/* 128 random bits, as lowercase hex. */
#define SESSION_ID_BYTES	16
#define SESSION_ID_LEN		(SESSION_ID_BYTES * 2)
/*
 * With --instance-id, ids are "<prefix>.<hex>": a load balancer routes on
 * what comes before the first '.', which the prefix (letters, digits, '_'
 * and '-') cannot hold.
 */
#define SESSION_PREFIX_MAX	32
#define SESSION_ID_MAX		(SESSION_PREFIX_MAX + 1 + SESSION_ID_LEN)

/* "<stream>-<seq>" with two 20-digit numbers. */
#define SESSION_EVENT_ID_LEN	42

enum session_kind {
	SESSION_LEGACY = 0,	/* HTTP+SSE 2024-11-05: the GET stream is the session */
	SESSION_STREAMABLE,	/* Streamable HTTP: Mcp-Session-Id */
	/* One 2026-07-28 request: no id a client knows, no replay, ends
	 * with the request. */
	SESSION_STATELESS,
};

enum stream_state {
	STREAM_IDLE = 0,	/* no connection: messages wait in the log */
	STREAM_HELD,		/* a POST is waiting, its headers not sent */
	STREAM_SSE,		/* an event stream is open on conn */
};

struct session;
struct sessions;

/*
 * A message's compact JSON, immutable once made and counted: every log
 * entry and connection output that carries it holds a reference.
 */
struct session_msg {
	size_t			 refs;
	int			 owed;		/* a request or a response: kept
						   before notifications */
	size_t			 len;
	char			 text[];	/* len bytes and a NUL */
};

struct session_entry {
	uint64_t		 stream;
	uint64_t		 seq;
	uint64_t		 order;		/* in the session's log */
	struct session_msg	*msg;
	int			 final;
	int			 sent;		/* written to a connection once */
	TAILQ_ENTRY(session_entry) entry;
	TAILQ_ENTRY(session_entry) nentry;	/* notices: neither final
						   nor owed */
};
TAILQ_HEAD(session_log, session_entry);

struct stream {
	struct session		*sess;
	uint64_t		 no;
	uint64_t		 seq;		/* last sequence number given */
	uint64_t		 sent;		/* last one written on conn */
	/* The log up to here holds nothing it has yet to write (NULL:
	 * look from the start): a write looks only at what came after. */
	struct session_entry	*flushed;
	int			 finished;	/* its final message is logged */
	enum stream_state	 state;
	struct http_conn	*conn;		/* the caller's (NULL:
						   detached) */
	/* Hold, then keep-alive: in the stream itself (event_assign), as
	 * an event_new and event_free per POST cost a malloc and a free
	 * (issue 20); libevent 2.1's struct, as curl_event.c uses. */
	struct event		 timer;

	/* Set by the caller: */
	int			 in_handler;	/* the POST handler is running:
						   write nothing yet */
	int			 status;	/* HTTP status of a JSON final */
	int			 initialize;	/* its final may create the session */
	int			 init_failed;	/* ... and it was an error */
	size_t			 request;	/* requests it carries, counted
						   in the session's in_flight */
	int			 method;	/* enum metrics_method */
	uint64_t		 start_ms;	/* when it arrived */
	int			 tool;		/* metrics_mcp_tool's slot */
	TAILQ_ENTRY(stream)	 entry;
};

struct session {
	struct sessions		*owner;
	char			 id[SESSION_ID_MAX + 1];
	const char		*hex;		/* id's random part, for logs */
	enum session_kind	 kind;
	void			*ms;		/* set by the caller: its
						   endpoint's session */
	void			*route;		/* the caller's: its endpoint */
	int			 dead;		/* unlinked, waiting to be freed */
	int			 priming;	/* prime SSE streams, send retry */
	size_t			 nconn;		/* its streams' connections */
	int			 retry_ms;
	uint64_t		 next_stream;

	TAILQ_HEAD(, stream)	 streams;
	struct session_log	 log;
	struct session_log	 notices;	/* log entries that go first */
	size_t			 log_count;
	size_t			 log_bytes;
	size_t			 log_sent;	/* entries written once */
	uint64_t		 log_pushed;	/* entries ever logged */
	/* The log up to here holds nothing owed that was written: the
	 * trim's walk for those starts after it (NULL: at the start). */
	struct session_entry	*trim_after;
	size_t			 unsent_bytes;
	size_t			 unsent_owed;	/* of them, owed (answers,
						   server requests) */

	/* Set by the caller: */
	/* Who it belongs to: 0 (no auth), a static token's id + 1, or an
	 * OAuth principal (principal.h); only that owner reaches it. */
	uint64_t		 token;
	size_t			 in_flight;	/* requests not answered yet */
	uint64_t		 active_ms;	/* last request, monotonic */
	uint64_t		 created_ms;	/* monotonic */

	/* An OAuth owner's verified claims, for the child's spawn
	 * (--env-from-claim): session_set_claims, session_claims. */
	struct json_object	*claims;

	/* Legacy: outs for the POST being handled are held here. */
	uint64_t		 capture_stream;
	struct session_log	 capture;

	TAILQ_ENTRY(session)	 entry;		/* all, or dead ones */
};

struct session_limits {
	int			 keepalive_ms;
	size_t			 max_queue;
	size_t			 replay_messages;
	size_t			 replay_bytes;
};

struct session_ops {
	/* A stream's client went away (the connection closed under it); the
	 * stream is already detached.  Do not free the session from here:
	 * unlink it and free it later. */
	void	(*lost)(struct session *, struct stream *, void *arg);
	/* The session went over max_queue: its event streams were closed.
	 * end: what it is owed and was never delivered is over max_queue
	 * by itself; the caller must end the session (session_kill). */
	void	(*overflow)(struct session *, int end, void *arg);
	/* A HELD stream waited its hold time without a message. */
	void	(*hold_expired)(struct session *, struct stream *, void *arg);
	/* Optional: the session has a connection again (up 1), or none is
	 * left (0), whoever ended it. */
	void	(*connected)(struct session *, int up, void *arg);

	/*
	 * The wire, all about the request conn is handling.  Call cb(cbarg)
	 * once when conn goes away (before it is freed); cb NULL cancels.
	 */
	void	(*watch)(struct http_conn *, void (*cb)(void *), void *cbarg,
		    void *arg);
	/* Send the headers of a 200 event stream (the caller added its own
	 * already). */
	void	(*start)(struct http_conn *, void *arg);
	/* Send buf (an event or a comment) on the open event stream. */
	void	(*write)(struct http_conn *, struct evbuffer *, void *arg);
	/* End the event stream; conn may go on with the next request. */
	void	(*end)(struct http_conn *, void *arg);
	/* Close conn now, discarding what is queued for it. */
	void	(*drop)(struct http_conn *, void *arg);
	/* Bytes queued on conn and not written yet (for max_queue). */
	size_t	(*queued)(const struct http_conn *, void *arg);
};

/* max_queue raised to n if that is more: 1 if it was. */
int		 sessions_raise_max_queue(struct sessions *, size_t n);
struct sessions	*sessions_new(struct event_base *, const struct session_limits *,
		    const struct session_ops *, void *arg);
/* Frees every session (live and dead) without telling anybody. */
void		 sessions_free(struct sessions *);
size_t		 sessions_count(const struct sessions *);
/* The first live session, for walks that free as they go. */
struct session	*sessions_first(struct sessions *);
/* Dead sessions, in the order they died. */
struct session	*sessions_first_dead(struct sessions *);

/* Fills buf with SESSION_ID_BYTES random bytes as hex (getrandom, else
 * /dev/urandom; fatal if neither works). */
void		 session_id_new(char buf[SESSION_ID_LEN + 1]);
/* Is this a valid --instance-id: 1 to SESSION_PREFIX_MAX letters, digits,
 * '_' or '-'? */
int		 session_prefix_ok(const char *);
/* Ids of sessions made from now on start with "<name>."; NULL: no prefix.
 * name must be session_prefix_ok. */
void		 sessions_set_prefix(struct sessions *, const char *name);
/* Does id carry this instance's prefix (or, without one, none at all)?
 * For telling a misrouted id from an unknown one. */
int		 sessions_owns(const struct sessions *, const char *id);

struct session	*session_new(struct sessions *, enum session_kind);
/* A live session of that kind, or NULL. */
struct session	*session_find(struct sessions *, const char *id, enum session_kind);
/* Closes its connections (forcibly), takes it out of the table (its id is
 * unknown from now on) and queues it on the dead list. */
void		 session_kill(struct session *, const char *why);
/* The verified claims of the token that opened it (a JSON object, or NULL
 * for a static token or none): the session takes a reference, and drops
 * it when freed; the principal, so the claims, of a session never
 * change, so this is set once, when it is made. */
void		 session_set_claims(struct session *, struct json_object *);
struct json_object *session_claims(const struct session *);
/* Frees a session (dead or not). */
void		 session_free(struct session *);
/* Bytes waiting for this client: unsent log plus the output buffers of
 * its connections. */
size_t		 session_queued(const struct session *);
/* Does any of its streams hold a connection? */
int		 session_connected(const struct session *);

/* Streams.  stream_new gives the next non-zero number. */
struct stream	*stream_new(struct session *);
struct stream	*stream_find(struct session *, uint64_t no);
/* Brings back a finished stream that was freed, for a client resuming it
 * after seq: what the log still has of it can be replayed. */
struct stream	*stream_revive(struct session *, uint64_t no, uint64_t seq);
/* Frees a non-zero stream that is finished, detached and not in a handler;
 * returns 1 if it did. */
int		 stream_gc(struct stream *);

/* A message of len bytes of text (compact JSON, no NUL) with one
 * reference; owed: it is a request or a response, not a notification. */
struct session_msg *session_msg_new(const char *text, size_t len, int owed);
struct session_msg *session_msg_ref(struct session_msg *);
void		 session_msg_unref(struct session_msg *);

/* Appends a message for a stream to the log (taking a reference of its
 * own) and writes what it can; a stream that is unknown or finished gets
 * nothing (-1). */
int		 session_push_msg(struct session *, uint64_t stream,
		    struct session_msg *, int final);
/* session_push_msg of a new message of text, owed if final. */
int		 session_push(struct session *, uint64_t stream,
		    const char *text, size_t len, int final);

/* Attach a POST's connection: HELD until the caller answers; hold_ms > 0
 * arms the hold timer. */
void		 stream_hold(struct stream *, struct http_conn *, int hold_ms);
/* The first waiting entry of a HELD stream if it is the final (the
 * caller answers with it as JSON); NULL otherwise. */
struct session_entry *stream_json_final(struct stream *);
/* May the stream's final message answer its HELD POST as JSON straight
 * away, without going through the log (nothing of the stream waits
 * there)? */
int		 stream_json_direct(const struct stream *);
/* The caller answered a HELD stream as JSON with e (from
 * stream_json_final): forget conn and e.  e NULL: with a final message
 * that stream_json_direct let by the log; the stream is finished. */
void		 stream_json_done(struct stream *, struct session_entry *);
/* Start an event stream on conn (a new GET or the stream's HELD POST).
 * The caller added its own headers already.  after: replay from
 * the entry after this sequence number (resumption); (uint64_t)-1 keeps
 * the stream's own position.  Writes the priming event for priming
 * sessions, then whatever waits. */
void		 stream_open(struct stream *, struct http_conn *,
		    uint64_t after);
/* Write what waits in the log on an open stream; ends it after the final. */
void		 stream_flush(struct stream *);
/* An event outside the log (the legacy endpoint event). */
void		 stream_send_event(struct stream *, const char *event, const char *data);
/* A comment on an open stream. */
void		 stream_comment(struct stream *, const char *);
/* End the response gracefully; the stream stays (unless finished). */
void		 stream_end(struct stream *);
/* Drop the connection at once, discarding what is buffered for it. */
void		 stream_drop(struct stream *);
/* Let go of the connection without touching it: the caller answers its
 * request (after this call). */
void		 stream_forget(struct stream *);

/* "<stream>-<seq>" and back; -1 on anything else. */
void		 session_event_id(char buf[SESSION_EVENT_ID_LEN + 1], uint64_t stream,
		    uint64_t seq);
int		 session_event_id_parse(const char *, uint64_t *stream, uint64_t *seq);

#endif
