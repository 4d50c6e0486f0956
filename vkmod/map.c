// SPDX-License-Identifier: GPL-2.0
/*
 * The mapping table: where a host part lives (which attached interface,
 * which MAC address).
 *
 * Every accepted frame teaches the table its source host part's interface
 * and address, so an entry corrects itself when a host comes back with
 * another MAC or on another link; a host part with no entry is reached by
 * broadcast (net.c).  Ids never change when addresses do.
 *
 * Locking: writers (softirq receive, link removal) take map_lock with _bh;
 * readers use RCU; entries are freed with kfree_rcu.  The table is bounded
 * (V_MAP_MAX entries per host); when full, new host parts are not learned
 * and keep being reached by broadcast.
 */
#include <linux/etherdevice.h>
#include <linux/hash.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include "vkmod.h"

#define V_MAP_MAX	4096

struct v_map_entry {
	struct hlist_node node;
	u32 host_part;
	int ifindex;
	u8 mac[ETH_ALEN];
	struct rcu_head rcu;
};

static struct hlist_head *v_map_bucket(struct v_host *host, u32 host_part)
{
	return &host->map[hash_32(host_part, ilog2(V_MAP_BUCKETS))];
}

static struct v_map_entry *v_map_find(struct v_host *host, u32 host_part)
{
	struct v_map_entry *e;

	hlist_for_each_entry_rcu(e, v_map_bucket(host, host_part), node,
				 lockdep_is_held(&host->map_lock))
		if (e->host_part == host_part)
			return e;
	return NULL;
}

void v_map_learn(struct v_host *host, u32 host_part, const struct net_device *dev,
		 const u8 *mac)
{
	struct v_map_entry *e;

	if (!host_part || host_part == host->host_part || !is_valid_ether_addr(mac))
		return;
	rcu_read_lock();
	e = v_map_find(host, host_part);
	if (e && e->ifindex == dev->ifindex && ether_addr_equal(e->mac, mac)) {
		rcu_read_unlock();
		return;		/* the usual case: nothing new */
	}
	rcu_read_unlock();

	spin_lock_bh(&host->map_lock);
	e = v_map_find(host, host_part);
	if (e) {
		/* Moved: replace, so readers never see half an update. */
		struct v_map_entry *n = kmemdup(e, sizeof(*e), GFP_ATOMIC);

		if (n) {
			n->ifindex = dev->ifindex;
			ether_addr_copy(n->mac, mac);
			hlist_replace_rcu(&e->node, &n->node);
			kfree_rcu(e, rcu);
		}
	} else if (host->nr_map < V_MAP_MAX) {
		e = kzalloc(sizeof(*e), GFP_ATOMIC);
		if (e) {
			e->host_part = host_part;
			e->ifindex = dev->ifindex;
			ether_addr_copy(e->mac, mac);
			hlist_add_head_rcu(&e->node, v_map_bucket(host, host_part));
			host->nr_map++;
		}
	}
	spin_unlock_bh(&host->map_lock);
}

/* Where is host_part?  Caller holds rcu_read_lock(). */
bool v_map_lookup(struct v_host *host, u32 host_part, int *ifindex, u8 *mac)
{
	struct v_map_entry *e = v_map_find(host, host_part);

	if (!e)
		return false;
	*ifindex = e->ifindex;
	ether_addr_copy(mac, e->mac);
	return true;
}

/* Forget the entries learned on an interface (0: all of them). */
void v_map_flush(struct v_host *host, int ifindex)
{
	struct v_map_entry *e;
	struct hlist_node *tmp;
	int i;

	spin_lock_bh(&host->map_lock);
	for (i = 0; i < V_MAP_BUCKETS; i++)
		hlist_for_each_entry_safe(e, tmp, &host->map[i], node)
			if (!ifindex || e->ifindex == ifindex) {
				hlist_del_rcu(&e->node);
				host->nr_map--;
				kfree_rcu(e, rcu);
			}
	spin_unlock_bh(&host->map_lock);
}

/* Dump the table (cb->args: bucket, position in it). */
int v_map_dump(struct v_host *host, struct sk_buff *skb, struct netlink_callback *cb)
{
	long bucket = cb->args[0], skip = cb->args[1], i;
	struct v_map_entry *e;

	rcu_read_lock();
	for (; bucket < V_MAP_BUCKETS; bucket++, skip = 0) {
		i = 0;
		hlist_for_each_entry_rcu(e, &host->map[bucket], node) {
			void *hdr;

			if (i++ < skip)
				continue;
			hdr = v_genl_dump_start(skb, cb, V_CMD_MAP_GET);
			if (!hdr)
				goto full;
			if (nla_put_u32(skb, V_A_MAP_HOST, e->host_part) ||
			    nla_put_u32(skb, V_A_LINK_IFINDEX, e->ifindex) ||
			    nla_put(skb, V_A_LINK_ADDR, ETH_ALEN, e->mac)) {
				genlmsg_cancel(skb, hdr);
				goto full;
			}
			genlmsg_end(skb, hdr);
			cb->args[1] = i;
		}
		cb->args[0] = bucket + 1;
		cb->args[1] = 0;
	}
full:
	rcu_read_unlock();
	return skb->len;
}
