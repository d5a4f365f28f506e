/* SPDX-License-Identifier: MIT */
/*
 * A fault kind is one file under faults/ that fills one struct fault_ops.  The runner only
 * talks to kinds through this table.
 *
 * Life of a fault:  parse (validation, no side effects)  ->  plan (resolve targets, check the
 * kernel, claim targets; no side effects on them)  ->  undo (the journal record, written and
 * fsync'd by the caller before apply)  ->  apply  ->  tick (optional, repeated)  ->  revert.
 * recover() reverts from a journal record alone, with no experiment and possibly in another
 * process (faultctl recover), so the record must hold everything revert needs.
 */
#ifndef FL_FAULT_H
#define FL_FAULT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "validate.h"

enum fault_kind {
	FAULT_PROCESS_PAUSE,
	FAULT_PROCESS_KILL,
	FAULT_CPU_STRESS,
	FAULT_MEMORY_STRESS,
	FAULT_DISK_FILL,
	FAULT_IO_STRESS,
	FAULT_NETWORK,
	_FAULT_KIND_MAX,
};

enum fault_state {
	FAULT_PENDING,	/* not yet applied */
	FAULT_ACTIVE,	/* applied, not reverted */
	FAULT_REVERTED, /* reverted (or ended) successfully */
	FAULT_FAILED,	/* apply or revert failed; see error */
	FAULT_SKIPPED,	/* never applied: the run ended first */
};

struct fault;

/* What plan() may consult: who must never be targeted, which targets are claimed. */
struct fault_env {
	/* Returns true when pid must not be touched (the agent, its clients, ...). */
	bool (*pid_protected)(pid_t pid, void *data);
	void *data;
	/* The agent's state dir (journal), or NULL: disk.fill keeps a floor free on its fs. */
	const char *state_dir;
};

struct fault_ops {
	const char *kind;
	/* Validate spec (the whole fault object; common keys are handled by the caller). */
	int (*parse)(struct fault *f, const json_t *spec, const char *path, struct vctx *v);
	/* Keys this kind accepts besides the common ones; NULL-terminated. */
	const char *const *keys;
	/* Resolve targets now.  err gets a one-line reason on failure.  No side effects. */
	int (*plan)(struct fault *f, const struct fault_env *env, char *err, size_t errlen);
	/* Conflict keys ("pid:123:starttime", "netdev:eth0", ...) as a JSON array of strings. */
	json_t *(*claims)(const struct fault *f);
	/* The undo record for the journal: everything recover() needs. */
	json_t *(*undo)(const struct fault *f);
	int (*apply)(struct fault *f, const struct fault_env *env, char *err, size_t errlen);
	/* Periodic work while active (tick_ns > 0), e.g. repeated kills. */
	int (*tick)(struct fault *f, const struct fault_env *env);
	/* Idempotent; touches only what apply created. */
	int (*revert)(struct fault *f, char *err, size_t errlen);
	/* Revert from a journal record alone.  Idempotent. */
	int (*recover)(const json_t *undo, char *err, size_t errlen);
	/* Optional: drop what plan() prepared for apply (such as a loaded, unattached program)
	 * once the fault will not be applied: its run ended, or never started.  Leaves an
	 * applied, unreverted fault alone. */
	void (*release)(struct fault *f);
	/* Live state: targets, counters. */
	json_t *(*status)(const struct fault *f);
	void (*free)(struct fault *f);
};

struct fault {
	char *name;
	enum fault_kind kind;
	const struct fault_ops *ops;
	uint64_t start_after; /* ns after the inject phase starts */
	uint64_t duration;    /* ns; 0 = until the method ends */
	uint64_t tick_ns;     /* set by parse for kinds that repeat */
	enum fault_state state;
	char *error;
	uint64_t applied_at, reverted_at; /* CLOCK_REALTIME ns */
	void *priv;
	/* The id of the run this fault belongs to, set before plan(); may be NULL (tests). */
	const char *run_id;
};

extern const struct fault_ops fault_process_pause_ops;
extern const struct fault_ops fault_process_kill_ops;
extern const struct fault_ops fault_cpu_stress_ops;
extern const struct fault_ops fault_memory_stress_ops;
extern const struct fault_ops fault_disk_fill_ops;
extern const struct fault_ops fault_io_stress_ops;
extern const struct fault_ops fault_network_ops;

extern const struct fault_ops *const fault_ops_table[_FAULT_KIND_MAX];
const struct fault_ops *fault_ops_find(const char *kind, enum fault_kind *out);
const char *fault_state_str(enum fault_state s);

#endif
