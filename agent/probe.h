/* SPDX-License-Identifier: MIT */
/*
 * A probe kind is one file under probes/ that fills one struct probe_ops.  A probe takes one
 * sample at a time, asynchronously inside the event loop, and reports it through done().
 */
#ifndef FL_PROBE_H
#define FL_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "validate.h"

struct loop;

enum probe_kind {
	PROBE_HTTP,
	PROBE_TCP,
	PROBE_PROCESS,
	PROBE_PROMETHEUS,
	PROBE_COMMAND,
	_PROBE_KIND_MAX,
};

struct sample {
	uint64_t started;  /* CLOCK_MONOTONIC ns */
	uint64_t latency;  /* ns */
	bool ok;
	bool has_value;	   /* numeric probes */
	double value;
	int status;	   /* HTTP status, exit code, ... (0 when none) */
	char reason[160];  /* why it failed; empty when ok */
};

struct probe;
typedef void (*probe_done_cb)(struct probe *p, const struct sample *s, void *data);

struct probe_ops {
	const char *kind;
	const char *const *keys; /* accepted besides the common ones; NULL-terminated */
	bool numeric;		 /* samples carry a value (value rules apply) */
	int (*parse)(struct probe *p, const json_t *spec, const char *path, struct vctx *v);
	/* Begin one sample; done() is called exactly once, later, from the loop. */
	int (*start)(struct probe *p, struct loop *l, probe_done_cb done, void *data);
	/* Abandon the sample in flight, if any; done() is then not called. */
	void (*cancel)(struct probe *p);
	void (*free)(struct probe *p);
};

struct probe {
	char *name;
	enum probe_kind kind;
	const struct probe_ops *ops;
	uint64_t timeout;  /* ns */
	uint64_t interval; /* ns */
	bool busy;
	void *priv;
};

extern const struct probe_ops *const probe_ops_table[_PROBE_KIND_MAX];
extern const struct probe_ops probe_http_ops;
extern const struct probe_ops probe_tcp_ops;
extern const struct probe_ops probe_process_ops;
extern const struct probe_ops probe_prometheus_ops;
extern const struct probe_ops probe_command_ops;
/* Remove command-probe cgroups left behind by an agent that died. */
void probe_command_sweep(void);
const struct probe_ops *probe_ops_find(const char *kind, enum probe_kind *out);

/* Shared by the libcurl-based kinds: the one curl multi handle, driven by the loop. */
int probe_http_global_init(struct loop *l);
void probe_http_global_fini(void);

#endif
