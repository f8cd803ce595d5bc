/* SPDX-License-Identifier: ISC */
/*
 * conffile.h: `mcpbridge serve --config FILE`, the shape of the file.
 *
 * The file is the "mcpServers" JSON that Claude Desktop, Cursor and VS
 * Code keep, plus "mcpbridge" objects for the bridge's own settings:
 *
 *	{ "mcpServers": { "NAME": { "command": ..., "args": [...],
 *	      "env": { "KEY": "VALUE" }, "cwd": ..., "mcpbridge": { ... } },
 *	    "NAME": { "url": ..., "headers": { ... } } },
 *	  "mcpbridge": { ... } }
 *
 * This module reads the file (bounded), parses it with the one strict
 * JSON policy and checks its shape: known keys, types, server names.  It
 * does not know the options: the "mcpbridge" objects are handed on as
 * they are, and cli.c turns each of their members into the option of the
 * same name.  Every error names the file and the JSON path to what is
 * wrong; they are gathered, not stopped at, so one run shows them all.
 */
#ifndef MCPBRIDGE_CONFFILE_H
#define MCPBRIDGE_CONFFILE_H

#include <stddef.h>

#include <json-c/json.h>

/* The largest file read; a larger one is refused.  mcpbridge(1), LIMITS. */
#define CONFFILE_MAX_SIZE	(1024u * 1024)
/* Servers in one file; more is an error.  mcpbridge(1), LIMITS. */
#define CONFFILE_MAX_SERVERS	100
/* A server's name: 1 to this many letters, digits, '.', '_' or '-', not
 * starting with '.' (it becomes a URL path segment and a tool prefix). */
#define CONFFILE_NAME_MAX	64
/* Errors kept for the report; beyond, they are only counted. */
#define CONFFILE_MAX_ERRORS	20

struct conffile_server {
	char		 *name;
	char		 *path;		/* "mcpServers.NAME", for messages */
	/* A local server: command and args, NULL-terminated; NULL if not */
	char		**command;
	char		**env;		/* KEY=VALUE, NULL-ended, or NULL */
	size_t		  nenv;
	char		 *cwd;
	/* A remote server: its URL and "Name: value" headers, or NULL */
	char		 *url;
	char		**headers;
	size_t		  nheaders;
	/* Its "mcpbridge" object, or NULL, and its whole entry; borrowed
	 * from the parsed file, alive as long as the struct conffile. */
	json_object	 *bridge;
	json_object	 *entry;
	/* An error was found in its entry (by this module or the caller):
	 * what is said of the whole server after that would be noise. */
	int		  bad;
};

struct conffile {
	char			*file;		/* its name, for messages */
	json_object		*root;
	json_object		*bridge;	/* top "mcpbridge", or NULL */
	struct conffile_server	*servers;	/* in the file's order */
	size_t			 nservers;
	/* The errors, one a line ("FILE: PATH: what"), and how many there
	 * were (more than the lines when over CONFFILE_MAX_ERRORS). */
	char			*errors;
	size_t			 nerrors;
	/* While > 0, conffile_error counts nothing: a caller going over
	 * what it has already checked once. */
	int			 mute;
};

/* Reads and checks path: 0, or -1 with cf->errors saying why.  Either
 * way cf must be given to conffile_free. */
int		 conffile_load(struct conffile *cf, const char *path);
/* The same for a text already in memory (tests, the fuzzer); name is the
 * file name the messages carry. */
int		 conffile_parse(struct conffile *cf, const char *name,
		    const char *text, size_t len);
void		 conffile_free(struct conffile *cf);
/* Adds an error about PATH (NULL: the file as a whole). */
void		 conffile_error(struct conffile *cf, const char *path,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The name of names[0..n) nearest to word, if near enough to be a likely
 * typo of it (two edits at most, and fewer than word has letters); NULL
 * if none is. */
const char	*conffile_nearest(const char *word, const char *const *names,
		    size_t n);
/* The error for an unknown key at path, with the nearest of names[0..n)
 * as a "did you mean" when one is near. */
void		 conffile_unknown(struct conffile *cf, const char *path,
		    const char *key, const char *const *names, size_t n);

#endif
