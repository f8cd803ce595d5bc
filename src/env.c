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
	char	*v;

	if ((v = getenv(name)) == NULL)
		return;
	/* Overwrite before unsetting: some C libraries free the string on
	 * unsetenv when setenv made it. */
	explicit_bzero(v, strlen(v));
	(void)unsetenv(name);
}
