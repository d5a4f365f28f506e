// SPDX-License-Identifier: MIT
/*
 * Loading and attaching the network fault classifier.  Order as libbpf wants it: open, set
 * the const volatile .rodata, size the maps, load, fill the maps, attach; destroy in the
 * one cleanup path.  libbpf's own messages go to the debug log; its last warning (the
 * verifier's complaint, say) is kept for the error message.
 *
 * libbpf 1.1 has no bpf_program__attach_tcx(), so tcx links are made with
 * bpf_link_create() and the attach types defined here when the uapi header predates them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "net/bpf.h"
#include "net/nl.h"
#include "netfault.skel.h"

/* Linux 6.6 uapi. */
#define FL_BPF_TCX_INGRESS 46
#define FL_BPF_TCX_EGRESS 47
#define FL_BPF_F_BEFORE (1U << 3)

struct netbpf {
	struct netfault_bpf *skel;
	int link[NF_DIR_MAX]; /* tcx link fds, -1 when none */
};

static char last_warning[256];

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[512];
	size_t len;

	/* LIBBPF_DEBUG is every CO-RE relocation of every load: too much even for debug. */
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (!len)
		return 0;
	if (level == LIBBPF_WARN)
		snprintf(last_warning, sizeof(last_warning), "%s", buf);
	log_debug("%s", buf);
	return 0;
}

static void setup_libbpf(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	libbpf_set_print(print_libbpf);
}

static size_t count_family(const struct net_cidrs *const addr[NF_SET_MAX], int family)
{
	size_t n = 0;

	for (int s = 0; s < NF_SET_MAX; s++)
		for (size_t i = 0; addr[s] && i < addr[s]->n; i++)
			n += addr[s]->v[i].family == family;
	return n;
}

static int fill_addrs(struct netbpf *b, const struct net_cidrs *const addr[NF_SET_MAX])
{
	int fd4 = bpf_map__fd(b->skel->maps.addr4), fd6 = bpf_map__fd(b->skel->maps.addr6);
	__u8 one = 1;

	for (int s = 0; s < NF_SET_MAX; s++) {
		for (size_t i = 0; addr[s] && i < addr[s]->n; i++) {
			const struct net_cidr *c = &addr[s]->v[i];
			int r;

			if (c->family == 4) {
				struct nf_lpm4_key k = { .prefixlen = 32 + c->len, .set = (__u32)s };

				memcpy(k.addr, c->addr, 4);
				r = bpf_map_update_elem(fd4, &k, &one, BPF_ANY);
			} else {
				struct nf_lpm6_key k = { .prefixlen = 32 + c->len, .set = (__u32)s };

				memcpy(k.addr, c->addr, 16);
				r = bpf_map_update_elem(fd6, &k, &one, BPF_ANY);
			}
			if (r < 0)
				return -errno;
		}
	}
	return 0;
}

static int fill_ports(struct netbpf *b, const struct net_ports *const ports[NF_SET_MAX])
{
	int fd = bpf_map__fd(b->skel->maps.ports);
	__u8 one = 1;

	for (int s = 0; s < NF_SET_MAX; s++) {
		for (size_t i = 0; ports[s] && i < ports[s]->n; i++) {
			__u32 k = NF_PORT_KEY(s, ports[s]->v[i]);

			if (bpf_map_update_elem(fd, &k, &one, BPF_ANY) < 0)
				return -errno;
		}
	}
	return 0;
}

static void set_err(char *err, size_t errlen, const char *what, int r)
{
	if (last_warning[0])
		snprintf(err, errlen, "%s: %s (%s)", what, strerror(-r), last_warning);
	else
		snprintf(err, errlen, "%s: %s", what, strerror(-r));
}

int netbpf_load(const struct nf_config *cfg, const struct net_cidrs *const addr[NF_SET_MAX],
		const struct net_ports *const ports[NF_SET_MAX], struct netbpf **out, char *err,
		size_t errlen)
{
	struct netbpf *b = NULL;
	size_t n4, n6, np = 0;
	int r;

	setup_libbpf();
	last_warning[0] = '\0';
	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (int d = 0; d < NF_DIR_MAX; d++)
		b->link[d] = -1;
	b->skel = netfault_bpf__open();
	if (!b->skel) {
		r = -errno;
		set_err(err, errlen, "cannot open the network classifier", r);
		goto fail;
	}
	b->skel->rodata->cfg = *cfg;
	n4 = count_family(addr, 4);
	n6 = count_family(addr, 6);
	for (int s = 0; s < NF_SET_MAX; s++)
		np += ports[s] ? ports[s]->n : 0;
	/* Exactly as large as needed: a map's size does not change the cost of a lookup. */
	if (bpf_map__set_max_entries(b->skel->maps.addr4, n4 ? (__u32)n4 : 1) < 0 ||
	    bpf_map__set_max_entries(b->skel->maps.addr6, n6 ? (__u32)n6 : 1) < 0 ||
	    bpf_map__set_max_entries(b->skel->maps.ports, np ? (__u32)np : 1) < 0) {
		r = -EINVAL;
		set_err(err, errlen, "cannot size the classifier's maps", r);
		goto fail;
	}
	r = netfault_bpf__load(b->skel);
	if (r < 0) {
		set_err(err, errlen, "cannot load the network classifier", r);
		goto fail;
	}
	r = fill_addrs(b, addr);
	if (!r)
		r = fill_ports(b, ports);
	if (r < 0) {
		set_err(err, errlen, "cannot fill the classifier's maps", r);
		goto fail;
	}
	*out = b;
	return 0;
fail:
	netbpf_free(b);
	return r;
}

void netbpf_free(struct netbpf *b)
{
	if (!b)
		return;
	for (int d = 0; d < NF_DIR_MAX; d++)
		netbpf_detach_tcx(b, (enum nf_dir)d);
	netfault_bpf__destroy(b->skel);
	free(b);
}

static const struct bpf_program *prog(const struct netbpf *b, enum nf_dir dir)
{
	return dir == NF_DIR_INGRESS ? b->skel->progs.fl_ingress : b->skel->progs.fl_egress;
}

int netbpf_prog_fd(const struct netbpf *b, enum nf_dir dir)
{
	return bpf_program__fd(prog(b, dir));
}

uint32_t netbpf_prog_id(const struct netbpf *b, enum nf_dir dir)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(netbpf_prog_fd(b, dir), &info, &len) < 0)
		return 0;
	return info.id;
}

void netbpf_set_ifb(struct netbpf *b, uint32_t ifindex)
{
	b->skel->bss->ifb_ifindex = ifindex;
}

int netbpf_attach_tcx(struct netbpf *b, int nsfd, int ifindex, enum nf_dir dir)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = FL_BPF_F_BEFORE);
	int type = dir == NF_DIR_INGRESS ? FL_BPF_TCX_INGRESS : FL_BPF_TCX_EGRESS;
	int saved = -1, fd, r;

	if (b->link[dir] >= 0)
		return 0;
	/* The kernel looks ifindex up in the caller's namespace. */
	if (nsfd >= 0) {
		r = netl_netns_enter(nsfd, &saved);
		if (r < 0)
			return r;
	}
	fd = bpf_link_create(netbpf_prog_fd(b, dir), ifindex, (enum bpf_attach_type)type, &opts);
	r = fd < 0 ? fd : 0;
	if (netl_netns_leave(&saved) < 0 && fd >= 0) {
		close(fd);
		return -EIO;
	}
	if (r < 0) {
		/* An attach type the kernel does not know: no tcx here. */
		if (r == -EINVAL)
			r = -EOPNOTSUPP;
		return r;
	}
	b->link[dir] = fd;
	return 0;
}

int netbpf_probe_tcx(struct netbpf *b)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = FL_BPF_F_BEFORE);
	int saved = -1, fd, r;

	r = netl_netns_private(&saved);
	if (r < 0)
		return r;
	/* A fresh namespace holds only "lo", ifindex 1. */
	fd = bpf_link_create(netbpf_prog_fd(b, NF_DIR_EGRESS), 1,
			     (enum bpf_attach_type)FL_BPF_TCX_EGRESS, &opts);
	if (fd >= 0)
		close(fd);
	r = netl_netns_leave(&saved);
	if (r < 0)
		return r;
	if (fd >= 0)
		return 1;
	return fd == -EINVAL ? 0 : fd;
}

bool netbpf_tcx_attached(const struct netbpf *b, enum nf_dir dir)
{
	return b && b->link[dir] >= 0;
}

void netbpf_detach_tcx(struct netbpf *b, enum nf_dir dir)
{
	if (!b || b->link[dir] < 0)
		return;
	close(b->link[dir]);
	b->link[dir] = -1;
}

int netbpf_counters(const struct netbpf *b, enum nf_dir dir, struct nf_counters *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct nf_counters *v;
	__u32 key = (__u32)dir;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.counters), &key, v) < 0) {
		r = -errno;
		goto out;
	}
	for (int c = 0; c < ncpu; c++) {
		out->seen += v[c].seen;
		out->matched += v[c].matched;
		out->excluded += v[c].excluded;
		out->dropped += v[c].dropped;
		out->corrupted += v[c].corrupted;
		out->steered += v[c].steered;
	}
out:
	free(v);
	return r;
}
