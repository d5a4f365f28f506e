/* SPDX-License-Identifier: MIT */
/*
 * The "network" fault as written in an experiment: target, impairments, engine.  Parsing
 * and validation only (no side effects), with netem's own cross-field rules; and the unit
 * conversions (percent to the kernel's u32 fraction, "10mbit" to bytes per second, CIDRs,
 * netem's delay distribution tables).
 */
#ifndef FL_NET_NETSPEC_H
#define FL_NET_NETSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "validate.h"

#define NET_IFNAMSIZ 16
#define NET_MAX_CIDRS 65536 /* per list */
#define NET_NETNS_DIR "/run/netns"

enum net_dir {
	NET_EGRESS = 1,
	NET_INGRESS = 2,
	NET_BOTH = 3,
};

enum net_engine {
	NET_ENGINE_AUTO,
	NET_ENGINE_NETEM,
	NET_ENGINE_BPF,
};

enum net_dist {
	NET_DIST_NONE, /* netem's own: uniform jitter */
	NET_DIST_UNIFORM,
	NET_DIST_NORMAL,
	NET_DIST_PARETO,
	NET_DIST_PARETONORMAL,
};

struct net_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t len;
	uint8_t addr[16];
};

struct net_cidrs {
	struct net_cidr *v;
	size_t n;
};

/* Sorted, without duplicates. */
struct net_ports {
	uint16_t *v;
	size_t n;
};

struct net_spec {
	char ifname[NET_IFNAMSIZ];
	char *netns_name; /* a name under /run/netns, or NULL */
	pid_t netns_pid;  /* the network namespace of this process, or 0 */
	unsigned dirs;	  /* enum net_dir */
	uint8_t proto;	  /* 0 any, 6 tcp, 17 udp, 1 icmp (and icmpv6) */
	struct net_cidrs dst, src, xdst, xsrc;
	struct net_ports dport, sport, xdport, xsport;
	bool allow_ssh;

	bool blackhole;
	uint64_t delay, jitter; /* ns */
	double correlation;	/* percent, of the delay's random part */
	enum net_dist dist;
	double loss, loss_corr, corrupt, duplicate, reorder; /* percent */
	uint32_t reorder_gap;
	uint64_t rate; /* bytes per second, 0 = unlimited */
	uint32_t limit; /* netem queue limit in packets, 0 = netem's default (1000) */
	enum net_engine engine;
};

void net_spec_free(struct net_spec *s);

/*
 * Validate the fault object (common keys are the caller's) into s.  Every problem goes to
 * v.  Returns 0, or -EINVAL when anything was wrong (s is then freed), -ENOMEM.
 */
int net_spec_parse(struct net_spec *s, const json_t *spec, const char *path, struct vctx *v);
/* Keys of the fault object besides the common ones; NULL-terminated. */
extern const char *const net_spec_keys[];

/* Does the fault need netem (anything but loss, corrupt and blackhole)?  Names the first
 * key that does into what (may be NULL). */
bool net_spec_needs_netem(const struct net_spec *s, const char **what);

/* A percent 0..100 as the kernel's u32 fraction: rint(p / 100 * UINT32_MAX). */
uint32_t net_percent_to_u32(double percent);
/*
 * "10mbit", "1gbit", "100kbit", "1000bps" (bytes), "1.5MBps", "64Kibit": tc's units, case
 * insensitive; a unit is required.  Bytes per second, at least 1.  0, -EINVAL or -ERANGE.
 */
int net_parse_rate(const char *s, uint64_t *bytes_per_sec);
/* "10.0.0.0/24", "2001:db8::/64", or one address ("10.0.0.1" = /32).  -EINVAL on bad
 * syntax; -EDOM when bits beyond the prefix are set (*out is filled in anyway). */
int net_parse_cidr(const char *s, struct net_cidr *out);
void net_cidr_format(const struct net_cidr *c, char *buf, size_t len);
/* Rate as tc prints it: "10mbit", "1.5gbit", "1000bit" (input in bytes per second). */
void net_rate_format(uint64_t bytes_per_sec, char *buf, size_t len);
const char *net_dist_name(enum net_dist d);

/*
 * netem's delay distribution table for d (the same numbers as iproute2's normal.dist,
 * pareto.dist and paretonormal.dist, computed here so that nothing is read from disk).
 * *out is malloc'd, *n entries.  NULL table for NET_DIST_NONE/UNIFORM.  0 or -errno.
 */
int net_dist_table(enum net_dist d, int16_t **out, size_t *n);

#endif
