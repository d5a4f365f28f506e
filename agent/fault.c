// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "fault.h"

const struct fault_ops *const fault_ops_table[_FAULT_KIND_MAX] = {
	[FAULT_PROCESS_PAUSE] = &fault_process_pause_ops,
	[FAULT_PROCESS_KILL] = &fault_process_kill_ops,
	[FAULT_CPU_STRESS] = &fault_cpu_stress_ops,
	[FAULT_MEMORY_STRESS] = &fault_memory_stress_ops,
	[FAULT_DISK_FILL] = &fault_disk_fill_ops,
	[FAULT_IO_STRESS] = &fault_io_stress_ops,
	[FAULT_NETWORK] = &fault_network_ops,
};

const struct fault_ops *fault_ops_find(const char *kind, enum fault_kind *out)
{
	if (!kind) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < _FAULT_KIND_MAX; i++) {
		const struct fault_ops *ops = fault_ops_table[i];

		if (ops && strcmp(ops->kind, kind) == 0) {
			if (out)
				*out = (enum fault_kind)i;
			return ops;
		}
	}
	errno = ENOENT;
	return NULL;
}

const char *fault_state_str(enum fault_state s)
{
	switch (s) {
	case FAULT_PENDING:
		return "pending";
	case FAULT_ACTIVE:
		return "active";
	case FAULT_REVERTED:
		return "reverted";
	case FAULT_FAILED:
		return "failed";
	case FAULT_SKIPPED:
		return "skipped";
	}
	return "unknown";
}
