/* SPDX-License-Identifier: ISC */
/*
 * toolfilter.c: a server's tools, allowed and denied by glob
 * (toolfilter.h).
 */
#include "config.h"

#include <fnmatch.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonrpc.h"
#include "toolfilter.h"
#include "xmalloc.h"

int
toolfilter_active(const struct toolfilter *f)
{
	return f != NULL && (f->nallow > 0 || f->ndeny > 0);
}

static int
toolfilter_match(char *const *globs, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return 1;
	return 0;
}

int
toolfilter_allows(const struct toolfilter *f, const char *name)
{
	if (!toolfilter_active(f))
		return 1;
	if (f->nallow > 0 && !toolfilter_match(f->allow, f->nallow, name))
		return 0;
	return !toolfilter_match(f->deny, f->ndeny, name);
}

int
toolfilter_pattern_check(const char *glob, char **err)
{
	const char	*p;

	if (*glob == '\0' || strlen(glob) > TOOLFILTER_PATTERN_MAX) {
		xasprintf(err, "a tool pattern is 1 to %d characters",
		    TOOLFILTER_PATTERN_MAX);
		return -1;
	}
	for (p = glob; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			xasprintf(err, "a tool pattern holds no control "
			    "characters");
			return -1;
		}
	return 0;
}

/* The name of a tool or a call's params, if the filter can judge it: a
 * string without NUL (the child would read past where fnmatch stops). */
static const char *
toolfilter_name(json_object *o)
{
	json_object	*name = jsonrpc_get(o, "name", json_type_string);

	if (name == NULL || strlen(json_object_get_string(name)) !=
	    (size_t)json_object_get_string_len(name))
		return NULL;
	return json_object_get_string(name);
}

size_t
toolfilter_list(const struct toolfilter *f, json_object *result)
{
	json_object	*tools, *kept;
	const char	*name;
	size_t		 i, n, dropped = 0;

	if (!toolfilter_active(f) ||
	    (tools = jsonrpc_get(result, "tools", json_type_array)) == NULL)
		return 0;
	kept = json_object_new_array();
	n = json_object_array_length(tools);
	for (i = 0; i < n; i++) {
		json_object *tool = json_object_array_get_idx(tools, i);

		if ((name = toolfilter_name(tool)) != NULL &&
		    toolfilter_allows(f, name))
			json_object_array_add(kept, json_object_get(tool));
		else
			dropped++;
	}
	if (dropped > 0)
		json_object_object_add(result, "tools", kept);
	else
		json_object_put(kept);
	return dropped;
}

const char *
toolfilter_refused_call(const struct toolfilter *f, json_object *msg)
{
	const char	*method = jsonrpc_method(msg), *name;

	if (!toolfilter_active(f) || method == NULL ||
	    strcmp(method, "tools/call") != 0)
		return NULL;
	if ((name = toolfilter_name(jsonrpc_params(msg))) == NULL)
		return "";
	return toolfilter_allows(f, name) ? NULL : name;
}
