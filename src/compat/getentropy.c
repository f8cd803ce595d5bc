/* SPDX-License-Identifier: ISC */
/*
 * getentropy.c: getentropy for systems without it (compat.h), from
 * /dev/urandom.  Same contract: at most GETENTROPY_MAX bytes, all or -1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define GETENTROPY_MAX	256

int
getentropy(void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, saved;

	if (len > GETENTROPY_MAX) {
		errno = EIO;
		return -1;
	}
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			saved = n == 0 ? EIO : errno;
			close(fd);
			errno = saved;
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	return 0;
}
