// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "ctl": the control plane and observability.  Two V hosts
 * (network namespaces vkc0, vkc1 on a veth pair) with an echo server on
 * vkc1; vctl and the tracepoints are checked against real traffic.
 */
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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
	char path[] = "/tmp/vkctl-json-XXXXXX";
	int fd = mkstemp(path), rc;

	if (fd < 0 || write(fd, json, strlen(json)) != (ssize_t)strlen(json))
		return -1;
	close(fd);
	rc = run(NULL, 0, "python3 -m json.tool %s >/dev/null 2>&1", path);
	unlink(path);
	return rc;
}

FIXTURE(ctl) {
	pid_t echo;
	char id[32];
};

FIXTURE_SETUP(ctl)
{
	char line[128] = "";
	int pfd[2];
	FILE *f;

	run(NULL, 0, "ip netns del vkc0 2>/dev/null; ip netns del vkc1 2>/dev/null");
	ASSERT_EQ(0, run(NULL, 0,
			 "ip netns add vkc0 && ip netns add vkc1 && "
			 "ip link add vkce0 netns vkc0 type veth peer name vkce1 netns vkc1 && "
			 "ip -n vkc0 link set vkce0 up && ip -n vkc1 link set vkce1 up && "
			 "ip netns exec vkc0 %s/tools/vctl link add dev vkce0 && "
			 "ip netns exec vkc1 %s/tools/vctl link add dev vkce1", bdir(), bdir()));
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
	if (self->echo > 0) {
		kill(self->echo, SIGTERM);
		waitpid(self->echo, NULL, 0);
	}
	run(NULL, 0, "ip netns del vkc0; ip netns del vkc1");
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

/* vctl proc show: the echo server, idle, in text and JSON. */
TEST_F(ctl, proc_show)
{
	char out[4096];

	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc1 %s/tools/vctl proc show", bdir()));
	ASSERT_NE(NULL, strstr(out, self->id)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "state idle")) TH_LOG("%s", out);
	ASSERT_EQ(0, run(out, sizeof(out), "ip netns exec vkc1 %s/tools/vctl -j proc show", bdir()));
	ASSERT_EQ(0, json_ok(out)) TH_LOG("%s", out);
	ASSERT_NE(NULL, strstr(out, "\"state\":\"idle\"")) TH_LOG("%s", out);
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

TEST_HARNESS_MAIN
