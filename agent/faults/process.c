// SPDX-License-Identifier: MIT
/*
 * process.pause: SIGSTOP the targets, SIGCONT them on revert.
 * process.kill: send a signal to the targets, optionally again every interval while active.
 *
 * Targets are resolved by plan() with proc_find(), which never yields pid 1, the agent,
 * kernel threads or zombies, and skips whatever env->pid_protected() names.  Every signal
 * goes through proc_signal(), i.e. a pidfd plus a start-time check, so a pid recycled between
 * plan and apply (or revert) is never hit.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/random.h>

#include "crashpoint.h"
#include "fault.h"
#include "proc.h"
#include "util.h"
#include "validate.h"

/* Below this, re-listing /proc for every tick costs more than it is worth. */
#define KILL_INTERVAL_MIN (100 * NSEC_PER_MSEC)

enum select_mode {
	SELECT_ALL,
	SELECT_ONE,
	SELECT_COUNT,
	SELECT_PERCENT,
};

struct target {
	struct proc_info info; /* pid, starttime and comm when resolved */
	bool stopped;	       /* pause: apply stopped it, revert has not resumed it yet */
};

struct proc_fault {
	bool kill;
	struct proc_match match;
	enum select_mode select;
	uint64_t count;
	double percent;
	int sig;	   /* kill */
	uint64_t interval; /* kill; 0 = once */

	/* pause: the planned targets.  kill: the planned, later the last signalled, targets. */
	struct target *t;
	size_t nt;
	bool active;	    /* kill: between apply and revert, ticks signal */
	uint64_t signalled; /* kill: signals delivered, over all ticks */
};

static const char *const target_keys[] = { "name", "cmdline", "pid", "cgroup", "select", NULL };
static const char *const select_keys[] = { "count", "percent", NULL };
static const char *const pause_keys[] = { "target", NULL };
static const char *const kill_keys[] = { "target", "signal", "interval", NULL };

static void signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig == SIGRTMIN)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig > SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
}

/* "KILL", "SIGKILL", "sigterm", "9", "RTMIN+2", "RTMAX-1" -> number.  0 or -EINVAL. */
static int parse_signal_name(const char *s, int *out)
{
	int n, sig;

	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	if (parse_int(s, &sig) == 0)
		goto range;
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		bool max = strncasecmp(s, "RTMAX", 5) == 0;
		const char *rest = s + 5;

		n = 0;
		if (*rest) {
			if (*rest != (max ? '-' : '+') || parse_int(rest + 1, &n) < 0 || n < 0)
				return -EINVAL;
		}
		sig = max ? SIGRTMAX - n : SIGRTMIN + n;
		if (sig < SIGRTMIN || sig > SIGRTMAX)
			return -EINVAL;
		*out = sig;
		return 0;
	}
	for (sig = 1; sig < SIGRTMIN; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (abbrev && strcasecmp(abbrev, s) == 0) {
			*out = sig;
			return 0;
		}
	}
	/* Old names that kill(1) still accepts. */
	if (strcasecmp(s, "IOT") == 0)
		sig = SIGABRT;
	else if (strcasecmp(s, "IO") == 0)
		sig = SIGIO;
	else if (strcasecmp(s, "CLD") == 0)
		sig = SIGCHLD;
	else
		return -EINVAL;
	*out = sig;
	return 0;
range:
	if (sig < 1 || sig > 64)
		return -EINVAL;
	*out = sig;
	return 0;
}

/* Signals whose default action stops the process: process.pause's business, not ours. */
static bool signal_stops(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static int parse_signal(struct vctx *v, const json_t *spec, const char *path, int *out)
{
	char kpath[VPATH_MAX];
	const json_t *j = json_object_get(spec, "signal");
	int sig = SIGKILL;

	vpath_key(kpath, path, "signal");
	if (!j) {
		*out = SIGKILL;
		return 0;
	}
	if (json_is_integer(j)) {
		json_int_t n = json_integer_value(j);

		if (n < 1 || n > 64) {
			verr(v, kpath, "signal number %" JSON_INTEGER_FORMAT " is not in 1..64", n);
			return -1;
		}
		sig = (int)n;
	} else if (json_is_string(j)) {
		if (parse_signal_name(json_string_value(j), &sig) < 0) {
			verr(v, kpath, "unknown signal '%s'", json_string_value(j));
			return -1;
		}
	} else {
		verr(v, kpath, "must be a signal name such as \"TERM\" or a number 1..64");
		return -1;
	}
	if (signal_stops(sig)) {
		verr(v, kpath, "use process.pause to stop processes; it resumes them on revert");
		return -1;
	}
	*out = sig;
	return 1;
}

#define SELECT_FORMS "must be \"all\", \"one\", {\"count\": N} or {\"percent\": P}"

static int parse_select(struct proc_fault *pf, const json_t *t, const char *tpath,
			struct vctx *v)
{
	char spath[VPATH_MAX];
	const json_t *s = json_object_get(t, "select");
	bool has_count, has_percent;
	int r;

	vpath_key(spath, tpath, "select");
	pf->select = SELECT_ALL;
	if (!s)
		return 0;
	if (json_is_string(s)) {
		if (strcmp(json_string_value(s), "all") == 0) {
			pf->select = SELECT_ALL;
		} else if (strcmp(json_string_value(s), "one") == 0) {
			pf->select = SELECT_ONE;
		} else {
			verr(v, spath, SELECT_FORMS);
			return -1;
		}
		return 1;
	}
	if (!json_is_object(s)) {
		verr(v, spath, SELECT_FORMS);
		return -1;
	}
	r = v_object(v, s, spath, select_keys);
	has_count = json_object_get(s, "count");
	has_percent = json_object_get(s, "percent");
	if (has_count && has_percent) {
		verr(v, spath, "give either 'count' or 'percent', not both");
		return -1;
	}
	if (!has_count && !has_percent) {
		if (r >= 0)
			verr(v, spath, "needs 'count' or 'percent'");
		return -1;
	}
	if (has_count) {
		pf->select = SELECT_COUNT;
		if (v_uint(v, s, "count", spath, true, 1, PROC_PID_MAX, &pf->count) < 0)
			return -1;
	} else {
		pf->select = SELECT_PERCENT;
		if (v_number(v, s, "percent", spath, true, 1, 100, &pf->percent) < 0)
			return -1;
	}
	return r < 0 ? -1 : 1;
}

static int parse_target(struct proc_fault *pf, const json_t *spec, const char *path,
			struct vctx *v)
{
	char tpath[VPATH_MAX];
	const json_t *t;
	bool bad = false;
	int r;

	vpath_key(tpath, path, "target");
	t = json_object_get(spec, "target");
	if (!t) {
		verr(v, path, "missing required key 'target'");
		return -EINVAL;
	}
	if (v_object(v, t, tpath, target_keys) < 0) {
		if (!json_is_object(t))
			return -EINVAL;
		bad = true;
	}
	if (parse_select(pf, t, tpath, v) < 0)
		bad = true;
	r = proc_match_parse(&pf->match, t, tpath, v);
	if (r < 0 || bad)
		return -EINVAL;
	return 0;
}

static void proc_fault_free(struct fault *f)
{
	struct proc_fault *pf = f->priv;

	if (!pf)
		return;
	proc_match_fini(&pf->match);
	free(pf->t);
	free(pf);
	f->priv = NULL;
}

static int parse_common(struct fault *f, const json_t *spec, const char *path, struct vctx *v,
			bool is_kill)
{
	struct proc_fault *pf;
	int r;

	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	pf->kill = is_kill;
	pf->sig = SIGKILL;
	f->priv = pf;

	r = parse_target(pf, spec, path, v);
	if (is_kill) {
		if (parse_signal(v, spec, path, &pf->sig) < 0 && !r)
			r = -EINVAL;
		if (v_duration(v, spec, "interval", path, false, KILL_INTERVAL_MIN, UINT64_MAX,
			       &pf->interval) < 0 && !r)
			r = -EINVAL;
		f->tick_ns = pf->interval;
	}
	if (r < 0)
		proc_fault_free(f);
	return r;
}

static int pause_parse(struct fault *f, const json_t *spec, const char *path, struct vctx *v)
{
	return parse_common(f, spec, path, v, false);
}

static int kill_parse(struct fault *f, const json_t *spec, const char *path, struct vctx *v)
{
	return parse_common(f, spec, path, v, true);
}

static size_t rand_below(size_t n)
{
	uint64_t x = 0;

	if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
		x = (uint64_t)rand();
	return (size_t)(x % n);
}

static int info_cmp_pid(const void *a, const void *b)
{
	const struct proc_info *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* How many of n matching processes the select rule takes. */
static size_t select_count(const struct proc_fault *pf, size_t n)
{
	size_t k = n;

	switch (pf->select) {
	case SELECT_ALL:
		k = n;
		break;
	case SELECT_ONE:
		k = 1;
		break;
	case SELECT_COUNT:
		k = pf->count < n ? (size_t)pf->count : n;
		break;
	case SELECT_PERCENT:
		/* Round up, so 1% of 3 processes is still one; the epsilon absorbs 0.1+0.2. */
		k = (size_t)ceil((double)n * pf->percent / 100.0 - 1e-9);
		if (!k)
			k = 1;
		break;
	}
	return k < n ? k : n;
}

/* Resolve the targets now: every match, then a random subset as select asks. */
static int resolve(const struct proc_fault *pf, const struct fault_env *env,
		   struct proc_info **out, size_t *n)
{
	struct proc_info *v = NULL;
	size_t nv = 0, k;
	int r;

	r = proc_find(&pf->match, env ? env->pid_protected : NULL, env ? env->data : NULL, &v,
		      &nv);
	if (r < 0)
		return r;
	k = select_count(pf, nv);
	/* Partial Fisher-Yates: the first k are a uniform random choice. */
	for (size_t i = 0; k < nv && i < k; i++) {
		size_t j = i + rand_below(nv - i);
		struct proc_info tmp = v[i];

		v[i] = v[j];
		v[j] = tmp;
	}
	if (k)
		qsort(v, k, sizeof(*v), info_cmp_pid);
	*out = v;
	*n = k;
	return 0;
}

static int set_targets(struct proc_fault *pf, const struct proc_info *v, size_t n)
{
	struct target *t = NULL;

	if (n) {
		t = calloc(n, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			t[i].info = v[i];
	}
	free(pf->t);
	pf->t = t;
	pf->nt = n;
	return 0;
}

static int proc_plan(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct proc_fault *pf = f->priv;
	struct proc_info *v = NULL;
	char desc[512];
	size_t n = 0;
	int r;

	if (!pf)
		return -EINVAL;
	proc_match_describe(&pf->match, desc, sizeof(desc));
	if (pf->match.pid == getpid()) {
		snprintf(err, errlen, "target of '%s' is the agent itself (pid %d)", f->name,
			 (int)pf->match.pid);
		r = -EPERM;
		goto out;
	}
	if (pf->match.pid && env && env->pid_protected &&
	    env->pid_protected(pf->match.pid, env->data)) {
		snprintf(err, errlen, "target of '%s' is pid %d, which is protected", f->name,
			 (int)pf->match.pid);
		r = -EPERM;
		goto out;
	}
	r = resolve(pf, env, &v, &n);
	if (r == -ENOENT && pf->match.cgroup) {
		snprintf(err, errlen, "cgroup '%s' of '%s' does not exist", pf->match.cgroup,
			 f->name);
		goto out;
	}
	if (r < 0) {
		snprintf(err, errlen, "cannot list processes for '%s': %s", f->name, strerror(-r));
		goto out;
	}
	if (!n) {
		snprintf(err, errlen, "target of '%s' matches no process (%s)", f->name, desc);
		r = -ESRCH;
		goto out;
	}
	r = set_targets(pf, v, n);
	if (r < 0)
		snprintf(err, errlen, "cannot plan '%s': %s", f->name, strerror(-r));
out:
	free(v);
	return r;
}

static json_t *pause_claims(const struct fault *f)
{
	const struct proc_fault *pf = f->priv;
	json_t *a = json_array();
	char key[64];

	if (!a)
		return NULL;
	for (size_t i = 0; pf && i < pf->nt; i++) {
		snprintf(key, sizeof(key), "pid:%d:%" PRIu64, (int)pf->t[i].info.pid,
			 pf->t[i].info.starttime);
		if (json_array_append_new(a, json_string(key)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * process.kill creates nothing that a revert would undo, so it claims nothing: a kill may
 * well hit a process another fault pauses (SIGKILL ends a stopped process too).
 */
static json_t *kill_claims(const struct fault *f)
{
	return json_array();
}

static json_t *pause_undo(const struct fault *f)
{
	const struct proc_fault *pf = f->priv;
	json_t *targets = NULL, *rec = NULL;

	targets = json_array();
	if (!targets || !pf)
		goto out;
	for (size_t i = 0; i < pf->nt; i++) {
		const struct proc_info *p = &pf->t[i].info;
		json_t *o = json_pack("{s:i, s:I, s:s}", "pid", (int)p->pid, "starttime",
				      (json_int_t)p->starttime, "comm", p->comm);

		if (!o || json_array_append_new(targets, o) < 0)
			goto out;
	}
	rec = json_pack("{s:s, s:O}", "kind", "process.pause", "targets", targets);
out:
	json_decref(targets);
	return rec;
}

static json_t *kill_undo(const struct fault *f)
{
	return json_pack("{s:s}", "kind", "process.kill");
}

static bool protected_now(const struct fault_env *env, pid_t pid)
{
	return env && env->pid_protected && env->pid_protected(pid, env->data);
}

/* Resume what we stopped.  Safe to repeat: a resumed or vanished target is done. */
static int pause_resume(struct proc_fault *pf, char *err, size_t errlen)
{
	int r = 0;

	for (size_t i = 0; i < pf->nt; i++) {
		struct target *t = &pf->t[i];
		int rc;

		if (!t->stopped)
			continue;
		rc = proc_signal(t->info.pid, t->info.starttime, SIGCONT);
		if (rc == 0 || rc == -ESRCH) {
			t->stopped = false;
			crashpoint("revert-mid");
			continue;
		}
		if (!r) {
			snprintf(err, errlen, "cannot resume pid %d ('%s'): %s", (int)t->info.pid,
				 t->info.comm, strerror(-rc));
			r = rc;
		}
	}
	return r;
}

static int pause_apply(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct proc_fault *pf = f->priv;
	size_t nstopped = 0, nprestopped = 0;
	char rerr[256];
	int r = 0;

	if (!pf || !pf->nt) {
		snprintf(err, errlen, "'%s' has no planned targets", f->name);
		return -EINVAL;
	}
	for (size_t i = 0; i < pf->nt; i++) {
		struct target *t = &pf->t[i];
		struct proc_info now;

		if (t->stopped) { /* applied twice: already ours */
			nstopped++;
			continue;
		}
		r = proc_read_stat(t->info.pid, &now);
		if (r == -ESRCH || (!r && now.starttime != t->info.starttime)) {
			r = 0;
			continue; /* exited since plan */
		}
		if (r < 0) {
			snprintf(err, errlen, "cannot read state of pid %d ('%s'): %s",
				 (int)t->info.pid, t->info.comm, strerror(-r));
			goto out;
		}
		/* Stopped by somebody else: not ours to resume, so not ours to stop. */
		if (proc_state_stopped(now.state)) {
			nprestopped++;
			continue;
		}
		if (proc_is_untouchable(&now) || protected_now(env, now.pid))
			continue;
		r = proc_signal(t->info.pid, t->info.starttime, SIGSTOP);
		if (r == -ESRCH) {
			r = 0;
			continue;
		}
		if (r < 0) {
			snprintf(err, errlen, "cannot stop pid %d ('%s'): %s", (int)t->info.pid,
				 t->info.comm, strerror(-r));
			goto out;
		}
		t->stopped = true;
		nstopped++;
		crashpoint("apply-mid");
	}
	if (!nstopped) {
		/* Injecting nothing would make the experiment's verdict meaningless. */
		if (nprestopped)
			snprintf(err, errlen,
				 "no target of '%s' could be paused: %zu already stopped by "
				 "someone else, the rest exited",
				 f->name, nprestopped);
		else
			snprintf(err, errlen, "every target of '%s' exited before it was paused",
				 f->name);
		r = -ESRCH;
	}
out:
	/* All or nothing: resume what was stopped before reporting the failure. */
	if (r < 0)
		pause_resume(pf, rerr, sizeof(rerr));
	return r;
}

static int pause_revert(struct fault *f, char *err, size_t errlen)
{
	struct proc_fault *pf = f->priv;

	if (!pf)
		return 0;
	return pause_resume(pf, err, errlen);
}

/*
 * Recovery has only the journal record, which is written before apply and so lists the
 * planned targets, not the ones apply actually stopped.  A target that somebody else had
 * stopped before apply is therefore continued here too.  We accept that: after a crash,
 * leaving a service frozen is the worse failure, and SIGCONT to a running process is harmless.
 * The start time check still guarantees that no other process is touched.
 */
static int pause_recover(const json_t *undo, char *err, size_t errlen)
{
	const json_t *targets = json_object_get(undo, "targets");
	const json_t *t;
	size_t i;
	int r = 0;

	if (!json_is_array(targets)) {
		snprintf(err, errlen, "process.pause undo record has no 'targets' array");
		return -EINVAL;
	}
	json_array_foreach(targets, i, t) {
		const json_t *jp = json_object_get(t, "pid");
		const json_t *js = json_object_get(t, "starttime");
		json_int_t pid, st;
		int rc;

		if (!json_is_integer(jp) || !json_is_integer(js)) {
			if (!r) {
				snprintf(err, errlen, "process.pause undo record: target %zu lacks "
					 "'pid' or 'starttime'", i);
				r = -EINVAL;
			}
			continue;
		}
		pid = json_integer_value(jp);
		st = json_integer_value(js);
		/* Our own pid cannot be a process paused by an earlier agent: we are running. */
		if (pid <= 1 || pid > PROC_PID_MAX || st < 0 || pid == getpid())
			continue;
		rc = proc_signal((pid_t)pid, (uint64_t)st, SIGCONT);
		if (rc == 0 || rc == -ESRCH)
			continue;
		if (!r) {
			snprintf(err, errlen, "cannot resume pid %d: %s", (int)pid, strerror(-rc));
			r = rc;
		}
	}
	return r;
}

static json_t *target_status(const struct target *t, bool with_paused)
{
	struct proc_info now;
	const char *state = "gone";

	if (proc_read_stat(t->info.pid, &now) == 0 && now.starttime == t->info.starttime)
		state = proc_state_str(now.state);
	if (with_paused)
		return json_pack("{s:i, s:s, s:s, s:b}", "pid", (int)t->info.pid, "comm",
				 t->info.comm, "state", state, "paused", t->stopped);
	return json_pack("{s:i, s:s, s:s}", "pid", (int)t->info.pid, "comm", t->info.comm,
			 "state", state);
}

static json_t *targets_status(const struct proc_fault *pf, bool with_paused)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; pf && i < pf->nt; i++) {
		if (json_array_append_new(a, target_status(&pf->t[i], with_paused)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *pause_status(const struct fault *f)
{
	json_t *a = targets_status(f->priv, true);

	return a ? json_pack("{s:o}", "targets", a) : NULL;
}

/*
 * Signal every process in v; keep in v only those that got it.  *nsig counts them.
 * -ESRCH (gone, recycled) is skipped; any other failure is returned, after the rest are tried.
 */
static int signal_all(struct proc_fault *pf, const struct fault_env *env, struct proc_info *v,
		      size_t *n, char *err, size_t errlen)
{
	size_t kept = 0;
	char sname[32];
	int r = 0;

	for (size_t i = 0; i < *n; i++) {
		int rc;

		if (protected_now(env, v[i].pid))
			continue;
		rc = proc_signal(v[i].pid, v[i].starttime, pf->sig);
		if (rc == -ESRCH)
			continue;
		if (rc < 0) {
			if (!r) {
				signal_name(pf->sig, sname, sizeof(sname));
				snprintf(err, errlen, "cannot send %s to pid %d ('%s'): %s", sname,
					 (int)v[i].pid, v[i].comm, strerror(-rc));
				r = rc;
			}
			continue;
		}
		v[kept++] = v[i];
		pf->signalled++;
	}
	*n = kept;
	return r;
}

/* Re-resolve and signal; remember the processes signalled for status.  Count or -errno. */
static int kill_round(struct proc_fault *pf, const struct fault_env *env, char *err,
		      size_t errlen)
{
	struct proc_info *v = NULL;
	size_t n = 0;
	int r;

	r = resolve(pf, env, &v, &n);
	if (r < 0) {
		snprintf(err, errlen, "cannot list processes: %s", strerror(-r));
		goto out;
	}
	r = signal_all(pf, env, v, &n, err, errlen);
	if (n && set_targets(pf, v, n) < 0 && !r)
		r = -ENOMEM;
	if (!r)
		r = (int)n;
out:
	free(v);
	return r;
}

static int kill_apply(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct proc_fault *pf = f->priv;
	struct proc_info *v = NULL;
	size_t n;
	int r;

	if (!pf || !pf->nt) {
		snprintf(err, errlen, "'%s' has no planned targets", f->name);
		return -EINVAL;
	}
	pf->active = true;
	n = pf->nt;
	v = calloc(n, sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = pf->t[i].info;
	r = signal_all(pf, env, v, &n, err, errlen);
	if (r < 0)
		goto out;
	if (n) {
		r = set_targets(pf, v, n);
		goto out;
	}
	/*
	 * Every planned target is gone: start_after may have given a supervisor time to
	 * restart them.  The fault is about "the worker", so signal whoever matches now.
	 */
	r = kill_round(pf, env, err, errlen);
	if (r == 0) {
		snprintf(err, errlen, "every target of '%s' exited before it was signalled",
			 f->name);
		r = -ESRCH;
	}
	if (r > 0)
		r = 0;
out:
	if (r < 0)
		pf->active = false;
	free(v);
	return r;
}

static int kill_tick(struct fault *f, const struct fault_env *env)
{
	struct proc_fault *pf = f->priv;
	char err[256];
	int r;

	if (!pf || !pf->active)
		return 0;
	/* Nothing matching right now is fine: the worker may be between restarts. */
	r = kill_round(pf, env, err, sizeof(err));
	return r < 0 ? r : 0;
}

static int kill_revert(struct fault *f, char *err, size_t errlen)
{
	struct proc_fault *pf = f->priv;

	if (pf)
		pf->active = false;
	return 0;
}

static int kill_recover(const json_t *undo, char *err, size_t errlen)
{
	return 0;
}

static json_t *kill_status(const struct fault *f)
{
	const struct proc_fault *pf = f->priv;
	char sname[32];
	json_t *a;

	if (!pf)
		return NULL;
	a = targets_status(pf, false);
	if (!a)
		return NULL;
	signal_name(pf->sig, sname, sizeof(sname));
	return json_pack("{s:s, s:I, s:o}", "signal", sname, "signalled",
			 (json_int_t)pf->signalled, "targets", a);
}

const struct fault_ops fault_process_pause_ops = {
	.kind = "process.pause",
	.parse = pause_parse,
	.keys = pause_keys,
	.plan = proc_plan,
	.claims = pause_claims,
	.undo = pause_undo,
	.apply = pause_apply,
	.revert = pause_revert,
	.recover = pause_recover,
	.status = pause_status,
	.free = proc_fault_free,
};

const struct fault_ops fault_process_kill_ops = {
	.kind = "process.kill",
	.parse = kill_parse,
	.keys = kill_keys,
	.plan = proc_plan,
	.claims = kill_claims,
	.undo = kill_undo,
	.apply = kill_apply,
	.tick = kill_tick,
	.revert = kill_revert,
	.recover = kill_recover,
	.status = kill_status,
	.free = proc_fault_free,
};
