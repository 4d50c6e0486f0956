// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "local": V IPC between processes of one host — Send / Receive /
 * Reply, segments (ReceiveWithSegment, ReplyWithSegment, MoveTo,
 * MoveFrom), Forward, Reply-and-Receive, SetPid / GetPid, every error of
 * /work/notes/ipc-semantics.md, signals, stops and ptrace during Send,
 * shutdown and process death, poll, FIFO order and a stress run.
 *
 * Separate V processes are forked children, each with its own socket.
 * Children never use ASSERT: they report through pipes (struct cres) or
 * print a "# child ..." line and exit non-zero; every child gets an alarm()
 * and the fixture teardown kills and reaps whatever a failed test left.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include "vtest.h"
#include "vkids.h"
#include "kselftest_harness.h"

#define MS_WAIT		10000	/* ordinary bounded waits (scaled) */
#define REQ_CODE	0x0123
#define BAD_PTR		((void *)16)
#define KERNEL_PTR	((void *)0xffff888000000000ULL)


static uint64_t hash_pat(uint32_t seed, size_t len)
{
	uint64_t h = FNV_INIT;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ pat(seed, i)) * FNV_PRIME;
	return h;
}





/* ------------------------------------------------------------------------ */
/* A scripted client: one Send (or v_send_ex) from its own V process        */

struct cspec {
	uint64_t dst;
	uint64_t timeout_ns;
	size_t seg_len;
	unsigned int misalign;	/* segment starts this far into a page */
	unsigned int access;
	uint32_t seed;		/* segment pattern */
	uint16_t code;
	uint64_t arg;
	int sigmode;		/* 0; 1: SIGUSR1 handler; 2: with SA_RESTART */
	int hold;		/* wait for client_go() before the 2nd report */
	uid_t uid;		/* non-zero: setresuid/gid before the Send */
	gid_t gid;
	int fast_fill;		/* fill the segment with 0x5a (big segments) */
	int early;		/* report the child's id (u64) before the Send */
};

struct cres {
	int ret;
	int got_sig;
	int32_t pid;
	int32_t pad;
	uint64_t self;
	uint64_t replier;
	uint64_t hash;		/* of the whole segment after the Send */
	uint64_t elapsed_ns;
	struct v_msg msg;	/* after the Send */
};

struct client {
	pid_t pid;
	int rfd;
	int gofd;
};

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

static int set_usr1(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The request a client with spec s and process id pid sends. */
static struct v_msg req_msg(const struct cspec *s, pid_t pid)
{
	struct v_msg m = mk(s->code ? s->code : REQ_CODE, s->arg);

	v_msg_put32(&m, 16, (uint32_t)pid);
	v_msg_put32(&m, 20, s->seed);
	return m;
}

static void __attribute__((noreturn)) client_main(const struct cspec *s, int wfd, int gofd)
{
	struct cres res;
	struct v_send sv;
	uint8_t *base = NULL, *seg = NULL;
	size_t maplen = 0;
	uint64_t t0;
	int fd;
	char c;

	memset(&res, 0, sizeof(res));
	fd = v_open();
	CK(fd >= 0);
	CKEQ(0, v_self(fd, &res.self));
	if (s->seg_len) {
		maplen = ((s->seg_len + s->misalign + 4095) & ~4095UL) + 4096;
		base = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CK(base != MAP_FAILED);
		seg = base + s->misalign;
		if (s->fast_fill)
			memset(seg, 0x5a, s->seg_len);
		else
			fill(seg, s->seg_len, s->seed, 0);
	}
	if (s->sigmode)
		CKEQ(0, set_usr1(s->sigmode == 2));
	if (s->early)
		CK(write(wfd, &res.self, sizeof(res.self)) == sizeof(res.self));
	if (s->gid)
		CKEQ(0, setresgid(s->gid, s->gid, s->gid));
	if (s->uid)
		CKEQ(0, setresuid(s->uid, s->uid, s->uid));
	memset(&sv, 0, sizeof(sv));
	sv.dst = s->dst;
	sv.timeout_ns = s->timeout_ns;
	sv.seg_addr = (uintptr_t)seg;
	sv.seg_len = s->seg_len;
	sv.seg_access = s->access;
	sv.msg = req_msg(s, getpid());
	t0 = now_ns();
	res.ret = v_send_ex(fd, &sv);
	res.elapsed_ns = now_ns() - t0;
	res.got_sig = got_usr1;
	res.pid = getpid();
	res.replier = sv.replier;
	res.msg = sv.msg;
	res.hash = seg ? (s->fast_fill ? 0 : hash_buf(seg, s->seg_len)) : 0;
	CK(write(wfd, &res, sizeof(res)) == sizeof(res));
	if (s->hold) {
		CK(read(gofd, &c, 1) == 1);
		res.hash = seg ? hash_buf(seg, s->seg_len) : 0;
		CK(write(wfd, &res, sizeof(res)) == sizeof(res));
	}
	_exit(0);
}

static int spawn(const struct cspec *s, struct client *c)
{
	int p[2], g[2] = { -1, -1 };
	pid_t pid;

	if (pipe(p))
		return -1;
	if (s->hold && pipe(g))
		return -1;
	pid = kid_fork(0);
	if (pid == 0) {
		close(p[0]);
		if (g[1] >= 0)
			close(g[1]);
		client_main(s, p[1], g[0]);
	}
	close(p[1]);
	if (g[0] >= 0)
		close(g[0]);
	c->pid = pid;
	c->rfd = p[0];
	c->gofd = g[1];
	return pid > 0 ? 0 : -1;
}

static int client_result(struct client *c, struct cres *r)
{
	return vt_kid_read(c->rfd, r, sizeof(*r), 4 * MS_WAIT);
}

static void client_go(struct client *c)
{
	if (write(c->gofd, "g", 1) != 1)
		perror("client_go");
}

/* Close the pipes and reap: the child's exit code. */
static int client_end(struct client *c)
{
	close(c->rfd);
	if (c->gofd >= 0)
		close(c->gofd);
	return kid_wait(c->pid);
}

static struct cspec cs(uint64_t dst)
{
	struct cspec s;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.code = REQ_CODE;
	s.arg = 0x1122334455667788ULL;
	return s;
}

/* ------------------------------------------------------------------------ */
/* Receiving side helpers                                                   */

static int vopen_nb(void)
{
	int fd = v_open();

	if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Receive on the O_NONBLOCK socket fd, waiting up to ms (scaled): retries on
 * EAGAIN with short polls, so it works even if poll() were wrong.  With
 * buf/bl: ReceiveWithSegment.  -ETIME on timeout.
 */
static int recv_wait_seg(int fd, struct v_receive *r, void *buf, uint64_t bl, int ms)
{
	uint64_t ba = (uintptr_t)buf;
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	for (;;) {
		memset(r, 0, sizeof(*r));
		r->buf_addr = ba;
		r->buf_len = bl;
		ret = v_receive_ex(fd, r);
		if (ret != -EAGAIN)
			return ret;
		if (vt_now_ms() > end)
			return -ETIME;
		poll(&p, 1, 20);
	}
}

static int recv_wait(int fd, struct v_receive *r, int ms)
{
	return recv_wait_seg(fd, r, NULL, 0, ms);
}

/* Non-blocking Receive on an O_NONBLOCK socket: 0 or -errno. */
static int recv_now(int fd, struct v_receive *r)
{
	memset(r, 0, sizeof(*r));
	return v_receive_ex(fd, r);
}

static int pollin_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static uint64_t dead_id(void)
{
	int fd = v_open();
	uint64_t id = vt_id(fd);

	close(fd);
	return id;
}

static int send_to(int fd, uint64_t dst, struct v_msg *m, uint64_t timeout_ms)
{
	struct v_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.timeout_ns = timeout_ms * 1000000ULL * vt_scale();
	s.msg = *m;
	ret = v_send_ex(fd, &s);
	*m = s.msg;
	return ret;
}

/* A thread doing one Send or one Receive on a socket. */
struct op_thread {
	pthread_t th;
	int fd;
	int is_recv;
	uint64_t dst;
	uint64_t timeout_ns;
	uint64_t seg_addr;
	uint64_t seg_len;
	unsigned int seg_access;
	volatile pid_t tid;
	int ret;
	struct v_msg msg;
	struct v_receive r;
	uint64_t replier;
	int reply_after;	/* receive: reply with msg ^ 0xff afterwards */
	int reply_ret;
};

static void *op_thread_fn(void *p)
{
	struct op_thread *t = p;
	struct v_send s;

	t->tid = vt_gettid();
	if (t->is_recv) {
		memset(&t->r, 0, sizeof(t->r));
		t->ret = v_receive_ex(t->fd, &t->r);
		if (t->ret == 0 && t->reply_after) {
			struct v_msg m = mk(V_OK, v_msg_get64(&t->r.msg, 8) + 1);

			t->reply_ret = v_reply(t->fd, t->r.sender, &m);
		}
	} else {
		memset(&s, 0, sizeof(s));
		s.dst = t->dst;
		s.timeout_ns = t->timeout_ns;
		s.seg_addr = t->seg_addr;
		s.seg_len = t->seg_len;
		s.seg_access = t->seg_access;
		s.msg = t->msg;
		t->ret = v_send_ex(t->fd, &s);
		t->msg = s.msg;
		t->replier = s.replier;
	}
	return NULL;
}

static int op_start(struct op_thread *t)
{
	int64_t end = vt_now_ms() + MS_WAIT * vt_scale();

	t->tid = 0;
	if (pthread_create(&t->th, NULL, op_thread_fn, t))
		return -1;
	while (!t->tid && vt_now_ms() < end)
		usleep(1000);
	return t->tid ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* The fixture: one O_NONBLOCK V process for the test itself                */

FIXTURE(ipc) {
	int fd;
	uint64_t id;
	pid_t owner;
};

FIXTURE_SETUP(ipc)
{
	self->owner = getpid();
	nkids = 0;
	self->fd = vopen_nb();
	ASSERT_LE(0, self->fd) TH_LOG("v_open: %s", strerror(-self->fd));
	self->id = vt_id(self->fd);
	ASSERT_NE(0, self->id);
}

FIXTURE_TEARDOWN(ipc)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	if (self->fd >= 0)
		close(self->fd);
}

/* ======================================================================== */
/* Success paths                                                            */

TEST_F(ipc, send_receive_reply)
{
	struct cspec s = cs(self->id);
	struct v_msg reply, expect;
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	expect = req_msg(&s, c.pid);
	ASSERT_TRUE(msg_eq(&expect, &r.msg));
	reply = mk(V_OK, 0xdeadbeefcafef00dULL);
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(r.sender, res.self);
	ASSERT_EQ(self->id, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
	/* Replied: gone from the queue and from the held set. */
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, res.self, &reply));
}

/* v_send_ex's replier and every field of v_receive_ex, with non-root creds. */
TEST_F(ipc, receive_ex_fields_and_creds)
{
	struct cspec s = cs(self->id);
	struct v_msg reply;
	struct v_receive r;
	struct client c;
	struct cres res;

	s.seg_len = 777;
	s.misalign = 5;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.uid = 4321;
	s.gid = 1234;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_NE(0, r.sender);
	ASSERT_EQ(0, r.group);
	ASSERT_EQ(0, r.forwarder);
	ASSERT_EQ(777, r.seg_len);
	ASSERT_EQ(V_SEG_READ | V_SEG_WRITE, r.seg_access);
	ASSERT_EQ(0, r.copied);
	ASSERT_EQ(4321, r.creds.uid);
	ASSERT_EQ(1234, r.creds.gid);
	ASSERT_EQ(c.pid, (pid_t)r.creds.pid);
	ASSERT_EQ(v_id_host(self->id), r.creds.host);
	ASSERT_EQ(v_id_host(r.sender), r.creds.host);
	ASSERT_EQ(0, r.creds.flags);
	ASSERT_EQ(0, r.creds.reserved);
	reply = mk(V_OK, 1);
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(c.pid, res.pid);
	ASSERT_EQ(r.sender, res.self);
	ASSERT_EQ(self->id, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	/* The segment was not touched. */
	ASSERT_EQ(hash_pat(s.seed, s.seg_len), res.hash);
	ASSERT_EQ(0, client_end(&c));
}

/* Sending to your own id: another thread of the process receives it. */
TEST_F(ipc, send_to_self_other_thread)
{
	struct op_thread t = { 0 };
	struct v_msg m = mk(REQ_CODE, 77);
	int c = v_open();
	uint64_t cid = vt_id(c);

	ASSERT_LE(0, c);
	t.fd = c;
	t.is_recv = 1;
	t.reply_after = 1;
	ASSERT_EQ(0, op_start(&t));
	ASSERT_EQ(0, send_to(c, cid, &m, MS_WAIT));
	pthread_join(t.th, NULL);
	ASSERT_EQ(0, t.ret);
	ASSERT_EQ(0, t.reply_ret);
	ASSERT_EQ(cid, t.r.sender);
	ASSERT_EQ(getpid(), (pid_t)t.r.creds.pid);
	ASSERT_EQ(V_OK, v_msg_code(&m));
	ASSERT_EQ(78, v_msg_get64(&m, 8));
	close(c);
}

TEST_F(ipc, receive_with_segment_copies)
{
	struct cspec s1 = cs(self->id), s2 = cs(self->id), s3 = cs(self->id);
	static uint8_t buf[8192];
	struct v_msg m, reply = mk(V_OK, 0), expect;
	struct client c1, c2, c3;
	struct v_receive r;
	struct cres res;
	uint64_t sender;

	/* Buffer smaller than the segment: buf_len bytes. */
	s1.seg_len = 5000;
	s1.misalign = 4000;	/* segment spans pages */
	s1.access = V_SEG_READ;
	s1.seed = 11;
	ASSERT_EQ(0, spawn(&s1, &c1));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(100, v_receive_with_segment(self->fd, &m, &sender, buf + 1, 100));
	ASSERT_EQ(-1, pat_mismatch(buf + 1, 100, 11, 0));
	ASSERT_EQ(0xee, buf[101]);
	ASSERT_EQ(0xee, buf[0]);
	expect = req_msg(&s1, c1.pid);
	ASSERT_TRUE(msg_eq(&expect, &m));
	ASSERT_EQ(0, v_reply(self->fd, sender, &reply));
	ASSERT_EQ(0, client_result(&c1, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(sender, res.self);
	ASSERT_EQ(0, client_end(&c1));

	/* Buffer larger than the segment: seg_len bytes; report via _ex. */
	s2.seg_len = 4097;
	s2.access = V_SEG_READ | V_SEG_WRITE;
	s2.seed = 12;
	ASSERT_EQ(0, spawn(&s2, &c2));
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, recv_wait_seg(self->fd, &r, buf + 3, sizeof(buf) - 3, MS_WAIT));
	ASSERT_EQ(4097, r.copied);
	ASSERT_EQ(4097, r.seg_len);
	ASSERT_EQ(-1, pat_mismatch(buf + 3, 4097, 12, 0));
	ASSERT_EQ(0xee, buf[3 + 4097]);
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c2, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(hash_pat(12, 4097), res.hash);
	ASSERT_EQ(0, client_end(&c2));

	/* No segment: 0 bytes, message still received. */
	s3.arg = 33;
	ASSERT_EQ(0, spawn(&s3, &c3));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, v_receive_with_segment(self->fd, &m, &sender, buf, 64));
	ASSERT_EQ(0xee, buf[0]);
	ASSERT_EQ(33, v_msg_get64(&m, 8));
	ASSERT_EQ(0, v_reply(self->fd, sender, &reply));
	ASSERT_EQ(0, client_result(&c3, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(0, client_end(&c3));
}

/* A bad buffer: EFAULT and the message goes back to the head of the queue. */
TEST_F(ipc, receive_with_segment_efault_requeues)
{
	struct cspec s = cs(self->id), s2 = cs(self->id);
	struct client c, c2;
	uint8_t buf[256];
	struct v_msg m, reply = mk(V_OK, 5);
	uint64_t sender;
	struct cres res;

	s.seg_len = 200;
	s.access = V_SEG_READ;
	s.seed = 3;
	s.arg = 1;
	s2.arg = 2;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(0, spawn(&s2, &c2));
	ASSERT_EQ(0, vt_wait_blocked(c2.pid, c2.pid, MS_WAIT));
	ASSERT_EQ(-EFAULT, v_receive_with_segment(self->fd, &m, &sender, BAD_PTR, 100));
	ASSERT_EQ(-EFAULT, v_receive_with_segment(self->fd, &m, &sender, KERNEL_PTR, 100));
	/* Still first in line. */
	ASSERT_EQ(100, v_receive_with_segment(self->fd, &m, &sender, buf, 100));
	ASSERT_EQ(1, v_msg_get64(&m, 8));
	ASSERT_EQ(-1, pat_mismatch(buf, 100, 3, 0));
	ASSERT_EQ(0, v_reply(self->fd, sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(sender, res.self);
	ASSERT_EQ(0, v_receive(self->fd, &m, &sender));
	ASSERT_EQ(2, v_msg_get64(&m, 8));
	ASSERT_EQ(0, v_reply(self->fd, sender, &reply));
	ASSERT_EQ(0, client_result(&c2, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(0, client_end(&c2));
}

TEST_F(ipc, reply_with_segment)
{
	struct cspec s = cs(self->id), s2 = cs(self->id);
	static uint8_t expect[1000];
	uint8_t data[300];
	struct v_msg reply = mk(V_OK, 9);
	struct v_receive r;
	struct client c, c2;
	struct cres res;

	s.seg_len = sizeof(expect);
	s.misalign = 4090;
	s.access = V_SEG_WRITE;
	s.seed = 21;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(V_SEG_WRITE, r.seg_access);
	fill(data, 200, 99, 0);
	fill(expect, sizeof(expect), 21, 0);
	memcpy(expect + 100, data, 200);
	ASSERT_EQ(0, v_reply_with_segment(self->fd, r.sender, &reply, 100, data, 200));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(self->id, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(hash_buf(expect, sizeof(expect)), res.hash);
	ASSERT_EQ(-ENOENT, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_end(&c));

	/* src_len 0 is a plain Reply (no segment needed). */
	ASSERT_EQ(0, spawn(&s2, &c2));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(0, v_reply_with_segment(self->fd, r.sender, &reply, 0, NULL, 0));
	ASSERT_EQ(0, client_result(&c2, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c2));
}

TEST_F(ipc, reply_with_segment_errors_keep_message)
{
	struct cspec s = cs(self->id), s2 = cs(self->id);
	static uint8_t data[40000];
	static uint8_t expect[40000];
	struct v_msg reply = mk(V_OK, 3);
	struct v_reply rp;
	struct v_receive r;
	struct client c, c2;
	struct cres res;

	s.seg_len = 40000;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 5;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	fill(data, sizeof(data), 6, 0);
	/* Each failure leaves the segment as it was (checked with MoveFrom). */
	ASSERT_EQ(-EMSGSIZE, v_reply_with_segment(self->fd, r.sender, &reply, 0, data,
						   V_REPLY_SEG_MAX_DEFAULT + 1));
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, expect, sizeof(expect)));
	ASSERT_EQ(-1, pat_mismatch(expect, sizeof(expect), 5, 0));
	ASSERT_EQ(-ERANGE, v_reply_with_segment(self->fd, r.sender, &reply, 40000 - 5, data, 10));
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, expect, sizeof(expect)));
	ASSERT_EQ(-1, pat_mismatch(expect, sizeof(expect), 5, 0));
	ASSERT_EQ(-ERANGE, v_reply_with_segment(self->fd, r.sender, &reply, UINT64_MAX - 4, data, 10));
	ASSERT_EQ(-EFAULT, v_reply_with_segment(self->fd, r.sender, &reply, 0, BAD_PTR, 10));
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, expect, sizeof(expect)));
	ASSERT_EQ(-1, pat_mismatch(expect, sizeof(expect), 5, 0));
	ASSERT_EQ(-EFAULT, v_reply_with_segment(self->fd, r.sender, &reply, 0, KERNEL_PTR, 10));
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, expect, sizeof(expect)));
	ASSERT_EQ(-1, pat_mismatch(expect, sizeof(expect), 5, 0));
	/* Plain V_IOC_REPLY with segment fields: EINVAL, still held. */
	memset(&rp, 0, sizeof(rp));
	rp.dst = r.sender;
	rp.src_addr = (uintptr_t)data;
	rp.src_len = 10;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_REPLY, &rp));
	/* Still held: a full-size ReplyWithSegment at an offset works. */
	fill(expect, sizeof(expect), 5, 0);
	memcpy(expect + 7000, data, V_REPLY_SEG_MAX_DEFAULT);
	ASSERT_EQ(0, v_reply_with_segment(self->fd, r.sender, &reply, 7000, data,
					  V_REPLY_SEG_MAX_DEFAULT));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(hash_buf(expect, sizeof(expect)), res.hash);
	ASSERT_EQ(0, client_end(&c));

	/* Read-only grant: EACCES, nothing written, plain Reply still works. */
	s2.seg_len = 100;
	s2.access = V_SEG_READ;
	s2.seed = 8;
	ASSERT_EQ(0, spawn(&s2, &c2));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(-EACCES, v_reply_with_segment(self->fd, r.sender, &reply, 0, data, 10));
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c2, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(hash_pat(8, 100), res.hash);
	ASSERT_EQ(0, client_end(&c2));
}

/* A server loop of Reply-and-Receive: one call per request. */
TEST_F(ipc, reply_receive_server_loop)
{
	enum { NCLI = 3, NMSG = 6 };
	struct timeval tv = { .tv_sec = 20 * vt_scale() };
	int srv = v_open(), i, j, st, seen[NCLI] = { 0 };
	uint64_t srv_id = vt_id(srv), prev = 0;
	struct v_msg reply;
	struct v_receive r;
	pid_t pids[NCLI];

	ASSERT_LE(0, srv);
	ASSERT_EQ(0, setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	for (i = 0; i < NCLI; i++) {
		pids[i] = kid_fork(0);
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int fd = v_open();

			CK(fd >= 0);
			for (j = 0; j < NMSG; j++) {
				struct v_msg m = mk(REQ_CODE, i * 100 + j);

				CKEQ(0, v_send(fd, srv_id, &m));
				CKEQ(V_OK, v_msg_code(&m));
				CKEQ(i * 100 + j + 1000, v_msg_get64(&m, 8));
			}
			_exit(0);
		}
	}
	memset(&reply, 0, sizeof(reply));
	for (i = 0; i < NCLI * NMSG; i++) {
		memset(&r, 0, sizeof(r));
		st = v_reply_receive(srv, prev, &reply, &r);
		if (st)
			break;
		j = (int)v_msg_get64(&r.msg, 8);
		if (j / 100 < NCLI && j % 100 == seen[j / 100])
			seen[j / 100]++;
		reply = mk(V_OK, j + 1000);
		prev = r.sender;
	}
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, v_reply(srv, prev, &reply));
	for (i = 0; i < NCLI; i++) {
		ASSERT_EQ(NMSG, seen[i]);
		ASSERT_EQ(0, kid_wait(pids[i]));
	}
	close(srv);
}

/* A failing Reply half returns its errno and receives nothing. */
TEST_F(ipc, reply_receive_failed_reply_receives_nothing)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 4);
	struct v_receive r, r2;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(-ENOENT, v_reply_receive(self->fd, dead_id(), &reply, &r));
	ASSERT_EQ(0, r.sender);
	ASSERT_TRUE(pollin_now(self->fd) & POLLIN);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, v_reply_receive(self->fd, 0, NULL, &r));
	ASSERT_EQ(c.pid, (pid_t)r.creds.pid);
	/* Reply half works, then nothing queued on O_NONBLOCK: EAGAIN. */
	memset(&r2, 0, sizeof(r2));
	ASSERT_EQ(-EAGAIN, v_reply_receive(self->fd, r.sender, &reply, &r2));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(r.sender, res.self);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
}

/* Forward: the new receiver sees the original sender, its creds and segment. */
TEST_F(ipc, forward_basic)
{
	struct cspec s = cs(self->id);
	struct v_msg fwd = mk(0x0456, 42), reply = mk(V_OK, 43);
	int s2 = vopen_nb();
	uint64_t id2 = vt_id(s2);
	struct v_receive r, r2;
	uint8_t buf[64];
	struct client c;
	struct cres res;

	ASSERT_LE(0, s2);
	s.seg_len = 5000;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 31;
	s.uid = 1001;
	s.gid = 1002;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(0, v_forward(self->fd, r.sender, id2, &fwd));
	/* The forwarder no longer holds it. */
	ASSERT_EQ(-ENOENT, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(-ENOENT, v_move_from(self->fd, r.sender, 0, buf, 1));
	ASSERT_EQ(-ENOENT, v_forward(self->fd, r.sender, id2, &fwd));
	ASSERT_EQ(0, recv_wait(s2, &r2, MS_WAIT));
	ASSERT_EQ(r.sender, r2.sender);
	ASSERT_EQ(self->id, r2.forwarder);
	ASSERT_EQ(0, r2.group);
	ASSERT_TRUE(msg_eq(&fwd, &r2.msg));
	ASSERT_EQ(5000, r2.seg_len);
	ASSERT_EQ(V_SEG_READ | V_SEG_WRITE, r2.seg_access);
	ASSERT_EQ(c.pid, (pid_t)r2.creds.pid);
	ASSERT_EQ(1001, r2.creds.uid);
	ASSERT_EQ(1002, r2.creds.gid);
	ASSERT_EQ(v_id_host(r.sender), r2.creds.host);
	ASSERT_EQ(0, v_move_from(s2, r2.sender, 4000, buf, sizeof(buf)));
	ASSERT_EQ(-1, pat_mismatch(buf, sizeof(buf), 31, 4000));
	ASSERT_EQ(0, v_reply(s2, r2.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(id2, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
	close(s2);
}

/* A chain of forwarders S1 -> S2 -> S3 -> S4 -> S5. */
TEST_F(ipc, forward_chain)
{
	enum { N = 5 };
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 1000), fm;
	int fds[N], i;
	uint64_t ids[N], sender = 0;
	struct v_receive r;
	uint8_t buf[16];
	struct client c;
	struct cres res;

	fds[0] = self->fd;
	ids[0] = self->id;
	for (i = 1; i < N; i++) {
		fds[i] = vopen_nb();
		ASSERT_LE(0, fds[i]);
		ids[i] = vt_id(fds[i]);
	}
	s.seg_len = 16;
	s.access = V_SEG_READ;
	s.seed = 77;
	s.uid = 2002;
	ASSERT_EQ(0, spawn(&s, &c));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, recv_wait(fds[i], &r, MS_WAIT));
		if (i == 0)
			sender = r.sender;
		ASSERT_EQ(sender, r.sender);
		ASSERT_EQ(i ? ids[i - 1] : 0, r.forwarder);
		ASSERT_EQ(c.pid, (pid_t)r.creds.pid);
		ASSERT_EQ(2002, r.creds.uid);
		ASSERT_EQ(16, r.seg_len);
		ASSERT_EQ(i ? 0x0500 + i - 1 : REQ_CODE, v_msg_code(&r.msg));
		if (i < N - 1) {
			fm = mk(0x0500 + i, i);
			ASSERT_EQ(0, v_forward(fds[i], sender, ids[i + 1], &fm));
		}
	}
	ASSERT_EQ(0, v_move_from(fds[N - 1], sender, 0, buf, 16));
	ASSERT_EQ(-1, pat_mismatch(buf, 16, 77, 0));
	for (i = 0; i < N - 1; i++)
		ASSERT_EQ(-ENOENT, v_reply(fds[i], sender, &reply));
	ASSERT_EQ(0, v_reply(fds[N - 1], sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(ids[N - 1], res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
	for (i = 1; i < N; i++)
		close(fds[i]);
}

TEST_F(ipc, forward_errors_keep_message)
{
	struct cspec s = cs(self->id);
	struct v_msg m = mk(0x0777, 1), reply = mk(V_OK, 2);
	struct v_forward f;
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_EQ(-ENOENT, v_forward(self->fd, dead_id(), self->id, &m));
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(-ESRCH, v_forward(self->fd, r.sender, dead_id(), &m));
	ASSERT_EQ(-EHOSTUNREACH, v_forward(self->fd, r.sender, self->id ^ (1ULL << 40), &m));
	ASSERT_EQ(-ENOENT, v_forward(self->fd, r.sender ^ (1ULL << 5), self->id, &m));
	memset(&f, 0, sizeof(f));
	f.from = r.sender;
	f.to = self->id;
	f.flags = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_FORWARD, &f));
	f.flags = 0;
	f.reserved = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_FORWARD, &f));
	f.reserved = 0;
	f.to = 0;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_FORWARD, &f));
	/* Still held. */
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(self->id, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
}

/* ======================================================================== */
/* MoveTo / MoveFrom                                                        */

/* Sizes 0, 1, 4095, 4096, 4097 at unaligned offsets, page-crossing buffers. */
TEST_F(ipc, move_sizes_and_offsets)
{
	static const size_t lens[] = { 0, 1, 4095, 4096, 4097 };
	static const uint64_t offs[] = { 0, 1, 7, 4095, 4096, 8191, 12000 };
	enum { SEG = 16384 + 100 };
	struct cspec s = cs(self->id);
	uint8_t *shadow, *local, *mem, *all;
	struct v_msg reply = mk(V_OK, 1);
	uint32_t seed = 1000;
	struct v_receive r;
	struct client c;
	struct cres res;
	unsigned int i, j;
	int bad = 0, ret;

	s.seg_len = SEG;
	s.misalign = 3;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 41;
	mem = mmap(NULL, 5 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	local = mem + 4096 - 11;	/* crosses page boundaries */
	shadow = malloc(SEG);
	ASSERT_NE(NULL, shadow);
	fill(shadow, SEG, 41, 0);
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(SEG, r.seg_len);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			memset(local, 0xcc, 4098);
			ret = v_move_from(self->fd, r.sender, offs[i], local, lens[j]);
			if (ret || memcmp(local, shadow + offs[i], lens[j]) ||
			    local[lens[j]] != 0xcc) {
				fprintf(stderr, "# MoveFrom off %llu len %zu: %d\n",
					(unsigned long long)offs[i], lens[j], ret);
				bad++;
			}
			fill(local, lens[j], ++seed, 0);
			ret = v_move_to(self->fd, r.sender, offs[i] + 2, local, lens[j]);
			if (ret) {
				fprintf(stderr, "# MoveTo off %llu len %zu: %d\n",
					(unsigned long long)offs[i] + 2, lens[j], ret);
				bad++;
			} else {
				memcpy(shadow + offs[i] + 2, local, lens[j]);
			}
		}
	}
	ASSERT_EQ(0, bad);
	/* Read it all back in one go. */
	all = malloc(SEG + 1);
	ASSERT_NE(NULL, all);
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, all + 1, SEG));
	ASSERT_EQ(0, memcmp(all + 1, shadow, SEG));
	free(all);
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(hash_buf(shadow, SEG), res.hash);
	ASSERT_EQ(0, client_end(&c));
	/* After the Reply the access is gone. */
	ASSERT_EQ(-ENOENT, v_move_from(self->fd, r.sender, 0, local, 1));
	ASSERT_EQ(-ENOENT, v_move_to(self->fd, r.sender, 0, local, 1));
	free(shadow);
	munmap(mem, 5 * 4096);
}

/* 8 MiB + 1 in both directions, whole and at unaligned offsets. */
TEST_F_TIMEOUT(ipc, move_8mib_both_directions, 180)
{
	const size_t len = (8UL << 20) + 1;
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 8);
	struct v_receive r;
	struct client c;
	struct cres res;
	uint8_t *buf;

	s.seg_len = len;
	s.misalign = 1234;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 51;
	buf = mmap(NULL, len + 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, 3 * MS_WAIT));
	ASSERT_EQ(len, r.seg_len);
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, buf + 5, len));
	ASSERT_EQ(-1, pat_mismatch(buf + 5, len, 51, 0));
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 4093, buf + 4097, 3 * 4096 + 7));
	ASSERT_EQ(-1, pat_mismatch(buf + 4097, 3 * 4096 + 7, 51, 4093));
	fill(buf + 1, len, 52, 0);
	ASSERT_EQ(0, v_move_to(self->fd, r.sender, 0, buf + 1, len));
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(hash_pat(52, len), res.hash);
	ASSERT_EQ(0, client_end(&c));
	munmap(buf, len + 8192);
}

/* Access violations: MoveTo needs WRITE, MoveFrom READ, no segment: neither. */
TEST_F(ipc, move_access_violations)
{
	static const unsigned int acc[] = { V_SEG_READ, V_SEG_WRITE, 0 };
	struct v_msg reply = mk(V_OK, 1);
	uint8_t buf[64];
	struct v_receive r;
	struct client c;
	struct cres res;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct cspec s = cs(self->id);

		s.seg_len = acc[i] ? 64 : 0;
		s.access = acc[i];
		s.seed = 60 + i;
		ASSERT_EQ(0, spawn(&s, &c));
		ASSERT_EQ(0, recv_wait_seg(self->fd, &r, buf, sizeof(buf), MS_WAIT));
		ASSERT_EQ(acc[i], r.seg_access);
		ASSERT_EQ(acc[i] == V_SEG_READ ? 64 : 0, r.copied);
		memset(buf, 0x77, sizeof(buf));
		if (acc[i] == V_SEG_READ) {
			ASSERT_EQ(-EACCES, v_move_to(self->fd, r.sender, 0, buf, 8));
			ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, buf, 8));
		} else if (acc[i] == V_SEG_WRITE) {
			ASSERT_EQ(-EACCES, v_move_from(self->fd, r.sender, 0, buf, 8));
			ASSERT_EQ(0x77, buf[0]);
		} else {
			ASSERT_EQ(-EACCES, v_move_to(self->fd, r.sender, 0, buf, 8));
			ASSERT_EQ(-EACCES, v_move_from(self->fd, r.sender, 0, buf, 8));
			ASSERT_EQ(-EACCES, v_move_to(self->fd, r.sender, 0, buf, 0));
		}
		ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
		ASSERT_EQ(0, client_result(&c, &res));
		ASSERT_EQ(0, res.ret);
		ASSERT_EQ(acc[i] ? hash_pat(60 + i, 64) : 0, res.hash);
		ASSERT_EQ(0, client_end(&c));
	}
}

/* offset+len beyond the segment: ERANGE, checked before any byte moves. */
TEST_F(ipc, move_ranges)
{
	enum { L = 10000 };
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 1);
	uint8_t buf[64];
	struct v_receive r;
	struct client c;
	struct cres res;
	int fd = self->fd;
	uint64_t p;

	s.seg_len = L;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 71;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(fd, &r, MS_WAIT));
	p = r.sender;
	memset(buf, 0x11, sizeof(buf));
	ASSERT_EQ(-ERANGE, v_move_from(fd, p, L - 10, buf, 11));
	ASSERT_EQ(0x11, buf[0]);
	ASSERT_EQ(-ERANGE, v_move_to(fd, p, L - 10, buf, 11));
	ASSERT_EQ(-ERANGE, v_move_to(fd, p, L, buf, 1));
	ASSERT_EQ(-ERANGE, v_move_from(fd, p, L + 1, buf, 0));
	ASSERT_EQ(-ERANGE, v_move_to(fd, p, L + 1, buf, 0));
	ASSERT_EQ(-ERANGE, v_move_from(fd, p, UINT64_MAX - 3, buf, 8));
	ASSERT_EQ(-ERANGE, v_move_to(fd, p, UINT64_MAX - 3, buf, 8));
	ASSERT_EQ(-ERANGE, v_move_from(fd, p, UINT64_MAX, buf, 0));
	ASSERT_EQ(-ERANGE, v_move_from(fd, p, 8, buf, SIZE_MAX - 4));
	ASSERT_EQ(-ERANGE, v_move_from(fd, p, 0, buf, L + 1));
	/* Edges that are inside. */
	ASSERT_EQ(0, v_move_from(fd, p, L, buf, 0));
	ASSERT_EQ(0, v_move_to(fd, p, L, buf, 0));
	ASSERT_EQ(0, v_move_from(fd, p, L - 10, buf, 10));
	ASSERT_EQ(-1, pat_mismatch(buf, 10, 71, L - 10));
	ASSERT_EQ(0, v_reply(fd, p, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(hash_pat(71, L), res.hash);	/* no partial write */
	ASSERT_EQ(0, client_end(&c));
}

TEST_F(ipc, move_enoent_efault_einval)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 1);
	uint8_t buf[100];
	struct v_receive r;
	struct v_move mv;
	struct client c;
	struct cres res;

	ASSERT_EQ(-ENOENT, v_move_from(self->fd, dead_id(), 0, buf, 1));
	ASSERT_EQ(-ENOENT, v_move_to(self->fd, self->id, 0, buf, 1));
	s.seg_len = 100;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 81;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(-EFAULT, v_move_from(self->fd, r.sender, 0, BAD_PTR, 100));
	ASSERT_EQ(-EFAULT, v_move_from(self->fd, r.sender, 0, KERNEL_PTR, 100));
	/* A failed MoveTo must not write anything into the segment. */
	ASSERT_EQ(-EFAULT, v_move_to(self->fd, r.sender, 0, BAD_PTR, 100));
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, buf, 100));
	ASSERT_EQ(-1, pat_mismatch(buf, 100, 81, 0));
	ASSERT_EQ(-EFAULT, v_move_to(self->fd, r.sender, 0, KERNEL_PTR, 100));
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, buf, 100));
	ASSERT_EQ(-1, pat_mismatch(buf, 100, 81, 0));
	memset(&mv, 0, sizeof(mv));
	mv.pid = r.sender;
	mv.addr = (uintptr_t)buf;
	mv.len = 10;
	mv.flags = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_MOVE_FROM, &mv));
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_MOVE_TO, &mv));
	mv.flags = 0;
	mv.reserved = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_MOVE_FROM, &mv));
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_MOVE_TO, &mv));
	/* Still held and intact. */
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 0, buf, 100));
	ASSERT_EQ(-1, pat_mismatch(buf, 100, 81, 0));
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(hash_pat(81, 100), res.hash);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-ENOENT, v_move_from(self->fd, r.sender, 0, buf, 1));
}

/* Another thread of the sender unmaps the segment: MoveTo/MoveFrom EFAULT. */
TEST_F(ipc, move_sender_segment_unmapped)
{
	int go[2], done[2];
	struct v_msg reply = mk(V_OK, 1);
	uint8_t buf[64];
	struct v_receive r;
	uint64_t srv = self->id;
	pid_t pid;
	char ch;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct op_thread t = { 0 };
		uint8_t *seg;
		int fd = v_open();

		CK(fd >= 0);
		seg = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CK(seg != MAP_FAILED);
		memset(seg, 1, 3 * 4096);
		/* A thread Sends with the segment; this one unmaps it. */
		t.fd = fd;
		t.dst = srv;
		t.msg = mk(REQ_CODE, 5);
		t.seg_addr = (uintptr_t)seg;
		t.seg_len = 3 * 4096;
		t.seg_access = V_SEG_READ | V_SEG_WRITE;
		CKEQ(0, op_start(&t));
		CK(read(go[0], &ch, 1) == 1);
		CKEQ(0, munmap(seg, 3 * 4096));
		CK(write(done[1], "d", 1) == 1);
		pthread_join(t.th, NULL);
		CKEQ(0, t.ret);
		CKEQ(V_OK, v_msg_code(&t.msg));
		_exit(0);
	}
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(0, v_move_from(self->fd, r.sender, 4000, buf, sizeof(buf)));
	ASSERT_EQ(1, buf[0]);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, vt_read_full(done[0], &ch, 1, MS_WAIT));
	ASSERT_EQ(-EFAULT, v_move_from(self->fd, r.sender, 4000, buf, sizeof(buf)));
	ASSERT_EQ(-EFAULT, v_move_to(self->fd, r.sender, 0, buf, sizeof(buf)));
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, kid_wait(pid));
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

/* ======================================================================== */
/* SetPid / GetPid                                                          */

static uint32_t test_lid(void)
{
	return 10000 + (uint32_t)(getpid() % 50000);
}

static int get_pid_remote(int fd, uint32_t lid, uint64_t *pid)
{
	struct v_pid p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.logical_id = lid;
	p.scope = V_SCOPE_REMOTE;
	p.timeout_ns = 200000000ULL;
	ret = raw_ioctl(fd, V_IOC_GET_PID, &p);
	*pid = p.pid;
	return ret;
}

TEST_F(ipc, setpid_getpid)
{
	uint32_t lid = test_lid();
	int c = v_open();
	uint64_t cid = vt_id(c), got = 0;

	ASSERT_LE(0, c);
	ASSERT_EQ(-ESRCH, v_get_pid(self->fd, lid, V_SCOPE_LOCAL, &got));
	ASSERT_EQ(0, v_set_pid(self->fd, lid, self->id, V_SCOPE_LOCAL));
	ASSERT_EQ(0, v_get_pid(self->fd, lid, V_SCOPE_LOCAL, &got));
	ASSERT_EQ(self->id, got);
	got = 0;
	ASSERT_EQ(0, v_get_pid(c, lid, V_SCOPE_BOTH, &got));
	ASSERT_EQ(self->id, got);
	/* No network: remote scope alone finds nothing. */
	ASSERT_EQ(-ESRCH, get_pid_remote(c, lid, &got));
	ASSERT_EQ(-EEXIST, v_set_pid(c, lid, cid, V_SCOPE_LOCAL));
	ASSERT_EQ(-EEXIST, v_set_pid(self->fd, lid, self->id, V_SCOPE_LOCAL));
	/* Unregister, then register another process under it. */
	ASSERT_EQ(0, v_set_pid(self->fd, lid, 0, V_SCOPE_LOCAL));
	ASSERT_EQ(-ESRCH, v_get_pid(self->fd, lid, V_SCOPE_LOCAL, &got));
	ASSERT_EQ(-ENOENT, v_set_pid(self->fd, lid, 0, V_SCOPE_LOCAL));
	ASSERT_EQ(0, v_set_pid(self->fd, lid, cid, V_SCOPE_BOTH));
	ASSERT_EQ(0, v_get_pid(self->fd, lid, V_SCOPE_LOCAL, &got));
	ASSERT_EQ(cid, got);
	ASSERT_EQ(0, v_set_pid(self->fd, lid, 0, V_SCOPE_BOTH));
	/* Privileged ids work as root. */
	ASSERT_EQ(0, v_set_pid(self->fd, 200, self->id, V_SCOPE_LOCAL));
	ASSERT_EQ(0, v_get_pid(c, 200, V_SCOPE_LOCAL, &got));
	ASSERT_EQ(self->id, got);
	ASSERT_EQ(0, v_set_pid(self->fd, 200, 0, V_SCOPE_LOCAL));
	close(c);
}

TEST_F(ipc, setpid_getpid_errors)
{
	uint32_t lid = test_lid() + 1;
	uint64_t got;

	ASSERT_EQ(-EINVAL, v_set_pid(self->fd, 0, self->id, V_SCOPE_LOCAL));
	ASSERT_EQ(-EINVAL, v_get_pid(self->fd, 0, V_SCOPE_LOCAL, &got));
	ASSERT_EQ(-EINVAL, v_set_pid(self->fd, lid, self->id, 0));
	ASSERT_EQ(-EINVAL, v_set_pid(self->fd, lid, self->id, 4));
	ASSERT_EQ(-EINVAL, v_set_pid(self->fd, lid, self->id, 7));
	ASSERT_EQ(-EINVAL, v_get_pid(self->fd, lid, 0, &got));
	ASSERT_EQ(-EINVAL, v_get_pid(self->fd, lid, 8, &got));
	ASSERT_EQ(-ESRCH, v_set_pid(self->fd, lid, dead_id(), V_SCOPE_LOCAL));
	ASSERT_EQ(-ESRCH, v_set_pid(self->fd, lid, self->id ^ (1ULL << 40), V_SCOPE_LOCAL));
	ASSERT_EQ(-EINVAL, v_set_pid(self->fd, lid, self->id | V_ID_GROUP, V_SCOPE_LOCAL));
	/* None of these registered anything. */
	ASSERT_EQ(-ESRCH, v_get_pid(self->fd, lid, V_SCOPE_BOTH, &got));
	ASSERT_EQ(-ENOENT, v_set_pid(self->fd, lid, 0, V_SCOPE_LOCAL));
}

/* Below V_LID_PRIVILEGED needs CAP_NET_ADMIN. */
TEST_F(ipc, setpid_eperm_without_cap_net_admin)
{
	uint32_t lid = test_lid() + 2;
	pid_t pid;

	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2];
		uint64_t id, got;
		int fd = v_open();

		CK(fd >= 0);
		CKEQ(0, v_self(fd, &id));
		CKEQ(0, syscall(SYS_capget, &hdr, data));
		data[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
		CKEQ(0, syscall(SYS_capset, &hdr, data));
		CKEQ(-EPERM, v_set_pid(fd, 100, id, V_SCOPE_LOCAL));
		CKEQ(-EPERM, v_set_pid(fd, V_LID_PRIVILEGED - 1, id, V_SCOPE_LOCAL));
		CKEQ(-ESRCH, v_get_pid(fd, 100, V_SCOPE_LOCAL, &got));
		CKEQ(0, v_set_pid(fd, lid, id, V_SCOPE_LOCAL));
		CKEQ(0, v_get_pid(fd, lid, V_SCOPE_LOCAL, &got));
		CKEQ(id, got);
		CKEQ(0, v_set_pid(fd, lid, 0, V_SCOPE_LOCAL));
		_exit(0);
	}
	ASSERT_EQ(0, kid_wait(pid));
}

/* A registration disappears when the registered process's socket closes. */
TEST_F(ipc, setpid_gone_with_socket)
{
	uint32_t lid = test_lid() + 3;
	int c = v_open(), st;
	uint64_t got;
	pid_t pid;

	ASSERT_LE(0, c);
	ASSERT_EQ(0, v_set_pid(self->fd, lid, vt_id(c), V_SCOPE_LOCAL));
	ASSERT_EQ(0, v_get_pid(self->fd, lid, V_SCOPE_LOCAL, &got));
	close(c);
	ASSERT_EQ(-ESRCH, v_get_pid(self->fd, lid, V_SCOPE_LOCAL, &got));
	/* And when the registered process exits. */
	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = v_open();
		uint64_t id;

		CK(fd >= 0);
		CKEQ(0, v_self(fd, &id));
		CKEQ(0, v_set_pid(fd, lid, id, V_SCOPE_LOCAL));
		_exit(0);
	}
	st = kid_wait(pid);
	ASSERT_EQ(0, st);
	ASSERT_EQ(-ESRCH, v_get_pid(self->fd, lid, V_SCOPE_LOCAL, &got));
	/* The id is free again. */
	ASSERT_EQ(0, v_set_pid(self->fd, lid, self->id, V_SCOPE_LOCAL));
	ASSERT_EQ(0, v_set_pid(self->fd, lid, 0, V_SCOPE_LOCAL));
}

/* ======================================================================== */
/* Send errors                                                              */

static int send_raw(int fd, uint64_t dst, uint64_t qual, uint64_t addr, uint64_t len,
		    unsigned int access, unsigned int flags)
{
	struct v_send s;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.qualifier = qual;
	s.seg_addr = addr;
	s.seg_len = len;
	s.seg_access = access;
	s.flags = flags;
	/* A wrongly accepted Send must not hang the test. */
	s.timeout_ns = 1000000000ULL * vt_scale();
	s.msg = mk(REQ_CODE, 0);
	return v_send_ex(fd, &s);
}

TEST_F(ipc, send_invalid_arguments)
{
	uint64_t seg_max = (uint64_t)vt_param("seg_max");
	static uint8_t buf[4096];
	uint64_t b = (uintptr_t)buf, d = self->id;
	struct v_receive r;
	int c = v_open();

	ASSERT_LE(0, c);
	ASSERT_EQ(V_SEG_MAX_DEFAULT, seg_max);
	ASSERT_EQ(-EINVAL, send_raw(c, d, 0, 0, 0, 0, 2));	/* 1: V_SEND_DEADLOCK */
	ASSERT_EQ(-EINVAL, send_raw(c, d, 0, 0, 0, 0, 0x80000000));
	ASSERT_EQ(-EINVAL, send_raw(c, d, d, 0, 0, 0, 0));
	ASSERT_EQ(-EINVAL, send_raw(c, 0, 0, 0, 0, 0, 0));
	/* Groups without members on a host with no links: none can answer. */
	ASSERT_EQ(-ESRCH, send_raw(c, d | V_ID_GROUP, 0, 0, 0, 0, 0));
	ASSERT_EQ(-ESRCH, send_raw(c, V_GROUP_TIME_SERVERS, 0, 0, 0, 0, 0));
	/* Malformed group ids: well-known with a host part, or none at all. */
	ASSERT_EQ(-EINVAL, send_raw(c, d | V_ID_GROUP | V_ID_WELLKNOWN, 0, 0, 0, 0, 0));
	ASSERT_EQ(-EINVAL, send_raw(c, V_ID_GROUP | v_id_local(d), 0, 0, 0, 0, 0));
	/* A qualifier only goes with a group, and names a process. */
	ASSERT_EQ(-EINVAL, send_raw(c, d | V_ID_GROUP, V_GROUP_TIME_SERVERS, 0, 0, 0, 0));
	ASSERT_EQ(-EMSGSIZE, send_raw(c, d, 0, b, seg_max + 1, V_SEG_READ, 0));
	ASSERT_EQ(-EINVAL, send_raw(c, d, 0, b, 10, 0, 0));
	ASSERT_EQ(-EINVAL, send_raw(c, d, 0, b, 10, 4, 0));
	ASSERT_EQ(-EINVAL, send_raw(c, d, 0, b, 10, 7, 0));
	ASSERT_EQ(-EINVAL, send_raw(c, d, 0, b, 0, V_SEG_READ, 0));
	ASSERT_EQ(-EINVAL, send_raw(c, d, 0, 0, 0, V_SEG_WRITE, 0));
	ASSERT_EQ(-EFAULT, send_raw(c, d, 0, UINT64_MAX - 100, 4096, V_SEG_READ, 0));
	ASSERT_EQ(-EFAULT, send_raw(c, d, 0, (uintptr_t)KERNEL_PTR, 4096, V_SEG_READ, 0));
	ASSERT_EQ(-EFAULT, raw_ioctl(c, V_IOC_SEND, NULL));
	/* Nothing of that reached the destination. */
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
	close(c);
}

/* Several errors at once: the first in the documented order wins. */
TEST_F(ipc, send_validation_order)
{
	uint64_t seg_max = (uint64_t)vt_param("seg_max");
	static uint8_t buf[4096];
	uint64_t b = (uintptr_t)buf, d = self->id, far = self->id ^ (1ULL << 40);
	struct op_thread t = { 0 };
	struct v_receive r;
	struct v_msg m;
	int c = v_open(), sd = v_open();

	ASSERT_LE(0, c);
	ASSERT_LE(0, sd);
	ASSERT_EQ(-EINVAL, send_raw(c, 0, 0, b, seg_max + 1, 0, 1));
	ASSERT_EQ(-EINVAL, send_raw(c, d | V_ID_GROUP, 1, b, seg_max + 1, 0, 0));
	ASSERT_EQ(-EMSGSIZE, send_raw(c, d | V_ID_GROUP, 0, b, seg_max + 1, 0, 0));
	ASSERT_EQ(-EMSGSIZE, send_raw(c, d, 0, UINT64_MAX - 10, seg_max + 1, 0, 0));
	ASSERT_EQ(-EINVAL, send_raw(c, d, 0, UINT64_MAX - 10, 4096, 0, 0));
	/*
	 * ESHUTDOWN before the destination checks.  (Whether a bad segment
	 * on a shut-down socket is EFAULT or ESHUTDOWN is ambiguous in the
	 * semantics: "every V ioctl fails with ESHUTDOWN" wins here.)
	 */
	ASSERT_EQ(0, shutdown(sd, SHUT_RDWR));
	ASSERT_EQ(-ESHUTDOWN, send_raw(sd, far, 0, b, 16, V_SEG_READ, 0));
	ASSERT_EQ(-ESHUTDOWN, send_raw(sd, dead_id(), 0, 0, 0, 0, 0));
	/* EALREADY before EHOSTUNREACH / ESRCH. */
	t.fd = c;
	t.dst = d;
	t.msg = mk(REQ_CODE, 1);
	ASSERT_EQ(0, op_start(&t));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(-EALREADY, send_raw(c, far, 0, 0, 0, 0, 0));
	ASSERT_EQ(-EALREADY, send_raw(c, dead_id(), 0, 0, 0, 0, 0));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	m = mk(V_OK, 2);
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &m));
	pthread_join(t.th, NULL);
	ASSERT_EQ(0, t.ret);
	/* EHOSTUNREACH before ESRCH: an unused index on another host. */
	ASSERT_EQ(-EHOSTUNREACH, send_raw(c, dead_id() ^ (1ULL << 40), 0, 0, 0, 0, 0));
	close(c);
	close(sd);
}

TEST_F(ipc, send_esrch_no_such_process)
{
	struct v_msg m = mk(REQ_CODE, 1);
	uint64_t gone = dead_id();
	int c = v_open();

	ASSERT_LE(0, c);
	ASSERT_EQ(-ESRCH, send_to(c, gone, &m, 1000));
	ASSERT_EQ(REQ_CODE, v_msg_code(&m));
	/* Same host, an index that cannot be live. */
	ASSERT_EQ(-ESRCH, send_to(c, v_id_make(v_id_host(self->id), V_ID_INDEX_MAX), &m, 1000));
	close(c);
}

TEST_F(ipc, send_ehostunreach_other_host)
{
	struct v_msg m = mk(REQ_CODE, 1);
	struct v_receive r;
	int c = v_open();

	ASSERT_LE(0, c);
	ASSERT_EQ(-EHOSTUNREACH, send_to(c, self->id ^ (1ULL << 40), &m, 1000));
	ASSERT_EQ(-EHOSTUNREACH, send_to(c, self->id ^ (1ULL << 32), &m, 1000));
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
	close(c);
}

TEST_F(ipc, send_to_shut_down_process_esrch)
{
	struct v_msg m = mk(REQ_CODE, 1);
	int c = v_open(), d = v_open();

	ASSERT_LE(0, c);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, shutdown(d, SHUT_RDWR));
	ASSERT_EQ(-ESRCH, send_to(c, vt_id(d), &m, 1000));
	close(c);
	close(d);
}

/* After shutdown(): every V ioctl ESHUTDOWN, getsockname works, EPOLLHUP. */
TEST_F(ipc, shutdown_socket_refuses_everything)
{
	struct v_msg m = mk(REQ_CODE, 1);
	uint64_t id = self->id, got = 0;
	int fd = self->fd;
	struct v_reply_receive rr;
	struct v_receive r;
	uint8_t buf[8];
	int ev;

	ASSERT_EQ(0, shutdown(fd, SHUT_RDWR));
	ev = vt_wait_poll(fd, POLLIN, 1000);
	ASSERT_TRUE(ev & POLLHUP);
	ASSERT_FALSE(ev & POLLIN);
	ASSERT_EQ(0, v_self(fd, &got));
	ASSERT_EQ(id, got);
	ASSERT_EQ(-ESHUTDOWN, send_to(fd, id, &m, 1000));
	ASSERT_EQ(-ESHUTDOWN, recv_now(fd, &r));
	ASSERT_EQ(-ESHUTDOWN, v_receive_with_segment(fd, &m, &got, buf, 8));
	ASSERT_EQ(-ESHUTDOWN, v_reply(fd, id, &m));
	ASSERT_EQ(-ESHUTDOWN, v_reply_with_segment(fd, id, &m, 0, buf, 8));
	memset(&rr, 0, sizeof(rr));
	ASSERT_EQ(-ESHUTDOWN, raw_ioctl(fd, V_IOC_REPLY_RECEIVE, &rr));
	ASSERT_EQ(-ESHUTDOWN, v_forward(fd, id, id, &m));
	ASSERT_EQ(-ESHUTDOWN, v_move_to(fd, id, 0, buf, 8));
	ASSERT_EQ(-ESHUTDOWN, v_move_from(fd, id, 0, buf, 8));
	ASSERT_EQ(-ESHUTDOWN, v_set_pid(fd, test_lid() + 4, id, V_SCOPE_LOCAL));
	ASSERT_EQ(-ESHUTDOWN, v_get_pid(fd, test_lid() + 4, V_SCOPE_LOCAL, &got));
	/* Blocking mode too: no wait. */
	ASSERT_EQ(0, fcntl(fd, F_SETFL, 0));
	ASSERT_EQ(-ESHUTDOWN, recv_now(fd, &r));
}

/* ======================================================================== */
/* Receive                                                                  */

TEST_F(ipc, receive_invalid_arguments)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 1);
	uint8_t buf[16];
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	memset(&r, 0, sizeof(r));
	r.buf_addr = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_RECEIVE, &r));
	memset(&r, 0, sizeof(r));
	r.buf_addr = (uintptr_t)buf;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_RECEIVE, &r));
	memset(&r, 0, sizeof(r));
	r.buf_len = 16;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_RECEIVE, &r));
	memset(&r, 0, sizeof(r));
	r.flags = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_RECEIVE, &r));
	memset(&r, 0, sizeof(r));
	r.flags = 1;
	r.buf_addr = (uintptr_t)buf;
	r.buf_len = sizeof(buf);
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_RECEIVE_SEG, &r));
	ASSERT_EQ(-EFAULT, raw_ioctl(self->fd, V_IOC_RECEIVE, NULL));
	/* The message is still there. */
	ASSERT_TRUE(pollin_now(self->fd) & POLLIN);
	ASSERT_EQ(0, recv_now(self->fd, &r));
	ASSERT_EQ(c.pid, (pid_t)r.creds.pid);
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(0, client_end(&c));
}

TEST_F(ipc, receive_nonblock_eagain)
{
	struct v_msg m;
	uint8_t buf[8];
	uint64_t sender;
	struct v_receive r;
	int fam = v_family(), nb;

	ASSERT_EQ(-EAGAIN, v_receive(self->fd, &m, &sender));
	ASSERT_EQ(-EAGAIN, v_receive_with_segment(self->fd, &m, &sender, buf, 8));
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(-EAGAIN, v_reply_receive(self->fd, 0, NULL, &r));
	nb = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, nb);
	ASSERT_EQ(-EAGAIN, v_receive(nb, &m, &sender));
	close(nb);
}

TEST_F(ipc, receive_so_rcvtimeo_eagain)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };
	int c = v_open();
	struct v_msg m;
	uint64_t sender;
	int64_t t0, dt;

	ASSERT_LE(0, c);
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = vt_now_ms();
	ASSERT_EQ(-EAGAIN, v_receive(c, &m, &sender));
	dt = vt_now_ms() - t0;
	ASSERT_GE(dt, 250);
	ASSERT_LT(dt, 10000 * vt_scale());
	close(c);
}

/* A handled signal interrupts Receive (no SA_RESTART): EINTR, nothing lost. */
TEST_F(ipc, receive_eintr_then_works)
{
	struct op_thread t = { 0 };
	struct cspec s;
	struct client c;
	struct cres res;
	int fd = v_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_usr1(0));
	got_usr1 = 0;
	t.fd = fd;
	t.is_recv = 1;
	ASSERT_EQ(0, op_start(&t));
	ASSERT_EQ(0, vt_wait_blocked(getpid(), t.tid, MS_WAIT));
	ASSERT_EQ(0, pthread_kill(t.th, SIGUSR1));
	pthread_join(t.th, NULL);
	ASSERT_EQ(-EINTR, t.ret);
	ASSERT_EQ(1, got_usr1);
	/* The socket still works. */
	s = cs(vt_id(fd));
	s.arg = 99;
	ASSERT_EQ(0, spawn(&s, &c));
	t.reply_after = 1;
	ASSERT_EQ(0, op_start(&t));
	pthread_join(t.th, NULL);
	ASSERT_EQ(0, t.ret);
	ASSERT_EQ(0, t.reply_ret);
	ASSERT_EQ(99, v_msg_get64(&t.r.msg, 8));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(100, v_msg_get64(&res.msg, 8));
	ASSERT_EQ(0, client_end(&c));
	close(fd);
}

/* With SA_RESTART the Receive is restarted and gets the next message. */
TEST_F(ipc, receive_sa_restart_restarts)
{
	struct op_thread t = { 0 };
	struct cspec s;
	struct client c;
	struct cres res;
	int fd = v_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_usr1(1));
	got_usr1 = 0;
	t.fd = fd;
	t.is_recv = 1;
	t.reply_after = 1;
	ASSERT_EQ(0, op_start(&t));
	ASSERT_EQ(0, vt_wait_blocked(getpid(), t.tid, MS_WAIT));
	ASSERT_EQ(0, pthread_kill(t.th, SIGUSR1));
	while (!got_usr1)
		usleep(1000);
	ASSERT_EQ(0, vt_wait_blocked(getpid(), t.tid, MS_WAIT));
	s = cs(vt_id(fd));
	s.arg = 7;
	ASSERT_EQ(0, spawn(&s, &c));
	pthread_join(t.th, NULL);
	ASSERT_EQ(0, t.ret);
	ASSERT_EQ(0, t.reply_ret);
	ASSERT_EQ(7, v_msg_get64(&t.r.msg, 8));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(8, v_msg_get64(&res.msg, 8));
	ASSERT_EQ(0, client_end(&c));
	close(fd);
}

/* ======================================================================== */
/* Reply errors                                                             */

TEST_F(ipc, reply_errors)
{
	struct cspec s = cs(self->id);
	uint64_t early = 0;
	struct v_msg reply = mk(V_OK, 1);
	struct v_reply rp;
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_EQ(-ENOENT, v_reply(self->fd, dead_id(), &reply));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, self->id, &reply));
	s.early = 1;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, vt_read_full(c.rfd, &early, sizeof(early), MS_WAIT));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	/* Queued but not yet received: not held. */
	ASSERT_EQ(-ENOENT, v_reply(self->fd, early, &reply));
	ASSERT_EQ(-ENOENT, v_move_from(self->fd, early, 0, &rp, 1));
	ASSERT_TRUE(pollin_now(self->fd) & POLLIN);
	ASSERT_EQ(0, recv_now(self->fd, &r));
	ASSERT_EQ(early, r.sender);
	memset(&rp, 0, sizeof(rp));
	rp.dst = r.sender;
	rp.seg_offset = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_REPLY, &rp));
	rp.seg_offset = 0;
	rp.src_len = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_REPLY, &rp));
	rp.src_len = 0;
	rp.src_addr = (uintptr_t)&rp;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_REPLY, &rp));
	rp.src_addr = 0;
	rp.flags = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_REPLY, &rp));
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_REPLY_SEG, &rp));
	rp.flags = 0;
	rp.reserved = 1;
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_REPLY, &rp));
	ASSERT_EQ(-EINVAL, raw_ioctl(self->fd, V_IOC_REPLY_SEG, &rp));
	ASSERT_EQ(-EFAULT, raw_ioctl(self->fd, V_IOC_REPLY, NULL));
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
}

/* Any thread of the receiving V process may MoveFrom / Reply. */
struct mv_arg {
	int fd;
	uint64_t p;
	uint8_t buf[32];
	int mret, rret;
};

static void *reply_thread_fn(void *p)
{
	struct mv_arg *a = p;
	struct v_msg m = mk(V_OK, 0xabc);

	a->mret = v_move_from(a->fd, a->p, 0, a->buf, 32);
	a->rret = v_reply(a->fd, a->p, &m);
	return NULL;
}

TEST_F(ipc, reply_from_other_thread)
{
	struct cspec s = cs(self->id);
	struct v_receive r;
	struct client c;
	struct cres res;
	struct mv_arg a;
	pthread_t th;

	s.seg_len = 32;
	s.access = V_SEG_READ;
	s.seed = 91;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	a.fd = self->fd;
	a.p = r.sender;
	ASSERT_EQ(0, pthread_create(&th, NULL, reply_thread_fn, &a));
	pthread_join(th, NULL);
	ASSERT_EQ(0, a.mret);
	ASSERT_EQ(0, a.rret);
	ASSERT_EQ(-1, pat_mismatch(a.buf, 32, 91, 0));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(0xabc, v_msg_get64(&res.msg, 8));
	ASSERT_EQ(0, client_end(&c));
}

/* ======================================================================== */
/* Timeouts, signals, stops, ptrace                                         */

/* Not received in time: ETIMEDOUT and the receiver never sees it. */
TEST_F(ipc, send_timeout_while_queued)
{
	struct cspec s = cs(self->id);
	struct v_receive r;
	struct client c;
	struct cres res;

	s.timeout_ns = 300000000ULL;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-ETIMEDOUT, res.ret);
	ASSERT_GE(res.elapsed_ns, 250000000ULL);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
	ASSERT_FALSE(pollin_now(self->fd) & POLLIN);
}

/*
 * Received but not replied in time: the Send fails ETIMEDOUT; what the
 * holder does with the message then fails ETIMEDOUT too (its deadline
 * passed), and once a Reply has said so, ENOENT.
 */
TEST_F(ipc, send_timeout_after_receive)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 1);
	uint8_t buf[16] = { 0 };
	struct v_receive r;
	struct client c;
	struct cres res;

	s.timeout_ns = 1500000000ULL * vt_scale();
	s.seg_len = 16;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 4;
	s.hold = 1;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-ETIMEDOUT, res.ret);
	ASSERT_GE(res.elapsed_ns, s.timeout_ns - 50000000ULL);
	ASSERT_EQ(-ETIMEDOUT, v_move_to(self->fd, r.sender, 0, buf, 16));
	ASSERT_EQ(-ETIMEDOUT, v_move_from(self->fd, r.sender, 0, buf, 16));
	ASSERT_EQ(-ETIMEDOUT, v_reply_with_segment(self->fd, r.sender, &reply, 0, buf, 16));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, r.sender, &reply));
	client_go(&c);
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(hash_pat(4, 16), res.hash);
	ASSERT_EQ(0, client_end(&c));
}

/* A handled signal while queued: EINTR, and the receiver never sees it. */
TEST_F(ipc, send_eintr_while_queued)
{
	struct cspec s = cs(self->id);
	struct v_receive r;
	struct client c;
	struct cres res;

	s.sigmode = 1;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, kill(c.pid, SIGUSR1));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-EINTR, res.ret);
	ASSERT_EQ(1, res.got_sig);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
}

/*
 * A handled signal after the server received it: EINTR (also with
 * SA_RESTART); the late MoveTo / Reply get ENOENT and touch nothing.
 */
static void eintr_after_receive(struct __test_metadata *_metadata, int fd, uint64_t id,
				int sigmode)
{
	struct cspec s = cs(id);
	struct v_msg reply = mk(V_OK, 1), sent;
	uint8_t buf[64];
	struct v_receive r;
	struct client c;
	struct cres res;

	s.sigmode = sigmode;
	s.seg_len = 64;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 14;
	s.hold = 1;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(fd, &r, MS_WAIT));
	sent = req_msg(&s, c.pid);
	ASSERT_TRUE(msg_eq(&sent, &r.msg));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(0, kill(c.pid, SIGUSR1));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-EINTR, res.ret);
	ASSERT_EQ(1, res.got_sig);
	ASSERT_TRUE(msg_eq(&sent, &res.msg));
	memset(buf, 0xff, sizeof(buf));
	ASSERT_EQ(-ENOENT, v_move_to(fd, r.sender, 0, buf, 64));
	ASSERT_EQ(-ENOENT, v_reply_with_segment(fd, r.sender, &reply, 0, buf, 64));
	ASSERT_EQ(-ENOENT, v_reply(fd, r.sender, &reply));
	client_go(&c);
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(hash_pat(14, 64), res.hash);
	ASSERT_EQ(0, client_end(&c));
}

TEST_F(ipc, send_eintr_after_receive)
{
	eintr_after_receive(_metadata, self->fd, self->id, 1);
}

TEST_F(ipc, send_eintr_with_sa_restart)
{
	eintr_after_receive(_metadata, self->fd, self->id, 2);
}

/* SIGSTOP / SIGCONT do not interrupt Send: one request, one reply. */
TEST_F(ipc, send_survives_sigstop_sigcont)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 0x5709);
	struct v_receive r, r2;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	/* Stopped while queued. */
	ASSERT_EQ(0, kill(c.pid, SIGSTOP));
	ASSERT_EQ(0, vt_wait_state(c.pid, c.pid, 'T', MS_WAIT));
	ASSERT_EQ(0, kill(c.pid, SIGCONT));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(c.pid, (pid_t)r.creds.pid);
	/* Stopped while held. */
	ASSERT_EQ(0, kill(c.pid, SIGSTOP));
	ASSERT_EQ(0, vt_wait_state(c.pid, c.pid, 'T', MS_WAIT));
	ASSERT_EQ(0, kill(c.pid, SIGCONT));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r2));	/* not queued twice */
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
}

static int ptrace_cycle(pid_t pid, int seize)
{
	int st;

	if (seize) {
		if (ptrace(PTRACE_SEIZE, pid, 0, 0) || ptrace(PTRACE_INTERRUPT, pid, 0, 0))
			return -1;
	} else if (ptrace(PTRACE_ATTACH, pid, 0, 0)) {
		return -1;
	}
	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
		return -2;
	return ptrace(PTRACE_DETACH, pid, 0, 0) ? -3 : 0;
}

static void ptrace_test(struct __test_metadata *_metadata, int fd, uint64_t id, int seize)
{
	struct cspec s = cs(id);
	struct v_msg reply = mk(V_OK, 0x7ace);
	struct v_receive r, r2;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(0, ptrace_cycle(c.pid, seize));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(0, recv_wait(fd, &r, MS_WAIT));
	ASSERT_EQ(c.pid, (pid_t)r.creds.pid);
	ASSERT_EQ(0, ptrace_cycle(c.pid, seize));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(-EAGAIN, recv_now(fd, &r2));
	ASSERT_EQ(0, v_reply(fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-EAGAIN, recv_now(fd, &r));
}

TEST_F(ipc, send_survives_ptrace_seize_interrupt)
{
	ptrace_test(_metadata, self->fd, self->id, 1);
}

TEST_F(ipc, send_survives_ptrace_attach)
{
	ptrace_test(_metadata, self->fd, self->id, 0);
}

/* ======================================================================== */
/* Threads, shared and passed sockets                                       */

TEST_F(ipc, second_send_same_socket_ealready)
{
	struct op_thread t = { 0 };
	struct v_msg m = mk(REQ_CODE, 2), reply = mk(V_OK, 3);
	struct v_receive r;
	int c = v_open();

	ASSERT_LE(0, c);
	t.fd = c;
	t.dst = self->id;
	t.msg = mk(REQ_CODE, 1);
	ASSERT_EQ(0, op_start(&t));
	ASSERT_EQ(0, vt_wait_blocked(getpid(), t.tid, MS_WAIT));
	ASSERT_EQ(-EALREADY, send_to(c, self->id, &m, 1000));
	ASSERT_EQ(2, v_msg_get64(&m, 8));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(1, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
	ASSERT_EQ(0, v_reply(self->fd, vt_id(c), &reply));
	pthread_join(t.th, NULL);
	ASSERT_EQ(0, t.ret);
	ASSERT_TRUE(msg_eq(&reply, &t.msg));
	/* Free again. */
	ASSERT_EQ(-ETIMEDOUT, send_to(c, self->id, &m, 100));
	close(c);
}

/* shutdown() wakes a Receive and a Send blocked on the same socket. */
TEST_F(ipc, shutdown_wakes_receive_and_send)
{
	struct op_thread tr = { 0 }, ts = { 0 };
	struct v_msg reply = mk(V_OK, 1);
	struct v_receive r;
	int c = v_open(), ret;

	ASSERT_LE(0, c);
	tr.fd = c;
	tr.is_recv = 1;
	ts.fd = c;
	ts.dst = self->id;
	ts.msg = mk(REQ_CODE, 1);
	ASSERT_EQ(0, op_start(&tr));
	ASSERT_EQ(0, op_start(&ts));
	ASSERT_EQ(0, vt_wait_blocked(getpid(), tr.tid, MS_WAIT));
	ASSERT_EQ(0, vt_wait_blocked(getpid(), ts.tid, MS_WAIT));
	ASSERT_EQ(0, shutdown(c, SHUT_RDWR));
	pthread_join(tr.th, NULL);
	pthread_join(ts.th, NULL);
	ASSERT_EQ(-ESHUTDOWN, tr.ret);
	ASSERT_EQ(-ESHUTDOWN, ts.ret);
	ASSERT_EQ(1, v_msg_get64(&ts.msg, 8));
	/* The abandoned request cannot be replied to any more. */
	ret = recv_now(self->fd, &r);
	if (ret == 0) {
		ASSERT_EQ(-ENOENT, v_reply(self->fd, r.sender, &reply));
	} else {
		ASSERT_EQ(-EAGAIN, ret);
	}
	close(c);
}

/* Several receiver threads: every message received exactly once. */
struct mr_arg {
	int fd;
	int count[200];
	int errors;
	int handled;
};

static void *mr_thread(void *p)
{
	struct mr_arg *a = p;
	struct v_receive r;
	struct v_msg m;
	uint64_t k;

	for (;;) {
		memset(&r, 0, sizeof(r));
		if (v_receive_ex(a->fd, &r)) {
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_SEQ_CST);
			return NULL;
		}
		k = v_msg_get64(&r.msg, 8);
		m = mk(V_OK, k + 1);
		if (v_msg_code(&r.msg) == 0x0666) {
			v_reply(a->fd, r.sender, &m);
			return NULL;
		}
		if (k < 200)
			__atomic_add_fetch(&a->count[k], 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&a->handled, 1, __ATOMIC_SEQ_CST);
		if (v_reply(a->fd, r.sender, &m))
			__atomic_add_fetch(&a->errors, 1, __ATOMIC_SEQ_CST);
	}
}

TEST_F(ipc, many_receiver_threads_each_message_once)
{
	enum { NT = 4, NC = 4, NM = 40 };
	static struct mr_arg a;
	pthread_t th[NT];
	pid_t pids[NC];
	uint64_t srv;
	struct v_msg m;
	int i, j, once = 0;

	memset(&a, 0, sizeof(a));
	a.fd = v_open();
	ASSERT_LE(0, a.fd);
	srv = vt_id(a.fd);
	for (i = 0; i < NT; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, mr_thread, &a));
	for (i = 0; i < NC; i++) {
		pids[i] = kid_fork(0);
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int fd = v_open();

			CK(fd >= 0);
			for (j = 0; j < NM; j++) {
				m = mk(REQ_CODE, i * NM + j);
				CKEQ(0, v_send(fd, srv, &m));
				CKEQ(i * NM + j + 1, v_msg_get64(&m, 8));
			}
			_exit(0);
		}
	}
	for (i = 0; i < NC; i++)
		ASSERT_EQ(0, kid_wait(pids[i]));
	for (i = 0; i < NT; i++) {
		m = mk(0x0666, 0);
		ASSERT_EQ(0, send_to(self->fd, srv, &m, MS_WAIT));
	}
	for (i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(0, a.errors);
	ASSERT_EQ(NC * NM, a.handled);
	for (i = 0; i < NC * NM; i++)
		once += a.count[i] == 1;
	ASSERT_EQ(NC * NM, once);
	close(a.fd);
}

/* A forked child shares the V process: it Receives, the parent Replies. */
TEST_F(ipc, fork_shared_child_receives_parent_replies)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 0xf0);
	struct client c;
	struct cres res;
	uint64_t info[2];
	int p[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	s.arg = 0x51;
	ASSERT_EQ(0, spawn(&s, &c));
	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct v_receive r;

		CKEQ(0, recv_wait(self->fd, &r, MS_WAIT));
		info[0] = r.sender;
		info[1] = v_msg_get64(&r.msg, 8);
		CK(write(p[1], info, sizeof(info)) == sizeof(info));
		_exit(0);
	}
	ASSERT_EQ(0, vt_read_full(p[0], info, sizeof(info), 2 * MS_WAIT));
	ASSERT_EQ(0, kid_wait(pid));
	ASSERT_EQ(0x51, info[1]);
	ASSERT_EQ(0, v_reply(self->fd, info[0], &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(info[0], res.self);
	ASSERT_EQ(self->id, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
	close(p[0]);
	close(p[1]);
}

TEST_F(ipc, fork_shared_parent_receives_child_replies)
{
	struct cspec s = cs(self->id);
	struct v_receive r;
	struct client c;
	struct cres res;
	pid_t pid;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct v_msg m = mk(V_OK, 0xc41d);

		CKEQ(0, v_reply(self->fd, r.sender, &m));
		_exit(0);
	}
	ASSERT_EQ(0, kid_wait(pid));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(self->id, res.replier);
	ASSERT_EQ(0xc41d, v_msg_get64(&res.msg, 8));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, r.sender, &res.msg));
	ASSERT_EQ(0, client_end(&c));
}

/* A socket passed with SCM_RIGHTS is the same V process in the receiver. */
TEST_F(ipc, scm_rights_passed_socket)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct v_msg reply = mk(V_OK, 0x5c);
	struct msghdr mh;
	struct cmsghdr *cm;
	struct iovec iov;
	struct v_receive r;
	struct client c;
	struct cspec s;
	struct cres res;
	uint64_t sent_id = 0, got = 0;
	int sp[2], nfd = -1;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sp));
	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = v_open();
		uint64_t id;

		CK(fd >= 0);
		CKEQ(0, v_self(fd, &id));
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &id;
		iov.iov_len = sizeof(id);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		CK(sendmsg(sp[1], &mh, 0) == sizeof(id));
		close(fd);
		_exit(0);
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &sent_id;
	iov.iov_len = sizeof(sent_id);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	ASSERT_TRUE(vt_wait_poll(sp[0], POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(sizeof(sent_id), recvmsg(sp[0], &mh, 0));
	cm = CMSG_FIRSTHDR(&mh);
	ASSERT_NE(NULL, cm);
	ASSERT_EQ(SCM_RIGHTS, cm->cmsg_type);
	memcpy(&nfd, CMSG_DATA(cm), sizeof(int));
	ASSERT_EQ(0, kid_wait(pid));	/* the child closed its copy */
	ASSERT_EQ(0, v_self(nfd, &got));
	ASSERT_EQ(sent_id, got);
	ASSERT_EQ(0, fcntl(nfd, F_SETFL, O_NONBLOCK));
	s = cs(sent_id);
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(nfd, &r, MS_WAIT));
	ASSERT_EQ(c.pid, (pid_t)r.creds.pid);
	ASSERT_EQ(0, v_reply(nfd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(sent_id, res.replier);
	ASSERT_EQ(0, client_end(&c));
	close(nfd);
	close(sp[0]);
	close(sp[1]);
}

/* ======================================================================== */
/* poll / epoll, FIFO                                                       */

TEST_F(ipc, poll_epollin_follows_queue)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 1);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct v_receive r;
	struct client c;
	struct cres res;
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	ASSERT_EQ(0, pollin_now(self->fd));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, spawn(&s, &c));
	/* epoll wakes when the message is queued. */
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, MS_WAIT * vt_scale()));
	ASSERT_TRUE(out.events & EPOLLIN);
	ASSERT_TRUE(pollin_now(self->fd) & POLLIN);
	ASSERT_EQ(0, recv_now(self->fd, &r));
	/* Received (not yet replied): no longer readable. */
	ASSERT_EQ(0, pollin_now(self->fd));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(0, pollin_now(self->fd));
	/* EPOLLHUP after shutdown. */
	ASSERT_EQ(0, shutdown(self->fd, SHUT_RDWR));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, MS_WAIT * vt_scale()));
	ASSERT_TRUE(out.events & EPOLLHUP);
	close(ep);
}

/* FIFO per receiver: 20 senders queued one after the other. */
TEST_F(ipc, fifo_order_twenty_senders)
{
	enum { N = 20 };
	struct client c[N];
	struct v_msg reply;
	struct v_receive r;
	struct cres res;
	int i, in_order = 0, ok = 0;

	for (i = 0; i < N; i++) {
		struct cspec s = cs(self->id);

		s.arg = i;
		ASSERT_EQ(0, spawn(&s, &c[i]));
		ASSERT_EQ(0, vt_wait_blocked(c[i].pid, c[i].pid, MS_WAIT));
	}
	for (i = 0; i < N; i++) {
		if (recv_now(self->fd, &r))
			break;
		in_order += v_msg_get64(&r.msg, 8) == (uint64_t)i &&
			    (pid_t)r.creds.pid == c[i].pid;
		reply = mk(V_OK, v_msg_get64(&r.msg, 8) + 500);
		v_reply(self->fd, r.sender, &reply);
	}
	ASSERT_EQ(N, i);
	ASSERT_EQ(N, in_order);
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
	for (i = 0; i < N; i++) {
		if (client_result(&c[i], &res) == 0 && res.ret == 0 &&
		    v_msg_get64(&res.msg, 8) == (uint64_t)i + 500)
			ok++;
		client_end(&c[i]);
	}
	ASSERT_EQ(N, ok);
}

/* ======================================================================== */
/* Lifetime                                                                 */

TEST_F(ipc, sender_killed_while_queued)
{
	struct cspec s = cs(self->id);
	struct v_receive r;
	struct client c;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, kill(c.pid, SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, client_end(&c));
	ASSERT_EQ(-EAGAIN, recv_now(self->fd, &r));
	ASSERT_EQ(0, pollin_now(self->fd));
}

TEST_F(ipc, sender_killed_while_received)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 1);
	uint8_t buf[8];
	struct v_receive r;
	struct client c;

	s.seg_len = 8;
	s.access = V_SEG_READ | V_SEG_WRITE;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(0, kill(c.pid, SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, client_end(&c));
	ASSERT_EQ(-ENOENT, v_move_from(self->fd, r.sender, 0, buf, 8));
	ASSERT_EQ(-ENOENT, v_move_to(self->fd, r.sender, 0, buf, 8));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, r.sender, &reply));
	ASSERT_EQ(-ENOENT, v_forward(self->fd, r.sender, self->id, &reply));
}

/* The sender is killed during big MoveFroms: they fail cleanly, then ENOENT. */
struct mc_arg {
	int fd;
	uint64_t p;
	uint8_t *buf;
	size_t len;
	volatile int first_done;
	int ret, iterations, bad_data;
};

static void *mc_thread(void *p)
{
	struct mc_arg *a = p;
	int64_t end = vt_now_ms() + 60000LL * vt_scale();

	do {
		a->buf[0] = 0;
		a->buf[a->len - 1] = 0;
		a->ret = v_move_from(a->fd, a->p, 0, a->buf, a->len);
		if (a->ret == 0 && (a->buf[0] != 0x5a || a->buf[a->len - 1] != 0x5a))
			a->bad_data++;
		a->iterations++;
		a->first_done = 1;
	} while (a->ret == 0 && vt_now_ms() < end);
	return NULL;
}

TEST_F_TIMEOUT(ipc, sender_killed_mid_copy, 180)
{
	struct cspec s = cs(self->id);
	struct v_msg reply = mk(V_OK, 1);
	static struct mc_arg a;
	struct v_receive r;
	struct client c;
	pthread_t th;

	s.seg_len = 32UL << 20;
	s.access = V_SEG_READ;
	s.fast_fill = 1;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->fd, &r, 3 * MS_WAIT));
	memset(&a, 0, sizeof(a));
	a.fd = self->fd;
	a.p = r.sender;
	a.len = s.seg_len;
	a.buf = mmap(NULL, a.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a.buf);
	memset(a.buf, 0, a.len);
	ASSERT_EQ(0, pthread_create(&th, NULL, mc_thread, &a));
	while (!a.first_done)
		usleep(1000);
	usleep(3000);
	ASSERT_EQ(0, kill(c.pid, SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, client_end(&c));
	pthread_join(th, NULL);
	ASSERT_EQ(0, a.bad_data);
	ASSERT_TRUE(a.ret == -ENOENT || a.ret == -EFAULT) TH_LOG("MoveFrom: %d", a.ret);
	ASSERT_EQ(-ENOENT, v_move_from(self->fd, r.sender, 0, a.buf, 16));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, r.sender, &reply));
	munmap(a.buf, a.len);
}

/* shutdown() of the receiver: queued and received-not-replied get ESRCH. */
TEST_F(ipc, receiver_shutdown_senders_esrch)
{
	struct cspec sa = cs(self->id), sb = cs(self->id);
	struct v_msg reply = mk(V_OK, 1);
	struct client a, b;
	struct v_receive r;
	struct cres res;

	sa.arg = 1;
	sb.arg = 2;
	ASSERT_EQ(0, spawn(&sa, &a));
	ASSERT_EQ(0, recv_wait(self->fd, &r, MS_WAIT));
	ASSERT_EQ(1, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(0, spawn(&sb, &b));
	ASSERT_EQ(0, vt_wait_blocked(b.pid, b.pid, MS_WAIT));
	ASSERT_TRUE(vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, shutdown(self->fd, SHUT_RDWR));
	ASSERT_EQ(0, client_result(&a, &res));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, client_result(&b, &res));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, client_end(&a));
	ASSERT_EQ(0, client_end(&b));
	ASSERT_EQ(-ESHUTDOWN, v_reply(self->fd, r.sender, &reply));
}

/* The receiver process dies: its queued and held senders get ESRCH. */
TEST_F(ipc, receiver_killed_senders_esrch)
{
	struct client a, b;
	struct cspec sa, sb;
	struct cres res;
	uint64_t rid;
	int p[2], q[2];
	pid_t rp;
	char ch;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, pipe(q));
	rp = kid_fork(0);
	ASSERT_LE(0, rp);
	if (rp == 0) {
		struct v_receive r;
		int fd = vopen_nb();

		close(self->fd);
		CK(fd >= 0);
		rid = vt_id(fd);
		CK(write(p[1], &rid, sizeof(rid)) == sizeof(rid));
		CKEQ(0, recv_wait(fd, &r, MS_WAIT));
		CK(write(q[1], "r", 1) == 1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, vt_read_full(p[0], &rid, sizeof(rid), MS_WAIT));
	sb = cs(rid);
	sa = cs(rid);
	ASSERT_EQ(0, spawn(&sb, &b));
	ASSERT_EQ(0, vt_read_full(q[0], &ch, 1, MS_WAIT));	/* b is held */
	ASSERT_EQ(0, spawn(&sa, &a));
	ASSERT_EQ(0, vt_wait_blocked(a.pid, a.pid, MS_WAIT));	/* a is queued */
	ASSERT_EQ(0, kill(rp, SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, kid_wait(rp));
	ASSERT_EQ(0, client_result(&a, &res));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, client_result(&b, &res));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, client_end(&a));
	ASSERT_EQ(0, client_end(&b));
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/* ======================================================================== */
/* Stress                                                                   */

#define ST_SERVERS	4
#define ST_THREADS	2
#define ST_CLIENTS	8
#define ST_MAXSEG	(256 << 10)
#define ST_CODE		0x0200
#define ST_STOP		0x02ff

enum { OP_PLAIN, OP_MOVEFROM, OP_MOVETO, OP_REPLYSEG, OP_N };

/*
 * Request: code ST_CODE + op, [2] client, [4] seq, [8] len, [12] seed,
 * [16] mix64(client, seq, len, seed).  Reply: V_OK, [2] client, [4] seq,
 * [8] result, [16] server index.
 */
struct st_server {
	int fd;
	int index;
	uint64_t handled;
	uint64_t errors;
};

static void *st_server_thread(void *p)
{
	struct st_server *sv = p;
	uint8_t *buf = malloc(ST_MAXSEG);
	struct v_receive r;
	struct v_msg m;
	uint32_t len, seed, seq;
	uint16_t cli, op;
	uint64_t result;
	int ret;

	if (!buf)
		return NULL;
	for (;;) {
		memset(&r, 0, sizeof(r));
		if (v_receive_ex(sv->fd, &r)) {
			__atomic_add_fetch(&sv->errors, 1, __ATOMIC_SEQ_CST);
			break;
		}
		memset(&m, 0, sizeof(m));
		if (v_msg_code(&r.msg) == ST_STOP) {
			v_reply(sv->fd, r.sender, &m);
			break;
		}
		op = v_msg_code(&r.msg) - ST_CODE;
		cli = v_msg_get16(&r.msg, 2);
		seq = v_msg_get32(&r.msg, 4);
		len = v_msg_get32(&r.msg, 8);
		seed = v_msg_get32(&r.msg, 12);
		result = 0;
		ret = 0;
		if (v_msg_get64(&r.msg, 16) != mix64(((uint64_t)cli << 48) ^ ((uint64_t)seq << 16) ^
						     ((uint64_t)len << 32) ^ seed) ||
		    op >= OP_N || len > ST_MAXSEG)
			ret = -1000;
		else if (op != OP_PLAIN && r.seg_len != len)
			ret = -1001;
		else if (op == OP_PLAIN)
			result = mix64(seed ^ seq);
		else if (op == OP_MOVEFROM) {
			ret = v_move_from(sv->fd, r.sender, 0, buf, len);
			result = hash_buf(buf, len);
		} else {
			fill(buf, len, seed, 0);
			if (op == OP_MOVETO)
				ret = v_move_to(sv->fd, r.sender, 0, buf, len);
		}
		v_msg_set_code(&m, V_OK);
		v_msg_put16(&m, 2, cli);
		v_msg_put32(&m, 4, seq);
		v_msg_put64(&m, 8, result);
		v_msg_put32(&m, 16, sv->index);
		if (ret) {
			fprintf(stderr, "# server %d: op %u len %u: %d\n", sv->index, op, len, ret);
			__atomic_add_fetch(&sv->errors, 1, __ATOMIC_SEQ_CST);
			v_msg_set_code(&m, V_BAD_STATE);
		}
		if (op == OP_REPLYSEG && !ret)
			ret = v_reply_with_segment(sv->fd, r.sender, &m, 0, buf, len);
		else
			ret = v_reply(sv->fd, r.sender, &m);
		if (ret)
			__atomic_add_fetch(&sv->errors, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&sv->handled, 1, __ATOMIC_SEQ_CST);
	}
	free(buf);
	return NULL;
}

static void __attribute__((noreturn)) st_server_main(int index, int wfd)
{
	struct st_server sv = { .index = index };
	pthread_t th[ST_THREADS];
	uint64_t id, stats[2];
	int i;

	sv.fd = v_open();
	CK(sv.fd >= 0);
	CKEQ(0, v_self(sv.fd, &id));
	CK(write(wfd, &id, sizeof(id)) == sizeof(id));
	for (i = 0; i < ST_THREADS; i++)
		CKEQ(0, pthread_create(&th[i], NULL, st_server_thread, &sv));
	for (i = 0; i < ST_THREADS; i++)
		pthread_join(th[i], NULL);
	stats[0] = sv.handled;
	stats[1] = sv.errors;
	CK(write(wfd, stats, sizeof(stats)) == sizeof(stats));
	close(sv.fd);
	_exit(0);
}

static uint64_t xs(uint64_t *st)
{
	uint64_t x = *st;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *st = x;
}

static void __attribute__((noreturn)) st_client_main(int cli, const uint64_t *srv, int secs,
						     int wfd)
{
	uint64_t rnd = 0x9E3779B97F4A7C15ULL * (cli + 1), n = 0, id;
	int64_t end = vt_now_ms() + secs * 1000LL;
	uint8_t *mem = malloc(ST_MAXSEG + 64);
	struct v_send s;
	uint32_t seq = 0, len, seed, off;
	unsigned int op, k;
	int fd = v_open();

	CK(fd >= 0 && mem);
	CKEQ(0, v_self(fd, &id));
	while (vt_now_ms() < end) {
		op = xs(&rnd) % OP_N;
		k = xs(&rnd) % ST_SERVERS;
		len = 1 + xs(&rnd) % (op == OP_REPLYSEG ? V_REPLY_SEG_MAX_DEFAULT : ST_MAXSEG);
		if (xs(&rnd) % 4 == 0)
			len = (uint32_t[]){ 1, 4095, 4096, 4097 }[xs(&rnd) % 4];
		seed = (uint32_t)xs(&rnd);
		off = xs(&rnd) % 64;
		seq++;
		memset(&s, 0, sizeof(s));
		s.dst = srv[k];
		v_msg_set_code(&s.msg, ST_CODE + op);
		v_msg_put16(&s.msg, 2, cli);
		v_msg_put32(&s.msg, 4, seq);
		v_msg_put32(&s.msg, 8, len);
		v_msg_put32(&s.msg, 12, seed);
		v_msg_put64(&s.msg, 16, mix64(((uint64_t)cli << 48) ^ ((uint64_t)seq << 16) ^
					      ((uint64_t)len << 32) ^ seed));
		if (op == OP_MOVEFROM) {
			fill(mem + off, len, seed, 0);
			s.seg_access = V_SEG_READ;
		} else if (op != OP_PLAIN) {
			memset(mem + off, 0xe7, len);
			s.seg_access = V_SEG_WRITE;
		}
		if (op != OP_PLAIN) {
			s.seg_addr = (uintptr_t)(mem + off);
			s.seg_len = len;
		}
		CKEQ(0, v_send_ex(fd, &s));
		CKEQ(srv[k], s.replier);
		CKEQ(V_OK, v_msg_code(&s.msg));
		CKEQ(cli, v_msg_get16(&s.msg, 2));
		CKEQ(seq, v_msg_get32(&s.msg, 4));
		CKEQ(k, v_msg_get32(&s.msg, 16));
		if (op == OP_PLAIN)
			CK(v_msg_get64(&s.msg, 8) == mix64(seed ^ seq));
		else if (op == OP_MOVEFROM)
			CK(v_msg_get64(&s.msg, 8) == hash_pat(seed, len));
		else
			CKEQ(-1, pat_mismatch(mem + off, len, seed, 0));
		n++;
	}
	CK(write(wfd, &n, sizeof(n)) == sizeof(n));
	close(fd);
	_exit(0);
}

TEST_F_TIMEOUT(ipc, stress_random_traffic, 600)
{
	const char *e = getenv("VK_STRESS_SECS");
	int secs = e && atoi(e) > 0 ? atoi(e) : 10;
	uint64_t srv[ST_SERVERS], stats[2], total = 0, handled = 0, errors = 0, n;
	int sp[ST_SERVERS][2], cp[2], i, j, c = v_open(), bad = 0;
	pid_t spid[ST_SERVERS], cpid[ST_CLIENTS];
	struct v_msg m;

	if (secs > 480)
		secs = 480;
	ASSERT_LE(0, c);
	for (i = 0; i < ST_SERVERS; i++) {
		ASSERT_EQ(0, pipe(sp[i]));
		spid[i] = kid_fork(secs + 120 * vt_scale());
		ASSERT_LE(0, spid[i]);
		if (spid[i] == 0) {
			close(c);
			close(self->fd);
			st_server_main(i, sp[i][1]);
		}
		ASSERT_EQ(0, vt_read_full(sp[i][0], &srv[i], sizeof(srv[i]), MS_WAIT));
	}
	ASSERT_EQ(0, pipe(cp));
	for (i = 0; i < ST_CLIENTS; i++) {
		cpid[i] = kid_fork(secs + 120 * vt_scale());
		ASSERT_LE(0, cpid[i]);
		if (cpid[i] == 0) {
			close(c);
			close(self->fd);
			st_client_main(i, srv, secs, cp[1]);
		}
	}
	for (i = 0; i < ST_CLIENTS; i++) {
		n = 0;
		if (vt_read_full(cp[0], &n, sizeof(n), (secs + 60) * 1000))
			bad++;
		total += n;
	}
	for (i = 0; i < ST_CLIENTS; i++)
		bad += kid_wait(cpid[i]) != 0;
	ASSERT_EQ(0, bad);
	/* Stop every server thread, collect the counts. */
	for (i = 0; i < ST_SERVERS; i++) {
		for (j = 0; j < ST_THREADS; j++) {
			memset(&m, 0, sizeof(m));
			v_msg_set_code(&m, ST_STOP);
			bad += send_to(c, srv[i], &m, MS_WAIT) != 0;
		}
	}
	ASSERT_EQ(0, bad);
	for (i = 0; i < ST_SERVERS; i++) {
		if (vt_read_full(sp[i][0], stats, sizeof(stats), MS_WAIT))
			bad++;
		handled += stats[0];
		errors += stats[1];
		bad += kid_wait(spid[i]) != 0;
		close(sp[i][0]);
		close(sp[i][1]);
	}
	close(cp[0]);
	close(cp[1]);
	close(c);
	ASSERT_EQ(0, bad);
	ASSERT_EQ(0, errors);
	ASSERT_LT(0, total);
	ASSERT_EQ(total, handled) TH_LOG("clients completed %llu, servers handled %llu",
					 (unsigned long long)total, (unsigned long long)handled);
	fprintf(stderr, "# stress: %llu transactions in %d s\n", (unsigned long long)total, secs);
}

VT_HARNESS_MAIN
