/* SPDX-License-Identifier: MIT */
/* Experiment format v1: parse and validate, shared by faultlined and faultctl. */
#ifndef FL_EXPERIMENT_H
#define FL_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "fault.h"
#include "probe.h"
#include "validate.h"

#define EXPERIMENT_VERSION 1
#define EXPERIMENT_MAX_BYTES (1024 * 1024)
#define EXPERIMENT_MAX_FAULTS 64
#define EXPERIMENT_MAX_PROBES 64
#define EXPERIMENT_MAX_RULES 64
/* The agent's own cap when nothing else is configured. */
#define AGENT_DEFAULT_MAX_DURATION (3600ULL * NSEC_PER_SEC)

enum rule_kind {
	RULE_CONSECUTIVE_FAILURES, /* count */
	RULE_FAILURE_RATIO,	   /* ratio over window */
	RULE_LATENCY_P95,	   /* latency over window */
	RULE_LATENCY_P99,	   /* latency over window */
	RULE_VALUE_ABOVE,	   /* value: the latest sample's value */
	RULE_VALUE_BELOW,	   /* value */
	RULE_BUDGET_BURN,	   /* slo, ratio (share of the budget) over window */
	_RULE_KIND_MAX,
};

struct rule {
	enum rule_kind kind;
	size_t probe;	   /* index into probes */
	uint64_t count;	   /* consecutive_failures */
	double ratio;	   /* failure_ratio_above, budget_burn_above */
	double value;	   /* value_above, value_below */
	double slo;	   /* budget_burn_above */
	uint64_t latency;  /* latency_p95_above, latency_p99_above (ns) */
	uint64_t window;   /* ns */
	uint64_t min_samples;
	char *desc;	   /* human description, e.g. "checkout: 3 consecutive failures" */
};

/* A weekly window, in UTC: days (bit 0 = Monday .. bit 6 = Sunday), minutes of the day. */
struct sched_window {
	uint8_t days;
	uint16_t start, end; /* end < start: runs past midnight into the next day */
	char *text;
};

struct experiment {
	char *title;
	char *description;
	json_t *tags;

	struct probe *probes;
	size_t nprobes;
	uint64_t before_duration;
	double before_ratio;
	double during_ratio;
	uint64_t after_within;
	uint64_t after_duration;
	double after_ratio;

	struct fault *faults;
	size_t nfaults;

	struct rule *rules;
	size_t nrules;
	uint64_t max_duration;
	bool max_duration_set;
	uint64_t method_duration; /* from inject start until the last fault ends */

	uint64_t not_before; /* CLOCK_REALTIME ns; 0 = none */
	struct sched_window *windows;
	size_t nwindows;
};

/*
 * The agent-wide limits (faultlined.conf and flags; see agent/config.h).  max_duration is
 * enforced by experiment_parse(), protected_names by the runner's pid_protected check; the
 * others are read by the fault kinds that inject loss, CPU or memory load, or touch network
 * interfaces, through agent_limits() (agent_limits.h).  The percents default to 100 and the
 * lists to NULL: no limit.
 */
struct experiment_limits {
	uint64_t max_duration;	  /* the agent's own cap on an experiment's method */
	double max_loss_percent;  /* packet loss a network fault may inject, 0..100 */
	double max_cpu_percent;	  /* cpu.stress load, 1..100 */
	double max_memory_percent; /* memory.stress share of MemTotal, 1..100 */
	char **allowed_interfaces; /* NULL-terminated; network faults only on these */
	char **protected_names;	  /* NULL-terminated process names (comm) never targeted */
	bool ssh_exclude;	  /* network faults spare TCP port 22 unless an experiment says */
};

/*
 * Parse and validate text (len bytes; need not be NUL-terminated).  Returns NULL with every
 * problem recorded in v (whose file names the source) when anything is wrong.
 */
struct experiment *experiment_parse(const char *text, size_t len,
				    const struct experiment_limits *lim, struct vctx *v);
void experiment_free(struct experiment *e);
int experiment_probe_index(const struct experiment *e, const char *name);
/*
 * May the experiment start at when (CLOCK_REALTIME ns)?  0 if so; -EAGAIN with the reason
 * (and when the next window opens) in why otherwise.
 */
int experiment_schedule_check(const struct experiment *e, uint64_t when, char *why, size_t len);
/* "2026-11-23T04:17:37Z" (or +00:00, optional .fff) -> CLOCK_REALTIME ns.  0 or -EINVAL. */
int parse_utc_time(const char *s, uint64_t *out);

#endif
