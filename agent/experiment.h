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
	RULE_CONSECUTIVE_FAILURES,
	RULE_FAILURE_RATIO,
};

struct rule {
	enum rule_kind kind;
	size_t probe;	   /* index into probes */
	uint64_t count;	   /* consecutive_failures */
	double ratio;	   /* failure_ratio_above */
	uint64_t window;   /* ns */
	uint64_t min_samples;
	char *desc;	   /* human description, e.g. "checkout: 3 consecutive failures" */
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
};

struct experiment_limits {
	uint64_t max_duration; /* the agent's own cap */
};

/*
 * Parse and validate text (len bytes; need not be NUL-terminated).  Returns NULL with every
 * problem recorded in v (whose file names the source) when anything is wrong.
 */
struct experiment *experiment_parse(const char *text, size_t len,
				    const struct experiment_limits *lim, struct vctx *v);
void experiment_free(struct experiment *e);
int experiment_probe_index(const struct experiment *e, const char *name);

#endif
