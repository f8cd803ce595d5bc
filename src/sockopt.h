/* SPDX-License-Identifier: ISC */
/*
 * sockopt.h: socket options some systems lack, each behind one function
 * so that the code above holds no #ifdef for them (see compat.h for the
 * functions some systems lack).
 */
#ifndef MCPBRIDGE_SOCKOPT_H
#define MCPBRIDGE_SOCKOPT_H

/*
 * How long data we sent may stay unacknowledged before the kernel gives
 * the connection up (TCP_USER_TIMEOUT, Linux): with keep-alive on, a peer
 * that vanished is found in about that time.  0, or -1 with errno
 * ENOPROTOOPT where the system has no such option: keep-alive alone then
 * finds it, later.
 */
int	sockopt_user_timeout(int fd, unsigned int ms);

#endif
