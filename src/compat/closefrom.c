/* SPDX-License-Identifier: ISC */
/*
 * closefrom.c: closefrom for systems without it (compat.h).  Only
 * async-signal-safe calls: it runs between fork and exec.
 */
#include "config.h"

#include <limits.h>
#include <unistd.h>

/* When the system will not say how many descriptors a process may have. */
#define CLOSEFROM_FALLBACK_MAX	1024

void
closefrom(int lowfd)
{
	long	max = sysconf(_SC_OPEN_MAX);
	long	fd;

	if (max <= 0 || max > INT_MAX)
		max = CLOSEFROM_FALLBACK_MAX;
	for (fd = lowfd; fd < max; fd++)
		(void)close((int)fd);
}
