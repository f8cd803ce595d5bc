/* SPDX-License-Identifier: ISC */
/*
 * testjson.c: JSON helpers for the Check tests that speak JSON-RPC (mux,
 * modern); see testjson.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "testjson.h"

json_object *
Jv(const char *fmt, va_list ap)
{
	json_object	*o;
	char		*s, *p;

	ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	o = json_tokener_parse(s);
	ck_assert_msg(o != NULL, "bad JSON: %s", s);
	free(s);
	return o;
}

json_object *
J(const char *fmt, ...)
{
	va_list		 ap;
	json_object	*o;

	va_start(ap, fmt);
	o = Jv(fmt, ap);
	va_end(ap);
	return o;
}

const char *
S(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* o at a dotted path ("result.task.taskId"), borrowed, or NULL. */
json_object *
P(json_object *o, const char *path)
{
	char	*copy, *key, *save = NULL;

	copy = strdup(path);
	for (key = strtok_r(copy, ".", &save); key != NULL && o != NULL;
	    key = strtok_r(NULL, ".", &save)) {
		if (!json_object_object_get_ex(o, key, &o))
			o = NULL;
	}
	free(copy);
	return o;
}

const char *
PS(json_object *o, const char *path)
{
	json_object	*v = P(o, path);

	return v == NULL ? NULL : json_object_get_string(v);
}

int64_t
PI(json_object *o, const char *path)
{
	json_object	*v = P(o, path);

	ck_assert_msg(json_object_is_type(v, json_type_int),
	    "%s is not an integer in %s", path, S(o));
	return json_object_get_int64(v);
}
