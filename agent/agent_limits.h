/* SPDX-License-Identifier: MIT */
/*
 * The agent-wide limits in force, for fault kinds to read at parse or plan time: a kind that
 * injects loss checks max_loss_percent, one that binds to an interface checks
 * allowed_interfaces, and so on (see struct experiment_limits).  faultlined sets them once at
 * start from its configuration; faultctl and the unit tests see the defaults.
 */
#ifndef FL_AGENT_LIMITS_H
#define FL_AGENT_LIMITS_H

#include <stdbool.h>

#include "experiment.h"

/* Never NULL. */
const struct experiment_limits *agent_limits(void);
/* Copies lim (the string arrays are borrowed and must outlive the agent). */
void agent_limits_set(const struct experiment_limits *lim);
/* The defaults: max_duration AGENT_DEFAULT_MAX_DURATION, percents 100, ssh_exclude on. */
void agent_limits_default(struct experiment_limits *lim);
/* Is comm (a process name as in /proc/PID/comm) in lim's protected_names? */
bool limits_name_protected(const struct experiment_limits *lim, const char *comm);
/* Is dev allowed by lim's allowed_interfaces (always, when the list is unset)? */
bool limits_interface_allowed(const struct experiment_limits *lim, const char *dev);

#endif
