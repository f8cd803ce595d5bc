/* SPDX-License-Identifier: ISC */
/*
 * auth.c: bearer tokens and allowed Host and Origin values.  See auth.h.
 *
 * Tokens are compared with auth_equal, whose running time depends on the
 * lengths alone, and auth_check compares against every token before it
 * answers.  Tokens are never logged: error messages name the file or the
 * variable, never a value.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "env.h"
#include "file.h"
#include "log.h"
#include "xmalloc.h"

/* The largest token file read. */
#define AUTH_MAX_FILE	(1024 * 1024)

struct auth_token {
	char	*value;
	size_t	 len;
	int	 id;		/* what auth_check answers for it */
};

struct auth {
	struct auth_token	*tokens;
	size_t			 count;
	int			 next_id;	/* no token has had it yet */
};

int
auth_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char	*pa = a, *pb = b;
	volatile unsigned char		 diff;
	size_t				 i;
	unsigned char			 ca;

	/* Walk b's length whatever a holds; a past its end reads as 0 and
	 * the length difference alone makes the result false. */
	diff = alen != blen;
	for (i = 0; i < blen; i++) {
		ca = i < alen ? pa[i] : 0;
		diff |= ca ^ pb[i];
	}
	return diff == 0;
}

void
auth_free(struct auth *a)
{
	size_t	i;

	if (a == NULL)
		return;
	for (i = 0; i < a->count; i++) {
		/* Do not leave tokens lying in freed memory. */
		explicit_bzero(a->tokens[i].value, a->tokens[i].len);
		free(a->tokens[i].value);
	}
	free(a->tokens);
	free(a);
}

void
auth_inherit(struct auth *fresh, const struct auth *old)
{
	struct auth_token	*t;
	size_t			 i, j;
	int			 next = old->next_id;

	/* Not in constant time: a reload, not a request, compares here. */
	for (i = 0; i < fresh->count; i++) {
		t = &fresh->tokens[i];
		for (j = 0; j < old->count; j++) {
			if (auth_equal(t->value, t->len, old->tokens[j].value,
			    old->tokens[j].len))
				break;
		}
		t->id = j < old->count ? old->tokens[j].id : next++;
	}
	fresh->next_id = next;
}

size_t
auth_count(const struct auth *a)
{
	return a == NULL ? 0 : a->count;
}

/* Token characters: RFC 6750 b64token, printable ASCII without blanks. */
static int
auth_token_valid(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return 0;
	}
	return 1;
}

struct auth *
auth_parse(const char *text, int is_file, char **err)
{
	struct auth	*a;
	const char	*p, *end, *seps = is_file ? "\n" : ",\n";
	size_t		 len, n = 0;

	*err = NULL;
	a = xcalloc(1, sizeof *a);
	for (p = text; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		n++;
		end = p + strcspn(p, seps);
		while (p < end && strchr(" \t\r", *p) != NULL)
			p++;
		len = (size_t)(end - p);
		while (len > 0 && strchr(" \t\r", p[len - 1]) != NULL)
			len--;
		if (len == 0 || (is_file && *p == '#'))
			continue;
		if (len > AUTH_MAX_TOKEN_LEN || !auth_token_valid(p, len)) {
			xasprintf(err, "token %zu is %s", n,
			    len > AUTH_MAX_TOKEN_LEN ? "too long" :
			    "not printable ASCII without blanks");
			goto fail;
		}
		if (a->count == AUTH_MAX_TOKENS) {
			xasprintf(err, "more than %d tokens", AUTH_MAX_TOKENS);
			goto fail;
		}
		a->tokens = xreallocarray(a->tokens, a->count + 1,
		    sizeof *a->tokens);
		a->tokens[a->count].value = xstrndup(p, len);
		a->tokens[a->count].len = len;
		a->tokens[a->count].id = (int)a->count;
		a->count++;
		a->next_id = (int)a->count;
	}
	if (a->count == 0) {
		xasprintf(err, "no token in it");
		goto fail;
	}
	return a;

fail:
	auth_free(a);
	return NULL;
}

struct auth *
auth_load_file(const char *path, char **err)
{
	struct auth	*a;
	struct file	 f;
	char		*why;

	*err = NULL;
	if (file_read(&f, path, AUTH_MAX_FILE, 0) == -1) {
		xasprintf(err, "%s: %s", path, f.fail == FILE_TOO_BIG ?
		    "too large" : strerror(f.error));
		return NULL;
	}
	if (f.mode & (S_IRWXG | S_IRWXO))
		log_warnx("%s: readable by others than its owner", path);
	if (strlen(f.data) != f.len) {
		xasprintf(err, "%s: contains a NUL byte", path);
		a = NULL;
	} else if ((a = auth_parse(f.data, 1, &why)) == NULL) {
		xasprintf(err, "%s: %s", path, why);
		free(why);
	}
	file_free(&f);
	return a;
}

struct auth *
auth_load_env(const char *name, char **err)
{
	struct auth	*a;
	char		*v, *why;

	*err = NULL;
	/* Taken out of the environment: the child must not inherit it. */
	if ((v = env_take(name)) == NULL) {
		xasprintf(err, "environment variable %s is not set", name);
		return NULL;
	}
	if ((a = auth_parse(v, 0, &why)) == NULL) {
		xasprintf(err, "environment variable %s: %s", name, why);
		free(why);
	}
	explicit_bzero(v, strlen(v));
	free(v);
	return a;
}

int
auth_check(const struct auth *a, const char *authorization)
{
	const char	*p;
	size_t		 i, len;
	int		 found = -1;

	if (a == NULL || authorization == NULL)
		return -1;
	p = authorization + strspn(authorization, " \t");
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return -1;
	p += 6;
	p += strspn(p, " \t");
	len = strcspn(p, " \t\r\n");
	if (len == 0 || p[len + strspn(p + len, " \t")] != '\0')
		return -1;
	for (i = 0; i < a->count; i++) {
		if (auth_equal(p, len, a->tokens[i].value, a->tokens[i].len) &&
		    found == -1)
			found = (int)i;
	}
	return found == -1 ? -1 : a->tokens[found].id;
}

/* ---- Host and Origin ---- */

static int
auth_eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

int
auth_local_host(const char *host, size_t len)
{
	const char	*colon;

	/* Drop the port: "[::1]:80", "localhost:80". */
	if (len > 0 && host[0] == '[') {
		colon = memchr(host, ']', len);
		if (colon == NULL)
			return 0;
		len = (size_t)(colon - host) + 1;
	} else if ((colon = memchr(host, ':', len)) != NULL)
		len = (size_t)(colon - host);
	/* The addresses have no letters: memcmp is the same compare, for
	 * less than strncasecmp costs (issue 20). */
	return auth_eq(host, len, "localhost") ||
	    (len == 9 && memcmp(host, "127.0.0.1", 9) == 0) ||
	    (len == 5 && memcmp(host, "[::1]", 5) == 0);
}

/* Is s (len bytes) in the list, or is "*" there? */
static int
auth_listed(char *const *list, size_t n, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], "*") == 0 || auth_eq(s, len, list[i]))
			return 1;
	}
	return 0;
}

/* The host part of a Host value, without the port. */
static size_t
auth_host_len(const char *host)
{
	const char	*end;

	if (host[0] == '[')
		return (end = strchr(host, ']')) == NULL ? strlen(host) :
		    (size_t)(end - host) + 1;
	return strcspn(host, ":");
}

int
auth_host_ok(const struct auth_origins *o, const char *host)
{
	size_t	len;

	if (host == NULL)	/* HTTP/1.0: nothing to check */
		return 1;
	len = strlen(host);
	/* No list (the usual loopback default): nothing is listed, and
	 * the host part need not be measured. */
	if (o->nhosts > 0 && (auth_listed(o->hosts, o->nhosts, host, len) ||
	    auth_listed(o->hosts, o->nhosts, host, auth_host_len(host))))
		return 1;
	if (o->loopback)
		return auth_local_host(host, len);
	return o->nhosts == 0;
}

int
auth_cors_ok(const struct auth_origins *o, const char *origin)
{
	return origin != NULL && auth_listed(o->cors, o->ncors, origin,
	    strlen(origin));
}

int
auth_origin_ok(const struct auth_origins *o, const char *origin,
    const char *host)
{
	const char	*p;
	size_t		 len;

	if (origin == NULL)
		return 1;
	len = strlen(origin);
	if (auth_listed(o->origins, o->norigins, origin, len) ||
	    auth_cors_ok(o, origin))
		return 1;
	if (strncasecmp(origin, "http://", 7) == 0)
		p = origin + 7;
	else if (strncasecmp(origin, "https://", 8) == 0)
		p = origin + 8;
	else
		return 0;	/* "null", or garbage */
	len = strcspn(p, "/");
	if (p[len] != '\0')
		return 0;	/* an origin has no path */
	if (o->loopback && auth_local_host(p, len))
		return 1;
	return host != NULL && auth_eq(p, len, host);
}

void
auth_each(const struct auth *a, void (*fn)(void *, const char *), void *arg)
{
	size_t	i;

	for (i = 0; a != NULL && i < a->count; i++)
		fn(arg, a->tokens[i].value);
}
