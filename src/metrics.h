/* SPDX-License-Identifier: ISC */
/*
 * metrics.h: the counters behind GET /metrics, and their rendering in the
 * Prometheus text format.  Counting is a plain integer increment: no
 * allocation, no lookup by name.  Gauges (sessions open, child up, ...) are
 * read from their owners when the page is rendered.
 */
#ifndef MCPBRIDGE_METRICS_H
#define MCPBRIDGE_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* JSON-RPC methods counted by name; anything else is "other". */
enum metrics_method {
	METRICS_INITIALIZE = 0,
	METRICS_PING,
	METRICS_TOOLS_LIST,
	METRICS_TOOLS_CALL,
	METRICS_RESOURCES_LIST,
	METRICS_RESOURCES_TEMPLATES_LIST,
	METRICS_RESOURCES_READ,
	METRICS_RESOURCES_SUBSCRIBE,
	METRICS_RESOURCES_UNSUBSCRIBE,
	METRICS_PROMPTS_LIST,
	METRICS_PROMPTS_GET,
	METRICS_COMPLETION_COMPLETE,
	METRICS_LOGGING_SETLEVEL,
	METRICS_TASKS,
	METRICS_SERVER_DISCOVER,
	METRICS_SUBSCRIPTIONS_LISTEN,
	METRICS_OTHER,
	METRICS_METHODS
};

enum metrics_transport {
	METRICS_SSE = 0,
	METRICS_STREAMABLE,
	METRICS_TRANSPORTS
};

/* Request latency histogram bounds, milliseconds (plus +Inf). */
#define METRICS_LATENCY_BOUNDS \
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000
#define METRICS_LATENCY_BUCKETS	14

#define METRICS_STATUS_MAX	600

struct metrics {
	uint64_t	sessions_created[METRICS_TRANSPORTS];
	uint64_t	sessions_expired;
	uint64_t	requests[METRICS_METHODS][2];	/* [method][is error] */
	uint64_t	latency[METRICS_LATENCY_BUCKETS + 1];
	uint64_t	latency_count;
	uint64_t	latency_sum_ms;
	/* the same per method: [method][bucket], +Inf last */
	uint64_t	method_latency[METRICS_METHODS][METRICS_LATENCY_BUCKETS + 1];
	uint64_t	method_latency_sum_ms[METRICS_METHODS];
	uint64_t	start_time_ms;		/* metrics_started */
	uint64_t	http_requests;
	uint64_t	http_status[METRICS_STATUS_MAX];
	uint64_t	connections;
	uint64_t	bytes_in;
	uint64_t	bytes_out;
	uint64_t	slow_clients_dropped;
	uint64_t	read_timeouts;
	uint64_t	rate_limited;
	uint64_t	auth_failures;
};

/* One named server's requests, answered and timed (metrics_requests_done);
 * kept by its owner (http.c, per endpoint), zeroed at start. */
struct metrics_requests {
	uint64_t	requests[METRICS_METHODS][2];	/* [method][is error] */
	uint64_t	latency[METRICS_LATENCY_BUCKETS + 1];
	uint64_t	latency_count;
	uint64_t	latency_sum_ms;
};

/* One of the named servers of serve --config, read at render time. */
struct metrics_server {
	const char	*name;		/* [A-Za-z0-9._-]: a label as is */
	size_t		 sessions;	/* open, both transports */
	size_t		 in_flight;
	int		 ready;
	size_t		 children_up;
	uint64_t	 child_starts;
	uint64_t	 child_restarts;
	/* Its requests (borrowed), or NULL */
	const struct metrics_requests *requests;
};

/* One of the shared children (--children), labelled by its number from
 * 1; read at render time. */
struct metrics_child {
	const char	*server;	/* serve --config: its server, or NULL */
	size_t		index;		/* with a server: its number there,
					   from 0 */
	int		up;
	int		ready;
	size_t		sessions;	/* legacy sessions pinned to it */
	size_t		in_flight;
	uint64_t	requests;
	uint64_t	restarts;
};

/* Read at render time. */
struct metrics_gauges {
	size_t		sessions[METRICS_TRANSPORTS];
	size_t		in_flight;
	size_t		connections;
	int		ready;
	int		draining;
	size_t		children_up;
	uint64_t	child_starts;
	uint64_t	child_restarts;
	uint64_t	child_messages_in;
	uint64_t	child_messages_out;
	/* log lines of a child that no one session could own */
	uint64_t	child_log_lines_dropped;
	/* the child's answers too big or not JSON, no request to fail */
	uint64_t	child_answers_unreadable;
	/* clients' progress on no request the child sent them */
	uint64_t	client_progress_dropped;
	/* its unattributed lines and requests not routed to the one busy
	 * session: another client's request may have caused them */
	uint64_t	child_guesses_withheld;
	/* the log's own lines dropped: its reader did not keep up (log.c) */
	uint64_t	log_lines_dropped;
	/* the shared children one by one, npool of them (borrowed; none
	 * with isolation=session) */
	const struct metrics_child *pool;
	size_t		npool;

	/* OpenTelemetry's exporter (serve_trace.c); otel 0: export is off
	 * and they are left off the page. */
	int		otel;
	uint64_t	otel_spans_exported;
	uint64_t	otel_spans_dropped;
	uint64_t	otel_spans_failed;
	uint64_t	otel_queue_spans;
	uint64_t	otel_spans_open;	/* started, not ended */
	/* its requests to a client refused: no certain route */
	uint64_t	child_requests_refused;
	/* tools/call waiting for their turn at a tool that asks its client;
	 * waits begun, time waited (ms) and calls refused for a full queue */
	size_t		calls_waiting;
	uint64_t	call_waits;
	uint64_t	call_wait_ms;
	uint64_t	calls_wait_refused;

	/* The process (metrics_process); a 0 is left off the page as
	 * unknown, except the CPU time. */
	uint64_t	cpu_ms;			/* user and system */
	uint64_t	rss_bytes;
	uint64_t	open_fds;
	uint64_t	max_fds;		/* RLIMIT_NOFILE, soft */
	uint64_t	start_time_ms;		/* Unix time */

	/* serve --config: each named server's own, as mcpbridge_server_*
	 * with a server label (the families above sum them).  NULL, 0:
	 * none.  Owned by whoever filled it. */
	struct metrics_server	*servers;
	size_t			 nservers;
	/* serve --config with several servers: the aggregated endpoint's
	 * own, as mcpbridge_aggregate_* (its requests, borrowed; NULL:
	 * none and the families are left off; its sessions at each server
	 * count in that server's sessions too) */
	const struct metrics_requests *aggregate;
	size_t			 aggregate_sessions;
	size_t			 aggregate_in_flight;
};

/* The one set of counters of the process. */
extern struct metrics metrics;

enum metrics_method metrics_method(const char *);
/* Its name, as a label ("tools/call", "other"). */
const char	*metrics_method_name(enum metrics_method);
/* A JSON-RPC request got its final answer (an error or not). */
void		 metrics_request_done(enum metrics_method, int error,
		    uint64_t latency_ms);
/* The same, for one named server's own count (not the process's: the
 * caller counts both). */
void		 metrics_requests_done(struct metrics_requests *,
		    enum metrics_method, int error, uint64_t latency_ms);
/* An HTTP response went out with this status. */
void		 metrics_http_status(int status);
/* The process started now (the first call counts). */
void		 metrics_started(void);
/* Fills the process_* fields of the gauges. */
void		 metrics_process(struct metrics_gauges *);
/* Appends the whole page. */
void		 metrics_render(struct evbuffer *, const struct metrics_gauges *);

#endif
