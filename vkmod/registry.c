// SPDX-License-Identifier: GPL-2.0
/*
 * Logical ids: SetPid / GetPid.
 *
 * Each host keeps a table logical id -> registration (an xarray).  A
 * registration names a live V process of this host; it disappears when
 * that process's socket is released, so a registered id is always live
 * and a second SetPid of it fails with -EEXIST.
 *
 * GetPid with remote scope asks the other hosts by broadcast (wire format
 * in uapi/linux/v.h); they answer from softirq, reading the table under
 * RCU.  An asking thread waits on a v_getpid_wait linked on
 * host->getpid_waits under ipc_lock, where answers find it.
 *
 * Locking: host->reg_lock (a mutex, process context) serialises changes
 * and the per-process count nr_regs / regs_closed; lookups read under RCU
 * (registrations are freed with kfree_rcu).
 */
#include <linux/capability.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include "vkmod.h"

#define V_GETPID_RETRY_MS	200

struct v_getpid_wait {
	struct list_head node;		/* host->getpid_waits, under ipc_lock */
	u64 asker;
	u32 nonce;
	u32 lid;
	u64 pid;			/* the answer, 0 until one came */
	wait_queue_head_t wq;
};

struct v_reg {
	u64 pid;
	u64 by;				/* the process that registered it */
	u32 scope;
	struct rcu_head rcu;
};

/* CAP_NET_ADMIN over the namespace, checked on the caller (not the opener). */
static bool v_reg_admin(struct v_sock *vs)
{
	return ns_capable(sock_net(&vs->sk)->user_ns, CAP_NET_ADMIN);
}

static bool v_reg_may(struct v_sock *vs, u32 lid)
{
	return lid >= V_LID_PRIVILEGED || v_reg_admin(vs);
}

static int v_reg_check(const struct v_pid *p)
{
	if (!p->logical_id || !p->scope || (p->scope & ~V_SCOPE_BOTH))
		return -EINVAL;
	return 0;
}

/*
 * Only the registered process, the one that registered it, or an
 * administrator may remove a registration: otherwise anyone could take
 * another user's logical id over (remove it, then register itself).
 */
static int v_reg_unset(struct v_sock *vs, u32 lid)
{
	struct v_host *host = vs->host;
	struct v_sock *owner;
	struct v_reg *reg;
	int err = 0;

	mutex_lock(&host->reg_lock);
	reg = xa_load(&host->regs, lid);
	if (!reg)
		err = -ENOENT;
	else if (reg->pid != vs->id && reg->by != vs->id && !v_reg_admin(vs))
		err = -EPERM;
	if (err) {
		mutex_unlock(&host->reg_lock);
		return err;
	}
	xa_erase(&host->regs, lid);
	owner = v_id_lookup(host, reg->pid);
	if (owner) {
		owner->nr_regs--;
		sock_put(&owner->sk);
	}
	kfree_rcu(reg, rcu);
	mutex_unlock(&host->reg_lock);
	return 0;
}

int v_reg_set(struct v_sock *vs, const struct v_pid *p)
{
	struct v_host *host = vs->host;
	struct v_sock *owner;
	struct v_reg *reg;
	int err;

	err = v_reg_check(p);
	if (err)
		return err;
	if (p->timeout_ns)
		return -EINVAL;
	if (!v_reg_may(vs, p->logical_id))
		return -EPERM;
	if (!p->pid)
		return v_reg_unset(vs, p->logical_id);
	if (v_id_is_group(p->pid) || (p->pid & V_ID_WELLKNOWN))
		return -EINVAL;
	/* A process registers itself; only an administrator registers others. */
	if (p->pid != vs->id && !v_reg_admin(vs))
		return -EPERM;
	owner = v_id_lookup(host, p->pid);
	if (!owner)
		return -ESRCH;

	reg = kzalloc(sizeof(*reg), GFP_KERNEL_ACCOUNT);
	if (!reg) {
		err = -ENOMEM;
		goto out;
	}
	reg->pid = p->pid;
	reg->by = vs->id;
	reg->scope = p->scope;
	mutex_lock(&host->reg_lock);
	if (owner->regs_closed || READ_ONCE(owner->dead))
		err = -ESRCH;
	else
		err = xa_insert(&host->regs, p->logical_id, reg, GFP_KERNEL_ACCOUNT);
	if (err == -EBUSY)
		err = -EEXIST;
	if (!err)
		owner->nr_regs++;
	mutex_unlock(&host->reg_lock);
	if (err)
		kfree(reg);
out:
	sock_put(&owner->sk);
	return err;
}

/* The process registered under lid for the given scope, or 0. */
static u64 v_reg_lookup(struct v_host *host, u32 lid, u32 scope)
{
	struct v_reg *reg;
	u64 pid = 0;

	rcu_read_lock();
	reg = xa_load(&host->regs, lid);
	if (reg && (reg->scope & scope))
		pid = reg->pid;
	rcu_read_unlock();
	return pid;
}

/* A GETPID (for all, q NULL) or the answer to question q. */
static void v_reg_send(struct v_host *host, u8 type, u64 asker, u32 nonce, u32 lid,
		       u64 pid, const struct sk_buff *q)
{
	struct sk_buff *skb = v_net_frame(host, type, asker, nonce, asker, pid,
					  sizeof(struct v_wire_getpid), GFP_ATOMIC);
	struct v_wire_getpid *g;

	if (!skb)
		return;
	g = skb_put_zero(skb, sizeof(*g));
	g->logical_id = cpu_to_be32(lid);
	g->pid = cpu_to_be64(pid);
	if (q)
		v_net_answer(host, q, v_id_host(asker), skb);
	else	/* a question for all */
		v_net_broadcast(host, skb, false, V_WIRE_AUTH_ALL);
}

/* Ask the other hosts; first answer wins. */
static int v_reg_get_remote(struct v_sock *vs, struct v_pid *p)
{
	struct v_host *host = vs->host;
	u64 ms = p->timeout_ns ? div_u64(p->timeout_ns, NSEC_PER_MSEC) : V_GETPID_TIMEOUT_MS;
	unsigned long end = jiffies + msecs_to_jiffies(max_t(u64, ms, 1));
	struct v_getpid_wait w = {
		.asker = vs->id, .nonce = get_random_u32(), .lid = p->logical_id,
	};
	int err = -ESRCH;

	if (!READ_ONCE(host->nr_links))
		return -ESRCH;		/* nobody to ask */
	init_waitqueue_head(&w.wq);
	spin_lock_bh(&host->ipc_lock);
	list_add(&w.node, &host->getpid_waits);
	spin_unlock_bh(&host->ipc_lock);
	while (time_before(jiffies, end)) {
		long left = min_t(long, end - jiffies, msecs_to_jiffies(V_GETPID_RETRY_MS));

		v_reg_send(host, V_PKT_GETPID, vs->id, w.nonce, w.lid, 0, NULL);
		left = wait_event_interruptible_timeout(w.wq, READ_ONCE(w.pid), left);
		if (left < 0) {
			err = -ERESTARTSYS;
			break;
		}
		if (READ_ONCE(w.pid)) {
			p->pid = w.pid;
			err = 0;
			break;
		}
	}
	spin_lock_bh(&host->ipc_lock);
	list_del(&w.node);
	spin_unlock_bh(&host->ipc_lock);
	return err;
}

int v_reg_get(struct v_sock *vs, struct v_pid *p)
{
	int err;

	err = v_reg_check(p);
	if (err)
		return err;
	if (p->scope & V_SCOPE_LOCAL) {
		p->pid = v_reg_lookup(vs->host, p->logical_id, V_SCOPE_LOCAL);
		if (p->pid)
			return 0;
	}
	if (p->scope & V_SCOPE_REMOTE)
		return v_reg_get_remote(vs, p);
	return -ESRCH;
}

/* GETPID from another host, or the answer to one of ours (softirq). */
void v_reg_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_getpid *g = (const void *)(h + 1);
	u64 asker = get_unaligned_be64(&h->client), pid;
	u32 nonce = be32_to_cpu(h->seq), lid;
	struct v_getpid_wait *w;

	if (be32_to_cpu(h->len) < sizeof(*g) || !asker) {
		v_stat_inc(host, V_A_STAT_DROP_SHORT);
		goto out;
	}
	lid = be32_to_cpu(g->logical_id);
	if (h->type == V_PKT_GETPID) {
		pid = v_reg_lookup(host, lid, V_SCOPE_REMOTE);
		if (pid)
			v_reg_send(host, V_PKT_GETPID_ANSWER, asker, nonce, lid, pid, skb);
		goto out;
	}
	pid = get_unaligned_be64(&g->pid);
	if (v_id_host(asker) != v_host_part(host) || !pid || v_id_is_group(pid)) {
		v_stat_inc(host, V_A_STAT_DROP_NOT_MINE);
		goto out;
	}
	spin_lock(&host->ipc_lock);
	list_for_each_entry(w, &host->getpid_waits, node)
		if (w->asker == asker && w->nonce == nonce && w->lid == lid && !w->pid) {
			WRITE_ONCE(w->pid, pid);
			wake_up(&w->wq);
			break;
		}
	spin_unlock(&host->ipc_lock);
out:
	kfree_skb(skb);
}

/* The process is going away: drop every logical id naming it. */
void v_reg_release(struct v_sock *vs)
{
	struct v_host *host = vs->host;
	struct v_reg *reg;
	unsigned long lid;

	mutex_lock(&host->reg_lock);
	vs->regs_closed = true;
	if (vs->nr_regs) {
		xa_for_each(&host->regs, lid, reg) {
			if (reg->pid == vs->id) {
				xa_erase(&host->regs, lid);
				kfree_rcu(reg, rcu);
			}
		}
		vs->nr_regs = 0;
	}
	mutex_unlock(&host->reg_lock);
}

void v_reg_host_exit(struct v_host *host)
{
	/* Every process released its registrations; the table is empty. */
	WARN_ON_ONCE(!xa_empty(&host->regs));
	xa_destroy(&host->regs);
	mutex_destroy(&host->reg_lock);
}
