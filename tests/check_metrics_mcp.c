/* SPDX-License-Identifier: ISC */
/*
 * check_metrics_mcp.c: the MCP conventions' histograms in /metrics, and
 * their labels bounded whatever the clients send.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "checktest.h"
#include "metrics.h"
#include "metrics_mcp.h"

static char *
render(void)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 n;
	char		*s;

	metrics_mcp_render(b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

START_TEST(test_operation_histogram)
{
	char	*page;
	int	 echo;

	metrics_mcp_reset();
	echo = metrics_mcp_tool("echo");
	ck_assert_int_eq(metrics_mcp_tool("echo"), echo);
	metrics_mcp_operation(METRICS_TOOLS_CALL, echo, NULL, 15);
	metrics_mcp_operation(METRICS_TOOLS_CALL, echo, NULL, 2500);
	metrics_mcp_operation(METRICS_TOOLS_CALL, echo, "tool_error", 5);
	metrics_mcp_operation(METRICS_PING, METRICS_MCP_NO_TOOL, NULL, 1);
	metrics_mcp_session(90000);
	page = render();
	ck_assert_ptr_nonnull(strstr(page, "# TYPE mcp_server_operation_"
	    "duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(page, "mcp_server_operation_duration_"
	    "seconds_bucket{mcp_method_name=\"tools/call\",gen_ai_tool_name="
	    "\"echo\",error_type=\"\",le=\"0.010\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(page, "mcp_server_operation_duration_"
	    "seconds_bucket{mcp_method_name=\"tools/call\",gen_ai_tool_name="
	    "\"echo\",error_type=\"\",le=\"0.020\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(page, "mcp_server_operation_duration_"
	    "seconds_count{mcp_method_name=\"tools/call\",gen_ai_tool_name="
	    "\"echo\",error_type=\"\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(page, "mcp_server_operation_duration_"
	    "seconds_sum{mcp_method_name=\"tools/call\",gen_ai_tool_name="
	    "\"echo\",error_type=\"\"} 2.515\n"));
	ck_assert_ptr_nonnull(strstr(page, "error_type=\"tool_error\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(page, "mcp_server_operation_duration_"
	    "seconds_count{mcp_method_name=\"ping\",gen_ai_tool_name=\"\","
	    "error_type=\"\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(page, "mcp_server_session_duration_"
	    "seconds_bucket{le=\"60.000\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(page, "mcp_server_session_duration_"
	    "seconds_bucket{le=\"300.000\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(page, "mcp_server_session_duration_"
	    "seconds_count 1\n"));
	free(page);
}
END_TEST

START_TEST(test_labels_bounded)
{
	char	name[32], type[32], *page, *p;
	int	i, n;

	metrics_mcp_reset();
	for (i = 0; i < METRICS_MCP_TOOLS; i++) {
		snprintf(name, sizeof name, "t%d", i);
		ck_assert_int_eq(metrics_mcp_tool(name), i);
	}
	ck_assert_int_eq(metrics_mcp_tool("one-too-many"),
	    METRICS_MCP_TOOL_OTHER);
	ck_assert_int_eq(metrics_mcp_tool("a\"b"), METRICS_MCP_TOOL_OTHER);
	/* Error types past the cap are _OTHER; series past theirs too. */
	for (i = 0; i < 4 * METRICS_MCP_SERIES; i++) {
		snprintf(type, sizeof type, "%d", -i);
		metrics_mcp_operation(METRICS_TOOLS_CALL, i % METRICS_MCP_TOOLS,
		    type, 1);
	}
	page = render();
	n = 0;
	for (p = page; (p = strstr(p, "_count{")) != NULL; p++)
		n++;
	ck_assert_int_le(n, METRICS_MCP_SERIES + 1);
	ck_assert_ptr_nonnull(strstr(page, "error_type=\"_OTHER\""));
	ck_assert_ptr_null(strstr(page, "error_type=\"-20\""));
	free(page);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("metrics_mcp");
	TCase	*tc = tcase_create("mcp");

	tcase_add_test(tc, test_operation_histogram);
	tcase_add_test(tc, test_labels_bounded);
	suite_add_tcase(s, tc);
	return s;
}
