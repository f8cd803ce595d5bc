/* SPDX-License-Identifier: ISC */
/*
 * explicit_bzero.c: explicit_bzero for systems without it (compat.h).
 * The call goes through a volatile pointer, which the compiler must load
 * and call, so it cannot prove the stores dead and drop them.
 */
#include "config.h"

#include <string.h>

static void *(*volatile explicit_bzero_memset)(void *, int, size_t) = memset;

void
explicit_bzero(void *p, size_t len)
{
	explicit_bzero_memset(p, 0, len);
}
