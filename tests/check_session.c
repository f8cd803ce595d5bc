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

static int	lost, overflow, expired;

static void
on_lost(struct session *s, struct stream *st, void *arg)
{
	lost++;
}

static void
on_overflow(struct session *s, void *arg)
{
	overflow++;
}

static void
on_hold(struct session *s, struct stream *st, void *arg)
{
	expired++;
}

static const struct session_ops ops = { on_lost, on_overflow, on_hold, NULL };

static struct sessions *
new_sessions(struct event_base *base, size_t msgs, size_t bytes)
{
	struct session_limits	lim;

	memset(&lim, 0, sizeof lim);
	lim.keepalive_ms = 1000;
	lim.max_queue = 1024 * 1024;
	lim.replay_messages = msgs;
	lim.replay_bytes = bytes;
	return sessions_new(base, &lim, &ops, NULL);
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

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(session_push_msg(s, 0, ask, 0), 0);
	ck_assert_uint_eq(s->log_count, 3);
	TAILQ_FOREACH(e, &s->log, entry)
		ck_assert_uint_gt(e->seq, 11);
	ck_assert_uint_eq(note->refs, 1);
	ck_assert_ptr_null(TAILQ_FIRST(&s->notices));
	session_msg_unref(note);
	session_msg_unref(ask);
	sessions_free(ss);
	event_base_free(base);
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
	suite_add_tcase(s, tl);
	return s;
}
