/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink for network faults: links, IFB devices, qdiscs, filters and network namespaces.
 * nl.c is the only file that sees libnl; everything here returns 0 (or a count) or -errno,
 * the errno the kernel gave.  The kernel's extended ack message of the last failure, when it
 * sent one ("Specified qdisc kind is unknown"), is kept by the handle: netl_last_msg().
 *
 * Namespaces: the agent is single-threaded.  A handle's socket is created inside the target
 * namespace and keeps working there; every other per-namespace operation enters the
 * namespace, does its work and returns to the original one before it returns.
 *
 * Safety: every create uses NLM_F_CREATE|NLM_F_EXCL, so nothing of somebody else's is ever
 * replaced; every delete first checks that what is there is still what we created (kind,
 * handle, and for filters the name we gave it).
 */
#ifndef FL_NET_NL_H
#define FL_NET_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NETL_KIND_MAX 16
#define NETL_NAME_MAX 96

/* clsact: its handle and the parents of its two hooks (TC_H_CLSACT, TC_H_MIN_*GRESS). */
#define NETL_CLSACT_HANDLE 0xffff0000u
#define NETL_CLSACT_PARENT 0xfffffff1u
#define NETL_HOOK_INGRESS 0xfffffff2u
#define NETL_HOOK_EGRESS 0xfffffff3u
#define NETL_TC_ROOT 0xffffffffu

/* ---- network namespaces ------------------------------------------------------------------- */

/* Open /run/netns/NAME, /proc/PID/ns/net or our own.  An O_CLOEXEC fd, or -errno. */
int netl_netns_open_name(const char *name);
int netl_netns_open_pid(pid_t pid);
int netl_netns_open_self(void);
/* The namespace's identity (its nsfs inode and device). */
int netl_netns_id(int fd, uint64_t *dev, uint64_t *ino);
/* Find a namespace by identity: path first, then /run/netns/ *, then /proc/ * /ns/net.
 * -ENOENT when no such namespace is reachable (it is gone). */
int netl_netns_find(uint64_t dev, uint64_t ino, const char *path, int *fd);
/* Switch this thread to fd's namespace; *saved gets the way back. */
int netl_netns_enter(int fd, int *saved);
/* Return to *saved (no-op when -1) and close it. */
int netl_netns_leave(int *saved);
/* Switch this thread to a new, empty namespace (it dies when left and unreferenced). */
int netl_netns_private(int *saved);

/* ---- rtnetlink handle --------------------------------------------------------------------- */

struct netl;

/* A socket in the namespace of nsfd (-1: the current one).  NULL with errno set. */
struct netl *netl_open(int nsfd);
void netl_close(struct netl *h);
/* The kernel's message about the last failed request, or "". */
const char *netl_last_msg(const struct netl *h);

struct netl_link {
	int ifindex;
	unsigned type;	/* ARPHRD_* */
	unsigned flags; /* IFF_* */
	char name[16];
	char kind[NETL_KIND_MAX]; /* IFLA_INFO_KIND ("veth", "ifb", ...), "" for none */
};

/* By name (ifindex 0) or by index.  -ENODEV when there is no such link. */
int netl_link_get(struct netl *h, const char *name, int ifindex, struct netl_link *out);
/* Create an IFB device, up, with NLM_F_EXCL.  *ifindex gets its index. */
int netl_ifb_add(struct netl *h, const char *name, int *ifindex);
/* Delete the link called name if it is an IFB device; 0 when it does not exist. */
int netl_ifb_del(struct netl *h, const char *name);

/* One qdisc or filter as dumped. */
struct netl_tc {
	int ifindex;
	uint32_t handle, parent;
	uint32_t prio;	   /* filters */
	uint16_t protocol; /* filters, host order */
	char kind[NETL_KIND_MAX];
	char name[NETL_NAME_MAX]; /* cls_bpf: TCA_BPF_NAME */
	uint64_t packets, bytes;
	uint32_t drops, qlen;
};

/* Qdiscs of ifindex (all links when 0), in the kernel's order.  *out is malloc'd. */
int netl_qdisc_list(struct netl *h, int ifindex, struct netl_tc **out, size_t *n);
/* Filters attached at parent (a hook such as NETL_HOOK_EGRESS, or a qdisc/class handle). */
int netl_filter_list(struct netl *h, int ifindex, uint32_t parent, struct netl_tc **out, size_t *n);

/* clsact on ifindex with NLM_F_EXCL: -EEXIST when it (or another ingress qdisc) is there. */
int netl_clsact_add(struct netl *h, int ifindex);
/* Delete clsact from ifindex if it is there, is a clsact, and has no filter left on either
 * hook.  0 when deleted or absent, -ENOTEMPTY when filters remain (it is left alone). */
int netl_clsact_del_if_empty(struct netl *h, int ifindex);

/*
 * A cls_bpf filter at (parent, prio, handle), protocol all, named name.  With mirred_ifindex
 * 0 the program runs in direct-action mode; otherwise the filter is a plain classifier
 * whose action is "mirred egress redirect" to that device (for the IFB of a netem fault).
 */
int netl_bpf_filter_add(struct netl *h, int ifindex, uint32_t parent, uint32_t prio,
		      uint32_t handle, int prog_fd, const char *name, int mirred_ifindex);
/* Delete the filter at (parent, prio, handle) if it is a cls_bpf filter named name.
 * 0 when deleted or absent; -EEXIST (left alone) when something else is there. */
int netl_bpf_filter_del(struct netl *h, int ifindex, uint32_t parent, uint32_t prio,
		      uint32_t handle, const char *name);

struct netl_netem {
	uint64_t latency, jitter; /* ns */
	uint32_t limit;		  /* packets; 0 = 1000 */
	uint32_t loss, loss_corr; /* u32 fractions, as the kernel takes them */
	uint32_t delay_corr;
	uint32_t duplicate;
	uint32_t reorder, gap;
	uint32_t corrupt;
	uint64_t rate; /* bytes per second; 0 = none */
	const int16_t *dist;
	size_t dist_len;
};

/* netem as the root qdisc of ifindex (handle handle), NLM_F_EXCL over the default root. */
int netl_netem_add(struct netl *h, int ifindex, uint32_t handle, const struct netl_netem *ne);

/* What the kernel lacks for the netem engine, found by netl_probe_netem(). */
enum netl_feature {
	NETL_FEAT_NONE,
	NETL_FEAT_NETNS, /* could not make a private namespace to try in */
	NETL_FEAT_IFB,
	NETL_FEAT_NETEM,
	NETL_FEAT_CLSACT,
	NETL_FEAT_CLS_BPF_MIRRED,
};

/*
 * Try the netem engine's whole tree in a private, temporary network namespace: an IFB
 * device, netem as its root, clsact, and a cls_bpf filter (prog_fd, when >= 0) with a
 * mirred action.  No real interface is touched.  0 when all works; otherwise -errno with
 * *missing naming the first thing that failed and msg (may be NULL) the kernel's words.
 */
int netl_probe_netem(int prog_fd, enum netl_feature *missing, char *msg, size_t msglen);

#endif
