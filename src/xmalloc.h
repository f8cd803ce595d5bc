/* SPDX-License-Identifier: ISC */
/*
 * xmalloc.h: allocation that cannot fail.  Running out of memory is fatal
 * for a daemon like this one: there is no sane partial state to return to.
 */
#ifndef MCPBRIDGE_XMALLOC_H
#define MCPBRIDGE_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Frees a NULL-terminated vector of strings and the strings; NULL is fine. */
void	 xfreev(char **);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

#endif
