/* SPDX-License-Identifier: ISC */
/*
 * http_parse.c: HTTP/1.1 requests (RFC 9112) parsed strictly, with limits.
 *
 * The head (request line and header section) is read a line at a time:
 * a line that is whole in the input (its LF there and within the limit,
 * no CR but the one before that LF) is checked where it lies and its
 * fields copied into the header store; any other (cut across feeds, at a
 * limit, with a bare CR) goes a byte at a time through a line buffer,
 * which decides every error on the byte that shows it.  Both give the
 * same events, errors and byte counts.  Body bytes are copied in runs.
 * Every buffer is bounded by a limit of struct http_parse_limits and the
 * limit is checked on the byte that would cross it, so nothing is
 * buffered past a limit.
 *
 * Line ends.  In the head, CRLF ends a line and so does a bare LF
 * (RFC 9112 2.2 lets a recipient accept it; evhttp does, and clients that
 * send it keep working).  A CR not followed by LF is refused anywhere
 * (RFC 9112 2.2: a bare CR is invalid), which also keeps CR out of every
 * field value.  Inside a chunked body (chunk-size lines, the CRLF after
 * chunk data, trailers) only CRLF is accepted: 2.2's allowance is for the
 * start line and fields, and lenient chunk framing is where parsers in a
 * chain disagree about where a request ends.
 *
 * Refused as ambiguous framing (RFC 9112 6.3, 11.2), as today's http.c
 * refuses them after evhttp (http_framing_ok), but here before any body
 * is read: more than one Content-Length (equal values too), one that is
 * not all digits or does not fit, Content-Length with Transfer-Encoding,
 * Transfer-Encoding on HTTP/1.0, Transfer-Encoding other than a single
 * "chunked" (501), more than one Host, and no Host on HTTP/1.1.  Also
 * refused: a field name that is not a token (so whitespace before the
 * colon, or an empty name), obs-fold (a line starting with whitespace),
 * a control character (NUL, CR, DEL...; HTAB is fine) in a field value,
 * a request line that is not exactly "token SP target SP HTTP/d.d", a
 * version other than 1.x (505), a chunk size that is not plain hex (no
 * "0x", sign or whitespace, at most 16 digits).  A minor version above 1
 * is read as 1.1 (RFC 9110 2.5).  Empty lines before a request line are
 * skipped (RFC 9112 2.2), within the request line's limit.
 *
 * Policy that needs more than the framing (the Host's port, several
 * Origin headers, who may ask what) stays with the caller.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"
#include "xmalloc.h"

/* A chunk size has at most this many hex digits: 16 fit in 64 bits. */
#define HTTP_PARSE_MAX_CHUNK_DIGITS	16
/* The largest max_body taken: sizes stay far from wrapping a size_t. */
#define HTTP_PARSE_MAX_BODY_CLAMP	(SIZE_MAX / 64)

enum hp_state {
	HP_REQUEST_LINE,	/* the request line, and empty lines before */
	HP_HEADERS,		/* field lines up to the empty line */
	HP_HEAD,		/* HEAD given; the body's framing is next */
	HP_BODY,		/* Content-Length bytes */
	HP_CHUNK_SIZE,		/* hex digits */
	HP_CHUNK_BWS,		/* whitespace after them, before ';' */
	HP_CHUNK_EXT,		/* a chunk extension, dropped */
	HP_CHUNK_SIZE_LF,	/* the LF ending the chunk-size line */
	HP_CHUNK_DATA,
	HP_CHUNK_DATA_CR,	/* the CRLF after chunk data */
	HP_CHUNK_DATA_LF,
	HP_TRAILER,		/* trailer field lines, dropped */
	HP_DONE,
	HP_ERROR,
};

struct hp_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* A field line in the header store: offsets into hdrs, as hdrs moves. */
struct hp_field {
	size_t	 name;
	size_t	 value;
};

struct http_parse {
	struct http_parse_limits lim;
	enum hp_state	 state;
	int		 status;	/* of the error */
	const char	*cause;

	struct hp_buf	 line;		/* the head or trailer line being read */
	int		 cr;		/* the last byte was a CR */
	size_t		 rl_bytes;	/* request line bytes, empty lines too */
	size_t		 rl_spaces;	/* SPs in the request line so far */
	size_t		 hdr_bytes;	/* header section bytes */
	size_t		 consumed;

	struct hp_buf	 rl;		/* method NUL target NUL */
	size_t		 target;	/* offset of the target in rl */
	int		 minor;

	struct hp_buf	 hdrs;		/* field lines: name NUL, whitespace,
					   value NUL; ... */
	struct hp_field	*fields;
	size_t		 nfields;
	size_t		 fields_cap;

	/* What the header section says about framing and the connection. */
	size_t		 nlength;
	int		 bad_length;	/* not digits */
	int		 big_length;	/* does not fit */
	unsigned long long length;
	size_t		 nte;
	int		 te_chunked;
	size_t		 nhost;
	int		 conn_close;
	int		 conn_keep_alive;
	int		 expect;

	/* The body. */
	int		 chunked;
	struct hp_buf	 body;
	size_t		 left;		/* of the Content-Length or chunk */
	size_t		 chunk_digits;
	size_t		 meta;		/* chunk extension and trailer bytes */
};

/* Room for need bytes, doubling (so a body of many small chunks is not
 * copied over and over) but never past max when need fits in it. */
static void
hp_buf_reserve(struct hp_buf *b, size_t need, size_t max)
{
	size_t	cap;

	if (need <= b->cap)
		return;
	cap = b->cap == 0 ? 128 : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > max && need <= max)
		cap = max;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

static void
hp_buf_add(struct hp_buf *b, const void *p, size_t len)
{
	hp_buf_reserve(b, b->len + len + 1, SIZE_MAX);
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
}

/*
 * RFC 9110 5.6.2: tchar, ALPHA DIGIT and !#$%&'*+-.^_`|~, by table: every
 * byte of a method and of each field name is looked up (issue 20).
 */
static const unsigned char hp_tchars[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 10 */
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,	/* 20 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,	/* 30 */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 40 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,	/* 50 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 60 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,	/* 70 */
	/* 80-ff: none */
};

static int
hp_tchar(unsigned char c)
{
	return hp_tchars[c];
}

/* RFC 9110 5.5: field-vchar, SP and HTAB (obs-text included). */
static int
hp_value_char(unsigned char c)
{
	return c == '\t' || (c >= ' ' && c != 0x7f);
}

/*
 * 1 if none of the 8 bytes at s can be a control character: none below
 * SP, none DEL (bytes from 0x80 up are obs-text).  Exact in both
 * directions for "is there one" (the borrow trick tests a whole word);
 * a word with HTAB says 0 and is looked at byte by byte.
 */
#define HP_ONES		0x0101010101010101ULL
#define HP_HIGHS	0x8080808080808080ULL
static int
hp_value_word_ok(const char *s)
{
	uint64_t	w, d;

	memcpy(&w, s, sizeof w);
	d = w ^ (HP_ONES * 0x7f);
	return (((w - HP_ONES * 0x20) & ~w) | ((d - HP_ONES) & ~d)) &
	    HP_HIGHS ? 0 : 1;
}

static int
hp_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum http_parse_event
hp_fail(struct http_parse *p, int status, const char *cause)
{
	p->state = HP_ERROR;
	p->status = status;
	p->cause = cause;
	return HTTP_PARSE_ERROR;
}

struct http_parse *
http_parse_new(const struct http_parse_limits *lim)
{
	struct http_parse	*p;

	p = xcalloc(1, sizeof *p);
	p->lim = *lim;
	if (p->lim.max_body > HTTP_PARSE_MAX_BODY_CLAMP)
		p->lim.max_body = HTTP_PARSE_MAX_BODY_CLAMP;
	http_parse_reset(p);
	return p;
}

void
http_parse_free(struct http_parse *p)
{
	if (p == NULL)
		return;
	free(p->line.p);
	free(p->rl.p);
	free(p->hdrs.p);
	free(p->fields);
	free(p->body.p);
	free(p);
}

/* The buffers stay allocated for the next request: each is bounded by a
 * limit, so a connection never holds more than one request's worth. */
void
http_parse_reset(struct http_parse *p)
{
	struct hp_buf	line = p->line, rl = p->rl, hdrs = p->hdrs;
	struct hp_buf	body = p->body;
	struct hp_field	*fields = p->fields;
	size_t		 fields_cap = p->fields_cap;
	struct http_parse_limits lim = p->lim;

	memset(p, 0, sizeof *p);
	p->lim = lim;
	p->line = line;
	p->rl = rl;
	p->hdrs = hdrs;
	p->body = body;
	p->fields = fields;
	p->fields_cap = fields_cap;
	p->line.len = p->rl.len = p->hdrs.len = p->body.len = 0;
	p->state = HP_REQUEST_LINE;
	p->minor = 1;
}

/*
 * "token SP target SP HTTP/d.d", nothing more (RFC 9112 3), the len bytes
 * at s without their line end.  NULL once taken; else why not, *status
 * set and the parser left as it was.
 */
static const char *
hp_request_line(struct http_parse *p, const char *s, size_t len,
    int *status)
{
	const char	*sp1, *sp2, *v;
	size_t		 i, mlen, tlen;

	*status = 400;
	sp1 = memchr(s, ' ', len);
	if (sp1 == NULL || sp1 == s)
		return "malformed request line";
	mlen = (size_t)(sp1 - s);
	for (i = 0; i < mlen; i++) {
		if (!hp_tchar((unsigned char)s[i]))
			return "invalid method";
	}
	sp2 = memchr(sp1 + 1, ' ', len - mlen - 1);
	if (sp2 == NULL)
		return "no HTTP version";
	tlen = (size_t)(sp2 - sp1 - 1);
	if (tlen == 0)
		return "empty request target";
	for (i = 0; i < tlen; i++) {
		if ((unsigned char)sp1[1 + i] <= ' ' ||
		    (unsigned char)sp1[1 + i] >= 0x7f)
			return "invalid request target";
	}
	v = sp2 + 1;
	if (len - (size_t)(v - s) != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return "malformed HTTP version";
	if (v[5] != '1') {
		*status = 505;
		return "HTTP version not supported";
	}
	p->minor = v[7] == '0' ? 0 : 1;

	/* method NUL target NUL, in one piece. */
	hp_buf_reserve(&p->rl, mlen + 1 + tlen + 1, SIZE_MAX);
	memcpy(p->rl.p, s, mlen);
	p->rl.p[mlen] = '\0';
	p->target = mlen + 1;
	memcpy(p->rl.p + p->target, sp1 + 1, tlen);
	p->rl.len = p->target + tlen;
	p->rl.p[p->rl.len] = '\0';
	p->state = HP_HEADERS;
	return NULL;
}

/*
 * A field line "name: value" (RFC 9112 5): the name a token right before
 * the colon, the value without its surrounding whitespace and free of
 * control characters.  NULL if it is one, else why not.  The line is the
 * len bytes at s, and s[len] must be readable and no tchar (the line's
 * CR or LF in the input, or the line buffer's NUL): it ends the name.
 */
static const char *
hp_field_check(const char *s, size_t len, size_t *namelen, size_t *vstart,
    size_t *vend)
{
	const unsigned char	*u = (const unsigned char *)s, *q;
	size_t			 i, a, b, e;

	if (u[0] == ' ' || u[0] == '\t')
		return "obsolete line folding";
	/* The name runs to the first byte that is no tchar: the colon, or
	 * what is wrong with the line (a colon is no tchar, so none comes
	 * before that byte). */
	for (q = u; hp_tchar(*q); q++)
		;
	i = (size_t)(q - u);
	if (i == len || u[i] != ':') {
		if (memchr(u + i, ':', len - i) == NULL)
			return "field line without a colon";
		if (u[i] == ' ' || u[i] == '\t')
			return "whitespace in a field name";
		return "invalid character in a field name";
	}
	if (i == 0)
		return "empty field name";
	*namelen = i;
	a = i + 1;
	b = len;
	while (a < b && (u[a] == ' ' || u[a] == '\t'))
		a++;
	while (b > a && (u[b - 1] == ' ' || u[b - 1] == '\t'))
		b--;
	/* Eight bytes at a time; a word that may hold one (or an HTAB)
	 * byte by byte; the last few bytes as the value's last word. */
	i = a;
	while (b - i >= 8) {
		if (hp_value_word_ok(s + i)) {
			i += 8;
			continue;
		}
		for (e = i + 8; i < e; i++) {
			if (!hp_value_char(u[i]))
				return "control character in a field value";
		}
	}
	if (i < b && b - a >= 8 && hp_value_word_ok(s + b - 8))
		i = b;
	for (; i < b; i++) {
		if (!hp_value_char(u[i]))
			return "control character in a field value";
	}
	*vstart = a;
	*vend = b;
	return NULL;
}

/* Connection is a list of tokens (RFC 9110 7.6.1). */
static void
hp_connection(struct http_parse *p, const char *v)
{
	size_t	n;

	for (;;) {
		v += strspn(v, " \t,");
		if (*v == '\0')
			return;
		n = strcspn(v, " \t,");
		if (n == 5 && strncasecmp(v, "close", 5) == 0)
			p->conn_close = 1;
		else if (n == 10 && strncasecmp(v, "keep-alive", 10) == 0)
			p->conn_keep_alive = 1;
		v += n;
	}
}

/* Digits only, in one pass: not digits is bad_length, whatever their
 * size; digits past LLONG_MAX are big_length. */
static void
hp_content_length(struct http_parse *p, const char *v, size_t len)
{
	unsigned long long	n = 0;
	unsigned		d;
	size_t			i;
	int			big = 0;

	if (++p->nlength > 1)
		return;
	if (len == 0) {
		p->bad_length = 1;
		return;
	}
	for (i = 0; i < len; i++) {
		d = (unsigned)((unsigned char)v[i] - '0');
		if (d > 9) {
			p->bad_length = 1;
			return;
		}
		if (big || n > ((unsigned long long)LLONG_MAX - d) / 10)
			big = 1;
		else
			n = n * 10 + d;
	}
	if (big)
		p->big_length = 1;
	else
		p->length = n;
}

/*
 * Whether name, a token of len bytes, is lit (lower-case letters and
 * '-'), without case.  OR 0x20 turns a token's byte into a byte of lit
 * only when it is that byte in either case: the one other byte it would
 * turn into '-' is CR, no tchar.
 */
static int
hp_name_is(const char *name, const char *lit, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (((unsigned char)name[i] | 0x20) != (unsigned char)lit[i])
			return 0;
	}
	return 1;
}

/* The fields that decide framing and the connection's fate, told apart
 * by length and first letter before a byte more is compared. */
static void
hp_note_field(struct http_parse *p, const char *name, size_t namelen,
    const char *value, size_t valuelen)
{
	switch (namelen) {
	case 4:
		if (hp_name_is(name, "host", 4))
			p->nhost++;
		break;
	case 6:
		if (!hp_name_is(name, "expect", 6))
			break;
		if (strcasecmp(value, "100-continue") != 0)
			p->expect = HTTP_PARSE_EXPECT_OTHER;
		else if (p->expect == HTTP_PARSE_EXPECT_NONE && p->minor >= 1)
			p->expect = HTTP_PARSE_EXPECT_CONTINUE;
		break;
	case 10:
		if (hp_name_is(name, "connection", 10))
			hp_connection(p, value);
		break;
	case 14:
		if (hp_name_is(name, "content-length", 14))
			hp_content_length(p, value, valuelen);
		break;
	case 17:
		if (hp_name_is(name, "transfer-encoding", 17)) {
			p->nte++;
			p->te_chunked = strcasecmp(value, "chunked") == 0;
		}
		break;
	}
}

/*
 * A field line, the len bytes at s without their line end, into the
 * header store.  NULL once stored; else why not (a 400), and the parser
 * left as it was.
 */
static const char *
hp_header_line(struct http_parse *p, const char *s, size_t len)
{
	const char	*cause;
	size_t		 namelen, a, b;
	struct hp_field	*f;
	char		*d;

	cause = hp_field_check(s, len, &namelen, &a, &b);
	if (cause != NULL)
		return cause;
	if (p->nfields == p->fields_cap) {
		p->fields_cap = p->fields_cap == 0 ? 16 : p->fields_cap * 2;
		p->fields = xreallocarray(p->fields, p->fields_cap,
		    sizeof *p->fields);
	}
	f = &p->fields[p->nfields++];
	/* The line up to the value's end in one copy: a NUL on the colon
	 * ends the name, one after the value ends it. */
	hp_buf_reserve(&p->hdrs, p->hdrs.len + b + 1, SIZE_MAX);
	f->name = p->hdrs.len;
	f->value = f->name + a;
	d = p->hdrs.p + f->name;
	memcpy(d, s, b);
	d[namelen] = '\0';
	d[b] = '\0';
	p->hdrs.len += b + 1;
	hp_note_field(p, d, namelen, d + a, b - a);
	return NULL;
}

/* The empty line: is the framing one reading only? (http.c's
 * http_framing_ok asks the same, in the same order.) */
static enum http_parse_event
hp_head_end(struct http_parse *p)
{
	if (p->nlength > 1)
		return hp_fail(p, 400, "more than one Content-Length");
	if (p->bad_length)
		return hp_fail(p, 400, "Content-Length is not a number");
	if (p->nhost > 1)
		return hp_fail(p, 400, "more than one Host");
	if (p->nlength > 0 && p->nte > 0)
		return hp_fail(p, 400, "Content-Length with Transfer-Encoding");
	if (p->nte > 0 && p->minor == 0)
		return hp_fail(p, 400, "Transfer-Encoding on HTTP/1.0");
	if (p->nte > 1 || (p->nte == 1 && !p->te_chunked))
		return hp_fail(p, 501, "Transfer-Encoding other than chunked");
	if (p->nhost == 0 && p->minor >= 1)
		return hp_fail(p, 400, "Host header is required");
	if (p->big_length || p->length > p->lim.max_body)
		return hp_fail(p, 413, "body over the limit");
	p->chunked = p->nte > 0;
	p->state = HP_HEAD;
	return HTTP_PARSE_HEAD;
}

/* A complete head line in the line buffer, its line end dropped. */
static enum http_parse_event
hp_head_line(struct http_parse *p)
{
	const char	*cause;
	int		 status = 400;

	if (p->state == HP_REQUEST_LINE) {
		if (p->line.len == 0)
			return HTTP_PARSE_MORE;		/* an empty line first */
		cause = hp_request_line(p, p->line.p, p->line.len, &status);
	} else if (p->line.len == 0)
		return hp_head_end(p);
	else
		cause = hp_header_line(p, p->line.p, p->line.len);
	p->line.len = 0;
	return cause != NULL ? hp_fail(p, status, cause) : HTTP_PARSE_MORE;
}

static enum http_parse_event
hp_head_byte(struct http_parse *p, unsigned char c)
{
	if (p->state == HP_REQUEST_LINE) {
		if (++p->rl_bytes > p->lim.max_request_line)
			return hp_fail(p, 414, "request line too long");
	} else if (++p->hdr_bytes > p->lim.max_header_bytes)
		return hp_fail(p, 431, "headers too large");
	if (p->cr) {
		p->cr = 0;
		if (c != '\n')
			return hp_fail(p, 400, "CR without LF");
		return hp_head_line(p);
	}
	if (c == '\r') {
		p->cr = 1;
		return HTTP_PARSE_MORE;
	}
	if (c == '\n')
		return hp_head_line(p);
	if (p->state == HP_REQUEST_LINE) {
		/* A method is a token: refuse what is no HTTP (a TLS hello)
		 * on its first byte, not at the limit. */
		if (c == ' ')
			p->rl_spaces++;
		else if (p->rl_spaces == 0 && !hp_tchar(c))
			return hp_fail(p, 400, "invalid method");
	} else if (p->line.len == 0 && p->nfields >= p->lim.max_headers)
		return hp_fail(p, 431, "too many headers");
	hp_buf_add(&p->line, &c, 1);
	return HTTP_PARSE_MORE;
}

/* The bytes the line being read may still take under its limit (the
 * request line's, or the head's for a field line), and in *count the
 * counter they go to. */
static size_t
hp_line_room(struct http_parse *p, size_t **count)
{
	if (p->state == HP_REQUEST_LINE) {
		*count = &p->rl_bytes;
		return p->lim.max_request_line - p->rl_bytes;
	}
	*count = &p->hdr_bytes;
	return p->lim.max_header_bytes - p->hdr_bytes;
}

/*
 * The middle of a head line in one run: what hp_head_byte would do a byte
 * at a time there (append, count) up to a line end or the limit, which it
 * leaves to hp_head_byte.  Not at a line's start (the header count) nor in
 * the method (checked byte by byte).
 */
static size_t
hp_head_run(struct http_parse *p, const unsigned char *s, size_t avail)
{
	const unsigned char	*e;
	size_t			*count, room, n;

	if (p->cr || p->line.len == 0 ||
	    (p->state == HP_REQUEST_LINE && p->rl_spaces == 0))
		return 0;
	room = hp_line_room(p, &count);
	if (avail > room)
		avail = room;
	/* The line ends at the first CR or LF: two memchr, not a loop. */
	if ((e = memchr(s, '\n', avail)) != NULL)
		avail = (size_t)(e - s);
	if ((e = memchr(s, '\r', avail)) != NULL)
		avail = (size_t)(e - s);
	n = avail;
	hp_buf_add(&p->line, s, n);
	*count += n;
	return n;
}

/*
 * A whole head line at the start of avail bytes, taken where it lies:
 * what hp_head_byte would do with each of its bytes, without the copy
 * into the line buffer.  It must be whole: its LF among the bytes and
 * within the limit (so no limit can stop it), and no CR before it but
 * one right before the LF.  Returns the bytes used, *ev the event; or 0,
 * nothing done, for any other line, which hp_head_byte takes instead.
 *
 * A bare CR is refused on the byte after it, before any check at the
 * line end, so a line with one is left to the byte path.  Looking for one
 * costs a scan; no line that holds one passes the line checks (a method
 * is a token, a target has no control character, a field name is a
 * token, a field value has none), so it is looked for only when a check
 * fails, before that failure is made the error.
 */
static size_t
hp_head_fast(struct http_parse *p, const unsigned char *s, size_t avail,
    enum http_parse_event *ev)
{
	const unsigned char	*lf;
	const char		*cause;
	size_t			*count, room, n, end, i;
	int			 status = 400;

	if (avail == 0)
		return 0;	/* s may be a caller's NULL */
	room = hp_line_room(p, &count);
	if ((lf = memchr(s, '\n', avail < room ? avail : room)) == NULL)
		return 0;
	n = (size_t)(lf - s);
	end = n > 0 && s[n - 1] == '\r' ? n - 1 : n;	/* s[end]: CR or LF */
	if (end == 0) {
		*ev = p->state == HP_REQUEST_LINE ? HTTP_PARSE_MORE :
		    hp_head_end(p);
		*count += n + 1;
		return n + 1;
	}
	if (p->state == HP_REQUEST_LINE) {
		/* hp_head_byte checks a method a byte at a time, up to the
		 * first SP; s[end] is no tchar and stops the scan. */
		for (i = 0; hp_tchar(s[i]); i++)
			;
		if (i < end && s[i] != ' ') {
			if (s[i] == '\r')
				return 0;
			*ev = hp_fail(p, 400, "invalid method");
			*count += i + 1;
			return i + 1;
		}
		cause = hp_request_line(p, (const char *)s, end, &status);
	} else {
		/* hp_head_byte counts a field line on its first byte. */
		if (p->nfields >= p->lim.max_headers) {
			if (s[0] == '\r')
				return 0;
			*ev = hp_fail(p, 431, "too many headers");
			*count += 1;
			return 1;
		}
		cause = hp_header_line(p, (const char *)s, end);
	}
	if (cause != NULL) {
		if (memchr(s, '\r', end) != NULL)
			return 0;
		*ev = hp_fail(p, status, cause);
	} else
		*ev = HTTP_PARSE_MORE;
	*count += n + 1;
	return n + 1;
}

/* The body's framing, decided by the head. */
static void
hp_body_start(struct http_parse *p)
{
	if (p->chunked) {
		p->state = HP_CHUNK_SIZE;
		p->left = 0;
		p->chunk_digits = 0;
	} else if (p->nlength > 0 && p->length > 0) {
		p->left = (size_t)p->length;
		hp_buf_reserve(&p->body, p->left + 1, p->left + 1);
		p->state = HP_BODY;
	} else
		p->state = HP_DONE;
}

static enum http_parse_event
hp_meta_byte(struct http_parse *p)
{
	if (++p->meta > p->lim.max_chunk_meta)
		return hp_fail(p, 400, "chunk extensions or trailers too large");
	return HTTP_PARSE_MORE;
}

/* A trailer line: checked as a field line, then dropped. */
static enum http_parse_event
hp_trailer_byte(struct http_parse *p, unsigned char c)
{
	const char	*cause;
	size_t		 namelen, a, b;

	if (hp_meta_byte(p) == HTTP_PARSE_ERROR)
		return HTTP_PARSE_ERROR;
	if (p->cr) {
		p->cr = 0;
		if (c != '\n')
			return hp_fail(p, 400, "CR without LF");
		if (p->line.len == 0) {
			p->state = HP_DONE;
			return HTTP_PARSE_DONE;
		}
		cause = hp_field_check(p->line.p, p->line.len, &namelen, &a,
		    &b);
		if (cause != NULL)
			return hp_fail(p, 400, cause);
		p->line.len = 0;
		return HTTP_PARSE_MORE;
	}
	if (c == '\r')
		p->cr = 1;
	else if (c == '\n')
		return hp_fail(p, 400, "LF without CR in chunked framing");
	else
		hp_buf_add(&p->line, &c, 1);
	return HTTP_PARSE_MORE;
}

static enum http_parse_event
hp_chunk_byte(struct http_parse *p, unsigned char c)
{
	size_t	room;
	int	d;

	switch (p->state) {
	case HP_CHUNK_SIZE:
		d = hp_hex(c);
		if (d >= 0) {
			if (++p->chunk_digits > HTTP_PARSE_MAX_CHUNK_DIGITS)
				return hp_fail(p, 400, "chunk size too long");
			/* The room left under the limit bounds the size, and
			 * the limit is clamped (http_parse_new): no wrap. */
			room = p->lim.max_body - p->body.len;
			if (p->left > room / 16 ||
			    p->left * 16 + (size_t)d > room)
				return hp_fail(p, 413, "body over the limit");
			p->left = p->left * 16 + (size_t)d;
			return HTTP_PARSE_MORE;
		}
		if (p->chunk_digits == 0)
			return hp_fail(p, 400, "chunk size is not hex");
		if (c == '\r')
			p->state = HP_CHUNK_SIZE_LF;
		else if (c == ';' || c == ' ' || c == '\t') {
			p->state = c == ';' ? HP_CHUNK_EXT : HP_CHUNK_BWS;
			return hp_meta_byte(p);
		} else if (c == '\n')
			return hp_fail(p, 400, "LF without CR in chunked framing");
		else
			return hp_fail(p, 400, "chunk size is not hex");
		return HTTP_PARSE_MORE;
	case HP_CHUNK_BWS:
		if (c == ';')
			p->state = HP_CHUNK_EXT;
		else if (c != ' ' && c != '\t')
			return hp_fail(p, 400, "whitespace after a chunk size");
		return hp_meta_byte(p);
	case HP_CHUNK_EXT:
		if (c == '\r') {
			p->state = HP_CHUNK_SIZE_LF;
			return HTTP_PARSE_MORE;
		}
		if (c == '\n')
			return hp_fail(p, 400, "LF without CR in chunked framing");
		if (!hp_value_char(c))
			return hp_fail(p, 400,
			    "control character in a chunk extension");
		return hp_meta_byte(p);
	case HP_CHUNK_SIZE_LF:
		if (c != '\n')
			return hp_fail(p, 400, "CR without LF");
		if (p->left == 0) {
			p->state = HP_TRAILER;
			p->line.len = 0;
			p->cr = 0;
		} else {
			hp_buf_reserve(&p->body, p->body.len + p->left + 1,
			    p->lim.max_body + 1);
			p->state = HP_CHUNK_DATA;
		}
		return HTTP_PARSE_MORE;
	case HP_CHUNK_DATA_CR:
		if (c != '\r')
			return hp_fail(p, 400, "chunk data longer than its size");
		p->state = HP_CHUNK_DATA_LF;
		return HTTP_PARSE_MORE;
	case HP_CHUNK_DATA_LF:
		if (c != '\n')
			return hp_fail(p, 400, "CR without LF");
		p->state = HP_CHUNK_SIZE;
		p->left = 0;
		p->chunk_digits = 0;
		return HTTP_PARSE_MORE;
	case HP_TRAILER:
		return hp_trailer_byte(p, c);
	default:
		return hp_fail(p, 500, "parser state");	/* not reached */
	}
}

enum http_parse_event
http_parse_feed(struct http_parse *p, const void *buf, size_t len,
    size_t *used)
{
	const unsigned char	*s = buf;
	size_t			 off = 0, n;
	enum http_parse_event	 ev = HTTP_PARSE_MORE;

	while (ev == HTTP_PARSE_MORE) {
		switch (p->state) {
		case HP_DONE:
			ev = HTTP_PARSE_DONE;
			break;
		case HP_ERROR:
			ev = HTTP_PARSE_ERROR;
			break;
		case HP_HEAD:
			hp_body_start(p);
			break;
		case HP_BODY:
		case HP_CHUNK_DATA:
			if (off == len)
				goto out;
			n = len - off < p->left ? len - off : p->left;
			hp_buf_add(&p->body, s + off, n);
			off += n;
			p->left -= n;
			if (p->left == 0)
				p->state = p->state == HP_BODY ? HP_DONE :
				    HP_CHUNK_DATA_CR;
			break;
		case HP_REQUEST_LINE:
		case HP_HEADERS:
			/* Whole lines while there are, then the byte path
			 * (which takes the line at a line's start too). */
			if (!p->cr && p->line.len == 0) {
				while ((n = hp_head_fast(p, s + off, len - off,
				    &ev)) > 0) {
					off += n;
					if (ev != HTTP_PARSE_MORE)
						break;
				}
				if (ev != HTTP_PARSE_MORE)
					break;
			}
			off += hp_head_run(p, s + off, len - off);
			if (off == len)
				goto out;
			ev = hp_head_byte(p, s[off++]);
			break;
		default:
			if (off == len)
				goto out;
			ev = hp_chunk_byte(p, s[off++]);
			break;
		}
	}
out:
	p->consumed += off;
	*used = off;
	return ev;
}

const char *
http_parse_method(const struct http_parse *p)
{
	return p->rl.len > 0 ? p->rl.p : "";
}

const char *
http_parse_target(const struct http_parse *p)
{
	return p->rl.len > 0 ? p->rl.p + p->target : "";
}

int
http_parse_minor(const struct http_parse *p)
{
	return p->minor;
}

size_t
http_parse_nheaders(const struct http_parse *p)
{
	return p->nfields;
}

int
http_parse_header_at(const struct http_parse *p, size_t i, const char **name,
    const char **value)
{
	if (i >= p->nfields)
		return -1;
	*name = p->hdrs.p + p->fields[i].name;
	*value = p->hdrs.p + p->fields[i].value;
	return 0;
}

const char *
http_parse_header(const struct http_parse *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nfields; i++) {
		if (strcasecmp(p->hdrs.p + p->fields[i].name, name) == 0)
			return p->hdrs.p + p->fields[i].value;
	}
	return NULL;
}

int
http_parse_keep_alive(const struct http_parse *p)
{
	if (p->state == HP_ERROR || p->conn_close)
		return 0;
	return p->minor >= 1 || p->conn_keep_alive;
}

int
http_parse_expect(const struct http_parse *p)
{
	return p->expect;
}

int
http_parse_chunked(const struct http_parse *p)
{
	return p->chunked;
}

long long
http_parse_content_length(const struct http_parse *p)
{
	return p->nlength == 1 && !p->bad_length && !p->big_length ?
	    (long long)p->length : -1;
}

const char *
http_parse_body(const struct http_parse *p, size_t *len)
{
	*len = p->body.len;
	return p->body.len > 0 ? p->body.p : "";
}

size_t
http_parse_consumed(const struct http_parse *p)
{
	return p->consumed;
}

int
http_parse_status(const struct http_parse *p)
{
	return p->state == HP_ERROR ? p->status : 0;
}

const char *
http_parse_cause(const struct http_parse *p)
{
	return p->state == HP_ERROR ? p->cause : NULL;
}
