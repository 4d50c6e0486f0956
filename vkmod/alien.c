// SPDX-License-Identifier: GPL-2.0
/*
 * Aliens: the server side of remote transactions (1983 paper, 3.2).
 *
 * A REQUEST from another host becomes an alien: a small descriptor whose
 * embedded v_txn sits on the receiving process's queue exactly like a
 * local sender's, so Receive, Reply and Forward treat both alike (ipc.c).
 * One alien is one transaction (client id, seq) at one receiver; the
 * table maps a client to its latest transaction here: one alien, or for a
 * group Send (GREQUEST, also handed to the client's own host) one alien
 * per local member, all with the same seq.  After the Reply the alien keeps the RESPONSE
 * frames, so a retransmitted request is answered from this cache and is
 * never executed twice; a duplicate of a request not yet replied to gets
 * an ACK (reply pending) so the client does not declare us down.
 *
 * Bounds: at most host->max_aliens per host (a namespace but the initial
 * one: at most its share of the module's cap, v_host_cap()) and
 * v_max_aliens_global in all, at most a fair share (v_alien_host_share())
 * for any one source (v_alien_src_key()), so one busy client host cannot
 * fill a server's whole queue, and at most three quarters of the limit
 * queued at one receiver; beyond them a request is refused with a BUSY
 * NACK (the client backs off and retries) and counted - never dropped
 * silently.  A queued alien whose client has gone silent is collected by
 * the GC (a live client retransmits).  Each alien is charged to its
 * receiver's memory cgroup (v_alien_new()).  Finished aliens
 * linger for the longer of this host's host-down bound and the client's
 * (the REQUEST's retx_ms) plus a second, as long as the client may
 * retransmit, then the per-host GC frees them.
 *
 * Locking: host->alien_lock (bh) protects the table; it nests outside
 * ipc_lock (alien_lock -> ipc_lock), never the other way.  The response
 * cache (a->resp, with its own queue lock) is filled under ipc_lock by the
 * Reply that ends the transaction (ipc_lock -> resp.lock) and read without
 * ipc_lock.  An alien is
 * reference counted: the table holds one reference, and so does every
 * v_peer that names it and every pending NACK work item.  Fields set
 * when the alien is created never change.
 */
#include <linux/cred.h>
#include <linux/etherdevice.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/genetlink.h>
#include "vkmod.h"

#define V_ALIEN_AGAIN_MS	10	/* half a client's first retransmission interval */
#define V_ALIEN_AGAIN_MAX	64	/* resends of one cached reply */
#define V_ALIEN_COLLECT_MS	10000	/* silence past the bound before a queued one goes */

static atomic_t v_aliens_global = ATOMIC_INIT(0);
static struct workqueue_struct *v_alien_wq;

/*
 * The aliens on the table of one source (under alien_lock): what its fair
 * share (v_alien_host_share()) is checked against.  Exists while n > 0,
 * so there are never more of them than aliens.
 */
struct v_alien_src {
	struct hlist_node node;
	u64 key;			/* v_alien_src_key() */
	unsigned int n;
};

/*
 * Aliens this host may hold: its own limit, and for a namespace other
 * than the initial one no more than its share of the module's cap.
 */
static unsigned int v_alien_limit(struct v_host *host)
{
	return v_host_cap(host, READ_ONCE(host->max_aliens), v_max_aliens_global,
			  READ_ONCE(v_max_aliens_ns));
}

/* Aliens one source may hold here at once: 0 means half the limit. */
unsigned int v_alien_host_share(struct v_host *host)
{
	unsigned int share = READ_ONCE(host->max_aliens_host);

	return min(share ?: DIV_ROUND_UP(v_alien_limit(host), 2), v_alien_limit(host));
}

/*
 * Aliens queued at one receiver at once: three quarters of the limit, so
 * a process that never receives leaves the others a quarter of the table.
 */
static unsigned int v_alien_receiver_max(struct v_host *host)
{
	unsigned int limit = v_alien_limit(host);

	return max(1U, limit - limit / 4);
}

/*
 * Who a REQUEST's share is counted against: its client's host part when
 * that is vouched for (a tag of this host's key, or this host itself);
 * on an unkeyed host the link and source MAC address it came from (bit
 * 63 set): any host part is a 30-bit number anyone can write, a MAC is
 * what honest hosts keep (a forger may change it too; only a key stops
 * that).  All the requests a forwarder relays share its source.
 */
static u64 v_alien_src_key(struct v_host *host, const struct sk_buff *skb, u64 client)
{
	const struct v_wire_hdr *h = (const void *)skb->data;

	const struct v_rx_cb *cb = v_rx_cb(skb);

	if (be32_to_cpu(h->src_host) == v_host_part(host) || !cb->link || v_auth_keyed(host))
		return v_id_host(client);
	return v_addr_hash(host, cb->link, &cb->from);
}

static struct hlist_head *v_alien_src_bucket(struct v_host *host, u64 key)
{
	return &host->alien_srcs[v_host_hash(host, key, ilog2(V_ALIEN_SRC_BUCKETS))];
}

/*
 * Room for n more aliens of source key; alien_lock held.  The entry,
 * found or made; NULL (*busy set when it is the share that is full) if
 * there is none.
 */
static struct v_alien_src *v_alien_src_get(struct v_host *host, u64 key, unsigned int n,
					   bool *busy)
{
	struct v_alien_src *src;

	hlist_for_each_entry(src, v_alien_src_bucket(host, key), node)
		if (src->key == key)
			break;
	*busy = (src ? src->n : 0) + n > v_alien_host_share(host);
	if (*busy)
		return NULL;
	if (src)
		return src;
	src = kzalloc(sizeof(*src), GFP_ATOMIC);
	if (src) {
		src->key = key;
		hlist_add_head(&src->node, v_alien_src_bucket(host, key));
	}
	return src;
}

struct v_txn *v_alien_txn(struct v_alien *a)
{
	return &a->txn;
}

void v_alien_get(struct v_alien *a)
{
	refcount_inc(&a->ref);
}

/* Give back a slot counted by v_alien_rcv_request(). */
static void v_alien_unreserve(struct v_host *host)
{
	atomic_dec(&host->nr_aliens);
	atomic_dec(&v_aliens_global);
}

void v_alien_put(struct v_alien *a)
{
	struct sk_buff *skb;

	if (!refcount_dec_and_test(&a->ref))
		return;
	while ((skb = skb_dequeue(&a->resp)))
		consume_skb(skb);	/* a reply that has served its time */
	skb_queue_purge(&a->move_q);
	kfree_skb(a->fwd_skb);
	put_pid(a->tgid);
	v_alien_unreserve(a->host);
	if (a->piggy != a->piggy_inline)
		kfree(a->piggy);
	kfree(a);
}

static struct hlist_head *v_alien_bucket(struct v_host *host, u64 client)
{
	return &host->aliens[v_host_hash(host, client, ilog2(V_ALIEN_BUCKETS))];
}

/* An alien of client (any one of a group Send's); alien_lock held. */
static struct v_alien *v_alien_lookup(struct v_host *host, u64 client)
{
	struct v_alien *a;

	hlist_for_each_entry(a, v_alien_bucket(host, client), hnode)
		if (a->client == client)
			return a;
	return NULL;
}

/*
 * The latest alien of a client, with a reference.  Of a group Send's
 * aliens, the one the process holder holds (a member's Reply, MoveTo,
 * MoveFrom; the client's train frames name the member as dst).
 */
struct v_alien *v_alien_find(struct v_host *host, u64 client, u64 holder)
{
	struct v_alien *a, *found = NULL;

	spin_lock_bh(&host->alien_lock);
	hlist_for_each_entry(a, v_alien_bucket(host, client), hnode) {
		if (a->client != client)
			continue;
		if (a->group) {
			bool held;

			spin_lock(&host->ipc_lock);
			held = a->txn.holder && a->txn.holder->id == holder;
			spin_unlock(&host->ipc_lock);
			if (!held)
				continue;
		}
		found = a;
		v_alien_get(a);
		break;
	}
	spin_unlock_bh(&host->alien_lock);
	return found;
}

static void v_alien_unhash(struct v_alien *a)
{
	struct v_alien_src *src = a->src;

	hlist_del(&a->hnode);
	a->hashed = false;
	a->src = NULL;
	if (!--src->n) {
		hlist_del(&src->node);
		kfree(src);
	}
	v_alien_put(a);
}

/* The credentials Receive reports for a's client; ipc_lock held. */
void v_alien_fill_creds(struct v_alien *a, struct v_creds *c, struct user_namespace *ns,
			struct pid_namespace *pid_ns)
{
	c->host = a->client_host;
	if (a->local) {
		v_creds_fill_ids(c, ns, a->kuid, a->kgid);
		c->pid = pid_nr_ns(a->tgid, pid_ns);
		c->flags = 0;
		return;
	}
	c->uid = a->uid;
	c->gid = a->gid;
	c->pid = 0;
	c->flags = V_CRED_REMOTE | (a->keyed ? V_CRED_KEYED : 0);
}

/*
 * The bytes a's request carried, for a copy (Receive, Forward): their
 * number and *data, 0 when none are left; v_alien_piggy_put() ends the
 * copy.
 */
u32 v_alien_piggy_get(struct v_alien *a, const u8 **data)
{
	u32 n;

	spin_lock_bh(&a->host->ipc_lock);
	*data = a->piggy;
	n = a->piggy ? a->piggy_len : 0;
	if (n)
		a->piggy_users++;
	spin_unlock_bh(&a->host->ipc_lock);
	return n;
}

/* An allocated piggy nobody copies from any more; ipc_lock held. */
static void v_alien_piggy_free(struct v_alien *a)
{
	if (!a->piggy || a->piggy == a->piggy_inline)
		return;
	if (a->piggy_users) {
		a->piggy_drop = true;	/* the last copier frees it */
		return;
	}
	kfree(a->piggy);
	a->piggy = NULL;
}

void v_alien_piggy_put(struct v_alien *a)
{
	spin_lock_bh(&a->host->ipc_lock);
	if (!--a->piggy_users && a->piggy_drop)
		v_alien_piggy_free(a);
	spin_unlock_bh(&a->host->ipc_lock);
}

int v_alien_copy_piggy(struct v_alien *a, void __user *buf, u64 len, u64 *copied)
{
	const u8 *data;
	u32 have = v_alien_piggy_get(a, &data);
	u64 n = min_t(u64, len, have);
	int err = 0;

	if (n && copy_to_user(buf, data, n))
		err = -EFAULT;
	if (have)
		v_alien_piggy_put(a);
	*copied = err ? 0 : n;
	return err;
}

/*
 * NACK error to client; req: the request refused, which says where to:
 * one that came straight from its client is answered at the address it
 * came from (even with the map full), but a REQUEST that came by
 * broadcast (never sent so) is not answered at all; one forwarded is
 * answered by way of the map.
 */
static void __v_alien_send_nack(struct v_host *host, u64 client, u32 client_host, u32 seq,
				u64 src, u32 error, const struct sk_buff *req)
{
	const struct v_wire_hdr *h = req ? (const void *)req->data : NULL;
	struct v_wire_nack *n;
	struct sk_buff *skb;

	if (h && v_rx_cb(req)->link && be32_to_cpu(h->src_host) == client_host &&
	    h->type == V_PKT_REQUEST && req->pkt_type != PACKET_HOST)
		return;
	skb = v_net_frame(host, V_PKT_NACK, client, seq, client, src,
			  sizeof(struct v_wire_nack), GFP_ATOMIC);
	if (!skb)
		return;
	n = skb_put_zero(skb, sizeof(*n));
	n->error = cpu_to_be32(error);
	if (h && be32_to_cpu(h->src_host) == client_host)
		v_net_answer(host, req, client_host, skb);
	else
		v_net_xmit(host, client_host, skb);
}

static void v_alien_send_nack(struct v_host *host, u64 client, u32 client_host, u32 seq,
			      u64 src, u32 error)
{
	__v_alien_send_nack(host, client, client_host, seq, src, error, NULL);
}

/*
 * Tell client (its host) that its transaction seq, held by from, went on
 * to process to: answers come from to's host from now on.
 */
void v_alien_send_forwarded(struct v_host *host, u64 client, u32 seq, u64 from, u64 to)
{
	struct sk_buff *skb = v_net_frame(host, V_PKT_FORWARDED, client, seq, client, from,
					  sizeof(struct v_wire_forwarded), GFP_ATOMIC);
	struct v_wire_forwarded *fw;

	if (!skb)
		return;
	fw = skb_put_zero(skb, sizeof(*fw));
	put_unaligned_be64(to, &fw->to);
	v_net_xmit(host, v_id_host(client), skb);
}

/*
 * May a duplicate of a's REQUEST be answered now?  Once per
 * V_ALIEN_AGAIN_MS, as a client retransmits no faster; a cached reply
 * (done) at most V_ALIEN_AGAIN_MAX times, as a client that got it stops
 * asking.  So a flood of copies of one 112-byte REQUEST never turns into
 * a flood of RESPONSE fragments, nor keeps the alien for ever.  ipc_lock
 * held.
 */
static bool v_alien_again_due(struct v_alien *a, bool done)
{
	if (a->again_at &&
	    time_before(jiffies, a->again_at + msecs_to_jiffies(V_ALIEN_AGAIN_MS)))
		return false;
	if (done && a->resends >= V_ALIEN_AGAIN_MAX)
		return false;
	a->again_at = jiffies ?: 1;
	a->resends += done;	/* ACKs while it works do not count */
	return true;
}

/* What a NACK says of an alien that ended without a reply. */
static u32 v_alien_werr(const struct v_alien *a)
{
	return READ_ONCE(a->txn.error) == -ETIMEDOUT ? V_WERR_TIMED_OUT : V_WERR_SHUT_DOWN;
}

/*
 * Answer a duplicate request (from host part from) from what the alien
 * knows.  A forwarded one relays only what comes the way its REQUEST
 * came: a transaction forwarded back through this host would otherwise
 * bounce between the two for ever.
 */
static void v_alien_answer_again(struct v_alien *a, bool ack, u32 from)
{
	struct v_host *host = a->host;
	struct sk_buff *skb, *relay = NULL;
	struct sk_buff_head again;
	enum v_txn_state state;
	bool forwarded, due;

	spin_lock_bh(&host->ipc_lock);
	state = a->txn.state;
	forwarded = a->fwd_skb;	/* set under ipc_lock, once */
	due = (!forwarded || from == a->from_host) &&
	      v_alien_again_due(a, !forwarded && state == V_TXN_DONE);
	if (forwarded && due)
		relay = v_net_copy_kept(a->fwd_skb, GFP_ATOMIC);
	spin_unlock_bh(&host->ipc_lock);
	v_stat_inc(host, V_A_STAT_DUPLICATES);
	if (!due)
		return;
	/* The client is alive and may retransmit again: keep the alien. */
	WRITE_ONCE(a->done_at, jiffies);

	if (forwarded) {
		/*
		 * Forwarded on: relay the retransmission to the new host, and
		 * tell the client again where answers come from (the first
		 * FORWARDED may have been lost, or overtaken by the next hop's).
		 */
		v_alien_send_forwarded(host, a->client, a->txn.seq, a->txn.forwarder, a->fwd_to);
		v_net_xmit(host, v_id_host(a->fwd_to), relay);
		return;
	}

	if (state == V_TXN_FAILED) {
		if (!a->group)	/* a gone member says nothing of the others */
			v_alien_send_nack(host, a->client, a->client_host, a->txn.seq, 0,
					  v_alien_werr(a));
		return;
	}
	if (state != V_TXN_DONE) {
		if (!ack)
			return;
		skb = v_net_frame(host, V_PKT_ACK, a->client, a->txn.seq, a->client, 0, 0,
				  GFP_ATOMIC);
		v_stat_inc(host, V_A_STAT_ACKS);
		v_net_xmit(host, a->client_host, skb);
		return;
	}
	__skb_queue_head_init(&again);
	spin_lock_bh(&a->resp.lock);
	skb_queue_walk(&a->resp, skb) {
		struct sk_buff *c = v_net_copy_kept(skb, GFP_ATOMIC);

		if (c)
			__skb_queue_tail(&again, c);
	}
	spin_unlock_bh(&a->resp.lock);
	while ((skb = __skb_dequeue(&again)))
		v_net_xmit(host, a->client_host, skb);
}

/*
 * A duplicate of (client, seq), which this host holds as the aliens on
 * the table (one, or a group Send's members); alien_lock held, dropped.
 * Cached replies go again, and one ACK says the rest are pending.
 */
static void v_alien_answer_all(struct v_host *host, u64 client, u32 seq, u32 from)
	__releases(&host->alien_lock)
{
	struct v_alien *a, *one, **dup = &one;
	unsigned int n = 0, i;
	bool acked = false;

	hlist_for_each_entry(a, v_alien_bucket(host, client), hnode)
		n += a->client == client && a->txn.seq == seq;
	if (n > 1)
		dup = kmalloc_array(n, sizeof(*dup), GFP_ATOMIC);
	if (!dup) {
		spin_unlock(&host->alien_lock);
		v_stat_inc(host, V_A_STAT_DROP_NOMEM);
		return;
	}
	n = 0;
	hlist_for_each_entry(a, v_alien_bucket(host, client), hnode)
		if (a->client == client && a->txn.seq == seq) {
			v_alien_get(a);
			dup[n++] = a;
		}
	/* Frames go out unlocked: one may come straight back to this host. */
	spin_unlock(&host->alien_lock);
	for (i = 0; i < n; i++) {
		bool pending;

		spin_lock(&host->ipc_lock);
		pending = v_txn_pending(&dup[i]->txn);
		spin_unlock(&host->ipc_lock);
		v_alien_answer_again(dup[i], !acked, from);
		acked |= pending;
		v_alien_put(dup[i]);
	}
	if (dup != &one)
		kfree(dup);
}

/*
 * The client moved on to a new transaction: end (-ECANCELED) every alien
 * of its older one, leaving them in the table; alien_lock held.
 */
static void v_alien_cancel(struct v_host *host, u64 client)
{
	struct v_alien *old;

	hlist_for_each_entry(old, v_alien_bucket(host, client), hnode) {
		if (old->client != client)
			continue;
		spin_lock(&host->ipc_lock);
		if (v_txn_pending(&old->txn))
			v_txn_end(&old->txn, -ECANCELED);
		spin_unlock(&host->ipc_lock);
		/* A mover waiting on it learns now, not at its next back-off tick. */
		wake_up(&old->move_wait);
	}
}

/* ...and drop them from the table; alien_lock held. */
static void v_alien_retire(struct v_host *host, u64 client)
{
	struct v_alien *old;

	v_alien_cancel(host, client);
	while ((old = v_alien_lookup(host, client)))
		v_alien_unhash(old);
}

static void v_alien_nack_work(struct work_struct *work)
{
	struct v_alien *a = container_of(work, struct v_alien, nack_work);

	if (!a->group)
		v_alien_send_nack(a->host, a->client, a->client_host, a->txn.seq, 0,
				  v_alien_werr(a));
	v_alien_put(a);
}

/*
 * The receiver holding the alien shut down (ipc_lock held): tell the
 * client, from process context since we hold a spinlock here.
 */
void v_alien_ended(struct v_alien *a)
{
	WRITE_ONCE(a->done_at, jiffies);
	v_alien_get(a);
	if (!queue_work(v_alien_wq, &a->nack_work))
		v_alien_put(a);
}

/*
 * The transaction was forwarded to another host (ipc_lock held): keep the
 * REQUEST to relay the client's retransmissions there.
 */
void v_alien_forwarded(struct v_alien *a, struct sk_buff *req, u64 to)
{
	a->fwd_skb = req;		/* the alien owns it now */
	a->fwd_to = to;
	WRITE_ONCE(a->done_at, jiffies);
	v_alien_piggy_free(a);		/* the REQUEST carries what goes on */
}

/*
 * May a member still answer the group Send of a local client (held as
 * alien a)?  While it is in flight or its reply window is open.
 */
bool v_alien_group_open(struct v_host *host, struct v_alien *a)
{
	struct v_sock *vs = v_id_lookup(host, a->client);
	bool open = false;

	if (vs) {
		struct v_txn *t = &vs->txn;

		spin_lock_bh(&host->ipc_lock);
		open = t->seq == a->txn.seq && t->group == a->group &&
		       (t->state == V_TXN_REMOTE ||
			(t->gopen && !time_after(jiffies, t->gclose)));
		spin_unlock_bh(&host->ipc_lock);
		sock_put(&vs->sk);
	}
	return open;
}

/* Is the local process client waiting on the network for transaction seq? */
static bool v_alien_client_waits(struct v_host *host, u64 client, u32 seq)
{
	struct v_sock *vs = v_id_lookup(host, client);
	bool waits = false;

	if (vs) {
		spin_lock(&host->ipc_lock);
		waits = vs->txn.state == V_TXN_REMOTE && vs->txn.seq == seq;
		spin_unlock(&host->ipc_lock);
		sock_put(&vs->sk);
	}
	return waits;
}

/*
 * A frame whose source is this host itself was handed over here, never
 * received from a link (v_net_rcv() drops those): a group Send of a client
 * of this host.  Its members are told who sent it as for a local Send, from
 * the client's transaction while it waits for exactly this one, never from
 * what the frame says; otherwise it is reported like any remote sender.
 * Softirq, no lock held.
 */
static void v_alien_local_sender(struct v_alien *a)
{
	struct v_sock *vs = v_id_lookup(a->host, a->client);
	struct v_txn *t;

	if (!vs)
		return;
	t = &vs->txn;
	spin_lock(&a->host->ipc_lock);
	if (t->state == V_TXN_REMOTE && t->seq == a->txn.seq && t->group == a->group) {
		a->local = true;
		a->kuid = t->uid;
		a->kgid = t->gid;
		a->tgid = get_pid(t->tgid);
	}
	spin_unlock(&a->host->ipc_lock);
	sock_put(&vs->sk);
}

/*
 * Who waits for the client (checked: at most V_DEADLOCK_DEPTH with it),
 * for deadlock.c: the client first if it waits, then the ids after req.
 */
static void v_alien_waiters_set(struct v_alien *a, const struct v_wire_request *req)
{
	const __be64 *ids = (const __be64 *)(req + 1);
	unsigned int i, n = be16_to_cpu(req->nr_waiters);

	a->nr_waiters = 0;
	if (!(req->req_flags & V_WIRE_REQ_WAITING))
		return;		/* a client that can still Receive breaks the chain */
	a->waiters[a->nr_waiters++] = a->client;
	for (i = 0; i < n; i++)
		a->waiters[a->nr_waiters++] = get_unaligned_be64(&ids[i]);
}

/*
 * A new alien for (client, seq) to be delivered to dst; not yet visible.
 * Its memory (the piggy-backed bytes: up to a frame's payload, or
 * V_WIRE_REQ_DATA_MAX of a fragmented REQUEST) is charged to dst's memory
 * cgroup, as the receiver's traffic (charge.c).
 */
static struct v_alien *v_alien_new(struct v_host *host, const struct v_wire_hdr *h,
				   const struct v_wire_request *req, const void *piggy,
				   u32 data_len, u64 group, struct v_sock *dst)
{
	bool must = READ_ONCE(dst->rxq_len) < V_CHARGE_MIN;
	bool inline_data = data_len <= V_ALIEN_PIGGY_INLINE;
	struct v_alien *a = v_charge_kzalloc(dst, struct_size(a, piggy_inline,
							      inline_data ? data_len : 0), must);

	if (!a)
		return NULL;
	a->piggy = a->piggy_inline;
	if (!inline_data) {
		/* Never past the cgroup's limit; the data only saves a MoveFrom. */
		a->piggy = v_charge_kmalloc(dst, data_len);
		if (!a->piggy)
			data_len = 0;
	}
	refcount_set(&a->ref, 1);
	a->host = host;
	a->client = get_unaligned_be64(&h->client);
	a->client_host = v_id_host(a->client);
	a->group = group;
	a->done_at = jiffies;		/* arrival, for vctl alien show */
	a->uid = be32_to_cpu(req->uid);
	a->gid = be32_to_cpu(req->gid);
	/*
	 * A flagged frame got here only with a valid tag (v_auth_rcv()); a
	 * forwarded one vouches only for its forwarder, which may have heard
	 * the client on an unkeyed link.
	 */
	a->keyed = (h->flags & htons(V_WIRE_F_AUTH)) && !req->forwarder;
	skb_queue_head_init(&a->resp);
	skb_queue_head_init(&a->move_q);
	mutex_init(&a->move_lock);
	init_waitqueue_head(&a->move_wait);
	INIT_WORK(&a->nack_work, v_alien_nack_work);
	a->piggy_len = data_len;
	if (data_len)
		memcpy(a->piggy, piggy, data_len);
	INIT_LIST_HEAD(&a->txn.node);
	a->txn.alien = a;
	a->txn.sender_id = a->client;
	a->txn.seq = be32_to_cpu(h->seq);
	a->txn.msg = req->msg;
	a->txn.seg_len = get_unaligned_be64(&req->seg_len);
	a->txn.seg_access = a->txn.seg_len ? be32_to_cpu(req->seg_access) : 0;
	a->txn.forwarder = get_unaligned_be64(&req->forwarder);
	a->txn.retx_ms = min_t(u32, be32_to_cpu(req->retx_ms), V_HOST_DOWN_MS_MAX);
	if (req->deadline_ms)	/* the time the client had left, from now */
		a->txn.deadline = ktime_add_ms(ktime_get(), be32_to_cpu(req->deadline_ms));
	v_inherit_wire_set(&a->txn, req);
	v_alien_waiters_set(a, req);
	a->from_host = be32_to_cpu(h->src_host);
	if (be32_to_cpu(h->src_host) == v_host_part(host))
		v_alien_local_sender(a);
	return a;
}

/*
 * Take n of the max slots counted by cnt, or none.  Compare and exchange
 * rather than add and take back: the count, which netlink reports, never
 * passes max even for a moment.
 */
static bool v_alien_slots_take(atomic_t *cnt, unsigned int n, unsigned int max)
{
	int old = atomic_read(cnt);

	do {
		if ((unsigned int)old + n > max)
			return false;
	} while (!atomic_try_cmpxchg(cnt, &old, old + (int)n));
	return true;
}

/*
 * Reserve n alien slots before allocating: requests handled on several
 * CPUs at once must not all pass a check made before the count rose.
 */
static bool v_alien_reserve(struct v_host *host, unsigned int n)
{
	if (!v_alien_slots_take(&host->nr_aliens, n, v_alien_limit(host)))
		return false;
	if (!v_alien_slots_take(&v_aliens_global, n, v_max_aliens_global)) {
		atomic_sub(n, &host->nr_aliens);
		return false;
	}
	return true;
}

/*
 * No slots for a client's n new aliens: with its older aliens (had_old)
 * dropped, which frees theirs unless a receiver still holds them, try once
 * more.
 */
static bool v_alien_reserve_again(struct v_host *host, u64 client, unsigned int n,
				  bool had_old)
{
	if (!had_old)
		return false;
	spin_lock(&host->alien_lock);
	v_alien_retire(host, client);
	spin_unlock(&host->alien_lock);
	return v_alien_reserve(host, n);
}

/*
 * Queue the n aliens as[] at their receivers dsts[] and hash them, counted
 * against source src (alien_lock held); how many found their receiver
 * shut down, or (a group's) full: they are failed, for the client to
 * learn.
 */
/* How many threads handed a REQUEST's aliens are woken after ipc_lock. */
#define V_ALIEN_WAKE_AFTER	8

static unsigned int v_alien_publish(struct v_host *host, struct v_alien **as,
				    struct v_sock **dsts, unsigned int n, u64 client,
				    struct v_alien_src *src)
{
	unsigned int i, failed = 0, nwake = 0, max = v_alien_receiver_max(host);
	struct task_struct *wake[V_ALIEN_WAKE_AFTER], *task;

	spin_lock(&host->ipc_lock);
	for (i = 0; i < n; i++) {
		struct v_txn *t = &as[i]->txn;

		/* A member that holds all a receiver may gets nothing more. */
		if (dsts[i]->dead || (n > 1 && dsts[i]->rxq_len >= max)) {
			t->state = V_TXN_FAILED;
			t->error = -ESRCH;
			failed++;
		} else if (!v_ipc_enqueue_locked(dsts[i], t, &task) && task) {
			/* Handed to a waiting thread: woken after unlocking,
			 * but for a group's members past the first few.
			 */
			if (nwake < ARRAY_SIZE(wake))
				wake[nwake++] = task;
			else
				v_ipc_wake_task(task);
		}
	}
	spin_unlock(&host->ipc_lock);
	for (i = 0; i < nwake; i++)
		v_ipc_wake_task(wake[i]);
	for (i = 0; i < n; i++) {
		hlist_add_head(&as[i]->hnode, v_alien_bucket(host, client));
		as[i]->hashed = true;
		as[i]->src = src;
	}
	src->n += n;
	return failed;
}

/*
 * The n aliens of a request for dsts[] (their slots reserved), in *one or
 * an array the caller frees; NULL, the slots given back, on no memory.
 */
static struct v_alien **v_alien_make(struct v_host *host, const struct v_wire_hdr *h,
				     const struct v_wire_request *req, const void *piggy,
				     u32 data_len, u64 group, struct v_sock **dsts,
				     unsigned int n, struct v_alien **one)
{
	struct v_alien **as = n == 1 ? one : kmalloc_array(n, sizeof(*as), GFP_ATOMIC);
	unsigned int made;

	for (made = 0; as && made < n; made++) {
		as[made] = v_alien_new(host, h, req, piggy, data_len, group, dsts[made]);
		if (!as[made])
			break;
	}
	if (made == n)
		return as;
	/* Each freed alien gives its slot back; so do the unmade. */
	atomic_sub(n - made, &host->nr_aliens);
	atomic_sub(n - made, &v_aliens_global);
	while (made)
		v_alien_put(as[--made]);
	if (as != one)
		kfree(as);
	return NULL;
}

/*
 * Has the one receiver of a request as many messages queued as it may (a
 * process that does not Receive holding the host's aliens)?  Then the
 * client is refused busy.  A group's members that are full are only left
 * out (v_alien_publish()): one of them must not block the others.
 * alien_lock held.
 */
static bool v_alien_receivers_full(struct v_host *host, struct v_sock **dsts, unsigned int n)
{
	return n == 1 && READ_ONCE(dsts[0]->rxq_len) >= v_alien_receiver_max(host);
}

/*
 * Deliver transaction (client, seq) to the n processes dsts[] (one, or a
 * group's local members; references held by the caller): all or none.
 * Returns the NACK to send, or 0.
 */
static u32 v_alien_deliver(struct v_host *host, const struct v_wire_hdr *h,
			   const struct v_wire_request *req, const void *piggy, u32 data_len,
			   u64 group, u64 key, struct v_sock **dsts, unsigned int n)
{
	u64 client = get_unaligned_be64(&h->client);
	u32 seq = be32_to_cpu(h->seq);
	struct v_alien **as, *one, *old;
	unsigned int i, failed = 0;
	struct v_alien_src *src;
	bool busy = false, full;
	u32 nack = 0;

	if (get_unaligned_be64(&req->seg_len) > v_seg_max)
		return V_WERR_TOO_BIG;
	/*
	 * A new transaction of the client ends its older one here whether or
	 * not there is room for the new.  Its aliens stay in the table until
	 * the new ones are published (below, under the same hold of
	 * alien_lock): a late copy of the older REQUEST handled meanwhile on
	 * another CPU must find them, or it would deliver that transaction a
	 * second time.  Only when the slots are short are they dropped first,
	 * so the client's own finished aliens do not count against the
	 * limits it is checked by (a late copy can then slip through that
	 * gap, as before: a host at its limit).
	 */
	spin_lock(&host->alien_lock);
	old = v_alien_lookup(host, client);
	if (old && (s32)(seq - old->txn.seq) <= 0) {
		spin_unlock(&host->alien_lock);
		return 0;	/* a racing copy of this request got in first */
	}
	v_alien_cancel(host, client);
	spin_unlock(&host->alien_lock);
	v_race_delay(V_RACE_CANCEL);
	if (!v_alien_reserve(host, n) && !v_alien_reserve_again(host, client, n, !!old)) {
		v_stat_inc(host, V_A_STAT_BUSY);
		return V_WERR_BUSY;
	}
	as = v_alien_make(host, h, req, piggy, data_len, group, dsts, n, &one);
	if (!as) {
		v_stat_inc(host, V_A_STAT_DROP_NOMEM);
		return 0;
	}

	spin_lock(&host->alien_lock);
	old = v_alien_lookup(host, client);
	if (old && (s32)(seq - old->txn.seq) <= 0) {
		/* A racing copy of this request got in meanwhile. */
		spin_unlock(&host->alien_lock);
		for (i = 0; i < n; i++)
			v_alien_put(as[i]);
		goto out;
	}
	v_alien_retire(host, client);
	full = v_alien_receivers_full(host, dsts, n);
	src = full ? NULL : v_alien_src_get(host, key, n, &busy);
	if (!src) {
		spin_unlock(&host->alien_lock);
		for (i = 0; i < n; i++)
			v_alien_put(as[i]);
		if (busy || full) {
			v_stat_inc(host, V_A_STAT_BUSY);
			if (busy)
				v_stat_inc(host, V_A_STAT_BUSY_HOST);
			nack = V_WERR_BUSY;
		} else {
			v_stat_inc(host, V_A_STAT_DROP_NOMEM);
		}
		goto out;
	}
	failed = v_alien_publish(host, as, dsts, n, client, src);
	spin_unlock(&host->alien_lock);
	v_race_delay(V_RACE_DELIVER);

	/*
	 * From here on the aliens are the table's: a newer REQUEST of the
	 * client on another CPU may retire and free them, so nothing of
	 * theirs is read again (the receivers are the caller's references).
	 * A receiver that was shut down has nobody to wake: harmless.
	 */
	for (i = 0; i < n; i++)
		dsts[i]->sk.sk_data_ready(&dsts[i]->sk);
	if (group)
		atomic64_add(n, &host->stats[V_A_STAT_GROUP_DELIVERED]);
	queue_delayed_work(v_alien_wq, &host->alien_gc, HZ);
	if (n == 1 && !group && failed) {
		if (as != &one)
			kfree(as);
		return V_WERR_SHUT_DOWN;
	}
out:
	if (as != &one)
		kfree(as);
	return nack;
}

/*
 * Piggy-backed segment bytes are the head of a read-granted segment: never
 * more than it, none without the grant (the receiver would be handed
 * bytes nobody let it read, and the alien would hold them).
 */
static bool v_alien_piggy_ok(const struct v_wire_request *req, u32 data_len)
{
	u32 total = max(data_len, be32_to_cpu(req->data_total));

	if (!total)
		return true;
	return (be32_to_cpu(req->seg_access) & V_SEG_READ) &&
	       total <= get_unaligned_be64(&req->seg_len);
}

/*
 * A fragment's place (wire version 8): a whole REQUEST (frags 0 or 1)
 * carries the head of the segment; a fragment a piece inside data_total,
 * of a REQUEST the client's own host sent straight (GREQUESTs and
 * forwarded REQUESTs are never fragmented): every piece but the last of
 * one length, fragment i at i pieces, the last ending at data_total
 * (reasm.c checks the length is the same in all).
 */
static bool v_alien_frag_ok(const struct v_wire_request *req, u32 data_len, bool group)
{
	u32 off = be32_to_cpu(req->data_off), total = be32_to_cpu(req->data_total);

	if (req->frags <= 1)
		return !req->frag && !off && (!total || total == data_len);
	if (group || req->forwarder || req->frags > V_WIRE_MAX_FRAGS || req->frag >= req->frags ||
	    !data_len || total > V_WIRE_REQ_DATA_MAX || off > total || data_len > total - off)
		return false;
	/* Pieces of one length, fragment i at i of them, the last to the end. */
	if (req->frag == req->frags - 1)
		return off + data_len == total;
	return off == req->frag * data_len && off + data_len < total;
}

/*
 * Does a REQUEST or GREQUEST's payload agree with its header, is it for
 * this host, and does it come from its client's host or (forwarded) from
 * its forwarder's?  0, or the drop's counter.
 */
static int v_alien_request_check(struct v_host *host, const struct v_wire_hdr *h)
{
	bool group = h->type == V_PKT_GREQUEST;
	size_t off = group ? offsetof(struct v_wire_grequest, req) : 0;
	const struct v_wire_request *req = (const void *)((const u8 *)(h + 1) + off);
	const struct v_wire_grequest *gr = (const void *)(h + 1);
	u64 client = get_unaligned_be64(&h->client), dst_id = get_unaligned_be64(&h->dst);
	u32 len = be32_to_cpu(h->len), src = be32_to_cpu(h->src_host), data_len, nr;

	if (group) {
		if (len < sizeof(*gr) || !v_id_group_ok(dst_id))
			return V_A_STAT_DROP_SHORT;
		if (gr->qualifier &&
		    v_id_host(get_unaligned_be64(&gr->qualifier)) != v_host_part(host))
			return V_A_STAT_DROP_NOT_MINE;	/* for another host */
	} else if (v_id_host(dst_id) != v_host_part(host)) {
		return V_A_STAT_DROP_NOT_MINE;
	}
	len -= off;
	data_len = len >= sizeof(*req) ? be32_to_cpu(req->data_len) : 0;
	nr = len >= sizeof(*req) ? be16_to_cpu(req->nr_waiters) +
		!!(req->req_flags & V_WIRE_REQ_WAITING) : 0;
	if (len < sizeof(*req) || nr > V_DEADLOCK_DEPTH ||
	    len - sizeof(*req) != (u64)be16_to_cpu(req->nr_waiters) * sizeof(__be64) + data_len ||
	    !client ||
	    v_id_is_group(client) || (client & V_ID_WELLKNOWN) || !v_id_host(client) ||
	    (be32_to_cpu(req->seg_access) & ~V_SEG_ACCESS_MASK) ||
	    !v_alien_piggy_ok(req, data_len) || !v_alien_frag_ok(req, data_len, group))
		return V_A_STAT_DROP_SHORT;
	if (src != v_id_host(client) &&
	    (group || !req->forwarder || v_id_host(get_unaligned_be64(&req->forwarder)) != src))
		return V_A_STAT_DROP_NOT_MINE;
	return 0;
}

/*
 * The local receivers of a request: dst_id, or a group's members here
 * (*dsts an array the caller frees when it is not one).  Their number,
 * 0 with *nack set (or not: nobody to tell), or -1 on no memory.
 */
static int v_alien_receivers(struct v_host *host, u64 dst_id, u64 client, u64 qualifier,
			     bool group, struct v_sock ***dsts, u32 *nack)
{
	unsigned int n;

	if (!group) {
		**dsts = v_id_lookup(host, dst_id);
		if (!**dsts)
			*nack = V_WERR_NO_PROCESS;
		return !!**dsts;
	}
	n = v_group_local(host, dst_id, client, NULL, 0);
	if (!n) {
		/* Other hosts may have members; a qualified Send has none. */
		if (qualifier)
			*nack = V_WERR_NO_MEMBER;
		return 0;
	}
	if (n > 1)
		*dsts = kmalloc_array(n, sizeof(**dsts), GFP_ATOMIC);
	if (!*dsts)
		return -1;
	return v_group_local(host, dst_id, client, *dsts, n);
}

/*
 * A fragment of a REQUEST (reasm.c): once the last one is in, *whole holds
 * the data, which *piggy and *data_len then point at, and 0 is returned;
 * with no room to hold it, the first fragment goes on alone with its own
 * piece (the receiver moves the rest).  -1: nothing to deliver yet (held,
 * a duplicate, or a later fragment without room); else the drop's counter.
 */
static int v_alien_reassemble(struct v_host *host, const struct sk_buff *skb,
			      const struct v_wire_request *req, struct v_reasm **whole,
			      const void **piggy, u32 *data_len)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	u64 src = v_alien_src_key(host, skb, get_unaligned_be64(&h->client));
	enum v_reasm_res res;

	*whole = v_reasm_add(host, h, req, *piggy, src, &res);
	if (*whole) {
		*piggy = v_reasm_data(*whole, data_len);
		v_stat_inc(host, V_A_STAT_REQ_REASSEMBLED);
		return 0;
	}
	switch (res) {
	case V_REASM_NO_ROOM:
		if (req->frag)
			return -1;	/* the first one goes alone, or went */
		v_stat_inc(host, V_A_STAT_REQ_PARTIAL_SHORT);
		return 0;
	case V_REASM_STALE:
		return V_A_STAT_DROP_NO_TXN;
	case V_REASM_BAD:
		return V_A_STAT_DROP_SHORT;
	default:
		return -1;
	}
}

/*
 * A REQUEST or GREQUEST (softirq).  Lengths of the header and payload were
 * checked by the caller; this checks the request's own fields.
 */
void v_alien_rcv_request(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	bool group = h->type == V_PKT_GREQUEST;
	size_t off = group ? offsetof(struct v_wire_grequest, req) : 0;
	const struct v_wire_request *req = (const void *)((const u8 *)(h + 1) + off);
	u32 seq = be32_to_cpu(h->seq), nack = 0;
	u64 client = get_unaligned_be64(&h->client), dst_id = get_unaligned_be64(&h->dst);
	u64 qualifier = group ? get_unaligned_be64(&((const struct v_wire_grequest *)
						     (h + 1))->qualifier) : 0;
	u32 client_host = v_id_host(client);	/* src_host may be a forwarder's */
	struct v_sock *one = NULL, **dsts = &one;
	struct v_reasm *whole = NULL;
	const void *piggy;
	struct v_alien *a;
	u32 data_len;
	int n, i, why;

	why = v_alien_request_check(host, h);
	/*
	 * A request on behalf of a client of this very host only comes back
	 * forwarded, or as its own group Send, while that client waits for it
	 * on the network.
	 */
	if (!why && client_host == v_host_part(host) && !v_alien_client_waits(host, client, seq))
		why = V_A_STAT_DROP_NO_TXN;
	if (why) {
		v_stat_inc(host, why);
		goto drop;
	}

	spin_lock(&host->alien_lock);
	a = v_alien_lookup(host, client);
	if (a && a->txn.seq == seq) {
		/* Of a fragmented REQUEST, its last fragment stands for it. */
		if (req->frags > 1 && req->frag != req->frags - 1) {
			spin_unlock(&host->alien_lock);
			goto out;
		}
		/* drops alien_lock */
		v_alien_answer_all(host, client, seq, be32_to_cpu(h->src_host));
		goto out;
	}
	if (a && (s32)(seq - a->txn.seq) < 0) {
		spin_unlock(&host->alien_lock);
		v_stat_inc(host, V_A_STAT_DROP_NO_TXN);	/* older than what we hold */
		goto drop;
	}
	spin_unlock(&host->alien_lock);

	piggy = (const u8 *)(req + 1) + be16_to_cpu(req->nr_waiters) * sizeof(__be64);
	data_len = be32_to_cpu(req->data_len);
	if (req->frags > 1) {
		why = v_alien_reassemble(host, skb, req, &whole, &piggy, &data_len);
		if (why < 0)
			goto out;	/* held until the others come */
		if (why) {
			v_stat_inc(host, why);
			goto drop;
		}
	}
	n = v_alien_receivers(host, dst_id, client, qualifier, group, &dsts, &nack);
	if (n < 0) {
		v_stat_inc(host, V_A_STAT_DROP_NOMEM);
		goto drop;
	}
	if (n)
		nack = v_alien_deliver(host, h, req, piggy, data_len, group ? dst_id : 0,
				       v_alien_src_key(host, skb, client), dsts, n);
	for (i = 0; i < n; i++)
		sock_put(&dsts[i]->sk);
	if (dsts != &one)
		kfree(dsts);
	if (nack)
		__v_alien_send_nack(host, client, client_host, seq, dst_id, nack, skb);
out:
	if (whole)
		v_reasm_free(whole);
	consume_skb(skb);	/* answered: queued, refused or from the cache */
	return;
drop:
	if (whole)
		v_reasm_free(whole);
	kfree_skb(skb);
}

/*
 * Reply (with segment data) to a remote client: build the RESPONSE
 * fragments, cache them in the alien, end the transaction, send them.
 */
int v_alien_reply(struct v_sock *vs, struct v_alien *a, const struct v_reply *r,
		  bool with_seg)
{
	struct v_host *host = vs->host;
	u64 len = with_seg ? r->src_len : 0, chunk, off;
	struct v_txn *t = &a->txn;
	struct sk_buff_head frames;
	unsigned int frags, i;
	struct sk_buff *skb;
	int err = 0;

	/*
	 * A member of this host answering a local client's group Send after
	 * its window: the contract's ENOENT (remote clients' kernels discard
	 * such replies themselves), and the message is no longer held.
	 */
	if (a->group && a->client_host == v_host_part(host) && !v_alien_group_open(host, a)) {
		spin_lock_bh(&host->ipc_lock);
		if (t->holder == vs && t->state == V_TXN_RECEIVED)
			v_txn_end(t, -ECANCELED);
		spin_unlock_bh(&host->ipc_lock);
		return -ENOENT;
	}
	spin_lock_bh(&host->ipc_lock);
	if (t->holder != vs || t->state != V_TXN_RECEIVED)
		err = -ENOENT;
	else if (unlikely(t->deadline) && v_notice_deadline_passed(vs, t, false))
		err = -ETIMEDOUT;
	else if (len > v_reply_seg_max)
		err = -EMSGSIZE;
	else if (len && !(t->seg_access & V_SEG_WRITE))
		err = -EACCES;
	else if (len && (r->seg_offset > t->seg_len || len > t->seg_len - r->seg_offset))
		err = -ERANGE;
	spin_unlock_bh(&host->ipc_lock);
	if (err)
		return err;

	chunk = v_net_payload_max(host, a->client_host);
	if (chunk <= sizeof(struct v_wire_response))
		return -EHOSTUNREACH;	/* the link to the client is gone */
	chunk -= sizeof(struct v_wire_response);
	frags = max_t(u64, 1, DIV_ROUND_UP(len, chunk));
	if (frags > V_WIRE_MAX_FRAGS)
		return -EMSGSIZE;

	__skb_queue_head_init(&frames);
	for (i = 0, off = 0; i < frags; i++, off += chunk) {
		u32 n = min(chunk, len - off);
		struct v_wire_response *resp;

		/* Kept for the client's retransmissions: charged to the replier. */
		skb = v_net_frame(host, V_PKT_RESPONSE, a->client, t->seq, a->client, vs->id,
				  sizeof(*resp) + n, GFP_KERNEL_ACCOUNT);
		if (!skb) {
			err = -ENOMEM;
			goto fail;
		}
		__skb_queue_tail(&frames, skb);
		resp = skb_put_zero(skb, sizeof(*resp));
		resp->msg = r->msg;
		resp->replier = cpu_to_be64(vs->id);
		resp->seg_offset = cpu_to_be64(r->seg_offset + off);
		resp->data_len = cpu_to_be32(n);
		resp->frag = cpu_to_be16(i);
		resp->frags = cpu_to_be16(frags);
		if (n && copy_from_user(skb_put(skb, n),
					u64_to_user_ptr(r->src_addr + off), n)) {
			err = -EFAULT;
			goto fail;
		}
	}

	/*
	 * Only the Reply that ends the transaction fills the cache (a second
	 * thread replying at the same time gets ENOENT and drops its frames).
	 * Lock order: ipc_lock, then the cache's queue lock.
	 */
	spin_lock_bh(&host->ipc_lock);
	if (t->holder != vs || t->state != V_TXN_RECEIVED) {
		err = -ENOENT;
	} else {
		spin_lock(&a->resp.lock);
		skb_queue_splice_tail_init(&frames, &a->resp);
		spin_unlock(&a->resp.lock);
		t->msg = r->msg;
		t->replier = vs->id;
		trace_v_reply(v_host_part(host), t->sender_id, t->seq, vs->id, len);
		v_txn_end(t, 0);
		WRITE_ONCE(a->done_at, jiffies);
		v_alien_piggy_free(a);	/* the cached reply keeps none of it */
	}
	spin_unlock_bh(&host->ipc_lock);
	if (err)
		goto fail;
	spin_lock_bh(&a->resp.lock);
	skb_queue_walk(&a->resp, skb) {
		struct sk_buff *c = v_net_copy_kept(skb, GFP_ATOMIC);

		if (c)
			__skb_queue_tail(&frames, c);
	}
	spin_unlock_bh(&a->resp.lock);
	while ((skb = __skb_dequeue(&frames)))
		v_net_xmit(host, a->client_host, skb);
	return 0;
fail:
	__skb_queue_purge(&frames);
	return err;
}

/* What an alien is at, for V_CMD_ALIEN_GET; ipc_lock held. */
static u8 v_alien_state(const struct v_alien *a)
{
	if (a->fwd_skb)
		return V_ALIEN_FORWARDED;
	switch (a->txn.state) {
	case V_TXN_QUEUED:
		return V_ALIEN_QUEUED;
	case V_TXN_RECEIVED:
		return V_ALIEN_RECEIVED;
	case V_TXN_DONE:
		return V_ALIEN_REPLIED;
	default:
		return V_ALIEN_FAILED;
	}
}

/* Dump the alien table (cb->args: bucket, position in it). */
int v_alien_dump(struct v_host *host, struct sk_buff *skb, struct netlink_callback *cb)
{
	long bucket = cb->args[0], skip = cb->args[1], i;
	bool all = v_genl_sees_all(cb);
	struct v_alien *a;

	spin_lock_bh(&host->alien_lock);
	for (; bucket < V_ALIEN_BUCKETS; bucket++, skip = 0) {
		i = 0;
		hlist_for_each_entry(a, &host->aliens[bucket], hnode) {
			u64 holder;
			void *hdr;
			bool see;
			u8 state;

			if (i++ < skip)
				continue;
			spin_lock(&host->ipc_lock);
			state = v_alien_state(a);
			holder = a->txn.holder ? a->txn.holder->id : 0;
			see = v_genl_sees(all, a->txn.holder);
			spin_unlock(&host->ipc_lock);
			if (!see) {
				cb->args[1] = i;	/* not the caller's: skipped */
				continue;
			}
			hdr = v_genl_dump_start(skb, cb, V_CMD_ALIEN_GET);
			if (!hdr)
				goto full;
			if (nla_put_u64_64bit(skb, V_A_ALIEN_CLIENT, a->client, V_A_PAD) ||
			    nla_put_u32(skb, V_A_ALIEN_SEQ, a->txn.seq) ||
			    nla_put_u8(skb, V_A_ALIEN_STATE, state) ||
			    nla_put_u64_64bit(skb, V_A_ALIEN_HOLDER, holder, V_A_PAD) ||
			    nla_put_u32(skb, V_A_ALIEN_AGE_MS,
					jiffies_to_msecs(jiffies - READ_ONCE(a->done_at)))) {
				genlmsg_cancel(skb, hdr);
				goto full;
			}
			genlmsg_end(skb, hdr);
			cb->args[1] = i;
		}
		cb->args[0] = bucket + 1;
		cb->args[1] = 0;
		/*
		 * A bucket at a time: a caller who sees few aliens would
		 * otherwise walk the whole table with BH off in one call.
		 */
		spin_unlock_bh(&host->alien_lock);
		cond_resched();
		spin_lock_bh(&host->alien_lock);
	}
full:
	spin_unlock_bh(&host->alien_lock);
	return skb->len;
}

/*
 * CANCEL: the client gave up its transaction (client, seq).  Taken only
 * from the client's own host.  A queued or received alien ends now (its
 * holder told, if it asked: an unblock notice); its client waits for
 * nothing, so no NACK.
 */
void v_alien_rcv_cancel(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_cancel *c = (const void *)(h + 1);
	u64 client = be64_to_cpu(h->client);
	u32 seq = be32_to_cpu(h->seq);
	u16 why = be16_to_cpu(c->why);
	struct v_alien *a;
	int err;

	err = why == V_WHY_SIGNAL ? -EINTR : why == V_WHY_TIMEOUT ? -ETIMEDOUT :
	      why == V_WHY_CLOSED ? -ESHUTDOWN : 0;
	if (be32_to_cpu(h->len) < sizeof(*c) || !err ||
	    v_id_host(client) != be32_to_cpu(h->src_host)) {
		v_stat_inc(host, V_A_STAT_DROP_NOT_MINE);
		goto out;
	}
	spin_lock(&host->alien_lock);
	a = v_alien_lookup(host, client);
	if (a && (a->group || a->txn.seq != seq))
		a = NULL;
	if (a)
		v_alien_get(a);
	spin_unlock(&host->alien_lock);
	if (!a) {
		v_stat_inc(host, V_A_STAT_DROP_NO_TXN);
		goto out;
	}
	spin_lock(&host->ipc_lock);
	if (a->txn.state == V_TXN_QUEUED || a->txn.state == V_TXN_RECEIVED) {
		v_txn_cancel(&a->txn, err);
		WRITE_ONCE(a->done_at, jiffies);
	}
	spin_unlock(&host->ipc_lock);
	wake_up(&a->move_wait);		/* a train on it ends now */
	v_alien_put(a);
out:
	kfree_skb(skb);
}

/* Free aliens whose client can no longer retransmit to them. */
static void v_alien_gc(struct work_struct *work)
{
	struct v_host *host = container_of(to_delayed_work(work), struct v_host, alien_gc);
	/*
	 * As long as a client may retransmit (the longer of its bound and
	 * ours), and a group Send until its window ends.
	 */
	unsigned int down = READ_ONCE(host->host_down_ms);
	unsigned int window = READ_ONCE(host->group_window_ms);
	struct hlist_node *tmp;
	struct v_alien *a;
	bool more = false;
	int i;

	spin_lock_bh(&host->alien_lock);
	for (i = 0; i < V_ALIEN_BUCKETS; i++) {
		hlist_for_each_entry_safe(a, tmp, &host->aliens[i], hnode) {
			unsigned int ms = max(down, a->txn.retx_ms);
			bool ended, silent;

			if (a->group)
				ms = max(ms, window);
			silent = time_after(jiffies,
					    READ_ONCE(a->done_at) + msecs_to_jiffies(ms + 1000));
			spin_lock(&host->ipc_lock);
			ended = !v_txn_pending(&a->txn);
			/*
			 * Still queued and its client silent for that and
			 * V_ALIEN_COLLECT_MS more (a live one retransmits, which
			 * keeps done_at fresh): nobody waits for it any more, and
			 * it must not hold the receiver's queue and the host's
			 * table for ever.
			 */
			if (!ended && a->txn.state == V_TXN_QUEUED &&
			    time_after(jiffies, READ_ONCE(a->done_at) +
				       msecs_to_jiffies(ms + V_ALIEN_COLLECT_MS))) {
				v_txn_end(&a->txn, -ECANCELED);
				ended = true;
				v_stat_inc(host, V_A_STAT_ALIENS_COLLECTED);
			}
			/* Its deadline passed: nobody waits for a Reply any more. */
			if (!ended && a->txn.deadline &&
			    ktime_after(ktime_get(), a->txn.deadline)) {
				v_txn_cancel(&a->txn, -ETIMEDOUT);
				v_alien_ended(a);
				wake_up(&a->move_wait);	/* a train on it ends now */
				ended = true;
			}
			spin_unlock(&host->ipc_lock);
			if (ended && silent)
				v_alien_unhash(a);
			else
				more = true;
		}
	}
	spin_unlock_bh(&host->alien_lock);
	if (more)
		queue_delayed_work(v_alien_wq, &host->alien_gc, HZ);
}

void v_alien_host_init(struct v_host *host)
{
	int i;

	spin_lock_init(&host->alien_lock);
	for (i = 0; i < V_ALIEN_BUCKETS; i++)
		INIT_HLIST_HEAD(&host->aliens[i]);
	for (i = 0; i < V_ALIEN_SRC_BUCKETS; i++)
		INIT_HLIST_HEAD(&host->alien_srcs[i]);
	atomic_set(&host->nr_aliens, 0);
	host->max_aliens = V_MAX_ALIENS_DEFAULT;
	INIT_DELAYED_WORK(&host->alien_gc, v_alien_gc);
}

/*
 * The namespace is going: no socket is left, so no alien is on a queue;
 * wait for pending NACKs, then free every alien.
 */
void v_alien_host_exit(struct v_host *host)
{
	struct hlist_node *tmp;
	struct v_alien *a;
	int i;

	cancel_delayed_work_sync(&host->alien_gc);
	flush_workqueue(v_alien_wq);
	spin_lock_bh(&host->alien_lock);
	for (i = 0; i < V_ALIEN_BUCKETS; i++)
		hlist_for_each_entry_safe(a, tmp, &host->aliens[i], hnode)
			v_alien_unhash(a);
	spin_unlock_bh(&host->alien_lock);
	WARN_ON_ONCE(atomic_read(&host->nr_aliens));
}

/*
 * The module's workqueue, for other files' work too (inherit.c): it is
 * destroyed at unload, after the last socket.
 */
bool v_alien_queue_work(struct work_struct *work)
{
	return queue_work(v_alien_wq, work);
}

int v_alien_init(void)
{
	v_alien_wq = alloc_workqueue("vkmod", WQ_UNBOUND, 0);
	return v_alien_wq ? 0 : -ENOMEM;
}

void v_alien_exit(void)
{
	destroy_workqueue(v_alien_wq);
}
