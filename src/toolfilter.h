/* SPDX-License-Identifier: ISC */
/*
 * toolfilter.h: which of a server's tools its clients may see and call
 * (--allow-tool, --deny-tool, a server's "allow-tool"/"deny-tool" in the
 * --config file).  Pure: the multiplexer (serve) and client mode apply it
 * to tools/list answers and tools/call requests.
 *
 * A tool passes if it matches one of the allow globs (or there are none)
 * and none of the deny globs: deny wins.  Globs are fnmatch(3) patterns
 * ('*', '?', '[...]') against the whole name.
 */
#ifndef MCPBRIDGE_TOOLFILTER_H
#define MCPBRIDGE_TOOLFILTER_H

#include <stddef.h>

#include <json-c/json.h>

/* A pattern's length at most (a tool name is at most 128 by the spec;
 * a glob has room for brackets).  mcpbridge(1), LIMITS. */
#define TOOLFILTER_PATTERN_MAX	256

struct toolfilter {
	char	**allow;	/* NULL-terminated globs; NULL: every tool */
	size_t	  nallow;
	char	**deny;		/* NULL-terminated globs; NULL: none */
	size_t	  ndeny;
};

/* 1 if it filters anything (has a glob), 0 if every tool passes.  NULL
 * is a filter that passes everything. */
int		 toolfilter_active(const struct toolfilter *);
/* 1 if the tool named name passes. */
int		 toolfilter_allows(const struct toolfilter *, const char *name);
/* 0 if glob can be a pattern, or -1 and *err (caller frees) says why. */
int		 toolfilter_pattern_check(const char *glob, char **err);
/*
 * A tools/list result: the tools that do not pass are taken out of its
 * "tools" array, in place (the caller owns result); so is an entry
 * without a string name while the filter is active.  How many went.
 */
size_t		 toolfilter_list(const struct toolfilter *,
		    json_object *result);
/*
 * msg is a request from a client.  If it is a tools/call the filter
 * refuses, the name it asked for (borrowed from msg; "" if it named none
 * the filter can judge: no string, or one with a NUL); else NULL.
 */
const char	*toolfilter_refused_call(const struct toolfilter *,
		    json_object *msg);

#endif
