/* SPDX-License-Identifier: ISC */
/*
 * rsfetch.h: the one-shot HTTP requests the resource server makes to an
 * authorization server (metadata, JWK Set, introspection), behind an ops
 * struct: rsfetch_curl_ops runs them on curl_event, a Check test passes
 * its own and answers when it likes.
 *
 * A request answers once, through its callback, never from inside start;
 * the handle is gone when the callback returns.  cancel stops it with no
 * callback.  The whole body is buffered up to max_len: longer, and the
 * answer is a failure.
 */
#ifndef MCPBRIDGE_RSFETCH_H
#define MCPBRIDGE_RSFETCH_H

#include <stddef.h>

/* A whole request, connect to last byte. */
#define RSFETCH_TIMEOUT_MS	10000

struct rsfetch_request {
	const char	*method;	/* "GET" or "POST" */
	const char	*url;
	const char	*authorization;	/* a header value or NULL: secret,
					   never logged */
	const char	*content_type;	/* of the POST body, or NULL */
	const char	*body;		/* POST only; copied by start */
	size_t		 len;
	size_t		 max_len;	/* of the answer's body */
};

struct rsfetch_response {
	int		 failed;	/* no usable answer: network, timeout,
					   body over max_len */
	const char	*error;		/* why, when failed: fit for a log */
	long		 status;	/* HTTP status, when not failed */
	const char	*cache_control;	/* that header's value, or NULL */
	const char	*body;		/* NUL-terminated, len bytes */
	size_t		 len;
};

struct rsfetch;
typedef void (*rsfetch_cb)(const struct rsfetch_response *, void *arg);

struct rsfetch_ops {
	/* NULL if the request could not start (logged). */
	struct rsfetch	*(*start)(void *ctx, const struct rsfetch_request *,
			    rsfetch_cb, void *arg);
	void		 (*cancel)(struct rsfetch *);
};

/* ctx is a struct curl_event *. */
extern const struct rsfetch_ops rsfetch_curl_ops;

#endif
