// SPDX-License-Identifier: GPL-2.0
/*
 * vfsd's holdings: which client caches which file, and revoking them
 * before a change is answered (<vio.h>, "Caching").
 *
 * A holding is (file, cache process); the file is its (st_dev, st_ino).
 * Holdings live in one pool of HOLD_MAX entries chained in buckets of a
 * hash keyed with a random secret (clients choose which files they hold:
 * nobody should be able to line them up in one chain), and are counted
 * per cache process, at most hold_quota each (vfsd -C).
 *
 * Locking: hold_lock guards the pool, the buckets and the clients; it is
 * never held across a Send, a WATCH or a system call on a file.  A REVOKE
 * is Sent from the worker's own V process (a V process has one Send at a
 * time, and vfsd's workers share theirs for Receive), after the holders
 * were taken out of the table: a holder that reads again meanwhile holds
 * again, and its read comes after the change.
 */
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "vfsd.h"

#define HOLD_MAX	16384
#define HOLD_BUCKETS	4096
#define HOLD_CLIENTS	256
#define REVOKE_BATCH	64	/* holders revoked per pass (more: another pass) */

struct hold {
	uint64_t dev, ino, cache;
	int32_t next;		/* in its bucket, or in the free list; -1 ends */
};

/* A cache process, watched from its first holding until it ends or its
 * slot is taken by another while it holds nothing (no watch churn when a
 * client's one holding comes and goes). */
struct hold_client {
	uint64_t cache;		/* 0: a free slot */
	unsigned int n;		/* its holdings */
};

unsigned int hold_quota = HOLD_QUOTA_DEFAULT;
static struct hold pool[HOLD_MAX];
static int32_t bucket[HOLD_BUCKETS];
static int32_t free_head = -1;
static struct hold_client clients[HOLD_CLIENTS];
static uint64_t hash_key[2];
static unsigned int held;	/* holdings in the pool */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int revoke_fd = -1;

void vfsd_hold_init(void)
{
	int i;

	if (getrandom(hash_key, sizeof(hash_key), 0) != sizeof(hash_key))
		hash_key[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	for (i = 0; i < HOLD_BUCKETS; i++)
		bucket[i] = -1;
	for (i = HOLD_MAX - 1; i >= 0; i--) {
		pool[i].next = free_head;
		free_head = i;
	}
}

/* A keyed mix of (dev, ino) (splitmix64's finalizer over the key). */
static unsigned int hold_hash(uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino ^ hash_key[0]) + dev * 0x9e3779b97f4a7c15ULL + hash_key[1];

	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned int)((h ^ (h >> 31)) % HOLD_BUCKETS);
}

static struct hold_client *client_find(uint64_t cache)
{
	int i;

	for (i = 0; i < HOLD_CLIENTS; i++)
		if (clients[i].cache == cache)
			return &clients[i];
	return NULL;
}

/* A slot for a new cache process: a free one, else one holding nothing
 * (*old: whom it watched).  hold_lock held. */
static struct hold_client *client_new(uint64_t cache, uint64_t *old)
{
	struct hold_client *c = client_find(0);
	int i;

	for (i = 0; !c && i < HOLD_CLIENTS; i++)
		if (!clients[i].n)
			c = &clients[i];
	if (c) {
		*old = c->cache;
		c->cache = cache;
		c->n = 0;
	}
	return c;
}

/*
 * The cache process r names at VIO_ARG_CACHE_OFF: 0 (none), or a process
 * on the sender's own host (a client may not have the server Send REVOKEs
 * to a third host) and not the sender itself (it is blocked in its Send,
 * and its death notice is the instances').  0 or a reply code.
 */
int vfsd_hold_cache_of(const struct v_receive *r, uint64_t *cache)
{
	*cache = v_msg_get64(&r->msg, VIO_ARG_CACHE_OFF);
	if (!*cache)
		return 0;
	if (v_id_is_group(*cache) || (*cache & V_ID_WELLKNOWN) || *cache == r->sender ||
	    v_id_host(*cache) != v_id_host(r->sender))
		return V_BAD_ARGS;
	return 0;
}

/*
 * Record that cache holds the file: HOLD_HAD (it did already), HOLD_NEW,
 * or HOLD_REFUSED (its quota, the pool or the client table is full).
 */
int vfsd_hold_add(uint64_t cache, uint64_t dev, uint64_t ino)
{
	unsigned int b = hold_hash(dev, ino);
	struct hold_client *c;
	uint64_t old = 0;
	int watch = 0, ret = HOLD_NEW;
	int32_t i;

	if (!cache)
		return HOLD_REFUSED;
	pthread_mutex_lock(&hold_lock);
	for (i = bucket[b]; i >= 0; i = pool[i].next)
		if (pool[i].ino == ino && pool[i].dev == dev && pool[i].cache == cache) {
			ret = HOLD_HAD;
			goto out;
		}
	c = client_find(cache);
	if (!c && (c = client_new(cache, &old)))
		watch = 1;
	if (!c || c->n >= hold_quota || free_head < 0) {
		ret = HOLD_REFUSED;
		goto out;
	}
	i = free_head;
	free_head = pool[i].next;
	pool[i] = (struct hold){ .dev = dev, .ino = ino, .cache = cache, .next = bucket[b] };
	bucket[b] = i;
	c->n++;
	__atomic_add_fetch(&held, 1, __ATOMIC_RELAXED);
out:
	pthread_mutex_unlock(&hold_lock);
	/* Its death ends its holdings (inst_reclaim: a notice); outside the
	 * lock, WATCH allocates.  Best effort: a failed REVOKE ends them too. */
	if (old)
		v_unwatch(vd.fd, old);
	if (watch)
		v_watch(vd.fd, cache, 0);
	return ret;
}

/* Drop a client's count for one holding; hold_lock held. */
static void client_put(uint64_t cache)
{
	struct hold_client *c = client_find(cache);

	if (c && c->n)
		c->n--;
}

/* Every holding of cache goes (it ended, or did not answer a REVOKE);
 * how many it had. */
unsigned int vfsd_hold_forget(uint64_t cache)
{
	struct hold_client *c;
	unsigned int b, n;
	int32_t *pp, i;

	pthread_mutex_lock(&hold_lock);
	c = client_find(cache);
	if (!c) {
		pthread_mutex_unlock(&hold_lock);
		return 0;
	}
	n = c->n;
	for (b = 0; b < HOLD_BUCKETS && c->n; b++)
		for (pp = &bucket[b]; (i = *pp) >= 0; ) {
			if (pool[i].cache != cache) {
				pp = &pool[i].next;
				continue;
			}
			*pp = pool[i].next;
			pool[i].next = free_head;
			free_head = i;
			__atomic_sub_fetch(&held, 1, __ATOMIC_RELAXED);
			c->n--;
		}
	c->cache = 0;
	pthread_mutex_unlock(&hold_lock);
	return n;
}

/* Take up to max holders of the file but except out of the table. */
static int take_holders(uint64_t dev, uint64_t ino, uint64_t except, uint64_t *out, int max)
{
	unsigned int b = hold_hash(dev, ino);
	int32_t *pp, i;
	int n = 0;

	pthread_mutex_lock(&hold_lock);
	for (pp = &bucket[b]; (i = *pp) >= 0 && n < max; ) {
		if (pool[i].ino != ino || pool[i].dev != dev || pool[i].cache == except) {
			pp = &pool[i].next;
			continue;
		}
		out[n++] = pool[i].cache;
		*pp = pool[i].next;
		pool[i].next = free_head;
		free_head = i;
		__atomic_sub_fetch(&held, 1, __ATOMIC_RELAXED);
		client_put(out[n - 1]);
	}
	pthread_mutex_unlock(&hold_lock);
	return n;
}

/* One REVOKE; a holder that does not answer in time, or is gone, loses
 * every holding it has. */
static void revoke_one(uint64_t cache, uint64_t ino, uint16_t flags)
{
	struct v_send s;
	int ret;

	if (revoke_fd < 0)
		revoke_fd = v_open();
	memset(&s, 0, sizeof(s));
	s.dst = cache;
	s.timeout_ns = (uint64_t)VIO_REVOKE_TIMEOUT_MS * 1000000ULL;
	v_msg_set_code(&s.msg, VIO_REVOKE);
	v_msg_put16(&s.msg, VIO_FLAGS_OFF, flags);
	v_msg_put64(&s.msg, VIO_REVOKE_FILE_OFF, ino);
	v_msg_put64(&s.msg, VIO_REVOKE_MANAGER_OFF, vd.self);
	ret = revoke_fd < 0 ? revoke_fd : v_send_ex(revoke_fd, &s);
	if (ret < 0) {
		if (!vd.quiet)
			vd_log(&vd, "cache 0x%016" PRIx64 " did not take a revoke (%s): its "
			       "holdings end", cache, v_strerror(ret));
		vfsd_hold_forget(cache);
	}
}

/*
 * The file changed (flags VIO_REVOKE_NAME: one of its names): every
 * holder but except is revoked before the caller answers the change.
 */
void vfsd_hold_revoke(uint64_t dev, uint64_t ino, uint64_t except, uint16_t flags)
{
	uint64_t who[REVOKE_BATCH];
	int n, i;

	if (!__atomic_load_n(&held, __ATOMIC_RELAXED))
		return;
	do {
		n = take_holders(dev, ino, except, who, REVOKE_BATCH);
		for (i = 0; i < n; i++)
			revoke_one(who[i], ino, flags);
	} while (n == REVOKE_BATCH);
}

/* Which file last names in dirfd, before a change takes the name away
 * (UNLINK, RENAME): 0, or -1 when nobody holds anything (no need). */
int vfsd_hold_peek(int dirfd, const char *last, struct stat *st)
{
	if (!__atomic_load_n(&held, __ATOMIC_RELAXED))
		return -1;
	return fstatat(dirfd, last, st, AT_SYMLINK_NOFOLLOW);
}
