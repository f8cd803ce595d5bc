/* SPDX-License-Identifier: ISC */
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
 *
 * Integers past 64 bits are valid JSON (a tool result may hold a uint256
 * balance), so they are not refused but mended: the scan notes where they
 * are, and after json-c has clamped them each is replaced by a number
 * that writes the original digits.  That number is a json-c double, so
 * jsonrpc.c never takes it for an integer id.
 *
 * json-c also rewrites a lone UTF-16 surrogate (\ud800) to U+FFFD.  In an
 * ordinary string that is kept (JavaScript servers cut strings between
 * the halves of a pair), but in an id it would change the id the answer
 * carries and make distinct ids collide, so there it is refused.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonparse.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

/* json_tokener_parse_ex takes an int length. */
#define JSONPARSE_MAX_LEN	((size_t)INT_MAX)

/* The integers json-c keeps exactly: int64 below zero, uint64 above. */
#define JSONPARSE_INT_MIN_DIGITS	"9223372036854775808"
#define JSONPARSE_UINT_MAX_DIGITS	"18446744073709551615"

/* An integer json-c clamps: the how-manieth value it is, and its text. */
struct jsonparse_big {
	size_t			 ordinal;
	const unsigned char	*text;
	size_t			 len;
};

struct jsonparse_scan {
	const unsigned char	*p;
	const unsigned char	*end;
	const char		*cause;
	unsigned char		 top;	/* first byte of the whole value */
	int			 dx;	/* a string had a \uDxxx escape */
	/* a \u0000 or \uDxxx escape, or a number with a fraction or
	 * exponent: json-c builds the tree (jsonparse_build leaves those
	 * to it) */
	int			 slow;
	size_t			 values; /* values so far, in document order */
	/*
	 * jsonparse_request: whether the last "method" member said
	 * "tools/call", and the last "arguments" object of the top "params"
	 * that may stay raw (NULL if none, or after one that may not:
	 * hold_refused), its length, and whether it alone was slow (not
	 * counted in slow while it is held).
	 */
	int			 request;
	int			 tools_call;
	int			 hold_refused;
	int			 hold_slow;
	const unsigned char	*hold;
	size_t			 hold_len;
	size_t			 nbig;
	struct jsonparse_big	 big[JSONPARSE_MAX_BIG_INTEGERS];
};

/* The values of a parsed tree in document order, as the scan saw them. */
struct jsonparse_walk {
	const struct jsonparse_scan	*s;
	size_t				 ordinal;
	size_t				 next;	/* in s->big */
};

/*
 * One tokener for the life of the process: making one allocates and
 * clears its parse stack, which costs more than parsing a typical
 * message.  Only one text is parsed at a time.
 */
static struct json_tokener	*jsonparse_tok;

static int	jsonparse_value(struct jsonparse_scan *, int);
static int	jsonparse_request_member(struct jsonparse_scan *,
		    const unsigned char *, size_t, int);

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

/* The code unit of the \uXXXX escape at p (six bytes there), or -1. */
static long
jsonparse_unit(const unsigned char *p)
{
	long	v = 0;
	int	i;

	if (p[0] != '\\' || p[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		if (!jsonparse_hex(p[i]))
			return -1;
		v = v * 16 + (p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' +
		    10);
	}
	return v;
}

/*
 * 1 if the string from p (after its opening quote) to end (its closing
 * quote), grammar already checked, has a \u escape of a UTF-16 surrogate
 * that is not a high one right before a low one: json-c would write
 * U+FFFD in its place.
 */
static int
jsonparse_lone(const unsigned char *p, const unsigned char *end)
{
	long	unit, low;

	while (p < end) {
		if (*p != '\\') {
			p++;
			continue;
		}
		if (p[1] != 'u') {
			p += 2;
			continue;
		}
		unit = jsonparse_unit(p);
		p += 6;
		if (unit >= 0xdc00 && unit <= 0xdfff)
			return 1;
		if (unit >= 0xd800 && unit <= 0xdbff) {
			if (end - p < 6 || (low = jsonparse_unit(p)) < 0xdc00 ||
			    low > 0xdfff)
				return 1;
			p += 6;
		}
	}
	return 0;
}

int
jsonparse_lone_surrogate(const char *p, size_t len)
{
	return jsonparse_lone((const unsigned char *)p,
	    (const unsigned char *)p + len);
}

/*
 * 1 if the n raw bytes of a member name (between its quotes, grammar
 * already checked) spell "id", escapes decoded.  At most 12 bytes can.
 */
static int
jsonparse_key_is_id(const unsigned char *p, size_t n)
{
	char	key[2];
	size_t	k = 0, i = 0;
	long	u;

	if (n == 2)
		return p[0] == 'i' && p[1] == 'd';
	if (n > 12)
		return 0;
	while (i < n) {
		if (k == sizeof key)
			return 0;
		if (p[i] != '\\')
			key[k++] = (char)p[i++];
		else if (n - i >= 6 && (u = jsonparse_unit(p + i)) != -1 &&
		    u < 0x80) {
			key[k++] = (char)u;
			i += 6;
		} else
			return 0;
	}
	return k == 2 && key[0] == 'i' && key[1] == 'd';
}

/*
 * The bytes of the eight at p that end a plain run in a string (a
 * non-ASCII byte, a control character, a quote or a backslash): a mask
 * with the high bit of each such byte's place set, the byte at p in the
 * lowest place; 0 if none.  For a byte below 0x80, (x - n) & ~x has its
 * high bit set when the byte is below n (the usual "has a zero byte"
 * test, n = 1, after an XOR for the quote and the backslash); a borrow
 * only ever moves up, so the lowest bit set is exact, the ones above it
 * need not be.
 */
static inline uint64_t
jsonparse_stop8(const unsigned char *p)
{
	const uint64_t	ones = 0x0101010101010101ULL;
	const uint64_t	highs = 0x8080808080808080ULL;
	uint64_t	v, q, b;

	/* In this order whatever the machine's: one load where it is
	 * little-endian. */
	v = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
	q = v ^ (ones * '"');
	b = v ^ (ones * '\\');
	return (v | ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & highs;
}

/* A string; s->p is on its opening quote. */
static int
jsonparse_string(struct jsonparse_scan *s)
{
	size_t		i, n;
	uint64_t	stop;

	s->p++;
	for (;;) {
		/* The common run of plain ASCII, eight bytes at a time up to
		 * the byte that ends it, then (the last few) byte by byte. */
		while (s->end - s->p >= 8) {
			if ((stop = jsonparse_stop8(s->p)) != 0) {
				s->p += __builtin_ctzll(stop) / 8;
				break;
			}
			s->p += 8;
		}
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
			if ((n = utf8_len(s->p, (size_t)(s->end - s->p))) == 0)
				return jsonparse_fail(s, "invalid UTF-8");
			s->p += n;
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
			/* \uDxxx may be a surrogate: an id is looked at
			 * again (jsonparse_lone). */
			if ((s->p[2] | 0x20) == 'd')
				s->dx = s->slow = 1;
			else if (memcmp(s->p + 2, "0000", 4) == 0)
				s->slow = 1;
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
 * as int64 or uint64, clamping what does not fit (noted, to be mended)
 * and turning -0 into 0 (refused).
 */
static int
jsonparse_number(struct jsonparse_scan *s)
{
	const unsigned char	*digits, *start = s->p;
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
	if (!integer) {
		s->slow = 1;
		return 0;
	}
	if (negative && n == 1 && digits[0] == '0')
		return jsonparse_fail(s, "integer -0");
	limit = negative ? JSONPARSE_INT_MIN_DIGITS : JSONPARSE_UINT_MAX_DIGITS;
	nlimit = strlen(limit);
	if (n < nlimit || (n == nlimit && memcmp(digits, limit, n) <= 0))
		return 0;
	if (s->nbig == JSONPARSE_MAX_BIG_INTEGERS)
		return jsonparse_fail(s, "too many integers past 64 bits");
	s->big[s->nbig].ordinal = s->values - 1;
	s->big[s->nbig].text = start;
	s->big[s->nbig].len = (size_t)(s->p - start);
	s->nbig++;
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

/*
 * Into an object, s->p on its brace: counted as a value, white space
 * after the brace skipped; 1 if it is empty (and then passed whole).
 */
static inline int
jsonparse_object_open(struct jsonparse_scan *s)
{
	s->values++;
	s->p++;
	jsonparse_space(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 1;
	}
	return 0;
}

/*
 * After a member or element of a container that close closes: 1 past
 * close, 0 past a comma (and the white space after it), -1 if neither
 * follows.
 */
static inline int
jsonparse_member_end(struct jsonparse_scan *s, unsigned char close)
{
	jsonparse_space(s);
	if (s->p == s->end)
		return jsonparse_fail(s, "truncated");
	if (*s->p == close) {
		s->p++;
		return 1;
	}
	if (*s->p != ',')
		return jsonparse_fail(s, "not JSON");
	s->p++;
	jsonparse_space(s);
	return 0;
}

/*
 * The members of a message, or of a message in a batch, after its
 * opening brace and white space: as in jsonparse_container, but the
 * string of an "id" member must not hold a lone surrogate.  Apart, and
 * never inlined, so that the loop every other value goes through does not
 * pay for it (inlined, it costs jsonparse_value two more saved registers
 * per call).
 */
static __attribute__((noinline)) int
jsonparse_message(struct jsonparse_scan *s, int depth)
{
	const unsigned char	*key, *value;
	size_t			 klen;
	int			 is_id, r;

	for (;;) {
		if (s->p == s->end || *s->p != '"')
			return jsonparse_fail(s, "not JSON");
		key = s->p + 1;
		if (jsonparse_string(s) == -1)
			return -1;
		klen = (size_t)(s->p - 1 - key);
		is_id = jsonparse_key_is_id(key, klen);
		jsonparse_space(s);
		if (s->p == s->end || *s->p != ':')
			return jsonparse_fail(s, "not JSON");
		s->p++;
		jsonparse_space(s);
		value = s->p;
		s->dx = 0;
		if (s->request && depth == 1)
			r = jsonparse_request_member(s, key, klen, depth);
		else
			r = jsonparse_value(s, depth);
		if (r == -1)
			return -1;
		if (is_id && s->dx && *value == '"' &&
		    jsonparse_lone(value + 1, s->p - 1))
			return jsonparse_fail(s, "lone surrogate in id");
		if ((r = jsonparse_member_end(s, '}')) != 0)
			return r == 1 ? 0 : -1;
	}
}

/* An array or object; s->p is on its opening bracket. */
static int
jsonparse_container(struct jsonparse_scan *s, int depth)
{
	unsigned char	close = *s->p == '[' ? ']' : '}';
	int		r;

	if (depth > JSONPARSE_MAX_DEPTH)
		return jsonparse_fail(s, "nested too deeply");
	s->p++;
	jsonparse_space(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	if (close == '}' && (depth == 1 || (depth == 2 && s->top == '[')))
		return jsonparse_message(s, depth);
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
		if ((r = jsonparse_member_end(s, close)) != 0)
			return r == 1 ? 0 : -1;
	}
}

/* 1 if the n bytes at p hold a line break: a child reads one message a
 * line. */
static int
jsonparse_has_eol(const unsigned char *p, size_t n)
{
	return memchr(p, '\n', n) != NULL || memchr(p, '\r', n) != NULL;
}

/*
 * Most members an object of held arguments may have (jsonparse_names_one):
 * past it they are built, their names compared by json-c.
 */
#define JSONPARSE_HOLD_MEMBERS	32

/*
 * 1 if the value at *pp (its grammar checked; *pp moved past it) has one
 * meaning for every reader: in each object, names written without escapes
 * (one may hide a NUL, where json-c cuts a name, or spell another name
 * again), no two alike (json-c keeps the last, a child's parser may keep
 * the first: the bridge's checks would read another value than the
 * child), and at most JSONPARSE_HOLD_MEMBERS members.  Its depth is the
 * scan's, within JSONPARSE_MAX_DEPTH.
 */
static int
jsonparse_names_one(const unsigned char **pp)
{
	const unsigned char	*p = *pp, *name[JSONPARSE_HOLD_MEMBERS];
	size_t			 len[JSONPARSE_HOLD_MEMBERS], n = 0, i;
	int			 object = *p == '{';

	if (*p == '"') {
		for (p++; *p != '"'; p++)
			if (*p == '\\')
				p++;	/* the escaped byte (or u) */
		*pp = p + 1;
		return 1;
	}
	if (*p != '{' && *p != '[') {
		while (*p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
		    *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		*pp = p;
		return 1;
	}
	for (p++;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == ',')
			p++;
		if (*p == '}' || *p == ']')
			break;
		if (object) {
			if (n == JSONPARSE_HOLD_MEMBERS)
				return 0;
			name[n] = ++p;
			while (*p != '"' && *p != '\\')
				p++;
			if (*p == '\\')
				return 0;
			len[n] = (size_t)(p - name[n]);
			for (i = 0; i < n; i++)
				if (len[i] == len[n] &&
				    memcmp(name[i], name[n], len[n]) == 0)
					return 0;
			n++;
			for (p++; *p != ':'; p++)
				;
			for (p++; *p == ' ' || *p == '\t' || *p == '\n' ||
			    *p == '\r'; p++)
				;
		}
		if (!jsonparse_names_one(&p))
			return 0;
	}
	*pp = p + 1;
	return 1;
}

/*
 * The "arguments" member of a request's params, its value on s->p
 * (jsonparse_params): scanned as any value at depth, and noted as the
 * one to hold raw if nothing in it needs the tree's mending or would
 * change on the way: no integer past 64 bits (mended), no \uDxxx escape
 * (json-c would rewrite a lone surrogate) and no line break in its white
 * space (the child's framing), and its member names read alike by all
 * (jsonparse_names_one).  A second "arguments" (json-c keeps the last)
 * holds none.
 */
static int
jsonparse_arguments(struct jsonparse_scan *s, int depth)
{
	const unsigned char	*value = s->p, *walk = s->p;
	size_t			 nbig = s->nbig;
	int			 slow = s->slow, own;

	s->dx = s->slow = 0;
	if (jsonparse_value(s, depth) == -1)
		return -1;
	own = s->slow;
	s->slow = slow;
	if (*value != '{' || s->hold != NULL || s->hold_refused ||
	    s->nbig != nbig || s->dx ||
	    jsonparse_has_eol(value, (size_t)(s->p - value)) ||
	    !jsonparse_names_one(&walk)) {
		/* Built after all: whatever was slow in it counts. */
		s->slow |= own | (s->hold != NULL ? s->hold_slow : 0);
		s->hold = NULL;
		s->hold_refused = 1;
		return 0;
	}
	s->hold = value;
	s->hold_len = (size_t)(s->p - value);
	s->hold_slow = own;
	return 0;
}

/*
 * The "params" object of a request (jsonparse_request), at depth: as
 * jsonparse_container scans an object, its "arguments" member apart.
 * Never inlined, as jsonparse_message.
 */
static __attribute__((noinline)) int
jsonparse_params(struct jsonparse_scan *s, int depth)
{
	const unsigned char	*key;
	int			 r;

	if (jsonparse_object_open(s))
		return 0;		/* {} */
	for (;;) {
		if (s->p == s->end || *s->p != '"')
			return jsonparse_fail(s, "not JSON");
		key = s->p + 1;
		if (jsonparse_string(s) == -1)
			return -1;
		r = s->p - 1 - key == 9 && memcmp(key, "arguments", 9) == 0;
		jsonparse_space(s);
		if (s->p == s->end || *s->p != ':')
			return jsonparse_fail(s, "not JSON");
		s->p++;
		jsonparse_space(s);
		if ((r ? jsonparse_arguments(s, depth) :
		    jsonparse_value(s, depth)) == -1)
			return -1;
		if ((r = jsonparse_member_end(s, '}')) != 0)
			return r == 1 ? 0 : -1;
	}
}

/*
 * The value of the member named key (klen bytes, as written) of a request
 * (jsonparse_request), at depth 1, on s->p: "params" and "method" noted.
 * Apart, and never inlined, so that jsonparse_message pays for requests
 * one test.
 */
static __attribute__((noinline)) int
jsonparse_request_member(struct jsonparse_scan *s, const unsigned char *key,
    size_t klen, int depth)
{
	const unsigned char	*value = s->p;

	/* Names compared as written: one spelt with escapes holds none. */
	if (klen == 6 && s->p < s->end && *s->p == '{' &&
	    memcmp(key, "params", 6) == 0)
		return jsonparse_params(s, depth + 1);
	if (jsonparse_value(s, depth) == -1)
		return -1;
	if (klen == 6 && memcmp(key, "method", 6) == 0)
		s->tools_call = s->p - value == 12 &&
		    memcmp(value, "\"tools/call\"", 12) == 0;
	/* A name spelt with escapes (five bytes more than its letters at
	 * least) may be "method" again: unsure, so nothing held. */
	else if (klen >= 11 && memchr(key, '\\', klen) != NULL)
		s->hold_refused = 1;
	return 0;
}

/* One value at the given nesting depth (0 outside any container). */
static int
jsonparse_value(struct jsonparse_scan *s, int depth)
{
	if (s->p == s->end)
		return jsonparse_fail(s, "truncated");
	s->values++;
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

/*
 * A number writing the digits of b, in place of the integer json-c made
 * of them; o must be that integer, clamped to the bound on b's side.
 */
static json_object *
jsonparse_big_new(const struct jsonparse_big *b, json_object *o)
{
	json_object	*n;
	char		*text;

	if (!json_object_is_type(o, json_type_int) || (b->text[0] == '-' ?
	    json_object_get_int64(o) != INT64_MIN :
	    json_object_get_uint64(o) != UINT64_MAX))
		return NULL;
	text = xstrndup((const char *)b->text, b->len);
	if ((n = json_object_new_double_s(strtod(text, NULL), text)) == NULL)
		fatalx("json_object_new_double_s");
	free(text);
	return n;
}

/*
 * Walks o and what it holds in document order (json-c keeps members in
 * the order they came), numbering the values as the scan did, and sets
 * *mended to what replaces o if it is the next integer to mend.  -1 if
 * the numbers disagree.
 */
static int
jsonparse_mend(struct jsonparse_walk *w, json_object *o, json_object **mended)
{
	struct json_object_iter	 it;
	json_object		*n;
	size_t			 i, len;

	*mended = NULL;
	if (w->next < w->s->nbig && w->s->big[w->next].ordinal ==
	    w->ordinal) {
		w->ordinal++;
		if ((*mended = jsonparse_big_new(&w->s->big[w->next],
		    o)) == NULL)
			return -1;
		w->next++;
		return 0;
	}
	w->ordinal++;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreachC(o, it) {
			if (jsonparse_mend(w, it.val, &n) == -1)
				return -1;
			/* Replaces the value in place, key and order kept. */
			if (n != NULL &&
			    json_object_object_add(o, it.key, n) != 0)
				fatalx("json_object_object_add");
		}
	} else if (json_object_is_type(o, json_type_array)) {
		len = json_object_array_length(o);
		for (i = 0; i < len; i++) {
			if (jsonparse_mend(w, json_object_array_get_idx(o, i),
			    &n) == -1)
				return -1;
			if (n != NULL &&
			    json_object_array_put_idx(o, i, n) != 0)
				fatalx("json_object_array_put_idx");
		}
	}
	return 0;
}

/* How many values o is, with what it holds (the scan's count when no
 * object had a member name twice). */
static size_t
jsonparse_count(json_object *o)
{
	struct json_object_iter	 it;
	size_t			 i, len, n = 1;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreachC(o, it)
			n += jsonparse_count(it.val);
	} else if (json_object_is_type(o, json_type_array)) {
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += jsonparse_count(json_object_array_get_idx(o, i));
	}
	return n;
}

static size_t	 jsonparse_nul_names(const char *, size_t);
static json_object	*jsonparse_run(const char *, size_t, const char **,
			    int, jsonparse_hold_fn);

/* The largest id jsonparse_answer takes: 2^53 - 1, what every JSON
 * reader keeps exactly. */
#define JSONPARSE_ANSWER_ID_MAX	9007199254740991LL

/* s->p on a value: a plain positive integer id (no sign, fraction,
 * exponent or leading zero), at most JSONPARSE_ANSWER_ID_MAX; -1 if not. */
static int64_t
jsonparse_answer_id(struct jsonparse_scan *s)
{
	int64_t	v = 0;

	if (s->p == s->end || *s->p < '1' || *s->p > '9')
		return -1;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		v = v * 10 + (*s->p++ - '0');
		if (v > JSONPARSE_ANSWER_ID_MAX)
			return -1;
	}
	if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
		return -1;
	return v;
}

/*
 * s->p on the result value: checked as jsonparse_strict checks a member
 * of a message (depth 1); an object's own members are walked here, to
 * refuse a "task" member.  0 if it is fine, -1 if not or not sure.
 */
static int
jsonparse_answer_result(struct jsonparse_scan *s)
{
	const unsigned char	*key;

	s->dx = 0;
	if (*s->p != '{') {
		if (jsonparse_value(s, 1) == -1 || s->dx)
			return -1;
		return 0;
	}
	if (jsonparse_object_open(s))
		return 0;		/* {} */
	for (;;) {
		if (s->p == s->end || *s->p != '"')
			return -1;
		key = s->p + 1;
		if (jsonparse_string(s) == -1)
			return -1;
		/* Spelled with escapes, it would still be "task": unsure. */
		if ((s->p - 1 - key == 4 && memcmp(key, "task", 4) == 0) ||
		    memchr(key, '\\', (size_t)(s->p - 1 - key)) != NULL)
			return -1;
		jsonparse_space(s);
		if (s->p == s->end || *s->p != ':')
			return -1;
		s->p++;
		jsonparse_space(s);
		if (jsonparse_value(s, 2) == -1)
			return -1;
		jsonparse_space(s);
		if (s->p == s->end)
			return -1;
		if (*s->p == '}') {
			s->p++;
			break;
		}
		if (*s->p != ',')
			return -1;
		s->p++;
		jsonparse_space(s);
	}
	return s->dx ? -1 : 0;
}

#define JSONPARSE_A_JSONRPC	0x1
#define JSONPARSE_A_ID		0x2
#define JSONPARSE_A_RESULT	0x4

int
jsonparse_answer(const char *p, size_t len, struct jsonparse_answer *a)
{
	struct jsonparse_scan	 s;
	const unsigned char	*key, *v;
	size_t			 klen;
	unsigned		 seen = 0;

	s.p = (const unsigned char *)p;
	s.end = s.p + len;
	s.cause = NULL;
	s.top = '{';
	s.values = s.nbig = 0;
	s.dx = s.slow = 0;
	s.request = 0;
	s.hold = NULL;
	if (len > JSONPARSE_MAX_LEN)
		return 0;
	jsonparse_space(&s);
	if (s.p == s.end || *s.p != '{')
		return 0;
	s.p++;
	jsonparse_space(&s);
	for (;;) {
		if (s.p == s.end || *s.p != '"')
			return 0;
		key = s.p + 1;
		if (jsonparse_string(&s) == -1)
			return 0;
		klen = (size_t)(s.p - 1 - key);
		jsonparse_space(&s);
		if (s.p == s.end || *s.p != ':')
			return 0;
		s.p++;
		jsonparse_space(&s);
		v = s.p;
		/* Names compared as written: one with an escape is unsure. */
		if (klen == 7 && memcmp(key, "jsonrpc", 7) == 0 &&
		    !(seen & JSONPARSE_A_JSONRPC)) {
			if (s.end - s.p < 5 || memcmp(s.p, "\"2.0\"", 5) != 0)
				return 0;
			s.p += 5;
			seen |= JSONPARSE_A_JSONRPC;
		} else if (klen == 2 && memcmp(key, "id", 2) == 0 &&
		    !(seen & JSONPARSE_A_ID)) {
			if ((a->id = jsonparse_answer_id(&s)) == -1)
				return 0;
			seen |= JSONPARSE_A_ID;
		} else if (klen == 6 && memcmp(key, "result", 6) == 0 &&
		    !(seen & JSONPARSE_A_RESULT)) {
			if (s.p == s.end || jsonparse_answer_result(&s) == -1)
				return 0;
			a->result_off = (size_t)(v - (const unsigned char *)p);
			a->result_len = (size_t)(s.p - v);
			seen |= JSONPARSE_A_RESULT;
		} else
			return 0;	/* another member, or one again */
		jsonparse_space(&s);
		if (s.p == s.end)
			return 0;
		if (*s.p == '}') {
			s.p++;
			break;
		}
		if (*s.p != ',')
			return 0;
		s.p++;
		jsonparse_space(&s);
	}
	jsonparse_space(&s);
	/* An integer past 64 bits is mended in full, and refused beside a
	 * duplicate member, which this scan does not look for: unsure. */
	if (s.p != s.end || s.nbig > 0 || seen != (JSONPARSE_A_JSONRPC |
	    JSONPARSE_A_ID | JSONPARSE_A_RESULT))
		return 0;
	return 1;
}

/*
 * The tree of a text the scan took, built here rather than by json-c's
 * tokener (issue 20: the tokener's state machine, its copies of every
 * member name and its number parsing cost more than the objects it
 * makes).  It makes what json-c 0.16 makes of the same text: the same
 * types (an integer above INT64_MAX a uint64, any other an int64), the
 * same strings (a \u escape in UTF-8), members in document order, and
 * of a member name given twice the first place with the last value.
 * Only the plain cases: a \uDxxx escape (surrogates, which json-c pairs
 * or replaces), \u0000, a number with a fraction or an exponent (json-c
 * keeps its text) and an integer past 64 bits (mended) are left to
 * json-c, whose tree the scan's flags send there (jsonparse_run).  The
 * grammar is checked already, so this walk trusts it.
 */

/* Member names common in MCP messages: passed to json-c as constants,
 * never copied or freed.  By length, then first byte. */
struct jsonparse_name {
	const char	*name;
	size_t		 len;
};
#define JSONPARSE_NAME(s)	{ s, sizeof s - 1 }
static const struct jsonparse_name jsonparse_names[] = {
	JSONPARSE_NAME("id"), JSONPARSE_NAME("uri"),
	JSONPARSE_NAME("code"), JSONPARSE_NAME("data"),
	JSONPARSE_NAME("name"), JSONPARSE_NAME("type"),
	JSONPARSE_NAME("text"), JSONPARSE_NAME("_meta"),
	JSONPARSE_NAME("error"), JSONPARSE_NAME("method"),
	JSONPARSE_NAME("params"), JSONPARSE_NAME("result"),
	JSONPARSE_NAME("cursor"), JSONPARSE_NAME("jsonrpc"),
	JSONPARSE_NAME("message"), JSONPARSE_NAME("content"),
	JSONPARSE_NAME("isError"), JSONPARSE_NAME("version"),
	JSONPARSE_NAME("arguments"), JSONPARSE_NAME("clientInfo"),
	JSONPARSE_NAME("capabilities"), JSONPARSE_NAME("progressToken"),
	JSONPARSE_NAME("protocolVersion"),
};

/*
 * The scratch bytes a string with escapes is decoded into (never more
 * than the string's text, so bounded by the text's own limit): kept for
 * the next text up to JSONPARSE_SCRATCH_KEEP, a larger one freed after
 * the text that needed it.
 */
#define JSONPARSE_SCRATCH_MIN	256
#define JSONPARSE_SCRATCH_KEEP	(64 * 1024)
/* A new member's name is compared with those before it up to this many
 * members; past them json-c looks it up in its table. */
#define JSONPARSE_LINEAR_MEMBERS	8

struct jsonparse_build {
	const unsigned char	*p;
	const unsigned char	*end;	/* the text's */
	char			*buf;	/* scratch, cap bytes */
	size_t			 cap;
	/* The object held as it is written (jsonparse_request), or NULL:
	 * where it starts, its length, what makes its value. */
	const unsigned char	*hold;
	size_t			 hold_len;
	jsonparse_hold_fn	 hold_new;
};

static json_object	*jsonparse_build_value(struct jsonparse_build *);

static char *
jsonparse_scratch(struct jsonparse_build *b, size_t need)
{
	if (need > b->cap) {
		b->cap = need < JSONPARSE_SCRATCH_MIN ? JSONPARSE_SCRATCH_MIN :
		    need;
		b->buf = xrealloc(b->buf, b->cap);
	}
	return b->buf;
}

static void
jsonparse_build_space(struct jsonparse_build *b)
{
	while (*b->p == ' ' || *b->p == '\t' || *b->p == '\n' ||
	    *b->p == '\r')
		b->p++;
}

/*
 * The string b->p is on (its opening quote), decoded: *len bytes at the
 * pointer returned, in the text itself when it has no escape, else in the
 * scratch (NUL-terminated there).  b->p ends past the closing quote.
 */
static const char *
jsonparse_build_string(struct jsonparse_build *b, size_t *len)
{
	const unsigned char	*start = b->p + 1, *q, *bs;
	char			*out;
	size_t			 n = 0;
	unsigned		 u;

	/* The first quote ends it unless a backslash came before it. */
	q = memchr(start, '"', (size_t)(b->end - start));
	if ((bs = memchr(start, '\\', (size_t)(q - start))) == NULL) {
		b->p = q + 1;
		*len = (size_t)(q - start);
		return (const char *)start;
	}
	/* Escapes (a \u one neither U+0000 nor a surrogate: jsonparse_run
	 * sends those to json-c).  The decoded string is never longer than
	 * its text: a \u escape's six bytes are at most three. */
	q = bs;
	while (*q != '"')
		q += *q == '\\' ? 2 : 1;
	out = jsonparse_scratch(b, (size_t)(q - start) + 1);
	memcpy(out, start, (size_t)(bs - start));
	n = (size_t)(bs - start);
	for (q = bs; *q != '"'; q++) {
		if (*q != '\\') {
			out[n++] = (char)*q;
			continue;
		}
		switch (*++q) {
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u':
			u = (unsigned)jsonparse_unit(q - 1);
			q += 4;
			if (u < 0x80)
				out[n++] = (char)u;
			else if (u < 0x800) {
				out[n++] = (char)(0xc0 | u >> 6);
				out[n++] = (char)(0x80 | (u & 0x3f));
			} else {
				out[n++] = (char)(0xe0 | u >> 12);
				out[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
				out[n++] = (char)(0x80 | (u & 0x3f));
			}
			break;
		default: out[n++] = (char)*q; break;	/* " \ / */
		}
	}
	out[n] = '\0';
	b->p = q + 1;
	*len = n;
	return out;
}

/* An integer (grammar checked, within 64 bits: the scan found none
 * past them), as json-c types it. */
static json_object *
jsonparse_build_integer(struct jsonparse_build *b)
{
	uint64_t	v = 0;
	int		negative = 0;
	json_object	*o;

	if (*b->p == '-') {
		negative = 1;
		b->p++;
	}
	while (*b->p >= '0' && *b->p <= '9')
		v = v * 10 + (uint64_t)(*b->p++ - '0');
	if (negative)	/* v <= 2^63 */
		o = json_object_new_int64(v == 0 ? 0 : -(int64_t)(v - 1) - 1);
	else if (v <= INT64_MAX)
		o = json_object_new_int64((int64_t)v);
	else
		o = json_object_new_uint64(v);
	if (o == NULL)
		fatalx("json_object_new_int64");
	return o;
}

/* The constant for a common member name, or NULL. */
static const char *
jsonparse_build_name(const char *key, size_t len)
{
	const struct jsonparse_name	*n;
	size_t				 i;

	for (i = 0; i < sizeof jsonparse_names / sizeof *n; i++) {
		n = &jsonparse_names[i];
		if (n->len > len)
			break;
		if (n->len == len && n->name[0] == key[0] &&
		    memcmp(n->name, key, len) == 0)
			return n->name;
	}
	return NULL;
}

/* 1 if the object o (fewer than JSONPARSE_LINEAR_MEMBERS members) has
 * no member key. */
static int
jsonparse_build_new_key(json_object *o, const char *key)
{
	struct json_object_iter	it;

	/* The first byte first: a call to strcmp per member cost more
	 * than the rest of the check (issue 20). */
	json_object_object_foreachC(o, it) {
		if (it.key[0] == key[0] && strcmp(it.key, key) == 0)
			return 0;
	}
	return 1;
}

/* An object; b->p is past its opening brace. */
static json_object *
jsonparse_build_object(struct jsonparse_build *b)
{
	json_object	*o, *v;
	const char	*key, *name;
	char		 small[64], *heap;
	size_t		 len;
	unsigned	 opts;

	if ((o = json_object_new_object()) == NULL)
		fatalx("json_object_new_object");
	jsonparse_build_space(b);
	if (*b->p == '}') {
		b->p++;
		return o;
	}
	for (;;) {
		/* The name NUL-terminated for json-c (which copies it)
		 * before the value may reuse the scratch. */
		key = jsonparse_build_string(b, &len);
		heap = NULL;
		opts = 0;
		if ((name = jsonparse_build_name(key, len)) != NULL)
			opts |= JSON_C_OBJECT_KEY_IS_CONSTANT;
		else if (len < sizeof small) {
			memcpy(small, key, len);
			small[len] = '\0';
			name = small;
		} else
			name = heap = xstrndup(key, len);
		jsonparse_build_space(b);
		b->p++;				/* the colon */
		jsonparse_build_space(b);
		v = jsonparse_build_value(b);
		if (json_object_object_length(o) < JSONPARSE_LINEAR_MEMBERS &&
		    jsonparse_build_new_key(o, name))
			opts |= JSON_C_OBJECT_ADD_KEY_IS_NEW;
		if (json_object_object_add_ex(o, name, v, opts) != 0)
			fatalx("json_object_object_add_ex");
		free(heap);
		jsonparse_build_space(b);
		if (*b->p++ == '}')
			return o;
		jsonparse_build_space(b);	/* after the comma */
	}
}

/* An array; b->p is past its opening bracket. */
static json_object *
jsonparse_build_array(struct jsonparse_build *b)
{
	json_object	*a;

	if ((a = json_object_new_array()) == NULL)
		fatalx("json_object_new_array");
	jsonparse_build_space(b);
	if (*b->p == ']') {
		b->p++;
		return a;
	}
	for (;;) {
		if (json_object_array_add(a, jsonparse_build_value(b)) != 0)
			fatalx("json_object_array_add");
		jsonparse_build_space(b);
		if (*b->p++ == ']')
			return a;
		jsonparse_build_space(b);
	}
}

/* The value b->p is on; NULL for null, as json-c has it. */
static json_object *
jsonparse_build_value(struct jsonparse_build *b)
{
	json_object	*o;
	const char	*str;
	size_t		 len;

	switch (*b->p) {
	case '{':
		if (b->p == b->hold) {
			o = b->hold_new((const char *)b->p, b->hold_len);
			b->p += b->hold_len;
			return o;
		}
		b->p++;
		return jsonparse_build_object(b);
	case '[':
		b->p++;
		return jsonparse_build_array(b);
	case '"':
		str = jsonparse_build_string(b, &len);
		if (len == 3 && memcmp(str, "2.0", 3) == 0)
			return jsonparse_version();
		if ((o = json_object_new_string_len(str, (int)len)) == NULL)
			fatalx("json_object_new_string_len");
		return o;
	case 't':
	case 'f':
		b->p += *b->p == 't' ? 4 : 5;
		if ((o = json_object_new_boolean(b->p[-1] == 'e' &&
		    b->p[-2] == 'u')) == NULL)
			fatalx("json_object_new_boolean");
		return o;
	case 'n':
		b->p += 4;
		return NULL;
	default:
		return jsonparse_build_integer(b);
	}
}

json_object *
jsonparse_version(void)
{
	static json_object	*version;

	if (version == NULL &&
	    (version = json_object_new_string("2.0")) == NULL)
		fatalx("json_object_new_string");
	return json_object_get(version);
}

/*
 * The tree of the len bytes at p, one object or array (and white space)
 * the scan took whole: the walk never reads past the value's last byte.
 */
static json_object *
jsonparse_build(const char *p, size_t len, const struct jsonparse_scan *s,
    jsonparse_hold_fn hold_new)
{
	static char		*scratch;
	static size_t		 scratch_cap;
	struct jsonparse_build	 b;
	json_object		*o;

	b.p = (const unsigned char *)p;
	b.end = b.p + len;
	b.hold = s->hold;
	b.hold_len = s->hold_len;
	b.hold_new = hold_new;
	b.buf = scratch;
	b.cap = scratch_cap;
	jsonparse_build_space(&b);
	o = jsonparse_build_value(&b);
	if (b.cap > JSONPARSE_SCRATCH_KEEP) {
		free(b.buf);
		b.buf = NULL;
		b.cap = 0;
	}
	scratch = b.buf;
	scratch_cap = b.cap;
	return o;
}

json_object *
jsonparse_strict(const char *p, size_t len, const char **cause)
{
	return jsonparse_run(p, len, cause, 0, NULL);
}

json_object *
jsonparse_strict_unique(const char *p, size_t len, const char **cause)
{
	return jsonparse_run(p, len, cause, 1, NULL);
}

json_object *
jsonparse_request(const char *p, size_t len, const char **cause,
    jsonparse_hold_fn hold_new)
{
	return jsonparse_run(p, len, cause, 0, hold_new);
}

/* The causes of a refusal for the names of members, known by their
 * address (jsonparse_names_refused). */
static const char jsonparse_cause_dup_big[] =
    "duplicate member beside an integer past 64 bits";
static const char jsonparse_cause_dup[] =
    "a member name appears twice in one object";
static const char jsonparse_cause_nul[] =
    "a member name holds a NUL character";

int
jsonparse_names_refused(const char *cause)
{
	return cause == jsonparse_cause_dup_big ||
	    cause == jsonparse_cause_dup || cause == jsonparse_cause_nul;
}

/* hold_new NULL, or a request's tools/call arguments made by it
 * (jsonparse_request). */
static json_object *
jsonparse_run(const char *p, size_t len, const char **cause, int unique,
    jsonparse_hold_fn hold_new)
{
	struct jsonparse_scan	 s;
	struct jsonparse_walk	 w;
	json_object		*msg, *mended = NULL;

	s.p = (const unsigned char *)p;
	s.end = s.p + len;
	s.cause = NULL;
	s.top = 0;
	s.values = s.nbig = 0;
	s.slow = 0;
	s.request = hold_new != NULL;
	s.tools_call = s.hold_refused = s.hold_slow = 0;
	s.hold = NULL;
	s.hold_len = 0;
	if (len > JSONPARSE_MAX_LEN) {
		s.cause = "too long";
		goto fail;
	}
	jsonparse_space(&s);
	if (s.p < s.end)
		s.top = *s.p;
	if (jsonparse_value(&s, 0) == -1)
		goto fail;
	jsonparse_space(&s);
	if (s.p != s.end) {
		s.cause = "more than one JSON value";
		goto fail;
	}

	/* Arguments of another method (or where unsure) are built like
	 * the rest. */
	if (s.hold != NULL && (!s.tools_call || s.hold_refused)) {
		s.slow |= s.hold_slow;
		s.hold = NULL;
	}
	/* The common message: built here (no json-c tokener).  Only here is
	 * anything held: json-c's tree has it all. */
	if ((s.top == '{' || s.top == '[') && !s.slow && s.nbig == 0) {
		msg = jsonparse_build(p, len, &s, hold_new);
		goto built;
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
	if (s.nbig > 0) {
		/*
		 * Mended only if the tree holds every value the scan saw:
		 * a duplicate member (json-c keeps the last, where the first
		 * was) would move the integers to other places.
		 */
		w.s = &s;
		w.ordinal = w.next = 0;
		if (jsonparse_mend(&w, msg, &mended) == -1 ||
		    w.ordinal != s.values || w.next != s.nbig) {
			json_object_put(mended);
			json_object_put(msg);
			s.cause = jsonparse_cause_dup_big;
			goto fail;
		}
		if (mended != NULL) {
			json_object_put(msg);
			msg = mended;
		}
	}
built:
	/* json-c kept the last of two members of one name: the tree holds
	 * fewer values than the text. */
	if (unique && jsonparse_count(msg) != s.values) {
		json_object_put(msg);
		s.cause = jsonparse_cause_dup;
		goto fail;
	}
	/* json-c cut a name at its NUL ("a\u0000b" is "a"): what a person
	 * wrote is not what would be applied.  Only a \u0000 (s.slow) can
	 * make one. */
	if (unique && s.slow && jsonparse_nul_names(p, len) > 0) {
		json_object_put(msg);
		s.cause = jsonparse_cause_nul;
		goto fail;
	}
	return msg;

fail:
	if (cause != NULL)
		*cause = s.cause;
	return NULL;
}

/* A walk over a text for jsonparse_duplicates: where it is, what it has
 * found and whom it tells. */
struct jsonparse_dups {
	const unsigned char	*p;
	const unsigned char	*end;
	size_t			 found;
	size_t			 nuls;	/* names with a NUL, of found */
	void			(*cb)(const char *, const char *, void *);
	void			*arg;	/* cb NULL: only counted */
};

static void
jsonparse_dups_space(struct jsonparse_dups *d)
{
	while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' ||
	    *d->p == '\n' || *d->p == '\r'))
		d->p++;
}

/* From the opening quote to just past the closing one. */
static void
jsonparse_dups_string(struct jsonparse_dups *d)
{
	d->p++;
	while (d->p < d->end && *d->p != '"')
		d->p += *d->p == '\\' ? 2 : 1;
	if (d->p < d->end)
		d->p++;
}

/*
 * The value at d->p, whose path is path.  The grammar was checked, so the
 * walk only finds its way (nesting is bounded by JSONPARSE_MAX_DEPTH); an
 * object's names so far are kept in a json-c object, so that a name is
 * told apart exactly as json-c's tree tells it (decoded, a C string).
 */
static void
jsonparse_dups_value(struct jsonparse_dups *d, const char *path)
{
	json_object		*seen, *key;
	const unsigned char	*k;
	const char		*name;
	char			*sub, *shown;
	size_t			 i = 0, j, len;

	jsonparse_dups_space(d);
	if (d->p >= d->end)
		return;
	if (*d->p == '{' || *d->p == '[') {
		seen = *d->p == '{' ? json_object_new_object() : NULL;
		d->p++;
		for (;;) {
			jsonparse_dups_space(d);
			if (d->p >= d->end)
				break;
			if (*d->p == '}' || *d->p == ']') {
				d->p++;
				break;
			}
			if (*d->p == ',') {
				d->p++;
				continue;
			}
			key = NULL;
			if (seen != NULL) {
				k = d->p;
				jsonparse_dups_string(d);
				key = jsonparse_strict((const char *)k,
				    (size_t)(d->p - k), NULL);
				name = key != NULL ?
				    json_object_get_string(key) : "?";
				len = key != NULL ? (size_t)
				    json_object_get_string_len(key) : 1;
				/* A NUL: json-c's tree has the name cut
				 * there.  Shown as '?', the rest kept. */
				shown = xmalloc(len + 1);
				memcpy(shown, name, len);
				shown[len] = '\0';
				for (j = 0; j < len; j++)
					if (shown[j] == '\0')
						shown[j] = '?';
				xasprintf(&sub, "%s%s%s", path,
				    *path != '\0' ? "." : "", shown);
				free(shown);
				if (strlen(name) != len) {
					d->found++;
					d->nuls++;
					if (d->cb != NULL)
						d->cb(sub, "the name holds a "
						    "NUL character", d->arg);
				} else if (json_object_object_get_ex(seen, name,
				    NULL)) {
					d->found++;
					if (d->cb != NULL)
						d->cb(sub, "duplicate key",
						    d->arg);
				} else if (json_object_object_add(seen, name,
				    NULL) != 0)
					fatalx("json_object_object_add");
				jsonparse_dups_space(d);
				d->p++;		/* the colon */
			} else
				xasprintf(&sub, "%s[%zu]", path, i++);
			jsonparse_dups_value(d, sub);
			free(sub);
			json_object_put(key);
		}
		json_object_put(seen);
	} else if (*d->p == '"')
		jsonparse_dups_string(d);
	else
		while (d->p < d->end && strchr(",]} \t\r\n", *d->p) == NULL)
			d->p++;
}

/* One walk of a text (its grammar checked): d says what it found. */
static void
jsonparse_dups_walk(struct jsonparse_dups *d, const char *p, size_t len,
    void (*cb)(const char *path, const char *what, void *arg), void *arg)
{
	d->p = (const unsigned char *)p;
	d->end = d->p + len;
	d->found = d->nuls = 0;
	d->cb = cb;
	d->arg = arg;
	jsonparse_dups_value(d, "");
}

size_t
jsonparse_duplicates(const char *p, size_t len,
    void (*cb)(const char *path, const char *what, void *arg), void *arg)
{
	struct jsonparse_dups	d;

	jsonparse_dups_walk(&d, p, len, cb, arg);
	return d.found;
}

/* How many member names of a text (its grammar checked) hold a NUL. */
static size_t
jsonparse_nul_names(const char *p, size_t len)
{
	struct jsonparse_dups	d;

	jsonparse_dups_walk(&d, p, len, NULL, NULL);
	return d.nuls;
}
