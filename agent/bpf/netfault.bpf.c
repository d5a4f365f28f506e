// SPDX-License-Identifier: MIT
/*
 * The network fault classifier.  One copy is loaded per fault; its .rodata says what to
 * match and what to do, its maps hold the address and port sets.
 *
 * Modes:
 *  - direct (bpf engine; tcx link or cls_bpf direct-action): drop (loss, blackhole) or flip
 *    one payload bit (corrupt) in matching packets; everything else continues down the chain
 *    (TC_ACT_UNSPEC, which is also tcx's TCX_NEXT).
 *  - classify (netem engine; cls_bpf without direct-action): return -1 ("matched, default
 *    class") for matching packets so that the filter's mirred action steers them into the
 *    fault's IFB device, whose root qdisc is netem; 0 for the rest ("no match").
 *
 * Only helpers and context fields that Linux 6.1 has are used: the same object must load on
 * Debian 12's kernel.
 *
 * The program reads only wire formats (Ethernet, IPv4, IPv6, TCP, UDP headers) and the uapi
 * __sk_buff, whose layouts no kernel changes: none of them needs a CO-RE relocation.  Without
 * the preserve_access_index that vmlinux.h puts on every struct, the object carries no
 * relocation, so libbpf does not read and parse the kernel's BTF (about 6 MB) on every load:
 * that parse was most of the time a network fault took to apply.  Any future access to a
 * kernel-internal struct must use BPF_CORE_READ() (bpf_core_read.h) explicitly.
 */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "netfault.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2
#define NF_IPPROTO_ICMPV6 58
#define NF_IPPROTO_SCTP 132
#define NF_IPPROTO_UDPLITE 136
#define NF_IP_OFFSET 0x1fff
#define NF_IPV6_EXT_MAX 4

const volatile struct nf_config cfg = {};
/* netem engine: packets coming back from this IFB device were already steered once. */
volatile __u32 ifb_ifindex;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct nf_lpm4_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
} addr4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct nf_lpm6_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
} addr6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, 1);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct nf_counters);
	__uint(max_entries, NF_DIR_MAX);
} counters SEC(".maps");

struct pkt {
	__u32 l4_off;
	__u8 proto;
	__u8 v6;
	__u8 has_l4; /* the L4 header is in this packet (not a later fragment) */
	__u8 has_ports;
	__u16 rport, lport; /* host order */
	__u8 raddr[16], laddr[16];
};

static __always_inline bool roll(__u32 threshold)
{
	return threshold == 0xffffffffu || bpf_get_prandom_u32() < threshold;
}

static __always_inline int parse_v4(struct __sk_buff *skb, struct pkt *p, bool ingress)
{
	struct iphdr ip;

	if (bpf_skb_load_bytes(skb, cfg.l2_len, &ip, sizeof(ip)) < 0)
		return -1;
	if (ip.version != 4 || ip.ihl < 5)
		return -1;
	p->proto = ip.protocol;
	p->l4_off = cfg.l2_len + ip.ihl * 4;
	p->has_l4 = !(bpf_ntohs(ip.frag_off) & NF_IP_OFFSET);
	__builtin_memcpy(ingress ? p->laddr : p->raddr, &ip.daddr, 4);
	__builtin_memcpy(ingress ? p->raddr : p->laddr, &ip.saddr, 4);
	return 0;
}

static __always_inline int parse_v6(struct __sk_buff *skb, struct pkt *p, bool ingress)
{
	struct ipv6hdr ip6;
	__u32 off;
	__u8 nh;

	if (bpf_skb_load_bytes(skb, cfg.l2_len, &ip6, sizeof(ip6)) < 0)
		return -1;
	if (ip6.version != 6)
		return -1;
	__builtin_memcpy(ingress ? p->laddr : p->raddr, &ip6.daddr, 16);
	__builtin_memcpy(ingress ? p->raddr : p->laddr, &ip6.saddr, 16);
	p->v6 = 1;
	p->has_l4 = 1;
	nh = ip6.nexthdr;
	off = cfg.l2_len + sizeof(ip6);
#pragma unroll
	for (int i = 0; i < NF_IPV6_EXT_MAX; i++) {
		__u8 ext[8];

		if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
			break;
		if (bpf_skb_load_bytes(skb, off, ext, sizeof(ext)) < 0)
			return -1;
		if (nh == 44) { /* fragment header: offset in ext[2..3] */
			if ((((__u16)ext[2] << 8) | ext[3]) & 0xfff8)
				p->has_l4 = 0;
			off += 8;
		} else if (nh == 51) { /* AH: length in 4-octet units, minus 2 */
			off += ((__u32)ext[1] + 2) * 4;
		} else {
			off += ((__u32)ext[1] + 1) * 8;
		}
		nh = ext[0];
	}
	p->proto = nh;
	p->l4_off = off;
	return 0;
}

static __always_inline int parse(struct __sk_buff *skb, struct pkt *p, bool ingress)
{
	__u16 pp[2];
	int r;

	if (skb->protocol == bpf_htons(ETH_P_IP))
		r = parse_v4(skb, p, ingress);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		r = parse_v6(skb, p, ingress);
	else
		return -1;
	if (r < 0)
		return r;
	if (!p->has_l4)
		return 0;
	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case NF_IPPROTO_SCTP:
	case NF_IPPROTO_UDPLITE:
		if (bpf_skb_load_bytes(skb, p->l4_off, pp, sizeof(pp)) < 0)
			return 0;
		p->has_ports = 1;
		/* pp[0] source, pp[1] destination */
		p->rport = bpf_ntohs(ingress ? pp[0] : pp[1]);
		p->lport = bpf_ntohs(ingress ? pp[1] : pp[0]);
		break;
	default:
		break;
	}
	return 0;
}

static __always_inline bool in_addr(const struct pkt *p, __u32 set, bool remote)
{
	if (p->v6) {
		struct nf_lpm6_key k = { .prefixlen = 32 + 128, .set = set };

		if (!(cfg.flags & NF_F_ADDR6(set)))
			return false;
		__builtin_memcpy(k.addr, remote ? p->raddr : p->laddr, 16);
		return bpf_map_lookup_elem(&addr6, &k) != NULL;
	} else {
		struct nf_lpm4_key k = { .prefixlen = 32 + 32, .set = set };

		if (!(cfg.flags & NF_F_ADDR4(set)))
			return false;
		__builtin_memcpy(k.addr, remote ? p->raddr : p->laddr, 4);
		return bpf_map_lookup_elem(&addr4, &k) != NULL;
	}
}

static __always_inline bool in_port(const struct pkt *p, __u32 set, bool remote)
{
	__u32 k;

	if (!(cfg.flags & NF_F_PORT(set)) || !p->has_ports)
		return false;
	k = NF_PORT_KEY(set, remote ? p->rport : p->lport);
	return bpf_map_lookup_elem(&ports, &k) != NULL;
}

static __always_inline bool proto_ok(const struct pkt *p)
{
	if (cfg.proto == NF_PROTO_ANY || cfg.proto == p->proto)
		return true;
	return cfg.proto == IPPROTO_ICMP && p->v6 && p->proto == NF_IPPROTO_ICMPV6;
}

static __always_inline bool matches(const struct pkt *p)
{
	if (!proto_ok(p))
		return false;
	if ((cfg.flags & NF_F_ADDR(NF_SET_REMOTE)) && !in_addr(p, NF_SET_REMOTE, true))
		return false;
	if ((cfg.flags & NF_F_ADDR(NF_SET_LOCAL)) && !in_addr(p, NF_SET_LOCAL, false))
		return false;
	if ((cfg.flags & NF_F_PORT(NF_SET_REMOTE)) && !in_port(p, NF_SET_REMOTE, true))
		return false;
	if ((cfg.flags & NF_F_PORT(NF_SET_LOCAL)) && !in_port(p, NF_SET_LOCAL, false))
		return false;
	return true;
}

static __always_inline bool excluded(const struct pkt *p)
{
	/* SSH in either direction, client or server side, unless the target allows it. */
	if (!(cfg.flags & NF_F_ALLOW_SSH) && p->proto == IPPROTO_TCP && p->has_ports &&
	    (p->rport == NF_SSH_PORT || p->lport == NF_SSH_PORT))
		return true;
	return in_addr(p, NF_SET_XREMOTE, true) || in_addr(p, NF_SET_XLOCAL, false) ||
	       in_port(p, NF_SET_XREMOTE, true) || in_port(p, NF_SET_XLOCAL, false);
}

/*
 * Flip one random bit of one random byte of the L4 payload, and keep the L4 checksum
 * consistent with the new payload: the corrupted data reaches the application, as it
 * would if the bit flipped on the wire behind a checksum that missed it.
 * bpf_l4_csum_replace() does what each ip_summed needs: it updates a complete checksum
 * (CHECKSUM_NONE/UNNECESSARY, and the field under CHECKSUM_COMPLETE, whose skb->csum the
 * unchanged total keeps right) and leaves the pseudo-header seed of CHECKSUM_PARTIAL alone,
 * since the final checksum is computed over the corrupted bytes later.
 */
static __always_inline int corrupt(struct __sk_buff *skb, const struct pkt *p)
{
	__u64 flags = 2; /* BPF_F_HDR_FIELD_MASK: a 16-bit field */
	__u32 hl, csum_off, start, len, pos, rel, woff;
	union {
		__u8 b[2];
		__u16 w;
	} word = { .w = 0 };
	__u8 b0 = 0, b1 = 0, mask, b;
	__u16 from, to;

	if (!p->has_l4)
		return -1;
	switch (p->proto) {
	case IPPROTO_TCP:
		if (bpf_skb_load_bytes(skb, p->l4_off + 12, &b, 1) < 0)
			return -1;
		hl = (__u32)(b >> 4) * 4;
		csum_off = p->l4_off + 16;
		break;
	case IPPROTO_UDP:
		hl = 8;
		csum_off = p->l4_off + 6;
		flags |= BPF_F_MARK_MANGLED_0; /* a zero UDP checksum means "none": keep it */
		break;
	case IPPROTO_ICMP:
	case NF_IPPROTO_ICMPV6:
		hl = 8;
		csum_off = p->l4_off + 2;
		break;
	default:
		return -1;
	}
	start = p->l4_off + hl;
	if (skb->len <= start)
		return -1; /* no payload: nothing to corrupt */
	len = skb->len - start;
	pos = start + bpf_get_prandom_u32() % len;
	/* The checksum adds 16-bit words counted from the start of the L4 header. */
	rel = pos - p->l4_off;
	woff = pos - (rel & 1);
	if (bpf_skb_load_bytes(skb, woff, &b0, 1) < 0)
		return -1;
	if (woff + 1 < skb->len && bpf_skb_load_bytes(skb, woff + 1, &b1, 1) < 0)
		return -1;
	word.b[0] = b0;
	word.b[1] = b1;
	from = word.w;
	/* Scalars, not w[rel & 1]: the verifier refuses a variable offset into the stack. */
	mask = (__u8)(1u << (bpf_get_prandom_u32() & 7));
	if (rel & 1) {
		b1 ^= mask;
		b = b1;
	} else {
		b0 ^= mask;
		b = b0;
	}
	word.b[0] = b0;
	word.b[1] = b1;
	to = word.w;
	if (bpf_skb_store_bytes(skb, pos, &b, 1, 0) < 0)
		return -1;
	if (bpf_l4_csum_replace(skb, csum_off, from, to, flags) < 0)
		return -1;
	return 0;
}

static __always_inline int run(struct __sk_buff *skb, __u32 dir)
{
	const bool classify = cfg.flags & NF_F_CLASSIFY;
	const int pass = classify ? 0 : TC_ACT_UNSPEC;
	struct nf_counters *c;
	struct pkt p = {};

	/*
	 * netem engine, egress: the IFB device hands steered packets back to this device, and
	 * they meet this filter again.  Report a match (uncounted): the mirred action then sees
	 * the IFB's skip-classify mark, consumes it and passes the packet on.
	 */
	if (classify && ifb_ifindex && skb->ingress_ifindex == ifb_ifindex)
		return -1;
	if (parse(skb, &p, dir == NF_DIR_INGRESS) < 0)
		return pass;
	c = bpf_map_lookup_elem(&counters, &dir);
	if (!c)
		return pass;
	c->seen++;
	if (!matches(&p))
		return pass;
	if (excluded(&p)) {
		c->excluded++;
		return pass;
	}
	c->matched++;
	if (classify) {
		c->steered++;
		return -1;
	}
	if ((cfg.flags & NF_F_BLACKHOLE) || (cfg.loss && roll(cfg.loss))) {
		c->dropped++;
		return TC_ACT_SHOT;
	}
	if (cfg.corrupt && roll(cfg.corrupt) && corrupt(skb, &p) == 0)
		c->corrupted++;
	return pass;
}

SEC("tc")
int fl_egress(struct __sk_buff *skb)
{
	return run(skb, NF_DIR_EGRESS);
}

SEC("tc")
int fl_ingress(struct __sk_buff *skb)
{
	return run(skb, NF_DIR_INGRESS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
