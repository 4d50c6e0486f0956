// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "notify": notices and deadlines on one host (vkmod/notice.c; uapi
 * "Notices" and "Receive").  Death notices (V_IOC_WATCH) on close, kill
 * and shutdown, at once for a process already gone, their layout, bad
 * ids, EEXIST, ENOSPC at V_WATCHES_MAX, UNWATCH before and after firing;
 * delivery (a blocked Receive woken, poll(), notices before messages,
 * several watchers, the _V1 ioctl numbers); deadlines (reported, kept by
 * Forward, ETIMEDOUT once passed); unblock notices (V_NOTIFY_UNBLOCK) on
 * a client's timeout, signal and shutdown, and none when not asked for
 * or for a message only queued.  Fixture rnotify: watches across hosts
 * (three namespaces on a bridge): a remote process's end, one never
 * there, UNWATCH, a host gone silent (HOST_DOWN) and one restarted with
 * its host part (HOST_RESTARTED), a host of another wire version (EPROTO).
 *
 * The test process watches and serves (its Receives wait at most MS_WAIT:
 * SO_RCVTIMEO); watched processes and clients are forked children.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/resource.h>
#include "vtest.h"
#include "vwire.h"
#include "vkids.h"
#include "kselftest_harness.h"

#define MS_WAIT		10000	/* ordinary bounded waits (scaled) */
#define MS_SHORT	300	/* a Send's timeout that is meant to pass (scaled) */
#define REQ_CODE	0x0431
#define GONE_GEN	0xabcU	/* generation of ids no process of the host has */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whether fd polls readable right now. */
static int readable(int fd)
{
	return (vt_wait_poll(fd, POLLIN, 0) & POLLIN) != 0;
}

/* An id of this host that names no process (fires GONE at once). */
static uint64_t gone_id(uint32_t host, uint32_t index)
{
	return v_id_make(host, (GONE_GEN << V_ID_GEN_SHIFT) | index);
}

/*
 * r is a notice of kind about id: code, why, id at 8, cookie at 24 (an
 * unblock notice: its non-zero transaction number at 16), all else zero.
 */
static void check_notice(struct __test_metadata *_metadata, const struct v_receive *r,
			 uint32_t kind, uint64_t id, uint16_t why, uint64_t cookie)
{
	uint16_t code = kind == V_KIND_UNBLOCK ? V_NOTICE_UNBLOCK : V_NOTICE_DEATH;
	uint32_t seq = v_msg_get32(&r->msg, 16);
	struct v_receive e;

	ASSERT_EQ(kind, r->kind);
	ASSERT_EQ(id, r->sender);
	ASSERT_EQ(code, v_msg_code(&r->msg));
	ASSERT_EQ(why, v_msg_get16(&r->msg, 2));
	ASSERT_EQ(id, v_msg_get64(&r->msg, 8));
	ASSERT_EQ(cookie, v_msg_get64(&r->msg, 24));
	ASSERT_EQ(kind == V_KIND_UNBLOCK, seq != 0);
	memset(&e, 0, sizeof(e));
	e.sender = id;
	e.kind = kind;
	v_msg_set_code(&e.msg, code);
	v_msg_put16(&e.msg, 2, why);
	v_msg_put64(&e.msg, 8, id);
	v_msg_put32(&e.msg, 16, seq);
	v_msg_put64(&e.msg, 24, cookie);
	/* creds, segment, deadline, the rest of the message: zero */
	ASSERT_EQ(0, memcmp(&e, r, sizeof(e)));
}

#define CHECK_DEATH(r, id, why, cookie) \
	check_notice(_metadata, r, V_KIND_NOTICE, id, why, cookie)
#define CHECK_UNBLOCK(r, id, why) \
	check_notice(_metadata, r, V_KIND_UNBLOCK, id, why, 0)

/*
 * In a child: close every descriptor but stdio and keep_a, keep_b, so it
 * holds no other child's pipe (whose EOF that child waits for) and none
 * of the test's V sockets (whose close a test watches for).
 */
static void kid_only(int keep_a, int keep_b)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != keep_a && fd != keep_b)
			close(fd);
}

/* ------------------------------------------------------------------------ */
/* Children: a V process to watch, or a client                              */

enum { K_TARGET, K_PLAIN, K_SIGNAL, K_SHUTDOWN };

struct kid {
	pid_t pid;
	int cmd;	/* to it: 'c' close, 's' shutdown() its socket; EOF: exit */
	int rep;	/* from it: its id, a client's struct kid_rep, each command done */
	uint64_t id;
};

struct kid_rep {
	int32_t ret;	/* the Send's result */
	uint32_t pad;
	uint64_t val;	/* the reply's bytes 8-15 */
};

static void on_usr1(int sig)
{
	(void)sig;
}

/* K_SHUTDOWN's second thread: shuts the socket down when told ('s'). */
static void *shutter(void *arg)
{
	int *fds = arg;
	char b;

	if (read(fds[0], &b, 1) == 1)
		shutdown(fds[1], SHUT_RDWR);
	return NULL;
}

/* The namespace (V host) kid_start() children open their V process in; NULL: ours. */
static const char *kid_netns;

/* The child's side of kid_start(). */
static void __attribute__((noreturn)) kid_main(int cmd, int rep, int mode, uint64_t dst,
					       uint64_t arg, int64_t timeout_ms, size_t seg_len)
{
	static uint8_t seg[256];
	int fds[2] = { cmd, kid_netns && vt_ns_enter(kid_netns) ? -1 : v_open() };
	uint64_t id = vt_id(fds[1]);
	struct kid_rep kr = { 0 };
	struct sigaction sa;
	struct v_send s;
	pthread_t th;
	char op;

	CK(fds[1] >= 0 && seg_len <= sizeof(seg));
	CK(write(rep, &id, 8) == 8);
	if (mode != K_TARGET) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigemptyset(&sa.sa_mask);
		if (mode == K_SIGNAL)
			CKEQ(0, sigaction(SIGUSR1, &sa, NULL));
		if (mode == K_SHUTDOWN)
			CKEQ(0, pthread_create(&th, NULL, shutter, fds));
		fill(seg, seg_len, (uint32_t)arg, 0);
		memset(&s, 0, sizeof(s));
		s.dst = dst;
		s.timeout_ns = (uint64_t)timeout_ms * 1000000ULL;
		s.seg_addr = (uintptr_t)seg;
		s.seg_len = seg_len;
		s.seg_access = seg_len ? V_SEG_READ | V_SEG_WRITE : 0;
		s.msg = mk(REQ_CODE, arg);
		kr.ret = v_send_ex(fds[1], &s);
		kr.val = v_msg_get64(&s.msg, 8);
		CK(write(rep, &kr, sizeof(kr)) == sizeof(kr));
		if (mode == K_SHUTDOWN)
			pthread_join(th, NULL);
	}
	while (read(cmd, &op, 1) == 1) {
		if (op == 'c')
			CKEQ(0, close(fds[1]));
		else if (op == 's')
			CKEQ(0, shutdown(fds[1], SHUT_RDWR));
		CK(write(rep, &op, 1) == 1);
	}
	_exit(0);
}

/*
 * Start a child with a V process of its own.  K_TARGET: it does what
 * kid_do() tells it.  A client Sends mk(REQ_CODE, arg) to dst with a
 * timeout of timeout_ms (0: none), granting seg_len bytes (pattern arg)
 * to read and write, and reports how that ended (kid_result()); K_SIGNAL:
 * with a SIGUSR1 handler (no SA_RESTART), K_SHUTDOWN: a second thread
 * shuts its socket down on 's'.  Each keeps its socket until kid_end().
 */
static int kid_start(struct kid *k, int mode, uint64_t dst, uint64_t arg,
		     int64_t timeout_ms, size_t seg_len)
{
	int c[2], r[2];

	if (pipe(c) || pipe(r))
		return -1;
	k->pid = kid_fork(0);
	if (k->pid == 0) {
		kid_only(c[0], r[1]);
		kid_main(c[0], r[1], mode, dst, arg, timeout_ms, seg_len);
	}
	close(c[0]);
	close(r[1]);
	k->cmd = c[1];
	k->rep = r[0];
	if (k->pid < 0)
		return -1;
	k->id = vt_kid_read_id(k->rep, MS_WAIT);
	return k->id ? 0 : -1;
}

#define target(k)	kid_start(k, K_TARGET, 0, 0, 0, 0)

/* Have k do op, and wait until it has: 0 or -1. */
static int kid_do(struct kid *k, char op)
{
	char got = 0;

	if (write(k->cmd, &op, 1) != 1 || vt_read_full(k->rep, &got, 1, MS_WAIT))
		return -1;
	return got == op ? 0 : -1;
}

/* A client's report (within MS_WAIT): 0 or -1. */
static int kid_result(struct kid *k, struct kid_rep *rep)
{
	return vt_kid_read(k->rep, rep, sizeof(*rep), MS_WAIT);
}

static int kid_end(struct kid *k)
{
	close(k->cmd);
	return vt_kid_end(k->pid, k->rep);
}

/* The answer to request arg. */
static struct v_msg answer(uint64_t arg)
{
	return mk(REQ_CODE, arg * 1000 + 7);
}

/* fd replies answer(arg) to client k, whose Send returns it; k ends. */
static void serve(struct __test_metadata *_metadata, int fd, struct kid *k, uint64_t arg)
{
	struct v_msg m = answer(arg);
	struct kid_rep rep;

	ASSERT_EQ(0, v_reply(fd, k->id, &m));
	ASSERT_EQ(0, kid_result(k, &rep));
	ASSERT_EQ(0, rep.ret);
	ASSERT_EQ(arg * 1000 + 7, rep.val);
	ASSERT_EQ(0, kid_end(k));
}

FIXTURE(notify) {
	int fd;
	uint64_t id;
	uint32_t host;
	pid_t owner;
	int xfd[5];	/* more V processes of the test's, closed at the end */
};

FIXTURE_SETUP(notify)
{
	self->owner = getpid();
	nkids = 0;
	memset(self->xfd, -1, sizeof(self->xfd));
	self->fd = vt_vopen_timed(MS_WAIT);
	ASSERT_LE(0, self->fd);
	self->id = vt_id(self->fd);
	ASSERT_NE(0, self->id);
	self->host = v_id_host(self->id);
}

FIXTURE_TEARDOWN(notify)
{
	int i;

	if (getpid() != self->owner)
		return;
	kids_kill_all();
	for (i = 0; i < 5; i++)
		if (self->xfd[i] >= 0)
			close(self->xfd[i]);
	if (self->fd >= 0)
		close(self->fd);
}

/* ------------------------------------------------------------------------ */
/* Death notices                                                            */

/* The watched process closes its socket (and lives on): one notice. */
TEST_F(notify, death_notice_on_close)
{
	struct v_receive r;
	struct kid t;

	ASSERT_EQ(0, target(&t));
	ASSERT_EQ(0, v_watch(self->fd, t.id, 0x1122334455667788ULL));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));	/* nothing before the end */
	ASSERT_EQ(0, kid_do(&t, 'c'));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	CHECK_DEATH(&r, t.id, V_WHY_EXITED, 0x1122334455667788ULL);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));	/* fired once */
	ASSERT_EQ(-ENOENT, v_unwatch(self->fd, t.id));	/* and gone */
	ASSERT_EQ(0, kid_end(&t));
}

/* The watched process is killed. */
TEST_F(notify, death_notice_on_sigkill)
{
	struct v_receive r;
	struct kid t;

	ASSERT_EQ(0, target(&t));
	ASSERT_EQ(0, v_watch(self->fd, t.id, 42));
	ASSERT_EQ(0, kill(t.pid, SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, kid_wait(t.pid));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	CHECK_DEATH(&r, t.id, V_WHY_EXITED, 42);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/* The watched process shuts its socket down (still open); then closes it. */
TEST_F(notify, death_notice_on_shutdown)
{
	struct v_receive r;
	struct kid t;

	ASSERT_EQ(0, target(&t));
	ASSERT_EQ(0, v_watch(self->fd, t.id, 7));
	ASSERT_EQ(0, kid_do(&t, 's'));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	CHECK_DEATH(&r, t.id, V_WHY_EXITED, 7);
	ASSERT_EQ(0, kid_do(&t, 'c'));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));	/* no second notice */
	ASSERT_EQ(0, kid_end(&t));
}

/*
 * A process that has closed, and an id no process ever had: the watch
 * fires at once (GONE), and stays (EEXIST) until its notice is received.
 */
TEST_F(notify, watch_of_gone_process_fires_at_once)
{
	uint64_t gid = gone_id(self->host, 1), id;
	struct v_receive r;
	int fd;

	fd = v_open();
	ASSERT_LE(0, fd);
	id = vt_id(fd);
	ASSERT_NE(0, id);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, v_watch(self->fd, id, 0xc0ffee));
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	CHECK_DEATH(&r, id, V_WHY_GONE, 0xc0ffee);

	ASSERT_EQ(0, v_watch(self->fd, gid, 5));
	ASSERT_EQ(-EEXIST, v_watch(self->fd, gid, 6));
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	CHECK_DEATH(&r, gid, V_WHY_GONE, 5);
	ASSERT_EQ(0, v_watch(self->fd, gid, 6));		/* received: a new watch */
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	CHECK_DEATH(&r, gid, V_WHY_GONE, 6);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/* Ids that name no process or host, flags, reserved: EINVAL, nothing watched. */
TEST_F(notify, watch_bad_ids_einval)
{
	struct v_watch w = { 0 };
	struct v_receive r;
	uint64_t gid, live;
	uint32_t local;

	self->xfd[0] = v_open();
	ASSERT_LE(0, self->xfd[0]);
	live = vt_id(self->xfd[0]);
	local = v_id_local(live);
	ASSERT_EQ(0, v_group_create(self->fd, &gid));

	ASSERT_EQ(-EINVAL, v_watch(self->fd, 0, 1));
	ASSERT_EQ(-EINVAL, v_watch(self->fd, V_GROUP_WELLKNOWN(1), 1));
	ASSERT_EQ(-EINVAL, v_watch(self->fd, gid, 1));
	ASSERT_EQ(-EINVAL, v_watch(self->fd, live | V_ID_GROUP, 1));
	ASSERT_EQ(-EINVAL, v_watch(self->fd, live | V_ID_WELLKNOWN, 1));
	ASSERT_EQ(-EINVAL, v_watch(self->fd, v_id_make(0, local), 1));
	ASSERT_EQ(-EINVAL, v_watch(self->fd, v_id_make(self->host, 5U << V_ID_GEN_SHIFT), 1));
	ASSERT_EQ(-EINVAL, v_watch(self->fd, v_id_make(self->host, 0), 1)); /* own host */
	ASSERT_EQ(-EINVAL, v_unwatch(self->fd, 0));

	w.id = live;
	w.flags = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_WATCH, &w));
	w.flags = 0x80000000U;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_WATCH, &w));
	w.flags = 0;
	w.reserved = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_WATCH, &w));
	/* None of those took: the live process can be watched (once) now. */
	ASSERT_EQ(0, v_watch(self->fd, live, 1));
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_UNWATCH, &w));
	w.reserved = 0;
	w.flags = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_UNWATCH, &w));
	ASSERT_EQ(0, v_unwatch(self->fd, live));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/*
 * Another host's process, or a host: without a link this host reaches
 * none (EHOSTUNREACH); across hosts, fixture rnotify below.
 */
TEST_F(notify, watch_remote_needs_a_link)
{
	uint32_t other = (self->host % V_ID_HOST_MASK) + 1;

	ASSERT_NE(self->host, other);
	ASSERT_EQ(-EHOSTUNREACH, v_watch(self->fd, v_id_make(other, v_id_local(self->id)), 1));
	ASSERT_EQ(-EHOSTUNREACH, v_watch(self->fd, v_id_make(other, 0), 1));
}

/* One watch per id (EEXIST); UNWATCH of an id not watched: ENOENT. */
TEST_F(notify, watch_twice_eexist_unwatch_unknown_enoent)
{
	struct v_receive r;
	uint64_t a, b;

	self->xfd[0] = v_open();
	self->xfd[1] = v_open();
	ASSERT_LE(0, self->xfd[0]);
	ASSERT_LE(0, self->xfd[1]);
	a = vt_id(self->xfd[0]);
	b = vt_id(self->xfd[1]);
	ASSERT_EQ(0, v_watch(self->fd, a, 1));
	ASSERT_EQ(-EEXIST, v_watch(self->fd, a, 2));
	ASSERT_EQ(-ENOENT, v_unwatch(self->fd, b));
	ASSERT_EQ(-ENOENT, v_unwatch(self->fd, gone_id(self->host, 9)));
	ASSERT_EQ(0, v_unwatch(self->fd, a));
	ASSERT_EQ(-ENOENT, v_unwatch(self->fd, a));
	/* The EEXIST one left no second watch: a's close gives one notice. */
	ASSERT_EQ(0, v_watch(self->fd, a, 3));
	ASSERT_EQ(0, close(self->xfd[0]));
	self->xfd[0] = -1;
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	CHECK_DEATH(&r, a, V_WHY_EXITED, 3);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/* V_IOC_NOTIFY: unknown flags or reserved set: EINVAL. */
TEST_F(notify, notify_bad_flags_einval)
{
	struct v_notify n = { .flags = 0x2 };

	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_NOTIFY, &n));
	n.flags = V_NOTIFY_UNBLOCK | 0x80000000U;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_NOTIFY, &n));
	n.flags = V_NOTIFY_UNBLOCK;
	n.reserved = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_NOTIFY, &n));
	n.reserved = 0;
	ASSERT_EQ(0, vt_ioctl(self->fd, V_IOC_NOTIFY, &n));
	ASSERT_EQ(0, v_notify(self->fd, 0));
}

/* ------------------------------------------------------------------------ */
/* UNWATCH and the limit                                                    */

TEST_F(notify, unwatch_before_end_no_notice)
{
	struct v_receive r;
	struct kid t;

	ASSERT_EQ(0, target(&t));
	ASSERT_EQ(0, v_watch(self->fd, t.id, 1));
	ASSERT_EQ(0, v_unwatch(self->fd, t.id));
	ASSERT_EQ(0, kid_do(&t, 'c'));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
	ASSERT_EQ(-ENOENT, v_unwatch(self->fd, t.id));
	/* Watched again now that it is gone: GONE, not EXITED. */
	ASSERT_EQ(0, v_watch(self->fd, t.id, 2));
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	CHECK_DEATH(&r, t.id, V_WHY_GONE, 2);
	ASSERT_EQ(0, kid_end(&t));
}

/* A watch that fired, its notice not received: UNWATCH takes both. */
TEST_F(notify, unwatch_of_fired_watch_drops_its_notice)
{
	struct v_receive r;
	struct kid t;

	ASSERT_EQ(0, target(&t));
	ASSERT_EQ(0, v_watch(self->fd, t.id, 1));
	ASSERT_EQ(0, kid_do(&t, 'c'));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, v_unwatch(self->fd, t.id));
	ASSERT_EQ(0, readable(self->fd));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
	ASSERT_EQ(-ENOENT, v_unwatch(self->fd, t.id));
	ASSERT_EQ(0, kid_end(&t));
}

/*
 * V_WATCHES_MAX watches, each fired at once (ids no process has) but
 * counted until received or removed: then ENOSPC.  Receiving or removing
 * one makes room for one; the notices come oldest first.
 */
TEST_F(notify, watch_limit_enospc_until_received)
{
	const uint32_t max = V_WATCHES_MAX, h = self->host;
	struct v_receive r;
	uint32_t i;

	for (i = 1; i <= max; i++)
		ASSERT_EQ(0, v_watch(self->fd, gone_id(h, i), i)) TH_LOG("watch %u", i);
	ASSERT_EQ(-ENOSPC, v_watch(self->fd, gone_id(h, max + 1), max + 1));
	self->xfd[0] = v_open();
	ASSERT_LE(0, self->xfd[0]);
	ASSERT_EQ(-ENOSPC, v_watch(self->fd, vt_id(self->xfd[0]), 1));	/* a live one too */

	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	CHECK_DEATH(&r, gone_id(h, 1), V_WHY_GONE, 1);
	ASSERT_EQ(0, v_watch(self->fd, gone_id(h, max + 1), max + 1));
	ASSERT_EQ(-ENOSPC, v_watch(self->fd, gone_id(h, max + 2), max + 2));
	ASSERT_EQ(0, v_unwatch(self->fd, gone_id(h, 2)));
	ASSERT_EQ(0, v_watch(self->fd, gone_id(h, max + 2), max + 2));
	ASSERT_EQ(-ENOSPC, v_watch(self->fd, gone_id(h, max + 3), max + 3));

	/* 3 .. max + 2, in order, and nothing else. */
	for (i = 3; i <= max + 2; i++) {
		ASSERT_EQ(0, vt_rx_now(self->fd, &r)) TH_LOG("notice %u", i);
		ASSERT_EQ(gone_id(h, i), r.sender);
		ASSERT_EQ(i, v_msg_get64(&r.msg, 24));
	}
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
	ASSERT_EQ(0, v_watch(self->fd, vt_id(self->xfd[0]), 1));	/* room again */
}

/* ------------------------------------------------------------------------ */
/* Delivery                                                                 */

TEST_F(notify, notice_wakes_blocked_receiver)
{
	struct vt_rxth x = { .fd = self->fd };
	struct kid t;

	ASSERT_EQ(0, target(&t));
	ASSERT_EQ(0, v_watch(self->fd, t.id, 77));
	ASSERT_EQ(0, vt_rx_start(&x, MS_WAIT, MS_WAIT));
	ASSERT_EQ(0, kid_do(&t, 'c'));
	pthread_join(x.th, NULL);
	ASSERT_EQ(0, x.ret);
	CHECK_DEATH(&x.r, t.id, V_WHY_EXITED, 77);

	/* A watch that fires at once wakes it as well. */
	ASSERT_EQ(0, vt_rx_start(&x, MS_WAIT, MS_WAIT));
	ASSERT_EQ(0, v_watch(self->fd, gone_id(self->host, 1), 78));
	pthread_join(x.th, NULL);
	ASSERT_EQ(0, x.ret);
	CHECK_DEATH(&x.r, gone_id(self->host, 1), V_WHY_GONE, 78);
	ASSERT_EQ(0, kid_end(&t));
}

/* poll(): POLLIN while a notice (nothing else) is queued, and only then. */
TEST_F(notify, poll_sees_notice_alone)
{
	struct v_receive r;
	struct kid t;
	char ack = 0;

	ASSERT_EQ(0, readable(self->fd));
	ASSERT_EQ(0, v_watch(self->fd, gone_id(self->host, 1), 1));
	ASSERT_EQ(1, readable(self->fd));
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	ASSERT_EQ(0, readable(self->fd));

	/* A poll() waiting when the watch fires. */
	ASSERT_EQ(0, target(&t));
	ASSERT_EQ(0, v_watch(self->fd, t.id, 2));
	ASSERT_EQ(1, write(t.cmd, "c", 1));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	CHECK_DEATH(&r, t.id, V_WHY_EXITED, 2);
	ASSERT_EQ(0, readable(self->fd));
	/* Its acknowledgment, before its pipe closes (else SIGPIPE there). */
	ASSERT_EQ(0, vt_read_full(t.rep, &ack, 1, MS_WAIT));
	ASSERT_EQ('c', ack);
	ASSERT_EQ(0, kid_end(&t));
}

/* A message queued first is received after the notices, oldest first. */
TEST_F(notify, notices_come_before_messages)
{
	struct v_receive r;
	struct kid c;

	ASSERT_EQ(0, kid_start(&c, K_PLAIN, self->id, 5, 0, 0));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);	/* queued */
	ASSERT_EQ(0, v_watch(self->fd, gone_id(self->host, 1), 11));
	ASSERT_EQ(0, v_watch(self->fd, gone_id(self->host, 2), 12));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	CHECK_DEATH(&r, gone_id(self->host, 1), V_WHY_GONE, 11);
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	CHECK_DEATH(&r, gone_id(self->host, 2), V_WHY_GONE, 12);
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(V_KIND_MESSAGE, r.kind);
	ASSERT_EQ(c.id, r.sender);
	ASSERT_EQ(5, v_msg_get64(&r.msg, 8));
	serve(_metadata, self->fd, &c, 5);
}

/*
 * Several watchers of one process each get their own notice; a watcher
 * that closes before the watched process does (armed, or fired and not
 * received) leaves nothing behind to trip over.
 */
TEST_F(notify, every_watcher_notified_closed_watcher_harmless)
{
	struct v_receive r;
	struct kid t, u;
	int i, early;

	ASSERT_EQ(0, target(&t));
	ASSERT_EQ(0, target(&u));
	for (i = 0; i < 4; i++) {
		self->xfd[i] = vt_vopen_timed(MS_WAIT);
		ASSERT_LE(0, self->xfd[i]);
		ASSERT_EQ(0, v_watch(self->xfd[i], t.id, 100 + i));
	}
	ASSERT_EQ(0, v_watch(self->fd, t.id, 99));
	ASSERT_EQ(0, close(self->xfd[3]));		/* armed watch, watcher gone */
	self->xfd[3] = -1;

	early = vt_vopen_timed(MS_WAIT);
	ASSERT_LE(0, early);
	ASSERT_EQ(0, v_watch(early, u.id, 1));
	ASSERT_EQ(0, v_watch(early, gone_id(self->host, 1), 2));
	ASSERT_EQ(0, kid_do(&u, 'c'));
	ASSERT_EQ(0, close(early));			/* fired, never received */

	ASSERT_EQ(0, kid_do(&t, 'c'));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, vt_rx(self->xfd[i], &r)) TH_LOG("watcher %d", i);
		CHECK_DEATH(&r, t.id, V_WHY_EXITED, 100 + i);
		ASSERT_EQ(-EAGAIN, vt_rx_now(self->xfd[i], &r));
	}
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	CHECK_DEATH(&r, t.id, V_WHY_EXITED, 99);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
	ASSERT_EQ(0, kid_end(&t));
	ASSERT_EQ(0, kid_end(&u));
}

/*
 * One process is watched by at most V_WATCHERS_MAX processes (its end
 * fires them all under the host's lock): the next WATCH is ENOSPC, and
 * an UNWATCH makes room again.  All of them are notified.
 */
TEST_F(notify, watchers_of_one_process_bounded)
{
	struct rlimit rl = { V_WATCHERS_MAX + 64, V_WATCHERS_MAX + 64 };
	static int w[V_WATCHERS_MAX + 1];
	struct v_receive r;
	struct kid t;
	int i, n;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, target(&t));
	for (n = 0; n <= V_WATCHERS_MAX; n++) {
		w[n] = v_open();
		ASSERT_LE(0, w[n]);
	}
	for (i = 0; i < V_WATCHERS_MAX; i++)
		ASSERT_EQ(0, v_watch(w[i], t.id, i)) TH_LOG("watcher %d", i);
	ASSERT_EQ(-ENOSPC, v_watch(w[V_WATCHERS_MAX], t.id, 0));
	ASSERT_EQ(0, v_unwatch(w[0], t.id));
	ASSERT_EQ(0, v_watch(w[V_WATCHERS_MAX], t.id, 0));
	ASSERT_EQ(0, kid_do(&t, 'c'));
	ASSERT_NE(0, vt_wait_poll(w[V_WATCHERS_MAX], POLLIN, MS_WAIT) & POLLIN);
	for (i = 1; i <= V_WATCHERS_MAX; i++) {
		ASSERT_EQ(0, vt_rx_now(w[i], &r)) TH_LOG("watcher %d", i);
		CHECK_DEATH(&r, t.id, V_WHY_EXITED, i == V_WATCHERS_MAX ? 0 : (uint64_t)i);
	}
	ASSERT_EQ(-EAGAIN, vt_rx_now(w[0], &r));
	for (i = 0; i < n; i++)
		close(w[i]);
	ASSERT_EQ(0, kid_end(&t));
}

/* ------------------------------------------------------------------------ */
/* The _V1 numbers and the new struct's reserved fields                     */

TEST_F(notify, v1_numbers_serve_messages_and_notices)
{
	struct { struct v_receive_v1 r; uint8_t canary[64]; } a;
	struct { struct v_reply_receive_v1 rr; uint8_t canary[64]; } b;
	uint8_t buf[64], ff[64];
	struct kid_rep rep;
	struct kid c1, c2;

	memset(ff, 0xa5, sizeof(ff));
	ASSERT_EQ(0, kid_start(&c1, K_PLAIN, self->id, 1, 0, 100));
	memset(&a, 0xa5, sizeof(a));
	memset(&a.r, 0, sizeof(a.r));
	a.r.buf_addr = (uintptr_t)buf;
	a.r.buf_len = sizeof(buf);
	ASSERT_EQ(0, vt_ioctl(self->fd, V_IOC_RECEIVE_SEG_V1, &a.r));
	ASSERT_EQ(c1.id, a.r.sender);
	ASSERT_EQ(REQ_CODE, v_msg_code(&a.r.msg));
	ASSERT_EQ(1, v_msg_get64(&a.r.msg, 8));
	ASSERT_EQ(100, a.r.seg_len);
	ASSERT_EQ(sizeof(buf), a.r.copied);
	ASSERT_EQ(-1, pat_mismatch(buf, sizeof(buf), 1, 0));
	ASSERT_EQ(0, memcmp(a.canary, ff, sizeof(ff)));	/* nothing past v1's end */

	/* A message queued, then a notice: the notice first, told by its code. */
	ASSERT_EQ(0, kid_start(&c2, K_PLAIN, self->id, 2, 0, 0));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, v_watch(self->fd, gone_id(self->host, 1), 0x5eed));
	memset(&b, 0xa5, sizeof(b));
	memset(&b.rr, 0, sizeof(b.rr));
	b.rr.reply.dst = c1.id;
	b.rr.reply.msg = answer(1);
	ASSERT_EQ(0, vt_ioctl(self->fd, V_IOC_REPLY_RECEIVE_V1, &b.rr));
	ASSERT_EQ(0, b.rr.reply.dst);			/* the Reply half was done */
	ASSERT_EQ(gone_id(self->host, 1), b.rr.recv.sender);
	ASSERT_EQ(V_NOTICE_DEATH, v_msg_code(&b.rr.recv.msg));
	ASSERT_EQ(V_WHY_GONE, v_msg_get16(&b.rr.recv.msg, 2));
	ASSERT_EQ(gone_id(self->host, 1), v_msg_get64(&b.rr.recv.msg, 8));
	ASSERT_EQ(0x5eed, v_msg_get64(&b.rr.recv.msg, 24));
	ASSERT_EQ(0, b.rr.recv.seg_len);
	ASSERT_EQ(0, memcmp(b.canary, ff, sizeof(ff)));
	ASSERT_EQ(0, kid_result(&c1, &rep));
	ASSERT_EQ(0, rep.ret);
	ASSERT_EQ(1007, rep.val);
	ASSERT_EQ(0, kid_end(&c1));

	memset(&a, 0xa5, sizeof(a));
	memset(&a.r, 0, sizeof(a.r));
	ASSERT_EQ(0, vt_ioctl(self->fd, V_IOC_RECEIVE_V1, &a.r));
	ASSERT_EQ(c2.id, a.r.sender);
	ASSERT_EQ(2, v_msg_get64(&a.r.msg, 8));
	ASSERT_EQ(0, memcmp(a.canary, ff, sizeof(ff)));
	serve(_metadata, self->fd, &c2, 2);
}

/* reserved1, reserved[0], reserved[1] set: EINVAL, nothing taken. */
TEST_F(notify, receive_reserved_fields_einval)
{
	struct v_reply_receive rr;
	struct v_receive r;

	ASSERT_EQ(0, v_watch(self->fd, gone_id(self->host, 1), 3));
	memset(&r, 0, sizeof(r));
	r.reserved1 = 1;
	ASSERT_EQ(-EINVAL, v_receive_ex(self->fd, &r));
	memset(&r, 0, sizeof(r));
	r.reserved[0] = 1;
	ASSERT_EQ(-EINVAL, v_receive_ex(self->fd, &r));
	memset(&r, 0, sizeof(r));
	r.reserved[1] = 1ULL << 63;
	ASSERT_EQ(-EINVAL, v_receive_ex(self->fd, &r));
	memset(&rr, 0, sizeof(rr));
	rr.recv.reserved1 = 0x100;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_REPLY_RECEIVE, &rr));
	memset(&rr, 0, sizeof(rr));
	rr.recv.reserved[1] = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_REPLY_RECEIVE, &rr));
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));		/* still queued */
	CHECK_DEATH(&r, gone_id(self->host, 1), V_WHY_GONE, 3);
}

/* ------------------------------------------------------------------------ */
/* Deadlines                                                                */

/*
 * Receive reports the Send's deadline (its start plus the timeout, in
 * this clock), 0 for a Send without one; a Forward keeps it.
 */
TEST_F(notify, deadline_reported_and_kept_by_forward)
{
	const int64_t tmo_ms = (int64_t)MS_WAIT * vt_scale(), tmo = tmo_ms * 1000000;
	const int64_t slack = 1000000;	/* 1 ms between user and kernel reads */
	struct v_receive r, r2;
	int64_t t0, t1;
	struct kid c;

	self->xfd[0] = vt_vopen_timed(MS_WAIT);
	ASSERT_LE(0, self->xfd[0]);

	t0 = now_ns();
	ASSERT_EQ(0, kid_start(&c, K_PLAIN, self->id, 1, tmo_ms, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	t1 = now_ns();
	ASSERT_EQ(V_KIND_MESSAGE, r.kind);
	ASSERT_EQ(c.id, r.sender);
	ASSERT_LE(t0 + tmo - slack, (int64_t)r.deadline_ns);
	ASSERT_GE(t1 + tmo + slack, (int64_t)r.deadline_ns);
	serve(_metadata, self->fd, &c, 1);

	ASSERT_EQ(0, kid_start(&c, K_PLAIN, self->id, 2, 0, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(c.id, r.sender);
	ASSERT_EQ(0, r.deadline_ns);
	serve(_metadata, self->fd, &c, 2);

	ASSERT_EQ(0, kid_start(&c, K_PLAIN, self->id, 3, tmo_ms, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_NE(0, r.deadline_ns);
	ASSERT_EQ(0, v_forward(self->fd, c.id, vt_id(self->xfd[0]), &r.msg));
	ASSERT_EQ(0, vt_rx(self->xfd[0], &r2));
	ASSERT_EQ(c.id, r2.sender);
	ASSERT_EQ(self->id, r2.forwarder);
	ASSERT_EQ(r.deadline_ns, r2.deadline_ns);
	serve(_metadata, self->xfd[0], &c, 3);
}

/*
 * Receive a Send with a short timeout into r and wait until it has passed
 * (the client's Send failed ETIMEDOUT; its socket stays open).
 */
static void held_until_expired(struct __test_metadata *_metadata, int fd, struct kid *c,
			       uint64_t dst, size_t seg_len, struct v_receive *r)
{
	struct kid_rep rep;

	ASSERT_EQ(0, kid_start(c, K_PLAIN, dst, 4, (int64_t)MS_SHORT * vt_scale(), seg_len));
	ASSERT_EQ(0, vt_rx(fd, r));
	ASSERT_EQ(c->id, r->sender);
	ASSERT_EQ(seg_len, r->seg_len);
	ASSERT_NE(0, r->deadline_ns);
	ASSERT_EQ(0, kid_result(c, &rep));
	ASSERT_EQ(-ETIMEDOUT, rep.ret);
	ASSERT_LE((int64_t)r->deadline_ns, now_ns());
}

/* Past the deadline: Reply says ETIMEDOUT once, then ENOENT. */
TEST_F(notify, deadline_passed_reply_etimedout_once)
{
	struct v_msg m = answer(4);
	struct v_receive r;
	struct kid c;

	held_until_expired(_metadata, self->fd, &c, self->id, 0, &r);
	ASSERT_EQ(-ETIMEDOUT, v_reply(self->fd, c.id, &m));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, c.id, &m));
	ASSERT_EQ(0, kid_end(&c));
}

/* Past the deadline: MoveFrom, MoveTo and Forward say ETIMEDOUT too. */
TEST_F(notify, deadline_passed_moves_etimedout)
{
	struct v_msg m = answer(4);
	struct v_receive r;
	uint8_t buf[16];
	struct kid c;

	self->xfd[0] = vt_vopen_timed(MS_WAIT);
	ASSERT_LE(0, self->xfd[0]);
	held_until_expired(_metadata, self->fd, &c, self->id, 64, &r);
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(-ETIMEDOUT, v_move_from(self->fd, c.id, 0, buf, sizeof(buf)));
	ASSERT_EQ(-ETIMEDOUT, v_move_to(self->fd, c.id, 0, buf, sizeof(buf)));
	ASSERT_EQ(-ETIMEDOUT, v_forward(self->fd, c.id, vt_id(self->xfd[0]), &r.msg));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->xfd[0], &r));	/* nothing forwarded */
	ASSERT_EQ(-ETIMEDOUT, v_reply(self->fd, c.id, &m));
	ASSERT_EQ(-ENOENT, v_reply(self->fd, c.id, &m));
	ASSERT_EQ(-ENOENT, v_move_from(self->fd, c.id, 0, buf, sizeof(buf)));
	ASSERT_EQ(0, kid_end(&c));
}

/* Without a timeout, a late Reply is an ordinary one. */
TEST_F(notify, no_deadline_late_reply_works)
{
	struct v_receive r;
	struct kid c;

	ASSERT_EQ(0, kid_start(&c, K_PLAIN, self->id, 6, 0, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(0, r.deadline_ns);
	usleep(2 * MS_SHORT * 1000 * vt_scale());
	serve(_metadata, self->fd, &c, 6);
}

/* ------------------------------------------------------------------------ */
/* Unblock notices                                                          */

/*
 * A client (mode and timeout_ms: kid_start()) whose message fd holds gives
 * up, its Send failing with want: fd then receives an unblock notice about
 * it saying why (0: none at all), and a Reply to it fails with reply_err.
 */
static void given_up(struct __test_metadata *_metadata, int fd, uint64_t id, int mode,
		     int64_t timeout_ms, int want, uint16_t why, int reply_err)
{
	struct v_msg m = answer(8);
	struct v_receive r;
	struct kid_rep rep;
	struct kid c;

	ASSERT_EQ(0, kid_start(&c, mode, id, 8, timeout_ms, 0));
	ASSERT_EQ(0, vt_rx(fd, &r));
	ASSERT_EQ(V_KIND_MESSAGE, r.kind);
	ASSERT_EQ(c.id, r.sender);
	if (mode == K_SIGNAL)
		ASSERT_EQ(0, kill(c.pid, SIGUSR1));
	if (mode == K_SHUTDOWN)
		ASSERT_EQ(1, write(c.cmd, "s", 1));
	ASSERT_EQ(0, kid_result(&c, &rep));
	ASSERT_EQ(want, rep.ret);
	if (why) {
		ASSERT_EQ(0, vt_rx(fd, &r));
		CHECK_UNBLOCK(&r, c.id, why);
	}
	ASSERT_EQ(-EAGAIN, vt_rx_now(fd, &r));
	ASSERT_EQ(reply_err, v_reply(fd, c.id, &m));
	ASSERT_EQ(0, kid_end(&c));
}

TEST_F(notify, unblock_on_timeout)
{
	ASSERT_EQ(0, v_notify(self->fd, V_NOTIFY_UNBLOCK));
	given_up(_metadata, self->fd, self->id, K_PLAIN, (int64_t)MS_SHORT * vt_scale(),
		 -ETIMEDOUT, V_WHY_TIMEOUT, -ETIMEDOUT);
}

TEST_F(notify, unblock_on_signal)
{
	ASSERT_EQ(0, v_notify(self->fd, V_NOTIFY_UNBLOCK));
	given_up(_metadata, self->fd, self->id, K_SIGNAL, 0, -EINTR, V_WHY_SIGNAL, -ENOENT);
}

TEST_F(notify, unblock_on_shutdown)
{
	ASSERT_EQ(0, v_notify(self->fd, V_NOTIFY_UNBLOCK));
	given_up(_metadata, self->fd, self->id, K_SHUTDOWN, 0, -ESHUTDOWN, V_WHY_CLOSED, -ENOENT);
}

/* Never asked for, or asked for and withdrawn: no unblock notice. */
TEST_F(notify, no_unblock_without_notify)
{
	given_up(_metadata, self->fd, self->id, K_PLAIN, (int64_t)MS_SHORT * vt_scale(),
		 -ETIMEDOUT, 0, -ETIMEDOUT);
	ASSERT_EQ(0, v_notify(self->fd, V_NOTIFY_UNBLOCK));
	ASSERT_EQ(0, v_notify(self->fd, 0));
	given_up(_metadata, self->fd, self->id, K_SIGNAL, 0, -EINTR, 0, -ENOENT);
}

/* A message only queued (never received) that is given up: no notice. */
TEST_F(notify, queued_cancelled_message_no_unblock)
{
	struct kid_rep rep;
	struct v_receive r;
	struct kid c;

	ASSERT_EQ(0, v_notify(self->fd, V_NOTIFY_UNBLOCK));
	ASSERT_EQ(0, kid_start(&c, K_PLAIN, self->id, 9, 3LL * MS_SHORT * vt_scale(), 0));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);	/* queued */
	ASSERT_EQ(0, kid_result(&c, &rep));
	ASSERT_EQ(-ETIMEDOUT, rep.ret);
	ASSERT_EQ(0, readable(self->fd));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
	ASSERT_EQ(0, kid_end(&c));
}

/* ------------------------------------------------------------------------ */
/* Watches across hosts (vkmod/rwatch.c)                                    */

#define RNH	3
static const struct vt_topo rtopo = { "vkr%d", "vkrh%d", "vkre", "vkrbr", RNH, .netem = 0 };

FIXTURE(rnotify) {
	pid_t owner;
	int ready;
	uint32_t hp[RNH];
	int w;			/* the watcher: a V process of host 1 */
};

FIXTURE_SETUP(rnotify)
{
	struct timeval tv = { .tv_sec = (MS_WAIT / 1000) * vt_scale() };
	int i, fd;

	self->owner = getpid();
	self->w = -1;
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	if (vt_topo_exists(&rtopo))
		vt_topo_destroy(&rtopo);
	self->ready = 1;
	ASSERT_EQ(0, vt_topo_create(&rtopo));
	for (i = 0; i < RNH; i++) {
		fd = vt_ns_vopen(vt_topo_ns(&rtopo, i), 0);
		ASSERT_LE(0, fd);
		self->hp[i] = v_id_host(vt_id(fd));
		close(fd);
		ASSERT_EQ(0, vt_topo_vctl(&rtopo, i, "set host-down-ms %d", 600 * vt_scale()));
	}
	self->w = vt_ns_vopen(vt_topo_ns(&rtopo, 1), 0);
	ASSERT_LE(0, self->w);
	ASSERT_EQ(0, setsockopt(self->w, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
}

FIXTURE_TEARDOWN(rnotify)
{
	if (getpid() != self->owner)
		return;
	kid_netns = NULL;
	kids_kill_all();
	vt_topo_teardown(&rtopo, self->w, self->ready);
	vt_root_close();
}

/* A target child on host h. */
static int rtarget(struct kid *k, int h)
{
	int ret;

	kid_netns = vt_topo_ns(&rtopo, h);
	ret = target(k);
	kid_netns = NULL;
	return ret;
}

/* A process of host 0 ends: the watcher on host 1 hears EXITED, once. */
TEST_F(rnotify, remote_process_ends)
{
	int64_t t0;
	struct v_receive r;
	struct kid t;

	/* Probes every 10 s: what comes sooner is the NOTICE. */
	ASSERT_EQ(0, vt_topo_vctl(&rtopo, 1, "set host-down-ms 30000"));
	ASSERT_EQ(0, rtarget(&t, 0));
	ASSERT_EQ(self->hp[0], v_id_host(t.id));
	ASSERT_EQ(0, v_watch(self->w, t.id, 7));
	ASSERT_EQ(-EEXIST, v_watch(self->w, t.id, 7));
	usleep(300000 * vt_scale());	/* registered there (WATCHED) */
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->w, &r));
	t0 = vt_now_ms();
	ASSERT_EQ(0, kid_do(&t, 'c'));
	ASSERT_EQ(0, vt_rx(self->w, &r));
	CHECK_DEATH(&r, t.id, V_WHY_EXITED, 7);
	ASSERT_GT(5000, vt_now_ms() - t0);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->w, &r));
	ASSERT_EQ(-ENOENT, v_unwatch(self->w, t.id));
	ASSERT_EQ(0, kid_end(&t));
}

/* An id no process of host 2 has: GONE at once; UNWATCH ends a watch quietly. */
TEST_F(rnotify, remote_gone_and_unwatch)
{
	struct v_receive r;
	struct kid t;

	ASSERT_EQ(0, v_watch(self->w, v_id_make(self->hp[2], (GONE_GEN << V_ID_GEN_SHIFT) | 5), 3));
	ASSERT_EQ(0, vt_rx(self->w, &r));
	CHECK_DEATH(&r, v_id_make(self->hp[2], (GONE_GEN << V_ID_GEN_SHIFT) | 5), V_WHY_GONE, 3);
	ASSERT_EQ(0, rtarget(&t, 2));
	ASSERT_EQ(0, v_watch(self->w, t.id, 4));
	ASSERT_EQ(0, v_watch(self->w, v_id_make(self->hp[2], 0), 5));	/* the host */
	usleep(300000 * vt_scale());
	ASSERT_EQ(0, v_unwatch(self->w, t.id));
	ASSERT_EQ(0, kid_do(&t, 'c'));
	usleep(1500 * vt_scale() * 1000);	/* probes answered: host 2 is up */
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->w, &r));
	ASSERT_EQ(0, v_unwatch(self->w, v_id_make(self->hp[2], 0)));
	ASSERT_EQ(0, kid_end(&t));
}

/*
 * Host 0 falls silent (its link detached): a watch of it and of its
 * process fire HOST_DOWN after the host-down bound.
 */
TEST_F(rnotify, remote_host_down)
{
	uint64_t hid = v_id_make(self->hp[0], 0);
	struct v_receive r;
	struct kid t;
	int i, seen = 0;

	ASSERT_EQ(0, rtarget(&t, 0));
	ASSERT_EQ(0, v_watch(self->w, t.id, 1));
	ASSERT_EQ(0, v_watch(self->w, hid, 2));
	usleep(1000 * vt_scale() * 1000);	/* answered for longer than the bound */
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->w, &r));
	ASSERT_EQ(0, vt_topo_vctl(&rtopo, 0, "link del dev vkre"));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vt_rx(self->w, &r));
		ASSERT_EQ(V_NOTICE_DEATH, v_msg_code(&r.msg));
		ASSERT_EQ(V_WHY_HOST_DOWN, v_msg_get16(&r.msg, 2));
		seen |= r.sender == t.id ? 1 : r.sender == hid ? 2 : 4;
	}
	ASSERT_EQ(3, seen);
	ASSERT_EQ(0, kid_end(&t));
}

/*
 * Host 2 restarts with the same host part (its namespace made anew): a
 * watch of it fires HOST_RESTARTED, at its CLAIM, long before the next
 * probe (every 20 s here) would have told.
 */
TEST_F(rnotify, remote_host_restarted)
{
	uint64_t hid = v_id_make(self->hp[2], 0);
	struct v_receive r;
	struct kid t;

	/* Probes every 20 s: the restart is not a host down, nor found by a probe. */
	ASSERT_EQ(0, vt_topo_vctl(&rtopo, 1, "set host-down-ms 60000"));
	ASSERT_EQ(0, rtarget(&t, 2));
	ASSERT_EQ(0, v_watch(self->w, t.id, 1));
	ASSERT_EQ(0, v_watch(self->w, hid, 2));
	usleep(300000 * vt_scale());
	ASSERT_EQ(0, kid_end(&t));	/* its process exits: EXITED */
	ASSERT_EQ(0, vt_rx(self->w, &r));
	CHECK_DEATH(&r, t.id, V_WHY_EXITED, 1);
	ASSERT_EQ(0, v_watch(self->w, t.id, 3));	/* gone: GONE at once */
	ASSERT_EQ(0, vt_rx(self->w, &r));
	CHECK_DEATH(&r, t.id, V_WHY_GONE, 3);
	ASSERT_EQ(0, vt_sh("ip link del vkrh2 && ip netns del vkr2 && ip netns add vkr2 && "
			   "ip link add vkrh2 type veth peer name vkre netns vkr2 && "
			   "ip link set vkrh2 master vkrbr up && ip -n vkr2 link set lo up && "
			   "ip -n vkr2 link set vkre up"));
	ASSERT_EQ(0, vt_topo_vctl(&rtopo, 2, "set host-part %u", self->hp[2]));
	ASSERT_EQ(0, vt_topo_vctl(&rtopo, 2, "set host-down-ms %d", 600 * vt_scale()));
	ASSERT_EQ(0, vt_topo_vctl(&rtopo, 2, "link add dev vkre insecure"));
	ASSERT_EQ(0, vt_rx(self->w, &r));	/* the early probe's answer: a new incarnation */
	CHECK_DEATH(&r, hid, V_WHY_HOST_RESTARTED, 2);
}

VT_HARNESS_MAIN
