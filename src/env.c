/* SPDX-License-Identifier: ISC */
/*
 * env.c: secrets taken from the environment.
 *
 * Every process the bridge starts (the child, each session's child, each
 * restart, the browser opener) inherits its environment, so a secret read
 * from there is unset at once.  unsetenv alone is not enough: the strings
 * of the initial environment stay where exec put them, and
 * /proc/PID/environ shows that memory to any process of the same user,
 * the child included; so the value is overwritten too.
 *
 * Nothing here logs: the values are secrets, and an error names at most a
 * variable.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "xmalloc.h"

extern char **environ;

char *
env_take(const char *name)
{
	const char	*v;
	char		*copy;

	if ((v = getenv(name)) == NULL)
		return NULL;
	copy = xstrdup(v);
	env_forget(name);
	return copy;
}

void
env_forget(const char *name)
{
	size_t	  len = strlen(name);
	char	**e, *v;

	/*
	 * Every entry of that name, not just the first that getenv finds:
	 * an environment may hold a name twice, and unsetenv removes all of
	 * them from environ but leaves their bytes where they were.  Overwrite
	 * before unsetting: some C libraries free the string on unsetenv when
	 * setenv made it.
	 */
	for (e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, name, len) != 0 || (*e)[len] != '=')
			continue;
		v = *e + len + 1;
		explicit_bzero(v, strlen(v));
	}
	(void)unsetenv(name);
}

/*
 * The next ${NAME} at or after p: where it starts, with *name and *len
 * NAME's bounds (*len 0 if it is empty or has no closing brace); NULL if
 * there is none.  The one reader of the syntax.
 */
static const char *
env_ref(const char *p, const char **name, size_t *len)
{
	const char	*ref, *end;

	if ((ref = strstr(p, "${")) == NULL)
		return NULL;
	*name = ref + 2;
	end = strchr(*name, '}');
	*len = end == NULL ? 0 : (size_t)(end - *name);
	return ref;
}

int
env_expand(const char *in, const char *what, char **out, char **err)
{
	const char	*p, *ref, *name, *v;
	char		*key, *s;
	size_t		 len, size, n;
	int		 pass;

	*out = NULL;
	/* Pass 0 checks and measures, pass 1 copies: one allocation, so no
	 * stray copy of a value is left in freed memory. */
	for (pass = 0, size = 0, s = NULL; pass < 2; pass++) {
		n = 0;
		for (p = in; (ref = env_ref(p, &name, &len)) != NULL;
		    p = name + len + 1) {
			if (len == 0) {
				xasprintf(err, "unterminated or empty ${} in "
				    "%s", what);
				return -1;
			}
			key = xstrndup(name, len);
			if ((v = getenv(key)) == NULL) {
				xasprintf(err, "environment variable %s is "
				    "not set", key);
				free(key);
				return -1;
			}
			if (strpbrk(v, "\r\n") != NULL) {
				xasprintf(err, "environment variable %s "
				    "contains a line break", key);
				free(key);
				return -1;
			}
			free(key);
			if (pass == 1) {
				memcpy(s + n, p, (size_t)(ref - p));
				memcpy(s + n + (ref - p), v, strlen(v));
			}
			n += (size_t)(ref - p) + strlen(v);
		}
		if (pass == 1)
			memcpy(s + n, p, strlen(p));
		n += strlen(p);
		if (pass == 0) {
			size = n;
			s = xmalloc(size + 1);
		}
	}
	s[size] = '\0';
	*out = s;
	return 0;
}

void
env_each_ref(const char *in, void (*fn)(const char *))
{
	const char	*p, *ref, *name;
	char		*key;
	size_t		 len;

	for (p = in; (ref = env_ref(p, &name, &len)) != NULL;
	    p = name + len + 1) {
		if (len == 0) {
			if (*name != '}')	/* unterminated: the end */
				return;
			continue;		/* "${}": names nothing */
		}
		key = xstrndup(name, len);
		fn(key);
		free(key);
	}
}

void
env_forget_refs(const char *in)
{
	env_each_ref(in, env_forget);
}
