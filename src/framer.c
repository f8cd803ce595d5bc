/* SPDX-License-Identifier: ISC */
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
#include "rawjson.h"
#include "log.h"

/* How much of a rejected line goes into the log. */
#define FRAMER_LOG_EXCERPT	200
/* json_tokener_parse_ex takes an int length. */
#define FRAMER_MAX_LINE_LIMIT	((size_t)INT_MAX - 2)
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

/* ---- what a dropped line starts with, read forward ---- */

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
	if ((id = jsonparse_strict(p, len, NULL)) == NULL)
		return NULL;
	if (json_object_is_type(id, json_type_int))
		return id;
	/* A lone surrogate json-c has made U+FFFD: an error under that id
	 * would go to another request, or rewrite the id the policy
	 * refused.  p[0] and p[len - 1] are the quotes (the value was cut
	 * out as a string by the scan). */
	if (json_object_is_type(id, json_type_string) && len >= 2 &&
	    !jsonparse_lone_surrogate(p + 1, len - 2))
		return id;
	json_object_put(id);
	return NULL;
}

/* Notes a top-level member named by the key p[0..len); 1 if it is "id". */
static int
framer_peek_key(const char *p, size_t len, struct framer_peek *pk)
{
	if (len == 6 && memcmp(p, "method", 6) == 0)
		pk->method = 1;
	else if ((len == 6 && memcmp(p, "result", 6) == 0) ||
	    (len == 5 && memcmp(p, "error", 5) == 0))
		pk->answer = 1;
	return len == 2 && memcmp(p, "id", 2) == 0;
}

/* Stops at the first thing it cannot follow: the prefix ends, a batch,
 * not JSON. */
int
framer_peek_head(const char *p, size_t n, struct framer_peek *pk)
{
	size_t	i, key, keylen, v;
	int	isid;

	i = framer_skip_ws(p, 0, n);
	if (i >= n || p[i] != '{')
		return 0;
	i++;
	for (;;) {
		i = framer_skip_ws(p, i, n);
		if (i >= n || p[i] != '"')
			return 1;
		key = i + 1;
		if ((i = framer_skip_string(p, i, n)) >= n)
			return 1;
		keylen = i - 1 - key;
		i = framer_skip_ws(p, i, n);
		if (i >= n || p[i] != ':')
			return 1;
		isid = framer_peek_key(p + key, keylen, pk);
		v = framer_skip_ws(p, i + 1, n);
		if ((i = framer_skip_value(p, v, n)) >= n)
			return 1;
		if (isid) {
			json_object_put(pk->id);
			pk->id = framer_peek_id(p + v, i - v);
		}
		i = framer_skip_ws(p, i, n);
		if (i >= n || p[i] != ',')
			return 1;
		i++;
	}
}

/* ---- what the end of a line shows, read backward ---- */

/* The index just past the last non-blank byte of p[0..i). */
static size_t
framer_back_ws(const char *p, size_t i)
{
	while (i > 0 && (p[i - 1] == ' ' || p[i - 1] == '\t' ||
	    p[i - 1] == '\r' || p[i - 1] == '\n'))
		i--;
	return i;
}

/*
 * Whether the '"' at p[i] is escaped: an odd number of backslashes before
 * it.  -1 if they run back to the start of p, where what came before
 * cannot be seen.
 */
static int
framer_back_escaped(const char *p, size_t i)
{
	size_t	k = 0;

	while (k < i && p[i - 1 - k] == '\\')
		k++;
	if (k == i)
		return -1;
	return (int)(k % 2);
}

/*
 * The string whose closing quote is at p[close] (outside any string, so a
 * real quote): sets *open to its opening quote and returns 0, or -1 if it
 * starts before p.  Within a string every quote but the opening one is
 * escaped (JSON has no raw quote there), so the first unescaped one met
 * going back is it.
 */
static int
framer_back_string(const char *p, size_t close, size_t *open)
{
	size_t	j = close;
	int	e;

	while (j > 0) {
		if (p[--j] != '"')
			continue;
		if ((e = framer_back_escaped(p, j)) == -1)
			return -1;
		if (e == 0) {
			*open = j;
			return 0;
		}
	}
	return -1;
}

static int
framer_scalar_byte(char c)
{
	return c != '"' && c != ',' && c != ':' && c != '{' && c != '}' &&
	    c != '[' && c != ']' && c != ' ' && c != '\t' && c != '\r' &&
	    c != '\n';
}

/*
 * The value that ends just before p[*i] (a string, a scalar, or an object
 * or array with whatever it holds): sets *i to its first byte and returns
 * 0, or -1 if it starts before p or is not a value.
 */
static int
framer_back_value(const char *p, size_t *i)
{
	size_t	j = *i, depth = 0, open;

	if (j == 0)
		return -1;
	if (framer_scalar_byte(p[j - 1])) {
		while (j > 0 && framer_scalar_byte(p[j - 1]))
			j--;
		*i = j;
		return 0;
	}
	do {
		switch (p[--j]) {
		case '"':
			/* Outside a string a quote closes one. */
			if (framer_back_escaped(p, j) != 0 ||
			    framer_back_string(p, j, &open) == -1)
				return -1;
			j = open;
			break;
		case '}':
		case ']':
			depth++;
			break;
		case '{':
		case '[':
			if (depth == 0)
				return -1;	/* an opening with no value */
			depth--;
			break;
		case ',':
		case ':':
			if (depth == 0)
				return -1;
			break;
		}
	} while (depth > 0 && j > 0);
	if (depth > 0)
		return -1;
	*i = j;
	return 0;
}

void
framer_peek_tail(const char *p, size_t n, struct framer_peek *pk)
{
	size_t	i, v, vend, key;
	int	id_seen = 0;

	i = framer_back_ws(p, n);
	if (i == 0 || p[i - 1] != '}')
		return;
	i--;
	/* At depth 1, going back: value, ':', key, then ',' or the '{'. */
	for (;;) {
		i = framer_back_ws(p, i);
		if (i == 0 || p[i - 1] == '{')
			return;
		vend = v = i;
		if (framer_back_value(p, &v) == -1)
			return;
		i = framer_back_ws(p, v);
		if (i == 0 || p[i - 1] != ':')
			return;
		i = framer_back_ws(p, i - 1);
		if (i == 0 || p[i - 1] != '"' ||
		    framer_back_escaped(p, i - 1) != 0 ||
		    framer_back_string(p, i - 1, &key) == -1)
			return;
		/* Going back, the first "id" met is the line's last. */
		if (framer_peek_key(p + key + 1, i - 2 - key, pk) &&
		    !id_seen) {
			id_seen = 1;
			pk->id = framer_peek_id(p + v, vend - v);
		}
		i = framer_back_ws(p, key);
		if (i == 0 || p[i - 1] != ',')
			return;
		i--;
	}
}

/*
 * Tells whoever asked that a line of len bytes is dropped, and what its
 * two ends, head[0..hn) and tail[0..tn), show.  The tail counts only if
 * the head opens an object: a banner that ends in '}' is no answer.
 */
static void
framer_dropped(struct framer *f, const char *head, size_t hn,
    const char *tail, size_t tn, size_t len, enum framer_drop drop,
    const char *reason)
{
	struct framer_peek	 pk, end;

	if (f->on_dropped == NULL)
		return;
	memset(&pk, 0, sizeof pk);
	pk.drop = drop;
	pk.reason = reason == NULL && drop == FRAMER_DROP_INVALID ?
	    "not JSON" : reason;
	pk.len = len;
	pk.max_line = f->max_line;
	if (framer_peek_head(head, hn, &pk)) {
		memset(&end, 0, sizeof end);
		framer_peek_tail(tail, tn, &end);
		pk.method |= end.method;
		pk.answer |= end.answer;
		/* The end's id is the later one. */
		if (end.id != NULL) {
			json_object_put(pk.id);
			pk.id = end.id;
		}
	}
	f->on_dropped(f->dropped_arg, &pk);
	json_object_put(pk.id);
}

/* Reports a dropped line held whole at p[0..len). */
static void
framer_dropped_line(struct framer *f, const char *p, size_t len,
    enum framer_drop drop, const char *reason)
{
	size_t	n;

	n = len < FRAMER_PEEK_MAX ? len : FRAMER_PEEK_MAX;
	framer_dropped(f, p, n, p + len - n, n, len, drop, reason);
}

/*
 * The first FRAMER_PEEK_MAX bytes of the oversized line being discarded
 * are in: if they show an answer, its request hears of it now.
 */
static void
framer_discard_head(struct framer *f)
{
	struct framer_peek	 pk;

	if (f->on_dropped == NULL)
		return;
	memset(&pk, 0, sizeof pk);
	pk.drop = FRAMER_DROP_OVERSIZED;
	pk.early = 1;
	pk.max_line = f->max_line;
	if (framer_peek_head(f->head, f->headlen, &pk) && pk.id != NULL &&
	    pk.answer && !pk.method) {
		f->reported = 1;
		f->on_dropped(f->dropped_arg, &pk);
	}
	json_object_put(pk.id);
}

/*
 * The next len bytes of the oversized line being discarded, at the front
 * of in: its first and last FRAMER_PEEK_MAX bytes are kept, the rest is
 * drained unseen.
 */
static void
framer_discard_add(struct framer *f, struct evbuffer *in, size_t len)
{
	struct evbuffer_ptr	 pos;
	size_t			 n, keep;
	int			 head_done = 0;

	if (len == 0)
		return;
	if (f->headlen < FRAMER_PEEK_MAX) {
		n = FRAMER_PEEK_MAX - f->headlen;
		if (n > len)
			n = len;
		if (evbuffer_copyout(in, f->head + f->headlen, n) !=
		    (ev_ssize_t)n)
			fatalx("evbuffer_copyout");
		f->headlen += n;
		head_done = f->headlen == FRAMER_PEEK_MAX;
	}
	n = len < FRAMER_PEEK_MAX ? len : FRAMER_PEEK_MAX;
	keep = FRAMER_PEEK_MAX - n;
	if (keep > f->taillen)
		keep = f->taillen;
	memmove(f->tail, f->tail + f->taillen - keep, keep);
	if (evbuffer_ptr_set(in, &pos, len - n, EVBUFFER_PTR_SET) == -1 ||
	    evbuffer_copyout_from(in, &pos, f->tail + keep, n) !=
	    (ev_ssize_t)n)
		fatalx("evbuffer_copyout_from");
	f->taillen = keep + n;
	f->dlen += len;
	evbuffer_drain(in, len);
	/* Last, with in and f settled, as for a report at the line's end. */
	if (head_done)
		framer_discard_head(f);
}

/*
 * The first len bytes of in (partial: at least that many) are a line
 * over the cap: counted and logged now, then discarded as they come.
 */
static void
framer_discard_start(struct framer *f, struct evbuffer *in, size_t len,
    int partial)
{
	f->oversized++;
	log_warnx("%s: discarding a line of %s%zu bytes (limit %zu)",
	    framer_tag(f), partial ? "more than " : "", len, f->max_line);
	f->discarding = 1;
	f->reported = 0;
	f->dlen = f->headlen = f->taillen = 0;
	framer_discard_add(f, in, len);
}

/* The line being discarded has ended: now its two ends are known (and
 * it is reported, unless its start did that already). */
static void
framer_discard_end(struct framer *f)
{
	f->discarding = 0;
	if (f->reported)
		return;
	framer_dropped(f, f->head, f->headlen, f->tail, f->taillen, f->dlen,
	    FRAMER_DROP_OVERSIZED, NULL);
}

/* Parses one line of len bytes (no newline, within the cap) and
 * delivers it. */
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
	if (len == 0 || framer_blank(p, len))
		return;

	if (f->raw_answers && (msg = rawjson_answer(p, len)) != NULL) {
		f->lines++;
		cb(arg, msg);
		return;
	}
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
	framer_dropped_line(f, p, len, FRAMER_DROP_INVALID, cause);
}

/*
 * Handles a partial line (no line end yet) at the end of `in`.  It stays
 * buffered unless it is already over the cap: then it is counted once and
 * discarded, and so is the rest of it as it arrives.
 */
static void
framer_partial(struct framer *f, struct evbuffer *in)
{
	size_t	len;

	len = evbuffer_get_length(in);
	if (f->discarding)
		framer_discard_add(f, in, len);
	else if (len > f->max_line)
		framer_discard_start(f, in, len, 1);
}

/*
 * The first line end in `in`: its position (-1 if none) and *eol_len.
 * The search starts past what an earlier call saw of the partial line at
 * the front; that holds no line end, or the line would have gone, and
 * `in` has only grown at its end since.  So a line that comes in many
 * reads costs one search of its bytes, not one a read.
 */
static ev_ssize_t
framer_search(struct framer *f, struct evbuffer *in, size_t *eol_len)
{
	struct evbuffer_ptr	 start, eol;
	size_t			 scanned = f->scanned;

	if (f->scan_in != in || scanned > evbuffer_get_length(in))
		scanned = 0;
	f->scan_in = in;
	f->scanned = 0;
	if (scanned == 0)
		eol = evbuffer_search_eol(in, NULL, eol_len, EVBUFFER_EOL_ANY);
	else {
		if (evbuffer_ptr_set(in, &start, scanned,
		    EVBUFFER_PTR_SET) == -1)
			fatalx("evbuffer_ptr_set");
		eol = evbuffer_search_eol(in, &start, eol_len,
		    EVBUFFER_EOL_ANY);
	}
	return eol.pos;
}

void
framer_drain(struct framer *f, struct evbuffer *in, framer_cb cb, void *arg)
{
	ev_ssize_t		 pos;
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
		if ((pos = framer_search(f, in, &eol_len)) == -1)
			break;
		len = (size_t)pos;

		if (f->discarding || len > f->max_line) {
			/* The end of a line already over the cap, or a whole
			 * one too long: skip the pullup of all of it. */
			if (f->discarding)
				framer_discard_add(f, in, len);
			else
				framer_discard_start(f, in, len, 0);
			evbuffer_drain(in, eol_len);
			framer_discard_end(f);
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
	/* What is left (nothing, if it was discarded) holds no line end. */
	f->scan_in = in;
	f->scanned = evbuffer_get_length(in);
}

void
framer_eof(struct framer *f, struct evbuffer *in, framer_cb cb, void *arg)
{
	size_t			 len;
	unsigned char		*p;

	framer_drain(f, in, cb, arg);
	f->scanned = 0;		/* all of in goes below */

	/* What is left has no newline and is within the cap, or it ends
	 * the oversized line being discarded. */
	len = evbuffer_get_length(in);
	if (f->discarding) {
		framer_discard_add(f, in, len);
		framer_discard_end(f);
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

	/* The common message's members written directly, the same bytes
	 * (rawjson.c); else json-c's, owned by msg (cached there). */
	if ((s = rawjson_text(msg, &len)) == NULL &&
	    (s = json_object_to_json_string_length(msg,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    &len)) == NULL)
		fatalx("json_object_to_json_string_length");
	/* PLAIN escapes control characters in strings, so the line is one
	 * line whatever the value holds. */
	framer_write_text(out, s, len);
}

void
framer_write_text(struct evbuffer *out, const char *s, size_t len)
{
	if (evbuffer_add(out, s, len) == -1 || evbuffer_add(out, "\n", 1) == -1)
		fatalx("evbuffer_add");
}
