/* SPDX-License-Identifier: ISC */
/*
 * fuzz_mux.c: the multiplexer under random traffic, with a model that
 * knows who asked what.
 *
 * The input is a program: each step opens or closes a session, has a
 * session send something (initialize, requests with colliding ids and
 * progress tokens, notifications and cancellations, batches, answers to
 * the server's requests, raw JSON from the input), or has a fake child
 * act (come up, go down, fail to start again, answer, notify, ask, send
 * raw JSON), or lets time pass.  The first byte is the configuration, the
 * shared child's era (legacy, probed, modern) and an instance_id among it;
 * shared, the bit that caps isolation's children makes a pool of two
 * shared children (--children 2), each a fake child of its own.
 *
 * Every session has a principal (0, 1 or 2: a token's).
 * 2026-07-28: stateless sessions send requests
 * with the modern _meta and retry input_required results with a
 * requestState some session got (as it was, altered, another instance's,
 * another principal's).  The fake child answers the era probe as it
 * likes (or not in time); as a 2026-07-28 child it answers with complete
 * or input_required results of its own, tags listen notifications and
 * ends listens; as a legacy one it asks questions with the
 * mcpbridge/relatedRequestId hint, which stateless sessions get in an
 * input_required result.
 *
 * After each step every out is drained and checked:
 *
 *  - a response reaches only the session that sent that id, on the stream
 *    it came on, and once; the fake child stamps each answer with the
 *    serial number of the request it answers, so a response cannot pass
 *    for another session's that has the same id on the same stream;
 *  - another session's request is answered to a session (and its progress
 *    and listen notifications reach it) only when it retried with that
 *    request's requestState, and only for the same principal;
 *  - the instance's name before a requestState never reaches the child,
 *    nor does initialize a 2026-07-28 child;
 *  - progress reaches only the session whose request it is about, with
 *    that session's own token; the child sees a token of the bridge's;
 *  - a log line of the child reaches one session at most;
 *  - ids towards the child are the bridge's own and never reused; the
 *    child gets at most one answer per request it sent;
 *  - nothing names a closed session; a session that ends has nothing
 *    left unanswered; mux_session_recv's verdict fits the message;
 *  - in the end, with the child gone and every deadline past, every
 *    request a session sent has been answered (or it cancelled it).
 * Memory: the sanitizers see every leak and use after free.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "jsonrpc.h"
#include "log.h"
#include "mux.h"
#include "tracectx.h"

#define NSESS		6
#define NCHILD		(NSESS + 1)	/* [0] is the shared child */
#define MAX_DONE	16
#define MUX_ID_MAX	((INT64_C(1) << 53) - 1)
#define FLAGS		(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* An answer a session waits for. */
struct expect {
	char		*id;		/* serialised */
	uint64_t	 stream;
	uint64_t	 serial;	/* 0: not one of ours */
	/* A retry with a requestState: the serial of the request it takes
	 * over (the one a legacy child still works on), 0 if none. */
	uint64_t	 alt;
	char		*tok;		/* its progress token, serialised */
	char		*method;	/* stateless: for a retry */
	char		*name;
	int		 excused;	/* it cancelled: may stay unanswered */
};

/* A requestState a stateless session got, for anyone to retry with. */
struct fstate {
	char		*state;
	uint64_t	 serial;	/* the request a retry takes over, or 0 */
	uint64_t	 principal;	/* of the session that got it */
	char		*method;
	char		*name;
	json_object	*keys;		/* its inputRequests' keys */
};
#define NSTATE		8

struct fsess {
	struct mux_session	*ms;	/* NULL: slot free */
	uint64_t		 uid;
	int			 ended;
	uint64_t		 next_stream;
	struct expect		*exp;
	size_t			 nexp;
	size_t			 capexp;
	unsigned		 nullable;	/* null-id errors it may get */
	int			 stateless;
	uint64_t		 principal;
	json_object		*sreqs;		/* ids of server requests it got */
	/* Those it answers in the batch being sent: one answer in it may
	 * fail the request, and the rest be cancelled before their turn. */
	json_object		*batch_ans;
};

struct fchild {
	int			 used;
	struct mux_session	*key;	/* NULL: a shared child */
	size_t			 index;	/* a shared one: its number */
	int			 up;
	int			 dead;	/* a session's child that went down */
	json_object		*reqs;	/* requests from the bridge, unanswered */
	json_object		*done;	/* some answered ones (progress after) */
	json_object		*sreq_ids;	/* its own requests, unanswered */
	int64_t			 next_sid;
};

struct fz {
	struct fuzz_in		 in;
	struct mux		*m;
	int			 isolation;
	size_t			 npool;	/* shared children, c[0 .. npool-1] */
	struct fsess		 s[NSESS];
	struct fchild		 c[NCHILD];
	uint64_t		 now;
	uint64_t		 uid;
	int64_t			 last_cid;
	const char		*instance_id;
	uint64_t		 alt;	/* for the retry about to be sent */
	struct fstate		 st[NSTATE];
	size_t			 nst;	/* states ever got (st is a ring) */
	/* serial -> the session (uid), its principal and the progress token
	 * it used */
	uint64_t		*owner;
	uint64_t		*prin;
	char			**token;
	size_t			 nserial;
	size_t			 capserial;
};

static void	pump(struct fz *);

/* FUZZ_TRACE=1 in the environment: each step and out on stderr. */
static int	trace;
#define TRACE(...) do {							\
	if (trace)							\
		fprintf(stderr, __VA_ARGS__);				\
} while (0)

/* ---- small helpers ---- */

static char *
idstr(json_object *id)
{
	return strdup(json_object_to_json_string_ext(id, FLAGS));
}

static void
add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *
get(json_object *o, const char *k)
{
	json_object	*v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static int64_t
get_int(json_object *o, const char *k)
{
	json_object	*v = get(o, k);

	return json_object_is_type(v, json_type_int) ?
	    json_object_get_int64(v) : 0;
}

static const char *
pick_str(struct fz *f, const char *const *list, size_t n)
{
	return list[fuzz_pick(&f->in, (unsigned)n)];
}
#define PICK(f, list)	pick_str(f, list, sizeof list / sizeof list[0])

static json_object *
pick_id(struct fz *f)
{
	switch (fuzz_pick(&f->in, 12)) {
	case 0:
		return json_object_new_int64(0);
	case 1:
	case 2:
		return json_object_new_int64(1);
	case 3:
		return json_object_new_int64(2);
	case 4:
		return json_object_new_string("1");
	case 5:
		return json_object_new_string("a");
	case 6:
		return json_object_new_int64(-1);
	case 7:
		return json_object_new_int64(INT64_MAX);
	case 8:
		return json_object_new_uint64(UINT64_MAX);
	case 9:
		return json_object_new_int64(MUX_ID_MAX + 1);
	case 10:
		return NULL;		/* "id": null: not a request */
	default:
		return json_object_new_int64((int64_t)fuzz_byte(&f->in));
	}
}

static json_object *
pick_token(struct fz *f)
{
	switch (fuzz_pick(&f->in, 4)) {
	case 0:
		return json_object_new_int64(1);
	case 1:
		return json_object_new_int64(2);
	case 2:
		return json_object_new_string("p");
	default:
		return json_object_new_int64(7);
	}
}

static const char *const levels[] = { "debug", "info", "error", "bogus" };
static const char *const uris[] = { "u1", "u2" };
static const char *const tasks[] = { "t1", "t2", "t3" };
static const char *const versions[] = { "2025-06-18", "2024-11-05",
	"2025-11-25", "2026-07-28", "1999-01-01" };

/* Removes the first id in arr equal to id; 1 if there was one. */
static int
ids_remove(json_object *arr, json_object *id)
{
	size_t	i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++) {
		if (jsonrpc_id_equal(json_object_array_get_idx(arr, i), id)) {
			json_object_array_del_idx(arr, i, 1);
			return 1;
		}
	}
	return 0;
}

/* ---- sessions in the model ---- */

static struct fsess *
sess_find(struct fz *f, struct mux_session *ms)
{
	size_t	i;

	if (ms == NULL)
		return NULL;
	for (i = 0; i < NSESS; i++) {
		if (f->s[i].ms == ms)
			return &f->s[i];
	}
	return NULL;
}

static uint64_t
serial_new(struct fz *f, struct fsess *s, json_object *token)
{
	if (f->nserial + 1 >= f->capserial) {
		f->capserial = f->capserial == 0 ? 64 : f->capserial * 2;
		f->owner = realloc(f->owner, f->capserial * sizeof *f->owner);
		f->token = realloc(f->token, f->capserial * sizeof *f->token);
		f->prin = realloc(f->prin, f->capserial * sizeof *f->prin);
		if (f->nserial == 0) {
			f->owner[0] = 0;
			f->prin[0] = 0;
			f->token[0] = NULL;
			f->nserial = 1;		/* 0 means "none" */
		}
	}
	f->owner[f->nserial] = s->uid;
	f->prin[f->nserial] = s->principal;
	f->token[f->nserial] = token != NULL ? idstr(token) : NULL;
	return f->nserial++;
}

static struct expect *
expect_add(struct fsess *s, json_object *id, uint64_t stream, uint64_t serial)
{
	struct expect	*e;

	if (s->nexp == s->capexp) {
		s->capexp = s->capexp == 0 ? 16 : s->capexp * 2;
		s->exp = realloc(s->exp, s->capexp * sizeof *s->exp);
	}
	e = &s->exp[s->nexp++];
	e->id = idstr(id);
	e->stream = stream;
	e->serial = serial;
	e->alt = 0;
	e->tok = e->method = e->name = NULL;
	e->excused = 0;
	return e;
}

static void
expect_del(struct fsess *s, size_t i)
{
	free(s->exp[i].id);
	free(s->exp[i].tok);
	free(s->exp[i].method);
	free(s->exp[i].name);
	s->exp[i] = s->exp[--s->nexp];
}

static size_t
expect_open(const struct fsess *s)
{
	size_t	i, n = 0;

	for (i = 0; i < s->nexp; i++)
		n += !s->exp[i].excused;
	return n;
}

static void
sess_clear(struct fsess *s)
{
	while (s->nexp > 0)
		expect_del(s, s->nexp - 1);
	free(s->exp);
	json_object_put(s->sreqs);
	json_object_put(s->batch_ans);
	memset(s, 0, sizeof *s);
}

/* ---- children in the model ---- */

static struct fchild *
child_find(struct fz *f, struct mux_session *key, size_t index)
{
	size_t	i;

	if (!f->isolation)
		return key == NULL && index < f->npool ? &f->c[index] : NULL;
	for (i = 1; i < NCHILD; i++) {
		if (f->c[i].used && f->c[i].key == key)
			return &f->c[i];
	}
	return NULL;
}

static void
child_reset(struct fchild *c)
{
	json_object_put(c->reqs);
	json_object_put(c->done);
	json_object_put(c->sreq_ids);
	c->reqs = json_object_new_array();
	c->done = json_object_new_array();
	c->sreq_ids = json_object_new_array();
}

static void
child_clear(struct fchild *c)
{
	json_object_put(c->reqs);
	json_object_put(c->done);
	json_object_put(c->sreq_ids);
	memset(c, 0, sizeof *c);
}

/* What the child is about to send, in the model's books. */
static void
child_sent_one(struct fchild *c, json_object *msg)
{
	json_object	*id, *r;
	const char	*method;
	size_t		 i, n;

	switch (jsonrpc_classify(msg)) {
	case JSONRPC_REQUEST:
		json_object_array_add(c->sreq_ids,
		    jsonrpc_id_copy(jsonrpc_id(msg)));
		break;
	case JSONRPC_RESPONSE:
		id = jsonrpc_id(msg);
		n = json_object_array_length(c->reqs);
		for (i = 0; i < n; i++) {
			r = json_object_array_get_idx(c->reqs, i);
			if (!jsonrpc_id_equal(jsonrpc_id(r), id))
				continue;
			if (json_object_array_length(c->done) < MAX_DONE)
				json_object_array_add(c->done,
				    json_object_get(r));
			json_object_array_del_idx(c->reqs, i, 1);
			break;
		}
		break;
	case JSONRPC_NOTIFICATION:
		method = jsonrpc_method(msg);
		if (strcmp(method, "notifications/cancelled") == 0 &&
		    (id = get(jsonrpc_params(msg), "requestId")) != NULL)
			ids_remove(c->sreq_ids, id);
		break;
	default:
		break;
	}
}

static void
child_send(struct fz *f, struct fchild *c, json_object *msg)
{
	size_t	i, n;

	if (json_object_is_type(msg, json_type_array)) {
		n = json_object_array_length(msg);
		for (i = 0; i < n; i++)
			child_sent_one(c, json_object_array_get_idx(msg, i));
	} else
		child_sent_one(c, msg);
	TRACE("child %p sends %s\n", (void *)c->key,
	    json_object_to_json_string_ext(msg, FLAGS));
	if (c->key == NULL)
		mux_pool_recv(f->m, c->index, msg);
	else
		mux_child_recv(f->m, c->key, msg);
	pump(f);
}

/* ---- checking what comes out ---- */

/* The serial the fake child stamped on an answer, 0 if none. */
static uint64_t
stamp(json_object *msg)
{
	json_object	*v;

	if ((v = get(msg, "result")) == NULL)
		v = get(get(msg, "error"), "data");
	return (uint64_t)get_int(v, "_o");
}

/* A stateless session got an input_required result: into the pool. */
static void
state_keep(struct fz *f, struct fsess *s, const struct expect *e,
    json_object *result, uint64_t serial)
{
	struct fstate	*st;
	json_object	*v;

	if ((v = get(result, "resultType")) == NULL ||
	    strcmp(json_object_get_string(v), "input_required") != 0 ||
	    !json_object_is_type(v = get(result, "requestState"),
	    json_type_string) || e->method == NULL)
		return;
	st = &f->st[f->nst++ % NSTATE];
	free(st->state);
	free(st->method);
	free(st->name);
	json_object_put(st->keys);
	st->state = strdup(json_object_get_string(v));
	/* A child's own state: the retry is a new request to it.  The
	 * bridge's (unstamped): the retry takes the parked request over. */
	st->serial = serial != 0 ? 0 : e->alt != 0 ? e->alt : e->serial;
	st->principal = s->principal;
	st->method = strdup(e->method);
	st->name = e->name != NULL ? strdup(e->name) : NULL;
	st->keys = json_object_new_array();
	if (!json_object_is_type(v = get(result, "inputRequests"),
	    json_type_object))
		return;
	json_object_object_foreach(v, k, q) {
		(void)q;
		json_object_array_add(st->keys, json_object_new_string(k));
	}
}

static void
got_response(struct fz *f, struct fsess *s, json_object *msg, uint64_t stream)
{
	json_object	*id = jsonrpc_id(msg);
	uint64_t	 serial;
	char		*key;
	size_t		 i, found = (size_t)-1;

	if (id == NULL) {
		FUZZ_CHECK(get(msg, "error") != NULL, "null id without error");
		FUZZ_CHECK(s->nullable > 0, "null-id error nobody asked for: %s",
		    json_object_to_json_string_ext(msg, FLAGS));
		s->nullable--;
		return;
	}
	serial = stamp(msg);
	key = idstr(id);
	for (i = 0; i < s->nexp; i++) {
		if (strcmp(s->exp[i].id, key) != 0 ||
		    s->exp[i].stream != stream)
			continue;
		if (serial != 0 && s->exp[i].serial != serial &&
		    s->exp[i].alt != serial)
			continue;
		if (found == (size_t)-1 || (s->exp[found].excused &&
		    !s->exp[i].excused))
			found = i;
	}
	FUZZ_CHECK(found != (size_t)-1, "session %" PRIu64 " got an answer "
	    "it did not ask for (or twice): %s on stream %" PRIu64, s->uid,
	    json_object_to_json_string_ext(msg, FLAGS), stream);
	FUZZ_CHECK(serial == 0 || serial < f->nserial, "bad stamp");
	/* Another session's request only by a retry with its requestState,
	 * and only for the principal that made it. */
	FUZZ_CHECK(serial == 0 || f->owner[serial] == s->uid ||
	    (s->stateless && s->exp[found].alt == serial &&
	    f->prin[serial] == s->principal), "session %" PRIu64 " (principal "
	    "%" PRIu64 ") got the answer to session %" PRIu64 "'s request "
	    "(principal %" PRIu64 ")", s->uid, s->principal,
	    f->owner[serial], f->prin[serial]);
	if (s->stateless)
		state_keep(f, s, &s->exp[found], get(msg, "result"), serial);
	expect_del(s, found);
	free(key);
}

/* A request of s's that took serial over with a requestState. */
static struct expect *
expect_adopted(struct fsess *s, uint64_t serial)
{
	size_t	i;

	for (i = 0; s->stateless && i < s->nexp; i++) {
		if (s->exp[i].alt == serial)
			return &s->exp[i];
	}
	return NULL;
}

/* Something about request serial reached s: is it s's to get? */
static void
check_owner(struct fz *f, struct fsess *s, uint64_t serial, const char *what)
{
	FUZZ_CHECK(serial < f->nserial, "bad stamp");
	FUZZ_CHECK(f->owner[serial] == s->uid || (expect_adopted(s, serial) !=
	    NULL && f->prin[serial] == s->principal), "%s for session %"
	    PRIu64 "'s request reached session %" PRIu64, what,
	    f->owner[serial], s->uid);
}

static void
got_notification(struct fz *f, struct fsess *s, json_object *msg)
{
	json_object	*params = jsonrpc_params(msg), *v;
	const char	*method = jsonrpc_method(msg), *want;
	struct expect	*e;
	uint64_t	 serial;
	char		*tok;

	if (strcmp(method, "notifications/progress") == 0) {
		serial = (uint64_t)get_int(params, "_o");
		if (serial == 0)
			return;		/* raw JSON from the child */
		check_owner(f, s, serial, "progress");
		/* A retry that took the request over brought its own token. */
		want = (e = expect_adopted(s, serial)) != NULL ? e->tok :
		    f->token[serial];
		FUZZ_CHECK(want != NULL,
		    "progress for a request that had no token");
		tok = idstr(get(params, "progressToken"));
		FUZZ_CHECK(strcmp(tok, want) == 0,
		    "progress token %s, the session used %s", tok, want);
		free(tok);
	} else if (strcmp(method, "notifications/cancelled") == 0) {
		v = get(params, "requestId");
		FUZZ_CHECK(v != NULL && (ids_remove(s->sreqs, v) ||
		    (s->batch_ans != NULL && ids_remove(s->batch_ans, v))),
		    "cancellation of a request the session never got");
	} else if ((serial = (uint64_t)get_int(params, "_o")) != 0)
		/* A 2026-07-28 child's notification on a listen stream. */
		check_owner(f, s, serial, method);
}

static void
session_got(struct fz *f, struct mux_out *o)
{
	struct fsess	*s = sess_find(f, o->session);
	json_object	*msg = o->msg, *e;
	size_t		 i, n;
	int		 pass;

	FUZZ_CHECK(s != NULL, "out for a session that is closed or unknown");
	FUZZ_CHECK(mux_session_data(o->session) == s, "wrong session data");
	if (msg == NULL) {
		/* A stream whose requests the session cancelled ends. */
		FUZZ_CHECK(o->final, "session out without a message");
		for (i = 0; i < s->nexp; i++) {
			if (s->exp[i].stream == o->stream &&
			    s->exp[i].excused)
				return;
		}
		FUZZ_CHECK(0, "stream %" PRIu64 " ended, nothing cancelled",
		    o->stream);
	}
	if (json_object_is_type(msg, json_type_array)) {
		FUZZ_CHECK(o->final, "batch answer not final");
		n = json_object_array_length(msg);
		FUZZ_CHECK(n > 0, "empty batch answer");
		/* Answers the child stamped first: a batch may repeat an id,
		 * and an unstamped error must not take a stamped one's place. */
		for (pass = 0; pass < 2; pass++) {
			for (i = 0; i < n; i++) {
				e = json_object_array_get_idx(msg, i);
				FUZZ_CHECK(jsonrpc_classify(e) ==
				    JSONRPC_RESPONSE, "not a response in a "
				    "batch answer: %s",
				    json_object_to_json_string_ext(e, FLAGS));
				if ((stamp(e) != 0) == (pass == 0))
					got_response(f, s, e, o->stream);
			}
		}
		return;
	}
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_RESPONSE:
		FUZZ_CHECK(o->final, "response not final");
		got_response(f, s, msg, o->stream);
		break;
	case JSONRPC_REQUEST:
		FUZZ_CHECK(!o->final, "request marked final");
		FUZZ_CHECK(json_object_is_type(jsonrpc_id(msg), json_type_int),
		    "server request with a foreign id");
		json_object_array_add(s->sreqs, jsonrpc_id_copy(jsonrpc_id(msg)));
		break;
	case JSONRPC_NOTIFICATION:
		FUZZ_CHECK(!o->final, "notification marked final");
		got_notification(f, s, msg);
		break;
	default:
		FUZZ_CHECK(0, "invalid message to a session: %s",
		    json_object_to_json_string_ext(msg, FLAGS));
	}
}

static void
child_got(struct fz *f, struct mux_out *o)
{
	struct fchild	*c = child_find(f, o->session, o->child);
	struct mux_pool_stats ps;
	json_object	*msg = o->msg, *id, *token;
	int64_t		 v;

	FUZZ_CHECK(json_object_is_type(msg, json_type_object),
	    "not an object to the child: %s",
	    json_object_to_json_string_ext(msg, FLAGS));
	switch (jsonrpc_classify(msg)) {
	case JSONRPC_REQUEST:
		id = jsonrpc_id(msg);
		FUZZ_CHECK(json_object_is_type(id, json_type_int),
		    "a client's id reached the child");
		v = json_object_get_int64(id);
		FUZZ_CHECK(v > f->last_cid && v <= MUX_ID_MAX,
		    "request id %" PRId64 " after %" PRId64, v, f->last_cid);
		f->last_cid = v;
		if ((token = jsonrpc_progress_token(msg)) != NULL)
			/* The request's id, or (a translated retry keeps
			 * it) the id of the request it retries. */
			FUZZ_CHECK(json_object_is_type(token, json_type_int) &&
			    json_object_get_int64(token) > 0 &&
			    json_object_get_int64(token) <= v,
			    "a client's progress token reached the child");
		/* The instance's name is the bridge's, never the child's. */
		v = get(jsonrpc_params(msg), "requestState") != NULL ?
		    (int64_t)strncmp(json_object_get_string(get(
		    jsonrpc_params(msg), "requestState")), "fz.", 3) : 1;
		FUZZ_CHECK(f->instance_id == NULL || v != 0,
		    "the instance's prefix reached the child: %s",
		    json_object_to_json_string_ext(msg, FLAGS));
		mux_pool_stats(f->m, o->child, &ps);
		FUZZ_CHECK(o->session != NULL || !ps.modern ||
		    strcmp(jsonrpc_method(msg), "initialize") != 0,
		    "initialize for a 2026-07-28 child");
		if (c != NULL && c->up)
			json_object_array_add(c->reqs, json_object_get(msg));
		break;
	case JSONRPC_RESPONSE:
		if (c == NULL || !c->up)
			break;
		FUZZ_CHECK(ids_remove(c->sreq_ids, jsonrpc_id(msg)),
		    "the child got an answer it did not ask for (or twice): %s",
		    json_object_to_json_string_ext(msg, FLAGS));
		break;
	case JSONRPC_NOTIFICATION:
		break;
	default:
		FUZZ_CHECK(0, "invalid message to the child: %s",
		    json_object_to_json_string_ext(msg, FLAGS));
	}
}

static void
pump(struct fz *f)
{
	struct mux_out	 o;
	struct fsess	*s;
	struct fchild	*c;
	struct mux_stats st;
	size_t		 i, live = 0, logs = 0;

	while (mux_next(f->m, &o)) {
		TRACE("  out %d session %p stream %" PRIu64 "%s %s\n", o.kind,
		    (void *)o.session, o.stream, o.final ? " final" : "",
		    o.msg != NULL ? json_object_to_json_string_ext(o.msg,
		    FLAGS) : "");
		switch (o.kind) {
		case MUX_OUT_CHILD:
			child_got(f, &o);
			break;
		case MUX_OUT_SESSION:
			session_got(f, &o);
			/* One step has the child send one log line at most. */
			if (jsonrpc_classify(o.msg) == JSONRPC_NOTIFICATION &&
			    strcmp(jsonrpc_method(o.msg),
			    "notifications/message") == 0)
				FUZZ_CHECK(++logs == 1,
				    "a log line reached two sessions");
			break;
		case MUX_OUT_SESSION_END:
			s = sess_find(f, o.session);
			FUZZ_CHECK(s != NULL, "end of a closed session");
			FUZZ_CHECK(!s->ended, "session ended twice");
			FUZZ_CHECK(expect_open(s) == 0, "session %" PRIu64
			    " ended with %zu requests unanswered", s->uid,
			    expect_open(s));
			s->ended = 1;
			break;
		case MUX_OUT_CHILD_START:
			FUZZ_CHECK(f->isolation, "CHILD_START when shared");
			FUZZ_CHECK(sess_find(f, o.session) != NULL,
			    "CHILD_START for a closed session");
			FUZZ_CHECK(child_find(f, o.session, 0) == NULL,
			    "second CHILD_START");
			for (i = 1; i < NCHILD && f->c[i].used; i++)
				;
			FUZZ_CHECK(i < NCHILD, "more children than sessions");
			c = &f->c[i];
			c->used = 1;
			c->key = o.session;
			child_reset(c);
			break;
		case MUX_OUT_CHILD_STOP:
			FUZZ_CHECK(sess_find(f, o.session) == NULL,
			    "CHILD_STOP for a live session");
			if ((c = child_find(f, o.session, 0)) != NULL)
				child_clear(c);
			break;
		}
		if (o.msg != NULL)
			json_object_put(o.msg);
	}
	for (i = 0; i < NSESS; i++)
		live += f->s[i].ms != NULL;
	mux_stats(f->m, &st);
	FUZZ_CHECK(st.sessions == live, "mux counts %zu sessions, %zu open",
	    st.sessions, live);
}

/* ---- sessions act ---- */

/* The books for one message a session sends; *need counts replies due. */
static void
sess_expect(struct fz *f, struct fsess *s, json_object *e, uint64_t stream,
    int *need)
{
	struct expect	*x;
	json_object	*id, *v;
	const char	*method;
	size_t		 i;
	char		*key;

	switch (jsonrpc_classify(e)) {
	case JSONRPC_REQUEST:
		x = expect_add(s, jsonrpc_id(e), stream,
		    (uint64_t)get_int(jsonrpc_params(e), "_o"));
		if ((v = jsonrpc_progress_token(e)) != NULL)
			x->tok = idstr(v);
		if (s->stateless) {
			x->alt = f->alt;
			x->method = strdup(jsonrpc_method(e));
			v = get(jsonrpc_params(e), strcmp(jsonrpc_method(e),
			    "resources/read") == 0 ? "uri" : "name");
			if (json_object_is_type(v, json_type_string))
				x->name = strdup(json_object_get_string(v));
		}
		(*need)++;
		break;
	case JSONRPC_NOTIFICATION:
		method = jsonrpc_method(e);
		if (strcmp(method, "notifications/cancelled") != 0 ||
		    (id = get(jsonrpc_params(e), "requestId")) == NULL)
			break;
		/* One of these may now go unanswered. */
		key = idstr(id);
		for (i = 0; i < s->nexp; i++) {
			if (strcmp(s->exp[i].id, key) == 0)
				s->exp[i].excused = 1;
		}
		free(key);
		break;
	case JSONRPC_RESPONSE:
		/* Answers a request it got, or is refused with a null id
		 * (a stateless session always is: the question stays open). */
		if (!s->stateless && ids_remove(s->sreqs, jsonrpc_id(e)) &&
		    s->batch_ans != NULL)
			json_object_array_add(s->batch_ans,
			    jsonrpc_id_copy(jsonrpc_id(e)));
		s->nullable++;
		break;
	default:
		s->nullable++;
		(*need)++;
		break;
	}
}

static void
sess_send(struct fz *f, struct fsess *s, json_object *msg)
{
	enum jsonrpc_kind	 top = jsonrpc_classify(msg);
	enum mux_recv		 r;
	uint64_t		 stream = s->next_stream++;
	size_t			 i, n;
	int			 need = 0;

	if (top == JSONRPC_BATCH) {
		s->batch_ans = json_object_new_array();
		n = json_object_array_length(msg);
		for (i = 0; i < n; i++)
			sess_expect(f, s, json_object_array_get_idx(msg, i),
			    stream, &need);
	} else
		sess_expect(f, s, msg, stream, &need);
	f->alt = 0;
	TRACE("session %" PRIu64 " (%p) sends on %" PRIu64 ": %s\n", s->uid,
	    (void *)s->ms, stream, json_object_to_json_string_ext(msg, FLAGS));
	r = mux_session_recv(f->m, s->ms, msg, stream);
	if (top == JSONRPC_INVALID)
		FUZZ_CHECK(r == MUX_RECV_INVALID, "invalid message, verdict %d",
		    r);
	else if (need > 0)
		FUZZ_CHECK(r == MUX_RECV_REPLY || r == MUX_RECV_BUSY,
		    "a reply is due, verdict %d", r);
	if (r == MUX_RECV_ACCEPTED)
		FUZZ_CHECK(need == 0, "accepted, but a reply is due");
	pump(f);
	json_object_put(s->batch_ans);
	s->batch_ans = NULL;
}

static struct fsess *
pick_sess(struct fz *f)
{
	struct fsess	*s = &f->s[fuzz_pick(&f->in, NSESS)];

	return s->ms != NULL ? s : NULL;
}

static json_object *
msg_new(struct fz *f, const char *method, json_object *id, int request)
{
	json_object	*o = json_object_new_object();

	/* Now and then a wrong version: an invalid message. */
	add(o, "jsonrpc", json_object_new_string(
	    fuzz_pick(&f->in, 32) == 0 ? "1.0" : "2.0"));
	if (request)
		add(o, "id", id);
	add(o, "method", json_object_new_string(method));
	return o;
}

static json_object *
make_initialize(struct fz *f, struct fsess *s)
{
	json_object	*o, *p, *caps, *info;

	o = msg_new(f, "initialize", fuzz_pick(&f->in, 4) == 0 ? pick_id(f) :
	    json_object_new_int64(0), 1);
	p = json_object_new_object();
	add(p, "protocolVersion", json_object_new_string(PICK(f, versions)));
	caps = json_object_new_object();
	if (fuzz_byte(&f->in) & 1) {
		add(caps, "sampling", json_object_new_object());
		add(caps, "roots", json_object_new_object());
		add(caps, "tasks", json_object_new_object());
		info = json_object_new_object();
		add(info, "url", json_object_new_object());
		add(caps, "elicitation", info);
	}
	add(p, "capabilities", caps);
	info = json_object_new_object();
	add(info, "name", json_object_new_string("fuzz"));
	add(info, "version", json_object_new_string("1"));
	add(p, "clientInfo", info);
	add(p, "_o", json_object_new_int64((int64_t)serial_new(f, s, NULL)));
	add(o, "params", p);
	return o;
}

static json_object *
make_request(struct fz *f, struct fsess *s)
{
	static const char *const methods[] = { "tools/call", "tools/call",
		"ping", "logging/setLevel", "resources/subscribe",
		"resources/unsubscribe", "tasks/get", "tasks/result",
		"tasks/cancel", "tasks/list", "resources/read", "initialize" };
	json_object	*o, *p, *meta, *token = NULL;
	const char	*method = PICK(f, methods);

	if (strcmp(method, "initialize") == 0)
		return make_initialize(f, s);
	o = msg_new(f, method, pick_id(f), 1);
	p = json_object_new_object();
	add(p, "name", json_object_new_string("echo"));
	if (fuzz_byte(&f->in) & 1) {
		token = pick_token(f);
		meta = json_object_new_object();
		add(meta, "progressToken", json_object_get(token));
		add(p, "_meta", meta);
	}
	if (strcmp(method, "logging/setLevel") == 0)
		add(p, "level", json_object_new_string(PICK(f, levels)));
	else if (strncmp(method, "resources/", 10) == 0)
		add(p, "uri", json_object_new_string(PICK(f, uris)));
	else if (strncmp(method, "tasks/", 6) == 0)
		add(p, "taskId", json_object_new_string(PICK(f, tasks)));
	add(p, "_o", json_object_new_int64((int64_t)serial_new(f, s, token)));
	json_object_put(token);
	add(o, "params", p);
	return o;
}

/* The _meta every 2026-07-28 request carries (now and then amiss). */
static json_object *
modern_meta(struct fz *f)
{
	static const char *const caps[] = { "sampling", "elicitation",
		"roots" };
	json_object	*meta, *c;
	unsigned	 i, b = fuzz_byte(&f->in);

	meta = json_object_new_object();
	add(meta, "io.modelcontextprotocol/protocolVersion",
	    json_object_new_string((b & 0xf0) == 0xf0 ? "2025-11-25" :
	    "2026-07-28"));
	c = json_object_new_object();
	for (i = 0; i < 3; i++) {
		if (b & (1u << i))
			add(c, caps[i], json_object_new_object());
	}
	if ((b & 0xf0) != 0xe0)
		add(meta, "io.modelcontextprotocol/clientCapabilities", c);
	else
		json_object_put(c);
	if (b & 8)
		add(meta, "io.modelcontextprotocol/logLevel",
		    json_object_new_string("debug"));
	return meta;
}

/*
 * A 2026-07-28 request of a stateless session, or a retry with a
 * requestState some session got: as it was, altered, or another
 * principal's, with answers to its questions or without.
 */
static json_object *
make_modern_request(struct fz *f, struct fsess *s)
{
	static const char *const methods[] = { "tools/call", "tools/call",
		"tools/call", "resources/read", "prompts/get", "tools/list",
		"server/discover", "subscriptions/listen", "ping" };
	static const char *const names[] = { "echo", "other" };
	struct fstate	*st = NULL;
	json_object	*o, *p, *meta, *token = NULL, *r, *v;
	const char	*method, *name;
	char		*state;
	size_t		 i, n, len;
	unsigned	 b;

	if (f->nst > 0 && fuzz_pick(&f->in, 3) == 0)
		st = &f->st[fuzz_pick(&f->in, (unsigned)(f->nst < NSTATE ?
		    f->nst : NSTATE))];
	method = st != NULL && fuzz_pick(&f->in, 8) != 0 ? st->method :
	    PICK(f, methods);
	name = st != NULL && st->name != NULL && fuzz_pick(&f->in, 8) != 0 ?
	    st->name : PICK(f, names);
	o = msg_new(f, method, pick_id(f), 1);
	p = json_object_new_object();
	if (strcmp(method, "resources/read") == 0)
		add(p, "uri", json_object_new_string(name));
	else if (strcmp(method, "subscriptions/listen") == 0) {
		v = json_object_new_object();
		b = fuzz_byte(&f->in);
		if (b & 1)
			add(v, "toolsListChanged", json_object_new_boolean(1));
		if (b & 2)
			add(v, "promptsListChanged",
			    json_object_new_boolean(1));
		if (b & 4) {
			r = json_object_new_array();
			json_object_array_add(r, json_object_new_string(
			    PICK(f, uris)));
			add(v, "resourceSubscriptions", r);
		}
		if (!(b & 8))
			add(p, "notifications", v);
		else
			json_object_put(v);
	} else
		add(p, "name", json_object_new_string(name));
	meta = modern_meta(f);
	if (fuzz_byte(&f->in) & 1) {
		token = pick_token(f);
		add(meta, "progressToken", json_object_get(token));
	}
	add(p, "_meta", meta);
	if (st != NULL) {
		b = fuzz_byte(&f->in);
		state = strdup(st->state);
		len = strlen(state);
		if ((b & 7) == 1 && len > 0)
			state[b % len] ^= 1;		/* altered */
		else if ((b & 7) == 2 && len > 0)
			state[len - 1] = '\0';		/* cut short */
		add(p, "requestState", json_object_new_string((b & 7) == 3 ?
		    "other.abc" : state));
		free(state);
		r = json_object_new_object();
		n = json_object_array_length(st->keys);
		for (i = 0; i < n; i++) {
			if (fuzz_pick(&f->in, 8) == 0)
				continue;	/* one left unanswered */
			v = json_object_new_object();
			add(v, "action", json_object_new_string("accept"));
			add(r, json_object_get_string(json_object_array_get_idx(
			    st->keys, i)), v);
		}
		if (fuzz_pick(&f->in, 8) == 0)
			add(r, "bogus", json_object_new_int(1));
		add(p, "inputResponses", r);
		f->alt = st->serial;
	}
	add(p, "_o", json_object_new_int64((int64_t)serial_new(f, s, token)));
	json_object_put(token);
	add(o, "params", p);
	return o;
}

static json_object *
make_notification(struct fz *f)
{
	static const char *const methods[] = { "notifications/initialized",
		"notifications/cancelled", "notifications/cancelled",
		"notifications/roots/list_changed", "notifications/progress" };
	const char	*method = PICK(f, methods);
	json_object	*o, *p;

	o = msg_new(f, method, NULL, 0);
	if (strcmp(method, "notifications/cancelled") == 0) {
		p = json_object_new_object();
		add(p, "requestId", pick_id(f));
		add(o, "params", p);
	}
	return o;
}

/* An answer to a request the server sent: the session's own, another
 * session's, or one nobody sent. */
static json_object *
make_answer(struct fz *f, struct fsess *s)
{
	struct fsess	*from = s;
	json_object	*o, *id, *r;
	size_t		 n;

	if (fuzz_pick(&f->in, 4) == 0 && (from = pick_sess(f)) == NULL)
		from = s;
	n = json_object_array_length(from->sreqs);
	if (n == 0 || fuzz_pick(&f->in, 8) == 0)
		id = json_object_new_int64((int64_t)fuzz_byte(&f->in));
	else
		id = jsonrpc_id_copy(json_object_array_get_idx(from->sreqs,
		    fuzz_pick(&f->in, (unsigned)n)));
	if (fuzz_byte(&f->in) & 1) {
		r = json_object_new_object();
		if (fuzz_byte(&f->in) & 1) {
			o = json_object_new_object();
			add(o, "taskId", json_object_new_string(
			    PICK(f, tasks)));
			add(r, "task", o);
		}
		o = jsonrpc_result_new(id, r);
	} else
		o = jsonrpc_error_new(id, -1, "no", NULL);
	json_object_put(id);
	return o;
}

static json_object *
make_one(struct fz *f, struct fsess *s)
{
	switch (fuzz_pick(&f->in, 6)) {
	case 0:
	case 1:
		return make_request(f, s);
	case 2:
		return make_notification(f);
	case 3:
		return make_answer(f, s);
	case 4:
		return json_object_new_array();		/* invalid in a batch */
	default:
		return json_object_new_int(5);		/* so is this */
	}
}

static json_object *
make_batch(struct fz *f, struct fsess *s)
{
	json_object	*b = json_object_new_array();
	unsigned	 i, n = 1 + fuzz_pick(&f->in, 4);

	for (i = 0; i < n; i++)
		json_object_array_add(b, make_one(f, s));
	return b;
}

static json_object *
parse_raw(struct fz *f)
{
	struct json_tokener	*tok;
	json_object		*msg;
	const uint8_t		*p;
	size_t			 len;

	p = fuzz_bytes(&f->in, fuzz_byte(&f->in), &len);
	tok = json_tokener_new_ex(32);
	msg = json_tokener_parse_ex(tok, (const char *)p, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(msg);
		msg = NULL;
	}
	json_tokener_free(tok);
	if (msg != NULL && !json_object_is_type(msg, json_type_object) &&
	    !json_object_is_type(msg, json_type_array)) {
		json_object_put(msg);
		msg = NULL;
	}
	return msg;
}

/* ---- the child acts ---- */

static struct fchild *
pick_child(struct fz *f)
{
	struct fchild	*c;

	if (!f->isolation)
		return &f->c[f->npool > 1 ? fuzz_pick(&f->in,
		    (unsigned)f->npool) : 0];
	c = &f->c[1 + fuzz_pick(&f->in, NCHILD - 1)];
	return c->used ? c : NULL;
}

static void
child_up(struct fz *f, struct fchild *c)
{
	if (c->dead)
		return;
	child_reset(c);
	c->up = 1;
	if (c->key == NULL)
		mux_pool_up(f->m, c->index);
	else
		mux_child_up(f->m, c->key);
	pump(f);
}

static void
child_down(struct fz *f, struct fchild *c)
{
	child_reset(c);
	c->up = 0;
	if (f->isolation)
		c->dead = 1;
	if (c->key == NULL)
		mux_pool_down(f->m, c->index, "fuzz");
	else
		mux_child_down(f->m, c->key, "fuzz");
	pump(f);
}

/* The era probe's answer: modern, legacy (an error), modern but of no
 * use, or a modern server of other versions. */
static json_object *
discover_answer(struct fz *f, json_object *id, unsigned how)
{
	json_object	*r, *v, *caps, *o;

	switch (how & 3) {
	case 0:
	case 1:
		r = json_object_new_object();
		v = json_object_new_array();
		json_object_array_add(v, json_object_new_string("2026-07-28"));
		add(r, "supportedVersions", v);
		caps = json_object_new_object();
		o = json_object_new_object();
		add(o, "listChanged", json_object_new_boolean(1));
		add(caps, "tools", o);
		if (how & 4) {
			o = json_object_new_object();
			add(o, "subscribe", json_object_new_boolean(1));
			add(o, "listChanged", json_object_new_boolean(1));
			add(caps, "resources", o);
		}
		if (how & 8)
			add(caps, "logging", json_object_new_object());
		add(r, "capabilities", caps);
		add(r, "resultType", json_object_new_string("complete"));
		return jsonrpc_result_new(id, r);
	case 2:
		return jsonrpc_error_new(id, (how & 4) ? -32601 : -32600,
		    "no such method", NULL);
	default:
		if (how & 4)
			return jsonrpc_error_new(id, -32021, "capability",
			    NULL);
		r = json_object_new_object();
		v = json_object_new_array();
		json_object_array_add(v, json_object_new_string("2099-01-01"));
		add(r, "supportedVersions", v);
		add(r, "capabilities", json_object_new_object());
		(void)f;
		return jsonrpc_result_new(id, r);
	}
}

/* A 2026-07-28 child's result: complete, or input_required with
 * questions and a requestState of its own (or only one of them). */
static void
modern_result_fill(struct fz *f, json_object *r, unsigned how)
{
	static const char *const qs[] = { "elicitation/create",
		"sampling/createMessage", "roots/list", "tools/call" };
	json_object	*in, *q, *p;
	char		 buf[32];
	unsigned	 i, n;

	if ((how & 3) == 0 || (how & 3) == 3) {
		add(r, "resultType", json_object_new_string("complete"));
		return;
	}
	add(r, "resultType", json_object_new_string("input_required"));
	if ((how & 3) == 1 || (how & 0x80)) {
		in = json_object_new_object();
		n = 1 + fuzz_pick(&f->in, 2);
		for (i = 0; i < n; i++) {
			q = json_object_new_object();
			add(q, "method", json_object_new_string(PICK(f, qs)));
			p = json_object_new_object();
			add(p, "message", json_object_new_string("?"));
			add(q, "params", p);
			snprintf(buf, sizeof buf, "q%u", i);
			add(in, buf, q);
		}
		add(r, "inputRequests", in);
	}
	if ((how & 3) == 2 || !(how & 0x80)) {
		snprintf(buf, sizeof buf, "cs%u", fuzz_byte(&f->in));
		add(r, "requestState", json_object_new_string(buf));
	}
}

static void
child_answer(struct fz *f, struct fchild *c)
{
	json_object	*req, *id, *r, *o;
	const char	*method;
	int64_t		 serial;
	size_t		 n = json_object_array_length(c->reqs);
	unsigned	 how;

	if (n == 0)
		return;
	req = json_object_array_get_idx(c->reqs, fuzz_pick(&f->in, (unsigned)n));
	method = jsonrpc_method(req);
	serial = get_int(jsonrpc_params(req), "_o");
	how = fuzz_byte(&f->in);
	if ((how & 0x70) == 0x70)
		id = json_object_new_int64(json_object_get_int64(
		    jsonrpc_id(req)) + 1000);	/* an id it never got */
	else
		id = jsonrpc_id_copy(jsonrpc_id(req));
	if (strcmp(method, "server/discover") == 0) {
		child_send(f, c, discover_answer(f, id, how));
		json_object_put(id);
		return;
	}
	r = json_object_new_object();
	if (c->key == NULL && mux_child_modern(f->m) &&
	    fuzz_pick(&f->in, 16) != 0)
		modern_result_fill(f, r, how);
	else if (strcmp(method, "initialize") == 0) {
		if ((how & 3) != 3)
			add(r, "protocolVersion", json_object_new_string(
			    PICK(f, versions)));
		add(r, "capabilities", json_object_new_object());
	} else if ((how & 3) == 1) {
		o = json_object_new_object();
		add(o, "taskId", json_object_new_string(PICK(f, tasks)));
		add(r, "task", o);
	} else if ((how & 3) == 2) {
		o = json_object_new_array();
		json_object_array_add(o, json_object_new_object());
		add(json_object_array_get_idx(o, 0), "taskId",
		    json_object_new_string(PICK(f, tasks)));
		add(r, "tasks", o);
	}
	if (serial != 0)
		add(r, "_o", json_object_new_int64(serial));
	if (how & 4) {
		o = jsonrpc_error_new(id, -32000, "child says no", r);
	} else
		o = jsonrpc_result_new(id, r);
	json_object_put(id);
	if (how & 8) {
		/* The same answer twice: the second must go nowhere. */
		child_send(f, c, json_object_get(o));
	}
	child_send(f, c, o);
}

/* A 2026-07-28 child tells a listen something (tagged with its id, and
 * stamped with its serial), or ends it. */
static void
child_listen_notify(struct fz *f, struct fchild *c)
{
	static const char *const methods[] = {
		"notifications/subscriptions/acknowledged",
		"notifications/tools/list_changed",
		"notifications/resources/updated", "notifications/cancelled" };
	json_object	*p, *meta, *req = NULL, *r;
	const char	*method = PICK(f, methods);
	size_t		 i, n = json_object_array_length(c->reqs);
	unsigned	 k = fuzz_pick(&f->in, 4);

	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(c->reqs, (i + k) % n);
		if (strcmp(jsonrpc_method(r), "subscriptions/listen") == 0) {
			req = r;
			break;
		}
	}
	p = json_object_new_object();
	if (strcmp(method, "notifications/cancelled") == 0)
		add(p, "requestId", req != NULL ?
		    jsonrpc_id_copy(jsonrpc_id(req)) :
		    json_object_new_int64(fuzz_byte(&f->in)));
	else {
		meta = json_object_new_object();
		add(meta, "io.modelcontextprotocol/subscriptionId",
		    req != NULL && k != 3 ? jsonrpc_id_copy(jsonrpc_id(req)) :
		    json_object_new_int64(fuzz_byte(&f->in)));
		add(p, "_meta", meta);
		if (strcmp(method, "notifications/resources/updated") == 0)
			add(p, "uri", json_object_new_string(PICK(f, uris)));
	}
	if (req != NULL && get_int(jsonrpc_params(req), "_o") != 0)
		add(p, "_o", json_object_new_int64(get_int(jsonrpc_params(req),
		    "_o")));
	child_send(f, c, jsonrpc_notification_new(method, p));
}

static void
child_notify(struct fz *f, struct fchild *c)
{
	static const char *const statuses[] = { "working", "completed",
		"failed", "cancelled" };
	json_object	*p, *o, *req, *meta;
	const char	*method;
	size_t		 n, nd;
	unsigned	 k;

	if (c->key == NULL && mux_child_modern(f->m) &&
	    fuzz_pick(&f->in, 2) == 0) {
		child_listen_notify(f, c);
		return;
	}
	p = json_object_new_object();
	switch (fuzz_pick(&f->in, 8)) {
	case 0:
	case 1:
		method = "notifications/progress";
		n = json_object_array_length(c->reqs);
		nd = json_object_array_length(c->done);
		if (n + nd == 0) {
			add(p, "progressToken", json_object_new_int64(
			    fuzz_byte(&f->in)));
			break;
		}
		k = fuzz_pick(&f->in, (unsigned)(n + nd));
		req = k < n ? json_object_array_get_idx(c->reqs, k) :
		    json_object_array_get_idx(c->done, k - n);
		add(p, "progressToken", jsonrpc_id_copy(jsonrpc_id(req)));
		add(p, "progress", json_object_new_int(1));
		if (get_int(jsonrpc_params(req), "_o") != 0)
			add(p, "_o", json_object_new_int64(get_int(
			    jsonrpc_params(req), "_o")));
		break;
	case 2:
		method = "notifications/message";
		add(p, "level", json_object_new_string(PICK(f, levels)));
		add(p, "data", json_object_new_string("x"));
		break;
	case 3:
		method = "notifications/tools/list_changed";
		break;
	case 4:
		method = "notifications/resources/updated";
		add(p, "uri", json_object_new_string(PICK(f, uris)));
		break;
	case 5:
		method = "notifications/tasks/status";
		add(p, "taskId", json_object_new_string(PICK(f, tasks)));
		add(p, "status", json_object_new_string(PICK(f, statuses)));
		break;
	case 6:
		method = "notifications/cancelled";
		n = json_object_array_length(c->sreq_ids);
		add(p, "requestId", n == 0 ? json_object_new_int64(1) :
		    jsonrpc_id_copy(json_object_array_get_idx(c->sreq_ids,
		    fuzz_pick(&f->in, (unsigned)n))));
		break;
	default:
		method = "notifications/elicitation/complete";
		add(p, "elicitationId", json_object_new_string(
		    PICK(f, tasks)));
		break;
	}
	if (fuzz_pick(&f->in, 4) == 0) {
		meta = json_object_new_object();
		o = json_object_new_object();
		add(o, "taskId", json_object_new_string(PICK(f, tasks)));
		add(meta, "io.modelcontextprotocol/related-task", o);
		add(p, "_meta", meta);
	}
	o = jsonrpc_notification_new(method, p);
	child_send(f, c, o);
}

static void
child_request(struct fz *f, struct fchild *c)
{
	static const char *const methods[] = { "sampling/createMessage",
		"elicitation/create", "roots/list", "ping", "tasks/get" };
	static const char *const modes[] = { "form", "url" };
	const char	*method = PICK(f, methods);
	json_object	*p, *o, *meta, *id;
	size_t		 n = json_object_array_length(c->sreq_ids), nr;

	p = json_object_new_object();
	if (strcmp(method, "elicitation/create") == 0) {
		add(p, "mode", json_object_new_string(PICK(f, modes)));
		add(p, "elicitationId", json_object_new_string(
		    PICK(f, tasks)));
	} else if (strcmp(method, "tasks/get") == 0)
		add(p, "taskId", json_object_new_string(PICK(f, tasks)));
	nr = json_object_array_length(c->reqs);
	if (nr > 0 && fuzz_pick(&f->in, 2) == 0) {
		/* Whose question it is, as a child that knows the bridge says
		 * (a stateless session's request gets it in input_required). */
		meta = json_object_new_object();
		add(meta, "mcpbridge/relatedRequestId", jsonrpc_id_copy(
		    jsonrpc_id(json_object_array_get_idx(c->reqs,
		    fuzz_pick(&f->in, (unsigned)nr)))));
		if (fuzz_pick(&f->in, 2) == 0)
			add(meta, "mcpbridge/inputKey",
			    json_object_new_string(PICK(f, tasks)));
		add(p, "_meta", meta);
	} else if (fuzz_pick(&f->in, 4) == 0) {
		meta = json_object_new_object();
		o = json_object_new_object();
		add(o, "taskId", json_object_new_string(PICK(f, tasks)));
		add(meta, "io.modelcontextprotocol/related-task", o);
		add(p, "_meta", meta);
	}
	switch (fuzz_pick(&f->in, 4)) {
	case 0:
		id = n > 0 ? jsonrpc_id_copy(json_object_array_get_idx(
		    c->sreq_ids, 0)) : json_object_new_string("s");
		break;
	case 1:
		id = json_object_new_string("s");
		break;
	default:
		id = json_object_new_int64(++c->next_sid);
		break;
	}
	o = json_object_new_object();
	add(o, "jsonrpc", json_object_new_string("2.0"));
	add(o, "id", id);
	add(o, "method", json_object_new_string(method));
	add(o, "params", p);
	child_send(f, c, o);
}

/* ---- the program ---- */

static void
step(struct fz *f)
{
	struct fsess	*s;
	struct fchild	*c;
	json_object	*msg;
	size_t		 i;
	unsigned	 k;

	k = fuzz_pick(&f->in, 18);
	TRACE("step %u\n", k);
	switch (k) {
	case 0:
		for (i = 0; i < NSESS && f->s[i].ms != NULL; i++)
			;
		if (i == NSESS)
			break;
		s = &f->s[i];
		s->uid = ++f->uid;
		s->next_stream = 1;
		s->sreqs = json_object_new_array();
		s->ms = mux_session_new(f->m, (enum mux_transport)
		    fuzz_pick(&f->in, 3), s);
		/* Every session has a token's principal: log lines and the
		 * child's requests are not guessed across principals. */
		s->principal = fuzz_pick(&f->in, 3);
		mux_session_set_principal(s->ms, s->principal);
		if (mux_session_transport(s->ms) == MUX_TRANSPORT_STATELESS)
			s->stateless = 1;
		pump(f);
		break;
	case 1:
		if ((s = pick_sess(f)) == NULL)
			break;
		sess_send(f, s, make_initialize(f, s));
		if (s->ms != NULL)
			sess_send(f, s, msg_new(f, "notifications/initialized",
			    NULL, 0));
		break;
	case 2:
	case 3:
	case 4:
		if ((s = pick_sess(f)) == NULL)
			break;
		if (s->stateless && fuzz_pick(&f->in, 4) != 0)
			sess_send(f, s, make_modern_request(f, s));
		else
			sess_send(f, s, make_request(f, s));
		break;
	case 5:
		if ((s = pick_sess(f)) != NULL)
			sess_send(f, s, make_notification(f));
		break;
	case 6:
		if ((s = pick_sess(f)) != NULL)
			sess_send(f, s, make_batch(f, s));
		break;
	case 7:
		if ((s = pick_sess(f)) != NULL)
			sess_send(f, s, make_answer(f, s));
		break;
	case 8:
		if ((s = pick_sess(f)) == NULL)
			break;
		if (s->stateless && fuzz_pick(&f->in, 2) == 0) {
			/* The transport ends its listen gracefully. */
			mux_session_finish(f->m, s->ms);
			pump(f);
			break;
		}
		mux_session_close(f->m, s->ms);
		sess_clear(s);
		pump(f);
		break;
	case 9:
		if ((c = pick_child(f)) != NULL)
			child_up(f, c);
		break;
	case 10:
		if ((c = pick_child(f)) == NULL)
			break;
		if (c->up || f->isolation)
			child_down(f, c);
		else {
			/* The shared child's restart cannot run it. */
			mux_pool_unavailable(f->m, c->index, "cannot run it");
			pump(f);
		}
		break;
	case 11:
	case 12:
		if ((c = pick_child(f)) != NULL && c->up)
			child_answer(f, c);
		break;
	case 13:
		if ((c = pick_child(f)) != NULL && c->up)
			child_notify(f, c);
		break;
	case 14:
		if ((c = pick_child(f)) != NULL && c->up)
			child_request(f, c);
		break;
	case 15:
		f->now += 50 * fuzz_byte(&f->in);
		mux_tick(f->m, f->now);
		pump(f);
		break;
	case 16:
		s = pick_sess(f);
		if ((msg = parse_raw(f)) == NULL)
			break;
		if (s != NULL)
			sess_send(f, s, msg);
		else
			json_object_put(msg);
		break;
	default:
		c = pick_child(f);
		if ((msg = parse_raw(f)) == NULL)
			break;
		if (c != NULL && c->up)
			child_send(f, c, msg);
		else
			json_object_put(msg);
		break;
	}
}

/* The span hook (serve_trace.c's place): every request gets a context
 * in its child copy's _meta, whatever shape its params have. */
static int
span_child(void *arg, struct mux_session *s, json_object *msg,
    uint64_t cid, struct tracectx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	memset(ctx->trace_id, 0x4b, sizeof ctx->trace_id);
	memcpy(ctx->span_id, &cid, sizeof ctx->span_id);
	ctx->span_id[0] |= 1;
	ctx->flags = TRACECTX_FLAG_SAMPLED;
	return (cid & 7) == 0 ? -1 : 0;
}

/* The hook for a child's request to a session: its cause, when the mux
 * names one, is a client's id (a number or a string), and bid is set. */
static int
span_server(void *arg, struct mux_session *s, json_object *msg,
    uint64_t bid, json_object *cause, struct tracectx *ctx)
{
	FUZZ_CHECK(s != NULL && bid != 0 && (cause == NULL ||
	    json_object_is_type(cause, json_type_int) ||
	    json_object_is_type(cause, json_type_string)),
	    "span_server: bid %" PRIu64 ", cause %s", bid, cause == NULL ?
	    "none" : json_object_to_json_string(cause));
	memset(ctx, 0, sizeof *ctx);
	memset(ctx->trace_id, 0x5c, sizeof ctx->trace_id);
	memcpy(ctx->span_id, &bid, sizeof ctx->span_id);
	ctx->span_id[0] |= 1;
	return (bid & 7) == 0 ? -1 : 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_mux");
	trace = getenv("FUZZ_TRACE") != NULL;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const asking[] = { "echo", NULL };
	struct fz		 f;
	struct mux_config	 cfg;
	unsigned		 conf;
	size_t			 i;

	memset(&f, 0, sizeof f);
	fuzz_in_init(&f.in, data, size);
	conf = fuzz_byte(&f.in);
	memset(&cfg, 0, sizeof cfg);
	f.isolation = conf & 1;
	cfg.isolation = f.isolation ? MUX_ISOLATION_SESSION :
	    MUX_ISOLATION_SHARED;
	/* max_children is for isolation=session only: with a shared child
	 * its bit picks the schedule policy (mux_sched.c), and with latest
	 * names the legacy clients' tool as asking instead. */
	if (conf & 2)
		cfg.server_requests = MUX_SERVER_REQUESTS_LATEST;
	else if ((conf & 8) && !f.isolation)
		cfg.server_requests = MUX_SERVER_REQUESTS_SCHEDULE;
	else
		cfg.server_requests = MUX_SERVER_REQUESTS_UNAMBIGUOUS;
	if ((conf & 10) == 10 && !f.isolation)
		cfg.asking_tools = asking;
	cfg.request_timeout_ms = (conf & 4) ? 1000 : 0;
	cfg.max_children = (conf & 8) ? 2 : 0;
	/* Shared, the same bit makes a pool. */
	cfg.children = !f.isolation && (conf & 8) ? 2 : 1;
	f.npool = f.isolation ? 0 : cfg.children;
	cfg.init_timeout_ms = (conf & 16) ? 500 : 0;
	/* The shared child's era: legacy, or probed (the fake child answers
	 * server/discover as it likes, or not before probe_timeout_ms), or
	 * modern whatever the probe says; requestState behind a name. */
	cfg.child_era = (conf >> 5) & 3;
	if (cfg.child_era > MUX_CHILD_ERA_MODERN)
		cfg.child_era = MUX_CHILD_ERA_AUTO;
	cfg.probe_timeout_ms = 300;
	cfg.input_timeout_ms = 2000;
	cfg.span_child = span_child;
	cfg.span_server = span_server;
	if (conf & 128)
		cfg.instance_id = f.instance_id = "fz";
	f.now = 1000;
	f.m = mux_new(&cfg);
	mux_tick(f.m, f.now);
	for (i = 0; i < f.npool; i++) {
		f.c[i].used = 1;
		f.c[i].index = i;
		child_reset(&f.c[i]);
	}

	while (fuzz_more(&f.in))
		step(&f);

	/* The end: children gone, every deadline past.  Nothing a session
	 * still waits for may be left unanswered. */
	for (i = 0; i < NCHILD; i++) {
		if (f.c[i].used && f.c[i].up)
			child_down(&f, &f.c[i]);
	}
	f.now += UINT64_C(1000000000);
	mux_tick(f.m, f.now);
	pump(&f);
	for (i = 0; i < NSESS; i++) {
		if (f.s[i].ms == NULL)
			continue;
		FUZZ_CHECK(expect_open(&f.s[i]) == 0, "session %" PRIu64
		    ": %zu requests never answered (first %s on stream %"
		    PRIu64 ")", f.s[i].uid, expect_open(&f.s[i]),
		    f.s[i].exp[0].id, f.s[i].exp[0].stream);
	}
	for (i = 0; i < NSESS; i++) {
		if (f.s[i].ms == NULL)
			continue;
		mux_session_close(f.m, f.s[i].ms);
		sess_clear(&f.s[i]);
		pump(&f);
	}
	mux_free(f.m);
	for (i = 0; i < NCHILD; i++)
		child_clear(&f.c[i]);
	for (i = 0; i < f.nserial; i++)
		free(f.token[i]);
	free(f.owner);
	free(f.prin);
	free(f.token);
	for (i = 0; i < NSTATE; i++) {
		free(f.st[i].state);
		free(f.st[i].method);
		free(f.st[i].name);
		json_object_put(f.st[i].keys);
	}
	return 0;
}
