/* SPDX-License-Identifier: ISC */
/*
 * rawjson.c: raw JSON values (rawjson.h).  json-c writes an object with
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
/* Integer ids written here: whether json-c holds one as int64 or uint64,
 * these print the same digits. */
#define RAWJSON_ID_SAFE		((int64_t)1 << 62)

static char	*rawjson_text_buf;
static size_t	 rawjson_text_cap;

json_object *
rawjson_new(const char *p, size_t len)
{
	json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		fatalx("json_object_new_object");
	/* o owns the copy: json_object_free_userdata frees it with o. */
	json_object_set_serializer(o, json_object_userdata_to_json_string,
	    xstrndup(p, len), json_object_free_userdata);
	return o;
}

int
rawjson_is(json_object *o)
{
	return o != NULL && json_object_get_userdata(o) != NULL &&
	    json_object_is_type(o, json_type_object) &&
	    json_object_object_length(o) == 0;
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
rawjson_answer(const char *line, size_t len)
{
	struct jsonparse_answer	 a;
	json_object		*o;

	if (jsonparse_answer(line, len, &a) != 1)
		return NULL;
	if ((o = json_object_new_object()) == NULL)
		fatalx("json_object_new_object");
	if (json_object_object_add(o, "jsonrpc",
	    json_object_new_string("2.0")) != 0 ||
	    json_object_object_add(o, "id", json_object_new_int64(a.id)) != 0 ||
	    json_object_object_add(o, "result", rawjson_new(line +
	    a.result_off, a.result_len)) != 0)
		fatalx("json_object_object_add");
	return o;
}

/* 1 if json-c writes the string s as it is between its quotes: printable
 * ASCII without quote or backslash ('/' stays, NOSLASHESCAPE). */
static int
rawjson_verbatim(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    s[i] == '"' || s[i] == '\\')
			return 0;
	}
	return 1;
}

/*
 * The answer to a client's call with its result raw is most of what the
 * bridge writes; json-c's writer escapes each key a byte at a time and
 * prints the id with snprintf, 3k instructions a call (issue 20).  The
 * shape is checked member by member, and anything else goes to json-c.
 */
const char *
rawjson_text(json_object *msg, size_t *len)
{
	static const char *const keys[] = { "jsonrpc", "id", "result" };
	static const char	 head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
	static const char	 mid[] = ",\"result\":";
	struct json_object_iter	 it;
	json_object		*v[3];
	const char		*id, *raw;
	char			 num[24];
	size_t			 i = 0, idlen, rawlen, n, q;
	int64_t			 iv;
	uint64_t		 u;

	if (rawjson_text_cap > RAWJSON_TEXT_KEEP) {
		free(rawjson_text_buf);
		rawjson_text_buf = NULL;
		rawjson_text_cap = 0;
	}
	if (!json_object_is_type(msg, json_type_object) ||
	    json_object_object_length(msg) != 3)
		return NULL;
	json_object_object_foreachC(msg, it) {
		if (strcmp(it.key, keys[i]) != 0)
			return NULL;
		v[i++] = it.val;
	}
	if (!json_object_is_type(v[0], json_type_string) ||
	    json_object_get_string_len(v[0]) != 3 ||
	    memcmp(json_object_get_string(v[0]), "2.0", 3) != 0 ||
	    !rawjson_is(v[2]))
		return NULL;
	q = 0;
	if (json_object_is_type(v[1], json_type_int)) {
		iv = json_object_get_int64(v[1]);
		if (iv <= -RAWJSON_ID_SAFE || iv >= RAWJSON_ID_SAFE)
			return NULL;
		u = iv < 0 ? (uint64_t)-iv : (uint64_t)iv;
		i = sizeof num;
		do {
			num[--i] = (char)('0' + u % 10);
			u /= 10;
		} while (u > 0);
		if (iv < 0)
			num[--i] = '-';
		id = num + i;
		idlen = sizeof num - i;
	} else if (json_object_is_type(v[1], json_type_string)) {
		id = json_object_get_string(v[1]);
		idlen = (size_t)json_object_get_string_len(v[1]);
		if (!rawjson_verbatim(id, idlen))
			return NULL;
		q = 1;
	} else
		return NULL;
	raw = json_object_get_userdata(v[2]);
	rawlen = strlen(raw);
	n = sizeof head - 1 + idlen + 2 * q + sizeof mid - 1 + rawlen + 2;
	if (n > rawjson_text_cap) {
		rawjson_text_buf = xrealloc(rawjson_text_buf, n);
		rawjson_text_cap = n;
	}
	n = 0;
	memcpy(rawjson_text_buf, head, sizeof head - 1);
	n += sizeof head - 1;
	if (q)
		rawjson_text_buf[n++] = '"';
	memcpy(rawjson_text_buf + n, id, idlen);
	n += idlen;
	if (q)
		rawjson_text_buf[n++] = '"';
	memcpy(rawjson_text_buf + n, mid, sizeof mid - 1);
	n += sizeof mid - 1;
	memcpy(rawjson_text_buf + n, raw, rawlen);
	n += rawlen;
	rawjson_text_buf[n++] = '}';
	rawjson_text_buf[n] = '\0';
	*len = n;
	return rawjson_text_buf;
}
