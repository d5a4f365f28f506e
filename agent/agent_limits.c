// SPDX-License-Identifier: MIT
#include <string.h>

#include "agent_limits.h"

static struct experiment_limits current = {
	.max_duration = AGENT_DEFAULT_MAX_DURATION,
	.max_loss_percent = 100,
	.max_cpu_percent = 100,
	.max_memory_percent = 100,
	.ssh_exclude = true,
};

const struct experiment_limits *agent_limits(void)
{
	return &current;
}

void agent_limits_set(const struct experiment_limits *lim)
{
	current = *lim;
}

void agent_limits_default(struct experiment_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_duration = AGENT_DEFAULT_MAX_DURATION;
	lim->max_loss_percent = 100;
	lim->max_cpu_percent = 100;
	lim->max_memory_percent = 100;
	lim->ssh_exclude = true;
}

static bool in_list(char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool limits_name_protected(const struct experiment_limits *lim, const char *comm)
{
	return in_list(lim->protected_names, comm);
}

bool limits_interface_allowed(const struct experiment_limits *lim, const char *dev)
{
	return !lim->allowed_interfaces || in_list(lim->allowed_interfaces, dev);
}
