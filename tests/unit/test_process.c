// SPDX-License-Identifier: MIT
/*
 * process.pause / process.kill and proc.c against real child processes.  Runs as root (cgroup
 * moves need it; the rest works unprivileged on our own children).  Every child is created
 * here, tracked by pid and killed + reaped in the teardown, whatever the test did.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "fault.h"
#include "proc.h"
#include "validate.h"

#define MAX_CHILDREN 32
#define CG2_ROOT "/sys/fs/cgroup/unified"

static pid_t children[MAX_CHILDREN];
static char cg_dir[512], cg_sub[512], cg_home[512];

/* ---- children ------------------------------------------------------------------------ */

static void track(pid_t pid)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (!children[i]) {
			children[i] = pid;
			return;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("too many children");
}

static void untrack(pid_t pid)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] == pid)
			children[i] = 0;
	}
}

/* Kill and reap one child of ours; 0 when it was ours. */
static void reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	untrack(pid);
}

static void child_setup(void)
{
	sigset_t all;

	/* Never outlive the test, whatever happens to it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
}

/* A forked child that sets its comm to name, then sleeps in pause(). */
static pid_t spawn_named(const char *name)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child_setup();
		prctl(PR_SET_NAME, name);
		(void)!write(p[1], "x", 1);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	track(pid);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

/* exec /bin/sleep with argv[0] = marker, so its cmdline is "MARKER 300" and comm "sleep". */
static pid_t spawn_exec(const char *marker)
{
	int p[2], err = 0;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *const argv[] = { (char *)marker, "300", NULL };

		close(p[0]);
		child_setup();
		execv("/bin/sleep", argv);
		err = errno;
		(void)!write(p[1], &err, sizeof(err));
		_exit(127);
	}
	close(p[1]);
	track(pid);
	/* EOF: the exec closed the pipe, so /proc now shows the new cmdline. */
	n = read(p[0], &err, sizeof(err));
	close(p[0]);
	assert_int_equal(n, 0);
	return pid;
}

static char proc_state(pid_t pid)
{
	struct proc_info info;

	if (proc_read_stat(pid, &info) < 0)
		return '?';
	return info.state;
}

/* Wait up to 3 s for pid's state to be one of states. */
static bool wait_state(pid_t pid, const char *states)
{
	for (int i = 0; i < 300; i++) {
		char s = proc_state(pid);

		if (s != '?' && strchr(states, s))
			return true;
		usleep(10000);
	}
	return false;
}

/* waitpid with a 3 s limit, so a fault that fails to kill fails the test instead of hanging. */
static pid_t wait_exit(pid_t pid, int *status)
{
	for (int i = 0; i < 300; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r != 0)
			return r;
		usleep(10000);
	}
	return 0;
}

static void make_name(char *buf, size_t len, char tag)
{
	/* At most 15 characters: "flt" + 5 digits + tag. */
	snprintf(buf, len, "flt%05d%c", (int)(getpid() % 100000), tag);
}

/* ---- cgroup -------------------------------------------------------------------------- */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int cg_move(const char *dir, pid_t pid)
{
	char path[600], s[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(s, sizeof(s), "%d\n", (int)pid);
	return write_str(path, s);
}

/* Where our own process sits in the cgroup2 hierarchy, so children can go back there. */
static int cg_find_home(void)
{
	char buf[4096], *line;
	FILE *fp = fopen("/proc/self/cgroup", "re");
	int r = -ENOENT;

	if (!fp)
		return -errno;
	while (fgets(buf, sizeof(buf), fp)) {
		if (strncmp(buf, "0::", 3) != 0)
			continue;
		line = buf + 3;
		line[strcspn(line, "\n")] = '\0';
		snprintf(cg_home, sizeof(cg_home), "%s%s", CG2_ROOT,
			 strcmp(line, "/") == 0 ? "" : line);
		r = 0;
	}
	fclose(fp);
	return r;
}

static void cg_cleanup(void)
{
	if (cg_sub[0]) {
		rmdir(cg_sub);
		cg_sub[0] = '\0';
	}
	if (cg_dir[0]) {
		rmdir(cg_dir);
		cg_dir[0] = '\0';
	}
}

/* ---- fault helpers ------------------------------------------------------------------- */

static char fault_name[] = "pause-worker";

/* Parse text as fault spec $.faults[0] of kind; asserts it is valid. */
static void fault_init(struct fault *f, enum fault_kind kind, const char *fmt, ...) PRINTF(3, 4);
static void fault_init(struct fault *f, enum fault_kind kind, const char *fmt, ...)
{
	char text[2048];
	json_error_t jerr;
	struct vctx v;
	va_list ap;
	json_t *j;
	int r;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(f, 0, sizeof(*f));
	f->name = fault_name;
	f->kind = kind;
	f->ops = fault_ops_table[kind];
	j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fail_msg("bad test json: %s: %s", text, jerr.text);
	vctx_init(&v, "t.json", NULL);
	r = f->ops->parse(f, j, "$.faults[0]", &v);
	for (size_t i = 0; i < v.n; i++)
		print_error("unexpected error: %s: %s\n", v.errs[i].path, v.errs[i].msg);
	assert_int_equal(v.n, 0);
	assert_int_equal(r, 0);
	assert_non_null(f->priv);
	vctx_fini(&v);
	json_decref(j);
}

static void fault_fini(struct fault *f)
{
	if (f->ops && f->ops->free)
		f->ops->free(f);
	assert_null(f->priv);
}

static size_t claims_count(const struct fault *f)
{
	json_t *c = f->ops->claims(f);
	size_t n;

	assert_non_null(c);
	assert_true(json_is_array(c));
	n = json_array_size(c);
	json_decref(c);
	return n;
}

static int teardown(void **state)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (children[i]) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
	/* The children are reaped, so the test cgroups are empty and can go. */
	cg_cleanup();
	return 0;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_fault_table(void **state)
{
	enum fault_kind k = _FAULT_KIND_MAX;

	assert_ptr_equal(fault_ops_find("process.pause", &k), &fault_process_pause_ops);
	assert_int_equal(k, FAULT_PROCESS_PAUSE);
	assert_ptr_equal(fault_ops_find("process.kill", &k), &fault_process_kill_ops);
	assert_int_equal(k, FAULT_PROCESS_KILL);
	assert_null(fault_ops_find("process.nope", &k));
	assert_null(fault_ops_find(NULL, NULL));
	for (size_t i = 0; i < _FAULT_KIND_MAX; i++) {
		assert_non_null(fault_ops_table[i]);
		const struct fault_ops *ops = fault_ops_table[i];

		assert_ptr_equal(fault_ops_find(ops->kind, NULL), ops);
	}
	assert_string_equal(fault_state_str(FAULT_PENDING), "pending");
	assert_string_equal(fault_state_str(FAULT_ACTIVE), "active");
	assert_string_equal(fault_state_str(FAULT_REVERTED), "reverted");
	assert_string_equal(fault_state_str(FAULT_FAILED), "failed");
	assert_string_equal(fault_state_str(FAULT_SKIPPED), "skipped");
	assert_int_equal(fault_process_kill_ops.keys[0] != NULL, 1);
}

static void test_pause_revert(void **state)
{
	char name[16], err[256] = "", key[64];
	struct proc_info info;
	struct fault f;
	json_t *c, *u, *s;
	pid_t pid;

	make_name(name, sizeof(name), 'a');
	pid = spawn_named(name);
	assert_true(wait_state(pid, "S"));
	assert_int_equal(proc_read_stat(pid, &info), 0);
	assert_string_equal(info.comm, name);

	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"name\":\"pause-worker\",\"type\":\"process.pause\","
		   "\"target\":{\"name\":\"%s\"},\"duration\":\"20s\"}", name);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);

	c = f.ops->claims(&f);
	snprintf(key, sizeof(key), "pid:%d:%" PRIu64, (int)pid, info.starttime);
	assert_int_equal(json_array_size(c), 1);
	assert_string_equal(json_string_value(json_array_get(c, 0)), key);
	json_decref(c);

	u = f.ops->undo(&f);
	assert_non_null(u);
	assert_string_equal(json_string_value(json_object_get(u, "kind")), "process.pause");
	assert_int_equal(json_array_size(json_object_get(u, "targets")), 1);
	s = json_array_get(json_object_get(u, "targets"), 0);
	assert_int_equal(json_integer_value(json_object_get(s, "pid")), pid);
	assert_int_equal(json_integer_value(json_object_get(s, "starttime")), info.starttime);
	assert_string_equal(json_string_value(json_object_get(s, "comm")), name);
	json_decref(u);

	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), 0);
	assert_true(wait_state(pid, "T"));

	s = f.ops->status(&f);
	assert_non_null(s);
	c = json_array_get(json_object_get(s, "targets"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "pid")), pid);
	assert_string_equal(json_string_value(json_object_get(c, "comm")), name);
	assert_string_equal(json_string_value(json_object_get(c, "state")), "stopped");
	json_decref(s);

	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);
	assert_true(wait_state(pid, "SR"));
	/* Idempotent: a second revert is a no-op, also once the target has exited. */
	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);
	assert_true(wait_state(pid, "SR"));
	reap(pid);
	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);

	s = f.ops->status(&f);
	c = json_array_get(json_object_get(s, "targets"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "state")), "gone");
	json_decref(s);
	fault_fini(&f);
}

static void test_pause_recover(void **state)
{
	char name[16], err[256] = "";
	struct fault f;
	json_t *u;
	pid_t pid;

	make_name(name, sizeof(name), 'b');
	pid = spawn_named(name);
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"%s\",\"pid\":%d}}", name,
		   (int)pid);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	u = f.ops->undo(&f);
	assert_non_null(u);
	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), 0);
	assert_true(wait_state(pid, "T"));
	/* The agent "crashes": the fault is gone, only the journal record is left. */
	fault_fini(&f);
	assert_int_equal(proc_state(pid), 'T');

	assert_int_equal(fault_process_pause_ops.recover(u, err, sizeof(err)), 0);
	assert_true(wait_state(pid, "SR"));
	assert_int_equal(fault_process_pause_ops.recover(u, err, sizeof(err)), 0);
	reap(pid);
	/* The target is gone now: still success. */
	assert_int_equal(fault_process_pause_ops.recover(u, err, sizeof(err)), 0);
	json_decref(u);

	/* A malformed record is an error, not a crash. */
	u = json_pack("{s:s}", "kind", "process.pause");
	assert_int_equal(fault_process_pause_ops.recover(u, err, sizeof(err)), -EINVAL);
	json_decref(u);
	u = json_pack("{s:s}", "kind", "process.kill");
	assert_int_equal(fault_process_kill_ops.recover(u, err, sizeof(err)), 0);
	json_decref(u);
}

static void test_pause_prestopped(void **state)
{
	char name[16], err[256] = "";
	struct fault f;
	pid_t c1, c2;

	make_name(name, sizeof(name), 'c');
	c1 = spawn_named(name);
	c2 = spawn_named(name);
	assert_int_equal(kill(c1, SIGSTOP), 0);
	assert_true(wait_state(c1, "T"));

	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"%s\"}}", name);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	assert_int_equal(claims_count(&f), 2);
	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), 0);
	assert_true(wait_state(c2, "T"));
	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);
	assert_true(wait_state(c2, "SR"));
	/* Somebody else stopped c1: it is not ours to resume. */
	usleep(200000);
	assert_int_equal(proc_state(c1), 'T');
	fault_fini(&f);

	/* Only a stopped target: nothing would be injected, so apply says so. */
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"pid\":%d}}", (int)c1);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "already stopped"));
	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);
	usleep(100000);
	assert_int_equal(proc_state(c1), 'T');
	fault_fini(&f);
}

static void test_pause_target_exited(void **state)
{
	char name[16], err[256] = "";
	struct fault f;
	pid_t pid;

	make_name(name, sizeof(name), 'd');
	pid = spawn_named(name);
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"%s\"}}", name);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	reap(pid);
	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "exited"));
	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);
	fault_fini(&f);

	/* Matching nothing fails plan with the fault's name and the selectors. */
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"%s\"}}", name);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), -ESRCH);
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "target of 'pause-worker' matches no process (name '%s')", name);
		assert_string_equal(err, want);
	}
	fault_fini(&f);
}

static void test_kill_term(void **state)
{
	char name[16], err[256] = "";
	struct fault f;
	json_t *s, *u;
	int status = 0;
	pid_t pid;

	make_name(name, sizeof(name), 'e');
	pid = spawn_named(name);
	fault_init(&f, FAULT_PROCESS_KILL, "{\"name\":\"kill-worker\",\"type\":\"process.kill\","
		   "\"target\":{\"name\":\"%s\"},\"signal\":\"TERM\"}", name);
	assert_int_equal(f.tick_ns, 0);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	assert_int_equal(claims_count(&f), 0);
	u = f.ops->undo(&f);
	assert_string_equal(json_string_value(json_object_get(u, "kind")), "process.kill");
	json_decref(u);
	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), 0);
	assert_int_equal(wait_exit(pid, &status), pid);
	untrack(pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);

	s = f.ops->status(&f);
	assert_int_equal(json_integer_value(json_object_get(s, "signalled")), 1);
	assert_string_equal(json_string_value(json_object_get(s, "signal")), "SIGTERM");
	assert_int_equal(json_array_size(json_object_get(s, "targets")), 1);
	json_decref(s);
	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);
	fault_fini(&f);
}

static void test_kill_tick(void **state)
{
	char name[16], err[256] = "";
	struct fault f;
	int status = 0;
	pid_t a, b, c;
	json_t *s;

	make_name(name, sizeof(name), 'f');
	a = spawn_named(name);
	fault_init(&f, FAULT_PROCESS_KILL,
		   "{\"target\":{\"name\":\"%s\"},\"signal\":\"SIGTERM\",\"interval\":\"1s\"}",
		   name);
	assert_int_equal(f.tick_ns, NSEC_PER_SEC);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), 0);
	assert_int_equal(wait_exit(a, &status), a);
	untrack(a);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

	/* The "supervisor" restarts the worker: the next tick finds and kills it. */
	b = spawn_named(name);
	assert_int_equal(f.ops->tick(&f, NULL), 0);
	assert_int_equal(wait_exit(b, &status), b);
	untrack(b);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

	/* Nothing matches between restarts: not an error. */
	assert_int_equal(f.ops->tick(&f, NULL), 0);
	s = f.ops->status(&f);
	assert_int_equal(json_integer_value(json_object_get(s, "signalled")), 2);
	json_decref(s);

	/* After revert the ticks stop signalling. */
	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);
	c = spawn_named(name);
	assert_int_equal(f.ops->tick(&f, NULL), 0);
	usleep(100000);
	assert_int_equal(waitpid(c, &status, WNOHANG), 0);
	fault_fini(&f);
	reap(c);
}

static void test_kill_apply_reresolves(void **state)
{
	char name[16], err[256] = "";
	struct fault f;
	int status = 0;
	pid_t a, b;

	/* Planned target restarted before start_after elapsed: apply kills the new one. */
	make_name(name, sizeof(name), 'g');
	a = spawn_named(name);
	fault_init(&f, FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"%s\"},\"signal\":15}", name);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	reap(a);
	b = spawn_named(name);
	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), 0);
	assert_int_equal(wait_exit(b, &status), b);
	untrack(b);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	fault_fini(&f);
}

static void test_match(void **state)
{
	char name[16], marker[64], re[128], err[256] = "";
	struct proc_match m;
	struct proc_info *v = NULL;
	pid_t named, execd;
	size_t n = 0;

	make_name(name, sizeof(name), 'h');
	snprintf(marker, sizeof(marker), "flt-marker-%d", (int)getpid());
	named = spawn_named(name);
	execd = spawn_exec(marker);

	/* by name */
	assert_int_equal(proc_match_init(&m, name, NULL, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, named);
	free(v);
	proc_match_fini(&m);

	/* by cmdline: NUL-separated argv joined by spaces */
	snprintf(re, sizeof(re), "^%s 300$", marker);
	assert_int_equal(proc_match_init(&m, NULL, re, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, execd);
	assert_string_equal(v[0].comm, "sleep");
	free(v);
	proc_match_fini(&m);

	/* cmdline and name must both match */
	assert_int_equal(proc_match_init(&m, "sleep", re, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	free(v);
	proc_match_fini(&m);
	assert_int_equal(proc_match_init(&m, name, re, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	proc_match_fini(&m);

	/* by pid, alone and with a contradicting name */
	assert_int_equal(proc_match_init(&m, NULL, NULL, execd, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, execd);
	free(v);
	proc_match_fini(&m);
	assert_int_equal(proc_match_init(&m, name, NULL, execd, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	proc_match_fini(&m);

	/* an invalid regex reports regerror's text */
	assert_int_equal(proc_match_init(&m, NULL, "([a-", 0, NULL, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	proc_match_fini(&m);

	/* the same through the fault: plan resolves the one child */
	{
		struct fault f;

		fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"cmdline\":\"^%s \"}}", marker);
		assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
		assert_int_equal(claims_count(&f), 1);
		fault_fini(&f);
	}
	reap(named);
	reap(execd);
}

static bool protect_one(pid_t pid, void *data)
{
	return pid == *(pid_t *)data;
}

static void test_untouchable(void **state)
{
	char name[16], self_comm[PROC_COMM_MAX], err[256] = "";
	struct proc_info *v = NULL, self;
	struct fault_env env;
	struct proc_match m;
	struct fault f;
	pid_t child, protected_pid;
	size_t n = 0;

	/* pid 1 and ourselves are never selected, even when asked for by pid */
	assert_int_equal(proc_match_init(&m, NULL, NULL, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	proc_match_fini(&m);
	assert_int_equal(proc_match_init(&m, NULL, NULL, getpid(), NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	proc_match_fini(&m);

	/* nor by name: our own comm matches us and our forked child; only the child comes back */
	assert_int_equal(proc_read_stat(getpid(), &self), 0);
	snprintf(self_comm, sizeof(self_comm), "%s", self.comm);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		child_setup();
		for (;;)
			pause();
	}
	track(child);
	assert_int_equal(proc_match_init(&m, self_comm, NULL, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(v[i].pid, getpid());
	free(v);
	proc_match_fini(&m);
	reap(child);

	/* kernel threads: kthreadd (pid 2) and its children */
	assert_int_equal(proc_match_init(&m, "kthreadd", NULL, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	proc_match_fini(&m);
	assert_int_equal(proc_match_init(&m, NULL, NULL, 2, NULL, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	proc_match_fini(&m);

	/* proc_signal refuses them whatever start time it is given */
	assert_int_equal(proc_signal(1, 0, 0), -EPERM);
	assert_int_equal(proc_signal(getpid(), self.starttime, 0), -EPERM);
	if (proc_read_stat(2, &self) == 0 && proc_is_kthread(&self))
		assert_int_equal(proc_signal(2, self.starttime, 0), -EPERM);

	/* through the fault: the agent itself is refused clearly */
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"pid\":%d}}", (int)getpid());
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "agent itself"));
	fault_fini(&f);

	/* a protected pid (a control client, say) is skipped like the agent */
	make_name(name, sizeof(name), 'i');
	protected_pid = spawn_named(name);
	env.pid_protected = protect_one;
	env.data = &protected_pid;
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"%s\"}}", name);
	assert_int_equal(f.ops->plan(&f, &env, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "matches no process"));
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	fault_fini(&f);
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"pid\":%d}}", (int)protected_pid);
	assert_int_equal(f.ops->plan(&f, &env, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "protected"));
	fault_fini(&f);
	reap(protected_pid);
}

static void test_select(void **state)
{
	static const struct {
		const char *select;
		size_t want;
	} cases[] = {
		{ "\"all\"", 4 },
		{ "\"one\"", 1 },
		{ "{\"count\":2}", 2 },
		{ "{\"count\":10}", 4 },
		{ "{\"percent\":50}", 2 },
		{ "{\"percent\":30}", 2 },
		{ "{\"percent\":1}", 1 },
		{ "{\"percent\":100}", 4 },
		{ "{\"percent\":75}", 3 },
		{ "{\"percent\":12.5}", 1 },
	};
	char name[16], err[256] = "";
	pid_t kids[4];
	struct fault f;

	make_name(name, sizeof(name), 'j');
	for (size_t i = 0; i < 4; i++)
		kids[i] = spawn_named(name);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* Random choices: repeat so a wrong count is unlikely to hide. */
		for (int rep = 0; rep < 5; rep++) {
			json_t *c;

			fault_init(&f, FAULT_PROCESS_PAUSE,
				   "{\"target\":{\"name\":\"%s\",\"select\":%s}}", name,
				   cases[i].select);
			assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
			c = f.ops->claims(&f);
			if (json_array_size(c) != cases[i].want)
				fail_msg("select %s: %zu targets, want %zu", cases[i].select,
					 json_array_size(c), cases[i].want);
			/* distinct targets */
			for (size_t a = 0; a < json_array_size(c); a++)
				for (size_t b = a + 1; b < json_array_size(c); b++)
					assert_string_not_equal(
						json_string_value(json_array_get(c, a)),
						json_string_value(json_array_get(c, b)));
			json_decref(c);
			fault_fini(&f);
		}
	}
	for (size_t i = 0; i < 4; i++)
		reap(kids[i]);
}

static void test_recycled_pid(void **state)
{
	char name[16];
	struct proc_info info;
	int status = 0;
	pid_t pid;

	make_name(name, sizeof(name), 'k');
	pid = spawn_named(name);
	assert_int_equal(proc_read_stat(pid, &info), 0);
	/* Same pid, another start time: some other process now.  It must not be signalled. */
	assert_int_equal(proc_signal(pid, info.starttime + 1, SIGTERM), -ESRCH);
	usleep(100000);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	assert_true(wait_state(pid, "SR"));
	/* Right identity: signal 0 succeeds, then a real one. */
	assert_int_equal(proc_signal(pid, info.starttime, 0), 0);
	assert_int_equal(proc_signal(pid, info.starttime, SIGTERM), 0);
	assert_int_equal(wait_exit(pid, &status), pid);
	untrack(pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	/* Gone (and reaped): -ESRCH. */
	assert_int_equal(proc_signal(pid, info.starttime, SIGTERM), -ESRCH);
	assert_int_equal(proc_read_stat(pid, &info), -ESRCH);
}

static void test_cgroup(void **state)
{
	char name[16], err[256] = "";
	struct proc_info *v = NULL;
	struct proc_match m;
	struct statfs sfs;
	struct fault f;
	size_t n = 0;
	pid_t in, out;

	if (statfs(CG2_ROOT, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		print_message("SKIP: %s is not a cgroup2 mount\n", CG2_ROOT);
		skip();
	}
	if (cg_find_home() < 0) {
		print_message("SKIP: no cgroup2 entry in /proc/self/cgroup\n");
		skip();
	}
	snprintf(cg_dir, sizeof(cg_dir), "%s/faultline-test-%d", CG2_ROOT, (int)getpid());
	if (mkdir(cg_dir, 0755) < 0) {
		print_message("SKIP: cannot create %s: %s\n", cg_dir, strerror(errno));
		cg_dir[0] = '\0';
		skip();
	}
	make_name(name, sizeof(name), 'l');
	in = spawn_named(name);
	out = spawn_named(name);
	if (cg_move(cg_dir, in) < 0) {
		print_message("SKIP: cannot move a process into %s: %s\n", cg_dir, strerror(errno));
		skip();
	}

	assert_int_equal(proc_match_init(&m, NULL, NULL, 0, cg_dir, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, in);
	free(v);
	proc_match_fini(&m);

	/* a pid outside the cgroup does not match it */
	assert_int_equal(proc_match_init(&m, NULL, NULL, out, cg_dir, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	proc_match_fini(&m);
	assert_int_equal(proc_match_init(&m, NULL, NULL, in, cg_dir, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	free(v);
	proc_match_fini(&m);

	/* cgroup and name together; trailing slash is the same directory */
	{
		char slash[600];

		snprintf(slash, sizeof(slash), "%s/", cg_dir);
		assert_int_equal(proc_match_init(&m, name, NULL, 0, slash, err, sizeof(err)), 0);
		assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(v[0].pid, in);
		free(v);
		proc_match_fini(&m);
	}

	/* the subtree counts: a process in a child cgroup is in the parent's target */
	snprintf(cg_sub, sizeof(cg_sub), "%s/sub", cg_dir);
	assert_int_equal(mkdir(cg_sub, 0755), 0);
	assert_int_equal(cg_move(cg_sub, in), 0);
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"cgroup\":\"%s\",\"name\":\"%s\"}}",
		   cg_dir, name);
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), 0);
	assert_int_equal(claims_count(&f), 1);
	assert_int_equal(f.ops->apply(&f, NULL, err, sizeof(err)), 0);
	assert_true(wait_state(in, "T"));
	assert_true(wait_state(out, "S"));
	assert_int_equal(f.ops->revert(&f, err, sizeof(err)), 0);
	assert_true(wait_state(in, "SR"));
	fault_fini(&f);

	/* move back, then the cgroups are empty and go */
	assert_int_equal(cg_move(cg_home, in), 0);
	assert_int_equal(rmdir(cg_sub), 0);
	cg_sub[0] = '\0';
	assert_int_equal(proc_match_init(&m, NULL, NULL, 0, cg_dir, err, sizeof(err)), 0);
	assert_int_equal(proc_find(&m, NULL, NULL, &v, &n), 0);
	assert_int_equal(n, 0);
	proc_match_fini(&m);
	assert_int_equal(rmdir(cg_dir), 0);

	/* a cgroup that does not exist fails plan clearly */
	fault_init(&f, FAULT_PROCESS_PAUSE, "{\"target\":{\"cgroup\":\"%s\"}}", cg_dir);
	cg_dir[0] = '\0';
	assert_int_equal(f.ops->plan(&f, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "does not exist"));
	fault_fini(&f);
	reap(in);
	reap(out);
}

/* ---- validation ---------------------------------------------------------------------- */

struct vcase {
	enum fault_kind kind;
	const char *json;
	const char *path;
	const char *msg; /* substring */
};

static void check_invalid(const struct vcase *c)
{
	struct fault f;
	struct vctx v;
	json_t *j;
	bool found = false;
	int r;

	memset(&f, 0, sizeof(f));
	f.name = fault_name;
	f.kind = c->kind;
	f.ops = fault_ops_table[c->kind];
	j = json_loads(c->json, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		fail_msg("bad test json %s", c->json);
	vctx_init(&v, "t.json", NULL);
	r = f.ops->parse(&f, j, "$.faults[0]", &v);
	for (size_t i = 0; i < v.n; i++) {
		if (strcmp(v.errs[i].path, c->path) == 0 && strstr(v.errs[i].msg, c->msg))
			found = true;
	}
	if (!found) {
		for (size_t i = 0; i < v.n; i++)
			print_error("  got %s: %s\n", v.errs[i].path, v.errs[i].msg);
		fail_msg("%s: no error '%s' at %s", c->json, c->msg, c->path);
	}
	if (r != -EINVAL)
		fail_msg("%s: parse returned %d", c->json, r);
	/* A failed parse leaves nothing behind. */
	assert_null(f.priv);
	vctx_fini(&v);
	json_decref(j);
}

static void test_validation(void **state)
{
	static const char stop_msg[] =
		"use process.pause to stop processes; it resumes them on revert";
	static const struct vcase cases[] = {
		{ FAULT_PROCESS_PAUSE, "{}", "$.faults[0]", "missing required key 'target'" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{}}", "$.faults[0].target",
		  "at least one of 'name', 'cmdline', 'pid' or 'cgroup'" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":\"worker\"}", "$.faults[0].target",
		  "expected an object" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"a-very-long-worker\"}}",
		  "$.faults[0].target.name", "comm is at most 15 characters" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"\"}}", "$.faults[0].target.name",
		  "must not be empty" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"cmdline\":\"([a-\"}}",
		  "$.faults[0].target.cmdline", "invalid regular expression '([a-': " },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"w\",\"bogus\":1}}",
		  "$.faults[0].target.bogus", "unknown key 'bogus'" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"pid\":1}}", "$.faults[0].target.pid",
		  "pid 1 (init) is never targeted" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"pid\":0}}", "$.faults[0].target.pid",
		  "out of range" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"pid\":\"12\"}}", "$.faults[0].target.pid",
		  "expected an integer" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"cgroup\":\"/tmp/x\"}}",
		  "$.faults[0].target.cgroup", "not a directory under /sys/fs/cgroup/" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"cgroup\":\"/sys/fs/cgroup/a/../../etc\"}}",
		  "$.faults[0].target.cgroup", "must not contain '..'" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"w\",\"select\":\"some\"}}",
		  "$.faults[0].target.select", "must be \"all\", \"one\"" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"w\",\"select\":{\"count\":0}}}",
		  "$.faults[0].target.select.count", "out of range" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"w\",\"select\":{\"percent\":0}}}",
		  "$.faults[0].target.select.percent", "out of range" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"w\",\"select\":{\"percent\":101}}}",
		  "$.faults[0].target.select.percent", "out of range" },
		{ FAULT_PROCESS_PAUSE,
		  "{\"target\":{\"name\":\"w\",\"select\":{\"count\":1,\"percent\":5}}}",
		  "$.faults[0].target.select", "either 'count' or 'percent'" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"w\",\"select\":{}}}",
		  "$.faults[0].target.select", "needs 'count' or 'percent'" },
		{ FAULT_PROCESS_PAUSE, "{\"target\":{\"name\":\"w\",\"select\":{\"n\":1}}}",
		  "$.faults[0].target.select.n", "unknown key 'n'" },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"signal\":\"FOO\"}",
		  "$.faults[0].signal", "unknown signal 'FOO'" },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"signal\":99}",
		  "$.faults[0].signal", "not in 1..64" },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"signal\":0}",
		  "$.faults[0].signal", "not in 1..64" },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"signal\":true}",
		  "$.faults[0].signal", "must be a signal name" },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"signal\":\"STOP\"}",
		  "$.faults[0].signal", stop_msg },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"signal\":\"SIGSTOP\"}",
		  "$.faults[0].signal", stop_msg },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"signal\":19}",
		  "$.faults[0].signal", stop_msg },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"signal\":\"TSTP\"}",
		  "$.faults[0].signal", stop_msg },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"interval\":\"1ms\"}",
		  "$.faults[0].interval", "out of range" },
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"w\"},\"interval\":5}",
		  "$.faults[0].interval", "expected a duration" },
		/* errors in several places are all reported */
		{ FAULT_PROCESS_KILL, "{\"target\":{\"name\":\"\"},\"signal\":\"FOO\"}",
		  "$.faults[0].target.name", "must not be empty" },
	};
	static const struct {
		const char *signal;
		const char *want;
	} good[] = {
		{ "\"KILL\"", "SIGKILL" },
		{ "\"SIGTERM\"", "SIGTERM" },
		{ "\"term\"", "SIGTERM" },
		{ "15", "SIGTERM" },
		{ "\"9\"", "SIGKILL" },
		{ "\"USR1\"", "SIGUSR1" },
		{ "\"HUP\"", "SIGHUP" },
		{ "\"SEGV\"", "SIGSEGV" },
		{ "\"CONT\"", "SIGCONT" },
		{ "\"RTMIN+1\"", "SIGRTMIN+1" },
		{ "\"RTMAX\"", "SIGRTMIN+30" },
		{ "\"IOT\"", "SIGABRT" },
		{ "\"SIGPOLL\"", "SIGPOLL" },
		{ "\"IO\"", "SIGPOLL" },
		{ "\"CLD\"", "SIGCHLD" },
		{ "64", "SIGRTMIN+30" },
	};
	struct fault f;
	json_t *s;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_invalid(&cases[i]);

	/* default signal is KILL */
	fault_init(&f, FAULT_PROCESS_KILL, "{\"target\":{\"pid\":1234}}");
	s = f.ops->status(&f);
	assert_string_equal(json_string_value(json_object_get(s, "signal")), "SIGKILL");
	json_decref(s);
	fault_fini(&f);
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		fault_init(&f, FAULT_PROCESS_KILL, "{\"target\":{\"pid\":1234},\"signal\":%s}",
			   good[i].signal);
		s = f.ops->status(&f);
		assert_string_equal(json_string_value(json_object_get(s, "signal")), good[i].want);
		json_decref(s);
		fault_fini(&f);
	}
	/* every selector and select form together is fine */
	fault_init(&f, FAULT_PROCESS_PAUSE,
		   "{\"name\":\"p\",\"type\":\"process.pause\",\"duration\":\"2s\","
		   "\"target\":{\"name\":\"worker\",\"cmdline\":\"^/usr/bin/worker( |$)\","
		   "\"pid\":1234,\"cgroup\":\"/sys/fs/cgroup/system.slice/w.service\","
		   "\"select\":{\"percent\":50}}}");
	fault_fini(&f);
	assert_string_equal(fault_process_pause_ops.keys[0], "target");
	assert_null(fault_process_pause_ops.keys[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fault_table, teardown),
		cmocka_unit_test_teardown(test_validation, teardown),
		cmocka_unit_test_teardown(test_pause_revert, teardown),
		cmocka_unit_test_teardown(test_pause_recover, teardown),
		cmocka_unit_test_teardown(test_pause_prestopped, teardown),
		cmocka_unit_test_teardown(test_pause_target_exited, teardown),
		cmocka_unit_test_teardown(test_kill_term, teardown),
		cmocka_unit_test_teardown(test_kill_tick, teardown),
		cmocka_unit_test_teardown(test_kill_apply_reresolves, teardown),
		cmocka_unit_test_teardown(test_match, teardown),
		cmocka_unit_test_teardown(test_untouchable, teardown),
		cmocka_unit_test_teardown(test_select, teardown),
		cmocka_unit_test_teardown(test_recycled_pid, teardown),
		cmocka_unit_test_teardown(test_cgroup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
