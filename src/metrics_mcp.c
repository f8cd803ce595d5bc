/* SPDX-License-Identifier: ISC */
/*
 * metrics_mcp.c: the MCP conventions' histograms (metrics_mcp.h).  The
 * label sets are few and found by a walk: a request costs a comparison
 * per series, at most METRICS_MCP_SERIES.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "metrics.h"
#include "metrics_mcp.h"

/* The longest tool name kept (MCP's SHOULD), and error type ("-32603",
 * "tool_error"). */
#define METRICS_MCP_TOOL_LEN	128
#define METRICS_MCP_TYPE_LEN	15

struct metrics_mcp_series {
	enum metrics_method	 method;
	int			 tool;		/* slot, or METRICS_MCP_NO_TOOL */
	int			 type;		/* slot, or -1: success */
	uint64_t		 bucket[METRICS_MCP_OP_BUCKETS + 1];
	uint64_t		 sum_ms;
};

static struct {
	char			 tools[METRICS_MCP_TOOLS]
				    [METRICS_MCP_TOOL_LEN + 1];
	int			 ntools;
	char			 types[METRICS_MCP_ERROR_TYPES + 1]
				    [METRICS_MCP_TYPE_LEN + 1];
	int			 ntypes;
	struct metrics_mcp_series series[METRICS_MCP_SERIES + 1];
	int			 nseries;
	uint64_t		 session[METRICS_MCP_SESSION_BUCKETS + 1];
	uint64_t		 session_sum_ms;
} mm;

static const uint64_t metrics_mcp_op_bounds[METRICS_MCP_OP_BUCKETS] = {
	METRICS_MCP_OP_BOUNDS
};
static const uint64_t metrics_mcp_session_bounds[
    METRICS_MCP_SESSION_BUCKETS] = { METRICS_MCP_SESSION_BOUNDS };

void
metrics_mcp_reset(void)
{
	memset(&mm, 0, sizeof mm);
}

int
metrics_mcp_tool(const char *name)
{
	int	i;

	/* A name too long for a slot, or with what a label would have to
	 * escape, is no label. */
	if (name == NULL || strlen(name) > METRICS_MCP_TOOL_LEN ||
	    strpbrk(name, "\"\\\n") != NULL)
		return METRICS_MCP_TOOL_OTHER;
	for (i = 0; i < mm.ntools; i++)
		if (strcmp(mm.tools[i], name) == 0)
			return i;
	if (mm.ntools == METRICS_MCP_TOOLS)
		return METRICS_MCP_TOOL_OTHER;
	snprintf(mm.tools[mm.ntools], sizeof mm.tools[0], "%s", name);
	return mm.ntools++;
}

/* The slot of an error type; the last one is "_OTHER". */
static int
metrics_mcp_type(const char *type)
{
	int	i;

	if (type == NULL)
		return -1;
	if (strlen(type) > METRICS_MCP_TYPE_LEN || strpbrk(type, "\"\\\n") !=
	    NULL)
		type = "_OTHER";
	for (i = 0; i < mm.ntypes; i++)
		if (strcmp(mm.types[i], type) == 0)
			return i;
	if (mm.ntypes >= METRICS_MCP_ERROR_TYPES)
		type = "_OTHER";
	for (i = 0; i < mm.ntypes; i++)
		if (strcmp(mm.types[i], type) == 0)
			return i;
	snprintf(mm.types[mm.ntypes], sizeof mm.types[0], "%s", type);
	return mm.ntypes++;
}

static struct metrics_mcp_series *
metrics_mcp_find(enum metrics_method m, int tool, int type)
{
	int	i;

	for (i = 0; i < mm.nseries; i++)
		if (mm.series[i].method == m && mm.series[i].tool == tool &&
		    mm.series[i].type == type)
			return &mm.series[i];
	return NULL;
}

void
metrics_mcp_operation(enum metrics_method m, int tool,
    const char *error_type, uint64_t latency_ms)
{
	struct metrics_mcp_series	*s = NULL;
	int				 type, i;

	if (m >= METRICS_METHODS)
		m = METRICS_OTHER;
	type = metrics_mcp_type(error_type);
	if ((s = metrics_mcp_find(m, tool, type)) == NULL &&
	    mm.nseries >= METRICS_MCP_SERIES) {
		/* Past the cap, one series for the rest: method other, tool
		 * and type _OTHER (the one slot over the cap). */
		m = METRICS_OTHER;
		tool = METRICS_MCP_TOOL_OTHER;
		type = metrics_mcp_type("_OTHER");
		s = metrics_mcp_find(m, tool, type);
	}
	if (s == NULL) {
		s = &mm.series[mm.nseries++];
		s->method = m;
		s->tool = tool;
		s->type = type;
	}
	for (i = 0; i < METRICS_MCP_OP_BUCKETS; i++)
		if (latency_ms <= metrics_mcp_op_bounds[i])
			break;
	s->bucket[i]++;
	s->sum_ms += latency_ms;
}

void
metrics_mcp_session(uint64_t duration_ms)
{
	int	i;

	for (i = 0; i < METRICS_MCP_SESSION_BUCKETS; i++)
		if (duration_ms <= metrics_mcp_session_bounds[i])
			break;
	mm.session[i]++;
	mm.session_sum_ms += duration_ms;
}

static void
metrics_mcp_labels(char *buf, size_t size, const struct metrics_mcp_series *s)
{
	snprintf(buf, size, "mcp_method_name=\"%s\",gen_ai_tool_name=\"%s\","
	    "error_type=\"%s\"", metrics_method_name(s->method),
	    s->tool == METRICS_MCP_NO_TOOL ? "" :
	    s->tool == METRICS_MCP_TOOL_OTHER ? "_OTHER" : mm.tools[s->tool],
	    s->type < 0 ? "" : mm.types[s->type]);
}

/* One histogram's lines: buckets (cumulative), sum and count. */
static void
metrics_mcp_histogram(struct evbuffer *out, const char *name,
    const char *labels, const uint64_t *bounds, const uint64_t *bucket,
    int nb, uint64_t sum_ms)
{
	uint64_t	cum = 0;
	int		b;

	for (b = 0; b < nb; b++) {
		cum += bucket[b];
		evbuffer_add_printf(out, "%s_bucket{%s%sle=\"%" PRIu64 ".%03"
		    PRIu64 "\"} %" PRIu64 "\n", name, labels,
		    *labels != '\0' ? "," : "", bounds[b] / 1000,
		    bounds[b] % 1000, cum);
	}
	cum += bucket[nb];
	evbuffer_add_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n",
	    name, labels, *labels != '\0' ? "," : "", cum);
	evbuffer_add_printf(out, "%s_sum%s%s%s %" PRIu64 ".%03" PRIu64 "\n",
	    name, *labels != '\0' ? "{" : "", labels, *labels != '\0' ? "}" :
	    "", sum_ms / 1000, sum_ms % 1000);
	evbuffer_add_printf(out, "%s_count%s%s%s %" PRIu64 "\n", name,
	    *labels != '\0' ? "{" : "", labels, *labels != '\0' ? "}" : "",
	    cum);
}

void
metrics_mcp_render(struct evbuffer *out)
{
	char	labels[256];
	int	i;

	evbuffer_add_printf(out, "# HELP mcp_server_operation_duration_seconds "
	    "MCP request duration as observed on the receiver from the time "
	    "it was received until the result or ack is sent.\n"
	    "# TYPE mcp_server_operation_duration_seconds histogram\n");
	for (i = 0; i < mm.nseries; i++) {
		metrics_mcp_labels(labels, sizeof labels, &mm.series[i]);
		metrics_mcp_histogram(out,
		    "mcp_server_operation_duration_seconds", labels,
		    metrics_mcp_op_bounds, mm.series[i].bucket,
		    METRICS_MCP_OP_BUCKETS, mm.series[i].sum_ms);
	}
	evbuffer_add_printf(out, "# HELP mcp_server_session_duration_seconds "
	    "The duration of the MCP session as observed on the MCP server.\n"
	    "# TYPE mcp_server_session_duration_seconds histogram\n");
	metrics_mcp_histogram(out, "mcp_server_session_duration_seconds", "",
	    metrics_mcp_session_bounds, mm.session,
	    METRICS_MCP_SESSION_BUCKETS, mm.session_sum_ms);
}
