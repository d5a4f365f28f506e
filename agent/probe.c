// SPDX-License-Identifier: MIT
#include <string.h>

#include "probe.h"

/* Indexed by enum probe_kind: adding a kind means one enum value and one line here. */
const struct probe_ops *const probe_ops_table[_PROBE_KIND_MAX] = {
	[PROBE_HTTP] = &probe_http_ops,
	[PROBE_TCP] = &probe_tcp_ops,
	[PROBE_PROCESS] = &probe_process_ops,
	[PROBE_PROMETHEUS] = &probe_prometheus_ops,
	[PROBE_COMMAND] = &probe_command_ops,
};

/* The ops for kind ("http", ...), with its enum in *out when out is not NULL; NULL if unknown. */
const struct probe_ops *probe_ops_find(const char *kind, enum probe_kind *out)
{
	if (!kind)
		return NULL;
	for (size_t i = 0; i < _PROBE_KIND_MAX; i++) {
		const struct probe_ops *ops = probe_ops_table[i];

		if (ops && strcmp(ops->kind, kind) == 0) {
			if (out)
				*out = (enum probe_kind)i;
			return ops;
		}
	}
	return NULL;
}
