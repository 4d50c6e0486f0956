// SPDX-License-Identifier: GPL-2.0
/*
 * Logical ids: SetPid / GetPid.
 *
 * Each host keeps a table logical id -> registration (an xarray).  A
 * registration names a live V process of this host; it disappears when
 * that process's socket is released, so a registered id is always live
 * and a second SetPid of it fails with -EEXIST.
 *
 * Locking: host->reg_lock (a mutex, process context) serialises changes
 * and the per-process count nr_regs / regs_closed; GetPid reads under RCU
 * (registrations are freed with kfree_rcu) so remote queries will be able
 * to look up from softirq.
 */
#include <linux/capability.h>
#include <linux/slab.h>
#include "vkmod.h"

struct v_reg {
	u64 pid;
	u32 scope;
	struct rcu_head rcu;
};

static bool v_reg_may(struct v_sock *vs, u32 lid)
{
	return lid >= V_LID_PRIVILEGED ||
	       ns_capable(sock_net(&vs->sk)->user_ns, CAP_NET_ADMIN);
}

static int v_reg_check(const struct v_pid *p)
{
	if (!p->logical_id || !p->scope || (p->scope & ~V_SCOPE_BOTH))
		return -EINVAL;
	return 0;
}

static int v_reg_unset(struct v_host *host, u32 lid)
{
	struct v_reg *reg;
	struct v_sock *owner;

	mutex_lock(&host->reg_lock);
	reg = xa_erase(&host->regs, lid);
	if (reg) {
		owner = v_id_lookup(host, reg->pid);
		if (owner) {
			owner->nr_regs--;
			sock_put(&owner->sk);
		}
		kfree_rcu(reg, rcu);
	}
	mutex_unlock(&host->reg_lock);
	return reg ? 0 : -ENOENT;
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
		return v_reg_unset(host, p->logical_id);
	if (v_id_is_group(p->pid) || (p->pid & V_ID_WELLKNOWN))
		return -EINVAL;
	owner = v_id_lookup(host, p->pid);
	if (!owner)
		return -ESRCH;

	reg = kzalloc(sizeof(*reg), GFP_KERNEL_ACCOUNT);
	if (!reg) {
		err = -ENOMEM;
		goto out;
	}
	reg->pid = p->pid;
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

int v_reg_get(struct v_sock *vs, struct v_pid *p)
{
	struct v_reg *reg;
	int err = -ESRCH;

	err = v_reg_check(p);
	if (err)
		return err;
	err = -ESRCH;
	/* Remote scope is answered by other hosts: none are reachable yet. */
	if (p->scope & V_SCOPE_LOCAL) {
		rcu_read_lock();
		reg = xa_load(&vs->host->regs, p->logical_id);
		if (reg && (reg->scope & V_SCOPE_LOCAL)) {
			p->pid = reg->pid;
			err = 0;
		}
		rcu_read_unlock();
	}
	return err;
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
