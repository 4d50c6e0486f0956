/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libv: C interface to V interprocess communication (vkmod).
 *
 * Every function returns 0 (or a non-negative count/fd) on success and a
 * negative errno value on failure (the liburing convention); errno is not
 * part of the contract: the system calls libv makes may change it.  64-bit ids always come back
 * through out-parameters.  The kernel's errno for each case is listed in
 * <linux/v.h>; strerror(-ret) describes it.
 */
#ifndef LIBV_H
#define LIBV_H

#include <stddef.h>
#include <stdint.h>
#include <linux/v.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The address family number vkmod registered (read once from
 * /sys/module/vkmod/parameters/family).  -EAFNOSUPPORT if the module is
 * not loaded.
 */
int v_family(void);

/*
 * Open a new V process (an AF_V socket); returns its fd.  EAFNOSUPPORT:
 * vkmod is not loaded (v_strerror() says so).
 */
int v_open(void);

/*
 * strerror(-err) for a libv result, but for EAFNOSUPPORT, which from
 * v_open() means "vkmod is not loaded".
 */
const char *v_strerror(int err);

/* Close a V process.  Threads blocked on it are woken only by shutdown(). */
int v_close(int fd);

/* The entity id of the V process fd. */
int v_self(int fd, uint64_t *id);

/*
 * Send msg to dst and block until it is replied to; the reply overwrites
 * msg.  Errors: ESRCH (no such process, or it shut down/exited with the
 * message queued or received), EHOSTUNREACH (unknown host part), EALREADY
 * (another thread of this V process is in Send), EINTR (fatal signal or one
 * with a handler: the transaction is cancelled, not restarted), ESHUTDOWN,
 * EINVAL, EFAULT.  Stops, ptrace and the freezer do not interrupt a Send.
 */
int v_send(int fd, uint64_t dst, struct v_msg *msg);

/*
 * Send granting the receiver access to seg[0..len) with access V_SEG_READ
 * and/or V_SEG_WRITE (EMSGSIZE beyond the seg_max parameter).
 */
int v_send_seg(int fd, uint64_t dst, struct v_msg *msg, void *seg, size_t len,
	       unsigned int access);

/*
 * Send with every option (timeout_ns: ETIMEDOUT; replier out).  Zero
 * replier in a new request (memset the struct): after a stop the kernel
 * keeps a restart token there (uapi: V_SEND_RESTART).
 */
int v_send_ex(int fd, struct v_send *s);

/*
 * Block until a message arrives; store it in msg and its sender in sender.
 * EAGAIN for an O_NONBLOCK socket with nothing queued (or when SO_RCVTIMEO
 * expires), EINTR on a signal, ESHUTDOWN after shutdown().
 */
int v_receive(int fd, struct v_msg *msg, uint64_t *sender);

/*
 * Receive with every detail: segment length/access, credentials,
 * forwarder, kind (a message, or a notice: see v_watch()) and the
 * sender's deadline.  Zero r first but for buf_addr/buf_len.
 */
int v_receive_ex(int fd, struct v_receive *r);

/*
 * ReceiveWithSegment: also copy the first min(len, segment length) bytes of
 * a read-granted segment into buf; returns the number of bytes copied (0 if
 * the sender granted no readable segment).
 */
int v_receive_with_segment(int fd, struct v_msg *msg, uint64_t *sender,
			   void *buf, size_t len);

/*
 * Reply to dst, a sender awaiting reply from this process.  Never blocks.
 * ENOENT when no unreplied message from dst is held (never had one, already
 * replied, or the sender was cancelled or gone).
 */
int v_reply(int fd, uint64_t dst, const struct v_msg *msg);

/*
 * ReplyWithSegment: write src[0..len) at offset into dst's write-granted
 * segment, then reply.  EMSGSIZE above the reply_seg_max parameter (32 KiB),
 * EACCES without write access, ERANGE outside the segment; on any error the
 * message stays held and nothing is replied.
 */
int v_reply_with_segment(int fd, uint64_t dst, const struct v_msg *msg,
			 uint64_t offset, const void *src, size_t len);

/*
 * Reply to reply_to (if non-zero) with reply, then Receive into r, in one
 * call.  A failed Reply is reported as the error and nothing is received
 * (ENOENT, ETIMEDOUT, EMSGSIZE, ...: the message is still held, or was
 * never).  A Receive half that fails (EAGAIN, EINTR, ESHUTDOWN, ...) comes
 * after a Reply that was done: do not reply again.  Errors either half
 * may give (EINVAL, EFAULT, ESHUTDOWN) are told apart by
 * v_reply_receive_ex().
 */
int v_reply_receive(int fd, uint64_t reply_to, const struct v_msg *reply,
		    struct v_receive *r);

/*
 * Reply-and-Receive with the whole struct: the kernel sets rr->reply.dst
 * to 0 once the Reply half is done, so after an error rr->reply.dst != 0
 * means nothing was replied (uapi V_IOC_REPLY_RECEIVE).
 */
int v_reply_receive_ex(int fd, struct v_reply_receive *rr);

/*
 * Forward the message held from `from` (as msg, possibly changed) to `to`,
 * which receives it as if from `from` sent it and replies to `from`.
 * ENOENT if no message from `from` is held; ESRCH / EHOSTUNREACH for `to`
 * (the message stays held by the caller then).
 */
int v_forward(int fd, uint64_t from, uint64_t to, const struct v_msg *msg);

/*
 * MoveTo / MoveFrom: copy between this process's buf and the segment of
 * pid (a sender awaiting reply from this process) at offset.  ENOENT (not
 * held), EACCES (access not granted), ERANGE (outside the segment), EFAULT.
 */
int v_move_to(int fd, uint64_t pid, uint64_t offset, const void *src, size_t len);
int v_move_from(int fd, uint64_t pid, uint64_t offset, void *dst, size_t len);

/*
 * SetPid: register pid (a V process of this host; 0 unregisters) under
 * logical_id in scope V_SCOPE_LOCAL / REMOTE / BOTH.  EPERM below
 * V_LID_PRIVILEGED without CAP_NET_ADMIN, EEXIST if registered.
 * GetPid: look logical_id up; ESRCH when nobody has it.
 */
int v_set_pid(int fd, uint32_t logical_id, uint64_t pid, unsigned int scope);
int v_get_pid(int fd, uint32_t logical_id, unsigned int scope, uint64_t *pid);

/*
 * Groups.  v_group_create: a new group id (the caller is not a member
 * until it joins).  v_group_join / v_group_leave: EPERM for a well-known
 * group without CAP_NET_ADMIN, EINVAL for an id that is not a group,
 * EEXIST when already a member (join), ENOENT when not one (leave).
 * v_group_members: fills ids (up to max) with the members cluster-wide and
 * returns their total (above max: truncated); timeout_ns bounds the wait
 * for remote answers (0: the default, V_GROUP_QUERY_MS_DEFAULT).
 */
int v_group_create(int fd, uint64_t *gid);
int v_group_join(int fd, uint64_t gid);
int v_group_leave(int fd, uint64_t gid);
int v_group_members(int fd, uint64_t gid, uint64_t *ids, unsigned int max,
		    uint64_t timeout_ns);

/*
 * Group Send restricted to the members on the host of qualifier (a process
 * id); the first reply overwrites msg and its replier is returned in
 * *replier (may be NULL).  v_send() to a group id is the unqualified form.
 */
int v_send_qualified(int fd, uint64_t gid, uint64_t qualifier, struct v_msg *msg,
		     uint64_t *replier);

/*
 * GetReply: one further reply of the caller's open group transaction, each
 * replier once.  ETIMEDOUT when none came within timeout_ns (0: do not
 * wait), ENOENT when the transaction is closed (next Send, close, or the
 * host's group-reply window).
 */
int v_get_reply(int fd, struct v_msg *msg, uint64_t *replier, uint64_t timeout_ns);

/*
 * Death notices.  v_watch: when process (or host, v_id_make(host, 0)) id
 * ends, a Receive of this process delivers a notice: kind V_KIND_NOTICE,
 * sender id, the message's code V_NOTICE_DEATH, why (bytes 2-3, enum
 * v_why) and cookie (bytes 24-31).  A watch fires once; watching a
 * process already gone notifies at once.  EEXIST (watched already),
 * ENOSPC (V_WATCHES_MAX), EINVAL (not a process or host id).
 * v_unwatch: remove a watch not yet received (ENOENT if none).
 */
int v_watch(int fd, uint64_t id, uint64_t cookie);
int v_unwatch(int fd, uint64_t id);

/*
 * Which notices besides death notices this process wants (V_NOTIFY_*,
 * replacing the last setting).  V_NOTIFY_UNBLOCK: kind V_KIND_UNBLOCK
 * when a client whose message it holds gives up (signal, timeout, exit).
 */
int v_notify(int fd, unsigned int flags);

/*
 * Pulses: a 32-byte one-way message to process dst, which must take
 * pulses (v_set_opts(V_OPT_PULSES), else ECONNREFUSED).  Never blocks;
 * EAGAIN when dst's queue (V_PULSES_MAX) is full.  Delivered by a
 * Receive with kind V_KIND_PULSE; nobody Replies.  To another host: at
 * most once, and a refusal there is not reported (uapi "Pulses").
 */
int v_pulse(int fd, uint64_t dst, const struct v_msg *msg);

/*
 * Options of this process (V_OPT_*, replacing the last setting):
 * V_OPT_PULSES takes pulses, V_OPT_INHERIT lends each client's priority
 * to the thread serving it, V_OPT_DEADLOCK checks every Send for a
 * deadlock (EDEADLK; one Send alone: v_send_ex with V_SEND_DEADLOCK).
 */
int v_set_opts(int fd, unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* LIBV_H */
