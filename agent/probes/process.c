// SPDX-License-Identifier: MIT
/*
 * process: a sample succeeds when the number of processes matching the target is within
 * [min_count, max_count].  The count is the sample's value, so value rules apply to it.
 * Reading /proc is local and quick; the result is still delivered from the loop, never from
 * inside start().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "probe.h"
#include "proc.h"

struct process_priv {
	struct proc_match match;
	uint64_t min, max; /* max 0 = no upper bound */
	struct loop_timer *timer;
	probe_done_cb done;
	void *data;
	struct sample s;
};

static const char *const process_keys[] = { "target", "min_count", "max_count", NULL };
static const char *const target_keys[] = { "name", "cmdline", "pid", "cgroup", NULL };

static void process_deliver(struct loop_timer *t, void *data)
{
	struct probe *p = data;
	struct process_priv *pp = p->priv;
	probe_done_cb done = pp->done;
	void *cbdata = pp->data;
	struct sample s = pp->s;

	loop_timer_free(pp->timer);
	pp->timer = NULL;
	p->busy = false;
	done(p, &s, cbdata);
}

static int process_start(struct probe *p, struct loop *l, probe_done_cb done, void *data)
{
	struct process_priv *pp = p->priv;
	struct proc_info *found = NULL;
	size_t n = 0;
	int r;

	if (pp->timer)
		return -EBUSY;
	memset(&pp->s, 0, sizeof(pp->s));
	pp->s.started = now_mono();
	r = proc_find(&pp->match, NULL, NULL, &found, &n);
	free(found);
	pp->s.latency = now_mono() - pp->s.started;
	pp->s.has_value = true;
	pp->s.value = (double)n;
	if (r < 0 && r != -ENOENT) {
		snprintf(pp->s.reason, sizeof(pp->s.reason), "cannot list processes: %s",
			 strerror(-r));
	} else if (n < pp->min) {
		snprintf(pp->s.reason, sizeof(pp->s.reason), "%zu matching processes, fewer than %llu",
			 n, (unsigned long long)pp->min);
	} else if (pp->max && n > pp->max) {
		snprintf(pp->s.reason, sizeof(pp->s.reason), "%zu matching processes, more than %llu",
			 n, (unsigned long long)pp->max);
	}
	pp->s.ok = !pp->s.reason[0];
	pp->done = done;
	pp->data = data;
	pp->timer = loop_timer_new(l, process_deliver, p);
	if (!pp->timer)
		return -errno;
	loop_timer_arm(pp->timer, 0, 0);
	p->busy = true;
	return 0;
}

static void process_cancel(struct probe *p)
{
	struct process_priv *pp = p->priv;

	if (pp) {
		loop_timer_free(pp->timer);
		pp->timer = NULL;
	}
	p->busy = false;
}

static void process_free(struct probe *p)
{
	struct process_priv *pp = p->priv;

	process_cancel(p);
	if (pp)
		proc_match_fini(&pp->match);
	free(pp);
	p->priv = NULL;
}

static int process_parse(struct probe *p, const json_t *spec, const char *path, struct vctx *v)
{
	struct process_priv *pp = calloc(1, sizeof(*pp));
	char tpath[VPATH_MAX], mp[VPATH_MAX];
	const json_t *t;
	int bad = 0;

	if (!pp)
		return -ENOMEM;
	p->priv = pp;
	pp->min = 1;
	vpath_key(tpath, path, "target");
	t = json_object_get(spec, "target");
	if (!t) {
		verr(v, path, "missing required key 'target'");
		bad = 1;
	} else if (v_object(v, t, tpath, target_keys) < 0 && !json_is_object(t)) {
		bad = 1;
	} else if (proc_match_parse(&pp->match, t, tpath, v) < 0) {
		bad = 1;
	}
	if (v_uint(v, spec, "min_count", path, false, 0, 1000000, &pp->min) < 0)
		bad = 1;
	if (v_uint(v, spec, "max_count", path, false, 1, 1000000, &pp->max) < 0)
		bad = 1;
	if (pp->max && pp->min > pp->max) {
		verr(v, vpath_key(mp, path, "max_count"), "max_count %llu is below min_count %llu",
		     (unsigned long long)pp->max, (unsigned long long)pp->min);
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

const struct probe_ops probe_process_ops = {
	.kind = "process",
	.numeric = true,
	.keys = process_keys,
	.parse = process_parse,
	.start = process_start,
	.cancel = process_cancel,
	.free = process_free,
};
