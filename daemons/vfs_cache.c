// SPDX-License-Identifier: GPL-2.0
/*
 * vfs's cache process: the V process file servers Send REVOKE to
 * (<vio.h>, "Caching"), and the table of files this host caches.
 *
 * The kernel caches a file's pages and attributes; libfuse's high-level
 * API names a file to it only by path (fuse_invalidate_path()), and gives
 * each path its own kernel inode (two hard links: two inodes, two page
 * caches).  So each path by which this host holds a server's file is an
 * entry (server, server's inode, path), its path kept on renames.  A
 * REVOKE drops what the kernel has under every path of the file before
 * it is answered: a write() on the server's other clients has then
 * returned only after this host's next read() must ask the server again.
 * This host's own changes revoke nothing here (the server answers the
 * changer last); the path they came through is current in the kernel,
 * the file's other paths are no longer trusted at their next open.
 *
 * The drop runs on one of CACHE_THREADS threads Receiving on the cache
 * process, never on a FUSE worker: the kernel locks the pages it drops,
 * and a FUSE request in flight may hold one.  One more case: this host's
 * own write to the file may be in flight, its pages locked until the
 * server answers it, while the server waits for this REVOKE (two hosts
 * writing one file at once).  Then the REVOKE is answered first and the
 * pages are dropped as soon as this host's writes to the file are done.
 *
 * Locking: cache_lock guards the table; it is never held across a call
 * into libfuse or V.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include "vfs.h"
#include <fuse_lowlevel.h>
#include "libv_services.h"

#define CENTRY_MAX	8192
#define CBUCKETS	2048
#define CACHE_THREADS	4
#define DRAIN_WAIT_S	30	/* the longest wait for this host's writes */
#define REVOKE_PATHS	8	/* a file's paths dropped per REVOKE */

struct centry {
	uint64_t server, ino;	/* server 0: a free entry */
	char *path;
	int opens;		/* open files using it (never evicted then) */
	int writing;		/* their writes in flight */
	int trusted;		/* pages cached under it may be kept at open */
	int next;		/* in its bucket; -1 ends */
};
/* (An entry's path is never NULL: get() makes none without one.) */

static struct centry tab[CENTRY_MAX];
static int buckets[CBUCKETS];
static unsigned int clock_hand;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drained = PTHREAD_COND_INITIALIZER;
static int cache_fd = -1;
static uint64_t cache_self;
static struct fuse *fuse;
static const char *mountpoint;
static pthread_t threads[CACHE_THREADS];
static int nthreads;

/*
 * The last REVOKEs, numbered: a lookup whose answer was on its way when
 * its file was revoked asks again (vfs_cache_revoked()), else the kernel
 * would keep a name or attributes the REVOKE was meant to drop.
 */
#define RECENT		64
static uint64_t revokes;	/* REVOKEs received */
static struct {
	uint64_t server, ino, seq;
} recent[RECENT];

static unsigned int bucket_of(uint64_t server, uint64_t ino)
{
	uint64_t h = (ino ^ server * 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;

	return (unsigned int)((h ^ (h >> 31)) % CBUCKETS);
}

/* The entry of (server, ino, path), or NULL; cache_lock held. */
static struct centry *find(uint64_t server, uint64_t ino, const char *path)
{
	int i;

	for (i = buckets[bucket_of(server, ino)]; i >= 0; i = tab[i].next)
		if (tab[i].ino == ino && tab[i].server == server && !strcmp(tab[i].path, path))
			return &tab[i];
	return NULL;
}

static void unhash(struct centry *e)
{
	int *pp = &buckets[bucket_of(e->server, e->ino)];

	while (*pp >= 0 && &tab[*pp] != e)
		pp = &tab[*pp].next;
	if (*pp >= 0)
		*pp = e->next;
	free(e->path);
	memset(e, 0, sizeof(*e));
}

/* A free entry, evicting one no open file uses; cache_lock held.  NULL
 * when every entry is in use.  What the evicted one cached is not dropped
 * here: its next open is not trusted (the kernel drops it then). */
static struct centry *take_free(void)
{
	unsigned int n;

	for (n = 0; n < CENTRY_MAX; n++) {
		struct centry *e = &tab[clock_hand++ % CENTRY_MAX];

		if (!e->server)
			return e;
		if (!e->opens) {
			unhash(e);
			return e;
		}
	}
	return NULL;
}

/* The entry of (server, ino, path), made when missing; cache_lock held.
 * NULL: no room, or no memory. */
static struct centry *get(uint64_t server, uint64_t ino, const char *path)
{
	struct centry *e = find(server, ino, path);
	unsigned int b;
	char *p;

	if (e)
		return e;
	p = strdup(path);
	if (!p)
		return NULL;
	e = take_free();
	if (!e) {
		free(p);
		return NULL;
	}
	b = bucket_of(server, ino);
	*e = (struct centry){ .server = server, .ino = ino, .path = p, .next = buckets[b] };
	buckets[b] = (int)(e - tab);
	return e;
}

/* A STAT of a regular file by path: the server records that this host
 * holds it (its attributes), so a REVOKE must find its path. */
void vfs_cache_note(uint64_t server, uint64_t ino, const char *path)
{
	pthread_mutex_lock(&cache_lock);
	get(server, ino, path);
	pthread_mutex_unlock(&cache_lock);
}

/*
 * An open of the file: its entry, pinned while the file is open (NULL:
 * the table is full; the open must not be cached).  *trusted: what the
 * kernel cached for it may be kept (the entry lived since an earlier open
 * of this host, so every REVOKE since found it).
 */
struct centry *vfs_cache_pin(uint64_t server, uint64_t ino, const char *path, int *trusted)
{
	struct centry *e;

	pthread_mutex_lock(&cache_lock);
	e = get(server, ino, path);
	*trusted = e && e->trusted;
	if (e) {
		e->opens++;
		e->trusted = 1;	/* the kernel drops what it had unless trusted */
	}
	pthread_mutex_unlock(&cache_lock);
	return e;
}

void vfs_cache_unpin(struct centry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&cache_lock);
	e->opens--;
	pthread_mutex_unlock(&cache_lock);
}

/*
 * This host changed the file e is open by (or, e NULL, the file
 * (server, ino) by path): its other paths' kernel inodes did not see it.
 */
void vfs_cache_changed(struct centry *e, uint64_t server, uint64_t ino, const char *path)
{
	int i;

	pthread_mutex_lock(&cache_lock);
	if (e) {
		server = e->server;
		ino = e->ino;
		path = e->path;
	}
	for (i = buckets[bucket_of(server, ino)]; i >= 0; i = tab[i].next)
		if (tab[i].ino == ino && tab[i].server == server && strcmp(tab[i].path, path))
			tab[i].trusted = 0;
	pthread_mutex_unlock(&cache_lock);
}

/* The REVOKEs so far, before a request whose answer names a file. */
uint64_t vfs_cache_seq(void)
{
	uint64_t n;

	pthread_mutex_lock(&cache_lock);
	n = revokes;
	pthread_mutex_unlock(&cache_lock);
	return n;
}

/* Was (server, ino) revoked since seq?  (Conservatively yes when more
 * REVOKEs came than the ring remembers.) */
int vfs_cache_revoked(uint64_t server, uint64_t ino, uint64_t seq)
{
	int i, hit = 0;

	pthread_mutex_lock(&cache_lock);
	if (revokes - seq >= RECENT)
		hit = revokes != seq;
	for (i = 0; i < RECENT && !hit; i++)
		hit = recent[i].seq > seq && recent[i].ino == ino && recent[i].server == server;
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

/* A write of this host to the file begins (begin) or ends. */
void vfs_cache_writing(struct centry *e, int begin)
{
	if (!e)
		return;
	pthread_mutex_lock(&cache_lock);
	e->writing += begin ? 1 : -1;
	if (!e->writing)
		pthread_cond_broadcast(&drained);
	pthread_mutex_unlock(&cache_lock);
}

/* Does path name p or something beneath it?  The rest after p, or NULL. */
static const char *beneath(const char *path, const char *p, size_t plen)
{
	if (strncmp(path, p, plen) || (path[plen] && path[plen] != '/'))
		return NULL;
	return path + plen;
}

/* A rename here: entries named by from (or beneath it) follow it to to;
 * with exchange, those named by to go to from. */
void vfs_cache_rename(const char *from, const char *to, int exchange)
{
	size_t fl = strlen(from), tl = strlen(to);
	const char *rest;
	char *p;
	int i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < CENTRY_MAX; i++) {
		struct centry *e = &tab[i];
		const char *base = to;

		if (!e->server || !e->path)
			continue;
		rest = beneath(e->path, from, fl);
		if (!rest && exchange && (rest = beneath(e->path, to, tl)))
			base = from;
		if (!rest)
			continue;
		if (asprintf(&p, "%s%s", base, rest) < 0)
			continue;
		free(e->path);
		e->path = p;
	}
	pthread_mutex_unlock(&cache_lock);
}

/* ---- REVOKE -------------------------------------------------------------- */

/* This host's writes in flight to (server, ino), by any path; cache_lock held. */
static int writing(uint64_t server, uint64_t ino)
{
	int i, n = 0;

	for (i = buckets[bucket_of(server, ino)]; i >= 0; i = tab[i].next)
		if (tab[i].ino == ino && tab[i].server == server)
			n += tab[i].writing;
	return n;
}

/*
 * The file's paths here for a REVOKE (up to REVOKE_PATHS), and whether
 * this host's own writes to it are in flight (then the drop waits for
 * them).  The count; 0: nothing of it is cached here.
 */
static int revoke_find(uint64_t server, uint64_t ino, char **paths, int *busy)
{
	int i, n = 0;

	pthread_mutex_lock(&cache_lock);
	revokes++;
	recent[revokes % RECENT].server = server;
	recent[revokes % RECENT].ino = ino;
	recent[revokes % RECENT].seq = revokes;
	for (i = buckets[bucket_of(server, ino)]; i >= 0 && n < REVOKE_PATHS; i = tab[i].next)
		if (tab[i].ino == ino && tab[i].server == server &&
		    (paths[n] = strdup(tab[i].path)))
			n++;
	*busy = writing(server, ino);
	pthread_mutex_unlock(&cache_lock);
	return n;
}

/* Wait until this host's writes to (server, ino) are done (bounded). */
static void revoke_drain(uint64_t server, uint64_t ino)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += DRAIN_WAIT_S;
	pthread_mutex_lock(&cache_lock);
	while (writing(server, ino) &&
	       pthread_cond_timedwait(&drained, &cache_lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&cache_lock);
}

/*
 * Make the kernel forget the name path (its dentry would stay valid for
 * the entry timeout: an open(O_CREAT) of a name another host unlinked
 * would open the gone file).  Its parent's node id is what stat() on the
 * mount reports as its inode (libfuse's ids: use_ino is off); asking
 * goes to this daemon's FUSE workers, never to this thread.
 */
static void forget_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	fuse_ino_t parent = FUSE_ROOT_ID;
	struct stat st;
	char *dir;
	int ret;

	if (!slash || !slash[1])
		return;
	if (slash != path) {
		if (asprintf(&dir, "%s%.*s", mountpoint, (int)(slash - path), path) < 0)
			return;
		ret = stat(dir, &st);
		free(dir);
		if (ret)
			return;
		parent = (fuse_ino_t)st.st_ino;
	}
	fuse_lowlevel_notify_inval_entry(fuse_get_session(fuse), parent, slash + 1,
					 strlen(slash + 1));
}

/*
 * Drop what the kernel caches of path: pages and attributes, and the name
 * too, whatever changed (flags): a REVOKE ends the holding, and a name the
 * kernel kept beyond it would not hear of the file's unlink.  The next
 * look at the name asks the server, which holds this host to it again.
 */
static void drop(const char *path, uint16_t flags)
{
	(void)flags;
	fuse_invalidate_path(fuse, path);
	forget_name(path);
}

static void revoke(uint64_t sender, struct v_msg *m)
{
	uint16_t flags = v_msg_get16(m, VIO_FLAGS_OFF);
	uint64_t ino = v_msg_get64(m, VIO_REVOKE_FILE_OFF);
	uint64_t server = v_msg_get64(m, VIO_REVOKE_MANAGER_OFF);
	char *paths[REVOKE_PATHS];
	int code, busy = 0, n = 0, i;

	/* Only the server's host speaks for the server's files. */
	if (!server || v_id_host(sender) != v_id_host(server))
		code = V_NO_PERMISSION;
	else
		code = (n = revoke_find(server, ino, paths, &busy)) ? V_OK : V_NOT_FOUND;
	for (i = 0; i < n && !busy; i++)
		drop(paths[i], flags);
	memset(m, 0, sizeof(*m));
	v_msg_set_code(m, (uint16_t)code);
	v_reply(cache_fd, sender, m);
	if (busy)
		revoke_drain(server, ino);
	for (i = 0; i < n; i++) {
		if (busy)
			drop(paths[i], flags);
		free(paths[i]);
	}
}

static void *cache_thread(void *arg)
{
	uint64_t sender;
	struct v_msg m;
	int ret;

	(void)arg;
	for (;;) {
		ret = v_receive(cache_fd, &m, &sender);
		if (ret == -EINTR || ret == -EAGAIN)
			continue;
		if (ret < 0)
			break;	/* ESHUTDOWN: vfs_cache_stop() */
		if (v_msg_code(&m) == VIO_REVOKE) {
			revoke(sender, &m);
			continue;
		}
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, V_ILLEGAL_REQUEST);
		v_reply(cache_fd, sender, &m);
	}
	return NULL;
}

/* The cache process, before the first request names it. */
int vfs_cache_open(void)
{
	int i;

	for (i = 0; i < CBUCKETS; i++)
		buckets[i] = -1;
	cache_fd = v_open();
	if (cache_fd < 0 || v_self(cache_fd, &cache_self) < 0) {
		fprintf(stderr, "vfs: cannot open the cache process: %s\n", v_strerror(cache_fd));
		return -1;
	}
	return 0;
}

uint64_t vfs_cache_id(void)
{
	return cache_self;
}

/* Its threads, once the mount is live. */
int vfs_cache_start(struct fuse *f, const char *mp)
{
	fuse = f;
	mountpoint = mp;
	for (nthreads = 0; nthreads < CACHE_THREADS; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, cache_thread, NULL))
			return -1;
	return 0;
}

/* Before the mount goes: no REVOKE may run into a destroyed session. */
void vfs_cache_stop(void)
{
	int i;

	shutdown(cache_fd, SHUT_RDWR);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
}
