/*
 * fuzz_framer.c: the child's NDJSON line framer on arbitrary bytes.
 *
 * Input: two bytes choose max_line, four seed the split points, the rest
 * is what the child wrote.  The bytes go through the framer twice, once
 * whole and once cut at random points (as pipe reads cut them); both runs
 * must deliver the same values and count the same rejects.  Also checked:
 * only objects and arrays come out, a partial line never holds more than
 * max_line bytes, what framer_write makes of a value is one line the
 * framer reads back as the same value, every dropped line (oversized or
 * not JSON) is reported once, as what it is (its peek survives any
 * bytes), and the values and the lines refused as not JSON are those of a
 * plain reference: each line parsed on its own, and checked against a
 * fresh tokener.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "framer.h"
#include "fuzz.h"
#include "jsonparse.h"
#include "log.h"
#include "upstream.h"

#define FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct result {
	struct evbuffer	*texts;		/* each value, serialised, one a line */
	uint64_t	 peeks;		/* oversized lines reported */
	uint64_t	 invalid;	/* lines reported as not JSON */
};

/* Each dropped line is reported once, with an id of the two kinds. */
static void
peek_cb(void *arg, const struct framer_peek *pk)
{
	struct result	*r = arg;

	if (pk->drop == FRAMER_DROP_INVALID) {
		r->invalid++;
		FUZZ_CHECK(pk->len <= pk->max_line && pk->len > 0 &&
		    pk->reason != NULL, "an invalid line of %zu bytes with "
		    "max_line %zu, reason %s", pk->len, pk->max_line,
		    pk->reason != NULL ? pk->reason : "none");
	} else {
		r->peeks++;
		FUZZ_CHECK(pk->len > pk->max_line && pk->reason == NULL,
		    "a peek at a line of %zu bytes with max_line %zu",
		    pk->len, pk->max_line);
	}
	FUZZ_CHECK(pk->id == NULL || json_object_is_type(pk->id,
	    json_type_int) || json_object_is_type(pk->id, json_type_string),
	    "an id that is neither a number nor a string");
}

static void
roundtrip_cb(void *arg, json_object *msg)
{
	json_object	**out = arg;

	FUZZ_CHECK(*out == NULL, "framer_write output read as two values");
	*out = msg;
}

/* framer_write gives one line that reads back as the same value. */
static void
check_roundtrip(json_object *msg, const char *text)
{
	struct evbuffer	*buf;
	struct framer	 f;
	json_object	*back = NULL;
	const char	*again;
	size_t		 len;
	unsigned char	*p;

	buf = evbuffer_new();
	framer_write(buf, msg);
	len = evbuffer_get_length(buf);
	p = evbuffer_pullup(buf, -1);
	FUZZ_CHECK(len > 0 && p[len - 1] == '\n' &&
	    memchr(p, '\n', len - 1) == NULL, "framer_write: not one line");
	framer_init(&f, len, "roundtrip");
	framer_drain(&f, buf, roundtrip_cb, &back);
	FUZZ_CHECK(back != NULL && evbuffer_get_length(buf) == 0,
	    "framer_write output not read back");
	again = json_object_to_json_string_ext(back, FLAGS);
	FUZZ_CHECK(strcmp(again, text) == 0, "roundtrip changed %s into %s",
	    text, again);
	json_object_put(back);
	evbuffer_free(buf);
}

static void
deliver_cb(void *arg, json_object *msg)
{
	struct result	*r = arg;
	const char	*text;
	enum json_type	 t;

	t = json_object_get_type(msg);
	FUZZ_CHECK(t == json_type_object || t == json_type_array,
	    "delivered a %s", json_type_to_name(t));
	text = json_object_to_json_string_ext(msg, FLAGS);
	evbuffer_add(r->texts, text, strlen(text));
	evbuffer_add(r->texts, "\n", 1);
	check_roundtrip(msg, text);
	json_object_put(msg);
}

/* text parsed by json-c alone, with a tokener of its own; NULL if not. */
static json_object *
fresh(const char *text, size_t n)
{
	struct json_tokener	*tok;
	json_object		*msg;

	tok = json_tokener_new_ex(JSONPARSE_MAX_DEPTH + 1);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	msg = json_tokener_parse_ex(tok, text, (int)n);
	if (json_tokener_get_error(tok) == json_tokener_continue)
		msg = json_tokener_parse_ex(tok, "", 1);
	json_tokener_free(tok);
	return msg;
}

/*
 * What the framer should deliver, worked out the simple way: split at each
 * "\n" and each "\r", skip blank and over-long lines, parse each line
 * as the parse policy says.  That value must be json-c's own, from a
 * tokener of its own (so no state kept across lines goes unseen), but for
 * the integers past 64 bits the policy keeps and json-c clamps: json-c
 * makes the same of the line and of the value written out.  Returns how
 * many lines are to be refused as not JSON.
 */
static uint64_t
reference(struct evbuffer *texts, const uint8_t *data, size_t size,
    size_t max_line)
{
	uint64_t	 invalid = 0;
	json_object	*msg, *raw, *again;
	const uint8_t	*line, *next;
	const char	*text;
	size_t		 n, i;
	int		 blank;

	for (line = data; line < data + size; line = next) {
		for (n = 0; line + n < data + size && line[n] != '\n' &&
		    line[n] != '\r'; n++)
			;
		next = line + n < data + size ? line + n + 1 : data + size;
		if (n > max_line)
			continue;
		for (blank = 1, i = 0; blank && i < n; i++)
			blank = line[i] == ' ' || line[i] == '\t';
		if (blank)
			continue;
		/* Which lines are JSON is the parse policy's to say (it has
		 * its own checks in fuzz_jsonrpc). */
		if ((msg = jsonparse_strict((const char *)line, n, NULL)) ==
		    NULL) {
			invalid++;
			continue;
		}
		if (json_object_is_type(msg, json_type_object) ||
		    json_object_is_type(msg, json_type_array)) {
			text = json_object_to_json_string_ext(msg, FLAGS);
			evbuffer_add(texts, text, strlen(text));
			evbuffer_add(texts, "\n", 1);
			raw = fresh((const char *)line, n);
			FUZZ_CHECK(raw != NULL,
			    "json-c refuses what the policy took");
			again = fresh(text, strlen(text));
			FUZZ_CHECK(again != NULL, "json-c refuses %s", text);
			FUZZ_CHECK(strcmp(json_object_to_json_string_ext(raw,
			    FLAGS), json_object_to_json_string_ext(again,
			    FLAGS)) == 0, "the policy's value is not json-c's: "
			    "%s", text);
			json_object_put(again);
			json_object_put(raw);
		} else
			invalid++;
		json_object_put(msg);
	}
	return invalid;
}

/* A small deterministic generator for the split points. */
static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
run(struct framer *f, struct result *r, const uint8_t *data, size_t size,
    uint32_t seed)
{
	struct evbuffer	*in = evbuffer_new();
	size_t		 off = 0, n;

	while (off < size) {
		if (seed == 0)
			n = size - off;
		else {
			n = 1 + next_rand(&seed) % 64;
			if (n > size - off)
				n = size - off;
		}
		evbuffer_add(in, data + off, n);
		off += n;
		framer_drain(f, in, deliver_cb, r);
		FUZZ_CHECK(evbuffer_get_length(in) <= f->max_line,
		    "%zu bytes held with max_line %zu",
		    evbuffer_get_length(in), f->max_line);
	}
	framer_eof(f, in, deliver_cb, r);
	FUZZ_CHECK(evbuffer_get_length(in) == 0, "bytes left after EOF");
	evbuffer_free(in);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_framer");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in;
	struct framer	 whole, cut;
	struct result	 a, b;
	struct evbuffer	*ref;
	size_t		 max_line, newlines = 0, i, alen;
	uint64_t	 invalid;
	uint32_t	 seed;
	unsigned	 v;

	fuzz_in_init(&in, data, size);
	v = fuzz_u16(&in);
	/* Mostly small caps, where the edges are; now and then the default. */
	max_line = (v & 0x8000) ? UPSTREAM_DEFAULT_MAX_MESSAGE : (v & 0x3ff);
	seed = (uint32_t)fuzz_u16(&in) << 16 | fuzz_u16(&in);
	seed |= 1;		/* xorshift needs a non-zero state */
	data = in.p;
	size = in.left;
	for (i = 0; i < size; i++)
		newlines += data[i] == '\n' || data[i] == '\r';

	a.texts = evbuffer_new();
	b.texts = evbuffer_new();
	a.peeks = b.peeks = a.invalid = b.invalid = 0;
	framer_init(&whole, max_line, "whole");
	framer_init(&cut, max_line, "cut");
	framer_set_dropped(&whole, peek_cb, &a);
	framer_set_dropped(&cut, peek_cb, &b);
	run(&whole, &a, data, size, 0);
	run(&cut, &b, data, size, seed);

	FUZZ_CHECK(whole.lines == cut.lines && whole.oversized == cut.oversized &&
	    whole.nonjson == cut.nonjson, "counters differ: whole %llu/%llu/%llu "
	    "cut %llu/%llu/%llu", (unsigned long long)whole.lines,
	    (unsigned long long)whole.oversized,
	    (unsigned long long)whole.nonjson, (unsigned long long)cut.lines,
	    (unsigned long long)cut.oversized, (unsigned long long)cut.nonjson);
	FUZZ_CHECK(a.peeks == whole.oversized && b.peeks == cut.oversized,
	    "oversized lines %llu, reported %llu",
	    (unsigned long long)whole.oversized, (unsigned long long)a.peeks);
	FUZZ_CHECK(a.invalid == whole.nonjson && b.invalid == cut.nonjson,
	    "lines not JSON %llu, reported %llu",
	    (unsigned long long)whole.nonjson, (unsigned long long)a.invalid);
	FUZZ_CHECK(whole.lines + whole.oversized + whole.nonjson <= newlines + 1,
	    "more lines than the input has");
	alen = evbuffer_get_length(a.texts);
	FUZZ_CHECK(alen == evbuffer_get_length(b.texts) &&
	    (alen == 0 || memcmp(evbuffer_pullup(a.texts, -1),
	    evbuffer_pullup(b.texts, -1), alen) == 0),
	    "the values delivered differ");
	ref = evbuffer_new();
	invalid = reference(ref, data, size, max_line);
	FUZZ_CHECK(invalid == whole.nonjson, "lines not JSON %llu, the "
	    "reference says %llu", (unsigned long long)whole.nonjson,
	    (unsigned long long)invalid);
	FUZZ_CHECK(alen == evbuffer_get_length(ref) &&
	    (alen == 0 || memcmp(evbuffer_pullup(a.texts, -1),
	    evbuffer_pullup(ref, -1), alen) == 0),
	    "the values delivered differ from line-by-line parsing: %.*s",
	    (int)(alen < 300 ? alen : 300), alen == 0 ? "" :
	    (const char *)evbuffer_pullup(a.texts, -1));
	evbuffer_free(ref);
	evbuffer_free(a.texts);
	evbuffer_free(b.texts);
	return 0;
}
