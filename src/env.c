/*
 * env.c: secrets taken from the environment.
 *
 * Every process the bridge starts (the child, each session's child, each
 * restart, the browser opener) inherits its environment, so a secret read
 * from there is unset at once.  unsetenv alone is not enough: the strings
 * of the initial environment stay where exec put them, and
 * /proc/PID/environ shows that memory to any process of the same user,
 * the child included; so the value is overwritten too.
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
