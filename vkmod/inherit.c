// SPDX-License-Identifier: GPL-2.0
/*
 * Priority inheritance (V_OPT_INHERIT, QNX's): a server thread holding a
 * client's message runs at no lower priority than the client had when it
 * sent, so a low-priority server cannot hold up a high-priority client
 * behind medium-priority work (the inversion a synchronous Send invites).
 *
 * The client's class and priority travel with its transaction (captured
 * at Send, or from its REQUEST: v_inherit_wire_set()).  The thread that
 * Receives the message raises itself (v_inherit_received()); a struct
 * v_boost remembers what it had before and counts the held messages that
 * raised it.  A message's end (v_txn_end(), Forward, a requeue) only
 * counts down, under ipc_lock, in whatever context ends it; the thread is
 * restored once the count is zero, by the next Reply, Forward or Receive
 * of the process (v_inherit_settle()), which run where sleeping is
 * allowed: sched_setattr_nocheck() takes the cpuset lock.
 *
 * Who may: any process may ask for it; it needs no privilege because it
 * only lends each client's own priority (never more) to the thread that
 * serves that client, and only while it does.  A remote client's
 * priority counts only from an authenticated REQUEST that came straight
 * from its host, and real time only up to this host's inherit_rt.
 *
 * Locking: a v_boost's list node and count, and t->boost, are under
 * host->ipc_lock; raising a thread and restoring it are serialised by the
 * process's boost_mutex, so a restore never overtakes the raise it undoes.
 */
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <uapi/linux/sched.h>
#include <uapi/linux/sched/types.h>
#include "vkmod.h"

/* A thread raised for messages its process holds. */
struct v_boost {
	struct list_head node;		/* in vs->boosts */
	struct task_struct *task;	/* referenced */
	unsigned int nr;		/* held messages that raised it */
	int level;			/* what it was raised to (v_prio_level()) */
	int orig_level;			/* what it had */
	struct sched_attr orig;
};

/* A priority: class, real-time priority, nice. */
struct v_prio {
	u8 policy;			/* V_WIRE_PRIO_* */
	u8 rt;
	s8 nice;
};

/* Comparable: real time above every nice value; 0 lends nothing. */
static int v_prio_level(const struct v_prio *p)
{
	switch (p->policy) {
	case V_WIRE_PRIO_FIFO:
	case V_WIRE_PRIO_RR:
		return 100 + p->rt;
	case V_WIRE_PRIO_NORMAL:
		return 20 - p->nice;	/* nice 19: 1, nice -20: 40 */
	}
	return 0;
}

/*
 * A scheduling class, priority and nice value as a priority: real time
 * keeps its priority, SCHED_OTHER and SCHED_BATCH their nice value;
 * SCHED_IDLE and SCHED_DEADLINE lend nothing.
 */
static void v_prio_of(unsigned int policy, unsigned int rt, int nice, struct v_prio *out)
{
	out->rt = 0;
	out->nice = nice;
	switch (policy) {
	case SCHED_FIFO:
		out->policy = V_WIRE_PRIO_FIFO;
		out->rt = rt;
		break;
	case SCHED_RR:
		out->policy = V_WIRE_PRIO_RR;
		out->rt = rt;
		break;
	case SCHED_NORMAL:
	case SCHED_BATCH:
		out->policy = V_WIRE_PRIO_NORMAL;
		break;
	default:
		out->policy = V_WIRE_PRIO_NONE;
	}
}

static void v_prio_of_task(struct task_struct *p, struct v_prio *out)
{
	v_prio_of(p->policy, p->rt_priority, task_nice(p), out);
}

/* A transaction's client priority (v_inherit_capture()'s, or its REQUEST's). */
static void v_prio_of_txn(const struct v_txn *t, struct v_prio *out)
{
	v_prio_of(t->prio_policy, t->prio_rt, t->prio_nice, out);
}

void v_inherit_wire_get(const struct v_txn *t, struct v_wire_request *req)
{
	struct v_prio p;

	v_prio_of_txn(t, &p);
	req->prio_policy = p.policy;
	req->prio_rt = p.rt;
	req->prio_nice = p.nice;
}

/* From a REQUEST: only what makes sense is kept (the rest lends nothing). */
void v_inherit_wire_set(struct v_txn *t, const struct v_wire_request *req)
{
	static const u8 policy[] = {
		[V_WIRE_PRIO_NONE] = SCHED_IDLE,
		[V_WIRE_PRIO_NORMAL] = SCHED_NORMAL,
		[V_WIRE_PRIO_FIFO] = SCHED_FIFO,
		[V_WIRE_PRIO_RR] = SCHED_RR,
	};
	bool rt = req->prio_policy == V_WIRE_PRIO_FIFO || req->prio_policy == V_WIRE_PRIO_RR;

	t->prio_policy = SCHED_IDLE;
	t->prio_rt = 0;
	t->prio_nice = 0;
	if (req->prio_policy > V_WIRE_PRIO_RR || req->prio_nice < MIN_NICE ||
	    req->prio_nice > MAX_NICE || (rt && (req->prio_rt < 1 || req->prio_rt >= MAX_RT_PRIO)))
		return;
	t->prio_policy = policy[req->prio_policy];
	t->prio_rt = rt ? req->prio_rt : 0;
	t->prio_nice = req->prio_nice;
}

/*
 * What t lends its holder: a local client's own priority; a remote one's
 * only from an authenticated REQUEST of its own host, real time capped
 * at inherit_rt (0: counted at its nice value).
 */
static void v_inherit_lent(struct v_host *host, const struct v_txn *t, struct v_prio *p)
{
	struct v_alien *a = t->alien;
	u32 cap;

	v_prio_of_txn(t, p);
	if (!a || a->local)
		return;
	if (!a->keyed) {
		p->policy = V_WIRE_PRIO_NONE;
		return;
	}
	if (p->policy != V_WIRE_PRIO_FIFO && p->policy != V_WIRE_PRIO_RR)
		return;
	cap = READ_ONCE(host->inherit_rt);
	if (!cap)
		p->policy = V_WIRE_PRIO_NORMAL;
	p->rt = cap ? min_t(u32, p->rt, cap) : 0;
}

/* The attributes that give the current thread p. */
static void v_inherit_attr(const struct v_prio *p, struct sched_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->sched_nice = task_nice(current);
	if (p->policy == V_WIRE_PRIO_NORMAL) {
		attr->sched_policy = SCHED_NORMAL;
		attr->sched_nice = p->nice;
	} else {
		attr->sched_policy = p->policy == V_WIRE_PRIO_FIFO ? SCHED_FIFO : SCHED_RR;
		attr->sched_priority = p->rt;
	}
}

/* What the current thread has now, to give it back. */
static int v_inherit_save(struct sched_attr *attr)
{
	struct v_prio p;

	v_prio_of_task(current, &p);
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->sched_policy = current->policy;
	attr->sched_priority = current->rt_priority;
	attr->sched_nice = task_nice(current);
	if (current->sched_reset_on_fork)
		attr->sched_flags |= SCHED_FLAG_RESET_ON_FORK;
	if (current->policy == SCHED_DEADLINE)
		return INT_MAX;		/* never touched */
	return current->policy == SCHED_IDLE ? 0 : v_prio_level(&p);
}

static struct v_boost *v_inherit_find(struct v_sock *vs, struct task_struct *task)
{
	struct v_boost *b;

	list_for_each_entry(b, &vs->boosts, node)
		if (b->task == task)
			return b;
	return NULL;
}

/* The transaction (sender, seq) vs holds, if still; ipc_lock held. */
static struct v_txn *v_inherit_held(struct v_sock *vs, u64 sender, u32 seq)
{
	struct v_txn *t;

	list_for_each_entry_reverse(t, &vs->held, node)
		if (t->sender_id == sender && t->seq == seq)
			return t;
	return NULL;
}

/*
 * Tie t to the current thread's boost (nb: a new one to use if it has
 * none; consumed then); ipc_lock held.  True, with *attr, when the thread
 * must be raised now.
 */
static bool v_inherit_tie(struct v_sock *vs, struct v_txn *t, struct v_boost **nb,
			  struct sched_attr *attr)
{
	struct v_boost *b = v_inherit_find(vs, current);
	struct v_prio p;
	int want;

	v_inherit_lent(vs->host, t, &p);
	want = v_prio_level(&p);
	if (!want || t->boost)
		return false;
	if (!b) {
		struct sched_attr now;
		int level = v_inherit_save(&now);

		if (want <= level || !*nb)
			return false;
		b = *nb;
		*nb = NULL;
		b->task = get_task_struct(current);
		b->orig = now;
		b->orig_level = level;
		b->level = level;
		list_add(&b->node, &vs->boosts);
	} else if (want <= b->orig_level) {
		return false;
	}
	t->boost = b;
	b->nr++;
	if (want <= b->level)
		return false;
	b->level = want;
	v_inherit_attr(&p, attr);
	return true;
}

/* The current thread has Received (sender, seq) on vs, which inherits. */
void v_inherit_received(struct v_sock *vs, u64 sender, u32 seq)
{
	struct v_boost *nb = kzalloc(sizeof(*nb), GFP_KERNEL_ACCOUNT);
	struct sched_attr attr;
	struct v_txn *t;
	bool raise = false;

	mutex_lock(&vs->boost_mutex);
	spin_lock_bh(&vs->host->ipc_lock);
	t = v_inherit_held(vs, sender, seq);
	if (t)
		raise = v_inherit_tie(vs, t, &nb, &attr);
	spin_unlock_bh(&vs->host->ipc_lock);
	if (raise)
		sched_setattr_nocheck(current, &attr);	/* best effort */
	mutex_unlock(&vs->boost_mutex);
	kfree(nb);
}

/* t no longer raises its holder's thread; ipc_lock held. */
void v_inherit_txn_ended(struct v_txn *t)
{
	t->boost->nr--;
	t->boost = NULL;
}

/* Give back what they had to the threads no held message raises any more. */
void v_inherit_settle(struct v_sock *vs)
{
	struct v_boost *b, *tmp;
	LIST_HEAD(done);

	mutex_lock(&vs->boost_mutex);
	spin_lock_bh(&vs->host->ipc_lock);
	list_for_each_entry_safe(b, tmp, &vs->boosts, node)
		if (!b->nr)
			list_move(&b->node, &done);
	spin_unlock_bh(&vs->host->ipc_lock);
	list_for_each_entry_safe(b, tmp, &done, node) {
		sched_setattr_nocheck(b->task, &b->orig);
		put_task_struct(b->task);
		kfree(b);
	}
	mutex_unlock(&vs->boost_mutex);
}
