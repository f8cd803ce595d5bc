/* SPDX-License-Identifier: ISC */
/*
 * sockopt.c: socket options some systems lack (see sockopt.h).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>

#include "sockopt.h"

int
sockopt_user_timeout(int fd, unsigned int ms)
{
#ifdef TCP_USER_TIMEOUT
	return setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
#else
	(void)fd;
	(void)ms;
	errno = ENOPROTOOPT;
	return -1;
#endif
}
