/* SPDX-License-Identifier: ISC */
/*
 * session.c: sessions, their streams and connections, the replay log and
 * the queue limit.  See session.h for the model.
 *
 * Nothing here speaks HTTP: a stream holds the caller's connection as an
 * opaque pointer and goes through session_ops for every byte it writes,
 * every event stream it starts or ends and for news of a client leaving.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "clock.h"
#include "entropy.h"
#include "hmap.h"
#include "log.h"
#include "session.h"
#include "sse.h"
#include "xmalloc.h"

/* Messages this long go out by reference to their one copy; shorter ones
 * are copied, which costs less than a reference. */
#define SESSION_REF_MIN		1024

struct sessions {
	struct event_base	*base;
	struct session_limits	 limits;
	struct session_ops	 ops;
	void			*arg;
	size_t			 count;
	TAILQ_HEAD(, session)	 live;
	TAILQ_HEAD(, session)	 dead;
	struct hmap		 hash;		/* live ones by id */
	char			 prefix[SESSION_PREFIX_MAX + 2]; /* "name." */
};

static void	stream_timer_cb(evutil_socket_t, short, void *);

/* A stream's timer, in its own storage (see struct stream). */
static void
stream_timer_init(struct stream *st, struct event_base *base)
{
	event_assign(&st->timer, base, -1, EV_PERSIST, stream_timer_cb, st);
}
static void	stream_lost(void *);
static void	stream_free(struct stream *);
static void	session_check_queue(struct session *);

/* ---- messages ---- */

struct session_msg *
session_msg_new(const char *text, size_t len, int owed)
{
	struct session_msg	*m;

	if (len > SIZE_MAX - sizeof *m - 1)
		fatalx("session_msg_new: %zu bytes", len);
	m = xmalloc(sizeof *m + len + 1);
	m->refs = 1;
	m->owed = owed;
	m->len = len;
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	return m;
}

struct session_msg *
session_msg_ref(struct session_msg *m)
{
	m->refs++;
	return m;
}

void
session_msg_unref(struct session_msg *m)
{
	if (m != NULL && --m->refs == 0)
		free(m);
}

/* An evbuffer is done with the text it took by reference. */
static void
session_msg_release(const void *data, size_t len, void *arg)
{
	session_msg_unref(arg);
}

/* ---- ids ---- */

void
session_id_new(char buf[SESSION_ID_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 raw[SESSION_ID_BYTES];
	size_t			 i;

	entropy_get(raw, sizeof raw);
	for (i = 0; i < sizeof raw; i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 0xf];
	}
	buf[SESSION_ID_LEN] = '\0';
}

int
session_prefix_ok(const char *name)
{
	size_t	len = strlen(name);

	return len > 0 && len <= SESSION_PREFIX_MAX &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == len;
}

int
sessions_raise_max_queue(struct sessions *ss, size_t n)
{
	if (n <= ss->limits.max_queue)
		return 0;
	ss->limits.max_queue = n;
	return 1;
}

void
sessions_set_prefix(struct sessions *ss, const char *name)
{
	if (name == NULL) {
		ss->prefix[0] = '\0';
		return;
	}
	if (!session_prefix_ok(name))
		fatalx("invalid session id prefix '%s'", name);
	snprintf(ss->prefix, sizeof ss->prefix, "%s.", name);
}

int
sessions_owns(const struct sessions *ss, const char *id)
{
	if (ss->prefix[0] == '\0')
		return strchr(id, '.') == NULL;
	return strncmp(id, ss->prefix, strlen(ss->prefix)) == 0;
}

void
session_event_id(char buf[SESSION_EVENT_ID_LEN + 1], uint64_t stream, uint64_t seq)
{
	snprintf(buf, SESSION_EVENT_ID_LEN + 1, "%" PRIu64 "-%" PRIu64, stream,
	    seq);
}

static int
session_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
session_event_id_parse(const char *s, uint64_t *stream, uint64_t *seq)
{
	const char	*dash;

	if (s == NULL || (dash = strchr(s, '-')) == NULL)
		return -1;
	if (session_parse_u64(s, (size_t)(dash - s), stream) == -1 ||
	    session_parse_u64(dash + 1, strlen(dash + 1), seq) == -1)
		return -1;
	return 0;
}

/* ---- the table ---- */

static int
sessions_match(const void *v, const void *id)
{
	return strcmp(((const struct session *)v)->id, id) == 0;
}

struct sessions *
sessions_new(struct event_base *base, const struct session_limits *limits,
    const struct session_ops *ops, void *arg)
{
	struct sessions	*ss;

	ss = xcalloc(1, sizeof *ss);
	ss->base = base;
	ss->limits = *limits;
	ss->ops = *ops;
	ss->arg = arg;
	TAILQ_INIT(&ss->live);
	TAILQ_INIT(&ss->dead);
	return ss;
}

void
sessions_free(struct sessions *ss)
{
	struct session	*sess;

	if (ss == NULL)
		return;
	while ((sess = TAILQ_FIRST(&ss->live)) != NULL)
		session_free(sess);
	while ((sess = TAILQ_FIRST(&ss->dead)) != NULL)
		session_free(sess);
	hmap_clear(&ss->hash);
	free(ss);
}

size_t
sessions_count(const struct sessions *ss)
{
	return ss->count;
}

struct session *
sessions_first(struct sessions *ss)
{
	return TAILQ_FIRST(&ss->live);
}

struct session *
sessions_first_dead(struct sessions *ss)
{
	return TAILQ_FIRST(&ss->dead);
}

/* ---- sessions ---- */

struct session *
session_new(struct sessions *ss, enum session_kind kind)
{
	struct session	*sess;
	struct stream	*st;
	char		 hex[SESSION_ID_LEN + 1];

	sess = xcalloc(1, sizeof *sess);
	sess->owner = ss;
	sess->kind = kind;
	sess->created_ms = clock_ms();
	/* 128 random bits never collide in practice; checking costs nothing. */
	do {
		session_id_new(hex);
		snprintf(sess->id, sizeof sess->id, "%s%s", ss->prefix, hex);
	} while (session_find(ss, sess->id, SESSION_LEGACY) != NULL ||
	    session_find(ss, sess->id, SESSION_STREAMABLE) != NULL);
	sess->hex = sess->id + strlen(ss->prefix);
	TAILQ_INIT(&sess->streams);
	TAILQ_INIT(&sess->log);
	TAILQ_INIT(&sess->notices);
	TAILQ_INIT(&sess->capture);

	/* Stream 0, the general stream, lives as long as the session. */
	st = xcalloc(1, sizeof *st);
	st->sess = sess;
	st->no = 0;
	stream_timer_init(st, ss->base);
	TAILQ_INSERT_TAIL(&sess->streams, st, entry);
	sess->next_stream = 1;

	hmap_add(&ss->hash, hmap_hash_str(sess->id), sess);
	TAILQ_INSERT_TAIL(&ss->live, sess, entry);
	ss->count++;
	return sess;
}

struct session *
session_find(struct sessions *ss, const char *id, enum session_kind kind)
{
	struct session	*sess;

	if (id == NULL)
		return NULL;
	sess = hmap_find(&ss->hash, hmap_hash_str(id), sessions_match, id);
	return sess != NULL && sess->kind == kind ? sess : NULL;
}

/* A notification, that a full log lets go before anything else. */
static int
session_entry_notice(const struct session_entry *e)
{
	return !e->final && !e->msg->owed;
}

/* An entry leaves the output the client has yet to get: written to a
 * connection, or freed (taken as JSON, or let go unsent). */
static void
session_entry_sent(struct session *sess, struct session_entry *e)
{
	e->sent = 1;
	sess->log_sent++;
	sess->unsent_bytes -= e->msg->len;
	if (session_entry_notice(e))
		return;
	sess->unsent_owed -= e->msg->len;
	/* Owed and written: the trim may let it go, so its walk must meet
	 * it again (session_trim). */
	if (sess->trim_after != NULL && e->order <= sess->trim_after->order)
		sess->trim_after = TAILQ_PREV(e, session_log, entry);
}

static void
session_entry_free(struct session *sess, struct session_entry *e)
{
	struct stream	*st;

	if (!e->sent)
		session_entry_sent(sess, e);
	if (sess->trim_after == e)
		sess->trim_after = TAILQ_PREV(e, session_log, entry);
	TAILQ_FOREACH(st, &sess->streams, entry) {
		if (st->flushed == e)
			st->flushed = TAILQ_PREV(e, session_log, entry);
	}
	TAILQ_REMOVE(&sess->log, e, entry);
	if (session_entry_notice(e))
		TAILQ_REMOVE(&sess->notices, e, nentry);
	sess->log_count--;
	sess->log_bytes -= e->msg->len;
	sess->log_sent--;
	session_msg_unref(e->msg);
	free(e);
}

void
session_kill(struct session *sess, const char *why)
{
	struct sessions	*ss = sess->owner;
	struct stream	*st;

	if (sess->dead)
		return;
	if (sess->kind == SESSION_STATELESS)
		log_debug("request %.8s ended: %s", sess->id, why);
	else
		log_info("session %.8s ended: %s", sess->hex, why);
	TAILQ_FOREACH(st, &sess->streams, entry) {
		if (st->conn != NULL && !st->in_handler)
			stream_drop(st);
	}
	sess->dead = 1;
	hmap_del(&ss->hash, hmap_hash_str(sess->id), sess);
	TAILQ_REMOVE(&ss->live, sess, entry);
	TAILQ_INSERT_TAIL(&ss->dead, sess, entry);
	ss->count--;
}

void
session_set_claims(struct session *sess, struct json_object *claims)
{
	if (sess->claims != NULL)
		json_object_put(sess->claims);
	sess->claims = claims != NULL ? json_object_get(claims) : NULL;
}

struct json_object *
session_claims(const struct session *sess)
{
	return sess->claims;
}

void
session_free(struct session *sess)
{
	struct sessions		*ss = sess->owner;
	struct stream		*st;
	struct session_entry	*e;

	while ((st = TAILQ_FIRST(&sess->streams)) != NULL) {
		if (st->conn != NULL)
			stream_drop(st);
		stream_free(st);
	}
	while ((e = TAILQ_FIRST(&sess->log)) != NULL)
		session_entry_free(sess, e);
	while ((e = TAILQ_FIRST(&sess->capture)) != NULL) {
		TAILQ_REMOVE(&sess->capture, e, entry);
		session_msg_unref(e->msg);
		free(e);
	}
	if (sess->dead)
		TAILQ_REMOVE(&ss->dead, sess, entry);
	else {
		hmap_del(&ss->hash, hmap_hash_str(sess->id), sess);
		TAILQ_REMOVE(&ss->live, sess, entry);
		ss->count--;
	}
	if (sess->claims != NULL)
		json_object_put(sess->claims);
	free(sess);
}

static size_t
stream_output_length(const struct stream *st)
{
	const struct sessions	*ss = st->sess->owner;

	if (st->state != STREAM_SSE || st->conn == NULL)
		return 0;
	return ss->ops.queued(st->conn, ss->arg);
}

size_t
session_queued(const struct session *sess)
{
	const struct stream	*st;
	size_t			 n = sess->unsent_bytes;

	TAILQ_FOREACH(st, &sess->streams, entry)
		n += stream_output_length(st);
	return n;
}

int
session_connected(const struct session *sess)
{
	const struct stream	*st;

	TAILQ_FOREACH(st, &sess->streams, entry) {
		if (st->conn != NULL)
			return 1;
	}
	return 0;
}

/*
 * Bytes owed and never delivered that no attached connection is about to
 * take (a held POST takes its answer next).  A walk of the log: only for
 * a session over its limit.
 */
static size_t
session_unsent_owed_idle(struct session *sess)
{
	struct session_entry	*e;
	struct stream		*st;
	size_t			 n = 0;

	TAILQ_FOREACH(e, &sess->log, entry) {
		if (e->sent || session_entry_notice(e))
			continue;
		if ((st = stream_find(sess, e->stream)) != NULL &&
		    st->conn != NULL)
			continue;
		n += e->msg->len;
	}
	return n;
}

/*
 * A client that falls behind loses its connections; nobody else waits for
 * it.  Its streams detach and later messages go to the log.  What it is
 * owed and was never delivered stays there whatever the replay bounds say
 * (dropping it would lose an answer in silence): over max_queue on its
 * own, that ends the session instead, loudly, and the client starts
 * again.  Not while a POST handler runs on the session: it may take its
 * answer itself, and the next message or write checks again.
 */
static void
session_check_queue(struct session *sess)
{
	struct sessions	*ss = sess->owner;
	struct stream	*st;
	size_t		 queued;
	int		 dropped = 0, busy = 0, end;

	if (sess->dead || (queued = session_queued(sess)) <= ss->limits.max_queue)
		return;
	TAILQ_FOREACH(st, &sess->streams, entry) {
		if (st->in_handler)
			busy = 1;
		else if (st->state == STREAM_SSE)
			dropped++;
	}
	if (dropped > 0) {
		log_warnx("session %.8s: %zu bytes queued, over the limit of "
		    "%zu: dropping its connections", sess->hex, queued,
		    ss->limits.max_queue);
		TAILQ_FOREACH(st, &sess->streams, entry) {
			if (st->state == STREAM_SSE && !st->in_handler)
				stream_drop(st);
		}
	}
	end = !busy && sess->unsent_owed > ss->limits.max_queue &&
	    (queued = session_unsent_owed_idle(sess)) > ss->limits.max_queue;
	if (end)
		log_warnx("session %.8s: %zu bytes of answers and requests not "
		    "delivered, over --max-queue %zu: ending the session",
		    sess->hex, queued, ss->limits.max_queue);
	if (dropped > 0 || end)
		ss->ops.overflow(sess, end, ss->arg);
}

static int
session_log_over(const struct session *sess)
{
	const struct session_limits	*lim = &sess->owner->limits;

	return sess->log_count > lim->replay_messages ||
	    sess->log_bytes > lim->replay_bytes;
}

/*
 * Let an entry of a full log go, unless it was never delivered and is
 * owed (max_queue bounds those), or waits for a connection that is
 * attached: that one is about to be written.
 */
static int
session_log_evict(struct session *sess, struct session_entry *e)
{
	struct stream	*st;

	if (!e->sent) {
		if (!session_entry_notice(e))
			return 0;
		st = stream_find(sess, e->stream);
		if (st != NULL && st->conn != NULL)
			return 0;
		log_debug("session %.8s: log full, message for stream %" PRIu64
		    " dropped unsent", sess->hex, e->stream);
	}
	session_entry_free(sess, e);
	return 1;
}

/*
 * Keep the log within replay_messages and replay_bytes.  Notifications go
 * first, oldest first: a flood of broadcasts (another client's doing,
 * perhaps) must not push out the answer a client comes back for.  Only a
 * log of nothing but what is owed loses its oldest delivered ones; owed
 * messages never delivered stay (session_check_queue bounds them).
 * Legacy sessions keep nothing once written.
 *
 * It runs on every push, so it walks only what it may let go.  A legacy
 * log is written in its order (one stream), so what was written is at
 * its start: the walk stops when log_sent says none is left.  The second
 * walk meets, once it comes to pass, notifications only that wait for an
 * attached connection (about to take them, so few): every other one went
 * in the first.  So it lets go of owed messages written and nothing else,
 * and it starts after trim_after, past those never written, which stay
 * until written (session_entry_sent moves the mark back then).
 */
static void
session_trim(struct session *sess)
{
	struct session_entry	*e, *next;

	if (sess->kind != SESSION_STREAMABLE) {
		for (e = TAILQ_FIRST(&sess->log); e != NULL &&
		    sess->log_sent > 0; e = next) {
			next = TAILQ_NEXT(e, entry);
			if (e->sent)
				session_entry_free(sess, e);
		}
	}
	for (e = TAILQ_FIRST(&sess->notices); e != NULL &&
	    session_log_over(sess); e = next) {
		next = TAILQ_NEXT(e, nentry);
		session_log_evict(sess, e);
	}
	e = sess->trim_after != NULL ? TAILQ_NEXT(sess->trim_after, entry) :
	    TAILQ_FIRST(&sess->log);
	for (; e != NULL && session_log_over(sess); e = next) {
		next = TAILQ_NEXT(e, entry);
		if (!session_log_evict(sess, e))
			sess->trim_after = e;
	}
}

/* ---- streams ---- */

struct stream *
stream_new(struct session *sess)
{
	struct stream	*st;

	st = xcalloc(1, sizeof *st);
	st->sess = sess;
	st->no = sess->next_stream++;
	st->status = 200;
	/* A new number: nothing in the log is for it yet. */
	st->flushed = TAILQ_LAST(&sess->log, session_log);
	stream_timer_init(st, sess->owner->base);
	TAILQ_INSERT_TAIL(&sess->streams, st, entry);
	return st;
}

struct stream *
stream_find(struct session *sess, uint64_t no)
{
	struct stream	*st;

	TAILQ_FOREACH(st, &sess->streams, entry) {
		if (st->no == no)
			return st;
	}
	return NULL;
}

struct stream *
stream_revive(struct session *sess, uint64_t no, uint64_t seq)
{
	struct session_entry	*e;
	struct stream		*st;

	st = xcalloc(1, sizeof *st);
	st->sess = sess;
	st->no = no;
	st->status = 200;
	st->finished = 1;
	st->seq = seq;
	TAILQ_FOREACH(e, &sess->log, entry) {
		if (e->stream == no && e->seq > st->seq)
			st->seq = e->seq;
	}
	st->sent = st->seq;
	stream_timer_init(st, sess->owner->base);
	TAILQ_INSERT_TAIL(&sess->streams, st, entry);
	return st;
}

static void
stream_free(struct stream *st)
{
	TAILQ_REMOVE(&st->sess->streams, st, entry);
	event_del(&st->timer);		/* the storage is st's */
	free(st);
}

int
stream_gc(struct stream *st)
{
	if (st->no == 0 || !st->finished || st->conn != NULL || st->in_handler)
		return 0;
	stream_free(st);
	return 1;
}

/*
 * st's connection comes (up 1) or goes (-1): the session's count of them
 * goes from none to one or back, and the caller hears so (ops.connected),
 * whoever ended the connection.  Not for a dead session: it is over.
 */
static void
stream_conn_count(struct stream *st, int up)
{
	struct session	*sess = st->sess;
	struct sessions	*ss = sess->owner;

	if (up)
		sess->nconn++;
	else if (sess->nconn > 0)
		sess->nconn--;
	if ((sess->nconn == (up ? 1 : 0)) && !sess->dead &&
	    ss->ops.connected != NULL)
		ss->ops.connected(sess, up, ss->arg);
}

static void
stream_attach(struct stream *st, struct http_conn *conn)
{
	struct sessions	*ss = st->sess->owner;

	if (st->conn == NULL)
		stream_conn_count(st, 1);
	st->conn = conn;
	ss->ops.watch(conn, stream_lost, st, ss->arg);
}

/* Forget the connection: the caller answered its request, or it is gone. */
void
stream_forget(struct stream *st)
{
	struct sessions	*ss = st->sess->owner;

	if (st->conn != NULL) {
		ss->ops.watch(st->conn, NULL, NULL, ss->arg);
		stream_conn_count(st, 0);
	}
	event_del(&st->timer);
	st->conn = NULL;
	st->state = STREAM_IDLE;
}

/* The connection went away under us (the caller's watch). */
static void
stream_lost(void *arg)
{
	struct stream	*st = arg;
	struct session	*sess = st->sess;
	struct sessions	*ss = sess->owner;

	if (st->conn != NULL)
		stream_conn_count(st, 0);
	st->conn = NULL;		/* being freed: do not touch it */
	stream_forget(st);
	log_debug("session %.8s: client left stream %" PRIu64, sess->hex,
	    st->no);
	ss->ops.lost(sess, st, ss->arg);
	stream_gc(st);
}

void
stream_hold(struct stream *st, struct http_conn *conn, int hold_ms)
{
	struct timeval	 tv;

	/* Held already (the handler arms the timer once it knows the
	 * session): only the timer is new.  The connection keeps reading
	 * meanwhile, so a client leaving is noticed (watch). */
	if (st->conn != conn || st->state != STREAM_HELD) {
		stream_attach(st, conn);
		st->state = STREAM_HELD;
	}

	if (hold_ms > 0) {
		clock_tv(&tv, (uint64_t)hold_ms);
		event_add(&st->timer, &tv);
	}
}

/* The first entry after from (NULL: after st's mark) that st has yet to
 * write. */
static struct session_entry *
stream_next_entry(struct stream *st, struct session_entry *from)
{
	struct session_entry	*e;

	if (from != NULL)
		e = TAILQ_NEXT(from, entry);
	else if (st->flushed != NULL)
		e = TAILQ_NEXT(st->flushed, entry);
	else
		e = TAILQ_FIRST(&st->sess->log);
	for (; e != NULL; e = TAILQ_NEXT(e, entry)) {
		if (e->stream == st->no && e->seq > st->sent)
			return e;
	}
	return NULL;
}

struct session_entry *
stream_json_final(struct stream *st)
{
	struct session_entry	*e;

	if (st->state != STREAM_HELD)
		return NULL;
	e = stream_next_entry(st, NULL);
	return (e != NULL && e->final) ? e : NULL;
}

int
stream_json_direct(const struct stream *st)
{
	return st->no != 0 && !st->finished && st->state == STREAM_HELD &&
	    st->conn != NULL && !st->in_handler &&
	    stream_next_entry((struct stream *)st, NULL) == NULL;
}

void
stream_json_done(struct stream *st, struct session_entry *e)
{
	if (e != NULL) {
		st->sent = e->seq;
		session_entry_free(st->sess, e);
	} else {
		/* Numbered as session_push would have. */
		st->sent = ++st->seq;
		st->finished = 1;
	}
	stream_forget(st);
}

void
stream_open(struct stream *st, struct http_conn *conn, uint64_t after)
{
	struct session		*sess = st->sess;
	struct sessions		*ss = sess->owner;
	struct evbuffer		*buf;
	struct timeval		 tv;
	char			 id[SESSION_EVENT_ID_LEN + 1];

	if (st->conn == NULL)
		stream_attach(st, conn);
	event_del(&st->timer);

	ss->ops.start(conn, ss->arg);
	st->state = STREAM_SSE;

	if (after != (uint64_t)-1) {
		/* A resume may go back: look from the start again. */
		st->sent = after;
		st->flushed = NULL;
	}
	if (sess->priming) {
		/*
		 * The priming event's id "<stream>-0" names the start of a
		 * stream nothing was written on.  Anywhere else the id the
		 * stream is at belongs to a message the client has (it
		 * resumes after it, or it went out on an earlier connection):
		 * sent again as an empty event it would repeat an id with
		 * other content, and a resume replays strictly after it.
		 * Then only the retry time is restated.
		 */
		buf = evbuffer_new();
		if (after == (uint64_t)-1 && st->sent == 0) {
			session_event_id(id, st->no, 0);
			sse_event(buf, NULL, id, "", 0, sess->retry_ms);
		} else
			sse_retry(buf, sess->retry_ms);
		ss->ops.write(conn, buf, ss->arg);
		evbuffer_free(buf);
	}

	clock_tv(&tv, (uint64_t)ss->limits.keepalive_ms);
	event_add(&st->timer, &tv);

	stream_flush(st);
}

/* One log entry as an event; a long message goes by reference to its
 * one copy, shared with every other session it waits in. */
static void
stream_write_entry(struct evbuffer *buf, const char *id,
    struct session_msg *m)
{
	if (m->len >= SESSION_REF_MIN) {
		session_msg_ref(m);
		if (sse_event_ref(buf, "message", id, m->text, m->len,
		    session_msg_release, m) == 0)
			return;
		m->refs--;	/* not taken; the entry holds one still */
	}
	sse_event(buf, "message", id, m->text, m->len, -1);
}

void
stream_flush(struct stream *st)
{
	struct session		*sess = st->sess;
	struct sessions		*ss = sess->owner;
	struct session_entry	*e;
	struct evbuffer		*buf;
	char			 id[SESSION_EVENT_ID_LEN + 1];

	if (st->state != STREAM_SSE || st->conn == NULL || st->in_handler)
		return;
	buf = evbuffer_new();
	for (e = stream_next_entry(st, NULL); e != NULL;
	    e = stream_next_entry(st, e)) {
		/* Event ids serve resumption: Streamable HTTP only. */
		if (sess->kind != SESSION_STREAMABLE)
			stream_write_entry(buf, NULL, e->msg);
		else {
			session_event_id(id, st->no, e->seq);
			stream_write_entry(buf, id, e->msg);
		}
		st->sent = e->seq;
		if (!e->sent)
			session_entry_sent(sess, e);
	}
	/* All of the log is written, as far as st goes. */
	st->flushed = TAILQ_LAST(&sess->log, session_log);
	if (evbuffer_get_length(buf) > 0)
		ss->ops.write(st->conn, buf, ss->arg);
	evbuffer_free(buf);

	if (st->finished && st->sent >= st->seq)
		stream_end(st);
	session_trim(sess);
	session_check_queue(sess);
}

void
stream_send_event(struct stream *st, const char *event, const char *data)
{
	struct sessions	*ss = st->sess->owner;
	struct evbuffer	*buf;

	if (st->state != STREAM_SSE || st->conn == NULL)
		return;
	buf = evbuffer_new();
	sse_event(buf, event, NULL, data, strlen(data), -1);
	ss->ops.write(st->conn, buf, ss->arg);
	evbuffer_free(buf);
}

void
stream_comment(struct stream *st, const char *text)
{
	struct sessions	*ss = st->sess->owner;
	struct evbuffer	*buf;

	if (st->state != STREAM_SSE || st->conn == NULL)
		return;
	buf = evbuffer_new();
	sse_comment(buf, text);
	ss->ops.write(st->conn, buf, ss->arg);
	evbuffer_free(buf);
	session_check_queue(st->sess);
}

void
stream_end(struct stream *st)
{
	struct sessions		*ss = st->sess->owner;
	struct http_conn	*conn = st->conn;

	if (conn == NULL)
		return;
	if (st->state != STREAM_SSE) {
		/* Nothing was sent yet: there is no stream to end. */
		stream_drop(st);
		return;
	}
	stream_forget(st);
	ss->ops.end(conn, ss->arg);	/* may free the connection now */
}

void
stream_drop(struct stream *st)
{
	struct sessions		*ss = st->sess->owner;
	struct http_conn	*conn = st->conn;

	if (conn == NULL || st->in_handler)
		return;
	stream_forget(st);
	ss->ops.drop(conn, ss->arg);
}

static void
stream_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct stream	*st = arg;
	struct session	*sess = st->sess;
	struct sessions	*ss = sess->owner;

	switch (st->state) {
	case STREAM_HELD:
		event_del(&st->timer);
		if (!st->in_handler)
			ss->ops.hold_expired(sess, st, ss->arg);
		break;
	case STREAM_SSE:
		stream_comment(st, "keepalive");
		break;
	case STREAM_IDLE:
		event_del(&st->timer);
		break;
	}
}

int
session_push(struct session *sess, uint64_t stream, const char *text,
    size_t len, int final)
{
	struct session_msg	*m;
	int			 rc;

	m = session_msg_new(text, len, final);
	rc = session_push_msg(sess, stream, m, final);
	session_msg_unref(m);
	return rc;
}

int
session_push_msg(struct session *sess, uint64_t stream, struct session_msg *m,
    int final)
{
	struct stream		*st;
	struct session_entry	*e;

	if ((st = stream_find(sess, stream)) == NULL || st->finished)
		return -1;
	e = xcalloc(1, sizeof *e);
	e->stream = stream;
	e->seq = ++st->seq;
	e->msg = session_msg_ref(m);
	e->final = final && stream != 0;
	e->order = ++sess->log_pushed;
	TAILQ_INSERT_TAIL(&sess->log, e, entry);
	if (session_entry_notice(e))
		TAILQ_INSERT_TAIL(&sess->notices, e, nentry);
	sess->log_count++;
	sess->log_bytes += m->len;
	sess->unsent_bytes += m->len;
	if (!session_entry_notice(e))
		sess->unsent_owed += m->len;
	if (e->final)
		st->finished = 1;

	if (st->state == STREAM_SSE)
		stream_flush(st);
	else {
		session_trim(sess);
		session_check_queue(sess);
	}
	stream_gc(st);
	return 0;
}
