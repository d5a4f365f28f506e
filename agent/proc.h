/* SPDX-License-Identifier: MIT */
/*
 * Processes: enumeration from /proc, matching by comm / cmdline / pid / cgroup, and signalling
 * through pidfds.  A process is identified by (pid, starttime) so a recycled pid is never hit.
 *
 * Safety is enforced here, for every user: proc_find() never returns pid 1, the calling
 * process, kernel threads or zombies, and proc_signal() refuses pid 1, the caller and kernel
 * threads whatever it is asked.
 */
#ifndef FL_PROC_H
#define FL_PROC_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* comm as the kernel shows it is at most TASK_COMM_LEN - 1 = 15 bytes for user processes. */
#define PROC_COMM_USER_MAX 15
/* Kernel threads may show longer names; keep room so they are never mistaken for a match. */
#define PROC_COMM_MAX 64
#define PROC_CGROUP_ROOT "/sys/fs/cgroup"
#define PF_KTHREAD_FLAG 0x00200000u
/* The kernel's PID_MAX_LIMIT on 64-bit. */
#define PROC_PID_MAX 4194304

struct proc_match {
	char *name;	   /* exact comm; NULL = any */
	char *cmdline_src; /* the regex as written, for messages; NULL = any */
	regex_t cmdline;   /* compiled REG_EXTENDED | REG_NOSUB when cmdline_src */
	pid_t pid;	   /* 0 = any */
	char *cgroup;	   /* absolute directory under PROC_CGROUP_ROOT, subtree; NULL = any */
};

struct proc_info {
	pid_t pid;
	pid_t ppid;
	char state;	    /* R S D T t Z X I ... */
	unsigned int flags; /* PF_* */
	uint64_t starttime; /* clock ticks after boot; with pid, the identity of a process */
	char comm[PROC_COMM_MAX];
};

/*
 * Fill m; every argument may be NULL / 0.  Compiles the regex: on failure returns -EINVAL
 * with regerror()'s text in err (err may be NULL).  m is zeroed first; proc_match_fini() is
 * safe after any return.
 */
int proc_match_init(struct proc_match *m, const char *name, const char *cmdline_re, pid_t pid,
		    const char *cgroup, char *err, size_t errlen);
void proc_match_fini(struct proc_match *m);
bool proc_match_empty(const struct proc_match *m);
/* "name 'worker', cmdline 'x.*', pid 12, cgroup '/sys/fs/cgroup/a'" */
void proc_match_describe(const struct proc_match *m, char *buf, size_t len);

/* /proc/PID/stat.  0, -ESRCH when the process does not exist, -errno. */
int proc_read_stat(pid_t pid, struct proc_info *info);
/* /proc/PID/cmdline with NULs turned into spaces (at most 64 KiB, truncated).  0 or -errno. */
int proc_read_cmdline(pid_t pid, char **out);
bool proc_is_kthread(const struct proc_info *info);
/* A process that must never be targeted: pid 1, the caller, kernel threads, zombies. */
bool proc_is_untouchable(const struct proc_info *info);
/* "running", "sleeping", "disk-sleep", "stopped", "tracing-stop", "zombie", "dead", ... */
const char *proc_state_str(char state);
bool proc_state_stopped(char state);

/*
 * Every process matching all the selectors of m, minus untouchable ones and those skip()
 * returns true for (skip may be NULL).  *out is malloc'd (NULL when *n is 0), sorted by pid.
 * 0 or -errno (-ENOENT when m->cgroup does not exist).
 */
int proc_find(const struct proc_match *m, bool (*skip)(pid_t pid, void *data), void *data,
	      struct proc_info **out, size_t *n);

/*
 * Send sig to the process (pid, starttime) through a pidfd: the pidfd is opened first, then
 * the start time re-checked, so a pid recycled in between is never signalled (without
 * pidfd_open, kill() right after the check).  0, -ESRCH when
 * the process is gone or the pid now belongs to another process, -EPERM for pid 1, the caller
 * or a kernel thread, -errno.
 */
int proc_signal(pid_t pid, uint64_t starttime, int sig);

struct vctx;
/*
 * Validate the selector keys of target object t at tpath (name, cmdline, pid, cgroup; the
 * caller checks for unknown keys) and fill m.  Every problem is recorded in v.  0 or -EINVAL.
 */
int proc_match_parse(struct proc_match *m, const json_t *t, const char *tpath, struct vctx *v);

#endif
