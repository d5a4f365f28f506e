/* SPDX-License-Identifier: MIT */
#ifndef FL_LOG_H
#define FL_LOG_H

#include "util.h"

/* The values are syslog priorities: the journal format writes them as "<N>". */
enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/*
 * How lines on stderr look:
 *   human    "2026-11-23T04:17:37.123Z faultlined info: message" (a terminal, a file)
 *   json     one object per line: {"time","level","priority","message"} (log collectors)
 *   journal  "<6>message": journald reads the priority and adds the time itself
 *   auto     journal when stderr is connected to the journal ($JOURNAL_STREAM names it) or
 *            when started by systemd ($INVOCATION_ID) with stderr not a terminal; else human
 */
enum log_format { LOG_FMT_AUTO, LOG_FMT_HUMAN, LOG_FMT_JSON, LOG_FMT_JOURNAL };

void log_set_level(enum log_level lvl);
int log_parse_level(const char *s, enum log_level *out);
/* Sets the format; LOG_FMT_AUTO is resolved here, from the environment and stderr. */
void log_set_format(enum log_format fmt);
int log_parse_format(const char *s, enum log_format *out);
/* The format in effect (never LOG_FMT_AUTO). */
enum log_format log_get_format(void);
void log_msg(enum log_level lvl, const char *fmt, ...) PRINTF(2, 3);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
