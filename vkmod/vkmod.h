/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vkmod internal definitions shared by the files of the module.
 *
 * Files and their concerns:
 *   main.c    module load/unload and module-wide parameters
 *   host.c    per-network-namespace V host state (one netns = one V host)
 *   id.c      the host's process table: id allocation and lookup
 *   socket.c  the AF_V socket family: create, release, poll, ioctl dispatch
 *   ipc.c     local transactions: Send, Receive, Reply, Forward (owns the
 *             locking and lifetime rules of transactions)
 *   segment.c direct copies to and from a sender's segment (MoveTo/MoveFrom)
 *   registry.c logical ids (SetPid / GetPid)
 *   compat.h  differences between the supported kernel versions
 */
#ifndef _VKMOD_H
#define _VKMOD_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <linux/atomic.h>
#include <linux/wait.h>
#include <linux/ktime.h>
#include <linux/uidgid.h>
#include <net/sock.h>
#include <uapi/linux/v.h>

/* Module parameters (main.c). */
extern int v_family;
extern u64 v_seg_max;
extern unsigned int v_reply_seg_max;
extern unsigned int v_init_host_part;

/*
 * One V host per network namespace (host.c).
 *
 * Locking: id_lock (a mutex, process context only) serialises id allocation
 * and host-part changes, so a host part can only change while no process
 * exists.  procs is an xarray with its own lock; lookups run under RCU only
 * (see id.c).
 */
struct v_host {
	struct net *net;
	struct mutex id_lock;		/* id allocation, host_part, nr_procs */
	struct xarray procs;		/* index -> struct v_sock */
	u32 next_index;			/* cyclic allocation cursor */
	u32 generation;			/* bumped when next_index wraps */
	u32 host_part;
	unsigned int nr_procs;		/* under id_lock */
	spinlock_t ipc_lock;		/* all transaction state: see ipc.c */
	struct mutex reg_lock;		/* logical id registrations: registry.c */
	struct xarray regs;		/* logical id -> struct v_reg */
};

/* Transaction states; see ipc.c for the transitions. */
enum v_txn_state {
	V_TXN_IDLE,
	V_TXN_QUEUED,		/* on holder->rxq, not yet received */
	V_TXN_RECEIVED,		/* on holder->held, awaiting Reply */
	V_TXN_DONE,		/* replied: msg holds the reply */
	V_TXN_FAILED,		/* ended without a reply: error says why */
};

/*
 * One Send in progress, embedded in the sending process (at most one Send
 * per socket), so the fast path allocates nothing.  Fields below "queued"
 * are written by the sender before the txn is queued and only read by
 * others while it is QUEUED or RECEIVED.
 */
struct v_txn {
	/* under host->ipc_lock */
	enum v_txn_state state;
	int error;
	struct v_sock *holder;		/* receiver holding it (QUEUED, RECEIVED) */
	struct list_head node;		/* in holder->rxq or holder->held */
	struct v_msg msg;		/* request, then reply */
	u64 replier;
	u64 forwarder;			/* last forwarder, 0 if none */
	unsigned int copiers;		/* segment copies in flight */
	bool detached;			/* sender left the ioctl to be stopped */
	pid_t waiter;			/* the thread that sent it (for its restart) */

	/* queued: fixed while QUEUED or RECEIVED */
	u32 seq;			/* tells one Send of this socket from the next */
	unsigned long seg_addr;
	u64 seg_len;
	u32 seg_access;
	struct mm_struct *mm;		/* mmgrab()ed while a segment is granted */
	kuid_t uid;
	kgid_t gid;
	struct pid *tgid;
	ktime_t deadline;		/* 0: no timeout */
};

/* A V process: one AF_V socket. */
struct v_sock {
	struct sock sk;			/* must be first */
	struct v_host *host;
	u64 id;				/* 0 until registered */

	/* under host->ipc_lock */
	struct list_head rxq;		/* txns queued for Receive, FIFO */
	struct list_head held;		/* txns received, not yet replied */
	unsigned int rxq_len;		/* read locklessly by poll */
	bool dead;			/* shut down: no more messages */

	unsigned long flags;		/* V_SOCK_* bits */
	wait_queue_head_t tx_wait;	/* the thread in Send waits here */
	struct v_txn txn;		/* the outgoing transaction */

	/* under host->reg_lock */
	unsigned int nr_regs;		/* logical ids naming this process */
	bool regs_closed;		/* released: no new registrations */
};

#define V_SOCK_SENDING	0		/* a Send is in progress */

/* A reference to a sender's segment held for one copy (ipc.c). */
struct v_copy {
	struct mm_struct *mm;
	unsigned long addr;
	u32 seq;
};

static inline struct v_sock *v_sk(const struct sock *sk)
{
	return container_of(sk, struct v_sock, sk);
}

/* host.c */
struct v_host *v_host_get(const struct net *net);
int v_host_set_host_part(struct v_host *host, u32 host_part);
int v_host_init(void);
void v_host_exit(void);

/* id.c */
int v_id_register(struct v_host *host, struct v_sock *vs);
void v_id_unregister(struct v_sock *vs);
struct v_sock *v_id_lookup(struct v_host *host, u64 id);

/* ipc.c */
void v_ipc_init_sock(struct v_sock *vs);
int v_ipc_send(struct v_sock *vs, struct v_send __user *uarg);
int v_ipc_receive(struct v_sock *vs, struct v_receive *r, bool with_seg, bool nonblock);
int v_ipc_receive_unwind(struct v_sock *vs, u64 sender_id);
int v_ipc_reply(struct v_sock *vs, const struct v_reply *r, bool with_seg);
int v_ipc_forward(struct v_sock *vs, const struct v_forward *f);
void v_ipc_shutdown(struct v_sock *vs);
void v_ipc_release(struct v_sock *vs);
struct v_sock *v_ipc_find(struct v_sock *vs, u64 id, int *err);
int v_txn_copy_begin(struct v_sock *vs, struct v_sock *sender, u32 access,
		     u64 offset, u64 len, u32 seq, struct v_copy *c);
void v_txn_copy_end(struct v_sock *sender, struct v_copy *c);

/* segment.c */
int v_seg_copy(const struct v_copy *c, void __user *ubuf, size_t len, bool to_seg);
int v_seg_move(struct v_sock *vs, const struct v_move *m, bool to_seg);

/* registry.c */
int v_reg_set(struct v_sock *vs, const struct v_pid *p);
int v_reg_get(struct v_sock *vs, struct v_pid *p);
void v_reg_release(struct v_sock *vs);
void v_reg_host_exit(struct v_host *host);

/* socket.c */
int v_socket_init(void);
void v_socket_exit(void);

#endif /* _VKMOD_H */
