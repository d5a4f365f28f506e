// SPDX-License-Identifier: MIT
/*
 * Parsing and validation of the "network" fault.  netem's cross-field rules are those of
 * iproute2's q_netem.c: jitter needs a delay, a correlation needs its base value, a
 * distribution needs delay and jitter, reorder needs a delay, a reorder gap needs reorder.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/netspec.h"
#include "units.h"
#include "util.h"

#define NET_MAX_DELAY (3600ULL * NSEC_PER_SEC)
#define PID_MAX 4194304

const char *const net_spec_keys[] = { "target",	      "delay",	 "jitter",	"correlation",
				      "distribution", "loss",	 "loss_correlation",
				      "corrupt",      "duplicate", "reorder",	"reorder_gap",
				      "rate",	      "limit",	 "engine",	"blackhole",
				      NULL };
static const char *const target_keys[] = { "interface", "netns",	"direction",
					   "destinations", "sources",	"ports",
					   "source_ports", "protocol", "exclude",
					   "allow_ssh",	   NULL };
static const char *const exclude_keys[] = { "destinations", "sources", "ports", "source_ports",
					    NULL };
static const char *const netns_keys[] = { "pid", NULL };

/* ---- units ------------------------------------------------------------------------------ */

uint32_t net_percent_to_u32(double percent)
{
	if (!(percent > 0))
		return 0;
	if (percent >= 100)
		return UINT32_MAX;
	return (uint32_t)rint(percent / 100.0 * (double)UINT32_MAX);
}

static const struct {
	const char *name;
	double bits; /* bits per second per unit */
} rate_units[] = {
	{ "bit", 1. },
	{ "kibit", 1024. },
	{ "kbit", 1000. },
	{ "mibit", 1024. * 1024. },
	{ "mbit", 1e6 },
	{ "gibit", 1024. * 1024. * 1024. },
	{ "gbit", 1e9 },
	{ "tibit", 1024. * 1024. * 1024. * 1024. },
	{ "tbit", 1e12 },
	{ "bps", 8. },
	{ "kibps", 8. * 1024. },
	{ "kbps", 8e3 },
	{ "mibps", 8. * 1024. * 1024. },
	{ "mbps", 8e6 },
	{ "gibps", 8. * 1024. * 1024. * 1024. },
	{ "gbps", 8e9 },
	{ "tibps", 8. * 1024. * 1024. * 1024. * 1024. },
	{ "tbps", 8e12 },
};

int net_parse_rate(const char *s, uint64_t *bytes_per_sec)
{
	const char *p = s;
	char *end = NULL;
	double num, bytes;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	errno = 0;
	num = strtod(s, &end);
	if (end != p || errno == ERANGE)
		return -ERANGE;
	for (size_t i = 0; i < ARRAY_SIZE(rate_units); i++) {
		if (strcasecmp(p, rate_units[i].name) != 0)
			continue;
		bytes = rint(num * rate_units[i].bits / 8.0);
		if (!isfinite(bytes) || bytes >= 18446744073709551616.0)
			return -ERANGE;
		if (bytes < 1)
			return -ERANGE;
		*bytes_per_sec = (uint64_t)bytes;
		return 0;
	}
	return -EINVAL;
}

void net_rate_format(uint64_t bytes_per_sec, char *buf, size_t len)
{
	static const char *const names[] = { "bit", "kbit", "mbit", "gbit", "tbit" };
	double bits = (double)bytes_per_sec * 8.0;
	size_t u = 0;

	while (u + 1 < ARRAY_SIZE(names) && bits >= 1000.0 && fmod(bits, 1000.0) == 0) {
		bits /= 1000.0;
		u++;
	}
	while (u + 1 < ARRAY_SIZE(names) && bits >= 1000.0) {
		bits /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%.15g%s", bits, names[u]);
}

int net_parse_cidr(const char *s, struct net_cidr *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct net_cidr c = { 0 };
	unsigned max;
	uint64_t len;

	if (!alen || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, c.addr) == 1) {
		c.family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
		c.family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	len = max;
	if (slash && (parse_u64(slash + 1, &len) < 0 || len > max))
		return -EINVAL;
	c.len = (uint8_t)len;
	*out = c;
	for (unsigned bit = c.len; bit < max; bit++) {
		if (c.addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EDOM;
	}
	return 0;
}

void net_cidr_format(const struct net_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family == 6 ? AF_INET6 : AF_INET, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->len);
}

/* The network part of c, for the "did you mean" of a CIDR with host bits. */
static void cidr_mask(struct net_cidr *c)
{
	unsigned max = c->family == 6 ? 128 : 32;

	for (unsigned bit = c->len; bit < max; bit++)
		c->addr[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
}

const char *net_dist_name(enum net_dist d)
{
	switch (d) {
	case NET_DIST_NONE:
		return NULL;
	case NET_DIST_UNIFORM:
		return "uniform";
	case NET_DIST_NORMAL:
		return "normal";
	case NET_DIST_PARETO:
		return "pareto";
	case NET_DIST_PARETONORMAL:
		return "paretonormal";
	}
	return NULL;
}

/* ---- netem distribution tables ------------------------------------------------------------ */

/*
 * The tables netem expects: 4096 points of a scaled inverse CDF (NETEM_DIST_SCALE = 8192
 * per standard deviation).  The arithmetic is NIST Net's, as in iproute2's netem/ directory,
 * including the stepping of x, so that the numbers come out identical to the .dist files.
 */
#define DIST_TABLESIZE 16384
#define DIST_SCALE 8192
#define DIST_ENTRIES (DIST_TABLESIZE / 4)

static int clamp16(double v)
{
	if (v < SHRT_MIN)
		return SHRT_MIN;
	if (v > SHRT_MAX)
		return SHRT_MAX;
	return (int)v;
}

static double *normal_inverse(void)
{
	double *table = calloc(DIST_TABLESIZE + 1, sizeof(*table));

	if (!table)
		return NULL;
	for (double x = -10.0; x < 10.05; x += .00005) {
		long i = lrint(DIST_TABLESIZE * (.5 + .5 * erf(x / sqrt(2.0))));

		if (i >= 0 && i <= DIST_TABLESIZE)
			table[i] = x;
	}
	return table;
}

static int pareto_at(int i)
{
	double d = (double)i / 65536.0;

	d = 1.0 / pow(d, 1.0 / 3.0);
	d -= 1.5;
	d *= (4.0 / 3.0) * DIST_SCALE;
	if (d > 32767)
		d = 32767;
	return (int)rint(d);
}

int net_dist_table(enum net_dist d, int16_t **out, size_t *n)
{
	int16_t *t = NULL;
	double *normal = NULL;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (d == NET_DIST_NONE || d == NET_DIST_UNIFORM)
		return 0;
	t = calloc(DIST_ENTRIES, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (d == NET_DIST_NORMAL || d == NET_DIST_PARETONORMAL) {
		normal = normal_inverse();
		if (!normal) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (int k = 0; k < DIST_ENTRIES; k++) {
		int i = 4 * k, nv, pv;

		switch (d) {
		case NET_DIST_NORMAL:
			t[k] = (int16_t)clamp16(rint(normal[i] * DIST_SCALE));
			break;
		case NET_DIST_PARETO:
			t[k] = (int16_t)pareto_at(65536 - 16 * k);
			break;
		case NET_DIST_PARETONORMAL:
			nv = (int)rint(normal[i] * DIST_SCALE);
			pv = pareto_at(65536 - 4 * i);
			t[k] = (int16_t)clamp16((nv + 3 * pv) / 4);
			break;
		default:
			break;
		}
	}
	*out = t;
	*n = DIST_ENTRIES;
	t = NULL;
out:
	free(normal);
	free(t);
	return r;
}

/* ---- validation --------------------------------------------------------------------------- */

static void cidrs_free(struct net_cidrs *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static void ports_free(struct net_ports *p)
{
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

void net_spec_free(struct net_spec *s)
{
	if (!s)
		return;
	free(s->netns_name);
	cidrs_free(&s->dst);
	cidrs_free(&s->src);
	cidrs_free(&s->xdst);
	cidrs_free(&s->xsrc);
	ports_free(&s->dport);
	ports_free(&s->sport);
	ports_free(&s->xdport);
	ports_free(&s->xsport);
	memset(s, 0, sizeof(*s));
}

/* An array at obj.key, or NULL (absent, or an error recorded). */
static const json_t *v_array(struct vctx *v, const json_t *obj, const char *key, const char *path,
			     size_t max, bool *bad)
{
	const json_t *a = json_object_get(obj, key);
	char p[VPATH_MAX];

	if (!a)
		return NULL;
	vpath_key(p, path, key);
	if (!json_is_array(a)) {
		verr(v, p, "expected an array");
		*bad = true;
		return NULL;
	}
	if (json_array_size(a) > max) {
		verr(v, p, "at most %zu entries", max);
		*bad = true;
		return NULL;
	}
	return a;
}

static int parse_cidrs(struct vctx *v, const json_t *obj, const char *key, const char *path,
		       struct net_cidrs *out)
{
	char kp[VPATH_MAX], ip[VPATH_MAX], buf[64];
	const json_t *a, *e;
	bool bad = false;
	size_t i;

	a = v_array(v, obj, key, path, NET_MAX_CIDRS, &bad);
	if (!a)
		return bad ? -EINVAL : 0;
	vpath_key(kp, path, key);
	out->v = calloc(json_array_size(a) + 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	json_array_foreach(a, i, e) {
		struct net_cidr c;
		int r;

		vpath_idx(ip, kp, i);
		if (!json_is_string(e)) {
			verr(v, ip, "expected an address or CIDR string such as \"10.0.0.0/24\"");
			bad = true;
			continue;
		}
		r = net_parse_cidr(json_string_value(e), &c);
		if (r == -EDOM) {
			cidr_mask(&c);
			net_cidr_format(&c, buf, sizeof(buf));
			verr(v, ip, "'%s' has bits set beyond its prefix length; did you mean '%s'?",
			     json_string_value(e), buf);
			bad = true;
			continue;
		}
		if (r < 0) {
			verr(v, ip, "'%s' is not an IPv4 or IPv6 address or CIDR",
			     json_string_value(e));
			bad = true;
			continue;
		}
		out->v[out->n++] = c;
	}
	return bad ? -EINVAL : 0;
}

static int u16_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* One port (1..65535) or a range "LO-HI"; returns the range. */
static int parse_port_item(const json_t *e, unsigned *lo, unsigned *hi)
{
	char buf[16], *dash;
	uint64_t a, b;

	if (json_is_integer(e)) {
		json_int_t n = json_integer_value(e);

		if (n < 1 || n > 65535)
			return -ERANGE;
		*lo = *hi = (unsigned)n;
		return 0;
	}
	if (!json_is_string(e) || strlen(json_string_value(e)) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", json_string_value(e));
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (parse_u64(buf, &a) < 0 || parse_u64(dash + 1, &b) < 0)
		return -EINVAL;
	if (a < 1 || b > 65535 || a > b)
		return -ERANGE;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return 0;
}

static int parse_ports(struct vctx *v, const json_t *obj, const char *key, const char *path,
		       struct net_ports *out)
{
	char kp[VPATH_MAX], ip[VPATH_MAX];
	uint8_t seen[65536 / 8];
	const json_t *a, *e;
	bool bad = false;
	size_t i, n = 0;

	a = v_array(v, obj, key, path, 65535, &bad);
	if (!a)
		return bad ? -EINVAL : 0;
	vpath_key(kp, path, key);
	memset(seen, 0, sizeof(seen));
	json_array_foreach(a, i, e) {
		unsigned lo, hi;
		int r = parse_port_item(e, &lo, &hi);

		vpath_idx(ip, kp, i);
		if (r == -ERANGE) {
			verr(v, ip, "ports are 1..65535 (a range is \"LO-HI\" with LO <= HI)");
			bad = true;
			continue;
		}
		if (r < 0) {
			verr(v, ip, "expected a port number or a range such as \"8000-8099\"");
			bad = true;
			continue;
		}
		for (unsigned p = lo; p <= hi; p++) {
			if (!(seen[p / 8] & (1u << (p % 8)))) {
				seen[p / 8] |= (uint8_t)(1u << (p % 8));
				n++;
			}
		}
	}
	if (bad)
		return -EINVAL;
	out->v = calloc(n + 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (unsigned p = 1; p <= 65535; p++)
		if (seen[p / 8] & (1u << (p % 8)))
			out->v[out->n++] = (uint16_t)p;
	qsort(out->v, out->n, sizeof(*out->v), u16_cmp);
	return 0;
}

/* Linux's dev_valid_name(). */
static bool ifname_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= NET_IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}

static bool netns_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 255 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return true;
}

static int parse_netns(struct net_spec *s, const json_t *t, const char *tpath, struct vctx *v)
{
	const json_t *ns = json_object_get(t, "netns");
	char p[VPATH_MAX];
	uint64_t pid = 0;

	if (!ns)
		return 0;
	vpath_key(p, tpath, "netns");
	if (json_is_string(ns)) {
		if (!netns_name_valid(json_string_value(ns))) {
			verr(v, p, "'%s' is not a namespace name under %s ([A-Za-z0-9_.-])",
			     json_string_value(ns), NET_NETNS_DIR);
			return -EINVAL;
		}
		s->netns_name = strdup(json_string_value(ns));
		return s->netns_name ? 0 : -ENOMEM;
	}
	if (!json_is_object(ns)) {
		verr(v, p, "expected a namespace name or {\"pid\": N}");
		return -EINVAL;
	}
	if (v_object(v, ns, p, netns_keys) < 0)
		return -EINVAL;
	if (v_uint(v, ns, "pid", p, true, 1, PID_MAX, &pid) <= 0)
		return -EINVAL;
	s->netns_pid = (pid_t)pid;
	return 0;
}

static int parse_target(struct net_spec *s, const json_t *spec, const char *path, struct vctx *v)
{
	char tpath[VPATH_MAX], p[VPATH_MAX], xpath[VPATH_MAX];
	const char *str = NULL;
	const json_t *t, *x;
	int r, ret = 0;

#define KEEP(expr)                                  \
	do {                                        \
		int rr_ = (expr);                   \
		if (rr_ == -ENOMEM)                 \
			return rr_;                 \
		if (rr_ < 0)                        \
			ret = -EINVAL;              \
	} while (0)

	vpath_key(tpath, path, "target");
	t = json_object_get(spec, "target");
	if (!t) {
		verr(v, path, "missing required key 'target'");
		return -EINVAL;
	}
	if (v_object(v, t, tpath, target_keys) < 0) {
		if (!json_is_object(t))
			return -EINVAL;
		ret = -EINVAL;
	}
	r = v_string(v, t, "interface", tpath, true, &str);
	if (r > 0 && !ifname_valid(str)) {
		verr(v, vpath_key(p, tpath, "interface"),
		     "'%s' is not a valid interface name (1..15 characters, no '/', ':' or spaces)",
		     str);
		ret = -EINVAL;
	} else if (r > 0) {
		snprintf(s->ifname, sizeof(s->ifname), "%s", str);
	} else {
		ret = -EINVAL;
	}
	KEEP(parse_netns(s, t, tpath, v));

	s->dirs = NET_EGRESS;
	r = v_string(v, t, "direction", tpath, false, &str);
	if (r > 0) {
		if (!strcmp(str, "egress"))
			s->dirs = NET_EGRESS;
		else if (!strcmp(str, "ingress"))
			s->dirs = NET_INGRESS;
		else if (!strcmp(str, "both"))
			s->dirs = NET_BOTH;
		else {
			verr(v, vpath_key(p, tpath, "direction"),
			     "must be \"egress\", \"ingress\" or \"both\"");
			ret = -EINVAL;
		}
	} else if (r < 0) {
		ret = -EINVAL;
	}

	s->proto = 0;
	r = v_string(v, t, "protocol", tpath, false, &str);
	if (r > 0) {
		if (!strcmp(str, "tcp"))
			s->proto = 6;
		else if (!strcmp(str, "udp"))
			s->proto = 17;
		else if (!strcmp(str, "icmp"))
			s->proto = 1;
		else if (strcmp(str, "any") != 0) {
			verr(v, vpath_key(p, tpath, "protocol"),
			     "must be \"tcp\", \"udp\", \"icmp\" or \"any\"");
			ret = -EINVAL;
		}
	} else if (r < 0) {
		ret = -EINVAL;
	}

	KEEP(parse_cidrs(v, t, "destinations", tpath, &s->dst));
	KEEP(parse_cidrs(v, t, "sources", tpath, &s->src));
	KEEP(parse_ports(v, t, "ports", tpath, &s->dport));
	KEEP(parse_ports(v, t, "source_ports", tpath, &s->sport));
	if (v_bool(v, t, "allow_ssh", tpath, false, &s->allow_ssh) < 0)
		ret = -EINVAL;

	x = json_object_get(t, "exclude");
	if (x) {
		vpath_key(xpath, tpath, "exclude");
		if (v_object(v, x, xpath, exclude_keys) < 0) {
			ret = -EINVAL;
		}
		if (json_is_object(x)) {
			KEEP(parse_cidrs(v, x, "destinations", xpath, &s->xdst));
			KEEP(parse_cidrs(v, x, "sources", xpath, &s->xsrc));
			KEEP(parse_ports(v, x, "ports", xpath, &s->xdport));
			KEEP(parse_ports(v, x, "source_ports", xpath, &s->xsport));
		}
	}
	if (s->proto == 1) {
		const char *pk = s->dport.n ? "ports" : s->sport.n ? "source_ports" : NULL;

		if (pk) {
			verr(v, vpath_key(p, tpath, pk), "ICMP has no ports; use protocol \"tcp\", "
			     "\"udp\" or \"any\"");
			ret = -EINVAL;
		}
	}
#undef KEEP
	return ret;
}

/* Key k is in use (present and non-zero) but its base is not: netem's "needs its base
 * value" rules.  A zero is netem's "off" and needs nothing. */
static bool need(struct vctx *v, const char *path, const char *k, bool in_use, bool have_base,
		 const char *msg)
{
	char p[VPATH_MAX];

	if (!in_use || have_base)
		return true;
	verr(v, vpath_key(p, path, k), "%s", msg);
	return false;
}

/* Keys only netem can do, in the order they are reported. */
static const char *const netem_only[] = { "delay",	  "jitter",	 "correlation",
					  "distribution", "loss_correlation", "duplicate",
					  "reorder",	  "reorder_gap", "rate",
					  "limit",	  NULL };

bool net_spec_needs_netem(const struct net_spec *s, const char **what)
{
	const char *w = NULL;

	if (s->delay)
		w = "delay";
	else if (s->jitter)
		w = "jitter";
	else if (s->dist != NET_DIST_NONE)
		w = "distribution";
	else if (s->loss_corr > 0)
		w = "loss_correlation";
	else if (s->duplicate > 0)
		w = "duplicate";
	else if (s->reorder > 0)
		w = "reorder";
	else if (s->rate)
		w = "rate";
	else if (s->limit)
		w = "limit";
	if (what)
		*what = w;
	return w != NULL;
}

int net_spec_parse(struct net_spec *s, const json_t *spec, const char *path, struct vctx *v)
{
	char p[VPATH_MAX];
	const char *str = NULL;
	uint64_t u = 0;
	bool ok = true;
	int r;

	memset(s, 0, sizeof(*s));
	r = parse_target(s, spec, path, v);
	if (r == -ENOMEM)
		goto fail;
	ok = r == 0;

	ok &= v_duration(v, spec, "delay", path, false, 0, NET_MAX_DELAY, &s->delay) >= 0;
	ok &= v_duration(v, spec, "jitter", path, false, 0, NET_MAX_DELAY, &s->jitter) >= 0;
	ok &= v_percent(v, spec, "correlation", path, false, &s->correlation) >= 0;
	ok &= v_percent(v, spec, "loss", path, false, &s->loss) >= 0;
	ok &= v_percent(v, spec, "loss_correlation", path, false, &s->loss_corr) >= 0;
	ok &= v_percent(v, spec, "corrupt", path, false, &s->corrupt) >= 0;
	ok &= v_percent(v, spec, "duplicate", path, false, &s->duplicate) >= 0;
	ok &= v_percent(v, spec, "reorder", path, false, &s->reorder) >= 0;
	if (v_uint(v, spec, "reorder_gap", path, false, 0, UINT32_MAX, &u) > 0)
		s->reorder_gap = (uint32_t)u;
	else if (json_object_get(spec, "reorder_gap"))
		ok = false;
	if (v_uint(v, spec, "limit", path, false, 1, UINT32_MAX, &u) > 0)
		s->limit = (uint32_t)u;
	else if (json_object_get(spec, "limit"))
		ok = false;
	ok &= v_bool(v, spec, "blackhole", path, false, &s->blackhole) >= 0;

	r = v_string(v, spec, "rate", path, false, &str);
	if (r > 0) {
		r = net_parse_rate(str, &s->rate);
		if (r < 0) {
			verr(v, vpath_key(p, path, "rate"),
			     r == -ERANGE ? "rate '%s' is out of range (1 byte/s and up)"
					  : "invalid rate '%s' (use a number and bit, kbit, mbit, "
					    "gbit, bps, kbps, mbps, ...)",
			     str);
			ok = false;
		}
	} else if (r < 0) {
		ok = false;
	}

	r = v_string(v, spec, "distribution", path, false, &str);
	if (r > 0) {
		if (!strcmp(str, "uniform"))
			s->dist = NET_DIST_UNIFORM;
		else if (!strcmp(str, "normal"))
			s->dist = NET_DIST_NORMAL;
		else if (!strcmp(str, "pareto"))
			s->dist = NET_DIST_PARETO;
		else if (!strcmp(str, "paretonormal"))
			s->dist = NET_DIST_PARETONORMAL;
		else {
			verr(v, vpath_key(p, path, "distribution"),
			     "must be \"uniform\", \"normal\", \"pareto\" or \"paretonormal\"");
			ok = false;
		}
	} else if (r < 0) {
		ok = false;
	}

	s->engine = NET_ENGINE_AUTO;
	r = v_string(v, spec, "engine", path, false, &str);
	if (r > 0) {
		if (!strcmp(str, "netem"))
			s->engine = NET_ENGINE_NETEM;
		else if (!strcmp(str, "bpf"))
			s->engine = NET_ENGINE_BPF;
		else if (strcmp(str, "auto") != 0) {
			verr(v, vpath_key(p, path, "engine"),
			     "must be \"auto\", \"netem\" or \"bpf\"");
			ok = false;
		}
	} else if (r < 0) {
		ok = false;
	}
	if (!ok)
		goto invalid;

	/* netem's cross-field rules. */
	ok &= need(v, path, "jitter", s->jitter > 0, s->delay > 0, "requires 'delay'");
	ok &= need(v, path, "correlation", s->correlation > 0, s->jitter > 0,
		   "requires 'jitter' (it correlates the random part of the delay)");
	ok &= need(v, path, "distribution", s->dist != NET_DIST_NONE,
		   s->delay > 0 && s->jitter > 0, "requires 'delay' and 'jitter'");
	ok &= need(v, path, "loss_correlation", s->loss_corr > 0, s->loss > 0,
		   "requires 'loss'");
	ok &= need(v, path, "reorder", s->reorder > 0, s->delay > 0,
		   "requires 'delay' (netem reorders by sending some packets without it)");
	ok &= need(v, path, "reorder_gap", s->reorder_gap > 0, s->reorder > 0,
		   "requires 'reorder'");

	if (s->blackhole) {
		static const char *const others[] = { "delay", "jitter", "correlation",
						      "distribution", "loss", "loss_correlation",
						      "corrupt", "duplicate", "reorder",
						      "reorder_gap", "rate", "limit", NULL };

		for (size_t i = 0; others[i]; i++) {
			if (json_object_get(spec, others[i])) {
				verr(v, vpath_key(p, path, others[i]),
				     "'blackhole' drops every matching packet; it takes no '%s'",
				     others[i]);
				ok = false;
			}
		}
	} else if (!s->delay && !(s->loss > 0) && !(s->corrupt > 0) && !(s->duplicate > 0) &&
		   !s->rate) {
		verr(v, path, "no impairment: give at least one of 'delay', 'loss', 'corrupt', "
			      "'duplicate', 'rate' or 'blackhole'");
		ok = false;
	}
	if (s->engine == NET_ENGINE_BPF) {
		for (size_t i = 0; netem_only[i]; i++) {
			if (json_object_get(spec, netem_only[i])) {
				verr(v, vpath_key(p, path, netem_only[i]),
				     "engine \"bpf\" does loss, corrupt and blackhole only; '%s' "
				     "needs netem",
				     netem_only[i]);
				ok = false;
			}
		}
	}
	if (ok)
		return 0;
invalid:
	net_spec_free(s);
	return -EINVAL;
fail:
	net_spec_free(s);
	return -ENOMEM;
}
