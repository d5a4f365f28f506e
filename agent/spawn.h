/* SPDX-License-Identifier: MIT */
/*
 * Child processes that never outlive the agent.
 *
 * spawn() forks a child that, before it runs anything of its own:
 *  - asks for a signal (SIGKILL) when its parent dies (PR_SET_PDEATHSIG), then compares
 *    getppid() with the parent that forked it: a parent that died in between would never send
 *    that signal, so the child exits instead;
 *  - joins the given cgroups by writing "0" to each cgroup.procs, so it is inside them before
 *    it allocates a byte or burns a cycle, and killing those cgroups cannot miss it;
 *  - starts a session of its own (a Ctrl-C on the agent's terminal is the agent's to handle),
 *    resets every signal disposition and the signal mask, takes /dev/null as stdin and closes
 *    every inherited descriptor except stdout and stderr;
 * then execs path with argv, or calls fn(arg) and _exits with its return value.
 *
 * Failures of those steps, and of exec, come back to the parent through a close-on-exec pipe:
 * spawn() returns 0 only once the child runs the new image (or fn) inside its cgroups.
 *
 * Between fork and exec the child calls only async-signal-safe functions: the agent may have
 * threads (libcurl's resolver), and the child of a threaded process must not touch malloc or
 * stdio.  fn gets no such protection; use it only in single-threaded programs (tests).
 *
 * PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process: call
 * spawn() from the thread that lives as long as the child may (the agent's main thread).
 */
#ifndef FL_SPAWN_H
#define FL_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPAWN_MAX_CGROUPS 4

struct spawn_opts {
	const char *path;	    /* file to exec, e.g. "/proc/self/exe"; NULL when fn is set */
	char *const *argv;	    /* its argv, NULL-terminated */
	int (*fn)(void *arg);	    /* or run this in the child; returns its exit status */
	void *arg;
	const char *const *cgroups; /* directories to join, NULL-terminated; NULL = none */
	int pdeath_signal;	    /* 0 means SIGKILL */
	bool redirect_output;	    /* stdout and stderr go to output_fd (a probe's pipe) */
	int output_fd;
};

/* Start a child as described above.  0 with *pid set, or -errno and a one-line reason in err. */
int spawn(const struct spawn_opts *o, pid_t *pid, char *err, size_t errlen);

/*
 * Reap pid (a child of ours), waiting up to timeout_ns.  0 when reaped (wait status in
 * *wstatus, which may be NULL), -ETIMEDOUT, -ECHILD when it is not (or no longer) our child.
 */
int spawn_reap(pid_t pid, uint64_t timeout_ns, int *wstatus);

/* "exited with status 3", "killed by SIGKILL" */
void spawn_describe_status(int wstatus, char *buf, size_t len);

#endif
