/* SPDX-License-Identifier: ISC */
/*
 * check_status.c: the /status page (status.c) as its readers see it: the
 * JSON's shape and values, the HTML with every foreign string escaped and
 * no script, and the error ring bounded, newest first.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "checktest.h"
#include "status.h"

static char *
take(struct evbuffer *buf)
{
	size_t	 len = evbuffer_get_length(buf);
	char	*s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	evbuffer_remove(buf, s, len);
	s[len] = '\0';
	evbuffer_free(buf);
	return s;
}

static char *
render(const struct status_page *p, int json)
{
	struct evbuffer	*buf = evbuffer_new();

	if (json)
		status_render_json(buf, p);
	else
		status_render_html(buf, p);
	return take(buf);
}

/* A page with one server of two children, the second down after a
 * crash, and names that need escaping. */
static struct status_ring	ring;
static struct status_child	kids[2];
static struct status_server	srv;
static struct status_page	page;

static void
fill(void)
{
	memset(&ring, 0, sizeof ring);
	memset(kids, 0, sizeof kids);
	memset(&srv, 0, sizeof srv);
	memset(&page, 0, sizeof page);
	status_ring_add(&ring, 1700000000000ULL, "child 2 exited with "
	    "status 3 <b>&\"'");
	kids[0] = (struct status_child){ .index = 1, .pid = 4242, .up = 1,
	    .ready = 1, .era = "legacy", .uptime_ms = 65000, .sessions = 2,
	    .in_flight = 1, .requests = 10 };
	kids[1] = (struct status_child){ .index = 2, .pid = -1,
	    .restarts = 3, .last_exit = "killed by signal 9 (SIGKILL)" };
	srv.name = "fs<script>alert(1)</script>";
	srv.command = "/usr/bin/srv&co";
	srv.ready = 1;
	srv.sessions = 2;
	srv.in_flight = 1;
	srv.requests = 10;
	srv.children = kids;
	srv.nchildren = 2;
	srv.errors = &ring;
	page.version = "1.2.3";
	page.url = "http://127.0.0.1:8080";
	page.start_ms = 1700000000000ULL;
	page.now_ms = page.start_ms + 10000;
	page.ready = 1;
	page.sessions = 2;
	page.in_flight = 1;
	page.answered = 20;
	page.latency_sum_ms = 100;
	page.servers = &srv;
	page.nservers = 1;
}

static json_object *
get(json_object *o, const char *key)
{
	json_object	*v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v;
}

START_TEST(test_json_shape)
{
	json_object	*o, *s, *c, *e;
	char		*text;

	fill();
	text = render(&page, 1);
	o = json_tokener_parse(text);
	ck_assert_msg(o != NULL, "not JSON: %s", text);
	ck_assert_str_eq(json_object_get_string(get(o, "version")), "1.2.3");
	ck_assert_str_eq(json_object_get_string(get(o, "url")),
	    "http://127.0.0.1:8080");
	ck_assert_int_eq(json_object_get_int64(get(o, "uptime_seconds")), 10);
	ck_assert_int_eq(json_object_get_int64(get(o, "sessions")), 2);
	ck_assert_int_eq(json_object_get_int64(get(o, "latency_mean_ms")), 5);
	ck_assert(json_object_get_double(get(o, "requests_per_second")) == 2.0);
	ck_assert_int_eq(json_object_get_int(get(o, "errors_kept")),
	    STATUS_ERRORS_MAX);
	ck_assert_int_eq(json_object_array_length(get(o, "servers")), 1);
	s = json_object_array_get_idx(get(o, "servers"), 0);
	ck_assert_str_eq(json_object_get_string(get(s, "name")),
	    "fs<script>alert(1)</script>");
	ck_assert_str_eq(json_object_get_string(get(s, "command")),
	    "/usr/bin/srv&co");
	ck_assert(json_object_get_boolean(get(s, "ready")));
	ck_assert_int_eq(json_object_get_int64(get(s, "requests_total")), 10);
	ck_assert_int_eq(json_object_array_length(get(s, "children")), 2);
	c = json_object_array_get_idx(get(s, "children"), 0);
	ck_assert_int_eq(json_object_get_int64(get(c, "pid")), 4242);
	ck_assert_str_eq(json_object_get_string(get(c, "era")), "legacy");
	ck_assert_int_eq(json_object_get_int64(get(c, "uptime_seconds")), 65);
	ck_assert(get(c, "last_exit") == NULL);
	c = json_object_array_get_idx(get(s, "children"), 1);
	ck_assert(get(c, "pid") == NULL);	/* null: none running */
	ck_assert(get(c, "era") == NULL);
	ck_assert(!json_object_get_boolean(get(c, "up")));
	ck_assert_int_eq(json_object_get_int64(get(c, "restarts")), 3);
	ck_assert_str_eq(json_object_get_string(get(c, "last_exit")),
	    "killed by signal 9 (SIGKILL)");
	ck_assert_int_eq(json_object_array_length(get(s, "errors")), 1);
	e = json_object_array_get_idx(get(s, "errors"), 0);
	ck_assert_int_eq(json_object_get_int64(get(e, "time")), 1700000000);
	ck_assert_str_eq(json_object_get_string(get(e, "error")),
	    "child 2 exited with status 3 <b>&\"'");
	json_object_put(o);
	free(text);
}
END_TEST

START_TEST(test_html_escaped)
{
	char	*text;

	fill();
	text = render(&page, 0);
	ck_assert_msg(strncmp(text, "<!DOCTYPE html>", 15) == 0, "%s", text);
	/* Nothing but the page's own markup: no script, no link out. */
	ck_assert_ptr_null(strstr(text, "<script"));
	ck_assert_ptr_null(strstr(text, "src="));
	ck_assert_ptr_null(strstr(text, "href="));
	ck_assert_ptr_nonnull(strstr(text,
	    "fs&lt;script&gt;alert(1)&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(text, "<td>/usr/bin/srv&amp;co</td>"));
	ck_assert_ptr_nonnull(strstr(text, "status 3 &lt;b&gt;&amp;&quot;"
	    "&#39;</td>"));
	ck_assert_ptr_nonnull(strstr(text, "<td>4242</td>"));
	ck_assert_ptr_nonnull(strstr(text, "<td>1m 5s</td>"));
	ck_assert_ptr_nonnull(strstr(text, "<td>killed by signal 9 (SIGKILL)"
	    "</td>"));
	ck_assert_ptr_nonnull(strstr(text, "<td>2023-11-14 22:13:20Z</td>"));
	ck_assert_ptr_nonnull(strstr(text, "mean latency</th><td>5 ms"));
	free(text);
}
END_TEST

START_TEST(test_ring_bounded)
{
	struct status_ring		 r;
	const struct status_error	*e;
	char				 text[400];
	size_t				 i;

	memset(&r, 0, sizeof r);
	ck_assert_ptr_null(status_ring_get(&r, 0));
	for (i = 0; i < STATUS_ERRORS_MAX + 3; i++) {
		snprintf(text, sizeof text, "error %zu", i);
		status_ring_add(&r, i, text);
	}
	ck_assert_uint_eq(r.count, STATUS_ERRORS_MAX);
	e = status_ring_get(&r, 0);
	snprintf(text, sizeof text, "error %d", STATUS_ERRORS_MAX + 2);
	ck_assert_str_eq(e->text, text);
	e = status_ring_get(&r, STATUS_ERRORS_MAX - 1);
	ck_assert_str_eq(e->text, "error 3");
	ck_assert_ptr_null(status_ring_get(&r, STATUS_ERRORS_MAX));
	/* A long text is cut, not overrun. */
	memset(text, 'x', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	status_ring_add(&r, 0, text);
	ck_assert_uint_eq(strlen(status_ring_get(&r, 0)->text),
	    STATUS_ERROR_LEN - 1);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("status");
	TCase	*tc = tcase_create("render");

	tcase_add_test(tc, test_json_shape);
	tcase_add_test(tc, test_html_escaped);
	tcase_add_test(tc, test_ring_bounded);
	suite_add_tcase(s, tc);
	return s;
}
