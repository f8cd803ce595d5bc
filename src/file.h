/* SPDX-License-Identifier: ISC */
/*
 * file.h: a small file read whole into memory (token files, the OAuth
 * client secret, the OAuth token store), with the checks that differ
 * between them as flags.  Each caller words its own messages, so a
 * refusal says which check failed rather than carrying a sentence.
 */
#ifndef MCPBRIDGE_FILE_H
#define MCPBRIDGE_FILE_H

#include <sys/types.h>

#include <stddef.h>

#define FILE_NOFOLLOW	0x01	/* a symbolic link is not opened */
#define FILE_OURS	0x02	/* only a regular file the effective user owns */
#define FILE_PRIVATE	0x04	/* only if group and others have no access */
#define FILE_HEAD	0x08	/* the first max bytes, whatever its size */
/* only a regular file; opened without blocking, so a FIFO is refused
 * rather than waited on */
#define FILE_REGULAR	0x10

enum file_fail {
	FILE_OK = 0,
	FILE_OPEN,		/* open(2) failed: error */
	FILE_STAT,		/* fstat(2) failed: error */
	FILE_NOT_OURS,		/* FILE_OURS refused it */
	FILE_TOO_BIG,		/* larger than max (not with FILE_HEAD) */
	FILE_SHARED,		/* FILE_PRIVATE refused it */
	FILE_NOT_REGULAR	/* FILE_REGULAR refused it: see mode */
};

struct file {
	char		*data;	/* NUL-terminated; file_free zeroes it */
	size_t		 len;
	mode_t		 mode;	/* st_mode, once fstat has run */
	enum file_fail	 fail;
	int		 error;	/* errno of FILE_OPEN or FILE_STAT */
};

/* Reads path into *f: 0, or -1 with f->fail saying why.  Without
 * FILE_HEAD it reads the size fstat gave, and refuses more than max;
 * with it, up to max bytes or the end, whichever comes first. */
int	file_read(struct file *f, const char *path, size_t max, int flags);

/* Zeroes and frees what file_read read (it may be a secret). */
void	file_free(struct file *f);

#endif
