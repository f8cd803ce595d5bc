/* SPDX-License-Identifier: ISC */
/*
 * check_metrics.c: the /metrics page (metrics.c) as a scraper reads it:
 * the build, the standard process_* metrics, and requests counted and
 * timed per method from a bounded set of names.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "checktest.h"
#include "metrics.h"

/* The page for g, NUL-terminated (caller frees). */
static char *
render(const struct metrics_gauges *g)
{
	struct evbuffer	*buf = evbuffer_new();
	size_t		 len;
	char		*s;

	metrics_render(buf, g);
	len = evbuffer_get_length(buf);
	s = malloc(len + 1);
	ck_assert_ptr_nonnull(s);
	evbuffer_remove(buf, s, len);
	s[len] = '\0';
	evbuffer_free(buf);
	return s;
}

/* Whether the page has this whole line. */
static int
has_line(const char *page, const char *line)
{
	const char	*p = page;
	size_t		 n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == page || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p += n;
	}
	return 0;
}

START_TEST(test_build_and_process)
{
	struct metrics_gauges	 g;
	char			*page;

	memset(&g, 0, sizeof g);
	g.cpu_ms = 1250;
	g.rss_bytes = 4096;
	g.open_fds = 7;
	g.max_fds = 1024;
	g.start_time_ms = 1796000000500ULL;
	page = render(&g);
	ck_assert(has_line(page, "mcpbridge_build_info{version=\""
	    PACKAGE_VERSION "\"} 1"));
	ck_assert(has_line(page, "# TYPE process_cpu_seconds_total counter"));
	ck_assert(has_line(page, "process_cpu_seconds_total 1.250"));
	ck_assert(has_line(page, "process_resident_memory_bytes 4096"));
	ck_assert(has_line(page, "process_open_fds 7"));
	ck_assert(has_line(page, "process_max_fds 1024"));
	ck_assert(has_line(page, "process_start_time_seconds 1796000000.500"));
	free(page);

	/* What could not be read is left out, not given as 0. */
	g.rss_bytes = 0;
	g.open_fds = 0;
	page = render(&g);
	ck_assert_ptr_null(strstr(page, "process_resident_memory_bytes"));
	ck_assert_ptr_null(strstr(page, "process_open_fds"));
	free(page);
}
END_TEST

/* serve --config: the named servers each on their own, labelled; none,
 * no such family. */
START_TEST(test_servers)
{
	struct metrics_server	 sv[2];
	struct metrics_gauges	 g;
	char			*page;

	memset(&g, 0, sizeof g);
	page = render(&g);
	ck_assert_ptr_null(strstr(page, "mcpbridge_server_"));
	free(page);

	memset(sv, 0, sizeof sv);
	sv[0].name = "fs";
	sv[0].ready = 1;
	sv[0].sessions = 3;
	sv[0].in_flight = 2;
	sv[0].children_up = 1;
	sv[0].child_starts = 4;
	sv[0].child_restarts = 3;
	sv[1].name = "git.v2";
	g.servers = sv;
	g.nservers = 2;
	page = render(&g);
	ck_assert(has_line(page, "# TYPE mcpbridge_server_ready gauge"));
	ck_assert(has_line(page, "mcpbridge_server_ready{server=\"fs\"} 1"));
	ck_assert(has_line(page, "mcpbridge_server_ready{server=\"git.v2\"} "
	    "0"));
	ck_assert(has_line(page, "mcpbridge_server_sessions{server=\"fs\"} "
	    "3"));
	ck_assert(has_line(page, "mcpbridge_server_requests_in_flight"
	    "{server=\"fs\"} 2"));
	ck_assert(has_line(page, "mcpbridge_server_child_up{server=\"fs\"} "
	    "1"));
	ck_assert(has_line(page, "# TYPE mcpbridge_server_child_starts_total "
	    "counter"));
	ck_assert(has_line(page, "mcpbridge_server_child_starts_total"
	    "{server=\"fs\"} 4"));
	ck_assert(has_line(page, "mcpbridge_server_child_restarts_total"
	    "{server=\"git.v2\"} 0"));
	free(page);
}
END_TEST

/* Each named server's requests counted and timed on their own; the
 * unlabelled families stay the process's (the callers count both). */
START_TEST(test_server_requests)
{
	struct metrics_requests	 r[2];
	struct metrics_server	 sv[2];
	struct metrics_gauges	 g;
	char			*page;

	memset(r, 0, sizeof r);
	memset(sv, 0, sizeof sv);
	memset(&g, 0, sizeof g);
	metrics_requests_done(&r[0], METRICS_TOOLS_CALL, 0, 7);
	metrics_requests_done(&r[0], METRICS_TOOLS_CALL, 1, 30);
	metrics_requests_done(&r[0], (enum metrics_method)999, 0, 400000);
	sv[0].name = "fs";
	sv[0].requests = &r[0];
	sv[1].name = "git";
	sv[1].requests = &r[1];
	g.servers = sv;
	g.nservers = 2;
	page = render(&g);
	ck_assert(has_line(page, "# TYPE mcpbridge_server_requests_total "
	    "counter"));
	ck_assert(has_line(page, "mcpbridge_server_requests_total{server="
	    "\"fs\",method=\"tools/call\",outcome=\"ok\"} 1"));
	ck_assert(has_line(page, "mcpbridge_server_requests_total{server="
	    "\"fs\",method=\"tools/call\",outcome=\"error\"} 1"));
	ck_assert(has_line(page, "mcpbridge_server_requests_total{server="
	    "\"fs\",method=\"other\",outcome=\"ok\"} 1"));
	ck_assert_ptr_null(strstr(page, "mcpbridge_server_requests_total{"
	    "server=\"git\""));
	ck_assert(has_line(page, "# TYPE mcpbridge_server_request_duration_"
	    "seconds histogram"));
	ck_assert(has_line(page, "mcpbridge_server_request_duration_seconds_"
	    "bucket{server=\"fs\",le=\"0.005\"} 0"));
	ck_assert(has_line(page, "mcpbridge_server_request_duration_seconds_"
	    "bucket{server=\"fs\",le=\"0.010\"} 1"));
	ck_assert(has_line(page, "mcpbridge_server_request_duration_seconds_"
	    "bucket{server=\"fs\",le=\"300.000\"} 2"));
	ck_assert(has_line(page, "mcpbridge_server_request_duration_seconds_"
	    "bucket{server=\"fs\",le=\"+Inf\"} 3"));
	ck_assert(has_line(page, "mcpbridge_server_request_duration_seconds_"
	    "sum{server=\"fs\"} 400.037"));
	ck_assert(has_line(page, "mcpbridge_server_request_duration_seconds_"
	    "count{server=\"fs\"} 3"));
	ck_assert(has_line(page, "mcpbridge_server_request_duration_seconds_"
	    "count{server=\"git\"} 0"));
	/* Not the process's: those count elsewhere. */
	ck_assert_ptr_null(strstr(page, "mcpbridge_requests_total{"));
	free(page);
}
END_TEST

START_TEST(test_process_read)
{
	struct metrics_gauges	 g;

	memset(&g, 0, sizeof g);
	metrics_started();
	metrics_process(&g);
	ck_assert_uint_gt(g.open_fds, 2);
	ck_assert_uint_ge(g.max_fds, g.open_fds);
	ck_assert_uint_gt(g.rss_bytes, 0);
	ck_assert_uint_gt(g.start_time_ms, 1700000000000ULL);
}
END_TEST

START_TEST(test_per_method)
{
	struct metrics_gauges	 g;
	char			*page;

	/* The spec's names, and "other" for anything else: a client's tool
	 * names never become labels. */
	ck_assert_int_eq(metrics_method("tools/call"), METRICS_TOOLS_CALL);
	ck_assert_int_eq(metrics_method("server/discover"),
	    METRICS_SERVER_DISCOVER);
	ck_assert_int_eq(metrics_method("subscriptions/listen"),
	    METRICS_SUBSCRIPTIONS_LISTEN);
	ck_assert_int_eq(metrics_method("tasks/get"), METRICS_TASKS);
	ck_assert_int_eq(metrics_method("my_secret_tool"), METRICS_OTHER);
	ck_assert_int_eq(metrics_method(NULL), METRICS_OTHER);

	memset(&metrics, 0, sizeof metrics);
	metrics_request_done(METRICS_TOOLS_CALL, 0, 30);
	metrics_request_done(METRICS_TOOLS_CALL, 1, 700);
	metrics_request_done(METRICS_PING, 0, 1);
	memset(&g, 0, sizeof g);
	page = render(&g);
	ck_assert(has_line(page, "# TYPE mcpbridge_method_duration_seconds "
	    "histogram"));
	ck_assert(has_line(page, "mcpbridge_method_duration_seconds_bucket"
	    "{method=\"tools/call\",le=\"0.025\"} 0"));
	ck_assert(has_line(page, "mcpbridge_method_duration_seconds_bucket"
	    "{method=\"tools/call\",le=\"0.050\"} 1"));
	ck_assert(has_line(page, "mcpbridge_method_duration_seconds_bucket"
	    "{method=\"tools/call\",le=\"1.000\"} 2"));
	ck_assert(has_line(page, "mcpbridge_method_duration_seconds_bucket"
	    "{method=\"tools/call\",le=\"+Inf\"} 2"));
	ck_assert(has_line(page, "mcpbridge_method_duration_seconds_sum"
	    "{method=\"tools/call\"} 0.730"));
	ck_assert(has_line(page, "mcpbridge_method_duration_seconds_count"
	    "{method=\"tools/call\"} 2"));
	ck_assert(has_line(page, "mcpbridge_method_duration_seconds_count"
	    "{method=\"ping\"} 1"));
	/* A method no request used is not listed. */
	ck_assert_ptr_null(strstr(page, "{method=\"prompts/get\""));
	/* The overall histogram is still there. */
	ck_assert(has_line(page, "mcpbridge_request_duration_seconds_count 3"));
	free(page);
}
END_TEST

/* --children: each shared child's load under its own label. */
START_TEST(test_pool)
{
	struct metrics_gauges	 g;
	struct metrics_child	 pool[2];
	char			*page;

	memset(&g, 0, sizeof g);
	page = render(&g);
	ck_assert_ptr_null(strstr(page, "mcpbridge_pool_child"));
	free(page);

	memset(pool, 0, sizeof pool);
	pool[0].up = pool[0].ready = 1;
	pool[0].sessions = 3;
	pool[0].in_flight = 2;
	pool[0].requests = 40;
	pool[1].restarts = 5;
	g.pool = pool;
	g.npool = 2;
	page = render(&g);
	ck_assert(has_line(page, "# TYPE mcpbridge_pool_child_sessions gauge"));
	ck_assert(has_line(page, "mcpbridge_pool_child_up{child=\"1\"} 1"));
	ck_assert(has_line(page, "mcpbridge_pool_child_up{child=\"2\"} 0"));
	ck_assert(has_line(page, "mcpbridge_pool_child_ready{child=\"1\"} 1"));
	ck_assert(has_line(page, "mcpbridge_pool_child_sessions{child=\"1\"} 3"));
	ck_assert(has_line(page,
	    "mcpbridge_pool_child_requests_in_flight{child=\"1\"} 2"));
	ck_assert(has_line(page,
	    "mcpbridge_pool_child_requests_total{child=\"1\"} 40"));
	ck_assert(has_line(page,
	    "# TYPE mcpbridge_pool_child_restarts_total counter"));
	ck_assert(has_line(page,
	    "mcpbridge_pool_child_restarts_total{child=\"2\"} 5"));
	free(page);
}
END_TEST

/* The turns of tools that ask: what waits, has waited, and how long. */
START_TEST(test_calls_waiting)
{
	struct metrics_gauges	 g;
	char			*page;

	memset(&g, 0, sizeof g);
	g.calls_waiting = 3;
	g.call_waits = 9;
	g.call_wait_ms = 1250;
	g.calls_wait_refused = 1;
	g.child_requests_refused = 2;
	page = render(&g);
	ck_assert(has_line(page, "# TYPE mcpbridge_calls_waiting gauge"));
	ck_assert(has_line(page, "mcpbridge_calls_waiting 3"));
	ck_assert(has_line(page, "mcpbridge_call_waits_total 9"));
	ck_assert(has_line(page, "mcpbridge_call_wait_seconds_total 1.250"));
	ck_assert(has_line(page, "mcpbridge_calls_wait_refused_total 1"));
	ck_assert(has_line(page, "mcpbridge_child_requests_refused_total 2"));
	free(page);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("render");

	tcase_add_test(tc, test_build_and_process);
	tcase_add_test(tc, test_process_read);
	tcase_add_test(tc, test_servers);
	tcase_add_test(tc, test_server_requests);
	tcase_add_test(tc, test_per_method);
	tcase_add_test(tc, test_pool);
	tcase_add_test(tc, test_calls_waiting);
	suite_add_tcase(s, tc);
	return s;
}
