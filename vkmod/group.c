// SPDX-License-Identifier: GPL-2.0
/*
 * Process groups: membership, members queries and GetReply.
 *
 * A group id names no host: its host part only says who created it, so
 * that ids are unique.  Each host knows its own members only (the V way:
 * membership is where the processes are); a group Send reaches them by one
 * multicast GREQUEST that every host delivers to its members (alien.c),
 * and v_group_members() asks the other hosts by broadcast GQUERY.  The
 * wire format is in uapi/linux/v.h ("Groups").
 *
 * The group transaction is the client's own v_txn: its first complete
 * RESPONSE ends the Send (net.c); later replies - one per member, each
 * once - are kept on t->greplies for GetReply until the window ends, the
 * client Sends again, or it closes.
 *
 * Locking: host->group_lock (bh; softirq reads memberships to deliver a
 * group message and answer queries) protects the group table, every
 * socket's membership list and groups_closed, the host's counts (the
 * module-wide count of memberships is an atomic), and the list of
 * members queries waiting.  It nests inside nothing and nothing is taken
 * under it.  A group transaction's reply list and window are under
 * host->ipc_lock, like the rest of the transaction.
 *
 * Lifetime: a membership lives from join to leave, shutdown() or release,
 * and holds no socket reference (release removes it before the socket
 * goes); a group entry lives while it has members.  Delivery takes socket
 * references under group_lock (v_group_local()).
 */
#include <linux/capability.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/sched/signal.h>
#include <net/genetlink.h>
#include "vkmod.h"

/* Memberships in all namespaces (under no lock: v_max_members_global caps it). */
static atomic_t v_members_global = ATOMIC_INIT(0);

#define V_GQUERY_TRIES		3	/* GQUERY sent this many times per wait */
#define V_GQUERY_HOSTS_MAX	256	/* hosts one query keeps answers from */
#define V_GQUERY_ANSWER_BURST	256	/* GMEMBERS frames sent at once, at most */
#define V_GQUERY_ANSWER_RATE	256	/* ... and a second, on average */
#define V_GQUERY_WAIT_MAX_MS	10000
/* A GetReply waiting asks again after this, doubling up to the max. */
#define V_GREPLY_AGAIN_MS	50
#define V_GREPLY_AGAIN_MAX_MS	400

struct v_grp {
	struct hlist_node node;		/* host->groups */
	u64 gid;
	struct list_head members;	/* struct v_member.gnode */
	unsigned int nr;
};

struct v_member {
	struct list_head gnode;		/* in the group */
	struct list_head snode;		/* in the socket's vs->groups */
	struct v_grp *grp;
	struct v_sock *vs;
};

struct v_greply {
	struct list_head node;		/* t->greplies */
	u64 replier;
	struct v_msg msg;
	bool taken;			/* returned by GetReply already */
};

/* One host's answer to a members query: which of its frames came. */
struct v_gquery_host {
	u32 host_part;
	u64 frags;
};

struct v_gquery_wait {
	struct list_head node;		/* host->gquery_waits */
	u64 asker, gid;
	u32 nonce;
	u64 *ids;			/* V_GROUP_MEMBERS_MAX */
	unsigned int nr;
	unsigned int nr_hosts;
	struct v_gquery_host hosts[V_GQUERY_HOSTS_MAX];
};

static struct hlist_head *v_group_bucket(struct v_host *host, u64 gid)
{
	return &host->groups[v_host_hash(host, gid, ilog2(V_GROUP_BUCKETS))];
}

static struct v_grp *v_group_find(struct v_host *host, u64 gid)
{
	struct v_grp *g;

	hlist_for_each_entry(g, v_group_bucket(host, gid), node)
		if (g->gid == gid)
			return g;
	return NULL;
}

int v_group_create(struct v_sock *vs, struct v_group *g)
{
	struct v_host *host = vs->host;
	u32 local;

	if (g->gid || g->flags || g->reserved)
		return -EINVAL;
	spin_lock_bh(&host->group_lock);
	/* Skip 0 (no id) and any local part still naming a live group. */
	do {
		local = ++host->next_group;
		g->gid = V_ID_GROUP | v_id_make(v_host_part(host), local);
	} while (!local || v_group_find(host, g->gid));
	spin_unlock_bh(&host->group_lock);
	return 0;
}

static struct v_member *v_group_membership(struct v_sock *vs, u64 gid)
{
	struct v_member *m;

	list_for_each_entry(m, &vs->groups, snode)
		if (m->grp->gid == gid)
			return m;
	return NULL;
}

int v_group_join(struct v_sock *vs, const struct v_group *g)
{
	struct v_host *host = vs->host;
	struct v_grp *grp, *fresh;
	struct v_member *m;
	int err = 0;

	if (g->flags || g->reserved || !v_id_group_ok(g->gid))
		return -EINVAL;
	if ((g->gid & V_ID_WELLKNOWN) &&
	    !ns_capable(sock_net(&vs->sk)->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!m || !fresh) {
		err = -ENOMEM;
		goto out;
	}
	spin_lock_bh(&host->group_lock);
	if (vs->groups_closed)
		err = -ESHUTDOWN;
	else if (v_group_membership(vs, g->gid))
		err = -EEXIST;
	else if (vs->nr_groups >= V_GROUPS_PER_PROC_MAX)
		err = -ENOSPC;	/* one process's share (its list is walked) */
	else if (host->nr_members >= v_host_cap(host, READ_ONCE(host->max_members),
						v_max_members_global, READ_ONCE(v_max_members_ns)))
		err = -ENOSPC;
	else if (!atomic_add_unless(&v_members_global, 1, v_max_members_global))
		err = -ENOSPC;	/* the module's cap, over all namespaces */
	if (!err) {
		grp = v_group_find(host, g->gid);
		if (!grp) {
			grp = fresh;
			fresh = NULL;
			grp->gid = g->gid;
			INIT_LIST_HEAD(&grp->members);
			hlist_add_head(&grp->node, v_group_bucket(host, g->gid));
			host->nr_groups++;
		}
		m->grp = grp;
		m->vs = vs;
		list_add_tail(&m->gnode, &grp->members);
		list_add_tail(&m->snode, &vs->groups);
		vs->nr_groups++;
		grp->nr++;
		host->nr_members++;
		m = NULL;
	}
	spin_unlock_bh(&host->group_lock);
out:
	kfree(m);
	kfree(fresh);
	return err;
}

/* Drop membership m; group_lock held.  Returns a group entry to free. */
static struct v_grp *v_group_unlink(struct v_host *host, struct v_member *m)
{
	struct v_grp *grp = m->grp;

	list_del(&m->gnode);
	list_del(&m->snode);
	m->vs->nr_groups--;
	host->nr_members--;
	atomic_dec(&v_members_global);
	if (--grp->nr)
		return NULL;
	hlist_del(&grp->node);
	host->nr_groups--;
	return grp;
}

int v_group_leave(struct v_sock *vs, const struct v_group *g)
{
	struct v_host *host = vs->host;
	struct v_grp *grp = NULL;
	struct v_member *m;

	if (g->flags || g->reserved || !v_id_group_ok(g->gid))
		return -EINVAL;
	spin_lock_bh(&host->group_lock);
	m = v_group_membership(vs, g->gid);
	if (m)
		grp = v_group_unlink(host, m);
	spin_unlock_bh(&host->group_lock);
	kfree(grp);
	kfree(m);
	return m ? 0 : -ENOENT;
}

/* shutdown() or release: leave every group, join no more. */
void v_group_release(struct v_sock *vs)
{
	struct v_host *host = vs->host;
	struct v_member *m;
	struct v_grp *grp;

	if (!host)
		return;
	for (;;) {
		spin_lock_bh(&host->group_lock);
		vs->groups_closed = true;
		m = list_first_entry_or_null(&vs->groups, struct v_member, snode);
		grp = m ? v_group_unlink(host, m) : NULL;
		spin_unlock_bh(&host->group_lock);
		if (!m)
			return;
		kfree(grp);
		kfree(m);
	}
}

/*
 * The members of gid on this host, except the process `except` (a client
 * is not sent its own group message).  Without out, returns how many
 * members there are; with it, fills out[] (up to max) with referenced
 * sockets and returns how many it filled.
 */
unsigned int v_group_local(struct v_host *host, u64 gid, u64 except, struct v_sock **out,
			   unsigned int max)
{
	unsigned int n = 0;
	struct v_member *m;
	struct v_grp *grp;

	spin_lock_bh(&host->group_lock);
	grp = v_group_find(host, gid);
	if (grp) {
		list_for_each_entry(m, &grp->members, gnode) {
			if (m->vs->id == except)
				continue;
			if (n < max) {
				sock_hold(&m->vs->sk);
				out[n] = m->vs;
			}
			n++;
		}
	}
	spin_unlock_bh(&host->group_lock);
	return out ? min(n, max) : n;
}

bool v_group_has_members(struct v_host *host, u64 gid)
{
	bool any;

	spin_lock_bh(&host->group_lock);
	any = v_group_find(host, gid);
	spin_unlock_bh(&host->group_lock);
	return any;
}

/*
 * Copy up to max local member ids of gid into ids (a NULL ids only
 * counts); returns how many were copied.
 */
static unsigned int v_group_local_ids(struct v_host *host, u64 gid, u64 *ids, unsigned int max)
{
	unsigned int n = 0;
	struct v_member *m;
	struct v_grp *grp;

	spin_lock_bh(&host->group_lock);
	grp = v_group_find(host, gid);
	if (grp)
		list_for_each_entry(m, &grp->members, gnode) {
			if (n == max)
				break;
			if (ids)
				ids[n] = m->vs->id;
			n++;
		}
	spin_unlock_bh(&host->group_lock);
	return n;
}

static int v_group_cmp_id(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void v_group_send_query(struct v_host *host, struct v_gquery_wait *w)
{
	struct sk_buff *skb = v_net_frame(host, V_PKT_GQUERY, w->asker, w->nonce, w->gid, 0,
					  0, GFP_KERNEL);

	if (skb)
		v_net_broadcast(host, skb, false, V_WIRE_AUTH_ALL);
}

/*
 * Members of m->gid cluster-wide: ours, plus what the other hosts answer
 * within the wait.  The total counts distinct ids (at most
 * V_GROUP_MEMBERS_MAX); the array gets the first m->max of them.
 */
int v_group_members(struct v_sock *vs, struct v_group_members *m)
{
	struct v_host *host = vs->host;
	unsigned long deadline, ms;
	struct v_gquery_wait *w;
	unsigned int i, n, copy;
	int err = 0;

	if (!v_id_group_ok(m->gid) || (m->max && !m->ids_addr))
		return -EINVAL;
	if (m->max && !access_ok(u64_to_user_ptr(m->ids_addr), (u64)m->max * sizeof(u64)))
		return -EFAULT;
	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return -ENOMEM;
	w->ids = kvmalloc_array(V_GROUP_MEMBERS_MAX, sizeof(u64), GFP_KERNEL_ACCOUNT);
	if (!w->ids) {
		kfree(w);
		return -ENOMEM;
	}
	w->asker = vs->id;
	w->gid = m->gid;
	w->nonce = get_random_u32();

	if (READ_ONCE(host->nr_links)) {
		ms = m->timeout_ns ? div_u64(m->timeout_ns, NSEC_PER_MSEC) :
				     V_GROUP_QUERY_MS_DEFAULT;
		ms = clamp_t(unsigned long, ms, 1, V_GQUERY_WAIT_MAX_MS);
		spin_lock_bh(&host->group_lock);
		list_add(&w->node, &host->gquery_waits);
		spin_unlock_bh(&host->group_lock);
		deadline = jiffies + msecs_to_jiffies(ms);
		/* Queries go out at the start, a third and two thirds in. */
		for (i = 0; i < V_GQUERY_TRIES && !err; i++) {
			unsigned long until = i == V_GQUERY_TRIES - 1 ? deadline :
					      jiffies + msecs_to_jiffies(ms / V_GQUERY_TRIES);

			v_group_send_query(host, w);
			while (time_before(jiffies, until)) {
				if (signal_pending(current)) {
					err = -ERESTARTSYS;	/* asking again is harmless */
					break;
				}
				schedule_timeout_interruptible(until - jiffies);
			}
		}
		spin_lock_bh(&host->group_lock);
		list_del(&w->node);
		spin_unlock_bh(&host->group_lock);
	}
	if (err)
		goto out;

	/* Remote answers may overlap (a member that moved); ours go last. */
	n = w->nr;
	n += v_group_local_ids(host, m->gid, w->ids + n, V_GROUP_MEMBERS_MAX - n);
	sort(w->ids, n, sizeof(u64), v_group_cmp_id, NULL);
	for (i = 0, copy = 0; i < n; i++)
		if (!copy || w->ids[copy - 1] != w->ids[i])
			w->ids[copy++] = w->ids[i];
	m->total = copy;
	copy = min(copy, m->max);
	if (copy && copy_to_user(u64_to_user_ptr(m->ids_addr), w->ids, copy * sizeof(u64)))
		err = -EFAULT;
out:
	kvfree(w->ids);
	kfree(w);
	return err;
}

/*
 * May this host send frames more GMEMBERS now?  A token bucket of
 * V_GQUERY_ANSWER_BURST frames refilled at V_GQUERY_ANSWER_RATE a second:
 * a GQUERY of 72 bytes from anyone draws up to 64 frames, so a flood of
 * them (with new nonces, or naming another host as the asker) must not
 * draw a flood of answers.  An asker that got nothing asks again.
 */
static bool v_group_answer_budget(struct v_host *host, unsigned int frames)
{
	unsigned long now = jiffies, elapsed;
	bool ok;

	/*
	 * Credit counts frames times HZ: a jiffy adds RATE, a frame costs HZ,
	 * so nothing is lost to rounding.  A second or more fills it.
	 */
	spin_lock(&host->group_lock);
	elapsed = min_t(unsigned long, now - host->gq_at, HZ);
	host->gq_at = now;
	host->gq_credit = min_t(unsigned long, host->gq_credit + elapsed * V_GQUERY_ANSWER_RATE,
				(unsigned long)V_GQUERY_ANSWER_BURST * HZ);
	ok = host->gq_credit >= (unsigned long)frames * HZ;
	if (ok)
		host->gq_credit -= (unsigned long)frames * HZ;
	spin_unlock(&host->group_lock);
	return ok;
}

/* Answer a GQUERY with our members (softirq). */
static void v_group_answer(struct v_host *host, const struct sk_buff *q)
{
	const struct v_wire_hdr *h = (const void *)q->data;
	unsigned int max = v_net_payload_max(host, v_id_host(get_unaligned_be64(&h->client)));
	unsigned int per, n, frags, f, i;
	u64 gid = get_unaligned_be64(&h->dst);
	u64 *ids;

	if (max <= sizeof(struct v_wire_gmembers))
		return;
	per = (max - sizeof(struct v_wire_gmembers)) / sizeof(u64);
	/* An answer is at most 64 frames (and a query keeps what fits). */
	n = v_group_local_ids(host, gid, NULL, min(per * 64, V_GROUP_MEMBERS_MAX));
	if (!n)
		return;		/* no members here: nothing to say */
	if (!v_group_answer_budget(host, DIV_ROUND_UP(n, per))) {
		v_stat_inc(host, V_A_STAT_BUSY);
		return;
	}
	ids = kmalloc_array(n, sizeof(u64), GFP_ATOMIC);
	if (!ids) {
		v_stat_inc(host, V_A_STAT_DROP_NOMEM);
		return;
	}
	n = v_group_local_ids(host, gid, ids, n);
	frags = DIV_ROUND_UP(n, per);
	for (f = 0; f < frags; f++) {
		unsigned int cnt = min(per, n - f * per);
		struct v_wire_gmembers *gm;
		struct sk_buff *skb;
		__be64 *out;

		skb = v_net_frame(host, V_PKT_GMEMBERS, get_unaligned_be64(&h->client),
				  be32_to_cpu(h->seq), gid, 0, sizeof(*gm) + cnt * sizeof(u64),
				  GFP_ATOMIC);
		if (!skb)
			break;
		gm = skb_put_zero(skb, sizeof(*gm));
		gm->count = cpu_to_be32(cnt);
		gm->frag = cpu_to_be16(f);
		gm->frags = cpu_to_be16(frags);
		out = skb_put(skb, cnt * sizeof(u64));
		for (i = 0; i < cnt; i++)
			out[i] = cpu_to_be64(ids[f * per + i]);
		v_net_answer(host, q, v_id_host(get_unaligned_be64(&h->client)), skb);
	}
	kfree(ids);
}

/* Keep one copy of each host's answer frames for the waiting query. */
static void v_group_collect(struct v_host *host, const struct v_wire_hdr *h)
{
	const struct v_wire_gmembers *gm = (const void *)(h + 1);
	unsigned int cnt = be32_to_cpu(gm->count), frag = be16_to_cpu(gm->frag), i;
	u32 src = be32_to_cpu(h->src_host);
	const __be64 *ids = (const void *)(gm + 1);
	struct v_gquery_host *qh = NULL;
	struct v_gquery_wait *w;

	spin_lock(&host->group_lock);
	list_for_each_entry(w, &host->gquery_waits, node)
		if (w->asker == get_unaligned_be64(&h->client) && w->nonce == be32_to_cpu(h->seq) &&
		    w->gid == get_unaligned_be64(&h->dst))
			break;
	if (list_entry_is_head(w, &host->gquery_waits, node)) {
		spin_unlock(&host->group_lock);
		v_stat_inc(host, V_A_STAT_DROP_NO_TXN);
		return;
	}
	for (i = 0; i < w->nr_hosts; i++)
		if (w->hosts[i].host_part == src)
			qh = &w->hosts[i];
	if (!qh && w->nr_hosts < V_GQUERY_HOSTS_MAX) {
		qh = &w->hosts[w->nr_hosts++];
		qh->host_part = src;
		qh->frags = 0;
	}
	if (qh && !(qh->frags & BIT_ULL(frag))) {
		qh->frags |= BIT_ULL(frag);
		for (i = 0; i < cnt && w->nr < V_GROUP_MEMBERS_MAX; i++)
			w->ids[w->nr++] = get_unaligned_be64(&ids[i]);
	}
	spin_unlock(&host->group_lock);
}

/* GQUERY or GMEMBERS (softirq); lengths of the header checked already. */
void v_group_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	u32 len = be32_to_cpu(h->len);

	if (!v_id_group_ok(get_unaligned_be64(&h->dst))) {
		v_stat_inc(host, V_A_STAT_DROP_SHORT);
		goto out;
	}
	if (h->type == V_PKT_GQUERY) {
		v_group_answer(host, skb);
	} else {
		const struct v_wire_gmembers *gm = (const void *)(h + 1);

		if (len < sizeof(*gm) ||
		    len - sizeof(*gm) != (u64)be32_to_cpu(gm->count) * sizeof(u64) ||
		    !be16_to_cpu(gm->frags) || be16_to_cpu(gm->frags) > 64 ||
		    be16_to_cpu(gm->frag) >= be16_to_cpu(gm->frags)) {
			v_stat_inc(host, V_A_STAT_DROP_SHORT);
			goto out;
		}
		if (v_id_host(get_unaligned_be64(&h->client)) != v_host_part(host)) {
			v_stat_inc(host, V_A_STAT_DROP_NOT_MINE);
			goto out;
		}
		v_group_collect(host, h);
	}
out:
	kfree_skb(skb);
}

/*
 * A further reply to the group transaction t; ipc_lock held.  Kept once
 * per replier (retransmitted requests draw the same replies again), while
 * the Send is in flight or the window is open.
 */
void v_group_reply_add(struct v_host *host, struct v_txn *t, u64 replier,
		       const struct v_msg *msg)
{
	struct v_greply *r;

	if (!t->gopen && t->state != V_TXN_REMOTE)
		goto drop;
	if (t->gopen && time_after(jiffies, t->gclose))
		goto drop;
	if (replier == t->first_replier)
		return;		/* a copy of the reply that ended the Send */
	list_for_each_entry(r, &t->greplies, node)
		if (r->replier == replier)
			return;
	if (t->nr_greplies >= V_GROUP_REPLIES_MAX)
		goto drop;
	r = kmalloc(sizeof(*r), GFP_ATOMIC);
	if (!r)
		goto drop;
	r->replier = replier;
	r->msg = *msg;
	r->taken = false;
	list_add_tail(&r->node, &t->greplies);
	t->nr_greplies++;
	v_stat_inc(host, V_A_STAT_GROUP_REPLIES);
	return;
drop:
	v_stat_inc(host, V_A_STAT_GROUP_DROPPED);
}

/* Take t's group state out into *req and gone; ipc_lock held. */
static void v_group_txn_detach(struct v_txn *t, struct sk_buff **req, struct list_head *gone)
{
	if (t->gopen) {
		*req = t->req_skb;	/* kept for GetReply (net.c) */
		WRITE_ONCE(t->req_skb, NULL);
	}
	WRITE_ONCE(t->gopen, false);
	WRITE_ONCE(t->group, 0);
	list_splice_init(&t->greplies, gone);
	t->nr_greplies = 0;
}

static void v_group_txn_free(struct sk_buff *req, struct list_head *gone)
{
	struct v_greply *r, *tmp;

	kfree_skb(req);
	list_for_each_entry_safe(r, tmp, gone, node)
		kfree(r);
}

/* End the group transaction of t (next Send, close). */
void v_group_txn_close(struct v_txn *t)
{
	struct v_sock *vs = v_txn_sender(t);
	struct sk_buff *req = NULL;
	LIST_HEAD(gone);

	/*
	 * Nothing to end after an ordinary Send (the fast path): replies are
	 * only kept, and the request only held, while t->group is set, and
	 * only the socket's own Send, GetReply and release change it.
	 */
	if (!READ_ONCE(t->group))
		return;
	spin_lock_bh(&vs->host->ipc_lock);
	v_group_txn_detach(t, &req, &gone);
	spin_unlock_bh(&vs->host->ipc_lock);
	v_group_txn_free(req, &gone);
}

/* GetReply: the next further reply, each once. */
int v_group_get_reply(struct v_sock *vs, struct v_get_reply __user *uarg)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	spinlock_t *lock = &vs->host->ipc_lock;
	struct v_txn *t = &vs->txn;
	unsigned long deadline, again, ivl = msecs_to_jiffies(V_GREPLY_AGAIN_MS);
	struct v_greply *r = NULL;
	struct sk_buff *req = NULL;
	struct v_get_reply g;
	LIST_HEAD(gone);
	int err = 0;

	if (copy_from_user(&g, uarg, sizeof(g)))
		return -EFAULT;
	deadline = jiffies + nsecs_to_jiffies(min_t(u64, g.timeout_ns, NSEC_PER_SEC * 3600));
	again = jiffies + ivl;

	add_wait_queue(&vs->tx_wait, &wait);
	for (;;) {
		long left;

		spin_lock_bh(lock);
		if (!t->gopen || test_bit(V_SOCK_SENDING, &vs->flags)) {
			err = -ENOENT;
		} else if (time_after(jiffies, t->gclose)) {
			/*
			 * The window is over: closed under the lock that saw
			 * it open, so a group Send another thread of this
			 * socket starts next keeps its own state and replies.
			 */
			v_group_txn_detach(t, &req, &gone);
			err = -ENOENT;
		} else {
			list_for_each_entry(r, &t->greplies, node)
				if (!r->taken)
					break;
			if (list_entry_is_head(r, &t->greplies, node)) {
				r = NULL;
			} else {
				r->taken = true;
				g.replier = r->replier;
				g.msg = r->msg;
			}
		}
		spin_unlock_bh(lock);
		if (err || r)
			break;
		left = min((long)(deadline - jiffies), (long)(t->gclose - jiffies) + 1);
		if (left <= 0 || !g.timeout_ns) {
			err = -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			err = -ERESTARTSYS;	/* nothing taken: a restart loses nothing */
			break;
		}
		if (time_after_eq(jiffies, again)) {
			v_net_group_again(vs->host, t);
			ivl = min(ivl * 2, msecs_to_jiffies(V_GREPLY_AGAIN_MAX_MS));
			again = jiffies + ivl;
		}
		wait_woken(&wait, TASK_INTERRUPTIBLE, min(left, (long)(again - jiffies)));
	}
	remove_wait_queue(&vs->tx_wait, &wait);
	v_race_sleep(V_RACE_GREPLY_CLOSE);	/* another thread may Send */
	v_group_txn_free(req, &gone);
	if (err)
		return err;
	if (copy_to_user(uarg, &g, sizeof(g))) {
		spin_lock_bh(lock);	/* give it back: nothing is lost */
		list_for_each_entry(r, &t->greplies, node)
			if (r->replier == g.replier)
				r->taken = false;
		spin_unlock_bh(lock);
		return -EFAULT;
	}
	return 0;
}

/* Whether a dump shows grp at all: to an administrator, or with a member of the caller's. */
static bool v_group_dump_sees(struct v_grp *grp, bool all)
{
	struct v_member *m;

	if (all)
		return true;
	list_for_each_entry(m, &grp->members, gnode)
		if (v_genl_sees(false, m->vs))
			return true;
	return false;
}

/* Dump the groups with members here (cb->args: bucket, position in it). */
int v_group_dump(struct v_host *host, struct sk_buff *skb, struct netlink_callback *cb)
{
	long bucket = cb->args[0], skip = cb->args[1], from = cb->args[2], i;
	bool all = v_genl_sees_all(cb);
	struct v_member *m;
	struct nlattr *nest;
	struct v_grp *grp;

	/*
	 * cb->args: bucket, groups of it done, members of the next group
	 * already sent.  A group with more members than one message holds
	 * goes on in the next message, under the same V_A_GROUP_ID.
	 */
	spin_lock_bh(&host->group_lock);
	for (; bucket < V_GROUP_BUCKETS; bucket++, skip = 0, from = 0) {
		i = 0;
		hlist_for_each_entry(grp, &host->groups[bucket], node) {
			long n = 0, put = 0;
			void *hdr;

			if (i++ < skip)
				continue;
			if (!v_group_dump_sees(grp, all)) {
				cb->args[1] = i;	/* no member of the caller's */
				continue;
			}
			hdr = v_genl_dump_start(skb, cb, V_CMD_GROUP_GET);
			if (!hdr)
				goto full;
			if (nla_put_u64_64bit(skb, V_A_GROUP_ID, grp->gid, V_A_PAD))
				goto cancel;
			nest = nla_nest_start(skb, V_A_GROUP_MEMBERS);
			if (!nest)
				goto cancel;
			list_for_each_entry(m, &grp->members, gnode) {
				if (n++ < from || !v_genl_sees(all, m->vs))
					continue;
				if (nla_put_u64_64bit(skb, V_A_GROUP_MEMBER, m->vs->id, V_A_PAD)) {
					if (!put)
						goto cancel;	/* all of it in the next one */
					nla_nest_end(skb, nest);
					genlmsg_end(skb, hdr);
					cb->args[2] = n - 1;
					goto full;
				}
				put++;
			}
			nla_nest_end(skb, nest);
			genlmsg_end(skb, hdr);
			cb->args[1] = i;
			cb->args[2] = 0;
			from = 0;
			continue;
cancel:
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		cb->args[0] = bucket + 1;
		cb->args[1] = 0;
		cb->args[2] = 0;
		/* A bucket at a time (see v_alien_dump()). */
		spin_unlock_bh(&host->group_lock);
		cond_resched();
		spin_lock_bh(&host->group_lock);
	}
full:
	spin_unlock_bh(&host->group_lock);
	return skb->len;
}

void v_group_host_init(struct v_host *host)
{
	int i;

	spin_lock_init(&host->group_lock);
	for (i = 0; i < V_GROUP_BUCKETS; i++)
		INIT_HLIST_HEAD(&host->groups[i]);
	INIT_LIST_HEAD(&host->gquery_waits);
	host->gq_credit = (unsigned long)V_GQUERY_ANSWER_BURST * HZ;
	host->gq_at = jiffies;
	host->max_members = V_MAX_MEMBERS_DEFAULT;
	host->group_window_ms = V_GROUP_WINDOW_MS_DEFAULT;
}
