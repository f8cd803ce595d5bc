/* SPDX-License-Identifier: ISC */
/*
 * check_http_parse.c: the HTTP/1.1 request parser (http_parse.c): what it
 * takes, what it refuses and with which status, its limits, pipelining,
 * and that the way the stream is cut never changes the result.
 *
 * Each case of the table is fed whole, one byte at a time and in random
 * slices (seeded, so a failure repeats); the three transcripts of events
 * must be equal, and the whole one must show the expected outcome.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checktest.h"
#include "http_parse.h"

/* Random cuts per case, and the longest slice. */
#define SPLIT_SEEDS	24
#define SPLIT_MAX	17

static const struct http_parse_limits limits = {
	.max_request_line = 256,
	.max_header_bytes = 1024,
	.max_headers = 16,
	.max_body = 64,
	.max_chunk_meta = 64,
};

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
put_bytes(FILE *f, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] < ' ' || (unsigned char)p[i] > '~' ||
		    p[i] == '\\')
			fprintf(f, "\\x%02x", (unsigned char)p[i]);
		else
			fputc(p[i], f);
	}
}

static void
put_event(FILE *f, struct http_parse *p, enum http_parse_event ev)
{
	const char	*name, *value, *body;
	size_t		 i, len;

	switch (ev) {
	case HTTP_PARSE_HEAD:
		fprintf(f, "HEAD %s %s 1.%d keep=%d expect=%d chunked=%d "
		    "cl=%lld\n", http_parse_method(p), http_parse_target(p),
		    http_parse_minor(p), http_parse_keep_alive(p),
		    http_parse_expect(p), http_parse_chunked(p),
		    http_parse_content_length(p));
		for (i = 0; http_parse_header_at(p, i, &name, &value) == 0;
		    i++) {
			fprintf(f, "  %s: ", name);
			put_bytes(f, value, strlen(value));
			fputc('\n', f);
		}
		break;
	case HTTP_PARSE_DONE:
		body = http_parse_body(p, &len);
		fprintf(f, "DONE consumed=%zu body=", http_parse_consumed(p));
		put_bytes(f, body, len);
		fputc('\n', f);
		ck_assert_int_eq(body[len], '\0');
		ck_assert_uint_le(len, limits.max_body);
		break;
	case HTTP_PARSE_ERROR:
		fprintf(f, "ERROR %d %s consumed=%zu\n", http_parse_status(p),
		    http_parse_cause(p), http_parse_consumed(p));
		break;
	case HTTP_PARSE_MORE:
		break;
	}
}

/*
 * Feeds the stream in slices (seed 0: whole, or the first cut bytes and
 * then the rest; 1: a byte at a time; else random slices) and writes down
 * every event.  A DONE request is followed by a reset, as a server would,
 * until an error or the end.
 */
static char *
transcript_cut(const char *in, size_t len, uint32_t seed, size_t cut)
{
	struct http_parse	*p;
	enum http_parse_event	 ev = HTTP_PARSE_MORE;
	FILE			*f;
	char			*out = NULL;
	size_t			 outlen, off = 0, n, used;

	f = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(f);
	p = http_parse_new(&limits);
	while (ev != HTTP_PARSE_ERROR) {
		if (seed == 0 && off < cut)
			n = cut - off;
		else if (seed == 0)
			n = len - off;
		else if (seed == 1)
			n = len - off > 0;
		else
			n = 1 + next_rand(&seed) % SPLIT_MAX;
		if (n > len - off)
			n = len - off;
		/* Events until this slice is used up (MORE).  Not
		 * ck_assert per byte: each of those writes to Check's log,
		 * and a loaded machine makes that slow enough to time out. */
		for (;;) {
			ev = http_parse_feed(p, in + off, n, &used);
			if (used > n)
				ck_abort_msg("used %zu of %zu", used, n);
			off += used;
			n -= used;
			put_event(f, p, ev);
			if (ev == HTTP_PARSE_DONE)
				http_parse_reset(p);
			else if (ev != HTTP_PARSE_HEAD)
				break;
		}
		if (ev == HTTP_PARSE_MORE) {
			if (n != 0)
				ck_abort_msg("MORE with %zu bytes left", n);
			if (off == len)
				break;
		}
	}
	fprintf(f, "END at %zu\n", off);
	fclose(f);
	http_parse_free(p);
	return out;
}

static char *
transcript(const char *in, size_t len, uint32_t seed)
{
	return transcript_cut(in, len, seed, 0);
}

struct hp_case {
	const char	*what;
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	int		 status;	/* of the error, 0 if none */
	int		 ndone;		/* requests complete */
	const char	*shows;		/* in the transcript, or NULL */
};

#define H	"Host: a\r\n"
#define POST	"POST /mcp HTTP/1.1\r\n" H
#define CHUNKED	POST "Transfer-Encoding: chunked\r\n\r\n"
#define GET	"GET /mcp HTTP/1.1\r\n" H "\r\n"
#define NEXT	"GET /next HTTP/1.1\r\n" H "\r\n"

static const struct hp_case cases[] = {
	/* Taken. */
	{ "GET", GET, 0, 0, 1, "HEAD GET /mcp 1.1 keep=1 expect=0 chunked=0 "
	    "cl=-1\n  Host: a\nDONE consumed=30 body=\n" },
	{ "bare LF ends a head line", "GET / HTTP/1.1\nHost: a\n\n", 0, 0, 1,
	    "HEAD GET / 1.1" },
	{ "CRLF and LF mixed", "GET / HTTP/1.1\r\nHost: a\n\r\n", 0, 0, 1,
	    NULL },
	{ "empty lines before the request line", "\r\n\n" GET, 0, 0, 1,
	    "DONE consumed=33" },
	{ "HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 0, 0, 1,
	    "HEAD GET / 1.0 keep=0" },
	{ "HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive"
	    "\r\n\r\n", 0, 0, 1, "keep=1" },
	{ "Connection: close", "GET / HTTP/1.1\r\n" H "Connection: x, Close"
	    "\r\n\r\n", 0, 0, 1, "keep=0" },
	{ "a minor version above 1 is 1.1", "GET / HTTP/1.7\r\n" H "\r\n", 0,
	    0, 1, "HEAD GET / 1.1" },
	{ "Content-Length body", POST "Content-Length: 5\r\n\r\nhello", 0, 0,
	    1, "cl=5\n  Host: a\n  Content-Length: 5\nDONE consumed=55 "
	    "body=hello\n" },
	{ "Content-Length: 0", POST "Content-Length: 0\r\n\r\n", 0, 0, 1,
	    "body=\n" },
	{ "Content-Length: 007", POST "Content-Length: 007\r\n\r\n1234567",
	    0, 0, 1, "body=1234567\n" },
	{ "body at the limit", POST "Content-Length: 64\r\n\r\n"
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    0, 0, 1, NULL },
	{ "chunked, extensions and trailers dropped", CHUNKED "5\r\nhello\r\n"
	    "6;a=1;b=\"x y\"\r\n world\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n"
	    "\r\n", 0, 0, 1, "chunked=1 cl=-1\n  Host: a\n  Transfer-Encoding: "
	    "chunked\nDONE consumed=120 body=hello world0123456789\n" },
	{ "chunked: whitespace before a ';'", CHUNKED "5 \t;x\r\nhello\r\n0"
	    "\r\n\r\n", 0, 0, 1, "body=hello\n" },
	{ "chunked: upper and lower hex, leading zeros", CHUNKED "0a\r\n"
	    "0123456789\r\n00B\r\n0123456789a\r\n000\r\n\r\n", 0, 0, 1,
	    "body=01234567890123456789a\n" },
	{ "chunked: 64 bytes in many chunks", CHUNKED "20\r\n"
	    "01234567890123456789012345678901\r\n1f\r\n"
	    "0123456789012345678901234567890\r\n1\r\nx\r\n0\r\n\r\n", 0, 0, 1,
	    NULL },
	{ "Transfer-Encoding: Chunked", POST "Transfer-Encoding:  Chunked "
	    "\r\n\r\n0\r\n\r\n", 0, 0, 1, "chunked=1" },
	{ "pipelined", GET POST "Content-Length: 2\r\n\r\nhi" NEXT, 0, 0, 3,
	    "DONE consumed=30 body=\nHEAD POST /mcp" },
	{ "pipelined after a chunked body", CHUNKED "1\r\nx\r\n0\r\n\r\n" NEXT,
	    0, 0, 2, "HEAD GET /next" },
	{ "a partial request waits", "GET / HTTP/1.1\r\nHost: a\r\n", 0, 0,
	    0, "END at 25" },
	{ "Expect: 100-continue", POST "Expect: 100-Continue\r\n"
	    "Content-Length: 1\r\n\r\nx", 0, 0, 1, "expect=1" },
	{ "Expect on HTTP/1.0 is ignored", "POST / HTTP/1.0\r\nExpect: "
	    "100-continue\r\nContent-Length: 1\r\n\r\nx", 0, 0, 1, "expect=0" },
	{ "Expect: something else", "GET / HTTP/1.1\r\n" H "Expect: x\r\n"
	    "\r\n", 0, 0, 1, "expect=2" },
	{ "value whitespace trimmed, inner tab kept", "GET / HTTP/1.1\r\n" H
	    "X-Note: \t a\tb \t\r\nX-E:\r\n\r\n", 0, 0, 1,
	    "  X-Note: a\\x09b\n  X-E: \n" },
	{ "obs-text in a value", "GET / HTTP/1.1\r\n" H "X-N: caf\xc3\xa9\r\n"
	    "\r\n", 0, 0, 1, "X-N: caf\\xc3\\xa9" },
	{ "token characters in names", "GET / HTTP/1.1\r\n" H
	    "!#$%&'*+-.^_`|~09az: 1\r\n\r\n", 0, 0, 1, NULL },
	{ "origin-form, absolute-form, asterisk", "OPTIONS * HTTP/1.1\r\n" H
	    "\r\nGET http://a/b?c=%20 HTTP/1.1\r\n" H "\r\n", 0, 0, 2,
	    "HEAD GET http://a/b?c=%20 1.1" },

	/* The leniencies evhttp showed, which this parser refuses. */
	{ "evhttp: NUL in a value", "GET / HTTP/1.1\r\n" H "X-A: a\0b\r\n"
	    "\r\n", 39, 400, 0, "control character in a field value" },
	{ "evhttp: chunk size 0xa1", CHUNKED "0xa1\r\n", 0, 400, 0,
	    "chunk size is not hex" },
	{ "evhttp: chunk size +a1", CHUNKED "+a1\r\n", 0, 400, 0,
	    "chunk size is not hex" },
	{ "evhttp: obs-fold", "GET / HTTP/1.1\r\n" H "X-A: a\r\n b\r\n\r\n",
	    0, 400, 0, "obsolete line folding" },
	{ "evhttp: two equal Content-Length", POST "Content-Length: 0\r\n"
	    "Content-Length: 0\r\n\r\n" NEXT, 0, 400, 0,
	    "more than one Content-Length" },
	{ "evhttp: Content-Length and Transfer-Encoding", POST
	    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	    NEXT, 0, 400, 0, "Content-Length with Transfer-Encoding" },

	/* Framing (tests/http-security.py refuses the same today). */
	{ "two different Content-Length", POST "Content-Length: 0\r\n"
	    "Content-Length: 34\r\n\r\n" NEXT, 0, 400, 0, NULL },
	{ "Transfer-Encoding then Content-Length", POST "Transfer-Encoding: "
	    "chunked\r\nContent-Length: 5\r\n\r\n", 0, 400, 0,
	    "Content-Length with Transfer-Encoding" },
	{ "Content-Length +0", POST "Content-Length: +0\r\n\r\n", 0, 400, 0,
	    "not a number" },
	{ "Content-Length -1", POST "Content-Length: -1\r\n\r\n", 0, 400, 0,
	    "not a number" },
	{ "Content-Length 0x10", POST "Content-Length: 0x10\r\n\r\n", 0, 400,
	    0, "not a number" },
	{ "Content-Length list", POST "Content-Length: 1, 1\r\n\r\n", 0, 400,
	    0, "not a number" },
	{ "Content-Length empty", POST "Content-Length:\r\n\r\n", 0, 400, 0,
	    "not a number" },
	{ "Content-Length overflows", POST "Content-Length: "
	    "99999999999999999999999\r\n\r\n", 0, 413, 0, NULL },
	{ "space before the colon", POST "Content-Length : 0\r\n\r\n", 0, 400,
	    0, "whitespace in a field name" },
	{ "Host : is no Host", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 0, 400,
	    0, "whitespace in a field name" },
	{ "tab before the colon", "GET / HTTP/1.1\r\n" H "X-A\t: 1\r\n\r\n",
	    0, 400, 0, "whitespace in a field name" },
	{ "space in a name", "GET / HTTP/1.1\r\n" H "X Forwarded: 1\r\n\r\n",
	    0, 400, 0, "whitespace in a field name" },
	{ "empty name", "GET / HTTP/1.1\r\n" H ": 1\r\n\r\n", 0, 400, 0,
	    "empty field name" },
	{ "no colon", "GET / HTTP/1.1\r\n" H "X-A\r\n\r\n", 0, 400, 0,
	    "without a colon" },
	{ "non-token name", "GET / HTTP/1.1\r\n" H "X(A): 1\r\n\r\n", 0, 400,
	    0, "invalid character in a field name" },
	{ "obs-fold on the first field line", "GET / HTTP/1.1\r\n " H "\r\n",
	    0, 400, 0, "obsolete line folding" },
	{ "control character in a value", "GET / HTTP/1.1\r\n" H "X-A: a\x01"
	    "b\r\n\r\n", 0, 400, 0, "control character in a field value" },
	{ "DEL in a value", "GET / HTTP/1.1\r\n" H "X-A: a\x7f" "b\r\n\r\n", 0,
	    400, 0, "control character in a field value" },
	{ "bare CR in a value", "GET / HTTP/1.1\r\n" H "X-A: a\rb\r\n\r\n", 0,
	    400, 0, "CR without LF" },
	{ "bare CR ends a line", "GET / HTTP/1.1\r" H "\r\n", 0, 400, 0,
	    "CR without LF" },
	{ "no Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n" NEXT, 0, 400, 0,
	    "Host header is required" },
	{ "two Host", "GET / HTTP/1.1\r\n" H "host: b\r\n\r\n", 0, 400, 0,
	    "more than one Host" },
	{ "Transfer-Encoding gzip", POST "Transfer-Encoding: gzip\r\n\r\n"
	    NEXT, 0, 501, 0, "other than chunked" },
	{ "Transfer-Encoding gzip, chunked", POST "Transfer-Encoding: gzip, "
	    "chunked\r\n\r\n0\r\n\r\n", 0, 501, 0, NULL },
	{ "Transfer-Encoding xchunked", POST "Transfer-Encoding: xchunked"
	    "\r\n\r\n", 0, 501, 0, NULL },
	{ "two Transfer-Encoding", POST "Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 501, 0, NULL },
	{ "Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 400, 0,
	    "Transfer-Encoding on HTTP/1.0" },

	/* The request line. */
	{ "HTTP/2.0", "GET / HTTP/2.0\r\n" H "\r\n", 0, 505, 0, NULL },
	{ "HTTP/0.9 version", "GET / HTTP/0.9\r\n\r\n", 0, 505, 0, NULL },
	{ "no version", "GET /\r\n\r\n", 0, 400, 0, "no HTTP version" },
	{ "lower-case version", "GET / http/1.1\r\n" H "\r\n", 0, 400, 0,
	    "malformed HTTP version" },
	{ "version with more", "GET / HTTP/1.1x\r\n" H "\r\n", 0, 400, 0,
	    "malformed HTTP version" },
	{ "version HTTP/11", "GET / HTTP/11\r\n" H "\r\n", 0, 400, 0,
	    "malformed HTTP version" },
	{ "two spaces", "GET  / HTTP/1.1\r\n" H "\r\n", 0, 400, 0,
	    "empty request target" },
	{ "a space in the target", "GET /a b HTTP/1.1\r\n" H "\r\n", 0, 400,
	    0, "malformed HTTP version" },
	{ "trailing space", "GET / HTTP/1.1 \r\n" H "\r\n", 0, 400, 0, NULL },
	{ "leading space", " GET / HTTP/1.1\r\n" H "\r\n", 0, 400, 0,
	    "malformed request line" },
	{ "tab as separator", "GET\t/ HTTP/1.1\r\n" H "\r\n", 0, 400, 0,
	    "invalid method" },
	{ "DEL in the target", "GET /\x7f HTTP/1.1\r\n" H "\r\n", 0, 400, 0,
	    "invalid request target" },
	{ "byte 0x80 in the target", "GET /\x80 HTTP/1.1\r\n" H "\r\n", 0,
	    400, 0, "invalid request target" },
	{ "NUL in the target", "GET /\0 HTTP/1.1\r\n" H "\r\n", 27, 400, 0,
	    "invalid request target" },
	{ "method not a token", "G(T / HTTP/1.1\r\n" H "\r\n", 0, 400, 0,
	    "invalid method consumed=2" },
	{ "a TLS hello on the first byte", "\x16\x03\x01\x02\x00\x01", 0, 400,
	    0, "invalid method consumed=1" },

	/* Line ends and odd bytes in the head, wherever a line is cut (a
	 * bare CR is refused on the byte after it, before the line ends). */
	{ "CR inside a method", "G\rET / HTTP/1.1\r\n" H "\r\n", 0, 400, 0,
	    "CR without LF consumed=3\n" },
	{ "CR right after the method", "GET\r / HTTP/1.1\r\n" H "\r\n", 0,
	    400, 0, "CR without LF consumed=5\n" },
	{ "CR in the target", "GET /a\rb HTTP/1.1\r\n" H "\r\n", 0, 400, 0,
	    "CR without LF consumed=8\n" },
	{ "CR CR LF after the request line", "GET / HTTP/1.1\r\r\n" H "\r\n",
	    0, 400, 0, "CR without LF consumed=16\n" },
	{ "a method alone", "GET\r\n" H "\r\n", 0, 400, 0,
	    "malformed request line consumed=5\n" },
	{ "a method alone, bare LF", "GET\n" H "\n", 0, 400, 0,
	    "malformed request line consumed=4\n" },
	{ "a method alone, CR CR LF", "GET\r\r\n", 0, 400, 0,
	    "CR without LF consumed=5\n" },
	{ "a method not a token, no space after it", "G@T\r\n", 0, 400, 0,
	    "invalid method consumed=2\n" },
	{ "NUL in a method", "G\0T / HTTP/1.1\r\n" H "\r\n", 27, 400, 0,
	    "invalid method consumed=2\n" },
	{ "byte 0xff in a method", "G\xffT / HTTP/1.1\r\n" H "\r\n", 0, 400,
	    0, "invalid method consumed=2\n" },
	{ "CR in a field name", "GET / HTTP/1.1\r\n" H "X\rY: 1\r\n\r\n", 0,
	    400, 0, "CR without LF consumed=28\n" },
	{ "CR at a field line's start", "GET / HTTP/1.1\r\n" H "\rX: 1\r\n"
	    "\r\n", 0, 400, 0, "CR without LF consumed=27\n" },
	{ "CR CR LF after a value", "GET / HTTP/1.1\r\n" H "X: a\r\r\n\r\n",
	    0, 400, 0, "CR without LF consumed=31\n" },
	{ "CR right after the colon", "GET / HTTP/1.1\r\n" H "X:\r1\r\n\r\n",
	    0, 400, 0, "CR without LF consumed=29\n" },
	{ "LF then CR", "GET / HTTP/1.1\r\nHost: a\n\rX: 1\r\n\r\n", 0, 400,
	    0, "CR without LF consumed=26\n" },
	{ "a CR ending the stream waits", "GET / HTTP/1.1\r\n" H "\r", 0, 0,
	    0, "END at 26\n" },
	{ "NUL in a field name", "GET / HTTP/1.1\r\n" H "X\0Y: 1\r\n\r\n", 35,
	    400, 0, "invalid character in a field name consumed=33\n" },
	{ "NUL at a field line's start", "GET / HTTP/1.1\r\n" H "\0X: 1\r\n"
	    "\r\n", 34, 400, 0, "invalid character in a field name "
	    "consumed=32\n" },
	{ "NUL before a line end", "GET / HTTP/1.1\r\n" H "X: a\0\r\n\r\n",
	    34, 400, 0, "control character in a field value consumed=32\n" },
	{ "byte 0x80 in a field name", "GET / HTTP/1.1\r\n" H "X\x80Y: 1\r\n"
	    "\r\n", 0, 400, 0, "invalid character in a field name "
	    "consumed=33\n" },
	{ "byte 0xff ends a value", "GET / HTTP/1.1\r\n" H "X: a\xff\r\n\r\n",
	    0, 0, 1, "  X: a\\xff\n" },
	{ "DEL ends a value of eight bytes", "GET / HTTP/1.1\r\n" H
	    "X: 1234567\x7f\r\n\r\n", 0, 400, 0,
	    "control character in a field value consumed=38\n" },
	{ "a value of sixteen bytes, a tab last, trimmed", "GET / HTTP/1.1"
	    "\r\n" H "X: 0123456789abcde\t\r\n\r\n", 0, 0, 1,
	    "  X: 0123456789abcde\n" },
	{ "obs-fold with a tab", "GET / HTTP/1.1\r\n" H "X-A: a\r\n\tb\r\n"
	    "\r\n", 0, 400, 0, "obsolete line folding consumed=37\n" },
	{ "a value of whitespace only", "GET / HTTP/1.1\r\n" H "X:  \t \r\n"
	    "\r\n", 0, 0, 1, "  X: \n" },
	{ "a colon in a value", "GET / HTTP/1.1\r\n" H "X: a:b\r\n\r\n", 0,
	    0, 1, "  X: a:b\n" },
	{ "no colon, a space", "GET / HTTP/1.1\r\n" H "X A\r\n\r\n", 0, 400,
	    0, "field line without a colon consumed=30\n" },
	{ "a colon alone", "GET / HTTP/1.1\r\n" H ":\r\n\r\n", 0, 400, 0,
	    "empty field name consumed=28\n" },
	{ "a non-token byte, then whitespace", "GET / HTTP/1.1\r\n" H
	    "X(A b: 1\r\n\r\n", 0, 400, 0, "invalid character in a field name" },
	{ "whitespace, then a non-token byte", "GET / HTTP/1.1\r\n" H
	    "X (: 1\r\n\r\n", 0, 400, 0, "whitespace in a field name" },
	{ "a bare LF ends the head", "GET / HTTP/1.1\r\n" H "\n" NEXT, 0, 0, 2,
	    "DONE consumed=26 body=\nHEAD GET /next" },
	{ "known names in any case", "POST / HTTP/1.1\r\nhOST: a\r\n"
	    "cONTENT-lENGTH: 1\r\nconnection: CLOSE\r\nEXPECT: 100-continue\r\n"
	    "\r\nx", 0, 0, 1, "keep=0 expect=1 chunked=0 cl=1\n" },
	{ "names like the known ones", "GET / HTTP/1.1\r\n" H "Hosu: b\r\n"
	    "Content-Lengtx: 1\r\nTransfer-Encodinf: x\r\nExpecu: x\r\n"
	    "Connectioo: close\r\n\r\n", 0, 0, 1,
	    "keep=1 expect=0 chunked=0 cl=-1\n" },

	/* Chunked framing. */
	{ "chunk size with a space before it", CHUNKED " 5\r\nhello\r\n0\r\n"
	    "\r\n", 0, 400, 0, "chunk size is not hex" },
	{ "chunk size with a space after it", CHUNKED "5 \r\nhello\r\n0\r\n"
	    "\r\n", 0, 400, 0, "whitespace after a chunk size" },
	{ "chunk size -1", CHUNKED "-1\r\n", 0, 400, 0, NULL },
	{ "empty chunk size", CHUNKED "\r\n", 0, 400, 0,
	    "chunk size is not hex" },
	{ "chunk size of 17 digits", CHUNKED "00000000000000001\r\nx\r\n0\r\n"
	    "\r\n", 0, 400, 0, "chunk size too long" },
	{ "chunk size overflow", CHUNKED "fffffffffffffffffff\r\n", 0, 413, 0,
	    NULL },
	{ "chunk data longer than its size", CHUNKED "5\r\nhelloX\r\n0\r\n"
	    "\r\n", 0, 400, 0, "chunk data longer than its size" },
	{ "bare LF after a chunk size", CHUNKED "5\nhello\r\n0\r\n\r\n", 0,
	    400, 0, "LF without CR in chunked framing" },
	{ "bare LF after chunk data", CHUNKED "5\r\nhello\n0\r\n\r\n", 0, 400,
	    0, "chunk data longer than its size" },
	{ "bare LF ends the trailers", CHUNKED "0\r\n\n", 0, 400, 0,
	    "LF without CR in chunked framing" },
	{ "bare CR after a chunk size", CHUNKED "5\rhello\r\n", 0, 400, 0,
	    "CR without LF" },
	{ "control character in an extension", CHUNKED "5;a\x01\r\nhello\r\n"
	    "0\r\n\r\n", 0, 400, 0, "control character in a chunk extension" },
	{ "bad trailer", CHUNKED "0\r\nX-T : 1\r\n\r\n", 0, 400, 0,
	    "whitespace in a field name" },
	{ "folded trailer", CHUNKED "0\r\nX-T: 1\r\n 2\r\n\r\n", 0, 400, 0,
	    "obsolete line folding" },

	/* Limits: each stops on the byte that crosses it. */
	{ "Content-Length over the limit", POST "Content-Length: 65\r\n\r\n"
	    "x", 0, 413, 0, "body over the limit consumed=51\n" },
	{ "chunks over the limit", CHUNKED "40\r\n"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "\r\n1\r\n", 0, 413, 0, "body over the limit consumed=130\n" },
	{ "one chunk over the limit", CHUNKED "41\r\n", 0, 413, 0,
	    "consumed=61\n" },
	{ "chunk extensions over the limit", CHUNKED "1;"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "\r\n", 0, 400, 0, "chunk extensions or trailers too large "
	    "consumed=125\n" },
	{ "trailers over the limit", CHUNKED "0\r\nX-T: "
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "\r\n\r\n", 0, 400, 0, "consumed=127\n" },
};

START_TEST(test_table)
{
	const struct hp_case	*c = &cases[_i];
	size_t			 len = c->len ? c->len : strlen(c->in);
	char			*whole, *other, *want;
	uint32_t		 seed;
	int			 ndone = 0;
	const char		*s;
	size_t			 cut;

	whole = transcript(c->in, len, 0);
	for (s = whole; (s = strstr(s, "DONE ")) != NULL; s++)
		ndone++;
	ck_assert_msg(ndone == c->ndone, "%s: %d requests, not %d:\n%s",
	    c->what, ndone, c->ndone, whole);
	if (c->status != 0) {
		if (asprintf(&want, "ERROR %d ", c->status) == -1)
			ck_abort();
		ck_assert_msg(strstr(whole, want) != NULL,
		    "%s: no %s:\n%s", c->what, want, whole);
		free(want);
	} else
		ck_assert_msg(strstr(whole, "ERROR") == NULL, "%s:\n%s",
		    c->what, whole);
	ck_assert_msg(c->shows == NULL || strstr(whole, c->shows) != NULL,
	    "%s: no \"%s\" in:\n%s", c->what, c->shows, whole);

	/* The same events however the stream is cut. */
	other = transcript(c->in, len, 1);
	ck_assert_msg(strcmp(whole, other) == 0, "%s: byte at a time:\n%s\n"
	    "whole:\n%s", c->what, other, whole);
	free(other);
	for (seed = 2; seed < 2 + SPLIT_SEEDS; seed++) {
		other = transcript(c->in, len, seed * 2654435761u);
		ck_assert_msg(strcmp(whole, other) == 0, "%s: seed %u:\n%s\n"
		    "whole:\n%s", c->what, seed, other, whole);
		free(other);
	}
	/* Cut in two at every byte: a line split across two feeds. */
	for (cut = 1; cut < len; cut++) {
		other = transcript_cut(c->in, len, 0, cut);
		if (strcmp(whole, other) != 0)
			ck_abort_msg("%s: cut at %zu:\n%s\nwhole:\n%s",
			    c->what, cut, other, whole);
		free(other);
	}
	free(whole);
}
END_TEST

static enum http_parse_event
feed_str(struct http_parse *p, const char *s, size_t *used)
{
	return http_parse_feed(p, s, strlen(s), used);
}

START_TEST(test_headers)
{
	struct http_parse	*p = http_parse_new(&limits);
	const char		*req = "PUT /x?y HTTP/1.1\r\nHost: h\r\n"
	    "X-One: 1\r\nx-two: 2\r\nX-ONE: 3\r\n\r\n";
	const char		*name, *value;
	size_t			 used;

	ck_assert_int_eq(feed_str(p, req, &used), HTTP_PARSE_HEAD);
	ck_assert_uint_eq(used, strlen(req));
	ck_assert_str_eq(http_parse_method(p), "PUT");
	ck_assert_str_eq(http_parse_target(p), "/x?y");
	ck_assert_int_eq(http_parse_minor(p), 1);
	ck_assert_uint_eq(http_parse_nheaders(p), 4);
	ck_assert_int_eq(http_parse_header_at(p, 2, &name, &value), 0);
	ck_assert_str_eq(name, "x-two");
	ck_assert_str_eq(value, "2");
	ck_assert_int_eq(http_parse_header_at(p, 4, &name, &value), -1);
	/* Lookup without case; the first of several. */
	ck_assert_str_eq(http_parse_header(p, "x-one"), "1");
	ck_assert_str_eq(http_parse_header(p, "X-TWO"), "2");
	ck_assert_ptr_null(http_parse_header(p, "X-Three"));
	ck_assert_ptr_null(http_parse_header(p, "X-On"));
	/* No body: DONE without a byte. */
	ck_assert_int_eq(http_parse_feed(p, "", 0, &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(http_parse_consumed(p), strlen(req));
	/* DONE stays until a reset, and takes nothing of what follows. */
	ck_assert_int_eq(feed_str(p, "GET", &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, 0);
	/* A reset forgets it all. */
	http_parse_reset(p);
	ck_assert_uint_eq(http_parse_nheaders(p), 0);
	ck_assert_ptr_null(http_parse_header(p, "Host"));
	ck_assert_uint_eq(http_parse_consumed(p), 0);
	ck_assert_int_eq(feed_str(p, "GET / HTTP/1.0\r\nA: b\r\n\r\n", &used),
	    HTTP_PARSE_HEAD);
	ck_assert_uint_eq(http_parse_nheaders(p), 1);
	ck_assert_ptr_null(http_parse_header(p, "X-One"));
	ck_assert_str_eq(http_parse_header(p, "a"), "b");
	ck_assert_int_eq(http_parse_minor(p), 0);
	http_parse_free(p);
	http_parse_free(NULL);
}
END_TEST

/* RFC 9110 5.6.2 tchar and 5.5 field value bytes, the way the RFC says
 * them: what the parser's tables must agree with. */
static int
rfc_tchar(int c)
{
	return c > 0 && c < 0x7f && (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
rfc_value_byte(int c)
{
	return c == '\t' || (c >= ' ' && c != 0x7f);
}

/* 1 if in is taken as requests without an error, fed whole and a byte at
 * a time alike. */
static int
taken(const char *in, size_t len)
{
	char	*whole, *bytes;
	int	 ok;

	whole = transcript(in, len, 0);
	bytes = transcript(in, len, 1);
	ck_assert_msg(strcmp(whole, bytes) == 0, "whole:\n%s\nbytes:\n%s",
	    whole, bytes);
	ok = strstr(whole, "ERROR") == NULL;
	free(whole);
	free(bytes);
	return ok;
}

START_TEST(test_every_byte)
{
	static const size_t	 at[] = { 0, 3, 7, 8, 15, 19 };
	char			 in[128], value[21];
	size_t			 i, len;
	int			 c;

	for (c = 0; c < 256; c++) {
		/* In a method. */
		len = (size_t)snprintf(in, sizeof in, "G%cT / HTTP/1.1\r\n"
		    H "\r\n", c == 0 ? '@' : c);
		if (c == 0)
			in[1] = '\0';
		ck_assert_msg(taken(in, len) == rfc_tchar(c),
		    "method byte %02x", c);
		/* In a field name (a colon makes it "X: Y: v"). */
		len = (size_t)snprintf(in, sizeof in, "GET / HTTP/1.1\r\n"
		    H "X%cY: v\r\n\r\n", c == 0 ? '@' : c);
		if (c == 0)
			in[26] = '\0';
		ck_assert_msg(taken(in, len) == (rfc_tchar(c) || c == ':'),
		    "field name byte %02x", c);
		/* In a field value, at the ends and inside, across the
		 * words the value check reads at once. */
		if (c == '\r' || c == '\n')
			continue;	/* line ends: the table's cases */
		for (i = 0; i < sizeof at / sizeof at[0]; i++) {
			memset(value, 'v', 20);
			value[20] = '\0';
			value[at[i]] = (char)c;
			len = (size_t)snprintf(in, sizeof in, "GET / HTTP/1.1"
			    "\r\n" H "X: %s\r\n\r\n", c == 0 ? "" : value);
			if (c == 0) {
				memcpy(in + len - 4, value, 20);
				memcpy(in + len + 16, "\r\n\r\n", 4);
				len += 20;
			}
			ck_assert_msg(taken(in, len) == rfc_value_byte(c),
			    "field value byte %02x at %zu", c, at[i]);
		}
	}
}
END_TEST

START_TEST(test_error_sticks)
{
	struct http_parse	*p = http_parse_new(&limits);
	size_t			 used;

	ck_assert_int_eq(feed_str(p, "GET / HTTP/3.0\r\nHost", &used),
	    HTTP_PARSE_ERROR);
	ck_assert_uint_eq(used, 16);
	ck_assert_int_eq(http_parse_status(p), 505);
	ck_assert_str_eq(http_parse_cause(p), "HTTP version not supported");
	ck_assert_int_eq(http_parse_keep_alive(p), 0);
	ck_assert_int_eq(feed_str(p, GET, &used), HTTP_PARSE_ERROR);
	ck_assert_uint_eq(used, 0);
	/* A reset (a new connection's parser) starts over. */
	http_parse_reset(p);
	ck_assert_int_eq(http_parse_status(p), 0);
	ck_assert_ptr_null(http_parse_cause(p));
	ck_assert_int_eq(feed_str(p, GET, &used), HTTP_PARSE_HEAD);
	http_parse_free(p);
}
END_TEST

/* Limits stop on the byte that crosses them, whatever else comes. */
START_TEST(test_limits)
{
	struct http_parse_limits lim = limits;
	struct http_parse	*p;
	char			 buf[2048];
	size_t			 used, i;

	/* The request line: 414 on its 257th byte. */
	memset(buf, 'a', sizeof buf);
	memcpy(buf, "GET /", 5);
	p = http_parse_new(&lim);
	ck_assert_int_eq(http_parse_feed(p, buf, sizeof buf, &used),
	    HTTP_PARSE_ERROR);
	ck_assert_int_eq(http_parse_status(p), 414);
	ck_assert_uint_eq(used, lim.max_request_line + 1);
	http_parse_free(p);

	/* Empty lines count against it too. */
	memset(buf, '\n', sizeof buf);
	p = http_parse_new(&lim);
	ck_assert_int_eq(http_parse_feed(p, buf, sizeof buf, &used),
	    HTTP_PARSE_ERROR);
	ck_assert_int_eq(http_parse_status(p), 414);
	http_parse_free(p);

	/* Header bytes: 431 on the byte past max_header_bytes. */
	memset(buf, 'v', sizeof buf);
	memcpy(buf, "GET / HTTP/1.1\r\nX: ", 19);
	p = http_parse_new(&lim);
	ck_assert_int_eq(http_parse_feed(p, buf, sizeof buf, &used),
	    HTTP_PARSE_ERROR);
	ck_assert_int_eq(http_parse_status(p), 431);
	ck_assert_str_eq(http_parse_cause(p), "headers too large");
	ck_assert_uint_eq(used, 16 + lim.max_header_bytes + 1);
	http_parse_free(p);

	/* Exactly at max_header_bytes (empty line included) is fine. */
	lim.max_header_bytes = strlen(H "\r\n");
	p = http_parse_new(&lim);
	ck_assert_int_eq(feed_str(p, GET, &used), HTTP_PARSE_HEAD);
	http_parse_free(p);
	lim.max_header_bytes--;
	p = http_parse_new(&lim);
	ck_assert_int_eq(feed_str(p, GET, &used), HTTP_PARSE_ERROR);
	ck_assert_int_eq(http_parse_status(p), 431);
	http_parse_free(p);
	lim = limits;

	/* Header count: 431 on the first byte of the 17th line. */
	p = http_parse_new(&lim);
	ck_assert_int_eq(feed_str(p, "GET / HTTP/1.1\r\n", &used),
	    HTTP_PARSE_MORE);
	ck_assert_int_eq(feed_str(p, H, &used), HTTP_PARSE_MORE);
	for (i = 1; i < lim.max_headers; i++)
		ck_assert_int_eq(feed_str(p, "A: 1\r\n", &used),
		    HTTP_PARSE_MORE);
	ck_assert_int_eq(feed_str(p, "\r\n", &used), HTTP_PARSE_HEAD);
	http_parse_free(p);
	p = http_parse_new(&lim);
	ck_assert_int_eq(feed_str(p, "GET / HTTP/1.1\r\n", &used),
	    HTTP_PARSE_MORE);
	ck_assert_int_eq(feed_str(p, H, &used), HTTP_PARSE_MORE);
	for (i = 1; i < lim.max_headers; i++)
		ck_assert_int_eq(feed_str(p, "A: 1\r\n", &used),
		    HTTP_PARSE_MORE);
	ck_assert_int_eq(feed_str(p, "B: 2\r\n", &used), HTTP_PARSE_ERROR);
	ck_assert_uint_eq(used, 1);
	ck_assert_int_eq(http_parse_status(p), 431);
	ck_assert_str_eq(http_parse_cause(p), "too many headers");
	http_parse_free(p);

	/* A limit of 0 bytes of body: any body is 413 before it is read. */
	lim.max_body = 0;
	p = http_parse_new(&lim);
	ck_assert_int_eq(feed_str(p, POST "Content-Length: 1\r\n\r\nx",
	    &used), HTTP_PARSE_ERROR);
	ck_assert_int_eq(http_parse_status(p), 413);
	ck_assert_uint_eq(used, strlen(POST "Content-Length: 1\r\n\r\n"));
	http_parse_free(p);
	p = http_parse_new(&lim);
	ck_assert_int_eq(feed_str(p, CHUNKED "0\r\n\r\n", &used),
	    HTTP_PARSE_HEAD);
	ck_assert_int_eq(feed_str(p, "0\r\n\r\n", &used), HTTP_PARSE_DONE);
	http_parse_free(p);
}
END_TEST

/* The transcript of in fed whole, after checking that a byte at a time
 * and every cut in two give the same. */
static char *
transcript_every_cut(const char *in, size_t len)
{
	char	*whole, *other;
	size_t	 cut;

	whole = transcript(in, len, 0);
	for (cut = 1; cut <= len; cut++) {
		other = cut == len ? transcript(in, len, 1) :
		    transcript_cut(in, len, 0, cut);
		if (strcmp(whole, other) != 0)
			ck_abort_msg("cut at %zu of %zu:\n%s\nwhole:\n%s", cut,
			    len, other, whole);
		free(other);
	}
	return whole;
}

/* Appends a line of n bytes, line end included: text, then fill up to
 * the line end (CRLF or a bare LF). */
static size_t
put_line(char *buf, size_t at, const char *text, const char *end, size_t n,
    char fill)
{
	size_t	tl = strlen(text), el = strlen(end);

	ck_assert_uint_ge(n, tl + el);
	memcpy(buf + at, text, tl);
	memset(buf + at + tl, fill, n - tl - el);
	memcpy(buf + at + n - el, end, el);
	return at + n;
}

/*
 * A head line ending one byte under its limit, at it, or one byte or two
 * over, with either line end, after empty lines or not, cut anywhere: the
 * limit stops the byte that crosses it (a CR that fits is not "CR without
 * LF" when its LF does not), whichever line that byte is in.
 */
START_TEST(test_line_limits)
{
	const size_t	 rlmax = limits.max_request_line;
	const size_t	 hmax = limits.max_header_bytes;
	const char	*eol;
	char		 in[2048], *t, *want;
	size_t		 n, len, at, empty;
	int		 crlf, ok;

	for (crlf = 0; crlf < 2; crlf++) {
		eol = crlf ? "\r\n" : "\n";
		/* The request line, empty lines before it counted. */
		for (empty = 0; empty <= 3; empty += 3)
		for (n = rlmax - 1; n <= rlmax + 2; n++) {
			memcpy(in, "\r\n\n", empty);
			at = put_line(in, empty, "GET /", "", n - empty -
			    strlen(" HTTP/1.1") - strlen(eol), 'a');
			at = put_line(in, at, " HTTP/1.1", eol,
			    strlen(" HTTP/1.1") + strlen(eol), ' ');
			memcpy(in + at, H "\r\n", strlen(H "\r\n"));
			len = at + strlen(H "\r\n");
			t = transcript_every_cut(in, len);
			ok = n <= rlmax;
			if (asprintf(&want, ok ? "HEAD GET /a" : "ERROR 414 "
			    "request line too long consumed=%zu\n",
			    rlmax + 1) == -1)
				ck_abort();
			ck_assert_msg(strstr(t, want) != NULL &&
			    (strstr(t, "ERROR") == NULL) == ok, "request line "
			    "of %zu, %zu empty, %s: no \"%s\" in:\n%s", n,
			    empty, eol, want, t);
			free(want);
			free(t);
		}
		/* A field line ending around the limit of the header
		 * section, then the empty line. */
		for (n = hmax - 3; n <= hmax + 1; n++) {
			at = put_line(in, 0, "GET / HTTP/1.1", eol,
			    strlen("GET / HTTP/1.1") + strlen(eol), ' ');
			at = put_line(in, at, "Host: a", eol,
			    strlen("Host: a") + strlen(eol), ' ');
			at = put_line(in, at, "X: ", eol, n -
			    (strlen("Host: a") + strlen(eol)), 'v');
			at = put_line(in, at, "", eol, strlen(eol), ' ');
			len = at;
			t = transcript_every_cut(in, len);
			ok = n + strlen(eol) <= hmax;
			if (asprintf(&want, ok ? "HEAD GET / " : "ERROR 431 "
			    "headers too large consumed=%zu\n", strlen(
			    "GET / HTTP/1.1") + strlen(eol) + hmax + 1) == -1)
				ck_abort();
			ck_assert_msg(strstr(t, want) != NULL &&
			    (strstr(t, "ERROR") == NULL) == ok, "field line "
			    "ending at %zu, %s: no \"%s\" in:\n%s", n, eol,
			    want, t);
			free(want);
			free(t);
		}
	}
}
END_TEST

/* Pipelined requests: each DONE says how many bytes were its own. */
START_TEST(test_pipeline_consumed)
{
	struct http_parse	*p = http_parse_new(&limits);
	const char		*in = GET POST "Content-Length: 3\r\n\r\nabc"
	    CHUNKED "3\r\ndef\r\n0\r\n\r\n" NEXT;
	const size_t		 want[] = { strlen(GET),
	    strlen(POST "Content-Length: 3\r\n\r\nabc"),
	    strlen(CHUNKED "3\r\ndef\r\n0\r\n\r\n"), strlen(NEXT) };
	size_t			 off = 0, len = strlen(in), used, n = 0;
	enum http_parse_event	 ev = HTTP_PARSE_MORE;

	while (off < len || ev == HTTP_PARSE_HEAD) {
		ev = http_parse_feed(p, in + off, len - off, &used);
		off += used;
		if (ev == HTTP_PARSE_HEAD)
			continue;
		ck_assert_int_eq(ev, HTTP_PARSE_DONE);
		ck_assert_uint_lt(n, 4);
		ck_assert_uint_eq(http_parse_consumed(p), want[n]);
		n++;
		http_parse_reset(p);
	}
	ck_assert_uint_eq(n, 4);
	http_parse_free(p);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("http_parse");
	TCase	*tc = tcase_create("pure");

	tcase_add_loop_test(tc, test_table, 0,
	    (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_every_byte);
	tcase_add_test(tc, test_error_sticks);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_line_limits);
	tcase_add_test(tc, test_pipeline_consumed);
	suite_add_tcase(s, tc);
	return s;
}
