/* SPDX-License-Identifier: ISC */
/*
 * compat.h: what some systems lack, declared here and defined in compat/
 * (configure's AC_REPLACE_FUNCS picks the files), so that the code above
 * calls one name everywhere and holds no #ifdef of its own.  config.h
 * includes this file last, so every source file has it.
 */
#ifndef MCPBRIDGE_COMPAT_H
#define MCPBRIDGE_COMPAT_H

#include <stddef.h>

#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>		/* getentropy on macOS and glibc */
#endif

#ifndef HAVE_PIPE2
/* Linux and the BSDs have it; macOS does not.  Only the flags O_CLOEXEC
 * and O_NONBLOCK; set after pipe(), which is fine in a program that does
 * not fork from more than one thread. */
int	pipe2(int [2], int);
#endif

#ifndef HAVE_CLOSEFROM
/* Closes every descriptor from lowfd up.  Async-signal-safe: it runs in
 * the child between fork and exec. */
void	closefrom(int);
#endif

#ifndef HAVE_EXPLICIT_BZERO
/* A memset the compiler may not remove: for secrets. */
void	explicit_bzero(void *, size_t);
#endif

#ifndef HAVE_GETENTROPY
/* At most 256 bytes from the system's random source, or -1. */
int	getentropy(void *, size_t);
#endif

#endif
