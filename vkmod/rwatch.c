// SPDX-License-Identifier: GPL-2.0
/*
 * Watches across hosts (uapi "Notices" and "Watches across hosts").
 *
 * The watcher's host keeps each watch of another host's process (or of a
 * host) on host->rwatches and sends WATCH for it: at once, then every
 * probe interval (a third of the host-down bound).  The watched host
 * registers a process watch on the target (struct v_rwreg, charged to the
 * target like an alien, bounded per host and per watcher host) and
 * answers every WATCH with WATCHED, carrying its incarnation (the nonce it
 * claims with), or with NOTICE GONE when there is no such process.  When
 * the target ends it sends NOTICE EXITED to every registered watcher.
 *
 * The watcher fires a watch on a NOTICE, on an answer with another
 * incarnation than the first it heard (the host restarted: every process
 * of the old one is gone), and when the host has not answered for its
 * host-down bound.  A lost NOTICE is made good by the next probe, which
 * the watched host answers NOTICE GONE.  A registration whose watcher
 * stopped probing (gone without UNWATCH, its host down) is dropped after
 * three of its probe intervals.
 *
 * Locking: watches and registrations are under host->ipc_lock with the
 * rest of a process's notices (notice.c); nothing is allocated or sent
 * under it here but the answer to one WATCH.  One delayed work per host
 * (rwatch_work) probes, declares hosts down, sends NOTICEs and drops
 * silent registrations; it runs while either list is not empty, probing
 * once an interval however often it is kicked for a NOTICE.
 */
#include <linux/slab.h>
#include "vkmod.h"

/* One watcher host's share of the registrations a host keeps. */
#define V_RWREGS_SRC_MAX	(V_RWREGS_MAX / 2)
/* Hosts a probe round asks WHERE for, at most. */
#define V_RWATCH_QUERIES	8

/* A probe to send: taken under ipc_lock, sent after it. */
struct v_rwprobe {
	u64 watcher;
	u64 watched;
};

static unsigned long v_rwatch_interval(struct v_host *host)
{
	return max(msecs_to_jiffies(READ_ONCE(host->host_down_ms)) / 3, msecs_to_jiffies(100));
}

/* Silence after which a watched host is down: the bound, three probes at least. */
static unsigned long v_rwatch_down(struct v_host *host)
{
	return max(msecs_to_jiffies(READ_ONCE(host->host_down_ms)), 3 * v_rwatch_interval(host));
}

/* Run the work now (something to send) or at the next probe. */
static void v_rwatch_kick(struct v_host *host, bool now)
{
	if (now)
		mod_delayed_work(system_wq, &host->rwatch_work, 0);
	else
		queue_delayed_work(system_wq, &host->rwatch_work, v_rwatch_interval(host));
}

/* A watch frame: header client = the watcher, dst = the watched id. */
static struct sk_buff *v_rwatch_frame(struct v_host *host, u8 type, u64 watcher, u64 watched,
				      u16 why, gfp_t gfp)
{
	bool answer = type == V_PKT_WATCHED || type == V_PKT_NOTICE;
	struct sk_buff *skb = v_net_frame(host, type, watcher, 0, watched,
					  answer ? watched : watcher,
					  sizeof(struct v_wire_watch), gfp);
	struct v_wire_watch *ww;

	if (!skb)
		return NULL;
	ww = skb_put_zero(skb, sizeof(*ww));
	if (answer) {
		ww->nonce = cpu_to_be64(host->nonce);
		ww->why = cpu_to_be16(why);
	} else {
		ww->probe_ms = cpu_to_be32(jiffies_to_msecs(v_rwatch_interval(host)));
	}
	return skb;
}

/* WATCH of another host's process or of a host (from v_notice_watch()). */
int v_rwatch_add(struct v_sock *vs, const struct v_watch *w)
{
	struct v_host *host = vs->host;
	u32 part = v_id_host(w->id);
	struct v_watch_ent *we;
	struct sk_buff *skb;
	int err;

	if (!READ_ONCE(host->nr_links))
		return -EHOSTUNREACH;
	err = v_map_reach(host, part);	/* fenced, another version */
	if (err)
		return err;
	we = v_watch_new(vs, w);
	if (!we)
		return -ENOMEM;
	we->remote = true;
	we->heard = jiffies;
	skb = v_rwatch_frame(host, V_PKT_WATCH, vs->id, w->id, 0, GFP_KERNEL);
	if (!skb) {
		kfree(we);
		return -ENOMEM;
	}
	spin_lock_bh(&host->ipc_lock);
	if (host->nr_rwatches >= V_RWATCHES_MAX)
		err = -ENOSPC;	/* each is probed: the host's probes are bounded */
	else
		err = v_watch_add(vs, we);
	if (!err) {
		list_add_tail(&we->onode, &host->rwatches);
		host->nr_rwatches++;
	}
	spin_unlock_bh(&host->ipc_lock);
	if (err) {
		kfree(we);
		kfree_skb(skb);
		return err;
	}
	v_net_xmit(host, part, skb);
	v_rwatch_kick(host, false);
	return 0;
}

/* UNWATCH: the watched host may forget the registration now. */
void v_rwatch_unwatch(struct v_host *host, u64 watcher, u64 watched)
{
	v_net_xmit(host, v_id_host(watched),
		   v_rwatch_frame(host, V_PKT_UNWATCH, watcher, watched, 0, GFP_KERNEL));
}

/* Take reg off the lists (ipc_lock held); the caller frees it. */
static void v_rwreg_unlink(struct v_host *host, struct v_rwreg *reg)
{
	list_del(&reg->hnode);
	if (reg->target) {
		list_del(&reg->tnode);
		reg->target->nr_rwregs--;
	}
	host->nr_rwregs--;
}

static void v_rwreg_free(struct v_host *host, struct v_rwreg *reg)
{
	v_rwreg_unlink(host, reg);
	kfree(reg);
}

/*
 * target shuts down (ipc_lock held): each registration becomes a NOTICE
 * EXITED, sent by the work.
 */
void v_rwatch_target_ended(struct v_sock *target)
{
	struct v_rwreg *reg, *tmp;

	if (list_empty(&target->rwregs))
		return;
	list_for_each_entry_safe(reg, tmp, &target->rwregs, tnode) {
		list_del(&reg->tnode);
		reg->target = NULL;
		reg->why = V_WHY_EXITED;
	}
	target->nr_rwregs = 0;
	v_rwatch_kick(target->host, true);
}

/* Registrations of watchers of host part src (ipc_lock held). */
static unsigned int v_rwreg_count(struct v_host *host, u32 src)
{
	struct v_rwreg *reg;
	unsigned int n = 0;

	list_for_each_entry(reg, &host->rwregs, hnode)
		n += reg->src == src;
	return n;
}

/*
 * A WATCH (or probe) of target by watcher, from host part src (ipc_lock
 * held): refresh or add its registration.  False: the target is gone.
 * Beyond the limits nothing is registered; the watcher still hears
 * WATCHED, and of the end at its next probe (NOTICE GONE).
 */
static bool v_rwreg_watch(struct v_host *host, struct v_sock *target, u64 watcher, u32 src,
			  u32 probe_ms)
{
	struct v_rwreg *reg;

	if (target->dead)
		return false;
	list_for_each_entry(reg, &target->rwregs, tnode) {
		if (reg->watcher == watcher) {
			reg->heard = jiffies;
			reg->probe_ms = probe_ms;
			return true;
		}
	}
	if (host->nr_rwregs >= V_RWREGS_MAX || target->nr_rwregs >= V_RWREGS_TARGET_MAX ||
	    v_rwreg_count(host, src) >= V_RWREGS_SRC_MAX) {
		v_stat_inc(host, V_A_STAT_BUSY);
		return true;
	}
	reg = v_charge_kzalloc(target, sizeof(*reg), false);
	if (!reg) {
		v_stat_inc(host, V_A_STAT_DROP_NOMEM);
		return true;
	}
	reg->target = target;
	reg->watcher = watcher;
	reg->watched = target->id;
	reg->src = src;
	reg->probe_ms = probe_ms;
	reg->heard = jiffies;
	list_add_tail(&reg->hnode, &host->rwregs);
	list_add_tail(&reg->tnode, &target->rwregs);
	target->nr_rwregs++;
	host->nr_rwregs++;
	return true;
}

/*
 * WATCH or UNWATCH of one of our processes, or of this host: only one
 * sent to this host's address (a broadcast one would make every host
 * answer, and WHERE for a forged sender), answered where it came from.
 */
static void v_rwatch_rcv_watch(struct v_host *host, const struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_watch *ww = (const void *)(h + 1);
	u64 watcher = be64_to_cpu(h->client), watched = be64_to_cpu(h->dst);
	u32 src = be32_to_cpu(h->src_host);
	u32 probe_ms = clamp_t(u32, be32_to_cpu(ww->probe_ms), 100, V_HOST_DOWN_MS_MAX);
	struct v_sock *target = NULL;
	struct v_rwreg *reg;
	bool alive = true;

	if (skb->pkt_type != PACKET_HOST || v_id_host(watched) != v_host_part(host) ||
	    v_id_host(watcher) != src) {
		v_stat_inc(host, V_A_STAT_DROP_NOT_MINE);
		return;
	}
	if (v_id_local(watched))
		target = v_id_lookup(host, watched);
	spin_lock(&host->ipc_lock);
	if (h->type == V_PKT_UNWATCH && target) {
		list_for_each_entry(reg, &target->rwregs, tnode) {
			if (reg->watcher == watcher) {
				v_rwreg_free(host, reg);
				break;
			}
		}
	} else if (h->type == V_PKT_WATCH && v_id_local(watched)) {
		alive = target && v_rwreg_watch(host, target, watcher, src, probe_ms);
	}
	if (!list_empty(&host->rwregs))
		v_rwatch_kick(host, false);
	spin_unlock(&host->ipc_lock);
	if (target)
		sock_put(&target->sk);
	if (h->type == V_PKT_WATCH)
		v_net_answer(host, skb, src,
			     v_rwatch_frame(host, alive ? V_PKT_WATCHED : V_PKT_NOTICE, watcher,
					    watched, alive ? 0 : V_WHY_GONE, GFP_ATOMIC));
}

/* WATCHED or NOTICE for one of our watches. */
static void v_rwatch_rcv_answer(struct v_host *host, const struct v_wire_hdr *h,
				const struct v_wire_watch *ww)
{
	u64 watcher = be64_to_cpu(h->client), watched = be64_to_cpu(h->dst);
	u64 nonce = be64_to_cpu(ww->nonce);
	u16 why = be16_to_cpu(ww->why);
	struct v_watch_ent *we;
	struct v_sock *vs;

	if (v_id_host(watched) != be32_to_cpu(h->src_host) || !nonce ||
	    (h->type == V_PKT_NOTICE && why != V_WHY_EXITED && why != V_WHY_GONE)) {
		v_stat_inc(host, V_A_STAT_DROP_NOT_MINE);
		return;
	}
	vs = v_id_lookup(host, watcher);
	if (!vs) {
		v_stat_inc(host, V_A_STAT_DROP_NO_TXN);
		return;
	}
	spin_lock(&host->ipc_lock);
	we = v_watch_find(vs, watched);
	if (we && we->remote && !we->fired) {
		if (we->nonce && we->nonce != nonce)
			v_watch_fire(we, V_WHY_HOST_RESTARTED);
		else if (h->type == V_PKT_NOTICE)	/* alive before: its NOTICE was lost */
			v_watch_fire(we, we->nonce && why == V_WHY_GONE ? V_WHY_EXITED : why);
		else
			we->heard = jiffies;
		if (!we->fired)
			we->nonce = nonce;
	}
	spin_unlock(&host->ipc_lock);
	sock_put(&vs->sk);
}

/*
 * A CLAIM of a host part (softirq): a restarted host claims its part
 * again, so the watches of it are probed now rather than at the next
 * round; the answers' new incarnation fires them.  At most one early
 * round per 100 ms, whoever sends CLAIMs.
 */
void v_rwatch_claimed(struct v_host *host, u32 part)
{
	unsigned long ivl = v_rwatch_interval(host);
	struct v_watch_ent *we;
	bool watched = false;

	spin_lock(&host->ipc_lock);
	list_for_each_entry(we, &host->rwatches, onode) {
		if (v_id_host(we->n.who) == part) {
			watched = true;
			break;
		}
	}
	if (watched && time_after(jiffies, host->rwatch_probe_at - ivl + msecs_to_jiffies(100))) {
		host->rwatch_probe_at = jiffies;
		v_rwatch_kick(host, true);
	}
	spin_unlock(&host->ipc_lock);
}

/* Watch frames (softirq). */
void v_rwatch_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;

	if (be32_to_cpu(h->len) < sizeof(struct v_wire_watch))
		v_stat_inc(host, V_A_STAT_DROP_SHORT);
	else if (h->type == V_PKT_WATCH || h->type == V_PKT_UNWATCH)
		v_rwatch_rcv_watch(host, skb);
	else
		v_rwatch_rcv_answer(host, h, (const void *)(h + 1));
	kfree_skb(skb);
}

/*
 * Under ipc_lock: fire the watches whose host has been silent too long,
 * note the others' probes (when a round is due) in p, take the ended and
 * silent registrations into ended.  Returns the probes noted.
 */
static unsigned int v_rwatch_sweep(struct v_host *host, struct v_rwprobe *p,
				   struct list_head *ended)
{
	unsigned long down = v_rwatch_down(host), ivl = v_rwatch_interval(host);
	bool probe = p && time_after_eq(jiffies, host->rwatch_probe_at);
	struct v_watch_ent *we, *wtmp;
	struct v_rwreg *reg, *rtmp;
	unsigned int n = 0;

	list_for_each_entry_safe(we, wtmp, &host->rwatches, onode) {
		if (time_after(jiffies, we->heard + down)) {
			v_watch_fire(we, V_WHY_HOST_DOWN);
		} else if (probe && n < V_RWATCHES_MAX) {
			p[n].watcher = we->watcher->id;
			p[n++].watched = we->n.who;
		}
	}
	if (probe)
		host->rwatch_probe_at = jiffies + ivl;
	list_for_each_entry_safe(reg, rtmp, &host->rwregs, hnode) {
		unsigned long quiet = 3 * max(msecs_to_jiffies(reg->probe_ms), ivl) + HZ;

		if (reg->why) {
			v_rwreg_unlink(host, reg);
			list_add_tail(&reg->hnode, ended);
		} else if (time_after(jiffies, reg->heard + quiet)) {
			v_rwreg_free(host, reg);
		}
	}
	return n;
}

/*
 * Probe: a WATCH to a host the map knows; for one it does not, a WHERE
 * (a few per round), not a frame held for it.
 */
static void v_rwatch_probe(struct v_host *host, const struct v_rwprobe *p, u32 *asked,
			   unsigned int *nasked)
{
	u32 part = v_id_host(p->watched);
	unsigned int i;
	bool known;
	struct v_addr a;
	int link;

	rcu_read_lock();
	known = v_map_lookup(host, part, &link, &a);
	rcu_read_unlock();
	if (known) {
		v_net_xmit(host, part, v_rwatch_frame(host, V_PKT_WATCH, p->watcher, p->watched,
						      0, GFP_KERNEL));
		return;
	}
	for (i = 0; i < *nasked; i++)
		if (asked[i] == part)
			return;
	if (*nasked < V_RWATCH_QUERIES) {
		asked[(*nasked)++] = part;
		v_map_query(host, part);
	}
}

/*
 * Declare silent hosts down, probe the others once an interval, send the
 * NOTICEs of ended targets, drop registrations nobody probes any more.
 */
static void v_rwatch_work(struct work_struct *work)
{
	struct v_host *host = container_of(to_delayed_work(work), struct v_host, rwatch_work);
	struct v_rwprobe *p = kmalloc_array(V_RWATCHES_MAX, sizeof(*p), GFP_KERNEL);
	u32 asked[V_RWATCH_QUERIES];
	unsigned int i, n, nasked = 0;
	struct v_rwreg *reg, *tmp;
	LIST_HEAD(ended);
	bool more;

	spin_lock_bh(&host->ipc_lock);
	n = v_rwatch_sweep(host, p, &ended);
	more = !list_empty(&host->rwatches) || !list_empty(&host->rwregs);
	spin_unlock_bh(&host->ipc_lock);

	for (i = 0; i < n; i++)
		v_rwatch_probe(host, &p[i], asked, &nasked);
	kfree(p);
	list_for_each_entry_safe(reg, tmp, &ended, hnode) {
		v_net_xmit(host, v_id_host(reg->watcher),
			   v_rwatch_frame(host, V_PKT_NOTICE, reg->watcher, reg->watched, reg->why,
					  GFP_KERNEL));
		kfree(reg);
	}
	if (more)
		v_rwatch_kick(host, false);
}

void v_rwatch_host_init(struct v_host *host)
{
	INIT_LIST_HEAD(&host->rwatches);
	INIT_LIST_HEAD(&host->rwregs);
	host->rwatch_probe_at = jiffies;	/* a round is due (jiffies start near the wrap) */
	INIT_DELAYED_WORK(&host->rwatch_work, v_rwatch_work);
}

/* The namespace is going: no socket is left, so only ended registrations. */
void v_rwatch_host_exit(struct v_host *host)
{
	struct v_rwreg *reg, *tmp;

	cancel_delayed_work_sync(&host->rwatch_work);
	spin_lock_bh(&host->ipc_lock);
	list_for_each_entry_safe(reg, tmp, &host->rwregs, hnode)
		v_rwreg_free(host, reg);
	spin_unlock_bh(&host->ipc_lock);
	WARN_ON_ONCE(!list_empty(&host->rwatches));
}
