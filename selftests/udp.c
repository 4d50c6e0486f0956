// SPDX-License-Identifier: GPL-2.0
/*
 * Suite "udp": the UDP bearer (vkmod/udp.c): V frames in UDP over IPv4
 * and IPv6, across a router that forwards IP and nothing else, so raw V
 * frames cannot pass and only the UDP links join the two hosts.
 *
 * Topology (built once, kept across tests): host A (namespace vku0) and
 * host B (vku1), each with a veth to the router (vkur: IP forwarding for
 * IPv4 and IPv6, no V), in 10.71.1.0/24 + fd71:1::/64 and 10.71.2.0/24 +
 * fd71:2::/64; host C (vku2) on a second veth of A's, attached raw
 * (Ethernet) on both ends.  A, B and C share a cluster key.
 *
 * Fixture udp, variants v4 and v6: A and B each attach a UDP link (local
 * address, the other as its peer) in setup and detach it in teardown.
 * Send-Receive-Reply across the router (the map learns the peer's
 * endpoint), MoveFrom and MoveTo of VK_UDP_MOVE_MB MiB (4 by default, so
 * the suite fits its budget; the 16 MiB with VK_UDP_MOVE_MB=16),
 * a group with a member on each host (group Send, GetReply, the members
 * query) and GetPid with remote scope, a route with a smaller MTU (the
 * link's mtu lowered, nothing lost) and a router hop with one (IP
 * fragments, nothing lost).
 *
 * Fixture paths (the v4 links; paths are the same for IPv6): a path with
 * netem loss, an IPIP tunnel of MTU 1300 below A's route to B, a cluster of raw and UDP links (A speaks to C over Ethernet
 * and to B over UDP at once), and two paths between A and B (UDP and a raw
 * veth) with the one a MoveTo goes by cut mid-train: the move completes,
 * executed once, by the other; a host part C (raw to A only) claims
 * refused because B (UDP to A only) has it, A relaying the CLAIM and the
 * DENY (RELAY).
 *
 * Fixture udpsec (the v4 links): datagrams without a tag, with a wrong
 * tag, or signed for another host part, sent to B's port from the router,
 * dropped and counted while a correctly signed one is delivered; a UDP
 * link refused without a cluster key, on a port in use, with peers of the
 * other family; a link detached by id.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include "vtest.h"
#include "vwire.h"
#include "vkids.h"
#include "kselftest_harness.h"

#define KEY		"7564700000000000000000000000000000000000000000000000000000000029"
#define MS_WAIT		20000
#define CODE_ECHO	0x0d01
#define CODE_MOVE	0x0d02
#define TOPO_MARK	"/tmp/vk-udp-topo"
#define NETEM_MARK	"/tmp/vk-udp-netem"
#define LID		0x7a0d1	/* the logical id GetPid looks for */
/*
 * The move a path is cut under: long enough to cut mid-train; 4 MiB on a
 * debug kernel (VK_TIMEOUT_SCALE > 1), where 16 both ways outlast the
 * server child's alarm.
 */
#define FAILOVER_MB	(vt_scale() > 1 ? 4 : 16)

enum { A, B, R, C, NNS };
static const char *const ns[NNS] = { "vku0", "vku1", "vkur", "vku2" };

struct fam {
	const char *a, *b;	/* A's and B's addresses (vctl's spelling) */
	const char *ep_b;	/* B's endpoint as `vctl map show -j` gives it */
	const char *net_b;	/* B's network, for A's route */
	const char *gw_a;	/* A's router */
	const char *ipflag;	/* ip's family option */
	int hdrs;		/* IP and UDP headers */
};

static const struct fam fam4 = {
	"10.71.1.2", "10.71.2.2", "10.71.2.2:6180", "10.71.2.0/24", "10.71.1.1", "-4", 28,
};
static const struct fam fam6 = {
	"[fd71:1::2]", "[fd71:2::2]", "[fd71:2::2]:6180", "fd71:2::/64", "fd71:1::1", "-6", 48,
};

static int move_mb(void)
{
	const char *v = getenv("VK_UDP_MOVE_MB");

	return v && atoi(v) > 0 ? atoi(v) : 4;
}

/* ------------------------------------------------------------------------ */
/* The topology                                                             */

static const char *const topo_cmds[] = {
	"ip link add vkua netns vku0 type veth peer name vkura netns vkur",
	"ip link add vkub netns vku1 type veth peer name vkurb netns vkur",
	"ip link add vkuc netns vku0 type veth peer name vkuc2 netns vku2",
	"ip -n vku0 addr add 10.71.1.2/24 dev vkua",
	"ip -n vku0 addr add fd71:1::2/64 dev vkua nodad",
	"ip -n vku1 addr add 10.71.2.2/24 dev vkub",
	"ip -n vku1 addr add fd71:2::2/64 dev vkub nodad",
	"ip -n vkur addr add 10.71.1.1/24 dev vkura",
	"ip -n vkur addr add fd71:1::1/64 dev vkura nodad",
	"ip -n vkur addr add 10.71.2.1/24 dev vkurb",
	"ip -n vkur addr add fd71:2::1/64 dev vkurb nodad",
	"ip -n vku0 link set lo up", "ip -n vku1 link set lo up", "ip -n vkur link set lo up",
	"ip -n vku2 link set lo up",
	"ip -n vku0 link set vkua up", "ip -n vku0 link set vkuc up",
	"ip -n vku1 link set vkub up", "ip -n vku2 link set vkuc2 up",
	"ip -n vkur link set vkura up", "ip -n vkur link set vkurb up",
	"ip -n vku0 route add default via 10.71.1.1",
	"ip -n vku0 -6 route add default via fd71:1::1",
	"ip -n vku1 route add default via 10.71.2.1",
	"ip -n vku1 -6 route add default via fd71:2::1",
	"ip netns exec vkur sysctl -qw net.ipv4.ip_forward=1",
	"ip netns exec vkur sysctl -qw net.ipv6.conf.all.forwarding=1",
	"ip netns exec vku0 vctl_ set key " KEY,
	"ip netns exec vku1 vctl_ set key " KEY,
	"ip netns exec vku2 vctl_ set key " KEY,
	"ip netns exec vku0 vctl_ link add dev vkuc",
	"ip netns exec vku2 vctl_ link add dev vkuc2",
};

static void topo_destroy(void)
{
	int i;

	for (i = 0; i < NNS; i++)
		vt_sh("ip netns del %s 2>/dev/null", ns[i]);
	unlink(TOPO_MARK);
}

/* Run a topology command; "vctl_" stands for the build's vctl. */
static int topo_cmd(const char *c)
{
	const char *v = strstr(c, "vctl_");

	if (!v)
		return vt_sh("%s", c);
	return vt_sh("%.*s%s%s", (int)(v - c), c, vt_vctl_bin(), v + 5);
}

static int topo_keep(void)
{
	unsigned int i;

	if (access(TOPO_MARK, F_OK) == 0)
		return 0;
	topo_destroy();
	vt_sh("modprobe -q veth; modprobe -q sch_netem");
	for (i = 0; i < NNS; i++)
		if (vt_sh("ip netns add %s", ns[i]))
			return -1;
	for (i = 0; i < sizeof(topo_cmds) / sizeof(topo_cmds[0]); i++)
		if (topo_cmd(topo_cmds[i])) {
			fprintf(stderr, "# topology: '%s' failed\n", topo_cmds[i]);
			return -1;
		}
	return close(open(TOPO_MARK, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

/* Undo what a test killed by its alarm may have left: netem, routes, MTUs. */
static void topo_tidy(void)
{
	if (access(NETEM_MARK, F_OK))
		return;
	vt_sh("ip -n vkur link set vkurb mtu 1500; ip -n vku1 link set vkub mtu 1500");
	vt_sh("tc -n vkur qdisc del dev vkurb root 2>/dev/null; "
	      "tc -n vkur qdisc del dev vkura root 2>/dev/null");
	vt_sh("ip -n vku0 link del vkud 2>/dev/null");
	vt_sh("ip -n vku0 link del vkut 2>/dev/null; ip -n vkur link del vkut 2>/dev/null");
	vt_sh("ip -n vku0 route del 10.71.2.0/24 2>/dev/null; "
	      "ip -n vku0 -6 route del fd71:2::/64 2>/dev/null");
	unlink(NETEM_MARK);
}

static void tidy_mark(void)
{
	close(open(NETEM_MARK, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

/* The host-down bound of A, B and C (ms, at most V_HOST_DOWN_MS_MAX). */
static void topo_down_ms(int ms)
{
	char args[64];
	int h;

	if (ms > V_HOST_DOWN_MS_MAX)
		ms = V_HOST_DOWN_MS_MAX;
	snprintf(args, sizeof(args), "set host-down-ms %d", ms);
	for (h = 0; h < NNS; h++)
		if (h != R)
			vt_vctl_run(ns[h], args, NULL, 0, 0);
}

/* Attach a UDP link in host h (local addr, peer): its id, or -1. */
static long udp_link_add(int h, const char *local, const char *peer)
{
	char out[256], args[256];

	snprintf(args, sizeof(args), "-j link add udp local %s peer %s", local, peer);
	if (vt_vctl_run(ns[h], args, out, sizeof(out), 0))
		return -1;
	return vt_json_num(out, "id");
}

static void udp_link_del(int h, long id)
{
	char args[64];

	if (id > 0) {
		snprintf(args, sizeof(args), "link del %ld", id);
		vt_vctl_run(ns[h], args, NULL, 0, 0);
	}
}

/* Number key of link id in `vctl -j link show` (json), or -1. */
static long long link_num(char *json, long id, const char *key)
{
	char pat[48], *p;

	snprintf(pat, sizeof(pat), "\"id\":%ld,", id);
	p = strstr(json, pat);
	return p ? vt_json_num(p, key) : -1;
}

/* ------------------------------------------------------------------------ */
/* Servers on B and Sends from A                                            */

/*
 * A server on host h for moves: a CODE_MOVE message of N bytes is
 * answered by MoveFrom of the client's segment (pattern 1 checked) and
 * MoveTo of pattern 2 over it, then a Reply naming the step that failed
 * (0: none) and how many moves it has executed; anything else is echoed.
 */
struct mover {
	uint8_t *buf;
	size_t cap;
	uint64_t moves;
};

static void mover_serve(int srv, const struct v_receive *r, void *arg)
{
	struct mover *mv = arg;
	size_t len = v_msg_get64(&r->msg, 8);
	uint64_t step;
	struct v_msg m;

	if (v_msg_code(&r->msg) != CODE_MOVE) {
		v_reply(srv, r->sender, &r->msg);
		return;
	}
	if (!mv->buf)
		mv->buf = malloc(mv->cap);
	if (len > mv->cap)
		len = mv->cap;
	step = !mv->buf ? 4 : v_move_from(srv, r->sender, 0, mv->buf, len) ? 1 :
	       pat_mismatch(mv->buf, len, 1, 0) >= 0 ? 2 : 0;
	if (!step) {
		fill(mv->buf, len, 2, 0);
		step = v_move_to(srv, r->sender, 0, mv->buf, len) ? 3 : 0;
	}
	m = mk(V_OK, step);
	v_msg_put64(&m, 16, ++mv->moves);	/* each request executed once */
	v_reply(srv, r->sender, &m);
}

static uint64_t mover_start(int h)
{
	struct mover mv = {
		.cap = (size_t)(move_mb() > FAILOVER_MB ? move_mb() : FAILOVER_MB) << 20,
	};

	return vt_kid_server(ns[h], NULL, mover_serve, &mv);
}

/*
 * From a V socket: len bytes moved both ways through server; 0, or why
 * not.  *nth (when not NULL): how many moves the server had executed with
 * this one.
 */
static int move_round_n(int fd, uint64_t server, size_t len, uint64_t *nth)
{
	uint8_t *seg = malloc(len);
	struct v_send s = { 0 };
	int ret;

	if (!seg)
		return -ENOMEM;
	fill(seg, len, 1, 0);
	s.dst = server;
	s.timeout_ns = (uint64_t)MS_WAIT * 1000000ULL * 4 * vt_scale();
	s.seg_addr = (uintptr_t)seg;
	s.seg_len = len;
	s.seg_access = V_SEG_READ | V_SEG_WRITE;
	s.msg = mk(CODE_MOVE, len);
	ret = v_send_ex(fd, &s) ? -errno : 0;
	if (!ret && nth)
		*nth = v_msg_get64(&s.msg, 16);
	if (!ret && v_msg_get64(&s.msg, 8))
		ret = 1000 + (int)v_msg_get64(&s.msg, 8);	/* the server's step that failed */
	if (!ret && pat_mismatch(seg, len, 2, 0) >= 0)
		ret = 2000;
	free(seg);
	return ret;
}

static int move_round(int fd, uint64_t server, size_t len)
{
	return move_round_n(fd, server, len, NULL);
}

/* n echoes from fd to server, each checked. */
static int echo_rounds(int fd, uint64_t server, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct v_msg m = mk(CODE_ECHO, mix64(i + 1)), want = m;

		if (v_send(fd, server, &m))
			return -errno;
		if (!msg_eq(&m, &want))
			return -EBADMSG;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Fixture udp: two hosts joined by UDP links across the router             */

/* Two hosts joined by UDP links: what fixtures udp and paths hold. */
struct upair {
	pid_t owner;
	const struct fam *f;
	long link_a, link_b;
	int cli;		/* a V socket on A */
};

static void upair_setup(struct __test_metadata *_metadata, struct upair *u, const struct fam *f)
{
	signal(SIGPIPE, SIG_IGN);
	u->owner = getpid();
	u->f = f;
	u->cli = -1;
	u->link_a = u->link_b = -1;
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	ASSERT_EQ(0, topo_keep()) TH_LOG("cannot build the routed topology");
	topo_tidy();
	/*
	 * Silence long enough to call a host down scales with the kernel
	 * (a debug kernel under KASAN, VK_TIMEOUT_SCALE 4, has 16 MiB moves
	 * pause longer than the 3 s default between trains).
	 */
	topo_down_ms(3000 * vt_scale());
	u->link_a = udp_link_add(A, f->a, f->b);
	ASSERT_LE(V_LINK_ID_UDP, u->link_a) TH_LOG("vctl link add udp on A failed");
	u->link_b = udp_link_add(B, f->b, f->a);
	ASSERT_LE(V_LINK_ID_UDP, u->link_b) TH_LOG("vctl link add udp on B failed");
	u->cli = vt_ns_vopen(ns[A], 0);
	ASSERT_LE(0, u->cli);
}

static void upair_teardown(struct upair *u)
{
	if (getpid() != u->owner)
		return;
	kids_kill_all();
	if (u->cli >= 0)
		close(u->cli);
	udp_link_del(A, u->link_a);
	udp_link_del(B, u->link_b);
	topo_tidy();
	vt_root_close();
}

FIXTURE(udp) {
	struct upair u;
};

FIXTURE_VARIANT(udp) {
	const struct fam *f;
};

FIXTURE_VARIANT_ADD(udp, v4) { .f = &fam4 };
FIXTURE_VARIANT_ADD(udp, v6) { .f = &fam6 };

FIXTURE_SETUP(udp)
{
	upair_setup(_metadata, &self->u, variant->f);
}

FIXTURE_TEARDOWN(udp)
{
	upair_teardown(&self->u);
}

/*
 * Send-Receive-Reply across the router: every reply right, the frames
 * counted on both hosts, and A's map holding B's UDP endpoint, learned
 * from B's authenticated answers.
 */
TEST_F_TIMEOUT(udp, srr_across_router, 120)
{
	uint64_t srv = vt_echo_server(ns[B]);
	long long rx0 = vt_stat(ns[B], "rx_frames");
	char map[4096];

	ASSERT_NE(0, srv);
	ASSERT_NE(v_id_host(srv), v_id_host(vt_id(self->u.cli)));
	ASSERT_EQ(0, echo_rounds(self->u.cli, srv, 50));
	EXPECT_LE(rx0 + 50, vt_stat(ns[B], "rx_frames"));
	ASSERT_EQ(0, vt_vctl_run(ns[A], "-j map show", map, sizeof(map), 0));
	EXPECT_NE(NULL, strstr(map, self->u.f->ep_b)) TH_LOG("A's map: %s", map);
}

/* MoveFrom and MoveTo of VK_UDP_MOVE_MB MiB, every byte checked. */
TEST_F_TIMEOUT(udp, move_both_ways, 300)
{
	uint64_t srv = mover_start(B);

	ASSERT_NE(0, srv);
	ASSERT_EQ(0, move_round(self->u.cli, srv, (size_t)move_mb() << 20));
}

/* Join the group *arg (vt_kid_server()'s ready). */
static int member_join(int srv, void *arg)
{
	return v_group_join(srv, *(uint64_t *)arg);
}

/* A child on host h, a member of gid, echoing what it receives; its id once joined, or 0. */
static uint64_t member_start(int h, uint64_t gid)
{
	return vt_kid_server(ns[h], member_join, NULL, &gid);
}

/*
 * A group with a member on each host: a group Send from A answered by
 * both (the first reply, then GetReply), the members query counting both;
 * GetPid with remote scope finding B's process.
 */
TEST_F_TIMEOUT(udp, group_and_getpid, 120)
{
	uint64_t gid, ids[8], ma, mb, r1 = 0, r2 = 0, found = 0;
	struct v_msg m = mk(CODE_ECHO, 7), want = m;
	int fb;

	ASSERT_EQ(0, v_group_create(self->u.cli, &gid));
	ma = member_start(A, gid);
	mb = member_start(B, gid);
	ASSERT_NE(0, ma);
	ASSERT_NE(0, mb);
	ASSERT_EQ(2, v_group_members(self->u.cli, gid, ids, 8, (uint64_t)MS_WAIT * 1000000ULL))
		TH_LOG("members: %s", strerror(errno));
	ASSERT_EQ(0, v_send_qualified(self->u.cli, gid, 0, &m, &r1)) TH_LOG("%s", strerror(errno));
	EXPECT_TRUE(msg_eq(&m, &want));
	ASSERT_EQ(0, v_get_reply(self->u.cli, &m, &r2, (uint64_t)MS_WAIT * 1000000ULL))
		TH_LOG("GetReply: %s", strerror(errno));
	EXPECT_TRUE(msg_eq(&m, &want));
	EXPECT_TRUE((r1 == ma && r2 == mb) || (r1 == mb && r2 == ma))
		TH_LOG("repliers %llx %llx, members %llx %llx", (unsigned long long)r1,
		       (unsigned long long)r2, (unsigned long long)ma, (unsigned long long)mb);
	fb = vt_ns_vopen(ns[B], 0);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, v_set_pid(fb, LID, vt_id(fb), V_SCOPE_BOTH));
	ASSERT_EQ(0, v_get_pid(self->u.cli, LID, V_SCOPE_REMOTE, &found)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(vt_id(fb), found);
	close(fb);
}

/* ------------------------------------------------------------------------ */
/* Fixture paths: IPv4 links (what paths do is the same for IPv6)           */

FIXTURE(paths) {
	struct upair u;
};

FIXTURE_SETUP(paths)
{
	upair_setup(_metadata, &self->u, &fam4);
}

FIXTURE_TEARDOWN(paths)
{
	upair_teardown(&self->u);
}

/* netem loss on the router's hop to B: a move completes, every byte right. */
TEST_F_TIMEOUT(paths, loss_on_path, 300)
{
	uint64_t srv = mover_start(B);

	ASSERT_NE(0, srv);
	tidy_mark();
	ASSERT_EQ(0, vt_sh("tc -n vkur qdisc add dev vkurb root netem loss 2%%"));
	ASSERT_EQ(0, move_round(self->u.cli, srv, 2U << 20));
	ASSERT_EQ(0, echo_rounds(self->u.cli, srv, 5));
}

/*
 * Below A's path to B lies something that carries at most path_mtu bytes:
 * a MiB each way arrives whole, A counted its link's mtu lowered (past
 * low0, read before), and that mtu now fits path_mtu with the headers.
 */
static void mtu_lowered_move(struct __test_metadata *_metadata, const struct upair *u,
			     uint64_t srv, long long low0, int path_mtu)
{
	char links[2048];

	ASSERT_EQ(0, move_round(u->cli, srv, 1U << 20));
	EXPECT_LT(low0, vt_stat(ns[A], "udp_mtu_lowered"));
	ASSERT_EQ(0, vt_vctl_run(ns[A], "-j link show", links, sizeof(links), 0));
	EXPECT_GE(path_mtu - u->f->hdrs, link_num(links, u->link_a, "mtu")) TH_LOG("%s", links);
}

/*
 * A smaller MTU below: a route to B of MTU 1280 on A (a tunnel's, or
 * configured) lowers A's link mtu to what it carries (udp_mtu_lowered),
 * the frame that found it out fragmented by IP, not lost; a router hop of
 * MTU 1280 that A does not know of fragments A's datagrams, and B's
 * bigger ones come back the same way: nothing lost either way.
 */
TEST_F_TIMEOUT(udp, smaller_mtu_below, 300)
{
	long long low0 = vt_stat(ns[A], "udp_mtu_lowered");
	uint64_t srv = mover_start(B);

	ASSERT_NE(0, srv);
	ASSERT_LE(0, low0);
	tidy_mark();
	ASSERT_EQ(0, vt_sh("ip -n vku0 %s route add %s via %s mtu 1280", self->u.f->ipflag,
			   self->u.f->net_b, self->u.f->gw_a));
	mtu_lowered_move(_metadata, &self->u, srv, low0, 1280);
	vt_sh("ip -n vku0 %s route del %s", self->u.f->ipflag, self->u.f->net_b);
	ASSERT_EQ(0, vt_sh("ip -n vkur link set vkurb mtu 1280 && ip -n vku1 link set vkub mtu 1280"));
	ASSERT_EQ(0, move_round(self->u.cli, srv, 1U << 20));
	ASSERT_EQ(0, echo_rounds(self->u.cli, srv, 5));
}

/*
 * A tunnel underneath: A's traffic to B's network goes through an IPIP
 * tunnel to the router (MTU 1300, 20 bytes of its own header inside
 * A's 1500).  The link's mtu comes down to what the tunnel carries
 * (udp_mtu_lowered), the frame that found it out fragmented, not lost; a
 * MiB each way arrives whole.
 */
TEST_F_TIMEOUT(paths, tunnel_below_with_smaller_mtu, 120)
{
	long long low0 = vt_stat(ns[A], "udp_mtu_lowered");
	uint64_t srv = mover_start(B);

	ASSERT_NE(0, srv);
	ASSERT_LE(0, low0);
	if (access("/sys/module/ipip", F_OK) && vt_sh("modprobe -q ipip"))
		SKIP(return, "no ipip module in this kernel");
	tidy_mark();
	ASSERT_EQ(0, vt_sh("ip -n vku0 tunnel add vkut mode ipip local 10.71.1.2 remote 10.71.1.1 && "
			   "ip -n vkur tunnel add vkut mode ipip local 10.71.1.1 remote 10.71.1.2 && "
			   "ip -n vku0 link set vkut mtu 1300 up && ip -n vkur link set vkut mtu 1300 up && "
			   "ip -n vku0 addr add 10.71.9.2/30 dev vkut && "
			   "ip -n vkur addr add 10.71.9.1/30 dev vkut && "
			   "ip -n vku0 route add 10.71.2.0/24 dev vkut"));
	mtu_lowered_move(_metadata, &self->u, srv, low0, 1300);
	ASSERT_EQ(0, move_round(self->u.cli, srv, 1U << 20));
	ASSERT_EQ(0, echo_rounds(self->u.cli, srv, 5));
}

/*
 * Raw and UDP links in one cluster: A speaks to C over Ethernet and to B
 * over UDP, at the same time.
 */
TEST_F_TIMEOUT(paths, raw_and_udp_in_one_cluster, 120)
{
	uint64_t sb = vt_echo_server(ns[B]), sc = vt_echo_server(ns[C]);

	ASSERT_NE(0, sb);
	ASSERT_NE(0, sc);
	ASSERT_EQ(0, echo_rounds(self->u.cli, sb, 10));
	ASSERT_EQ(0, echo_rounds(self->u.cli, sc, 10));
	ASSERT_EQ(0, echo_rounds(self->u.cli, sb, 10));
}

/*
 * The current link of host h's mapping entry for host part part (`vctl
 * -j map show`), and (paths) how many paths it has; -1 when none.
 */
static long map_link(int h, uint32_t part, int *paths)
{
	char buf[8192], pat[48], *p, *end;
	long link;

	if (vt_vctl_run(ns[h], "-j map show", buf, sizeof(buf), 0))
		return -1;
	snprintf(pat, sizeof(pat), "\"host_part\":%u,", part);
	p = strstr(buf, pat);
	if (!p)
		return -1;
	end = strstr(p, "]}");	/* the end of its paths: the entry's */
	if (end)
		end[2] = '\0';
	link = vt_json_num(p, "link");
	*paths = 0;
	for (end = p; (end = strstr(end, "{\"link\":")); end++)
		(*paths)++;	/* each path's object begins so */
	return link;
}

/* The raw path between A and B (a veth, keyed links): up, or (cut) losing everything. */
static int raw_path(int cut)
{
	if (cut)
		return vt_sh("tc -n vku0 qdisc add dev vkud root netem loss 100%% && "
			     "tc -n vku1 qdisc add dev vkud2 root netem loss 100%%");
	return vt_sh("ip link add vkud netns vku0 type veth peer name vkud2 netns vku1 && "
		     "ip -n vku0 link set vkud up && ip -n vku1 link set vkud2 up && "
		     "ip netns exec vku0 %s link add dev vkud && "
		     "ip netns exec vku1 %s link add dev vkud2", vt_vctl_bin(), vt_vctl_bin());
}

static void raw_path_del(void)
{
	vt_sh("ip -n vku0 link del vkud 2>/dev/null");
	vt_sh("ip -n vku0 link del vkut 2>/dev/null; ip -n vkur link del vkut 2>/dev/null");
}

/* Cut the path link of host h in both directions (the raw path, or the router). */
static int path_cut(int h, long link, long udp_link)
{
	if (link == udp_link)
		return vt_sh("tc -n vkur qdisc add dev vkura root netem loss 100%% && "
			     "tc -n vkur qdisc add dev vkurb root netem loss 100%%");
	(void)h;
	return raw_path(1);
}

struct mover_call {
	pthread_t th;
	int fd;
	uint64_t srv, nth;
	int ret;
};

static void *mover_call_main(void *arg)
{
	struct mover_call *c = arg;

	c->ret = move_round_n(c->fd, c->srv, (size_t)FAILOVER_MB << 20, &c->nth);
	return NULL;
}

/*
 * Two paths between A and B, UDP across the router and a raw veth: each
 * host's entry for the other holds both.  The path B's MoveTo goes by is
 * cut (both ways) mid-train: the move completes, executed once, by the
 * other path (B counts a failover, the cut one is silent), and Sends
 * from A still complete.
 */
TEST_F_TIMEOUT(paths, failover_mid_train, 300)
{
	uint64_t srv = mover_start(B);
	long long tx0, fo0 = vt_stat(ns[B], "failovers");
	uint32_t pa = v_id_host(vt_id(self->u.cli)), pb = v_id_host(srv);
	struct mover_call c = { .fd = self->u.cli, .srv = srv, .ret = -1000000 };
	char links[4096];
	int paths = 0, i;
	long cur;

	ASSERT_NE(0, srv);
	ASSERT_LE(0, fo0);
	tidy_mark();
	raw_path_del();
	ASSERT_EQ(0, raw_path(0));
	ASSERT_EQ(0, echo_rounds(self->u.cli, srv, 3));
	for (i = 0; i < 50 && paths < 2; i++) {
		map_link(B, pa, &paths);
		if (paths < 2)
			usleep(100000);
	}
	ASSERT_EQ(2, paths) TH_LOG("B's paths to A");
	map_link(A, pb, &paths);
	ASSERT_EQ(2, paths) TH_LOG("A's paths to B");
	/* B's links show them: its UDP link holds its path to A. */
	ASSERT_EQ(0, vt_vctl_run(ns[B], "-j link show", links, sizeof(links), 0));
	EXPECT_LE(1, link_num(links, self->u.link_b, "paths")) TH_LOG("%s", links);
	cur = map_link(B, pa, &paths);
	ASSERT_LT(0, cur);
	tx0 = vt_stat(ns[B], "tx_frames");
	ASSERT_EQ(0, pthread_create(&c.th, NULL, mover_call_main, &c));
	/* Mid-train: B has sent some of its blocks, not all. */
	ASSERT_LT(tx0 + 200, vt_stat_wait_above(ns[B], "tx_frames", tx0 + 200, 20000, 5));
	ASSERT_EQ(0, path_cut(B, cur, self->u.link_b));
	ASSERT_TRUE(c.ret == -1000000) TH_LOG("the move ended before the cut: not mid-train");
	pthread_join(c.th, NULL);
	EXPECT_EQ(0, c.ret);
	EXPECT_EQ(1, c.nth) TH_LOG("the move executed %llu times", (unsigned long long)c.nth);
	EXPECT_LT(fo0, vt_stat(ns[B], "failovers"));
	EXPECT_NE(cur, map_link(B, pa, &paths)) TH_LOG("B still sends by the cut path");
	ASSERT_EQ(0, echo_rounds(self->u.cli, srv, 3));
	vt_sh("tc -n vkur qdisc del dev vkura root 2>/dev/null");
	raw_path_del();
}

/*
 * Host parts stay unique across links no host shares: C (Ethernet to A
 * only) claims B's host part (B: UDP to A only), and A, attached to both,
 * relays the CLAIM to B and B's DENY back (wire version 9, RELAY): C's
 * link is refused.  C then attaches with a part of its own.
 */
TEST_F_TIMEOUT(paths, relay_keeps_host_parts_unique, 120)
{
	uint32_t pb = v_id_host(vt_echo_server(ns[B])), mine = 0x2c0d000 + (getpid() & 0xfff);
	long long r0 = vt_stat(ns[A], "relayed");
	char out[512], args[64];

	ASSERT_NE(0, pb);
	ASSERT_LE(0, r0);
	ASSERT_EQ(0, vt_vctl_run(ns[C], "link del dev vkuc2", NULL, 0, 0));
	/*
	 * Replay windows are kept per host part: A's for B's part must not
	 * hold B's counters above C's, or C's CLAIM is a replay to A (a new
	 * key starts C's counters at this second's epoch, past B's).
	 */
	sleep(1);
	ASSERT_EQ(0, vt_vctl_run(ns[C], "set key " KEY, NULL, 0, 0));
	snprintf(args, sizeof(args), "set host-part 0x%x", pb);
	ASSERT_EQ(0, vt_vctl_run(ns[C], args, out, sizeof(out), VT_VCTL_STDERR)) TH_LOG("%s", out);
	EXPECT_NE(0, vt_vctl_run(ns[C], "link add dev vkuc2", out, sizeof(out), VT_VCTL_STDERR))
		TH_LOG("C took B's host part 0x%x", pb);
	EXPECT_NE(NULL, strstr(out, "already used")) TH_LOG("%s", out);
	EXPECT_LE(r0 + 2, vt_stat(ns[A], "relayed")) TH_LOG("A relayed the CLAIM and the DENY");
	snprintf(args, sizeof(args), "set host-part 0x%x", mine);
	ASSERT_EQ(0, vt_vctl_run(ns[C], args, out, sizeof(out), VT_VCTL_STDERR)) TH_LOG("%s", out);
	ASSERT_EQ(0, vt_vctl_run(ns[C], "link add dev vkuc2", out, sizeof(out), VT_VCTL_STDERR))
		TH_LOG("%s", out);
	/* A heard C's CLAIM for B's part: forget it, B is heard again. */
	snprintf(args, sizeof(args), "map del host 0x%x", pb);
	vt_vctl_run(ns[A], args, NULL, 0, 0);
	ASSERT_EQ(0, echo_rounds(self->u.cli, vt_echo_server(ns[C]), 3));
}

/* ------------------------------------------------------------------------ */
/* Fixture udpsec: what a UDP link refuses                                  */

FIXTURE(udpsec) {
	pid_t owner;
	long link_a, link_b;
};

FIXTURE_SETUP(udpsec)
{
	signal(SIGPIPE, SIG_IGN);
	self->owner = getpid();
	self->link_a = self->link_b = -1;
	nkids = 0;
	ASSERT_LE(0, vt_root_open());
	ASSERT_EQ(0, topo_keep());
	topo_tidy();
	self->link_a = udp_link_add(A, fam4.a, fam4.b);
	self->link_b = udp_link_add(B, fam4.b, fam4.a);
	ASSERT_LE(V_LINK_ID_UDP, self->link_a);
	ASSERT_LE(V_LINK_ID_UDP, self->link_b);
}

FIXTURE_TEARDOWN(udpsec)
{
	if (getpid() != self->owner)
		return;
	kids_kill_all();
	udp_link_del(A, self->link_a);
	udp_link_del(B, self->link_b);
	vt_root_close();
}

/*
 * A REQUEST for srv from a host part nobody has, sent by UDP from the
 * router to B's port: sign 0 unsigned, 1 with a wrong tag, 2 signed for
 * another host part, 3 signed right.  0 or -1.
 */
static int forge_send(uint64_t srv, int sign, uint32_t seq)
{
	uint8_t f[512], key[V_HOST_KEY_LEN];
	static const uint8_t z[ETH_ALEN];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(V_UDP_PORT) };
	struct v_wire_request rq;
	size_t n;
	int s, ret;
	uint32_t fake = 0x2a0d000 + (getpid() & 0xfff);

	memset(&rq, 0, sizeof(rq));
	rq.msg = mk(CODE_ECHO, seq);
	n = vt_frame_hdr(f, z, z, V_PKT_REQUEST, seq, ((uint64_t)fake << 32) | 1, srv,
			 ((uint64_t)fake << 32) | 1, fake, sizeof(rq));
	memcpy(f + n, &rq, sizeof(rq));
	n += sizeof(rq);
	if (sign) {
		struct v_wire_hdr *h = (struct v_wire_hdr *)(f + ETH_HLEN);

		h->flags = htons(V_WIRE_F_AUTH);
		vt_key_bytes(KEY, key);
		n = vt_frame_sign(f, n, vt_auth_ctr(0, seq), key,
				  sign == 2 ? v_id_host(srv) + 1 : v_id_host(srv));
		if (sign == 1)
			f[n - 1] ^= 0x5a;
	}
	inet_pton(AF_INET, "10.71.2.2", &to.sin_addr);
	if (vt_ns_enter(ns[R]))
		return -1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ret = s >= 0 && sendto(s, f + ETH_HLEN, n - ETH_HLEN, 0, (void *)&to, sizeof(to)) ==
		(ssize_t)(n - ETH_HLEN) ? 0 : -1;
	if (s >= 0)
		close(s);
	vt_ns_leave();
	return ret;
}

/*
 * Datagrams that are not the cluster's: unsigned, a wrong tag, a tag for
 * another host part, each dropped (drop_auth) with nothing delivered; the
 * same REQUEST signed right is delivered: the key, not the address, is
 * what a UDP link trusts.
 */
TEST_F_TIMEOUT(udpsec, unauthenticated_datagrams_dropped, 120)
{
	int srv = vt_ns_vopen(ns[B], 1);
	struct v_receive r;
	long long d0;
	int sign;

	ASSERT_LE(0, srv);
	for (sign = 0; sign < 3; sign++) {
		d0 = vt_stat(ns[B], "drop_auth");
		ASSERT_EQ(0, forge_send(vt_id(srv), sign, 10 + sign));
		EXPECT_LT(d0, vt_stat_wait_above(ns[B], "drop_auth", d0, 5000, 20))
			TH_LOG("datagram %d not counted", sign);
		EXPECT_FALSE(vt_wait_poll(srv, POLLIN, 300) & POLLIN)
			TH_LOG("datagram %d delivered", sign);
	}
	ASSERT_EQ(0, forge_send(vt_id(srv), 3, 20));
	ASSERT_TRUE(vt_wait_poll(srv, POLLIN, MS_WAIT) & POLLIN) TH_LOG("signed REQUEST not delivered");
	ASSERT_EQ(0, vt_rx_now(srv, &r));
	EXPECT_EQ(CODE_ECHO, v_msg_code(&r.msg));
	close(srv);
}

/* `vctl link add udp` refusals, and a link detached by id. */
TEST_F_TIMEOUT(udpsec, link_add_refusals, 120)
{
	char out[512];
	long id;

	/* No cluster key: none set in a namespace of its own. */
	vt_sh("ip netns del vku9 2>/dev/null");
	ASSERT_EQ(0, vt_sh("ip netns add vku9 && ip -n vku9 link set lo up"));
	EXPECT_NE(0, vt_vctl_run("vku9", "link add udp local 127.0.0.1 peer 127.0.0.2", out,
				 sizeof(out), VT_VCTL_STDERR));
	EXPECT_NE(NULL, strstr(out, "key")) TH_LOG("%s", out);
	vt_sh("ip netns del vku9");
	/* The port A's link has. */
	EXPECT_NE(0, vt_vctl_run(ns[A], "link add udp local 10.71.1.2 peer 10.71.2.2", out,
				 sizeof(out), VT_VCTL_STDERR));
	EXPECT_NE(NULL, strstr(out, "use")) TH_LOG("%s", out);
	/* Peers of the other family. */
	EXPECT_NE(0, vt_vctl_run(ns[A], "link add udp local 10.71.1.2:6181 peer [fd71:2::2]",
				 out, sizeof(out), VT_VCTL_STDERR));
	/* Another port is another link, detached by its id. */
	id = udp_link_add(A, "10.71.1.2:6181", "10.71.2.2:6181");
	ASSERT_LE(V_LINK_ID_UDP, id);
	snprintf(out, sizeof(out), "link del %ld", id);
	EXPECT_EQ(0, vt_vctl_run(ns[A], out, NULL, 0, 0));
	EXPECT_NE(0, vt_vctl_run(ns[A], out, NULL, 0, 0));
}

VT_HARNESS_MAIN
