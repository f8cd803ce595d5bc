/* SPDX-License-Identifier: ISC */
/*
 * clienttest.h: the harness of client mode's state machine test
 * (check_client_sm).  client_run_io runs on a base of ours; the local
 * client is the other end of two socketpairs (what the test sends is its
 * stdin, what the bridge writes is collected); the remote server is the
 * test itself, behind client_int.h's HTTP operations: every transfer the
 * bridge starts is recorded (struct ct_req) and handed, on the next loop
 * turn, to the test's serve function, which answers it with the ct_reply
 * family, keeps it open as an event stream, fails it, or lets it hang.
 * JSON is written with ' for " (testjson.h); the helpers assert.
 */
#ifndef MCPBRIDGE_CLIENTTEST_H
#define MCPBRIDGE_CLIENTTEST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "client.h"

/* A transfer as the server saw it; kept until ct_fini. */
struct ct_req {
	size_t		 n;		/* its place among all transfers */
	char		*method;	/* GET, POST, DELETE */
	char		*url;
	char		**headers;	/* "Name: value" as sent */
	size_t		 nheaders;
	json_object	*body;		/* the POST body parsed, or NULL */
	const char	*rpc;		/* its JSON-RPC method, or NULL */
	long		 timeout_ms;
	uint64_t	 at_ms;		/* when it started (clock_ms) */
	int		 cancelled;	/* by the bridge, before its end */
};

/* A transfer still running: what the serve function answers. */
struct ct_xfer;

struct ct {
	struct client_config	 cfg;	/* ct_init's defaults; change freely */
	/* Called for every transfer but a DELETE (answered 200). */
	void			(*serve)(struct ct *, struct ct_xfer *,
				    struct ct_req *);
	/* Called for every message the bridge writes (optional). */
	void			(*local)(struct ct *, json_object *);
	void			*arg;		/* the test's */

	struct ct_req		**reqs;
	size_t			 nreqs;
	json_object		**out;		/* stdout, in order */
	size_t			 nout;
	char			*err;		/* stderr of the run (the log) */

	struct ct_private	*p;
};

void		 ct_init(struct ct *);
void		 ct_fini(struct ct *);
/*
 * A message on stdin (JSON, ' for ").  stdin ends once every request sent
 * this way has its answer on stdout (unless ct_hold_stdin).
 */
void		 ct_send(struct ct *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* stdin stays open until ct_close_stdin. */
void		 ct_hold_stdin(struct ct *);
void		 ct_close_stdin(struct ct *);
/* Runs the bridge to its end; its exit status.  What it logs is kept in
 * t->err (and written to stderr after the run). */
int		 ct_run(struct ct *);

/* The last value of a request header, case-insensitive, or NULL. */
const char	*ct_header(struct ct_req *, const char *name);
/* The id of a JSON-RPC request body, borrowed. */
json_object	*ct_id(struct ct_req *);
/* Transfers by HTTP method (NULL: any) and JSON-RPC method (NULL: any,
 * "": none). */
size_t		 ct_count(struct ct *, const char *method, const char *rpc);
/* The nth (from 0) of those, asserting it exists. */
struct ct_req	*ct_nth(struct ct *, const char *method, const char *rpc,
		    size_t n);
/* The answer on stdout to the id (JSON text), asserting there is one; and
 * how many messages on stdout have that method (a request or
 * notification from the bridge). */
json_object	*ct_out_id(struct ct *, const char *id);
size_t		 ct_out_count(struct ct *, const char *method);
json_object	*ct_out_method(struct ct *, const char *method, size_t n);
/* Lines of t->err that hold s. */
size_t		 ct_err_count(struct ct *, const char *s);

/* The server's side: a whole answer (headers: "Name: value" lines joined
 * by \n, or NULL; body raw text). */
void		 ct_reply(struct ct_xfer *, long status, const char *headers,
		    const char *body);
/* 200, application/json, {jsonrpc, id: the request's, result}. */
void		 ct_answer(struct ct_xfer *, const char *result_fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* A JSON-RPC error under the request's id, with this HTTP status. */
void		 ct_rpc_error(struct ct_xfer *, long status, int code,
		    const char *message);
/* 200 text/event-stream, left open; events are pushed raw. */
void		 ct_open(struct ct_xfer *, const char *headers);
void		 ct_push(struct ct_xfer *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* One "message" event holding JSON (' for "). */
void		 ct_push_msg(struct ct_xfer *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 ct_end(struct ct_xfer *);
/* Fails with a CURLcode (no HTTP status). */
void		 ct_fail(struct ct_xfer *, int result, const char *error);
/* A transfer still open (ct_open) whose request was req, or NULL. */
struct ct_xfer	*ct_live(struct ct *, struct ct_req *);
/* The request a live transfer was started with. */
struct ct_req	*ct_req_of(struct ct_xfer *);

#endif
