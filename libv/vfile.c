// SPDX-License-Identifier: LGPL-2.1-or-later
/* libv: client stubs of the V I/O protocol (<vio.h>), with rebinding. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "libv_services.h"

/* Bytes one READ / WRITE Send moves at most (larger calls loop). */
#define VFILE_IO_MAX		(64U << 20)
/* How long a replicated write waits for the group's replies. */
#define VFILE_GROUP_WAIT_MS	2000
#define VFILE_MEMBERS_MAX	64

enum vfile_bind { BIND_FIXED, BIND_LID, BIND_NAME, BIND_GROUP };

struct v_file {
	int fd;
	enum vfile_bind bind;
	uint32_t lid;
	uint64_t group;		/* BIND_GROUP: the replicas' group */
	uint64_t server;
	uint32_t context;
	size_t rel;		/* offset of the part of name the server sees */
	uint32_t inst;
	uint32_t type;
	unsigned int flags;
	char name[];
};

/* Send with a segment, a timeout and the replier; the kernel's result. */
static int vfile_send_seg(int fd, uint64_t dst, struct v_msg *m, void *seg, size_t len,
			  unsigned int access, uint64_t timeout_ns, uint64_t *replier)
{
	struct v_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.msg = *m;
	s.seg_addr = (uintptr_t)seg;
	s.seg_len = len;
	s.seg_access = len ? access : 0;
	s.timeout_ns = timeout_ns;
	ret = v_send_ex(fd, &s);
	if (ret == 0)
		*m = s.msg;
	if (replier)
		*replier = ret == 0 ? s.replier : 0;
	return ret;
}

/* One member's WRITE_NAMED result: 0 or -errno. */
static int vfile_send_named(int fd, uint64_t dst, struct v_msg *m, void *seg, size_t len,
			    uint64_t timeout_ns, uint64_t *replier)
{
	int ret = vfile_send_seg(fd, dst, m, seg, len, V_SEG_READ, timeout_ns, replier);

	return ret < 0 ? ret : -v_reply_errno(v_msg_code(m));
}

static uint64_t v_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int stale(int ret, const struct v_msg *m, int instance_op)
{
	return ret == -ESRCH || ret == -EHOSTUNREACH ||
	       (ret == 0 && instance_op && v_msg_code(m) == V_NOT_FOUND);
}

/* Find the server for f: by name, by logical id, or keep the fixed one. */
static int vfile_bind(struct v_file *f, int fresh)
{
	struct v_name_binding b;
	int ret;

	switch (f->bind) {
	case BIND_NAME:
		if (fresh)
			v_name_forget(f->server);
		ret = v_name_lookup(f->fd, f->name, fresh ? V_NAME_NOCACHE : 0, &b);
		if (ret < 0)
			return ret;
		f->server = b.manager;
		f->context = b.local;
		f->rel = b.prefix_len;
		return 0;
	case BIND_LID:
		return v_get_pid(f->fd, f->lid, V_SCOPE_BOTH, &f->server);
	case BIND_GROUP:
		f->server = f->group;	/* the next open asks every replica */
		return 0;
	default:
		return fresh ? -ESRCH : 0;
	}
}

/*
 * After a request to a group of replicas (first reply in *m, from who):
 * collect the further replies for V_NAME_WINDOW_MS, bind f to the first
 * member that answered V_OK (its reply into *m), and close the instances
 * the other members opened for an OPEN.
 */
static void vfile_group_pick(struct v_file *f, uint16_t code, struct v_msg *m, uint64_t who)
{
	uint64_t ids[VFILE_MEMBERS_MAX], now, end;
	struct v_msg r[VFILE_MEMBERS_MAX];
	int n = 0, i, pick = -1;

	r[n] = *m;
	ids[n++] = who;
	end = v_now_ns() + (uint64_t)V_NAME_WINDOW_MS * 1000000;
	while (n < VFILE_MEMBERS_MAX && (now = v_now_ns()) < end &&
	       v_get_reply(f->fd, &r[n], &ids[n], end - now) == 0)
		n++;
	for (i = 0; i < n; i++) {
		if (v_msg_code(&r[i]) != V_OK)
			continue;
		if (pick < 0) {
			pick = i;
		} else if (code == VIO_OPEN) {
			struct v_msg c = vio_reply_code(VIO_CLOSE);

			v_msg_put32(&c, 4, v_msg_get32(&r[i], 4));
			v_send(f->fd, ids[i], &c);
		}
	}
	if (pick >= 0) {
		*m = r[pick];
		f->server = ids[pick];
	}
}

/* Send a request naming f's name (OPEN, REMOVE); the reply in *m. */
static int vfile_named(struct v_file *f, uint16_t code, uint16_t flags, struct v_msg *m)
{
	uint64_t who = 0;
	const char *rel;
	size_t len;
	int tries, ret, seg;

	for (tries = 0;; tries++) {
		rel = f->name + f->rel;
		if (!*rel)
			rel = "/";	/* the name is the prefix itself: the root */
		len = strlen(rel);
		memset(m, 0, sizeof(*m));
		v_msg_set_code(m, code);
		v_msg_put16(m, VIO_FLAGS_OFF, flags);
		v_msg_put32(m, VIO_CONTEXT_OFF, f->context);
		seg = vio_name_put(m, rel, len);
		if (seg < 0)
			return seg;
		ret = vfile_send_seg(f->fd, f->server, m, seg ? (void *)rel : NULL, seg ? len : 0,
				     V_SEG_READ, 0, &who);
		if (ret == 0 && v_id_is_group(f->server))
			vfile_group_pick(f, code, m, who);
		if (!stale(ret, m, 0) || tries || f->bind == BIND_FIXED)
			break;
		if (vfile_bind(f, 1) < 0)
			break;
	}
	if (ret < 0)
		return ret;
	return -v_reply_errno(v_msg_code(m));
}

static int vfile_open_instance(struct v_file *f, unsigned int flags)
{
	struct v_msg m;
	int ret = vfile_named(f, VIO_OPEN, (uint16_t)flags, &m);

	if (ret < 0)
		return ret;
	f->type = v_msg_get16(&m, 2);
	f->inst = v_msg_get32(&m, 4);
	return 0;
}

/* A request on f's instance; rebinds and reopens once when f went stale. */
static int vfile_call(struct v_file *f, struct v_msg *m, void *seg, size_t len,
		      unsigned int access)
{
	struct v_msg req = *m;
	int tries, ret;

	for (tries = 0;; tries++) {
		v_msg_put32(m, 4, f->inst);
		ret = v_send_seg(f->fd, f->server, m, seg, len, len ? access : 0);
		if (!stale(ret, m, 1) || tries || f->bind == BIND_FIXED)
			break;
		if (vfile_bind(f, 1) < 0 ||
		    vfile_open_instance(f, f->flags & ~(VIO_O_CREATE | VIO_O_TRUNC | VIO_O_EXCL)) < 0)
			break;
		*m = req;
	}
	if (ret < 0)
		return ret;
	return -v_reply_errno(v_msg_code(m));
}

static int vfile_new(int fd, enum vfile_bind bind, uint64_t server, uint32_t lid,
		     const char *name, struct v_file **out)
{
	size_t len = strlen(name);
	struct v_file *f;
	int ret;

	if (len == 0 || len > VIO_NAME_MAX)
		return -EINVAL;
	f = calloc(1, sizeof(*f) + len + 1);
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->bind = bind;
	f->server = server;
	f->group = bind == BIND_GROUP ? server : 0;
	f->lid = lid;
	memcpy(f->name, name, len + 1);
	ret = vfile_bind(f, 0);
	if (ret < 0) {
		free(f);
		return ret;
	}
	*out = f;
	return 0;
}

int v_file_adopt(int fd, uint64_t server, uint32_t instance, uint32_t type, struct v_file **out)
{
	struct v_file *f;

	if (!server || v_id_is_group(server) || !instance)
		return -EINVAL;
	f = calloc(1, sizeof(*f) + 1);
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->bind = BIND_FIXED;
	f->server = server;
	f->inst = instance;
	f->type = type;
	*out = f;
	return 0;
}

static enum vfile_bind vfile_bind_of(uint64_t server)
{
	return !server ? BIND_LID : v_id_is_group(server) ? BIND_GROUP : BIND_FIXED;
}

static int vfile_open(struct v_file *f, unsigned int flags, struct v_file **out)
{
	int ret;

	if (flags & ~VIO_O_MASK) {
		free(f);
		return -EINVAL;
	}
	f->flags = flags;
	ret = vfile_open_instance(f, flags);
	if (ret < 0) {
		free(f);
		return ret;
	}
	*out = f;
	return 0;
}

int v_file_open(int fd, const char *name, unsigned int flags, struct v_file **out)
{
	struct v_file *f;
	int ret = vfile_new(fd, BIND_NAME, 0, 0, name, &f);

	return ret < 0 ? ret : vfile_open(f, flags, out);
}

int v_file_open_on(int fd, uint64_t server, uint32_t lid, const char *name,
		   unsigned int flags, struct v_file **out)
{
	struct v_file *f;
	int ret = vfile_new(fd, vfile_bind_of(server), server, lid, name, &f);

	return ret < 0 ? ret : vfile_open(f, flags, out);
}

static int vfile_remove(struct v_file *f)
{
	struct v_msg m;
	int ret = vfile_named(f, VIO_REMOVE, 0, &m);

	free(f);
	return ret;
}

int v_file_remove(int fd, const char *name)
{
	struct v_file *f;
	int ret = vfile_new(fd, BIND_NAME, 0, 0, name, &f);

	return ret < 0 ? ret : vfile_remove(f);
}

int v_file_remove_on(int fd, uint64_t server, uint32_t lid, const char *name)
{
	struct v_file *f;
	int ret = vfile_new(fd, vfile_bind_of(server), server, lid, name, &f);

	return ret < 0 ? ret : vfile_remove(f);
}

/*
 * READ / WRITE (or their block forms: pos and n in blocks) of n units at
 * pos, VFILE_IO_MAX bytes per Send.  The byte count, or -errno.
 */
static int64_t vfile_rw(struct v_file *f, uint16_t code, void *buf, uint64_t pos,
			uint64_t n, unsigned int unit)
{
	unsigned int access = code == VIO_READ || code == VIO_READ_BLOCK ? V_SEG_WRITE : V_SEG_READ;
	uint64_t done = 0, chunk, got;
	struct v_msg m;
	int ret;

	while (done < n) {
		chunk = n - done;
		if (chunk * unit > VFILE_IO_MAX)
			chunk = VFILE_IO_MAX / unit;
		memset(&m, 0, sizeof(m));
		v_msg_set_code(&m, code);
		v_msg_put64(&m, 8, pos + done);
		v_msg_put64(&m, 16, chunk);
		ret = vfile_call(f, &m, (char *)buf + done * unit, chunk * unit, access);
		if (ret == -ENODATA)
			break;		/* V_END_OF_FILE */
		if (ret < 0)
			return done ? (int64_t)(done * unit) : ret;
		got = v_msg_get64(&m, 8);
		if (got > chunk * unit)
			return -EPROTO;
		done += got / unit;
		if (got < chunk * unit)
			return (int64_t)(done * unit + got % unit);
	}
	return (int64_t)(done * unit);
}

int64_t v_file_read(struct v_file *f, void *buf, size_t len, uint64_t off)
{
	return vfile_rw(f, VIO_READ, buf, off, len, 1);
}

int64_t v_file_write(struct v_file *f, const void *buf, size_t len, uint64_t off)
{
	return vfile_rw(f, VIO_WRITE, (void *)buf, off, len, 1);
}

int64_t v_file_read_blocks(struct v_file *f, void *buf, uint64_t first, uint64_t count)
{
	return vfile_rw(f, VIO_READ_BLOCK, buf, first, count, VIO_BLOCK_SIZE);
}

int64_t v_file_write_blocks(struct v_file *f, const void *buf, uint64_t first, uint64_t count)
{
	return vfile_rw(f, VIO_WRITE_BLOCK, (void *)buf, first, count, VIO_BLOCK_SIZE);
}

int v_file_query(struct v_file *f, struct v_file_info *info)
{
	struct v_msg m;
	int ret;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VIO_QUERY);
	ret = vfile_call(f, &m, NULL, 0, 0);
	if (ret < 0)
		return ret;
	info->type = v_msg_get16(&m, 2);
	info->mode = v_msg_get32(&m, 4);
	info->size = v_msg_get64(&m, 8);
	info->mtime_ns = v_msg_get64(&m, 16);
	info->ctime_ns = v_msg_get64(&m, 24);
	return 0;
}

int v_file_list(struct v_file *f, uint64_t *cursor, struct v_dirent *ents, unsigned int max)
{
	size_t cap = (size_t)max * (sizeof(struct vio_dirent) + 256), pos = 0;
	unsigned int n = 0, count;
	struct vio_dirent d;
	struct v_msg m;
	uint8_t *buf;
	uint32_t used;
	int ret;

	if (max == 0)
		return 0;
	if (cap > (64U << 10))
		cap = 64U << 10;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VIO_LIST);
	v_msg_put64(&m, 8, *cursor);
	v_msg_put32(&m, 16, (uint32_t)cap);
	v_msg_put32(&m, 20, max);
	ret = vfile_call(f, &m, buf, cap, V_SEG_WRITE);
	if (ret == -ENODATA) {
		free(buf);
		return 0;
	}
	if (ret < 0) {
		free(buf);
		return ret;
	}
	used = v_msg_get32(&m, 16);
	count = v_msg_get32(&m, 20);
	while (n < count && n < max && pos + sizeof(d) <= used) {
		memcpy(&d, buf + pos, sizeof(d));
		if (le16toh(d.reclen) < sizeof(d) + d.name_len || pos + le16toh(d.reclen) > used)
			break;
		ents[n].size = le64toh(d.size);
		ents[n].mtime_ns = le64toh(d.mtime_ns);
		ents[n].type = d.type;
		memcpy(ents[n].name, buf + pos + sizeof(d), d.name_len);
		ents[n].name[d.name_len] = '\0';
		pos += le16toh(d.reclen);
		n++;
	}
	free(buf);
	if (n != count)
		return -EPROTO;
	*cursor = v_msg_get64(&m, 8);
	return (int)n;
}

int v_file_close(struct v_file *f)
{
	struct v_msg m;
	int ret;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, VIO_CLOSE);
	v_msg_put32(&m, 4, f->inst);
	ret = v_send(f->fd, f->server, &m);
	if (ret == 0)
		ret = -v_reply_errno(v_msg_code(&m));
	free(f);
	return ret;
}

uint64_t v_file_server(const struct v_file *f)
{
	return f->server;
}

uint32_t v_file_instance(const struct v_file *f)
{
	return f->inst;
}

int v_file_write_group(int fd, uint64_t group, const char *name, unsigned int flags,
		       const void *buf, size_t len, uint64_t off,
		       struct v_replica_result *res, unsigned int max, unsigned int *failed)
{
	uint64_t ids[VFILE_MEMBERS_MAX], who;
	int err[VFILE_MEMBERS_MAX], got[VFILE_MEMBERS_MAX];
	size_t nlen = strlen(name);
	struct v_msg req, m;
	int n, i, ret, left;
	unsigned int bad = 0;
	char *seg;

	if (nlen == 0 || nlen > VIO_NAME_MAX || len > UINT32_MAX || (flags & ~VIO_O_MASK))
		return -EINVAL;
	n = v_group_members(fd, group, ids, VFILE_MEMBERS_MAX, 0);
	if (n < 0)
		return n;
	if (n > VFILE_MEMBERS_MAX)
		return -E2BIG;
	if (n == 0)
		return -ESRCH;
	seg = malloc(nlen + len);
	if (!seg)
		return -ENOMEM;
	memcpy(seg, name, nlen);
	if (len)
		memcpy(seg + nlen, buf, len);
	memset(&req, 0, sizeof(req));
	v_msg_set_code(&req, VIO_WRITE_NAMED);
	v_msg_put16(&req, VIO_FLAGS_OFF, (uint16_t)flags);
	v_msg_put16(&req, VIO_NAME_LEN_OFF, (uint16_t)nlen);
	v_msg_put32(&req, VIO_WN_DATA_LEN_OFF, (uint32_t)len);
	v_msg_put64(&req, VIO_WN_OFFSET_OFF, off);
	for (i = 0; i < n; i++)
		got[i] = 0;
	m = req;
	ret = vfile_send_named(fd, group, &m, seg, nlen + len, 0, &who);
	left = n;
	while (who) {
		for (i = 0; i < n; i++)
			if (ids[i] == who && !got[i]) {
				got[i] = 1;
				err[i] = ret;
				left--;
			}
		if (!left)
			break;
		who = 0;
		ret = v_get_reply(fd, &m, &who, (uint64_t)VFILE_GROUP_WAIT_MS * 1000000);
		if (ret < 0)
			break;		/* ETIMEDOUT or closed: the rest is asked directly */
		ret = -v_reply_errno(v_msg_code(&m));
	}
	/* Members that did not answer or could not read the data: once more, directly. */
	for (i = 0; i < n; i++) {
		int direct = !got[i] || err[i] == -EFAULT || err[i] == -EAGAIN;

		if (direct) {
			m = req;
			err[i] = vfile_send_named(fd, ids[i], &m, seg, nlen + len,
						  (uint64_t)VFILE_GROUP_WAIT_MS * 1000000, NULL);
		}
		if (err[i] < 0)
			bad++;
		if ((unsigned int)i < max) {
			res[i].member = ids[i];
			res[i].error = err[i];
			res[i].direct = direct;
		}
	}
	free(seg);
	if (failed)
		*failed = bad;
	return n;
}
