// SPDX-License-Identifier: LGPL-2.1-or-later
/* libv: the V IPC primitives, one thin wrapper per ioctl. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include "libv.h"

#define V_PTR(p) ((__u64)(uintptr_t)(p))

static int v_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

int v_send_ex(int fd, struct v_send *s)
{
	return v_ioctl(fd, V_IOC_SEND, s);
}

int v_send_seg(int fd, uint64_t dst, struct v_msg *msg, void *seg, size_t len,
	       unsigned int access)
{
	struct v_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.seg_addr = V_PTR(seg);
	s.seg_len = len;
	s.seg_access = len ? access : 0;
	s.msg = *msg;
	ret = v_send_ex(fd, &s);
	if (ret == 0)
		*msg = s.msg;
	return ret;
}

int v_send(int fd, uint64_t dst, struct v_msg *msg)
{
	return v_send_seg(fd, dst, msg, NULL, 0, 0);
}

int v_receive_ex(int fd, struct v_receive *r)
{
	return v_ioctl(fd, r->buf_len ? V_IOC_RECEIVE_SEG : V_IOC_RECEIVE, r);
}

int v_receive(int fd, struct v_msg *msg, uint64_t *sender)
{
	struct v_receive r;
	int ret;

	memset(&r, 0, sizeof(r));
	ret = v_ioctl(fd, V_IOC_RECEIVE, &r);
	if (ret == 0) {
		*msg = r.msg;
		if (sender)
			*sender = r.sender;
	}
	return ret;
}

int v_receive_with_segment(int fd, struct v_msg *msg, uint64_t *sender,
			   void *buf, size_t len)
{
	struct v_receive r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.buf_addr = V_PTR(buf);
	r.buf_len = len;
	ret = v_ioctl(fd, V_IOC_RECEIVE_SEG, &r);
	if (ret < 0)
		return ret;
	*msg = r.msg;
	if (sender)
		*sender = r.sender;
	return (int)r.copied;
}

static void v_fill_reply(struct v_reply *r, uint64_t dst, const struct v_msg *msg,
			 uint64_t offset, const void *src, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->dst = dst;
	r->seg_offset = offset;
	r->src_addr = V_PTR(src);
	r->src_len = len;
	if (msg)
		r->msg = *msg;
}

int v_reply(int fd, uint64_t dst, const struct v_msg *msg)
{
	struct v_reply r;

	v_fill_reply(&r, dst, msg, 0, NULL, 0);
	return v_ioctl(fd, V_IOC_REPLY, &r);
}

int v_reply_with_segment(int fd, uint64_t dst, const struct v_msg *msg,
			 uint64_t offset, const void *src, size_t len)
{
	struct v_reply r;

	v_fill_reply(&r, dst, msg, offset, src, len);
	return v_ioctl(fd, V_IOC_REPLY_SEG, &r);
}

int v_reply_receive(int fd, uint64_t reply_to, const struct v_msg *reply,
		    struct v_receive *r)
{
	struct v_reply_receive rr;
	int ret;

	v_fill_reply(&rr.reply, reply_to, reply, 0, NULL, 0);
	rr.recv = *r;
	ret = v_ioctl(fd, V_IOC_REPLY_RECEIVE, &rr);
	if (ret == 0)
		*r = rr.recv;
	return ret;
}

int v_reply_receive_ex(int fd, struct v_reply_receive *rr)
{
	return v_ioctl(fd, V_IOC_REPLY_RECEIVE, rr);
}

int v_forward(int fd, uint64_t from, uint64_t to, const struct v_msg *msg)
{
	struct v_forward f;

	memset(&f, 0, sizeof(f));
	f.from = from;
	f.to = to;
	f.msg = *msg;
	return v_ioctl(fd, V_IOC_FORWARD, &f);
}

static int v_move(int fd, unsigned long cmd, uint64_t pid, uint64_t offset,
		  const void *buf, size_t len)
{
	struct v_move m;

	memset(&m, 0, sizeof(m));
	m.pid = pid;
	m.offset = offset;
	m.addr = V_PTR(buf);
	m.len = len;
	return v_ioctl(fd, cmd, &m);
}

int v_move_to(int fd, uint64_t pid, uint64_t offset, const void *src, size_t len)
{
	return v_move(fd, V_IOC_MOVE_TO, pid, offset, src, len);
}

int v_move_from(int fd, uint64_t pid, uint64_t offset, void *dst, size_t len)
{
	return v_move(fd, V_IOC_MOVE_FROM, pid, offset, dst, len);
}

int v_set_pid(int fd, uint32_t logical_id, uint64_t pid, unsigned int scope)
{
	struct v_pid p;

	memset(&p, 0, sizeof(p));
	p.logical_id = logical_id;
	p.pid = pid;
	p.scope = scope;
	return v_ioctl(fd, V_IOC_SET_PID, &p);
}

int v_get_pid(int fd, uint32_t logical_id, unsigned int scope, uint64_t *pid)
{
	struct v_pid p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.logical_id = logical_id;
	p.scope = scope;
	ret = v_ioctl(fd, V_IOC_GET_PID, &p);
	if (ret == 0)
		*pid = p.pid;
	return ret;
}

static int v_watch_ioctl(int fd, unsigned long cmd, uint64_t id, uint64_t cookie)
{
	struct v_watch w;

	memset(&w, 0, sizeof(w));
	w.id = id;
	w.cookie = cookie;
	return v_ioctl(fd, cmd, &w);
}

int v_watch(int fd, uint64_t id, uint64_t cookie)
{
	return v_watch_ioctl(fd, V_IOC_WATCH, id, cookie);
}

int v_unwatch(int fd, uint64_t id)
{
	return v_watch_ioctl(fd, V_IOC_UNWATCH, id, 0);
}

int v_notify(int fd, unsigned int flags)
{
	struct v_notify n;

	memset(&n, 0, sizeof(n));
	n.flags = flags;
	return v_ioctl(fd, V_IOC_NOTIFY, &n);
}

int v_pulse(int fd, uint64_t dst, const struct v_msg *msg)
{
	struct v_pulse p;

	memset(&p, 0, sizeof(p));
	p.dst = dst;
	p.msg = *msg;
	return v_ioctl(fd, V_IOC_PULSE, &p);
}

int v_set_opts(int fd, unsigned int flags)
{
	struct v_opts o;

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	return v_ioctl(fd, V_IOC_SET_OPTS, &o);
}
