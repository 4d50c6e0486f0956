// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "pulse": pulses and process options (uapi "Pulses (V_IOC_PULSE
 * ...)" and "Options of a V process (V_IOC_SET_OPTS ...)").  Fixture
 * pulse, one host: a pulse returns at once and is received with kind
 * V_KIND_PULSE, the pulser's id and credentials (its thread group's pid,
 * another uid, another user or pid namespace) and nothing else; a Reply
 * to it fails; ECONNREFUSED without V_OPT_PULSES (and once turned off,
 * queued pulses still delivered), ESRCH, EINVAL, EFAULT, SET_OPTS's
 * EINVAL; V_PULSES_MAX per receiver (EAGAIN), several senders counted
 * together; order (notices, then pulses oldest first, then messages);
 * a blocked Receive woken, poll(); a Receive that cannot write its
 * result back (EFAULT) loses nothing; a receiver closed with pulses
 * queued, a pulse that outlives its sender; a host without a link
 * (EHOSTUNREACH).  Fixture rpulse: two namespaces on a bridge (insecure
 * links): a pulse to the other host (V_CRED_REMOTE, the pulser's uid,
 * counted in "pulses"), refused there (no V_OPT_PULSES, no such process:
 * counted in "pulses_dropped", the caller not told), a full remote
 * queue, and at most once under netem loss and duplication.
 *
 * The test process receives (its waits bounded by MS_WAIT, scaled) and
 * pulses through a second V process of its own; other pulsers and
 * clients are forked children driven through pipes (struct pk).
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include "vtest.h"
#include "vwire.h"
#include "vkids.h"
#include "kselftest_harness.h"

#define MS_WAIT		10000	/* ordinary bounded waits (scaled) */
#define MS_QUIET	500	/* nothing more came for this long: all came (scaled) */
#define PULSE_CODE	0x0b17
#define GONE_GEN	0xabcU	/* generation of ids no process of the host has */
#define OTHER_UID	1000	/* the ids a child pulser takes (PK_UID, PK_USERNS) */
#define OTHER_GID	1001
#define WARM		0xfeedULL

/* Pulse number n: code, n at 8, ~n at 24 (vkids.h mk()). */
static struct v_msg pmsg(uint64_t n)
{
	return mk(PULSE_CODE, n);
}

static int pulse(int fd, uint64_t dst, uint64_t n)
{
	struct v_msg m = pmsg(n);

	return v_pulse(fd, dst, &m);
}

/* Receive once something is queued, waiting up to ms (scaled): 0, -ETIME. */
static int rx_wait(int fd, struct v_receive *r, int ms)
{
	if (!(vt_wait_poll(fd, POLLIN, ms) & POLLIN))
		return -ETIME;
	return vt_rx_now(fd, r);
}

static int readable(int fd)
{
	return (vt_wait_poll(fd, POLLIN, 0) & POLLIN) != 0;
}

/* An id of this host that names no process. */
static uint64_t gone_id(uint32_t host, uint32_t index)
{
	return v_id_make(host, (GONE_GEN << V_ID_GEN_SHIFT) | index);
}

/* r is pulse n from sender with credentials c, and every other field zero. */
static void check_pulse(struct __test_metadata *_metadata, const struct v_receive *r,
			uint64_t sender, uint64_t n, const struct v_creds *c)
{
	struct v_receive e;

	ASSERT_EQ(V_KIND_PULSE, r->kind);
	ASSERT_EQ(sender, r->sender);
	ASSERT_EQ(n, v_msg_get64(&r->msg, 8));
	ASSERT_EQ(0, memcmp(c, &r->creds, sizeof(*c)))
		TH_LOG("creds uid %u gid %u pid %u host 0x%x flags 0x%x", r->creds.uid,
		       r->creds.gid, r->creds.pid, r->creds.host, r->creds.flags);
	memset(&e, 0, sizeof(e));
	e.sender = sender;
	e.creds = *c;
	e.msg = pmsg(n);
	e.kind = V_KIND_PULSE;
	/* group, forwarder, segment, copied, deadline, reserved: zero */
	ASSERT_EQ(0, memcmp(&e, r, sizeof(e)));
}

#define CHECK_PULSE(r, sender, n, c)	check_pulse(_metadata, r, sender, n, c)

/* The next thing fd receives (within MS_WAIT) is pulse n from sender. */
static void next_pulse(struct __test_metadata *_metadata, int fd, uint64_t sender, uint64_t n)
{
	struct v_msg m = pmsg(n);
	struct v_receive r;

	ASSERT_EQ(0, rx_wait(fd, &r, MS_WAIT));
	ASSERT_EQ(V_KIND_PULSE, r.kind);
	ASSERT_EQ(sender, r.sender);
	ASSERT_EQ(n, v_msg_get64(&r.msg, 8));
	ASSERT_TRUE(msg_eq(&m, &r.msg));
}

#define NEXT_PULSE(fd, sender, n)	next_pulse(_metadata, fd, sender, n)

/* In a child: close every descriptor but stdio and keep_a, keep_b. */
static void kid_only(int keep_a, int keep_b)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != keep_a && fd != keep_b)
			close(fd);
}

/* ------------------------------------------------------------------------ */
/* Children: a V process that pulses (or Sends) when told                   */

enum { PK_PLAIN, PK_UID, PK_USERNS, PK_PIDNS, PK_NONET };
enum { PK_PULSE, PK_SEND };

struct pk {
	pid_t pid;	/* the child forked */
	int cmd;	/* to it: struct pk_cmd; EOF: it exits */
	int rep;	/* from it: struct pk_hello, then a struct pk_res per command */
	uint64_t id;	/* its V process */
	pid_t vpid;	/* the pulser's pid in this pid namespace */
	pid_t inner;	/* ... and in its own */
};

struct pk_hello {
	uint64_t id;
	int32_t pid;
	int32_t inner;
};

struct pk_cmd {
	uint64_t dst;
	uint64_t first;		/* numbers first .. first + n - 1 (PK_SEND: first) */
	uint32_t n;
	uint32_t delay_us;	/* before the first */
	uint32_t op;
	uint32_t pad;
};

struct pk_res {
	int32_t ret;		/* 0, or the first failure (-errno) */
	uint32_t done;		/* pulses that returned 0 */
	uint64_t val;		/* PK_SEND: the reply's number */
};

/* This process's pid as /proc (of the initial pid namespace) names it. */
static pid_t proc_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

/* PK_USERNS: a user namespace whose root the parent maps to OTHER_UID/GID. */
static void pk_enter_userns(int cmd, int rep)
{
	char go = 0;

	CKEQ(0, unshare(CLONE_NEWUSER));
	CK(write(rep, "u", 1) == 1);
	CK(read(cmd, &go, 1) == 1 && go == 'm');
	CKEQ(0, setresgid(0, 0, 0));
	CKEQ(0, setresuid(0, 0, 0));
	CK(geteuid() == 0 && getegid() == 0);	/* root in there */
}

/* PK_PIDNS: go on as pid 1 of a new pid namespace; this child waits for it. */
static void pk_enter_pidns(void)
{
	pid_t p;
	int st;

	CKEQ(0, unshare(CLONE_NEWPID));
	p = fork();
	CK(p >= 0);
	if (p == 0) {
		CKEQ(0, prctl(PR_SET_PDEATHSIG, SIGKILL));
		return;
	}
	CK(waitpid(p, &st, 0) == p);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 2);
}

static void __attribute__((noreturn)) pk_main(int cmd, int rep, int mode, const char *ns)
{
	struct pk_hello h = { 0 };
	struct pk_res res;
	struct pk_cmd c;
	struct v_msg m;
	uint32_t i;
	int fd;

	if (ns)
		CKEQ(0, vt_ns_enter(ns));
	if (mode == PK_NONET)
		CKEQ(0, unshare(CLONE_NEWNET));
	if (mode == PK_UID) {
		CKEQ(0, setresgid(OTHER_GID, OTHER_GID, OTHER_GID));
		CKEQ(0, setresuid(OTHER_UID, OTHER_UID, OTHER_UID));
	}
	if (mode == PK_USERNS)
		pk_enter_userns(cmd, rep);
	if (mode == PK_PIDNS)
		pk_enter_pidns();
	fd = v_open();
	CK(fd >= 0);
	h.id = vt_id(fd);
	h.pid = proc_pid();
	h.inner = getpid();
	CK(write(rep, &h, sizeof(h)) == sizeof(h));
	while (read(cmd, &c, sizeof(c)) == sizeof(c)) {
		memset(&res, 0, sizeof(res));
		usleep(c.delay_us);
		if (c.op == PK_SEND) {
			m = pmsg(c.first);
			res.ret = vt_send_timed(fd, c.dst, &m, NULL, 0, MS_WAIT);
			res.val = v_msg_get64(&m, 8);
		}
		for (i = 0; c.op == PK_PULSE && i < c.n && !res.ret; i++) {
			res.ret = pulse(fd, c.dst, c.first + i);
			res.done += !res.ret;
		}
		CK(write(rep, &res, sizeof(res)) == sizeof(res));
	}
	_exit(0);
}

/* Map root of child pid's user namespace to OTHER_UID and OTHER_GID. */
static int pk_map(pid_t pid)
{
	char path[64], map[32];
	int i, fd, ok;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, i ? "gid_map" : "uid_map");
		snprintf(map, sizeof(map), "0 %d 1\n", i ? OTHER_GID : OTHER_UID);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		ok = fd >= 0 && write(fd, map, strlen(map)) == (ssize_t)strlen(map);
		if (fd >= 0)
			close(fd);
		if (!ok)
			return -1;
	}
	return 0;
}

/* Start a pulser (mode PK_*) whose V process is of host ns (NULL: ours). */
static int pk_start(struct pk *k, int mode, const char *ns)
{
	struct pk_hello h;
	int c[2], r[2];
	char u = 0;

	if (pipe(c))
		return -1;
	if (pipe(r)) {
		close(c[0]);
		close(c[1]);
		return -1;
	}
	k->pid = kid_fork(0);
	if (k->pid == 0) {
		kid_only(c[0], r[1]);
		pk_main(c[0], r[1], mode, ns);
	}
	close(c[0]);
	close(r[1]);
	k->cmd = c[1];
	k->rep = r[0];
	if (k->pid < 0)
		return -1;
	if (mode == PK_USERNS &&
	    (vt_read_full(k->rep, &u, 1, MS_WAIT) || u != 'u' || pk_map(k->pid) ||
	     write(k->cmd, "m", 1) != 1))
		return -1;
	if (vt_kid_read(k->rep, &h, sizeof(h), MS_WAIT) || !h.id)
		return -1;
	k->id = h.id;
	k->vpid = h.pid;
	k->inner = h.inner;
	return 0;
}

/* Tell k to do op (without waiting for it). */
static int pk_go(struct pk *k, uint32_t op, uint64_t dst, uint64_t first, uint32_t n,
		 uint32_t delay_us)
{
	struct pk_cmd c = { dst, first, n, delay_us, op, 0 };

	return write(k->cmd, &c, sizeof(c)) == sizeof(c) ? 0 : -1;
}

/* k's result: 0 or its first failure (-errno), -EPIPE when it did not answer. */
static int pk_wait(struct pk *k, uint32_t *done, uint64_t *val)
{
	struct pk_res res;

	if (vt_kid_read(k->rep, &res, sizeof(res), MS_WAIT))
		return -EPIPE;
	if (done)
		*done = res.done;
	if (val)
		*val = res.val;
	return res.ret;
}

/* k pulses numbers first .. first + n - 1 to dst, stopping at a failure. */
static int pk_pulse(struct pk *k, uint64_t dst, uint64_t first, uint32_t n, uint32_t *done)
{
	return pk_go(k, PK_PULSE, dst, first, n, 0) ? -EPIPE : pk_wait(k, done, NULL);
}

/* k exits (its cmd pipe closed): its exit status, -2 when it had to be killed. */
static int pk_end(struct pk *k)
{
	close(k->cmd);
	close(k->rep);
	return kid_wait_ms(k->pid, MS_WAIT);
}

/* ------------------------------------------------------------------------ */
/* A thread that pulses (one blocked in Receive: vtest.h's vt_rx_start())  */

struct pth {
	pthread_t th;
	int fd;
	uint64_t dst;
	uint64_t n;
	pid_t tid;
	int ret;
};

static void *pulse_thread(void *arg)
{
	struct pth *p = arg;

	p->tid = vt_gettid();
	p->ret = pulse(p->fd, p->dst, p->n);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* One host                                                                 */

FIXTURE(pulse) {
	pid_t owner;
	int fd;			/* the receiver: Receive waits at most MS_WAIT */
	uint64_t id;
	uint32_t host;
	int tx;			/* a second V process of ours: a pulser */
	uint64_t tx_id;
	int xfd;		/* one more, closed at the end */
};

FIXTURE_SETUP(pulse)
{
	signal(SIGPIPE, SIG_IGN);
	self->owner = getpid();
	self->xfd = -1;
	nkids = 0;
	self->fd = vt_vopen_timed(MS_WAIT);
	ASSERT_LE(0, self->fd);
	self->id = vt_id(self->fd);
	ASSERT_NE(0, self->id);
	self->host = v_id_host(self->id);
	self->tx = vt_vopen_timed(MS_WAIT);
	ASSERT_LE(0, self->tx);
	self->tx_id = vt_id(self->tx);
	ASSERT_NE(0, self->tx_id);
}

FIXTURE_TEARDOWN(pulse)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	if (self->xfd >= 0)
		close(self->xfd);
	if (self->tx >= 0)
		close(self->tx);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * A child pulser of mode pulses to fd (id): received with the uid and gid
 * given, its pid as this pid namespace sees it, this host's part.
 */
static void pulse_from(struct __test_metadata *_metadata, int fd, uint64_t id, int mode,
		       uint32_t uid, uint32_t gid)
{
	struct v_receive r;
	struct v_creds c;
	struct pk k;

	ASSERT_EQ(0, v_set_opts(fd, V_OPT_PULSES));
	ASSERT_EQ(0, pk_start(&k, mode, NULL));
	if (mode == PK_PIDNS) {		/* pid 1 there, another pid here */
		ASSERT_EQ(1, k.inner);
		ASSERT_NE(k.pid, k.vpid);
	} else {
		ASSERT_EQ(k.pid, k.vpid);
	}
	ASSERT_EQ(0, pk_pulse(&k, id, 1, 1, NULL));	/* nobody in Receive: at once */
	ASSERT_EQ(0, rx_wait(fd, &r, MS_WAIT));
	c = (struct v_creds){ uid, gid, k.vpid, v_id_host(id), 0, 0 };
	CHECK_PULSE(&r, k.id, 1, &c);
	ASSERT_EQ(-ENOENT, v_reply(fd, k.id, &r.msg));
	ASSERT_EQ(-EAGAIN, vt_rx_now(fd, &r));
	ASSERT_EQ(0, pk_end(&k));
}

/*
 * A pulse from another process returns at once (nobody Receives yet); it
 * is received with the pulser's id and credentials and nothing else, and
 * cannot be replied to.  One from a second thread carries the thread
 * group's pid; one to oneself works too.
 */
TEST_F(pulse, delivered_with_creds_no_reply)
{
	struct pth p = { .fd = self->tx, .dst = self->id, .n = 2 };
	struct v_receive r;
	struct v_creds c;

	pulse_from(_metadata, self->fd, self->id, PK_PLAIN, geteuid(), getegid());

	ASSERT_EQ(0, pthread_create(&p.th, NULL, pulse_thread, &p));
	ASSERT_EQ(0, pthread_join(p.th, NULL));
	ASSERT_EQ(0, p.ret);
	ASSERT_NE(getpid(), p.tid);
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	c = (struct v_creds){ geteuid(), getegid(), getpid(), self->host, 0, 0 };
	CHECK_PULSE(&r, self->tx_id, 2, &c);
	ASSERT_EQ(-ENOENT, v_reply(self->fd, self->tx_id, &r.msg));

	ASSERT_EQ(0, pulse(self->fd, self->id, 3));
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	CHECK_PULSE(&r, self->id, 3, &c);
	ASSERT_EQ(-ENOENT, v_reply(self->fd, self->id, &r.msg));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/* Refused, no such process, not a process, bad flags, bad pointer: nothing queued. */
TEST_F(pulse, pulse_errors)
{
	struct v_pulse p;
	struct v_receive r;
	uint64_t gid, dead;
	void *bad;
	int fd;

	ASSERT_EQ(-ECONNREFUSED, pulse(self->tx, self->id, 1));	/* options all off */
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(-ESRCH, pulse(self->tx, gone_id(self->host, 1), 1));
	fd = v_open();
	ASSERT_LE(0, fd);
	dead = vt_id(fd);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(-ESRCH, pulse(self->tx, dead, 1));

	ASSERT_EQ(0, v_group_create(self->tx, &gid));
	ASSERT_EQ(0, v_group_join(self->fd, gid));
	ASSERT_EQ(-EINVAL, pulse(self->tx, 0, 1));
	ASSERT_EQ(-EINVAL, pulse(self->tx, gid, 1));
	ASSERT_EQ(-EINVAL, pulse(self->tx, V_GROUP_WELLKNOWN(1), 1));
	ASSERT_EQ(-EINVAL, pulse(self->tx, V_GROUP_TIME_SERVERS, 1));
	ASSERT_EQ(-EINVAL, pulse(self->tx, self->id | V_ID_GROUP, 1));
	ASSERT_EQ(-EINVAL, pulse(self->tx, self->id | V_ID_WELLKNOWN, 1));

	memset(&p, 0, sizeof(p));
	p.dst = self->id;
	p.msg = pmsg(7);
	p.flags = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->tx, V_IOC_PULSE, &p));
	p.flags = 0x80000000U;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->tx, V_IOC_PULSE, &p));
	p.flags = 0;
	p.reserved = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->tx, V_IOC_PULSE, &p));

	bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, munmap(bad, 4096));
	ASSERT_EQ(-EFAULT, vt_ioctl(self->tx, V_IOC_PULSE, bad));
	ASSERT_EQ(0, readable(self->fd));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));	/* none of those queued anything */

	p.reserved = 0;
	ASSERT_EQ(0, vt_ioctl(self->tx, V_IOC_PULSE, &p));
	NEXT_PULSE(self->fd, self->tx_id, 7);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/* V_IOC_SET_OPTS: unknown bits, reserved, bad pointer: EINVAL / EFAULT, no change. */
TEST_F(pulse, set_opts_errors)
{
	static const uint32_t bad_flags[] = { 0x80, V_OPTS + 1, V_OPT_PULSES | 0x8, 0x80000000U };
	struct v_opts o;
	unsigned int i;
	void *bad;

	bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, munmap(bad, 4096));
	memset(&o, 0, sizeof(o));
	for (i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		o.flags = bad_flags[i];
		ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_SET_OPTS, &o)) TH_LOG("0x%x", o.flags);
		ASSERT_EQ(-EINVAL, v_set_opts(self->fd, bad_flags[i]));
	}
	o.flags = V_OPT_PULSES;
	o.reserved = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_SET_OPTS, &o));
	ASSERT_EQ(-EFAULT, vt_ioctl(self->fd, V_IOC_SET_OPTS, bad));
	ASSERT_EQ(-ECONNREFUSED, pulse(self->tx, self->id, 1));	/* still off */

	/* On, then failed attempts to turn it off: still on. */
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	o.flags = 0;
	o.reserved = 1;
	ASSERT_EQ(-EINVAL, vt_ioctl(self->fd, V_IOC_SET_OPTS, &o));
	ASSERT_EQ(-EINVAL, v_set_opts(self->fd, 0x80));
	ASSERT_EQ(-EFAULT, vt_ioctl(self->fd, V_IOC_SET_OPTS, bad));
	ASSERT_EQ(0, pulse(self->tx, self->id, 2));
	NEXT_PULSE(self->fd, self->tx_id, 2);
}

/*
 * V_PULSES_MAX pulses wait, from two senders together; the next is
 * EAGAIN (queued nowhere); one Receive makes room for one.  Oldest first.
 */
TEST_F(pulse, queue_bound_eagain)
{
	const uint32_t half = V_PULSES_MAX / 2;
	struct v_receive r;
	uint32_t i, done = 0;
	struct pk k;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(0, pk_start(&k, PK_PLAIN, NULL));
	for (i = 0; i < half; i++)
		ASSERT_EQ(0, pulse(self->tx, self->id, i)) TH_LOG("pulse %u", i);
	ASSERT_EQ(0, pk_pulse(&k, self->id, 100, V_PULSES_MAX - half, &done));
	ASSERT_EQ(V_PULSES_MAX - half, done);
	ASSERT_EQ(-EAGAIN, pulse(self->tx, self->id, half));
	ASSERT_EQ(-EAGAIN, pk_pulse(&k, self->id, 200, 1, &done));
	ASSERT_EQ(0, done);

	NEXT_PULSE(self->fd, self->tx_id, 0);
	ASSERT_EQ(-EAGAIN, pk_pulse(&k, self->id, 100 + V_PULSES_MAX - half, 2, &done));
	ASSERT_EQ(1, done);						/* one fitted */
	ASSERT_EQ(-EAGAIN, pulse(self->tx, self->id, half));

	for (i = 1; i < half; i++)
		NEXT_PULSE(self->fd, self->tx_id, i);
	for (i = 0; i <= V_PULSES_MAX - half; i++)
		NEXT_PULSE(self->fd, k.id, 100 + i);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
	ASSERT_EQ(0, pulse(self->tx, self->id, 300));			/* room again */
	NEXT_PULSE(self->fd, self->tx_id, 300);
	ASSERT_EQ(0, pk_end(&k));
}

/* r is the death notice about id with cookie. */
static void check_death(struct __test_metadata *_metadata, const struct v_receive *r,
			uint64_t id, uint64_t cookie)
{
	ASSERT_EQ(V_KIND_NOTICE, r->kind);
	ASSERT_EQ(id, r->sender);
	ASSERT_EQ(V_NOTICE_DEATH, v_msg_code(&r->msg));
	ASSERT_EQ(cookie, v_msg_get64(&r->msg, 24));
}

/*
 * A message queued first, then two pulses, then death notices (a watched
 * process exits; a watch of a gone id): notices, pulses oldest first,
 * then the message, which is replied as usual.
 */
TEST_F(pulse, order_notices_pulses_messages)
{
	struct v_msg m = pmsg(51);
	struct v_receive r;
	struct pk c, t;
	uint64_t val = 0;
	int i, seen = 0;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(0, pk_start(&c, PK_PLAIN, NULL));
	ASSERT_EQ(0, pk_start(&t, PK_PLAIN, NULL));
	self->xfd = vt_vopen_timed(MS_WAIT);
	ASSERT_LE(0, self->xfd);
	ASSERT_EQ(0, v_watch(self->fd, t.id, 5));
	ASSERT_EQ(0, v_watch(self->xfd, t.id, 6));	/* tells when t's end fired */

	ASSERT_EQ(0, pk_go(&c, PK_SEND, self->id, 50, 0, 0));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);	/* queued */
	ASSERT_EQ(0, pulse(self->tx, self->id, 1));
	ASSERT_EQ(0, pulse(self->tx, self->id, 2));
	ASSERT_EQ(0, pk_end(&t));
	ASSERT_NE(0, vt_wait_poll(self->xfd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, v_watch(self->fd, gone_id(self->host, 1), 7));	/* fires at once */

	for (i = 0; i < 2; i++) {	/* the two notices (the order among them: suite notify) */
		ASSERT_EQ(0, vt_rx(self->fd, &r));
		check_death(_metadata, &r, r.sender == t.id ? t.id : gone_id(self->host, 1),
			    r.sender == t.id ? 5 : 7);
		seen |= r.sender == t.id ? 1 : 2;
	}
	ASSERT_EQ(3, seen);
	NEXT_PULSE(self->fd, self->tx_id, 1);
	NEXT_PULSE(self->fd, self->tx_id, 2);
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(V_KIND_MESSAGE, r.kind);
	ASSERT_EQ(c.id, r.sender);
	ASSERT_EQ(50, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(0, v_reply(self->fd, c.id, &m));
	ASSERT_EQ(0, pk_wait(&c, NULL, &val));
	ASSERT_EQ(51, val);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
	ASSERT_EQ(0, pk_end(&c));
}

/* A thread blocked in Receive is woken by a pulse. */
TEST_F(pulse, wakes_blocked_receiver)
{
	struct vt_rxth x = { .fd = self->fd };
	struct v_creds c;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(0, vt_rx_start(&x, MS_WAIT * vt_scale(), MS_WAIT));
	ASSERT_EQ(0, pulse(self->tx, self->id, 9));
	ASSERT_EQ(0, pthread_join(x.th, NULL));
	ASSERT_EQ(0, x.ret);
	c = (struct v_creds){ geteuid(), getegid(), getpid(), self->host, 0, 0 };
	CHECK_PULSE(&x.r, self->tx_id, 9, &c);
}

/* poll(): POLLIN with a pulse (nothing else) queued, not once it is taken. */
TEST_F(pulse, poll_sees_pulse_alone)
{
	struct v_receive r;
	struct pk k;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(0, readable(self->fd));
	ASSERT_EQ(0, pulse(self->tx, self->id, 1));
	ASSERT_EQ(1, readable(self->fd));
	NEXT_PULSE(self->fd, self->tx_id, 1);
	ASSERT_EQ(0, readable(self->fd));

	/* A poll() already waiting when the pulse comes. */
	ASSERT_EQ(0, pk_start(&k, PK_PLAIN, NULL));
	ASSERT_EQ(0, pk_go(&k, PK_PULSE, self->id, 2, 1, 200000 * vt_scale()));
	ASSERT_NE(0, vt_wait_poll(self->fd, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, pk_wait(&k, NULL, NULL));
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	ASSERT_EQ(V_KIND_PULSE, r.kind);
	ASSERT_EQ(k.id, r.sender);
	ASSERT_EQ(0, readable(self->fd));
	ASSERT_EQ(0, pk_end(&k));
}

/*
 * Turned off: new pulses refused, those queued still delivered.  Options
 * replace the last setting: others without V_OPT_PULSES refuse too.
 */
TEST_F(pulse, opts_off_refuses_keeps_queued)
{
	struct v_receive r;
	int i;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(0, pulse(self->tx, self->id, i));
	ASSERT_EQ(0, v_set_opts(self->fd, 0));
	ASSERT_EQ(-ECONNREFUSED, pulse(self->tx, self->id, 4));
	for (i = 1; i <= 3; i++)
		NEXT_PULSE(self->fd, self->tx_id, i);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPTS));
	ASSERT_EQ(0, pulse(self->tx, self->id, 5));
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_INHERIT | V_OPT_DEADLOCK));
	ASSERT_EQ(-ECONNREFUSED, pulse(self->tx, self->id, 6));
	NEXT_PULSE(self->fd, self->tx_id, 5);
	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(0, pulse(self->tx, self->id, 7));
	NEXT_PULSE(self->fd, self->tx_id, 7);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/* A Receive that cannot write its result back (EFAULT) leaves the pulse queued. */
TEST_F(pulse, receive_efault_loses_nothing)
{
	struct v_receive *ro, r;
	struct v_creds c;
	int fl, ret;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(0, pulse(self->tx, self->id, 1));
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0, sizeof(*ro));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	fl = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl | O_NONBLOCK));
	ret = vt_ioctl(self->fd, V_IOC_RECEIVE, ro);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fl));
	ASSERT_EQ(-EFAULT, ret);
	ASSERT_EQ(0, munmap(ro, 4096));
	ASSERT_EQ(1, readable(self->fd));
	ASSERT_EQ(0, vt_rx_now(self->fd, &r));
	c = (struct v_creds){ geteuid(), getegid(), getpid(), self->host, 0, 0 };
	CHECK_PULSE(&r, self->tx_id, 1, &c);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/* A receiver closed with a full queue of pulses: no hang; its id is gone. */
TEST_F(pulse, close_receiver_with_queued_pulses)
{
	const uint32_t half = V_PULSES_MAX / 2;
	uint32_t i, done = 0;
	uint64_t rid;
	int64_t t0;
	struct pk k;

	self->xfd = v_open();
	ASSERT_LE(0, self->xfd);
	rid = vt_id(self->xfd);
	ASSERT_EQ(0, v_set_opts(self->xfd, V_OPT_PULSES));
	ASSERT_EQ(0, pk_start(&k, PK_PLAIN, NULL));
	for (i = 0; i < half; i++)
		ASSERT_EQ(0, pulse(self->tx, rid, i));
	ASSERT_EQ(0, pk_pulse(&k, rid, 100, V_PULSES_MAX - half, &done));
	ASSERT_EQ(V_PULSES_MAX - half, done);
	ASSERT_EQ(-EAGAIN, pulse(self->tx, rid, 0));
	ASSERT_EQ(0, pk_end(&k));		/* one pulser is gone already */
	t0 = vt_now_ms();
	ASSERT_EQ(0, close(self->xfd));
	self->xfd = -1;
	ASSERT_GT(2000 * vt_scale(), vt_now_ms() - t0);
	ASSERT_EQ(-ESRCH, pulse(self->tx, rid, 0));
}

/* A pulse queued by a process that then exits is still delivered. */
TEST_F(pulse, pulse_outlives_its_sender)
{
	struct v_receive r;
	struct pk k;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(0, pk_start(&k, PK_PLAIN, NULL));
	ASSERT_EQ(0, pk_pulse(&k, self->id, 4, 1, NULL));
	ASSERT_EQ(0, pk_end(&k));	/* reaped: its pid may be another's by now */
	ASSERT_EQ(0, vt_rx(self->fd, &r));
	ASSERT_EQ(V_KIND_PULSE, r.kind);
	ASSERT_EQ(k.id, r.sender);
	ASSERT_EQ(4, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(0, r.creds.pid);
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->fd, &r));
}

/*
 * Pulses before messages, but a full queue of them does not starve a
 * Send: its message comes within the first 9 Receives (8 pulses in a row
 * at most while it waits); the rest of the pulses follow, in order.
 */
TEST_F(pulse, pulses_do_not_starve_messages)
{
	struct v_msg m = pmsg(61);
	struct v_receive r;
	uint64_t val = 0;
	int i, at = -1, n = 0;
	struct pk c;

	ASSERT_EQ(0, v_set_opts(self->fd, V_OPT_PULSES));
	ASSERT_EQ(0, pk_start(&c, PK_PLAIN, NULL));
	for (i = 0; i < V_PULSES_MAX; i++)
		ASSERT_EQ(0, pulse(self->tx, self->id, i));
	ASSERT_EQ(0, pk_go(&c, PK_SEND, self->id, 60, 0, 0));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	for (i = 0; i <= V_PULSES_MAX; i++) {
		ASSERT_EQ(0, vt_rx(self->fd, &r));
		if (r.kind == V_KIND_MESSAGE) {
			ASSERT_EQ(c.id, r.sender);
			ASSERT_EQ(-1, at);
			at = i;
			ASSERT_EQ(0, v_reply(self->fd, c.id, &m));
			continue;
		}
		ASSERT_EQ(V_KIND_PULSE, r.kind);
		ASSERT_EQ(n, v_msg_get64(&r.msg, 8));	/* in order */
		n++;
	}
	ASSERT_LE(0, at);
	ASSERT_GE(8, at);
	ASSERT_EQ(V_PULSES_MAX, n);
	ASSERT_EQ(0, pk_wait(&c, NULL, &val));
	ASSERT_EQ(61, val);
	ASSERT_EQ(0, pk_end(&c));
}

TEST_F(pulse, creds_other_uid)
{
	pulse_from(_metadata, self->fd, self->id, PK_UID, OTHER_UID, OTHER_GID);
}

/* Root of another user namespace, mapped to OTHER_UID/GID: seen with ours. */
TEST_F(pulse, creds_other_user_namespace)
{
	if (!vt_userns_supported())
		SKIP(return, "this kernel has no user namespaces (CONFIG_USER_NS)");
	pulse_from(_metadata, self->fd, self->id, PK_USERNS, OTHER_UID, OTHER_GID);
}

/* Pid 1 of a child pid namespace: seen with its pid in ours. */
TEST_F(pulse, creds_pid_as_receiver_sees_it)
{
	pulse_from(_metadata, self->fd, self->id, PK_PIDNS, geteuid(), getegid());
}

/* A host with no link (a new network namespace): another host part is unreachable. */
TEST_F(pulse, remote_needs_a_link)
{
	uint64_t dst;
	uint32_t hp;
	struct pk k;

	ASSERT_EQ(0, pk_start(&k, PK_NONET, NULL));
	hp = v_id_host(k.id);
	dst = v_id_make(hp % V_ID_HOST_MASK + 1, v_id_local(self->id));
	ASSERT_NE(hp, v_id_host(dst));
	ASSERT_EQ(-EHOSTUNREACH, pk_pulse(&k, dst, 1, 1, NULL));
	ASSERT_EQ(-EINVAL, pk_pulse(&k, dst | V_ID_GROUP, 1, 1, NULL));	/* never a group */
	ASSERT_EQ(-ECONNREFUSED, pk_pulse(&k, k.id, 1, 1, NULL));	/* its own host: local */
	ASSERT_EQ(0, pk_end(&k));
}

/* ------------------------------------------------------------------------ */
/* Across hosts                                                             */

#define RNH	2
#define RVETH	"vkple"
static const struct vt_topo ptopo = { "vkpl%d", "vkplh%d", RVETH, "vkplbr", RNH, .netem = 1 };

static const char *rns(int h)
{
	return vt_topo_ns(&ptopo, h);
}

static long long rstat(int h, const char *name)
{
	return vt_stat(rns(h), name);
}

/* netem on host h's veth (its egress). */
static int netem(int h, const char *spec)
{
	return vt_sh("ip netns exec %s tc qdisc add dev " RVETH " root netem %s", rns(h), spec);
}

static int netem_del(int h)
{
	return vt_sh("ip netns exec %s tc qdisc del dev " RVETH " root", rns(h));
}

FIXTURE(rpulse) {
	pid_t owner;
	int ready;
	uint32_t hp[RNH];
	int tx;			/* the pulser: a V process of host 0 */
	int rx;			/* the receiver: one of host 1, taking pulses */
	int xrx;		/* another of host 1 */
	uint64_t tx_id, rx_id;
};

FIXTURE_SETUP(rpulse)
{
	signal(SIGPIPE, SIG_IGN);
	self->owner = getpid();
	self->tx = self->rx = self->xrx = -1;
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	if (vt_topo_exists(&ptopo))
		vt_topo_destroy(&ptopo);
	self->ready = 1;
	ASSERT_EQ(0, vt_topo_create(&ptopo)) TH_LOG("cannot build the hosts");
	self->tx = vt_ns_vopen(rns(0), 0);
	ASSERT_LE(0, self->tx);
	self->tx_id = vt_id(self->tx);
	self->rx = vt_ns_vopen(rns(1), 0);
	ASSERT_LE(0, self->rx);
	self->rx_id = vt_id(self->rx);
	self->hp[0] = v_id_host(self->tx_id);
	self->hp[1] = v_id_host(self->rx_id);
	ASSERT_NE(self->hp[0], self->hp[1]);
	ASSERT_EQ(0, v_set_opts(self->rx, V_OPT_PULSES));
}

FIXTURE_TEARDOWN(rpulse)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	if (self->xrx >= 0)
		close(self->xrx);
	if (self->tx >= 0)
		close(self->tx);
	vt_topo_teardown(&ptopo, self->rx, self->ready);
	vt_root_close();
}

/* One pulse from host 0 to host 1 received: the path is up, addresses learned. */
static void warm(struct __test_metadata *_metadata, int tx, int rfd, uint64_t rx_id)
{
	struct v_receive r;

	ASSERT_EQ(0, pulse(tx, rx_id, WARM));
	ASSERT_EQ(0, rx_wait(rfd, &r, MS_WAIT));
	ASSERT_EQ(V_KIND_PULSE, r.kind);
	ASSERT_EQ(WARM, v_msg_get64(&r.msg, 8));
}

/*
 * Pulses from host 0 (a child of another uid, and root) reach host 1:
 * V_CRED_REMOTE, the uid and gid the pulser had, pid 0, its host part;
 * counted in host 1's "pulses".
 */
TEST_F(rpulse, remote_pulse_delivered)
{
	struct v_receive r;
	struct v_creds c;
	long long p0;
	struct pk k;

	p0 = rstat(1, "pulses");
	ASSERT_LE(0, p0);
	ASSERT_EQ(0, pk_start(&k, PK_UID, rns(0)));
	ASSERT_EQ(self->hp[0], v_id_host(k.id));
	ASSERT_EQ(0, pk_pulse(&k, self->rx_id, 1, 1, NULL));
	ASSERT_EQ(0, rx_wait(self->rx, &r, MS_WAIT));
	c = (struct v_creds){ OTHER_UID, OTHER_GID, 0, self->hp[0], V_CRED_REMOTE, 0 };
	CHECK_PULSE(&r, k.id, 1, &c);
	ASSERT_EQ(p0 + 1, rstat(1, "pulses"));
	ASSERT_EQ(-ENOENT, v_reply(self->rx, k.id, &r.msg));

	ASSERT_EQ(0, pulse(self->tx, self->rx_id, 2));
	ASSERT_EQ(0, rx_wait(self->rx, &r, MS_WAIT));
	c.uid = c.gid = 0;	/* root's */
	CHECK_PULSE(&r, self->tx_id, 2, &c);
	ASSERT_EQ(p0 + 2, rstat(1, "pulses"));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->rx, &r));
	ASSERT_EQ(0, pk_end(&k));
}

/*
 * Refused on host 1 (no V_OPT_PULSES; no such process; a process closed):
 * the pulse call succeeds, nothing is delivered, "pulses_dropped" counts it.
 */
TEST_F(rpulse, remote_refused_dropped_silently)
{
	const char *ns1 = rns(1);
	long long d0, p0;
	struct v_receive r;
	uint64_t xid, dead;
	int fd;

	warm(_metadata, self->tx, self->rx, self->rx_id);
	self->xrx = vt_ns_vopen(ns1, 0);
	ASSERT_LE(0, self->xrx);
	xid = vt_id(self->xrx);
	fd = vt_ns_vopen(ns1, 0);
	ASSERT_LE(0, fd);
	dead = vt_id(fd);
	ASSERT_EQ(0, close(fd));
	d0 = rstat(1, "pulses_dropped");
	p0 = rstat(1, "pulses");
	ASSERT_LE(0, d0);
	ASSERT_LE(0, p0);

	ASSERT_EQ(0, pulse(self->tx, xid, 1));
	ASSERT_EQ(d0 + 1, vt_stat_wait_above(ns1, "pulses_dropped", d0, MS_WAIT, 20));
	ASSERT_EQ(0, pulse(self->tx, gone_id(self->hp[1], 1), 2));
	ASSERT_EQ(d0 + 2, vt_stat_wait_above(ns1, "pulses_dropped", d0 + 1, MS_WAIT, 20));
	ASSERT_EQ(0, pulse(self->tx, dead, 3));
	ASSERT_EQ(d0 + 3, vt_stat_wait_above(ns1, "pulses_dropped", d0 + 2, MS_WAIT, 20));
	ASSERT_EQ(p0, rstat(1, "pulses"));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->xrx, &r));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->rx, &r));

	/* Taking pulses now: the refused one was not kept, a new one comes. */
	ASSERT_EQ(0, v_set_opts(self->xrx, V_OPT_PULSES));
	ASSERT_EQ(-EAGAIN, vt_rx_now(self->xrx, &r));
	ASSERT_EQ(0, pulse(self->tx, xid, 4));
	NEXT_PULSE(self->xrx, self->tx_id, 4);
	ASSERT_EQ(p0 + 1, rstat(1, "pulses"));
	ASSERT_EQ(d0 + 3, rstat(1, "pulses_dropped"));
}

/*
 * V_PULSES_MAX + 10 pulses to a remote receiver that does not Receive:
 * every call succeeds, V_PULSES_MAX wait there, 10 are dropped.
 */
TEST_F(rpulse, remote_queue_full_drops_rest)
{
	const int n = V_PULSES_MAX + 10;
	uint8_t seen[V_PULSES_MAX + 10] = { 0 };
	struct v_receive r;
	long long d0, p0;
	uint64_t num;
	int i, got = 0, ret;

	warm(_metadata, self->tx, self->rx, self->rx_id);
	d0 = rstat(1, "pulses_dropped");
	p0 = rstat(1, "pulses");
	ASSERT_LE(0, d0);
	ASSERT_LE(0, p0);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, pulse(self->tx, self->rx_id, i)) TH_LOG("pulse %d", i);
	ASSERT_EQ(d0 + 10, vt_stat_wait_above(rns(1), "pulses_dropped", d0 + 9, MS_WAIT, 20));
	while ((ret = vt_rx_now(self->rx, &r)) == 0) {
		num = v_msg_get64(&r.msg, 8);
		ASSERT_EQ(V_KIND_PULSE, r.kind);
		ASSERT_EQ(self->tx_id, r.sender);
		ASSERT_GT((uint64_t)n, num);
		ASSERT_EQ(0, seen[num]) TH_LOG("pulse %llu twice", (unsigned long long)num);
		seen[num] = 1;
		got++;
	}
	ASSERT_EQ(-EAGAIN, ret);
	ASSERT_EQ(V_PULSES_MAX, got);
	ASSERT_EQ(p0 + V_PULSES_MAX, rstat(1, "pulses"));
	ASSERT_EQ(d0 + 10, rstat(1, "pulses_dropped"));
}

/* What a stream of pulses brought: receipts per number, and the wrong ones. */
struct tally {
	int n;			/* numbers 0 .. n - 1 sent */
	int got;		/* pulses received */
	int bad;		/* not ours, or out of range */
	int fail;		/* pulse calls that failed */
	uint8_t seen[256];	/* receipts of each number */
};

/* Take every pulse queued at rfd now into t. */
static int drain(int rfd, uint64_t tx_id, struct tally *t)
{
	struct v_receive r;
	struct v_msg m;
	uint64_t num;
	int k = 0;

	while (vt_rx_now(rfd, &r) == 0) {
		num = v_msg_get64(&r.msg, 8);
		m = pmsg(num);
		k++;
		if (r.kind != V_KIND_PULSE || r.sender != tx_id || num >= (uint64_t)t->n ||
		    !msg_eq(&m, &r.msg)) {
			t->bad++;
			continue;
		}
		if (t->seen[num] < 255)
			t->seen[num]++;
	}
	t->got += k;
	return k;
}

/*
 * tx pulses numbers 0 .. t->n - 1 to rx_id about 1 ms apart, rfd (rx_id's
 * V process) taking them as they come (its queue never the limit), then
 * until nothing more has come for MS_QUIET (at most MS_WAIT).
 */
static void stream(int tx, int rfd, uint64_t tx_id, uint64_t rx_id, struct tally *t)
{
	int64_t end = vt_now_ms() + (int64_t)MS_WAIT * vt_scale(), quiet;
	int i;

	for (i = 0; i < t->n; i++) {
		if (pulse(tx, rx_id, i))
			t->fail++;
		usleep(1000);
		drain(rfd, tx_id, t);
	}
	quiet = vt_now_ms() + (int64_t)MS_QUIET * vt_scale();
	while (vt_now_ms() < quiet && vt_now_ms() < end)
		if ((vt_wait_poll(rfd, POLLIN, 50) & POLLIN) && drain(rfd, tx_id, t))
			quiet = vt_now_ms() + (int64_t)MS_QUIET * vt_scale();
}

/* Numbers received once, and more than once. */
static void tally_count(const struct tally *t, int *once, int *twice)
{
	int i;

	*once = *twice = 0;
	for (i = 0; i < t->n; i++) {
		*once += t->seen[i] == 1;
		*twice += t->seen[i] > 1;
	}
}

/* Warm the path; the receiving host's counters before a stream of n. */
static void stream_start(struct __test_metadata *_metadata, FIXTURE_DATA(rpulse) *self,
			 struct tally *t, int n, long long *d0, long long *p0)
{
	warm(_metadata, self->tx, self->rx, self->rx_id);
	*d0 = rstat(1, "pulses_dropped");
	*p0 = rstat(1, "pulses");
	ASSERT_LE(0, *d0);
	ASSERT_LE(0, *p0);
	memset(t, 0, sizeof(*t));
	t->n = n;
}

/* netem loss 30% on host 0: some pulses lost, none delivered twice. */
TEST_F_TIMEOUT(rpulse, at_most_once_under_loss, 90)
{
	static struct tally t;
	int once, twice;
	long long d0, p0;

	stream_start(_metadata, self, &t, 200, &d0, &p0);
	ASSERT_EQ(0, netem(0, "loss 30%"));
	stream(self->tx, self->rx, self->tx_id, self->rx_id, &t);
	ASSERT_EQ(0, netem_del(0));
	tally_count(&t, &once, &twice);
	TH_LOG("loss 30%%: %d of %d pulses arrived", t.got, t.n);
	ASSERT_EQ(0, t.fail);
	ASSERT_EQ(0, t.bad);
	ASSERT_EQ(0, twice);
	ASSERT_EQ(once, t.got);
	ASSERT_LT(0, t.got);
	ASSERT_GT(t.n, t.got);
	ASSERT_EQ(p0 + t.got, rstat(1, "pulses"));
	ASSERT_EQ(d0, rstat(1, "pulses_dropped"));	/* lost on the link: never seen */
}

/*
 * netem duplicating (and reordering) every frame of host 0: each pulse
 * delivered exactly once, each duplicate dropped and counted.
 */
TEST_F_TIMEOUT(rpulse, at_most_once_under_duplication, 90)
{
	static struct tally t;
	int once, twice;
	long long d0, p0;

	stream_start(_metadata, self, &t, 50, &d0, &p0);
	ASSERT_EQ(0, netem(0, "delay 1ms reorder 25% duplicate 100%"));
	stream(self->tx, self->rx, self->tx_id, self->rx_id, &t);
	ASSERT_EQ(d0 + t.n,
		  vt_stat_wait_above(rns(1), "pulses_dropped", d0 + t.n - 1, MS_WAIT, 20));
	drain(self->rx, self->tx_id, &t);
	ASSERT_EQ(0, netem_del(0));
	tally_count(&t, &once, &twice);
	TH_LOG("duplicate 100%%: %d received, %d numbers once", t.got, once);
	ASSERT_EQ(0, t.fail);
	ASSERT_EQ(0, t.bad);
	ASSERT_EQ(0, twice);
	ASSERT_EQ(t.n, once);
	ASSERT_EQ(t.n, t.got);
	ASSERT_EQ(p0 + t.n, rstat(1, "pulses"));
	ASSERT_EQ(d0 + t.n, rstat(1, "pulses_dropped"));
}

VT_HARNESS_MAIN
