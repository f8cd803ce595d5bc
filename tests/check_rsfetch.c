/* SPDX-License-Identifier: ISC */
/*
 * check_rsfetch.c: rsfetch's requests on a real curl_event against a
 * small evhttp server on loopback: a GET with its Cache-Control, a POST
 * with its body and Authorization, an answer over max_len, a refused
 * connection; then jwks.c discovering an issuer and fetching its keys
 * over it, end to end, without blocking the loop.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "checktest.h"
#include "curl_event.h"
#include "jwks.h"
#include "jwt.h"
#include "rsfetch.h"
#include "rstest.h"
#include "xmalloc.h"

static struct event_base	*base;
static struct evhttp		*http;
static struct curl_event	*ce;
static int			 port;
static char			 issuer[64];

/* The last answer, copied. */
static int	 got, got_failed;
static long	 got_status;
static char	 got_body[256], got_cc[64];

static void
serve(struct evhttp_request *req, void *arg)
{
	const char	*uri = evhttp_request_get_uri(req), *a;
	struct evbuffer	*out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer	*in;
	char		*s;
	size_t		 i;

	(void)arg;
	if (strcmp(uri, "/.well-known/oauth-authorization-server") == 0) {
		evbuffer_add_printf(out, "{\"issuer\":\"%s\",\"jwks_uri\":"
		    "\"%s/jwks\"}", issuer, issuer);
	} else if (strcmp(uri, "/jwks") == 0) {
		s = rst_jwks(1);
		evbuffer_add(out, s, strlen(s));
		free(s);
		evhttp_add_header(h, "Cache-Control", "max-age=900");
	} else if (strcmp(uri, "/post") == 0) {
		in = evhttp_request_get_input_buffer(req);
		a = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Authorization");
		evbuffer_add_printf(out, "%s|", a != NULL ? a : "-");
		evbuffer_add_buffer(out, in);
	} else if (strcmp(uri, "/big") == 0) {
		for (i = 0; i < 1000; i++)
			evbuffer_add(out, "0123456789", 10);
	} else {
		evhttp_send_reply(req, 404, "Not Found", out);
		evbuffer_free(out);
		return;
	}
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void
setup(void)
{
	struct evhttp_bound_socket	*bs;
	struct curl_event_config	 cfg;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof sin;

	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, serve, NULL);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bs);
	ck_assert_int_eq(getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	snprintf(issuer, sizeof issuer, "http://127.0.0.1:%d", port);
	memset(&cfg, 0, sizeof cfg);
	ce = curl_event_new(base, &cfg);
	ck_assert_ptr_nonnull(ce);
	got = 0;
}

static void
teardown(void)
{
	curl_event_free(ce);
	evhttp_free(http);
	event_base_free(base);
	curl_global_cleanup();
}

static void
answered(const struct rsfetch_response *r, void *arg)
{
	(void)arg;
	got++;
	got_failed = r->failed;
	got_status = r->status;
	snprintf(got_body, sizeof got_body, "%s", r->failed ? r->error :
	    r->body);
	snprintf(got_cc, sizeof got_cc, "%s", r->cache_control != NULL ?
	    r->cache_control : "");
	ck_assert(r->failed || strlen(r->body) == r->len);
	event_base_loopbreak(base);
}

static void
fetch(const char *method, const char *path, const char *auth,
    const char *body, size_t max_len)
{
	struct rsfetch_request	 q;
	char			 url[128];

	snprintf(url, sizeof url, "%s%s", issuer, path);
	memset(&q, 0, sizeof q);
	q.method = method;
	q.url = url;
	q.authorization = auth;
	q.body = body;
	q.len = body != NULL ? strlen(body) : 0;
	q.content_type = body != NULL ?
	    "application/x-www-form-urlencoded" : NULL;
	q.max_len = max_len;
	got = 0;
	ck_assert_ptr_nonnull(rsfetch_curl_ops.start(ce, &q, answered, NULL));
	/* Never from inside start. */
	ck_assert_int_eq(got, 0);
	event_base_dispatch(base);
	ck_assert_int_eq(got, 1);
}

START_TEST(test_requests)
{
	setup();
	fetch("GET", "/jwks", NULL, NULL, JWT_JWKS_MAX_LEN);
	ck_assert_int_eq(got_failed, 0);
	ck_assert_int_eq(got_status, 200);
	ck_assert_str_eq(got_cc, "max-age=900");
	ck_assert_ptr_nonnull(strstr(got_body, "\"keys\""));
	fetch("POST", "/post", "Basic YTpi", "token=x", 1024);
	ck_assert_int_eq(got_status, 200);
	ck_assert_str_eq(got_body, "Basic YTpi|token=x");
	fetch("GET", "/nothing", NULL, NULL, 1024);
	ck_assert_int_eq(got_failed, 0);
	ck_assert_int_eq(got_status, 404);
	fetch("GET", "/big", NULL, NULL, 1024);
	ck_assert_int_eq(got_failed, 1);
	teardown();
}
END_TEST

START_TEST(test_refused)
{
	struct rsfetch_request	 q;
	struct rsfetch		*f;

	setup();
	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.url = "http://127.0.0.1:1/x";
	q.max_len = 100;
	ck_assert_ptr_nonnull(rsfetch_curl_ops.start(ce, &q, answered, NULL));
	event_base_dispatch(base);
	ck_assert_int_eq(got, 1);
	ck_assert_int_eq(got_failed, 1);
	/* Cancelled: no callback. */
	got = 0;
	f = rsfetch_curl_ops.start(ce, &q, answered, NULL);
	rsfetch_curl_ops.cancel(f);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(got, 0);
	teardown();
}
END_TEST

static void
keys_came(void *arg)
{
	(void)arg;
	got++;
	event_base_loopbreak(base);
}

START_TEST(test_jwks_end_to_end)
{
	struct jwks		*j;
	struct jwks_issuer	*is;
	const char		*cause;

	setup();
	j = jwks_new(&rsfetch_curl_ops, ce, NULL);
	ck_assert_int_eq(jwks_add(j, issuer, &cause), 0);
	is = jwks_issuer(j, 0);
	jwks_start(j);
	ck_assert_ptr_nonnull(jwks_wait(is, 0, keys_came, NULL));
	event_base_dispatch(base);
	ck_assert_int_eq(got, 1);
	ck_assert_ptr_nonnull(jwks_keys(is));
	ck_assert_uint_eq(jwt_keyset_count(jwks_keys(is)), 2);
	ck_assert(jwks_ready(j));
	jwks_free(j);
	teardown();
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("rsfetch");
	TCase	*tc = tcase_create("loopback");

	rst_keys_init();
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_jwks_end_to_end);
	suite_add_tcase(s, tc);
	return s;
}
