// SPDX-License-Identifier: MIT
/*
 * faultlined.conf parsing (every refusal with FILE:LINE), the agent-wide limits, the metrics
 * listen address, and the Prometheus rendering of a runner summary.
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
#include "config.h"
#include "metrics.h"

static int parse(const char *text, struct agent_config *cfg, char **errors)
{
	config_init(cfg);
	return config_parse("f.conf", text, strlen(text), cfg, errors);
}

/* text is refused, and the errors hold want as a whole line. */
static void expect_error(const char *text, const char *want)
{
	struct agent_config cfg;
	char *errors = NULL;

	assert_int_equal(parse(text, &cfg, &errors), -EINVAL);
	assert_non_null(errors);
	if (!strstr(errors, want)) {
		fprintf(stderr, "wanted '%s' in:\n%s", want, errors);
		fail();
	}
	free(errors);
	config_free(&cfg);
}

static void test_empty_and_comments(void **state)
{
	struct agent_config cfg;
	char *errors = NULL;

	assert_int_equal(parse("", &cfg, &errors), 0);
	assert_null(errors);
	assert_int_equal(parse("# only\n\n   # comments\n\t\n", &cfg, &errors), 0);
	assert_null(cfg.socket);
	assert_int_equal(cfg.log_format, LOG_FMT_AUTO);
	assert_false(cfg.log_level_set);
	assert_true(cfg.lim.max_duration == AGENT_DEFAULT_MAX_DURATION);
	assert_true(cfg.lim.ssh_exclude);
	assert_true(cfg.lim.max_loss_percent == 100 && cfg.lim.max_cpu_percent == 100 &&
		    cfg.lim.max_memory_percent == 100);
	assert_true(agent_limits()->max_loss_percent == 100);
	config_free(&cfg);
}

static void test_every_key(void **state)
{
	static const char text[] =
		"socket = /run/x/fl.sock\n"
		"socket_group=chaos\n"
		"  state_dir\t=\t/var/lib/x  \r\n"
		"log_level = debug\n"
		"log_format = json\n"
		"metrics = [::1]:9464\n"
		"max_duration = 30m\n"
		"max_loss_percent = 12.5\n"
		"max_cpu_percent = 80\n"
		"max_memory_percent = 50\n"
		"allowed_interfaces = eth0, eth1 veth-x\n"
		"protected_processes = sshd,systemd-journal\n"
		"ssh_exclusion = no\n";
	struct agent_config cfg;
	char *errors = NULL;

	assert_int_equal(parse(text, &cfg, &errors), 0);
	assert_string_equal(cfg.socket, "/run/x/fl.sock");
	assert_string_equal(cfg.group, "chaos");
	assert_string_equal(cfg.state_dir, "/var/lib/x");
	assert_true(cfg.log_level_set);
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
	assert_int_equal(cfg.log_format, LOG_FMT_JSON);
	assert_string_equal(cfg.metrics, "[::1]:9464");
	assert_true(cfg.lim.max_duration == 30 * 60 * NSEC_PER_SEC);
	assert_true(cfg.lim.max_loss_percent == 12.5);
	assert_true(cfg.lim.max_cpu_percent == 80);
	assert_true(cfg.lim.max_memory_percent == 50);
	assert_string_equal(cfg.lim.allowed_interfaces[0], "eth0");
	assert_string_equal(cfg.lim.allowed_interfaces[1], "eth1");
	assert_string_equal(cfg.lim.allowed_interfaces[2], "veth-x");
	assert_null(cfg.lim.allowed_interfaces[3]);
	assert_false(cfg.lim.ssh_exclude);
	assert_true(limits_name_protected(&cfg.lim, "sshd"));
	assert_true(limits_name_protected(&cfg.lim, "systemd-journal"));
	assert_false(limits_name_protected(&cfg.lim, "ssh"));
	assert_true(limits_interface_allowed(&cfg.lim, "eth1"));
	assert_false(limits_interface_allowed(&cfg.lim, "eth2"));
	config_free(&cfg);
	/* Unset: any interface, nothing protected. */
	config_init(&cfg);
	assert_true(limits_interface_allowed(&cfg.lim, "anything"));
	assert_false(limits_name_protected(&cfg.lim, "sshd"));
}

static void test_refusals(void **state)
{
	expect_error("bogus = 1\n", "f.conf:1: unknown key 'bogus'\n");
	expect_error("log_level = info\nlog_level = debug\n",
		     "f.conf:2: duplicate key 'log_level' (first set on line 1)\n");
	expect_error("\n\nlog_level\n", "f.conf:3: expected 'key = value', got 'log_level'\n");
	expect_error("log_level =   \n", "f.conf:1: 'log_level' has no value\n");
	expect_error("log_level = loud\n", "f.conf:1: 'log_level': 'loud' is not one of error, "
					   "warning, notice, info, debug\n");
	expect_error("log_format = xml\n", "f.conf:1: 'log_format': 'xml' is not one of auto, "
					    "human, json, journal\n");
	expect_error("socket = run/x\n", "f.conf:1: 'socket': must be an absolute path\n");
	expect_error("max_duration = 0s\n", "f.conf:1: 'max_duration': '0s' is not a positive "
					     "duration (like 30m or 2h)\n");
	expect_error("max_duration = 10\n", "f.conf:1: 'max_duration': '10' is not a positive");
	expect_error("max_loss_percent = 100.5\n", "f.conf:1: 'max_loss_percent': '100.5' is not "
						   "a number from 0 to 100");
	expect_error("max_cpu_percent = 0\n", "'max_cpu_percent': '0' is not a number from 1");
	expect_error("max_memory_percent = 50%\n", "'max_memory_percent': '50%' is not a number");
	expect_error("max_cpu_percent =  nan\n", "'max_cpu_percent': 'nan' is not a number");
	expect_error("allowed_interfaces = , ,\n", "f.conf:1: 'allowed_interfaces': has no names");
	expect_error("allowed_interfaces = eth0 eth0\n",
		     "f.conf:1: 'allowed_interfaces': 'eth0' is listed twice");
	expect_error("allowed_interfaces = a-very-long-ifname\n",
		     "'a-very-long-ifname' is longer than 15 characters, the kernel's limit for "
		     "interface names");
	expect_error("protected_processes = a/b\n", "'protected_processes': 'a/b' contains '/'");
	expect_error("ssh_exclusion = 1\n", "f.conf:1: 'ssh_exclusion': '1' is not yes or no\n");
	expect_error("socket_group = -x\n", "'socket_group': '-x' is not a valid group name");
	expect_error("metrics = localhost:9464\n", "f.conf:1: 'metrics': 'localhost:9464' is not");
	expect_error("metrics = 127.0.0.1:0\n", "'metrics': '127.0.0.1:0' is not");
	expect_error("metrics = ::1:9464\n", "'metrics': '::1:9464' is not");
	expect_error("log_level = info # why\n",
		     "f.conf:1: 'log_level': comments go on a line of their own\n");
	{
		struct agent_config cfg;
		char *errors = NULL;

		config_init(&cfg);
		assert_int_equal(config_parse("f.conf", "a\0b = c\n", 8, &cfg, &errors), -EINVAL);
		assert_string_equal(errors, "f.conf: contains a NUL byte: not a text file\n");
		free(errors);
	}
}

static void test_every_error_reported(void **state)
{
	struct agent_config cfg;
	char *errors = NULL;
	int lines = 0;

	assert_int_equal(parse("a = 1\nlog_level = x\nok\nmax_duration = 1h\nb = 2\n", &cfg,
			       &errors),
			 -EINVAL);
	for (const char *p = errors; p && *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 4);
	assert_non_null(strstr(errors, "f.conf:5: unknown key 'b'"));
	free(errors);
	config_free(&cfg);
}

static void test_long_line(void **state)
{
	size_t n = CONFIG_MAX_LINE + 10;
	char *text = malloc(n + 1);

	memset(text, 'a', n);
	text[n] = '\0';
	expect_error(text, "f.conf:1: line longer than 4096 bytes");
	free(text);
}

static void test_load_missing(void **state)
{
	struct agent_config cfg;
	char *errors = NULL;

	config_init(&cfg);
	assert_int_equal(config_load("/nonexistent/f.conf", false, &cfg, &errors), 0);
	assert_null(errors);
	assert_int_equal(config_load("/nonexistent/f.conf", true, &cfg, &errors), -ENOENT);
	assert_string_equal(errors,
			    "/nonexistent/f.conf: cannot read: No such file or directory\n");
	free(errors);
}

static void test_metrics_addr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	assert_int_equal(metrics_parse_addr("127.0.0.1:9464", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(metrics_parse_addr("[::1]:1", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(metrics_parse_addr("0.0.0.0:65535", NULL, NULL), 0);
	assert_int_equal(metrics_parse_addr("127.0.0.1:65536", NULL, NULL), -EINVAL);
	assert_int_equal(metrics_parse_addr("127.0.0.1:", NULL, NULL), -EINVAL);
	assert_int_equal(metrics_parse_addr(":9464", NULL, NULL), -EINVAL);
	assert_int_equal(metrics_parse_addr("127.0.0.1:+80", NULL, NULL), -EINVAL);
	assert_int_equal(metrics_parse_addr("[::1:80", NULL, NULL), -EINVAL);
	assert_int_equal(metrics_parse_addr("example.com:80", NULL, NULL), -EINVAL);
	assert_int_equal(metrics_parse_addr("", NULL, NULL), -EINVAL);
}

static void test_metrics_render(void **state)
{
	json_t *s = json_pack(
		"{s:{s:i, s:i}, s:i, s:{s:i}, s:{s:[f,f], s:[i,i], s:f, s:i},"
		" s:[{s:[f], s:[i], s:f, s:i, s:s, s:s, s:s}],"
		" s:[{s:s, s:s, s:s, s:s, s:f}]}",
		"runs_total", "passed", 2, "aborted", 1, "runs_active", 1, "faults_active",
		"process.pause", 1, "rollback", "le", 0.001, 0.01, "counts", 1, 2, "sum", 0.0125,
		"count", 3, "probes", "le", 0.1, "counts", 4, "sum", 0.25, "count", 5, "run", "abc",
		"probe", "we\"b\\\n", "kind", "http", "fault_values", "run", "abc", "fault", "f",
		"kind", "network", "key", "counters.dropped", "value", 17.0);
	char *text = metrics_render(s, NULL);

	assert_non_null(text);
	assert_non_null(strstr(text, "# TYPE faultline_runs_total counter\n"
				     "faultline_runs_total{verdict=\"passed\"} 2\n"
				     "faultline_runs_total{verdict=\"aborted\"} 1\n"));
	assert_non_null(strstr(text, "faultline_faults_active{kind=\"process.pause\"} 1\n"));
	assert_non_null(strstr(text, "faultline_rollback_duration_seconds_bucket{le=\"0.001\"} 1\n"
				     "faultline_rollback_duration_seconds_bucket{le=\"0.01\"} 2\n"
				     "faultline_rollback_duration_seconds_bucket{le=\"+Inf\"} 3\n"
				     "faultline_rollback_duration_seconds_sum 0.0125\n"
				     "faultline_rollback_duration_seconds_count 3\n"));
	/* Label values escaped: backslash, double quote, newline. */
	assert_non_null(strstr(text, "faultline_probe_latency_seconds_bucket{run=\"abc\","
				     "probe=\"we\\\"b\\\\\\n\",kind=\"http\",le=\"0.1\"} 4\n"));
	assert_non_null(strstr(text, "faultline_probe_latency_seconds_count{run=\"abc\","
				     "probe=\"we\\\"b\\\\\\n\",kind=\"http\"} 5\n"));
	assert_non_null(strstr(text, "faultline_fault_status_value{run=\"abc\",fault=\"f\","
				     "kind=\"network\",key=\"counters.dropped\"} 17\n"));
	free(text);
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_comments),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_metrics_addr),
		cmocka_unit_test(test_metrics_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
