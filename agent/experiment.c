// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "experiment.h"
#include "units.h"

#define MAX_TITLE 200
#define MAX_KEYS 32

static const char *const top_keys[] = { "version",    "title",  "description", "tags",
					"hypothesis", "faults", "safety",      "schedule", NULL };
static const char *const schedule_keys[] = { "not_before", "windows", NULL };
static const char *const day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const hyp_keys[] = { "probes", "before", "during", "after", NULL };
static const char *const before_keys[] = { "duration", "min_success_ratio", NULL };
static const char *const during_keys[] = { "min_success_ratio", NULL };
static const char *const after_keys[] = { "within", "duration", "min_success_ratio", NULL };
static const char *const safety_keys[] = { "abort_when", "max_duration", NULL };
static const char *const rule_keys[] = { "probe",	     "consecutive_failures", "failure_ratio_above",
					 "latency_p95_above", "latency_p99_above",    "value_above",
					 "value_below",	     "budget_burn_above",    "slo",
					 "window",	     "min_samples",	     NULL };
/* The condition keys: a rule has exactly one. */
static const char *const rule_conditions[] = { "consecutive_failures", "failure_ratio_above",
					       "latency_p95_above",    "latency_p99_above",
					       "value_above",	       "value_below",
					       "budget_burn_above",    NULL };
static const char *const probe_common[] = { "name", "type", "timeout", "interval", NULL };
static const char *const fault_common[] = { "name", "type", "start_after", "duration", NULL };

/* common + kind keys, into a NULL-terminated array of at most MAX_KEYS. */
static void merge_keys(const char **out, const char *const *a, const char *const *b)
{
	size_t n = 0;

	for (; a && *a && n < MAX_KEYS - 1; a++)
		out[n++] = *a;
	for (; b && *b && n < MAX_KEYS - 1; b++)
		out[n++] = *b;
	out[n] = NULL;
}

static char *known_kinds(bool faults)
{
	char buf[512] = "";
	size_t o = 0;
	size_t n = faults ? _FAULT_KIND_MAX : _PROBE_KIND_MAX;

	for (size_t i = 0; i < n; i++) {
		const char *k = faults ? fault_ops_table[i]->kind : probe_ops_table[i]->kind;

		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? ", " : "", k);
		if (o >= sizeof(buf))
			break;
	}
	return strdup(buf);
}

static int parse_probe(struct experiment *e, const json_t *j, const char *path, struct vctx *v)
{
	struct probe *p = &e->probes[e->nprobes];
	const char *keys[MAX_KEYS];
	const char *type = NULL, *name = NULL;
	size_t before = v->n;

	if (!json_is_object(j))
		return v_object(v, j, path, NULL);
	if (v_string(v, j, "type", path, true, &type) > 0) {
		p->ops = probe_ops_find(type, &p->kind);
		if (!p->ops) {
			char tp[VPATH_MAX];
			char *known = known_kinds(false);

			verr(v, vpath_key(tp, path, "type"), "unknown probe type '%s' (known: %s)",
			     type, known ? known : "?");
			free(known);
		}
	}
	if (p->ops) {
		merge_keys(keys, probe_common, p->ops->keys);
		v_object(v, j, path, keys);
	}
	if (v_name(v, j, "name", path, true, &name) > 0) {
		for (size_t i = 0; i < e->nprobes; i++) {
			if (strcmp(e->probes[i].name, name) == 0) {
				char np[VPATH_MAX];

				verr(v, vpath_key(np, path, "name"),
				     "duplicate probe name '%s' (also $.hypothesis.probes[%zu])", name,
				     i);
			}
		}
		p->name = strdup(name);
	}
	p->timeout = NSEC_PER_SEC;
	p->interval = NSEC_PER_SEC;
	v_duration(v, j, "timeout", path, false, NSEC_PER_MSEC, 60 * NSEC_PER_SEC, &p->timeout);
	v_duration(v, j, "interval", path, false, 10 * NSEC_PER_MSEC, 3600 * NSEC_PER_SEC,
		   &p->interval);
	if (p->ops)
		p->ops->parse(p, j, path, v);
	if (!p->name)
		p->name = strdup("?");
	e->nprobes++;
	return v->n == before ? 0 : -EINVAL;
}

static int parse_fault(struct experiment *e, const json_t *j, const char *path, struct vctx *v)
{
	struct fault *f = &e->faults[e->nfaults];
	const char *keys[MAX_KEYS];
	const char *type = NULL, *name = NULL;
	size_t before = v->n;

	if (!json_is_object(j))
		return v_object(v, j, path, NULL);
	if (v_string(v, j, "type", path, true, &type) > 0) {
		f->ops = fault_ops_find(type, &f->kind);
		if (!f->ops) {
			char tp[VPATH_MAX];
			char *known = known_kinds(true);

			verr(v, vpath_key(tp, path, "type"), "unknown fault type '%s' (known: %s)",
			     type, known ? known : "?");
			free(known);
		}
	}
	if (f->ops) {
		merge_keys(keys, fault_common, f->ops->keys);
		v_object(v, j, path, keys);
	}
	if (v_name(v, j, "name", path, true, &name) > 0) {
		for (size_t i = 0; i < e->nfaults; i++) {
			if (strcmp(e->faults[i].name, name) == 0) {
				char np[VPATH_MAX];

				verr(v, vpath_key(np, path, "name"),
				     "duplicate fault name '%s' (also $.faults[%zu])", name, i);
			}
		}
		f->name = strdup(name);
	}
	v_duration(v, j, "start_after", path, false, 0, 24 * 3600 * NSEC_PER_SEC, &f->start_after);
	v_duration(v, j, "duration", path, false, NSEC_PER_MSEC, 24 * 3600 * NSEC_PER_SEC,
		   &f->duration);
	if (f->ops)
		f->ops->parse(f, j, path, v);
	if (!f->name)
		f->name = strdup("?");
	f->state = FAULT_PENDING;
	e->nfaults++;
	return v->n == before ? 0 : -EINVAL;
}

static void parse_hypothesis(struct experiment *e, const json_t *h, struct vctx *v)
{
	const char *path = "$.hypothesis";
	char p[VPATH_MAX], q[VPATH_MAX];
	json_t *probes, *blk;

	if (v_object(v, h, path, hyp_keys) < 0 && !json_is_object(h))
		return;
	probes = json_object_get(h, "probes");
	if (probes) {
		vpath_key(p, path, "probes");
		if (!json_is_array(probes)) {
			verr(v, p, "expected an array of probes");
		} else if (json_array_size(probes) > EXPERIMENT_MAX_PROBES) {
			verr(v, p, "at most %d probes", EXPERIMENT_MAX_PROBES);
		} else {
			size_t i;
			json_t *pj;

			e->probes = calloc(json_array_size(probes) + 1, sizeof(*e->probes));
			if (!e->probes)
				return;
			json_array_foreach(probes, i, pj)
				parse_probe(e, pj, vpath_idx(q, p, i), v);
		}
	}
	blk = json_object_get(h, "before");
	if (blk) {
		vpath_key(p, path, "before");
		if (v_object(v, blk, p, before_keys) >= 0 || json_is_object(blk)) {
			v_duration(v, blk, "duration", p, false, 0, 3600 * NSEC_PER_SEC,
				   &e->before_duration);
			v_number(v, blk, "min_success_ratio", p, false, 0, 1, &e->before_ratio);
		}
	}
	blk = json_object_get(h, "during");
	if (blk) {
		vpath_key(p, path, "during");
		if (v_object(v, blk, p, during_keys) >= 0 || json_is_object(blk))
			v_number(v, blk, "min_success_ratio", p, false, 0, 1, &e->during_ratio);
	}
	blk = json_object_get(h, "after");
	if (blk) {
		vpath_key(p, path, "after");
		if (v_object(v, blk, p, after_keys) >= 0 || json_is_object(blk)) {
			v_duration(v, blk, "within", p, false, 0, 3600 * NSEC_PER_SEC,
				   &e->after_within);
			v_duration(v, blk, "duration", p, false, 0, 3600 * NSEC_PER_SEC,
				   &e->after_duration);
			v_number(v, blk, "min_success_ratio", p, false, 0, 1, &e->after_ratio);
		}
	}
}

static void parse_rule(struct experiment *e, const json_t *j, const char *path, struct vctx *v)
{
	struct rule *r = &e->rules[e->nrules];
	const char *probe = "?", *cond = NULL;
	char p[VPATH_MAX], w[32], l[32];
	bool windowed;
	int idx = -1, n = 0;

	if (v_object(v, j, path, rule_keys) < 0 && !json_is_object(j))
		return;
	if (v_string(v, j, "probe", path, true, &probe) > 0) {
		idx = experiment_probe_index(e, probe);
		if (idx < 0)
			verr(v, vpath_key(p, path, "probe"),
			     "no probe named '%s' in $.hypothesis.probes", probe);
	} else {
		probe = "?";
	}
	for (size_t i = 0; rule_conditions[i]; i++) {
		if (json_object_get(j, rule_conditions[i])) {
			cond = rule_conditions[i];
			n++;
		}
	}
	if (n != 1) {
		verr(v, path,
		     "a rule needs exactly one of 'consecutive_failures', 'failure_ratio_above', "
		     "'latency_p95_above', 'latency_p99_above', 'value_above', 'value_below' or "
		     "'budget_burn_above'");
		return;
	}
	r->min_samples = 3;
	r->probe = idx < 0 ? 0 : (size_t)idx;
	windowed = strcmp(cond, "consecutive_failures") && strcmp(cond, "value_above") &&
		   strcmp(cond, "value_below");
	if (windowed) {
		v_duration(v, j, "window", path, true, 10 * NSEC_PER_MSEC, 24 * 3600 * NSEC_PER_SEC,
			   &r->window);
		v_uint(v, j, "min_samples", path, false, 1, 1000000, &r->min_samples);
	} else {
		if (json_object_get(j, "window"))
			verr_key(v, vpath_key(p, path, "window"), "'window' does not apply to '%s'",
				 cond);
		if (json_object_get(j, "min_samples"))
			verr_key(v, vpath_key(p, path, "min_samples"),
				 "'min_samples' does not apply to '%s'", cond);
	}
	if (json_object_get(j, "slo") && strcmp(cond, "budget_burn_above"))
		verr_key(v, vpath_key(p, path, "slo"), "'slo' applies only to 'budget_burn_above'");
	fmt_duration(r->window, w, sizeof(w));
	if (!strcmp(cond, "consecutive_failures")) {
		r->kind = RULE_CONSECUTIVE_FAILURES;
		v_uint(v, j, cond, path, true, 1, 1000000, &r->count);
		r->desc = fl_asprintf("%s: %llu consecutive failures", probe,
				      (unsigned long long)r->count);
	} else if (!strcmp(cond, "failure_ratio_above")) {
		r->kind = RULE_FAILURE_RATIO;
		v_number(v, j, cond, path, true, 0, 1, &r->ratio);
		r->desc = fl_asprintf("%s: failure ratio above %g over %s", probe, r->ratio, w);
	} else if (!strcmp(cond, "latency_p95_above") || !strcmp(cond, "latency_p99_above")) {
		r->kind = cond[9] == '5' ? RULE_LATENCY_P95 : RULE_LATENCY_P99;
		v_duration(v, j, cond, path, true, 1, 3600 * NSEC_PER_SEC, &r->latency);
		fmt_duration(r->latency, l, sizeof(l));
		r->desc = fl_asprintf("%s: p%s latency above %s over %s", probe,
				      r->kind == RULE_LATENCY_P95 ? "95" : "99", l, w);
	} else if (!strcmp(cond, "value_above") || !strcmp(cond, "value_below")) {
		r->kind = cond[6] == 'a' ? RULE_VALUE_ABOVE : RULE_VALUE_BELOW;
		v_number(v, j, cond, path, true, -1e300, 1e300, &r->value);
		if (idx >= 0 && e->probes[idx].ops && !e->probes[idx].ops->numeric)
			verr(v, vpath_key(p, path, cond),
			     "probe '%s' (%s) has no numeric value; value rules need a prometheus or "
			     "process probe",
			     probe, e->probes[idx].ops->kind);
		r->desc = fl_asprintf("%s: value %s %g", probe,
				      r->kind == RULE_VALUE_ABOVE ? "above" : "below", r->value);
	} else {
		r->kind = RULE_BUDGET_BURN;
		v_number(v, j, cond, path, true, 0, 1, &r->ratio);
		if (v_number(v, j, "slo", path, true, 0, 1, &r->slo) > 0 && r->slo >= 1)
			verr(v, vpath_key(p, path, "slo"),
			     "an SLO of 1 leaves no error budget to burn; use consecutive_failures");
		r->desc = fl_asprintf("%s: more than %g of the error budget of SLO %g over %s "
				      "burned",
				      probe, r->ratio, r->slo, w);
	}
	e->nrules++;
}

static void parse_safety(struct experiment *e, const json_t *s, const struct experiment_limits *lim,
			 struct vctx *v)
{
	const char *path = "$.safety";
	char p[VPATH_MAX], q[VPATH_MAX], a[32];
	json_t *rules;

	if (v_object(v, s, path, safety_keys) < 0 && !json_is_object(s))
		return;
	rules = json_object_get(s, "abort_when");
	if (rules) {
		vpath_key(p, path, "abort_when");
		if (!json_is_array(rules)) {
			verr(v, p, "expected an array of rules");
		} else if (json_array_size(rules) > EXPERIMENT_MAX_RULES) {
			verr(v, p, "at most %d rules", EXPERIMENT_MAX_RULES);
		} else {
			size_t i;
			json_t *rj;

			e->rules = calloc(json_array_size(rules) + 1, sizeof(*e->rules));
			if (!e->rules)
				return;
			json_array_foreach(rules, i, rj)
				parse_rule(e, rj, vpath_idx(q, p, i), v);
		}
	}
	if (v_duration(v, s, "max_duration", path, false, NSEC_PER_MSEC, UINT64_MAX,
		       &e->max_duration) > 0) {
		e->max_duration_set = true;
		if (e->max_duration > lim->max_duration) {
			fmt_duration(lim->max_duration, a, sizeof(a));
			verr(v, vpath_key(p, path, "max_duration"),
			     "exceeds the agent's limit of %s", a);
		}
	}
}

int parse_utc_time(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *p;
	uint64_t ms = 0;
	time_t t;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		unsigned scale = 100;

		for (p++; *p >= '0' && *p <= '9'; p++) {
			ms += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -EINVAL;
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*out = (uint64_t)t * NSEC_PER_SEC + ms * NSEC_PER_MSEC;
	return 0;
}

static int day_index(const char *s, size_t len)
{
	for (int i = 0; i < 7; i++)
		if (len == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "Mon-Fri", "Sat,Sun", "Fri-Mon", "*", "daily" -> bit mask. */
static int parse_days(const char *s, size_t len, uint8_t *out)
{
	uint8_t days = 0;

	if ((len == 1 && *s == '*') || (len == 5 && !strncasecmp(s, "daily", 5))) {
		*out = 0x7f;
		return 0;
	}
	while (len) {
		const char *comma = memchr(s, ',', len);
		size_t part = comma ? (size_t)(comma - s) : len;
		const char *dash = memchr(s, '-', part);
		int a, b;

		if (dash) {
			a = day_index(s, (size_t)(dash - s));
			b = day_index(dash + 1, part - (size_t)(dash - s) - 1);
		} else {
			a = b = day_index(s, part);
		}
		if (a < 0 || b < 0)
			return -EINVAL;
		for (int d = a;; d = (d + 1) % 7) {
			days |= (uint8_t)(1u << d);
			if (d == b)
				break;
		}
		s += part;
		len -= part;
		if (len) {
			s++;
			len--;
			if (!len)
				return -EINVAL;
		}
	}
	*out = days;
	return 0;
}

static int parse_hhmm(const char *s, uint16_t *out)
{
	unsigned h, m;
	char tail;

	if (strlen(s) != 5 || sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 24 || m > 59 ||
	    (h == 24 && m))
		return -EINVAL;
	*out = (uint16_t)(h * 60 + m);
	return 0;
}

/* "Mon-Fri 02:00-04:00 UTC" */
static int parse_window(const char *text, struct sched_window *w, char *why, size_t len)
{
	char days[64], span[32], tz[16], extra[2], a[8], b[8];
	const char *dash;

	if (sscanf(text, "%63s %31s %15s %1s", days, span, tz, extra) != 3) {
		snprintf(why, len, "expected \"DAYS HH:MM-HH:MM UTC\", e.g. \"Mon-Fri 02:00-04:00 UTC\"");
		return -EINVAL;
	}
	if (strcmp(tz, "UTC") != 0) {
		snprintf(why, len, "time zone '%s' is not supported; write the window in UTC", tz);
		return -EINVAL;
	}
	if (parse_days(days, strlen(days), &w->days) < 0) {
		snprintf(why, len, "invalid days '%s' (Mon..Sun, ranges like Mon-Fri, lists like "
				   "Sat,Sun, or *)", days);
		return -EINVAL;
	}
	dash = strchr(span, '-');
	if (!dash || dash - span != 5 || strlen(dash + 1) != 5) {
		snprintf(why, len, "invalid time span '%s' (HH:MM-HH:MM)", span);
		return -EINVAL;
	}
	memcpy(a, span, 5);
	a[5] = '\0';
	snprintf(b, sizeof(b), "%s", dash + 1);
	if (parse_hhmm(a, &w->start) < 0 || parse_hhmm(b, &w->end) < 0 || w->start == w->end) {
		snprintf(why, len, "invalid time span '%s' (HH:MM-HH:MM, start and end differ)",
			 span);
		return -EINVAL;
	}
	w->text = strdup(text);
	return w->text ? 0 : -ENOMEM;
}

static void parse_schedule(struct experiment *e, const json_t *s, struct vctx *v)
{
	const char *path = "$.schedule";
	char p[VPATH_MAX], q[VPATH_MAX], why[160];
	const char *nb;
	json_t *w;

	if (v_object(v, s, path, schedule_keys) < 0 && !json_is_object(s))
		return;
	if (v_string(v, s, "not_before", path, false, &nb) > 0 &&
	    parse_utc_time(nb, &e->not_before) < 0)
		verr(v, vpath_key(p, path, "not_before"),
		     "invalid time '%s' (use UTC, e.g. \"2026-11-23T02:00:00Z\")", nb);
	w = json_object_get(s, "windows");
	if (!w)
		return;
	vpath_key(p, path, "windows");
	if (!json_is_array(w) || !json_array_size(w) || json_array_size(w) > 32) {
		verr(v, p, "expected an array of 1 to 32 windows");
		return;
	}
	e->windows = calloc(json_array_size(w), sizeof(*e->windows));
	if (!e->windows)
		return;
	for (size_t i = 0; i < json_array_size(w); i++) {
		json_t *t = json_array_get(w, i);

		vpath_idx(q, p, i);
		if (!json_is_string(t)) {
			verr(v, q, "expected a window string such as \"Mon-Fri 02:00-04:00 UTC\"");
			continue;
		}
		if (parse_window(json_string_value(t), &e->windows[e->nwindows], why, sizeof(why)) <
		    0) {
			verr(v, q, "%s", why);
			continue;
		}
		e->nwindows++;
	}
}

static bool in_window(const struct sched_window *w, int wday, unsigned minute)
{
	int prev = (wday + 6) % 7;

	if (w->start < w->end)
		return (w->days & (1u << wday)) && minute >= w->start && minute < w->end;
	return ((w->days & (1u << wday)) && minute >= w->start) ||
	       ((w->days & (1u << prev)) && minute < w->end);
}

static bool in_any_window(const struct experiment *e, uint64_t when, const char **which)
{
	time_t t = (time_t)(when / NSEC_PER_SEC);
	struct tm tm;
	int wday;

	gmtime_r(&t, &tm);
	wday = (tm.tm_wday + 6) % 7; /* Monday = 0 */
	for (size_t i = 0; i < e->nwindows; i++) {
		if (in_window(&e->windows[i], wday, (unsigned)(tm.tm_hour * 60 + tm.tm_min))) {
			if (which)
				*which = e->windows[i].text;
			return true;
		}
	}
	return false;
}

int experiment_schedule_check(const struct experiment *e, uint64_t when, char *why, size_t len)
{
	char a[40], b[40];

	if (e->not_before && when < e->not_before) {
		fmt_time_iso(e->not_before, a, sizeof(a));
		snprintf(why, len, "the experiment may not start before %s", a);
		return -EAGAIN;
	}
	if (!e->nwindows || in_any_window(e, when, NULL))
		return 0;
	fmt_time_iso(when, a, sizeof(a));
	/* The next opening, minute by minute over the coming week. */
	for (uint64_t m = 1; m <= 8 * 24 * 60; m++) {
		uint64_t t = (when / (60 * NSEC_PER_SEC) + m) * 60 * NSEC_PER_SEC;

		if (in_any_window(e, t, NULL)) {
			fmt_time_iso(t, b, sizeof(b));
			snprintf(why, len, "%s is outside every run window; the next opens at %s", a,
				 b);
			return -EAGAIN;
		}
	}
	snprintf(why, len, "%s is outside every run window", a);
	return -EAGAIN;
}

static void check_timing(struct experiment *e, struct vctx *v)
{
	char p[VPATH_MAX], q[VPATH_MAX], a[32], b[32];
	uint64_t end = 0;

	for (size_t i = 0; i < e->nfaults; i++) {
		struct fault *f = &e->faults[i];

		if (!f->duration)
			continue;
		if (f->start_after + f->duration > e->max_duration) {
			fmt_duration(f->start_after + f->duration, a, sizeof(a));
			fmt_duration(e->max_duration, b, sizeof(b));
			verr(v, vpath_key(q, vpath_idx(p, "$.faults", i), "duration"),
			     "fault ends at %s, after the maximum duration %s", a, b);
		}
		if (f->start_after + f->duration > end)
			end = f->start_after + f->duration;
	}
	if (!end)
		end = e->max_duration;
	e->method_duration = end > e->max_duration ? e->max_duration : end;
	for (size_t i = 0; i < e->nfaults; i++) {
		struct fault *f = &e->faults[i];

		if (f->start_after >= e->method_duration) {
			fmt_duration(f->start_after, a, sizeof(a));
			fmt_duration(e->method_duration, b, sizeof(b));
			verr(v, vpath_key(q, vpath_idx(p, "$.faults", i), "start_after"),
			     "fault starts at %s, when the method (%s) has already ended", a, b);
		}
	}
}

struct experiment *experiment_parse(const char *text, size_t len,
				    const struct experiment_limits *lim, struct vctx *v)
{
	struct experiment *e = NULL;
	json_t *root = NULL, *j;
	const char *s;
	uint64_t ver;
	size_t before = v->n;

	if (len > EXPERIMENT_MAX_BYTES) {
		verr_at(v, 0, 0, "$", "experiment is larger than %d bytes", EXPERIMENT_MAX_BYTES);
		return NULL;
	}
	root = vjson_load(v, text, len);
	if (!root)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e) {
		verr_at(v, 0, 0, "$", "out of memory");
		goto out;
	}
	e->before_ratio = e->during_ratio = e->after_ratio = 1.0;
	e->after_within = 30 * NSEC_PER_SEC;
	e->max_duration = lim->max_duration;

	if (v_object(v, root, "$", top_keys) < 0 && !json_is_object(root))
		goto out;
	if (v_uint(v, root, "version", "$", true, 0, INT32_MAX, &ver) > 0 &&
	    ver != EXPERIMENT_VERSION)
		verr(v, "$.version", "unsupported version %llu (this faultline reads version %d)",
		     (unsigned long long)ver, EXPERIMENT_VERSION);
	if (v_string(v, root, "title", "$", true, &s) > 0) {
		if (!*s || strlen(s) > MAX_TITLE)
			verr(v, "$.title", "title must be 1 to %d characters", MAX_TITLE);
		e->title = strdup(s);
	}
	if (v_string(v, root, "description", "$", false, &s) > 0)
		e->description = strdup(s);
	j = json_object_get(root, "tags");
	if (j) {
		size_t i;
		json_t *t;
		char p[VPATH_MAX];

		if (!json_is_array(j))
			verr(v, "$.tags", "expected an array of strings");
		else
			json_array_foreach(j, i, t) {
				if (!json_is_string(t))
					verr(v, vpath_idx(p, "$.tags", i), "expected a string");
			}
		if (json_is_array(j))
			e->tags = json_incref(j);
	}
	/* safety first: rules refer to probes, so parse probes before rules. */
	j = json_object_get(root, "hypothesis");
	if (j)
		parse_hypothesis(e, j, v);
	j = json_object_get(root, "safety");
	if (j)
		parse_safety(e, j, lim, v);
	j = json_object_get(root, "schedule");
	if (j)
		parse_schedule(e, j, v);
	j = json_object_get(root, "faults");
	if (!j) {
		verr(v, "$", "missing required key 'faults'");
	} else if (!json_is_array(j)) {
		verr(v, "$.faults", "expected an array of faults");
	} else if (json_array_size(j) == 0) {
		verr(v, "$.faults", "at least one fault is required");
	} else if (json_array_size(j) > EXPERIMENT_MAX_FAULTS) {
		verr(v, "$.faults", "at most %d faults", EXPERIMENT_MAX_FAULTS);
	} else {
		size_t i;
		json_t *fj;
		char p[VPATH_MAX];

		e->faults = calloc(json_array_size(j), sizeof(*e->faults));
		if (!e->faults)
			goto out;
		json_array_foreach(j, i, fj)
			parse_fault(e, fj, vpath_idx(p, "$.faults", i), v);
	}
	if (v->n == before)
		check_timing(e, v);
out:
	json_decref(root);
	if (v->n != before || !e) {
		if (v->n == before)
			verr_at(v, 0, 0, "$", "out of memory");
		experiment_free(e);
		return NULL;
	}
	return e;
}

char *fl_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

int experiment_probe_index(const struct experiment *e, const char *name)
{
	for (size_t i = 0; i < e->nprobes; i++) {
		if (e->probes[i].name && strcmp(e->probes[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

void experiment_free(struct experiment *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nprobes; i++) {
		if (e->probes[i].ops && e->probes[i].ops->free)
			e->probes[i].ops->free(&e->probes[i]);
		free(e->probes[i].name);
	}
	free(e->probes);
	for (size_t i = 0; i < e->nfaults; i++) {
		if (e->faults[i].ops && e->faults[i].ops->free)
			e->faults[i].ops->free(&e->faults[i]);
		free(e->faults[i].name);
		free(e->faults[i].error);
	}
	free(e->faults);
	for (size_t i = 0; i < e->nrules; i++)
		free(e->rules[i].desc);
	free(e->rules);
	for (size_t i = 0; i < e->nwindows; i++)
		free(e->windows[i].text);
	free(e->windows);
	json_decref(e->tags);
	free(e->title);
	free(e->description);
	free(e);
}
