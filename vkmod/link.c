// SPDX-License-Identifier: GPL-2.0
/*
 * Links attached to V, whatever carries them (a bearer: eth.c, udp.c).
 *
 * A host sends and accepts V frames only on links an administrator
 * attached (netlink V_CMD_LINK_ADD, or the ifaces parameter for the
 * initial namespace): plugging V into every interface of a machine would
 * put it on networks nobody chose.  The protocol names a link by its id
 * and a peer by a struct v_addr, and sends through the link's
 * v_bearer_ops: it knows no bearer.
 *
 * Locking: the link list of a host changes under RTNL (netlink commands
 * and the netdevice notifier both run under it) and is read under RCU on
 * the data path; links are freed after a grace period.
 */
#include <linux/etherdevice.h>
#include <linux/in.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/ipv6.h>
#include "vkmod.h"

/* The link with this id, under RCU or RTNL; NULL when none is attached. */
struct v_link *v_link_get(struct v_host *host, int id)
{
	struct v_link *l;

	list_for_each_entry_rcu(l, &host->links, node, lockdep_rtnl_is_held())
		if (l->id == id)
			return l;
	return NULL;
}

/* Add l (its id set) to the host's links; RTNL held. */
int v_link_insert(struct v_host *host, struct v_link *l)
{
	ASSERT_RTNL();
	if (v_link_get(host, l->id))
		return -EEXIST;
	l->host = host;
	list_add_tail_rcu(&l->node, &host->links);
	WRITE_ONCE(host->nr_links, host->nr_links + 1);
	return 0;
}

bool v_addr_equal(const struct v_addr *a, const struct v_addr *b)
{
	if (a->family != b->family)
		return false;
	switch (a->family) {
	case V_ADDR_ETH:
		return ether_addr_equal(a->mac, b->mac);
	case V_ADDR_IP4:
		return a->ip4 == b->ip4 && a->port == b->port;
	case V_ADDR_IP6:
		return ipv6_addr_equal(&a->ip6, &b->ip6) && a->port == b->port;
	}
	return false;
}

/* May frames be sent to a (a source address a host can answer)? */
bool v_addr_valid(const struct v_addr *a)
{
	switch (a->family) {
	case V_ADDR_ETH:
		return is_valid_ether_addr(a->mac);
	case V_ADDR_IP4:
		return a->port && !ipv4_is_zeronet(a->ip4) && !ipv4_is_multicast(a->ip4) &&
		       !ipv4_is_lbcast(a->ip4);
	case V_ADDR_IP6:
		return a->port && !ipv6_addr_any(&a->ip6) && !ipv6_addr_is_multicast(&a->ip6);
	}
	return false;
}

/*
 * A source key for an unvouched-for peer (alien.c): link and address,
 * hashed with the host's secret, bit 63 set (a host part never has it).
 */
u64 v_addr_hash(struct v_host *host, int link, const struct v_addr *a)
{
	struct {
		int link;
		struct v_addr a;
	} k = { .link = link };

	memset(&k.a, 0, sizeof(k.a));	/* the hash reads the padding */
	k.a.family = a->family;
	k.a.port = a->port;
	k.a.ip6 = a->ip6;		/* the widest member: all of the union */
	return BIT_ULL(63) | siphash(&k, sizeof(k), &host->hash_key);
}

/* a as a netlink attribute: ETH_ALEN bytes, or a struct sockaddr_in(6). */
int v_addr_put(struct sk_buff *msg, int attr, const struct v_addr *a)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	switch (a->family) {
	case V_ADDR_ETH:
		return nla_put(msg, attr, ETH_ALEN, a->mac);
	case V_ADDR_IP4:
		s4.sin_addr.s_addr = a->ip4;
		s4.sin_port = a->port;
		return nla_put(msg, attr, sizeof(s4), &s4);
	case V_ADDR_IP6:
		s6.sin6_addr = a->ip6;
		s6.sin6_port = a->port;
		return nla_put(msg, attr, sizeof(s6), &s6);
	}
	return 0;
}

/*
 * Is a one of this host's own addresses?  A host with two links on one
 * segment hears its own broadcasts, which are not collisions.
 */
bool v_link_own_addr(struct v_host *host, const struct v_addr *a)
{
	struct v_link *l;
	bool own = false;

	rcu_read_lock();
	list_for_each_entry_rcu(l, &host->links, node)
		if (l->ops->own_addr(l, a)) {
			own = true;
			break;
		}
	rcu_read_unlock();
	return own;
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

/* Take l off the host's list (RTNL held): no new sender or receiver finds it. */
static void v_link_unlink(struct v_host *host, struct v_link *l)
{
	list_del_rcu(&l->node);
	WRITE_ONCE(host->nr_links, host->nr_links - 1);
}

/*
 * Release an unlinked link: its bearer first (a UDP link waits there for
 * the receivers and senders that may still hold it), then the paths on
 * it, which nothing can add again once v_map_set() no longer finds the
 * link (map.c checks under map_lock).  A UDP link's release sleeps for a
 * grace period: called without RTNL, but for an Ethernet link's, which
 * does not sleep and must drop its device under the notifier.
 */
static void v_link_release(struct v_host *host, struct v_link *l)
{
	l->ops->release(l);
	v_map_flush(host, l->id);
	kfree_rcu(l, rcu);
}

/*
 * Detach a link (RTNL held): an Ethernet link at once; a UDP link is
 * only unlinked, and returned for v_link_put() after RTNL is dropped (NULL
 * when done).  -ENOENT when not attached.
 */
struct v_link *v_link_del(struct v_host *host, int id, int *err)
{
	struct v_link *l;

	ASSERT_RTNL();
	l = v_link_get(host, id);
	*err = l ? 0 : -ENOENT;
	if (!l)
		return NULL;
	v_link_unlink(host, l);
	if (l->ops->kind == V_LINK_KIND_ETH) {
		v_link_release(host, l);
		return NULL;
	}
	return l;
}

/* The rest of v_link_del(), without RTNL. */
void v_link_put(struct v_host *host, struct v_link *l)
{
	if (l)
		v_link_release(host, l);
}

/*
 * The namespace is going: detach everything, then wait until no receive
 * handler can still be working on a frame from these links, so the alien
 * table can be emptied safely afterwards.
 */
void v_link_host_exit(struct v_host *host)
{
	struct v_link *l, *tmp;
	LIST_HEAD(gone);

	rtnl_lock();
	list_for_each_entry_safe(l, tmp, &host->links, node) {
		v_link_unlink(host, l);
		list_add(&l->gone, &gone);
	}
	rtnl_unlock();
	synchronize_net();
	/* Released without RTNL: a UDP link's release waits a grace period. */
	list_for_each_entry_safe(l, tmp, &gone, gone)
		v_link_release(host, l);
}
