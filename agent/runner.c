// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_limits.h"
#include "crashpoint.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "runner.h"
#include "units.h"

#define RUN_ID_BYTES 6
#define RUN_MAX_EVENTS 20000
#define RUN_KEEP_FINISHED 128
#define RUN_KEEP_EVENTS 4
#define SAMPLE_RING 4096

enum phase { PH_QUEUED, PH_PREFLIGHT, PH_BEFORE, PH_INJECT, PH_ROLLBACK, PH_AFTER, PH_DONE, _PH_MAX };
static const char *const phase_names[_PH_MAX] = { "queued",   "preflight", "before", "inject",
						  "rollback", "after",	   "done" };

enum verdict { V_NONE, V_PASSED, V_DEVIATED, V_ABORTED, V_CANCELLED, V_FAILED, V_NOT_RUN };
static const char *const verdict_names[] = { NULL,	  "passed", "deviated", "aborted",
					     "cancelled", "failed", "not_run" };

/*
 * Fixed-bucket histograms for the metrics endpoint (upper bounds in ns; counts[] is not
 * cumulative, counts[n] is the +Inf overflow).
 */
static const uint64_t probe_buckets[] = {
	5 * NSEC_PER_MSEC,   10 * NSEC_PER_MSEC,  25 * NSEC_PER_MSEC, 50 * NSEC_PER_MSEC,
	100 * NSEC_PER_MSEC, 250 * NSEC_PER_MSEC, 500 * NSEC_PER_MSEC, NSEC_PER_SEC,
	2500 * NSEC_PER_MSEC, 5 * NSEC_PER_SEC,	   10 * NSEC_PER_SEC,
};
static const uint64_t rollback_buckets[] = {
	NSEC_PER_MSEC,	     5 * NSEC_PER_MSEC,	  10 * NSEC_PER_MSEC, 50 * NSEC_PER_MSEC,
	100 * NSEC_PER_MSEC, 500 * NSEC_PER_MSEC, NSEC_PER_SEC,	      5 * NSEC_PER_SEC,
	10 * NSEC_PER_SEC,   30 * NSEC_PER_SEC,
};
#define HIST_MAX_BUCKETS 16
_Static_assert(ARRAY_SIZE(probe_buckets) <= HIST_MAX_BUCKETS, "too many probe buckets");
_Static_assert(ARRAY_SIZE(rollback_buckets) <= HIST_MAX_BUCKETS, "too many rollback buckets");

struct hist {
	uint64_t counts[HIST_MAX_BUCKETS + 1];
	uint64_t sum; /* ns */
	uint64_t count;
};

struct ring_sample {
	uint64_t t; /* mono */
	uint64_t latency;
	double value;
	bool ok;
	bool has_value;
};

struct rule_eval {
	bool evaluated; /* enough samples to judge */
	bool tripped;
	double current, threshold;
	char why[200];
};

struct probe_state {
	struct run *run;
	struct probe *p;
	struct loop_timer *timer;
	enum phase started_in; /* phase when the sample in flight started */
	uint64_t samples, failures;
	uint64_t consecutive;
	struct sample last;
	bool has_last;
	bool last_after_ok;   /* latest sample started in the after phase succeeded */
	bool sampled_after;   /* has one since the after phase began */
	struct ring_sample ring[SAMPLE_RING];
	size_t ring_n, ring_head;
	struct hist latency; /* every sample, for the metrics endpoint */
	/* latency_summary() as of summary_at samples: status is asked more often than sampled */
	uint64_t summary_at;
	uint64_t p50, p95, p99, pmax;
};

struct phase_stat {
	uint64_t started, ended; /* realtime */
	uint64_t samples, failures;
	bool entered;
};

struct fault_rt {
	struct run *run;
	struct fault *f;
	struct loop_timer *start_timer, *end_timer, *tick_timer;
	bool journaled;
	int order; /* position in apply order, -1 if not applied */
};

struct run {
	struct runner *rn;
	struct run *next;
	char id[2 * RUN_ID_BYTES + 1];
	char *file;
	struct experiment *e;
	enum phase phase;
	enum verdict verdict;
	char *reason;
	char *failed_step;
	uint64_t start_mono, start_real, end_real;
	uint64_t inject_mono, rollback_done_mono, recovered_mono, after_mono;
	bool recovered;
	uint64_t verify_samples, verify_failures;
	struct phase_stat ph[_PH_MAX];
	struct probe_state *ps;
	struct fault_rt *frt;
	int applied; /* number of faults applied so far (apply order counter) */
	struct loop_timer *phase_timer;
	struct loop_timer *lease_timer, *queue_timer;
	uint64_t lease; /* ns; 0 = none */
	json_t *claims;
	json_t *events;
	uint64_t events_dropped;
	/* The record, events and all, is durable in runs/ID.json. */
	bool record_on_disk;
	/* ... and the events left memory: read them from there. */
	bool events_on_disk;
	int tripped_rule;
	uint64_t *rule_evals;	  /* evaluations per rule */
	uint64_t breach_to_clean; /* ns, when a rule tripped */
};

struct runner {
	struct loop *loop;
	struct journal *j;
	struct experiment_limits lim;
	struct runner_hooks hooks;
	struct fault_env env;
	struct run *runs; /* newest first */
	/* Since start, for the metrics endpoint (runner_metrics). */
	uint64_t runs_total[ARRAY_SIZE(verdict_names)];
	struct hist rollback_hist; /* rollback start to every revert done */
};

static void enter_phase(struct run *r, enum phase ph);
static void rollback(struct run *r);
static void finish(struct run *r);

static void hist_observe(struct hist *h, const uint64_t *bounds, size_t n, uint64_t v)
{
	size_t i = 0;

	while (i < n && v > bounds[i])
		i++;
	h->counts[i]++;
	h->sum += v;
	h->count++;
}

/* ---- helpers -------------------------------------------------------------------------- */

static uint64_t ms(uint64_t ns)
{
	return ns / NSEC_PER_MSEC;
}

static json_t *iso(uint64_t real)
{
	char buf[40];

	if (!real)
		return json_null();
	fmt_time_iso(real, buf, sizeof(buf));
	return json_string(buf);
}

static bool env_protected(pid_t pid, void *data)
{
	struct runner *rn = data;

	if (pid == getpid() || pid == 1)
		return true;
	/* The agent's protected_processes (faultlined.conf): by name, whatever the target says. */
	if (rn->lim.protected_names) {
		struct proc_info info;

		if (proc_read_stat(pid, &info) == 0 &&
		    limits_name_protected(&rn->lim, info.comm))
			return true;
	}
	return rn->hooks.pid_protected && rn->hooks.pid_protected(pid, rn->hooks.data);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? strdup(s) : NULL;
}

/*
 * Stamp the event and keep it (the first RUN_MAX_EVENTS, and always the "end"), then call
 * kept(r) when given, then hand it to the hooks: the run's record is saved with its "end"
 * event, before any client hears of the end.
 */
static void emit_kept(struct run *r, const char *type, json_t *fields,
		      void (*kept)(struct run *r))
{
	json_t *ev = fields ? fields : json_object();
	uint64_t now = now_mono();

	if (!ev)
		return;
	json_object_set_new(ev, "run", json_string(r->id));
	json_object_set_new(ev, "time", iso(now_real()));
	json_object_set_new(ev, "t_ms", json_integer((json_int_t)ms(now - r->start_mono)));
	json_object_set_new(ev, "type", json_string(type));
	if (json_array_size(r->events) < RUN_MAX_EVENTS || !strcmp(type, "end"))
		json_array_append(r->events, ev);
	else
		r->events_dropped++;
	if (kept)
		kept(r);
	if (r->rn->hooks.event)
		r->rn->hooks.event(r->id, ev, r->rn->hooks.data);
	json_decref(ev);
}

static void emit(struct run *r, const char *type, json_t *fields)
{
	emit_kept(r, type, fields, NULL);
}

static void set_verdict(struct run *r, enum verdict v, const char *step, const char *fmt, ...)
	PRINTF(4, 5);

/* The first verdict that explains the end wins; later ones only add nothing. */
static void set_verdict(struct run *r, enum verdict v, const char *step, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (r->verdict != V_NONE && !(v == V_FAILED && r->verdict != V_FAILED))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->verdict = v;
	set_str(&r->reason, buf);
	set_str(&r->failed_step, step);
}

/* ---- faults ------------------------------------------------------------------------------- */

static void fault_set_error(struct fault *f, const char *err)
{
	set_str(&f->error, err);
}

static void fault_event(struct run *r, struct fault *f)
{
	emit(r, "fault",
	     json_pack("{s:s, s:s, s:s, s:s?}", "fault", f->name, "kind", f->ops->kind, "state",
		       fault_state_str(f->state), "error", f->error));
}

static int revert_fault(struct fault_rt *fr)
{
	struct run *r = fr->run;
	struct fault *f = fr->f;
	char err[256] = "";
	int ret;

	loop_timer_free(fr->end_timer);
	loop_timer_free(fr->tick_timer);
	fr->end_timer = fr->tick_timer = NULL;
	if (f->state != FAULT_ACTIVE && !(f->state == FAULT_FAILED && fr->journaled))
		return 0;
	crashpoint("revert");
	ret = f->ops->revert(f, err, sizeof(err));
	if (ret < 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "revert of '%s' failed: %s", f->name,
			 err[0] ? err : strerror(-ret));
		log_err("run %s: %s; its undo record stays in the journal", r->id, msg);
		f->state = FAULT_FAILED;
		fault_set_error(f, msg);
		set_verdict(r, V_FAILED, "rollback", "%s", msg);
		fault_event(r, f);
		return ret;
	}
	f->state = FAULT_REVERTED;
	f->reverted_at = now_real();
	crashpoint("reverted");
	if (fr->journaled) {
		ret = journal_remove(r->rn->j, r->id, f->name);
		if (ret < 0)
			log_warn("run %s: cannot remove the journal record of '%s': %s", r->id,
				 f->name, strerror(-ret));
		else
			fr->journaled = false;
		crashpoint("journal-removed");
	}
	log_info("run %s: reverted %s '%s'", r->id, f->ops->kind, f->name);
	fault_event(r, f);
	return 0;
}

static void fault_end_cb(struct loop_timer *t, void *data)
{
	struct fault_rt *fr = data;

	fr->end_timer = NULL;
	loop_timer_free(t);
	revert_fault(fr);
	if (fr->f->state == FAULT_FAILED && fr->run->phase == PH_INJECT)
		rollback(fr->run);
}

static void fault_tick_cb(struct loop_timer *t, void *data)
{
	struct fault_rt *fr = data;

	if (fr->f->state == FAULT_ACTIVE && fr->f->ops->tick)
		fr->f->ops->tick(fr->f, &fr->run->rn->env);
}

static void fault_start_cb(struct loop_timer *t, void *data)
{
	struct fault_rt *fr = data;
	struct run *r = fr->run;
	struct fault *f = fr->f;
	char err[256] = "";
	json_t *undo;
	int ret;

	fr->start_timer = NULL;
	loop_timer_free(t);
	if (r->phase != PH_INJECT)
		return;
	/* The undo record is durable before anything is touched. */
	undo = f->ops->undo ? f->ops->undo(f) : json_object();
	if (!undo) {
		ret = -ENOMEM;
		snprintf(err, sizeof(err), "cannot build the undo record: %s", strerror(-ret));
		goto fail;
	}
	crashpoint("journal-write");
	ret = journal_write(r->rn->j, r->id, f->name, f->ops->kind, undo);
	json_decref(undo);
	if (ret < 0) {
		snprintf(err, sizeof(err), "cannot write the undo journal in '%s': %s",
			 journal_state_dir(r->rn->j), strerror(-ret));
		fault_set_error(f, err);
		f->state = FAULT_FAILED;
		set_verdict(r, V_FAILED, "journal", "fault '%s' not applied: %s", f->name, err);
		fault_event(r, f);
		rollback(r);
		return;
	}
	fr->journaled = true;
	crashpoint("journal-written");
	ret = f->ops->apply(f, &r->rn->env, err, sizeof(err));
	if (ret < 0)
		goto fail;
	f->state = FAULT_ACTIVE;
	f->applied_at = now_real();
	fr->order = r->applied++;
	log_info("run %s: applied %s '%s'", r->id, f->ops->kind, f->name);
	fault_event(r, f);
	crashpoint("applied");
	if (f->duration) {
		fr->end_timer = loop_timer_new(r->rn->loop, fault_end_cb, fr);
		if (fr->end_timer)
			loop_timer_arm(fr->end_timer, f->duration, 0);
	}
	if (f->tick_ns && f->ops->tick) {
		fr->tick_timer = loop_timer_new(r->rn->loop, fault_tick_cb, fr);
		if (fr->tick_timer)
			loop_timer_arm(fr->tick_timer, f->tick_ns, f->tick_ns);
	}
	return;
fail:
	if (!err[0])
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	{
		char msg[400];

		snprintf(msg, sizeof(msg), "apply of '%s' failed: %s", f->name, err);
		fault_set_error(f, msg);
		set_verdict(r, V_FAILED, "apply", "%s", msg);
	}
	/* A partial apply is reverted like a full one: revert only undoes what was done. */
	f->state = FAULT_FAILED;
	fault_event(r, f);
	rollback(r);
}

/* ---- probes and rules --------------------------------------------------------------------- */

static void ring_push(struct probe_state *ps, const struct sample *s)
{
	size_t idx = (ps->ring_head + ps->ring_n) % SAMPLE_RING;

	if (ps->ring_n == SAMPLE_RING) {
		ps->ring_head = (ps->ring_head + 1) % SAMPLE_RING;
		idx = (ps->ring_head + SAMPLE_RING - 1) % SAMPLE_RING;
	} else {
		ps->ring_n++;
	}
	ps->ring[idx].t = s->started;
	ps->ring[idx].latency = s->latency;
	ps->ring[idx].ok = s->ok;
	ps->ring[idx].value = s->value;
	ps->ring[idx].has_value = s->has_value;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values. */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

/*
 * Evaluate rule on the samples of its probe taken during injection; ev says whether there was
 * enough to judge, the current value against the threshold, and whether it trips.
 */
static void rule_eval(const struct run *r, const struct rule *rule, struct rule_eval *ev)
{
	const struct probe_state *ps = &r->ps[rule->probe];
	uint64_t now = now_mono(), n = 0, bad = 0;
	uint64_t lat[SAMPLE_RING];
	const struct ring_sample *last = NULL;

	memset(ev, 0, sizeof(*ev));
	for (size_t k = 0; k < ps->ring_n; k++) {
		const struct ring_sample *s = &ps->ring[(ps->ring_head + k) % SAMPLE_RING];

		if (!r->inject_mono || s->t < r->inject_mono)
			continue;
		last = s;
		if (rule->window && now - s->t > rule->window)
			continue;
		lat[n] = s->latency;
		n++;
		bad += !s->ok;
	}
	switch (rule->kind) {
	case RULE_CONSECUTIVE_FAILURES:
		ev->evaluated = r->inject_mono != 0;
		ev->current = (double)ps->consecutive;
		ev->threshold = (double)rule->count;
		ev->tripped = ps->consecutive >= rule->count;
		snprintf(ev->why, sizeof(ev->why), "%llu consecutive failures",
			 (unsigned long long)ps->consecutive);
		break;
	case RULE_FAILURE_RATIO:
		ev->evaluated = n >= rule->min_samples;
		ev->current = n ? (double)bad / (double)n : 0;
		ev->threshold = rule->ratio;
		ev->tripped = ev->evaluated && ev->current > rule->ratio;
		snprintf(ev->why, sizeof(ev->why), "failure ratio %.2f (%llu of %llu) above %g",
			 ev->current, (unsigned long long)bad, (unsigned long long)n, rule->ratio);
		break;
	case RULE_LATENCY_P95:
	case RULE_LATENCY_P99: {
		unsigned pct = rule->kind == RULE_LATENCY_P95 ? 95 : 99;
		uint64_t p = 0;

		ev->evaluated = n >= rule->min_samples;
		if (n) {
			qsort(lat, n, sizeof(lat[0]), cmp_u64);
			p = percentile(lat, n, pct);
		}
		ev->current = (double)p / 1e6;
		ev->threshold = (double)rule->latency / 1e6;
		ev->tripped = ev->evaluated && p > rule->latency;
		snprintf(ev->why, sizeof(ev->why), "p%u latency %.1fms over %llu samples above %.1fms",
			 pct, ev->current, (unsigned long long)n, ev->threshold);
		break;
	}
	case RULE_VALUE_ABOVE:
	case RULE_VALUE_BELOW:
		ev->evaluated = last && last->has_value;
		ev->current = ev->evaluated ? last->value : 0;
		ev->threshold = rule->value;
		ev->tripped = ev->evaluated && (rule->kind == RULE_VALUE_ABOVE
							? ev->current > rule->value
							: ev->current < rule->value);
		snprintf(ev->why, sizeof(ev->why), "value %g %s %g", ev->current,
			 rule->kind == RULE_VALUE_ABOVE ? "above" : "below", rule->value);
		break;
	case RULE_BUDGET_BURN: {
		/* The budget: the failures the SLO allows among the samples one window holds. */
		double expected = (double)rule->window / (double)ps->p->interval;
		double allowed = (1.0 - rule->slo) * expected;

		ev->evaluated = n >= rule->min_samples;
		ev->current = allowed > 0 ? (double)bad / allowed : (bad ? INFINITY : 0);
		ev->threshold = rule->ratio;
		ev->tripped = ev->evaluated && ev->current > rule->ratio;
		snprintf(ev->why, sizeof(ev->why),
			 "%llu failures burned %.2f of the error budget (%.2f failures allowed by "
			 "SLO %g over the window)",
			 (unsigned long long)bad, ev->current, allowed, rule->slo);
		break;
	}
	case _RULE_KIND_MAX:
		break;
	}
}

static void check_rules(struct run *r, struct probe_state *ps, const struct sample *s,
			uint64_t done_at)
{
	for (size_t i = 0; i < r->e->nrules; i++) {
		const struct rule *rule = &r->e->rules[i];
		struct rule_eval ev;
		const char *why = ev.why;

		if (&r->ps[rule->probe] != ps)
			continue;
		rule_eval(r, rule, &ev);
		r->rule_evals[i]++;
		if (!ev.tripped)
			continue;
		r->tripped_rule = (int)i;
		log_notice("run %s: safety rule '%s' tripped (%s); rolling back", r->id, rule->desc,
			   why);
		emit(r, "breach",
		     json_pack("{s:s, s:s, s:s, s:s}", "rule", rule->desc, "probe", ps->p->name,
			       "reason", why, "sample", s->ok ? "ok" : s->reason));
		set_verdict(r, V_ABORTED, "monitor",
			    "safety rule '%s' tripped: %s; last sample of '%s' at +%llums: %s",
			    rule->desc, why, ps->p->name,
			    (unsigned long long)ms(s->started - r->start_mono),
			    s->ok ? "ok" : s->reason);
		rollback(r);
		/* From the sample that breached to every fault reverted. */
		r->breach_to_clean = now_mono() - done_at;
		return;
	}
}

static void after_progress(struct run *r);
static void before_progress(struct run *r);

static void probe_done(struct probe *p, const struct sample *s, void *data)
{
	struct probe_state *ps = data;
	struct run *r = ps->run;
	enum phase ph = ps->started_in;
	uint64_t done_at = now_mono();

	ps->p->busy = false;
	ps->samples++;
	ps->failures += !s->ok;
	ps->consecutive = s->ok ? 0 : ps->consecutive + 1;
	ps->last = *s;
	ps->has_last = true;
	ring_push(ps, s);
	hist_observe(&ps->latency, probe_buckets, ARRAY_SIZE(probe_buckets), s->latency);
	if (ph < _PH_MAX) {
		r->ph[ph].samples++;
		r->ph[ph].failures += !s->ok;
	}
	emit(r, "sample",
	     json_pack("{s:s, s:b, s:f, s:i, s:s?, s:s}", "probe", p->name, "ok", s->ok,
		       "latency_ms", (double)s->latency / 1e6, "status", s->status, "reason",
		       s->ok ? NULL : s->reason, "phase", phase_names[ph]));
	if (ph == PH_AFTER) {
		ps->sampled_after = true;
		ps->last_after_ok = s->ok;
		if (r->recovered) {
			r->verify_samples++;
			r->verify_failures += !s->ok;
		}
	}
	/* The sample may have started in an earlier phase; act on the current one. */
	switch (r->phase) {
	case PH_BEFORE:
		before_progress(r);
		break;
	case PH_INJECT:
		if (ph == PH_INJECT)
			check_rules(r, ps, s, done_at);
		break;
	case PH_AFTER:
		after_progress(r);
		break;
	default:
		break;
	}
}

static void probe_tick(struct loop_timer *t, void *data)
{
	struct probe_state *ps = data;
	struct run *r = ps->run;
	int ret;

	if (ps->p->busy)
		return; /* the previous sample is still out: never stack them */
	ps->started_in = r->phase;
	ps->p->busy = true;
	ret = ps->p->ops->start(ps->p, r->rn->loop, probe_done, ps);
	if (ret < 0) {
		struct sample s = { .started = now_mono(), .ok = false };

		ps->p->busy = false;
		snprintf(s.reason, sizeof(s.reason), "cannot start probe: %s", strerror(-ret));
		probe_done(ps->p, &s, ps);
	}
}

static int probes_start(struct run *r)
{
	for (size_t i = 0; i < r->e->nprobes; i++) {
		struct probe_state *ps = &r->ps[i];

		if (ps->timer)
			continue;
		ps->timer = loop_timer_new(r->rn->loop, probe_tick, ps);
		if (!ps->timer)
			return -errno;
		loop_timer_arm(ps->timer, 0, ps->p->interval);
	}
	return 0;
}

static void probes_stop(struct run *r)
{
	for (size_t i = 0; i < r->e->nprobes; i++) {
		struct probe_state *ps = &r->ps[i];

		loop_timer_free(ps->timer);
		ps->timer = NULL;
		/* Also when idle: a kind may hold resources between samples (a cgroup). */
		if (ps->p->ops->cancel)
			ps->p->ops->cancel(ps->p);
		ps->p->busy = false;
	}
}

static double ratio(uint64_t samples, uint64_t failures)
{
	return samples ? (double)(samples - failures) / (double)samples : 1.0;
}

/* ---- phases ------------------------------------------------------------------------------- */

static void phase_timer_cb(struct loop_timer *t, void *data)
{
	struct run *r = data;

	switch (r->phase) {
	case PH_BEFORE:
		before_progress(r);
		break;
	case PH_INJECT:
		log_info("run %s: method ended", r->id);
		rollback(r);
		break;
	case PH_AFTER:
		after_progress(r);
		break;
	default:
		break;
	}
}

static bool all_sampled_in(const struct run *r, enum phase ph)
{
	(void)ph;
	for (size_t i = 0; i < r->e->nprobes; i++) {
		if (r->ps[i].samples == 0)
			return false;
	}
	return true;
}

static void before_progress(struct run *r)
{
	const struct phase_stat *st = &r->ph[PH_BEFORE];
	double got;

	if (r->phase != PH_BEFORE)
		return;
	if (now_mono() - r->start_mono < r->e->before_duration || !all_sampled_in(r, PH_BEFORE))
		return;
	got = ratio(st->samples, st->failures);
	if (got + 1e-9 < r->e->before_ratio) {
		set_verdict(r, V_NOT_RUN, "before",
			    "steady state not met before injection: success ratio %.2f below %.2f "
			    "(%llu of %llu samples failed)",
			    got, r->e->before_ratio, (unsigned long long)st->failures,
			    (unsigned long long)st->samples);
		enter_phase(r, PH_DONE);
		return;
	}
	enter_phase(r, PH_INJECT);
}

static void after_progress(struct run *r)
{
	uint64_t now = now_mono();

	if (r->phase != PH_AFTER)
		return;
	crashpoint("after-phase");
	if (!r->recovered) {
		bool all = true;

		for (size_t i = 0; i < r->e->nprobes; i++)
			all &= r->ps[i].sampled_after && r->ps[i].last_after_ok;
		if (all) {
			r->recovered = true;
			r->recovered_mono = now;
			/* The recovery round is the first verification sample of each probe. */
			r->verify_samples = r->e->nprobes;
			r->verify_failures = 0;
			emit(r, "recovered",
			     json_pack("{s:I}", "time_to_recover_ms",
				       (json_int_t)ms(now - r->rollback_done_mono)));
		} else if (now - r->after_mono >= r->e->after_within) {
			char a[32];

			fmt_duration(r->e->after_within, a, sizeof(a));
			set_verdict(r, V_DEVIATED, "after",
				    "steady state did not return within %s after rollback", a);
			enter_phase(r, PH_DONE);
			return;
		}
		if (!r->recovered)
			return;
	}
	if (now - r->recovered_mono < r->e->after_duration)
		return;
	{
		double got = ratio(r->verify_samples, r->verify_failures);

		if (got + 1e-9 < r->e->after_ratio)
			set_verdict(r, V_DEVIATED, "after",
				    "steady state after recovery: success ratio %.2f below %.2f", got,
				    r->e->after_ratio);
	}
	enter_phase(r, PH_DONE);
}

static void rollback(struct run *r)
{
	if (r->phase == PH_ROLLBACK || r->phase == PH_DONE || r->phase == PH_AFTER)
		return;
	if (r->phase != PH_INJECT) {
		enter_phase(r, PH_DONE);
		return;
	}
	enter_phase(r, PH_ROLLBACK);
}

static void do_rollback(struct run *r)
{
	uint64_t t0 = now_mono();

	/* Reverse order of application. */
	for (int k = r->applied - 1; k >= 0; k--) {
		for (size_t i = 0; i < r->e->nfaults; i++) {
			if (r->frt[i].order == k)
				revert_fault(&r->frt[i]);
		}
	}
	for (size_t i = 0; i < r->e->nfaults; i++) {
		struct fault_rt *fr = &r->frt[i];

		loop_timer_free(fr->start_timer);
		fr->start_timer = NULL;
		/* Failed applies hold a journal record and may have done part of the work. */
		if (fr->f->state == FAULT_FAILED && fr->journaled)
			revert_fault(fr);
		if (fr->f->state == FAULT_PENDING) {
			fr->f->state = FAULT_SKIPPED;
			fault_event(r, fr->f);
		}
	}
	r->rollback_done_mono = now_mono();
	hist_observe(&r->rn->rollback_hist, rollback_buckets, ARRAY_SIZE(rollback_buckets),
		     r->rollback_done_mono - t0);
	{
		const struct phase_stat *st = &r->ph[PH_INJECT];
		double got = ratio(st->samples, st->failures);

		if (r->e->nprobes && got + 1e-9 < r->e->during_ratio)
			set_verdict(r, V_DEVIATED, "during",
				    "steady state not held during injection: success ratio %.2f "
				    "below %.2f",
				    got, r->e->during_ratio);
	}
}

static void enter_phase(struct run *r, enum phase ph)
{
	struct runner *rn = r->rn;
	enum phase old = r->phase;

	if (old == ph || old == PH_DONE)
		return;
	r->ph[old].ended = now_real();
	r->phase = ph;
	r->ph[ph].entered = true;
	r->ph[ph].started = now_real();
	loop_timer_disarm(r->phase_timer);
	emit(r, "phase", json_pack("{s:s}", "phase", phase_names[ph]));
	log_info("run %s: phase %s", r->id, phase_names[ph]);

	switch (ph) {
	case PH_BEFORE:
		if (r->e->before_duration)
			loop_timer_arm(r->phase_timer, r->e->before_duration, 0);
		if (probes_start(r) < 0) {
			set_verdict(r, V_FAILED, "before", "cannot start probes: %s",
				    strerror(errno));
			enter_phase(r, PH_DONE);
		}
		break;
	case PH_INJECT:
		r->inject_mono = now_mono();
		for (size_t i = 0; i < r->e->nprobes; i++)
			r->ps[i].consecutive = 0;
		loop_timer_arm(r->phase_timer, r->e->method_duration, 0);
		for (size_t i = 0; i < r->e->nfaults; i++) {
			struct fault_rt *fr = &r->frt[i];

			fr->start_timer = loop_timer_new(rn->loop, fault_start_cb, fr);
			if (!fr->start_timer) {
				set_verdict(r, V_FAILED, "inject", "cannot create a timer: %s",
					    strerror(errno));
				rollback(r);
				return;
			}
			loop_timer_arm(fr->start_timer, fr->f->start_after, 0);
		}
		break;
	case PH_ROLLBACK:
		do_rollback(r);
		if (r->verdict == V_CANCELLED || r->verdict == V_FAILED || !r->e->nprobes)
			enter_phase(r, PH_DONE);
		else
			enter_phase(r, PH_AFTER);
		break;
	case PH_AFTER:
		r->after_mono = now_mono();
		for (size_t i = 0; i < r->e->nprobes; i++)
			r->ps[i].sampled_after = false;
		/* Re-check at the deadline even if no sample arrives then. */
		loop_timer_arm(r->phase_timer, r->e->after_within, 0);
		break;
	case PH_DONE:
		finish(r);
		break;
	default:
		break;
	}
}

/* ---- records ------------------------------------------------------------------------------ */

static json_t *phases_json(const struct run *r)
{
	json_t *arr = json_array();

	for (int ph = PH_BEFORE; ph <= PH_AFTER; ph++) {
		const struct phase_stat *st = &r->ph[ph];
		double got = ratio(st->samples, st->failures), need = 1.0;
		json_t *met = json_null();

		if (!st->entered || ph == PH_ROLLBACK)
			continue;
		if (ph == PH_BEFORE)
			need = r->e->before_ratio;
		else if (ph == PH_INJECT)
			need = r->e->during_ratio;
		else
			need = r->e->after_ratio;
		/* Judged only once the phase is over (and, for after, on the samples since recovery). */
		if (st->ended && ph == PH_AFTER)
			met = json_boolean(r->recovered &&
					   ratio(r->verify_samples, r->verify_failures) + 1e-9 >= need);
		else if (st->ended && r->e->nprobes)
			met = json_boolean(got + 1e-9 >= need);
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:I, s:I, s:f, s:f, s:o}",
						     "name", ph == PH_INJECT ? "during" : phase_names[ph],
						     "started_at", iso(st->started), "ended_at",
						     iso(st->ended), "samples", (json_int_t)st->samples,
						     "failures", (json_int_t)st->failures, "ratio", got,
						     "required", need, "met", met));
	}
	return arr;
}

/*
 * p50/p95/p99 of the latencies the ring holds (the most recent samples).  Sorting 4096
 * samples per probe on every status request would let a crowd of status clients stall the
 * loop, so the result is kept until the next sample.
 */
static json_t *latency_summary(struct probe_state *ps)
{
	if (!ps->ring_n)
		return json_null();
	if (ps->summary_at != ps->samples) {
		uint64_t *lat = malloc(ps->ring_n * sizeof(*lat));

		if (!lat)
			return json_null();
		for (size_t k = 0; k < ps->ring_n; k++)
			lat[k] = ps->ring[(ps->ring_head + k) % SAMPLE_RING].latency;
		qsort(lat, ps->ring_n, sizeof(*lat), cmp_u64);
		ps->p50 = percentile(lat, ps->ring_n, 50);
		ps->p95 = percentile(lat, ps->ring_n, 95);
		ps->p99 = percentile(lat, ps->ring_n, 99);
		ps->pmax = lat[ps->ring_n - 1];
		ps->summary_at = ps->samples;
		free(lat);
	}
	return json_pack("{s:f, s:f, s:f, s:f}", "p50", (double)ps->p50 / 1e6, "p95",
			 (double)ps->p95 / 1e6, "p99", (double)ps->p99 / 1e6, "max",
			 (double)ps->pmax / 1e6);
}

json_t *run_json(const struct run *r)
{
	json_t *o, *faults = json_array(), *probes = json_array(), *rules = json_array();
	uint64_t end = r->phase == PH_DONE && r->end_real ? r->end_real : now_real();

	for (size_t i = 0; i < r->e->nfaults; i++) {
		const struct fault *f = &r->e->faults[i];
		json_t *st = f->ops->status ? f->ops->status(f) : NULL;
		char sa[32], du[32];

		fmt_duration(f->start_after, sa, sizeof(sa));
		fmt_duration(f->duration ? f->duration : r->e->method_duration - f->start_after, du,
			     sizeof(du));
		json_array_append_new(
			faults, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s?, s:o}", "name",
					  f->name, "kind", f->ops->kind, "state",
					  fault_state_str(f->state), "start_after", sa, "duration",
					  du, "applied_at", iso(f->applied_at), "reverted_at",
					  iso(f->reverted_at), "error", f->error, "status",
					  st ? st : json_object()));
	}
	for (size_t i = 0; i < r->e->nprobes; i++) {
		const struct probe_state *ps = &r->ps[i];
		json_t *last = json_null();

		if (ps->has_last)
			last = json_pack("{s:b, s:f, s:i, s:s?}", "ok", ps->last.ok, "latency_ms",
					 (double)ps->last.latency / 1e6, "status", ps->last.status,
					 "reason", ps->last.ok ? NULL : ps->last.reason);
		json_array_append_new(probes,
				      json_pack("{s:s, s:s, s:I, s:I, s:f, s:o, s:o}", "name",
						ps->p->name, "kind", ps->p->ops->kind, "samples",
						(json_int_t)ps->samples, "failures",
						(json_int_t)ps->failures, "success_ratio",
						ratio(ps->samples, ps->failures), "last", last,
						"latency_ms", latency_summary(&r->ps[i])));
	}
	for (size_t i = 0; i < r->e->nrules; i++) {
		struct rule_eval ev;

		rule_eval(r, &r->e->rules[i], &ev);
		json_array_append_new(rules,
				      json_pack("{s:s, s:s, s:b, s:b, s:f, s:f, s:I}", "desc",
						r->e->rules[i].desc, "probe",
						r->ps[r->e->rules[i].probe].p->name, "tripped",
						r->tripped_rule == (int)i, "evaluated", ev.evaluated,
						"current", isfinite(ev.current) ? ev.current : 1e308,
						"threshold", ev.threshold, "evaluations",
						(json_int_t)(r->rule_evals ? r->rule_evals[i] : 0)));
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:o, s:o, s:I, s:o, s:o, s:o, s:o, "
		      "s:o}",
		      "id", r->id, "title", r->e->title, "file", r->file, "phase",
		      phase_names[r->phase], "verdict", verdict_names[r->verdict], "reason",
		      r->reason, "failed_step", r->failed_step, "started_at", iso(r->start_real),
		      "ended_at", r->phase == PH_DONE ? iso(r->end_real) : json_null(),
		      "elapsed_ms", (json_int_t)ms(end - r->start_real), "time_to_recover_ms",
		      r->recovered ? json_integer((json_int_t)ms(r->recovered_mono -
								  r->rollback_done_mono))
				   : json_null(),
		      "phases", phases_json(r), "faults", faults, "probes", probes, "rules", rules);
	if (o && r->breach_to_clean)
		json_object_set_new(o, "breach_to_clean_ms",
				    json_real((double)r->breach_to_clean / 1e6));
	if (o)
		json_object_set_new(o, "method_duration_ms",
				    json_integer((json_int_t)ms(r->e->method_duration)));
	return o;
}

bool run_events_on_disk(const struct run *r)
{
	return r->events_on_disk;
}

json_t *run_record(const struct run *r)
{
	json_t *rec = run_json(r);

	if (!rec)
		return NULL;
	json_object_set(rec, "events", r->events);
	json_object_set_new(rec, "events_dropped", json_integer((json_int_t)r->events_dropped));
	if (r->e->description)
		json_object_set_new(rec, "description", json_string(r->e->description));
	return rec;
}

static void save_record(struct run *r)
{
	char path[PATH_MAX];
	json_t *rec = run_record(r);
	char *text;
	int ret;

	if (!rec)
		return;
	text = json_dumps(rec, JSON_INDENT(1));
	json_decref(rec);
	if (!text)
		return;
	snprintf(path, sizeof(path), "%s/runs/%s.json", journal_state_dir(r->rn->j), r->id);
	ret = write_file_durable(path, text, strlen(text), 0600);
	if (ret < 0)
		log_warn("run %s: cannot save the run record '%s': %s", r->id, path, strerror(-ret));
	else if (r->phase == PH_DONE)
		r->record_on_disk = true;
	free(text);
}

/*
 * A finished run stays in memory for status (RUN_KEEP_FINISHED of them), but only the
 * RUN_KEEP_EVENTS most recent keep their events (up to RUN_MAX_EVENTS each, about 2 KB with
 * probe samples): older ones are read back from the record file when asked for, so the
 * agent's memory does not grow with the samples of runs that are over, and replaying a run
 * that just ended (what `faultctl watch` and reports do) parses nothing.  Where the record
 * could not be saved the events stay.
 */
static void forget_old_events(struct runner *rn)
{
	size_t kept = 0;
	bool trimmed = false;

	for (struct run *o = rn->runs; o; o = o->next) {
		if (o->phase != PH_DONE || !o->record_on_disk || o->events_on_disk)
			continue;
		if (++kept <= RUN_KEEP_EVENTS)
			continue;
		json_array_clear(o->events);
		o->events_on_disk = true;
		trimmed = true;
	}
	if (trimmed)
		malloc_trim(0);
}

static void finish(struct run *r)
{
	probes_stop(r);
	for (size_t i = 0; i < r->e->nfaults; i++) {
		struct fault_rt *fr = &r->frt[i];

		loop_timer_free(fr->start_timer);
		loop_timer_free(fr->end_timer);
		loop_timer_free(fr->tick_timer);
		fr->start_timer = fr->end_timer = fr->tick_timer = NULL;
		if (fr->f->state == FAULT_PENDING)
			fr->f->state = FAULT_SKIPPED;
		/* The record stays in memory for status; what plan prepared need not. */
		if (fr->f->ops->release)
			fr->f->ops->release(fr->f);
	}
	loop_timer_free(r->phase_timer);
	r->phase_timer = NULL;
	loop_timer_free(r->lease_timer);
	loop_timer_free(r->queue_timer);
	r->lease_timer = r->queue_timer = NULL;
	if (r->verdict == V_NONE && !r->e->nprobes)
		set_verdict(r, V_PASSED, NULL, "faults injected and rolled back (no probes)");
	else if (r->verdict == V_NONE)
		set_verdict(r, V_PASSED, NULL, "steady state held before, during and after");
	r->end_real = now_real();
	r->ph[PH_DONE].ended = r->end_real;
	r->rn->runs_total[r->verdict]++;
	/* Targets stay claimed only while a fault could still hold them. */
	json_array_clear(r->claims);
	log_notice("run %s: verdict %s: %s", r->id, verdict_names[r->verdict], r->reason);
	crashpoint("run-end");
	emit_kept(r, "end",
		  json_pack("{s:s, s:s}", "verdict", verdict_names[r->verdict], "reason",
			    r->reason ? r->reason : ""),
		  save_record);
	forget_old_events(r->rn);
}

/* ---- runner ------------------------------------------------------------------------------- */

struct runner *runner_new(struct loop *l, struct journal *j, const struct experiment_limits *lim,
			  const struct runner_hooks *hooks)
{
	struct runner *rn = calloc(1, sizeof(*rn));

	if (!rn)
		return NULL;
	rn->loop = l;
	rn->j = j;
	rn->lim = *lim;
	if (hooks)
		rn->hooks = *hooks;
	rn->env.pid_protected = env_protected;
	rn->env.data = rn;
	rn->env.state_dir = j ? journal_state_dir(j) : NULL;
	return rn;
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	if (r->e) {
		for (size_t i = 0; r->frt && i < r->e->nfaults; i++) {
			loop_timer_free(r->frt[i].start_timer);
			loop_timer_free(r->frt[i].end_timer);
			loop_timer_free(r->frt[i].tick_timer);
		}
		for (size_t i = 0; r->ps && i < r->e->nprobes; i++) {
			loop_timer_free(r->ps[i].timer);
			if (r->ps[i].p->busy && r->ps[i].p->ops->cancel)
				r->ps[i].p->ops->cancel(r->ps[i].p);
		}
	}
	loop_timer_free(r->phase_timer);
	loop_timer_free(r->lease_timer);
	loop_timer_free(r->queue_timer);
	free(r->ps);
	free(r->frt);
	free(r->rule_evals);
	experiment_free(r->e);
	json_decref(r->claims);
	json_decref(r->events);
	free(r->file);
	free(r->reason);
	free(r->failed_step);
	free(r);
}

void runner_free(struct runner *rn)
{
	if (!rn)
		return;
	runner_abort_all(rn, "agent shutting down", NULL);
	while (rn->runs) {
		struct run *r = rn->runs;

		rn->runs = r->next;
		run_free(r);
	}
	free(rn);
}

static void prune_finished(struct runner *rn)
{
	size_t kept = 0;

	for (struct run **pp = &rn->runs; *pp;) {
		struct run *r = *pp;

		if (r->phase == PH_DONE && ++kept > RUN_KEEP_FINISHED) {
			*pp = r->next;
			run_free(r);
			continue;
		}
		pp = &r->next;
	}
}

static const struct run *claim_holder(const struct runner *rn, const char *claim)
{
	for (const struct run *o = rn->runs; o; o = o->next) {
		size_t i;
		json_t *c;

		if (o->phase == PH_DONE)
			continue;
		json_array_foreach(o->claims, i, c) {
			if (strcmp(json_string_value(c), claim) == 0)
				return o;
		}
	}
	return NULL;
}

static json_t *errreply(const char *code, const char *fmt, ...) PRINTF(2, 3);
static json_t *errreply(const char *code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "code", code, "error", buf);
}

/*
 * Preflight: resolve every target and check every claim before anything is touched.
 * Returns 0, or -errno with the reply's error code and message in code/msg.
 */
static int preflight(struct run *r, json_t *plan, const char **code, char *msg, size_t len)
{
	struct runner *rn = r->rn;

	json_array_clear(r->claims);
	for (size_t i = 0; i < r->e->nfaults; i++) {
		struct fault *f = &r->e->faults[i];
		char err[256] = "";
		json_t *cl;
		size_t k;
		json_t *c;
		int ret;

		r->frt[i].run = r;
		r->frt[i].f = f;
		f->run_id = r->id;
		r->frt[i].order = -1;
		ret = f->ops->plan ? f->ops->plan(f, &rn->env, err, sizeof(err)) : 0;
		if (ret < 0) {
			if (!err[0])
				snprintf(err, sizeof(err), "%s", strerror(-ret));
			*code = "preflight";
			snprintf(msg, len, "preflight of '%s' failed: %s", f->name, err);
			return ret;
		}
		cl = f->ops->claims ? f->ops->claims(f) : json_array();
		json_array_foreach(cl, k, c) {
			const struct run *o = claim_holder(rn, json_string_value(c));

			if (o && o != r) {
				*code = "conflict";
				snprintf(msg, len,
					 "fault '%s' conflicts with run %s ('%s'), which holds %s",
					 f->name, o->id, o->e->title, json_string_value(c));
				json_decref(cl);
				return -EBUSY;
			}
		}
		json_array_extend(r->claims, cl);
		if (plan)
			json_array_append_new(plan,
					      json_pack("{s:s, s:s, s:o, s:o}", "fault", f->name,
							"kind", f->ops->kind, "claims", cl, "status",
							f->ops->status ? f->ops->status(f)
								       : json_object()));
		else
			json_decref(cl);
	}
	return 0;
}

static void lease_cb(struct loop_timer *t, void *data)
{
	struct run *r = data;
	char d[32];

	if (r->phase == PH_DONE)
		return;
	fmt_duration(r->lease, d, sizeof(d));
	log_notice("run %s: lease of %s expired; rolling back", r->id, d);
	set_verdict(r, V_ABORTED, "lease",
		    "lease expired: the client stopped renewing it within %s", d);
	if (r->phase == PH_INJECT)
		rollback(r);
	else
		enter_phase(r, PH_DONE);
}

/* Take the run from preflight into its first phase. */
static void run_begin(struct run *r)
{
	r->phase = PH_PREFLIGHT;
	r->ph[PH_PREFLIGHT].entered = true;
	r->ph[PH_PREFLIGHT].started = now_real();
	emit(r, "phase", json_pack("{s:s}", "phase", "preflight"));
	if (r->e->nprobes)
		enter_phase(r, PH_BEFORE);
	else
		enter_phase(r, PH_INJECT);
}

/* A queued run's time has come. */
static void queue_cb(struct loop_timer *t, void *data)
{
	struct run *r = data;
	const char *code = NULL;
	char msg[512];

	if (r->phase != PH_QUEUED)
		return;
	r->start_mono = now_mono();
	r->start_real = now_real();
	if (experiment_schedule_check(r->e, r->start_real, msg, sizeof(msg)) < 0) {
		set_verdict(r, V_NOT_RUN, "schedule", "%s", msg);
		enter_phase(r, PH_DONE);
		return;
	}
	if (preflight(r, NULL, &code, msg, sizeof(msg)) < 0) {
		set_verdict(r, V_FAILED, "preflight", "%s", msg);
		enter_phase(r, PH_DONE);
		return;
	}
	log_notice("run %s: queued time reached; starting '%s'", r->id, r->e->title);
	run_begin(r);
}

int runner_start(struct runner *rn, const struct run_request *req, json_t **reply)
{
	struct run *r = NULL;
	struct vctx v;
	json_t *plan = NULL;
	const char *code = NULL;
	char msg[512];
	uint64_t now = now_real(), when;
	int ret = 0;

	*reply = NULL;
	vctx_init(&v, req->file, NULL);
	r = calloc(1, sizeof(*r));
	if (!r) {
		ret = -ENOMEM;
		*reply = errreply("internal", "out of memory");
		goto out;
	}
	r->rn = rn;
	r->tripped_rule = -1;
	r->file = strdup(req->file ? req->file : "<input>");
	r->claims = json_array();
	r->events = json_array();
	r->e = experiment_parse(req->text, req->len, &rn->lim, &v);
	if (!r->e) {
		char *all = vctx_format(&v);

		ret = -EINVAL;
		*reply = json_pack("{s:s, s:s, s:o}", "code", "invalid", "error",
				   "invalid experiment", "errors", vctx_to_json(&v));
		if (*reply && v.n == 1 && all)
			json_object_set_new(*reply, "error", json_string(strtok(all, "\n")));
		free(all);
		goto out;
	}
	random_hex(r->id, RUN_ID_BYTES);
	r->ps = calloc(r->e->nprobes + 1, sizeof(*r->ps));
	r->frt = calloc(r->e->nfaults + 1, sizeof(*r->frt));
	r->rule_evals = calloc(r->e->nrules + 1, sizeof(*r->rule_evals));
	r->phase_timer = loop_timer_new(rn->loop, phase_timer_cb, r);
	if (!r->ps || !r->frt || !r->rule_evals || !r->phase_timer || !r->claims || !r->events) {
		ret = -ENOMEM;
		*reply = errreply("internal", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r->e->nprobes; i++) {
		r->ps[i].run = r;
		r->ps[i].p = &r->e->probes[i];
	}
	for (size_t i = 0; i < r->e->nfaults; i++) {
		r->frt[i].run = r;
		r->frt[i].f = &r->e->faults[i];
		r->frt[i].order = -1;
	}
	r->start_mono = now_mono();
	r->start_real = now;
	r->lease = req->lease;

	/* Outside its windows an experiment is refused now, not queued to fail later. */
	when = req->start_at > now ? req->start_at : now;
	if (experiment_schedule_check(r->e, when, msg, sizeof(msg)) < 0) {
		ret = -EAGAIN;
		*reply = errreply("schedule", "%s", msg);
		goto out;
	}
	plan = json_array();
	ret = preflight(r, plan, &code, msg, sizeof(msg));
	if (ret < 0) {
		*reply = errreply(code, "%s", msg);
		if (!strcmp(code, "preflight"))
			set_verdict(r, V_FAILED, "preflight", "%s", msg);
		goto out;
	}
	if (req->dry_run) {
		*reply = json_pack("{s:s, s:O}", "title", r->e->title, "plan", plan);
		goto out;
	}
	if (r->lease) {
		r->lease_timer = loop_timer_new(rn->loop, lease_cb, r);
		if (!r->lease_timer) {
			ret = -ENOMEM;
			*reply = errreply("internal", "out of memory");
			goto out;
		}
		loop_timer_arm(r->lease_timer, r->lease, 0);
	}
	r->next = rn->runs;
	rn->runs = r;
	*reply = json_pack("{s:s}", "run", r->id);
	if (req->start_at > now) {
		char at[40];

		/* Queued: its targets are resolved again, and its claims taken, when it starts. */
		json_array_clear(r->claims);
		r->queue_timer = loop_timer_new(rn->loop, queue_cb, r);
		if (!r->queue_timer) {
			rn->runs = r->next;
			ret = -ENOMEM;
			json_decref(*reply);
			*reply = errreply("internal", "out of memory");
			goto out;
		}
		loop_timer_arm(r->queue_timer, req->start_at - now, 0);
		r->phase = PH_QUEUED;
		r->ph[PH_QUEUED].entered = true;
		r->ph[PH_QUEUED].started = now;
		fmt_time_iso(req->start_at, at, sizeof(at));
		json_object_set_new(*reply, "queued_until", json_string(at));
		log_notice("run %s: '%s' from %s queued until %s", r->id, r->e->title, r->file, at);
		emit(r, "phase", json_pack("{s:s}", "phase", "queued"));
		r = NULL;
		goto out;
	}
	log_notice("run %s: started '%s' from %s", r->id, r->e->title, r->file);
	{
		struct run *started = r;

		r = NULL;
		run_begin(started);
	}
	prune_finished(rn);
out:
	json_decref(plan);
	if (r && r->e && r->verdict == V_FAILED) {
		/* Keep a record of a run that failed preflight: it is a result too. */
		r->phase = PH_ROLLBACK; /* nothing was applied; go straight to done */
		r->next = rn->runs;
		rn->runs = r;
		enter_phase(r, PH_DONE);
		json_object_set_new(*reply, "run", json_string(r->id));
		r = NULL;
	}
	run_free(r);
	vctx_fini(&v);
	return ret;
}

int runner_renew(struct runner *rn, struct run *r, uint64_t lease)
{
	if (r->phase == PH_DONE)
		return -EALREADY;
	r->lease = lease;
	if (!r->lease_timer) {
		r->lease_timer = loop_timer_new(rn->loop, lease_cb, r);
		if (!r->lease_timer)
			return -ENOMEM;
	}
	return loop_timer_arm(r->lease_timer, lease, 0);
}

struct run *runner_find(struct runner *rn, const char *id)
{
	for (struct run *r = rn->runs; r; r = r->next)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

int runner_abort(struct runner *rn, struct run *r, const char *reason)
{
	if (r->phase == PH_DONE)
		return -EALREADY;
	log_notice("run %s: aborted: %s", r->id, reason);
	set_verdict(r, V_CANCELLED, "abort", "%s", reason);
	if (r->phase == PH_INJECT)
		rollback(r);
	else
		enter_phase(r, PH_DONE);
	return 0;
}

int runner_abort_all(struct runner *rn, const char *reason, json_t *ids)
{
	int n = 0;

	for (struct run *r = rn->runs; r; r = r->next) {
		if (r->phase == PH_DONE)
			continue;
		runner_abort(rn, r, reason);
		if (ids)
			json_array_append_new(ids, json_string(r->id));
		n++;
	}
	return n;
}

size_t runner_active(const struct runner *rn)
{
	size_t n = 0;

	for (const struct run *r = rn->runs; r; r = r->next)
		n += r->phase != PH_DONE;
	return n;
}

json_t *runner_list(const struct runner *rn)
{
	json_t *arr = json_array();

	for (const struct run *r = rn->runs; r; r = r->next)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:o}", "id", r->id,
						     "title", r->e->title, "phase",
						     phase_names[r->phase], "verdict",
						     verdict_names[r->verdict], "started_at",
						     iso(r->start_real)));
	return arr;
}

json_t *runner_status_all(const struct runner *rn)
{
	json_t *arr = json_array();

	for (const struct run *r = rn->runs; r; r = r->next)
		json_array_append_new(arr, run_json(r));
	return arr;
}

json_t *run_events(const struct run *r)
{
	return r->events;
}

const char *run_id(const struct run *r)
{
	return r->id;
}

bool run_finished(const struct run *r)
{
	return r->phase == PH_DONE;
}

/* ---- metrics ------------------------------------------------------------------------------ */

static json_t *hist_json(const struct hist *h, const uint64_t *bounds, size_t n)
{
	json_t *le = json_array(), *counts = json_array();
	uint64_t cum = 0;

	for (size_t i = 0; i < n; i++) {
		cum += h->counts[i];
		json_array_append_new(le, json_real((double)bounds[i] / 1e9));
		json_array_append_new(counts, json_integer((json_int_t)cum));
	}
	return json_pack("{s:o, s:o, s:f, s:I}", "le", le, "counts", counts, "sum",
			 (double)h->sum / 1e9, "count", (json_int_t)h->count);
}

/* Numbers in a fault's status, flattened one level ("counters.dropped"). */
static void status_numbers(json_t *out, const struct run *r, const struct fault *f,
			   const json_t *obj, const char *prefix, int depth)
{
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)obj, key, val) {
		char name[128];

		if (json_array_size(out) >= 4096)
			return;
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
		if (json_is_number(val))
			json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:f}", "run",
							     r->id, "fault", f->name, "kind",
							     f->ops->kind, "key", name, "value",
							     json_number_value(val)));
		else if (json_is_object(val) && depth < 1)
			status_numbers(out, r, f, val, name, depth + 1);
	}
}

json_t *runner_metrics(const struct runner *rn)
{
	json_t *runs = json_object(), *active = json_object(), *probes = json_array();
	json_t *values = json_array();
	json_int_t nactive = 0;

	for (size_t v = V_PASSED; v < ARRAY_SIZE(verdict_names); v++)
		json_object_set_new(runs, verdict_names[v],
				    json_integer((json_int_t)rn->runs_total[v]));
	for (size_t k = 0; k < _FAULT_KIND_MAX; k++)
		if (fault_ops_table[k])
			json_object_set_new(active, fault_ops_table[k]->kind, json_integer(0));
	for (const struct run *r = rn->runs; r; r = r->next) {
		nactive += r->phase != PH_DONE;
		for (size_t i = 0; i < r->e->nfaults; i++) {
			const struct fault *f = &r->e->faults[i];
			json_t *st;

			if (f->state == FAULT_ACTIVE)
				json_object_set_new(active, f->ops->kind,
						    json_integer(json_integer_value(json_object_get(
									 active, f->ops->kind)) +
								 1));
			if (r->phase == PH_DONE || f->state == FAULT_PENDING ||
			    f->state == FAULT_SKIPPED || !f->ops->status)
				continue;
			st = f->ops->status(f);
			if (json_is_object(st))
				status_numbers(values, r, f, st, "", 0);
			json_decref(st);
		}
		for (size_t i = 0; r->ps && i < r->e->nprobes; i++) {
			const struct probe_state *ps = &r->ps[i];
			json_t *h = hist_json(&ps->latency, probe_buckets,
					      ARRAY_SIZE(probe_buckets));

			json_object_set_new(h, "run", json_string(r->id));
			json_object_set_new(h, "probe", json_string(ps->p->name));
			json_object_set_new(h, "kind", json_string(ps->p->ops->kind));
			json_array_append_new(probes, h);
		}
	}
	return json_pack("{s:o, s:I, s:o, s:o, s:o, s:o}", "runs_total", runs, "runs_active",
			 nactive, "faults_active", active, "rollback",
			 hist_json(&rn->rollback_hist, rollback_buckets,
				   ARRAY_SIZE(rollback_buckets)),
			 "probes", probes, "fault_values", values);
}
