/*
 * entropy.c: random bytes from the kernel.  getrandom where there is one;
 * /dev/urandom otherwise (or if getrandom fails).  Having neither is
 * fatal: nothing the bridge makes random may fall back to something
 * guessable.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "entropy.h"
#include "log.h"

void
entropy_get(void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

#ifdef HAVE_GETRANDOM
	while (got < len) {
		n = getrandom(p + got, len - got, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
#endif
	if (got == len)
		return;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		fatal("/dev/urandom");
	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal("/dev/urandom");
		got += (size_t)n;
	}
	close(fd);
}
