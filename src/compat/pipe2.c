/* SPDX-License-Identifier: ISC */
/*
 * pipe2.c: pipe2 for systems without it (compat.h), from pipe and fcntl.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int
pipe2(int fds[2], int flags)
{
	int	i, saved;

	if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (pipe(fds) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((flags & O_CLOEXEC) &&
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1)
			goto fail;
		if ((flags & O_NONBLOCK) && fcntl(fds[i], F_SETFL,
		    fcntl(fds[i], F_GETFL) | O_NONBLOCK) == -1)
			goto fail;
	}
	return 0;

fail:
	saved = errno;
	close(fds[0]);
	close(fds[1]);
	errno = saved;
	return -1;
}
