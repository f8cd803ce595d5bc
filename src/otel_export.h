/* SPDX-License-Identifier: ISC */
/*
 * otel_export.h: finished spans to an OTLP/HTTP collector, as JSON, on
 * the event loop.
 *
 * Spans wait in a bounded queue (over it they are dropped and counted);
 * a batch goes when the queue holds a full one or the oldest waited the
 * delay; at most one POST is in flight, with a timeout.  A batch that
 * fails (refused, an error status, a timeout) is dropped and counted,
 * never retried, and the next waits a backoff that doubles while the
 * collector keeps failing: a collector that is down or slow costs a
 * request nothing and memory no more than the queue.  Header values are
 * secrets: never logged.
 *
 * The HTTP goes through ops (curl_event by default), so a test plays the
 * collector (tests/check_otel_export.c).
 */
#ifndef MCPBRIDGE_OTEL_EXPORT_H
#define MCPBRIDGE_OTEL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "curl_event.h"
#include "otel.h"

struct event_base;
struct evbuffer;

/* The defaults (OTel's batch span processor's) and the most we take. */
#define OTEL_EXPORT_QUEUE		2048
#define OTEL_EXPORT_QUEUE_MAX		65536
#define OTEL_EXPORT_BATCH		512
#define OTEL_EXPORT_BATCH_MAX		2048
#define OTEL_EXPORT_DELAY_MS		5000
/* After a failure the next POST waits this, doubling up to the max. */
#define OTEL_EXPORT_BACKOFF_MS		1000
#define OTEL_EXPORT_BACKOFF_MAX_MS	60000
/* The collector's answer read (partialSuccess), the rest refused. */
#define OTEL_EXPORT_RESPONSE_MAX	65536

/* The HTTP operations, with curl_event.h's meaning; arg is the
 * otel_export's http_arg (a struct curl_event for otel_export_curl). */
struct otel_export_http_ops {
	struct curl_event_xfer *(*start)(void *arg,
		    const struct curl_event_request *);
	void		 (*cancel)(struct curl_event_xfer *);
	long		 (*status)(struct curl_event_xfer *);
	struct evbuffer	*(*body)(struct curl_event_xfer *);
};
extern const struct otel_export_http_ops otel_export_curl;

/* 0 in a field: its default. */
struct otel_export_limits {
	size_t		queue;		/* spans waiting */
	size_t		batch;		/* spans per POST */
	long		delay_ms;	/* the longest a span waits */
	long		backoff_ms;
	long		backoff_max_ms;
};

/* What /metrics shows. */
struct otel_export_stats {
	uint64_t	exported;	/* accepted by the collector */
	uint64_t	dropped;	/* the queue was full, or shut down */
	uint64_t	failed;		/* in a batch that failed or was
					   rejected */
	size_t		queued;		/* waiting now */
	int		in_flight;
};

struct otel_export;

/*
 * An exporter to cfg's traces URL with its headers, timeout and resource
 * (cfg is copied from; it may go).  lim may be NULL.
 */
struct otel_export *otel_export_new(struct event_base *,
		    const struct otel_config *cfg,
		    const struct otel_export_limits *lim,
		    const struct otel_export_http_ops *http, void *http_arg);
/* Cancels the POST in flight and frees the spans still queued; a flush
 * under way never calls its done. */
void		 otel_export_free(struct otel_export *);

/* Takes sp (ended) over: queued, or dropped and freed.  Never blocks,
 * never calls back. */
void		 otel_export_span(struct otel_export *, struct otel_span *sp);

/*
 * Sends what is queued, batch after batch, ignoring the delay and the
 * backoff, until nothing is left or deadline_ms (clock_ms) passes: then
 * the POST in flight is cancelled and the queue dropped (counted).  done
 * runs once, on a later loop turn or from a callback, never from here.
 * Spans queued meanwhile are sent too.
 */
void		 otel_export_flush(struct otel_export *, uint64_t deadline_ms,
		    void (*done)(void *), void *arg);

void		 otel_export_stats(const struct otel_export *,
		    struct otel_export_stats *);

#endif
