// SPDX-License-Identifier: GPL-2.0
/*
 * Interfaces attached to V.
 *
 * A host sends and accepts V frames only on interfaces an administrator
 * attached (netlink V_CMD_LINK_ADD, or the ifaces parameter for the
 * initial namespace): plugging V into every interface of a machine would
 * put it on networks nobody chose.
 *
 * Locking: the link list of a host changes under RTNL (netlink commands
 * and the netdevice notifier both run under it) and is read under RCU on
 * the data path.  Each link holds a tracked reference on its device, so
 * the notifier must drop it on NETDEV_UNREGISTER.  MTU and address changes
 * need no action: they are read from the device at each send.
 */
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include "vkmod.h"

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

/* Attach; RTNL held. */
int v_link_add(struct v_host *host, int ifindex)
{
	struct net_device *dev;
	struct v_link *l;

	ASSERT_RTNL();
	dev = __dev_get_by_index(host->net, ifindex);
	if (!dev)
		return -ENODEV;
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN)
		return -EINVAL;
	if (v_link_find(host, ifindex))
		return -EEXIST;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->dev = dev;
	netdev_hold(dev, &l->tracker, GFP_KERNEL);
	list_add_tail_rcu(&l->node, &host->links);
	WRITE_ONCE(host->nr_links, host->nr_links + 1);
	return 0;
}

static void v_link_free(struct v_host *host, struct v_link *l)
{
	list_del_rcu(&l->node);
	WRITE_ONCE(host->nr_links, host->nr_links - 1);
	v_map_flush(host, l->dev->ifindex);
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

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	host = v_host_get(dev_net(dev));
	l = v_link_find(host, dev->ifindex);
	if (l && l->dev == dev)
		v_link_free(host, l);
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
