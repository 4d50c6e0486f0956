/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vfsd's files share: vfsd.c (instances, the V I/O requests of the
 * first protocol, the main loop) and vfsd_posix.c (the POSIX requests of
 * the argument layout, <vio.h>, that a file system client needs).
 */
#ifndef VFSD_H
#define VFSD_H

#include <sys/stat.h>
#include "daemon.h"

/*
 * The identity a request runs as (vfsd -U): chosen by the worker before it
 * handles a request (who_of() in vfsd.c); per thread, as setfsuid() is.
 */
struct vfsd_who {
	uint32_t uid, gid;
	uint32_t ngroups;		/* supplementary groups, asserted */
	uint32_t groups[VIO_GROUPS_MAX];
};

struct inst {
	int fd;			/* -1: free */
	uint64_t owner;		/* the V process that opened it */
	uint32_t host;		/* its host part and uid, for the quota */
	uint32_t uid;
	uint32_t busy;		/* workers using it (inst_get) */
	uint8_t doomed;		/* closed or reclaimed: goes when not busy */
	uint16_t gen;
	uint8_t type;
	uint8_t writable;
	uint64_t cache;		/* the opener's cache process, or 0 */
	uint64_t dev, ino;	/* the file's, for holdings */
	struct vfsd_who who;	/* -U: the opener, whom requests on it run as */
};

extern struct vd vd;
extern int rootfd;
extern size_t reply_seg_max;
extern __thread void *iobuf;
extern __thread struct vfsd_who who;
extern int as_users;		/* -U */

int errno_code(int e);
int open_beneath(const char *name, uint64_t flags, int *fd);
int may_write(const struct v_receive *r);
uint8_t mode_type(mode_t m);
uint64_t ts_ns(const struct timespec *ts);
uint64_t vio_oflags(unsigned int f);
uint32_t inst_new(int fd, const struct v_receive *r, const struct stat *st, int writable,
		  uint64_t cache);
int sender_gone(int ret);
void inst_drop(uint32_t id, uint64_t sender);
int vfsd_as_self(int self);

/* A request of the argument layout (VIO_STAT..VIO_LOCK); in: the instance
 * it names (held), or NULL.  Returns a reply code, or -2 (replied with a
 * segment), -1 (the sender is gone). */
int vfsd_posix(const struct v_receive *r, const void *seg, struct inst *in,
	       struct v_msg *reply);

/* Holdings (vfsd_hold.c): who caches which file, revoked on a change. */
#define HOLD_QUOTA_DEFAULT	4096	/* holdings per cache process (-C) */
#define HOLD_REFUSED		0	/* vfsd_hold_add()'s answers */
#define HOLD_NEW		1
#define HOLD_HAD		2
#define HOLD_GONE		(-1)
#define HOLD_LOOK		0	/* how a holding is added */
#define HOLD_OPEN		1
#define HOLD_USE		2
extern unsigned int hold_quota;
void vfsd_hold_init(void);
int vfsd_hold_hello(const struct v_receive *r);
int vfsd_hold_cache_of(const struct v_receive *r, uint64_t *cache);
int vfsd_hold_add(uint64_t cache, uint64_t dev, uint64_t ino, int how);
void vfsd_hold_close(uint64_t cache, uint64_t dev, uint64_t ino);
void vfsd_hold_revoke(uint64_t dev, uint64_t ino, uint64_t except, uint16_t flags);
unsigned int vfsd_hold_forget(uint64_t cache, int ended);
int vfsd_hold_peek(int dirfd, const char *last, struct stat *st);

#endif /* VFSD_H */
