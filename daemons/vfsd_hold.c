// SPDX-License-Identifier: GPL-2.0
/*
 * vfsd's holdings: which client caches which file, and revoking them
 * before a change is answered (<vio.h>, "Caching").
 *
 * A client's cache process registers first (VIO_CACHE_HELLO, Sent by the
 * cache process itself, so the server knows its host and uid from its
 * kernel); a request may then name it only from the same host and uid.
 * A holding is (file, cache process); the file is its (st_dev, st_ino).
 * Holdings live in one pool chained in buckets of a hash keyed with a
 * random secret (clients choose which files they hold: nobody should be
 * able to line them up in one chain).  A cache process holds at most
 * hold_quota files it only looked at (vfsd -C); the holdings of its open
 * files are outside the quota (pinned by their instances; among the
 * looked-at ones again at the last close, over the quota if need be), so
 * an open file's holding is refused only when the whole pool is used.
 *
 * A cache process that does not answer a REVOKE, or is gone, is forgotten
 * whole: its holdings and its registration.  Its next request naming it
 * is answered ESTALE, and the client drops everything it cached of this
 * server before it registers again.
 *
 * Locking: hold_lock guards the pool, the buckets and the clients; it is
 * never held across a Send or a system call on a file.  watch_lock
 * serializes the clients' WATCH and UNWATCH, each decided on the table as
 * it is then (one watch per id in the kernel: a late UNWATCH of a slot's
 * old owner must not undo the WATCH of its registering again).  A REVOKE
 * is Sent from the worker's own V process (a V process has one Send at a
 * time, and vfsd's workers share theirs for Receive).  Looked-at holdings
 * are taken out of the table before their REVOKE: a holder that looks
 * again meanwhile holds again, and its look comes after the change.
 */
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "vfsd.h"

#define HOLD_MAX	16384	/* holdings of files only looked at, in all */
#define HOLD_POOL	(HOLD_MAX + 1024)	/* and one per instance (INST_MAX) */
#define HOLD_BUCKETS	4096
#define HOLD_CLIENTS	256
#define CLIENTS_PER_USER 4	/* cache processes of one (host, uid) */
#define REVOKE_BATCH	64	/* holders revoked per pass (more: another pass) */

struct hold {
	uint64_t dev, ino, cache;
	int32_t next;		/* in its bucket, or in the free list; -1 ends */
	uint16_t pins;		/* the client's open instances of the file: a
				 * holding outside the quota while any */
	uint32_t asked;		/* the last revoke pass that asked it */
};

struct hold_client {
	uint64_t cache;		/* 0: a free slot */
	uint32_t host, uid;	/* as its kernel reported them at HELLO */
	unsigned int n;		/* holdings within the quota */
	unsigned int npinned;	/* holdings of open files (pins) */
};

unsigned int hold_quota = HOLD_QUOTA_DEFAULT;
static struct hold pool[HOLD_POOL];
static int32_t bucket[HOLD_BUCKETS];
static int32_t free_head = -1;
static struct hold_client clients[HOLD_CLIENTS];
static uint64_t hash_key[2];
static unsigned int held;	/* holdings in the pool */
static unsigned int held_looked;	/* of them, within the quotas */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int revoke_fd = -1;

void vfsd_hold_init(void)
{
	int i;

	if (getrandom(hash_key, sizeof(hash_key), 0) != sizeof(hash_key))
		hash_key[0] = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	for (i = 0; i < HOLD_BUCKETS; i++)
		bucket[i] = -1;
	for (i = HOLD_POOL - 1; i >= 0; i--) {
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

static int any_held(void)
{
	return __atomic_load_n(&held, __ATOMIC_ACQUIRE) != 0;
}

/* ---- cache processes ------------------------------------------------------ */

static struct hold_client *client_find(uint64_t cache)
{
	int i;

	for (i = 0; i < HOLD_CLIENTS; i++)
		if (clients[i].cache == cache)
			return &clients[i];
	return NULL;
}

/* Cache processes of (host, uid) registered; hold_lock held. */
static unsigned int clients_of(uint32_t host, uint32_t uid)
{
	unsigned int n = 0;
	int i;

	for (i = 0; i < HOLD_CLIENTS; i++)
		n += clients[i].cache && clients[i].host == host && clients[i].uid == uid;
	return n;
}

/* A slot for a new cache process: a free one, else one holding nothing
 * (*old: whom it watched).  hold_lock held. */
static struct hold_client *client_slot(uint64_t *old)
{
	struct hold_client *c = client_find(0);
	int i;

	for (i = 0; !c && i < HOLD_CLIENTS; i++)
		if (!clients[i].n && !clients[i].npinned)
			c = &clients[i];
	if (c)
		*old = c->cache;
	return c;
}

/*
 * The watch on a slot passes from old (0: none) to new (0: none), as the
 * table is when watch_lock is held: a late call must not unwatch an old
 * owner that registered again meanwhile, nor watch a new one gone again.
 * (Order: watch_lock, then hold_lock.)
 */
static void watch_pass(uint64_t old, uint64_t new)
{
	int old_in, new_in;

	pthread_mutex_lock(&watch_lock);
	pthread_mutex_lock(&hold_lock);
	old_in = old && client_find(old);
	new_in = new && client_find(new);
	pthread_mutex_unlock(&hold_lock);
	if (old && !old_in)
		v_unwatch(vd.fd, old);
	if (new_in)
		v_watch(vd.fd, new, 0);
	pthread_mutex_unlock(&watch_lock);
}

/*
 * VIO_CACHE_HELLO from a cache process: register it (its host and uid
 * from its kernel), watched, so that its end ends its holdings.  Over an
 * unkeyed link the uid is the sender's claim, as everything there is: a
 * machine on such a link can forge any frame (docs/SECURITY.md).
 */
int vfsd_hold_hello(const struct v_receive *r)
{
	uint64_t old = 0;
	struct hold_client *c;
	int ret = V_OK;

	if (!hold_quota)
		return V_NOT_SUPPORTED;
	pthread_mutex_lock(&hold_lock);
	c = client_find(r->sender);
	if (c)
		goto out;	/* again: a client that lost our answer */
	if (clients_of(r->creds.host, r->creds.uid) >= CLIENTS_PER_USER ||
	    !(c = client_slot(&old))) {
		ret = V_NO_SERVER_RESOURCES;
		goto out;
	}
	*c = (struct hold_client){ .cache = r->sender, .host = r->creds.host,
				   .uid = r->creds.uid };
out:
	pthread_mutex_unlock(&hold_lock);
	if (ret == V_OK && old != r->sender)
		watch_pass(old, r->sender);
	return ret;
}

/*
 * The cache process r names at VIO_ARG_CACHE_OFF: 0 (none), or one that
 * registered from the sender's own host and uid (so nobody can have its
 * changes skip another user's cache, or fill its quota).  0 or a reply
 * code: V_BAD_ARGS for what can never be one, V_NO_PERMISSION (ESTALE in
 * the reply) for one not registered, or not the sender's.
 */
int vfsd_hold_cache_of(const struct v_receive *r, uint64_t *cache)
{
	struct hold_client *c;
	int ok;

	*cache = v_msg_get64(&r->msg, VIO_ARG_CACHE_OFF);
	if (!*cache)
		return 0;
	if (v_id_is_group(*cache) || (*cache & V_ID_WELLKNOWN) || *cache == r->sender)
		return V_BAD_ARGS;
	pthread_mutex_lock(&hold_lock);
	c = client_find(*cache);
	ok = c && c->host == r->creds.host && c->uid == r->creds.uid;
	pthread_mutex_unlock(&hold_lock);
	if (!ok) {
		*cache = 0;
		errno_code(ESTALE);
		return V_NO_PERMISSION;
	}
	return 0;
}

/* ---- holdings ------------------------------------------------------------- */

/* Take a holding out of its client's counts; hold_lock held. */
static void hold_uncount(const struct hold *h)
{
	struct hold_client *c = client_find(h->cache);

	if (c && h->pins && c->npinned)
		c->npinned--;
	else if (c && !h->pins && c->n)
		c->n--;
	if (!h->pins)
		held_looked--;
	__atomic_sub_fetch(&held, 1, __ATOMIC_RELEASE);
}

/* The holding of (cache, dev, ino) in bucket b, or -1 (*pp: the link to
 * it); hold_lock held. */
static int32_t hold_find(unsigned int b, uint64_t cache, uint64_t dev, uint64_t ino,
			 int32_t **pp)
{
	int32_t i;

	for (*pp = &bucket[b]; (i = **pp) >= 0; *pp = &pool[i].next)
		if (pool[i].ino == ino && pool[i].dev == dev && pool[i].cache == cache)
			return i;
	return -1;
}

/* Free pool entry i, unlinked from its bucket; hold_lock held. */
static void hold_free(int32_t i)
{
	hold_uncount(&pool[i]);
	pool[i].next = free_head;
	free_head = i;
}

/* A holding found again: how (a HOLD_* kind) changes it; hold_lock held. */
static void hold_again(struct hold *h, struct hold_client *c, int how)
{
	if (how == HOLD_LOOK || (how == HOLD_USE && h->pins))
		return;
	if (!h->pins) {		/* leaves the quota */
		c->n--;
		c->npinned++;
		held_looked--;
	}
	h->pins++;
}

/*
 * Record that cache holds the file: how is HOLD_LOOK (a STAT: within the
 * quota), HOLD_OPEN (one more open instance) or HOLD_USE (a READ or STAT
 * through an open instance: pinned if it was not).  HOLD_HAD (it did
 * already), HOLD_NEW, or HOLD_REFUSED (not registered, its quota or the
 * pool full), HOLD_GONE (cache is not registered: forgotten, it hears
 * ESTALE).
 */
int vfsd_hold_add(uint64_t cache, uint64_t dev, uint64_t ino, int how)
{
	unsigned int b = hold_hash(dev, ino);
	struct hold_client *c;
	int ret = HOLD_NEW;
	int32_t i, *pp;

	if (!cache)
		return HOLD_REFUSED;
	pthread_mutex_lock(&hold_lock);
	c = client_find(cache);
	if (!c) {
		ret = HOLD_GONE;
		goto out;
	}
	i = hold_find(b, cache, dev, ino, &pp);
	if (i >= 0) {
		hold_again(&pool[i], c, how);
		ret = HOLD_HAD;
		goto out;
	}
	if (free_head < 0 ||
	    (how == HOLD_LOOK && (c->n >= hold_quota || held_looked >= HOLD_MAX))) {
		ret = HOLD_REFUSED;
		goto out;
	}
	i = free_head;
	free_head = pool[i].next;
	pool[i] = (struct hold){ .dev = dev, .ino = ino, .cache = cache, .next = bucket[b],
				 .pins = how != HOLD_LOOK };
	bucket[b] = i;
	if (how != HOLD_LOOK) {
		c->npinned++;
	} else {
		c->n++;
		held_looked++;
	}
	__atomic_add_fetch(&held, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&hold_lock);
	return ret;
}

/*
 * An instance of the file that cache's client opened is closed: at the
 * last one the holding goes back among the looked-at ones (the client
 * keeps its pages for a next open), over the quota if it must: dropping
 * it here would leave the client caching with no REVOKE to come, and the
 * quota only bounds what a STAT can add.  (A pin count that a forget and
 * a re-registration lost only makes this happen early: the file stays
 * held either way.)
 */
void vfsd_hold_close(uint64_t cache, uint64_t dev, uint64_t ino)
{
	unsigned int b = hold_hash(dev, ino);
	struct hold_client *c;
	int32_t i, *pp;

	pthread_mutex_lock(&hold_lock);
	c = client_find(cache);
	i = c ? hold_find(b, cache, dev, ino, &pp) : -1;
	if (i >= 0 && pool[i].pins && !--pool[i].pins) {
		c->npinned--;
		c->n++;
		held_looked++;
	}
	pthread_mutex_unlock(&hold_lock);
}

/*
 * cache is forgotten whole: its holdings and its registration (it ended,
 * or did not answer a REVOKE: it hears ESTALE at its next request).  How
 * many holdings it had.  ended: its watch fired already.
 */
unsigned int vfsd_hold_forget(uint64_t cache, int ended)
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
	n = c->n + c->npinned;
	for (b = 0; b < HOLD_BUCKETS && c->n + c->npinned; b++)
		for (pp = &bucket[b]; (i = *pp) >= 0; ) {
			if (pool[i].cache != cache) {
				pp = &pool[i].next;
				continue;
			}
			*pp = pool[i].next;
			hold_free(i);
		}
	c->cache = 0;
	pthread_mutex_unlock(&hold_lock);
	if (!ended)
		watch_pass(cache, 0);
	return n;
}

/*
 * Up to max holders of the file but except that revoke pass has not
 * asked yet: those that only looked at it are taken out of the table (a
 * new look holds again), those with it open stay, marked asked (their
 * pins count instances that are still there, and they cache it again at
 * once).
 */
static int take_holders(uint64_t dev, uint64_t ino, uint64_t except, uint64_t *out, int max,
			uint32_t pass)
{
	unsigned int b = hold_hash(dev, ino);
	int32_t *pp, i;
	int n = 0;

	pthread_mutex_lock(&hold_lock);
	for (pp = &bucket[b]; (i = *pp) >= 0 && n < max; ) {
		if (pool[i].ino != ino || pool[i].dev != dev || pool[i].cache == except ||
		    (pool[i].pins && pool[i].asked == pass)) {
			pp = &pool[i].next;
			continue;
		}
		out[n++] = pool[i].cache;
		if (pool[i].pins) {
			pool[i].asked = pass;
			pp = &pool[i].next;
			continue;
		}
		*pp = pool[i].next;
		hold_free(i);
	}
	pthread_mutex_unlock(&hold_lock);
	return n;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * One REVOKE, waiting at most until the change's deadline.  A holder that
 * does not answer V_OK or V_NOT_FOUND by then (or is not even asked: the
 * deadline passed) is forgotten: it hears ESTALE at its next request.
 */
static void revoke_one(uint64_t cache, uint64_t ino, uint16_t flags, uint64_t deadline)
{
	uint64_t now = mono_ns();
	struct v_send s;
	int ret = -ETIMEDOUT;

	if (revoke_fd < 0)
		revoke_fd = v_open();
	memset(&s, 0, sizeof(s));
	s.dst = cache;
	s.timeout_ns = deadline > now ? deadline - now : 0;
	v_msg_set_code(&s.msg, VIO_REVOKE);
	v_msg_put16(&s.msg, VIO_FLAGS_OFF, flags);
	v_msg_put64(&s.msg, VIO_REVOKE_FILE_OFF, ino);
	v_msg_put64(&s.msg, VIO_REVOKE_MANAGER_OFF, vd.self);
	if (revoke_fd < 0)
		ret = revoke_fd;
	else if (s.timeout_ns)
		ret = v_send_ex(revoke_fd, &s);
	if (ret == 0 && v_msg_code(&s.msg) != V_OK && v_msg_code(&s.msg) != V_NOT_FOUND)
		ret = -EPROTO;
	if (ret < 0) {
		if (!vd.quiet)
			vd_log(&vd, "cache 0x%016" PRIx64 " did not take a revoke (%s): its "
			       "holdings end", cache, v_strerror(ret));
		vfsd_hold_forget(cache, 0);
	}
}

/*
 * The file changed (flags VIO_REVOKE_NAME: one of its names): every
 * holder but except is revoked before the caller answers the change, all
 * of them within VIO_REVOKE_TIMEOUT_MS; those the deadline leaves
 * unasked are forgotten.  (A holder with the file open stays in the
 * table, marked asked by this pass.)
 */
void vfsd_hold_revoke(uint64_t dev, uint64_t ino, uint64_t except, uint16_t flags)
{
	static uint32_t passes;
	uint64_t who[REVOKE_BATCH], deadline;
	uint32_t pass;
	int n, i;

	if (!any_held())
		return;
	pass = __atomic_add_fetch(&passes, 1, __ATOMIC_RELAXED);
	if (!pass)	/* 0 is "never asked" */
		pass = __atomic_add_fetch(&passes, 1, __ATOMIC_RELAXED);
	deadline = mono_ns() + (uint64_t)VIO_REVOKE_TIMEOUT_MS * 1000000ULL;
	do {
		n = take_holders(dev, ino, except, who, REVOKE_BATCH, pass);
		for (i = 0; i < n; i++)
			revoke_one(who[i], ino, flags, deadline);
	} while (n == REVOKE_BATCH);
}

/* Which file last names in dirfd, before a change takes the name away
 * (UNLINK, RENAME): 0, or -1 when nobody holds anything (no need). */
int vfsd_hold_peek(int dirfd, const char *last, struct stat *st)
{
	if (!any_held())
		return -1;
	return fstatat(dirfd, last, st, AT_SYMLINK_NOFOLLOW);
}
