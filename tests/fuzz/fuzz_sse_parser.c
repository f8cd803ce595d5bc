/* SPDX-License-Identifier: ISC */
/*
 * fuzz_sse_parser.c: client mode's event-stream parser on arbitrary bytes.
 *
 * Input: two bytes choose max_event, four seed the chunk sizes, the rest
 * is the response body.  The body is parsed twice, whole and in random
 * chunks (as the network cuts it, CR and LF apart included): both parses
 * must give the same events, the same last id, retry and counters.  Every
 * event must respect the caps: data within max_event and NUL-terminated,
 * the id within SSE_PARSER_MAX_ID.  A reset in the middle must forget the
 * partial event but keep the last id.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "fuzz.h"
#include "log.h"
#include "sse_parser.h"

struct result {
	struct evbuffer	*events;	/* type, id, data, length-prefixed */
	size_t		 max_event;
};

static void
put_field(struct evbuffer *b, const char *p, size_t len)
{
	uint32_t	n = (uint32_t)len;

	evbuffer_add(b, &n, sizeof n);
	evbuffer_add(b, p, len);
}

static void
event_cb(void *arg, const struct sse_event *ev)
{
	struct result	*r = arg;
	size_t		 idlen;

	FUZZ_CHECK(ev->type != NULL && ev->data != NULL && ev->id != NULL,
	    "event with a NULL field");
	FUZZ_CHECK(ev->len <= r->max_event, "%zu bytes of data, cap %zu",
	    ev->len, r->max_event);
	FUZZ_CHECK(ev->data[ev->len] == '\0', "data not NUL-terminated");
	idlen = strlen(ev->id);
	FUZZ_CHECK(idlen <= SSE_PARSER_MAX_ID, "id of %zu bytes", idlen);
	FUZZ_CHECK(memchr(ev->type, '\n', strlen(ev->type)) == NULL &&
	    memchr(ev->type, '\r', strlen(ev->type)) == NULL,
	    "line break in the event type");
	put_field(r->events, ev->type, strlen(ev->type));
	put_field(r->events, ev->id, idlen);
	put_field(r->events, ev->data, ev->len);
}

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static struct sse_parser *
run(struct result *r, const uint8_t *data, size_t size, uint32_t seed)
{
	struct sse_parser	*p;
	size_t			 off = 0, n;

	p = sse_parser_new(r->max_event, event_cb, r);
	while (off < size) {
		if (seed == 0)
			n = size - off;
		else {
			n = 1 + next_rand(&seed) % 32;
			if (n > size - off)
				n = size - off;
		}
		sse_parser_feed(p, (const char *)data + off, n);
		off += n;
	}
	return p;
}

static int
same(struct evbuffer *a, struct evbuffer *b)
{
	size_t	len = evbuffer_get_length(a);

	return len == evbuffer_get_length(b) && (len == 0 ||
	    memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), len) == 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_sse_parser");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in;
	struct result		 a, b;
	struct sse_parser	*pa, *pb;
	uint32_t		 seed;
	size_t			 max_event;
	char			*id;
	unsigned		 v;
	uint64_t		 events;

	fuzz_in_init(&in, data, size);
	v = fuzz_u16(&in);
	max_event = (v & 0x8000) ? 4u * 1024 * 1024 : (v & 0x1ff);
	seed = ((uint32_t)fuzz_u16(&in) << 16 | fuzz_u16(&in)) | 1;
	data = in.p;
	size = in.left;

	a.events = evbuffer_new();
	b.events = evbuffer_new();
	a.max_event = b.max_event = max_event;
	pa = run(&a, data, size, 0);
	pb = run(&b, data, size, seed);

	FUZZ_CHECK(same(a.events, b.events), "events differ with chunking");
	FUZZ_CHECK(sse_parser_events(pa) == sse_parser_events(pb) &&
	    sse_parser_rejected(pa) == sse_parser_rejected(pb),
	    "counters differ with chunking");
	FUZZ_CHECK(sse_parser_has_id(pa) == sse_parser_has_id(pb) &&
	    strcmp(sse_parser_last_id(pa), sse_parser_last_id(pb)) == 0,
	    "last id differs with chunking");
	FUZZ_CHECK(sse_parser_retry(pa) == sse_parser_retry(pb),
	    "retry differs with chunking");
	FUZZ_CHECK(sse_parser_retry(pa) >= -1, "negative retry");

	/* A reset drops the partial event, keeps the id; a blank line after
	 * it delivers nothing. */
	id = strdup(sse_parser_last_id(pb));
	events = sse_parser_events(pb);
	sse_parser_reset(pb);
	FUZZ_CHECK(strcmp(id, sse_parser_last_id(pb)) == 0, "reset lost the id");
	sse_parser_feed(pb, "\n", 1);
	FUZZ_CHECK(sse_parser_events(pb) == events,
	    "a partial event survived the reset");
	/* And the parser still works. */
	sse_parser_feed(pb, "data: x\n\n", 9);
	FUZZ_CHECK(max_event < 2 || sse_parser_events(pb) == events + 1,
	    "no event after the reset");
	free(id);

	sse_parser_free(pa);
	sse_parser_free(pb);
	evbuffer_free(a.events);
	evbuffer_free(b.events);
	return 0;
}
