/* SPDX-License-Identifier: ISC */
/*
 * check_otel.c: spans and their OTLP/HTTP JSON encoding (checked against
 * the expected ExportTraceServiceRequest), the limits of a span, the
 * OTEL_* settings read through a table of variables (endpoint, headers,
 * resource with percent-decoding, sampler, timeout), and the sampler's
 * decisions.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checktest.h"
#include "otel.h"
#include "otel_redact.h"
#include "testjson.h"
#include "tracectx.h"

/* o at a dotted path whose parts may be array indexes
 * ("resourceSpans.0.scopeSpans"), borrowed, or NULL. */
static json_object *
Q(json_object *o, const char *path)
{
	char	*copy, *key, *save = NULL, *end;
	long	 i;

	copy = strdup(path);
	for (key = strtok_r(copy, ".", &save); key != NULL && o != NULL;
	    key = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			i = strtol(key, &end, 10);
			o = *end == '\0' && i >= 0 ?
			    json_object_array_get_idx(o, (size_t)i) : NULL;
		} else if (!json_object_object_get_ex(o, key, &o))
			o = NULL;
	}
	free(copy);
	return o;
}

/* ---- a table of variables ---- */

struct envtab {
	const char	*kv[32];	/* name, value, ... NULL */
};

static const char *
tab_get(const char *name, void *arg)
{
	struct envtab	*t = arg;
	size_t		 i;

	for (i = 0; t->kv[i] != NULL; i += 2)
		if (strcmp(t->kv[i], name) == 0)
			return t->kv[i + 1];
	return NULL;
}

static void
ids(struct tracectx *c, uint8_t trace_fill, uint8_t span_fill)
{
	memset(c, 0, sizeof *c);
	memset(c->trace_id, trace_fill, sizeof c->trace_id);
	memset(c->span_id, span_fill, sizeof c->span_id);
	c->flags = TRACECTX_FLAG_SAMPLED;
}

START_TEST(test_encode)
{
	struct otel_attrs	 res;
	struct tracectx		 parent, ctx;
	struct otel_span	*sp[2];
	struct otel_event	*ev;
	json_object		*got, *want;
	size_t			 len;
	char			*text;

	otel_attrs_init(&res, 4);
	otel_attr_str(&res, "service.name", "mcpbridge");
	ids(&parent, 0x11, 0x22);
	ids(&ctx, 0x11, 0x33);
	strcpy(ctx.tracestate, "r=1");
	sp[0] = otel_span_new("tools/call echo", OTEL_KIND_SERVER, &ctx,
	    &parent, 1, 1000000000ULL);
	otel_attr_str(&sp[0]->attrs, "mcp.method.name", "tools/call");
	otel_attr_str(&sp[0]->attrs, "gen_ai.tool.name", "echo");
	otel_attr_int(&sp[0]->attrs, "client.port", 65123);
	otel_attr_bool(&sp[0]->attrs, "x.ok", 1);
	otel_attr_double(&sp[0]->attrs, "x.d", 0.5);
	otel_attr_double(&sp[0]->attrs, "x.nan", NAN);
	ev = otel_span_event(sp[0], "child.restart", 1500000000ULL);
	otel_attr_int(&ev->attrs, "pid", 42);
	otel_span_status(sp[0], OTEL_STATUS_ERROR, "Tool failed");
	otel_span_end(sp[0], 2000000000ULL);

	ids(&ctx, 0x11, 0x44);
	ctx.flags = 0;
	sp[1] = otel_span_new("ping", OTEL_KIND_CLIENT, &ctx, NULL, 0,
	    5ULL);
	otel_span_end(sp[1], 3ULL);	/* never before its start */

	text = otel_encode(&res, sp, 2, &len);
	ck_assert_uint_eq(len, strlen(text));
	got = J("%s", text);
	want = J("{'resourceSpans':[{'resource':{'attributes':["
	    "{'key':'service.name','value':{'stringValue':'mcpbridge'}}]},"
	    "'scopeSpans':[{'scope':{'name':'mcpbridge','version':'%s'},"
	    "'spans':["
	    "{'traceId':'11111111111111111111111111111111',"
	    "'spanId':'3333333333333333','traceState':'r=1',"
	    "'parentSpanId':'2222222222222222','flags':769,"
	    "'name':'tools/call echo','kind':2,"
	    "'startTimeUnixNano':'1000000000','endTimeUnixNano':'2000000000',"
	    "'attributes':["
	    "{'key':'mcp.method.name','value':{'stringValue':'tools/call'}},"
	    "{'key':'gen_ai.tool.name','value':{'stringValue':'echo'}},"
	    "{'key':'client.port','value':{'intValue':'65123'}},"
	    "{'key':'x.ok','value':{'boolValue':true}},"
	    "{'key':'x.d','value':{'doubleValue':0.5}},"
	    "{'key':'x.nan','value':{'doubleValue':'NaN'}}],"
	    "'events':[{'timeUnixNano':'1500000000','name':'child.restart',"
	    "'attributes':[{'key':'pid','value':{'intValue':'42'}}]}],"
	    "'status':{'message':'Tool failed','code':2}},"
	    "{'traceId':'11111111111111111111111111111111',"
	    "'spanId':'4444444444444444','flags':256,'name':'ping','kind':3,"
	    "'startTimeUnixNano':'5','endTimeUnixNano':'5'}"
	    "]}]}]}", PACKAGE_VERSION);
	ck_assert_msg(json_object_equal(got, want), "got %s", text);
	json_object_put(got);
	json_object_put(want);
	free(text);

	/* An empty batch is still a request. */
	text = otel_encode(&res, NULL, 0, &len);
	got = J("%s", text);
	ck_assert_int_eq(json_object_array_length(Q(got,
	    "resourceSpans.0.scopeSpans.0.spans")), 0);
	json_object_put(got);
	free(text);

	otel_span_free(sp[0]);
	otel_span_free(sp[1]);
	otel_attrs_clear(&res);
}
END_TEST

START_TEST(test_limits)
{
	struct tracectx		 ctx;
	struct otel_span	*sp;
	struct otel_event	*ev;
	const struct otel_attr	*at;
	char			 key[32], *big;
	int			 i;
	json_object		*o, *sp0;
	size_t			 len;
	char			*text;

	ids(&ctx, 1, 2);
	sp = otel_span_new("n", OTEL_KIND_INTERNAL, &ctx, NULL, 0, 1);
	for (i = 0; i < OTEL_MAX_ATTRS + 3; i++) {
		snprintf(key, sizeof key, "k%d", i);
		otel_attr_int(&sp->attrs, key, i);
	}
	ck_assert_uint_eq(sp->attrs.n, OTEL_MAX_ATTRS);
	ck_assert_uint_eq(sp->attrs.dropped, 3);
	/* Setting a key again replaces it, full or not. */
	otel_attr_str(&sp->attrs, "k0", "again");
	at = otel_attrs_get(&sp->attrs, "k0");
	ck_assert_int_eq(at->type, OTEL_STRING);
	ck_assert_str_eq(at->v.s, "again");
	ck_assert_uint_eq(sp->attrs.dropped, 3);

	/* Long strings are cut on a character; bad UTF-8 is mended. */
	big = malloc(OTEL_MAX_VALUE_LEN + 8);
	memset(big, 'a', OTEL_MAX_VALUE_LEN - 1);
	strcpy(big + OTEL_MAX_VALUE_LEN - 1, "\xc3\xa9tail");
	otel_attr_str(&sp->attrs, "k1", big);
	at = otel_attrs_get(&sp->attrs, "k1");
	ck_assert_uint_eq(strlen(at->v.s), OTEL_MAX_VALUE_LEN - 1);
	free(big);
	otel_attr_str(&sp->attrs, "k2", "a\xff" "b");
	ck_assert_str_eq(otel_attrs_get(&sp->attrs, "k2")->v.s,
	    "a\xef\xbf\xbd" "b");

	for (i = 0; i < OTEL_MAX_EVENTS; i++)
		ck_assert_ptr_nonnull(otel_span_event(sp, "e", 2));
	ck_assert_ptr_null(otel_span_event(sp, "e", 2));
	ck_assert_uint_eq(sp->dropped_events, 1);
	ev = &sp->events[0];
	for (i = 0; i < OTEL_MAX_EVENT_ATTRS + 1; i++) {
		snprintf(key, sizeof key, "e%d", i);
		otel_attr_bool(&ev->attrs, key, 1);
	}
	ck_assert_uint_eq(ev->attrs.dropped, 1);

	/* The counts are in the encoding. */
	text = otel_encode(&sp->attrs, &sp, 1, &len);
	o = J("%s", text);
	sp0 = Q(o, "resourceSpans.0.scopeSpans.0.spans.0");
	ck_assert_int_eq(PI(sp0, "droppedAttributesCount"), 3);
	ck_assert_int_eq(PI(sp0, "droppedEventsCount"), 1);
	ck_assert_int_eq(PI(Q(sp0, "events.0"), "droppedAttributesCount"), 1);
	json_object_put(o);
	free(text);
	/* OK and UNSET keep no message. */
	otel_span_status(sp, OTEL_STATUS_OK, "ignored");
	ck_assert_ptr_null(sp->status_msg);
	otel_span_free(sp);
}
END_TEST

START_TEST(test_kv_parse)
{
	struct otel_kv	*kv;
	size_t		 n;
	char		*err = NULL;

	ck_assert_int_eq(otel_kv_parse(" a = b%20c ,, X-Key=s3cret%2C%3D ,",
	    8, &kv, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(kv[0].key, "a");
	ck_assert_str_eq(kv[0].value, "b c");
	ck_assert_str_eq(kv[1].key, "X-Key");
	ck_assert_str_eq(kv[1].value, "s3cret,=");
	otel_kv_free(kv, n);
	ck_assert_int_eq(otel_kv_parse("", 8, &kv, &n, &err), 0);
	ck_assert_uint_eq(n, 0);

	/* Malformed: the cause never quotes a value. */
	ck_assert_int_eq(otel_kv_parse("a=s3cret%2", 8, &kv, &n, &err), -1);
	ck_assert_ptr_null(strstr(err, "s3cret"));
	free(err);
	ck_assert_int_eq(otel_kv_parse("a=s3cret%0d%0aX: y", 8, &kv, &n, &err),
	    -1);
	ck_assert_ptr_null(strstr(err, "s3cret"));
	free(err);
	ck_assert_int_eq(otel_kv_parse("a b=1", 8, &kv, &n, &err), -1);
	free(err);
	ck_assert_int_eq(otel_kv_parse("=1", 8, &kv, &n, &err), -1);
	free(err);
	ck_assert_int_eq(otel_kv_parse("s3cret", 8, &kv, &n, &err), -1);
	free(err);
	ck_assert_int_eq(otel_kv_parse("a=1,b=2,c=3", 2, &kv, &n, &err), -1);
	free(err);
}
END_TEST

static int
cfg_read(struct envtab *t, struct otel_config *cfg, char **warn, char **err)
{
	*warn = *err = NULL;
	return otel_config_read(cfg, tab_get, t, warn, err);
}

START_TEST(test_config)
{
	struct otel_config	 cfg;
	char			*warn, *err;
	struct envtab		 none = { { NULL } };
	struct envtab		 base = { { "OTEL_EXPORTER_OTLP_ENDPOINT",
				    "http://collector:4318", NULL } };
	struct envtab		 slash = { { "OTEL_EXPORTER_OTLP_ENDPOINT",
				    "https://c.example/otlp/", NULL } };
	struct envtab		 sig = { {
				    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:1",
				    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
				    "http://b:2/custom", NULL } };
	struct envtab		 bad = { { "OTEL_EXPORTER_OTLP_ENDPOINT",
				    "ftp://user:s3cret@c", NULL } };
	struct envtab		 nohost = { { "OTEL_EXPORTER_OTLP_ENDPOINT",
				    "http://", NULL } };
	struct envtab		 query = { { "OTEL_EXPORTER_OTLP_ENDPOINT",
				    "http://127.0.0.1:4319/a?k=s3cret", NULL } };
	struct envtab		 cred = { {
				    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
				    "https://u:s3cret@c.example:4318/v1/traces"
				    "?k=s3cret", NULL } };
	struct envtab		 off = { { "OTEL_EXPORTER_OTLP_ENDPOINT",
				    "http://c:1", "OTEL_SDK_DISABLED", "TRUE",
				    NULL } };
	struct envtab		 none_exp = { { "OTEL_EXPORTER_OTLP_ENDPOINT",
				    "http://c:1", "OTEL_TRACES_EXPORTER",
				    "none", NULL } };
	struct envtab		 hdr = { {
				    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1",
				    "OTEL_EXPORTER_OTLP_HEADERS",
				    "Authorization=Bearer%20s3cret,x-a=1",
				    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
				    "X-A=2", NULL } };
	struct envtab		 badhdr = { {
				    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1",
				    "OTEL_EXPORTER_OTLP_HEADERS",
				    "Authorization=s3cret%zz", NULL } };
	struct envtab		 misc = { {
				    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1",
				    "OTEL_EXPORTER_OTLP_TIMEOUT", "999999",
				    "OTEL_EXPORTER_OTLP_PROTOCOL",
				    "http/protobuf",
				    "OTEL_TRACES_SAMPLER", "traceidratio",
				    "OTEL_TRACES_SAMPLER_ARG", "0.25", NULL } };
	struct envtab		 badto = { {
				    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:1",
				    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0",
				    NULL } };

	ck_assert_int_eq(cfg_read(&none, &cfg, &warn, &err), 0);
	ck_assert_ptr_null(cfg.traces_url);
	ck_assert_ptr_null(warn);
	ck_assert_str_eq(otel_attrs_get(&cfg.resource, "service.name")->v.s,
	    "mcpbridge");
	ck_assert(cfg.sampler.parent_based);
	ck_assert_int_eq(cfg.sampler.root, OTEL_SAMPLE_ALWAYS_ON);
	ck_assert_int_eq(cfg.timeout_ms, OTEL_TIMEOUT_DEFAULT_MS);
	otel_config_free(&cfg);

	ck_assert_int_eq(cfg_read(&base, &cfg, &warn, &err), 0);
	ck_assert_str_eq(cfg.traces_url, "http://collector:4318/v1/traces");
	otel_config_free(&cfg);
	ck_assert_int_eq(cfg_read(&slash, &cfg, &warn, &err), 0);
	ck_assert_str_eq(cfg.traces_url, "https://c.example/otlp/v1/traces");
	otel_config_free(&cfg);
	ck_assert_int_eq(cfg_read(&sig, &cfg, &warn, &err), 0);
	ck_assert_str_eq(cfg.traces_url, "http://b:2/custom");
	otel_config_free(&cfg);

	ck_assert_int_eq(cfg_read(&bad, &cfg, &warn, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(strstr(err, "s3cret"));
	free(err);
	/* No host ("v1" would be one), a query the path cannot follow. */
	ck_assert_int_eq(cfg_read(&nohost, &cfg, &warn, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no host"));
	free(err);
	ck_assert_int_eq(cfg_read(&query, &cfg, &warn, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "query"));
	ck_assert_ptr_null(strstr(err, "k=s3cret"));
	free(err);

	/* Where spans go, as the log says it: no credentials. */
	ck_assert_int_eq(cfg_read(&cred, &cfg, &warn, &err), 0);
	err = otel_url_shown(&cfg);
	ck_assert_str_eq(err, "https://c.example:4318/v1/traces");
	free(err);
	otel_config_free(&cfg);

	ck_assert_int_eq(cfg_read(&off, &cfg, &warn, &err), 0);
	ck_assert_ptr_null(cfg.traces_url);
	otel_config_free(&cfg);
	ck_assert_int_eq(cfg_read(&none_exp, &cfg, &warn, &err), 0);
	ck_assert_ptr_null(cfg.traces_url);
	ck_assert_ptr_null(warn);
	otel_config_free(&cfg);

	/* Headers: decoded; the traces variable's win, whatever the case. */
	ck_assert_int_eq(cfg_read(&hdr, &cfg, &warn, &err), 0);
	ck_assert_uint_eq(cfg.nheaders, 2);
	ck_assert_str_eq(cfg.headers[0].key, "Authorization");
	ck_assert_str_eq(cfg.headers[0].value, "Bearer s3cret");
	ck_assert_str_eq(cfg.headers[1].key, "X-A");
	ck_assert_str_eq(cfg.headers[1].value, "2");
	otel_config_free(&cfg);
	ck_assert_int_eq(cfg_read(&badhdr, &cfg, &warn, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "OTEL_EXPORTER_OTLP_HEADERS"));
	ck_assert_ptr_null(strstr(err, "s3cret"));
	free(err);

	ck_assert_int_eq(cfg_read(&misc, &cfg, &warn, &err), 0);
	ck_assert_int_eq(cfg.timeout_ms, OTEL_TIMEOUT_MAX_MS);
	ck_assert_ptr_nonnull(warn);
	ck_assert_ptr_nonnull(strstr(warn, "http/protobuf"));
	ck_assert(!cfg.sampler.parent_based);
	ck_assert_int_eq(cfg.sampler.root, OTEL_SAMPLE_RATIO);
	ck_assert(cfg.sampler.ratio == 0.25);
	free(warn);
	otel_config_free(&cfg);
	/* The warning names the variable that was read. */
	ck_assert_int_eq(cfg_read(&badto, &cfg, &warn, &err), 0);
	ck_assert_int_eq(cfg.timeout_ms, OTEL_TIMEOUT_DEFAULT_MS);
	ck_assert_ptr_nonnull(warn);
	ck_assert_ptr_nonnull(strstr(warn, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"));
	free(warn);
	otel_config_free(&cfg);
}
END_TEST

START_TEST(test_resource)
{
	struct otel_config	 cfg;
	char			*warn, *err;
	struct envtab		 ra = { {
				    "OTEL_RESOURCE_ATTRIBUTES",
				    "deployment.environment=staging,"
				    "service.name=from-attrs,"
				    "team=a%2Cb%3Dc%20d", NULL } };
	struct envtab		 both = { {
				    "OTEL_RESOURCE_ATTRIBUTES",
				    "service.name=from-attrs",
				    "OTEL_SERVICE_NAME", "named", NULL } };
	struct envtab		 bad = { {
				    "OTEL_RESOURCE_ATTRIBUTES",
				    "good=1,bad%zz=2",
				    "OTEL_SERVICE_NAME", "named", NULL } };

	ck_assert_int_eq(cfg_read(&ra, &cfg, &warn, &err), 0);
	ck_assert_uint_eq(cfg.resource.n, 3);
	ck_assert_str_eq(cfg.resource.v[0].key, "service.name");
	ck_assert_str_eq(cfg.resource.v[0].v.s, "from-attrs");
	ck_assert_str_eq(otel_attrs_get(&cfg.resource,
	    "deployment.environment")->v.s, "staging");
	ck_assert_str_eq(otel_attrs_get(&cfg.resource, "team")->v.s,
	    "a,b=c d");
	otel_config_free(&cfg);

	/* OTEL_SERVICE_NAME wins. */
	ck_assert_int_eq(cfg_read(&both, &cfg, &warn, &err), 0);
	ck_assert_uint_eq(cfg.resource.n, 1);
	ck_assert_str_eq(cfg.resource.v[0].v.s, "named");
	otel_config_free(&cfg);

	/* Malformed: discarded whole, a warning, not an error. */
	ck_assert_int_eq(cfg_read(&bad, &cfg, &warn, &err), 0);
	ck_assert_uint_eq(cfg.resource.n, 1);
	ck_assert_str_eq(cfg.resource.v[0].v.s, "named");
	ck_assert_ptr_nonnull(strstr(warn, "OTEL_RESOURCE_ATTRIBUTES"));
	free(warn);
	otel_config_free(&cfg);
}
END_TEST

/* A trace id whose rightmost 56 bits are r. */
static void
trace_r(uint8_t id[TRACECTX_TRACE_ID_LEN], uint64_t r)
{
	int	i;

	memset(id, 0xee, TRACECTX_TRACE_ID_LEN);
	for (i = 15; i >= 9; i--, r >>= 8)
		id[i] = (uint8_t)(r & 0xff);
}

START_TEST(test_sampler)
{
	struct otel_sampler	 s;
	struct tracectx		 parent;
	uint8_t			 id[TRACECTX_TRACE_ID_LEN];
	char			*warn = NULL;
	const uint64_t		 half = 1ULL << 55;

	otel_sampler_set(&s, NULL, NULL, &warn);
	ck_assert_ptr_null(warn);
	trace_r(id, 0);
	ck_assert(otel_sample(&s, NULL, id));
	ids(&parent, 1, 2);
	parent.flags = 0;
	ck_assert(!otel_sample(&s, &parent, id));	/* the parent's say */
	parent.flags = TRACECTX_FLAG_SAMPLED;
	ck_assert(otel_sample(&s, &parent, id));

	otel_sampler_set(&s, "always_off", NULL, &warn);
	ck_assert(!otel_sample(&s, &parent, id));	/* not parent-based */
	otel_sampler_set(&s, "parentbased_always_off", NULL, &warn);
	ck_assert(!otel_sample(&s, NULL, id));
	ck_assert(otel_sample(&s, &parent, id));

	/* Ratio 1/2: the threshold is 2^55 over the rightmost 56 bits. */
	otel_sampler_set(&s, "traceidratio", "0.5", &warn);
	ck_assert_ptr_null(warn);
	ck_assert_uint_eq(s.threshold, half);
	trace_r(id, half);
	ck_assert(otel_sample(&s, NULL, id));
	trace_r(id, half - 1);
	ck_assert(!otel_sample(&s, NULL, id));
	ck_assert(!otel_sample(&s, &parent, id));	/* ignores the parent */
	otel_sampler_set(&s, "parentbased_traceidratio", "0.5", &warn);
	ck_assert(otel_sample(&s, &parent, id));
	ck_assert(!otel_sample(&s, NULL, id));

	otel_sampler_set(&s, "traceidratio", "1", &warn);
	trace_r(id, 0);
	ck_assert(otel_sample(&s, NULL, id));
	otel_sampler_set(&s, "traceidratio", "0", &warn);
	ck_assert_int_eq(s.root, OTEL_SAMPLE_ALWAYS_OFF);
	trace_r(id, (1ULL << 56) - 1);
	ck_assert(!otel_sample(&s, NULL, id));
	ck_assert_ptr_null(warn);

	/* What we do not know: the default, and a warning. */
	otel_sampler_set(&s, "jaeger_remote", NULL, &warn);
	ck_assert_ptr_nonnull(warn);
	ck_assert(s.parent_based);
	ck_assert_int_eq(s.root, OTEL_SAMPLE_ALWAYS_ON);
	free(warn);
	warn = NULL;
	otel_sampler_set(&s, "traceidratio", "1.5", &warn);
	ck_assert_ptr_nonnull(warn);
	ck_assert(s.ratio == 1.0);
	free(warn);
	warn = NULL;
	otel_sampler_set(&s, "traceidratio", "half", &warn);
	ck_assert_ptr_nonnull(warn);
	free(warn);
}
END_TEST

/* Captured content: known values blanked, as given and as JSON escapes
 * them, past a cut too; a value inside the mark does not loop. */
START_TEST(test_redact)
{
	struct tracectx		 ctx;
	struct otel_span	*sp;
	struct otel_redact	 r;
	const struct otel_attr	*at;
	json_object		*v;
	char			*big;

	memset(&r, 0, sizeof r);
	ids(&ctx, 1, 2);
	sp = otel_span_new("n", OTEL_KIND_INTERNAL, &ctx, NULL, 0, 1);
	otel_redact_add(&r, "s3cr\"et");
	otel_redact_add(&r, "s3cr\"et");	/* once is enough */
	otel_redact_add(&r, "abc");		/* too short */
	otel_redact_add(&r, "redacted");	/* inside the mark */
	ck_assert_uint_eq(r.n, 3);
	v = J("{'a':'x s3cr\\\"et y s3cr\\\"et','b':'redacted'}");
	otel_redact_attr_json(&r, &sp->attrs, "k", v);
	at = otel_attrs_get(&sp->attrs, "k");
	ck_assert_str_eq(at->v.s, "{\"a\":\"x [redacted] y [redacted]\","
	    "\"b\":\"[redacted]\"}");
	json_object_put(v);

	/* A value across the attribute's cut is blanked before the cut. */
	big = malloc(OTEL_MAX_VALUE_LEN + 32);
	memset(big, 'x', OTEL_MAX_VALUE_LEN - 5);
	strcpy(big + OTEL_MAX_VALUE_LEN - 5, "s3cr\"et tail");
	v = json_object_new_string(big);
	otel_redact_attr_json(&r, &sp->attrs, "cut", v);
	at = otel_attrs_get(&sp->attrs, "cut");
	ck_assert_ptr_null(strstr(at->v.s, "s3cr"));
	ck_assert_ptr_nonnull(strstr(at->v.s, "[red"));
	json_object_put(v);
	free(big);

	/* No values: as it is. */
	otel_redact_clear(&r);
	ck_assert_uint_eq(r.n, 0);
	v = J("{'a':'s3cr'}");
	otel_redact_attr_json(&r, &sp->attrs, "k", v);
	ck_assert_str_eq(otel_attrs_get(&sp->attrs, "k")->v.s,
	    "{\"a\":\"s3cr\"}");
	json_object_put(v);
	otel_span_free(sp);
}
END_TEST

/* A string member whole, a NUL in it no cut. */
START_TEST(test_json_str)
{
	json_object	*o;
	char		*s;

	o = json_tokener_parse("{\"n\":\"crash\\u0000 ok\\u0000\",\"i\":1}");
	ck_assert_ptr_nonnull(o);
	s = otel_json_str(o, "n");
	ck_assert_str_eq(s, "crash\xef\xbf\xbd ok\xef\xbf\xbd");
	free(s);
	ck_assert_ptr_null(otel_json_str(o, "i"));
	ck_assert_ptr_null(otel_json_str(o, "none"));
	ck_assert_ptr_null(otel_json_str(NULL, "n"));
	json_object_put(o);
}
END_TEST

/* Every string of a span: name, attributes, events, status, a cut
 * value's tail that starts a secret; nothing else touched. */
START_TEST(test_redact_span)
{
	struct tracectx		 ctx;
	struct otel_span	*sp;
	struct otel_redact	 r;
	struct otel_event	*ev;
	char			*big;

	memset(&r, 0, sizeof r);
	ids(&ctx, 1, 2);
	snprintf(ctx.tracestate, sizeof ctx.tracestate, "a=tok-SECRET1");
	sp = otel_span_new("tools/call tok-SECRET1", OTEL_KIND_SERVER, &ctx,
	    NULL, 0, 1);
	otel_attr_str(&sp->attrs, "jsonrpc.request.id", "tok-SECRET1");
	otel_attr_str(&sp->attrs, "mcp.resource.uri", "t://x?k=tok-SECRET1&b");
	otel_attr_str(&sp->attrs, "plain", "tok-SECRET");
	otel_attr_int(&sp->attrs, "n", 7);
	ev = otel_span_event(sp, "e", 1);
	otel_attr_str(&ev->attrs, "c", "envval-2 tok-SECRET1");
	otel_span_status(sp, OTEL_STATUS_ERROR, "bad tok-SECRET1");
	big = malloc(OTEL_MAX_VALUE_LEN + 32);
	memset(big, 'x', OTEL_MAX_VALUE_LEN - 5);
	strcpy(big + OTEL_MAX_VALUE_LEN - 5, "tok-SECRET1");
	otel_attr_str(&sp->attrs, "cut", big);
	free(big);

	otel_redact_span(&r, sp);	/* nothing known: as it is */
	ck_assert_str_eq(sp->name, "tools/call tok-SECRET1");
	otel_redact_add(&r, "tok-SECRET1");
	otel_redact_add(&r, "envval-2");
	otel_redact_span(&r, sp);
	ck_assert_str_eq(sp->name, "tools/call [redacted]");
	ck_assert_str_eq(otel_attrs_get(&sp->attrs,
	    "jsonrpc.request.id")->v.s, "[redacted]");
	ck_assert_str_eq(otel_attrs_get(&sp->attrs,
	    "mcp.resource.uri")->v.s, "t://x?k=[redacted]&b");
	ck_assert_str_eq(otel_attrs_get(&sp->attrs, "plain")->v.s,
	    "tok-SECRET");
	ck_assert_str_eq(ev->attrs.v[0].v.s, "[redacted] [redacted]");
	ck_assert_str_eq(sp->status_msg, "bad [redacted]");
	ck_assert_str_eq(sp->ctx.tracestate, "");
	/* The cut kept "tok-S": that goes too. */
	big = otel_attrs_get(&sp->attrs, "cut")->v.s;
	ck_assert_ptr_null(strstr(big, "tok-S"));
	ck_assert_ptr_nonnull(strstr(big, "x[redacted]"));
	otel_redact_clear(&r);

	/* OAuth tokens: the last OTEL_REDACT_TOKENS. */
	otel_span_rename(sp, "oauth-tok-0 oauth-tok-1");
	otel_redact_token(&r, "oauth-tok-0", 11);
	for (int i = 1; i <= OTEL_REDACT_TOKENS; i++) {
		char	t[32];

		snprintf(t, sizeof t, "oauth-tok-%d", i);
		otel_redact_token(&r, t, strlen(t));
	}
	otel_redact_span(&r, sp);
	ck_assert_str_eq(sp->name, "oauth-tok-0 [redacted]");
	otel_redact_clear(&r);
	otel_span_free(sp);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("otel");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_kv_parse);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_resource);
	tcase_add_test(tc, test_sampler);
	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_redact_span);
	tcase_add_test(tc, test_json_str);
	suite_add_tcase(s, tc);
	return s;
}
