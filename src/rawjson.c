/* SPDX-License-Identifier: ISC */
/*
 * rawjson.c: raw JSON values (rawjson.h).  json-c writes an object with
 * the userdata serializer as its userdata, a NUL-terminated string, and
 * copies it along in json_object_deep_copy; JSON text holds no NUL byte
 * (jsonparse_answer checked the grammar), so the string is the value.
 */
#include "config.h"

#include <string.h>

#include "jsonparse.h"
#include "log.h"
#include "rawjson.h"
#include "xmalloc.h"

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
