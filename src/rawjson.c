/* SPDX-License-Identifier: ISC */
/*
 * rawjson.c: raw JSON values (rawjson.h).  json-c writes a value with
 * the userdata serializer as its userdata, a NUL-terminated string, and
 * copies it along in json_object_deep_copy; JSON text holds no NUL byte
 * (jsonparse_answer checked the grammar), so the string is the value.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "jsonparse.h"
#include "log.h"
#include "rawjson.h"
#include "xmalloc.h"

/* rawjson_text keeps its buffer for the next answer up to this size; a
 * larger one is freed at the next call. */
#define RAWJSON_TEXT_KEEP	(64 * 1024)
/* Integers written here: whether json-c holds one as int64 or uint64,
 * these print the same digits. */
#define RAWJSON_INT_SAFE		((int64_t)1 << 62)

/* A new member under a literal name (json-c neither copies nor frees
 * it). */
#define RAWJSON_ADD	(JSON_C_OBJECT_ADD_KEY_IS_NEW | \
			 JSON_C_OBJECT_ADD_CONSTANT_KEY)

/* Containers nested deeper than this are left to json-c (the stack). */
#define RAWJSON_DEPTH	64
/* How the bridge writes JSON (http.c, framer.c). */
#define RAWJSON_FLAGS	(JSON_C_TO_STRING_PLAIN | \
			 JSON_C_TO_STRING_NOSLASHESCAPE)

static char	*rawjson_text_buf;
static size_t	 rawjson_text_cap;

/*
 * The holder is an empty string: one malloc, where an empty object is
 * three (the object, its table and the table's entries), and a raw value
 * comes with every answer (issue 20).  Whoever looks into a result asks
 * rawjson_is first; those that only write it get the bytes either way.
 */
json_object *
rawjson_new(const char *p, size_t len)
{
	json_object	*o;

	if ((o = json_object_new_string("")) == NULL)
		fatalx("json_object_new_string");
	/* o owns the copy: json_object_free_userdata frees it with o. */
	json_object_set_serializer(o, json_object_userdata_to_json_string,
	    xstrndup(p, len), json_object_free_userdata);
	return o;
}

int
rawjson_is(json_object *o)
{
	return o != NULL && json_object_get_userdata(o) != NULL &&
	    json_object_is_type(o, json_type_string) &&
	    json_object_get_string_len(o) == 0;
}

int
rawjson_member_true(json_object *o, const char *key)
{
	const char	*text = json_object_get_userdata(o), *cause;
	json_object	*v, *m;
	int		 yes;

	/* A member name may be spelt with \u escapes: only bytes with
	 * neither the name nor an escape surely lack it. */
	if (strstr(text, key) == NULL && strstr(text, "\\u") == NULL)
		return 0;
	if ((v = jsonparse_strict(text, strlen(text), &cause)) == NULL)
		return 0;
	yes = json_object_object_get_ex(v, key, &m) &&
	    json_object_is_type(m, json_type_boolean) &&
	    json_object_get_boolean(m);
	json_object_put(v);
	return yes;
}

json_object *
rawjson_parse(json_object *o, const char **cause)
{
	const char	*text = json_object_get_userdata(o);

	return jsonparse_strict(text, strlen(text), cause);
}

json_object *
rawjson_request(const char *p, size_t len, const char **cause)
{
	return jsonparse_request(p, len, cause, rawjson_new);
}

json_object *
rawjson_get(json_object *o, const char *key, enum json_type t)
{
	json_object	*v;
	const char	*cause;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	if (!rawjson_is(v))
		v = json_object_get(v);
	else if ((v = rawjson_parse(v, &cause)) == NULL) {
		/* The parse policy took these bytes once already. */
		log_warnx("rawjson_get: %s: %s", key, cause);
		return NULL;
	}
	if (!json_object_is_type(v, t)) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

/*
 * o with its raw values parsed, or NULL when it holds none (no copy is
 * needed then): one walk, a copy begun at the first member that needs
 * one, the members before it shared.
 */
static json_object *
rawjson_tree_of(json_object *o)
{
	struct json_object_iter	 it, jt;
	json_object		*n = NULL, *v;
	const char		*cause;
	size_t			 i, j, len;

	switch (json_object_get_type(o)) {
	case json_type_string:
		if (!rawjson_is(o))
			return NULL;
		/* The parse policy took these bytes once already. */
		if ((n = rawjson_parse(o, &cause)) == NULL)
			fatalx("rawjson_tree: %s", cause);
		return n;
	case json_type_object:
		json_object_object_foreachC(o, it) {
			if ((v = rawjson_tree_of(it.val)) == NULL) {
				if (n == NULL)
					continue;
				v = json_object_get(it.val);
			} else if (n == NULL) {
				if ((n = json_object_new_object()) == NULL)
					fatalx("json_object_new_object");
				json_object_object_foreachC(o, jt) {
					if (jt.entry == it.entry)
						break;
					if (json_object_object_add(n, jt.key,
					    json_object_get(jt.val)) != 0)
						fatalx("json_object_object_add");
				}
			}
			if (json_object_object_add(n, it.key, v) != 0)
				fatalx("json_object_object_add");
		}
		return n;
	case json_type_array:
		len = json_object_array_length(o);
		for (i = 0; i < len; i++) {
			if ((v = rawjson_tree_of(json_object_array_get_idx(o,
			    i))) == NULL) {
				if (n == NULL)
					continue;
				v = json_object_get(
				    json_object_array_get_idx(o, i));
			} else if (n == NULL) {
				if ((n = json_object_new_array()) == NULL)
					fatalx("json_object_new_array");
				for (j = 0; j < i; j++) {
					if (json_object_array_add(n,
					    json_object_get(
					    json_object_array_get_idx(o, j))) !=
					    0)
						fatalx("json_object_array_add");
				}
			}
			if (json_object_array_add(n, v) != 0)
				fatalx("json_object_array_add");
		}
		return n;
	default:
		return NULL;
	}
}

json_object *
rawjson_tree(json_object *o)
{
	json_object	*n;

	return (n = rawjson_tree_of(o)) != NULL ? n : json_object_get(o);
}

json_object *
rawjson_answer(const char *line, size_t len)
{
	struct jsonparse_answer	 a;
	json_object		*o;

	if (jsonparse_answer(line, len, &a) != 1)
		return NULL;
	if ((o = json_object_new_object()) == NULL)
		fatalx("json_object_new_object");
	/* Three distinct literal names: neither copied nor looked up. */
	if (json_object_object_add_ex(o, "jsonrpc",
	    jsonparse_version(), RAWJSON_ADD) != 0 ||
	    json_object_object_add_ex(o, "id", json_object_new_int64(a.id),
	    RAWJSON_ADD) != 0 ||
	    json_object_object_add_ex(o, "result", rawjson_new(line +
	    a.result_off, a.result_len), RAWJSON_ADD) != 0)
		fatalx("json_object_object_add_ex");
	return o;
}

/*
 * 1 if none of the eight bytes at p needs an escape or is past ASCII:
 * with every byte below 0x80, (x - n) & ~x has a byte's high bit set
 * exactly when some byte is below n (after an XOR for the quote, the
 * backslash and, +1, DEL).
 */
static inline int
rawjson_plain8(const char *p)
{
	const uint64_t	ones = 0x0101010101010101ULL;
	const uint64_t	highs = 0x8080808080808080ULL;
	uint64_t	v, q, b, d;

	memcpy(&v, p, sizeof v);
	if (v & highs)
		return 0;
	q = v ^ (ones * '"');
	b = v ^ (ones * '\\');
	d = v ^ (ones * 0x7f);
	return ((((v - ones * 0x20) & ~v) | ((q - ones) & ~q) |
	    ((b - ones) & ~b) | ((d - ones) & ~d)) & highs) == 0;
}

/* 1 if json-c writes the string s as it is between its quotes: printable
 * ASCII without quote or backslash ('/' stays, NOSLASHESCAPE). */
static int
rawjson_verbatim(const char *s, size_t len)
{
	size_t	i = 0;

	for (; len - i >= 8; i += 8) {
		if (!rawjson_plain8(s + i))
			return 0;
	}
	for (; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '"' || s[i] == '\\')
			return 0;
	}
	return 1;
}

/* The buffer grown to hold need bytes. */
static void
rawjson_grow(size_t need)
{
	if (need > SIZE_MAX / 2)
		fatalx("rawjson_text: %zu bytes", need);
	rawjson_text_cap = need > 2 * rawjson_text_cap ? need :
	    2 * rawjson_text_cap;
	rawjson_text_buf = xrealloc(rawjson_text_buf, rawjson_text_cap);
}

/* n bytes at s onto the text being made (room kept for the NUL). */
static inline void
rawjson_put(size_t *off, const char *s, size_t n)
{
	if (*off + n + 1 > rawjson_text_cap)
		rawjson_grow(*off + n + 1);
	memcpy(rawjson_text_buf + *off, s, n);
	*off += n;
}

static void	rawjson_put_value(size_t *, json_object *, int);

/*
 * The object o, its members at depth, if none of its keys needs an
 * escape: 0.  Else -1 with *off where it was (what was written of o is
 * dropped), for json-c to write o.
 */
static int
rawjson_put_object(size_t *off, json_object *o, int depth)
{
	struct json_object_iter	it;
	size_t			klen, start = *off;
	int			first = 1;

	rawjson_put(off, "{", 1);
	json_object_object_foreachC(o, it) {
		klen = strlen(it.key);
		if (!rawjson_verbatim(it.key, klen)) {
			*off = start;
			return -1;
		}
		if (*off + klen + 5 > rawjson_text_cap)
			rawjson_grow(*off + klen + 5);
		if (!first)
			rawjson_text_buf[(*off)++] = ',';
		first = 0;
		rawjson_text_buf[(*off)++] = '"';
		memcpy(rawjson_text_buf + *off, it.key, klen);
		*off += klen;
		rawjson_text_buf[(*off)++] = '"';
		rawjson_text_buf[(*off)++] = ':';
		rawjson_put_value(off, it.val, depth + 1);
	}
	rawjson_put(off, "}", 1);
	return 0;
}

/*
 * v as json-c writes it, onto the text: strings that need no escape,
 * integers, null, raw values, arrays and objects (keys needing no
 * escape, to RAWJSON_DEPTH) here; the rest (doubles, booleans, escapes)
 * by json-c's writer, which without JSON_C_TO_STRING_PRETTY writes a
 * value the same at any depth.
 */
static void
rawjson_put_value(size_t *off, json_object *v, int depth)
{
	const char	*s;
	char		 num[24];
	size_t		 n, i;
	int64_t		 iv;
	uint64_t	 u;

	switch (json_object_get_type(v)) {
	case json_type_null:
		rawjson_put(off, "null", 4);
		return;
	case json_type_string:
		if (rawjson_is(v)) {
			s = json_object_get_userdata(v);
			rawjson_put(off, s, strlen(s));
			return;
		}
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		if (!rawjson_verbatim(s, n))
			break;
		if (*off + n + 3 > rawjson_text_cap)
			rawjson_grow(*off + n + 3);
		rawjson_text_buf[(*off)++] = '"';
		memcpy(rawjson_text_buf + *off, s, n);
		*off += n;
		rawjson_text_buf[(*off)++] = '"';
		return;
	case json_type_int:
		iv = json_object_get_int64(v);
		if (iv <= -RAWJSON_INT_SAFE || iv >= RAWJSON_INT_SAFE)
			break;
		u = iv < 0 ? (uint64_t)-iv : (uint64_t)iv;
		i = sizeof num;
		do {
			num[--i] = (char)('0' + u % 10);
			u /= 10;
		} while (u > 0);
		if (iv < 0)
			num[--i] = '-';
		rawjson_put(off, num + i, sizeof num - i);
		return;
	case json_type_object:
		if (depth >= RAWJSON_DEPTH || json_object_get_userdata(v) !=
		    NULL || rawjson_put_object(off, v, depth) == -1)
			break;
		return;
	case json_type_array:
		if (depth >= RAWJSON_DEPTH || json_object_get_userdata(v) !=
		    NULL)
			break;
		n = json_object_array_length(v);
		rawjson_put(off, "[", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				rawjson_put(off, ",", 1);
			rawjson_put_value(off, json_object_array_get_idx(v, i),
			    depth + 1);
		}
		rawjson_put(off, "]", 1);
		return;
	default:
		break;
	}
	if ((s = json_object_to_json_string_length(v, RAWJSON_FLAGS,
	    &n)) == NULL)
		fatalx("json_object_to_json_string_length");
	rawjson_put(off, s, n);
}

/*
 * Most of what the bridge writes is a message of plain members: the
 * answer to a call with its result raw, the call to the child.  json-c's
 * writer escapes each key a byte at a time and prints each integer with
 * snprintf, 3k instructions a message (issue 20).  Here what needs no
 * escape is copied as it is, and the rest is json-c's.
 */
/* A large buffer of the last text goes before the next is made. */
static void
rawjson_text_reset(void)
{
	if (rawjson_text_cap > RAWJSON_TEXT_KEEP) {
		free(rawjson_text_buf);
		rawjson_text_buf = NULL;
		rawjson_text_cap = 0;
	}
}

const char *
rawjson_text(json_object *msg, size_t *len)
{
	size_t	off = 0;

	rawjson_text_reset();
	/* An object with userdata has a writer of its own. */
	if (!json_object_is_type(msg, json_type_object) ||
	    json_object_get_userdata(msg) != NULL ||
	    rawjson_put_object(&off, msg, 0) == -1)
		return NULL;
	rawjson_text_buf[off] = '\0';
	*len = off;
	return rawjson_text_buf;
}

/*
 * A client's call goes to its child with only its id changed: building
 * that envelope (an object, its members, "2.0" and the id) to write it
 * once cost more than writing it (issue 20).  The members are written in
 * the order mux_rewrite_request adds them, and json-c writes a new object
 * in the order its members were added.
 */
const char *
rawjson_request_text(json_object *msg, uint64_t id, size_t *len)
{
	struct json_object_iter	 it;
	json_object		*method = NULL, *params = NULL;
	int			 has_method = 0, has_params = 0;
	char			 num[24];
	size_t			 off = 0, i;

	if (id > INT64_MAX)
		fatalx("rawjson_request_text: id %llu", (unsigned long long)id);
	rawjson_text_reset();
	if (json_object_is_type(msg, json_type_object)) {
		json_object_object_foreachC(msg, it) {
			if (it.key[0] == 'm' && strcmp(it.key, "method") == 0) {
				method = it.val;
				has_method = 1;
			} else if (it.key[0] == 'p' &&
			    strcmp(it.key, "params") == 0) {
				params = it.val;
				has_params = 1;
			}
		}
	}
	i = sizeof num;
	do {
		num[--i] = (char)('0' + id % 10);
		id /= 10;
	} while (id > 0);
	rawjson_put(&off, "{\"jsonrpc\":\"2.0\",\"id\":", 22);
	rawjson_put(&off, num + i, sizeof num - i);
	if (has_method) {
		rawjson_put(&off, ",\"method\":", 10);
		rawjson_put_value(&off, method, 1);
	}
	if (has_params) {
		rawjson_put(&off, ",\"params\":", 10);
		rawjson_put_value(&off, params, 1);
	}
	rawjson_put(&off, "}", 1);
	rawjson_text_buf[off] = '\0';
	*len = off;
	return rawjson_text_buf;
}
