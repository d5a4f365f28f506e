/* SPDX-License-Identifier: MIT */
/* Human units in experiments: durations, sizes, percents.  Strict: junk and overflow rejected. */
#ifndef FL_UNITS_H
#define FL_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "250ms", "10s", "5m", "1h", "1.5s", "100us", "0s" -> nanoseconds.  0 or -EINVAL/-ERANGE. */
int parse_duration(const char *s, uint64_t *ns);
/* "512MiB", "2GB", "4096", "1.5GiB" -> bytes. */
int parse_size(const char *s, uint64_t *bytes);
/* Shortest exact rendering: 1500000000 -> "1.5s", 250000000 -> "250ms". */
void fmt_duration(uint64_t ns, char *buf, size_t len);

#endif
