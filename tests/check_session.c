/* SPDX-License-Identifier: ISC */
/*
 * check_session.c: the event ids and the replay log that the event streams
 * carry (session.c, without connections).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "checktest.h"
#include "session.h"

START_TEST(test_event_ids)
{
	char		id[SESSION_EVENT_ID_LEN + 1];
	uint64_t	stream, seq;

	session_event_id(id, 0, 0);
	ck_assert_str_eq(id, "0-0");
	session_event_id(id, UINT64_MAX, UINT64_MAX);
	ck_assert_uint_le(strlen(id), SESSION_EVENT_ID_LEN);
	ck_assert_int_eq(session_event_id_parse(id, &stream, &seq), 0);
	ck_assert(stream == UINT64_MAX && seq == UINT64_MAX);
	ck_assert_int_eq(session_event_id_parse("12-34", &stream, &seq), 0);
	ck_assert(stream == 12 && seq == 34);

	ck_assert_int_eq(session_event_id_parse("", &stream, &seq), -1);
	ck_assert_int_eq(session_event_id_parse("12", &stream, &seq), -1);
	ck_assert_int_eq(session_event_id_parse("-1", &stream, &seq), -1);
	ck_assert_int_eq(session_event_id_parse("1-", &stream, &seq), -1);
	ck_assert_int_eq(session_event_id_parse("1-2-3", &stream, &seq), -1);
	ck_assert_int_eq(session_event_id_parse("1-x", &stream, &seq), -1);
	ck_assert_int_eq(session_event_id_parse(" 1-2", &stream, &seq), -1);
	ck_assert_int_eq(session_event_id_parse("1-18446744073709551616",
	    &stream, &seq), -1);
	ck_assert_int_eq(session_event_id_parse(NULL, &stream, &seq), -1);
}
END_TEST

START_TEST(test_session_ids)
{
	char	a[SESSION_ID_LEN + 1], b[SESSION_ID_LEN + 1];
	size_t	i;

	session_id_new(a);
	session_id_new(b);
	ck_assert_uint_eq(strlen(a), 32);
	ck_assert_str_ne(a, b);
	for (i = 0; i < SESSION_ID_LEN; i++)
		ck_assert(strchr("0123456789abcdef", a[i]) != NULL);
}
END_TEST

/* --instance-id: "<name>.<hex>", found by the whole id only. */
START_TEST(test_session_prefix)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss;
	struct session		*s, *t;
	struct session_limits	 lim;
	struct session_ops	 none;
	char			 other[SESSION_ID_MAX + 1];

	ck_assert(session_prefix_ok("mcp-1_a"));
	ck_assert(!session_prefix_ok(""));
	ck_assert(!session_prefix_ok("a.b"));
	ck_assert(!session_prefix_ok("a b"));
	ck_assert(!session_prefix_ok("abcdefghijklmnopqrstuvwxyz0123456"));
	memset(&lim, 0, sizeof lim);
	lim.keepalive_ms = 1000;
	memset(&none, 0, sizeof none);
	ss = sessions_new(base, &lim, &none, NULL);
	t = session_new(ss, SESSION_LEGACY);
	ck_assert_uint_eq(strlen(t->id), SESSION_ID_LEN);
	ck_assert_ptr_eq(t->hex, t->id);
	ck_assert(sessions_owns(ss, t->id));

	sessions_set_prefix(ss, "mcp-1_a");
	s = session_new(ss, SESSION_STREAMABLE);
	ck_assert_uint_eq(strlen(s->id), 8 + SESSION_ID_LEN);
	ck_assert(strncmp(s->id, "mcp-1_a.", 8) == 0);
	ck_assert_ptr_eq(s->hex, s->id + 8);
	ck_assert_ptr_eq(session_find(ss, s->id, SESSION_STREAMABLE), s);
	ck_assert_ptr_null(session_find(ss, s->hex, SESSION_STREAMABLE));
	ck_assert(sessions_owns(ss, s->id));
	ck_assert(!sessions_owns(ss, t->id));
	snprintf(other, sizeof other, "mcp-2.%s", s->hex);
	ck_assert_ptr_null(session_find(ss, other, SESSION_STREAMABLE));
	ck_assert(!sessions_owns(ss, other));
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

/* ---- the log, without connections ---- */

static int	lost, overflow, ended, expired;

static void
on_lost(struct session *s, struct stream *st, void *arg)
{
	lost++;
}

static void
on_overflow(struct session *s, int end, void *arg)
{
	overflow++;
	if (end) {
		ended++;
		session_kill(s, "over max_queue");
	}
}

static void
on_hold(struct session *s, struct stream *st, void *arg)
{
	expired++;
}

/*
 * The transport under the streams: a connection that takes every write
 * and keeps nothing queued (session.c never looks inside one).
 */
struct http_conn {
	int	 streaming;
};

static void
fake_watch(struct http_conn *c, void (*cb)(void *), void *cbarg, void *arg)
{
}

static void
fake_start(struct http_conn *c, void *arg)
{
	c->streaming = 1;
}

static void
fake_write(struct http_conn *c, struct evbuffer *buf, void *arg)
{
	ck_assert(c->streaming);
	evbuffer_drain(buf, evbuffer_get_length(buf));
}

static void
fake_end(struct http_conn *c, void *arg)
{
}

static void
fake_drop(struct http_conn *c, void *arg)
{
}

static size_t
fake_queued(const struct http_conn *c, void *arg)
{
	return 0;
}

static const struct session_ops ops = {
	.lost = on_lost,
	.overflow = on_overflow,
	.hold_expired = on_hold,
	.watch = fake_watch,
	.start = fake_start,
	.write = fake_write,
	.end = fake_end,
	.drop = fake_drop,
	.queued = fake_queued,
};

static struct sessions *
new_sessions_queue(struct event_base *base, size_t msgs, size_t bytes,
    size_t queue)
{
	struct session_limits	lim;

	memset(&lim, 0, sizeof lim);
	lim.keepalive_ms = 1000;
	lim.max_queue = queue;
	lim.replay_messages = msgs;
	lim.replay_bytes = bytes;
	return sessions_new(base, &lim, &ops, NULL);
}

static struct sessions *
new_sessions(struct event_base *base, size_t msgs, size_t bytes)
{
	return new_sessions_queue(base, msgs, bytes, 1024 * 1024);
}

START_TEST(test_log_waits_and_trims)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions(base, 3, 1000);
	struct session		*s;
	struct stream		*st;
	struct session_entry	*e;
	char			 msg[32];
	int			 i;

	s = session_new(ss, SESSION_STREAMABLE);
	ck_assert_ptr_eq(session_find(ss, s->id, SESSION_STREAMABLE), s);
	ck_assert_ptr_null(session_find(ss, s->id, SESSION_LEGACY));
	ck_assert_uint_eq(sessions_count(ss), 1);

	/* Stream 0 has no connection: five messages, three are kept. */
	for (i = 1; i <= 5; i++) {
		snprintf(msg, sizeof msg, "{\"n\":%d}", i);
		ck_assert_int_eq(session_push(s, 0, msg, strlen(msg), 0), 0);
	}
	ck_assert_uint_eq(s->log_count, 3);
	e = TAILQ_FIRST(&s->log);
	ck_assert_uint_eq(e->seq, 3);
	ck_assert_str_eq(e->msg->text, "{\"n\":3}");
	ck_assert_uint_eq(s->unsent_bytes, 3 * strlen("{\"n\":1}"));
	ck_assert_uint_eq(session_queued(s), s->unsent_bytes);

	/* A request stream: its final finishes it; later ones are refused;
	 * a finished stream without a connection goes away. */
	st = stream_new(s);
	ck_assert_uint_eq(st->no, 1);
	ck_assert_int_eq(session_push(s, 1, "{\"p\":1}", 7, 0), 0);
	ck_assert_ptr_eq(stream_find(s, 1), st);
	ck_assert_int_eq(session_push(s, 1, "{\"r\":1}", 7, 1), 0);
	ck_assert_ptr_null(stream_find(s, 1));
	ck_assert_int_eq(session_push(s, 1, "{\"late\":1}", 10, 0), -1);
	ck_assert_int_eq(session_push(s, 9, "{}", 2, 0), -1);

	/* Resuming it finds what the log still has. */
	st = stream_revive(s, 1, 0);
	ck_assert(st->finished);
	ck_assert_uint_eq(st->seq, 2);
	ck_assert_int_eq(stream_gc(st), 1);

	/* Killing unlinks; freeing the table frees the dead too. */
	session_kill(s, "test");
	ck_assert(s->dead);
	ck_assert_ptr_null(sessions_first(ss));
	ck_assert_ptr_eq(sessions_first_dead(ss), s);
	ck_assert_uint_eq(sessions_count(ss), 0);
	ck_assert_int_eq(lost + overflow + expired, 0);
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

START_TEST(test_log_bytes)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions(base, 1000, 20);
	struct session		*s;

	s = session_new(ss, SESSION_STREAMABLE);
	ck_assert_int_eq(session_push(s, 0, "0123456789", 10, 0), 0);
	ck_assert_int_eq(session_push(s, 0, "0123456789", 10, 0), 0);
	ck_assert_uint_eq(s->log_bytes, 20);
	ck_assert_int_eq(session_push(s, 0, "01234", 5, 0), 0);
	ck_assert_uint_eq(s->log_count, 2);
	ck_assert_uint_eq(s->log_bytes, 15);
	session_free(s);
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

/*
 * Broadcasts yield first: a flood of them fills the log, and the answer a
 * client that left is owed stays for its resumption.
 */
START_TEST(test_log_keeps_answers)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions(base, 3, 1000);
	struct session		*s;
	struct stream		*st;
	struct session_entry	*e;
	const char		*answer = "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"result\":{}}";
	const char		*note = "{\"jsonrpc\":\"2.0\",\"method\":"
				    "\"notifications/tools/list_changed\"}";
	int			 i;

	s = session_new(ss, SESSION_STREAMABLE);
	st = stream_new(s);
	ck_assert_int_eq(session_push(s, st->no, answer, strlen(answer), 1),
	    0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(session_push(s, 0, note, strlen(note), 0), 0);
	ck_assert_uint_eq(s->log_count, 3);

	st = stream_revive(s, 1, 0);
	ck_assert_msg(st->seq == 1, "the answer was evicted by broadcasts");
	e = TAILQ_FIRST(&s->log);
	ck_assert_uint_eq(e->stream, 1);
	ck_assert_str_eq(e->msg->text, answer);
	/* The broadcasts kept are the newest. */
	e = TAILQ_NEXT(e, entry);
	ck_assert_uint_eq(e->seq, 9);
	ck_assert_int_eq(stream_gc(st), 1);
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

/* A request from the server on the general stream is owed too; a log of
 * nothing but owed messages still keeps its bounds, oldest out. */
START_TEST(test_log_keeps_requests)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions(base, 3, 1000);
	struct session		*s;
	struct session_msg	*ask, *note;
	struct session_entry	*e;
	int			 i;

	s = session_new(ss, SESSION_STREAMABLE);
	ask = session_msg_new("{\"id\":\"s1\",\"method\":\"roots/list\"}", 33,
	    1);
	note = session_msg_new("{\"method\":\"n\"}", 14, 0);
	ck_assert_int_eq(session_push_msg(s, 0, ask, 0), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(session_push_msg(s, 0, note, 0), 0);
	ck_assert_uint_eq(s->log_count, 3);
	e = TAILQ_FIRST(&s->log);
	ck_assert_ptr_eq(e->msg, ask);
	/* One copy of the notification, however many entries hold it. */
	ck_assert_ptr_eq(TAILQ_NEXT(e, entry)->msg, note);
	ck_assert_uint_eq(note->refs, 3);

	/* Owed and never delivered: no replay bound drops them (the queue
	 * limit bounds them instead); the notifications make room. */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(session_push_msg(s, 0, ask, 0), 0);
	ck_assert_uint_eq(s->log_count, 4);
	TAILQ_FOREACH(e, &s->log, entry)
		ck_assert_ptr_eq(e->msg, ask);
	ck_assert_uint_eq(TAILQ_FIRST(&s->log)->seq, 1);
	ck_assert_uint_eq(note->refs, 1);
	ck_assert_ptr_null(TAILQ_FIRST(&s->notices));
	ck_assert_int_eq(overflow, 0);
	session_msg_unref(note);
	session_msg_unref(ask);
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

/* A message of len bytes: an answer (owed) or a notification. */
static struct session_msg *
sized_msg(size_t len, int owed)
{
	struct session_msg	*m;
	char			*text;

	text = malloc(len);
	ck_assert_ptr_nonnull(text);
	memset(text, 'x', len);
	m = session_msg_new(text, len, owed);
	free(text);
	return m;
}

/*
 * An answer larger than the whole replay log that comes while its client
 * is away (polling) was never delivered: it waits for the client, it is
 * not replay material the bound may drop.
 */
START_TEST(test_log_keeps_undelivered)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions(base, 3, 1000);
	struct session		*s;
	struct stream		*st;
	struct session_msg	*big;

	overflow = ended = 0;
	s = session_new(ss, SESSION_STREAMABLE);
	st = stream_new(s);
	big = sized_msg(1200, 1);
	ck_assert_int_eq(session_push_msg(s, st->no, big, 1), 0);
	ck_assert_msg(s->log_count == 1, "the undelivered answer was dropped "
	    "for the replay bound");
	ck_assert_uint_eq(s->log_bytes, 1200);
	ck_assert_uint_eq(session_queued(s), 1200);
	st = stream_revive(s, 1, 0);
	ck_assert_uint_eq(st->seq, 1);
	ck_assert_ptr_eq(TAILQ_FIRST(&s->log)->msg, big);
	ck_assert_int_eq(stream_gc(st), 1);

	/* Notifications stay bounded around it. */
	session_msg_unref(big);
	big = sized_msg(600, 0);
	ck_assert_int_eq(session_push_msg(s, 0, big, 0), 0);
	ck_assert_uint_eq(s->log_count, 1);
	ck_assert_uint_eq(TAILQ_FIRST(&s->log)->stream, 1);
	ck_assert_int_eq(overflow, 0);
	session_msg_unref(big);
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

/*
 * Owed output nobody takes is bounded by max_queue: over it the session
 * ends (the caller is told to end it) instead of losing an answer.
 */
START_TEST(test_queue_ends_session)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions_queue(base, 1000, 1000,
				    4096);
	struct session		*s;
	struct stream		*st;
	struct session_msg	*m;
	int			 i;

	overflow = ended = 0;
	s = session_new(ss, SESSION_STREAMABLE);
	m = sized_msg(1500, 1);
	for (i = 0; i < 2; i++) {
		st = stream_new(s);
		ck_assert_int_eq(session_push_msg(s, st->no, m, 1), 0);
	}
	ck_assert_int_eq(overflow, 0);
	ck_assert_uint_eq(s->log_count, 2);
	st = stream_new(s);
	ck_assert_int_eq(session_push_msg(s, st->no, m, 1), 0);
	ck_assert_msg(ended == 1, "4500 undelivered bytes over a queue of "
	    "4096 did not end the session (overflow %d)", overflow);
	ck_assert(s->dead);
	ck_assert_ptr_null(session_find(ss, s->id, SESSION_STREAMABLE));
	session_msg_unref(m);
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

/*
 * A stream as if an event stream were open on it: what is pushed is
 * written at once (to a connection that takes it all), so it counts as
 * delivered.
 */
static struct http_conn *
fake_attach(struct stream *st)
{
	struct http_conn	*c;

	c = calloc(1, sizeof *c);
	ck_assert_ptr_nonnull(c);
	c->streaming = 1;
	st->conn = c;
	st->state = STREAM_SSE;
	return c;
}

static void
fake_detach(struct stream *st, struct http_conn *c)
{
	st->conn = NULL;
	st->state = STREAM_IDLE;
	free(c);
}

/* The seq of each entry of the log, in order, as "stream-seq ...". */
static void
log_text(struct session *s, char *buf, size_t size)
{
	struct session_entry	*e;
	size_t			 off = 0;

	buf[0] = '\0';
	TAILQ_FOREACH(e, &s->log, entry)
		off += (size_t)snprintf(buf + off, size - off, "%s%llu-%llu",
		    off > 0 ? " " : "", (unsigned long long)e->stream,
		    (unsigned long long)e->seq);
}

/*
 * A full log of owed messages lets go of the oldest delivered one, past
 * those never delivered, however the two interleave, and one delivered
 * late (its client came back) is let go before newer ones.
 */
START_TEST(test_log_trims_delivered_first)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions(base, 4, 100000);
	struct session		*s;
	struct stream		*st0, *st1;
	struct http_conn	*req0, *req1;
	struct session_msg	*ask;
	char			 buf[256];

	overflow = 0;
	s = session_new(ss, SESSION_STREAMABLE);
	st0 = stream_find(s, 0);
	ck_assert_ptr_nonnull(st0);
	ask = session_msg_new("{\"id\":\"s1\",\"method\":\"roots/list\"}", 33,
	    1);
	/* Two for the general stream, nobody there; two delivered. */
	ck_assert_int_eq(session_push_msg(s, 0, ask, 0), 0);
	ck_assert_int_eq(session_push_msg(s, 0, ask, 0), 0);
	st1 = stream_new(s);
	req1 = fake_attach(st1);
	ck_assert_int_eq(session_push_msg(s, st1->no, ask, 0), 0);
	ck_assert_int_eq(session_push_msg(s, st1->no, ask, 0), 0);
	ck_assert_uint_eq(s->unsent_owed, 2 * ask->len);
	log_text(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0-1 0-2 1-1 1-2");

	/* Over the bound: the delivered ones go, oldest first. */
	ck_assert_int_eq(session_push_msg(s, 0, ask, 0), 0);
	log_text(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0-1 0-2 1-2 0-3");
	ck_assert_int_eq(session_push_msg(s, 0, ask, 0), 0);
	log_text(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0-1 0-2 0-3 0-4");
	/* Nothing delivered is left: the undelivered stay, over the bound. */
	ck_assert_int_eq(session_push_msg(s, 0, ask, 0), 0);
	log_text(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0-1 0-2 0-3 0-4 0-5");

	/* Its client comes back: all five are delivered, the oldest goes. */
	req0 = fake_attach(st0);
	stream_flush(st0);
	ck_assert_uint_eq(s->unsent_owed, 0);
	log_text(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0-2 0-3 0-4 0-5");
	fake_detach(st0, req0);

	/* One more on the request stream, delivered: the oldest goes. */
	ck_assert_int_eq(session_push_msg(s, st1->no, ask, 0), 0);
	log_text(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0-3 0-4 0-5 1-3");
	ck_assert_int_eq(overflow, 0);
	fake_detach(st1, req1);
	session_msg_unref(ask);
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

/* A legacy session keeps nothing once written, and what waits for its
 * stream stays within the bounds. */
START_TEST(test_log_legacy_keeps_unsent)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions(base, 3, 100000);
	struct session		*s;
	struct stream		*st0;
	struct http_conn	*req0;
	struct session_msg	*note;
	char			 buf[256];
	int			 i;

	s = session_new(ss, SESSION_LEGACY);
	st0 = stream_find(s, 0);
	ck_assert_ptr_nonnull(st0);
	note = session_msg_new("{\"method\":\"n\"}", 14, 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(session_push_msg(s, 0, note, 0), 0);
	log_text(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0-3 0-4 0-5");
	req0 = fake_attach(st0);
	stream_flush(st0);
	ck_assert_uint_eq(s->log_count, 0);
	ck_assert_uint_eq(s->log_sent, 0);
	ck_assert_int_eq(session_push_msg(s, 0, note, 0), 0);
	ck_assert_uint_eq(s->log_count, 0);
	fake_detach(st0, req0);
	ck_assert_int_eq(session_push_msg(s, 0, note, 0), 0);
	log_text(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0-7");
	session_msg_unref(note);
	sessions_free(ss);
	event_base_free(base);
}
END_TEST

/* The first entry st has yet to write, walking the whole log. */
static struct session_entry *
pending(struct session *s, struct stream *st)
{
	struct session_entry	*e;

	TAILQ_FOREACH(e, &s->log, entry) {
		if (e->stream == st->no && e->seq > st->sent)
			return e;
	}
	return NULL;
}

/* Each stream's mark is in the log, and nothing up to it is pending. */
static void
check_marks(struct session *s)
{
	struct session_entry	*e;
	struct stream		*st;
	int			 found;

	TAILQ_FOREACH(st, &s->streams, entry) {
		if (st->flushed == NULL)
			continue;
		found = 0;
		/* Not ck_assert in these loops: each of those writes to
		 * Check's log, half a million system calls over the test,
		 * which a loaded machine makes slow enough to time it out. */
		TAILQ_FOREACH(e, &s->log, entry) {
			if (e->stream == st->no && e->seq > st->sent)
				ck_abort_msg("stream %llu: %llu-%llu pending "
				    "before its mark",
				    (unsigned long long)st->no,
				    (unsigned long long)e->stream,
				    (unsigned long long)e->seq);
			if (e == st->flushed) {
				found = 1;
				break;
			}
		}
		if (!found)
			ck_abort_msg("stream %llu: mark not in the log",
			    (unsigned long long)st->no);
	}
}

#define MARK_STREAMS	6

/*
 * Pushes, trims, streams coming and going, connections attached and
 * detached, at random: a stream with a connection has nothing left to
 * write after each step, and the mark its writes start from never hides
 * an entry it has yet to write.
 */
static void
run_marks(enum session_kind kind, unsigned seed)
{
	struct event_base	*base = event_base_new();
	struct sessions		*ss = new_sessions(base, 8, 100000);
	struct session		*s;
	struct stream		*st;
	struct http_conn	*reqs[MARK_STREAMS + 1] = { NULL };
	struct session_msg	*ask, *note;
	uint64_t		 no;
	unsigned		 r = seed;
	int			 step;

	s = session_new(ss, kind);
	ask = session_msg_new("{\"id\":1,\"method\":\"x\"}", 22, 1);
	note = session_msg_new("{\"method\":\"n\"}", 14, 0);
	for (step = 0; step < 20000; step++) {
		r = r * 1103515245 + 12345;
		no = (r >> 8) % (MARK_STREAMS + 1);
		st = stream_find(s, no);
		switch ((r >> 16) % 6) {
		case 0:
		case 1:
			if (st != NULL)
				(void)session_push_msg(s, no,
				    (r >> 20) & 1 ? ask : note, 0);
			break;
		case 2:
			/* A final, on a stream with no connection. */
			if (st != NULL && no != 0 && reqs[no] == NULL)
				(void)session_push_msg(s, no, ask, 1);
			break;
		case 3:
			if (s->next_stream <= MARK_STREAMS)
				(void)stream_new(s);
			else if (st != NULL && reqs[no] == NULL)
				(void)stream_gc(st);
			break;
		case 4:
			if (st != NULL && reqs[no] == NULL && !st->finished) {
				reqs[no] = fake_attach(st);
				stream_flush(st);
			}
			break;
		case 5:
			if (st != NULL && reqs[no] != NULL) {
				fake_detach(st, reqs[no]);
				reqs[no] = NULL;
			}
			break;
		}
		check_marks(s);
		TAILQ_FOREACH(st, &s->streams, entry) {
			if (reqs[st->no] != NULL && pending(s, st) != NULL)
				ck_abort_msg("stream %llu: pending with a "
				    "connection", (unsigned long long)st->no);
		}
	}
	TAILQ_FOREACH(st, &s->streams, entry) {
		if (reqs[st->no] != NULL)
			fake_detach(st, reqs[st->no]);
	}
	session_msg_unref(note);
	session_msg_unref(ask);
	sessions_free(ss);
	event_base_free(base);
}

START_TEST(test_stream_marks)
{
	run_marks(SESSION_STREAMABLE, 1);
	run_marks(SESSION_STREAMABLE, 7);
	run_marks(SESSION_LEGACY, 3);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("session");
	TCase	*tl = tcase_create("ids and log");

	tcase_add_test(tl, test_event_ids);
	tcase_add_test(tl, test_session_ids);
	tcase_add_test(tl, test_session_prefix);
	tcase_add_test(tl, test_log_waits_and_trims);
	tcase_add_test(tl, test_log_bytes);
	tcase_add_test(tl, test_log_keeps_answers);
	tcase_add_test(tl, test_log_keeps_requests);
	tcase_add_test(tl, test_log_keeps_undelivered);
	tcase_add_test(tl, test_queue_ends_session);
	tcase_add_test(tl, test_log_trims_delivered_first);
	tcase_add_test(tl, test_log_legacy_keeps_unsent);
	tcase_add_test(tl, test_stream_marks);
	suite_add_tcase(s, tl);
	return s;
}
