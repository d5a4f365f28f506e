// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "spawn.h"
#include "util.h"

/* What failed in the child, sent up the pipe. */
enum step {
	STEP_PDEATHSIG,
	STEP_PARENT_GONE,
	STEP_SETSID,
	STEP_SIGNALS,
	STEP_STDIN,
	STEP_FDS,
	STEP_CGROUP,
	STEP_EXEC,
};

struct child_err {
	int step;
	int idx; /* cgroup index for STEP_CGROUP */
	int err;
};

/* The fd the error pipe is moved to in the child, so everything above it can be closed. */
#define ERR_FD 3

static void report(int fd, int step, int idx, int err)
{
	struct child_err ce = { .step = step, .idx = idx, .err = err };

	/* Nothing to do if this fails: the parent then sees EOF plus a dead child. */
	(void)!write(fd, &ce, sizeof(ce));
}

static int close_from(unsigned int first)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, first, ~0U, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
#endif
	for (unsigned int fd = first; fd < 65536; fd++)
		close((int)fd);
	return 0;
}

/* The child, up to exec: async-signal-safe calls only (see spawn.h). */
static void child(const struct spawn_opts *o, int efd, pid_t parent,
		  const char (*procs)[PATH_MAX], size_t ncg)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int fd;

	if (prctl(PR_SET_PDEATHSIG, o->pdeath_signal ? o->pdeath_signal : SIGKILL) < 0) {
		report(efd, STEP_PDEATHSIG, 0, errno);
		_exit(127);
	}
	/* The parent may have died before the prctl: then nobody would ever signal us. */
	if (getppid() != parent) {
		report(efd, STEP_PARENT_GONE, 0, ESRCH);
		_exit(127);
	}
	if (setsid() < 0) {
		report(efd, STEP_SETSID, 0, errno);
		_exit(127);
	}
	/* exec keeps ignored signals ignored and the mask as it is: the agent blocks some. */
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) {
		report(efd, STEP_SIGNALS, 0, errno);
		_exit(127);
	}
	/* Before the error pipe moves to ERR_FD, which output_fd may occupy. */
	if (o->redirect_output &&
	    (dup2(o->output_fd, STDOUT_FILENO) < 0 || dup2(o->output_fd, STDERR_FILENO) < 0)) {
		report(efd, STEP_FDS, 0, errno);
		_exit(127);
	}
	if (efd != ERR_FD) {
		if (dup3(efd, ERR_FD, O_CLOEXEC) < 0) {
			report(efd, STEP_FDS, 0, errno);
			_exit(127);
		}
		efd = ERR_FD;
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
		report(efd, STEP_STDIN, 0, errno);
		_exit(127);
	}
	if (close_from(ERR_FD + 1) < 0) {
		report(efd, STEP_FDS, 0, errno);
		_exit(127);
	}
	for (size_t i = 0; i < ncg; i++) {
		/* "0" is the writer itself, on v1 and v2 alike. */
		fd = open(procs[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			report(efd, STEP_CGROUP, (int)i, errno);
			_exit(127);
		}
		close(fd);
	}
	if (o->fn) {
		close(efd); /* EOF: the parent's spawn() returns success */
		_exit(o->fn(o->arg) & 0xff);
	}
	execv(o->path, o->argv);
	report(efd, STEP_EXEC, 0, errno);
	_exit(127);
}

int spawn(const struct spawn_opts *o, pid_t *pid, char *err, size_t errlen)
{
	char procs[SPAWN_MAX_CGROUPS][PATH_MAX];
	struct child_err ce;
	size_t ncg = 0;
	pid_t parent = getpid(), p;
	int pfd[2] = { -1, -1 }, r = 0;
	ssize_t n;

	if (!o || (!o->fn && (!o->path || !o->argv || !o->argv[0]))) {
		snprintf(err, errlen, "nothing to run");
		return -EINVAL;
	}
	/* Every path the child needs is built here: the child may not call snprintf. */
	for (; o->cgroups && o->cgroups[ncg]; ncg++) {
		if (ncg == SPAWN_MAX_CGROUPS) {
			snprintf(err, errlen, "more than %d cgroups", SPAWN_MAX_CGROUPS);
			return -E2BIG;
		}
		if ((size_t)snprintf(procs[ncg], sizeof(procs[ncg]), "%s/cgroup.procs",
				     o->cgroups[ncg]) >= sizeof(procs[ncg])) {
			snprintf(err, errlen, "cgroup path '%s' is too long", o->cgroups[ncg]);
			return -ENAMETOOLONG;
		}
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(-r));
		return r;
	}
	p = fork();
	if (p < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot fork: %s", strerror(-r));
		goto out;
	}
	if (p == 0) {
		close(pfd[0]);
		child(o, pfd[1], parent, (const char (*)[PATH_MAX])procs, ncg);
		_exit(127); /* not reached */
	}
	close(pfd[1]);
	pfd[1] = -1;
	do {
		n = read(pfd[0], &ce, sizeof(ce));
	} while (n < 0 && errno == EINTR);
	if (n == 0) {
		*pid = p;
		goto out;
	}
	if (n != (ssize_t)sizeof(ce)) {
		ce.step = -1;
		ce.err = n < 0 ? errno : EPROTO;
	}
	r = -(ce.err ? ce.err : EIO);
	switch (ce.step) {
	case STEP_PDEATHSIG:
		snprintf(err, errlen, "child cannot set PR_SET_PDEATHSIG: %s", strerror(-r));
		break;
	case STEP_PARENT_GONE:
		snprintf(err, errlen, "child lost its parent before it started");
		break;
	case STEP_CGROUP:
		snprintf(err, errlen, "child cannot join cgroup '%s': %s",
			 ce.idx >= 0 && (size_t)ce.idx < ncg ? o->cgroups[ce.idx] : "?",
			 strerror(-r));
		break;
	case STEP_EXEC:
		snprintf(err, errlen, "cannot execute '%s': %s", o->path, strerror(-r));
		break;
	default:
		snprintf(err, errlen, "cannot set up the child process: %s", strerror(-r));
		break;
	}
	/* It has _exited or is about to: reap it so no zombie is left. */
	waitpid(p, NULL, 0);
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return r;
}

int spawn_reap(pid_t pid, uint64_t timeout_ns, int *wstatus)
{
	uint64_t deadline = now_mono() + timeout_ns;
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	int st = 0;

	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid) {
			if (wstatus)
				*wstatus = st;
			return 0;
		}
		if (w < 0 && errno != EINTR)
			return -errno;
		if (now_mono() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}

void spawn_describe_status(int wstatus, char *buf, size_t len)
{
	if (WIFEXITED(wstatus)) {
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(wstatus));
	} else if (WIFSIGNALED(wstatus)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));

		if (abbrev)
			snprintf(buf, len, "killed by SIG%s", abbrev);
		else
			snprintf(buf, len, "killed by signal %d", WTERMSIG(wstatus));
	} else {
		snprintf(buf, len, "ended (wait status 0x%x)", (unsigned)wstatus);
	}
}
