/* SPDX-License-Identifier: MIT */
/*
 * Types shared by the network fault classifier (netfault.bpf.c) and user space
 * (agent/net/bpf.c).  Kept free of any include so that both sides can use it: the BPF side
 * gets __u8.. from vmlinux.h, user space from <linux/types.h>.
 *
 * Addresses and ports are looked up in four sets each.  "remote" is the far end of the
 * flow and "local" this host's end: on egress remote is the destination, on ingress the
 * source.  One LPM trie per address family holds every set; the set id forms the first 32
 * bits of the key, so a lookup costs the same whatever the number of CIDRs.
 */
#ifndef FL_BPF_NETFAULT_H
#define FL_BPF_NETFAULT_H

enum nf_set {
	NF_SET_REMOTE,	/* "destinations" / "ports" */
	NF_SET_LOCAL,	/* "sources" / "source_ports" */
	NF_SET_XREMOTE, /* "exclude.destinations" / "exclude.ports" */
	NF_SET_XLOCAL,	/* "exclude.sources" / "exclude.source_ports" */
	NF_SET_MAX,
};

/* cfg.flags */
#define NF_F_ADDR4(set) (1u << (set))	    /* set has IPv4 CIDRs */
#define NF_F_ADDR6(set) (1u << (4 + (set))) /* set has IPv6 CIDRs */
#define NF_F_PORT(set) (1u << (8 + (set)))  /* set has ports */
#define NF_F_ALLOW_SSH (1u << 12)	    /* do not exclude TCP port 22 */
#define NF_F_CLASSIFY (1u << 13)	    /* netem engine: classify for the mirred action */
#define NF_F_BLACKHOLE (1u << 14)	    /* drop every matching packet */
/* A set with addresses of either family restricts both: an IPv4 packet is not in a set that
 * holds only IPv6 CIDRs. */
#define NF_F_ADDR(set) (NF_F_ADDR4(set) | NF_F_ADDR6(set))

/* cfg.proto: 0 any, else an IP protocol number (1 also matches ICMPv6). */
#define NF_PROTO_ANY 0

#define NF_SSH_PORT 22

struct nf_config {
	__u32 flags;
	__u32 loss;    /* drop probability as a u32 fraction; 0 = none */
	__u32 corrupt; /* probability of flipping one payload bit, u32 fraction */
	__u8 proto;
	__u8 l2_len; /* 14 on Ethernet-like devices, 0 where packets start with the IP header */
	__u8 pad[2];
};

struct nf_lpm4_key {
	__u32 prefixlen; /* 32 (the set) + CIDR length */
	__u32 set;
	__u8 addr[4];
};

struct nf_lpm6_key {
	__u32 prefixlen;
	__u32 set;
	__u8 addr[16];
};

/* Port set key: set << 16 | port (host order). */
#define NF_PORT_KEY(set, port) (((__u32)(set) << 16) | (__u32)(port))

enum nf_dir {
	NF_DIR_EGRESS,
	NF_DIR_INGRESS,
	NF_DIR_MAX,
};

/* Per-CPU counters, one struct per direction. */
struct nf_counters {
	__u64 seen;	 /* IP packets looked at */
	__u64 matched;	 /* matched the target (after exclusions) */
	__u64 excluded;	 /* would have matched but an exclusion (or SSH) spared them */
	__u64 dropped;	 /* dropped by the classifier: loss or blackhole */
	__u64 corrupted; /* one payload bit flipped */
	__u64 steered;	 /* handed to netem (netem engine) */
};

#endif
