/* SPDX-License-Identifier: MIT */
/*
 * The network fault classifier (bpf/netfault.bpf.c) from user space: load one copy per
 * fault through its skeleton (open, set .rodata, size and fill the maps, load), attach it
 * with a tcx link where the kernel has tcx, read its counters.  Attaching through clsact
 * and cls_bpf is nl.c's business; this file only hands out the program fds.
 */
#ifndef FL_NET_BPF_H
#define FL_NET_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bpf/netfault.h"
#include "net/netspec.h"

struct netbpf;

/*
 * Load a classifier configured by cfg, with the address sets addr[NF_SET_*] and port sets
 * ports[NF_SET_*] (entries may be NULL).  On failure err gets the reason (libbpf's last
 * message when it gave one).  0 or -errno.
 */
int netbpf_load(const struct nf_config *cfg, const struct net_cidrs *const addr[NF_SET_MAX],
		const struct net_ports *const ports[NF_SET_MAX], struct netbpf **out, char *err,
		size_t errlen);
/* Detaches what netbpf_attach_tcx() attached, unloads.  NULL is fine. */
void netbpf_free(struct netbpf *b);

int netbpf_prog_fd(const struct netbpf *b, enum nf_dir dir);
/* The program's kernel id (for listings), or 0. */
uint32_t netbpf_prog_id(const struct netbpf *b, enum nf_dir dir);
/* netem engine: the IFB device whose returning packets are passed without counting. */
void netbpf_set_ifb(struct netbpf *b, uint32_t ifindex);

/*
 * Attach the dir program to ifindex (in namespace nsfd, -1 = current) through a tcx link
 * owned by this process, in front of any other tcx program: when the agent dies the link
 * goes and the fault with it.  -EOPNOTSUPP when the kernel has no tcx (before Linux 6.6).
 */
int netbpf_attach_tcx(struct netbpf *b, int nsfd, int ifindex, enum nf_dir dir);
/* Does this kernel have tcx?  Tried with a link on the loopback device of a private,
 * temporary namespace.  1 yes, 0 no, -errno when it could not be tried. */
int netbpf_probe_tcx(struct netbpf *b);
bool netbpf_tcx_attached(const struct netbpf *b, enum nf_dir dir);
/* Close the tcx link of dir (detaching the program); no-op when there is none. */
void netbpf_detach_tcx(struct netbpf *b, enum nf_dir dir);

/* Sum of the per-CPU counters of dir. */
int netbpf_counters(const struct netbpf *b, enum nf_dir dir, struct nf_counters *out);

#endif
