/* SPDX-License-Identifier: ISC */
/*
 * curl_event.h: libcurl's multi interface driven by a libevent loop.
 *
 * One curl_event owns a multi handle; each HTTP request is a transfer with
 * three callbacks: headers (status and headers known), data (body bytes
 * arrived; streaming bodies such as SSE are handed over as they come) and
 * done (the transfer is over, successfully or not; the transfer is freed
 * when done returns).
 *
 * Callbacks never run inside a libcurl callback: libcurl's own write and
 * header callbacks only buffer, and the owner's callbacks run after
 * curl_multi_socket_action returns.  So a callback may start and cancel
 * transfers freely, including its own.  It must not free the curl_event.
 */
#ifndef MCPBRIDGE_CURL_EVENT_H
#define MCPBRIDGE_CURL_EVENT_H

#include <stddef.h>

struct curl_slist;
struct event_base;
struct evbuffer;

struct curl_event;
struct curl_event_xfer;

/* Settings shared by every transfer. */
struct curl_event_config {
	long		 connect_timeout_ms;	/* 0: libcurl's default */
	const char	*cacert;		/* CA bundle file or NULL */
	int		 insecure;		/* do not verify the peer */
};

typedef void (*curl_event_headers_cb)(struct curl_event_xfer *, void *arg);
/* New bytes are at the end of body; drain what you consume.  What stays
 * counts against max_buffered. */
typedef void (*curl_event_data_cb)(struct curl_event_xfer *,
		    struct evbuffer *body, void *arg);
/* result is a CURLcode (CURLE_OK, or why it failed); error is readable. */
typedef void (*curl_event_done_cb)(struct curl_event_xfer *, int result,
		    const char *error, void *arg);

struct curl_event_request {
	const char		*method;	/* "GET", "POST", "DELETE" */
	const char		*url;
	struct curl_slist	*headers;	/* taken over, always */
	const char		*body;		/* copied; POST only */
	size_t			 len;
	long			 timeout_ms;	/* whole transfer; 0: none */
	size_t			 max_buffered;	/* undrained body; 0: no cap */
	curl_event_headers_cb	 on_headers;
	curl_event_data_cb	 on_data;
	curl_event_done_cb	 on_done;
	void			*arg;
};

struct curl_event *curl_event_new(struct event_base *,
		    const struct curl_event_config *);
/* Cancels every transfer (no callbacks) and cleans the multi handle up;
 * call it before event_base_free. */
void		 curl_event_free(struct curl_event *);

/* Starts a transfer; NULL if libcurl refused (logged). */
struct curl_event_xfer *curl_event_start(struct curl_event *,
		    const struct curl_event_request *);
/* Stops a transfer; none of its callbacks run afterwards.  NULL is fine. */
void		 curl_event_cancel(struct curl_event_xfer *);
/* Pauses or resumes receiving (backpressure). */
void		 curl_event_pause(struct curl_event_xfer *, int);

/* The HTTP status (0 if none yet) and a response header's value (the last
 * one of that name, case-insensitively, or NULL). */
long		 curl_event_status(struct curl_event_xfer *);
const char	*curl_event_header(struct curl_event_xfer *, const char *);
/* The body bytes received and not drained yet. */
struct evbuffer	*curl_event_body(struct curl_event_xfer *);
/* 1 if the body went over max_buffered (the transfer then fails). */
int		 curl_event_overflowed(struct curl_event_xfer *);

/* 1 if a transfer that ended with this CURLcode failed for a network
 * reason (refused, reset, timed out, ...) worth retrying. */
int		 curl_event_network_error(int result);
/* 1 if the CURLcode is a timeout. */
int		 curl_event_timed_out(int result);

#endif
