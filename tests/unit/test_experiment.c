// SPDX-License-Identifier: MIT
/* Experiment parsing and validation: every error class, with its file:line:col and JSON path. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "experiment.h"
#include "units.h"

static const struct experiment_limits lim = { .max_duration = AGENT_DEFAULT_MAX_DURATION };

/* Parse text; return the formatted errors (caller frees) and the experiment via *out. */
static char *parse(const char *text, struct experiment **out, size_t *nerr)
{
	struct vctx v;
	struct experiment *e;
	char *all;

	vctx_init(&v, "exp.json", NULL);
	e = experiment_parse(text, strlen(text), &lim, &v);
	all = vctx_format(&v);
	if (nerr)
		*nerr = v.n;
	vctx_fini(&v);
	if (out)
		*out = e;
	else
		experiment_free(e);
	return all;
}

/* Assert that parsing text fails and that the errors contain want (a whole line). */
static void expect_error(const char *text, const char *want)
{
	struct experiment *e = NULL;
	char *all = parse(text, &e, NULL);

	if (!strstr(all, want)) {
		print_error("expected error line:\n  %s\ngot:\n%s\n", want, all);
		fail();
	}
	assert_null(e);
	free(all);
}

#define FAULT_OK "{\"name\":\"p\",\"type\":\"process.pause\",\"target\":{\"pid\":4242},\"duration\":\"1s\"}"

static void test_valid_with_defaults(void **state)
{
	struct experiment *e = NULL;
	size_t n;
	char *all = parse("{\"version\":1,\"title\":\"t\",\"faults\":[" FAULT_OK "]}", &e, &n);

	assert_int_equal(n, 0);
	assert_string_equal(all, "");
	assert_non_null(e);
	assert_string_equal(e->title, "t");
	assert_int_equal(e->nfaults, 1);
	assert_int_equal(e->nprobes, 0);
	assert_true(e->before_ratio == 1.0 && e->during_ratio == 1.0 && e->after_ratio == 1.0);
	assert_int_equal(e->after_within, 30 * NSEC_PER_SEC);
	assert_int_equal(e->max_duration, AGENT_DEFAULT_MAX_DURATION);
	assert_int_equal(e->method_duration, NSEC_PER_SEC);
	experiment_free(e);
	free(all);
}

static void test_full_example(void **state)
{
	const char *text =
		"{\"version\":1,\"title\":\"Checkout\",\"description\":\"d\",\"tags\":[\"gameday\"],\n"
		" \"hypothesis\":{\"probes\":[{\"name\":\"checkout\",\"type\":\"http\",\n"
		"   \"url\":\"http://127.0.0.1:8080/health\",\"method\":\"GET\",\n"
		"   \"headers\":{\"Accept\":\"text/plain\"},\"timeout\":\"1s\",\"interval\":\"500ms\",\n"
		"   \"expect\":{\"status\":[200],\"body_contains\":\"ok\",\"max_latency\":\"300ms\"}}],\n"
		"  \"before\":{\"duration\":\"3s\",\"min_success_ratio\":1.0},\n"
		"  \"during\":{\"min_success_ratio\":0.9},\n"
		"  \"after\":{\"within\":\"30s\",\"min_success_ratio\":1.0}},\n"
		" \"faults\":[{\"name\":\"pause-worker\",\"type\":\"process.pause\",\n"
		"   \"target\":{\"name\":\"worker\",\"select\":\"all\"},\"start_after\":\"2s\",\"duration\":\"20s\"},\n"
		"  {\"name\":\"kill-worker\",\"type\":\"process.kill\",\"target\":{\"name\":\"worker\"},\n"
		"   \"signal\":\"KILL\",\"interval\":\"5s\",\"duration\":\"20s\"}],\n"
		" \"safety\":{\"abort_when\":[{\"probe\":\"checkout\",\"consecutive_failures\":3},\n"
		"   {\"probe\":\"checkout\",\"failure_ratio_above\":0.5,\"window\":\"10s\"}],\n"
		"  \"max_duration\":\"10m\"}}";
	struct experiment *e = NULL;
	size_t n;
	char *all = parse(text, &e, &n);

	if (n)
		print_error("%s", all);
	assert_int_equal(n, 0);
	assert_non_null(e);
	assert_int_equal(e->nprobes, 1);
	assert_int_equal(e->probes[0].interval, 500 * NSEC_PER_MSEC);
	assert_int_equal(e->before_duration, 3 * NSEC_PER_SEC);
	assert_true(e->during_ratio == 0.9);
	assert_int_equal(e->nrules, 2);
	assert_int_equal(e->rules[0].kind, RULE_CONSECUTIVE_FAILURES);
	assert_int_equal(e->rules[0].count, 3);
	assert_int_equal(e->rules[1].kind, RULE_FAILURE_RATIO);
	assert_int_equal(e->rules[1].window, 10 * NSEC_PER_SEC);
	assert_int_equal(e->rules[1].min_samples, 3);
	assert_int_equal(e->max_duration, 600 * NSEC_PER_SEC);
	assert_int_equal(e->method_duration, 22 * NSEC_PER_SEC);
	assert_int_equal(e->faults[1].tick_ns, 5 * NSEC_PER_SEC);
	experiment_free(e);
	free(all);
}

static void test_syntax_error(void **state)
{
	expect_error("{\n  \"version\": 1,\n  \"title\": \"t\",,\n}", "exp.json:3:16: $: ");
}

static void test_duplicate_keys(void **state)
{
	/* Every duplicate is reported, at the second key, with its path. */
	const char *text = "{\"version\":1,\n \"title\":\"a\",\n \"title\":\"b\",\n \"faults\":[{\"name\":\"p\","
			   "\n  \"name\":\"q\"}]}";
	size_t n;
	char *all = parse(text, NULL, &n);

	assert_non_null(strstr(all, "exp.json:3:2: $.title: duplicate key 'title'\n"));
	assert_non_null(strstr(all, "exp.json:5:3: $.faults[0].name: duplicate key 'name'\n"));
	assert_int_equal(n, 2);
	free(all);
}

static void test_unknown_keys(void **state)
{
	const char *text = "{\"version\":1,\"title\":\"t\",\"bogus\":1,\n"
			   "\"faults\":[{\"name\":\"p\",\"type\":\"process.pause\",\"duration\":\"1s\",\n"
			   "  \"target\":{\"pid\":1, \"pidd\":2}}]}";
	size_t n;
	char *all = parse(text, NULL, &n);

	assert_non_null(strstr(all, "exp.json:1:26: $.bogus: unknown key 'bogus'\n"));
	assert_non_null(strstr(all, "exp.json:3:22: $.faults[0].target.pidd: unknown key 'pidd'\n"));
	free(all);
}

static void test_wrong_type(void **state)
{
	expect_error("{\"version\":1,\"title\":5,\"faults\":[" FAULT_OK "]}",
		     "exp.json:1:22: $.title: expected a string, got an integer\n");
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":{}}",
		     "exp.json:1:35: $.faults: expected an array of faults\n");
}

static void test_out_of_range(void **state)
{
	expect_error("{\"version\":1,\"title\":\"t\",\"hypothesis\":{\"during\":{\"min_success_ratio\":1.5}},"
		     "\"faults\":[" FAULT_OK "]}",
		     "exp.json:1:70: $.hypothesis.during.min_success_ratio: 1.5 is out of range 0..1\n");
	expect_error("{\"version\":2,\"title\":\"t\",\"faults\":[" FAULT_OK "]}",
		     "exp.json:1:12: $.version: unsupported version 2 (this faultline reads version 1)\n");
}

static void test_unknown_kinds(void **state)
{
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":[{\"name\":\"x\",\"type\":\"disk.melt\"}]}",
		     "exp.json:1:55: $.faults[0].type: unknown fault type 'disk.melt' (known: ");
	expect_error("{\"version\":1,\"title\":\"t\",\"hypothesis\":{\"probes\":[{\"name\":\"x\",\"type\":\"ping\"}]},"
		     "\"faults\":[" FAULT_OK "]}",
		     "exp.json:1:69: $.hypothesis.probes[0].type: unknown probe type 'ping' (known: http, tcp, process, prometheus, command)\n");
}

static void test_rule_names_missing_probe(void **state)
{
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":[" FAULT_OK "],\n"
		     "\"safety\":{\"abort_when\":[{\"probe\":\"nope\",\"consecutive_failures\":3}]}}",
		     "exp.json:2:34: $.safety.abort_when[0].probe: no probe named 'nope' in "
		     "$.hypothesis.probes\n");
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":[" FAULT_OK "],\n"
		     "\"hypothesis\":{\"probes\":[{\"name\":\"w\",\"type\":\"http\",\"url\":\"http://127.0.0.1/\"}]},\n"
		     "\"safety\":{\"abort_when\":[{\"probe\":\"w\"}]}}",
		     "exp.json:3:25: $.safety.abort_when[0]: a rule needs exactly one of "
		     "'consecutive_failures', 'failure_ratio_above', 'latency_p95_above', "
		     "'latency_p99_above', 'value_above', 'value_below' or 'budget_burn_above'\n");
}

static void test_value_rule_on_unknown_probe(void **state)
{
	/* Found by fuzz_experiment: a value rule on a probe whose type is unknown. */
	size_t n;
	char *all = parse("{\"version\":1,\"title\":\"t\",\"faults\":[" FAULT_OK "],"
			  "\"hypothesis\":{\"probes\":[{\"name\":\"b\",\"type\":\"nope\"}]},"
			  "\"safety\":{\"abort_when\":[{\"probe\":\"b\",\"value_above\":1}]}}",
			  NULL, &n);

	assert_non_null(strstr(all, "unknown probe type 'nope'"));
	free(all);
	all = parse("{\"version\":1,\"title\":\"t\",\"faults\":[" FAULT_OK "],"
		    "\"hypothesis\":{\"probes\":[{\"name\":\"w\",\"type\":\"tcp\",\"host\":\"127.0.0.1\",\"port\":1}]},"
		    "\"safety\":{\"abort_when\":[{\"probe\":\"w\",\"value_above\":1}]}}",
		    NULL, &n);
	assert_non_null(strstr(all, "probe 'w' (tcp) has no numeric value"));
	free(all);
}

static void test_missing_required(void **state)
{
	size_t n;
	char *all = parse("{\"version\":1}", NULL, &n);

	assert_non_null(strstr(all, "exp.json:1:1: $: missing required key 'title'\n"));
	assert_non_null(strstr(all, "exp.json:1:1: $: missing required key 'faults'\n"));
	assert_int_equal(n, 2);
	free(all);
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":[]}",
		     "exp.json:1:35: $.faults: at least one fault is required\n");
}

static void test_bad_durations(void **state)
{
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":[{\"name\":\"p\",\"type\":\"process.pause\","
		     "\"target\":{\"pid\":4242},\"duration\":\"10\"}]}",
		     "$.faults[0].duration: invalid duration '10' (use a number and ns, us, ms, s, m or h)\n");
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":[{\"name\":\"p\",\"type\":\"process.pause\","
		     "\"target\":{\"pid\":4242},\"duration\":\"99999999999999999999h\"}]}",
		     "$.faults[0].duration: duration '99999999999999999999h' is too large\n");
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":[{\"name\":\"p\",\"type\":\"process.pause\","
		     "\"target\":{\"pid\":4242},\"duration\":\"5000000h\"}]}",
		     "$.faults[0].duration: duration '5000000h' is out of range 1ms..24h\n");
}

static void test_all_errors_reported(void **state)
{
	/* Four independent problems: all four come back, in document order. */
	const char *text = "{\"version\":1,\"title\":\"\",\"oops\":true,\n"
			   "\"faults\":[{\"name\":\"bad name\",\"type\":\"process.kill\",\"target\":{\"pid\":0},"
			   "\"signal\":\"NOPE\"}]}";
	size_t n;
	char *all = parse(text, NULL, &n);

	assert_true(n >= 4);
	assert_non_null(strstr(all, "$.title: title must be 1 to 200 characters"));
	assert_non_null(strstr(all, "$.oops: unknown key 'oops'"));
	assert_non_null(strstr(all, "$.faults[0].name: invalid name 'bad name'"));
	assert_non_null(strstr(all, "$.faults[0].signal"));
	free(all);
}

static void test_hostile_bytes(void **state)
{
	const char nul[] = "{\"version\":1,\n\"title\":\"a\0b\"}";
	struct vctx v;
	struct experiment *e;
	char *all, deep[4096];
	size_t o = 0;

	vctx_init(&v, "exp.json", NULL);
	e = experiment_parse(nul, sizeof(nul) - 1, &lim, &v);
	assert_null(e);
	all = vctx_format(&v);
	assert_string_equal(all, "exp.json:2:11: $: NUL byte in input\n");
	free(all);
	vctx_fini(&v);

	expect_error("{\"version\":1,\"title\":\"\xff\"}", "exp.json:1:");

	for (int i = 0; i < 200; i++)
		deep[o++] = '[';
	for (int i = 0; i < 200; i++)
		deep[o++] = ']';
	deep[o] = '\0';
	/* At the bracket that went one level too deep (column 65), with its path. */
	expect_error(deep, "exp.json:1:65: $[0][0]");
	expect_error(deep, "[0][0]: nesting deeper than 64 levels\n");
}

static void test_names_and_timing(void **state)
{
	expect_error("{\"version\":1,\"title\":\"t\",\"faults\":[" FAULT_OK ",\n" FAULT_OK "]}",
		     "exp.json:2:9: $.faults[1].name: duplicate fault name 'p' (also $.faults[0])\n");
	expect_error("{\"version\":1,\"title\":\"t\",\"safety\":{\"max_duration\":\"10s\"},\"faults\":["
		     "{\"name\":\"p\",\"type\":\"process.pause\",\"target\":{\"pid\":4242},"
		     "\"start_after\":\"5s\",\"duration\":\"6s\"}]}",
		     "$.faults[0].duration: fault ends at 11s, after the maximum duration 10s\n");
	expect_error("{\"version\":1,\"title\":\"t\",\"safety\":{\"max_duration\":\"2h\"},\"faults\":[" FAULT_OK "]}",
		     "$.safety.max_duration: exceeds the agent's limit of 1h\n");
}

static void test_units(void **state)
{
	uint64_t v;
	char buf[32];

	assert_int_equal(parse_duration("250ms", &v), 0);
	assert_int_equal(v, 250 * NSEC_PER_MSEC);
	assert_int_equal(parse_duration("1.5s", &v), 0);
	assert_int_equal(v, 1500 * NSEC_PER_MSEC);
	assert_int_equal(parse_duration("0.1s", &v), 0);
	assert_int_equal(v, 100 * NSEC_PER_MSEC);
	assert_int_equal(parse_duration("5m", &v), 0);
	assert_int_equal(v, 300 * NSEC_PER_SEC);
	assert_int_equal(parse_duration("1h", &v), 0);
	assert_int_equal(v, 3600 * NSEC_PER_SEC);
	assert_int_equal(parse_duration("10", &v), -EINVAL);
	assert_int_equal(parse_duration("", &v), -EINVAL);
	assert_int_equal(parse_duration("s", &v), -EINVAL);
	assert_int_equal(parse_duration("-1s", &v), -EINVAL);
	assert_int_equal(parse_duration("1s ", &v), -EINVAL);
	assert_int_equal(parse_duration("10 s", &v), -EINVAL);
	assert_int_equal(parse_duration("1d", &v), -EINVAL);
	assert_int_equal(parse_duration("18446744073709551616ns", &v), -ERANGE);
	assert_int_equal(parse_duration("6000000000h", &v), -ERANGE);
	assert_int_equal(parse_size("512MiB", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(parse_size("2GB", &v), 0);
	assert_int_equal(v, 2000000000ULL);
	assert_int_equal(parse_size("1.5GiB", &v), 0);
	assert_int_equal(v, 3ULL << 29);
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("1XB", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999TiB", &v), -ERANGE);
	fmt_duration(1500 * NSEC_PER_MSEC, buf, sizeof(buf));
	assert_string_equal(buf, "1500ms");
	fmt_duration(3600 * NSEC_PER_SEC, buf, sizeof(buf));
	assert_string_equal(buf, "1h");
	fmt_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_with_defaults),
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_unknown_kinds),
		cmocka_unit_test(test_rule_names_missing_probe),
		cmocka_unit_test(test_value_rule_on_unknown_probe),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_bad_durations),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_names_and_timing),
		cmocka_unit_test(test_units),
	};

	return cmocka_run_group_tests_name("experiment", tests, NULL, NULL);
}
