// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "fault": vkmod under faults, hostile frames and hostile users.
 *
 *   netem_*        loss, duplication, reordering (netem inside the guest):
 *                  every transaction completes exactly once with the right
 *                  reply, or fails with EHOSTUNREACH to its caller; the
 *                  server counts its executions per (client, seq).
 *   partition_*    a partition that heals (netem loss 100%, a bridge port
 *                  down): Sends started during it fail within the host-down
 *                  bound, or complete after healing, exactly once.
 *   crash_*        a host that crashes while it holds a message: its
 *                  process killed (ESRCH), its interface deleted
 *                  (EHOSTUNREACH), its namespace deleted.
 *   kill_*_move_*  a process killed in the middle of a large remote MoveTo /
 *                  MoveFrom, client or server: the other side gets a clean
 *                  error, aliens drain back to 0.
 *   group_send_under_loss  each member executes each group Send once and
 *                  GetReply collects every reply.
 *   wire_*         frames injected with AF_PACKET on host 0's bridge port:
 *                  each dropped and counted by reason, no effect on a
 *                  concurrent real transaction, memory back to baseline.
 *   seg_*, netns_*, userns_*, lid_*   segment access on every path, network
 *                  namespace isolation, user namespaces and capabilities.
 *   rmmod_refused_while_blocked  (last) rmmod refused while processes are
 *                  blocked in Send / Receive, which then complete; rmmod and
 *                  insmod afterwards.
 *
 * Topology (built afresh for every test): namespaces vkx0..vkx2 (three V
 * hosts), each with a veth vkxe whose peer vkxhN sits in the bridge vkxbr;
 * every vkxe attached to V.  The test process serves on host 0 (self->srv);
 * children are clients, servers and members; children never ASSERT: they
 * report through pipes and exit non-zero on a failed check (CK).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include "vtest.h"
#include "vwire.h"
#define VT_KIDS_MAX	64
#define VT_KID_ALARM_S	90
#include "vkids.h"
#include "kselftest_harness.h"

#define NH		3
#define VETH		"vkxe"
#define MS_WAIT		10000		/* ordinary bounded waits (scaled) */
#define REQ_CODE	0x0fa1
#define MAXSEQ		256
#define MAXTHR		4
#define SRV_IDS		32
#define FAKE_HP		0x2f0f0f1U	/* a host part nobody owns */
#define SEG_RW		(V_SEG_READ | V_SEG_WRITE)

static const struct vt_topo topo = { "vkx%d", "vkxh%d", VETH, "vkxbr", NH, .netem = 1 };
static const uint8_t fake_mac[ETH_ALEN] = { 0x02, 0x76, 0x6b, 0x0f, 0x0f, 0x01 };

static const char *hname(int h)
{
	return vt_topo_ns(&topo, h);
}

/* `vctl ARGS` inside host h (h < 0: here), quietly: its exit status. */
#define vctl(h, ...)	vt_topo_vctl(&topo, (h), __VA_ARGS__)

static long long nstat(int h, const char *name)
{
	return vt_stat(hname(h), name);
}

/* A number of `vctl -j host show` of host h, or -1. */
static long long hshow(int h, const char *name)
{
	return vt_host_show(hname(h), name);
}

/* Wait (up to ms, scaled) until host h holds no alien; the last count. */
static long long aliens_zero(int h, int ms)
{
	return vt_host_num_wait(vt_host_show, hname(h), "aliens", 0, 0, ms, 100);
}

/* Wait (up to MS_WAIT, scaled) until counter name of host h is > than. */
static long long nstat_wait(int h, const char *name, long long than)
{
	return vt_stat_wait_above(hname(h), name, than, MS_WAIT, 50);
}

/* netem on host h's veth (egress of that host). */
static int netem(int h, const char *spec)
{
	return vt_sh("ip netns exec %s tc qdisc add dev " VETH " root netem %s", hname(h), spec);
}

/* Receive on the O_NONBLOCK socket fd, waiting up to ms (scaled); -ETIME. */
static int recv_wait(int fd, struct v_receive *r, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int ret;

	for (;;) {
		memset(r, 0, sizeof(*r));
		ret = v_receive_ex(fd, r);
		if (ret != -EAGAIN)
			return ret;
		if (vt_now_ms() > end)
			return -ETIME;
		vt_wait_poll(fd, POLLIN, 20);
	}
}

/* ------------------------------------------------------------------------ */
/* Requests and replies of the loop clients                                 */

/* vkids.h's loop requests, tag 0; the server answers vt_loop_reply(request). */
static struct v_msg lreq(uint64_t self, uint32_t seq)
{
	return vt_loop_req(REQ_CODE, self, 0, seq);
}

/* What one thread of a loop client reports. */
struct tres {
	uint64_t id;
	int32_t n;
	int8_t ret[MAXSEQ];	/* 0 ok, 1 wrong reply, else -errno */
};

struct lspec {
	int h, threads, count;
	uint64_t dst;
};

struct lthr {
	pthread_t th;
	const struct lspec *s;
	struct tres r;
};

static void *lthread(void *p)
{
	struct lthr *t = p;
	int fd = v_open(), i, ret;

	t->r.n = t->s->count;
	if (fd < 0 || v_self(fd, &t->r.id)) {
		memset(t->r.ret, -EBADF, sizeof(t->r.ret));
		return NULL;
	}
	for (i = 0; i < t->s->count; i++) {
		struct v_send sv;
		struct v_msg want;

		memset(&sv, 0, sizeof(sv));
		sv.dst = t->s->dst;
		sv.msg = lreq(t->r.id, i);
		want = vt_loop_reply(&sv.msg);
		ret = v_send_ex(fd, &sv);
		t->r.ret[i] = ret ? ret : !msg_eq(&want, &sv.msg) || sv.replier != t->s->dst;
	}
	close(fd);
	return NULL;
}

struct kid {
	pid_t pid;
	int rfd;
};

/* A loop client: threads V processes on host s->h, count Sends each. */
static int spawn_loop(const struct lspec *s, struct kid *k)
{
	int p[2], i;

	if (pipe(p))
		return -1;
	k->pid = kid_fork(240 * vt_scale());
	if (k->pid == 0) {
		struct lthr t[MAXTHR];

		close(p[0]);
		memset(t, 0, sizeof(t));
		CK(s->threads <= MAXTHR && s->count <= MAXSEQ);
		CKEQ(0, vt_ns_enter(hname(s->h)));
		for (i = 0; i < s->threads; i++) {
			t[i].s = s;
			CKEQ(0, pthread_create(&t[i].th, NULL, lthread, &t[i]));
		}
		static struct tres all[MAXTHR];

		for (i = 0; i < s->threads; i++) {
			pthread_join(t[i].th, NULL);
			all[i] = t[i].r;
		}
		/* One write (under PIPE_BUF): the parent reads it all at once. */
		CK(write(p[1], all, sizeof(all[0]) * s->threads) ==
		   (ssize_t)(sizeof(all[0]) * s->threads));
		_exit(0);
	}
	close(p[1]);
	k->rfd = p[0];
	return k->pid > 0 ? 0 : -1;
}

/* Executions a server counted, per client id and seq. */
struct srvstat {
	int nids;
	uint64_t ids[SRV_IDS];
	uint16_t cnt[SRV_IDS][MAXSEQ];
	int total, bad, reply_err;
};

static int srv_idx(struct srvstat *st, uint64_t id)
{
	int i;

	for (i = 0; i < st->nids; i++)
		if (st->ids[i] == id)
			return i;
	if (st->nids == SRV_IDS)
		return -1;
	st->ids[st->nids] = id;
	return st->nids++;
}

/* Serve one loop request r on fd. */
static void srv_one(int fd, struct srvstat *st, const struct v_receive *r)
{
	uint64_t id = v_msg_get64(&r->msg, 16);
	uint32_t seq = v_msg_get32(&r->msg, 8);
	struct v_msg rep = vt_loop_reply(&r->msg);
	int i;

	st->total++;
	if (v_msg_code(&r->msg) != REQ_CODE || id != r->sender || seq >= MAXSEQ ||
	    v_msg_get64(&r->msg, 24) != mix64(id ^ seq) || (i = srv_idx(st, id)) < 0)
		st->bad++;
	else
		st->cnt[i][seq]++;
	if (v_reply(fd, r->sender, &rep))
		st->reply_err++;
}

/*
 * Serve on the O_NONBLOCK fd until every kid in k[0..n) closed its result
 * pipe (results read into res, threads per kid), then grace ms more.
 */
static int serve(int fd, struct srvstat *st, struct kid *k, int n, int threads,
		 struct tres *res, int ms, int grace)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale(), gend = 0;
	int done[8] = { 0 }, ndone = 0, i, ret;
	struct v_receive r;

	for (;;) {
		memset(&r, 0, sizeof(r));
		ret = v_receive_ex(fd, &r);
		if (ret == 0) {
			srv_one(fd, st, &r);
			continue;
		}
		if (ret != -EAGAIN)
			return ret;
		for (i = 0; i < n; i++) {
			struct pollfd p = { .fd = k[i].rfd, .events = POLLIN };

			if (done[i] || poll(&p, 1, 0) != 1)
				continue;
			if (vt_read_full(k[i].rfd, &res[i * threads], sizeof(*res) * threads,
					 MS_WAIT))
				return -EPIPE;
			done[i] = 1;
			if (++ndone == n)
				gend = vt_now_ms() + grace;
		}
		if (gend && vt_now_ms() > gend)
			return 0;
		if (!gend && vt_now_ms() > end)
			return -ETIME;
		vt_wait_poll(fd, POLLIN, 10);
	}
}

/*
 * Exactly once: no request executed twice; every success executed once;
 * every failure is EHOSTUNREACH.  Counts successes into *ok.
 */
static int check_once(struct __test_metadata *_metadata, struct srvstat *st,
		      const struct tres *res, int nres, int count, int *ok)
{
	int i, j, x, bad = 0;

	*ok = 0;
	for (i = 0; i < st->nids; i++)
		for (j = 0; j < MAXSEQ; j++)
			if (st->cnt[i][j] > 1) {
				TH_LOG("client %#llx seq %d executed %d times",
				       (unsigned long long)st->ids[i], j, st->cnt[i][j]);
				bad++;
			}
	for (i = 0; i < nres; i++) {
		x = -1;
		for (j = 0; j < st->nids; j++)
			if (st->ids[j] == res[i].id)
				x = j;
		for (j = 0; j < count; j++) {
			int ex = x < 0 ? 0 : st->cnt[x][j];

			if (res[i].ret[j] == 0 && ex == 1) {
				(*ok)++;
			} else if (res[i].ret[j] == -EHOSTUNREACH && ex <= 1) {
				continue;
			} else {
				if (bad++ < 8)
					TH_LOG("client %d seq %d: ret %d, executed %d", i, j,
					       res[i].ret[j], ex);
			}
		}
	}
	return bad;
}

/* ------------------------------------------------------------------------ */
/* A scripted single Send (client child)                                    */

struct cspec {
	int h;
	uint64_t dst;
	size_t seg_len;
	unsigned int access;
	uint32_t seed;
	uint64_t arg;
	int linger;		/* stay (V process open) after reporting, until killed */
};

struct cres {
	int ret;
	int32_t pad;
	int64_t ms;
	uint64_t replier, hash;
	struct v_msg msg;
};

/* The child reports its id first, then its cres. */
static int spawn_send(const struct cspec *s, struct kid *k)
{
	int p[2];

	if (pipe(p))
		return -1;
	k->pid = kid_fork(0);
	if (k->pid == 0) {
		struct v_send sv;
		struct cres res;
		uint8_t *seg = NULL;
		uint64_t id;
		int64_t t0;
		int fd;

		close(p[0]);
		CKEQ(0, vt_ns_enter(hname(s->h)));
		fd = v_open();
		CK(fd >= 0);
		id = vt_id(fd);
		if (s->seg_len) {
			seg = mmap(NULL, s->seg_len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			CK(seg != MAP_FAILED);
			fill(seg, s->seg_len, s->seed, 0);
		}
		CK(write(p[1], &id, 8) == 8);
		memset(&sv, 0, sizeof(sv));
		memset(&res, 0, sizeof(res));
		sv.dst = s->dst;
		sv.seg_addr = (uintptr_t)seg;
		sv.seg_len = s->seg_len;
		sv.seg_access = s->access;
		sv.msg = mk(REQ_CODE, s->arg);
		t0 = vt_now_ms();
		res.ret = v_send_ex(fd, &sv);
		res.ms = vt_now_ms() - t0;
		res.replier = sv.replier;
		res.msg = sv.msg;
		res.hash = seg ? hash_buf(seg, s->seg_len) : 0;
		CK(write(p[1], &res, sizeof(res)) == sizeof(res));
		while (s->linger)
			pause();
		_exit(0);
	}
	close(p[1]);
	k->rfd = p[0];
	return k->pid > 0 ? 0 : -1;
}

static uint64_t kid_id(struct kid *k)
{
	return vt_kid_read_id(k->rfd, 2 * MS_WAIT);
}

static int send_result(struct kid *k, struct cres *r, int ms)
{
	return vt_kid_read(k->rfd, r, sizeof(*r), ms);
}

static int kid_end(struct kid *k)
{
	return vt_kid_end(k->pid, k->rfd);
}

static struct cspec cs(int h, uint64_t dst)
{
	struct cspec s;

	memset(&s, 0, sizeof(s));
	s.h = h;
	s.dst = dst;
	s.arg = 0x5151;
	return s;
}

/*
 * A server child on host h: reports its id, Receives one message, reports
 * the sender, then by mode: 0 waits (to be killed), 1 MoveFrom / 2 MoveTo
 * of the whole segment (a byte 'm' just before), reporting the result.
 */
static int spawn_server(int h, int mode, struct kid *k)
{
	int p[2];

	if (pipe(p))
		return -1;
	k->pid = kid_fork(0);
	if (k->pid == 0) {
		struct v_receive r;
		uint8_t *buf = NULL;
		int fd, ret;

		close(p[0]);
		CKEQ(0, vt_ns_enter(hname(h)));
		fd = v_open();
		CK(fd >= 0);
		ret = (int)write(p[1], &(uint64_t){ vt_id(fd) }, 8);
		CK(ret == 8);
		memset(&r, 0, sizeof(r));
		CKEQ(0, v_receive_ex(fd, &r));
		CK(write(p[1], &r.sender, 8) == 8);
		if (mode) {
			buf = mmap(NULL, r.seg_len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			CK(buf != MAP_FAILED);
			memset(buf, 0x3c, r.seg_len);
			CK(write(p[1], "m", 1) == 1);
			ret = mode == 1 ? v_move_from(fd, r.sender, 0, buf, r.seg_len) :
					  v_move_to(fd, r.sender, 0, buf, r.seg_len);
			CK(write(p[1], &ret, sizeof(ret)) == sizeof(ret));
		}
		pause();
		_exit(0);
	}
	close(p[1]);
	k->rfd = p[0];
	return k->pid > 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/* The fixture                                                              */

FIXTURE(fault) {
	pid_t owner;
	int ready;
	uint32_t hp[NH];
	int srv;		/* O_NONBLOCK V process on host 0 */
	uint64_t srv_id;
};

FIXTURE_SETUP(fault)
{
	int i, fd;

	self->owner = getpid();
	self->srv = -1;
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	if (!vt_module_loaded())
		ASSERT_EQ(0, vt_module_load(NULL));
	if (vt_topo_exists(&topo))
		vt_topo_destroy(&topo);
	self->ready = 1;
	ASSERT_EQ(0, vt_topo_create(&topo)) TH_LOG("cannot build the hosts");
	for (i = 0; i < NH; i++) {
		fd = vt_ns_vopen(hname(i), 0);
		ASSERT_LE(0, fd);
		self->hp[i] = v_id_host(vt_id(fd));
		close(fd);
		if (vt_scale() > 1)
			ASSERT_EQ(0, vctl(i, "set host-down-ms %d", vt_down_ms_scaled()));
	}
	ASSERT_NE(self->hp[0], self->hp[1]);
	ASSERT_NE(self->hp[1], self->hp[2]);
	ASSERT_NE(self->hp[0], self->hp[2]);
	self->srv = vt_ns_vopen(hname(0), 1);
	ASSERT_LE(0, self->srv);
	self->srv_id = vt_id(self->srv);
}

FIXTURE_TEARDOWN(fault)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	vt_topo_teardown(&topo, self->srv, self->ready);
	vt_sh("ip netns del vkxiso >/dev/null 2>&1");
	/* Later suites and the runner's final rmmod need the module. */
	if (!vt_module_loaded())
		vt_module_load(NULL);
	vt_root_close();
}

/* ======================================================================== */
/* netem: loss, duplication, reordering                                     */

/*
 * Two client hosts, threads x count Sends each, under netem spec on every
 * host's veth: exactly once, at least min_pct percent succeed.
 */
static void netem_case(struct __test_metadata *_metadata, int srv, const char *spec,
		       int threads, int count, int min_pct, const char *counter)
{
	struct lspec l1 = { 1, threads, count, 0 }, l2 = { 2, threads, count, 0 };
	static struct srvstat st;
	struct tres res[2 * MAXTHR];
	long long c0[NH], c1[NH], retx0, retx1;
	struct kid k[2];
	int i, ok, bad;

	l1.dst = l2.dst = vt_id(srv);
	for (i = 0; i < NH; i++) {
		ASSERT_EQ(0, vctl(i, "set host-down-ms 10000"));
		ASSERT_EQ(0, netem(i, spec)) TH_LOG("netem %s", spec);
		c0[i] = nstat(i, counter);
	}
	retx0 = nstat(1, "retransmits") + nstat(2, "retransmits");
	memset(&st, 0, sizeof(st));
	memset(res, 0, sizeof(res));
	ASSERT_EQ(0, spawn_loop(&l1, &k[0]));
	ASSERT_EQ(0, spawn_loop(&l2, &k[1]));
	ASSERT_EQ(0, serve(srv, &st, k, 2, threads, res, 200000, 1500));
	ASSERT_EQ(0, kid_end(&k[0]));
	ASSERT_EQ(0, kid_end(&k[1]));
	bad = check_once(_metadata, &st, res, 2 * threads, count, &ok);
	for (i = 0; i < NH; i++)
		c1[i] = nstat(i, counter);
	retx1 = nstat(1, "retransmits") + nstat(2, "retransmits");
	TH_LOG("%s: %d of %d succeeded, %d executions, retransmits +%lld, %s +%lld/+%lld/+%lld",
	       spec, ok, 2 * threads * count, st.total, retx1 - retx0, counter, c1[0] - c0[0],
	       c1[1] - c0[1], c1[2] - c0[2]);
	ASSERT_EQ(0, bad);
	ASSERT_EQ(0, st.bad);
	ASSERT_EQ(0, st.reply_err);
	ASSERT_LE(2 * threads * count * min_pct / 100, ok);
	/* The fault was there: the counter it makes rose somewhere. */
	ASSERT_LT(c0[0] + c0[1] + c0[2], c1[0] + c1[1] + c1[2]);
}

TEST_F_TIMEOUT(fault, netem_loss_30, 240)
{
	netem_case(_metadata, self->srv, "loss 30%", 2, 40, 95, "retransmits");
}

TEST_F_TIMEOUT(fault, netem_duplicate_50, 180)
{
	/* Duplicated requests are answered from the alien, never run again. */
	netem_case(_metadata, self->srv, "duplicate 50%", 2, 60, 100, "duplicates");
}

TEST_F_TIMEOUT(fault, netem_reorder_loss_dup, 240)
{
	netem_case(_metadata, self->srv, "loss 30% duplicate 10% reorder 25% delay 1ms", 3, 30,
		   95, "retransmits");
}

/* ======================================================================== */
/* Partitions that heal                                                     */

/*
 * Host 1 cut off by cut / healed by heal (shell commands).  Phase 1: a Send
 * started during the partition fails with EHOSTUNREACH within the bound,
 * and was never executed.  Phase 2: a request that arrived and is held;
 * partition; the Reply is lost; heal: the client gets it from the reply
 * cache, executed once.  Phase 3: a Send started during the partition
 * completes after healing, executed once.
 */
static void partition_case(struct __test_metadata *_metadata, int srv, const char *cut,
			   const char *heal)
{
	uint64_t sid = vt_id(srv);
	struct v_msg rep = mk(V_OK, 77);
	struct cspec s = cs(1, sid);
	long long dup0, retx0;
	struct v_receive r;
	struct kid k;
	struct cres res;

	/* Phase 1 */
	ASSERT_EQ(0, vctl(1, "set host-down-ms 1500"));
	ASSERT_EQ(0, vt_sh("%s", cut));
	ASSERT_EQ(0, spawn_send(&s, &k));
	ASSERT_NE(0, kid_id(&k));
	ASSERT_EQ(0, send_result(&k, &res, 4 * MS_WAIT));
	ASSERT_EQ(-EHOSTUNREACH, res.ret);
	TH_LOG("during the partition: EHOSTUNREACH after %lld ms (bound 1500)", (long long)res.ms);
	ASSERT_LE(1400, res.ms);
	ASSERT_GT(1500 + 3000 * vt_scale(), res.ms);
	ASSERT_EQ(0, kid_end(&k));
	ASSERT_EQ(0, vt_sh("%s", heal));
	ASSERT_EQ(-ETIME, recv_wait(srv, &r, 300));

	/*
	 * Phase 2.  Both hosts wait as long: the server keeps a reply for its
	 * own host-down bound (+1 s), and the client retransmits for its own.
	 */
	ASSERT_EQ(0, vctl(1, "set host-down-ms 30000"));
	ASSERT_EQ(0, vctl(0, "set host-down-ms 30000"));
	s.arg = 2;
	ASSERT_EQ(0, spawn_send(&s, &k));
	ASSERT_NE(0, kid_id(&k));
	ASSERT_EQ(0, recv_wait(srv, &r, MS_WAIT));
	ASSERT_EQ(2, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(0, vt_sh("%s", cut));
	dup0 = nstat(0, "duplicates");
	ASSERT_EQ(0, v_reply(srv, r.sender, &rep));	/* lost */
	usleep(1500000);
	ASSERT_EQ(0, vt_wait_blocked(k.pid, k.pid, MS_WAIT));
	ASSERT_EQ(0, vt_sh("%s", heal));
	ASSERT_EQ(0, send_result(&k, &res, 4 * MS_WAIT));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&rep, &res.msg));
	ASSERT_EQ(0, kid_end(&k));
	ASSERT_EQ(-ETIME, recv_wait(srv, &r, 500));	/* not executed again */
	ASSERT_LT(dup0, nstat(0, "duplicates"));	/* answered from the cache */

	/* Phase 3 */
	ASSERT_EQ(0, vt_sh("%s", cut));
	retx0 = nstat(1, "retransmits");
	s.arg = 3;
	ASSERT_EQ(0, spawn_send(&s, &k));
	ASSERT_NE(0, kid_id(&k));
	ASSERT_LT(retx0 + 2, nstat_wait(1, "retransmits", retx0 + 2));
	ASSERT_EQ(0, vt_sh("%s", heal));
	ASSERT_EQ(0, recv_wait(srv, &r, 2 * MS_WAIT));
	ASSERT_EQ(3, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(0, v_reply(srv, r.sender, &rep));
	ASSERT_EQ(0, send_result(&k, &res, 4 * MS_WAIT));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&rep, &res.msg));
	ASSERT_EQ(0, kid_end(&k));
	ASSERT_EQ(-ETIME, recv_wait(srv, &r, 500));
}

/* netem loss 100% on both sides of host 1's veth, then removed. */
TEST_F_TIMEOUT(fault, partition_loss100_heals, 120)
{
	partition_case(_metadata, self->srv,
		       "ip netns exec vkx1 tc qdisc add dev " VETH " root netem loss 100% && "
		       "tc qdisc add dev vkxh1 root netem loss 100%",
		       "ip netns exec vkx1 tc qdisc del dev " VETH " root && "
		       "tc qdisc del dev vkxh1 root");
}

/* Host 1's bridge port down, then up. */
TEST_F_TIMEOUT(fault, partition_port_down_heals, 120)
{
	partition_case(_metadata, self->srv, "ip link set vkxh1 down",
		       "ip link set vkxh1 up");
}

/*
 * Hosts with different host-down bounds: the client's (20 s) is far longer
 * than the server's (500 ms, so the server alone would keep a finished
 * transaction 1.5 s).  The REQUEST says how long the client retransmits
 * (retx_ms), so after the Reply is lost in a 4 s partition the server
 * still holds the answer: the client's retransmission after healing is
 * answered from the cache, and the request is never run a second time.
 */
TEST_F_TIMEOUT(fault, partition_longer_client_bound_once, 120)
{
	struct v_msg rep = mk(V_OK, 0xb0d);
	struct cspec s = cs(1, vt_id(self->srv));
	struct v_receive r;
	long long dup0;
	struct cres res;
	struct kid k;

	ASSERT_EQ(0, vctl(0, "set host-down-ms 500"));
	ASSERT_EQ(0, vctl(1, "set host-down-ms 20000"));
	s.arg = 0xb0;
	ASSERT_EQ(0, spawn_send(&s, &k));
	ASSERT_NE(0, kid_id(&k));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	ASSERT_EQ(0xb0, v_msg_get64(&r.msg, 8));
	ASSERT_EQ(0, vt_sh("ip link set vkxh1 down"));
	dup0 = nstat(0, "duplicates");
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &rep));	/* lost */
	/* Past the server's own linger (1.5 s) and a GC pass or two. */
	sleep(4);
	ASSERT_EQ(1, hshow(0, "aliens"));
	ASSERT_EQ(0, vt_wait_blocked(k.pid, k.pid, MS_WAIT));
	ASSERT_EQ(0, vt_sh("ip link set vkxh1 up"));
	ASSERT_EQ(0, send_result(&k, &res, 4 * MS_WAIT));
	ASSERT_EQ(0, res.ret) TH_LOG("%s", strerror(-res.ret));
	ASSERT_TRUE(msg_eq(&rep, &res.msg));
	ASSERT_EQ(vt_id(self->srv), res.replier);
	ASSERT_EQ(0, kid_end(&k));
	ASSERT_EQ(-ETIME, recv_wait(self->srv, &r, 1000));	/* not executed again */
	ASSERT_LT(dup0, nstat(0, "duplicates"));		/* answered from the cache */
}

/* ======================================================================== */
/* A host that crashes while it holds a message                             */

/* A server child on host 0 holding the message of a client on host 1. */
static void held_setup(struct __test_metadata *_metadata, struct kid *srv, struct kid *cli,
		       uint64_t *sid)
{
	struct cspec s;
	uint64_t sender = 0;

	ASSERT_EQ(0, spawn_server(0, 0, srv));
	*sid = kid_id(srv);
	ASSERT_NE(0, *sid);
	s = cs(1, *sid);
	ASSERT_EQ(0, spawn_send(&s, cli));
	ASSERT_NE(0, kid_id(cli));
	ASSERT_EQ(0, vt_read_full(srv->rfd, &sender, 8, MS_WAIT));
	ASSERT_EQ(0, vt_wait_blocked(cli->pid, cli->pid, MS_WAIT));
	ASSERT_EQ(1, hshow(0, "aliens"));
}

/* SIGKILL of the server while it holds the message: ESRCH, aliens 0. */
TEST_F_TIMEOUT(fault, crash_server_killed_holding, 60)
{
	struct kid srv, cli;
	struct cres res;
	uint64_t sid;

	ASSERT_EQ(0, vctl(0, "set host-down-ms 1000"));
	held_setup(_metadata, &srv, &cli, &sid);
	ASSERT_EQ(0, kill(srv.pid, SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, kid_end(&srv));
	ASSERT_EQ(0, send_result(&cli, &res, MS_WAIT));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, kid_end(&cli));
	ASSERT_EQ(0, aliens_zero(0, MS_WAIT));
}

/* The server host's interface deleted while it holds: EHOSTUNREACH in the bound. */
TEST_F_TIMEOUT(fault, crash_interface_deleted_holding, 60)
{
	struct kid srv, cli;
	struct cres res;
	uint64_t sid;
	int64_t t0;

	ASSERT_EQ(0, vctl(1, "set host-down-ms 1000"));
	ASSERT_EQ(0, vctl(0, "set host-down-ms 1000"));
	held_setup(_metadata, &srv, &cli, &sid);
	t0 = vt_now_ms();
	ASSERT_EQ(0, vt_sh("ip -n vkx0 link del " VETH));
	ASSERT_EQ(0, send_result(&cli, &res, 3 * MS_WAIT));
	ASSERT_EQ(-EHOSTUNREACH, res.ret);
	TH_LOG("EHOSTUNREACH %lld ms after the link went", (long long)(vt_now_ms() - t0));
	ASSERT_GT(1000 + 3000 * vt_scale(), vt_now_ms() - t0);
	ASSERT_EQ(0, kid_end(&cli));
	/* The server host keeps the alien until its holder goes. */
	ASSERT_EQ(1, hshow(0, "aliens"));
	kill(srv.pid, SIGKILL);
	kid_end(&srv);
	ASSERT_EQ(0, aliens_zero(0, MS_WAIT));
}

/* The server host's processes killed and its namespace deleted. */
TEST_F_TIMEOUT(fault, crash_namespace_deleted_holding, 90)
{
	struct kid srv, cli;
	struct cres res;
	uint64_t sid;
	int64_t end;

	ASSERT_EQ(0, vctl(1, "set host-down-ms 1000"));
	held_setup(_metadata, &srv, &cli, &sid);
	close(self->srv);
	self->srv = -1;
	ASSERT_EQ(0, vt_sh("kill -9 %d; ip netns del vkx0", srv.pid));
	kid_end(&srv);
	ASSERT_EQ(0, send_result(&cli, &res, 3 * MS_WAIT));
	TH_LOG("client: %s after %lld ms", strerror(-res.ret), (long long)res.ms);
	ASSERT_TRUE(res.ret == -ESRCH || res.ret == -EHOSTUNREACH);
	ASSERT_EQ(0, kid_end(&cli));
	/* The namespace really goes (its veth with it, the port too). */
	end = vt_now_ms() + 2LL * MS_WAIT * vt_scale();
	while (access("/sys/class/net/vkxh0", F_OK) == 0 && vt_now_ms() < end)
		usleep(100000);
	ASSERT_NE(0, access("/sys/class/net/vkxh0", F_OK));
	/* A new Send to that host fails in the bound. */
	ASSERT_EQ(0, spawn_send(&(struct cspec){ .h = 1, .dst = sid }, &cli));
	ASSERT_NE(0, kid_id(&cli));
	ASSERT_EQ(0, send_result(&cli, &res, 3 * MS_WAIT));
	ASSERT_EQ(-EHOSTUNREACH, res.ret);
	ASSERT_EQ(0, kid_end(&cli));
}

/* ======================================================================== */
/* Killed in the middle of a large remote MoveTo / MoveFrom                 */

/*
 * Large enough that a move still runs well after the kill at 150 ms: with
 * two trains in flight an 8 MiB MoveFrom sometimes ended before it.
 */
#define BIG	(32 << 20)

struct mover {
	pthread_t th;
	int fd, to, ret;
	uint64_t pid;
	uint8_t *buf;
	atomic_int done;
	int64_t t_end;
};

static void *mover_main(void *p)
{
	struct mover *m = p;

	m->ret = m->to ? v_move_to(m->fd, m->pid, 0, m->buf, BIG) :
			 v_move_from(m->fd, m->pid, 0, m->buf, BIG);
	m->t_end = vt_now_ms();
	atomic_store(&m->done, 1);
	return NULL;
}

/*
 * The client (host 1) killed while the server (self->srv) moves: its
 * kernel sends CANCEL, and the move ends at once with ENOENT (nothing
 * held any more).  Or (gone) the client's host detaches its link: the
 * mover hears nothing and fails with EHOSTUNREACH after the host-down
 * bound; the alien is still held (the Reply goes into the void).
 */
static void kill_client_case(struct __test_metadata *_metadata, int srv, int to, int gone)
{
	struct cspec s = cs(1, vt_id(srv));
	struct v_msg rep = mk(V_OK, 1);
	struct mover m;
	struct v_receive r;
	struct kid k;
	int64_t t_kill;

	ASSERT_EQ(0, vctl(0, "set host-down-ms 1000"));
	s.seg_len = BIG;
	s.access = SEG_RW;
	s.seed = 0xb16;
	ASSERT_EQ(0, spawn_send(&s, &k));
	ASSERT_NE(0, kid_id(&k));
	ASSERT_EQ(0, recv_wait(srv, &r, MS_WAIT));
	ASSERT_EQ(BIG, r.seg_len);
	memset(&m, 0, sizeof(m));
	m.fd = srv;
	m.to = to;
	m.pid = r.sender;
	m.buf = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m.buf);
	memset(m.buf, 0x5a, BIG);
	ASSERT_EQ(0, pthread_create(&m.th, NULL, mover_main, &m));
	usleep(150000);
	ASSERT_FALSE(atomic_load(&m.done)) TH_LOG("the move ended before the kill");
	t_kill = vt_now_ms();
	if (gone)
		ASSERT_EQ(0, vctl(1, "link del dev " VETH));
	ASSERT_EQ(0, kill(k.pid, SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, kid_end(&k));
	pthread_join(m.th, NULL);
	TH_LOG("%s: %s %lld ms after the kill", to ? "MoveTo" : "MoveFrom", strerror(-m.ret),
	       (long long)(m.t_end - t_kill));
	if (!gone) {
		ASSERT_EQ(-ENOENT, m.ret);
		ASSERT_GT(1000 * vt_scale(), m.t_end - t_kill);
		ASSERT_EQ(-ENOENT, v_reply(srv, r.sender, &rep));
	} else {
		ASSERT_EQ(-EHOSTUNREACH, m.ret);
		ASSERT_GT(1000 + 4000 * vt_scale(), m.t_end - t_kill);
		ASSERT_EQ(0, v_reply(srv, r.sender, &rep));
	}
	ASSERT_EQ(0, aliens_zero(0, MS_WAIT));
	munmap(m.buf, BIG);
}

TEST_F_TIMEOUT(fault, kill_client_during_move_from, 90)
{
	kill_client_case(_metadata, self->srv, 0, 0);
}

TEST_F_TIMEOUT(fault, kill_client_during_move_to, 90)
{
	kill_client_case(_metadata, self->srv, 1, 0);
}

TEST_F_TIMEOUT(fault, client_host_gone_during_move_to, 90)
{
	kill_client_case(_metadata, self->srv, 1, 1);
}

/* The server (child, host 0) killed while it moves: the client gets ESRCH. */
static void kill_server_case(struct __test_metadata *_metadata, int mode)
{
	struct kid srv, cli;
	struct cspec s;
	struct cres res;
	uint64_t sid, sender;
	char ch;
	int ret = 1;
	int64_t t_kill;

	ASSERT_EQ(0, vctl(0, "set host-down-ms 1000"));
	ASSERT_EQ(0, spawn_server(0, mode, &srv));
	sid = kid_id(&srv);
	ASSERT_NE(0, sid);
	s = cs(1, sid);
	s.seg_len = BIG;
	s.access = SEG_RW;
	s.seed = 0xb17;
	ASSERT_EQ(0, spawn_send(&s, &cli));
	ASSERT_NE(0, kid_id(&cli));
	ASSERT_EQ(0, vt_read_full(srv.rfd, &sender, 8, MS_WAIT));
	ASSERT_EQ(0, vt_read_full(srv.rfd, &ch, 1, MS_WAIT));
	usleep(150000);
	/* Still moving: no result yet. */
	ASSERT_NE(0, vt_read_full(srv.rfd, &ret, sizeof(ret), 0)) TH_LOG("move ended: %d", ret);
	t_kill = vt_now_ms();
	ASSERT_EQ(0, kill(srv.pid, SIGKILL));
	ASSERT_EQ(1000 + SIGKILL, kid_end(&srv));
	ASSERT_EQ(0, send_result(&cli, &res, 3 * MS_WAIT));
	TH_LOG("client: %s %lld ms after the kill", strerror(-res.ret),
	       (long long)(vt_now_ms() - t_kill));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, kid_end(&cli));
	ASSERT_EQ(0, aliens_zero(0, MS_WAIT));
}

TEST_F_TIMEOUT(fault, kill_server_during_move_from, 90)
{
	kill_server_case(_metadata, 1);
}

TEST_F_TIMEOUT(fault, kill_server_during_move_to, 90)
{
	kill_server_case(_metadata, 2);
}

/* ======================================================================== */
/* Group Sends under loss                                                   */

#define GTAGS	8

/*
 * A member child on host h: joins gid, reports its id, serves until its
 * command pipe closes (reply: code V_OK, tag at 8, its id at 16), then
 * reports how often it ran each tag (on a byte from the command pipe).
 */
static int spawn_member(int h, uint64_t gid, struct kid *k, int *cmd)
{
	int p[2], c[2];

	if (pipe(p) || pipe(c))
		return -1;
	k->pid = kid_fork(400 * vt_scale());	/* serves the whole test */
	if (k->pid == 0) {
		uint16_t cnt[GTAGS + 1] = { 0 };
		struct v_receive r;
		uint64_t self;
		int fd;

		close(p[0]);
		close(c[1]);
		CKEQ(0, vt_ns_enter(hname(h)));
		fd = v_open();
		CK(fd >= 0);
		CKEQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
		self = vt_id(fd);
		CKEQ(0, v_group_join(fd, gid));
		CK(write(p[1], &self, 8) == 8);
		for (;;) {
			struct pollfd pf[2] = { { .fd = fd, .events = POLLIN },
						{ .fd = c[0], .events = POLLIN } };

			poll(pf, 2, 100);
			memset(&r, 0, sizeof(r));
			while (v_receive_ex(fd, &r) == 0) {
				uint64_t tag = v_msg_get64(&r.msg, 8);
				struct v_msg m;

				cnt[tag < GTAGS ? tag : GTAGS]++;
				memset(&m, 0, sizeof(m));
				v_msg_set_code(&m, V_OK);
				v_msg_put64(&m, 8, tag);
				v_msg_put64(&m, 16, self);
				v_reply(fd, r.sender, &m);
				memset(&r, 0, sizeof(r));
			}
			if (pf[1].revents)
				break;
		}
		CK(write(p[1], cnt, sizeof(cnt)) == sizeof(cnt));
		_exit(0);
	}
	close(p[1]);
	close(c[0]);
	k->rfd = p[0];
	*cmd = c[1];
	return k->pid > 0 ? 0 : -1;
}

/*
 * Members on all three hosts, netem loss 30% on every host's veth: each of
 * GTAGS group Sends is executed once by every member, and the first reply
 * plus GetReply collect every member's reply exactly once.
 */
TEST_F_TIMEOUT(fault, group_send_under_loss, 240)
{
	uint16_t cnt[NH][GTAGS + 1];
	uint64_t gid, mid[NH], who;
	int cmd[NH], i, t, j, fd;
	long long g0;
	struct kid k[NH];

	fd = vt_ns_vopen(hname(0), 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_group_create(fd, &gid));
	for (i = 0; i < NH; i++) {
		ASSERT_EQ(0, vctl(i, "set host-down-ms 10000 group-window-ms 20000"));
		ASSERT_EQ(0, spawn_member(i, gid, &k[i], &cmd[i]));
		mid[i] = kid_id(&k[i]);
		ASSERT_NE(0, mid[i]);
	}
	for (i = 0; i < NH; i++)
		ASSERT_EQ(0, netem(i, "loss 30%"));
	g0 = nstat(0, "retransmits");
	for (t = 0; t < GTAGS; t++) {
		int got[NH] = { 0 }, ngot = 0;
		int64_t end;
		struct v_send sv;
		struct v_msg m;

		memset(&sv, 0, sizeof(sv));
		sv.dst = gid;
		sv.msg = mk(REQ_CODE, t);
		ASSERT_EQ(0, v_send_ex(fd, &sv)) TH_LOG("group Send %d", t);
		m = sv.msg;
		who = sv.replier;
		end = vt_now_ms() + 15000LL * vt_scale();
		for (;;) {
			for (j = 0; j < NH; j++)
				if (who == mid[j] && v_msg_get64(&m, 8) == (uint64_t)t &&
				    v_msg_get64(&m, 16) == who) {
					ASSERT_EQ(0, got[j]) TH_LOG("tag %d: member %d twice", t, j);
					got[j] = 1;
					ngot++;
				}
			if (ngot == NH || vt_now_ms() > end)
				break;
			j = v_get_reply(fd, &m, &who, 300000000ULL);
			if (j == -ETIMEDOUT)
				who = 0;
			else
				ASSERT_EQ(0, j) TH_LOG("GetReply, tag %d", t);
		}
		ASSERT_EQ(NH, ngot) TH_LOG("tag %d: %d replies", t, ngot);
	}
	TH_LOG("retransmits +%lld", nstat(0, "retransmits") - g0);
	for (i = 0; i < NH; i++) {
		/* A byte, not EOF: later members hold copies of earlier pipes. */
		ASSERT_EQ(1, write(cmd[i], "q", 1));
		close(cmd[i]);
		ASSERT_EQ(0, vt_read_full(k[i].rfd, cnt[i], sizeof(cnt[i]), MS_WAIT));
		ASSERT_EQ(0, kid_end(&k[i]));
		for (t = 0; t < GTAGS; t++)
			ASSERT_EQ(1, cnt[i][t]) TH_LOG("member %d ran tag %d %d times", i, t,
						       cnt[i][t]);
		ASSERT_EQ(0, cnt[i][GTAGS]);
	}
	close(fd);
}

/* ======================================================================== */
/* Hostile frames on host 0's bridge port                                   */

enum { C_SHORT, C_VERSION, C_TYPE, C_NO_TXN, C_NOT_MINE, C_COLLISIONS, C_RX, NC };
static const char *const cnames[NC] = { "drop_short", "drop_version", "drop_type",
					"drop_no_txn", "drop_not_mine", "collisions",
					"rx_frames" };

static int snap(int h, long long *v)
{
	char buf[4096];
	int i;

	if (vt_vctl_run(hname(h), "-j stats", buf, sizeof(buf), 0))
		return -1;
	for (i = 0; i < NC; i++)
		if ((v[i] = vt_json_num(buf, cnames[i])) < 0)
			return -1;
	return 0;
}

/* Frames to inject and the counter each must raise. */
#define NFR	48
struct flist {
	int n;
	uint8_t b[NFR][256];
	size_t len[NFR];
	int ctr[NFR];
	const char *what[NFR];
};

struct inj {
	struct vt_pk pk;
	uint8_t to[ETH_ALEN];
	uint32_t hp0;
};

static int inj_open(struct inj *k, uint32_t hp0)
{
	int ifx;

	k->hp0 = hp0;
	if (vt_if_info(hname(0), VETH, k->to, &ifx))
		return -1;
	return vt_pk_open(NULL, "vkxh0", &k->pk, -1);
}

/* A new frame of l: header (from the fake host) and payload p[plen]. */
static uint8_t *fr_add(struct flist *l, int ctr, const char *what, uint8_t type, uint32_t seq,
		       uint64_t client, uint64_t dst, uint64_t src, uint32_t src_host,
		       const void *p, size_t plen, const struct inj *k)
{
	uint8_t *f = l->b[l->n];

	vt_frame_hdr(f, k->to, fake_mac, type, seq, client, dst, src, src_host, plen);
	if (plen)
		memcpy(f + VT_HDRS, p, plen);
	l->len[l->n] = VT_HDRS + plen;
	l->ctr[l->n] = ctr;
	l->what[l->n] = what;
	return f + ETH_HLEN;
	/* l->n is advanced by fr_next() */
}

static void fr_next(struct flist *l)
{
	if (l->n < NFR - 1)
		l->n++;
}

#define FR(l, ctr, type, seq, client, dst, src, p, plen, k) do {			\
	fr_add(l, ctr, #type " " #client, type, seq, client, dst, src, FAKE_HP, p, plen, k); \
	fr_next(l);								\
} while (0)

static int fr_send_all(const struct inj *k, const struct flist *l)
{
	static unsigned int sent;
	int i;

	for (i = 0; i < l->n; i++) {
		/* Paced: a burst must not overflow the receiving CPU's backlog. */
		if (++sent % 32 == 0)
			usleep(3000);
		while (send(k->pk.fd, l->b[i], l->len[i], 0) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN)
				return -1;
			usleep(1000);
		}
	}
	return 0;
}

/*
 * Inject l into host 0 and check that each counter rose by exactly the
 * frames that name it (no more, once things settle) and rx_frames by at
 * least the frames past the header checks.
 */
static void inject_check(struct __test_metadata *_metadata, const struct inj *k,
			 const struct flist *l)
{
	long long v0[NC], v1[NC], want[NC] = { 0 };
	int64_t end;
	int i, reached;

	for (i = 0; i < l->n; i++)
		want[l->ctr[i]]++;
	ASSERT_EQ(0, snap(0, v0));
	ASSERT_EQ(0, fr_send_all(k, l));
	end = vt_now_ms() + 5000LL * vt_scale();
	do {
		usleep(100000);
		ASSERT_EQ(0, snap(0, v1));
		for (reached = 1, i = 0; i < C_RX; i++)
			if (v1[i] - v0[i] < want[i])
				reached = 0;
	} while (!reached && vt_now_ms() < end);
	usleep(300000);
	ASSERT_EQ(0, snap(0, v1));
	for (i = 0; i < C_RX; i++)
		EXPECT_EQ(want[i], v1[i] - v0[i]) TH_LOG("%s: +%lld, expected +%lld", cnames[i],
							 v1[i] - v0[i], want[i]);
	ASSERT_LE(l->n - want[C_SHORT] - want[C_VERSION] - want[C_TYPE], v1[C_RX] - v0[C_RX]);
}

/* Real traffic meanwhile: a loop client on host 1, served on self->srv. */
struct bg {
	pthread_t th;
	int fd, ret;
	struct kid k;
	struct srvstat st;
	struct tres res;
};

static void *bg_main(void *p)
{
	struct bg *b = p;

	b->ret = serve(b->fd, &b->st, &b->k, 1, 1, &b->res, 120000, 200);
	return NULL;
}

static int bg_start(struct bg *b, int srv, int count)
{
	struct lspec l = { 1, 1, count, vt_id(srv) };

	memset(b, 0, sizeof(*b));
	b->fd = srv;
	if (spawn_loop(&l, &b->k))
		return -1;
	return pthread_create(&b->th, NULL, bg_main, b);
}

/* The real transactions all completed, exactly once, with the right replies. */
static void bg_end(struct __test_metadata *_metadata, struct bg *b, int count)
{
	int ok;

	pthread_join(b->th, NULL);
	ASSERT_EQ(0, b->ret);
	ASSERT_EQ(0, kid_end(&b->k));
	ASSERT_EQ(0, check_once(_metadata, &b->st, &b->res, 1, count, &ok));
	ASSERT_EQ(count, ok);
	ASSERT_EQ(0, b->st.bad);
}

static struct v_wire_response resp_payload(uint64_t replier)
{
	struct v_wire_response r;

	memset(&r, 0, sizeof(r));
	r.msg = mk(V_OK, 0xbad);
	r.replier = htobe64(replier);
	r.frags = htons(1);
	return r;
}

static struct v_wire_request req_payload(void)
{
	struct v_wire_request q;

	memset(&q, 0, sizeof(q));
	q.msg = mk(REQ_CODE, 0xf00);
	return q;
}

/* Forged ACK, RESPONSE, NACK, MOVE_FROM for transactions that do not exist. */
TEST_F_TIMEOUT(fault, wire_forged_answers_no_txn, 90)
{
	uint64_t absent = v_id_make(self->hp[0], V_ID_INDEX_MAX - 1), idle;
	struct v_wire_response rp = resp_payload(0x1234);
	struct v_wire_nack nk = { htonl(V_WERR_NO_PROCESS), 0 };
	struct v_wire_move mv;
	static struct flist l;
	struct inj k;
	struct bg b;
	int fd;

	fd = vt_ns_vopen(hname(0), 1);
	ASSERT_LE(0, fd);
	idle = vt_id(fd);
	memset(&mv, 0, sizeof(mv));
	mv.len = htonl(100);
	mv.block = htonl(100);
	ASSERT_EQ(0, inj_open(&k, self->hp[0]));
	memset(&l, 0, sizeof(l));
	FR(&l, C_NO_TXN, V_PKT_ACK, 1, absent, absent, 0x99, NULL, 0, &k);
	FR(&l, C_NO_TXN, V_PKT_RESPONSE, 1, absent, absent, 0x99, &rp, sizeof(rp), &k);
	FR(&l, C_NO_TXN, V_PKT_ACK, 5, idle, idle, 0x99, NULL, 0, &k);
	FR(&l, C_NO_TXN, V_PKT_RESPONSE, 5, idle, idle, 0x99, &rp, sizeof(rp), &k);
	FR(&l, C_NO_TXN, V_PKT_NACK, 5, idle, idle, 0x99, &nk, sizeof(nk), &k);
	FR(&l, C_NO_TXN, V_PKT_MOVE_FROM, 5, idle, idle, 0x99, &mv, sizeof(mv), &k);
	ASSERT_EQ(0, bg_start(&b, self->srv, 100));
	inject_check(_metadata, &k, &l);
	bg_end(_metadata, &b, 100);
	close(k.pk.fd);
	close(fd);
}

/* The in-flight transaction of a client of host 0 (server: srv1 on host 1). */
struct inflight {
	struct kid k;
	uint64_t cid, sid;
	uint32_t seq;
	struct v_receive r;
};

static void inflight_start(struct __test_metadata *_metadata, struct inflight *f, int srv1,
			   size_t seg_len)
{
	struct cspec s = cs(0, vt_id(srv1));
	char out[4096];

	s.seg_len = seg_len;
	s.access = seg_len ? SEG_RW : 0;
	s.seed = 0x1f1;
	f->sid = vt_id(srv1);
	ASSERT_EQ(0, spawn_send(&s, &f->k));
	f->cid = kid_id(&f->k);
	ASSERT_NE(0, f->cid);
	ASSERT_EQ(0, recv_wait(srv1, &f->r, MS_WAIT));
	ASSERT_EQ(f->cid, f->r.sender);
	ASSERT_EQ(0, vt_vctl_run(hname(1), "-j alien show", out, sizeof(out), 0));
	ASSERT_LE(0, vt_json_num(out, "seq")) TH_LOG("%s", out);
	f->seq = (uint32_t)vt_json_num(out, "seq");
}

/* It is still blocked, then completes with the real reply and segment. */
static void inflight_end(struct __test_metadata *_metadata, struct inflight *f, int srv1)
{
	struct v_msg rep = mk(V_OK, 0x600d);
	uint8_t *buf = malloc(f->r.seg_len + 1);
	struct cres res;

	ASSERT_EQ(0, vt_wait_blocked(f->k.pid, f->k.pid, MS_WAIT));
	if (f->r.seg_len) {
		/* Nothing of the forged frames reached the segment. */
		ASSERT_EQ(0, v_move_from(srv1, f->cid, 0, buf, f->r.seg_len));
		ASSERT_EQ(-1, pat_mismatch(buf, f->r.seg_len, 0x1f1, 0));
	}
	ASSERT_EQ(0, v_reply(srv1, f->cid, &rep));
	ASSERT_EQ(0, send_result(&f->k, &res, MS_WAIT));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(f->sid, res.replier);
	ASSERT_TRUE(msg_eq(&rep, &res.msg));
	if (f->r.seg_len) {
		fill(buf, f->r.seg_len, 0x1f1, 0);
		ASSERT_EQ(hash_buf(buf, f->r.seg_len), res.hash);
	}
	ASSERT_EQ(0, kid_end(&f->k));
	free(buf);
}

/* Answers for a real in-flight transaction with a wrong seq: dropped. */
TEST_F_TIMEOUT(fault, wire_wrong_seq_inflight, 90)
{
	struct v_wire_nack nk = { htonl(V_WERR_NO_PROCESS), 0 };
	struct v_wire_response rp;
	static struct flist l;
	struct inflight f;
	struct inj k;
	int srv1;

	srv1 = vt_ns_vopen(hname(1), 1);
	ASSERT_LE(0, srv1);
	inflight_start(_metadata, &f, srv1, 0);
	rp = resp_payload(f.sid);
	ASSERT_EQ(0, inj_open(&k, self->hp[0]));
	memset(&l, 0, sizeof(l));
	FR(&l, C_NO_TXN, V_PKT_RESPONSE, f.seq + 1, f.cid, f.cid, f.sid, &rp, sizeof(rp), &k);
	FR(&l, C_NO_TXN, V_PKT_RESPONSE, f.seq - 1, f.cid, f.cid, f.sid, &rp, sizeof(rp), &k);
	FR(&l, C_NO_TXN, V_PKT_RESPONSE, f.seq ^ 0x80000000U, f.cid, f.cid, f.sid, &rp,
	   sizeof(rp), &k);
	FR(&l, C_NO_TXN, V_PKT_ACK, f.seq + 7, f.cid, f.cid, f.sid, NULL, 0, &k);
	FR(&l, C_NO_TXN, V_PKT_NACK, f.seq + 2, f.cid, f.cid, f.sid, &nk, sizeof(nk), &k);
	inject_check(_metadata, &k, &l);
	inflight_end(_metadata, &f, srv1);
	close(k.pk.fd);
	close(srv1);
}

/* MoveTo blocks with index / count out of range for an in-flight Send. */
TEST_F_TIMEOUT(fault, wire_move_data_bad_index_count, 90)
{
	static const struct { uint16_t index, count; } bad[] = {
		{ 64, 64 }, { 3, 3 }, { 0, 65 }, { 0, 0 }, { 65535, 65535 },
	};
	uint8_t p[sizeof(struct v_wire_data) + 16];
	struct v_wire_data *d = (void *)p;
	static struct flist l;
	struct inflight f;
	unsigned int i;
	struct inj k;
	int srv1;

	srv1 = vt_ns_vopen(hname(1), 1);
	ASSERT_LE(0, srv1);
	inflight_start(_metadata, &f, srv1, 65536);
	ASSERT_EQ(0, inj_open(&k, self->hp[0]));
	memset(&l, 0, sizeof(l));
	memset(p, 0xee, sizeof(p));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(d, 0, sizeof(*d));
		d->xfer = htonl(1);
		d->index = htons(bad[i].index);
		d->count = htons(bad[i].count);
		d->data_len = htonl(16);
		FR(&l, C_SHORT, V_PKT_MOVE_DATA, f.seq, f.cid, f.cid, f.sid, p, sizeof(p), &k);
	}
	/* data_len disagrees with the frame's length. */
	d->index = 0;
	d->count = htons(1);
	d->data_len = htonl(32);
	FR(&l, C_SHORT, V_PKT_MOVE_DATA, f.seq, f.cid, f.cid, f.sid, p, sizeof(p), &k);
	inject_check(_metadata, &k, &l);
	inflight_end(_metadata, &f, srv1);
	close(k.pk.fd);
	close(srv1);
}

/* Spoofed and impossible client / destination ids. */
TEST_F_TIMEOUT(fault, wire_spoofed_ids, 90)
{
	struct v_wire_request rq = req_payload(), fwd = req_payload();
	struct v_wire_response rp = resp_payload(0x77);
	struct v_wire_getpid gp = { htonl(300), 0, htobe64(0x12345) };
	uint64_t h1 = v_id_make(self->hp[1], 1), h2 = v_id_make(self->hp[2], 1);
	uint64_t fake = v_id_make(FAKE_HP, 7), mine;
	static struct flist l;
	struct v_receive r;
	struct inj k;
	struct bg b;
	int fd;

	ASSERT_EQ(0, vctl(0, "set host-down-ms 500"));
	fd = vt_ns_vopen(hname(0), 1);
	ASSERT_LE(0, fd);
	mine = vt_id(fd);
	ASSERT_EQ(0, inj_open(&k, self->hp[0]));
	memset(&l, 0, sizeof(l));
	/*
	 * A process of host 0 itself as the client, from another host that
	 * is not its forwarder: a REQUEST comes from its client's host or its
	 * forwarder's only.
	 */
	FR(&l, C_NOT_MINE, V_PKT_REQUEST, 1, mine, mine, mine, &rq, sizeof(rq), &k);
	FR(&l, C_NOT_MINE, V_PKT_REQUEST, 1, self->srv_id, mine, self->srv_id, &rq, sizeof(rq),
	   &k);
	/* Forwarded (by the fake host) for one of them that is not waiting. */
	fwd.forwarder = htobe64(fake);
	FR(&l, C_NO_TXN, V_PKT_REQUEST, 1, mine, mine, fake, &fwd, sizeof(fwd), &k);
	/* For a process of another host. */
	FR(&l, C_NOT_MINE, V_PKT_REQUEST, 1, fake, h1, fake, &rq, sizeof(rq), &k);
	/* Clients that cannot be: a group, none, a well-known id. */
	FR(&l, C_SHORT, V_PKT_REQUEST, 1, V_ID_GROUP | v_id_make(FAKE_HP, 3), mine, fake, &rq,
	   sizeof(rq), &k);
	FR(&l, C_SHORT, V_PKT_REQUEST, 1, 0, mine, fake, &rq, sizeof(rq), &k);
	FR(&l, C_SHORT, V_PKT_REQUEST, 1, V_ID_WELLKNOWN | 5, mine, fake, &rq, sizeof(rq), &k);
	FR(&l, C_SHORT, V_PKT_REQUEST, 1, V_ID_INDEX_MAX, mine, fake, &rq, sizeof(rq), &k);
	/* Answers for clients of other hosts. */
	FR(&l, C_NOT_MINE, V_PKT_RESPONSE, 1, h1, h1, mine, &rp, sizeof(rp), &k);
	FR(&l, C_NOT_MINE, V_PKT_ACK, 1, h2, h2, mine, NULL, 0, &k);
	FR(&l, C_NOT_MINE, V_PKT_GETPID_ANSWER, 1, h2, h2, mine, &gp, sizeof(gp), &k);
	ASSERT_EQ(0, bg_start(&b, self->srv, 60));
	inject_check(_metadata, &k, &l);
	bg_end(_metadata, &b, 60);
	ASSERT_EQ(-EAGAIN, v_receive_ex(fd, &r));

	/* The control: a well-formed request of the fake host is taken, once. */
	memset(&l, 0, sizeof(l));
	FR(&l, C_RX, V_PKT_REQUEST, 9, fake, mine, fake, &rq, sizeof(rq), &k);
	ASSERT_EQ(0, fr_send_all(&k, &l));
	ASSERT_EQ(0, fr_send_all(&k, &l));	/* and a duplicate */
	ASSERT_EQ(0, recv_wait(fd, &r, MS_WAIT));
	ASSERT_EQ(fake, r.sender);
	ASSERT_TRUE(r.creds.flags & V_CRED_REMOTE);
	ASSERT_EQ(FAKE_HP, r.creds.host);
	ASSERT_EQ(0, v_reply(fd, r.sender, &r.msg));
	ASSERT_EQ(-ETIME, recv_wait(fd, &r, 300));
	ASSERT_EQ(0, aliens_zero(0, MS_WAIT));
	close(k.pk.fd);
	close(fd);
}

/* Group frames: malformed ids, GMEMBERS whose count disagrees with its length. */
TEST_F_TIMEOUT(fault, wire_group_frames, 90)
{
	uint8_t gq[sizeof(struct v_wire_grequest)], gm[sizeof(struct v_wire_gmembers) + 24];
	struct v_wire_grequest *g = (void *)gq;
	struct v_wire_gmembers *m = (void *)gm;
	uint64_t h1 = v_id_make(self->hp[1], 1), gid, ids[8], fake = v_id_make(FAKE_HP, 7);
	static struct flist l;
	struct inj k;
	struct bg b;
	int fd0, fd2, fd1;

	fd0 = vt_ns_vopen(hname(0), 1);
	fd1 = vt_ns_vopen(hname(1), 1);
	fd2 = vt_ns_vopen(hname(2), 1);
	ASSERT_TRUE(fd0 >= 0 && fd1 >= 0 && fd2 >= 0);
	ASSERT_EQ(0, v_group_create(fd0, &gid));
	ASSERT_EQ(0, v_group_join(fd0, gid));
	ASSERT_EQ(0, v_group_join(fd2, gid));
	ASSERT_EQ(0, inj_open(&k, self->hp[0]));
	memset(&l, 0, sizeof(l));
	memset(gq, 0, sizeof(gq));
	g->req = req_payload();
	FR(&l, C_SHORT, V_PKT_GREQUEST, 1, fake, self->srv_id, fake, gq, sizeof(gq), &k);
	FR(&l, C_SHORT, V_PKT_GREQUEST, 1, fake, V_ID_GROUP | 5, fake, gq, sizeof(gq), &k);
	FR(&l, C_SHORT, V_PKT_GREQUEST, 1, fake, gid | V_ID_WELLKNOWN, fake, gq, sizeof(gq), &k);
	FR(&l, C_SHORT, V_PKT_GREQUEST, 1, fake, gid, fake, gq, 8, &k);
	g->qualifier = htobe64(h1);
	FR(&l, C_NOT_MINE, V_PKT_GREQUEST, 1, fake, gid, fake, gq, sizeof(gq), &k);
	memset(gm, 0, sizeof(gm));
	m->count = htonl(4);		/* 3 ids follow */
	m->frags = htons(1);
	FR(&l, C_SHORT, V_PKT_GMEMBERS, 1, self->srv_id, gid, fake, gm, sizeof(gm), &k);
	m->count = htonl(2);
	FR(&l, C_SHORT, V_PKT_GMEMBERS, 1, self->srv_id, gid, fake, gm, sizeof(gm), &k);
	m->count = htonl(3);
	m->frags = 0;
	FR(&l, C_SHORT, V_PKT_GMEMBERS, 1, self->srv_id, gid, fake, gm, sizeof(gm), &k);
	m->frags = htons(2);
	m->frag = htons(2);
	FR(&l, C_SHORT, V_PKT_GMEMBERS, 1, self->srv_id, gid, fake, gm, sizeof(gm), &k);
	m->frags = htons(65);
	m->frag = 0;
	FR(&l, C_SHORT, V_PKT_GMEMBERS, 1, self->srv_id, gid, fake, gm, sizeof(gm), &k);
	m->frags = htons(1);
	FR(&l, C_SHORT, V_PKT_GMEMBERS, 1, self->srv_id, self->srv_id, fake, gm, sizeof(gm), &k);
	FR(&l, C_NOT_MINE, V_PKT_GMEMBERS, 1, h1, gid, fake, gm, sizeof(gm), &k);
	FR(&l, C_NO_TXN, V_PKT_GMEMBERS, 1, self->srv_id, gid, fake, gm, sizeof(gm), &k);
	FR(&l, C_SHORT, V_PKT_GQUERY, 1, fake, self->srv_id, fake, NULL, 0, &k);
	ASSERT_EQ(0, bg_start(&b, self->srv, 60));
	inject_check(_metadata, &k, &l);
	bg_end(_metadata, &b, 60);
	/* The group is as it was: two members, no forged ones. */
	ASSERT_EQ(2, v_group_members(fd1, gid, ids, 8, 500000000ULL * vt_scale()));
	ASSERT_TRUE((ids[0] == vt_id(fd0) && ids[1] == vt_id(fd2)) ||
		    (ids[1] == vt_id(fd0) && ids[0] == vt_id(fd2)));
	close(k.pk.fd);
	close(fd0);
	close(fd1);
	close(fd2);
}

/* CLAIM / DENY / WHERE / HERE / FENCE with bad lengths; bad headers. */
TEST_F_TIMEOUT(fault, wire_claims_and_headers, 90)
{
	static const uint8_t types[] = { V_PKT_CLAIM, V_PKT_DENY, V_PKT_WHERE, V_PKT_HERE,
					 V_PKT_FENCE };
	struct v_wire_claim c = { htobe64(42), htonl(0), 0 };
	static struct flist l;
	char out[4096];
	unsigned int i;
	uint8_t *h;
	struct inj k;
	struct bg b;

	ASSERT_EQ(0, inj_open(&k, self->hp[0]));
	memset(&l, 0, sizeof(l));
	c.host = htonl(self->hp[1]);
	for (i = 0; i < sizeof(types); i++)
		FR(&l, C_SHORT, types[i], 0, 0, 0, 0, &c, 4, &k);
	/* No host part: nobody to learn or fence. */
	fr_add(&l, C_SHORT, "CLAIM of host 0", V_PKT_CLAIM, 0, 0, 0, 0, 0, &c, sizeof(c), &k);
	fr_next(&l);
	/* A FENCE of host 1 whose header says more than the frame holds. */
	h = fr_add(&l, C_SHORT, "FENCE cut", V_PKT_FENCE, 0, 0, 0, 0, FAKE_HP, &c, sizeof(c), &k);
	l.len[l.n] -= 8;
	fr_next(&l);
	(void)h;
	h = fr_add(&l, C_VERSION, "the next version", V_PKT_REQUEST, 0, 0, 0, 0, FAKE_HP, NULL, 0,
		   &k);
	h[0] = V_WIRE_VERSION + 1;
	fr_next(&l);
	h = fr_add(&l, C_VERSION, "version 1", V_PKT_REQUEST, 0, 0, 0, 0, FAKE_HP, NULL, 0, &k);
	h[0] = 1;
	fr_next(&l);
	h = fr_add(&l, C_TYPE, "type 0", V_PKT_REQUEST, 0, 0, 0, 0, FAKE_HP, NULL, 0, &k);
	h[1] = 0;
	fr_next(&l);
	h = fr_add(&l, C_TYPE, "type 99", V_PKT_REQUEST, 0, 0, 0, 0, FAKE_HP, NULL, 0, &k);
	h[1] = 99;
	fr_next(&l);
	fr_add(&l, C_SHORT, "truncated header", V_PKT_ACK, 0, 0, 0, 0, FAKE_HP, NULL, 0, &k);
	l.len[l.n] = ETH_HLEN + 10;
	fr_next(&l);
	ASSERT_EQ(0, bg_start(&b, self->srv, 60));
	inject_check(_metadata, &k, &l);
	bg_end(_metadata, &b, 60);
	/* Nothing was fenced or learned from them. */
	ASSERT_EQ(0, vt_vctl_run(hname(0), "-j map show", out, sizeof(out), 0));
	ASSERT_EQ(NULL, strstr(out, "fenced")) TH_LOG("%s", out);
	close(k.pk.fd);
}

/*
 * Rounds of every hostile frame above and well-formed requests of fake
 * clients: afterwards no alien is left and slab usage is back at its
 * baseline.
 */
TEST_F_TIMEOUT(fault, wire_memory_baseline, 120)
{
	enum { ROUNDS = 150, REQS = 600 };
	struct v_wire_request rq = req_payload();
	struct v_wire_response rp = resp_payload(0x77);
	struct v_wire_claim c = { htobe64(42), 0, 0 };
	uint8_t gm[sizeof(struct v_wire_gmembers) + 24];
	uint64_t h1 = v_id_make(self->hp[1], 1), fake = v_id_make(FAKE_HP, 7);
	long long base, peak, after, tol, procs0;
	static struct flist l, q;
	struct v_receive r;
	int i, n = 0, ret;
	struct inj k;

	ASSERT_EQ(0, vctl(0, "set host-down-ms 500"));
	ASSERT_EQ(0, inj_open(&k, self->hp[0]));
	memset(&l, 0, sizeof(l));
	memset(gm, 0, sizeof(gm));
	((struct v_wire_gmembers *)gm)->count = htonl(7);
	FR(&l, C_NO_TXN, V_PKT_RESPONSE, 1, self->srv_id, self->srv_id, 0x99, &rp, sizeof(rp), &k);
	FR(&l, C_NO_TXN, V_PKT_ACK, 1, v_id_make(self->hp[0], 999), 0, 0x99, NULL, 0, &k);
	FR(&l, C_NOT_MINE, V_PKT_REQUEST, 1, fake, h1, fake, &rq, sizeof(rq), &k);
	FR(&l, C_SHORT, V_PKT_REQUEST, 1, 0, self->srv_id, fake, &rq, sizeof(rq), &k);
	FR(&l, C_SHORT, V_PKT_GMEMBERS, 1, self->srv_id, V_ID_GROUP | v_id_make(FAKE_HP, 1),
	   fake, gm, sizeof(gm), &k);
	FR(&l, C_SHORT, V_PKT_CLAIM, 0, 0, 0, 0, &c, 4, &k);
	FR(&l, C_SHORT, V_PKT_GREQUEST, 1, fake, self->srv_id, fake, &rq, sizeof(rq), &k);
	/* Warm up: the mapping entry of the fake host exists before the baseline. */
	ASSERT_EQ(0, fr_send_all(&k, &l));
	usleep(500000);
	procs0 = hshow(0, "procs");
	base = vt_slab_active_bytes();
	ASSERT_LT(0, base);
	for (i = 0; i < ROUNDS; i++)
		ASSERT_EQ(0, fr_send_all(&k, &l));
	for (i = 0; i < REQS; i++) {
		memset(&q, 0, sizeof(q));
		FR(&q, C_RX, V_PKT_REQUEST, 1, v_id_make(FAKE_HP, 100 + i), self->srv_id,
		   v_id_make(FAKE_HP, 100 + i), &rq, sizeof(rq), &k);
		ASSERT_EQ(0, fr_send_all(&k, &q));
	}
	usleep(1000000);
	peak = vt_slab_active_bytes();
	for (;;) {
		ret = recv_wait(self->srv, &r, n ? 500 : MS_WAIT);
		if (ret == -ETIME)
			break;
		ASSERT_EQ(0, ret);
		ASSERT_EQ(FAKE_HP, v_id_host(r.sender));
		ASSERT_EQ(0, v_reply(self->srv, r.sender, &r.msg));
		n++;
	}
	ASSERT_LE(REQS * 9 / 10, n);
	ASSERT_GE(REQS, n);
	ASSERT_EQ(0, aliens_zero(0, 2 * MS_WAIT));
	sleep(1);
	after = vt_slab_active_bytes();
	/*
	 * A debug kernel's KASAN quarantine keeps freed objects, which
	 * slabinfo counts as active, and each cache's per-CPU slabs count
	 * whole (kmemleak is that run's check for leaks).
	 */
	tol = vt_scale() > 1 ? 2048 * 1024 : 768 * 1024;
	TH_LOG("%d requests served; slab bytes base %lld, peak %+lld, after %+lld", n, base,
	       peak - base, after - base);
	ASSERT_EQ(procs0, hshow(0, "procs"));
	ASSERT_GT(tol, after - base);
	close(k.pk.fd);
}

/* ======================================================================== */
/* Segment access on every path                                             */

/*
 * A sender with a 4096-byte segment of access acc, held by fd: MoveTo
 * without write access and MoveFrom without read access fail with EACCES,
 * ranges outside with ERANGE, and nothing moved changes the segment.
 */
static void seg_checks(struct __test_metadata *_metadata, int fd, uint64_t who,
		       unsigned int acc, uint32_t seed)
{
	uint8_t buf[4200];

	memset(buf, 0x44, sizeof(buf));
	if (!(acc & V_SEG_WRITE)) {
		ASSERT_EQ(-EACCES, v_move_to(fd, who, 0, buf, 16));
		ASSERT_EQ(-EACCES, v_reply_with_segment(fd, who, &(struct v_msg){ { 0 } }, 0,
							buf, 16));
	} else {
		ASSERT_EQ(-ERANGE, v_move_to(fd, who, 4000, buf, 200));
		ASSERT_EQ(-ERANGE, v_move_to(fd, who, 4097, buf, 0));
	}
	if (!(acc & V_SEG_READ)) {
		ASSERT_EQ(-EACCES, v_move_from(fd, who, 0, buf, 16));
	} else {
		ASSERT_EQ(-ERANGE, v_move_from(fd, who, 4000, buf, 200));
		ASSERT_EQ(-ERANGE, v_move_from(fd, who, 0, buf, 4097));
		ASSERT_EQ(-ERANGE, v_move_from(fd, who, ~0ULL, buf, 2));
		ASSERT_EQ(0, v_move_from(fd, who, 0, buf, 4096));
		ASSERT_EQ(-1, pat_mismatch(buf, 4096, seed, 0));
	}
}

/* Clients on host h (each access in turn) to self->srv; ENOENT after the Reply. */
static void seg_case(struct __test_metadata *_metadata, int srv, int h)
{
	static const unsigned int accs[] = { V_SEG_READ, V_SEG_WRITE, 0 };
	struct v_msg rep = mk(V_OK, 3);
	uint8_t buf[64], want[4096];
	struct v_receive r;
	struct cres res;
	unsigned int i;
	struct kid k;

	for (i = 0; i < 3; i++) {
		struct cspec s = cs(h, vt_id(srv));

		s.seg_len = accs[i] ? 4096 : 0;
		s.access = accs[i];
		s.seed = 0x5e9 + i;
		ASSERT_EQ(0, spawn_send(&s, &k));
		ASSERT_NE(0, kid_id(&k));
		ASSERT_EQ(0, recv_wait(srv, &r, MS_WAIT));
		ASSERT_EQ(accs[i], r.seg_access);
		if (accs[i]) {
			seg_checks(_metadata, srv, r.sender, accs[i], s.seed);
		} else {
			ASSERT_EQ(-EACCES, v_move_from(srv, r.sender, 0, buf, 1));
			ASSERT_EQ(-EACCES, v_move_to(srv, r.sender, 0, buf, 1));
		}
		ASSERT_EQ(0, v_reply(srv, r.sender, &rep));
		ASSERT_EQ(-ENOENT, v_move_from(srv, r.sender, 0, buf, 1));
		ASSERT_EQ(-ENOENT, v_move_to(srv, r.sender, 0, buf, 1));
		ASSERT_EQ(-ENOENT, v_reply(srv, r.sender, &rep));
		ASSERT_EQ(0, send_result(&k, &res, MS_WAIT));
		ASSERT_EQ(0, res.ret);
		if (accs[i]) {
			fill(want, 4096, s.seed, 0);
			ASSERT_EQ(hash_buf(want, 4096), res.hash);	/* unchanged */
		}
		ASSERT_EQ(0, kid_end(&k));
	}
}

TEST_F_TIMEOUT(fault, seg_access_local_sender, 60)
{
	seg_case(_metadata, self->srv, 0);
}

/* Keyed (this suite's keyed test): the same refusals, every frame tagged. */
TEST_F_TIMEOUT(fault, seg_access_remote_sender, 60)
{
	ASSERT_EQ(0, vt_topo_key(&topo, "6661756c74000000000000000000000000000000000000000000000000000001"));
	seg_case(_metadata, self->srv, 1);
}

/*
 * A group Send with a read-only segment from host 1 to members on hosts
 * 0, 1 (local) and 2: each member gets EACCES for MoveTo, ERANGE outside;
 * once one member replied the others' moves fail with EACCES; after its
 * own Reply a member gets ENOENT.
 */
TEST_F_TIMEOUT(fault, seg_access_group_members, 90)
{
	struct v_receive r[NH];
	struct v_msg rep = mk(V_OK, 9);
	uint8_t buf[64];
	struct cspec s;
	struct cres res;
	uint64_t gid;
	int fd[NH], i;
	struct kid k;

	for (i = 0; i < NH; i++) {
		fd[i] = vt_ns_vopen(hname(i), 1);
		ASSERT_LE(0, fd[i]);
	}
	ASSERT_EQ(0, v_group_create(fd[0], &gid));
	for (i = 0; i < NH; i++)
		ASSERT_EQ(0, v_group_join(fd[i], gid));
	s = cs(1, gid);
	s.seg_len = 4096;
	s.access = V_SEG_READ;
	s.seed = 0x9a;
	s.linger = 1;		/* its close would end the group transaction */
	ASSERT_EQ(0, spawn_send(&s, &k));
	ASSERT_NE(0, kid_id(&k));
	for (i = 0; i < NH; i++) {
		ASSERT_EQ(0, recv_wait(fd[i], &r[i], MS_WAIT)) TH_LOG("member %d", i);
		ASSERT_EQ(gid, r[i].group);
		ASSERT_EQ(V_SEG_READ, r[i].seg_access);
		seg_checks(_metadata, fd[i], r[i].sender, V_SEG_READ, s.seed);
	}
	ASSERT_EQ(0, v_reply(fd[0], r[0].sender, &rep));
	ASSERT_EQ(0, send_result(&k, &res, MS_WAIT));
	ASSERT_EQ(0, res.ret);
	ASSERT_EQ(vt_id(fd[0]), res.replier);
	ASSERT_EQ(-ENOENT, v_move_from(fd[0], r[0].sender, 0, buf, 1));
	for (i = 1; i < NH; i++) {
		ASSERT_EQ(-EACCES, v_move_from(fd[i], r[i].sender, 0, buf, 16))
			TH_LOG("member %d after the first reply", i);
		ASSERT_EQ(0, v_reply(fd[i], r[i].sender, &rep));
		ASSERT_EQ(-ENOENT, v_move_from(fd[i], r[i].sender, 0, buf, 1));
	}
	kill(k.pid, SIGKILL);
	ASSERT_EQ(1000 + SIGKILL, kid_end(&k));
	for (i = 0; i < NH; i++)
		close(fd[i]);
}

/* ======================================================================== */
/* Network namespaces and user namespaces                                   */

/*
 * A namespace without links cannot reach host 0's process (EHOSTUNREACH at
 * once); an id with host 0's host part and the index of a process of host
 * 1 goes to host 0 (ESRCH there), never to host 1's process.
 */
TEST_F_TIMEOUT(fault, netns_isolation, 60)
{
	struct cspec s;
	struct cres res;
	struct v_receive r;
	int fd[6], i, iso;
	uint64_t twin;
	struct kid k;

	ASSERT_EQ(0, vt_sh("ip netns add vkxiso"));
	iso = vt_ns_vopen("vkxiso", 0);
	ASSERT_LE(0, iso);
	ASSERT_NE(self->hp[0], v_id_host(vt_id(iso)));
	ASSERT_EQ(-EHOSTUNREACH, v_send(iso, self->srv_id, &(struct v_msg){ { 0 } }));
	close(iso);
	ASSERT_EQ(-ETIME, recv_wait(self->srv, &r, 200));

	for (i = 0; i < 6; i++) {
		fd[i] = vt_ns_vopen(hname(1), 1);
		ASSERT_LE(0, fd[i]);
	}
	twin = v_id_make(self->hp[0], (uint32_t)vt_id(fd[5]));
	ASSERT_NE(twin, self->srv_id);
	s = cs(2, twin);
	ASSERT_EQ(0, spawn_send(&s, &k));
	ASSERT_NE(0, kid_id(&k));
	ASSERT_EQ(0, send_result(&k, &res, 2 * MS_WAIT));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, kid_end(&k));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(-EAGAIN, v_receive_ex(fd[i], &r));
		close(fd[i]);
	}
	/* The same from host 1 itself: not local either. */
	s = cs(1, twin);
	ASSERT_EQ(0, spawn_send(&s, &k));
	ASSERT_NE(0, kid_id(&k));
	ASSERT_EQ(0, send_result(&k, &res, 2 * MS_WAIT));
	ASSERT_EQ(-ESRCH, res.ret);
	ASSERT_EQ(0, kid_end(&k));
}

/* What a user-namespace child reports. */
struct ures {
	int unshare;		/* 0 or -errno */
	int own_lid, own_group;	/* in its own namespaces */
	int init_lid, init_group, init_lid_high;	/* on a socket of the initial netns */
};

/*
 * As nobody, in a new user and network namespace: logical ids below 256
 * and well-known groups work in its own network namespace only.
 */
TEST_F_TIMEOUT(fault, userns_reserved_ids_own_namespace_only, 60)
{
	struct ures u;
	int p[2], init_fd;
	struct kid k;

	if (!vt_userns_supported())
		SKIP(return, "this kernel has no user namespaces (CONFIG_USER_NS)");
	init_fd = vt_socket();		/* a V process of the initial namespace */
	ASSERT_LE(0, init_fd);
	ASSERT_EQ(0, pipe(p));
	k.pid = kid_fork(0);
	if (k.pid == 0) {
		int fd;

		memset(&u, 0, sizeof(u));
		close(p[0]);
		CKEQ(0, setresgid(65534, 65534, 65534));
		CKEQ(0, setresuid(65534, 65534, 65534));
		u.unshare = unshare(CLONE_NEWUSER | CLONE_NEWNET) ? -errno : 0;
		if (!u.unshare) {
			fd = v_open();
			CK(fd >= 0);
			u.own_lid = v_set_pid(fd, 7, vt_id(fd), V_SCOPE_LOCAL);
			u.own_group = v_group_join(fd, V_GROUP_WELLKNOWN(5));
			u.init_lid = v_set_pid(init_fd, 7, vt_id(init_fd), V_SCOPE_LOCAL);
			u.init_group = v_group_join(init_fd, V_GROUP_WELLKNOWN(5));
			u.init_lid_high = v_set_pid(init_fd, 4000, vt_id(init_fd), V_SCOPE_LOCAL);
		}
		CK(write(p[1], &u, sizeof(u)) == sizeof(u));
		_exit(0);
	}
	close(p[1]);
	k.rfd = p[0];
	ASSERT_EQ(0, vt_read_full(k.rfd, &u, sizeof(u), MS_WAIT));
	ASSERT_EQ(0, kid_end(&k));
	ASSERT_EQ(0, u.unshare) TH_LOG("unshare(CLONE_NEWUSER | CLONE_NEWNET) as nobody");
	ASSERT_EQ(0, u.own_lid);
	ASSERT_EQ(0, u.own_group);
	ASSERT_EQ(-EPERM, u.init_lid);
	ASSERT_EQ(-EPERM, u.init_group);
	ASSERT_EQ(0, u.init_lid_high);
	close(init_fd);
}

static int put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return ret;
}

/*
 * vctl set from a child user namespace: allowed on its own network
 * namespace, EPERM on the initial one and on host 0 (entered before the
 * unshare); their settings unchanged.
 */
static int userns_vctl(const char *ns, int newnet, char *out, size_t len)
{
	int p[2], st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = kid_fork(0);
	if (pid == 0) {
		char *argv[] = { (char *)vt_vctl_bin(), "set", "host-down-ms", "1234", NULL };

		dup2(p[1], 1);
		dup2(p[1], 2);
		if (ns && vt_ns_enter(ns))
			_exit(126);
		if (unshare(CLONE_NEWUSER | (newnet ? CLONE_NEWNET : 0)))
			_exit(125);
		/* Root of the new user namespace, so vctl keeps its capabilities. */
		if (put_file("/proc/self/setgroups", "deny") ||
		    put_file("/proc/self/uid_map", "0 0 1") ||
		    put_file("/proc/self/gid_map", "0 0 1"))
			_exit(124);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	st = kid_wait(pid);
	return st;
}

TEST_F_TIMEOUT(fault, userns_host_set_eperm, 60)
{
	char out[512];
	long long d0, dinit;
	int st;

	if (!vt_userns_supported())
		SKIP(return, "this kernel has no user namespaces (CONFIG_USER_NS)");
	d0 = hshow(0, "host_down_ms");
	ASSERT_LT(0, d0);
	ASSERT_NE(1234, d0);
	st = userns_vctl(NULL, 1, out, sizeof(out));
	ASSERT_EQ(0, st) TH_LOG("own namespace (%d): %s", st, out);
	st = userns_vctl(NULL, 0, out, sizeof(out));
	ASSERT_NE(0, st);
	ASSERT_NE(125, st);
	ASSERT_NE(NULL, strstr(out, strerror(EPERM))) TH_LOG("initial namespace: %s", out);
	st = userns_vctl(hname(0), 0, out, sizeof(out));
	ASSERT_NE(0, st);
	ASSERT_NE(125, st);
	ASSERT_NE(NULL, strstr(out, strerror(EPERM))) TH_LOG("host 0: %s", out);
	ASSERT_EQ(d0, hshow(0, "host_down_ms"));
	ASSERT_EQ(0, vt_vctl_run(NULL, "-j host show", out, sizeof(out), 0));
	dinit = vt_json_num(out, "host_down_ms");
	ASSERT_NE(1234, dinit);
}

/* Logical ids below 256 and well-known groups need CAP_NET_ADMIN. */
TEST_F_TIMEOUT(fault, lid_reserved_eperm_without_cap, 60)
{
	int p[2], r[8];
	struct kid k;

	ASSERT_EQ(0, pipe(p));
	k.pid = kid_fork(0);
	if (k.pid == 0) {
		int fd;

		close(p[0]);
		CKEQ(0, vt_ns_enter(hname(0)));
		fd = v_open();
		CK(fd >= 0);
		r[0] = v_set_pid(fd, 1, vt_id(fd), V_SCOPE_LOCAL);	/* with the capability */
		r[1] = v_set_pid(fd, 1, 0, V_SCOPE_LOCAL);
		CKEQ(0, vt_drop_net_admin());
		r[2] = v_set_pid(fd, 1, vt_id(fd), V_SCOPE_LOCAL);
		r[3] = v_set_pid(fd, 255, vt_id(fd), V_SCOPE_BOTH);
		r[4] = v_set_pid(fd, 256, vt_id(fd), V_SCOPE_LOCAL);
		r[5] = v_group_join(fd, V_GROUP_WELLKNOWN(1));
		CKEQ(0, setresuid(65534, 65534, 65534));
		r[6] = v_set_pid(fd, 100, vt_id(fd), V_SCOPE_REMOTE);
		r[7] = v_set_pid(fd, 257, vt_id(fd), V_SCOPE_REMOTE);
		CK(write(p[1], r, sizeof(r)) == sizeof(r));
		_exit(0);
	}
	close(p[1]);
	k.rfd = p[0];
	ASSERT_EQ(0, vt_read_full(k.rfd, r, sizeof(r), MS_WAIT));
	ASSERT_EQ(0, kid_end(&k));
	ASSERT_EQ(0, r[0]);
	ASSERT_EQ(0, r[1]);
	ASSERT_EQ(-EPERM, r[2]);
	ASSERT_EQ(-EPERM, r[3]);
	ASSERT_EQ(0, r[4]);
	ASSERT_EQ(-EPERM, r[5]);
	ASSERT_EQ(-EPERM, r[6]);
	ASSERT_EQ(0, r[7]);
}

/* ======================================================================== */
/* rmmod while processes are blocked (last: it reloads the module)          */

TEST_F_TIMEOUT(fault, rmmod_refused_while_blocked, 90)
{
	struct v_msg rep = mk(V_OK, 0x4242), m = mk(REQ_CODE, 1);
	struct kid recv_k, cli;
	struct v_receive r;
	struct cres res;
	uint64_t rid;
	int p[2], ret, err, fd;
	int64_t end;

	/* R: blocked in Receive on host 0. */
	ASSERT_EQ(0, pipe(p));
	recv_k.pid = kid_fork(0);
	if (recv_k.pid == 0) {
		struct v_receive rr;

		close(p[0]);
		CKEQ(0, vt_ns_enter(hname(0)));
		fd = v_open();
		CK(fd >= 0);
		CK(write(p[1], &(uint64_t){ vt_id(fd) }, 8) == 8);
		memset(&rr, 0, sizeof(rr));
		CKEQ(0, v_receive_ex(fd, &rr));
		v_msg_set_code(&rr.msg, V_OK);
		CKEQ(0, v_reply(fd, rr.sender, &rr.msg));
		_exit(0);
	}
	close(p[1]);
	recv_k.rfd = p[0];
	rid = kid_id(&recv_k);
	ASSERT_NE(0, rid);
	/* C: blocked in a remote Send from host 1, held by self->srv. */
	ASSERT_EQ(0, spawn_send(&(struct cspec){ .h = 1, .dst = self->srv_id, .arg = 7 }, &cli));
	ASSERT_NE(0, kid_id(&cli));
	ASSERT_EQ(0, recv_wait(self->srv, &r, MS_WAIT));
	ASSERT_EQ(0, vt_wait_blocked(recv_k.pid, recv_k.pid, MS_WAIT));
	ASSERT_EQ(0, vt_wait_blocked(cli.pid, cli.pid, MS_WAIT));

	ret = vt_module_unload();
	err = errno;
	ASSERT_EQ(-1, ret);
	ASSERT_TRUE(err == EBUSY || err == EWOULDBLOCK) TH_LOG("delete_module: %s", strerror(err));
	ASSERT_TRUE(vt_module_loaded());
	/* Undisturbed: still blocked, then they complete. */
	usleep(200000);
	ASSERT_EQ(0, vt_wait_blocked(recv_k.pid, recv_k.pid, MS_WAIT));
	ASSERT_EQ(0, vt_wait_blocked(cli.pid, cli.pid, MS_WAIT));
	ASSERT_EQ(0, v_reply(self->srv, r.sender, &rep));
	ASSERT_EQ(0, send_result(&cli, &res, MS_WAIT));
	ASSERT_EQ(0, res.ret);
	ASSERT_TRUE(msg_eq(&rep, &res.msg));
	ASSERT_EQ(0, kid_end(&cli));
	fd = vt_ns_vopen(hname(0), 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_send(fd, rid, &m));
	ASSERT_EQ(V_OK, v_msg_code(&m));
	ASSERT_EQ(0, kid_end(&recv_k));
	close(fd);

	/* All gone: rmmod works, and so does a new insmod. */
	close(self->srv);
	self->srv = -1;
	vt_topo_destroy(&topo);
	self->ready = 0;
	end = vt_now_ms() + 20000LL * vt_scale();
	do {
		ret = vt_module_unload() ? -errno : 0;
		if (!ret)
			break;
		usleep(100000);
	} while (vt_now_ms() < end);
	ASSERT_EQ(0, ret) TH_LOG("rmmod: %s (refcount %lld)", strerror(-ret), vt_vkmod_refcount());
	ASSERT_FALSE(vt_module_loaded());
	ASSERT_EQ(0, vt_module_load(NULL)) TH_LOG("insmod: %s", strerror(errno));
	fd = vt_socket();
	ASSERT_LE(0, fd);
	ASSERT_NE(0, vt_id(fd));
	ASSERT_EQ(1, vt_vkmod_refcount());
	close(fd);
}

/*
 * TEST_HARNESS_MAIN, in the order of this file (rmmod last), with every
 * timeout scaled by VK_TIMEOUT_SCALE.
 */
VT_HARNESS_MAIN
