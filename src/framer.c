/*
 * framer.c: newline-delimited JSON, one value a line.
 *
 * The evbuffer belongs to the caller (usually a bufferevent's input); the
 * framer only drains what it has consumed and keeps a partial line there.
 * Each parsed value is handed to the callback, which then owns it.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "framer.h"
#include "jsonparse.h"
#include "log.h"

/* How much of a rejected line goes into the log. */
#define FRAMER_LOG_EXCERPT	200
/* json_tokener_parse_ex takes an int length. */
#define FRAMER_MAX_LINE_LIMIT	((size_t)INT_MAX - 2)
/* How much of an oversized line is read for its "id": JSON-RPC answers
 * name it before (or just after) a small result, and this is all the
 * framer pulls up of a line it is about to drop. */
#define FRAMER_PEEK_MAX		4096
/* Longest "id" value taken; ids are short, anything longer is no id. */
#define FRAMER_PEEK_ID_MAX	256

static const char *
framer_tag(const struct framer *f)
{
	return f->tag != NULL ? f->tag : "peer";
}

void
framer_init(struct framer *f, size_t max_line, const char *tag)
{
	memset(f, 0, sizeof *f);
	f->max_line = max_line;
	if (f->max_line > FRAMER_MAX_LINE_LIMIT)
		f->max_line = FRAMER_MAX_LINE_LIMIT;
	f->tag = tag;
}

static int
framer_blank(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	}
	return 1;
}

void
framer_set_dropped(struct framer *f, framer_dropped_cb cb, void *arg)
{
	f->on_dropped = cb;
	f->dropped_arg = arg;
}

/* ---- what a dropped line starts with ---- */

static size_t
framer_skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	return i;
}

/* Just past the string whose quote is at p[i]; n if it goes on past n. */
static size_t
framer_skip_string(const char *p, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '"')
			return i + 1;
	}
	return n;
}

/*
 * Just past the value that starts at p[i]; n if it goes on past n.  Only
 * strings and brackets are followed: a value that is not JSON will fail
 * the scan a little later, which costs nothing but the id.
 */
static size_t
framer_skip_value(const char *p, size_t i, size_t n)
{
	size_t	depth = 0;

	while (i < n) {
		switch (p[i]) {
		case '"':
			i = framer_skip_string(p, i, n);
			if (depth == 0)
				return i;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return i;	/* the end of a scalar */
			if (--depth == 0)
				return i + 1;
			break;
		case ',':
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			if (depth == 0)
				return i;
			break;
		}
		i++;
	}
	return n;
}

/* The id whose text is p[0..len), if it is a number or a string. */
static json_object *
framer_peek_id(const char *p, size_t len)
{
	json_object	*id;

	if (len == 0 || len > FRAMER_PEEK_ID_MAX)
		return NULL;
	/* The policy's parse: an id json-c would clamp (past 64 bits) is
	 * no id, rather than another request's. */
	id = jsonparse_strict(p, len, NULL);
	if (id != NULL && !json_object_is_type(id, json_type_int) &&
	    !json_object_is_type(id, json_type_string)) {
		json_object_put(id);
		id = NULL;
	}
	return id;
}

/*
 * Walks the members of the top-level object in p[0..n), the start of a
 * line, noting "id" and "method"; stops at the first thing it cannot
 * follow (the prefix ends, a batch, not JSON).
 */
static void
framer_peek(const char *p, size_t n, struct framer_peek *pk)
{
	size_t	i, key, keylen, v;

	i = framer_skip_ws(p, 0, n);
	if (i >= n || p[i] != '{')
		return;
	i++;
	for (;;) {
		i = framer_skip_ws(p, i, n);
		if (i >= n || p[i] != '"')
			return;
		key = i + 1;
		if ((i = framer_skip_string(p, i, n)) >= n)
			return;
		keylen = i - 1 - key;
		i = framer_skip_ws(p, i, n);
		if (i >= n || p[i] != ':')
			return;
		if (keylen == 6 && memcmp(p + key, "method", 6) == 0)
			pk->method = 1;
		v = framer_skip_ws(p, i + 1, n);
		if ((i = framer_skip_value(p, v, n)) >= n)
			return;
		if (keylen == 2 && memcmp(p + key, "id", 2) == 0 &&
		    pk->id == NULL)
			pk->id = framer_peek_id(p + v, i - v);
		i = framer_skip_ws(p, i, n);
		if (i >= n || p[i] != ',')
			return;
		i++;
	}
}

/*
 * Tells whoever asked that a line is dropped, and what its start shows.
 * The line (len bytes so far) starts at p, or at the front of in when p
 * is NULL.
 */
static void
framer_dropped(struct framer *f, struct evbuffer *in, const char *p,
    size_t len, enum framer_drop drop, const char *reason)
{
	struct framer_peek	 pk;
	size_t			 n;

	if (f->on_dropped == NULL)
		return;
	memset(&pk, 0, sizeof pk);
	pk.drop = drop;
	pk.reason = reason == NULL && drop == FRAMER_DROP_INVALID ?
	    "not JSON" : reason;
	pk.len = len;
	pk.max_line = f->max_line;
	n = len < FRAMER_PEEK_MAX ? len : FRAMER_PEEK_MAX;
	if (p == NULL &&
	    (p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
		fatalx("evbuffer_pullup");
	framer_peek(p, n, &pk);
	f->on_dropped(f->dropped_arg, &pk);
	json_object_put(pk.id);
}

/*
 * A line of len bytes (partial: at least that many) is over the cap:
 * counted, logged and, before the caller drops it, reported.  The line
 * starts at p, or at the front of in when p is NULL.
 */
static void
framer_oversized(struct framer *f, struct evbuffer *in, const char *p,
    size_t len, int partial)
{
	f->oversized++;
	log_warnx("%s: discarding a line of %s%zu bytes (limit %zu)",
	    framer_tag(f), partial ? "more than " : "", len, f->max_line);
	framer_dropped(f, in, p, len, FRAMER_DROP_OVERSIZED, NULL);
}

/* Parses one line of len bytes (no newline) and delivers it. */
static void
framer_line(struct framer *f, const char *p, size_t len, framer_cb cb,
    void *arg)
{
	json_object		*msg;
	enum json_type		 type;
	const char		*cause = "not an object or array";
	size_t			 shown;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > f->max_line) {
		framer_oversized(f, NULL, p, len, 0);
		return;
	}
	if (len == 0 || framer_blank(p, len))
		return;

	if ((msg = jsonparse_strict(p, len, &cause)) != NULL) {
		type = json_object_get_type(msg);
		if (type == json_type_object || type == json_type_array) {
			f->lines++;
			cb(arg, msg);
			return;
		}
		json_object_put(msg);
	}

	/* Banners and other chatter: worth a look, not worth dying for. */
	f->nonjson++;
	shown = len > FRAMER_LOG_EXCERPT ? FRAMER_LOG_EXCERPT : len;
	log_warnx("%s: skipping non-JSON line (%zu bytes, %s): %.*s%s",
	    framer_tag(f), len, cause, (int)shown, p,
	    shown < len ? "..." : "");
	framer_dropped(f, NULL, p, len, FRAMER_DROP_INVALID, cause);
}

/*
 * Handles a partial line (no line end yet) at the end of `in`.  It stays
 * buffered unless it is already over the cap: then it is counted once and
 * dropped, and so is the rest of it as it arrives.
 */
static void
framer_partial(struct framer *f, struct evbuffer *in)
{
	size_t	len;

	len = evbuffer_get_length(in);
	if (f->discarding) {
		evbuffer_drain(in, len);
		return;
	}
	if (len > f->max_line) {
		framer_oversized(f, in, NULL, len, 1);
		f->discarding = 1;
		evbuffer_drain(in, len);
	}
}

void
framer_drain(struct framer *f, struct evbuffer *in, framer_cb cb, void *arg)
{
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len;
	unsigned char		*p;

	for (;;) {
		/*
		 * A line ends at "\n", "\r\n" or a lone "\r" (a server that
		 * ends lines the old Mac way would otherwise have each answer
		 * held until the cap drops it).  Raw CR cannot occur inside a
		 * JSON string, and the blank lines _ANY merges are skipped
		 * anyway; a "\r\n" split across two reads leaves a blank line.
		 */
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_ANY);
		if (eol.pos == -1)
			break;
		len = (size_t)eol.pos;

		if (f->discarding) {
			/* The tail of a line already counted as oversized. */
			f->discarding = 0;
			evbuffer_drain(in, len + eol_len);
			continue;
		}
		if (len > f->max_line) {
			/* Too long: skip the pullup of all of it. */
			framer_oversized(f, in, NULL, len, 0);
			evbuffer_drain(in, len + eol_len);
			continue;
		}

		/* Contiguous view of the line in place; no copy if it fits
		 * one chain, which is the usual case. */
		p = evbuffer_pullup(in, (ev_ssize_t)(len + eol_len));
		if (p == NULL)
			fatalx("evbuffer_pullup");
		framer_line(f, (const char *)p, len, cb, arg);
		evbuffer_drain(in, len + eol_len);
	}
	framer_partial(f, in);
}

void
framer_eof(struct framer *f, struct evbuffer *in, framer_cb cb, void *arg)
{
	size_t			 len;
	unsigned char		*p;

	framer_drain(f, in, cb, arg);

	/* What is left has no newline and is within the cap (or is the
	 * tail of an oversized line, already counted). */
	len = evbuffer_get_length(in);
	if (f->discarding) {
		f->discarding = 0;
		evbuffer_drain(in, len);
		return;
	}
	if (len == 0)
		return;
	if ((p = evbuffer_pullup(in, -1)) == NULL)
		fatalx("evbuffer_pullup");
	framer_line(f, (const char *)p, len, cb, arg);
	evbuffer_drain(in, len);
}

void
framer_write(struct evbuffer *out, json_object *msg)
{
	const char	*s;
	size_t		 len;

	/* The string is owned by msg (json-c caches it there). */
	s = json_object_to_json_string_length(msg,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		fatalx("json_object_to_json_string_length");
	/* PLAIN escapes control characters in strings, so the line is one
	 * line whatever the value holds. */
	if (evbuffer_add(out, s, len) == -1 || evbuffer_add(out, "\n", 1) == -1)
		fatalx("evbuffer_add");
}
