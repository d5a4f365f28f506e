// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;

static const char *const names[] = {
	[LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning", [LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
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

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048], ts[40];
	va_list ap;
	int n;

	if (lvl > cur_level)
		return;
	fmt_time_iso(now_real(), ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s faultlined %s: ", ts, names[lvl]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* One write per line so concurrent writers don't interleave mid-line. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
