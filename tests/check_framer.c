/* SPDX-License-Identifier: ISC */
/*
 * check_framer.c: newline-delimited JSON framing, fed by hand.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <json-c/json.h>

#include "checktest.h"
#include "framer.h"
#include "jsonparse.h"
#include "log.h"

#define SINK_MAX	64

/* What the framer handed over, in order; the sink owns the values. */
struct sink {
	json_object	*msgs[SINK_MAX];
	int		 n;
};

static void
sink_cb(void *arg, json_object *msg)
{
	struct sink	*s = arg;

	ck_assert_int_lt(s->n, SINK_MAX);
	s->msgs[s->n++] = msg;
}

static void
sink_clear(struct sink *s)
{
	int	i;

	for (i = 0; i < s->n; i++)
		json_object_put(s->msgs[i]);
	s->n = 0;
}

/* The integer member "id" of the i-th value delivered. */
static int
sink_id(struct sink *s, int i)
{
	json_object	*v;

	ck_assert_int_lt(i, s->n);
	ck_assert(json_object_is_type(s->msgs[i], json_type_object));
	ck_assert(json_object_object_get_ex(s->msgs[i], "id", &v));
	return json_object_get_int(v);
}

static void
feed(struct framer *f, struct evbuffer *in, struct sink *s, const char *data,
    size_t len)
{
	ck_assert_int_eq(evbuffer_add(in, data, len), 0);
	framer_drain(f, in, sink_cb, s);
}

static void
feed_str(struct framer *f, struct evbuffer *in, struct sink *s,
    const char *data)
{
	feed(f, in, s, data, strlen(data));
}

/* A NUL-terminated copy of the first len bytes of b, left in place. */
static char *
xline(struct evbuffer *b, size_t len)
{
	char	*s;

	s = malloc(len + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(evbuffer_copyout(b, s, len), (ev_ssize_t)len);
	s[len] = '\0';
	return s;
}

START_TEST(test_byte_by_byte)
{
	const char	*data = "{\"id\":1,\"s\":\"a b\"}\n[{\"id\":2}]\n";
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	size_t		 i, len = strlen(data);
	size_t		 first = (size_t)(strchr(data, '\n') - data);

	framer_init(&f, 1024, "test");
	for (i = 0; i < len; i++) {
		feed(&f, in, &s, data + i, 1);
		/* Nothing comes out before its newline has arrived. */
		if (i < first)
			ck_assert_int_eq(s.n, 0);
	}
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(sink_id(&s, 0), 1);
	ck_assert(json_object_is_type(s.msgs[1], json_type_array));
	ck_assert_int_eq(json_object_array_length(s.msgs[1]), 1);
	ck_assert_uint_eq(f.lines, 2);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_many_in_one_read)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	char		 buf[4096];
	size_t		 off = 0;
	int		 i;

	framer_init(&f, 1024, "test");
	for (i = 0; i < 50; i++)
		off += (size_t)snprintf(buf + off, sizeof buf - off,
		    "{\"id\":%d}\n", i);
	/* One drain call must deliver all of them, not one per call. */
	feed(&f, in, &s, buf, off);
	ck_assert_int_eq(s.n, 50);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(sink_id(&s, i), i);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_crlf_and_partial)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };

	framer_init(&f, 1024, "test");
	feed_str(&f, in, &s, "{\"id\":1}\r\n{\"id\":2}\r\n{\"id\":");
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(sink_id(&s, 0), 1);
	ck_assert_int_eq(sink_id(&s, 1), 2);
	ck_assert_uint_eq(f.nonjson, 0);
	/* The partial last line stays buffered, untouched. */
	ck_assert_uint_eq(evbuffer_get_length(in), strlen("{\"id\":"));
	feed_str(&f, in, &s, "3}\r\n");
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(sink_id(&s, 2), 3);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_oversized_across_chunks)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	char		 chunk[100];
	int		 i;

	framer_init(&f, 64, "test");
	feed_str(&f, in, &s, "{\"id\":1}\n{\"big\":\"");
	ck_assert_int_eq(s.n, 1);
	memset(chunk, 'x', sizeof chunk);
	for (i = 0; i < 10; i++) {
		feed(&f, in, &s, chunk, sizeof chunk);
		/* The excess is dropped as it comes, not buffered. */
		ck_assert_uint_le(evbuffer_get_length(in), 64 + 1);
	}
	ck_assert_uint_eq(f.oversized, 1);
	ck_assert(f.discarding);
	feed_str(&f, in, &s, "xxx\"}\n{\"id\":2}\n");
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(sink_id(&s, 1), 2);
	ck_assert_uint_eq(f.oversized, 1);
	ck_assert_uint_eq(f.nonjson, 0);
	ck_assert(!f.discarding);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_oversized_whole_line)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	char		 line[64];

	/* {"id":1,"pad":"..."} of exactly 32 bytes passes a 32-byte cap,
	 * with or without "\r"; one byte more does not. */
	framer_init(&f, 32, "test");
	snprintf(line, sizeof line, "{\"id\":1,\"pad\":\"%s\"}\r\n",
	    "xxxxxxxxxxxxxxx");
	ck_assert_uint_eq(strlen(line), 32 + 2);
	feed_str(&f, in, &s, line);
	ck_assert_int_eq(s.n, 1);
	snprintf(line, sizeof line, "{\"id\":2,\"pad\":\"%s\"}\n",
	    "xxxxxxxxxxxxxxxx");
	ck_assert_uint_eq(strlen(line), 33 + 1);
	feed_str(&f, in, &s, line);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(f.oversized, 1);
	feed_str(&f, in, &s, "{\"id\":3}\n");
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(sink_id(&s, 1), 3);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

/* A child that ends its lines with a lone CR (old Mac style): each line is
 * delivered as it ends, not held until the cap drops it. */
START_TEST(test_cr_only)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };

	framer_init(&f, 1024, "test");
	feed_str(&f, in, &s, "{\"id\":1}\r{\"id\":2}\r{\"id\":");
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(sink_id(&s, 0), 1);
	ck_assert_int_eq(sink_id(&s, 1), 2);
	ck_assert_uint_eq(evbuffer_get_length(in), strlen("{\"id\":"));
	/* CR LF split across two reads is one line end, not a blank line
	 * that counts as anything. */
	feed_str(&f, in, &s, "3}\r");
	ck_assert_int_eq(s.n, 3);
	feed_str(&f, in, &s, "\n{\"id\":4}\n");
	ck_assert_int_eq(s.n, 4);
	ck_assert_int_eq(sink_id(&s, 3), 4);
	ck_assert_uint_eq(f.nonjson, 0);
	ck_assert_uint_eq(f.oversized, 0);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

/* What the dropped-line callback was told, copied. */
struct peeks {
	int		 n;
	json_object	*id[8];
	int		 method[8];
	int		 answer[8];
	size_t		 len[8];
	enum framer_drop drop[8];
	const char	*reason[8];
};

static void
peeks_cb(void *arg, const struct framer_peek *pk)
{
	struct peeks	*p = arg;

	ck_assert_int_lt(p->n, 8);
	p->id[p->n] = json_object_get(pk->id);
	p->method[p->n] = pk->method;
	p->answer[p->n] = pk->answer;
	p->len[p->n] = pk->len;
	p->drop[p->n] = pk->drop;
	p->reason[p->n] = pk->reason;
	p->n++;
}

static void
peeks_clear(struct peeks *p)
{
	int	i;

	for (i = 0; i < p->n; i++)
		json_object_put(p->id[i]);
	p->n = 0;
}

/* Feeds line (oversized for a 64-byte cap) in 16-byte pieces, then a
 * newline and a small line that must still come through. */
static void
peek_line(struct framer *f, struct evbuffer *in, struct sink *s,
    const char *line, int whole)
{
	size_t	i, len = strlen(line), step;

	step = whole ? len : 16;
	for (i = 0; i < len; i += step)
		feed(f, in, s, line + i, len - i < step ? len - i : step);
	feed_str(f, in, s, "\n{\"id\":99}\n");
	ck_assert_int_eq(s->n, 1);
	ck_assert_int_eq(sink_id(s, 0), 99);
	sink_clear(s);
}

#define PEEK_PAD "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""

/*
 * An oversized line is reported once, when it ends, with the top-level
 * "id" its beginning shows, so the request it answers can be answered
 * with an error instead of waiting for a timeout.
 */
START_TEST(test_oversized_peek)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	struct peeks	 p = { .n = 0 };
	const char	*start = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":"
			    "{\"t\":" PEEK_PAD;

	framer_init(&f, 64, "test");
	framer_set_dropped(&f, peeks_cb, &p);

	/* A number id before the result: counted at once, reported when
	 * the line ends, with its whole length. */
	feed_str(&f, in, &s, start);
	ck_assert_uint_eq(f.oversized, 1);
	ck_assert_int_eq(p.n, 0);
	feed_str(&f, in, &s, PEEK_PAD "}}");
	ck_assert_int_eq(p.n, 0);
	peek_line(&f, in, &s, "", 0);
	ck_assert_int_eq(p.n, 1);
	ck_assert_ptr_nonnull(p.id[0]);
	ck_assert_int_eq(json_object_get_int(p.id[0]), 7);
	ck_assert(!p.method[0]);
	ck_assert(p.answer[0]);
	ck_assert_uint_eq(p.len[0], strlen(start) + strlen(PEEK_PAD "}}"));

	/* A string id after a nested result that fits the peek; whole. */
	peek_line(&f, in, &s, "{\"result\":{\"a\":[1,{\"id\":5}],\"s\":"
	    "\"\\\"id\\\":6 }\"},\"id\":\"k-1\",\"pad\":" PEEK_PAD "}", 1);
	ck_assert_int_eq(p.n, 2);
	ck_assert_str_eq(json_object_get_string(p.id[1]), "k-1");
	ck_assert(!p.method[1]);
	ck_assert(p.answer[1]);

	/* A request from the peer: method seen, id reported as is. */
	peek_line(&f, in, &s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":"
	    "\"sampling/createMessage\",\"params\":{\"p\":" PEEK_PAD "}}", 0);
	ck_assert_int_eq(p.n, 3);
	ck_assert_int_eq(json_object_get_int(p.id[2]), 3);
	ck_assert(p.method[2]);
	ck_assert(!p.answer[2]);

	/* No id in sight: a batch shows nothing of its members. */
	peek_line(&f, in, &s, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
	    PEEK_PAD "}]", 0);
	ck_assert_int_eq(p.n, 4);
	ck_assert_ptr_null(p.id[3]);
	ck_assert(!p.method[3]);
	ck_assert(!p.answer[3]);

	/* An id that is neither a number nor a string is no id. */
	peek_line(&f, in, &s, "{\"id\":{\"x\":1},\"result\":" PEEK_PAD "}", 1);
	ck_assert_int_eq(p.n, 5);
	ck_assert_ptr_null(p.id[4]);

	ck_assert_uint_eq(f.oversized, 5);
	ck_assert_uint_eq(f.nonjson, 0);
	ck_assert_int_eq(p.drop[0], FRAMER_DROP_OVERSIZED);
	ck_assert_ptr_null(p.reason[0]);
	peeks_clear(&p);
	evbuffer_free(in);
}
END_TEST

/* A line of about len bytes, in pieces of a size that does not divide
 * FRAMER_PEEK_MAX: start, then a string of x filling the middle, then
 * end; the line's end (a newline) only if nl. */
static void
feed_big(struct framer *f, struct evbuffer *in, struct sink *s,
    const char *start, size_t len, const char *end, int nl)
{
	char	chunk[1000];
	size_t	n, mid;

	ck_assert_uint_gt(len, strlen(start) + strlen(end) + 2);
	mid = len - strlen(start) - strlen(end) - 2;
	feed_str(f, in, s, start);
	feed_str(f, in, s, "\"");
	memset(chunk, 'x', sizeof chunk);
	for (; mid > 0; mid -= n) {
		n = mid < 333 ? mid : 333;
		feed(f, in, s, chunk, n);
	}
	feed_str(f, in, s, "\"");
	feed_str(f, in, s, end);
	if (nl)
		feed_str(f, in, s, "\n");
}

/*
 * The id at the end of a long line, where the TypeScript SDK writes it
 * ({result, jsonrpc, id}), is seen too: the line's last FRAMER_PEEK_MAX
 * bytes are kept as it is discarded, and read back from its final '}'.
 * Only members of the top-level object count, at either end.
 */
START_TEST(test_oversized_peek_tail)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	struct peeks	 p = { .n = 0 };

	framer_init(&f, 1024, "test");
	framer_set_dropped(&f, peeks_cb, &p);

	/* SDK order, 100 KiB: the id is 20 bytes from the end. */
	feed_big(&f, in, &s, "{\"result\":{\"content\":[{\"type\":\"text\","
	    "\"text\":", 100 * 1024, "}]},\"jsonrpc\":\"2.0\",\"id\":41}", 1);
	ck_assert_int_eq(p.n, 1);
	ck_assert_ptr_nonnull(p.id[0]);
	ck_assert_int_eq(json_object_get_int(p.id[0]), 41);
	ck_assert(p.answer[0]);
	ck_assert(!p.method[0]);
	ck_assert_uint_eq(p.len[0], 100 * 1024);

	/* A request whose "method" comes after large params: a request,
	 * not an answer, whichever end shows what. */
	feed_big(&f, in, &s, "{\"jsonrpc\":\"2.0\",\"id\":\"q-9\",\"params\":"
	    "{\"p\":", 20 * 1024, "},\"method\":\"sampling/createMessage\"}",
	    1);
	ck_assert_int_eq(p.n, 2);
	ck_assert_str_eq(json_object_get_string(p.id[1]), "q-9");
	ck_assert(p.method[1]);
	ck_assert(!p.answer[1]);

	/* An "id" nested in the result at the end is not the answer's. */
	feed_big(&f, in, &s, "{\"jsonrpc\":\"2.0\",\"result\":{\"t\":",
	    9000, ",\"item\":{\"id\":5},\"id\":6}}", 1);
	ck_assert_int_eq(p.n, 3);
	ck_assert_ptr_null(p.id[2]);
	ck_assert(p.answer[2]);

	/* The tail starts inside a long string full of escaped quotes and
	 * braces that look like members: only the real member counts. */
	feed_big(&f, in, &s, "{\"result\":{\"t\":", 50000,
	    ",\"u\":\"\\\"},\\\"id\\\":9,{\\\\\"},\"id\":12}", 1);
	ck_assert_int_eq(p.n, 4);
	ck_assert_int_eq(json_object_get_int(p.id[3]), 12);
	ck_assert(p.answer[3]);

	/* A line that does not open an object (a banner, a batch) shows
	 * nothing, whatever its end looks like. */
	feed_big(&f, in, &s, "starting ", 9000, ",\"result\":1,\"id\":13}", 1);
	ck_assert_int_eq(p.n, 5);
	ck_assert_ptr_null(p.id[4]);
	ck_assert(!p.answer[4]);

	/* Cut off by EOF: reported then, with what its start showed. */
	feed_big(&f, in, &s, "{\"result\":{\"t\":", 9000, "", 0);
	ck_assert_int_eq(p.n, 5);
	framer_eof(&f, in, sink_cb, &s);
	ck_assert_int_eq(p.n, 6);
	ck_assert_ptr_null(p.id[5]);
	ck_assert(p.answer[5]);
	ck_assert(!f.discarding);

	ck_assert_int_eq(s.n, 0);
	ck_assert_uint_eq(f.oversized, 6);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	peeks_clear(&p);
	evbuffer_free(in);
}
END_TEST

/*
 * An answer whose start already shows its id and a result is reported as
 * soon as its first FRAMER_PEEK_MAX bytes are in, not when it ends: a
 * child that writes a huge or endless answer fails its request at once.
 * The line is reported once; a request, or an answer whose id is not at
 * its start, still waits for its end.
 */
START_TEST(test_oversized_early)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	struct peeks	 p = { .n = 0 };
	const char	*start = "{\"jsonrpc\":\"2.0\",\"id\":21,\"result\":"
			    "{\"t\":";
	char		 chunk[333];
	size_t		 fed;

	framer_init(&f, 64, "test");
	framer_set_dropped(&f, peeks_cb, &p);
	memset(chunk, 'x', sizeof chunk);

	/* No line end ever comes: reported once the start is all in. */
	feed_str(&f, in, &s, start);
	feed_str(&f, in, &s, "\"");
	fed = strlen(start) + 1;
	while (fed + sizeof chunk < FRAMER_PEEK_MAX) {
		feed(&f, in, &s, chunk, sizeof chunk);
		fed += sizeof chunk;
	}
	ck_assert_int_eq(p.n, 0);
	feed(&f, in, &s, chunk, sizeof chunk);
	ck_assert_int_eq(p.n, 1);
	ck_assert_int_eq(p.drop[0], FRAMER_DROP_OVERSIZED);
	ck_assert_ptr_nonnull(p.id[0]);
	ck_assert_int_eq(json_object_get_int(p.id[0]), 21);
	ck_assert(p.answer[0]);
	ck_assert(!p.method[0]);
	ck_assert(f.discarding);
	/* Its end, when it comes at last, reports nothing more. */
	for (fed = 0; fed < 50; fed++)
		feed(&f, in, &s, chunk, sizeof chunk);
	feed_str(&f, in, &s, "\"}}\n");
	ck_assert_int_eq(p.n, 1);
	ck_assert(!f.discarding);

	/* Again, the end close behind: the same, once. */
	feed_big(&f, in, &s, start, 9000, "}}", 1);
	ck_assert_int_eq(p.n, 2);
	ck_assert_int_eq(json_object_get_int(p.id[1]), 21);

	/* Cut off by EOF after an early report: not reported again. */
	feed_big(&f, in, &s, "{\"id\":\"e\",\"error\":{\"data\":", 9000,
	    "", 0);
	ck_assert_int_eq(p.n, 3);
	ck_assert_str_eq(json_object_get_string(p.id[2]), "e");
	ck_assert(p.answer[2]);
	framer_eof(&f, in, sink_cb, &s);
	ck_assert_int_eq(p.n, 3);
	evbuffer_free(in);
	in = evbuffer_new();

	/* A request from the peer waits for its end. */
	feed_big(&f, in, &s, "{\"id\":22,\"method\":\"x\",\"params\":{\"p\":",
	    9000, "}}", 0);
	ck_assert_int_eq(p.n, 3);
	feed_str(&f, in, &s, "\n");
	ck_assert_int_eq(p.n, 4);
	ck_assert(p.method[3]);
	ck_assert_int_eq(json_object_get_int(p.id[3]), 22);

	/* An answer with its id at the end waits for it. */
	feed_big(&f, in, &s, "{\"result\":{\"p\":", 9000, "},\"id\":23}", 0);
	ck_assert_int_eq(p.n, 4);
	feed_str(&f, in, &s, "\n");
	ck_assert_int_eq(p.n, 5);
	ck_assert_int_eq(json_object_get_int(p.id[4]), 23);

	ck_assert_int_eq(s.n, 0);
	ck_assert_uint_eq(f.oversized, 5);
	peeks_clear(&p);
	evbuffer_free(in);
}
END_TEST

/*
 * An id with a lone surrogate escape is refused (json-c would make it
 * U+FFFD, another id), and it is not reported as an id either: an error
 * sent under the mended id would be the very rewrite the refusal stops.
 */
START_TEST(test_lone_surrogate_id)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	struct peeks	 p = { .n = 0 };

	framer_init(&f, 128, "test");
	framer_set_dropped(&f, peeks_cb, &p);
	feed_str(&f, in, &s,
	    "{\"jsonrpc\":\"2.0\",\"id\":\"\\ud800\",\"method\":\"ping\"}\n"
	    "{\"result\":{},\"id\":\"a\\udc00b\"}\n"
	    "{\"id\":\"\\ud83d\\ude00\",\"result\":{\"v\":NaN}}\n");
	ck_assert_int_eq(p.n, 3);
	ck_assert_int_eq(p.drop[0], FRAMER_DROP_INVALID);
	ck_assert_str_eq(p.reason[0], "lone surrogate in id");
	ck_assert_ptr_null(p.id[0]);
	ck_assert(p.method[0]);
	ck_assert_str_eq(p.reason[1], "lone surrogate in id");
	ck_assert_ptr_null(p.id[1]);
	ck_assert(p.answer[1]);
	/* A whole pair is a character, and the id stands. */
	ck_assert_ptr_nonnull(p.id[2]);
	ck_assert_str_eq(json_object_get_string(p.id[2]), "\xf0\x9f\x98\x80");

	/* Oversized, at either end. */
	feed_big(&f, in, &s, "{\"id\":\"\\udbff\",\"result\":{\"t\":", 9000,
	    "}}", 1);
	feed_big(&f, in, &s, "{\"result\":{\"t\":", 9000,
	    "},\"id\":\"\\ud800\\ud800\"}", 1);
	ck_assert_int_eq(p.n, 5);
	ck_assert_ptr_null(p.id[3]);
	ck_assert_ptr_null(p.id[4]);
	ck_assert(p.answer[4]);
	ck_assert_int_eq(s.n, 0);
	peeks_clear(&p);
	evbuffer_free(in);
}
END_TEST

/* framer_peek_tail on text, as JSON with ' for " (none of the strings
 * below has a '), and what it found. */
static void
tail_of(const char *text, struct framer_peek *pk)
{
	char	*t, *q;

	t = strdup(text);
	ck_assert_ptr_nonnull(t);
	for (q = t; *q != '\0'; q++) {
		if (*q == '\'')
			*q = '"';
	}
	memset(pk, 0, sizeof *pk);
	framer_peek_tail(t, strlen(t), pk);
	free(t);
}

/* The end of a line, read backward, case by case. */
START_TEST(test_peek_tail)
{
	static const struct {
		const char	*text;
		const char	*id;	/* as JSON; NULL: none */
		int		 answer, method;
	} cases[] = {
		/* The TypeScript SDK's order, and Python's. */
		{ "{'result':{'content':[]},'jsonrpc':'2.0','id':7}", "7",
		    1, 0 },
		{ "{'jsonrpc':'2.0','id':'k-1','result':{'a':[1,2]}}", "\"k-1\"",
		    1, 0 },
		{ "{'jsonrpc':'2.0','id':-3,'error':{'code':-32603,"
		    "'message':'x'}}", "-3", 1, 0 },
		/* Blanks anywhere, and a line end. */
		{ " { 'result' : { } , 'id' : 12 } \r\n ", "12", 1, 0 },
		/* A request: method after params, and before. */
		{ "{'jsonrpc':'2.0','id':3,'params':{'x':[{}]},"
		    "'method':'ping'}", "3", 0, 1 },
		{ "{'method':'notifications/progress','params':{}}", NULL,
		    0, 1 },
		/* Quotes, braces and members inside strings. */
		{ "{'result':{'t':'a\\'}{\\'id\\':9,'},'id':3}", "3", 1, 0 },
		{ "{'result':'\\\\','id':4}", "4", 1, 0 },
		{ "{'result':'}','s':'\\\\\\'','id':'a\\'b'}",
		    "\"a\\\"b\"", 1, 0 },
		{ "{'a\\'id':1,'id':2}", "2", 0, 0 },
		{ "{'x':1,'i\\'d':3}", NULL, 0, 0 },
		/* An id nested deeper does not count. */
		{ "{'result':{'id':5},'jsonrpc':'2.0'}", NULL, 1, 0 },
		{ "{'result':[{'id':5},{'error':1}]}", NULL, 1, 0 },
		{ "{'params':{'method':'x','id':5}}", NULL, 0, 0 },
		/* The last id counts, as in json-c, even if it is no id. */
		{ "{'id':1,'result':{},'id':2}", "2", 1, 0 },
		{ "{'id':1,'result':{},'id':1.5}", NULL, 1, 0 },
		{ "{'id':1,'result':{},'id':[1]}", NULL, 1, 0 },
		{ "{'id':null,'result':{}}", NULL, 1, 0 },
		{ "{'id':true,'result':{}}", NULL, 1, 0 },
		/* The tail starts inside a string: the members after it. */
		{ "xxx','result':{'t':'abc'},'id':8}", "8", 1, 0 },
		{ "\\'id\\': 8} def'},'id':4}", "4", 0, 0 },
		{ "id\\':1,\\'result\\':{}}'},'id':4}", "4", 0, 0 },
		/* A quote whose backslashes run back to the start: whether
		 * it is escaped cannot be told, so the scan stops there. */
		{ "\\'},'result':1,'id':4}", "4", 1, 0 },
		{ "\\\\'},'id':4}", "4", 0, 0 },
		/* Inside a nested value, and inside a scalar. */
		{ ":1}},'jsonrpc':'2.0','id':5}", "5", 0, 0 },
		{ "3456,'result':true,'id':6}", "6", 1, 0 },
		/* Not the end of an object: nothing. */
		{ "[{'id':1,'result':{}}]", NULL, 0, 0 },
		{ "{'id':1,'result':{}", NULL, 0, 0 },
		{ "Server v1.0 starting on stdio...", NULL, 0, 0 },
		{ "}", NULL, 0, 0 },
		{ "", NULL, 0, 0 },
		{ "{}", NULL, 0, 0 },
		/* Not JSON on the way back: what came after it still counts. */
		{ "{'result':1,,'id':7}", "7", 0, 0 },
		{ "{'result':{'a':1]]],'id':7}", "7", 0, 0 },
		{ "{'result' 1,'id':7}", "7", 0, 0 },
		{ "{'result':1,'id':7 8}", NULL, 0, 0 },
		{ "{1:'result','id':7}", "7", 0, 0 },
	};
	struct framer_peek	 pk;
	size_t			 i;
	const char		*got;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tail_of(cases[i].text, &pk);
		got = pk.id != NULL ? json_object_to_json_string_ext(pk.id,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) :
		    NULL;
		if (cases[i].id == NULL)
			ck_assert_msg(got == NULL, "%s: id %s", cases[i].text,
			    got);
		else
			ck_assert_msg(got != NULL && strcmp(got,
			    cases[i].id) == 0, "%s: id %s, not %s",
			    cases[i].text, got != NULL ? got : "none",
			    cases[i].id);
		ck_assert_msg(pk.answer == cases[i].answer &&
		    pk.method == cases[i].method, "%s: answer %d method %d",
		    cases[i].text, pk.answer, pk.method);
		json_object_put(pk.id);
	}
}
END_TEST

/*
 * A line the parse policy refuses is reported too, with the policy's
 * reason and the id its start shows even when the fault comes later (a
 * NaN in a result), so the request it answers, or the peer's request it
 * is, can be answered.  Banners are reported without an id; blank lines
 * are not reported at all.
 */
START_TEST(test_invalid_peek)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	struct peeks	 p = { .n = 0 };

	framer_init(&f, 1024, "test");
	framer_set_dropped(&f, peeks_cb, &p);
	feed_str(&f, in, &s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":"
	    "{\"v\":NaN}}\n"
	    "Server v1.0 starting on stdio...\n"
	    "  \r\n"
	    "{\"id\":\"r\",\"method\":\"x\",\"params\":{\"v\":-Infinity}}\n"
	    "{\"id\":18446744073709551616,\"result\":{\"v\":NaN}}\n"
	    "{\"id\":99}\n");
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(sink_id(&s, 0), 99);
	ck_assert_int_eq(p.n, 4);
	ck_assert_uint_eq(f.nonjson, 4);

	ck_assert_int_eq(p.drop[0], FRAMER_DROP_INVALID);
	ck_assert_str_eq(p.reason[0], "NaN is not JSON");
	ck_assert_ptr_nonnull(p.id[0]);
	ck_assert_int_eq(json_object_get_int(p.id[0]), 4);
	ck_assert(!p.method[0]);

	ck_assert_int_eq(p.drop[1], FRAMER_DROP_INVALID);
	ck_assert_ptr_nonnull(p.reason[1]);
	ck_assert_ptr_null(p.id[1]);
	ck_assert(!p.method[1]);

	ck_assert_str_eq(p.reason[2], "Infinity is not JSON");
	ck_assert_str_eq(json_object_get_string(p.id[2]), "r");
	ck_assert(p.method[2]);

	/* An id json-c would clamp to another number is no id. */
	ck_assert_str_eq(p.reason[3], "NaN is not JSON");
	ck_assert_ptr_null(p.id[3]);

	sink_clear(&s);
	peeks_clear(&p);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_nonjson_and_empty)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };

	framer_init(&f, 1024, "test");
	feed_str(&f, in, &s,
	    "Server v1.0 listening on stdio\n"
	    "\n"
	    "\r\n"
	    "{\"id\":1}\n"
	    "42\n"
	    "\"just a string\"\n"
	    "{\"id\":2} trailing\n"
	    "{\"id\":3}{\"id\":4}\n"
	    "{\"id\":5,}\n"
	    "   \n"
	    "{\"id\":6}\n");
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(sink_id(&s, 0), 1);
	ck_assert_int_eq(sink_id(&s, 1), 6);
	/* The banner, the scalars and the three broken objects; the blank
	 * lines are not counted at all. */
	ck_assert_uint_eq(f.nonjson, 6);
	ck_assert_uint_eq(f.oversized, 0);
	ck_assert_uint_eq(f.lines, 2);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_eof_unterminated)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };

	framer_init(&f, 1024, "test");
	feed_str(&f, in, &s, "{\"id\":1}\n{\"id\":2}");
	ck_assert_int_eq(s.n, 1);
	framer_eof(&f, in, sink_cb, &s);
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(sink_id(&s, 1), 2);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);

	/* A truncated value at EOF is not JSON. */
	feed_str(&f, in, &s, "{\"id\":3");
	framer_eof(&f, in, sink_cb, &s);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(f.nonjson, 1);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);

	/* Nor is an oversized tail delivered at EOF. */
	framer_init(&f, 8, "test");
	feed_str(&f, in, &s, "{\"id\":4,\"x\":1234567}");
	framer_eof(&f, in, sink_cb, &s);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(f.oversized, 1);
	ck_assert(!f.discarding);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

START_TEST(test_write_compact)
{
	const char	*pretty =
	    "{\n"
	    "  \"jsonrpc\": \"2.0\",\n"
	    "  \"id\": 7,\n"
	    "  \"result\": {\n"
	    "    \"text\": \"line one\\nline two\",\n"
	    "    \"url\": \"http://x/y\",\n"
	    "    \"list\": [ 1, 2 ]\n"
	    "  }\n"
	    "}";
	const char	*want = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":"
	    "{\"text\":\"line one\\nline two\",\"url\":\"http://x/y\","
	    "\"list\":[1,2]}}\n";
	struct framer	 f;
	struct evbuffer	*out = evbuffer_new();
	struct sink	 s = { .n = 0 };
	json_object	*msg, *back, *v;
	size_t		 len;
	char		*line;

	msg = json_tokener_parse(pretty);
	ck_assert_ptr_nonnull(msg);
	framer_write(out, msg);
	len = evbuffer_get_length(out);
	line = xline(out, len);
	ck_assert_str_eq(line, want);
	/* Exactly one newline: the terminator. */
	ck_assert_ptr_eq(strchr(line, '\n'), line + len - 1);
	free(line);

	/* And it reads back as the same value. */
	framer_init(&f, 1024, "test");
	framer_drain(&f, out, sink_cb, &s);
	ck_assert_int_eq(s.n, 1);
	back = s.msgs[0];
	ck_assert(json_object_equal(msg, back));
	ck_assert(json_object_object_get_ex(back, "result", &v));
	ck_assert(json_object_object_get_ex(v, "text", &v));
	ck_assert_str_eq(json_object_get_string(v), "line one\nline two");
	json_object_put(msg);
	sink_clear(&s);
	evbuffer_free(out);
}
END_TEST

/*
 * A line cut inside a surrogate pair must not garble the next line's
 * escapes (json-c 0.16 keeps the dangling half across a reset).  Found by
 * tests/fuzz/fuzz_framer.
 */
START_TEST(test_dangling_surrogate)
{
	const char	*data = "{\"s\":\"\\ud83d\n"
	    "{\"s\":\"\\u0041\\udc00\"}\n";
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	json_object	*v;

	framer_init(&f, 1024, "test");
	feed_str(&f, in, &s, data);
	ck_assert_int_eq(f.nonjson, 1);
	ck_assert_int_eq(s.n, 1);
	ck_assert(json_object_object_get_ex(s.msgs[0], "s", &v));
	/* "A", then the lone low surrogate as U+FFFD. */
	ck_assert_str_eq(json_object_get_string(v), "A\xef\xbf\xbd");
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

/*
 * What json-c in strict mode takes but is not JSON is skipped like any
 * other chatter: a strict client would drop it and wait for a timeout.
 */
START_TEST(test_not_quite_json)
{
	const char	*data =
	    "{\"id\":1,\"v\":NaN}\n"
	    "{\"id\":2,\"v\":Infinity}\n"
	    "{\"id\":3,\"v\":-Infinity}\n"
	    "{\"id\":4,\"v\":00}\n"
	    "{\"id\":5,\"v\":-01}\n"
	    "{\"id\":6,\"v\":\"a\tb\"}\n"
	    "{\"id\":7,\"v\":\"\xff\"}\n"
	    "{\"id\":8,\"v\":-0}\n"
	    "{\"id\":9,\"v\":1.}\n"
	    "{\"id\":10,\"v\":[0,1.5e400,\"\\t\"]}\n";
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };

	framer_init(&f, 1024, "test");
	feed_str(&f, in, &s, data);
	ck_assert_int_eq(f.nonjson, 9);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(sink_id(&s, 0), 10);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

/* Nesting up to JSONPARSE_MAX_DEPTH arrives; one level more does not. */
START_TEST(test_depth_limit)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct sink	 s = { .n = 0 };
	char		 line[2 * (JSONPARSE_MAX_DEPTH + 1) + 2];
	int		 depth, i;
	size_t		 k;

	framer_init(&f, 1024, "test");
	for (depth = JSONPARSE_MAX_DEPTH; depth <= JSONPARSE_MAX_DEPTH + 1;
	    depth++) {
		k = 0;
		for (i = 0; i < depth; i++)
			line[k++] = '[';
		for (i = 0; i < depth; i++)
			line[k++] = ']';
		line[k++] = '\n';
		feed(&f, in, &s, line, k);
	}
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(f.nonjson, 1);
	sink_clear(&s);
	evbuffer_free(in);
}
END_TEST

/*
 * What a framer makes of data cut at the given offsets (ascending, each
 * piece fed and drained, then EOF): the values delivered and the counters,
 * as text.  The caller frees it.
 */
static char *
split_run(const char *data, size_t len, const size_t *cuts, int ncuts)
{
	struct framer	 f;
	struct evbuffer	*in = evbuffer_new();
	struct evbuffer	*out = evbuffer_new();
	struct sink	 s = { .n = 0 };
	size_t		 at = 0, end;
	char		*text;
	int		 i;

	framer_init(&f, 40, "split");
	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : len;
		feed(&f, in, &s, data + at, end - at);
		at = end;
	}
	framer_eof(&f, in, sink_cb, &s);
	ck_assert_uint_eq(evbuffer_get_length(in), 0);
	for (i = 0; i < s.n; i++)
		evbuffer_add_printf(out, "%s\n",
		    json_object_to_json_string(s.msgs[i]));
	evbuffer_add_printf(out, "lines %llu oversized %llu nonjson %llu",
	    (unsigned long long)f.lines, (unsigned long long)f.oversized,
	    (unsigned long long)f.nonjson);
	text = xline(out, evbuffer_get_length(out));
	sink_clear(&s);
	evbuffer_free(out);
	evbuffer_free(in);
	return text;
}

/* Where the reads cut the bytes changes nothing: every split into two
 * and three pieces, and byte by byte, gives what one read gives. */
START_TEST(test_any_split)
{
	const char	*data =
	    "{\"id\":1}\n"
	    "\r\n"
	    "[{\"id\":2},{\"id\":3}]\r\n"
	    "banner: listening\n"
	    "{\"id\":4,\"s\":\"x y\"}\r"
	    "{\"id\":5,\"s\":\"far too long for the cap of forty\"}\n"
	    "\n\n"
	    "{\"id\":6,\"s\":\"a\\\"b\"}\r\r\n"
	    "{\"id\":7}";
	size_t		 len = strlen(data), cuts[2], i, j, *every;
	char		*whole, *got;

	whole = split_run(data, len, NULL, 0);
	ck_assert_str_eq(whole,
	    "{ \"id\": 1 }\n"
	    "[ { \"id\": 2 }, { \"id\": 3 } ]\n"
	    "{ \"id\": 4, \"s\": \"x y\" }\n"
	    "{ \"id\": 6, \"s\": \"a\\\"b\" }\n"
	    "{ \"id\": 7 }\n"
	    "lines 5 oversized 1 nonjson 1");
	for (i = 0; i <= len; i++) {
		for (j = i; j <= len; j++) {
			cuts[0] = i;
			cuts[1] = j;
			got = split_run(data, len, cuts, 2);
			ck_assert_msg(strcmp(got, whole) == 0,
			    "cut at %zu and %zu: %s", i, j, got);
			free(got);
		}
	}
	every = malloc(len * sizeof *every);
	ck_assert_ptr_nonnull(every);
	for (i = 0; i < len; i++)
		every[i] = i;
	got = split_run(data, len, every, (int)len);
	ck_assert_str_eq(got, whole);
	free(got);
	free(every);
	free(whole);
}
END_TEST

/* The framer remembers how far it searched a partial line, but only for
 * that buffer: a line in another one is searched from its start. */
START_TEST(test_other_buffer)
{
	struct framer	 f;
	struct evbuffer	*a = evbuffer_new(), *b = evbuffer_new();
	struct sink	 s = { .n = 0 };

	framer_init(&f, 1024, "test");
	feed_str(&f, a, &s, "{\"id\":1,\"s\":\"abc");
	ck_assert_int_eq(s.n, 0);
	feed_str(&f, b, &s, "{\"id\":2}\n{\"id\":3}\n");
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(sink_id(&s, 0), 2);
	ck_assert_int_eq(sink_id(&s, 1), 3);
	ck_assert_uint_eq(f.nonjson, 0);
	sink_clear(&s);
	evbuffer_free(b);
	evbuffer_free(a);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("framer");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_many_in_one_read);
	tcase_add_test(tc, test_crlf_and_partial);
	tcase_add_test(tc, test_oversized_across_chunks);
	tcase_add_test(tc, test_oversized_whole_line);
	tcase_add_test(tc, test_cr_only);
	tcase_add_test(tc, test_oversized_peek);
	tcase_add_test(tc, test_oversized_peek_tail);
	tcase_add_test(tc, test_oversized_early);
	tcase_add_test(tc, test_lone_surrogate_id);
	tcase_add_test(tc, test_peek_tail);
	tcase_add_test(tc, test_invalid_peek);
	tcase_add_test(tc, test_nonjson_and_empty);
	tcase_add_test(tc, test_eof_unterminated);
	tcase_add_test(tc, test_write_compact);
	tcase_add_test(tc, test_dangling_surrogate);
	tcase_add_test(tc, test_not_quite_json);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_any_split);
	tcase_add_test(tc, test_other_buffer);
	suite_add_tcase(s, tc);
	return s;
}
