// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "path": the mechanics of the local fast path (vkmod/ipc.c), each
 * test aimed at one shortcut the path takes and at what must still hold
 * when it is taken:
 *
 *   - Reply finds its sender on the replier's held list (the last few
 *     messages received) and by id lookup beyond them;
 *   - a Send reuses the receiver of the socket's last Send (dst_cache),
 *     which must still say ESRCH once that receiver has gone;
 *   - a Send to a process with a thread blocked in Receive hands the
 *     message to that thread (creds, segment copy and all) instead of
 *     queueing it; a thread that leaves Receive (signal, EFAULT) must not
 *     be handed anything, and a message it gives back goes to the next.
 *
 * Threads of the test process are the receivers (one V process, one
 * socket); clients are forked children with sockets of their own.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include "vtest.h"
#include "vkids.h"
#include "kselftest_harness.h"

#define MS_WAIT		10000	/* ordinary bounded waits (scaled) */
#define REQ_CODE	0x0321
#define BAD_PTR		((void *)16)


/*
 * A client child: Sends one request carrying arg (and a read-granted
 * segment of seg_len bytes of pattern seed), checks that the reply is
 * arg's answer from replier, exits 0 or with the failing line.
 */
static pid_t path_client(uint64_t dst, uint64_t arg, size_t seg_len, uid_t uid)
{
	static uint8_t seg[4096];
	pid_t pid = kid_fork(0);
	struct v_msg m;
	int fd;

	if (pid)
		return pid;
	if (uid && (setresgid(uid, uid, uid) || setresuid(uid, uid, uid)))
		ck_fail(__LINE__, "setresuid %u", uid);
	fd = v_open();
	CK(fd >= 0);
	fill(seg, seg_len, (uint32_t)arg, 0);
	m = mk(REQ_CODE, arg);
	CKEQ(0, vt_send_timed(fd, dst, &m, seg_len ? seg : NULL, seg_len, MS_WAIT));
	CKEQ(arg * 1000 + 7, v_msg_get64(&m, 8));
	_exit(0);
}

/* A thread blocked in (ReceiveWithSegment when buf is set) Receive. */
struct path_rx {
	pthread_t th;
	int fd;
	pid_t tid;
	void *buf;
	size_t buf_len;
	int ret;
	struct v_receive r;
};

static void *path_rx_thread(void *arg)
{
	struct path_rx *x = arg;

	__atomic_store_n(&x->tid, vt_gettid(), __ATOMIC_SEQ_CST);
	memset(&x->r, 0, sizeof(x->r));
	x->r.buf_addr = (uintptr_t)x->buf;
	x->r.buf_len = x->buf_len;
	x->ret = v_receive_ex(x->fd, &x->r);
	return NULL;
}

/* Start x's thread and wait until it sleeps in the ioctl. */
static int path_rx_start(struct path_rx *x)
{
	int64_t end = vt_now_ms() + MS_WAIT;

	x->tid = 0;
	if (pthread_create(&x->th, NULL, path_rx_thread, x))
		return -1;
	while (!__atomic_load_n(&x->tid, __ATOMIC_SEQ_CST) && vt_now_ms() < end)
		usleep(1000);
	return vt_wait_blocked(getpid(), x->tid, MS_WAIT);
}

static void path_on_usr1(int sig)
{
	(void)sig;
}

/* The answer path_client() checks for. */
static int path_reply(int fd, uint64_t to, uint64_t arg)
{
	struct v_msg m = mk(REQ_CODE, arg * 1000 + 7);

	return v_reply(fd, to, &m);
}

FIXTURE(path) {
	int fd;
	uint64_t id;
	pid_t owner;
};

FIXTURE_SETUP(path)
{
	self->owner = getpid();
	nkids = 0;
	self->fd = v_open();
	ASSERT_LE(0, self->fd) TH_LOG("v_open: %s", strerror(-self->fd));
	self->id = vt_id(self->fd);
	ASSERT_NE(0, self->id);
}

FIXTURE_TEARDOWN(path)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Eight messages held at once, replied in an order that reaches the
 * oldest (beyond the held list's short scan: the id lookup) and the newest
 * (the scan): every client gets its own answer, and a second Reply to the
 * same client finds nothing.
 */
TEST_F(path, reply_reaches_each_of_many_held)
{
	static const int order[] = { 0, 7, 3, 5, 1, 6, 2, 4 };
	enum { N = 8 };
	uint64_t sender[N];
	pid_t pids[N];
	struct v_receive r;
	struct v_msg m;
	int i;

	for (i = 0; i < N; i++) {
		pids[i] = path_client(self->id, i, 0, 0);
		ASSERT_LE(0, pids[i]);
		/* Received in the order sent: arg i is the i-th held. */
		memset(&r, 0, sizeof(r));
		ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
		ASSERT_EQ(0, v_receive_ex(self->fd, &r));
		ASSERT_EQ((uint64_t)i, v_msg_get64(&r.msg, 8));
		sender[i] = r.sender;
	}
	for (i = 0; i < N; i++) {
		int k = order[i];

		ASSERT_EQ(0, path_reply(self->fd, sender[k], k)) TH_LOG("reply to #%d", k);
		ASSERT_EQ(0, kid_wait(pids[k])) TH_LOG("client #%d got the wrong answer", k);
		m = mk(REQ_CODE, 0);
		ASSERT_EQ(-ENOENT, v_reply(self->fd, sender[k], &m));
	}
}

/*
 * Reply-and-Receive whose Receive half fails (nothing queued, O_NONBLOCK):
 * the Reply was done, and v_reply_receive_ex() says so (reply.dst 0); one
 * whose Reply half fails leaves reply.dst and the message as they were.
 */
TEST_F(path, reply_receive_tells_which_half_failed)
{
	struct v_reply_receive rr;
	struct v_receive r;
	pid_t cl;

	cl = path_client(self->id, 5, 0, 0);
	ASSERT_LE(0, cl);
	memset(&r, 0, sizeof(r));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, v_receive_ex(self->fd, &r));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));

	memset(&rr, 0, sizeof(rr));
	rr.reply.dst = r.sender ^ 1;			/* never held: the Reply fails */
	rr.reply.msg = mk(REQ_CODE, 5 * 1000 + 7);
	ASSERT_EQ(-ENOENT, v_reply_receive_ex(self->fd, &rr));
	ASSERT_EQ(r.sender ^ 1, rr.reply.dst);

	rr.reply.dst = r.sender;			/* replied, then nothing queued */
	ASSERT_EQ(-EAGAIN, v_reply_receive_ex(self->fd, &rr));
	ASSERT_EQ(0, rr.reply.dst);
	ASSERT_EQ(0, kid_wait(cl));			/* it got its answer */
}

/*
 * The socket's cached receiver: after it has gone, a Send to its id is
 * ESRCH (not queued at a dead socket), another receiver works, and the
 * old id stays ESRCH.
 */
TEST_F(path, send_to_gone_cached_receiver_is_esrch)
{
	uint64_t aid, bid;
	struct v_msg m;
	pid_t apid;

	aid = vt_echo_server(NULL);
	ASSERT_NE(0, aid);
	apid = kids[nkids - 1];
	m = mk(REQ_CODE, 1);
	ASSERT_EQ(0, vt_send_timed(self->fd, aid, &m, NULL, 0, MS_WAIT));
	ASSERT_EQ(1, v_msg_get64(&m, 8));	/* echoed */

	kill(apid, SIGKILL);
	ASSERT_EQ(1000 + SIGKILL, kid_wait(apid));
	m = mk(REQ_CODE, 2);
	ASSERT_EQ(-ESRCH, vt_send_timed(self->fd, aid, &m, NULL, 0, MS_WAIT));

	bid = vt_echo_server(NULL);
	ASSERT_NE(0, bid);
	m = mk(REQ_CODE, 3);
	ASSERT_EQ(0, vt_send_timed(self->fd, bid, &m, NULL, 0, MS_WAIT));
	ASSERT_EQ(3, v_msg_get64(&m, 8));
	m = mk(REQ_CODE, 4);
	ASSERT_EQ(-ESRCH, vt_send_timed(self->fd, aid, &m, NULL, 0, MS_WAIT));
	m = mk(REQ_CODE, 5);
	ASSERT_EQ(0, vt_send_timed(self->fd, bid, &m, NULL, 0, MS_WAIT));
	ASSERT_EQ(5, v_msg_get64(&m, 8));
}

/*
 * A Send to a process whose thread already waits in ReceiveWithSegment is
 * handed to that thread: the sender, its credentials (another user's) and
 * the first bytes of its segment all arrive as from the queue.
 */
TEST_F(path, waiting_receiver_is_handed_creds_and_segment)
{
	static uint8_t buf[4096];
	struct path_rx x = { .fd = self->fd, .buf = buf, .buf_len = 100 };
	pid_t cl;

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, path_rx_start(&x));
	cl = path_client(self->id, 42, 300, 1234);
	ASSERT_LE(0, cl);
	pthread_join(x.th, NULL);
	ASSERT_EQ(0, x.ret);
	ASSERT_EQ(42, v_msg_get64(&x.r.msg, 8));
	ASSERT_EQ(1234, x.r.creds.uid);
	ASSERT_EQ(1234, x.r.creds.gid);
	ASSERT_EQ((uint32_t)cl, x.r.creds.pid);
	ASSERT_EQ(0, x.r.creds.flags);
	ASSERT_EQ(300, x.r.seg_len);
	ASSERT_EQ(V_SEG_READ, x.r.seg_access);
	ASSERT_EQ(100, x.r.copied);
	ASSERT_EQ(-1, pat_mismatch(buf, 100, 42, 0));
	ASSERT_EQ(0, buf[100]);
	ASSERT_EQ(0, path_reply(self->fd, x.r.sender, 42));
	ASSERT_EQ(0, kid_wait(cl));
}

/*
 * Two threads wait in Receive; the first leaves with EINTR (a handler,
 * no SA_RESTART).  The next message goes to the one still waiting: none
 * is handed to the thread that left.
 */
TEST_F(path, receiver_that_left_on_signal_is_handed_nothing)
{
	struct path_rx a = { .fd = self->fd }, b = { .fd = self->fd };
	struct sigaction sa;
	pid_t cl;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = path_on_usr1;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, path_rx_start(&a));
	ASSERT_EQ(0, path_rx_start(&b));
	ASSERT_EQ(0, pthread_kill(a.th, SIGUSR1));
	pthread_join(a.th, NULL);
	ASSERT_EQ(-EINTR, a.ret);

	cl = path_client(self->id, 7, 0, 0);
	ASSERT_LE(0, cl);
	pthread_join(b.th, NULL);
	ASSERT_EQ(0, b.ret);
	ASSERT_EQ(7, v_msg_get64(&b.r.msg, 8));
	ASSERT_EQ(0, path_reply(self->fd, b.r.sender, 7));
	ASSERT_EQ(0, kid_wait(cl));
	signal(SIGUSR1, SIG_DFL);
}

/*
 * The first waiting thread is handed the message but cannot take its
 * segment bytes (a bad buffer: EFAULT); the message goes back and on to
 * the thread waiting behind it, which answers it: nothing is lost.
 */
TEST_F(path, message_given_back_goes_to_the_next_waiter)
{
	struct path_rx a = { .fd = self->fd, .buf = BAD_PTR, .buf_len = 64 };
	struct path_rx b = { .fd = self->fd };
	pid_t cl;

	ASSERT_EQ(0, path_rx_start(&a));
	ASSERT_EQ(0, path_rx_start(&b));
	cl = path_client(self->id, 9, 64, 0);
	ASSERT_LE(0, cl);
	pthread_join(a.th, NULL);
	ASSERT_EQ(-EFAULT, a.ret);
	pthread_join(b.th, NULL);
	ASSERT_EQ(0, b.ret);
	ASSERT_EQ(9, v_msg_get64(&b.r.msg, 8));
	ASSERT_EQ(64, b.r.seg_len);
	ASSERT_EQ(0, path_reply(self->fd, b.r.sender, 9));
	ASSERT_EQ(0, kid_wait(cl));
}

VT_HARNESS_MAIN
