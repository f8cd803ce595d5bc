/* SPDX-License-Identifier: ISC */
/*
 * mux.h: the multiplexer.  Many client sessions share one stdio child (or,
 * with isolation=session, each gets its own), and no client ever sees
 * another's traffic.
 *
 * The multiplexer does no I/O.  Events go in (a message from a session, a
 * message from a child, a child up or down, time passing); what must be sent
 * comes out as a queue of struct mux_out that the caller drains with mux_next
 * after every call.  That keeps it re-entrancy free and lets Check tests drive
 * every interleaving without sockets or processes.
 *
 * Ownership: every json_object passed in is consumed; every mux_out.msg is a
 * reference the caller must json_object_put (the same object may be shared
 * by several outs, e.g. a broadcast, so it must not be modified).
 *
 * Streams: the transport names the stream a client message arrived on with a
 * non-zero number of its own (Streamable HTTP: one per POST); 0 is the
 * session's general stream (the legacy SSE stream, or the Streamable HTTP GET
 * stream).  Outs to a session carry the stream they belong on: the response
 * and the messages related to a request go on that request's stream, the
 * rest on stream 0.
 *
 * The implementation is five files (mux.c's header comment maps them):
 * mux.c (this API, the handshake, children and sessions), mux_route.c
 * (legacy routing), mux_sched.c (the turns of tools that ask),
 * mux_modern_client.c (2026-07-28 clients) and mux_modern_child.c (a
 * 2026-07-28 child).
 */
#ifndef MCPBRIDGE_MUX_H
#define MCPBRIDGE_MUX_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "toolfilter.h"

struct mux;
struct mux_session;
struct tracectx;

enum mux_isolation {
	MUX_ISOLATION_SHARED = 0,	/* one child for every session */
	MUX_ISOLATION_SESSION,		/* one child per session */
};

enum mux_server_requests {
	/* Route a child's request to the one session that can have caused it;
	 * if none or several qualify, answer the child with an error. */
	MUX_SERVER_REQUESTS_UNAMBIGUOUS = 0,
	/* Route to the most recent qualifying session. */
	MUX_SERVER_REQUESTS_LATEST,
	/*
	 * As UNAMBIGUOUS, and make the route certain: the tools whose calls
	 * ask (learned, or named), and those not yet seen to answer without
	 * asking, are called by one session at a time per child, in a turn
	 * no other session's request shares; while it is held, a request the
	 * child does not attribute is its session's.  See mux_sched.c.
	 */
	MUX_SERVER_REQUESTS_SCHEDULE,
};

enum mux_transport {
	MUX_TRANSPORT_SSE = 0,		/* legacy HTTP+SSE (2024-11-05) */
	MUX_TRANSPORT_STREAMABLE,	/* Streamable HTTP (2025-03-26 .. 2025-11-25) */
	/*
	 * One 2026-07-28 request: the session lives as long as the request
	 * (closing it cancels the request); see mux_modern_client.c.
	 * Needs isolation=shared.
	 */
	MUX_TRANSPORT_STATELESS,
};

/*
 * The protocol era of the shared child.  LEGACY: the bridge initializes it
 * (the default).  AUTO: the bridge sends server/discover first and reads
 * the outcome: a DiscoverResult or a recognised 2026-07-28 error means a
 * modern child, any other error or no answer within probe_timeout_ms a
 * legacy one (then initialize follows).  MODERN: the child is taken to
 * speak 2026-07-28 whatever the probe says.  A modern child serves
 * 2026-07-28 clients by pass-through (ids rewritten) and legacy ones by
 * translation; see mux_modern_child.c.
 */
enum mux_child_era {
	MUX_CHILD_ERA_LEGACY = 0,
	MUX_CHILD_ERA_AUTO,
	MUX_CHILD_ERA_MODERN,
};

#define MUX_DEFAULT_INIT_TIMEOUT_MS	30000
/* The most shared children (struct mux_config.children, --children). */
#define MUX_CHILDREN_MAX		64
#define MUX_DEFAULT_PROBE_TIMEOUT_MS	2000

/*
 * A client request that ended without the child's answer (cancelled, timed
 * out, its session closed) may still be worked on, and logged about, by
 * the child: until its late answer, or for this long, a line or request the
 * child does not attribute is no other principal's (without tokens, no
 * other session's).  Short: a server should not answer a cancelled
 * request, so any client's cancel holds others' guesses this long.
 */
#define MUX_ORPHAN_GRACE_MS		10000
/* At most this many per child; beyond, the oldest is forgotten and no
 * guess is made until it would have expired. */
#define MUX_ORPHANS_MAX			256
/*
 * A line or request the child does not attribute may be about the request
 * it answered just before: for this long after answering one of a
 * principal (see mux_session_set_principal), it is no other principal's.
 */
#define MUX_RECENT_ANSWER_MS		1000
/* Principals remembered per child; beyond, the oldest is forgotten and no
 * guess is made until its window would have ended. */
#define MUX_RECENT_MAX			16
/* Requests waiting for turns at a child; beyond, a request gets an error. */
#define MUX_WAITING_MAX			1024
/*
 * A call of a tool not known to ask holds the turn on trial for this long
 * while others wait: a tool that asks at once is caught by its first
 * call; one that has not asked by then gives the turn up (and if it asks
 * later with others in flight, that request is refused as before, and the
 * tool takes turns from then on).  Slow tools' first calls wait no
 * longer than this for one another.
 */
#define MUX_SCHED_TRIAL_MS		1000
/* Tools the scheduler remembers, and the longest name it remembers (the
 * MCP limit); calls of others are taken to be of a tool that may ask. */
#define MUX_TOOLS_MAX			1024
#define MUX_TOOL_NAME_MAX		128

struct mux_config {
	enum mux_isolation	 isolation;
	enum mux_server_requests server_requests;
	/* Capabilities the bridge declares to the shared child; NULL means
	 * those it can route: sampling, elicitation, roots.  Borrowed. */
	json_object		*client_capabilities;
	const char		*client_name;		/* clientInfo.name */
	const char		*client_version;	/* clientInfo.version */
	/* How long client traffic waits for the child's handshake before it
	 * is answered with an error; 0 means MUX_DEFAULT_INIT_TIMEOUT_MS.
	 * A child that has not finished it this long after it came up (with
	 * isolation=session: not answered the client's initialize in this
	 * time) is named in a warning, once per start. */
	uint64_t		 init_timeout_ms;
	/* The child's name in that warning (its command, not its arguments,
	 * which may hold secrets); NULL: "the child".  Copied. */
	const char		*child_name;
	/* The child is a remote server (child_name its URL): the warning's
	 * hint fits a URL, not stdio. */
	int			 child_url;
	/* With several servers, the server's name: the log lines about its
	 * child start with it ("fs: server ... initialized"); NULL: none.
	 * Copied. */
	const char		*server_name;
	/* A request the child has not answered in this time gets an error and
	 * the child a cancellation; 0 means no limit. */
	uint64_t		 request_timeout_ms;
	/* isolation=session: most children at once; 0 means no limit. */
	size_t			 max_children;
	/*
	 * isolation=shared: how many copies of the server run side by side
	 * (a pool), 1 .. MUX_CHILDREN_MAX; 0 means 1.  A legacy session is
	 * pinned for its life to the child with the fewest sessions when it
	 * initializes; a 2026-07-28 request goes to the child with the
	 * fewest requests in flight, and its input_required retry to the
	 * child that holds it.
	 */
	size_t			 children;
	/* How long a 2026-07-28 client may take to come back with the
	 * answers to an input_required result; 0 means
	 * MODERN_STATE_TTL_MS. */
	uint64_t		 input_timeout_ms;
	/* With several instances behind a load balancer: requestState starts
	 * with this name and a dot, so the balancer can send the retry to
	 * the instance whose child holds the request.  NULL: no prefix.
	 * Borrowed. */
	const char		*instance_id;
	/* isolation=shared only. */
	enum mux_child_era	 child_era;
	/* Tools whose calls ask the client (--asking-tools), NULL-terminated:
	 * called by one session at a time per shared child whatever the
	 * policy.  Read by mux_new only.  NULL: none. */
	const char *const	*asking_tools;
	/* 0 means MUX_DEFAULT_PROBE_TIMEOUT_MS. */
	uint64_t		 probe_timeout_ms;
	/*
	 * The message trace: called with every message a session hands in
	 * (mux_session_recv), before anything is made of it; the caller
	 * formats and logs.  msg is borrowed and must not be modified; the
	 * callback must not call into the mux.  NULL: none.
	 */
	void			(*trace)(void *arg, struct mux_session *,
				    json_object *msg);
	void			*trace_arg;
	/*
	 * The child's tools clients may see and call: tools/list answers
	 * lose the others, and a tools/call of one gets an error naming
	 * it, the child never asked.  NULL: all.  Borrowed.
	 */
	const struct toolfilter	*tools;
	/*
	 * OpenTelemetry (serve_trace.c): a client's request msg (borrowed,
	 * not to be changed) of session s goes to the child as cid now.  0
	 * with *ctx filled: the child's copy carries ctx in its _meta
	 * (traceparent, tracestate; the rest of _meta as the client sent
	 * it).  -1: _meta as it came.  NULL: none.  Each round of a
	 * request that asks its client (input_required) is a round trip of
	 * its own: called again with the client's retry (a 2026-07-28
	 * client's, msg, cid the same; ctx goes nowhere, the answers go as
	 * they came) or, for a legacy client in front of a 2026-07-28
	 * child, the client's request again with the retry's new cid.
	 */
	int			(*span_child)(void *arg, struct mux_session *s,
				    json_object *msg, uint64_t cid,
				    struct tracectx *ctx);
	/*
	 * OpenTelemetry: a request of a child's, msg (borrowed, not to be
	 * changed), goes to session s as bid now, for s's request whose id
	 * (the client's, exact type; borrowed) is cause: the one the mux
	 * routed it by (a relatedRequestId hint, a progress token, the call
	 * holding the turn at a tool that asks, the session's only request
	 * at that child, a 2026-07-28 child's input_required result); NULL
	 * when the mux cannot tell.  0 with *ctx filled: the session's copy
	 * carries ctx in its _meta.  -1: _meta as it came.  NULL: none.
	 */
	int			(*span_server)(void *arg, struct mux_session *s,
				    json_object *msg, uint64_t bid,
				    json_object *cause, struct tracectx *ctx);
	/*
	 * OpenTelemetry: session s is closing (mux_session_close: a DELETE,
	 * an expiry, a stream gone, the mux's own end): what it still has
	 * open ends now.  s's data is still there.  NULL: none.
	 */
	void			(*span_session_end)(void *arg,
				    struct mux_session *s);
	void			*span_arg;
};

enum mux_out_kind {
	/* msg for a child: session NULL is the shared child numbered child
	 * (0 unless there is a pool), otherwise the session's own child
	 * (isolation=session). */
	MUX_OUT_CHILD = 0,
	/* msg for session, on stream; final marks the response that completes
	 * the request(s) that arrived on that stream.  A final with msg NULL:
	 * the client cancelled them, no answer will come (and none is owed). */
	MUX_OUT_SESSION,
	/* The mux ended the session (its child went away): the transport
	 * closes its streams, answers 404 for its id from now on and calls
	 * mux_session_close. */
	MUX_OUT_SESSION_END,
	/* isolation=session: start (stop) the child of session. */
	MUX_OUT_CHILD_START,
	MUX_OUT_CHILD_STOP,
};

struct mux_out {
	enum mux_out_kind	 kind;
	struct mux_session	*session;
	uint64_t		 stream;
	int			 final;
	json_object		*msg;	/* NULL for SESSION_END, CHILD_* and a
					   cancelled stream's final */
	size_t			 child;	/* MUX_OUT_CHILD, session NULL */
	/*
	 * MUX_OUT_CHILD from mux_next_lazy only: when not 0, msg is a
	 * client's request as it came (never changed), which the child
	 * gets under this id: rawjson_request_text writes it so.  mux_next
	 * gives the message itself, child_id 0.
	 */
	uint64_t		 child_id;
};

enum mux_recv {
	MUX_RECV_ACCEPTED = 0,	/* only notifications/responses: 202, nothing follows */
	MUX_RECV_REPLY,		/* a final out will come on the stream */
	MUX_RECV_INVALID,	/* not acceptable (bad shape, foreign response): 400;
				   an error reply (no id) is queued as final */
	MUX_RECV_BUSY,		/* over max_children: 503; the error reply is queued as final */
};

struct mux_stats {
	size_t		sessions;
	size_t		in_flight;	/* client requests waiting for the child */
	uint64_t	requests;	/* client requests forwarded */
	uint64_t	dropped_responses;	/* unknown or late ids from the child */
	uint64_t	server_requests_refused;
	/* the child's lines dropped unread (over --max-message-size or
	 * not JSON) that looked like answers, or were over the cap and
	 * showed nothing, that no request could be found for */
	uint64_t	unreadable_unanswered;
	/* the child's notifications/message that no one session could be
	 * shown to be the cause of */
	uint64_t	log_lines_dropped;
	/* the child's unattributed log lines and requests not guessed to be
	 * the one busy session's, as another's request may have caused
	 * them (ended unanswered, parked, or just answered) */
	uint64_t	guesses_withheld;
	/* a client's notifications/progress whose token is not one of a
	 * request the child sent that client and awaits an answer to */
	uint64_t	client_progress_dropped;
	/* requests waiting for a turn at a tool that asks its client, or
	 * for another session's turn to end (MUX_SERVER_REQUESTS_SCHEDULE,
	 * asking_tools): now, in all, their time waited in all, and those
	 * refused for a full queue */
	size_t		calls_waiting;
	uint64_t	call_waits;
	uint64_t	call_wait_ms;
	uint64_t	calls_wait_refused;
};

struct mux	*mux_new(const struct mux_config *);
void		 mux_free(struct mux *);
/* Fills out and returns 1, or returns 0 when nothing is queued. */
int		 mux_next(struct mux *, struct mux_out *out);
/* mux_next for a caller that only writes the child's messages: a
 * client's call may come as child_id and the client's message. */
int		 mux_next_lazy(struct mux *, struct mux_out *out);
/* Advances the clock and expires what waited too long. */
void		 mux_tick(struct mux *, uint64_t now_ms);
/* When the mux wants its next mux_tick at the latest (0: no hurry; the
 * caller's regular tick will do). */
uint64_t	 mux_wakeup(const struct mux *);

/* Child events; session is NULL for the shared child.  With isolation=session
 * events for NULL, or for a session already closed, are ignored. */
void		 mux_child_up(struct mux *, struct mux_session *);
void		 mux_child_down(struct mux *, struct mux_session *, const char *cause);
void		 mux_child_recv(struct mux *, struct mux_session *, json_object *msg);
/*
 * The child is down and cannot be started now, for cause (a short text
 * such as "cannot run 'x': No such file or directory"): what waits for it
 * is answered with an error that says so, and so is what comes until the
 * next mux_child_up, instead of waiting for init_timeout_ms.  Ignored
 * while the child is up.
 */
void		 mux_child_unavailable(struct mux *, struct mux_session *,
		    const char *cause);
/*
 * The child wrote a line that was dropped unread: over the cap (limit
 * bytes) when reason is NULL, else not JSON the parse policy takes, for
 * reason.  Its ends showed id (consumed; NULL if none) and, in seen, the
 * other members below.  An answer (a result or an error, no method) gets
 * its request, named by id, an error now.  No request is ever guessed: an
 * answer whose id is out of sight or names no request in flight, and any
 * other line without a method that is over the cap or shows an id, is
 * logged at error level and counted.  A request from the child (method
 * and id) is answered with an error under its id (MUX_OUT_CHILD); a
 * notification gets nothing, and nor does an invalid line with nothing in
 * sight (a banner).
 */
#define MUX_UNREADABLE_METHOD	0x1	/* a top-level "method" */
#define MUX_UNREADABLE_ANSWER	0x2	/* a top-level "result" or "error" */
void		 mux_child_unreadable(struct mux *, struct mux_session *,
		    json_object *id, int seen, size_t limit,
		    const char *reason);
/*
 * The same events for the shared child numbered i (0 .. children - 1) of
 * a pool; the functions above with session NULL are child 0's.  Events
 * for a number out of range are ignored.  A child's events touch only
 * its own sessions and requests.
 */
void		 mux_pool_up(struct mux *, size_t i);
void		 mux_pool_down(struct mux *, size_t i, const char *cause);
void		 mux_pool_recv(struct mux *, size_t i, json_object *msg);
void		 mux_pool_unavailable(struct mux *, size_t i,
		    const char *cause);
void		 mux_pool_unreadable(struct mux *, size_t i, json_object *id,
		    int seen, size_t limit, const char *reason);
/* How many shared children there are (0 with isolation=session). */
size_t		 mux_pool_size(const struct mux *);
/* Shared child i completed its handshake and accepts traffic. */
int		 mux_pool_ready(const struct mux *, size_t i);
/* One shared child's load, for /metrics and the log. */
struct mux_pool_stats {
	int		up;
	int		ready;
	int		modern;		/* ready, and speaks 2026-07-28 */
	size_t		sessions;	/* legacy sessions pinned to it */
	size_t		in_flight;	/* client requests it owes answers */
	uint64_t	requests;	/* client requests forwarded to it */
	uint64_t	restarts;	/* times it came up again */
};
void		 mux_pool_stats(const struct mux *, size_t i,
		    struct mux_pool_stats *);
/*
 * Shutting down without waiting longer: what every client waits for
 * (requests at a child or queued) is answered now with a JSON-RPC error
 * saying why; the children are left running.
 */
void		 mux_fail_all(struct mux *, const char *why);
/* A shared child (any of a pool) accepts traffic. */
int		 mux_ready(const struct mux *);
/* The shared child's initialize result (borrowed), NULL until ready;
 * for a 2026-07-28 child, the one the bridge made of its discover. */
json_object	*mux_child_info(const struct mux *);
/* The shared child is ready and speaks 2026-07-28. */
int		 mux_child_modern(const struct mux *);
/* The x-mcp-header annotations of the shared child's tool (borrowed; see
 * mcpwire_tool_headers), NULL if no tools/list answer named it. */
json_object	*mux_tool_headers(const struct mux *, const char *tool);
/* Its tool filter (--allow-tool, --deny-tool) lets tool be called. */
int		 mux_tool_allowed(const struct mux *, const char *tool);
/* Some child's tools/list answer named tool (a shared child's, or any
 * session's own child's, gone or not). */
int		 mux_tool_named(const struct mux *, const char *tool);

/* Sessions.  data is the transport's own pointer, returned by
 * mux_session_data. */
struct mux_session *mux_session_new(struct mux *, enum mux_transport, void *data);
void		*mux_session_data(const struct mux_session *);
enum mux_transport mux_session_transport(const struct mux_session *);
/* The session's client completed initialize (its result was sent). */
int		 mux_session_initialized(const struct mux_session *);
/* Negotiated protocol version, NULL before initialize. */
const char	*mux_session_version(const struct mux_session *);
/* Who is asking: an opaque identity of the token the session
 * authenticated with (never the token; 0 without auth).  A line or
 * request the child does not attribute is not guessed to be a session's
 * just after the child answered another principal's request
 * (MUX_RECENT_ANSWER_MS); stateless: a requestState made for one
 * principal is refused to any other. */
void		 mux_session_set_principal(struct mux_session *, uint64_t);
/*
 * The transport has no connection of the session's open now (away 1: its
 * POSTs and its GET stream all closed, or a request of it came and went
 * without one: the time starts again), or has one again (0).  A call of
 * a session away for MUX_AWAY_TURN_MS that holds its child's asking turn
 * is cancelled (mux_tick), as --request-timeout would: a client that left
 * without cancelling must not hold every other session's requests back.
 */
void		 mux_session_away(struct mux_session *, int away);
#define MUX_AWAY_TURN_MS	10000
/* Stateless: a subscriptions/listen it serves ends gracefully (its
 * result is queued as the stream's final); anything else is left alone. */
void		 mux_session_finish(struct mux *, struct mux_session *);
enum mux_recv	 mux_session_recv(struct mux *, struct mux_session *, json_object *msg,
		    uint64_t stream);
/* The client is gone (legacy stream closed, DELETE, expiry, or after
 * MUX_OUT_SESSION_END): the child is told to cancel the session's requests
 * in flight, their late answers are dropped, subscriptions are released, and
 * the session is freed.  No out queued afterwards refers to it; outs already
 * queued for it are discarded.  The one exception, with isolation=session:
 * a MUX_OUT_CHILD_STOP naming it is queued; the pointer stays allocated (use
 * it only as a key) until the mux_next call after the one that returned it. */
void		 mux_session_close(struct mux *, struct mux_session *);

void		 mux_stats(const struct mux *, struct mux_stats *);

#endif
