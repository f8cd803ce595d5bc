/* SPDX-License-Identifier: ISC */
/*
 * conffile.c: the --config file's shape (conffile.h).  What the
 * "mcpbridge" objects' members mean is cli.c's: they are options.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "conffile.h"
#include "file.h"
#include "jsonparse.h"
#include "xmalloc.h"

/* The keys of the file and of a server entry.  "$schema" is what editors
 * add to point at a schema; it says nothing to the bridge. */
static const char *const conffile_top_keys[] = {
	"mcpServers", "mcpbridge", "$schema",
};
static const char *const conffile_server_keys[] = {
	"command", "args", "env", "cwd", "url", "type", "headers",
	"mcpbridge",
};
#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

void
conffile_error(struct conffile *cf, const char *path, const char *fmt, ...)
{
	va_list	 ap;
	char	*what, *one, *line, *p;

	if (cf->mute > 0)
		return;
	if (cf->nerrors++ >= CONFFILE_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	xvasprintf(&what, fmt, ap);
	va_end(ap);
	xasprintf(&one, "%s: %s%s%s", cf->file, path != NULL ? path : "",
	    path != NULL ? ": " : "", what);
	/* A key or value may hold any character (\n, ESC): one error is
	 * one line, and none writes to the terminal. */
	for (p = one; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	xasprintf(&line, "%s%s\n", cf->errors != NULL ? cf->errors : "", one);
	free(one);
	free(what);
	free(cf->errors);
	cf->errors = line;
}

/*
 * Levenshtein distance of a and b, both at most CONFFILE_NAME_MAX long
 * (longer: "far").  One row of the table suffices.
 */
static size_t
conffile_distance(const char *a, const char *b)
{
	size_t	row[CONFFILE_NAME_MAX + 1];
	size_t	la = strlen(a), lb = strlen(b), i, j, diag, up, cost;

	if (la > CONFFILE_NAME_MAX || lb > CONFFILE_NAME_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			row[j] = diag + cost;
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

const char *
conffile_nearest(const char *word, const char *const *names, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = SIZE_MAX, len = strlen(word);

	for (i = 0; i < n; i++) {
		d = conffile_distance(word, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	if (best == NULL || bestd > 2 || bestd >= len)
		return NULL;
	return best;
}

void
conffile_unknown(struct conffile *cf, const char *path, const char *key,
    const char *const *names, size_t n)
{
	const char	*near = conffile_nearest(key, names, n);

	if (near != NULL)
		conffile_error(cf, path, "unknown key (did you mean \"%s\"?)",
		    near);
	else
		conffile_error(cf, path, "unknown key");
}

static int
conffile_known(const char *key, const char *const *names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(key, names[i]) == 0)
			return 1;
	return 0;
}

static const char *
conffile_type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "a value";
}

/* v is of type t, or an error at path says what it is instead. */
static int
conffile_want(struct conffile *cf, const char *path, json_object *v,
    json_type t, const char *what)
{
	if (json_object_is_type(v, t))
		return 0;
	conffile_error(cf, path, "wants %s, not %s", what,
	    conffile_type_name(v));
	return -1;
}

/* A string the child or a header takes as is: NUL would cut it short. */
static int
conffile_string(struct conffile *cf, const char *path, json_object *v,
    int nonempty)
{
	if (conffile_want(cf, path, v, json_type_string, "a string") == -1)
		return -1;
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v)) {
		conffile_error(cf, path, "holds a NUL character");
		return -1;
	}
	if (nonempty && json_object_get_string_len(v) == 0) {
		conffile_error(cf, path, "is empty");
		return -1;
	}
	return 0;
}

static void
conffile_push(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static int
conffile_name_ok(const char *name)
{
	size_t	len = strlen(name);

	if (len == 0 || len > CONFFILE_NAME_MAX || name[0] == '.')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/* "env" or "headers": an object of strings, pushed as KEY SEP VALUE.
 * The values may be secrets: no message shows one. */
static void
conffile_pairs(struct conffile *cf, const char *path, json_object *obj,
    const char *sep, char ***v, size_t *n)
{
	char	*p, *line;
	int	 header = strcmp(sep, ": ") == 0;

	if (conffile_want(cf, path, obj, json_type_object, "an object") == -1)
		return;
	json_object_object_foreach(obj, key, val) {
		xasprintf(&p, "%s.%s", path, key);
		if (*key == '\0' || strchr(key, '=') != NULL ||
		    (header && strpbrk(key, ": \t\r\n") != NULL))
			conffile_error(cf, p, "is not a valid %s name",
			    header ? "header" : "variable");
		else if (conffile_string(cf, p, val, 0) == 0 && header &&
		    strpbrk(json_object_get_string(val), "\r\n") != NULL)
			conffile_error(cf, p, "holds a line break");
		else if (json_object_is_type(val, json_type_string)) {
			xasprintf(&line, "%s%s%s", key, sep,
			    json_object_get_string(val));
			conffile_push(v, n, line);
		}
		free(p);
	}
}

static void
conffile_server(struct conffile *cf, struct conffile_server *srv,
    const char *name, json_object *entry)
{
	json_object	*v, *args, *type = NULL;
	char		*p;
	size_t		 i, n, nargs = 0;
	const char	*t;
	int		 local, connect;

	srv->name = xstrdup(name);
	srv->entry = entry;
	xasprintf(&srv->path, "mcpServers.%s", name);
	if (!conffile_name_ok(name))
		conffile_error(cf, srv->path, "a server's name is 1 to %d "
		    "letters, digits, '.', '_' or '-', not starting with '.'",
		    CONFFILE_NAME_MAX);
	if (conffile_want(cf, srv->path, entry, json_type_object,
	    "an object") == -1)
		return;
	json_object_object_foreach(entry, key, val) {
		xasprintf(&p, "%s.%s", srv->path, key);
		if (!conffile_known(key, conffile_server_keys,
		    NELEM(conffile_server_keys)))
			conffile_unknown(cf, p, key, conffile_server_keys,
			    NELEM(conffile_server_keys));
		else if (strcmp(key, "command") == 0) {
			if (conffile_string(cf, p, val, 1) == 0)
				conffile_push(&srv->command, &nargs,
				    xstrdup(json_object_get_string(val)));
		} else if (strcmp(key, "cwd") == 0) {
			if (conffile_string(cf, p, val, 1) == 0)
				srv->cwd = xstrdup(json_object_get_string(val));
		} else if (strcmp(key, "url") == 0) {
			if (conffile_string(cf, p, val, 1) == 0)
				srv->url = xstrdup(json_object_get_string(val));
		} else if (strcmp(key, "type") == 0) {
			if (conffile_string(cf, p, val, 1) == 0)
				type = val;
		} else if (strcmp(key, "env") == 0)
			conffile_pairs(cf, p, val, "=", &srv->env, &srv->nenv);
		else if (strcmp(key, "headers") == 0)
			conffile_pairs(cf, p, val, ": ", &srv->headers,
			    &srv->nheaders);
		else if (strcmp(key, "mcpbridge") == 0) {
			if (conffile_want(cf, p, val, json_type_object,
			    "an object") == 0)
				srv->bridge = val;
		}
		free(p);
	}
	/* The arguments follow the command, whatever the keys' order. */
	if (json_object_object_get_ex(entry, "args", &args)) {
		xasprintf(&p, "%s.args", srv->path);
		if (conffile_want(cf, p, args, json_type_array,
		    "an array of strings") == 0) {
			n = json_object_array_length(args);
			for (i = 0; i < n; i++) {
				free(p);
				xasprintf(&p, "%s.args[%zu]", srv->path, i);
				v = json_object_array_get_idx(args, i);
				if (conffile_string(cf, p, v, 0) == 0 &&
				    srv->command != NULL)
					conffile_push(&srv->command, &nargs,
					    xstrdup(json_object_get_string(v)));
			}
		}
		free(p);
	}

	/* What it is: a command to run, a URL to reach, or (its own
	 * "connect" setting) a socket to attach to. */
	local = json_object_object_get_ex(entry, "command", NULL);
	connect = srv->bridge != NULL &&
	    json_object_object_get_ex(srv->bridge, "connect", NULL);
	if (local + connect + json_object_object_get_ex(entry, "url",
	    NULL) != 1)
		conffile_error(cf, srv->path, "wants one of \"command\" (a "
		    "local server), \"url\" (a remote one) or "
		    "\"mcpbridge\": { \"connect\": ... }");
	else if (!local) {
		if (json_object_object_get_ex(entry, "args", NULL))
			conffile_error(cf, srv->path, "\"args\" goes with "
			    "\"command\"");
		if (json_object_object_get_ex(entry, "cwd", NULL) ||
		    json_object_object_get_ex(entry, "env", NULL))
			conffile_error(cf, srv->path, "\"env\" and \"cwd\" go "
			    "with \"command\"");
	}
	if (json_object_object_get_ex(entry, "headers", NULL) &&
	    !json_object_object_get_ex(entry, "url", NULL))
		conffile_error(cf, srv->path, "\"headers\" goes with \"url\"");
	if (type != NULL) {
		/* What the IDEs write: "stdio" for a command; for a URL, the
		 * transport (client mode picks its own; "sse" pins it). */
		t = json_object_get_string(type);
		xasprintf(&p, "%s.type", srv->path);
		if (strcmp(t, "stdio") != 0 && strcmp(t, "http") != 0 &&
		    strcmp(t, "streamable-http") != 0 &&
		    strcmp(t, "sse") != 0)
			conffile_error(cf, p, "wants stdio, http, "
			    "streamable-http or sse, not \"%s\"", t);
		else if ((strcmp(t, "stdio") == 0) != (local || connect))
			conffile_error(cf, p, "\"%s\" does not fit a server "
			    "with %s", t, local ? "\"command\"" : connect ?
			    "\"connect\"" : "\"url\"");
		free(p);
	}
}

static void
conffile_servers(struct conffile *cf, json_object *servers)
{
	size_t	n;

	if (conffile_want(cf, "mcpServers", servers, json_type_object,
	    "an object") == -1)
		return;
	n = (size_t)json_object_object_length(servers);
	if (n > CONFFILE_MAX_SERVERS) {
		conffile_error(cf, "mcpServers", "%zu servers; at most %d",
		    n, CONFFILE_MAX_SERVERS);
		return;
	}
	cf->servers = xcalloc(n > 0 ? n : 1, sizeof *cf->servers);
	json_object_object_foreach(servers, name, entry) {
		size_t before = cf->nerrors;

		conffile_server(cf, &cf->servers[cf->nservers], name, entry);
		cf->servers[cf->nservers++].bad = cf->nerrors > before;
	}
}

static void
conffile_duplicate(const char *path, const char *what, void *arg)
{
	conffile_error(arg, path, "%s", what);
}

int
conffile_parse(struct conffile *cf, const char *name, const char *text,
    size_t len)
{
	const char	*cause = NULL;
	char		*p;
	int		 dups = 0;

	memset(cf, 0, sizeof *cf);
	cf->file = xstrdup(name);
	if (len > CONFFILE_MAX_SIZE) {
		conffile_error(cf, NULL, "larger than %u bytes",
		    CONFFILE_MAX_SIZE);
		return -1;
	}
	if ((cf->root = jsonparse_strict_unique(text, len, &cause)) == NULL) {
		/* Two members of one name is JSON, but not a file to run:
		 * the first server of two "fs" would vanish; nor is a name
		 * json-c cuts at a NUL.  Each is named by its path, then the
		 * rest of the file is checked as json-c keeps it (the last
		 * of two), so that they hide no other error. */
		dups = jsonparse_names_refused(cause) &&
		    jsonparse_duplicates(text, len, conffile_duplicate,
		    cf) > 0;
		if (dups)
			cf->root = jsonparse_strict(text, len, NULL);
	}
	if (cf->root == NULL) {
		if (dups)
			return -1;
		if (cause == NULL || strcmp(cause, "not JSON") == 0)
			conffile_error(cf, NULL, "not JSON");
		else
			conffile_error(cf, NULL, "not JSON: %s", cause);
		return -1;
	}
	if (conffile_want(cf, NULL, cf->root, json_type_object,
	    "an object") == -1)
		return -1;
	json_object_object_foreach(cf->root, key, val) {
		if (conffile_known(key, conffile_top_keys,
		    NELEM(conffile_top_keys))) {
			if (strcmp(key, "mcpServers") == 0)
				conffile_servers(cf, val);
			else if (strcmp(key, "mcpbridge") == 0 &&
			    conffile_want(cf, key, val, json_type_object,
			    "an object") == 0)
				cf->bridge = val;
			continue;
		}
		p = xstrdup(key);
		if (strcmp(key, "servers") == 0)
			/* VS Code's mcp.json: its "inputs" and ${input:}
			 * variables need VS Code to fill them in. */
			conffile_error(cf, p, "unknown key (VS Code's; the "
			    "bridge reads \"mcpServers\")");
		else
			conffile_unknown(cf, p, key, conffile_top_keys,
			    NELEM(conffile_top_keys));
		free(p);
	}
	return cf->nerrors > 0 ? -1 : 0;
}

int
conffile_load(struct conffile *cf, const char *path)
{
	struct file	f;
	int		r;

	/* Only a regular file: a FIFO would hold the start (or a reload,
	 * the event loop) until a writer came; a directory or a device is
	 * no JSON. */
	if (file_read(&f, path, CONFFILE_MAX_SIZE, FILE_REGULAR) == -1) {
		memset(cf, 0, sizeof *cf);
		cf->file = xstrdup(path);
		if (f.fail == FILE_TOO_BIG)
			conffile_error(cf, NULL, "larger than %u bytes",
			    CONFFILE_MAX_SIZE);
		else if (f.fail == FILE_NOT_REGULAR)
			conffile_error(cf, NULL, "not a regular file: %s",
			    S_ISDIR(f.mode) ? "a directory" :
			    S_ISFIFO(f.mode) ? "a FIFO" :
			    S_ISSOCK(f.mode) ? "a socket" :
			    S_ISCHR(f.mode) || S_ISBLK(f.mode) ? "a device" :
			    "something else");
		else
			conffile_error(cf, NULL, "cannot read it: %s",
			    strerror(f.error));
		return -1;
	}
	r = conffile_parse(cf, path, f.data, f.len);
	file_free(&f);
	return r;
}

void
conffile_free(struct conffile *cf)
{
	size_t			 i;
	struct conffile_server	*srv;

	for (i = 0; i < cf->nservers; i++) {
		srv = &cf->servers[i];
		free(srv->name);
		free(srv->path);
		xfreev(srv->command);
		xfreev(srv->env);
		free(srv->cwd);
		free(srv->url);
		xfreev(srv->headers);
	}
	free(cf->servers);
	if (cf->root != NULL)
		json_object_put(cf->root);
	free(cf->errors);
	free(cf->file);
	memset(cf, 0, sizeof *cf);
}
