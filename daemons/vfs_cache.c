// SPDX-License-Identifier: GPL-2.0
/*
 * vfs's table of the files this host caches (<vio.h>, "Caching"); the
 * cache process that REVOKEs reach is vfs_revoke.c.
 *
 * The kernel caches a file's pages and attributes and its name;
 * libfuse's high-level API names a file to it only by path
 * (fuse_invalidate_path()), and gives each path its own kernel inode (two
 * hard links: two inodes, two page caches).  So each path by which this
 * host holds a server's file is an entry (server, server's inode, path),
 * its path kept on renames.  A REVOKE drops what the kernel has under
 * every path of the file before it is answered.  This host's own changes
 * revoke nothing here (the server exempts the changer); the path they
 * came through is current in the kernel, the file's other paths are no
 * longer trusted at their next open (vfs_cache_changed()).
 *
 * Locking: cache_lock guards the table and the ring of recent REVOKEs;
 * it is never held across a call into libfuse or V.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vfs.h"
#include "libv_services.h"

#define CENTRY_MAX	8192
#define CBUCKETS	2048
#define RECENT		64	/* REVOKEs remembered for lookups in flight */

struct centry {
	uint64_t server, ino;	/* server 0: a free entry */
	char *path;		/* never NULL in a used entry */
	uint64_t parent;	/* the kernel's node of its directory, 0: unknown */
	int opens;		/* open files using it (never evicted then) */
	int writing;		/* their writes in flight */
	int trusted;		/* pages cached under it may be kept at open */
	int next;		/* in its bucket; -1 ends */
};

static struct centry tab[CENTRY_MAX];
static int buckets[CBUCKETS];
static unsigned int clock_hand;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wrote = PTHREAD_COND_INITIALIZER;

/*
 * The last REVOKEs this host took, numbered: a lookup whose answer was on
 * its way when its file was revoked asks again (vfs_cache_revoked()),
 * else the kernel would keep a name or attributes the REVOKE was meant
 * to drop.
 */
static uint64_t revokes;
static struct {
	uint64_t server, ino, seq;
} recent[RECENT];

void vfs_cache_init(void)
{
	int i;

	for (i = 0; i < CBUCKETS; i++)
		buckets[i] = -1;
}

static unsigned int bucket_of(uint64_t server, uint64_t ino)
{
	uint64_t h = (ino ^ server * 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;

	return (unsigned int)((h ^ (h >> 31)) % CBUCKETS);
}

/* Is e an entry of (server, ino)?  ino 0: of any file of server. */
static int of(const struct centry *e, uint64_t server, uint64_t ino)
{
	return e->server == server && (!ino || e->ino == ino);
}

/*
 * The next entry of (server, ino) after i (-1: the first), or -1: down the
 * file's bucket, or for ino 0 (every file of server) through the table;
 * cache_lock held.
 */
static int next_of(uint64_t server, uint64_t ino, int i)
{
	if (ino) {
		for (i = i < 0 ? buckets[bucket_of(server, ino)] : tab[i].next; i >= 0; i = tab[i].next)
			if (of(&tab[i], server, ino))
				return i;
		return -1;
	}
	for (i++; i < CENTRY_MAX; i++)
		if (tab[i].server && of(&tab[i], server, 0))
			return i;
	return -1;
}

#define for_each_of(i, server, ino) \
	for ((i) = next_of(server, ino, -1); (i) >= 0; (i) = next_of(server, ino, i))

/* The entry of (server, ino, path), or NULL; cache_lock held. */
static struct centry *find(uint64_t server, uint64_t ino, const char *path)
{
	int i;

	for_each_of(i, server, ino)
		if (!strcmp(tab[i].path, path))
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
 * here: a REVOKE for it finds nothing (the server forgets the holding),
 * and its next open is not trusted (the kernel drops the pages then). */
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

/* A STAT of a regular file by path: the server holds this host to it (its
 * attributes, its name), so a REVOKE must find its path. */
void vfs_cache_note(uint64_t server, uint64_t ino, const char *path)
{
	pthread_mutex_lock(&cache_lock);
	get(server, ino, path);
	pthread_mutex_unlock(&cache_lock);
}

/*
 * An open of the file: its entry, pinned while the file is open (NULL:
 * the table is full; the open must not be cached).  *trusted: what the
 * kernel cached under this path may be kept (the entry lived since an
 * earlier open here, and every REVOKE since found it).
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
	for_each_of(i, server, ino)
		if (strcmp(tab[i].path, path))
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
		hit = recent[i].seq > seq && (recent[i].ino == ino || !recent[i].ino) &&
		      recent[i].server == server;
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

/* A write of this host to the file begins (begin) or ends. */
void vfs_cache_writing(struct centry *e, int begin)
{
	if (!e)
		return;
	pthread_mutex_lock(&cache_lock);
	if (begin) {
		e->writing++;
	} else if (!--e->writing) {
		pthread_cond_broadcast(&wrote);
	}
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

		if (!e->server)
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
		e->parent = 0;
	}
	pthread_mutex_unlock(&cache_lock);
}

/* ---- for the cache process (vfs_revoke.c) ------------------------------- */

/*
 * The paths (and known parent nodes) of (server, ino) here (ino 0: every
 * file of server), newly allocated in *out: a REVOKE's (record: counted
 * in the ring of recent ones, ino 0 standing for all).  *busy: this
 * host's writes to it in flight.  The count, -ENOMEM.
 */
int vfs_cache_paths(uint64_t server, uint64_t ino, int record, struct cpath **out, int *busy)
{
	int i, n = 0, max = 0;
	struct cpath *v;

	*busy = 0;
	pthread_mutex_lock(&cache_lock);
	for_each_of(i, server, ino)
		max++;
	/* found or not: a lookup whose answer is on its way made no entry
	 * yet, and must ask again */
	if (record) {
		revokes++;
		recent[revokes % RECENT].server = server;
		recent[revokes % RECENT].ino = ino;
		recent[revokes % RECENT].seq = revokes;
	}
	v = calloc(max ? max : 1, sizeof(*v));
	for (i = v ? next_of(server, ino, -1) : -1; i >= 0 && n < max; i = next_of(server, ino, i)) {
		if (!(v[n].path = strdup(tab[i].path)))
			continue;
		v[n].ino = tab[i].ino;
		v[n++].parent = tab[i].parent;
		*busy += tab[i].writing;
	}
	pthread_mutex_unlock(&cache_lock);
	*out = v;
	return v ? n : -ENOMEM;
}

/* This host's writes to (server, ino) in flight; cache_lock held.  (An
 * entry with writes in flight is open: never unhashed under them.) */
static int writing(uint64_t server, uint64_t ino)
{
	int i, n = 0;

	for_each_of(i, server, ino)
		n += tab[i].writing;
	return n;
}

/* Wait (at most ms) until this host has no write to (server, ino) in
 * flight, after a REVOKE answered first. */
void vfs_cache_drain(uint64_t server, uint64_t ino, int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&cache_lock);
	while (writing(server, ino) &&
	       pthread_cond_timedwait(&wrote, &cache_lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&cache_lock);
}

/* Remember the kernel's node of path's directory (learned by a drop). */
void vfs_cache_parent(uint64_t server, uint64_t ino, const char *path, uint64_t parent)
{
	struct centry *e;

	pthread_mutex_lock(&cache_lock);
	e = find(server, ino, path);
	if (e)
		e->parent = parent;
	pthread_mutex_unlock(&cache_lock);
}

/* A name of (server, ino) went (a REVOKE of its name, ino 0: every file
 * of server): its entries no open file uses go. */
void vfs_cache_unname(uint64_t server, uint64_t ino)
{
	int i, next;

	pthread_mutex_lock(&cache_lock);
	/* the next one found before this one goes (unhash() clears it) */
	for (i = next_of(server, ino, -1); i >= 0; i = next) {
		next = next_of(server, ino, i);
		if (!tab[i].opens)
			unhash(&tab[i]);
	}
	pthread_mutex_unlock(&cache_lock);
}
