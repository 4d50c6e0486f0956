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
 *   link.c    links attached to V: the list, the bearer-neutral calls
 *   eth.c     the raw Ethernet bearer: frames of V's EtherType, netdevice
 *             notifier
 *   udp.c     the UDP bearer: V frames in UDP over IPv4 and IPv6
 *   relay.c   claims relayed between links (RELAY)
 *   map.c     the mapping table: host part -> link and address, host
 *             part claims and collisions, aging
 *   where.c   frames held while WHERE asks where their host is
 *   group.c   process groups: membership, members queries, GetReply
 *   net.c     frames: building, sending, receiving, the client side of
 *             remote transactions (retransmission, host-down)
 *   alien.c   the server side of remote transactions: aliens
 *   notice.c  death and unblock notices, watches, expired messages
 *   rwatch.c  watches across hosts: WATCH, WATCHED, UNWATCH, NOTICE
 *   train.c   packet trains: MoveTo / MoveFrom on a remote segment
 *   netlink.c the generic netlink family (configuration, inspection)
 *   auth.c    authenticated frames: the cluster key, tags, replay windows
 *   pulse.c   pulses: one-way messages, local and the PULSE frame
 *   inherit.c priority inheritance: servers raised to their clients' priority
 *   deadlock.c deadlock detection: the chain of processes blocked in Send
 *   trace.h   tracepoints (events vkmod:*)
 *   compat.h  differences between the supported kernel versions
 */
#ifndef _VKMOD_H
#define _VKMOD_H

#include <linux/siphash.h>
#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <linux/atomic.h>
#include <linux/wait.h>
#include <linux/ktime.h>
#include <linux/uidgid.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <linux/netdevice.h>
#include <linux/if_ether.h>
#include <linux/in6.h>
#include <net/sock.h>
#include <uapi/linux/v.h>
#include "compat.h"
#include "trace.h"

/* Module parameters (main.c). */
extern int v_family;
extern u64 v_seg_max;
extern unsigned int v_reply_seg_max;
extern unsigned int v_init_host_part;
extern unsigned int v_ethertype;
extern unsigned int v_max_aliens_global;
extern unsigned int v_max_members_global;
extern unsigned int v_max_aliens_ns;
extern unsigned int v_max_members_ns;

struct v_alien;
struct v_alien_src;
struct v_auth;
struct v_rwait;
struct v_boost;

/*
 * Where a frame came from or goes to on a link, whatever its bearer: a MAC
 * address (raw Ethernet), or an IPv4 or IPv6 address and UDP port.
 */
enum v_addr_family {
	V_ADDR_NONE,
	V_ADDR_ETH,
	V_ADDR_IP4,
	V_ADDR_IP6,
};

struct v_addr {
	u8 family;			/* enum v_addr_family */
	__be16 port;			/* UDP: its port */
	union {
		u8 mac[ETH_ALEN];
		__be32 ip4;
		struct in6_addr ip6;
	};
};

struct v_link;

/*
 * A bearer: what carries V frames (link.c).  The protocol (aliens, trains,
 * the map, groups) sends through these and knows no bearer.  Every call
 * is made under rcu_read_lock() (or RTNL), from softirq or process context.
 * skb->data is at the V header, the frame signed and its V length set.
 */
struct v_bearer_ops {
	u8 kind;			/* enum v_link_kind */
	/*
	 * The largest frame xmit takes (0: mtu()): a bearer whose mtu can
	 * fall (udp.c) still carries what was built for the old one.
	 */
	unsigned int frame_max;
	/* Send skb (consumed) to a; a counter of the bearer's says why not. */
	void (*xmit)(struct v_link *l, struct sk_buff *skb, const struct v_addr *a);
	/* Send skb (consumed) to every host on l (group: V's multicast group). */
	void (*broadcast)(struct v_link *l, struct sk_buff *skb, bool group);
	/* The largest V frame (header, payload, tag) l carries to a (NULL: to all). */
	unsigned int (*mtu)(struct v_link *l, const struct v_addr *a);
	bool (*up)(struct v_link *l);
	/* Is a this host's own address on l (its own frames, looped back)? */
	bool (*own_addr)(struct v_link *l, const struct v_addr *a);
	/* Its attributes in a V_CMD_LINK_GET message. */
	int (*fill)(struct v_link *l, struct sk_buff *msg);
	/* Detach (RTNL held): no frame is sent or received on l afterwards. */
	void (*release)(struct v_link *l);
};

/*
 * A link attached to V (link.c): an Ethernet interface, or a UDP socket.
 * Its id names it in the map and in netlink: the interface's ifindex, or
 * V_LINK_ID_UDP and up for UDP links.
 */
struct v_link {
	struct list_head node;
	struct list_head gone;		/* on its way out (v_link_host_exit()) */
	const struct v_bearer_ops *ops;
	struct v_host *host;
	int id;
	bool insecure;			/* attached without a key, as asked */
	union {
		struct {		/* eth.c */
			struct net_device *dev;
			netdevice_tracker tracker;
		} eth;
		struct v_udp *udp;	/* udp.c */
	};
	struct rcu_head rcu;
};

/*
 * A received frame's link and source (skb->cb), set by the bearer before
 * v_net_rcv_frame(); a frame this host handed to itself has link 0.
 */
struct v_rx_cb {
	int link;
	struct v_addr from;
	u8 relayed;			/* carried by a RELAY: its hops (relay.c) */
};

static inline struct v_rx_cb *v_rx_cb(const struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct v_rx_cb) > sizeof(skb->cb));
	return (struct v_rx_cb *)skb->cb;
}

#define V_MAP_BUCKETS	64
#define V_ALIEN_BUCKETS	256
#define V_GROUP_BUCKETS	64
#define V_ALIEN_SRC_BUCKETS 64

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
	/*
	 * Keys the hash tables of ids and host parts a frame or a user
	 * chooses (aliens, groups, the map): without it one could pick ids
	 * that all fall into one chain, walked in softirq.  Random per host.
	 */
	siphash_key_t hash_key;
	struct mutex id_lock;		/* id allocation, host_part, nr_procs */
	/*
	 * Serializes this host's configuration (link add/del with its claim,
	 * settings, the key).  The netlink family runs its commands in
	 * parallel (no genl_mutex): a claim or a key change that sleeps
	 * holds up this host's configuration alone, never another family's
	 * or another namespace's.
	 */
	struct mutex cfg_lock;
	struct xarray procs;		/* index -> struct v_sock */
	u32 next_index;			/* cyclic allocation cursor */
	u32 generation;			/* bumped when next_index wraps */
	u32 host_part;			/* read with v_host_part() */
	unsigned int nr_procs;		/* under id_lock */
	spinlock_t ipc_lock;		/* all transaction state: see ipc.c */
	struct mutex reg_lock;		/* logical id registrations: registry.c */
	struct xarray regs;		/* logical id -> struct v_reg */

	struct list_head links;		/* struct v_link: RTNL + RCU (link.c) */
	unsigned int nr_links;		/* under RTNL */
	spinlock_t map_lock;		/* mapping table writers (map.c) */
	struct hlist_head map[V_MAP_BUCKETS];
	unsigned int nr_map;
	spinlock_t alien_lock;		/* alien table (alien.c) */
	struct hlist_head aliens[V_ALIEN_BUCKETS];
	atomic_t nr_aliens;		/* allocated aliens */
	unsigned int max_aliens;
	unsigned int max_aliens_host;	/* one client host's share, 0: half */
	struct hlist_head alien_srcs[V_ALIEN_SRC_BUCKETS]; /* struct v_alien_src */
	struct delayed_work alien_gc;
	spinlock_t reasm_lock;		/* incomplete REQUESTs (reasm.c) */
	struct list_head reasm;		/* struct v_reasm, oldest first */
	unsigned int nr_reasm;
	struct delayed_work reasm_gc;	/* armed while nr_reasm */
	unsigned int host_down_ms;	/* silence after which a host is down */
	struct list_head getpid_waits;	/* remote GetPids waiting (registry.c) */

	/* host parts and the mapping table's upkeep (map.c) */
	u64 nonce;			/* this host's incarnation, for claims */
	bool claiming;			/* a claim is in its window (under map_lock) */
	bool claim_denied;		/* ... and someone else has the part */
	bool part_chosen;		/* the host part was set explicitly */
	wait_queue_head_t claim_wait;
	unsigned long fence_sent;	/* jiffies of the last FENCE broadcast */
	unsigned long relay_second;	/* relay.c, under map_lock: this second's start */
	unsigned int relay_count;	/* ... and RELAYs sent in it */
	/* a FENCE being confirmed (under map_lock): the part, until when, the
	 * first answer's nonce (0: none yet)
	 */
	u32 confirm_part;
	unsigned long confirm_until;
	u64 confirm_nonce;
	unsigned long recheck_at;	/* jiffies of the last version recheck */
	unsigned int map_age_ms;
	struct delayed_work map_gc;
	spinlock_t where_lock;		/* where_q (where.c) */
	struct sk_buff_head where_q;	/* frames waiting for a HERE */
	struct delayed_work where_gc;	/* drops those that waited too long */

	/* groups (group.c) */
	spinlock_t group_lock;		/* group table, memberships, queries */
	struct hlist_head groups[V_GROUP_BUCKETS];
	unsigned int nr_groups;		/* under group_lock */
	unsigned int nr_members;	/* under group_lock */
	unsigned int max_members;
	u32 next_group;			/* local part of the next group id */
	struct list_head gquery_waits;	/* members queries waiting */
	unsigned long gq_credit;	/* GMEMBERS frames we may send now, x HZ */
	unsigned long gq_at;		/* jiffies: credit last added */
	unsigned int group_window_ms;	/* group-reply window */

	struct v_auth __rcu *auth;	/* the cluster key, NULL if none (auth.c) */

	atomic64_t pulse_seq;		/* the last pulse number sent (pulse.c) */
	u32 inherit_rt;			/* V_A_HOST_INHERIT_RT (inherit.c) */

	/* watches across hosts (rwatch.c), under ipc_lock */
	struct list_head rwatches;	/* struct v_watch_ent of ours, armed */
	unsigned int nr_rwatches;	/* ... at most V_RWATCHES_MAX */
	unsigned long rwatch_probe_at;	/* jiffies: the next probe round */
	struct list_head rwregs;	/* struct v_rwreg: others' of ours */
	unsigned int nr_rwregs;
	struct delayed_work rwatch_work;	/* probes, host-down, NOTICEs */

	atomic64_t stats[__V_A_STAT_MAX];
};

static inline void v_stat_inc(struct v_host *host, enum v_stat s)
{
	atomic64_inc(&host->stats[s]);
	if ((s >= V_A_STAT_DROP_SHORT && s <= V_A_STAT_DROP_NOMEM) ||
	    s == V_A_STAT_DROP_AUTH || s == V_A_STAT_DROP_REPLAY)
		trace_v_drop(host->host_part, s);
}

/* Transaction states; see ipc.c for the transitions. */
enum v_txn_state {
	V_TXN_IDLE,
	V_TXN_QUEUED,		/* on holder->rxq, not yet received */
	V_TXN_RECEIVED,		/* on holder->held, awaiting Reply */
	V_TXN_REMOTE,		/* sent to another host, no answer yet */
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
	u64 restart;			/* token of a detached Send (its replier) */
	bool abandoning;		/* another Send is ending the detached one */
	u64 sender_id;			/* the client: owner's id or the alien's */
	struct v_alien *alien;		/* remote sender, or NULL */

	/* client side of a remote Send (net.c); resp_q has its own lock */
	struct sk_buff_head resp_q;	/* RESPONSE fragments for the thread */
	struct sk_buff *req_skb;	/* the REQUEST, kept to retransmit */
	struct sk_buff *req_more;	/* its further fragments (->next): only
					 * the client's thread sets, sends and
					 * frees them
					 */
	unsigned long last_heard;	/* jiffies of the last answer */
	unsigned long next_retx;	/* jiffies of the next retransmission */
	unsigned int retx_ivl;		/* current back-off, jiffies */
	u64 resp_frags;			/* bitmap of fragments received */
	bool busy;			/* the server answered busy */
	bool req_held;			/* ... or anything else: it holds the REQUEST */
	u32 ans_host;			/* whose answers count: the REQUEST's host,
					 * moved on by FORWARDED; 0: any (a group)
					 */
	/* MoveTo trains being received (train.c), train x in slot x % window */
	u32 mv_xfer[V_WIRE_TRAIN_WINDOW];
	u64 mv_mask[V_WIRE_TRAIN_WINDOW];	/* their blocks held */
	u32 mv_newest;			/* the newest train seen */
	__be64 mv_src;			/* the member moving it (group Sends) */
	/* MoveFrom trains answered (train.c): when, to answer each once a while */
	u32 mf_xfer[V_WIRE_TRAIN_WINDOW];
	__be64 mf_src[V_WIRE_TRAIN_WINDOW];	/* the mover (a group member) */
	unsigned long mf_at[V_WIRE_TRAIN_WINDOW];
	unsigned int retx_count;	/* retransmissions without an answer */
	unsigned int retx_ms;		/* the client's retransmission bound (the
					 * REQUEST's retx_ms), ms
					 */

	/* group Send (group.c), under host->ipc_lock */
	u64 group;			/* the group sent to, 0 if none */
	u64 qualifier;
	u64 first_replier;		/* whose RESPONSE completes the Send */
	bool gopen;			/* further replies are being collected */
	unsigned long gclose;		/* jiffies when the window ends */
	struct list_head greplies;	/* struct v_greply, in arrival order */
	unsigned int nr_greplies;

	/* priority inheritance (inherit.c) */
	struct v_boost *boost;		/* the thread it raised, under ipc_lock */
	struct task_struct *rx_task;	/* the thread that received it (no reference:
					 * compared only, under ipc_lock)
					 */
	u8 prio_policy;			/* SCHED_*: the client's, fixed */
	u8 prio_rt;
	s8 prio_nice;
	u64 dl_dst;			/* REMOTE: whom it waits for (deadlock.c) */

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
	/*
	 * The thread group that created the socket, with a reference: set
	 * at create (socket.c) and put at destruct, after the RCU grace
	 * period that lets a dump still read it; constant in between, so
	 * read without a lock.  A process that inherits the socket by fork
	 * does not change it (V_A_PROC_PID, netlink.c).
	 */
	struct pid *creator;

	/* under host->ipc_lock */
	struct list_head rxq;		/* txns queued for Receive, FIFO */
	struct list_head held;		/* txns received, not yet replied */
	struct list_head rwaiters;	/* threads blocked in Receive (ipc.c) */
	unsigned int rxq_len;		/* read locklessly by poll */
	bool dead;			/* shut down: no more messages */

	/* notices (notice.c), under host->ipc_lock */
	struct list_head notices;	/* struct v_notice, for Receive */
	unsigned int nr_notices;	/* read locklessly by poll */
	unsigned int nr_unblocks;	/* unblock notices among them */
	struct list_head watches;	/* struct v_watch_ent: this process's */
	unsigned int nr_watches;
	struct list_head watchers;	/* armed watches on this process */
	struct list_head rwregs;	/* remote watches of it (rwatch.c) */
	unsigned int nr_rwregs;		/* ... at most V_RWREGS_TARGET_MAX */
	unsigned int nr_watchers;	/* ... at most V_WATCHERS_MAX */
	u32 notify;			/* V_NOTIFY_* */
	u8 expired_at;			/* next slot of expired[] */
	u64 expired[V_EXPIRED_KEPT];	/* senders whose held messages expired */

	/* pulses (pulse.c), under host->ipc_lock */
	struct list_head pulses;	/* struct v_pulse_ent, for Receive */
	unsigned int nr_pulses;		/* read locklessly by poll */
	unsigned int pulse_run;		/* taken in a row while messages waited */
	u32 opts;			/* V_OPT_*: written by SET_OPTS, READ_ONCE */

	/* priority inheritance (inherit.c) */
	struct mutex boost_mutex;	/* raising and restoring threads */
	struct list_head boosts;	/* struct v_boost, under ipc_lock */
	struct work_struct boost_work;	/* restores when a client gave up */

	unsigned long flags;		/* V_SOCK_* bits */
	/*
	 * The receiver of this process's last local Send, with a reference
	 * (as a socket caches its route): the next Send to the same id needs
	 * no lookup.  Used only by the thread holding V_SOCK_SENDING, and
	 * dropped at release (ipc.c).
	 */
	struct v_sock *dst_cache;
	wait_queue_head_t tx_wait;	/* the thread in Send waits here */
	struct v_txn txn;		/* the outgoing transaction */

	/* under host->reg_lock */
	unsigned int nr_regs;		/* logical ids naming this process */
	bool regs_closed;		/* released: no new registrations */

	/* under host->group_lock */
	struct list_head groups;	/* struct v_member: groups joined */
	unsigned int nr_groups;		/* ... how many (group_lock) */
	bool groups_closed;		/* shut down: no new memberships */
};

#define V_SOCK_SENDING	0		/* a Send is in progress */

/*
 * A remote client's transaction on this host (alien.c).  Fields set when
 * the alien is created never change; see alien.c for the locking.
 */
struct v_alien {
	struct hlist_node hnode;	/* host->aliens, under alien_lock */
	bool hashed;
	struct v_alien_src *src;	/* its client host's share, while hashed */
	refcount_t ref;
	struct v_host *host;
	u64 client;
	u32 client_host;
	u32 uid, gid;
	bool keyed;			/* the REQUEST carried a valid tag */
	bool local;			/* a client of this host: its own creds */
	kuid_t kuid;			/* local: the client's */
	kgid_t kgid;
	struct pid *tgid;		/* local: the client's thread group */
	struct v_txn txn;
	struct sk_buff_head resp;	/* the cached RESPONSE frames */
	unsigned long done_at;		/* answered, or last heard from since */
	struct work_struct nack_work;
	struct sk_buff *fwd_skb;	/* forwarded to another host: the REQUEST */
	u64 fwd_to;			/* ... and the process it went to */
	/* answers to duplicates, under ipc_lock (alien.c) */
	unsigned long again_at;		/* jiffies of the last one, 0: none yet */
	unsigned int resends;		/* of the cached reply */
	u32 from_host;			/* the host its REQUEST came from */
	u64 group;			/* delivered through this group, or 0 */
	bool seg_closed;		/* group Send answered: no more moves */

	/* bulk transfer (train.c): one MoveTo/MoveFrom at a time */
	struct mutex move_lock;
	wait_queue_head_t move_wait;
	struct sk_buff_head move_q;	/* MOVE_DATA / MOVE_ACK for the mover */
	u32 xfer;			/* newest train in flight, under ipc_lock */

	/* who waits for the client, as its REQUEST said (deadlock.c) */
	unsigned int nr_waiters;
	u64 waiters[V_DEADLOCK_DEPTH];

	/*
	 * The segment bytes the request carried: inline up to
	 * V_ALIEN_PIGGY_INLINE, else an allocation of their own that is
	 * freed once the transaction is answered or forwarded (a reply
	 * cached for long holds no 32 KiB of a fragmented REQUEST), or when
	 * the last copy from it ends (piggy_users, piggy_drop).  Under
	 * ipc_lock.
	 */
	u8 *piggy;
	u32 piggy_len;
	unsigned int piggy_users;
	bool piggy_drop;
	u8 piggy_inline[];
};

#define V_ALIEN_PIGGY_INLINE	2048

/* A notice queued for a process (notice.c), under ipc_lock. */
struct v_notice {
	struct list_head node;		/* in vs->notices */
	u64 who;			/* the process (or host) it is about */
	u64 cookie;			/* the watch's */
	u32 seq;			/* unblock: the client's transaction */
	u16 code;			/* V_NOTICE_* */
	u16 why;			/* enum v_why */
	u8 kind;			/* enum v_kind */
	bool in_watch;			/* embedded in a struct v_watch_ent */
};

/*
 * One watch (notice.c; of another host's process or of a host: rwatch.c),
 * under ipc_lock.  While armed, onode is on the watched process's
 * watchers (local) or on host->rwatches (remote).
 */
struct v_watch_ent {
	struct list_head wnode;		/* in watcher->watches */
	struct list_head onode;
	struct v_sock *watcher;
	struct v_sock *target;		/* local, armed on it (alive: it fires us first) */
	bool fired;			/* n is on the watcher's queue */
	bool remote;
	u64 nonce;			/* remote: the watched host's incarnation, 0: unheard */
	unsigned long heard;		/* remote: jiffies of its last answer */
	struct v_notice n;
};

/*
 * Another host's process watching one of ours (rwatch.c), under ipc_lock:
 * on host->rwregs, and on the target's rwregs until it ends (target NULL,
 * why set: a NOTICE to send).
 */
struct v_rwreg {
	struct list_head hnode;
	struct list_head tnode;
	struct v_sock *target;
	u64 watcher;
	u64 watched;
	u32 src;			/* the watcher's host part: its share */
	u32 probe_ms;			/* the watcher's probe interval */
	u16 why;
	unsigned long heard;		/* jiffies of its last WATCH (probe) */
};

/* A counted reference to the sender of a transaction: local or alien. */
struct v_peer {
	struct v_sock *sock;
	struct v_alien *alien;
};

/* A reference to a sender's segment held for one copy (ipc.c). */
struct v_copy {
	struct mm_struct *mm;
	unsigned long addr;
	u32 seq;
	struct v_sock *vs;		/* the copier, who holds the message */
	struct v_sock *sender;
	bool counted;			/* in sender->txn.copiers */
};

static inline struct v_sock *v_sk(const struct sock *sk)
{
	return container_of(sk, struct v_sock, sk);
}

/* The bucket of a key (an id, a host part) in a table of 1 << bits. */
static inline u32 v_host_hash(const struct v_host *host, u64 key, unsigned int bits)
{
	return siphash_1u64(key, &host->hash_key) >> (64 - bits);
}

/*
 * The host part changes at run time (vctl set host-part, under id_lock):
 * softirq and ioctls read it without a lock.
 */
static inline u32 v_host_part(const struct v_host *host)
{
	return READ_ONCE(host->host_part);
}

/* host.c */
struct v_host *v_host_get(const struct net *net);
int v_host_set_host_part(struct v_host *host, u32 host_part);
int v_host_redraw(struct v_host *host);
int v_host_init(void);
void v_host_exit(void);

/* id.c */
int v_id_register(struct v_host *host, struct v_sock *vs);
void v_id_unregister(struct v_sock *vs);
struct v_sock *v_id_lookup(struct v_host *host, u64 id);

/* A local V process's transaction (t->alien is NULL). */
static inline struct v_sock *v_txn_sender(struct v_txn *t)
{
	return container_of(t, struct v_sock, txn);
}

/*
 * What a Receive of something nobody waits to have answered (a notice, a
 * pulse) reports besides its message and credentials: sender and kind,
 * no group, forwarder, segment or deadline.
 */
static inline void v_receive_unheld(struct v_receive *r, u64 sender, u32 kind)
{
	r->sender = sender;
	r->group = 0;
	r->forwarder = 0;
	r->seg_len = 0;
	r->seg_access = 0;
	r->copied = 0;
	r->kind = kind;
	r->deadline_ns = 0;
}

/* ipc.c */
void v_ipc_init_sock(struct v_sock *vs);
int v_ipc_send(struct v_sock *vs, struct v_send __user *uarg);
int v_ipc_receive(struct v_sock *vs, struct v_receive *r, bool with_seg, bool nonblock);
int v_ipc_receive_unwind(struct v_sock *vs, const struct v_receive *r);
int v_ipc_reply(struct v_sock *vs, const struct v_reply *r, bool with_seg);
int v_ipc_forward(struct v_sock *vs, const struct v_forward *f);
void v_ipc_shutdown(struct v_sock *vs);
void v_ipc_release(struct v_sock *vs);
struct v_sock *v_ipc_find(struct v_sock *vs, u64 id, int *err);
bool v_ipc_enqueue_locked(struct v_sock *dst, struct v_txn *t, struct task_struct **wake);
void v_ipc_wake_task(struct task_struct *task);
void v_creds_fill_ids(struct v_creds *c, struct user_namespace *ns, kuid_t uid, kgid_t gid);
int v_txn_copy_begin(struct v_sock *vs, struct v_sock *sender, u32 access,
		     u64 offset, u64 len, u32 seq, struct v_copy *c);
void v_txn_copy_end(struct v_copy *c);
void v_txn_copy_pause(struct v_copy *c);
int v_txn_copy_resume(struct v_copy *c);

bool v_txn_pending(const struct v_txn *t);
void v_txn_end(struct v_txn *t, int error);
struct v_txn *v_peer_txn(const struct v_peer *p);
int v_peer_get(struct v_sock *vs, u64 id, struct v_peer *p);
void v_peer_put(struct v_peer *p);

struct v_rwait *v_ipc_rwaiter_pop(struct v_sock *vs);
void v_ipc_rwaiter_wake(struct v_rwait *w);
void v_txn_fail_notify(struct v_txn *t, int error);
void v_txn_cancel(struct v_txn *t, int error);

/* pulse.c */
int v_pulse_send(struct v_sock *vs, const struct v_pulse *p);
bool v_pulse_take(struct v_sock *vs, struct v_receive *r, struct user_namespace *ns,
		  struct pid_namespace *pid_ns);
int v_pulse_unwind(struct v_sock *vs, const struct v_receive *r);
void v_pulse_shutdown(struct v_sock *vs);
void v_pulse_rcv(struct v_host *host, struct sk_buff *skb);
int v_opts_set(struct v_sock *vs, const struct v_opts *o);

/* inherit.c */
void v_inherit_init_sock(struct v_sock *vs);
void v_inherit_raise(struct v_sock *vs, struct task_struct *task, u64 sender, u32 seq,
		     bool sender_side);
void v_inherit_txn_ended(struct v_txn *t, bool kick);
void v_inherit_settle(struct v_sock *vs);
void v_inherit_wire_get(const struct v_txn *t, struct v_wire_request *req);
void v_inherit_wire_set(struct v_txn *t, const struct v_wire_request *req);

/*
 * The client's scheduling class, priority and nice value, at Send: raw,
 * for the holder to read if it inherits (a few loads on the fast path).
 */
static inline void v_inherit_capture(struct v_txn *t)
{
	t->prio_policy = current->policy;
	t->prio_rt = current->rt_priority;
	t->prio_nice = task_nice(current);
}

/* Restore the threads whose raising messages are all answered, if any. */
static inline void v_inherit_settle_maybe(struct v_sock *vs)
{
	if (unlikely(!list_empty(&vs->boosts)))
		v_inherit_settle(vs);
}

/* deadlock.c */
struct v_dl_set {
	unsigned int n;
	u64 ids[V_DEADLOCK_DEPTH];
};

bool v_dl_cycle(struct v_sock *vs, struct v_sock *dst, u64 dst_id);
void v_dl_waiters(struct v_sock *vs, struct v_dl_set *set);

/* notice.c */
void v_notice_init_sock(struct v_sock *vs);
bool v_notice_take(struct v_sock *vs, struct v_receive *r);
void v_notice_unwind(struct v_sock *vs, const struct v_receive *r);
void v_notice_given_up(struct v_sock *holder, u64 id, u32 seq, int error);
int v_notice_not_held(struct v_sock *vs, u64 id, bool consume);
bool v_notice_deadline_passed(struct v_sock *holder, struct v_txn *t, bool remember);
u64 v_notice_deadline_user(u64 ns);
int v_notice_set(struct v_sock *vs, const struct v_notify *nf);
int v_notice_watch(struct v_sock *vs, const struct v_watch *w);
int v_notice_unwatch(struct v_sock *vs, const struct v_watch *w);
void v_notice_shutdown(struct v_sock *vs);
struct v_watch_ent *v_watch_find(struct v_sock *vs, u64 id);
struct v_watch_ent *v_watch_new(struct v_sock *vs, const struct v_watch *w);
int v_watch_add(struct v_sock *vs, struct v_watch_ent *we);
void v_watch_fire(struct v_watch_ent *we, u16 why);

/* rwatch.c */
int v_rwatch_add(struct v_sock *vs, const struct v_watch *w);
void v_rwatch_unwatch(struct v_host *host, u64 watcher, u64 watched);
void v_rwatch_target_ended(struct v_sock *target);
void v_rwatch_rcv(struct v_host *host, struct sk_buff *skb);
void v_rwatch_claimed(struct v_host *host, u32 part);
void v_rwatch_host_init(struct v_host *host);
void v_rwatch_host_exit(struct v_host *host);

/* segment.c */
int v_seg_copy(struct v_copy *c, void __user *ubuf, size_t len, bool to_seg);
int v_seg_move(struct v_sock *vs, const struct v_move *m, bool to_seg);

/* registry.c */
int v_reg_set(struct v_sock *vs, const struct v_pid *p);
int v_reg_get(struct v_sock *vs, struct v_pid *p);
void v_reg_release(struct v_sock *vs);
void v_reg_rcv(struct v_host *host, struct sk_buff *skb);
void v_reg_host_exit(struct v_host *host);

/* host.c */
void v_host_stats(struct v_host *host, u64 *out);
unsigned int v_host_cap(struct v_host *host, unsigned int limit, unsigned int global,
			unsigned int ns_share);

/* link.c */
struct v_link *v_link_get(struct v_host *host, int id);
int v_link_insert(struct v_host *host, struct v_link *l);
bool v_link_any_secure(struct v_host *host);
struct v_link *v_link_del(struct v_host *host, int id, int *err);
void v_link_put(struct v_host *host, struct v_link *l);
bool v_link_own_addr(struct v_host *host, const struct v_addr *a);
bool v_addr_equal(const struct v_addr *a, const struct v_addr *b);
bool v_addr_valid(const struct v_addr *a);
u64 v_addr_hash(struct v_host *host, int link, const struct v_addr *a);
int v_addr_put(struct sk_buff *msg, int attr, const struct v_addr *a);
void v_link_host_exit(struct v_host *host);

/* eth.c */
int v_eth_link_add(struct v_host *host, int ifindex, bool insecure);
int v_eth_init(void);
void v_eth_exit(void);

/* udp.c */
int v_udp_link_add(struct v_host *host, const struct v_addr *local,
		   const struct v_addr *peers, unsigned int npeers, unsigned int mtu);

/* map.c */
void v_map_learn(struct v_host *host, u32 host_part, const struct sk_buff *skb);
bool v_map_lookup(struct v_host *host, u32 host_part, int *link, struct v_addr *a);
int v_map_reach(struct v_host *host, u32 host_part);
void v_map_stale(struct v_host *host, u32 host_part);
void v_map_failover(struct v_host *host, u32 host_part);
u32 v_map_link_paths(struct v_host *host, int link, u32 *cur);
int v_map_del(struct v_host *host, u32 host_part);
void v_map_set_age(struct v_host *host, unsigned int ms);
void v_map_flush(struct v_host *host, int link);
int v_map_dump(struct v_host *host, struct sk_buff *skb, struct netlink_callback *cb);
void v_map_query(struct v_host *host, u32 host_part);
int v_map_claim(struct v_host *host);
void v_map_announce(struct v_host *host, struct v_link *l);
bool v_map_rcv(struct v_host *host, struct sk_buff *skb);
void v_map_collision(struct v_host *host, const struct sk_buff *skb);
bool v_map_pulse_fresh(struct v_host *host, u32 host_part, u64 n);
void v_map_host_init(struct v_host *host);
void v_map_host_exit(struct v_host *host);

/* charge.c */
#define V_CHARGE_MIN	4	/* queued below this, a frame is charged past memory.max */
void *v_charge_kzalloc(struct v_sock *vs, size_t size, bool must);
void *v_charge_kmalloc(struct v_sock *vs, size_t size);
struct sk_buff *v_charge_skb(struct v_sock *vs, struct sk_buff *skb, bool must);

/* where.c */
void v_where_hold(struct v_host *host, u32 host_part, struct sk_buff *skb);
void v_where_release(struct v_host *host, u32 host_part, const struct sk_buff *from,
		     bool same);
void v_where_forget(struct v_host *host, u64 client, u32 seq);
void v_where_host_init(struct v_host *host);
void v_where_purge(struct v_host *host);

/* group.c */
int v_group_create(struct v_sock *vs, struct v_group *g);
int v_group_join(struct v_sock *vs, const struct v_group *g);
int v_group_leave(struct v_sock *vs, const struct v_group *g);
int v_group_members(struct v_sock *vs, struct v_group_members *m);
int v_group_get_reply(struct v_sock *vs, struct v_get_reply __user *uarg);
void v_group_release(struct v_sock *vs);
unsigned int v_group_local(struct v_host *host, u64 gid, u64 except, struct v_sock **out,
			   unsigned int max);
bool v_group_has_members(struct v_host *host, u64 gid);
void v_group_rcv(struct v_host *host, struct sk_buff *skb);
void v_group_reply_add(struct v_host *host, struct v_txn *t, u64 replier,
		       const struct v_msg *msg);
void v_group_txn_close(struct v_txn *t);
int v_group_dump(struct v_host *host, struct sk_buff *skb, struct netlink_callback *cb);
void v_group_host_init(struct v_host *host);

/* net.c */
struct sk_buff *v_net_alloc(struct v_host *host, u8 type, size_t payload, gfp_t gfp);
struct sk_buff *v_net_copy_kept(struct sk_buff *kept, gfp_t gfp);
struct sk_buff *v_net_frame(struct v_host *host, u8 type, u64 client, u32 seq,
			    u64 dst, u64 src, size_t payload, gfp_t gfp);
void v_net_xmit(struct v_host *host, u32 dst_host, struct sk_buff *skb);
void v_net_answer(struct v_host *host, const struct sk_buff *q, u32 to, struct sk_buff *out);
void v_net_xmit_link(struct v_host *host, struct v_link *l, const struct v_addr *a,
		     struct sk_buff *skb, u32 to);
void v_net_broadcast(struct v_host *host, struct sk_buff *skb, bool group, u32 to);
void v_net_broadcast_except(struct v_host *host, struct sk_buff *skb, bool group, u32 to,
			    int except);
void v_net_bcast_link(struct v_host *host, struct v_link *l, struct sk_buff *skb,
		      bool group, u32 to);
void v_net_rcv_frame(struct v_host *host, struct v_link *l, struct sk_buff *skb);
void v_net_set_len(struct sk_buff *skb);

/* relay.c */
void v_relay_out(struct v_host *host, const struct sk_buff *skb, u8 hops);
void v_relay_answer(struct v_host *host, const struct sk_buff *q, u8 hops, struct sk_buff *deny);
void v_relay_rcv(struct v_host *host, struct sk_buff *skb);
int v_net_group_send(struct v_sock *vs, struct v_txn *t);
unsigned int v_net_payload_max(struct v_host *host, u32 dst_host);
unsigned int v_net_payload_cap(struct v_host *host, u32 dst_host);
int v_net_send(struct v_sock *vs, struct v_txn *t, u32 dst_host, u64 dst);
int v_net_forward(struct v_sock *vs, const struct v_peer *p, const struct v_forward *f);
void v_net_client_work(struct v_sock *vs, long *timeo);
void v_net_client_done(struct v_txn *t);
void v_net_group_again(struct v_host *host, struct v_txn *t);

/* alien.c */
void v_alien_rcv_request(struct v_host *host, struct sk_buff *skb);
void v_alien_rcv_cancel(struct v_host *host, struct sk_buff *skb);
struct v_alien *v_alien_find(struct v_host *host, u64 client, u64 holder);
void v_alien_get(struct v_alien *a);
void v_alien_put(struct v_alien *a);
struct v_txn *v_alien_txn(struct v_alien *a);
void v_alien_fill_creds(struct v_alien *a, struct v_creds *c, struct user_namespace *ns,
			struct pid_namespace *pid_ns);
int v_alien_copy_piggy(struct v_alien *a, void __user *buf, u64 len, u64 *copied);
u32 v_alien_piggy_get(struct v_alien *a, const u8 **data);
void v_alien_piggy_put(struct v_alien *a);
int v_alien_reply(struct v_sock *vs, struct v_alien *a, const struct v_reply *r, bool with_seg);
bool v_alien_group_open(struct v_host *host, struct v_alien *a);
void v_alien_ended(struct v_alien *a);
void v_alien_forwarded(struct v_alien *a, struct sk_buff *req, u64 to);
void v_alien_send_forwarded(struct v_host *host, u64 client, u32 seq, u64 from, u64 to);
unsigned int v_alien_host_share(struct v_host *host);
bool v_alien_queue_work(struct work_struct *work);
void v_alien_host_init(struct v_host *host);
void v_alien_host_exit(struct v_host *host);
int v_alien_init(void);
void v_alien_exit(void);
int v_alien_dump(struct v_host *host, struct sk_buff *skb, struct netlink_callback *cb);

/* cc.c: congestion control of trains, per host part (in its map entry) */
struct v_cc {
	u16 cwnd;		/* blocks in flight to the host part */
	u32 movers;		/* Moves to it now */
	u32 epoch;		/* cuts so far: one per window */
};

void v_cc_init(struct v_cc *cc);
unsigned int v_cc_blocks(const struct v_cc *cc);
void v_cc_done(struct v_cc *cc, bool lost, u32 epoch);
void v_cc_join(struct v_cc *cc, int d);
unsigned int v_map_cc_begin(struct v_host *host, u32 host_part, u32 *epoch);
void v_map_cc_end(struct v_host *host, u32 host_part, bool lost, u32 epoch);
void v_map_cc_join(struct v_host *host, u32 host_part, int d);

/* reasm.c: fragmented REQUESTs */
struct v_reasm;
enum v_reasm_res {
	V_REASM_HELD,		/* kept (or a duplicate): others are missing */
	V_REASM_NO_ROOM,	/* no room or memory to hold it */
	V_REASM_STALE,		/* of an older transaction than one held */
	V_REASM_BAD,		/* disagrees with the fragments held */
};

struct v_reasm *v_reasm_add(struct v_host *host, const struct v_wire_hdr *h,
			    const struct v_wire_request *req, const void *data, u64 src,
			    enum v_reasm_res *res);
const void *v_reasm_data(const struct v_reasm *e, u32 *len);
void v_reasm_free(struct v_reasm *e);
void v_reasm_host_init(struct v_host *host);
void v_reasm_host_exit(struct v_host *host);

/* train.c */
int v_train_move(struct v_sock *vs, struct v_alien *a, const struct v_move *m, bool to_seg);
void v_train_rcv(struct v_host *host, struct sk_buff *skb);
bool v_train_data_ok(const struct v_wire_hdr *h);
void v_train_client_move_from(struct v_sock *vs, struct v_txn *t, struct sk_buff *skb);
void v_train_client_data(struct v_sock *vs, struct v_txn *t, struct sk_buff *skb);
void v_train_client_reset(struct v_txn *t, __be64 src);

/* auth.c */
int v_auth_set(struct v_host *host, const u8 *key, unsigned int len);
bool v_auth_keyed(struct v_host *host);
unsigned int v_auth_overhead(struct v_host *host);
int v_auth_sign(struct v_host *host, struct sk_buff *skb, u32 to);
bool v_auth_for_all(u8 type);
bool v_auth_rcv(struct v_host *host, struct sk_buff *skb);
void v_auth_host_exit(struct v_host *host);

/* netlink.c */
struct netlink_callback;
void *v_genl_dump_start(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd);
bool v_genl_sees_all(struct netlink_callback *cb);
bool v_genl_sees(bool all, const struct v_sock *vs);
int v_netlink_init(void);
void v_netlink_exit(void);

/* socket.c */
int v_socket_init(void);
void v_socket_exit(void);

/*
 * race.c: debug-only windows for race tests (make VK_RACE_DELAY=y, which
 * make check-debug uses; compiled out of every other build).  Each names
 * the instant a race of the shared-host review lived at; the race_sites
 * parameter (a mask of BIT(site)) opens it for race_ms.
 */
enum v_race_site {
	V_RACE_FORWARD,		/* v_net_forward(): the REQUEST published */
	V_RACE_DELIVER,		/* v_alien_deliver(): new aliens hashed */
	V_RACE_GREPLY_CLOSE,	/* GetReply: the window seen over */
	V_RACE_TRAIN_WAIT,	/* a mover's wait for the client, lengthened */
	V_RACE_LINK_CLAIM,	/* a link's claim, lengthened (netlink waits) */
	V_RACE_CANCEL,		/* v_alien_deliver(): the client's older aliens
				 * cancelled, the new ones not yet made
				 */
};

#ifdef VK_RACE_DELAY
void v_race_delay(enum v_race_site site);
void v_race_sleep(enum v_race_site site);
unsigned long v_race_jiffies(enum v_race_site site);
#else
static inline void v_race_delay(enum v_race_site site) { }
static inline void v_race_sleep(enum v_race_site site) { }
static inline unsigned long v_race_jiffies(enum v_race_site site) { return 0; }
#endif

#endif /* _VKMOD_H */
