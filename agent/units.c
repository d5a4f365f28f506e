// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "units.h"
#include "util.h"

struct unit {
	const char *suffix;
	uint64_t mult;
};

/*
 * A decimal number with an optional fraction, then a unit from table.  The value is computed
 * in integers (whole * mult + fraction digits scaled) so "0.1s" is exactly 100ms and nothing
 * is lost to floating point; overflow is -ERANGE.
 */
static int parse_scaled(const char *s, const struct unit *table, size_t n, bool bare_ok,
			uint64_t *out)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, mult = 0, r;
	const char *p = s;
	size_t digits = 0;

	if (!s)
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (frac_div <= UINT64_MAX / 10 / 10) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
			p++;
			digits++;
		}
	}
	if (!digits)
		return -EINVAL;
	if (!*p) {
		if (!bare_ok)
			return -EINVAL;
		mult = 1;
	} else {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(p, table[i].suffix) == 0) {
				mult = table[i].mult;
				break;
			}
		}
		if (!mult)
			return -EINVAL;
	}
	if (whole && mult > UINT64_MAX / whole)
		return -ERANGE;
	r = whole * mult;
	if (frac) {
		/* frac/frac_div * mult, rounded down; exact for the units we have. */
		long double f = (long double)frac * (long double)mult / (long double)frac_div;

		if ((long double)(UINT64_MAX - r) < f)
			return -ERANGE;
		r += (uint64_t)f;
	}
	*out = r;
	return 0;
}

static const struct unit dur_units[] = {
	{ "ns", 1 },
	{ "us", NSEC_PER_USEC },
	{ "ms", NSEC_PER_MSEC },
	{ "s", NSEC_PER_SEC },
	{ "m", 60 * NSEC_PER_SEC },
	{ "h", 3600 * NSEC_PER_SEC },
};

int parse_duration(const char *s, uint64_t *ns)
{
	/* A bare number is ambiguous (seconds? milliseconds?): require the unit. */
	return parse_scaled(s, dur_units, ARRAY_SIZE(dur_units), false, ns);
}

static const struct unit size_units[] = {
	{ "B", 1 },
	{ "KB", 1000ULL },
	{ "MB", 1000ULL * 1000 },
	{ "GB", 1000ULL * 1000 * 1000 },
	{ "TB", 1000ULL * 1000 * 1000 * 1000 },
	{ "KiB", 1ULL << 10 },
	{ "MiB", 1ULL << 20 },
	{ "GiB", 1ULL << 30 },
	{ "TiB", 1ULL << 40 },
	{ "k", 1000ULL },
	{ "K", 1ULL << 10 },
	{ "M", 1ULL << 20 },
	{ "G", 1ULL << 30 },
};

int parse_size(const char *s, uint64_t *bytes)
{
	return parse_scaled(s, size_units, ARRAY_SIZE(size_units), true, bytes);
}

void fmt_duration(uint64_t ns, char *buf, size_t len)
{
	static const struct unit show[] = {
		{ "h", 3600 * NSEC_PER_SEC }, { "m", 60 * NSEC_PER_SEC }, { "s", NSEC_PER_SEC },
		{ "ms", NSEC_PER_MSEC },      { "us", NSEC_PER_USEC },	   { "ns", 1 },
	};

	if (ns == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(show); i++) {
		if (ns % show[i].mult == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ns / show[i].mult),
				 show[i].suffix);
			return;
		}
	}
}
