/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vkmod internal definitions shared by the files of the module.
 *
 * Files and their concerns:
 *   main.c    module load/unload and module-wide parameters
 *   host.c    per-network-namespace V host state (one netns = one V host)
 *   id.c      the host's process table: id allocation and lookup
 *   socket.c  the AF_V socket family: create, release, ioctl dispatch
 */
#ifndef _VKMOD_H
#define _VKMOD_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <linux/atomic.h>
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
};

/* A V process: one AF_V socket. */
struct v_sock {
	struct sock sk;			/* must be first */
	struct v_host *host;
	u64 id;				/* 0 until registered */
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

/* socket.c */
int v_socket_init(void);
void v_socket_exit(void);

#endif /* _VKMOD_H */
