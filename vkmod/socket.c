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

static long v_sock_ioctl_v(struct socket *sock, unsigned int cmd, void __user *argp)
{
	switch (cmd) {
	case V_IOC_SEND:
	case V_IOC_RECEIVE:
	case V_IOC_RECEIVE_SEG:
	case V_IOC_REPLY:
	case V_IOC_REPLY_SEG:
	case V_IOC_REPLY_RECEIVE:
	case V_IOC_FORWARD:
	case V_IOC_MOVE_TO:
	case V_IOC_MOVE_FROM:
	case V_IOC_SET_PID:
	case V_IOC_GET_PID:
	case V_IOC_GROUP_CREATE:
	case V_IOC_GROUP_JOIN:
	case V_IOC_GROUP_LEAVE:
	case V_IOC_GROUP_MEMBERS:
	case V_IOC_GET_REPLY:
	default:
		return -EOPNOTSUPP;
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

static int v_sock_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;

	lock_sock(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	release_sock(sk);
	sk->sk_state_change(sk);
	return 0;
}

static const struct proto_ops v_proto_ops = {
	.owner = THIS_MODULE,
	.release = v_sock_release,
	.bind = sock_no_bind,
	.connect = sock_no_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = v_sock_getname,
	.poll = datagram_poll,
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
