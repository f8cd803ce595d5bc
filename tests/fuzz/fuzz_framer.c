/* SPDX-License-Identifier: ISC */
/*
 * fuzz_framer.c: the child's NDJSON line framer on arbitrary bytes.
 *
 * Input: two bytes choose max_line, four seed the split points, the rest
 * is what the child wrote.  The bytes go through the framer twice, once
 * whole and once cut at random points (as pipe reads cut them); both runs
 * must deliver the same values and count the same rejects.  Also checked:
 * only objects and arrays come out, a partial line never holds more than
 * max_line bytes, what framer_write makes of a value is one line the
 * framer reads back as the same value, and the values and the lines
 * refused as not JSON are those of a plain reference: each line parsed on
 * its own, and checked against a fresh tokener.  Every dropped line
 * (oversized or not JSON) is reported once, as what it is, and the same
 * way however it was cut (its first and last FRAMER_PEEK_MAX bytes are all
 * that count): early, with no length, if it is oversized and its first
 * FRAMER_PEEK_MAX bytes show an id and a result or error but no method;
 * otherwise when it ends, with its length.  What the report says of the
 * line's top level (id, method, result or error) is true of it when it is
 * JSON, and is all of it when the line fits FRAMER_PEEK_MAX.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "framer.h"
#include "fuzz.h"
#include "jsonparse.h"
#include "log.h"
#include "upstream.h"

#define FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A dropped line as reported. */
struct drop {
	enum framer_drop kind;
	size_t		 len;
	json_object	*id;		/* owned */
	int		 method;
	int		 answer;
	int		 early;
};

struct result {
	struct evbuffer	*texts;		/* each value, serialised, one a line */
	uint64_t	 peeks;		/* oversized lines reported */
	uint64_t	 invalid;	/* lines reported as not JSON */
	struct drop	*drops;		/* every report, in order */
	size_t		 ndrops;
	size_t		 cap;
};

/* Each dropped line is reported once, with an id of the two kinds. */
static void
peek_cb(void *arg, const struct framer_peek *pk)
{
	struct result	*r = arg;
	struct drop	*d;

	if (r->ndrops == r->cap) {
		r->cap = r->cap == 0 ? 16 : r->cap * 2;
		r->drops = realloc(r->drops, r->cap * sizeof *r->drops);
		FUZZ_CHECK(r->drops != NULL, "out of memory");
	}
	d = &r->drops[r->ndrops++];
	d->kind = pk->drop;
	d->len = pk->len;
	d->id = json_object_get(pk->id);
	d->method = pk->method;
	d->answer = pk->answer;
	d->early = pk->early;

	if (pk->early) {
		/* Only an answer's start, which shows its id, is worth the
		 * hurry; its length is not known yet. */
		r->peeks++;
		FUZZ_CHECK(pk->drop == FRAMER_DROP_OVERSIZED && pk->len == 0 &&
		    pk->id != NULL && pk->answer && !pk->method,
		    "an early report: drop %d, %zu bytes, id %p, method %d, "
		    "answer %d", pk->drop, pk->len, (void *)pk->id,
		    pk->method, pk->answer);
	} else if (pk->drop == FRAMER_DROP_INVALID) {
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

static int
same_id(json_object *a, json_object *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return json_object_equal(a, b);
}

/*
 * The backward read alone, of line[0..n), a JSON object with these
 * members: from its start it sees them all; from any later byte (inside a
 * string, a number, a nested value) what it sees is true, and the first
 * "id" met going back is the line's last, the one json-c keeps.
 */
static void
check_tail(const uint8_t *line, size_t n, int method, int answer,
    json_object *id)
{
	struct framer_peek	 pk;
	size_t			 k, off;

	for (k = 0; k < 10; k++) {
		off = k < 8 ? n * k / 8 : k - 7;
		if (off >= n)
			continue;
		memset(&pk, 0, sizeof pk);
		framer_peek_tail((const char *)line + off, n - off, &pk);
		FUZZ_CHECK((!pk.method || method) && (!pk.answer || answer) &&
		    (off > 0 || (pk.method == method && pk.answer == answer)),
		    "from byte %zu of %zu: method %d answer %d, the line has "
		    "%d %d: %.*s", off, n, pk.method, pk.answer, method,
		    answer, (int)(n < 300 ? n : 300), (const char *)line);
		FUZZ_CHECK(pk.id == NULL || same_id(pk.id, id),
		    "from byte %zu: id %s, the line's is %s: %.*s", off,
		    json_object_to_json_string_ext(pk.id, FLAGS),
		    json_object_to_json_string_ext(id, FLAGS),
		    (int)(n < 300 ? n : 300), (const char *)line);
		FUZZ_CHECK(off > 0 || !json_object_is_type(id,
		    json_type_int) || same_id(pk.id, id), "integer id %s not "
		    "seen from the start: %.*s",
		    json_object_to_json_string_ext(id, FLAGS),
		    (int)(n < 300 ? n : 300), (const char *)line);
		json_object_put(pk.id);
	}
}

/*
 * What a report says of line[0..n) is true of it: each member it names is
 * a member of the top-level object, and the id its last "id" (as json-c
 * keeps it).  When the line fits FRAMER_PEEK_MAX it is all there is to
 * see: every member, and an integer id.  Only for a line that is JSON and
 * has no \u escape (a key spelt "\u0069d" is "id" to json-c, and not to
 * a look at the raw bytes).
 */
static void
check_drop(const struct drop *d, const uint8_t *line, size_t n)
{
	json_object	*msg, *id = NULL;
	int		 method, answer, whole;
	size_t		 i;

	for (i = 0; i + 1 < n; i++) {
		if (line[i] == '\\' && line[i + 1] == 'u')
			return;
	}
	if ((msg = jsonparse_strict((const char *)line, n, NULL)) == NULL)
		return;
	if (!json_object_is_type(msg, json_type_object)) {
		FUZZ_CHECK(d->id == NULL && !d->method && !d->answer,
		    "members reported of a line that is no object");
		json_object_put(msg);
		return;
	}
	method = json_object_object_get_ex(msg, "method", NULL);
	answer = json_object_object_get_ex(msg, "result", NULL) ||
	    json_object_object_get_ex(msg, "error", NULL);
	(void)json_object_object_get_ex(msg, "id", &id);
	whole = n <= FRAMER_PEEK_MAX;
	FUZZ_CHECK((!d->method || method) && (!d->answer || answer),
	    "reported method %d answer %d, the line has %d %d: %.*s",
	    d->method, d->answer, method, answer, (int)(n < 300 ? n : 300),
	    (const char *)line);
	FUZZ_CHECK(!whole || (d->method == method && d->answer == answer),
	    "reported method %d answer %d of a line that has %d %d: %.*s",
	    d->method, d->answer, method, answer, (int)n, (const char *)line);
	/* A longer line may hide a second "id" between its ends. */
	FUZZ_CHECK(d->id == NULL || (id != NULL && (!whole ||
	    same_id(d->id, id))), "reported id %s, the line's is %s: %.*s",
	    json_object_to_json_string_ext(d->id, FLAGS),
	    id != NULL ? json_object_to_json_string_ext(id, FLAGS) : "none",
	    (int)(n < 300 ? n : 300), (const char *)line);
	FUZZ_CHECK(!whole || !json_object_is_type(id, json_type_int) ||
	    same_id(d->id, id), "integer id %s not reported: %.*s",
	    json_object_to_json_string_ext(id, FLAGS), (int)n,
	    (const char *)line);
	check_tail(line, n, method, answer, id);
	json_object_put(msg);
}

/*
 * Whether the line[0..n), dropped as kind, is to be reported early: it is
 * oversized, and its first FRAMER_PEEK_MAX bytes are all in before its
 * end and show an answer by its id.
 */
static int
early_drop(const uint8_t *line, size_t n, enum framer_drop kind)
{
	struct framer_peek	 pk;
	int			 early;

	if (kind != FRAMER_DROP_OVERSIZED || n < FRAMER_PEEK_MAX)
		return 0;
	memset(&pk, 0, sizeof pk);
	early = framer_peek_head((const char *)line, FRAMER_PEEK_MAX, &pk) &&
	    pk.id != NULL && pk.answer && !pk.method;
	json_object_put(pk.id);
	return early;
}

/* The next report, which must be of line[0..n) dropped as kind. */
static const struct drop *
next_drop(const struct result *r, size_t *k, enum framer_drop kind,
    const uint8_t *line, size_t n)
{
	const struct drop	*d;
	int			 early;

	FUZZ_CHECK(*k < r->ndrops, "a dropped line of %zu bytes not "
	    "reported", n);
	d = &r->drops[(*k)++];
	early = early_drop(line, n, kind);
	FUZZ_CHECK(d->kind == kind && d->early == early &&
	    d->len == (early ? 0 : n), "dropped a line of %zu bytes as %d, "
	    "early %d; reported %zu bytes as %d, early %d", n, kind, early,
	    d->len, d->kind, d->early);
	return d;
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
 * many lines are to be refused as not JSON.  Each line dropped (over-long
 * or refused) must be the next one r reports, and what it says of it true.
 */
static uint64_t
reference(struct evbuffer *texts, const uint8_t *data, size_t size,
    size_t max_line, const struct result *r)
{
	uint64_t	 invalid = 0;
	json_object	*msg, *raw, *again;
	const uint8_t	*line, *next;
	const char	*text;
	size_t		 n, i, k = 0;
	int		 blank;

	for (line = data; line < data + size; line = next) {
		for (n = 0; line + n < data + size && line[n] != '\n' &&
		    line[n] != '\r'; n++)
			;
		next = line + n < data + size ? line + n + 1 : data + size;
		if (n > max_line) {
			check_drop(next_drop(r, &k, FRAMER_DROP_OVERSIZED,
			    line, n), line, n);
			continue;
		}
		for (blank = 1, i = 0; blank && i < n; i++)
			blank = line[i] == ' ' || line[i] == '\t';
		if (blank)
			continue;
		/* Which lines are JSON is the parse policy's to say (it has
		 * its own checks in fuzz_jsonrpc). */
		if ((msg = jsonparse_strict((const char *)line, n, NULL)) ==
		    NULL) {
			invalid++;
			check_drop(next_drop(r, &k, FRAMER_DROP_INVALID,
			    line, n), line, n);
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
		} else {
			invalid++;
			check_drop(next_drop(r, &k, FRAMER_DROP_INVALID,
			    line, n), line, n);
		}
		json_object_put(msg);
	}
	FUZZ_CHECK(k == r->ndrops, "%zu lines dropped, %zu reported", k,
	    r->ndrops);
	return invalid;
}

/* However the input was cut, the reports are the same. */
static void
same_drops(const struct result *a, const struct result *b)
{
	size_t	i;

	FUZZ_CHECK(a->ndrops == b->ndrops, "%zu reports whole, %zu cut",
	    a->ndrops, b->ndrops);
	for (i = 0; i < a->ndrops; i++) {
		FUZZ_CHECK(a->drops[i].kind == b->drops[i].kind &&
		    a->drops[i].len == b->drops[i].len &&
		    a->drops[i].method == b->drops[i].method &&
		    a->drops[i].answer == b->drops[i].answer &&
		    a->drops[i].early == b->drops[i].early &&
		    same_id(a->drops[i].id, b->drops[i].id),
		    "report %zu differs when cut: %zu/%zu bytes, id %s/%s", i,
		    a->drops[i].len, b->drops[i].len,
		    json_object_to_json_string_ext(a->drops[i].id, FLAGS),
		    json_object_to_json_string_ext(b->drops[i].id, FLAGS));
	}
}

static void
result_free(struct result *r)
{
	size_t	i;

	for (i = 0; i < r->ndrops; i++)
		json_object_put(r->drops[i].id);
	free(r->drops);
	evbuffer_free(r->texts);
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

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.texts = evbuffer_new();
	b.texts = evbuffer_new();
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
	same_drops(&a, &b);
	ref = evbuffer_new();
	invalid = reference(ref, data, size, max_line, &a);
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
	result_free(&a);
	result_free(&b);
	return 0;
}
