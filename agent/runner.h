/* SPDX-License-Identifier: MIT */
/*
 * The runner drives experiments through their phases inside the event loop:
 *   preflight -> before -> inject (+ monitor) -> rollback -> after -> done
 * and owns every applied fault until it is reverted.  See docs/experiment-format.md.
 */
#ifndef FL_RUNNER_H
#define FL_RUNNER_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "experiment.h"

struct loop;
struct journal;
struct runner;
struct run;

struct runner_hooks {
	/* Every event of every run, in order; ev is borrowed. */
	void (*event)(const char *run_id, json_t *ev, void *data);
	/* pids that faults must never touch besides the agent itself (its clients). */
	bool (*pid_protected)(pid_t pid, void *data);
	void *data;
};

struct runner *runner_new(struct loop *l, struct journal *j, const struct experiment_limits *lim,
			  const struct runner_hooks *hooks);
/* Rolls back whatever is still active first. */
void runner_free(struct runner *rn);

/*
 * Validate, preflight and start an experiment.  On success returns 0 and *reply holds
 * {"run": ID} (or the plan for a dry run).  On failure returns -errno and *reply holds
 * {"code", "error", ...} as described in proto.h.
 */
struct run_request {
	const char *file; /* for messages */
	const char *text;
	size_t len;
	bool dry_run;
	uint64_t lease;	    /* ns; 0 = none.  The run is aborted when not renewed in time. */
	uint64_t start_at;  /* CLOCK_REALTIME ns; 0 = now.  Queued until then. */
};

int runner_start(struct runner *rn, const struct run_request *req, json_t **reply);
/* Extend the run's lease to lease ns from now. */
int runner_renew(struct runner *rn, struct run *r, uint64_t lease);

struct run *runner_find(struct runner *rn, const char *id);
/* Abort one run (operator): returns once every fault it applied is reverted. */
int runner_abort(struct runner *rn, struct run *r, const char *reason);
/* Abort every unfinished run; ids (may be NULL) gets the ids that were aborted. */
int runner_abort_all(struct runner *rn, const char *reason, json_t *ids);
size_t runner_active(const struct runner *rn);

json_t *runner_list(const struct runner *rn);
json_t *runner_status_all(const struct runner *rn);
json_t *run_json(const struct run *r);
/* The full record: run_json() plus every event (not once run_events_on_disk()). */
json_t *run_record(const struct run *r);
/* Events so far (borrowed); empty once run_events_on_disk(). */
json_t *run_events(const struct run *r);
/* An older finished run whose events are only in its record, STATE/runs/ID.json. */
bool run_events_on_disk(const struct run *r);
const char *run_id(const struct run *r);
/*
 * Read-only counters for the metrics endpoint (metrics.c renders them):
 *   {"runs_total": {VERDICT: n} (since start), "runs_active": n,
 *    "faults_active": {KIND: n} (every kind, 0 included),
 *    "rollback": HIST (from rollback start to every revert done),
 *    "probes": [HIST + {"run","probe","kind"}] (every sample of every run still held),
 *    "fault_values": [{"run","fault","kind","key","value"}] (numbers in the status of the
 *                    faults of unfinished runs, e.g. BPF counters)}
 * HIST: {"le": [upper bound s...], "counts": [cumulative...], "sum": s, "count": n}.
 */
json_t *runner_metrics(const struct runner *rn);
bool run_finished(const struct run *r);

#endif
