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
 *
 * The copier counts in the sender's transaction (ipc.c) and a Send waits
 * for its copiers before it returns, so the copier must never wait for its
 * own memory while it counts: a buffer behind userfaultfd or a slow FUSE
 * mapping would keep the sender past its timeout and its signals.  So
 * each page is copied with page faults disabled; when that stops short,
 * the copier pauses, faults its buffer in, and resumes only if it still
 * holds the same transaction (generic_perform_write()'s pattern).
 */
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include "vkmod.h"
#include "compat.h"

#define V_SEG_BATCH	16	/* pages pinned at a time */

/*
 * Copy one piece between a pinned page of the segment and the caller's
 * buffer with page faults disabled: the caller's memory may be anything
 * (userfaultfd, FUSE) and must not be waited for while the copier counts.
 * The __ variants (access_ok was checked): plain copy_from_user()
 * zero-fills what it could not copy, which would write zeros into the
 * sender's segment.  Returns the bytes not copied.
 */
static size_t v_seg_copy_page(struct page *page, unsigned long off,
			      void __user *ubuf, size_t n, bool to_seg)
{
	void *kaddr = kmap_local_page(page);
	size_t left;

	pagefault_disable();
	if (to_seg)
		left = __copy_from_user_inatomic(kaddr + off, ubuf, n);
	else
		left = __copy_to_user_inatomic(ubuf, kaddr + off, n);
	pagefault_enable();
	kunmap_local(kaddr);
	return left;
}

/*
 * Fault in the caller's buffer with the copy paused (ipc.c): the sender's
 * Send may time out or be interrupted meanwhile, and then the copy ends
 * with -ENOENT, as if the caller no longer held the message.
 */
static int v_seg_fault_in(struct v_copy *c, void __user *ubuf, size_t n, bool to_seg)
{
	size_t miss;
	int err;

	v_txn_copy_pause(c);
	if (to_seg)
		miss = fault_in_readable(ubuf, n);
	else
		miss = fault_in_safe_writeable(ubuf, n);
	err = v_txn_copy_resume(c);
	if (!err && miss == n)
		err = -EFAULT;		/* not one byte can be faulted in */
	if (!err && fatal_signal_pending(current))
		err = -EINTR;
	return err;
}

/* Pin the next batch of the segment, as process_vm_rw_single_vec() does. */
static long v_seg_pin(struct mm_struct *mm, unsigned long addr, size_t len,
		      bool to_seg, struct page **pages)
{
	unsigned long off = offset_in_page(addr);
	unsigned long nr = min_t(unsigned long, DIV_ROUND_UP(off + len, PAGE_SIZE),
				 V_SEG_BATCH);
	int locked = 1;
	long pinned;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	pinned = v_pin_user_pages_remote(mm, addr - off, nr, to_seg ? FOLL_WRITE : 0,
					 pages, &locked);
	if (locked)
		mmap_read_unlock(mm);
	if (pinned == 0 || (pinned < 0 && pinned != -EINTR && pinned != -ENOMEM))
		return -EFAULT;
	return pinned;
}

int v_seg_copy(struct v_copy *c, void __user *ubuf, size_t len, bool to_seg)
{
	struct page *pages[V_SEG_BATCH];
	unsigned long addr = c->addr;
	struct mm_struct *mm = c->mm;
	int err = 0;

	if (!access_ok(ubuf, len))
		return -EFAULT;
	if (!mmget_not_zero(mm))
		return -ENOENT;		/* the sender is exiting */
	while (len && !err) {
		size_t left = 0, n = 0;
		long pinned, i;

		pinned = v_seg_pin(mm, addr, len, to_seg, pages);
		if (pinned < 0) {
			err = pinned;
			break;
		}
		for (i = 0; i < pinned && len && !left; i++) {
			n = min_t(size_t, PAGE_SIZE - offset_in_page(addr), len);
			left = v_seg_copy_page(pages[i], offset_in_page(addr), ubuf, n,
					       to_seg);
			ubuf += n - left;
			addr += n - left;
			len -= n - left;
		}
		unpin_user_pages_dirty_lock(pages, pinned, to_seg);
		if (left) {
			/* Nor keep the sender's memory alive while we wait. */
			mmput(mm);
			err = v_seg_fault_in(c, ubuf, left, to_seg);
			if (!err && !mmget_not_zero(mm))
				err = -ENOENT;
			if (err)
				return err;
		} else if (len && fatal_signal_pending(current)) {
			err = -EINTR;
		}
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
		return v_notice_not_held(vs, m->pid, false);
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
		v_txn_copy_end(&c);
	}
	if (!err && to_seg)
		trace_v_move_to(v_host_part(vs->host), m->pid, c.seq, vs->id, m->len);
	else if (!err)
		trace_v_move_from(v_host_part(vs->host), m->pid, c.seq, vs->id, m->len);
out:
	v_peer_put(&p);
	if (err == -ENOENT)
		err = v_notice_not_held(vs, m->pid, false);
	return err;
}
