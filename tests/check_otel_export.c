/* SPDX-License-Identifier: ISC */
/*
 * check_otel_export.c: the exporter (otel_export.c) against a collector
 * the test plays through the HTTP operations: batching (a full batch goes
 * at once, a partial one after the delay), at most one POST in flight,
 * drop-and-count when the queue is full, a collector that is down or
 * refuses (failures counted, the queue never past its bound, a backoff
 * between tries), partialSuccess, the flush and its deadline, and the
 * headers: sent, never logged.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "checktest.h"
#include "clock.h"
#include "log.h"
#include "otel_export.h"
#include "testjson.h"

/* o at a dotted path whose parts may be array indexes
 * ("resourceSpans.0.scopeSpans"), borrowed, or NULL. */
static json_object *
Q(json_object *o, const char *path)
{
	char	*copy, *key, *save = NULL, *end;
	long	 i;

	copy = strdup(path);
	for (key = strtok_r(copy, ".", &save); key != NULL && o != NULL;
	    key = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			i = strtol(key, &end, 10);
			o = *end == '\0' && i >= 0 ?
			    json_object_array_get_idx(o, (size_t)i) : NULL;
		} else if (!json_object_object_get_ex(o, key, &o))
			o = NULL;
	}
	free(copy);
	return o;
}

#define FAKE_MAX	256
#define WAIT_MS		5000	/* the longest any wait may take */

struct fake_xfer {
	char			*url;
	char			**headers;
	size_t			 nheaders;
	json_object		*body;
	long			 timeout_ms;
	uint64_t		 at_ms;
	curl_event_done_cb	 on_done;
	void			*arg;
	long			 status;
	struct evbuffer		*resp;
	int			 cancelled;
	int			 finished;
};

static struct fake {
	struct fake_xfer	*x[FAKE_MAX];
	size_t			 n;
	int			 refuse;	/* start fails */
} fake;

static struct event_base	*base;

static struct curl_event_xfer *
fake_start(void *arg, const struct curl_event_request *r)
{
	struct fake_xfer	*fx;
	struct curl_slist	*h;

	(void)arg;
	ck_assert_uint_lt(fake.n, FAKE_MAX);
	if (fake.refuse) {
		curl_slist_free_all(r->headers);
		return NULL;
	}
	fx = calloc(1, sizeof *fx);
	fx->url = strdup(r->url);
	for (h = r->headers; h != NULL; h = h->next) {
		fx->headers = realloc(fx->headers, (fx->nheaders + 1) *
		    sizeof *fx->headers);
		fx->headers[fx->nheaders++] = strdup(h->data);
	}
	curl_slist_free_all(r->headers);
	ck_assert_str_eq(r->method, "POST");
	fx->body = J("%.*s", (int)r->len, r->body);
	fx->timeout_ms = r->timeout_ms;
	fx->at_ms = clock_ms();
	fx->on_done = r->on_done;
	fx->arg = r->arg;
	fx->resp = evbuffer_new();
	fake.x[fake.n++] = fx;
	return (struct curl_event_xfer *)(void *)fx;
}

static void
fake_cancel(struct curl_event_xfer *x)
{
	((struct fake_xfer *)(void *)x)->cancelled = 1;
}

static long
fake_status(struct curl_event_xfer *x)
{
	return ((struct fake_xfer *)(void *)x)->status;
}

static struct evbuffer *
fake_body(struct curl_event_xfer *x)
{
	return ((struct fake_xfer *)(void *)x)->resp;
}

static const struct otel_export_http_ops fake_ops = {
	.start = fake_start,
	.cancel = fake_cancel,
	.status = fake_status,
	.body = fake_body,
};

/* The collector answers transfer i. */
static void
answer(size_t i, int result, long status, const char *body)
{
	struct fake_xfer	*fx;

	ck_assert_uint_lt(i, fake.n);
	fx = fake.x[i];
	ck_assert(!fx->cancelled && !fx->finished);
	fx->status = status;
	if (body != NULL)
		evbuffer_add(fx->resp, body, strlen(body));
	fx->finished = 1;
	fx->on_done((struct curl_event_xfer *)(void *)fx, result,
	    result == CURLE_OK ? NULL : "Could not connect to server",
	    fx->arg);
}

static size_t
open_xfers(void)
{
	size_t	i, n = 0;

	for (i = 0; i < fake.n; i++)
		if (!fake.x[i]->cancelled && !fake.x[i]->finished)
			n++;
	return n;
}

static size_t
nspans(size_t i)
{
	return json_object_array_length(Q(fake.x[i]->body,
	    "resourceSpans.0.scopeSpans.0.spans"));
}

static void
run_ms(long ms)
{
	struct timeval	tv;

	clock_tv(&tv, (uint64_t)ms);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Runs the loop until *n reaches want, at most ms (a bound for a hang,
 * not a timing): 1 if it did. */
static int
run_until(const size_t *n, size_t want, uint64_t ms)
{
	uint64_t	end = clock_ms() + ms;

	while (*n < want && clock_ms() < end)
		run_ms(5);
	return *n >= want;
}

static int
run_until_int(const int *n, int want, uint64_t ms)
{
	uint64_t	end = clock_ms() + ms;

	while (*n < want && clock_ms() < end)
		run_ms(5);
	return *n >= want;
}

static struct otel_config	cfg;
static struct otel_kv		hdrs[1];
static char			url[] = "http://collector.test:4318/v1/traces";
static char			hname[] = "Authorization";
static char			hvalue[] = "Bearer s3cret-token";

static void
setup(void)
{
	struct event_config	*ec;

	memset(&fake, 0, sizeof fake);
	/* libevent's default clock is coarse (a few ms): its timers could
	 * look early to clock_ms, and the lower bounds below. */
	ec = event_config_new();
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	ck_assert_ptr_nonnull(base);
	memset(&cfg, 0, sizeof cfg);
	cfg.traces_url = url;
	hdrs[0].key = hname;
	hdrs[0].value = hvalue;
	cfg.headers = hdrs;
	cfg.nheaders = 1;
	cfg.timeout_ms = 2000;
	otel_attrs_init(&cfg.resource, 4);
	otel_attr_str(&cfg.resource, "service.name", "test");
}

static void
teardown(void)
{
	size_t	i, j;

	for (i = 0; i < fake.n; i++) {
		free(fake.x[i]->url);
		for (j = 0; j < fake.x[i]->nheaders; j++)
			free(fake.x[i]->headers[j]);
		free(fake.x[i]->headers);
		json_object_put(fake.x[i]->body);
		evbuffer_free(fake.x[i]->resp);
		free(fake.x[i]);
	}
	otel_attrs_clear(&cfg.resource);
	event_base_free(base);
}

static struct otel_span *
span(int i)
{
	struct tracectx	ctx;

	tracectx_new_trace(&ctx, 1);
	return otel_span_new(i % 2 ? "tools/call echo" : "ping",
	    OTEL_KIND_SERVER, &ctx, NULL, 0, otel_now_ns());
}

static struct otel_export *
exporter(size_t queue, size_t batch, long delay_ms, long backoff_ms)
{
	struct otel_export_limits	lim = {
		.queue = queue, .batch = batch, .delay_ms = delay_ms,
		.backoff_ms = backoff_ms, .backoff_max_ms = 4 * backoff_ms,
	};

	return otel_export_new(base, &cfg, &lim, &fake_ops, NULL);
}

static int	flushed;
static uint64_t	flushed_at;	/* clock_ms of the last flush_done */

static void
flush_done(void *arg)
{
	flushed++;
	flushed_at = clock_ms();
	ck_assert_ptr_eq(arg, &flushed);
}

START_TEST(test_batching)
{
	struct otel_export		*e = exporter(100, 3, 60000, 10);
	struct otel_export_stats	 st;
	int				 i;

	for (i = 0; i < 5; i++)
		otel_export_span(e, span(i));
	ck_assert_uint_eq(fake.n, 0);		/* not from the caller */
	run_ms(20);
	/* A full batch went at once; the rest waits for it and the delay. */
	ck_assert_uint_eq(fake.n, 1);
	ck_assert_uint_eq(nspans(0), 3);
	ck_assert_str_eq(fake.x[0]->url,
	    "http://collector.test:4318/v1/traces");
	ck_assert_int_eq(fake.x[0]->timeout_ms, 2000);
	ck_assert_str_eq(json_object_get_string(Q(fake.x[0]->body,
	    "resourceSpans.0.resource.attributes.0.value.stringValue")),
	    "test");
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.queued, 2);
	ck_assert_int_eq(st.in_flight, 1);
	answer(0, CURLE_OK, 200, "{}");
	run_ms(20);
	ck_assert_uint_eq(fake.n, 1);
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.exported, 3);

	/* The flush sends the rest without waiting the delay. */
	flushed = 0;
	otel_export_flush(e, clock_ms() + WAIT_MS, flush_done, &flushed);
	ck_assert_int_eq(flushed, 0);
	run_ms(20);
	ck_assert_uint_eq(fake.n, 2);
	ck_assert_uint_eq(nspans(1), 2);
	answer(1, CURLE_OK, 200, NULL);
	ck_assert_int_eq(flushed, 1);
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.exported, 5);
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_uint_eq(st.failed, 0);
	otel_export_free(e);
}
END_TEST

START_TEST(test_delay)
{
	struct otel_export	*e = exporter(100, 50, 80, 10);
	uint64_t		 t0 = clock_ms();

	/* A partial batch waits the delay from its oldest span, not from
	 * the call: no POST before t0 + 80 (when the loop gets to run is
	 * up to the machine), then one with both. */
	otel_export_span(e, span(0));
	otel_export_span(e, span(1));
	ck_assert_uint_eq(fake.n, 0);
	ck_assert(run_until(&fake.n, 1, WAIT_MS));
	ck_assert_uint_ge(fake.x[0]->at_ms - t0, 80);
	ck_assert_uint_eq(fake.n, 1);
	ck_assert_uint_eq(nspans(0), 2);
	answer(0, CURLE_OK, 200, NULL);
	otel_export_free(e);
}
END_TEST

START_TEST(test_queue_full)
{
	struct otel_export		*e = exporter(4, 2, 60000, 10);
	struct otel_export_stats	 st;
	int				 i;

	for (i = 0; i < 10; i++)
		otel_export_span(e, span(i));
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.queued, 4);
	ck_assert_uint_eq(st.dropped, 6);
	run_ms(20);
	/* One POST at a time, however much waits. */
	ck_assert_uint_eq(fake.n, 1);
	ck_assert_uint_eq(open_xfers(), 1);
	otel_export_free(e);
	ck_assert(fake.x[0]->cancelled);
}
END_TEST

START_TEST(test_collector_down)
{
	struct otel_export		*e = exporter(8, 4, 10, 30);
	struct otel_export_stats	 st;
	size_t				 i, j, sent = 0;
	uint64_t			 last = 0, t0 = clock_ms();

	/* Spans keep coming, more each turn than a POST takes (4): the
	 * queue fills however slow the turns are.  Every POST fails to
	 * connect. */
	for (i = 0; i < 40; i++) {
		for (j = 0; j < 6; j++)
			otel_export_span(e, span((int)i));
		run_ms(5);
		ck_assert_uint_le(open_xfers(), 1);
		otel_export_stats(e, &st);
		ck_assert_uint_le(st.queued, 8);
		if (fake.n > sent) {
			/* The backoff (30ms, doubling to 120) stands between
			 * a failure and the next POST. */
			if (sent > 0)
				ck_assert_uint_ge(fake.x[sent]->at_ms - last,
				    25);
			sent = fake.n;
			last = clock_ms();
			answer(sent - 1, CURLE_COULDNT_CONNECT, 0, NULL);
		}
	}
	otel_export_stats(e, &st);
	ck_assert_uint_gt(sent, 1);
	/* Fewer than one POST a turn while the turns are quicker than
	 * the backoff; on a machine too busy for that, the backoff still
	 * bounds them by the time it took. */
	ck_assert_uint_le(sent, 1 + (clock_ms() - t0) / 25);
	ck_assert_uint_eq(st.exported, 0);
	ck_assert_uint_gt(st.failed, 0);
	ck_assert_uint_gt(st.dropped, 0);
	ck_assert_uint_eq(st.failed + st.dropped + st.queued, 240);

	/* An error status fails the same way; a start refused too. */
	for (i = 0; i < 4; i++)
		otel_export_span(e, span((int)i));
	run_ms(150);
	ck_assert_uint_eq(fake.n, sent + 1);
	answer(sent, CURLE_OK, 503, "busy");
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.failed + st.dropped + st.queued, 244);
	fake.refuse = 1;
	for (i = 0; i < 4; i++)
		otel_export_span(e, span((int)i));
	run_ms(150);
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.failed + st.dropped + st.queued, 248);
	ck_assert_uint_eq(fake.n, sent + 1);
	fake.refuse = 0;

	/* Back: exported again, the backoff forgotten. */
	for (i = 0; i < 4; i++)
		otel_export_span(e, span((int)i));
	run_ms(150);
	ck_assert_uint_eq(fake.n, sent + 2);
	answer(sent + 1, CURLE_OK, 200, NULL);
	otel_export_stats(e, &st);
	ck_assert_uint_gt(st.exported, 0);
	ck_assert_uint_eq(st.exported + st.failed + st.dropped + st.queued,
	    252);
	otel_export_free(e);
}
END_TEST

START_TEST(test_partial_success)
{
	struct otel_export		*e = exporter(100, 4, 60000, 10);
	struct otel_export_stats	 st;
	int				 i;

	for (i = 0; i < 4; i++)
		otel_export_span(e, span(i));
	run_ms(10);
	answer(0, CURLE_OK, 200, "{\"partialSuccess\":{\"rejectedSpans\":\"1\","
	    "\"errorMessage\":\"too old\"}}");
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.exported, 3);
	ck_assert_uint_eq(st.failed, 1);
	otel_export_free(e);
}
END_TEST

START_TEST(test_flush_deadline)
{
	struct otel_export		*e = exporter(100, 2, 60000, 10);
	struct otel_export_stats	 st;
	uint64_t			 t0;
	int				 i;

	/* Nothing queued: done on the next turn, not from the call. */
	flushed = 0;
	otel_export_flush(e, clock_ms() + 1000, flush_done, &flushed);
	ck_assert_int_eq(flushed, 0);
	run_ms(10);
	ck_assert_int_eq(flushed, 1);

	/* A POST that cannot start ends the flush at once. */
	otel_export_span(e, span(0));
	fake.refuse = 1;
	flushed = 0;
	otel_export_flush(e, clock_ms() + 1000, flush_done, &flushed);
	run_ms(20);
	ck_assert_int_eq(flushed, 1);
	fake.refuse = 0;
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.failed, 1);

	/* A collector that never answers: the deadline ends it, not
	 * before (flushed_at), however late the loop got to it. */
	for (i = 0; i < 5; i++)
		otel_export_span(e, span(i));
	flushed = 0;
	t0 = clock_ms();
	otel_export_flush(e, t0 + 100, flush_done, &flushed);
	ck_assert(run_until_int(&flushed, 1, WAIT_MS));
	ck_assert_uint_ge(flushed_at - t0, 100);
	ck_assert_uint_eq(fake.n, 1);
	ck_assert_int_le(fake.x[0]->timeout_ms, 100);
	ck_assert(fake.x[0]->cancelled);
	otel_export_stats(e, &st);
	ck_assert_uint_eq(st.failed, 3);
	ck_assert_uint_eq(st.dropped, 3);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_int_eq(st.in_flight, 0);
	otel_export_free(e);
}
END_TEST

START_TEST(test_headers_not_logged)
{
	struct otel_export	*e;
	FILE			*log;
	char			 buf[8192];
	size_t			 n, i;
	int			 saved, found = 0;

	/* Every log line of this test, at debug, into a file. */
	log = tmpfile();
	ck_assert_ptr_nonnull(log);
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(log), 2);
	log_set_level(LOG_LEVEL_DEBUG);

	e = exporter(100, 1, 60000, 10);
	otel_export_span(e, span(0));
	run_ms(10);
	ck_assert_uint_eq(fake.n, 1);
	for (i = 0; i < fake.x[0]->nheaders; i++)
		if (strcmp(fake.x[0]->headers[i],
		    "Authorization: Bearer s3cret-token") == 0)
			found++;
	ck_assert_int_eq(found, 1);
	found = 0;
	for (i = 0; i < fake.x[0]->nheaders; i++)
		if (strcasecmp(fake.x[0]->headers[i],
		    "Content-Type: application/json") == 0)
			found++;
	ck_assert_int_eq(found, 1);
	answer(0, CURLE_OK, 401, "bad token s3cret-token");
	otel_export_span(e, span(1));
	run_ms(40);
	answer(1, CURLE_COULDNT_CONNECT, 0, NULL);
	otel_export_free(e);

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_LEVEL_ERROR);
	rewind(log);
	n = fread(buf, 1, sizeof buf - 1, log);
	buf[n] = '\0';
	fclose(log);
	ck_assert_msg(strstr(buf, "otel") != NULL, "no log: %s", buf);
	ck_assert_msg(strstr(buf, "s3cret") == NULL, "a secret logged: %s",
	    buf);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("otel_export");
	TCase	*tc = tcase_create("fake collector");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_batching);
	tcase_add_test(tc, test_delay);
	tcase_add_test(tc, test_queue_full);
	tcase_add_test(tc, test_collector_down);
	tcase_add_test(tc, test_partial_success);
	tcase_add_test(tc, test_flush_deadline);
	tcase_add_test(tc, test_headers_not_logged);
	suite_add_tcase(s, tc);
	return s;
}
