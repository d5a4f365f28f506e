// SPDX-License-Identifier: MIT
/*
 * rtnetlink through libnl.  The only file that sees libnl and its NLE_* codes: the socket's
 * error callback records the kernel's own errno (and extended ack message) so that callers
 * get -errno, not libnl's lossy translation.
 *
 * Messages for tc objects are built by hand with libnl's message API: libnl-route has no
 * cls_bpf, and its netem setters cannot send the 64-bit latency and jitter attributes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if.h>
#include <sys/stat.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/socket.h>
#include <netlink/route/link.h>

#include "net/nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

/* A netem TCA_OPTIONS with a distribution table is over 8 KiB. */
#define NETL_MSG_SIZE 32768
#define PSCHED_SHIFT 6

struct netl {
	struct nl_sock *sk;
	int err;       /* -errno of the last NLMSG_ERROR, 0 if none */
	char msg[160]; /* its extended ack message */
};

/* ---- errors ------------------------------------------------------------------------------ */

/* libnl's own failures (no kernel errno recorded): the nearest errno. */
static int nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_BAD_SOCK:
		return -EBADF;
	default:
		return -EIO;
	}
}

/* The result of a libnl call r: the kernel's errno if it sent one, else r translated. */
static int result(struct netl *h, int r)
{
	if (r >= 0)
		return 0;
	if (h->err)
		return h->err;
	return nle_errno(r);
}

static void reset(struct netl *h)
{
	h->err = 0;
	h->msg[0] = '\0';
}

/* The extended ack TLVs follow struct nlmsgerr (and the request, unless capped). */
static void ext_ack_msg(struct netl *h, const struct nlmsgerr *e)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	const char *base = (const char *)nlh;
	size_t off, total = nlh->nlmsg_len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	while (off + NLA_HDRLEN <= total) {
		const struct nlattr *a = (const void *)(base + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > total)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			size_t len = a->nla_len - NLA_HDRLEN;

			if (len >= sizeof(h->msg))
				len = sizeof(h->msg) - 1;
			memcpy(h->msg, (const char *)a + NLA_HDRLEN, len);
			h->msg[len] = '\0';
			h->msg[strcspn(h->msg, "\n")] = '\0';
			/* Drop the kernel's full stop: our messages end without one. */
			len = strlen(h->msg);
			if (len && h->msg[len - 1] == '.')
				h->msg[len - 1] = '\0';
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct netl *h = arg;

	h->err = e->error < 0 ? e->error : -EIO;
	ext_ack_msg(h, e);
	return NL_STOP;
}

const char *netl_last_msg(const struct netl *h)
{
	return h ? h->msg : "";
}

/* ---- namespaces --------------------------------------------------------------------------- */

static int open_ns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int netl_netns_open_name(const char *name)
{
	char path[PATH_MAX];

	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open_ns(path);
}

int netl_netns_open_pid(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return open_ns(path);
}

int netl_netns_open_self(void)
{
	return open_ns("/proc/thread-self/ns/net");
}

int netl_netns_id(int fd, uint64_t *dev, uint64_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

static int try_ns(const char *path, uint64_t dev, uint64_t ino)
{
	uint64_t d, i;
	int fd = open_ns(path);

	if (fd < 0)
		return fd;
	if (netl_netns_id(fd, &d, &i) == 0 && d == dev && i == ino)
		return fd;
	close(fd);
	return -ENOENT;
}

static int scan_ns(const char *dir, const char *suffix, bool numeric, uint64_t dev, uint64_t ino)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int fd = -ENOENT;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (numeric && (de->d_name[0] < '1' || de->d_name[0] > '9')))
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, de->d_name, suffix);
		fd = try_ns(path, dev, ino);
		if (fd >= 0)
			break;
	}
	closedir(d);
	return fd >= 0 ? fd : -ENOENT;
}

int netl_netns_find(uint64_t dev, uint64_t ino, const char *path, int *fd)
{
	int r = -ENOENT;

	if (path && *path)
		r = try_ns(path, dev, ino);
	if (r < 0)
		r = try_ns("/proc/thread-self/ns/net", dev, ino);
	if (r < 0)
		r = scan_ns("/run/netns", "", false, dev, ino);
	if (r < 0)
		r = scan_ns("/proc", "/ns/net", true, dev, ino);
	if (r < 0)
		return r;
	*fd = r;
	return 0;
}

int netl_netns_enter(int fd, int *saved)
{
	int cur, r;

	*saved = -1;
	cur = netl_netns_open_self();
	if (cur < 0)
		return cur;
	if (setns(fd, CLONE_NEWNET) < 0) {
		r = -errno;
		close(cur);
		return r;
	}
	*saved = cur;
	return 0;
}

int netl_netns_leave(int *saved)
{
	int r = 0;

	if (*saved < 0)
		return 0;
	if (setns(*saved, CLONE_NEWNET) < 0)
		r = -errno;
	close(*saved);
	*saved = -1;
	return r;
}

int netl_netns_private(int *saved)
{
	int cur, r;

	*saved = -1;
	cur = netl_netns_open_self();
	if (cur < 0)
		return cur;
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		close(cur);
		return r;
	}
	*saved = cur;
	return 0;
}

/* ---- handle ------------------------------------------------------------------------------- */

struct netl *netl_open(int nsfd)
{
	struct netl *h = calloc(1, sizeof(*h));
	int saved = -1, one = 1, r;

	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	if (nsfd >= 0) {
		r = netl_netns_enter(nsfd, &saved);
		if (r < 0)
			goto fail;
	}
	h->sk = nl_socket_alloc();
	if (!h->sk) {
		r = -ENOMEM;
		goto fail;
	}
	r = nl_connect(h->sk, NETLINK_ROUTE);
	if (r < 0) {
		r = nle_errno(r);
		goto fail;
	}
	r = netl_netns_leave(&saved);
	if (r < 0)
		goto fail;
	nl_socket_enable_msg_peek(h->sk);
	nl_socket_modify_err_cb(h->sk, NL_CB_CUSTOM, on_error, h);
	/* Best effort: older kernels simply send no message. */
	(void)setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
			 sizeof(one));
	(void)setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
			 sizeof(one));
	return h;
fail:
	netl_netns_leave(&saved);
	if (h->sk)
		nl_socket_free(h->sk);
	free(h);
	errno = -r;
	return NULL;
}

void netl_close(struct netl *h)
{
	if (!h)
		return;
	nl_socket_free(h->sk);
	free(h);
}

static struct nl_msg *msg_new(int type, int flags)
{
	struct nl_msg *m = nlmsg_alloc_size(NETL_MSG_SIZE);

	if (!m)
		return NULL;
	if (!nlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, flags)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static struct nl_msg *tc_msg(int type, int flags, int ifindex, uint32_t parent, uint32_t handle,
			     uint32_t info)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = handle,
		.tcm_parent = parent,
		.tcm_info = info,
	};
	struct nl_msg *m = msg_new(type, flags);

	if (m && nlmsg_append(m, &t, sizeof(t), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* Send a request and wait for its ack.  Frees m. */
static int request(struct netl *h, struct nl_msg *m)
{
	int r;

	if (!m)
		return -ENOMEM;
	reset(h);
	r = nl_send_sync(h->sk, m);
	return result(h, r);
}

struct dump_ctx {
	struct netl *h;
	int (*fn)(struct nlmsghdr *nlh, void *arg);
	void *arg;
	int err;
	bool done;
};

static int dump_valid(struct nl_msg *m, void *arg)
{
	struct dump_ctx *c = arg;
	int r = c->fn(nlmsg_hdr(m), c->arg);

	if (r < 0) {
		c->err = r;
		return NL_STOP;
	}
	return NL_OK;
}

/* NLMSG_DONE ends a dump; the ack ends a get. */
static int dump_done(struct nl_msg *m, void *arg)
{
	struct dump_ctx *c = arg;

	c->done = true;
	return NL_STOP;
}

/*
 * Send a dump request, or a get (which the kernel answers with one reply and then an ack),
 * and feed every reply to fn.  Frees m.
 */
static int dump(struct netl *h, struct nl_msg *m, int (*fn)(struct nlmsghdr *, void *), void *arg)
{
	struct dump_ctx c = { .h = h, .fn = fn, .arg = arg };
	struct nl_cb *cb = NULL, *sk_cb;
	int r;

	if (!m)
		return -ENOMEM;
	reset(h);
	/* nl_socket_get_cb() takes a reference: without the put, the socket's cb outlives it. */
	sk_cb = nl_socket_get_cb(h->sk);
	cb = nl_cb_clone(sk_cb);
	nl_cb_put(sk_cb);
	if (!cb) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, dump_valid, &c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, dump_done, &c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, dump_done, &c);
	r = nl_send_auto(h->sk, m);
	nlmsg_free(m);
	while (r >= 0 && !c.done && !c.err)
		r = nl_recvmsgs(h->sk, cb);
	nl_cb_put(cb);
	if (c.err < 0)
		return c.err;
	return result(h, r);
}

/* ---- links -------------------------------------------------------------------------------- */

static int link_parse(struct nlmsghdr *nlh, void *arg)
{
	struct netl_link *out = arg;
	struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct ifinfomsg *ifi = nlmsg_data(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EBADMSG;
	out->ifindex = ifi->ifi_index;
	out->type = ifi->ifi_type;
	out->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		nla_strlcpy(out->name, tb[IFLA_IFNAME], sizeof(out->name));
	if (tb[IFLA_LINKINFO] && nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 &&
	    li[IFLA_INFO_KIND])
		nla_strlcpy(out->kind, li[IFLA_INFO_KIND], sizeof(out->kind));
	return 0;
}

int netl_link_get(struct netl *h, const char *name, int ifindex, struct netl_link *out)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *m = msg_new(RTM_GETLINK, 0);
	int r;

	memset(out, 0, sizeof(*out));
	if (!m)
		return -ENOMEM;
	if (nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    (!ifindex && nla_put_string(m, IFLA_IFNAME, name) < 0)) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	r = dump(h, m, link_parse, out);
	if (r == -ENOENT || r == -ENODEV || (!r && !out->ifindex))
		return -ENODEV;
	return r;
}

int netl_ifb_add(struct netl *h, const char *name, int *ifindex)
{
	struct rtnl_link *l = rtnl_link_alloc();
	struct netl_link got;
	int r;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	r = rtnl_link_set_type(l, "ifb");
	if (r < 0) {
		r = nle_errno(r);
		goto out;
	}
	rtnl_link_set_flags(l, IFF_UP);
	reset(h);
	r = result(h, rtnl_link_add(h->sk, l, NLM_F_CREATE | NLM_F_EXCL));
	if (r < 0)
		goto out;
	r = netl_link_get(h, name, 0, &got);
	if (r < 0)
		goto out;
	*ifindex = got.ifindex;
out:
	rtnl_link_put(l);
	return r;
}

int netl_ifb_del(struct netl *h, const char *name)
{
	struct rtnl_link *l = NULL;
	struct netl_link got;
	int r;

	r = netl_link_get(h, name, 0, &got);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	if (strcmp(got.kind, "ifb") != 0)
		return -EEXIST;
	l = rtnl_link_alloc();
	if (!l)
		return -ENOMEM;
	rtnl_link_set_ifindex(l, got.ifindex);
	rtnl_link_set_name(l, name);
	reset(h);
	r = result(h, rtnl_link_delete(h->sk, l));
	rtnl_link_put(l);
	return r == -ENODEV ? 0 : r;
}

/* ---- qdiscs and filters ------------------------------------------------------------------- */

struct tc_list {
	int ifindex;
	int type; /* RTM_NEWQDISC or RTM_NEWTFILTER */
	struct netl_tc *v;
	size_t n, cap;
};

static void tc_stats(struct netl_tc *t, struct nlattr *stats)
{
	struct tc_stats st;

	if (!stats || nla_len(stats) < (int)sizeof(st))
		return;
	memcpy(&st, nla_data(stats), sizeof(st));
	t->bytes = st.bytes;
	t->packets = st.packets;
	t->drops = st.drops;
	t->qlen = st.qlen;
}

static int tc_parse(struct nlmsghdr *nlh, void *arg)
{
	struct tc_list *l = arg;
	struct nlattr *tb[TCA_MAX + 1], *bo[TCA_BPF_MAX + 1];
	struct tcmsg *t = nlmsg_data(nlh);
	struct netl_tc *e;

	if (nlh->nlmsg_type != l->type)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*t), tb, TCA_MAX, NULL) < 0)
		return -EBADMSG;
	if (l->ifindex && t->tcm_ifindex != l->ifindex)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct netl_tc *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->ifindex = t->tcm_ifindex;
	e->handle = t->tcm_handle;
	e->parent = t->tcm_parent;
	if (l->type == RTM_NEWTFILTER) {
		e->prio = TC_H_MAJ(t->tcm_info) >> 16;
		e->protocol = ntohs((uint16_t)TC_H_MIN(t->tcm_info));
	}
	if (tb[TCA_KIND])
		nla_strlcpy(e->kind, tb[TCA_KIND], sizeof(e->kind));
	if (l->type == RTM_NEWTFILTER && !strcmp(e->kind, "bpf") && tb[TCA_OPTIONS] &&
	    nla_parse_nested(bo, TCA_BPF_MAX, tb[TCA_OPTIONS], NULL) == 0 && bo[TCA_BPF_NAME])
		nla_strlcpy(e->name, bo[TCA_BPF_NAME], sizeof(e->name));
	tc_stats(e, tb[TCA_STATS]);
	return 0;
}

static int tc_list(struct netl *h, struct nl_msg *m, int type, int ifindex, struct netl_tc **out,
		   size_t *n)
{
	struct tc_list l = { .ifindex = ifindex, .type = type };
	int r;

	*out = NULL;
	*n = 0;
	r = dump(h, m, tc_parse, &l);
	if (r < 0) {
		free(l.v);
		return r;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int netl_qdisc_list(struct netl *h, int ifindex, struct netl_tc **out, size_t *n)
{
	return tc_list(h, tc_msg(RTM_GETQDISC, NLM_F_DUMP, ifindex, 0, 0, 0), RTM_NEWQDISC,
		       ifindex, out, n);
}

int netl_filter_list(struct netl *h, int ifindex, uint32_t parent, struct netl_tc **out, size_t *n)
{
	return tc_list(h, tc_msg(RTM_GETTFILTER, NLM_F_DUMP, ifindex, parent, 0, 0),
		       RTM_NEWTFILTER, ifindex, out, n);
}

int netl_clsact_add(struct netl *h, int ifindex)
{
	struct nl_msg *m = tc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex,
				  TC_H_CLSACT, NETL_CLSACT_HANDLE, 0);

	if (m && nla_put_string(m, TCA_KIND, "clsact") < 0) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	return request(h, m);
}

static int count_filters(struct netl *h, int ifindex, uint32_t parent, size_t *n)
{
	struct netl_tc *v = NULL;
	int r = netl_filter_list(h, ifindex, parent, &v, n);

	free(v);
	return r;
}

int netl_clsact_del_if_empty(struct netl *h, int ifindex)
{
	struct netl_tc *v = NULL;
	struct nl_msg *m;
	size_t n = 0, fi = 0, fe = 0;
	bool found = false;
	int r;

	r = netl_qdisc_list(h, ifindex, &v, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (v[i].parent == TC_H_CLSACT && v[i].handle == NETL_CLSACT_HANDLE &&
		    !strcmp(v[i].kind, "clsact"))
			found = true;
	free(v);
	if (!found)
		return 0;
	r = count_filters(h, ifindex, NETL_HOOK_INGRESS, &fi);
	if (!r)
		r = count_filters(h, ifindex, NETL_HOOK_EGRESS, &fe);
	if (r < 0)
		return r;
	if (fi || fe)
		return -ENOTEMPTY;
	m = tc_msg(RTM_DELQDISC, 0, ifindex, TC_H_CLSACT, NETL_CLSACT_HANDLE, 0);
	if (m && nla_put_string(m, TCA_KIND, "clsact") < 0) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	r = request(h, m);
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}

static uint32_t filter_info(uint32_t prio)
{
	return TC_H_MAKE(prio << 16, htons(ETH_P_ALL));
}

int netl_bpf_filter_add(struct netl *h, int ifindex, uint32_t parent, uint32_t prio,
		      uint32_t handle, int prog_fd, const char *name, int mirred_ifindex)
{
	struct nlattr *opts, *acts, *a1, *ao;
	struct nl_msg *m;

	m = tc_msg(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex, parent, handle,
		   filter_info(prio));
	if (!m)
		return -ENOMEM;
	if (nla_put_string(m, TCA_KIND, "bpf") < 0)
		goto nomem;
	opts = nla_nest_start(m, TCA_OPTIONS);
	if (!opts || nla_put_u32(m, TCA_BPF_FD, (uint32_t)prog_fd) < 0 ||
	    nla_put_string(m, TCA_BPF_NAME, name) < 0)
		goto nomem;
	if (!mirred_ifindex) {
		if (nla_put_u32(m, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT) < 0)
			goto nomem;
	} else {
		struct tc_mirred p = {
			.action = TC_ACT_STOLEN,
			.eaction = TCA_EGRESS_REDIR,
			.ifindex = (uint32_t)mirred_ifindex,
		};

		acts = nla_nest_start(m, TCA_BPF_ACT);
		a1 = acts ? nla_nest_start(m, 1) : NULL;
		if (!a1 || nla_put_string(m, TCA_ACT_KIND, "mirred") < 0)
			goto nomem;
		ao = nla_nest_start(m, TCA_ACT_OPTIONS);
		if (!ao || nla_put(m, TCA_MIRRED_PARMS, sizeof(p), &p) < 0)
			goto nomem;
		nla_nest_end(m, ao);
		nla_nest_end(m, a1);
		nla_nest_end(m, acts);
	}
	nla_nest_end(m, opts);
	return request(h, m);
nomem:
	nlmsg_free(m);
	return -ENOMEM;
}

int netl_bpf_filter_del(struct netl *h, int ifindex, uint32_t parent, uint32_t prio,
		      uint32_t handle, const char *name)
{
	struct netl_tc *v = NULL;
	struct nl_msg *m;
	size_t n = 0;
	bool ours = false, other = false;
	int r;

	r = netl_filter_list(h, ifindex, parent, &v, &n);
	if (r == -EINVAL || r == -ENOENT)
		return 0; /* no such hook (clsact gone): nothing of ours is left */
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (v[i].prio != prio || v[i].handle != handle)
			continue;
		if (!strcmp(v[i].kind, "bpf") && !strcmp(v[i].name, name))
			ours = true;
		else
			other = true;
	}
	free(v);
	if (!ours)
		return other ? -EEXIST : 0;
	m = tc_msg(RTM_DELTFILTER, 0, ifindex, parent, handle, filter_info(prio));
	if (m && nla_put_string(m, TCA_KIND, "bpf") < 0) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	r = request(h, m);
	return r == -ENOENT ? 0 : r;
}

static uint32_t ns2ticks(uint64_t ns)
{
	uint64_t t = ns >> PSCHED_SHIFT;

	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

int netl_netem_add(struct netl *h, int ifindex, uint32_t handle, const struct netl_netem *ne)
{
	struct tc_netem_qopt q = {
		.latency = ns2ticks(ne->latency),
		.limit = ne->limit ? ne->limit : 1000,
		.loss = ne->loss,
		.gap = ne->reorder ? (ne->gap ? ne->gap : 1) : 0,
		.duplicate = ne->duplicate,
		.jitter = ns2ticks(ne->jitter),
	};
	struct tc_netem_corr corr = { .delay_corr = ne->delay_corr, .loss_corr = ne->loss_corr };
	struct tc_netem_reorder reorder = { .probability = ne->reorder };
	struct tc_netem_corrupt corrupt = { .probability = ne->corrupt };
	struct tc_netem_rate rate = { 0 };
	struct nlattr *opts;
	struct nl_msg *m;
	int64_t v64;

	m = tc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, TC_H_ROOT, handle, 0);
	if (!m)
		return -ENOMEM;
	if (nla_put_string(m, TCA_KIND, "netem") < 0)
		goto nomem;
	/* netem's TCA_OPTIONS is a struct tc_netem_qopt followed by attributes. */
	opts = nla_nest_start(m, TCA_OPTIONS);
	if (!opts || nlmsg_append(m, &q, sizeof(q), NLMSG_ALIGNTO) < 0)
		goto nomem;
	if (nla_put(m, TCA_NETEM_CORR, sizeof(corr), &corr) < 0)
		goto nomem;
	if (ne->reorder && nla_put(m, TCA_NETEM_REORDER, sizeof(reorder), &reorder) < 0)
		goto nomem;
	if (ne->corrupt && nla_put(m, TCA_NETEM_CORRUPT, sizeof(corrupt), &corrupt) < 0)
		goto nomem;
	if (ne->rate) {
		rate.rate = ne->rate > UINT32_MAX ? UINT32_MAX : (uint32_t)ne->rate;
		if (nla_put(m, TCA_NETEM_RATE, sizeof(rate), &rate) < 0)
			goto nomem;
		if (ne->rate >= UINT32_MAX && nla_put_u64(m, TCA_NETEM_RATE64, ne->rate) < 0)
			goto nomem;
	}
	/* The 64-bit values win over the qopt's 32-bit ticks (Linux 4.15 and later). */
	v64 = (int64_t)ne->latency;
	if (ne->latency && nla_put(m, TCA_NETEM_LATENCY64, sizeof(v64), &v64) < 0)
		goto nomem;
	v64 = (int64_t)ne->jitter;
	if (ne->jitter && nla_put(m, TCA_NETEM_JITTER64, sizeof(v64), &v64) < 0)
		goto nomem;
	if (ne->dist && ne->dist_len &&
	    nla_put(m, TCA_NETEM_DELAY_DIST, (int)(ne->dist_len * sizeof(*ne->dist)), ne->dist) < 0)
		goto nomem;
	nla_nest_end(m, opts);
	return request(h, m);
nomem:
	nlmsg_free(m);
	return -ENOMEM;
}

/* ---- feature probe ------------------------------------------------------------------------ */

static void probe_fail(struct netl *h, enum netl_feature f, enum netl_feature *missing, char *msg,
		       size_t msglen)
{
	*missing = f;
	if (msg && msglen)
		snprintf(msg, msglen, "%s", h ? h->msg : "");
}

int netl_probe_netem(int prog_fd, enum netl_feature *missing, char *msg, size_t msglen)
{
	struct netl_netem ne = { .latency = 1000000 };
	struct netl *h = NULL;
	int saved, ifindex = 0, r, r2;

	*missing = NETL_FEAT_NONE;
	if (msg && msglen)
		msg[0] = '\0';
	r = netl_netns_private(&saved);
	if (r < 0) {
		probe_fail(NULL, NETL_FEAT_NETNS, missing, msg, msglen);
		return r;
	}
	h = netl_open(-1);
	if (!h) {
		r = -errno;
		probe_fail(NULL, NETL_FEAT_NETNS, missing, msg, msglen);
		goto out;
	}
	r = netl_ifb_add(h, "flprobe0", &ifindex);
	if (r < 0) {
		probe_fail(h, NETL_FEAT_IFB, missing, msg, msglen);
		goto out;
	}
	r = netl_netem_add(h, ifindex, 0x10000, &ne);
	if (r < 0) {
		probe_fail(h, NETL_FEAT_NETEM, missing, msg, msglen);
		goto out;
	}
	if (prog_fd < 0)
		goto out;
	r = netl_clsact_add(h, ifindex);
	if (r < 0) {
		probe_fail(h, NETL_FEAT_CLSACT, missing, msg, msglen);
		goto out;
	}
	r = netl_bpf_filter_add(h, ifindex, NETL_HOOK_EGRESS, 1, 1, prog_fd, "faultline-probe",
			      ifindex);
	if (r < 0)
		probe_fail(h, NETL_FEAT_CLS_BPF_MIRRED, missing, msg, msglen);
out:
	/* The namespace, and all in it, goes away with its last reference: our socket. */
	netl_close(h);
	r2 = netl_netns_leave(&saved);
	return r < 0 ? r : r2;
}
