// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "sched": priority inheritance and deadlock detection (uapi
 * "Options of a V process": V_OPT_INHERIT, V_OPT_DEADLOCK; V_SEND_DEADLOCK
 * and EDEADLK; V_A_HOST_INHERIT_RT; the counter "deadlocks").
 *
 * Fixture sched, one host.  Inheritance: a thread of a V_OPT_INHERIT
 * process that Receives runs at its client's nice value, or at its
 * SCHED_FIFO / SCHED_RR priority exactly (a SCHED_BATCH server at
 * SCHED_OTHER), while its client is blocked in Send, and gets its own
 * back at the Reply; nothing without the option, never lowered (a client
 * below the server, a real-time server); two messages held keep the
 * highest until the last is replied; Forward restores (and the process
 * forwarded to is raised); a client giving up restores at the server's
 * next Reply or Receive; Reply-and-Receive restores; bad options.
 * Deadlocks: a Send flagged V_SEND_DEADLOCK (or under V_OPT_DEADLOCK)
 * closing a cycle of processes blocked in Send fails EDEADLK at once,
 * delivering nothing (a message held or only queued, a 3-cycle); no
 * cycle, a receiver whose other thread Receives, an unflagged Send, a
 * chain longer than V_DEADLOCK_DEPTH: no EDEADLK; bad Send flags.
 *
 * Fixture rsched: three keyed hosts (namespaces vkpi0..2 on the bridge
 * vkpibr, secure links, built for each test): a remote client lends its
 * nice value, and real time only up to the server host's inherit-rt
 * (`vctl set inherit-rt`); deadlocks across two and three hosts, and a
 * mixed cycle; a remote process whose thread Receives is served.
 * Fixture rplain: two hosts without a key (insecure links): a remote
 * client lends nothing.
 *
 * The test's own thread is the server whose priority is read (its
 * Receives wait at most MS_WAIT: SO_RCVTIMEO); clients and the other
 * processes of a cycle are forked children ("actors") driven by commands
 * on a pipe, each Send of theirs bounded by a timeout.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include "vtest.h"
#include "vwire.h"
#include "vkids.h"
#include "kselftest_harness.h"

#define MS_WAIT		10000	/* ordinary bounded waits (scaled) */
#define MS_SHORT	300	/* a Send's timeout that is meant to pass (scaled) */
#define MS_GIVEUP	500	/* a client's timeout while the server holds it (scaled) */
#define MS_DL		3000	/* bound of a Send expected to fail EDEADLK at once (scaled) */
#define T_SEND		30000	/* an actor's Send timeout (scaled) */
#define REQ_CODE	0x0531
#define NICE_ANY	100	/* struct pr: nice not set / not checked */
#define CHAIN		19	/* actors of the long chain (the test is the 20th) */
#define KEY		"7363686564000000000000000000000000000000000000000000000000000001"

_Static_assert(CHAIN > V_DEADLOCK_DEPTH + 2, "the chain must be longer than the depth");

/* Request val, and its answer (value val + 1000 at byte 8). */
static struct v_msg req(uint64_t val)
{
	return mk(REQ_CODE, val);
}

static struct v_msg answer(uint64_t val)
{
	return mk(V_OK, val + 1000);
}

static int reply(int fd, uint64_t to, uint64_t val)
{
	struct v_msg m = answer(val);

	return v_reply(fd, to, &m);
}

/*
 * fd Sends req(val) to dst with flags and a timeout of ms (scaled); the
 * reply's value in *got and its replier in *who (if given).  0 or -errno.
 */
static int xsend(int fd, uint64_t dst, uint64_t val, uint32_t flags, int ms, uint64_t *got,
		 uint64_t *who)
{
	struct v_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.flags = flags;
	s.timeout_ns = (uint64_t)ms * 1000000ULL * vt_scale();
	s.msg = req(val);
	ret = v_send_ex(fd, &s);
	if (got)
		*got = v_msg_get64(&s.msg, 8);
	if (who)
		*who = s.replier;
	return ret;
}

/* The test's V processes, closed by the teardowns. */
static int socks[8];
static int nsocks;

static void socks_close(void)
{
	while (nsocks > 0)
		close(socks[--nsocks]);
}

/*
 * A V process of host ns (NULL: this thread's) with options opts, whose
 * Receive waits at most MS_WAIT (scaled): fd or -1.
 */
static int sopen(const char *ns, unsigned int opts)
{
	struct timeval tv = { .tv_sec = (MS_WAIT / 1000) * vt_scale() };
	int fd = vt_ns_vopen(ns, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    (opts && v_set_opts(fd, opts)) || nsocks == (int)(sizeof(socks) / sizeof(socks[0]))) {
		close(fd);
		return -1;
	}
	socks[nsocks++] = fd;
	return fd;
}

/* The "deadlocks" counter of host ns (NULL: this one), or -1. */
static long long dls(const char *ns)
{
	return vt_stat(ns, "deadlocks");
}

/* ------------------------------------------------------------------------ */
/* Priorities                                                               */

/* A scheduling class and priority: policy, real-time priority, nice. */
struct pr {
	int pol, rt, nice;
};

#define PR(pol, rt, nice)	((struct pr){ (pol), (rt), (nice) })
#define P_NICE(n)		PR(SCHED_OTHER, 0, (n))
#define P_FIFO(p)		PR(SCHED_FIFO, (p), NICE_ANY)
#define P_RR(p)			PR(SCHED_RR, (p), NICE_ANY)

/* Give the calling thread p (its nice first, unless NICE_ANY): 0 or -errno. */
static int set_me(struct pr p)
{
	struct sched_param sp = { .sched_priority = p.rt };
	pid_t tid = vt_gettid();

	if (p.nice != NICE_ANY && setpriority(PRIO_PROCESS, tid, p.nice))
		return -errno;
	return sched_setscheduler(tid, p.pol, &sp) ? -errno : 0;
}

/* The calling thread is at want (its nice checked unless NICE_ANY). */
static void prio_is(struct __test_metadata *_metadata, int line, struct pr want)
{
	struct sched_param sp = { 0 };
	pid_t tid = vt_gettid();
	struct pr p;

	/* A raised thread's forks are not raised: SCHED_RESET_ON_FORK is set then. */
	p.pol = sched_getscheduler(tid);
	if (p.pol >= 0)
		p.pol &= ~SCHED_RESET_ON_FORK;
	p.rt = sched_getparam(tid, &sp) ? -1 : sp.sched_priority;
	errno = 0;
	p.nice = getpriority(PRIO_PROCESS, tid);
	if (errno)
		p.nice = -100;
	ASSERT_EQ(want.pol, p.pol) TH_LOG("line %d: policy %d rt %d nice %d", line, p.pol, p.rt,
					  p.nice);
	ASSERT_EQ(want.rt, p.rt) TH_LOG("line %d: policy %d rt %d nice %d", line, p.pol, p.rt,
					p.nice);
	if (want.nice != NICE_ANY)
		ASSERT_EQ(want.nice, p.nice) TH_LOG("line %d: policy %d rt %d nice %d", line,
						    p.pol, p.rt, p.nice);
}

#define PRIO_IS(want)	prio_is(_metadata, __LINE__, want)

/* Is the calling thread at p now (nice checked unless NICE_ANY)? */
static int prio_now(struct pr p)
{
	struct sched_param sp = { 0 };
	pid_t tid = vt_gettid();
	int pol = sched_getscheduler(tid), nice;

	errno = 0;
	nice = getpriority(PRIO_PROCESS, tid);
	return pol >= 0 && (pol & ~SCHED_RESET_ON_FORK) == p.pol && !errno &&
	       !sched_getparam(tid, &sp) && sp.sched_priority == p.rt &&
	       (p.nice == NICE_ANY || nice == p.nice);
}

/* Wait (MS_WAIT, scaled) until the calling thread is at want, then check it. */
#define PRIO_SOON(want)	do {							\
	int64_t end_ = vt_now_ms() + (int64_t)MS_WAIT * vt_scale();		\
	while (!prio_now(want) && vt_now_ms() < end_)				\
		usleep(2000);							\
	PRIO_IS(want);								\
} while (0)

/* ------------------------------------------------------------------------ */
/* Actors: forked V processes doing what they are told                      */

struct act {
	pid_t pid;
	int cmd;	/* struct acmd to it */
	int rep;	/* from it: its id, then a struct arep per command */
	uint64_t id;
};

/*
 * Commands: 'n' nice arg; 'P' policy arg, priority arg2; 's' Send req(val)
 * to dst with flags, timeout ms (0: T_SEND); 'r' Receive; 'q' Receive
 * what is queued now; 'p' Reply answer(val) to dst; 't' start a thread
 * that Receives one message and Replies answer(its value).
 */
struct acmd {
	int32_t op;
	int32_t arg, arg2;
	uint32_t flags;
	int64_t ms;
	uint64_t dst, val;
};

struct arep {
	int32_t op;
	int32_t ret;
	uint64_t who;	/* 's': replier; 'r', 'q': sender; 't': the thread's tid */
	uint64_t val;	/* 's': the reply's value; 'r', 'q': the message's */
};

static int act_fd = -1;		/* an actor's V process (its 't' thread's too) */
static pid_t act_tid;		/* the 't' thread */

static void *act_rx_thread(void *arg)
{
	struct v_receive r;

	(void)arg;
	__atomic_store_n(&act_tid, vt_gettid(), __ATOMIC_SEQ_CST);
	if (vt_rx(act_fd, &r) == 0 && r.kind == V_KIND_MESSAGE)
		reply(act_fd, r.sender, v_msg_get64(&r.msg, 8));
	return NULL;
}

static void act_one(const struct acmd *c, struct arep *r)
{
	struct sched_param sp = { .sched_priority = c->arg2 };
	struct v_receive m;
	struct v_send s;
	pthread_t th;

	switch (c->op) {
	case 'n':
		r->ret = setpriority(PRIO_PROCESS, 0, c->arg) ? -errno : 0;
		break;
	case 'P':
		r->ret = sched_setscheduler(0, c->arg, &sp) ? -errno : 0;
		break;
	case 's':
		memset(&s, 0, sizeof(s));
		s.dst = c->dst;
		s.flags = c->flags;
		s.timeout_ns = (uint64_t)(c->ms ? c->ms : T_SEND) * 1000000ULL * vt_scale();
		s.msg = req(c->val);
		r->ret = v_send_ex(act_fd, &s);
		r->who = s.replier;
		r->val = v_msg_get64(&s.msg, 8);
		break;
	case 'r':
	case 'q':
		r->ret = c->op == 'r' ? vt_rx(act_fd, &m) : vt_rx_now(act_fd, &m);
		r->who = m.sender;
		r->val = v_msg_get64(&m.msg, 8);
		break;
	case 'p':
		r->ret = reply(act_fd, c->dst, c->val);
		break;
	case 't':
		r->ret = pthread_create(&th, NULL, act_rx_thread, NULL) ? -EAGAIN : 0;
		while (!r->ret && !__atomic_load_n(&act_tid, __ATOMIC_SEQ_CST))
			usleep(1000);
		r->who = (uint64_t)act_tid;
		break;
	default:
		r->ret = -EINVAL;
	}
}

static void __attribute__((noreturn)) act_main(int cmd, int rep, const char *ns)
{
	struct timeval tv = { .tv_sec = (MS_WAIT / 1000) * vt_scale() };
	struct acmd c;
	struct arep r;
	uint64_t id;
	int fd;

	/* none of the test's V processes, nor another actor's pipes */
	for (fd = 3; fd < 1024; fd++)
		if (fd != cmd && fd != rep)
			close(fd);
	CK(!ns || vt_ns_enter(ns) == 0);
	act_fd = v_open();
	CK(act_fd >= 0);
	CKEQ(0, setsockopt(act_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	id = vt_id(act_fd);
	CK(write(rep, &id, 8) == 8);
	while (read(cmd, &c, sizeof(c)) == sizeof(c)) {
		memset(&r, 0, sizeof(r));
		r.op = c.op;
		act_one(&c, &r);
		CK(write(rep, &r, sizeof(r)) == sizeof(r));
	}
	_exit(0);
}

/* Start an actor with a V process of host ns (NULL: this one): 0 or -1. */
static int act_start(struct act *a, const char *ns)
{
	int c[2], r[2];

	if (pipe2(c, O_CLOEXEC))
		return -1;
	if (pipe2(r, O_CLOEXEC)) {
		close(c[0]);
		close(c[1]);
		return -1;
	}
	a->pid = kid_fork(0);
	if (a->pid == 0)
		act_main(c[0], r[1], ns);
	close(c[0]);
	close(r[1]);
	a->cmd = c[1];
	a->rep = r[0];
	if (a->pid < 0)
		return -1;
	a->id = vt_kid_read_id(a->rep, MS_WAIT);
	return a->id ? 0 : -1;
}

static void act_end(struct act *a)
{
	close(a->cmd);
	close(a->rep);
	kid_kill(a->pid);
}

static int act_cmd(struct act *a, struct acmd c)
{
	return write(a->cmd, &c, sizeof(c)) == sizeof(c) ? 0 : -1;
}

/* The report of a's next command, which must be op: 0 or -1. */
static int act_wait(struct act *a, int op, struct arep *r)
{
	if (vt_kid_read(a->rep, r, sizeof(*r), 3 * MS_WAIT))
		return -1;
	return r->op == op ? 0 : -1;
}

/* Have a do c and wait for it: its result, or -1000 without a report. */
static int act_do(struct act *a, struct acmd c)
{
	struct arep r;

	if (act_cmd(a, c) || act_wait(a, c.op, &r))
		return -1000;
	return r.ret;
}

/* a starts Sending req(val) to dst (its report: act_replied()). */
static int act_send(struct act *a, uint64_t dst, uint64_t val, uint32_t flags)
{
	return act_cmd(a, (struct acmd){ .op = 's', .dst = dst, .val = val, .flags = flags });
}

/* a's Send of req(val) ended with who's answer(val). */
static void act_replied(struct __test_metadata *_metadata, struct act *a, uint64_t who,
			uint64_t val)
{
	struct arep r;

	ASSERT_EQ(0, act_wait(a, 's', &r));
	ASSERT_EQ(0, r.ret) TH_LOG("the actor's Send: %s", strerror(-r.ret));
	ASSERT_EQ(who, r.who);
	ASSERT_EQ(val + 1000, r.val);
}

/* a is blocked in a V call (its Send) and has reported nothing: 0 or -1. */
static int act_blocked(struct act *a)
{
	if (vt_wait_blocked(a->pid, a->pid, MS_WAIT))
		return -1;
	return (vt_wait_poll(a->rep, POLLIN, 0) & POLLIN) ? -1 : 0;
}

/* An actor of host ns at priority p (its nice first, then its policy): 0 or -1. */
static int act_client(struct act *a, const char *ns, struct pr p)
{
	if (act_start(a, ns))
		return -1;
	if (p.nice != NICE_ANY && act_do(a, (struct acmd){ .op = 'n', .arg = p.nice }))
		return -1;
	return act_do(a, (struct acmd){ .op = 'P', .arg = p.pol, .arg2 = p.rt }) ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Scenarios shared by the fixtures                                         */

/*
 * A client of host ns at priority c Sends to fd's process, whose Receive
 * is done by this thread: while it holds the message (the client blocked
 * in Send) the thread is at held, after the Reply at after.  The Receive
 * into *out (if given).
 */
static void lend(struct __test_metadata *_metadata, int line, const char *ns, int fd,
		 struct pr c, struct pr held, struct pr after, struct v_receive *out)
{
	struct v_receive r;
	struct act a;

	ASSERT_EQ(0, act_client(&a, ns, c)) TH_LOG("line %d: client", line);
	ASSERT_EQ(0, act_send(&a, vt_id(fd), 7, 0));
	ASSERT_EQ(0, vt_rx(fd, &r)) TH_LOG("line %d: nothing received", line);
	ASSERT_EQ(a.id, r.sender);
	prio_is(_metadata, line, held);
	ASSERT_EQ(0, act_blocked(&a)) TH_LOG("line %d: the client is not blocked in Send", line);
	prio_is(_metadata, line, held);
	ASSERT_EQ(0, reply(fd, a.id, 7));
	prio_is(_metadata, line, after);
	act_replied(_metadata, &a, vt_id(fd), 7);
	act_end(&a);
	if (out)
		*out = r;
}

#define LEND(ns, fd, c, held, after, out) lend(_metadata, __LINE__, ns, fd, c, held, after, out)

/* fd's Send to dst (flags) fails EDEADLK at once. */
static void deadlock(struct __test_metadata *_metadata, int fd, uint64_t dst, uint32_t flags)
{
	int64_t t0 = vt_now_ms();
	int ret = xsend(fd, dst, 99, flags, MS_DL, NULL, NULL);

	ASSERT_EQ(-EDEADLK, ret) TH_LOG("%s", strerror(-ret));
	ASSERT_GT(1000 * vt_scale(), vt_now_ms() - t0);
}

/*
 * Actor A (host ns, one thread) Sends to fd's process B, which Receives
 * it (queued: not yet): B's Send to A flagged V_SEND_DEADLOCK fails
 * EDEADLK at once, A's Send goes on, nothing reaches A; B's Reply then
 * ends A's Send.
 */
static void cycle2(struct __test_metadata *_metadata, const char *ns, int fd, int queued)
{
	struct v_receive r;
	struct act a;

	ASSERT_EQ(0, act_start(&a, ns));
	ASSERT_EQ(0, act_send(&a, vt_id(fd), 1, 0));
	if (queued) {
		ASSERT_NE(0, vt_wait_poll(fd, POLLIN, MS_WAIT) & POLLIN);
	} else {
		ASSERT_EQ(0, vt_rx(fd, &r));
		ASSERT_EQ(a.id, r.sender);
	}
	ASSERT_EQ(0, act_blocked(&a));
	deadlock(_metadata, fd, a.id, V_SEND_DEADLOCK);
	ASSERT_EQ(0, act_blocked(&a));
	if (queued) {
		ASSERT_EQ(0, vt_rx_now(fd, &r));
		ASSERT_EQ(a.id, r.sender);
	}
	ASSERT_EQ(0, reply(fd, a.id, 1));
	act_replied(_metadata, &a, vt_id(fd), 1);
	ASSERT_EQ(-EAGAIN, act_do(&a, (struct acmd){ .op = 'q' }));	/* nothing delivered */
	act_end(&a);
}

/*
 * A 3-cycle: actor A (host nsa) Sends to actor B (host nsb), which
 * Receives it and Sends on to fd's process C, which Receives that: C's
 * flagged Send to A fails EDEADLK at once (with opt, an unflagged one
 * under V_OPT_DEADLOCK too); then C Replies to B and B to A.
 */
static void cycle3(struct __test_metadata *_metadata, const char *nsa, const char *nsb, int fd,
		   int opt)
{
	struct v_receive r;
	struct act a, b;
	struct arep rep;

	ASSERT_EQ(0, act_start(&a, nsa));
	ASSERT_EQ(0, act_start(&b, nsb));
	ASSERT_EQ(0, act_send(&a, b.id, 1, 0));
	ASSERT_EQ(0, act_cmd(&b, (struct acmd){ .op = 'r' }));
	ASSERT_EQ(0, act_wait(&b, 'r', &rep));
	ASSERT_EQ(0, rep.ret) TH_LOG("B's Receive: %s", strerror(-rep.ret));
	ASSERT_EQ(a.id, rep.who);
	ASSERT_EQ(0, act_send(&b, vt_id(fd), 2, 0));
	ASSERT_EQ(0, vt_rx(fd, &r));
	ASSERT_EQ(b.id, r.sender);
	ASSERT_EQ(0, act_blocked(&a));
	ASSERT_EQ(0, act_blocked(&b));
	deadlock(_metadata, fd, a.id, V_SEND_DEADLOCK);
	if (opt) {
		ASSERT_EQ(0, v_set_opts(fd, V_OPT_DEADLOCK));
		deadlock(_metadata, fd, a.id, 0);
		ASSERT_EQ(0, v_set_opts(fd, 0));
	}
	ASSERT_EQ(0, reply(fd, b.id, 2));
	act_replied(_metadata, &b, vt_id(fd), 2);
	ASSERT_EQ(0, act_do(&b, (struct acmd){ .op = 'p', .dst = a.id, .val = 1 }));
	act_replied(_metadata, &a, b.id, 1);
	ASSERT_EQ(-EAGAIN, act_do(&a, (struct acmd){ .op = 'q' }));
	act_end(&a);
	act_end(&b);
}

/*
 * Actor A (host ns) has a thread blocked in Receive, then Sends to fd's
 * process B, which Receives it: B's flagged Send to A is served by that
 * thread (no EDEADLK); then B Replies to A.
 */
static void served(struct __test_metadata *_metadata, const char *ns, int fd)
{
	uint64_t got = 0, who = 0;
	struct v_receive r;
	struct arep rep;
	struct act a;
	int ret;

	ASSERT_EQ(0, act_start(&a, ns));
	ASSERT_EQ(0, act_cmd(&a, (struct acmd){ .op = 't' }));
	ASSERT_EQ(0, act_wait(&a, 't', &rep));
	ASSERT_EQ(0, rep.ret);
	ASSERT_EQ(0, vt_wait_blocked(a.pid, (pid_t)rep.who, MS_WAIT));
	ASSERT_EQ(0, act_send(&a, vt_id(fd), 2, 0));
	ASSERT_EQ(0, vt_rx(fd, &r));
	ASSERT_EQ(a.id, r.sender);
	ASSERT_EQ(0, act_blocked(&a));
	ret = xsend(fd, a.id, 3, V_SEND_DEADLOCK, MS_WAIT, &got, &who);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	ASSERT_EQ(a.id, who);
	ASSERT_EQ(1003, got);
	ASSERT_EQ(0, reply(fd, a.id, 2));
	act_replied(_metadata, &a, vt_id(fd), 2);
	act_end(&a);
}

/* ------------------------------------------------------------------------ */
/* One host                                                                 */

FIXTURE(sched) {
	pid_t owner;
	int fd;		/* the server: this thread Receives on it */
	uint64_t id;
};

FIXTURE_SETUP(sched)
{
	self->owner = getpid();
	nkids = 0;
	nsocks = 0;
	self->fd = sopen(NULL, 0);
	ASSERT_LE(0, self->fd);
	self->id = vt_id(self->fd);
	ASSERT_NE(0, self->id);
}

FIXTURE_TEARDOWN(sched)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	socks_close();
}

/*
 * A client at nice -5 raises the server thread (nice 10) to -5 while it
 * holds the message, and the Reply gives it 10 back.  A SCHED_BATCH
 * thread is raised to SCHED_OTHER and gets SCHED_BATCH back.
 */
TEST_F(sched, nice_lent_while_held)
{
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, set_me(P_NICE(10)));
	PRIO_IS(P_NICE(10));
	LEND(NULL, self->fd, P_NICE(-5), P_NICE(-5), P_NICE(10), NULL);
	ASSERT_EQ(0, set_me(PR(SCHED_BATCH, 0, 10)));
	LEND(NULL, self->fd, P_NICE(-5), P_NICE(-5), PR(SCHED_BATCH, 0, 10), NULL);
}

/*
 * Real time is lent exactly (class and priority, never above the
 * client's): FIFO 20, RR 15; after the Reply, SCHED_OTHER at the old
 * nice.  A FIFO 10 server under a FIFO 20 client: 20, then 10 again.
 */
TEST_F(sched, rt_lent_exactly)
{
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, set_me(P_NICE(3)));
	LEND(NULL, self->fd, P_FIFO(20), P_FIFO(20), P_NICE(3), NULL);
	LEND(NULL, self->fd, P_RR(15), P_RR(15), P_NICE(3), NULL);
	ASSERT_EQ(0, set_me(P_FIFO(10)));
	LEND(NULL, self->fd, P_FIFO(20), P_FIFO(20), P_FIFO(10), NULL);
}

/* Without V_OPT_INHERIT (never set, or replaced by another option): nothing changes. */
TEST_F(sched, no_option_no_change)
{
	ASSERT_EQ(0, set_me(P_NICE(10)));
	LEND(NULL, self->fd, P_NICE(-5), P_NICE(10), P_NICE(10), NULL);
	LEND(NULL, self->fd, P_FIFO(20), P_NICE(10), P_NICE(10), NULL);
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_DEADLOCK));
	LEND(NULL, self->fd, P_NICE(-5), P_NICE(10), P_NICE(10), NULL);
}

/*
 * Never lowered: a nice 5 client leaves a nice 0 server at 0; a FIFO 50
 * server stays FIFO 50 under a FIFO 20 client and a nice -20 one.
 */
TEST_F(sched, never_lowered)
{
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, set_me(P_NICE(0)));
	LEND(NULL, self->fd, P_NICE(5), P_NICE(0), P_NICE(0), NULL);
	ASSERT_EQ(0, set_me(PR(SCHED_FIFO, 50, 0)));
	LEND(NULL, self->fd, P_FIFO(20), P_FIFO(50), P_FIFO(50), NULL);
	LEND(NULL, self->fd, P_NICE(-20), P_FIFO(50), P_FIFO(50), NULL);
}

/*
 * Two messages held by one thread (nice 10): A at nice 0, then B at
 * nice -10: -10; B replied: still -10 (A raised it too and is held);
 * A replied: 10.
 */
TEST_F(sched, two_held_keep_highest)
{
	struct v_receive r;
	struct act a, b;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, act_client(&a, NULL, P_NICE(0)));
	ASSERT_EQ(0, act_client(&b, NULL, P_NICE(-10)));
	ASSERT_EQ(0, set_me(P_NICE(10)));
	ASSERT_EQ(0, act_send(&a, self->id, 1, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(a.id, r.sender);
	PRIO_IS(P_NICE(0));
	ASSERT_EQ(0, act_send(&b, self->id, 2, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(b.id, r.sender);
	PRIO_IS(P_NICE(-10));
	ASSERT_EQ(0, act_blocked(&a));
	ASSERT_EQ(0, act_blocked(&b));
	ASSERT_EQ(0, reply(self->fd, b.id, 2));
	act_replied(_metadata, &b, self->id, 2);
	PRIO_IS(P_NICE(-10));
	ASSERT_EQ(0, reply(self->fd, a.id, 1));
	act_replied(_metadata, &a, self->id, 1);
	PRIO_IS(P_NICE(10));
}

/*
 * Forward ends the hold: the thread is back at 10 at once; the process
 * forwarded to (V_OPT_INHERIT, served by the same thread) raises it when
 * it Receives, and its Reply restores it.
 */
TEST_F(sched, forward_restores)
{
	struct v_receive r;
	uint64_t id2;
	struct act c;
	int fd2;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	fd2 = sopen(NULL, V_OPT_INHERIT);
	ASSERT_LE(0, fd2);
	id2 = vt_id(fd2);
	ASSERT_EQ(0, act_client(&c, NULL, P_NICE(-5)));
	ASSERT_EQ(0, set_me(P_NICE(10)));
	ASSERT_EQ(0, act_send(&c, self->id, 5, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	PRIO_IS(P_NICE(-5));
	ASSERT_EQ(0, v_forward(self->fd, c.id, id2, &r.msg));
	PRIO_IS(P_NICE(10));
	ASSERT_EQ(0, vt_rx(fd2, &r));
	ASSERT_EQ(c.id, r.sender);
	ASSERT_EQ(self->id, r.forwarder);
	PRIO_IS(P_NICE(-5));
	ASSERT_EQ(0, act_blocked(&c));
	ASSERT_EQ(0, reply(fd2, c.id, 5));
	PRIO_IS(P_NICE(10));
	act_replied(_metadata, &c, id2, 5);
}

/*
 * A client that gives up (its Send's timeout passes): the server, still
 * working on its request, is restored without a call of its own (the
 * module's work); the late Reply fails (ETIMEDOUT or ENOENT); the next
 * message raises it only to its own client's (nice 0).
 */
TEST_F(sched, client_gives_up_restored_at_once)
{
	struct v_receive r;
	struct act a, b, c;
	struct arep rep;
	int ret;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, act_client(&a, NULL, P_NICE(-5)));
	ASSERT_EQ(0, act_client(&b, NULL, P_NICE(-5)));
	ASSERT_EQ(0, act_client(&c, NULL, P_NICE(0)));
	ASSERT_EQ(0, set_me(P_NICE(10)));

	ASSERT_EQ(0, act_cmd(&a, (struct acmd){ .op = 's', .dst = self->id, .val = 1,
						.ms = MS_GIVEUP }));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(a.id, r.sender);
	PRIO_IS(P_NICE(-5));
	ASSERT_EQ(0, act_wait(&a, 's', &rep));
	ASSERT_EQ(-ETIMEDOUT, rep.ret);
	PRIO_SOON(P_NICE(10));	/* no call of the server's needed */
	ret = reply(self->fd, a.id, 1);
	ASSERT_TRUE(ret == -ETIMEDOUT || ret == -ENOENT) TH_LOG("%s", strerror(-ret));
	PRIO_IS(P_NICE(10));

	ASSERT_EQ(0, act_cmd(&b, (struct acmd){ .op = 's', .dst = self->id, .val = 2,
						.ms = MS_GIVEUP }));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(b.id, r.sender);
	PRIO_IS(P_NICE(-5));
	ASSERT_EQ(0, act_wait(&b, 's', &rep));
	ASSERT_EQ(-ETIMEDOUT, rep.ret);
	PRIO_SOON(P_NICE(10));
	ASSERT_EQ(0, act_send(&c, self->id, 3, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(c.id, r.sender);
	PRIO_IS(P_NICE(0));
	ASSERT_EQ(0, reply(self->fd, c.id, 3));
	PRIO_IS(P_NICE(10));
	act_replied(_metadata, &c, self->id, 3);
	ret = reply(self->fd, b.id, 2);
	ASSERT_TRUE(ret == -ETIMEDOUT || ret == -ENOENT) TH_LOG("%s", strerror(-ret));
	PRIO_IS(P_NICE(10));
}

/*
 * A thread serving two V processes is raised by the first only (each
 * would give back what it saw, the other's raise): raised to -5 for A's
 * client on fd, not to -10 for B's on a second socket; the Reply on fd
 * gives back 10 though B's message is still held.
 */
TEST_F(sched, two_processes_raise_once)
{
	int fd2 = sopen(NULL, V_OPT_INHERIT);
	uint64_t id2 = fd2 >= 0 ? vt_id(fd2) : 0;
	struct v_receive r;
	struct act a, b;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, act_client(&a, NULL, P_NICE(-5)));
	ASSERT_EQ(0, act_client(&b, NULL, P_NICE(-10)));
	ASSERT_EQ(0, set_me(P_NICE(10)));
	ASSERT_EQ(0, act_send(&a, self->id, 1, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	PRIO_IS(P_NICE(-5));
	ASSERT_EQ(0, act_send(&b, id2, 2, 0));
	ASSERT_EQ(0, vt_rx(fd2, &r));
	ASSERT_EQ(b.id, r.sender);
	PRIO_IS(P_NICE(-5));
	ASSERT_EQ(0, reply(self->fd, a.id, 1));
	PRIO_IS(P_NICE(10));
	act_replied(_metadata, &a, self->id, 1);
	ASSERT_EQ(0, reply(fd2, b.id, 2));
	PRIO_IS(P_NICE(10));
	act_replied(_metadata, &b, id2, 2);
}

/* A raised thread's children are not raised (reset on fork). */
TEST_F(sched, raised_thread_forks_unraised)
{
	struct v_receive r;
	int status = 0;
	struct act a;
	pid_t kid;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, act_client(&a, NULL, P_FIFO(20)));
	ASSERT_EQ(0, set_me(P_NICE(0)));
	ASSERT_EQ(0, act_send(&a, self->id, 1, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	PRIO_IS(P_FIFO(20));
	kid = fork();
	ASSERT_LE(0, kid);
	if (!kid)
		_exit(sched_getscheduler(0) == SCHED_OTHER ? 0 : 1);
	ASSERT_EQ(kid, waitpid(kid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("the child was raised");
	ASSERT_EQ(0, reply(self->fd, a.id, 1));
	PRIO_IS(P_NICE(0));
	act_replied(_metadata, &a, self->id, 1);
}

/*
 * Lending other hosts' real time is the machine administrator's call:
 * CAP_NET_ADMIN alone (CAP_SYS_NICE dropped from the bounding set before
 * vctl runs) sets inherit-rt 0, not 5.
 */
TEST_F(sched, inherit_rt_needs_cap_sys_nice)
{
	const char *vctl = vt_vctl_bin();

	ASSERT_NE(0, vt_sh("setpriv --bounding-set=-sys_nice %s set inherit-rt 5 >/dev/null 2>&1",
			   vctl));
	ASSERT_EQ(0, vt_sh("setpriv --bounding-set=-sys_nice %s set inherit-rt 0 >/dev/null 2>&1",
			   vctl));
	ASSERT_EQ(0, vt_sh("%s set inherit-rt 5 >/dev/null 2>&1 && %s set inherit-rt 0 >/dev/null",
			   vctl, vctl));
}

/*
 * Reply-and-Receive: the Reply half restores (A at nice -5 replied), the
 * Receive half raises for the message it delivers (B at nice -2).
 */
TEST_F(sched, reply_receive_restores)
{
	struct v_receive r;
	struct v_msg m = answer(1);
	struct act a, b;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT));
	ASSERT_EQ(0, act_client(&a, NULL, P_NICE(-5)));
	ASSERT_EQ(0, act_client(&b, NULL, P_NICE(-2)));
	ASSERT_EQ(0, set_me(P_NICE(10)));
	ASSERT_EQ(0, act_send(&a, self->id, 1, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(a.id, r.sender);
	PRIO_IS(P_NICE(-5));
	ASSERT_EQ(0, act_send(&b, self->id, 2, 0));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, v_reply_receive(self->fd, a.id, &m, &r));
	ASSERT_EQ(b.id, r.sender);
	PRIO_IS(P_NICE(-2));
	act_replied(_metadata, &a, self->id, 1);
	ASSERT_EQ(0, reply(self->fd, b.id, 2));
	PRIO_IS(P_NICE(10));
	act_replied(_metadata, &b, self->id, 2);
}

/*
 * V_IOC_SET_OPTS with an unknown bit or reserved set, a Send with an
 * unknown flag: EINVAL, nothing delivered, nothing set (inheritance
 * stays off after a refused V_OPT_INHERIT | 0x8).
 */
TEST_F(sched, bad_options_and_send_flags_einval)
{
	static const uint32_t bad_opts[] = { 0x8, 0x80000000U, V_OPTS | 0x10,
					     V_OPT_INHERIT | 0x8 };
	static const uint32_t bad_flags[] = { 0x80, V_SEND_DEADLOCK | 0x2, 0x80000000U };
	struct v_receive r;
	struct v_opts o;
	unsigned int i;
	int fd2;

	fd2 = sopen(NULL, 0);
	ASSERT_LE(0, fd2);
	for (i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.flags = bad_opts[i];
		ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_SET_OPTS, &o)) TH_LOG("%#x", o.flags);
	}
	ASSERT_EQ(-EINVAL, v_set_opts(self->fd, 0x8));
	memset(&o, 0, sizeof(o));
	o.reserved = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_SET_OPTS, &o));
	o.flags = V_OPT_INHERIT;
	o.reserved = 0x80000000U;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_SET_OPTS, &o));
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPTS));
	ASSERT_EQ(0, v_set_opts(self->fd, 0));
	ASSERT_EQ(-EINVAL, v_set_opts(self->fd, V_OPT_INHERIT | 0x8));

	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		ASSERT_EQ(-EINVAL, xsend(self->fd, vt_id(fd2), 1, bad_flags[i], MS_SHORT, NULL,
					 NULL)) TH_LOG("%#x", bad_flags[i]);
	ASSERT_EQ(-EAGAIN, vt_rx_now(fd2, &r));

	ASSERT_EQ(0, set_me(P_NICE(10)));
	LEND(NULL, self->fd, P_NICE(-5), P_NICE(10), P_NICE(10), NULL);
}

/* A -> B held; B's flagged Send to A: EDEADLK at once, counted; A then served. */
TEST_F(sched, deadlock_held)
{
	long long d0 = dls(NULL);

	ASSERT_LE(0, d0);
	cycle2(_metadata, NULL, self->fd, 0);
	ASSERT_EQ(d0 + 1, dls(NULL));
}

/* A's message only queued at B (not Received yet): EDEADLK all the same. */
TEST_F(sched, deadlock_queued)
{
	long long d0 = dls(NULL);

	ASSERT_LE(0, d0);
	cycle2(_metadata, NULL, self->fd, 1);
	ASSERT_EQ(d0 + 1, dls(NULL));
}

/* A -> B -> C, each Received; C's Send to A flagged, then under V_OPT_DEADLOCK: EDEADLK. */
TEST_F(sched, deadlock_three_cycle_and_option)
{
	long long d0 = dls(NULL);

	ASSERT_LE(0, d0);
	cycle3(_metadata, NULL, NULL, self->fd, 1);
	ASSERT_EQ(d0 + 2, dls(NULL));
}

/*
 * No cycle: B, holding A's message, Sends flagged (and under
 * V_OPT_DEADLOCK) to a free echo server: answered.  To X, blocked in
 * Send to Y, which waits for nobody: no EDEADLK (ETIMEDOUT: X never
 * Receives).
 */
TEST_F(sched, no_cycle_no_deadlock)
{
	uint64_t echo = vt_echo_server(NULL), got = 0, who = 0;
	long long d0 = dls(NULL);
	struct v_receive r;
	struct act a, x, y;

	ASSERT_NE(0, echo);
	ASSERT_LE(0, d0);
	ASSERT_EQ(0, act_start(&a, NULL));
	ASSERT_EQ(0, act_send(&a, self->id, 1, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(a.id, r.sender);
	ASSERT_EQ(0, xsend(self->fd, echo, 5, V_SEND_DEADLOCK, MS_WAIT, &got, &who));
	ASSERT_EQ(echo, who);
	ASSERT_EQ(5, got);
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_DEADLOCK));
	ASSERT_EQ(0, xsend(self->fd, echo, 6, 0, MS_WAIT, &got, &who));
	ASSERT_EQ(6, got);

	ASSERT_EQ(0, act_start(&x, NULL));
	ASSERT_EQ(0, act_start(&y, NULL));
	ASSERT_EQ(0, act_send(&x, y.id, 7, 0));
	ASSERT_EQ(0, act_blocked(&x));
	ASSERT_EQ(-ETIMEDOUT, xsend(self->fd, x.id, 8, V_SEND_DEADLOCK, MS_SHORT, NULL, NULL));

	ASSERT_EQ(0, reply(self->fd, a.id, 1));
	act_replied(_metadata, &a, self->id, 1);
	ASSERT_EQ(d0, dls(NULL));
}

/*
 * A process with a thread blocked in Receive is not waiting: A's other
 * thread Sends to B; B's flagged Send to A is served by the first one.
 */
TEST_F(sched, receiving_thread_not_deadlocked)
{
	long long d0 = dls(NULL);

	ASSERT_LE(0, d0);
	served(_metadata, NULL, self->fd);
	ASSERT_EQ(d0, dls(NULL));
}

/* Unflagged, a real cycle is not reported: the Send times out; flagged, EDEADLK. */
TEST_F(sched, unflagged_cycle_times_out)
{
	long long d0 = dls(NULL);
	struct v_receive r;
	struct act a;

	ASSERT_LE(0, d0);
	ASSERT_EQ(0, act_start(&a, NULL));
	ASSERT_EQ(0, act_send(&a, self->id, 1, 0));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(-ETIMEDOUT, xsend(self->fd, a.id, 2, 0, MS_SHORT, NULL, NULL));
	ASSERT_EQ(d0, dls(NULL));
	deadlock(_metadata, self->fd, a.id, V_SEND_DEADLOCK);
	ASSERT_EQ(0, reply(self->fd, a.id, 1));
	act_replied(_metadata, &a, self->id, 1);
	ASSERT_EQ(d0 + 1, dls(NULL));
}

/*
 * P0 -> P1 -> ... -> P18 -> this process, each message queued: a flagged
 * Send to P10 (9 steps) fails EDEADLK; to P0 (19 steps, beyond
 * V_DEADLOCK_DEPTH) it is not reported: ETIMEDOUT.
 */
TEST_F(sched, chain_beyond_depth_not_reported)
{
	long long d0 = dls(NULL);
	struct act p[CHAIN];
	int i;

	ASSERT_LE(0, d0);
	for (i = 0; i < CHAIN; i++)
		ASSERT_EQ(0, act_start(&p[i], NULL)) TH_LOG("actor %d", i);
	for (i = 0; i < CHAIN; i++)
		ASSERT_EQ(0, act_send(&p[i], i + 1 < CHAIN ? p[i + 1].id : self->id, i, 0));
	for (i = 0; i < CHAIN; i++)
		ASSERT_EQ(0, act_blocked(&p[i])) TH_LOG("actor %d", i);
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	deadlock(_metadata, self->fd, p[10].id, V_SEND_DEADLOCK);
	ASSERT_EQ(-ETIMEDOUT, xsend(self->fd, p[0].id, 1, V_SEND_DEADLOCK, MS_SHORT, NULL, NULL));
	ASSERT_EQ(d0 + 1, dls(NULL));
}

/* ------------------------------------------------------------------------ */
/* Across hosts                                                             */

#define NH	3
static const struct vt_topo topo = { "vkpi%d", "vkpih%d", "vkpie", "vkpibr", NH, .netem = 0 };
static const struct vt_topo ptopo = { "vkpi%d", "vkpih%d", "vkpie", "vkpibr", 2, .netem = 0 };

static const char *hn(int h)
{
	return vt_topo_ns(&topo, h);
}

struct hosts {
	pid_t owner;
	int built;
};

/* Build t (its hosts given key, secure links; NULL: no key, insecure links). */
static void hosts_up(struct __test_metadata *_metadata, struct hosts *hs,
		     const struct vt_topo *t, const char *key)
{
	int h;

	hs->owner = getpid();
	nkids = 0;
	nsocks = 0;
	ASSERT_LE(0, vt_root_open());
	if (vt_topo_exists(&topo))
		vt_topo_destroy(&topo);
	hs->built = 1;
	ASSERT_EQ(0, vt_topo_create_keyed(t, key)) TH_LOG("cannot build the namespaces / links");
	for (h = 0; h < t->n && vt_scale() > 1; h++)
		ASSERT_EQ(0, vt_topo_vctl(t, h, "set host-down-ms %d", vt_down_ms_scaled()));
}

static void hosts_down(struct hosts *hs)
{
	if (getpid() != hs->owner)
		return;
	kids_kill_all();
	socks_close();
	if (hs->built)
		vt_topo_destroy(&topo);
	vt_root_close();
}

FIXTURE(rsched) {
	struct hosts hs;
};

FIXTURE_SETUP(rsched)
{
	hosts_up(_metadata, &self->hs, &topo, KEY);
}

FIXTURE_TEARDOWN(rsched)
{
	hosts_down(&self->hs);
}

/*
 * Keyed hosts, server on host 0 (nice 10).  inherit-rt 0 (the default):
 * a remote nice -5 client lends -5; a remote FIFO 30 client at nice -3
 * lends nice -3 only.  inherit-rt 10: FIFO 30 lends FIFO 10, FIFO 5
 * lends FIFO 5; a local FIFO 30 client is not capped.  inherit-rt 100:
 * refused.
 */
TEST_F_TIMEOUT(rsched, remote_inherit_nice_and_capped_rt, 60)
{
	const struct pr base = P_NICE(10);
	struct v_receive r;
	int srv;

	srv = sopen(hn(0), V_OPT_INHERIT);
	ASSERT_LE(0, srv);
	ASSERT_EQ(0, vt_host_show(hn(0), "inherit_rt"));
	ASSERT_EQ(0, set_me(base));
	LEND(hn(1), srv, P_NICE(-5), P_NICE(-5), base, &r);
	ASSERT_EQ(V_CRED_REMOTE | V_CRED_KEYED, r.creds.flags);
	LEND(hn(1), srv, PR(SCHED_FIFO, 30, -3), P_NICE(-3), base, NULL);

	ASSERT_EQ(0, vt_topo_vctl(&topo, 0, "set inherit-rt 10"));
	ASSERT_EQ(10, vt_host_show(hn(0), "inherit_rt"));
	LEND(hn(1), srv, PR(SCHED_FIFO, 30, -3), P_FIFO(10), base, NULL);
	LEND(hn(2), srv, P_FIFO(5), P_FIFO(5), base, NULL);
	LEND(hn(0), srv, P_FIFO(30), P_FIFO(30), base, NULL);

	ASSERT_NE(0, vt_topo_vctl(&topo, 0, "set inherit-rt 100"));
	ASSERT_EQ(10, vt_host_show(hn(0), "inherit_rt"));
}

/*
 * A (host 0) -> B (host 1) held; B's flagged Send to A: EDEADLK, counted
 * on host 1.  A with a thread blocked in Receive before it Sends to B:
 * B's flagged Send to A is served.
 */
TEST_F_TIMEOUT(rsched, remote_deadlock_two_hosts, 60)
{
	long long d1 = dls(hn(1));
	int b;

	b = sopen(hn(1), 0);
	ASSERT_LE(0, b);
	ASSERT_LE(0, d1);
	cycle2(_metadata, hn(0), b, 0);
	ASSERT_EQ(d1 + 1, dls(hn(1)));
	served(_metadata, hn(0), b);
	ASSERT_EQ(d1 + 1, dls(hn(1)));
}

/*
 * A (host 0) -> B (host 1) -> C (host 2), each Received: C's flagged Send
 * to A fails EDEADLK (counted on host 2).  Mixed: A (host 0) -> B (host
 * 1) -> C (host 1, local to B): EDEADLK (counted on host 1).
 */
TEST_F_TIMEOUT(rsched, remote_deadlock_chains, 60)
{
	long long d1 = dls(hn(1)), d2 = dls(hn(2));
	int c1, c2;

	c1 = sopen(hn(1), 0);
	c2 = sopen(hn(2), 0);
	ASSERT_LE(0, c1);
	ASSERT_LE(0, c2);
	ASSERT_LE(0, d1);
	ASSERT_LE(0, d2);
	cycle3(_metadata, hn(0), hn(1), c2, 0);
	ASSERT_EQ(d2 + 1, dls(hn(2)));
	cycle3(_metadata, hn(0), hn(1), c1, 0);
	ASSERT_EQ(d1 + 1, dls(hn(1)));
	ASSERT_EQ(d2 + 1, dls(hn(2)));
}

FIXTURE(rplain) {
	struct hosts hs;
};

FIXTURE_SETUP(rplain)
{
	hosts_up(_metadata, &self->hs, &ptopo, NULL);
}

FIXTURE_TEARDOWN(rplain)
{
	hosts_down(&self->hs);
}

/*
 * No key, insecure links: a remote client lends nothing (nice -5, nor
 * FIFO 30 with inherit-rt 50); a local client still does.
 */
TEST_F_TIMEOUT(rplain, remote_unauthenticated_lends_nothing, 60)
{
	const struct pr base = P_NICE(10);
	struct v_receive r;
	int srv;

	srv = sopen(hn(0), V_OPT_INHERIT);
	ASSERT_LE(0, srv);
	ASSERT_EQ(0, set_me(base));
	LEND(hn(1), srv, P_NICE(-5), base, base, &r);
	ASSERT_EQ(V_CRED_REMOTE, r.creds.flags);
	ASSERT_EQ(0, vt_topo_vctl(&ptopo, 0, "set inherit-rt 50"));
	LEND(hn(1), srv, PR(SCHED_FIFO, 30, -3), base, base, NULL);
	LEND(hn(0), srv, P_NICE(-5), P_NICE(-5), base, NULL);
}

VT_HARNESS_MAIN
