/* SPDX-License-Identifier: ISC */
/*
 * otel.h: OpenTelemetry traces without the SDK: a span model, the
 * OTLP/HTTP JSON encoding of a batch of spans (ExportTraceServiceRequest),
 * the resource, the sampler, and the exporter's settings read from the
 * standard OTEL_* environment variables.  No I/O: the variables come
 * through a getter, the text goes to the caller (otel_export.h sends it).
 *
 * Every span is bounded: OTEL_MAX_ATTRS attributes, OTEL_MAX_EVENTS
 * events of OTEL_MAX_EVENT_ATTRS attributes, strings cut at
 * OTEL_MAX_VALUE_LEN bytes (on a UTF-8 boundary); what does not fit is
 * dropped and counted in the span, as OTLP's dropped*Count fields say.
 */
#ifndef MCPBRIDGE_OTEL_H
#define MCPBRIDGE_OTEL_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "tracectx.h"

/* Limits of one span (OTel's defaults are 128; ours are what the MCP
 * conventions need, with room). */
#define OTEL_MAX_ATTRS		32
#define OTEL_MAX_EVENTS		16
#define OTEL_MAX_EVENT_ATTRS	8
#define OTEL_MAX_VALUE_LEN	1024
#define OTEL_MAX_NAME_LEN	256
/* Resource attributes and exporter headers read from the environment. */
#define OTEL_MAX_RESOURCE_ATTRS	32
#define OTEL_MAX_HEADERS	32
#define OTEL_MAX_ENV_LEN	8192

/* service.name when OTEL_SERVICE_NAME does not say. */
#define OTEL_SERVICE_DEFAULT	"mcpbridge"
/* The instrumentation scope of every span. */
#define OTEL_SCOPE_NAME		"mcpbridge"
/* Under OTEL_EXPORTER_OTLP_ENDPOINT, and its default. */
#define OTEL_TRACES_PATH	"v1/traces"
#define OTEL_ENDPOINT_DEFAULT	"http://localhost:4318"
/* OTEL_EXPORTER_OTLP_TIMEOUT: the default and the most we take. */
#define OTEL_TIMEOUT_DEFAULT_MS	10000
#define OTEL_TIMEOUT_MAX_MS	60000

/* OTLP's SpanKind and StatusCode numbers (JSON carries enums as ints). */
enum otel_kind {
	OTEL_KIND_INTERNAL = 1,
	OTEL_KIND_SERVER = 2,
	OTEL_KIND_CLIENT = 3,
};

enum otel_status {
	OTEL_STATUS_UNSET = 0,
	OTEL_STATUS_OK = 1,
	OTEL_STATUS_ERROR = 2,
};

enum otel_type {
	OTEL_STRING,
	OTEL_INT,
	OTEL_BOOL,
	OTEL_DOUBLE,
};

struct otel_attr {
	char		*key;
	enum otel_type	 type;
	union {
		char	*s;
		int64_t	 i;
		int	 b;
		double	 d;
	}		 v;
};

/* A bounded list of attributes, owned by what holds it. */
struct otel_attrs {
	struct otel_attr *v;
	size_t		  n;
	size_t		  max;
	uint32_t	  dropped;
};

struct otel_event {
	char		 *name;
	uint64_t	  time_ns;
	struct otel_attrs attrs;
};

struct otel_span {
	TAILQ_ENTRY(otel_span) entry;	/* the exporter's queue */
	char		*name;
	enum otel_kind	 kind;
	struct tracectx	 ctx;		/* its own: trace, span id, flags,
					   tracestate */
	uint8_t		 parent_id[TRACECTX_SPAN_ID_LEN]; /* zero: a root */
	int		 parent_remote;	/* the parent came from a peer */
	uint64_t	 start_ns;
	uint64_t	 end_ns;
	enum otel_status status;
	char		*status_msg;
	struct otel_attrs attrs;
	struct otel_event *events;
	size_t		 nevents;
	uint32_t	 dropped_events;
};
TAILQ_HEAD(otel_spans, otel_span);

/* ---- spans ---- */

/* Wall-clock time, nanoseconds since the epoch (what OTLP carries). */
uint64_t	 otel_now_ns(void);

/* A span with ctx as its own context, under parent (NULL: a root; else
 * its span id is the parent's id, remote if it came from a peer). */
struct otel_span *otel_span_new(const char *name, enum otel_kind,
		    const struct tracectx *ctx, const struct tracectx *parent,
		    int parent_remote, uint64_t start_ns);
void		 otel_span_free(struct otel_span *);
/* A new name, cut at OTEL_MAX_NAME_LEN as otel_span_new's. */
void		 otel_span_rename(struct otel_span *, const char *name);
void		 otel_span_end(struct otel_span *, uint64_t end_ns);
/* msg may be NULL; OTLP keeps a message only with ERROR. */
void		 otel_span_status(struct otel_span *, enum otel_status,
		    const char *msg);
/* A new event, or NULL (counted in dropped_events) past the limit. */
struct otel_event *otel_span_event(struct otel_span *, const char *name,
		    uint64_t time_ns);

/* Set a key (again: the value is replaced).  Past the list's limit the
 * attribute is dropped and counted. */
void		 otel_attr_str(struct otel_attrs *, const char *key,
		    const char *value);
void		 otel_attr_int(struct otel_attrs *, const char *key, int64_t);
/* mcp.session.id as the first OTEL_SESSION_HASH_LEN hex digits of the
 * id's SHA-256 (nothing for ""): see otel.c. */
#define OTEL_SESSION_HASH_LEN	16
void		 otel_attr_session_id(struct otel_attrs *, const char *sid);
void		 otel_attr_bool(struct otel_attrs *, const char *key, int);
void		 otel_attr_double(struct otel_attrs *, const char *key, double);
void		 otel_attrs_init(struct otel_attrs *, size_t max);
void		 otel_attrs_clear(struct otel_attrs *);
/* The attribute of that key, or NULL. */
const struct otel_attr *otel_attrs_get(const struct otel_attrs *,
		    const char *key);

/*
 * The string member key of o, whole (NULL if none): a NUL in it would
 * cut it where C reads it, so that "crash\u0000 ok" passed for "crash";
 * each NUL becomes U+FFFD instead.  The caller frees it.
 */
char		*otel_json_str(json_object *o, const char *key);

/* ---- the sampler (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG) ---- */

enum otel_sampler_root {
	OTEL_SAMPLE_ALWAYS_ON,
	OTEL_SAMPLE_ALWAYS_OFF,
	OTEL_SAMPLE_RATIO,
};

struct otel_sampler {
	int			 parent_based;
	enum otel_sampler_root	 root;
	double			 ratio;
	/* TraceIdRatioBased's rejection threshold over the trace id's
	 * rightmost 56 bits: sampled when they are >= it. */
	uint64_t		 threshold;
};

/*
 * name and arg as the variables say (NULL: unset; the default is
 * parentbased_always_on, a ratio's default 1.0).  A name or argument we
 * do not know leaves the default and a warning in *warn (the caller
 * frees it); never an error.
 */
void		 otel_sampler_set(struct otel_sampler *, const char *name,
		    const char *arg, char **warn);
/* 1 if a span of trace_id under parent (NULL: a root) is sampled. */
int		 otel_sample(const struct otel_sampler *,
		    const struct tracectx *parent,
		    const uint8_t trace_id[TRACECTX_TRACE_ID_LEN]);

/* ---- settings from the environment ---- */

/* A key=value pair of OTEL_RESOURCE_ATTRIBUTES or an exporter header. */
struct otel_kv {
	char	*key;
	char	*value;
};

/*
 * A W3C Baggage-like list, key1=value1,key2=value2 (white space around
 * keys and values ignored, values percent-decoded, no ;properties), at
 * most max pairs, into *out (n pairs; free with otel_kv_free).  -1 and
 * *err (never quoting a value: they may be secrets) if malformed.
 */
int		 otel_kv_parse(const char *s, size_t max, struct otel_kv **out,
		    size_t *n, char **err);
void		 otel_kv_free(struct otel_kv *, size_t n);

/* Reads one variable; NULL if unset.  getenv fits after a cast-free
 * wrapper (otel_getenv). */
typedef const char *(*otel_env_fn)(const char *name, void *arg);
const char	*otel_getenv(const char *name, void *arg);

struct otel_config {
	char			*traces_url;	/* NULL: export is off */
	struct otel_kv		*headers;	/* secrets: never logged */
	size_t			 nheaders;
	struct otel_attrs	 resource;	/* service.name first */
	struct otel_sampler	 sampler;
	long			 timeout_ms;
};

/*
 * The settings the OTEL_* variables give: export is on when
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) or OTEL_EXPORTER_OTLP_ENDPOINT
 * (+ "/v1/traces") is set, unless OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none; headers from OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_EXPORTER_OTLP_TRACES_HEADERS (the latter's win); the resource from
 * OTEL_RESOURCE_ATTRIBUTES (discarded whole if malformed, with a warning)
 * and OTEL_SERVICE_NAME; the sampler; OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT.
 * OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL other than http/json is a warning
 * (JSON is what we send).  -1 and *err for what makes export impossible
 * (an endpoint that is not an http(s) URL, malformed headers); *warn
 * (may be NULL) for what was ignored.  Free with otel_config_free.
 */
/* The traces URL as a log line may show it: scheme, host, port and
 * path, never a user, password or query.  The caller frees it. */
char		*otel_url_shown(const struct otel_config *);
int		 otel_config_read(struct otel_config *, otel_env_fn, void *arg,
		    char **warn, char **err);
void		 otel_config_free(struct otel_config *);

/* ---- OTLP/HTTP JSON ---- */

/*
 * The ExportTraceServiceRequest of n spans under one resource and the
 * scope (OTEL_SCOPE_NAME, this version), as JSON text (*len bytes, NUL
 * terminated; the caller frees it).  Ids are lowercase hex, enums
 * integers, 64-bit integers decimal strings (proto3's JSON mapping).
 */
char		*otel_encode(const struct otel_attrs *resource,
		    struct otel_span *const *spans, size_t n, size_t *len);

#endif
