// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>

#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;
static enum log_format cur_format = LOG_FMT_HUMAN;

static const char *const names[] = {
	[LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning", [LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
};

static const char *const format_names[] = {
	[LOG_FMT_AUTO] = "auto", [LOG_FMT_HUMAN] = "human", [LOG_FMT_JSON] = "json",
	[LOG_FMT_JOURNAL] = "journal",
};

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = LOG_LVL_ERR; i <= LOG_LVL_DEBUG; i++) {
		if (names[i] && strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warn") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -EINVAL;
}

int log_parse_format(const char *s, enum log_format *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*out = (enum log_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Is stderr the stream systemd connected to the journal?  $JOURNAL_STREAM is "DEV:INODE" of
 * that stream; it is inherited by children whose stderr may be something else, so compare.
 */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_set_format(enum log_format fmt)
{
	if (fmt == LOG_FMT_AUTO) {
		if (stderr_is_journal() || (getenv("INVOCATION_ID") && !isatty(STDERR_FILENO)))
			fmt = LOG_FMT_JOURNAL;
		else
			fmt = LOG_FMT_HUMAN;
	}
	cur_format = fmt;
}

enum log_format log_get_format(void)
{
	return cur_format;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048], msg[1900], ts[40];
	va_list ap;
	int n = 0;

	if (lvl > cur_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	switch (cur_format) {
	case LOG_FMT_JSON: {
		json_t *o;
		char *text;

		fmt_time_iso(now_real(), ts, sizeof(ts));
		o = json_pack("{s:s, s:s, s:i, s:s}", "time", ts, "level", names[lvl], "priority",
			      (int)lvl, "message", msg);
		/* JSON_ENSURE_ASCII: a message cut inside UTF-8 still gives valid JSON. */
		text = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		json_decref(o);
		if (text) {
			n = snprintf(line, sizeof(line) - 1, "%s", text);
			free(text);
		}
		if (n <= 0 || (size_t)n >= sizeof(line) - 1)
			n = snprintf(line, sizeof(line) - 1,
				     "{\"level\":\"%s\",\"priority\":%d,"
				     "\"message\":\"(unrenderable)\"}",
				     names[lvl], (int)lvl);
		break;
	}
	case LOG_FMT_JOURNAL:
		/* One record per line: a message must not carry a newline into the next record. */
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		n = snprintf(line, sizeof(line) - 1, "<%d>%s", (int)lvl, msg);
		break;
	default:
		fmt_time_iso(now_real(), ts, sizeof(ts));
		n = snprintf(line, sizeof(line) - 1, "%s faultlined %s: %s", ts, names[lvl], msg);
		break;
	}
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line so concurrent writers don't interleave mid-line. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
