/* SPDX-License-Identifier: ISC */
/*
 * muxtest.h: the harness of the multiplexer's Check tests (check_mux,
 * check_mux_modern), in tests/libchecktest.a (muxtest.c): every out is
 * collected after each call, and the fake child is the test itself,
 * answering what it finds in the MUX_OUT_CHILD outs.  The helpers assert
 * (ck_assert) what they expect.
 */
#ifndef MCPBRIDGE_MUXTEST_H
#define MCPBRIDGE_MUXTEST_H

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "jsonrpc.h"
#include "log.h"
#include "mux.h"
#include "testjson.h"

#define ID_2_53_MINUS_1	9007199254740991LL

struct hout {
	enum mux_out_kind	 kind;
	struct mux_session	*s;
	uint64_t		 stream;
	int			 final;
	json_object		*msg;
	size_t			 child;		/* MUX_OUT_CHILD, s NULL */
};

struct h {
	struct mux		*m;
	struct hout		*outs;
	size_t			 n;
	size_t			 cap;
};

/* The fake child's initialize result (JSON with ' for "). */
extern const char *const child_init_result;

void		 h_init(struct h *, const struct mux_config *);
void		 h_fini(struct h *);
/* Collects every out of the mux; h_clear drops those collected. */
void		 h_drain(struct h *);
void		 h_clear(struct h *);
/* How many outs match: kind, session (NULL: any), method ("": a response). */
size_t		 h_count(struct h *, enum mux_out_kind, struct mux_session *,
		    const char *method);
/* The first out that matches, as for h_count, or NULL. */
struct hout	*h_find(struct h *, enum mux_out_kind, struct mux_session *,
		    const char *method);
/* The one out to s (a response unless method), asserting there is one. */
json_object	*h_one(struct h *, struct mux_session *, const char *method,
		    uint64_t stream, int final);
/* The child-side id of the first child request for method. */
int64_t		 h_cid(struct h *, const char *method);
/* A message from a client (JSON with ' for "), then h_drain. */
enum mux_recv	 h_send(struct h *, struct mux_session *, uint64_t stream,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A message from the child (of s with isolation=session). */
void		 h_child(struct h *, struct mux_session *, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* The fake child (of s, or the shared one) answers request cid. */
void		 h_answer(struct h *, int64_t cid, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 h_fail(struct h *, int64_t cid, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 h_answer_s(struct h *, struct mux_session *, int64_t cid,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Starts the shared child and completes its handshake. */
void		 h_start(struct h *);
/*
 * A pool (mux_config.children): h_pool_start starts every shared child
 * and completes its handshake; h_cid_at is h_cid for the requests to
 * shared child i; h_child_at and h_answer_at are the fake child i
 * speaking.
 */
void		 h_pool_start(struct h *);
int64_t		 h_cid_at(struct h *, size_t i, const char *method);
void		 h_child_at(struct h *, size_t i, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 h_answer_at(struct h *, size_t i, int64_t cid,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A new session through its initialize, declaring caps. */
struct mux_session *h_session(struct h *, const char *caps);
/* Request to the child for a tools/call from s with id (JSON text). */
int64_t		 h_call(struct h *, struct mux_session *, uint64_t stream,
		    const char *id);
/* The response for s on stream carries id (JSON text, exact type). */
json_object	*h_response(struct h *, struct mux_session *, uint64_t stream,
		    const char *id);

/*
 * What the operator reads: h_log_start sends the log (stderr) to a file
 * at level; h_log_end puts stderr and checktest.c's level (error) back
 * and returns what was logged, at most H_LOG_MAX bytes (caller frees).
 */
#define H_LOG_MAX	65536
void		 h_log_start(enum log_level);
char		*h_log_end(void);
/* How many times needle occurs in s. */
size_t		 h_occurs(const char *s, const char *needle);

#endif
