// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlock detection (V_SEND_DEADLOCK, V_OPT_DEADLOCK): a Send from S to
 * D that would close a cycle of processes blocked in Send fails with
 * EDEADLK before anything is delivered.
 *
 * A process has at most one Send in progress, so it waits for at most
 * one other: the holder of its message (queued or received), or, its
 * Send gone to another host, the process the REQUEST went to.  A process
 * counts as waiting only while that Send is pending and no thread of it
 * is blocked in Receive: another thread may still serve whoever waits
 * for it, as a V server calling back into its client does.
 *
 * Local processes are walked from D along that one edge each
 * (v_dl_cycle()).  Other hosts' processes are known by what their kernels
 * said: every REQUEST carries the processes found waiting for its client
 * when it was sent (v_dl_waiters(): the client itself, if it waits, and
 * whoever waits for it, through the messages it holds, transitively, the
 * first V_DEADLOCK_DEPTH found), kept in the alien.  So when the walk
 * leaves this host for a process R, the Send closes a cycle if R is among
 * the processes waiting for S.
 *
 * Locking: both walks run under host->ipc_lock, which covers every local
 * process's queues and transaction: the picture is consistent, and the
 * Send delivers under the same hold, so the check cannot go stale before
 * it (one walk per checked Send, at most V_DEADLOCK_DEPTH steps and
 * V_DL_BUDGET messages).
 *
 * What is not seen: a thread of a waiting process that is still working
 * on a message it received (it may Reply yet: such a process counts as
 * waiting, as the definition has it), and a remote process's
 * threads that began to Receive after its REQUEST left.
 */
#include "vkmod.h"

/* Messages one collection looks at, at most: a bound on time under ipc_lock. */
#define V_DL_BUDGET	64

/* Does x wait: a Send pending, no thread in Receive?  ipc_lock held. */
static bool v_dl_blocked(const struct v_sock *x)
{
	return list_empty(&x->rwaiters) && v_txn_pending(&x->txn);
}

static bool v_dl_has(const struct v_dl_set *set, u64 id)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		if (set->ids[i] == id)
			return true;
	return false;
}

static bool v_dl_add(struct v_dl_set *set, u64 id)
{
	if (set->n >= V_DEADLOCK_DEPTH || v_dl_has(set, id))
		return false;
	set->ids[set->n++] = id;
	return true;
}

/*
 * Add to set whoever waits for the processes in socks[0..*n) (growing
 * as local waiters are found, breadth first); ipc_lock held.
 */
static void v_dl_collect(struct v_sock **socks, unsigned int n, struct v_dl_set *set)
{
	unsigned int i, j, budget = V_DL_BUDGET;
	struct list_head *lists[2];
	struct v_txn *u;
	int l;

	for (i = 0; i < n && set->n < V_DEADLOCK_DEPTH; i++) {
		lists[0] = &socks[i]->rxq;
		lists[1] = &socks[i]->held;
		for (l = 0; l < 2; l++) {
			list_for_each_entry(u, lists[l], node) {
				struct v_sock *snd;

				if (!budget--)
					return;
				if (u->alien) {
					for (j = 0; j < u->alien->nr_waiters; j++)
						v_dl_add(set, u->alien->waiters[j]);
					continue;
				}
				snd = v_txn_sender(u);
				if (list_empty(&snd->rwaiters) && v_dl_add(set, snd->id) &&
				    n < V_DEADLOCK_DEPTH)
					socks[n++] = snd;
			}
		}
	}
}

/* The processes waiting for vs, its own id first if it waits; ipc_lock held. */
static void v_dl_waiters_locked(struct v_sock *vs, struct v_dl_set *set)
{
	struct v_sock *socks[V_DEADLOCK_DEPTH];

	set->n = 0;
	if (!list_empty(&vs->rwaiters))
		return;		/* it can still Receive: nobody's chain goes on through it */
	set->ids[set->n++] = vs->id;
	socks[0] = vs;
	v_dl_collect(socks, 1, set);
}

/*
 * What a REQUEST of vs's Send (vs sending, so waiting) carries.  A
 * process that holds nothing has only itself to name: no lock for it.
 */
void v_dl_waiters(struct v_sock *vs, struct v_dl_set *set)
{
	if (list_empty(&vs->rxq) && list_empty(&vs->held)) {
		set->n = 0;
		if (list_empty(&vs->rwaiters))
			set->ids[set->n++] = vs->id;
		return;
	}
	spin_lock_bh(&vs->host->ipc_lock);
	v_dl_waiters_locked(vs, set);
	spin_unlock_bh(&vs->host->ipc_lock);
}

/*
 * Would vs's Send to dst (the local process, or NULL: dst_id is on
 * another host) close a cycle?  ipc_lock held.
 */
bool v_dl_cycle(struct v_sock *vs, struct v_sock *dst, u64 dst_id)
{
	struct v_dl_set set;
	struct v_sock *x = dst;
	u64 remote = dst ? 0 : dst_id;
	bool cycle = false;
	int steps;

	if (!list_empty(&vs->rwaiters))
		return false;		/* vs can still Receive: no deadlock */
	for (steps = 0; x && steps < V_DEADLOCK_DEPTH; steps++) {
		struct v_txn *t = &x->txn;

		if (x == vs) {
			cycle = true;
			break;
		}
		if (!v_dl_blocked(x))
			break;
		if (t->state == V_TXN_REMOTE) {
			/*
			 * The walk leaves this host; a Send forwarded back here
			 * is held by an alien we do not follow: no cycle seen.
			 */
			if (v_id_host(t->dl_dst) != v_host_part(vs->host))
				remote = t->dl_dst;
			break;
		}
		x = t->holder;
	}
	if (!cycle && remote) {
		v_dl_waiters_locked(vs, &set);
		cycle = v_dl_has(&set, remote);
	}
	if (cycle)
		v_stat_inc(vs->host, V_A_STAT_DEADLOCKS);
	return cycle;
}
