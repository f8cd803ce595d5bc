/* SPDX-License-Identifier: ISC */
/*
 * auth.h: who may talk to `mcpbridge serve`: bearer tokens (loaded from a
 * file or an environment variable, compared in constant time) and the
 * Host and Origin values a request may carry (DNS rebinding protection).
 * No I/O beyond reading the token file; no libevent.
 */
#ifndef MCPBRIDGE_AUTH_H
#define MCPBRIDGE_AUTH_H

#include <stddef.h>

/* The longest token accepted, and the most tokens. */
#define AUTH_MAX_TOKEN_LEN	4096
#define AUTH_MAX_TOKENS		1024

struct auth;

/* 1 if the two byte strings are equal.  The time taken depends on the
 * lengths only, never on where they differ. */
int		 auth_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Tokens from text: one a line (file) or separated by commas or newlines
 * (environment).  Blank entries and, in files, lines starting with '#' are
 * skipped; surrounding blanks are trimmed.  NULL with *err set (caller
 * frees) if there is none or one is unusable. */
struct auth	*auth_parse(const char *text, int is_file, char **err);
/* The same from a file or from an environment variable (which is then
 * removed from the environment, see env.h). */
struct auth	*auth_load_file(const char *path, char **err);
struct auth	*auth_load_env(const char *name, char **err);
void		 auth_free(struct auth *);
/* fresh replaces old (SIGHUP): each token of fresh that old has keeps
 * old's number, so that what it opened stays its own; every other one
 * gets a number neither has used. */
void		 auth_inherit(struct auth *fresh, const struct auth *old);
size_t		 auth_count(const struct auth *);
/* An Authorization header value: the number of the token it carries (from
 * 0: its place in the list, or the one it inherited), or -1.  Every token is compared, so the time does not tell which
 * one matched. */
int		 auth_check(const struct auth *, const char *authorization);

/*
 * Host and Origin.  loopback: the listener is on a loopback address.
 * hosts and origins are the --allow-host and --allow-origin values (exact,
 * case-insensitive, or "*"); cors the --cors values, which are allowed
 * origins too.
 */
struct auth_origins {
	int		 loopback;
	char *const	*hosts;
	size_t		 nhosts;
	char *const	*origins;
	size_t		 norigins;
	char *const	*cors;
	size_t		 ncors;
};

/* "localhost", "127.0.0.1" or "[::1]", with or without a port. */
int		 auth_local_host(const char *host, size_t len);
/* A Host header value.  Bound to loopback, the local names and the allowed
 * hosts pass; elsewhere anything passes unless hosts are listed. */
int		 auth_host_ok(const struct auth_origins *, const char *host);
/* An Origin header value: an allowed origin, a CORS origin, a local one
 * (loopback listener), or the request's own Host (same origin). */
int		 auth_origin_ok(const struct auth_origins *, const char *origin,
		    const char *host);
/* Is origin one of the --cors values (or is "*" among them)? */
int		 auth_cors_ok(const struct auth_origins *, const char *origin);

/* Calls fn with each token, for what must never print them (the message
 * trace's redaction). */
void		 auth_each(const struct auth *, void (*)(void *, const char *),
		    void *);

#endif
