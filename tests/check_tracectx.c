/* SPDX-License-Identifier: ISC */
/*
 * check_tracectx.c: W3C Trace Context (tracectx.c): traceparent parsed
 * strictly (version 00 and the forward-compatible rule for higher ones,
 * zero ids, case, length), tracestate checked member by member and
 * truncated by whole members, new ids, and the context read from and
 * written to a request's params._meta with baggage left alone.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "checktest.h"
#include "testjson.h"
#include "tracectx.h"

#define TID	"4bf92f3577b34da6a3ce929d0e0e4736"
#define SID	"00f067aa0ba902b7"
#define TP	"00-" TID "-" SID "-01"

static int
tp_ok(const char *s)
{
	struct tracectx	c;

	memset(&c, 0xaa, sizeof c);
	return tracectx_parse_traceparent(s, strlen(s), &c) == 0;
}

START_TEST(test_traceparent_valid)
{
	struct tracectx	c;
	char		buf[TRACECTX_TRACEPARENT_LEN + 1];

	ck_assert_int_eq(tracectx_parse_traceparent(TP, strlen(TP), &c), 0);
	ck_assert_int_eq(c.trace_id[0], 0x4b);
	ck_assert_int_eq(c.trace_id[15], 0x36);
	ck_assert_int_eq(c.span_id[0], 0x00);
	ck_assert_int_eq(c.span_id[7], 0xb7);
	ck_assert_int_eq(c.flags, 1);
	ck_assert(tracectx_sampled(&c));
	ck_assert_str_eq(c.tracestate, "");
	tracectx_format_traceparent(&c, buf);
	ck_assert_str_eq(buf, TP);

	ck_assert(tp_ok("00-" TID "-" SID "-00"));
	/* Unknown flags are read, and written as zero. */
	ck_assert_int_eq(tracectx_parse_traceparent(
	    "00-" TID "-" SID "-ff", 55, &c),
	    0);
	ck_assert_int_eq(c.flags, 0xff);
	tracectx_format_traceparent(&c, buf);
	ck_assert_str_eq(buf,
	    "00-" TID "-" SID "-03");
}
END_TEST

START_TEST(test_traceparent_invalid)
{
	/* Case, length, separators, zero ids, version ff. */
	ck_assert(!tp_ok("00-4BF92F3577B34DA6A3CE929D0E0E4736-" SID "-01"));
	ck_assert(!tp_ok("00-" TID "-00F067AA0BA902B7-01"));
	ck_assert(!tp_ok("00-" TID "-" SID "-0A"));
	ck_assert(!tp_ok("0A-" TID "-" SID "-01"));
	ck_assert(!tp_ok("00-" TID "-" SID "-01-"));
	ck_assert(!tp_ok("00-" TID "-" SID "-1"));
	ck_assert(!tp_ok("00-4bf92f3577b34da6a3ce929d0e0e473-" SID "-01"));
	ck_assert(!tp_ok("00-" TID "-00f067aa0ba902b-01"));
	ck_assert(!tp_ok("00-" TID "_" SID "-01"));
	ck_assert(!tp_ok("00-" TID "-" SID "_01"));
	ck_assert(!tp_ok("00 " TID "-" SID "-01"));
	ck_assert(!tp_ok("00-00000000000000000000000000000000-" SID "-01"));
	ck_assert(!tp_ok("00-" TID "-0000000000000000-01"));
	ck_assert(!tp_ok("ff-" TID "-" SID "-01"));
	ck_assert(!tp_ok(" 00-" TID "-" SID "-01"));
	ck_assert(!tp_ok("00-" TID "-" SID "-01 "));
	ck_assert(!tp_ok(""));
	ck_assert(!tp_ok("00"));
	ck_assert(!tp_ok("00-"));
	/* A NUL inside is not a shorter string. */
	ck_assert_int_eq(tracectx_parse_traceparent("00-4bf92f3577b34da6a3ce9"
	    "29d0e0e4736-" SID "-0\0", 55, &(struct tracectx){ 0 }),
	    -1);
}
END_TEST

START_TEST(test_traceparent_higher_version)
{
	struct tracectx	c;
	char		buf[TRACECTX_TRACEPARENT_LEN + 1];

	/* The fields of 00, then the end or a dash and what we do not
	 * read; only the sampled flag is taken. */
	ck_assert(tp_ok("cc-" TID "-" SID "-01"));
	ck_assert_int_eq(tracectx_parse_traceparent(
	    "cc-" TID "-" SID "-03-what-not",
	    64, &c), 0);
	ck_assert_int_eq(c.flags, TRACECTX_FLAG_SAMPLED);
	tracectx_format_traceparent(&c, buf);
	ck_assert_str_eq(buf, TP);
	ck_assert(!tp_ok("cc-" TID "-" SID "-01."
	    "x"));
	ck_assert(!tp_ok("cc-" TID "-" SID "-0"));
	ck_assert(!tp_ok("cc-" TID "-" SID "01"));
	ck_assert(!tp_ok("cc-00000000000000000000000000000000-" SID "-01"));
	ck_assert(!tp_ok("ff-" TID "-" SID "-01-"));
}
END_TEST

static int
ts(const char *in, const char *want)
{
	char	out[TRACECTX_TRACESTATE_MAX + 1];
	int	rv;

	rv = tracectx_parse_tracestate(in, strlen(in), out, sizeof out);
	if (rv == 0 && want != NULL)
		ck_assert_str_eq(out, want);
	if (rv == -1)
		ck_assert_str_eq(out, "");
	return rv;
}

START_TEST(test_tracestate)
{
	char	big[TRACECTX_TRACESTATE_INPUT_MAX + 2], *p;
	int	i;

	ck_assert_int_eq(ts("rojo=" SID ",congo=t61rcWkgMzE",
	    "rojo=" SID ",congo=t61rcWkgMzE"), 0);
	/* White space around members goes; a value's leading space stays;
	 * empty members are fine. */
	ck_assert_int_eq(ts(" a=1 ,\t, b= 2\t,", "a=1,b= 2"), 0);
	ck_assert_int_eq(ts("", ""), 0);
	ck_assert_int_eq(ts(" , ,", ""), 0);
	ck_assert_int_eq(ts("tenant@sys=v,0k/_-*@=x", "tenant@sys=v,0k/_-*@=x"),
	    0);
	/* Malformed: the whole is discarded. */
	ck_assert_int_eq(ts("A=1", NULL), -1);
	ck_assert_int_eq(ts("_a=1", NULL), -1);
	ck_assert_int_eq(ts("a=1,b", NULL), -1);
	ck_assert_int_eq(ts("a=", NULL), -1);
	ck_assert_int_eq(ts("=1", NULL), -1);
	ck_assert_int_eq(ts("a=1=2", NULL), -1);
	ck_assert_int_eq(ts("a=x\ty", NULL), -1);
	ck_assert_int_eq(ts("a=\x7f", NULL), -1);
	ck_assert_int_eq(ts("a b=1", NULL), -1);
	ck_assert_int_eq(ts("a=1,a=2", NULL), -1);
	/* 32 members, then 33. */
	p = big;
	for (i = 0; i < 32; i++)
		p += sprintf(p, "%sk%d=v", i ? "," : "", i);
	ck_assert_int_eq(ts(big, big), 0);
	strcat(big, ",k32=v");
	ck_assert_int_eq(ts(big, NULL), -1);
	/* Keys and values up to 256. */
	memset(big, 'k', 256);
	strcpy(big + 256, "=v");
	ck_assert_int_eq(ts(big, big), 0);
	memset(big, 'k', 257);
	strcpy(big + 257, "=v");
	ck_assert_int_eq(ts(big, NULL), -1);
	strcpy(big, "k=");
	memset(big + 2, 'v', 256);
	big[258] = '\0';
	ck_assert_int_eq(ts(big, big), 0);
	big[258] = 'v';
	big[259] = '\0';
	ck_assert_int_eq(ts(big, NULL), -1);
	/* Over the input limit: not read. */
	memset(big, ' ', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(ts(big, NULL), -1);
}
END_TEST

START_TEST(test_tracestate_truncated)
{
	char	in[2048], want[TRACECTX_TRACESTATE_MAX + 1], *p;
	int	i;

	/* A long member (> 128) goes first, wherever it is; then members
	 * from the end. */
	p = in;
	p += sprintf(p, "long=");
	memset(p, 'x', 200);
	p += 200;
	for (i = 0; i < 30; i++)
		p += sprintf(p, ",key%02d=value-of-twenty", i);
	*p = '\0';
	p = want;
	for (i = 0; i < 30; i++) {
		if ((size_t)(p - want) + (i ? 1 : 0) + 21 >
		    TRACECTX_TRACESTATE_MAX)
			break;
		p += sprintf(p, "%skey%02d=value-of-twenty", i ? "," : "", i);
	}
	ck_assert_int_eq(ts(in, want), 0);
	ck_assert_uint_le(strlen(want), TRACECTX_TRACESTATE_MAX);
	ck_assert_uint_gt(strlen(want), TRACECTX_TRACESTATE_MAX - 22);
}
END_TEST

START_TEST(test_extract)
{
	struct tracectx	c;

	memset(&c, 0, sizeof c);
	ck_assert_int_eq(tracectx_extract(TP, strlen(TP), "a=1, b=2", 8, &c),
	    0);
	ck_assert_str_eq(c.tracestate, "a=1,b=2");
	/* A bad tracestate costs only itself. */
	ck_assert_int_eq(tracectx_extract(TP, strlen(TP), "A=1", 3, &c), 0);
	ck_assert_str_eq(c.tracestate, "");
	/* A bad traceparent: nothing, *out untouched. */
	strcpy(c.tracestate, "kept=1");
	ck_assert_int_eq(tracectx_extract("00-x", 4, "a=1", 3, &c), -1);
	ck_assert_str_eq(c.tracestate, "kept=1");
}
END_TEST

START_TEST(test_new_ids)
{
	struct tracectx	a, b, c;
	char		buf[TRACECTX_TRACEPARENT_LEN + 1];

	tracectx_new_trace(&a, 1);
	tracectx_new_trace(&b, 0);
	ck_assert(!tracectx_zero(a.trace_id, TRACECTX_TRACE_ID_LEN));
	ck_assert(!tracectx_zero(a.span_id, TRACECTX_SPAN_ID_LEN));
	ck_assert(memcmp(a.trace_id, b.trace_id, TRACECTX_TRACE_ID_LEN) != 0);
	ck_assert_int_eq(a.flags, TRACECTX_FLAG_SAMPLED | TRACECTX_FLAG_RANDOM);
	ck_assert_int_eq(b.flags, TRACECTX_FLAG_RANDOM);
	/* What we write, we read. */
	tracectx_format_traceparent(&a, buf);
	ck_assert_int_eq(tracectx_parse_traceparent(buf, strlen(buf), &c), 0);
	ck_assert_mem_eq(c.trace_id, a.trace_id, TRACECTX_TRACE_ID_LEN);
	ck_assert_mem_eq(c.span_id, a.span_id, TRACECTX_SPAN_ID_LEN);

	/* A child: same trace and tracestate, a new span, our decision. */
	strcpy(a.tracestate, "a=1");
	a.flags = TRACECTX_FLAG_SAMPLED;
	tracectx_new_child(&a, &c, 0);
	ck_assert_mem_eq(c.trace_id, a.trace_id, TRACECTX_TRACE_ID_LEN);
	ck_assert(memcmp(c.span_id, a.span_id, TRACECTX_SPAN_ID_LEN) != 0);
	ck_assert_str_eq(c.tracestate, "a=1");
	ck_assert_int_eq(c.flags, 0);
}
END_TEST

START_TEST(test_meta_read)
{
	struct tracectx	 c;
	json_object	*m;

	m = J("{'jsonrpc':'2.0','id':1,'method':'tools/call','params':"
	    "{'name':'x','_meta':{'traceparent':'%s','tracestate':'r=1',"
	    "'baggage':'u=a'}}}", TP);
	ck_assert_int_eq(tracectx_from_meta(m, &c), 0);
	ck_assert_int_eq(c.span_id[7], 0xb7);
	ck_assert_str_eq(c.tracestate, "r=1");
	json_object_put(m);

	/* None, not a string, malformed, _meta not an object: ignored. */
	m = J("{'jsonrpc':'2.0','id':1,'method':'x','params':{}}");
	ck_assert_int_eq(tracectx_from_meta(m, &c), -1);
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','id':1,'method':'x'}");
	ck_assert_int_eq(tracectx_from_meta(m, &c), -1);
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','id':1,'method':'x','params':{'_meta':"
	    "{'traceparent':1}}}");
	ck_assert_int_eq(tracectx_from_meta(m, &c), -1);
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','id':1,'method':'x','params':{'_meta':"
	    "{'traceparent':'00-zz'}}}");
	ck_assert_int_eq(tracectx_from_meta(m, &c), -1);
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','id':1,'method':'x','params':{'_meta':'%s'}}",
	    TP);
	ck_assert_int_eq(tracectx_from_meta(m, &c), -1);
	json_object_put(m);
	m = J("[1]");
	ck_assert_int_eq(tracectx_from_meta(m, &c), -1);
	json_object_put(m);
}
END_TEST

START_TEST(test_meta_write)
{
	struct tracectx	 c;
	json_object	*m, *want;

	ck_assert_int_eq(tracectx_parse_traceparent(TP, strlen(TP), &c), 0);
	strcpy(c.tracestate, "ours=1,r=1");

	/* Ours replaces theirs; baggage and the rest stay. */
	m = J("{'jsonrpc':'2.0','id':7,'method':'tools/call','params':"
	    "{'name':'x','_meta':{'traceparent':'00-11111111111111111111111111"
	    "111111-2222222222222222-00','tracestate':'r=1','baggage':'u=a',"
	    "'progressToken':3}}}");
	ck_assert_int_eq(tracectx_to_meta(m, &c), 0);
	want = J("{'jsonrpc':'2.0','id':7,'method':'tools/call','params':"
	    "{'name':'x','_meta':{'traceparent':'%s','tracestate':"
	    "'ours=1,r=1','baggage':'u=a','progressToken':3}}}", TP);
	ck_assert_msg(json_object_equal(m, want), "%s", S(m));
	json_object_put(m);
	json_object_put(want);

	/* No params, no _meta: made; no tracestate: none written, an old
	 * one removed. */
	c.tracestate[0] = '\0';
	m = J("{'jsonrpc':'2.0','id':1,'method':'tools/list'}");
	ck_assert_int_eq(tracectx_to_meta(m, &c), 0);
	ck_assert_str_eq(PS(m, "params._meta.traceparent"), TP);
	ck_assert_ptr_null(P(m, "params._meta.tracestate"));
	json_object_put(m);
	m = J("{'jsonrpc':'2.0','id':1,'method':'x','params':{'_meta':"
	    "{'tracestate':'old=1'}}}");
	ck_assert_int_eq(tracectx_to_meta(m, &c), 0);
	ck_assert_ptr_null(P(m, "params._meta.tracestate"));
	json_object_put(m);

	/* params or _meta of another type: untouched. */
	m = J("{'jsonrpc':'2.0','id':1,'method':'x','params':[1]}");
	want = J("{'jsonrpc':'2.0','id':1,'method':'x','params':[1]}");
	ck_assert_int_eq(tracectx_to_meta(m, &c), -1);
	ck_assert(json_object_equal(m, want));
	json_object_put(m);
	json_object_put(want);
	m = J("{'jsonrpc':'2.0','id':1,'method':'x','params':{'_meta':3}}");
	ck_assert_int_eq(tracectx_to_meta(m, &c), -1);
	ck_assert_int_eq(PI(m, "params._meta"), 3);
	json_object_put(m);
}
END_TEST

Suite *
check_suite(void)
{
	Suite	*s = suite_create("tracectx");
	TCase	*tc = tcase_create("pure");

	tcase_add_test(tc, test_traceparent_valid);
	tcase_add_test(tc, test_traceparent_invalid);
	tcase_add_test(tc, test_traceparent_higher_version);
	tcase_add_test(tc, test_tracestate);
	tcase_add_test(tc, test_tracestate_truncated);
	tcase_add_test(tc, test_extract);
	tcase_add_test(tc, test_new_ids);
	tcase_add_test(tc, test_meta_read);
	tcase_add_test(tc, test_meta_write);
	suite_add_tcase(s, tc);
	return s;
}
