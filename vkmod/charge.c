// SPDX-License-Identifier: GPL-2.0
/*
 * Memory taken for a receiver's traffic is charged to the receiving
 * socket's memory cgroup (sk->sk_memcg: the cgroup of the task that made
 * the socket; NULL in the root cgroup, with cgroup.memory=nosocket, or on
 * cgroup v1 without tcp kmem accounting): a remote client's transaction
 * queued for a server (alien.c), the answers queued for a client's thread
 * (net.c, resp_q) and the blocks queued for a mover (train.c, move_q).  A
 * container that never drains what it is sent fills its own memory.max,
 * not the host's memory.
 *
 * Frames arrive in skbs the driver allocated, charged to nobody, so a
 * frame queued for a socket in a cgroup is a copy made under
 * set_active_memcg() with __GFP_ACCOUNT, and the original is freed.  The
 * protocol's socket accounting (sk_rmem_schedule()) would avoid the copy
 * but does not fit: mem_cgroup_charge_skmem() is not exported, and the
 * sk_forward_alloc the exported helpers keep belongs to the socket lock,
 * which softirq cannot take (SO_RESERVE_MEM changes it under that lock).
 * A copy's charge goes with its memory (slab objects hold their cgroup),
 * so a frame may outlive the socket it was queued for.  On systemd hosts
 * nearly every socket is in some cgroup: answers are copied once more.
 *
 * At memory.max a charge fails (GFP_NOWAIT cannot reclaim; GFP_ATOMIC's
 * __GFP_HIGH would pass the limit every time) and the frame is dropped
 * (drop_nomem) for its sender to retransmit, unless the receiver's queue
 * is nearly empty (@must, fewer than V_CHARGE_MIN queued): then it is
 * charged past the limit, as TCP's receive queue is, so that a container
 * that sits at memory.max with page cache (the usual state of a busy one)
 * still gets its answers, a few at a time.  The queues' own caps bound
 * what may pass the limit.  __GFP_NOMEMALLOC: never the emergency reserves.
 */
#include <linux/sched/mm.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/sock.h>
#include "vkmod.h"

static gfp_t v_charge_gfp(const struct v_sock *vs, bool must)
{
	gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC;

	/* No cgroup: nothing to charge (and not the current task's). */
	if (!vs->sk.sk_memcg)
		return gfp;
	return gfp | __GFP_ACCOUNT | (must ? __GFP_HIGH : 0);
}

/* size zeroed bytes charged to vs's memory cgroup, or NULL. */
void *v_charge_kzalloc(struct v_sock *vs, size_t size, bool must)
{
	struct mem_cgroup *old = set_active_memcg(vs->sk.sk_memcg);
	void *p = kzalloc(size, v_charge_gfp(vs, must));

	set_active_memcg(old);
	return p;
}

/*
 * skb (a frame to queue for vs, from skb->data on) as one charged to vs's
 * memory cgroup: a copy, skb consumed; skb itself when vs is in no cgroup.
 * NULL, skb untouched: no memory within the limit.  vs must be pinned.
 */
/* Uninitialised, and never past memory.max (no __GFP_HIGH): data that is a convenience. */
void *v_charge_kmalloc(struct v_sock *vs, size_t size)
{
	struct mem_cgroup *old = set_active_memcg(vs->sk.sk_memcg);
	void *p = kmalloc(size, v_charge_gfp(vs, false));

	set_active_memcg(old);
	return p;
}

struct sk_buff *v_charge_skb(struct v_sock *vs, struct sk_buff *skb, bool must)
{
	struct mem_cgroup *old;
	struct sk_buff *n;

	if (!vs->sk.sk_memcg)
		return skb;
	old = set_active_memcg(vs->sk.sk_memcg);
	n = alloc_skb(skb->len, v_charge_gfp(vs, must));
	set_active_memcg(old);
	if (!n)
		return NULL;
	if (skb_copy_bits(skb, 0, skb_put(n, skb->len), skb->len)) {
		kfree_skb(n);
		return NULL;
	}
	consume_skb(skb);
	return n;
}
