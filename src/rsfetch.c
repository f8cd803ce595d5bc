/* SPDX-License-Identifier: ISC */
/*
 * rsfetch.c: rsfetch's requests on curl_event.  curl_event runs the done
 * callback outside libcurl and frees its transfer after it, so the
 * wrapper is freed there too, and cancel frees it at once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/buffer.h>

#include "compat.h"
#include "curl_event.h"
#include "log.h"
#include "rsfetch.h"
#include "xmalloc.h"

struct rsfetch {
	struct curl_event_xfer	*xfer;
	rsfetch_cb		 cb;
	void			*arg;
};

static void
rsfetch_done(struct curl_event_xfer *x, int result, const char *error,
    void *arg)
{
	struct rsfetch		*f = arg;
	struct rsfetch_response	 r;
	struct evbuffer		*body;

	memset(&r, 0, sizeof r);
	body = curl_event_body(x);
	if (curl_event_overflowed(x)) {
		r.failed = 1;
		r.error = "answer too long";
	} else if (result != CURLE_OK) {
		r.failed = 1;
		r.error = error != NULL && *error != '\0' ? error :
		    curl_easy_strerror((CURLcode)result);
	} else {
		r.status = curl_event_status(x);
		r.cache_control = curl_event_header(x, "Cache-Control");
		/* A NUL at the end for the parsers; not counted in len. */
		evbuffer_add(body, "", 1);
		r.len = evbuffer_get_length(body) - 1;
		r.body = (const char *)evbuffer_pullup(body, -1);
	}
	f->cb(&r, f->arg);
	free(f);
}

static struct rsfetch *
rsfetch_curl_start(void *ctx, const struct rsfetch_request *req,
    rsfetch_cb cb, void *arg)
{
	struct curl_event_request	 r;
	struct curl_slist		*h = NULL, *n;
	struct rsfetch			*f;
	char				*line = NULL;

	memset(&r, 0, sizeof r);
	/* A JSON answer, and no Expect: 100-continue round trip. */
	h = curl_slist_append(h,
	    "Accept: application/json, application/jwk-set+json");
	if (h != NULL)
		h = curl_slist_append(h, "Expect:");
	if (h != NULL && req->content_type != NULL) {
		xasprintf(&line, "Content-Type: %s", req->content_type);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (h != NULL && req->authorization != NULL) {
		xasprintf(&line, "Authorization: %s", req->authorization);
		n = curl_slist_append(h, line);
		explicit_bzero(line, strlen(line));
		free(line);
		h = n;
	}
	if (h == NULL)
		fatalx("curl_slist_append");
	f = xcalloc(1, sizeof *f);
	f->cb = cb;
	f->arg = arg;
	r.method = req->method;
	r.url = req->url;
	r.headers = h;
	r.body = req->body;
	r.len = req->len;
	r.timeout_ms = RSFETCH_TIMEOUT_MS;
	r.max_buffered = req->max_len;
	r.on_done = rsfetch_done;
	r.arg = f;
	if ((f->xfer = curl_event_start(ctx, &r)) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

static void
rsfetch_curl_cancel(struct rsfetch *f)
{
	if (f == NULL)
		return;
	curl_event_cancel(f->xfer);
	free(f);
}

const struct rsfetch_ops rsfetch_curl_ops = {
	.start = rsfetch_curl_start,
	.cancel = rsfetch_curl_cancel,
};
