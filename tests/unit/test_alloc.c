// SPDX-License-Identifier: MIT
/*
 * The parsers under allocation failure, as jansson's own test suite does it: jansson's
 * allocator is replaced by one that fails the Nth allocation, for every N from 1 until a
 * parse completes without reaching a failure.  Each parse must return NULL (with or without
 * an error recorded) or a complete result, and must neither crash nor leak: the ASan build
 * of this test (tests/run.sh, detect_leaks=1) checks the leaks.
 */
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
#include "proto.h"
#include "units.h"

static unsigned long alloc_calls, alloc_fail_at;
static bool alloc_failed;

static void *failing_malloc(size_t n)
{
	if (++alloc_calls == alloc_fail_at) {
		alloc_failed = true;
		return NULL;
	}
	return malloc(n);
}

static void failing_free(void *p)
{
	free(p);
}

/* Fail the Nth jansson allocation from now on (0: never). */
static void fail_at(unsigned long n)
{
	alloc_calls = 0;
	alloc_fail_at = n;
	alloc_failed = false;
}

static int setup(void **state)
{
	json_set_alloc_funcs(failing_malloc, failing_free);
	return 0;
}

static int teardown(void **state)
{
	fail_at(0);
	json_set_alloc_funcs(malloc, free);
	return 0;
}

static const struct experiment_limits lim = { .max_duration = AGENT_DEFAULT_MAX_DURATION };

/* Every probe kind, every rule kind, every fault kind but network, and a schedule. */
static const char full_experiment[] =
	"{\"version\":1,\"title\":\"everything\",\"description\":\"d\",\"tags\":[\"a\",\"b\"],"
	"\"hypothesis\":{\"probes\":["
	"{\"name\":\"web\",\"type\":\"http\",\"url\":\"http://127.0.0.1:8080/health\","
	"\"method\":\"POST\",\"headers\":{\"X-A\":\"1\"},\"body\":\"x\",\"timeout\":\"300ms\","
	"\"interval\":\"100ms\",\"expect\":{\"status\":[200,204],\"body_contains\":\"ok\","
	"\"max_latency\":\"200ms\"}},"
	"{\"name\":\"db\",\"type\":\"tcp\",\"host\":\"::1\",\"port\":5432},"
	"{\"name\":\"workers\",\"type\":\"process\",\"target\":{\"name\":\"worker\","
	"\"cmdline\":\"^worker \"},\"min_count\":1,\"max_count\":4},"
	"{\"name\":\"errors\",\"type\":\"prometheus\",\"url\":\"http://10.0.0.5:9090\","
	"\"query\":\"sum(rate(x[1m]))\",\"expect\":{\"between\":[0,1]}}],"
	"\"before\":{\"duration\":\"1s\",\"min_success_ratio\":0.9},"
	"\"during\":{\"min_success_ratio\":0.5},"
	"\"after\":{\"within\":\"10s\",\"duration\":\"1s\",\"min_success_ratio\":0.9}},"
	"\"faults\":["
	"{\"name\":\"p\",\"type\":\"process.pause\",\"target\":{\"pid\":4242,"
	"\"select\":{\"count\":2}},\"start_after\":\"1s\",\"duration\":\"2s\"},"
	"{\"name\":\"k\",\"type\":\"process.kill\",\"target\":{\"cmdline\":\"^w\","
	"\"select\":{\"percent\":50}},\"signal\":\"SIGTERM\",\"interval\":\"1s\","
	"\"duration\":\"3s\"},"
	"{\"name\":\"c\",\"type\":\"cpu.stress\",\"load\":50,\"cores\":[0],\"duration\":\"1s\"},"
	"{\"name\":\"m\",\"type\":\"memory.stress\",\"size\":\"64MiB\",\"ramp\":\"1s\","
	"\"duration\":\"2s\"},"
	"{\"name\":\"d\",\"type\":\"disk.fill\",\"path\":\"/tmp\",\"fill_to_percent\":50,"
	"\"floor_percent\":5,\"duration\":\"2s\"},"
	"{\"name\":\"i\",\"type\":\"io.stress\",\"path\":\"/tmp\",\"workers\":2,"
	"\"mode\":\"mixed\",\"block_size\":\"64KiB\",\"file_size\":\"1MiB\",\"duration\":\"2s\"}],"
	"\"safety\":{\"abort_when\":["
	"{\"probe\":\"web\",\"consecutive_failures\":3},"
	"{\"probe\":\"web\",\"failure_ratio_above\":0.5,\"window\":\"10s\",\"min_samples\":5},"
	"{\"probe\":\"web\",\"latency_p95_above\":\"800ms\",\"window\":\"30s\"},"
	"{\"probe\":\"web\",\"latency_p99_above\":\"900ms\",\"window\":\"30s\"},"
	"{\"probe\":\"errors\",\"value_above\":2},"
	"{\"probe\":\"workers\",\"value_below\":1},"
	"{\"probe\":\"web\",\"budget_burn_above\":0.5,\"slo\":0.99,\"window\":\"5m\"}],"
	"\"max_duration\":\"1m\"},"
	"\"schedule\":{\"not_before\":\"2020-01-01T00:00:00Z\","
	"\"windows\":[\"* 00:00-24:00 UTC\",\"Mon-Fri,Sun 22:00-02:00 UTC\"]}}";

/* Many errors at once: the error paths allocate too. */
static const char bad_experiment[] =
	"{\"version\":2,\"title\":\"\",\"bogus\":1,\"hypothesis\":{\"probes\":["
	"{\"name\":\"web\",\"type\":\"http\",\"url\":\"ftp://x\",\"interval\":\"1ns\"},"
	"{\"name\":\"web\",\"type\":\"nope\"}]},"
	"\"faults\":[{\"name\":\"p\",\"type\":\"process.pause\",\"target\":{},"
	"\"duration\":\"99999999999h\"},{\"name\":\"c\",\"type\":\"cpu.stress\",\"load\":0}],"
	"\"safety\":{\"abort_when\":[{\"probe\":\"none\",\"value_above\":1}]}}";

/* Returns true when the parse reached no allocation failure (the loop may stop). */
static bool parse_once(const char *text, bool want_valid)
{
	struct experiment *e;
	struct vctx v;
	char *all;
	json_t *errs;

	vctx_init(&v, "exp.json", NULL);
	e = experiment_parse(text, strlen(text), &lim, &v);
	/* What faultctl and the agent do with the errors: format them, turn them into JSON. */
	all = vctx_format(&v);
	errs = vctx_to_json(&v);
	if (!alloc_failed) {
		if (want_valid && !e) {
			print_error("a parse that reached no allocation failure failed:\n%s\n",
				    all ? all : "");
			fail();
		}
		if (!want_valid && (e || !v.n))
			fail_msg("an invalid experiment parsed without errors");
	}
	free(all);
	json_decref(errs);
	experiment_free(e);
	vctx_fini(&v);
	return !alloc_failed;
}

static void alloc_loop(const char *text, bool want_valid)
{
	unsigned long n;

	for (n = 1; n < 1000000; n++) {
		fail_at(n);
		if (parse_once(text, want_valid))
			break;
	}
	fail_at(0);
	print_message("failed each of %lu allocation points in turn\n", n - 1);
	assert_true(n > 1); /* jansson was in use at all */
	assert_true(n < 1000000);
}

static void test_experiment_valid(void **state)
{
	alloc_loop(full_experiment, true);
}

static void test_experiment_invalid(void **state)
{
	alloc_loop(bad_experiment, false);
}

static void test_proto_requests(void **state)
{
	static const char *const reqs[] = {
		"{\"proto\":1,\"cmd\":\"status\",\"run\":\"0123456789ab\"}",
		"{\"proto\":1,\"cmd\":\"run\",\"file\":\"x.json\",\"text\":\"{}\",\"dry_run\":true,"
		"\"lease_ms\":1000,\"start_at_ms\":1}",
		"{\"proto\":1,\"cmd\":\"abort\",\"all\":true}",
		"{\"proto\":1,\"cmd\":\"renew\",\"run\":\"0123456789ab\",\"lease_ms\":5000}",
		"{\"proto\":1,\"cmd\":\"format-disk\"}",
		"[1,2,3]",
	};

	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++) {
		unsigned long n;

		for (n = 1; n < 100000; n++) {
			struct proto_req req;
			char err[256];

			fail_at(n);
			(void)proto_parse_request(reqs[i], strlen(reqs[i]), &req, err, sizeof(err));
			proto_req_fini(&req);
			if (!alloc_failed)
				break;
		}
		fail_at(0);
		assert_true(n < 100000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_experiment_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_experiment_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proto_requests, setup, teardown),
	};

	return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
