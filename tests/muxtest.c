/* SPDX-License-Identifier: ISC */
/*
 * muxtest.c: the harness of the multiplexer's Check tests; see muxtest.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "jsonrpc.h"
#include "log.h"
#include "mux.h"
#include "muxtest.h"
#include "testjson.h"

const char *const child_init_result =
    "{'protocolVersion':'2025-11-25',"
    "'capabilities':{'tools':{'listChanged':true},"
    "'resources':{'subscribe':true,'listChanged':true},'logging':{},"
    "'tasks':{'list':{},'cancel':{},'requests':{'tools':{'call':{}}}}},"
    "'serverInfo':{'name':'fake','version':'1.0'},"
    "'instructions':'be nice'}";

void
h_drain(struct h *h)
{
	struct mux_out	out;

	while (mux_next(h->m, &out)) {
		if (h->n == h->cap) {
			h->cap = h->cap == 0 ? 64 : h->cap * 2;
			h->outs = realloc(h->outs, h->cap * sizeof *h->outs);
			ck_assert_ptr_nonnull(h->outs);
		}
		h->outs[h->n].kind = out.kind;
		h->outs[h->n].s = out.session;
		h->outs[h->n].stream = out.stream;
		h->outs[h->n].final = out.final;
		h->outs[h->n].msg = out.msg;
		h->outs[h->n].child = out.child;
		h->n++;
	}
}

void
h_clear(struct h *h)
{
	size_t	i;

	for (i = 0; i < h->n; i++)
		json_object_put(h->outs[i].msg);
	h->n = 0;
}

void
h_init(struct h *h, const struct mux_config *cfg)
{
	struct mux_config	def;

	memset(h, 0, sizeof *h);
	if (cfg == NULL) {
		memset(&def, 0, sizeof def);
		cfg = &def;
	}
	h->m = mux_new(cfg);
	mux_tick(h->m, 1);
}

void
h_fini(struct h *h)
{
	h_clear(h);
	mux_free(h->m);
	free(h->outs);
}

/* How many outs match: kind, session (NULL: any), method ("": a response). */
size_t
h_count(struct h *h, enum mux_out_kind kind, struct mux_session *s,
    const char *method)
{
	size_t		 i, n = 0;
	const char	*m;

	for (i = 0; i < h->n; i++) {
		if (h->outs[i].kind != kind || (s != NULL && h->outs[i].s != s))
			continue;
		if (method != NULL) {
			m = h->outs[i].msg == NULL ? NULL :
			    jsonrpc_method(h->outs[i].msg);
			if (*method == '\0' ? m != NULL : m == NULL ||
			    strcmp(m, method) != 0)
				continue;
		}
		n++;
	}
	return n;
}

struct hout *
h_find(struct h *h, enum mux_out_kind kind, struct mux_session *s,
    const char *method)
{
	size_t		 i;
	const char	*m;

	for (i = 0; i < h->n; i++) {
		if (h->outs[i].kind != kind || (s != NULL && h->outs[i].s != s))
			continue;
		if (method != NULL) {
			m = h->outs[i].msg == NULL ? NULL :
			    jsonrpc_method(h->outs[i].msg);
			if (*method == '\0' ? m != NULL : m == NULL ||
			    strcmp(m, method) != 0)
				continue;
		}
		return &h->outs[i];
	}
	return NULL;
}

/* The one out to s (a response unless method), asserting there is one. */
json_object *
h_one(struct h *h, struct mux_session *s, const char *method,
    uint64_t stream, int final)
{
	struct hout	*o;

	ck_assert_uint_eq(h_count(h, MUX_OUT_SESSION, s, method), 1);
	o = h_find(h, MUX_OUT_SESSION, s, method);
	ck_assert_uint_eq(o->stream, stream);
	ck_assert_int_eq(o->final, final);
	return o->msg;
}

/* The child-side id of the first child request for method. */
int64_t
h_cid(struct h *h, const char *method)
{
	struct hout	*o;
	json_object	*id;

	o = h_find(h, MUX_OUT_CHILD, NULL, method);
	ck_assert_msg(o != NULL, "no %s to the child", method);
	id = jsonrpc_id(o->msg);
	ck_assert(json_object_is_type(id, json_type_int));
	ck_assert_int_gt(json_object_get_int64(id), 0);
	ck_assert_int_le(json_object_get_int64(id), ID_2_53_MINUS_1);
	return json_object_get_int64(id);
}

enum mux_recv
h_send(struct h *h, struct mux_session *s, uint64_t stream, const char *fmt,
    ...)
{
	va_list		 ap;
	json_object	*o;
	enum mux_recv	 r;

	va_start(ap, fmt);
	o = Jv(fmt, ap);
	va_end(ap);
	r = mux_session_recv(h->m, s, o, stream);
	h_drain(h);
	return r;
}

/* A message from the child (of s with isolation=session). */
void
h_child(struct h *h, struct mux_session *s, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	mux_child_recv(h->m, s, Jv(fmt, ap));
	va_end(ap);
	h_drain(h);
}

/* The fake child (of s) answers request cid: key is "result" or "error". */
static void
h_replyv(struct h *h, struct mux_session *s, int64_t cid, const char *key,
    const char *fmt, va_list ap)
{
	json_object	*msg;

	msg = json_object_new_object();
	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "id", json_object_new_int64(cid));
	json_object_object_add(msg, key, Jv(fmt, ap));
	mux_child_recv(h->m, s, msg);
	h_drain(h);
}

void
h_answer(struct h *h, int64_t cid, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	h_replyv(h, NULL, cid, "result", fmt, ap);
	va_end(ap);
}

void
h_fail(struct h *h, int64_t cid, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	h_replyv(h, NULL, cid, "error", fmt, ap);
	va_end(ap);
}

void
h_answer_s(struct h *h, struct mux_session *s, int64_t cid, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	h_replyv(h, s, cid, "result", fmt, ap);
	va_end(ap);
}

/* Starts the shared child and completes its handshake. */
void
h_start(struct h *h)
{
	int64_t	cid;

	mux_child_up(h->m, NULL);
	h_drain(h);
	cid = h_cid(h, "initialize");
	h_clear(h);
	h_answer(h, cid, "%s", child_init_result);
	ck_assert(mux_ready(h->m));
	ck_assert_uint_eq(h_count(h, MUX_OUT_CHILD, NULL,
	    "notifications/initialized"), 1);
	h_clear(h);
}

void
h_pool_start(struct h *h)
{
	size_t	i, n = mux_pool_size(h->m);

	for (i = 0; i < n; i++) {
		mux_pool_up(h->m, i);
		h_drain(h);
		h_answer_at(h, i, h_cid_at(h, i, "initialize"), "%s",
		    child_init_result);
		ck_assert(mux_pool_ready(h->m, i));
		h_clear(h);
	}
	ck_assert(mux_ready(h->m));
}

int64_t
h_cid_at(struct h *h, size_t i, const char *method)
{
	json_object	*id;
	const char	*m;
	size_t		 k;

	for (k = 0; k < h->n; k++) {
		if (h->outs[k].kind != MUX_OUT_CHILD || h->outs[k].s != NULL ||
		    h->outs[k].child != i)
			continue;
		m = jsonrpc_method(h->outs[k].msg);
		if (m == NULL || strcmp(m, method) != 0)
			continue;
		id = jsonrpc_id(h->outs[k].msg);
		ck_assert(json_object_is_type(id, json_type_int));
		return json_object_get_int64(id);
	}
	ck_abort_msg("no %s to child %zu", method, i);
	return 0;
}

void
h_child_at(struct h *h, size_t i, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	mux_pool_recv(h->m, i, Jv(fmt, ap));
	va_end(ap);
	h_drain(h);
}

void
h_answer_at(struct h *h, size_t i, int64_t cid, const char *fmt, ...)
{
	json_object	*msg;
	va_list		 ap;

	msg = json_object_new_object();
	json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(msg, "id", json_object_new_int64(cid));
	va_start(ap, fmt);
	json_object_object_add(msg, "result", Jv(fmt, ap));
	va_end(ap);
	mux_pool_recv(h->m, i, msg);
	h_drain(h);
}

/* A new session through its initialize, declaring caps. */
struct mux_session *
h_session(struct h *h, const char *caps)
{
	struct mux_session	*s;
	json_object		*r;

	s = mux_session_new(h->m, MUX_TRANSPORT_STREAMABLE, NULL);
	ck_assert_int_eq(h_send(h, s, 1, "{'jsonrpc':'2.0','id':0,"
	    "'method':'initialize','params':{'protocolVersion':'2025-11-25',"
	    "'capabilities':%s,'clientInfo':{'name':'c','version':'1'}}}",
	    caps), MUX_RECV_REPLY);
	r = h_one(h, s, "", 1, 1);
	ck_assert_ptr_nonnull(P(r, "result.protocolVersion"));
	ck_assert(mux_session_initialized(s));
	ck_assert_int_eq(h_send(h, s, 0, "{'jsonrpc':'2.0',"
	    "'method':'notifications/initialized'}"), MUX_RECV_ACCEPTED);
	ck_assert_uint_eq(h->n, 1);
	h_clear(h);
	return s;
}

/* Request to the child for a tools/call from s with id (JSON text). */
int64_t
h_call(struct h *h, struct mux_session *s, uint64_t stream, const char *id)
{
	int64_t	cid;

	ck_assert_int_eq(h_send(h, s, stream, "{'jsonrpc':'2.0','id':%s,"
	    "'method':'tools/call','params':{'name':'t','arguments':{}}}", id),
	    MUX_RECV_REPLY);
	ck_assert_uint_eq(h->n, 1);
	cid = h_cid(h, "tools/call");
	h_clear(h);
	return cid;
}

/* The response for s on stream carries id (JSON text, exact type). */
json_object *
h_response(struct h *h, struct mux_session *s, uint64_t stream, const char *id)
{
	json_object	*r, *want;

	r = h_one(h, s, "", stream, 1);
	want = J("%s", id);
	ck_assert_msg(json_object_equal(jsonrpc_id(r), want),
	    "id %s, wanted %s", S(jsonrpc_id(r)), id);
	ck_assert_int_eq(json_object_get_type(jsonrpc_id(r)),
	    json_object_get_type(want));
	json_object_put(want);
	return r;
}

/* ---- the log ---- */

static int	h_log_fd = -1;
static int	h_log_saved = -1;

void
h_log_start(enum log_level level)
{
	char	path[] = "/tmp/muxtest.log.XXXXXX";

	ck_assert_int_eq(h_log_fd, -1);
	ck_assert_int_ne(h_log_fd = mkstemp(path), -1);
	unlink(path);
	fflush(stderr);
	ck_assert_int_ne(h_log_saved = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(dup2(h_log_fd, STDERR_FILENO), -1);
	log_set_level(level);
}

char *
h_log_end(void)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0;

	ck_assert_int_ne(h_log_fd, -1);
	fflush(stderr);
	log_set_level(LOG_LEVEL_ERROR);
	ck_assert_int_ne(dup2(h_log_saved, STDERR_FILENO), -1);
	close(h_log_saved);
	buf = malloc(H_LOG_MAX + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(lseek(h_log_fd, 0, SEEK_SET), 0);
	while (len < H_LOG_MAX &&
	    (n = read(h_log_fd, buf + len, H_LOG_MAX - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(h_log_fd);
	h_log_fd = h_log_saved = -1;
	return buf;
}

size_t
h_occurs(const char *s, const char *needle)
{
	size_t	n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}
