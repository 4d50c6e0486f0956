// SPDX-License-Identifier: GPL-2.0
/*
 * Local V IPC: Send, Receive, Reply and Forward between the V processes of
 * one host.
 *
 * A transaction (struct v_txn) is embedded in the sending process: a socket
 * has at most one Send in progress (V_SOCK_SENDING), so the fast path
 * allocates nothing.  Its states:
 *
 *   IDLE --Send--> QUEUED (on the receiver's rxq)
 *   IDLE --Send to a thread waiting in Receive--> RECEIVED (handed over)
 *   IDLE --Send to another host--> REMOTE (net.c) --answer--> DONE/FAILED
 *   QUEUED --Receive--> RECEIVED (on the receiver's held list)
 *   RECEIVED --Forward--> QUEUED (on another receiver's rxq), or RECEIVED
 *                         (handed to a thread waiting there)
 *   RECEIVED --Reply--> DONE
 *   QUEUED/RECEIVED --receiver shut down or gone--> FAILED (-ESRCH)
 *   QUEUED/RECEIVED --sender cancels--> FAILED (-EINTR, -ETIMEDOUT,
 *                                               -ESHUTDOWN)
 *
 * The next Send starts again from DONE or FAILED.
 *
 * Locking
 *
 *   host->ipc_lock protects, for every process of the host, rxq, held,
 *   rwaiters, rxq_len and dead, and of every transaction the fields the
 *   header marks "under host->ipc_lock".  Two things are read without it,
 *   each published with release under it: a transaction's end (state, by
 *   v_txn_end(), for the sender's first look in v_txn_wait()) and a
 *   message handed to a thread waiting in Receive (struct v_rwait).
 *   One lock per host keeps each transition atomic across the two or
 *   three processes a transaction involves (sender, holder, forward
 *   target) with no lock-ordering rules; critical sections are list and
 *   field updates only, nothing sleeps under it, a thread handed a
 *   message is woken after it (a Reply wakes a sleeping sender under it:
 *   once it is dropped the sender may close its socket), and segment
 *   data is copied outside it (segment.c).  It is taken with _bh because
 *   remote frames take it in softirq context.
 *
 * A remote client is represented on this host by an alien (alien.c) whose
 * embedded v_txn sits on a receiver's lists exactly like a local sender's;
 * t->alien tells them apart, and struct v_peer holds a counted reference
 * to either kind of sender.
 *
 * Lifetime
 *
 *   - A transaction on a holder's list holds no reference on the holder:
 *     a holder that shuts down empties both lists under ipc_lock (failing
 *     each transaction with -ESRCH) before its memory can go.
 *   - The sender cannot be freed while its transaction is on a list: the
 *     sending thread holds the socket's file for the whole Send, and when it
 *     leaves the ioctl to be stopped (see Signals), release cancels the
 *     transaction before the socket goes.
 *   - Whoever reaches a sender by id (Reply, MoveTo, ...) holds a socket
 *     reference from v_id_lookup() and checks holder and state under
 *     ipc_lock before acting.  Reply's usual case reaches it through the
 *     replier's own held list instead, under ipc_lock, which pins it
 *     (v_ipc_reply_held()).
 *   - Segment copies are bracketed by v_txn_copy_begin()/v_txn_copy_end():
 *     begin checks the caller still holds the transaction, takes a
 *     reference on the sender's mm and counts the copier.  A Send does not
 *     return to user space while copiers are counted, so no byte of the
 *     sender's memory changes after its Send has returned.  A copier that
 *     must wait for a fault in its own memory pauses (segment.c), so a
 *     slow receiver cannot hold a Send past its timeout or its signals.
 *
 * Signals
 *
 *   A fatal signal or one with a handler cancels the transaction: Send
 *   returns -EINTR and is never restarted (a restart would run the request
 *   twice).  Any other wake-up (job-control stop, ptrace, the freezer, a
 *   signal without a handler) marks the transaction detached, writes a
 *   random token into the caller's replier and returns -ERESTARTNOINTR:
 *   the restarted ioctl reads the same struct, finds the token and waits
 *   on, so the request runs once.  A token has both V_SEND_RESTART bits set,
 *   which no replier has: a Send carrying one is a restart, and when its
 *   transaction is gone it fails with -EINTR rather than run the request
 *   again.  A Send without one is new: should a handler run in the short
 *   window after the detach and leave by siglongjmp(), the thread's next
 *   Send (or, while that thread is not parked in a stop, another
 *   thread's) abandons the detached transaction with -EINTR, waits for
 *   its copiers, and starts its own; a restart arriving meanwhile waits
 *   for the abandon to finish, so it never returns while a receiver still
 *   writes the segment.
 */
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/freezer.h>
#include <linux/sched/jobctl.h>
#include <linux/pid_namespace.h>
#include <linux/cred.h>
#include <linux/uaccess.h>
#include <linux/poll.h>
#include <linux/random.h>
#include "vkmod.h"

struct v_txn *v_peer_txn(const struct v_peer *p)
{
	return p->alien ? v_alien_txn(p->alien) : &p->sock->txn;
}

/*
 * Find the sender named id, local or remote, as vs (the caller, who holds
 * or held its message) sees it, with a reference.
 */
int v_peer_get(struct v_sock *vs, u64 id, struct v_peer *p)
{
	struct v_host *host = vs->host;

	p->sock = NULL;
	p->alien = NULL;
	if (!id || v_id_is_group(id) || (id & V_ID_WELLKNOWN))
		return -ENOENT;
	if (v_id_host(id) == v_host_part(host)) {
		p->sock = v_id_lookup(host, id);
		/*
		 * A local client whose Send went to another host may have been
		 * forwarded back here, and a local group Send reaches local
		 * members as aliens (group.c): its message is then held as an
		 * alien.
		 */
		if (p->sock && (READ_ONCE(p->sock->txn.state) == V_TXN_REMOTE ||
				READ_ONCE(p->sock->txn.group))) {
			p->alien = v_alien_find(host, id, vs->id);
			if (p->alien) {
				sock_put(&p->sock->sk);
				p->sock = NULL;
			}
		}
	} else {
		p->alien = v_alien_find(host, id, vs->id);
	}
	return p->sock || p->alien ? 0 : -ENOENT;
}

void v_peer_put(struct v_peer *p)
{
	if (p->sock)
		sock_put(&p->sock->sk);
	if (p->alien)
		v_alien_put(p->alien);
	p->sock = NULL;
	p->alien = NULL;
}

/*
 * Fail t (queued or received; ipc_lock held) and wake whoever waits for
 * its end: a local sender, or an alien's NACK.  Nothing of t is read
 * after the end: a local sender may see it without the lock and send anew.
 */
void v_txn_fail_notify(struct v_txn *t, int error)
{
	struct v_alien *a = t->alien;
	struct v_sock *sender = a ? NULL : v_txn_sender(t);

	v_txn_end(t, error);
	if (a)
		v_alien_ended(a);
	else
		wake_up(&sender->tx_wait);
}

void v_ipc_init_sock(struct v_sock *vs)
{
	INIT_LIST_HEAD(&vs->rxq);
	INIT_LIST_HEAD(&vs->held);
	INIT_LIST_HEAD(&vs->rwaiters);
	init_waitqueue_head(&vs->tx_wait);
	INIT_LIST_HEAD(&vs->txn.node);
	INIT_LIST_HEAD(&vs->txn.greplies);
	INIT_LIST_HEAD(&vs->groups);
	INIT_LIST_HEAD(&vs->pulses);
	v_inherit_init_sock(vs);
	v_notice_init_sock(vs);
	skb_queue_head_init(&vs->txn.resp_q);
	vs->txn.state = V_TXN_IDLE;
	/*
	 * A random first transaction number: a LAN host that learns a
	 * client's id cannot guess which seq its next Send will carry.
	 */
	vs->txn.seq = get_random_u32();
}

/* A message was queued at vs: wake poll() (threads in Receive are handed theirs). */
static void v_ipc_wake_receiver(struct v_sock *vs)
{
	vs->sk.sk_data_ready(&vs->sk);
}

/*
 * A thread blocked in Receive, on its socket's rwaiters list (under
 * ipc_lock).  The Send, Forward or REQUEST that finds it there hands its
 * message over: moves it to the held list, fills r (with the credentials
 * as the receiver's namespaces show them), takes the reference a copy
 * needs, and publishes it all with handed (release), so the woken thread
 * returns without taking ipc_lock again (ipc/mqueue.c's pipelined send).
 * The waker takes a reference on the task before publishing (w may be
 * gone right after) and wakes it once ipc_lock is dropped: wake_q, which
 * mqueue uses for this, is not exported to modules.
 */
struct v_rwait {
	struct list_head node;
	struct task_struct *task;
	struct v_receive *r;
	struct user_namespace *user_ns;
	struct pid_namespace *pid_ns;
	bool with_seg;
	struct v_peer p;	/* out: the sender, if a segment copy follows */
	u32 seq;		/* out: the transaction received */
	bool handed;		/* out: the fields above are filled */
};

/* Take the first thread blocked in Receive on vs off rwaiters (ipc_lock held). */
struct v_rwait *v_ipc_rwaiter_pop(struct v_sock *vs)
{
	struct v_rwait *w = list_first_entry_or_null(&vs->rwaiters, struct v_rwait, node);

	if (w)
		list_del_init(&w->node);
	return w;
}

/*
 * Wake a thread v_ipc_rwaiter_pop() took off rwaiters, under ipc_lock:
 * off the list, w stays until its thread takes ipc_lock again, and finds
 * what it was woken for (a notice, a shutdown).
 */
void v_ipc_rwaiter_wake(struct v_rwait *w)
{
	wake_up_process(w->task);
}

/*
 * A sender's ids as the receiving task's user namespace sees them.  The
 * initial namespace maps every valid id to itself: no map_id_up() walk on
 * the fast path.
 */
void v_creds_fill_ids(struct v_creds *c, struct user_namespace *ns, kuid_t uid, kgid_t gid)
{
	if (ns == &init_user_ns) {
		c->uid = uid_valid(uid) ? __kuid_val(uid) : overflowuid;
		c->gid = gid_valid(gid) ? __kgid_val(gid) : overflowgid;
		return;
	}
	c->uid = from_kuid_munged(ns, uid);
	c->gid = from_kgid_munged(ns, gid);
}

/*
 * t, already on vs's held list, is received by w's thread; ipc_lock held.
 * Fills w->r, and w->p with a reference to the sender only when
 * ReceiveWithSegment has a copy to make (only a copy reaches the sender
 * after ipc_lock is dropped).
 */
static void v_ipc_hold(struct v_sock *vs, struct v_txn *t, struct v_rwait *w)
{
	struct v_receive *r = w->r;
	bool copy;

	t->holder = vs;
	t->state = V_TXN_RECEIVED;
	t->rx_task = w->task;
	w->seq = t->seq;
	trace_v_receive(v_host_part(vs->host), t->sender_id, t->seq, vs->id, t->seg_len);

	r->sender = t->sender_id;
	r->group = t->alien ? t->alien->group : 0;
	r->forwarder = t->forwarder;
	r->seg_len = t->seg_len;
	r->seg_access = t->seg_access;
	r->copied = 0;
	r->msg = t->msg;
	r->kind = V_KIND_MESSAGE;
	/* Kernel time here: the receiving thread converts it (v_ipc_receive()). */
	r->deadline_ns = t->deadline;
	memset(&r->creds, 0, sizeof(r->creds));
	copy = w->with_seg && r->buf_len && (t->seg_access & V_SEG_READ) && t->seg_len;
	w->p.sock = NULL;
	w->p.alien = NULL;
	if (t->alien) {
		if (copy) {
			w->p.alien = t->alien;
			v_alien_get(t->alien);
		}
		v_alien_fill_creds(t->alien, &r->creds, w->user_ns, w->pid_ns);
	} else {
		if (copy) {
			w->p.sock = v_txn_sender(t);
			sock_hold(&w->p.sock->sk);
		}
		v_creds_fill_ids(&r->creds, w->user_ns, t->uid, t->gid);
		r->creds.pid = pid_nr_ns(t->tgid, w->pid_ns);
		r->creds.host = v_id_host(t->sender_id);
	}
}

/*
 * Deliver t to dst; ipc_lock held, t on no list.  A thread of dst waiting
 * in Receive gets it at once: *wake is then that thread, referenced, for
 * the caller to wake with v_ipc_wake_task() once ipc_lock is dropped.
 * Otherwise t is queued and true returned: the caller wakes poll() with
 * v_ipc_wake_receiver() after unlocking.  Threads wait only while nothing
 * is queued, so a waiter never overtakes a queued message.
 */
bool v_ipc_enqueue_locked(struct v_sock *dst, struct v_txn *t, struct task_struct **wake)
{
	struct v_rwait *w = list_first_entry_or_null(&dst->rwaiters, struct v_rwait, node);

	*wake = NULL;
	if (!w) {
		t->holder = dst;
		t->state = V_TXN_QUEUED;
		list_add_tail(&t->node, &dst->rxq);
		dst->rxq_len++;
		return true;
	}
	list_del_init(&w->node);
	list_add_tail(&t->node, &dst->held);
	v_ipc_hold(dst, t, w);
	*wake = get_task_struct(w->task);
	smp_store_release(&w->handed, true);	/* w may be gone after this */
	return false;
}

/* Wake the thread v_ipc_enqueue_locked() handed a message to, if any. */
void v_ipc_wake_task(struct task_struct *task)
{
	if (task) {
		wake_up_process(task);
		put_task_struct(task);
	}
}

/*
 * End a queued or received transaction; ipc_lock held.  error 0 means
 * replied.
 */
void v_txn_end(struct v_txn *t, int error)
{
	if (t->state == V_TXN_QUEUED)
		t->holder->rxq_len--;
	if (unlikely(t->boost))
		v_inherit_txn_ended(t, true);
	list_del_init(&t->node);
	t->holder = NULL;
	t->error = error;
	/* After msg, replier and error: v_txn_wait() may look without the lock. */
	smp_store_release(&t->state, error ? V_TXN_FAILED : V_TXN_DONE);
}

/*
 * The sender of t gives up (a signal, its timeout, its socket going
 * away); ipc_lock held.  A holder that had received it hears of it
 * (notice.c) before the end.
 */
void v_txn_cancel(struct v_txn *t, int error)
{
	if (t->state == V_TXN_RECEIVED)
		v_notice_given_up(t->holder, t->sender_id, t->seq, error);
	v_txn_end(t, error);
}

/* Has t ended (replied or failed)?  Read without ipc_lock. */
static bool v_txn_ended(struct v_txn *t)
{
	/* Pairs with v_txn_end()'s release: its msg and error are seen. */
	enum v_txn_state state = smp_load_acquire(&t->state);

	return state == V_TXN_DONE || state == V_TXN_FAILED;
}

bool v_txn_pending(const struct v_txn *t)
{
	return t->state == V_TXN_QUEUED || t->state == V_TXN_RECEIVED ||
	       t->state == V_TXN_REMOTE;
}

/*
 * Resolve a destination id to a live process of this host, with a
 * reference.  -EHOSTUNREACH for another host part, -ESRCH when the host
 * has no such process.
 */
struct v_sock *v_ipc_find(struct v_sock *vs, u64 id, int *err)
{
	struct v_sock *dst;

	if (v_id_host(id) != v_host_part(vs->host)) {
		*err = -EHOSTUNREACH;
		return NULL;
	}
	dst = v_id_lookup(vs->host, id);
	if (!dst)
		*err = -ESRCH;
	return dst;
}

/* Forget the cached receiver (SENDING held, or at release). */
static void v_ipc_send_dst_drop(struct v_sock *vs)
{
	if (vs->dst_cache) {
		sock_put(&vs->dst_cache->sk);
		vs->dst_cache = NULL;
	}
}

/*
 * The receiver of a local Send, from the socket's cache when it is the
 * last Send's and still up; otherwise looked up, and cached.  A cached
 * receiver that has shut down is looked up again (its id may, after
 * generations of the index allocator, name another process by now) and
 * forgotten when the Send fails with ESRCH, so a closed receiver is
 * pinned at most until the next Send of each socket that last sent to
 * it.  The reference stays with the cache.
 */
static struct v_sock *v_ipc_send_dst(struct v_sock *vs, u64 id, int *err)
{
	struct v_sock *dst = vs->dst_cache;

	if (dst && dst->id == id && !READ_ONCE(dst->dead))
		return dst;
	v_ipc_send_dst_drop(vs);
	dst = v_ipc_find(vs, id, err);
	vs->dst_cache = dst;
	return dst;
}

/* Does a pending signal have to cancel a Send (fatal, or with a handler)? */
static bool v_signal_cancels(void)
{
	/* current's sighand is stable: only exec changes it, on itself. */
	struct sighand_struct *sighand = rcu_dereference_protected(current->sighand, 1);
	bool cancel = false;
	sigset_t pending;
	int sig;

	if (fatal_signal_pending(current))
		return true;
	spin_lock_irq(&sighand->siglock);
	sigorsets(&pending, &current->pending.signal,
		  &current->signal->shared_pending.signal);
	sigandnsets(&pending, &pending, &current->blocked);
	for (sig = 1; sig <= _NSIG && !cancel; sig++) {
		__sighandler_t h = sighand->action[sig - 1].sa.sa_handler;

		if (sigismember(&pending, sig) && h != SIG_DFL && h != SIG_IGN)
			cancel = true;
	}
	spin_unlock_irq(&sighand->siglock);
	return cancel;
}

static int v_send_check(const struct v_send *s)
{
	if ((s->flags & ~V_SEND_FLAGS) || !s->dst)
		return -EINVAL;
	if (v_id_is_group(s->dst)) {
		if (!v_id_group_ok(s->dst))
			return -EINVAL;
		/* A qualifier names a process: the host it lives on. */
		if (s->qualifier && (v_id_is_group(s->qualifier) ||
				     (s->qualifier & V_ID_WELLKNOWN) ||
				     !v_id_host(s->qualifier)))
			return -EINVAL;
	} else if ((s->dst & V_ID_WELLKNOWN) || s->qualifier) {
		return -EINVAL;
	}
	if (s->seg_len > v_seg_max)
		return -EMSGSIZE;
	if (!s->seg_len != !s->seg_access || (s->seg_access & ~V_SEG_ACCESS_MASK))
		return -EINVAL;
	if (s->seg_len && (s->seg_addr + s->seg_len < s->seg_addr ||
			   !access_ok(u64_to_user_ptr(s->seg_addr), s->seg_len)))
		return -EFAULT;
	return 0;
}

/* Fill the sender's half of a new transaction (not yet visible). */
static void v_txn_prepare(struct v_txn *t, const struct v_send *s)
{
	/* softirq compares it under ipc_lock; 0 means "any" to Reply */
	WRITE_ONCE(t->seq, t->seq + 1 ?: 1);
	t->sender_id = v_txn_sender(t)->id;
	t->group = v_id_is_group(s->dst) ? s->dst : 0;
	t->qualifier = s->qualifier;
	t->first_replier = 0;
	t->alien = NULL;
	t->msg = s->msg;
	t->replier = 0;
	t->forwarder = 0;
	t->error = 0;
	t->detached = false;
	t->waiter = task_pid_nr(current);
	t->seg_addr = (unsigned long)s->seg_addr;
	t->seg_len = s->seg_len;
	t->seg_access = s->seg_access;
	t->mm = NULL;
	if (s->seg_len) {
		t->mm = current->mm;
		mmgrab(t->mm);
	}
	t->uid = current_euid();
	t->gid = current_egid();
	t->tgid = get_pid(task_tgid(current));
	t->deadline = s->timeout_ns ?
		ktime_add_ns(ktime_get(), min_t(u64, s->timeout_ns, KTIME_MAX / 2)) : 0;
	t->dl_dst = 0;
	v_inherit_capture(t);
}

/* Is this Send checked for deadlock (its flag, or the process's option)? */
static bool v_send_dl_checked(const struct v_sock *vs, const struct v_send *s)
{
	return (s->flags & V_SEND_DEADLOCK) || (READ_ONCE(vs->opts) & V_OPT_DEADLOCK);
}

/* A checked Send to another host: would it close a cycle (deadlock.c)? */
static int v_send_dl_remote(struct v_sock *vs, u64 dst)
{
	bool cycle;

	spin_lock_bh(&vs->host->ipc_lock);
	cycle = v_dl_cycle(vs, NULL, dst);
	spin_unlock_bh(&vs->host->ipc_lock);
	return cycle ? -EDEADLK : 0;
}

/* Drop what v_txn_prepare() took, once the transaction has ended. */
static void v_txn_put(struct v_txn *t)
{
	if (t->mm) {
		mmdrop(t->mm);
		t->mm = NULL;
	}
	put_pid(t->tgid);
	t->tgid = NULL;
}

/* A Send does not return while a receiver copies its segment. */
static void v_txn_wait_copiers(struct v_sock *vs)
{
	wait_event_killable(vs->tx_wait, !READ_ONCE(vs->txn.copiers));
}

/*
 * Wait for the end of vs's transaction.  Returns its result, or
 * -ERESTARTNOINTR when the thread must leave the ioctl (to be stopped,
 * traced or frozen) with the transaction detached but intact.
 */
static int v_txn_wait(struct v_sock *vs)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	spinlock_t *lock = &vs->host->ipc_lock;
	struct v_txn *t = &vs->txn;
	bool waiting = false;
	long timeo;
	int err;

	/*
	 * The Send has just woken its receiver, here or (through the
	 * REQUEST's softirq) on a host beside us.  Let it run now, while we
	 * are still runnable, as the return to user space after a write()
	 * to a pipe would: it usually replies before we wait, so we need no
	 * wake-up of our own - one wake-up per round trip fewer.  Nor do we
	 * join the wait queue until we have seen that we must wait.
	 */
	cond_resched();
	/*
	 * It usually has: then the end, published by v_txn_end() with
	 * release, is seen here without ipc_lock (a local Send's only).
	 */
	if (!READ_ONCE(t->req_skb) && v_txn_ended(t)) {
		err = t->error;
		goto out;
	}
	for (;;) {
		timeo = MAX_SCHEDULE_TIMEOUT;
		if (READ_ONCE(t->req_skb))
			v_net_client_work(vs, &timeo);	/* answers, retransmission */
		spin_lock_bh(lock);
		if (!v_txn_pending(t)) {
			err = t->error;
			break;
		}
		if (vs->dead) {
			v_txn_cancel(t, -ESHUTDOWN);
			err = -ESHUTDOWN;
			break;
		}
		if (t->deadline) {
			s64 left = ktime_to_ns(ktime_sub(t->deadline, ktime_get()));

			if (left <= 0) {
				v_txn_cancel(t, -ETIMEDOUT);
				err = -ETIMEDOUT;
				break;
			}
			timeo = min_t(long, timeo, nsecs_to_jiffies(left) + 1);
		}
		if (signal_pending(current)) {
			bool cancel;

			spin_unlock_bh(lock);
			cancel = v_signal_cancels();
			spin_lock_bh(lock);
			if (!v_txn_pending(t)) {
				err = t->error;	/* the reply won the race */
			} else if (cancel) {
				v_txn_cancel(t, -EINTR);
				err = -EINTR;
			} else {
				t->detached = true;
				t->waiter = task_pid_nr(current);
				t->restart = get_random_u64() | V_SEND_RESTART;
				err = -ERESTARTNOINTR;
			}
			break;
		}
		spin_unlock_bh(lock);
		if (!waiting) {
			/* Look once more, on the queue: no wake-up is lost. */
			add_wait_queue(&vs->tx_wait, &wait);
			waiting = true;
			continue;
		}
		wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
	}
	spin_unlock_bh(lock);
	if (waiting)
		remove_wait_queue(&vs->tx_wait, &wait);
out:
	if (err != -ERESTARTNOINTR)
		v_txn_wait_copiers(vs);
	return err;
}

/* Drop a Send that has ended (or been ended) and make the socket free. */
static void v_send_finish(struct v_sock *vs)
{
	struct v_txn *t = &vs->txn;

	v_net_client_done(t);
	v_txn_put(t);
	clear_bit_unlock(V_SOCK_SENDING, &vs->flags);
}

/*
 * End a detached transaction nobody will restart (its thread left by
 * siglongjmp(), or sends anew); ipc_lock held.  It stays detached, and
 * abandoning, until its copiers are gone (v_send_abandon()).
 */
static void v_send_abandon_locked(struct v_txn *t)
{
	if (v_txn_pending(t))
		v_txn_cancel(t, -EINTR);
	t->abandoning = true;
}

/* The rest of an abandon: no copier left, then the socket is free. */
static void v_send_abandon(struct v_sock *vs)
{
	struct v_txn *t = &vs->txn;

	v_txn_wait_copiers(vs);
	spin_lock_bh(&vs->host->ipc_lock);
	t->detached = false;
	t->abandoning = false;
	spin_unlock_bh(&vs->host->ipc_lock);
	wake_up(&vs->tx_wait);	/* a restart waiting for the abandon */
	v_send_finish(vs);
}

/* Finish a Send: hand back the reply and make the socket free to Send. */
static int v_send_complete(struct v_sock *vs, struct v_send __user *uarg, int err)
{
	struct v_txn *t = &vs->txn;

	if (err == -ERESTARTNOINTR) {
		if (!put_user(t->restart, &uarg->replier))
			return err;
		/* No token, no restart: a new Send must not rejoin it. */
		spin_lock_bh(&vs->host->ipc_lock);
		v_send_abandon_locked(t);
		spin_unlock_bh(&vs->host->ipc_lock);
		v_send_abandon(vs);
		return -EFAULT;
	}
	if (!err && (copy_to_user(&uarg->msg, &t->msg, sizeof(t->msg)) ||
		     put_user(t->replier, &uarg->replier)))
		err = -EFAULT;
	else if (err && t->restart)
		put_user(0, &uarg->replier);	/* the token is spent */
	WRITE_ONCE(t->restart, 0);	/* v_send_rejoin() reads it locked */
	v_send_finish(vs);
	return err;
}

/*
 * May the thread that detached vs's Send still restart it: it is stopped,
 * traced or frozen, or about to be (a signal it has not dequeued yet)?
 * Otherwise it is running user code - a handler, or wherever siglongjmp()
 * took it - or gone.
 */
static bool v_send_parked(pid_t tid)
{
	struct task_struct *task;
	bool parked;

	rcu_read_lock();
	task = pid_task(find_pid_ns(tid, &init_pid_ns), PIDTYPE_PID);
	/*
	 * frozen() is not exported; TASK_FROZEN is what it reads.  The cgroup
	 * v2 freezer parks a task in a trap of its own (JOBCTL_TRAP_FREEZE).
	 */
	parked = task && (task_is_stopped_or_traced(task) || freezing(task) ||
			  (READ_ONCE(task->__state) & TASK_FROZEN) ||
			  (READ_ONCE(task->jobctl) & JOBCTL_TRAP_FREEZE) ||
			  signal_pending(task));
	rcu_read_unlock();
	return parked;
}

/*
 * A Send carrying a restart token, or on a socket with a Send in
 * progress.  0: the token is the detached transaction's, rejoin it.
 * -EINTR: a restart whose transaction is gone.  -EAGAIN: go on as a new
 * Send (EALREADY if another is in progress); a detached transaction
 * nobody will restart has been abandoned.
 */
static int v_send_rejoin(struct v_sock *vs, u64 token)
{
	bool is_token = (token & V_SEND_RESTART) == V_SEND_RESTART;
	pid_t me = task_pid_nr(current);
	struct v_txn *t = &vs->txn;
	int err = -EAGAIN;

	spin_lock_bh(&vs->host->ipc_lock);
	if (is_token && token == t->restart && t->abandoning) {
		spin_unlock_bh(&vs->host->ipc_lock);
		wait_event_killable(vs->tx_wait, !READ_ONCE(t->abandoning));
		return -EINTR;
	}
	if (is_token && token == t->restart && t->detached && t->waiter == me) {
		t->detached = false;
		err = 0;
	} else if (is_token) {
		err = -EINTR;
	} else if (t->detached && !t->abandoning &&
		   (t->waiter == me || !v_send_parked(t->waiter))) {
		v_send_abandon_locked(t);
		spin_unlock_bh(&vs->host->ipc_lock);
		v_send_abandon(vs);
		return -EAGAIN;
	}
	spin_unlock_bh(&vs->host->ipc_lock);
	return err;
}

int v_ipc_send(struct v_sock *vs, struct v_send __user *uarg)
{
	spinlock_t *lock = &vs->host->ipc_lock;
	struct v_txn *t = &vs->txn;
	struct task_struct *wake;
	struct v_sock *dst;
	struct v_send s;
	bool queued, checked;
	int err;

	if (copy_from_user(&s, uarg, sizeof(s)))
		return -EFAULT;
	/* A restart after a stop, or a Send finding another (not the usual Send). */
	if (test_bit(V_SOCK_SENDING, &vs->flags) ||
	    unlikely((s.replier & V_SEND_RESTART) == V_SEND_RESTART)) {
		err = v_send_rejoin(vs, s.replier);
		if (!err)
			return v_send_complete(vs, uarg, v_txn_wait(vs));
		if (err == -EINTR)
			put_user(0, &uarg->replier);	/* the token is spent */
		if (err != -EAGAIN)
			return err;
	}
	err = v_send_check(&s);
	if (err)
		return err;
	if (test_and_set_bit_lock(V_SOCK_SENDING, &vs->flags))
		return -EALREADY;
	if (unlikely(READ_ONCE(t->group)))
		v_group_txn_close(t);	/* the next Send ends a group transaction */
	if (v_id_is_group(s.dst)) {
		v_txn_prepare(t, &s);
		err = v_net_group_send(vs, t);
		if (err) {
			v_txn_put(t);
			goto out_unlock;
		}
		trace_v_send(v_host_part(vs->host), t->sender_id, t->seq, s.dst, s.seg_len);
		return v_send_complete(vs, uarg, v_txn_wait(vs));
	}
	if (v_id_host(s.dst) != v_host_part(vs->host)) {
		if (unlikely(v_send_dl_checked(vs, &s))) {
			err = v_send_dl_remote(vs, s.dst);
			if (err)
				goto out_unlock;
		}
		v_txn_prepare(t, &s);
		err = v_net_send(vs, t, v_id_host(s.dst), s.dst);
		if (err) {
			v_txn_put(t);
			goto out_unlock;
		}
		trace_v_send(v_host_part(vs->host), t->sender_id, t->seq, s.dst, s.seg_len);
		return v_send_complete(vs, uarg, v_txn_wait(vs));
	}
	dst = v_ipc_send_dst(vs, s.dst, &err);
	if (!dst)
		goto out_unlock;

	checked = v_send_dl_checked(vs, &s);
	v_txn_prepare(t, &s);
	spin_lock_bh(lock);
	if (vs->dead)
		err = -ESHUTDOWN;
	else if (dst->dead)
		err = -ESRCH;
	else if (unlikely(checked) && v_dl_cycle(vs, dst, s.dst))
		err = -EDEADLK;
	if (err) {
		spin_unlock_bh(lock);
		if (err == -ESRCH)
			v_ipc_send_dst_drop(vs);
		v_txn_put(t);
		goto out_unlock;
	}
	trace_v_send(v_host_part(vs->host), t->sender_id, t->seq, s.dst, s.seg_len);
	queued = v_ipc_enqueue_locked(dst, t, &wake);
	spin_unlock_bh(lock);
	/* A thread handed the message runs at its client's priority from now. */
	if (unlikely(wake && (READ_ONCE(dst->opts) & V_OPT_INHERIT)))
		v_inherit_raise(dst, wake, t->sender_id, t->seq, true);
	v_ipc_wake_task(wake);
	if (queued)
		v_ipc_wake_receiver(dst);

	return v_send_complete(vs, uarg, v_txn_wait(vs));

out_unlock:
	clear_bit_unlock(V_SOCK_SENDING, &vs->flags);
	return err;
}

/* Put a transaction the caller could not take back at the head of its queue. */
static void v_ipc_requeue(struct v_sock *vs, const struct v_peer *p, u32 seq)
{
	struct v_txn *t = v_peer_txn(p);
	struct task_struct *wake = NULL;
	bool queued = false;

	spin_lock_bh(&vs->host->ipc_lock);
	if (t->holder == vs && t->state == V_TXN_RECEIVED && t->seq == seq) {
		list_del_init(&t->node);
		if (unlikely(t->boost))
			v_inherit_txn_ended(t, true);
		/* To a waiting thread, or back at the head of the queue. */
		queued = v_ipc_enqueue_locked(vs, t, &wake);
		if (queued)
			list_move(&t->node, &vs->rxq);
	}
	spin_unlock_bh(&vs->host->ipc_lock);
	v_ipc_wake_task(wake);
	if (queued)
		v_ipc_wake_receiver(vs);
}

/*
 * Pulses come before messages, but at most V_PULSE_RUN in a row while a
 * message waits: anyone who may Send may pulse, and a flood of pulses
 * must not keep a server's clients from being received.  ipc_lock held.
 */
#define V_PULSE_RUN	8

static bool v_ipc_pulse_turn(struct v_sock *vs)
{
	if (!vs->rxq_len)
		return true;
	if (vs->pulse_run < V_PULSE_RUN) {
		vs->pulse_run++;
		return true;
	}
	vs->pulse_run = 0;	/* a message's turn */
	return false;
}

/* Take the first queued transaction for w's thread; ipc_lock held. */
static bool v_ipc_take(struct v_sock *vs, struct v_rwait *w)
{
	struct v_txn *t = list_first_entry_or_null(&vs->rxq, struct v_txn, node);

	if (!t)
		return false;
	list_move_tail(&t->node, &vs->held);
	vs->rxq_len--;
	vs->pulse_run = 0;
	v_ipc_hold(vs, t, w);
	return true;
}

/* ReceiveWithSegment's copy of the first bytes of a read-granted segment. */
static int v_ipc_receive_seg(struct v_sock *vs, struct v_receive *r,
			     const struct v_peer *p, u32 seq)
{
	u64 n = min(r->buf_len, r->seg_len);
	struct v_copy c;
	int err;

	if (p->alien)	/* what the request carried with it */
		return v_alien_copy_piggy(p->alien, u64_to_user_ptr(r->buf_addr), n,
					  &r->copied);
	err = v_txn_copy_begin(vs, p->sock, V_SEG_READ, 0, n, seq, &c);
	if (err)
		return err;
	err = v_seg_copy(&c, u64_to_user_ptr(r->buf_addr), n, false);
	v_txn_copy_end(&c);
	if (!err)
		r->copied = n;
	return err;
}

/*
 * Wait until w's thread has a message: one already queued, taken here, or
 * one handed over while it sleeps on rwaiters (then seen without
 * ipc_lock).  One locked look before each sleep.
 */
static int v_ipc_receive_wait(struct v_sock *vs, struct v_rwait *w, long timeo)
{
	spinlock_t *lock = &vs->host->ipc_lock;
	int err = 0;

	spin_lock_bh(lock);
	for (;;) {
		if (w->handed)
			break;
		if (vs->dead) {
			err = -ESHUTDOWN;
			break;
		}
		if (unlikely(!list_empty(&vs->notices)) && v_notice_take(vs, w->r))
			break;
		if (unlikely(!list_empty(&vs->pulses)) && v_ipc_pulse_turn(vs) &&
		    v_pulse_take(vs, w->r, w->user_ns, w->pid_ns))
			break;
		if (v_ipc_take(vs, w))
			break;
		if (!timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(timeo);
			break;
		}
		if (list_empty(&w->node))
			list_add_tail(&w->node, &vs->rwaiters);
		set_current_state(TASK_INTERRUPTIBLE);
		spin_unlock_bh(lock);
		timeo = schedule_timeout(timeo);
		/* Pairs with v_ipc_enqueue_locked()'s release: w is filled. */
		if (smp_load_acquire(&w->handed))
			return 0;
		spin_lock_bh(lock);
	}
	list_del_init(&w->node);
	spin_unlock_bh(lock);
	return err;
}

/*
 * Receive (and ReceiveWithSegment): wait for the first queued message.
 * Each message goes to exactly one of the threads receiving on vs: they
 * take messages under ipc_lock, or are handed one in their turn.
 */
int v_ipc_receive(struct v_sock *vs, struct v_receive *r, bool with_seg, bool nonblock)
{
	struct v_rwait w = {
		.node = LIST_HEAD_INIT(w.node),
		.task = current,
		.r = r,
		.user_ns = current_user_ns(),
		.pid_ns = task_active_pid_ns(current),
		.with_seg = with_seg,
	};
	int err;

	if ((r->flags | r->reserved1) || (r->reserved[0] | r->reserved[1]) ||
	    (!with_seg && (r->buf_addr || r->buf_len)))
		return -EINVAL;
	if (with_seg && !access_ok(u64_to_user_ptr(r->buf_addr), r->buf_len))
		return -EFAULT;

	err = v_ipc_receive_wait(vs, &w, sock_rcvtimeo(&vs->sk, nonblock));
	if (err)
		return err;
	if (unlikely(r->deadline_ns))
		r->deadline_ns = v_notice_deadline_user(r->deadline_ns);
	if (w.p.sock || w.p.alien) {	/* v_ipc_hold() saw a copy to make */
		err = v_ipc_receive_seg(vs, r, &w.p, w.seq);
		if (err == -EFAULT)
			v_ipc_requeue(vs, &w.p, w.seq);	/* lose nothing */
		else
			err = 0;	/* sender went away meanwhile: a Reply will say so */
		if (err)
			r->copied = 0;
		v_peer_put(&w.p);
	}
	if (unlikely(READ_ONCE(vs->opts) & V_OPT_INHERIT) && !err && r->kind == V_KIND_MESSAGE)
		v_inherit_raise(vs, current, r->sender, w.seq, false);
	return err;
}

/*
 * Undo a Receive whose result could not reach user space: the message goes
 * back to the head of the queue.
 */
int v_ipc_receive_unwind(struct v_sock *vs, const struct v_receive *r)
{
	struct v_peer p;

	if (r->kind == V_KIND_PULSE)
		return v_pulse_unwind(vs, r);
	if (r->kind != V_KIND_MESSAGE) {
		v_notice_unwind(vs, r);
		return -EFAULT;
	}
	if (!v_peer_get(vs, r->sender, &p)) {
		v_ipc_requeue(vs, &p, READ_ONCE(v_peer_txn(&p)->seq));
		v_peer_put(&p);
	}
	return -EFAULT;
}

/*
 * Begin a copy to or from the segment of sender, whose transaction the
 * caller must hold (seq 0: whichever it holds).  Checks access and range
 * before any byte moves.
 */
/* Does vs hold t, received (seq 0: whichever transaction)?  ipc_lock held. */
static bool v_txn_held_by(const struct v_txn *t, const struct v_sock *vs, u32 seq)
{
	return t->holder == vs && t->state == V_TXN_RECEIVED && (!seq || t->seq == seq);
}

int v_txn_copy_begin(struct v_sock *vs, struct v_sock *sender, u32 access,
		     u64 offset, u64 len, u32 seq, struct v_copy *c)
{
	struct v_txn *t = &sender->txn;
	int err = 0;

	spin_lock_bh(&vs->host->ipc_lock);
	if (!v_txn_held_by(t, vs, seq))
		err = -ENOENT;
	else if (unlikely(t->deadline) && v_notice_deadline_passed(vs, t, true))
		err = -ETIMEDOUT;
	else if (!(t->seg_access & access))
		err = -EACCES;
	else if (offset > t->seg_len || len > t->seg_len - offset)
		err = -ERANGE;
	if (!err) {
		c->mm = t->mm;
		mmgrab(c->mm);
		c->addr = t->seg_addr + offset;
		c->seq = t->seq;
		c->vs = vs;
		c->sender = sender;
		c->counted = true;
		t->copiers++;
	}
	spin_unlock_bh(&vs->host->ipc_lock);
	return err;
}

/*
 * The copier is about to wait for its own memory (a page fault that
 * userfaultfd or FUSE may take any time over): it stops counting, so the
 * sender's timeout or signal can end the Send meanwhile.
 */
void v_txn_copy_pause(struct v_copy *c)
{
	struct v_txn *t = &c->sender->txn;
	bool wake = false;

	spin_lock_bh(&c->vs->host->ipc_lock);
	if (c->counted) {
		c->counted = false;
		/*
		 * Only a Send whose transaction has ended waits for the
		 * copiers (v_txn_wait_copiers() runs after the end, which
		 * ipc_lock orders against this count).  Waking a sender whose
		 * transaction is still pending would only make it look and
		 * sleep again: two context switches per MoveTo/MoveFrom.
		 */
		wake = !--t->copiers && !v_txn_pending(t);
	}
	spin_unlock_bh(&c->vs->host->ipc_lock);
	if (wake)
		wake_up(&c->sender->tx_wait);
}

/* Count again, if the copier still holds the same transaction. */
int v_txn_copy_resume(struct v_copy *c)
{
	struct v_txn *t = &c->sender->txn;
	int err = -ENOENT;

	spin_lock_bh(&c->vs->host->ipc_lock);
	if (v_txn_held_by(t, c->vs, c->seq)) {
		t->copiers++;
		c->counted = true;
		err = 0;
	}
	spin_unlock_bh(&c->vs->host->ipc_lock);
	return err;
}

void v_txn_copy_end(struct v_copy *c)
{
	v_txn_copy_pause(c);
	mmdrop(c->mm);
}

/*
 * End the transaction t, held by vs, with r's message; ipc_lock held.
 * The sender is woken under the lock: once the lock is dropped it may see
 * the end, return and close its socket.  It waits on tx_wait only after
 * joining the queue and then looking under ipc_lock, so a queue seen empty
 * here means it will find the end itself (no wake-up to make: the usual
 * case, the sender preempted in v_txn_wait()'s cond_resched()).
 */
static void v_txn_reply_locked(struct v_sock *vs, struct v_txn *t,
			       const struct v_reply *r, u64 seg_len)
{
	struct v_sock *sender = v_txn_sender(t);

	t->msg = r->msg;
	t->replier = vs->id;
	trace_v_reply(v_host_part(vs->host), t->sender_id, t->seq, vs->id, seg_len);
	if (unlikely(t->boost))
		v_inherit_txn_ended(t, false);	/* this Reply settles */
	v_txn_end(t, 0);
	/* The sender runs next; a server usually blocks in Receive now. */
	if (waitqueue_active(&sender->tx_wait))
		wake_up_interruptible_sync(&sender->tx_wait);
}

/* How far back Reply looks on the held list before looking the id up. */
#define V_REPLY_HELD_SCAN	4

/*
 * The usual Reply: no segment data, to a local sender among the last few
 * whose messages vs received.  Being on vs's held list pins the sender
 * (it ends its Send, or its socket, only under ipc_lock, and a shutdown
 * of vs empties the list under it first), so this takes no id lookup and
 * no reference.  False: not found here, take the general path; true:
 * done, *err the result (0 unless the message's deadline had passed).
 */
static bool v_ipc_reply_held(struct v_sock *vs, const struct v_reply *r, int *err)
{
	struct v_txn *t;
	bool done = false;
	int n = 0;

	*err = 0;
	spin_lock_bh(&vs->host->ipc_lock);
	list_for_each_entry_reverse(t, &vs->held, node) {
		if (++n > V_REPLY_HELD_SCAN)
			break;
		if (t->sender_id != r->dst)
			continue;
		if (!t->alien) {	/* an alien's Reply is a frame: alien.c */
			if (unlikely(t->deadline) && v_notice_deadline_passed(vs, t, false))
				*err = -ETIMEDOUT;
			else
				v_txn_reply_locked(vs, t, r, 0);
			done = true;
		}
		break;
	}
	spin_unlock_bh(&vs->host->ipc_lock);
	return done;
}

/*
 * Reply (and ReplyWithSegment): end the transaction of r->dst, which the
 * caller must hold.  With segment data, the data is written first and the
 * message stays held if that fails.
 */
static int v_ipc_reply_one(struct v_sock *vs, const struct v_reply *r, bool with_seg)
{
	struct v_sock *sender;
	struct v_peer p;
	struct v_copy c;
	struct v_txn *t;
	u32 seq = 0;
	int err = 0;

	if (r->flags || r->reserved || !r->dst)
		return -EINVAL;
	if (!with_seg && (r->seg_offset || r->src_addr || r->src_len))
		return -EINVAL;
	if (!(with_seg && r->src_len) && v_ipc_reply_held(vs, r, &err))
		return err;
	if (v_peer_get(vs, r->dst, &p))
		return v_notice_not_held(vs, r->dst, true);
	if (p.alien) {
		err = v_alien_reply(vs, p.alien, r, with_seg);
		goto out;
	}
	sender = p.sock;
	t = &sender->txn;

	if (with_seg && r->src_len) {
		if (r->src_len > v_reply_seg_max) {
			spin_lock_bh(&vs->host->ipc_lock);
			err = (t->holder == vs && t->state == V_TXN_RECEIVED) ? -EMSGSIZE : -ENOENT;
			spin_unlock_bh(&vs->host->ipc_lock);
			goto out;
		}
		err = v_txn_copy_begin(vs, sender, V_SEG_WRITE, r->seg_offset,
				       r->src_len, 0, &c);
		if (err == -ETIMEDOUT)	/* this Reply says so: not the next one */
			v_notice_not_held(vs, r->dst, true);
		if (err)
			goto out;
		seq = c.seq;
		err = v_seg_copy(&c, u64_to_user_ptr(r->src_addr), r->src_len, true);
		v_txn_copy_end(&c);
		if (err)
			goto out;
	}

	spin_lock_bh(&vs->host->ipc_lock);
	if (t->holder != vs || t->state != V_TXN_RECEIVED || (seq && t->seq != seq))
		err = -ENOENT;
	else if (unlikely(t->deadline) && v_notice_deadline_passed(vs, t, false))
		err = -ETIMEDOUT;
	else
		v_txn_reply_locked(vs, t, r, with_seg ? r->src_len : 0);
	spin_unlock_bh(&vs->host->ipc_lock);
out:
	v_peer_put(&p);
	if (err == -ENOENT)
		err = v_notice_not_held(vs, r->dst, true);
	return err;
}

int v_ipc_reply(struct v_sock *vs, const struct v_reply *r, bool with_seg)
{
	int err = v_ipc_reply_one(vs, r, with_seg);

	v_inherit_settle_maybe(vs);
	return err;
}

/*
 * Forward: pass the transaction of f->from, held by the caller, to f->to
 * as if f->from had sent it there.  On failure the caller keeps it.
 */
static int v_ipc_forward_one(struct v_sock *vs, const struct v_forward *f)
{
	struct task_struct *wake = NULL;
	struct v_sock *dst = NULL;
	bool queued = false;
	struct v_peer p;
	struct v_txn *t;
	int err = 0;

	if (f->flags || f->reserved || !f->from || !f->to)
		return -EINVAL;
	if (v_id_is_group(f->to))
		return -EOPNOTSUPP;
	if (f->to & V_ID_WELLKNOWN)
		return -EINVAL;
	if (v_peer_get(vs, f->from, &p))
		return v_notice_not_held(vs, f->from, false);
	t = v_peer_txn(&p);
	if (v_id_host(f->to) != v_host_part(vs->host)) {
		err = v_net_forward(vs, &p, f);
		v_peer_put(&p);
		return err;
	}
	dst = v_ipc_find(vs, f->to, &err);

	spin_lock_bh(&vs->host->ipc_lock);
	if (t->holder != vs || t->state != V_TXN_RECEIVED) {
		err = -ENOENT;	/* not holding it is the first thing to report */
	} else if (unlikely(t->deadline) && v_notice_deadline_passed(vs, t, true)) {
		err = -ETIMEDOUT;
	} else if (dst && dst->dead) {
		err = -ESRCH;
	} else if (dst) {
		t->msg = f->msg;
		t->forwarder = vs->id;
		trace_v_forward(v_host_part(vs->host), t->sender_id, t->seq, f->to, 0);
		list_del_init(&t->node);
		if (unlikely(t->boost))
			v_inherit_txn_ended(t, false);	/* this Forward settles */
		queued = v_ipc_enqueue_locked(dst, t, &wake);
	}
	spin_unlock_bh(&vs->host->ipc_lock);
	v_ipc_wake_task(wake);
	if (dst) {
		if (queued)
			v_ipc_wake_receiver(dst);
		sock_put(&dst->sk);
	}
	v_peer_put(&p);
	if (err == -ENOENT)
		err = v_notice_not_held(vs, f->from, false);
	return err;
}

int v_ipc_forward(struct v_sock *vs, const struct v_forward *f)
{
	int err = v_ipc_forward_one(vs, f);

	v_inherit_settle_maybe(vs);
	return err;
}

/*
 * shutdown(): no more messages.  Senders queued at vs or held by it fail
 * with -ESRCH; threads blocked on vs wake up (receivers with -ESHUTDOWN,
 * vs's own Send with -ESHUTDOWN).
 */
void v_ipc_shutdown(struct v_sock *vs)
{
	struct v_rwait *w, *wtmp;
	struct v_txn *t, *tmp;

	spin_lock_bh(&vs->host->ipc_lock);
	vs->dead = true;
	list_for_each_entry_safe(w, wtmp, &vs->rwaiters, node) {
		list_del_init(&w->node);
		wake_up_process(w->task);	/* w stays until it takes ipc_lock */
	}
	list_for_each_entry_safe(t, tmp, &vs->rxq, node)
		v_txn_fail_notify(t, -ESRCH);
	list_for_each_entry_safe(t, tmp, &vs->held, node)
		v_txn_fail_notify(t, -ESRCH);
	v_notice_shutdown(vs);
	v_pulse_shutdown(vs);
	spin_unlock_bh(&vs->host->ipc_lock);
	vs->sk.sk_state_change(&vs->sk);
	wake_up_all(&vs->tx_wait);
	v_inherit_settle_maybe(vs);	/* nothing is held any more */
}

/*
 * The socket is going away: no thread is inside one of its ioctls, but a
 * Send may have been left detached by a thread that was stopped and never
 * came back (killed, or its fd closed by another thread).  End it here.
 */
void v_ipc_release(struct v_sock *vs)
{
	struct v_txn *t = &vs->txn;

	v_ipc_send_dst_drop(vs);
	v_ipc_shutdown(vs);
	/*
	 * Nothing is held any more, so no boost work can be queued again; a
	 * pending one must not keep the socket (and its RCU free, module
	 * code) past close: rmmod may follow.
	 */
	if (cancel_work_sync(&vs->boost_work))
		sock_put(&vs->sk);
	v_group_txn_close(t);
	if (!test_bit(V_SOCK_SENDING, &vs->flags))
		return;
	spin_lock_bh(&vs->host->ipc_lock);
	if (v_txn_pending(t))
		v_txn_cancel(t, -ESHUTDOWN);
	spin_unlock_bh(&vs->host->ipc_lock);
	v_txn_wait_copiers(vs);
	v_send_finish(vs);
}
