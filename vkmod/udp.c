// SPDX-License-Identifier: GPL-2.0
/*
 * The UDP bearer: V frames, the same as on Ethernet, carried in UDP over
 * IPv4 or IPv6, so a V cluster spans routed networks that drop frames of
 * an unknown EtherType (TIPC's udp_media.c, WireGuard's socket.c).
 *
 * A UDP link is a kernel UDP socket bound to a local address and port in
 * the host's network namespace (udp_sock_create(), setup_udp_tunnel_sock():
 * datagrams arrive in v_udp_rcv() in softirq), and the peers it was given.
 * What the raw bearer broadcasts (CLAIM, WHERE, GETPID, GREQUEST, GQUERY,
 * FENCE) goes to each peer in turn; everything else goes to the address
 * the map learned from an authenticated frame.  Frames are never relayed
 * to another link: a host reaches the hosts of the links it has.
 *
 * A UDP link is always authenticated: it is attached only with a cluster
 * key, and there is no insecure option (the key cannot be removed while
 * it is attached, link.c).  On a routed network anyone who can send a
 * datagram to the port could otherwise forge any host's frames.
 *
 * The path MTU: a link carries frames up to its mtu (configured, or 1500
 * less the IP and UDP headers).  A frame the route to its peer cannot
 * carry whole (a tunnel below, a smaller path MTU the IP stack learned)
 * is still sent, fragmented by IP rather than lost, the link's mtu is
 * lowered to what the route carries, and `udp_mtu_lowered` counts it:
 * the next frames fit.  The lowered mtu lasts as long as a learned path
 * MTU does (10 minutes), never below V_UDP_MTU_MIN: one per link, not per
 * peer, as frames are built before their path is known.
 *
 * Locking: the peer list is fixed when the link is made and read without
 * locks; the link is found from the socket through sk_user_data (RCU) and
 * freed after a grace period (link.c); mtu only goes down (READ_ONCE).
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/udp_tunnel.h>
#include <net/xfrm.h>
#include "vkmod.h"

/* A frame IP fragments rather than lose when the path's MTU falls. */
#define V_UDP_FRAME_MAX	V_UDP_MTU_MAX
/* A lowered mtu lasts as long as the kernel keeps a learned path MTU. */
#define V_UDP_MTU_EXPIRES	(600 * HZ)

struct v_udp {
	struct socket *sock;
	struct v_addr local;
	unsigned int mtu_set;		/* the largest V frame, as configured */
	unsigned int mtu;		/* ... lowered by a route (READ_ONCE) */
	unsigned long mtu_at;		/* jiffies: when it was lowered */
	unsigned int npeers;
	struct v_addr peers[];
};

static atomic_t v_udp_next_id = ATOMIC_INIT(0);

static unsigned int v_udp_hdrs(const struct v_udp *u)
{
	return (u->local.family == V_ADDR_IP6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr)) +
	       sizeof(struct udphdr);
}

/*
 * The mtu frames are built for: lowered by a route that carried less, back
 * to the configured one when that is as old as a learned path MTU gets (a
 * forged ICMP message lowers it for no longer than it lowers the route).
 */
static unsigned int v_udp_mtu(struct v_link *l, const struct v_addr *a)
{
	struct v_udp *u = l->udp;

	if (time_after(jiffies, READ_ONCE(u->mtu_at) + V_UDP_MTU_EXPIRES))
		return u->mtu_set;
	return min(READ_ONCE(u->mtu), u->mtu_set);
}

/* A frame the route cannot carry whole: fragmented this once, then fitted. */
static void v_udp_fit(struct v_link *l, struct sk_buff *skb, unsigned int route_mtu)
{
	struct v_udp *u = l->udp;
	unsigned int hdrs = v_udp_hdrs(u), mtu;

	if (route_mtu <= hdrs + sizeof(struct v_wire_hdr) + 64 ||
	    skb->len + hdrs <= route_mtu)
		return;
	mtu = max_t(unsigned int, route_mtu - hdrs, V_UDP_MTU_MIN);
	if (mtu < v_udp_mtu(l, NULL)) {
		WRITE_ONCE(u->mtu_at, jiffies);
		WRITE_ONCE(u->mtu, mtu);
		v_stat_inc(l->host, V_A_STAT_UDP_MTU_LOWERED);
	}
}

static void v_udp_xmit4(struct v_link *l, struct sk_buff *skb, const struct v_addr *a)
{
	struct v_udp *u = l->udp;
	struct sock *sk = u->sock->sk;
	struct flowi4 fl = {
		.saddr = u->local.ip4,
		.daddr = a->ip4,
		.fl4_dport = a->port,
		.fl4_sport = u->local.port,
		.flowi4_proto = IPPROTO_UDP,
	};
	struct rtable *rt;

	rt = ip_route_output_flow(sock_net(sk), &fl, sk);
	if (IS_ERR(rt))
		goto drop;
	v_udp_fit(l, skb, dst_mtu(&rt->dst));
	if (skb_cow_head(skb, LL_RESERVED_SPACE(rt->dst.dev) + v_udp_hdrs(u))) {
		ip_rt_put(rt);
		goto drop;
	}
	skb->ignore_df = 1;
	udp_tunnel_xmit_skb(rt, sk, skb, fl.saddr, fl.daddr, 0, ip4_dst_hoplimit(&rt->dst),
			    0, fl.fl4_sport, fl.fl4_dport, false, false);
	return;
drop:
	v_stat_inc(l->host, V_A_STAT_UDP_TX_ERRORS);
	kfree_skb(skb);
}

static void v_udp_xmit6(struct v_link *l, struct sk_buff *skb, const struct v_addr *a)
{
	struct v_udp *u = l->udp;
	struct sock *sk = u->sock->sk;
	struct flowi6 fl = {
		.saddr = u->local.ip6,
		.daddr = a->ip6,
		.fl6_dport = a->port,
		.fl6_sport = u->local.port,
		.flowi6_proto = IPPROTO_UDP,
	};
	struct dst_entry *dst;

	if (!ipv6_mod_enabled())
		goto drop;
	dst = ipv6_stub->ipv6_dst_lookup_flow(sock_net(sk), sk, &fl, NULL);
	if (IS_ERR(dst))
		goto drop;
	v_udp_fit(l, skb, dst_mtu(dst));
	if (skb_cow_head(skb, LL_RESERVED_SPACE(dst->dev) + v_udp_hdrs(u))) {
		dst_release(dst);
		goto drop;
	}
	skb->ignore_df = 1;
	udp_tunnel6_xmit_skb(dst, sk, skb, NULL, &fl.saddr, &fl.daddr, 0,
			     ip6_dst_hoplimit(dst), 0, fl.fl6_sport, fl.fl6_dport, false);
	return;
drop:
	v_stat_inc(l->host, V_A_STAT_UDP_TX_ERRORS);
	kfree_skb(skb);
}

static void v_udp_xmit(struct v_link *l, struct sk_buff *skb, const struct v_addr *a)
{
	/* Not a frame's device: the tunnel code would count it there. */
	skb->dev = NULL;
	skb_dst_drop(skb);
	if (a->family != l->udp->local.family) {
		kfree_skb(skb);
		return;
	}
	if (a->family == V_ADDR_IP4)
		v_udp_xmit4(l, skb, a);
	else
		v_udp_xmit6(l, skb, a);
}

/* To every peer: a clone each (each gets its own headers, skb_cow_head()). */
static void v_udp_broadcast(struct v_link *l, struct sk_buff *skb, bool group)
{
	struct v_udp *u = l->udp;
	unsigned int i;

	for (i = 0; i + 1 < u->npeers; i++) {
		struct sk_buff *c = skb_clone(skb, GFP_ATOMIC);

		if (c)
			v_udp_xmit(l, c, &u->peers[i]);
	}
	if (u->npeers)
		v_udp_xmit(l, skb, &u->peers[u->npeers - 1]);
	else
		kfree_skb(skb);
}

static bool v_udp_up(struct v_link *l)
{
	return true;
}

static bool v_udp_own_addr(struct v_link *l, const struct v_addr *a)
{
	return v_addr_equal(&l->udp->local, a);
}

static int v_udp_fill(struct v_link *l, struct sk_buff *msg)
{
	struct v_udp *u = l->udp;
	struct nlattr *nest;
	unsigned int i;

	if (nla_put_u32(msg, V_A_LINK_MTU, v_udp_mtu(l, NULL)) ||
	    nla_put_u8(msg, V_A_LINK_UP, 1) ||
	    v_addr_put(msg, V_A_LINK_LOCAL, &u->local))
		return -EMSGSIZE;
	nest = nla_nest_start(msg, V_A_LINK_PEERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < u->npeers; i++)
		if (v_addr_put(msg, V_A_LINK_PEER, &u->peers[i]))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static void v_udp_release(struct v_link *l)
{
	/*
	 * Clears sk_user_data and waits for a grace period: no datagram in
	 * flight and no sender (the link is off the list) still uses it.
	 */
	udp_tunnel_sock_release(l->udp->sock);
	kfree(l->udp);	/* released after a grace period: nobody reads it */
}

static const struct v_bearer_ops v_udp_ops = {
	.kind = V_LINK_KIND_UDP,
	.frame_max = V_UDP_FRAME_MAX,
	.xmit = v_udp_xmit,
	.broadcast = v_udp_broadcast,
	.mtu = v_udp_mtu,
	.up = v_udp_up,
	.own_addr = v_udp_own_addr,
	.fill = v_udp_fill,
	.release = v_udp_release,
};

/*
 * A datagram on a UDP link (softirq, skb->data at its UDP header): its
 * source, then the same path as a frame from Ethernet.  Always consumed.
 */
static int v_udp_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct v_link *l = rcu_dereference_sk_user_data(sk);
	int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	struct v_rx_cb *cb;
	struct v_addr from;

	if (!l || off < 0)
		goto drop;
	memset(&from, 0, sizeof(from));
	from.port = udp_hdr(skb)->source;
	if (ip_hdr(skb)->version == 4) {
		from.family = V_ADDR_IP4;
		from.ip4 = ip_hdr(skb)->saddr;
	} else {
		from.family = V_ADDR_IP6;
		from.ip6 = ipv6_hdr(skb)->saddr;
	}
	if (!pskb_may_pull(skb, off))
		goto drop;
	skb_pull_rcsum(skb, off);
	/*
	 * A frame may be kept for a while (aliens, reply caches): no route
	 * and no conntrack entry to pin the interface or the namespace.
	 */
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	secpath_reset(skb);
	skb->dev = NULL;	/* it may go while a kept frame lives */
	skb_reset_network_header(skb);
	cb = v_rx_cb(skb);
	memset(cb, 0, sizeof(*cb));
	cb->link = l->id;
	cb->from = from;
	v_net_rcv_frame(l->host, l, skb);
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}

static int v_udp_sock(struct v_host *host, struct v_link *l, const struct v_addr *local)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = l,
		.encap_type = 1,
		.encap_rcv = v_udp_rcv,
	};
	struct udp_port_cfg cfg = {
		.local_udp_port = local->port,
		.use_udp_checksums = true,
		.use_udp6_tx_checksums = true,
		.use_udp6_rx_checksums = true,
		.ipv6_v6only = true,
	};
	int err;

	if (local->family == V_ADDR_IP4) {
		cfg.family = AF_INET;
		cfg.local_ip.s_addr = local->ip4;
	} else {
		cfg.family = AF_INET6;
		cfg.local_ip6 = local->ip6;
	}
	err = udp_sock_create(host->net, &cfg, &l->udp->sock);
	if (err)
		return err;
	setup_udp_tunnel_sock(host->net, l->udp->sock, &tcfg);
	return 0;
}

/* UDP links the host has; RTNL held. */
static unsigned int v_udp_links(struct v_host *host)
{
	unsigned int n = 0;
	struct v_link *l;

	list_for_each_entry(l, &host->links, node)
		n += l->ops == &v_udp_ops;
	return n;
}

/*
 * Attach a UDP link bound to local, broadcasting to peers; RTNL held, and
 * the host's cfg_lock.  The link's id (>= V_LINK_ID_UDP), or an error:
 * -ENOKEY without a cluster key, -ENOSPC past V_UDP_LINKS_MAX,
 * -EADDRINUSE for a port in use, -EINVAL for peers of the other family,
 * -EAFNOSUPPORT for IPv6 without it.  What it allocates (the link, its
 * peers) is charged to the caller's memory cgroup.
 */
int v_udp_link_add(struct v_host *host, const struct v_addr *local,
		   const struct v_addr *peers, unsigned int npeers, unsigned int mtu)
{
	struct v_link *l;
	unsigned int i;
	int err;

	ASSERT_RTNL();
	if (!v_auth_keyed(host))
		return -ENOKEY;
	if (v_udp_links(host) >= V_UDP_LINKS_MAX)
		return -ENOSPC;
	if (local->family == V_ADDR_IP6 && !ipv6_mod_enabled())
		return -EAFNOSUPPORT;
	for (i = 0; i < npeers; i++)
		if (peers[i].family != local->family || !v_addr_valid(&peers[i]))
			return -EINVAL;
	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	l->udp = kzalloc(struct_size(l->udp, peers, npeers), GFP_KERNEL_ACCOUNT);
	if (!l->udp) {
		kfree(l);
		return -ENOMEM;
	}
	l->ops = &v_udp_ops;
	l->id = V_LINK_ID_UDP + (atomic_inc_return(&v_udp_next_id) & (V_LINK_ID_UDP - 1));
	l->host = host;
	l->udp->local = *local;
	l->udp->mtu_set = mtu ?: 1500 - v_udp_hdrs(l->udp);
	l->udp->mtu = l->udp->mtu_set;
	l->udp->mtu_at = jiffies - V_UDP_MTU_EXPIRES - 1;
	l->udp->npeers = npeers;
	memcpy(l->udp->peers, peers, npeers * sizeof(*peers));
	err = v_udp_sock(host, l, local);
	if (!err)
		err = v_link_insert(host, l);
	if (err) {
		if (l->udp->sock)
			udp_tunnel_sock_release(l->udp->sock);
		kfree(l->udp);
		kfree(l);
		return err;
	}
	return l->id;
}
