// SPDX-License-Identifier: GPL-2.0
/*
 * vfs's cache process: the V process file servers Send REVOKE to
 * (<vio.h>, "Caching"), registered with each server (CACHE_HELLO) before
 * a request names it.
 *
 * A REVOKE drops what the kernel caches of the file under each of its
 * paths here (vfs_cache.c): its pages and attributes
 * (fuse_invalidate_path()) and its name (fuse_lowlevel_notify_inval_entry():
 * a REVOKE ends the holding, and a name the kernel kept beyond it would
 * not hear of the file's unlink).  It runs on one of CACHE_THREADS
 * threads Receiving on the cache process, never on a FUSE worker: the
 * kernel locks the pages it drops, and a FUSE request in flight may hold
 * one.  One more case: this host's own write to the file may be in
 * flight, its pages locked until the server answers it, while the server
 * waits for this REVOKE (two hosts writing one file at once).  Then the
 * REVOKE is answered first and the pages are dropped as soon as this
 * host has no write to the file in flight (at most 5 s later).
 *
 * A server that forgot this cache process (it did not answer a REVOKE in
 * time) answers the next request ESTALE: everything cached from that
 * server is dropped by the dropper thread, and the cache process
 * registers again (vfs_cache_lost()).
 */
#include <errno.h>
#include <fcntl.h>
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

#define CACHE_THREADS	4
#define SERVERS_MAX	64
#define REFUSED_RETRY_S	10	/* a server that refused us is asked again then */
#define STOP_WAIT_S	2
#define HELLO_TIMEOUT_MS VIO_REVOKE_TIMEOUT_MS

static int cache_fd = -1;
static uint64_t cache_self;
static struct fuse *fuse;
static const char *mountpoint;
static pthread_t threads[CACHE_THREADS];
static int nthreads;

/*
 * Servers that forgot us, whose files the dropper thread drops (a FUSE
 * worker hears ESTALE, and must not drop pages itself).  drop_lock guards
 * the queue; a server is in it once.  (More servers forgetting us at once
 * than it holds: the rest are not dropped, and may serve stale pages
 * until their next REVOKE.)
 */
#define DROP_QUEUE	256
static uint64_t drop_queue[DROP_QUEUE];
static unsigned int drop_n;
static int drop_stop;
static pthread_t dropper;
static int dropper_up;
static pthread_mutex_t drop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drop_cv = PTHREAD_COND_INITIALIZER;

/* The servers this cache process registered with, or that refused it.
 * servers_lock guards the table; hello_lock orders the HELLO Sends (a V
 * process has one Send at a time; the cache threads only Receive). */
static struct {
	uint64_t server;
	int ok;
	time_t when;
} servers[SERVERS_MAX];
static unsigned int servers_next;
static pthread_mutex_t servers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t hello_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of server, or -1; servers_lock held. */
static int server_slot(uint64_t server)
{
	int i;

	for (i = 0; i < SERVERS_MAX; i++)
		if (servers[i].server == server)
			return i;
	return -1;
}

/* A slot for a server: a free one, else one that refused us, else the
 * next in turn (that server's REVOKEs are refused then, it forgets us,
 * and we register again at our next request); servers_lock held. */
static int slot_for_new(void)
{
	int i;

	for (i = 0; i < SERVERS_MAX; i++)
		if (!servers[i].server)
			return i;
	for (i = 0; i < SERVERS_MAX; i++)
		if (!servers[i].ok)
			return i;
	return (int)(servers_next++ % SERVERS_MAX);
}

/* Register with server: 1 it took us, 0 it refused, -1 no answer (ask
 * again next time).  Bounded: the HELLOs to all servers wait for each
 * other. */
static int hello(uint64_t server)
{
	struct v_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = server;
	s.timeout_ns = HELLO_TIMEOUT_MS * 1000000ULL;
	v_msg_set_code(&s.msg, VIO_CACHE_HELLO);
	pthread_mutex_lock(&hello_lock);
	ret = v_send_ex(cache_fd, &s);
	pthread_mutex_unlock(&hello_lock);
	if (ret < 0)
		return -1;
	return v_msg_code(&s.msg) == V_OK;
}

/*
 * The cache process to name in a request to server: ours once server
 * took our CACHE_HELLO, 0 (nothing cached from it) when it did not (no
 * caching there: vfsd -C 0, its tables full; asked again after a while).
 */
uint64_t vfs_cache_for(uint64_t server)
{
	time_t now = time(NULL);
	int i, ok;

	pthread_mutex_lock(&servers_lock);
	i = server_slot(server);
	ok = i >= 0 && servers[i].ok;
	if (i >= 0 && (ok || now - servers[i].when < REFUSED_RETRY_S)) {
		pthread_mutex_unlock(&servers_lock);
		return ok ? cache_self : 0;
	}
	pthread_mutex_unlock(&servers_lock);
	ok = hello(server);
	if (ok < 0)
		return 0;	/* this request uncached; no answer is no refusal */
	pthread_mutex_lock(&servers_lock);
	i = server_slot(server);
	if (i < 0)
		i = slot_for_new();
	servers[i].server = server;
	servers[i].ok = ok;
	servers[i].when = now;
	pthread_mutex_unlock(&servers_lock);
	return ok ? cache_self : 0;
}

/* Did server take our CACHE_HELLO?  Only its REVOKEs count. */
static int server_known(uint64_t server)
{
	int i, ok;

	pthread_mutex_lock(&servers_lock);
	i = server_slot(server);
	ok = i >= 0 && servers[i].ok;
	pthread_mutex_unlock(&servers_lock);
	return ok;
}

/* ---- dropping ------------------------------------------------------------- */

/*
 * Make the kernel forget the name cp->path.  Its parent's node id is what
 * stat() on the mount reports as its inode (libfuse's ids: use_ino is
 * off), asked once per entry with AT_STATX_DONT_SYNC (cached attributes
 * do; the walk may still look a name up, which this daemon's FUSE workers
 * answer, never this thread); the root's is FUSE_ROOT_ID.
 */
static void forget_name(uint64_t server, const struct cpath *cp)
{
	const char *slash = strrchr(cp->path, '/');
	uint64_t parent = FUSE_ROOT_ID;
	struct statx stx;
	char *dir;
	int ret;

	if (!slash || !slash[1])
		return;
	if (slash != cp->path && cp->parent) {
		parent = cp->parent;
	} else if (slash != cp->path) {
		if (asprintf(&dir, "%s%.*s", mountpoint, (int)(slash - cp->path), cp->path) < 0)
			return;
		ret = statx(AT_FDCWD, dir, AT_STATX_DONT_SYNC, STATX_INO, &stx);
		free(dir);
		if (ret)
			return;
		parent = stx.stx_ino;
		vfs_cache_parent(server, cp->ino, cp->path, parent);
	}
	fuse_lowlevel_notify_inval_entry(fuse_get_session(fuse), parent, slash + 1,
					 strlen(slash + 1));
}

/* Drop what the kernel caches under every path in v (n of them). */
static void drop(uint64_t server, struct cpath *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fuse_invalidate_path(fuse, v[i].path);
		forget_name(server, &v[i]);
	}
}

static void cpaths_free(struct cpath *v, int n)
{
	while (n-- > 0)
		free(v[n].path);
	free(v);
}

static void revoke(uint64_t sender, struct v_msg *m)
{
	uint16_t flags = v_msg_get16(m, VIO_FLAGS_OFF);
	uint64_t ino = v_msg_get64(m, VIO_REVOKE_FILE_OFF);
	uint64_t server = v_msg_get64(m, VIO_REVOKE_MANAGER_OFF);
	struct cpath *v = NULL;
	int code, busy = 0, n = 0;

	/* Only the server's host speaks for the server's files, and only a
	 * server we registered with has any here. */
	if (!server || !ino || v_id_host(sender) != v_id_host(server) || !server_known(server))
		code = V_NO_PERMISSION;
	else if ((n = vfs_cache_paths(server, ino, 1, &v, &busy)) <= 0)
		code = n < 0 ? V_NO_SERVER_RESOURCES : V_NOT_FOUND;
	else
		code = V_OK;
	if (code == V_OK && !busy)
		drop(server, v, n);
	memset(m, 0, sizeof(*m));
	v_msg_set_code(m, (uint16_t)code);
	v_reply(cache_fd, sender, m);
	if (code == V_OK && busy) {
		vfs_cache_drain(server, ino, VIO_REVOKE_TIMEOUT_MS);
		drop(server, v, n);
	}
	if (code == V_OK && (flags & VIO_REVOKE_NAME))
		vfs_cache_unname(server, ino);
	cpaths_free(v, n > 0 ? n : 0);
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

/* Everything cached from a server that forgot us goes. */
static void drop_all(uint64_t server)
{
	struct cpath *v;
	int n, busy;

	n = vfs_cache_paths(server, 0, 1, &v, &busy);
	if (n > 0)
		drop(server, v, n);
	if (n >= 0)
		cpaths_free(v, n);
}

static void *dropper_thread(void *arg)
{
	uint64_t server;

	(void)arg;
	pthread_mutex_lock(&drop_lock);
	while (!drop_stop) {
		if (!drop_n) {
			pthread_cond_wait(&drop_cv, &drop_lock);
			continue;
		}
		server = drop_queue[--drop_n];
		pthread_mutex_unlock(&drop_lock);
		drop_all(server);
		pthread_mutex_lock(&drop_lock);
	}
	pthread_mutex_unlock(&drop_lock);
	return NULL;
}

/*
 * server answered ESTALE: it forgot this cache process (and what it let
 * this host cache).  All of it is dropped (once, however many workers
 * heard it) by the dropper thread; the next request registers again.
 */
void vfs_cache_lost(uint64_t server)
{
	int i;

	pthread_mutex_lock(&servers_lock);
	i = server_slot(server);
	if (i >= 0)
		servers[i].server = 0;
	pthread_mutex_unlock(&servers_lock);
	if (i < 0)
		return;	/* another worker heard it first */
	pthread_mutex_lock(&drop_lock);
	for (i = 0; i < (int)drop_n && drop_queue[i] != server; i++)
		;
	if (i == (int)drop_n && drop_n < DROP_QUEUE)
		drop_queue[drop_n++] = server;
	pthread_cond_signal(&drop_cv);
	pthread_mutex_unlock(&drop_lock);
}

/* ---- the process ------------------------------------------------------------ */

/* The cache process, before the first request names it. */
int vfs_cache_open(void)
{
	int ret;

	vfs_cache_init();
	cache_fd = v_open();
	ret = cache_fd < 0 ? cache_fd : v_self(cache_fd, &cache_self);
	if (ret < 0) {
		fprintf(stderr, "vfs: cannot open the cache process: %s\n", v_strerror(ret));
		return -1;
	}
	return 0;
}

uint64_t vfs_cache_self(void)
{
	return cache_self;
}

/* Its threads, once the mount is live. */
int vfs_cache_start(struct fuse *f, const char *mp)
{
	fuse = f;
	mountpoint = mp;
	if (pthread_create(&dropper, NULL, dropper_thread, NULL))
		return -1;
	dropper_up = 1;
	for (nthreads = 0; nthreads < CACHE_THREADS; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, cache_thread, NULL))
			return -1;
	return 0;
}

/* After the unmount, before the session goes: a thread still stuck in a
 * drop after STOP_WAIT_S is left to the process's exit.  How many are
 * (the caller must not destroy the session under them). */
int vfs_cache_stop(void)
{
	int stuck = 0;

	struct timespec until;
	int i;

	shutdown(cache_fd, SHUT_RDWR);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_WAIT_S;
	for (i = 0; i < nthreads; i++)
		stuck += pthread_timedjoin_np(threads[i], NULL, &until) != 0;
	nthreads = 0;
	if (dropper_up) {
		pthread_mutex_lock(&drop_lock);
		drop_stop = 1;
		pthread_cond_signal(&drop_cv);
		pthread_mutex_unlock(&drop_lock);
		stuck += pthread_timedjoin_np(dropper, NULL, &until) != 0;
		dropper_up = 0;
	}
	return stuck;
}
