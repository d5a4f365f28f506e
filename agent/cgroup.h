/* SPDX-License-Identifier: MIT */
/*
 * faultline's own cgroups: where they go, creating, limiting, killing and removing them.
 *
 * Every cgroup faultline creates is MOUNT/faultline/NAME, in one or two hierarchies:
 *  - the tracking hierarchy, which holds the processes and is what a revert kills: cgroup v2
 *    when it is mounted (pure v2 at /sys/fs/cgroup, or the hybrid layout's
 *    /sys/fs/cgroup/unified), a v1 hierarchy (pids, else memory, else any) otherwise;
 *  - for memory limits, the hierarchy that actually has the memory controller: v2 when
 *    cgroup.controllers of its root lists "memory", else the v1 memory hierarchy (hybrid
 *    machines often bind memory to v1, leaving v2 with no controllers at all).
 *
 * A process is put in both before it runs (spawn.h), so killing the tracking cgroup kills it
 * and the memory cgroup bounds it.  Everything here is idempotent: a missing cgroup is a
 * removed cgroup.
 */
#ifndef FL_CGROUP_H
#define FL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CG_PARENT "faultline"
#define CG_PATH_MAX 512
#define CG_MAX 2

struct cg_layout {
	char v2[CG_PATH_MAX];	  /* cgroup2 mount point, "" when none */
	char mem_v1[CG_PATH_MAX]; /* v1 hierarchy with the memory controller, "" when none */
	char any_v1[CG_PATH_MAX]; /* a v1 hierarchy to track processes in, "" when none */
	bool mem_v2;		  /* the memory controller is available in v2 */
};

/* Read /proc/self/mountinfo.  0, or -ENOENT when no cgroup hierarchy is mounted. */
int cg_layout_detect(struct cg_layout *l);

/* A planned set of cgroups: dir[0] tracks (and is killed), dir[mem] limits memory. */
struct cg {
	char dir[CG_MAX][CG_PATH_MAX];
	size_t n;
	int mem;     /* index into dir of the memory cgroup, -1 when none */
	bool mem_v2; /* dir[mem] is v2: memory.max rather than memory.limit_in_bytes */
};

/*
 * Compute the cgroups for name (no side effects).  want_memory fails with -EOPNOTSUPP when no
 * hierarchy has the memory controller.  err gets a one-line reason.
 */
int cg_plan(const struct cg_layout *l, const char *name, bool want_memory, struct cg *g,
	    char *err, size_t errlen);
/* mkdir them (and their faultline parent), enabling the memory controller on v2 if needed. */
int cg_create(const struct cg *g, char *err, size_t errlen);
/* memory.max (v2) or memory.limit_in_bytes (v1), and no swap where the files exist. */
int cg_set_memory_limit(const struct cg *g, uint64_t bytes, char *err, size_t errlen);
/* memory.current (v2) or memory.usage_in_bytes (v1).  0 or -errno. */
int cg_memory_current(const struct cg *g, uint64_t *bytes);
/* The pids in dir/cgroup.procs (malloc'd, *n of them).  -ENOENT when dir does not exist. */
int cg_pids(const char *dir, pid_t **out, size_t *n);

/*
 * Kill every process in dir (cgroup.kill, or SIGKILL to each pid until it is empty), wait up
 * to timeout_ns for it to empty, rmdir it, then rmdir its faultline parent if that is empty.
 * A dir that does not exist is success.  Only for dirs that cg_is_ours() accepts.
 */
int cg_destroy(const char *dir, uint64_t timeout_ns, char *err, size_t errlen);

/*
 * True when dir is MOUNT/faultline/NAME on a cgroup filesystem, NAME one plain component:
 * the only shape cg_destroy() may be pointed at, e.g. from a journal record.
 */
bool cg_is_ours(const char *dir);

#endif
