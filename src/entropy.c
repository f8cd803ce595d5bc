/* SPDX-License-Identifier: ISC */
/*
 * entropy.c: random bytes from the system (getentropy; compat/ reads
 * /dev/urandom where there is none).  Failing is fatal: nothing the bridge
 * makes random may fall back to something guessable.
 */
#include "config.h"

#include <stddef.h>
#include <unistd.h>

#include "entropy.h"
#include "log.h"

/* getentropy gives at most this much a call. */
#define ENTROPY_CALL_MAX	256

void
entropy_get(void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 n;

	while (len > 0) {
		n = len < ENTROPY_CALL_MAX ? len : ENTROPY_CALL_MAX;
		if (getentropy(p, n) == -1)
			fatal("getentropy");
		p += n;
		len -= n;
	}
}
