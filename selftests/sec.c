// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "sec": who may do what on a host shared by several users, each
 * test the refusal (or the narrowing) a fix made, so each fails on the
 * module before it (5c3a75e) and passes now.  docs/SECURITY.md has the
 * threat model; docs/TESTING.md records the runs against the old module.
 *
 *   setpid_*        a process registers only itself, and only it, its
 *                   registrant or an administrator removes a registration
 *   group_send_*    a local member of a group gets a local sender's
 *                   credentials
 *   dumps_*         vctl proc / group / alien show: other users' processes
 *                   (and the aliens they hold) only for CAP_NET_ADMIN
 *   slow_copy.*     a receiver whose buffer faults slowly (userfaultfd)
 *                   does not keep a Send past its timeout or its signal
 *   longjmp_*       a Send stopped, then left by siglongjmp() from a
 *                   handler, is never rejoined by a new Send and does not
 *                   keep other threads out of the socket
 *
 * Unprivileged callers are children that setuid() to another uid (which
 * drops every capability) after taking what they need from the parent.
 */
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/userfaultfd.h>
#include "kselftest_harness.h"
#include "vtest.h"
#include "vkids.h"
#include "vwire.h"

#define UID_A		1000
#define UID_B		65534
#define LID		4000		/* above V_LID_PRIVILEGED: anyone may register */

/* Become uid (no capabilities left, no supplementary groups). */
static void sec_become(uid_t uid)
{
	CKEQ(0, setgroups(0, NULL));
	CKEQ(0, setgid(uid));
	CKEQ(0, setuid(uid));
	CKEQ(0, prctl(PR_SET_DUMPABLE, 1));
}

/* Run fn(arg) in a child as uid; its exit status (0: every check held). */
static int sec_as(uid_t uid, void (*fn)(void *), void *arg)
{
	pid_t pid = kid_fork(0);

	if (pid == 0) {
		sec_become(uid);
		fn(arg);
		_exit(0);
	}
	return pid < 0 ? -1 : kid_wait(pid);
}

struct sec_reg {
	int fd_a, fd_b;
	uint64_t id_a, id_b;
};

static void reg_a_self(void *arg)
{
	struct sec_reg *r = arg;

	CKEQ(0, v_set_pid(r->fd_a, LID, r->id_a, V_SCOPE_LOCAL));
}

/* Another user's registration: neither removed, replaced nor imitated. */
static void reg_b_cannot(void *arg)
{
	struct sec_reg *r = arg;
	uint64_t got = 0;

	CKEQ(-EPERM, v_set_pid(r->fd_b, LID, 0, V_SCOPE_LOCAL));
	CKEQ(-EEXIST, v_set_pid(r->fd_b, LID, r->id_b, V_SCOPE_LOCAL));
	/* Nor may it register another process, under any id. */
	CKEQ(-EPERM, v_set_pid(r->fd_b, LID + 1, r->id_a, V_SCOPE_LOCAL));
	CKEQ(-ESRCH, v_get_pid(r->fd_b, LID + 1, V_SCOPE_LOCAL, &got));
	CKEQ(0, v_get_pid(r->fd_b, LID, V_SCOPE_LOCAL, &got));
	CKEQ(r->id_a, got);
	/* Its own process it may register, and remove again. */
	CKEQ(0, v_set_pid(r->fd_b, LID + 2, r->id_b, V_SCOPE_LOCAL));
	CKEQ(0, v_set_pid(r->fd_b, LID + 2, 0, V_SCOPE_LOCAL));
}

static void reg_a_unsets(void *arg)
{
	struct sec_reg *r = arg;

	CKEQ(0, v_set_pid(r->fd_a, LID, 0, V_SCOPE_LOCAL));
}

/*
 * Item 9 of the review: uid 65534 took logical id 4000 from uid 1000's
 * server by removing it and registering itself.  Now only the registered
 * process, its registrant or CAP_NET_ADMIN removes a registration, and a
 * process registers only itself (an administrator registers anyone).
 */
TEST(setpid_owner_only)
{
	struct sec_reg r;
	uint64_t got = 0;

	r.fd_a = v_open();
	r.fd_b = v_open();
	ASSERT_LE(0, r.fd_a);
	ASSERT_LE(0, r.fd_b);
	r.id_a = vt_id(r.fd_a);
	r.id_b = vt_id(r.fd_b);
	ASSERT_EQ(0, sec_as(UID_A, reg_a_self, &r));
	ASSERT_EQ(0, sec_as(UID_B, reg_b_cannot, &r)) TH_LOG("another user changed a registration");
	ASSERT_EQ(0, v_get_pid(r.fd_b, LID, V_SCOPE_LOCAL, &got));
	ASSERT_EQ(r.id_a, got);
	/* The administrator may register any process and remove it. */
	ASSERT_EQ(0, v_set_pid(r.fd_b, LID + 3, r.id_a, V_SCOPE_LOCAL));
	ASSERT_EQ(0, v_set_pid(r.fd_b, LID + 3, 0, V_SCOPE_LOCAL));
	/* The registered process itself removes its registration. */
	ASSERT_EQ(0, sec_as(UID_A, reg_a_unsets, &r));
	ASSERT_EQ(-ESRCH, v_get_pid(r.fd_b, LID, V_SCOPE_LOCAL, &got));
	close(r.fd_a);
	close(r.fd_b);
}

/* A registration by an administrator of another process: that process may remove it. */
TEST(setpid_registered_process_may_unset)
{
	struct sec_reg r;
	uint64_t got;

	r.fd_a = v_open();
	ASSERT_LE(0, r.fd_a);
	r.id_a = vt_id(r.fd_a);
	r.fd_b = v_open();
	ASSERT_LE(0, r.fd_b);
	ASSERT_EQ(0, v_set_pid(r.fd_b, LID, r.id_a, V_SCOPE_LOCAL));
	ASSERT_EQ(0, sec_as(UID_A, reg_a_unsets, &r));
	ASSERT_EQ(-ESRCH, v_get_pid(r.fd_b, LID, V_SCOPE_LOCAL, &got));
	close(r.fd_a);
	close(r.fd_b);
}

/* ------------------------------------------------------------------------ */
/* Credentials                                                              */

struct sec_gsend {
	uint64_t gid;
};

static void gsend_as_user(void *arg)
{
	struct sec_gsend *g = arg;
	struct v_msg m = mk(V_REQ_SERVICE_BASE, 0x5ec);
	int fd = v_open();

	CK(fd >= 0);
	CKEQ(0, v_send(fd, g->gid, &m));
	CKEQ(V_OK, v_msg_code(&m));
}

/*
 * Item 11: a local member of a group was told that a group Send of a
 * process of its own host came from a remote client, with pid 0 and the
 * initial namespace's uid.  It now gets the local credentials, as for a
 * unicast Send: no V_CRED_REMOTE, the sender's uid and pid.
 */
TEST(group_send_local_member_gets_local_creds)
{
	struct sec_gsend g;
	struct v_receive r;
	struct v_msg ok = mk(V_OK, 0);
	int fd = v_open();
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, v_group_create(fd, &g.gid));
	ASSERT_EQ(0, v_group_join(fd, g.gid));
	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		sec_become(UID_A);
		gsend_as_user(&g);
		_exit(0);
	}
	ASSERT_LT(0, vt_wait_poll(fd, POLLIN, 5000 * vt_scale()));
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, v_receive_ex(fd, &r));
	ASSERT_EQ(0, v_reply(fd, r.sender, &ok));
	ASSERT_EQ(0, kid_wait(pid));
	ASSERT_EQ(g.gid, r.group);
	EXPECT_EQ(0, r.creds.flags & V_CRED_REMOTE);
	EXPECT_EQ(UID_A, r.creds.uid);
	EXPECT_EQ(UID_A, r.creds.gid);
	EXPECT_EQ(pid, (pid_t)r.creds.pid);
	EXPECT_EQ(v_id_host(vt_id(fd)), r.creds.host);
	close(fd);
}

/* ------------------------------------------------------------------------ */
/* Dumps                                                                    */

struct sec_dump {
	uint64_t root_id, own_id, gid_root, gid_both;
	int fd;		/* the unprivileged user's own V process */
};

static int has_id(const char *out, uint64_t id)
{
	char hex[32];

	snprintf(hex, sizeof(hex), "0x%016llx", (unsigned long long)id);
	return strstr(out, hex) != NULL;
}

/* As uid B: its own process listed, root's not; groups with its members only. */
static void dump_as_user(void *arg)
{
	struct sec_dump *d = arg;
	static char out[65536];

	d->fd = v_open();
	CK(d->fd >= 0);
	d->own_id = vt_id(d->fd);
	CKEQ(0, v_group_join(d->fd, d->gid_both));
	CKEQ(0, vt_vctl_run(NULL, "-j proc show", out, sizeof(out), 0));
	CK(has_id(out, d->own_id));
	CK(!has_id(out, d->root_id));
	CKEQ(0, vt_vctl_run(NULL, "-j group show", out, sizeof(out), 0));
	CK(!has_id(out, d->gid_root));
	CK(has_id(out, d->gid_both));
	CK(has_id(out, d->own_id));
	CK(!has_id(out, d->root_id));
	CKEQ(0, vt_vctl_run(NULL, "proc show", out, sizeof(out), 0));
	CK(!has_id(out, d->root_id));
}

/*
 * Item 12: `vctl proc show` and `group show` showed every user's processes
 * (and who waits on whom) to anyone in the namespace.  Now a user without
 * CAP_NET_ADMIN sees its own processes, and groups only with its own
 * members; root still sees everything.
 */
TEST(dumps_own_processes_only)
{
	static char out[65536];
	struct sec_dump d = { 0 };
	int fd = v_open();

	ASSERT_LE(0, fd);
	d.root_id = vt_id(fd);
	ASSERT_EQ(0, v_group_create(fd, &d.gid_root));
	ASSERT_EQ(0, v_group_join(fd, d.gid_root));
	ASSERT_EQ(0, v_group_create(fd, &d.gid_both));
	ASSERT_EQ(0, v_group_join(fd, d.gid_both));
	ASSERT_EQ(0, sec_as(UID_B, dump_as_user, &d)) TH_LOG("another user's processes were shown");
	/* Root sees its own, and the groups whole. */
	ASSERT_EQ(0, vt_vctl_run(NULL, "-j proc show", out, sizeof(out), 0));
	ASSERT_TRUE(has_id(out, d.root_id));
	ASSERT_EQ(0, vt_vctl_run(NULL, "-j group show", out, sizeof(out), 0));
	ASSERT_TRUE(has_id(out, d.gid_root));
	ASSERT_TRUE(has_id(out, d.gid_both));
	close(fd);
}

/* Two V hosts on a bridge, for what needs a remote client. */
static const struct vt_topo topo = {
	.ns_fmt = "vksec%d", .port_fmt = "vksecp%d", .veth = "eth0", .bridge = "vksecbr", .n = 2,
};

struct sec_alien {
	uint64_t client;
	int ok;
};

/* As uid B in host 0: the alien held by root's server is not listed. */
static void alien_as_user(void *arg)
{
	struct sec_alien *a = arg;
	static char out[65536];

	CKEQ(0, vt_vctl_run(NULL, "-j alien show", out, sizeof(out), 0));
	CK(!has_id(out, a->client));
	CKEQ(0, vt_vctl_run(NULL, "alien show", out, sizeof(out), 0));
	CK(!has_id(out, a->client));
}

/*
 * Item 12, aliens: `vctl alien show` named every remote client a server
 * holds to anyone on the host.  Without CAP_NET_ADMIN only the aliens held
 * by the caller's own processes are listed.
 */
FIXTURE(wire) {
	pid_t owner;
};

FIXTURE_SETUP(wire)
{
	self->owner = getpid();
	ASSERT_LE(0, vt_root_open());
	if (vt_topo_exists(&topo))
		vt_topo_destroy(&topo);	/* whatever a killed run left */
	ASSERT_EQ(0, vt_topo_create(&topo));
}

FIXTURE_TEARDOWN(wire)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	vt_topo_destroy(&topo);
	vt_root_close();
}

TEST_F_TIMEOUT(wire, dumps_aliens_of_own_processes_only, 60)
{
	struct v_msg m = mk(V_REQ_SERVICE_BASE, 0xa1);
	static char out[65536];
	struct sec_alien a = { 0 };
	struct v_receive r;
	int srv, fd, p[2];
	uint64_t srv_id;
	pid_t pid, kid;

	srv = vt_ns_vopen(vt_topo_ns(&topo, 0), 0);
	ASSERT_LE(0, srv);
	srv_id = vt_id(srv);
	ASSERT_EQ(0, pipe(p));
	pid = kid_fork(0);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fd = vt_ns_vopen(vt_topo_ns(&topo, 1), 0);
		CK(fd >= 0);
		a.client = vt_id(fd);
		CKEQ(8, write(p[1], &a.client, 8));
		CKEQ(0, v_send(fd, srv_id, &m));
		_exit(0);
	}
	ASSERT_EQ(8, read(p[0], &a.client, 8));
	ASSERT_LT(0, vt_wait_poll(srv, POLLIN, 10000 * vt_scale()));
	/* Queued, then held: neither is another user's to see. */
	kid = kid_fork(0);
	ASSERT_LE(0, kid);
	if (kid == 0) {
		CKEQ(0, vt_ns_enter(vt_topo_ns(&topo, 0)));
		sec_become(UID_B);
		alien_as_user(&a);
		_exit(0);
	}
	EXPECT_EQ(0, kid_wait(kid)) TH_LOG("another user's alien was shown");
	ASSERT_EQ(0, vt_vctl_run(vt_topo_ns(&topo, 0), "-j alien show", out, sizeof(out), 0));
	EXPECT_TRUE(has_id(out, a.client)) TH_LOG("%s", out);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, v_receive_ex(srv, &r));
	ASSERT_EQ(a.client, r.sender);
	ASSERT_EQ(0, v_reply(srv, r.sender, &m));
	ASSERT_EQ(0, kid_wait(pid));
	close(srv);
}

/* ------------------------------------------------------------------------ */
/* A receiver whose own memory faults slowly                                */

#define SLOW_LEN	(16 * 4096)

FIXTURE(slow_copy) {
	int s, r, uffd;
	uint64_t sid, rid;
	char *slow;		/* the receiver's buffer, behind userfaultfd */
	char *seg;		/* the sender's segment */
	pthread_t sth, rth;
	pid_t stid;
	_Atomic int sent;	/* the sender's Send has returned */
	int sret, rret;
};

FIXTURE_VARIANT(slow_copy) {
	int move_to;		/* MoveTo from the slow buffer, else ReceiveWithSegment into it */
	int by_signal;		/* a signal with a handler, else the timeout, ends the Send */
};

FIXTURE_VARIANT_ADD(slow_copy, receive_seg_timeout) { .move_to = 0, .by_signal = 0 };
FIXTURE_VARIANT_ADD(slow_copy, move_to_timeout) { .move_to = 1, .by_signal = 0 };
FIXTURE_VARIANT_ADD(slow_copy, receive_seg_signal) { .move_to = 0, .by_signal = 1 };

static void slow_on_usr1(int sig)
{
	(void)sig;
}

static const FIXTURE_VARIANT(slow_copy) *slow_variant;

static void *slow_sender(void *arg)
{
	FIXTURE_DATA(slow_copy) *self = arg;
	struct v_send s;

	self->stid = (pid_t)syscall(SYS_gettid);
	memset(&s, 0, sizeof(s));
	s.dst = self->rid;
	s.seg_addr = (uintptr_t)self->seg;
	s.seg_len = SLOW_LEN;
	s.seg_access = V_SEG_READ | V_SEG_WRITE;
	if (!slow_variant->by_signal)
		s.timeout_ns = 300ULL * 1000000 * vt_scale();
	self->sret = v_send_ex(self->s, &s);
	atomic_store(&self->sent, 1);
	return NULL;
}

static void *slow_receiver(void *arg)
{
	FIXTURE_DATA(slow_copy) *self = arg;
	struct v_receive r;
	struct v_msg m;
	uint64_t from;

	if (!slow_variant->move_to) {
		self->rret = v_receive_with_segment(self->r, &m, &from, self->slow, SLOW_LEN);
		self->rret = self->rret < 0 ? self->rret : 0;
		return NULL;
	}
	memset(&r, 0, sizeof(r));
	self->rret = v_receive_ex(self->r, &r);
	if (!self->rret)
		self->rret = v_move_to(self->r, r.sender, 0, self->slow, SLOW_LEN);
	return NULL;
}

FIXTURE_SETUP(slow_copy)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct sigaction sa;

	slow_variant = variant;
	self->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0 && errno == ENOSYS)
		SKIP(return, "no userfaultfd in this kernel (CONFIG_USERFAULTFD)");
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_API, &api));
	self->slow = mmap(NULL, SLOW_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->slow);
	reg.range.start = (uintptr_t)self->slow;
	reg.range.len = SLOW_LEN;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_REGISTER, &reg));
	self->seg = calloc(1, SLOW_LEN);
	ASSERT_NE(NULL, self->seg);
	self->s = v_open();
	self->r = v_open();
	ASSERT_LE(0, self->s);
	ASSERT_LE(0, self->r);
	self->sid = vt_id(self->s);
	self->rid = vt_id(self->r);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = slow_on_usr1;	/* no SA_RESTART */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

FIXTURE_TEARDOWN(slow_copy)
{
	if (self->uffd < 0)
		return;
	close(self->s);
	close(self->r);
	close(self->uffd);
	munmap(self->slow, SLOW_LEN);
	free(self->seg);
}

/* Wait (ms at most) for the receiver's copy to fault on the slow buffer. */
static int slow_wait_fault(int uffd, int ms)
{
	struct uffd_msg msg;

	if (vt_wait_poll(uffd, POLLIN, ms) <= 0)
		return -1;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -1;
}

/*
 * The page fault is held until the Send has returned (or 10 s): a Send
 * that waited for the copy would return only after it is resolved.
 */
TEST_F_TIMEOUT(slow_copy, send_ends_while_receiver_faults, 120)
{
	struct uffdio_zeropage zp;
	int64_t end;
	int first;

	ASSERT_EQ(0, pthread_create(&self->rth, NULL, slow_receiver, self));
	ASSERT_EQ(0, pthread_create(&self->sth, NULL, slow_sender, self));
	ASSERT_EQ(0, slow_wait_fault(self->uffd, 10000 * vt_scale()))
		TH_LOG("the receiver's copy never faulted on its buffer");
	if (variant->by_signal) {
		usleep(100000);
		ASSERT_EQ(0, pthread_kill(self->sth, SIGUSR1));
	}
	end = vt_now_ms() + 10000LL * vt_scale();
	while (!atomic_load(&self->sent) && vt_now_ms() < end)
		usleep(5000);
	first = atomic_load(&self->sent);
	zp.range.start = (uintptr_t)self->slow;
	zp.range.len = SLOW_LEN;
	zp.mode = 0;
	EXPECT_EQ(0, ioctl(self->uffd, UFFDIO_ZEROPAGE, &zp));
	pthread_join(self->sth, NULL);
	pthread_join(self->rth, NULL);
	EXPECT_TRUE(first) TH_LOG("the Send waited for the receiver's page fault");
	EXPECT_EQ(variant->by_signal ? -EINTR : -ETIMEDOUT, self->sret);
	/* The receiver learns the message is gone, and nothing is left held. */
	EXPECT_EQ(variant->move_to ? -ENOENT : 0, self->rret);
	EXPECT_EQ(-ENOENT, v_reply(self->r, self->sid, &(struct v_msg){ 0 }));
}

/* ------------------------------------------------------------------------ */
/* A stopped Send left by siglongjmp()                                      */

static sigjmp_buf jmp_env;

static void jmp_on_usr1(int sig)
{
	(void)sig;
	siglongjmp(jmp_env, 1);
}

/*
 * The child: Send request 1 to dst and, once a stop and a SIGUSR1 have
 * taken it out of that Send by siglongjmp(), say 'J' on wfd; then, if
 * again, Send request 2 and report its result and reply.
 */
static void jmp_child(int fd, uint64_t dst, int wfd, int again)
{
	struct sigaction sa;
	struct v_msg m = mk(0x101, 1);
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = jmp_on_usr1;
	CKEQ(0, sigaction(SIGUSR1, &sa, NULL));
	if (sigsetjmp(jmp_env, 1) == 0) {
		v_send(fd, dst, &m);
		ck_fail(__LINE__, "the first Send returned");
	}
	CKEQ(1, (int)write(wfd, "J", 1));
	if (!again) {
		pause();
		_exit(0);
	}
	m = mk(0x101, 2);
	ret = v_send(fd, dst, &m);
	CKEQ(sizeof(ret), (size_t)write(wfd, &ret, sizeof(ret)));
	CKEQ(sizeof(m), (size_t)write(wfd, &m, sizeof(m)));
	_exit(0);
}

FIXTURE(longjmp) {
	int r, c, pfd[2];
	uint64_t rid, cid;
	pid_t kid;
};

FIXTURE_SETUP(longjmp)
{
	nkids = 0;
	self->r = v_open();
	self->c = v_open();
	ASSERT_LE(0, self->r);
	ASSERT_LE(0, self->c);
	self->rid = vt_id(self->r);
	self->cid = vt_id(self->c);
	ASSERT_EQ(0, pipe(self->pfd));
	self->kid = -1;
}

FIXTURE_TEARDOWN(longjmp)
{
	kids_kill_all();
	close(self->r);
	close(self->c);
	close(self->pfd[0]);
	close(self->pfd[1]);
}

/* Start the child's first Send, take it, and take the child out by siglongjmp(). */
static int jmp_start(FIXTURE_DATA(longjmp) *self, int again, struct v_receive *r)
{
	char j;

	self->kid = kid_fork(0);
	if (self->kid == 0)
		jmp_child(self->c, self->rid, self->pfd[1], again);
	if (self->kid < 0 || vt_wait_poll(self->r, POLLIN, 10000) <= 0)
		return -1;
	memset(r, 0, sizeof(*r));
	if (v_receive_ex(self->r, r) || v_msg_get64(&r->msg, 8) != 1)
		return -2;
	/* Stopped in its Send (detached), then a handler that leaves by siglongjmp(). */
	if (kill(self->kid, SIGSTOP) || vt_wait_state(self->kid, self->kid, 'T', 10000))
		return -3;
	if (kill(self->kid, SIGUSR1) || kill(self->kid, SIGCONT))
		return -4;
	return vt_read_full(self->pfd[0], &j, 1, 10000) ? -5 : 0;
}

/* The thread's next Send is a new request, not the old one rejoined. */
TEST_F_TIMEOUT(longjmp, next_send_is_a_new_request, 90)
{
	struct v_msg reply = mk(V_OK, 22), got;
	struct v_receive r, r2;
	int ret;

	ASSERT_EQ(0, jmp_start(self, 1, &r));
	ASSERT_LT(0, vt_wait_poll(self->r, POLLIN, 5000))
		TH_LOG("the new Send never reached the receiver (it rejoined the old one)");
	memset(&r2, 0, sizeof(r2));
	ASSERT_EQ(0, v_receive_ex(self->r, &r2));
	EXPECT_EQ(2, v_msg_get64(&r2.msg, 8));
	ASSERT_EQ(0, v_reply(self->r, self->cid, &reply));
	ASSERT_EQ(0, vt_read_full(self->pfd[0], &ret, sizeof(ret), 10000));
	ASSERT_EQ(0, vt_read_full(self->pfd[0], &got, sizeof(got), 10000));
	EXPECT_EQ(0, ret);
	EXPECT_TRUE(msg_eq(&reply, &got));
	EXPECT_EQ(0, kid_wait(self->kid));
}

/* Another process sharing the socket may Send on it again. */
TEST_F_TIMEOUT(longjmp, socket_not_wedged_for_others, 90)
{
	struct v_msg m = mk(0x101, 3);
	struct v_receive r;
	struct v_send s;

	ASSERT_EQ(0, jmp_start(self, 0, &r));
	memset(&s, 0, sizeof(s));
	s.dst = self->rid;
	s.timeout_ns = 300ULL * 1000000 * vt_scale();
	s.msg = m;
	EXPECT_EQ(-ETIMEDOUT, v_send_ex(self->c, &s)) TH_LOG("the socket stayed busy");
	/* The abandoned Send is over: its Reply finds nothing. */
	EXPECT_EQ(-ENOENT, v_reply(self->r, self->cid, &m));
}

VT_HARNESS_MAIN
