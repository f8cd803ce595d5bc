/* SPDX-License-Identifier: ISC */
/*
 * curl_event.c: libcurl's multi socket interface on a libevent loop, in the
 * shape of curl's hiperfifo example.
 *
 * - The socket callback keeps one event per socket libcurl tells us about
 *   (event_assign on storage it allocates, remembered with
 *   curl_multi_assign) and frees it on CURL_POLL_REMOVE.
 * - The timer callback only arms (or disarms) one libevent timer.
 * - Socket readiness and the timer both end in curl_multi_socket_action,
 *   after which curl_event_process hands buffered headers and body bytes to
 *   their owners and then reads completions with curl_multi_info_read.
 * - Each transfer finds its state through CURLOPT_PRIVATE.
 * - curl_event_free runs curl_multi_cleanup; the caller frees the event
 *   base afterwards.
 *
 * A transfer is reference counted: the owner holds one reference until
 * done or cancel, and delivery holds one while an owner callback runs, so a
 * callback that cancels its own transfer frees nothing under its caller.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "curl_event.h"
#include "log.h"
#include "xmalloc.h"

/* Response headers kept per transfer, and the longest kept. */
#define CURL_EVENT_MAX_HEADERS		64
#define CURL_EVENT_MAX_HEADER_LEN	8192
/* TCP keep-alive, so that a dead peer under a quiet stream is noticed. */
#define CURL_EVENT_KEEPIDLE_S		30
#define CURL_EVENT_KEEPINTVL_S		10

struct curl_event_sock {
	struct curl_event		*ce;
	curl_socket_t			 fd;
	struct event			 ev;
	LIST_ENTRY(curl_event_sock)	 entry;
};

struct curl_event_xfer {
	struct curl_event		*ce;
	CURL				*easy;
	struct curl_slist		*headers;
	struct evbuffer			*body;
	size_t				 max_buffered;
	char				 errbuf[CURL_ERROR_SIZE];

	char				*rh[CURL_EVENT_MAX_HEADERS];
	size_t				 nrh;
	int				 headers_done;	/* final response's */
	int				 headers_told;
	long				 status;

	curl_event_headers_cb		 on_headers;
	curl_event_data_cb		 on_data;
	curl_event_done_cb		 on_done;
	void				*arg;

	int				 refs;
	int				 dead;		/* done or cancelled */
	int				 in_multi;
	int				 in_dirty;
	int				 overflow;
	TAILQ_ENTRY(curl_event_xfer)	 entry;		/* all live ones */
	TAILQ_ENTRY(curl_event_xfer)	 dentry;	/* has news */
};
TAILQ_HEAD(curl_event_xfers, curl_event_xfer);

struct curl_event {
	struct event_base		*base;
	CURLM				*multi;
	struct event			 timer;
	struct event			*kick;		/* process soon */
	struct curl_event_config	 cfg;
	char				*cacert;
	struct curl_event_xfers		 xfers;
	struct curl_event_xfers		 dirty;
	size_t				 nxfers;
	LIST_HEAD(, curl_event_sock)	 socks;
};

static void	curl_event_process(struct curl_event *);
static void	curl_event_socket_ready(evutil_socket_t, short, void *);

/* ---- transfers: references and news ---- */

static void
curl_event_clear_headers(struct curl_event_xfer *x)
{
	size_t	i;

	for (i = 0; i < x->nrh; i++)
		free(x->rh[i]);
	x->nrh = 0;
}

static void
curl_event_unref(struct curl_event_xfer *x)
{
	struct curl_event	*ce = x->ce;

	if (--x->refs > 0)
		return;
	if (x->in_dirty)
		TAILQ_REMOVE(&ce->dirty, x, dentry);
	if (x->in_multi)
		curl_multi_remove_handle(ce->multi, x->easy);
	TAILQ_REMOVE(&ce->xfers, x, entry);
	ce->nxfers--;
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	evbuffer_free(x->body);
	curl_event_clear_headers(x);
	free(x);
}

static void
curl_event_mark(struct curl_event_xfer *x)
{
	if (!x->in_dirty && !x->dead) {
		TAILQ_INSERT_TAIL(&x->ce->dirty, x, dentry);
		x->in_dirty = 1;
	}
}

/* ---- libcurl's callbacks: they only buffer ---- */

static size_t
curl_event_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct curl_event_xfer	*x = arg;
	size_t			 n = size * nmemb;

	if (x->dead)
		return 0;	/* aborts the transfer */
	if (x->max_buffered != 0 &&
	    evbuffer_get_length(x->body) + n > x->max_buffered) {
		x->overflow = 1;
		return 0;
	}
	if (evbuffer_add(x->body, p, n) == -1)
		fatalx("evbuffer_add");
	curl_event_mark(x);
	return n;
}

static size_t
curl_event_header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct curl_event_xfer	*x = arg;
	size_t			 n = size * nmemb, len = n;
	long			 status = 0;

	if (x->dead)
		return 0;
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A status line: a new response (after 1xx, say). */
		curl_event_clear_headers(x);
		x->headers_done = 0;
		return n;
	}
	if (len == 0) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200) {
			x->status = status;
			x->headers_done = 1;
			curl_event_mark(x);
		}
		return n;
	}
	if (len > CURL_EVENT_MAX_HEADER_LEN || x->nrh == CURL_EVENT_MAX_HEADERS)
		return n;	/* not one we need; skip it */
	x->rh[x->nrh++] = xstrndup(p, len);
	return n;
}

static int
curl_event_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct curl_event	*ce = arg;
	struct curl_event_sock	*cs = sockp;
	short			 kind;

	if (what == CURL_POLL_REMOVE) {
		if (cs != NULL) {
			event_del(&cs->ev);
			LIST_REMOVE(cs, entry);
			free(cs);
			curl_multi_assign(ce->multi, fd, NULL);
		}
		return 0;
	}
	if (cs == NULL) {
		cs = xcalloc(1, sizeof *cs);
		cs->ce = ce;
		cs->fd = fd;
		LIST_INSERT_HEAD(&ce->socks, cs, entry);
		curl_multi_assign(ce->multi, fd, cs);
	} else
		event_del(&cs->ev);

	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	event_assign(&cs->ev, ce->base, fd, kind, curl_event_socket_ready, cs);
	event_add(&cs->ev, NULL);
	return 0;
}

/* The timer callback: arm or disarm, nothing else. */
static int
curl_event_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct curl_event	*ce = arg;
	struct timeval		 tv;

	if (timeout_ms < 0) {
		evtimer_del(&ce->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(&ce->timer, &tv);
	return 0;
}

/* ---- libevent's callbacks ---- */

static void
curl_event_socket_ready(evutil_socket_t fd, short what, void *arg)
{
	struct curl_event_sock	*cs = arg;
	struct curl_event	*ce = cs->ce;
	int			 action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	/* cs may be gone after this. */
	curl_multi_socket_action(ce->multi, fd, action, &running);
	/* No evtimer_del when nothing runs: process() may have started a
	 * transfer whose timer libcurl just armed. */
	curl_event_process(ce);
}

static void
curl_event_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct curl_event	*ce = arg;
	int			 running;

	curl_multi_socket_action(ce->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	curl_event_process(ce);
}

static void
curl_event_kicked(evutil_socket_t fd, short what, void *arg)
{
	curl_event_process(arg);
}

/* ---- delivery ---- */

static void
curl_event_deliver(struct curl_event_xfer *x)
{
	x->refs++;
	if (!x->dead && x->headers_done && !x->headers_told) {
		x->headers_told = 1;
		if (x->on_headers != NULL)
			x->on_headers(x, x->arg);
	}
	if (!x->dead && x->headers_told && x->on_data != NULL &&
	    evbuffer_get_length(x->body) > 0)
		x->on_data(x, x->body, x->arg);
	curl_event_unref(x);
}

static void
curl_event_finish(struct curl_event_xfer *x, CURLcode result)
{
	struct curl_event	*ce = x->ce;
	const char		*error;
	long			 status = 0;

	curl_multi_remove_handle(ce->multi, x->easy);
	x->in_multi = 0;
	if (x->in_dirty) {
		TAILQ_REMOVE(&ce->dirty, x, dentry);
		x->in_dirty = 0;
	}
	if (!x->headers_done && result == CURLE_OK) {
		/* A response without a blank line seen (HTTP/0.9, say). */
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		x->status = status;
		x->headers_done = 1;
	}
	x->refs++;
	curl_event_deliver(x);
	if (!x->dead) {
		x->dead = 1;
		if (x->overflow)
			error = "response too large";
		else if (x->errbuf[0] != '\0')
			error = x->errbuf;
		else
			error = curl_easy_strerror(result);
		if (x->on_done != NULL)
			x->on_done(x, (int)result, error, x->arg);
		curl_event_unref(x);	/* the owner's reference */
	}
	curl_event_unref(x);
}

static void
curl_event_process(struct curl_event *ce)
{
	struct curl_event_xfer	*x;
	CURLMsg			*m;
	CURL			*easy;
	CURLcode		 result;
	char			*priv;
	int			 left;

	while ((x = TAILQ_FIRST(&ce->dirty)) != NULL) {
		TAILQ_REMOVE(&ce->dirty, x, dentry);
		x->in_dirty = 0;
		curl_event_deliver(x);
	}
	while ((m = curl_multi_info_read(ce->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		easy = m->easy_handle;
		result = m->data.result;
		priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv == NULL)
			fatalx("curl_event: a transfer without its state");
		curl_event_finish((struct curl_event_xfer *)(void *)priv,
		    result);
	}
}

/* ---- the interface ---- */

struct curl_event *
curl_event_new(struct event_base *base, const struct curl_event_config *cfg)
{
	struct curl_event	*ce;

	ce = xcalloc(1, sizeof *ce);
	ce->base = base;
	ce->cfg = *cfg;
	if (cfg->cacert != NULL)
		ce->cacert = xstrdup(cfg->cacert);
	ce->cfg.cacert = ce->cacert;
	TAILQ_INIT(&ce->xfers);
	TAILQ_INIT(&ce->dirty);
	LIST_INIT(&ce->socks);
	if ((ce->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init");
	evtimer_assign(&ce->timer, base, curl_event_timeout, ce);
	if ((ce->kick = event_new(base, -1, 0, curl_event_kicked, ce)) == NULL)
		fatalx("event_new");
	curl_multi_setopt(ce->multi, CURLMOPT_SOCKETFUNCTION,
	    curl_event_socket_cb);
	curl_multi_setopt(ce->multi, CURLMOPT_SOCKETDATA, ce);
	curl_multi_setopt(ce->multi, CURLMOPT_TIMERFUNCTION,
	    curl_event_timer_cb);
	curl_multi_setopt(ce->multi, CURLMOPT_TIMERDATA, ce);
	return ce;
}

void
curl_event_free(struct curl_event *ce)
{
	struct curl_event_xfer	*x, *x1;
	struct curl_event_sock	*cs, *cs1;

	if (ce == NULL)
		return;
	for (x = TAILQ_FIRST(&ce->xfers); x != NULL; x = x1) {
		x1 = TAILQ_NEXT(x, entry);
		curl_event_cancel(x);
	}
	curl_multi_cleanup(ce->multi);
	/* Sockets libcurl did not say goodbye to. */
	for (cs = LIST_FIRST(&ce->socks); cs != NULL; cs = cs1) {
		cs1 = LIST_NEXT(cs, entry);
		event_del(&cs->ev);
		LIST_REMOVE(cs, entry);
		free(cs);
	}
	evtimer_del(&ce->timer);
	event_free(ce->kick);
	free(ce->cacert);
	free(ce);
}

struct curl_event_xfer *
curl_event_start(struct curl_event *ce, const struct curl_event_request *r)
{
	struct curl_event_xfer	*x;
	CURL			*e;
	CURLMcode		 mc;

	if ((e = curl_easy_init()) == NULL) {
		log_warnx("curl_easy_init failed");
		curl_slist_free_all(r->headers);
		return NULL;
	}
	x = xcalloc(1, sizeof *x);
	x->ce = ce;
	x->easy = e;
	x->headers = r->headers;
	if ((x->body = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	x->max_buffered = r->max_buffered;
	x->on_headers = r->on_headers;
	x->on_data = r->on_data;
	x->on_done = r->on_done;
	x->arg = r->arg;
	x->refs = 1;

	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curl_event_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, curl_event_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, (long)CURL_EVENT_KEEPIDLE_S);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL,
	    (long)CURL_EVENT_KEEPINTVL_S);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	if (ce->cfg.connect_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
		    ce->cfg.connect_timeout_ms);
	if (r->timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	if (ce->cfg.cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, ce->cfg.cacert);
	if (ce->cfg.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
		    r->body != NULL ? r->body : "");
	} else if (strcmp(r->method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);

	TAILQ_INSERT_TAIL(&ce->xfers, x, entry);
	ce->nxfers++;
	if ((mc = curl_multi_add_handle(ce->multi, e)) != CURLM_OK) {
		log_warnx("curl_multi_add_handle: %s", curl_multi_strerror(mc));
		x->dead = 1;
		curl_event_unref(x);
		return NULL;
	}
	x->in_multi = 1;
	return x;
}

void
curl_event_cancel(struct curl_event_xfer *x)
{
	if (x == NULL || x->dead)
		return;
	x->dead = 1;
	if (x->in_dirty) {
		TAILQ_REMOVE(&x->ce->dirty, x, dentry);
		x->in_dirty = 0;
	}
	if (x->in_multi) {
		curl_multi_remove_handle(x->ce->multi, x->easy);
		x->in_multi = 0;
	}
	curl_event_unref(x);
}

void
curl_event_pause(struct curl_event_xfer *x, int on)
{
	if (x == NULL || x->dead || !x->in_multi)
		return;
	curl_easy_pause(x->easy, on ? CURLPAUSE_RECV : CURLPAUSE_CONT);
	/* Unpausing may have buffered data already: hand it over soon. */
	if (!on)
		event_active(x->ce->kick, 0, 0);
}

long
curl_event_status(struct curl_event_xfer *x)
{
	return x->status;
}

const char *
curl_event_header(struct curl_event_xfer *x, const char *name)
{
	size_t		 i, nlen = strlen(name);
	const char	*v;

	for (i = x->nrh; i-- > 0; ) {
		if (strncasecmp(x->rh[i], name, nlen) != 0 ||
		    x->rh[i][nlen] != ':')
			continue;
		v = x->rh[i] + nlen + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		return v;
	}
	return NULL;
}

struct evbuffer *
curl_event_body(struct curl_event_xfer *x)
{
	return x->body;
}

int
curl_event_overflowed(struct curl_event_xfer *x)
{
	return x->overflow;
}

int
curl_event_network_error(int result)
{
	switch (result) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	}
	return 0;
}

int
curl_event_timed_out(int result)
{
	return result == CURLE_OPERATION_TIMEDOUT;
}
