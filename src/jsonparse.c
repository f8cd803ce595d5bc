/*
 * jsonparse.c: the one JSON parse policy for what peers send.
 *
 * json-c in strict mode still takes NaN, Infinity, -Infinity, "00", "-01",
 * "1.", raw control characters and invalid UTF-8 inside strings, and it
 * clamps integers beyond 64 bits (2^64 and 2^64+1 both become 2^64-1).  A
 * strict peer on the other side drops such a message and its sender waits
 * for a timeout, or two request ids collide.  So a text is first checked
 * against the RFC 8259 grammar here, in one pass that allocates nothing,
 * and only then handed to json-c, which builds the objects.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "jsonparse.h"
#include "log.h"

/* json_tokener_parse_ex takes an int length. */
#define JSONPARSE_MAX_LEN	((size_t)INT_MAX)

/* The integers json-c keeps exactly: int64 below zero, uint64 above. */
#define JSONPARSE_INT_MIN_DIGITS	"9223372036854775808"
#define JSONPARSE_UINT_MAX_DIGITS	"18446744073709551615"

struct jsonparse_scan {
	const unsigned char	*p;
	const unsigned char	*end;
	const char		*cause;
};

/*
 * One tokener for the life of the process: making one allocates and
 * clears its parse stack, which costs more than parsing a typical
 * message.  Only one text is parsed at a time.
 */
static struct json_tokener	*jsonparse_tok;

static int	jsonparse_value(struct jsonparse_scan *, int);

static int
jsonparse_fail(struct jsonparse_scan *s, const char *cause)
{
	s->cause = cause;
	return -1;
}

static void
jsonparse_space(struct jsonparse_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
jsonparse_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * One UTF-8 sequence of two to four bytes starting at s->p (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF).
 */
static int
jsonparse_utf8(struct jsonparse_scan *s)
{
	const unsigned char	*p = s->p;
	unsigned char		 lo = 0x80, hi = 0xbf;
	size_t			 n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 1;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 2;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 3;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return jsonparse_fail(s, "invalid UTF-8");
	if ((size_t)(s->end - p) <= n)
		return jsonparse_fail(s, "invalid UTF-8");
	if (p[1] < lo || p[1] > hi)
		return jsonparse_fail(s, "invalid UTF-8");
	for (i = 2; i <= n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return jsonparse_fail(s, "invalid UTF-8");
	}
	s->p += n + 1;
	return 0;
}

/*
 * 1 if none of the eight bytes at p ends a plain run in a string: no
 * non-ASCII byte, control character, quote or backslash.  With every
 * byte below 0x80, (x - n) & ~x has its high bit set in some byte exactly
 * when some byte is below n (the usual "has a zero byte" test, n = 1,
 * after an XOR for the quote and the backslash).
 */
static int
jsonparse_plain8(const unsigned char *p)
{
	const uint64_t	ones = 0x0101010101010101ULL;
	const uint64_t	highs = 0x8080808080808080ULL;
	uint64_t	v, q, b;

	memcpy(&v, p, sizeof v);
	if (v & highs)
		return 0;
	q = v ^ (ones * '"');
	b = v ^ (ones * '\\');
	return ((((v - ones * 0x20) & ~v) | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & highs) == 0;
}

/* A string; s->p is on its opening quote. */
static int
jsonparse_string(struct jsonparse_scan *s)
{
	size_t	i;

	s->p++;
	for (;;) {
		/* The common run of plain ASCII, eight bytes at a time, then
		 * byte by byte. */
		while (s->end - s->p >= 8 && jsonparse_plain8(s->p))
			s->p += 8;
		while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 &&
		    *s->p != '"' && *s->p != '\\')
			s->p++;
		if (s->p == s->end)
			return jsonparse_fail(s, "unterminated string");
		if (*s->p == '"') {
			s->p++;
			return 0;
		}
		if (*s->p < 0x20)
			return jsonparse_fail(s,
			    "control character in a string");
		if (*s->p >= 0x80) {
			if (jsonparse_utf8(s) == -1)
				return -1;
			continue;
		}
		/* A backslash. */
		if (s->end - s->p < 2)
			return jsonparse_fail(s, "unterminated string");
		switch (s->p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			s->p += 2;
			break;
		case 'u':
			if (s->end - s->p < 6)
				return jsonparse_fail(s, "bad \\u escape");
			for (i = 2; i < 6; i++) {
				if (!jsonparse_hex(s->p[i]))
					return jsonparse_fail(s,
					    "bad \\u escape");
			}
			s->p += 6;
			break;
		default:
			return jsonparse_fail(s, "bad escape in a string");
		}
	}
}

static size_t
jsonparse_digits(struct jsonparse_scan *s)
{
	const unsigned char	*start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return (size_t)(s->p - start);
}

/*
 * A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.  json-c keeps
 * the text of a number with a fraction or exponent, but stores an integer
 * as int64 or uint64, clamping what does not fit and turning -0 into 0.
 */
static int
jsonparse_number(struct jsonparse_scan *s)
{
	const unsigned char	*digits;
	const char		*limit;
	size_t			 n, nlimit;
	int			 negative = 0, integer = 1;

	if (*s->p == '-') {
		negative = 1;
		s->p++;
	}
	digits = s->p;
	if (s->p < s->end && *s->p == 'I')
		return jsonparse_fail(s, "Infinity is not JSON");
	if ((n = jsonparse_digits(s)) == 0)
		return jsonparse_fail(s, "not JSON");
	if (n > 1 && digits[0] == '0')
		return jsonparse_fail(s, "number with a leading zero");
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		integer = 0;
		if (jsonparse_digits(s) == 0)
			return jsonparse_fail(s, "number without a fraction");
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		integer = 0;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (jsonparse_digits(s) == 0)
			return jsonparse_fail(s, "number without an exponent");
	}
	if (!integer)
		return 0;
	if (negative && n == 1 && digits[0] == '0')
		return jsonparse_fail(s, "integer -0");
	limit = negative ? JSONPARSE_INT_MIN_DIGITS : JSONPARSE_UINT_MAX_DIGITS;
	nlimit = strlen(limit);
	if (n > nlimit || (n == nlimit && memcmp(digits, limit, n) > 0))
		return jsonparse_fail(s, "integer out of 64-bit range");
	return 0;
}

static int
jsonparse_word(struct jsonparse_scan *s, const char *word)
{
	size_t	n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return jsonparse_fail(s, "not JSON");
	s->p += n;
	return 0;
}

/* An array or object; s->p is on its opening bracket. */
static int
jsonparse_container(struct jsonparse_scan *s, int depth)
{
	unsigned char	close = *s->p == '[' ? ']' : '}';

	if (depth > JSONPARSE_MAX_DEPTH)
		return jsonparse_fail(s, "nested too deeply");
	s->p++;
	jsonparse_space(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (s->p == s->end || *s->p != '"')
				return jsonparse_fail(s, "not JSON");
			if (jsonparse_string(s) == -1)
				return -1;
			jsonparse_space(s);
			if (s->p == s->end || *s->p != ':')
				return jsonparse_fail(s, "not JSON");
			s->p++;
			jsonparse_space(s);
		}
		if (jsonparse_value(s, depth) == -1)
			return -1;
		jsonparse_space(s);
		if (s->p == s->end)
			return jsonparse_fail(s, "truncated");
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return jsonparse_fail(s, "not JSON");
		s->p++;
		jsonparse_space(s);
	}
}

/* One value at the given nesting depth (0 outside any container). */
static int
jsonparse_value(struct jsonparse_scan *s, int depth)
{
	if (s->p == s->end)
		return jsonparse_fail(s, "truncated");
	switch (*s->p) {
	case '{':
	case '[':
		return jsonparse_container(s, depth + 1);
	case '"':
		return jsonparse_string(s);
	case 't':
		return jsonparse_word(s, "true");
	case 'f':
		return jsonparse_word(s, "false");
	case 'n':
		return jsonparse_word(s, "null");
	/* Named: Python's json.dumps writes them by default, and the cause
	 * reaches the client whose request such an answer was for. */
	case 'N':
		return jsonparse_fail(s, "NaN is not JSON");
	case 'I':
		return jsonparse_fail(s, "Infinity is not JSON");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return jsonparse_number(s);
		return jsonparse_fail(s, "not JSON");
	}
}

json_object *
jsonparse_strict(const char *p, size_t len, const char **cause)
{
	struct jsonparse_scan	 s;
	json_object		*msg;

	s.p = (const unsigned char *)p;
	s.end = s.p + len;
	s.cause = NULL;
	if (len > JSONPARSE_MAX_LEN) {
		s.cause = "too long";
		goto fail;
	}
	jsonparse_space(&s);
	if (jsonparse_value(&s, 0) == -1)
		goto fail;
	jsonparse_space(&s);
	if (s.p != s.end) {
		s.cause = "more than one JSON value";
		goto fail;
	}

	if (jsonparse_tok == NULL) {
		/* json-c counts a scalar inside the innermost container as
		 * one more level. */
		if ((jsonparse_tok =
		    json_tokener_new_ex(JSONPARSE_MAX_DEPTH + 1)) == NULL)
			fatalx("json_tokener_new_ex");
		json_tokener_set_flags(jsonparse_tok, JSON_TOKENER_STRICT);
	} else
		json_tokener_reset(jsonparse_tok);
	msg = json_tokener_parse_ex(jsonparse_tok, p, (int)len);
	/* A number at the very end may go on as far as json-c knows: the
	 * terminating NUL tells it the text is over. */
	if (msg == NULL && json_tokener_get_error(jsonparse_tok) ==
	    json_tokener_continue)
		msg = json_tokener_parse_ex(jsonparse_tok, "", 1);
	if (msg == NULL ||
	    json_tokener_get_error(jsonparse_tok) != json_tokener_success) {
		/*
		 * The grammar passed, so json-c disagrees (a version that is
		 * stricter still).  Whatever state the tokener kept (0.16
		 * keeps a dangling high surrogate across a reset), throw it
		 * away.
		 */
		json_object_put(msg);
		json_tokener_free(jsonparse_tok);
		jsonparse_tok = NULL;
		s.cause = "not JSON";
		goto fail;
	}
	return msg;

fail:
	if (cause != NULL)
		*cause = s.cause;
	return NULL;
}
