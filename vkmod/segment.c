// SPDX-License-Identifier: GPL-2.0
/*
 * Segment copies: MoveTo, MoveFrom and the data of ReceiveWithSegment and
 * ReplyWithSegment, directly between the caller's memory and the segment a
 * blocked sender granted - one copy, no kernel bounce buffer.
 *
 * The caller's own thread does the copy (the model is
 * mm/process_vm_access.c): pin a batch of the sender's pages under the
 * sender's mmap read lock, drop that lock, then copy each page against the
 * caller's buffer through kmap_local_page().  Dropping the lock before
 * touching the caller's memory matters: sender and receiver may share one
 * mm (two sockets of one process), and faulting in the caller's buffer
 * while holding it could deadlock.
 *
 * The sender's mm is kept by a reference taken in v_txn_copy_begin() (its
 * pages stay pinned only for one batch), and mmget_not_zero() fails once
 * the sender is exiting.  Any fault on either side is -EFAULT, never an
 * oops and never a partial copy reported as success; a fault on the
 * caller's side never writes anything the caller did not supply.
 */
#include <linux/highmem.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include "vkmod.h"
#include "compat.h"

#define V_SEG_BATCH	16	/* pages pinned at a time */

int v_seg_copy(const struct v_copy *c, void __user *ubuf, size_t len, bool to_seg)
{
	unsigned int gup = to_seg ? FOLL_WRITE : 0;
	struct page *pages[V_SEG_BATCH];
	unsigned long addr = c->addr;
	struct mm_struct *mm = c->mm;
	int err = 0;

	if (!access_ok(ubuf, len))
		return -EFAULT;
	if (!mmget_not_zero(mm))
		return -ENOENT;		/* the sender is exiting */
	while (len && !err) {
		unsigned long off = offset_in_page(addr);
		unsigned long nr = min_t(unsigned long, DIV_ROUND_UP(off + len, PAGE_SIZE),
					 V_SEG_BATCH);
		int locked = 1;
		long pinned, i;

		if (mmap_read_lock_killable(mm)) {
			err = -EINTR;
			break;
		}
		pinned = v_pin_user_pages_remote(mm, addr - off, nr, gup, pages, &locked);
		if (locked)
			mmap_read_unlock(mm);
		if (pinned <= 0) {
			err = pinned ? (int)pinned : -EFAULT;
			if (err != -EINTR && err != -ENOMEM)
				err = -EFAULT;
			break;
		}
		for (i = 0; i < pinned && len; i++) {
			size_t n = min_t(size_t, PAGE_SIZE - off, len);
			void *kaddr = kmap_local_page(pages[i]);
			unsigned long left;

			/*
			 * The __ variants (access_ok was checked above): plain
			 * copy_from_user() zero-fills what it could not copy,
			 * which would write zeros into the sender's segment.
			 */
			if (to_seg)
				left = __copy_from_user(kaddr + off, ubuf, n);
			else
				left = __copy_to_user(ubuf, kaddr + off, n);
			kunmap_local(kaddr);
			if (left) {
				err = -EFAULT;
				break;
			}
			ubuf += n;
			addr += n;
			len -= n;
			off = 0;
		}
		unpin_user_pages_dirty_lock(pages, pinned, to_seg);
		if (!err && len && fatal_signal_pending(current))
			err = -EINTR;
		cond_resched();
	}
	mmput(mm);
	return err;
}

/* MoveTo (to_seg) and MoveFrom. */
int v_seg_move(struct v_sock *vs, const struct v_move *m, bool to_seg)
{
	struct v_peer p;
	struct v_copy c;
	int err;

	if (m->flags || m->reserved || !m->pid)
		return -EINVAL;
	if (v_peer_get(vs, m->pid, &p))
		return -ENOENT;
	if (p.alien) {
		/* A remote sender's segment moves as packet trains (train.c). */
		err = v_train_move(vs, p.alien, m, to_seg);
		goto out;
	}
	err = v_txn_copy_begin(vs, p.sock, to_seg ? V_SEG_WRITE : V_SEG_READ,
			       m->offset, m->len, 0, &c);
	if (!err) {
		if (m->len)
			err = v_seg_copy(&c, u64_to_user_ptr(m->addr), m->len, to_seg);
		v_txn_copy_end(p.sock, &c);
	}
	if (!err && to_seg)
		trace_v_move_to(vs->host->host_part, m->pid, c.seq, vs->id, m->len);
	else if (!err)
		trace_v_move_from(vs->host->host_part, m->pid, c.seq, vs->id, m->len);
out:
	v_peer_put(&p);
	return err;
}
