/* SPDX-License-Identifier: ISC */
/*
 * rsmeta.c: the protected-resource metadata document and the Bearer
 * challenges.  Everything here is public: it is served to anyone who
 * asks, so nothing secret may reach it, and the callers pass only
 * configuration and static texts.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "asmeta.h"
#include "rsmeta.h"
#include "xmalloc.h"

int
rsmeta_scope_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || *s == '\0')
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
			return 0;
		if (n >= RSMETA_MAX_SCOPE_LEN)
			return 0;
	}
	return 1;
}

int
rsmeta_resource_check(const char *resource, const char **cause)
{
	char	*probe;

	if (resource == NULL || *resource == '\0') {
		*cause = "resource is empty";
		return -1;
	}
	if (strlen(resource) > ASMETA_MAX_URL_LEN) {
		*cause = "resource is too long";
		return -1;
	}
	if (strpbrk(resource, "?#") != NULL) {
		*cause = "resource has a query or a fragment";
		return -1;
	}
	if ((probe = asmeta_insert_wellknown(resource, RSMETA_WELLKNOWN))
	    == NULL) {
		*cause = "resource is not an https URL (or http to loopback)";
		return -1;
	}
	free(probe);
	return 0;
}

char *
rsmeta_metadata_url(const char *resource)
{
	const char	*cause;

	if (rsmeta_resource_check(resource, &cause) == -1)
		return NULL;
	return asmeta_insert_wellknown(resource, RSMETA_WELLKNOWN);
}

char *
rsmeta_metadata_path(const char *resource)
{
	char		*url, *path;
	const char	*p;

	if ((url = rsmeta_metadata_url(resource)) == NULL)
		return NULL;
	p = strstr(url, "://") + 3;
	path = xstrdup(p + strcspn(p, "/"));
	free(url);
	return path;
}

char *
rsmeta_document(const struct rsmeta_config *c)
{
	json_object	*root, *a;
	const char	*cause;
	char		*out;
	size_t		 i, j;

	if (rsmeta_resource_check(c->resource, &cause) == -1 ||
	    c->nissuers > RSMETA_MAX_ISSUERS ||
	    c->nscopes > RSMETA_MAX_SCOPES)
		return NULL;
	for (i = 0; i < c->nscopes; i++)
		if (!rsmeta_scope_ok(c->scopes[i]))
			return NULL;

	root = json_object_new_object();
	json_object_object_add(root, "resource",
	    json_object_new_string(c->resource));
	a = json_object_new_array();
	for (i = 0; i < c->nissuers; i++)
		json_object_array_add(a, json_object_new_string(c->issuers[i]));
	json_object_object_add(root, "authorization_servers", a);
	if (c->nscopes > 0) {
		a = json_object_new_array();
		for (i = 0; i < c->nscopes; i++) {
			for (j = 0; j < i; j++)
				if (strcmp(c->scopes[i], c->scopes[j]) == 0)
					break;
			if (j == i)
				json_object_array_add(a,
				    json_object_new_string(c->scopes[i]));
		}
		json_object_object_add(root, "scopes_supported", a);
	}
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("header"));
	json_object_object_add(root, "bearer_methods_supported", a);
	if (c->resource_name != NULL)
		json_object_object_add(root, "resource_name",
		    json_object_new_string(c->resource_name));
	out = xstrdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}

/* ` name="value"` with value a quoted-string, appended at *len. */
static void
rsmeta_param(char **buf, size_t *len, size_t *cap, const char *name,
    const char *value, int first)
{
	size_t	 need, i;

	need = strlen(name) + 2 * strlen(value) + 6;
	if (*len + need + 1 > *cap) {
		*cap = *len + need + 1;
		*buf = xrealloc(*buf, *cap);
	}
	if (!first)
		(*buf)[(*len)++] = ',';
	(*buf)[(*len)++] = ' ';
	memcpy(*buf + *len, name, strlen(name));
	*len += strlen(name);
	(*buf)[(*len)++] = '=';
	(*buf)[(*len)++] = '"';
	for (i = 0; value[i] != '\0'; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == '"' || c == '\\')
			(*buf)[(*len)++] = '\\';
		(*buf)[(*len)++] = (char)c;
	}
	(*buf)[(*len)++] = '"';
	(*buf)[*len] = '\0';
}

char *
rsmeta_challenge(enum rsmeta_challenge kind, const char *description,
    const char *const *scopes, size_t nscopes, const char *metadata_url)
{
	char		*buf, *scope = NULL;
	size_t		 len = 0, cap = 64, slen = 0, i, n;
	int		 first = 1;

	buf = xmalloc(cap);
	memcpy(buf, "Bearer", 7);
	len = 6;
	if (kind == RSMETA_INVALID_TOKEN) {
		rsmeta_param(&buf, &len, &cap, "error", "invalid_token", first);
		first = 0;
	} else if (kind == RSMETA_INSUFFICIENT_SCOPE) {
		rsmeta_param(&buf, &len, &cap, "error", "insufficient_scope",
		    first);
		first = 0;
	}
	/* Configuration and static texts only, but bounded all the same
	 * so the value stays within RSMETA_MAX_CHALLENGE_LEN. */
	if (description != NULL && strlen(description) >
	    RSMETA_MAX_DESCRIPTION_LEN)
		description = NULL;
	if (metadata_url != NULL && strlen(metadata_url) > ASMETA_MAX_URL_LEN)
		metadata_url = NULL;
	if (description != NULL && kind != RSMETA_NO_TOKEN) {
		rsmeta_param(&buf, &len, &cap, "error_description",
		    description, first);
		first = 0;
	}
	/* The scope list, if it fits: a client still learns the rest from
	 * the metadata document. */
	for (i = 0; i < nscopes && slen <= RSMETA_MAX_CHALLENGE_LEN; i++)
		slen += strlen(scopes[i]) + 1;
	if (nscopes > 0 && nscopes <= RSMETA_MAX_SCOPES &&
	    2 * slen + len + (metadata_url != NULL ? 2 * strlen(metadata_url) :
	    0) + 64 <= RSMETA_MAX_CHALLENGE_LEN) {
		scope = xmalloc(slen + 1);
		for (i = 0, n = 0; i < nscopes; i++) {
			if (i > 0)
				scope[n++] = ' ';
			memcpy(scope + n, scopes[i], strlen(scopes[i]));
			n += strlen(scopes[i]);
		}
		scope[n] = '\0';
		rsmeta_param(&buf, &len, &cap, "scope", scope, first);
		first = 0;
		free(scope);
	}
	if (metadata_url != NULL)
		rsmeta_param(&buf, &len, &cap, "resource_metadata",
		    metadata_url, first);
	return buf;
}
