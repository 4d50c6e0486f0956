// SPDX-License-Identifier: GPL-2.0
/*
 * Pulses (V_IOC_PULSE): 32-byte one-way messages, QNX's MsgSendPulse and
 * Binder's oneway.  A pulse is queued on its receiver's pulses list and
 * taken by Receive after notices and before messages; nobody waits for
 * an answer, so nothing of the pulser is kept but its credentials.
 *
 * Who may: anyone who may Send, to a process that takes pulses
 * (V_OPT_PULSES: a process that never asked cannot be flooded with
 * them).  What it costs: at most V_PULSES_MAX entries per receiver, each
 * charged to the pulser's memory cgroup, a remote one's to the
 * receiver's (as an alien is, charge.c).
 *
 * To another host a pulse is one PULSE frame, never retransmitted: at
 * most once.  Networks duplicate frames, so the receiving host delivers
 * each pulse number of a sending host part once (v_map_pulse_fresh(), a
 * window like auth.c's replay window, kept for unauthenticated links
 * too).  A refusal there is counted, not answered: an answer would make
 * a one-way message a round trip.
 *
 * Locking: the list and nr_pulses are under host->ipc_lock, as every
 * queue a Receive takes from (ipc.c); opts is written by SET_OPTS and
 * read once per use.
 */
#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>
#include "vkmod.h"

/* A queued pulse. */
struct v_pulse_ent {
	struct list_head node;		/* in vs->pulses */
	u64 sender;
	struct v_msg msg;
	/* a local pulser's, shown in the receiver's namespaces at Receive */
	struct pid *tgid;		/* referenced; NULL: creds is as is */
	kuid_t kuid;
	kgid_t kgid;
	struct v_creds creds;		/* remote, or given back by a failed Receive */
};

static void v_pulse_free(struct v_pulse_ent *e)
{
	put_pid(e->tgid);
	kfree(e);
}

/*
 * Queue e for d, waking a thread of d blocked in Receive (it takes the
 * pulse under ipc_lock: a pulse is not handed over, it is rare).  0, or
 * why not: d gone, not taking pulses, or full.
 */
static int v_pulse_queue(struct v_sock *d, struct v_pulse_ent *e)
{
	struct v_host *host = d->host;
	struct v_rwait *w;
	int err = 0;

	spin_lock_bh(&host->ipc_lock);
	if (d->dead)
		err = -ESRCH;
	else if (!(READ_ONCE(d->opts) & V_OPT_PULSES))
		err = -ECONNREFUSED;
	else if (d->nr_pulses >= V_PULSES_MAX)
		err = -EAGAIN;
	if (!err) {
		list_add_tail(&e->node, &d->pulses);
		WRITE_ONCE(d->nr_pulses, d->nr_pulses + 1);
		w = v_ipc_rwaiter_pop(d);
		if (w)
			v_ipc_rwaiter_wake(w);
	}
	spin_unlock_bh(&host->ipc_lock);
	if (!err) {
		v_stat_inc(host, V_A_STAT_PULSES);
		d->sk.sk_data_ready(&d->sk);	/* poll() */
	}
	return err;
}

/* A pulse to another host: one PULSE frame, handed to the link. */
static int v_pulse_remote(struct v_sock *vs, const struct v_pulse *p)
{
	struct v_host *host = vs->host;
	u32 dst_host = v_id_host(p->dst);
	struct v_wire_pulse *wp;
	struct sk_buff *skb;
	u64 n;
	int err;

	if (!READ_ONCE(host->nr_links))
		return -EHOSTUNREACH;
	err = v_map_reach(host, dst_host);	/* fenced, another version */
	if (err)
		return err;
	n = atomic64_inc_return(&host->pulse_seq);
	skb = v_net_frame(host, V_PKT_PULSE, vs->id, (u32)n, p->dst, vs->id, sizeof(*wp),
			  GFP_KERNEL_ACCOUNT);
	if (!skb)
		return -ENOMEM;
	wp = skb_put_zero(skb, sizeof(*wp));
	wp->msg = p->msg;
	wp->counter = cpu_to_be64(n);
	wp->uid = cpu_to_be32(from_kuid_munged(&init_user_ns, current_euid()));
	wp->gid = cpu_to_be32(from_kgid_munged(&init_user_ns, current_egid()));
	v_net_xmit(host, dst_host, skb);
	return 0;
}

/* V_IOC_PULSE. */
int v_pulse_send(struct v_sock *vs, const struct v_pulse *p)
{
	struct v_pulse_ent *e;
	struct v_sock *d;
	int err;

	if (p->flags || p->reserved || !p->dst || v_id_is_group(p->dst) ||
	    (p->dst & V_ID_WELLKNOWN) || !v_id_host(p->dst))
		return -EINVAL;
	if (v_id_host(p->dst) != v_host_part(vs->host))
		return v_pulse_remote(vs, p);
	d = v_ipc_find(vs, p->dst, &err);
	if (!d)
		return err;
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e) {
		sock_put(&d->sk);
		return -ENOMEM;
	}
	e->sender = vs->id;
	e->msg = p->msg;
	e->kuid = current_euid();
	e->kgid = current_egid();
	e->tgid = get_pid(task_tgid(current));
	err = v_pulse_queue(d, e);
	if (err)
		v_pulse_free(e);
	sock_put(&d->sk);
	return err;
}

/*
 * The first queued pulse into r, for a Receive; ipc_lock held.  False:
 * none queued.
 */
bool v_pulse_take(struct v_sock *vs, struct v_receive *r, struct user_namespace *ns,
		  struct pid_namespace *pid_ns)
{
	struct v_pulse_ent *e = list_first_entry_or_null(&vs->pulses, struct v_pulse_ent, node);

	if (!e)
		return false;
	list_del(&e->node);
	WRITE_ONCE(vs->nr_pulses, vs->nr_pulses - 1);
	v_receive_unheld(r, e->sender, V_KIND_PULSE);
	r->msg = e->msg;
	if (e->tgid) {
		memset(&r->creds, 0, sizeof(r->creds));
		v_creds_fill_ids(&r->creds, ns, e->kuid, e->kgid);
		/* A reaped pulser's number may be another process's by now. */
		rcu_read_lock();
		r->creds.pid = pid_has_task(e->tgid, PIDTYPE_TGID) ? pid_nr_ns(e->tgid, pid_ns) : 0;
		rcu_read_unlock();
		r->creds.host = v_id_host(e->sender);
	} else {
		r->creds = e->creds;
	}
	v_pulse_free(e);
	return true;
}

/*
 * A Receive that took a pulse could not write it out: it goes back to
 * the head of the queue as that Receive saw it, past the bound (it was
 * counted in it).  The entry is small and this is rare: it must not be
 * lost for want of memory.  -EFAULT, the Receive's result.
 */
int v_pulse_unwind(struct v_sock *vs, const struct v_receive *r)
{
	struct v_pulse_ent *e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	struct v_rwait *w;

	e->sender = r->sender;
	e->msg = r->msg;
	e->creds = r->creds;

	spin_lock_bh(&vs->host->ipc_lock);
	if (vs->dead) {
		spin_unlock_bh(&vs->host->ipc_lock);
		kfree(e);
		return -EFAULT;
	}
	list_add(&e->node, &vs->pulses);
	WRITE_ONCE(vs->nr_pulses, vs->nr_pulses + 1);
	w = v_ipc_rwaiter_pop(vs);	/* another thread may be waiting for it */
	if (w)
		v_ipc_rwaiter_wake(w);
	spin_unlock_bh(&vs->host->ipc_lock);
	vs->sk.sk_data_ready(&vs->sk);
	return -EFAULT;
}

/* vs shut down: its pulses are dropped; ipc_lock held. */
void v_pulse_shutdown(struct v_sock *vs)
{
	struct v_pulse_ent *e, *tmp;

	list_for_each_entry_safe(e, tmp, &vs->pulses, node) {
		list_del(&e->node);
		v_pulse_free(e);
	}
	WRITE_ONCE(vs->nr_pulses, 0);
}

/* Is a PULSE frame well formed and for a process of this host?  0, or the drop's counter. */
static int v_pulse_check(struct v_host *host, const struct v_wire_hdr *h)
{
	u64 client = get_unaligned_be64(&h->client), dst = get_unaligned_be64(&h->dst);

	if (be32_to_cpu(h->len) != sizeof(struct v_wire_pulse) || !client ||
	    v_id_is_group(client) || (client & V_ID_WELLKNOWN) || h->src != h->client ||
	    v_id_host(client) != be32_to_cpu(h->src_host) || !dst || v_id_is_group(dst) ||
	    (dst & V_ID_WELLKNOWN))
		return V_A_STAT_DROP_SHORT;
	if (v_id_host(dst) != v_host_part(host))
		return V_A_STAT_DROP_NOT_MINE;
	return 0;
}

/* A PULSE frame (softirq): delivered at most once, or counted. */
void v_pulse_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_pulse *wp = (const void *)(h + 1);
	u32 src = be32_to_cpu(h->src_host);
	struct v_pulse_ent *e = NULL;
	struct v_sock *d = NULL;
	int why;

	why = v_pulse_check(host, h);
	if (why) {
		v_stat_inc(host, why);
		goto drop;
	}
	/* A duplicate, or no such process: the pulse is gone. */
	if (!v_map_pulse_fresh(host, src, get_unaligned_be64(&wp->counter)))
		goto refused;
	d = v_id_lookup(host, get_unaligned_be64(&h->dst));
	if (!d)
		goto refused;
	e = v_charge_kzalloc(d, sizeof(*e), false);
	if (!e)
		goto refused;
	e->sender = get_unaligned_be64(&h->client);
	e->msg = wp->msg;
	e->creds.uid = be32_to_cpu(wp->uid);
	e->creds.gid = be32_to_cpu(wp->gid);
	e->creds.host = src;
	/* v_auth_rcv() let a flagged frame through only with a valid tag. */
	e->creds.flags = V_CRED_REMOTE |
			 ((h->flags & htons(V_WIRE_F_AUTH)) ? V_CRED_KEYED : 0);
	if (v_pulse_queue(d, e))
		goto refused;
	sock_put(&d->sk);
	consume_skb(skb);
	return;

refused:	/* counted, and no error of the frame's: consumed */
	v_stat_inc(host, V_A_STAT_PULSES_DROPPED);
	kfree(e);
	if (d)
		sock_put(&d->sk);
	consume_skb(skb);
	return;
drop:
	kfree_skb(skb);
}

/* V_IOC_SET_OPTS. */
int v_opts_set(struct v_sock *vs, const struct v_opts *o)
{
	if (o->reserved || (o->flags & ~V_OPTS))
		return -EINVAL;
	WRITE_ONCE(vs->opts, o->flags);
	return 0;
}
