// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "net": V IPC between V hosts (network namespaces) over raw
 * Ethernet, as /work/notes/net-semantics.md describes it.
 *
 * Topology, built afresh for every test by the fixture: three network
 * namespaces vkn0, vkn1, vkn2 (three V hosts), each with a veth "vkne"
 * whose peer vknhN sits in the bridge vknbr of the initial namespace; every
 * vkne is attached to V with `vctl link add`.  The test process opens V
 * sockets in a namespace by entering it with setns() for the duration of
 * the socket() call; client children enter their namespace before
 * v_open().  Host 0 is usually the server host (self->srv, an O_NONBLOCK
 * socket there), hosts 1 and 2 the client hosts.
 *
 * Children never use ASSERT: they report through pipes or print a
 * "# child ..." line and exit non-zero; every child gets an alarm() and
 * the fixture teardown kills and reaps them, then deletes the namespaces
 * and the bridge (so the runner's rmmod works).  VK_NET_TIMING=1 in the
 * environment logs how long each setup, test and teardown took.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <net/if.h>
#include "vtest.h"
#include "vwire.h"
#define VT_KIDS_MAX	64
#define VT_KID_ALARM_S	60	/* network tests wait longer */
#include "vkids.h"
#include "kselftest_harness.h"

#define MS_WAIT		10000	/* ordinary bounded waits (scaled) */
#define REQ_CODE	0x0123
#define NH		3
#define NS_FMT		"vkn%d"		/* namespace names */
#define VETH_NS		"vkne"		/* the veth inside each namespace */
#define VETH_BR_FMT	"vknh%d"	/* its peer, in the bridge */
#define BRIDGE		"vknbr"

/* Request payload bytes a frame of MTU mtu carries (uapi wire structs). */
#define PIGGY_MAX(mtu)	((mtu) - (int)sizeof(struct v_wire_hdr) - \
			 (int)sizeof(struct v_wire_request))

/* ------------------------------------------------------------------------ */
/* Shell commands, vctl, namespaces                                          */

static const struct vt_topo topo = { NS_FMT, VETH_BR_FMT, VETH_NS, BRIDGE, NH, .netem = 1 };

/* The name of host h's namespace. */
static const char *hname(int h)
{
	return vt_topo_ns(&topo, h);
}

/* Run `vctl ARGS` inside host h, quietly: its exit status. */
#define vctl(h, ...)	vt_topo_vctl(&topo, (h), __VA_ARGS__)

/* Output of `vctl ARGS` inside host h into buf; its exit status. */
static int vctl_out(int h, const char *args, char *buf, size_t len)
{
	return vt_vctl_run(hname(h), args, buf, len, 0);
}

/* A counter of host h (`vctl -j stats`), or -1. */
#define NET_KEY	"6e65740000000000000000000000000000000000000000000000000000000001"

static long long nstat(int h, const char *name)
{
	return vt_stat(hname(h), name);
}

/* Wait (up to ms, scaled) until counter name of host h is > than; its value. */
static long long nstat_wait_above(int h, const char *name, long long than, int ms)
{
	return vt_stat_wait_above(hname(h), name, than, ms, 50);
}

/* Enter host h's namespace (this thread); 0 or -errno. */
static int ns_enter(int h)
{
	return vt_ns_enter(hname(h));
}

/* A V process (socket) of host h, opened from this process. */
static int ns_vopen(int h, int nonblock)
{
	return vt_ns_vopen(hname(h), nonblock);
}

/* MTU of every veth end and the bridge. */
static int topo_mtu(int mtu)
{
	int i;

	for (i = 0; i < NH; i++)
		if (vt_sh("ip link set " VETH_BR_FMT " mtu %d && ip -n " NS_FMT " link set " VETH_NS
		       " mtu %d", i, mtu, i, mtu))
			return -1;
	return vt_sh("ip link set " BRIDGE " mtu %d", mtu);
}






static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* A scripted client: one Send from its own V process on host ns            */

struct cspec {
	int ns;			/* the host (namespace index) it runs on */
	uint64_t dst;
	uint64_t timeout_ns;
	size_t seg_len;
	unsigned int access;
	uint32_t seed;		/* segment pattern */
	uint64_t arg;
	int sigmode;		/* 1: SIGUSR1 handler */
	uid_t uid;		/* non-zero: setresuid/gid before the Send */
	gid_t gid;
	int early;		/* report the child's id (u64) before the Send */
	unsigned int alarm_s;	/* the child's alarm; 0: the default */
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
};

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/* The request a client with spec s and process id pid sends. */
static struct v_msg req_msg(const struct cspec *s, pid_t pid)
{
	struct v_msg m = mk(REQ_CODE, s->arg);

	v_msg_put32(&m, 16, (uint32_t)pid);
	v_msg_put32(&m, 20, s->seed);
	return m;
}

static void __attribute__((noreturn)) client_main(const struct cspec *s, int wfd)
{
	struct cres res;
	struct v_send sv;
	uint8_t *seg = NULL;
	uint64_t t0;
	int fd;

	memset(&res, 0, sizeof(res));
	CKEQ(0, ns_enter(s->ns));
	fd = v_open();
	CK(fd >= 0);
	CKEQ(0, v_self(fd, &res.self));
	if (s->seg_len) {
		seg = mmap(NULL, s->seg_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CK(seg != MAP_FAILED);
		fill(seg, s->seg_len, s->seed, 0);
	}
	if (s->sigmode) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr1;
		sigemptyset(&sa.sa_mask);
		CKEQ(0, sigaction(SIGUSR1, &sa, NULL));
	}
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
	res.hash = seg ? hash_buf(seg, s->seg_len) : 0;
	CK(write(wfd, &res, sizeof(res)) == sizeof(res));
	_exit(0);
}

static int spawn(const struct cspec *s, struct client *c)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = kid_fork(s->alarm_s);
	if (pid == 0) {
		close(p[0]);
		client_main(s, p[1]);
	}
	close(p[1]);
	c->pid = pid;
	c->rfd = p[0];
	return pid > 0 ? 0 : -1;
}

/* With s->early: the client's id, sent before its Send. */
static uint64_t client_early_id(struct client *c)
{
	return vt_kid_read_id(c->rfd, 2 * MS_WAIT);
}

static int client_result(struct client *c, struct cres *r)
{
	return vt_kid_read(c->rfd, r, sizeof(*r), 4 * MS_WAIT);
}

static int client_end(struct client *c)
{
	return vt_kid_end(c->pid, c->rfd);
}

static struct cspec cs(int ns, uint64_t dst)
{
	struct cspec s;

	memset(&s, 0, sizeof(s));
	s.ns = ns;
	s.dst = dst;
	s.arg = 0x1122334455667788ULL;
	return s;
}

/* ------------------------------------------------------------------------ */
/* Loop clients: many Sends from threads of one process on host ns          */

/*
 * Request i of a loop client with id self: vt_loop_req() with code
 * REQ_CODE (the client's id at 16, so the server can check the sender).
 * The server answers vt_loop_reply(request).
 */
static struct v_msg loop_req(uint64_t self, uint32_t tag, uint32_t seq)
{
	return vt_loop_req(REQ_CODE, self, tag, seq);
}

struct lspec {
	int ns;
	uint64_t dst;
	int count;		/* Sends per thread */
	int threads;		/* each with its own V process */
	uint32_t tag;
};

struct lres {
	int ok;			/* correct round trips, all threads */
	int bad;		/* failed or wrong ones */
	int first_ret;		/* of the first failure */
	int first_seq;
	int64_t ms;
};

struct lthread {
	pthread_t th;
	const struct lspec *s;
	int ok, bad, first_ret, first_seq;
};

static void *loop_thread(void *p)
{
	struct lthread *t = p;
	uint64_t self;
	int fd, i, ret;

	t->first_seq = -1;
	fd = v_open();
	if (fd < 0 || v_self(fd, &self)) {
		t->bad = t->s->count;
		t->first_ret = fd < 0 ? fd : -1;
		return NULL;
	}
	for (i = 0; i < t->s->count; i++) {
		struct v_send sv;
		struct v_msg want;

		memset(&sv, 0, sizeof(sv));
		sv.dst = t->s->dst;
		sv.msg = loop_req(self, t->s->tag, i);
		want = vt_loop_reply(&sv.msg);
		ret = v_send_ex(fd, &sv);
		if (ret == 0 && msg_eq(&want, &sv.msg) && sv.replier == t->s->dst) {
			t->ok++;
			continue;
		}
		if (!t->bad++) {
			t->first_ret = ret;
			t->first_seq = i;
		}
		if (ret)
			break;
	}
	close(fd);
	return NULL;
}

static void __attribute__((noreturn)) loop_main(const struct lspec *s, int wfd)
{
	struct lthread t[16];
	struct lres res;
	int64_t t0;
	int i;

	memset(&res, 0, sizeof(res));
	memset(t, 0, sizeof(t));
	res.first_seq = -1;
	CK(s->threads >= 1 && s->threads <= 16);
	CKEQ(0, ns_enter(s->ns));
	t0 = vt_now_ms();
	for (i = 0; i < s->threads; i++) {
		t[i].s = s;
		CKEQ(0, pthread_create(&t[i].th, NULL, loop_thread, &t[i]));
	}
	for (i = 0; i < s->threads; i++) {
		pthread_join(t[i].th, NULL);
		res.ok += t[i].ok;
		if (t[i].bad && !res.bad) {
			res.first_ret = t[i].first_ret;
			res.first_seq = t[i].first_seq;
		}
		res.bad += t[i].bad;
	}
	res.ms = vt_now_ms() - t0;
	CK(write(wfd, &res, sizeof(res)) == sizeof(res));
	_exit(0);
}

static int spawn_loop(const struct lspec *s, struct client *c)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = kid_fork(200 * vt_scale());
	if (pid == 0) {
		close(p[0]);
		loop_main(s, p[1]);
	}
	close(p[1]);
	c->pid = pid;
	c->rfd = p[0];
	return pid > 0 ? 0 : -1;
}

/* Non-blocking: 1 with the result, 0 not yet, -1 on error. */
static int loop_result_ready(struct client *c, struct lres *r)
{
	struct pollfd p = { .fd = c->rfd, .events = POLLIN };

	if (poll(&p, 1, 0) != 1)
		return 0;
	return vt_read_full(c->rfd, r, sizeof(*r), MS_WAIT) ? -1 : 1;
}

/* ------------------------------------------------------------------------ */
/* Receiving side                                                           */

/*
 * Receive on the O_NONBLOCK socket fd, waiting up to ms (scaled).  With
 * buf/bl: ReceiveWithSegment.  -ETIME on timeout.
 */
static int recv_wait_seg(int fd, struct v_receive *r, void *buf, uint64_t bl, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	for (;;) {
		memset(r, 0, sizeof(*r));
		r->buf_addr = (uintptr_t)buf;
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

static int recv_now(int fd, struct v_receive *r)
{
	memset(r, 0, sizeof(*r));
	return v_receive_ex(fd, r);
}

/* Execution counts of a server per (client, seq). */
#define SRV_CLIENTS	32
#define SRV_SEQ		1024

struct srvstat {
	int nclients;
	uint64_t ids[SRV_CLIENTS];
	uint16_t cnt[SRV_CLIENTS][SRV_SEQ];
	int total;
	int bad;		/* malformed requests / wrong fields */
	int reply_err;
	int order_err;		/* seq not one more than the last of that client */
	int last[SRV_CLIENTS];
};

/* Check and count one loop request r; fill the reply. */
static void srv_account(struct srvstat *st, const struct v_receive *r, struct v_msg *reply)
{
	uint64_t id = v_msg_get64(&r->msg, 16);
	uint32_t seq = v_msg_get32(&r->msg, 8);
	int i;

	*reply = vt_loop_reply(&r->msg);
	st->total++;
	if (v_msg_code(&r->msg) != REQ_CODE || id != r->sender || seq >= SRV_SEQ ||
	    !(r->creds.flags & V_CRED_REMOTE) || r->creds.host != v_id_host(r->sender) ||
	    v_msg_get64(&r->msg, 24) != mix64(id ^ seq)) {
		st->bad++;
		return;
	}
	for (i = 0; i < st->nclients; i++)
		if (st->ids[i] == id)
			break;
	if (i == st->nclients) {
		if (i == SRV_CLIENTS) {
			st->bad++;
			return;
		}
		st->ids[st->nclients++] = id;
		st->last[i] = -1;
	}
	if ((int)seq != st->last[i] + 1)
		st->order_err++;
	st->last[i] = seq;
	st->cnt[i][seq]++;
}

/* Every (client, seq < count) of nclients clients executed exactly once? */
static int srv_exactly_once(const struct srvstat *st, int nclients, int count)
{
	int i, j;

	if (st->nclients != nclients)
		return 0;
	for (i = 0; i < nclients; i++)
		for (j = 0; j < SRV_SEQ; j++)
			if (st->cnt[i][j] != (j < count))
				return 0;
	return 1;
}

/*
 * Serve loop requests on the O_NONBLOCK socket fd until the loop clients
 * c[0..n) have all reported (their results in res[]), then for grace ms
 * more (to catch a late second execution).  0, or -ETIME if the clients
 * did not finish within ms.
 */
static int serve_loops(int fd, struct srvstat *st, struct client *c, struct lres *res, int n,
		       int ms, int grace)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale(), grace_end = 0;
	int done[16] = { 0 }, ndone = 0, i, ret;
	struct v_receive r;
	struct v_msg reply;

	for (;;) {
		ret = recv_now(fd, &r);
		if (ret == 0) {
			srv_account(st, &r, &reply);
			if (v_reply(fd, r.sender, &reply))
				st->reply_err++;
			continue;
		}
		if (ret != -EAGAIN)
			return ret;
		for (i = 0; i < n; i++) {
			if (done[i])
				continue;
			ret = loop_result_ready(&c[i], &res[i]);
			if (ret < 0)
				return -EPIPE;
			if (ret > 0) {
				done[i] = 1;
				if (++ndone == n)
					grace_end = vt_now_ms() + grace;
			}
		}
		if (grace_end && vt_now_ms() > grace_end)
			return 0;
		if (!grace_end && vt_now_ms() > end)
			return -ETIME;
		vt_wait_poll(fd, POLLIN, 10);
	}
}

/* An id on host part hp that names no process (index never handed out). */
static uint64_t absent_id(uint32_t hp)
{
	return v_id_make(hp, V_ID_INDEX_MAX - 1);
}

/* ------------------------------------------------------------------------ */
/* The fixture: three V hosts on a bridge; a server socket on host 0        */

FIXTURE(net) {
	pid_t owner;
	int ready;
	int64_t t0;
	uint32_t hp[NH];	/* host parts */
	int srv;		/* O_NONBLOCK V process on host 0 */
	uint64_t srv_id;
};

FIXTURE_SETUP(net)
{
	int i, fd;

	self->owner = getpid();
	self->t0 = vt_now_ms();
	self->srv = -1;
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	if (vt_topo_exists(&topo))
		vt_topo_destroy(&topo);		/* whatever a killed test left */
	self->ready = 1;
	ASSERT_EQ(0, vt_topo_create(&topo)) TH_LOG("cannot build the namespaces / bridge / links");
	for (i = 0; i < NH; i++) {
		fd = ns_vopen(i, 0);
		ASSERT_LE(0, fd) TH_LOG("v_open in " NS_FMT ": %s", i, strerror(-fd));
		self->hp[i] = v_id_host(vt_id(fd));
		close(fd);
		ASSERT_NE(0, self->hp[i]);
		if (vt_scale() > 1)
			ASSERT_EQ(0, vctl(i, "set host-down-ms %d", vt_down_ms_scaled()));
	}
	ASSERT_NE(self->hp[0], self->hp[1]);
	ASSERT_NE(self->hp[0], self->hp[2]);
	ASSERT_NE(self->hp[1], self->hp[2]);
	self->srv = ns_vopen(0, 1);
	ASSERT_LE(0, self->srv);
	self->srv_id = vt_id(self->srv);
	ASSERT_EQ(self->hp[0], v_id_host(self->srv_id));
	if (getenv("VK_NET_TIMING"))
		TH_LOG("setup %lld ms", (long long)(vt_now_ms() - self->t0));
	self->t0 = vt_now_ms();
}

FIXTURE_TEARDOWN(net)
{
	int64_t t1 = vt_now_ms();

	if (getpid() != self->owner)
		return;
	kids_kill_all();
	vt_topo_teardown(&topo, self->srv, self->ready);
	if (getenv("VK_NET_TIMING"))
		TH_LOG("test %lld ms, teardown %lld ms", (long long)(t1 - self->t0),
		       (long long)(vt_now_ms() - t1));
	vt_root_close();
}

/* ======================================================================== */
/* Send / Receive / Reply                                                   */

TEST_F(net, remote_send_receive_reply)
{
	struct cspec s = cs(1, self->srv_id);
	struct v_msg reply, expect;
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	expect = req_msg(&s, c.pid);
	ASSERT_TRUE(msg_eq(&expect, &r.msg));
	ASSERT_EQ(self->hp[1], v_id_host(r.sender));
	reply = mk(V_OK, 0xdeadbeefcafef00dULL);
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(r.sender, res.self);
	ASSERT_EQ(self->srv_id, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
	/* Replied once: nothing more queued, nothing held. */
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));
	ASSERT_EQ(-ENOENT, v_reply(self->srv, res.self, &reply));
}

/* Every pair of the three hosts, both ways: servers on each host. */
TEST_F_TIMEOUT(net, all_host_pairs, 90)
{
	int srv[NH], a, b;
	uint64_t id[NH];

	for (a = 0; a < NH; a++) {
		srv[a] = ns_vopen(a, 1);
		ASSERT_LE(0, srv[a]);
		id[a] = vt_id(srv[a]);
	}
	for (a = 0; a < NH; a++) {
		for (b = 0; b < NH; b++) {
			struct cspec s = cs(a, id[b]);
			struct v_msg reply = mk(V_OK, a * 10 + b);
			struct v_receive r;
			struct client c;
			struct cres res;

			if (a == b)
				continue;
			s.arg = a * 100 + b;
			ASSERT_EQ(0, spawn(&s, &c));
			ASSERT_EQ(0, recv_wait(srv[b], &r, MS_WAIT)) TH_LOG("%d -> %d", a, b);
			ASSERT_EQ((uint64_t)(a * 100 + b), v_msg_get64(&r.msg, 8));
			ASSERT_EQ(self->hp[a], r.creds.host);
			ASSERT_EQ(0, v_reply(srv[b], r.sender, &reply));
			ASSERT_EQ(0, client_result(&c, &res));
			ASSERT_EQ(0, res.ret);
			ASSERT_EQ(id[b], res.replier);
			ASSERT_TRUE(msg_eq(&reply, &res.msg));
			ASSERT_EQ(0, client_end(&c));
		}
	}
	for (a = 0; a < NH; a++)
		close(srv[a]);
}

/* Receive fields of a remote sender, with a non-root client. */
TEST_F(net, remote_receive_fields_and_creds)
{
	struct cspec s = cs(2, self->srv_id);
	struct v_msg reply = mk(V_OK, 5);
	uint8_t b[777];
	struct v_receive r;
	struct client c;
	struct cres res;

	s.seg_len = 777;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 3;
	s.uid = 4321;
	s.gid = 1234;
	s.early = 1;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_NE(0, client_early_id(&c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	ASSERT_EQ(self->hp[2], v_id_host(r.sender));
	ASSERT_EQ(0, r.group);
	ASSERT_EQ(0, r.forwarder);
	ASSERT_EQ(777, r.seg_len);
	ASSERT_EQ(V_SEG_READ | V_SEG_WRITE, r.seg_access);
	ASSERT_EQ(0, r.copied);
	ASSERT_EQ(V_CRED_REMOTE, r.creds.flags);
	ASSERT_EQ(4321, r.creds.uid);
	ASSERT_EQ(1234, r.creds.gid);
	ASSERT_EQ(0, r.creds.pid);
	ASSERT_EQ(self->hp[2], r.creds.host);
	ASSERT_EQ(0, r.creds.reserved);
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(r.sender, res.self);
	ASSERT_EQ(self->srv_id, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	/* A plain Reply leaves the segment alone. */
	fill(b, sizeof(b), 3, 0);
	ASSERT_EQ(hash_buf(b, sizeof(b)), res.hash);
	ASSERT_EQ(0, client_end(&c));
}

/* ======================================================================== */
/* Segments                                                                 */

/* One ReceiveWithSegment of a remote Send; the count copied. */
static void rws_case(struct __test_metadata *_metadata, int srv, int ns, uint64_t dst,
		     size_t seg_len, unsigned int access, size_t buf_len, long long want)
{
	static uint8_t buf[16384];
	struct cspec s = cs(ns, dst);
	struct v_msg reply = mk(V_OK, seg_len);
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_LE(buf_len + 1, sizeof(buf));
	s.seg_len = seg_len;
	s.access = access;
	s.seed = (uint32_t)seg_len;
	ASSERT_EQ(0, spawn(&s, &c));
	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, recv_wait_seg(srv, &r, buf, buf_len, MS_WAIT));
	ASSERT_EQ(want, (long long)r.copied) TH_LOG("segment %zu access %u buffer %zu",
						    seg_len, access, buf_len);
	ASSERT_EQ(seg_len, r.seg_len);
	ASSERT_EQ(access, r.seg_access);
	ASSERT_EQ(-1, pat_mismatch(buf, r.copied, s.seed, 0));
	ASSERT_EQ(0xee, buf[r.copied]);
	ASSERT_EQ(0, v_reply(srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
}

/*
 * ReceiveWithSegment at MTU 1500 copies what the request carried: a
 * read-granted segment of up to V_WIRE_REQ_DATA_MAX whole (a fragmented
 * REQUEST, wire version 8), of a larger one what one frame holds,
 * MTU - header - request; never more than buf_len.
 */
TEST_F_TIMEOUT(net, receive_with_segment_piggyback_mtu1500, 60)
{
	int max = PIGGY_MAX(1500);

	rws_case(_metadata, self->srv, 1, self->srv_id, 5000, V_SEG_READ, 8192, 5000);
	rws_case(_metadata, self->srv, 2, self->srv_id, V_WIRE_REQ_DATA_MAX + 1, V_SEG_READ,
		 8192, max);
	rws_case(_metadata, self->srv, 1, self->srv_id, 5000, V_SEG_READ | V_SEG_WRITE, 100, 100);
	rws_case(_metadata, self->srv, 2, self->srv_id, 300, V_SEG_READ, 8192, 300);
	rws_case(_metadata, self->srv, 2, self->srv_id, max, V_SEG_READ, 8192, max);
	/* Not read-granted: nothing copied, message received. */
	rws_case(_metadata, self->srv, 1, self->srv_id, 300, V_SEG_WRITE, 8192, 0);
}

/* With MTU 9000 on the veths and the bridge a whole 4 KiB page fits. */
TEST_F_TIMEOUT(net, receive_with_segment_full_page_mtu9000, 60)
{
	ASSERT_EQ(0, topo_mtu(9000));
	rws_case(_metadata, self->srv, 1, self->srv_id, 4096, V_SEG_READ, 8192, 4096);
	rws_case(_metadata, self->srv, 2, self->srv_id, 4096, V_SEG_READ | V_SEG_WRITE,
		 4096, 4096);
	rws_case(_metadata, self->srv, 1, self->srv_id, 12000, V_SEG_READ, 16000, 12000);
	rws_case(_metadata, self->srv, 2, self->srv_id, 40000, V_SEG_READ, 16000,
		 PIGGY_MAX(9000));
}

/* ReplyWithSegment of len bytes at off into a remote client's segment. */
static void rpws_case(struct __test_metadata *_metadata, int srv, int ns, uint64_t dst,
		      size_t seg_len, uint64_t off, size_t len)
{
	struct cspec s = cs(ns, dst);
	struct v_msg reply = mk(V_OK, len);
	uint8_t *want, *data;
	struct v_receive r;
	struct client c;
	struct cres res;

	want = malloc(seg_len);
	data = malloc(len);
	ASSERT_TRUE(want && data);
	s.seg_len = seg_len;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 21;
	fill(want, seg_len, 21, 0);
	fill(data, len, 77, 0);
	memcpy(want + off, data, len);
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(srv, &r, MS_WAIT));
	ASSERT_EQ(seg_len, r.seg_len);
	ASSERT_EQ(0, v_reply_with_segment(srv, r.sender, &reply, off, data, len));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(dst, res.replier);
	ASSERT_EQ(hash_buf(want, seg_len), res.hash) TH_LOG("%zu bytes at %llu", len,
							     (unsigned long long)off);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-ENOENT, v_reply(srv, r.sender, &reply));
	free(want);
	free(data);
}

/* ReplyWithSegment of 1 byte, 5000 bytes and 32 KiB (several frames). */
TEST_F_TIMEOUT(net, reply_with_segment_sizes, 60)
{
	rpws_case(_metadata, self->srv, 1, self->srv_id, 100, 50, 1);
	rpws_case(_metadata, self->srv, 2, self->srv_id, 6000, 333, 5000);
	rpws_case(_metadata, self->srv, 1, self->srv_id, 40000, 4097, 32768);
	rpws_case(_metadata, self->srv, 2, self->srv_id, 32768, 0, 32768);
}

/* EMSGSIZE / EACCES / ERANGE for a remote client; the message stays held. */
TEST_F(net, reply_with_segment_errors_keep_message)
{
	static uint8_t data[32769];
	struct cspec s1 = cs(1, self->srv_id), s2 = cs(2, self->srv_id);
	struct v_msg reply = mk(V_OK, 9);
	struct v_receive r1, r2;
	struct client c1, c2;
	struct cres res;
	uint8_t want[200];

	memset(data, 0x5a, sizeof(data));
	s1.seg_len = 200;
	s1.access = V_SEG_READ | V_SEG_WRITE;
	s1.seed = 31;
	s2.seg_len = 200;
	s2.access = V_SEG_READ;
	s2.seed = 32;
	ASSERT_EQ(0, spawn(&s1, &c1));
	ASSERT_EQ(0, recv_wait(self->srv, &r1, MS_WAIT));
	ASSERT_EQ(0, spawn(&s2, &c2));
	ASSERT_EQ(0, recv_wait(self->srv, &r2, MS_WAIT));
	ASSERT_EQ(V_SEG_READ | V_SEG_WRITE, r1.seg_access);
	ASSERT_EQ(V_SEG_READ, r2.seg_access);

	ASSERT_EQ(-EMSGSIZE, v_reply_with_segment(self->srv, r1.sender, &reply, 0, data, 32769));
	ASSERT_EQ(-ERANGE, v_reply_with_segment(self->srv, r1.sender, &reply, 195, data, 10));
	ASSERT_EQ(-ERANGE, v_reply_with_segment(self->srv, r1.sender, &reply, 201, data, 1));
	ASSERT_EQ(-EACCES, v_reply_with_segment(self->srv, r2.sender, &reply, 0, data, 10));
	/* Still held: plain Replies work, the segments are untouched. */
	ASSERT_EQ(0, v_reply(self->srv, r1.sender, &reply));
	ASSERT_EQ(0, v_reply(self->srv, r2.sender, &reply));
	ASSERT_EQ(0, client_result(&c1, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	fill(want, 200, 31, 0);
	ASSERT_EQ(hash_buf(want, 200), res.hash);
	ASSERT_EQ(0, client_result(&c2, &res));
	ASSERT_EQ(0, res.ret);
	fill(want, 200, 32, 0);
	ASSERT_EQ(hash_buf(want, 200), res.hash);
	ASSERT_EQ(0, client_end(&c1));
	ASSERT_EQ(0, client_end(&c2));
	/* Replied: ENOENT. */
	ASSERT_EQ(-ENOENT, v_reply_with_segment(self->srv, r1.sender, &reply, 0, data, 1));
}

/* ======================================================================== */
/* Server patterns                                                          */

/* A Reply-and-Receive loop (blocking socket) serving clients of two hosts. */
TEST_F_TIMEOUT(net, reply_receive_server_loop, 90)
{
	enum { N = 40 };
	struct lspec l1 = { .ns = 1, .count = N, .threads = 1, .tag = 1 };
	struct lspec l2 = { .ns = 2, .count = N, .threads = 1, .tag = 2 };
	static struct srvstat st;
	struct timeval tv = { .tv_sec = 20 * vt_scale() };
	struct client c[2];
	struct lres res[2];
	struct v_msg reply;
	struct v_receive r;
	uint64_t bid, reply_to = 0;
	int bs, i;

	memset(&st, 0, sizeof(st));
	bs = ns_vopen(0, 0);
	ASSERT_LE(0, bs);
	ASSERT_EQ(0, setsockopt(bs, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	bid = vt_id(bs);
	l1.dst = l2.dst = bid;
	ASSERT_EQ(0, spawn_loop(&l1, &c[0]));
	ASSERT_EQ(0, spawn_loop(&l2, &c[1]));
	memset(&reply, 0, sizeof(reply));
	for (i = 0; i < 2 * N; i++) {
		memset(&r, 0, sizeof(r));
		ASSERT_EQ(0, v_reply_receive(bs, reply_to, &reply, &r)) TH_LOG("request %d", i);
		srv_account(&st, &r, &reply);
		reply_to = r.sender;
	}
	ASSERT_EQ(0, v_reply(bs, reply_to, &reply));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vt_read_full(c[i].rfd, &res[i], sizeof(res[i]), 2 * MS_WAIT));
		ASSERT_EQ(N, res[i].ok) TH_LOG("client %d: first bad %d ret %d", i,
					       res[i].first_seq, res[i].first_ret);
		ASSERT_EQ(0, res[i].bad);
		ASSERT_EQ(0, client_end(&c[i]));
	}
	ASSERT_EQ(0, st.bad);
	ASSERT_EQ(0, st.order_err);
	ASSERT_TRUE(srv_exactly_once(&st, 2, N));
	close(bs);
}

/* Forward of a remote message to a local process, which replies. */
TEST_F(net, forward_remote_to_local)
{
	struct cspec s = cs(1, self->srv_id);
	struct v_msg fwd = mk(0x0777, 4242), reply = mk(V_OK, 99), expect;
	struct v_receive r, r2;
	struct client c;
	struct cres res;
	uint64_t lid;
	int lfd;

	lfd = ns_vopen(0, 1);
	ASSERT_LE(0, lfd);
	lid = vt_id(lfd);
	s.seg_len = 64;
	s.access = V_SEG_READ | V_SEG_WRITE;
	s.seed = 5;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	expect = req_msg(&s, c.pid);
	ASSERT_TRUE(msg_eq(&expect, &r.msg));
	ASSERT_EQ(0, v_forward(self->srv, r.sender, lid, &fwd));
	/* The forwarder no longer holds it. */
	ASSERT_EQ(-ENOENT, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, recv_wait(lfd, &r2, MS_WAIT));
	ASSERT_EQ(r.sender, r2.sender);
	ASSERT_EQ(self->srv_id, r2.forwarder);
	ASSERT_TRUE(msg_eq(&fwd, &r2.msg));
	ASSERT_EQ(V_CRED_REMOTE, r2.creds.flags);
	ASSERT_EQ(self->hp[1], r2.creds.host);
	ASSERT_EQ(64, r2.seg_len);
	ASSERT_EQ(V_SEG_READ | V_SEG_WRITE, r2.seg_access);
	ASSERT_EQ(0, v_reply(lfd, r2.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(lid, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-ENOENT, v_reply(lfd, r2.sender, &reply));
	close(lfd);
}

/* EPOLLIN for a queued remote message, not once it is received. */
TEST_F(net, poll_epollin_remote_message)
{
	struct cspec s = cs(2, self->srv_id);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct v_msg reply = mk(V_OK, 1);
	struct pollfd p = { .fd = self->srv, .events = POLLIN };
	struct v_receive r;
	struct client c;
	struct cres res;
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->srv, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, MS_WAIT * vt_scale()));
	ASSERT_TRUE(out.events & EPOLLIN);
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_TRUE(p.revents & POLLIN);
	ASSERT_EQ(0, recv_now(self->srv, &r));
	ASSERT_EQ(self->hp[2], v_id_host(r.sender));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
}

/* ======================================================================== */
/* Errors                                                                   */

/* No such process on a live host: ESRCH at once (well before host-down). */
TEST_F(net, esrch_no_such_process_on_live_host)
{
	struct cspec s1, s2;
	struct client c;
	struct cres res;
	uint64_t dead;
	int fd;

	fd = ns_vopen(0, 0);
	ASSERT_LE(0, fd);
	dead = vt_id(fd);
	close(fd);
	s1 = cs(1, dead);
	s2 = cs(2, absent_id(self->hp[0]));
	ASSERT_EQ(0, spawn(&s1, &c));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_GT(2500000000ULL, res.elapsed_ns);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(0, spawn(&s2, &c));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_GT(2500000000ULL, res.elapsed_ns);
	ASSERT_EQ(0, client_end(&c));
}

/* The remote receiver shuts down with the message queued: ESRCH. */
TEST_F(net, esrch_receiver_shutdown_queued)
{
	struct cspec s = cs(1, self->srv_id);
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_TRUE(vt_wait_poll(self->srv, POLLIN, MS_WAIT) & POLLIN);
	ASSERT_EQ(0, shutdown(self->srv, SHUT_RDWR));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, client_end(&c));
}

/* The remote receiver shuts down holding the (received) message: ESRCH. */
TEST_F(net, esrch_receiver_shutdown_held)
{
	struct cspec s = cs(2, self->srv_id);
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(0, shutdown(self->srv, SHUT_RDWR));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, client_end(&c));
}

/*
 * A server process on host 0: reports its id, then (mode 0) exits at
 * "go" without receiving, or (mode 1) receives one message, reports
 * its sender and exits at "go" without replying.
 */
static pid_t server_child(int mode, int *rfd, int *gofd)
{
	int p[2], g[2];
	pid_t pid;

	if (pipe(p) || pipe(g))
		return -1;
	pid = kid_fork(0);
	if (pid == 0) {
		struct v_receive r;
		uint64_t id;
		char ch;
		int fd;

		close(p[0]);
		close(g[1]);
		CKEQ(0, ns_enter(0));
		fd = v_open();
		CK(fd >= 0);
		id = vt_id(fd);
		CK(write(p[1], &id, sizeof(id)) == sizeof(id));
		if (mode == 1) {
			memset(&r, 0, sizeof(r));
			CKEQ(0, v_receive_ex(fd, &r));
			CK(write(p[1], &r.sender, sizeof(r.sender)) == sizeof(r.sender));
		}
		CK(read(g[0], &ch, 1) == 1);
		_exit(0);
	}
	close(p[1]);
	close(g[0]);
	*rfd = p[0];
	*gofd = g[1];
	return pid;
}

/* Wait (up to ms, scaled) until host h holds an alien; the count or -1. */
static long long aliens_wait(int h, int ms)
{
	return vt_host_num_wait(vt_host_show, hname(h), "aliens", 1, LLONG_MAX, ms, 50);
}

/* The remote receiver exits with the message queued / held: ESRCH. */
TEST_F(net, esrch_receiver_exits_queued_and_held)
{
	int mode;

	for (mode = 0; mode < 2; mode++) {
		struct cspec s;
		struct client c;
		struct cres res;
		uint64_t sid = 0, sender = 0;
		int rfd, gofd;
		pid_t sp;

		sp = server_child(mode, &rfd, &gofd);
		ASSERT_LT(0, sp);
		ASSERT_EQ(0, vt_read_full(rfd, &sid, sizeof(sid), MS_WAIT));
		ASSERT_EQ(self->hp[0], v_id_host(sid));
		s = cs(1 + mode, sid);
		s.early = 1;
		ASSERT_EQ(0, spawn(&s, &c));
		ASSERT_NE(0, client_early_id(&c));
		if (mode == 1) {
			ASSERT_EQ(0, vt_read_full(rfd, &sender, sizeof(sender), MS_WAIT));
			ASSERT_EQ(self->hp[2], v_id_host(sender));
		}
		/* The client waits in Send (queued at the server, or held). */
		ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
		ASSERT_LT(0, aliens_wait(0, MS_WAIT));
		ASSERT_EQ(1, write(gofd, "g", 1));
		ASSERT_EQ(0, kid_wait(sp));
		ASSERT_EQ(0, client_result(&c, &res)) TH_LOG("mode %d", mode);
		ASSERT_EQ(-ESRCH, res.ret) TH_LOG("mode %d", mode);
		ASSERT_EQ(0, client_end(&c));
		close(rfd);
		close(gofd);
	}
}

/* A host part nobody owns: EHOSTUNREACH after the host-down bound. */
TEST_F_TIMEOUT(net, ehostunreach_unknown_host_part, 60)
{
	struct client c;
	struct cres res;
	uint32_t hp = 0x2aaaaaa;
	long long down0;
	struct cspec s;

	while (hp == self->hp[0] || hp == self->hp[1] || hp == self->hp[2])
		hp++;
	ASSERT_EQ(0, vctl(1, "set host-down-ms 500"));
	down0 = nstat(1, "host_down");
	ASSERT_LE(0, down0);
	s = cs(1, v_id_make(hp, 1));
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-EHOSTUNREACH, res.ret);
	TH_LOG("EHOSTUNREACH after %llu ms", (unsigned long long)(res.elapsed_ns / 1000000));
	ASSERT_LE(450000000ULL, res.elapsed_ns);
	ASSERT_GT(2500000000ULL * vt_scale(), res.elapsed_ns);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_LT(down0, nstat(1, "host_down"));
}

/* One round trip from host h to dst (learns the way there). */
static void round_trip(struct __test_metadata *_metadata, int srv, int h, uint64_t dst)
{
	struct cspec s = cs(h, dst);
	struct v_msg reply = mk(V_OK, 2);
	struct v_receive r;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(srv, &r, MS_WAIT));
	ASSERT_EQ(0, v_reply(srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(0, client_end(&c));
}

/* Send from host h to srv fails with EHOSTUNREACH; elapsed ms out. */
static void expect_unreach(struct __test_metadata *_metadata, int h, uint64_t dst,
			   uint64_t *ms)
{
	struct cspec s = cs(h, dst);
	struct client c;
	struct cres res;

	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-EHOSTUNREACH, res.ret);
	ASSERT_EQ(0, client_end(&c));
	*ms = res.elapsed_ns / 1000000;
	TH_LOG("EHOSTUNREACH after %llu ms", (unsigned long long)*ms);
}

/* The server host's interface goes down: EHOSTUNREACH. */
TEST_F_TIMEOUT(net, ehostunreach_server_link_down, 60)
{
	struct v_receive r;
	uint64_t ms;

	round_trip(_metadata, self->srv, 1, self->srv_id);
	ASSERT_EQ(0, vctl(1, "set host-down-ms 500"));
	ASSERT_EQ(0, vt_sh("ip -n vkn0 link set " VETH_NS " down"));
	expect_unreach(_metadata, 1, self->srv_id, &ms);
	ASSERT_LE(450, ms);
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));
}

/* The server host detaches its link (vctl link del): EHOSTUNREACH. */
TEST_F_TIMEOUT(net, ehostunreach_server_link_del, 60)
{
	struct v_receive r;
	char out[1024];
	uint64_t ms;

	round_trip(_metadata, self->srv, 2, self->srv_id);
	ASSERT_EQ(0, vctl(2, "set host-down-ms 500"));
	ASSERT_EQ(0, vctl(0, "link del dev " VETH_NS));
	ASSERT_EQ(0, vctl_out(0, "link show", out, sizeof(out)));
	ASSERT_EQ(NULL, strstr(out, VETH_NS));
	expect_unreach(_metadata, 2, self->srv_id, &ms);
	ASSERT_LE(450, ms);
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r));
}

/* The server host's namespace is deleted: EHOSTUNREACH. */
TEST_F_TIMEOUT(net, ehostunreach_server_namespace_deleted, 60)
{
	uint64_t ms, id2;
	int fd;

	fd = ns_vopen(2, 1);
	ASSERT_LE(0, fd);
	id2 = vt_id(fd);
	round_trip(_metadata, fd, 1, id2);
	close(fd);
	ASSERT_EQ(0, vctl(1, "set host-down-ms 500"));
	ASSERT_EQ(0, vt_sh("ip link del " VETH_BR_FMT " && ip netns del " NS_FMT, 2, 2));
	expect_unreach(_metadata, 1, v_id_make(self->hp[2], 1), &ms);
	ASSERT_LE(450, ms);
}

/* No link at all on the client host: EHOSTUNREACH at once. */
TEST_F(net, ehostunreach_no_links_at_once)
{
	uint64_t ms;

	ASSERT_EQ(0, vctl(1, "link del dev " VETH_NS));
	/* host-down stays at its default (3 s): "at once" is well below. */
	expect_unreach(_metadata, 1, self->srv_id, &ms);
	ASSERT_GT(1000, ms);
	/* Another host still reaches the server. */
	round_trip(_metadata, self->srv, 2, self->srv_id);
}

/* ======================================================================== */
/* Reliability                                                              */

/*
 * A server that sleeps 2 s before replying: the client retransmits, the
 * server host answers the duplicates with ACKs, the message is received
 * once and the client gets the one reply.
 */
TEST_F_TIMEOUT(net, slow_server_replies_exactly_once, 60)
{
	struct cspec s = cs(1, self->srv_id);
	struct v_msg reply = mk(V_OK, 0x510);
	long long retx0, dup0, ack0, retx1, dup1, ack1;
	struct v_receive r, r2;
	struct client c;
	struct cres res;
	int64_t t0;

	retx0 = nstat(1, "retransmits");
	dup0 = nstat(0, "duplicates");
	ack0 = nstat(0, "acks");
	ASSERT_LE(0, retx0);
	ASSERT_LE(0, dup0);
	ASSERT_LE(0, ack0);
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	t0 = vt_now_ms();
	while (vt_now_ms() - t0 < 2000) {
		ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r2));
		usleep(100000);
	}
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_LE(2000000000ULL, res.elapsed_ns);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r2));
	ASSERT_EQ(-ENOENT, v_reply(self->srv, r.sender, &reply));
	retx1 = nstat(1, "retransmits");
	dup1 = nstat(0, "duplicates");
	ack1 = nstat(0, "acks");
	TH_LOG("retransmits +%lld, duplicates +%lld, acks +%lld", retx1 - retx0, dup1 - dup0,
	       ack1 - ack0);
	ASSERT_LT(retx0, retx1);
	ASSERT_LT(dup0, dup1);
	ASSERT_LT(ack0, ack1);
}

/* Send timeout on a remote Send; the late Reply succeeds and is dropped. */
/*
 * A remote Send's timeout travels as its deadline (uapi "Deadlines"): the
 * server's Receive reports it, and once it has passed the server's Reply
 * and MoveFrom fail with ETIMEDOUT (told apart from a message never held:
 * ENOENT).
 */
TEST_F(net, send_timeout_deadline_remote)
{
	struct cspec s = cs(1, self->srv_id);
	struct v_msg reply = mk(V_OK, 3);
	uint64_t t0 = now_ns(), t1;
	struct v_receive r;
	struct client c;
	struct cres res;
	char b[8];

	s.timeout_ns = 500000000ULL * vt_scale();
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	t1 = now_ns();
	ASSERT_EQ(V_KIND_MESSAGE, r.kind);
	/* Sent as ms left, rounded up: within the Send's span, a ms late at most. */
	ASSERT_LT(t0, r.deadline_ns);
	ASSERT_GE(t1 + s.timeout_ns + 1000000ULL, r.deadline_ns);
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-ETIMEDOUT, res.ret);
	ASSERT_LE(450000000ULL * vt_scale(), res.elapsed_ns);
	while (now_ns() < r.deadline_ns)
		usleep(10000);
	ASSERT_EQ(-ETIMEDOUT, v_move_from(self->srv, r.sender, 0, b, 0));
	ASSERT_EQ(-ETIMEDOUT, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(-ENOENT, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_end(&c));
}

/*
 * A server that asked for unblock notices hears that a remote client's
 * held message passed its deadline: the alien is collected (within the
 * host's once-a-second sweep) and the notice names client and seq.
 */
TEST_F(net, unblock_notice_remote_deadline)
{
	struct cspec s = cs(2, self->srv_id);
	struct v_receive r, n;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, v_notify(self->srv, V_NOTIFY_UNBLOCK));
	s.timeout_ns = 300000000ULL * vt_scale();
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	ASSERT_NE(0, r.deadline_ns);
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-ETIMEDOUT, res.ret);
	ASSERT_EQ(0, recv_wait(self->srv, &n, MS_WAIT));
	ASSERT_EQ(V_KIND_UNBLOCK, n.kind);
	ASSERT_EQ(r.sender, n.sender);
	ASSERT_EQ(V_NOTICE_UNBLOCK, v_msg_code(&n.msg));
	ASSERT_EQ(V_WHY_TIMEOUT, v_msg_get16(&n.msg, 2));
	ASSERT_EQ(r.sender, v_msg_get64(&n.msg, 8));
	ASSERT_NE(0, v_msg_get32(&n.msg, 16));
	ASSERT_EQ(-ETIMEDOUT, v_reply(self->srv, r.sender, &r.msg));
	ASSERT_EQ(0, client_end(&c));
}

/*
 * A handled signal interrupts a remote Send (EINTR): the client's kernel
 * sends CANCEL, the alien ends, and the server, which asked, hears of it
 * (an unblock notice, why SIGNAL); its late Reply finds nothing held.
 */
TEST_F(net, send_eintr_with_handled_signal)
{
	struct cspec s = cs(2, self->srv_id);
	struct v_msg reply = mk(V_OK, 4), sent;
	struct v_receive r, n;
	struct client c;
	struct cres res;

	ASSERT_EQ(0, v_notify(self->srv, V_NOTIFY_UNBLOCK));
	s.sigmode = 1;
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	sent = req_msg(&s, c.pid);
	ASSERT_TRUE(msg_eq(&sent, &r.msg));
	ASSERT_EQ(0, vt_wait_blocked(c.pid, c.pid, MS_WAIT));
	ASSERT_EQ(0, kill(c.pid, SIGUSR1));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(-EINTR, res.ret);
	ASSERT_EQ(1, res.got_sig);
	ASSERT_EQ(0, recv_wait(self->srv, &n, MS_WAIT));
	ASSERT_EQ(V_KIND_UNBLOCK, n.kind);
	ASSERT_EQ(r.sender, n.sender);
	ASSERT_EQ(V_WHY_SIGNAL, v_msg_get16(&n.msg, 2));
	ASSERT_EQ(-ENOENT, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_end(&c));
}

/* 1000 sequential round trips, sequence numbers checked on both sides. */
TEST_F_TIMEOUT(net, thousand_sequential_round_trips, 120)
{
	enum { N = 1000 };
	struct lspec l = { .ns = 1, .dst = self->srv_id, .count = N, .threads = 1, .tag = 7 };
	static struct srvstat st;
	struct client c;
	struct lres res;

	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, spawn_loop(&l, &c));
	ASSERT_EQ(0, serve_loops(self->srv, &st, &c, &res, 1, 90000, 200));
	TH_LOG("%d round trips in %lld ms", res.ok, (long long)res.ms);
	ASSERT_EQ(N, res.ok) TH_LOG("first bad %d ret %d", res.first_seq, res.first_ret);
	ASSERT_EQ(0, res.bad);
	ASSERT_EQ(N, st.total);
	ASSERT_EQ(0, st.bad);
	ASSERT_EQ(0, st.order_err);
	ASSERT_EQ(0, st.reply_err);
	ASSERT_TRUE(srv_exactly_once(&st, 1, N));
	ASSERT_EQ(0, client_end(&c));
}

/* Concurrent clients: 4 threads on each of two hosts, one server. */
TEST_F_TIMEOUT(net, concurrent_clients_two_hosts_threads, 120)
{
	enum { N = 50, T = 4 };
	struct lspec l1 = { .ns = 1, .dst = self->srv_id, .count = N, .threads = T, .tag = 1 };
	struct lspec l2 = { .ns = 2, .dst = self->srv_id, .count = N, .threads = T, .tag = 2 };
	static struct srvstat st;
	struct client c[2];
	struct lres res[2];
	int i;

	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, spawn_loop(&l1, &c[0]));
	ASSERT_EQ(0, spawn_loop(&l2, &c[1]));
	ASSERT_EQ(0, serve_loops(self->srv, &st, c, res, 2, 90000, 200));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(N * T, res[i].ok) TH_LOG("client %d: first bad %d ret %d", i,
						   res[i].first_seq, res[i].first_ret);
		ASSERT_EQ(0, client_end(&c[i]));
	}
	ASSERT_EQ(2 * N * T, st.total);
	ASSERT_EQ(0, st.bad);
	ASSERT_EQ(0, st.order_err);
	ASSERT_EQ(0, st.reply_err);
	ASSERT_TRUE(srv_exactly_once(&st, 2 * T, N));
}

/*
 * max-aliens 1 on the server host: of two remote clients at once the
 * second is refused "busy", backs off and is served later; both replies
 * arrive and the busy counter rises.
 */
TEST_F_TIMEOUT(net, busy_max_aliens_delays_not_loses, 60)
{
	struct cspec s1 = cs(1, self->srv_id), s2 = cs(2, self->srv_id);
	struct v_msg reply1 = mk(V_OK, 11), reply2 = mk(V_OK, 22);
	struct v_receive r1, r2;
	struct client c1, c2;
	struct cres res;
	long long busy0, busy1;

	/*
	 * Short host-down bounds on the server host and on client 1's: its
	 * finished alien lingers only 1.5 s (a server keeps an answer as long
	 * as the longer of the two bounds, plus a second), well inside client
	 * 2's bound (10 s, scaled) of busy answers.  Client 1 first, then 2.
	 */
	ASSERT_EQ(0, vctl(0, "set max-aliens 1 host-down-ms 500"));
	ASSERT_EQ(0, vctl(1, "set host-down-ms 500"));
	ASSERT_EQ(0, vctl(2, "set host-down-ms %d", 10000 * vt_scale()));
	busy0 = nstat(0, "busy");
	ASSERT_LE(0, busy0);
	s1.arg = 1;
	s2.arg = 2;
	ASSERT_EQ(0, spawn(&s1, &c1));
	ASSERT_EQ(0, recv_wait(self->srv, &r1, MS_WAIT));
	ASSERT_EQ(1, v_msg_get64(&r1.msg, 8));
	ASSERT_EQ(0, spawn(&s2, &c2));
	busy1 = nstat_wait_above(0, "busy", busy0, MS_WAIT);
	ASSERT_LT(busy0, busy1);
	/* Only one alien: the other request is not here. */
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r2));
	ASSERT_EQ(0, v_reply(self->srv, r1.sender,
			     v_msg_get64(&r1.msg, 8) == 1 ? &reply1 : &reply2));
	ASSERT_EQ(0, recv_wait(self->srv, &r2, 3 * MS_WAIT));
	ASSERT_NE(r1.sender, r2.sender);
	ASSERT_NE(v_msg_get64(&r1.msg, 8), v_msg_get64(&r2.msg, 8));
	ASSERT_EQ(0, v_reply(self->srv, r2.sender,
			     v_msg_get64(&r2.msg, 8) == 1 ? &reply1 : &reply2));
	ASSERT_EQ(0, client_result(&c1, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply1, &res.msg));
	ASSERT_EQ(0, client_result(&c2, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply2, &res.msg));
	ASSERT_EQ(0, client_end(&c1));
	ASSERT_EQ(0, client_end(&c2));
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r2));
}

/*
 * A server host that stays busy for longer than the client's host-down
 * bound fails the Send with EBUSY (busy answers are not proof of
 * progress); the held request is unaffected and still gets its reply.
 */
TEST_F_TIMEOUT(net, busy_too_long_ebusy, 60)
{
	struct cspec s1 = cs(1, self->srv_id), s2 = cs(2, self->srv_id);
	struct v_msg reply1 = mk(V_OK, 11);
	struct v_receive r1, r2;
	struct client c1, c2;
	struct cres res;
	long long busy0;

	ASSERT_EQ(0, vctl(0, "set max-aliens 1"));
	ASSERT_EQ(0, vctl(2, "set host-down-ms 500"));
	busy0 = nstat(0, "busy");
	ASSERT_LE(0, busy0);
	s1.arg = 1;
	s2.arg = 2;
	ASSERT_EQ(0, spawn(&s1, &c1));
	ASSERT_EQ(0, recv_wait(self->srv, &r1, MS_WAIT));
	/* The only alien is held: host 2's client is answered busy... */
	ASSERT_EQ(0, spawn(&s2, &c2));
	ASSERT_LT(busy0, nstat_wait_above(0, "busy", busy0, MS_WAIT));
	/* ...until it gives up, EBUSY rather than EHOSTUNREACH. */
	ASSERT_EQ(0, client_result(&c2, &res));
	ASSERT_EQ(-EBUSY, res.ret);
	ASSERT_EQ(0, client_end(&c2));
	ASSERT_EQ(0, v_reply(self->srv, r1.sender, &reply1));
	ASSERT_EQ(0, client_result(&c1, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply1, &res.msg));
	ASSERT_EQ(0, client_end(&c1));
	ASSERT_EQ(-EAGAIN, recv_now(self->srv, &r2));
}

/* netem on both ends of every veth (host side and bridge side). */
static int netem_on(void)
{
	static const char netem[] = "netem loss 10% duplicate 5% reorder 25% delay 1ms";
	int i;

	for (i = 0; i < NH; i++) {
		if (vt_sh("tc qdisc add dev " VETH_BR_FMT " root %s", i, netem))
			return -1;
		if (vt_sh("ip netns exec " NS_FMT " tc qdisc add dev " VETH_NS " root %s", i, netem))
			return -1;
	}
	return 0;
}

/*
 * netem loss 10% duplicate 5% reorder 25% delay 1ms on both ends of every
 * veth: 2 x 1000 transactions from two hosts, each executed exactly once
 * with the right reply.
 */
TEST_F_TIMEOUT(net, netem_exactly_once, 300)
{
	enum { N = 1000 };
	struct lspec l1 = { .ns = 1, .dst = self->srv_id, .count = N, .threads = 1, .tag = 1 };
	struct lspec l2 = { .ns = 2, .dst = self->srv_id, .count = N, .threads = 1, .tag = 2 };
	static struct srvstat st;
	struct client c[2];
	struct lres res[2];
	long long retx;
	int i;

	ASSERT_EQ(0, netem_on());
	/* A frame crosses four netem qdiscs each way (a third of them lost):
	 * a run of lost retransmissions can outlast the 3 s host-down bound
	 * in a slowed guest (once in CI, client 1's 136th Send: EHOSTUNREACH),
	 * which this test is not about. */
	for (i = 0; i < NH; i++)
		ASSERT_EQ(0, vctl(i, "set host-down-ms %d", 10000 * vt_scale()));
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, spawn_loop(&l1, &c[0]));
	ASSERT_EQ(0, spawn_loop(&l2, &c[1]));
	ASSERT_EQ(0, serve_loops(self->srv, &st, c, res, 2, 150000, 1000));
	for (i = 0; i < 2; i++) {
		TH_LOG("client %d: %d ok in %lld ms", i, res[i].ok, (long long)res[i].ms);
		ASSERT_EQ(N, res[i].ok) TH_LOG("client %d: first bad %d ret %d", i,
					       res[i].first_seq, res[i].first_ret);
		ASSERT_EQ(0, res[i].bad);
		ASSERT_EQ(0, client_end(&c[i]));
	}
	ASSERT_EQ(2 * N, st.total);
	ASSERT_EQ(0, st.bad);
	ASSERT_EQ(0, st.order_err);
	ASSERT_EQ(0, st.reply_err);
	ASSERT_TRUE(srv_exactly_once(&st, 2, N));
	retx = nstat(1, "retransmits") + nstat(2, "retransmits");
	TH_LOG("retransmits %lld, server duplicates %lld", retx, nstat(0, "duplicates"));
	ASSERT_LT(0, retx);
}

/*
 * Under the same netem: fragmented requests (2 fragments at MTU 1500) and
 * 32 KiB ReplyWithSegment answers (24 fragments each) arrive whole and
 * right.
 */
TEST_F_TIMEOUT(net, netem_fragmented_replies, 120)
{
	int i;

	ASSERT_EQ(0, netem_on());
	for (i = 0; i < 16; i++) {
		rws_case(_metadata, self->srv, 1 + i % 2, self->srv_id, 2000 + i,
			 V_SEG_READ | V_SEG_WRITE, 8192, 2000 + i);
		rpws_case(_metadata, self->srv, 1 + i % 2, self->srv_id, 32768 + 64 * i, 32 * i,
			  32768);
	}
}

/* ======================================================================== */
/* MoveFrom / MoveTo on a remote sender's segment                           */

#define SEG_RW		(V_SEG_READ | V_SEG_WRITE)
/* Bytes per MOVE_DATA block and per train at MTU 1500 (uapi wire structs). */
#define MOVE_BLOCK(mtu)	((mtu) - (int)sizeof(struct v_wire_hdr) - (int)sizeof(struct v_wire_data))
#define MOVE_TRAIN(mtu)	(V_WIRE_TRAIN * MOVE_BLOCK(mtu))

/*
 * One transaction of a client on host ns with a read/write segment of
 * off + len + 7 bytes (pattern seed): MoveFrom len bytes at off into an
 * unaligned local buffer (checked byte for byte), MoveTo len bytes of
 * another pattern at off + 5, MoveFrom those back, Reply.  The client's
 * whole segment must then hash as expected (written range changed, every
 * other byte not); after the Reply both moves fail with ENOENT.
 */
static void move_case(struct __test_metadata *_metadata, int srv, int ns, uint64_t dst,
		      uint64_t off, size_t len)
{
	size_t seg_len = off + len + 7;
	uint64_t off2 = off + 5;
	struct cspec s = cs(ns, dst);
	struct v_msg reply = mk(V_OK, len);
	uint8_t *want, *mem, *buf, *data;
	struct v_receive r;
	struct client c;
	struct cres res;
	int64_t t0, t1, t2;

	want = malloc(seg_len);
	mem = malloc(len + 8);
	data = malloc(len);
	ASSERT_TRUE(want && mem && data);
	buf = mem + 3;			/* unaligned on purpose */
	s.seg_len = seg_len;
	s.access = SEG_RW;
	s.seed = 0x3000 + (uint32_t)len;
	s.arg = len;
	fill(want, seg_len, s.seed, 0);
	fill(data, len, s.seed ^ 0x5a5a, 0);
	memcpy(want + off2, data, len);
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(srv, &r, MS_WAIT));
	ASSERT_EQ(seg_len, r.seg_len);
	ASSERT_EQ(SEG_RW, r.seg_access);
	ASSERT_EQ((uint64_t)len, v_msg_get64(&r.msg, 8));
	memset(mem, 0xa5, len + 8);
	t0 = vt_now_ms();
	ASSERT_EQ(0, v_move_from(srv, r.sender, off, buf, len))
		TH_LOG("MoveFrom %zu bytes at %llu", len, (unsigned long long)off);
	t1 = vt_now_ms();
	ASSERT_EQ(-1, pat_mismatch(buf, len, s.seed, off))
		TH_LOG("MoveFrom %zu bytes at %llu: first wrong byte", len, (unsigned long long)off);
	ASSERT_EQ(0xa5, mem[2]);
	ASSERT_EQ(0xa5, buf[len]);
	ASSERT_EQ(0, v_move_to(srv, r.sender, off2, data, len))
		TH_LOG("MoveTo %zu bytes at %llu", len, (unsigned long long)off2);
	t2 = vt_now_ms();
	memset(mem, 0, len + 8);
	ASSERT_EQ(0, v_move_from(srv, r.sender, off2, buf, len));
	ASSERT_EQ(0, memcmp(buf, data, len)) TH_LOG("read back %zu bytes at %llu", len,
						     (unsigned long long)off2);
	if (len >= 100000)
		TH_LOG("%zu bytes: MoveFrom %lld ms, MoveTo %lld ms", len, (long long)(t1 - t0),
		       (long long)(t2 - t1));
	ASSERT_EQ(0, v_reply(srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(dst, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(hash_buf(want, seg_len), res.hash) TH_LOG("client segment after MoveTo of %zu "
							     "bytes at %llu", len,
							     (unsigned long long)off2);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-ENOENT, v_move_from(srv, r.sender, off, buf, 1));
	ASSERT_EQ(-ENOENT, v_move_to(srv, r.sender, off, data, 1));
	free(want);
	free(mem);
	free(data);
}

/*
 * MoveFrom and MoveTo of 1 byte up to 1 MiB at unaligned offsets on a
 * remote client's segment: block (1436 bytes at MTU 1500) and train
 * (64 blocks) boundaries, clients on both other hosts.
 */
TEST_F_TIMEOUT(net, remote_move_sizes, 120)
{
	static const struct {
		uint64_t off;
		size_t len;
	} m[] = {
		{ 0, 1 },
		{ 4095, 1 },
		{ 3, 1396 },
		{ 1, 1397 },
		{ 7, MOVE_BLOCK(1500) },
		{ 1, MOVE_BLOCK(1500) + 1 },
		{ 4095, 4096 },
		{ 13, MOVE_TRAIN(1500) },
		{ 2, MOVE_TRAIN(1500) + 1 },
		{ 12347, 100000 },
		{ 4097 + 5, 1 << 20 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		move_case(_metadata, self->srv, 1 + i % 2, self->srv_id, m[i].off, m[i].len);
}

/*
 * A Move on another thread of the test process (the server), so the test
 * can watch the wire while it runs.
 */
struct mover {
	pthread_t th;
	int fd, to_seg, ret;
	uint64_t sender, off;
	void *buf;
	size_t len;
};

static void *mover_main(void *p)
{
	struct mover *m = p;

	m->ret = m->to_seg ? v_move_to(m->fd, m->sender, m->off, m->buf, m->len) :
			     v_move_from(m->fd, m->sender, m->off, m->buf, m->len);
	return NULL;
}

/*
 * Frames of type `type` on k: the distinct train numbers in *xfers (at most
 * max, in order of first sight), and the number of distinct (train, block)
 * pairs of MOVE_DATA in *blocks.  Returns the number of distinct trains.
 * Watches until `want` is seen (blocks of MOVE_DATA, trains of MOVE_FROM),
 * then settle_ms more for anything beyond it, and ms at most: a loaded host
 * may take longer than a quiet one to send the window, but not to exceed it.
 */
static int watch_trains(struct vt_pk *k, uint8_t type, int ms, int want, int settle_ms,
			uint32_t *xfers, int max, int *blocks, uint32_t *ask_len)
{
	static uint8_t seen[8][V_WIRE_TRAIN];
	int64_t end = vt_now_ms() + ms;
	uint8_t f[2048];
	int n = 0, i, settled = 0;

	memset(seen, 0, sizeof(seen));
	*blocks = 0;
	while (vt_now_ms() < end) {
		struct pollfd pfd = { .fd = k->fd, .events = POLLIN };
		struct v_wire_hdr h;
		uint32_t xfer;
		uint16_t index = 0;
		ssize_t got;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		got = recv(k->fd, f, sizeof(f), 0);
		if (got < VT_HDRS + (ssize_t)sizeof(struct v_wire_move))
			continue;
		memcpy(&h, f + ETH_HLEN, sizeof(h));
		if (h.type != type)
			continue;
		if (type == V_PKT_MOVE_FROM) {
			struct v_wire_move mv;

			memcpy(&mv, f + VT_HDRS, sizeof(mv));
			xfer = ntohl(mv.xfer);
			*ask_len = ntohl(mv.len);
		} else {
			struct v_wire_data d;

			memcpy(&d, f + VT_HDRS, sizeof(d));
			xfer = ntohl(d.xfer);
			index = ntohs(d.index);
		}
		for (i = 0; i < n && xfers[i] != xfer; i++)
			;
		if (i == n) {
			if (n == max)
				return max + 1;
			xfers[n++] = xfer;
		}
		if (type == V_PKT_MOVE_DATA && i < 8 && index < V_WIRE_TRAIN && !seen[i][index]) {
			seen[i][index] = 1;
			(*blocks)++;
		}
		if (!settled && (type == V_PKT_MOVE_DATA ? *blocks : n) >= want) {
			settled = 1;
			if (end > vt_now_ms() + settle_ms)
				end = vt_now_ms() + settle_ms;
		}
	}
	return n;
}

/*
 * The window of trains: while the client's thread is stopped (it alone
 * answers moves on its segment), a 1 MiB MoveFrom has asked for exactly
 * V_WIRE_TRAIN_WINDOW whole trains, numbered one after the other, and a
 * 1 MiB MoveTo has sent exactly that many whole trains of blocks, and no
 * block of a later one.  Once the client runs again, both complete and
 * move the right bytes.
 */
TEST_F_TIMEOUT(net, remote_move_window, 90)
{
	const size_t len = 1 << 20;
	struct cspec s = cs(1, self->srv_id);
	struct v_msg reply = mk(V_OK, 0x3d);
	uint32_t xfers[8], ask_len = 0;
	struct mover mv;
	struct v_receive r;
	struct client c;
	struct cres res;
	struct vt_pk k;
	uint8_t *buf, *want;
	int n, blocks, i;

	buf = malloc(len);
	want = malloc(len);
	ASSERT_TRUE(buf && want);
	s.seg_len = len;
	s.access = SEG_RW;
	s.seed = 0x3d3d;
	/* The mover hears nothing while the client is stopped: not a host down. */
	ASSERT_EQ(0, vctl(0, "set host-down-ms %d", 30000 * vt_scale()));
	ASSERT_EQ(0, vt_pk_open("vkn1", VETH_NS, &k, vt_root_ns));
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	ASSERT_EQ(len, r.seg_len);

	for (mv.to_seg = 0; mv.to_seg < 2; mv.to_seg++) {
		ASSERT_EQ(0, kill(c.pid, SIGSTOP));
		ASSERT_EQ(0, vt_wait_state(c.pid, c.pid, 'T', MS_WAIT));
		while (recv(k.fd, buf, 64, 0) > 0)
			;	/* what came before */
		mv.fd = self->srv;
		mv.sender = r.sender;
		mv.off = 0;
		mv.buf = buf;
		mv.len = len;
		mv.ret = 1;
		if (mv.to_seg)
			fill(buf, len, 0x7e7e, 0);
		ASSERT_EQ(0, pthread_create(&mv.th, NULL, mover_main, &mv));
		n = watch_trains(&k, mv.to_seg ? V_PKT_MOVE_DATA : V_PKT_MOVE_FROM,
				 5000 * vt_scale(),
				 mv.to_seg ? V_WIRE_TRAIN_WINDOW * V_WIRE_TRAIN : V_WIRE_TRAIN_WINDOW,
				 500, xfers, 8, &blocks, &ask_len);
		TH_LOG("%s while the client is stopped: %d trains, first %u, %d blocks",
		       mv.to_seg ? "MoveTo" : "MoveFrom", n, n ? xfers[0] : 0, blocks);
		ASSERT_EQ(0, kill(c.pid, SIGCONT));
		ASSERT_EQ(0, pthread_join(mv.th, NULL));
		ASSERT_EQ(0, mv.ret);
		ASSERT_EQ(V_WIRE_TRAIN_WINDOW, n);
		for (i = 1; i < n; i++)
			ASSERT_EQ(xfers[0] + i, xfers[i]);
		if (mv.to_seg) {
			ASSERT_EQ(V_WIRE_TRAIN_WINDOW * V_WIRE_TRAIN, blocks);
		} else {
			ASSERT_EQ(MOVE_TRAIN(1500), ask_len);
			ASSERT_EQ(-1, pat_mismatch(buf, len, s.seed, 0));
		}
	}
	fill(want, len, 0x7e7e, 0);
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(hash_buf(want, len), res.hash);
	ASSERT_EQ(0, client_end(&c));
	close(k.fd);
	free(buf);
	free(want);
}

/* A PROT_NONE page and a read-only page: bad local buffers. */
static void *page_with(int prot)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x11, 4096);
	if (mprotect(p, 4096, prot)) {
		munmap(p, 4096);
		return NULL;
	}
	return p;
}

/*
 * Errors as local, for remote senders: EACCES without the access (or with
 * no segment), ERANGE outside the segment (nothing moved), EFAULT for a bad
 * local buffer (the client's segment unchanged), ENOENT for a sender not
 * held and after the Reply; the message stays held through every error.
 */
TEST_F_TIMEOUT(net, remote_move_errors, 60)
{
	struct cspec sa = cs(1, self->srv_id), sb = cs(2, self->srv_id);
	struct cspec sc = cs(1, self->srv_id), sd = cs(2, self->srv_id);
	struct v_msg reply = mk(V_OK, 0xe);
	struct v_receive ra, rb, rc, rd;
	struct client ca, cb, cc, cd;
	uint8_t buf[256], want[200], *none, *ro;
	struct cres res;

	none = page_with(PROT_NONE);
	ro = page_with(PROT_READ);
	ASSERT_TRUE(none && ro);
	sa.seg_len = sb.seg_len = sc.seg_len = 200;
	sa.access = SEG_RW;
	sb.access = V_SEG_READ;
	sc.access = V_SEG_WRITE;
	sa.seed = 41;
	sb.seed = 42;
	sc.seed = 43;
	ASSERT_EQ(0, spawn(&sa, &ca));
	ASSERT_EQ(0, recv_wait(self->srv, &ra, MS_WAIT));
	ASSERT_EQ(0, spawn(&sb, &cb));
	ASSERT_EQ(0, recv_wait(self->srv, &rb, MS_WAIT));
	ASSERT_EQ(0, spawn(&sc, &cc));
	ASSERT_EQ(0, recv_wait(self->srv, &rc, MS_WAIT));
	ASSERT_EQ(0, spawn(&sd, &cd));
	ASSERT_EQ(0, recv_wait(self->srv, &rd, MS_WAIT));
	ASSERT_EQ(SEG_RW, ra.seg_access);
	ASSERT_EQ(V_SEG_READ, rb.seg_access);
	ASSERT_EQ(V_SEG_WRITE, rc.seg_access);
	ASSERT_EQ(0, rd.seg_len);

	/* EACCES: the access not granted, or no segment at all. */
	memset(buf, 0x77, sizeof(buf));
	ASSERT_EQ(-EACCES, v_move_to(self->srv, rb.sender, 0, buf, 10));
	ASSERT_EQ(-EACCES, v_move_from(self->srv, rc.sender, 0, buf, 10));
	ASSERT_EQ(-EACCES, v_move_from(self->srv, rd.sender, 0, buf, 1));
	ASSERT_EQ(-EACCES, v_move_to(self->srv, rd.sender, 0, buf, 1));

	/* ERANGE outside the segment; length 0 at its end is fine. */
	ASSERT_EQ(-ERANGE, v_move_from(self->srv, ra.sender, 195, buf, 10));
	ASSERT_EQ(-ERANGE, v_move_from(self->srv, ra.sender, 201, buf, 0));
	ASSERT_EQ(-ERANGE, v_move_from(self->srv, ra.sender, 0, buf, 201));
	ASSERT_EQ(-ERANGE, v_move_to(self->srv, ra.sender, 195, buf, 10));
	ASSERT_EQ(-ERANGE, v_move_to(self->srv, ra.sender, 200, buf, 1));
	ASSERT_EQ(-ERANGE, v_move_to(self->srv, rc.sender, 1, buf, 200));
	ASSERT_EQ(-ERANGE, v_move_from(self->srv, rb.sender, ~0ULL, buf, 2));
	ASSERT_EQ(0, v_move_from(self->srv, ra.sender, 200, buf, 0));
	ASSERT_EQ(0, v_move_to(self->srv, ra.sender, 200, buf, 0));

	/* EFAULT: MoveTo from an unreadable buffer, MoveFrom into a read-only one. */
	ASSERT_EQ(-EFAULT, v_move_to(self->srv, ra.sender, 0, none, 100));
	ASSERT_EQ(-EFAULT, v_move_to(self->srv, rc.sender, 10, none, 190));
	ASSERT_EQ(-EFAULT, v_move_to(self->srv, ra.sender, 0, (void *)8, 100));
	ASSERT_EQ(-EFAULT, v_move_from(self->srv, rb.sender, 0, ro, 100));
	ASSERT_EQ(-EFAULT, v_move_from(self->srv, ra.sender, 0, none, 200));

	/* ENOENT: never held. */
	ASSERT_EQ(-ENOENT, v_move_from(self->srv, absent_id(self->hp[1]), 0, buf, 1));
	ASSERT_EQ(-ENOENT, v_move_to(self->srv, absent_id(self->hp[2]), 0, buf, 1));

	/* Still held after all that: the good calls work. */
	ASSERT_EQ(0, v_move_from(self->srv, ra.sender, 0, buf, 200));
	ASSERT_EQ(-1, pat_mismatch(buf, 200, 41, 0));
	ASSERT_EQ(0, v_move_from(self->srv, rb.sender, 0, buf, 200));
	ASSERT_EQ(-1, pat_mismatch(buf, 200, 42, 0));
	ASSERT_EQ(0, v_reply(self->srv, ra.sender, &reply));
	ASSERT_EQ(0, v_reply(self->srv, rb.sender, &reply));
	ASSERT_EQ(0, v_reply(self->srv, rc.sender, &reply));
	ASSERT_EQ(0, v_reply(self->srv, rd.sender, &reply));

	/* Every segment as it was: nothing of a failed move arrived. */
	ASSERT_EQ(0, client_result(&ca, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	fill(want, 200, 41, 0);
	ASSERT_EQ(hash_buf(want, 200), res.hash);
	ASSERT_EQ(0, client_result(&cb, &res));
	ASSERT_EQ(0, res.ret);
	fill(want, 200, 42, 0);
	ASSERT_EQ(hash_buf(want, 200), res.hash);
	ASSERT_EQ(0, client_result(&cc, &res));
	ASSERT_EQ(0, res.ret);
	fill(want, 200, 43, 0);
	ASSERT_EQ(hash_buf(want, 200), res.hash);
	ASSERT_EQ(0, client_result(&cd, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(0, client_end(&ca));
	ASSERT_EQ(0, client_end(&cb));
	ASSERT_EQ(0, client_end(&cc));
	ASSERT_EQ(0, client_end(&cd));

	/* ENOENT after the Reply. */
	ASSERT_EQ(-ENOENT, v_move_from(self->srv, ra.sender, 0, buf, 10));
	ASSERT_EQ(-ENOENT, v_move_to(self->srv, ra.sender, 0, buf, 10));
	ASSERT_EQ(-ENOENT, v_move_to(self->srv, rc.sender, 0, buf, 10));
	munmap(none, 4096);
	munmap(ro, 4096);
}

/*
 * netem_on()'s impairment on the host end of every veth only (one netem
 * per direction between two hosts, not two): for the bulk test, whose
 * time grows fast with the loss rate.
 */
static int netem_on_hosts(void)
{
	static const char netem[] = "netem loss 10% duplicate 5% reorder 25% delay 1ms";
	int i;

	for (i = 0; i < NH; i++)
		if (vt_sh("ip netns exec " NS_FMT " tc qdisc add dev " VETH_NS " root %s", i, netem))
			return -1;
	return 0;
}

/*
 * Under netem (loss, duplication, reordering, delay on the hosts' veths):
 * a 16 MiB MoveFrom and a 16 MiB MoveTo on a remote client's segment
 * arrive intact; the server host retransmitted.  (With netem_on(), on
 * both ends of every veth, this took 39 s + 34 s in the TCG guest.)
 */
TEST_F_TIMEOUT(net, netem_move_16mib, 240)
{
	const size_t len = 16 << 20;
	struct cspec s = cs(1, self->srv_id);
	struct v_msg reply = mk(V_OK, 16);
	long long retx0, retx1, retx2;
	struct v_receive r;
	struct client c;
	struct cres res;
	int64_t t0, t1, t2, t3;
	uint64_t h;
	uint8_t *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	s.seg_len = len;
	s.access = SEG_RW;
	s.seed = 0x1616;
	s.alarm_s = 200 * vt_scale();
	ASSERT_EQ(0, netem_on_hosts());
	retx0 = nstat(0, "retransmits");
	ASSERT_LE(0, retx0);
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(self->srv, &r, 3 * MS_WAIT));
	ASSERT_EQ(len, r.seg_len);
	t0 = vt_now_ms();
	ASSERT_EQ(0, v_move_from(self->srv, r.sender, 0, buf, len));
	t1 = vt_now_ms();
	ASSERT_EQ(-1, pat_mismatch(buf, len, s.seed, 0));
	retx1 = nstat(0, "retransmits");
	fill(buf, len, 0x6161, 0);
	h = hash_buf(buf, len);
	t2 = vt_now_ms();
	ASSERT_EQ(0, v_move_to(self->srv, r.sender, 0, buf, len));
	t3 = vt_now_ms();
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	ASSERT_EQ(h, res.hash);
	ASSERT_EQ(0, client_end(&c));
	retx2 = nstat(0, "retransmits");
	TH_LOG("16 MiB: MoveFrom %lld ms (+%lld retransmits), MoveTo %lld ms (+%lld "
	       "retransmits)", (long long)(t1 - t0), retx1 - retx0, (long long)(t3 - t2),
	       retx2 - retx1);
	ASSERT_LT(retx0, retx1);
	ASSERT_LT(retx1, retx2);
	munmap(buf, len);
}

/* ======================================================================== */
/* Forward to another host                                                  */

/*
 * A client on host cns (host 0: local to the forwarder) Sends to the
 * server on host 0 with a 5000-byte read/write segment; the server
 * forwards it to a process on host fns.  That process receives it as sent
 * by the client (forwarder = the server, remote creds, the segment grant),
 * moves data both ways on the client's segment and replies straight to the
 * client; the forwarder holds nothing any more.
 */
static void fwd_case(struct __test_metadata *_metadata, int srv, uint64_t srv_id,
		     const uint32_t *hp, int cns, int fns)
{
	enum { SEG = 5000, TO_OFF = 1001, TO_LEN = 3000 };
	static uint8_t buf[SEG + 1], want[SEG], data[TO_LEN];
	struct cspec s = cs(cns, srv_id);
	struct v_msg fwd = mk(0x0778, 0xf00 + cns), reply = mk(V_OK, 0x4321 + fns), expect;
	struct v_receive r, r2;
	struct client c;
	struct cres res;
	uint64_t fid;
	int fin;

	fin = ns_vopen(fns, 1);
	ASSERT_LE(0, fin);
	fid = vt_id(fin);
	ASSERT_EQ(hp[fns], v_id_host(fid));
	s.seg_len = SEG;
	s.access = SEG_RW;
	s.seed = 0x770 + cns;
	fill(want, SEG, s.seed, 0);
	fill(data, TO_LEN, 0x990 + fns, 0);
	memcpy(want + TO_OFF, data, TO_LEN);
	ASSERT_EQ(0, spawn(&s, &c));
	ASSERT_EQ(0, recv_wait(srv, &r, MS_WAIT));
	expect = req_msg(&s, c.pid);
	ASSERT_TRUE(msg_eq(&expect, &r.msg));
	ASSERT_EQ(hp[cns], v_id_host(r.sender));
	ASSERT_EQ(0, v_forward(srv, r.sender, fid, &fwd));
	/* The forwarder no longer holds it. */
	ASSERT_EQ(-ENOENT, v_reply(srv, r.sender, &reply));
	ASSERT_EQ(-ENOENT, v_move_from(srv, r.sender, 0, buf, 1));

	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, recv_wait_seg(fin, &r2, buf, SEG, MS_WAIT));
	ASSERT_EQ(r.sender, r2.sender);
	ASSERT_EQ(srv_id, r2.forwarder);
	ASSERT_EQ(0, r2.group);
	ASSERT_TRUE(msg_eq(&fwd, &r2.msg));
	ASSERT_EQ(hp[cns], r2.creds.host);
	ASSERT_EQ(0, r2.creds.uid);
	ASSERT_EQ(0, r2.creds.gid);
	if (cns != fns) {
		ASSERT_EQ(V_CRED_REMOTE, r2.creds.flags);
		ASSERT_EQ(0, r2.creds.pid);
	} else {
		/* Back on the client's own host: either view of the creds is fair. */
		TH_LOG("creds flags %u pid %u", r2.creds.flags, r2.creds.pid);
	}
	ASSERT_EQ(SEG, r2.seg_len);
	ASSERT_EQ(SEG_RW, r2.seg_access);
	ASSERT_GE(SEG, r2.copied);
	ASSERT_EQ(-1, pat_mismatch(buf, r2.copied, s.seed, 0));
	TH_LOG("client on host %d, receiver on host %d: ReceiveWithSegment copied %llu", cns,
	       fns, (unsigned long long)r2.copied);

	/* The final receiver reaches the client's segment both ways. */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(0, v_move_from(fin, r2.sender, 0, buf, SEG));
	EXPECT_EQ(-1, pat_mismatch(buf, SEG, s.seed, 0));
	EXPECT_EQ(0, v_move_from(fin, r2.sender, 4999, buf, 1));
	EXPECT_EQ(pat(s.seed, 4999), buf[0]);
	EXPECT_EQ(-ERANGE, v_move_from(fin, r2.sender, 4999, buf, 2));
	EXPECT_EQ(0, v_move_to(fin, r2.sender, TO_OFF, data, TO_LEN));
	ASSERT_EQ(0, v_reply(fin, r2.sender, &reply));
	ASSERT_EQ(0, client_result(&c, &res));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(fid, res.replier);
	ASSERT_TRUE(msg_eq(&reply, &res.msg));
	EXPECT_EQ(hash_buf(want, SEG), res.hash);
	ASSERT_EQ(0, client_end(&c));
	ASSERT_EQ(-ENOENT, v_reply(fin, r2.sender, &reply));
	ASSERT_EQ(-ENOENT, v_move_from(fin, r2.sender, 0, buf, 1));
	ASSERT_EQ(-ENOENT, v_reply(srv, r.sender, &reply));
	ASSERT_EQ(-EAGAIN, recv_now(fin, &r2));
	ASSERT_EQ(-EAGAIN, recv_now(srv, &r2));
	close(fin);
}

/* A remote client's message (host 2) forwarded from host 0 to host 1. */
TEST_F(net, forward_remote_to_other_host)
{
	fwd_case(_metadata, self->srv, self->srv_id, self->hp, 2, 1);
}

/*
 * The same with a cluster key on every host (each cross-host suite runs
 * keyed at least once): the client takes the answers of host 1 only as
 * host 0's FORWARDED tells it to, every frame tagged for its receiver.
 */
TEST_F(net, forward_remote_to_other_host_keyed)
{
	long long au;

	ASSERT_EQ(0, vt_topo_key(&topo, NET_KEY));
	au = nstat(0, "drop_auth") + nstat(1, "drop_auth") + nstat(2, "drop_auth");
	fwd_case(_metadata, self->srv, self->srv_id, self->hp, 2, 1);
	EXPECT_EQ(au, nstat(0, "drop_auth") + nstat(1, "drop_auth") + nstat(2, "drop_auth"));
}

/* A local client's message (host 0, as the forwarder) forwarded to host 1. */
TEST_F(net, forward_local_to_other_host)
{
	fwd_case(_metadata, self->srv, self->srv_id, self->hp, 0, 1);
}

/* A remote client's message forwarded back to a process on the client's host. */
TEST_F(net, forward_remote_back_to_client_host)
{
	fwd_case(_metadata, self->srv, self->srv_id, self->hp, 1, 1);
}

/*
 * Forward to a process that does not exist on a live host: the Forward
 * itself succeeds (the forwarder lets go), the client's Send fails with
 * ESRCH at once (the new host answers "no such process").  A remote
 * client to an id never handed out, a local one to a closed process.
 */
TEST_F(net, forward_to_absent_process_esrch)
{
	int cns[2] = { 2, 0 }, i, fd;
	struct v_msg fwd = mk(0x0779, 1), reply = mk(V_OK, 1);
	uint64_t to[2];

	to[0] = absent_id(self->hp[1]);
	fd = ns_vopen(1, 0);
	ASSERT_LE(0, fd);
	to[1] = vt_id(fd);
	close(fd);
	for (i = 0; i < 2; i++) {
		struct cspec s = cs(cns[i], self->srv_id);
		struct v_receive r;
		struct client c;
		struct cres res;
		int64_t t0;

		s.seg_len = 100;
		s.access = V_SEG_READ;
		ASSERT_EQ(0, spawn(&s, &c));
		ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
		t0 = vt_now_ms();
		ASSERT_EQ(0, v_forward(self->srv, r.sender, to[i], &fwd)) TH_LOG("case %d", i);
		ASSERT_EQ(0, client_result(&c, &res));
		ASSERT_EQ(-ESRCH, res.ret) TH_LOG("case %d: client on host %d", i, cns[i]);
		TH_LOG("case %d: ESRCH %lld ms after the Forward", i,
		       (long long)(vt_now_ms() - t0));
		ASSERT_GT(2500 * vt_scale(), vt_now_ms() - t0);
		ASSERT_EQ(0, client_end(&c));
		ASSERT_EQ(-ENOENT, v_reply(self->srv, r.sender, &reply));
	}
}

/* ======================================================================== */
/* GetPid with remote scope                                                 */

/* GetPid through the ioctl with a remote wait of ms; elapsed ms out. */
static int getpid_timed(int fd, uint32_t lid, unsigned int scope, unsigned int ms,
			uint64_t *pid, int64_t *elapsed)
{
	struct v_pid p;
	int64_t t0 = vt_now_ms();
	int ret;

	memset(&p, 0, sizeof(p));
	p.logical_id = lid;
	p.scope = scope;
	p.timeout_ns = (uint64_t)ms * 1000000ULL;
	ret = ioctl(fd, V_IOC_GET_PID, &p) ? -errno : 0;
	*elapsed = vt_now_ms() - t0;
	*pid = p.pid;
	return ret;
}

/*
 * SetPid with remote scope on host 1 is found by GetPid from hosts 2 and 0
 * (scope REMOTE and BOTH) and names a process one can Send to; a local-only
 * registration, an unregistered id, an unregistered and a closed process's
 * registration are not found remotely: ESRCH after the wait.
 */
TEST_F_TIMEOUT(net, getpid_remote_scope, 60)
{
	enum { LID = 4242, LID_LOCAL = 4243, LID_NONE = 4244, LID_BOTH = 4245 };
	uint64_t id1, pid;
	int64_t ms;
	int fd1, fd2, fd0;

	fd1 = ns_vopen(1, 1);
	fd2 = ns_vopen(2, 0);
	fd0 = ns_vopen(0, 0);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_LE(0, fd0);
	id1 = vt_id(fd1);
	ASSERT_EQ(0, v_set_pid(fd1, LID, id1, V_SCOPE_REMOTE));
	ASSERT_EQ(0, v_set_pid(fd1, LID_LOCAL, id1, V_SCOPE_LOCAL));
	ASSERT_EQ(0, v_set_pid(fd1, LID_BOTH, id1, V_SCOPE_BOTH));

	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd2, LID, V_SCOPE_REMOTE, &pid));
	ASSERT_EQ(id1, pid);
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd2, LID, V_SCOPE_BOTH, &pid));
	ASSERT_EQ(id1, pid);
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd0, LID, V_SCOPE_REMOTE, &pid));
	ASSERT_EQ(id1, pid);
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd2, LID_BOTH, V_SCOPE_REMOTE, &pid));
	ASSERT_EQ(id1, pid);
	/* Host 1 itself finds the local and the both-scope registrations. */
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd1, LID_LOCAL, V_SCOPE_LOCAL, &pid));
	ASSERT_EQ(id1, pid);
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd1, LID_BOTH, V_SCOPE_LOCAL, &pid));
	ASSERT_EQ(id1, pid);

	/* The id found is the process: a Send from host 2 reaches it. */
	round_trip(_metadata, fd1, 2, pid);

	/* Local scope only: not found from another host, after the wait. */
	ASSERT_EQ(-ESRCH, getpid_timed(fd2, LID_LOCAL, V_SCOPE_REMOTE, 300, &pid, &ms));
	TH_LOG("local-only registration, remote GetPid: ESRCH after %lld ms", (long long)ms);
	ASSERT_LE(250, ms);
	ASSERT_GT(2000 * vt_scale(), ms);
	ASSERT_EQ(-ESRCH, getpid_timed(fd2, LID_LOCAL, V_SCOPE_BOTH, 300, &pid, &ms));
	ASSERT_LE(250, ms);
	ASSERT_GT(2000 * vt_scale(), ms);
	/* Nobody has it. */
	ASSERT_EQ(-ESRCH, getpid_timed(fd0, LID_NONE, V_SCOPE_REMOTE, 300, &pid, &ms));
	ASSERT_LE(250, ms);
	ASSERT_GT(2000 * vt_scale(), ms);
	/* The default wait (V_GETPID_TIMEOUT_MS). */
	ms = vt_now_ms();
	ASSERT_EQ(-ESRCH, v_get_pid(fd2, LID_NONE, V_SCOPE_BOTH, &pid));
	ms = vt_now_ms() - ms;
	TH_LOG("unregistered id, default wait: ESRCH after %lld ms", (long long)ms);
	ASSERT_LE(V_GETPID_TIMEOUT_MS - 50, ms);
	ASSERT_GT(3 * V_GETPID_TIMEOUT_MS * vt_scale(), ms);

	/* Unregistered: gone remotely too. */
	ASSERT_EQ(0, v_set_pid(fd1, LID, 0, V_SCOPE_REMOTE));
	ASSERT_EQ(-ESRCH, getpid_timed(fd2, LID, V_SCOPE_REMOTE, 300, &pid, &ms));
	/* The registered process closes: gone remotely too. */
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd2, LID_BOTH, V_SCOPE_REMOTE, &pid));
	ASSERT_EQ(id1, pid);
	close(fd1);
	ASSERT_EQ(-ESRCH, getpid_timed(fd2, LID_BOTH, V_SCOPE_REMOTE, 300, &pid, &ms));
	close(fd2);
	close(fd0);
}

/*
 * The same logical id registered with remote scope on hosts 1 and 2: a
 * GetPid from host 0 gets one of them (first answer wins); from host 1 the
 * other host's (its own is not remote to it), and with scope BOTH host 1's
 * own when it registered with local scope too.
 */
TEST_F(net, getpid_remote_two_hosts)
{
	enum { LID = 5151 };
	uint64_t id1, id2, pid;
	int fd1, fd2, fd0;

	fd1 = ns_vopen(1, 0);
	fd2 = ns_vopen(2, 0);
	fd0 = ns_vopen(0, 0);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_LE(0, fd0);
	id1 = vt_id(fd1);
	id2 = vt_id(fd2);
	ASSERT_EQ(0, v_set_pid(fd1, LID, id1, V_SCOPE_BOTH));
	ASSERT_EQ(0, v_set_pid(fd2, LID, id2, V_SCOPE_REMOTE));
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd0, LID, V_SCOPE_REMOTE, &pid));
	ASSERT_TRUE(pid == id1 || pid == id2) TH_LOG("pid %llx", (unsigned long long)pid);
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd1, LID, V_SCOPE_REMOTE, &pid));
	ASSERT_EQ(id2, pid);
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd2, LID, V_SCOPE_REMOTE, &pid));
	ASSERT_EQ(id1, pid);
	pid = 0;
	ASSERT_EQ(0, v_get_pid(fd1, LID, V_SCOPE_BOTH, &pid));
	ASSERT_EQ(id1, pid);
	close(fd1);
	close(fd2);
	close(fd0);
}

/* ======================================================================== */
/* vctl                                                                     */

TEST_F(net, vctl_link_and_host_show)
{
	char out[4096];
	long long rx0[2], tx0[2], rx1, tx1;
	int i;

	ASSERT_EQ(0, vctl_out(1, "link show", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, VETH_NS)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "mtu 1500"));
	ASSERT_NE(NULL, strstr(out, "state up"));
	ASSERT_EQ(0, vctl_out(1, "-j link show", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "\"ifname\":\"" VETH_NS "\"")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"up\":true"));
	ASSERT_EQ(1500, vt_json_num(out, "mtu"));

	/* host show agrees with the ids of the host's sockets. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vctl_out(i, "-j host show", out, sizeof(out)));
		ASSERT_EQ('{', out[0]) TH_LOG("%s", out);
		ASSERT_EQ(self->hp[i], vt_json_num(out, "host_part"));
		ASSERT_LE(0, vt_json_num(out, "host_down_ms"));
		ASSERT_LE(1, vt_json_num(out, "max_aliens"));
		ASSERT_NE(NULL, strstr(out, "\"stats\":{"));
		rx0[i] = vt_json_num(out, "rx_frames");
		tx0[i] = vt_json_num(out, "tx_frames");
		ASSERT_LE(0, rx0[i]);
		ASSERT_LE(0, tx0[i]);
	}
	ASSERT_EQ(0, vctl_out(0, "-j host show", out, sizeof(out)));
	ASSERT_EQ(1, vt_json_num(out, "processes"));	/* self->srv */

	round_trip(_metadata, self->srv, 1, self->srv_id);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vctl_out(i, "-j host show", out, sizeof(out)));
		rx1 = vt_json_num(out, "rx_frames");
		tx1 = vt_json_num(out, "tx_frames");
		TH_LOG("host %d: rx %lld -> %lld, tx %lld -> %lld", i, rx0[i], rx1, tx0[i], tx1);
		ASSERT_LT(rx0[i], rx1);
		ASSERT_LT(tx0[i], tx1);
	}
	/* The text form and the settings. */
	ASSERT_EQ(0, vctl(1, "set host-down-ms 700 max-aliens 77"));
	ASSERT_EQ(0, vctl_out(1, "host show", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "host-down-ms 700")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "max-aliens 77"));
	ASSERT_NE(NULL, strstr(out, "rx_frames "));
}

/* The host part is fixed once links exist; a link is attached once. */
TEST_F(net, vctl_host_part_busy_and_link_exists)
{
	char out[1024];

	ASSERT_EQ(1, vctl(1, "set host-part 12345"));
	ASSERT_EQ(0, vctl_out(1, "-j host show", out, sizeof(out)));
	ASSERT_EQ(self->hp[1], vt_json_num(out, "host_part"));
	ASSERT_EQ(1, vctl(1, "link add dev " VETH_NS " insecure"));
	ASSERT_EQ(0, vctl(1, "link del dev " VETH_NS));
	ASSERT_EQ(1, vctl(1, "link del dev " VETH_NS));
	ASSERT_EQ(0, vctl(1, "link add dev " VETH_NS " insecure"));
	round_trip(_metadata, self->srv, 1, self->srv_id);
}

/*
 * Module unload with links attached in every namespace, once all V
 * sockets are closed; a fresh load starts with no links (and works).
 * Last in the file: it reloads vkmod for the runner's final rmmod.
 */
TEST_F_TIMEOUT(net, module_unload_with_links_attached, 60)
{
	char out[1024];
	int64_t end;
	int ret;

	round_trip(_metadata, self->srv, 1, self->srv_id);
	round_trip(_metadata, self->srv, 2, self->srv_id);
	ASSERT_EQ(0, vctl_out(0, "link show", out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, VETH_NS));
	close(self->srv);
	self->srv = -1;
	end = vt_now_ms() + MS_WAIT * vt_scale();
	do {
		ret = vt_module_unload() ? -errno : 0;
		if (ret == 0)
			break;
		usleep(50000);
	} while (vt_now_ms() < end);
	ASSERT_EQ(0, ret) TH_LOG("rmmod: %s", strerror(-ret));
	ASSERT_FALSE(vt_module_loaded());
	ASSERT_EQ(0, vt_module_load(NULL)) TH_LOG("reload: %s", strerror(errno));
	ASSERT_TRUE(vt_module_loaded());
	/* The new module knows no links: attach them again and talk. */
	ASSERT_EQ(0, vctl_out(0, "-j link show", out, sizeof(out)));
	ASSERT_EQ(NULL, strstr(out, VETH_NS)) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(0, "link add dev " VETH_NS " insecure"));
	ASSERT_EQ(0, vctl(1, "link add dev " VETH_NS " insecure"));
	self->srv = ns_vopen(0, 1);
	ASSERT_LE(0, self->srv);
	self->srv_id = vt_id(self->srv);
	round_trip(_metadata, self->srv, 1, self->srv_id);
}

VT_HARNESS_MAIN
