// SPDX-License-Identifier: GPL-2.0
/*
 * Frames held while WHERE asks for their host.
 *
 * A frame for one host whose address the mapping table does not know is
 * never broadcast: a broadcast answer would let any LAN machine turn one
 * small frame naming a host part into frames on every link (and shows
 * every host what was meant for one).  It is held here, a WHERE asks for
 * the host part, and the HERE (or CLAIM) that answers sends it on to the
 * address it came from (v_where_release(), from map.c), even when the
 * mapping table is full and keeps no entry.  A frame nobody answers for
 * within V_WHERE_HOLD_MS is dropped: every frame held is one that is
 * retransmitted or asked for again.
 *
 * Bounds: V_WHERE_HELD_MAX frames per host, at most V_WHERE_PART_MAX of
 * them for one host part; a frame beyond either is dropped (counted as no
 * memory).  One WHERE per host part and V_WHERE_ASK_MS, however many
 * frames wait for it.  A work item drops what waited too long even when
 * nothing else happens.
 *
 * Locking: where_lock (taken with _bh: frames are sent from softirq and
 * from process context) guards host->where_q; frames are sent after it is
 * dropped.  skb->cb of a held frame holds struct v_where_cb.
 */
#include "vkmod.h"

#define V_WHERE_HELD_MAX	256
#define V_WHERE_PART_MAX	128	/* a whole RESPONSE, train or GMEMBERS answer */
#define V_WHERE_HOLD_MS		1000
#define V_WHERE_ASK_MS		100

struct v_where_cb {
	u32 host_part;			/* the host the frame is for */
	unsigned long since;		/* jiffies: held since */
	unsigned long asked;		/* jiffies: its WHERE went out */
};

static struct v_where_cb *v_where_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct v_where_cb) > sizeof(skb->cb));
	return (struct v_where_cb *)skb->cb;
}

/* Move the frames held too long, or (part non-zero) for part, to out. */
static void v_where_take(struct v_host *host, u32 part, struct sk_buff_head *out,
			 struct sk_buff_head *old)
{
	unsigned long limit = msecs_to_jiffies(V_WHERE_HOLD_MS);
	struct sk_buff *skb, *tmp;

	skb_queue_walk_safe(&host->where_q, skb, tmp) {
		struct v_where_cb *cb = v_where_cb(skb);

		if (time_after(jiffies, cb->since + limit)) {
			__skb_unlink(skb, &host->where_q);
			__skb_queue_tail(old, skb);
		} else if (part && cb->host_part == part) {
			__skb_unlink(skb, &host->where_q);
			__skb_queue_tail(out, skb);
		}
	}
}

/* Is held frame s the same client's same request as skb (a retransmission)? */
static bool v_where_same_request(const struct sk_buff *s, const struct sk_buff *skb)
{
	const struct v_wire_hdr *a = (const void *)s->data, *b = (const void *)skb->data;

	if ((b->type != V_PKT_REQUEST && b->type != V_PKT_GREQUEST) || a->type != b->type ||
	    a->seq != b->seq || a->client != b->client || a->dst != b->dst)
		return false;
	/* Each fragment of a REQUEST is a frame of its own (both built here). */
	return b->type != V_PKT_REQUEST ||
	       ((const struct v_wire_request *)(a + 1))->frag ==
	       ((const struct v_wire_request *)(b + 1))->frag;
}

/*
 * Hold skb (consumed) for host_part until a HERE says where it is, and
 * ask when nobody has asked for it lately.  A retransmitted request takes
 * the place of the copy held before it.
 */
void v_where_hold(struct v_host *host, u32 host_part, struct sk_buff *skb)
{
	struct sk_buff_head old;
	unsigned long asked = 0;
	unsigned int n = 0;
	struct sk_buff *s, *tmp;
	bool ask, waiting = false;

	/* No link (the host may be going away): nowhere to send it. */
	if (!READ_ONCE(host->nr_links)) {
		kfree_skb(skb);
		return;
	}
	__skb_queue_head_init(&old);
	spin_lock_bh(&host->where_lock);
	v_where_take(host, 0, NULL, &old);
	skb_queue_walk_safe(&host->where_q, s, tmp) {
		if (v_where_cb(s)->host_part != host_part)
			continue;
		/* Asked for already, if only for the copy this one replaces. */
		if (!waiting || time_after(v_where_cb(s)->asked, asked))
			asked = v_where_cb(s)->asked;
		waiting = true;
		if (v_where_same_request(s, skb)) {
			__skb_unlink(s, &host->where_q);
			__skb_queue_tail(&old, s);
			continue;
		}
		n++;
	}
	if (n >= V_WHERE_PART_MAX || skb_queue_len(&host->where_q) >= V_WHERE_HELD_MAX) {
		spin_unlock_bh(&host->where_lock);
		__skb_queue_purge(&old);
		v_stat_inc(host, V_A_STAT_DROP_NOMEM);
		kfree_skb(skb);
		return;
	}
	ask = !waiting || time_after_eq(jiffies, asked + msecs_to_jiffies(V_WHERE_ASK_MS));
	v_where_cb(skb)->host_part = host_part;
	v_where_cb(skb)->since = jiffies;
	v_where_cb(skb)->asked = ask ? jiffies : asked;
	__skb_queue_tail(&host->where_q, skb);
	spin_unlock_bh(&host->where_lock);
	__skb_queue_purge(&old);
	if (!delayed_work_pending(&host->where_gc))
		queue_delayed_work(system_wq, &host->where_gc,
				   msecs_to_jiffies(V_WHERE_HOLD_MS) + 1);
	if (ask)
		v_map_query(host, host_part);
}

/*
 * host_part answered (from: a HERE or CLAIM of this wire version, which
 * says on which link and from which address): send it what was held for
 * it, there.  Of another version (!same): drop it, a Send there fails
 * with EPROTO.
 */
void v_where_release(struct v_host *host, u32 host_part, const struct sk_buff *from,
		     bool same)
{
	struct sk_buff_head out, old;
	struct sk_buff *skb;

	if (skb_queue_empty_lockless(&host->where_q))
		return;
	__skb_queue_head_init(&out);
	__skb_queue_head_init(&old);
	spin_lock_bh(&host->where_lock);
	v_where_take(host, host_part, &out, &old);
	spin_unlock_bh(&host->where_lock);
	__skb_queue_purge(&old);
	/* Fenced meanwhile (two hosts answer for it): nobody gets them. */
	if (same && !skb_queue_empty(&out) && v_map_reach(host, host_part))
		same = false;
	while ((skb = __skb_dequeue(&out))) {
		if (same)
			v_net_answer(host, from, host_part, skb);
		else
			kfree_skb(skb);
	}
}

/*
 * The Send (client, seq) has ended: its requests still held must not
 * reach a server after the client's kernel gave up on them.
 */
void v_where_forget(struct v_host *host, u64 client, u32 seq)
{
	struct sk_buff_head gone;
	struct sk_buff *s, *tmp;

	if (skb_queue_empty_lockless(&host->where_q))
		return;
	__skb_queue_head_init(&gone);
	spin_lock_bh(&host->where_lock);
	skb_queue_walk_safe(&host->where_q, s, tmp) {
		const struct v_wire_hdr *h = (const void *)s->data;

		if ((h->type == V_PKT_REQUEST || h->type == V_PKT_GREQUEST) &&
		    get_unaligned_be64(&h->client) == client && be32_to_cpu(h->seq) == seq) {
			__skb_unlink(s, &host->where_q);
			__skb_queue_tail(&gone, s);
		}
	}
	spin_unlock_bh(&host->where_lock);
	__skb_queue_purge(&gone);
}

/* Drop what waited too long; again while anything waits. */
static void v_where_gc(struct work_struct *work)
{
	struct v_host *host = container_of(to_delayed_work(work), struct v_host, where_gc);
	struct sk_buff_head old;

	__skb_queue_head_init(&old);
	spin_lock_bh(&host->where_lock);
	v_where_take(host, 0, NULL, &old);
	if (!skb_queue_empty(&host->where_q))
		queue_delayed_work(system_wq, &host->where_gc,
				   msecs_to_jiffies(V_WHERE_HOLD_MS) + 1);
	spin_unlock_bh(&host->where_lock);
	__skb_queue_purge(&old);
}

void v_where_host_init(struct v_host *host)
{
	spin_lock_init(&host->where_lock);
	__skb_queue_head_init(&host->where_q);
	INIT_DELAYED_WORK(&host->where_gc, v_where_gc);
}

/*
 * The host is going away (its links are gone): nothing held is sent any
 * more, and the work is stopped.
 */
void v_where_purge(struct v_host *host)
{
	struct sk_buff_head all;

	cancel_delayed_work_sync(&host->where_gc);
	__skb_queue_head_init(&all);
	spin_lock_bh(&host->where_lock);
	skb_queue_splice_init(&host->where_q, &all);
	spin_unlock_bh(&host->where_lock);
	__skb_queue_purge(&all);
}
