// SPDX-License-Identifier: GPL-2.0
/*
 * Authenticated frames: an opt-in cluster key per host (V_A_HOST_KEY), a
 * tag and a counter on every frame a keyed host puts on a link, and replay
 * protection on receipt.  The wire format is "Authenticated frames" in
 * uapi/linux/v.h.
 *
 * The keyed hash is HMAC-SHA256 through crypto_shash ("hmac(sha256)"):
 * shash is synchronous, so one tfm, keyed once when the key is set, serves
 * every CPU at once in softirq with a descriptor on the stack
 * (SHASH_DESC_ON_STACK); the tag is truncated to 16 bytes.
 *
 * Lifetime and locking: host->auth points to a struct v_auth that holds
 * the tfm, the send counter and the replay state of the peers heard from.
 * It is set, replaced and removed only in process context (netlink, or the
 * namespace going away) by swapping the pointer with xchg(), then waiting
 * for a grace period before the old one is freed with everything it holds
 * (synchronize_rcu(); crypto_free_shash() is not called in atomic
 * context).  Senders and receivers use it under rcu_read_lock() only: a
 * frame is signed or checked with whichever key was current when it
 * started, never with a freed one.  A new key starts with no replay state
 * (frames under the old key cannot pass its tag check anyway) and a send
 * counter no lower than the old one's.
 *
 * Each tag covers a scope: the host part the frame is sent to, or none
 * for the questions and announcements any host may take
 * (v_auth_for_all()), so a frame captured on its way to one host is no
 * good to another.  Frames for all have a counter space of their own per
 * sender, so a question that arrives late is not below the window of the
 * frames that went to this host meanwhile (frames a sender sent to other
 * hosts still leave holes in that window: its counter is one per sender).
 * A HERE that answers a WHERE of another wire version is tagged as for
 * all, as that version reads it.
 *
 * The replay state (struct v_auth_peer, one per source host part, with a
 * window per counter space) is a
 * hash table in struct v_auth under its spinlock, taken in softirq only
 * (every frame is received there) and, freeing aside, never from process
 * context while the v_auth is reachable.  It is bounded: when full,
 * entries whose highest counter is older than the freshness bound are
 * dropped (a counter at or below theirs would fail the freshness check
 * anyway), and a new host part that still finds no room is dropped and
 * counted as no memory.
 *
 * Limits, by design: a key removed and set again starts with no replay
 * state, so frames captured in the freshness bound before can be replayed
 * once; frames one sender's CPUs put on the wire out of counter order by
 * more than the window (64 frames), or across the start of its next epoch
 * (every V_WIRE_AUTH_EPOCH_S seconds of traffic), are dropped as replays
 * (V recovers them by retransmission); the Ethernet header is not covered.
 *
 * Counters count frames, not nanoseconds: a window of 64 nanoseconds
 * would drop as replays frames that two CPUs sent a microsecond apart
 * and a busy link delivered in the other order.
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/hash.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include "vkmod.h"

#define V_AUTH_BUCKETS		64
#define V_AUTH_PEERS_MAX	4096
#define V_AUTH_WINDOW		64	/* counters below the highest remembered */
#define V_AUTH_FRESH_S		(V_WIRE_AUTH_FRESH_MS / MSEC_PER_SEC)

/* One counter space of one sender, as a receiver remembers it. */
struct v_auth_window {
	u64 top;			/* highest counter accepted, 0: none yet */
	u64 seen;			/* bit i: counter top - i accepted */
};

/*
 * A sender's two counter spaces: frames signed for this host alone, and
 * frames signed for every host (v_auth_for_all()).  Apart, so that a
 * frame for all that this host never saw (a WHERE of another link) does
 * not leave a hole in the window of the frames sent to it.
 */
struct v_auth_peer {
	struct hlist_node node;
	u32 host_part;
	struct v_auth_window win[2];	/* [0]: to this host, [1]: to all */
};

struct v_auth {
	struct crypto_shash *tfm;
	atomic64_t ctr[2];		/* the last counter sent: to one host, to all */
	spinlock_t lock;		/* peers, nr_peers */
	unsigned int nr_peers;
	struct hlist_head peers[V_AUTH_BUCKETS];
};

/* The first counter of an epoch starting at second now. */
static u64 v_auth_epoch(time64_t now)
{
	return (u64)(u32)now << 32;
}

/* The epoch (seconds) a counter belongs to. */
static time64_t v_auth_ctr_secs(u64 ctr)
{
	return ctr >> 32;
}

static void v_auth_free(struct v_auth *a)
{
	struct v_auth_peer *p;
	struct hlist_node *tmp;
	int i;

	if (!a)
		return;
	for (i = 0; i < V_AUTH_BUCKETS; i++)
		hlist_for_each_entry_safe(p, tmp, &a->peers[i], node)
			kfree(p);
	crypto_free_shash(a->tfm);
	kfree(a);
}

/*
 * Set (len V_HOST_KEY_LEN) or remove (len 0) the host's key; process
 * context.  The old key, if any, is freed after a grace period.
 */
int v_auth_set(struct v_host *host, const u8 *key, unsigned int len)
{
	struct v_auth *a = NULL, *old;
	int err, i;

	if (len && len != V_HOST_KEY_LEN)
		return -EINVAL;
	if (len) {
		a = kzalloc(sizeof(*a), GFP_KERNEL);
		if (!a)
			return -ENOMEM;
		a->tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
		if (IS_ERR(a->tfm)) {
			err = PTR_ERR(a->tfm);
			kfree(a);
			return err;
		}
		err = crypto_shash_setkey(a->tfm, key, len);
		if (err) {
			crypto_free_shash(a->tfm);
			kfree(a);
			return err;
		}
		spin_lock_init(&a->lock);
		for (i = 0; i < V_AUTH_BUCKETS; i++)
			INIT_HLIST_HEAD(&a->peers[i]);
		atomic64_set(&a->ctr[0], v_auth_epoch(ktime_get_real_seconds()));
		atomic64_set(&a->ctr[1], atomic64_read(&a->ctr[0]));
	}
	old = unrcu_pointer(xchg(&host->auth, RCU_INITIALIZER(a)));
	for (i = 0; old && a && i < ARRAY_SIZE(a->ctr); i++) {
		/* Counters never go back, whatever the clock does. */
		s64 prev = atomic64_read(&old->ctr[i]);

		if (prev > atomic64_read(&a->ctr[i]))
			atomic64_set(&a->ctr[i], prev);
	}
	if (old) {
		synchronize_rcu();
		v_auth_free(old);
	}
	return 0;
}

bool v_auth_keyed(struct v_host *host)
{
	return rcu_access_pointer(host->auth);
}

/* Bytes a frame to another host carries beyond header and payload. */
unsigned int v_auth_overhead(struct v_host *host)
{
	return v_auth_keyed(host) ? sizeof(struct v_wire_auth) : 0;
}

/*
 * The frames any host may accept, signed for all (scope V_WIRE_AUTH_ALL):
 * questions and announcements sent by broadcast or multicast.  Every
 * other frame is signed for the host part it is sent to.
 */
bool v_auth_for_all(u8 type)
{
	switch (type) {
	case V_PKT_CLAIM:
	case V_PKT_WHERE:
	case V_PKT_GETPID:
	case V_PKT_GREQUEST:
	case V_PKT_GQUERY:
	case V_PKT_FENCE:
		return true;
	default:
		return false;
	}
}

/*
 * The truncated tag over scope and len bytes at data.  A frame for all
 * has no scope in its tag: it is tagged exactly as every frame was in
 * wire version 4, so CLAIM and WHERE stay readable across versions.
 */
static int v_auth_tag(struct v_auth *a, u32 scope, const u8 *data, unsigned int len,
		      u8 *tag)
{
	SHASH_DESC_ON_STACK(desc, a->tfm);
	u8 full[SHA256_DIGEST_SIZE];
	__be32 to = cpu_to_be32(scope);
	int err;

	desc->tfm = a->tfm;
	err = crypto_shash_init(desc);
	if (!err && scope != V_WIRE_AUTH_ALL)
		err = crypto_shash_update(desc, (const u8 *)&to, sizeof(to));
	if (!err)
		err = crypto_shash_finup(desc, data, len, full);
	shash_desc_zero(desc);
	memcpy(tag, full, V_WIRE_AUTH_TAG_LEN);
	memzero_explicit(full, sizeof(full));
	return err;
}

/*
 * The next counter: one more than the last, or the start of a new epoch
 * once the current one is V_WIRE_AUTH_EPOCH_S old (a receiver with no
 * state takes only fresh epochs; dense counters keep reordered frames
 * inside its 64-frame window).  A clock that goes back never takes the
 * counter with it.
 */
static u64 v_auth_next(atomic64_t *ctr)
{
	time64_t now = ktime_get_real_seconds();
	s64 old = atomic64_read(ctr), next;

	do {
		next = old + 1;
		if (v_auth_ctr_secs(old) + V_WIRE_AUTH_EPOCH_S <= now)
			next = max_t(u64, next, v_auth_epoch(now));
	} while (!atomic64_try_cmpxchg(ctr, &old, next));
	return next;
}

/*
 * Sign a frame about to go on a link (skb->data at its V header, len set)
 * for host part to (a frame for all ignores it): flag, counter and tag,
 * when the host has a key.  0, or -errno (the caller drops the frame).
 */
int v_auth_sign(struct v_host *host, struct sk_buff *skb, u32 to)
{
	struct v_wire_hdr *h;
	struct v_auth *a;
	unsigned int n;
	bool all;
	__be64 ctr;
	u8 *tr;
	int err = 0;

	rcu_read_lock();
	a = rcu_dereference(host->auth);
	if (!a)
		goto out;
	err = -ENOMEM;
	if (skb_linearize(skb) ||
	    ((skb_cloned(skb) || skb_tailroom(skb) < sizeof(struct v_wire_auth)) &&
	     pskb_expand_head(skb, 0, sizeof(struct v_wire_auth), GFP_ATOMIC)))
		goto out;
	h = (struct v_wire_hdr *)skb->data;
	h->flags |= htons(V_WIRE_F_AUTH);
	all = v_auth_for_all(h->type) || to == V_WIRE_AUTH_ALL;
	n = skb->len;
	tr = skb_put(skb, sizeof(struct v_wire_auth));
	ctr = cpu_to_be64(v_auth_next(&a->ctr[all]));
	memcpy(tr, &ctr, sizeof(ctr));	/* unaligned after the payload */
	err = v_auth_tag(a, all ? V_WIRE_AUTH_ALL : to, skb->data, n + sizeof(__be64),
			 tr + sizeof(__be64));
out:
	rcu_read_unlock();
	return err;
}

static struct hlist_head *v_auth_bucket(struct v_auth *a, u32 host_part)
{
	return &a->peers[hash_32(host_part, ilog2(V_AUTH_BUCKETS))];
}

/* Drop the peers whose counters are all past the freshness bound; locked. */
static void v_auth_evict(struct v_auth *a, time64_t now)
{
	struct v_auth_peer *p;
	struct hlist_node *tmp;
	int i;

	for (i = 0; i < V_AUTH_BUCKETS; i++)
		hlist_for_each_entry_safe(p, tmp, &a->peers[i], node)
			if (v_auth_ctr_secs(max(p->win[0].top, p->win[1].top)) + V_AUTH_FRESH_S <
			    now) {
				hlist_del(&p->node);
				kfree(p);
				a->nr_peers--;
			}
}

/*
 * Accept counter ctr in window w once: 0, or -EEXIST for a replay (seen,
 * below the window, or not fresh in a window that holds nothing yet).
 */
/* Is counter ctr's epoch within the freshness bound of now? */
static bool v_auth_ctr_fresh(u64 ctr, time64_t now)
{
	time64_t secs = v_auth_ctr_secs(ctr);

	return secs + V_AUTH_FRESH_S >= now && secs <= now + V_AUTH_FRESH_S;
}

static int v_auth_window_take(struct v_auth_window *w, u64 ctr, time64_t now)
{
	u64 d;

	if (!w->top) {
		if (!v_auth_ctr_fresh(ctr, now))
			return -EEXIST;
		w->top = ctr;
		w->seen = 1;
	} else if (ctr > w->top) {
		d = ctr - w->top;
		w->seen = d >= V_AUTH_WINDOW ? 1 : (w->seen << d) | 1;
		w->top = ctr;
	} else {
		d = w->top - ctr;
		if (d >= V_AUTH_WINDOW || (w->seen & BIT_ULL(d)))
			return -EEXIST;
		w->seen |= BIT_ULL(d);
	}
	return 0;
}

/*
 * Accept counter ctr from host_part once, in its space for this host or
 * for all (softirq, tag already checked): 0, -EEXIST for a replay or
 * -ENOMEM.
 */
static int v_auth_fresh(struct v_auth *a, u32 host_part, bool all, u64 ctr)
{
	time64_t now = ktime_get_real_seconds();
	struct v_auth_peer *p;
	int err;

	spin_lock(&a->lock);
	hlist_for_each_entry(p, v_auth_bucket(a, host_part), node)
		if (p->host_part == host_part)
			break;
	if (!p) {
		/* A stale first counter makes no entry (and evicts nothing). */
		err = -EEXIST;
		if (!v_auth_ctr_fresh(ctr, now))
			goto out;
		if (a->nr_peers >= V_AUTH_PEERS_MAX)
			v_auth_evict(a, now);
		p = a->nr_peers < V_AUTH_PEERS_MAX ? kzalloc(sizeof(*p), GFP_ATOMIC) : NULL;
		err = -ENOMEM;
		if (!p)
			goto out;
		p->host_part = host_part;
		hlist_add_head(&p->node, v_auth_bucket(a, host_part));
		a->nr_peers++;
	}
	err = v_auth_window_take(&p->win[all], ctr, now);
out:
	spin_unlock(&a->lock);
	return err;
}

/*
 * Check a frame from a link (softirq; header pulled, version and type
 * checked).  True when it may be handled: the host has no key and the
 * frame no tag, or the tag is right and the counter fresh.  Dropped
 * frames are counted; the caller frees them.  The trailer stays for the
 * caller to trim with the rest of what follows the payload.
 */
bool v_auth_rcv(struct v_host *host, struct sk_buff *skb)
{
	const struct v_wire_hdr *h = (const void *)skb->data;
	bool flagged = h->flags & htons(V_WIRE_F_AUTH);
	u8 tag[V_WIRE_AUTH_TAG_LEN];
	enum v_stat why = V_A_STAT_DROP_AUTH;
	const u8 *tr;
	__be64 ctr;
	struct v_auth *a;
	u32 len, room;
	bool all;
	int err;

	rcu_read_lock();
	a = rcu_dereference(host->auth);
	if (!a) {
		rcu_read_unlock();
		if (!flagged)
			return true;
		v_stat_inc(host, V_A_STAT_DROP_AUTH);
		return false;
	}
	if (!flagged)
		goto drop;
	len = be32_to_cpu(h->len);
	room = skb->len - sizeof(*h);
	if (room < sizeof(struct v_wire_auth) || len > room - sizeof(struct v_wire_auth) ||
	    !pskb_may_pull(skb, sizeof(*h) + len + sizeof(struct v_wire_auth)))
		goto drop;
	h = (const void *)skb->data;
	tr = skb->data + sizeof(*h) + len;
	/* A CLAIM, WHERE or HERE of another version is tagged as for all. */
	all = v_auth_for_all(h->type) || h->version != V_WIRE_VERSION;
	if (v_auth_tag(a, all ? V_WIRE_AUTH_ALL : v_host_part(host), skb->data,
		       sizeof(*h) + len + sizeof(ctr), tag))
		goto drop;
	/*
	 * A RELAY is for all (relayed to a link) or for this host (a DENY
	 * sent back to the host that relayed its CLAIM: relay.c), and counts
	 * in that scope's counter space.
	 */
	if (crypto_memneq(tag, tr + sizeof(ctr), sizeof(tag))) {
		if (h->type != V_PKT_RELAY || all)
			goto drop;
		all = true;
		if (v_auth_tag(a, V_WIRE_AUTH_ALL, skb->data, sizeof(*h) + len + sizeof(ctr),
			       tag) || crypto_memneq(tag, tr + sizeof(ctr), sizeof(tag)))
			goto drop;
	}
	memcpy(&ctr, tr, sizeof(ctr));
	err = v_auth_fresh(a, be32_to_cpu(h->src_host), all, be64_to_cpu(ctr));
	if (err) {
		why = err == -ENOMEM ? V_A_STAT_DROP_NOMEM : V_A_STAT_DROP_REPLAY;
		goto drop;
	}
	rcu_read_unlock();
	return true;
drop:
	rcu_read_unlock();
	v_stat_inc(host, why);
	return false;
}

/* The namespace is going away: no frame can use the key any more. */
void v_auth_host_exit(struct v_host *host)
{
	if (rcu_access_pointer(host->auth))
		v_auth_set(host, NULL, 0);
}
