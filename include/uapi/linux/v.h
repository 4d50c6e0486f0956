/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * V interprocess communication for Linux (vkmod): the user-space contract.
 *
 * This header is the one contract between the kernel module, libv, the
 * daemons, the tools and every host on the wire.  It changes only
 * deliberately: new fields go into reserved space or new ioctls, existing
 * numbers and layouts never move.  How it evolves:
 *
 *   - An ioctl's struct grows only together with a new ioctl number (the
 *     size is part of the number anyway): the old number keeps working
 *     with the old layout, and a number this module does not know (a
 *     newer program on an older module) fails with EOPNOTSUPP.
 *   - Netlink attributes are only added, at the end of enum v_attr; a
 *     module rejects an attribute it does not know (strict validation),
 *     so a tool can tell an older module by that error.
 *   - Frames: see "How the wire evolves" below (V_WIRE_VERSION).
 *
 * Model (from the V kernel, Cheriton & Zwaenepoel 1983):
 *
 *   One AF_V socket is one V process.  A client Sends a 32-byte message to a
 *   process id and blocks until that process Replies; the reply overwrites
 *   the client's message.  A Send may grant the receiver access to one
 *   segment of the client's memory, which the receiver reads and writes with
 *   MoveFrom / MoveTo (or ReceiveWithSegment / ReplyWithSegment) until it
 *   Replies.  Processes and groups are named by 64-bit entity ids that do not
 *   depend on the host the process runs on.
 *
 * Conventions of every ioctl below:
 *   - ioctl(2) returns 0 (or a non-negative count where said) on success and
 *     -1 with errno on failure; 64-bit results are returned in the struct.
 *   - Every struct uses fixed-size fields and __aligned_u64 for 64-bit values
 *     and user pointers, so 32-bit and 64-bit processes share one layout
 *     (i386 aligns u64 to 4 bytes, hence __aligned_u64 everywhere).
 *   - Fields named "reserved" and undefined flag bits must be zero; the kernel
 *     rejects anything else with EINVAL so they can be given meaning later.
 *   - Pointers are user addresses in the caller's own address space.  The
 *     kernel never reveals one process's addresses to another: a segment is
 *     described to its receiver by length and access only, and positions in
 *     it are offsets.
 *
 * Errors (the kernel reports failures only as errno values; the 32-byte
 * message carries application request/reply codes, never kernel errors):
 *
 *   ESRCH        no such process (the host answered), a group with no
 *                (qualified) member, or the receiver shut down or exited
 *                while the sender was queued on it or received by it
 *   EHOSTUNREACH host silent until the host-down bound, or no host answers
 *                for that host part
 *   EPROTO       the host of that host part runs another wire version
 *                (V_MAP_VERSION)
 *   ETIMEDOUT    the Send's (or GetReply's) own timeout expired; Reply,
 *                Forward, MoveTo or MoveFrom on a message whose deadline
 *                (the sender's timeout) has passed
 *   EBUSY        receiver busy after back-off; host part set after sockets or
 *                interfaces exist
 *   EALREADY     another thread is already blocked in Send on this socket
 *   EINTR        interrupted by a fatal signal or one with a handler; the
 *                Send is NOT restarted and its transaction is cancelled
 *   ESHUTDOWN    woken (or refused) because shutdown() was called on the socket
 *   ENOENT       caller holds no unreplied message from that pid (never had
 *                one, already replied, or the sender was cancelled - other
 *                than by its deadline - or is gone); GetReply with no open
 *                group transaction; UNWATCH of an id not watched
 *   ERANGE       offset/length outside the granted segment
 *   EACCES       message held, but the segment was not granted with that
 *                access (or a group Send's first reply already unblocked the
 *                sender)
 *   EMSGSIZE     reply data larger than the reply-segment limit; segment
 *                larger than the segment limit
 *   ESOCKTNOSUPPORT / EPROTONOSUPPORT
 *                socket type other than SOCK_DGRAM / protocol other than 0
 *   EPERM        logical id below V_LID_PRIVILEGED or a well-known group
 *                without CAP_NET_ADMIN in the network namespace's user ns
 *   EEXIST       logical id already registered on this host; id already
 *                watched by the caller
 *   EADDRINUSE   host-part collision when attaching an interface
 *   ENOSPC       the host's limit on group memberships is reached (or
 *                the module's, parameter max_members, over all hosts, or
 *                the process's, V_GROUPS_PER_PROC_MAX); V_WATCHES_MAX
 *                watches held
 *   EFAULT       bad user address
 *   EINVAL       bad argument (reserved field or unknown flag set, malformed
 *                id, zero where an id is required, ...)
 *   EOPNOTSUPP   ioctl of this family that this module does not implement
 *   EAGAIN       Receive on a socket in O_NONBLOCK mode with nothing queued;
 *                Pulse to a receiver whose pulse queue is full
 *   EDEADLK      a Send checked for deadlock (V_SEND_DEADLOCK, V_OPT_DEADLOCK)
 *                would close a cycle of processes blocked in Send
 *   ECONNREFUSED Pulse to a process that does not take pulses (V_OPT_PULSES)
 */
#ifndef _UAPI_LINUX_V_H
#define _UAPI_LINUX_V_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/socket.h>

/*
 * Address family.  The number is a module parameter
 * (/sys/module/vkmod/parameters/family) because Linux has no number assigned
 * to V; the default is AF_WANPIPE's old slot, which no in-kernel family
 * registers on 6.1 or 6.12.  Programs should read the parameter (libv does).
 */
#define V_AF_DEFAULT		25
#define V_FAMILY_PARAM_PATH	"/sys/module/vkmod/parameters/family"

/* socket(AF_V, SOCK_DGRAM, V_PROTO_DEFAULT); any other type or protocol fails */
#define V_PROTO_DEFAULT		0

/* EtherType of V kernel frames on the wire (a module parameter). */
#define V_ETHERTYPE_DEFAULT	0x805C

/*
 * Entity ids
 *
 *  63  62  61 ............... 32  31 ........ 20  19 .............. 0
 * +---+---+----------------------+--------------+-------------------+
 * | G | W |  host part (30 bits) | generation   |  index (20 bits)  |
 * +---+---+----------------------+--------------+-------------------+
 *                                 \__ local part (32 bits) ________/
 *
 * G  group flag: the id names a process group, not a process.
 * W  well-known flag: a cluster-wide well-known group; host part is 0.
 * host part: drawn at random when a network namespace's V host is created
 *    (never 0: that value means "no host"/well-known); not an address.
 * index: slot in the host's process table, 1..V_ID_INDEX_MAX (0 is never
 *    used, so a local part of 0 never names a process).
 * generation: bumped each time the host's index allocator wraps.  Indexes
 *    are handed out cyclically, so an index is reused at most once per wrap,
 *    and a given id recurs only after 4096 wraps (about 4e9 processes on one
 *    host): a dead process's id is not reused soon.  20 index bits allow a
 *    million live V processes per host, beyond what fd limits allow.
 *
 * The id 0 (V_ID_NONE) means "none" wherever an id is optional.
 */
#define V_ID_NONE		0ULL
#define V_ID_GROUP		(1ULL << 63)
#define V_ID_WELLKNOWN		(1ULL << 62)
#define V_ID_HOST_SHIFT		32
#define V_ID_HOST_BITS		30
#define V_ID_HOST_MASK		((1U << V_ID_HOST_BITS) - 1)
#define V_ID_INDEX_BITS		20
#define V_ID_INDEX_MASK		((1U << V_ID_INDEX_BITS) - 1)
#define V_ID_INDEX_MAX		V_ID_INDEX_MASK
#define V_ID_GEN_SHIFT		V_ID_INDEX_BITS
#define V_ID_GEN_BITS		12
#define V_ID_GEN_MASK		((1U << V_ID_GEN_BITS) - 1)

static __inline__ __u32 v_id_host(__u64 id)
{
	return (__u32)(id >> V_ID_HOST_SHIFT) & V_ID_HOST_MASK;
}

static __inline__ __u32 v_id_local(__u64 id)
{
	return (__u32)id;
}

static __inline__ __u32 v_id_index(__u64 id)
{
	return (__u32)id & V_ID_INDEX_MASK;
}

static __inline__ __u32 v_id_generation(__u64 id)
{
	return ((__u32)id >> V_ID_GEN_SHIFT) & V_ID_GEN_MASK;
}

static __inline__ int v_id_is_group(__u64 id)
{
	return (id & V_ID_GROUP) != 0;
}

/* A well-formed group id: well-known ones have host part 0, others not. */
static __inline__ int v_id_group_ok(__u64 id)
{
	if (!v_id_is_group(id) || !v_id_local(id))
		return 0;
	return (id & V_ID_WELLKNOWN) ? !v_id_host(id) : v_id_host(id) != 0;
}

static __inline__ __u64 v_id_make(__u32 host, __u32 local)
{
	return ((__u64)(host & V_ID_HOST_MASK) << V_ID_HOST_SHIFT) | local;
}

/*
 * Well-known groups: group and well-known flags set, host part 0.  Joining
 * one needs CAP_NET_ADMIN in the user namespace owning the network namespace.
 */
#define V_GROUP_WELLKNOWN(n)	(V_ID_GROUP | V_ID_WELLKNOWN | (__u64)(__u32)(n))
#define V_GROUP_NAME_HANDLERS	V_GROUP_WELLKNOWN(1) /* name-handling protocol */
#define V_GROUP_TIME_SERVERS	V_GROUP_WELLKNOWN(2) /* vtimed, one per host */
#define V_GROUP_FILE_SERVERS	V_GROUP_WELLKNOWN(3) /* file servers */
#define V_GROUP_SCHEDULERS	V_GROUP_WELLKNOWN(4) /* one per host, qualified */

/*
 * Logical ids (SetPid / GetPid): 32-bit keys, not entity ids.  Registering
 * one below V_LID_PRIVILEGED needs CAP_NET_ADMIN in the network namespace's
 * user namespace; 0 is never a valid logical id.
 */
#define V_LID_FILE_SERVER	1
#define V_LID_NAME_SERVER	2
#define V_LID_TIME_SERVER	3
#define V_LID_EXEC_SERVER	4
#define V_LID_PRIVILEGED	256

/* Scope of SetPid / GetPid. */
#define V_SCOPE_LOCAL		0x1	/* this host only */
#define V_SCOPE_REMOTE		0x2	/* other hosts (first answer wins) */
#define V_SCOPE_BOTH		(V_SCOPE_LOCAL | V_SCOPE_REMOTE)

/*
 * Messages: exactly 32 opaque bytes.  By convention a request starts with a
 * 16-bit request code and a reply with a 16-bit reply code; multi-byte fields
 * of the standard codes and the service protocols are little-endian, read
 * and written with the accessors below so the layout does not depend on the
 * host's byte order.
 */
#define V_MSG_SIZE		32

struct v_msg {
	__u8 b[V_MSG_SIZE];
};

static __inline__ __u16 v_msg_get16(const struct v_msg *m, unsigned int off)
{
	return (__u16)(m->b[off] | (m->b[off + 1] << 8));
}

static __inline__ void v_msg_put16(struct v_msg *m, unsigned int off, __u16 v)
{
	m->b[off] = (__u8)v;
	m->b[off + 1] = (__u8)(v >> 8);
}

static __inline__ __u32 v_msg_get32(const struct v_msg *m, unsigned int off)
{
	return (__u32)v_msg_get16(m, off) | ((__u32)v_msg_get16(m, off + 2) << 16);
}

static __inline__ void v_msg_put32(struct v_msg *m, unsigned int off, __u32 v)
{
	v_msg_put16(m, off, (__u16)v);
	v_msg_put16(m, off + 2, (__u16)(v >> 16));
}

static __inline__ __u64 v_msg_get64(const struct v_msg *m, unsigned int off)
{
	return (__u64)v_msg_get32(m, off) | ((__u64)v_msg_get32(m, off + 4) << 32);
}

static __inline__ void v_msg_put64(struct v_msg *m, unsigned int off, __u64 v)
{
	v_msg_put32(m, off, (__u32)v);
	v_msg_put32(m, off + 4, (__u32)(v >> 32));
}

/* The request code (of a request) or reply code (of a reply): bytes 0-1. */
static __inline__ __u16 v_msg_code(const struct v_msg *m)
{
	return v_msg_get16(m, 0);
}

static __inline__ void v_msg_set_code(struct v_msg *m, __u16 code)
{
	v_msg_put16(m, 0, code);
}

/*
 * Standard reply codes (V's standard system replies).  Service protocols
 * (V I/O, name handling, time) define their request codes in their own
 * public header, numbered from V_REQ_SERVICE_BASE so that a request code is
 * never mistaken for a reply code.
 */
enum v_reply_code {
	V_OK			= 0,
	V_ILLEGAL_REQUEST	= 1,	/* request code not understood */
	V_BAD_ARGS		= 2,	/* malformed arguments */
	V_BAD_BUFFER		= 3,	/* segment missing, too small, wrong access */
	V_NOT_FOUND		= 4,	/* no such object or name */
	V_NO_PERMISSION		= 5,	/* sender's credentials do not allow it */
	V_DUPLICATE_NAME	= 6,	/* object already exists */
	V_END_OF_FILE		= 7,	/* read at or past the end */
	V_BAD_STATE		= 8,	/* operation not valid in this state */
	V_NO_SERVER_RESOURCES	= 9,	/* server out of memory, slots, space */
	V_IO_ERROR		= 10,	/* the server's own I/O failed */
	V_RETRY			= 11,	/* transient: try again later */
	V_NOT_SUPPORTED		= 12,	/* valid request this server lacks */
	V_TIMEOUT		= 13,	/* the server's own deadline passed */
	V_REPLY_CODE_MAX	= 0x00ff
};

#define V_REQ_SERVICE_BASE	0x0100

/*
 * Addresses
 */
struct sockaddr_v {
	__kernel_sa_family_t	sv_family;	/* the family number in use */
	__u16			sv_reserved1;	/* zero */
	__u32			sv_reserved2;	/* zero */
	__aligned_u64		sv_id;		/* entity id */
};

/*
 * Segments
 */
#define V_SEG_READ		0x1	/* receiver may read (MoveFrom, ...WithSegment) */
#define V_SEG_WRITE		0x2	/* receiver may write (MoveTo, ReplyWithSegment) */
#define V_SEG_ACCESS_MASK	(V_SEG_READ | V_SEG_WRITE)

#define V_SEG_MAX_DEFAULT	(1ULL << 30)	/* module parameter seg_max */
#define V_REPLY_SEG_MAX_DEFAULT	(32U << 10)	/* module parameter reply_seg_max */

/*
 * Credentials of a sender, as the receiver sees them.
 *
 * Captured from the thread that called Send, at the time of the Send.  For a
 * local sender uid/gid are translated into the receiver's user namespace
 * (the overflow ids when unmapped) and pid into the receiver's pid namespace
 * (0 when not visible there).  For a remote sender V_CRED_REMOTE is set,
 * uid and gid are what the remote kernel claims (ids of its initial user
 * namespace), pid is 0, and host is the sender's host part.  A forwarded
 * message keeps the original sender's credentials.  A group Send of a
 * process of the receiver's own host is a local sender's (no V_CRED_REMOTE,
 * translated ids, its pid), though it travels like a remote one.
 */
#define V_CRED_REMOTE		0x1
/*
 * A remote sender whose request carried a valid tag of this host's cluster
 * key and was not forwarded (a forwarder vouches only for itself): its
 * kernel holds the key, so the uid and gid it claims are a keyed host's
 * word.  Without it anyone on the LAN could have claimed them; a
 * service trusts remote uids only with V_CRED_KEYED (vtimed does).
 */
#define V_CRED_KEYED		0x2

struct v_creds {
	__u32	uid;
	__u32	gid;
	__u32	pid;		/* thread-group id */
	__u32	host;		/* sender's host part */
	__u32	flags;		/* V_CRED_* */
	__u32	reserved;
};

/*
 * Send (V_IOC_SEND)
 *
 * Blocks until the receiver Replies; the reply overwrites msg and replier
 * names the process that replied (dst itself, another process after a
 * Forward, or the first replying member of a group).
 *
 * A stop (job control, ptrace, the freezer) does not end a Send: the
 * kernel writes a restart token (both V_SEND_RESTART bits set, which no
 * process id has) into replier and restarts the ioctl, which finds the
 * token and waits on.  A Send carrying a token is a restart: when its
 * transaction is gone it fails with EINTR, never running the request
 * again.  A Send whose replier holds no token is a new request: when a
 * signal handler leaves a stopped Send by siglongjmp(), the thread's next
 * Send (or another thread's, while that thread is not stopped) ends the
 * old one, and the receiver's Reply to it then fails with ENOENT.  So set
 * replier to 0 in a new request (libv does).  A restarted Send that then
 * fails leaves replier 0.
 */
#define V_SEND_RESTART	(V_ID_GROUP | V_ID_WELLKNOWN)

struct v_send {
	__aligned_u64	dst;		/* in: process or group id */
	__aligned_u64	qualifier;	/* in: group Send only: deliver to the
					 * members on the host of this process;
					 * V_ID_NONE otherwise
					 */
	__aligned_u64	seg_addr;	/* in: segment start (caller's memory) */
	__aligned_u64	seg_len;	/* in: segment length, 0 = no segment;
					 * at most the seg_max parameter
					 */
	__aligned_u64	timeout_ns;	/* in: 0 = wait for ever */
	__aligned_u64	replier;	/* out: who replied (in: the restart
					 * token, see above)
					 */
	__u32		seg_access;	/* in: V_SEG_* (0 iff seg_len is 0) */
	__u32		flags;		/* in: V_SEND_* */
	struct v_msg	msg;		/* in: request; out: reply */
};

/*
 * V_SEND_DEADLOCK: fail with EDEADLK, before anything is delivered, when
 * this Send would close a cycle: the receiver is (through the processes
 * it waits on) waiting for the caller.  See "Deadlock detection" below.
 */
#define V_SEND_DEADLOCK	0x1
#define V_SEND_FLAGS	V_SEND_DEADLOCK

/*
 * Receive (V_IOC_RECEIVE) and ReceiveWithSegment (V_IOC_RECEIVE_SEG)
 *
 * Blocks until a message is queued for the caller (FIFO), unless the socket
 * is O_NONBLOCK (EAGAIN).  Several threads may Receive on one socket: each
 * message goes to exactly one.  ReceiveWithSegment also copies the first
 * min(buf_len, seg_len) bytes of a read-granted segment into buf and reports
 * the count in copied (0 when the segment is not readable or absent; the
 * Receive itself still succeeds).  For V_IOC_RECEIVE buf_addr and buf_len
 * must be 0.
 *
 * Notices (kind V_KIND_NOTICE and V_KIND_UNBLOCK, see "Notices" below)
 * queued for the caller are delivered before messages, oldest first.
 *
 * Deadlines: a Send with a timeout gives its message a deadline, which
 * travels with it through Forward and to other hosts (as the time left);
 * Receive reports it in deadline_ns.  Once it has passed, Reply,
 * ReplyWithSegment, Forward, MoveTo and MoveFrom on that message fail with
 * ETIMEDOUT and the message is no longer held (the sender's Send fails
 * with ETIMEDOUT); the first Reply to say so ends that, later ones get
 * ENOENT.  A holder is told ETIMEDOUT for the last V_EXPIRED_KEPT such
 * messages it held, by sender id; for older ones, ENOENT.  Deadlines are
 * checked when the holder acts, and a remote client's within a second
 * of passing: Receive may deliver a message whose deadline_ns has
 * already passed.
 */
#define V_EXPIRED_KEPT		16
/*
 * What a Receive delivered (v_receive.kind).  Only a message is held and
 * answered (Reply, Forward, MoveTo, MoveFrom); the others are the
 * kernel's word, taken by the Receive that delivers them: a Reply to
 * their sender fails (ENOENT, or ETIMEDOUT after an unblock notice for a
 * passed deadline).
 */
enum v_kind {
	V_KIND_MESSAGE	= 0,	/* a Send awaiting the caller's Reply */
	V_KIND_NOTICE	= 1,	/* a death notice (V_IOC_WATCH) */
	V_KIND_PULSE	= 2,	/* a pulse (V_IOC_PULSE): nobody awaits a Reply */
	V_KIND_UNBLOCK	= 3,	/* a client whose message the caller held gave up */
};

struct v_receive {
	__aligned_u64	sender;		/* out: original sender (a notice: the
					 * process or host it is about)
					 */
	__aligned_u64	group;		/* out: group it came through, or 0 */
	__aligned_u64	forwarder;	/* out: last forwarder, or 0 */
	__aligned_u64	seg_len;	/* out: granted segment length, or 0 */
	__aligned_u64	buf_addr;	/* in: ReceiveWithSegment buffer */
	__aligned_u64	buf_len;	/* in: its size */
	__aligned_u64	copied;		/* out: bytes copied into buf */
	__u32		seg_access;	/* out: V_SEG_* granted */
	__u32		flags;		/* in: zero */
	struct v_creds	creds;		/* out: the sender's credentials */
	struct v_msg	msg;		/* out: the message */
	__u32		kind;		/* out: enum v_kind */
	__u32		reserved1;	/* in: zero; out: zero */
	__aligned_u64	deadline_ns;	/* out: when the sender's Send times out,
					 * CLOCK_MONOTONIC of the caller's time
					 * namespace in ns; 0: never
					 */
	__aligned_u64	reserved[2];	/* in: zero; out: zero */
};

/*
 * The layout before kind and deadline_ns (programs built against it use
 * the ioctl numbers V_IOC_*_V1 below, which stay).  Such a Receive gets
 * notices too, told apart by their code (V_NOTICE_*), and no deadline.
 */
struct v_receive_v1 {
	__aligned_u64	sender;
	__aligned_u64	group;
	__aligned_u64	forwarder;
	__aligned_u64	seg_len;
	__aligned_u64	buf_addr;
	__aligned_u64	buf_len;
	__aligned_u64	copied;
	__u32		seg_access;
	__u32		flags;
	struct v_creds	creds;
	struct v_msg	msg;
};

/*
 * Reply (V_IOC_REPLY) and ReplyWithSegment (V_IOC_REPLY_SEG)
 *
 * Never blocks.  Valid only for a sender awaiting reply from the caller (or
 * a group Send whose transaction is still open).  ReplyWithSegment first
 * writes src_len bytes from src_addr at seg_offset into the sender's
 * write-granted segment (at most the reply_seg_max parameter, default
 * 32 KiB: EMSGSIZE beyond; larger data goes with MoveTo before the Reply).
 * For V_IOC_REPLY seg_offset, src_addr and src_len must be 0.
 */
struct v_reply {
	__aligned_u64	dst;		/* in: the sender replied to */
	__aligned_u64	seg_offset;	/* in: offset in the sender's segment */
	__aligned_u64	src_addr;	/* in: data in the caller's memory */
	__aligned_u64	src_len;	/* in: its length */
	__u32		flags;		/* in: zero */
	__u32		reserved;	/* in: zero */
	struct v_msg	msg;		/* in: the reply */
};

/*
 * Reply-and-Receive (V_IOC_REPLY_RECEIVE): a Reply (or ReplyWithSegment when
 * reply.src_len is non-zero) followed by a Receive, in one call, so a server
 * loop costs one system call per request.  reply.dst == 0 skips the Reply.
 * A failed Reply half is reported as the call's error without receiving.
 * Once the Reply half has succeeded the kernel sets reply.dst to 0, so a
 * call restarted by a signal (or failing in its Receive half) does not
 * reply twice: the caller sees from reply.dst whether the Reply was done.
 */
struct v_reply_receive {
	struct v_reply		reply;
	struct v_receive	recv;
};

struct v_reply_receive_v1 {
	struct v_reply		reply;
	struct v_receive_v1	recv;
};

/*
 * Forward (V_IOC_FORWARD): the caller, holding an unreplied message from
 * `from`, passes it (as msg, possibly changed) to `to`; `to` receives it as
 * if `from` had sent it (forwarder = the caller) and replies to `from`.  The
 * caller's hold on the message ends.
 */
struct v_forward {
	__aligned_u64	from;		/* in: original sender */
	__aligned_u64	to;		/* in: new receiver */
	__u32		flags;		/* in: zero */
	__u32		reserved;	/* in: zero */
	struct v_msg	msg;		/* in: the message as forwarded */
};

/*
 * MoveTo (V_IOC_MOVE_TO) / MoveFrom (V_IOC_MOVE_FROM): copy len bytes
 * between the caller's memory at addr and the segment of pid, a sender
 * awaiting reply from the caller, at offset.  Checked against the granted
 * segment and access before anything is copied: never a partial copy that
 * looks like success.
 */
struct v_move {
	__aligned_u64	pid;		/* in: the sender */
	__aligned_u64	offset;		/* in: offset in its segment */
	__aligned_u64	addr;		/* in: the caller's buffer */
	__aligned_u64	len;		/* in: bytes to move */
	__u32		flags;		/* in: zero */
	__u32		reserved;	/* in: zero */
};

/*
 * SetPid (V_IOC_SET_PID) / GetPid (V_IOC_GET_PID)
 *
 * SetPid registers pid (a process of this host, or 0 to unregister) under a
 * logical id in the given scope.  GetPid looks it up: local scope on this
 * host, remote scope answered by the other hosts (first answer wins), both
 * tries local first.  ESRCH when nobody has it.
 *
 * Who may: a process registers only itself (pid is the calling socket's id);
 * a registration is removed only by the registered process, the process that
 * registered it, or a caller with CAP_NET_ADMIN over the network namespace's
 * user namespace, who may also register any process of the host.  Else
 * EPERM.  A registered id is not replaced: EEXIST until it is removed.
 *
 * Capabilities are checked on the caller at each ioctl, never on the opener
 * of the socket: a V socket passed to another process does not carry its
 * opener's privileges (this holds for every V ioctl; the generic netlink
 * commands check both the netlink socket's opener and the caller, as the
 * kernel's netlink_ns_capable() does).
 */
struct v_pid {
	__aligned_u64	pid;		/* SetPid in, GetPid out */
	__u32		logical_id;	/* in */
	__u32		scope;		/* in: V_SCOPE_* */
	__aligned_u64	timeout_ns;	/* in: GetPid remote wait, 0 = default */
};

/*
 * Groups
 *
 * V_IOC_GROUP_CREATE returns a new group id (group flag, the creator's host
 * part) in gid; the creator is NOT a member until it joins.  Any process
 * that knows a group id may join it (well-known groups need the capability);
 * a group exists while it has members.  A Send to a group id reaches every
 * member, returns the first reply; GetReply returns each further reply once.
 */
struct v_group {
	__aligned_u64	gid;		/* CREATE: out; JOIN / LEAVE: in */
	__u32		flags;		/* in: zero */
	__u32		reserved;	/* in: zero */
};

/*
 * V_IOC_GROUP_MEMBERS fills ids_addr (an array of max u64) with the
 * members of gid cluster-wide and sets total to the cluster-wide count; a
 * total above max means the array was truncated.
 */
#define V_GROUP_QUERY_MS_DEFAULT	200	/* members query wait (timeout_ns 0) */
#define V_GROUP_MEMBERS_MAX		4096	/* members one query collects */

struct v_group_members {
	__aligned_u64	gid;		/* in */
	__aligned_u64	ids_addr;	/* in: __u64 array */
	__aligned_u64	timeout_ns;	/* in: remote query wait, 0 = default */
	__u32		max;		/* in: array entries */
	__u32		total;		/* out: members cluster-wide */
};

/*
 * V_IOC_GET_REPLY returns one further reply of the caller's open group
 * transaction with the replier's id; ETIMEDOUT when none came within
 * timeout_ns (0 = do not wait), ENOENT when the transaction is closed (the
 * caller's next Send, its close, or the host's group-reply window).  Later
 * replies carry no segment data.
 */
struct v_get_reply {
	__aligned_u64	timeout_ns;	/* in */
	__aligned_u64	replier;	/* out */
	struct v_msg	msg;		/* out */
};

/*
 * Notices (Binder's linkToDeath, QNX's _NTO_CHF_DISCONNECT and
 * _NTO_CHF_UNBLOCK, TIPC's topology service)
 *
 * V_IOC_WATCH asks for a death notice when the process id ends (its
 * socket is shut down or closed, its process exits), or, for a host
 * (id = v_id_make(host part, 0)), when that host is declared down or
 * restarts.  A watch of a process already gone notifies at once.  A
 * watch fires once and is then gone; V_IOC_UNWATCH removes one that has
 * not been received yet (its notice too, if it fired).  A process holds
 * at most V_WATCHES_MAX watches (ENOSPC), one per id (EEXIST), and a
 * process is watched by at most V_WATCHERS_MAX (ENOSPC: its end fires
 * them all at once); UNWATCH of an id not watched: ENOENT.  Ids that name
 * no process or host (0, a group, a well-known id, a local part without
 * an index, this host itself): EINVAL.  A watch of another host's
 * process or of a host needs a link (EHOSTUNREACH), and fails at once
 * for a host part fenced (EHOSTUNREACH) or of another wire version
 * (EPROTO); see "Watches across hosts" for the frames.  A watch
 * is charged to the memory cgroup of the task that calls WATCH.  A notice
 * whose Receive could not copy it out (EFAULT) is queued again, no longer
 * tied to its watch (UNWATCH: ENOENT; the id may be watched again).
 *
 * V_IOC_NOTIFY sets which notices the caller wants besides death notices:
 * V_NOTIFY_UNBLOCK, an unblock notice whenever a client whose message the
 * caller has received (not yet replied) gives up: its Send was
 * interrupted by a signal, timed out, or its process ended.  The message
 * is no longer held by then (Reply: ENOENT, or ETIMEDOUT for a passed
 * deadline).  A client on another host gives up by a CANCEL frame (at
 * most once, best effort: if it is lost, the server's kernel notices a
 * passed deadline within a second).  At most V_UNBLOCKS_MAX unblock
 * notices wait per process; beyond that they are dropped (the Reply
 * still fails).
 *
 * A notice is delivered by Receive with kind V_KIND_NOTICE or
 * V_KIND_UNBLOCK, sender = the process (or host id) it is about, and a
 * message laid out as
 *
 *   bytes  0-1   code: V_NOTICE_DEATH or V_NOTICE_UNBLOCK
 *   bytes  2-3   why: enum v_why
 *   bytes  8-15  the process or host id it is about (as sender)
 *   bytes 16-19  V_NOTICE_UNBLOCK: the client's transaction number
 *   bytes 24-31  V_NOTICE_DEATH: the watch's cookie
 *
 * (the rest zero; little-endian, v_msg_get*), so a program using the
 * V_IOC_*_V1 numbers tells a notice by its code.  Nobody is waiting for
 * a reply to a notice.
 */
#define V_WATCHES_MAX		1024
#define V_WATCHERS_MAX		4096
#define V_UNBLOCKS_MAX		1024
#define V_NOTICE_DEATH		0xff01
#define V_NOTICE_UNBLOCK	0xff02

enum v_why {
	V_WHY_EXITED		= 1,	/* its socket was shut down or closed */
	V_WHY_GONE		= 2,	/* no such process when the watch began */
	V_WHY_HOST_DOWN		= 3,	/* its host was silent for the host-down bound */
	V_WHY_HOST_RESTARTED	= 4,	/* its host came up again (a new incarnation) */
	V_WHY_SIGNAL		= 5,	/* unblock: a signal interrupted the Send */
	V_WHY_TIMEOUT		= 6,	/* unblock: the Send timed out */
	V_WHY_CLOSED		= 7,	/* unblock: the client's socket went away */
};

struct v_watch {
	__aligned_u64	id;		/* in: a process, or v_id_make(host, 0) */
	__aligned_u64	cookie;		/* in (WATCH): returned in the notice */
	__u32		flags;		/* in: zero */
	__u32		reserved;	/* in: zero */
};

#define V_NOTIFY_UNBLOCK	0x1

struct v_notify {
	__u32		flags;		/* in: V_NOTIFY_*, replacing the last */
	__u32		reserved;	/* in: zero */
};

/*
 * Pulses (V_IOC_PULSE; QNX MsgSendPulse, Binder's oneway)
 *
 * A pulse is a 32-byte one-way message: the call never blocks and no
 * Reply is awaited.  The receiver must take pulses (V_OPT_PULSES, else
 * ECONNREFUSED); dst is a process, not a group (EINVAL).  A Receive
 * delivers queued pulses after notices and before messages (but at most
 * 8 in a row while a message waits: a flood of pulses does not starve
 * Sends), oldest first, with kind V_KIND_PULSE, sender = the pulsing process, its
 * credentials as for a message, and no segment, group, forwarder or
 * deadline.  Nobody waits for a Reply to it: a Reply to its sender
 * fails (ENOENT) unless a message of the same process is held too,
 * which that Reply then answers.  At most V_PULSES_MAX pulses
 * wait per receiver: beyond that EAGAIN, nothing queued.  A pulse is
 * charged to the memory cgroup of the task that pulses (a remote one: to
 * the receiver's, as an alien is).  Credentials are the pulser's effective
 * ids and process when it pulsed, shown in the receiving thread's
 * namespaces at Receive (a pulser already reaped: pid 0).  Turning
 * V_OPT_PULSES off refuses new pulses and keeps the queued ones; a
 * shutdown drops them, and a pulse to a shut-down process fails ESRCH.
 * A Receive whose result cannot be written (EFAULT) puts its pulse back
 * at the head of the queue.  Receive through the V_IOC_*_V1 numbers
 * delivers pulses too but cannot tell them from messages (no kind): a
 * program built against that layout must not set V_OPT_PULSES.
 *
 * To a process on another host a pulse is one PULSE frame (see the wire
 * section): the call returns once it is handed to the link (or, for a
 * host part not in the mapping table, left waiting for WHERE like any
 * frame), having checked only what the caller's host knows (the id, a
 * link, the host part's version: EHOSTUNREACH, EPROTO).  Its credentials
 * are shown as a remote message's (V_CRED_REMOTE, V_CRED_KEYED when the
 * frame was authenticated, pid 0).  What is promised there is at
 * most once: the sending kernel never retransmits, the receiving kernel
 * delivers a frame at most once (a duplicate is dropped by the sending
 * host's pulse number), and a pulse lost on the link, or refused there
 * (no such process, no V_OPT_PULSES, a full queue), is gone: the
 * receiving host counts it in V_A_STAT_PULSES_DROPPED, the sender is
 * not told.  Use a Send when the sender must know.
 */
#define V_PULSES_MAX		64

struct v_pulse {
	__aligned_u64	dst;		/* in: a process */
	__u32		flags;		/* in: zero */
	__u32		reserved;	/* in: zero */
	struct v_msg	msg;		/* in: the pulse */
};

/*
 * Options of a V process (V_IOC_SET_OPTS, replacing the last; all off
 * when the socket is created):
 *
 *   V_OPT_PULSES    take pulses (see "Pulses").
 *
 *   V_OPT_INHERIT   priority inheritance (QNX): a thread of this process
 *                   that Receives a message runs at no lower priority than
 *                   its client had when it sent: the client's SCHED_FIFO or
 *                   SCHED_RR priority, or its nice value (SCHED_OTHER,
 *                   SCHED_BATCH and SCHED_IDLE threads are raised to
 *                   SCHED_OTHER at the client's nice).  Never above the
 *                   client's own, never lowered, and neither SCHED_DEADLINE
 *                   threads nor the messages of SCHED_IDLE or SCHED_DEADLINE
 *                   clients take part.  A thread handed a local message
 *                   while it waits in Receive is raised by the Send, before
 *                   it runs (unless the Send would have to wait for that:
 *                   then, as after a Forward, when its Receive returns); a
 *                   raised thread's children are not raised
 *                   (SCHED_FLAG_RESET_ON_FORK: they start at SCHED_OTHER,
 *                   nice 0 or above), and a thread is raised by one V
 *                   process at a time (the first).  The thread
 *                   keeps the highest priority it was raised to until none
 *                   of the messages that raised it is held any more (Reply,
 *                   Forward, or the client giving up, which the module's
 *                   work notices at once), and then gets back what it had
 *                   before the first; a change made to it meanwhile is
 *                   overwritten.  A remote client's priority travels in its
 *                   REQUEST and counts only when the REQUEST was
 *                   authenticated and came straight from the client's host,
 *                   and only on a host of the initial user namespace
 *                   (another namespace's owner could forge it); a real-time
 *                   one is capped at this host's V_A_HOST_INHERIT_RT
 *                   (default 0: nice only, the client counted at its nice
 *                   value).  Setting the option needs no privilege: it only
 *                   lends a client's own priority to the thread serving it
 *                   (so a real-time client lends real time to any server it
 *                   Sends to, and one that never Replies keeps it).
 *
 *   V_OPT_DEADLOCK  check every Send of this process as V_SEND_DEADLOCK.
 *
 * Deadlock detection.  A checked Send from process S to D fails with
 * EDEADLK when D waits for S: D has a thread blocked in Send whose
 * message is queued at or held by a process that, the same way, waits ...
 * for S, in at most V_DEADLOCK_DEPTH steps.  A process counts as waiting
 * only while a thread of it is blocked in Send and none is blocked in
 * Receive (a process whose other thread Receives can still serve, as a
 * V server calling back into its client does); S itself too.  Processes
 * of this host are seen as they are at the Send.  For a process on
 * another host the check uses what that host's kernel reported when the
 * message that links it into the chain was sent: every REQUEST carries
 * the processes waiting for its client (at most V_DEADLOCK_DEPTH ids,
 * the first ones found), so a thread that began to Receive there since
 * is not seen.  Nor is a thread still working on a message its process
 * received (it may Reply yet): the process counts as waiting.  A group
 * Send and Forward are not checked.
 */
#define V_OPT_PULSES		0x1
#define V_OPT_INHERIT		0x2
#define V_OPT_DEADLOCK		0x4
#define V_OPTS			(V_OPT_PULSES | V_OPT_INHERIT | V_OPT_DEADLOCK)
#define V_DEADLOCK_DEPTH	16

struct v_opts {
	__u32		flags;		/* in: V_OPT_* */
	__u32		reserved;	/* in: zero */
};

/*
 * ioctl numbers.  Type 0xBE is free in Documentation/userspace-api/ioctl/
 * ioctl-number.rst; socket ioctls reach the family first in any case.
 */
#define V_IOC_TYPE		0xBE

#define V_IOC_SEND		_IOWR(V_IOC_TYPE, 0x01, struct v_send)
#define V_IOC_RECEIVE		_IOWR(V_IOC_TYPE, 0x02, struct v_receive)
#define V_IOC_RECEIVE_SEG	_IOWR(V_IOC_TYPE, 0x03, struct v_receive)
#define V_IOC_REPLY		_IOW(V_IOC_TYPE, 0x04, struct v_reply)
#define V_IOC_REPLY_SEG		_IOW(V_IOC_TYPE, 0x05, struct v_reply)
#define V_IOC_REPLY_RECEIVE	_IOWR(V_IOC_TYPE, 0x06, struct v_reply_receive)
#define V_IOC_FORWARD		_IOW(V_IOC_TYPE, 0x07, struct v_forward)
#define V_IOC_MOVE_TO		_IOW(V_IOC_TYPE, 0x08, struct v_move)
#define V_IOC_MOVE_FROM		_IOW(V_IOC_TYPE, 0x09, struct v_move)
#define V_IOC_SET_PID		_IOW(V_IOC_TYPE, 0x0a, struct v_pid)
#define V_IOC_GET_PID		_IOWR(V_IOC_TYPE, 0x0b, struct v_pid)
#define V_IOC_GROUP_CREATE	_IOWR(V_IOC_TYPE, 0x0c, struct v_group)
#define V_IOC_GROUP_JOIN	_IOW(V_IOC_TYPE, 0x0d, struct v_group)
#define V_IOC_GROUP_LEAVE	_IOW(V_IOC_TYPE, 0x0e, struct v_group)
#define V_IOC_GROUP_MEMBERS	_IOWR(V_IOC_TYPE, 0x0f, struct v_group_members)
#define V_IOC_GET_REPLY		_IOWR(V_IOC_TYPE, 0x10, struct v_get_reply)
#define V_IOC_WATCH		_IOW(V_IOC_TYPE, 0x11, struct v_watch)
#define V_IOC_UNWATCH		_IOW(V_IOC_TYPE, 0x12, struct v_watch)
#define V_IOC_NOTIFY		_IOW(V_IOC_TYPE, 0x13, struct v_notify)
#define V_IOC_PULSE		_IOW(V_IOC_TYPE, 0x14, struct v_pulse)
#define V_IOC_SET_OPTS		_IOW(V_IOC_TYPE, 0x15, struct v_opts)

/* The numbers of the layout before kind and deadline_ns (struct v_receive_v1). */
#define V_IOC_RECEIVE_V1	_IOWR(V_IOC_TYPE, 0x02, struct v_receive_v1)
#define V_IOC_RECEIVE_SEG_V1	_IOWR(V_IOC_TYPE, 0x03, struct v_receive_v1)
#define V_IOC_REPLY_RECEIVE_V1	_IOWR(V_IOC_TYPE, 0x06, struct v_reply_receive_v1)

/*
 * ========================================================================
 * The wire: V kernel frames between hosts (network byte order)
 * ========================================================================
 *
 * Every frame is an Ethernet frame of EtherType `ethertype` (module
 * parameter, default 0x805C) whose payload starts with struct v_wire_hdr.
 * A transaction is named by (client, seq): the id of the process that
 * called Send and its per-process transaction number.  The server's kernel
 * represents a remote client by an *alien* that holds the request and,
 * after the Reply, the cached response, so a retransmitted request is
 * answered from the cache and never executed twice.
 *
 *   client host                         server host
 *   REQUEST (client, seq, msg, seg) -->  alien created, queued for Receive
 *                                   <--  ACK (reply pending), on duplicates
 *   REQUEST (retransmission)        -->  and probes
 *                                   <--  RESPONSE (msg, segment data)
 *                                   <--  NACK (no such process, busy)
 *
 * The client retransmits an unanswered REQUEST with back-off (20 ms
 * doubling, capped at 320 ms); any ACK resets its silence clock; after
 * the host-down bound (per-host setting, default 3 s) of total silence the
 * Send fails with EHOSTUNREACH.  A frame for a host part with no known
 * address waits (at most 1 s) while a broadcast WHERE asks for it, and
 * goes to the address the HERE came from; no frame for one host is ever
 * broadcast.  CLAIM, HERE, and every frame for this host sent to its own
 * address (but DENY) teach the receiver the source host part's link and
 * MAC address (the mapping table); frames for all (see below) teach
 * nothing.
 *
 * A receiver drops, and counts by reason, any frame that is shorter than
 * its header says, of another version or unknown type, or whose fields
 * disagree.  Unknown flag bits are ignored (reserved for extensions that
 * older kernels may safely ignore); V_WIRE_F_AUTH is the one defined.
 *
 * Authenticated frames (opt-in, per host: V_A_HOST_KEY).  A host with a
 * cluster key sets V_WIRE_F_AUTH in every frame it puts on a link and
 * appends a struct v_wire_auth trailer right after the payload (not
 * counted in len; Ethernet padding may follow it):
 *
 *   counter  64 bits, per sending host, strictly increasing by one per
 *            frame: the upper 32 bits are an epoch in seconds of the
 *            sender's CLOCK_REALTIME, the lower 32 a frame count in it.
 *            A sender starts an epoch (epoch = now, count = 0) when the
 *            key is set and whenever its epoch is V_WIRE_AUTH_EPOCH_S or
 *            more behind its clock (never going back), so a restarted
 *            host does not reuse counters and counters stay dense: the
 *            replay window below covers the last 64 frames, not 64 ns
 *   tag      HMAC-SHA256 with the 32-byte key over the scope of a frame
 *            for one host (4 bytes, big-endian, not sent; none for a
 *            frame for all), the header (flags and len as sent), the
 *            payload and the counter, truncated to V_WIRE_AUTH_TAG_LEN
 *            bytes
 *
 * The scope binds a frame to its receiver: the host part of the host it
 * is sent to, so a frame captured on its way to one host is refused by
 * every other.  Frames for all (CLAIM, WHERE, GETPID, GREQUEST,
 * GQUERY and FENCE: questions and announcements, sent by broadcast or
 * multicast, and a qualified GREQUEST too) have scope V_WIRE_AUTH_ALL
 * and may be accepted by any keyed host; they are tagged exactly as in
 * version 4 (no scope), so CLAIM and WHERE read across versions, and a
 * HERE answering a WHERE of another version is tagged the same way.
 * Each sender keeps a counter space for frames for all apart from its
 * counter space for frames to one host, and the receiver a replay
 * window for each.  Every other frame type is for one host only.
 *
 * A receiver with a key drops (V_A_STAT_DROP_AUTH) frames without the flag
 * or the trailer and frames whose tag is wrong; a receiver without a key
 * drops (V_A_STAT_DROP_AUTH) frames that carry the flag, as it cannot
 * check them.  Replays
 * (V_A_STAT_DROP_REPLAY): per source host part and counter space the
 * receiver keeps the highest counter accepted and a 64-bit window (IPsec
 * style) of the counters below it already seen; a counter below the
 * window or already seen is dropped, and so is, when it holds nothing for
 * that host part yet, a counter whose epoch is more than
 * V_WIRE_AUTH_FRESH_MS older or newer than its own real-time clock (hosts
 * of a keyed cluster keep their clocks within that of each other).  Frames
 * of one sender reordered by more than 64 frames, or across the start of
 * its next epoch, are dropped as replays too; retransmission recovers
 * them.
 * Frames a host hands to itself never touch a link and carry no trailer.
 * Tags cover the V frame, not the Ethernet header.
 */
#define V_WIRE_VERSION		9	/* 2: v_wire_request.retx_ms, epoch counters;
					 * 3: V_WIRE_TRAIN_WINDOW trains in flight;
					 * 4: CLAIM, WHERE and HERE are read whatever
					 * their version; CLAIM and HERE carry the
					 * sender's features;
					 * 5: tags of frames for one host cover its
					 * host part (scope), frames for all count
					 * apart; FORWARDED; answers taken only from
					 * the host the REQUEST went to;
					 * 6: REQUEST deadline_ms, NACK TIMED_OUT,
					 * WATCH, WATCHED, UNWATCH, NOTICE, CANCEL;
					 * 7: REQUEST priority and waiters, PULSE;
					 * 8: REQUEST fragments (frag, frags,
					 * data_off, data_total);
					 * 9: RELAY (claims between links)
					 */
/*
 * How the wire evolves.  Each change to a frame bumps V_WIRE_VERSION once
 * (once per change set, not per frame) and says what changed above.  A
 * host drops every frame of another version but CLAIM, WHERE and HERE:
 * from version 4 on, struct v_wire_hdr, struct v_wire_claim, the
 * authentication trailer and those three type codes (13, 15, 16) never
 * change.  A CLAIM or HERE of another version (authenticated like any
 * frame on a keyed host) tells the receiver that host part runs that
 * version (V_MAP_VERSION, shown by `vctl map show`), and a WHERE of any
 * version for the receiver's part is answered with a HERE of its own.  A
 * Send, Forward or qualified group Send to a host part of another
 * version then fails at once with EPROTO instead of waiting for the
 * host-down bound, and asks WHERE again (at most every
 * V_FENCE_CONFIRM_MS): a frame of this version from that part (a live
 * host someone misrepresented, or one upgraded) ends the refusal.  New
 * capabilities a version may add later are announced as V_WIRE_FEAT_*
 * bits in v_wire_claim.features, so a host can tell what a peer of its
 * own version can do.
 */
#define V_WIRE_FEATURES		0	/* V_WIRE_FEAT_*: none defined yet */

#define V_WIRE_F_AUTH		0x0001	/* v_wire_hdr.flags: a v_wire_auth trailer follows */
#define V_WIRE_AUTH_TAG_LEN	16
#define V_WIRE_AUTH_ALL		0	/* the scope of frames for all (no host part is 0) */
#define V_WIRE_AUTH_FRESH_MS	30000	/* first counter from a host part: within +-this */
#define V_WIRE_AUTH_EPOCH_S	10	/* a sender's epoch is at most this old */
#define V_HOST_KEY_LEN		32	/* cluster key bytes (V_A_HOST_KEY) */

/*
 * RELAY (wire version 9).  A host part must be unique across the cluster,
 * but hosts that share no link never hear each other's CLAIM.  A host
 * attached to two links or more relays what keeps host parts unique, and
 * nothing else: a CLAIM or FENCE heard on one link goes to its other
 * links as a RELAY of its own (src_host its part, tagged for all; a DENY
 * sent back to the relaying host is tagged for that host), whose
 * payload is struct v_wire_relay followed by the relayed frame's V header
 * and claim (flags 0, no trailer: the relaying host vouches for it).  A
 * host whose part a relayed CLAIM names answers with its DENY wrapped the
 * same way (hops unchanged), sent to the relaying host, which relays it
 * on (hops 2) to the claimer's side.  Hops are 1 or 2, never more: a
 * RELAY of hops 2 is not relayed again.  A relayed frame teaches no path
 * (its sender is not reachable through the relaying host: transactions
 * are never relayed), and a host relays at most 64 a second.
 */
struct v_wire_relay {
	__u8	hops;		/* 1: relayed once; 2: a DENY relayed back */
	__u8	pad[3];
};

enum v_pkt_type {
	V_PKT_REQUEST		= 1,	/* client -> server: a Send */
	V_PKT_RESPONSE		= 2,	/* server -> client: the Reply */
	V_PKT_ACK		= 3,	/* server -> client: received, reply pending */
	V_PKT_NACK		= 4,	/* server -> client: failed, see v_wire_nack */
	V_PKT_MOVE_FROM		= 5,	/* server -> client: send me these blocks */
	V_PKT_MOVE_DATA		= 6,	/* either way: one block of a train */
	V_PKT_MOVE_ACK		= 7,	/* client -> server: blocks of a MoveTo held */
	V_PKT_GETPID		= 8,	/* broadcast: who has this logical id? */
	V_PKT_GETPID_ANSWER	= 9,	/* -> the asker: this process has it */
	V_PKT_GREQUEST		= 10,	/* client -> group (multicast): a group Send */
	V_PKT_GQUERY		= 11,	/* broadcast: who are the members of dst? */
	V_PKT_GMEMBERS		= 12,	/* -> the asker: members of dst on this host */
	V_PKT_CLAIM		= 13,	/* broadcast: src_host is mine (attach, MAC change) */
	V_PKT_DENY		= 14,	/* -> the claimer: that host part is mine */
	V_PKT_WHERE		= 15,	/* broadcast: who has host part `host`? */
	V_PKT_HERE		= 16,	/* -> the asker: src_host is here */
	V_PKT_FENCE		= 17,	/* broadcast: host part `host` is claimed twice */
	V_PKT_FORWARDED		= 18,	/* server -> client: answers now come from there */
	V_PKT_WATCH		= 19,	/* watcher -> watched host: register, or probe */
	V_PKT_WATCHED		= 20,	/* -> the watcher: alive (registered) */
	V_PKT_UNWATCH		= 21,	/* watcher -> watched host: forget it */
	V_PKT_NOTICE		= 22,	/* -> the watcher: it ended (or never was) */
	V_PKT_CANCEL		= 23,	/* client -> server: I gave up (client, seq) */
	V_PKT_PULSE		= 24,	/* -> the receiver's host: a pulse */
	V_PKT_RELAY		= 25,	/* another link's CLAIM, DENY or FENCE (v_wire_relay) */
	V_PKT_MAX		= V_PKT_RELAY
};

struct v_wire_hdr {
	__u8	version;	/* V_WIRE_VERSION */
	__u8	type;		/* enum v_pkt_type */
	__be16	flags;		/* V_WIRE_F_* */
	__be32	seq;		/* the client's transaction number */
	__be64	client;		/* the process that called Send */
	__be64	dst;		/* REQUEST: the receiving process; else the client */
	__be64	src;		/* the process (or forwarder) this frame speaks for */
	__be32	src_host;	/* host part of the sending kernel */
	__be32	len;		/* payload bytes following this header */
};

/* After the payload of a frame with V_WIRE_F_AUTH (unaligned there). */
struct v_wire_auth {
	__be64	counter;
	__u8	tag[V_WIRE_AUTH_TAG_LEN];
};

/*
 * REQUEST payload: the message, the granted segment (length and access,
 * never its address), the credentials the client's kernel vouches for,
 * then the first bytes of a read-granted segment (piggy-backed, as many as
 * fit the link's MTU), so ReceiveWithSegment of a small segment needs no
 * further round trip.
 *
 * retx_ms is how long the client may go on retransmitting after it last
 * heard from the server: its host's host-down bound when the Send started.
 * The server keeps a finished transaction (and its cached RESPONSE) for
 * the longer of that and its own bound, plus a second, so a client with
 * a longer bound than the server's is still answered from the cache after
 * a long silence, never by running the request again.  Receivers clamp it
 * to V_HOST_DOWN_MS_MAX.
 *
 * prio_*: the client's scheduling class and priority when it sent
 * (V_OPT_INHERIT; policy V_WIRE_PRIO_NONE: none to inherit).  For
 * deadlock detection, V_WIRE_REQ_WAITING says the client waits (no
 * thread of it was in Receive), and after the struct come nr_waiters ids
 * (be64; with the client, at most V_DEADLOCK_DEPTH): the processes found
 * waiting for it; then data_len bytes of the segment.  A forwarded
 * REQUEST repeats the client's.
 *
 * Fragments (wire version 8).  A read-granted segment of at most
 * V_WIRE_REQ_DATA_MAX bytes that does not fit one frame, but fits
 * V_WIRE_MAX_FRAGS of them, travels whole with the message, as a
 * RESPONSE's data does: the REQUEST is sent as frags frames, each a
 * complete REQUEST (the same message, fields and waiters) carrying
 * data_len bytes of the segment at data_off, data_total bytes in all:
 * every fragment but the last carries the same number of bytes, fragment
 * i starts at i times that, and the last ends at data_total.  The server's kernel
 * delivers the message once it holds every fragment, so a page write is
 * Send, ReceiveWithSegment, Reply: one round trip.  A larger segment
 * sends one frame with its head, and the server moves the rest with
 * MoveFrom.  frags 0 or 1 is a whole REQUEST (data_off 0, data_total 0
 * or data_len).  GREQUESTs and forwarded REQUESTs are never fragmented.
 * The client retransmits every fragment; the server answers (ACK or its
 * cached RESPONSE) the last fragment of a REQUEST it has delivered.
 *
 * A client whose REQUEST the server answered (an ACK) sends only the
 * last fragment again while it waits, and all of them after two
 * retransmissions go unanswered.
 *
 * This implementation's bounds: a server holds at most
 * V_WIRE_REQ_PARTIAL_MAX incomplete REQUESTs (V_WIRE_REQ_PARTIAL_HOST
 * per source: the client's host part on a keyed host, else the link and
 * source address), one per client, each its data_total bytes, for
 * V_WIRE_REQ_PARTIAL_MS (1 to 2 s).  With no room, or no memory, the
 * first fragment is delivered alone with its own data (counted in
 * V_A_STAT_REQ_PARTIAL_SHORT) and the receiver moves the rest with
 * MoveFrom: slower, never wrong; so is an alien that cannot be charged
 * its data (it is made without it).  Fragments that disagree with
 * themselves or the ones held (frags, data_total, their lengths and
 * offsets) are dropped (V_A_STAT_DROP_SHORT), and a fragment of an older
 * transaction of the client than one held (V_A_STAT_DROP_NO_TXN).
 */
#define V_WIRE_REQ_DATA_MAX	(32U << 10)	/* segment bytes in one fragmented REQUEST */
#define V_WIRE_REQ_PARTIAL_MAX	64		/* incomplete REQUESTs a host holds */
#define V_WIRE_REQ_PARTIAL_HOST	16		/* of them, from one source host part */
#define V_WIRE_REQ_PARTIAL_MS	1000		/* then the oldest may be dropped */

struct v_wire_request {
	struct v_msg	msg;
	__be64		seg_len;
	__be64		forwarder;	/* last forwarder, 0 if none */
	__be32		seg_access;	/* V_SEG_* */
	__be32		uid;		/* the client's uid, as its kernel claims */
	__be32		gid;
	__be32		data_len;	/* piggy-backed segment bytes that follow */
	__be32		retx_ms;	/* the client's retransmission bound */
	__be32		deadline_ms;	/* the time the client's Send had left
					 * when the REQUEST was built (its
					 * retransmissions repeat it), ms
					 * rounded up (at least 1); 0: no
					 * timeout, or one beyond 2^32 ms
					 */
	__u8		prio_policy;	/* V_WIRE_PRIO_* */
	__u8		prio_rt;	/* FIFO/RR: 1-99, else 0 */
	__s8		prio_nice;	/* -20..19 */
	__u8		req_flags;	/* V_WIRE_REQ_* */
	__be16		nr_waiters;	/* ids that follow */
	__u8		frag;		/* this fragment, 0..frags-1 */
	__u8		frags;		/* fragments of this REQUEST; 0, 1: whole */
	__be32		data_off;	/* segment offset of this fragment's data */
	__be32		data_total;	/* segment bytes in all fragments */
};

#define V_WIRE_REQ_WAITING	0x01	/* the client counts as waiting */

#define V_WIRE_PRIO_NONE	0
#define V_WIRE_PRIO_NORMAL	1	/* SCHED_OTHER, BATCH: nice (IDLE: NONE) */
#define V_WIRE_PRIO_FIFO	2
#define V_WIRE_PRIO_RR		3

/*
 * PULSE payload (header: client = src = the pulsing process, dst = the
 * receiver, seq = the low half of counter).  counter is the sending
 * host's pulse number, one more for every pulse it sends, started from
 * its real-time clock in microseconds when the host came up (so a
 * restarted host goes on above it): the receiving host delivers each
 * number of a host part at most once, keeping the newest and a window of
 * the 63 below it (older ones are dropped; a CLAIM or HERE of the host
 * part starts a new window, for a restarted host whose clock went back).
 * uid and gid as in a REQUEST.
 */
struct v_wire_pulse {
	struct v_msg	msg;
	__be64		counter;
	__be32		uid;
	__be32		gid;
};

/*
 * RESPONSE payload: the reply, who replied, and ReplyWithSegment data
 * (data_len bytes to be written at seg_offset of the client's segment).
 * Reply data larger than one frame travels as frags fragments (at most
 * V_WIRE_MAX_FRAGS), each carrying the message and its own piece; the
 * client completes the Send once it holds every fragment.
 */
#define V_WIRE_MAX_FRAGS	64

struct v_wire_response {
	struct v_msg	msg;
	__be64		replier;
	__be64		seg_offset;
	__be32		data_len;
	__be16		frag;		/* this fragment, 0..frags-1 */
	__be16		frags;		/* fragments in this response, >= 1 */
};

/*
 * Bulk transfer (paper 3.3, with VMTP's selective retransmission).
 *
 * MoveTo and MoveFrom on a remote client's segment move the data as
 * trains of at most V_WIRE_TRAIN blocks, each block one MOVE_DATA frame of
 * `block` bytes (the last may be shorter), with one acknowledgment per
 * train: a 64-bit mask of the blocks held.  Only missing blocks are sent
 * again.  `xfer` numbers the trains of one transaction so late blocks of
 * an earlier train are recognised and dropped.
 *
 *   MoveFrom: server -> MOVE_FROM (offset, len, block, xfer, mask of blocks
 *             it already holds); client -> MOVE_DATA for every other block.
 *             A MOVE_FROM that arrives again asks only for what is missing.
 *   MoveTo:   server -> MOVE_DATA blocks; client -> MOVE_ACK (mask) once it
 *             holds the whole train or when the last block arrives; the
 *             server sends the missing blocks again (and the last one when
 *             it hears nothing, to draw an ACK).
 *
 * A mover keeps up to V_WIRE_TRAIN_WINDOW trains of one Move in flight
 * (numbered xfer, xfer + 1, ...): it asks for (MoveFrom) or sends (MoveTo)
 * the next train while the client still answers the one before, so the
 * link does not idle for a round trip between trains.  A new train goes
 * only once the one V_WIRE_TRAIN_WINDOW before it is whole, so the trains
 * in flight are always the newest V_WIRE_TRAIN_WINDOW; the client keeps
 * the mask of that many MoveTo trains and drops blocks of older ones.  A
 * Move's first train skips V_WIRE_TRAIN_WINDOW numbers, so no late frame
 * of the previous Move is taken for one of its own.
 *
 * Congestion control (not on the wire: the mover's own): a mover's
 * trains are as long as its share of a congestion window per destination
 * host part, in blocks, shared by every Move to it: the window grows by a
 * few blocks with each train that needed nothing sent again and halves
 * (once per window) when one did, between V_WIRE_TRAIN_WINDOW blocks and
 * V_WIRE_TRAIN x V_WIRE_TRAIN_WINDOW, where it starts.  `vctl map show`
 * shows it (V_A_MAP_CWND).
 *
 * The client's kernel checks every block against the segment and access
 * its process granted; the server's kernel checks a MoveTo / MoveFrom
 * against the segment length and access the REQUEST announced.
 */
#define V_WIRE_TRAIN		64
#define V_WIRE_TRAIN_WINDOW	2

struct v_wire_move {
	__be64	offset;		/* segment offset of block 0 */
	__be32	len;		/* bytes in this train */
	__be32	block;		/* bytes per block */
	__be32	xfer;		/* train number within the transaction */
	__be32	reserved;
	__be64	mask;		/* MOVE_FROM: blocks held; MOVE_ACK: blocks held */
};

struct v_wire_data {
	__be64	offset;		/* segment offset of this block */
	__be32	xfer;
	__be16	index;		/* block number in the train */
	__be16	count;		/* blocks in the train */
	__be32	data_len;	/* bytes that follow */
	__be32	reserved;
};

/*
 * GetPid with remote scope: GETPID goes to the broadcast address of every
 * attached link, with client = the asking process and seq = a query
 * number; each host that has the logical id registered with remote scope
 * answers GETPID_ANSWER to the asker.  The first answer wins; the query is
 * repeated a few times until the GetPid's timeout (default
 * V_GETPID_TIMEOUT_MS), after which it fails with ESRCH.
 */
#define V_GETPID_TIMEOUT_MS	1000

struct v_wire_getpid {
	__be32	logical_id;
	__be32	reserved;
	__be64	pid;		/* GETPID_ANSWER: the registered process */
};

/* NACK payload. */
enum v_wire_error {
	V_WERR_NO_PROCESS	= 1,	/* no such process there: ESRCH */
	V_WERR_SHUT_DOWN	= 2,	/* the receiver shut down or exited: ESRCH */
	V_WERR_BUSY		= 3,	/* no room for another alien now: back off */
	V_WERR_TOO_BIG		= 4,	/* segment larger than the server accepts */
	V_WERR_NO_MEMBER	= 5,	/* qualified group Send: no member here: ESRCH */
	V_WERR_SEG_CLOSED	= 6,	/* group Send already answered: segment
					 * access has ended (EACCES to the mover)
					 */
	V_WERR_TIMED_OUT	= 7,	/* its deadline passed there: ETIMEDOUT */
};

struct v_wire_nack {
	__be32	error;		/* enum v_wire_error */
	__be32	reserved;
};

/*
 * Whose answers a client takes.  A client's kernel takes the answers to a
 * Send (RESPONSE, ACK, NACK, MOVE_FROM, MOVE_DATA) only from the host its
 * REQUEST went to (a qualified group Send: the qualifier's; an
 * unqualified one: any member's), answers a MOVE_FROM with blocks sent to
 * that host alone, and a server's kernel takes a client's frames (MOVE_DATA,
 * MOVE_ACK, NACK) only from the client's host and a REQUEST only from the
 * client's host or its forwarder's.  When a server forwards a remote
 * client's transaction to another host, its kernel tells the client so
 * with FORWARDED (header src = the forwarder, payload: the new receiver),
 * before the forwarded REQUEST and again with each retransmission it
 * relays; the client then takes answers from the new receiver's host,
 * and a FORWARDED only from the host it takes answers from.
 */
struct v_wire_forwarded {
	__be64	to;		/* the process the transaction went to */
};

/*
 * CANCEL: a client whose remote Send ended without an answer (a signal,
 * its timeout, its socket closing) tells the host it takes answers from,
 * once and best effort, so the alien ends at once and its holder hears
 * of it (V_NOTIFY_UNBLOCK); a lost CANCEL leaves the alien to its
 * deadline, or to the collection of a silent client's.  Header client
 * and seq name the transaction; taken only from the client's host.
 */
struct v_wire_cancel {
	__be16	why;		/* V_WHY_SIGNAL, V_WHY_TIMEOUT or V_WHY_CLOSED */
	__be16	reserved;
	__be32	reserved2;
};

/*
 * Watches across hosts (V_IOC_WATCH of another host's process or of a
 * host).  Header client = the watcher, dst = the id watched (a process,
 * or v_id_make(host part, 0) for the host itself), seq 0, and a
 * v_wire_watch payload.  The watcher's kernel sends WATCH when the watch
 * is made and again every third of its host-down bound (a probe); the
 * watched host answers each with WATCHED (a process watch is registered
 * there, at most V_RWREGS_MAX per host and half of them for one watcher
 * host, V_RWREGS_TARGET_MAX per process, charged to the target's memory
 * cgroup like an alien; beyond that it is answered but not registered)
 * or, when no such process exists, with NOTICE why GONE.  When a
 * registered target ends, its host sends NOTICE why EXITED to each
 * watcher.  Answers carry the watched host's incarnation (nonce, as in
 * CLAIM): the watcher fires the watch with V_WHY_HOST_RESTARTED when it
 * changes from the first one heard (a CLAIM of a watched host part, as a
 * restarted host sends, brings the next probe forward; at most one such
 * round per 100 ms), with V_WHY_HOST_DOWN when no answer
 * came for its host-down bound (at least three probes), and with the
 * NOTICE's why (GONE after a WATCHED was heard reads as EXITED: the
 * process ended while watched, its NOTICE lost).  UNWATCH drops a
 * registration; one whose watcher stopped probing is dropped after three
 * of the longer of its probe interval and the host's own.  Only a WATCH
 * or UNWATCH sent to this host's address is taken (never a broadcast),
 * answered to the address it came from; answers are taken only from the
 * watched id's host, for a watch the watcher holds.  A host makes at
 * most V_RWATCHES_MAX watches of other hosts (ENOSPC), and probes only
 * hosts its mapping table knows (asking WHERE for the others).
 */
#define V_RWREGS_MAX		4096	/* registrations a host keeps */
#define V_RWREGS_TARGET_MAX	256	/* ... of one process */
#define V_RWATCHES_MAX		1024	/* watches of other hosts a host makes */

struct v_wire_watch {
	__be64	nonce;		/* WATCHED, NOTICE: the watched host's incarnation */
	__be16	why;		/* NOTICE: V_WHY_EXITED or V_WHY_GONE */
	__be16	reserved;
	__be32	probe_ms;	/* WATCH: the watcher's probe interval */
};

/*
 * Groups (V OS "Multicast"; VMTP group addressing).
 *
 * A group Send is one GREQUEST frame (header dst = the group id, client
 * and seq as for a REQUEST) sent to the Ethernet multicast address
 * V_MCAST_ADDR on every attached link, and handed to the sender's own
 * host too: every host delivers it to its own members, one alien per
 * member, and each member's Reply travels back as an ordinary RESPONSE
 * (header src and replier = the member).  With a qualifier the frame goes
 * to the qualifier's host only, and only that host delivers (NACK
 * NO_MEMBER when it has none).  Retransmissions, ACKs, reply caching and
 * trains are those of a REQUEST; the client completes the Send with the
 * first whole RESPONSE and keeps later ones (message only) for GetReply
 * until the group-reply window ends.  MOVE_FROM / MOVE_DATA for a group
 * Send already answered are refused with NACK SEG_CLOSED.
 *
 * Delivery is per host and all or none: a host with no room for an alien
 * per local member (max-aliens, or the client host's share) answers BUSY
 * and delivers to none of them.  The Send fails EBUSY only if no member
 * anywhere answers within the host-down bound; once one has answered, the
 * client stops retransmitting, so members of a host that stayed busy never
 * see that message (V's group Send promises the first reply, not delivery
 * to every member).  Counted on that host in V_A_STAT_BUSY.
 *
 * Membership is local knowledge: each host knows its own members only.
 * GQUERY (dst = group, client = asker, seq = query number) is broadcast
 * a few times within the query's wait; every host with members answers
 * each GQUERY with GMEMBERS (same dst, client and seq) carrying their ids,
 * in as many frames as it takes (each a v_wire_gmembers with count ids
 * after it), sent straight to the address the GQUERY came from; the
 * asker keeps one copy of each host's frames.  A host sends GMEMBERS
 * frames against a credit of 256 frames refilled at 256 a second (a query
 * it cannot answer now is counted in V_A_STAT_BUSY and asked again), so
 * a flood of queries does not become a flood of answers.  GETPID_ANSWER
 * goes straight to the GETPID's address the same way.
 */
#define V_MCAST_ADDR		{ 0x09, 0x00, 0x56, 0x00, 0x00, 0x01 }

struct v_wire_grequest {
	__be64		qualifier;	/* deliver only on its host; 0: everywhere */
	__be64		reserved;
	struct v_wire_request req;	/* then req.data_len piggy-backed bytes */
};

struct v_wire_gmembers {
	__be32	count;		/* member ids that follow (be64 each) */
	__be16	frag;		/* this frame of the host's answer, 0..frags-1 */
	__be16	frags;		/* frames in the host's answer, 1..64 */
};

/*
 * Host parts (V OS "Entity identifiers": kernels cooperate so that ids are
 * unique cluster-wide).
 *
 * When an interface is attached the host broadcasts CLAIM (src_host = its
 * host part, nonce = its random incarnation number) V_CLAIM_TRIES times,
 * V_CLAIM_MS apart.  A host that already owns that host part answers DENY:
 * the attach fails with EADDRINUSE (a host part drawn at random while no
 * process exists is drawn again instead).  Two hosts claiming one part at
 * once both see the other's CLAIM and both back off.  A CLAIM from a known
 * host part also corrects every mapping table (a host whose MAC or
 * interface changed claims again).
 *
 * A frame from the wire that carries the receiver's own host part (the
 * two hosts met after claiming apart, e.g. a healed partition) is a
 * collision: the receiver counts it, logs it and broadcasts FENCE.  A host
 * takes no FENCE on trust (anyone could send one): it asks WHERE for that
 * part and fences it only when, within V_FENCE_CONFIRM_MS, two HEREs (or
 * CLAIMs) with different nonces answer - two live hosts.  One confirmation
 * runs at a time per host.  A fenced part fails traffic with EHOSTUNREACH
 * until an admin deletes the fence (V_CMD_MAP_DEL) or it ages out with the
 * map-age like every other entry (a collision that lasts is fenced again).
 *
 * WHERE asks where a host part lives (sent on a mapping-table miss and when
 * an entry went stale); its owner answers HERE.  Entries nobody used or
 * heard from for the host's map-age are dropped.
 */
#define V_CLAIM_TRIES		3
#define V_CLAIM_MS		50
#define V_FENCE_CONFIRM_MS	500

struct v_wire_claim {
	__be64	nonce;		/* CLAIM / DENY / HERE: the sender's incarnation */
	__be32	host;		/* WHERE / FENCE: the host part concerned */
	__be32	features;	/* CLAIM / HERE: V_WIRE_FEAT_* (reserved, 0, to v3) */
};

/*
 * ========================================================================
 * Generic netlink: configuration and inspection (family V_GENL_NAME)
 * ========================================================================
 *
 * Per network namespace (one V host).  Commands that change a host need
 * CAP_NET_ADMIN in the user namespace owning the network namespace.
 * Attributes are validated strictly: unknown attributes are rejected.
 *
 * Links.  A link is what carries V frames: an Ethernet interface (raw
 * frames of V's EtherType, V_LINK_KIND_ETH) or a UDP socket (V frames in
 * UDP datagrams over IPv4 or IPv6, V_LINK_KIND_UDP), each named by its id
 * (V_A_LINK_ID): an Ethernet link's is its ifindex, a UDP link's is
 * V_LINK_ID_UDP or more.  Addresses on UDP links (V_A_LINK_LOCAL,
 * V_A_LINK_PEER, V_A_LINK_ENDPOINT) are a struct sockaddr_in or struct
 * sockaddr_in6 (family and port set; the attribute's length says which).
 * A host reaches the hosts of the links it has: nothing is relayed from
 * one link to another.
 *
 * V_CMD_LINK_ADD / V_CMD_LINK_DEL (admin)
 *    V_A_LINK_KIND: NLA_U8 (ADD) enum v_link_kind, V_LINK_KIND_ETH if absent
 *    V_A_LINK_IFINDEX: NLA_U32  the interface to attach to / detach from V
 *            (an Ethernet link)
 *    V_A_LINK_ID: NLA_U32 (DEL) the link to detach (any kind)
 *    V_A_LINK_LOCAL (ADD, UDP): the address and port to bind (port 0:
 *            V_UDP_PORT): an address of this host, not the wildcard, not
 *            IPv6 link-local or IPv4-mapped (EINVAL)
 *    V_A_LINK_PEERS: NLA_NESTED (ADD, UDP) V_A_LINK_PEER per peer (port 0:
 *            V_UDP_PORT), at most V_UDP_PEERS_MAX, of the local address's
 *            family, none the local address, none twice (EINVAL):
 *            what goes to every host (CLAIM, WHERE, GETPID, GREQUEST,
 *            GQUERY, FENCE) goes to each of them
 *    V_A_LINK_MTU: NLA_U32 (ADD, UDP) the largest V frame the link carries
 *            (V_UDP_MTU_MIN..V_UDP_MTU_MAX; default 1500 less the IP and
 *            UDP headers); lowered when a route carries less, for as long
 *            as the kernel keeps a learned path MTU (10 minutes)
 *    A UDP link needs the cluster key (ENOKEY): it has no insecure mode
 *    (V_A_LINK_INSECURE with V_LINK_KIND_UDP: EINVAL).
 *    The reply of ADD (UDP) carries its V_A_LINK_ID.
 *    V_A_LINK_INSECURE: NLA_FLAG (ADD) attach even without a cluster key:
 *            frames on the link may then be unauthenticated, and any
 *            machine on it can forge any host's frames.  Secure by
 *            default: without the flag a host with no key attaches
 *            nothing (ENOKEY), and a host with a link attached without
 *            the flag keeps its key (V_CMD_HOST_SET removing it: EBUSY)
 *    errors: ENODEV no such interface, EEXIST already attached (ADD),
 *            ENOKEY no cluster key and no V_A_LINK_INSECURE (ADD; UDP:
 *            no cluster key), EADDRINUSE the UDP port is taken, E2BIG
 *            more than V_UDP_PEERS_MAX peers, EAFNOSUPPORT no IPv6,
 *            ENOSPC V_UDP_LINKS_MAX UDP links already (ADD),
 *            ENOENT not attached (DEL), EINVAL not an Ethernet device,
 *            EADDRINUSE another host has this host part (ADD: it waits
 *            for the claim, V_CLAIM_TRIES x V_CLAIM_MS; commands run in
 *            parallel, each host's configuration one command at a time)
 *
 * V_CMD_LINK_GET (dump): one message per attached link:
 *    V_A_LINK_ID: NLA_U32
 *    V_A_LINK_KIND: NLA_U8          enum v_link_kind
 *    V_A_LINK_MTU: NLA_U32
 *    V_A_LINK_UP: NLA_U8 (1 if the interface is up and running)
 *    V_A_LINK_INSECURE: NLA_FLAG, present if attached as insecure
 *    V_A_LINK_PATHS: NLA_U32        paths of the mapping table on it
 *                                   (V_CMD_MAP_GET's V_A_MAP_PATHS)
 *    V_A_LINK_PATHS_CURRENT: NLA_U32 of them, the host parts' current ones
 *    Ethernet:
 *    V_A_LINK_IFINDEX: NLA_U32
 *    V_A_LINK_IFNAME: NLA_NUL_STRING
 *    V_A_LINK_ADDR: NLA_BINARY, ETH_ALEN bytes
 *    UDP:
 *    V_A_LINK_LOCAL, V_A_LINK_PEERS (V_A_LINK_PEER each)
 *
 * V_CMD_HOST_GET: replies with
 *    V_A_HOST_PART: NLA_U32
 *    V_A_HOST_DOWN_MS: NLA_U32      host-down bound
 *    V_A_HOST_PROCS: NLA_U32        V processes on this host
 *    V_A_HOST_ALIENS: NLA_U32       aliens (remote transactions) held,
 *                                   finished ones kept to answer
 *                                   retransmissions included
 *    V_A_HOST_MAX_ALIENS: NLA_U32   per-host alien limit
 *    V_A_HOST_STATS: NLA_NESTED     V_A_STAT_* counters, each NLA_U64
 *
 * V_CMD_HOST_SET (admin): any of
 *    V_A_HOST_PART: NLA_U32, 1..V_ID_HOST_MASK (EBUSY once sockets or links
 *                   exist)
 *    V_A_HOST_DOWN_MS: NLA_U32, V_HOST_DOWN_MS_MIN..V_HOST_DOWN_MS_MAX
 *    V_A_HOST_MAX_ALIENS: NLA_U32, 1..V_MAX_ALIENS_MAX
 *
 * The dumps V_CMD_PROC_GET, V_CMD_ALIEN_GET and V_CMD_GROUP_GET show every
 * process, alien and member to CAP_NET_ADMIN over the namespace's user
 * namespace (the netlink socket's opener and the caller); anyone else sees
 * only the processes whose V socket its effective uid owns, the aliens they
 * hold and the groups they are members of (with those members alone).
 *
 * V_CMD_PROC_GET (dump): one message per V process of this host:
 *    V_A_PROC_ID: NLA_U64           its id
 *    V_A_PROC_UID: NLA_U32          owner (creator's uid, this user ns)
 *    V_A_PROC_STATE: NLA_U8         enum v_proc_state
 *    V_A_PROC_PEER: NLA_U64         SENDING: the process or host it waits on
 *    V_A_PROC_QUEUED: NLA_U32       messages waiting for Receive
 *    V_A_PROC_HELD: NLA_U32         messages received, not yet replied
 *    V_A_PROC_PID: NLA_U32          the thread-group id of the process
 *                                   that created the socket, in the
 *                                   dumping process's pid namespace; 0
 *                                   when it is not visible there or has
 *                                   exited (from when it is reaped: a
 *                                   zombie's number is still its own).
 *                                   A socket inherited by fork still
 *                                   names its creator.  A module older
 *                                   than this attribute sends none
 *
 * V_CMD_ALIEN_GET (dump): one message per alien (remote transaction):
 *    V_A_ALIEN_CLIENT: NLA_U64      the remote client
 *    V_A_ALIEN_SEQ: NLA_U32         its transaction number
 *    V_A_ALIEN_STATE: NLA_U8        enum v_alien_state
 *    V_A_ALIEN_HOLDER: NLA_U64      the local process holding it, 0 if none
 *    V_A_ALIEN_AGE_MS: NLA_U32      since it arrived or was last answered
 *
 * V_CMD_MAP_GET (dump): the mapping table, one message per host part:
 *    V_A_MAP_HOST: NLA_U32          host part
 *    V_A_LINK_ID: NLA_U32           the link it was last heard on (none
 *                                   for a fence)
 *    V_A_LINK_IFINDEX: NLA_U32      that link's interface (Ethernet; 0
 *                                   for a fence)
 *    V_A_LINK_ADDR: NLA_BINARY      its MAC address (ETH_ALEN bytes;
 *                                   Ethernet, zero for a fence)
 *    V_A_LINK_ENDPOINT              its address and port (UDP)
 *                                   (these four: its current path)
 *    V_A_MAP_PATHS: NLA_NESTED      every path to it (at most
 *                                   V_MAP_PATHS, one per link), each a
 *                                   V_A_MAP_PATH (NLA_NESTED) of
 *                                   V_A_LINK_ID, V_A_LINK_IFINDEX and
 *                                   V_A_LINK_ADDR or V_A_LINK_ENDPOINT,
 *                                   V_A_MAP_PATH_STATE (enum
 *                                   v_path_state), V_A_MAP_CWND and
 *                                   V_A_MAP_AGE_MS (since heard on it).
 *                                   Frames go by the current path, the
 *                                   one last heard from; one that goes
 *                                   silent (2 unanswered retransmissions
 *                                   of a Send, or of a train) is given up
 *                                   for another at once (counter
 *                                   failovers), and is silent until
 *                                   heard from again
 *    V_A_MAP_STATE: NLA_U8          enum v_map_state
 *    V_A_MAP_AGE_MS: NLA_U32        since it was last heard from
 *    V_A_MAP_VERSION: NLA_U8        its wire version, as last heard
 *    V_A_MAP_FEATURES: NLA_U32      the V_WIRE_FEAT_* its last CLAIM or
 *                                   HERE announced
 *    V_A_MAP_CWND: NLA_U32          trains' congestion window to it, in
 *                                   blocks (see "Bulk transfer")
 *
 * V_CMD_MAP_DEL (admin): forget one entry (a fence included)
 *    V_A_MAP_HOST: NLA_U32          errors: ENOENT no such entry
 *
 * V_CMD_GROUP_GET (dump): one message per group with members on this host
 * (a group with more members than one message holds goes on in the next
 * messages, each with the same V_A_GROUP_ID: readers join consecutive
 * messages of one group):
 *    V_A_GROUP_ID: NLA_U64
 *    V_A_GROUP_MEMBERS: NLA_NESTED  V_A_GROUP_MEMBER (NLA_U64) per member
 *
 * V_CMD_HOST_GET also reports, and V_CMD_HOST_SET sets:
 *    V_A_HOST_INHERIT_RT: NLA_U32   the highest SCHED_FIFO/RR priority a
 *                                   remote client may lend a V_OPT_INHERIT
 *                                   server, 0..99 (0, the default: none;
 *                                   such a client counts at its nice value);
 *                                   above 0 needs CAP_SYS_NICE in the
 *                                   initial user namespace (EPERM)
 *    V_A_HOST_GROUP_WINDOW_MS: NLA_U32  group-reply window,
 *                                   V_GROUP_WINDOW_MS_MIN..V_GROUP_WINDOW_MS_MAX
 *    V_A_HOST_MAP_AGE_MS: NLA_U32   unused mapping entries are dropped after
 *                                   this, V_MAP_AGE_MS_MIN..V_MAP_AGE_MS_MAX
 *    V_A_HOST_MAX_MEMBERS: NLA_U32  per-host limit on group memberships,
 *                                   1..V_MAX_MEMBERS_MAX; in a namespace but
 *                                   the initial one at most the module
 *                                   parameter max_members_ns (0: a quarter
 *                                   of max_members) is in force (a join
 *                                   past it: ENOSPC).  The value reported
 *                                   is the setting, as for max-aliens
 *    and V_CMD_HOST_GET reports V_A_HOST_GROUPS / V_A_HOST_MEMBERS (NLA_U32):
 *    groups and memberships held on this host
 *
 * Cluster key (see "Authenticated frames" in the wire section):
 *    V_CMD_HOST_SET (admin) V_A_HOST_KEY: NLA_BINARY, V_HOST_KEY_LEN bytes
 *                                   to set (or replace) the key, 0 bytes to
 *                                   remove it (EINVAL for any other length;
 *                                   ENOENT when the kernel has no
 *                                   hmac(sha256); EBUSY removing it while
 *                                   a link attached without
 *                                   V_A_LINK_INSECURE is)
 *    V_CMD_HOST_GET V_A_HOST_KEYED: NLA_U8, 1 if this host has a key; the
 *                                   key itself is never reported
 *
 * Fair share of the alien table:
 *    V_CMD_HOST_SET (admin) V_A_HOST_MAX_ALIENS_HOST: NLA_U32,
 *                                   0..V_MAX_ALIENS_MAX: aliens the clients
 *                                   of one source may hold here at once
 *                                   (finished ones kept for retransmissions
 *                                   included), so one client host cannot
 *                                   take the whole table; 0 (the default)
 *                                   means half of the limit in force,
 *                                   rounded up.  A source is a client host
 *                                   part on a keyed host (the tag vouches
 *                                   for it), and on an unkeyed one the link
 *                                   and source MAC address a REQUEST came
 *                                   from: a host part is anyone's to
 *                                   write, and honest hosts keep their MAC
 *                                   (a forger may change both; only a key
 *                                   stops it).  The limit in force is
 *                                   V_A_HOST_MAX_ALIENS, and for a
 *                                   namespace but the initial one at most
 *                                   the module parameter max_aliens_ns (0:
 *                                   a quarter of max_aliens), which only
 *                                   the initial namespace's administrator
 *                                   sets; one receiver holds at most
 *                                   three quarters of it queued, a queued
 *                                   alien whose client has been silent
 *                                   for its retransmission bound and 10 s
 *                                   more is ended
 *                                   (V_A_STAT_ALIENS_COLLECTED).  Beyond
 *                                   a limit requests get a
 *                                   BUSY NACK like any over the host limit
 *                                   (counted in V_A_STAT_BUSY and
 *                                   V_A_STAT_BUSY_HOST).  A group Send is
 *                                   delivered to all local members or none,
 *                                   so a group with more members here than
 *                                   the share never is: its Sends fail
 *                                   EBUSY (or ESRCH if no other host
 *                                   answers).
 *    V_CMD_HOST_GET V_A_HOST_MAX_ALIENS_HOST: NLA_U32, the share in force
 *                                   (never 0)
 *
 * In V_A_HOST_STATS, attributes of type V_A_STAT_UNSPEC (0) are padding
 * (nla_put_u64_64bit on architectures that need 64-bit alignment) and must
 * be skipped; counter types a reader does not know may be skipped too.
 */
#define V_HOST_DOWN_MS_MIN	100
#define V_HOST_DOWN_MS_MAX	600000
#define V_HOST_DOWN_MS_DEFAULT	3000
#define V_MAX_ALIENS_MAX	(1U << 20)
#define V_MAX_ALIENS_DEFAULT	4096
#define V_GROUP_WINDOW_MS_MIN	10
#define V_GROUP_WINDOW_MS_MAX	600000
#define V_GROUP_WINDOW_MS_DEFAULT 5000
#define V_MAP_AGE_MS_MIN	1000
#define V_MAP_AGE_MS_MAX	86400000
#define V_MAP_AGE_MS_DEFAULT	300000
#define V_MAX_MEMBERS_MAX	(1U << 20)
#define V_GROUPS_PER_PROC_MAX	4096	/* memberships of one V process (ENOSPC) */
#define V_MAX_MEMBERS_DEFAULT	65536
#define V_GROUP_REPLIES_MAX	1024	/* further replies one group Send keeps */

#define V_GENL_NAME		"vkmod"
#define V_GENL_VERSION		1

enum v_genl_cmd {
	V_CMD_UNSPEC,
	V_CMD_LINK_ADD,
	V_CMD_LINK_DEL,
	V_CMD_LINK_GET,
	V_CMD_HOST_GET,
	V_CMD_HOST_SET,
	V_CMD_PROC_GET,
	V_CMD_ALIEN_GET,
	V_CMD_MAP_GET,
	V_CMD_MAP_DEL,
	V_CMD_GROUP_GET,
	__V_CMD_MAX
};

#define V_CMD_MAX (__V_CMD_MAX - 1)

enum v_genl_attr {
	V_A_UNSPEC,
	V_A_LINK_IFINDEX,
	V_A_LINK_IFNAME,
	V_A_LINK_MTU,
	V_A_LINK_ADDR,
	V_A_LINK_UP,
	V_A_HOST_PART,
	V_A_HOST_DOWN_MS,
	V_A_HOST_PROCS,
	V_A_HOST_ALIENS,
	V_A_HOST_MAX_ALIENS,
	V_A_HOST_STATS,
	V_A_PROC_ID,
	V_A_PROC_UID,
	V_A_PROC_STATE,
	V_A_PROC_PEER,
	V_A_PROC_QUEUED,
	V_A_PROC_HELD,
	V_A_ALIEN_CLIENT,
	V_A_ALIEN_SEQ,
	V_A_ALIEN_STATE,
	V_A_ALIEN_HOLDER,
	V_A_ALIEN_AGE_MS,
	V_A_MAP_HOST,
	V_A_PAD,
	V_A_MAP_STATE,
	V_A_MAP_AGE_MS,
	V_A_GROUP_ID,
	V_A_GROUP_MEMBERS,
	V_A_GROUP_MEMBER,
	V_A_HOST_GROUP_WINDOW_MS,
	V_A_HOST_MAP_AGE_MS,
	V_A_HOST_MAX_MEMBERS,
	V_A_HOST_GROUPS,
	V_A_HOST_MEMBERS,
	V_A_HOST_KEY,
	V_A_HOST_KEYED,
	V_A_HOST_MAX_ALIENS_HOST,
	V_A_MAP_VERSION,
	V_A_MAP_FEATURES,
	V_A_LINK_INSECURE,
	V_A_PROC_PID,
	V_A_HOST_INHERIT_RT,
	V_A_MAP_CWND,
	V_A_LINK_ID,
	V_A_LINK_KIND,
	V_A_LINK_LOCAL,
	V_A_LINK_PEERS,
	V_A_LINK_PEER,
	V_A_LINK_ENDPOINT,
	V_A_MAP_PATHS,
	V_A_MAP_PATH,
	V_A_MAP_PATH_STATE,
	V_A_LINK_PATHS,
	V_A_LINK_PATHS_CURRENT,
	__V_A_MAX
};

#define V_A_MAX (__V_A_MAX - 1)

enum v_proc_state {
	V_PROC_IDLE,		/* not in Send */
	V_PROC_QUEUED,		/* in Send, queued at V_A_PROC_PEER */
	V_PROC_RECEIVED,	/* in Send, received by V_A_PROC_PEER */
	V_PROC_REMOTE,		/* in Send to another host (V_A_PROC_PEER: destination) */
	V_PROC_SHUTDOWN,	/* shut down */
	V_PROC_RECEIVING,	/* not in Send, a thread blocked in Receive */
};

enum v_link_kind {
	V_LINK_KIND_ETH,	/* raw Ethernet frames of V's EtherType */
	V_LINK_KIND_UDP,	/* V frames in UDP over IPv4 or IPv6 */
};

#define V_LINK_ID_UDP		0x40000000	/* UDP links' ids: this and up */
#define V_UDP_PORT		6180	/* a UDP link's port when none is given */
#define V_UDP_PEERS_MAX		64	/* peers of one UDP link (one dump message) */
#define V_UDP_MTU_MIN		576	/* the smallest mtu a UDP link takes */
#define V_UDP_MTU_MAX		16384	/* the largest (IP fragments what a path cannot carry) */
#define V_UDP_LINKS_MAX		16	/* UDP links of one host */

enum v_path_state {
	V_PATH_UP,		/* heard from, not the current path */
	V_PATH_SILENT,		/* given up: unanswered while current */
	V_PATH_CURRENT,		/* where frames go (dumps only) */
};

#define V_MAP_PATHS		4	/* paths kept to one host part */

enum v_map_state {
	V_MAP_LEARNED,		/* heard from: frames go to its MAC */
	V_MAP_FENCED,		/* claimed twice: traffic fails (EHOSTUNREACH) */
	V_MAP_VERSION,		/* runs another wire version: traffic fails (EPROTO) */
};

enum v_alien_state {
	V_ALIEN_QUEUED,		/* waiting for Receive */
	V_ALIEN_RECEIVED,	/* received, not yet replied */
	V_ALIEN_REPLIED,	/* replied: the response is cached */
	V_ALIEN_FAILED,		/* receiver gone: NACKed */
	V_ALIEN_FORWARDED,	/* forwarded to another host */
};

/* Counters of a host (nested in V_A_HOST_STATS, each NLA_U64). */
enum v_stat {
	V_A_STAT_UNSPEC,
	V_A_STAT_TX_FRAMES,		/* frames sent */
	V_A_STAT_RX_FRAMES,		/* frames accepted */
	V_A_STAT_RETRANSMITS,		/* requests sent again */
	V_A_STAT_DUPLICATES,		/* duplicate requests answered from an alien */
	V_A_STAT_ACKS,			/* reply-pending ACKs sent */
	V_A_STAT_BUSY,			/* requests refused for lack of aliens
					 * (host, namespace, source or receiver
					 * limits), GQUERYs held back by the
					 * answer credit
					 */
	V_A_STAT_HOST_DOWN,		/* Sends failed with EHOSTUNREACH */
	V_A_STAT_DROP_SHORT,		/* dropped: truncated or lengths disagree */
	V_A_STAT_DROP_VERSION,		/* other wire version (a CLAIM or HERE
					 * of one is read for its version only)
					 */
	V_A_STAT_DROP_TYPE,		/* dropped: unknown frame type */
	V_A_STAT_DROP_NO_TXN,		/* dropped: no such transaction (stale) */
	V_A_STAT_DROP_NOT_MINE,		/* dropped: for another host part */
	V_A_STAT_DROP_NOMEM,		/* dropped: no memory */
	V_A_STAT_COLLISIONS,		/* host-part collisions seen (claims denied too) */
	V_A_STAT_MAP_QUERIES,		/* WHERE queries sent */
	V_A_STAT_MAP_STALE,		/* mapping entries found stale and dropped */
	V_A_STAT_MAP_AGED,		/* mapping entries aged out */
	V_A_STAT_GROUP_SENDS,		/* group Sends started here */
	V_A_STAT_GROUP_DELIVERED,	/* group messages delivered to members here */
	V_A_STAT_GROUP_REPLIES,		/* further group replies kept for GetReply */
	V_A_STAT_GROUP_DROPPED,		/* further group replies dropped (closed, full) */
	V_A_STAT_DROP_AUTH,		/* dropped: bad or missing tag, or a tag
					 * this host has no key to check
					 */
	V_A_STAT_DROP_REPLAY,		/* dropped: counter seen, below the window
					 * or not fresh (authenticated frames)
					 */
	V_A_STAT_BUSY_HOST,		/* of V_A_STAT_BUSY: refused because the
					 * client's host holds its share
					 * (V_A_HOST_MAX_ALIENS_HOST)
					 */
	V_A_STAT_ALIENS_COLLECTED,	/* queued aliens ended because their
					 * client went silent while the
					 * receiver never received them
					 */
	V_A_STAT_PULSES,		/* pulses queued for processes here
					 * (from this host and others)
					 */
	V_A_STAT_PULSES_DROPPED,	/* PULSE frames refused here: no such
					 * process, no V_OPT_PULSES, queue full,
					 * no memory, or a duplicate
					 */
	V_A_STAT_DEADLOCKS,		/* Sends refused with EDEADLK */
	V_A_STAT_REQ_REASSEMBLED,	/* fragmented REQUESTs completed here
					 * (then delivered as any REQUEST)
					 */
	V_A_STAT_REQ_PARTIAL_SHORT,	/* fragmented REQUESTs delivered with
					 * their first fragment's data only (no
					 * room for another incomplete one, or
					 * no memory)
					 */
	V_A_STAT_UDP_TX_ERRORS,		/* datagrams a UDP link could not send
					 * (no route, no memory)
					 */
	V_A_STAT_UDP_MTU_LOWERED,	/* a UDP link's mtu lowered to what the
					 * route to a peer carries (that frame
					 * went fragmented by IP)
					 */
	V_A_STAT_FAILOVERS,		/* a host part's current path gone
					 * silent given up for another of its
					 * paths
					 */
	V_A_STAT_RELAYED,		/* CLAIMs, DENYs and FENCEs this host
					 * relayed from one link to the others
					 */
	__V_A_STAT_MAX
};

#define V_A_STAT_MAX (__V_A_STAT_MAX - 1)

#endif /* _UAPI_LINUX_V_H */
