// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "cluster": V IPC between two QEMU guests (two V hosts, each in its
 * initial network namespace) joined by tap devices on a bridge that
 * selftests/qemu/cluster.sh builds on the machine.  This program runs on
 * guest B; guest A runs selftests/cluster_peer.c, registered as logical id
 * CL_LID with remote scope.  selftests/cluster-guest.sh prepares both
 * (virtio_net up, `vctl link add`, `vctl set host-down-ms` on B, exported
 * to this program as VK_HOST_DOWN_MS).
 *
 * Guest A also runs vexecd (the program manager, <vexec.h>): a program is
 * run there from here with `vrun -H` as uid 1000 (exec_on_peer).
 *
 * The tests run in the order they are defined; the last one, host_down,
 * asks the host to kill guest A by printing "# vk-cluster: kill-a" while a
 * Send to A is outstanding and a program runs there for vrun, and checks
 * that this Send, and a later one, fail with EHOSTUNREACH, and that vrun
 * fails (255), within the host-down bound.
 */
#include <grp.h>
#include <pthread.h>
#include <inttypes.h>
#include "vtest.h"
#include "kselftest_harness.h"

#define CL_PROTOCOL_ONLY
#include "cluster_peer.c"

#define FIND_MS		90000	/* how long to look for the server (A boots) */
#define REFIND_MS	8000	/* ... once an earlier test has found it */
#define KILL_SLACK_MS	4000	/* host reaction to the kill marker, jitter */
#define KILL_MARKER	"# vk-cluster: kill-a"
#define VRUN_UID	1000	/* vexecd refuses root from another host */

static int host_down_ms(void)
{
	const char *s = getenv("VK_HOST_DOWN_MS");
	int v = s ? atoi(s) : 0;

	return v > 0 ? v : 3000;
}

/* GetPid CL_LID with remote scope, retried for up to ms; 0 if not found. */
static uint64_t find_server(int fd, int ms, int64_t *took)
{
	int64_t t0 = vt_now_ms(), end = t0 + (int64_t)ms * vt_scale();
	uint64_t pid = 0;
	int e;

	do {
		e = v_get_pid(fd, CL_LID, V_SCOPE_REMOTE, &pid);
		if (e == 0 && pid)
			break;
		pid = 0;
		if (e != -ESRCH && e != -EINTR)
			usleep(200 * 1000);
	} while (vt_now_ms() < end);
	if (took)
		*took = vt_now_ms() - t0;
	return pid;
}

static struct v_msg req(uint16_t code, uint32_t seq)
{
	struct v_msg m;

	memset(&m, 0, sizeof(m));
	v_msg_set_code(&m, code);
	v_msg_put32(&m, 4, seq);
	return m;
}

static uint8_t *seg_alloc(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p)
		memset(p, 0, len);
	return p;
}

/*
 * `vrun -H HOST ARGS...` as VRUN_UID in /tmp, stdin /dev/null, stdout
 * and stderr into the files out and err: its pid.
 */
static pid_t vrun_start(uint32_t host, const char *out, const char *err, char *const args[])
{
	char vrun[512], h[16], *argv[16];
	const char *b = getenv("VK_BUILD");
	int i, n = 0;
	pid_t pid;

	snprintf(vrun, sizeof(vrun), "%s/tools/vrun", b ? b : "build");
	snprintf(h, sizeof(h), "0x%x", host);
	argv[n++] = vrun;
	argv[n++] = "-H";
	argv[n++] = h;
	for (i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || o < 0 || e < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e, 2) < 0 || chdir("/tmp") || setgroups(0, NULL) ||
		    setgid(VRUN_UID) || setuid(VRUN_UID))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Wait up to ms for pid: its exit status (1000 + signal), or -1 (killed then). */
static int vrun_wait(pid_t pid, int64_t ms)
{
	int64_t end = vt_now_ms() + ms;
	int st;

	do {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
		usleep(20000);
	} while (vt_now_ms() < end);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

FIXTURE(cl) {
	int fd;
	uint64_t me, srv;
};

/*
 * Each test runs in a child of the harness; the first one to find the
 * server leaves this mark, so that later tests do not wait for a boot
 * again when A is gone (they fail in seconds, not minutes).
 */
static void seen_path(char *p, size_t n)
{
	snprintf(p, n, "/tmp/vk-cluster-seen-%d", (int)getppid());
}

FIXTURE_SETUP(cl)
{
	char seen[64];
	int64_t took;
	int mark;

	self->fd = v_open();
	ASSERT_LE(0, self->fd) TH_LOG("v_open: %s", strerror(-self->fd));
	ASSERT_EQ(0, v_self(self->fd, &self->me));
	seen_path(seen, sizeof(seen));
	self->srv = find_server(self->fd, access(seen, F_OK) ? FIND_MS : REFIND_MS, &took);
	if (self->srv) {
		mark = open(seen, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (mark >= 0)
			close(mark);
	}
	ASSERT_NE(0, self->srv) TH_LOG("no answer to GetPid(%u, remote) in %lld ms",
				       CL_LID, (long long)took);
	if (took > 2000)
		TH_LOG("server 0x%" PRIx64 " found after %lld ms", self->srv, (long long)took);
}

FIXTURE_TEARDOWN(cl)
{
	char seen[64];

	if (self->fd >= 0)
		v_close(self->fd);
	/* The last test takes the mark away with the server. */
	if (!strcmp(_metadata->name, "host_down")) {
		seen_path(seen, sizeof(seen));
		unlink(seen);
	}
}

/* The server is on the other host; GetPid misses come back ESRCH. */
TEST_F_TIMEOUT(cl, getpid_remote, 150)
{
	uint64_t pid = 1;

	EXPECT_NE(0, v_id_host(self->srv));
	EXPECT_NE(v_id_host(self->me), v_id_host(self->srv));
	EXPECT_FALSE(v_id_is_group(self->srv));
	/* Not registered on this host, and nobody has CL_LID + 1. */
	EXPECT_EQ(-ESRCH, v_get_pid(self->fd, CL_LID, V_SCOPE_LOCAL, &pid));
	EXPECT_EQ(-ESRCH, v_get_pid(self->fd, CL_LID + 1, V_SCOPE_REMOTE, &pid));
	/* Both scopes: local misses, remote answers. */
	ASSERT_EQ(0, v_get_pid(self->fd, CL_LID, V_SCOPE_BOTH, &pid));
	EXPECT_EQ(self->srv, pid);
}

/* A live host without that process answers at once: ESRCH. */
TEST_F(cl, send_no_such_process)
{
	uint64_t dst = v_id_make(v_id_host(self->srv), V_ID_INDEX_MAX);
	struct v_msg m = req(CL_REQ_ECHO, 1);
	int64_t t0 = vt_now_ms();

	ASSERT_NE(self->srv, dst);
	EXPECT_EQ(-ESRCH, v_send(self->fd, dst, &m));
	EXPECT_GT(host_down_ms(), vt_now_ms() - t0);
}

/* 100 round trips, each reply checked; replier is the server. */
TEST_F(cl, echo_100)
{
	int64_t t0 = vt_now_ms();

	for (uint32_t i = 0; i < 100; i++) {
		struct v_send s;
		struct v_msg q = req(CL_REQ_ECHO, 1000 + i);
		int j;

		for (j = 8; j < V_MSG_SIZE; j++)
			q.b[j] = (uint8_t)(i * 31 + j);
		memset(&s, 0, sizeof(s));
		s.dst = self->srv;
		s.msg = q;
		ASSERT_EQ(0, v_send_ex(self->fd, &s)) TH_LOG("round trip %u", i);
		ASSERT_EQ(V_OK, v_msg_code(&s.msg));
		ASSERT_EQ(self->srv, s.replier);
		ASSERT_EQ(1001 + i, v_msg_get32(&s.msg, 4));
		for (j = 8; j < V_MSG_SIZE; j++) {
			ASSERT_EQ(q.b[j] ^ 0x5a, s.msg.b[j]) TH_LOG("trip %u byte %d", i, j);
		}
	}
	TH_LOG("100 round trips, %.2f ms each", (vt_now_ms() - t0) / 100.0);
}

/*
 * The server MoveFroms len bytes (in chunks of chunk, 0: at once), checks
 * them, MoveTos a new pattern back; check both directions.
 */
static void move_check(struct __test_metadata *_metadata, int fd, uint64_t srv,
		       size_t len, uint32_t chunk)
{
	uint32_t seed_in = 0x1000 + (uint32_t)len, seed_out = 0x2000 + chunk;
	uint8_t *seg = seg_alloc(len);
	uint64_t first, bad;
	struct v_msg m;
	int64_t t0, t1;

	ASSERT_NE(NULL, seg);
	cl_fill(seg, len, seed_in, 0);
	m = req(CL_REQ_MOVE, 7);
	v_msg_put64(&m, 8, len);
	v_msg_put32(&m, 16, seed_in);
	v_msg_put32(&m, 20, seed_out);
	v_msg_put32(&m, 24, chunk);
	t0 = vt_now_ms();
	ASSERT_EQ(0, v_send_seg(fd, srv, &m, seg, len, V_SEG_READ | V_SEG_WRITE));
	t1 = vt_now_ms();
	ASSERT_EQ(V_OK, v_msg_code(&m));
	EXPECT_EQ(0, (int32_t)v_msg_get32(&m, 4))
		TH_LOG("server's move: %s", strerror(-(int32_t)v_msg_get32(&m, 4)));
	EXPECT_EQ(0, v_msg_get64(&m, 8))
		TH_LOG("MoveFrom: %llu bytes differ, first at %llu",
		       (unsigned long long)v_msg_get64(&m, 8),
		       (unsigned long long)v_msg_get64(&m, 16));
	bad = cl_check(seg, len, seed_out, 0, &first);
	EXPECT_EQ(0, bad) TH_LOG("MoveTo: %" PRIu64 " bytes differ, first at %" PRIu64,
				 bad, first);
	TH_LOG("%zu bytes each way in %lld ms (%.1f MB/s)", len, (long long)(t1 - t0),
	       t1 > t0 ? 2.0 * len / 1e3 / (t1 - t0) : 0.0);
	free(seg);
}

TEST_F_TIMEOUT(cl, move_1m, 120)
{
	move_check(_metadata, self->fd, self->srv, 1U << 20, 0);
}

TEST_F_TIMEOUT(cl, move_16m, 150)
{
	move_check(_metadata, self->fd, self->srv, 16U << 20, 0);
}

/* Unaligned offsets and lengths: odd chunks over an odd length. */
TEST_F_TIMEOUT(cl, move_chunks, 120)
{
	move_check(_metadata, self->fd, self->srv, (1U << 20) + 4097, 100003);
}

/* ReceiveWithSegment: the first bytes of the segment ride in the request. */
TEST_F(cl, receive_with_segment)
{
	static const size_t lens[] = { 300, 3000 };

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		uint8_t *seg = seg_alloc(lens[k]);
		struct v_msg m = req(CL_REQ_PIGGY, 3);
		uint64_t copied;

		ASSERT_NE(NULL, seg);
		cl_fill(seg, lens[k], 77 + k, 0);
		v_msg_put64(&m, 8, lens[k]);
		v_msg_put32(&m, 16, 77 + k);
		ASSERT_EQ(0, v_send_seg(self->fd, self->srv, &m, seg, lens[k], V_SEG_READ));
		ASSERT_EQ(V_OK, v_msg_code(&m));
		copied = v_msg_get64(&m, 8);
		EXPECT_LT(0, copied);
		EXPECT_GE(lens[k], copied);
		if (lens[k] <= 1000)	/* fits in any Ethernet frame */
			EXPECT_EQ(lens[k], copied);
		EXPECT_EQ(0, v_msg_get64(&m, 16)) TH_LOG("piggy-backed bytes differ");
		TH_LOG("segment of %zu bytes: %" PRIu64 " piggy-backed", lens[k], copied);
		free(seg);
	}
}

/* ReplyWithSegment: data lands in the segment before the Send returns. */
TEST_F(cl, reply_with_segment)
{
	static const struct { uint64_t off, len; } w[] = {
		{ 0, 32U << 10 }, { 1001, 3000 }, { (64U << 10) - 1, 1 },
	};
	const size_t len = 64U << 10;
	uint8_t *seg = seg_alloc(len);
	uint64_t first;
	struct v_msg m;

	ASSERT_NE(NULL, seg);
	for (size_t k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
		memset(seg, 0xee, len);
		m = req(CL_REQ_RWS, 5);
		v_msg_put64(&m, 8, w[k].off);
		v_msg_put64(&m, 16, w[k].len);
		v_msg_put32(&m, 24, 500 + k);
		ASSERT_EQ(0, v_send_seg(self->fd, self->srv, &m, seg, len, V_SEG_WRITE));
		ASSERT_EQ(V_OK, v_msg_code(&m))
			TH_LOG("write %" PRIu64 "@%" PRIu64 ": %s", w[k].len, w[k].off,
			       strerror(-(int32_t)v_msg_get32(&m, 4)));
		EXPECT_EQ(0, cl_check(seg + w[k].off, w[k].len, 500 + k, w[k].off, &first))
			TH_LOG("write %" PRIu64 "@%" PRIu64 ": first bad byte at %" PRIu64,
			       w[k].len, w[k].off, first);
		for (size_t i = 0; i < len; i++) {
			if (i < w[k].off || i >= w[k].off + w[k].len) {
				ASSERT_EQ(0xee, seg[i]) TH_LOG("byte %zu outside the write", i);
			}
		}
	}

	/* Errors come back to the server, which replies with them. */
	m = req(CL_REQ_RWS, 6);
	v_msg_put64(&m, 16, (32U << 10) + 1);
	ASSERT_EQ(0, v_send_seg(self->fd, self->srv, &m, seg, len, V_SEG_WRITE));
	EXPECT_EQ(V_BAD_BUFFER, v_msg_code(&m));
	EXPECT_EQ(-EMSGSIZE, (int32_t)v_msg_get32(&m, 4));

	m = req(CL_REQ_RWS, 7);
	v_msg_put64(&m, 8, len - 10);
	v_msg_put64(&m, 16, 11);
	ASSERT_EQ(0, v_send_seg(self->fd, self->srv, &m, seg, len, V_SEG_WRITE));
	EXPECT_EQ(V_BAD_BUFFER, v_msg_code(&m));
	EXPECT_EQ(-ERANGE, (int32_t)v_msg_get32(&m, 4));

	m = req(CL_REQ_RWS, 8);
	v_msg_put64(&m, 16, 16);
	ASSERT_EQ(0, v_send_seg(self->fd, self->srv, &m, seg, len, V_SEG_READ));
	EXPECT_EQ(V_BAD_BUFFER, v_msg_code(&m));
	EXPECT_EQ(-EACCES, (int32_t)v_msg_get32(&m, 4));
	free(seg);
}

/*
 * A program run on A through A's vexecd: it says A's host name (each
 * guest has its own: vkguest-a, vkguest-b) and exits as it was told.
 */
TEST_F_TIMEOUT(cl, exec_on_peer, 120)
{
	char *uname[] = { "uname", "-n", NULL }, *three[] = { "sh", "-c", "exit 3", NULL };
	char buf[256], here[256];
	pid_t pid;

	ASSERT_EQ(0, gethostname(here, sizeof(here)));
	EXPECT_STREQ("vkguest-b", here);
	pid = vrun_start(v_id_host(self->srv), "/tmp/vkcl-uname", "/tmp/vkcl-uname.err", uname);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, vrun_wait(pid, 60000 * vt_scale()))
		TH_LOG("vrun: %s", vt_slurp("/tmp/vkcl-uname.err", buf, sizeof(buf)));
	EXPECT_STREQ("vkguest-a\n", vt_slurp("/tmp/vkcl-uname", buf, sizeof(buf)));
	pid = vrun_start(v_id_host(self->srv), "/tmp/vkcl-three", "/tmp/vkcl-three.err", three);
	ASSERT_LT(0, pid);
	EXPECT_EQ(3, vrun_wait(pid, 60000 * vt_scale()))
		TH_LOG("vrun: %s", vt_slurp("/tmp/vkcl-three.err", buf, sizeof(buf)));
}

/* --- the host disappears ------------------------------------------------- */

struct hang {
	uint64_t dst;
	int64_t timeout_ms;
	int64_t end_ms;
	int err;
};

static void *hang_send(void *arg)
{
	struct hang *h = arg;
	struct v_send s;
	int fd = v_open();

	if (fd < 0) {
		h->err = fd;
		h->end_ms = vt_now_ms();
		return NULL;
	}
	memset(&s, 0, sizeof(s));
	s.dst = h->dst;
	s.timeout_ns = (uint64_t)h->timeout_ms * 1000000ULL;
	s.msg = req(CL_REQ_HANG, 9);
	h->err = v_send_ex(fd, &s);
	h->end_ms = vt_now_ms();
	v_close(fd);
	return NULL;
}

/* Send with a timeout (safety net); the error and how long it took. */
static int send_timed(int fd, uint64_t dst, int64_t timeout_ms, int64_t *took)
{
	struct v_send s;
	int64_t t0 = vt_now_ms();
	int e;

	memset(&s, 0, sizeof(s));
	s.dst = dst;
	s.timeout_ns = (uint64_t)timeout_ms * 1000000ULL;
	s.msg = req(CL_REQ_ECHO, 10);
	e = v_send_ex(fd, &s);
	*took = vt_now_ms() - t0;
	return e;
}

/* The server's count of Hang requests held. */
static uint64_t status_held(struct __test_metadata *_metadata, int fd, uint64_t srv)
{
	struct v_msg m = req(CL_REQ_STATUS, 0);
	int e = v_send(fd, srv, &m);

	EXPECT_EQ(0, e) TH_LOG("status request: %s", strerror(-e));
	return e ? 0 : v_msg_get64(&m, 8);
}

/*
 * With a Send held by the server on A, the host kills guest A: the Send
 * fails EHOSTUNREACH within the host-down bound (counted from the kill
 * request) plus slack for the host's reaction, not much before it; a new
 * Send to A fails the same way, and GetPid no longer finds the server.
 * Must stay the last test: A is gone afterwards.
 */
TEST_F_TIMEOUT(cl, host_down, 120)
{
	const int down = host_down_ms(), slack = KILL_SLACK_MS * vt_scale();
	struct hang h = { .dst = self->srv, .timeout_ms = down + slack + 30000 };
	char *sleeper[] = { "-v", "sleep", "100", NULL }, err[512];
	uint64_t held = 0, pid = 0;
	int64_t t0, t_kill, took;
	struct timespec ts;
	pthread_t th;
	pid_t vrun;
	int e;

	/* How many Hang requests the server already holds (normally none). */
	held = status_held(_metadata, self->fd, self->srv);
	ASSERT_EQ(0, pthread_create(&th, NULL, hang_send, &h));
	t0 = vt_now_ms();
	while (status_held(_metadata, self->fd, self->srv) <= held) {
		ASSERT_GT(10000 * vt_scale(), vt_now_ms() - t0)
			TH_LOG("the server never received the Hang request");
		usleep(50 * 1000);
	}

	/* A program runs on A for vrun (started by vexecd: its -v line). */
	vrun = vrun_start(v_id_host(self->srv), "/tmp/vkcl-sleep", "/tmp/vkcl-sleep.err", sleeper);
	ASSERT_LT(0, vrun);
	t0 = vt_now_ms();
	while (!strstr(vt_slurp("/tmp/vkcl-sleep.err", err, sizeof(err)), "vrun: host 0x")) {
		ASSERT_GT(30000 * vt_scale(), vt_now_ms() - t0)
			TH_LOG("vrun's program did not start on A: %s", err);
		usleep(50 * 1000);
	}

	/* The Send is held on A: have the host kill A now. */
	printf("%s\n", KILL_MARKER);
	fflush(stdout);
	t_kill = vt_now_ms();

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (down + slack) / 1000 + 30;
	e = pthread_timedjoin_np(th, NULL, &ts);
	ASSERT_EQ(0, e) TH_LOG("the held Send did not end (kill not done?)");
	took = h.end_ms - t_kill;
	TH_LOG("held Send failed after %lld ms (host-down %d ms): %s",
	       (long long)took, down, strerror(-h.err));
	ASSERT_EQ(-EHOSTUNREACH, h.err);
	EXPECT_GE(took, down - 1000) TH_LOG("failed before the host-down bound");
	EXPECT_LE(took, down + slack) TH_LOG("failed later than host-down + %d ms", slack);

	/* vrun failed too (255), within the bound as well */
	e = vrun_wait(vrun, down + slack + 30000);
	took = vt_now_ms() - t_kill;
	TH_LOG("vrun ended (%d) %lld ms after the kill: %s", e, (long long)took,
	       vt_slurp("/tmp/vkcl-sleep.err", err, sizeof(err)));
	EXPECT_EQ(255, e);
	EXPECT_LE(took, down + slack) TH_LOG("vrun failed later than host-down + %d ms", slack);

	/* Host A stays unreachable. */
	e = send_timed(self->fd, self->srv, down + slack + 30000, &took);
	TH_LOG("later Send failed after %lld ms: %s", (long long)took, strerror(-e));
	EXPECT_EQ(-EHOSTUNREACH, e);
	EXPECT_LE(took, down + slack);

	/* Nobody answers for the logical id any more. */
	EXPECT_EQ(-ESRCH, v_get_pid(self->fd, CL_LID, V_SCOPE_REMOTE, &pid));

}

TEST_HARNESS_MAIN
