/* SPDX-License-Identifier: ISC */
/*
 * check_sse.c: SSE encoding (sse.c).  The event ids and the replay log
 * are session.c's, in check_session.c.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "checktest.h"
#include "sse.h"

/* The buffer's contents as a string (caller frees). */
static char *
drain(struct evbuffer *buf)
{
	size_t	 len = evbuffer_get_length(buf);
	char	*s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	evbuffer_remove(buf, s, len);
	s[len] = '\0';
	return s;
}

static void
check_event(const char *event, const char *id, const char *data, int retry,
    const char *want)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*got;

	ck_assert_int_eq(sse_event(buf, event, id, data,
	    data == NULL ? 0 : strlen(data), retry), 0);
	got = drain(buf);
	ck_assert_str_eq(got, want);
	free(got);
	evbuffer_free(buf);
}

START_TEST(test_event_simple)
{
	check_event("message", NULL, "{\"a\":1}", -1,
	    "event: message\ndata: {\"a\":1}\n\n");
	check_event(NULL, NULL, "x", -1, "data: x\n\n");
	check_event("endpoint", NULL, "/message?sessionId=ab", -1,
	    "event: endpoint\ndata: /message?sessionId=ab\n\n");
}
END_TEST

START_TEST(test_event_multiline)
{
	check_event(NULL, NULL, "a\nb", -1, "data: a\ndata: b\n\n");
	check_event(NULL, NULL, "a\r\nb\rc", -1,
	    "data: a\ndata: b\ndata: c\n\n");
	/* A trailing line break is an empty last line: it survives. */
	check_event(NULL, NULL, "a\n", -1, "data: a\ndata: \n\n");
	check_event(NULL, NULL, "\n\n", -1, "data: \ndata: \ndata: \n\n");
	/* Pretty-printed JSON keeps every line. */
	check_event("message", "3-1", "{\n  \"id\": 1\n}", -1,
	    "event: message\nid: 3-1\ndata: {\ndata:   \"id\": 1\ndata: }\n\n");
}
END_TEST

START_TEST(test_event_id_retry)
{
	check_event("message", "0-7", "{}", -1,
	    "event: message\nid: 0-7\ndata: {}\n\n");
	/* The priming event: an id, a retry and an empty data field. */
	check_event(NULL, "5-0", "", 500, "id: 5-0\nretry: 500\ndata: \n\n");
	check_event(NULL, "5-0", NULL, 0, "id: 5-0\nretry: 0\ndata: \n\n");
}
END_TEST

START_TEST(test_event_invalid_fields)
{
	struct evbuffer	*buf = evbuffer_new();

	ck_assert_int_eq(sse_event(buf, "a\nb", NULL, "x", 1, -1), -1);
	ck_assert_int_eq(sse_event(buf, NULL, "1\r", "x", 1, -1), -1);
	ck_assert_uint_eq(evbuffer_get_length(buf), 0);
	evbuffer_free(buf);
}
END_TEST

static int	released;

static void
on_release(const void *data, size_t len, void *arg)
{
	ck_assert_ptr_eq(arg, &released);
	ck_assert_uint_eq(len, 7);
	released++;
}

/* By reference: the same bytes out; the data is let go with the buffer,
 * and data that is not one line is refused whole. */
START_TEST(test_event_ref)
{
	struct evbuffer	*buf = evbuffer_new(), *out = evbuffer_new();
	char		 data[] = "{\"a\":1}";
	char		*got;

	released = 0;
	ck_assert_int_eq(sse_event_ref(buf, "message", "0-7", data, 7,
	    on_release, &released), 0);
	/* Moved on, as evhttp does with a chunk: still not copied. */
	evbuffer_add_buffer(out, buf);
	ck_assert_int_eq(released, 0);
	got = drain(out);
	ck_assert_str_eq(got, "event: message\nid: 0-7\ndata: {\"a\":1}\n\n");
	free(got);
	ck_assert_int_eq(released, 1);

	ck_assert_int_eq(sse_event_ref(buf, NULL, NULL, "a\nb", 3, on_release,
	    &released), -1);
	ck_assert_int_eq(sse_event_ref(buf, NULL, NULL, "a\rb", 3, on_release,
	    &released), -1);
	ck_assert_int_eq(sse_event_ref(buf, NULL, "1\n", data, 7, on_release,
	    &released), -1);
	ck_assert_uint_eq(evbuffer_get_length(buf), 0);
	ck_assert_int_eq(released, 1);
	evbuffer_free(buf);
	evbuffer_free(out);
}
END_TEST

START_TEST(test_comment)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*got;

	sse_comment(buf, "keepalive");
	sse_comment(buf, NULL);
	sse_comment(buf, "two\nlines");
	got = drain(buf);
	ck_assert_str_eq(got, ": keepalive\n\n:\n\n: two lines\n\n");
	free(got);
	evbuffer_free(buf);
}
END_TEST

/* A resumed stream restates retry alone: no id, no data, so no event. */
START_TEST(test_retry)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*got;

	sse_retry(buf, 250);
	got = drain(buf);
	ck_assert_str_eq(got, "retry: 250\n\n");
	free(got);
	evbuffer_free(buf);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("sse");
	TCase	*tc = tcase_create("encode");

	tcase_add_test(tc, test_event_simple);
	tcase_add_test(tc, test_retry);
	tcase_add_test(tc, test_event_multiline);
	tcase_add_test(tc, test_event_id_retry);
	tcase_add_test(tc, test_event_invalid_fields);
	tcase_add_test(tc, test_event_ref);
	tcase_add_test(tc, test_comment);
	suite_add_tcase(s, tc);
	return s;
}
