// SPDX-License-Identifier: GPL-2.0
/*
 * vfs: the V name space as a FUSE file system, so that programs nobody
 * wrote for V (cat, gcc, sqlite3, a dynamically linked program's loader)
 * read, write and load files from V file servers.
 *
 *   vfs [-q] [-t N] [-o OPTIONS] MOUNTPOINT
 *
 * MOUNTPOINT's top level lists the first component of every prefix a
 * member of the name-handling group serves (VNAME_PREFIX); below it, a
 * path is resolved through the group (libv's prefix table caches the
 * answers) and every operation becomes a V I/O request to the object's
 * manager (<vio.h>: READ/WRITE and LIST on instances CREATE opened, the
 * POSIX requests of the argument layout for the rest).
 *
 * Concurrency.  A V process has one Send in flight, and an instance may
 * only be used by the V process that opened it, so vfs opens N V
 * processes ("channels", -t) each behind a mutex: a FUSE worker thread
 * keeps to one channel for requests on names, and an open file remembers
 * the channel that opened it.
 *
 * Caching.  The kernel caches pages, attributes and names of the files
 * this host holds at their servers; a server REVOKEs them before it
 * answers another host's change (vfs_cache.c, vfs_revoke.c; vfs.8
 * CONSISTENCY).
 *
 * Credentials.  vfs runs as root and asserts the calling program's uid,
 * gid and supplementary groups (from the FUSE request) in every request
 * on a name; a server acting as its users (vfsd -U) believes that only
 * from root on its own host or over a keyed link (docs/SECURITY.md), and
 * runs requests on an open file as its opener.  As root, vfs mounts with
 * allow_other (the mount is the host's, as a workstation's /v is) and
 * default_permissions (the client's kernel checks modes against the
 * attributes the server reports; the server checks again as the asserted
 * user, listings included: a directory is opened with CREATE too).
 */
#include "vfs.h"
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "libv_services.h"
#include "../tools/parse.h"

#define CHAN_MAX	16
#define PREFIXES_MAX	64
#define PREFIX_TTL_NS	(2ULL * 1000000000ULL)
#define LOCK_POLL_MS	200	/* the longest wait between tries of a blocking lock */
#define FUSE_THREADS	64	/* FUSE workers at most (libfuse's default: 10) */
#define LOCK_WAITERS	(FUSE_THREADS / 2)	/* blocking lock requests waiting at once */

struct chan {
	pthread_mutex_t lock;
	int fd;
};

static struct chan chans[CHAN_MAX];
static int nchan = 4;
static atomic_int chan_next;
static __thread int my_chan = -1;
static int quiet;

/* An open file: its manager, its instance there, and the channel that
 * opened it (the only one that may use the instance). */
struct vfh {
	uint64_t server;
	uint32_t inst;
	int chan;
	struct centry *ce;	/* its entry in the cache table, or NULL */
};

/* The top level: first components of the prefixes served, cached briefly. */
static struct {
	pthread_mutex_t lock;
	uint64_t when;
	int n;
	char name[PREFIXES_MAX][VNAME_PREFIX_INLINE + 1];
} tops = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- channels ----------------------------------------------------------- */

static struct chan *chan_take(int i)
{
	pthread_mutex_lock(&chans[i].lock);
	return &chans[i];
}

/* This thread's channel, locked. */
static int chan_mine(void)
{
	if (my_chan < 0)
		my_chan = atomic_fetch_add(&chan_next, 1) % nchan;
	pthread_mutex_lock(&chans[my_chan].lock);
	return my_chan;
}

static void chan_put(int i)
{
	pthread_mutex_unlock(&chans[i].lock);
}

/*
 * A kernel error of a Send: the manager is gone or out of reach (ESRCH,
 * EHOSTUNREACH, ...).  Forget it, so that the next lookup asks the group
 * again (a restarted server has a new id), and give the program EIO.
 */
static int send_error(uint64_t server, int ret)
{
	if (ret == -EINTR)
		return -EINTR;
	v_name_forget(server);
	return -EIO;
}

/* The errno of a reply: the precise one the server sent, or the code's. */
static int reply_error(const struct v_msg *m)
{
	uint32_t e = v_msg_get32(m, VIO_ARG_ERRNO_OFF);
	uint16_t code = v_msg_code(m);

	if (code == V_OK)
		return 0;
	/* The kernel takes errors up to 511 only: a larger one would leave
	 * the program's request unanswered for ever. */
	if (e && e < 512)
		return -(int)e;
	return -v_reply_errno(code);
}

/*
 * Did server answer that it forgot our cache process (it did not answer
 * a REVOKE in time: V_NO_PERMISSION with ESTALE)?  Then everything it let
 * us cache goes, and the request is tried again (registering anew).
 */
static int forgotten(uint64_t server, const struct v_msg *m, int ret)
{
	if (ret != -ESTALE || v_msg_code(m) != V_NO_PERMISSION)
		return 0;
	vfs_cache_lost(server);
	vfs_cache_for(server);	/* registered again: an open file's READ names none */
	return 1;
}

/* ---- names -------------------------------------------------------------- */

/* Ask the group for its prefixes (a fresh list at most every 2 s). */
static void tops_refresh(int fd)
{
	uint64_t end;
	struct v_msg m;
	int ret;

	tops.n = 0;
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VNAME_PREFIX);
	ret = v_send(fd, V_GROUP_NAME_HANDLERS, &m);
	end = now_ns() + (uint64_t)V_NAME_WINDOW_MS * 1000000;
	while (ret >= 0 && tops.n < PREFIXES_MAX) {
		size_t len = v_msg_get16(&m, VNAME_PREFIX_LEN_OFF), i, c;
		const char *p = (const char *)&m.b[VNAME_PREFIX_OFF];
		uint64_t now;

		if (v_msg_code(&m) == V_OK && len > 1 && p[0] == '/') {
			if (len > VNAME_PREFIX_INLINE)
				len = VNAME_PREFIX_INLINE;
			for (c = 1; c < len && p[c] != '/'; c++)
				;
			for (i = 0; i < (size_t)tops.n; i++)
				if (strlen(tops.name[i]) == c - 1 && !strncmp(tops.name[i], p + 1, c - 1))
					break;
			/* a first component cut off by the inline head is no name */
			if (i == (size_t)tops.n && c > 1 && (c < len || len == v_msg_get16(&m,
			    VNAME_PREFIX_LEN_OFF))) {
				memcpy(tops.name[tops.n], p + 1, c - 1);
				tops.name[tops.n++][c - 1] = '\0';
			}
		}
		now = now_ns();
		if (now >= end)
			break;
		ret = v_get_reply(fd, &m, NULL, end - now);
	}
	tops.when = now_ns();
}

/* Take tops.lock with a listing at most PREFIX_TTL_NS old (asked for
 * on this thread's channel when it is older). */
static void tops_lock_fresh(void)
{
	int c = chan_mine();

	pthread_mutex_lock(&tops.lock);
	if (!tops.when || now_ns() - tops.when > PREFIX_TTL_NS)
		tops_refresh(chans[c].fd);
	chan_put(c);
}

/* Is path ("/NAME") a top-level name of the listing? */
static int tops_has(const char *path)
{
	int i, found = 0;

	tops_lock_fresh();
	for (i = 0; i < tops.n && !found; i++)
		found = !strcmp(tops.name[i], path + 1);
	pthread_mutex_unlock(&tops.lock);
	return found;
}

/*
 * Resolve a mount path to (manager, the rest of the name on it).  "/" and
 * a top-level name no manager owns whole (a prefix like /a/b lists "a")
 * are the mount's own directories: -EISDIR tells the caller so.
 */
static int resolve(const char *path, uint64_t *server, const char **rest)
{
	struct v_name_binding b;
	int c, ret;

	if (!strcmp(path, "/"))
		return -EISDIR;
	c = chan_mine();
	ret = v_name_lookup(chans[c].fd, path, 0, &b);
	chan_put(c);
	if (ret == 0 && b.type == VNAME_TYPE_CONTEXT && b.manager) {
		*server = b.manager;
		*rest = path + b.prefix_len;
		if (!**rest)
			*rest = "/";
		return 0;
	}
	if (!strchr(path + 1, '/') && tops_has(path))
		return -EISDIR;
	return ret == -ESRCH || ret == 0 ? -ENOENT : ret;
}

/* ---- requests ----------------------------------------------------------- */

/*
 * The caller's supplementary groups: fuse_getgroups() reads them from
 * /proc/PID/status, which costs more than the request itself (it doubled
 * a create+stat+unlink's instructions), so a process's are kept for a
 * second (as long as the attributes the client's kernel judged them by).
 */
#define GROUPS_CACHE	64
#define GROUPS_TTL_NS	1000000000ULL

static struct {
	pthread_mutex_t lock;
	struct { pid_t pid; uid_t uid; gid_t gid; int n; uint64_t when;
		 gid_t g[VIO_GROUPS_MAX]; } e[GROUPS_CACHE];
	unsigned int next;
} grp = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int caller_groups(const struct fuse_context *ctx, gid_t *groups)
{
	uint64_t now = now_ns();
	unsigned int i;
	int n = -1;

	pthread_mutex_lock(&grp.lock);
	for (i = 0; i < GROUPS_CACHE && n < 0; i++)
		if (grp.e[i].pid == ctx->pid && grp.e[i].uid == ctx->uid &&
		    grp.e[i].gid == ctx->gid && now - grp.e[i].when < GROUPS_TTL_NS) {
			n = grp.e[i].n;
			memcpy(groups, grp.e[i].g, sizeof(gid_t) * (size_t)n);
		}
	pthread_mutex_unlock(&grp.lock);
	if (n >= 0)
		return n;
	n = fuse_getgroups(VIO_GROUPS_MAX, groups);
	if (n < 0)
		return 0;
	if (n > VIO_GROUPS_MAX)
		n = VIO_GROUPS_MAX;	/* the first ones: fuse_getgroups filled those */
	pthread_mutex_lock(&grp.lock);
	i = grp.next++ % GROUPS_CACHE;
	grp.e[i].pid = ctx->pid;
	grp.e[i].uid = ctx->uid;
	grp.e[i].gid = ctx->gid;
	grp.e[i].n = n;
	grp.e[i].when = now;
	memcpy(grp.e[i].g, groups, sizeof(gid_t) * (size_t)n);
	pthread_mutex_unlock(&grp.lock);
	return n;
}

/*
 * One request of the argument layout on channel c (held): a and the names
 * go out in the segment, the server's answer (attributes, a link target,
 * statfs) comes back at its offset 0 into out.  0 or a negative errno.
 */
static int pcall_on(int c, uint64_t server, uint16_t code, uint16_t flags, uint32_t inst,
		    const struct vio_args *a, const char *n1, const char *n2,
		    void *out, size_t outlen, struct v_msg *m)
{
	size_t l1 = n1 ? strlen(n1) : 0, l2 = n2 ? strlen(n2) : 0, i;
	struct fuse_context *ctx = fuse_get_context();
	char stackbuf[1024], *seg = stackbuf;
	gid_t groups[VIO_GROUPS_MAX];
	int ret, ng = 0, tries = 0;
	size_t len;
	__le32 g;

	if (l1 > VIO_NAME_MAX || l2 > VIO_NAME_MAX)
		return -ENAMETOOLONG;
	/* The caller's supplementary groups (from /proc; the first
	 * VIO_GROUPS_MAX), as the client's kernel judged them. */
	if (ctx && ctx->pid)
		ng = caller_groups(ctx, groups);
	len = VIO_ARGS_SIZE + l1 + l2 + (size_t)ng * sizeof(g);
	if (len < outlen)
		len = outlen;
	if (len > sizeof(stackbuf) && !(seg = malloc(len)))
		return -ENOMEM;
	memset(seg, 0, VIO_ARGS_SIZE);
	if (a)
		memcpy(seg, a, VIO_ARGS_SIZE);
	memcpy(seg + VIO_ARGS_SIZE, n1 ? n1 : "", l1);
	memcpy(seg + VIO_ARGS_SIZE + l1, n2 ? n2 : "", l2);
	for (i = 0; i < (size_t)ng; i++) {
		g = htole32(groups[i]);
		memcpy(seg + VIO_ARGS_SIZE + l1 + l2 + i * sizeof(g), &g, sizeof(g));
	}
	do {
		memset(m, 0, sizeof(*m));
		v_msg_set_code(m, code);
		v_msg_put16(m, VIO_FLAGS_OFF, flags);
		v_msg_put32(m, 4, inst);
		v_msg_put16(m, VIO_NAME_LEN_OFF, (uint16_t)l1);
		v_msg_put16(m, VIO_ARG_NAME2_LEN_OFF, (uint16_t)l2);
		if (ctx) {
			v_msg_put32(m, VIO_ARG_UID_OFF, ctx->uid);
			v_msg_put32(m, VIO_ARG_GID_OFF, ctx->gid);
			v_msg_put16(m, VIO_ARG_ASSERT_OFF, VIO_ASSERT);
			v_msg_put16(m, VIO_ARG_NGROUPS_OFF, (uint16_t)ng);
		}
		v_msg_put64(m, VIO_ARG_CACHE_OFF, vfs_cache_for(server));
		ret = v_send_seg(chans[c].fd, server, m, seg, len, V_SEG_READ | V_SEG_WRITE);
		ret = ret < 0 ? send_error(server, ret) : reply_error(m);
	} while (forgotten(server, m, ret) && tries++ < 1);
	if (!ret && out)
		memcpy(out, seg, outlen);
	if (seg != stackbuf)
		free(seg);
	return ret;
}

/* The same on this thread's channel, for a request on a name. */
static int pcall(uint64_t server, uint16_t code, uint16_t flags, const struct vio_args *a,
		 const char *n1, const char *n2, void *out, size_t outlen, struct v_msg *m)
{
	int c = chan_mine(), ret;

	ret = pcall_on(c, server, code, flags, 0, a, n1, n2, out, outlen, m);
	chan_put(c);
	return ret;
}

/* The same for a request on an open file, on the channel that opened it. */
static int fcall(const struct vfh *h, uint16_t code, uint16_t flags, const struct vio_args *a,
		 void *out, size_t outlen, struct v_msg *m)
{
	int ret;

	chan_take(h->chan);
	ret = pcall_on(h->chan, h->server, code, flags, h->inst, a, NULL, NULL, out, outlen, m);
	chan_put(h->chan);
	return ret;
}

static struct vfh *fh_of(const struct fuse_file_info *fi)
{
	return fi ? (struct vfh *)(uintptr_t)fi->fh : NULL;
}

/* A time of the protocol: signed ns since the epoch. */
static void ns_timespec(uint64_t ns_in, struct timespec *ts)
{
	int64_t ns = (int64_t)ns_in;

	ts->tv_sec = (time_t)(ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
	if (ts->tv_nsec < 0) {
		ts->tv_sec--;
		ts->tv_nsec += 1000000000L;
	}
}

static void attr_to_stat(const struct vio_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)le64toh(a->ino);
	st->st_size = (off_t)le64toh(a->size);
	st->st_blocks = (blkcnt_t)le64toh(a->blocks);
	st->st_mode = (mode_t)le32toh(a->mode);
	st->st_nlink = (nlink_t)le32toh(a->nlink);
	st->st_uid = (uid_t)le32toh(a->uid);
	st->st_gid = (gid_t)le32toh(a->gid);
	st->st_blksize = (blksize_t)le32toh(a->blksize);
	ns_timespec(le64toh(a->atime_ns), &st->st_atim);
	ns_timespec(le64toh(a->mtime_ns), &st->st_mtim);
	ns_timespec(le64toh(a->ctime_ns), &st->st_ctim);
}

/* The mount's own directories (the root, a top-level name). */
static void own_dir_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	st->st_atim = st->st_ctim = st->st_mtim;
}

/* ---- operations on names ------------------------------------------------ */

#define LOOKUP_TRIES	4

static int vfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct vfh *h = fh_of(fi);
	struct vio_attr a;
	const char *rest;
	uint64_t server, seq;
	struct v_msg m;
	int ret, tries = 0;

	if (h)
		ret = fcall(h, VIO_STAT, 0, NULL, &a, sizeof(a), &m);
	else if ((ret = resolve(path, &server, &rest)) == 0)
		do {
			seq = vfs_cache_seq();
			ret = pcall(server, VIO_STAT, 0, NULL, rest, NULL, &a, sizeof(a), &m);
			if (ret || !S_ISREG(le32toh(a.mode)))
				break;
			/* The server holds this host to the file now; a REVOKE
			 * that came while the answer was on its way made it
			 * stale: ask again. */
			vfs_cache_note(server, le64toh(a.ino), path);
		} while (vfs_cache_revoked(server, le64toh(a.ino), seq) && ++tries < LOOKUP_TRIES);
	if (ret == -EISDIR) {
		own_dir_stat(st);
		return 0;
	}
	if (ret == 0)
		attr_to_stat(&a, st);
	return ret;
}

/* A request on one name, no answer but the code (UNLINK, ...). */
static int name_call(const char *path, uint16_t code, uint16_t flags, const struct vio_args *a,
		     const char *n2)
{
	const char *rest;
	uint64_t server;
	struct v_msg m;
	int ret = resolve(path, &server, &rest);

	if (ret == -EISDIR)
		return -EACCES;	/* the mount's own directories are read-only */
	return ret ? ret : pcall(server, code, flags, a, rest, n2, NULL, 0, &m);
}

static int vfs_mkdir(const char *path, mode_t mode)
{
	struct vio_args a = { .mode = htole32(mode & 07777) };

	return name_call(path, VIO_MKDIR, 0, &a, NULL);
}

static int vfs_unlink(const char *path)
{
	return name_call(path, VIO_UNLINK, 0, NULL, NULL);
}

static int vfs_rmdir(const char *path)
{
	return name_call(path, VIO_UNLINK, VIO_UNLINK_DIR, NULL, NULL);
}

static int vfs_symlink(const char *target, const char *path)
{
	return name_call(path, VIO_SYMLINK, 0, NULL, target);
}

/* RENAME and LINK: both names on one manager (else EXDEV, as across
 * file systems). */
static int two_names(const char *from, const char *to, uint16_t code, uint16_t flags)
{
	const char *r1, *r2;
	uint64_t s1, s2;
	struct v_msg m;
	int ret = resolve(from, &s1, &r1);

	if (ret == 0)
		ret = resolve(to, &s2, &r2);
	if (ret == -EISDIR)
		return -EACCES;
	if (ret)
		return ret;
	if (s1 != s2)
		return -EXDEV;
	return pcall(s1, code, flags, NULL, r1, r2, NULL, 0, &m);
}

static int vfs_rename(const char *from, const char *to, unsigned int flags)
{
	uint16_t f = 0;
	int ret;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_NOREPLACE)
		f |= VIO_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE)
		f |= VIO_RENAME_EXCHANGE;
	ret = two_names(from, to, VIO_RENAME, f);
	if (!ret)
		vfs_cache_rename(from, to, !!(flags & RENAME_EXCHANGE));
	return ret;
}

static int vfs_link(const char *from, const char *to)
{
	return two_names(from, to, VIO_LINK, 0);
}

static int vfs_readlink(const char *path, char *buf, size_t size)
{
	const char *rest;
	uint64_t server, n;
	struct v_msg m;
	int ret;

	if (size == 0)
		return -EINVAL;
	ret = resolve(path, &server, &rest);
	if (ret == -EISDIR)
		return -EINVAL;
	if (!ret)
		ret = pcall(server, VIO_READLINK, 0, NULL, rest, NULL, buf, size - 1, &m);
	if (ret)
		return ret;
	n = v_msg_get64(&m, 8);
	buf[n < size - 1 ? n : size - 1] = '\0';
	return 0;
}

/* SETATTR on the open file, or on the name. */
static int setattr(const char *path, struct fuse_file_info *fi, const struct vio_args *a)
{
	struct vfh *h = fh_of(fi);
	struct vio_attr out;
	const char *rest;
	uint64_t server;
	struct v_msg m;
	int ret;

	if (h) {
		ret = fcall(h, VIO_SETATTR, 0, a, &out, sizeof(out), &m);
		if (!ret && h->ce)
			vfs_cache_changed(h->ce, 0, 0, NULL);
		return ret;
	}
	ret = resolve(path, &server, &rest);
	if (ret == -EISDIR)
		return -EACCES;
	if (!ret)
		ret = pcall(server, VIO_SETATTR, 0, a, rest, NULL, &out, sizeof(out), &m);
	/* its other paths (hard links) did not see it */
	if (!ret)
		vfs_cache_changed(NULL, server, le64toh(out.ino), path);
	return ret;
}

static int vfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct vio_args a = { .valid = htole32(VIO_SET_MODE), .mode = htole32(mode & 07777) };

	return setattr(path, fi, &a);
}

static int vfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct vio_args a = {
		.valid = htole32((uid != (uid_t)-1 ? VIO_SET_UID : 0) |
				 (gid != (gid_t)-1 ? VIO_SET_GID : 0)),
		.uid = htole32(uid), .gid = htole32(gid),
	};

	return a.valid ? setattr(path, fi, &a) : 0;
}

static int vfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct vio_args a = { .valid = htole32(VIO_SET_SIZE), .size = htole64((uint64_t)size) };

	return size < 0 ? -EINVAL : setattr(path, fi, &a);
}

static uint32_t utime_bits(const struct timespec *ts, uint32_t set, uint32_t now, __le64 *ns)
{
	if (ts->tv_nsec == UTIME_OMIT)
		return 0;
	if (ts->tv_nsec == UTIME_NOW)
		return now;
	*ns = htole64((uint64_t)((int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec));
	return set;
}

static int vfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct vio_args a;
	uint32_t v;

	memset(&a, 0, sizeof(a));
	v = utime_bits(&tv[0], VIO_SET_ATIME, VIO_SET_ATIME_NOW, &a.atime_ns) |
	    utime_bits(&tv[1], VIO_SET_MTIME, VIO_SET_MTIME_NOW, &a.mtime_ns);
	a.valid = htole32(v);
	return v ? setattr(path, fi, &a) : 0;
}

static int vfs_statfs(const char *path, struct statvfs *sv)
{
	struct vio_statfs s;
	const char *rest;
	uint64_t server;
	struct v_msg m;
	int ret = resolve(path, &server, &rest);

	memset(sv, 0, sizeof(*sv));
	if (ret == -EISDIR) {
		sv->f_bsize = sv->f_frsize = 4096;
		sv->f_namemax = VIO_NAME_COMPONENT_MAX;
		return 0;
	}
	if (!ret)
		ret = pcall(server, VIO_STATFS, 0, NULL, rest, NULL, &s, sizeof(s), &m);
	if (ret)
		return ret;
	sv->f_bsize = le64toh(s.bsize);
	sv->f_frsize = le64toh(s.frsize);
	sv->f_blocks = le64toh(s.blocks);
	sv->f_bfree = le64toh(s.bfree);
	sv->f_bavail = le64toh(s.bavail);
	sv->f_files = le64toh(s.files);
	sv->f_ffree = le64toh(s.ffree);
	sv->f_favail = le64toh(s.ffree);
	sv->f_namemax = le64toh(s.namemax);
	return 0;
}

/* ---- directories -------------------------------------------------------- */

static int fill_top(void *buf, fuse_fill_dir_t fill)
{
	int i;

	tops_lock_fresh();
	for (i = 0; i < tops.n; i++)
		fill(buf, tops.name[i], NULL, 0, 0);
	pthread_mutex_unlock(&tops.lock);
	return 0;
}

/*
 * A directory read whole: CREATE for reading (so that the server checks
 * the caller's right to list it), LIST until the end, CLOSE; no state
 * kept between readdir calls (an offset-less listing).
 */
static int fill_dir(uint64_t server, const char *rest, void *buf, fuse_fill_dir_t fill)
{
	struct v_dirent *ents = malloc(64 * sizeof(*ents));
	uint64_t cursor = 0;
	struct v_file *f;
	struct v_msg m;
	struct stat st;
	int c, n = 0, i, ret;

	if (!ents)
		return -ENOMEM;
	c = chan_mine();
	ret = pcall_on(c, server, VIO_CREATE, VIO_O_READ, 0, NULL, rest, NULL, NULL, 0, &m);
	if (!ret && v_msg_get16(&m, 2) != VIO_TYPE_DIR)
		ret = -ENOTDIR;	/* the instance goes with its close below */
	if (!ret || ret == -ENOTDIR) {
		i = v_file_adopt(chans[c].fd, server, v_msg_get32(&m, 4), VIO_TYPE_DIR, &f);
		if (i)
			ret = i;
		else if (ret)
			v_file_close(f);
	}
	while (ret == 0 && (n = v_file_list(f, &cursor, ents, 64)) > 0)
		for (i = 0; i < n; i++) {
			memset(&st, 0, sizeof(st));
			st.st_mode = ents[i].type == VIO_TYPE_DIR ? S_IFDIR :
				     ents[i].type == VIO_TYPE_FILE ? S_IFREG : 0;
			fill(buf, ents[i].name, &st, 0, 0);
		}
	if (ret == 0) {
		if (n < 0)
			ret = n;
		v_file_close(f);
	}
	chan_put(c);
	free(ents);
	if (ret == -ESRCH || ret == -EHOSTUNREACH)
		return send_error(server, ret);
	return ret;
}

/* An open directory remembers its path (with nullpath_ok, readdir is
 * given none). */
static int vfs_opendir(const char *path, struct fuse_file_info *fi)
{
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	fi->fh = (uintptr_t)p;
	return 0;
}

static int vfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	free((char *)(uintptr_t)fi->fh);
	return 0;
}

static int vfs_readdir(const char *path_in, void *buf, fuse_fill_dir_t fill, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	const char *path = (const char *)(uintptr_t)fi->fh, *rest;
	uint64_t server;
	int ret = resolve(path, &server, &rest);

	(void)path_in;
	(void)off;
	(void)flags;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	if (ret == -EISDIR)
		return strcmp(path, "/") ? 0 : fill_top(buf, fill);
	return ret ? ret : fill_dir(server, rest, buf, fill);
}

/* ---- files -------------------------------------------------------------- */

static uint16_t open_flags(int flags)
{
	uint16_t f = 0;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:	f = VIO_O_READ; break;
	case O_WRONLY:	f = VIO_O_WRITE; break;
	default:	f = VIO_O_READ | VIO_O_WRITE; break;
	}
	if (flags & O_TRUNC)
		f |= VIO_O_TRUNC;
	/*
	 * No VIO_O_APPEND: the kernel writes a shared mapping's pages back
	 * through any writable handle of the file, at their own offsets,
	 * which an O_APPEND instance would move to the end.  The client's
	 * kernel puts an O_APPEND write at the end it knows.
	 */
	if (flags & O_EXCL)
		f |= VIO_O_EXCL;
	return f;
}

/*
 * How the kernel may cache an open file (<vio.h> "Caching"): its pages
 * while the server holds this host to it, kept from an earlier open when
 * the server says nothing changed since (VIO_CACHED_KEEP) and every
 * REVOKE since found the file here; not at all (direct I/O) when the
 * server would not record the holding.
 */
static void cache_mode(struct vfh *h, const char *path, const struct v_msg *m,
		       const struct vio_attr *a, uint16_t flags, uint64_t seq,
		       struct fuse_file_info *fi)
{
	uint32_t cached = v_msg_get32(m, VIO_ARG_CACHED_OFF);
	uint64_t ino = le64toh(a->ino);
	int trusted = 0;

	if (v_msg_get16(m, 2) != VIO_TYPE_FILE)
		return;
	if (cached & VIO_CACHED_HELD)
		h->ce = vfs_cache_pin(h->server, ino, path, &trusted);
	if (!h->ce)
		fi->direct_io = 1;
	else
		fi->keep_cache = (cached & VIO_CACHED_KEEP) && trusted &&
				 !vfs_cache_revoked(h->server, ino, seq);
	/* a truncation here: the file's other paths did not see it */
	if (flags & VIO_O_TRUNC)
		vfs_cache_changed(h->ce, h->server, ino, path);
}

/* OPEN (CREATE without VIO_O_CREATE) or CREATE, as the caller. */
static int open_common(const char *path, uint16_t flags, mode_t mode, struct fuse_file_info *fi)
{
	struct vio_args a = { .mode = htole32(mode & 07777) };
	struct vio_attr attr;
	const char *rest;
	struct vfh *h;
	struct v_msg m;
	uint64_t seq = vfs_cache_seq();
	int ret, c;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	ret = resolve(path, &h->server, &rest);
	if (ret == -EISDIR)
		ret = (flags & VIO_O_WRITE) ? -EISDIR : -EACCES;
	if (!ret) {
		c = chan_mine();
		ret = pcall_on(c, h->server, VIO_CREATE, flags, 0, &a, rest, NULL,
			       &attr, sizeof(attr), &m);
		chan_put(c);
		h->chan = c;
		h->inst = v_msg_get32(&m, 4);
	}
	if (ret) {
		free(h);
		return ret;
	}
	cache_mode(h, path, &m, &attr, flags, seq, fi);
	fi->fh = (uintptr_t)h;
	return 0;
}

static int vfs_open(const char *path, struct fuse_file_info *fi)
{
	return open_common(path, open_flags(fi->flags) & (uint16_t)~VIO_O_EXCL, 0, fi);
}

static int vfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return open_common(path, open_flags(fi->flags) | VIO_O_CREATE | VIO_O_WRITE, mode, fi);
}

/* READ or WRITE on the open file: the data travels as the segment. */
static int io_call(struct vfh *h, uint16_t code, void *buf, size_t size, off_t off,
		   unsigned int access)
{
	struct v_msg m;
	int ret, tries = 0;

	do {
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, code);
		v_msg_put32(&m, 4, h->inst);
		v_msg_put64(&m, 8, (uint64_t)off);
		v_msg_put64(&m, 16, size);
		chan_take(h->chan);
		ret = v_send_seg(chans[h->chan].fd, h->server, &m, buf, size, access);
		chan_put(h->chan);
		if (ret < 0)
			return send_error(h->server, ret);
	} while (forgotten(h->server, &m, reply_error(&m)) && tries++ < 1);
	if (code == VIO_READ && v_msg_code(&m) == V_END_OF_FILE)
		return 0;
	if (v_msg_code(&m) != V_OK)
		return reply_error(&m);
	/* never more than asked: the kernel would take it as a wild count */
	return v_msg_get64(&m, 8) > size ? -EIO : (int)v_msg_get64(&m, 8);
}

static int vfs_read(const char *path, char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)path;
	return io_call(fh_of(fi), VIO_READ, buf, size, off, V_SEG_WRITE);
}

static int vfs_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct vfh *h = fh_of(fi);
	int ret;

	(void)path;
	vfs_cache_writing(h->ce, 1);
	ret = io_call(h, VIO_WRITE, (void *)buf, size, off, V_SEG_READ);
	vfs_cache_writing(h->ce, 0);
	if (ret > 0 && h->ce)
		vfs_cache_changed(h->ce, 0, 0, NULL);
	return ret;
}

static int vfs_release(const char *path, struct fuse_file_info *fi)
{
	struct vfh *h = fh_of(fi);
	struct v_msg m;

	(void)path;
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VIO_CLOSE);
	v_msg_put32(&m, 4, h->inst);
	chan_take(h->chan);
	v_send(chans[h->chan].fd, h->server, &m);	/* a gone server closed it */
	chan_put(h->chan);
	vfs_cache_unpin(h->ce);
	free(h);
	return 0;
}

static int vfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	struct v_msg m;

	(void)path;
	return fcall(fh_of(fi), VIO_FSYNC, datasync ? VIO_FSYNC_DATA : 0, NULL, NULL, 0, &m);
}

/*
 * Locks are held at the server, by the open file's instance.  A lock
 * request never blocks a server thread: a conflict comes back EAGAIN, and
 * a blocking request (F_SETLKW, flock without LOCK_NB) tries again here,
 * backing off up to LOCK_POLL_MS, until it gets the lock or the program
 * is interrupted.
 */
static atomic_int lock_waiters;

static int lock_wait(const struct vfh *h, uint16_t flags, const struct vio_args *a, int wait)
{
	unsigned int ms = 2;
	struct v_msg m;
	int ret;

	ret = fcall(h, VIO_LOCK, flags, a, NULL, 0, &m);
	if (ret != -EAGAIN || !wait)
		return ret;
	/*
	 * A waiter holds a FUSE worker: at most LOCK_WAITERS of them, so
	 * that the holder's unlock always finds a worker (ENOLCK beyond).
	 */
	if (atomic_fetch_add(&lock_waiters, 1) >= LOCK_WAITERS) {
		atomic_fetch_sub(&lock_waiters, 1);
		return -ENOLCK;
	}
	while (ret == -EAGAIN) {
		if (fuse_interrupted()) {
			ret = -EINTR;
			break;
		}
		usleep(ms * 1000);
		ms = ms * 2 > LOCK_POLL_MS ? LOCK_POLL_MS : ms * 2;
		ret = fcall(h, VIO_LOCK, flags, a, NULL, 0, &m);
	}
	atomic_fetch_sub(&lock_waiters, 1);
	return ret;
}

static uint32_t lock_kind(short type)
{
	return type == F_RDLCK ? VIO_LOCK_READ : type == F_WRLCK ? VIO_LOCK_WRITE : VIO_LOCK_UNLOCK;
}

static int vfs_lock(const char *path, struct fuse_file_info *fi, int cmd, struct flock *lk)
{
	struct vfh *h = fh_of(fi);
	struct vio_args a;
	struct v_msg m;
	int ret;

	(void)path;
	/*
	 * libfuse unlocks at every close of a descriptor (FLUSH).  The locks
	 * are the open file's (OFD): they go with its last close (CLOSE
	 * drops them at the server), not when a forked child's copy closes.
	 */
	if (fi->flush && cmd == F_SETLK && lk->l_type == F_UNLCK)
		return 0;
	if (lk->l_whence != SEEK_SET || lk->l_start < 0 || lk->l_len < 0)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.lock_type = htole32(lock_kind(lk->l_type));
	a.lock_start = htole64((uint64_t)lk->l_start);
	a.lock_len = htole64((uint64_t)lk->l_len);
	if (cmd == F_GETLK) {
		ret = fcall(h, VIO_LOCK, VIO_LOCK_TEST, &a, NULL, 0, &m);
		if (ret)
			return ret;
		lk->l_type = v_msg_get16(&m, 2) == VIO_LOCK_READ ? F_RDLCK :
			     v_msg_get16(&m, 2) == VIO_LOCK_WRITE ? F_WRLCK : F_UNLCK;
		lk->l_start = (off_t)v_msg_get64(&m, 8);
		lk->l_len = (off_t)v_msg_get64(&m, 16);
		lk->l_pid = -1;	/* held on another host, maybe */
		return 0;
	}
	if (cmd != F_SETLK && cmd != F_SETLKW)
		return -EINVAL;
	return lock_wait(h, 0, &a, cmd == F_SETLKW);
}

static int vfs_flock(const char *path, struct fuse_file_info *fi, int op)
{
	struct vio_args a;

	(void)path;
	memset(&a, 0, sizeof(a));
	a.lock_type = htole32((op & LOCK_SH) ? VIO_LOCK_READ :
			      (op & LOCK_EX) ? VIO_LOCK_WRITE : VIO_LOCK_UNLOCK);
	return lock_wait(fh_of(fi), VIO_LOCK_FLOCK, &a, !(op & LOCK_NB));
}

static void *vfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/*
	 * Set-id bits: cleared by the server's kernel, where a write runs as
	 * the user who opened the file, when libfuse passes this on; else the
	 * client's kernel sends the writer's chmod dropping them, which vfsd
	 * takes from any writer as the kernel would (vfsd_posix.c).
	 */
	if (conn->capable & FUSE_CAP_HANDLE_KILLPRIV)
		conn->want |= FUSE_CAP_HANDLE_KILLPRIV;
	/* Inode numbers are libfuse's own: LIST does not carry the server's,
	 * and a listing with inode 0 would hide its entries. */
	cfg->use_ino = 0;
	/*
	 * A file unlinked while open is renamed to .fuse_hiddenNNN on the
	 * server and removed at its last close, as NFS's "silly rename":
	 * the kernel stats an open file by name (fstat sends no handle), and
	 * an unlinked file has no name left otherwise.
	 */
	cfg->hard_remove = 0;
	cfg->nullpath_ok = 1;
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 0;
	return NULL;
}

static const struct fuse_operations vfs_ops = {
	.init		= vfs_init,
	.getattr	= vfs_getattr,
	.readlink	= vfs_readlink,
	.mkdir		= vfs_mkdir,
	.unlink		= vfs_unlink,
	.rmdir		= vfs_rmdir,
	.symlink	= vfs_symlink,
	.rename		= vfs_rename,
	.link		= vfs_link,
	.chmod		= vfs_chmod,
	.chown		= vfs_chown,
	.truncate	= vfs_truncate,
	.open		= vfs_open,
	.read		= vfs_read,
	.write		= vfs_write,
	.statfs		= vfs_statfs,
	.release	= vfs_release,
	.fsync		= vfs_fsync,
	.opendir	= vfs_opendir,
	.readdir	= vfs_readdir,
	.releasedir	= vfs_releasedir,
	.create		= vfs_create,
	.lock		= vfs_lock,
	.utimens	= vfs_utimens,
	.flock		= vfs_flock,
};

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vfs [-q] [-t N] [-o OPTIONS] MOUNTPOINT\n"
		"\n"
		"Mount the V name space at MOUNTPOINT with FUSE: its top level lists the\n"
		"prefixes the name-handling group serves (vfsd -p /files: MOUNTPOINT/files).\n"
		"Stays in the foreground; prints \"vfs: MOUNTPOINT mounted as 0x<id>, cache\n"
		"0x<id>\" once the mount is live (the second id: its cache process, which\n"
		"file servers tell of changes).  SIGTERM, SIGINT or umount MOUNTPOINT end it\n"
		"(exit 0).\n"
		"\n"
		"  -t N        V processes to send from (default 4, at most %d): requests\n"
		"              on different channels run at once\n"
		"  -o OPTIONS  more FUSE mount options (as root vfs always adds\n"
		"              allow_other,default_permissions)\n"
		"  -q          log less\n"
		"  -h          show this help\n"
		"\n"
		"Exit status: 0 after a clean unmount, 1 on an error, 2 on bad usage.\n", CHAN_MAX);
}

static int chans_open(void)
{
	int i;

	for (i = 0; i < nchan; i++) {
		pthread_mutex_init(&chans[i].lock, NULL);
		chans[i].fd = v_open();
		if (chans[i].fd < 0) {
			fprintf(stderr, "vfs: cannot open a V process: %s\n", v_strerror(chans[i].fd));
			return -1;
		}
	}
	return 0;
}

static int mount_and_serve(const char *mp, const char *extra)
{
	char opts[512];
	char *argv[] = { "vfs", "-o", opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_loop_config *loop;
	struct fuse *f;
	uint64_t self = 0;
	int ret;

	snprintf(opts, sizeof(opts), "fsname=vfs,subtype=v%s%s%s",
		 geteuid() == 0 ? ",allow_other,default_permissions" : ",default_permissions",
		 extra ? "," : "", extra ? extra : "");
	f = fuse_new(&args, &vfs_ops, sizeof(vfs_ops), NULL);
	if (!f)
		return 1;
	if (fuse_mount(f, mp)) {
		fuse_destroy(f);
		return 1;
	}
	if (fuse_set_signal_handlers(fuse_get_session(f))) {
		fuse_unmount(f);
		fuse_destroy(f);
		return 1;
	}
	v_self(chans[0].fd, &self);
	printf("vfs: %s mounted as 0x%016" PRIx64 ", cache 0x%016" PRIx64 "\n", mp, self,
	       vfs_cache_self());
	fflush(stdout);
	loop = fuse_loop_cfg_create();
	if (!loop || vfs_cache_start(f, mp)) {
		(void)vfs_cache_stop();
		if (loop)
			fuse_loop_cfg_destroy(loop);
		fuse_remove_signal_handlers(fuse_get_session(f));
		fuse_unmount(f);
		fuse_destroy(f);
		return 1;
	}
	fuse_loop_cfg_set_max_threads(loop, FUSE_THREADS);
	ret = fuse_loop_mt(f, loop);
	fuse_loop_cfg_destroy(loop);
	fuse_remove_signal_handlers(fuse_get_session(f));
	/* Unmounted first: a cache thread inside a stat() of the mount or an
	 * invalidation then sees the mount gone instead of waiting for an
	 * answer no worker will give. */
	fuse_unmount(f);
	if (!vfs_cache_stop())
		fuse_destroy(f);	/* else left to the exit: a thread still uses it */
	if (!quiet)
		fprintf(stderr, "vfs: %s unmounted\n", mp);
	/*
	 * An unmount aborts the connection (fuse_conn_destroy): a worker
	 * reading the device then may get ECONNABORTED rather than ENODEV,
	 * and libfuse returns it.  Either is the end of the mount.
	 */
	return ret < 0 && ret != -ECONNABORTED && ret != -ENODEV ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *extra = NULL;
	uint64_t v;
	int opt;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "t:o:qh")) != -1) {
		switch (opt) {
		case 't':
			if (vtool_parse_u64(optarg, 1, CHAN_MAX, &v)) {
				fprintf(stderr, "vfs: -t wants 1..%d, not '%s'\n", CHAN_MAX, optarg);
				return 2;
			}
			nchan = (int)v;
			break;
		case 'o':
			extra = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	/*
	 * libfuse's read path mallocs each request's buffer (128 KiB, right
	 * at glibc's mmap threshold): a fresh mapping every time, its pages
	 * faulted in and zeroed (a quarter of a sequential read's
	 * instructions).  Kept on the heap instead.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	if (chans_open() || vfs_cache_open())
		return 1;
	return mount_and_serve(argv[optind], extra);
}
