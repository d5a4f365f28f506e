// SPDX-License-Identifier: MIT
/*
 * The stressors without privileges: validation of cpu.stress, memory.stress, disk.fill and
 * io.stress (every error with its JSON path), the helpers they share, what recovery refuses to
 * touch, and spawn()'s guarantees to a child (PR_SET_PDEATHSIG, closed descriptors, reasons
 * for failures).  Real stressors run in tests/integration/test_stress.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "cgroup.h"
#include "experiment.h"
#include "spawn.h"
#include "stress.h"
#include "units.h"

static const struct experiment_limits lim = { .max_duration = AGENT_DEFAULT_MAX_DURATION };

/* An experiment with the one fault given (a JSON object body without braces). */
static char *parse_fault(const char *fault, struct experiment **out)
{
	char text[2048];
	struct vctx v;
	struct experiment *e;
	char *all;

	snprintf(text, sizeof(text),
		 "{\"version\":1,\"title\":\"t\",\"faults\":[{\"name\":\"f\",%s}]}", fault);
	vctx_init(&v, "exp.json", NULL);
	e = experiment_parse(text, strlen(text), &lim, &v);
	all = vctx_format(&v);
	vctx_fini(&v);
	if (out)
		*out = e;
	else
		experiment_free(e);
	return all;
}

static void expect_ok(const char *fault)
{
	struct experiment *e = NULL;
	char *all = parse_fault(fault, &e);

	if (!e || all[0]) {
		print_error("expected valid: %s\ngot:\n%s\n", fault, all);
		fail();
	}
	experiment_free(e);
	free(all);
}

/* Parsing fails and one error line contains want. */
static void expect_err(const char *fault, const char *want)
{
	struct experiment *e = NULL;
	char *all = parse_fault(fault, &e);

	if (e || !strstr(all, want)) {
		print_error("for: %s\nexpected an error containing:\n  %s\ngot:\n%s\n", fault, want,
			    all);
		fail();
	}
	experiment_free(e);
	free(all);
}

/* ---- cpu.stress ---------------------------------------------------------------------------- */

static void test_cpu_valid(void **state)
{
	expect_ok("\"type\":\"cpu.stress\",\"load\":80");
	expect_ok("\"type\":\"cpu.stress\",\"load\":12.5,\"cores\":2,\"duration\":\"60s\"");
	expect_ok("\"type\":\"cpu.stress\",\"load\":100,\"cores\":[0,1]");
	expect_ok("\"type\":\"cpu.stress\",\"load\":1,\"cores\":\"all\",\"mode\":\"host\"");
	expect_ok("\"type\":\"cpu.stress\",\"load\":50,\"mode\":\"per_core\"");
}

static void test_cpu_errors(void **state)
{
	expect_err("\"type\":\"cpu.stress\"", "$.faults[0]: missing required key 'load'");
	expect_err("\"type\":\"cpu.stress\",\"load\":0",
		   "$.faults[0].load: 0 is out of range 1..100");
	expect_err("\"type\":\"cpu.stress\",\"load\":101", "load: 101 is out of range 1..100");
	expect_err("\"type\":\"cpu.stress\",\"load\":\"50\"",
		   "load: expected a number, got a string");
	expect_err("\"type\":\"cpu.stress\",\"load\":50,\"cores\":0",
		   "cores: 0 is out of range 1..");
	expect_err("\"type\":\"cpu.stress\",\"load\":50,\"cores\":[]", "cores: must list 1..");
	expect_err("\"type\":\"cpu.stress\",\"load\":50,\"cores\":[1,0,1]",
		   "$.faults[0].cores[2]: CPU 1 is listed twice");
	expect_err("\"type\":\"cpu.stress\",\"load\":50,\"cores\":[-1]",
		   "cores[0]: CPU -1 is out of range 0..");
	expect_err("\"type\":\"cpu.stress\",\"load\":50,\"cores\":[1.5]",
		   "cores[0]: expected a CPU number");
	expect_err("\"type\":\"cpu.stress\",\"load\":50,\"cores\":\"some\"",
		   "cores: must be a number of cores, a list of CPU numbers or \"all\"");
	expect_err("\"type\":\"cpu.stress\",\"load\":50,\"mode\":\"both\"",
		   "mode: must be \"per_core\" or \"host\"");
	expect_err("\"type\":\"cpu.stress\",\"load\":50,\"size\":\"1GiB\"",
		   "$.faults[0].size: unknown key 'size'");
}

/* Every error is reported, not only the first. */
static void test_cpu_all_errors(void **state)
{
	char *all = parse_fault("\"type\":\"cpu.stress\",\"load\":0,\"cores\":[0,0],\"mode\":\"x\"",
				NULL);

	assert_non_null(strstr(all, "load: 0 is out of range"));
	assert_non_null(strstr(all, "cores[1]: CPU 0 is listed twice"));
	assert_non_null(strstr(all, "mode: must be"));
	free(all);
}

/* ---- memory.stress ------------------------------------------------------------------------- */

static void test_memory_valid(void **state)
{
	expect_ok("\"type\":\"memory.stress\",\"size\":\"2GiB\"");
	expect_ok("\"type\":\"memory.stress\",\"percent\":50,\"ramp\":\"10s\","
		  "\"duration\":\"60s\"");
	expect_ok("\"type\":\"memory.stress\",\"percent\":0.5");
	expect_ok("\"type\":\"memory.stress\",\"size\":\"512MiB\",\"ramp\":\"0s\"");
}

static void test_memory_errors(void **state)
{
	expect_err("\"type\":\"memory.stress\"", "$.faults[0]: needs 'size' or 'percent'");
	expect_err("\"type\":\"memory.stress\",\"size\":\"1GiB\",\"percent\":10",
		   "$.faults[0]: give either 'size' or 'percent', not both");
	expect_err("\"type\":\"memory.stress\",\"size\":\"512KiB\"",
		   "$.faults[0].size: must be at least 1MiB");
	expect_err("\"type\":\"memory.stress\",\"size\":\"lots\"", "size: invalid size 'lots'");
	expect_err("\"type\":\"memory.stress\",\"size\":1024", "size: expected a size string");
	expect_err("\"type\":\"memory.stress\",\"percent\":0", "percent: must be above 0");
	expect_err("\"type\":\"memory.stress\",\"percent\":101",
		   "percent: 101 is out of range 0..100");
	expect_err("\"type\":\"memory.stress\",\"size\":\"1GiB\",\"ramp\":\"10\"", "ramp: ");
	expect_err("\"type\":\"memory.stress\",\"size\":\"1GiB\",\"ramp\":\"20s\","
		   "\"duration\":\"10s\"",
		   "$.faults[0].ramp: ramp '20s' is longer than the duration '10s'");
}

/* ---- disk.fill ----------------------------------------------------------------------------- */

static void test_disk_valid(void **state)
{
	expect_ok("\"type\":\"disk.fill\",\"path\":\"/var/lib/app\",\"size\":\"10GiB\"");
	expect_ok("\"type\":\"disk.fill\",\"path\":\"/var/lib/app\",\"fill_to_percent\":95");
	expect_ok("\"type\":\"disk.fill\",\"path\":\"/x\",\"fill_to_percent\":99");
	expect_ok("\"type\":\"disk.fill\",\"path\":\"/x\",\"fill_to_percent\":100,"
		  "\"floor_percent\":0");
	expect_ok("\"type\":\"disk.fill\",\"path\":\"/x\",\"size\":\"4KiB\",\"floor_percent\":50");
	/* Existence is checked at plan time, not here. */
	expect_ok("\"type\":\"disk.fill\",\"path\":\"/no/such/dir\",\"size\":\"1MiB\"");
}

static void test_disk_errors(void **state)
{
	expect_err("\"type\":\"disk.fill\",\"size\":\"1GiB\"",
		   "$.faults[0]: missing required key 'path'");
	expect_err("\"type\":\"disk.fill\",\"path\":\"var/lib\",\"size\":\"1GiB\"",
		   "$.faults[0].path: 'var/lib' is not an absolute path");
	/* The loader refuses NUL before the kind sees the path. */
	expect_err("\"type\":\"disk.fill\",\"path\":\"/a\\u0000b\",\"size\":\"1GiB\"",
		   "\\u0000 is not allowed");
	expect_err("\"type\":\"disk.fill\",\"path\":\"/x\"",
		   "$.faults[0]: needs 'size' or 'fill_to_percent'");
	expect_err("\"type\":\"disk.fill\",\"path\":\"/x\",\"size\":\"1GiB\","
		   "\"fill_to_percent\":50",
		   "give either 'size' or 'fill_to_percent', not both");
	expect_err("\"type\":\"disk.fill\",\"path\":\"/x\",\"size\":\"100\"",
		   "size: must be at least 4KiB");
	expect_err("\"type\":\"disk.fill\",\"path\":\"/x\",\"fill_to_percent\":0",
		   "fill_to_percent: must be above 0");
	expect_err("\"type\":\"disk.fill\",\"path\":\"/x\",\"fill_to_percent\":100",
		   "$.faults[0].fill_to_percent: 100 would leave less than the floor of 1% free");
	expect_err("\"type\":\"disk.fill\",\"path\":\"/x\",\"fill_to_percent\":90,"
		   "\"floor_percent\":20",
		   "fill_to_percent: 90 would leave less than the floor of 20% free");
	expect_err("\"type\":\"disk.fill\",\"path\":\"/x\",\"size\":\"1GiB\",\"floor_percent\":60",
		   "floor_percent: 60 is out of range 0..50");
	expect_err("\"type\":\"disk.fill\",\"path\":1,\"size\":\"1GiB\"",
		   "path: expected a string, got an integer");
}

/* ---- io.stress ----------------------------------------------------------------------------- */

static void test_io_valid(void **state)
{
	expect_ok("\"type\":\"io.stress\",\"path\":\"/var/lib/app\"");
	expect_ok("\"type\":\"io.stress\",\"path\":\"/var/lib/app\",\"workers\":2,"
		  "\"mode\":\"mixed\","
		  "\"block_size\":\"1MiB\",\"duration\":\"60s\"");
	expect_ok("\"type\":\"io.stress\",\"path\":\"/x\",\"workers\":64,\"mode\":\"read\","
		  "\"block_size\":\"4KiB\",\"file_size\":\"4KiB\"");
	expect_ok("\"type\":\"io.stress\",\"path\":\"/x\",\"mode\":\"write\","
		  "\"block_size\":\"64MiB\"");
}

static void test_io_errors(void **state)
{
	expect_err("\"type\":\"io.stress\"", "$.faults[0]: missing required key 'path'");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"workers\":0",
		   "$.faults[0].workers: 0 is out of range 1..64");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"workers\":65",
		   "workers: 65 is out of range");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"mode\":\"random\"",
		   "mode: must be \"write\", \"read\" or \"mixed\"");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"block_size\":\"5000\"",
		   "block_size: must be 4KiB..64MiB and a multiple of 4096 bytes");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"block_size\":\"2KiB\"",
		   "block_size: must be 4KiB..64MiB");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"block_size\":\"128MiB\"",
		   "block_size: must be 4KiB..64MiB");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"block_size\":\"1MiB\","
		   "\"file_size\":\"512KiB\"",
		   "file_size: must be at least 'block_size'");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"file_size\":\"2TiB\"",
		   "file_size: must be at most 1TiB");
	expect_err("\"type\":\"io.stress\",\"path\":\"/x\",\"threads\":2",
		   "$.faults[0].threads: unknown key 'threads'");
}

/* Errors carry line:column of the offending value. */
static void test_error_position(void **state)
{
	const char *text = "{\"version\":1,\"title\":\"t\",\"faults\":[\n"
			   "  {\"name\":\"f\",\"type\":\"io.stress\",\"path\":\"/x\",\n"
			   "   \"workers\":99}]}";
	struct vctx v;
	struct experiment *e;
	char *all;

	vctx_init(&v, "exp.json", NULL);
	e = experiment_parse(text, strlen(text), &lim, &v);
	all = vctx_format(&v);
	vctx_fini(&v);
	assert_null(e);
	assert_non_null(
		strstr(all, "exp.json:3:14: $.faults[0].workers: 99 is out of range 1..64"));
	free(all);
}

/* ---- shared helpers ------------------------------------------------------------------------ */

static void test_fmt_bytes(void **state)
{
	char b[32];

	stress_fmt_bytes(4096, b, sizeof(b));
	assert_string_equal(b, "4KiB");
	stress_fmt_bytes(100, b, sizeof(b));
	assert_string_equal(b, "100B");
	stress_fmt_bytes(512ULL << 20, b, sizeof(b));
	assert_string_equal(b, "512MiB");
	stress_fmt_bytes(3ULL << 29, b, sizeof(b));
	assert_string_equal(b, "1.5GiB");
	stress_fmt_bytes(1000ULL << 30, b, sizeof(b));
	assert_string_equal(b, "1000GiB");
}

static void test_fs_floor(void **state)
{
	struct fs_space fs = { .used = 30, .avail = 70, .usable = 100 };
	struct stat st;
	bool state_fs;

	assert_true(stress_fs_used_percent(&fs) > 29.99 && stress_fs_used_percent(&fs) < 30.01);
	fs.usable = 1000000;
	assert_int_equal(stress_floor_bytes(&fs, 2, NULL, &state_fs), 20000);
	assert_false(state_fs);
	/* floor_percent 0 on the state dir's filesystem: 1% all the same. */
	assert_int_equal(stat("/", &st), 0);
	fs.dev = st.st_dev;
	assert_int_equal(stress_floor_bytes(&fs, 0, "/", &state_fs), 10000);
	assert_true(state_fs);
	assert_int_equal(stress_floor_bytes(&fs, 5, "/", &state_fs), 50000);
	fs.dev = st.st_dev + 1;
	assert_int_equal(stress_floor_bytes(&fs, 0, "/", &state_fs), 0);
	assert_false(state_fs);
}

static void test_read_proc(void **state)
{
	struct cpu_sample v[2];
	uint64_t total = 0, avail = 0, rss = 0, ticks = 0;
	size_t n = 0;

	assert_int_equal(stress_read_cpu(v, 2, &n), 0);
	assert_true(n >= 1 && v[0].total > 0 && v[0].busy <= v[0].total);
	assert_int_equal(stress_meminfo(&total, &avail), 0);
	assert_true(total > 0 && avail <= total);
	assert_int_equal(stress_pid_status_bytes(0, "VmRSS:", &rss), 0);
	assert_true(rss > 0);
	assert_int_equal(stress_pid_cputime(getpid(), &ticks), 0);
	assert_int_equal(stress_pid_cputime(0x7ffffff0, &ticks), -ESRCH);
}

static void test_cg_is_ours(void **state)
{
	assert_false(cg_is_ours(NULL));
	assert_false(cg_is_ours("relative/faultline/x"));
	assert_false(cg_is_ours("/tmp/faultline/x"));	/* not a cgroup fs */
	assert_false(cg_is_ours("/sys/fs/cgroup/unified/other/x"));
	assert_false(cg_is_ours("/sys/fs/cgroup/unified/faultline/../x"));
	assert_false(cg_is_ours("/sys/fs/cgroup/unified/faultline/"));
	assert_false(cg_is_ours("/sys/fs/cgroup/unified/faultline/a/b"));
	assert_false(cg_is_ours("/sys/fs/cgroup/unified/faultline//x"));
}

/* Recovery deletes only .faultline-* regular files and only faultline cgroups. */
static void test_recover_refuses(void **state)
{
	char dir[] = "/tmp/fl-unit-XXXXXX", ours[256], other[256], link[256], err[512];
	json_t *undo;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(ours, sizeof(ours), "%s/.faultline-fill-abc-f", dir);
	snprintf(other, sizeof(other), "%s/data.db", dir);
	snprintf(link, sizeof(link), "%s/.faultline-io-abc-f-0", dir);
	fd = open(ours, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(other, link), 0);

	undo = json_pack("{s:s, s:[], s:[s]}", "kind", "disk.fill", "cgroups", "files", other);
	assert_int_equal(stress_recover(undo, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a faultline file name"));
	json_decref(undo);
	assert_int_equal(access(other, F_OK), 0);

	undo = json_pack("{s:s, s:[], s:[s]}", "kind", "io.stress", "cgroups", "files", link);
	assert_int_equal(stress_recover(undo, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "not a regular file"));
	json_decref(undo);
	assert_int_equal(access(other, F_OK), 0);

	undo = json_pack("{s:s, s:[s], s:[]}", "kind", "cpu.stress", "cgroups", dir, "files");
	assert_int_equal(stress_recover(undo, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a faultline cgroup"));
	json_decref(undo);
	assert_int_equal(access(dir, F_OK), 0);

	/* Ours goes; a second recovery of the same record is a no-op. */
	undo = json_pack("{s:s, s:[], s:[s]}", "kind", "disk.fill", "cgroups", "files", ours);
	assert_int_equal(stress_recover(undo, err, sizeof(err)), 0);
	assert_int_equal(access(ours, F_OK), -1);
	assert_int_equal(stress_recover(undo, err, sizeof(err)), 0);
	json_decref(undo);

	undo = json_pack("{s:s, s:s}", "kind", "disk.fill", "files", "x");
	assert_int_equal(stress_recover(undo, err, sizeof(err)), -EINVAL);
	json_decref(undo);

	unlink(link);
	unlink(other);
	rmdir(dir);
}

/* ---- spawn ----------------------------------------------------------------------------------- */

static int leaked_fd = -1;

/* In the child: exit 0 only when every promise of spawn.h holds. */
static int child_checks(void *arg)
{
	int sig = 0;
	sigset_t mask;

	if (prctl(PR_GET_PDEATHSIG, &sig) < 0 || sig != SIGKILL)
		return 10;
	if (fcntl(leaked_fd, F_GETFD) != -1 || errno != EBADF)
		return 11;
	if (sigprocmask(SIG_SETMASK, NULL, &mask) < 0 || sigismember(&mask, SIGTERM))
		return 12;
	if (getsid(0) != getpid())
		return 13;
	return 42;
}

static void test_spawn_child(void **state)
{
	struct spawn_opts o = { .fn = child_checks };
	sigset_t block, old;
	char err[256] = "";
	pid_t pid = 0;
	int st = 0;

	leaked_fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: spawn must close it anyway */
	assert_true(leaked_fd >= 0);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	assert_int_equal(spawn(&o, &pid, err, sizeof(err)), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_int_equal(spawn_reap(pid, 5 * NSEC_PER_SEC, &st), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 42);
	close(leaked_fd);
}

static void test_spawn_failures(void **state)
{
	char *const argv[] = { "nope", NULL };
	const char *const cgs[] = { "/nonexistent-faultline-cgroup", NULL };
	struct spawn_opts o = { .path = "/nonexistent/faultline-binary", .argv = argv };
	char err[512] = "", why[64];
	pid_t pid = 0;

	assert_int_equal(spawn(&o, &pid, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot execute '/nonexistent/faultline-binary'"));
	o.path = "/bin/true";
	o.cgroups = cgs;
	assert_int_equal(spawn(&o, &pid, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot join cgroup '/nonexistent-faultline-cgroup'"));
	assert_int_equal(spawn_reap(getpid() + 0x100000, 0, NULL), -ECHILD);
	spawn_describe_status(9, why, sizeof(why));
	assert_string_equal(why, "killed by SIGKILL");
	spawn_describe_status(3 << 8, why, sizeof(why));
	assert_string_equal(why, "exited with status 3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_valid),
		cmocka_unit_test(test_cpu_errors),
		cmocka_unit_test(test_cpu_all_errors),
		cmocka_unit_test(test_memory_valid),
		cmocka_unit_test(test_memory_errors),
		cmocka_unit_test(test_disk_valid),
		cmocka_unit_test(test_disk_errors),
		cmocka_unit_test(test_io_valid),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_error_position),
		cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_fs_floor),
		cmocka_unit_test(test_read_proc),
		cmocka_unit_test(test_cg_is_ours),
		cmocka_unit_test(test_recover_refuses),
		cmocka_unit_test(test_spawn_child),
		cmocka_unit_test(test_spawn_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
