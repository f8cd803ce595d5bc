/* SPDX-License-Identifier: ISC */
/*
 * check_sse_parser.c: the text/event-stream parser, fed whole and byte by
 * byte, with every line ending and over its limits.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "checktest.h"
#include "sse_parser.h"

#define MAX_SEEN	16

struct seen {
	int	 n;
	char	*type[MAX_SEEN];
	char	*data[MAX_SEEN];
	size_t	 len[MAX_SEEN];
	char	*id[MAX_SEEN];
	int	 own_id[MAX_SEEN];
};

static void
record(void *arg, const struct sse_event *ev)
{
	struct seen	*s = arg;

	ck_assert_int_lt(s->n, MAX_SEEN);
	ck_assert_uint_eq(strlen(ev->data) <= ev->len, 1);
	s->type[s->n] = strdup(ev->type);
	s->data[s->n] = malloc(ev->len + 1);
	memcpy(s->data[s->n], ev->data, ev->len + 1);
	s->len[s->n] = ev->len;
	s->id[s->n] = strdup(ev->id);
	s->own_id[s->n] = ev->own_id;
	s->n++;
}

static void
seen_free(struct seen *s)
{
	int	i;

	for (i = 0; i < s->n; i++) {
		free(s->type[i]);
		free(s->data[i]);
		free(s->id[i]);
	}
	memset(s, 0, sizeof *s);
}

/* Feeds text in chunks of `step` bytes (0: all at once). */
static struct sse_parser *
run(struct seen *s, size_t max, const char *text, size_t step)
{
	struct sse_parser	*p;
	size_t			 len = strlen(text), off, n;

	memset(s, 0, sizeof *s);
	p = sse_parser_new(max, record, s);
	if (step == 0)
		step = len;
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		sse_parser_feed(p, text + off, n);
	}
	return p;
}

/* The same stream must give the same events whatever the chunking. */
static const size_t steps[] = { 0, 1, 2, 3, 7 };

START_TEST(test_basic)
{
	struct seen		 s;
	struct sse_parser	*p;
	size_t			 i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		p = run(&s, 1024, "event: endpoint\ndata: /message?s=1\n\n"
		    "data: {\"a\":1}\n\n", steps[i]);
		ck_assert_int_eq(s.n, 2);
		ck_assert_str_eq(s.type[0], "endpoint");
		ck_assert_str_eq(s.data[0], "/message?s=1");
		ck_assert_str_eq(s.type[1], "message");
		ck_assert_str_eq(s.data[1], "{\"a\":1}");
		ck_assert_str_eq(s.id[1], "");
		ck_assert_int_eq(sse_parser_has_id(p), 0);
		ck_assert_uint_eq(sse_parser_events(p), 2);
		sse_parser_free(p);
		seen_free(&s);
	}
}
END_TEST

START_TEST(test_line_endings)
{
	static const char *const streams[] = {
		"id: 7\r\ndata: one\r\ndata: two\r\n\r\n",
		"id: 7\rdata: one\rdata: two\r\r",
		"id: 7\ndata: one\ndata: two\n\n",
		"id: 7\r\ndata: one\rdata: two\n\r\n",
	};
	struct seen		 s;
	struct sse_parser	*p;
	size_t			 i, j;

	for (i = 0; i < sizeof streams / sizeof streams[0]; i++) {
		for (j = 0; j < sizeof steps / sizeof steps[0]; j++) {
			p = run(&s, 1024, streams[i], steps[j]);
			ck_assert_msg(s.n == 1, "stream %zu step %zu: %d "
			    "events", i, steps[j], s.n);
			ck_assert_str_eq(s.data[0], "one\ntwo");
			ck_assert_str_eq(s.id[0], "7");
			sse_parser_free(p);
			seen_free(&s);
		}
	}
}
END_TEST

START_TEST(test_fields)
{
	struct seen		 s;
	struct sse_parser	*p;

	/* No space after the colon; only one space is stripped; a field
	 * without a colon; comments; unknown fields; retry. */
	p = run(&s, 1024,
	    ": keep-alive\n"
	    "retry: 500\n"
	    "data:x\n"
	    "data:  two spaces\n"
	    "data\n"
	    "foo: bar\n"
	    "\n", 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.data[0], "x\n two spaces\n");
	ck_assert_int_eq(sse_parser_retry(p), 500);
	sse_parser_free(p);
	seen_free(&s);

	/* A bad retry is ignored; an event without data is not delivered
	 * but its id still counts (a priming event has empty data, which is
	 * delivered). */
	p = run(&s, 1024,
	    "retry: 12x\n\n"
	    "id: a1\nevent: x\n\n"
	    "id: a2\ndata:\n\n", 0);
	ck_assert_int_eq(sse_parser_retry(p), -1);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.data[0], "");
	ck_assert_str_eq(s.id[0], "a2");
	ck_assert_str_eq(sse_parser_last_id(p), "a2");
	ck_assert_int_eq(sse_parser_has_id(p), 1);
	sse_parser_free(p);
	seen_free(&s);

	/* The id persists across events; an empty id clears it. */
	p = run(&s, 1024, "id: 5\ndata: a\n\ndata: b\n\nid\ndata: c\n\n", 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.id[0], "5");
	ck_assert_str_eq(s.id[1], "5");
	ck_assert_str_eq(s.id[2], "");
	/* ...but only the events that set it have their own. */
	ck_assert_int_eq(s.own_id[0], 1);
	ck_assert_int_eq(s.own_id[1], 0);
	ck_assert_int_eq(s.own_id[2], 1);
	sse_parser_free(p);
	seen_free(&s);
}
END_TEST

START_TEST(test_bom_and_partial)
{
	struct seen		 s;
	struct sse_parser	*p;
	size_t			 j;

	for (j = 0; j < sizeof steps / sizeof steps[0]; j++) {
		p = run(&s, 1024, "\xef\xbb\xbf" "data: a\n\ndata: partial\n",
		    steps[j]);
		ck_assert_int_eq(s.n, 1);
		ck_assert_str_eq(s.data[0], "a");
		/* The stream ends: the partial event is discarded. */
		sse_parser_reset(p);
		sse_parser_feed(p, "data: b\n\n", 9);
		ck_assert_int_eq(s.n, 2);
		ck_assert_str_eq(s.data[1], "b");
		sse_parser_free(p);
		seen_free(&s);
	}
}
END_TEST

START_TEST(test_reset_keeps_id)
{
	struct seen		 s;
	struct sse_parser	*p;

	p = run(&s, 1024, "id: 42\nretry: 250\ndata: x\n\nid: 43\ndata: half",
	    0);
	sse_parser_reset(p);
	ck_assert_str_eq(sse_parser_last_id(p), "43");
	ck_assert_int_eq(sse_parser_retry(p), 250);
	sse_parser_free(p);
	seen_free(&s);
}
END_TEST

START_TEST(test_oversized)
{
	struct seen		 s;
	struct sse_parser	*p;
	char			*big;
	size_t			 j, n = 5000;

	big = malloc(n + 64);
	strcpy(big, "data: ");
	memset(big + 6, 'x', n);
	strcpy(big + 6 + n, "\n\n");

	for (j = 0; j < sizeof steps / sizeof steps[0]; j++) {
		memset(&s, 0, sizeof s);
		p = sse_parser_new(100, record, &s);
		sse_parser_feed(p, "data: ok\n\n", 10);
		/* One line over the cap, in pieces or whole. */
		if (steps[j] == 0)
			sse_parser_feed(p, big, strlen(big));
		else {
			size_t off, len = strlen(big), k;
			for (off = 0; off < len; off += k) {
				k = len - off < steps[j] * 97 ?
				    len - off : steps[j] * 97;
				sse_parser_feed(p, big + off, k);
			}
		}
		/* Many lines that together pass the cap. */
		{
			int i;
			for (i = 0; i < 30; i++)
				sse_parser_feed(p, "data: 0123456789\n", 17);
			sse_parser_feed(p, "\n", 1);
		}
		/* The parser goes on afterwards. */
		sse_parser_feed(p, "data: after\n\n", 13);
		ck_assert_int_eq(s.n, 2);
		ck_assert_str_eq(s.data[0], "ok");
		ck_assert_str_eq(s.data[1], "after");
		ck_assert_uint_eq(sse_parser_rejected(p), 2);
		sse_parser_free(p);
		seen_free(&s);
	}
	free(big);
}
END_TEST

START_TEST(test_long_id_ignored)
{
	struct seen		 s;
	struct sse_parser	*p;
	char			 line[SSE_PARSER_MAX_ID + 16];

	memset(&s, 0, sizeof s);
	p = sse_parser_new(1 << 20, record, &s);
	sse_parser_feed(p, "id: short\n", 10);
	strcpy(line, "id: ");
	memset(line + 4, 'i', SSE_PARSER_MAX_ID + 1);
	line[4 + SSE_PARSER_MAX_ID + 1] = '\n';
	sse_parser_feed(p, line, SSE_PARSER_MAX_ID + 6);
	sse_parser_feed(p, "data: x\n\n", 9);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.id[0], "short");
	sse_parser_free(p);
	seen_free(&s);
}
END_TEST

START_TEST(test_nul_in_data)
{
	struct seen		 s;
	struct sse_parser	*p;

	memset(&s, 0, sizeof s);
	p = sse_parser_new(1024, record, &s);
	sse_parser_feed(p, "data: a\0b\n\n", 11);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(s.len[0], 3);
	ck_assert_int_eq(memcmp(s.data[0], "a\0b", 3), 0);
	sse_parser_free(p);
	seen_free(&s);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("sse_parser");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_line_endings);
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_bom_and_partial);
	tcase_add_test(tc, test_reset_keeps_id);
	tcase_add_test(tc, test_oversized);
	tcase_add_test(tc, test_long_id_ignored);
	tcase_add_test(tc, test_nul_in_data);
	suite_add_tcase(s, tc);
	return s;
}
