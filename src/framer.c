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

static void
framer_oversized(struct framer *f, size_t len, int partial)
{
	f->oversized++;
	log_warnx("%s: discarding a line of %s%zu bytes (limit %zu)",
	    framer_tag(f), partial ? "more than " : "", len, f->max_line);
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
		framer_oversized(f, len, 0);
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
}

/*
 * Handles a partial line (no newline yet) at the end of `in`.  It stays
 * buffered unless it is already over the cap: then it is counted once and
 * dropped, and so is the rest of it as it arrives.  One byte of slack lets
 * a "\r" that belongs to the terminator wait for its "\n".
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
	if (len > f->max_line + 1) {
		framer_oversized(f, len, 1);
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
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1)
			break;
		len = (size_t)eol.pos;

		if (f->discarding) {
			/* The tail of a line already counted as oversized. */
			f->discarding = 0;
			evbuffer_drain(in, len + eol_len);
			continue;
		}
		if (len > f->max_line + 1) {
			/* Too long even with a "\r\n" end: skip the pullup. */
			framer_oversized(f, len, 0);
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
