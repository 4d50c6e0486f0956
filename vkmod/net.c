// SPDX-License-Identifier: GPL-2.0
/*
 * V frames on the wire, and the client side of remote transactions.
 *
 * Frames go out and come in through the links' bearers (link.c: raw
 * Ethernet, UDP), which know nothing of V; this file knows no bearer.
 * The layout is documented in uapi/linux/v.h.
 *
 * A remote Send is driven by the sending thread itself, in process
 * context, from its wait loop (ipc.c calls v_net_client_work()): it keeps
 * the REQUEST to retransmit it with back-off, copies ReplyWithSegment data
 * from the RESPONSE fragments into its own segment (user memory cannot be
 * touched in softirq), and declares the host down after the host-down
 * bound of total silence.  Softirq only matches answers to the waiting
 * transaction (under ipc_lock, by client id and seq) and queues them.
 * A stopped sender does not retransmit; when it resumes, the server's
 * alien answers the retransmission from its cache.
 */
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include "vkmod.h"

#define V_RETX_FIRST_MS	20
#define V_RETX_MAX_MS	320
/* Retransmissions unanswered before the mapping entry is suspected stale. */
#define V_RETX_STALE	2
/* Frames a host hands to itself (a local group Send) need not fit a link. */
#define V_LOCAL_PAYLOAD	(8192 - sizeof(struct v_wire_hdr))
/* Room for a whole MoveTo train and a response beside it. */
#define V_RESP_QUEUE_MAX	(2 * V_WIRE_TRAIN + V_WIRE_MAX_FRAGS)

struct sk_buff *v_net_alloc(struct v_host *host, u8 type, size_t payload, gfp_t gfp)
{
	struct v_wire_hdr *h;
	struct sk_buff *skb;

	/* Room for the trailer of an authenticated frame (auth.c) too. */
	skb = alloc_skb(LL_MAX_HEADER + sizeof(*h) + payload + sizeof(struct v_wire_auth), gfp);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	h = skb_put_zero(skb, sizeof(*h));
	h->version = V_WIRE_VERSION;
	h->type = type;
	h->src_host = cpu_to_be32(v_host_part(host));
	return skb;
}

/* A frame of transaction (client, seq), headed for dst, speaking for src. */
struct sk_buff *v_net_frame(struct v_host *host, u8 type, u64 client, u32 seq,
			    u64 dst, u64 src, size_t payload, gfp_t gfp)
{
	struct sk_buff *skb = v_net_alloc(host, type, payload, gfp);
	struct v_wire_hdr *h;

	if (!skb)
		return NULL;
	h = (struct v_wire_hdr *)skb_network_header(skb);
	h->seq = cpu_to_be32(seq);
	h->client = cpu_to_be64(client);
	h->dst = cpu_to_be64(dst);
	h->src = cpu_to_be64(src);
	return skb;
}

/*
 * The copy of a kept frame (a request kept for retransmission, a cached
 * reply, a MoveTo block) that goes on the wire.  A clone shares the data,
 * but transmitting writes into it (v_net_xmit_link() sets the V length the
 * first time, the link layer pushes its header into the headroom), so, as
 * TCP does with its retransmission queue, a frame is cloned only while no
 * earlier clone of it is still around (queued at a receiver, or in a
 * driver), and copied otherwise.  Signing (auth.c) unclones before it
 * writes.
 */
struct sk_buff *v_net_copy_kept(struct sk_buff *kept, gfp_t gfp)
{
	return skb_cloned(kept) ? skb_copy(kept, gfp) : skb_clone(kept, gfp);
}

/* Set the V length of a frame about to go; a clone's header is shared. */
void v_net_set_len(struct sk_buff *skb)
{
	struct v_wire_hdr *h = (struct v_wire_hdr *)skb_network_header(skb);
	__be32 len = cpu_to_be32(skb->len - sizeof(*h));

	if (h->len != len)	/* only the first copy of a kept frame writes */
		h->len = len;
}

/* Is skb (signed) more than l carries to a (NULL: to all)? */
static bool v_net_too_big(struct v_link *l, const struct v_addr *a, const struct sk_buff *skb)
{
	return skb->len > (l->ops->frame_max ?: l->ops->mtu(l, a));
}

/*
 * Send a frame (consumed) on link l to a, signed for host part to (frames
 * for all: any) when the host has a key.  Under RCU or RTNL.
 */
void v_net_xmit_link(struct v_host *host, struct v_link *l, const struct v_addr *a,
		     struct sk_buff *skb, u32 to)
{
	v_net_set_len(skb);
	if (!l->ops->up(l) || v_auth_sign(host, skb, to) || v_net_too_big(l, a, skb)) {
		kfree_skb(skb);
		return;
	}
	v_stat_inc(host, V_A_STAT_TX_FRAMES);
	l->ops->xmit(l, skb, a);
}

/* The same to every host on l (v_net_broadcast()). */
void v_net_bcast_link(struct v_host *host, struct v_link *l, struct sk_buff *skb,
		      bool group, u32 to)
{
	v_net_set_len(skb);
	if (!l->ops->up(l) || v_auth_sign(host, skb, to) || v_net_too_big(l, NULL, skb)) {
		kfree_skb(skb);
		return;
	}
	v_stat_inc(host, V_A_STAT_TX_FRAMES);
	l->ops->broadcast(l, skb, group);
}

/* Send a frame (consumed) on the link with this id, if still attached. */
static void v_net_xmit_id(struct v_host *host, int link, const struct v_addr *a,
			  struct sk_buff *skb, u32 to)
{
	struct v_link *l;

	rcu_read_lock();
	l = v_link_get(host, link);
	if (l)
		v_net_xmit_link(host, l, a, skb, to);
	else
		kfree_skb(skb);
	rcu_read_unlock();
}

static void v_net_dispatch(struct v_host *host, struct sk_buff *skb);

/*
 * Send a frame (consumed) to the host owning dst_host: to its known link
 * and address, or once a WHERE has found them (never by broadcast: see
 * where.c).  A frame for this
 * very host (a transaction forwarded back to its client's host) is
 * delivered here, as if it had arrived.
 */
void v_net_xmit(struct v_host *host, u32 dst_host, struct sk_buff *skb)
{
	struct v_addr a;
	struct v_link *l;
	int link;

	if (!skb)
		return;
	if (dst_host == v_host_part(host)) {
		v_net_set_len(skb);
		memset(v_rx_cb(skb), 0, sizeof(struct v_rx_cb));	/* no link */
		local_bh_disable();
		v_net_dispatch(host, skb);
		local_bh_enable();
		return;
	}
	rcu_read_lock();
	if (v_map_lookup(host, dst_host, &link, &a)) {
		l = v_link_get(host, link);
		if (l) {
			v_net_xmit_link(host, l, &a, skb, dst_host);
			rcu_read_unlock();
			return;
		}
	}
	rcu_read_unlock();
	if (v_map_reach(host, dst_host)) {	/* fenced, or another version */
		kfree_skb(skb);
		return;
	}
	/* A miss: the frame waits while we ask where the host is (part 0: nobody). */
	if (dst_host)
		v_where_hold(host, dst_host, skb);
	else
		kfree_skb(skb);
}

/*
 * Answer a question for all (GETPID, GQUERY: they teach the map nothing)
 * with out (consumed), for host part to: straight back to the address and
 * link the question came from, never by way of a WHERE broadcast.  A
 * question this host handed to itself has no link: delivered here.
 */
void v_net_answer(struct v_host *host, const struct sk_buff *q, u32 to, struct sk_buff *out)
{
	const struct v_rx_cb *cb = v_rx_cb(q);

	if (!cb->link) {
		v_net_xmit(host, to, out);
		return;
	}
	v_net_xmit_id(host, cb->link, &cb->from, out, to);
}

/*
 * Send a frame (consumed) to every host on every attached link but the
 * one with id except (0: none; a relayed claim goes everywhere but where
 * it came from), to V's multicast group where the bearer has one (group);
 * signed for host part to, or for all (to V_WIRE_AUTH_ALL, or a frame for
 * all).
 */
void v_net_broadcast_except(struct v_host *host, struct sk_buff *skb, bool group, u32 to,
			    int except)
{
	struct v_link *l, *last = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(l, &host->links, node) {
		if (l->id == except)
			continue;
		if (last) {
			/* A copy each: every link writes its own header. */
			struct sk_buff *c = skb_copy(skb, GFP_ATOMIC);

			if (c)
				v_net_bcast_link(host, last, c, group, to);
		}
		last = l;
	}
	if (last)
		v_net_bcast_link(host, last, skb, group, to);
	else
		kfree_skb(skb);
	rcu_read_unlock();
}

void v_net_broadcast(struct v_host *host, struct sk_buff *skb, bool group, u32 to)
{
	v_net_broadcast_except(host, skb, group, to, 0);
}

/* The mtu, or (cap) the largest frame, of l to a (NULL: to all). */
static unsigned int v_net_link_mtu(struct v_link *l, const struct v_addr *a, bool cap)
{
	return cap && l->ops->frame_max ? l->ops->frame_max : l->ops->mtu(l, a);
}

/*
 * Payload bytes a frame to dst_host carries after the V header (and
 * before the trailer of an authenticated frame): what frames are built
 * for, or (cap) the most the link takes.  They differ on a bearer whose
 * mtu falls (udp.c): a peer that built its trains for the old one is
 * still answered in its blocks, which IP fragments.
 */
static unsigned int __v_net_payload(struct v_host *host, u32 dst_host, bool cap)
{
	unsigned int mtu = 0, m;
	struct v_link *l = NULL;
	struct v_addr a;
	int link;

	if (dst_host == v_host_part(host))
		return V_LOCAL_PAYLOAD;
	rcu_read_lock();
	if (v_map_lookup(host, dst_host, &link, &a))
		l = v_link_get(host, link);
	if (l)
		mtu = v_net_link_mtu(l, &a, cap);
	else
		list_for_each_entry_rcu(l, &host->links, node) {
			m = v_net_link_mtu(l, NULL, cap);
			if (!mtu || m < mtu)
				mtu = m;
		}
	rcu_read_unlock();
	mtu -= min(mtu, v_auth_overhead(host));
	return mtu > sizeof(struct v_wire_hdr) ? mtu - sizeof(struct v_wire_hdr) : 0;
}

unsigned int v_net_payload_max(struct v_host *host, u32 dst_host)
{
	return __v_net_payload(host, dst_host, false);
}

unsigned int v_net_payload_cap(struct v_host *host, u32 dst_host)
{
	return __v_net_payload(host, dst_host, true);
}

static u32 v_net_req_dst_host(const struct v_txn *t)
{
	const struct v_wire_hdr *h = (const void *)skb_network_header(t->req_skb);

	return v_id_host(get_unaligned_be64(&h->dst));
}

/*
 * Send (a copy of) t's request: to its host, or for an unqualified group
 * Send to this host (when it has members) and by multicast to all others;
 * a qualified one goes to the qualifier's host only.
 */
static void v_net_req_xmit(struct v_host *host, struct v_txn *t)
{
	struct sk_buff *skb = v_net_copy_kept(t->req_skb, GFP_KERNEL);

	if (!skb)
		return;
	if (!t->group) {
		u32 to = v_net_req_dst_host(t);
		struct sk_buff *more;

		/*
		 * Only the client's thread sets or frees its further fragments.
		 * A server that answered holds them all and answers the last
		 * one: that one alone is asked again, unless it went silent.
		 */
		more = t->req_more;
		if (more && READ_ONCE(t->req_held) && t->retx_count <= 1) {
			while (more->next)
				more = more->next;
			consume_skb(skb);
			skb = NULL;
		}
		if (skb)
			v_net_xmit(host, to, skb);
		for (; more; more = more->next) {
			skb = v_net_copy_kept(more, GFP_KERNEL);
			if (skb)
				v_net_xmit(host, to, skb);
		}
	} else if (t->qualifier) {
		v_net_xmit(host, v_id_host(t->qualifier), skb);
	} else {
		if (v_group_has_members(host, t->group))
			v_net_xmit(host, v_host_part(host), skb_copy(skb, GFP_KERNEL));
		v_net_broadcast(host, skb, true, V_WIRE_AUTH_ALL);
	}
}

/*
 * Arm the client side of t for a REQUEST now in flight; ipc_lock held.
 * Answers count from the host it goes to (a group Send: any member's).
 */
static void v_net_client_arm(struct v_txn *t, struct sk_buff *req)
{
	WRITE_ONCE(t->req_skb, req);
	t->dl_dst = t->group ? 0 :
		get_unaligned_be64(&((const struct v_wire_hdr *)skb_network_header(req))->dst);
	if (!t->group)
		WRITE_ONCE(t->ans_host, v_net_req_dst_host(t));
	else
		WRITE_ONCE(t->ans_host, t->qualifier ? v_id_host(t->qualifier) : 0);
	t->resp_frags = 0;
	t->retx_count = 0;
	t->req_held = false;
	v_train_client_reset(t, 0);
	t->busy = false;
	t->last_heard = jiffies;
	t->retx_ivl = msecs_to_jiffies(V_RETX_FIRST_MS);
	t->next_retx = jiffies + t->retx_ivl;
	t->holder = NULL;
	t->state = V_TXN_REMOTE;
}

/*
 * The time t's sender has left, for the REQUEST: ms rounded up, at least
 * 1 (a deadline passed on the way is still one), 0 for none, and none
 * beyond what the field holds (49 days: a server would end it early).
 */
static u32 v_net_deadline_ms(const struct v_txn *t)
{
	u64 ms;
	s64 ns;

	if (!t->deadline)
		return 0;
	ns = ktime_to_ns(ktime_sub(t->deadline, ktime_get()));
	ms = DIV_ROUND_UP_ULL(max_t(s64, ns, 0), NSEC_PER_MSEC);
	return ms > U32_MAX ? 0 : max_t(u64, ms, 1);
}

/* The bytes w's ids take in t's REQUEST: not the client's own (a flag). */
static size_t v_net_waiters_len(const struct v_dl_set *w, const struct v_txn *t)
{
	return (w->n - (w->n && w->ids[0] == t->sender_id)) * sizeof(__be64);
}

/* Segment bytes a REQUEST frame carries: len at off of total, fragment frag of frags. */
struct v_net_piece {
	u32 off, len, total;
	u8 frag, frags;
};

/*
 * The REQUEST (or, for a group Send, GREQUEST with t's qualifier) of
 * transaction t (client, seq) as sent on by src; pc->len bytes to follow.
 * A local client's retransmission bound is this host's from now on (an
 * alien's came off the wire); the client's thread reads it only once the
 * Send is REMOTE.
 */
static struct sk_buff *v_net_request(struct v_host *host, struct v_txn *t, u8 type,
				     u32 seq, u64 dst, u64 src, const struct v_msg *msg,
				     u64 forwarder, u32 uid, u32 gid, const struct v_dl_set *w,
				     const struct v_net_piece *pc, gfp_t gfp)
{
	size_t pre = type == V_PKT_GREQUEST ? offsetof(struct v_wire_grequest, req) : 0;
	struct v_wire_request *req;
	struct sk_buff *skb;
	unsigned int i;

	/* The client itself, first in w if it waits, is a flag. */
	bool waits = w->n && w->ids[0] == t->sender_id;

	skb = v_net_frame(host, type, t->sender_id, seq, dst, src,
			  pre + sizeof(*req) + v_net_waiters_len(w, t) + pc->len, gfp);
	if (!skb)
		return NULL;
	if (pre) {
		struct v_wire_grequest *gr = skb_put_zero(skb, pre);

		gr->qualifier = cpu_to_be64(t->qualifier);
	}
	req = skb_put_zero(skb, sizeof(*req));
	req->msg = *msg;
	req->seg_len = cpu_to_be64(t->seg_len);
	req->forwarder = cpu_to_be64(forwarder);
	req->seg_access = cpu_to_be32(t->seg_access);
	req->uid = cpu_to_be32(uid);
	req->gid = cpu_to_be32(gid);
	req->data_len = cpu_to_be32(pc->len);
	req->frag = pc->frag;
	req->frags = pc->frags;
	req->data_off = cpu_to_be32(pc->off);
	req->data_total = cpu_to_be32(pc->total);
	req->deadline_ms = cpu_to_be32(v_net_deadline_ms(t));
	if (!t->alien)
		t->retx_ms = READ_ONCE(host->host_down_ms);
	req->retx_ms = cpu_to_be32(t->retx_ms);
	v_inherit_wire_get(t, req);
	req->req_flags = waits ? V_WIRE_REQ_WAITING : 0;
	req->nr_waiters = cpu_to_be16(w->n - waits);
	for (i = waits; i < w->n; i++)
		put_unaligned_be64(w->ids[i], skb_put(skb, sizeof(__be64)));
	return skb;
}

/* The room a REQUEST leaves for segment bytes in max, after w's ids. */
static unsigned int v_net_piggy_room(unsigned int max, const struct v_dl_set *w,
				     const struct v_txn *t)
{
	size_t used = sizeof(struct v_wire_request) + v_net_waiters_len(w, t);

	return max > used ? max - used : 0;
}

/*
 * Start a group Send: one GREQUEST for every host with members (group.c,
 * alien.c), driven like any remote Send from then on.  With no link only
 * this host's members can answer, so a group without them here fails at
 * once; a qualifier on this host keeps the Send here.
 */
int v_net_group_send(struct v_sock *vs, struct v_txn *t)
{
	u32 qhost = t->qualifier ? v_id_host(t->qualifier) : 0;
	struct v_host *host = vs->host;
	struct v_dl_set none = { .n = 0 };	/* a group Send is not checked */
	struct v_net_piece pc = { .frags = 1 };	/* never fragmented */
	struct v_wire_grequest *gr;
	unsigned int max, piggy = 0;
	struct sk_buff *skb;
	bool here = !qhost || qhost == v_host_part(host);
	bool links = READ_ONCE(host->nr_links);

	if (!here && !links)
		return -EHOSTUNREACH;
	if (!here) {
		int err = v_map_reach(host, qhost);

		if (err)
			return err;
	}
	if ((!links || qhost == v_host_part(host)) &&
	    !v_group_local(host, t->group, t->sender_id, NULL, 0))
		return -ESRCH;	/* only members here could answer, and there are none */
	max = (links && qhost != v_host_part(host)) ? v_net_payload_max(host, qhost) :
						     V_LOCAL_PAYLOAD;
	if (max < sizeof(*gr))
		return -EHOSTUNREACH;
	if (t->seg_access & V_SEG_READ)
		piggy = min_t(u64, t->seg_len, max - sizeof(*gr));
	pc.len = piggy;
	pc.total = piggy;
	skb = v_net_request(host, t, V_PKT_GREQUEST, t->seq, t->group, t->sender_id, &t->msg, 0,
			    from_kuid_munged(&init_user_ns, t->uid),
			    from_kgid_munged(&init_user_ns, t->gid), &none, &pc,
			    GFP_KERNEL_ACCOUNT);
	if (!skb)
		return -ENOMEM;
	if (piggy && copy_from_user(skb_put(skb, piggy), (void __user *)t->seg_addr, piggy)) {
		kfree_skb(skb);
		return -EFAULT;
	}
	spin_lock_bh(&host->ipc_lock);
	v_net_client_arm(t, skb);
	spin_unlock_bh(&host->ipc_lock);
	v_stat_inc(host, V_A_STAT_GROUP_SENDS);
	v_net_req_xmit(host, t);
	return 0;
}

/*
 * The segment bytes t's REQUEST carries in frames of room bytes each: all
 * of a read-granted segment of at most V_WIRE_REQ_DATA_MAX (fragments, at
 * most V_WIRE_MAX_FRAGS), so a page write needs no MoveFrom; of a larger
 * one what one frame holds, as the server moves such a segment itself.
 */
static u32 v_net_req_data(const struct v_txn *t, unsigned int room)
{
	if (!(t->seg_access & V_SEG_READ))
		return 0;
	if (t->seg_len <= room)
		return t->seg_len;
	if (room && t->seg_len <= V_WIRE_REQ_DATA_MAX &&
	    DIV_ROUND_UP_ULL(t->seg_len, room) <= V_WIRE_MAX_FRAGS)
		return t->seg_len;
	return room;
}

/*
 * The REQUEST frames of a Send to dst (w its waiters): one, or the
 * fragments of its data chained by ->next; NULL with *err set.
 */
static struct sk_buff *v_net_send_frames(struct v_host *host, struct v_txn *t, u64 dst,
					 const struct v_dl_set *w, unsigned int room, int *err)
{
	u32 total = v_net_req_data(t, room), uid, gid;
	struct v_net_piece pc = { .total = total, .frags = 1 };
	struct sk_buff *head = NULL, **tail = &head, *skb;

	if (total > room)
		pc.frags = DIV_ROUND_UP(total, room);
	uid = from_kuid_munged(&init_user_ns, t->uid);
	gid = from_kgid_munged(&init_user_ns, t->gid);
	for (; pc.frag < pc.frags; pc.frag++, pc.off += pc.len) {
		pc.len = min(total - pc.off, room);
		skb = v_net_request(host, t, V_PKT_REQUEST, t->seq, dst, t->sender_id, &t->msg,
				    0, uid, gid, w, &pc, GFP_KERNEL_ACCOUNT);
		*err = -ENOMEM;
		if (!skb)
			goto fail;
		*tail = skb;
		tail = &skb->next;
		*err = -EFAULT;
		if (pc.len && copy_from_user(skb_put(skb, pc.len),
					     (void __user *)(t->seg_addr + pc.off), pc.len))
			goto fail;
	}
	return head;
fail:
	kfree_skb_list(head);
	return NULL;
}

/*
 * Start a remote Send: build the REQUEST (with as much of a read-granted
 * segment as it carries: v_net_req_data()), keep it for retransmission
 * and send it.
 */
int v_net_send(struct v_sock *vs, struct v_txn *t, u32 dst_host, u64 dst)
{
	struct v_host *host = vs->host;
	struct sk_buff *skb, *out = NULL, **tail = &out, *c;
	unsigned int max;
	struct v_dl_set w;
	int err;

	if (!READ_ONCE(host->nr_links))
		return -EHOSTUNREACH;
	err = v_map_reach(host, dst_host);	/* claimed twice, another version */
	if (err)
		return err;
	max = v_net_payload_max(host, dst_host);
	v_dl_waiters(vs, &w);
	if (max < sizeof(struct v_wire_request) + v_net_waiters_len(&w, t))
		return -EHOSTUNREACH;
	skb = v_net_send_frames(host, t, dst, &w, v_net_piggy_room(max, &w, t), &err);
	if (!skb)
		return err;
	/* Copied before req_skb is shared; a NULL copy is as a lost frame. */
	for (c = skb; c; c = c->next) {
		*tail = v_net_copy_kept(c, GFP_KERNEL);
		if (*tail)
			tail = &(*tail)->next;
	}
	spin_lock_bh(&host->ipc_lock);
	t->req_more = skb->next;
	skb->next = NULL;
	v_net_client_arm(t, skb);
	spin_unlock_bh(&host->ipc_lock);
	while (out) {
		c = out;
		out = c->next;
		skb_mark_not_on_list(c);
		v_net_xmit(host, dst_host, c);
	}
	return 0;
}

/*
 * Forward a held transaction to a process on another host.  The new
 * receiver's kernel gets a REQUEST on behalf of the original client, and
 * replies straight to it.  A local client's Send becomes a remote one,
 * driven by its own thread from then on; a remote client's alien keeps the
 * forwarded REQUEST and relays the client's retransmissions (alien.c).
 * The forwarded REQUEST carries the data the original one carried (remote
 * client) or none (local client: only its own thread reads its memory).
 */
int v_net_forward(struct v_sock *vs, const struct v_peer *p, const struct v_forward *f)
{
	struct v_host *host = vs->host;
	struct v_txn *t = v_peer_txn(p);
	u32 to_host = v_id_host(f->to), seq, uid, gid;
	unsigned int max, piggy = 0;
	struct v_net_piece pc = { .frags = 1 };
	struct sk_buff *skb, *first;
	const u8 *data = NULL;
	struct v_dl_set w;
	u32 have = 0;
	int err = 0;

	if (!READ_ONCE(host->nr_links))
		return -EHOSTUNREACH;
	err = v_map_reach(host, to_host);
	if (err)
		return err;
	max = v_net_payload_max(host, to_host);
	spin_lock_bh(&host->ipc_lock);
	if (t->holder != vs || t->state != V_TXN_RECEIVED)
		err = -ENOENT;
	else if (unlikely(t->deadline) && v_notice_deadline_passed(vs, t, true))
		err = -ETIMEDOUT;
	seq = t->seq;
	spin_unlock_bh(&host->ipc_lock);
	if (err)
		return err;
	/* The client's waiters go with it: the chain it is in has not changed. */
	if (p->alien) {
		uid = p->alien->uid;
		gid = p->alien->gid;
		w.n = p->alien->nr_waiters;
		memcpy(w.ids, p->alien->waiters, w.n * sizeof(w.ids[0]));
	} else {
		uid = from_kuid_munged(&init_user_ns, t->uid);
		gid = from_kgid_munged(&init_user_ns, t->gid);
		v_dl_waiters(p->sock, &w);
	}
	if (max < sizeof(struct v_wire_request) + v_net_waiters_len(&w, t))
		return -EHOSTUNREACH;
	/* A forwarded REQUEST is never fragmented: what one frame holds. */
	if (p->alien)
		have = v_alien_piggy_get(p->alien, &data);
	piggy = min_t(u32, have, v_net_piggy_room(max, &w, t));
	pc.len = piggy;
	pc.total = piggy;
	skb = v_net_request(host, t, V_PKT_REQUEST, seq, f->to, vs->id, &f->msg, vs->id, uid,
			    gid, &w, &pc, GFP_KERNEL);
	if (skb && piggy)
		skb_put_data(skb, data, piggy);
	if (have)
		v_alien_piggy_put(p->alien);
	if (!skb)
		return -ENOMEM;
	/*
	 * The copy that goes out is taken before skb is published: once it is
	 * the client's req_skb (or the alien's fwd_skb) and ipc_lock is
	 * dropped, the client may end its transaction and free it.
	 */
	first = v_net_copy_kept(skb, GFP_KERNEL);	/* NULL: as a lost frame */

	spin_lock_bh(&host->ipc_lock);
	if (t->holder != vs || t->state != V_TXN_RECEIVED || t->seq != seq) {
		err = -ENOENT;
	} else {
		t->msg = f->msg;
		t->forwarder = vs->id;
		trace_v_forward(v_host_part(host), t->sender_id, seq, f->to, 0);
		list_del_init(&t->node);
		if (unlikely(t->boost))
			v_inherit_txn_ended(t, false);	/* the Forward settles */
		if (p->alien) {
			v_txn_end(t, 0);
			v_alien_forwarded(p->alien, skb, f->to);
		} else {
			v_net_client_arm(t, skb);
		}
	}
	spin_unlock_bh(&host->ipc_lock);
	if (err) {
		kfree_skb(first);
		kfree_skb(skb);
		return err;
	}
	if (p->sock)
		wake_up(&p->sock->tx_wait);
	else	/* first, so the client takes the new host's answers */
		v_alien_send_forwarded(host, t->sender_id, seq, vs->id, f->to);
	v_race_sleep(V_RACE_FORWARD);	/* the client may end its Send here */
	v_net_xmit(host, to_host, first);
	return 0;
}

/* A RESPONSE fragment for vs's transaction: copy its data, maybe finish. */
static void v_net_client_response(struct v_sock *vs, struct v_txn *t, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_response *r = (const void *)(h + 1);
	u32 len = be32_to_cpu(r->data_len);
	u16 frag = be16_to_cpu(r->frag), frags = be16_to_cpu(r->frags);
	u64 off = get_unaligned_be64(&r->seg_offset);
	bool done;

	/* Lengths and fragment numbers were checked on receipt. */
	if (t->resp_frags & BIT_ULL(frag))
		return;		/* a duplicate */
	if (len && (!(t->seg_access & V_SEG_WRITE) || off > t->seg_len ||
		    len > t->seg_len - off))
		return;		/* the server should have refused: ignore the data */
	if (len && copy_to_user((void __user *)(t->seg_addr + off), r + 1, len))
		return;		/* our own segment is gone: the Send will time out */
	t->resp_frags |= BIT_ULL(frag);
	done = hweight64(t->resp_frags) == frags;

	spin_lock_bh(&vs->host->ipc_lock);
	if (done && t->state == V_TXN_REMOTE) {
		t->msg = r->msg;
		t->replier = get_unaligned_be64(&r->replier);
		v_txn_end(t, 0);
		if (t->group) {
			/* Further replies are kept for GetReply from now on. */
			t->gopen = true;
			t->gclose = jiffies +
				msecs_to_jiffies(READ_ONCE(vs->host->group_window_ms));
		}
	}
	spin_unlock_bh(&vs->host->ipc_lock);
}

/*
 * The sending thread's share of a remote transaction: handle answers,
 * retransmit when due, give up after the host-down bound; lowers *timeo
 * to the next thing to do.
 */
void v_net_client_work(struct v_sock *vs, long *timeo)
{
	struct v_host *host = vs->host;
	struct v_txn *t = &vs->txn;
	unsigned long now, down;
	unsigned int n = skb_queue_len(&t->resp_q);
	struct sk_buff *skb;
	bool retx = false;

	/*
	 * Only what is queued now: a mover that keeps trains in flight keeps
	 * this queue full, and the caller must look at signals (SIGKILL) and
	 * deadlines between rounds.
	 */
	while (n-- && (skb = skb_dequeue(&t->resp_q))) {
		switch (((struct v_wire_hdr *)skb->data)->type) {
		case V_PKT_RESPONSE:
			v_net_client_response(vs, t, skb);
			break;
		case V_PKT_MOVE_FROM:
			v_train_client_move_from(vs, t, skb);
			break;
		case V_PKT_MOVE_DATA:
			v_train_client_data(vs, t, skb);
			break;
		}
		consume_skb(skb);
	}
	/* Frames left for the next round: no sleep before it. */
	if (!skb_queue_empty(&t->resp_q))
		*timeo = 0;

	spin_lock_bh(&host->ipc_lock);
	if (t->state != V_TXN_REMOTE)
		goto out;
	now = jiffies;
	/*
	 * A bound lowered since the Send started applies; a raised one does
	 * not, as the server keeps our answer only as long as the REQUEST said.
	 */
	down = t->last_heard + msecs_to_jiffies(min(READ_ONCE(host->host_down_ms), t->retx_ms));
	if (time_after_eq(now, down)) {
		/* A group nobody answers for has no member that could. */
		v_txn_end(t, t->busy ? -EBUSY : (t->group && !t->qualifier) ? -ESRCH :
			  -EHOSTUNREACH);
		v_stat_inc(host, V_A_STAT_HOST_DOWN);
		goto out;
	}
	if (time_after_eq(now, t->next_retx)) {
		retx = true;
		t->retx_count++;
		t->retx_ivl = min_t(unsigned long, t->retx_ivl * 2,
				    msecs_to_jiffies(V_RETX_MAX_MS));
		t->next_retx = now + t->retx_ivl;
	}
	*timeo = min_t(long, *timeo, min(t->next_retx, down) - now + 1);
out:
	spin_unlock_bh(&host->ipc_lock);
	if (retx && !t->group) {
		/* Fenced or of another version since the Send began: say so now. */
		int err = v_map_reach(host, v_net_req_dst_host(t));

		if (err) {
			spin_lock_bh(&host->ipc_lock);
			if (t->state == V_TXN_REMOTE)
				v_txn_end(t, err);
			spin_unlock_bh(&host->ipc_lock);
			return;
		}
	}
	if (retx) {
		trace_v_retransmit(v_host_part(host), t->sender_id, t->seq,
				   get_unaligned_be64(&((struct v_wire_hdr *)
						skb_network_header(t->req_skb))->dst), 0);
		v_stat_inc(host, V_A_STAT_RETRANSMITS);
		/* Silence where we send: perhaps the host moved, so ask again. */
		if (t->retx_count == V_RETX_STALE && !t->group)
			v_map_stale(host, v_net_req_dst_host(t));
		v_net_req_xmit(host, t);
	}
}

/*
 * A remote Send the client gave up (a signal, its timeout, its socket
 * closing): tell the host answering it, once, so its alien ends now and
 * a server that asked hears of it (an unblock notice).  Best effort: a
 * lost CANCEL leaves the alien to its deadline or to the collection of
 * a silent client's.
 */
static void v_net_cancel(struct v_host *host, struct v_txn *t)
{
	struct v_wire_cancel *c;
	struct sk_buff *skb;
	u16 why;

	switch (t->error) {
	case -EINTR:
		why = V_WHY_SIGNAL;
		break;
	case -ETIMEDOUT:
		why = V_WHY_TIMEOUT;
		break;
	case -ESHUTDOWN:
		why = V_WHY_CLOSED;
		break;
	default:
		return;
	}
	if (t->group || !READ_ONCE(t->ans_host))
		return;
	skb = v_net_frame(host, V_PKT_CANCEL, t->sender_id, t->seq, t->sender_id, t->sender_id,
			  sizeof(*c), GFP_KERNEL);
	if (!skb)
		return;
	c = skb_put_zero(skb, sizeof(*c));
	c->why = cpu_to_be16(why);
	v_net_xmit(host, READ_ONCE(t->ans_host), skb);
}

/*
 * The transaction has ended: drop what the network side kept for it.  An
 * answered group Send keeps its request while the reply window is open,
 * for GetReply to ask again (v_net_group_again(); v_group_txn_close()
 * frees it).
 */
void v_net_client_done(struct v_txn *t)
{
	/*
	 * A Send that stayed on this host kept nothing here: answers are
	 * queued, and its REQUEST held for a WHERE, only while it is REMOTE,
	 * which keeps its request (v_net_client_arm()).
	 */
	if (!READ_ONCE(t->req_skb))
		return;
	if (!t->alien)
		v_net_cancel(v_txn_sender(t)->host, t);
	skb_queue_purge(&t->resp_q);
	if (!t->alien)
		v_where_forget(v_txn_sender(t)->host, t->sender_id, t->seq);
	while (t->req_more) {
		struct sk_buff *more = t->req_more;

		t->req_more = more->next;
		consume_skb(more);	/* served their time, not dropped */
	}
	if (READ_ONCE(t->gopen))
		return;
	consume_skb(t->req_skb);
	WRITE_ONCE(t->req_skb, NULL);
}

/*
 * GetReply waits: ask the other hosts again, so replies lost on the way
 * are sent again from their reply caches (each kept once).  The request
 * is copied under ipc_lock: another thread's Send may end the window.
 */
void v_net_group_again(struct v_host *host, struct v_txn *t)
{
	struct sk_buff *skb = NULL;
	u64 q = 0;

	spin_lock_bh(&host->ipc_lock);
	if (t->gopen && t->req_skb) {
		skb = v_net_copy_kept(t->req_skb, GFP_ATOMIC);
		q = t->qualifier;
	}
	spin_unlock_bh(&host->ipc_lock);
	if (!skb)
		return;
	v_stat_inc(host, V_A_STAT_RETRANSMITS);
	if (!q)
		v_net_broadcast(host, skb, true, V_WIRE_AUTH_ALL);
	else if (v_id_host(q) != v_host_part(host))
		v_net_xmit(host, v_id_host(q), skb);
	else
		kfree_skb(skb);	/* our own members answered without loss */
}

static int v_net_errno(u32 werr)
{
	switch (werr) {
	case V_WERR_TOO_BIG:
		return -EMSGSIZE;
	case V_WERR_TIMED_OUT:
		return -ETIMEDOUT;
	default:
		return -ESRCH;
	}
}

/* Tell a member's kernel its group Send was answered: no more moves. */
static void v_net_seg_closed(struct v_host *host, const struct v_wire_hdr *h)
{
	u64 client = get_unaligned_be64(&h->client);
	struct sk_buff *skb = v_net_frame(host, V_PKT_NACK, client, be32_to_cpu(h->seq),
					  get_unaligned_be64(&h->src), client,
					  sizeof(struct v_wire_nack), GFP_ATOMIC);
	struct v_wire_nack *n;

	if (!skb)
		return;
	n = skb_put_zero(skb, sizeof(*n));
	n->error = cpu_to_be32(V_WERR_SEG_CLOSED);
	v_net_xmit(host, be32_to_cpu(h->src_host), skb);
}

/* What becomes of an answer to a transaction of this host. */
enum v_net_fate {
	V_NET_USE,		/* the transaction in flight takes it */
	V_NET_KEPT,		/* a further group reply, kept (or an echo ignored) */
	V_NET_CLOSED,		/* a move on a group Send already answered: refuse */
	V_NET_DROP,		/* no such transaction */
	V_NET_STRANGER,		/* from a host the Send takes no answers from */
};

/*
 * An answer for a group Send (ipc_lock held): further replies go to the
 * GetReply list from here, without the sending thread; moves on a Send
 * already answered are refused.
 */
static enum v_net_fate v_net_group_rcv(struct v_host *host, struct v_txn *t,
				       struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_response *r = (const void *)(h + 1);
	bool remote = t->state == V_TXN_REMOTE;
	u64 replier;

	if (h->type == V_PKT_MOVE_FROM || (h->type == V_PKT_MOVE_DATA && h->src != h->client))
		return remote ? V_NET_USE : V_NET_CLOSED;
	if (h->type != V_PKT_RESPONSE)	/* ACKs and NACKs of GetReply's requests */
		return remote ? V_NET_USE : t->gopen ? V_NET_KEPT : V_NET_DROP;
	replier = get_unaligned_be64(&r->replier);
	if (remote && (!t->first_replier || t->first_replier == replier)) {
		t->first_replier = replier;
		return V_NET_USE;	/* the reply that will end the Send */
	}
	v_group_reply_add(host, t, replier, &r->msg);
	return V_NET_KEPT;
}

/* Does an answer's payload agree with its header?  0, or the drop's counter. */
static int v_net_answer_check(const struct v_wire_hdr *h)
{
	u32 len = be32_to_cpu(h->len);

	if (h->type == V_PKT_RESPONSE) {
		const struct v_wire_response *r = (const void *)(h + 1);

		if (len < sizeof(*r) || len - sizeof(*r) != be32_to_cpu(r->data_len) ||
		    !be16_to_cpu(r->frags) || be16_to_cpu(r->frags) > V_WIRE_MAX_FRAGS ||
		    be16_to_cpu(r->frag) >= be16_to_cpu(r->frags))
			return V_A_STAT_DROP_SHORT;
	} else if ((h->type == V_PKT_NACK && len < sizeof(struct v_wire_nack)) ||
		   (h->type == V_PKT_FORWARDED && len < sizeof(struct v_wire_forwarded)) ||
		   (h->type == V_PKT_MOVE_FROM && len < sizeof(struct v_wire_move)) ||
		   (h->type == V_PKT_MOVE_DATA && !v_train_data_ok(h))) {
		return V_A_STAT_DROP_SHORT;
	}
	return 0;
}

/* What becomes of an answer for t (ipc_lock held). */
static enum v_net_fate v_net_answer_fate(struct v_host *host, struct v_txn *t,
					 struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;

	if (t->seq != be32_to_cpu(h->seq))
		return V_NET_DROP;
	if (t->ans_host && be32_to_cpu(h->src_host) != t->ans_host)
		return V_NET_STRANGER;
	if (t->group)
		return v_net_group_rcv(host, t, skb);
	return t->state == V_TXN_REMOTE ? V_NET_USE : V_NET_DROP;
}

/*
 * FORWARDED: where answers come from next (ipc_lock held).  It proves
 * nothing of the server's progress, so a loop of forwards still ends in
 * EHOSTUNREACH.  An unqualified group Send takes any member's answers
 * anyway.
 */
static void v_net_answer_moved(struct v_txn *t, const struct v_wire_hdr *h)
{
	u32 to = v_id_host(get_unaligned_be64(&((const struct v_wire_forwarded *)(h + 1))->to));

	if (t->ans_host && to) {
		WRITE_ONCE(t->ans_host, to);
		t->dl_dst = get_unaligned_be64(&((const struct v_wire_forwarded *)(h + 1))->to);
	}
}

/* A NACK for t in flight (ipc_lock held); whether the Send ended. */
static bool v_net_answer_nack(struct v_txn *t, u32 nack)
{
	if (t->group && nack != V_WERR_BUSY && nack != V_WERR_NO_MEMBER)
		return false;	/* one member gone; the others may answer */
	if (nack == V_WERR_BUSY) {
		/* Back off: ask again later, EBUSY if it lasts. */
		if (!t->busy)
			t->last_heard = jiffies;
		t->busy = true;
		t->retx_ivl = msecs_to_jiffies(V_RETX_MAX_MS);
		t->next_retx = jiffies + t->retx_ivl;
		return false;
	}
	v_txn_end(t, v_net_errno(nack));
	return true;
}

/*
 * Take an answer for t in flight (ipc_lock held): whether to wake its
 * thread; *skb is NULL once queued for it.
 */
static bool v_net_answer_take(struct v_txn *t, struct sk_buff **skb)
{
	const struct v_wire_hdr *h = (const void *)(*skb)->data;
	u32 nack = 0;

	if (h->type == V_PKT_FORWARDED) {
		v_net_answer_moved(t, h);
		return false;
	}
	if (h->type == V_PKT_NACK)
		nack = be32_to_cpu(((const struct v_wire_nack *)(h + 1))->error);
	/*
	 * Any answer but "busy" proves the server is working on it; busy
	 * answers only start the clock once, so a server that stays busy for
	 * the host-down bound fails the Send with EBUSY.  For a group, a
	 * member that is gone proves nothing about the others.
	 */
	if (!nack || (nack != V_WERR_BUSY && !t->group)) {
		t->last_heard = jiffies;
		t->busy = false;
		t->retx_count = 0;
		t->req_held = true;
	}
	switch (h->type) {
	case V_PKT_NACK:
		return v_net_answer_nack(t, nack);
	case V_PKT_RESPONSE:
	case V_PKT_MOVE_FROM:
	case V_PKT_MOVE_DATA:
		/* The sending thread handles these: they touch its memory. */
		if (skb_queue_len(&t->resp_q) < V_RESP_QUEUE_MAX) {
			skb_queue_tail(&t->resp_q, *skb);
			*skb = NULL;
			return true;
		}
		return false;
	default:	/* ACK */
		return false;
	}
}

/*
 * A frame the client's thread may queue (resp_q) is charged to it first
 * (charge.c), outside ipc_lock; at the limit it is dropped (NULL, freed)
 * before it proves anything of the server.  Other frames: skb itself.
 */
static struct sk_buff *v_net_client_charge(struct v_sock *vs, struct sk_buff *skb)
{
	u8 type = ((const struct v_wire_hdr *)skb->data)->type;
	struct sk_buff *charged;

	if (type != V_PKT_RESPONSE && type != V_PKT_MOVE_FROM && type != V_PKT_MOVE_DATA)
		return skb;
	charged = v_charge_skb(vs, skb, skb_queue_len_lockless(&vs->txn.resp_q) < V_CHARGE_MIN);
	if (!charged)
		kfree_skb(skb);
	return charged;
}

/* RESPONSE, ACK, NACK, FORWARDED or a move for a client of this host (softirq). */
static void v_net_client_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	u64 client = get_unaligned_be64(&h->client);
	enum v_net_fate fate;
	struct v_sock *vs;
	bool wake = false;
	int why;

	why = v_id_host(client) != v_host_part(host) ? V_A_STAT_DROP_NOT_MINE :
	      v_net_answer_check(h);
	if (why) {
		v_stat_inc(host, why);
		goto drop;
	}
	vs = v_id_lookup(host, client);
	if (!vs) {
		v_stat_inc(host, V_A_STAT_DROP_NO_TXN);
		goto drop;
	}
	skb = v_net_client_charge(vs, skb);
	if (!skb) {
		v_stat_inc(host, V_A_STAT_DROP_NOMEM);
		sock_put(&vs->sk);
		return;
	}
	h = (const void *)skb->data;
	spin_lock(&host->ipc_lock);
	fate = v_net_answer_fate(host, &vs->txn, skb);
	if (fate == V_NET_USE)
		wake = v_net_answer_take(&vs->txn, &skb);
	spin_unlock(&host->ipc_lock);
	if (fate == V_NET_KEPT)
		wake = true;
	else if (fate == V_NET_CLOSED)
		v_net_seg_closed(host, h);
	else if (fate != V_NET_USE)
		v_stat_inc(host, fate == V_NET_STRANGER ? V_A_STAT_DROP_NOT_MINE :
			   V_A_STAT_DROP_NO_TXN);
	if (wake)
		wake_up(&vs->tx_wait);
	sock_put(&vs->sk);
drop:
	kfree_skb(skb);
}

/*
 * Every V frame arrives here from its link's bearer, in softirq context,
 * skb->data at its V header and v_rx_cb() saying where it came from.
 */
void v_net_rcv_frame(struct v_host *host, struct v_link *l, struct sk_buff *skb)
{
	const struct v_wire_hdr *h;
	u32 len;

	if (!pskb_may_pull(skb, sizeof(*h))) {
		v_stat_inc(host, V_A_STAT_DROP_SHORT);
		goto drop;
	}
	h = (const void *)skb->data;
	/* Of another version, only CLAIM, WHERE and HERE are read (map.c). */
	if (h->version != V_WIRE_VERSION) {
		v_stat_inc(host, V_A_STAT_DROP_VERSION);
		if (h->type != V_PKT_CLAIM && h->type != V_PKT_WHERE && h->type != V_PKT_HERE)
			goto drop;
	}
	if (!h->type || h->type > V_PKT_MAX) {
		v_stat_inc(host, V_A_STAT_DROP_TYPE);
		goto drop;
	}
	/* Tag and counter (auth.c), before the frame may teach us anything. */
	if (!v_auth_rcv(host, skb))
		goto drop;
	h = (const void *)skb->data;
	len = be32_to_cpu(h->len);
	/* Ethernet pads short frames: trust the header's length, not skb->len. */
	if (len > skb->len - sizeof(*h) || pskb_trim(skb, sizeof(*h) + len) ||
	    !pskb_may_pull(skb, sizeof(*h) + len)) {
		v_stat_inc(host, V_A_STAT_DROP_SHORT);
		goto drop;
	}
	h = (const void *)skb->data;
	v_stat_inc(host, V_A_STAT_RX_FRAMES);
	/* Claims and host-part queries (map.c) may carry our own host part. */
	if (v_map_rcv(host, skb))
		return;
	if (be32_to_cpu(h->src_host) == v_host_part(host)) {
		if (!v_link_own_addr(host, &v_rx_cb(skb)->from))
			v_map_collision(host, skb);
		goto drop;
	}
	/*
	 * Only a frame sent to this host's address for this host teaches the
	 * map (keyed: its tag names this host part); a frame for all, or one
	 * broadcast in its sender's name, could come from anyone.
	 */
	if (skb->pkt_type == PACKET_HOST && !v_auth_for_all(h->type))
		v_map_learn(host, be32_to_cpu(h->src_host), skb);
	v_net_dispatch(host, skb);
	return;

drop:
	kfree_skb(skb);
}

/* Hand a checked frame (skb->data at its V header) to its handler; BH off. */
static void v_net_dispatch(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;

	switch (h->type) {
	case V_PKT_REQUEST:
	case V_PKT_GREQUEST:
		v_alien_rcv_request(host, skb);
		break;
	case V_PKT_MOVE_ACK:
		v_train_rcv(host, skb);
		break;
	case V_PKT_GETPID:
	case V_PKT_GETPID_ANSWER:
		v_reg_rcv(host, skb);
		break;
	case V_PKT_GQUERY:
	case V_PKT_GMEMBERS:
		v_group_rcv(host, skb);
		break;
	case V_PKT_WATCH:
	case V_PKT_WATCHED:
	case V_PKT_UNWATCH:
	case V_PKT_NOTICE:
		v_rwatch_rcv(host, skb);
		break;
	case V_PKT_CANCEL:
		v_alien_rcv_cancel(host, skb);
		break;
	case V_PKT_PULSE:
		v_pulse_rcv(host, skb);
		break;
	case V_PKT_RELAY:
		v_relay_rcv(host, skb);
		break;
	case V_PKT_NACK:
		/* A client refusing a member's move (src = client): the alien's. */
		if (h->src == h->client) {
			v_train_rcv(host, skb);
			break;
		}
		v_net_client_rcv(host, skb);
		break;
	case V_PKT_MOVE_DATA:
		/*
		 * MoveFrom blocks (sent by the client itself) go to the server's
		 * alien, MoveTo blocks (sent by the server) to the client; both
		 * may be on this host when a transaction was forwarded back.
		 */
		if (h->src == h->client) {
			v_train_rcv(host, skb);
			break;
		}
		fallthrough;
	default:
		v_net_client_rcv(host, skb);
	}
}
