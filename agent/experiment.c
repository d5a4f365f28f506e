// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "units.h"

#define MAX_TITLE 200
#define MAX_KEYS 32

static const char *const top_keys[] = { "version", "title",  "description", "tags",
					"hypothesis", "faults", "safety", NULL };
static const char *const hyp_keys[] = { "probes", "before", "during", "after", NULL };
static const char *const before_keys[] = { "duration", "min_success_ratio", NULL };
static const char *const during_keys[] = { "min_success_ratio", NULL };
static const char *const after_keys[] = { "within", "duration", "min_success_ratio", NULL };
static const char *const safety_keys[] = { "abort_when", "max_duration", NULL };
static const char *const rule_keys[] = { "probe",  "consecutive_failures", "failure_ratio_above",
					 "window", "min_samples", NULL };
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
	const char *probe = NULL;
	bool has_consec, has_ratio;
	char p[VPATH_MAX];
	char buf[64];
	int idx = -1;

	if (v_object(v, j, path, rule_keys) < 0 && !json_is_object(j))
		return;
	if (v_string(v, j, "probe", path, true, &probe) > 0) {
		idx = experiment_probe_index(e, probe);
		if (idx < 0)
			verr(v, vpath_key(p, path, "probe"),
			     "no probe named '%s' in $.hypothesis.probes", probe);
	}
	has_consec = json_object_get(j, "consecutive_failures") != NULL;
	has_ratio = json_object_get(j, "failure_ratio_above") != NULL;
	if (has_consec == has_ratio) {
		verr(v, path,
		     "a rule needs exactly one of 'consecutive_failures' or 'failure_ratio_above'");
		return;
	}
	r->min_samples = 3;
	if (has_consec) {
		r->kind = RULE_CONSECUTIVE_FAILURES;
		v_uint(v, j, "consecutive_failures", path, true, 1, 1000000, &r->count);
		if (json_object_get(j, "window"))
			verr_key(v, vpath_key(p, path, "window"),
				 "'window' applies only to 'failure_ratio_above'");
		if (json_object_get(j, "min_samples"))
			verr_key(v, vpath_key(p, path, "min_samples"),
				 "'min_samples' applies only to 'failure_ratio_above'");
		if (asprintf(&r->desc, "%s: %llu consecutive failures", probe ? probe : "?",
			     (unsigned long long)r->count) < 0)
			r->desc = NULL;
	} else {
		r->kind = RULE_FAILURE_RATIO;
		v_number(v, j, "failure_ratio_above", path, true, 0, 1, &r->ratio);
		v_duration(v, j, "window", path, true, 10 * NSEC_PER_MSEC, 24 * 3600 * NSEC_PER_SEC,
			   &r->window);
		v_uint(v, j, "min_samples", path, false, 1, 1000000, &r->min_samples);
		fmt_duration(r->window, buf, sizeof(buf));
		if (asprintf(&r->desc, "%s: failure ratio above %g over %s", probe ? probe : "?",
			     r->ratio, buf) < 0)
			r->desc = NULL;
	}
	r->probe = idx < 0 ? 0 : (size_t)idx;
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
	json_decref(e->tags);
	free(e->title);
	free(e->description);
	free(e);
}
