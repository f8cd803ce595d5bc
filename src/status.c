/* SPDX-License-Identifier: ISC */
/*
 * status.c: renders the /status page (status.h) as JSON or HTML.
 *
 * The JSON is json-c's, so its strings are escaped by it.  The HTML
 * escapes every string it did not write itself (names, commands, exit
 * causes, the URL): they come from a config file, a child, the system.
 * The page carries its style inline and no script; the caller sends a
 * Content-Security-Policy that forbids the rest.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "status.h"

void
status_ring_add(struct status_ring *r, uint64_t time_ms, const char *text)
{
	struct status_error	*e = &r->e[r->next];

	e->time_ms = time_ms;
	snprintf(e->text, sizeof e->text, "%s", text);
	r->next = (r->next + 1) % STATUS_ERRORS_MAX;
	if (r->count < STATUS_ERRORS_MAX)
		r->count++;
}

const struct status_error *
status_ring_get(const struct status_ring *r, size_t i)
{
	if (r == NULL || i >= r->count)
		return NULL;
	return &r->e[(r->next + STATUS_ERRORS_MAX - 1 - i) % STATUS_ERRORS_MAX];
}

/* Requests per second since the process started, two decimals. */
static double
status_rate(const struct status_page *p, uint64_t n)
{
	uint64_t	ms = p->now_ms > p->start_ms ? p->now_ms - p->start_ms : 0;

	if (ms == 0)
		return 0;
	return (double)(n * 100000 / ms) / 100;
}

/* The same as JSON, written with its two decimals ("2.50", not
 * 2.5000000000000004). */
static json_object *
status_json_rate(const struct status_page *p, uint64_t n)
{
	char	buf[32];
	double	r = status_rate(p, n);

	snprintf(buf, sizeof buf, "%.2f", r);
	return json_object_new_double_s(r, buf);
}

static json_object *
status_str(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
status_json_child(const struct status_child *c)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int64(
	    (int64_t)c->index));
	json_object_object_add(o, "pid", c->pid > 0 ?
	    json_object_new_int64(c->pid) : NULL);
	json_object_object_add(o, "up", json_object_new_boolean(c->up));
	json_object_object_add(o, "ready", json_object_new_boolean(c->ready));
	json_object_object_add(o, "era", status_str(c->era));
	json_object_object_add(o, "uptime_seconds", json_object_new_int64(
	    (int64_t)(c->uptime_ms / 1000)));
	json_object_object_add(o, "restarts", json_object_new_int64(
	    (int64_t)c->restarts));
	json_object_object_add(o, "last_exit", status_str(c->last_exit));
	json_object_object_add(o, "sessions", json_object_new_int64(
	    (int64_t)c->sessions));
	json_object_object_add(o, "requests_in_flight", json_object_new_int64(
	    (int64_t)c->in_flight));
	json_object_object_add(o, "requests_total", json_object_new_int64(
	    (int64_t)c->requests));
	return o;
}

static json_object *
status_json_server(const struct status_page *p, const struct status_server *s)
{
	json_object			*o = json_object_new_object(), *a, *e;
	const struct status_error	*err;
	size_t				 i;

	json_object_object_add(o, "name", status_str(s->name));
	json_object_object_add(o, "command", status_str(s->command));
	json_object_object_add(o, "ready", json_object_new_boolean(s->ready));
	json_object_object_add(o, "sessions", json_object_new_int64(
	    (int64_t)s->sessions));
	json_object_object_add(o, "requests_in_flight", json_object_new_int64(
	    (int64_t)s->in_flight));
	json_object_object_add(o, "requests_total", json_object_new_int64(
	    (int64_t)s->requests));
	json_object_object_add(o, "requests_per_second",
	    status_json_rate(p, s->requests));
	a = json_object_new_array();
	for (i = 0; i < s->nchildren; i++)
		json_object_array_add(a, status_json_child(&s->children[i]));
	json_object_object_add(o, "children", a);
	json_object_object_add(o, "session_children", json_object_new_int64(
	    (int64_t)s->session_children));
	a = json_object_new_array();
	for (i = 0; (err = status_ring_get(s->errors, i)) != NULL; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "time", json_object_new_int64(
		    (int64_t)(err->time_ms / 1000)));
		json_object_object_add(e, "error",
		    json_object_new_string(err->text));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "errors", a);
	return o;
}

void
status_render_json(struct evbuffer *out, const struct status_page *p)
{
	json_object	*o = json_object_new_object(), *a;
	size_t		 i;

	json_object_object_add(o, "version", status_str(p->version));
	json_object_object_add(o, "url", status_str(p->url));
	json_object_object_add(o, "started", json_object_new_int64(
	    (int64_t)(p->start_ms / 1000)));
	json_object_object_add(o, "uptime_seconds", json_object_new_int64(
	    (int64_t)((p->now_ms - (p->start_ms < p->now_ms ? p->start_ms :
	    p->now_ms)) / 1000)));
	json_object_object_add(o, "ready", json_object_new_boolean(p->ready));
	json_object_object_add(o, "draining",
	    json_object_new_boolean(p->draining));
	json_object_object_add(o, "sessions", json_object_new_int64(
	    (int64_t)p->sessions));
	json_object_object_add(o, "requests_in_flight", json_object_new_int64(
	    (int64_t)p->in_flight));
	json_object_object_add(o, "requests_answered", json_object_new_int64(
	    (int64_t)p->answered));
	json_object_object_add(o, "requests_per_second",
	    status_json_rate(p, p->answered));
	json_object_object_add(o, "latency_mean_ms", p->answered > 0 ?
	    json_object_new_int64((int64_t)(p->latency_sum_ms / p->answered)) :
	    NULL);
	json_object_object_add(o, "errors_kept",
	    json_object_new_int(STATUS_ERRORS_MAX));
	a = json_object_new_array();
	for (i = 0; i < p->nservers; i++)
		json_object_array_add(a, status_json_server(p, &p->servers[i]));
	json_object_object_add(o, "servers", a);
	evbuffer_add_printf(out, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* s as HTML text or attribute value: the five specials as entities,
 * control characters dropped. */
static void
status_html(struct evbuffer *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			evbuffer_add(out, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(out, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(out, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(out, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(out, "&#39;", 5);
			break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				evbuffer_add(out, s, 1);
		}
	}
}

/* A <td> of s, escaped; "-" for NULL. */
static void
status_td(struct evbuffer *out, const char *s)
{
	evbuffer_add_printf(out, "<td>");
	status_html(out, s != NULL ? s : "-");
	evbuffer_add_printf(out, "</td>");
}

/* "3d 4h", "5h 6m", "7m 8s", "9s". */
static void
status_duration(char *buf, size_t size, uint64_t ms)
{
	uint64_t	s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, size, "%" PRIu64 "d %" PRIu64 "h", s / 86400,
		    s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 "h %" PRIu64 "m", s / 3600,
		    s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRIu64 "m %" PRIu64 "s", s / 60,
		    s % 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
}

static void
status_utc(char *buf, size_t size, uint64_t ms)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "-");
}

static void
status_html_server(struct evbuffer *out, const struct status_page *p,
    const struct status_server *s)
{
	const struct status_child	*c;
	const struct status_error	*err;
	char				 t[64];
	size_t				 i;

	evbuffer_add_printf(out, "<h2>");
	status_html(out, s->name != NULL ? s->name : "server");
	evbuffer_add_printf(out, " <span class=\"%s\">%s</span></h2>\n",
	    s->ready ? "ok" : "bad", s->ready ? "ready" : "not ready");
	evbuffer_add_printf(out, "<table>\n<tr><th>command</th>");
	status_td(out, s->command);
	evbuffer_add_printf(out, "</tr>\n<tr><th>sessions</th><td>%zu</td>"
	    "</tr>\n<tr><th>requests in flight</th><td>%zu</td></tr>\n"
	    "<tr><th>requests</th><td>%" PRIu64 " (%.2f/s since start)</td>"
	    "</tr>\n", s->sessions, s->in_flight, s->requests,
	    status_rate(p, s->requests));
	if (s->nchildren == 0)
		evbuffer_add_printf(out, "<tr><th>session children up</th>"
		    "<td>%zu</td></tr>\n", s->session_children);
	evbuffer_add_printf(out, "</table>\n");
	if (s->nchildren > 0) {
		evbuffer_add_printf(out, "<table>\n<tr><th>child</th>"
		    "<th>pid</th><th>state</th><th>era</th><th>uptime</th>"
		    "<th>restarts</th><th>last exit</th><th>sessions</th>"
		    "<th>in flight</th><th>requests</th></tr>\n");
		for (i = 0; i < s->nchildren; i++) {
			c = &s->children[i];
			evbuffer_add_printf(out, "<tr><td>%zu</td>", c->index);
			if (c->pid > 0)
				evbuffer_add_printf(out, "<td>%ld</td>",
				    c->pid);
			else
				evbuffer_add_printf(out, "<td>-</td>");
			evbuffer_add_printf(out, "<td class=\"%s\">%s</td>",
			    c->ready ? "ok" : "bad", c->ready ? "ready" :
			    c->up ? "starting" : "down");
			status_td(out, c->era);
			status_duration(t, sizeof t, c->uptime_ms);
			status_td(out, c->up ? t : NULL);
			evbuffer_add_printf(out, "<td>%" PRIu64 "</td>",
			    c->restarts);
			status_td(out, c->last_exit);
			evbuffer_add_printf(out, "<td>%zu</td><td>%zu</td>"
			    "<td>%" PRIu64 "</td></tr>\n", c->sessions,
			    c->in_flight, c->requests);
		}
		evbuffer_add_printf(out, "</table>\n");
	}
	if (s->errors == NULL || s->errors->count == 0)
		return;
	evbuffer_add_printf(out, "<table>\n<tr><th>when</th>"
	    "<th>last errors (newest first)</th></tr>\n");
	for (i = 0; (err = status_ring_get(s->errors, i)) != NULL; i++) {
		status_utc(t, sizeof t, err->time_ms);
		evbuffer_add_printf(out, "<tr>");
		status_td(out, t);
		status_td(out, err->text);
		evbuffer_add_printf(out, "</tr>\n");
	}
	evbuffer_add_printf(out, "</table>\n");
}

void
status_render_html(struct evbuffer *out, const struct status_page *p)
{
	char	t[64];
	size_t	i;

	evbuffer_add_printf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n<title>mcpbridge status"
	    "</title>\n<style>\nbody{font-family:sans-serif;margin:1em 2em}"
	    "table{border-collapse:collapse;margin:.5em 0}"
	    "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}"
	    "th{background:#f4f4f4}.ok{color:#070}.bad{color:#b00}\n"
	    "</style>\n</head>\n<body>\n<h1>mcpbridge ");
	status_html(out, p->version);
	evbuffer_add_printf(out, " <span class=\"%s\">%s</span></h1>\n"
	    "<table>\n<tr><th>listening on</th>", p->draining ? "bad" :
	    p->ready ? "ok" : "bad", p->draining ? "draining" : p->ready ?
	    "ready" : "not ready");
	status_td(out, p->url);
	status_duration(t, sizeof t, p->now_ms > p->start_ms ?
	    p->now_ms - p->start_ms : 0);
	evbuffer_add_printf(out, "</tr>\n<tr><th>uptime</th>");
	status_td(out, t);
	evbuffer_add_printf(out, "</tr>\n<tr><th>sessions</th><td>%zu</td>"
	    "</tr>\n<tr><th>requests in flight</th><td>%zu</td></tr>\n"
	    "<tr><th>requests answered</th><td>%" PRIu64 " (%.2f/s since "
	    "start)</td></tr>\n", p->sessions, p->in_flight, p->answered,
	    status_rate(p, p->answered));
	if (p->answered > 0)
		evbuffer_add_printf(out, "<tr><th>mean latency</th>"
		    "<td>%" PRIu64 " ms</td></tr>\n",
		    p->latency_sum_ms / p->answered);
	evbuffer_add_printf(out, "</table>\n");
	for (i = 0; i < p->nservers; i++)
		status_html_server(out, p, &p->servers[i]);
	evbuffer_add_printf(out, "</body>\n</html>\n");
}
