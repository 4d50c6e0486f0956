// SPDX-License-Identifier: GPL-2.0
/*
 * Interfaces attached to V.
 *
 * A host sends and accepts V frames only on interfaces an administrator
 * attached (netlink V_CMD_LINK_ADD, or the ifaces parameter for the
 * initial namespace): plugging V into every interface of a machine would
 * put it on networks nobody chose.
 *
 * An attached link listens to V's multicast address (group Sends, see
 * uapi/linux/v.h), and the host claims its host part on it (map.c).
 *
 * Locking: the link list of a host changes under RTNL (netlink commands
 * and the netdevice notifier both run under it) and is read under RCU on
 * the data path.  Each link holds a tracked reference on its device, so
 * the notifier must drop it on NETDEV_UNREGISTER.  MTU changes need no
 * action (read at each send); after an address change the host claims its
 * part again, so the other hosts learn the new address at once.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include "vkmod.h"

static const u8 v_link_mcast[ETH_ALEN] = V_MCAST_ADDR;

static struct v_link *v_link_find(struct v_host *host, int ifindex)
{
	struct v_link *l;

	list_for_each_entry(l, &host->links, node)
		if (l->dev->ifindex == ifindex)
			return l;
	return NULL;
}

bool v_link_attached(struct v_host *host, const struct net_device *dev)
{
	struct v_link *l;
	bool found = false;

	rcu_read_lock();
	list_for_each_entry_rcu(l, &host->links, node)
		if (l->dev == dev) {
			found = true;
			break;
		}
	rcu_read_unlock();
	return found;
}

/*
 * Is mac the address of one of our own links?  A host with two links on
 * one segment hears its own broadcasts, which are not collisions.
 */
bool v_link_own_addr(struct v_host *host, const u8 *mac)
{
	struct v_link *l;
	bool own = false;

	rcu_read_lock();
	list_for_each_entry_rcu(l, &host->links, node)
		if (ether_addr_equal(l->dev->dev_addr, mac)) {
			own = true;
			break;
		}
	rcu_read_unlock();
	return own;
}

/*
 * Attach; RTNL held, and the host's cfg_lock (the key stays as it is).
 * Secure by default: without a cluster key a link is attached only when
 * the administrator asks for an insecure one (-ENOKEY otherwise), as any
 * machine on an unauthenticated link can forge any host's frames.
 */
int v_link_add(struct v_host *host, int ifindex, bool insecure)
{
	struct net_device *dev;
	struct v_link *l;
	int err;

	ASSERT_RTNL();
	dev = __dev_get_by_index(host->net, ifindex);
	if (!dev)
		return -ENODEV;
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN)
		return -EINVAL;
	if (v_link_find(host, ifindex))
		return -EEXIST;
	if (!insecure && !v_auth_keyed(host))
		return -ENOKEY;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	/* Without the V group address the link would miss every multicast. */
	err = dev_mc_add(dev, v_link_mcast);
	if (err) {
		kfree(l);
		return err;
	}
	l->dev = dev;
	l->insecure = insecure;
	netdev_hold(dev, &l->tracker, GFP_KERNEL);
	list_add_tail_rcu(&l->node, &host->links);
	WRITE_ONCE(host->nr_links, host->nr_links + 1);
	return 0;
}

/*
 * Is a link attached that was not asked to be insecure?  Then the key may
 * not be removed.  The host's cfg_lock held (links are added under it).
 */
bool v_link_any_secure(struct v_host *host)
{
	struct v_link *l;
	bool any = false;

	rcu_read_lock();
	list_for_each_entry_rcu(l, &host->links, node)
		any |= !l->insecure;
	rcu_read_unlock();
	return any;
}

static void v_link_free(struct v_host *host, struct v_link *l)
{
	list_del_rcu(&l->node);
	WRITE_ONCE(host->nr_links, host->nr_links - 1);
	v_map_flush(host, l->dev->ifindex);
	dev_mc_del(l->dev, v_link_mcast);
	netdev_put(l->dev, &l->tracker);
	kfree_rcu(l, rcu);
}

/* Detach; RTNL held. */
int v_link_del(struct v_host *host, int ifindex)
{
	struct v_link *l;

	ASSERT_RTNL();
	l = v_link_find(host, ifindex);
	if (!l)
		return -ENOENT;
	v_link_free(host, l);
	return 0;
}

/*
 * The namespace is going: detach everything, then wait until no receive
 * handler can still be working on a frame from these links, so the alien
 * table can be emptied safely afterwards.
 */
void v_link_host_exit(struct v_host *host)
{
	struct v_link *l, *tmp;

	rtnl_lock();
	list_for_each_entry_safe(l, tmp, &host->links, node)
		v_link_free(host, l);
	rtnl_unlock();
	synchronize_net();
}

static int v_link_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct v_host *host;
	struct v_link *l;

	if (event != NETDEV_UNREGISTER && event != NETDEV_CHANGEADDR)
		return NOTIFY_DONE;
	host = v_host_get(dev_net(dev));
	l = v_link_find(host, dev->ifindex);
	if (!l || l->dev != dev)
		return NOTIFY_DONE;
	if (event == NETDEV_UNREGISTER)
		v_link_free(host, l);
	else
		v_map_announce(host, dev);
	return NOTIFY_DONE;
}

static struct notifier_block v_link_notifier = {
	.notifier_call = v_link_event,
};

int v_link_init(void)
{
	return register_netdevice_notifier(&v_link_notifier);
}

void v_link_exit(void)
{
	unregister_netdevice_notifier(&v_link_notifier);
}
