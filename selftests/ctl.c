// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "ctl": the control plane and observability.  Two V hosts
 * (network namespaces vkc0, vkc1 on a veth pair) with an echo server on
 * vkc1; vctl and the tracepoints are checked against real traffic.
 */
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/msg.h>
#include "vtest.h"
#include "kselftest_harness.h"

static const char *bdir(void)
{
	const char *b = getenv("VK_BUILD");

	return b ? b : "build";
}

/* Run a shell command; its output (up to len - 1 bytes) in out. */
static int run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	size_t n = 0;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (out) {
		n = fread(out, 1, len - 1, f);
		out[n] = '\0';
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), f) > 0)
			;
	}
	return pclose(f);
}

static int json_ok(const char *json)
{
	return vt_json_valid(json);
}

/* ------------------------------------------------------------------------ */
/* Helpers of the vctl tests below                                          */

static int root_ns = -1;

/* Enter network namespace ns (/run/netns/ns) in this thread; 0 or -errno. */
static int ns_enter(const char *ns)
{
	char path[64];
	int fd, ret;

	if (root_ns < 0)
		root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

static void ns_leave(void)
{
	if (root_ns >= 0 && setns(root_ns, CLONE_NEWNET))
		perror("setns back to the initial namespace");
}

/* A V process (socket) of host ns; its fd or -errno. */
static int ns_vopen(const char *ns)
{
	int fd, ret = ns_enter(ns);

	if (ret)
		return ret;
	fd = v_open();
	ns_leave();
	return fd;
}

static int exit_code(int st)
{
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* `vctl ARGS` in namespace ns, stderr with stdout into out; its exit code. */
static int __attribute__((format(printf, 4, 5)))
vctl(char *out, size_t len, const char *ns, const char *fmt, ...)
{
	char args[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return exit_code(run(out, len, "ip netns exec %s %s/tools/vctl %s 2>&1",
			     ns, bdir(), args));
}

/* The same as user nobody with no capabilities at all. */
#define NOBODY "setpriv --reuid=65534 --regid=65534 --clear-groups " \
	       "--inh-caps=-all --bounding-set=-all"

static int __attribute__((format(printf, 4, 5)))
vctl_nobody(char *out, size_t len, const char *ns, const char *fmt, ...)
{
	char args[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return exit_code(run(out, len, "ip netns exec %s " NOBODY " %s/tools/vctl %s 2>&1",
			     ns, bdir(), args));
}

/* The number after "name": in a JSON text, or -1. */
static long long json_num(const char *json, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(json, key);
	if (!p)
		return -1;
	p += strlen(key);
	if (*p < '0' || *p > '9')
		return -1;
	return strtoll(p, NULL, 10);
}

/* The number after "name " at the start of a line of a text, or -1. */
static long long text_num(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = text; p && *p; ) {
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 0);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* Occurrences of needle in hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* What `ip -j link show dev DEV` in ns says about DEV; 0 or -1. */
static int ip_link(const char *ns, const char *dev, int *ifindex, int *mtu, char *mac,
		   int *lower_up)
{
	char out[256];

	if (run(out, sizeof(out),
		"ip -n %s -j link show dev %s | python3 -c 'import json, sys; "
		"d = json.load(sys.stdin)[0]; "
		"print(d[\"ifindex\"], d[\"mtu\"], d[\"address\"], int(\"LOWER_UP\" in d[\"flags\"]))'",
		ns, dev))
		return -1;
	return sscanf(out, "%d %d %17s %d", ifindex, mtu, mac, lower_up) == 4 ? 0 : -1;
}

/*
 * Wait (up to ms, scaled) until `vctl CMD` in ns prints line and `vctl -j
 * CMD` prints obj and valid JSON (either may be NULL).  0, or -1 with the
 * last outputs in txt and js.
 */
static int wait_show(const char *ns, const char *cmd, const char *line, const char *obj,
		     char *txt, char *js, size_t len, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();

	for (;;) {
		bool ok = true;

		txt[0] = js[0] = '\0';
		if (line && (vctl(txt, len, ns, "%s", cmd) || !strstr(txt, line)))
			ok = false;
		if (ok && obj && (vctl(js, len, ns, "-j %s", cmd) || !strstr(js, obj) ||
				  json_ok(js)))
			ok = false;
		if (ok)
			return 0;
		if (vt_now_ms() > end)
			return -1;
		usleep(20000);
	}
}

/* Expected `proc show` row of process id, as text (json 0) or JSON. */
static const char *proc_row_pid(char *buf, size_t len, int json, uint64_t id, const char *state,
				uint64_t peer, unsigned int queued, unsigned int held, pid_t pid)
{
	snprintf(buf, len, json ?
		 "{\"id\":\"0x%016llx\",\"uid\":0,\"state\":\"%s\",\"peer\":\"0x%016llx\","
		 "\"queued\":%u,\"held\":%u,\"pid\":%d}" :
		 "id 0x%016llx  uid 0  state %s  peer 0x%016llx  queued %u  held %u  pid %d\n",
		 (unsigned long long)id, state, (unsigned long long)peer, queued, held, (int)pid);
	return buf;
}

/*
 * The same for the tests that open every V process themselves (their
 * senders only inherit them): the pid is the test's own.
 */
static const char *proc_row(char *buf, size_t len, int json, uint64_t id, const char *state,
			    uint64_t peer, unsigned int queued, unsigned int held)
{
	return proc_row_pid(buf, len, json, id, state, peer, queued, held, getpid());
}

/* Expected `alien show` row up to age_ms (exclusive of its value). */
static const char *alien_row(char *buf, size_t len, int json, uint64_t client, unsigned int seq,
			     const char *state, uint64_t holder)
{
	snprintf(buf, len, json ?
		 "{\"client\":\"0x%016llx\",\"seq\":%u,\"state\":\"%s\",\"holder\":\"0x%016llx\","
		 "\"age_ms\":" :
		 "client 0x%016llx  seq %u  state %s  holder 0x%016llx  age_ms ",
		 (unsigned long long)client, seq, state, (unsigned long long)holder);
	return buf;
}

#define REQ_BYTE 0x5a
#define REP_BYTE 0xa5

/*
 * Fork a process that Sends a message of REQ_BYTEs from the V socket cfd
 * to dst.  It exits 0 when the reply is all REP_BYTEs, 1 when the Send
 * fails, 2 on a wrong reply.  It closes every other descriptor first, so
 * it holds no server socket of the test.
 */
static pid_t spawn_send(int cfd, uint64_t dst)
{
	struct v_msg m;
	pid_t pid = fork();
	int i;

	if (pid)
		return pid;
	for (i = 3; i < 4096; i++)
		if (i != cfd)
			close(i);
	memset(&m, REQ_BYTE, sizeof(m));
	if (v_send(cfd, dst, &m))
		_exit(1);
	for (i = 0; i < V_MSG_SIZE; i++)
		if (m.b[i] != REP_BYTE)
			_exit(2);
	_exit(0);
}

/* Wait (up to ms, scaled) for pid to end; its exit code, or -1. */
static int reap(pid_t pid, int ms)
{
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();
	int st;

	do {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return exit_code(st);
		if (r < 0)
			return -1;
		usleep(10000);
	} while (vt_now_ms() < end);
	return -1;
}

/* Receive on srv (blocking) the message of client; 0 or a negative value. */
static int serve_receive(int srv, uint64_t client)
{
	struct v_msg m;
	uint64_t sender = 0;
	int ret = v_receive(srv, &m, &sender);

	if (ret < 0)
		return ret;
	if (sender != client || m.b[0] != REQ_BYTE)
		return -EBADMSG;
	return 0;
}

static int serve_reply(int srv, uint64_t client)
{
	struct v_msg m;

	memset(&m, REP_BYTE, sizeof(m));
	return v_reply(srv, client, &m);
}

/*
 * V_CMD_PROC_GET dumped by hand in the current namespace, reading with an
 * 8 KiB buffer: the ids into ids[] (up to max) and the number of datagrams
 * into *dgrams.  The number of records, or -1.
 */
static int raw_proc_dump(uint64_t *ids, int max, int *dgrams)
{
	static char buf[8192] __attribute__((aligned(8)));
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
	} req;
	struct nl_sock *nl = nl_socket_alloc();
	int fam = -1, fd, n = 0, done = 0;

	if (nl && !genl_connect(nl))
		fam = genl_ctrl_resolve(nl, V_GENL_NAME);
	nl_socket_free(nl);
	if (fam < 0)
		return -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = sizeof(req);
	req.n.nlmsg_type = fam;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.n.nlmsg_seq = 1;
	req.g.cmd = V_CMD_PROC_GET;
	req.g.version = V_GENL_VERSION;
	if (send(fd, &req, sizeof(req), 0) != sizeof(req)) {
		close(fd);
		return -1;
	}
	*dgrams = 0;
	while (!done) {
		struct sockaddr_nl sa;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		int len = (int)recvmsg(fd, &mh, 0);
		struct nlmsghdr *nlh;

		if (len <= 0 || (mh.msg_flags & MSG_TRUNC)) {
			n = -1;
			break;
		}
		(*dgrams)++;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			struct nlattr *tb[V_A_MAX + 1];

			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    genlmsg_parse(nlh, 0, tb, V_A_MAX, NULL) || !tb[V_A_PROC_ID]) {
				n = -1;
				done = 1;
				break;
			}
			if (n < max)
				ids[n] = nla_get_u64(tb[V_A_PROC_ID]);
			n++;
		}
	}
	close(fd);
	return n;
}

FIXTURE(ctl) {
	pid_t echo;
	pid_t child, child2;	/* senders forked by a test, killed in teardown */
	char id[32];
};

FIXTURE_SETUP(ctl)
{
	char line[128] = "";
	int pfd[2];
	FILE *f;

	run(NULL, 0, "ip netns del vkc0 2>/dev/null; ip netns del vkc1 2>/dev/null; "
		     "ip netns del vkc2 2>/dev/null");
	ASSERT_EQ(0, run(NULL, 0,
			 "ip netns add vkc0 && ip netns add vkc1 && "
			 "ip link add vkce0 netns vkc0 type veth peer name vkce1 netns vkc1 && "
			 "ip -n vkc0 link set vkce0 up && ip -n vkc1 link set vkce1 up && "
			 "ip netns exec vkc0 %s/tools/vctl link add dev vkce0 insecure && "
			 "ip netns exec vkc1 %s/tools/vctl link add dev vkce1 insecure", bdir(), bdir()));
	ASSERT_EQ(0, pipe(pfd));
	self->echo = fork();
	ASSERT_LE(0, self->echo);
	if (!self->echo) {
		char prog[512];

		dup2(pfd[1], 1);
		snprintf(prog, sizeof(prog), "%s/tools/vecho", bdir());
		execlp("ip", "ip", "netns", "exec", "vkc1", prog, "-q", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	ASSERT_NE(NULL, strstr(line, "0x"));
	snprintf(self->id, sizeof(self->id), "%s", strstr(line, "0x"));
	self->id[strcspn(self->id, "\n")] = '\0';
}

FIXTURE_TEARDOWN(ctl)
{
	ns_leave();
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->child2 > 0) {
		kill(self->child2, SIGKILL);
		waitpid(self->child2, NULL, 0);
	}
	if (self->echo > 0) {
		kill(self->echo, SIGTERM);
		waitpid(self->echo, NULL, 0);
	}
	run(NULL, 0, "ip netns del vkc0; ip netns del vkc1; ip netns del vkc2 2>/dev/null");
}

/* Follow one remote transaction through its tracepoints on both hosts. */
TEST_F(ctl, tracepoints_follow_a_transaction)
{
	static char trace[1 << 16];
	char send[96], *p;
	unsigned long long client;
	unsigned int seq;

	run(NULL, 0, "mountpoint -q /sys/kernel/tracing || "
		     "mount -t tracefs nodev /sys/kernel/tracing");
	ASSERT_EQ(0, run(NULL, 0, "cd /sys/kernel/tracing && echo 0 > tracing_on && "
				  "echo > trace && echo 1 > events/vkmod/enable && "
				  "echo 1 > tracing_on"));
	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 %s/tools/vping -q -c 1 -w 0 %s",
			 bdir(), self->id));
	run(NULL, 0, "cd /sys/kernel/tracing && echo 0 > tracing_on && "
		     "echo 0 > events/vkmod/enable");
	ASSERT_EQ(0, run(trace, sizeof(trace), "cat /sys/kernel/tracing/trace"));
	/* The client host's v_send names the transaction ... */
	p = strstr(trace, "v_send: ");
	ASSERT_NE(NULL, p) TH_LOG("%s", trace);
	ASSERT_EQ(2, sscanf(strstr(p, "client="), "client=%llx seq=%u", &client, &seq));
	/* ... and the server host receives and replies to the same one. */
	snprintf(send, sizeof(send), "client=%016llx seq=%u", client, seq);
	p = strstr(trace, "v_receive: ");
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, strstr(p, send)) TH_LOG("%s", trace);
	p = strstr(trace, "v_reply: ");
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, strstr(p, send)) TH_LOG("%s", trace);
	/* The receive and reply were traced on another host than the send. */
	ASSERT_NE(0, strncmp(strstr(strstr(trace, "v_send: "), "host="),
			     strstr(strstr(trace, "v_reply: "), "host="), 13));
}

/*
 * vctl proc show: the echo server, blocked in Receive (receiving; it
 * leaves Receive a moment each second, so look a few times), in text
 * and JSON.
 */
TEST_F(ctl, proc_show)
{
	char out[4096];
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc1 %s/tools/vctl proc show",
				 bdir()));
		if (strstr(out, "state receiving"))
			break;
		usleep(50000);
	}
	ASSERT_NE(NULL, strstr(out, self->id)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "state receiving")) TH_LOG("%s", out);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc1 %s/tools/vctl -j proc show",
				 bdir()));
		if (strstr(out, "\"state\":\"receiving\""))
			break;
		usleep(50000);
	}
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"state\":\"receiving\"")) TH_LOG("%s", out);
	/* The other host has no V process. */
	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc0 %s/tools/vctl -j proc show", bdir()));
	ASSERT_STREQ("[]\n", out);
}

/* After a round trip: an alien on the server host, map entries on both. */
TEST_F(ctl, alien_and_map_show)
{
	char out[4096], mac[64] = "";

	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 %s/tools/vping -q -c 2 -w 0 %s",
			 bdir(), self->id));
	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc1 %s/tools/vctl alien show", bdir()));
	ASSERT_NE(NULL, strstr(out, "state replied")) TH_LOG("%s", out);
	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc1 %s/tools/vctl -j alien show", bdir()));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	/* vkc1 learned vkc0's MAC, as vkc0's link reports it. */
	ASSERT_EQ(0, run(mac, sizeof(mac), "ip -n vkc0 -br link show vkce0 | awk '{print $3}'"));
	mac[strcspn(mac, "\n")] = '\0';
	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc1 %s/tools/vctl map show", bdir()));
	ASSERT_NE(NULL, strstr(out, mac)) TH_LOG("%s / %s", mac, out);
	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc1 %s/tools/vctl -j map show", bdir()));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
}

/* Bad input is refused with a clear message and exit status 2. */
TEST_F(ctl, usage_errors)
{
	char out[4096];

	ASSERT_EQ(2 << 8, run(out, sizeof(out), "%s/tools/vctl proc bogus 2>&1", bdir()));
	ASSERT_NE(NULL, strstr(out, "unknown command 'bogus'"));
	ASSERT_EQ(2 << 8, run(out, sizeof(out), "%s/tools/vctl set host-down-ms 5 2>&1", bdir()));
	ASSERT_NE(NULL, strstr(out, "host-down-ms"));
	ASSERT_EQ(1 << 8, run(out, sizeof(out),
			      "ip netns exec vkc0 %s/tools/vctl link add dev nosuch0 2>&1", bdir()));
	ASSERT_EQ(0, run(out, sizeof(out), "%s/tools/vctl map show --help", bdir()));
	ASSERT_NE(NULL, strstr(out, "Usage: vctl"));
}

/* Every tool and daemon takes --help: usage on stdout, exit status 0. */
TEST_F(ctl, every_tool_takes_help)
{
	static const char *const progs[] = { "tools/vid", "tools/vping", "tools/vecho",
		"tools/vctl", "tools/vfile", "tools/vtime", "tools/vrun", "daemons/vfsd",
		"daemons/vnamed", "daemons/vtimed" };
	char out[4096];
	unsigned int i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		ASSERT_EQ(0, run(out, sizeof(out), "%s/%s --help 2>/dev/null", bdir(), progs[i]))
			TH_LOG("%s --help", progs[i]);
		ASSERT_NE(NULL, strcasestr(out, "usage")) TH_LOG("%s --help: '%s'", progs[i], out);
	}
}

struct ack {
	int error;
	char msg[256];
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)err - 1;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	struct ack *a = arg;
	int ack_len = sizeof(*nlh) + sizeof(int) + sizeof(*nlh);

	(void)nla;
	a->error = err->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		ack_len += err->msg.nlmsg_len - sizeof(*nlh);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + ack_len),
		       nlh->nlmsg_len - ack_len, NULL) && tb[NLMSGERR_ATTR_MSG])
		snprintf(a->msg, sizeof(a->msg), "%s", (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct ack *)arg)->error = 0;
	return NL_STOP;
}

/* Send V_CMD_HOST_SET with one u32 attribute; the kernel's verdict in a. */
static int host_set_u32(int attr, uint32_t value, struct ack *a)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc();
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int fam, one = 1, rc = -1;

	if (!sk || !msg || !cb || genl_connect(sk))
		goto out;
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	fam = genl_ctrl_resolve(sk, V_GENL_NAME);
	if (fam < 0)
		goto out;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, NLM_F_ACK, V_CMD_HOST_SET,
		    V_GENL_VERSION);
	nla_put_u32(msg, attr, value);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, a);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, a);
	a->error = 1;
	a->msg[0] = '\0';
	if (nl_send_auto(sk, msg) < 0)
		goto out;
	while (a->error == 1)
		if (nl_recvmsgs(sk, cb) < 0 && a->error == 1)
			goto out;
	rc = 0;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	nl_socket_free(sk);
	return rc;
}

/*
 * The kernel checks every attribute itself (vctl checks too, so go
 * around it): out of range and unknown attributes are refused with an
 * extended-ack message, a valid one is taken.
 */
TEST_F(ctl, netlink_policy_strict)
{
	struct ack a;
	char out[256];

	ASSERT_EQ(0, host_set_u32(V_A_HOST_DOWN_MS, 50, &a));
	ASSERT_EQ(-ERANGE, a.error);
	ASSERT_NE(0, strlen(a.msg)) TH_LOG("no extack message");
	ASSERT_EQ(0, host_set_u32(V_A_HOST_MAX_ALIENS, 0, &a));
	ASSERT_EQ(-ERANGE, a.error);
	ASSERT_EQ(0, host_set_u32(V_A_HOST_PART, 1U << 30, &a));
	ASSERT_EQ(-ERANGE, a.error);
	ASSERT_EQ(0, host_set_u32(V_A_MAX + 5, 1, &a));
	ASSERT_NE(0, a.error);
	ASSERT_EQ(0, host_set_u32(V_A_HOST_DOWN_MS, 4321, &a));
	ASSERT_EQ(0, a.error) TH_LOG("%s", a.msg);
	ASSERT_EQ(0, run(out, sizeof(out), "%s/tools/vctl host show | grep host-down", bdir()));
	ASSERT_NE(NULL, strstr(out, "4321")) TH_LOG("%s", out);
	ASSERT_EQ(0, host_set_u32(V_A_HOST_DOWN_MS, V_HOST_DOWN_MS_DEFAULT, &a));
	ASSERT_EQ(0, a.error);
}

/* ------------------------------------------------------------------------ */
/* vctl against the live hosts                                              */

/*
 * link add / show / del on a new veth: what vctl shows, in text and JSON,
 * is what ip(8) says of the interface, and follows its state.
 */
#define CTL_KEY	"63746c0000000000000000000000000000000000000000000000000000000001"

TEST_F_TIMEOUT(ctl, link_add_show_del_round_trip, 120)
{
	char out[4096], iptxt[1024], line[256], obj[256], mac[32];
	int ifindex, mtu, lower;

	ASSERT_EQ(0, run(NULL, 0, "ip -n vkc0 link add vkcx0 type veth peer name vkcx1 && "
			 "ip -n vkc0 link set dev vkcx0 mtu 1400 address 02:00:00:00:aa:01 up && "
			 "ip -n vkc0 link set dev vkcx1 up"));
	/* Not attached yet: only the fixture's link. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show"));
	ASSERT_EQ(NULL, strstr(out, "vkcx0")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, ": vkce0 mtu 1500 addr ")) TH_LOG("%s", out);
	ASSERT_EQ(1, count_of(out, "\n")) TH_LOG("%s", out);

	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link add dev vkcx0 insecure")) TH_LOG("%s", out);
	ASSERT_STREQ("", out);
	ASSERT_EQ(0, ip_link("vkc0", "vkcx0", &ifindex, &mtu, mac, &lower));
	ASSERT_EQ(1400, mtu);
	ASSERT_STREQ("02:00:00:00:aa:01", mac);
	ASSERT_EQ(1, lower);
	ASSERT_EQ(0, run(iptxt, sizeof(iptxt), "ip -n vkc0 link show dev vkcx0"));
	ASSERT_EQ(ifindex, atoi(iptxt)) TH_LOG("%s", iptxt);
	ASSERT_NE(NULL, strstr(iptxt, " mtu 1400 ")) TH_LOG("%s", iptxt);
	ASSERT_NE(NULL, strstr(iptxt, "link/ether 02:00:00:00:aa:01 ")) TH_LOG("%s", iptxt);

	snprintf(line, sizeof(line), "%d: vkcx0 mtu %d addr %s state up insecure paths 0/0\n",
		 ifindex, mtu, mac);
	snprintf(obj, sizeof(obj),
		 "{\"id\":%d,\"kind\":\"eth\",\"ifindex\":%d,\"ifname\":\"vkcx0\",\"mtu\":%d,"
		 "\"addr\":\"%s\",\"up\":true,\"insecure\":true,\"paths\":0,\"current\":0}",
		 ifindex, ifindex, mtu, mac);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show"));
	ASSERT_NE(NULL, strstr(out, line)) TH_LOG("want %s in %s", line, out);
	ASSERT_EQ(2, count_of(out, "\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, obj)) TH_LOG("want %s in %s", obj, out);
	ASSERT_EQ(2, count_of(out, "\"ifindex\":")) TH_LOG("%s", out);
	/* -j after the command works the same. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show -j"));
	ASSERT_NE(NULL, strstr(out, obj)) TH_LOG("%s", out);

	/* Carrier lost (its peer goes down) and a new MTU: shown as they are. */
	ASSERT_EQ(0, run(NULL, 0, "ip -n vkc0 link set dev vkcx1 down && "
			 "ip -n vkc0 link set dev vkcx0 mtu 1300"));
	ASSERT_EQ(0, ip_link("vkc0", "vkcx0", &ifindex, &mtu, mac, &lower));
	ASSERT_EQ(0, lower);
	ASSERT_EQ(1300, mtu);
	snprintf(line, sizeof(line), "%d: vkcx0 mtu 1300 addr %s state down insecure paths 0/0\n",
		 ifindex, mac);
	snprintf(obj, sizeof(obj),
		 "{\"id\":%d,\"kind\":\"eth\",\"ifindex\":%d,\"ifname\":\"vkcx0\",\"mtu\":1300,"
		 "\"addr\":\"%s\",\"up\":false,\"insecure\":true,\"paths\":0,\"current\":0}",
		 ifindex, ifindex, mac);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show"));
	ASSERT_NE(NULL, strstr(out, line)) TH_LOG("want %s in %s", line, out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, obj)) TH_LOG("want %s in %s", obj, out);

	/* Detached: gone from both forms; the fixture's link stays. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link del dev vkcx0")) TH_LOG("%s", out);
	ASSERT_STREQ("", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show"));
	ASSERT_EQ(NULL, strstr(out, "vkcx0")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, ": vkce0 mtu 1500 addr ")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_EQ(NULL, strstr(out, "vkcx0")) TH_LOG("%s", out);
	ASSERT_EQ(1, count_of(out, "\"ifindex\":")) TH_LOG("%s", out);

	/* A bare name (as ip(8) allows) and "delete" work too. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link add vkcx0 insecure")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_NE(NULL, strstr(out, "\"ifname\":\"vkcx0\"")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link delete dev vkcx0")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_EQ(NULL, strstr(out, "vkcx0")) TH_LOG("%s", out);
}

/*
 * Links are secure by default: without a cluster key `link add` is
 * refused (ENOKEY, exit 1, nothing attached) unless it says insecure; a
 * link attached with the key keeps it (removing it: EBUSY) until it is
 * detached; `link show` marks the insecure ones.
 */
TEST_F_TIMEOUT(ctl, link_secure_by_default, 120)
{
	char out[4096];

	ASSERT_EQ(0, run(NULL, 0, "ip -n vkc0 link add vkcs0 type veth peer name vkcs1 && "
			 "ip -n vkc0 link set dev vkcs0 up && ip -n vkc0 link set dev vkcs1 up"));
	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc0", "link add dev vkcs0"));
	ASSERT_NE(NULL, strstr(out, "vctl: cannot attach vkcs0: Required key not available "
				    "(no cluster key: set one first, or ask for an insecure link)"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_EQ(NULL, strstr(out, "vkcs0")) TH_LOG("%s", out);

	/* With a key: a secure link, which keeps the key. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "set key " CTL_KEY)) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link add dev vkcs0")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_NE(NULL, strstr(out, "\"ifname\":\"vkcs0\"")) TH_LOG("%s", out);
	ASSERT_EQ(1, count_of(out, "\"insecure\":false")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show"));
	ASSERT_EQ(1, count_of(out, "state up paths ")) TH_LOG("%s", out);
	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc0", "set key none"));
	ASSERT_NE(NULL, strstr(out, "Device or resource busy (links attached with the key need "
				    "it: detach them first)")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j host show"));
	ASSERT_NE(NULL, strstr(out, "\"keyed\":1")) TH_LOG("%s", out);

	/* Detached, the key may go; an insecure link is taken without one. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link del dev vkcs0")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "set key none")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link add dev vkcs0 insecure")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show"));
	ASSERT_NE(NULL, strstr(out, ": vkcs0 mtu 1500 addr ")) TH_LOG("%s", out);
	ASSERT_EQ(2, count_of(out, " insecure paths ")) TH_LOG("%s", out);
	/* insecure is an option of add alone. */
	ASSERT_EQ(2, vctl(out, sizeof(out), "vkc0", "link del dev vkcs0 insecure"));
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link del dev vkcs0")) TH_LOG("%s", out);
}

/* Attaching an attached interface: EEXIST, exit 1, nothing changes. */
TEST_F_TIMEOUT(ctl, link_add_twice_eexist, 120)
{
	char out[4096];

	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc0", "link add dev vkce0 insecure"));
	ASSERT_NE(NULL, strstr(out, "vctl: cannot attach vkce0: File exists "
				    "(interface already attached to V)")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show"));
	ASSERT_EQ(1, count_of(out, ": vkce0 mtu ")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_EQ(1, count_of(out, "\"ifname\":\"vkce0\"")) TH_LOG("%s", out);
	/* Still attached and carrying V traffic. */
	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 %s/tools/vping -q -c 1 -w 0 %s",
			 bdir(), self->id));
}

/* Detaching an interface that is not attached: ENOENT, exit 1. */
TEST_F_TIMEOUT(ctl, link_del_not_attached, 120)
{
	char out[4096];

	ASSERT_EQ(0, run(NULL, 0, "ip -n vkc0 link add vkcy0 type veth peer name vkcy1"));
	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc0", "link del dev vkcy0"));
	ASSERT_NE(NULL, strstr(out, "vctl: cannot detach vkcy0: No such file or directory "
				    "(interface not attached to V)")) TH_LOG("%s", out);
	/* Attached in another namespace is not here at all. */
	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc0", "link del dev vkce1"));
	ASSERT_NE(NULL, strstr(out, "no interface 'vkce1' in this network namespace"))
		TH_LOG("%s", out);
	/* Detached once, the second detach fails the same way. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link del dev vkce0")) TH_LOG("%s", out);
	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc0", "link del dev vkce0"));
	ASSERT_NE(NULL, strstr(out, "not attached")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_STREQ("[]\n", out);
	/* And it can be attached again and used. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link add dev vkce0 insecure")) TH_LOG("%s", out);
	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 %s/tools/vping -q -c 1 -w 0 %s",
			 bdir(), self->id));
}

/* Only Ethernet interfaces can be attached: lo is refused with EINVAL. */
TEST_F_TIMEOUT(ctl, link_add_not_ethernet, 120)
{
	char out[4096];

	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc0", "link add dev lo insecure"));
	ASSERT_NE(NULL, strstr(out, "vctl: cannot attach lo: Invalid argument "
				    "(not an Ethernet interface)")) TH_LOG("%s", out);
	ASSERT_EQ(0, run(NULL, 0, "ip -n vkc0 link set dev lo up"));
	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc0", "link add dev lo insecure"));
	ASSERT_NE(NULL, strstr(out, "not an Ethernet interface")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j link show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_EQ(NULL, strstr(out, "\"ifname\":\"lo\"")) TH_LOG("%s", out);
	ASSERT_EQ(1, count_of(out, "\"ifindex\":")) TH_LOG("%s", out);
}

static const char *const counters[] = {
	"tx_frames", "rx_frames", "retransmits", "duplicates", "acks", "busy", "host_down",
	"drop_short", "drop_version", "drop_type", "drop_no_txn", "drop_not_mine",
	"drop_nomem",
};

/* Wait (up to ms, scaled) for host ns to count n V processes. */
static int wait_procs(const char *ns, int n, int ms)
{
	char out[4096];
	int64_t end = vt_now_ms() + (int64_t)ms * vt_scale();

	do {
		if (!vctl(out, sizeof(out), ns, "-j host show") && json_num(out, "processes") == n)
			return 0;
		usleep(20000);
	} while (vt_now_ms() < end);
	return -1;
}

/*
 * host show: the host part of the ids handed out there, the default
 * host-down bound and alien limit, the number of V sockets, in text and
 * JSON; every counter is listed in both.
 */
TEST_F_TIMEOUT(ctl, host_show_fields, 120)
{
	uint64_t echo = strtoull(self->id, NULL, 0), ids[2];
	char out[4096], want[512];
	unsigned int hp = v_id_host(echo), hp0;
	int fds[2], fd0, i;

	for (i = 0; i < 2; i++) {
		fds[i] = ns_vopen("vkc1");
		ASSERT_LE(0, fds[i]) TH_LOG("%s", strerror(-fds[i]));
		ids[i] = vt_id(fds[i]);
		ASSERT_EQ(hp, v_id_host(ids[i]));
	}
	snprintf(want, sizeof(want), "host-part 0x%08x\nhost-down-ms 3000\nprocesses 3\n"
		 "aliens 0\nmax-aliens 4096\n", hp);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc1", "host show"));
	ASSERT_EQ(0, strncmp(out, want, strlen(want))) TH_LOG("want\n%sgot\n%s", want, out);
	for (i = 0; i < (int)ARRAY_SIZE(counters); i++)
		ASSERT_LE(0, text_num(out, counters[i])) TH_LOG("counter %d: %s", i, out);
	snprintf(want, sizeof(want), "{\"host_part\":%u,\"host_down_ms\":3000,\"processes\":3,"
		 "\"aliens\":0,\"max_aliens\":4096,\"stats\":{\"tx_frames\":", hp);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc1", "-j host show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_EQ(0, strncmp(out, want, strlen(want))) TH_LOG("want\n%s\ngot\n%s", want, out);
	for (i = 0; i < (int)ARRAY_SIZE(counters); i++)
		ASSERT_LE(0, json_num(out, counters[i])) TH_LOG("counter %d: %s", i, out);

	/* vkc0 has no V process until one is opened there, with its own part. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j host show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_EQ(0, json_num(out, "processes")) TH_LOG("%s", out);
	hp0 = json_num(out, "host_part");
	ASSERT_NE(hp, hp0);
	fd0 = ns_vopen("vkc0");
	ASSERT_LE(0, fd0);
	ASSERT_EQ(hp0, v_id_host(vt_id(fd0)));
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "host show"));
	snprintf(want, sizeof(want), "host-part 0x%08x\nhost-down-ms 3000\nprocesses 1\n", hp0);
	ASSERT_EQ(0, strncmp(out, want, strlen(want))) TH_LOG("want\n%sgot\n%s", want, out);

	/* Closed sockets are no longer counted. */
	close(fd0);
	close(fds[0]);
	close(fds[1]);
	ASSERT_EQ(0, wait_procs("vkc0", 0, 2000));
	ASSERT_EQ(0, wait_procs("vkc1", 1, 2000));
}

/* set host-down-ms / max-aliens: host show reflects them, per host. */
TEST_F_TIMEOUT(ctl, set_tunables_shown, 120)
{
	char out[4096], part[32];

	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "host show"));
	snprintf(part, sizeof(part), "%.20s", out);	/* "host-part 0x%08x" */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "set host-down-ms 1234 max-aliens 0x20"))
		TH_LOG("%s", out);
	ASSERT_STREQ("", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "host show"));
	ASSERT_NE(NULL, strstr(out, "\nhost-down-ms 1234\n")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\nmax-aliens 32\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, strncmp(out, part, strlen(part))) TH_LOG("%s / %s", part, out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j host show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_EQ(1234, json_num(out, "host_down_ms")) TH_LOG("%s", out);
	ASSERT_EQ(32, json_num(out, "max_aliens")) TH_LOG("%s", out);

	/* One at a time, at the ends of their ranges. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "set max-aliens 1048576")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j host show"));
	ASSERT_EQ(1048576, json_num(out, "max_aliens")) TH_LOG("%s", out);
	ASSERT_EQ(1234, json_num(out, "host_down_ms")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "set host-down-ms 600000")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "host show"));
	ASSERT_NE(NULL, strstr(out, "\nhost-down-ms 600000\n")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\nmax-aliens 1048576\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "set host-down-ms 100 max-aliens 1"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j host show"));
	ASSERT_EQ(100, json_num(out, "host_down_ms")) TH_LOG("%s", out);
	ASSERT_EQ(1, json_num(out, "max_aliens")) TH_LOG("%s", out);

	/* The other host keeps its defaults. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc1", "-j host show"));
	ASSERT_EQ(3000, json_num(out, "host_down_ms")) TH_LOG("%s", out);
	ASSERT_EQ(4096, json_num(out, "max_aliens")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc1", "host show"));
	ASSERT_NE(NULL, strstr(out, "\nhost-down-ms 3000\n")) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\nmax-aliens 4096\n")) TH_LOG("%s", out);
}

#define BUSY_MSG "vctl: cannot change the V host: Device or resource busy " \
		 "(host part can only change before V sockets or links exist)"

/*
 * set host-part: EBUSY once a V socket or an attached link exists; on a
 * fresh host it is taken, and the ids opened afterwards carry it.
 */
TEST_F_TIMEOUT(ctl, set_host_part_busy_and_fresh_host, 120)
{
	static const char *const busy_ns[] = { "vkc0", "vkc1" };	/* link; link + socket */
	char out[4096], want[128];
	long long before;
	int fds[2], i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vctl(out, sizeof(out), busy_ns[i], "-j host show"));
		before = json_num(out, "host_part");
		ASSERT_LT(0, before) TH_LOG("%s", out);
		ASSERT_EQ(1, vctl(out, sizeof(out), busy_ns[i], "set host-part 0x2345"));
		ASSERT_NE(NULL, strstr(out, BUSY_MSG)) TH_LOG("%s: %s", busy_ns[i], out);
		ASSERT_EQ(0, vctl(out, sizeof(out), busy_ns[i], "-j host show"));
		ASSERT_EQ(before, json_num(out, "host_part")) TH_LOG("%s", out);
	}

	/* A fresh host: no socket, no link. */
	ASSERT_EQ(0, run(NULL, 0, "ip netns add vkc2"));
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "set host-part 0x2345")) TH_LOG("%s", out);
	ASSERT_STREQ("", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "host show"));
	ASSERT_EQ(0, strncmp(out, "host-part 0x00002345\n", 21)) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "-j host show"));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_EQ(0x2345, json_num(out, "host_part")) TH_LOG("%s", out);
	/* Again, while still fresh: a part may be changed more than once. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "set host-part 9030")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "-j host show"));
	ASSERT_EQ(9030, json_num(out, "host_part")) TH_LOG("%s", out);
	for (i = 0; i < 2; i++) {
		fds[i] = ns_vopen("vkc2");
		ASSERT_LE(0, fds[i]) TH_LOG("%s", strerror(-fds[i]));
		ASSERT_EQ(9030, v_id_host(vt_id(fds[i])));
	}
	/* A socket makes it busy. */
	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc2", "set host-part 0x2347"));
	ASSERT_NE(NULL, strstr(out, BUSY_MSG)) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "host show"));
	snprintf(want, sizeof(want), "host-part 0x%08x\n", 9030);
	ASSERT_EQ(0, strncmp(out, want, strlen(want))) TH_LOG("%s", out);
	/* Free again once the sockets are closed. */
	close(fds[0]);
	close(fds[1]);
	ASSERT_EQ(0, wait_procs("vkc2", 0, 2000));
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "set host-part 0x2347")) TH_LOG("%s", out);
	fds[0] = ns_vopen("vkc2");
	ASSERT_LE(0, fds[0]);
	ASSERT_EQ(0x2347, v_id_host(vt_id(fds[0])));
	close(fds[0]);
	ASSERT_EQ(0, wait_procs("vkc2", 0, 2000));
	/* A link alone makes it busy too. */
	ASSERT_EQ(0, run(NULL, 0, "ip -n vkc2 link add vkcz0 type veth peer name vkcz1"));
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "link add dev vkcz0 insecure")) TH_LOG("%s", out);
	ASSERT_EQ(1, vctl(out, sizeof(out), "vkc2", "set host-part 0x2348"));
	ASSERT_NE(NULL, strstr(out, BUSY_MSG)) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "-j host show"));
	ASSERT_EQ(0x2347, json_num(out, "host_part")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "link del dev vkcz0")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "set host-part 0x2348")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc2", "-j host show"));
	ASSERT_EQ(0x2348, json_num(out, "host_part")) TH_LOG("%s", out);
}

/*
 * Without CAP_NET_ADMIN every change is refused with EPERM (and nothing
 * changes), while every show command still works.
 */
TEST_F_TIMEOUT(ctl, unprivileged_set_eperm_show_ok, 120)
{
	static const char *const shows[] = {
		"link show", "-j link show", "host show", "-j host show", "stats", "-j stats",
		"proc show", "-j proc show", "alien show", "-j alien show", "map show",
		"-j map show",
	};
	char out[4096], root[4096];
	int i;

	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc0 " NOBODY " id -u"));
	ASSERT_STREQ("65534\n", out);
	ASSERT_EQ(0, run(NULL, 0, "ip -n vkc0 link add vkcp0 type veth peer name vkcp1"));

	ASSERT_EQ(1, vctl_nobody(out, sizeof(out), "vkc0", "set max-aliens 5"));
	ASSERT_NE(NULL, strstr(out, "vctl: cannot change the V host: Operation not permitted"))
		TH_LOG("%s", out);
	ASSERT_EQ(1, vctl_nobody(out, sizeof(out), "vkc0", "set host-down-ms 500"));
	ASSERT_NE(NULL, strstr(out, "Operation not permitted")) TH_LOG("%s", out);
	ASSERT_EQ(1, vctl_nobody(out, sizeof(out), "vkc0", "link add dev vkcp0 insecure"));
	ASSERT_NE(NULL, strstr(out, "vctl: cannot attach vkcp0: Operation not permitted"))
		TH_LOG("%s", out);
	ASSERT_EQ(1, vctl_nobody(out, sizeof(out), "vkc0", "link del dev vkce0"));
	ASSERT_NE(NULL, strstr(out, "vctl: cannot detach vkce0: Operation not permitted"))
		TH_LOG("%s", out);

	/* Nothing changed. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j host show"));
	ASSERT_EQ(4096, json_num(out, "max_aliens")) TH_LOG("%s", out);
	ASSERT_EQ(3000, json_num(out, "host_down_ms")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "link show"));
	ASSERT_NE(NULL, strstr(out, ": vkce0 mtu ")) TH_LOG("%s", out);
	ASSERT_EQ(NULL, strstr(out, "vkcp0")) TH_LOG("%s", out);

	/*
	 * Reading needs no privilege; per-process detail is only the
	 * caller's own (root's echo server is not nobody's to see).
	 */
	for (i = 0; i < (int)ARRAY_SIZE(shows); i++) {
		ASSERT_EQ(0, vctl_nobody(out, sizeof(out), "vkc1", "%s", shows[i]))
			TH_LOG("%s: %s", shows[i], out);
		if (shows[i][0] == '-')
			ASSERT_EQ(0, json_ok(out)) TH_LOG("%s: %s", shows[i], out);
	}
	ASSERT_EQ(0, vctl_nobody(out, sizeof(out), "vkc1", "proc show"));
	ASSERT_EQ(NULL, strstr(out, self->id)) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl_nobody(out, sizeof(out), "vkc0", "link show"));
	ASSERT_EQ(0, vctl(root, sizeof(root), "vkc0", "link show"));
	ASSERT_STREQ(root, out);
	ASSERT_EQ(0, vctl_nobody(out, sizeof(out), "vkc0", "-j host show"));
	ASSERT_EQ(4096, json_num(out, "max_aliens")) TH_LOG("%s", out);

	/* With the capability the same change goes through. */
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "set max-aliens 5")) TH_LOG("%s", out);
	ASSERT_EQ(0, vctl_nobody(out, sizeof(out), "vkc0", "host show"));
	ASSERT_NE(NULL, strstr(out, "\nmax-aliens 5\n")) TH_LOG("%s", out);
}

/* Counters of host ns, JSON and text (text read second). */
static int read_stats(const char *ns, long long *json, long long *text)
{
	char out[4096];
	int i;

	if (vctl(out, sizeof(out), ns, "-j stats") || json_ok(out) || out[0] != '{')
		return -1;
	for (i = 0; i < (int)ARRAY_SIZE(counters); i++)
		if ((json[i] = json_num(out, counters[i])) < 0)
			return -1;
	if (vctl(out, sizeof(out), ns, "stats"))
		return -1;
	for (i = 0; i < (int)ARRAY_SIZE(counters); i++)
		if ((text[i] = text_num(out, counters[i])) < 0)
			return -1;
	return 0;
}

enum { C_TX, C_RX, C_RETX };

/*
 * stats: tx_frames / rx_frames grow with round trips on both hosts, and
 * under netem loss the client host's retransmits grow.
 */
TEST_F_TIMEOUT(ctl, stats_follow_traffic, 120)
{
	long long j0[2][ARRAY_SIZE(counters)], t0[2][ARRAY_SIZE(counters)];
	long long j1[2][ARRAY_SIZE(counters)], t1[2][ARRAY_SIZE(counters)];
	static const char *const ns[] = { "vkc0", "vkc1" };
	int h, i;

	for (h = 0; h < 2; h++) {
		ASSERT_EQ(0, read_stats(ns[h], j0[h], t0[h]));
		for (i = 0; i < (int)ARRAY_SIZE(counters); i++)
			ASSERT_LE(j0[h][i], t0[h][i]);
	}
	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 %s/tools/vping -q -c 10 -w 0 %s",
			 bdir(), self->id));
	for (h = 0; h < 2; h++) {
		ASSERT_EQ(0, read_stats(ns[h], j1[h], t1[h]));
		TH_LOG("%s: tx %lld -> %lld, rx %lld -> %lld", ns[h], j0[h][C_TX], j1[h][C_TX],
		       j0[h][C_RX], j1[h][C_RX]);
		ASSERT_LE(j0[h][C_TX] + 10, j1[h][C_TX]);
		ASSERT_LE(j0[h][C_RX] + 10, j1[h][C_RX]);
		ASSERT_LE(t0[h][C_TX] + 10, t1[h][C_TX]);
		ASSERT_LE(t0[h][C_RX] + 10, t1[h][C_RX]);
		for (i = 0; i < (int)ARRAY_SIZE(counters); i++)
			ASSERT_LE(j1[h][i], t1[h][i]);
	}

	/* 30% loss on the client host's side: requests get sent again. */
	run(NULL, 0, "modprobe sch_netem 2>/dev/null");
	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 tc qdisc add dev vkce0 root netem loss 30%%"));
	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 %s/tools/vping -q -c 50 -w 0 %s",
			 bdir(), self->id));
	ASSERT_EQ(0, read_stats("vkc0", j0[0], t0[0]));
	TH_LOG("vkc0 retransmits %lld -> %lld, tx %lld -> %lld", j1[0][C_RETX], j0[0][C_RETX],
	       j1[0][C_TX], j0[0][C_TX]);
	ASSERT_LT(j1[0][C_RETX], j0[0][C_RETX]);
	ASSERT_LE(j0[0][C_RETX], t0[0][C_RETX]);
	ASSERT_LE(j1[0][C_TX] + 50 + (j0[0][C_RETX] - j1[0][C_RETX]), j0[0][C_TX]);
	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 tc qdisc del dev vkce0 root"));
}

/*
 * proc show of local transactions: a client queued at a server that does
 * not Receive, then received; the server's queued and held counts.
 */
TEST_F_TIMEOUT(ctl, proc_show_local_states, 120)
{
	char txt[4096], js[4096], l1[256], o1[256], l2[256], o2[256];
	uint64_t sid, cid[2];
	int srv, cli[2], i;

	srv = ns_vopen("vkc0");
	ASSERT_LE(0, srv);
	sid = vt_id(srv);
	for (i = 0; i < 2; i++) {
		cli[i] = ns_vopen("vkc0");
		ASSERT_LE(0, cli[i]);
		cid[i] = vt_id(cli[i]);
	}
	/* All idle. */
	ASSERT_EQ(0, wait_show("vkc0", "proc show", proc_row(l1, 256, 0, cid[0], "idle", 0, 0, 0),
			       proc_row(o1, 256, 1, sid, "idle", 0, 0, 0), txt, js, 4096, 0))
		TH_LOG("%s%s", txt, js);
	ASSERT_EQ(3, count_of(txt, "\n")) TH_LOG("%s", txt);

	self->child = spawn_send(cli[0], sid);
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, wait_show("vkc0", "proc show",
			       proc_row(l1, 256, 0, cid[0], "queued", sid, 0, 0),
			       proc_row(o1, 256, 1, cid[0], "queued", sid, 0, 0), txt, js, 4096, 5000))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_NE(NULL, strstr(txt, proc_row(l2, 256, 0, sid, "idle", 0, 1, 0))) TH_LOG("%s", txt);
	ASSERT_NE(NULL, strstr(js, proc_row(o2, 256, 1, sid, "idle", 0, 1, 0))) TH_LOG("%s", js);
	self->child2 = spawn_send(cli[1], sid);
	ASSERT_LT(0, self->child2);
	ASSERT_EQ(0, wait_show("vkc0", "proc show", proc_row(l2, 256, 0, sid, "idle", 0, 2, 0),
			       proc_row(o2, 256, 1, sid, "idle", 0, 2, 0), txt, js, 4096, 5000))
		TH_LOG("want %s / %s\ngot %s%s", l2, o2, txt, js);
	ASSERT_NE(NULL, strstr(txt, proc_row(l1, 256, 0, cid[1], "queued", sid, 0, 0)))
		TH_LOG("%s", txt);
	ASSERT_NE(NULL, strstr(js, proc_row(o1, 256, 1, cid[1], "queued", sid, 0, 0)))
		TH_LOG("%s", js);

	/* The server receives the first: it is "received", one left queued. */
	ASSERT_EQ(0, serve_receive(srv, cid[0]));
	ASSERT_EQ(0, wait_show("vkc0", "proc show",
			       proc_row(l1, 256, 0, cid[0], "received", sid, 0, 0),
			       proc_row(o1, 256, 1, cid[0], "received", sid, 0, 0), txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_NE(NULL, strstr(txt, proc_row(l2, 256, 0, sid, "idle", 0, 1, 1))) TH_LOG("%s", txt);
	ASSERT_NE(NULL, strstr(js, proc_row(o2, 256, 1, sid, "idle", 0, 1, 1))) TH_LOG("%s", js);
	ASSERT_NE(NULL, strstr(txt, proc_row(l1, 256, 0, cid[1], "queued", sid, 0, 0)))
		TH_LOG("%s", txt);
	/* ... and the second: two held. */
	ASSERT_EQ(0, serve_receive(srv, cid[1]));
	ASSERT_EQ(0, wait_show("vkc0", "proc show", proc_row(l2, 256, 0, sid, "idle", 0, 0, 2),
			       proc_row(o2, 256, 1, sid, "idle", 0, 0, 2), txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l2, o2, txt, js);
	ASSERT_NE(NULL, strstr(js, proc_row(o1, 256, 1, cid[1], "received", sid, 0, 0)))
		TH_LOG("%s", js);

	/* Replied: the clients are idle again, nothing held. */
	ASSERT_EQ(0, serve_reply(srv, cid[0]));
	ASSERT_EQ(0, reap(self->child, 5000));
	self->child = 0;
	ASSERT_EQ(0, serve_reply(srv, cid[1]));
	ASSERT_EQ(0, reap(self->child2, 5000));
	self->child2 = 0;
	ASSERT_EQ(0, wait_show("vkc0", "proc show", proc_row(l2, 256, 0, sid, "idle", 0, 0, 0),
			       proc_row(o2, 256, 1, sid, "idle", 0, 0, 0), txt, js, 4096, 2000))
		TH_LOG("want %s / %s\ngot %s%s", l2, o2, txt, js);
	for (i = 0; i < 2; i++) {
		ASSERT_NE(NULL, strstr(txt, proc_row(l1, 256, 0, cid[i], "idle", 0, 0, 0)))
			TH_LOG("%s", txt);
		ASSERT_NE(NULL, strstr(js, proc_row(o1, 256, 1, cid[i], "idle", 0, 0, 0)))
			TH_LOG("%s", js);
	}
}

/*
 * proc show of a remote transaction: the client is "remote" with peer =
 * the destination until replied; the server host counts it queued, then
 * held.
 */
TEST_F_TIMEOUT(ctl, proc_show_remote_state, 120)
{
	char txt[4096], js[4096], l1[256], o1[256];
	uint64_t sid, cid;
	int srv, cli;

	srv = ns_vopen("vkc1");
	ASSERT_LE(0, srv);
	sid = vt_id(srv);
	cli = ns_vopen("vkc0");
	ASSERT_LE(0, cli);
	cid = vt_id(cli);

	self->child = spawn_send(cli, sid);
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, wait_show("vkc0", "proc show", proc_row(l1, 256, 0, cid, "remote", sid, 0, 0),
			       proc_row(o1, 256, 1, cid, "remote", sid, 0, 0), txt, js, 4096, 5000))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(0, wait_show("vkc1", "proc show", proc_row(l1, 256, 0, sid, "idle", 0, 1, 0),
			       proc_row(o1, 256, 1, sid, "idle", 0, 1, 0), txt, js, 4096, 5000))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	/* The client is no process of the server host. */
	ASSERT_EQ(NULL, strstr(txt, "state remote")) TH_LOG("%s", txt);

	ASSERT_EQ(0, serve_receive(srv, cid));
	ASSERT_EQ(0, wait_show("vkc1", "proc show", proc_row(l1, 256, 0, sid, "idle", 0, 0, 1),
			       proc_row(o1, 256, 1, sid, "idle", 0, 0, 1), txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(0, wait_show("vkc0", "proc show", proc_row(l1, 256, 0, cid, "remote", sid, 0, 0),
			       proc_row(o1, 256, 1, cid, "remote", sid, 0, 0), txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);

	ASSERT_EQ(0, serve_reply(srv, cid));
	ASSERT_EQ(0, reap(self->child, 5000));
	self->child = 0;
	ASSERT_EQ(0, wait_show("vkc0", "proc show", proc_row(l1, 256, 0, cid, "idle", 0, 0, 0),
			       proc_row(o1, 256, 1, cid, "idle", 0, 0, 0), txt, js, 4096, 2000))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(0, wait_show("vkc1", "proc show", proc_row(l1, 256, 0, sid, "idle", 0, 0, 0),
			       proc_row(o1, 256, 1, sid, "idle", 0, 0, 0), txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
}

/*
 * alien show follows a remote client's transaction on the server host:
 * queued, received (holder = the server), replied; same client and seq
 * throughout; nothing on the client host.
 */
TEST_F_TIMEOUT(ctl, alien_show_progress, 120)
{
	char txt[4096], js[4096], l1[256], o1[256], key[64], *p;
	uint64_t sid, cid;
	unsigned int seq;
	int srv, cli;

	srv = ns_vopen("vkc1");
	ASSERT_LE(0, srv);
	sid = vt_id(srv);
	cli = ns_vopen("vkc0");
	ASSERT_LE(0, cli);
	cid = vt_id(cli);
	ASSERT_EQ(0, vctl(txt, sizeof(txt), "vkc1", "-j alien show"));
	ASSERT_STREQ("[]\n", txt);

	self->child = spawn_send(cli, sid);
	ASSERT_LT(0, self->child);
	snprintf(key, sizeof(key), "client 0x%016llx  seq ", (unsigned long long)cid);
	ASSERT_EQ(0, wait_show("vkc1", "alien show", key, NULL, txt, js, 4096, 5000))
		TH_LOG("%s", txt);
	p = strstr(txt, key);
	ASSERT_EQ(1, sscanf(p + strlen(key), "%u", &seq));
	ASSERT_EQ(1, count_of(txt, "\n")) TH_LOG("%s", txt);
	ASSERT_EQ(0, wait_show("vkc1", "alien show", alien_row(l1, 256, 0, cid, seq, "queued", sid),
			       alien_row(o1, 256, 1, cid, seq, "queued", sid), txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(0, vctl(txt, sizeof(txt), "vkc1", "-j host show"));
	ASSERT_EQ(1, json_num(txt, "aliens")) TH_LOG("%s", txt);

	ASSERT_EQ(0, serve_receive(srv, cid));
	ASSERT_EQ(0, wait_show("vkc1", "alien show",
			       alien_row(l1, 256, 0, cid, seq, "received", sid),
			       alien_row(o1, 256, 1, cid, seq, "received", sid), txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(1, count_of(js, "\"client\":")) TH_LOG("%s", js);

	ASSERT_EQ(0, serve_reply(srv, cid));
	ASSERT_EQ(0, reap(self->child, 5000));
	self->child = 0;
	/* Replied: kept (to answer retransmissions), whoever holds it. */
	snprintf(l1, sizeof(l1), "client 0x%016llx  seq %u  state replied  holder 0x",
		 (unsigned long long)cid, seq);
	snprintf(o1, sizeof(o1), "{\"client\":\"0x%016llx\",\"seq\":%u,\"state\":\"replied\","
		 "\"holder\":\"0x", (unsigned long long)cid, seq);
	ASSERT_EQ(0, wait_show("vkc1", "alien show", l1, o1, txt, js, 4096, 1000))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(1, count_of(txt, "\n")) TH_LOG("%s", txt);
	/* The client host holds no alien. */
	ASSERT_EQ(0, vctl(txt, sizeof(txt), "vkc0", "alien show"));
	ASSERT_STREQ("", txt);
	ASSERT_EQ(0, vctl(txt, sizeof(txt), "vkc0", "-j alien show"));
	ASSERT_STREQ("[]\n", txt);
}

#define NPROC 300

/*
 * proc show with 300 V processes in one namespace: every one is listed
 * once, in text and JSON, and the dump spans several netlink messages.
 */
TEST_F_TIMEOUT(ctl, proc_show_300_processes, 120)
{
	static char out[1 << 17];
	static uint64_t ids[NPROC], got[NPROC + 16];
	static int fds[NPROC];
	char key[64];
	int i, n, dgrams = 0;

	ASSERT_EQ(0, ns_enter("vkc0"));
	for (i = 0; i < NPROC; i++) {
		fds[i] = v_open();
		if (fds[i] < 0)
			break;
		ids[i] = vt_id(fds[i]);
	}
	ns_leave();
	ASSERT_EQ(NPROC, i) TH_LOG("v_open: %s", strerror(-fds[i]));

	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j host show"));
	ASSERT_EQ(NPROC, json_num(out, "processes")) TH_LOG("%s", out);

	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "proc show"));
	ASSERT_EQ(NPROC, count_of(out, "\n"));
	snprintf(key, sizeof(key), "  held 0  pid %d\n", (int)getpid());
	ASSERT_EQ(NPROC, count_of(out, "  state idle  peer 0x0000000000000000  queued 0  held 0  "));
	ASSERT_EQ(NPROC, count_of(out, key));
	for (i = 0; i < NPROC; i++) {
		snprintf(key, sizeof(key), "id 0x%016llx  ", (unsigned long long)ids[i]);
		ASSERT_EQ(1, count_of(out, key)) TH_LOG("process %d: %s", i, key);
	}
	ASSERT_EQ(0, vctl(out, sizeof(out), "vkc0", "-j proc show"));
	ASSERT_EQ(0, json_ok(out));
	ASSERT_EQ(NPROC, count_of(out, "{\"id\":"));
	for (i = 0; i < NPROC; i++) {
		snprintf(key, sizeof(key), "{\"id\":\"0x%016llx\",", (unsigned long long)ids[i]);
		ASSERT_EQ(1, count_of(out, key)) TH_LOG("process %d: %s", i, key);
	}
	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc0 %s/tools/vctl -j proc show | "
			 "python3 -c 'import json, sys; d = json.load(sys.stdin); "
			 "print(len(d), len(set(p[\"id\"] for p in d)))'", bdir()));
	ASSERT_STREQ("300 300\n", out);

	/* The same dump read 8 KiB at a time: several datagrams. */
	ASSERT_EQ(0, ns_enter("vkc0"));
	n = raw_proc_dump(got, NPROC + 16, &dgrams);
	ns_leave();
	TH_LOG("%d records in %d datagrams", n, dgrams);
	ASSERT_EQ(NPROC, n);
	ASSERT_LE(2, dgrams);
	for (i = 0; i < NPROC; i++) {
		int j, k = 0;

		for (j = 0; j < n; j++)
			k += got[j] == ids[i];
		ASSERT_EQ(1, k) TH_LOG("process %d seen %d times", i, k);
	}
	for (i = 0; i < NPROC; i++)
		close(fds[i]);
	ASSERT_EQ(0, wait_procs("vkc0", 0, 5000));
}

/* What the creator of proc_show_pid's V process tells the test. */
struct creator_msg {
	uint64_t id;
	pid_t holder;
};

/*
 * The creator: opens a V process on vkc0 and forks the holder, which
 * inherits it and pauses until killed; sends both on up, and exits when
 * down reaches its end.
 */
static void __attribute__((noreturn)) creator_run(int up, int down)
{
	struct creator_msg m;
	int fd = ns_vopen("vkc0");
	char c;

	if (fd < 0)
		_exit(1);
	m.id = vt_id(fd);
	m.holder = fork();
	if (m.holder < 0)
		_exit(1);
	if (!m.holder) {
		close(up);
		close(down);
		for (;;)
			pause();
	}
	if (write(up, &m, sizeof(m)) != sizeof(m))
		_exit(1);
	while (read(down, &c, 1) > 0)
		;
	_exit(0);
}

/*
 * proc show names the process that created a V socket (its pid, as the
 * one asking numbers it), so a program manager can signal it: a child of
 * the test creates one and forks a holder that inherits it; the creator
 * is named while both hold it, 0 from a pid namespace it is not in, and
 * 0 once it has exited and been reaped though the holder still holds the
 * socket (its number may be another process's by then).
 */
TEST_F_TIMEOUT(ctl, proc_show_pid, 120)
{
	char txt[4096], js[4096], l1[256], o1[256];
	struct creator_msg m;
	int up[2], down[2];
	pid_t creator;

	/* The holder is ours to reap once its parent, the creator, is gone. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	creator = fork();
	ASSERT_LE(0, creator);
	if (!creator) {
		close(up[0]);
		close(down[1]);
		creator_run(up[1], down[0]);
	}
	self->child = creator;
	close(up[1]);
	close(down[0]);
	ASSERT_EQ((ssize_t)sizeof(m), read(up[0], &m, sizeof(m)));
	close(up[0]);
	self->child2 = m.holder;
	ASSERT_LT(0, m.holder);
	ASSERT_NE(creator, m.holder);

	/* Creator and holder both hold it: the creator is named. */
	ASSERT_EQ(0, wait_show("vkc0", "proc show",
			       proc_row_pid(l1, 256, 0, m.id, "idle", 0, 0, 0, creator),
			       proc_row_pid(o1, 256, 1, m.id, "idle", 0, 0, 0, creator),
			       txt, js, 4096, 2000))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(1, count_of(txt, "\n")) TH_LOG("%s", txt);

	/* Seen from a new pid namespace the creator is not in: 0. */
	ASSERT_EQ(0, run(js, sizeof(js), "ip netns exec vkc0 unshare --pid --fork "
			 "%s/tools/vctl -j proc show 2>&1", bdir()));
	ASSERT_NE(NULL, strstr(js, proc_row_pid(o1, 256, 1, m.id, "idle", 0, 0, 0, 0)))
		TH_LOG("want %s\ngot %s", o1, js);

	/* The creator exits and is reaped; the holder alone keeps it open: 0. */
	close(down[1]);
	ASSERT_EQ(0, reap(creator, 5000));
	self->child = 0;
	ASSERT_EQ(0, kill(m.holder, 0));
	ASSERT_EQ(0, wait_show("vkc0", "proc show",
			       proc_row_pid(l1, 256, 0, m.id, "idle", 0, 0, 0, 0),
			       proc_row_pid(o1, 256, 1, m.id, "idle", 0, 0, 0, 0),
			       txt, js, 4096, 2000))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);

	/* The holder gone, so is the V process. */
	ASSERT_EQ(0, kill(m.holder, SIGKILL));
	ASSERT_EQ(m.holder, waitpid(m.holder, NULL, 0));
	self->child2 = 0;
	ASSERT_EQ(0, wait_procs("vkc0", 0, 5000));
}

/*
 * map show: after a round trip each host maps the other's host part to
 * its link and the other's MAC; after the peer's MAC changes, the next
 * round trip updates it.
 */
TEST_F_TIMEOUT(ctl, map_show_follows_mac_change, 120)
{
	char txt[4096], js[4096], l0[256], o0[256], l1[256], o1[256];
	char mac0[32], mac1[32], mac[32];
	int if0, if1, mtu, lower;
	unsigned int hp0, hp1 = v_id_host(strtoull(self->id, NULL, 0));

	ASSERT_EQ(0, vctl(txt, sizeof(txt), "vkc0", "-j host show"));
	hp0 = json_num(txt, "host_part");
	ASSERT_EQ(0, ip_link("vkc0", "vkce0", &if0, &mtu, mac0, &lower));
	ASSERT_EQ(0, ip_link("vkc1", "vkce1", &if1, &mtu, mac1, &lower));
	ASSERT_STRNE(mac0, "02:00:00:00:bb:01");

	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 %s/tools/vping -q -c 1 -w 0 %s",
			 bdir(), self->id));
	/* vkc1 knows vkc0 by vkce0's MAC, on its vkce1; and the other way round. */
	snprintf(l1, 256, "host_part 0x%08x  ifindex %d  addr %s  state learned  age_ms ",
		 hp0, if1, mac0);
	snprintf(o1, 256, "{\"host_part\":%u,\"ifindex\":%d,\"addr\":\"%s\",\"state\":\"learned\","
		 "\"age_ms\":", hp0, if1, mac0);
	ASSERT_EQ(0, wait_show("vkc1", "map show", l1, o1, txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(1, count_of(txt, "host_part ")) TH_LOG("%s", txt);
	snprintf(l0, 256, "host_part 0x%08x  ifindex %d  addr %s  state learned  age_ms ",
		 hp1, if0, mac1);
	snprintf(o0, 256, "{\"host_part\":%u,\"ifindex\":%d,\"addr\":\"%s\",\"state\":\"learned\","
		 "\"age_ms\":", hp1, if0, mac1);
	ASSERT_EQ(0, wait_show("vkc0", "map show", l0, o0, txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l0, o0, txt, js);
	ASSERT_EQ(1, count_of(js, "\"host_part\":")) TH_LOG("%s", js);

	/*
	 * vkc0's MAC changes: vkc0 claims its host part again from the new
	 * address, so vkc1 learns it with no traffic of its own ...
	 */
	ASSERT_EQ(0, run(NULL, 0, "ip -n vkc0 link set dev vkce0 address 02:00:00:00:bb:01"));
	ASSERT_EQ(0, ip_link("vkc0", "vkce0", &if0, &mtu, mac, &lower));
	ASSERT_STREQ("02:00:00:00:bb:01", mac);
	ASSERT_EQ(0, vctl(txt, sizeof(txt), "vkc0", "link show"));
	ASSERT_NE(NULL, strstr(txt, "addr 02:00:00:00:bb:01 state up")) TH_LOG("%s", txt);
	snprintf(l1, 256, "host_part 0x%08x  ifindex %d  addr 02:00:00:00:bb:01  state learned",
		 hp0, if1);
	snprintf(o1, 256, "{\"host_part\":%u,\"ifindex\":%d,\"addr\":\"02:00:00:00:bb:01\","
		 "\"state\":\"learned\"", hp0, if1);
	ASSERT_EQ(0, wait_show("vkc1", "map show", l1, o1, txt, js, 4096, 2000))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	/* ... and round trips go on to the new address. */
	ASSERT_EQ(0, run(NULL, 0, "ip netns exec vkc0 %s/tools/vping -q -c 1 -w 0 %s",
			 bdir(), self->id));
	ASSERT_EQ(0, wait_show("vkc1", "map show", l1, o1, txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l1, o1, txt, js);
	ASSERT_EQ(NULL, strstr(txt, mac0)) TH_LOG("%s", txt);
	ASSERT_EQ(NULL, strstr(js, mac0)) TH_LOG("%s", js);
	ASSERT_EQ(1, count_of(js, "\"host_part\":")) TH_LOG("%s", js);
	/* vkc0's view of vkc1 is unchanged. */
	ASSERT_EQ(0, wait_show("vkc0", "map show", l0, o0, txt, js, 4096, 0))
		TH_LOG("want %s / %s\ngot %s%s", l0, o0, txt, js);
}

VT_HARNESS_MAIN
