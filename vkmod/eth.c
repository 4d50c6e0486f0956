// SPDX-License-Identifier: GPL-2.0
/*
 * The raw Ethernet bearer: V frames of EtherType `ethertype`, sent with
 * dev_queue_xmit() on attached interfaces and received by one packet_type
 * handler; dev_net(skb->dev) says which host (network namespace) a frame
 * is for.  A link's id is its interface's ifindex.
 *
 * An attached interface listens to V's multicast address (group Sends,
 * see uapi/linux/v.h); what goes to every host goes to its broadcast
 * address.
 *
 * Locking: links change under RTNL (link.c).  Each link holds a tracked
 * reference on its device, so the notifier drops it on NETDEV_UNREGISTER.
 * MTU changes need no action (read at each send); after an address change
 * the host claims its part again, so the other hosts learn the new
 * address at once.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include "vkmod.h"

static const u8 v_eth_mcast[ETH_ALEN] = V_MCAST_ADDR;
static struct packet_type v_eth_packet_type;

static void v_eth_send(struct v_link *l, struct sk_buff *skb, const u8 *mac)
{
	struct net_device *dev = l->eth.dev;

	skb->dev = dev;
	skb->protocol = htons(v_ethertype);
	if (dev_hard_header(skb, dev, v_ethertype, mac, dev->dev_addr, skb->len) < 0) {
		kfree_skb(skb);
		return;
	}
	dev_queue_xmit(skb);
}

static void v_eth_xmit(struct v_link *l, struct sk_buff *skb, const struct v_addr *a)
{
	if (a->family != V_ADDR_ETH) {
		kfree_skb(skb);
		return;
	}
	v_eth_send(l, skb, a->mac);
}

static void v_eth_broadcast(struct v_link *l, struct sk_buff *skb, bool group)
{
	v_eth_send(l, skb, group ? v_eth_mcast : l->eth.dev->broadcast);
}

static unsigned int v_eth_mtu(struct v_link *l, const struct v_addr *a)
{
	return READ_ONCE(l->eth.dev->mtu);
}

static bool v_eth_up(struct v_link *l)
{
	return l->eth.dev->flags & IFF_UP;
}

static bool v_eth_own_addr(struct v_link *l, const struct v_addr *a)
{
	return a->family == V_ADDR_ETH && ether_addr_equal(l->eth.dev->dev_addr, a->mac);
}

static int v_eth_fill(struct v_link *l, struct sk_buff *msg)
{
	struct net_device *dev = l->eth.dev;

	if (nla_put_u32(msg, V_A_LINK_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, V_A_LINK_IFNAME, dev->name) ||
	    nla_put_u32(msg, V_A_LINK_MTU, dev->mtu) ||
	    nla_put(msg, V_A_LINK_ADDR, ETH_ALEN, dev->dev_addr) ||
	    nla_put_u8(msg, V_A_LINK_UP, netif_running(dev) && netif_carrier_ok(dev)))
		return -EMSGSIZE;
	return 0;
}

static void v_eth_release(struct v_link *l)
{
	dev_mc_del(l->eth.dev, v_eth_mcast);
	netdev_put(l->eth.dev, &l->eth.tracker);
}

static const struct v_bearer_ops v_eth_ops = {
	.kind = V_LINK_KIND_ETH,
	.xmit = v_eth_xmit,
	.broadcast = v_eth_broadcast,
	.mtu = v_eth_mtu,
	.up = v_eth_up,
	.own_addr = v_eth_own_addr,
	.fill = v_eth_fill,
	.release = v_eth_release,
};

/*
 * Attach; RTNL held, and the host's cfg_lock (the key stays as it is).
 * Secure by default: without a cluster key a link is attached only when
 * the administrator asks for an insecure one (-ENOKEY otherwise), as any
 * machine on an unauthenticated link can forge any host's frames.
 */
int v_eth_link_add(struct v_host *host, int ifindex, bool insecure)
{
	struct net_device *dev;
	struct v_link *l;
	int err;

	ASSERT_RTNL();
	dev = __dev_get_by_index(host->net, ifindex);
	if (!dev)
		return -ENODEV;
	/* Ids from V_LINK_ID_UDP up are UDP links' (an ifindex may be set). */
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN || ifindex >= V_LINK_ID_UDP)
		return -EINVAL;
	if (v_link_get(host, ifindex))
		return -EEXIST;
	if (!insecure && !v_auth_keyed(host))
		return -ENOKEY;
	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	/* Without the V group address the link would miss every multicast. */
	err = dev_mc_add(dev, v_eth_mcast);
	if (err) {
		kfree(l);
		return err;
	}
	l->ops = &v_eth_ops;
	l->id = ifindex;
	l->insecure = insecure;
	l->eth.dev = dev;
	netdev_hold(dev, &l->eth.tracker, GFP_KERNEL);
	return v_link_insert(host, l);
}

/* The link dev is, if attached; under RCU or RTNL. */
static struct v_link *v_eth_link(struct v_host *host, const struct net_device *dev)
{
	struct v_link *l = v_link_get(host, dev->ifindex);

	return l && l->ops == &v_eth_ops && l->eth.dev == dev ? l : NULL;
}

/* Every V frame on an Ethernet interface arrives here, in softirq context. */
static int v_eth_rcv(struct sk_buff *skb, struct net_device *dev,
		     struct packet_type *pt, struct net_device *orig_dev)
{
	struct v_host *host = v_host_get(dev_net(dev));
	struct v_rx_cb *cb;
	struct v_link *l;

	l = v_eth_link(host, dev);
	if (skb->pkt_type == PACKET_OTHERHOST || skb->pkt_type == PACKET_LOOPBACK || !l)
		goto drop;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return NET_RX_DROP;
	cb = v_rx_cb(skb);
	memset(cb, 0, sizeof(*cb));
	cb->link = l->id;
	cb->from.family = V_ADDR_ETH;
	ether_addr_copy(cb->from.mac, eth_hdr(skb)->h_source);
	v_net_rcv_frame(host, l, skb);
	return NET_RX_SUCCESS;
drop:
	kfree_skb(skb);
	return NET_RX_DROP;
}

static int v_eth_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct v_host *host;
	struct v_link *l;

	if (event != NETDEV_UNREGISTER && event != NETDEV_CHANGEADDR)
		return NOTIFY_DONE;
	host = v_host_get(dev_net(dev));
	l = v_eth_link(host, dev);
	if (!l)
		return NOTIFY_DONE;
	if (event == NETDEV_UNREGISTER) {
		int err;

		v_link_del(host, l->id, &err);	/* an Ethernet link: released now */
	} else {
		v_map_announce(host, l);
	}
	return NOTIFY_DONE;
}

static struct notifier_block v_eth_notifier = {
	.notifier_call = v_eth_event,
};

int v_eth_init(void)
{
	int err = register_netdevice_notifier(&v_eth_notifier);

	if (err)
		return err;
	v_eth_packet_type.type = htons(v_ethertype);
	v_eth_packet_type.func = v_eth_rcv;
	dev_add_pack(&v_eth_packet_type);
	return 0;
}

void v_eth_exit(void)
{
	dev_remove_pack(&v_eth_packet_type);	/* waits for receivers in flight */
	unregister_netdevice_notifier(&v_eth_notifier);
}
