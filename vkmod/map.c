// SPDX-License-Identifier: GPL-2.0
/*
 * The mapping table: where a host part lives (which attached link, which
 * address on it), and the claims that keep host parts unique.
 *
 * Every accepted frame for this host (never one for all, such as a WHERE
 * or a GREQUEST: anyone may send those in another's name) teaches the
 * table its source host part's link and address, and so do CLAIM and
 * HERE, so an entry corrects itself when a host comes back with another
 * address or on another link (such a host also claims its part again,
 * which tells everyone at once).  An entry keeps a path per link the host
 * part was heard on (struct v_map_path): frames go by the one last heard
 * from, and one that goes silent gives way to another at once.  A frame
 * for a host part with no entry waits while a WHERE query asks for it
 * (where.c); an entry a client's retransmissions get no answer through,
 * with no other path, is dropped as stale, and one nobody used or heard
 * from for the host's map-age is aged out.  Ids
 * never change when addresses do.
 *
 * Host parts are claimed when an interface is attached, and collisions
 * found later are fenced: see "Host parts" in uapi/linux/v.h.
 *
 * Locking: writers (softirq receive, link removal, the aging work) take
 * map_lock with _bh; readers use RCU; entries are freed with kfree_rcu.
 * map_lock also guards the claim state (claiming, claim_denied).  The
 * table is bounded (V_MAP_MAX entries per host); when full, new host parts
 * are not learned, and each frame for them waits for a HERE of its own.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include "vkmod.h"

#define V_MAP_MAX	4096

/*
 * One way to a host part: a link and the address on it.  A host reachable
 * over several links has a path on each (learned from its frames on each:
 * its CLAIMs and HEREs come on every link it shares with us); frames go by
 * the current one, the one last heard from, and a current path that goes
 * silent is given up for another at once (v_map_stale()).
 */
struct v_map_path {
	int link;			/* the link's id (link.c) */
	struct v_addr addr;
	u8 state;			/* enum v_path_state */
	unsigned long last;		/* jiffies: last heard on it */
	struct v_cc cc;			/* trains by it (cc.c) */
};

struct v_map_entry {
	struct hlist_node node;
	u32 host_part;
	struct v_map_path path[V_MAP_PATHS];
	u8 npaths;
	u8 cur;				/* path[cur]: where frames go */
	u8 state;			/* enum v_map_state */
	u8 version;			/* its wire version, as last heard */
	u32 features;			/* V_WIRE_FEAT_* of its last CLAIM or HERE */
	unsigned long last;		/* jiffies: last heard from or used */
	/* its pulses delivered here: the newest number, the 64 below it */
	u64 pulse_top;
	u64 pulse_seen;
	struct rcu_head rcu;
};

static void v_map_gc_arm(struct v_host *host)
{
	unsigned long ivl = msecs_to_jiffies(max(READ_ONCE(host->map_age_ms) / 4, 250U));

	queue_delayed_work(system_wq, &host->map_gc, ivl);
}

/* Unlink and free e; map_lock held. */
static void v_map_remove(struct v_host *host, struct v_map_entry *e)
{
	hlist_del_rcu(&e->node);
	host->nr_map--;
	kfree_rcu(e, rcu);
}

static struct hlist_head *v_map_bucket(struct v_host *host, u32 host_part)
{
	return &host->map[v_host_hash(host, host_part, ilog2(V_MAP_BUCKETS))];
}

static struct v_map_entry *v_map_find(struct v_host *host, u32 host_part)
{
	struct v_map_entry *e;

	hlist_for_each_entry_rcu(e, v_map_bucket(host, host_part), node,
				 lockdep_is_held(&host->map_lock))
		if (e->host_part == host_part)
			return e;
	return NULL;
}

/*
 * Put n in the table in place of e (a copy of it), or as a new entry
 * (e NULL, then true); map_lock held.  Entries are replaced, never
 * changed in place, so readers never see half an update; only the pulse
 * window and the congestion state (cc.c), which no reader without
 * map_lock looks at but the dump's one word, change in place.
 */
static bool v_map_publish(struct v_host *host, struct v_map_entry *e, struct v_map_entry *n)
{
	if (e) {
		hlist_replace_rcu(&e->node, &n->node);
		kfree_rcu(e, rcu);
		return false;
	}
	hlist_add_head_rcu(&n->node, v_map_bucket(host, n->host_part));
	host->nr_map++;
	return true;
}

/* A copy of e to change and publish, or a new entry (NULL e). */
static struct v_map_entry *v_map_copy(const struct v_map_entry *e)
{
	if (e)
		return kmemdup(e, sizeof(*e), GFP_ATOMIC);
	return kzalloc(sizeof(struct v_map_entry), GFP_ATOMIC);
}

/* The path of e on link, or NULL. */
static struct v_map_path *v_map_path_on(struct v_map_entry *e, int link)
{
	unsigned int i;

	for (i = 0; i < e->npaths; i++)
		if (e->path[i].link == link)
			return &e->path[i];
	return NULL;
}

/*
 * Make path i of n its current one; the Moves counted on the old one
 * (cc.c) go with it, as they are the host part's, not the path's.
 */
static void v_map_path_use(struct v_map_entry *n, unsigned int i)
{
	struct v_map_path *old = &n->path[n->cur], *p = &n->path[i];

	if (i == n->cur)
		return;
	p->cc.movers = old->cc.movers;
	old->cc.movers = 0;
	n->cur = i;
}

/*
 * The path of e heard from last, other than its current one and not
 * silent itself; -1 when there is none.
 */
static int v_map_path_other(const struct v_map_entry *e)
{
	int i, best = -1;

	for (i = 0; i < e->npaths; i++)
		if (i != e->cur && e->path[i].state == V_PATH_UP &&
		    (best < 0 || time_after(e->path[i].last, e->path[best].last)))
			best = i;
	return best;
}

/*
 * Take path i out of n (a copy being changed, with another path): the
 * current one goes to the path heard from last.
 */
static void v_map_path_drop(struct v_map_entry *n, unsigned int i)
{
	int other;

	if (i == n->cur) {
		other = v_map_path_other(n);
		v_map_path_use(n, other >= 0 ? other : (i ? 0 : 1));
	}
	n->path[i] = n->path[--n->npaths];
	if (n->cur == n->npaths)
		n->cur = i;
}

/*
 * n (a copy being changed) heard from on from's link and address: that
 * path, new or refreshed (one per link: an address heard on a link
 * replaces the one it had), becomes current.  A full set gives up the
 * path heard from longest ago.
 */
static void v_map_path_heard(struct v_map_entry *n, const struct v_rx_cb *from)
{
	struct v_map_path *p = n->npaths ? v_map_path_on(n, from->link) : NULL;
	unsigned int i, old = 0;

	u32 movers = n->npaths ? n->path[n->cur].cc.movers : 0;

	if (!p && n->npaths < V_MAP_PATHS) {
		p = &n->path[n->npaths++];
		v_cc_init(&p->cc);
	} else if (!p) {
		for (i = 1; i < n->npaths; i++)
			if (time_before(n->path[i].last, n->path[old].last))
				old = i;
		p = &n->path[old];
		v_cc_init(&p->cc);
	} else if (!v_addr_equal(&p->addr, &from->from)) {
		v_cc_init(&p->cc);		/* another address now: a window of its own */
	}
	/* The Moves counted are the host part's: they stay with the current path. */
	if (p == &n->path[n->cur])
		p->cc.movers = movers;
	p->link = from->link;
	p->addr = from->from;
	p->state = V_PATH_UP;
	p->last = jiffies;
	v_map_path_use(n, p - n->path);
}

/* Mark host_part as claimed twice (confirmed); map_lock held. */
static void v_map_fence_locked(struct v_host *host, u32 host_part)
{
	struct v_map_entry *e, *n;

	e = v_map_find(host, host_part);
	if ((!e && host->nr_map < V_MAP_MAX) || (e && e->state != V_MAP_FENCED)) {
		n = v_map_copy(e);
		if (n) {
			n->host_part = host_part;
			n->state = V_MAP_FENCED;
			n->last = jiffies;
			if (v_map_publish(host, e, n))
				v_map_gc_arm(host);	/* a fence ages too */
			pr_warn_ratelimited("vkmod: host part %#x is claimed by two hosts: fenced\n",
					    host_part);
		}
	}
}

/*
 * What a frame of host_part taught us: where it is, which wire version it
 * speaks and (announce: a CLAIM or HERE) its features.
 */
static void v_map_set(struct v_host *host, u32 host_part, const struct v_rx_cb *from,
		      u8 version, u32 features, bool announce)
{
	struct v_map_entry *e, *n;

	rcu_read_lock();
	spin_lock_bh(&host->map_lock);
	/*
	 * A frame received just before its link went: the link's paths are
	 * flushed after it is off the list (link.c), so none is added now.
	 */
	if (!v_link_get(host, from->link))
		goto out;
	e = v_map_find(host, host_part);
	if (e && e->state == V_MAP_FENCED)
		goto out;	/* only an admin lifts a fence */
	if (!e && host->nr_map >= V_MAP_MAX)
		goto out;	/* full: reached by broadcast */
	n = v_map_copy(e);
	if (!n)
		goto out;
	n->host_part = host_part;
	v_map_path_heard(n, from);
	if (announce || n->version != version)
		n->features = announce ? features : 0;
	/*
	 * A CLAIM or HERE may be a restarted host, whose pulse numbers come
	 * from a clock that may have gone back: a new window.
	 */
	if (announce) {
		n->pulse_top = 0;
		n->pulse_seen = 0;
	}
	n->version = version;
	n->state = version == V_WIRE_VERSION ? V_MAP_LEARNED : V_MAP_VERSION;
	n->last = jiffies;
	if (v_map_publish(host, e, n))
		v_map_gc_arm(host);
out:
	spin_unlock_bh(&host->map_lock);
	rcu_read_unlock();
}

/*
 * Does host_part's entry already say what a frame of this wire version
 * from this link and address says (and, announce: its features)?  Then it
 * is only refreshed, and a fence stays as it is: the usual case, nothing
 * new.
 */
static bool v_map_known(struct v_host *host, u32 host_part, const struct v_rx_cb *from,
			bool announce, u32 features)
{
	struct v_map_entry *e;
	bool known;

	rcu_read_lock();
	e = v_map_find(host, host_part);
	known = e && (e->state == V_MAP_FENCED ||
		      (e->state == V_MAP_LEARNED && e->npaths &&
		       e->path[e->cur].link == from->link &&
		       e->path[e->cur].state == V_PATH_UP &&
		       v_addr_equal(&e->path[e->cur].addr, &from->from) &&
		       (!announce || e->features == features)));
	if (known && e->state != V_MAP_FENCED) {
		WRITE_ONCE(e->last, jiffies);
		WRITE_ONCE(e->path[e->cur].last, jiffies);
	}
	rcu_read_unlock();
	return known;
}

/*
 * A frame of this wire version for this host from host_part (skb, its
 * link and source in v_rx_cb()): what it says, and what was held for it
 * (where.c).
 */
void v_map_learn(struct v_host *host, u32 host_part, const struct sk_buff *skb)
{
	const struct v_rx_cb *from = v_rx_cb(skb);

	if (!host_part || host_part == v_host_part(host) || !v_addr_valid(&from->from))
		return;
	if (!v_map_known(host, host_part, from, false, 0))
		v_map_set(host, host_part, from, V_WIRE_VERSION, 0, false);
	v_where_release(host, host_part, skb, true);
}

/*
 * A CLAIM or HERE of any wire version: its version and features, and an
 * answer to a FENCE being confirmed: a second nonce there is a second
 * live host with that part.
 */
static void v_map_announced(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_claim *c = (const void *)(h + 1);
	const struct v_rx_cb *from = v_rx_cb(skb);
	u32 src = be32_to_cpu(h->src_host), features = be32_to_cpu(c->features);
	u64 nonce = get_unaligned_be64(&c->nonce);
	bool fenced = false;

	/* Relayed: its sender is not reachable through the relaying host. */
	if (from->relayed || !v_addr_valid(&from->from))
		return;
	/* A host answering as before, while no FENCE about it is confirmed. */
	if (READ_ONCE(host->confirm_part) != src && h->version == V_WIRE_VERSION &&
	    v_map_known(host, src, from, true, features)) {
		v_where_release(host, src, skb, true);
		return;
	}
	spin_lock_bh(&host->map_lock);
	if (host->confirm_part == src && nonce &&
	    time_before(jiffies, host->confirm_until)) {
		/* The window stays closed to others until it ends, fenced or not. */
		if (!host->confirm_nonce) {
			host->confirm_nonce = nonce;
		} else if (host->confirm_nonce != nonce) {
			v_map_fence_locked(host, src);
			fenced = true;
		}
	}
	spin_unlock_bh(&host->map_lock);
	if (!fenced)
		v_map_set(host, src, from, h->version, features, true);
	v_where_release(host, src, skb, !fenced && h->version == V_WIRE_VERSION);
}

/*
 * Someone says host_part is claimed twice: ask where it is, and fence it
 * if two hosts answer (v_map_announced()).  One confirmation at a time, so
 * a flood of FENCEs costs one WHERE per V_FENCE_CONFIRM_MS.
 */
static void v_map_fence_heard(struct v_host *host, u32 host_part)
{
	struct v_map_entry *e;
	bool ask = false;

	if (!host_part || host_part == v_host_part(host))
		return;
	spin_lock_bh(&host->map_lock);
	e = v_map_find(host, host_part);
	if (e && e->state == V_MAP_FENCED) {
		/* already fenced: nothing to ask */
	} else if (!host->confirm_part || time_after_eq(jiffies, host->confirm_until)) {
		host->confirm_part = host_part;
		host->confirm_until = jiffies + msecs_to_jiffies(V_FENCE_CONFIRM_MS);
		host->confirm_nonce = 0;
		ask = true;
	}
	spin_unlock_bh(&host->map_lock);
	if (ask)
		v_map_query(host, host_part);
}

/* Where is host_part?  Caller holds rcu_read_lock().  A use keeps it. */
bool v_map_lookup(struct v_host *host, u32 host_part, int *link, struct v_addr *a)
{
	struct v_map_entry *e = v_map_find(host, host_part);

	if (!e || e->state != V_MAP_LEARNED || !e->npaths)
		return false;
	*link = e->path[e->cur].link;
	*a = e->path[e->cur].addr;
	WRITE_ONCE(e->last, jiffies);
	return true;
}

/*
 * At most once per ms: whether *at (jiffies of the last time, 0 for never)
 * is that old, and then it is now.  Racing callers may both go: a frame
 * more, never a frame fewer.
 */
static bool v_map_due(unsigned long *at, unsigned int ms)
{
	unsigned long last = READ_ONCE(*at);

	if (last && time_before(jiffies, last + msecs_to_jiffies(ms)))
		return false;
	WRITE_ONCE(*at, jiffies ?: 1);
	return true;
}

/*
 * A host part said to run another version is asked again (WHERE, which
 * every version answers with HERE), at most once per V_FENCE_CONFIRM_MS:
 * on an unkeyed link anyone can claim that of a live host, and the live
 * host's answer puts it right.
 */
static void v_map_recheck(struct v_host *host, u32 host_part)
{
	if (v_map_due(&host->recheck_at, V_FENCE_CONFIRM_MS))
		v_map_query(host, host_part);
}

/*
 * May a PULSE numbered n from host_part be delivered: not seen before,
 * and not below the window of the newest seen (pulse.c)?  A host part
 * the map does not hold has no window yet: a frame to this host teaches
 * the map before it is dispatched, so that is one the map was full for.
 */
bool v_map_pulse_fresh(struct v_host *host, u32 host_part, u64 n)
{
	struct v_map_entry *e;
	bool fresh = true;
	u64 d;

	spin_lock_bh(&host->map_lock);
	e = v_map_find(host, host_part);
	if (e && n > e->pulse_top) {
		d = n - e->pulse_top;
		e->pulse_seen = (d >= 64 ? 0 : e->pulse_seen << d) | 1;
		e->pulse_top = n;
	} else if (e) {
		d = e->pulse_top - n;
		fresh = d < 64 && !(e->pulse_seen & BIT_ULL(d));
		if (fresh)
			e->pulse_seen |= BIT_ULL(d);
	}
	spin_unlock_bh(&host->map_lock);
	return fresh;
}

/*
 * Congestion state of trains to host_part (cc.c), under map_lock: blocks
 * for a train begun now, and the epoch it carries; the end of one; a Move
 * to host_part beginning (d 1) or ending (-1).  A host part the map does
 * not hold (the table full, an entry dropped meanwhile) moves at the
 * ceiling: V_WIRE_TRAIN blocks a train.
 */
unsigned int v_map_cc_begin(struct v_host *host, u32 host_part, u32 *epoch)
{
	unsigned int blocks = V_WIRE_TRAIN;
	struct v_map_entry *e;

	*epoch = 0;
	spin_lock_bh(&host->map_lock);
	e = v_map_find(host, host_part);
	if (e && e->npaths) {
		blocks = v_cc_blocks(&e->path[e->cur].cc);
		*epoch = e->path[e->cur].cc.epoch;
	}
	spin_unlock_bh(&host->map_lock);
	return blocks;
}

void v_map_cc_end(struct v_host *host, u32 host_part, bool lost, u32 epoch)
{
	struct v_map_entry *e;

	spin_lock_bh(&host->map_lock);
	e = v_map_find(host, host_part);
	if (e && e->npaths)
		v_cc_done(&e->path[e->cur].cc, lost, epoch);
	spin_unlock_bh(&host->map_lock);
}

void v_map_cc_join(struct v_host *host, u32 host_part, int d)
{
	struct v_map_entry *e;

	spin_lock_bh(&host->map_lock);
	e = v_map_find(host, host_part);
	if (e && e->npaths)
		v_cc_join(&e->path[e->cur].cc, d);
	spin_unlock_bh(&host->map_lock);
}

/*
 * May traffic go to host_part: 0, -EHOSTUNREACH when it is claimed by two
 * hosts, -EPROTO when it runs another wire version.
 */
int v_map_reach(struct v_host *host, u32 host_part)
{
	struct v_map_entry *e;
	int err = 0;

	rcu_read_lock();
	e = v_map_find(host, host_part);
	if (e && e->state == V_MAP_FENCED)
		err = -EHOSTUNREACH;
	else if (e && e->state == V_MAP_VERSION)
		err = -EPROTO;
	rcu_read_unlock();
	if (err == -EPROTO)
		v_map_recheck(host, host_part);
	return err;
}

/*
 * Frames to host_part go unanswered by its current path: give it up for
 * another (a failover, counted; the failed one is marked silent until
 * heard from again), or, with no other (forget: drop), forget where we
 * thought the host part was, so a WHERE asks every link.
 */
static void __v_map_stale(struct v_host *host, u32 host_part, bool forget)
{
	struct v_map_entry *e, *n;
	int other;

	spin_lock_bh(&host->map_lock);
	e = v_map_find(host, host_part);
	if (!e || e->state != V_MAP_LEARNED)
		goto out;
	other = v_map_path_other(e);
	if (other >= 0) {
		n = v_map_copy(e);
		if (n) {
			n->path[n->cur].state = V_PATH_SILENT;
			v_map_path_use(n, other);
			v_map_publish(host, e, n);
			v_stat_inc(host, V_A_STAT_FAILOVERS);
		}
	} else if (forget) {
		v_map_remove(host, e);
		v_stat_inc(host, V_A_STAT_MAP_STALE);
	}
out:
	spin_unlock_bh(&host->map_lock);
}

void v_map_stale(struct v_host *host, u32 host_part)
{
	__v_map_stale(host, host_part, true);
}

/* A mover's trains to host_part go unanswered: another path if it has one. */
void v_map_failover(struct v_host *host, u32 host_part)
{
	__v_map_stale(host, host_part, false);
}

/* An admin forgets an entry (and so lifts a fence). */
int v_map_del(struct v_host *host, u32 host_part)
{
	struct v_map_entry *e;

	spin_lock_bh(&host->map_lock);
	e = v_map_find(host, host_part);
	if (e)
		v_map_remove(host, e);
	spin_unlock_bh(&host->map_lock);
	return e ? 0 : -ENOENT;
}

/* A claim-family frame: the V header and a struct v_wire_claim. */
static struct sk_buff *v_map_frame(struct v_host *host, u8 type, u32 about)
{
	struct sk_buff *skb = v_net_alloc(host, type, sizeof(struct v_wire_claim), GFP_ATOMIC);
	struct v_wire_claim *c;

	if (!skb)
		return NULL;
	c = skb_put_zero(skb, sizeof(*c));
	c->nonce = cpu_to_be64(host->nonce);
	c->host = cpu_to_be32(about);
	if (type == V_PKT_CLAIM || type == V_PKT_HERE)
		c->features = cpu_to_be32(V_WIRE_FEATURES);
	return skb;
}

/* Our part is asked for (q): HERE, to the asker (host part to) alone. */
static void v_map_answer_where(struct v_host *host, const struct sk_buff *q, u32 to)
{
	struct sk_buff *ans = v_map_frame(host, V_PKT_HERE, 0);

	if (ans)
		v_net_answer(host, q, to, ans);
}

/* Ask every host where host_part lives (a mapping-table miss). */
void v_map_query(struct v_host *host, u32 host_part)
{
	struct sk_buff *skb = v_map_frame(host, V_PKT_WHERE, host_part);

	if (!skb)
		return;
	v_stat_inc(host, V_A_STAT_MAP_QUERIES);
	v_net_broadcast(host, skb, false, V_WIRE_AUTH_ALL);
}

/* Tell the hosts on l (or every link; RTNL or RCU) that our part lives here. */
void v_map_announce(struct v_host *host, struct v_link *l)
{
	struct sk_buff *skb = v_map_frame(host, V_PKT_CLAIM, 0);

	if (!skb)
		return;
	if (l)
		v_net_bcast_link(host, l, skb, false, V_WIRE_AUTH_ALL);
	else
		v_net_broadcast(host, skb, false, V_WIRE_AUTH_ALL);
}

/*
 * Claim our host part on the attached links (process context, no RTNL):
 * -EADDRINUSE when another host has it.  A part drawn at random while no
 * process exists yet is drawn again instead.
 */
int v_map_claim(struct v_host *host)
{
	bool denied;
	int i, tries;

	v_race_sleep(V_RACE_LINK_CLAIM);
	for (tries = 0; ; tries++) {
		spin_lock_bh(&host->map_lock);
		host->claiming = true;
		host->claim_denied = false;
		spin_unlock_bh(&host->map_lock);
		for (i = 0; i < V_CLAIM_TRIES; i++) {
			v_map_announce(host, NULL);
			if (wait_event_timeout(host->claim_wait, READ_ONCE(host->claim_denied),
					       msecs_to_jiffies(V_CLAIM_MS)))
				break;
		}
		spin_lock_bh(&host->map_lock);
		host->claiming = false;
		denied = host->claim_denied;
		spin_unlock_bh(&host->map_lock);
		if (!denied)
			return 0;
		pr_info_ratelimited("vkmod: host part %#x is in use on the network\n",
				    v_host_part(host));
		if (READ_ONCE(host->part_chosen) || tries == 3 || v_host_redraw(host))
			return -EADDRINUSE;
	}
}

/* Someone else (skb's sender) has our host part: count it, say so, fence it. */
void v_map_collision(struct v_host *host, const struct sk_buff *skb)
{
	const struct v_rx_cb *from = v_rx_cb(skb);
	struct sk_buff *fence;

	v_stat_inc(host, V_A_STAT_COLLISIONS);
	if (!v_map_due(&host->fence_sent, MSEC_PER_SEC))
		return;
	pr_warn_ratelimited("vkmod: host part %#x also used by a host on link %d\n",
			    v_host_part(host), from->link);
	fence = v_map_frame(host, V_PKT_FENCE, v_host_part(host));
	if (fence)
		v_net_broadcast(host, fence, false, V_WIRE_AUTH_ALL);
}

/* Another host has our part: a claim in its window fails; count it. */
static void v_map_denied(struct v_host *host)
{
	spin_lock_bh(&host->map_lock);
	if (host->claiming)
		host->claim_denied = true;
	spin_unlock_bh(&host->map_lock);
	wake_up(&host->claim_wait);
	v_stat_inc(host, V_A_STAT_COLLISIONS);
}

/*
 * CLAIM, DENY, WHERE, HERE and FENCE (softirq, header length checked).
 * Returns false for every other frame type, which the caller handles.
 */
bool v_map_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	const struct v_wire_claim *c = (const void *)(h + 1);
	u32 src = be32_to_cpu(h->src_host);
	u8 relayed = v_rx_cb(skb)->relayed;
	struct sk_buff *ans;
	bool mine = src == v_host_part(host);

	if (h->type < V_PKT_CLAIM || h->type > V_PKT_FENCE)
		return false;
	if (be32_to_cpu(h->len) < sizeof(*c) || !src) {
		v_stat_inc(host, V_A_STAT_DROP_SHORT);
		goto out;
	}
	if (mine && get_unaligned_be64(&c->nonce) == host->nonce)
		goto out;	/* our own frame, looped back */
	if (h->version != V_WIRE_VERSION) {
		/*
		 * Only a CLAIM, WHERE or HERE gets here (net.c): a CLAIM or
		 * HERE names its sender's version, a WHERE for our part is
		 * answered in ours.
		 */
		if (mine)
			goto out;
		if (h->type == V_PKT_CLAIM || h->type == V_PKT_HERE)
			v_map_announced(host, skb);
		else if (h->type == V_PKT_WHERE && be32_to_cpu(c->host) == v_host_part(host))
			v_map_answer_where(host, skb, V_WIRE_AUTH_ALL);	/* as it reads it */
		goto out;
	}

	switch (h->type) {
	case V_PKT_CLAIM:
		if (!mine) {
			v_map_announced(host, skb);
			if (!relayed) {
				v_rwatch_claimed(host, src);
				v_relay_out(host, skb, 0);	/* to hosts of our other links */
			}
			break;
		}
		/* Our part, claimed by another: say it is ours, and if we are
		 * claiming it ourselves right now, neither gets it.
		 */
		v_map_denied(host);
		ans = v_map_frame(host, V_PKT_DENY, 0);
		if (ans && relayed)	/* back through the host that relayed the CLAIM */
			v_relay_answer(host, skb, relayed, ans);
		else if (ans)		/* for the claimer, whose part is ours */
			v_net_answer(host, skb, src, ans);
		break;
	case V_PKT_DENY:
		if (mine)
			v_map_denied(host);
		else if (relayed == 1)	/* answering a CLAIM we relayed: on to the claimer */
			v_relay_out(host, skb, relayed);
		break;
	case V_PKT_FENCE:
		if (mine) {
			v_stat_inc(host, V_A_STAT_COLLISIONS);
			break;
		}
		v_map_fence_heard(host, be32_to_cpu(c->host));
		if (!relayed)
			v_relay_out(host, skb, 0);
		break;
	default:	/* WHERE, HERE */
		if (mine) {
			v_map_collision(host, skb);
			break;
		}
		/*
		 * A WHERE is for every host and teaches nothing (anyone may
		 * send one in another's name); a HERE is for us.
		 */
		if (h->type == V_PKT_HERE)
			v_map_announced(host, skb);
		else if (be32_to_cpu(c->host) == v_host_part(host))
			v_map_answer_where(host, skb, src);
	}
out:
	kfree_skb(skb);
	return true;
}

/* Drop entries nobody used or heard from for map-age. */
static void v_map_gc(struct work_struct *work)
{
	struct v_host *host = container_of(to_delayed_work(work), struct v_host, map_gc);
	unsigned long age = msecs_to_jiffies(READ_ONCE(host->map_age_ms));
	struct v_map_entry *e;
	struct hlist_node *tmp;
	bool more;
	int i;

	spin_lock_bh(&host->map_lock);
	for (i = 0; i < V_MAP_BUCKETS; i++)
		hlist_for_each_entry_safe(e, tmp, &host->map[i], node)
			if (time_after(jiffies, READ_ONCE(e->last) + age)) {
				v_map_remove(host, e);
				v_stat_inc(host, V_A_STAT_MAP_AGED);
			}
	more = host->nr_map;
	spin_unlock_bh(&host->map_lock);
	if (more)
		v_map_gc_arm(host);
}

/* A new map-age: entries are looked at again now, and at its pace. */
void v_map_set_age(struct v_host *host, unsigned int ms)
{
	WRITE_ONCE(host->map_age_ms, ms);
	mod_delayed_work(system_wq, &host->map_gc, 0);
}

void v_map_host_init(struct v_host *host)
{
	spin_lock_init(&host->map_lock);
	init_waitqueue_head(&host->claim_wait);
	host->nonce = get_random_u64();
	host->map_age_ms = V_MAP_AGE_MS_DEFAULT;
	INIT_DELAYED_WORK(&host->map_gc, v_map_gc);
	v_where_host_init(host);
}

void v_map_host_exit(struct v_host *host)
{
	cancel_delayed_work_sync(&host->map_gc);
	v_map_flush(host, 0);
	v_where_purge(host);
}

/*
 * Forget the paths on a link (0: every entry), and the entries left with
 * none; a fence has no path and stays.
 */
void v_map_flush(struct v_host *host, int link)
{
	struct v_map_entry *e, *n;
	struct hlist_node *tmp;
	struct v_map_path *p;
	int i;

	spin_lock_bh(&host->map_lock);
	for (i = 0; i < V_MAP_BUCKETS; i++)
		hlist_for_each_entry_safe(e, tmp, &host->map[i], node) {
			if (link && e->state == V_MAP_FENCED)
				continue;
			p = link ? v_map_path_on(e, link) : NULL;
			if (link && !p)
				continue;
			if (!link || e->npaths == 1) {
				v_map_remove(host, e);
				continue;
			}
			n = v_map_copy(e);
			if (!n) {
				v_map_remove(host, e);
				continue;
			}
			v_map_path_drop(n, p - e->path);
			v_map_publish(host, e, n);
		}
	spin_unlock_bh(&host->map_lock);
}

/* A path's link and address: an Ethernet link's id is its ifindex too. */
static int v_map_put_where(struct sk_buff *skb, const struct v_map_path *p)
{
	if (nla_put_u32(skb, V_A_LINK_ID, p->link))
		return -EMSGSIZE;
	if (p->addr.family == V_ADDR_ETH)
		return nla_put_u32(skb, V_A_LINK_IFINDEX, p->link) ||
		       nla_put(skb, V_A_LINK_ADDR, ETH_ALEN, p->addr.mac) ? -EMSGSIZE : 0;
	return v_addr_put(skb, V_A_LINK_ENDPOINT, &p->addr);
}

/*
 * Where an entry's frames go (its current path, at the top level as
 * before paths existed), and every path it has, with its state, age and
 * window.  A fence has none: ifindex 0 and a zero address, as before.
 */
static int v_map_fill_path(struct sk_buff *skb, const struct v_map_entry *e)
{
	static const u8 none[ETH_ALEN];
	struct nlattr *all, *one;
	unsigned int i;

	if (!e->npaths)
		return nla_put_u32(skb, V_A_LINK_IFINDEX, 0) ||
		       nla_put(skb, V_A_LINK_ADDR, ETH_ALEN, none) ? -EMSGSIZE : 0;
	if (v_map_put_where(skb, &e->path[e->cur]))
		return -EMSGSIZE;
	all = nla_nest_start(skb, V_A_MAP_PATHS);
	if (!all)
		return -EMSGSIZE;
	for (i = 0; i < e->npaths; i++) {
		const struct v_map_path *p = &e->path[i];
		u32 age = jiffies_to_msecs(jiffies - READ_ONCE(p->last));

		one = nla_nest_start(skb, V_A_MAP_PATH);
		if (!one || v_map_put_where(skb, p) ||
		    nla_put_u8(skb, V_A_MAP_PATH_STATE, i == e->cur ? V_PATH_CURRENT : p->state) ||
		    nla_put_u32(skb, V_A_MAP_CWND, READ_ONCE(p->cc.cwnd)) ||
		    nla_put_u32(skb, V_A_MAP_AGE_MS, age))
			return -EMSGSIZE;
		nla_nest_end(skb, one);
	}
	nla_nest_end(skb, all);
	return 0;
}

/* The paths on link, and (*cur) how many of them are current; RCU or RTNL. */
u32 v_map_link_paths(struct v_host *host, int link, u32 *cur)
{
	struct v_map_entry *e;
	u32 all = 0;
	int b, i;

	*cur = 0;
	rcu_read_lock();
	for (b = 0; b < V_MAP_BUCKETS; b++)
		hlist_for_each_entry_rcu(e, &host->map[b], node)
			for (i = 0; i < e->npaths; i++)
				if (e->path[i].link == link) {
					all++;
					*cur += i == e->cur;
				}
	rcu_read_unlock();
	return all;
}

/* Dump the table (cb->args: bucket, position in it). */
int v_map_dump(struct v_host *host, struct sk_buff *skb, struct netlink_callback *cb)
{
	long bucket = cb->args[0], skip = cb->args[1], i;
	struct v_map_entry *e;

	rcu_read_lock();
	for (; bucket < V_MAP_BUCKETS; bucket++, skip = 0) {
		i = 0;
		hlist_for_each_entry_rcu(e, &host->map[bucket], node) {
			void *hdr;

			if (i++ < skip)
				continue;
			hdr = v_genl_dump_start(skb, cb, V_CMD_MAP_GET);
			if (!hdr)
				goto full;
			if (nla_put_u32(skb, V_A_MAP_HOST, e->host_part) ||
			    v_map_fill_path(skb, e) ||
			    nla_put_u8(skb, V_A_MAP_STATE, e->state) ||
			    nla_put_u8(skb, V_A_MAP_VERSION, e->version) ||
			    nla_put_u32(skb, V_A_MAP_FEATURES, e->features) ||
			    nla_put_u32(skb, V_A_MAP_CWND, e->npaths ?
					READ_ONCE(e->path[e->cur].cc.cwnd) : 0) ||
			    nla_put_u32(skb, V_A_MAP_AGE_MS,
					jiffies_to_msecs(jiffies - READ_ONCE(e->last)))) {
				genlmsg_cancel(skb, hdr);
				goto full;
			}
			genlmsg_end(skb, hdr);
			cb->args[1] = i;
		}
		cb->args[0] = bucket + 1;
		cb->args[1] = 0;
	}
full:
	rcu_read_unlock();
	return skb->len;
}
