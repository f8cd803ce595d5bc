/* SPDX-License-Identifier: ISC */
/*
 * http_auth.c: the tool scopes a request needs and the OAuth part of
 * /metrics, for http.c.
 *
 * --oauth-tool-scope TOOL=S is checked on tools/call with params.name
 * TOOL; a batch (legacy eras) needs the union of its calls' scopes, so
 * one 403 names everything the client must ask for.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "agg.h"
#include "http_auth.h"
#include "introspect.h"
#include "jsonrpc.h"
#include "jwks.h"
#include "rsauth.h"
#include "xmalloc.h"

struct http_auth_tool {
	char		 *name;
	char		**scopes;
	size_t		  nscopes;
};

struct http_auth {
	struct http_oauth	 oauth;
	struct http_auth_tool	*tools;
	size_t			 ntools;
};

/* The entry for a tool name, made if it is not there (a tool may be
 * named by several options: its scopes add up). */
static struct http_auth_tool *
http_auth_tool(struct http_auth *ha, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < ha->ntools; i++)
		if (strlen(ha->tools[i].name) == len &&
		    memcmp(ha->tools[i].name, name, len) == 0)
			return &ha->tools[i];
	ha->tools = xreallocarray(ha->tools, ha->ntools + 1,
	    sizeof *ha->tools);
	memset(&ha->tools[ha->ntools], 0, sizeof *ha->tools);
	ha->tools[ha->ntools].name = xstrndup(name, len);
	return &ha->tools[ha->ntools++];
}

struct http_auth *
http_auth_new(const struct http_oauth *o)
{
	struct http_auth	*ha;
	struct http_auth_tool	*t;
	const char		*eq, *p, *end;
	size_t			 i;

	ha = xcalloc(1, sizeof *ha);
	ha->oauth = *o;
	ha->oauth.tool_scopes = NULL;
	ha->oauth.ntool_scopes = 0;
	for (i = 0; i < o->ntool_scopes; i++) {
		if ((eq = strchr(o->tool_scopes[i], '=')) == NULL)
			continue;	/* cli.c refused it */
		t = http_auth_tool(ha, o->tool_scopes[i],
		    (size_t)(eq - o->tool_scopes[i]));
		for (p = eq + 1; *p != '\0'; p = end) {
			p += strspn(p, " ");
			end = p + strcspn(p, " ");
			if (end == p)
				break;
			t->scopes = xreallocarray(t->scopes, t->nscopes + 1,
			    sizeof *t->scopes);
			t->scopes[t->nscopes++] = xstrndup(p,
			    (size_t)(end - p));
		}
	}
	return ha;
}

void
http_auth_free(struct http_auth *ha)
{
	size_t	i, j;

	if (ha == NULL)
		return;
	for (i = 0; i < ha->ntools; i++) {
		for (j = 0; j < ha->tools[i].nscopes; j++)
			free(ha->tools[i].scopes[j]);
		free(ha->tools[i].scopes);
		free(ha->tools[i].name);
	}
	free(ha->tools);
	free(ha);
}

const struct http_oauth *
http_auth_oauth(const struct http_auth *ha)
{
	return &ha->oauth;
}

size_t
http_auth_ntools(const struct http_auth *ha)
{
	return ha->ntools;
}

/* One message's tool scopes added to out[*n], each once; *n becomes
 * max + 1 (and stays) when one more would not fit. */
static void
http_auth_add(const struct http_auth *ha, const char *server,
    json_object *msg, const char **out, size_t max, size_t *n)
{
	json_object	*params, *name;
	const char	*method;

	if ((method = jsonrpc_method(msg)) == NULL ||
	    strcmp(method, "tools/call") != 0)
		return;
	if (!json_object_object_get_ex(msg, "params", &params) ||
	    !json_object_object_get_ex(params, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		return;
	http_auth_tool_scopes(ha, server, json_object_get_string(name), out,
	    max, n);
}

void
http_auth_tool_scopes(const struct http_auth *ha, const char *server,
    const char *tool, const char **out, size_t max, size_t *n)
{
	char	shown[AGG_NAME_MAX + 1] = "";
	size_t	i, j, k;

	/* What the aggregated endpoint shows for it: a TOOL spelt so is
	 * that server's tool's, on its own route as on /mcp. */
	if (server != NULL)
		agg_name(ha->oauth.tool_separator != NULL ?
		    ha->oauth.tool_separator : AGG_DEFAULT_SEPARATOR, server,
		    tool, shown);
	for (i = 0; i < ha->ntools && *n <= max; i++) {
		if (strcmp(ha->tools[i].name, tool) != 0 &&
		    (shown[0] == '\0' || strcmp(ha->tools[i].name, shown) != 0))
			continue;
		for (j = 0; j < ha->tools[i].nscopes && *n <= max; j++) {
			for (k = 0; k < *n; k++)
				if (strcmp(out[k], ha->tools[i].scopes[j]) == 0)
					break;
			if (k < *n)
				continue;
			if (*n == max)
				(*n)++;		/* over: the caller refuses */
			else
				out[(*n)++] = ha->tools[i].scopes[j];
		}
	}
}

size_t
http_auth_scopes(const struct http_auth *ha, json_object *msg,
    const char **out, size_t max)
{
	return http_auth_scopes_on(ha, NULL, msg, out, max);
}

size_t
http_auth_scopes_on(const struct http_auth *ha, const char *server,
    json_object *msg, const char **out, size_t max)
{
	size_t	n = 0, i, len;

	if (ha == NULL || ha->ntools == 0 || msg == NULL)
		return 0;
	if (json_object_is_type(msg, json_type_array)) {
		len = json_object_array_length(msg);
		for (i = 0; i < len && n <= max; i++)
			http_auth_add(ha, server,
			    json_object_array_get_idx(msg, i), out, max, &n);
	} else
		http_auth_add(ha, server, msg, out, max, &n);
	return n;
}

/* A label value: '"', '\' and line breaks escaped (the text format). */
static void
http_auth_label(struct evbuffer *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			evbuffer_add_printf(out, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, s, 1);
	}
}

void
http_auth_metrics(const struct http_auth *ha, struct evbuffer *out,
    uint64_t static_ok)
{
	const struct http_oauth		*o = &ha->oauth;
	struct jwks_issuer		*is;
	uint64_t			 v;
	size_t				 i;
	int				 r;

	evbuffer_add_printf(out, "# HELP mcpbridge_oauth_tokens_total "
	    "Authorization decisions by outcome (static: a static token).\n"
	    "# TYPE mcpbridge_oauth_tokens_total counter\n");
	for (r = 0; r < RSAUTH_O_NOUTCOMES; r++) {
		v = r == RSAUTH_O_STATIC ? static_ok :
		    rsauth_count(o->rsauth, (enum rsauth_outcome)r);
		evbuffer_add_printf(out, "mcpbridge_oauth_tokens_total"
		    "{result=\"%s\"} %" PRIu64 "\n",
		    rsauth_outcome_name((enum rsauth_outcome)r), v);
	}
	evbuffer_add_printf(out, "# HELP mcpbridge_oauth_jwks_fetches_total "
	    "Fetches of issuer metadata and key sets by result.\n"
	    "# TYPE mcpbridge_oauth_jwks_fetches_total counter\n");
	for (r = 0; r < JWKS_FETCH_NRESULTS; r++)
		evbuffer_add_printf(out, "mcpbridge_oauth_jwks_fetches_total"
		    "{result=\"%s\"} %" PRIu64 "\n",
		    jwks_fetch_result_name((enum jwks_fetch_result)r),
		    jwks_fetches(o->jwks, (enum jwks_fetch_result)r));
	evbuffer_add_printf(out, "# HELP mcpbridge_oauth_jwks_keys "
	    "Usable keys cached per issuer.\n"
	    "# TYPE mcpbridge_oauth_jwks_keys gauge\n");
	for (i = 0; i < jwks_count(o->jwks); i++) {
		is = jwks_issuer(o->jwks, i);
		/* Not jwks_keys: a scrape starts no fetch. */
		evbuffer_add_printf(out, "mcpbridge_oauth_jwks_keys{issuer=\"");
		http_auth_label(out, jwks_issuer_name(is));
		evbuffer_add_printf(out, "\"} %zu\n", jwks_key_count(is));
	}
	if (o->introspect == NULL)
		return;
	evbuffer_add_printf(out, "# HELP mcpbridge_oauth_introspection_total "
	    "Introspection answers by result.\n"
	    "# TYPE mcpbridge_oauth_introspection_total counter\n");
	for (r = 0; r < INTROSPECT_PENDING; r++)
		evbuffer_add_printf(out, "mcpbridge_oauth_introspection_total"
		    "{result=\"%s\"} %" PRIu64 "\n",
		    introspect_result_name((enum introspect_result)r),
		    introspect_count(o->introspect,
		    (enum introspect_result)r));
	evbuffer_add_printf(out, "# HELP mcpbridge_oauth_introspection_cached "
	    "Introspection answers cached.\n"
	    "# TYPE mcpbridge_oauth_introspection_cached gauge\n"
	    "mcpbridge_oauth_introspection_cached %zu\n",
	    introspect_cached(o->introspect));
}
