/*
 * client_int.h: what the files of client mode share, and the seam a test
 * drives the client through: the HTTP operations (curl_event by default)
 * and the descriptors of the local client.
 */
#ifndef MCPBRIDGE_CLIENT_INT_H
#define MCPBRIDGE_CLIENT_INT_H

#include "client.h"
#include "curl_event.h"

struct event_base;

/*
 * The HTTP operations client mode uses, with curl_event.h's meaning (read
 * it for the rules: callbacks never run inside start, a transfer is freed
 * when its done callback returns, cancel stops every callback).  arg is
 * client_io's http_arg.  tests/clienttest.c plays the server through them.
 */
struct client_http_ops {
	struct curl_event_xfer *(*start)(void *arg,
		    const struct curl_event_request *);
	void		 (*cancel)(struct curl_event_xfer *);
	void		 (*pause)(struct curl_event_xfer *, int);
	/* What a transfer reports. */
	long		 (*status)(struct curl_event_xfer *);
	const char	*(*header)(struct curl_event_xfer *, const char *);
	struct evbuffer	*(*body)(struct curl_event_xfer *);
	int		 (*overflowed)(struct curl_event_xfer *);
	/* What a done callback's result means. */
	int		 (*network_error)(int);
	int		 (*timed_out)(int);
};

/* What client mode runs on; client_run is client_run_io with NULL. */
struct client_io {
	int				 in_fd;		/* the local client */
	int				 out_fd;
	struct event_base		*base;		/* borrowed */
	const struct client_http_ops	*http;		/* no sign-in then */
	void				*http_arg;
};

int	client_run_io(const struct client_config *, const struct client_io *);

#endif
