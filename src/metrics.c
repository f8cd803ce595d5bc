/* SPDX-License-Identifier: ISC */
/*
 * metrics.c: counters and their Prometheus text rendering.  See metrics.h.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/time.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "metrics.h"
#include "metrics_mcp.h"

struct metrics metrics;

static const char *const metrics_method_names[METRICS_METHODS] = {
	[METRICS_INITIALIZE] = "initialize",
	[METRICS_PING] = "ping",
	[METRICS_TOOLS_LIST] = "tools/list",
	[METRICS_TOOLS_CALL] = "tools/call",
	[METRICS_RESOURCES_LIST] = "resources/list",
	[METRICS_RESOURCES_TEMPLATES_LIST] = "resources/templates/list",
	[METRICS_RESOURCES_READ] = "resources/read",
	[METRICS_RESOURCES_SUBSCRIBE] = "resources/subscribe",
	[METRICS_RESOURCES_UNSUBSCRIBE] = "resources/unsubscribe",
	[METRICS_PROMPTS_LIST] = "prompts/list",
	[METRICS_PROMPTS_GET] = "prompts/get",
	[METRICS_COMPLETION_COMPLETE] = "completion/complete",
	[METRICS_LOGGING_SETLEVEL] = "logging/setLevel",
	[METRICS_TASKS] = "tasks",
	[METRICS_SERVER_DISCOVER] = "server/discover",
	[METRICS_SUBSCRIPTIONS_LISTEN] = "subscriptions/listen",
	[METRICS_OTHER] = "other",
};

static const uint64_t metrics_bounds[METRICS_LATENCY_BUCKETS] = {
	METRICS_LATENCY_BOUNDS
};

static const char *const metrics_transport_names[METRICS_TRANSPORTS] = {
	[METRICS_SSE] = "sse",
	[METRICS_STREAMABLE] = "streamable",
};

enum metrics_method
metrics_method(const char *method)
{
	int	i;

	if (method == NULL)
		return METRICS_OTHER;
	if (strncmp(method, "tasks/", 6) == 0)
		return METRICS_TASKS;
	for (i = 0; i < METRICS_OTHER; i++) {
		if (strcmp(method, metrics_method_names[i]) == 0)
			return (enum metrics_method)i;
	}
	return METRICS_OTHER;
}

const char *
metrics_method_name(enum metrics_method m)
{
	return metrics_method_names[m < METRICS_METHODS ? m : METRICS_OTHER];
}

void
metrics_request_done(enum metrics_method m, int error, uint64_t latency_ms)
{
	int	i;

	if (m >= METRICS_METHODS)
		m = METRICS_OTHER;
	metrics.requests[m][error != 0]++;
	for (i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		if (latency_ms <= metrics_bounds[i])
			break;
	}
	metrics.latency[i]++;
	metrics.latency_count++;
	metrics.latency_sum_ms += latency_ms;
	metrics.method_latency[m][i]++;
	metrics.method_latency_sum_ms[m] += latency_ms;
}

void
metrics_requests_done(struct metrics_requests *r, enum metrics_method m,
    int error, uint64_t latency_ms)
{
	int	i;

	if (m >= METRICS_METHODS)
		m = METRICS_OTHER;
	r->requests[m][error != 0]++;
	for (i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		if (latency_ms <= metrics_bounds[i])
			break;
	}
	r->latency[i]++;
	r->latency_count++;
	r->latency_sum_ms += latency_ms;
}

void
metrics_started(void)
{
	struct timeval	tv;

	if (metrics.start_time_ms != 0)
		return;
	gettimeofday(&tv, NULL);
	metrics.start_time_ms = (uint64_t)tv.tv_sec * 1000 +
	    (uint64_t)tv.tv_usec / 1000;
}

/* getrusage's ru_maxrss unit: kilobytes on Linux and the BSDs, bytes on
 * macOS (its getrusage(2)). */
#ifdef __APPLE__
#define METRICS_MAXRSS_UNIT	1
#else
#define METRICS_MAXRSS_UNIT	1024
#endif

/*
 * The resident set size, bytes: the one reading of /proc.  Without it
 * (not Linux), getrusage's peak: an upper bound, better than nothing for
 * a gauge.
 */
static uint64_t
metrics_rss(const struct rusage *ru)
{
	FILE			*f;
	unsigned long long	 size, resident;
	long			 page;
	int			 n;

	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		n = fscanf(f, "%llu %llu", &size, &resident);
		fclose(f);
		if (n == 2 && (page = sysconf(_SC_PAGESIZE)) > 0)
			return (uint64_t)resident * (uint64_t)page;
	}
	return ru->ru_maxrss > 0 ?
	    (uint64_t)ru->ru_maxrss * METRICS_MAXRSS_UNIT : 0;
}

/* Descriptors open: the entries of /dev/fd (Linux, the BSDs, macOS), less
 * the one the listing itself holds.  0 (left off the page) without it. */
static uint64_t
metrics_open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	uint64_t	 n = 0;

	if ((d = opendir("/dev/fd")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

void
metrics_process(struct metrics_gauges *g)
{
	struct rusage	ru;
	struct rlimit	rl;

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		g->cpu_ms = (uint64_t)ru.ru_utime.tv_sec * 1000 +
		    (uint64_t)ru.ru_utime.tv_usec / 1000 +
		    (uint64_t)ru.ru_stime.tv_sec * 1000 +
		    (uint64_t)ru.ru_stime.tv_usec / 1000;
		g->rss_bytes = metrics_rss(&ru);
	}
	g->open_fds = metrics_open_fds();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		g->max_fds = (uint64_t)rl.rlim_cur;
	g->start_time_ms = metrics.start_time_ms;
}

void
metrics_http_status(int status)
{
	if (status >= 100 && status < METRICS_STATUS_MAX)
		metrics.http_status[status]++;
}

static void
metrics_head(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

static void
metrics_one(struct evbuffer *out, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_head(out, name, type, help);
	evbuffer_add_printf(out, "%s %" PRIu64 "\n", name, v);
}

/* Milliseconds as seconds, exactly: "1.250". */
static void
metrics_seconds(struct evbuffer *out, const char *name, const char *type,
    const char *help, uint64_t ms)
{
	metrics_head(out, name, type, help);
	evbuffer_add_printf(out, "%s %" PRIu64 ".%03" PRIu64 "\n", name,
	    ms / 1000, ms % 1000);
}

/* The build, and the process_* metrics every Prometheus client library
 * exports, under their usual names. */
static void
metrics_render_process(struct evbuffer *out, const struct metrics_gauges *g)
{
	metrics_head(out, "mcpbridge_build_info", "gauge",
	    "Always 1; the version is a label.");
	evbuffer_add_printf(out, "mcpbridge_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	metrics_seconds(out, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.", g->cpu_ms);
	if (g->rss_bytes != 0)
		metrics_one(out, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.", g->rss_bytes);
	if (g->open_fds != 0)
		metrics_one(out, "process_open_fds", "gauge",
		    "Number of open file descriptors.", g->open_fds);
	if (g->max_fds != 0)
		metrics_one(out, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.", g->max_fds);
	if (g->start_time_ms != 0)
		metrics_seconds(out, "process_start_time_seconds", "gauge",
		    "Start time of the process since unix epoch in seconds.",
		    g->start_time_ms);
}

/* One histogram per method that has been answered: a bounded set of
 * labels (the spec's method names and "other"). */
static void
metrics_render_methods(struct evbuffer *out)
{
	uint64_t	cum;
	int		i, b;

	metrics_head(out, "mcpbridge_method_duration_seconds", "histogram",
	    "Time from a request's arrival to its answer, by JSON-RPC method.");
	for (i = 0; i < METRICS_METHODS; i++) {
		if (metrics.requests[i][0] + metrics.requests[i][1] == 0)
			continue;
		cum = 0;
		for (b = 0; b < METRICS_LATENCY_BUCKETS; b++) {
			cum += metrics.method_latency[i][b];
			evbuffer_add_printf(out, "mcpbridge_method_duration_"
			    "seconds_bucket{method=\"%s\",le=\"%" PRIu64
			    ".%03" PRIu64 "\"} %" PRIu64 "\n",
			    metrics_method_names[i], metrics_bounds[b] / 1000,
			    metrics_bounds[b] % 1000, cum);
		}
		cum += metrics.method_latency[i][METRICS_LATENCY_BUCKETS];
		evbuffer_add_printf(out, "mcpbridge_method_duration_seconds_"
		    "bucket{method=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
		    metrics_method_names[i], cum);
		evbuffer_add_printf(out, "mcpbridge_method_duration_seconds_"
		    "sum{method=\"%s\"} %" PRIu64 ".%03" PRIu64 "\n",
		    metrics_method_names[i],
		    metrics.method_latency_sum_ms[i] / 1000,
		    metrics.method_latency_sum_ms[i] % 1000);
		evbuffer_add_printf(out, "mcpbridge_method_duration_seconds_"
		    "count{method=\"%s\"} %" PRIu64 "\n",
		    metrics_method_names[i], cum);
	}
}

/* serve --config: each named server on its own, a family a gauge. */
static void
metrics_render_servers(struct evbuffer *out, const struct metrics_gauges *g)
{
	static const struct {
		const char	*name;
		const char	*type;
		const char	*help;
	} fam[] = {
		{ "mcpbridge_server_ready", "gauge",
		  "1 when the server's child is ready." },
		{ "mcpbridge_server_sessions", "gauge",
		  "Sessions open on the server's routes, and aggregated "
		  "endpoint sessions open at it." },
		{ "mcpbridge_server_requests_in_flight", "gauge",
		  "JSON-RPC requests waiting for the server's child." },
		{ "mcpbridge_server_child_up", "gauge",
		  "The server's children (or upstream connections) up." },
		{ "mcpbridge_server_child_starts_total", "counter",
		  "The server's shared child starts, restarts included." },
		{ "mcpbridge_server_child_restarts_total", "counter",
		  "The server's shared child restarts." },
	};
	const struct metrics_server	*sv;
	uint64_t			 v;
	size_t				 f, i;

	for (f = 0; g->nservers > 0 && f < sizeof fam / sizeof fam[0]; f++) {
		metrics_head(out, fam[f].name, fam[f].type, fam[f].help);
		for (i = 0; i < g->nservers; i++) {
			sv = &g->servers[i];
			v = f == 0 ? (uint64_t)(sv->ready != 0) :
			    f == 1 ? sv->sessions : f == 2 ? sv->in_flight :
			    f == 3 ? sv->children_up : f == 4 ?
			    sv->child_starts : sv->child_restarts;
			evbuffer_add_printf(out, "%s{server=\"%s\"} %" PRIu64
			    "\n", fam[f].name, sv->name, v);
		}
	}
}

/* serve --config: each named server's requests by method and outcome, and
 * its latency histogram, labelled server="NAME" (the unlabelled families
 * are the process's: every server's and /mcp's). */
static void
metrics_render_server_requests(struct evbuffer *out,
    const struct metrics_gauges *g)
{
	static const struct metrics_requests	 none;
	const struct metrics_requests		*r;
	uint64_t				 cum;
	size_t					 i;
	int					 m, e, b;

	if (g->nservers == 0)
		return;
	metrics_head(out, "mcpbridge_server_requests_total", "counter",
	    "The server's JSON-RPC requests answered, by method and outcome.");
	for (i = 0; i < g->nservers; i++) {
		if ((r = g->servers[i].requests) == NULL)
			continue;
		for (m = 0; m < METRICS_METHODS; m++)
			for (e = 0; e < 2; e++)
				if (r->requests[m][e] != 0)
					evbuffer_add_printf(out, "mcpbridge_"
					    "server_requests_total{server=\"%s\","
					    "method=\"%s\",outcome=\"%s\"} %"
					    PRIu64 "\n", g->servers[i].name,
					    metrics_method_names[m], e ?
					    "error" : "ok", r->requests[m][e]);
	}
	metrics_head(out, "mcpbridge_server_request_duration_seconds",
	    "histogram", "Time from a request's arrival to its answer, by "
	    "server.");
	for (i = 0; i < g->nservers; i++) {
		if ((r = g->servers[i].requests) == NULL)
			r = &none;
		cum = 0;
		for (b = 0; b < METRICS_LATENCY_BUCKETS; b++) {
			cum += r->latency[b];
			evbuffer_add_printf(out, "mcpbridge_server_request_"
			    "duration_seconds_bucket{server=\"%s\",le=\"%"
			    PRIu64 ".%03" PRIu64 "\"} %" PRIu64 "\n",
			    g->servers[i].name, metrics_bounds[b] / 1000,
			    metrics_bounds[b] % 1000, cum);
		}
		cum += r->latency[METRICS_LATENCY_BUCKETS];
		evbuffer_add_printf(out, "mcpbridge_server_request_duration_"
		    "seconds_bucket{server=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
		    g->servers[i].name, cum);
		evbuffer_add_printf(out, "mcpbridge_server_request_duration_"
		    "seconds_sum{server=\"%s\"} %" PRIu64 ".%03" PRIu64 "\n",
		    g->servers[i].name, r->latency_sum_ms / 1000,
		    r->latency_sum_ms % 1000);
		evbuffer_add_printf(out, "mcpbridge_server_request_duration_"
		    "seconds_count{server=\"%s\"} %" PRIu64 "\n",
		    g->servers[i].name, r->latency_count);
	}
}

/* serve --config with several servers: the aggregated endpoint's own
 * sessions and requests (those it sends on to the servers count there). */
static void
metrics_render_aggregate(struct evbuffer *out, const struct metrics_gauges *g)
{
	const struct metrics_requests	*r = g->aggregate;
	uint64_t			 cum = 0;
	int				 m, e, b;

	if (r == NULL)
		return;
	metrics_one(out, "mcpbridge_aggregate_sessions", "gauge",
	    "Sessions open on the aggregated endpoint.",
	    g->aggregate_sessions);
	metrics_one(out, "mcpbridge_aggregate_requests_in_flight", "gauge",
	    "JSON-RPC requests on the aggregated endpoint not answered yet.",
	    g->aggregate_in_flight);
	metrics_head(out, "mcpbridge_aggregate_requests_total", "counter",
	    "The aggregated endpoint's JSON-RPC requests answered, by method "
	    "and outcome.");
	for (m = 0; m < METRICS_METHODS; m++)
		for (e = 0; e < 2; e++)
			if (r->requests[m][e] != 0)
				evbuffer_add_printf(out, "mcpbridge_aggregate_"
				    "requests_total{method=\"%s\",outcome="
				    "\"%s\"} %" PRIu64 "\n",
				    metrics_method_names[m], e ? "error" : "ok",
				    r->requests[m][e]);
	metrics_head(out, "mcpbridge_aggregate_request_duration_seconds",
	    "histogram", "Time from a request's arrival on the aggregated "
	    "endpoint to its answer.");
	for (b = 0; b < METRICS_LATENCY_BUCKETS; b++) {
		cum += r->latency[b];
		evbuffer_add_printf(out, "mcpbridge_aggregate_request_duration_"
		    "seconds_bucket{le=\"%" PRIu64 ".%03" PRIu64 "\"} %" PRIu64
		    "\n", metrics_bounds[b] / 1000, metrics_bounds[b] % 1000,
		    cum);
	}
	cum += r->latency[METRICS_LATENCY_BUCKETS];
	evbuffer_add_printf(out, "mcpbridge_aggregate_request_duration_seconds_"
	    "bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	evbuffer_add_printf(out, "mcpbridge_aggregate_request_duration_seconds_"
	    "sum %" PRIu64 ".%03" PRIu64 "\n", r->latency_sum_ms / 1000,
	    r->latency_sum_ms % 1000);
	evbuffer_add_printf(out, "mcpbridge_aggregate_request_duration_seconds_"
	    "count %" PRIu64 "\n", r->latency_count);
}

/* The shared children one by one (--children), labelled child="N" (and
 * server="NAME" with several servers). */
static void
metrics_render_pool(struct evbuffer *out, const struct metrics_gauges *g)
{
	static const struct {
		const char	*name, *type, *help;
	} series[] = {
		{ "mcpbridge_pool_child_up", "gauge",
		    "1 while this shared child runs." },
		{ "mcpbridge_pool_child_ready", "gauge",
		    "1 when this shared child completed its handshake." },
		{ "mcpbridge_pool_child_sessions", "gauge",
		    "Legacy sessions pinned to this shared child." },
		{ "mcpbridge_pool_child_requests_in_flight", "gauge",
		    "Client requests waiting for this shared child." },
		{ "mcpbridge_pool_child_requests_total", "counter",
		    "Client requests forwarded to this shared child." },
		{ "mcpbridge_pool_child_restarts_total", "counter",
		    "Restarts of this shared child." },
	};
	const struct metrics_child	*c;
	uint64_t			 v;
	size_t				 k, i;

	if (g->npool == 0)
		return;
	for (k = 0; k < sizeof series / sizeof series[0]; k++) {
		metrics_head(out, series[k].name, series[k].type,
		    series[k].help);
		for (i = 0; i < g->npool; i++) {
			c = &g->pool[i];
			switch (k) {
			case 0:
				v = (uint64_t)c->up;
				break;
			case 1:
				v = (uint64_t)c->ready;
				break;
			case 2:
				v = c->sessions;
				break;
			case 3:
				v = c->in_flight;
				break;
			case 4:
				v = c->requests;
				break;
			default:
				v = c->restarts;
				break;
			}
			/* Several servers: each numbers its own from 1. */
			if (c->server != NULL)
				evbuffer_add_printf(out, "%s{server=\"%s\","
				    "child=\"%zu\"} %" PRIu64 "\n",
				    series[k].name, c->server, c->index + 1, v);
			else
				evbuffer_add_printf(out, "%s{child=\"%zu\"} %"
				    PRIu64 "\n", series[k].name, i + 1, v);
		}
	}
}

void
metrics_render(struct evbuffer *out, const struct metrics_gauges *g)
{
	uint64_t	cum = 0;
	int		i, e;

	metrics_render_process(out, g);
	metrics_head(out, "mcpbridge_sessions", "gauge",
	    "Sessions open, by transport.");
	for (i = 0; i < METRICS_TRANSPORTS; i++)
		evbuffer_add_printf(out, "mcpbridge_sessions{transport=\"%s\"} "
		    "%zu\n", metrics_transport_names[i], g->sessions[i]);
	metrics_head(out, "mcpbridge_sessions_created_total", "counter",
	    "Sessions created, by transport.");
	for (i = 0; i < METRICS_TRANSPORTS; i++)
		evbuffer_add_printf(out, "mcpbridge_sessions_created_total"
		    "{transport=\"%s\"} %" PRIu64 "\n",
		    metrics_transport_names[i], metrics.sessions_created[i]);
	metrics_one(out, "mcpbridge_sessions_expired_total", "counter",
	    "Sessions ended for being idle (--session-timeout).",
	    metrics.sessions_expired);

	metrics_head(out, "mcpbridge_requests_total", "counter",
	    "JSON-RPC requests answered, by method and outcome.");
	for (i = 0; i < METRICS_METHODS; i++) {
		for (e = 0; e < 2; e++) {
			if (metrics.requests[i][e] == 0)
				continue;
			evbuffer_add_printf(out, "mcpbridge_requests_total"
			    "{method=\"%s\",outcome=\"%s\"} %" PRIu64 "\n",
			    metrics_method_names[i], e ? "error" : "ok",
			    metrics.requests[i][e]);
		}
	}
	metrics_one(out, "mcpbridge_requests_in_flight", "gauge",
	    "JSON-RPC requests waiting for the child.", g->in_flight);
	metrics_head(out, "mcpbridge_request_duration_seconds", "histogram",
	    "Time from a request's arrival to its answer.");
	for (i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		cum += metrics.latency[i];
		evbuffer_add_printf(out, "mcpbridge_request_duration_seconds_"
		    "bucket{le=\"%" PRIu64 ".%03" PRIu64 "\"} %" PRIu64 "\n",
		    metrics_bounds[i] / 1000, metrics_bounds[i] % 1000, cum);
	}
	cum += metrics.latency[METRICS_LATENCY_BUCKETS];
	evbuffer_add_printf(out, "mcpbridge_request_duration_seconds_bucket"
	    "{le=\"+Inf\"} %" PRIu64 "\n", cum);
	evbuffer_add_printf(out, "mcpbridge_request_duration_seconds_sum "
	    "%" PRIu64 ".%03" PRIu64 "\n", metrics.latency_sum_ms / 1000,
	    metrics.latency_sum_ms % 1000);
	evbuffer_add_printf(out, "mcpbridge_request_duration_seconds_count "
	    "%" PRIu64 "\n", metrics.latency_count);
	metrics_render_methods(out);

	metrics_one(out, "mcpbridge_http_requests_total", "counter",
	    "HTTP requests received.", metrics.http_requests);
	metrics_head(out, "mcpbridge_http_rejections_total", "counter",
	    "HTTP requests refused, by status code.");
	for (i = 400; i < METRICS_STATUS_MAX; i++) {
		if (metrics.http_status[i] != 0)
			evbuffer_add_printf(out, "mcpbridge_http_rejections_total"
			    "{code=\"%d\"} %" PRIu64 "\n", i,
			    metrics.http_status[i]);
	}
	metrics_one(out, "mcpbridge_http_connections", "gauge",
	    "HTTP connections open.", g->connections);
	metrics_one(out, "mcpbridge_http_connections_total", "counter",
	    "HTTP connections accepted.", metrics.connections);
	metrics_one(out, "mcpbridge_http_received_bytes_total", "counter",
	    "Bytes received from HTTP clients.", metrics.bytes_in);
	metrics_one(out, "mcpbridge_http_sent_bytes_total", "counter",
	    "Bytes sent to HTTP clients.", metrics.bytes_out);
	metrics_one(out, "mcpbridge_slow_clients_dropped_total", "counter",
	    "Clients disconnected for falling behind (--max-queue).",
	    metrics.slow_clients_dropped);
	metrics_one(out, "mcpbridge_read_timeouts_total", "counter",
	    "Requests not received in time (--read-timeout).",
	    metrics.read_timeouts);
	metrics_one(out, "mcpbridge_rate_limited_total", "counter",
	    "Requests refused by --rate-limit.", metrics.rate_limited);
	metrics_one(out, "mcpbridge_auth_failures_total", "counter",
	    "Requests without a valid token.", metrics.auth_failures);

	metrics_one(out, "mcpbridge_ready", "gauge",
	    "1 when the child is ready and the bridge is not draining.",
	    (uint64_t)(g->ready && !g->draining));
	metrics_one(out, "mcpbridge_draining", "gauge",
	    "1 while shutting down.", (uint64_t)g->draining);
	metrics_one(out, "mcpbridge_child_up", "gauge",
	    "Children (or upstream connections) up.", g->children_up);
	metrics_one(out, "mcpbridge_child_starts_total", "counter",
	    "Shared child starts, restarts included.", g->child_starts);
	metrics_one(out, "mcpbridge_child_restarts_total", "counter",
	    "Shared child restarts.", g->child_restarts);
	metrics_one(out, "mcpbridge_child_messages_received_total", "counter",
	    "Messages read from the shared child.", g->child_messages_in);
	metrics_one(out, "mcpbridge_child_messages_sent_total", "counter",
	    "Messages written to the shared child.", g->child_messages_out);
	metrics_one(out, "mcpbridge_child_log_lines_dropped_total", "counter",
	    "Log lines (notifications/message) from a child dropped: no one "
	    "session could be shown to have caused them.",
	    g->child_log_lines_dropped);
	metrics_one(out, "mcpbridge_child_answers_unreadable_total", "counter",
	    "Answers from a child over --max-message-size or not JSON whose "
	    "request could not be found.", g->child_answers_unreadable);
	metrics_one(out, "mcpbridge_client_progress_dropped_total", "counter",
	    "Progress notifications from clients on no request the child sent "
	    "them.", g->client_progress_dropped);
	metrics_one(out, "mcpbridge_child_guesses_withheld_total", "counter",
	    "Log lines and requests from a child the bridge did not route to "
	    "the one busy session: another client's request may have caused "
	    "them.", g->child_guesses_withheld);
	metrics_one(out, "mcpbridge_log_lines_dropped_total", "counter",
	    "Log lines dropped whole: the log's reader (a pipe, FIFO or "
	    "socket) did not keep up.", g->log_lines_dropped);
	metrics_render_servers(out, g);
	metrics_render_server_requests(out, g);
	metrics_render_aggregate(out, g);
	metrics_render_pool(out, g);
	metrics_mcp_render(out);
	if (g->otel) {
		metrics_one(out, "mcpbridge_otel_spans_exported_total",
		    "counter", "Spans the collector accepted.",
		    g->otel_spans_exported);
		metrics_one(out, "mcpbridge_otel_spans_dropped_total",
		    "counter", "Spans dropped unsent: the queue was full, or "
		    "the bridge stopped.", g->otel_spans_dropped);
		metrics_one(out, "mcpbridge_otel_spans_failed_total",
		    "counter", "Spans in exports that failed or the collector "
		    "rejected.", g->otel_spans_failed);
		metrics_one(out, "mcpbridge_otel_queue_spans", "gauge",
		    "Spans waiting to be exported.", g->otel_queue_spans);
		metrics_one(out, "mcpbridge_otel_spans_open", "gauge",
		    "Spans started and not yet ended (requests in flight).",
		    g->otel_spans_open);
	}
	metrics_one(out, "mcpbridge_child_requests_refused_total", "counter",
	    "Requests from a child (sampling, elicitation, roots) answered "
	    "with an error: no client session was certainly their cause.",
	    g->child_requests_refused);
	metrics_one(out, "mcpbridge_calls_waiting", "gauge",
	    "Requests waiting for their turn: another session's call of a "
	    "tool that asks its client holds the child, or waits for it.",
	    g->calls_waiting);
	metrics_one(out, "mcpbridge_call_waits_total", "counter",
	    "Requests that waited for their turn.", g->call_waits);
	metrics_seconds(out, "mcpbridge_call_wait_seconds_total", "counter",
	    "Time requests waited for their turn.", g->call_wait_ms);
	metrics_one(out, "mcpbridge_calls_wait_refused_total", "counter",
	    "Requests refused: too many already waited for their turn.",
	    g->calls_wait_refused);
}
