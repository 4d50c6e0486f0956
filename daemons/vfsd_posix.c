// SPDX-License-Identifier: GPL-2.0
/*
 * vfsd's POSIX requests (<vio.h>, "the argument layout"): what a file
 * system client such as vfs needs beyond OPEN/READ/WRITE/LIST -- stat,
 * setattr, create with a mode, mkdir, unlink/rmdir, rename, link,
 * symlink, readlink, fsync, statfs and locks.
 *
 * Every name is resolved beneath the served root as OPEN's are: the parent
 * directory is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 * and the last component is acted on with the *at() call, never followed
 * when it is a symlink (the client resolves symlinks, in its own root).
 * The caller (vfsd.c) has already switched the thread to the request's
 * identity (vfsd -U), so the kernel's own permission checks apply.
 */
#include <endian.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "vfsd.h"

_Static_assert(sizeof(struct vio_args) == VIO_ARGS_SIZE, "vio_args is the wire size");
_Static_assert(sizeof(struct vio_attr) == VIO_ATTR_SIZE, "vio_attr is the wire size");
_Static_assert(sizeof(struct vio_statfs) == VIO_STATFS_SIZE, "vio_statfs is the wire size");

/* A request's parsed arguments: names NUL-terminated, name2 maybe empty. */
struct preq {
	struct vio_args a;
	unsigned int flags;
	uint64_t cache;		/* the client's cache process, or 0 */
	char name[VIO_NAME_MAX + 1];
	char name2[VIO_NAME_MAX + 1];
};

/* Parse r's argument layout into p; 0 or a reply code. */
static int preq_parse(const struct v_receive *r, const void *seg, struct preq *p)
{
	size_t n1 = v_msg_get16(&r->msg, VIO_NAME_LEN_OFF);
	size_t n2 = v_msg_get16(&r->msg, VIO_ARG_NAME2_LEN_OFF);

	if (n1 > VIO_NAME_MAX || n2 > VIO_NAME_MAX)
		return V_BAD_ARGS;
	if (vio_segment_get(vd.fd, r, seg, 0, VIO_ARGS_SIZE, &p->a) ||
	    vio_segment_get(vd.fd, r, seg, VIO_ARGS_SIZE, n1, p->name) ||
	    vio_segment_get(vd.fd, r, seg, VIO_ARGS_SIZE + n1, n2, p->name2))
		return V_BAD_BUFFER;
	p->name[n1] = '\0';
	p->name2[n2] = '\0';
	if (strlen(p->name) != n1 || strlen(p->name2) != n2)
		return V_BAD_ARGS;	/* a NUL inside a name */
	p->flags = v_msg_get16(&r->msg, VIO_FLAGS_OFF);
	return vfsd_hold_cache_of(r, &p->cache);
}

/*
 * A client that caches (p->cache) holds the regular file last names in
 * dirfd (or fd, last NULL) from now on (how: HOLD_LOOK, HOLD_OPEN); before
 * its attributes are read for the answer, so that a change after them
 * revokes them.  vfsd_hold_add()'s answer, or HOLD_REFUSED (not cached;
 * not a regular file).
 */
static int hold_file(const struct preq *p, int fd, const char *last, int how)
{
	struct stat st;

	if (!p->cache ||
	    fstatat(fd, last ? last : "", &st, last ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) < 0 ||
	    !S_ISREG(st.st_mode))
		return HOLD_REFUSED;
	return vfsd_hold_add(p->cache, (uint64_t)st.st_dev, (uint64_t)st.st_ino, how);
}

/* The file last names in dirfd (or fd) changed: its holders but the
 * changer are revoked. */
static void changed(const struct preq *p, int fd, const char *last)
{
	struct stat st;

	if (fstatat(fd, last ? last : "", &st, last ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) == 0)
		vfsd_hold_revoke((uint64_t)st.st_dev, (uint64_t)st.st_ino, p->cache, 0);
}

/*
 * Split name into its parent (opened beneath the root, O_PATH) and its
 * last component (*last, inside name).  An empty name, "." or ".." as the
 * last component: V_BAD_ARGS (the root has no parent here).
 */
static int parent_open(char *name, int *pfd, const char **last)
{
	char *p, *slash;
	int e;

	for (p = name + strlen(name); p > name && p[-1] == '/'; )
		*--p = '\0';
	slash = strrchr(name, '/');
	if (slash) {
		*slash = '\0';
		*last = slash + 1;
	} else {
		*last = name;
	}
	if (!**last || !strcmp(*last, ".") || !strcmp(*last, ".."))
		return V_BAD_ARGS;
	if (strlen(*last) > VIO_NAME_COMPONENT_MAX)
		return errno_code(ENAMETOOLONG);
	e = open_beneath(slash && slash != name ? name : ".", O_PATH | O_DIRECTORY, pfd);
	return e ? errno_code(e) : 0;
}

/*
 * A mode a request gives.  Without -U vfsd acts as itself (root, as like
 * as not) for everybody: no set-id or sticky bits then, or any writer
 * could make a set-user-id root program.
 */
static mode_t mode_of(const struct preq *p)
{
	return le32toh(p->a.mode) & (as_users ? 07777 : 0777);
}

static void attr_fill(const struct stat *st, struct vio_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = htole64((uint64_t)st->st_ino);
	a->size = htole64((uint64_t)st->st_size);
	a->blocks = htole64((uint64_t)st->st_blocks);
	a->atime_ns = htole64(ts_ns(&st->st_atim));
	a->mtime_ns = htole64(ts_ns(&st->st_mtim));
	a->ctime_ns = htole64(ts_ns(&st->st_ctim));
	a->mode = htole32((uint32_t)st->st_mode);
	a->nlink = htole32((uint32_t)st->st_nlink);
	a->uid = htole32((uint32_t)st->st_uid);
	a->gid = htole32((uint32_t)st->st_gid);
	a->blksize = htole32((uint32_t)st->st_blksize);
}

/* Answer with buf at segment offset 0 (the segment must take it). */
static int reply_seg(const struct v_receive *r, struct v_msg *reply, const void *buf, size_t len)
{
	int ret;

	if (!(r->seg_access & V_SEG_WRITE) || r->seg_len < len)
		return V_BAD_BUFFER;
	v_msg_set_code(reply, V_OK);
	ret = v_reply_with_segment(vd.fd, r->sender, reply, 0, buf, len);
	return ret == 0 || sender_gone(ret) ? -2 : V_BAD_BUFFER;
}

/*
 * Answer with the attributes of last in pfd (or of fd when last is NULL).
 * After a change (CREATE, MKDIR, ...) they come only when the segment has
 * room for them: the change is done either way.
 */
static int reply_attr(const struct v_receive *r, struct v_msg *reply, int fd, const char *last)
{
	struct vio_attr a;
	struct stat st;

	if (v_msg_code(&r->msg) != VIO_STAT &&
	    (!(r->seg_access & V_SEG_WRITE) || r->seg_len < sizeof(a)))
		return V_OK;
	if (fstatat(fd, last ? last : "", &st, last ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) < 0)
		return errno_code(errno);
	attr_fill(&st, &a);
	v_msg_put16(reply, 2, mode_type(st.st_mode));
	return reply_seg(r, reply, &a, sizeof(a));
}

static int do_stat(const struct v_receive *r, struct preq *p, struct inst *in,
		   struct v_msg *reply)
{
	const char *last;
	int pfd, ret;
	char *n = p->name;

	if (in) {
		if (in->cache &&
		    vfsd_hold_add(in->cache, in->dev, in->ino, HOLD_USE) == HOLD_GONE) {
			errno_code(ESTALE);	/* forgotten: it must drop first */
			return V_NO_PERMISSION;
		}
		return reply_attr(r, reply, in->fd, NULL);
	}
	while (*n == '/')
		n++;
	if (!*n)
		return reply_attr(r, reply, rootfd, NULL);
	ret = parent_open(n, &pfd, &last);
	if (ret)
		return ret;
	hold_file(p, pfd, last, HOLD_LOOK);
	ret = reply_attr(r, reply, pfd, last);
	close(pfd);
	return ret;
}

/* A time of the protocol (signed ns since the epoch) as utimensat's. */
static struct timespec ns_ts(uint64_t ns_in, int set, int now)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = UTIME_OMIT };
	int64_t ns = (int64_t)ns_in;

	if (now) {
		ts.tv_nsec = UTIME_NOW;
	} else if (set) {
		ts.tv_sec = (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		if (ts.tv_nsec < 0) {	/* before 1970: floor */
			ts.tv_sec--;
			ts.tv_nsec += 1000000000L;
		}
	}
	return ts;
}

/*
 * chmod last in pfd without following it: fchmodat() follows a symlink
 * (out of the served root, as like as not) and 6.1 has no fchmodat2(), so
 * the name is opened O_PATH | O_NOFOLLOW and changed through its
 * /proc/self/fd link, which names that very inode.  A symlink's mode
 * cannot change on Linux: EOPNOTSUPP, as fchmodat2 says.
 */
static int chmod_nofollow(int pfd, const char *last, mode_t mode)
{
	char proc[64];
	struct stat st;
	int fd, ret;

	fd = openat(pfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		errno = EOPNOTSUPP;
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ret = chmod(proc, mode);
	close(fd);
	return ret;
}

/*
 * Is this chmod the one a client's kernel sends before a write to a
 * set-id file (the same mode less its set-id bits), from a user who may
 * write it (an instance open for writing, or an open for writing as the
 * user)?  The kernel clears those bits for any writer; the owner's
 * permission is not needed, and vfsd does it as itself.
 */
static int kill_setid_only(const struct preq *p, int fd, const char *last, int writable)
{
	mode_t want = mode_of(p), cur;
	struct stat st;
	int wfd;

	if (fstatat(fd, last ? last : "", &st, last ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) ||
	    !S_ISREG(st.st_mode))
		return 0;
	cur = st.st_mode & 07777;
	if (!(cur & (S_ISUID | S_ISGID)) || want == cur || (want & ~cur) ||
	    (want | S_ISUID | S_ISGID) != (cur | S_ISUID | S_ISGID))
		return 0;
	if (!writable) {
		wfd = openat(fd, last, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (wfd < 0)
			return 0;
		close(wfd);
	}
	return 1;
}

/* chmod fd (an instance) or last in pfd, as vfsd itself when privileged. */
static int chmod_as(int fd, const char *last, mode_t mode, int privileged)
{
	int ret, e;

	if (privileged)
		vfsd_as_self(1);
	ret = last ? chmod_nofollow(fd, last, mode) : fchmod(fd, mode);
	e = errno;
	if (privileged && vfsd_as_self(0)) {
		errno = EPERM;
		return -1;
	}
	errno = e;
	return ret;
}

/* Apply p's SETATTR to fd (an instance, or the O_PATH parent pfd + last). */
static int setattr_apply(const struct preq *p, int fd, const char *last, int writable)
{
	unsigned int v = le32toh(p->a.valid);
	struct timespec ts[2];
	int tfd, e;

	if ((v & VIO_SET_MODE) &&
	    chmod_as(fd, last, mode_of(p), kill_setid_only(p, fd, last, writable)) < 0)
		return errno_code(errno);
	if ((v & (VIO_SET_UID | VIO_SET_GID)) &&
	    fchownat(fd, last ? last : "", (v & VIO_SET_UID) ? le32toh(p->a.uid) : (uid_t)-1,
		     (v & VIO_SET_GID) ? le32toh(p->a.gid) : (gid_t)-1,
		     last ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) < 0)
		return errno_code(errno);
	if (v & VIO_SET_SIZE) {
		if (le64toh(p->a.size) > INT64_MAX)
			return V_BAD_ARGS;
		tfd = fd;
		if (last) {
			e = openat(fd, last, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
			if (e < 0)
				return errno_code(errno);
			tfd = e;
		}
		e = ftruncate(tfd, (off_t)le64toh(p->a.size)) < 0 ? errno : 0;
		if (last)
			close(tfd);
		if (e)
			return errno_code(e);
	}
	if (v & (VIO_SET_ATIME | VIO_SET_MTIME | VIO_SET_ATIME_NOW | VIO_SET_MTIME_NOW)) {
		ts[0] = ns_ts(le64toh(p->a.atime_ns), v & VIO_SET_ATIME, v & VIO_SET_ATIME_NOW);
		ts[1] = ns_ts(le64toh(p->a.mtime_ns), v & VIO_SET_MTIME, v & VIO_SET_MTIME_NOW);
		if (utimensat(fd, last ? last : "", ts,
			      last ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) < 0)
			return errno_code(errno);
	}
	return 0;
}

/* Does name name the served root itself ("", "/", "//")? */
static int is_root(const char *name)
{
	return name[strspn(name, "/")] == '\0';
}

static int do_setattr(const struct v_receive *r, struct preq *p, struct inst *in,
		      struct v_msg *reply)
{
	const char *last = NULL;
	int fd, ret;

	if (le32toh(p->a.valid) & ~VIO_SET_MASK)
		return V_BAD_ARGS;
	if (!may_write(r) || (!as_users && (le32toh(p->a.valid) & (VIO_SET_UID | VIO_SET_GID))))
		return V_NO_PERMISSION;
	if (in) {
		fd = in->fd;
	} else if (is_root(p->name)) {
		/* the served root itself (chmod, touch of the mount's directory) */
		fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return errno_code(errno);
	} else {
		ret = parent_open(p->name, &fd, &last);
		if (ret)
			return ret;
	}
	ret = setattr_apply(p, fd, last, in && in->writable);
	changed(p, fd, last);	/* a part may have been applied before a failure */
	if (!ret)
		ret = reply_attr(r, reply, fd, last);
	if (!in)
		close(fd);
	return ret;
}

/*
 * What last names in pfd, before it is opened for real: only a regular
 * file may be (a device's open has effects of its own: a watchdog arms, a
 * tape rewinds).  0 (also when it does not exist yet) or a reply code.
 */
static int create_check(int pfd, const char *last, int dir_ok)
{
	struct stat st;
	int fd = openat(pfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : errno_code(errno);
	if (fstat(fd, &st) < 0)
		ret = errno_code(errno);
	else if (S_ISDIR(st.st_mode))
		ret = dir_ok ? 0 : errno_code(EISDIR);
	else if (!S_ISREG(st.st_mode))
		ret = S_ISLNK(st.st_mode) ? errno_code(ELOOP) : V_NOT_SUPPORTED;
	close(fd);
	return ret;
}

/* CREATE of a regular file: the opener holds it.  Its answer's
 * VIO_CACHED_* flags. */
static uint32_t cached_flags(const struct preq *p, int fd, const struct stat *st)
{
	int h;

	if (!S_ISREG(st->st_mode))
		return 0;
	h = hold_file(p, fd, NULL, HOLD_OPEN);
	if (h == HOLD_REFUSED)
		return 0;
	return VIO_CACHED_HELD | (h == HOLD_HAD && !(p->flags & VIO_O_TRUNC) ? VIO_CACHED_KEEP : 0);
}

/*
 * The instance CREATE opened (fd, st), and the answer.  Only an opener
 * granted a holding caches the file: only then is the instance its
 * cache's (its READs hold the file, its CLOSE lets the holding go).
 */
static int create_answer(const struct v_receive *r, const struct preq *p, int fd,
			 const struct stat *st, struct v_msg *reply)
{
	uint32_t cached = cached_flags(p, fd, st), id;
	uint64_t cache = (cached & VIO_CACHED_HELD) ? p->cache : 0;
	int ret;

	id = inst_new(fd, r, st, !!(p->flags & VIO_O_WRITE), cache);
	if (!id) {
		if (cache)
			vfsd_hold_close(cache, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
		close(fd);
		return V_NO_SERVER_RESOURCES;
	}
	v_msg_put16(reply, 2, mode_type(st->st_mode));
	v_msg_put32(reply, 4, id);
	v_msg_put32(reply, VIO_ARG_CACHED_OFF, cached);
	ret = reply_attr(r, reply, fd, NULL);
	if (ret != -2 && ret != V_OK)
		inst_drop(id, r->sender);	/* the client never learns of it */
	return ret;
}

static int do_create(const struct v_receive *r, struct preq *p, struct v_msg *reply)
{
	unsigned int f = p->flags;
	struct open_how how;
	const char *last;
	struct stat st;
	int pfd, fd, ret, dir_ok;

	if ((f & ~(VIO_O_MASK | VIO_O_APPEND)) || ((f & VIO_O_TRUNC) && !(f & VIO_O_WRITE)))
		return V_BAD_ARGS;
	if ((f & (VIO_O_WRITE | VIO_O_CREATE | VIO_O_TRUNC)) && !may_write(r))
		return V_NO_PERMISSION;
	/* A directory opens for reading only (LIST), as its opener. */
	dir_ok = !(f & (VIO_O_WRITE | VIO_O_CREATE | VIO_O_TRUNC | VIO_O_APPEND));
	ret = parent_open(p->name, &pfd, &last);
	if (ret == V_BAD_ARGS && dir_ok && is_root(p->name)) {
		pfd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		last = ".";
		ret = pfd < 0 ? errno_code(errno) : 0;
	}
	if (ret)
		return ret;
	ret = create_check(pfd, last, dir_ok);
	if (ret) {
		close(pfd);
		return ret;
	}
	memset(&how, 0, sizeof(how));
	how.flags = vio_oflags(f & VIO_O_MASK) | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
		    ((f & VIO_O_APPEND) ? O_APPEND : 0);
	how.mode = (f & VIO_O_CREATE) ? mode_of(p) : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, pfd, last, &how, sizeof(how));
	ret = fd < 0 ? errno_code(errno) : 0;
	close(pfd);
	if (ret)
		return ret;
	ret = fstat(fd, &st);
	/* truncated already, whatever fails below: holders drop it */
	if (!ret && (f & VIO_O_TRUNC))
		vfsd_hold_revoke((uint64_t)st.st_dev, (uint64_t)st.st_ino, p->cache, 0);
	if (ret < 0 || !(S_ISREG(st.st_mode) || (dir_ok && S_ISDIR(st.st_mode)))) {
		close(fd);	/* swapped since the check */
		return V_NOT_SUPPORTED;
	}
	return create_answer(r, p, fd, &st, reply);
}

/* MKDIR, SYMLINK: make last in its parent, then answer its attributes. */
static int do_make(const struct v_receive *r, struct preq *p, int dir, struct v_msg *reply)
{
	const char *last;
	int pfd, ret;

	if (!may_write(r))
		return V_NO_PERMISSION;
	if (!dir && !p->name2[0])
		return V_BAD_ARGS;
	ret = parent_open(p->name, &pfd, &last);
	if (ret)
		return ret;
	if (dir)
		ret = mkdirat(pfd, last, mode_of(p));
	else
		ret = symlinkat(p->name2, pfd, last);
	ret = ret < 0 ? errno_code(errno) : reply_attr(r, reply, pfd, last);
	close(pfd);
	return ret;
}

static int do_unlink(const struct v_receive *r, struct preq *p)
{
	const char *last;
	int pfd, ret, held;
	struct stat st;

	if (p->flags & ~VIO_UNLINK_DIR)
		return V_BAD_ARGS;
	if (!may_write(r))
		return V_NO_PERMISSION;
	ret = parent_open(p->name, &pfd, &last);
	if (ret)
		return ret;
	held = vfsd_hold_peek(pfd, last, &st) == 0;
	ret = unlinkat(pfd, last, (p->flags & VIO_UNLINK_DIR) ? AT_REMOVEDIR : 0);
	ret = ret < 0 ? errno_code(errno) : V_OK;
	close(pfd);
	if (ret == V_OK && held)
		vfsd_hold_revoke((uint64_t)st.st_dev, (uint64_t)st.st_ino, p->cache,
				 VIO_REVOKE_NAME);
	return ret;
}

/* RENAME and LINK: name -> name2, both beneath the root. */
static int do_rename(const struct v_receive *r, struct preq *p, int link)
{
	unsigned int rf = 0;
	const char *l1, *l2;
	int p1, p2, ret, h1, h2;
	struct stat s1, s2;

	if (p->flags & ~(link ? 0 : VIO_RENAME_NOREPLACE | VIO_RENAME_EXCHANGE))
		return V_BAD_ARGS;
	if (!may_write(r))
		return V_NO_PERMISSION;
	if (p->flags & VIO_RENAME_NOREPLACE)
		rf |= RENAME_NOREPLACE;
	if (p->flags & VIO_RENAME_EXCHANGE)
		rf |= RENAME_EXCHANGE;
	ret = parent_open(p->name, &p1, &l1);
	if (ret)
		return ret;
	ret = parent_open(p->name2, &p2, &l2);
	if (ret) {
		close(p1);
		return ret;
	}
	/* Both names' files change: the source's name (or link count), the
	 * target's existence. */
	h1 = vfsd_hold_peek(p1, l1, &s1) == 0;
	h2 = vfsd_hold_peek(p2, l2, &s2) == 0;
	ret = link ? linkat(p1, l1, p2, l2, 0) : renameat2(p1, l1, p2, l2, rf);
	ret = ret < 0 ? errno_code(errno) : V_OK;
	close(p1);
	close(p2);
	if (ret == V_OK && h1)
		vfsd_hold_revoke((uint64_t)s1.st_dev, (uint64_t)s1.st_ino, p->cache,
				 VIO_REVOKE_NAME);
	if (ret == V_OK && h2)
		vfsd_hold_revoke((uint64_t)s2.st_dev, (uint64_t)s2.st_ino, p->cache,
				 VIO_REVOKE_NAME);
	return ret;
}

static int do_readlink(const struct v_receive *r, struct preq *p, struct v_msg *reply)
{
	char target[VIO_NAME_MAX + 1];
	const char *last;
	ssize_t n;
	int pfd, ret;

	ret = parent_open(p->name, &pfd, &last);
	if (ret)
		return ret;
	n = readlinkat(pfd, last, target, sizeof(target));
	ret = n < 0 ? errno_code(errno) : 0;
	close(pfd);
	if (ret)
		return ret;
	if ((size_t)n > r->seg_len)
		n = (ssize_t)r->seg_len;	/* readlink(2) truncates too */
	v_msg_put64(reply, 8, (uint64_t)n);
	return reply_seg(r, reply, target, (size_t)n);
}

/* STATFS of the file system the name is on (another may be mounted
 * inside the export). */
static int do_statfs(const struct v_receive *r, const struct preq *p, struct v_msg *reply)
{
	struct vio_statfs s;
	struct statvfs sv;
	int fd, e;

	e = open_beneath(p->name[0] ? p->name : ".", O_PATH, &fd);
	if (e)
		return errno_code(e);
	e = fstatvfs(fd, &sv) < 0 ? errno : 0;
	close(fd);
	if (e)
		return errno_code(e);
	memset(&s, 0, sizeof(s));
	s.bsize = htole64(sv.f_bsize);
	s.frsize = htole64(sv.f_frsize);
	s.blocks = htole64(sv.f_blocks);
	s.bfree = htole64(sv.f_bfree);
	s.bavail = htole64(sv.f_bavail);
	s.files = htole64(sv.f_files);
	s.ffree = htole64(sv.f_ffree);
	s.namemax = htole64(sv.f_namemax);
	return reply_seg(r, reply, &s, sizeof(s));
}

static int do_fsync(struct preq *p, struct inst *in)
{
	if (p->flags & ~VIO_FSYNC_DATA)
		return V_BAD_ARGS;
	if (((p->flags & VIO_FSYNC_DATA) ? fdatasync(in->fd) : fsync(in->fd)) < 0)
		return errno_code(errno);
	return V_OK;
}

static short lock_type(uint32_t t)
{
	return t == VIO_LOCK_READ ? F_RDLCK : t == VIO_LOCK_WRITE ? F_WRLCK :
	       t == VIO_LOCK_UNLOCK ? F_UNLCK : -1;
}

/* flock(2) on the instance: never blocks (the client retries). */
static int lock_flock(const struct preq *p, struct inst *in)
{
	uint32_t t = le32toh(p->a.lock_type);
	int op = t == VIO_LOCK_READ ? LOCK_SH : t == VIO_LOCK_WRITE ? LOCK_EX : LOCK_UN;

	if (lock_type(t) < 0 || (p->flags & VIO_LOCK_TEST))
		return V_BAD_ARGS;
	/* As F_WRLCK needs a file open for writing: no exclusive lock that
	 * a reader of a read-only export could hold against everybody. */
	if (t == VIO_LOCK_WRITE && !in->writable)
		return V_NO_PERMISSION;
	if (flock(in->fd, op | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? V_RETRY : errno_code(errno);
	return V_OK;
}

static int do_lock(struct preq *p, struct inst *in, struct v_msg *reply)
{
	uint64_t start = le64toh(p->a.lock_start), len = le64toh(p->a.lock_len);
	struct flock fl;

	if (p->flags & ~(VIO_LOCK_TEST | VIO_LOCK_FLOCK))
		return V_BAD_ARGS;
	if (p->flags & VIO_LOCK_FLOCK)
		return lock_flock(p, in);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = lock_type(le32toh(p->a.lock_type));
	fl.l_whence = SEEK_SET;
	if (fl.l_type < 0 || start > INT64_MAX || len > INT64_MAX || start > INT64_MAX - len)
		return V_BAD_ARGS;
	fl.l_start = (off_t)start;
	fl.l_len = (off_t)len;
	if (p->flags & VIO_LOCK_TEST) {
		if (fcntl(in->fd, F_OFD_GETLK, &fl) < 0)
			return errno_code(errno);
		v_msg_put16(reply, 2, fl.l_type == F_RDLCK ? VIO_LOCK_READ :
				      fl.l_type == F_WRLCK ? VIO_LOCK_WRITE : VIO_LOCK_UNLOCK);
		v_msg_put64(reply, 8, (uint64_t)fl.l_start);
		v_msg_put64(reply, 16, (uint64_t)fl.l_len);
		return V_OK;
	}
	if (fcntl(in->fd, F_OFD_SETLK, &fl) < 0)
		return errno == EAGAIN || errno == EACCES ? V_RETRY : errno_code(errno);
	return V_OK;
}

int vfsd_posix(const struct v_receive *r, const void *seg, struct inst *in,
	       struct v_msg *reply)
{
	uint16_t code = v_msg_code(&r->msg);
	struct preq *p = malloc(sizeof(*p));
	int ret;

	if (!p)
		return V_NO_SERVER_RESOURCES;
	ret = preq_parse(r, seg, p);
	if (ret)
		goto out;
	if (!in && (code == VIO_FSYNC || code == VIO_LOCK)) {
		ret = V_NOT_FOUND;
		goto out;
	}
	/* Requests without flags of their own take none. */
	if (p->flags && code != VIO_CREATE && code != VIO_UNLINK && code != VIO_RENAME &&
	    code != VIO_FSYNC && code != VIO_LOCK) {
		ret = V_BAD_ARGS;
		goto out;
	}
	switch (code) {
	case VIO_STAT:		ret = do_stat(r, p, in, reply); break;
	case VIO_SETATTR:	ret = do_setattr(r, p, in, reply); break;
	case VIO_CREATE:	ret = do_create(r, p, reply); break;
	case VIO_MKDIR:		ret = do_make(r, p, 1, reply); break;
	case VIO_SYMLINK:	ret = do_make(r, p, 0, reply); break;
	case VIO_UNLINK:	ret = do_unlink(r, p); break;
	case VIO_RENAME:	ret = do_rename(r, p, 0); break;
	case VIO_LINK:		ret = do_rename(r, p, 1); break;
	case VIO_READLINK:	ret = do_readlink(r, p, reply); break;
	case VIO_FSYNC:		ret = do_fsync(p, in); break;
	case VIO_STATFS:	ret = do_statfs(r, p, reply); break;
	case VIO_LOCK:		ret = do_lock(p, in, reply); break;
	default:		ret = V_ILLEGAL_REQUEST; break;
	}
out:
	free(p);
	return ret;
}
