/* SPDX-License-Identifier: ISC */
/*
 * fuzz_http_parse.c: the HTTP/1.1 request parser on arbitrary streams.
 *
 * Input: one byte chooses the limits, four seed the slice sizes, the rest
 * is what a client sent on one connection.  The stream is parsed whole,
 * one byte at a time and in random slices, resetting after each complete
 * request as a server does: the three must give the same events, the
 * same requests and the same error at the same byte.  Each parse must
 * keep to the limits and to what it promises: no more used than given,
 * a body within max_body and NUL-terminated, a request line and fields
 * free of what the parser refuses, an error with a known status.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "fuzz.h"
#include "http_parse.h"
#include "log.h"

static void
put_field(struct evbuffer *b, const void *p, size_t len)
{
	uint32_t	n = (uint32_t)len;

	evbuffer_add(b, &n, sizeof n);
	evbuffer_add(b, p, len);
}

static void
put_num(struct evbuffer *b, long long v)
{
	evbuffer_add(b, &v, sizeof v);
}

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
check_head(const struct http_parse_limits *lim, struct http_parse *p,
    struct evbuffer *out)
{
	const char	*method = http_parse_method(p);
	const char	*target = http_parse_target(p);
	const char	*name, *value;
	size_t		 i, n, bytes = 0;

	FUZZ_CHECK(*method != '\0' && *target != '\0', "empty method/target");
	for (i = 0; method[i] != '\0'; i++)
		FUZZ_CHECK(is_tchar((unsigned char)method[i]),
		    "method byte 0x%02x", (unsigned char)method[i]);
	for (i = 0; target[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)target[i] > ' ' &&
		    (unsigned char)target[i] < 0x7f, "target byte 0x%02x",
		    (unsigned char)target[i]);
	FUZZ_CHECK(strlen(method) + strlen(target) + 11 <=
	    lim->max_request_line, "request line over its limit");
	FUZZ_CHECK(http_parse_minor(p) == 0 || http_parse_minor(p) == 1,
	    "minor %d", http_parse_minor(p));
	n = http_parse_nheaders(p);
	FUZZ_CHECK(n <= lim->max_headers, "%zu headers, limit %zu", n,
	    lim->max_headers);
	put_field(out, "HEAD", 4);
	put_field(out, method, strlen(method));
	put_field(out, target, strlen(target));
	put_num(out, http_parse_minor(p));
	put_num(out, http_parse_keep_alive(p));
	put_num(out, http_parse_expect(p));
	put_num(out, http_parse_chunked(p));
	put_num(out, http_parse_content_length(p));
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(http_parse_header_at(p, i, &name, &value) == 0,
		    "header %zu of %zu missing", i, n);
		FUZZ_CHECK(*name != '\0', "empty field name");
		for (; *name != '\0'; name++)
			FUZZ_CHECK(is_tchar((unsigned char)*name),
			    "name byte 0x%02x", (unsigned char)*name);
		for (; *value != '\0'; value++)
			FUZZ_CHECK((unsigned char)*value >= ' ' ?
			    (unsigned char)*value != 0x7f : *value == '\t',
			    "value byte 0x%02x", (unsigned char)*value);
		http_parse_header_at(p, i, &name, &value);
		/* Its line held a colon and a line end at least. */
		bytes += strlen(name) + strlen(value) + 2;
		put_field(out, name, strlen(name));
		put_field(out, value, strlen(value));
	}
	FUZZ_CHECK(http_parse_header_at(p, n, &name, &value) == -1,
	    "a header past the count");
	FUZZ_CHECK(bytes <= lim->max_header_bytes,
	    "%zu bytes of fields, limit %zu", bytes, lim->max_header_bytes);
	FUZZ_CHECK(http_parse_content_length(p) <= (long long)lim->max_body,
	    "Content-Length %lld past the limit",
	    http_parse_content_length(p));
	FUZZ_CHECK(!http_parse_chunked(p) ||
	    http_parse_content_length(p) == -1, "chunked with a length");
}

/*
 * Parses the stream cut as seed says (0: whole, 1: bytes, else random),
 * writing every event to out.  Returns the bytes used.
 */
static size_t
run(const struct http_parse_limits *lim, const uint8_t *data, size_t size,
    uint32_t seed, struct evbuffer *out)
{
	struct http_parse	*p;
	enum http_parse_event	 ev = HTTP_PARSE_MORE;
	size_t			 off = 0, n, used, body_len, in_request = 0;
	const char		*body, *cause;
	int			 status, head = 0;

	p = http_parse_new(lim);
	while (ev != HTTP_PARSE_ERROR) {
		if (seed == 0)
			n = size - off;
		else if (seed == 1)
			n = size > off;
		else
			n = 1 + next_rand(&seed) % 64;
		if (n > size - off)
			n = size - off;
		for (;;) {
			ev = http_parse_feed(p, data + off, n, &used);
			FUZZ_CHECK(used <= n, "used %zu of %zu", used, n);
			off += used;
			n -= used;
			in_request += used;
			FUZZ_CHECK(http_parse_consumed(p) == in_request,
			    "consumed %zu, fed %zu", http_parse_consumed(p),
			    in_request);
			if (ev == HTTP_PARSE_HEAD) {
				FUZZ_CHECK(!head, "two HEADs");
				head = 1;
				check_head(lim, p, out);
				continue;
			}
			if (ev == HTTP_PARSE_DONE) {
				FUZZ_CHECK(head, "DONE without HEAD");
				body = http_parse_body(p, &body_len);
				FUZZ_CHECK(body_len <= lim->max_body,
				    "body of %zu, limit %zu", body_len,
				    lim->max_body);
				FUZZ_CHECK(body[body_len] == '\0',
				    "body not NUL-terminated");
				put_field(out, "DONE", 4);
				put_num(out, (long long)in_request);
				put_field(out, body, body_len);
				http_parse_reset(p);
				FUZZ_CHECK(http_parse_consumed(p) == 0 &&
				    http_parse_nheaders(p) == 0,
				    "reset kept the request");
				in_request = 0;
				head = 0;
				continue;
			}
			break;
		}
		if (ev == HTTP_PARSE_MORE) {
			FUZZ_CHECK(n == 0, "MORE with %zu bytes left", n);
			if (off == size)
				break;
		}
	}
	if (ev == HTTP_PARSE_ERROR) {
		status = http_parse_status(p);
		cause = http_parse_cause(p);
		FUZZ_CHECK(status == 400 || status == 413 || status == 414 ||
		    status == 431 || status == 501 || status == 505,
		    "status %d", status);
		FUZZ_CHECK(cause != NULL && *cause != '\0', "no cause");
		FUZZ_CHECK(!http_parse_keep_alive(p), "keep-alive on error");
		/* The error stays. */
		FUZZ_CHECK(http_parse_feed(p, "x", 1, &used) ==
		    HTTP_PARSE_ERROR && used == 0, "error forgotten");
		put_field(out, "ERROR", 5);
		put_num(out, status);
		put_field(out, cause, strlen(cause));
	}
	put_num(out, (long long)off);
	FUZZ_CHECK(off <= size, "used %zu of %zu", off, size);
	http_parse_free(p);
	return off;
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
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_TEXT, "fuzz_http_parse");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in;
	struct http_parse_limits lim;
	struct evbuffer		*whole, *bytes, *cut;
	uint32_t		 seed;
	unsigned		 v;

	fuzz_in_init(&in, data, size);
	v = fuzz_byte(&in);
	/* Small limits reach every limit's edge; large ones let the rest
	 * of the grammar through. */
	if (v & 0x80) {
		lim.max_request_line = 8192;
		lim.max_header_bytes = 8192;
		lim.max_headers = 100;
		lim.max_body = 4096;
		lim.max_chunk_meta = 1024;
	} else {
		lim.max_request_line = 16 + (v & 0x1f);
		lim.max_header_bytes = 8 + 4 * (v & 0x1f);
		lim.max_headers = v & 0x7;
		lim.max_body = (v >> 2) & 0x1f;
		lim.max_chunk_meta = v & 0x3f;
	}
	seed = ((uint32_t)fuzz_u16(&in) << 16 | fuzz_u16(&in)) | 2;
	data = in.p;
	size = in.left;

	whole = evbuffer_new();
	bytes = evbuffer_new();
	cut = evbuffer_new();
	run(&lim, data, size, 0, whole);
	run(&lim, data, size, 1, bytes);
	run(&lim, data, size, seed, cut);
	FUZZ_CHECK(same(whole, bytes), "a byte at a time differs");
	FUZZ_CHECK(same(whole, cut), "random slices differ");
	evbuffer_free(whole);
	evbuffer_free(bytes);
	evbuffer_free(cut);
	return 0;
}
