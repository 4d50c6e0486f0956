// SPDX-License-Identifier: GPL-2.0
/*
 * Memory taken for a receiver's traffic is charged to the receiving
 * socket's memory cgroup (sk->sk_memcg: the cgroup of the task that made
 * the socket; NULL in the root cgroup or without cgroup v2): a remote
 * client's transaction queued for a server (alien.c), the answers queued
 * for a client's thread (net.c, resp_q) and the blocks queued for a mover
 * (train.c, move_q).  A container that never drains what it is sent fills
 * its own memory.max, not the host's memory.
 *
 * Frames arrive in skbs the driver allocated, charged to nobody, so a
 * frame queued for a socket in a cgroup is a copy made under
 * set_active_memcg() with __GFP_ACCOUNT; the original is freed at once.
 * The protocol's socket memory accounting (sk_rmem_schedule()) does not
 * fit: its sk_forward_alloc belongs to the socket lock, which softirq
 * cannot take, and SO_RESERVE_MEM would change it under us.  A copy's
 * charge goes with its memory (slab objects hold their cgroup), so a
 * frame may outlive the socket it was queued for.
 *
 * Not GFP_ATOMIC: its __GFP_HIGH lets a charge pass memory.max (and a
 * remote peer dip into the atomic reserves).  At the limit the frame is
 * dropped (drop_nomem) and its sender retransmits.
 */
#include <linux/sched/mm.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/sock.h>
#include "vkmod.h"

#define V_CHARGE_GFP	(GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT)

/* size zeroed bytes charged to vs's memory cgroup, or NULL. */
void *v_charge_kzalloc(struct v_sock *vs, size_t size)
{
	struct mem_cgroup *old = set_active_memcg(vs->sk.sk_memcg);
	void *p = kzalloc(size, V_CHARGE_GFP);

	set_active_memcg(old);
	return p;
}

/*
 * Make *skb (a frame to queue for vs, from skb->data on) one charged to
 * vs's memory cgroup: a copy, the original consumed; unchanged when vs is
 * in no cgroup.  False, *skb untouched: no memory within the limit.
 */
bool v_charge_skb(struct v_sock *vs, struct sk_buff **skb)
{
	struct mem_cgroup *old;
	struct sk_buff *n;

	if (!vs->sk.sk_memcg)
		return true;
	old = set_active_memcg(vs->sk.sk_memcg);
	n = alloc_skb((*skb)->len, V_CHARGE_GFP);
	set_active_memcg(old);
	if (!n)
		return false;
	if (skb_copy_bits(*skb, 0, skb_put(n, (*skb)->len), (*skb)->len)) {
		kfree_skb(n);
		return false;
	}
	consume_skb(*skb);
	*skb = n;
	return true;
}
