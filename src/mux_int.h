/* SPDX-License-Identifier: ISC */
/*
 * mux_int.h: the multiplexer's state, shared by the files of the mux module
 * (mux.c, mux_route.c, mux_modern_client.c, mux_modern_child.c) and by
 * nothing else: mux.h is the API.
 *
 * Who owns what:
 *  - struct mux_req is a request the child owes an answer to.  It is in
 *    m->reqs by its child-side id and in its child's list; a client's
 *    request is also in its session's list and id map.  Exactly one of
 *    mux_req_finish (answer the client, or drop) and mux_req_free ends it.
 *  - struct mux_sreq is a child's request waiting for a session's answer,
 *    in m->sreqs by the id the session saw and in the child's map by the
 *    child's own id.
 *  - subscriptions, tasks, elicitations and log levels live in the child
 *    they were made with (the child's state is what they mirror) and are
 *    listed in the session that made them, so that a session's end
 *    releases exactly its own.
 *  - every json_object handed in is consumed; every out holds its own
 *    reference.
 *  - what the scheduler knows of a tool (struct mux_tool) is the mux's,
 *    in m->tools, for every child runs the same server; the asking turn
 *    and the requests waiting for it are each child's (mux_sched.c).
 */
#ifndef MCPBRIDGE_MUX_INT_H
#define MCPBRIDGE_MUX_INT_H

#include <sys/queue.h>

#include <stdint.h>

#include <json-c/json.h>

#include "hmap.h"
#include "jsonrpc.h"
#include "mcpwire.h"
#include "modern.h"
#include "mux.h"

/* Ids (and progress tokens) we hand out stay exact in a double. */
#define MUX_ID_MAX		((UINT64_C(1) << 53) - 1)

/* ---- state ------------------------------------------------------------ */

enum mux_req_kind {
	/* a client's request: the answer goes back to it */
	MUX_REQ_CLIENT = 0,
	/* the bridge's initialize of the shared child */
	MUX_REQ_INIT,
	MUX_REQ_OWN,		/* the bridge's own (setLevel, unsubscribe) */
	/* the era probe: server/discover to the shared child */
	MUX_REQ_DISCOVER,
};

/* What the child's answer to a request needs besides being relayed. */
#define MUX_REQ_F_INITIALIZE	0x1	/* isolation: the client's initialize */
#define MUX_REQ_F_TASKS_LIST	0x2	/* filter to the session's tasks */
#define MUX_REQ_F_SETLEVEL	0x4	/* an error forgets the child's level */
#define MUX_REQ_F_SUBSCRIBE	0x8	/* an error drops the subscription */
/* a legacy client's request to a 2026-07-28 child: translated both ways */
#define MUX_REQ_F_TRANSLATE	0x10
/* a subscriptions/listen at a 2026-07-28 child (a client's, or the
 * bridge's own for its legacy clients) */
#define MUX_REQ_F_LISTEN	0x20
/* tools/list: the answer tells which arguments go in Mcp-Param-* headers */
#define MUX_REQ_F_TOOLS_LIST	0x40

/* A 2026-07-28 child ended the bridge's own listen: opened again after. */
#define MUX_LISTEN_AGAIN_MS	1000

struct mux_child;
struct mux_session;
struct mux_batch;
struct mux_prog;
struct mux_tool;

/* A request as the scheduler sees it (mux_req.sched, mux_sched.c). */
#define MUX_SCHED_SLOT		0x1	/* holds its child's asking turn */
#define MUX_SCHED_HELD		0x2	/* waits: the child has not seen it
					   (mux_req.held) */
#define MUX_SCHED_ASKED		0x4	/* the child asked while it held it */
/* with SLOT: on trial, its tool not known to ask (MUX_SCHED_TRIAL_MS) */
#define MUX_SCHED_TRIAL		0x8
/* its trial ended without a question: it gave the turn up, and may ask */
#define MUX_SCHED_LOOSE		0x10
/* it passed (or waits at) its child's gate: no other session's turn
 * starts while it is in flight, and it waits while one is held */
#define MUX_SCHED_GATE		0x20
/* a legacy client's tools/call: its tool says whether it takes a turn */
#define MUX_SCHED_TOOL		0x40

struct mux_req {
	uint64_t		 cid;		/* id towards the child */
	enum mux_req_kind	 kind;
	unsigned		 flags;
	struct mux_child	*child;
	struct mux_session	*s;		/* NULL unless MUX_REQ_CLIENT */
	/* the client's id, exact type */
	json_object		*id;
	uint64_t		 idh;		/* its hash in s->ids */
	uint64_t		 stream;
	struct mux_batch	*batch;		/* holds one pending count */
	struct mux_prog		*prog;
	char			*uri;		/* MUX_REQ_F_SUBSCRIBE */
	/* in m->timeouts when non-zero */
	uint64_t		 deadline;
	struct mux_mreq		*mr;		/* a 2026-07-28 request */
	struct mux_xreq		*xr;		/* a retried translation */
	/* a request at a shared legacy child: its tool (a tools/call's;
	 * NULL: none, or not known by name), MUX_SCHED_*, and while held
	 * the message for the child and when it began to wait */
	struct mux_tool		*tool;
	unsigned		 sched;
	json_object		*held;
	uint64_t		 since;		/* or: when its trial began */
	TAILQ_ENTRY(mux_req)	 centry;	/* child->reqs */
	TAILQ_ENTRY(mux_req)	 sentry;	/* s->reqs */
	TAILQ_ENTRY(mux_req)	 tentry;	/* m->timeouts */
	TAILQ_ENTRY(mux_req)	 wentry;	/* m->gathering or m->parked */
	TAILQ_ENTRY(mux_req)	 qentry;	/* child->waiting */
};
TAILQ_HEAD(mux_reqs, mux_req);

/*
 * What the scheduler knows of a tool: UNKNOWN until a call of it was
 * answered without the child asking anything while it held the turn or
 * ran loose (QUIET), or the child asked while only its calls could be the
 * cause, or --asking-tools named it (ASKING).  LATE: a call's trial ended
 * without a question; its calls run loose until one is answered.
 */
enum mux_tool_kind {
	MUX_TOOL_UNKNOWN = 0,
	MUX_TOOL_QUIET,
	MUX_TOOL_ASKING,
	MUX_TOOL_LATE,
};

struct mux_tool {
	char			*name;
	enum mux_tool_kind	 kind;
};

/*
 * A legacy client's tools/call, prompts/get or resources/read at a
 * 2026-07-28 child (MUX_REQ_F_TRANSLATE), which the child may answer with
 * input_required: what a retry needs (method, the params as first sent),
 * and the round in progress: the answers gathered, the child's
 * requestState, the questions still out (mux_sreq.xreq).  Its mux_req
 * owns it; other requests have none.
 */
struct mux_xreq {
	char			*method;
	json_object		*params;
	json_object		*resp;
	json_object		*state;		/* a string, NULs and all */
	unsigned		 rounds;
	TAILQ_HEAD(, mux_sreq)	 inputs;
};

/* A client batch: answers are gathered and sent as one array. */
struct mux_batch {
	struct mux_session	*s;
	uint64_t		 stream;
	json_object		*answers;
	/* unanswered, +1 while splitting */
	int			 pending;
	int			 cancelled;	/* a member was: maybe no answer */
};

/* A progress token the bridge put on a request in place of the client's. */
struct mux_prog {
	uint64_t		 token;
	struct mux_session	*s;
	json_object		*orig;
	struct mux_req		*req;		/* while in flight */
	struct mux_task		*task;		/* once it made a task */
};

/*
 * A task and the session it belongs to.  A client's task (made for a
 * child's task-augmented request) has an id the client chose, which
 * another session may choose too: the child sees one of the bridge's (id),
 * the session its own (orig).
 */
struct mux_task {
	char			*id;
	/* in child->ctasks by id and s->ctasks by orig, not ->tasks */
	int			 client_side;
	char			*orig;
	struct mux_child	*child;
	struct mux_session	*s;
	struct mux_prog		*prog;
	/* a client's task: the child's progressToken on the request that
	 * made it (the client may report progress while the task lives) */
	json_object		*ptoken;
	TAILQ_ENTRY(mux_task)	 sentry;
};

/* URL-mode elicitation id -> the session that got elicitation/create. */
struct mux_elicit {
	char			*id;
	struct mux_session	*s;
	TAILQ_ENTRY(mux_elicit)	 sentry;
};

struct mux_subref;
struct mux_sub {
	char			*uri;
	size_t			 n;
	TAILQ_HEAD(, mux_subref) refs;
};

struct mux_subref {
	struct mux_sub		*sub;
	struct mux_session	*s;
	TAILQ_ENTRY(mux_subref)	 bentry;	/* sub->refs */
	TAILQ_ENTRY(mux_subref)	 sentry;	/* s->subs */
};

/*
 * A child's request sent to a session, or (req set, s NULL) waiting to be
 * asked of a 2026-07-28 client in an input_required result.
 */
struct mux_sreq {
	uint64_t		 bid;		/* the id the session saw */
	struct mux_child	*child;
	struct mux_session	*s;
	struct mux_req		*req;
	/* or: a question of a 2026-07-28 child's input_required result,
	 * asked of xreq's legacy session (no cid: the child asked nothing) */
	struct mux_req		*xreq;
	json_object		*cid;		/* the child's id, exact type */
	uint64_t		 cidh;
	/* the child's progressToken on it, exact type, or NULL: the session
	 * may report progress on it while it is pending */
	json_object		*ptoken;
	uint64_t		 stream;
	char			*key;		/* req: its inputRequests key */
	json_object		*ask;		/* req: {method, params} */
	/* a tasks/ request: its answer names the session's tasks */
	int			 tasks;
	TAILQ_ENTRY(mux_sreq)	 sentry;
	/* req->mr->inputs, or xreq->xr->inputs */
	TAILQ_ENTRY(mux_sreq)	 rentry;
};

/*
 * What a 2026-07-28 request needs besides a mux_req.  Its questions wait in
 * inputs while the bridge gathers them (in m->gathering until gather),
 * then the request is parked (in m->parked until expires, no session)
 * until the client retries with the requestState.
 */
struct mux_mreq {
	char			*method;
	char			*name;		/* binds the requestState */
	json_object		*caps;		/* the client's, this round */
	json_object		*supplied;	/* inputResponses, by key */
	json_object		*missing;	/* capabilities it lacked */
	json_object		*late;		/* answered while parked */
	TAILQ_HEAD(, mux_sreq)	 inputs;
	uint64_t		 gather;
	uint64_t		 expires;
	uint64_t		 parked;	/* when it last was */
	uint64_t		 round;
	uint64_t		 principal;
};

/* Client traffic waiting for the child's handshake. */
struct mux_pending {
	struct mux_session	*s;
	json_object		*msg;
	uint64_t		 stream;
	uint64_t		 deadline;
	TAILQ_ENTRY(mux_pending) entry;
};

TAILQ_HEAD(mux_sessions, mux_session);

/*
 * A client request that ended without the child's answer (cid), though
 * the child may still be working on it, and whose session (serial; 0:
 * none) and principal that was, until expires.  While one of another
 * principal (without tokens: of another session) is out, the child's
 * unattributed log line or request is not guessed to be the busy
 * session's.
 */
struct mux_orphan {
	uint64_t		 cid;
	uint64_t		 serial;
	uint64_t		 principal;
	uint64_t		 expires;
	int			 turn;		/* it held an asking turn */
	TAILQ_ENTRY(mux_orphan)	 entry;
};
TAILQ_HEAD(mux_orphans, mux_orphan);

/*
 * The last time the child answered a request of a principal (the
 * identity of a client's token, mux_session_set_principal).  What it
 * writes just after may be about that request: for MUX_RECENT_ANSWER_MS
 * it is not guessed to be another principal's.
 */
struct mux_recent {
	uint64_t		 principal;
	uint64_t		 at;
};

/*
 * A child: the shared one (or one of a pool of them, --children), or a
 * session's own (isolation=session).  What the child's state mirrors
 * (subscriptions, tasks, log level, its requests) lives here, and so
 * does its load: a pool chooses by it.
 */
struct mux_child {
	struct mux		*m;
	/* isolation; NULL: a shared one */
	struct mux_session	*owner;
	/* a shared one: its place in m->pool (MUX_OUT_CHILD's child) */
	size_t			 index;
	/* load: legacy sessions attached (mux_child_attach), client
	 * requests it owes answers (mux_req_attach), requests forwarded,
	 * times it came up */
	size_t			 nsessions;
	size_t			 in_flight;
	uint64_t		 requests;
	uint64_t		 starts;
	int			 up;
	int			 ready;
	/* initialize refused, until restart */
	char			*failed;
	json_object		*info;		/* initialize result */
	struct mux_sessions	 sessions;	/* attached (not ended) */
	/* with requests in flight, by last arrival */
	struct mux_sessions	 busy;
	struct mux_reqs		 reqs;
	/* requests perhaps still worked on, by age; one forgotten: until */
	struct mux_orphans	 orphans;
	size_t			 norphans;
	uint64_t		 orphans_blind;
	/* answers by principal, unordered; one forgotten: until */
	struct mux_recent	 recent[MUX_RECENT_MAX];
	size_t			 nrecent;
	uint64_t		 recent_blind;
	TAILQ_HEAD(, mux_pending) queue;
	struct hmap		 subs;		/* uri -> mux_sub */
	/* taskId -> mux_task (child's tasks) */
	struct hmap		 tasks;
	/* the bridge's taskId -> mux_task (a client's tasks) */
	struct hmap		 ctasks;
	/* elicitationId -> mux_elicit */
	struct hmap		 elicits;
	struct hmap		 sreqs;		/* child's id -> mux_sreq */
	/* sessions per level */
	size_t			 nlevel[MCPWIRE_NLEVELS];
	/* last asked of the child; -1 none */
	int			 level;
	/* Its handshake (isolation: the answer to the client's initialize)
	 * is overdue from then (0: it is done, or that was said). */
	uint64_t		 init_deadline;
	/* A roots/list with nothing in flight was refused since it started
	 * (said once, at debug: mux_child_request). */
	int			 roots_told;
	/* The era probe in flight (MUX_REQ_DISCOVER) and its deadline. */
	struct mux_req		*probe;
	uint64_t		 probe_deadline;
	/* It speaks 2026-07-28: its DiscoverResult (info is made of it),
	 * and the bridge's own subscriptions/listen for legacy clients. */
	int			 modern;
	json_object		*discover;
	struct mux_req		*listen;
	uint64_t		 listen_again;	/* when to reopen it; 0 */
	/* Tool name -> its x-mcp-header annotations (client_modern.h), as
	 * the child's tools/list answers said; forgotten when the list
	 * changes or the child restarts.  HTTP checks Mcp-Param-* by it. */
	json_object		*tool_headers;
	/*
	 * The asking turn (mux_sched.c): the one session whose calls of
	 * tools that ask (or may) the child works on, and how many.  It is
	 * exclusive: while it is held no other session's request is in
	 * flight at the child, so a question the child does not attribute
	 * is asker's.  The requests that wait, of any session, in arrival
	 * order.
	 */
	struct mux_session	*asker;
	size_t			 nasking;
	struct mux_reqs		 waiting;
	size_t			 nwaiting;
	TAILQ_ENTRY(mux_child)	 entry;
};

struct mux_session {
	struct mux		*m;
	enum mux_transport	 transport;
	void			*data;
	/* attached to; NULL when ended */
	struct mux_child	*child;
	struct mux_child	*own;		/* isolation: its own child */
	int			 initialized;
	int			 init_started;
	/* Since when its transport has had no connection of it, nor a
	 * request (0: it has one; mux_session_away). */
	uint64_t		 away_since;
	int			 ended;
	int			 closing;
	/* its CHILD_STOP was handed out */
	int			 reaped;
	uint64_t		 serial;	/* unique, never 0 */
	char			*version;
	json_object		*caps;
	json_object		*info;
	/* -1: never set, gets everything */
	int			 level;
	size_t			 nreqs;
	size_t			 nouts;
	struct hmap		 ids;		/* client id -> mux_req */
	struct mux_reqs		 reqs;		/* in flight, arrival order */
	TAILQ_HEAD(, mux_subref) subs;
	TAILQ_HEAD(, mux_task)	 tasks;
	/* its own taskId -> mux_task (client side) */
	struct hmap		 ctasks;
	TAILQ_HEAD(, mux_elicit) elicits;
	TAILQ_HEAD(, mux_sreq)	 sreqs;
	/* Stateless: the caller's principal, and a subscriptions/listen. */
	uint64_t		 principal;
	int			 listening;
	json_object		*listen_id;
	uint64_t		 listen_stream;
	unsigned		 listen_flags;
	TAILQ_ENTRY(mux_session) centry;	/* child->sessions */
	TAILQ_ENTRY(mux_session) bentry;	/* child->busy */
	TAILQ_ENTRY(mux_session) aentry;	/* m->sessions */
	TAILQ_ENTRY(mux_session) gentry;	/* m->graveyard */
};

struct mux {
	struct mux_config	 cfg;
	/* declared to the shared child */
	json_object		*caps;
	char			*client_name;
	char			*client_version;
	char			*child_name;	/* NULL: "the child" */
	char			*server_name;	/* NULL: one server */
	/* isolation=session: the names any session's child listed (tool
	 * name -> null; at most MCPWIRE_MAX_TOOLS), outliving the child:
	 * mux_tool_named */
	json_object		*tools_named;
	uint64_t		 now;
	uint64_t		 next_id;
	/* ids restarted below MUX_ID_MAX */
	int			 wrapped;
	/* the last of the bridge's ids for clients' tasks */
	uint64_t		 next_task;
	uint64_t		 next_serial;	/* the last session's */
	/* the shared children, npool of them (none with isolation=session);
	 * a session's pick starts at pool_next, so that ties take turns */
	struct mux_child	**pool;
	size_t			 npool;
	size_t			 pool_next;
	TAILQ_HEAD(, mux_child)	 children;
	size_t			 nchildren;	/* isolation: sessions' own */
	struct hmap		 reqs;		/* child-side id -> mux_req */
	struct hmap		 progs;		/* bridge token -> mux_prog */
	/* session-side id -> mux_sreq */
	struct hmap		 sreqs;
	struct mux_reqs		 timeouts;
	/* 2026-07-28: requests gathering questions, parked ones */
	struct mux_reqs		 gathering;
	struct mux_reqs		 parked;
	unsigned char		 key[MODERN_KEY_LEN];	/* requestState */
	/* name -> mux_tool (mux_sched.c); sched: the children may ask */
	struct hmap		 tools;
	size_t			 ntools;
	int			 sched;
	struct mux_sessions	 sessions;	/* all not closed */
	/* closed, CHILD_STOP not yet out */
	struct mux_sessions	 graveyard;
	struct mux_out		*outs;		/* FIFO ring */
	size_t			 outs_head;
	size_t			 outs_len;
	size_t			 outs_cap;
	struct mux_stats	 stats;
};

/* What a withheld guess is about: a request, or a log line. */
enum mux_guess {
	MUX_GUESS_REQUEST = 0,
	MUX_GUESS_LOG,
};

/* ---- functions the files of the mux share ---- */

/* Each file's functions that another file of the mux calls, in the order
 * they are defined; what each does is said where it is defined. */

/* mux.c */
int		 mux_req_match(const void *v, const void *key);
int		 mux_req_id_match(const void *v, const void *key);
int		 mux_prog_match(const void *v, const void *key);
int		 mux_sreq_match(const void *v, const void *key);
int		 mux_sreq_cid_match(const void *v, const void *key);
int		 mux_elicit_match(const void *v, const void *key);
uint64_t	 mux_get_bid(json_object *id);
json_object	*mux_answer_new(json_object *id, const char *key,
		    json_object *v);
uint64_t	 mux_next_id(struct mux *m);
void		 mux_to_child(struct mux *m, struct mux_child *c,
		    json_object *msg);
void		 mux_cancel_at_child(struct mux *, struct mux_child *,
		    struct mux_req *, const char *reason);
void		 mux_to_session(struct mux *m, struct mux_session *s,
		    uint64_t stream, int final, json_object *msg);
void		 mux_batch_done(struct mux *m, struct mux_batch *b);
void		 mux_reply(struct mux *m, struct mux_session *s,
		    uint64_t stream, struct mux_batch *b, json_object *msg);
void		 mux_error(struct mux *m, struct mux_session *s,
		    uint64_t stream, struct mux_batch *b, json_object *id,
		    int code, const char *fmt, ...)
		    __attribute__((format(printf, 7, 8)));
uint64_t	 mux_session_stream(struct mux_session *s);
uint64_t	 mux_session_notify_stream(struct mux_session *s);
struct mux_req	*mux_req_new(struct mux *m, struct mux_child *c,
		    enum mux_req_kind kind);
void		 mux_prog_free(struct mux *m, struct mux_prog *p);
uint64_t	 mux_req_principal(const struct mux_req *req);
void		 mux_req_orphan(struct mux *m, struct mux_req *req);
int		 mux_orphans_unfinished(struct mux *m, struct mux_child *c,
		    struct mux_session *s, int all);
void		 mux_recent_answered(struct mux *m, struct mux_child *c,
		    uint64_t principal);
void		 mux_orphan_answered(struct mux *m, struct mux_child *c,
		    uint64_t cid);
const char	*mux_guess_withheld(struct mux *m, struct mux_child *c,
		    struct mux_session *s, enum mux_guess what);
void		 mux_req_busy(struct mux_req *req);
void		 mux_req_attach(struct mux *m, struct mux_req *req,
		    struct mux_session *s, json_object *id, uint64_t stream);
void		 mux_req_detach(struct mux *m, struct mux_req *req);
void		 mux_req_free(struct mux *m, struct mux_req *req);
void		 mux_req_finish(struct mux *m, struct mux_req *req,
		    json_object *answer);
void		 mux_own_request(struct mux *m, struct mux_child *c,
		    const char *method, json_object *params, unsigned flags);
json_object	*mux_rewrite_request(json_object *msg, uint64_t cid,
		    json_object *params);
/* params (consumed, or msg's) with ctx in a copy of their _meta. */
json_object	*mux_span_params(json_object *msg, json_object *params,
		    const struct tracectx *ctx);
struct mux_req	*mux_forward(struct mux *m, struct mux_session *s,
		    json_object *msg, uint64_t stream, struct mux_batch *b,
		    unsigned flags, json_object *params);
void		 mux_subref_free(struct mux_subref *ref);
struct mux_subref *mux_subref_find(struct mux_sub *sub, struct mux_session *s);
void		 mux_subref_add(struct mux_sub *sub, struct mux_session *s);
struct mux_sub	*mux_sub_find(struct mux_child *c, const char *uri);
struct mux_sub	*mux_sub_new(struct mux_child *c, const char *uri);
void		 mux_sub_free(struct mux_child *c, struct mux_sub *sub);
struct mux_task	*mux_task_find(struct mux_child *c, int client_side,
		    const char *id);
struct mux_task	*mux_task_record(struct mux *m, struct mux_child *c,
		    struct mux_session *s, int client_side,
		    json_object *result);
json_object	*mux_task_out(struct mux_session *s, json_object *o,
		    const char *key);
json_object	*mux_task_result(struct mux *m, struct mux_child *c,
		    struct mux_session *s, json_object *result, int tasks,
		    json_object *ptoken);
void		 mux_elicit_free(struct mux_child *c, struct mux_elicit *e);
void		 mux_elicit_record(struct mux_child *c, struct mux_session *s,
		    const char *id);
void		 mux_sreq_free(struct mux *m, struct mux_sreq *sr);
int		 mux_effective_level(struct mux_child *c);
json_object	*mux_bridge_caps(struct mux *m);
json_object	*mux_bridge_info(struct mux *m);
void		 mux_child_initialized(struct mux *m, struct mux_child *c,
		    json_object *result, json_object *error);
void		 mux_child_modern_ready(struct mux *m, struct mux_child *c,
		    json_object *discover);
void		 mux_child_discovered(struct mux *m, struct mux_child *c,
		    json_object *result, json_object *error);
void		 mux_child_attach(struct mux_child *c, struct mux_session *s);
void		 mux_child_detach(struct mux_child *c, struct mux_session *s);

/* mux_pool.c */
/* "64." and its NUL: a pool child's number (from 1, as the log and
 * /metrics name it) in front of a 2026-07-28 child's requestState. */
#define MUX_POOL_STATE_LEN	4
struct mux_child *mux_pool_pick(struct mux *m, struct mux_session *s);
int		 mux_pool_move(struct mux *m, struct mux_session *s,
		    struct mux_child *c);
const char	*mux_pool_state_child(const struct mux *m, const char *text,
		    struct mux_child **c);

/* mux_route.c */
/* kind: jsonrpc_classify(msg), which the caller has made already. */
enum mux_recv	 mux_route_process(struct mux *m, struct mux_session *s,
		    json_object *msg, uint64_t stream, enum jsonrpc_kind kind);
enum mux_recv	 mux_route_prescan(json_object *msg);
/* msg, the child's answer (borrowed), goes on as the client's when its
 * result is raw (mux_route.c); result and error are its members. */
void		 mux_route_client_answer(struct mux *m, struct mux_req *req,
		    json_object *msg, json_object *result, json_object *error);
void		 mux_route_child_response(struct mux *m, struct mux_child *c,
		    json_object *msg);
int		 mux_route_caps_have(json_object *caps, const char *cap,
		    json_object *params);
int		 mux_route_has_cap(struct mux_session *s, const char *cap,
		    json_object *params);
const char	*mux_route_needed_cap(const char *method);
void		 mux_route_child(struct mux *m, struct mux_child *c,
		    json_object *msg);

/* mux_sched.c */
void		 mux_sched_init(struct mux *m);
void		 mux_sched_free(struct mux *m);
unsigned	 mux_sched_gate(struct mux *m, struct mux_child *c,
		    struct mux_session *s, const char *method,
		    json_object *params, struct mux_tool **tool);
int		 mux_sched_admit(struct mux *m, struct mux_child *c,
		    struct mux_session *s, unsigned sched,
		    const struct mux_tool *t);
void		 mux_sched_hold(struct mux *m, struct mux_req *req,
		    json_object *out);
void		 mux_sched_release(struct mux *m, struct mux_req *req);
void		 mux_sched_answered(struct mux *m, struct mux_req *req,
		    json_object *result);
int		 mux_sched_route(struct mux *m, struct mux_child *c,
		    const char *cap, json_object *params,
		    struct mux_session **s, const char **why);
void		 mux_sched_learn(struct mux *m, struct mux_child *c,
		    struct mux_session *s);
void		 mux_sched_refused(struct mux *m, struct mux_child *c);
void		 mux_sched_tick(struct mux *m);
void		 mux_sched_kick(struct mux *m, struct mux_child *c);

/* mux_modern_client.c */
void		 mux_modern_client_inputs_fail(struct mux *m,
		    struct mux_req *req, int tell, const char *why);
void		 mux_modern_client_mreq_free(struct mux *m,
		    struct mux_req *req);
void		 mux_modern_client_input(struct mux *m, struct mux_child *c,
		    struct mux_req *req, json_object *msg);
void		 mux_modern_client_answer(struct mux *m, struct mux_req *req,
		    json_object *result, json_object *error);
const char	*mux_modern_client_state_mine(struct mux *m,
		    struct mux_session *s, json_object *msg, uint64_t stream,
		    const char *text);
void		 mux_modern_client_request(struct mux *m,
		    struct mux_session *s, json_object *msg, uint64_t stream);
void		 mux_modern_client_tick(struct mux *m);

/* mux_modern_child.c */
void		 mux_modern_child_passthrough(struct mux *m,
		    struct mux_session *s, json_object *msg, uint64_t stream);
void		 mux_modern_child_own_listen(struct mux *m,
		    struct mux_child *c);
json_object	*mux_modern_child_notification(struct mux *m,
		    struct mux_child *c, json_object *msg);
int		 mux_modern_child_translate_request(struct mux *m,
		    struct mux_session *s, json_object *msg, uint64_t stream,
		    struct mux_batch *b);
void		 mux_modern_child_translate_answer(struct mux *m,
		    struct mux_req *req, json_object *result,
		    json_object *error);
enum mux_recv	 mux_modern_child_translate_response(struct mux *m,
		    struct mux_sreq *sr, json_object *msg);

#endif
