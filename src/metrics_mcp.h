/* SPDX-License-Identifier: ISC */
/*
 * metrics_mcp.h: the metrics of the OpenTelemetry semantic conventions for
 * MCP, in /metrics (Prometheus text): mcp.server.operation.duration by
 * method, tool and error type, and mcp.server.session.duration.  Every
 * label is bounded: the method is metrics.h's enum, a tool one of the
 * first METRICS_MCP_TOOLS names the caller vouches for (else "_OTHER"),
 * an error type one of the first METRICS_MCP_ERROR_TYPES seen (else
 * "_OTHER"), and the series at most METRICS_MCP_SERIES (past it, new label
 * sets are counted in one "_OTHER" series).
 */
#ifndef MCPBRIDGE_METRICS_MCP_H
#define MCPBRIDGE_METRICS_MCP_H

#include <stdint.h>

#include "metrics.h"

struct evbuffer;

#define METRICS_MCP_TOOLS		64
#define METRICS_MCP_ERROR_TYPES		16
#define METRICS_MCP_SERIES		512
/* The conventions' bucket bounds, milliseconds. */
#define METRICS_MCP_OP_BOUNDS \
	10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000, \
	120000, 300000
#define METRICS_MCP_OP_BUCKETS		14
#define METRICS_MCP_SESSION_BOUNDS \
	1000, 10000, 60000, 300000, 1800000, 3600000, 14400000, 86400000
#define METRICS_MCP_SESSION_BUCKETS	8

/* No tool (not a tools/call, or one we cannot vouch for). */
#define METRICS_MCP_NO_TOOL		(-1)
#define METRICS_MCP_TOOL_OTHER		METRICS_MCP_TOOLS

/* The slot of tool name (learned if there is room), or
 * METRICS_MCP_TOOL_OTHER. */
int	metrics_mcp_tool(const char *name);
/*
 * A request of method got its final answer after latency_ms: tool a slot
 * (or METRICS_MCP_NO_TOOL), error_type NULL on success, else the JSON-RPC
 * code as text, "tool_error" or "_OTHER".
 */
void	metrics_mcp_operation(enum metrics_method, int tool,
	    const char *error_type, uint64_t latency_ms);
/* A session ended after duration_ms. */
void	metrics_mcp_session(uint64_t duration_ms);
void	metrics_mcp_render(struct evbuffer *);
/* Forgets everything (the tests). */
void	metrics_mcp_reset(void);

#endif
