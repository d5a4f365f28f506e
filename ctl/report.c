// SPDX-License-Identifier: MIT
/*
 * faultctl report and watch.  A report is rendered from a run's full record (the run object
 * plus its events): JSON as is, JUnit XML for CI (one test case per hypothesis phase, per
 * fault apply and revert, per safety rule), Markdown for a postmortem, and a self-contained
 * HTML page with an SVG timeline.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

const char cmd_report_usage[] =
	"Usage: faultctl report ID [--format json|junit|md|html] [-o FILE]\n"
	"\n"
	"Render the record of run ID: JSON (the record itself), JUnit XML for CI, Markdown for a\n"
	"postmortem, or a self-contained HTML page with a timeline of probe latency and failures,\n"
	"fault windows, abort and recovery.  The record comes from the agent, or from the state\n"
	"directory when the agent is not running.\n"
	"\n"
	"  -f, --format FMT  json, junit, md or html (default: by the extension of -o, else md)\n"
	"      --json        the same as --format json\n"
	"  -o, --output FILE write to FILE instead of standard output\n"
	"  -h, --help        show this help\n";

const char cmd_watch_usage[] =
	"Usage: faultctl watch [--plain] ID\n"
	"\n"
	"A live view of run ID, refreshed in place: phase, elapsed and total time, each fault\n"
	"with its state and counters, each probe with its success ratio and p95 latency, and each\n"
	"safety rule with how close it is to tripping.  Returns when the run ends, with the exit\n"
	"code of its verdict.  Ctrl-C stops watching; the run goes on.\n"
	"\n"
	"      --plain   one line per event, even on a terminal\n"
	"  -h, --help    show this help\n";

/* ---- helpers ----------------------------------------------------------------------------- */

static void xml_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			/* XML 1.0 forbids most control characters, even escaped. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

static void md_esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|' || *s == '*' || *s == '_' || *s == '`' || *s == '<')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
}

static double jd(const json_t *o, const char *key)
{
	double v = 0;

	jnum(o, key, &v);
	return v;
}

static const char *js(const json_t *o, const char *key)
{
	const char *s = jstr(o, key);

	return s ? s : "";
}

/* t_ms of the first event of type with key == value (NULL: any), or -1. */
static double event_time(const json_t *events, const char *type, const char *key,
			 const char *value)
{
	size_t i;
	json_t *ev;

	json_array_foreach(events, i, ev) {
		if (strcmp(js(ev, "type"), type) != 0)
			continue;
		if (key && strcmp(js(ev, key), value) != 0)
			continue;
		return jd(ev, "t_ms");
	}
	return -1;
}

static double run_seconds(const json_t *rec)
{
	return jd(rec, "elapsed_ms") / 1000.0;
}

/* ---- JUnit -------------------------------------------------------------------------------- */

struct tcase {
	const char *cls;
	char name[256];
	double secs;
	const char *fail_type; /* NULL: passed */
	char fail_msg[512];
	bool skipped;
};

static void junit_case(FILE *f, const struct tcase *c)
{
	fprintf(f, "    <testcase classname=\"");
	xml_esc(f, c->cls);
	fprintf(f, "\" name=\"");
	xml_esc(f, c->name);
	fprintf(f, "\" time=\"%.3f\"", c->secs);
	if (c->skipped) {
		fprintf(f, ">\n      <skipped message=\"");
		xml_esc(f, c->fail_msg);
		fprintf(f, "\"/>\n    </testcase>\n");
	} else if (c->fail_type) {
		fprintf(f, ">\n      <failure type=\"");
		xml_esc(f, c->fail_type);
		fprintf(f, "\" message=\"");
		xml_esc(f, c->fail_msg);
		fprintf(f, "\">");
		xml_esc(f, c->fail_msg);
		fprintf(f, "</failure>\n    </testcase>\n");
	} else {
		fprintf(f, "/>\n");
	}
}

static size_t junit_cases(const json_t *rec, struct tcase *cs, size_t max)
{
	const json_t *phases = json_object_get(rec, "phases"), *faults = json_object_get(rec, "faults");
	const json_t *rules = json_object_get(rec, "rules"), *x;
	const char *verdict = js(rec, "verdict");
	size_t n = 0, i;

	json_array_foreach(phases, i, x) {
		struct tcase *c;
		const json_t *met = json_object_get(x, "met");

		if (n >= max)
			break;
		c = &cs[n++];
		memset(c, 0, sizeof(*c));
		c->cls = "faultline.hypothesis";
		snprintf(c->name, sizeof(c->name), "steady state %s", js(x, "name"));
		if (json_is_false(met)) {
			c->fail_type = "deviated";
			snprintf(c->fail_msg, sizeof(c->fail_msg),
				 "success ratio %.3f below %.3f (%g of %g samples failed)",
				 jd(x, "ratio"), jd(x, "required"), jd(x, "failures"), jd(x, "samples"));
		} else if (!json_is_true(met)) {
			c->skipped = true;
			snprintf(c->fail_msg, sizeof(c->fail_msg), "not judged (no probes, or the "
				 "phase did not finish)");
		}
	}
	json_array_foreach(faults, i, x) {
		const char *state = js(x, "state"), *err = jstr(x, "error");
		struct tcase *c;

		if (n + 2 > max)
			break;
		c = &cs[n++];
		memset(c, 0, sizeof(*c));
		c->cls = "faultline.fault";
		snprintf(c->name, sizeof(c->name), "%s (%s) apply", js(x, "name"), js(x, "kind"));
		if (!strcmp(state, "skipped")) {
			c->skipped = true;
			snprintf(c->fail_msg, sizeof(c->fail_msg), "never applied: the run ended first");
		} else if (!strcmp(state, "failed") && !json_is_string(json_object_get(x, "applied_at"))) {
			c->fail_type = "apply";
			snprintf(c->fail_msg, sizeof(c->fail_msg), "%s", err ? err : "apply failed");
		}
		c = &cs[n++];
		memset(c, 0, sizeof(*c));
		c->cls = "faultline.fault";
		snprintf(c->name, sizeof(c->name), "%s (%s) revert", js(x, "name"), js(x, "kind"));
		if (!strcmp(state, "skipped")) {
			c->skipped = true;
			snprintf(c->fail_msg, sizeof(c->fail_msg), "nothing to revert");
		} else if (strcmp(state, "reverted") != 0) {
			c->fail_type = "revert";
			snprintf(c->fail_msg, sizeof(c->fail_msg), "fault is %s%s%s", state,
				 err ? ": " : "", err ? err : "");
		}
	}
	json_array_foreach(rules, i, x) {
		struct tcase *c;

		if (n >= max)
			break;
		c = &cs[n++];
		memset(c, 0, sizeof(*c));
		c->cls = "faultline.safety";
		snprintf(c->name, sizeof(c->name), "rule %s", js(x, "desc"));
		if (json_is_true(json_object_get(x, "tripped"))) {
			c->fail_type = "aborted";
			snprintf(c->fail_msg, sizeof(c->fail_msg), "%s", js(rec, "reason"));
		}
	}
	/* A run that failed or was cancelled says so in a case of its own. */
	if (n < max && (!strcmp(verdict, "failed") || !strcmp(verdict, "cancelled") ||
			!strcmp(verdict, "not_run"))) {
		struct tcase *c = &cs[n++];

		memset(c, 0, sizeof(*c));
		c->cls = "faultline.run";
		snprintf(c->name, sizeof(c->name), "run %s", verdict);
		c->fail_type = verdict;
		snprintf(c->fail_msg, sizeof(c->fail_msg), "%s%s%s", js(rec, "reason"),
			 jstr(rec, "failed_step") ? " (step " : "",
			 jstr(rec, "failed_step") ? js(rec, "failed_step") : "");
		if (jstr(rec, "failed_step"))
			strncat(c->fail_msg, ")", sizeof(c->fail_msg) - strlen(c->fail_msg) - 1);
	}
	return n;
}

static void render_junit(FILE *f, const json_t *rec)
{
	struct tcase cs[512];
	size_t n = junit_cases(rec, cs, ARRAY_SIZE(cs)), fails = 0, skips = 0;
	char suite[512];

	for (size_t i = 0; i < n; i++) {
		fails += cs[i].fail_type != NULL;
		skips += cs[i].skipped;
	}
	snprintf(suite, sizeof(suite), "%s (run %s)", js(rec, "title"), js(rec, "id"));
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"faultline\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
		   "time=\"%.3f\">\n",
		n, fails, run_seconds(rec));
	fprintf(f, "  <testsuite name=\"");
	xml_esc(f, suite);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\"",
		n, fails, skips, run_seconds(rec));
	if (jstr(rec, "started_at")) {
		char ts[32];

		/* JUnit wants xs:dateTime without a zone designator. */
		snprintf(ts, sizeof(ts), "%.19s", js(rec, "started_at"));
		fprintf(f, " timestamp=\"%s\"", ts);
	}
	fprintf(f, ">\n    <properties>\n");
	fprintf(f, "      <property name=\"run\" value=\"");
	xml_esc(f, js(rec, "id"));
	fprintf(f, "\"/>\n      <property name=\"verdict\" value=\"");
	xml_esc(f, js(rec, "verdict"));
	fprintf(f, "\"/>\n      <property name=\"reason\" value=\"");
	xml_esc(f, js(rec, "reason"));
	fprintf(f, "\"/>\n    </properties>\n");
	for (size_t i = 0; i < n; i++)
		junit_case(f, &cs[i]);
	fprintf(f, "  </testsuite>\n</testsuites>\n");
}

/* ---- Markdown ----------------------------------------------------------------------------- */

static void md_time(FILE *f, double t_ms)
{
	fprintf(f, "+%.3fs", t_ms / 1000.0);
}

static void render_md(FILE *f, const json_t *rec)
{
	const json_t *events = json_object_get(rec, "events"), *x;
	double ttr;
	size_t i;
	unsigned samples = 0, failed = 0;

	fprintf(f, "# Game day report: ");
	md_esc(f, js(rec, "title"));
	fprintf(f, "\n\n");
	if (jstr(rec, "description")) {
		md_esc(f, js(rec, "description"));
		fprintf(f, "\n\n");
	}
	fprintf(f, "| | |\n|---|---|\n");
	fprintf(f, "| Run | `%s` |\n| Experiment file | `%s` |\n", js(rec, "id"), js(rec, "file"));
	fprintf(f, "| Verdict | **%s** |\n| Reason | ", js(rec, "verdict"));
	md_esc(f, js(rec, "reason"));
	fprintf(f, " |\n");
	if (jstr(rec, "failed_step"))
		fprintf(f, "| Step | %s |\n", js(rec, "failed_step"));
	fprintf(f, "| Started | %s |\n| Ended | %s |\n| Duration | %.3fs |\n", js(rec, "started_at"),
		js(rec, "ended_at"), run_seconds(rec));
	if (jnum(rec, "time_to_recover_ms", &ttr))
		fprintf(f, "| Time to recover | %.0f ms |\n", ttr);
	else
		fprintf(f, "| Time to recover | not recovered or not measured |\n");
	if (jnum(rec, "breach_to_clean_ms", &ttr))
		fprintf(f, "| Breach to every fault reverted | %.3f ms |\n", ttr);

	fprintf(f, "\n## What was injected\n\n| Fault | Kind | Start | Duration | Applied | Reverted | "
		   "State |\n|---|---|---|---|---|---|---|\n");
	json_array_foreach(json_object_get(rec, "faults"), i, x) {
		fprintf(f, "| ");
		md_esc(f, js(x, "name"));
		fprintf(f, " | %s | +%s | %s | %s | %s | %s", js(x, "kind"), js(x, "start_after"),
			js(x, "duration"), jstr(x, "applied_at") ? js(x, "applied_at") : "-",
			jstr(x, "reverted_at") ? js(x, "reverted_at") : "-", js(x, "state"));
		if (jstr(x, "error")) {
			fprintf(f, ": ");
			md_esc(f, js(x, "error"));
		}
		fprintf(f, " |\n");
	}

	fprintf(f, "\n## Steady state\n\n| Phase | Samples | Failures | Success ratio | Required | "
		   "Held |\n|---|---|---|---|---|---|\n");
	json_array_foreach(json_object_get(rec, "phases"), i, x) {
		const json_t *met = json_object_get(x, "met");

		fprintf(f, "| %s | %.0f | %.0f | %.3f | %.3f | %s |\n", js(x, "name"),
			jd(x, "samples"), jd(x, "failures"), jd(x, "ratio"), jd(x, "required"),
			json_is_true(met) ? "yes" : json_is_false(met) ? "**no**" : "-");
	}
	fprintf(f, "\n| Probe | Kind | Samples | Failures | p50 | p95 | p99 |\n"
		   "|---|---|---|---|---|---|---|\n");
	json_array_foreach(json_object_get(rec, "probes"), i, x) {
		const json_t *lat = json_object_get(x, "latency_ms");

		fprintf(f, "| ");
		md_esc(f, js(x, "name"));
		fprintf(f, " | %s | %.0f | %.0f | %.1f ms | %.1f ms | %.1f ms |\n", js(x, "kind"),
			jd(x, "samples"), jd(x, "failures"), jd(lat, "p50"), jd(lat, "p95"),
			jd(lat, "p99"));
	}

	fprintf(f, "\n## Safety rules\n\n| Rule | Evaluations | Tripped |\n|---|---|---|\n");
	json_array_foreach(json_object_get(rec, "rules"), i, x) {
		fprintf(f, "| ");
		md_esc(f, js(x, "desc"));
		fprintf(f, " | %.0f | %s |\n", jd(x, "evaluations"),
			json_is_true(json_object_get(x, "tripped")) ? "**yes**" : "no");
	}

	fprintf(f, "\n## What broke\n\n");
	{
		bool any = false;

		json_array_foreach(events, i, x) {
			if (!strcmp(js(x, "type"), "breach")) {
				fprintf(f, "- ");
				md_time(f, jd(x, "t_ms"));
				fprintf(f, " safety rule *");
				md_esc(f, js(x, "rule"));
				fprintf(f, "* tripped: ");
				md_esc(f, js(x, "reason"));
				fprintf(f, "\n");
				any = true;
			}
		}
		json_array_foreach(json_object_get(rec, "probes"), i, x) {
			double t = event_time(events, "sample", "probe", js(x, "name"));
			size_t k;
			json_t *ev;

			(void)t;
			json_array_foreach(events, k, ev) {
				if (strcmp(js(ev, "type"), "sample") || strcmp(js(ev, "probe"), js(x, "name")) ||
				    json_is_true(json_object_get(ev, "ok")))
					continue;
				fprintf(f, "- ");
				md_time(f, jd(ev, "t_ms"));
				fprintf(f, " first failure of probe *");
				md_esc(f, js(x, "name"));
				fprintf(f, "* (%s phase): ", js(ev, "phase"));
				md_esc(f, js(ev, "reason"));
				fprintf(f, "; %.0f of %.0f samples failed in all\n", jd(x, "failures"),
					jd(x, "samples"));
				any = true;
				break;
			}
		}
		if (!any)
			fprintf(f, "Nothing: every probe sample succeeded and no rule tripped.\n");
	}

	fprintf(f, "\n## Timeline\n\n");
	json_array_foreach(events, i, x) {
		const char *type = js(x, "type");

		if (!strcmp(type, "sample")) {
			samples++;
			failed += !json_is_true(json_object_get(x, "ok"));
			continue;
		}
		if (samples) {
			fprintf(f, "- %u probe samples, %u failed\n", samples, failed);
			samples = failed = 0;
		}
		fprintf(f, "- ");
		md_time(f, jd(x, "t_ms"));
		if (!strcmp(type, "phase")) {
			fprintf(f, " phase **%s**\n", js(x, "phase"));
		} else if (!strcmp(type, "fault")) {
			fprintf(f, " fault *");
			md_esc(f, js(x, "fault"));
			fprintf(f, "* %s", js(x, "state"));
			if (jstr(x, "error")) {
				fprintf(f, ": ");
				md_esc(f, js(x, "error"));
			}
			fprintf(f, "\n");
		} else if (!strcmp(type, "breach")) {
			fprintf(f, " **abort**: ");
			md_esc(f, js(x, "rule"));
			fprintf(f, "\n");
		} else if (!strcmp(type, "recovered")) {
			fprintf(f, " steady state recovered after %.0f ms\n", jd(x, "time_to_recover_ms"));
		} else if (!strcmp(type, "end")) {
			fprintf(f, " verdict **%s**\n", js(x, "verdict"));
		} else {
			fprintf(f, " %s\n", type);
		}
	}
	if (samples)
		fprintf(f, "- %u probe samples, %u failed\n", samples, failed);
}

/* ---- HTML with an SVG timeline ------------------------------------------------------------ */

#define SVG_W 960
#define SVG_H 320
#define SVG_L 60
#define SVG_R 20
#define SVG_T 30
#define SVG_B 40

static const char *const colours[] = { "#1f77b4", "#9467bd", "#17becf", "#8c564b", "#e377c2" };

static void render_svg(FILE *f, const json_t *rec)
{
	const json_t *events = json_object_get(rec, "events"), *ev, *probes = json_object_get(rec, "probes");
	double tmax = 1, lmax = 1;
	size_t i;
	double pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B;

	json_array_foreach(events, i, ev) {
		if (jd(ev, "t_ms") > tmax)
			tmax = jd(ev, "t_ms");
		if (!strcmp(js(ev, "type"), "sample") && jd(ev, "latency_ms") > lmax)
			lmax = jd(ev, "latency_ms");
	}
	lmax *= 1.1;
#define X(t) (SVG_L + (t) / tmax * pw)
#define Y(l) (SVG_T + ph - (l) / lmax * ph)
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timeline\" width=\"%d\" "
		   "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"run timeline\">\n",
		SVG_W, SVG_H, SVG_W, SVG_H);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", SVG_W, SVG_H);
	/* Fault windows, shaded. */
	json_array_foreach(json_object_get(rec, "faults"), i, ev) {
		double a = event_time(events, "fault", "fault", js(ev, "name")), b = -1;
		size_t k;
		json_t *e2;

		if (a < 0)
			continue;
		json_array_foreach(events, k, e2) {
			if (!strcmp(js(e2, "type"), "fault") && !strcmp(js(e2, "fault"), js(ev, "name")) &&
			    strcmp(js(e2, "state"), "active") != 0 && jd(e2, "t_ms") >= a)
				b = jd(e2, "t_ms");
		}
		if (b < 0)
			b = tmax;
		fprintf(f, "<rect class=\"fault\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" "
			   "fill=\"#f4a261\" fill-opacity=\"0.3\"><title>",
			X(a), SVG_T, X(b) - X(a) < 1 ? 1 : X(b) - X(a), ph);
		xml_esc(f, js(ev, "name"));
		fprintf(f, "</title></rect>\n<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
			   "fill=\"#b5651d\">",
			X(a) + 3, SVG_T + 12 + (int)(12 * (i % 3)));
		xml_esc(f, js(ev, "name"));
		fprintf(f, "</text>\n");
	}
	/* Axes. */
	fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n", SVG_L,
		SVG_T + ph, SVG_W - SVG_R, SVG_T + ph);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n", SVG_L, SVG_T,
		SVG_L, SVG_T + ph);
	for (int k = 0; k <= 5; k++) {
		double t = tmax * k / 5, l = lmax * k / 5;

		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.1fs"
			   "</text>\n",
			X(t), SVG_H - SVG_B + 16, t / 1000);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.0fms"
			   "</text>\n",
			SVG_L - 4, Y(l) + 4, l);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\">probe latency (ms) over time since "
		   "the run started</text>\n",
		SVG_L, SVG_T - 10);
	/* Probe samples: latency dots, failures as red crosses on the top edge. */
	json_array_foreach(events, i, ev) {
		size_t pi = 0, k;
		json_t *p;
		double t, l;

		if (strcmp(js(ev, "type"), "sample") != 0)
			continue;
		json_array_foreach(probes, k, p) {
			if (!strcmp(js(p, "name"), js(ev, "probe")))
				pi = k;
		}
		t = jd(ev, "t_ms");
		l = jd(ev, "latency_ms");
		if (json_is_true(json_object_get(ev, "ok")))
			fprintf(f, "<circle class=\"sample ok\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
				   "fill=\"%s\"/>\n",
				X(t), Y(l), colours[pi % ARRAY_SIZE(colours)]);
		else
			fprintf(f, "<path class=\"sample failed\" d=\"M%.1f %.1f l6 6 m0 -6 l-6 6\" "
				   "stroke=\"#d62828\" stroke-width=\"2\"/>\n",
				X(t) - 3, Y(l) - 3);
	}
	/* Abort and recovery. */
	json_array_foreach(events, i, ev) {
		const char *type = js(ev, "type");
		double t = jd(ev, "t_ms");

		if (!strcmp(type, "breach"))
			fprintf(f, "<line class=\"abort\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
				   "stroke=\"#d62828\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\" "
				   "font-size=\"11\" fill=\"#d62828\">abort</text>\n",
				X(t), SVG_T, X(t), SVG_T + ph, X(t) + 3, SVG_T + ph - 6);
		else if (!strcmp(type, "recovered"))
			fprintf(f, "<line class=\"recovered\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				   "y2=\"%.1f\" stroke=\"#2a9d8f\" stroke-width=\"2\" "
				   "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				   "fill=\"#2a9d8f\">recovered</text>\n",
				X(t), SVG_T, X(t), SVG_T + ph, X(t) + 3, SVG_T + ph - 20);
	}
#undef X
#undef Y
	fprintf(f, "</svg>\n");
}

static void render_html(FILE *f, const json_t *rec)
{
	const char *verdict = js(rec, "verdict");
	const json_t *x;
	double v;
	size_t i;

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
	xml_esc(f, js(rec, "title"));
	fprintf(f, " - faultline report</title>\n<style>\n"
		   "body{font-family:sans-serif;margin:2em;color:#222;max-width:1000px}\n"
		   "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
		   "padding:4px 8px;text-align:left}\n"
		   ".verdict{font-weight:bold;padding:2px 8px;border-radius:4px;color:#fff}\n"
		   ".passed{background:#2a9d8f}.deviated,.aborted,.failed{background:#d62828}"
		   ".cancelled,.not_run{background:#6c757d}\n"
		   "</style></head><body>\n<h1>");
	xml_esc(f, js(rec, "title"));
	fprintf(f, "</h1>\n<p>Run <code>%s</code>: <span class=\"verdict %s\">%s</span> ", js(rec, "id"),
		verdict, verdict);
	xml_esc(f, js(rec, "reason"));
	fprintf(f, "</p>\n<p>Started %s, lasted %.3fs", js(rec, "started_at"), run_seconds(rec));
	if (jnum(rec, "time_to_recover_ms", &v))
		fprintf(f, "; time to recover %.0f ms", v);
	if (jnum(rec, "breach_to_clean_ms", &v))
		fprintf(f, "; from the breaching sample to every fault reverted %.3f ms", v);
	fprintf(f, ".</p>\n<h2>Timeline</h2>\n");
	render_svg(f, rec);
	fprintf(f, "<p>Shaded: fault windows. Dots: successful probe samples (latency). Red crosses: "
		   "failed samples. Red line: abort. Dashed green line: recovery.</p>\n");
	fprintf(f, "<h2>Faults</h2>\n<table><tr><th>Fault</th><th>Kind</th><th>Applied</th>"
		   "<th>Reverted</th><th>State</th></tr>\n");
	json_array_foreach(json_object_get(rec, "faults"), i, x) {
		fprintf(f, "<tr><td>");
		xml_esc(f, js(x, "name"));
		fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>", js(x, "kind"),
			jstr(x, "applied_at") ? js(x, "applied_at") : "-",
			jstr(x, "reverted_at") ? js(x, "reverted_at") : "-");
		xml_esc(f, js(x, "state"));
		if (jstr(x, "error")) {
			fprintf(f, ": ");
			xml_esc(f, js(x, "error"));
		}
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n<h2>Steady state</h2>\n<table><tr><th>Phase</th><th>Samples</th>"
		   "<th>Failures</th><th>Ratio</th><th>Required</th><th>Held</th></tr>\n");
	json_array_foreach(json_object_get(rec, "phases"), i, x) {
		const json_t *met = json_object_get(x, "met");

		fprintf(f, "<tr><td>%s</td><td>%.0f</td><td>%.0f</td><td>%.3f</td><td>%.3f</td>"
			   "<td>%s</td></tr>\n",
			js(x, "name"), jd(x, "samples"), jd(x, "failures"), jd(x, "ratio"),
			jd(x, "required"), json_is_true(met) ? "yes" : json_is_false(met) ? "no" : "-");
	}
	fprintf(f, "</table>\n<h2>Safety rules</h2>\n<table><tr><th>Rule</th><th>Tripped</th></tr>\n");
	json_array_foreach(json_object_get(rec, "rules"), i, x) {
		fprintf(f, "<tr><td>");
		xml_esc(f, js(x, "desc"));
		fprintf(f, "</td><td>%s</td></tr>\n",
			json_is_true(json_object_get(x, "tripped")) ? "yes" : "no");
	}
	fprintf(f, "</table>\n</body></html>\n");
}

/* ---- entry points ------------------------------------------------------------------------- */

int report_parse_format(const char *s, enum report_format *out)
{
	static const char *const names[] = { "json", "junit", "md", "html" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum report_format)i;
			return 0;
		}
	}
	if (!strcmp(s, "markdown")) {
		*out = REPORT_MD;
		return 0;
	}
	return -EINVAL;
}

enum report_format report_format_for(const char *file)
{
	const char *dot = strrchr(file, '.');

	if (dot && !strcmp(dot, ".xml"))
		return REPORT_JUNIT;
	if (dot && !strcmp(dot, ".md"))
		return REPORT_MD;
	if (dot && !strcmp(dot, ".json"))
		return REPORT_JSON;
	return REPORT_HTML;
}

int report_render(FILE *f, const json_t *rec, enum report_format fmt)
{
	switch (fmt) {
	case REPORT_JSON:
		json_dumpf(rec, f, JSON_INDENT(2));
		fputc('\n', f);
		break;
	case REPORT_JUNIT:
		render_junit(f, rec);
		break;
	case REPORT_MD:
		render_md(f, rec);
		break;
	case REPORT_HTML:
		render_html(f, rec);
		break;
	}
	return ferror(f) ? -EIO : 0;
}

int report_to_file(const json_t *rec, enum report_format fmt, const char *file)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int r;

	if (!m) {
		fprintf(stderr, "faultctl: out of memory\n");
		return CTL_EXIT_AGENT;
	}
	r = report_render(m, rec, fmt);
	fclose(m);
	if (r == 0)
		r = write_file_durable(file, buf, len, 0644);
	free(buf);
	if (r < 0) {
		fprintf(stderr, "faultctl: cannot write the report '%s': %s\n", file, strerror(-r));
		return CTL_EXIT_AGENT;
	}
	return 0;
}

int ctl_fetch_record(const struct ctl *ctl, const char *id, json_t **rec)
{
	json_t *req = json_pack("{s:s,s:s}", "cmd", "record", "run", id), *reply = NULL;
	char path[PATH_MAX], *text = NULL;
	json_error_t jerr;
	int r;

	r = ctl_call(ctl, req, &reply);
	json_decref(req);
	if (r == 0) {
		if (!reply_ok(reply)) {
			r = reply_fail(reply);
			json_decref(reply);
			return r;
		}
		*rec = json_incref(json_object_get(reply, "record"));
		json_decref(reply);
		return *rec ? 0 : CTL_EXIT_AGENT;
	}
	if (r == CALL_BROKEN)
		return CTL_EXIT_AGENT;
	/* No agent: the record it saved when the run ended. */
	if (!*id || strspn(id, "0123456789abcdef") != strlen(id) || strlen(id) > 32) {
		fprintf(stderr, "faultctl: '%s' is not a run id\n", id);
		return CTL_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s/runs/%s.json", ctl->state_dir, id);
	r = read_file(path, 64 * 1024 * 1024, &text, NULL);
	if (r < 0) {
		fprintf(stderr, "faultctl: agent unreachable and no record '%s': %s\n", path,
			strerror(-r));
		return CTL_EXIT_AGENT;
	}
	*rec = json_loads(text, 0, &jerr);
	free(text);
	if (!*rec) {
		fprintf(stderr, "faultctl: record '%s' is corrupt: %s\n", path, jerr.text);
		return CTL_EXIT_AGENT;
	}
	return 0;
}

int cmd_report(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char progname[] = "faultctl report";
	enum report_format fmt = REPORT_MD;
	bool fmt_set = false;
	const char *out = NULL;
	json_t *rec = NULL;
	int r;

	argv[0] = progname;
	optind = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "f:o:h", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 'f':
			if (report_parse_format(optarg, &fmt) < 0) {
				fprintf(stderr, "faultctl report: unknown format '%s' (json, junit, md, "
						"html)\n", optarg);
				return CTL_EXIT_USAGE;
			}
			fmt_set = true;
			break;
		case 'j':
			fmt = REPORT_JSON;
			fmt_set = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			return cmd_usage("report", cmd_report_usage, false);
		default:
			return cmd_usage("report", cmd_report_usage, true);
		}
	}
	if (optind + 1 != argc)
		return cmd_usage("report", cmd_report_usage, true);
	if (!fmt_set && out)
		fmt = report_format_for(out);
	r = ctl_fetch_record(ctl, argv[optind], &rec);
	if (r)
		return r;
	if (out) {
		r = report_to_file(rec, fmt, out);
		if (!r)
			printf("%s\n", out);
	} else {
		r = report_render(stdout, rec, fmt) < 0 ? CTL_EXIT_AGENT : 0;
	}
	json_decref(rec);
	return r;
}

int cmd_watch(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plain", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char progname[] = "faultctl watch";
	struct follow_opts fo = { 0 };
	bool plain = false;

	argv[0] = progname;
	optind = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "h", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 'p':
			plain = true;
			break;
		case 'h':
			return cmd_usage("watch", cmd_watch_usage, false);
		default:
			return cmd_usage("watch", cmd_watch_usage, true);
		}
	}
	if (optind + 1 != argc)
		return cmd_usage("watch", cmd_watch_usage, true);
	fo.plain = plain;
	return ctl_follow(ctl, argv[optind], &fo);
}
