// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "perf": Send-Receive-Reply round trips, local and between two V
 * hosts, timed.  The times are printed as TAP diagnostics ("# ...": min,
 * median, p99); what is asserted is only that every reply came back right,
 * never a time (the guest may be emulated and the machine shared).
 * tools/vbench measures everything else (make bench); the test vbench.files
 * runs its file rows briefly (vfsd started by vbench itself, a TCP pread
 * server beside it) and asserts that each produced a figure.
 *
 * The remote test makes its own two V hosts: namespaces vkp0 (client) and
 * vkp1 (server) joined by one veth pair vkpe0/vkpe1, both attached with
 * vctl; the fixture removes them.  Client and server run on CPU 0.
 * VK_PERF_N sets the round trips (500).  hosts.vbench_peer runs vbench
 * --serve in vkp1 and vbench --peer in vkp0 (10.197.0.2 and .1 on the veth).
 */
#include <sched.h>
#include <signal.h>
#include <time.h>
#include "vtest.h"
#include "kselftest_harness.h"

#define NS_C	"vkp0"
#define NS_S	"vkp1"
#define RR_MAX	100000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int rounds(void)
{
	const char *s = getenv("VK_PERF_N");
	int n = s ? atoi(s) : 500;

	return n < 10 ? 10 : n > RR_MAX ? RR_MAX : n;
}

/*
 * Client and server share CPU 0: under emulation a wake-up across vCPUs
 * costs milliseconds, which would be all the figure showed.
 */
static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int enter_ns(const char *name)
{
	char path[64];
	int fd, ret;

	if (!name)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

/*
 * The echo server: opens its V process in namespace ns, writes its id to
 * wfd, then answers every message with itself (Reply-and-Receive).
 */
static pid_t echo_server(const char *ns, uint64_t *id)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct v_receive r;
		struct v_msg reply;
		uint64_t self = 0, from = 0;
		int fd;

		close(p[0]);
		alarm(120 * vt_scale());
		pin_cpu0();
		if (enter_ns(ns))
			_exit(1);
		fd = v_open();
		if (fd < 0 || v_self(fd, &self) || write(p[1], &self, 8) != 8)
			_exit(1);
		memset(&reply, 0, sizeof(reply));
		for (;;) {
			memset(&r, 0, sizeof(r));
			if (v_reply_receive(fd, from, &reply, &r) < 0)
				_exit(1);
			from = r.sender;
			reply = r.msg;
		}
	}
	close(p[1]);
	if (pid > 0 && read(p[0], id, 8) != 8) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

struct rr_result {
	int ok;			/* round trips replied correctly */
	int bad;		/* wrong replies */
	int err;		/* the first Send error (-errno), or 0 */
	uint64_t min, median, p99;
};

/* n timed round trips (after 20 untimed) to dst from a V process in ns. */
static int rr_client(const char *ns, uint64_t dst, int n, struct rr_result *res)
{
	struct rr_result out;
	int p[2], st;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		uint64_t *t = calloc(n, sizeof(*t)), t0;
		struct v_msg m, want;
		int fd, i, ret;

		close(p[0]);
		alarm(120 * vt_scale());
		pin_cpu0();
		memset(&out, 0, sizeof(out));
		if (!t || enter_ns(ns))
			_exit(1);
		fd = v_open();
		if (fd < 0)
			_exit(1);
		for (i = -20; i < n; i++) {
			memset(&m, 0, sizeof(m));
			v_msg_set_code(&m, 0x4000);
			v_msg_put32(&m, 4, (uint32_t)i);
			v_msg_put64(&m, 8, 0x7065726600000000ULL ^ (uint64_t)i);
			want = m;
			t0 = now_ns();
			ret = v_send(fd, dst, &m);
			t0 = now_ns() - t0;
			if (ret < 0) {
				out.err = ret;
				break;
			}
			if (memcmp(&m, &want, sizeof(m))) {
				out.bad++;
				continue;
			}
			if (i >= 0)
				t[out.ok++] = t0;
		}
		if (out.ok) {
			qsort(t, out.ok, sizeof(*t), cmp_u64);
			out.min = t[0];
			out.median = t[out.ok / 2];
			out.p99 = t[(out.ok * 99 + 99) / 100 - 1];
		}
		_exit(write(p[1], &out, sizeof(out)) == sizeof(out) ? 0 : 1);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], res, sizeof(*res)) != sizeof(*res)) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return 0;
}

static void report(const char *what, const struct rr_result *r, double div, const char *unit)
{
	printf("# %s: %d round trips, min %.1f %s, median %.1f %s, p99 %.1f %s\n", what, r->ok,
	       r->min / div, unit, r->median / div, unit, r->p99 / div, unit);
}

TEST(local_srr)
{
	struct rr_result r;
	uint64_t id = 0;
	int n = rounds();
	pid_t srv;

	srv = echo_server(NULL, &id);
	ASSERT_LT(0, srv);
	ASSERT_EQ(0, rr_client(NULL, id, n, &r));
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	ASSERT_EQ(n, r.ok);
	report("local Send-Receive-Reply, 32 bytes", &r, 1, "ns");
}

/* Two V hosts joined by one veth pair. */
FIXTURE(hosts) {
	int up;
};

static void hosts_down(void)
{
	vt_sh("ip netns del " NS_C " >/dev/null 2>&1; ip netns del " NS_S " >/dev/null 2>&1");
}

#define PERF_KEY	"7065726600000000000000000000000000000000000000000000000000000001"

FIXTURE_SETUP(hosts)
{
	const char *b = getenv("VK_BUILD");
	char vctl[512];

	snprintf(vctl, sizeof(vctl), "%s/tools/vctl", b ? b : "build");
	hosts_down();
	vt_sh("modprobe -q veth");
	ASSERT_EQ(0, vt_sh("ip netns add " NS_C " && ip netns add " NS_S " && "
			   "ip link add vkpe0 netns " NS_C " type veth peer name vkpe1 netns " NS_S
			   " && ip -n " NS_C " link set vkpe0 up && ip -n " NS_S " link set vkpe1 up"
			   " && ip netns exec " NS_C " %s link add dev vkpe0 insecure"
			   " && ip netns exec " NS_S " %s link add dev vkpe1 insecure", vctl, vctl));
	self->up = 1;
}

FIXTURE_TEARDOWN(hosts)
{
	hosts_down();
}

TEST_F(hosts, remote_srr)
{
	struct rr_result r;
	uint64_t id = 0;
	int n = rounds();
	pid_t srv;

	ASSERT_EQ(1, self->up);
	/* This suite's keyed test: the remote round trips with every frame tagged. */
	ASSERT_EQ(0, vt_ns_vctl(NS_C, "set key " PERF_KEY));
	ASSERT_EQ(0, vt_ns_vctl(NS_S, "set key " PERF_KEY));
	srv = echo_server(NS_S, &id);
	ASSERT_LT(0, srv);
	ASSERT_EQ(0, rr_client(NS_C, id, n, &r));
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.bad);
	ASSERT_EQ(n, r.ok);
	report("remote Send-Receive-Reply, 32 bytes, over veth, keyed", &r, 1e3, "us");
}

/* Run vbench (cmd, a shell command), its JSON into out: pclose()'s status. */
static int vbench_json(const char *cmd, char *out, size_t len)
{
	size_t got = 0, n;
	FILE *f = popen(cmd, "r");

	if (!f)
		return -1;
	while (got < len - 1 && (n = fread(out + got, 1, len - 1 - got, f)) > 0)
		got += n;
	out[got] = '\0';
	return pclose(f);
}

/*
 * Row key of vbench's JSON out: the text after its "value", or NULL when
 * it has none (its skip reason, if any, is printed).
 */
static const char *vbench_value(const char *out, const char *key)
{
	const char *row;
	char k[80];

	snprintf(k, sizeof(k), "\"%s\": {\"value\": ", key);
	row = strstr(out, k);
	if (row)
		return row + strlen(k);
	snprintf(k, sizeof(k), "\"%s\"", key);
	row = strstr(out, k);
	printf("# %.200s\n", row ? row : key);
	return NULL;
}

/*
 * vbench --peer against vbench --serve in the other namespace, as make
 * bench runs them in two guests: every peer_ row has a value, and the
 * server ends on SIGTERM with status 0.  Bad --peer / --serve arguments:
 * status 2 (usage), a device that does not exist 1.
 */
TEST_F_TIMEOUT(hosts, vbench_peer, 240)
{
	static const char *const keys[] = {
		"peer_srr_us", "peer_udp_rr_us", "peer_tcp_rr_us", "peer_tipc_rr_us",
		"peer_raw_packet_rr_us",
	};
	const char *b = getenv("VK_BUILD");
	char vbench[512], cmd[900];
	static char out[16384];
	int st, sst;
	pid_t srv;
	size_t i;

	ASSERT_EQ(1, self->up);
	snprintf(vbench, sizeof(vbench), "%s/tools/vbench", b ? b : "build");
	EXPECT_EQ(2, vt_sh("%s --peer 10.197.0 >/dev/null 2>&1", vbench));
	EXPECT_EQ(2, vt_sh("%s --serve '' >/dev/null 2>&1", vbench));
	EXPECT_EQ(1, vt_sh("%s --serve vkpe-none >/dev/null 2>&1", vbench));
	ASSERT_EQ(0, vt_sh("ip -n " NS_C " addr add 10.197.0.1/24 dev vkpe0 && "
			   "ip -n " NS_S " addr add 10.197.0.2/24 dev vkpe1"));
	fflush(stdout);
	srv = fork();
	ASSERT_LE(0, srv);
	if (!srv) {
		dup2(2, 1);	/* its "serving" line is not TAP */
		execlp("ip", "ip", "netns", "exec", NS_S, vbench, "--serve", "vkpe1", (char *)NULL);
		_exit(127);
	}
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec " NS_C " timeout -k 5 %d %s -j -n 60 -r 1 -t 5 --peer 10.197.0.2 "
		 "--only peer_ 2>/dev/null", 200 * vt_scale(), vbench);
	st = vbench_json(cmd, out, sizeof(out));
	kill(srv, SIGTERM);
	ASSERT_EQ(srv, waitpid(srv, &sst, 0));
	EXPECT_TRUE(WIFEXITED(sst));
	EXPECT_EQ(0, WEXITSTATUS(sst));
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, vt_json_valid(out));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EXPECT_NE(NULL, vbench_value(out, keys[i]));
}

/*
 * vbench's file rows, few iterations: vfsd in one namespace read from the
 * other through libv's file stubs, pread over TCP beside it, and 4 KiB
 * pages written the same two ways (vfsd -w, pwrite over TCP; each write's
 * count checked, the last page read back from the file).  Asserted: the
 * JSON is valid and every file row has a value (none is skipped).  vbench
 * runs under timeout(1) and its progress lines (stderr) are shown as TAP
 * diagnostics, so a slow run says where it was.
 */
FIXTURE(vbench) {
	char log[64];
};

FIXTURE_SETUP(vbench)
{
	snprintf(self->log, sizeof(self->log), "/tmp/vkperf-vbench.%d", (int)getpid());
}

/* What vbench --remote-setup makes, should it have been stopped midway. */
FIXTURE_TEARDOWN(vbench)
{
	unlink(self->log);
	vt_sh("ip netns del vbench-a >/dev/null 2>&1; ip netns del vbench-b >/dev/null 2>&1");
}

TEST_F_TIMEOUT(vbench, files, 240)
{
	static const char *const keys[] = {
		"file_seq_read_page_us", "tcp_file_page_us", "file_page_write_us",
		"tcp_file_page_write_us", "file_read_mbps", "tcp_file_read_mbps", "name_lookup_us",
	};
	const char *b = getenv("VK_BUILD");
	char cmd[700], line[256];
	static char out[16384];
	const char *row;
	size_t i;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "timeout -k 5 %d %s/tools/vbench -j -n 60 -r 1 -t 5 --remote-setup --only file,name_ "
		 "2>%s", 200 * vt_scale(), b ? b : "build", self->log);
	st = vbench_json(cmd, out, sizeof(out));
	f = fopen(self->log, "r");
	while (f && fgets(line, sizeof(line), f))
		printf("# %s", line);
	if (f)
		fclose(f);
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, vt_json_valid(out));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		row = vbench_value(out, keys[i]);
		EXPECT_NE(NULL, row);	/* a skipped row fails too */
		if (row)
			printf("# vbench %s: %.20s\n", keys[i], row);
	}
}

TEST_HARNESS_MAIN
