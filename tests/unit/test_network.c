// SPDX-License-Identifier: MIT
/*
 * The network fault's parsing and units: netem's cross-field rules, targets, CIDRs (IPv4 and
 * IPv6), ports, percent to the kernel's u32 fraction, tc's rate units, and netem's delay
 * distribution tables (compared with iproute2's files when they are installed).
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

#include "agent_limits.h"
#include "experiment.h"
#include "net/netspec.h"
#include "util.h"
#include "validate.h"

#define PATH "$.faults[0]"

/* Parse a fault object; returns the formatted errors (caller frees). */
static char *parse(const char *text, struct net_spec *s, int *ret)
{
	struct vctx v;
	json_t *j;
	char *all;
	int r = -EINVAL;

	vctx_init(&v, "t.json", NULL);
	j = vjson_load(&v, text, strlen(text));
	if (j)
		r = net_spec_parse(s, j, PATH, &v);
	all = vctx_format(&v);
	json_decref(j);
	vctx_fini(&v);
	if (ret)
		*ret = r;
	return all;
}

static void expect_error(const char *text, const char *want)
{
	struct net_spec s;
	char *all;
	int r;

	all = parse(text, &s, &r);
	if (r == 0 || !strstr(all, want)) {
		print_error("for %s\nexpected an error containing:\n  %s\ngot (r=%d):\n%s\n", text,
			    want, r, all);
		free(all);
		if (r == 0)
			net_spec_free(&s);
		fail();
	}
	free(all);
}

static void expect_ok(const char *text, struct net_spec *s)
{
	char *all;
	int r;

	all = parse(text, s, &r);
	if (r != 0) {
		print_error("for %s\nexpected no error, got:\n%s\n", text, all);
		free(all);
		fail();
	}
	assert_string_equal(all, "");
	free(all);
}

#define T(extra) "{\"target\":{\"interface\":\"eth0\"" extra "}"
#define F(target, rest) "{\"name\":\"n\",\"type\":\"network\",\"target\":" target rest "}"

/* ---- units ------------------------------------------------------------------------------- */

static void test_percent(void **state)
{
	assert_int_equal(net_percent_to_u32(0), 0);
	assert_int_equal(net_percent_to_u32(-1), 0);
	assert_int_equal(net_percent_to_u32(100), UINT32_MAX);
	assert_int_equal(net_percent_to_u32(150), UINT32_MAX);
	assert_int_equal(net_percent_to_u32(50), 2147483648u);
	assert_int_equal(net_percent_to_u32(30), 1288490188u);
	assert_int_equal(net_percent_to_u32(12.5), 536870912u);
	assert_int_equal(net_percent_to_u32(1e-12), 0);
	assert_int_equal(net_percent_to_u32(0.0001), 4295u);
}

static void rate_is(const char *s, uint64_t want)
{
	uint64_t got = 0;
	int r = net_parse_rate(s, &got);

	if (r != 0 || got != want) {
		print_error("rate '%s': r=%d got %llu want %llu\n", s, r, (unsigned long long)got,
			    (unsigned long long)want);
		fail();
	}
}

static void test_rate(void **state)
{
	uint64_t v;
	char buf[32];

	rate_is("10mbit", 1250000);
	rate_is("1gbit", 125000000);
	rate_is("100kbit", 12500);
	rate_is("1000bps", 1000);
	rate_is("1.5MBps", 1500000);
	rate_is("64kibit", 8192);
	rate_is("10MBIT", 1250000);
	rate_is("8bit", 1);
	rate_is("100gbit", 12500000000ull);
	rate_is("2.5gibit", 335544320);
	assert_int_equal(net_parse_rate("10", &v), -EINVAL);
	assert_int_equal(net_parse_rate("mbit", &v), -EINVAL);
	assert_int_equal(net_parse_rate("10 mbit", &v), -EINVAL);
	assert_int_equal(net_parse_rate("1.mbit", &v), -EINVAL);
	assert_int_equal(net_parse_rate("-1mbit", &v), -EINVAL);
	assert_int_equal(net_parse_rate("10mbits", &v), -EINVAL);
	assert_int_equal(net_parse_rate("", &v), -EINVAL);
	assert_int_equal(net_parse_rate("4bit", &v), -ERANGE);
	assert_int_equal(net_parse_rate("99999999999999999999999tbps", &v), -ERANGE);

	net_rate_format(1250000, buf, sizeof(buf));
	assert_string_equal(buf, "10mbit");
	net_rate_format(125000000, buf, sizeof(buf));
	assert_string_equal(buf, "1gbit");
	net_rate_format(12500, buf, sizeof(buf));
	assert_string_equal(buf, "100kbit");
	net_rate_format(1000, buf, sizeof(buf));
	assert_string_equal(buf, "8kbit");
	net_rate_format(1, buf, sizeof(buf));
	assert_string_equal(buf, "8bit");
}

static void cidr_is(const char *s, int family, int len, const char *formatted)
{
	struct net_cidr c;
	char buf[64];

	if (net_parse_cidr(s, &c) != 0) {
		print_error("CIDR '%s' rejected\n", s);
		fail();
	}
	assert_int_equal(c.family, family);
	assert_int_equal(c.len, len);
	net_cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, formatted);
}

static void test_cidr(void **state)
{
	struct net_cidr c;

	cidr_is("10.0.0.0/24", 4, 24, "10.0.0.0/24");
	cidr_is("10.1.2.3", 4, 32, "10.1.2.3/32");
	cidr_is("0.0.0.0/0", 4, 0, "0.0.0.0/0");
	cidr_is("192.168.128.0/17", 4, 17, "192.168.128.0/17");
	cidr_is("2001:db8::/64", 6, 64, "2001:db8::/64");
	cidr_is("2001:DB8:0:0:0:0:0:1", 6, 128, "2001:db8::1/128");
	cidr_is("::/0", 6, 0, "::/0");
	cidr_is("fd00:1::/33", 6, 33, "fd00:1::/33");
	assert_int_equal(net_parse_cidr("10.0.0.1/24", &c), -EDOM);
	assert_int_equal(net_parse_cidr("2001:db8::1/64", &c), -EDOM);
	assert_int_equal(net_parse_cidr("192.168.129.0/17", &c), -EDOM);
	assert_int_equal(net_parse_cidr("10.0.0.0/33", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("2001:db8::/129", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("10.0.0.0/", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("10.0.0.0/24x", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("10.0.0.0/-1", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("10.0.0/24", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("/24", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("fe80::1%eth0", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("example.com", &c), -EINVAL);
	assert_int_equal(net_parse_cidr("", &c), -EINVAL);
}

/* Compare a generated table with iproute2's file of the same name, when installed. */
static void compare_dist(enum net_dist d, const char *file)
{
	static const char *const dirs[] = { "/usr/lib/x86_64-linux-gnu/tc", "/usr/lib/tc",
					    "/usr/lib64/tc", "/usr/share/tc" };
	char path[256], line[512];
	int16_t *t = NULL;
	size_t n = 0, k = 0;
	FILE *fp = NULL;

	assert_int_equal(net_dist_table(d, &t, &n), 0);
	assert_int_equal(n, 4096);
	for (size_t i = 0; !fp && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], file);
		fp = fopen(path, "r");
	}
	if (!fp) {
		free(t);
		print_message("no iproute2 %s to compare with: checked the size only\n", file);
		return;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *p = line, *end;

		if (line[0] == '#')
			continue;
		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			assert_true(k < n);
			if (t[k] != v) {
				print_error("%s entry %zu: %d, iproute2 has %ld\n", file, k, t[k], v);
				fail();
			}
			k++;
			p = end;
		}
	}
	fclose(fp);
	assert_int_equal(k, n);
	free(t);
}

static void test_dist_tables(void **state)
{
	int16_t *t = (int16_t *)1;
	size_t n = 1;

	assert_int_equal(net_dist_table(NET_DIST_UNIFORM, &t, &n), 0);
	assert_null(t);
	assert_int_equal(n, 0);
	compare_dist(NET_DIST_NORMAL, "normal.dist");
	compare_dist(NET_DIST_PARETO, "pareto.dist");
	compare_dist(NET_DIST_PARETONORMAL, "paretonormal.dist");
}

/* ---- validation --------------------------------------------------------------------------- */

static void test_full_example(void **state)
{
	struct net_spec s;
	const char *text =
		"{\"name\":\"db-slow\",\"type\":\"network\",\n"
		" \"target\":{\"interface\":\"eth0\",\"netns\":\"blue\",\"direction\":\"both\",\n"
		"   \"destinations\":[\"10.0.0.0/24\",\"2001:db8::/64\"],\"sources\":[],\n"
		"   \"ports\":[5432,\"8000-8002\",5432],\"source_ports\":[],\"protocol\":\"tcp\",\n"
		"   \"exclude\":{\"destinations\":[\"10.0.0.7\"],\"ports\":[22]}},\n"
		" \"delay\":\"100ms\",\"jitter\":\"10ms\",\"correlation\":25,\"distribution\":\"normal\",\n"
		" \"loss\":5,\"loss_correlation\":0,\"corrupt\":0,\"duplicate\":0,\n"
		" \"reorder\":0,\"reorder_gap\":0,\"rate\":\"10mbit\",\"limit\":1000,\"engine\":\"auto\",\n"
		" \"duration\":\"60s\"}";

	/* The example, every key as given (zeros are netem's "off"). */
	expect_ok(text, &s);
	assert_string_equal(s.ifname, "eth0");
	assert_string_equal(s.netns_name, "blue");
	assert_int_equal(s.dirs, NET_BOTH);
	assert_int_equal(s.proto, 6);
	assert_int_equal(s.dst.n, 2);
	assert_int_equal(s.dst.v[1].family, 6);
	assert_int_equal(s.src.n, 0);
	assert_int_equal(s.dport.n, 4);
	assert_int_equal(s.dport.v[0], 5432);
	assert_int_equal(s.dport.v[1], 8000);
	assert_int_equal(s.dport.v[3], 8002);
	assert_int_equal(s.xdst.n, 1);
	assert_int_equal(s.xdst.v[0].len, 32);
	assert_int_equal(s.xdport.n, 1);
	assert_int_equal(s.delay, 100 * NSEC_PER_MSEC);
	assert_int_equal(s.jitter, 10 * NSEC_PER_MSEC);
	assert_true(s.correlation == 25);
	assert_int_equal(s.dist, NET_DIST_NORMAL);
	assert_true(s.loss == 5);
	assert_int_equal(s.rate, 1250000);
	assert_int_equal(s.limit, 1000);
	assert_int_equal(s.engine, NET_ENGINE_AUTO);
	assert_int_equal(s.reorder_gap, 0);
	assert_false(s.allow_ssh);
	assert_true(net_spec_needs_netem(&s, NULL));
	net_spec_free(&s);

	/* Zeros need nothing; non-zero values need their base. */
	expect_ok(T("") ",\"loss\":1,\"loss_correlation\":0,\"correlation\":0,\"reorder_gap\":0}",
		  &s);
	net_spec_free(&s);
}

static void test_defaults(void **state)
{
	struct net_spec s;
	const char *what = "x";

	expect_ok(T("") ",\"loss\":30}", &s);
	assert_int_equal(s.dirs, NET_EGRESS);
	assert_int_equal(s.proto, 0);
	assert_null(s.netns_name);
	assert_int_equal(s.netns_pid, 0);
	assert_int_equal(s.engine, NET_ENGINE_AUTO);
	assert_false(net_spec_needs_netem(&s, &what));
	assert_null(what);
	net_spec_free(&s);

	expect_ok(T(",\"netns\":{\"pid\":1234},\"allow_ssh\":true") ",\"blackhole\":true}", &s);
	assert_int_equal(s.netns_pid, 1234);
	assert_true(s.allow_ssh);
	assert_true(s.blackhole);
	net_spec_free(&s);

	expect_ok(T("") ",\"corrupt\":1,\"engine\":\"bpf\"}", &s);
	assert_int_equal(s.engine, NET_ENGINE_BPF);
	net_spec_free(&s);

	expect_ok(T("") ",\"delay\":\"1ms\",\"reorder\":25}", &s);
	assert_true(net_spec_needs_netem(&s, &what));
	assert_string_equal(what, "delay");
	net_spec_free(&s);
}

static void test_netem_rules(void **state)
{
	expect_error(T("") ",\"jitter\":\"10ms\"}", "$.faults[0].jitter: requires 'delay'");
	expect_error(T("") ",\"delay\":\"0s\",\"jitter\":\"10ms\"}",
		     "$.faults[0].jitter: requires 'delay'");
	expect_error(T("") ",\"delay\":\"10ms\",\"correlation\":25}",
		     "$.faults[0].correlation: requires 'jitter'");
	expect_error(T("") ",\"delay\":\"10ms\",\"distribution\":\"normal\"}",
		     "$.faults[0].distribution: requires 'delay' and 'jitter'");
	expect_error(T("") ",\"loss\":0,\"loss_correlation\":25,\"delay\":\"1ms\"}",
		     "$.faults[0].loss_correlation: requires 'loss'");
	expect_error(T("") ",\"reorder\":25,\"loss\":1}", "$.faults[0].reorder: requires 'delay'");
	expect_error(T("") ",\"delay\":\"10ms\",\"reorder_gap\":5}",
		     "$.faults[0].reorder_gap: requires 'reorder'");
	expect_error(T("") ",\"delay\":\"1ms\",\"distribution\":\"gauss\",\"jitter\":\"1ms\"}",
		     "$.faults[0].distribution: must be");
	expect_error(T("") ",\"blackhole\":true,\"loss\":5}",
		     "$.faults[0].loss: 'blackhole' drops every matching packet; it takes no 'loss'");
	expect_error(T("") "}", "$.faults[0]: no impairment");
	expect_error(T("") ",\"limit\":10}", "$.faults[0]: no impairment");
	expect_error(T("") ",\"blackhole\":false}", "$.faults[0]: no impairment");
	expect_error(T("") ",\"loss\":101}", "$.faults[0].loss: 101 is out of range 0..100");
	expect_error(T("") ",\"loss\":\"5%\"}", "$.faults[0].loss: expected a number");
	expect_error(T("") ",\"delay\":100}", "$.faults[0].delay: expected a duration string");
	expect_error(T("") ",\"rate\":\"10\"}", "$.faults[0].rate: invalid rate '10'");
	expect_error(T("") ",\"rate\":\"2bit\"}", "$.faults[0].rate: rate '2bit' is out of range");
	expect_error(T("") ",\"limit\":0,\"delay\":\"1ms\"}", "$.faults[0].limit: 0 is out of range");
	expect_error(T("") ",\"delay\":\"1ms\",\"reorder\":5,\"reorder_gap\":-1}",
		     "$.faults[0].reorder_gap: -1 is out of range");
	expect_error(T("") ",\"engine\":\"tc\",\"loss\":1}", "$.faults[0].engine: must be");
	expect_error(T("") ",\"engine\":\"bpf\",\"delay\":\"10ms\"}",
		     "$.faults[0].delay: engine \"bpf\" does loss, corrupt and blackhole only; "
		     "'delay' needs netem");
	expect_error(T("") ",\"engine\":\"bpf\",\"loss\":5,\"loss_correlation\":5}",
		     "$.faults[0].loss_correlation: engine \"bpf\" does loss, corrupt and "
		     "blackhole only");
}

static void test_target_rules(void **state)
{
	expect_error("{\"loss\":1}", "$.faults[0]: missing required key 'target'");
	expect_error("{\"target\":{},\"loss\":1}",
		     "$.faults[0].target: missing required key 'interface'");
	expect_error("{\"target\":\"eth0\",\"loss\":1}", "$.faults[0].target: expected an object");
	expect_error(T(",\"iface\":\"x\"") ",\"loss\":1}", "$.faults[0].target.iface: unknown key");
	expect_error("{\"target\":{\"interface\":\"eth0/1\"},\"loss\":1}",
		     "$.faults[0].target.interface: 'eth0/1' is not a valid interface name");
	expect_error("{\"target\":{\"interface\":\"a-very-long-ifname\"},\"loss\":1}",
		     "is not a valid interface name");
	expect_error("{\"target\":{\"interface\":\"\"},\"loss\":1}", "is not a valid interface name");
	expect_error(T(",\"netns\":\"../etc\"") ",\"loss\":1}",
		     "$.faults[0].target.netns: '../etc' is not a namespace name");
	expect_error(T(",\"netns\":{\"pid\":0}") ",\"loss\":1}",
		     "$.faults[0].target.netns.pid: 0 is out of range");
	expect_error(T(",\"netns\":{\"name\":\"x\"}") ",\"loss\":1}",
		     "$.faults[0].target.netns.name: unknown key");
	expect_error(T(",\"netns\":7") ",\"loss\":1}",
		     "$.faults[0].target.netns: expected a namespace name or {\"pid\": N}");
	expect_error(T(",\"direction\":\"out\"") ",\"loss\":1}",
		     "$.faults[0].target.direction: must be \"egress\", \"ingress\" or \"both\"");
	expect_error(T(",\"protocol\":\"sctp\"") ",\"loss\":1}",
		     "$.faults[0].target.protocol: must be");
	expect_error(T(",\"protocol\":\"icmp\",\"ports\":[80]") ",\"loss\":1}",
		     "$.faults[0].target.ports: ICMP has no ports");
	expect_error(T(",\"destinations\":[\"10.0.0.1/24\"]") ",\"loss\":1}",
		     "$.faults[0].target.destinations[0]: '10.0.0.1/24' has bits set beyond its "
		     "prefix length; did you mean '10.0.0.0/24'?");
	expect_error(T(",\"sources\":[\"2001:db8::1/32\"]") ",\"loss\":1}",
		     "did you mean '2001:db8::/32'?");
	expect_error(T(",\"destinations\":[\"10.0.0.0/8\",\"nope\"]") ",\"loss\":1}",
		     "$.faults[0].target.destinations[1]: 'nope' is not an IPv4 or IPv6 address");
	expect_error(T(",\"destinations\":\"10.0.0.0/8\"") ",\"loss\":1}",
		     "$.faults[0].target.destinations: expected an array");
	expect_error(T(",\"destinations\":[10]") ",\"loss\":1}",
		     "$.faults[0].target.destinations[0]: expected an address or CIDR string");
	expect_error(T(",\"ports\":[0]") ",\"loss\":1}",
		     "$.faults[0].target.ports[0]: ports are 1..65535");
	expect_error(T(",\"ports\":[65536]") ",\"loss\":1}", "ports are 1..65535");
	expect_error(T(",\"source_ports\":[\"10-5\"]") ",\"loss\":1}",
		     "$.faults[0].target.source_ports[0]: ports are 1..65535");
	expect_error(T(",\"ports\":[\"http\"]") ",\"loss\":1}",
		     "$.faults[0].target.ports[0]: expected a port number or a range");
	expect_error(T(",\"ports\":[1.5]") ",\"loss\":1}", "expected a port number or a range");
	expect_error(T(",\"exclude\":{\"hosts\":[]}") ",\"loss\":1}",
		     "$.faults[0].target.exclude.hosts: unknown key");
	expect_error(T(",\"exclude\":{\"ports\":[0]}") ",\"loss\":1}",
		     "$.faults[0].target.exclude.ports[0]: ports are 1..65535");
	expect_error(T(",\"allow_ssh\":1") ",\"loss\":1}",
		     "$.faults[0].target.allow_ssh: expected a boolean");
}

static void test_port_ranges(void **state)
{
	struct net_spec s;

	expect_ok(T(",\"ports\":[\"1-65535\"],\"exclude\":{\"source_ports\":[\"22-22\",22]}")
		  ",\"loss\":1}",
		  &s);
	assert_int_equal(s.dport.n, 65535);
	assert_int_equal(s.dport.v[0], 1);
	assert_int_equal(s.dport.v[65534], 65535);
	assert_int_equal(s.xsport.n, 1);
	assert_int_equal(s.xsport.v[0], 22);
	net_spec_free(&s);
}

/* Through the whole experiment parser: the kind is registered and its keys accepted. */
static void test_in_experiment(void **state)
{
	struct experiment_limits lim = { .max_duration = AGENT_DEFAULT_MAX_DURATION };
	const char *good = "{\"version\":1,\"title\":\"t\",\"faults\":[" F("{\"interface\":\"veth0\"}",
									 ",\"loss\":30,\"duration\":\"1s\"") "]}";
	const char *bad = "{\"version\":1,\"title\":\"t\",\"faults\":[" F("{\"interface\":\"veth0\"}",
									",\"jitter\":\"1ms\",\"loss\":1,\"lost\":2") "]}";
	struct experiment *e;
	struct vctx v;
	char *all;

	vctx_init(&v, "exp.json", NULL);
	e = experiment_parse(good, strlen(good), &lim, &v);
	assert_int_equal(v.n, 0);
	assert_non_null(e);
	assert_string_equal(e->faults[0].ops->kind, "network");
	experiment_free(e);
	vctx_fini(&v);

	vctx_init(&v, "exp.json", NULL);
	e = experiment_parse(bad, strlen(bad), &lim, &v);
	assert_null(e);
	all = vctx_format(&v);
	assert_non_null(strstr(all, "$.faults[0].lost: unknown key 'lost'"));
	assert_non_null(strstr(all, "$.faults[0].jitter: requires 'delay'"));
	free(all);
	vctx_fini(&v);
}

/* faultlined.conf's limits: max_loss_percent, allowed_interfaces, ssh_exclusion. */
static void test_agent_limits(void **state)
{
	struct experiment_limits lim;
	char *allowed[] = { "veth0", NULL };
	const char *pre = "{\"version\":1,\"title\":\"t\",\"faults\":[";
	struct experiment *e;
	struct vctx v;
	char text[1024], *all;

	agent_limits_default(&lim);
	lim.max_loss_percent = 20;
	lim.allowed_interfaces = allowed;
	lim.ssh_exclude = false;
	agent_limits_set(&lim);

#define PARSE(fault)                                                                      \
	do {                                                                              \
		snprintf(text, sizeof(text), "%s%s]}", pre, fault);                       \
		vctx_init(&v, "exp.json", NULL);                                          \
		e = experiment_parse(text, strlen(text), &lim, &v);                       \
		all = vctx_format(&v);                                                    \
	} while (0)

	PARSE(F("{\"interface\":\"veth0\"}", ",\"loss\":20"));
	assert_non_null(e);
	/* ssh_exclusion = no: SSH is fair game unless the experiment says otherwise.  (The
	 * spec is the first member of the fault's private state.) */
	assert_true(((struct net_spec *)e->faults[0].priv)->allow_ssh);
	experiment_free(e);
	vctx_fini(&v);
	free(all);

	PARSE(F("{\"interface\":\"veth0\",\"allow_ssh\":false}", ",\"loss\":1"));
	assert_non_null(e);
	assert_false(((struct net_spec *)e->faults[0].priv)->allow_ssh);
	experiment_free(e);
	vctx_fini(&v);
	free(all);

	PARSE(F("{\"interface\":\"veth0\"}", ",\"loss\":20.5"));
	assert_null(e);
	assert_non_null(strstr(all, "$.faults[0].loss: 20.5% is above the agent's max_loss_percent (20)"));
	vctx_fini(&v);
	free(all);

	PARSE(F("{\"interface\":\"veth0\"}", ",\"blackhole\":true"));
	assert_null(e);
	assert_non_null(strstr(all, "$.faults[0].blackhole: a blackhole drops 100%"));
	vctx_fini(&v);
	free(all);

	PARSE(F("{\"interface\":\"eth0\"}", ",\"delay\":\"1ms\""));
	assert_null(e);
	assert_non_null(strstr(all, "$.faults[0].target.interface: 'eth0' is not among the agent's "
				    "allowed_interfaces"));
	vctx_fini(&v);
	free(all);
#undef PARSE

	agent_limits_default(&lim);
	agent_limits_set(&lim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent),	      cmocka_unit_test(test_rate),
		cmocka_unit_test(test_cidr),	      cmocka_unit_test(test_dist_tables),
		cmocka_unit_test(test_full_example),  cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_netem_rules),   cmocka_unit_test(test_target_rules),
		cmocka_unit_test(test_port_ranges),   cmocka_unit_test(test_in_experiment),
		cmocka_unit_test(test_agent_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
