/* SPDX-License-Identifier: ISC */
/*
 * status.h: the GET /status page, as HTML for a person and as JSON
 * (/status.json) for a script: the bridge, and each server with its
 * children and its last errors.  The caller gathers the figures when the
 * page is asked for (nothing here runs on the request path) and this
 * module only renders them; every string is escaped for where it goes.
 */
#ifndef MCPBRIDGE_STATUS_H
#define MCPBRIDGE_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* The last errors kept per server (child exits, commands that cannot
 * run), oldest dropped first, and the longest text of one (cut). */
#define STATUS_ERRORS_MAX	8
#define STATUS_ERROR_LEN	160

struct status_error {
	uint64_t	time_ms;	/* Unix time */
	char		text[STATUS_ERROR_LEN];
};

/* A bounded ring of errors; all zero is empty. */
struct status_ring {
	struct status_error	e[STATUS_ERRORS_MAX];
	size_t			next;	/* the slot the next one takes */
	size_t			count;	/* up to STATUS_ERRORS_MAX */
};

/* Keeps text (cut to STATUS_ERROR_LEN - 1 bytes), dropping the oldest
 * when full. */
void	status_ring_add(struct status_ring *, uint64_t time_ms,
	    const char *text);
/* The i-th newest (0: the last added), NULL past the end. */
const struct status_error *status_ring_get(const struct status_ring *,
	    size_t i);

/* One shared child (one of --children). */
struct status_child {
	size_t		 index;		/* from 1, as /metrics numbers them */
	long		 pid;		/* -1: none running */
	int		 up;
	int		 ready;		/* completed its handshake */
	const char	*era;		/* "legacy", "2026-07-28"; NULL: not
					   ready, unknown */
	uint64_t	 uptime_ms;	/* 0 when down */
	uint64_t	 restarts;
	const char	*last_exit;	/* its last exit's cause, NULL: none */
	size_t		 sessions;	/* legacy sessions pinned to it */
	size_t		 in_flight;
	uint64_t	 requests;	/* client requests forwarded to it */
};

/* One server: the only one (name NULL) or one of serve --config. */
struct status_server {
	const char	*name;
	/* Its command's argv[0] (or its connect address): never an
	 * argument or an environment value, which may be secrets. */
	const char	*command;
	int		 ready;
	size_t		 sessions;
	size_t		 in_flight;
	uint64_t	 requests;	/* client requests forwarded */
	struct status_child *children;	/* the shared ones, nchildren */
	size_t		 nchildren;
	size_t		 session_children;	/* isolation=session, up */
	const struct status_ring *errors;	/* NULL: none kept */
};

/* The whole page; strings and arrays are borrowed. */
struct status_page {
	const char	*version;
	const char	*url;		/* the base URL listened on, or NULL */
	uint64_t	 now_ms;	/* Unix time, when gathered */
	uint64_t	 start_ms;	/* Unix time the process started */
	int		 ready;
	int		 draining;
	size_t		 sessions;
	size_t		 in_flight;
	/* JSON-RPC requests answered, and their time in all (/metrics'
	 * latency histogram's count and sum). */
	uint64_t	 answered;
	uint64_t	 latency_sum_ms;
	struct status_server *servers;
	size_t		 nservers;
};

/* Appends the page as one JSON object. */
void	status_render_json(struct evbuffer *, const struct status_page *);
/* Appends the page as an HTML document: inline CSS, no script, nothing
 * loaded from elsewhere. */
void	status_render_html(struct evbuffer *, const struct status_page *);

#endif
