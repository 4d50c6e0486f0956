// SPDX-License-Identifier: GPL-2.0
/*
 * vkmod: V interprocess communication as a Linux socket family.
 *
 * Module-wide settings live here as module parameters; everything per host
 * (per network namespace) is in host.c.  Parameters that shape the family
 * or the wire are read-only after load: changing them under live sockets
 * would break the contract with every peer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/if_ether.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include "vkmod.h"

/* The tracepoints vkmod.h declares are defined here. */
#define CREATE_TRACE_POINTS
#include "trace.h"

int v_family = V_AF_DEFAULT;
module_param_named(family, v_family, int, 0444);
MODULE_PARM_DESC(family, "Address family number of AF_V (default 25, a slot no in-kernel family uses)");

unsigned int v_ethertype = V_ETHERTYPE_DEFAULT;
module_param_named(ethertype, v_ethertype, hexint, 0444);
MODULE_PARM_DESC(ethertype, "EtherType of V kernel frames (default 0x805C)");

u64 v_seg_max = V_SEG_MAX_DEFAULT;
module_param_named(seg_max, v_seg_max, ullong, 0444);
MODULE_PARM_DESC(seg_max, "Largest segment a Send may grant, bytes (default 1 GiB)");

unsigned int v_reply_seg_max = V_REPLY_SEG_MAX_DEFAULT;
module_param_named(reply_seg_max, v_reply_seg_max, uint, 0444);
MODULE_PARM_DESC(reply_seg_max, "Largest ReplyWithSegment data, bytes (default 32 KiB)");

unsigned int v_init_host_part;
module_param_named(host_part, v_init_host_part, uint, 0444);
MODULE_PARM_DESC(host_part, "Host part of the initial network namespace's V host (0 = random)");

unsigned int v_max_aliens_global = 65536;
module_param_named(max_aliens, v_max_aliens_global, uint, 0444);
MODULE_PARM_DESC(max_aliens, "Hard cap on aliens (remote senders held) in all namespaces");

unsigned int v_max_members_global = V_MAX_MEMBERS_MAX;
module_param_named(max_members, v_max_members_global, uint, 0444);
MODULE_PARM_DESC(max_members, "Hard cap on group memberships in all namespaces");

/*
 * A namespace's share of those caps: writable by the initial namespace's
 * administrator alone (sysfs), so no container's owner can raise its own
 * limits past it and starve the others.
 */
unsigned int v_max_aliens_ns;
module_param_named(max_aliens_ns, v_max_aliens_ns, uint, 0644);
MODULE_PARM_DESC(max_aliens_ns, "Aliens any namespace but the initial one may hold (0: a quarter of max_aliens)");

unsigned int v_max_members_ns;
module_param_named(max_members_ns, v_max_members_ns, uint, 0644);
MODULE_PARM_DESC(max_members_ns, "Group memberships any namespace but the initial one may hold (0: a quarter of max_members)");

static char *v_ifaces = "";
module_param_named(ifaces, v_ifaces, charp, 0444);
MODULE_PARM_DESC(ifaces, "Interfaces of the initial namespace to attach at load, comma-separated (needs insecure_ifaces=1)");

/* No key exists at load: attaching then is attaching insecure links. */
static bool v_insecure_ifaces;
module_param_named(insecure_ifaces, v_insecure_ifaces, bool, 0444);
MODULE_PARM_DESC(insecure_ifaces, "Attach the ifaces without a cluster key (unauthenticated links)");

/* Attach the interfaces named by the ifaces parameter. */
static int __init v_attach_ifaces(void)
{
	char *list, *name, *p;
	int err = 0;

	if (*v_ifaces && !v_insecure_ifaces) {
		pr_err("ifaces=%s: no cluster key exists at load; attach with vctl after setting one, or add insecure_ifaces=1\n",
		       v_ifaces);
		return -ENOKEY;
	}
	list = kstrdup(v_ifaces, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	p = list;
	rtnl_lock();
	while (!err && (name = strsep(&p, ","))) {
		struct net_device *dev;

		if (!*name)
			continue;
		dev = __dev_get_by_name(&init_net, name);
		err = dev ? v_eth_link_add(v_host_get(&init_net), dev->ifindex, true) : -ENODEV;
		if (err)
			pr_err("cannot attach %s: %d\n", name, err);
	}
	rtnl_unlock();
	kfree(list);
	/* Links attached: claim the host part (v_host_exit detaches them). */
	if (!err && v_host_get(&init_net)->nr_links) {
		err = v_map_claim(v_host_get(&init_net));
		if (err)
			pr_err("host part %#x is used by another host on the network\n",
			       v_host_get(&init_net)->host_part);
	}
	return err;
}

static int __init v_module_init(void)
{
	int err;

	if (v_family <= 0 || v_family >= NPROTO) {
		pr_err("family %d out of range 1..%d\n", v_family, NPROTO - 1);
		return -EINVAL;
	}
	if (v_init_host_part > V_ID_HOST_MASK) {
		pr_err("host_part %u wider than %d bits\n", v_init_host_part, V_ID_HOST_BITS);
		return -EINVAL;
	}
	if (v_ethertype < ETH_P_802_3_MIN || v_ethertype > 0xffff) {
		pr_err("ethertype %#x is not an EtherType (0x600..0xffff)\n", v_ethertype);
		return -EINVAL;
	}
	if (v_reply_seg_max > v_seg_max || v_seg_max > MAX_RW_COUNT) {
		pr_err("need reply_seg_max <= seg_max <= %d\n", (int)MAX_RW_COUNT);
		return -EINVAL;
	}

	err = v_alien_init();
	if (err)
		return err;
	err = v_host_init();
	if (err)
		goto err_alien;
	err = v_socket_init();
	if (err)
		goto err_host;
	err = v_eth_init();
	if (err)
		goto err_socket;
	err = v_netlink_init();
	if (err)
		goto err_link;
	err = v_attach_ifaces();
	if (err)
		goto err_net;
	pr_info("V IPC loaded (family %d, ethertype 0x%04x)\n", v_family, v_ethertype);
	return 0;

err_net:
	v_netlink_exit();
err_link:
	v_eth_exit();
err_socket:
	v_socket_exit();
err_host:
	v_host_exit();
err_alien:
	v_alien_exit();
	return err;
}

/*
 * The control plane stops first, then Ethernet frames, then the hosts
 * (their links, UDP sockets included, aliens and tables) go with the
 * pernet subsystem.
 */
static void __exit v_module_exit(void)
{
	v_netlink_exit();
	v_eth_exit();
	v_socket_exit();
	v_host_exit();
	v_alien_exit();
}

module_init(v_module_init);
module_exit(v_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("V distributed interprocess communication (AF_V)");
MODULE_AUTHOR("vkmod developers");
