/* SPDX-License-Identifier: ISC */
/*
 * mcpwire.c: the MCP wire vocabulary that the client, the 2026-07-28
 * translation and the multiplexer share.  See mcpwire.h.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "base64.h"
#include "jsonrpc.h"
#include "log.h"
#include "mcpwire.h"
#include "rawjson.h"
#include "xmalloc.h"

/* ---- log levels ---- */

static const char *const mcpwire_levels[MCPWIRE_NLEVELS] = {
	"debug", "info", "notice", "warning", "error", "critical", "alert",
	"emergency",
};

int
mcpwire_level(const char *name)
{
	int	i;

	if (name == NULL)
		return -1;
	for (i = 0; i < MCPWIRE_NLEVELS; i++) {
		if (strcmp(name, mcpwire_levels[i]) == 0)
			return i;
	}
	return -1;
}

const char *
mcpwire_level_name(int rank)
{
	if (rank < 0 || rank >= MCPWIRE_NLEVELS)
		return NULL;
	return mcpwire_levels[rank];
}

/* ---- header values ---- */

/* 1 if the len bytes at p have the =?base64?...?= shape. */
static int
mcpwire_b64_wrapped(const char *p, size_t len)
{
	return len >= 11 && strncmp(p, MCPWIRE_B64_OPEN, 9) == 0 &&
	    strncmp(p + len - 2, "?=", 2) == 0;
}

char *
mcpwire_header_value(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i;
	char			*b64, *out;
	int			 plain = 1;

	for (i = 0; i < len && plain; i++)
		plain = p[i] >= 0x20 && p[i] <= 0x7e;
	if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
		plain = 0;
	if (mcpwire_b64_wrapped(s, len))
		plain = 0;
	if (plain)
		return xstrdup(s);

	/* =?base64?...?= over the UTF-8 bytes, standard alphabet. */
	b64 = base64_encode(s, len, 0);
	xasprintf(&out, MCPWIRE_B64_OPEN "%s?=", b64);
	free(b64);
	return out;
}

char *
mcpwire_header_decode(const char *raw, size_t *lenp)
{
	const char	*p, *end;
	unsigned char	*out;
	size_t		 len, i;

	p = raw + strspn(raw, " \t");
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - p);
	for (i = 0; i < len; i++) {
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    (unsigned char)p[i] >= 0x7f)
			return NULL;
	}
	if (mcpwire_b64_wrapped(p, len)) {
		out = xmalloc(len);
		if (base64_decode(p + 9, len - 11, out, lenp, 0) == -1) {
			free(out);
			return NULL;
		}
		out[*lenp] = '\0';
		return (char *)out;
	}
	*lenp = len;
	return xstrndup(p, len);
}

/* ---- x-mcp-header ---- */

int
mcpwire_tchar(int c)
{
	/* The bound first: the program runs in the C locale, but isalnum
	 * of a byte past 0x7f would ask the locale. */
	return c > 0 && c <= 0x7e && (isalnum(c) ||
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
mcpwire_token(const char *s)
{
	const unsigned char	*p;

	if (*s == '\0')
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (!mcpwire_tchar(*p))
			return 0;
	}
	return 1;
}

/* 1 if the schema's type is string, integer or boolean (optionally with
 * null beside one of them). */
static int
mcpwire_primitive(json_object *schema)
{
	static const char *const ok[] = { "string", "integer", "boolean",
	    NULL };
	json_object	*t, *v;
	size_t		 i, n = 0;

	if (!json_object_object_get_ex(schema, "type", &t))
		return 0;
	if (json_object_is_type(t, json_type_string))
		return jsonrpc_in(json_object_get_string(t), ok);
	if (!json_object_is_type(t, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(t); i++) {
		v = json_object_array_get_idx(t, i);
		if (!json_object_is_type(v, json_type_string))
			return 0;
		if (strcmp(json_object_get_string(v), "null") == 0)
			continue;
		if (!jsonrpc_in(json_object_get_string(v), ok))
			return 0;
		n++;
	}
	return n > 0;
}

struct mcpwire_walk {
	json_object	*spec;		/* the array being built */
	json_object	*path;		/* property names to here */
	char		*err;
};

/* Keywords whose values are data, not schemas: never walked. */
static const char *const mcpwire_data_keys[] = {
	"default", "const", "enum", "examples", NULL
};

static int	mcpwire_walk_schema(struct mcpwire_walk *, json_object *,
		    int reachable, int depth);

/* Any value below a keyword that is not "properties": annotations there
 * are not statically reachable. */
static int
mcpwire_walk_any(struct mcpwire_walk *w, json_object *v, int depth)
{
	size_t	i;

	if (depth > MCPWIRE_MAX_DEPTH) {
		xasprintf(&w->err, "the inputSchema is nested too deeply");
		return -1;
	}
	if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			if (mcpwire_walk_any(w, json_object_array_get_idx(v, i),
			    depth + 1) == -1)
				return -1;
		}
		return 0;
	}
	if (json_object_is_type(v, json_type_object))
		return mcpwire_walk_schema(w, v, 0, depth + 1);
	return 0;
}

static int
mcpwire_walk_schema(struct mcpwire_walk *w, json_object *schema,
    int reachable, int depth)
{
	json_object	*h, *e, *name, *path;
	const char	*s;
	size_t		 i;

	if (depth > MCPWIRE_MAX_DEPTH) {
		xasprintf(&w->err, "the inputSchema is nested too deeply");
		return -1;
	}
	if (json_object_object_get_ex(schema, "x-mcp-header", &h)) {
		if (!reachable) {
			xasprintf(&w->err, "an x-mcp-header that is not "
			    "reached through properties alone");
			return -1;
		}
		if (!json_object_is_type(h, json_type_string) ||
		    !mcpwire_token(s = json_object_get_string(h))) {
			xasprintf(&w->err, "x-mcp-header %s is not a header "
			    "name", json_object_to_json_string_ext(h,
			    JSON_C_TO_STRING_PLAIN));
			return -1;
		}
		if (!mcpwire_primitive(schema)) {
			xasprintf(&w->err, "x-mcp-header %s is not on a "
			    "string, integer or boolean", s);
			return -1;
		}
		for (i = 0; i < json_object_array_length(w->spec); i++) {
			e = json_object_array_get_idx(w->spec, i);
			if (strcasecmp(jsonrpc_get_str(e, "name"), s) == 0) {
				xasprintf(&w->err, "x-mcp-header %s is used "
				    "twice", s);
				return -1;
			}
		}
		if (i >= MCPWIRE_MAX_HEADERS) {
			xasprintf(&w->err, "more than %d x-mcp-header "
			    "annotations", MCPWIRE_MAX_HEADERS);
			return -1;
		}
		e = json_object_new_object();
		json_object_object_add(e, "name", json_object_new_string(s));
		json_object_object_add(e, "path", jsonrpc_copy(w->path));
		json_object_array_add(w->spec, e);
	}
	json_object_object_foreach(schema, k, v) {
		if (strcmp(k, "x-mcp-header") == 0 ||
		    jsonrpc_in(k, mcpwire_data_keys))
			continue;
		if (strcmp(k, "properties") != 0 ||
		    !json_object_is_type(v, json_type_object)) {
			if (mcpwire_walk_any(w, v, depth) == -1)
				return -1;
			continue;
		}
		/* The keys of properties are names, its values schemas. */
		json_object_object_foreach(v, pk, pv) {
			if (!json_object_is_type(pv, json_type_object))
				continue;
			path = w->path;
			name = json_object_new_string(pk);
			json_object_array_add(path, name);
			if (mcpwire_walk_schema(w, pv, reachable,
			    depth + 1) == -1)
				return -1;
			json_object_array_del_idx(path,
			    json_object_array_length(path) - 1, 1);
		}
	}
	return 0;
}

int
mcpwire_tool_headers(json_object *tool, json_object **spec,
    char **err)
{
	struct mcpwire_walk	 w;
	json_object	*schema;

	*spec = NULL;
	memset(&w, 0, sizeof w);
	w.spec = json_object_new_array();
	w.path = json_object_new_array();
	schema = jsonrpc_get(tool, "inputSchema", json_type_object);
	if (schema == NULL)
		goto done;
	/* The root is no property: an annotation there is misplaced. */
	if (json_object_object_get_ex(schema, "x-mcp-header", NULL)) {
		xasprintf(&w.err, "an x-mcp-header on the schema root");
		goto fail;
	}
	if (mcpwire_walk_schema(&w, schema, 1, 0) == -1)
		goto fail;
done:
	json_object_put(w.path);
	*spec = w.spec;
	return 0;
fail:
	*err = w.err;
	json_object_put(w.spec);
	json_object_put(w.path);
	return -1;
}

int
mcpwire_learn_tool(json_object *table, json_object *tool, char **err)
{
	json_object	*spec;
	const char	*name = jsonrpc_get_str(tool, "name");

	if (mcpwire_tool_headers(tool, &spec, err) == -1) {
		if (name != NULL && table != NULL)
			json_object_object_del(table, name);
		return -1;
	}
	/* Bounded: a tool beyond the cap goes without Mcp-Param-* (a
	 * client learns it again from the server's -32020). */
	if (name != NULL && table != NULL &&
	    (json_object_object_length(table) < MCPWIRE_MAX_TOOLS ||
	    json_object_object_get_ex(table, name, NULL)))
		json_object_object_add(table, name, spec);
	else
		json_object_put(spec);
	return 0;
}

json_object *
mcpwire_filter_tools(json_object *result, json_object *table)
{
	json_object	*tools, *kept, *t, *dropped;
	const char	*name;
	char		*err, *line;
	size_t		 i;

	dropped = json_object_new_array();
	if ((tools = jsonrpc_get(result, "tools", json_type_array)) == NULL)
		return dropped;
	kept = json_object_new_array();
	for (i = 0; i < json_object_array_length(tools); i++) {
		t = json_object_array_get_idx(tools, i);
		name = jsonrpc_get_str(t, "name");
		if (mcpwire_learn_tool(table, t, &err) == -1) {
			xasprintf(&line, "%s: %s", name != NULL ? name :
			    "(a tool without a name)", err);
			json_object_array_add(dropped,
			    json_object_new_string(line));
			free(line);
			free(err);
			continue;
		}
		json_object_array_add(kept, json_object_get(t));
	}
	json_object_object_add(result, "tools", kept);
	return dropped;
}

/* The argument at path, or NULL. */
static json_object *
mcpwire_lookup(json_object *arguments, json_object *path)
{
	json_object	*v = arguments, *k;
	size_t		 i;

	for (i = 0; i < json_object_array_length(path); i++) {
		k = json_object_array_get_idx(path, i);
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, json_object_get_string(k),
		    &v))
			return NULL;
	}
	return v;
}

json_object *
mcpwire_param_headers(json_object *spec, json_object *arguments)
{
	json_object	*out, *e, *v, *path;
	const char	*name;
	char		*value, buf[64];
	double		 d;
	size_t		 i;

	out = json_object_new_object();
	for (i = 0; spec != NULL && i < json_object_array_length(spec); i++) {
		e = json_object_array_get_idx(spec, i);
		name = jsonrpc_get_str(e, "name");
		path = jsonrpc_get(e, "path", json_type_array);
		if (name == NULL || path == NULL ||
		    (v = mcpwire_lookup(arguments, path)) == NULL)
			continue;
		switch (json_object_get_type(v)) {
		case json_type_string:
			value = mcpwire_header_value(json_object_get_string(v));
			break;
		case json_type_boolean:
			value = xstrdup(json_object_get_boolean(v) ? "true" :
			    "false");
			break;
		case json_type_int:
			/* json-c's own digits: get_int64 would clamp the
			 * upper half of uint64. */
			value = xstrdup(json_object_to_json_string_ext(v,
			    JSON_C_TO_STRING_PLAIN));
			break;
		case json_type_double:
			/* 42.0 is the integer 42; others as JSON says.  The
			 * range first: casting 1e300 (or NaN) to an integer
			 * is undefined. */
			d = json_object_get_double(v);
			if (d < 9007199254740992.0 &&
			    d > -9007199254740992.0 && d == (double)(int64_t)d)
				snprintf(buf, sizeof buf, "%" PRId64,
				    (int64_t)d);
			else
				snprintf(buf, sizeof buf, "%s",
				    json_object_to_json_string(v));
			value = xstrdup(buf);
			break;
		default:
			/* null, objects and arrays: no header. */
			continue;
		}
		json_object_object_add(out, name, json_object_new_string(value));
		free(value);
	}
	return out;
}

int
mcpwire_tool_error(json_object *result)
{
	json_object	*is;

	/* The child's result often passes through unparsed (rawjson.h). */
	if (rawjson_is(result))
		return rawjson_member_true(result, "isError");
	return (is = jsonrpc_get(result, "isError", json_type_boolean)) !=
	    NULL && json_object_get_boolean(is);
}
