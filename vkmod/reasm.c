// SPDX-License-Identifier: GPL-2.0
/*
 * Fragmented REQUESTs (wire version 8): a read-granted segment of up to
 * V_WIRE_REQ_DATA_MAX bytes travels with its message in several frames,
 * each a whole REQUEST with a piece of the data, so that a page write is
 * Send, ReceiveWithSegment, Reply (one round trip) as in the seeds.  This
 * file holds the pieces until every one is in; alien.c then delivers the
 * message with the whole data, as it delivers an unfragmented one.
 *
 * What a frame can make a host allocate here is bounded: at most
 * V_WIRE_REQ_PARTIAL_MAX incomplete REQUESTs (V_WIRE_REQ_PARTIAL_HOST per
 * source host part), each of data_total bytes (checked against
 * V_WIRE_REQ_DATA_MAX before this file sees it), one per client (a newer
 * transaction of the client replaces its older one).  They are not charged
 * to a receiver: nobody has been chosen yet, and a frame may name any.
 * Without room the first fragment is delivered alone (the receiver moves
 * the rest with MoveFrom), so filling the table from a LAN slows page
 * writes down to what they cost before this file, and loses nothing.
 *
 * The table is a list, oldest first, scanned in full (at most 64 entries)
 * for every fragment: short, and nothing in it can be steered into one
 * hash chain.
 *
 * Locking: host->reasm_lock (taken with BH off: frames arrive in softirq,
 * the host's exit runs in process context) covers the list, its count and
 * every entry on it; an entry taken off the list is its taker's.
 */
#include <linux/bitops.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "vkmod.h"

struct v_reasm {
	struct list_head node;	/* host->reasm, oldest first */
	u64 client;
	u64 src;		/* the source it counts against (v_alien_src_key()) */
	u32 seq;
	unsigned long born;	/* jiffies of its first fragment */
	u64 mask;		/* fragments held */
	u32 total;		/* data_total */
	u32 piece;		/* bytes of every fragment but the last; 0: none seen */
	u32 last_off;		/* where the last one starts, once seen */
	u8 frags;
	u8 *data;		/* total bytes: an allocation of their own, never
				 * past an order-3 block for V_WIRE_REQ_DATA_MAX
				 */
};

static void v_reasm_free_entry(struct v_reasm *e)
{
	kfree(e->data);
	kfree(e);
}

/* Unlink e (reasm_lock held); the caller frees it or hands it on. */
static void v_reasm_unlink(struct v_host *host, struct v_reasm *e)
{
	list_del(&e->node);
	host->nr_reasm--;
}

/* Drop every entry older than V_WIRE_REQ_PARTIAL_MS (reasm_lock held). */
static void v_reasm_expire(struct v_host *host)
{
	unsigned long old = jiffies - msecs_to_jiffies(V_WIRE_REQ_PARTIAL_MS);
	struct v_reasm *e, *tmp;

	list_for_each_entry_safe(e, tmp, &host->reasm, node) {
		if (time_after(e->born, old))
			break;		/* the rest are younger */
		v_reasm_unlink(host, e);
		v_reasm_free_entry(e);
	}
}

/* client's entry, and how many entries source src has (reasm_lock held). */
static struct v_reasm *v_reasm_lookup(struct v_host *host, u64 client, u64 src,
				      unsigned int *from_src)
{
	struct v_reasm *e, *found = NULL;

	*from_src = 0;
	list_for_each_entry(e, &host->reasm, node) {
		if (e->client == client)
			found = e;
		if (e->src == src)
			(*from_src)++;
	}
	return found;
}

/* A new entry for the fragment's transaction, or NULL: no room, no memory. */
static struct v_reasm *v_reasm_new(struct v_host *host, const struct v_wire_hdr *h,
				   const struct v_wire_request *req, u64 src,
				   unsigned int from_src)
{
	u32 total = be32_to_cpu(req->data_total);
	struct v_reasm *e;

	if (host->nr_reasm >= V_WIRE_REQ_PARTIAL_MAX || from_src >= V_WIRE_REQ_PARTIAL_HOST)
		return NULL;
	e = kzalloc(sizeof(*e), GFP_ATOMIC | __GFP_NOWARN);
	if (!e)
		return NULL;
	e->data = kmalloc(total, GFP_ATOMIC | __GFP_NOWARN);
	if (!e->data) {
		kfree(e);
		return NULL;
	}
	e->client = get_unaligned_be64(&h->client);
	e->seq = be32_to_cpu(h->seq);
	e->src = src;
	e->born = jiffies;
	e->total = total;
	e->frags = req->frags;
	list_add_tail(&e->node, &host->reasm);
	if (!host->nr_reasm++)
		schedule_delayed_work(&host->reasm_gc, msecs_to_jiffies(V_WIRE_REQ_PARTIAL_MS));
	return e;
}

/*
 * Does the fragment fit the ones held: every fragment but the last of one
 * length (piece), the last at (frags - 1) x piece?  With the offsets
 * alien.c checked (frag x len, the last ending at total), fragments that
 * fit tile the data exactly: no byte is left unwritten.
 */
static bool v_reasm_fits(struct v_reasm *e, const struct v_wire_request *req)
{
	u32 off = be32_to_cpu(req->data_off), len = be32_to_cpu(req->data_len);

	if (req->frag == e->frags - 1) {
		if (e->piece && off != (e->frags - 1) * e->piece)
			return false;
		e->last_off = off;
		return true;
	}
	if ((e->piece && len != e->piece) ||
	    (e->mask & BIT_ULL(e->frags - 1) && e->last_off != (e->frags - 1) * len))
		return false;
	e->piece = len;
	return true;
}

/*
 * Take fragment req (of a REQUEST whose fields alien.c checked: frag <
 * frags, the piece inside data_total) with its data.  Returns the entry,
 * off the table and the caller's to v_reasm_free(), once it holds every
 * fragment; otherwise NULL and *res says what became of the fragment.
 */
struct v_reasm *v_reasm_add(struct v_host *host, const struct v_wire_hdr *h,
			    const struct v_wire_request *req, const void *data, u64 src,
			    enum v_reasm_res *res)
{
	u64 client = get_unaligned_be64(&h->client);
	u32 seq = be32_to_cpu(h->seq);
	u32 off = be32_to_cpu(req->data_off), len = be32_to_cpu(req->data_len);
	struct v_reasm *e, *whole = NULL;
	unsigned int from_src;

	*res = V_REASM_HELD;
	spin_lock_bh(&host->reasm_lock);
	v_reasm_expire(host);
	e = v_reasm_lookup(host, client, src, &from_src);
	if (e && e->seq != seq) {
		if ((s32)(seq - e->seq) < 0) {
			*res = V_REASM_STALE;	/* the client has moved on */
			goto out;
		}
		v_reasm_unlink(host, e);	/* its newer transaction */
		if (e->src == src)
			from_src--;
		v_reasm_free_entry(e);
		e = NULL;
	}
	if (!e)
		e = v_reasm_new(host, h, req, src, from_src);
	if (!e) {
		*res = V_REASM_NO_ROOM;
		goto out;
	}
	if (e->frags != req->frags || e->total != be32_to_cpu(req->data_total) ||
	    e->src != src || !v_reasm_fits(e, req)) {
		*res = V_REASM_BAD;
		goto out;
	}
	if (!(e->mask & BIT_ULL(req->frag))) {
		memcpy(e->data + off, data, len);
		e->mask |= BIT_ULL(req->frag);
	}
	if (hweight64(e->mask) == e->frags) {
		v_reasm_unlink(host, e);
		whole = e;
	}
out:
	spin_unlock_bh(&host->reasm_lock);
	return whole;
}

const void *v_reasm_data(const struct v_reasm *e, u32 *len)
{
	*len = e->total;
	return e->data;
}

void v_reasm_free(struct v_reasm *e)
{
	v_reasm_free_entry(e);
}

/* Incomplete REQUESTs go after V_WIRE_REQ_PARTIAL_MS even when no more fragments come. */
static void v_reasm_gc(struct work_struct *work)
{
	struct v_host *host = container_of(to_delayed_work(work), struct v_host, reasm_gc);

	spin_lock_bh(&host->reasm_lock);
	v_reasm_expire(host);
	if (host->nr_reasm)
		schedule_delayed_work(&host->reasm_gc, msecs_to_jiffies(V_WIRE_REQ_PARTIAL_MS));
	spin_unlock_bh(&host->reasm_lock);
}

void v_reasm_host_init(struct v_host *host)
{
	spin_lock_init(&host->reasm_lock);
	INIT_LIST_HEAD(&host->reasm);
	INIT_DELAYED_WORK(&host->reasm_gc, v_reasm_gc);
}

/* The host goes: its links are gone, so no fragment comes any more. */
void v_reasm_host_exit(struct v_host *host)
{
	struct v_reasm *e, *tmp;

	cancel_delayed_work_sync(&host->reasm_gc);
	spin_lock_bh(&host->reasm_lock);
	list_for_each_entry_safe(e, tmp, &host->reasm, node) {
		v_reasm_unlink(host, e);
		v_reasm_free_entry(e);
	}
	spin_unlock_bh(&host->reasm_lock);
}
