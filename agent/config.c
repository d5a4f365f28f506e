// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_limits.h"
#include "config.h"
#include "metrics.h"
#include "units.h"


#define CONFIG_MAX_LIST 256
#define COMM_MAX 15  /* TASK_COMM_LEN - 1: /proc/PID/comm is cut there */
#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */

#define OFF(field) offsetof(struct agent_config, field)

struct errs {
	FILE *f;
	char *buf;
	size_t len;
	unsigned n;
};

static void err_add(struct errs *e, const char *name, unsigned line, const char *fmt, ...)
	PRINTF(4, 5);
static void err_add(struct errs *e, const char *name, unsigned line, const char *fmt, ...)
{
	va_list ap;

	e->n++;
	if (!e->f)
		return;
	if (line)
		fprintf(e->f, "%s:%u: ", name, line);
	else
		fprintf(e->f, "%s: ", name);
	va_start(ap, fmt);
	vfprintf(e->f, fmt, ap);
	va_end(ap);
	fputc('\n', e->f);
}

/* ---- value parsers: 0, or -EINVAL with why filled -------------------------------------- */

struct key;
typedef int (*val_fn)(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		      size_t len);

struct key {
	const char *name;
	val_fn fn;
	size_t off; /* for the generic setters */
	double min, max;
};

static int set_str_at(char **dst, const char *val)
{
	char *s = strdup(val);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int cv_path(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		  size_t len)
{
	char **dst = (char **)((char *)cfg + k->off);

	if (val[0] != '/') {
		snprintf(why, len, "must be an absolute path");
		return -EINVAL;
	}
	if (strlen(val) >= (size_t)k->max) {
		snprintf(why, len, "longer than %.0f characters", k->max - 1);
		return -EINVAL;
	}
	return set_str_at(dst, val);
}

static int cv_group(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		   size_t len)
{
	/* What useradd(8) accepts, roughly: no separators, no leading '-'. */
	if (val[0] == '-' || strlen(val) > 32 ||
	    strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		    strlen(val)) {
		snprintf(why, len, "'%s' is not a valid group name", val);
		return -EINVAL;
	}
	return set_str_at(&cfg->group, val);
}

static int strict_double(const char *s, double *out)
{
	char *end;
	double d;

	if (!*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !isfinite(d))
		return -EINVAL;
	*out = d;
	return 0;
}

static int cv_percent(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		     size_t len)
{
	double *dst = (double *)((char *)cfg + k->off), d;

	if (strict_double(val, &d) < 0 || d < k->min || d > k->max) {
		snprintf(why, len, "'%s' is not a number from %g to %g (a percent, without '%%')",
			 val, k->min, k->max);
		return -EINVAL;
	}
	*dst = d;
	return 0;
}

static int cv_duration(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		      size_t len)
{
	uint64_t ns;

	if (parse_duration(val, &ns) < 0 || ns == 0) {
		snprintf(why, len, "'%s' is not a positive duration (like 30m or 2h)", val);
		return -EINVAL;
	}
	cfg->lim.max_duration = ns;
	return 0;
}

static int cv_bool(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		  size_t len)
{
	bool *dst = (bool *)((char *)cfg + k->off);

	if (!strcmp(val, "yes") || !strcmp(val, "true"))
		*dst = true;
	else if (!strcmp(val, "no") || !strcmp(val, "false"))
		*dst = false;
	else {
		snprintf(why, len, "'%s' is not yes or no", val);
		return -EINVAL;
	}
	return 0;
}

static void list_free(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/* "a, b c" -> {"a","b","c",NULL}; each item at most maxlen characters, no duplicates. */
static int cv_list(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		  size_t len)
{
	char ***dst = (char ***)((char *)cfg + k->off);
	char **list = calloc(CONFIG_MAX_LIST + 1, sizeof(*list));
	size_t n = 0;
	const char *p = val;

	if (!list)
		return -ENOMEM;
	while (*p) {
		size_t l;

		p += strspn(p, ", \t");
		if (!*p)
			break;
		l = strcspn(p, ", \t");
		if (n == CONFIG_MAX_LIST) {
			snprintf(why, len, "more than %d names", CONFIG_MAX_LIST);
			goto fail;
		}
		if (l > (size_t)k->max) {
			snprintf(why, len, "'%.*s' is longer than %.0f characters, the kernel's "
				 "limit for %s names", (int)l, p, k->max,
				 k->off == OFF(lim.protected_names) ? "process" : "interface");
			goto fail;
		}
		list[n] = strndup(p, l);
		if (!list[n])
			goto fail;
		if (memchr(list[n], '/', l)) {
			snprintf(why, len, "'%s' contains '/'", list[n]);
			n++;
			goto fail;
		}
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(list[i], list[n])) {
				snprintf(why, len, "'%s' is listed twice", list[n]);
				n++;
				goto fail;
			}
		}
		n++;
		p += l;
	}
	if (!n) {
		snprintf(why, len, "has no names");
		goto fail;
	}
	list_free(*dst);
	*dst = list;
	return 0;
fail:
	list_free(list);
	return -EINVAL;
}

static int cv_level(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		   size_t len)
{
	if (log_parse_level(val, &cfg->log_level) < 0) {
		snprintf(why, len, "'%s' is not one of error, warning, notice, info, debug", val);
		return -EINVAL;
	}
	cfg->log_level_set = true;
	return 0;
}

static int cv_format(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		    size_t len)
{
	if (log_parse_format(val, &cfg->log_format) < 0) {
		snprintf(why, len, "'%s' is not one of auto, human, json, journal", val);
		return -EINVAL;
	}
	return 0;
}

static int cv_metrics(const struct key *k, const char *val, struct agent_config *cfg, char *why,
		     size_t len)
{
	if (strcmp(val, "off") && metrics_parse_addr(val, NULL, NULL) < 0) {
		snprintf(why, len, "'%s' is not 'off' or a numeric ADDRESS:PORT (like "
			 "127.0.0.1:9464 or [::1]:9464)", val);
		return -EINVAL;
	}
	return set_str_at(&cfg->metrics, val);
}

static const struct key keys[] = {
	{ "socket", cv_path, OFF(socket), 0, 108 },
	{ "socket_group", cv_group, 0, 0, 0 },
	{ "state_dir", cv_path, OFF(state_dir), 0, 4000 },
	{ "log_level", cv_level, 0, 0, 0 },
	{ "log_format", cv_format, 0, 0, 0 },
	{ "metrics", cv_metrics, 0, 0, 0 },
	{ "max_duration", cv_duration, 0, 0, 0 },
	{ "max_loss_percent", cv_percent, OFF(lim.max_loss_percent), 0, 100 },
	{ "max_cpu_percent", cv_percent, OFF(lim.max_cpu_percent), 1, 100 },
	{ "max_memory_percent", cv_percent, OFF(lim.max_memory_percent), 1, 100 },
	{ "allowed_interfaces", cv_list, OFF(lim.allowed_interfaces), 0, IFNAME_MAX },
	{ "protected_processes", cv_list, OFF(lim.protected_names), 0, COMM_MAX },
	{ "ssh_exclusion", cv_bool, OFF(lim.ssh_exclude), 0, 0 },
};

void config_init(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_format = LOG_FMT_AUTO;
	agent_limits_default(&cfg->lim);
}

void config_free(struct agent_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->socket);
	free(cfg->group);
	free(cfg->state_dir);
	free(cfg->metrics);
	list_free(cfg->lim.allowed_interfaces);
	list_free(cfg->lim.protected_names);
	config_init(cfg);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int parse_line(const char *name, unsigned lineno, char *line, struct agent_config *cfg,
		      unsigned *seen, struct errs *e)
{
	char *eq, *key, *val, why[256] = "";
	const struct key *k = NULL;
	size_t ki;
	int r;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		err_add(e, name, lineno, "expected 'key = value', got '%.60s'", line);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	for (ki = 0; ki < ARRAY_SIZE(keys); ki++) {
		if (!strcmp(keys[ki].name, key)) {
			k = &keys[ki];
			break;
		}
	}
	if (!k) {
		err_add(e, name, lineno, "unknown key '%.60s'", key);
		return -EINVAL;
	}
	if (seen[ki]) {
		err_add(e, name, lineno, "duplicate key '%s' (first set on line %u)", key,
			seen[ki]);
		return -EINVAL;
	}
	seen[ki] = lineno;
	if (!*val) {
		err_add(e, name, lineno, "'%s' has no value", key);
		return -EINVAL;
	}
	if (strchr(val, '#')) {
		err_add(e, name, lineno, "'%s': comments go on a line of their own", key);
		return -EINVAL;
	}
	r = k->fn(k, val, cfg, why, sizeof(why));
	if (r == -ENOMEM) {
		err_add(e, name, lineno, "out of memory");
		return r;
	}
	if (r < 0) {
		err_add(e, name, lineno, "'%s': %s", key, why);
		return r;
	}
	return 0;
}

int config_parse(const char *name, const char *text, size_t len, struct agent_config *cfg,
		 char **errors)
{
	unsigned seen[ARRAY_SIZE(keys)] = { 0 };
	struct errs e = { 0 };
	char line[CONFIG_MAX_LINE + 2];
	unsigned lineno = 0;
	size_t off = 0;

	if (errors) {
		*errors = NULL;
		e.f = open_memstream(&e.buf, &e.len);
	}
	if (memchr(text, '\0', len)) {
		err_add(&e, name, 0, "contains a NUL byte: not a text file");
		goto out;
	}
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;

		lineno++;
		if (ll > CONFIG_MAX_LINE) {
			err_add(&e, name, lineno, "line longer than %d bytes", CONFIG_MAX_LINE);
		} else {
			memcpy(line, text + off, ll);
			line[ll] = '\0';
			parse_line(name, lineno, line, cfg, seen, &e);
		}
		off += ll + 1;
	}
out:
	if (e.f) {
		fclose(e.f);
		if (e.n)
			*errors = e.buf;
		else
			free(e.buf);
	}
	return e.n ? -EINVAL : 0;
}

int config_load(const char *path, bool required, struct agent_config *cfg, char **errors)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (errors)
		*errors = NULL;
	r = read_file(path, CONFIG_MAX_BYTES, &text, &len);
	if (r == -ENOENT && !required)
		return 0;
	if (r < 0) {
		if (errors)
			*errors = fl_asprintf("%s: cannot read: %s\n", path,
					      r == -EFBIG ? "larger than 256 KiB" : strerror(-r));
		return r;
	}
	r = config_parse(path, text, len, cfg, errors);
	free(text);
	return r;
}
