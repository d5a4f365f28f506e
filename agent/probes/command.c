// SPDX-License-Identifier: MIT
/*
 * command: run argv; a sample succeeds when it exits with the expected code within the
 * timeout and, optionally, its output matches a regular expression.  The child is started by
 * spawn() (PR_SET_PDEATHSIG, its own session) inside a cgroup of faultline's own, so a
 * timeout kills it and everything it started, and so does an agent that dies (the next
 * agent sweeps probe cgroups whose agent is gone).  Its exit is watched through a pidfd and
 * its output through a pipe, both in the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "loop.h"
#include "probe.h"
#include "spawn.h"
#include "units.h"

#define COMMAND_OUTPUT_MAX (64 * 1024)
#define COMMAND_ARGV_MAX 64
#define CG_PROBE_PREFIX "probe-"

struct command_priv {
	char **argv;
	size_t argc;
	int exit_code;
	char *match_src;
	regex_t match;
	bool has_match;

	struct cg cg;
	bool cg_ready;

	pid_t pid;
	int pidfd, outfd;
	struct loop_io *pid_io, *out_io;
	struct loop_timer *timer;
	probe_done_cb done;
	void *data;
	struct sample s;
	char *out;
	size_t out_len;
	bool timed_out;
};

static const char *const command_keys[] = { "argv", "expect", NULL };
static const char *const expect_keys[] = { "exit_code", "stdout_matches", NULL };
static unsigned cg_counter;

static void read_output(struct command_priv *cp)
{
	for (;;) {
		char buf[4096];
		ssize_t n = read(cp->outfd, buf, sizeof(buf));
		size_t room = COMMAND_OUTPUT_MAX - cp->out_len;

		if (n <= 0)
			return;
		/* Keep the first COMMAND_OUTPUT_MAX bytes; drain the rest so the child never blocks. */
		if ((size_t)n > room)
			n = (ssize_t)room;
		memcpy(cp->out + cp->out_len, buf, (size_t)n);
		cp->out_len += (size_t)n;
	}
}

static void reset(struct command_priv *cp)
{
	loop_io_del(cp->pid_io);
	loop_io_del(cp->out_io);
	cp->pid_io = cp->out_io = NULL;
	loop_timer_free(cp->timer);
	cp->timer = NULL;
	if (cp->pidfd >= 0)
		close(cp->pidfd);
	if (cp->outfd >= 0)
		close(cp->outfd);
	cp->pidfd = cp->outfd = -1;
	if (cp->pid > 0) {
		/* Whatever it left behind in its cgroup goes with it. */
		syscall(SYS_kill, cp->pid, SIGKILL);
		waitpid(cp->pid, NULL, 0);
	}
	cp->pid = 0;
}

static void kill_group(struct command_priv *cp)
{
	pid_t *pids = NULL;
	size_t n = 0;

	if (cp->cg_ready && cg_pids(cp->cg.dir[0], &pids, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
	}
	free(pids);
}

static void finish(struct probe *p, int wstatus)
{
	struct command_priv *cp = p->priv;
	probe_done_cb done = cp->done;
	void *data = cp->data;
	struct sample s = cp->s;
	char d[32], what[64];

	s.latency = now_mono() - s.started;
	if (cp->outfd >= 0)
		read_output(cp);
	cp->out[cp->out_len] = '\0';
	if (cp->timed_out) {
		fmt_duration(p->timeout, d, sizeof(d));
		snprintf(s.reason, sizeof(s.reason), "'%s' timed out after %s and was killed",
			 cp->argv[0], d);
	} else if (!WIFEXITED(wstatus)) {
		spawn_describe_status(wstatus, what, sizeof(what));
		snprintf(s.reason, sizeof(s.reason), "'%s' %s", cp->argv[0], what);
	} else {
		s.status = WEXITSTATUS(wstatus);
		if (s.status != cp->exit_code)
			snprintf(s.reason, sizeof(s.reason), "'%s' exited with %d, expected %d",
				 cp->argv[0], s.status, cp->exit_code);
		else if (cp->has_match && regexec(&cp->match, cp->out, 0, NULL, 0) != 0)
			snprintf(s.reason, sizeof(s.reason), "output of '%s' does not match '%.60s'",
				 cp->argv[0], cp->match_src);
	}
	s.ok = !s.reason[0];
	kill_group(cp);
	reset(cp);
	p->busy = false;
	done(p, &s, data);
}

static void on_exit_cb(struct loop_io *io, uint32_t events, void *data)
{
	struct probe *p = data;
	struct command_priv *cp = p->priv;
	int wstatus = 0;

	if (waitpid(cp->pid, &wstatus, WNOHANG) <= 0)
		return;
	cp->pid = 0;
	finish(p, wstatus);
}

static void on_output(struct loop_io *io, uint32_t events, void *data)
{
	struct probe *p = data;
	struct command_priv *cp = p->priv;

	read_output(cp);
	if (events & (EPOLLHUP | EPOLLERR)) {
		/* The write side is closed; the exit comes through the pidfd. */
		loop_io_del(cp->out_io);
		cp->out_io = NULL;
	}
}

static void on_timeout(struct loop_timer *t, void *data)
{
	struct probe *p = data;
	struct command_priv *cp = p->priv;

	cp->timed_out = true;
	kill_group(cp);
	if (cp->pid > 0)
		kill(cp->pid, SIGKILL);
	/* The pidfd reports the exit, and finish() follows from there. */
}

static int ensure_cgroup(struct probe *p, char *err, size_t errlen)
{
	struct command_priv *cp = p->priv;
	struct cg_layout l;
	char name[64];
	int r;

	if (cp->cg_ready)
		return 0;
	r = cg_layout_detect(&l);
	if (r < 0) {
		snprintf(err, errlen, "no cgroup hierarchy");
		return r;
	}
	snprintf(name, sizeof(name), CG_PROBE_PREFIX "%d-%u", (int)getpid(), ++cg_counter);
	r = cg_plan(&l, name, false, &cp->cg, err, errlen);
	if (r < 0)
		return r;
	r = cg_create(&cp->cg, err, errlen);
	if (r < 0)
		return r;
	cp->cg_ready = true;
	return 0;
}

static int command_start(struct probe *p, struct loop *l, probe_done_cb done, void *data)
{
	struct command_priv *cp = p->priv;
	const char *cgs[CG_MAX + 1] = { NULL };
	struct spawn_opts o = { 0 };
	char err[256];
	int pipefd[2] = { -1, -1 }, r;

	if (cp->pid > 0)
		return -EBUSY;
	memset(&cp->s, 0, sizeof(cp->s));
	cp->s.started = now_mono();
	cp->out_len = 0;
	cp->timed_out = false;
	cp->done = done;
	cp->data = data;
	r = ensure_cgroup(p, err, sizeof(err));
	if (r < 0)
		return r;
	for (size_t i = 0; i < cp->cg.n; i++)
		cgs[i] = cp->cg.dir[i];
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	o.path = cp->argv[0];
	o.argv = cp->argv;
	o.cgroups = cgs;
	o.redirect_output = true;
	o.output_fd = pipefd[1];
	r = spawn(&o, &cp->pid, err, sizeof(err));
	close(pipefd[1]);
	if (r < 0) {
		close(pipefd[0]);
		cp->pid = 0;
		return r;
	}
	cp->outfd = pipefd[0];
	cp->pidfd = (int)syscall(SYS_pidfd_open, cp->pid, 0);
	if (cp->pidfd < 0) {
		r = -errno;
		goto fail;
	}
	cp->pid_io = loop_io_add(l, cp->pidfd, EPOLLIN, on_exit_cb, p);
	cp->out_io = loop_io_add(l, cp->outfd, EPOLLIN, on_output, p);
	cp->timer = loop_timer_new(l, on_timeout, p);
	if (!cp->pid_io || !cp->out_io || !cp->timer) {
		r = -ENOMEM;
		goto fail;
	}
	loop_timer_arm(cp->timer, p->timeout, 0);
	p->busy = true;
	return 0;
fail:
	kill_group(cp);
	reset(cp);
	return r;
}

/* The runner cancels its probes when a run ends: nothing of ours outlives that. */
static void command_cancel(struct probe *p)
{
	struct command_priv *cp = p->priv;
	char err[128];

	if (cp) {
		kill_group(cp);
		reset(cp);
		if (cp->cg_ready)
			for (size_t i = cp->cg.n; i-- > 0;)
				cg_destroy(cp->cg.dir[i], NSEC_PER_SEC, err, sizeof(err));
		cp->cg_ready = false;
	}
	p->busy = false;
}

static void command_free(struct probe *p)
{
	struct command_priv *cp = p->priv;

	if (!cp)
		return;
	command_cancel(p);
	for (size_t i = 0; i < cp->argc; i++)
		free(cp->argv[i]);
	free(cp->argv);
	if (cp->has_match)
		regfree(&cp->match);
	free(cp->match_src);
	free(cp->out);
	free(cp);
	p->priv = NULL;
}

static int command_parse(struct probe *p, const json_t *spec, const char *path, struct vctx *v)
{
	struct command_priv *cp = calloc(1, sizeof(*cp));
	const json_t *argv = json_object_get(spec, "argv"), *e;
	char ap[VPATH_MAX], ep[VPATH_MAX], ip[VPATH_MAX];
	size_t before = v->n;
	uint64_t code;
	const char *re;

	if (!cp)
		return -ENOMEM;
	p->priv = cp;
	cp->pidfd = cp->outfd = -1;
	cp->out = malloc(COMMAND_OUTPUT_MAX + 1);
	if (!cp->out)
		return -ENOMEM;
	vpath_key(ap, path, "argv");
	if (!argv) {
		verr(v, path, "missing required key 'argv'");
	} else if (!json_is_array(argv) || !json_array_size(argv) ||
		   json_array_size(argv) > COMMAND_ARGV_MAX) {
		verr(v, ap, "expected an array of 1 to %d strings", COMMAND_ARGV_MAX);
	} else {
		cp->argv = calloc(json_array_size(argv) + 1, sizeof(*cp->argv));
		if (!cp->argv)
			return -ENOMEM;
		for (size_t i = 0; i < json_array_size(argv); i++) {
			const json_t *a = json_array_get(argv, i);

			vpath_idx(ip, ap, i);
			if (!json_is_string(a) || strlen(json_string_value(a)) != json_string_length(a)) {
				verr(v, ip, "expected a string without NUL bytes");
				continue;
			}
			cp->argv[cp->argc++] = strdup(json_string_value(a));
		}
		/* No shell and no PATH search: what runs is exactly what the experiment names. */
		if (cp->argc && cp->argv[0][0] != '/')
			verr(v, vpath_idx(ip, ap, 0),
			     "'%s' is not an absolute path (commands run without a shell or PATH "
			     "lookup)",
			     cp->argv[0]);
	}
	e = json_object_get(spec, "expect");
	if (e) {
		vpath_key(ep, path, "expect");
		if (v_object(v, e, ep, expect_keys) >= 0 || json_is_object(e)) {
			if (v_uint(v, e, "exit_code", ep, false, 0, 255, &code) > 0)
				cp->exit_code = (int)code;
			if (v_string(v, e, "stdout_matches", ep, false, &re) > 0) {
				int rc = regcomp(&cp->match, re, REG_EXTENDED | REG_NOSUB);

				if (rc) {
					char msg[128];

					regerror(rc, &cp->match, msg, sizeof(msg));
					verr(v, vpath_key(ip, ep, "stdout_matches"),
					     "invalid regular expression '%s': %s", re, msg);
				} else {
					cp->has_match = true;
					cp->match_src = strdup(re);
				}
			}
		}
	}
	return v->n > before ? -EINVAL : 0;
}

/* Remove probe cgroups left by an agent that died (their pid is in the name). */
void probe_command_sweep(void)
{
	struct cg_layout l;
	const char *roots[2];
	char err[128];

	if (cg_layout_detect(&l) < 0)
		return;
	roots[0] = l.v2;
	roots[1] = l.any_v1;
	for (size_t k = 0; k < 2; k++) {
		char dir[CG_PATH_MAX + 16];
		struct dirent *de;
		DIR *d;

		if (!roots[k][0])
			continue;
		snprintf(dir, sizeof(dir), "%s/" CG_PARENT, roots[k]);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char path[CG_PATH_MAX + 300];
			int pid;

			if (strncmp(de->d_name, CG_PROBE_PREFIX, strlen(CG_PROBE_PREFIX)) != 0 ||
			    sscanf(de->d_name + strlen(CG_PROBE_PREFIX), "%d-", &pid) != 1)
				continue;
			if (pid == getpid() || (kill(pid, 0) == 0 || errno == EPERM))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			cg_destroy(path, NSEC_PER_SEC, err, sizeof(err));
		}
		closedir(d);
	}
}

const struct probe_ops probe_command_ops = {
	.kind = "command",
	.keys = command_keys,
	.parse = command_parse,
	.start = command_start,
	.cancel = command_cancel,
	.free = command_free,
};
