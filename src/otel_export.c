/* SPDX-License-Identifier: ISC */
/*
 * otel_export.c: the bounded, batched OTLP/HTTP JSON exporter
 * (otel_export.h).
 *
 * Who owns what: the exporter owns the queued spans (freed once encoded,
 * or when dropped), its copies of the URL, the header lines (secrets:
 * overwritten before they are freed) and the resource.  The transfer in
 * flight belongs to the HTTP operations; we only hold its pointer until
 * its done callback or our cancel.
 *
 * One timer sends: it is armed for now when a full batch waits (or while
 * flushing), else for the delay, never before the backoff allows.  A
 * second timer ends a flush at its deadline.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "clock.h"
#include "curl_event.h"
#include "jsonparse.h"
#include "log.h"
#include "otel_export.h"
#include "xmalloc.h"

struct otel_export {
	struct event_base		*base;
	const struct otel_export_http_ops *http;
	void				*http_arg;
	char				*url;
	char				**headers;	/* "Name: value" */
	size_t				 nheaders;
	struct otel_attrs		 resource;
	long				 timeout_ms;
	struct otel_export_limits	 lim;

	struct otel_spans		 queue;
	size_t				 nqueued;
	struct event			*timer;		/* the next POST */
	uint64_t			 due_ms;

	struct curl_event_xfer		*xfer;		/* in flight */
	size_t				 xfer_spans;
	long				 backoff_ms;	/* 0: none */
	uint64_t			 not_before_ms;
	int				 failing;	/* said so once */

	int				 flushing;
	uint64_t			 flush_deadline;
	struct event			*flush_timer;
	void				(*flush_done)(void *);
	void				*flush_arg;

	struct otel_export_stats	 st;
};

static void	otel_export_send(struct otel_export *);

/* ---- the queue ---- */

static void
otel_export_drop_all(struct otel_export *e)
{
	struct otel_span	*sp;

	while ((sp = TAILQ_FIRST(&e->queue)) != NULL) {
		TAILQ_REMOVE(&e->queue, sp, entry);
		otel_span_free(sp);
		e->st.dropped++;
	}
	e->nqueued = 0;
}

static void
otel_export_schedule(struct otel_export *e)
{
	struct timeval	tv;
	uint64_t	now, due;

	if (e->xfer != NULL || e->nqueued == 0)
		return;
	now = clock_ms();
	if (e->flushing)
		due = now;
	else {
		due = e->nqueued >= e->lim.batch ? now :
		    now + (uint64_t)e->lim.delay_ms;
		if (due < e->not_before_ms)
			due = e->not_before_ms;
	}
	/* A timer due sooner already stands. */
	if (evtimer_pending(e->timer, NULL) && e->due_ms <= due)
		return;
	e->due_ms = due;
	clock_tv(&tv, due - now);
	evtimer_add(e->timer, &tv);
}

void
otel_export_span(struct otel_export *e, struct otel_span *sp)
{
	if (e->nqueued >= e->lim.queue) {
		otel_span_free(sp);
		e->st.dropped++;
		return;
	}
	TAILQ_INSERT_TAIL(&e->queue, sp, entry);
	e->nqueued++;
	otel_export_schedule(e);
}

/* ---- flushing ---- */

static void
otel_export_flush_end(struct otel_export *e)
{
	void	(*done)(void *) = e->flush_done;
	void	*arg = e->flush_arg;

	e->flushing = 0;
	e->flush_done = NULL;
	e->flush_arg = NULL;
	evtimer_del(e->flush_timer);
	if (done != NULL)
		done(arg);
}

/* The deadline passed, or there was nothing to send. */
static void
otel_export_flush_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct otel_export	*e = arg;

	if (!e->flushing)
		return;
	if (e->xfer != NULL || e->nqueued > 0) {
		log_warnx("otel: flush deadline: %zu spans not sent",
		    e->nqueued + e->xfer_spans);
		if (e->xfer != NULL) {
			e->http->cancel(e->xfer);
			e->xfer = NULL;
			e->st.failed += e->xfer_spans;
			e->xfer_spans = 0;
		}
		otel_export_drop_all(e);
	}
	otel_export_flush_end(e);
}

void
otel_export_flush(struct otel_export *e, uint64_t deadline_ms,
    void (*done)(void *), void *arg)
{
	struct timeval	tv;
	uint64_t	now = clock_ms();

	e->flushing = 1;
	e->flush_deadline = deadline_ms;
	e->flush_done = done;
	e->flush_arg = arg;
	if (e->xfer == NULL && e->nqueued == 0) {
		/* Nothing to send: done on the next turn. */
		clock_tv(&tv, 0);
	} else {
		clock_tv(&tv, deadline_ms > now ? deadline_ms - now : 0);
		evtimer_del(e->timer);
		otel_export_schedule(e);
	}
	evtimer_add(e->flush_timer, &tv);
}

/* ---- a POST ---- */

static void
otel_export_failed(struct otel_export *e, size_t n, const char *why)
{
	e->st.failed += n;
	e->backoff_ms = e->backoff_ms == 0 ? e->lim.backoff_ms :
	    e->backoff_ms * 2;
	if (e->backoff_ms > e->lim.backoff_max_ms)
		e->backoff_ms = e->lim.backoff_max_ms;
	e->not_before_ms = clock_ms() + (uint64_t)e->backoff_ms;
	/* Once per outage, not once per batch. */
	if (!e->failing) {
		e->failing = 1;
		log_warnx("otel: exporting spans failed (%s); they are "
		    "dropped while the collector fails", why);
	} else
		log_debug("otel: exporting spans failed (%s)", why);
}

/* The spans of a 2xx answer's partialSuccess the collector rejected. */
static size_t
otel_export_rejected(struct otel_export *e, struct curl_event_xfer *x,
    size_t n)
{
	struct evbuffer	*b = e->http->body(x);
	json_object	*o, *ps, *r;
	size_t		 len;
	long long	 v = 0;

	if (b == NULL || (len = evbuffer_get_length(b)) == 0)
		return 0;
	o = jsonparse_strict((const char *)evbuffer_pullup(b, -1), len, NULL);
	if (o != NULL && json_object_object_get_ex(o, "partialSuccess", &ps) &&
	    json_object_object_get_ex(ps, "rejectedSpans", &r)) {
		if (json_object_is_type(r, json_type_string))
			v = strtoll(json_object_get_string(r), NULL, 10);
		else if (json_object_is_type(r, json_type_int))
			v = (long long)json_object_get_int64(r);
	}
	json_object_put(o);
	if (v <= 0)
		return 0;
	return (unsigned long long)v > n ? n : (size_t)v;
}

static void
otel_export_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct otel_export	*e = arg;
	size_t			 n = e->xfer_spans, rejected;
	long			 status = e->http->status(x);
	char			 why[64];

	e->xfer = NULL;
	e->xfer_spans = 0;
	if (result == CURLE_OK && status >= 200 && status < 300) {
		rejected = otel_export_rejected(e, x, n);
		e->st.exported += n - rejected;
		e->st.failed += rejected;
		if (rejected > 0)
			log_debug("otel: the collector rejected %zu of %zu "
			    "spans", rejected, n);
		if (e->failing)
			log_info("otel: the collector takes spans again");
		e->failing = 0;
		e->backoff_ms = 0;
		e->not_before_ms = 0;
	} else if (result == CURLE_OK) {
		snprintf(why, sizeof why, "HTTP status %ld", status);
		otel_export_failed(e, n, why);
	} else
		otel_export_failed(e, n, error != NULL ? error : "no answer");
	if (e->flushing && e->nqueued == 0)
		otel_export_flush_end(e);
	else
		otel_export_schedule(e);
}

static void
otel_export_send(struct otel_export *e)
{
	struct curl_event_request	 r;
	struct otel_span		**batch, *sp;
	struct curl_slist		*hl = NULL, *t;
	size_t				 n, i, len;
	uint64_t			 now;
	char				*body;

	if (e->xfer != NULL || e->nqueued == 0)
		return;
	n = e->nqueued < e->lim.batch ? e->nqueued : e->lim.batch;
	batch = xreallocarray(NULL, n, sizeof *batch);
	for (i = 0; i < n; i++) {
		sp = TAILQ_FIRST(&e->queue);
		TAILQ_REMOVE(&e->queue, sp, entry);
		batch[i] = sp;
	}
	e->nqueued -= n;
	body = otel_encode(&e->resource, batch, n, &len);
	for (i = 0; i < n; i++)
		otel_span_free(batch[i]);
	free(batch);

	if ((hl = curl_slist_append(NULL, "Content-Type: application/json"))
	    == NULL)
		fatalx("curl_slist_append");
	for (i = 0; i < e->nheaders; i++) {
		if ((t = curl_slist_append(hl, e->headers[i])) == NULL)
			fatalx("curl_slist_append");
		hl = t;
	}
	memset(&r, 0, sizeof r);
	r.method = "POST";
	r.url = e->url;
	r.headers = hl;
	r.body = body;
	r.len = len;
	r.timeout_ms = e->timeout_ms;
	if (e->flushing) {
		/* Within the deadline, whatever the timeout says. */
		now = clock_ms();
		if (e->flush_deadline <= now)
			r.timeout_ms = 1;
		else if ((uint64_t)r.timeout_ms > e->flush_deadline - now)
			r.timeout_ms = (long)(e->flush_deadline - now);
	}
	r.max_buffered = OTEL_EXPORT_RESPONSE_MAX;
	r.on_done = otel_export_done;
	r.arg = e;
	e->xfer = e->http->start(e->http_arg, &r);	/* took hl */
	free(body);
	if (e->xfer == NULL) {
		otel_export_failed(e, n, "the request could not start");
		if (e->flushing && e->nqueued == 0)
			otel_export_flush_end(e);	/* a timer's turn */
		else
			otel_export_schedule(e);
		return;
	}
	e->xfer_spans = n;
}

static void
otel_export_timer(evutil_socket_t fd, short what, void *arg)
{
	otel_export_send(arg);
}

/* ---- the exporter ---- */

static struct curl_event_xfer *
otel_export_curl_start(void *arg, const struct curl_event_request *r)
{
	return curl_event_start(arg, r);
}

const struct otel_export_http_ops otel_export_curl = {
	.start = otel_export_curl_start,
	.cancel = curl_event_cancel,
	.status = curl_event_status,
	.body = curl_event_body,
};

static long
otel_export_limit(long v, long def, long max)
{
	if (v <= 0)
		return def;
	return v > max ? max : v;
}

struct otel_export *
otel_export_new(struct event_base *base, const struct otel_config *cfg,
    const struct otel_export_limits *lim, const struct otel_export_http_ops
    *http, void *http_arg)
{
	struct otel_export	*e;
	const struct otel_attr	*at;
	struct otel_export_limits none;
	size_t			 i;

	if (lim == NULL) {
		memset(&none, 0, sizeof none);
		lim = &none;
	}
	e = xcalloc(1, sizeof *e);
	e->base = base;
	e->http = http;
	e->http_arg = http_arg;
	e->url = xstrdup(cfg->traces_url);
	e->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms :
	    OTEL_TIMEOUT_DEFAULT_MS;
	if (cfg->nheaders > 0)
		e->headers = xreallocarray(NULL, cfg->nheaders,
		    sizeof *e->headers);
	for (i = 0; i < cfg->nheaders; i++)
		xasprintf(&e->headers[i], "%s: %s", cfg->headers[i].key,
		    cfg->headers[i].value);
	e->nheaders = cfg->nheaders;
	otel_attrs_init(&e->resource, cfg->resource.max);
	for (i = 0; i < cfg->resource.n; i++) {
		at = &cfg->resource.v[i];
		switch (at->type) {
		case OTEL_STRING:
			otel_attr_str(&e->resource, at->key, at->v.s);
			break;
		case OTEL_INT:
			otel_attr_int(&e->resource, at->key, at->v.i);
			break;
		case OTEL_BOOL:
			otel_attr_bool(&e->resource, at->key, at->v.b);
			break;
		case OTEL_DOUBLE:
			otel_attr_double(&e->resource, at->key, at->v.d);
			break;
		}
	}
	e->lim.queue = (size_t)otel_export_limit((long)lim->queue,
	    OTEL_EXPORT_QUEUE, OTEL_EXPORT_QUEUE_MAX);
	e->lim.batch = (size_t)otel_export_limit((long)lim->batch,
	    OTEL_EXPORT_BATCH, OTEL_EXPORT_BATCH_MAX);
	e->lim.delay_ms = otel_export_limit(lim->delay_ms,
	    OTEL_EXPORT_DELAY_MS, OTEL_EXPORT_BACKOFF_MAX_MS);
	e->lim.backoff_ms = otel_export_limit(lim->backoff_ms,
	    OTEL_EXPORT_BACKOFF_MS, OTEL_EXPORT_BACKOFF_MAX_MS);
	e->lim.backoff_max_ms = otel_export_limit(lim->backoff_max_ms,
	    OTEL_EXPORT_BACKOFF_MAX_MS, OTEL_EXPORT_BACKOFF_MAX_MS);
	TAILQ_INIT(&e->queue);
	if ((e->timer = evtimer_new(base, otel_export_timer, e)) == NULL ||
	    (e->flush_timer = evtimer_new(base, otel_export_flush_timeout,
	    e)) == NULL)
		fatalx("evtimer_new");
	return e;
}

void
otel_export_free(struct otel_export *e)
{
	size_t	i;

	if (e == NULL)
		return;
	if (e->xfer != NULL)
		e->http->cancel(e->xfer);
	otel_export_drop_all(e);
	event_free(e->timer);
	event_free(e->flush_timer);
	for (i = 0; i < e->nheaders; i++) {
		explicit_bzero(e->headers[i], strlen(e->headers[i]));
		free(e->headers[i]);
	}
	free(e->headers);
	otel_attrs_clear(&e->resource);
	free(e->url);
	free(e);
}

void
otel_export_stats(const struct otel_export *e, struct otel_export_stats *st)
{
	*st = e->st;
	st->queued = e->nqueued;
	st->in_flight = e->xfer != NULL;
}
