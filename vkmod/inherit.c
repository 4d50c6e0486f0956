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
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <uapi/linux/sched.h>
#include <uapi/linux/sched/types.h>
#include "vkmod.h"

/* A thread raised for messages its process holds. */
struct v_boost {
	struct list_head node;		/* in vs->boosts */
	struct hlist_node tnode;	/* in v_boost_tasks */
	struct v_sock *vs;		/* whose messages raised it */
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
	/*
	 * Only a host the initial namespace's administrator set up trusts
	 * another's word on priorities: the owner of any other namespace
	 * could attach a link, set a key and lend itself real time.
	 */
	if (!a->keyed || host->net->user_ns != &init_user_ns) {
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

/* The attributes that raise task to p; its forks do not inherit the raise. */
static void v_inherit_attr(struct task_struct *task, const struct v_prio *p,
			   struct sched_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->sched_flags = SCHED_FLAG_RESET_ON_FORK;
	attr->sched_nice = task_nice(task);
	if (p->policy == V_WIRE_PRIO_NORMAL) {
		attr->sched_policy = SCHED_NORMAL;
		attr->sched_nice = p->nice;
	} else {
		attr->sched_policy = p->policy == V_WIRE_PRIO_FIFO ? SCHED_FIFO : SCHED_RR;
		attr->sched_priority = p->rt;
	}
}

/* What task has now, to give it back; its level (INT_MAX: never raised). */
static int v_inherit_save(struct task_struct *task, struct sched_attr *attr)
{
	unsigned int policy = READ_ONCE(task->policy);
	struct v_prio p;

	v_prio_of(policy, READ_ONCE(task->rt_priority), task_nice(task), &p);
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->sched_policy = policy;
	attr->sched_priority = p.rt;
	attr->sched_nice = p.nice;
	if (task->sched_reset_on_fork)
		attr->sched_flags |= SCHED_FLAG_RESET_ON_FORK;
	if (policy == SCHED_DEADLINE)
		return INT_MAX;
	return policy == SCHED_IDLE ? 0 : v_prio_level(&p);
}

/*
 * Every raised thread, by task, whichever V process raised it: a thread
 * serving on two sockets is raised by the first only, since each would
 * give back what it saw (the other's raise).  Nested in ipc_lock.
 */
static DEFINE_HASHTABLE(v_boost_tasks, 6);
static DEFINE_SPINLOCK(v_boost_lock);

static struct v_boost *v_boost_of_task(struct task_struct *task)
{
	struct v_boost *b;

	hash_for_each_possible(v_boost_tasks, b, tnode, (unsigned long)task)
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
 * A new boost of task by vs (nb, consumed), unless another V process
 * raised it already; ipc_lock held.
 */
static struct v_boost *v_inherit_new(struct v_sock *vs, struct task_struct *task,
				     struct v_boost **nb, const struct sched_attr *now, int level)
{
	struct v_boost *b = NULL;

	spin_lock_bh(&v_boost_lock);
	if (!v_boost_of_task(task)) {
		b = *nb;
		*nb = NULL;
		b->vs = vs;
		b->task = get_task_struct(task);
		b->orig = *now;
		b->orig_level = level;
		b->level = level;
		list_add(&b->node, &vs->boosts);
		hash_add(v_boost_tasks, &b->tnode, (unsigned long)task);
	}
	spin_unlock_bh(&v_boost_lock);
	return b;
}

/*
 * task's boost by vs, or a new one when want would raise task; ipc_lock
 * held.  NULL: no raise; ERR_PTR(-ENOMEM): a new one is needed and *nb
 * is NULL.
 */
static struct v_boost *v_inherit_boost(struct v_sock *vs, struct task_struct *task, int want,
				       struct v_boost **nb)
{
	struct sched_attr now;
	struct v_boost *b;
	int level;

	list_for_each_entry(b, &vs->boosts, node)
		if (b->task == task)
			return b;
	level = v_inherit_save(task, &now);
	if (want <= level)
		return NULL;
	if (!*nb)
		return ERR_PTR(-ENOMEM);
	return v_inherit_new(vs, task, nb, &now, level);
}

/*
 * Tie t to task's boost by vs; ipc_lock held.  1, with *attr, *raised
 * and *prev (its level to go back to if the raise fails), when task must
 * be raised now; 0 when not; -ENOMEM when a new boost is needed and *nb
 * is NULL.
 */
static int v_inherit_tie(struct v_sock *vs, struct task_struct *task, struct v_txn *t,
			 struct v_boost **nb, struct sched_attr *attr,
			 struct v_boost **raised, int *prev)
{
	struct v_boost *b;
	struct v_prio p;
	int want;

	v_inherit_lent(vs->host, t, &p);
	want = v_prio_level(&p);
	/* Only the thread that received it (a message given back has moved on). */
	if (!want || t->boost || t->rx_task != task)
		return 0;
	b = v_inherit_boost(vs, task, want, nb);
	if (IS_ERR_OR_NULL(b))
		return PTR_ERR_OR_ZERO(b);
	if (want <= b->orig_level)
		return 0;
	t->boost = b;
	b->nr++;
	if (want <= b->level)
		return 0;
	*prev = b->level;
	*raised = b;
	b->level = want;
	v_inherit_attr(task, &p, attr);
	return 1;
}

/*
 * task holds (sender, seq), received on vs, which inherits: raise it.
 * Called by the thread that Received, or by a local sender that handed
 * its message to task (so task runs at its client's priority from its
 * wake-up on).  The sender does not wait for the boost mutex or for
 * memory (that would make a high-priority client wait on whoever holds
 * them): then the thread raises itself when its Receive returns.  A boost
 * record is allocated only when one is needed.
 */
void v_inherit_raise(struct v_sock *vs, struct task_struct *task, u64 sender, u32 seq,
		     bool sender_side)
{
	struct v_boost *nb = NULL, *b = NULL;
	struct sched_attr attr;
	int raise, prev = 0;
	struct v_txn *t;

	if (!sender_side)
		mutex_lock(&vs->boost_mutex);
	else if (!mutex_trylock(&vs->boost_mutex))
		return;
	for (;;) {
		spin_lock_bh(&vs->host->ipc_lock);
		t = v_inherit_held(vs, sender, seq);
		raise = t ? v_inherit_tie(vs, task, t, &nb, &attr, &b, &prev) : 0;
		spin_unlock_bh(&vs->host->ipc_lock);
		if (raise != -ENOMEM)
			break;
		nb = kzalloc(sizeof(*nb), sender_side ? GFP_NOWAIT | __GFP_ACCOUNT :
				 GFP_KERNEL_ACCOUNT);
		if (!nb)
			break;
	}
	/* b stays while boost_mutex is held: only settling frees it. */
	if (raise == 1 && sched_setattr_nocheck(task, &attr)) {
		/* Not raised (no real-time budget, say): the next one may. */
		spin_lock_bh(&vs->host->ipc_lock);
		b->level = prev;
		spin_unlock_bh(&vs->host->ipc_lock);
	}
	mutex_unlock(&vs->boost_mutex);
	kfree(nb);
}

/*
 * t no longer raises its holder's thread; ipc_lock held, any context.
 * The last message of a boost gets the thread restored: by the caller
 * (a Reply or Forward settles right after), or, kick, by the process's
 * work (a client that gave up, an alien's end in softirq).
 */
void v_inherit_txn_ended(struct v_txn *t, bool kick)
{
	struct v_boost *b = t->boost;

	t->boost = NULL;
	if (--b->nr || !kick)
		return;
	sock_hold(&b->vs->sk);
	if (!v_alien_queue_work(&b->vs->boost_work))
		sock_put(&b->vs->sk);	/* queued already: it holds one */
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
		/* A raise that failed left nothing to give back. */
		if (b->level != b->orig_level)
			sched_setattr_nocheck(b->task, &b->orig);
		/* Only now may another V process raise it (v_inherit_new()). */
		spin_lock_bh(&v_boost_lock);
		hash_del(&b->tnode);
		spin_unlock_bh(&v_boost_lock);
		put_task_struct(b->task);
		kfree(b);
	}
	mutex_unlock(&vs->boost_mutex);
}

static void v_inherit_work(struct work_struct *work)
{
	struct v_sock *vs = container_of(work, struct v_sock, boost_work);

	v_inherit_settle(vs);
	sock_put(&vs->sk);
}

void v_inherit_init_sock(struct v_sock *vs)
{
	mutex_init(&vs->boost_mutex);
	INIT_LIST_HEAD(&vs->boosts);
	INIT_WORK(&vs->boost_work, v_inherit_work);
}
