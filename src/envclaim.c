/* SPDX-License-Identifier: ISC */
/*
 * envclaim.c: a session child's environment from verified claims
 * (--env-from-claim).  Only claim values reach the child, never the
 * token; a value that could confuse a shell or a log (control characters,
 * NUL, megabytes) is left out rather than cleaned, so the child sees
 * either the claim as issued or nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "envclaim.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Names refused for VAR: the bridge's own, and those that make the
 * loader, a shell or a common interpreter run code or read files of the
 * value's choosing.  A claim such as name or email is often the user's
 * to edit at the identity provider, so such a mapping would hand the
 * child's code to the user.  A name ending in '*' is a prefix.  The man
 * page lists the same names: keep them in step.  A deny list is never
 * complete; it stops the known ways, not every one.
 */
static const char *const envclaim_reserved[] = {
	/* the bridge's, the loader's, libc's */
	"PATH", "HOME", "MCPBRIDGE_*", "LD_*", "DYLD_*", "GLIBC_TUNABLES",
	"GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "MALLOC_*",
	/* shells */
	"SHELL", "ENV", "BASH_ENV", "BASH_FUNC_*", "IFS", "SHELLOPTS",
	"BASHOPTS", "PS1", "PS2", "PS4", "PROMPT_COMMAND", "CDPATH",
	"GLOBIGNORE",
	/* interpreters and runtimes */
	"NODE_*", "NPM_CONFIG_*", "PYTHON*", "PERL*", "RUBY*", "GEM_*",
	"BUNDLE_*", "LUA_*", "PHPRC", "PHP_INI_SCAN_DIR", "JAVA_TOOL_OPTIONS",
	"_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH", "DOTNET_*",
	"CORECLR_*", "R_PROFILE*", "R_ENVIRON*", "TCLLIBPATH",
	/* libraries and tools that load modules or run commands */
	"OPENSSL_*", "GIT_*", "SSH_ASKPASS", "EDITOR", "VISUAL", "PAGER",
	"MANPAGER", "BROWSER", "LESSOPEN", "LESSCLOSE",
	NULL
};

static int
envclaim_reserved_name(const char *var, size_t len)
{
	const char *const	*r;
	size_t			 rl;

	for (r = envclaim_reserved; *r != NULL; r++) {
		rl = strlen(*r);
		if ((*r)[rl - 1] == '*' ? len >= rl - 1 &&
		    strncmp(var, *r, rl - 1) == 0 :
		    len == rl && strncmp(var, *r, rl) == 0)
			return 1;
	}
	return 0;
}

int
envclaim_check(const char *arg, char **err)
{
	const char	*eq = strchr(arg, '='), *p;
	size_t		 vlen, i;

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		xasprintf(err, "--env-from-claim wants VAR=CLAIM, not '%s'",
		    arg);
		return -1;
	}
	vlen = (size_t)(eq - arg);
	for (i = 0; i < vlen; i++) {
		if (!(arg[i] == '_' || (arg[i] >= 'A' && arg[i] <= 'Z') ||
		    (i > 0 && arg[i] >= '0' && arg[i] <= '9')))
			break;
	}
	if (i < vlen || vlen > ENVCLAIM_MAX_NAME) {
		xasprintf(err, "--env-from-claim: '%.*s' is not a portable "
		    "variable name ([A-Z_][A-Z0-9_]*, at most %d bytes)",
		    (int)vlen, arg, ENVCLAIM_MAX_NAME);
		return -1;
	}
	if (envclaim_reserved_name(arg, vlen)) {
		xasprintf(err, "--env-from-claim: %.*s is refused: the "
		    "bridge's own, or a variable that makes the loader, a "
		    "shell or an interpreter run code or read files (see "
		    "--env-from-claim in mcpbridge(1))", (int)vlen, arg);
		return -1;
	}
	for (p = eq + 1; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f)
			break;
	}
	if (*p != '\0' || strlen(eq + 1) > ENVCLAIM_MAX_NAME) {
		xasprintf(err, "--env-from-claim: the claim name of %.*s is "
		    "not printable ASCII without spaces of at most %d bytes",
		    (int)vlen, arg, ENVCLAIM_MAX_NAME);
		return -1;
	}
	return 0;
}

char *
envclaim_var(const char *arg)
{
	return xstrndup(arg, strcspn(arg, "="));
}

/* 1 if s (len bytes) is fit for the child: no NUL, no C0 or C1 control
 * character, no DEL; the C1 range is U+0080..U+009F, C2 80..C2 9F. */
static int
envclaim_value_ok(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

/* VAR=value for one mapping, or NULL (and a debug line) to leave it out. */
static char *
envclaim_entry(const char *map, json_object *claims)
{
	const char	*claim = strchr(map, '=') + 1;
	int		 vlen = (int)(claim - map - 1);
	json_object	*v;
	const char	*s;
	size_t		 len;
	char		*e;

	if (claims == NULL) {
		log_debug("--env-from-claim: %.*s unset: no verified claims "
		    "(not an OAuth token)", vlen, map);
		return NULL;
	}
	if (!json_object_object_get_ex(claims, claim, &v) || v == NULL) {
		log_debug("--env-from-claim: %.*s unset: the token has no "
		    "claim %s", vlen, map, claim);
		return NULL;
	}
	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (len > ENVCLAIM_MAX_VALUE) {
			log_debug("--env-from-claim: %.*s unset: claim %s is "
			    "longer than %d bytes", vlen, map, claim,
			    ENVCLAIM_MAX_VALUE);
			return NULL;
		}
		if (strlen(s) != len || !envclaim_value_ok(s, len)) {
			log_debug("--env-from-claim: %.*s unset: claim %s "
			    "holds control characters", vlen, map, claim);
			return NULL;
		}
		break;
	case json_type_int:
		/* json-c prints int64 and uint64 alike, in decimal. */
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		break;
	default:
		log_debug("--env-from-claim: %.*s unset: claim %s is not a "
		    "string or an integer", vlen, map, claim);
		return NULL;
	}
	xasprintf(&e, "%.*s=%s", vlen, map, s);
	return e;
}

char **
envclaim_env(char *const *base, char *const *map, json_object *claims)
{
	char	**env, *e;
	size_t	  nbase = 0, nmap = 0, n = 0, i;

	while (base != NULL && base[nbase] != NULL)
		nbase++;
	while (map != NULL && map[nmap] != NULL)
		nmap++;
	env = xcalloc(nbase + nmap + 1, sizeof *env);
	for (i = 0; i < nbase; i++)
		env[n++] = xstrdup(base[i]);
	for (i = 0; i < nmap; i++) {
		if ((e = envclaim_entry(map[i], claims)) != NULL)
			env[n++] = e;
	}
	env[n] = NULL;
	return env;
}

