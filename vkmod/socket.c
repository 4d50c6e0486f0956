// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_V socket family: one socket is one V process.
 *
 * This file owns socket creation and release and dispatches the V ioctls to
 * the files that implement them.  Every socket holds a reference on this
 * module (proto_ops.owner), so rmmod is refused while any V socket exists.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <linux/compat.h>
#include <net/sock.h>
#include "vkmod.h"

/*
 * No .owner here on purpose: sockets are freed after an RCU grace period
 * (SOCK_RCU_FREE, see id.c), and a proto owner reference would outlive
 * close() by that grace period, so an rmmod right after the last close
 * would fail.  The module is pinned by every open socket through
 * proto_ops.owner instead, and v_socket_exit() waits for the pending frees
 * (rcu_barrier) before the proto and its slab go away.
 */
static struct proto v_proto = {
	.name = "V",
	.obj_size = sizeof(struct v_sock),
};

static int v_sock_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	v_group_release(v_sk(sk));
	v_ipc_release(v_sk(sk));
	v_reg_release(v_sk(sk));
	v_id_unregister(v_sk(sk));
	sock_orphan(sk);
	sock->sk = NULL;
	sock_put(sk);
	return 0;
}

static int v_sock_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_v *addr = (struct sockaddr_v *)uaddr;

	/* A V process has no peer: every Send names its destination. */
	if (peer)
		return -EOPNOTSUPP;
	memset(addr, 0, sizeof(*addr));
	addr->sv_family = v_family;
	addr->sv_id = v_sk(sock->sk)->id;
	return sizeof(*addr);
}

/*
 * The bytes of a Receive's result written back for an argument of size
 * bytes: all of the _V1 layout; of struct v_receive all but reserved[],
 * which the call has checked are zero already.
 */
static __always_inline size_t v_sock_recv_out(size_t size)
{
	return size == sizeof(struct v_receive) ? offsetof(struct v_receive, reserved) : size;
}

/*
 * Receive with the struct of this number: size is sizeof(struct
 * v_receive), or of the layout before kind and deadline_ns (the _V1
 * numbers), whose missing fields read as zero.  Inlined at each call, so
 * size is a constant there (a variable size would cost each copy a
 * hardened-usercopy object check).
 */
static __always_inline int v_sock_receive(struct socket *sock, void __user *argp,
					  bool with_seg, size_t size)
{
	struct v_sock *vs = v_sk(sock->sk);
	struct v_receive r;
	int err;

	if (size < sizeof(r))
		memset(&r, 0, sizeof(r));
	if (copy_from_user(&r, argp, size))
		return -EFAULT;
	err = v_ipc_receive(vs, &r, with_seg, sock->file->f_flags & O_NONBLOCK);
	if (err)
		return err;
	if (copy_to_user(argp, &r, v_sock_recv_out(size)))
		return v_ipc_receive_unwind(vs, &r);
	return 0;
}

/* Reply-and-Receive, size as for v_sock_receive(). */
static __always_inline int v_sock_reply_receive(struct socket *sock,
						struct v_reply_receive __user *uarg, size_t size)
{
	struct v_sock *vs = v_sk(sock->sk);
	struct v_reply_receive rr;
	int err;

	/*
	 * All of it, though only the Reply and the Receive's buf_addr to
	 * flags go in: an argument whose output half is unreadable must be
	 * EFAULT before anything is done (the fuzz suite checks it).
	 */
	if (size < sizeof(rr))
		memset(&rr, 0, sizeof(rr));
	if (copy_from_user(&rr, uarg, size))
		return -EFAULT;
	if (rr.reply.dst) {
		err = v_ipc_reply(vs, &rr.reply, rr.reply.src_len != 0);
		if (err)
			return err;
		/*
		 * The Reply is done: a restart of this call (after a stop or
		 * an SA_RESTART handler) must only Receive.
		 */
		if (put_user(0ULL, &uarg->reply.dst))
			return -EFAULT;
	}
	err = v_ipc_receive(vs, &rr.recv, rr.recv.buf_len != 0,
			    sock->file->f_flags & O_NONBLOCK);
	if (err)
		return err;
	if (copy_to_user(&uarg->recv, &rr.recv,
			 v_sock_recv_out(size - offsetof(struct v_reply_receive, recv))))
		return v_ipc_receive_unwind(vs, &rr.recv);
	return 0;
}

static int v_sock_reply(struct v_sock *vs, void __user *argp, bool with_seg)
{
	struct v_reply r;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	return v_ipc_reply(vs, &r, with_seg);
}

static int v_sock_forward(struct v_sock *vs, void __user *argp)
{
	struct v_forward f;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	return v_ipc_forward(vs, &f);
}

static int v_sock_move(struct v_sock *vs, void __user *argp, bool to_seg)
{
	struct v_move m;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	return v_seg_move(vs, &m, to_seg);
}

static int v_sock_pid(struct v_sock *vs, void __user *argp, bool set)
{
	struct v_pid p;
	int err;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	if (set)
		return v_reg_set(vs, &p);
	err = v_reg_get(vs, &p);
	if (!err && copy_to_user(argp, &p, sizeof(p)))
		err = -EFAULT;
	return err;
}

static int v_sock_group(struct v_sock *vs, unsigned int cmd, void __user *argp)
{
	struct v_group g;
	int err;

	if (copy_from_user(&g, argp, sizeof(g)))
		return -EFAULT;
	if (cmd == V_IOC_GROUP_JOIN)
		return v_group_join(vs, &g);
	if (cmd == V_IOC_GROUP_LEAVE)
		return v_group_leave(vs, &g);
	err = v_group_create(vs, &g);
	if (!err && copy_to_user(argp, &g, sizeof(g)))
		err = -EFAULT;
	return err;
}

static int v_sock_group_members(struct v_sock *vs, void __user *argp)
{
	struct v_group_members m;
	int err;

	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	err = v_group_members(vs, &m);
	if (!err && copy_to_user(argp, &m, sizeof(m)))
		err = -EFAULT;
	return err;
}

static int v_sock_watch(struct v_sock *vs, unsigned int cmd, void __user *argp)
{
	struct v_watch w;

	if (copy_from_user(&w, argp, sizeof(w)))
		return -EFAULT;
	if (cmd == V_IOC_WATCH)
		return v_notice_watch(vs, &w);
	return v_notice_unwatch(vs, &w);
}

static int v_sock_notify(struct v_sock *vs, void __user *argp)
{
	struct v_notify nf;

	if (copy_from_user(&nf, argp, sizeof(nf)))
		return -EFAULT;
	return v_notice_set(vs, &nf);
}

static int v_sock_pulse(struct v_sock *vs, void __user *argp)
{
	struct v_pulse p;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	return v_pulse_send(vs, &p);
}

static int v_sock_opts(struct v_sock *vs, void __user *argp)
{
	struct v_opts o;

	if (copy_from_user(&o, argp, sizeof(o)))
		return -EFAULT;
	return v_opts_set(vs, &o);
}

/* The _V1 numbers: the same calls with struct v_receive_v1. */
static long v_sock_ioctl_v1(struct socket *sock, unsigned int cmd, void __user *argp)
{
	/* The old layout is the new one's head. */
	BUILD_BUG_ON(sizeof(struct v_receive_v1) != offsetof(struct v_receive, kind));
	BUILD_BUG_ON(offsetof(struct v_receive_v1, msg) != offsetof(struct v_receive, msg));
	BUILD_BUG_ON(offsetof(struct v_reply_receive_v1, recv) !=
		     offsetof(struct v_reply_receive, recv));
	switch (cmd) {
	case V_IOC_RECEIVE_V1:
		return v_sock_receive(sock, argp, false, sizeof(struct v_receive_v1));
	case V_IOC_RECEIVE_SEG_V1:
		return v_sock_receive(sock, argp, true, sizeof(struct v_receive_v1));
	case V_IOC_REPLY_RECEIVE_V1:
		return v_sock_reply_receive(sock, argp, sizeof(struct v_reply_receive_v1));
	default:
		return -EOPNOTSUPP;
	}
}

static long v_sock_ioctl_v(struct socket *sock, unsigned int cmd, void __user *argp)
{
	struct v_sock *vs = v_sk(sock->sk);

	/* A shut-down process takes part in nothing any more. */
	if (READ_ONCE(vs->dead))
		return -ESHUTDOWN;

	/* The two calls of every round trip first, before the switch. */
	if (likely(cmd == V_IOC_REPLY_RECEIVE))
		return v_sock_reply_receive(sock, argp, sizeof(struct v_reply_receive));
	if (likely(cmd == V_IOC_SEND))
		return v_ipc_send(vs, argp);
	switch (cmd) {
	case V_IOC_RECEIVE:
		return v_sock_receive(sock, argp, false, sizeof(struct v_receive));
	case V_IOC_RECEIVE_SEG:
		return v_sock_receive(sock, argp, true, sizeof(struct v_receive));
	case V_IOC_REPLY:
		return v_sock_reply(vs, argp, false);
	case V_IOC_REPLY_SEG:
		return v_sock_reply(vs, argp, true);
	case V_IOC_FORWARD:
		return v_sock_forward(vs, argp);
	case V_IOC_MOVE_TO:
		return v_sock_move(vs, argp, true);
	case V_IOC_MOVE_FROM:
		return v_sock_move(vs, argp, false);
	case V_IOC_SET_PID:
		return v_sock_pid(vs, argp, true);
	case V_IOC_GET_PID:
		return v_sock_pid(vs, argp, false);
	case V_IOC_GROUP_CREATE:
	case V_IOC_GROUP_JOIN:
	case V_IOC_GROUP_LEAVE:
		return v_sock_group(vs, cmd, argp);
	case V_IOC_GROUP_MEMBERS:
		return v_sock_group_members(vs, argp);
	case V_IOC_GET_REPLY:
		return v_group_get_reply(vs, argp);
	case V_IOC_WATCH:
	case V_IOC_UNWATCH:
		return v_sock_watch(vs, cmd, argp);
	case V_IOC_NOTIFY:
		return v_sock_notify(vs, argp);
	case V_IOC_PULSE:
		return v_sock_pulse(vs, argp);
	case V_IOC_SET_OPTS:
		return v_sock_opts(vs, argp);
	default:
		return v_sock_ioctl_v1(sock, cmd, argp);
	}
}

static int v_sock_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	/*
	 * Commands of other types go on to the generic socket ioctls
	 * (SIOCGIFINDEX and friends) as for any family; every command of
	 * the V type is ours, and one we do not know is EOPNOTSUPP.
	 */
	if (_IOC_TYPE(cmd) != V_IOC_TYPE)
		return -ENOIOCTLCMD;
	return v_sock_ioctl_v(sock, cmd, (void __user *)arg);
}

#ifdef CONFIG_COMPAT
/* The ioctl structs have one layout for 32- and 64-bit callers. */
static int v_sock_compat_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	if (_IOC_TYPE(cmd) != V_IOC_TYPE)
		return -ENOIOCTLCMD;
	return v_sock_ioctl_v(sock, cmd, compat_ptr(arg));
}
#endif

/*
 * shutdown() in any direction ends the V process's part in IPC and wakes
 * every thread blocked on it, which close() from another thread cannot do
 * (a blocked thread holds the file).
 */
static int v_sock_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	v_group_release(v_sk(sk));
	v_ipc_shutdown(v_sk(sk));
	return 0;
}

static __poll_t v_sock_poll(struct file *file, struct socket *sock, poll_table *wait)
{
	struct v_sock *vs = v_sk(sock->sk);
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	if (READ_ONCE(vs->rxq_len) || READ_ONCE(vs->nr_notices) || READ_ONCE(vs->nr_pulses))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(vs->dead))
		mask |= EPOLLHUP | EPOLLRDHUP;
	return mask;
}

static const struct proto_ops v_proto_ops = {
	.owner = THIS_MODULE,
	.release = v_sock_release,
	.bind = sock_no_bind,
	.connect = sock_no_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = v_sock_getname,
	.poll = v_sock_poll,
	.ioctl = v_sock_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = v_sock_compat_ioctl,
#endif
	.listen = sock_no_listen,
	.shutdown = v_sock_shutdown,
	.sendmsg = sock_no_sendmsg,
	.recvmsg = sock_no_recvmsg,
	.mmap = sock_no_mmap,
};

/*
 * The last reference is gone and, the socket being SOCK_RCU_FREE, so is
 * every RCU reader that found it (a dump reading its creator).
 */
static void v_sock_destruct(struct sock *sk)
{
	put_pid(v_sk(sk)->creator);
}

static int v_sock_create(struct net *net, struct socket *sock, int protocol, int kern)
{
	struct v_host *host = v_host_get(net);
	struct sock *sk;
	int err;

	if (sock->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != V_PROTO_DEFAULT)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, v_family, GFP_KERNEL_ACCOUNT, &v_proto, kern);
	if (!sk)
		return -ENOMEM;
	sock_init_data(sock, sk);
	sock->ops = &v_proto_ops;
	v_sk(sk)->creator = get_pid(task_tgid(current));
	sk->sk_destruct = v_sock_destruct;
	v_ipc_init_sock(v_sk(sk));
	/* Lookups by id run under RCU only (id.c). */
	sock_set_flag(sk, SOCK_RCU_FREE);

	err = v_id_register(host, v_sk(sk));
	if (err) {
		sock_orphan(sk);
		sock->sk = NULL;
		sock_put(sk);
		return err;
	}
	return 0;
}

static struct net_proto_family v_family_ops = {
	.create = v_sock_create,
	.owner = THIS_MODULE,
};

int v_socket_init(void)
{
	int err;

	err = proto_register(&v_proto, 1);
	if (err)
		return err;
	v_family_ops.family = v_family;
	err = sock_register(&v_family_ops);
	if (err) {
		pr_err("address family %d is taken (%d); load with family=N\n",
		       v_family, err);
		proto_unregister(&v_proto);
	}
	return err;
}

void v_socket_exit(void)
{
	sock_unregister(v_family);
	/* Let every SOCK_RCU_FREE socket reach sk_prot_free() first. */
	rcu_barrier();
	proto_unregister(&v_proto);
}
