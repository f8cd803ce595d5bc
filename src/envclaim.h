/* SPDX-License-Identifier: ISC */
/*
 * envclaim.h: --env-from-claim VAR=CLAIM: a session's own child learns
 * whom it serves from the verified claims of the token that opened the
 * session (serve mode with --isolation=session only: a shared child
 * serves many principals).  Pure: strings and a JSON object in, a
 * KEY=VALUE vector out; the only output besides is a debug line naming
 * the claim of a variable left unset, never a value.
 */
#ifndef MCPBRIDGE_ENVCLAIM_H
#define MCPBRIDGE_ENVCLAIM_H

#include <stddef.h>

struct json_object;

/* --env-from-claim options. */
#define ENVCLAIM_MAX		64
/* A variable's or a claim's name, in bytes. */
#define ENVCLAIM_MAX_NAME	128
/* A claim's value, in bytes: longer and the variable is unset. */
#define ENVCLAIM_MAX_VALUE	1024

/*
 * Checks one option's argument, "VAR=CLAIM": VAR portable
 * ([A-Z_][A-Z0-9_]*) and not one the bridge or the loader owns (PATH,
 * HOME, LD_*, DYLD_*, MCPBRIDGE_*), CLAIM printable ASCII without
 * spaces, both at most ENVCLAIM_MAX_NAME bytes.  0, or -1 with *err
 * (allocated, fit for a start-up error).
 */
int	 envclaim_check(const char *arg, char **err);

/*
 * The variable of a checked "VAR=CLAIM" (an allocated copy), so the
 * caller can refuse one --env also sets and clear the bridge's own.
 */
char	*envclaim_var(const char *arg);

/*
 * The child's environment: a copy of base (KEY=VALUE strings, NULL-
 * terminated, may be NULL) followed by VAR=value for each mapping in map
 * (checked "VAR=CLAIM" strings, NULL-terminated, may be NULL) whose claim
 * in claims (a JSON object, or NULL: no verified claims, as for a static
 * token) is a string of at most ENVCLAIM_MAX_VALUE bytes without control
 * characters, or an integer (decimal).  Any other claim leaves VAR out
 * and says so in a debug line that names the claim.  The vector and its
 * strings are the caller's: xfreev.
 */
char	**envclaim_env(char *const *base, char *const *map,
	    struct json_object *claims);

#endif
