// SPDX-License-Identifier: MIT
/* Text rendering of the agent's replies; --json output bypasses all of this. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

void fmt_jtime(const json_t *t, char *buf, size_t len)
{
	double v;

	if (json_is_string(t)) {
		snprintf(buf, len, "%s", json_string_value(t));
		return;
	}
	if (!json_is_number(t)) {
		snprintf(buf, len, "-");
		return;
	}
	/* Epoch nanoseconds, milliseconds or seconds: told apart by magnitude. */
	v = json_number_value(t);
	if (v > 1e15)
		fmt_time_iso((uint64_t)v, buf, len);
	else if (v > 1e11)
		fmt_time_iso((uint64_t)(v * 1e6), buf, len);
	else if (v > 0)
		fmt_time_iso((uint64_t)(v * 1e9), buf, len);
	else
		snprintf(buf, len, "-");
}

void fmt_ms(double ms, char *buf, size_t len)
{
	if (!isfinite(ms) || ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%.1fms", ms);
	else if (ms < 600000)
		snprintf(buf, len, "%.3fs", ms / 1000);
	else
		snprintf(buf, len, "%.0fm%02.0fs", floor(ms / 60000),
			 floor(fmod(ms, 60000) / 1000));
}

static void fmt_jms(const json_t *obj, const char *key, char *buf, size_t len)
{
	double ms;

	if (jnum(obj, key, &ms))
		fmt_ms(ms, buf, len);
	else
		snprintf(buf, len, "-");
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = jstr(obj, key);

	return s && *s ? s : dflt;
}

/* A scalar as text: strings bare, everything else as compact JSON. */
static void fmt_scalar(const json_t *v, char *buf, size_t len)
{
	char *s;

	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
}

/* " ok 2.1ms status 200" / " fail 5003.0ms: timeout" for a sample or a probe's "last". */
static void fmt_sample(const json_t *s, char *buf, size_t len)
{
	const json_t *status = json_object_get(s, "status");
	const char *reason = jstr(s, "reason");
	char lat[32] = "", st[48] = "";
	double ms;
	bool ok = json_is_true(json_object_get(s, "ok"));

	if (jnum(s, "latency_ms", &ms)) {
		lat[0] = ' ';
		fmt_ms(ms, lat + 1, sizeof(lat) - 1);
	}
	if (status && !json_is_null(status)) {
		char v[32];

		fmt_scalar(status, v, sizeof(v));
		snprintf(st, sizeof(st), " status %s", v);
	}
	snprintf(buf, len, "%s%s%s%s%s", ok ? "ok" : "fail", lat, st,
		 reason && *reason ? ": " : "", reason && *reason ? reason : "");
}

void render_event(FILE *f, const json_t *ev)
{
	const char *type = str_or(ev, "type", "?");
	char when[40], rest[512] = "", samp[256];
	double t;

	fmt_jtime(json_object_get(ev, "time"), when, sizeof(when));
	if (!strcmp(type, "phase")) {
		snprintf(rest, sizeof(rest), "phase %s", str_or(ev, "phase", "?"));
	} else if (!strcmp(type, "sample")) {
		fmt_sample(ev, samp, sizeof(samp));
		snprintf(rest, sizeof(rest), "sample %s %s", str_or(ev, "probe", "?"), samp);
	} else if (!strcmp(type, "fault")) {
		const char *err = jstr(ev, "error");

		snprintf(rest, sizeof(rest), "fault %s %s%s%s", str_or(ev, "fault", "?"),
			 str_or(ev, "state", "?"), err && *err ? ": " : "",
			 err && *err ? err : "");
	} else if (!strcmp(type, "breach")) {
		const char *rule = jstr(ev, "rule"), *reason = jstr(ev, "reason");

		if (!rule)
			rule = str_or(ev, "probe", "?");
		snprintf(rest, sizeof(rest), "breach %s%s%s%s", rule,
			 reason && *reason ? " (" : "", reason && *reason ? reason : "",
			 reason && *reason ? ")" : "");
	} else if (!strcmp(type, "recovered")) {
		double ms = -1;
		char d[32];

		jnum(ev, "time_to_recover_ms", &ms);
		fmt_ms(ms, d, sizeof(d));
		snprintf(rest, sizeof(rest), "recovered after %s", d);
	} else if (!strcmp(type, "log")) {
		snprintf(rest, sizeof(rest), "log %s", str_or(ev, "message", ""));
	} else if (!strcmp(type, "end")) {
		const char *reason = jstr(ev, "reason");

		snprintf(rest, sizeof(rest), "verdict %s%s%s", str_or(ev, "verdict", "none"),
			 reason && *reason ? ": " : "", reason && *reason ? reason : "");
	} else {
		char *s = json_dumps(ev, JSON_COMPACT);

		snprintf(rest, sizeof(rest), "%s %s", type, s ? s : "");
		free(s);
	}
	if (jnum(ev, "t_ms", &t))
		fprintf(f, "%s +%.3fs %s\n", when, t / 1000, rest);
	else
		fprintf(f, "%s %s\n", when, rest);
}

static int id_width(const json_t *runs)
{
	size_t i, w = 2;
	json_t *r;

	json_array_foreach(runs, i, r) {
		const char *id = jstr(r, "id");

		if (id && strlen(id) > w)
			w = strlen(id);
	}
	return w > 64 ? 64 : (int)w;
}

void render_run_table(FILE *f, const json_t *runs)
{
	int w = id_width(runs);
	size_t i;
	json_t *r;

	if (!json_array_size(runs)) {
		fprintf(f, "no runs\n");
		return;
	}
	fprintf(f, "%-*s  %-9s %-9s %-24s %-10s %s\n", w, "ID", "PHASE", "VERDICT", "STARTED",
		"ELAPSED", "TITLE");
	json_array_foreach(runs, i, r) {
		char started[40], elapsed[32];

		fmt_jtime(json_object_get(r, "started_at"), started, sizeof(started));
		fmt_jms(r, "elapsed_ms", elapsed, sizeof(elapsed));
		fprintf(f, "%-*s  %-9s %-9s %-24s %-10s %s\n", w, str_or(r, "id", "?"),
			str_or(r, "phase", "-"), str_or(r, "verdict", "-"), started, elapsed,
			str_or(r, "title", ""));
	}
}

void render_run_list(FILE *f, const json_t *runs)
{
	int w = id_width(runs);
	size_t i;
	json_t *r;

	json_array_foreach(runs, i, r) {
		const char *state = jstr(r, "verdict");

		if (!state)
			state = str_or(r, "phase", "-");
		fprintf(f, "%-*s  %-9s %s\n", w, str_or(r, "id", "?"), state,
			str_or(r, "title", ""));
	}
}

/* "key=value key=value" of an object, nested values as compact JSON. */
static void fmt_object(const json_t *obj, char *buf, size_t len)
{
	const char *key;
	json_t *v;
	size_t off = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)obj, key, v) {
		char val[256];
		int n;

		fmt_scalar(v, val, sizeof(val));
		n = snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", key, val);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

static void render_fault(FILE *f, const json_t *ft, const char *indent)
{
	const json_t *status = json_object_get(ft, "status");
	const char *err = jstr(ft, "error");
	char applied[40], reverted[40];

	fmt_jtime(json_object_get(ft, "applied_at"), applied, sizeof(applied));
	fmt_jtime(json_object_get(ft, "reverted_at"), reverted, sizeof(reverted));
	fprintf(f, "%s%-16s %-16s %-9s applied %s  reverted %s\n", indent,
		str_or(ft, "name", "?"), str_or(ft, "kind", "?"), str_or(ft, "state", "?"),
		applied, reverted);
	if (err && *err)
		fprintf(f, "%s  error: %s\n", indent, err);
	if (json_is_object(status) && json_object_size(status)) {
		char buf[1024];

		fmt_object(status, buf, sizeof(buf));
		fprintf(f, "%s  status: %s\n", indent, buf);
	}
}

static void fmt_ratio(const json_t *obj, const char *key, char *buf, size_t len)
{
	double r;

	if (jnum(obj, key, &r))
		snprintf(buf, len, "%.1f%%", r * 100);
	else
		snprintf(buf, len, "-");
}

void render_run_detail(FILE *f, const json_t *run)
{
	const json_t *phases = json_object_get(run, "phases");
	const json_t *faults = json_object_get(run, "faults");
	const json_t *probes = json_object_get(run, "probes");
	const json_t *rules = json_object_get(run, "rules");
	const char *reason = jstr(run, "reason"), *step = jstr(run, "failed_step");
	char t1[40], t2[40], d[32];
	json_t *e;
	size_t i;

	fprintf(f, "run          %s\n", str_or(run, "id", "?"));
	fprintf(f, "title        %s\n", str_or(run, "title", ""));
	fprintf(f, "file         %s\n", str_or(run, "file", "-"));
	fprintf(f, "phase        %s\n", str_or(run, "phase", "-"));
	fprintf(f, "verdict      %s\n", str_or(run, "verdict", "-"));
	if (reason && *reason)
		fprintf(f, "reason       %s\n", reason);
	if (step && *step)
		fprintf(f, "failed step  %s\n", step);
	fmt_jtime(json_object_get(run, "started_at"), t1, sizeof(t1));
	fmt_jtime(json_object_get(run, "ended_at"), t2, sizeof(t2));
	fprintf(f, "started      %s\n", t1);
	fprintf(f, "ended        %s\n", t2);
	fmt_jms(run, "elapsed_ms", d, sizeof(d));
	fprintf(f, "elapsed      %s\n", d);
	fmt_jms(run, "time_to_recover_ms", d, sizeof(d));
	fprintf(f, "recovered in %s\n", d);

	if (json_array_size(phases)) {
		fprintf(f, "phases\n");
		json_array_foreach(phases, i, e) {
			const json_t *met = json_object_get(e, "met");
			char ratio[16];
			double s = 0, fl = 0;

			fmt_jtime(json_object_get(e, "started_at"), t1, sizeof(t1));
			fmt_jtime(json_object_get(e, "ended_at"), t2, sizeof(t2));
			fmt_ratio(e, "ratio", ratio, sizeof(ratio));
			jnum(e, "samples", &s);
			jnum(e, "failures", &fl);
			fprintf(f, "  %-8s %s .. %s  samples %.0f failures %.0f ok %s met %s\n",
				str_or(e, "name", "?"), t1, t2, s, fl, ratio,
				json_is_true(met) ? "yes" : json_is_false(met) ? "no" : "-");
		}
	}
	if (json_array_size(faults)) {
		fprintf(f, "faults\n");
		json_array_foreach(faults, i, e)
			render_fault(f, e, "  ");
	}
	if (json_array_size(probes)) {
		fprintf(f, "probes\n");
		json_array_foreach(probes, i, e) {
			const json_t *last = json_object_get(e, "last");
			char ratio[16], ls[256] = "-";
			double s = 0, fl = 0;

			fmt_ratio(e, "success_ratio", ratio, sizeof(ratio));
			jnum(e, "samples", &s);
			jnum(e, "failures", &fl);
			if (json_is_object(last) && json_object_size(last))
				fmt_sample(last, ls, sizeof(ls));
			fprintf(f, "  %-16s %-12s samples %.0f failures %.0f ok %s  last %s\n",
				str_or(e, "name", "?"), str_or(e, "kind", "?"), s, fl, ratio, ls);
		}
	}
	if (json_array_size(rules)) {
		fprintf(f, "rules\n");
		json_array_foreach(rules, i, e)
			fprintf(f, "  %-40s %s\n", str_or(e, "desc", "?"),
				json_is_true(json_object_get(e, "tripped")) ? "TRIPPED" : "ok");
	}
}

void render_dry_run(FILE *f, const json_t *reply)
{
	json_t *e, *claim, *v;
	const char *key;
	size_t i, k;

	fprintf(f, "dry run of '%s': targets resolved, nothing applied\n",
		str_or(reply, "title", ""));
	json_array_foreach(json_object_get(reply, "plan"), i, e) {
		const json_t *status = json_object_get(e, "status");

		fprintf(f, "  fault %s (%s)\n", str_or(e, "fault", "?"), str_or(e, "kind", "?"));
		json_array_foreach(json_object_get(e, "claims"), k, claim) {
			const char *c = json_string_value(claim);

			fprintf(f, "    claims %s\n", c ? c : "?");
		}
		/* One line per key, nothing cut: a plan must show exactly what will be hit. */
		json_object_foreach((json_t *)status, key, v) {
			char *txt = json_is_string(v) ? NULL
						      : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			fprintf(f, "    %s: %s\n", key, txt ? txt : json_string_value(v));
			free(txt);
		}
	}
}

void render_run_summary(FILE *f, const json_t *run)
{
	const json_t *faults = json_object_get(run, "faults");
	const char *reason = jstr(run, "reason"), *step = jstr(run, "failed_step");
	json_t *e;
	size_t i;
	double ms;
	char d[32];

	fprintf(f, "run %s: %s%s%s\n", str_or(run, "id", "?"), str_or(run, "verdict", "no verdict"),
		reason && *reason ? ": " : "", reason && *reason ? reason : "");
	if (step && *step)
		fprintf(f, "  failed step: %s\n", step);
	if (jnum(run, "elapsed_ms", &ms)) {
		fmt_ms(ms, d, sizeof(d));
		fprintf(f, "  elapsed: %s\n", d);
	}
	if (jnum(run, "time_to_recover_ms", &ms)) {
		fmt_ms(ms, d, sizeof(d));
		fprintf(f, "  time to recover: %s\n", d);
	}
	json_array_foreach(faults, i, e) {
		const char *err = jstr(e, "error");

		fprintf(f, "  fault %s (%s): %s%s%s\n", str_or(e, "name", "?"),
			str_or(e, "kind", "?"), str_or(e, "state", "?"), err && *err ? ": " : "",
			err && *err ? err : "");
	}
}

/* One progress line, cut at width columns (UTF-8 continuation bytes take none). */
static void PRINTF(3, 4) progress_line(FILE *f, int width, const char *fmt, ...)
{
	char buf[1024];
	int cols = 0;
	size_t i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; buf[i]; i++) {
		if (((unsigned char)buf[i] & 0xc0) == 0x80)
			continue;
		if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\033')
			buf[i] = ' ';
		if (++cols > width)
			break;
	}
	buf[i] = '\0';
	fprintf(f, "%s\n", buf);
}

/* A fault's status object as "k=v k=v", numbers and strings only, nested arrays counted. */
static void fmt_status(const json_t *st, char *buf, size_t len)
{
	const char *k;
	json_t *v;
	size_t o = 0;

	buf[0] = '\0';
	json_object_foreach((json_t *)st, k, v) {
		int n = 0;

		if (json_is_integer(v))
			n = snprintf(buf + o, len - o, "%s%s=%lld", o ? " " : "", k,
				     (long long)json_integer_value(v));
		else if (json_is_real(v))
			n = snprintf(buf + o, len - o, "%s%s=%.4g", o ? " " : "", k,
				     json_real_value(v));
		else if (json_is_string(v))
			n = snprintf(buf + o, len - o, "%s%s=%s", o ? " " : "", k,
				     json_string_value(v));
		else if (json_is_array(v))
			n = snprintf(buf + o, len - o, "%s%s=[%zu]", o ? " " : "", k,
				     json_array_size(v));
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
}

int render_progress(FILE *f, const json_t *run, double elapsed_ms, int width, int max_lines)
{
	const json_t *faults = json_object_get(run, "faults");
	const json_t *probes = json_object_get(run, "probes");
	const json_t *rules = json_object_get(run, "rules");
	char el[32], tot[32] = "?";
	double total = 0;
	json_t *e;
	size_t i;
	int n = 0;

	if (max_lines < 1)
		return 0;
	fmt_ms(elapsed_ms, el, sizeof(el));
	if (jnum(run, "method_duration_ms", &total))
		fmt_ms(total, tot, sizeof(tot));
	progress_line(f, width, "run %s  phase %s  elapsed %s (faults for %s)  %s",
		      str_or(run, "id", "?"), str_or(run, "phase", "-"), el, tot,
		      str_or(run, "title", ""));
	n++;
	json_array_foreach(probes, i, e) {
		const json_t *last = json_object_get(e, "last"), *lat = json_object_get(e, "latency_ms");
		char ratio[16], ls[256] = "-", p95[32] = "-";
		double s = 0, v;

		if (n >= max_lines)
			return n;
		fmt_ratio(e, "success_ratio", ratio, sizeof(ratio));
		jnum(e, "samples", &s);
		if (jnum(lat, "p95", &v))
			fmt_ms(v, p95, sizeof(p95));
		if (json_is_object(last) && json_object_size(last))
			fmt_sample(last, ls, sizeof(ls));
		progress_line(f, width, "  probe %-16s ok %6s of %-5.0f p95 %-8s last %s",
			      str_or(e, "name", "?"), ratio, s, p95, ls);
		n++;
	}
	json_array_foreach(faults, i, e) {
		const char *err = jstr(e, "error");
		char st[256];

		if (n >= max_lines)
			return n;
		fmt_status(json_object_get(e, "status"), st, sizeof(st));
		progress_line(f, width, "  fault %-16s %-14s %-9s %s%s%s", str_or(e, "name", "?"),
			      str_or(e, "kind", ""), str_or(e, "state", "?"),
			      err && *err ? err : st, "", "");
		n++;
	}
	json_array_foreach(rules, i, e) {
		double cur = 0, thr = 0;
		char closeness[48] = "not yet judged";

		if (n >= max_lines)
			return n;
		jnum(e, "current", &cur);
		jnum(e, "threshold", &thr);
		if (json_is_true(json_object_get(e, "evaluated")))
			snprintf(closeness, sizeof(closeness), "%.4g of %.4g (%.0f%%)", cur, thr,
				 thr != 0 ? 100.0 * cur / thr : 0.0);
		progress_line(f, width, "  rule  %s%s: %s",
			      json_is_true(json_object_get(e, "tripped")) ? "TRIPPED " : "",
			      str_or(e, "desc", "?"), closeness);
		n++;
	}
	return n;
}

static void render_record(FILE *f, const json_t *rec)
{
	const char *result = jstr(rec, "result"), *name = jstr(rec, "record");
	const char *run = jstr(rec, "run"), *fault = jstr(rec, "fault"), *err = jstr(rec, "error");
	char who[512];

	if (!result)
		result = str_or(rec, "status", "-");
	if (name)
		snprintf(who, sizeof(who), "%s", name);
	else if (run || fault)
		snprintf(who, sizeof(who), "%s/%s", run ? run : "?", fault ? fault : "?");
	else
		snprintf(who, sizeof(who), "?");
	fprintf(f, "  %-9s %s (%s)%s%s\n", result, who, str_or(rec, "kind", "?"),
		err && *err ? ": " : "", err && *err ? err : "");
}

void render_recover_report(FILE *f, const json_t *report)
{
	const json_t *records = json_object_get(report, "records");
	double rec = 0, fail = 0, corrupt = 0;
	json_t *e;
	size_t i;

	jnum(report, "recovered", &rec);
	jnum(report, "failed", &fail);
	jnum(report, "corrupt", &corrupt);
	fprintf(f, "recovered %.0f, failed %.0f, corrupt %.0f\n", rec, fail, corrupt);
	json_array_foreach(records, i, e)
		render_record(f, e);
	json_array_foreach(json_object_get(report, "aborted"), i, e)
		fprintf(f, "  aborted run %s\n", json_string_value(e) ? json_string_value(e) : "?");
}

int verdict_exit(const char *verdict)
{
	if (!verdict)
		return CTL_EXIT_AGENT;
	if (!strcmp(verdict, "passed"))
		return CTL_EXIT_PASSED;
	if (!strcmp(verdict, "failed"))
		return CTL_EXIT_AGENT;
	if (!strcmp(verdict, "cancelled"))
		return CTL_EXIT_CANCELLED;
	/* deviated, aborted, not_run, and anything newer than this client */
	return CTL_EXIT_NOT_PASSED;
}
