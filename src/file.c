/* SPDX-License-Identifier: ISC */
/*
 * file.c: read a small file whole.  The token file, the OAuth client
 * secret and the OAuth token store each had their own loop; the checks
 * that told them apart are flags here, and the messages stay with the
 * callers.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "xmalloc.h"

int
file_read(struct file *f, const char *path, size_t max, int flags)
{
	struct stat	 sb;
	size_t		 want;
	ssize_t		 n;
	int		 fd, oflags = O_RDONLY | O_CLOEXEC;

	memset(f, 0, sizeof *f);
	if (flags & FILE_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	/* A FIFO opens at once, to be refused below; a regular file's
	 * reads ignore the flag. */
	if (flags & FILE_REGULAR)
		oflags |= O_NONBLOCK;
	if ((fd = open(path, oflags)) == -1) {
		f->fail = FILE_OPEN;
		f->error = errno;
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		f->fail = FILE_STAT;
		f->error = errno;
		goto fail;
	}
	f->mode = sb.st_mode;
	if ((flags & FILE_OURS) &&
	    (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid())) {
		f->fail = FILE_NOT_OURS;
		goto fail;
	}
	if ((flags & FILE_REGULAR) && !S_ISREG(sb.st_mode)) {
		f->fail = FILE_NOT_REGULAR;
		goto fail;
	}
	if (!(flags & FILE_HEAD) && (size_t)sb.st_size > max) {
		f->fail = FILE_TOO_BIG;
		goto fail;
	}
	if ((flags & FILE_PRIVATE) && (sb.st_mode & (S_IRWXG | S_IRWXO))) {
		f->fail = FILE_SHARED;
		goto fail;
	}

	/* The size fstat gave, or up to max: a short read ends it. */
	want = (flags & FILE_HEAD) ? max : (size_t)sb.st_size;
	f->data = xmalloc(want + 1);
	while (f->len < want) {
		n = read(fd, f->data + f->len, want - f->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		f->len += (size_t)n;
	}
	f->data[f->len] = '\0';
	close(fd);
	return 0;

fail:
	close(fd);
	return -1;
}

void
file_free(struct file *f)
{
	if (f->data != NULL) {
		explicit_bzero(f->data, f->len);
		free(f->data);
	}
	f->data = NULL;
	f->len = 0;
}
