// SPDX-License-Identifier: GPL-2.0
/*
 * vfsd: a V file server.  Serves a directory over the V I/O protocol
 * (<vio.h>) to any number of clients, from a pool of threads Receiving on
 * one V process; registers under a logical id (SetPid) and, with -p, joins
 * the name-handling group as the manager of a prefix; with -g it joins a
 * group of file servers holding copies (replicated writes).
 *
 *   vfsd [-q] [-U] [-w UID]... [-p PREFIX] [-l LID] [-g GROUP] [-t THREADS] [-Q N] [-C N] DIR
 *
 * Paths never leave DIR: every open goes through openat2() with
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS ("..", absolute symlinks and
 * symlinks out of DIR fail).  The export is read-only except for senders
 * whose uid (as Receive reports it; for a remote sender the uid its kernel
 * claims) was given with -w.
 */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "vfsd.h"

#define INST_MAX	1024
#define QUOTA_DEFAULT	(INST_MAX / 4)	/* instances per (client host, uid) */
#define IOBUF		(1U << 20)	/* bytes per MoveTo / MoveFrom */

struct vd vd = { .name = "vfsd" };
int rootfd = -1;
static struct vd_writers writers;
static char prefix[VIO_NAME_MAX + 1];
static size_t prefix_len;
/*
 * The context id of the directory we export (the served root), what
 * LOOKUP answers; random and nonzero, so that a context of an earlier
 * vfsd (one whose id a client kept) is never taken for ours.
 */
static uint32_t root_context;
size_t reply_seg_max = V_REPLY_SEG_MAX_DEFAULT;
static struct inst insts[INST_MAX];
static unsigned int quota = QUOTA_DEFAULT;
int as_users;
static gid_t own_groups[64];	/* ours, restored after each request (-U) */
static int own_ngroups;
static pthread_mutex_t inst_lock = PTHREAD_MUTEX_INITIALIZER;
__thread void *iobuf;
__thread struct vfsd_who who;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vfsd [-q] [-U] [-w UID]... [-p PREFIX] [-l LID] [-g GROUP] [-t THREADS] [-Q N]\n"
		"            [-C N] DIR\n"
		"\n"
		"Serve DIR over the V I/O protocol.  Prints \"vfsd: serving DIR as 0x<id>\"\n"
		"once ready; SIGTERM or SIGINT stops it (exit status 0).\n"
		"\n"
		"  -w UID     allow changes (create, write, remove, rename, setattr, ...) from\n"
		"             this uid (repeatable; remote senders are judged by the uid they\n"
		"             claim, or under -U by the identity -U gives them); without -w\n"
		"             the export is read-only\n"
		"  -p PREFIX  join the name-handling group as the manager of PREFIX (e.g. /files)\n"
		"  -l LID     register under logical id LID (default %u, the file server;\n"
		"             ids below %u need CAP_NET_ADMIN; 0: do not register)\n"
		"  -g GROUP   join the file-server group GROUP (an id; replicated files)\n"
		"  -t N       worker threads Receiving on the V process (default 4, at most %u)\n"
		"  -Q N       open instances one user of one client host may hold (default %u,\n"
		"             at most %u); beyond it OPEN fails with no server resources\n"
		"  -C N       files one client's cache may hold (default %u, at most that;\n"
		"             0: no client caches): a client caching a file (vfs) is sent a\n"
		"             REVOKE before any change to it is answered; beyond N its\n"
		"             opens are not cached\n"
		"  -U         act as each request's user (needs root): every file operation\n"
		"             runs with the request's uid and gid, so modes and ownership apply\n"
		"             as on a local file system.  The uid a file system client (vfs)\n"
		"             asserts is taken only from root on this host or over a keyed\n"
		"             link; other senders act as themselves; a remote sender over an\n"
		"             unkeyed link acts as nobody (65534).  Without -U, modes lose\n"
		"             their set-id bits and owners cannot be changed\n"
		"  -q         log less\n"
		"  -h         show this help\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on an error, 2 on bad usage.\n",
		V_LID_FILE_SERVER, V_LID_PRIVILEGED, VD_THREADS_MAX, QUOTA_DEFAULT, INST_MAX,
		HOLD_QUOTA_DEFAULT);
}

/* ---- instances ---------------------------------------------------------- */

/*
 * A client's instances are reclaimed when it ends: the first instance an
 * owner opens watches it (a death notice, inst_reclaim()), its last one
 * closed unwatches it.  A worker using an instance holds it (busy), so a
 * reclaim on another worker only dooms it, and the last one to let go
 * closes its descriptor: a slot (and a descriptor number) is never reused
 * under a worker still writing through it.
 *
 * Live instances of owner (and, in *same_user, of owner's host and uid);
 * inst_lock held.
 */
static unsigned int inst_count(uint64_t owner, uint32_t host, uint32_t uid, unsigned int *same_user)
{
	unsigned int n = 0;
	int i;

	*same_user = 0;
	for (i = 0; i < INST_MAX; i++) {
		if (insts[i].fd < 0 || insts[i].doomed)
			continue;
		n += insts[i].owner == owner;
		*same_user += insts[i].host == host && insts[i].uid == uid;
	}
	return n;
}

/*
 * A new instance for r's sender, or 0: the table is full, or the sender's
 * user on its host holds its quota (one host's FUSE daemon is one client
 * for all its users, so the quota is per (host, uid), not per client;
 * under -U the uid is the request's identity).
 */
uint32_t inst_new(int fd, const struct v_receive *r, const struct stat *st, int writable,
		  uint64_t cache)
{
	unsigned int mine, same_user;
	uint32_t id = 0;
	int i;

	uint32_t uid = as_users ? who.uid : r->creds.uid;

	pthread_mutex_lock(&inst_lock);
	mine = inst_count(r->sender, r->creds.host, uid, &same_user);
	for (i = 0; i < INST_MAX && same_user < quota; i++)
		if (insts[i].fd < 0) {
			insts[i].fd = fd;
			insts[i].owner = r->sender;
			insts[i].host = r->creds.host;
			insts[i].uid = uid;
			insts[i].who = who;
			insts[i].type = mode_type(st->st_mode);
			insts[i].writable = (uint8_t)writable;
			insts[i].cache = cache;
			insts[i].dev = (uint64_t)st->st_dev;
			insts[i].ino = (uint64_t)st->st_ino;
			insts[i].busy = 0;
			insts[i].doomed = 0;
			insts[i].gen++;
			id = (uint32_t)insts[i].gen << 16 | (uint32_t)(i + 1);
			break;
		}
	pthread_mutex_unlock(&inst_lock);
	/*
	 * Outside the lock (WATCH allocates).  A client has one Send at a
	 * time, so its OPENs and CLOSEs do not race each other; one that
	 * ends meanwhile is notified at once.  Remote watches may not exist
	 * yet (EOPNOTSUPP): reclaim is best effort there.
	 */
	if (id && !mine)
		v_watch(vd.fd, r->sender, 0);
	return id;
}

/* The instance id names for sender, held (inst_put()), or NULL. */
static struct inst *inst_get(uint32_t id, uint64_t sender)
{
	uint32_t slot = id & 0xffff;
	struct inst *in = NULL;

	if (slot == 0 || slot > INST_MAX)
		return NULL;
	pthread_mutex_lock(&inst_lock);
	if (insts[slot - 1].fd >= 0 && !insts[slot - 1].doomed &&
	    insts[slot - 1].gen == id >> 16 && insts[slot - 1].owner == sender) {
		in = &insts[slot - 1];
		in->busy++;
	}
	pthread_mutex_unlock(&inst_lock);
	return in;
}

/* Close a doomed instance nobody holds; inst_lock held. */
static void inst_close_idle(struct inst *in)
{
	if (in->doomed && !in->busy) {
		close(in->fd);
		in->fd = -1;
	}
}

static void inst_put(struct inst *in)
{
	pthread_mutex_lock(&inst_lock);
	in->busy--;
	inst_close_idle(in);
	pthread_mutex_unlock(&inst_lock);
}

/* CLOSE: the instance goes once its holders (the caller) let go. */
static void inst_free(struct inst *in)
{
	unsigned int same_user, left;
	uint64_t owner = in->owner;

	if (in->cache)
		vfsd_hold_close(in->cache, in->dev, in->ino);
	pthread_mutex_lock(&inst_lock);
	in->doomed = 1;
	left = inst_count(owner, in->host, in->uid, &same_user);
	pthread_mutex_unlock(&inst_lock);
	if (!left)
		v_unwatch(vd.fd, owner);
}

/* Undo an instance the client never heard of (its reply failed). */
void inst_drop(uint32_t id, uint64_t sender)
{
	struct inst *in = inst_get(id, sender);

	if (in) {
		inst_free(in);
		inst_put(in);
	}
}

/* A death notice: close whatever the ended client left open (and let go
 * of the holdings its instances pinned); forget it as a cache process. */
static void inst_reclaim(const struct v_receive *r)
{
	static struct { uint64_t cache, dev, ino; } pins[INST_MAX];
	static pthread_mutex_t reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned int n = 0, np = 0, i;

	if (v_msg_code(&r->msg) != V_NOTICE_DEATH)
		return;
	pthread_mutex_lock(&reclaim_lock);
	pthread_mutex_lock(&inst_lock);
	for (i = 0; i < INST_MAX; i++)
		if (insts[i].fd >= 0 && !insts[i].doomed && insts[i].owner == r->sender) {
			if (insts[i].cache) {
				pins[np].cache = insts[i].cache;
				pins[np].dev = insts[i].dev;
				pins[np++].ino = insts[i].ino;
			}
			insts[i].doomed = 1;
			inst_close_idle(&insts[i]);
			n++;
		}
	pthread_mutex_unlock(&inst_lock);
	for (i = 0; i < np; i++)
		vfsd_hold_close(pins[i].cache, pins[i].dev, pins[i].ino);
	pthread_mutex_unlock(&reclaim_lock);
	if (n && !vd.quiet)
		vd_log(&vd, "0x%016" PRIx64 " ended: %u instance(s) closed", (uint64_t)r->sender, n);
	n = vfsd_hold_forget(r->sender, 1);	/* a cache process's end */
	if (n && !vd.quiet)
		vd_log(&vd, "0x%016" PRIx64 " ended: %u holding(s) dropped", (uint64_t)r->sender, n);
}

/* A MoveTo / MoveFrom / Reply error saying nobody waits for the answer. */
int sender_gone(int ret)
{
	return ret == -ENOENT || ret == -ETIMEDOUT;
}

/* ---- paths -------------------------------------------------------------- */

/* The errno behind the last reply code errno_code() chose (per thread):
 * POSIX requests report it at VIO_ARG_ERRNO_OFF. */
static __thread int reply_errno;

int errno_code(int e)
{
	reply_errno = e;
	switch (e) {
	case ENOENT: case ENOTDIR:	return V_NOT_FOUND;
	case EXDEV: case EACCES: case EPERM: case ELOOP: case EROFS:
					return V_NO_PERMISSION;
	case EEXIST:			return V_DUPLICATE_NAME;
	case EISDIR: case ENOTEMPTY: case EBUSY:
					return V_BAD_STATE;
	case ENAMETOOLONG: case EINVAL:	return V_BAD_ARGS;
	case EMFILE: case ENFILE: case ENOSPC: case ENOMEM: case EDQUOT:
					return V_NO_SERVER_RESOURCES;
	default:			return V_IO_ERROR;
	}
}

/* openat2 beneath the served root; name relative to it ('/' = the root). */
int open_beneath(const char *name, uint64_t flags, int *fd)
{
	struct open_how how;
	long ret;

	while (*name == '/')
		name++;
	if (!*name)
		name = ".";
	memset(&how, 0, sizeof(how));
	how.flags = flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY);
	how.mode = (flags & O_CREAT) ? 0644 : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	ret = syscall(SYS_openat2, rootfd, name, &how, sizeof(how));
	if (ret < 0)
		return errno;
	*fd = (int)ret;
	return 0;
}

/* -w: the uid judged is the request's identity (who) under -U. */
int may_write(const struct v_receive *r)
{
	struct v_receive as = *r;

	if (as_users)
		as.creds.uid = who.uid;
	return vd_may_write(&writers, &as);
}

uint8_t mode_type(mode_t m)
{
	return S_ISREG(m) ? VIO_TYPE_FILE : S_ISDIR(m) ? VIO_TYPE_DIR : VIO_TYPE_OTHER;
}

uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

/* open(2) flags for VIO_O_* flags. */
uint64_t vio_oflags(unsigned int f)
{
	uint64_t o = (f & VIO_O_WRITE) ? ((f & VIO_O_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;

	if (f & VIO_O_CREATE)
		o |= O_CREAT;
	if (f & VIO_O_TRUNC)
		o |= O_TRUNC;
	if (f & VIO_O_EXCL)
		o |= O_EXCL;
	return o | O_NONBLOCK;	/* a fifo must not hang a worker */
}

/* ---- data movement ------------------------------------------------------ */

/*
 * Write len bytes from the sender's segment (at seg_off, the first bytes
 * possibly already in seg) to fd at off.  Returns 0 or a reply code; *n
 * counts the bytes written.  -1: the sender is gone.
 */
static int seg_to_file(const struct v_receive *r, const void *seg, uint64_t seg_off,
		       uint64_t len, int fd, uint64_t off, uint64_t *n)
{
	uint64_t done = 0, chunk;
	ssize_t w;
	int ret;

	*n = 0;
	while (done < len) {
		const char *src;

		if (seg_off + done < r->copied) {
			src = (const char *)seg + seg_off + done;
			chunk = r->copied - seg_off - done;
			if (chunk > len - done)
				chunk = len - done;
		} else {
			chunk = len - done < IOBUF ? len - done : IOBUF;
			ret = v_move_from(vd.fd, r->sender, seg_off + done, iobuf, chunk);
			if (sender_gone(ret))
				return -1;
			if (ret < 0)
				return V_BAD_BUFFER;
			src = iobuf;
		}
		w = pwrite(fd, src, chunk, (off_t)(off + done));
		if (w < 0)
			return errno_code(errno);
		done += (uint64_t)w;
		*n = done;
		if ((uint64_t)w < chunk)
			return V_NO_SERVER_RESOURCES;
	}
	return 0;
}

static ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* ---- requests ----------------------------------------------------------- */

static int do_open(const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	unsigned int flags = v_msg_get16(&r->msg, VIO_FLAGS_OFF);
	char name[VIO_NAME_MAX + 1];
	struct stat st;
	uint32_t id;
	int ret, fd, e;

	if ((flags & ~VIO_O_MASK) || ((flags & VIO_O_TRUNC) && !(flags & VIO_O_WRITE)))
		return V_BAD_ARGS;
	ret = vio_name_get(vd.fd, r, seg, name, sizeof(name));
	if (ret < 0)
		return -ret;
	if ((flags & (VIO_O_WRITE | VIO_O_CREATE | VIO_O_TRUNC)) && !may_write(r))
		return V_NO_PERMISSION;
	if ((flags & VIO_O_CREATE) && !(flags & VIO_O_WRITE))
		flags |= VIO_O_WRITE;
	e = open_beneath(name, vio_oflags(flags), &fd);
	if (e)
		return errno_code(e);
	e = fstat(fd, &st);
	/* truncated already, whatever fails below: holders drop it */
	if (!e && (flags & VIO_O_TRUNC))
		vfsd_hold_revoke((uint64_t)st.st_dev, (uint64_t)st.st_ino, 0, 0);
	if (e < 0 || mode_type(st.st_mode) == VIO_TYPE_OTHER) {
		close(fd);
		return V_NOT_SUPPORTED;
	}
	id = inst_new(fd, r, &st, !!(flags & VIO_O_WRITE), 0);
	if (!id) {
		close(fd);
		return V_NO_SERVER_RESOURCES;
	}
	v_msg_put16(reply, 2, mode_type(st.st_mode));
	v_msg_put32(reply, 4, id);
	v_msg_put64(reply, 8, (uint64_t)st.st_size);
	v_msg_put64(reply, 16, ts_ns(&st.st_mtim));
	v_msg_put32(reply, 24, VIO_BLOCK_SIZE);
	return V_OK;
}

/* Offset and length in bytes of a READ / WRITE (or block form); 0 or code. */
static int io_range(const struct v_msg *m, int blocks, uint64_t *off, uint64_t *len)
{
	uint64_t unit = blocks ? VIO_BLOCK_SIZE : 1;

	*off = v_msg_get64(m, 8);
	*len = v_msg_get64(m, 16);
	if (*off > INT64_MAX / unit || *len > INT64_MAX / unit)
		return V_BAD_ARGS;
	*off *= unit;
	*len *= unit;
	if (*off > INT64_MAX - *len)
		return V_BAD_ARGS;
	return 0;
}

static int do_read(const struct v_receive *r, struct inst *in, int blocks, struct v_msg *reply)
{
	uint64_t off, len, done = 0;
	ssize_t n;
	int ret = io_range(&r->msg, blocks, &off, &len);

	if (ret)
		return ret;
	if (in->type != VIO_TYPE_FILE)
		return V_BAD_STATE;
	if (len && (!(r->seg_access & V_SEG_WRITE) || r->seg_len < len))
		return V_BAD_BUFFER;
	/* Before the data is read: a change after this revokes what it
	 * reads (vfsd_hold.c).  A cache process we forgot must hear so
	 * before it caches more. */
	if (in->cache && vfsd_hold_add(in->cache, in->dev, in->ino, HOLD_USE) == HOLD_GONE) {
		errno_code(ESTALE);
		return V_NO_PERMISSION;
	}
	while (done < len) {
		size_t chunk = len - done < IOBUF ? len - done : IOBUF;

		n = pread_full(in->fd, iobuf, chunk, (off_t)(off + done));
		if (n < 0)
			return errno_code(errno);
		if (n == 0)
			break;
		if (done == 0 && len <= reply_seg_max) {
			/* The whole answer fits one ReplyWithSegment. */
			v_msg_put64(reply, 8, (uint64_t)n);
			ret = v_reply_with_segment(vd.fd, r->sender, reply, 0, iobuf, (size_t)n);
			if (ret == 0 || sender_gone(ret))
				return -2;
			return V_BAD_BUFFER;
		}
		ret = v_move_to(vd.fd, r->sender, done, iobuf, (size_t)n);
		if (sender_gone(ret))
			return -1;
		if (ret < 0)
			return V_BAD_BUFFER;
		done += (uint64_t)n;
		if ((size_t)n < chunk)
			break;
	}
	if (done == 0 && len)
		return V_END_OF_FILE;
	v_msg_put64(reply, 8, done);
	return V_OK;
}

static int do_write(const struct v_receive *r, const void *seg, struct inst *in, int blocks,
		    struct v_msg *reply)
{
	uint64_t off, len, n;
	struct stat st;
	int ret = io_range(&r->msg, blocks, &off, &len);

	if (ret)
		return ret;
	if (in->type != VIO_TYPE_FILE)
		return V_BAD_STATE;
	if (!in->writable || !may_write(r))
		return V_NO_PERMISSION;
	if (len && (!(r->seg_access & V_SEG_READ) || r->seg_len < len))
		return V_BAD_BUFFER;
	ret = seg_to_file(r, seg, 0, len, in->fd, off, &n);
	if (n)
		vfsd_hold_revoke(in->dev, in->ino, in->cache, 0);
	if (ret)
		return ret;
	v_msg_put64(reply, 8, n);
	v_msg_put64(reply, 16, fstat(in->fd, &st) == 0 ? (uint64_t)st.st_size : 0);
	return V_OK;
}

static int do_query(struct inst *in, struct v_msg *reply)
{
	struct stat st;

	if (fstat(in->fd, &st) < 0)
		return errno_code(errno);
	v_msg_put16(reply, 2, mode_type(st.st_mode));
	v_msg_put32(reply, 4, st.st_mode & 07777);
	v_msg_put64(reply, 8, (uint64_t)st.st_size);
	v_msg_put64(reply, 16, ts_ns(&st.st_mtim));
	v_msg_put64(reply, 24, ts_ns(&st.st_ctim));
	return V_OK;
}

static int do_list(const struct v_receive *r, struct inst *in, struct v_msg *reply)
{
	uint64_t cursor = v_msg_get64(&r->msg, 8), idx = 0;
	uint64_t cap = v_msg_get32(&r->msg, 16);
	uint32_t want = v_msg_get32(&r->msg, 20), count = 0;
	size_t used = 0, nlen, rec;
	struct vio_dirent d;
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int dfd, ret;

	if (in->type != VIO_TYPE_DIR)
		return V_BAD_STATE;
	if (cap > r->seg_len)
		cap = r->seg_len;
	if (cap > IOBUF)
		cap = IOBUF;
	if (!(r->seg_access & V_SEG_WRITE) || cap < sizeof(d) + 8)
		return V_BAD_BUFFER;
	dfd = openat(in->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno_code(errno);
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return V_NO_SERVER_RESOURCES;
	}
	while ((de = readdir(dir)) && (!want || count < want)) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (idx++ < cursor)
			continue;
		nlen = strlen(de->d_name);
		rec = (sizeof(d) + nlen + 7) & ~(size_t)7;
		if (used + rec > cap) {
			idx--;
			break;
		}
		memset(&d, 0, sizeof(d));
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			d.size = htole64((uint64_t)st.st_size);
			d.mtime_ns = htole64(ts_ns(&st.st_mtim));
			d.type = mode_type(st.st_mode);
		} else {
			d.type = VIO_TYPE_OTHER;
		}
		d.reclen = htole16((uint16_t)rec);
		d.name_len = (uint8_t)nlen;
		memset((char *)iobuf + used, 0, rec);
		memcpy((char *)iobuf + used, &d, sizeof(d));
		memcpy((char *)iobuf + used + sizeof(d), de->d_name, nlen);
		used += rec;
		count++;
	}
	closedir(dir);
	if (count == 0 && used == 0 && idx <= cursor)
		return V_END_OF_FILE;
	if (count == 0)
		return V_BAD_BUFFER;
	v_msg_put64(reply, 8, cursor + count);
	v_msg_put32(reply, 16, (uint32_t)used);
	v_msg_put32(reply, 20, count);
	if (used <= reply_seg_max) {
		ret = v_reply_with_segment(vd.fd, r->sender, reply, 0, iobuf, used);
		return ret == 0 || sender_gone(ret) ? -2 : V_BAD_BUFFER;
	}
	ret = v_move_to(vd.fd, r->sender, 0, iobuf, used);
	if (sender_gone(ret))
		return -1;
	return ret < 0 ? V_BAD_BUFFER : V_OK;
}

static int do_remove(const struct v_receive *r, const void *seg)
{
	char name[VIO_NAME_MAX + 1], *last, *p;
	int ret, pfd, e, held;
	struct stat st;

	ret = vio_name_get(vd.fd, r, seg, name, sizeof(name));
	if (ret < 0)
		return -ret;
	if (!may_write(r))
		return V_NO_PERMISSION;
	for (p = name + strlen(name); p > name && p[-1] == '/'; )
		*--p = '\0';
	last = strrchr(name, '/');
	if (last)
		*last++ = '\0';
	else
		last = name;
	if (!*last || !strcmp(last, ".") || !strcmp(last, ".."))
		return V_BAD_ARGS;	/* the root itself, or not a name in a directory */
	e = open_beneath(last == name ? "." : name, O_PATH | O_DIRECTORY, &pfd);
	if (e)
		return errno_code(e);
	held = vfsd_hold_peek(pfd, last, &st) == 0;
	ret = unlinkat(pfd, last, 0);
	if (ret < 0 && errno == EISDIR)
		ret = unlinkat(pfd, last, AT_REMOVEDIR);
	e = errno;
	close(pfd);
	if (ret == 0 && held)
		vfsd_hold_revoke((uint64_t)st.st_dev, (uint64_t)st.st_ino, 0,
				 VIO_REVOKE_NAME);
	return ret < 0 ? errno_code(e) : V_OK;
}

static int do_write_named(const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	unsigned int flags = v_msg_get16(&r->msg, VIO_FLAGS_OFF);
	uint64_t nlen = v_msg_get16(&r->msg, VIO_NAME_LEN_OFF);
	uint64_t dlen = v_msg_get32(&r->msg, VIO_WN_DATA_LEN_OFF);
	uint64_t off = v_msg_get64(&r->msg, VIO_WN_OFFSET_OFF), n;
	char name[VIO_NAME_MAX + 1];
	struct stat st;
	int fd, e, ret;

	if ((flags & ~(VIO_O_CREATE | VIO_O_TRUNC)) || nlen == 0 || nlen > VIO_NAME_MAX ||
	    off > INT64_MAX - dlen)
		return V_BAD_ARGS;
	if (!(r->seg_access & V_SEG_READ) || r->seg_len < nlen + dlen)
		return V_BAD_BUFFER;
	if (!may_write(r))
		return V_NO_PERMISSION;
	ret = vio_segment_name(vd.fd, r, seg, nlen, name);
	if (ret < 0)
		return -ret;
	e = open_beneath(name, vio_oflags(flags | VIO_O_WRITE), &fd);
	if (e)
		return errno_code(e);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return V_BAD_STATE;
	}
	ret = seg_to_file(r, seg, nlen, dlen, fd, off, &n);
	if (ret == 0 && fsync(fd) < 0)
		ret = V_IO_ERROR;
	vfsd_hold_revoke((uint64_t)st.st_dev, (uint64_t)st.st_ino, 0, 0);
	v_msg_put64(reply, 8, n);
	v_msg_put64(reply, 16, fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0);
	close(fd);
	return ret;
}

static int do_lookup(const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	char name[VIO_NAME_MAX + 1];
	int partial, ret;

	ret = vio_name_lookup_get(vd.fd, r, seg, name, sizeof(name), &partial);
	if (ret < 0)
		return -ret;
	if (!prefix_len || !vio_prefix_owns(prefix, prefix_len, name, partial))
		return V_NOT_FOUND;
	v_msg_put16(reply, VNAME_PREFIX_LEN_OFF, (uint16_t)prefix_len);
	v_msg_put32(reply, VNAME_LOCAL_OFF, root_context);
	v_msg_put64(reply, VNAME_MANAGER_OFF, vd.self);
	v_msg_put32(reply, VNAME_TYPE_OFF, VNAME_TYPE_CONTEXT);
	return V_OK;
}

/* ---- whose request (-U) -------------------------------------------------- */

#define SQUASH_ID	65534	/* nobody / nogroup */

/*
 * The identity r runs as: the asserted uid, gid and supplementary groups
 * from a sender whose kernel vouches for uid 0 (a local sender, or a
 * remote one over a keyed link: a file system client speaking for its
 * host's users), otherwise the sender's own.  A remote sender over an
 * unkeyed link claims whatever uid it likes: it acts as nobody.  A
 * forwarded request asserts nothing, and root's acts as nobody (nobody in
 * the project forwards to vfsd).  0, or a
 * reply code (the asserted groups unreadable).
 */
static int who_of(const struct v_receive *r, const void *seg, struct vfsd_who *w)
{
	int remote = !!(r->creds.flags & V_CRED_REMOTE);
	int vouched = !remote || (r->creds.flags & V_CRED_KEYED);
	uint16_t code = v_msg_code(&r->msg);
	/* A forwarder writes the message but keeps the first sender's
	 * credentials: root's vouching is not to be lent to what it wrote. */
	int may_assert = vouched && !r->forwarder;
	size_t at, i;

	memset(w, 0, sizeof(*w));
	w->uid = r->creds.uid;
	w->gid = r->creds.gid;
	if (code > VIO_WRITE_NAMED && code < VIO_REQUEST_END && r->creds.uid == 0 && may_assert &&
	    v_msg_get16(&r->msg, VIO_ARG_ASSERT_OFF) == VIO_ASSERT) {
		w->uid = v_msg_get32(&r->msg, VIO_ARG_UID_OFF);
		w->gid = v_msg_get32(&r->msg, VIO_ARG_GID_OFF);
		w->ngroups = v_msg_get16(&r->msg, VIO_ARG_NGROUPS_OFF);
		at = VIO_ARGS_SIZE + v_msg_get16(&r->msg, VIO_NAME_LEN_OFF) +
		     v_msg_get16(&r->msg, VIO_ARG_NAME2_LEN_OFF);
		if (w->ngroups > VIO_GROUPS_MAX)
			return V_BAD_ARGS;
		if (vio_segment_get(vd.fd, r, seg, at, w->ngroups * 4, w->groups))
			return V_BAD_BUFFER;
		for (i = 0; i < w->ngroups; i++)
			w->groups[i] = le32toh(w->groups[i]);
	} else if (!vouched || (r->forwarder && r->creds.uid == 0)) {
		w->uid = SQUASH_ID;
		w->gid = SQUASH_ID;
	}
	if (w->uid == (uint32_t)-1 || w->gid == (uint32_t)-1)
		w->uid = w->gid = SQUASH_ID;	/* -1 means "no change" to the kernel */
	return 0;
}

/*
 * Switch this thread's file-system identity: setfsuid, setfsgid and
 * setgroups are per thread as system calls (glibc's setgroups() would
 * change every thread: the raw call).  Each is checked: an id the user
 * namespace does not map would leave the thread root, so the request is
 * refused instead.  0 or -1.
 */
static int as_user(const struct vfsd_who *w)
{
	if (syscall(SYS_setgroups, (int)w->ngroups, w->groups) < 0)
		return -1;
	syscall(SYS_setfsgid, w->gid);
	if ((uint32_t)syscall(SYS_setfsgid, -1) != w->gid)
		return -1;
	syscall(SYS_setfsuid, w->uid);
	return (uint32_t)syscall(SYS_setfsuid, -1) == w->uid ? 0 : -1;
}

static void as_self(void)
{
	syscall(SYS_setfsuid, geteuid());
	syscall(SYS_setfsgid, getegid());
	syscall(SYS_setgroups, own_ngroups, own_groups);
}

/*
 * -U: leave the request's identity for vfsd's own (self) and come back
 * (!self), for what the kernel itself would do for a user (clearing a
 * set-id bit on a write).  0, or -1 when the way back failed.
 */
int vfsd_as_self(int self)
{
	if (!as_users)
		return 0;
	if (self) {
		as_self();
		return 0;
	}
	return as_user(&who);
}

/* PREFIX: our prefix's length and head, for a listing of the name space. */
static int do_prefix(struct v_msg *reply)
{
	if (!prefix_len)
		return V_NOT_FOUND;
	v_msg_put16(reply, VNAME_PREFIX_LEN_OFF, (uint16_t)prefix_len);
	memcpy(&reply->b[VNAME_PREFIX_OFF], prefix,
	       prefix_len < VNAME_PREFIX_INLINE ? prefix_len : VNAME_PREFIX_INLINE);
	return V_OK;
}

/*
 * Requests on a name carry the context it is relative to (VIO_CONTEXT_OFF):
 * ours, or 0, which meant the served root before contexts and still does.
 * Any other is an unknown one (another vfsd's, or an earlier one's):
 * V_NOT_FOUND, as for a name that is not there.
 */
static int context_unknown(uint16_t code, const struct v_msg *m)
{
	uint32_t ctx = v_msg_get32(m, VIO_CONTEXT_OFF);

	if (code != VIO_OPEN && code != VIO_REMOVE && code != VIO_WRITE_NAMED)
		return 0;
	return ctx && ctx != root_context;
}

/* A context id: random, never 0 (0 means the root without a context). */
static uint32_t context_new(void)
{
	uint32_t c = 0;

	while (!c)
		if (getrandom(&c, sizeof(c), 0) != sizeof(c))
			c = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	return c;
}

/* Requests naming an instance at 4 (always, or, for the POSIX ones, when
 * it is not 0). */
static int names_instance(uint16_t code, const struct v_msg *m)
{
	if (code >= VIO_READ && code <= VIO_CLOSE && code != VIO_REMOVE)
		return 1;
	return (code == VIO_STAT || code == VIO_SETATTR || code == VIO_FSYNC ||
		code == VIO_LOCK) && v_msg_get32(m, 4);
}

static int handle_one(const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	uint16_t code = v_msg_code(&r->msg);
	struct inst *in = NULL;
	int ret;

	if (names_instance(code, &r->msg)) {
		in = inst_get(v_msg_get32(&r->msg, 4), r->sender);
		if (!in)
			return V_NOT_FOUND;
	}
	if (context_unknown(code, &r->msg))
		return V_NOT_FOUND;
	/* -U: a request on an instance runs as whoever opened it. */
	if (as_users) {
		ret = in ? 0 : who_of(r, seg, &who);
		if (in)
			who = in->who;
		if (ret || as_user(&who)) {
			ret = ret ? ret : V_NO_PERMISSION;
			goto out;
		}
	}
	switch (code) {
	case VIO_OPEN:		ret = do_open(r, seg, reply); break;
	case VIO_READ:		ret = do_read(r, in, 0, reply); break;
	case VIO_READ_BLOCK:	ret = do_read(r, in, 1, reply); break;
	case VIO_WRITE:		ret = do_write(r, seg, in, 0, reply); break;
	case VIO_WRITE_BLOCK:	ret = do_write(r, seg, in, 1, reply); break;
	case VIO_QUERY:		ret = do_query(in, reply); break;
	case VIO_LIST:		ret = do_list(r, in, reply); break;
	case VIO_REMOVE:	ret = do_remove(r, seg); break;
	case VIO_CLOSE:		inst_free(in); ret = V_OK; break;
	case VIO_WRITE_NAMED:	ret = do_write_named(r, seg, reply); break;
	case VNAME_LOOKUP:	ret = do_lookup(r, seg, reply); break;
	case VNAME_PREFIX:	ret = do_prefix(reply); break;
	case VIO_CACHE_HELLO:	ret = vfsd_hold_hello(r); break;
	case VIO_REVOKE:	ret = V_ILLEGAL_REQUEST; break;	/* a client's, not ours */
	default:
		ret = code > VIO_WRITE_NAMED && code < VIO_REQUEST_END ?
		      vfsd_posix(r, seg, in, reply) : V_ILLEGAL_REQUEST;
		break;
	}
out:
	if (as_users)
		as_self();
	if (in)
		inst_put(in);
	return ret;
}

static int handle(int fd, const struct v_receive *r, const void *seg, struct v_msg *reply)
{
	uint16_t code = v_msg_code(&r->msg);
	int ret;

	(void)fd;
	memset(reply, 0, sizeof(*reply));
	if (!iobuf && !(iobuf = malloc(IOBUF))) {
		v_msg_set_code(reply, V_NO_SERVER_RESOURCES);
		return 0;
	}
	reply_errno = 0;
	ret = handle_one(r, seg, reply);
	if (ret == -2)
		return 1;	/* replied with a segment */
	if (ret == -1)
		return -1;	/* the sender went away */
	if (ret != V_OK) {
		memset(reply, 0, sizeof(*reply));
		if ((code > VIO_WRITE_NAMED && code < VIO_REQUEST_END) || code == VIO_READ ||
		    code == VIO_WRITE)
			v_msg_put32(reply, VIO_ARG_ERRNO_OFF, (uint32_t)reply_errno);
	}
	v_msg_set_code(reply, (uint16_t)ret);
	return 0;
}

/* Every instance holds a descriptor: make room for a full table. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < INST_MAX + 64) {
		rl.rlim_cur = rl.rlim_max < INST_MAX + 64 ? rl.rlim_max : INST_MAX + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			vd_log(&vd, "cannot raise the descriptor limit: %s", strerror(errno));
	}
}

static void read_reply_seg_max(void)
{
	FILE *f = fopen("/sys/module/vkmod/parameters/reply_seg_max", "r");
	unsigned long v;

	if (f && fscanf(f, "%lu", &v) == 1 && v > 0)
		reply_seg_max = v;
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	uint64_t lid = V_LID_FILE_SERVER, group = 0, v;
	int opt, i, rc, threads = 4;
	const char *dir;

	if (vtool_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	while ((opt = getopt(argc, argv, "w:p:l:g:t:Q:C:Uqh")) != -1) {
		switch (opt) {
		case 'p':
			prefix_len = strlen(optarg);
			while (prefix_len > 1 && optarg[prefix_len - 1] == '/')
				prefix_len--;
			if (optarg[0] != '/' || prefix_len > VIO_NAME_MAX) {
				fprintf(stderr, "vfsd: -p wants an absolute prefix like /files\n");
				return 2;
			}
			memcpy(prefix, optarg, prefix_len);
			break;
		case 'g':
			if (vtool_parse_u64(optarg, 1, UINT64_MAX, &group) || !v_id_is_group(group)) {
				fprintf(stderr, "vfsd: -g wants a group id, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (vtool_parse_u64(optarg, 1, VD_THREADS_MAX, &v)) {
				fprintf(stderr, "vfsd: -t wants 1..%d, not '%s'\n", VD_THREADS_MAX, optarg);
				return 2;
			}
			threads = (int)v;
			break;
		case 'U':
			as_users = 1;
			break;
		case 'Q':
			if (vtool_parse_u64(optarg, 1, INST_MAX, &v)) {
				fprintf(stderr, "vfsd: -Q wants 1..%d, not '%s'\n", INST_MAX, optarg);
				return 2;
			}
			quota = (unsigned int)v;
			break;
		case 'C':
			if (vtool_parse_u64(optarg, 0, HOLD_QUOTA_DEFAULT, &v)) {
				fprintf(stderr, "vfsd: -C wants 0..%d, not '%s'\n", HOLD_QUOTA_DEFAULT,
					optarg);
				return 2;
			}
			hold_quota = (unsigned int)v;
			break;
		default:
			rc = vd_option(&vd, opt, optarg, &lid, &writers, usage);
			if (rc != VD_CONTINUE)
				return rc;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (as_users && geteuid() != 0) {
		fprintf(stderr, "vfsd: -U needs root (it acts as each request's user)\n");
		return 2;
	}
	/* Modes are the client's: its kernel has applied its caller's umask. */
	umask(0);
	own_ngroups = getgroups(64, own_groups);
	if (own_ngroups < 0)
		own_ngroups = 0;
	dir = argv[optind];
	rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		fprintf(stderr, "vfsd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < INST_MAX; i++)
		insts[i].fd = -1;
	vfsd_hold_init();
	raise_fd_limit();
	read_reply_seg_max();
	root_context = context_new();
	vd.handle = handle;
	vd.notice = inst_reclaim;
	if (vd_open(&vd) || (lid && vd_register(&vd, (uint32_t)lid, V_SCOPE_BOTH)) ||
	    (prefix_len && vd_join(&vd, V_GROUP_NAME_HANDLERS, "the name-handling group")) ||
	    (group && vd_join(&vd, group, "the file-server group")))
		return 1;
	printf("vfsd: serving %s as 0x%016" PRIx64 "\n", dir, vd.self);
	fflush(stdout);
	if (!vd.quiet)
		vd_log(&vd, "%d threads, %s%s (context %08" PRIx32 ")%s, %d writer uid(s)", threads,
		       prefix_len ? "prefix " : "no prefix", prefix_len ? prefix : "",
		       root_context, group ? ", replicated" : "", writers.n);
	return vd_run(&vd, threads);
}
