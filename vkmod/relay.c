// SPDX-License-Identifier: GPL-2.0
/*
 * Relaying host-part claims between links (wire version 9: RELAY).
 *
 * A host reaches only the hosts of the links it has: nothing of a
 * transaction is ever relayed.  But host parts must be unique across the
 * whole cluster, and two hosts that share no link would never hear each
 * other's CLAIM.  So a host attached to two links or more (an Ethernet
 * segment and a UDP link, say) relays what keeps host parts unique, and
 * only that: a CLAIM or a FENCE it heard on one link goes, wrapped in a
 * RELAY of its own, to every other link; a DENY answering a relayed CLAIM
 * comes back to it wrapped the same way and goes on to the claimer's side.
 *
 * A RELAY is the relaying host's own frame (its host part, its tag: for
 * all when relayed to a link, for the relaying host when a DENY goes back
 * to it, so that it counts in the counter space of frames for one host,
 * which the colliding claimer of the same host part has not used), its
 * payload the relayed frame's header and claim (the relayed
 * frame's own trailer is not carried: the relaying host vouches for it,
 * as it holds the same key).  A relayed frame teaches no path: the
 * receiver cannot reach its sender through the relaying host.  Hops: a
 * CLAIM or FENCE is relayed once (hops 1); the DENY that answers it goes
 * to the relaying host (hops 1) and on from there (hops 2), never
 * further, so RELAYs cannot loop.  At most V_RELAY_PER_S a second per
 * host: a flood of CLAIMs on one link is not multiplied onto the others
 * (counter relayed; refused ones are not counted apart).
 */
#include "vkmod.h"

#define V_RELAY_PER_S	64
#define V_RELAY_HOPS	2

/* One more relay now, if the second's budget has room. */
static bool v_relay_budget(struct v_host *host)
{
	unsigned long now = jiffies;
	bool ok;

	spin_lock_bh(&host->map_lock);
	if (time_after_eq(now, host->relay_second + HZ)) {
		host->relay_second = now;
		host->relay_count = 0;
	}
	ok = host->relay_count < V_RELAY_PER_S;
	if (ok)
		host->relay_count++;
	spin_unlock_bh(&host->map_lock);
	return ok;
}

/* A RELAY carrying the frame at skb->data (header and claim), hops so far. */
static struct sk_buff *v_relay_frame(struct v_host *host, const struct sk_buff *skb, u8 hops)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	size_t len = sizeof(*h) + be32_to_cpu(h->len);
	struct v_wire_relay *r;
	struct v_wire_hdr *in;
	struct sk_buff *out;

	out = v_net_alloc(host, V_PKT_RELAY, sizeof(*r) + len, GFP_ATOMIC);
	if (!out)
		return NULL;
	r = skb_put_zero(out, sizeof(*r));
	r->hops = hops;
	in = skb_put_data(out, skb->data, len);
	in->flags = 0;		/* no trailer: the relaying host vouches */
	return out;
}

/*
 * Relay the CLAIM, FENCE or DENY at skb->data (checked, this version),
 * heard on link `from` (0: none), to every other link; hops: what it had
 * (0 when heard directly).
 */
void v_relay_out(struct v_host *host, const struct sk_buff *skb, u8 hops)
{
	struct sk_buff *out;

	if (READ_ONCE(host->nr_links) < 2 || hops >= V_RELAY_HOPS || !v_relay_budget(host))
		return;
	out = v_relay_frame(host, skb, hops + 1);
	if (!out)
		return;
	v_stat_inc(host, V_A_STAT_RELAYED);
	v_net_broadcast_except(host, out, false, V_WIRE_AUTH_ALL, v_rx_cb(skb)->link);
}

/*
 * The DENY this host answers a relayed CLAIM with (deny), wrapped for the
 * relaying host (the CLAIM's sender, q), which sends it on.  Consumed.
 */
void v_relay_answer(struct v_host *host, const struct sk_buff *q, u8 hops, struct sk_buff *deny)
{
	const struct v_wire_hdr *rh = (const void *)skb_network_header(q);
	struct sk_buff *out;

	v_net_set_len(deny);
	out = v_relay_frame(host, deny, hops);
	kfree_skb(deny);
	if (out)
		v_net_answer(host, q, be32_to_cpu(rh->src_host), out);
}

/*
 * A RELAY (softirq, authenticated as any frame for all, header and
 * payload pulled): the frame it carries goes to map.c as if heard from
 * the relaying host, marked relayed (no path learned, no further relay
 * beyond V_RELAY_HOPS).  Consumed.
 */
void v_relay_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_relay *r = (const void *)(h + 1);
	const struct v_wire_hdr *in = (const void *)(r + 1);
	u32 len = be32_to_cpu(h->len);
	struct v_rx_cb *cb = v_rx_cb(skb);

	if (len < sizeof(*r) + sizeof(*in) + sizeof(struct v_wire_claim) ||
	    !r->hops || r->hops > V_RELAY_HOPS || in->version != V_WIRE_VERSION ||
	    (in->type != V_PKT_CLAIM && in->type != V_PKT_DENY && in->type != V_PKT_FENCE) ||
	    be32_to_cpu(in->len) != len - sizeof(*r) - sizeof(*in)) {
		v_stat_inc(host, V_A_STAT_DROP_SHORT);
		kfree_skb(skb);
		return;
	}
	cb->relayed = r->hops;
	skb_reset_network_header(skb);	/* the relaying host's header: for answers */
	__skb_pull(skb, sizeof(*h) + sizeof(*r));
	v_map_rcv(host, skb);
}
