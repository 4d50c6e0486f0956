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
 * The replay state (struct v_auth_peer, one per source host part) is a
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

struct v_auth_peer {
	struct hlist_node node;
	u32 host_part;
	u64 top;			/* highest counter accepted */
	u64 seen;			/* bit i: counter top - i accepted */
};

struct v_auth {
	struct crypto_shash *tfm;
	atomic64_t ctr;			/* the last counter sent */
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
		atomic64_set(&a->ctr, v_auth_epoch(ktime_get_real_seconds()));
	}
	old = unrcu_pointer(xchg(&host->auth, RCU_INITIALIZER(a)));
	if (old && a) {
		/* Counters never go back, whatever the clock does. */
		s64 prev = atomic64_read(&old->ctr);

		if (prev > atomic64_read(&a->ctr))
			atomic64_set(&a->ctr, prev);
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

/* The truncated tag over len bytes at data. */
static int v_auth_tag(struct v_auth *a, const u8 *data, unsigned int len, u8 *tag)
{
	SHASH_DESC_ON_STACK(desc, a->tfm);
	u8 full[SHA256_DIGEST_SIZE];
	int err;

	desc->tfm = a->tfm;
	err = crypto_shash_digest(desc, data, len, full);
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
static u64 v_auth_next(struct v_auth *a)
{
	time64_t now = ktime_get_real_seconds();
	s64 old = atomic64_read(&a->ctr), next;

	do {
		next = old + 1;
		if (v_auth_ctr_secs(old) + V_WIRE_AUTH_EPOCH_S <= now)
			next = max_t(u64, next, v_auth_epoch(now));
	} while (!atomic64_try_cmpxchg(&a->ctr, &old, next));
	return next;
}

/*
 * Sign a frame about to go on a link (skb->data at its V header, len set):
 * flag, counter and tag, when the host has a key.  0, or -errno (the
 * caller drops the frame).
 */
int v_auth_sign(struct v_host *host, struct sk_buff *skb)
{
	struct v_wire_hdr *h;
	struct v_auth *a;
	unsigned int n;
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
	n = skb->len;
	tr = skb_put(skb, sizeof(struct v_wire_auth));
	ctr = cpu_to_be64(v_auth_next(a));
	memcpy(tr, &ctr, sizeof(ctr));	/* unaligned after the payload */
	err = v_auth_tag(a, skb->data, n + sizeof(__be64), tr + sizeof(__be64));
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
			if (v_auth_ctr_secs(p->top) + V_AUTH_FRESH_S < now) {
				hlist_del(&p->node);
				kfree(p);
				a->nr_peers--;
			}
}

/*
 * Accept counter ctr from host_part once (softirq, tag already checked):
 * 0, -EEXIST for a replay (seen, below the window, or not fresh for a host
 * part with no state) or -ENOMEM.
 */
static int v_auth_fresh(struct v_auth *a, u32 host_part, u64 ctr)
{
	struct v_auth_peer *p;
	time64_t now, secs;
	int err = 0;
	u64 d;

	spin_lock(&a->lock);
	hlist_for_each_entry(p, v_auth_bucket(a, host_part), node)
		if (p->host_part == host_part)
			break;
	if (!p) {
		now = ktime_get_real_seconds();
		secs = v_auth_ctr_secs(ctr);
		if (secs + V_AUTH_FRESH_S < now || secs > now + V_AUTH_FRESH_S) {
			err = -EEXIST;
			goto out;
		}
		if (a->nr_peers >= V_AUTH_PEERS_MAX)
			v_auth_evict(a, now);
		p = a->nr_peers < V_AUTH_PEERS_MAX ? kzalloc(sizeof(*p), GFP_ATOMIC) : NULL;
		if (!p) {
			err = -ENOMEM;
			goto out;
		}
		p->host_part = host_part;
		p->top = ctr;
		p->seen = 1;
		hlist_add_head(&p->node, v_auth_bucket(a, host_part));
		a->nr_peers++;
	} else if (ctr > p->top) {
		d = ctr - p->top;
		p->seen = d >= V_AUTH_WINDOW ? 1 : (p->seen << d) | 1;
		p->top = ctr;
	} else {
		d = p->top - ctr;
		if (d >= V_AUTH_WINDOW || (p->seen & BIT_ULL(d)))
			err = -EEXIST;
		else
			p->seen |= BIT_ULL(d);
	}
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
	if (v_auth_tag(a, skb->data, sizeof(*h) + len + sizeof(ctr), tag) ||
	    crypto_memneq(tag, tr + sizeof(ctr), sizeof(tag)))
		goto drop;
	memcpy(&ctr, tr, sizeof(ctr));
	err = v_auth_fresh(a, be32_to_cpu(h->src_host), be64_to_cpu(ctr));
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
