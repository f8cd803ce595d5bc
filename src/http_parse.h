/* SPDX-License-Identifier: ISC */
/*
 * http_parse.h: a strict, bounded, incremental HTTP/1.1 request parser
 * (RFC 9112), free of I/O: bytes in, a request out.
 *
 * The caller feeds the bytes of a connection as they arrive, in slices of
 * any size; requests follow one another on the stream (pipelining).  The
 * parser stops at the end of each request, so feeding one byte at a time
 * or the whole stream at once gives the same requests, the same errors
 * and the same byte counts.
 *
 *	for (;;) {
 *		ev = http_parse_feed(p, buf, len, &used);
 *		buf += used; len -= used;
 *		if (ev == HTTP_PARSE_MORE)	read more, feed again
 *		if (ev == HTTP_PARSE_HEAD)	request line and headers are
 *						in: 100-continue, early checks
 *		if (ev == HTTP_PARSE_DONE)	handle the request, then
 *						http_parse_reset, feed the rest
 *		if (ev == HTTP_PARSE_ERROR)	answer http_parse_status, close
 *	}
 *
 * Every buffer it keeps is bounded by the caller's limits; a limit is
 * enforced on the byte that crosses it, never after buffering more.
 * Framing is refused when a proxy in front of us could read it otherwise
 * (request smuggling, RFC 9112 6.3 and 11.2): see http_parse.c.
 */
#ifndef MCPBRIDGE_HTTP_PARSE_H
#define MCPBRIDGE_HTTP_PARSE_H

#include <stddef.h>

/* What the caller allows one request; the status when it is exceeded. */
struct http_parse_limits {
	size_t	max_request_line;  /* request line with its line end (and
				      any empty lines before it): 414 */
	size_t	max_header_bytes;  /* header section after the request line,
				      line ends and the empty line included:
				      431 */
	size_t	max_headers;	   /* header field lines: 431 */
	size_t	max_body;	   /* body, after dechunking: 413 */
	size_t	max_chunk_meta;	   /* chunk extensions and trailer section
				      of one chunked body, read and dropped:
				      400 */
};

enum http_parse_event {
	HTTP_PARSE_MORE,	/* all input used; the request goes on */
	HTTP_PARSE_HEAD,	/* request line and headers complete */
	HTTP_PARSE_DONE,	/* the request is complete, body and all */
	HTTP_PARSE_ERROR,	/* refused: http_parse_status, _cause */
};

/* http_parse_expect's answers. */
#define HTTP_PARSE_EXPECT_NONE		0
#define HTTP_PARSE_EXPECT_CONTINUE	1	/* "100-continue", HTTP/1.1 */
#define HTTP_PARSE_EXPECT_OTHER		2	/* anything else: 417 is
						   the caller's to send */

struct http_parse;

/* The limits are copied. */
struct http_parse	*http_parse_new(const struct http_parse_limits *);
void			 http_parse_free(struct http_parse *);
/* Forgets the request (after DONE), ready for the next on the stream. */
void			 http_parse_reset(struct http_parse *);

/*
 * Parses up to len bytes; *used says how many it took.  It stops right
 * after the byte that completes the head (HEAD) or the request (DONE), so
 * the rest belongs to what follows.  MORE means every byte was used.
 * After HEAD, call again (len may be 0) to go on with the body: a request
 * without one gives DONE at once.  DONE and ERROR stay until a reset
 * (ERROR is for good: the stream cannot be resynchronised).
 */
enum http_parse_event	 http_parse_feed(struct http_parse *, const void *,
			    size_t len, size_t *used);

/* From HEAD on.  Strings are NUL-terminated, owned by the parser, valid
 * until the next reset or free. */
const char	*http_parse_method(const struct http_parse *);
const char	*http_parse_target(const struct http_parse *);
int		 http_parse_minor(const struct http_parse *);	/* 0 or 1 */
size_t		 http_parse_nheaders(const struct http_parse *);
/* The i-th field line as received (name as sent, value without the
 * surrounding whitespace); -1 past the end. */
int		 http_parse_header_at(const struct http_parse *, size_t,
		    const char **, const char **);
/* The first value of a field, name compared without case, or NULL. */
const char	*http_parse_header(const struct http_parse *, const char *);
/* The connection may carry another request after this one. */
int		 http_parse_keep_alive(const struct http_parse *);
int		 http_parse_expect(const struct http_parse *);
int		 http_parse_chunked(const struct http_parse *);
/* The Content-Length, or -1 if none (chunked or no body). */
long long	 http_parse_content_length(const struct http_parse *);

/* From DONE: the body (NUL-terminated; it may hold NULs). */
const char	*http_parse_body(const struct http_parse *, size_t *);
/* Bytes of the stream this request has used so far. */
size_t		 http_parse_consumed(const struct http_parse *);

/* From ERROR: 400, 413, 414, 431, 501 or 505, and a short cause for the
 * log, a static string. */
int		 http_parse_status(const struct http_parse *);
const char	*http_parse_cause(const struct http_parse *);

#endif
