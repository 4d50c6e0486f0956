// SPDX-License-Identifier: GPL-2.0
/*
 * Notices: the kernel's word to a process, delivered by Receive before
 * its messages (uapi "Notices").
 *
 *   - Death notices: V_IOC_WATCH a process; when it shuts down or closes,
 *     each watch on it fires once.  A watch is allocated (and charged) at
 *     WATCH with its notice inside, so firing allocates nothing and a
 *     notice is never lost to memory pressure.
 *   - Unblock notices (V_NOTIFY_UNBLOCK): a client whose message the
 *     process held gave up.  Allocated when it happens, charged to the
 *     holder, bounded (V_UNBLOCKS_MAX) and dropped beyond.
 *   - Expired messages: a held message whose deadline passed is no longer
 *     held, but its holder's Reply, Forward, MoveTo and MoveFrom say
 *     ETIMEDOUT rather than ENOENT: the holder keeps the ids of the last
 *     V_EXPIRED_KEPT such messages (a ring in the socket, no allocation).
 *
 * Locking: host->ipc_lock protects, for every process of the host, its
 * notices queue, nr_notices, nr_unblocks, watches, nr_watches, watchers,
 * notify and the expired ring, and every watch's state.  A watch is on
 * its watcher's watches list from WATCH until it is received or removed;
 * while armed it is also on the watched process's watchers list, and once
 * fired its notice is on the watcher's queue.  A watcher that shuts down
 * frees all of its watches first, so an armed watch's watcher is alive.
 */
#include <linux/slab.h>
#include <linux/time_namespace.h>
#include "vkmod.h"

void v_notice_init_sock(struct v_sock *vs)
{
	INIT_LIST_HEAD(&vs->notices);
	INIT_LIST_HEAD(&vs->watches);
	INIT_LIST_HEAD(&vs->watchers);
	INIT_LIST_HEAD(&vs->rwregs);
}

/*
 * Queue n for vs and wake a thread blocked in Receive (it takes the
 * notice itself, under ipc_lock, once off rwaiters) and poll().
 */
static void v_notice_queue(struct v_sock *vs, struct v_notice *n)
{
	struct v_rwait *w = v_ipc_rwaiter_pop(vs);

	list_add_tail(&n->node, &vs->notices);
	WRITE_ONCE(vs->nr_notices, vs->nr_notices + 1);
	if (w)
		v_ipc_rwaiter_wake(w);
	vs->sk.sk_data_ready(&vs->sk);
}

/* Take n off vs's queue and free what it lives in. */
static void v_notice_free(struct v_sock *vs, struct v_notice *n)
{
	struct v_watch_ent *we;

	if (!n->in_watch) {
		if (n->kind == V_KIND_UNBLOCK)
			vs->nr_unblocks--;
		kfree(n);
		return;
	}
	we = container_of(n, struct v_watch_ent, n);
	list_del(&we->wnode);
	vs->nr_watches--;
	kfree(we);
}

/* Fire an armed watch: its notice goes to the watcher; ipc_lock held. */
void v_watch_fire(struct v_watch_ent *we, u16 why)
{
	if (we->remote)
		we->watcher->host->nr_rwatches--;
	list_del_init(&we->onode);
	we->target = NULL;
	we->fired = true;
	we->n.why = why;
	v_notice_queue(we->watcher, &we->n);
}

/*
 * Fill r with the first notice queued at vs, and free it; ipc_lock held.
 * False when none is queued.
 */
bool v_notice_take(struct v_sock *vs, struct v_receive *r)
{
	struct v_notice *n = list_first_entry_or_null(&vs->notices, struct v_notice, node);

	if (!n)
		return false;
	list_del(&n->node);
	WRITE_ONCE(vs->nr_notices, vs->nr_notices - 1);
	v_receive_unheld(r, n->who, n->kind);
	memset(&r->creds, 0, sizeof(r->creds));
	memset(&r->msg, 0, sizeof(r->msg));
	v_msg_set_code(&r->msg, n->code);
	v_msg_put16(&r->msg, 2, n->why);
	v_msg_put64(&r->msg, 8, n->who);
	v_msg_put32(&r->msg, 16, n->seq);
	v_msg_put64(&r->msg, 24, n->cookie);
	v_notice_free(vs, n);
	return true;
}

/*
 * A Receive that took a notice could not copy it out: put it back at the
 * head of the queue, as a notice of its own.  Its watch was received with
 * it, so UNWATCH no longer finds it and the id may be watched again.
 */
void v_notice_unwind(struct v_sock *vs, const struct v_receive *r)
{
	/* A few bytes in process context: never lose the notice to memory. */
	struct v_notice *n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	struct v_rwait *w = NULL;

	n->who = r->sender;
	n->code = v_msg_code(&r->msg);
	n->why = v_msg_get16(&r->msg, 2);
	n->seq = v_msg_get32(&r->msg, 16);
	n->cookie = v_msg_get64(&r->msg, 24);
	n->kind = r->kind;
	spin_lock_bh(&vs->host->ipc_lock);
	if (vs->dead) {
		kfree(n);
		n = NULL;
	} else {
		list_add(&n->node, &vs->notices);
		WRITE_ONCE(vs->nr_notices, vs->nr_notices + 1);
		if (n->kind == V_KIND_UNBLOCK)
			vs->nr_unblocks++;
		w = v_ipc_rwaiter_pop(vs);
		if (w)
			v_ipc_rwaiter_wake(w);
	}
	spin_unlock_bh(&vs->host->ipc_lock);
	if (n)
		vs->sk.sk_data_ready(&vs->sk);
}

static u16 v_notice_why(int error)
{
	switch (error) {
	case -ETIMEDOUT:
		return V_WHY_TIMEOUT;
	case -EINTR:
		return V_WHY_SIGNAL;
	default:
		return V_WHY_CLOSED;
	}
}

/* Remember that holder's message from id expired (ipc_lock held). */
static void v_notice_expired_add(struct v_sock *holder, u64 id)
{
	holder->expired[holder->expired_at] = id;
	holder->expired_at = (holder->expired_at + 1) % V_EXPIRED_KEPT;
}

/*
 * The client id gave up (error: -ETIMEDOUT, -EINTR, or its socket went
 * away) while holder held its transaction seq; ipc_lock held, the
 * transaction not yet ended.  Remembers an expiry; queues an unblock
 * notice if holder asked for them.
 */
void v_notice_given_up(struct v_sock *holder, u64 id, u32 seq, int error)
{
	struct v_notice *n;

	if (error == -ETIMEDOUT)
		v_notice_expired_add(holder, id);
	if (!(holder->notify & V_NOTIFY_UNBLOCK) || holder->dead)
		return;
	if (holder->nr_unblocks >= V_UNBLOCKS_MAX)
		return;
	n = v_charge_kzalloc(holder, sizeof(*n), holder->nr_unblocks < V_CHARGE_MIN);
	if (!n)
		return;
	n->who = id;
	n->seq = seq;
	n->code = V_NOTICE_UNBLOCK;
	n->why = v_notice_why(error);
	n->kind = V_KIND_UNBLOCK;
	holder->nr_unblocks++;
	v_notice_queue(holder, n);
}

/*
 * The error for an operation on a message from id that vs does not hold:
 * -ETIMEDOUT if it expired while vs held it (consume: forget that, as a
 * Reply answers it), else -ENOENT.
 */
int v_notice_not_held(struct v_sock *vs, u64 id, bool consume)
{
	int err = -ENOENT;
	int i;

	spin_lock_bh(&vs->host->ipc_lock);
	for (i = 0; i < V_EXPIRED_KEPT; i++) {
		if (vs->expired[i] != id)
			continue;
		if (consume)
			vs->expired[i] = 0;
		err = -ETIMEDOUT;
		break;
	}
	spin_unlock_bh(&vs->host->ipc_lock);
	return err;
}

/*
 * Has the deadline of t, held by holder, passed?  Then it ends now with
 * -ETIMEDOUT (its sender woken); ipc_lock held.  remember: a MoveTo,
 * MoveFrom or Forward found it, and the holder's Reply must say ETIMEDOUT
 * too; a Reply that finds it has said so itself.
 */
bool v_notice_deadline_passed(struct v_sock *holder, struct v_txn *t, bool remember)
{
	if (!t->deadline || ktime_before(ktime_get(), t->deadline))
		return false;
	if (remember)
		v_notice_expired_add(holder, t->sender_id);
	v_txn_fail_notify(t, -ETIMEDOUT);
	return true;
}

/* A kernel deadline as CLOCK_MONOTONIC of the calling task's time namespace. */
u64 v_notice_deadline_user(u64 ns)
{
	struct timespec64 ts = ns_to_timespec64(ns);

	timens_add_monotonic(&ts);
	return timespec64_to_ns(&ts);
}

int v_notice_set(struct v_sock *vs, const struct v_notify *nf)
{
	if (nf->reserved || (nf->flags & ~V_NOTIFY_UNBLOCK))
		return -EINVAL;
	spin_lock_bh(&vs->host->ipc_lock);
	vs->notify = nf->flags;
	spin_unlock_bh(&vs->host->ipc_lock);
	return 0;
}

/* vs's watch of id, or NULL; ipc_lock held. */
struct v_watch_ent *v_watch_find(struct v_sock *vs, u64 id)
{
	struct v_watch_ent *we;

	list_for_each_entry(we, &vs->watches, wnode)
		if (we->n.who == id)
			return we;
	return NULL;
}

/* A process id or host id a watch may name (uapi "Notices"). */
static int v_watch_check(const struct v_watch *w)
{
	u64 id = w->id;

	if (w->flags || w->reserved)
		return -EINVAL;
	if (!id || v_id_is_group(id) || (id & V_ID_WELLKNOWN) || !v_id_host(id))
		return -EINVAL;
	if (v_id_local(id) && !v_id_index(id))
		return -EINVAL;
	return 0;
}

/* Arm we on target (local, referenced or NULL), or fire it now; ipc_lock held. */
static void v_watch_arm(struct v_watch_ent *we, struct v_sock *target)
{
	if (target && !target->dead) {
		list_add_tail(&we->onode, &target->watchers);
		we->target = target;
		target->nr_watchers++;
	} else {
		v_watch_fire(we, V_WHY_GONE);
	}
}

/* A new watch of w for vs, on no list yet; charged to the caller. */
struct v_watch_ent *v_watch_new(struct v_sock *vs, const struct v_watch *w)
{
	struct v_watch_ent *we = kzalloc(sizeof(*we), GFP_KERNEL_ACCOUNT);

	if (!we)
		return NULL;
	INIT_LIST_HEAD(&we->onode);
	we->watcher = vs;
	we->n.who = w->id;
	we->n.cookie = w->cookie;
	we->n.code = V_NOTICE_DEATH;
	we->n.kind = V_KIND_NOTICE;
	we->n.in_watch = true;
	return we;
}

/* Add we to vs's watches, if vs may (ipc_lock held): 0 or the error. */
int v_watch_add(struct v_sock *vs, struct v_watch_ent *we)
{
	if (vs->dead)
		return -ESHUTDOWN;
	if (v_watch_find(vs, we->n.who))
		return -EEXIST;
	if (vs->nr_watches >= V_WATCHES_MAX)
		return -ENOSPC;
	list_add_tail(&we->wnode, &vs->watches);
	vs->nr_watches++;
	return 0;
}

int v_notice_watch(struct v_sock *vs, const struct v_watch *w)
{
	struct v_host *host = vs->host;
	struct v_sock *target = NULL;
	struct v_watch_ent *we;
	int err;

	err = v_watch_check(w);
	if (err)
		return err;
	if (v_id_host(w->id) != v_host_part(host))
		return v_rwatch_add(vs, w);
	if (!v_id_local(w->id))
		return -EINVAL;		/* this host watching itself */
	we = v_watch_new(vs, w);
	if (!we)
		return -ENOMEM;
	target = v_id_lookup(host, w->id);

	spin_lock_bh(&host->ipc_lock);
	if (target && target->nr_watchers >= V_WATCHERS_MAX)
		err = -ENOSPC;	/* its shutdown fires them all under ipc_lock */
	else
		err = v_watch_add(vs, we);
	if (!err) {
		v_watch_arm(we, target);
		we = NULL;
	}
	spin_unlock_bh(&host->ipc_lock);
	if (target)
		sock_put(&target->sk);
	kfree(we);
	return err;
}

/* Unlink we from everything (ipc_lock held); the caller frees it. */
static void v_watch_unlink(struct v_sock *vs, struct v_watch_ent *we)
{
	if (we->remote && !we->fired)
		vs->host->nr_rwatches--;
	list_del_init(&we->onode);
	if (we->target)
		we->target->nr_watchers--;
	if (we->fired) {
		list_del(&we->n.node);
		WRITE_ONCE(vs->nr_notices, vs->nr_notices - 1);
	}
	list_del(&we->wnode);
	vs->nr_watches--;
}

int v_notice_unwatch(struct v_sock *vs, const struct v_watch *w)
{
	struct v_watch_ent *we;
	bool tell;
	int err;

	err = v_watch_check(w);
	if (err)
		return err;
	spin_lock_bh(&vs->host->ipc_lock);
	we = v_watch_find(vs, w->id);
	if (we)
		v_watch_unlink(vs, we);
	spin_unlock_bh(&vs->host->ipc_lock);
	if (!we)
		return -ENOENT;
	/* The watched host forgets it now rather than when probes stop. */
	tell = we->remote && !we->fired;
	kfree(we);
	if (tell)
		v_rwatch_unwatch(vs->host, vs->id, w->id);
	return 0;
}

/*
 * vs shuts down (ipc_lock held): the watches on it fire, its own watches
 * and queued notices go.
 */
void v_notice_shutdown(struct v_sock *vs)
{
	struct v_watch_ent *we, *wtmp;
	struct v_notice *n, *ntmp;

	list_for_each_entry_safe(we, wtmp, &vs->watchers, onode)
		v_watch_fire(we, V_WHY_EXITED);
	vs->nr_watchers = 0;
	v_rwatch_target_ended(vs);
	list_for_each_entry_safe(we, wtmp, &vs->watches, wnode) {
		v_watch_unlink(vs, we);
		kfree(we);
	}
	list_for_each_entry_safe(n, ntmp, &vs->notices, node) {
		list_del(&n->node);
		v_notice_free(vs, n);
	}
	WRITE_ONCE(vs->nr_notices, 0);
}
