/* SPDX-License-Identifier: ISC */
/*
 * env.h: secrets the bridge reads from its own environment (bearer tokens,
 * OAuth client secrets, header values).  Read once, then removed, so that
 * no process the bridge starts later inherits them.
 */
#ifndef MCPBRIDGE_ENV_H
#define MCPBRIDGE_ENV_H

/* A copy of the value of name (the caller frees it), or NULL if name is
 * not set; either way name is gone from the environment afterwards (see
 * env_forget). */
char	*env_take(const char *name);
/* Removes name from the environment and overwrites the value's bytes in
 * our memory; nothing if it is not set. */
void	 env_forget(const char *name);

/*
 * in with every ${NAME} replaced by NAME's value (*out, the caller frees
 * it).  -1 and *err if a reference is empty or unterminated ("... in
 * what"), or NAME is not set or its value holds a line break; *err names
 * the variable, never its value.
 */
int	 env_expand(const char *in, const char *what, char **out,
	    char **err);
/* env_forget for every variable a ${NAME} in in names: after env_expand,
 * once every value is read (two strings may name one variable). */
void	 env_forget_refs(const char *in);
/* fn with each NAME a ${NAME} in in names (an empty one skipped, the
 * walk ending at an unterminated one), as env_expand reads them. */
void	 env_each_ref(const char *in, void (*fn)(const char *));

#endif
