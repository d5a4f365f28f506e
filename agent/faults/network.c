// SPDX-License-Identifier: MIT
/*
 * network: impair the packets of one interface that match a target (addresses, ports,
 * protocol, minus exclusions and SSH), on egress, ingress or both.
 *
 * Targeting is always the eBPF classifier (bpf/netfault.bpf.c); what it does with a match
 * depends on the engine:
 *  - bpf: the classifier drops (loss, blackhole) or corrupts the packet itself.  Attached by
 *    a tcx link owned by the agent where the kernel has tcx, so the fault dies with the
 *    agent; elsewhere as a direct-action cls_bpf filter on clsact, which the journal undoes.
 *  - netem: the classifier is a cls_bpf filter on clsact whose action redirects matching
 *    packets to an IFB device of the fault's own; the IFB's root qdisc is netem, and the
 *    IFB hands the packets back to the interface (egress) or to its receive path (ingress).
 *
 * Either way the interface's own qdiscs are never replaced or deleted: the operator's root
 * qdisc, classes and filters stay as they are, and keep shaping all traffic, faulted or
 * not.  What the fault adds is one filter (or tcx link), perhaps clsact, perhaps IFB
 * devices; revert removes exactly those, each only after checking that it is still the
 * thing we created.  The tree before apply is kept, and compared after revert ("restored").
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_arp.h>

#include "agent_limits.h"
#include "fault.h"
#include "net/bpf.h"
#include "net/netspec.h"
#include "net/nl.h"
#include "units.h"
#include "util.h"

#define NETEM_HANDLE 0x10000u /* 1: on our own IFB devices */
#define FILTER_HANDLE 1u
#define STATUS_LIST_MAX 256
#define ENV_ATTACH "FAULTLINE_TC_ATTACH" /* "netlink" (default) or "tcx" */

enum attach { ATT_NONE, ATT_TCX, ATT_CLS };

struct hook {
	bool used;
	uint32_t parent;    /* NETL_HOOK_EGRESS or NETL_HOOK_INGRESS */
	uint32_t prio;	    /* the cls_bpf slot reserved at plan */
	char ifb[16];	    /* netem engine: our IFB device */
	bool prio_first;    /* no other filter on the hook runs before ours */
	enum attach plan;   /* how apply will attach */
	enum attach att;    /* how it is attached now */
	bool filter_added;
	bool ifb_created;
	int ifb_ifindex;
	struct nf_counters last; /* counters when the hook was taken down */
	bool have_last;
};

struct net_fault {
	struct net_spec spec;
	bool planned;
	enum net_engine engine; /* resolved: NETEM or BPF */
	char ns_path[64];	/* how the namespace was opened ("" = the agent's own) */
	uint64_t ns_dev, ns_ino;
	int nsfd;
	int ifindex;
	unsigned arptype;
	int l2_len;
	char tag[9];
	char filter_name[NETL_NAME_MAX];
	struct hook hook[NF_DIR_MAX];
	struct netbpf *bpf;
	bool clsact_created; /* by faultline (this fault or a sibling still holding it) */
	bool clsact_ref;     /* this fault holds a reference in the registry */
	json_t *before;	     /* the tree at apply */
	json_t *after;	     /* the tree after revert, when it differs */
	int restored;	     /* -1 unknown, 0 differs, 1 identical */
};

static const char *const dir_names[NF_DIR_MAX] = { "egress", "ingress" };

/*
 * clsact qdiscs that faultline created, shared by every fault on the same interface: the
 * last fault to let go deletes it (if nobody else put filters there meanwhile).
 */
struct clsact_ref {
	uint64_t ns_ino;
	int ifindex;
	int refs;
	struct clsact_ref *next;
};
static struct clsact_ref *clsact_refs;

static struct clsact_ref *clsact_find(uint64_t ino, int ifindex)
{
	for (struct clsact_ref *c = clsact_refs; c; c = c->next)
		if (c->ns_ino == ino && c->ifindex == ifindex)
			return c;
	return NULL;
}

static int clsact_get(uint64_t ino, int ifindex)
{
	struct clsact_ref *c = clsact_find(ino, ifindex);

	if (c) {
		c->refs++;
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ns_ino = ino;
	c->ifindex = ifindex;
	c->refs = 1;
	c->next = clsact_refs;
	clsact_refs = c;
	return 0;
}

/* Drop a reference; true when it was the last. */
static bool clsact_put(uint64_t ino, int ifindex)
{
	for (struct clsact_ref **pp = &clsact_refs; *pp; pp = &(*pp)->next) {
		struct clsact_ref *c = *pp;

		if (c->ns_ino != ino || c->ifindex != ifindex)
			continue;
		if (--c->refs > 0)
			return false;
		*pp = c->next;
		free(c);
		return true;
	}
	return true;
}

/*
 * Network faults planned by each run: two faults of one experiment on the same interface and
 * direction at overlapping times are refused (the runner only compares claims across runs).
 * Faults at disjoint times may share an interface: the first is reverted before the second
 * is applied.
 */
struct planned {
	const struct fault *f;
	char run[32];
	uint64_t ns_ino;
	int ifindex;
	unsigned dirs;
	struct planned *next;
};
static struct planned *planned_list;

static void planned_del(const struct fault *f)
{
	for (struct planned **pp = &planned_list; *pp; pp = &(*pp)->next) {
		if ((*pp)->f == f) {
			struct planned *p = *pp;

			*pp = p->next;
			free(p);
			return;
		}
	}
}

/* [start, end) of a fault's active window; a fault without duration lasts to the end. */
static bool windows_overlap(const struct fault *a, const struct fault *b)
{
	uint64_t ae = a->duration ? a->start_after + a->duration : UINT64_MAX;
	uint64_t be = b->duration ? b->start_after + b->duration : UINT64_MAX;

	return a->start_after < be && b->start_after < ae;
}

/* Record f; the sibling it collides with, or NULL. */
static const struct fault *planned_add(const struct fault *f, uint64_t ino, int ifindex,
				       unsigned dirs, int *err)
{
	struct planned *p;

	*err = 0;
	planned_del(f);
	if (!f->run_id)
		return NULL;
	for (p = planned_list; p; p = p->next) {
		if (strcmp(p->run, f->run_id) != 0 || p->ns_ino != ino || p->ifindex != ifindex ||
		    !(p->dirs & dirs) || !windows_overlap(p->f, f))
			continue;
		return p->f;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->f = f;
	snprintf(p->run, sizeof(p->run), "%s", f->run_id);
	p->ns_ino = ino;
	p->ifindex = ifindex;
	p->dirs = dirs;
	p->next = planned_list;
	planned_list = p;
	return NULL;
}

/* ---- parse -------------------------------------------------------------------------------- */

static void net_release(struct fault *f)
{
	struct net_fault *nf = f->priv;

	if (!nf)
		return;
	for (int d = 0; d < NF_DIR_MAX; d++) {
		const struct hook *hk = &nf->hook[d];

		if (hk->att != ATT_NONE || hk->filter_added || hk->ifb_created)
			return;
	}
	netbpf_free(nf->bpf);
	nf->bpf = NULL;
}

static void net_free(struct fault *f)
{
	struct net_fault *nf = f->priv;

	planned_del(f);
	if (!nf)
		return;
	netbpf_free(nf->bpf);
	if (nf->clsact_ref)
		clsact_put(nf->ns_ino, nf->ifindex);
	if (nf->nsfd >= 0)
		close(nf->nsfd);
	json_decref(nf->before);
	json_decref(nf->after);
	net_spec_free(&nf->spec);
	free(nf);
	f->priv = NULL;
}

/* The agent-wide limits of faultlined.conf: max_loss_percent, allowed_interfaces and
 * ssh_exclusion (the default of allow_ssh). */
static int check_limits(struct net_spec *s, const json_t *spec, const char *path,
			struct vctx *v)
{
	const struct experiment_limits *lim = agent_limits();
	const json_t *t = json_object_get(spec, "target");
	char p[VPATH_MAX], tp[VPATH_MAX];
	int r = 0;

	vpath_key(tp, path, "target");
	if (!limits_interface_allowed(lim, s->ifname)) {
		verr(v, vpath_key(p, tp, "interface"),
		     "'%s' is not among the agent's allowed_interfaces", s->ifname);
		r = -EINVAL;
	}
	if (s->blackhole && lim->max_loss_percent < 100) {
		verr(v, vpath_key(p, path, "blackhole"),
		     "a blackhole drops 100%% of the matching packets; the agent's "
		     "max_loss_percent is %g",
		     lim->max_loss_percent);
		r = -EINVAL;
	} else if (s->loss > lim->max_loss_percent) {
		verr(v, vpath_key(p, path, "loss"), "%g%% is above the agent's max_loss_percent (%g)",
		     s->loss, lim->max_loss_percent);
		r = -EINVAL;
	}
	if (!json_object_get(t, "allow_ssh"))
		s->allow_ssh = !lim->ssh_exclude;
	return r;
}

static int net_parse(struct fault *f, const json_t *spec, const char *path, struct vctx *v)
{
	struct net_fault *nf = calloc(1, sizeof(*nf));
	int r;

	if (!nf)
		return -ENOMEM;
	nf->nsfd = -1;
	nf->restored = -1;
	f->priv = nf;
	r = net_spec_parse(&nf->spec, spec, path, v);
	if (r == 0)
		r = check_limits(&nf->spec, spec, path, v);
	if (r < 0)
		net_free(f);
	return r;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static bool dir_used(const struct net_fault *nf, int d)
{
	return nf->spec.dirs & (d == NF_DIR_EGRESS ? NET_EGRESS : NET_INGRESS);
}

static const char *netns_desc(const struct net_fault *nf, char *buf, size_t len)
{
	if (nf->spec.netns_name)
		snprintf(buf, len, "network namespace '%s'", nf->spec.netns_name);
	else if (nf->spec.netns_pid)
		snprintf(buf, len, "the network namespace of pid %d", (int)nf->spec.netns_pid);
	else
		snprintf(buf, len, "the agent's network namespace");
	return buf;
}

/*
 * The namespace planned for, open again: found by its identity (the path it was opened by
 * first, then wherever it is still reachable), so a /run/netns name deleted and made again
 * since preflight is not mistaken for it.  The fd is held only while the fault is applied: a
 * planned fault that never runs must not pin a container's namespace.
 */
static int ns_reopen(struct net_fault *nf, char *err, size_t errlen)
{
	int fd = -1, r;

	if (nf->nsfd >= 0)
		return 0;
	r = netl_netns_find(nf->ns_dev, nf->ns_ino, nf->ns_path, &fd);
	if (r < 0) {
		snprintf(err, errlen, "the network namespace planned for (%s) is gone: %s",
			 nf->ns_path[0] ? nf->ns_path : "the agent's", strerror(-r));
		return r;
	}
	nf->nsfd = fd;
	return 0;
}

static void ns_close(struct net_fault *nf)
{
	if (nf->nsfd >= 0)
		close(nf->nsfd);
	nf->nsfd = -1;
}

static struct netl *nl_for(const struct net_fault *nf, int *err)
{
	struct netl *h = netl_open(nf->nsfd);

	if (!h)
		*err = -errno;
	return h;
}

/* The qdiscs of the interface and the filters on its clsact hooks, as comparable JSON. */
static int snapshot(struct netl *h, int ifindex, json_t **out, bool *has_clsact,
		    struct netl_tc **hooks, size_t *nhooks)
{
	struct netl_tc *q = NULL, *fl = NULL;
	json_t *snap = NULL, *qa, *fa;
	size_t nq = 0, nfl = 0;
	bool clsact = false;
	int r;

	*out = NULL;
	r = netl_qdisc_list(h, ifindex, &q, &nq);
	if (r < 0)
		return r;
	snap = json_pack("{s:[], s:{s:[], s:[]}}", "qdiscs", "filters", "egress", "ingress");
	if (!snap) {
		r = -ENOMEM;
		goto out;
	}
	qa = json_object_get(snap, "qdiscs");
	for (size_t i = 0; i < nq; i++) {
		char buf[96];

		if (!strcmp(q[i].kind, "clsact") && q[i].parent == NETL_CLSACT_PARENT)
			clsact = true;
		snprintf(buf, sizeof(buf), "%s %x: parent %x", q[i].kind, q[i].handle >> 16,
			 q[i].parent);
		json_array_append_new(qa, json_string(buf));
	}
	for (int d = 0; clsact && d < NF_DIR_MAX; d++) {
		uint32_t parent = d == NF_DIR_EGRESS ? NETL_HOOK_EGRESS : NETL_HOOK_INGRESS;

		r = netl_filter_list(h, ifindex, parent, &fl, &nfl);
		if (r < 0)
			goto out;
		fa = json_object_get(json_object_get(snap, "filters"), dir_names[d]);
		for (size_t i = 0; i < nfl; i++) {
			char buf[200];

			if (!fl[i].handle && !fl[i].name[0])
				continue; /* the per-priority head the kernel dumps */
			snprintf(buf, sizeof(buf), "%s prio %u proto 0x%04x handle 0x%x%s%s",
				 fl[i].kind, fl[i].prio, fl[i].protocol, fl[i].handle,
				 fl[i].name[0] ? " name " : "", fl[i].name);
			json_array_append_new(fa, json_string(buf));
		}
		if (hooks) {
			hooks[d] = fl;
			nhooks[d] = nfl;
			fl = NULL;
		} else {
			free(fl);
			fl = NULL;
		}
	}
	*has_clsact = clsact;
	*out = snap;
	snap = NULL;
out:
	json_decref(snap);
	free(q);
	free(fl);
	return r;
}

/* Our filter's priority on a hook: 1 (first) when free and below all others, else the
 * lowest free one. */
static uint32_t pick_prio(const struct netl_tc *v, size_t n, bool *first)
{
	uint32_t min = UINT32_MAX;

	for (size_t i = 0; i < n; i++)
		if (v[i].prio < min)
			min = v[i].prio;
	*first = true;
	if (min > 1)
		return 1;
	*first = false;
	for (uint32_t p = 1; p < 0xffff; p++) {
		bool used = false;

		for (size_t i = 0; i < n && !used; i++)
			used = v[i].prio == p;
		if (!used)
			return p;
	}
	return 0xffff;
}

static const char *feature_name(enum netl_feature f)
{
	switch (f) {
	case NETL_FEAT_NONE:
		return "nothing";
	case NETL_FEAT_NETNS:
		return "a private network namespace to test in";
	case NETL_FEAT_IFB:
		return "the ifb device (CONFIG_IFB)";
	case NETL_FEAT_NETEM:
		return "the netem qdisc (sch_netem, CONFIG_NET_SCH_NETEM)";
	case NETL_FEAT_CLSACT:
		return "the clsact qdisc (CONFIG_NET_SCH_INGRESS)";
	case NETL_FEAT_CLS_BPF_MIRRED:
		return "the bpf classifier with the mirred action (CONFIG_NET_CLS_BPF, "
		       "CONFIG_NET_ACT_MIRRED)";
	}
	return "?";
}

static int l2_len_of(unsigned type)
{
	switch (type) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		return 14;
	case ARPHRD_NONE:
	case ARPHRD_RAWIP:
		return 0;
	default:
		return -1;
	}
}

/*
 * How the bpf engine attaches: cls_bpf on clsact over netlink unless FAULTLINE_TC_ATTACH=tcx.
 * A tcx link dies with the agent, but the kernel waits for an RCU grace period on every tcx
 * attach and detach (8 and 16 ms here), against about 0.3 ms for a cls_bpf filter: revert
 * speed after an abort or a breach comes first, and the journal removes a filter that a
 * killed agent left (make bench, section 1, shows both).
 */
static enum attach attach_pref(void)
{
	const char *e = getenv(ENV_ATTACH);

	if (e && !strcmp(e, "tcx"))
		return ATT_TCX;
	return ATT_CLS;
}

/* ---- plan --------------------------------------------------------------------------------- */

static int open_netns(struct net_fault *nf, char *err, size_t errlen)
{
	const struct net_spec *s = &nf->spec;
	int fd;

	if (s->netns_name) {
		snprintf(nf->ns_path, sizeof(nf->ns_path), "%s/%s", NET_NETNS_DIR, s->netns_name);
		fd = netl_netns_open_name(s->netns_name);
		if (fd < 0) {
			snprintf(err, errlen, "network namespace '%s' does not exist under %s",
				 s->netns_name, NET_NETNS_DIR);
			return fd;
		}
	} else if (s->netns_pid) {
		snprintf(nf->ns_path, sizeof(nf->ns_path), "/proc/%d/ns/net", (int)s->netns_pid);
		fd = netl_netns_open_pid(s->netns_pid);
		if (fd < 0) {
			snprintf(err, errlen, "cannot open the network namespace of pid %d: %s",
				 (int)s->netns_pid, strerror(-fd));
			return fd;
		}
	} else {
		nf->ns_path[0] = '\0';
		fd = netl_netns_open_self();
		if (fd < 0) {
			snprintf(err, errlen, "cannot open the agent's network namespace: %s",
				 strerror(-fd));
			return fd;
		}
	}
	nf->nsfd = fd;
	return netl_netns_id(fd, &nf->ns_dev, &nf->ns_ino);
}

static void build_config(const struct net_fault *nf, int l2, struct nf_config *cfg)
{
	const struct net_spec *s = &nf->spec;
	const struct net_cidrs *sets[NF_SET_MAX] = { &s->dst, &s->src, &s->xdst, &s->xsrc };
	const struct net_ports *ports[NF_SET_MAX] = { &s->dport, &s->sport, &s->xdport,
						      &s->xsport };

	memset(cfg, 0, sizeof(*cfg));
	for (int set = 0; set < NF_SET_MAX; set++) {
		for (size_t i = 0; i < sets[set]->n; i++)
			cfg->flags |= sets[set]->v[i].family == 4 ? NF_F_ADDR4(set)
								  : NF_F_ADDR6(set);
		if (ports[set]->n)
			cfg->flags |= NF_F_PORT(set);
	}
	if (s->allow_ssh)
		cfg->flags |= NF_F_ALLOW_SSH;
	cfg->proto = s->proto;
	cfg->l2_len = (__u8)l2;
	if (nf->engine == NET_ENGINE_NETEM) {
		cfg->flags |= NF_F_CLASSIFY;
		return;
	}
	if (s->blackhole)
		cfg->flags |= NF_F_BLACKHOLE;
	cfg->loss = net_percent_to_u32(s->loss);
	cfg->corrupt = net_percent_to_u32(s->corrupt);
}

static int load_bpf(struct net_fault *nf, int l2, char *err, size_t errlen)
{
	const struct net_spec *s = &nf->spec;
	const struct net_cidrs *const sets[NF_SET_MAX] = { &s->dst, &s->src, &s->xdst,
							   &s->xsrc };
	const struct net_ports *const ports[NF_SET_MAX] = { &s->dport, &s->sport, &s->xdport,
							    &s->xsport };
	struct nf_config cfg;

	netbpf_free(nf->bpf);
	nf->bpf = NULL;
	build_config(nf, l2, &cfg);
	return netbpf_load(&cfg, sets, ports, &nf->bpf, err, errlen);
}

static int net_plan(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct net_fault *nf = f->priv;
	struct netl_tc *hooks[NF_DIR_MAX] = { NULL, NULL };
	size_t nhooks[NF_DIR_MAX] = { 0, 0 };
	struct netl *h = NULL;
	struct netl_link link;
	enum netl_feature missing = NETL_FEAT_NONE;
	char ns[96], berr[256], kmsg[160];
	const struct fault *other;
	const char *what = NULL;
	bool needs_netem, clsact = false;
	json_t *snap = NULL;
	int r, l2, probe, tcx;

	if (!nf)
		return -EINVAL;
	nf->planned = false;
	ns_close(nf);
	r = open_netns(nf, err, errlen);
	if (r < 0)
		goto out;
	netns_desc(nf, ns, sizeof(ns));
	h = nl_for(nf, &r);
	if (!h) {
		snprintf(err, errlen, "cannot talk to the kernel in %s: %s", ns, strerror(-r));
		goto out;
	}
	r = netl_link_get(h, nf->spec.ifname, 0, &link);
	if (r < 0) {
		if (r == -ENODEV)
			snprintf(err, errlen, "no interface '%s' in %s", nf->spec.ifname, ns);
		else
			snprintf(err, errlen, "cannot look up interface '%s' in %s: %s",
				 nf->spec.ifname, ns, strerror(-r));
		goto out;
	}
	nf->ifindex = link.ifindex;
	nf->arptype = link.type;
	other = planned_add(f, nf->ns_ino, nf->ifindex, nf->spec.dirs, &r);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (other) {
		r = -EBUSY;
		snprintf(err, errlen, "'%s' and '%s' both impair '%s' %s at overlapping times; "
			 "put the impairments into one fault, or give them disjoint windows",
			 other->name, f->name, nf->spec.ifname,
			 nf->spec.dirs == NET_BOTH ? "traffic" : nf->spec.dirs == NET_INGRESS
								      ? "ingress"
								      : "egress");
		goto out;
	}
	l2 = l2_len_of(link.type);
	nf->l2_len = l2;
	if (l2 < 0) {
		snprintf(err, errlen, "interface '%s' has link type %u, which the network fault "
			 "cannot parse (Ethernet, loopback and raw IP devices only)",
			 nf->spec.ifname, link.type);
		r = -EOPNOTSUPP;
		goto out;
	}

	/* The engine.  netem is tried for real, in a private namespace: no guessing. */
	needs_netem = net_spec_needs_netem(&nf->spec, &what);
	nf->engine = nf->spec.engine == NET_ENGINE_BPF ? NET_ENGINE_BPF : NET_ENGINE_NETEM;
	r = load_bpf(nf, l2, berr, sizeof(berr));
	if (r < 0) {
		snprintf(err, errlen, "%s", berr);
		goto out;
	}
	if (nf->engine == NET_ENGINE_NETEM) {
		probe = netl_probe_netem(netbpf_prog_fd(nf->bpf, NF_DIR_EGRESS), &missing, kmsg,
					 sizeof(kmsg));
		if (probe < 0 && nf->spec.engine == NET_ENGINE_AUTO && !needs_netem) {
			nf->engine = NET_ENGINE_BPF;
			r = load_bpf(nf, l2, berr, sizeof(berr));
			if (r < 0) {
				snprintf(err, errlen, "%s", berr);
				goto out;
			}
		} else if (probe < 0) {
			r = probe;
			if (nf->spec.engine == NET_ENGINE_NETEM)
				snprintf(err, errlen, "engine \"netem\" needs %s, which this kernel "
					 "lacks (%s%s%s)", feature_name(missing), strerror(-probe),
					 kmsg[0] ? ": " : "", kmsg);
			else
				snprintf(err, errlen, "'%s' needs %s, which this kernel lacks (%s%s%s); "
					 "the bpf engine can do only loss, corrupt and blackhole",
					 what, feature_name(missing), strerror(-probe),
					 kmsg[0] ? ": " : "", kmsg);
			goto out;
		}
	}

	/* tcx when asked for (FAULTLINE_TC_ATTACH=tcx), for the bpf engine. */
	tcx = 0;
	if (nf->engine == NET_ENGINE_BPF && attach_pref() != ATT_CLS) {
		tcx = netbpf_probe_tcx(nf->bpf);
		if (tcx < 0) {
			r = tcx;
			snprintf(err, errlen, "cannot find out whether the kernel has tcx: %s",
				 strerror(-r));
			goto out;
		}
		if (!tcx && attach_pref() == ATT_TCX) {
			r = -EOPNOTSUPP;
			snprintf(err, errlen, "%s=tcx, but this kernel has no tcx (Linux 6.6 and "
				 "later)", ENV_ATTACH);
			goto out;
		}
	}

	/* Reserve our filter slots now, so that the journal record names them. */
	r = snapshot(h, nf->ifindex, &snap, &clsact, hooks, nhooks);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the qdiscs and filters of '%s': %s",
			 nf->spec.ifname, strerror(-r));
		goto out;
	}
	if (random_hex(nf->tag, 4) < 0) {
		r = -EIO;
		snprintf(err, errlen, "no random numbers");
		goto out;
	}
	snprintf(nf->filter_name, sizeof(nf->filter_name), "faultline:%s:%.60s", nf->tag,
		 f->name);
	for (int d = 0; d < NF_DIR_MAX; d++) {
		struct hook *hk = &nf->hook[d];

		memset(hk, 0, sizeof(*hk));
		hk->used = dir_used(nf, d);
		if (!hk->used)
			continue;
		hk->parent = d == NF_DIR_EGRESS ? NETL_HOOK_EGRESS : NETL_HOOK_INGRESS;
		hk->prio = pick_prio(hooks[d], nhooks[d], &hk->prio_first);
		hk->plan = tcx > 0 ? ATT_TCX : ATT_CLS;
		if (nf->engine == NET_ENGINE_NETEM)
			snprintf(hk->ifb, sizeof(hk->ifb), "fl%s%c", nf->tag,
				 d == NF_DIR_EGRESS ? 'e' : 'i');
	}
	json_decref(nf->before);
	nf->before = snap;
	snap = NULL;
	nf->planned = true;
	r = 0;
out:
	/* Loaded to prove it loads and to probe with, and kept for apply, which then only
	 * attaches: the fault is in place at its start instant, not a verifier run later.  An
	 * unattached program touches no packet, and our descriptors are its only references,
	 * so a run that is never applied (dry run, not_run) frees it in free(), and a killed
	 * agent takes it along.  The namespace is not kept open: apply opens it again. */
	if (r < 0) {
		netbpf_free(nf->bpf);
		nf->bpf = NULL;
	}
	ns_close(nf);
	json_decref(snap);
	for (int d = 0; d < NF_DIR_MAX; d++)
		free(hooks[d]);
	netl_close(h);
	return r;
}

static json_t *net_claims(const struct fault *f)
{
	const struct net_fault *nf = f->priv;
	json_t *a = json_array();
	char key[96];

	if (!a || !nf || !nf->planned)
		return a;
	/* The interface belongs to one experiment at a time. */
	snprintf(key, sizeof(key), "netdev:%" PRIu64 ":%d", nf->ns_ino, nf->ifindex);
	json_array_append_new(a, json_string(key));
	for (int d = 0; d < NF_DIR_MAX; d++) {
		if (!dir_used(nf, d))
			continue;
		snprintf(key, sizeof(key), "netdev:%" PRIu64 ":%d:%s", nf->ns_ino, nf->ifindex,
			 dir_names[d]);
		json_array_append_new(a, json_string(key));
	}
	return a;
}

/* ---- undo record -------------------------------------------------------------------------- */

/*
 * Everything recover() needs to take the fault down in another process: the namespace (by
 * path and identity), the interface, each hook's filter slot and name, IFB device names,
 * and whether clsact is faultline's to delete.  A tcx link needs nothing: it died with the
 * agent that owned it.
 */
static json_t *net_undo(const struct fault *f)
{
	struct net_fault *nf = f->priv;
	json_t *hooks = NULL, *rec = NULL;
	struct netl *h = NULL;
	json_t *snap = NULL;
	bool clsact = false, cls = false;
	char berr[256];
	int r;

	if (!nf || !nf->planned)
		return NULL;
	/*
	 * Whether clsact will be ours is decided now, just before apply, not at plan time:
	 * apply creates it when it is missing, and shares it when another faultline fault
	 * created it.
	 */
	for (int d = 0; d < NF_DIR_MAX; d++)
		cls |= nf->hook[d].used && nf->hook[d].plan == ATT_CLS;
	nf->clsact_created = false;
	/* Apply opens it again and fails cleanly if it cannot. */
	h = ns_reopen(nf, berr, sizeof(berr)) == 0 ? nl_for(nf, &r) : NULL;
	if (h && snapshot(h, nf->ifindex, &snap, &clsact, NULL, NULL) == 0) {
		json_decref(nf->before);
		nf->before = snap;
		nf->clsact_created = cls && (!clsact || clsact_find(nf->ns_ino, nf->ifindex));
	}
	netl_close(h);
	hooks = json_array();
	if (!hooks)
		return NULL;
	for (int d = 0; d < NF_DIR_MAX; d++) {
		const struct hook *hk = &nf->hook[d];

		if (!hk->used)
			continue;
		json_array_append_new(hooks, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s*}",
						       "direction", dir_names[d], "attach",
						       hk->plan == ATT_TCX ? "tcx" : "cls_bpf",
						       "parent", (json_int_t)hk->parent, "prio",
						       (json_int_t)hk->prio, "handle",
						       (json_int_t)FILTER_HANDLE, "filter",
						       nf->filter_name, "ifb",
						       hk->ifb[0] ? hk->ifb : NULL));
	}
	rec = json_pack("{s:s, s:s, s:i, s:{s:s, s:I, s:I}, s:s, s:b, s:O, s:O*}", "kind",
			"network", "interface", nf->spec.ifname, "ifindex", nf->ifindex, "netns",
			"path", nf->ns_path, "dev", (json_int_t)nf->ns_dev, "ino",
			(json_int_t)nf->ns_ino, "engine",
			nf->engine == NET_ENGINE_NETEM ? "netem" : "bpf", "clsact_created",
			nf->clsact_created, "hooks", hooks, "before", nf->before);
	json_decref(hooks);
	return rec;
}

/* ---- apply and revert --------------------------------------------------------------------- */

static void netem_params(const struct net_spec *s, struct netl_netem *ne)
{
	memset(ne, 0, sizeof(*ne));
	ne->latency = s->delay;
	ne->jitter = s->jitter;
	ne->limit = s->limit;
	ne->loss = s->blackhole ? UINT32_MAX : net_percent_to_u32(s->loss);
	ne->loss_corr = net_percent_to_u32(s->loss_corr);
	ne->delay_corr = net_percent_to_u32(s->correlation);
	ne->duplicate = net_percent_to_u32(s->duplicate);
	ne->reorder = net_percent_to_u32(s->reorder);
	ne->gap = s->reorder_gap;
	ne->corrupt = net_percent_to_u32(s->corrupt);
	ne->rate = s->rate;
}


static int ensure_clsact(struct net_fault *nf, struct netl *h, char *err, size_t errlen)
{
	int r;

	if (nf->clsact_ref)
		return 0;
	r = netl_clsact_add(h, nf->ifindex);
	if (r == -EEXIST) {
		/* There already: ours only if another faultline fault made it. */
		if (!clsact_find(nf->ns_ino, nf->ifindex))
			return 0;
	} else if (r < 0) {
		snprintf(err, errlen, "cannot add clsact to '%s': %s%s%s", nf->spec.ifname,
			 strerror(-r), netl_last_msg(h)[0] ? ": " : "", netl_last_msg(h));
		return r;
	}
	r = clsact_get(nf->ns_ino, nf->ifindex);
	if (r < 0)
		return r;
	nf->clsact_ref = true;
	nf->clsact_created = true;
	return 0;
}

static int apply_hook(struct net_fault *nf, struct netl *h, int d, char *err, size_t errlen)
{
	struct hook *hk = &nf->hook[d];
	struct netl_netem ne;
	int16_t *dist = NULL;
	size_t ndist = 0;
	int r, mirred = 0;

	if (nf->engine == NET_ENGINE_NETEM) {
		r = netl_ifb_add(h, hk->ifb, &hk->ifb_ifindex);
		if (r < 0) {
			snprintf(err, errlen, "cannot create IFB device '%s': %s%s%s", hk->ifb,
				 strerror(-r), netl_last_msg(h)[0] ? ": " : "", netl_last_msg(h));
			return r;
		}
		hk->ifb_created = true;
		if (d == NF_DIR_EGRESS)
			netbpf_set_ifb(nf->bpf, (uint32_t)hk->ifb_ifindex);
		netem_params(&nf->spec, &ne);
		r = net_dist_table(nf->spec.dist, &dist, &ndist);
		if (r < 0) {
			snprintf(err, errlen, "cannot compute the delay distribution: %s",
				 strerror(-r));
			return r;
		}
		ne.dist = dist;
		ne.dist_len = ndist;
		r = netl_netem_add(h, hk->ifb_ifindex, NETEM_HANDLE, &ne);
		free(dist);
		if (r < 0) {
			snprintf(err, errlen, "cannot add netem to '%s': %s%s%s", hk->ifb,
				 strerror(-r), netl_last_msg(h)[0] ? ": " : "", netl_last_msg(h));
			return r;
		}
		mirred = hk->ifb_ifindex;
	} else if (hk->plan == ATT_TCX) {
		r = netbpf_attach_tcx(nf->bpf, nf->nsfd, nf->ifindex, (enum nf_dir)d);
		if (r < 0) {
			snprintf(err, errlen, "cannot attach to '%s' %s with tcx: %s",
				 nf->spec.ifname, dir_names[d], strerror(-r));
			return r;
		}
		hk->att = ATT_TCX;
		return 0;
	}
	/* The steering filter goes in last: nothing is steered into a half-built tree. */
	r = ensure_clsact(nf, h, err, errlen);
	if (r < 0)
		return r;
	r = netl_bpf_filter_add(h, nf->ifindex, hk->parent, hk->prio, FILTER_HANDLE,
				netbpf_prog_fd(nf->bpf, (enum nf_dir)d), nf->filter_name, mirred);
	if (r < 0) {
		snprintf(err, errlen, "cannot add the %s filter to '%s' (prio %u): %s%s%s",
			 dir_names[d], nf->spec.ifname, hk->prio, strerror(-r),
			 netl_last_msg(h)[0] ? ": " : "", netl_last_msg(h));
		return r;
	}
	hk->filter_added = true;
	hk->att = ATT_CLS;
	return 0;
}

static int net_apply(struct fault *f, const struct fault_env *env, char *err, size_t errlen)
{
	struct net_fault *nf = f->priv;
	struct netl *h = NULL;
	int r = 0;

	char berr[256];

	if (!nf || !nf->planned) {
		snprintf(err, errlen, "'%s' was not planned", f->name);
		return -EINVAL;
	}
	r = ns_reopen(nf, err, errlen);
	if (r < 0)
		return r;
	if (!nf->bpf) {
		r = load_bpf(nf, nf->l2_len, berr, sizeof(berr));
		if (r < 0) {
			snprintf(err, errlen, "%s", berr);
			return r;
		}
	}
	h = nl_for(nf, &r);
	if (!h) {
		snprintf(err, errlen, "cannot talk to the kernel: %s", strerror(-r));
		return r;
	}
	for (int d = 0; d < NF_DIR_MAX && r == 0; d++) {
		if (nf->hook[d].used)
			r = apply_hook(nf, h, d, err, errlen);
	}
	netl_close(h);
	/* On failure the runner reverts: revert takes down whatever part was built. */
	return r;
}

static int revert_hook(struct net_fault *nf, struct netl *h, int d, char *err, size_t errlen)
{
	struct hook *hk = &nf->hook[d];
	int r = 0;

	if (nf->bpf && (hk->att != ATT_NONE || hk->ifb_created)) {
		if (netbpf_counters(nf->bpf, (enum nf_dir)d, &hk->last) == 0)
			hk->have_last = true;
	}
	if (hk->att == ATT_TCX) {
		netbpf_detach_tcx(nf->bpf, (enum nf_dir)d);
		hk->att = ATT_NONE;
	}
	if (hk->filter_added) {
		r = netl_bpf_filter_del(h, nf->ifindex, hk->parent, hk->prio, FILTER_HANDLE,
					nf->filter_name);
		if (r < 0) {
			snprintf(err, errlen, "cannot delete the %s filter (prio %u) of '%s': %s",
				 dir_names[d], hk->prio, nf->spec.ifname,
				 r == -EEXIST ? "another filter took its place" : strerror(-r));
			return r;
		}
		hk->filter_added = false;
		hk->att = ATT_NONE;
	}
	if (hk->ifb_created) {
		r = netl_ifb_del(h, hk->ifb);
		if (r < 0) {
			snprintf(err, errlen, "cannot delete IFB device '%s': %s", hk->ifb,
				 strerror(-r));
			return r;
		}
		hk->ifb_created = false;
	}
	return 0;
}

static int net_revert(struct fault *f, char *err, size_t errlen)
{
	struct net_fault *nf = f->priv;
	struct netl *h = NULL;
	json_t *snap = NULL;
	bool clsact = false;
	int r = 0, rc;

	if (!nf || !nf->planned || nf->nsfd < 0)
		return 0; /* never applied (apply opens the namespace first) */
	h = nl_for(nf, &r);
	if (!h) {
		snprintf(err, errlen, "cannot talk to the kernel: %s", strerror(-r));
		return r;
	}
	for (int d = NF_DIR_MAX - 1; d >= 0; d--) {
		rc = revert_hook(nf, h, d, err, errlen);
		if (rc < 0 && !r)
			r = rc;
	}
	if (!r && nf->clsact_ref) {
		nf->clsact_ref = false;
		if (clsact_put(nf->ns_ino, nf->ifindex)) {
			rc = netl_clsact_del_if_empty(h, nf->ifindex);
			/* Filters somebody else added since: their clsact now. */
			if (rc < 0 && rc != -ENOTEMPTY) {
				snprintf(err, errlen, "cannot delete clsact from '%s': %s",
					 nf->spec.ifname, strerror(-rc));
				r = rc;
			}
		}
	}
	if (!r) {
		/* Counters are kept per hook: nothing of ours stays loaded. */
		netbpf_free(nf->bpf);
		nf->bpf = NULL;
	}
	if (!r && snapshot(h, nf->ifindex, &snap, &clsact, NULL, NULL) == 0) {
		nf->restored = json_equal(snap, nf->before) ? 1 : 0;
		json_decref(nf->after);
		nf->after = nf->restored ? NULL : json_incref(snap);
		json_decref(snap);
	}
	netl_close(h);
	if (!r)
		ns_close(nf);
	return r;
}

/* ---- recover ------------------------------------------------------------------------------ */

static int net_recover(const json_t *undo, char *err, size_t errlen)
{
	const json_t *ns = json_object_get(undo, "netns"), *hooks = json_object_get(undo, "hooks");
	const char *ifname = NULL, *path = NULL;
	json_int_t ifindex = 0, dev = 0, ino = 0;
	struct netl *h = NULL;
	struct netl_link link;
	const json_t *hk;
	json_error_t jerr;
	int nsfd = -1, clsact = 0, r, rc;
	size_t i;

	if (json_unpack_ex((json_t *)undo, &jerr, 0, "{s:s, s:I, s:b, s:o}", "interface",
			   &ifname, "ifindex", &ifindex, "clsact_created", &clsact, "hooks",
			   &hooks) < 0 ||
	    json_unpack_ex((json_t *)ns, &jerr, 0, "{s:s, s:I, s:I}", "path", &path, "dev", &dev,
			   "ino", &ino) < 0 ||
	    !json_is_array(hooks)) {
		snprintf(err, errlen, "network undo record is incomplete: %s", jerr.text);
		return -EINVAL;
	}
	r = netl_netns_find((uint64_t)dev, (uint64_t)ino, path, &nsfd);
	if (r == -ENOENT)
		return 0; /* the namespace is gone, and everything that was in it */
	if (r < 0) {
		snprintf(err, errlen, "cannot find network namespace '%s': %s", path,
			 strerror(-r));
		return r;
	}
	h = netl_open(nsfd);
	if (!h) {
		r = -errno;
		snprintf(err, errlen, "cannot talk to the kernel: %s", strerror(-r));
		goto out;
	}
	/* The interface itself may be gone; its filters went with it, the IFBs did not. */
	r = netl_link_get(h, NULL, (int)ifindex, &link);
	if (r == 0 && strcmp(link.name, ifname) != 0)
		r = -ENODEV; /* the index now names another device: not ours to touch */
	json_array_foreach(hooks, i, hk) {
		const char *filter = NULL, *ifb = NULL;
		json_int_t parent = 0, prio = 0, handle = 0;

		if (json_unpack_ex((json_t *)hk, &jerr, 0, "{s:I, s:I, s:I, s:s, s?s}", "parent",
				   &parent, "prio", &prio, "handle", &handle, "filter", &filter,
				   "ifb", &ifb) < 0) {
			snprintf(err, errlen, "network undo record: bad hook %zu: %s", i, jerr.text);
			r = -EINVAL;
			goto out;
		}
		if (r == 0) {
			rc = netl_bpf_filter_del(h, (int)ifindex, (uint32_t)parent, (uint32_t)prio,
						 (uint32_t)handle, filter);
			if (rc < 0 && rc != -EEXIST) {
				snprintf(err, errlen, "cannot delete filter '%s' from '%s': %s",
					 filter, ifname, strerror(-rc));
				r = rc;
				goto out;
			}
		}
		if (ifb) {
			rc = netl_ifb_del(h, ifb);
			if (rc < 0 && rc != -EEXIST) {
				snprintf(err, errlen, "cannot delete IFB device '%s': %s", ifb,
					 strerror(-rc));
				r = rc;
				goto out;
			}
		}
	}
	if (r == 0 && clsact) {
		rc = netl_clsact_del_if_empty(h, (int)ifindex);
		if (rc < 0 && rc != -ENOTEMPTY) {
			snprintf(err, errlen, "cannot delete clsact from '%s': %s", ifname,
				 strerror(-rc));
			r = rc;
			goto out;
		}
	}
	r = 0;
out:
	netl_close(h);
	if (nsfd >= 0)
		close(nsfd);
	return r;
}

/* ---- status ------------------------------------------------------------------------------- */

static json_t *cidrs_json(const struct net_cidrs *c)
{
	json_t *a = json_array();
	char buf[64];

	for (size_t i = 0; a && i < c->n; i++) {
		if (i == STATUS_LIST_MAX) {
			snprintf(buf, sizeof(buf), "... and %zu more", c->n - i);
			json_array_append_new(a, json_string(buf));
			break;
		}
		net_cidr_format(&c->v[i], buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

/* Ports as numbers, runs as "LO-HI". */
static json_t *ports_json(const struct net_ports *p)
{
	json_t *a = json_array();
	size_t items = 0;
	char buf[32];

	for (size_t i = 0; a && i < p->n;) {
		size_t j = i;

		while (j + 1 < p->n && p->v[j + 1] == p->v[j] + 1)
			j++;
		if (items++ == STATUS_LIST_MAX) {
			json_array_append_new(a, json_string("..."));
			break;
		}
		if (j > i + 1) {
			snprintf(buf, sizeof(buf), "%u-%u", p->v[i], p->v[j]);
			json_array_append_new(a, json_string(buf));
			i = j + 1;
		} else {
			json_array_append_new(a, json_integer(p->v[i]));
			i++;
		}
	}
	return a;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	default:
		return "any";
	}
}

static json_t *match_json(const struct net_spec *s)
{
	json_t *m = json_pack("{s:s}", "protocol", proto_name(s->proto));

	if (!m)
		return NULL;
	json_object_set_new(m, "destinations", s->dst.n ? cidrs_json(&s->dst) : json_string("any"));
	json_object_set_new(m, "sources", s->src.n ? cidrs_json(&s->src) : json_string("any"));
	json_object_set_new(m, "ports", s->dport.n ? ports_json(&s->dport) : json_string("any"));
	json_object_set_new(m, "source_ports",
			    s->sport.n ? ports_json(&s->sport) : json_string("any"));
	return m;
}

static json_t *exclude_json(const struct net_spec *s)
{
	json_t *x = json_object();

	if (!x)
		return NULL;
	json_object_set_new(x, "ssh", json_string(s->allow_ssh ? "not excluded (allow_ssh)"
							       : "tcp port 22, either end"));
	if (s->xdst.n)
		json_object_set_new(x, "destinations", cidrs_json(&s->xdst));
	if (s->xsrc.n)
		json_object_set_new(x, "sources", cidrs_json(&s->xsrc));
	if (s->xdport.n)
		json_object_set_new(x, "ports", ports_json(&s->xdport));
	if (s->xsport.n)
		json_object_set_new(x, "source_ports", ports_json(&s->xsport));
	return x;
}

static json_t *impair_json(const struct net_spec *s)
{
	json_t *o = json_object();
	char buf[48];

	if (!o)
		return NULL;
	if (s->blackhole)
		json_object_set_new(o, "blackhole", json_true());
	if (s->delay) {
		fmt_duration(s->delay, buf, sizeof(buf));
		json_object_set_new(o, "delay", json_string(buf));
	}
	if (s->jitter) {
		fmt_duration(s->jitter, buf, sizeof(buf));
		json_object_set_new(o, "jitter", json_string(buf));
	}
	if (s->correlation > 0)
		json_object_set_new(o, "correlation", json_real(s->correlation));
	if (net_dist_name(s->dist))
		json_object_set_new(o, "distribution", json_string(net_dist_name(s->dist)));
#define PCT(k, v)                                              \
	do {                                                   \
		if ((v) > 0)                                   \
			json_object_set_new(o, k, json_real(v)); \
	} while (0)
	PCT("loss", s->loss);
	PCT("loss_correlation", s->loss_corr);
	PCT("corrupt", s->corrupt);
	PCT("duplicate", s->duplicate);
	PCT("reorder", s->reorder);
#undef PCT
	if (s->reorder_gap)
		json_object_set_new(o, "reorder_gap", json_integer(s->reorder_gap));
	if (s->rate) {
		net_rate_format(s->rate, buf, sizeof(buf));
		json_object_set_new(o, "rate", json_string(buf));
	}
	if (s->limit)
		json_object_set_new(o, "limit", json_integer(s->limit));
	return o;
}

static json_t *counters_json(const struct nf_counters *c, const struct net_fault *nf)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "matched", (json_int_t)c->matched,
			 "excluded", (json_int_t)c->excluded, "dropped", (json_int_t)c->dropped,
			 "corrupted", (json_int_t)c->corrupted, "steered_to_netem",
			 (json_int_t)c->steered, "delayed",
			 (json_int_t)(nf->spec.delay ? c->steered : 0));
}

static json_t *hook_json(const struct net_fault *nf, int d, struct netl *h)
{
	const struct hook *hk = &nf->hook[d];
	struct nf_counters c;
	json_t *o = json_object();
	char buf[128];
	bool live = hk->att != ATT_NONE || hk->ifb_created;

	if (!o)
		return NULL;
	if (hk->att == ATT_TCX)
		snprintf(buf, sizeof(buf), "tcx link (first), program id %u",
			 netbpf_prog_id(nf->bpf, (enum nf_dir)d));
	else if (hk->att == ATT_CLS)
		snprintf(buf, sizeof(buf), "cls_bpf on clsact %s, prio %u handle %u%s%s%s",
			 dir_names[d], hk->prio, FILTER_HANDLE,
			 nf->engine == NET_ENGINE_NETEM ? ", mirred to " : "",
			 nf->engine == NET_ENGINE_NETEM ? hk->ifb : "",
			 hk->prio_first ? "" : " (after the existing filters)");
	else if (nf->engine == NET_ENGINE_NETEM)
		snprintf(buf, sizeof(buf), "cls_bpf on clsact %s, prio %u, mirred to IFB '%s' with "
			 "netem", dir_names[d], hk->prio, hk->ifb);
	else if (hk->plan == ATT_TCX)
		snprintf(buf, sizeof(buf), "tcx link (first), owned by the agent");
	else
		snprintf(buf, sizeof(buf), "cls_bpf direct-action on clsact %s, prio %u",
			 dir_names[d], hk->prio);
	json_object_set_new(o, "attach", json_string(buf));
	if (live && nf->bpf && netbpf_counters(nf->bpf, (enum nf_dir)d, &c) == 0)
		json_object_set_new(o, "counters", counters_json(&c, nf));
	else if (hk->have_last)
		json_object_set_new(o, "counters", counters_json(&hk->last, nf));
	if (hk->ifb_created && h) {
		struct netl_tc *q = NULL;
		size_t n = 0;

		if (netl_qdisc_list(h, hk->ifb_ifindex, &q, &n) == 0) {
			for (size_t i = 0; i < n; i++) {
				if (strcmp(q[i].kind, "netem") != 0)
					continue;
				json_object_set_new(o, "netem",
						    json_pack("{s:I, s:I, s:I}", "sent",
							      (json_int_t)q[i].packets, "dropped",
							      (json_int_t)q[i].drops, "queued",
							      (json_int_t)q[i].qlen));
			}
		}
		free(q);
	}
	return o;
}

static json_t *net_status(const struct fault *f)
{
	const struct net_fault *nf = f->priv;
	struct netl *h = NULL;
	json_t *o, *hooks;
	char ns[96];
	int r;

	if (!nf)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "interface", nf->spec.ifname, "netns",
		      netns_desc(nf, ns, sizeof(ns)), "direction",
		      nf->spec.dirs == NET_BOTH ? "both" : nf->spec.dirs == NET_INGRESS ? "ingress"
											: "egress",
		      "match", match_json(&nf->spec), "exclude", exclude_json(&nf->spec),
		      "impairments", impair_json(&nf->spec));
	if (!o || !nf->planned)
		return o;
	json_object_set_new(o, "engine",
			    json_string(nf->engine == NET_ENGINE_NETEM ? "netem" : "bpf"));
	json_object_set_new(o, "ifindex", json_integer(nf->ifindex));
	if ((nf->hook[0].ifb_created || nf->hook[1].ifb_created) && nf->nsfd >= 0)
		h = nl_for(nf, &r);
	hooks = json_object();
	for (int d = 0; hooks && d < NF_DIR_MAX; d++)
		if (nf->hook[d].used)
			json_object_set_new(hooks, dir_names[d], hook_json(nf, d, h));
	netl_close(h);
	json_object_set_new(o, "hooks", hooks);
	if (nf->restored >= 0)
		json_object_set_new(o, "restored", json_boolean(nf->restored));
	if (nf->restored == 0) {
		json_object_set(o, "tree_before", nf->before);
		json_object_set(o, "tree_after", nf->after);
	}
	return o;
}

const struct fault_ops fault_network_ops = {
	.kind = "network",
	.parse = net_parse,
	.keys = net_spec_keys,
	.plan = net_plan,
	.claims = net_claims,
	.undo = net_undo,
	.apply = net_apply,
	.revert = net_revert,
	.recover = net_recover,
	.release = net_release,
	.status = net_status,
	.free = net_free,
};
