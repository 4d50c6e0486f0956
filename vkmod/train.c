// SPDX-License-Identifier: GPL-2.0
/*
 * Packet trains: MoveTo and MoveFrom on a remote client's segment.
 *
 * The server's thread (in MoveTo/MoveFrom on an alien) drives each train;
 * the client's thread, blocked in its Send, serves it from its wait loop
 * (net.c hands it MOVE_FROM and MOVE_DATA frames), because only that
 * thread may touch the client's memory.  Softirq only queues frames.  The
 * protocol is described in uapi/linux/v.h ("Bulk transfer"): trains of up
 * to V_WIRE_TRAIN blocks, one acknowledgment (a bitmap) per train, only
 * missing blocks sent again, and up to V_WIRE_TRAIN_WINDOW trains in
 * flight, each as long as the congestion window to the client's host
 * gives this mover (cc.c).
 *
 * Server-side state: one mover per alien at a time (a->move_lock); the
 * newest train number a->xfer is changed and compared under ipc_lock, so
 * late frames of trains no longer in flight are dropped before they are
 * queued.  A mover gives up with -EHOSTUNREACH after the host-down bound
 * without progress, and with -ENOENT as soon as the transaction is no
 * longer held (the client moved on, or the caller's process replied from
 * another thread).  A group Send's member gets -EACCES once the client's
 * kernel says the Send was answered (NACK SEG_CLOSED): access ends with
 * the first Reply.  The client's frames name the mover as dst, so they
 * reach the right one of a group Send's aliens.  Client-side state (the
 * masks of the MoveTo trains in flight) is the sending thread's own.
 */
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include "vkmod.h"

#define V_TRAIN_RETRY_MS	20
#define V_TRAIN_RETRY_MAX_MS	320
/* Silent rounds before a mover gives up the path it sends by (map.c). */
#define V_TRAIN_STALE		2
#define V_TRAIN_QUEUE_MAX	(V_WIRE_TRAIN_WINDOW * V_WIRE_TRAIN)

static u64 v_train_full(unsigned int count)
{
	return count >= 64 ? ~0ULL : BIT_ULL(count) - 1;
}

static bool v_train_held(struct v_sock *vs, struct v_alien *a)
{
	bool held;

	spin_lock_bh(&vs->host->ipc_lock);
	held = a->txn.holder == vs && a->txn.state == V_TXN_RECEIVED;
	spin_unlock_bh(&vs->host->ipc_lock);
	return held;
}

/*
 * A Move's first train.  Its number skips a whole window, so that no late
 * frame of the previous Move's trains is let through by v_train_rcv().
 */
static u32 v_train_start(struct v_host *host, struct v_alien *a)
{
	u32 xfer;

	spin_lock_bh(&host->ipc_lock);
	a->xfer += V_WIRE_TRAIN_WINDOW;
	xfer = a->xfer;
	spin_unlock_bh(&host->ipc_lock);
	skb_queue_purge(&a->move_q);
	return xfer;
}

/* A further train of the same Move: the window moves on to it. */
static void v_train_advance(struct v_host *host, struct v_alien *a, u32 xfer)
{
	spin_lock_bh(&host->ipc_lock);
	a->xfer = xfer;
	spin_unlock_bh(&host->ipc_lock);
}

/* A MOVE_FROM or MOVE_ACK frame (payload struct v_wire_move). */
static void v_train_send_move(struct v_host *host, u8 type, u64 client, u32 seq, u64 dst,
			      u64 src, u32 dst_host, u64 offset, u32 len, u32 block, u32 xfer,
			      u64 mask)
{
	struct sk_buff *skb = v_net_frame(host, type, client, seq, dst, src,
					  sizeof(struct v_wire_move), GFP_KERNEL);
	struct v_wire_move *mv;

	if (!skb)
		return;
	mv = skb_put_zero(skb, sizeof(*mv));
	mv->offset = cpu_to_be64(offset);
	mv->len = cpu_to_be32(len);
	mv->block = cpu_to_be32(block);
	mv->xfer = cpu_to_be32(xfer);
	mv->mask = cpu_to_be64(mask);
	v_net_xmit(host, dst_host, skb);
}

/* One MOVE_DATA block from user memory (NULL if that memory faults). */
static struct sk_buff *v_train_block(struct v_host *host, u64 client, u32 seq, u64 dst,
				     u64 src, u64 offset, u32 xfer, u16 index, u16 count,
				     const void __user *from, u32 n, int *err)
{
	struct sk_buff *skb = v_net_frame(host, V_PKT_MOVE_DATA, client, seq, dst, src,
					  sizeof(struct v_wire_data) + n, GFP_KERNEL);
	struct v_wire_data *d;

	if (!skb) {
		*err = -ENOMEM;
		return NULL;
	}
	d = skb_put_zero(skb, sizeof(*d));
	d->offset = cpu_to_be64(offset);
	d->xfer = cpu_to_be32(xfer);
	d->index = cpu_to_be16(index);
	d->count = cpu_to_be16(count);
	d->data_len = cpu_to_be32(n);
	if (copy_from_user(skb_put(skb, n), from, n)) {
		kfree_skb(skb);
		*err = -EFAULT;
		return NULL;
	}
	return skb;
}

/* Queue on q the copy of a kept block that goes on the wire. */
static void v_train_queue_copy(struct sk_buff_head *q, struct sk_buff *block)
{
	struct sk_buff *skb = v_net_copy_kept(block, GFP_KERNEL);

	if (skb)
		__skb_queue_tail(q, skb);
}

/*
 * Transmit the frames of q back to back.  They are all made before the
 * first one goes out, so that no allocation or fault (each a voluntary
 * preemption point) falls between two of them: the peer's thread, woken
 * by every frame and often on this CPU, then runs once per train rather
 * than once per block.
 */
static void v_train_xmit_queue(struct v_host *host, u32 dst_host, struct sk_buff_head *q)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q)))
		v_net_xmit(host, dst_host, skb);
}

/*
 * Wait for frames on a->move_q until deadline; -ERESTARTSYS on a signal,
 * -ENOENT when the transaction is no longer held.
 */
static int v_train_wait(struct v_sock *vs, struct v_alien *a, unsigned long deadline)
{
	long left = (long)(deadline - jiffies) + v_race_jiffies(V_RACE_TRAIN_WAIT);

	/*
	 * A signal restarts the Move from its start (moving the same bytes
	 * again is harmless), so a stopped server is not failed by SIGSTOP.
	 */
	if (left > 0) {
		left = wait_event_interruptible_timeout(a->move_wait,
							!skb_queue_empty(&a->move_q) ||
							READ_ONCE(a->seg_closed) ||
							!v_train_held(vs, a), left);
		if (left < 0)
			return -ERESTARTSYS;
	}
	if (READ_ONCE(a->seg_closed))
		return -EACCES;
	return v_train_held(vs, a) ? 0 : -ENOENT;
}

/*
 * One train of a Move in flight.  Train xfer lives in slot
 * xfer % V_WIRE_TRAIN_WINDOW, and a new train is started only when that
 * slot is free, so the trains in flight are always the newest
 * V_WIRE_TRAIN_WINDOW: what v_train_rcv() lets through, and what the
 * client keeps masks for.
 */
struct v_train_slot {
	void __user *buf;
	u64 offset;		/* of block 0 in the client's segment */
	u32 len;		/* bytes in the train; 0: the slot is free */
	u32 xfer;
	u64 mask;		/* MoveFrom: blocks in; MoveTo: blocks acknowledged */
	u32 epoch;		/* the congestion window's when it began (cc.c) */
	bool lost;		/* something of it was sent again */
	struct sk_buff *blocks[V_WIRE_TRAIN];	/* MoveTo: kept to send again */
};

struct v_train_mover {
	struct v_sock *vs;
	struct v_alien *a;
	u32 block;		/* bytes per block */
	bool to_seg;		/* MoveTo */
	unsigned int busy;	/* trains in flight */
	struct v_train_slot slot[V_WIRE_TRAIN_WINDOW];
};

static unsigned int v_train_count(const struct v_train_mover *mv, const struct v_train_slot *s)
{
	return DIV_ROUND_UP(s->len, mv->block);
}

enum v_train_go {
	V_TRAIN_FIRST,		/* the train starts */
	V_TRAIN_MISSING,	/* MoveTo: an ACK lacks blocks */
	V_TRAIN_SILENCE,	/* nothing heard for a while */
};

/*
 * Put train s on the wire: MoveFrom asks for the blocks it lacks; MoveTo
 * sends every block not acknowledged, or after a silence the last one
 * (acknowledged or not), which draws an ACK with the bitmap.  Every frame
 * but the first counts as a retransmission.
 */
static void v_train_go(struct v_train_mover *mv, struct v_train_slot *s, enum v_train_go why)
{
	struct v_host *host = mv->vs->host;
	struct v_alien *a = mv->a;
	unsigned int count = v_train_count(mv, s), i;
	struct sk_buff_head out;

	/*
	 * An ACK that lacks blocks is a loss (cc.c).  Silence is not: a
	 * client's thread that was not scheduled for a while looks the same.
	 */
	if (why == V_TRAIN_MISSING)
		s->lost = true;
	if (!mv->to_seg) {
		if (why != V_TRAIN_FIRST)
			v_stat_inc(host, V_A_STAT_RETRANSMITS);
		v_train_send_move(host, V_PKT_MOVE_FROM, a->client, a->txn.seq, a->client,
				  mv->vs->id, a->client_host, s->offset, s->len, mv->block,
				  s->xfer, s->mask);
		return;
	}
	__skb_queue_head_init(&out);
	for (i = why == V_TRAIN_SILENCE ? count - 1 : 0; i < count; i++) {
		/* The last block draws an ACK even if the client holds it. */
		if ((s->mask & BIT_ULL(i)) && why != V_TRAIN_SILENCE)
			continue;
		if (why != V_TRAIN_FIRST)
			v_stat_inc(host, V_A_STAT_RETRANSMITS);
		v_train_queue_copy(&out, s->blocks[i]);
	}
	v_train_xmit_queue(host, a->client_host, &out);
}

/* Free train s; whole: it arrived, which the congestion window learns from. */
static void v_train_end(struct v_train_mover *mv, struct v_train_slot *s, bool whole)
{
	unsigned int i;

	if (whole)
		v_map_cc_end(mv->vs->host, mv->a->client_host, s->lost, s->epoch);
	for (i = 0; i < V_WIRE_TRAIN; i++) {
		kfree_skb(s->blocks[i]);
		s->blocks[i] = NULL;
	}
	s->len = 0;
	mv->busy--;
}

/* Start train xfer of len bytes at done bytes into the Move m. */
static int v_train_begin(struct v_train_mover *mv, const struct v_move *m, u64 done, u32 xfer)
{
	struct v_train_slot *s = &mv->slot[xfer % V_WIRE_TRAIN_WINDOW];
	struct v_alien *a = mv->a;
	unsigned int count, i;
	int err = 0;

	s->buf = u64_to_user_ptr(m->addr + done);
	s->offset = m->offset + done;
	/* As many blocks as the congestion window gives this mover (cc.c). */
	s->len = min_t(u64, m->len - done,
		       (u64)mv->block * v_map_cc_begin(mv->vs->host, a->client_host, &s->epoch));
	s->xfer = xfer;
	s->mask = 0;
	s->lost = false;
	mv->busy++;
	count = v_train_count(mv, s);
	for (i = 0; mv->to_seg && i < count && !err; i++)
		s->blocks[i] = v_train_block(mv->vs->host, a->client, a->txn.seq, a->client,
					     mv->vs->id, s->offset + (u64)i * mv->block, xfer, i,
					     count, s->buf + (u64)i * mv->block,
					     min(mv->block, s->len - i * mv->block), &err);
	if (!err)
		v_train_go(mv, s, V_TRAIN_FIRST);
	return err;
}

/*
 * A frame for the mover: a MOVE_DATA block (MoveFrom) or a MOVE_ACK
 * (MoveTo) of a train in flight.  Returns whether it told us something
 * new; *err on a fault writing the caller's buffer.
 */
static bool v_train_take(struct v_train_mover *mv, struct sk_buff *skb, int *err)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_move *ack = (const void *)(h + 1);
	const struct v_wire_data *d = (const void *)(h + 1);
	u32 xfer = be32_to_cpu(mv->to_seg ? ack->xfer : d->xfer);
	struct v_train_slot *s = &mv->slot[xfer % V_WIRE_TRAIN_WINDOW];
	u64 full = v_train_full(v_train_count(mv, s));
	u16 i = be16_to_cpu(d->index);
	u32 n = be32_to_cpu(d->data_len);

	if (h->type != (mv->to_seg ? V_PKT_MOVE_ACK : V_PKT_MOVE_DATA) || !s->len ||
	    s->xfer != xfer)
		return false;
	if (mv->to_seg) {
		/*
		 * Any ACK proves the client alive, even one that holds
		 * nothing new (the blocks sent again were lost again).
		 */
		s->mask |= get_unaligned_be64(&ack->mask) & full;
		if (s->mask == full)
			v_train_end(mv, s, true);
		else	/* selective retransmission: only what the ACK lacks */
			v_train_go(mv, s, V_TRAIN_MISSING);
		return true;
	}
	if (i >= v_train_count(mv, s) || (s->mask & BIT_ULL(i)) ||
	    get_unaligned_be64(&d->offset) != s->offset + (u64)i * mv->block ||
	    n != min(mv->block, s->len - i * mv->block))
		return false;
	if (copy_to_user(s->buf + (u64)i * mv->block, d + 1, n))
		*err = -EFAULT;
	s->mask |= BIT_ULL(i);
	/* The client sends a train's blocks in order: a gap before the last is a loss. */
	if (i == v_train_count(mv, s) - 1 && s->mask != full)
		s->lost = true;
	if (s->mask == full)
		v_train_end(mv, s, true);
	return true;
}

/*
 * Move m as trains, up to V_WIRE_TRAIN_WINDOW of them in flight: while
 * this thread collects one, the client's thread already answers the next,
 * so the link does not idle for a round trip between trains (TCP's window
 * keeps it busy the same way).  Silence is answered with back-off: each
 * train in flight asks again for what it lacks.
 */
static int v_train_run(struct v_train_mover *mv, const struct v_move *m)
{
	struct v_host *host = mv->vs->host;
	struct v_alien *a = mv->a;
	unsigned long ivl = msecs_to_jiffies(V_TRAIN_RETRY_MS), progress, next;
	u32 first = v_train_start(host, a), xfer = first;
	unsigned int k, silent = 0;
	struct sk_buff *skb;
	u64 done = 0;
	int err = 0;

	progress = jiffies;
	next = jiffies + ivl;
	for (;;) {
		while (done < m->len && !mv->slot[xfer % V_WIRE_TRAIN_WINDOW].len && !err) {
			if (xfer != first)
				v_train_advance(host, a, xfer);
			err = v_train_begin(mv, m, done, xfer);
			done += mv->slot[xfer++ % V_WIRE_TRAIN_WINDOW].len;
		}
		if (err || !mv->busy)
			break;
		err = v_train_wait(mv->vs, a, next);
		if (err)
			break;
		while ((skb = skb_dequeue(&a->move_q))) {
			if (v_train_take(mv, skb, &err)) {
				/* Trains move: the next silence starts the back-off anew. */
				progress = jiffies;
				silent = 0;
				ivl = msecs_to_jiffies(V_TRAIN_RETRY_MS);
				next = jiffies + ivl;
			}
			kfree_skb(skb);
		}
		if (err || !mv->busy || time_before(jiffies, next))
			continue;
		if (time_after(jiffies,
			       progress + msecs_to_jiffies(READ_ONCE(host->host_down_ms)))) {
			err = -EHOSTUNREACH;
			break;
		}
		/* As a client's Send does: the current path is given up for another. */
		if (++silent == V_TRAIN_STALE)
			v_map_failover(host, a->client_host);
		for (k = 0; k < V_WIRE_TRAIN_WINDOW; k++)
			if (mv->slot[k].len)
				v_train_go(mv, &mv->slot[k], V_TRAIN_SILENCE);
		ivl = min_t(unsigned long, ivl * 2, msecs_to_jiffies(V_TRAIN_RETRY_MAX_MS));
		next = jiffies + ivl;
	}
	for (k = 0; k < V_WIRE_TRAIN_WINDOW; k++)
		if (mv->slot[k].len)
			v_train_end(mv, &mv->slot[k], false);
	return err;
}

/* MoveTo (to_seg) / MoveFrom on the segment of a remote client. */
int v_train_move(struct v_sock *vs, struct v_alien *a, const struct v_move *m, bool to_seg)
{
	struct v_host *host = vs->host;
	struct v_txn *t = &a->txn;
	struct v_train_mover *mv;
	u64 block;
	int err = 0;

	spin_lock_bh(&host->ipc_lock);
	if (t->holder != vs || t->state != V_TXN_RECEIVED)
		err = -ENOENT;
	else if (unlikely(t->deadline) && v_notice_deadline_passed(vs, t, true))
		err = -ETIMEDOUT;
	else if (!(t->seg_access & (to_seg ? V_SEG_WRITE : V_SEG_READ)))
		err = -EACCES;
	else if (m->offset > t->seg_len || m->len > t->seg_len - m->offset)
		err = -ERANGE;
	spin_unlock_bh(&host->ipc_lock);
	/* A group Send already answered: access has ended. */
	if (!err && a->group &&
	    (READ_ONCE(a->seg_closed) ||
	     (a->client_host == v_host_part(host) && !v_alien_group_open(host, a))))
		err = -EACCES;
	if (err || !m->len)
		return err;
	if (!access_ok(u64_to_user_ptr(m->addr), m->len))
		return -EFAULT;
	block = v_net_payload_max(host, a->client_host);
	if (block < sizeof(struct v_wire_data) + 64)
		return -EHOSTUNREACH;
	mv = kzalloc(sizeof(*mv), GFP_KERNEL);
	if (!mv)
		return -ENOMEM;
	mv->vs = vs;
	mv->a = a;
	mv->block = block - sizeof(struct v_wire_data);
	mv->to_seg = to_seg;

	if (mutex_lock_killable(&a->move_lock)) {
		kfree(mv);
		return -EINTR;
	}
	v_map_cc_join(host, a->client_host, 1);	/* the window's shares (cc.c) */
	err = v_train_run(mv, m);
	v_map_cc_join(host, a->client_host, -1);
	mutex_unlock(&a->move_lock);
	kfree(mv);
	if (!err && to_seg)
		trace_v_move_to(v_host_part(host), a->client, t->seq, vs->id, m->len);
	else if (!err)
		trace_v_move_from(v_host_part(host), a->client, t->seq, vs->id, m->len);
	return err;
}

/* The client refused a member's move: its group Send was answered. */
static void v_train_rcv_nack(struct v_host *host, const struct v_wire_hdr *h)
{
	const struct v_wire_nack *n = (const void *)(h + 1);
	struct v_alien *a;

	if (be32_to_cpu(n->error) != V_WERR_SEG_CLOSED)
		return;
	a = v_alien_find(host, get_unaligned_be64(&h->client), get_unaligned_be64(&h->dst));
	if (!a)
		return;
	if (a->group && a->txn.seq == be32_to_cpu(h->seq)) {
		WRITE_ONCE(a->seg_closed, true);
		wake_up(&a->move_wait);
	}
	v_alien_put(a);
}

/*
 * A MOVE_DATA frame (header and payload pulled) whose fields agree: its
 * data_len with the frame's length, its block index inside a train of
 * 1..V_WIRE_TRAIN blocks.  Anything else is dropped as short, on both
 * sides, before it is queued.
 */
bool v_train_data_ok(const struct v_wire_hdr *h)
{
	const struct v_wire_data *d = (const void *)(h + 1);
	u32 len = be32_to_cpu(h->len);
	u16 count;

	if (len < sizeof(*d) || len - sizeof(*d) != be32_to_cpu(d->data_len))
		return false;
	count = be16_to_cpu(d->count);
	return count && count <= V_WIRE_TRAIN && be16_to_cpu(d->index) < count;
}

/* Does a's mover take a frame of train xfer for seq now (ipc_lock held)? */
static bool v_train_wanted(struct v_alien *a, u32 seq, u32 xfer)
{
	return a->txn.seq == seq && a->xfer - xfer < V_WIRE_TRAIN_WINDOW &&
	       a->txn.state == V_TXN_RECEIVED && skb_queue_len(&a->move_q) < V_TRAIN_QUEUE_MAX;
}

/*
 * Queue skb of train xfer for a's mover.  A mover in a cgroup has it
 * charged there (charge.c) outside ipc_lock, pinned meanwhile; one in
 * none takes it at once.  0, or the drop counter to count (skb then still
 * the caller's).  *skbp is what is left to free: NULL once queued.
 */
static int v_train_queue(struct v_host *host, struct v_alien *a, struct sk_buff **skbp,
			 u32 xfer)
{
	u32 seq = be32_to_cpu(((const struct v_wire_hdr *)(*skbp)->data)->seq);
	struct v_sock *mover = NULL;
	struct sk_buff *skb;
	bool must = false;
	int why = 0;

	spin_lock(&host->ipc_lock);
	if (!v_train_wanted(a, seq, xfer)) {
		why = V_A_STAT_DROP_NO_TXN;
	} else if (!a->txn.holder->sk.sk_memcg) {
		skb_queue_tail(&a->move_q, *skbp);	/* nothing to charge */
		*skbp = NULL;
	} else {
		mover = a->txn.holder;
		sock_hold(&mover->sk);
		must = skb_queue_len(&a->move_q) < V_CHARGE_MIN;
	}
	spin_unlock(&host->ipc_lock);
	if (!mover)
		return why;
	skb = v_charge_skb(mover, *skbp, must);
	if (!skb) {
		sock_put(&mover->sk);
		return V_A_STAT_DROP_NOMEM;
	}
	*skbp = skb;
	spin_lock(&host->ipc_lock);
	if (a->txn.holder == mover && v_train_wanted(a, seq, xfer)) {
		skb_queue_tail(&a->move_q, skb);
		*skbp = NULL;
	} else {
		why = V_A_STAT_DROP_NO_TXN;
	}
	spin_unlock(&host->ipc_lock);
	sock_put(&mover->sk);
	return why;
}

/*
 * A MOVE_DATA (for MoveFrom), MOVE_ACK (for MoveTo) or NACK for an alien
 * (softirq).
 */
void v_train_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	u32 len = be32_to_cpu(h->len), xfer;
	int why = V_A_STAT_DROP_NO_TXN;
	struct v_alien *a;

	/* A client's frames come from the client's host (a forger's may not). */
	if (be32_to_cpu(h->src_host) != v_id_host(get_unaligned_be64(&h->client))) {
		v_stat_inc(host, V_A_STAT_DROP_NOT_MINE);
		kfree_skb(skb);
		return;
	}
	if (h->type == V_PKT_NACK) {
		if (len < sizeof(struct v_wire_nack))
			goto short_frame;
		v_train_rcv_nack(host, h);
		kfree_skb(skb);
		return;
	}
	if (h->type == V_PKT_MOVE_ACK) {
		if (len < sizeof(struct v_wire_move))
			goto short_frame;
		xfer = be32_to_cpu(((const struct v_wire_move *)(h + 1))->xfer);
	} else {
		if (!v_train_data_ok(h))
			goto short_frame;
		xfer = be32_to_cpu(((const struct v_wire_data *)(h + 1))->xfer);
	}
	a = v_alien_find(host, get_unaligned_be64(&h->client), get_unaligned_be64(&h->dst));
	if (a) {
		why = v_train_queue(host, a, &skb, xfer);
		if (!why)
			wake_up(&a->move_wait);
		v_alien_put(a);
	}
	if (why) {
		v_stat_inc(host, why);
		kfree_skb(skb);
	}
	return;
short_frame:
	v_stat_inc(host, V_A_STAT_DROP_SHORT);
	kfree_skb(skb);
}

/* Client side: the server asks for blocks of our segment (MoveFrom). */
void v_train_client_move_from(struct v_sock *vs, struct v_txn *t, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_move *mv = (const void *)(h + 1);
	u64 off = get_unaligned_be64(&mv->offset), mask = get_unaligned_be64(&mv->mask);
	u32 len = be32_to_cpu(mv->len), block = be32_to_cpu(mv->block);
	u32 xfer = be32_to_cpu(mv->xfer), server_host = be32_to_cpu(h->src_host);
	unsigned int count, i, max, k = xfer % V_WIRE_TRAIN_WINDOW;
	struct sk_buff_head out;
	int err = 0;

	/* Only inside the segment and access this process granted. */
	if (!(t->seg_access & V_SEG_READ) || !len || !block ||
	    off > t->seg_len || len > t->seg_len - off)
		return;
	/* The blocks go to the host the Send takes answers from (v_net_client_rcv()). */
	if (READ_ONCE(t->ans_host))
		server_host = READ_ONCE(t->ans_host);
	count = DIV_ROUND_UP(len, block);
	max = v_net_payload_cap(vs->host, server_host);
	if (count > V_WIRE_TRAIN || max < sizeof(struct v_wire_data) ||
	    block > max - sizeof(struct v_wire_data))
		return;
	/*
	 * A mover's train is answered again only after half its first
	 * back-off: a flood of copies of one 72-byte MOVE_FROM does not
	 * become a flood of full blocks.
	 */
	if (t->mf_at[k] && t->mf_xfer[k] == xfer && t->mf_src[k] == h->src &&
	    time_before(jiffies, t->mf_at[k] + msecs_to_jiffies(V_TRAIN_RETRY_MS / 2)))
		return;
	t->mf_xfer[k] = xfer;
	t->mf_src[k] = h->src;
	t->mf_at[k] = jiffies ?: 1;
	__skb_queue_head_init(&out);
	for (i = 0; i < count && !err; i++) {
		struct sk_buff *b;

		if (mask & BIT_ULL(i))
			continue;
		b = v_train_block(vs->host, t->sender_id, t->seq, get_unaligned_be64(&h->src),
				  t->sender_id, off + (u64)i * block, xfer, i, count,
				  (const void __user *)(t->seg_addr + off + (u64)i * block),
				  min(block, len - i * block), &err);
		if (b)
			__skb_queue_tail(&out, b);
	}
	/* The blocks read before a fault still go; the server asks again for the rest. */
	v_train_xmit_queue(vs->host, server_host, &out);
}

/* Client side: forget the MoveTo trains; src moves the next ones. */
void v_train_client_reset(struct v_txn *t, __be64 src)
{
	memset(t->mv_xfer, 0, sizeof(t->mv_xfer));
	memset(t->mv_mask, 0, sizeof(t->mv_mask));
	t->mv_newest = 0;
	t->mv_src = src;
	memset(t->mf_at, 0, sizeof(t->mf_at));	/* 0: no MoveFrom train answered */
}

/* Client side: a block of a MoveTo train; ACK when the train is whole. */
void v_train_client_data(struct v_sock *vs, struct v_txn *t, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_data *d = (const void *)(h + 1);
	u64 off = get_unaligned_be64(&d->offset);
	u32 n = be32_to_cpu(d->data_len), xfer = be32_to_cpu(d->xfer);
	u16 i = be16_to_cpu(d->index), count = be16_to_cpu(d->count);
	unsigned int k = xfer % V_WIRE_TRAIN_WINDOW;
	u64 full;

	if (!count || count > V_WIRE_TRAIN || i >= count)
		return;
	/* Each of a group Send's members numbers its own trains. */
	if (h->src != t->mv_src)
		v_train_client_reset(t, h->src);
	if (t->mv_newest && (s32)(xfer - t->mv_newest) <= -V_WIRE_TRAIN_WINDOW)
		return;		/* a late block of a train no longer in flight */
	if (!t->mv_newest || (s32)(xfer - t->mv_newest) > 0)
		t->mv_newest = xfer;
	if (t->mv_xfer[k] != xfer) {
		/* The slot's train is V_WIRE_TRAIN_WINDOW older: whole. */
		t->mv_xfer[k] = xfer;
		t->mv_mask[k] = 0;
	}
	if (!(t->mv_mask[k] & BIT_ULL(i))) {
		if (!(t->seg_access & V_SEG_WRITE) || off > t->seg_len || n > t->seg_len - off)
			return;		/* outside what this process granted */
		if (copy_to_user((void __user *)(t->seg_addr + off), d + 1, n))
			return;
		t->mv_mask[k] |= BIT_ULL(i);
	}
	full = v_train_full(count);
	if (t->mv_mask[k] == full || i == count - 1)
		v_train_send_move(vs->host, V_PKT_MOVE_ACK, t->sender_id, t->seq,
				  get_unaligned_be64(&h->src), t->sender_id,
				  be32_to_cpu(h->src_host), 0, 0, 0, xfer, t->mv_mask[k]);
}
