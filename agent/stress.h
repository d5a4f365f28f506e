/* SPDX-License-Identifier: MIT */
/*
 * What the resource stressors (cpu.stress, memory.stress, disk.fill, io.stress) share: their
 * worker processes, containment, undo records, and measurements taken from /proc and the
 * filesystem.
 *
 * Workers.  The agent re-executes itself (/proc/self/exe) in a hidden mode,
 *     faultlined --stress-worker KIND --parent PID [--KEY VALUE]...
 * rather than forking without exec: the agent may have threads (libcurl's resolver), after
 * which a forked child may make only async-signal-safe calls, and a worker reads /proc,
 * allocates and formats.  A fresh image also owns nothing of the agent's heap, so a memory
 * stressor's resident size is its own.  A worker names itself "faultline-KIND" (its comm), so
 * leftovers are easy to find, and checks again that it dies with the agent.
 *
 * Containment.  A fault's workers live in cgroup(s) named faultline/RUN-FAULT (cgroup.h) that
 * they join before they run, with PR_SET_PDEATHSIG(SIGKILL) (spawn.h).  Revert kills and
 * removes the cgroups, reaps the workers and deletes the files the fault created.  An agent
 * killed outright takes its workers with it; its journal record (cgroup and file paths) lets
 * a restarted agent or `faultctl recover` remove the cgroups and files.
 *
 * Files are DIR/.faultline-WHAT-RUN-FAULT[-N], created with O_EXCL.  Recovery deletes only
 * names of that shape, only regular files, and only files owned by the agent's uid.
 */
#ifndef FL_STRESS_H
#define FL_STRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "cgroup.h"
#include "fault.h"
#include "validate.h"

#define STRESS_WORKER_ARG "--stress-worker"
#define STRESS_FILE_PREFIX ".faultline-"
#define STRESS_ID_MAX 96
/* How often the agent samples its stressors' achieved values. */
#define STRESS_TICK_NS (1000ULL * 1000 * 1000)
/* The floor every filesystem that holds the agent's state dir keeps free, at least. */
#define STRESS_STATE_FLOOR_PERCENT 1.0

struct stress {
	char id[STRESS_ID_MAX]; /* RUN-FAULT: names the cgroups and the files */
	struct cg cg;
	char **files; /* what apply creates, in the undo record */
	bool *made;   /* files[i] was created by this agent (revert deletes only those) */
	size_t nfiles;
	pid_t *pids; /* workers spawned and not yet reaped */
	size_t npids;
	size_t spawned;
	char ended[160]; /* why a worker ended before the revert, "" */
	uint64_t applied_mono;
	bool active;
};

/* Name the fault's cgroups (want_memory: with a memory limit).  No side effects. */
int stress_plan(struct stress *s, const struct fault *f, bool want_memory, char *err,
		size_t errlen);
/* Plan a file DIR/.faultline-WHAT-ID (idx < 0) or ...-ID-IDX.  Returns its index or -errno. */
int stress_add_file(struct stress *s, const char *dir, const char *what, int idx, char *err,
		    size_t errlen);
/* {"kind", "cgroups": [...], "files": [...]}: everything recovery needs. */
json_t *stress_undo(const struct stress *s, const char *kind);
/* Create the cgroups.  Marks the stressor active. */
int stress_begin(struct stress *s, char *err, size_t errlen);
/* Create files[i] with O_EXCL (mode 0600); returns an open O_RDWR fd or -errno. */
int stress_create_file(struct stress *s, size_t i, char *err, size_t errlen);
/* Start one worker of kind with args (NULL-terminated "--key", "value" pairs). */
int stress_spawn(struct stress *s, const char *kind, const char *const *args, char *err,
		 size_t errlen);
/* Reap workers that ended on their own; note why in s->ended.  Returns how many are left. */
size_t stress_poll(struct stress *s);
/* Kill and remove the cgroups, reap the workers, delete the files this agent made. */
int stress_stop(struct stress *s, char *err, size_t errlen);
/* Revert from a journal record alone (any kind's record from stress_undo()). */
int stress_recover(const json_t *undo, char *err, size_t errlen);
/* {"cgroup", "workers": [pids], "ended"?}; merged into each kind's status. */
json_t *stress_status(const struct stress *s);
void stress_fini(struct stress *s);

/* ---- validation shared by the kinds ----------------------------------------------------- */

/* An absolute directory path ("path" key): checked for shape only; plan checks it exists. */
int stress_v_path(struct vctx *v, const json_t *spec, const char *key, const char *path,
		  bool req, const char **out);
/* Plan time: path exists and is a directory.  err names it. */
int stress_check_dir(const char *path, char *err, size_t errlen);

/* ---- measurements ------------------------------------------------------------------------ */

struct cpu_sample {
	uint64_t busy, total; /* USER_HZ ticks */
};

/*
 * /proc/stat: v[0] is the whole host ("cpu"), v[1 + N] is cpuN (zero when absent).  max is
 * the size of v; *n gets 1 + the highest cpu number seen + 1.  0 or -errno.
 */
int stress_read_cpu(struct cpu_sample *v, size_t max, size_t *n);
/* utime + stime of pid in USER_HZ ticks, from /proc/PID/stat. */
int stress_pid_cputime(pid_t pid, uint64_t *ticks);

struct pid_io {
	uint64_t rchar, wchar, read_bytes, write_bytes;
};
/* /proc/PID/io. */
int stress_pid_io(pid_t pid, struct pid_io *io);
/* A "Key:  N kB" line of /proc/PID/status (pid 0 = self) in bytes. */
int stress_pid_status_bytes(pid_t pid, const char *key, uint64_t *bytes);
/* MemTotal and MemAvailable from /proc/meminfo, in bytes. */
int stress_meminfo(uint64_t *total, uint64_t *avail);

struct fs_space {
	uint64_t used;	 /* bytes in use, (f_blocks - f_bfree) * f_frsize */
	uint64_t avail;	 /* bytes an unprivileged writer may still take (df's "Avail") */
	uint64_t usable; /* used + avail: the base of df's "Use%" */
	dev_t dev;
};
int stress_fs_space(const char *path, struct fs_space *fs);
/* df's Use%: used / usable, in percent. */
double stress_fs_used_percent(const struct fs_space *fs);
/*
 * Bytes that must stay free on path's filesystem: floor_percent of its usable size, and at
 * least STRESS_STATE_FLOOR_PERCENT when it also holds state_dir (*state_fs set).
 */
uint64_t stress_floor_bytes(const struct fs_space *fs, double floor_percent, const char *state_dir,
			    bool *state_fs);
/* "1.5GiB", "512MiB", "4096B" */
void stress_fmt_bytes(uint64_t bytes, char *buf, size_t len);

/* ---- the worker side ------------------------------------------------------------------- */

/* Entry point of the hidden mode: argv[0] is STRESS_WORKER_ARG, argv[1] the kind. */
int stress_worker_main(int argc, char **argv);
/* The value following key in argv, or NULL. */
const char *stress_arg(int argc, char **argv, const char *key);
/* A required unsigned argument; prints why and returns -EINVAL when missing or bad. */
int stress_arg_u64(int argc, char **argv, const char *key, uint64_t *out);

/* One per kind, in faults/<kind>.c.  Return the exit status. */
int cpu_worker_main(int argc, char **argv);
int memory_worker_main(int argc, char **argv);
int disk_worker_main(int argc, char **argv);
int io_worker_main(int argc, char **argv);

#endif
